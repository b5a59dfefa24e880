//! `[replicas]`: read replicas of the database (Postgres streaming
//! replicas). Each serves reads on its own cores and connections, and
//! replays the primary's writes in commit order, one at a time (Postgres
//! replays WAL in a single startup process), competing with its reads for
//! CPU: a replica busy with reads falls behind. Its replication lag is the
//! age of the oldest write it has not applied yet.
//!
//! The app routes writes to the primary and reads to a replica in rotation
//! — except a read of a key written more recently than what that replica has
//! applied (read-your-writes), which goes to the primary. A replica lagging
//! more than `max_lag` leaves the rotation until it is back under half of
//! it. The primary pays for every replica: each write costs it
//! `1 + replication_cost × count` times its demand (a WAL sender per replica).
//! With `shards`, each shard has its own replicas.

use serde::Deserialize;
use toml::Value;

use super::database::{self, DatabaseSpec};
use super::types;
use crate::engine::time::SimDuration;
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;

/// The `[replicas]` fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "count",
        default: "1",
        doc: "read replicas (of each shard), 0 to 15 (RDS for PostgreSQL allows 15 per source)",
    },
    FieldDoc {
        key: "types",
        default: "the database's",
        doc: "the family of instance types the replicas' type is from",
    },
    FieldDoc {
        key: "type",
        default: "the database's",
        doc: "the replicas' instance type: cores, max_connections and price, as for [database]",
    },
    FieldDoc { key: "cores", default: "the database's", doc: "cores of each replica (with no type)" },
    FieldDoc {
        key: "max_connections",
        default: "the database's",
        doc: "connection ceiling of each replica (with no type); reserved_connections as the database's",
    },
    FieldDoc {
        key: "price_per_hour",
        default: "the type's, else 0.1125 × cores",
        doc: "what each replica costs per hour",
    },
    FieldDoc { key: "usl", default: "the database's", doc: "{ alpha, beta }: the replicas' contention and coherency" },
    FieldDoc { key: "network_delay", default: "\"2ms\"", doc: "time for a committed write's WAL to reach a replica" },
    FieldDoc {
        key: "apply_cost",
        default: "0.5",
        doc: "CPU work of replaying a write on a replica, as a share of a write's demand; replay is serial (one write at a time) and shares the replica's cores with its reads",
    },
    FieldDoc {
        key: "max_lag",
        default: "\"10s\"",
        doc: "a replica lagging more than this leaves the read rotation until its lag is under half of it (as ProxySQL's max_replication_lag)",
    },
    FieldDoc {
        key: "replication_cost",
        default: "0.05",
        doc: "the primary's extra work per replica: each write costs it (1 + replication_cost × count) × its demand",
    },
    FieldDoc {
        key: "read_your_writes",
        default: "true",
        doc: "a read of a key written after what its replica has applied goes to the primary (else it reads stale data)",
    },
    FieldDoc {
        key: "routing",
        default: "\"round_robin\"",
        doc: "how reads pick a replica in rotation: round_robin (a reader endpoint) or least_active (fewest queries running)",
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    count: Option<i64>,
    types: Option<Value>,
    #[serde(rename = "type")]
    instance_type: Option<String>,
    cores: Option<i64>,
    max_connections: Option<i64>,
    price_per_hour: Option<f64>,
    usl: Option<RawUsl>,
    network_delay: Option<Value>,
    apply_cost: Option<f64>,
    max_lag: Option<Value>,
    replication_cost: Option<f64>,
    read_your_writes: Option<bool>,
    routing: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUsl {
    alpha: Option<f64>,
    beta: Option<f64>,
}

/// How a read picks a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routing {
    /// In turn.
    RoundRobin,
    /// The one with the fewest queries running.
    LeastActive,
}

/// The validated `[replicas]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaSpec {
    /// Replicas (of each shard).
    pub count: u32,
    /// Each replica as a database: its cores, connections, USL, type, price.
    pub db: DatabaseSpec,
    /// WAL shipping delay.
    pub network_delay: SimDuration,
    /// Replay work as a share of a write's demand.
    pub apply_cost: f64,
    /// Lag beyond which a replica leaves the rotation.
    pub max_lag: SimDuration,
    /// The primary's extra work per replica, per write.
    pub replication_cost: f64,
    /// Whether reads of freshly written keys go to the primary.
    pub read_your_writes: bool,
    /// How reads pick a replica.
    pub routing: Routing,
}

