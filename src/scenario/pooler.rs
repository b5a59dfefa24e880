//! `[pooler]`: a connection pooler between the app pools and the database
//! (PgBouncer in transaction mode). App pools open cheap client connections
//! to it (`pool.connect_time`, no database work); it opens server
//! connections to the database (`pool.connect_time` plus the database's
//! `connect_cost`) and lends one to each query.

use serde::Deserialize;
use toml::Value;

use crate::engine::time::SimDuration;
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;

/// The `[pooler]` fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "max_client_conn",
        default: "10000",
        doc: "client connections it accepts (PgBouncer max_client_conn); beyond, connects are refused",
    },
    FieldDoc {
        key: "default_pool_size",
        default: "20",
        doc: "server connections it holds to the database (PgBouncer default_pool_size); a query borrows one for its duration (transaction mode)",
    },
    FieldDoc {
        key: "query_wait_timeout",
        default: "\"120s\"",
        doc: "a query waiting this long for a server connection fails as pool_timeout (PgBouncer query_wait_timeout)",
    },
    FieldDoc {
        key: "price_per_hour",
        default: "0.096",
        doc: "what the pooler's host costs per hour (one m6i.large on-demand)",
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    max_client_conn: Option<i64>,
    default_pool_size: Option<i64>,
    query_wait_timeout: Option<Value>,
    price_per_hour: Option<f64>,
}

/// The validated `[pooler]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolerSpec {
    /// Client connections accepted.
    pub max_client_conn: u32,
    /// Server connections held.
    pub default_pool_size: u32,

    /// Longest wait for a server connection.
    pub query_wait_timeout: SimDuration,
    /// Price of its host per hour.
    pub price_per_hour: f64,
}

/// Validates `[pooler]` (absent: app pools connect to the database directly).
pub fn validate(cx: &mut Cx<'_>) -> Option<Option<PoolerSpec>> {
    let at = FieldPath::root().key("pooler");
    let Some(value) = cx.value(&at) else { return Some(None) };
    let raw: Raw = cx.parse(&at, value)?;
    Some(Some(PoolerSpec {
        max_client_conn: cx.int_in(&at.key("max_client_conn"), raw.max_client_conn, 10_000, 1, 10_000_000) as u32,
        default_pool_size: cx.int_in(&at.key("default_pool_size"), raw.default_pool_size, 20, 1, 100_000) as u32,

        query_wait_timeout: cx.duration(
            &at.key("query_wait_timeout"),
            raw.query_wait_timeout.as_ref(),
            SimDuration::from_secs(120),
        ),
        price_per_hour: cx.float_in(&at.key("price_per_hour"), raw.price_per_hour, 0.096, 0.0, 1e6),
    }))
}
