//! `policy = "simple"`: AWS EC2 Auto Scaling simple scaling. One
//! adjustment per alarm; after a scaling activity the group waits for the
//! activity to complete (launched instances in service, terminated ones
//! gone) and then for the cooldown before any further simple scaling. If
//! the alarm still holds after that, it scales again.
//!
//! Source: <https://docs.aws.amazon.com/autoscaling/ec2/userguide/Cooldown.html>
//! (`DefaultCooldown` 300 s). Completion is seen at evaluations: a launch
//! completes when its instance turns ready (its readiness time is used), a
//! termination when the instance is gone (the evaluation that sees it).

use serde::Deserialize;
use toml::Value;

use super::aws::{self, AdjustmentType, Aggregation, Alarm, AlarmState, Metric, RawAlarm};
use super::{Decision, Observation, Reading, ScalingPolicy, clamp};
use crate::engine::time::{SimDuration, SimTime};
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;

/// The simple policy's fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "metric",
        default: "\"cpu\"",
        doc: "cpu (0.7 = 70%) | rps | in_flight (per instance) | latency_p95 (ms) | queue | backlog_per_instance",
    },
    FieldDoc {
        key: "scale_out",
        default: "none",
        doc: "{ threshold, adjustment, adjustment_type = \"ChangeInCapacity\", min_adjustment_magnitude = 0, datapoints = evaluation_periods, evaluation_periods = 1 }: when metric ≥ threshold",
    },
    FieldDoc { key: "scale_in", default: "none", doc: "the same when metric ≤ threshold (adjustment negative)" },
    FieldDoc {
        key: "cooldown",
        default: "\"300s\"",
        doc: "DefaultCooldown: no simple scaling until this long after the last activity completed",
    },
    FieldDoc { key: "period", default: "\"60s\"", doc: "alarm period: one datapoint (and one evaluation) per period" },
    FieldDoc { key: "min_replicas", default: "1", doc: "MinSize" },
    FieldDoc { key: "max_replicas", default: "10", doc: "MaxSize" },
];

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    threshold: f64,
    adjustment: i64,
    adjustment_type: Option<String>,
    min_adjustment_magnitude: Option<i64>,
    datapoints: Option<i64>,
    evaluation_periods: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    metric: Option<String>,
    scale_out: Option<RawPolicy>,
    scale_in: Option<RawPolicy>,
    cooldown: Option<Value>,
    period: Option<Value>,
    min_replicas: Option<i64>,
    max_replicas: Option<i64>,
}

/// A simple scaling policy and its alarm.
#[derive(Clone, Debug, PartialEq)]
pub struct SimplePolicy {
    /// The alarm.
    pub alarm: Alarm,
    /// `AdjustmentType`.
    pub adjustment_type: AdjustmentType,
    /// `ScalingAdjustment`.
    pub adjustment: i64,
    /// `MinAdjustmentMagnitude`.
    pub min_magnitude: u32,
}

/// Configuration of [`SimpleScaling`].
#[derive(Clone, Debug, PartialEq)]
pub struct SimpleConfig {
    /// The metric.
    pub metric: Metric,
    /// Scale-out policy.
    pub scale_out: Option<SimplePolicy>,
    /// Scale-in policy.
    pub scale_in: Option<SimplePolicy>,
    /// Cooldown after an activity completes.
    pub cooldown: SimDuration,
    /// Alarm period.
    pub period: SimDuration,
    /// MinSize.
    pub min: u32,
    /// MaxSize.
    pub max: u32,
}

fn policy(cx: &mut Cx<'_>, at: &FieldPath, raw: &RawPolicy, above: bool) -> SimplePolicy {
    let alarm = aws::alarm(
        cx,
        at,
        &RawAlarm { threshold: raw.threshold, datapoints: raw.datapoints, evaluation_periods: raw.evaluation_periods },
        above,
    );
    let adjustment_type = AdjustmentType::parse(cx, &at.key("adjustment_type"), raw.adjustment_type.as_deref());
    let wrong = if above { raw.adjustment <= 0 } else { raw.adjustment >= 0 };
    if wrong && adjustment_type != AdjustmentType::ExactCapacity {
        let sign = if above { "positive" } else { "negative" };
        cx.error(&at.key("adjustment"), format!("'{}' must be {sign} here", raw.adjustment), None);
    }
    SimplePolicy {
        alarm,
        adjustment_type,
        adjustment: raw.adjustment,
        min_magnitude: cx.int_in(&at.key("min_adjustment_magnitude"), raw.min_adjustment_magnitude, 0, 0, 100_000)
            as u32,
    }
}

