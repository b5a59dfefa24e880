//! The Kubernetes HorizontalPodAutoscaler (`autoscaling/v2`) controller, as a
//! pure function of a snapshot plus its own in-memory history.
//!
//! This mirrors upstream Kubernetes, file by file and function by function,
//! keeping its exact arithmetic (integer utilization, `ceil`, inclusive
//! tolerance band, strict window membership):
//!
//! | here | upstream |
//! |---|---|
//! | [`HpaController`], `horizontal` | `pkg/controller/podautoscaler/horizontal.go` (`reconcileAutoscaler`, `computeReplicasForMetrics`, `normalizeDesiredReplicas[WithBehaviors]`, `stabilizeRecommendation[WithBehaviors]`, `convertDesiredReplicasWith{Rules,BehaviorRate}`, `calculateScale{Up,Down}Limit*`, `storeScaleEvent`, ...) |
//! | [`ReplicaCalculator`], `replica_calculator` | `pkg/controller/podautoscaler/replica_calculator.go` (`groupPods`, `calculateRequests`, `Get*Replicas`, `getUsageRatioReplicaCount`, `Tolerances`) |
//! | [`MetricsSnapshot`], `metrics` | `pkg/controller/podautoscaler/metrics/client.go` and `metrics/utilization.go` |
//! | [`generate_hpa_scale_up_rules`], `defaults` | `pkg/apis/autoscaling/v2/defaults.go` |
//! | [`parse_manifest`], `validation` | `pkg/apis/autoscaling/validation/validation.go` |
//! | [`HpaControllerConfig`] | `pkg/controller/podautoscaler/config/v1alpha1/defaults.go` |
//!
//! The engine calls [`HpaController::reconcile`] every
//! [`HpaControllerConfig::sync_period`] with an [`HpaInput`]: the scale's
//! `spec.replicas` and `status.replicas`, the pods its selector matches, and
//! the metric values the metrics pipeline exposes. The returned
//! [`ReconcileOutcome`] carries the new desired count, the status
//! conditions, and prints as a one-line explanation.
//!
//! Around the controller, the simulator's side: [`HpaPolicy`] drives a
//! simulated fleet (`policy = "hpa"`), [`sources`] maps the simulator's
//! figures to metric types, and [`record`] writes and replays recorded
//! inputs (`scalesim hpa`).
//!
//! Left out, because they are API-server or client plumbing rather than
//! replica math: informers and the work queue, scale GET/UPDATE errors and
//! retries, events, Prometheus monitoring, status-write deduplication, and
//! the alpha `ScaledToZero` condition.

mod config;
mod defaults;
mod horizontal;
mod manifest;
mod metrics;
mod pods;
mod policy;
mod quantity;
pub mod record;
mod replica_calculator;
pub mod sources;
mod status;
mod types;
mod validation;

pub use config::{FeatureGates, HpaControllerConfig};
pub use defaults::{
    DEFAULT_CPU_UTILIZATION, copy_hpa_scaling_rules, default_behavior, default_scale_down_rules,
    default_scale_up_rules, generate_hpa_scale_down_rules, generate_hpa_scale_up_rules,
};
pub use horizontal::{
    HpaController, HpaInput, NormalizationArg, SelectorStatus, TimestampedRecommendation, TimestampedScaleEvent,
    calculate_scale_down_limit_with_behaviors, calculate_scale_up_limit, calculate_scale_up_limit_with_scaling_rules,
    convert_desired_replicas_with_behavior_rate, convert_desired_replicas_with_rules, get_longest_policy_period,
    get_replicas_change_per_period, mark_scale_events_outdated, maybe_init_scale_down_stabilization_window,
    stabilize_recommendation, stabilize_recommendation_with_behaviors, store_scale_event, tolerances_for_hpa,
};
pub use manifest::{
    API_VERSION, FieldError, HpaManifest, HpaSpecFields, KIND, ManifestError, parse_manifest, parse_manifest_with,
    parse_spec,
};
pub use metrics::{
    ContainerMetrics, DEFAULT_METRIC_WINDOW, MetricsSnapshot, ObjectMetricKey, PodMetric, PodMetricValue,
    PodMetricsInfo, PodResourceMetrics, get_external_metric, get_metric_usage_ratio, get_object_metric, get_raw_metric,
    get_resource_metric, get_resource_utilization_ratio,
};
pub use pods::{ConditionStatus, Container, Pod, PodPhase, PodReadyCondition};
pub use policy::{
    FIELDS, HpaConfig, HpaPolicy, decision, spec_bounds, spec_from_table, validate, validate_flags, with_bounds,
};
pub use quantity::{Quantity, QuantityError, format_milli};
pub use replica_calculator::{
    CalcError, PodGroups, RESOURCE_CPU, ReplicaCalculator, ResourceReplicas, Tolerances, UsageReplicas,
    calculate_pod_requests_from_containers, calculate_requests, get_ready_pods_count, get_usage_ratio_replica_count,
    remove_metrics_for_pods,
};
pub use status::{
    ConditionType, Decision, HpaCondition, HpaStatus, LimitBound, LimitReason, MetricCurrent, MetricOutcome,
    MetricProposal, Normalization, ReconcileOutcome, Stabilization, set_condition,
};
pub use types::{
    CrossVersionObjectReference, HpaBehavior, HpaScalingPolicy, HpaScalingRules, HpaScalingRulesSpec, HpaSpec,
    LabelSelector, LabelSelectorRequirement, MetricIdentifier, MetricSpec, MetricTarget, ScalingPolicyType,
    SelectPolicy,
};
pub use validation::{MAX_PERIOD_SECONDS, MAX_STABILIZATION_WINDOW_SECONDS};
