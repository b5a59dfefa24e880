//! `[balancer]`: how requests are spread over instances, health checks,
//! slow start, draining and surge protection.

use serde::Deserialize;
use toml::Value;

use crate::engine::time::SimDuration;
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;
use crate::model::balancer::Algorithm;

/// The `[balancer]` fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "algorithm",
        default: "\"round_robin\"",
        doc: "round_robin | random | least_outstanding | p2c (power of two choices)",
    },
    FieldDoc {
        key: "slow_start",
        default: "\"0s\"",
        doc: "a new backend's share ramps linearly from ~0 to full over this long (AWS ALB slow start)",
    },
    FieldDoc {
        key: "deregistration_delay",
        default: "\"30s\"",
        doc: "draining on scale-in: the instance takes no new requests and finishes in-flight ones for up to this long; what is left is killed. \"0s\" kills in-flight requests at once",
    },
    FieldDoc {
        key: "health_check",
        default: "off",
        doc: "{ interval = \"10s\", timeout = \"2s\", unhealthy_threshold = 3, healthy_threshold = 2, restart = false }: probes queue like requests, so an overloaded instance fails them; with restart, an unhealthy instance is restarted (liveness)",
    },
    FieldDoc {
        key: "rate_limit",
        default: "off",
        doc: "{ rps, burst = rps }: a token bucket at the balancer; excess is shed (503)",
    },
    FieldDoc {
        key: "max_in_flight",
        default: "unlimited",
        doc: "requests in flight through the balancer at most; excess is shed (503)",
    },
    FieldDoc {
        key: "queue",
        default: "0",
        doc: "requests held at the balancer while no instance can take them (e.g. scale from zero); beyond it they are rejected",
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    algorithm: Option<String>,
    slow_start: Option<Value>,
    deregistration_delay: Option<Value>,
    health_check: Option<RawHealth>,
    rate_limit: Option<RawRateLimit>,
    max_in_flight: Option<i64>,
    queue: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHealth {
    interval: Option<Value>,
    timeout: Option<Value>,
    unhealthy_threshold: Option<i64>,
    healthy_threshold: Option<i64>,
    restart: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    rps: f64,
    burst: Option<f64>,
}

/// Health-check settings.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthCheckSpec {
    /// Time between probes of one instance.
    pub interval: SimDuration,
    /// A probe not answered within this fails.
    pub timeout: SimDuration,
    /// Consecutive failures that mark an instance unhealthy.
    pub unhealthy_threshold: u32,
    /// Consecutive successes that mark it healthy again.
    pub healthy_threshold: u32,
    /// Whether an unhealthy instance is restarted.
    pub restart: bool,
}

/// The validated `[balancer]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct BalancerSpec {
    /// Algorithm.
    pub algorithm: Algorithm,
    /// Slow-start ramp.
    pub slow_start: SimDuration,
    /// Draining time on scale-in.
    pub deregistration_delay: SimDuration,
    /// Health checks, if on.
    pub health_check: Option<HealthCheckSpec>,
    /// Token bucket (rate per second, burst), if on.
    pub rate_limit: Option<(f64, f64)>,
    /// Cap on requests in flight, if any.
    pub max_in_flight: Option<u64>,
    /// Requests held while nothing can take them.
    pub queue: u64,
}

impl Default for BalancerSpec {
    fn default() -> Self {
        BalancerSpec {
            algorithm: Algorithm::RoundRobin,
            slow_start: SimDuration::ZERO,
            deregistration_delay: SimDuration::from_secs(30),
            health_check: None,
            rate_limit: None,
            max_in_flight: None,
            queue: 0,
        }
    }
}

/// Validates `[balancer]`.
pub fn validate(cx: &mut Cx<'_>) -> Option<BalancerSpec> {
    let at = FieldPath::root().key("balancer");
    let Some(value) = cx.value(&at) else {
        return Some(BalancerSpec::default());
    };
    let raw: Raw = cx.parse(&at, value)?;
    let d = BalancerSpec::default();
    let algorithm = match cx.choice(
        &at.key("algorithm"),
        raw.algorithm.as_deref(),
        "round_robin",
        &["round_robin", "random", "least_outstanding", "p2c"],
    ) {
        "random" => Algorithm::Random,
        "least_outstanding" => Algorithm::LeastOutstanding,
        "p2c" => Algorithm::PowerOfTwo,
        _ => Algorithm::RoundRobin,
    };
    let health_check = raw.health_check.map(|h| {
        let at = at.key("health_check");
        let spec = HealthCheckSpec {
            interval: cx.duration(&at.key("interval"), h.interval.as_ref(), SimDuration::from_secs(10)),
            timeout: cx.duration(&at.key("timeout"), h.timeout.as_ref(), SimDuration::from_secs(2)),
            unhealthy_threshold: cx.int_in(&at.key("unhealthy_threshold"), h.unhealthy_threshold, 3, 1, 100) as u32,
            healthy_threshold: cx.int_in(&at.key("healthy_threshold"), h.healthy_threshold, 2, 1, 100) as u32,
            restart: h.restart.unwrap_or(false),
        };
        if spec.interval.is_zero() {
            cx.error(
                &at.key("interval"),
                "'0s' would probe without pause",
                Some("use an interval such as \"10s\"".into()),
            );
        }
        if spec.timeout.is_zero() || spec.timeout > spec.interval {
            cx.error(
                &at.key("timeout"),
                format!("'{}' must be above zero and at most the interval '{}'", spec.timeout, spec.interval),
                None,
            );
        }
        spec
    });
    let rate_limit = raw.rate_limit.map(|r| {
        let rps = cx.positive(&at.key("rate_limit").key("rps"), Some(r.rps), 1.0);
        let burst = cx.float_in(&at.key("rate_limit").key("burst"), r.burst, rps.max(1.0), 1.0, f64::INFINITY);
        (rps, burst)
    });
    Some(BalancerSpec {
        algorithm,
        slow_start: cx.duration(&at.key("slow_start"), raw.slow_start.as_ref(), d.slow_start),
        deregistration_delay: cx.duration(
            &at.key("deregistration_delay"),
            raw.deregistration_delay.as_ref(),
            d.deregistration_delay,
        ),
        health_check,
        rate_limit,
        max_in_flight: raw.max_in_flight.map(|n| cx.int_in(&at.key("max_in_flight"), Some(n), 1, 1, u64::MAX)),
        queue: cx.int_in(&at.key("queue"), raw.queue, 0, 0, u32::MAX as u64),
    })
}
