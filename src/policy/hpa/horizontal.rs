//! The controller loop for one HPA (mirrors
//! `pkg/controller/podautoscaler/horizontal.go`): `reconcileAutoscaler`,
//! `computeReplicasForMetrics`, `computeReplicasForMetric`,
//! `recordInitialRecommendation`, the legacy path `normalizeDesiredReplicas`
//! → `stabilizeRecommendation` → `convertDesiredReplicasWithRules`, and the
//! behavior path `normalizeDesiredReplicasWithBehaviors` →
//! `stabilizeRecommendationWithBehaviors` →
//! `convertDesiredReplicasWithBehaviorRate`, with
//! `calculateScaleUpLimitWithScalingRules`,
//! `calculateScaleDownLimitWithBehaviors`, `getReplicasChangePerPeriod`,
//! `storeScaleEvent`, `markScaleEventsOutdated` and
//! `maybeInitScaleDownStabilizationWindow`.
//!
//! Upstream keys its in-memory history by HPA; here one [`HpaController`]
//! holds one HPA's history. Every function takes the sync time `now` where
//! upstream calls `time.Now()`, and window membership is computed without
//! negative times: a sample at `t` is inside a window `w` at `now` iff
//! `t + w > now` (`t.After(now - w)`), expired iff `t + w < now`.

use super::config::HpaControllerConfig;
use super::metrics::{MetricsSnapshot, ObjectMetricKey};
use super::pods::Pod;
use super::replica_calculator::{ReplicaCalculator, Tolerances};
use super::status::{
    ConditionType, Decision, HpaCondition, HpaStatus, LimitBound, LimitReason, MetricCurrent, MetricOutcome,
    MetricProposal, Normalization, ReconcileOutcome, Stabilization, set_condition,
};
use super::types::{
    HpaBehavior, HpaScalingPolicy, HpaScalingRules, HpaSpec, MetricSpec, MetricTarget, ScalingPolicyType, SelectPolicy,
};
use crate::engine::time::{SimDuration, SimTime};

/// `timestampedRecommendation`: an unstabilized recommendation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimestampedRecommendation {
    /// The recommended replica count.
    pub recommendation: i32,
    /// When it was made.
    pub timestamp: SimTime,
}

/// `timestampedScaleEvent`: a change the controller made to the scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimestampedScaleEvent {
    /// Absolute size of the change.
    pub replica_change: i32,
    /// When it was made.
    pub timestamp: SimTime,
    /// Older than the direction's longest policy period; the slot may be
    /// reused.
    pub outdated: bool,
}

/// What the scale's label selector resolved to (`validateAndParseSelector`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SelectorStatus {
    /// A valid selector owned by this HPA alone.
    #[default]
    Valid,
    /// The scale has no selector (`InvalidSelector`).
    Missing,
    /// The selector does not parse (`InvalidSelector`); the text.
    Unparsable(String),
    /// The pods are also selected by other HPAs (`AmbiguousSelector`).
    Ambiguous(Vec<String>),
}

/// Everything the controller reads at one sync: the scale subresource, the
/// pods its selector matches, and the metrics APIs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HpaInput {
    /// `scale.spec.replicas`: the replica count last asked for.
    pub spec_replicas: i32,
    /// `scale.status.replicas`: the pods that exist.
    pub status_replicas: i32,
    /// The selector check.
    pub selector: SelectorStatus,
    /// The pods the selector matches (any phase, including terminating).
    pub pods: Vec<Pod>,
    /// The metric values.
    pub metrics: MetricsSnapshot,
}

/// `NormalizationArg`.
#[derive(Clone, Copy, Debug)]
pub struct NormalizationArg<'a> {
    /// `behavior.scaleUp` (defaulted).
    pub scale_up_behavior: &'a HpaScalingRules,
    /// `behavior.scaleDown` (defaulted, window set).
    pub scale_down_behavior: &'a HpaScalingRules,
    /// `minReplicas`.
    pub min_replicas: i32,
    /// `maxReplicas`.
    pub max_replicas: i32,
    /// The scale's current `spec.replicas`.
    pub current_replicas: i32,
    /// The recommendation being normalized.
    pub desired_replicas: i32,
}

/// One HPA's controller: its spec, the flags, and the in-memory history
/// (recommendations and scale events) that upstream keeps per HPA key.
#[derive(Clone, Debug)]
pub struct HpaController {
    config: HpaControllerConfig,
    spec: HpaSpec,
    calc: ReplicaCalculator,
    /// `None` until `recordInitialRecommendation` runs (upstream: a nil slice).
    recommendations: Option<Vec<TimestampedRecommendation>>,
    scale_up_events: Vec<TimestampedScaleEvent>,
    scale_down_events: Vec<TimestampedScaleEvent>,
    status: HpaStatus,
}

impl HpaController {
    /// A controller that has never seen the HPA: no history, no status.
    pub fn new(spec: HpaSpec, config: HpaControllerConfig) -> HpaController {
        let calc = ReplicaCalculator {
            cpu_initialization_period: config.cpu_initialization_period,
            delay_of_initial_readiness_status: config.initial_readiness_delay,
            pod_level_resources: config.feature_gates.pod_level_resources,
        };
        HpaController {
            config,
            spec,
            calc,
            recommendations: None,
            scale_up_events: Vec::new(),
            scale_down_events: Vec::new(),
            status: HpaStatus::default(),
        }
    }