/// Validates `[replicas]` against the database it replicates.
pub fn validate(cx: &mut Cx<'_>, primary: Option<&DatabaseSpec>) -> Option<Option<ReplicaSpec>> {
    let at = FieldPath::root().key("replicas");
    let Some(value) = cx.value(&at) else { return Some(None) };
    let raw: Raw = cx.parse(&at, value)?;
    let Some(primary) = primary else {
        cx.error(&at, "[replicas] needs a [database] to replicate", Some("add a [database] section".into()));
        return None;
    };
    let mut db = primary.clone();
    db.serverless = None;
    db.shards = 1;
    let (family, typed) = match (&raw.instance_type, &primary.family) {
        // A type from the database's family (unless the section names its own).
        (Some(name), Some(family)) if raw.types.is_none() => {
            let typed = family.find(name).map(|index| types::Typed { family: family.clone(), index });
            if typed.is_none() {
                let hint = format!("the types of {} are: {}", family.name, family.names().join(", "));
                cx.error(&at.key("type"), format!("'{name}' is not a type of the {} family", family.name), Some(hint));
            }
            (Some(family.clone()), typed)
        }
        _ if raw.types.is_none() && raw.instance_type.is_none() => (primary.family.clone(), None),
        _ => types::resolve(cx, &at, raw.types.as_ref(), raw.instance_type.as_ref()),
    };
    db.family = family;
    let raw_cores = raw.cores.map(|n| cx.int_in(&at.key("cores"), Some(n), 8, 1, 4096));
    let raw_max = raw.max_connections.map(|n| cx.int_in(&at.key("max_connections"), Some(n), 100, 1, 1_000_000));
    match &typed {
        Some(t) => {
            let ty = t.get();
            db.instance_type = Some(t.index);
            db.cores = types::with_type(cx, &at, "cores", raw_cores.map(|c| c as f64), ty.cores as f64) as u32;
            db.max_connections = raw_max.map(|m| m as u32).or(ty.max_connections).unwrap_or(db.max_connections);
            db.max_connections_set = raw_max.is_some();
            db.price_per_hour = types::with_type(cx, &at, "price_per_hour", raw.price_per_hour, ty.price_per_hour);
        }
        None if raw_cores.is_some() || raw_max.is_some() || primary.serverless.is_some() => {
            // A raw size of its own: a raw price (the primary's type no longer applies).
            db.instance_type = None;
            if let Some(c) = raw_cores {
                db.cores = c as u32;
            }
            if let Some(m) = raw_max {
                db.max_connections = m as u32;
                db.max_connections_set = true;
            }
            db.price_per_hour = cx.float_in(
                &at.key("price_per_hour"),
                raw.price_per_hour,
                database::PRICE_PER_CORE_HOUR * db.cores as f64,
                0.0,
                1e6,
            );
        }
        None => {
            db.price_per_hour = cx.float_in(&at.key("price_per_hour"), raw.price_per_hour, db.price_per_hour, 0.0, 1e6);
        }
    }
    if db.reserved_connections >= db.max_connections {
        cx.error(
            &at.key("max_connections"),
            format!("'{}' leaves no connection once {} are reserved", db.max_connections, db.reserved_connections),
            Some("raise max_connections".into()),
        );
    }
    if let Some(u) = raw.usl {
        db.alpha = cx.float_in(&at.key("usl").key("alpha"), u.alpha, db.alpha, 0.0, 1.0);
        db.beta = cx.float_in(&at.key("usl").key("beta"), u.beta, db.beta, 0.0, 1.0);
    }
    let max_lag = cx.duration(&at.key("max_lag"), raw.max_lag.as_ref(), SimDuration::from_secs(10));
    if max_lag.is_zero() {
        cx.error(&at.key("max_lag"), "'0s' takes every replica out at once", Some("use e.g. \"10s\"".into()));
    }
    let routing =
        match cx.choice(&at.key("routing"), raw.routing.as_deref(), "round_robin", &["round_robin", "least_active"]) {
            "least_active" => Routing::LeastActive,
            _ => Routing::RoundRobin,
        };
    Some(Some(ReplicaSpec {
        count: cx.int_in(&at.key("count"), raw.count, 1, 0, 15) as u32,
        db,
        network_delay: cx.duration(&at.key("network_delay"), raw.network_delay.as_ref(), SimDuration::from_millis(2)),
        apply_cost: cx.float_in(&at.key("apply_cost"), raw.apply_cost, 0.5, 0.0, 100.0),
        max_lag,
        replication_cost: cx.float_in(&at.key("replication_cost"), raw.replication_cost, 0.05, 0.0, 10.0),
        read_your_writes: raw.read_your_writes.unwrap_or(true),
        routing,
    }))
}
