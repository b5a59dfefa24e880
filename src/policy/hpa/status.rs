//! What a reconcile reports: the HPA status conditions (mirrors
//! `HorizontalPodAutoscalerCondition` and `setConditionInList` in
//! `horizontal.go`), per-metric proposals (`MetricStatus`), and a
//! [`ReconcileOutcome`] that prints as one line explaining the decision.

use std::fmt;

use super::quantity::format_milli;
use super::types::{HpaScalingPolicy, MetricTarget, SelectPolicy};
use crate::engine::time::{SimDuration, SimTime};

/// `HorizontalPodAutoscalerConditionType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConditionType {
    /// Whether the controller can fetch and update the scale.
    AbleToScale,
    /// Whether a replica count could be computed from the metrics.
    ScalingActive,
    /// Whether the desired count was clamped by bounds or rate limits.
    ScalingLimited,
}

impl ConditionType {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionType::AbleToScale => "AbleToScale",
            ConditionType::ScalingActive => "ScalingActive",
            ConditionType::ScalingLimited => "ScalingLimited",
        }
    }
}

/// One status condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HpaCondition {
    /// Which condition.
    pub condition_type: ConditionType,
    /// `True` or `False`.
    pub status: bool,
    /// Machine-readable reason, upstream's spelling (`ScaleUpLimit`, ...).
    pub reason: &'static str,
    /// Human-readable message, upstream's wording.
    pub message: String,
    /// When `status` last changed.
    pub last_transition_time: SimTime,
}

/// `setConditionInList`: updates the condition of that type in place (its
/// position is kept), or appends it; the transition time moves only when the
/// status flips.
pub fn set_condition(
    conditions: &mut Vec<HpaCondition>,
    now: SimTime,
    condition_type: ConditionType,
    status: bool,
    reason: &'static str,
    message: impl Into<String>,
) {
    let message = message.into();
    match conditions.iter_mut().find(|c| c.condition_type == condition_type) {
        Some(existing) => {
            if existing.status != status {
                existing.last_transition_time = now;
            }
            existing.status = status;
            existing.reason = reason;
            existing.message = message;
        }
        None => conditions.push(HpaCondition { condition_type, status, reason, message, last_transition_time: now }),
    }
}

/// The HPA's status after a reconcile (`HorizontalPodAutoscalerStatus`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HpaStatus {
    /// `currentReplicas`: the scale's `spec.replicas` at the last sync.
    pub current_replicas: i32,
    /// `desiredReplicas`.
    pub desired_replicas: i32,
    /// `lastScaleTime`.
    pub last_scale_time: Option<SimTime>,
    /// `currentMetrics`.
    pub current_metrics: Vec<MetricOutcome>,
    /// `conditions`, in the order they were first set.
    pub conditions: Vec<HpaCondition>,
}

/// One metric's result at a sync.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricOutcome {
    /// The metric's label (`cpu`, `qps`, `Ingress/main rps`).
    pub label: String,
    /// Its target.
    pub target: Option<MetricTarget>,
    /// The proposal, or why none could be computed (upstream's error text).
    pub result: Result<MetricProposal, String>,
}

/// A metric's replica proposal and the current value it was based on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricProposal {
    /// Proposed replica count.
    pub replicas: i32,
    /// Current value (`MetricValueStatus`).
    pub current: MetricCurrent,
}

/// `MetricValueStatus`: the current value of a metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricCurrent {
    /// Percent of request, and the average raw usage (milli).
    Utilization {
        /// `averageUtilization`.
        percent: i32,
        /// `averageValue`, milli.
        average: i64,
    },
    /// `averageValue`, milli.
    AverageValue(i64),
    /// `value`, milli.
    Value(i64),
}

impl fmt::Display for MetricCurrent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricCurrent::Utilization { percent, .. } => write!(f, "{percent}%"),
            MetricCurrent::AverageValue(v) => write!(f, "{}/pod", format_milli(*v)),
            MetricCurrent::Value(v) => f.write_str(&format_milli(*v)),
        }
    }
}

impl fmt::Display for MetricOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.result, self.target) {
            (Ok(p), Some(target)) => write!(f, "{} {} vs target {} → {}", self.label, p.current, target, p.replicas),
            (Ok(p), None) => write!(f, "{} {} → {}", self.label, p.current, p.replicas),
            (Err(e), _) => write!(f, "{}: {}", self.label, e),
        }
    }
}

