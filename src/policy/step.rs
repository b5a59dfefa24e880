//! `policy = "step"`: AWS EC2 Auto Scaling step scaling. You own the
//! alarms (threshold, M of N datapoints); when one is in ALARM its policy
//! picks the step adjustment whose bounds, relative to the threshold,
//! contain the breach, and applies it — again at every evaluation while the
//! alarm holds. Above the threshold a step is `[lower, upper)`, below it
//! `(lower, upper]`; a missing bound is ∓∞.
//!
//! Warm-up, as EC2 Auto Scaling does it for step policies (no cooldown):
//! instances in warm-up are left out of the metric; on scale-out they count
//! toward the adjustment, so a second breach in the same step adds nothing
//! and a breach in a higher step adds only the difference
//! (`desired = max(capacity, capacity − warming + adjustment)`); scale-in
//! waits until no instance is warming.
//!
//! Sources: <https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html>,
//! <https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_StepAdjustment.html>.

use serde::Deserialize;
use toml::Value;

use super::aws::{self, AdjustmentType, Aggregation, Alarm, AlarmState, Metric, RawAlarm};
use super::{Decision, Observation, Reading, ScalingPolicy, clamp};
use crate::engine::time::SimDuration;
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;

/// The step policy's fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "metric",
        default: "\"cpu\"",
        doc: "cpu (0.7 = 70%) | rps | in_flight (per instance) | latency_p95 (ms) | queue (waiting requests) | backlog_per_instance",
    },
    FieldDoc {
        key: "aggregation",
        default: "\"Average\"",
        doc: "MetricAggregationType across instances: Average | Minimum | Maximum",
    },
    FieldDoc {
        key: "scale_out",
        default: "none",
        doc: "{ threshold, datapoints = evaluation_periods, evaluation_periods = 1, adjustment_type = \"ChangeInCapacity\", min_adjustment_magnitude = 0, steps = [{ lower = 0, upper, adjustment }, ...] }: an alarm at metric ≥ threshold and its steps; bounds are relative to the threshold, the first lower bound is 0, steps are contiguous, the last has no upper",
    },
    FieldDoc {
        key: "scale_in",
        default: "none",
        doc: "the same for metric ≤ threshold: bounds ≤ 0, the last upper bound is 0, the first step has no lower; adjustments negative",
    },
    FieldDoc {
        key: "instance_warmup",
        default: "\"300s\"",
        doc: "EstimatedInstanceWarmup: launched instances are not in the metric, count toward scale-outs, and block scale-in for this long",
    },
    FieldDoc { key: "period", default: "\"60s\"", doc: "alarm period: one datapoint (and one evaluation) per period" },
    FieldDoc { key: "min_replicas", default: "1", doc: "MinSize" },
    FieldDoc { key: "max_replicas", default: "10", doc: "MaxSize" },
];

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawStep {
    lower: Option<f64>,
    upper: Option<f64>,
    adjustment: i64,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    threshold: f64,
    datapoints: Option<i64>,
    evaluation_periods: Option<i64>,
    adjustment_type: Option<String>,
    min_adjustment_magnitude: Option<i64>,
    steps: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    metric: Option<String>,
    aggregation: Option<String>,
    scale_out: Option<RawPolicy>,
    scale_in: Option<RawPolicy>,
    instance_warmup: Option<Value>,
    period: Option<Value>,
    min_replicas: Option<i64>,
    max_replicas: Option<i64>,
}

/// One `StepAdjustment`.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// `MetricIntervalLowerBound` (None = −∞).
    pub lower: Option<f64>,
    /// `MetricIntervalUpperBound` (None = +∞).
    pub upper: Option<f64>,
    /// `ScalingAdjustment`.
    pub adjustment: i64,
}

/// A step scaling policy with its alarm.
#[derive(Clone, Debug, PartialEq)]
pub struct StepPolicy {
    /// The alarm.
    pub alarm: Alarm,
    /// `AdjustmentType`.
    pub adjustment_type: AdjustmentType,
    /// `MinAdjustmentMagnitude`.
    pub min_magnitude: u32,
    /// Step adjustments, lowest first.
    pub steps: Vec<Step>,
}