    /// The spec being enforced.
    pub fn spec(&self) -> &HpaSpec {
        &self.spec
    }

    /// Replaces the spec (an operator edit); the history is kept, as
    /// upstream keeps it for an updated HPA.
    pub fn set_spec(&mut self, spec: HpaSpec) {
        self.spec = spec;
    }

    /// Replaces the controller flags (an operator edit), keeping the history.
    pub fn set_config(&mut self, config: HpaControllerConfig) {
        self.calc = ReplicaCalculator {
            cpu_initialization_period: config.cpu_initialization_period,
            delay_of_initial_readiness_status: config.initial_readiness_delay,
            pod_level_resources: config.feature_gates.pod_level_resources,
        };
        self.config = config;
    }

    /// The controller flags.
    pub fn config(&self) -> &HpaControllerConfig {
        &self.config
    }

    /// The status written at the last sync.
    pub fn status(&self) -> &HpaStatus {
        &self.status
    }

    /// The recommendation history (empty before the first sync).
    pub fn recommendations(&self) -> &[TimestampedRecommendation] {
        self.recommendations.as_deref().unwrap_or(&[])
    }

    /// Replaces the recommendation history; an empty list also suppresses
    /// the initial recommendation (as upstream's tests do with `[]`).
    pub fn set_recommendations(&mut self, recommendations: Vec<TimestampedRecommendation>) {
        self.recommendations = Some(recommendations);
    }

    /// Scale-up events (behavior path only).
    pub fn scale_up_events(&self) -> &[TimestampedScaleEvent] {
        &self.scale_up_events
    }

    /// Scale-down events (behavior path only).
    pub fn scale_down_events(&self) -> &[TimestampedScaleEvent] {
        &self.scale_down_events
    }

    /// Replaces the scale-event histories.
    pub fn set_scale_events(&mut self, up: Vec<TimestampedScaleEvent>, down: Vec<TimestampedScaleEvent>) {
        self.scale_up_events = up;
        self.scale_down_events = down;
    }

    /// `reconcileAutoscaler`: one sync at `now`. The caller applies
    /// `desired_replicas` to the scale when `rescale` is set; the update
    /// always succeeds in the simulation.
    pub fn reconcile(&mut self, now: SimTime, input: &HpaInput) -> ReconcileOutcome {
        let mut conditions = std::mem::take(&mut self.status.conditions);
        set_condition(
            &mut conditions,
            now,
            ConditionType::AbleToScale,
            true,
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
        );
        let current_replicas = input.spec_replicas;
        self.record_initial_recommendation(current_replicas, now);

        let min_replicas = self.spec.min_replicas;
        let max_replicas = self.spec.max_replicas;
        let mut metrics = Vec::new();
        let mut error = None;
        let mut rescale = true;
        let (mut desired_replicas, decision);

        if current_replicas == 0 && min_replicas != 0 {
            // The target was scaled to zero by hand: autoscaling is disabled.
            desired_replicas = 0;
            rescale = false;
            decision = Decision::ScalingDisabled;
            set_condition(
                &mut conditions,
                now,
                ConditionType::ScalingActive,
                false,
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
            );
        } else if current_replicas > max_replicas {
            desired_replicas = max_replicas;
            decision = Decision::AboveMax { max: max_replicas };
        } else if current_replicas < min_replicas {
            desired_replicas = min_replicas;
            decision = Decision::BelowMin { min: min_replicas };
        } else {
            let computed = self.compute_replicas_for_metrics(now, input, &mut conditions);
            metrics = computed.statuses;
            error = computed.error;
            if computed.replicas == -1 {
                // No decision: keep the status' desired count, scale nothing.
                self.status = HpaStatus {
                    current_replicas,
                    desired_replicas: self.status.desired_replicas,
                    last_scale_time: self.status.last_scale_time,
                    current_metrics: metrics.clone(),
                    conditions: conditions.clone(),
                };
                return ReconcileOutcome {
                    now,
                    current_replicas,
                    desired_replicas: current_replicas,
                    rescale: false,
                    decision: Decision::NoValidMetrics,
                    metrics,
                    error,
                    conditions,
                };
            }
            let metric_desired = computed.replicas.max(0);
            let normalization = if self.spec.behavior.is_none() {
                self.normalize_desired_replicas(now, current_replicas, metric_desired, min_replicas, &mut conditions)
            } else {
                self.normalize_desired_replicas_with_behaviors(
                    now,
                    current_replicas,
                    metric_desired,
                    min_replicas,
                    &mut conditions,
                )
            };
            desired_replicas = normalization.limited;
            decision = Decision::Metrics(normalization);
            rescale = desired_replicas != current_replicas;
        }

        if rescale {
            set_condition(
                &mut conditions,
                now,
                ConditionType::AbleToScale,
                true,
                "SucceededRescale",
                format!("the HPA controller was able to update the target scale to {desired_replicas}"),
            );
            store_scale_event(
                self.spec.behavior.as_ref(),
                &mut self.scale_up_events,
                &mut self.scale_down_events,
                current_replicas,
                desired_replicas,
                now,
            );
            self.status.last_scale_time = Some(now);
        } else {
            desired_replicas = current_replicas;
        }

        self.status = HpaStatus {
            current_replicas,
            desired_replicas,
            last_scale_time: self.status.last_scale_time,
            current_metrics: metrics.clone(),
            conditions: conditions.clone(),
        };
        ReconcileOutcome { now, current_replicas, desired_replicas, rescale, decision, metrics, error, conditions }
    }

