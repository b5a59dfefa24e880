//! `[database]`: the single-writer database (a Postgres-like primary) —
//! or K of them, each owning a share of the keyspace (`shards`) — its size
//! (raw cores and connections, or an instance type with a price), how long
//! a resize's failover takes, and optionally a serverless capacity range
//! (Aurora Serverless v2-like) instead of a fixed size.

use std::sync::Arc;

use serde::Deserialize;
use toml::Value;

use super::types::{self, Family};
use crate::engine::dist::Dist;
use crate::engine::time::SimDuration;
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;
use crate::model::database::{Settings, Usl};

/// The `[database]` fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "max_connections",
        default: "100, or the type's",
        doc: "a connection attempt beyond this many open connections is refused at once (db_refused), as Postgres does. With a type it defaults to the type's (RDS's formula); a value given overrides it and stays through a resize, as a parameter group's does",
    },
    FieldDoc {
        key: "reserved_connections",
        default: "3",
        doc: "of max_connections, kept for superusers and tooling (Postgres superuser_reserved_connections): the application may open max_connections − reserved",
    },
    FieldDoc { key: "cores", default: "8, or the type's", doc: "cores shared by running queries (processor sharing)" },
    FieldDoc {
        key: "types",
        default: "none",
        doc: "a family of database instance types (\"../models/instance-types/rds-r6g.toml\"): what type names, and what a resize moves along",
    },
    FieldDoc {
        key: "type",
        default: "none",
        doc: "the instance type (\"db.r6g.2xlarge\"): sets cores, max_connections (from memory, RDS's formula) and the price; needs types",
    },
    FieldDoc {
        key: "price_per_hour",
        default: "the type's, else 0.1125 × cores",
        doc: "what the database costs per hour (each shard); without a type, the db.r6g on-demand rate per vCPU",
    },
    FieldDoc {
        key: "failover",
        default: "\"60s\"",
        doc: "a resize to another type fails over to the resized standby: for this long connections are dropped, writes and connects refused; then the new limits hold (RDS Multi-AZ failover takes 60–120 s)",
    },
    FieldDoc {
        key: "shards",
        default: "1",
        doc: "K primaries, each owning the keys that hash to it (key → shard by a fixed 32-bit mix, mod K): its own cores, connections and write lock. Each app instance has a pool per shard (the connection budget is per shard)",
    },
    FieldDoc {
        key: "serverless",
        default: "none",
        doc: "{ min_acu = 0.5, max_acu = 16, initial_acu = min_acu, cores_per_acu = 0.25, price_per_acu_hour = 0.12, interval = \"5s\", target_utilization = 0.7, scale_down_rate = 0.1 }: capacity in Aurora capacity units (1 ACU ≈ 2 GiB and its share of CPU), re-evaluated every interval toward utilization/target, in 0.5 ACU steps, down by at most scale_down_rate of capacity per interval; max_connections from the max_acu memory",
    },
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
    types: Option<Value>,
    #[serde(rename = "type")]
    instance_type: Option<String>,
    price_per_hour: Option<f64>,
    failover: Option<Value>,
    shards: Option<i64>,
    serverless: Option<RawServerless>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServerless {
    min_acu: Option<f64>,
    max_acu: Option<f64>,
    initial_acu: Option<f64>,
    cores_per_acu: Option<f64>,
    price_per_acu_hour: Option<f64>,
    interval: Option<Value>,
    target_utilization: Option<f64>,
    scale_down_rate: Option<f64>,
}

/// A serverless capacity range (Aurora Serverless v2-like). An Aurora
/// capacity unit is "approximately 2 GiB of memory, with corresponding CPU
/// and networking" (Aurora User Guide, *How Aurora Serverless v2 works*);
/// capacity moves in 0.5 ACU steps between the minimum and the maximum.
/// AWS does not publish its scaling algorithm: here capacity is
/// re-evaluated every `interval` toward `capacity × utilization / target`,
/// rising at once and falling by at most `scale_down_rate` per interval.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerlessSpec {
    /// Lowest capacity, ACU.
    pub min_acu: f64,
    /// Highest capacity, ACU.
    pub max_acu: f64,
    /// Capacity at the start, ACU.
    pub initial_acu: f64,
    /// Cores per ACU: db.r6g.large has 2 vCPUs and 16 GiB, i.e. 8 ACUs by
    /// memory, so 0.25 vCPU per ACU.
    pub cores_per_acu: f64,
    /// Price per ACU-hour (Aurora Standard, us-east-1: $0.12).
    pub price_per_acu_hour: f64,
    /// How often capacity is re-evaluated (the scaling lag).
    pub interval: SimDuration,
    /// The utilization capacity is sized for.
    pub target_utilization: f64,
    /// Most capacity given back per interval, as a share of capacity.
    pub scale_down_rate: f64,
}