impl StepPolicy {
    /// The step containing `breach = metric − threshold`.
    pub fn step_for(&self, breach: f64) -> Option<&Step> {
        let above = self.alarm.above;
        self.steps.iter().find(|s| {
            let lo = s.lower.unwrap_or(f64::NEG_INFINITY);
            let hi = s.upper.unwrap_or(f64::INFINITY);
            if above { lo <= breach && breach < hi } else { lo < breach && breach <= hi }
        })
    }
}

/// Configuration of [`StepScaling`].
#[derive(Clone, Debug, PartialEq)]
pub struct StepConfig {
    /// The metric.
    pub metric: Metric,
    /// Aggregation across instances.
    pub aggregation: Aggregation,
    /// Scale-out policy.
    pub scale_out: Option<StepPolicy>,
    /// Scale-in policy.
    pub scale_in: Option<StepPolicy>,
    /// Instance warm-up.
    pub warmup: SimDuration,
    /// Alarm period.
    pub period: SimDuration,
    /// MinSize.
    pub min: u32,
    /// MaxSize.
    pub max: u32,
}

fn policy(cx: &mut Cx<'_>, at: &FieldPath, raw: &RawPolicy, above: bool) -> StepPolicy {
    let alarm = aws::alarm(
        cx,
        at,
        &RawAlarm { threshold: raw.threshold, datapoints: raw.datapoints, evaluation_periods: raw.evaluation_periods },
        above,
    );
    let adjustment_type = AdjustmentType::parse(cx, &at.key("adjustment_type"), raw.adjustment_type.as_deref());
    let min_magnitude =
        cx.int_in(&at.key("min_adjustment_magnitude"), raw.min_adjustment_magnitude, 0, 0, 100_000) as u32;
    let mut steps: Vec<Step> =
        raw.steps.iter().map(|s| Step { lower: s.lower, upper: s.upper, adjustment: s.adjustment }).collect();
    steps.sort_by(|a, b| a.lower.unwrap_or(f64::NEG_INFINITY).total_cmp(&b.lower.unwrap_or(f64::NEG_INFINITY)));
    let path = at.key("steps");
    let hint = if above {
        "scale-out steps: the first lower = 0, each upper = the next lower, the last without upper, e.g. [{ lower = 0, upper = 0.1, adjustment = 1 }, { lower = 0.1, adjustment = 3 }]"
    } else {
        "scale-in steps: the first without lower, each upper = the next lower, the last upper = 0, e.g. [{ upper = 0, adjustment = -1 }]"
    };
    let bad = |cx: &mut Cx<'_>, msg: String| cx.error(&path, msg, Some(hint.to_string()));
    if steps.is_empty() {
        bad(cx, "no steps".into());
    }
    for (i, pair) in steps.windows(2).enumerate() {
        if pair[0].upper != pair[1].lower || pair[0].upper.is_none() {
            bad(cx, format!("steps {} and {} overlap or leave a gap", i, i + 1));
        }
    }
    for (i, s) in steps.iter().enumerate() {
        if let (Some(l), Some(u)) = (s.lower, s.upper)
            && l >= u
        {
            bad(cx, format!("step {i}: lower '{l}' is not below upper '{u}'"));
        }
        let wrong_sign = if above { s.adjustment < 0 } else { s.adjustment > 0 };
        if wrong_sign && adjustment_type != AdjustmentType::ExactCapacity {
            let dir = if above { "scale-out" } else { "scale-in" };
            bad(cx, format!("step {i}: adjustment '{}' goes the wrong way for a {dir} policy", s.adjustment));
        }
    }
    if let (Some(first), Some(last)) = (steps.first(), steps.last()) {
        if above && (first.lower != Some(0.0) || last.upper.is_some()) {
            bad(cx, "a scale-out policy's steps must start at lower = 0 and end without an upper bound".into());
        }
        if !above && (last.upper != Some(0.0) || first.lower.is_some()) {
            bad(cx, "a scale-in policy's steps must end at upper = 0 and start without a lower bound".into());
        }
    }
    StepPolicy { alarm, adjustment_type, min_magnitude, steps }
}

