//! `policy = "predictive"`: forecast the load from the same period one
//! cycle earlier and pre-scale ahead of it, with a reactive policy as the
//! floor that handles whatever the forecast misses.
//!
//! The forecast comes from the offered request rate the policy itself
//! observed through the metrics pipeline (`offered_rps`), recorded at every
//! evaluation: at time t the forecast is the largest rate seen in
//! `[t − cycle, t − cycle + lead]` ("yesterday, over the next `lead`"), and
//! the replicas it needs are `ceil(forecast / rps_per_replica)`. Nothing of
//! the run's future is read: during the first cycle there is no forecast
//! and only the reactive policy acts. Like AWS predictive scaling, the
//! forecast raises the group's **minimum** capacity ahead of time; the
//! reactive policy (e.g. an HPA, whose `minReplicas` it raises) can always
//! scale above it. Without a reactive policy the forecast sets the count.
//! Source: <https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-predictive-scaling.html>.

use std::collections::VecDeque;

use serde::Deserialize;
use toml::Value;

use super::{Decision, MetricName, Observation, PolicySpec, Reactive, Reading, ScalingPolicy, clamp};
use crate::engine::time::{SimDuration, SimTime};
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;

/// The predictive policy's fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "cycle",
        default: "required",
        doc: "the load's period (\"24h\" for a daily pattern): the forecast is one cycle ago",
    },
    FieldDoc {
        key: "lead",
        default: "\"10m\"",
        doc: "pre-scale this far ahead: cover the largest rate of the next lead one cycle ago (include the boot time and the metric lag)",
    },
    FieldDoc { key: "rps_per_replica", default: "required", doc: "the offered rate one replica should carry" },
    FieldDoc {
        key: "reactive",
        default: "none",
        doc: "the floor: a policy that reacts to the present, whose lower bound the forecast raises (a table with policy = \"...\"; an hpa may name a manifest)",
    },
    FieldDoc { key: "min_replicas", default: "1", doc: "lower bound (without a reactive policy)" },
    FieldDoc { key: "max_replicas", default: "10", doc: "upper bound (without a reactive policy)" },
    FieldDoc { key: "interval", default: "\"15s\"", doc: "time between evaluations (without a reactive policy)" },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    cycle: Value,
    lead: Option<Value>,
    rps_per_replica: f64,
    reactive: Option<Value>,
    min_replicas: Option<i64>,
    max_replicas: Option<i64>,
    interval: Option<Value>,
}

/// Configuration of [`Predictive`].
#[derive(Clone, Debug, PartialEq)]
pub struct PredictiveConfig {
    /// The load's period.
    pub cycle: SimDuration,
    /// How far ahead to pre-scale.
    pub lead: SimDuration,
    /// Offered rps per replica.
    pub rps_per_replica: f64,
    /// Bounds without a reactive policy.
    pub bounds: (u32, u32),
    /// Evaluation interval without a reactive policy.
    pub interval: SimDuration,
    /// The reactive floor.
    pub reactive: Option<Box<PolicySpec>>,
}

/// Validates the predictive policy's fields.
pub fn validate(cx: &mut Cx<'_>, at: &FieldPath, value: &Value, initial: u32) -> Option<PredictiveConfig> {
    let raw: Raw = cx.parse(at, value)?;
    let cycle = cx.duration(&at.key("cycle"), Some(&raw.cycle), SimDuration::from_secs(86_400));
    let lead = cx.duration(&at.key("lead"), raw.lead.as_ref(), SimDuration::from_secs(600));
    if cycle.is_zero() {
        cx.error(&at.key("cycle"), "'0s' is not a period", Some("use e.g. \"24h\"".into()));
    }
    if lead >= cycle {
        cx.error(
            &at.key("lead"),
            format!("'{lead}' is not shorter than the cycle '{cycle}'"),
            Some("a forecast must come from the past".into()),
        );
    }
    let rps_per_replica = cx.positive(&at.key("rps_per_replica"), Some(raw.rps_per_replica), 1.0);
    let reactive = match &raw.reactive {
        None => None,
        Some(v) => {
            for (key, given) in [
                ("min_replicas", raw.min_replicas.is_some()),
                ("max_replicas", raw.max_replicas.is_some()),
                ("interval", raw.interval.is_some()),
            ] {
                if given {
                    cx.error(
                        &at.key(key),
                        "applies only without a reactive policy",
                        Some("set it in [autoscaler.reactive]".into()),
                    );
                }
            }
            Some(Box::new(super::validate_nested(cx, &at.key("reactive"), v, initial)?))
        }
    };
    let bounds = (
        cx.int_in(&at.key("min_replicas"), raw.min_replicas, 1, 0, 100_000) as u32,
        cx.int_in(&at.key("max_replicas"), raw.max_replicas, 10, 1, 100_000) as u32,
    );
    let interval = cx.duration(&at.key("interval"), raw.interval.as_ref(), SimDuration::from_secs(15));
    if interval.is_zero() {
        cx.error(&at.key("interval"), "'0s' would evaluate without pause", Some("use e.g. \"15s\"".into()));
    }
    Some(PredictiveConfig { cycle, lead, rps_per_replica, bounds, interval, reactive })
}

