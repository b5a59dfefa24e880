//! `policy = "threshold"`: the textbook rule — add `step` replicas when the
//! metric is above `scale_up_above`, remove `step` when below
//! `scale_down_below`, optionally wait `cooldown` after each change. With a
//! narrow band and no cooldown it flaps; that is what it is here to show.

use serde::Deserialize;
use strum::IntoEnumIterator;
use toml::Value;

use super::{Decision, FleetMetrics, MetricName, Observation, Reading, ScalingPolicy};
use crate::engine::time::{SimDuration, SimTime};
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;

/// The threshold policy's fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "metric",
        default: "\"cpu\"",
        doc: "cpu (utilization, 0.7 = 70%) | rps (per instance) | in_flight (per instance) | latency_p95 (milliseconds) | queue (waiting requests)",
    },
    FieldDoc { key: "scale_up_above", default: "required", doc: "add step replicas when the metric is above this" },
    FieldDoc {
        key: "scale_down_below",
        default: "required",
        doc: "remove step replicas when the metric is below this",
    },
    FieldDoc { key: "step", default: "1", doc: "replicas added or removed per decision" },
    FieldDoc { key: "cooldown", default: "\"0s\"", doc: "no decision takes effect this soon after the last change" },
    FieldDoc { key: "interval", default: "\"15s\"", doc: "time between evaluations" },
    FieldDoc { key: "min_replicas", default: "1", doc: "lower bound" },
    FieldDoc { key: "max_replicas", default: "10", doc: "upper bound" },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    metric: Option<String>,
    scale_up_above: f64,
    scale_down_below: f64,
    step: Option<i64>,
    cooldown: Option<Value>,
    interval: Option<Value>,
    min_replicas: Option<i64>,
    max_replicas: Option<i64>,
}

/// Metrics a simple policy can watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumIter, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Metric {
    /// CPU utilization (usage / request).
    Cpu,
    /// Requests per second per instance.
    Rps,
    /// Requests in flight per instance.
    InFlight,
    /// p95 latency, milliseconds.
    LatencyP95,
    /// Requests waiting.
    Queue,
}

impl Metric {
    /// Its name in files and reasons.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Its name in a policy's reading.
    pub fn reading(self) -> MetricName {
        match self {
            Metric::Cpu => MetricName::Cpu,
            Metric::Rps => MetricName::Rps,
            Metric::InFlight => MetricName::InFlight,
            Metric::LatencyP95 => MetricName::LatencyP95,
            Metric::Queue => MetricName::Queue,
        }
    }

    /// Its value in `m`, if sampled.
    pub fn read(self, m: &FleetMetrics) -> Option<f64> {
        match self {
            Metric::Cpu => m.cpu_utilization,
            Metric::Rps => m.rps_per_instance,
            Metric::InFlight => m.in_flight_per_instance,
            Metric::LatencyP95 => m.latency_p95_ms,
            Metric::Queue => m.queue,
        }
    }

    /// `x` formatted for a reason line.
    pub fn show(self, x: f64) -> String {
        match self {
            Metric::Cpu => format!("{:.1}%", x * 100.0),
            Metric::LatencyP95 => format!("{x:.0}ms"),
            _ => format!("{x:.1}"),
        }
    }
}

/// Configuration of [`Threshold`].
#[derive(Clone, Debug, PartialEq)]
pub struct ThresholdConfig {
    /// Watched metric.
    pub metric: Metric,
    /// Upper threshold.
    pub up: f64,
    /// Lower threshold.
    pub down: f64,
    /// Replicas per step.
    pub step: u32,
    /// Pause after a change.
    pub cooldown: SimDuration,
    /// Evaluation period.
    pub interval: SimDuration,
    /// Lower bound.
    pub min: u32,
    /// Upper bound.
    pub max: u32,
}

/// Validates the threshold policy's fields.
pub fn validate(cx: &mut Cx<'_>, at: &FieldPath, value: &Value) -> Option<ThresholdConfig> {
    let raw: Raw = cx.parse(at, value)?;
    let names: Vec<&str> = Metric::iter().map(Metric::name).collect();
    let metric = cx.choice(&at.key("metric"), raw.metric.as_deref(), "cpu", &names).parse().unwrap_or(Metric::Cpu);
    let c = ThresholdConfig {
        metric,
        up: raw.scale_up_above,
        down: raw.scale_down_below,
        step: cx.int_in(&at.key("step"), raw.step, 1, 1, 10_000) as u32,
        cooldown: cx.duration(&at.key("cooldown"), raw.cooldown.as_ref(), SimDuration::ZERO),
        interval: cx.duration(&at.key("interval"), raw.interval.as_ref(), SimDuration::from_secs(15)),
        min: cx.int_in(&at.key("min_replicas"), raw.min_replicas, 1, 0, 100_000) as u32,
        max: cx.int_in(&at.key("max_replicas"), raw.max_replicas, 10, 1, 100_000) as u32,
    };
    if c.down >= c.up {
        cx.error(
            &at.key("scale_down_below"),
            format!("'{}' is not below scale_up_above '{}'", c.down, c.up),
            Some("the band between the thresholds is the hysteresis; make scale_down_below < scale_up_above".into()),
        );
    }
    if c.down < 0.0 {
        cx.error(&at.key("scale_down_below"), format!("'{}' is negative", c.down), None);
    }
    if c.min > c.max {
        cx.error(
            &at.key("min_replicas"),
            format!("min_replicas '{}' is greater than max_replicas '{}'", c.min, c.max),
            Some("make min_replicas ≤ max_replicas".into()),
        );
    }
    if c.interval.is_zero() {
        cx.error(&at.key("interval"), "'0s' would evaluate without pause", Some("use e.g. \"15s\"".into()));
    }
    Some(c)
}

