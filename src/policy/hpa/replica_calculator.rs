//! Replica count proposals per metric type (mirrors
//! `pkg/controller/podautoscaler/replica_calculator.go`: `Tolerances`,
//! `ReplicaCalculator.GetResourceReplicas`, `GetRawResourceReplicas`,
//! `GetMetricReplicas`, `calcPlainMetricReplicas`, `GetObjectMetricReplicas`,
//! `getUsageRatioReplicaCount`, `GetObjectPerPodMetricReplicas`,
//! `getReadyPodsCount`, `GetExternalMetricReplicas`,
//! `GetExternalPerPodMetricReplicas`, `groupPods`, `calculateRequests`,
//! `removeMetricsForPods`).
//!
//! The arithmetic is upstream's: integer utilization, float ratios, `ceil`,
//! the inclusive per-direction tolerance band, the conservative second pass
//! over missing and unready pods, and the two direction-flip guards.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::metrics::{
    MetricsSnapshot, ObjectMetricKey, PodMetric, PodMetricsInfo, get_external_metric, get_metric_usage_ratio,
    get_object_metric, get_raw_metric, get_resource_metric, get_resource_utilization_ratio,
};
use super::pods::{ConditionStatus, Pod, PodPhase};
use crate::engine::time::{SimDuration, SimTime};

/// The resource whose readiness rules differ (`v1.ResourceCPU`).
pub const RESOURCE_CPU: &str = "cpu";

/// `Tolerances`: the usage ratio band inside which nothing changes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerances {
    /// Allowed shortfall below 1.0.
    pub scale_down: f64,
    /// Allowed excess above 1.0.
    pub scale_up: f64,
}

impl Tolerances {
    /// The same tolerance both ways.
    pub const fn symmetric(t: f64) -> Tolerances {
        Tolerances { scale_down: t, scale_up: t }
    }

    /// `isWithin`: `1 - down <= ratio <= 1 + up`, inclusive at both ends.
    pub fn is_within(self, usage_ratio: f64) -> bool {
        (1.0 - self.scale_down) <= usage_ratio && usage_ratio <= (1.0 + self.scale_up)
    }
}

/// A replica calculation that could not be made (upstream's `error` values,
/// with the same messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalcError(pub String);

impl fmt::Display for CalcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CalcError {}

fn err<T>(msg: impl Into<String>) -> Result<T, CalcError> {
    Err(CalcError(msg.into()))
}

/// Result of `GetResourceReplicas`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceReplicas {
    /// Proposed replica count.
    pub replicas: i32,
    /// Utilization of the ready pods, percent of request (first pass).
    pub utilization: i32,
    /// Average usage of the ready pods, milli-units (first pass).
    pub raw_utilization: i64,
    /// Timestamp of the metrics.
    pub timestamp: SimTime,
}

/// Result of the value-based calculations (`GetRawResourceReplicas`,
/// `GetMetricReplicas`, `GetObject*`, `GetExternal*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsageReplicas {
    /// Proposed replica count.
    pub replicas: i32,
    /// The usage reported in status: the ready pods' average, the object's
    /// value, the external sum, or the per-pod average for `AverageValue`.
    pub usage: i64,
    /// Timestamp of the metrics (zero where upstream leaves it unset).
    pub timestamp: SimTime,
}

/// `groupPods`' classification of the pods.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodGroups {
    /// Pods counted as ready with a sample.
    pub ready_pod_count: i32,
    /// Pending pods, and (for CPU) pods not yet ready or still warming up.
    pub unready: BTreeSet<String>,
    /// Running pods without a sample.
    pub missing: BTreeSet<String>,
    /// Terminating or failed pods.
    pub ignored: BTreeSet<String>,
}

/// `ReplicaCalculator`: the readiness windows that classify pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaCalculator {
    /// `cpuInitializationPeriod`.
    pub cpu_initialization_period: SimDuration,
    /// `delayOfInitialReadinessStatus`.
    pub delay_of_initial_readiness_status: SimDuration,
    /// `PodLevelResources` feature gate.
    pub pod_level_resources: bool,
}

