//! The `autoscaling/v2` HorizontalPodAutoscaler spec, as validated and
//! defaulted values (mirrors `k8s.io/api/autoscaling/v2/types.go`). Metric
//! values are milli-units (`Quantity.MilliValue()`), times are whole seconds
//! as in the API.

use std::collections::BTreeMap;
use std::fmt;

use super::quantity::format_milli;

/// `spec` of a HorizontalPodAutoscaler, after API defaulting
/// (`SetDefaults_HorizontalPodAutoscaler`).
#[derive(Clone, Debug, PartialEq)]
pub struct HpaSpec {
    /// The scaled workload (`spec.scaleTargetRef`).
    pub scale_target_ref: CrossVersionObjectReference,
    /// Lower bound (`spec.minReplicas`, defaulted to 1).
    pub min_replicas: i32,
    /// Upper bound (`spec.maxReplicas`).
    pub max_replicas: i32,
    /// The metrics; the largest proposal wins (`spec.metrics`, defaulted to
    /// CPU utilization 80%).
    pub metrics: Vec<MetricSpec>,
    /// `spec.behavior`, with both directions filled by
    /// `GenerateHPAScaleUpRules`/`GenerateHPAScaleDownRules`. `None` selects
    /// the controller's legacy path (`normalizeDesiredReplicas`).
    pub behavior: Option<HpaBehavior>,
}

/// `CrossVersionObjectReference`: what is scaled, or what an Object metric
/// describes.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct CrossVersionObjectReference {
    /// `apiVersion`, e.g. `apps/v1`.
    pub api_version: String,
    /// `kind`, e.g. `Deployment`.
    pub kind: String,
    /// `name`.
    pub name: String,
}

impl CrossVersionObjectReference {
    /// A reference to `kind/name` in `api_version`.
    pub fn new(api_version: &str, kind: &str, name: &str) -> Self {
        CrossVersionObjectReference {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            name: name.to_string(),
        }
    }
}

/// One entry of `spec.metrics`: the source type with its fields.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricSpec {
    /// `type: Resource`: a resource of every pod (`cpu`, `memory`), summed
    /// over the pod's containers.
    Resource {
        /// Resource name.
        name: String,
        /// `Utilization` (percent of request) or `AverageValue`.
        target: MetricTarget,
    },
    /// `type: ContainerResource`: a resource of one named container.
    ContainerResource {
        /// Resource name.
        name: String,
        /// Container name.
        container: String,
        /// `Utilization` or `AverageValue`.
        target: MetricTarget,
    },
    /// `type: Pods`: a custom metric per pod, averaged (`AverageValue`).
    Pods {
        /// The metric.
        metric: MetricIdentifier,
        /// `AverageValue`.
        target: MetricTarget,
    },
    /// `type: Object`: one value describing a Kubernetes object.
    Object {
        /// The object the metric describes.
        described_object: CrossVersionObjectReference,
        /// The metric.
        metric: MetricIdentifier,
        /// `Value` or `AverageValue`.
        target: MetricTarget,
    },
    /// `type: External`: the sum of the matching external series.
    External {
        /// The metric.
        metric: MetricIdentifier,
        /// `Value` or `AverageValue`.
        target: MetricTarget,
    },
    /// A source type the controller does not know; it only arises from code
    /// (manifests are rejected) and yields `InvalidMetricSourceType`, as in
    /// upstream `computeReplicasForMetric`.
    Unsupported {
        /// The unknown `type`.
        type_name: String,
    },
}

impl MetricSpec {
    /// The metric's target, if the source has one.
    pub fn target(&self) -> Option<MetricTarget> {
        match self {
            MetricSpec::Resource { target, .. }
            | MetricSpec::ContainerResource { target, .. }
            | MetricSpec::Pods { target, .. }
            | MetricSpec::Object { target, .. }
            | MetricSpec::External { target, .. } => Some(*target),
            MetricSpec::Unsupported { .. } => None,
        }
    }

    /// A short label for explanations: `cpu`, `cpu[app]`, `qps`,
    /// `Ingress/main qps`.
    pub fn label(&self) -> String {
        match self {
            MetricSpec::Resource { name, .. } => name.clone(),
            MetricSpec::ContainerResource { name, container, .. } => format!("{name}[{container}]"),
            MetricSpec::Pods { metric, .. } | MetricSpec::External { metric, .. } => metric.name.clone(),
            MetricSpec::Object { described_object, metric, .. } => {
                format!("{}/{} {}", described_object.kind, described_object.name, metric.name)
            }
            MetricSpec::Unsupported { type_name } => format!("<{type_name}>"),
        }
    }

    /// The upstream source type name (`Resource`, `Pods`, ...).
    pub fn type_name(&self) -> &str {
        match self {
            MetricSpec::Resource { .. } => "Resource",
            MetricSpec::ContainerResource { .. } => "ContainerResource",
            MetricSpec::Pods { .. } => "Pods",
            MetricSpec::Object { .. } => "Object",
            MetricSpec::External { .. } => "External",
            MetricSpec::Unsupported { type_name } => type_name,
        }
    }
}

