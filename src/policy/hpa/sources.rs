//! What the simulator shows the HPA: its pods as the API server lists them,
//! and its metric figures as the metrics APIs serve them.
//!
//! | HPA metric | simulator figure |
//! |---|---|
//! | `Resource` `cpu` (and `ContainerResource` `cpu` of container `app`) | per-pod CPU usage (`PodView.cpu_milli`), against the pod's request (`[fleet] cpu_request`) |
//! | `Pods` `http_requests_per_second`, `requests_per_second` | per-pod completed requests per second |
//! | `Pods` `in_flight`, `http_requests_in_flight` | per-pod requests in flight (queued or in service) |
//! | `External` or `Object` `queue_messages_ready`, `queue`, `queue_length` | requests waiting: balancer hold queue plus instance accept queues |
//! | `External` or `Object` `requests_per_second`, `http_requests_per_second` | offered requests per second at the balancer |
//! | `External` or `Object` `latency_p95_ms` | 95th percentile latency at the balancer, milliseconds |
//!
//! Every figure comes through the metrics pipeline (sampled, windowed,
//! delayed): a pod without a sample yet is left out of the metrics, so the
//! controller counts it as missing, as it does a new pod in Kubernetes.
//! Values are converted to milli-units and rounded to the nearest one.

use super::metrics::{MetricsSnapshot, ObjectMetricKey, PodMetricValue, PodResourceMetrics};
use super::pods::{ConditionStatus, Container, Pod, PodPhase as K8sPhase, PodReadyCondition};
use super::types::{HpaSpec, MetricSpec};
use super::{HpaInput, SelectorStatus};
use crate::policy::{MetricName, Observation, PodPhase, PodView};

/// A simulator figure an HPA metric can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    /// Per-pod completed requests per second.
    PodRps,
    /// Per-pod requests in flight.
    PodInFlight,
    /// Requests waiting (fleet-wide).
    Queue,
    /// Offered requests per second at the balancer.
    OfferedRps,
    /// p95 latency at the balancer, milliseconds.
    LatencyP95,
}

/// The only container of a simulated pod.
pub const CONTAINER: &str = "app";

/// `Pods` metrics by name.
pub const PODS_METRICS: &[(MetricName, Figure)] = &[
    (MetricName::HttpRequestsPerSecond, Figure::PodRps),
    (MetricName::RequestsPerSecond, Figure::PodRps),
    (MetricName::InFlight, Figure::PodInFlight),
    (MetricName::HttpRequestsInFlight, Figure::PodInFlight),
];

/// `External` and `Object` metrics by name.
pub const FLEET_METRICS: &[(MetricName, Figure)] = &[
    (MetricName::QueueMessagesReady, Figure::Queue),
    (MetricName::Queue, Figure::Queue),
    (MetricName::QueueLength, Figure::Queue),
    (MetricName::RequestsPerSecond, Figure::OfferedRps),
    (MetricName::HttpRequestsPerSecond, Figure::OfferedRps),
    (MetricName::LatencyP95Ms, Figure::LatencyP95),
];

/// The entry of `table` named `name`.
pub fn find(table: &'static [(MetricName, Figure)], name: &str) -> Option<(MetricName, Figure)> {
    table.iter().copied().find(|(n, _)| n.name() == name)
}

fn names(table: &[(MetricName, Figure)]) -> String {
    table.iter().map(|(n, _)| format!("'{n}'")).collect::<Vec<_>>().join(", ")
}

