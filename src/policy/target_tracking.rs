//! `policy = "target_tracking"`: AWS EC2 Auto Scaling target tracking.
//! AWS manages two alarms per policy: a high one that scales out
//! proportionally as soon as it fires, and a low one, slower to fire, that
//! scales in gradually. Instances in their warm-up are left out of the
//! metric, count as capacity on scale-out (so breaches do not stack), and
//! block scale-in. With several policies the group scales out if any wants
//! to and in only if all (with scale-in enabled) agree.
//!
//! Sources: <https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html>,
//! <https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-default-instance-warmup.html>.
//! AWS does not publish its formula nor its alarms' datapoints; the model
//! here: scale-out to `ceil(capacity × metric / target)` when the last
//! `scale_out_datapoints` datapoints are all above the target; scale-in when
//! the last `scale_in_datapoints` are all below `scale_in_ratio × target`,
//! to `ceil(capacity × metric / target)` but by at most
//! `scale_in_max_fraction` of the capacity (at least one instance), after
//! which the low alarm needs a fresh set of datapoints. The defaults (3 and
//! 15 one-minute datapoints, 90%) are the commonly observed ones.

use serde::Deserialize;
use toml::Value;

use super::aws::{self, Aggregation, AlarmState, Metric};
use super::{Decision, Observation, Reading, ScalingPolicy, clamp};
use crate::engine::time::SimDuration;
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;

/// The target tracking policy's fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "metric",
        default: "\"cpu\"",
        doc: "cpu (ASGAverageCPUUtilization, 0.5 = 50%) | rps (ALBRequestCountPerTarget, per second) | in_flight (per instance) | backlog_per_instance (waiting requests per in-service instance)",
    },
    FieldDoc { key: "target", default: "required (unless policies)", doc: "the target value of metric" },
    FieldDoc { key: "disable_scale_in", default: "false", doc: "DisableScaleIn: this policy never scales in" },
    FieldDoc {
        key: "policies",
        default: "none",
        doc: "several target tracking policies on the group: [{ metric, target, disable_scale_in }, ...] (instead of metric/target); out if any wants, in only if all agree",
    },
    FieldDoc {
        key: "instance_warmup",
        default: "\"300s\"",
        doc: "DefaultInstanceWarmup: a launched instance's metrics are not counted, and scale-in waits, for this long",
    },
    FieldDoc { key: "period", default: "\"60s\"", doc: "metric period: one datapoint (and one evaluation) per period" },
    FieldDoc {
        key: "scale_out_datapoints",
        default: "3",
        doc: "the high alarm fires when this many consecutive datapoints are above the target",
    },
    FieldDoc {
        key: "scale_in_datapoints",
        default: "15",
        doc: "the low alarm fires when this many consecutive datapoints are below scale_in_ratio × target",
    },
    FieldDoc { key: "scale_in_ratio", default: "0.9", doc: "the low alarm's threshold, as a fraction of the target" },
    FieldDoc {
        key: "scale_in_max_fraction",
        default: "0.1",
        doc: "a scale-in removes at most this fraction of the capacity (at least one instance)",
    },
    FieldDoc { key: "min_replicas", default: "1", doc: "MinSize" },
    FieldDoc { key: "max_replicas", default: "10", doc: "MaxSize" },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    metric: Option<String>,
    target: f64,
    disable_scale_in: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    metric: Option<String>,
    target: Option<f64>,
    disable_scale_in: Option<bool>,
    policies: Option<Vec<RawTarget>>,
    instance_warmup: Option<Value>,
    period: Option<Value>,
    scale_out_datapoints: Option<i64>,
    scale_in_datapoints: Option<i64>,
    scale_in_ratio: Option<f64>,
    scale_in_max_fraction: Option<f64>,
    min_replicas: Option<i64>,
    max_replicas: Option<i64>,
}

/// One target tracking policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// The metric.
    pub metric: Metric,
    /// Its target value.
    pub target: f64,
    /// `DisableScaleIn`.
    pub disable_scale_in: bool,
}