/// Bytes of memory per ACU.
pub const ACU_MEMORY: u64 = 2 << 30;

/// RDS's default `max_connections`: `LEAST({DBInstanceClassMemory/9531392}, 5000)`
/// (Amazon RDS User Guide, *Maximum number of database connections*), from
/// the nominal memory (the instance's usable memory is a few percent less).
pub fn rds_max_connections(memory: u64) -> u32 {
    ((memory / 9_531_392) as u32).clamp(1, 5000)
}

/// Price per hour of one vCPU with no type named: db.r6g.large (2 vCPU)
/// on-demand for RDS for PostgreSQL, $0.225/h (see
/// `models/instance-types/rds-r6g.toml`).
pub const PRICE_PER_CORE_HOUR: f64 = 0.1125;

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
    /// Whether max_connections was set (a parameter group's fixed value)
    /// rather than taken from the type: a resize keeps it.
    pub max_connections_set: bool,
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
    /// The family of instance types, if named.
    pub family: Option<Arc<Family>>,
    /// The instance type (an index into the family), if named.
    pub instance_type: Option<usize>,
    /// Price per hour (of each shard).
    pub price_per_hour: f64,
    /// The failover pause of a resize.
    pub failover: SimDuration,
    /// Primaries the keyspace is partitioned over.
    pub shards: u32,
    /// A serverless capacity range instead of a fixed size.
    pub serverless: Option<ServerlessSpec>,
}

impl DatabaseSpec {
    /// Connections the application may open: `max_connections − reserved`.
    pub fn usable_connections(&self) -> u32 {
        self.max_connections.saturating_sub(self.reserved_connections)
    }

    /// The contention model.
    pub fn usl(&self) -> Usl {
        Usl { alpha: self.alpha, beta: self.beta, connection_overhead: self.connection_overhead }
    }

    /// The USL peak n* = sqrt((1 − α)/β) (∞ without coherency cost).
    pub fn usl_peak(&self) -> f64 {
        self.usl().peak()
    }

    /// The model database this section starts.
    pub fn settings(&self) -> Settings {
        Settings {
            usl: self.usl(),
            cores: self.cores,
            max_connections: self.max_connections,
            reserved_connections: self.reserved_connections,
            instance_type: self.instance_type,
            price_per_hour: self.price_per_hour,
            acu: self.serverless.as_ref().map(|s| (s.initial_acu, s.cores_per_acu)),
        }
    }
}