/// A forecast from one cycle ago over a reactive floor.
pub struct Predictive {
    config: PredictiveConfig,
    reactive: Reactive,
    /// The bounds set by the scenario or an operator (the forecast only
    /// ever raises the lower one above this).
    base: (u32, u32),
    /// Offered rps seen at each evaluation, oldest first.
    history: VecDeque<(SimTime, f64)>,
}

impl Predictive {
    /// A policy with no history.
    pub fn new(config: PredictiveConfig) -> Predictive {
        let reactive = Reactive::new(config.reactive.as_deref());
        let base = config.reactive.as_ref().map_or(config.bounds, |r| r.bounds());
        Predictive { config, reactive, base, history: VecDeque::new() }
    }

    /// The largest rate seen in `[now − cycle, now − cycle + lead]`, if
    /// the history reaches that far back.
    pub fn forecast(&self, now: SimTime) -> Option<f64> {
        let start = now.as_nanos().checked_sub(self.config.cycle.as_nanos())?;
        let end = start + self.config.lead.as_nanos();
        self.history
            .iter()
            .filter(|(t, _)| t.as_nanos() >= start && t.as_nanos() <= end)
            .map(|(_, r)| *r)
            .reduce(f64::max)
    }
}

impl ScalingPolicy for Predictive {
    type Config = PredictiveConfig;

    fn interval(&self) -> SimDuration {
        self.reactive.interval(self.config.interval)
    }

    fn decide(&mut self, obs: &Observation<'_>) -> Decision {
        let now = obs.now;
        if let Some(r) = obs.fleet.offered_rps {
            self.history.push_back((now, r));
        }
        let keep_from = now.as_nanos().saturating_sub(self.config.cycle.as_nanos());
        while self.history.front().is_some_and(|(t, _)| t.as_nanos() < keep_from) {
            self.history.pop_front();
        }
        let c = &self.config;
        let forecast = self.forecast(now);
        let needed = forecast.map(|f| clamp((f / c.rps_per_replica).ceil() as u32, self.base));
        let why = match (forecast, needed) {
            (Some(f), Some(n)) => format!(
                "forecast {f:.0} rps (max one cycle ago over the next {}) / {} per replica → {n}",
                c.lead, c.rps_per_replica
            ),
            _ => "no forecast yet (less than one cycle of history)".to_string(),
        };
        let reading = forecast.map(|seen| Reading { metric: MetricName::ForecastRps, seen, target: c.rps_per_replica });
        match self.reactive.get_mut() {
            Some(r) => {
                let floor = needed.map_or(self.base.0, |n| n.max(self.base.0));
                r.set_bounds(Some(floor), Some(self.base.1));
                let mut d = r.decide(obs);
                d.reason = format!("{why}; floor {floor}; {}", d.reason);
                d
            }
            None => {
                let to = needed.unwrap_or_else(|| clamp(obs.desired, self.base));
                Decision { desired: to, reason: why, reading }
            }
        }
    }

    fn bounds(&self) -> (u32, u32) {
        self.base
    }

    fn set_bounds(&mut self, min: Option<u32>, max: Option<u32>) {
        self.base = (min.unwrap_or(self.base.0), max.unwrap_or(self.base.1));
        self.reactive.set_bounds(min, max);
    }

    fn reconfigure(&mut self, c: &PredictiveConfig) {
        self.reactive.reconfigure(c.reactive.as_deref());
        self.config = c.clone();
    }

    fn record_inputs(&self, out: &mut String, header: bool) {
        self.reactive.record_inputs(out, header);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::FleetMetrics;

    #[test]
    fn forecasts_from_one_cycle_ago_over_the_lead() {
        let config = PredictiveConfig {
            cycle: SimDuration::from_secs(100),
            lead: SimDuration::from_secs(20),
            rps_per_replica: 10.0,
            bounds: (1, 50),
            interval: SimDuration::from_secs(10),
            reactive: None,
        };
        let mut p = Predictive::new(config);
        // Day one: 50 rps, with a peak of 200 rps at 40 s.
        let mut last = None;
        for t in (0..=130).step_by(10) {
            let rps = if t == 40 { 200.0 } else { 50.0 };
            let fleet = FleetMetrics { offered_rps: Some(rps), ..Default::default() };
            let obs =
                Observation { now: SimTime::from_secs(t), desired: 5, current: 5, ready: 5, pods: &[], fleet: &fleet };
            let d = p.decide(&obs);
            if t < 100 {
                assert_eq!(d.desired, 5, "no forecast during the first cycle: {}", d.reason);
            }
            last = Some((t, d));
        }
        // At 120 s the window is [20, 40]: it holds yesterday's 200 rps peak
        // → 20 replicas, 20 s before the peak repeats; at 130 s, [30, 50].
        assert_eq!(p.forecast(SimTime::from_secs(120)), Some(200.0));
        let (t, d) = last.unwrap();
        assert_eq!((t, d.desired), (130, 20), "{}", d.reason);
        assert_eq!(p.forecast(SimTime::from_secs(150)), Some(50.0), "the peak has passed");
    }
}