impl ReplicaCalculator {
    /// `GetResourceReplicas`: replicas for a `Utilization` target on a
    /// resource (or one container's resource when `container` is non-empty).
    #[allow(clippy::too_many_arguments)]
    pub fn get_resource_replicas(
        &self,
        now: SimTime,
        current_replicas: i32,
        target_utilization: i32,
        resource: &str,
        tolerances: Tolerances,
        container: &str,
        pods: &[Pod],
        samples: &MetricsSnapshot,
    ) -> Result<ResourceReplicas, CalcError> {
        let (mut metrics, timestamp) = get_resource_metric(&samples.resource, resource, container)
            .map_err(|e| CalcError(format!("unable to get metrics for resource {resource}: {e}")))?;
        if pods.is_empty() {
            return err("no pods returned by selector while calculating replica count");
        }
        let groups = self.group_pods(now, pods, &metrics, resource);
        remove_metrics_for_pods(&mut metrics, &groups.ignored);
        remove_metrics_for_pods(&mut metrics, &groups.unready);
        if metrics.is_empty() {
            return err("did not receive metrics for targeted pods (pods might be unready)");
        }
        let requests = calculate_requests(pods, container, resource, self.pod_level_resources)?;
        let (usage_ratio, utilization, raw_utilization) =
            get_resource_utilization_ratio(&metrics, &requests, target_utilization).map_err(CalcError)?;
        let ok = |replicas| Ok(ResourceReplicas { replicas, utilization, raw_utilization, timestamp });

        let scale_up_with_unready = !groups.unready.is_empty() && usage_ratio > 1.0;
        if !scale_up_with_unready && groups.missing.is_empty() {
            if tolerances.is_within(usage_ratio) {
                // The change would be too small.
                return ok(current_replicas);
            }
            // No unready or missing pods: the plain proportional answer.
            return ok(ceil_to_i32(usage_ratio * f64::from(groups.ready_pod_count)));
        }

        if !groups.missing.is_empty() {
            if usage_ratio < 1.0 {
                // Scale-down: missing pods use 100% of their request, or the
                // target when the target is above 100%.
                let fallback = i64::from(target_utilization.max(100));
                for pod in &groups.missing {
                    let request = requests.get(pod).copied().unwrap_or(0);
                    metrics.insert(pod.clone(), zero_sample(request.saturating_mul(fallback) / 100));
                }
            } else if usage_ratio > 1.0 {
                // Scale-up: missing pods use 0%.
                for pod in &groups.missing {
                    metrics.insert(pod.clone(), zero_sample(0));
                }
            }
        }
        if scale_up_with_unready {
            // Scale-up: unready pods use 0%.
            for pod in &groups.unready {
                metrics.insert(pod.clone(), zero_sample(0));
            }
        }

        // Re-run the utilization calculation with the filled-in numbers.
        let (new_usage_ratio, _, _) =
            get_resource_utilization_ratio(&metrics, &requests, target_utilization).map_err(CalcError)?;
        if tolerances.is_within(new_usage_ratio)
            || (usage_ratio < 1.0 && new_usage_ratio > 1.0)
            || (usage_ratio > 1.0 && new_usage_ratio < 1.0)
        {
            // Too small a change, or the direction would flip.
            return ok(current_replicas);
        }
        let new_replicas = ceil_to_i32(new_usage_ratio * metrics.len() as f64);
        if (new_usage_ratio < 1.0 && new_replicas > current_replicas)
            || (new_usage_ratio > 1.0 && new_replicas < current_replicas)
        {
            // The number of samples would flip the direction.
            return ok(current_replicas);
        }
        ok(new_replicas)
    }

    /// `GetRawResourceReplicas`: replicas for an `AverageValue` target on a
    /// resource.
    #[allow(clippy::too_many_arguments)]
    pub fn get_raw_resource_replicas(
        &self,
        now: SimTime,
        current_replicas: i32,
        target_usage: i64,
        resource: &str,
        tolerances: Tolerances,
        container: &str,
        pods: &[Pod],
        samples: &MetricsSnapshot,
    ) -> Result<UsageReplicas, CalcError> {
        let (metrics, timestamp) = get_resource_metric(&samples.resource, resource, container)
            .map_err(|e| CalcError(format!("unable to get metrics for resource {resource}: {e}")))?;
        let (replicas, usage) =
            self.calc_plain_metric_replicas(now, metrics, current_replicas, target_usage, tolerances, pods, resource)?;
        Ok(UsageReplicas { replicas, usage, timestamp })
    }

    /// `GetMetricReplicas`: replicas for a Pods metric's `AverageValue`.
    #[allow(clippy::too_many_arguments)]
    pub fn get_metric_replicas(
        &self,
        now: SimTime,
        current_replicas: i32,
        target_usage: i64,
        metric_name: &str,
        tolerances: Tolerances,
        pods: &[Pod],
        samples: &MetricsSnapshot,
    ) -> Result<UsageReplicas, CalcError> {
        let (metrics, timestamp) = get_raw_metric(samples, metric_name)
            .map_err(|e| CalcError(format!("unable to get metric {metric_name}: {e}")))?;
        let (replicas, usage) =
            self.calc_plain_metric_replicas(now, metrics, current_replicas, target_usage, tolerances, pods, "")?;
        Ok(UsageReplicas { replicas, usage, timestamp })
    }