/// Validates `[database]` (absent: no database; requests end after compute).
pub fn validate(cx: &mut Cx<'_>) -> Option<Option<DatabaseSpec>> {
    let at = FieldPath::root().key("database");
    let Some(value) = cx.value(&at) else { return Some(None) };
    let raw: Raw = cx.parse(&at, value)?;
    let usl = raw.usl.unwrap_or(RawUsl { alpha: None, beta: None });
    let (family, typed) = types::resolve(cx, &at, raw.types.as_ref(), raw.instance_type.as_ref());
    let raw_max = raw.max_connections.map(|n| cx.int_in(&at.key("max_connections"), Some(n), 100, 1, 1_000_000));
    let raw_cores = raw.cores.map(|n| cx.int_in(&at.key("cores"), Some(n), 8, 1, 4096));
    let serverless = raw.serverless.map(|r| serverless(cx, &at.key("serverless"), r));
    if let (Some(_), Some(_)) = (&serverless, &typed) {
        cx.error(
            &at.key("serverless"),
            "a serverless database has no instance type",
            Some("remove type (capacity comes from the ACU range), or serverless".into()),
        );
    }
    let (cores, max_connections, price) = match (&typed, &serverless) {
        (Some(t), _) => {
            let ty = t.get();
            let cores = types::with_type(cx, &at, "cores", raw_cores.map(|c| c as f64), ty.cores as f64) as u32;
            // A parameter, not hardware: a value given overrides the type's
            // default, as a DB parameter group does.
            let max = raw_max.map(|m| m as u32).or(ty.max_connections).unwrap_or(100);
            (cores, max, types::with_type(cx, &at, "price_per_hour", raw.price_per_hour, ty.price_per_hour))
        }
        (None, Some(sl)) => {
            for (field, given) in [("cores", raw_cores.is_some()), ("price_per_hour", raw.price_per_hour.is_some())] {
                if given {
                    cx.error(
                        &at.key(field),
                        format!("a serverless database takes its {field} from the ACU range"),
                        Some(format!("remove {field}")),
                    );
                }
            }
            let cores = (sl.max_acu * sl.cores_per_acu).ceil().max(1.0) as u32;
            let memory = (sl.max_acu * ACU_MEMORY as f64) as u64;
            let max = raw_max.map_or_else(|| rds_max_connections(memory), |m| m as u32);
            (cores, max, sl.price_per_acu_hour * sl.initial_acu)
        }
        (None, None) => {
            let cores = raw_cores.unwrap_or(8) as u32;
            let price = cx.float_in(
                &at.key("price_per_hour"),
                raw.price_per_hour,
                PRICE_PER_CORE_HOUR * cores as f64,
                0.0,
                1e6,
            );
            (cores, raw_max.unwrap_or(100) as u32, price)
        }
    };
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
        max_connections_set: raw_max.is_some(),
        reserved_connections: reserved,
        cores,
        read: cx.dist(&at.key("read"), raw.read.as_ref(), Dist::Exponential { mean: 2e6 }),
        write: cx.dist(&at.key("write"), raw.write.as_ref(), Dist::Exponential { mean: 5e6 }),
        alpha: cx.float_in(&at.key("usl").key("alpha"), usl.alpha, 0.0, 0.0, 1.0),
        beta: cx.float_in(&at.key("usl").key("beta"), usl.beta, 0.0, 0.0, 1.0),
        connection_overhead: cx.float_in(&at.key("connection_overhead"), raw.connection_overhead, 0.0, 0.0, 1.0),
        connect_cost: cx.duration(&at.key("connect_cost"), raw.connect_cost.as_ref(), SimDuration::from_millis(2)),
        family,
        instance_type: typed.map(|t| t.index),
        price_per_hour: price,
        failover: cx.duration(&at.key("failover"), raw.failover.as_ref(), SimDuration::from_secs(60)),
        shards: cx.int_in(&at.key("shards"), raw.shards, 1, 1, 256) as u32,
        serverless,
    }))
}

fn serverless(cx: &mut Cx<'_>, at: &FieldPath, r: RawServerless) -> ServerlessSpec {
    let acu = |cx: &mut Cx<'_>, key: &str, x: Option<f64>, default: f64| {
        let v = cx.float_in(&at.key(key), x, default, 0.5, 256.0);
        if (v * 2.0).fract() != 0.0 {
            cx.error(&at.key(key), format!("'{v}' is not a multiple of 0.5 ACU"), Some("use e.g. 0.5, 1, 8.5".into()));
        }
        v
    };
    let min_acu = acu(cx, "min_acu", r.min_acu, 0.5);
    let max_acu = acu(cx, "max_acu", r.max_acu, 16.0);
    if max_acu < min_acu {
        cx.error(
            &at.key("max_acu"),
            format!("'{max_acu}' is below min_acu '{min_acu}'"),
            Some("make max_acu ≥ min_acu".into()),
        );
    }
    let initial_acu = acu(cx, "initial_acu", r.initial_acu, min_acu);
    if initial_acu < min_acu || initial_acu > max_acu {
        cx.error(
            &at.key("initial_acu"),
            format!("'{initial_acu}' is outside the range {min_acu}–{max_acu}"),
            Some("start within min_acu and max_acu".into()),
        );
    }
    let interval = cx.duration(&at.key("interval"), r.interval.as_ref(), SimDuration::from_secs(5));
    if interval.is_zero() {
        cx.error(&at.key("interval"), "'0s' is not an interval", Some("use e.g. \"5s\"".into()));
    }
    ServerlessSpec {
        min_acu,
        max_acu,
        initial_acu,
        cores_per_acu: cx.float_in(&at.key("cores_per_acu"), r.cores_per_acu, 0.25, 0.01, 64.0),
        price_per_acu_hour: cx.float_in(&at.key("price_per_acu_hour"), r.price_per_acu_hour, 0.12, 0.0, 1e4),
        interval,
        target_utilization: cx.float_in(&at.key("target_utilization"), r.target_utilization, 0.7, 0.05, 1.0),
        scale_down_rate: cx.float_in(&at.key("scale_down_rate"), r.scale_down_rate, 0.1, 0.0, 1.0),
    }
}
