//! Ports of `pkg/controller/podautoscaler/horizontal_test.go`.
//!
//! Reconcile-level cases use a fixture that mirrors upstream's
//! `testCase.prepareTestClient`: pods `test-pod-<i>` (one per reported CPU
//! request, else `statusReplicas`), each request split over two containers,
//! `PodReady` transition and start time both the given start (Go's zero time
//! unless set), CPU samples split over the two containers at "now" with a
//! 1-minute window, the custom metric `qps` per pod, every Object metric
//! valued at the first level, and the External metric `qps` made of every
//! level. As in upstream's `init()`, `scaleUpLimitFactor` is 8.
//!
//! Not ported, because they test API plumbing rather than replica math:
//! `TestConditionFailedGetScale`, `TestConditionFailedUpdateScale` (scale
//! GET/UPDATE errors), `TestMultipleHPAs` (1000 HPAs through the work queue).
//! Event and monitor assertions of the other cases are not ported either;
//! their replica counts and conditions are.

use super::*;
use crate::policy::hpa::defaults::{default_behavior, generate_hpa_scale_down_rules, generate_hpa_scale_up_rules};
use crate::policy::hpa::metrics::{ContainerMetrics, PodMetricValue, PodResourceMetrics};
use crate::policy::hpa::pods::{ConditionStatus, Container, PodPhase, PodReadyCondition};
use crate::policy::hpa::types::{CrossVersionObjectReference, HpaScalingRulesSpec, MetricIdentifier};
use std::collections::BTreeMap;

const NOW: SimTime = SimTime::from_secs(1_000_000);

fn secs(s: u64) -> SimDuration {
    SimDuration::from_secs(s)
}

fn minutes(m: u64) -> SimDuration {
    SimDuration::from_secs(60 * m)
}

fn ago(d: SimDuration) -> SimTime {
    NOW.saturating_sub(d)
}

/// `hotCPUCreationTime`.
fn hot() -> SimTime {
    NOW
}

/// `coolCPUCreationTime`.
fn cool() -> SimTime {
    ago(minutes(3))
}

/// The controller as upstream's tests build it.
fn test_config() -> HpaControllerConfig {
    HpaControllerConfig {
        tolerance: 0.1,
        cpu_initialization_period: minutes(2),
        initial_readiness_delay: secs(10),
        downscale_stabilization_window: minutes(5),
        scale_up_limit_factor: 8.0,
        scale_up_limit_minimum: 4.0,
        ..HpaControllerConfig::default()
    }
}

use ConditionStatus::{False as F, True as T};
use ConditionType::{AbleToScale, ScalingActive, ScalingLimited};
use PodPhase::{Failed, Running};