/// Validates the simple policy's fields.
pub fn validate(cx: &mut Cx<'_>, at: &FieldPath, value: &Value) -> Option<SimpleConfig> {
    let raw: Raw = cx.parse(at, value)?;
    if raw.scale_out.is_none() && raw.scale_in.is_none() {
        cx.error(at, "no scale_out or scale_in policy", Some("give scale_out = { threshold, adjustment }".into()));
        return None;
    }
    let c = SimpleConfig {
        metric: Metric::parse(cx, &at.key("metric"), raw.metric.as_deref(), Metric::Cpu),
        scale_out: raw.scale_out.as_ref().map(|p| policy(cx, &at.key("scale_out"), p, true)),
        scale_in: raw.scale_in.as_ref().map(|p| policy(cx, &at.key("scale_in"), p, false)),
        cooldown: cx.duration(&at.key("cooldown"), raw.cooldown.as_ref(), SimDuration::from_secs(300)),
        period: cx.duration(&at.key("period"), raw.period.as_ref(), SimDuration::from_secs(60)),
        min: cx.int_in(&at.key("min_replicas"), raw.min_replicas, 1, 0, 100_000) as u32,
        max: cx.int_in(&at.key("max_replicas"), raw.max_replicas, 10, 1, 100_000) as u32,
    };
    let threshold = |p: &Option<SimplePolicy>| p.as_ref().map(|p| p.alarm.threshold);
    aws::check_alarms(cx, at, threshold(&c.scale_out), threshold(&c.scale_in), c.period);
    aws::check_bounds(cx, at, c.min, c.max);
    Some(c)
}

/// AWS simple scaling.
pub struct SimpleScaling {
    config: SimpleConfig,
    out: AlarmState,
    in_: AlarmState,
    /// The last activity: when it started, and when its cooldown ends once
    /// it has completed.
    activity: Option<(SimTime, Option<SimTime>)>,
}

impl SimpleScaling {
    /// A policy with no activity yet.
    pub fn new(config: SimpleConfig) -> SimpleScaling {
        SimpleScaling { config, out: AlarmState::default(), in_: AlarmState::default(), activity: None }
    }
}

impl ScalingPolicy for SimpleScaling {
    type Config = SimpleConfig;

    fn interval(&self) -> SimDuration {
        self.config.period
    }

    fn decide(&mut self, obs: &Observation<'_>) -> Decision {
        let c = &self.config;
        let capacity = obs.desired;
        let bounds = (c.min, c.max);
        let value = aws::read(c.metric, Aggregation::Average, obs, SimDuration::ZERO);
        let m = c.metric;
        let out_alarm = c.scale_out.as_ref().is_some_and(|p| self.out.push(&p.alarm, value));
        let in_alarm = c.scale_in.as_ref().is_some_and(|p| self.in_.push(&p.alarm, value));
        let threshold = c.scale_out.as_ref().or(c.scale_in.as_ref()).map_or(0.0, |p| p.alarm.threshold);
        let reading = value.map(|seen| Reading { metric: m.reading(), seen, target: threshold });
        let hold = |reason: String| Decision { desired: clamp(capacity, bounds), reason, reading };
        // Has the last activity completed, and is its cooldown over?
        if let Some((started, cooldown_end)) = self.activity {
            let end = match cooldown_end {
                Some(end) => end,
                None => {
                    let launching = obs.pods.iter().filter(|p| !p.deleting && !p.ready).count();
                    let terminating = obs.pods.iter().filter(|p| p.deleting).count();
                    if launching + terminating > 0 {
                        return hold(format!(
                            "scaling activity in progress ({launching} launching, {terminating} terminating); holding at {capacity}"
                        ));
                    }
                    let done = obs
                        .pods
                        .iter()
                        .filter(|p| p.created >= started)
                        .map(|p| p.ready_transition)
                        .max()
                        .unwrap_or(obs.now)
                        .max(started);
                    let end = done + c.cooldown;
                    self.activity = Some((started, Some(end)));
                    end
                }
            };
            if obs.now < end {
                let left = (end - obs.now).as_secs_f64().ceil();
                return hold(format!("in cooldown for {left}s more; holding at {capacity}"));
            }
        }
        let Some(v) = value else {
            return hold(format!("{}: no datapoint; holding at {capacity}", m.name()));
        };
        let (p, rel) = match (&c.scale_out, &c.scale_in) {
            (Some(p), _) if out_alarm => (p, "≥"),
            (_, Some(p)) if in_alarm => (p, "≤"),
            _ => return hold(format!("{} {}: no alarm; holding at {capacity}", m.name(), m.show(v))),
        };
        let to = clamp(
            p.adjustment_type.apply(capacity, p.adjustment, p.min_magnitude).clamp(0, i64::from(u32::MAX)) as u32,
            bounds,
        );
        let why = format!(
            "{} {} {rel} {} ({} of {} datapoints), {}",
            m.name(),
            m.show(v),
            m.show(p.alarm.threshold),
            p.alarm.datapoints,
            p.alarm.evaluation_periods,
            p.adjustment_type.show(p.adjustment)
        );
        if to == capacity {
            return hold(format!("{why}: at a bound, holding at {capacity}"));
        }
        self.activity = Some((obs.now, None));
        Decision { desired: to, reason: format!("{why}; {capacity} → {to}, then cooldown {}", c.cooldown), reading }
    }