/// The condition reason that `convertDesiredReplicasWithRules` and
/// `convertDesiredReplicasWithBehaviorRate` return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitReason {
    /// Not clamped.
    DesiredWithinRange,
    /// Clamped by the scale-up rate (legacy factor or behavior policies).
    ScaleUpLimit,
    /// Clamped by the scale-down rate (behavior policies).
    ScaleDownLimit,
    /// Clamped to `maxReplicas`.
    TooManyReplicas,
    /// Raised to `minReplicas`.
    TooFewReplicas,
}

impl LimitReason {
    /// Upstream's reason string.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitReason::DesiredWithinRange => "DesiredWithinRange",
            LimitReason::ScaleUpLimit => "ScaleUpLimit",
            LimitReason::ScaleDownLimit => "ScaleDownLimit",
            LimitReason::TooManyReplicas => "TooManyReplicas",
            LimitReason::TooFewReplicas => "TooFewReplicas",
        }
    }

    /// Upstream's condition message.
    pub fn message(self) -> &'static str {
        match self {
            LimitReason::DesiredWithinRange => "the desired count is within the acceptable range",
            LimitReason::ScaleUpLimit => "the desired replica count is increasing faster than the maximum scale rate",
            LimitReason::ScaleDownLimit => "the desired replica count is decreasing faster than the maximum scale rate",
            LimitReason::TooManyReplicas => "the desired replica count is more than the maximum replica count",
            LimitReason::TooFewReplicas => "the desired replica count is less than the minimum replica count",
        }
    }
}

/// Which bound produced the final count, for the explanation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LimitBound {
    /// No bound applied.
    None,
    /// Legacy `max(factor × current, minimum)` scale-up cap.
    LegacyScaleUp {
        /// `scaleUpLimitFactor`.
        factor: f64,
        /// `scaleUpLimitMinimum`.
        minimum: f64,
    },
    /// A behavior rate limit; `policy` is the policy whose proposal was
    /// selected (`None` when the limit was held at the current count or the
    /// direction is disabled).
    Rate {
        /// The selected policy.
        policy: Option<HpaScalingPolicy>,
        /// `selectPolicy` of the direction.
        select: SelectPolicy,
    },
    /// `maxReplicas`.
    MaxReplicas(i32),
    /// `minReplicas`.
    MinReplicas(i32),
}

/// How stabilization was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stabilization {
    /// Legacy path: the maximum recommendation over the downscale window.
    Legacy {
        /// `--horizontal-pod-autoscaler-downscale-stabilization`.
        window: SimDuration,
    },
    /// Behavior path: between the minimum over the scale-up window and the
    /// maximum over the scale-down window, anchored at the current count.
    Behavior {
        /// `scaleUp.stabilizationWindowSeconds`.
        up_window_seconds: i32,
        /// `scaleDown.stabilizationWindowSeconds`.
        down_window_seconds: i32,
    },
}

/// The metric path's arithmetic after `computeReplicasForMetrics`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Normalization {
    /// The largest metric proposal, at least 0.
    pub metric_desired: i32,
    /// The stabilized recommendation.
    pub stabilized: i32,
    /// How it was stabilized.
    pub stabilization: Stabilization,
    /// The count after bounds and rate limits.
    pub limited: i32,
    /// The `ScalingLimited` reason.
    pub limit_reason: LimitReason,
    /// The bound behind the reason.
    pub bound: LimitBound,
}

/// How a reconcile arrived at its desired count (the branches of
/// `reconcileAutoscaler`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decision {
    /// The target was scaled to 0 by hand and `minReplicas > 0`: scaling
    /// is disabled (`ScalingDisabled`).
    ScalingDisabled,
    /// `spec.replicas > maxReplicas`: set to max without reading metrics.
    AboveMax {
        /// `maxReplicas`.
        max: i32,
    },
    /// `spec.replicas < minReplicas`: set to min without reading metrics.
    BelowMin {
        /// `minReplicas`.
        min: i32,
    },
    /// No usable metric (all invalid, or some invalid on a scale-down):
    /// nothing changes.
    NoValidMetrics,
    /// The metrics path.
    Metrics(Normalization),
}