type Cond = (ConditionType, bool, &'static str);

/// `statusOk`.
const STATUS_OK: [Cond; 3] = [
    (AbleToScale, true, "SucceededRescale"),
    (ScalingActive, true, "ValidMetricFound"),
    (ScalingLimited, false, "DesiredWithinRange"),
];

/// `statusOkWithOverrides`.
fn status_ok_with(overrides: &[Cond]) -> Vec<Cond> {
    let mut list = STATUS_OK.to_vec();
    for o in overrides {
        match list.iter_mut().find(|c| c.0 == o.0) {
            Some(c) => *c = *o,
            None => list.push(*o),
        }
    }
    list
}

/// `generateScalingRules`.
fn generate_scaling_rules(
    pods: i32,
    pods_period: i32,
    percent: i32,
    percent_period: i32,
    stabilization_window: i32,
) -> HpaScalingRulesSpec {
    let mut policies = Vec::new();
    if pods != 0 {
        policies.push(HpaScalingPolicy::pods(pods, pods_period));
    }
    if percent != 0 {
        policies.push(HpaScalingPolicy::percent(percent, percent_period));
    }
    HpaScalingRulesSpec {
        stabilization_window_seconds: Some(stabilization_window),
        select_policy: Some(SelectPolicy::Max),
        policies: (!policies.is_empty()).then_some(policies),
        tolerance: None,
    }
}

/// `generateEventsUniformDistribution`: events spread over the last
/// `period_seconds`, each at the centre of its segment (seconds truncated as
/// Go's `time.Duration(float)` does).
fn generate_events_uniform_distribution(raw: &[i32], period_seconds: i32) -> Vec<TimestampedScaleEvent> {
    let segment = f64::from(period_seconds) / raw.len() as f64;
    raw.iter()
        .enumerate()
        .map(|(idx, &change)| {
            let boundary = (f64::from(period_seconds) - segment * (idx as f64 + 1.0) + segment / 2.0) as u64;
            TimestampedScaleEvent { replica_change: change, timestamp: ago(secs(boundary)), outdated: false }
        })
        .collect()
}

fn rec(recommendation: i32, age: SimDuration) -> TimestampedRecommendation {
    TimestampedRecommendation { recommendation, timestamp: ago(age) }
}

fn cpu_utilization(target: i32) -> MetricSpec {
    MetricSpec::Resource { name: "cpu".to_string(), target: MetricTarget::Utilization(target) }
}

fn container_cpu(container: &str, target: i32) -> MetricSpec {
    MetricSpec::ContainerResource {
        name: "cpu".to_string(),
        container: container.to_string(),
        target: MetricTarget::Utilization(target),
    }
}

fn pods_qps(average_milli: i64) -> MetricSpec {
    MetricSpec::Pods { metric: MetricIdentifier::named("qps"), target: MetricTarget::AverageValue(average_milli) }
}

fn object_qps(target: MetricTarget) -> MetricSpec {
    MetricSpec::Object {
        described_object: CrossVersionObjectReference::new("apps/v1", "Deployment", "some-deployment"),
        metric: MetricIdentifier::named("qps"),
        target,
    }
}

fn external_qps(target: MetricTarget) -> MetricSpec {
    MetricSpec::External { metric: MetricIdentifier::named("qps"), target }
}

fn cheddar() -> MetricSpec {
    MetricSpec::Unsupported { type_name: "CheddarCheese".to_string() }
}

/// Upstream's `testCase`, reduced to what the replica math reads.
#[derive(Clone, Default)]
struct TestCase {
    min_replicas: i32,
    max_replicas: i32,
    spec_replicas: i32,
    status_replicas: i32,
    scale_up_rules: Option<HpaScalingRulesSpec>,
    scale_down_rules: Option<HpaScalingRulesSpec>,
    cpu_target: i32,
    /// Checked against the reported CPU utilization when set.
    cpu_current: Option<i32>,
    reported_levels: Vec<u64>,
    /// Milli-CPU per pod; `None` means `statusReplicas` pods of 1 core.
    reported_cpu_requests: Option<Vec<i64>>,
    reported_pod_readiness: Option<Vec<ConditionStatus>>,
    reported_pod_start_time: Option<Vec<SimTime>>,
    reported_pod_phase: Option<Vec<PodPhase>>,
    reported_pod_deletion: Option<Vec<bool>>,
    metrics_target: Vec<MetricSpec>,
    expected_desired_replicas: i32,
    /// `None` means `statusOk`.
    expected_conditions: Option<Vec<Cond>>,
    recommendations: Option<Vec<TimestampedRecommendation>>,
    selector: SelectorStatus,
    /// Every metrics API fails (`TestConditionFailedGetMetrics`).
    fail_all_metrics: bool,
    /// The external metrics API fails.
    fail_external: bool,
}

impl TestCase {
    fn spec(&self) -> HpaSpec {
        let mut metrics = Vec::new();
        if self.cpu_target > 0 {
            metrics.push(cpu_utilization(self.cpu_target));
        }
        metrics.extend(self.metrics_target.iter().cloned());
        if metrics.is_empty() {
            // Upstream adds a CPU metric without a target; no case with it
            // reaches the metrics (the replica count is out of bounds).
            metrics.push(cpu_utilization(80));
        }
        let behavior = (self.scale_up_rules.is_some() || self.scale_down_rules.is_some())
            .then(|| default_behavior(self.scale_up_rules.as_ref(), self.scale_down_rules.as_ref()));
        HpaSpec {
            scale_target_ref: CrossVersionObjectReference::new("v1", "ReplicationController", "test-rc"),
            min_replicas: self.min_replicas,
            max_replicas: self.max_replicas,
            metrics,
            behavior,
        }
    }

    fn input(&self) -> HpaInput {
        let count = self.reported_cpu_requests.as_ref().map_or(self.status_replicas as usize, Vec::len);
        let pods = (0..count)
            .map(|i| {
                let readiness = self.reported_pod_readiness.as_ref().map_or(T, |r| r[i]);
                let start = self.reported_pod_start_time.as_ref().map_or(SimTime::ZERO, |s| s[i]);
                let request = self.reported_cpu_requests.as_ref().map_or(1000, |r| r[i]);
                Pod {
                    name: format!("test-pod-{i}"),
                    phase: self.reported_pod_phase.as_ref().map_or(Running, |p| p[i]),
                    deleting: self.reported_pod_deletion.as_ref().is_some_and(|d| d[i]),
                    ready: Some(PodReadyCondition { status: readiness, last_transition_time: start }),
                    start_time: Some(start),
                    containers: vec![
                        Container::with_request("container1", "cpu", request / 2),
                        Container::with_request("container2", "cpu", request / 2),
                    ],
                    init_containers: Vec::new(),
                    pod_requests: None,
                }
            })
            .collect();
        let mut metrics = MetricsSnapshot::default();
        if !self.fail_all_metrics {
            for (i, &level) in self.reported_levels.iter().enumerate() {
                let half = (level / 2) as i64;
                metrics.resource.push(PodResourceMetrics {
                    pod: format!("test-pod-{i}"),
                    timestamp: NOW,
                    window: minutes(1),
                    containers: vec![
                        ContainerMetrics {
                            name: "container1".to_string(),
                            usage: BTreeMap::from([("cpu".to_string(), half)]),
                        },
                        ContainerMetrics {
                            name: "container2".to_string(),
                            usage: BTreeMap::from([("cpu".to_string(), half)]),
                        },
                    ],
                });
            }
            let values: Vec<PodMetricValue> = self
                .reported_levels
                .iter()
                .enumerate()
                .map(|(i, &level)| PodMetricValue {
                    pod: format!("test-pod-{i}"),
                    value: level as i64,
                    timestamp: NOW,
                    window: None,
                })
                .collect();
            if !values.is_empty() {
                metrics.pods.insert("qps".to_string(), values);
            }
            for spec in &self.metrics_target {
                if let (MetricSpec::Object { described_object, metric, .. }, Some(&first)) =
                    (spec, self.reported_levels.first())
                {
                    metrics.object.insert(
                        ObjectMetricKey {
                            kind: described_object.kind.clone(),
                            name: described_object.name.clone(),
                            metric: metric.name.clone(),
                        },
                        first as i64,
                    );
                }
            }
            if !self.fail_external && !self.reported_levels.is_empty() {
                metrics.external.insert("qps".to_string(), self.reported_levels.iter().map(|&l| l as i64).collect());
            }
        }
        HpaInput {
            spec_replicas: self.spec_replicas,
            status_replicas: self.status_replicas,
            selector: self.selector.clone(),
            pods,
            metrics,
        }
    }

    /// `runTest`: one reconcile, then the replica count, the conditions and
    /// (when given) the reported CPU utilization.
    fn run(&self) -> ReconcileOutcome {
        let mut controller = HpaController::new(self.spec(), test_config());
        if let Some(recs) = &self.recommendations {
            controller.set_recommendations(recs.clone());
        }
        let outcome = controller.reconcile(NOW, &self.input());
        assert_eq!(outcome.desired_replicas, self.expected_desired_replicas, "desired replicas; outcome: {outcome}");
        assert_eq!(
            outcome.rescale,
            self.spec_replicas != self.expected_desired_replicas,
            "the scale is updated only for a change"
        );
        let want = self.expected_conditions.clone().unwrap_or_else(|| STATUS_OK.to_vec());
        let got: Vec<Cond> = outcome.conditions.iter().map(|c| (c.condition_type, c.status, c.reason)).collect();
        assert_eq!(got, want, "conditions; outcome: {outcome}");
        if let Some(cpu) = self.cpu_current {
            let reported = outcome.metrics.iter().find_map(|m| match m.result {
                Ok(MetricProposal { current: MetricCurrent::Utilization { percent, .. }, .. }) if m.label == "cpu" => {
                    Some(percent)
                }
                _ => None,
            });
            assert_eq!(reported, Some(cpu), "reported CPU utilization");
        }
        outcome
    }
}

fn one_core(n: usize) -> Option<Vec<i64>> {
    Some(vec![1000; n])
}

fn uneven() -> Option<Vec<i64>> {
    Some(vec![900, 1000, 1100])
}

fn base(min: i32, max: i32, spec: i32, status: i32, expected: i32) -> TestCase {
    TestCase {
        min_replicas: min,
        max_replicas: max,
        spec_replicas: spec,
        status_replicas: status,
        expected_desired_replicas: expected,
        ..TestCase::default()
    }
}

// ---------------------------------------------------------------------------
// Reconcile-level cases.
// ---------------------------------------------------------------------------

fn scale_up_case() -> TestCase {
    TestCase {
        cpu_target: 30,
        reported_levels: vec![300, 500, 700],
        reported_cpu_requests: one_core(3),
        ..base(2, 6, 3, 3, 5)
    }
}

#[test]
fn test_scale_up() {
    TestCase { cpu_current: Some(50), ..scale_up_case() }.run();
}

#[test]
fn test_scale_up_container() {
    TestCase { cpu_target: 0, metrics_target: vec![container_cpu("container1", 30)], ..scale_up_case() }.run();
}

#[test]
fn test_scale_up_unready_less_scale() {
    TestCase {
        expected_desired_replicas: 4,
        cpu_current: Some(60),
        reported_pod_readiness: Some(vec![F, T, T]),
        ..scale_up_case()
    }
    .run();
}

#[test]
fn test_scale_up_hot_cpu_less_scale() {
    TestCase {
        expected_desired_replicas: 4,
        cpu_current: Some(60),
        reported_pod_start_time: Some(vec![hot(), cool(), cool()]),
        ..scale_up_case()
    }
    .run();
}

#[test]
fn test_scale_up_unready_no_scale() {
    TestCase {
        expected_desired_replicas: 3,
        cpu_current: Some(40),
        reported_levels: vec![400, 500, 700],
        reported_pod_readiness: Some(vec![T, F, F]),
        expected_conditions: Some(status_ok_with(&[(AbleToScale, true, "ReadyForNewScale")])),
        ..scale_up_case()
    }
    .run();
}

#[test]
fn test_scale_up_hot_cpu_no_scale() {
    TestCase {
        expected_desired_replicas: 3,
        cpu_current: Some(40),
        reported_levels: vec![400, 500, 700],
        reported_pod_readiness: Some(vec![T, F, F]),
        reported_pod_start_time: Some(vec![cool(), hot(), hot()]),
        expected_conditions: Some(status_ok_with(&[(AbleToScale, true, "ReadyForNewScale")])),
        ..scale_up_case()
    }
    .run();
}

#[test]
fn test_scale_up_ignores_failed_pods() {
    TestCase {
        cpu_target: 30,
        cpu_current: Some(60),
        reported_levels: vec![500, 700],
        reported_cpu_requests: one_core(4),
        reported_pod_readiness: Some(vec![T, T, F, F]),
        reported_pod_phase: Some(vec![Running, Running, Failed, Failed]),
        ..base(2, 6, 2, 2, 4)
    }
    .run();
}

#[test]
fn test_scale_up_ignores_deletion_pods() {
    TestCase {
        cpu_target: 30,
        cpu_current: Some(60),
        reported_levels: vec![500, 700],
        reported_cpu_requests: one_core(4),
        reported_pod_readiness: Some(vec![T, T, F, F]),
        reported_pod_phase: Some(vec![Running; 4]),
        reported_pod_deletion: Some(vec![false, false, true, true]),
        ..base(2, 6, 2, 2, 4)
    }
    .run();
}

#[test]
fn test_scale_up_deployment() {
    // The scale target's kind does not enter the math.
    scale_up_case().run();
}

#[test]
fn test_scale_up_replica_set() {
    scale_up_case().run();
}

fn cm_case(levels: Vec<u64>) -> TestCase {
    TestCase {
        metrics_target: vec![pods_qps(15_000)],
        reported_levels: levels,
        reported_cpu_requests: one_core(3),
        ..base(2, 6, 3, 3, 4)
    }
}

#[test]
fn test_scale_up_cm() {
    cm_case(vec![20000, 10000, 30000]).run();
}

#[test]
fn test_scale_up_cm_unready_and_hot_cpu_no_less_scale() {
    TestCase {
        expected_desired_replicas: 6,
        reported_pod_readiness: Some(vec![T, T, F]),
        reported_pod_start_time: Some(vec![cool(), cool(), hot()]),
        ..cm_case(vec![50000, 10000, 30000])
    }
    .run();
}

#[test]
fn test_scale_up_cm_unreadyand_cpu_hot() {
    TestCase {
        expected_desired_replicas: 6,
        reported_pod_readiness: Some(vec![F, T, F]),
        reported_pod_start_time: Some(vec![hot(), cool(), hot()]),
        expected_conditions: Some(status_ok_with(&[
            (AbleToScale, true, "SucceededRescale"),
            (ScalingLimited, true, "TooManyReplicas"),
        ])),
        ..cm_case(vec![50000, 15000, 30000])
    }
    .run();
}

#[test]
fn test_scale_up_hot_cpu_no_scale_would_scale_down() {
    TestCase {
        expected_desired_replicas: 6,
        reported_pod_start_time: Some(vec![hot(), cool(), hot()]),
        expected_conditions: Some(status_ok_with(&[
            (AbleToScale, true, "SucceededRescale"),
            (ScalingLimited, true, "TooManyReplicas"),
        ])),
        ..cm_case(vec![50000, 15000, 30000])
    }
    .run();
}

#[test]
fn test_scale_up_cm_object() {
    TestCase {
        metrics_target: vec![object_qps(MetricTarget::Value(15_000))],
        reported_levels: vec![20000],
        ..base(2, 6, 3, 3, 4)
    }
    .run();
}

#[test]
fn test_scale_up_from_zero_cm_object() {
    TestCase {
        metrics_target: vec![object_qps(MetricTarget::Value(15_000))],
        reported_levels: vec![20000],
        ..base(0, 6, 0, 0, 2)
    }
    .run();
}

#[test]
fn test_scale_up_from_zero_ignores_tolerance_cm_object() {
    TestCase {
        metrics_target: vec![object_qps(MetricTarget::Value(1000))],
        reported_levels: vec![1000],
        ..base(0, 6, 0, 0, 1)
    }
    .run();
}

#[test]
fn test_scale_up_per_pod_cm_object() {
    TestCase {
        metrics_target: vec![object_qps(MetricTarget::AverageValue(10_000))],
        reported_levels: vec![40000],
        ..base(2, 6, 3, 3, 4)
    }
    .run();
}

#[test]
fn test_scale_up_cm_external() {
    TestCase {
        metrics_target: vec![external_qps(MetricTarget::Value(6666))],
        reported_levels: vec![8600],
        ..base(2, 6, 3, 3, 4)
    }
    .run();
}

#[test]
fn test_scale_up_per_pod_cm_external() {
    TestCase {
        metrics_target: vec![external_qps(MetricTarget::AverageValue(2222))],
        reported_levels: vec![8600],
        ..base(2, 6, 3, 3, 4)
    }
    .run();
}

fn scale_down_case() -> TestCase {
    TestCase {
        cpu_target: 50,
        reported_levels: vec![100, 300, 500, 250, 250],
        reported_cpu_requests: one_core(5),
        recommendations: Some(Vec::new()),
        ..base(2, 6, 5, 5, 3)
    }
}

#[test]
fn test_scale_down() {
    TestCase { cpu_current: Some(28), ..scale_down_case() }.run();
}

#[test]
fn test_scale_down_container_resource() {
    TestCase { cpu_target: 0, metrics_target: vec![container_cpu("container2", 50)], ..scale_down_case() }.run();
}

#[test]
fn test_scale_down_with_scaling_rules() {
    TestCase {
        scale_up_rules: Some(generate_scaling_rules(0, 0, 100, 15, 30)),
        cpu_current: Some(28),
        ..scale_down_case()
    }
    .run();
}

#[test]
fn test_scale_up_one_metric_invalid() {
    let outcome = TestCase {
        cpu_target: 30,
        cpu_current: Some(40),
        metrics_target: vec![cheddar()],
        reported_levels: vec![300, 400, 500],
        reported_cpu_requests: one_core(3),
        ..base(2, 6, 3, 3, 4)
    }
    .run();
    // The invalid metric is still reported as an error.
    assert!(outcome.error.is_some());
}

#[test]
fn test_scale_up_from_zero_one_metric_invalid() {
    TestCase {
        cpu_target: 30,
        cpu_current: Some(40),
        metrics_target: vec![cheddar()],
        reported_levels: vec![300, 400, 500],
        reported_cpu_requests: one_core(3),
        recommendations: Some(Vec::new()),
        ..base(0, 6, 0, 0, 4)
    }
    .run();
}

#[test]
fn test_scale_up_both_metrics_empty() {
    TestCase {
        metrics_target: vec![cheddar()],
        reported_cpu_requests: one_core(3),
        expected_conditions: Some(vec![
            (AbleToScale, true, "SucceededGetScale"),
            (ScalingActive, false, "InvalidMetricSourceType"),
        ]),
        ..base(2, 6, 3, 3, 3)
    }
    .run();
}

#[test]
fn test_scale_down_stabilize_initial_size() {
    TestCase {
        expected_desired_replicas: 5,
        recommendations: None,
        expected_conditions: Some(status_ok_with(&[
            (AbleToScale, true, "ReadyForNewScale"),
            (AbleToScale, true, "ScaleDownStabilized"),
        ])),
        ..scale_down_case()
    }
    .run();
}

#[test]
fn test_scale_down_cm() {
    TestCase {
        metrics_target: vec![pods_qps(20_000)],
        reported_levels: vec![12000; 5],
        reported_cpu_requests: one_core(5),
        recommendations: Some(Vec::new()),
        ..base(2, 6, 5, 5, 3)
    }
    .run();
}

#[test]
fn test_scale_down_cm_object() {
    TestCase {
        metrics_target: vec![object_qps(MetricTarget::Value(20_000))],
        reported_levels: vec![12000],
        reported_cpu_requests: one_core(5),
        recommendations: Some(Vec::new()),
        ..base(2, 6, 5, 5, 3)
    }
    .run();
}

#[test]
fn test_scale_down_to_zero_cm_object() {
    TestCase {
        metrics_target: vec![object_qps(MetricTarget::Value(20_000))],
        reported_levels: vec![0],
        reported_cpu_requests: one_core(5),
        recommendations: Some(Vec::new()),
        ..base(0, 6, 5, 5, 0)
    }
    .run();
}

#[test]
fn test_scale_down_per_pod_cm_object() {
    TestCase {
        metrics_target: vec![object_qps(MetricTarget::AverageValue(20_000))],
        reported_levels: vec![60000],
        reported_cpu_requests: one_core(5),
        recommendations: Some(Vec::new()),
        ..base(2, 6, 5, 5, 3)
    }
    .run();
}

#[test]
fn test_scale_down_cm_external() {
    TestCase {
        metrics_target: vec![external_qps(MetricTarget::Value(14400))],
        reported_levels: vec![8600],
        recommendations: Some(Vec::new()),
        ..base(2, 6, 5, 5, 3)
    }
    .run();
}

#[test]
fn test_scale_down_to_zero_cm_external() {
    TestCase {
        metrics_target: vec![external_qps(MetricTarget::Value(14400))],
        reported_levels: vec![0],
        recommendations: Some(Vec::new()),
        ..base(0, 6, 5, 5, 0)
    }
    .run();
}

#[test]
fn test_scale_down_per_pod_cm_external() {
    TestCase {
        metrics_target: vec![external_qps(MetricTarget::AverageValue(3000))],
        reported_levels: vec![8600],
        recommendations: Some(Vec::new()),
        ..base(2, 6, 5, 5, 3)
    }
    .run();
}

#[test]
fn test_scale_down_include_unready_pods() {
    TestCase {
        expected_desired_replicas: 2,
        cpu_current: Some(30),
        reported_pod_readiness: Some(vec![T, T, T, F, F]),
        ..scale_down_case()
    }
    .run();
}

#[test]
fn test_scale_down_ignore_hot_cpu_pods() {
    TestCase {
        expected_desired_replicas: 2,
        cpu_current: Some(30),
        reported_pod_start_time: Some(vec![cool(), cool(), cool(), hot(), hot()]),
        ..scale_down_case()
    }
    .run();
}

#[test]
fn test_scale_down_ignores_failed_pods() {
    TestCase {
        cpu_current: Some(28),
        reported_cpu_requests: one_core(7),
        reported_pod_readiness: Some(vec![T, T, T, T, T, F, F]),
        reported_pod_phase: Some(vec![Running, Running, Running, Running, Running, Failed, Failed]),
        ..scale_down_case()
    }
    .run();
}

#[test]
fn test_scale_down_ignores_deletion_pods() {
    TestCase {
        cpu_current: Some(28),
        reported_cpu_requests: one_core(7),
        reported_pod_readiness: Some(vec![T, T, T, T, T, F, F]),
        reported_pod_phase: Some(vec![Running; 7]),
        reported_pod_deletion: Some(vec![false, false, false, false, false, true, true]),
        ..scale_down_case()
    }
    .run();
}

fn ready_for_new_scale() -> Option<Vec<Cond>> {
    Some(status_ok_with(&[(AbleToScale, true, "ReadyForNewScale")]))
}

#[test]
fn test_tolerance() {
    TestCase {
        cpu_target: 100,
        reported_levels: vec![1010, 1030, 1020],
        reported_cpu_requests: uneven(),
        expected_conditions: ready_for_new_scale(),
        ..base(1, 5, 3, 3, 3)
    }
    .run();
}

#[test]
fn test_tolerance_cm() {
    TestCase {
        metrics_target: vec![pods_qps(20_000)],
        reported_levels: vec![20000, 20001, 21000],
        reported_cpu_requests: uneven(),
        expected_conditions: ready_for_new_scale(),
        ..base(1, 5, 3, 3, 3)
    }
    .run();
}

#[test]
fn test_tolerance_cm_object() {
    TestCase {
        metrics_target: vec![object_qps(MetricTarget::Value(20_000))],
        reported_levels: vec![20050],
        reported_cpu_requests: uneven(),
        expected_conditions: ready_for_new_scale(),
        ..base(1, 5, 3, 3, 3)
    }
    .run();
}

#[test]
fn test_tolerance_cm_external() {
    TestCase {
        metrics_target: vec![external_qps(MetricTarget::Value(8666))],
        reported_levels: vec![8600],
        expected_conditions: ready_for_new_scale(),
        ..base(2, 6, 4, 4, 4)
    }
    .run();
}

#[test]
fn test_tolerance_per_pod_cm_object() {
    TestCase {
        metrics_target: vec![object_qps(MetricTarget::AverageValue(2200))],
        reported_levels: vec![8600],
        expected_conditions: ready_for_new_scale(),
        ..base(2, 6, 4, 4, 4)
    }
    .run();
}

#[test]
fn test_tolerance_per_pod_cm_external() {
    TestCase {
        metrics_target: vec![external_qps(MetricTarget::AverageValue(2200))],
        reported_levels: vec![8600],
        expected_conditions: ready_for_new_scale(),
        ..base(2, 6, 4, 4, 4)
    }
    .run();
}

#[test]
fn test_min_replicas() {
    TestCase {
        cpu_target: 90,
        reported_levels: vec![10, 95, 10],
        reported_cpu_requests: uneven(),
        expected_conditions: Some(status_ok_with(&[(ScalingLimited, true, "TooFewReplicas")])),
        recommendations: Some(Vec::new()),
        ..base(2, 5, 3, 3, 2)
    }
    .run();
}

#[test]
fn test_zero_min_replicas_desired_zero() {
    TestCase {
        cpu_target: 90,
        reported_levels: vec![0, 0, 0],
        reported_cpu_requests: uneven(),
        expected_conditions: Some(status_ok_with(&[(ScalingLimited, false, "DesiredWithinRange")])),
        recommendations: Some(Vec::new()),
        ..base(0, 5, 3, 3, 0)
    }
    .run();
}

#[test]
fn test_min_replicas_desired_zero() {
    TestCase {
        cpu_target: 90,
        reported_levels: vec![0, 0, 0],
        reported_cpu_requests: uneven(),
        expected_conditions: Some(status_ok_with(&[(ScalingLimited, true, "TooFewReplicas")])),
        recommendations: Some(Vec::new()),
        ..base(2, 5, 3, 3, 2)
    }
    .run();
}

#[test]
fn test_zero_replicas() {
    TestCase {
        cpu_target: 90,
        reported_cpu_requests: Some(Vec::new()),
        expected_conditions: Some(vec![
            (AbleToScale, true, "SucceededGetScale"),
            (ScalingActive, false, "ScalingDisabled"),
        ]),
        ..base(3, 5, 0, 0, 0)
    }
    .run();
}

#[test]
fn test_too_few_replicas() {
    TestCase {
        cpu_target: 90,
        reported_cpu_requests: Some(Vec::new()),
        expected_conditions: Some(vec![(AbleToScale, true, "SucceededRescale")]),
        ..base(3, 5, 2, 2, 3)
    }
    .run();
}

#[test]
fn test_too_many_replicas() {
    TestCase {
        cpu_target: 90,
        reported_cpu_requests: Some(Vec::new()),
        expected_conditions: Some(vec![(AbleToScale, true, "SucceededRescale")]),
        ..base(3, 5, 10, 10, 5)
    }
    .run();
}

#[test]
fn test_max_replicas() {
    TestCase {
        cpu_target: 90,
        reported_levels: vec![8000, 9500, 1000],
        reported_cpu_requests: uneven(),
        expected_conditions: Some(status_ok_with(&[(ScalingLimited, true, "TooManyReplicas")])),
        ..base(2, 5, 3, 3, 5)
    }
    .run();
}

#[test]
fn test_superfluous_metrics() {
    TestCase {
        cpu_target: 100,
        reported_levels: vec![4000, 9500, 3000, 7000, 3200, 2000],
        reported_cpu_requests: one_core(4),
        expected_conditions: Some(status_ok_with(&[(ScalingLimited, true, "TooManyReplicas")])),
        ..base(2, 6, 4, 4, 6)
    }
    .run();
}

#[test]
fn test_missing_metrics() {
    TestCase {
        cpu_target: 100,
        reported_levels: vec![400, 95],
        reported_cpu_requests: one_core(4),
        recommendations: Some(Vec::new()),
        ..base(2, 6, 4, 4, 3)
    }
    .run();
}

fn failed_metric_conditions(reason: &'static str) -> Option<Vec<Cond>> {
    Some(vec![(AbleToScale, true, "SucceededGetScale"), (ScalingActive, false, reason)])
}

#[test]
fn test_empty_metrics() {
    TestCase {
        cpu_target: 100,
        reported_cpu_requests: one_core(4),
        expected_conditions: failed_metric_conditions("FailedGetResourceMetric"),
        ..base(2, 6, 4, 4, 4)
    }
    .run();
}

#[test]
fn test_empty_cpu_request() {
    TestCase {
        cpu_target: 100,
        reported_levels: vec![200],
        reported_cpu_requests: Some(Vec::new()),
        expected_conditions: failed_metric_conditions("FailedGetResourceMetric"),
        ..base(1, 5, 1, 1, 1)
    }
    .run();
}

/// `TestEventCreated`: the replica math only (events are not modeled).
#[test]
fn test_event_created() {
    TestCase {
        cpu_target: 50,
        reported_levels: vec![200],
        reported_cpu_requests: Some(vec![200]),
        ..base(1, 5, 1, 1, 2)
    }
    .run();
}

/// `TestEventNotCreated`: the replica math only.
#[test]
fn test_event_not_created() {
    TestCase {
        cpu_target: 50,
        reported_levels: vec![200, 200],
        reported_cpu_requests: Some(vec![400, 400]),
        expected_conditions: ready_for_new_scale(),
        ..base(1, 5, 2, 2, 2)
    }
    .run();
}

#[test]
fn test_missing_reports() {
    TestCase {
        cpu_target: 50,
        reported_levels: vec![200],
        reported_cpu_requests: Some(vec![200]),
        recommendations: Some(Vec::new()),
        ..base(1, 5, 4, 4, 2)
    }
    .run();
}

fn upscale_cap_case(max: i32, expected: i32, reason: &'static str) -> TestCase {
    TestCase {
        scale_up_rules: Some(generate_scaling_rules(0, 0, 700, 60, 0)),
        cpu_target: 10,
        reported_levels: vec![100, 200, 300],
        reported_cpu_requests: Some(vec![100; 3]),
        expected_conditions: Some(status_ok_with(&[(ScalingLimited, true, reason)])),
        ..base(1, max, 3, 3, expected)
    }
}

#[test]
fn test_upscale_cap() {
    upscale_cap_case(100, 24, "ScaleUpLimit").run();
}

#[test]
fn test_upscale_cap_greater_than_max_replicas() {
    // Would be 24 without maxReplicas.
    upscale_cap_case(20, 20, "TooManyReplicas").run();
}

#[test]
fn test_more_replicas_than_spec_no_scale() {
    // Deployment update with 25% surge: 5 pods for spec 4.
    TestCase {
        cpu_target: 50,
        reported_levels: vec![500; 5],
        reported_cpu_requests: one_core(5),
        expected_conditions: ready_for_new_scale(),
        ..base(1, 8, 4, 5, 4)
    }
    .run();
}

fn selector_case(selector: SelectorStatus) -> TestCase {
    TestCase {
        cpu_target: 10,
        reported_levels: vec![100, 200, 300],
        reported_cpu_requests: Some(vec![100; 3]),
        selector,
        ..base(1, 100, 3, 3, 3)
    }
}

#[test]
fn test_condition_invalid_selector_missing() {
    TestCase {
        expected_conditions: failed_metric_conditions("InvalidSelector"),
        ..selector_case(SelectorStatus::Missing)
    }
    .run();
}

#[test]
fn test_condition_invalid_selector_unparsable() {
    TestCase {
        expected_conditions: failed_metric_conditions("InvalidSelector"),
        ..selector_case(SelectorStatus::Unparsable("cheddar cheese".to_string()))
    }
    .run();
}

#[test]
fn test_condition_no_ambiguous_selector_when_no_selector_overlap_between_hpas() {
    scale_up_case().run();
}

#[test]
fn test_condition_ambiguous_selector_when_full_selector_overlap_between_hpas() {
    TestCase {
        expected_desired_replicas: 3,
        selector: SelectorStatus::Ambiguous(vec!["test-namespace/test-hpa-2".to_string()]),
        expected_conditions: failed_metric_conditions("AmbiguousSelector"),
        ..scale_up_case()
    }
    .run();
}

#[test]
fn test_condition_ambiguous_selector_when_partial_selector_overlap_between_hpas() {
    TestCase {
        expected_desired_replicas: 3,
        selector: SelectorStatus::Ambiguous(vec!["test-namespace/test-hpa-2".to_string()]),
        expected_conditions: failed_metric_conditions("AmbiguousSelector"),
        ..scale_up_case()
    }
    .run();
}

/// `TestConditionFailedGetMetrics`: four sub-cases, one per metric type.
#[test]
fn test_condition_failed_get_metrics() {
    let cases: [(&'static str, Vec<MetricSpec>); 4] = [
        ("FailedGetResourceMetric", vec![]),
        ("FailedGetPodsMetric", vec![pods_qps(15_000)]),
        ("FailedGetObjectMetric", vec![object_qps(MetricTarget::Value(15_000))]),
        ("FailedGetExternalMetric", vec![external_qps(MetricTarget::Value(300))]),
    ];
    for (reason, specs) in cases {
        TestCase {
            cpu_target: if specs.is_empty() { 10 } else { 0 },
            metrics_target: specs,
            fail_all_metrics: true,
            expected_conditions: failed_metric_conditions(reason),
            ..selector_case(SelectorStatus::Valid)
        }
        .run();
    }
}

#[test]
fn test_condition_invalid_source_type() {
    TestCase {
        metrics_target: vec![cheddar()],
        reported_levels: vec![20000],
        expected_conditions: failed_metric_conditions("InvalidMetricSourceType"),
        ..base(2, 6, 3, 3, 3)
    }
    .run();
}

#[test]
fn test_no_backoff_upscale_cm() {
    TestCase {
        metrics_target: vec![pods_qps(15_000)],
        reported_levels: vec![20000, 10000, 30000],
        reported_cpu_requests: one_core(3),
        expected_conditions: Some(status_ok_with(&[
            (AbleToScale, true, "ReadyForNewScale"),
            (AbleToScale, true, "SucceededRescale"),
            (ScalingLimited, false, "DesiredWithinRange"),
        ])),
        ..base(1, 5, 3, 3, 4)
    }
    .run();
}

#[test]
fn test_no_backoff_upscale_cm_no_backoff_cpu() {
    TestCase {
        cpu_target: 10,
        metrics_target: vec![pods_qps(15_000)],
        reported_levels: vec![20000, 10000, 30000],
        reported_cpu_requests: one_core(3),
        expected_conditions: Some(status_ok_with(&[
            (AbleToScale, true, "ReadyForNewScale"),
            (AbleToScale, true, "SucceededRescale"),
            (ScalingLimited, true, "TooManyReplicas"),
        ])),
        ..base(1, 5, 3, 3, 5)
    }
    .run();
}

#[test]
fn test_stabilize_downscale() {
    TestCase {
        cpu_target: 100,
        reported_levels: vec![50, 50, 50],
        reported_cpu_requests: Some(vec![100; 3]),
        expected_conditions: Some(status_ok_with(&[
            (AbleToScale, true, "ReadyForNewScale"),
            (AbleToScale, true, "ScaleDownStabilized"),
        ])),
        recommendations: Some(vec![rec(10, minutes(10)), rec(4, minutes(1))]),
        ..base(1, 5, 4, 4, 4)
    }
    .run();
}

/// `TestComputedToleranceAlgImplementation`: a target just outside, then
/// just inside, the tolerance band (two reconciles).
#[test]
fn test_computed_tolerance_alg_implementation() {
    let start_pods: i32 = 10;
    let total_used: u64 = (start_pods * 150) as u64;
    let total_requested = 2 * total_used as i32;
    let requested_to_used = f64::from(total_requested / total_used as i32);
    let per_pod_requested = i64::from(total_requested / start_pods);
    let target = (1.0 / (requested_to_used * (1.0 - 0.1))).abs() + 0.01;
    let final_cpu_percent_target = (target * 100.0) as i32;
    let resources_used_ratio = total_used as f64 / (f64::from(total_requested) * target);
    let final_pods = (resources_used_ratio * f64::from(start_pods)).ceil() as i32;
    let requests: Vec<i64> = [100, -100, 10, -10, 2, -2, 1, -1, 0, 0].iter().map(|d| per_pod_requested + d).collect();
    let tc1 = TestCase {
        cpu_target: final_cpu_percent_target,
        reported_levels: vec![total_used / 10; 10],
        reported_cpu_requests: Some(requests),
        recommendations: Some(Vec::new()),
        ..base(0, 1000, start_pods, start_pods, final_pods)
    };
    tc1.run();
    assert_eq!(final_pods, 9);

    let target = (1.0 / (requested_to_used * (1.0 - 0.1))).abs() + 0.004;
    TestCase {
        cpu_target: (target * 100.0) as i32,
        expected_desired_replicas: start_pods,
        expected_conditions: ready_for_new_scale(),
        ..tc1
    }
    .run();
}

#[test]
fn test_scale_up_rc_immediately() {
    TestCase {
        reported_levels: vec![0, 0, 0, 0],
        reported_cpu_requests: one_core(4),
        expected_conditions: Some(vec![(AbleToScale, true, "SucceededRescale")]),
        ..base(2, 6, 1, 1, 2)
    }
    .run();
}

#[test]
fn test_scale_down_rc_immediately() {
    TestCase {
        cpu_target: 50,
        reported_levels: vec![8000, 9500, 1000],
        reported_cpu_requests: uneven(),
        expected_conditions: Some(vec![(AbleToScale, true, "SucceededRescale")]),
        ..base(2, 5, 6, 6, 5)
    }
    .run();
}

/// `TestAvoidUnnecessaryUpdates`: the replica math only (the test's point,
/// not writing an unchanged status, is API plumbing). Its HPA targets 80%.
#[test]
fn test_avoid_unnecessary_updates() {
    TestCase {
        cpu_target: 80,
        cpu_current: Some(40),
        reported_levels: vec![400, 500, 700],
        reported_cpu_requests: one_core(3),
        reported_pod_start_time: Some(vec![cool(), hot(), hot()]),
        recommendations: Some(Vec::new()),
        expected_conditions: Some(status_ok_with(&[
            (AbleToScale, true, "ReadyForNewScale"),
            (ScalingLimited, true, "TooFewReplicas"),
        ])),
        ..base(2, 6, 2, 2, 2)
    }
    .run();
}

#[test]
fn test_scale_up_one_metric_empty() {
    TestCase {
        cpu_target: 30,
        cpu_current: Some(40),
        metrics_target: vec![external_qps(MetricTarget::Value(100))],
        reported_levels: vec![300, 400, 500],
        reported_cpu_requests: one_core(3),
        fail_external: true,
        ..base(2, 6, 3, 3, 4)
    }
    .run();
}

#[test]
fn test_no_scale_down_one_metric_invalid() {
    TestCase {
        metrics_target: vec![cheddar()],
        expected_desired_replicas: 5,
        expected_conditions: failed_metric_conditions("InvalidMetricSourceType"),
        ..scale_down_case()
    }
    .run();
}

#[test]
fn test_no_scale_down_one_metric_empty() {
    TestCase {
        metrics_target: vec![external_qps(MetricTarget::Value(1000))],
        fail_external: true,
        expected_desired_replicas: 5,
        expected_conditions: failed_metric_conditions("FailedGetExternalMetric"),
        ..scale_down_case()
    }
    .run();
}

// ---------------------------------------------------------------------------
// Function-level cases.
// ---------------------------------------------------------------------------

/// `TestConvertDesiredReplicasWithRules` (5 rows).
#[test]
fn test_convert_desired_replicas_with_rules() {
    let config = test_config();
    let rows = [
        ("prenormalized desired replicas within range", 5, 7, 3, 8, 7, LimitReason::DesiredWithinRange),
        ("prenormalized desired replicas < minReplicas", 3, 1, 2, 8, 2, LimitReason::TooFewReplicas),
        ("prenormalized desired zeroed replicas within range", 1, 0, 0, 10, 0, LimitReason::DesiredWithinRange),
        (
            "maxReplicas is the limit because maxReplicas < scaleUpLimit",
            20,
            1000,
            1,
            10,
            10,
            LimitReason::TooManyReplicas,
        ),
        (
            "scaleUpLimit is the limit because scaleUpLimit < maxReplicas",
            3,
            1000,
            1,
            2000,
            calculate_scale_up_limit(3, &config),
            LimitReason::ScaleUpLimit,
        ),
    ];
    for (name, current, desired, min, max, want, reason) in rows {
        let got = convert_desired_replicas_with_rules(current, desired, min, max, &config);
        assert_eq!(got, (want, reason), "{name}");
    }
    assert_eq!(calculate_scale_up_limit(3, &config), 24);
}

fn rules(select: SelectPolicy, policies: Vec<HpaScalingPolicy>, window: i32) -> HpaScalingRules {
    HpaScalingRules { stabilization_window_seconds: Some(window), select_policy: select, policies, tolerance: None }
}

#[test]
fn test_calculate_scale_up_limit_with_scaling_rules() {
    let r = rules(SelectPolicy::Min, vec![HpaScalingPolicy::pods(2, 60), HpaScalingPolicy::percent(50, 60)], 300);
    assert_eq!(calculate_scale_up_limit_with_scaling_rules(1, &[], &[], &r, NOW), 2);
}

#[test]
fn test_calculate_scale_down_limit_with_behaviors() {
    let r = rules(SelectPolicy::Min, vec![HpaScalingPolicy::pods(2, 60), HpaScalingPolicy::percent(50, 60)], 300);
    assert_eq!(calculate_scale_down_limit_with_behaviors(5, &[], &[], &r, NOW), 3);
}

/// `TestNormalizeDesiredReplicas` (5 rows): `stabilizeRecommendation` with a
/// 5-minute window.
#[test]
fn test_normalize_desired_replicas() {
    let rows: [(&str, Vec<TimestampedRecommendation>, i32, i32, usize); 5] = [
        ("empty log", vec![], 5, 5, 1),
        ("stabilize", vec![rec(4, minutes(2)), rec(5, minutes(1))], 3, 5, 3),
        ("no stabilize", vec![rec(1, minutes(2)), rec(2, minutes(1))], 3, 3, 3),
        ("no stabilize - old recommendations", vec![rec(10, minutes(10)), rec(9, minutes(9))], 3, 3, 2),
        (
            "stabilize - old recommendations",
            vec![rec(10, minutes(10)), rec(4, minutes(1)), rec(5, minutes(2)), rec(9, minutes(9))],
            3,
            5,
            4,
        ),
    ];
    for (name, mut recs, desired, want, want_len) in rows {
        let got = stabilize_recommendation(&mut recs, NOW, minutes(5), desired);
        assert_eq!(got, want, "{name}");
        assert_eq!(recs.len(), want_len, "{name}: log length");
    }
}

/// `TestNormalizeDesiredReplicasWithBehavior` (11 rows):
/// `stabilizeRecommendationWithBehaviors` with only windows set.
#[test]
fn test_normalize_desired_replicas_with_behavior() {
    type Row = (&'static str, Vec<TimestampedRecommendation>, i32, i32, i32, Option<Vec<i32>>, i32, i32);
    let rows: Vec<Row> = vec![
        ("empty recommendations for scaling down", vec![], 100, 5, 5, Some(vec![5]), 0, 0),
        (
            "simple scale down stabilization",
            vec![rec(4, minutes(2)), rec(5, minutes(1))],
            100,
            3,
            5,
            Some(vec![4, 5, 3]),
            0,
            180,
        ),
        (
            "simple scale up stabilization",
            vec![rec(4, minutes(2)), rec(5, minutes(1))],
            1,
            7,
            4,
            Some(vec![4, 5, 7]),
            300,
            0,
        ),
        (
            "no scale down stabilization",
            vec![rec(1, minutes(2)), rec(2, minutes(1))],
            100,
            3,
            3,
            Some(vec![1, 2, 3]),
            300,
            0,
        ),
        (
            "no scale up stabilization",
            vec![rec(4, minutes(2)), rec(5, minutes(1))],
            1,
            3,
            3,
            Some(vec![4, 5, 3]),
            0,
            300,
        ),
        (
            "no scale down stabilization, reuse recommendation element",
            vec![rec(10, minutes(10)), rec(9, minutes(9))],
            100,
            3,
            3,
            Some(vec![10, 3]),
            0,
            0,
        ),
        (
            "no scale up stabilization, reuse recommendation element",
            vec![rec(10, minutes(10)), rec(9, minutes(9))],
            1,
            100,
            100,
            Some(vec![10, 100]),
            0,
            0,
        ),
        (
            "scale down stabilization, reuse one of obsolete recommendation element",
            vec![rec(10, minutes(10)), rec(4, minutes(1)), rec(5, minutes(2)), rec(9, minutes(9))],
            100,
            3,
            5,
            Some(vec![10, 4, 5, 3]),
            0,
            180,
        ),
        (
            "scale up stabilization, reuse one of obsolete recommendation element",
            vec![rec(10, minutes(100)), rec(6, minutes(1)), rec(5, minutes(2)), rec(9, minutes(3))],
            1,
            100,
            5,
            Some(vec![100, 6, 5, 9]),
            300,
            0,
        ),
        (
            "scale up and down stabilization, do not scale up when prenormalized rec goes down",
            vec![rec(2, minutes(100)), rec(3, minutes(3))],
            2,
            1,
            2,
            None,
            300,
            300,
        ),
        (
            "scale up and down stabilization, do not scale down when prenormalized rec goes up",
            vec![rec(2, minutes(100)), rec(1, minutes(3))],
            2,
            3,
            2,
            None,
            300,
            300,
        ),
    ];
    for (name, mut recs, current, desired, want, want_recs, up_window, down_window) in rows {
        let up = rules(SelectPolicy::Max, vec![], up_window);
        let down = rules(SelectPolicy::Max, vec![], down_window);
        let arg = NormalizationArg {
            scale_up_behavior: &up,
            scale_down_behavior: &down,
            min_replicas: 0,
            max_replicas: 0,
            current_replicas: current,
            desired_replicas: desired,
        };
        let (got, _, _) = stabilize_recommendation_with_behaviors(&mut recs, NOW, &arg);
        assert_eq!(got, want, "{name}");
        if let Some(want_recs) = want_recs {
            let got_recs: Vec<i32> = recs.iter().map(|r| r.recommendation).collect();
            assert_eq!(got_recs, want_recs, "{name}: stored recommendations");
        }
    }
}

/// `TestScalingWithRules` (42 rows): `convertDesiredReplicasWithBehaviorRate`
/// with the rules passed through `GenerateHPAScale{Up,Down}Rules`.
#[test]
fn test_scaling_with_rules() {
    let g = generate_scaling_rules;
    let e = generate_events_uniform_distribution;
    type Row = (
        &'static str,
        Vec<TimestampedScaleEvent>,
        Vec<TimestampedScaleEvent>,
        i32,
        i32,
        Option<HpaScalingRulesSpec>,
        Option<HpaScalingRulesSpec>,
        i32,
        i32,
        i32,
        LimitReason,
    );
    use LimitReason::{
        DesiredWithinRange as Dwr, ScaleDownLimit as Sdl, ScaleUpLimit as Sul, TooFewReplicas as Tfr,
        TooManyReplicas as Tmr,
    };
    let n = Vec::new;
    let rows: Vec<Row> = vec![
        ("prenormalized desired replicas within range", n(), n(), 3, 8, None, None, 5, 7, 7, Dwr),
        ("prenormalized desired replicas < minReplicas", n(), n(), 2, 8, None, None, 3, 1, 2, Tfr),
        (
            "prenormalized desired replicas within range when minReplicas is 0",
            n(),
            n(),
            0,
            10,
            None,
            None,
            1,
            0,
            0,
            Dwr,
        ),
        ("maxReplicas is the limit because maxReplicas < scaleUpLimit", n(), n(), 1, 10, None, None, 20, 1000, 10, Tmr),
        (
            "desired replica count is more than the maximum replica count",
            n(),
            n(),
            100,
            150,
            None,
            None,
            100,
            1000,
            150,
            Tmr,
        ),
        (
            "scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies",
            n(),
            n(),
            1,
            2000,
            Some(g(0, 0, 1, 60, 0)),
            None,
            3,
            1000,
            4,
            Sul,
        ),
        // Upstream marks this row `testThis: true`, which skips it; it passes.
        (
            "scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies",
            n(),
            n(),
            3,
            2000,
            None,
            Some(g(20, 60, 0, 0, 0)),
            1000,
            3,
            980,
            Sdl,
        ),
        ("scaleUp with default behavior", n(), n(), 1, 1000, None, None, 10, 50, 20, Sul),
        (
            "scaleUp with pods policy larger than percent policy",
            n(),
            n(),
            1,
            1000,
            Some(g(100, 60, 100, 60, 0)),
            None,
            10,
            500,
            110,
            Sul,
        ),
        (
            "scaleUp with percent policy larger than pods policy",
            n(),
            n(),
            1,
            1000,
            Some(g(2, 60, 100, 60, 0)),
            None,
            10,
            500,
            20,
            Sul,
        ),
        (
            "scaleUp with spec MaxReplicas limitation with large pod policy",
            n(),
            n(),
            1,
            1000,
            Some(g(100, 60, 0, 0, 0)),
            None,
            10,
            50,
            50,
            Dwr,
        ),
        (
            "scaleUp with spec MaxReplicas limitation with large percent policy",
            n(),
            n(),
            1,
            1000,
            Some(g(10000, 60, 0, 0, 0)),
            None,
            10,
            50,
            50,
            Dwr,
        ),
        ("scaleUp with pod policy limitation", n(), n(), 1, 1000, Some(g(30, 60, 0, 0, 0)), None, 10, 50, 40, Sul),
        ("scaleUp with percent policy limitation", n(), n(), 1, 1000, Some(g(0, 0, 200, 60, 0)), None, 10, 50, 30, Sul),
        (
            "scaleDown with percent policy larger than pod policy",
            n(),
            n(),
            1,
            1000,
            None,
            Some(g(20, 60, 1, 60, 300)),
            100,
            2,
            80,
            Sdl,
        ),
        (
            "scaleDown with pod policy larger than percent policy",
            n(),
            n(),
            1,
            1000,
            None,
            Some(g(2, 60, 1, 60, 300)),
            100,
            2,
            98,
            Sdl,
        ),
        (
            "scaleDown with spec MinReplicas=nil limitation with large pod policy",
            n(),
            n(),
            1,
            1000,
            None,
            Some(g(100, 60, 0, 0, 300)),
            10,
            0,
            1,
            Tfr,
        ),
        (
            "scaleDown with spec MinReplicas limitation with large pod policy",
            n(),
            n(),
            1,
            1000,
            None,
            Some(g(100, 60, 0, 0, 300)),
            10,
            0,
            1,
            Tfr,
        ),
        (
            "scaleDown with spec MinReplicas limitation with large percent policy",
            n(),
            n(),
            5,
            1000,
            None,
            Some(g(0, 0, 100, 60, 300)),
            10,
            2,
            5,
            Tfr,
        ),
        ("scaleDown with pod policy limitation", n(), n(), 1, 1000, None, Some(g(5, 60, 0, 0, 300)), 10, 2, 5, Sdl),
        (
            "scaleDown with percent policy limitation",
            n(),
            n(),
            1,
            1000,
            None,
            Some(g(0, 0, 50, 60, 300)),
            10,
            5,
            5,
            Dwr,
        ),
        (
            "scaleUp with spec MaxReplicas limitation with large pod policy and events",
            e(&[1, 5, 9], 120),
            n(),
            1,
            200,
            Some(g(300, 60, 0, 0, 0)),
            None,
            100,
            500,
            200,
            Tmr,
        ),
        (
            "scaleUp with spec MaxReplicas limitation with large percent policy and events",
            e(&[1, 5, 9], 120),
            n(),
            1,
            200,
            Some(g(0, 0, 10000, 60, 0)),
            None,
            100,
            500,
            200,
            Tmr,
        ),
        (
            "scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events",
            e(&[1, 5, 9], 120),
            n(),
            1,
            1000,
            Some(g(5, 120, 0, 0, 0)),
            None,
            100,
            500,
            100,
            Sul,
        ),
        (
            "scaleUp with pod policy and previous scale up events",
            e(&[1, 5, 9], 120),
            n(),
            1,
            1000,
            Some(g(150, 120, 0, 0, 0)),
            None,
            100,
            500,
            235,
            Sul,
        ),
        (
            "scaleUp with percent policy and previous scale up events",
            e(&[1, 5, 9], 120),
            n(),
            1,
            1000,
            Some(g(0, 0, 200, 120, 0)),
            None,
            100,
            500,
            255,
            Sul,
        ),
        (
            "scaleUp with percent policy and previous scale up and down events",
            e(&[4], 120),
            e(&[2], 120),
            1,
            1000,
            Some(g(0, 0, 300, 300, 0)),
            None,
            6,
            24,
            16,
            Sul,
        ),
        (
            "scaleDown with default policy and previous events",
            n(),
            e(&[1, 5, 9], 120),
            1,
            1000,
            None,
            None,
            10,
            5,
            5,
            Dwr,
        ),
        (
            "scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events",
            n(),
            e(&[1, 5, 9], 120),
            1,
            1000,
            None,
            Some(g(115, 120, 0, 0, 300)),
            100,
            0,
            1,
            Tfr,
        ),
        (
            "scaleDown with spec MinReplicas limitation with large pod policy and previous events",
            n(),
            e(&[1, 5, 9], 120),
            5,
            1000,
            None,
            Some(g(130, 120, 0, 0, 300)),
            100,
            0,
            5,
            Tfr,
        ),
        (
            "scaleDown with spec MinReplicas limitation with large percent policy and previous events",
            n(),
            e(&[1, 5, 9], 120),
            5,
            1000,
            None,
            Some(g(0, 0, 100, 120, 300)),
            100,
            2,
            5,
            Tfr,
        ),
        (
            "scaleDown with pod policy limitation and previous events",
            n(),
            e(&[1, 5, 9], 120),
            1,
            1000,
            None,
            Some(g(5, 120, 0, 0, 300)),
            100,
            2,
            100,
            Sdl,
        ),
        (
            "scaleDown with percent policy limitation and previous events",
            n(),
            e(&[2, 4, 6], 120),
            1,
            1000,
            None,
            Some(g(0, 0, 50, 120, 300)),
            100,
            0,
            56,
            Sdl,
        ),
        (
            "scaleDown with percent policy and previous scale up and down events",
            e(&[2], 120),
            e(&[4], 120),
            1,
            1000,
            None,
            Some(g(0, 0, 50, 180, 0)),
            10,
            1,
            6,
            Sdl,
        ),
        (
            "scaleDown with previous events preventing further scale down",
            n(),
            e(&[10, 10, 10], 120),
            1,
            1000,
            None,
            Some(g(0, 0, 10, 120, 300)),
            100,
            0,
            100,
            Sdl,
        ),
        (
            "scaleDown with with previous events still allowing more scale down",
            n(),
            e(&[10, 10, 10], 120),
            1,
            1000,
            None,
            Some(g(0, 0, 1000, 120, 300)),
            10,
            5,
            5,
            Dwr,
        ),
        (
            "check 'outdated' flag for events for one behavior for up",
            e(&[8, 12, 9, 11], 120),
            n(),
            1,
            1000,
            Some(g(1000, 60, 0, 0, 0)),
            None,
            100,
            200,
            200,
            Dwr,
        ),
        (
            "check that events were not marked 'outdated' for two different policies in the behavior for up",
            e(&[8, 12, 9, 11], 120),
            n(),
            1,
            1000,
            Some(g(1000, 120, 100, 60, 0)),
            None,
            100,
            200,
            200,
            Dwr,
        ),
        (
            "check that events were marked 'outdated' for two different policies in the behavior for up",
            e(&[8, 12, 9, 11], 120),
            n(),
            1,
            1000,
            Some(g(1000, 30, 100, 60, 0)),
            None,
            100,
            200,
            200,
            Dwr,
        ),
        (
            "check 'outdated' flag for events for one behavior for down",
            n(),
            e(&[8, 12, 9, 11], 120),
            1,
            1000,
            None,
            Some(g(1000, 60, 0, 0, 300)),
            100,
            5,
            5,
            Dwr,
        ),
        (
            "check that events were not marked 'outdated' for two different policies in the behavior for down",
            n(),
            e(&[8, 12, 9, 11], 120),
            1,
            1000,
            None,
            Some(g(1000, 120, 100, 60, 300)),
            100,
            5,
            5,
            Dwr,
        ),
        (
            "check that events were marked 'outdated' for two different policies in the behavior for down",
            n(),
            e(&[8, 12, 9, 11], 120),
            1,
            1000,
            None,
            Some(g(1000, 30, 100, 60, 300)),
            100,
            5,
            5,
            Dwr,
        ),
    ];
    let mut failures = Vec::new();
    for (name, up_events, down_events, min, max, up_rules, down_rules, current, desired, want, reason) in rows {
        let up = generate_hpa_scale_up_rules(up_rules.as_ref());
        let down = generate_hpa_scale_down_rules(down_rules.as_ref());
        let arg = NormalizationArg {
            scale_up_behavior: &up,
            scale_down_behavior: &down,
            min_replicas: min,
            max_replicas: max,
            current_replicas: current,
            desired_replicas: desired,
        };
        let got = convert_desired_replicas_with_behavior_rate(&arg, &up_events, &down_events, NOW);
        if got != (want, reason) {
            failures.push(format!("{name}: got {got:?}, want {:?}", (want, reason)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `TestStoreScaleEvents` (8 rows): `getReplicasChangePerPeriod(60, ...)` on
/// the history, then `storeScaleEvent` for +5 (scale-up) and -5 (scale-down).
#[test]
fn test_store_scale_events() {
    let ev = |change: i32, age_s: u64, outdated: bool| TimestampedScaleEvent {
        replica_change: change,
        timestamp: ago(secs(age_s)),
        outdated,
    };
    let g = generate_scaling_rules;
    type Row = (&'static str, Vec<TimestampedScaleEvent>, Vec<(i32, bool)>, Option<HpaScalingRulesSpec>, i32);
    let rows: Vec<Row> = vec![
        ("empty entries with default behavior", vec![], vec![], None, 0),
        ("empty entries with two-policy-behavior", vec![], vec![(5, false)], Some(g(10, 60, 100, 60, 0)), 0),
        ("one outdated entry to be kept untouched without behavior", vec![ev(7, 61, false)], vec![(7, false)], None, 0),
        (
            "one outdated entry to be replaced with behavior",
            vec![ev(7, 61, false)],
            vec![(5, false)],
            Some(g(10, 60, 100, 60, 0)),
            0,
        ),
        (
            "one actual entry to be not touched with behavior",
            vec![ev(7, 58, false)],
            vec![(7, false), (5, false)],
            Some(g(10, 60, 100, 60, 0)),
            7,
        ),
        (
            "two entries, one of them to be replaced",
            vec![ev(7, 61, false), ev(6, 59, false)],
            vec![(5, false), (6, false)],
            Some(g(10, 60, 0, 0, 0)),
            6,
        ),
        (
            "replace one entry, use policies with different periods",
            vec![ev(8, 29, false), ev(6, 59, false), ev(7, 61, false), ev(9, 61, false)],
            vec![(8, false), (6, false), (7, true), (5, false)],
            Some(g(10, 60, 100, 30, 0)),
            14,
        ),
        (
            "two entries, both actual",
            vec![ev(7, 58, false), ev(6, 59, false)],
            vec![(7, false), (6, false), (5, false)],
            Some(g(10, 120, 100, 30, 0)),
            13,
        ),
    ];
    for (name, prev, want_events, scaling_rules, want_change) in rows {
        // The rules are used as written (upstream does not default them here).
        let as_rules = |r: &HpaScalingRulesSpec| HpaScalingRules {
            stabilization_window_seconds: r.stabilization_window_seconds,
            select_policy: r.select_policy.unwrap_or(SelectPolicy::Max),
            policies: r.policies.clone().unwrap_or_default(),
            tolerance: None,
        };
        for up in [true, false] {
            let behavior = scaling_rules.as_ref().map(|r| HpaBehavior {
                scale_up: if up { as_rules(r) } else { rules(SelectPolicy::Max, vec![], 0) },
                scale_down: if up { rules(SelectPolicy::Max, vec![], 0) } else { as_rules(r) },
            });
            let mut events = prev.clone();
            let mut other = Vec::new();
            assert_eq!(get_replicas_change_per_period(60, &events, NOW), want_change, "{name}");
            if up {
                store_scale_event(behavior.as_ref(), &mut events, &mut other, 10, 15, NOW);
            } else {
                store_scale_event(behavior.as_ref(), &mut other, &mut events, 10, 5, NOW);
            }
            let got: Vec<(i32, bool)> = events.iter().map(|e| (e.replica_change, e.outdated)).collect();
            assert_eq!(got, want_events, "{name} (up: {up})");
            assert!(other.is_empty(), "{name}: the other direction is untouched");
        }
    }
}

// ---------------------------------------------------------------------------
// Beyond upstream: behavior over several syncs, and the explanation.
// ---------------------------------------------------------------------------

fn steady_input(replicas: i32, cpu_each: i64) -> HpaInput {
    HpaInput {
        spec_replicas: replicas,
        status_replicas: replicas,
        selector: SelectorStatus::Valid,
        pods: (0..replicas).map(|i| Pod::running(&format!("p{i}"), 1000, SimTime::ZERO)).collect(),
        metrics: MetricsSnapshot {
            resource: (0..replicas)
                .map(|i| PodResourceMetrics::single(&format!("p{i}"), "cpu", cpu_each, NOW, minutes(1)))
                .collect(),
            ..MetricsSnapshot::default()
        },
    }
}

fn legacy_spec(min: i32, max: i32, target: i32) -> HpaSpec {
    HpaSpec {
        scale_target_ref: CrossVersionObjectReference::new("apps/v1", "Deployment", "web"),
        min_replicas: min,
        max_replicas: max,
        metrics: vec![cpu_utilization(target)],
        behavior: None,
    }
}

/// The initial recommendation blocks scale-down for the whole 5-minute
/// window after the controller first sees the HPA, even at t=0 of a run.
#[test]
fn initial_recommendation_blocks_scale_down_for_one_window_from_time_zero() {
    let mut c = HpaController::new(legacy_spec(1, 10, 50), HpaControllerConfig::default());
    let t0 = SimTime::ZERO;
    let input = |now: SimTime| HpaInput {
        metrics: MetricsSnapshot {
            resource: (0..4)
                .map(|i| PodResourceMetrics::single(&format!("p{i}"), "cpu", 100, now, minutes(1)))
                .collect(),
            ..MetricsSnapshot::default()
        },
        ..steady_input(4, 100)
    };
    // 10% vs 50%: the metrics want 1 replica.
    for k in 0..20u64 {
        let now = t0 + secs(15 * k);
        let out = c.reconcile(now, &input(now));
        assert_eq!(out.desired_replicas, 4, "t={now}: {out}");
    }
    let now = t0 + secs(301);
    let out = c.reconcile(now, &input(now));
    assert_eq!(out.desired_replicas, 1, "{out}");
}

#[test]
fn explanation_is_one_line_naming_metric_stabilization_and_limit() {
    let mut spec = legacy_spec(1, 100, 60);
    spec.behavior = Some(default_behavior(
        Some(&HpaScalingRulesSpec {
            policies: Some(vec![HpaScalingPolicy::pods(4, 60)]),
            ..HpaScalingRulesSpec::default()
        }),
        None,
    ));
    let mut c = HpaController::new(spec, HpaControllerConfig::default());
    // 6 pods at 870m of 1 core: 87% vs 60% → ceil(1.45 × 6) = 9 → +4 → 10.
    let input = steady_input(6, 870);
    let out = c.reconcile(NOW, &input);
    let line = out.to_string();
    assert_eq!(line, "cpu 87% vs target 60% → 9; stabilized (up: min over 0s, down: max over 5m) 9; scale 6 → 9");
    assert!(!line.contains('\n'));
    // The next sync is limited by the Pods 4/60s policy (3 already added).
    let input = HpaInput {
        metrics: MetricsSnapshot {
            resource: (0..9)
                .map(|i| PodResourceMetrics::single(&format!("p{i}"), "cpu", 1500, NOW, minutes(1)))
                .collect(),
            ..MetricsSnapshot::default()
        },
        ..steady_input(9, 1500)
    };
    let out = c.reconcile(NOW + secs(15), &input);
    assert_eq!(
        out.to_string(),
        "cpu 150% vs target 60% → 23; stabilized (up: min over 0s, down: max over 5m) 23; limited by policy Pods 4/60s → 10; scale 9 → 10"
    );
    assert_eq!(out.condition(ScalingLimited).map(|c| c.reason), Some("ScaleUpLimit"));
}

/// Percent scale-down truncates towards zero, scale-up rounds up
/// (`calculateScale{Down,Up}Limit*`); upstream's rows only use exact
/// products. 15 × (1 - 0.1) = 13.5 → 13; 15 × 1.1 = 16.5 → 17.
#[test]
fn percent_limits_round_down_for_scale_down_and_up_for_scale_up() {
    let r = rules(SelectPolicy::Max, vec![HpaScalingPolicy::percent(10, 60)], 0);
    assert_eq!(calculate_scale_down_limit_with_behaviors(15, &[], &[], &r, NOW), 13);
    assert_eq!(calculate_scale_up_limit_with_scaling_rules(15, &[], &[], &r, NOW), 17);
}

/// `selectPolicy: Disabled` holds the count in that direction.
#[test]
fn disabled_select_policy_holds_the_current_count() {
    let up = rules(SelectPolicy::Disabled, vec![HpaScalingPolicy::pods(4, 15)], 0);
    let down = generate_hpa_scale_down_rules(None);
    let arg = NormalizationArg {
        scale_up_behavior: &up,
        scale_down_behavior: &down,
        min_replicas: 1,
        max_replicas: 10,
        current_replicas: 3,
        desired_replicas: 8,
    };
    assert_eq!(convert_desired_replicas_with_behavior_rate(&arg, &[], &[], NOW), (3, LimitReason::ScaleUpLimit));
}
