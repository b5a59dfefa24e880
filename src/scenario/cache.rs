//! `[cache]`: a shared key-level cache (Redis-like) and optional local
//! caches inside each instance.

use serde::Deserialize;
use toml::Value;

use crate::engine::time::SimDuration;
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;

/// The `[cache]` fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc { key: "hit_latency", default: "\"1ms\"", doc: "round trip of a lookup, hit or miss" },
    FieldDoc { key: "ttl", default: "\"5m\"", doc: "how long a filled key stays" },
    FieldDoc {
        key: "ttl_jitter",
        default: "0.0",
        doc: "each fill's TTL is ttl × (1 ± ttl_jitter), uniformly: spreads synchronized expiries",
    },
    FieldDoc {
        key: "single_flight",
        default: "false",
        doc: "concurrent misses of one key wait for one database read instead of each reading",
    },
    FieldDoc {
        key: "local",
        default: "off",
        doc: "{ capacity, ttl = \"1m\" }: a cache inside each instance (LRU over capacity keys), empty at start and gone with the instance",
    },
    FieldDoc {
        key: "price_per_hour",
        default: "0.206",
        doc: "what the shared cache costs per hour (ElastiCache for Redis cache.r6g.large on-demand, us-east-1)",
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    hit_latency: Option<Value>,
    ttl: Option<Value>,
    ttl_jitter: Option<f64>,
    single_flight: Option<bool>,
    local: Option<RawLocal>,
    price_per_hour: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocal {
    capacity: i64,
    ttl: Option<Value>,
}

/// A local cache's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalCacheSpec {
    /// Keys held at most (LRU eviction beyond).
    pub capacity: u32,
    /// Time to live.
    pub ttl: SimDuration,
}

/// The validated `[cache]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheSpec {
    /// Lookup round trip.
    pub hit_latency: SimDuration,
    /// Time to live.
    pub ttl: SimDuration,
    /// Relative TTL jitter.
    pub ttl_jitter: f64,
    /// Whether concurrent misses coalesce.
    pub single_flight: bool,
    /// Local caches, if any.
    pub local: Option<LocalCacheSpec>,
    /// Price of the shared cache per hour.
    pub price_per_hour: f64,
}

/// Validates `[cache]` (absent: no cache; every read goes to the database).
pub fn validate(cx: &mut Cx<'_>) -> Option<Option<CacheSpec>> {
    let at = FieldPath::root().key("cache");
    let Some(value) = cx.value(&at) else { return Some(None) };
    let raw: Raw = cx.parse(&at, value)?;
    let local = raw.local.map(|l| LocalCacheSpec {
        capacity: cx.int_in(&at.key("local").key("capacity"), Some(l.capacity), 1, 1, 100_000_000) as u32,
        ttl: cx.duration(&at.key("local").key("ttl"), l.ttl.as_ref(), SimDuration::from_secs(60)),
    });
    let spec = CacheSpec {
        hit_latency: cx.duration(&at.key("hit_latency"), raw.hit_latency.as_ref(), SimDuration::from_millis(1)),
        ttl: cx.duration(&at.key("ttl"), raw.ttl.as_ref(), SimDuration::from_secs(300)),
        ttl_jitter: cx.float_in(&at.key("ttl_jitter"), raw.ttl_jitter, 0.0, 0.0, 1.0),
        single_flight: raw.single_flight.unwrap_or(false),
        local,
        price_per_hour: cx.float_in(&at.key("price_per_hour"), raw.price_per_hour, 0.206, 0.0, 1e6),
    };
    if spec.ttl.is_zero() {
        cx.error(&at.key("ttl"), "'0s' would never hit", Some("use e.g. ttl = \"5m\"".into()));
    }
    Some(Some(spec))
}