/// The result of one [`HpaController::reconcile`](super::HpaController::reconcile).
#[derive(Clone, Debug, PartialEq)]
pub struct ReconcileOutcome {
    /// The sync time.
    pub now: SimTime,
    /// The scale's `spec.replicas` before the sync.
    pub current_replicas: i32,
    /// The replica count the scale should have after the sync (equal to
    /// `current_replicas` when nothing changes).
    pub desired_replicas: i32,
    /// Whether the scale is updated.
    pub rescale: bool,
    /// How the count was decided.
    pub decision: Decision,
    /// Per-metric proposals, in spec order.
    pub metrics: Vec<MetricOutcome>,
    /// The error `reconcileAutoscaler` returns, if any (also set when some
    /// metrics failed but others scaled up).
    pub error: Option<String>,
    /// The status conditions after the sync.
    pub conditions: Vec<HpaCondition>,
}

impl ReconcileOutcome {
    /// The condition of a type, if set.
    pub fn condition(&self, condition_type: ConditionType) -> Option<&HpaCondition> {
        self.conditions.iter().find(|c| c.condition_type == condition_type)
    }
}

fn window_text(seconds: i32) -> String {
    SimDuration::from_secs(u64::try_from(seconds).unwrap_or(0)).to_string()
}

impl fmt::Display for ReconcileOutcome {
    /// One line: per-metric proposals, stabilization, the limiting bound, and
    /// the resulting change, e.g. `cpu 87% vs target 60% → 12; stabilized
    /// (max over 5m) 12; limited by policy Pods 4/60s → 9; 6 → 9`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if !self.metrics.is_empty() {
            let metrics: Vec<String> = self.metrics.iter().map(ToString::to_string).collect();
            parts.push(metrics.join(", "));
        }
        let current = self.current_replicas;
        match self.decision {
            Decision::ScalingDisabled => {
                parts.push("target scaled to 0: scaling disabled".to_string());
            }
            Decision::AboveMax { max } => {
                parts.push(format!("{current} above maxReplicas {max} → {max}"));
            }
            Decision::BelowMin { min } => {
                parts.push(format!("{current} below minReplicas {min} → {min}"));
            }
            Decision::NoValidMetrics => parts.push(match &self.error {
                Some(e) if self.metrics.is_empty() => format!("no change: {e}"),
                _ => "no valid metric: no change".to_string(),
            }),
            Decision::Metrics(n) => {
                if self.metrics.len() > 1 {
                    parts.push(format!("max {}", n.metric_desired));
                }
                parts.push(match n.stabilization {
                    Stabilization::Legacy { window } => {
                        format!("stabilized (max over {window}) {}", n.stabilized)
                    }
                    Stabilization::Behavior { up_window_seconds, down_window_seconds } => format!(
                        "stabilized (up: min over {}, down: max over {}) {}",
                        window_text(up_window_seconds),
                        window_text(down_window_seconds),
                        n.stabilized
                    ),
                });
                let limited = n.limited;
                match (n.limit_reason, n.bound) {
                    (LimitReason::DesiredWithinRange, _) | (_, LimitBound::None) => {}
                    (_, LimitBound::LegacyScaleUp { factor, minimum }) => {
                        parts.push(format!("limited by scale-up limit max({factor}×{current}, {minimum}) → {limited}"))
                    }
                    (_, LimitBound::Rate { select: SelectPolicy::Disabled, .. }) => {
                        parts.push(format!("scaling disabled by selectPolicy Disabled → {limited}"))
                    }
                    (_, LimitBound::Rate { policy: Some(p), .. }) => {
                        parts.push(format!("limited by policy {p} → {limited}"))
                    }
                    (_, LimitBound::Rate { policy: None, .. }) => {
                        parts.push(format!("limited by recent scale events → {limited}"))
                    }
                    (_, LimitBound::MaxReplicas(max)) => {
                        parts.push(format!("limited by maxReplicas {max} → {limited}"))
                    }
                    (_, LimitBound::MinReplicas(min)) => parts.push(format!("raised to minReplicas {min} → {limited}")),
                }
            }
        }
        if self.rescale {
            parts.push(format!("scale {current} → {}", self.desired_replicas));
        } else {
            parts.push(format!("keep {current}"));
        }
        f.write_str(&parts.join("; "))
    }
}
