//! What the AWS EC2 Auto Scaling policies (`target_tracking`, `step`,
//! `simple`) share: the group metric over instances that are not warming
//! up, CloudWatch-style alarms over datapoints, and the scaling adjustment
//! types with AWS's rounding.
//!
//! Sources:
//! - instance warm-up: <https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-default-instance-warmup.html>
//! - adjustment types: <https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html#as-scaling-adjustment>
//! - alarms (M of N datapoints): <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html>

use std::collections::VecDeque;

use serde::Deserialize;

use strum::IntoEnumIterator;

use super::{FleetMetrics, MetricName, Observation, PodView};
use crate::engine::time::{SimDuration, SimTime};
use crate::input::check::Cx;
use crate::input::problem::FieldPath;

/// A group metric an AWS policy can track.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumIter, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Metric {
    /// `ASGAverageCPUUtilization` (0.5 = 50%).
    Cpu,
    /// `ALBRequestCountPerTarget`, as requests per second per instance.
    Rps,
    /// Requests in flight per instance.
    InFlight,
    /// p95 latency at the balancer, milliseconds.
    LatencyP95,
    /// Requests waiting (the whole backlog).
    Queue,
    /// Requests waiting per in-service instance (the SQS "backlog per
    /// instance" AWS recommends for target tracking).
    BacklogPerInstance,
}

/// Metric aggregation across instances (`MetricAggregationType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregation {
    /// Mean over instances.
    Average,
    /// Smallest instance value.
    Minimum,
    /// Largest instance value.
    Maximum,
}

impl Metric {
    /// Parses a metric name; `default` where there is none, or (with the
    /// problem recorded) where it is not one of them.
    pub fn parse(cx: &mut Cx<'_>, at: &FieldPath, v: Option<&str>, default: Metric) -> Metric {
        let names: Vec<&str> = Metric::iter().map(Metric::name).collect();
        cx.choice(at, v, default.name(), &names).parse().unwrap_or(default)
    }

    /// Its name.
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
            Metric::BacklogPerInstance => MetricName::BacklogPerInstance,
        }
    }

    /// `x` for a reason line.
    pub fn show(self, x: f64) -> String {
        match self {
            Metric::Cpu => format!("{:.1}%", x * 100.0),
            Metric::LatencyP95 => format!("{x:.0}ms"),
            _ => format!("{x:.2}"),
        }
    }

    /// Whether the metric falls as capacity grows (target tracking needs it).
    pub fn proportional(self) -> bool {
        !matches!(self, Metric::LatencyP95 | Metric::Queue)
    }
}

/// Whether an instance is still in its warm-up at `now`: launched less
/// than `warmup` ago. Its metrics are left out of the group metric.
pub fn warming(p: &PodView, now: SimTime, warmup: SimDuration) -> bool {
    !p.deleting && now < p.created + warmup
}

/// How many instances are warming up.
pub fn warming_count(obs: &Observation<'_>, warmup: SimDuration) -> u32 {
    obs.pods.iter().filter(|p| warming(p, obs.now, warmup)).count() as u32
}