/// Validates the step policy's fields.
pub fn validate(cx: &mut Cx<'_>, at: &FieldPath, value: &Value) -> Option<StepConfig> {
    let raw: Raw = cx.parse(at, value)?;
    if raw.scale_out.is_none() && raw.scale_in.is_none() {
        cx.error(
            at,
            "no scale_out or scale_in policy",
            Some("give scale_out = { threshold, steps } (and/or scale_in)".into()),
        );
        return None;
    }
    let c = StepConfig {
        metric: Metric::parse(cx, &at.key("metric"), raw.metric.as_deref(), Metric::Cpu),
        aggregation: match cx.choice(
            &at.key("aggregation"),
            raw.aggregation.as_deref(),
            "Average",
            &["Average", "Minimum", "Maximum"],
        ) {
            "Minimum" => Aggregation::Minimum,
            "Maximum" => Aggregation::Maximum,
            _ => Aggregation::Average,
        },
        scale_out: raw.scale_out.as_ref().map(|p| policy(cx, &at.key("scale_out"), p, true)),
        scale_in: raw.scale_in.as_ref().map(|p| policy(cx, &at.key("scale_in"), p, false)),
        warmup: cx.duration(&at.key("instance_warmup"), raw.instance_warmup.as_ref(), SimDuration::from_secs(300)),
        period: cx.duration(&at.key("period"), raw.period.as_ref(), SimDuration::from_secs(60)),
        min: cx.int_in(&at.key("min_replicas"), raw.min_replicas, 1, 0, 100_000) as u32,
        max: cx.int_in(&at.key("max_replicas"), raw.max_replicas, 10, 1, 100_000) as u32,
    };
    let threshold = |p: &Option<StepPolicy>| p.as_ref().map(|p| p.alarm.threshold);
    aws::check_alarms(cx, at, threshold(&c.scale_out), threshold(&c.scale_in), c.period);
    aws::check_bounds(cx, at, c.min, c.max);
    Some(c)
}

/// AWS step scaling.
pub struct StepScaling {
    config: StepConfig,
    out: AlarmState,
    in_: AlarmState,
}

impl StepScaling {
    /// A policy with no datapoints yet.
    pub fn new(config: StepConfig) -> StepScaling {
        StepScaling { config, out: AlarmState::default(), in_: AlarmState::default() }
    }
}

impl ScalingPolicy for StepScaling {
    type Config = StepConfig;

    fn interval(&self) -> SimDuration {
        self.config.period
    }