    /// `calcPlainMetricReplicas`: like `GetResourceReplicas` but on averages
    /// of raw values; missing pods are filled with exactly the target on a
    /// scale-down.
    #[allow(clippy::too_many_arguments)]
    pub fn calc_plain_metric_replicas(
        &self,
        now: SimTime,
        mut metrics: PodMetricsInfo,
        current_replicas: i32,
        target_usage: i64,
        tolerances: Tolerances,
        pods: &[Pod],
        resource: &str,
    ) -> Result<(i32, i64), CalcError> {
        if pods.is_empty() {
            return err("no pods returned by selector while calculating replica count");
        }
        let groups = self.group_pods(now, pods, &metrics, resource);
        remove_metrics_for_pods(&mut metrics, &groups.ignored);
        remove_metrics_for_pods(&mut metrics, &groups.unready);
        if metrics.is_empty() {
            return err("did not receive metrics for targeted pods (pods might be unready)");
        }
        let (usage_ratio, usage) = get_metric_usage_ratio(&metrics, target_usage);

        let scale_up_with_unready = !groups.unready.is_empty() && usage_ratio > 1.0;
        if !scale_up_with_unready && groups.missing.is_empty() {
            if tolerances.is_within(usage_ratio) {
                return Ok((current_replicas, usage));
            }
            return Ok((ceil_to_i32(usage_ratio * f64::from(groups.ready_pod_count)), usage));
        }

        if !groups.missing.is_empty() {
            if usage_ratio < 1.0 {
                // Scale-down: missing pods use exactly the target.
                for pod in &groups.missing {
                    metrics.insert(pod.clone(), zero_sample(target_usage));
                }
            } else if usage_ratio > 1.0 {
                for pod in &groups.missing {
                    metrics.insert(pod.clone(), zero_sample(0));
                }
            }
        }
        if scale_up_with_unready {
            for pod in &groups.unready {
                metrics.insert(pod.clone(), zero_sample(0));
            }
        }

        let (new_usage_ratio, _) = get_metric_usage_ratio(&metrics, target_usage);
        if tolerances.is_within(new_usage_ratio)
            || (usage_ratio < 1.0 && new_usage_ratio > 1.0)
            || (usage_ratio > 1.0 && new_usage_ratio < 1.0)
        {
            return Ok((current_replicas, usage));
        }
        let new_replicas = ceil_to_i32(new_usage_ratio * metrics.len() as f64);
        if (new_usage_ratio < 1.0 && new_replicas > current_replicas)
            || (new_usage_ratio > 1.0 && new_replicas < current_replicas)
        {
            return Ok((current_replicas, usage));
        }
        Ok((new_replicas, usage))
    }

    /// `GetObjectMetricReplicas`: replicas for an Object metric's `Value`,
    /// scaled by the number of ready pods.
    #[allow(clippy::too_many_arguments)]
    pub fn get_object_metric_replicas(
        &self,
        current_replicas: i32,
        target_usage: i64,
        key: &ObjectMetricKey,
        tolerances: Tolerances,
        pods: &[Pod],
        samples: &MetricsSnapshot,
    ) -> Result<UsageReplicas, CalcError> {
        let usage = get_object_metric(samples, key).map_err(|e| {
            CalcError(format!("unable to get metric {}: {} on {} {}", key.metric, e, key.kind, key.name))
        })?;
        let usage_ratio = usage as f64 / target_usage as f64;
        let replicas = get_usage_ratio_replica_count(current_replicas, usage_ratio, tolerances, pods)?;
        Ok(UsageReplicas { replicas, usage, timestamp: SimTime::ZERO })
    }

    /// `GetObjectPerPodMetricReplicas`: replicas for an Object metric's
    /// `AverageValue`: `ceil(usage / target)`, against `status.replicas`.
    pub fn get_object_per_pod_metric_replicas(
        &self,
        status_replicas: i32,
        target_average_usage: i64,
        key: &ObjectMetricKey,
        tolerances: Tolerances,
        samples: &MetricsSnapshot,
    ) -> Result<UsageReplicas, CalcError> {
        let usage = get_object_metric(samples, key).map_err(|e| {
            CalcError(format!("unable to get metric {}: {} on {} {}", key.metric, e, key.kind, key.name))
        })?;
        let mut replicas = status_replicas;
        let usage_ratio = usage as f64 / (target_average_usage as f64 * f64::from(status_replicas));
        if !tolerances.is_within(usage_ratio) {
            replicas = ceil_to_i32(usage as f64 / target_average_usage as f64);
        }
        let per_pod = (usage as f64 / f64::from(status_replicas)).ceil() as i64;
        Ok(UsageReplicas { replicas, usage: per_pod, timestamp: SimTime::ZERO })
    }