/// The group metric over instances in service and past their warm-up.
pub fn read(metric: Metric, agg: Aggregation, obs: &Observation<'_>, warmup: SimDuration) -> Option<f64> {
    let counted: Vec<&PodView> = obs.pods.iter().filter(|p| !p.deleting && !warming(p, obs.now, warmup)).collect();
    let per_pod = |f: &dyn Fn(&PodView) -> Option<f64>| -> Option<f64> {
        let xs: Vec<f64> = counted.iter().filter_map(|p| f(p)).collect();
        if xs.is_empty() {
            return None;
        }
        Some(match agg {
            Aggregation::Average => xs.iter().sum::<f64>() / xs.len() as f64,
            Aggregation::Minimum => xs.iter().copied().fold(f64::INFINITY, f64::min),
            Aggregation::Maximum => xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    };
    let fleet: &FleetMetrics = obs.fleet;
    match metric {
        Metric::Cpu => per_pod(&|p| p.cpu_milli.map(|s| s.value / p.cpu_request_milli.max(1) as f64)),
        Metric::Rps => per_pod(&|p| p.rps.map(|s| s.value)),
        Metric::InFlight => per_pod(&|p| p.in_flight.map(|s| s.value)),
        Metric::LatencyP95 => fleet.latency_p95_ms,
        Metric::Queue => fleet.queue,
        Metric::BacklogPerInstance => {
            let serving = counted.iter().filter(|p| p.ready).count();
            fleet.queue.map(|q| q / serving.max(1) as f64)
        }
    }
}

/// A CloudWatch alarm on the group metric: in ALARM when `datapoints` of
/// the last `evaluation_periods` datapoints breach the threshold. A
/// missing datapoint does not breach (`TreatMissingData: missing`).
#[derive(Clone, Debug, PartialEq)]
pub struct Alarm {
    /// Breach above (`GreaterThanOrEqualToThreshold`) or below
    /// (`LessThanOrEqualToThreshold`).
    pub above: bool,
    /// The threshold.
    pub threshold: f64,
    /// M: breaching datapoints needed.
    pub datapoints: u32,
    /// N: datapoints looked at.
    pub evaluation_periods: u32,
}

/// The recent datapoints of one alarm.
#[derive(Clone, Debug, Default)]
pub struct AlarmState {
    breaches: VecDeque<bool>,
}

impl AlarmState {
    /// Adds a datapoint; returns whether the alarm is in ALARM.
    pub fn push(&mut self, alarm: &Alarm, value: Option<f64>) -> bool {
        let breach = value.is_some_and(|v| if alarm.above { v >= alarm.threshold } else { v <= alarm.threshold });
        self.breaches.push_back(breach);
        while self.breaches.len() > alarm.evaluation_periods as usize {
            self.breaches.pop_front();
        }
        self.in_alarm(alarm)
    }

    /// Whether M of the last N datapoints breach.
    pub fn in_alarm(&self, alarm: &Alarm) -> bool {
        self.breaches.len() == alarm.evaluation_periods as usize
            && self.breaches.iter().filter(|b| **b).count() >= alarm.datapoints as usize
    }

    /// Breaching datapoints among the last N.
    pub fn breaching(&self) -> usize {
        self.breaches.iter().filter(|b| **b).count()
    }

    /// Forgets the datapoints (a fresh window is needed to act again).
    pub fn reset(&mut self) {
        self.breaches.clear();
    }
}

/// `AdjustmentType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdjustmentType {
    /// Add (or remove) N instances.
    ChangeInCapacity,
    /// Set the capacity to N.
    ExactCapacity,
    /// Add (or remove) N% of the current capacity.
    PercentChangeInCapacity,
}

/// The adjustment type names.
pub const ADJUSTMENT_TYPES: [&str; 3] = ["ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"];

impl AdjustmentType {
    /// Parses a name (reporting a bad one).
    pub fn parse(cx: &mut Cx<'_>, at: &FieldPath, v: Option<&str>) -> AdjustmentType {
        match cx.choice(at, v, "ChangeInCapacity", &ADJUSTMENT_TYPES) {
            "ExactCapacity" => AdjustmentType::ExactCapacity,
            "PercentChangeInCapacity" => AdjustmentType::PercentChangeInCapacity,
            _ => AdjustmentType::ChangeInCapacity,
        }
    }

    /// The new capacity from `capacity` and an adjustment, with AWS's
    /// rounding of percentages (a change above 1 is rounded down, between
    /// 0 and 1 up to 1, between −1 and 0 to −1, below −1 toward zero) and
    /// `MinAdjustmentMagnitude` (percentages only: a smaller change is
    /// raised to it, e.g. 25% of 4 = 1 → 2 with a magnitude of 2).
    pub fn apply(self, capacity: u32, adjustment: i64, min_magnitude: u32) -> i64 {
        let cap = i64::from(capacity);
        match self {
            AdjustmentType::ChangeInCapacity => cap.saturating_add(adjustment),
            AdjustmentType::ExactCapacity => adjustment,
            AdjustmentType::PercentChangeInCapacity => {
                let raw = cap as f64 * adjustment as f64 / 100.0;
                let mut change = if raw > 1.0 {
                    raw.floor()
                } else if raw > 0.0 {
                    1.0
                } else if raw < -1.0 {
                    raw.ceil()
                } else if raw < 0.0 {
                    -1.0
                } else {
                    0.0
                } as i64;
                if change != 0 && change.unsigned_abs() < u64::from(min_magnitude) {
                    change = change.signum() * i64::from(min_magnitude);
                }
                cap.saturating_add(change)
            }
        }
    }

    /// The adjustment as written in a reason (`+2`, `=8`, `+25%`).
    pub fn show(self, adjustment: i64) -> String {
        match self {
            AdjustmentType::ChangeInCapacity => format!("{adjustment:+}"),
            AdjustmentType::ExactCapacity => format!("={adjustment}"),
            AdjustmentType::PercentChangeInCapacity => format!("{adjustment:+}%"),
        }
    }
}

/// The alarm fields as written (shared by step and simple policies).
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAlarm {
    pub(crate) threshold: f64,
    pub(crate) datapoints: Option<i64>,
    pub(crate) evaluation_periods: Option<i64>,
}

/// Validates an alarm.
pub(crate) fn alarm(cx: &mut Cx<'_>, at: &FieldPath, raw: &RawAlarm, above: bool) -> Alarm {
    let n = cx.int_in(&at.key("evaluation_periods"), raw.evaluation_periods, 1, 1, 1000) as u32;
    let m = cx.int_in(&at.key("datapoints"), raw.datapoints, u64::from(n), 1, 1000) as u32;
    if m > n {
        cx.error(
            &at.key("datapoints"),
            format!("'{m}' is more than evaluation_periods '{n}'"),
            Some("an alarm needs M of N datapoints with M ≤ N".into()),
        );
    }
    Alarm { above, threshold: raw.threshold, datapoints: m.min(n), evaluation_periods: n }
}

/// Checks `min ≤ max` of a policy's bounds.
/// What step and simple scaling check alike: the scale-in alarm's threshold
/// below the scale-out alarm's (else both fire), and a non-zero period.
pub(crate) fn check_alarms(cx: &mut Cx<'_>, at: &FieldPath, out: Option<f64>, in_: Option<f64>, period: SimDuration) {
    if let (Some(o), Some(i)) = (out, in_)
        && i >= o
    {
        cx.error(
            &at.key("scale_in").key("threshold"),
            format!("'{i}' is not below the scale-out threshold '{o}'"),
            Some("the alarms would both fire; leave a band between them".into()),
        );
    }
    if period.is_zero() {
        cx.error(&at.key("period"), "'0s' is not a period", Some("use e.g. \"60s\"".into()));
    }
}

pub(crate) fn check_bounds(cx: &mut Cx<'_>, at: &FieldPath, min: u32, max: u32) {
    if min > max {
        cx.error(
            &at.key("min_replicas"),
            format!("min_replicas '{min}' is greater than max_replicas '{max}'"),
            Some("make min_replicas ≤ max_replicas".into()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_adjustments_round_as_aws_documents() {
        let p = AdjustmentType::PercentChangeInCapacity;
        assert_eq!(p.apply(100, 127, 0) - 100, 127);
        assert_eq!(p.apply(10, 127, 0) - 10, 12, "12.7 → 12");
        assert_eq!(p.apply(2, 10, 0) - 2, 1, "0.2 → 1");
        assert_eq!(p.apply(2, -10, 0) - 2, -1, "-0.2 → -1");
        assert_eq!(p.apply(30, -22, 0) - 30, -6, "-6.6 → -6");
        assert_eq!(p.apply(4, 25, 2) - 4, 2, "25% of 4 = 1, raised to the magnitude 2");
        assert_eq!(AdjustmentType::ExactCapacity.apply(4, 9, 0), 9);
        assert_eq!(AdjustmentType::ChangeInCapacity.apply(4, -3, 5), 1, "magnitude is for percentages only");
    }

    #[test]
    fn alarms_need_m_of_the_last_n_datapoints() {
        let a = Alarm { above: true, threshold: 0.7, datapoints: 2, evaluation_periods: 3 };
        let mut s = AlarmState::default();
        assert!(!s.push(&a, Some(0.8)));
        assert!(!s.push(&a, None), "missing datapoints do not breach");
        assert!(s.push(&a, Some(0.7)), "≥ threshold breaches: 2 of 3");
        assert!(!s.push(&a, Some(0.1)), "the first breach left the window");
    }
}
