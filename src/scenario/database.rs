//! `[database]`: one single-writer database (a Postgres-like primary).

use serde::Deserialize;
use toml::Value;

use super::check::{Cx, FieldDoc};
use super::problem::FieldPath;
use crate::engine::dist::Dist;
use crate::engine::time::SimDuration;

/// The `[database]` fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "max_connections",
        default: "100",
        doc: "a connection attempt beyond this many open connections is refused at once (db_refused), as Postgres does",
    },
    FieldDoc {
        key: "reserved_connections",
        default: "3",
        doc: "of max_connections, kept for superusers and tooling (Postgres superuser_reserved_connections): the application may open max_connections − reserved",
    },
    FieldDoc { key: "cores", default: "8", doc: "cores shared by running queries (processor sharing)" },
    FieldDoc {
        key: "read",
        default: "{ dist = \"exponential\", mean = \"2ms\" }",
        doc: "CPU demand of a read query (a distribution)",
    },
    FieldDoc {
        key: "write",
        default: "{ dist = \"exponential\", mean = \"5ms\" }",
        doc: "CPU demand of a write query (a distribution); writes also take the single global write lock, FIFO",
    },
    FieldDoc {
        key: "usl",
        default: "{ alpha = 0.0, beta = 0.0 }",
        doc: "Universal Scalability Law contention α and coherency β: with n queries running each progresses at (min(n, cores)/n) / (1 + α(n−1) + βn(n−1))",
    },
    FieldDoc {
        key: "connection_overhead",
        default: "0.0",
        doc: "γ: every query is slowed by (1 + γ · open connections), the per-connection cost of many idle backends",
    },
    FieldDoc {
        key: "connect_cost",
        default: "\"2ms\"",
        doc: "CPU work the database spends establishing each connection (a Postgres backend fork), competing with queries",
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    max_connections: Option<i64>,
    reserved_connections: Option<i64>,
    cores: Option<i64>,
    read: Option<Value>,
    write: Option<Value>,
    usl: Option<RawUsl>,
    connection_overhead: Option<f64>,
    connect_cost: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUsl {
    alpha: Option<f64>,
    beta: Option<f64>,
}

/// The validated `[database]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct DatabaseSpec {
    /// Connection ceiling.
    pub max_connections: u32,
    /// Of which reserved (not for the application).
    pub reserved_connections: u32,
    /// Cores.
    pub cores: u32,
    /// Read demand.
    pub read: Dist,
    /// Write demand.
    pub write: Dist,
    /// USL contention α.
    pub alpha: f64,
    /// USL coherency β.
    pub beta: f64,
    /// Per-open-connection overhead γ.
    pub connection_overhead: f64,
    /// CPU work per connection established.
    pub connect_cost: SimDuration,
}

impl DatabaseSpec {
    /// Connections the application may open: `max_connections − reserved`.
    pub fn usable_connections(&self) -> u32 {
        self.max_connections.saturating_sub(self.reserved_connections)
    }

    /// The per-query progress rate with `n` queries running and `open`
    /// connections, before any slowdown fault.
    pub fn rate(&self, n: u32, open: u32) -> f64 {
        if n == 0 {
            return 1.0;
        }
        let nf = n as f64;
        let share = (n.min(self.cores) as f64) / nf;
        let usl = 1.0 + self.alpha * (nf - 1.0) + self.beta * nf * (nf - 1.0);
        share / usl / (1.0 + self.connection_overhead * open as f64)
    }

    /// The USL peak n* = sqrt((1 − α)/β) (∞ without coherency cost).
    pub fn usl_peak(&self) -> f64 {
        if self.beta > 0.0 { ((1.0 - self.alpha) / self.beta).sqrt() } else { f64::INFINITY }
    }
}

/// Validates `[database]` (absent: no database; requests end after compute).
pub fn validate(cx: &mut Cx<'_>) -> Option<Option<DatabaseSpec>> {
    let at = FieldPath::root().key("database");
    let Some(value) = cx.value(&at) else { return Some(None) };
    let raw: Raw = cx.parse(&at, value)?;
    let usl = raw.usl.unwrap_or(RawUsl { alpha: None, beta: None });
    let max_connections = cx.int_in(&at.key("max_connections"), raw.max_connections, 100, 1, 1_000_000) as u32;
    let reserved = cx.int_in(&at.key("reserved_connections"), raw.reserved_connections, 3, 0, 1_000_000) as u32;
    if reserved >= max_connections {
        cx.error(
            &at.key("reserved_connections"),
            format!("'{reserved}' leaves no connection of {max_connections} for the application"),
            Some("make it smaller than max_connections".into()),
        );
    }
    Some(Some(DatabaseSpec {
        max_connections,
        reserved_connections: reserved,
        cores: cx.int_in(&at.key("cores"), raw.cores, 8, 1, 4096) as u32,
        read: cx.dist(&at.key("read"), raw.read.as_ref(), Dist::Exponential { mean: 2e6 }),
        write: cx.dist(&at.key("write"), raw.write.as_ref(), Dist::Exponential { mean: 5e6 }),
        alpha: cx.float_in(&at.key("usl").key("alpha"), usl.alpha, 0.0, 0.0, 1.0),
        beta: cx.float_in(&at.key("usl").key("beta"), usl.beta, 0.0, 0.0, 1.0),
        connection_overhead: cx.float_in(&at.key("connection_overhead"), raw.connection_overhead, 0.0, 0.0, 1.0),
        connect_cost: cx.duration(&at.key("connect_cost"), raw.connect_cost.as_ref(), SimDuration::from_millis(2)),
    }))
}