    /// `recordInitialRecommendation`: the first sync seeds the history with
    /// the current count, which blocks scale-down for one window.
    fn record_initial_recommendation(&mut self, current_replicas: i32, now: SimTime) {
        if self.recommendations.is_none() {
            self.recommendations =
                Some(vec![TimestampedRecommendation { recommendation: current_replicas, timestamp: now }]);
        }
    }

    /// `tolerancesForHpa`: the flag tolerance, overridden per direction by
    /// `behavior.*.tolerance` when `HPAConfigurableTolerance` is on.
    pub fn tolerances(&self) -> Tolerances {
        tolerances_for_hpa(&self.spec, &self.config)
    }

    /// `computeReplicasForMetrics`: the maximum over the metrics' proposals.
    /// Any invalid metric blocks a scale-down; all invalid gives no decision
    /// (`replicas == -1`).
    fn compute_replicas_for_metrics(
        &self,
        now: SimTime,
        input: &HpaInput,
        conditions: &mut Vec<HpaCondition>,
    ) -> ComputedReplicas {
        // validateAndParseSelector.
        let selector_failure = match &input.selector {
            SelectorStatus::Valid => None,
            SelectorStatus::Missing => Some((
                "InvalidSelector",
                "the HPA target's scale is missing a selector".to_string(),
                "selector is required".to_string(),
            )),
            SelectorStatus::Unparsable(text) => {
                let msg = format!("couldn't convert selector into a corresponding internal selector object: {text}");
                Some(("InvalidSelector", msg.clone(), msg))
            }
            SelectorStatus::Ambiguous(others) => {
                let msg = format!("pods by selector are controlled by more than one HPA (e.g. {})", others.join(", "));
                Some(("AmbiguousSelector", msg.clone(), msg))
            }
        };
        if let Some((reason, message, err)) = selector_failure {
            set_condition(conditions, now, ConditionType::ScalingActive, false, reason, message);
            return ComputedReplicas { replicas: -1, statuses: Vec::new(), error: Some(err) };
        }

        let spec_replicas = input.spec_replicas;
        let status_replicas = input.status_replicas;
        let tolerances = self.tolerances();
        let mut replicas = 0;
        let mut metric = String::new();
        let mut statuses = Vec::with_capacity(self.spec.metrics.len());
        let mut invalid = 0usize;
        let mut invalid_condition: Option<(&'static str, String)> = None;
        let mut invalid_error = None;

        for spec in &self.spec.metrics {
            let result = self.compute_replicas_for_metric(now, spec, spec_replicas, status_replicas, input, tolerances);
            match result {
                Err(failure) => {
                    if invalid == 0 {
                        invalid_condition = Some((
                            failure.reason,
                            format!("the HPA was unable to compute the replica count: {}", failure.error),
                        ));
                        invalid_error = Some(failure.error.clone());
                    }
                    invalid += 1;
                    statuses.push(MetricOutcome {
                        label: spec.label(),
                        target: spec.target(),
                        result: Err(failure.error),
                    });
                }
                Ok((proposal, name)) => {
                    if replicas == 0 || proposal.replicas > replicas {
                        replicas = proposal.replicas;
                        metric = name;
                    }
                    statuses.push(MetricOutcome { label: spec.label(), target: spec.target(), result: Ok(proposal) });
                }
            }
        }

        let n = self.spec.metrics.len();
        let error =
            invalid_error.map(|e| format!("invalid metrics ({invalid} invalid out of {n}), first error is: {e}"));
        if n == 0 {
            return ComputedReplicas { replicas: -1, statuses, error: Some("the HPA has no metrics".to_string()) };
        }
        if invalid >= n || (invalid > 0 && replicas < spec_replicas) {
            if let Some((reason, message)) = invalid_condition {
                set_condition(conditions, now, ConditionType::ScalingActive, false, reason, message);
            }
            return ComputedReplicas { replicas: -1, statuses, error };
        }
        set_condition(
            conditions,
            now,
            ConditionType::ScalingActive,
            true,
            "ValidMetricFound",
            format!("the HPA was able to successfully calculate a replica count from {metric}"),
        );
        ComputedReplicas { replicas, statuses, error }
    }

    /// `computeReplicasForMetric` with the `computeStatusFor*Metric`
    /// dispatch: which calculator runs, and whether it gets `spec.replicas`
    /// or `status.replicas`.
    fn compute_replicas_for_metric(
        &self,
        now: SimTime,
        spec: &MetricSpec,
        spec_replicas: i32,
        status_replicas: i32,
        input: &HpaInput,
        tolerances: Tolerances,
    ) -> Result<(MetricProposal, String), MetricFailure> {
        let calc = &self.calc;
        let pods = &input.pods;
        let snapshot = &input.metrics;
        match spec {
            MetricSpec::Resource { name, target } | MetricSpec::ContainerResource { name, target, .. } => {
                let (container, reason, what) = match spec {
                    MetricSpec::ContainerResource { container, .. } => (
                        container.as_str(),
                        "FailedGetContainerResourceMetric",
                        format!("{container} container metric value"),
                    ),
                    _ => ("", "FailedGetResourceMetric", format!("{name} resource metric value")),
                };
                let fail = |e: String| MetricFailure { reason, error: format!("failed to get {what}: {e}") };
                match *target {
                    MetricTarget::AverageValue(target) => {
                        let r = calc
                            .get_raw_resource_replicas(
                                now,
                                spec_replicas,
                                target,
                                name,
                                tolerances,
                                container,
                                pods,
                                snapshot,
                            )
                            .map_err(|e| fail(format!("failed to get {name} usage: {e}")))?;
                        Ok((
                            MetricProposal {
                                replicas: r.replicas,
                                current: MetricCurrent::AverageValue(r.usage),
                            },
                            format!("{name} resource"),
                        ))
                    }
                    MetricTarget::Utilization(target) => {
                        let r = calc
                            .get_resource_replicas(
                                now,
                                spec_replicas,
                                target,
                                name,
                                tolerances,
                                container,
                                pods,
                                snapshot,
                            )
                            .map_err(|e| fail(format!("failed to get {name} utilization: {e}")))?;
                        let kind = if container.is_empty() { "resource" } else { "container resource" };
                        Ok((
                            MetricProposal {
                                replicas: r.replicas,
                                current: MetricCurrent::Utilization {
                                    percent: r.utilization,
                                    average: r.raw_utilization,
                                },
                            },
                            format!("{name} {kind} utilization (percentage of request)"),
                        ))
                    }
                    MetricTarget::Value(_) => Err(fail(
                        "invalid resource metric source: neither an average utilization target nor an average value (usage) target was set"
                            .to_string(),
                    )),
                }
            }
            MetricSpec::Pods { metric, target } => {
                let MetricTarget::AverageValue(target) = *target else {
                    return Err(MetricFailure {
                        reason: "FailedGetPodsMetric",
                        error: "failed to get pods metric value: invalid pods metric source: an average value target is required".to_string(),
                    });
                };
                let r = calc
                    .get_metric_replicas(now, spec_replicas, target, &metric.name, tolerances, pods, snapshot)
                    .map_err(|e| MetricFailure {
                        reason: "FailedGetPodsMetric",
                        error: format!("failed to get pods metric value: {e}"),
                    })?;
                Ok((
                    MetricProposal { replicas: r.replicas, current: MetricCurrent::AverageValue(r.usage) },
                    format!("pods metric {}", metric.name),
                ))
            }
            MetricSpec::Object { described_object, metric, target } => {
                let key = ObjectMetricKey {
                    kind: described_object.kind.clone(),
                    name: described_object.name.clone(),
                    metric: metric.name.clone(),
                };
                let fail = |e: String| MetricFailure {
                    reason: "FailedGetObjectMetric",
                    error: format!("failed to get object metric value: {e}"),
                };
                match *target {
                    MetricTarget::Value(target) => {
                        let r = calc
                            .get_object_metric_replicas(spec_replicas, target, &key, tolerances, pods, snapshot)
                            .map_err(|e| fail(e.to_string()))?;
                        Ok((
                            MetricProposal { replicas: r.replicas, current: MetricCurrent::Value(r.usage) },
                            format!("{} metric {}", described_object.kind, metric.name),
                        ))
                    }
                    MetricTarget::AverageValue(target) => {
                        let r = calc
                            .get_object_per_pod_metric_replicas(status_replicas, target, &key, tolerances, snapshot)
                            .map_err(|e| fail(format!("failed to get {} object metric: {e}", metric.name)))?;
                        Ok((
                            MetricProposal { replicas: r.replicas, current: MetricCurrent::AverageValue(r.usage) },
                            format!("external metric {}", metric.name),
                        ))
                    }
                    MetricTarget::Utilization(_) => Err(fail(
                        "invalid object metric source: neither a value target nor an average value target was set"
                            .to_string(),
                    )),
                }
            }
            MetricSpec::External { metric, target } => {
                let fail = |e: String| MetricFailure {
                    reason: "FailedGetExternalMetric",
                    error: format!("failed to get {} external metric: {e}", metric.name),
                };
                match *target {
                    MetricTarget::AverageValue(target) => {
                        let r = calc
                            .get_external_per_pod_metric_replicas(
                                status_replicas,
                                target,
                                &metric.name,
                                tolerances,
                                snapshot,
                            )
                            .map_err(|e| fail(e.to_string()))?;
                        Ok((
                            MetricProposal { replicas: r.replicas, current: MetricCurrent::AverageValue(r.usage) },
                            format!("external metric {}", metric.name),
                        ))
                    }
                    MetricTarget::Value(target) => {
                        let r = calc
                            .get_external_metric_replicas(
                                spec_replicas,
                                target,
                                &metric.name,
                                tolerances,
                                pods,
                                snapshot,
                            )
                            .map_err(|e| fail(e.to_string()))?;
                        Ok((
                            MetricProposal { replicas: r.replicas, current: MetricCurrent::Value(r.usage) },
                            format!("external metric {}", metric.name),
                        ))
                    }
                    MetricTarget::Utilization(_) => Err(fail(
                        "invalid external metric source: neither a value target nor an average value target was set"
                            .to_string(),
                    )),
                }
            }
            MetricSpec::Unsupported { type_name } => Err(MetricFailure {
                reason: "InvalidMetricSourceType",
                error: format!("unknown metric source type \"{type_name}\""),
            }),
        }
    }

    /// `normalizeDesiredReplicas`: the legacy path (no `behavior`).
    fn normalize_desired_replicas(
        &mut self,
        now: SimTime,
        current_replicas: i32,
        prenormalized: i32,
        min_replicas: i32,
        conditions: &mut Vec<HpaCondition>,
    ) -> Normalization {
        let window = self.config.downscale_stabilization_window;
        let recommendations = self.recommendations.get_or_insert_with(Vec::new);
        let stabilized = stabilize_recommendation(recommendations, now, window, prenormalized);
        if stabilized != prenormalized {
            set_condition(
                conditions,
                now,
                ConditionType::AbleToScale,
                true,
                "ScaleDownStabilized",
                "recent recommendations were higher than current one, applying the highest recent recommendation",
            );
        } else {
            set_condition(
                conditions,
                now,
                ConditionType::AbleToScale,
                true,
                "ReadyForNewScale",
                "recommended size matches current size",
            );
        }
        let (desired, reason) = convert_desired_replicas_with_rules(
            current_replicas,
            stabilized,
            min_replicas,
            self.spec.max_replicas,
            &self.config,
        );
        set_condition(
            conditions,
            now,
            ConditionType::ScalingLimited,
            desired != stabilized,
            reason.as_str(),
            reason.message(),
        );
        let bound = match reason {
            LimitReason::ScaleUpLimit => LimitBound::LegacyScaleUp {
                factor: self.config.scale_up_limit_factor,
                minimum: self.config.scale_up_limit_minimum,
            },
            LimitReason::TooManyReplicas => LimitBound::MaxReplicas(self.spec.max_replicas),
            LimitReason::TooFewReplicas => LimitBound::MinReplicas(min_replicas),
            _ => LimitBound::None,
        };
        Normalization {
            metric_desired: prenormalized,
            stabilized,
            stabilization: Stabilization::Legacy { window },
            limited: desired,
            limit_reason: reason,
            bound,
        }
    }

    /// `normalizeDesiredReplicasWithBehaviors`: stabilize, then rate-limit.
    fn normalize_desired_replicas_with_behaviors(
        &mut self,
        now: SimTime,
        current_replicas: i32,
        prenormalized: i32,
        min_replicas: i32,
        conditions: &mut Vec<HpaCondition>,
    ) -> Normalization {
        maybe_init_scale_down_stabilization_window(&mut self.spec, &self.config);
        let Some(behavior) = self.spec.behavior.as_ref() else {
            // Unreachable: only called with a behavior.
            return self.normalize_desired_replicas(now, current_replicas, prenormalized, min_replicas, conditions);
        };
        let mut arg = NormalizationArg {
            scale_up_behavior: &behavior.scale_up,
            scale_down_behavior: &behavior.scale_down,
            min_replicas,
            max_replicas: self.spec.max_replicas,
            current_replicas,
            desired_replicas: prenormalized,
        };
        let recommendations = self.recommendations.get_or_insert_with(Vec::new);
        let (stabilized, reason, message) = stabilize_recommendation_with_behaviors(recommendations, now, &arg);
        arg.desired_replicas = stabilized;
        if stabilized != prenormalized {
            set_condition(conditions, now, ConditionType::AbleToScale, true, reason, message);
        } else {
            set_condition(
                conditions,
                now,
                ConditionType::AbleToScale,
                true,
                "ReadyForNewScale",
                "recommended size matches current size",
            );
        }
        let (desired, limit_reason, bound) = convert_desired_replicas_with_behavior_rate_detailed(
            &arg,
            &self.scale_up_events,
            &self.scale_down_events,
            now,
        );
        set_condition(
            conditions,
            now,
            ConditionType::ScalingLimited,
            desired != stabilized,
            limit_reason.as_str(),
            limit_reason.message(),
        );
        Normalization {
            metric_desired: prenormalized,
            stabilized,
            stabilization: Stabilization::Behavior {
                up_window_seconds: behavior.scale_up.stabilization_window_seconds.unwrap_or(0),
                down_window_seconds: behavior.scale_down.stabilization_window_seconds.unwrap_or(0),
            },
            limited: desired,
            limit_reason,
            bound,
        }
    }
}

/// What `computeReplicasForMetrics` returns.
struct ComputedReplicas {
    /// The proposal, or -1 for "no decision".
    replicas: i32,
    statuses: Vec<MetricOutcome>,
    error: Option<String>,
}

/// A metric that could not be computed: the `ScalingActive` reason and the
/// error.
struct MetricFailure {
    reason: &'static str,
    error: String,
}

/// `tolerancesForHpa`.
pub fn tolerances_for_hpa(spec: &HpaSpec, config: &HpaControllerConfig) -> Tolerances {
    let mut t = Tolerances::symmetric(config.tolerance);
    let Some(behavior) = &spec.behavior else {
        return t;
    };
    if !config.feature_gates.hpa_configurable_tolerance {
        return t;
    }
    if let Some(down) = behavior.scale_down.tolerance {
        t.scale_down = down;
    }
    if let Some(up) = behavior.scale_up.tolerance {
        t.scale_up = up;
    }
    t
}

/// `ts.After(now - window)`.
fn within(ts: SimTime, window: SimDuration, now: SimTime) -> bool {
    u128::from(ts.as_nanos()) + u128::from(window.as_nanos()) > u128::from(now.as_nanos())
}

/// `ts.Before(now - window)`.
fn expired(ts: SimTime, window: SimDuration, now: SimTime) -> bool {
    u128::from(ts.as_nanos()) + u128::from(window.as_nanos()) < u128::from(now.as_nanos())
}

fn seconds(s: i32) -> SimDuration {
    SimDuration::from_secs(u64::try_from(s).unwrap_or(0))
}

/// `stabilizeRecommendation`: stores the recommendation (reusing the last
/// expired slot) and returns the maximum over the window, including it.
pub fn stabilize_recommendation(
    recommendations: &mut Vec<TimestampedRecommendation>,
    now: SimTime,
    window: SimDuration,
    prenormalized: i32,
) -> i32 {
    let mut max_recommendation = prenormalized;
    let mut old_sample_index = None;
    for (i, rec) in recommendations.iter().enumerate() {
        if expired(rec.timestamp, window, now) {
            old_sample_index = Some(i);
        } else if rec.recommendation > max_recommendation {
            max_recommendation = rec.recommendation;
        }
    }
    let new = TimestampedRecommendation { recommendation: prenormalized, timestamp: now };
    match old_sample_index {
        Some(i) => recommendations[i] = new,
        None => recommendations.push(new),
    }
    max_recommendation
}

/// `calculateScaleUpLimit`: `int32(max(factor × current, minimum))`.
pub fn calculate_scale_up_limit(current_replicas: i32, config: &HpaControllerConfig) -> i32 {
    (config.scale_up_limit_factor * f64::from(current_replicas)).max(config.scale_up_limit_minimum) as i32
}

/// `convertDesiredReplicasWithRules`: clamps to `[min, min(max, scale-up
/// limit)]`.
pub fn convert_desired_replicas_with_rules(
    current_replicas: i32,
    desired_replicas: i32,
    hpa_min_replicas: i32,
    hpa_max_replicas: i32,
    config: &HpaControllerConfig,
) -> (i32, LimitReason) {
    let minimum_allowed = hpa_min_replicas;
    // Do not scale up too much at once (upstream issue #32304).
    let scale_up_limit = calculate_scale_up_limit(current_replicas, config);
    let (maximum_allowed, reason) = if hpa_max_replicas > scale_up_limit {
        (scale_up_limit, LimitReason::ScaleUpLimit)
    } else {
        (hpa_max_replicas, LimitReason::TooManyReplicas)
    };
    if desired_replicas < minimum_allowed {
        (minimum_allowed, LimitReason::TooFewReplicas)
    } else if desired_replicas > maximum_allowed {
        (maximum_allowed, reason)
    } else {
        (desired_replicas, LimitReason::DesiredWithinRange)
    }
}

/// `maybeInitScaleDownStabilizationWindow`: a behavior without a scale-down
/// window gets the controller flag's.
pub fn maybe_init_scale_down_stabilization_window(spec: &mut HpaSpec, config: &HpaControllerConfig) {
    if let Some(behavior) = spec.behavior.as_mut() {
        if behavior.scale_down.stabilization_window_seconds.is_none() {
            let secs = config.downscale_stabilization_window.as_nanos() / 1_000_000_000;
            behavior.scale_down.stabilization_window_seconds = Some(i32::try_from(secs).unwrap_or(i32::MAX));
        }
    }
}

/// `stabilizeRecommendationWithBehaviors`: the current count, raised to the
/// minimum of the recommendations inside the scale-up window and lowered to
/// the maximum inside the scale-down window; stores the unstabilized
/// recommendation (reusing the last slot expired for both windows). Returns
/// the count and the `AbleToScale` reason and message.
pub fn stabilize_recommendation_with_behaviors(
    recommendations: &mut Vec<TimestampedRecommendation>,
    now: SimTime,
    args: &NormalizationArg<'_>,
) -> (i32, &'static str, &'static str) {
    let up_window = seconds(args.scale_up_behavior.stabilization_window_seconds.unwrap_or(0));
    let down_window = seconds(args.scale_down_behavior.stabilization_window_seconds.unwrap_or(0));
    let mut up_recommendation = args.desired_replicas;
    let mut down_recommendation = args.desired_replicas;
    let mut old_sample_index = None;
    for (i, rec) in recommendations.iter().enumerate() {
        if within(rec.timestamp, up_window, now) {
            up_recommendation = up_recommendation.min(rec.recommendation);
        }
        if within(rec.timestamp, down_window, now) {
            down_recommendation = down_recommendation.max(rec.recommendation);
        }
        if expired(rec.timestamp, up_window, now) && expired(rec.timestamp, down_window, now) {
            old_sample_index = Some(i);
        }
    }
    let mut recommendation = args.current_replicas;
    if recommendation < up_recommendation {
        recommendation = up_recommendation;
    }
    if recommendation > down_recommendation {
        recommendation = down_recommendation;
    }
    let new = TimestampedRecommendation { recommendation: args.desired_replicas, timestamp: now };
    match old_sample_index {
        Some(i) => recommendations[i] = new,
        None => recommendations.push(new),
    }
    if args.desired_replicas >= args.current_replicas {
        (
            recommendation,
            "ScaleUpStabilized",
            "recent recommendations were lower than current one, applying the lowest recent recommendation",
        )
    } else {
        (
            recommendation,
            "ScaleDownStabilized",
            "recent recommendations were higher than current one, applying the highest recent recommendation",
        )
    }
}

/// `convertDesiredReplicasWithBehaviorRate`: clamps in the direction of the
/// change, to `[max(min, down-limit), min(max, up-limit)]`.
pub fn convert_desired_replicas_with_behavior_rate(
    args: &NormalizationArg<'_>,
    scale_up_events: &[TimestampedScaleEvent],
    scale_down_events: &[TimestampedScaleEvent],
    now: SimTime,
) -> (i32, LimitReason) {
    let (replicas, reason, _) =
        convert_desired_replicas_with_behavior_rate_detailed(args, scale_up_events, scale_down_events, now);
    (replicas, reason)
}

fn convert_desired_replicas_with_behavior_rate_detailed(
    args: &NormalizationArg<'_>,
    scale_up_events: &[TimestampedScaleEvent],
    scale_down_events: &[TimestampedScaleEvent],
    now: SimTime,
) -> (i32, LimitReason, LimitBound) {
    if args.desired_replicas > args.current_replicas {
        let rules = args.scale_up_behavior;
        let (mut limit, mut policy) =
            scale_up_limit_with_policy(args.current_replicas, scale_up_events, scale_down_events, rules, now);
        if limit < args.current_replicas {
            // No further scale-up until the recent scale-ups leave the period.
            limit = args.current_replicas;
            policy = None;
        }
        let (maximum_allowed, reason, bound) = if args.max_replicas > limit {
            (limit, LimitReason::ScaleUpLimit, LimitBound::Rate { policy, select: rules.select_policy })
        } else {
            (args.max_replicas, LimitReason::TooManyReplicas, LimitBound::MaxReplicas(args.max_replicas))
        };
        if args.desired_replicas > maximum_allowed {
            return (maximum_allowed, reason, bound);
        }
    } else if args.desired_replicas < args.current_replicas {
        let rules = args.scale_down_behavior;
        let (mut limit, mut policy) =
            scale_down_limit_with_policy(args.current_replicas, scale_up_events, scale_down_events, rules, now);
        if limit > args.current_replicas {
            // No further scale-down until the recent scale-downs leave the period.
            limit = args.current_replicas;
            policy = None;
        }
        let (minimum_allowed, reason, bound) = if args.min_replicas < limit {
            (limit, LimitReason::ScaleDownLimit, LimitBound::Rate { policy, select: rules.select_policy })
        } else {
            (args.min_replicas, LimitReason::TooFewReplicas, LimitBound::MinReplicas(args.min_replicas))
        };
        if args.desired_replicas < minimum_allowed {
            return (minimum_allowed, reason, bound);
        }
    }
    (args.desired_replicas, LimitReason::DesiredWithinRange, LimitBound::None)
}

/// `getReplicasChangePerPeriod`: the sum of the changes strictly inside the
/// last `period_seconds` (the `outdated` flag is not consulted).
pub fn get_replicas_change_per_period(
    period_seconds: i32,
    scale_events: &[TimestampedScaleEvent],
    now: SimTime,
) -> i32 {
    let period = seconds(period_seconds);
    scale_events
        .iter()
        .filter(|e| within(e.timestamp, period, now))
        .fold(0i32, |acc, e| acc.wrapping_add(e.replica_change))
}

/// `calculateScaleUpLimitWithScalingRules`: for each policy, the replica
/// count at the start of its period (`current - added + deleted`) plus the
/// allowed change (Percent rounds up); `Max` takes the most permissive
/// policy, `Min` the least, `Disabled` holds at the current count.
pub fn calculate_scale_up_limit_with_scaling_rules(
    current_replicas: i32,
    scale_up_events: &[TimestampedScaleEvent],
    scale_down_events: &[TimestampedScaleEvent],
    scaling_rules: &HpaScalingRules,
    now: SimTime,
) -> i32 {
    scale_up_limit_with_policy(current_replicas, scale_up_events, scale_down_events, scaling_rules, now).0
}

fn scale_up_limit_with_policy(
    current_replicas: i32,
    scale_up_events: &[TimestampedScaleEvent],
    scale_down_events: &[TimestampedScaleEvent],
    rules: &HpaScalingRules,
    now: SimTime,
) -> (i32, Option<HpaScalingPolicy>) {
    let pick_min = match rules.select_policy {
        SelectPolicy::Disabled => return (current_replicas, None),
        SelectPolicy::Min => true,
        SelectPolicy::Max => false,
    };
    let mut result = if pick_min { i32::MAX } else { i32::MIN };
    let mut chosen = None;
    for policy in &rules.policies {
        let added = get_replicas_change_per_period(policy.period_seconds, scale_up_events, now);
        let deleted = get_replicas_change_per_period(policy.period_seconds, scale_down_events, now);
        let period_start = current_replicas.wrapping_sub(added).wrapping_add(deleted);
        let proposed = match policy.policy_type {
            ScalingPolicyType::Pods => period_start.wrapping_add(policy.value),
            // Rounded up, or a small percentage could never add a pod.
            ScalingPolicyType::Percent => {
                (f64::from(period_start) * (1.0 + f64::from(policy.value) / 100.0)).ceil() as i32
            }
        };
        let better = if pick_min { proposed < result } else { proposed > result };
        if better {
            result = proposed;
            chosen = Some(*policy);
        }
    }
    (result, chosen)
}

/// `calculateScaleDownLimitWithBehaviors`: for each policy, the count at the
/// start of its period minus the allowed change (Percent truncates towards
/// zero); `Max` takes the lowest floor, `Min` the highest, `Disabled` holds
/// at the current count.
pub fn calculate_scale_down_limit_with_behaviors(
    current_replicas: i32,
    scale_up_events: &[TimestampedScaleEvent],
    scale_down_events: &[TimestampedScaleEvent],
    scaling_rules: &HpaScalingRules,
    now: SimTime,
) -> i32 {
    scale_down_limit_with_policy(current_replicas, scale_up_events, scale_down_events, scaling_rules, now).0
}

fn scale_down_limit_with_policy(
    current_replicas: i32,
    scale_up_events: &[TimestampedScaleEvent],
    scale_down_events: &[TimestampedScaleEvent],
    rules: &HpaScalingRules,
    now: SimTime,
) -> (i32, Option<HpaScalingPolicy>) {
    let pick_max = match rules.select_policy {
        SelectPolicy::Disabled => return (current_replicas, None),
        SelectPolicy::Min => true,
        SelectPolicy::Max => false,
    };
    let mut result = if pick_max { i32::MIN } else { i32::MAX };
    let mut chosen = None;
    for policy in &rules.policies {
        let added = get_replicas_change_per_period(policy.period_seconds, scale_up_events, now);
        let deleted = get_replicas_change_per_period(policy.period_seconds, scale_down_events, now);
        let period_start = current_replicas.wrapping_sub(added).wrapping_add(deleted);
        let proposed = match policy.policy_type {
            ScalingPolicyType::Pods => period_start.wrapping_sub(policy.value),
            ScalingPolicyType::Percent => (f64::from(period_start) * (1.0 - f64::from(policy.value) / 100.0)) as i32,
        };
        let better = if pick_max { proposed > result } else { proposed < result };
        if better {
            result = proposed;
            chosen = Some(*policy);
        }
    }
    (result, chosen)
}

/// `getLongestPolicyPeriod`.
pub fn get_longest_policy_period(rules: &HpaScalingRules) -> i32 {
    rules.policies.iter().map(|p| p.period_seconds).fold(0, i32::max)
}

/// `markScaleEventsOutdated`: events older than the longest period are
/// marked for reuse.
pub fn mark_scale_events_outdated(
    scale_events: &mut [TimestampedScaleEvent],
    longest_policy_period: i32,
    now: SimTime,
) {
    let period = seconds(longest_policy_period);
    for e in scale_events.iter_mut() {
        if expired(e.timestamp, period, now) {
            e.outdated = true;
        }
    }
}

/// `storeScaleEvent`: records a change made by the controller (nothing on
/// the legacy path), overwriting the last outdated event of its direction.
pub fn store_scale_event(
    behavior: Option<&HpaBehavior>,
    scale_up_events: &mut Vec<TimestampedScaleEvent>,
    scale_down_events: &mut Vec<TimestampedScaleEvent>,
    prev_replicas: i32,
    new_replicas: i32,
    now: SimTime,
) {
    let Some(behavior) = behavior else {
        return;
    };
    let (events, longest, change) = if new_replicas > prev_replicas {
        (scale_up_events, get_longest_policy_period(&behavior.scale_up), new_replicas - prev_replicas)
    } else {
        (scale_down_events, get_longest_policy_period(&behavior.scale_down), prev_replicas - new_replicas)
    };
    mark_scale_events_outdated(events, longest, now);
    let new = TimestampedScaleEvent { replica_change: change, timestamp: now, outdated: false };
    match events.iter().rposition(|e| e.outdated) {
        Some(i) => events[i] = new,
        None => events.push(new),
    }
}

#[cfg(test)]
mod tests;