/// `MetricTarget`: the kind of target and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricTarget {
    /// `type: Utilization`, `averageUtilization`: percent of the request.
    Utilization(i32),
    /// `type: Value`, `value`: one total value, in milli-units.
    Value(i64),
    /// `type: AverageValue`, `averageValue`: a per-pod value, in milli-units.
    AverageValue(i64),
}

impl fmt::Display for MetricTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricTarget::Utilization(p) => write!(f, "{p}%"),
            MetricTarget::Value(v) => f.write_str(&format_milli(*v)),
            MetricTarget::AverageValue(v) => write!(f, "{}/pod", format_milli(*v)),
        }
    }
}

/// `MetricIdentifier`: a metric's name and optional label selector.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetricIdentifier {
    /// Metric name.
    pub name: String,
    /// Label selector on the metric's series; carried through, not
    /// evaluated (the metric values given to the controller are already
    /// selected).
    pub selector: Option<LabelSelector>,
}

impl MetricIdentifier {
    /// A metric without a selector.
    pub fn named(name: &str) -> Self {
        MetricIdentifier { name: name.to_string(), selector: None }
    }
}

/// `metav1.LabelSelector`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    /// `matchLabels`.
    pub match_labels: BTreeMap<String, String>,
    /// `matchExpressions`.
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelectorRequirement {
    /// Label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`.
    pub operator: String,
    /// Values for `In`/`NotIn`.
    pub values: Vec<String>,
}

/// `spec.behavior` after defaulting: both directions present.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaBehavior {
    /// Rules for scaling up.
    pub scale_up: HpaScalingRules,
    /// Rules for scaling down.
    pub scale_down: HpaScalingRules,
}

/// `HPAScalingRules` after `GenerateHPAScale{Up,Down}Rules`: every field set
/// except the scale-down window, which stays `None` until
/// `maybeInitScaleDownStabilizationWindow` fills it from the controller flag.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaScalingRules {
    /// `stabilizationWindowSeconds`.
    pub stabilization_window_seconds: Option<i32>,
    /// `selectPolicy`.
    pub select_policy: SelectPolicy,
    /// `policies`; a user list replaces the default list.
    pub policies: Vec<HpaScalingPolicy>,
    /// `tolerance` (`HPAConfigurableTolerance`), as
    /// `Quantity.AsApproximateFloat64()`.
    pub tolerance: Option<f64>,
}

/// `HPAScalingRules` as the user wrote them: every field optional. The input
/// of `GenerateHPAScaleUpRules`/`GenerateHPAScaleDownRules`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HpaScalingRulesSpec {
    /// `stabilizationWindowSeconds`.
    pub stabilization_window_seconds: Option<i32>,
    /// `selectPolicy`.
    pub select_policy: Option<SelectPolicy>,
    /// `policies`.
    pub policies: Option<Vec<HpaScalingPolicy>>,
    /// `tolerance`.
    pub tolerance: Option<f64>,
}

/// `HPAScalingPolicy`: at most `value` pods or percent per `period_seconds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HpaScalingPolicy {
    /// `type`.
    pub policy_type: ScalingPolicyType,
    /// `value`.
    pub value: i32,
    /// `periodSeconds`.
    pub period_seconds: i32,
}

impl HpaScalingPolicy {
    /// A `Pods` policy.
    pub const fn pods(value: i32, period_seconds: i32) -> Self {
        HpaScalingPolicy { policy_type: ScalingPolicyType::Pods, value, period_seconds }
    }

    /// A `Percent` policy.
    pub const fn percent(value: i32, period_seconds: i32) -> Self {
        HpaScalingPolicy { policy_type: ScalingPolicyType::Percent, value, period_seconds }
    }
}

impl fmt::Display for HpaScalingPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.policy_type {
            ScalingPolicyType::Pods => write!(f, "Pods {}/{}s", self.value, self.period_seconds),
            ScalingPolicyType::Percent => {
                write!(f, "Percent {}%/{}s", self.value, self.period_seconds)
            }
        }
    }
}

/// `HPAScalingPolicyType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalingPolicyType {
    /// `Pods`: an absolute number of pods.
    Pods,
    /// `Percent`: a percentage of the replicas at the start of the period.
    Percent,
}

/// `ScalingPolicySelect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectPolicy {
    /// `Max`: the policy allowing the largest change (the default).
    Max,
    /// `Min`: the policy allowing the smallest change.
    Min,
    /// `Disabled`: no scaling in this direction.
    Disabled,
}

impl SelectPolicy {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SelectPolicy::Max => "Max",
            SelectPolicy::Min => "Min",
            SelectPolicy::Disabled => "Disabled",
        }
    }
}