/// Why a metric of a spec cannot be simulated: the index of the metric, the
/// field path inside it, the message and a hint.
pub type Unsupported = (usize, &'static str, String, String);

/// Checks that every metric of `spec` names a figure the simulator has.
pub fn check(spec: &HpaSpec) -> Vec<Unsupported> {
    let mut out = Vec::new();
    for (i, m) in spec.metrics.iter().enumerate() {
        match m {
            MetricSpec::Resource { name, .. } if name != "cpu" => out.push((
                i,
                "resource.name",
                format!("'{name}' is not a resource the simulator measures"),
                "only 'cpu' is simulated (usage against [fleet] cpu_request)".to_string(),
            )),
            MetricSpec::ContainerResource { name, .. } if name != "cpu" => out.push((
                i,
                "containerResource.name",
                format!("'{name}' is not a resource the simulator measures"),
                "only 'cpu' is simulated".to_string(),
            )),
            MetricSpec::ContainerResource { container, .. } if container != CONTAINER => out.push((
                i,
                "containerResource.container",
                format!("'{container}' is not a container of the simulated pod"),
                format!("a simulated pod has one container, '{CONTAINER}'"),
            )),
            MetricSpec::Pods { metric, .. } if find(PODS_METRICS, &metric.name).is_none() => out.push((
                i,
                "pods.metric.name",
                format!("'{}' is not a per-pod metric the simulator produces", metric.name),
                format!("the Pods metrics are: {}", names(PODS_METRICS)),
            )),
            MetricSpec::External { metric, .. } if find(FLEET_METRICS, &metric.name).is_none() => out.push((
                i,
                "external.metric.name",
                format!("'{}' is not an external metric the simulator produces", metric.name),
                format!("the External metrics are: {}", names(FLEET_METRICS)),
            )),
            MetricSpec::Object { metric, .. } if find(FLEET_METRICS, &metric.name).is_none() => out.push((
                i,
                "object.metric.name",
                format!("'{}' is not an object metric the simulator produces", metric.name),
                format!("the Object metrics are: {}", names(FLEET_METRICS)),
            )),
            _ => {}
        }
    }
    out
}

/// A metric's simulator name, for the time series (`cpu`, `http_requests_per_second`, ...).
pub fn static_name(m: &MetricSpec) -> MetricName {
    match m {
        MetricSpec::Resource { .. } | MetricSpec::ContainerResource { .. } => MetricName::Cpu,
        MetricSpec::Pods { metric, .. } => find(PODS_METRICS, &metric.name).map_or(MetricName::Pods, |(n, _)| n),
        MetricSpec::External { metric, .. } | MetricSpec::Object { metric, .. } => {
            find(FLEET_METRICS, &metric.name).map_or(MetricName::External, |(n, _)| n)
        }
        MetricSpec::Unsupported { .. } => MetricName::Unsupported,
    }
}

/// The pod name of an instance (as in `events.csv`).
pub fn pod_name(id: u32) -> String {
    format!("i-{id}")
}

/// A value in milli-units, rounded to the nearest.
pub fn milli(x: f64) -> i64 {
    whole(x * 1000.0)
}

/// Rounded to the nearest integer (0 for NaN, saturating).
fn whole(x: f64) -> i64 {
    if x.is_finite() { x.round().clamp(i64::MIN as f64, i64::MAX as f64) as i64 } else { 0 }
}

/// The pod as the API server shows it.
pub fn pod(p: &PodView) -> Pod {
    Pod {
        name: pod_name(p.id),
        phase: match p.phase {
            PodPhase::Pending => K8sPhase::Pending,
            PodPhase::Running => K8sPhase::Running,
            PodPhase::Failed => K8sPhase::Failed,
        },
        deleting: p.deleting,
        ready: Some(PodReadyCondition {
            status: if p.ready { ConditionStatus::True } else { ConditionStatus::False },
            last_transition_time: p.ready_transition,
        }),
        start_time: p.start_time,
        containers: vec![Container::with_request(CONTAINER, "cpu", p.cpu_request_milli as i64)],
        init_containers: Vec::new(),
        pod_requests: None,
    }
}

/// Everything the controller reads at one sync, from what a policy
/// observes: the scale (`spec.replicas` = the desired count,
/// `status.replicas` = pods not being deleted), every pod, and the metric
/// series that `spec`'s metrics name.
pub fn input(obs: &Observation<'_>, spec: &HpaSpec) -> HpaInput {
    let mut metrics = MetricsSnapshot::default();
    for m in &spec.metrics {
        match m {
            MetricSpec::Resource { .. } | MetricSpec::ContainerResource { .. } if metrics.resource.is_empty() => {
                metrics.resource = obs
                    .pods
                    .iter()
                    .filter_map(|p| {
                        let s = p.cpu_milli?;
                        // Already millicores.
                        let usage = whole(s.value);
                        Some(PodResourceMetrics::single(&pod_name(p.id), "cpu", usage, s.timestamp, s.window))
                    })
                    .collect();
            }
            MetricSpec::Pods { metric, .. } => {
                let Some((_, figure)) = find(PODS_METRICS, &metric.name) else { continue };
                let values = obs
                    .pods
                    .iter()
                    .filter_map(|p| {
                        let s = if figure == Figure::PodRps { p.rps } else { p.in_flight }?;
                        Some(PodMetricValue {
                            pod: pod_name(p.id),
                            value: milli(s.value),
                            timestamp: s.timestamp,
                            window: Some(s.window),
                        })
                    })
                    .collect();
                metrics.pods.insert(metric.name.clone(), values);
            }
            MetricSpec::External { metric, .. } => {
                if let Some(v) = fleet_value(obs, &metric.name) {
                    metrics.external.insert(metric.name.clone(), vec![v]);
                }
            }
            MetricSpec::Object { described_object, metric, .. } => {
                if let Some(v) = fleet_value(obs, &metric.name) {
                    let key = ObjectMetricKey {
                        kind: described_object.kind.clone(),
                        name: described_object.name.clone(),
                        metric: metric.name.clone(),
                    };
                    metrics.object.insert(key, v);
                }
            }
            _ => {}
        }
    }
    HpaInput {
        spec_replicas: obs.desired.min(i32::MAX as u32) as i32,
        status_replicas: obs.current.min(i32::MAX as u32) as i32,
        selector: SelectorStatus::Valid,
        pods: obs.pods.iter().map(pod).collect(),
        metrics,
    }
}

/// A fleet-wide figure by metric name, in milli-units, if sampled.
fn fleet_value(obs: &Observation<'_>, name: &str) -> Option<i64> {
    let (_, figure) = find(FLEET_METRICS, name)?;
    let f = obs.fleet;
    let x = match figure {
        Figure::Queue => f.queue,
        Figure::OfferedRps => f.offered_rps,
        Figure::LatencyP95 => f.latency_p95_ms,
        Figure::PodRps | Figure::PodInFlight => None,
    }?;
    Some(milli(x))
}

#[cfg(test)]
mod tests {
    use super::super::{MetricIdentifier, MetricTarget, parse_manifest};
    use super::*;
    use crate::engine::time::{SimDuration, SimTime};
    use crate::model::metrics::MetricSample;
    use crate::policy::FleetMetrics;

    fn view(id: u32, cpu: Option<f64>) -> PodView {
        let sample =
            |v| MetricSample { value: v, timestamp: SimTime::from_secs(45), window: SimDuration::from_secs(30) };
        PodView {
            id,
            phase: PodPhase::Running,
            ready: true,
            ready_transition: SimTime::ZERO,
            created: SimTime::ZERO,
            start_time: Some(SimTime::ZERO),
            deleting: false,
            cpu_request_milli: 1000,
            cpu_milli: cpu.map(sample),
            rps: cpu.map(|c| sample(c / 100.0)),
            in_flight: None,
        }
    }

    #[test]
    fn pods_and_samples_map_to_the_metrics_apis() {
        let pods = [view(0, Some(812.4)), view(1, None)];
        let fleet = FleetMetrics { queue: Some(41.5), ..Default::default() };
        let obs =
            Observation { now: SimTime::from_secs(60), desired: 2, current: 2, ready: 2, pods: &pods, fleet: &fleet };
        let mut spec = parse_manifest(include_str!("../../../models/policies/hpa-cpu-and-rps.yaml")).unwrap().spec;
        spec.metrics.push(MetricSpec::External {
            metric: MetricIdentifier::named("queue_messages_ready"),
            target: MetricTarget::AverageValue(30_000),
        });
        let input = input(&obs, &spec);
        assert_eq!(input.pods.len(), 2, "every pod, sampled or not");
        assert_eq!(input.metrics.resource.len(), 1, "the unsampled pod is missing");
        assert_eq!(input.metrics.resource[0].containers[0].usage["cpu"], 812, "millicores, rounded");
        assert_eq!(input.metrics.pods["http_requests_per_second"][0].value, 8124, "8.124 rps in milli-units");
        assert_eq!(input.metrics.external["queue_messages_ready"], vec![41_500]);
        assert!(check(&spec).is_empty());
    }

    #[test]
    fn unknown_metrics_are_named_with_the_known_ones() {
        let mut spec = parse_manifest(include_str!("../../../models/policies/hpa-cpu-60.yaml")).unwrap().spec;
        spec.metrics.push(MetricSpec::Pods {
            metric: MetricIdentifier::named("kafka_lag"),
            target: MetricTarget::AverageValue(1000),
        });
        let problems = check(&spec);
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].0, problems[0].1), (1, "pods.metric.name"));
        assert!(problems[0].3.contains("'http_requests_per_second'"), "{:?}", problems[0]);
    }
}