/// Configuration of [`TargetTracking`].
#[derive(Clone, Debug, PartialEq)]
pub struct TargetTrackingConfig {
    /// The policies on the group.
    pub targets: Vec<Target>,
    /// Instance warm-up.
    pub warmup: SimDuration,
    /// Metric period (evaluation interval).
    pub period: SimDuration,
    /// Datapoints the high alarm needs.
    pub out_datapoints: u32,
    /// Datapoints the low alarm needs.
    pub in_datapoints: u32,
    /// Low alarm threshold / target.
    pub in_ratio: f64,
    /// Largest scale-in step, as a fraction of capacity.
    pub in_max_fraction: f64,
    /// MinSize.
    pub min: u32,
    /// MaxSize.
    pub max: u32,
}

/// Validates the target tracking policy's fields.
pub fn validate(cx: &mut Cx<'_>, at: &FieldPath, value: &Value) -> Option<TargetTrackingConfig> {
    let raw: Raw = cx.parse(at, value)?;
    let mut targets = Vec::new();
    let mut add = |cx: &mut Cx<'_>, at: &FieldPath, metric: Option<&str>, target: f64, disable: Option<bool>| {
        let m = Metric::parse(cx, &at.key("metric"), metric, Metric::Cpu);
        if !m.proportional() {
            cx.error(
                &at.key("metric"),
                format!("'{}' does not fall as instances are added", m.name()),
                Some("target tracking needs a per-instance metric: cpu, rps, in_flight or backlog_per_instance".into()),
            );
        }
        if target.is_nan() || target <= 0.0 {
            cx.error(&at.key("target"), format!("'{target}' must be greater than zero"), None);
        }
        targets.push(Target { metric: m, target, disable_scale_in: disable.unwrap_or(false) });
    };
    match (&raw.policies, raw.target) {
        (Some(list), None) if raw.metric.is_none() && raw.disable_scale_in.is_none() && !list.is_empty() => {
            for (i, p) in list.iter().enumerate() {
                add(cx, &at.key("policies").index(i), p.metric.as_deref(), p.target, p.disable_scale_in);
            }
        }
        (None, Some(t)) => add(cx, at, raw.metric.as_deref(), t, raw.disable_scale_in),
        _ => {
            cx.error(
                at,
                "give either metric and target (one policy) or a non-empty policies list",
                Some("e.g. metric = \"cpu\"\ntarget = 0.5".into()),
            );
            return None;
        }
    }
    let c = TargetTrackingConfig {
        targets,
        warmup: cx.duration(&at.key("instance_warmup"), raw.instance_warmup.as_ref(), SimDuration::from_secs(300)),
        period: cx.duration(&at.key("period"), raw.period.as_ref(), SimDuration::from_secs(60)),
        out_datapoints: cx.int_in(&at.key("scale_out_datapoints"), raw.scale_out_datapoints, 3, 1, 1000) as u32,
        in_datapoints: cx.int_in(&at.key("scale_in_datapoints"), raw.scale_in_datapoints, 15, 1, 1000) as u32,
        in_ratio: cx.float_in(&at.key("scale_in_ratio"), raw.scale_in_ratio, 0.9, 0.0, 1.0),
        in_max_fraction: cx.float_in(&at.key("scale_in_max_fraction"), raw.scale_in_max_fraction, 0.1, 0.0, 1.0),
        min: cx.int_in(&at.key("min_replicas"), raw.min_replicas, 1, 0, 100_000) as u32,
        max: cx.int_in(&at.key("max_replicas"), raw.max_replicas, 10, 1, 100_000) as u32,
    };
    if c.period.is_zero() {
        cx.error(&at.key("period"), "'0s' is not a period", Some("use e.g. \"60s\"".into()));
    }
    aws::check_bounds(cx, at, c.min, c.max);
    Some(c)
}

/// The high and low alarms of one policy.
#[derive(Clone, Debug, Default)]
struct Alarms {
    high: AlarmState,
    low: AlarmState,
}

/// AWS target tracking.
pub struct TargetTracking {
    config: TargetTrackingConfig,
    alarms: Vec<Alarms>,
}

impl TargetTracking {
    /// A policy with no datapoints yet.
    pub fn new(config: TargetTrackingConfig) -> TargetTracking {
        let alarms = vec![Alarms::default(); config.targets.len()];
        TargetTracking { config, alarms }
    }
}