    /// `GetExternalMetricReplicas`: replicas for an External metric's
    /// `Value`: the sum of all series, scaled by the number of ready pods.
    pub fn get_external_metric_replicas(
        &self,
        current_replicas: i32,
        target_usage: i64,
        metric_name: &str,
        tolerances: Tolerances,
        pods: &[Pod],
        samples: &MetricsSnapshot,
    ) -> Result<UsageReplicas, CalcError> {
        let values = get_external_metric(samples, metric_name)
            .map_err(|e| CalcError(format!("unable to get external metric {metric_name}: {e}")))?;
        let mut usage: i64 = 0;
        for &val in values {
            // Cap at MaxInt64 on positive overflow.
            if val > 0 && usage > i64::MAX - val {
                usage = i64::MAX;
                break;
            }
            usage = usage.wrapping_add(val);
        }
        let usage_ratio = usage as f64 / target_usage as f64;
        let replicas = get_usage_ratio_replica_count(current_replicas, usage_ratio, tolerances, pods)?;
        Ok(UsageReplicas { replicas, usage, timestamp: SimTime::ZERO })
    }

    /// `GetExternalPerPodMetricReplicas`: replicas for an External metric's
    /// `AverageValue`: `ceil(sum / target)`, against `status.replicas`.
    pub fn get_external_per_pod_metric_replicas(
        &self,
        status_replicas: i32,
        target_usage_per_pod: i64,
        metric_name: &str,
        tolerances: Tolerances,
        samples: &MetricsSnapshot,
    ) -> Result<UsageReplicas, CalcError> {
        let values = get_external_metric(samples, metric_name)
            .map_err(|e| CalcError(format!("unable to get external metric {metric_name}: {e}")))?;
        let mut usage: i64 = 0;
        for &val in values {
            usage = usage.wrapping_add(val);
            if usage < 0 {
                // Only an int64 overflow gets here.
                usage = i64::MAX;
                break;
            }
        }
        let mut replicas = status_replicas;
        let usage_ratio = usage as f64 / (target_usage_per_pod as f64 * f64::from(status_replicas));
        if !tolerances.is_within(usage_ratio) {
            let result = (usage as f64 / target_usage_per_pod as f64).ceil();
            replicas = if result > f64::from(i32::MAX) { i32::MAX } else { result as i32 };
        }
        let per_pod = if usage as f64 >= i64::MAX as f64 {
            i64::MAX
        } else {
            (usage as f64 / f64::from(status_replicas)).ceil() as i64
        };
        Ok(UsageReplicas { replicas, usage: per_pod, timestamp: SimTime::ZERO })
    }

    /// `groupPods`: classifies pods as ignored (terminating or failed),
    /// unready (pending; for CPU also not ready or still initializing),
    /// missing (no sample) or ready. Readiness matters only for CPU.
    pub fn group_pods(&self, now: SimTime, pods: &[Pod], metrics: &PodMetricsInfo, resource: &str) -> PodGroups {
        let mut groups = PodGroups::default();
        for pod in pods {
            if pod.deleting || pod.phase == PodPhase::Failed {
                groups.ignored.insert(pod.name.clone());
                continue;
            }
            // Pending pods are unready.
            if pod.phase == PodPhase::Pending {
                groups.unready.insert(pod.name.clone());
                continue;
            }
            let Some(metric) = metrics.get(&pod.name) else {
                groups.missing.insert(pod.name.clone());
                continue;
            };
            if resource == RESOURCE_CPU {
                let unready = match (pod.ready, pod.start_time) {
                    (Some(condition), Some(start)) => {
                        if after(start, self.cpu_initialization_period, now) {
                            // Still within the initialization period: ignore
                            // the sample if the pod is unready or no full
                            // window was collected since readiness changed.
                            condition.status == ConditionStatus::False
                                || before(metric.timestamp, condition.last_transition_time, metric.window)
                        } else {
                            // Ignore the sample if the pod is unready and has
                            // never been ready.
                            condition.status == ConditionStatus::False
                                && after(start, self.delay_of_initial_readiness_status, condition.last_transition_time)
                        }
                    }
                    _ => true,
                };
                if unready {
                    groups.unready.insert(pod.name.clone());
                    continue;
                }
            }
            groups.ready_pod_count += 1;
        }
        groups
    }
}