    fn decide(&mut self, obs: &Observation<'_>) -> Decision {
        let c = &self.config;
        let capacity = obs.desired;
        let bounds = (c.min, c.max);
        let warming = aws::warming_count(obs, c.warmup);
        let value = aws::read(c.metric, c.aggregation, obs, c.warmup);
        let m = c.metric;
        let out_alarm = c.scale_out.as_ref().is_some_and(|p| self.out.push(&p.alarm, value));
        let in_alarm = c.scale_in.as_ref().is_some_and(|p| self.in_.push(&p.alarm, value));
        let threshold = c.scale_out.as_ref().or(c.scale_in.as_ref()).map_or(0.0, |p| p.alarm.threshold);
        let reading = value.map(|seen| Reading { metric: m.reading(), seen, target: threshold });
        let hold = |reason: String| Decision { desired: clamp(capacity, bounds), reason, reading };
        let Some(v) = value else {
            return hold(format!("{}: no datapoint; holding at {capacity}", m.name()));
        };
        let (policy, alarm_fired) = match (&c.scale_out, &c.scale_in) {
            (Some(p), _) if out_alarm => (p, true),
            (_, Some(p)) if in_alarm => (p, false),
            _ => return hold(format!("{} {}: no alarm; holding at {capacity}", m.name(), m.show(v))),
        };
        let t = policy.alarm.threshold;
        let rel = if alarm_fired { "≥" } else { "≤" };
        let Some(step) = policy.step_for(v - t) else {
            return hold(format!(
                "{} {} {rel} {}: no step covers it; holding at {capacity}",
                m.name(),
                m.show(v),
                m.show(t)
            ));
        };
        let how = policy.adjustment_type.show(step.adjustment);
        let why = format!(
            "{} {} {rel} {} ({} of {} datapoints), step {how}",
            m.name(),
            m.show(v),
            m.show(t),
            policy.alarm.datapoints,
            policy.alarm.evaluation_periods
        );
        if alarm_fired {
            // Warming instances count toward the adjustment.
            let base = capacity.saturating_sub(warming);
            let wanted =
                policy.adjustment_type.apply(base, step.adjustment, policy.min_magnitude).clamp(0, i64::from(u32::MAX))
                    as u32;
            let to = clamp(wanted.max(capacity), bounds);
            if to > capacity {
                let from_base = if warming > 0 { format!(" on {base} not warming") } else { String::new() };
                return Decision {
                    desired: to,
                    reason: format!("{why}{from_base}; scale out {capacity} → {to}"),
                    reading,
                };
            }
            let note = if warming > 0 { format!(" ({warming} warming count toward it)") } else { String::new() };
            return hold(format!("{why}: already {capacity}{note}"));
        }
        if warming > 0 {
            return hold(format!("{why}; scale-in blocked: {warming} instance(s) warming up"));
        }
        let to = clamp(
            policy.adjustment_type.apply(capacity, step.adjustment, policy.min_magnitude).clamp(0, i64::from(u32::MAX))
                as u32,
            bounds,
        );
        if to < capacity {
            return Decision { desired: to, reason: format!("{why}; scale in {capacity} → {to}"), reading };
        }
        hold(format!("{why}: at {capacity}"))
    }

    fn bounds(&self) -> (u32, u32) {
        (self.config.min, self.config.max)
    }

    fn set_bounds(&mut self, min: Option<u32>, max: Option<u32>) {
        self.config.min = min.unwrap_or(self.config.min);
        self.config.max = max.unwrap_or(self.config.max);
    }

    fn reconfigure(&mut self, c: &StepConfig) {
        self.config = c.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(above: bool, list: &[(Option<f64>, Option<f64>, i64)]) -> StepPolicy {
        StepPolicy {
            alarm: Alarm { above, threshold: 50.0, datapoints: 1, evaluation_periods: 1 },
            adjustment_type: AdjustmentType::ChangeInCapacity,
            min_magnitude: 0,
            steps: list.iter().map(|&(lower, upper, adjustment)| Step { lower, upper, adjustment }).collect(),
        }
    }

    #[test]
    fn step_bounds_are_inclusive_toward_the_threshold() {
        // The AWS docs' example with threshold 50: [0, 10) fires for
        // 50 ≤ m < 60, (−10, 0] for 40 < m ≤ 50.
        let out = steps(true, &[(Some(0.0), Some(10.0), 1), (Some(10.0), None, 3)]);
        assert_eq!(out.step_for(50.0 - 50.0).map(|s| s.adjustment), Some(1));
        assert_eq!(out.step_for(59.9 - 50.0).map(|s| s.adjustment), Some(1));
        assert_eq!(out.step_for(60.0 - 50.0).map(|s| s.adjustment), Some(3));
        let in_ = steps(false, &[(None, Some(-10.0), -3), (Some(-10.0), Some(0.0), -1)]);
        assert_eq!(in_.step_for(50.0 - 50.0).map(|s| s.adjustment), Some(-1));
        assert_eq!(in_.step_for(40.0 - 50.0).map(|s| s.adjustment), Some(-3), "40 is not in (−10, 0]");
        assert_eq!(in_.step_for(40.1 - 50.0).map(|s| s.adjustment), Some(-1));
    }
}