impl ScalingPolicy for TargetTracking {
    type Config = TargetTrackingConfig;

    fn interval(&self) -> SimDuration {
        self.config.period
    }

    fn decide(&mut self, obs: &Observation<'_>) -> Decision {
        let c = &self.config;
        let capacity = obs.desired;
        let bounds = (c.min, c.max);
        let warming = aws::warming_count(obs, c.warmup);
        let mut outs: Vec<(u32, String)> = Vec::new();
        let mut ins: Vec<Option<(u32, String)>> = Vec::new();
        let mut notes = Vec::new();
        let mut reading = None;
        for (t, a) in c.targets.iter().zip(&mut self.alarms) {
            let high = aws::Alarm {
                above: true,
                threshold: t.target,
                datapoints: c.out_datapoints,
                evaluation_periods: c.out_datapoints,
            };
            let low = aws::Alarm {
                above: false,
                threshold: t.target * c.in_ratio,
                datapoints: c.in_datapoints,
                evaluation_periods: c.in_datapoints,
            };
            let value = aws::read(t.metric, Aggregation::Average, obs, c.warmup);
            // The high alarm uses "greater than" the target, not "or equal".
            let high_fires = a.high.push(&high, value.filter(|v| *v > t.target));
            let low_fires = a.low.push(&low, value);
            let (m, show) = (t.metric.name(), |x| t.metric.show(x));
            reading = reading.or(value.map(|seen| Reading { metric: t.metric.reading(), seen, target: t.target }));
            let Some(v) = value else {
                notes.push(format!("{m}: no datapoint (instances warming or not sampled)"));
                ins.push(None);
                continue;
            };
            let proportional = (f64::from(capacity) * v / t.target).ceil().max(0.0) as u32;
            if high_fires {
                outs.push((
                    proportional,
                    format!(
                        "{m} {} > target {} for {} datapoints → ceil({capacity} × {}/{}) = {proportional}",
                        show(v),
                        show(t.target),
                        c.out_datapoints,
                        show(v),
                        show(t.target)
                    ),
                ));
                ins.push(None);
            } else if low_fires && !t.disable_scale_in {
                let step = ((f64::from(capacity) * c.in_max_fraction).floor() as u32).max(1);
                let to = proportional.max(capacity.saturating_sub(step));
                ins.push(Some((
                    to,
                    format!(
                        "{m} {} < {} for {} datapoints → {proportional}, at most {step} per scale-in → {to}",
                        show(v),
                        show(t.target * c.in_ratio),
                        c.in_datapoints
                    ),
                )));
            } else if t.disable_scale_in {
                notes.push(format!("{m} {} (scale-in disabled)", show(v)));
            } else {
                notes.push(format!(
                    "{m} {} vs target {} (high {}/{}, low {}/{} datapoints)",
                    show(v),
                    show(t.target),
                    a.high.breaching(),
                    c.out_datapoints,
                    a.low.breaching(),
                    c.in_datapoints
                ));
                ins.push(None);
            }
        }
        let hold = |reason: String| Decision { desired: clamp(capacity, bounds), reason, reading };
        if let Some((to, why)) = outs.iter().max_by_key(|(n, _)| *n).cloned() {
            let to = clamp(to, bounds);
            if to > capacity {
                let warm =
                    if warming > 0 { format!(" ({warming} warming counted as capacity)") } else { String::new() };
                return Decision {
                    desired: to, reason: format!("{why}{warm}; scale out {capacity} → {to}"), reading
                };
            }
            return hold(format!("{why}; already {capacity}"));
        }
        let voting: Vec<&Option<(u32, String)>> = ins.iter().collect();
        if !voting.is_empty() && voting.iter().all(|v| v.is_some()) {
            let (to, why) =
                voting.iter().filter_map(|v| v.as_ref()).max_by_key(|(n, _)| *n).cloned().unwrap_or_default();
            let to = clamp(to, bounds);
            if warming > 0 {
                return hold(format!("{why}; scale-in blocked: {warming} instance(s) warming up"));
            }
            if to < capacity {
                for a in &mut self.alarms {
                    a.low.reset();
                }
                return Decision { desired: to, reason: format!("{why}; scale in {capacity} → {to}"), reading };
            }
            return hold(format!("{why}; at {capacity}"));
        }
        hold(if notes.is_empty() { format!("holding at {capacity}") } else { notes.join(", ") })
    }