/// The threshold policy.
pub struct Threshold {
    config: ThresholdConfig,
    last_change: Option<SimTime>,
}

impl Threshold {
    /// A threshold policy.
    pub fn new(config: ThresholdConfig) -> Threshold {
        Threshold { config, last_change: None }
    }
}

impl ScalingPolicy for Threshold {
    type Config = ThresholdConfig;

    fn interval(&self) -> SimDuration {
        self.config.interval
    }

    fn decide(&mut self, obs: &Observation<'_>) -> Decision {
        let c = &self.config;
        let current = obs.desired;
        let hold =
            |reason: String, reading| Decision { desired: current.clamp(c.min, c.max.max(c.min)), reason, reading };
        let Some(seen) = c.metric.read(obs.fleet) else {
            return hold(format!("no {} samples yet; holding at {current}", c.metric.name()), None);
        };
        let m = c.metric;
        // The target a threshold policy defends is its scale-up threshold.
        let (bound, wanted, rel) = if seen > c.up {
            (c.up, current.saturating_add(c.step), ">")
        } else if seen < c.down {
            (c.down, current.saturating_sub(c.step), "<")
        } else {
            let reading = Reading { metric: m.reading(), seen, target: c.up };
            return hold(
                format!(
                    "{} {} within [{}, {}]; holding at {current}",
                    m.name(),
                    m.show(seen),
                    m.show(c.down),
                    m.show(c.up)
                ),
                Some(reading),
            );
        };
        let reading = Some(Reading { metric: m.reading(), seen, target: c.up });
        let bounded = wanted.clamp(c.min, c.max.max(c.min));
        if let Some(t) = self.last_change.filter(|t| obs.now < *t + c.cooldown) {
            let left = ((t + c.cooldown) - obs.now).as_secs_f64().ceil();
            return hold(
                format!(
                    "{} {} {rel} {}, but in cooldown for {left}s more; holding at {current}",
                    m.name(),
                    m.show(seen),
                    m.show(bound)
                ),
                reading,
            );
        }
        if bounded == current {
            let limit = if rel == ">" { "max" } else { "min" };
            return hold(
                format!("{} {} {rel} {}, but at {limit} {current}", m.name(), m.show(seen), m.show(bound)),
                reading,
            );
        }
        self.last_change = Some(obs.now);
        Decision {
            desired: bounded,
            reason: format!("{} {} {rel} {} → {bounded}", m.name(), m.show(seen), m.show(bound)),
            reading,
        }
    }

    fn bounds(&self) -> (u32, u32) {
        (self.config.min, self.config.max)
    }

    fn set_bounds(&mut self, min: Option<u32>, max: Option<u32>) {
        self.config.min = min.unwrap_or(self.config.min);
        self.config.max = max.unwrap_or(self.config.max);
    }

    fn reconfigure(&mut self, c: &ThresholdConfig) {
        self.config = c.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ThresholdConfig {
        ThresholdConfig {
            metric: Metric::Cpu,
            up: 0.7,
            down: 0.4,
            step: 1,
            cooldown: SimDuration::from_secs(60),
            interval: SimDuration::from_secs(15),
            min: 1,
            max: 5,
        }
    }

    fn decide(p: &mut Threshold, now_s: u64, desired: u32, cpu: Option<f64>) -> Decision {
        let fleet = FleetMetrics { cpu_utilization: cpu, ..Default::default() };
        let obs = Observation {
            now: SimTime::from_secs(now_s),
            desired,
            current: desired,
            ready: desired,
            pods: &[],
            fleet: &fleet,
        };
        p.decide(&obs)
    }

    #[test]
    fn steps_up_and_down_and_respects_cooldown_and_bounds() {
        let mut p = Threshold::new(config());
        let d = decide(&mut p, 0, 2, Some(0.9));
        assert_eq!((d.desired, d.reason.as_str()), (3, "cpu 90.0% > 70.0% → 3"));
        let d = decide(&mut p, 30, 3, Some(0.9));
        assert_eq!(d.desired, 3);
        assert!(d.reason.contains("cooldown for 30s more"), "{}", d.reason);
        assert_eq!(decide(&mut p, 60, 3, Some(0.2)).desired, 2);
        assert_eq!(decide(&mut p, 200, 2, Some(0.5)).desired, 2);
        assert!(decide(&mut p, 300, 5, Some(0.95)).reason.contains("at max 5"));
        assert!(decide(&mut p, 400, 2, None).reason.starts_with("no cpu samples"));
    }
}