    fn bounds(&self) -> (u32, u32) {
        (self.config.min, self.config.max)
    }

    fn set_bounds(&mut self, min: Option<u32>, max: Option<u32>) {
        self.config.min = min.unwrap_or(self.config.min);
        self.config.max = max.unwrap_or(self.config.max);
    }

    fn reconfigure(&mut self, c: &SimpleConfig) {
        self.config = c.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::metrics::MetricSample;
    use crate::policy::{FleetMetrics, PodPhase, PodView};

    fn pod(id: u32, ready: bool, created: u64, ready_at: u64) -> PodView {
        let s = Some(MetricSample { value: 900.0, timestamp: SimTime::ZERO, window: SimDuration::from_secs(60) });
        PodView {
            id,
            phase: PodPhase::Running,
            ready,
            ready_transition: SimTime::from_secs(ready_at),
            created: SimTime::from_secs(created),
            start_time: Some(SimTime::ZERO),
            deleting: false,
            cpu_request_milli: 1000,
            cpu_milli: s,
            rps: None,
            in_flight: None,
        }
    }

    #[test]
    fn cooldown_starts_when_the_activity_completes() {
        let alarm = Alarm { above: true, threshold: 0.7, datapoints: 1, evaluation_periods: 1 };
        let mut p = SimpleScaling::new(SimpleConfig {
            metric: Metric::Cpu,
            scale_out: Some(SimplePolicy {
                alarm,
                adjustment_type: AdjustmentType::ChangeInCapacity,
                adjustment: 2,
                min_magnitude: 0,
            }),
            scale_in: None,
            cooldown: SimDuration::from_secs(300),
            period: SimDuration::from_secs(60),
            min: 1,
            max: 20,
        });
        let fleet = FleetMetrics::default();
        let mut at = |t: u64, pods: &[PodView]| {
            let n = pods.len() as u32;
            p.decide(&Observation { now: SimTime::from_secs(t), desired: n, current: n, ready: n, pods, fleet: &fleet })
        };
        let two = [pod(0, true, 0, 0), pod(1, true, 0, 0)];
        assert_eq!(at(60, &two).desired, 4, "CPU 90% ≥ 70%: +2");
        // The two new instances are launching: the activity is in progress.
        let launching = [pod(0, true, 0, 0), pod(1, true, 0, 0), pod(2, false, 60, 60), pod(3, false, 60, 60)];
        assert!(at(120, &launching).reason.contains("activity in progress"));
        // They turned ready at 150 s: the cooldown runs to 450 s.
        let up = [pod(0, true, 0, 0), pod(1, true, 0, 0), pod(2, true, 60, 150), pod(3, true, 60, 150)];
        let d = at(180, &up);
        assert_eq!(d.desired, 4);
        assert!(d.reason.contains("cooldown for 270s more"), "{}", d.reason);
        assert_eq!(at(420, &up).desired, 4);
        assert_eq!(at(480, &up).desired, 6, "cooldown over, the alarm still holds");
    }
}