    fn bounds(&self) -> (u32, u32) {
        (self.config.min, self.config.max)
    }

    fn set_bounds(&mut self, min: Option<u32>, max: Option<u32>) {
        self.config.min = min.unwrap_or(self.config.min);
        self.config.max = max.unwrap_or(self.config.max);
    }

    fn reconfigure(&mut self, c: &TargetTrackingConfig) {
        if c.targets.len() != self.alarms.len() {
            self.alarms = vec![Alarms::default(); c.targets.len()];
        }
        self.config = c.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::SimTime;
    use crate::model::metrics::MetricSample;
    use crate::policy::{FleetMetrics, PodPhase, PodView};

    fn pods(n: u32, cpu: f64, rps: f64, created: u64) -> Vec<PodView> {
        let s = |v| Some(MetricSample { value: v, timestamp: SimTime::ZERO, window: SimDuration::from_secs(60) });
        (0..n)
            .map(|id| PodView {
                id,
                phase: PodPhase::Running,
                ready: true,
                ready_transition: SimTime::ZERO,
                created: SimTime::from_secs(created),
                start_time: Some(SimTime::ZERO),
                deleting: false,
                cpu_request_milli: 1000,
                cpu_milli: s(cpu * 1000.0),
                rps: s(rps),
                in_flight: None,
            })
            .collect()
    }

    fn policy() -> TargetTracking {
        TargetTracking::new(TargetTrackingConfig {
            targets: vec![
                Target { metric: Metric::Cpu, target: 0.5, disable_scale_in: false },
                Target { metric: Metric::Rps, target: 100.0, disable_scale_in: false },
            ],
            warmup: SimDuration::from_secs(300),
            period: SimDuration::from_secs(60),
            out_datapoints: 1,
            in_datapoints: 1,
            in_ratio: 0.9,
            in_max_fraction: 0.1,
            min: 1,
            max: 100,
        })
    }

    fn decide(p: &mut TargetTracking, t: u64, pods: &[PodView]) -> Decision {
        let fleet = FleetMetrics::default();
        let n = pods.len() as u32;
        p.decide(&Observation { now: SimTime::from_secs(t), desired: n, current: n, ready: n, pods, fleet: &fleet })
    }

    #[test]
    fn out_if_any_policy_wants_it_in_only_if_all_agree() {
        let mut p = policy();
        // CPU 80% vs 50% wants ceil(10 × 0.8/0.5) = 16; rps 50 vs 100 wants in.
        let d = decide(&mut p, 1000, &pods(10, 0.8, 50.0, 0));
        assert_eq!(d.desired, 16, "{}", d.reason);
        // CPU low (20% < 45%) but rps at its target: no scale-in.
        let d = decide(&mut p, 1060, &pods(10, 0.2, 100.0, 0));
        assert_eq!(d.desired, 10, "{}", d.reason);
        // Both low: in, by at most 10% of 10 = 1.
        let d = decide(&mut p, 1120, &pods(10, 0.2, 20.0, 0));
        assert_eq!(d.desired, 9, "{}", d.reason);
    }

    #[test]
    fn warming_instances_are_out_of_the_metric_and_block_scale_in() {
        let mut p = policy();
        // 8 warm pods at 20% CPU / 20 rps and 2 launched 100 s ago (warming,
        // at 100% CPU): the metric is the warm pods' alone, and although
        // both alarms are low, scale-in waits for the warm-up.
        let mut all = pods(8, 0.2, 20.0, 0);
        all.extend(pods(2, 1.0, 20.0, 900).into_iter().map(|mut v| {
            v.id += 8;
            v
        }));
        let d = decide(&mut p, 1000, &all);
        assert_eq!(d.desired, 10, "{}", d.reason);
        assert!(d.reason.contains("scale-in blocked: 2 instance(s) warming up"), "{}", d.reason);
        let seen = d.reading.map_or(0.0, |r| r.seen);
        assert!((seen - 0.2).abs() < 1e-9, "warming pods left out of the metric: {seen}");
    }
}
