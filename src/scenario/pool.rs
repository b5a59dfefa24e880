//! `[pool]`: each instance's database connection pool (HikariCP-like).

use serde::Deserialize;
use toml::Value;

use crate::engine::time::SimDuration;
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;

/// The `[pool]` fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc { key: "size", default: "10", doc: "connections per instance at most (HikariCP maximumPoolSize)" },
    FieldDoc {
        key: "min_idle",
        default: "size",
        doc: "connections opened when an instance starts and kept open (HikariCP minimumIdle): the reconnect herd on scale-out",
    },
    FieldDoc {
        key: "acquire_timeout",
        default: "\"30s\"",
        doc: "a request waiting this long for a connection fails as pool_timeout (HikariCP connectionTimeout)",
    },
    FieldDoc {
        key: "connect_time",
        default: "\"5ms\"",
        doc: "network and handshake time to open a connection (then the database spends connect_cost on it)",
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    size: Option<i64>,
    min_idle: Option<i64>,
    acquire_timeout: Option<Value>,
    connect_time: Option<Value>,
}

/// The validated `[pool]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolSpec {
    /// Most connections per instance.
    pub size: u32,
    /// Connections kept open.
    pub min_idle: u32,
    /// Longest wait for a connection.
    pub acquire_timeout: SimDuration,
    /// Time to open one.
    pub connect_time: SimDuration,
}

impl Default for PoolSpec {
    fn default() -> Self {
        PoolSpec {
            size: 10,
            min_idle: 10,
            acquire_timeout: SimDuration::from_secs(30),
            connect_time: SimDuration::from_millis(5),
        }
    }
}

/// Validates `[pool]` (absent: the defaults, if there is a database).
pub fn validate(cx: &mut Cx<'_>) -> Option<PoolSpec> {
    let at = FieldPath::root().key("pool");
    let d = PoolSpec::default();
    let Some(value) = cx.value(&at) else { return Some(d) };
    let raw: Raw = cx.parse(&at, value)?;
    let size = cx.int_in(&at.key("size"), raw.size, d.size as u64, 1, 100_000) as u32;
    let min_idle = cx.int_in(&at.key("min_idle"), raw.min_idle, size as u64, 0, 100_000) as u32;
    if min_idle > size {
        cx.error(
            &at.key("min_idle"),
            format!("'{min_idle}' is more than size '{size}'"),
            Some("min_idle counts connections of the pool; make it ≤ size".into()),
        );
    }
    Some(PoolSpec {
        size,
        min_idle: min_idle.min(size),
        acquire_timeout: cx.duration(&at.key("acquire_timeout"), raw.acquire_timeout.as_ref(), d.acquire_timeout),
        connect_time: cx.duration(&at.key("connect_time"), raw.connect_time.as_ref(), d.connect_time),
    })
}