/// `t.Add(d).After(other)`, without overflow.
fn after(t: SimTime, d: SimDuration, other: SimTime) -> bool {
    u128::from(t.as_nanos()) + u128::from(d.as_nanos()) > u128::from(other.as_nanos())
}

/// `ts.Before(base.Add(d))`, without overflow.
fn before(ts: SimTime, base: SimTime, d: SimDuration) -> bool {
    u128::from(ts.as_nanos()) < u128::from(base.as_nanos()) + u128::from(d.as_nanos())
}

/// A filled-in sample (only the value is read).
fn zero_sample(value: i64) -> PodMetric {
    PodMetric { value, timestamp: SimTime::ZERO, window: SimDuration::ZERO }
}

/// `int32(math.Ceil(x))` (saturating where Go's conversion is undefined).
fn ceil_to_i32(x: f64) -> i32 {
    x.ceil() as i32
}

/// `getUsageRatioReplicaCount`: `ceil(ratio × ready pods)` outside the
/// tolerance band; from zero replicas, `ceil(ratio)` with no tolerance.
pub fn get_usage_ratio_replica_count(
    current_replicas: i32,
    usage_ratio: f64,
    tolerances: Tolerances,
    pods: &[Pod],
) -> Result<i32, CalcError> {
    if current_replicas != 0 {
        if tolerances.is_within(usage_ratio) {
            return Ok(current_replicas);
        }
        let ready =
            get_ready_pods_count(pods).map_err(|e| CalcError(format!("unable to calculate ready pods: {e}")))?;
        let f = usage_ratio * ready as f64;
        Ok(if f > f64::from(i32::MAX) { i32::MAX } else { ceil_to_i32(f) })
    } else {
        // Scale to zero or n pods depending on the ratio.
        Ok(ceil_to_i32(usage_ratio))
    }
}

/// `getReadyPodsCount`: pods that are `Running` with `PodReady` true.
pub fn get_ready_pods_count(pods: &[Pod]) -> Result<i64, CalcError> {
    if pods.is_empty() {
        return err("no pods returned by selector while calculating replica count");
    }
    Ok(pods.iter().filter(|p| p.phase == PodPhase::Running && p.is_ready()).count() as i64)
}

/// `calculateRequests`: each pod's request of `resource`: the pod-level
/// request (when the gate is on, it is set and no container is named), else
/// the named container's, else the sum over containers and restartable init
/// containers. A counted container without a request is an error.
pub fn calculate_requests(
    pods: &[Pod],
    container: &str,
    resource: &str,
    pod_level_resources: bool,
) -> Result<BTreeMap<String, i64>, CalcError> {
    let mut requests = BTreeMap::new();
    for pod in pods {
        let use_pod_level = pod_level_resources && pod.pod_requests.is_some() && container.is_empty();
        let request = if use_pod_level {
            calculate_pod_level_requests(pod, resource)?
        } else {
            calculate_pod_requests_from_containers(pod, container, resource)?
        };
        requests.insert(pod.name.clone(), request);
    }
    Ok(requests)
}

/// `calculatePodLevelRequests`.
fn calculate_pod_level_requests(pod: &Pod, resource: &str) -> Result<i64, CalcError> {
    pod.pod_requests
        .as_ref()
        .and_then(|r| r.get(resource).copied())
        .ok_or_else(|| CalcError(format!("missing pod-level request for {resource} in Pod {}", pod.name)))
}

/// `calculatePodRequestsFromContainers`.
pub fn calculate_pod_requests_from_containers(pod: &Pod, container: &str, resource: &str) -> Result<i64, CalcError> {
    let containers = pod.containers.iter().chain(pod.init_containers.iter().filter(|c| c.restart_policy_always));
    let mut request = 0i64;
    for c in containers {
        if container.is_empty() || container == c.name {
            let Some(r) = c.requests.get(resource) else {
                return err(format!("missing request for {resource} in container {} of Pod {}", c.name, pod.name));
            };
            request = request.saturating_add(*r);
        }
        // Container names are unique inside the pod.
        if container == c.name {
            return Ok(request);
        }
    }
    if !container.is_empty() {
        return err(format!("container {container} not found in Pod {}", pod.name));
    }
    Ok(request)
}

/// `removeMetricsForPods`.
pub fn remove_metrics_for_pods(metrics: &mut PodMetricsInfo, pods: &BTreeSet<String>) {
    for pod in pods {
        metrics.remove(pod);
    }
}

#[cfg(test)]
mod tests;
