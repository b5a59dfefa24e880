//! What the metrics APIs return, and how the controller reads it
//! (mirrors `pkg/controller/podautoscaler/metrics/client.go`:
//! `GetResourceMetric`, `getPodMetrics`, `getContainerMetrics`,
//! `GetRawMetric`, `GetObjectMetric`, `GetExternalMetric`; and
//! `metrics/utilization.go`: `GetResourceUtilizationRatio`,
//! `GetMetricUsageRatio`).
//!
//! The snapshot is what the simulator's metrics pipeline exposes at one sync:
//! already-scraped, possibly stale samples. An empty or absent series is the
//! API returning nothing, which upstream reports as an error.

use std::collections::BTreeMap;

use crate::engine::time::{SimDuration, SimTime};

/// `metricServerDefaultMetricWindow`: the window of custom metrics that do
/// not state one.
pub const DEFAULT_METRIC_WINDOW: SimDuration = SimDuration::from_secs(60);

/// Every metric value the controller may read at one sync.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricsSnapshot {
    /// `metrics.k8s.io` `PodMetricsList`: per-pod, per-container resource
    /// usage (the metrics-server scrape).
    pub resource: Vec<PodResourceMetrics>,
    /// `custom.metrics.k8s.io` per-pod values by metric name (Pods metrics).
    pub pods: BTreeMap<String, Vec<PodMetricValue>>,
    /// `custom.metrics.k8s.io` values describing single objects (Object
    /// metrics).
    pub object: BTreeMap<ObjectMetricKey, i64>,
    /// `external.metrics.k8s.io` series values by metric name, milli-units.
    pub external: BTreeMap<String, Vec<i64>>,
}

/// One pod's entry in a `PodMetricsList`.
#[derive(Clone, Debug, PartialEq)]
pub struct PodResourceMetrics {
    /// Pod name.
    pub pod: String,
    /// End of the sample window.
    pub timestamp: SimTime,
    /// Length of the sample window (metrics-server: the scrape interval).
    pub window: SimDuration,
    /// Per-container usage.
    pub containers: Vec<ContainerMetrics>,
}

impl PodResourceMetrics {
    /// A pod with one container `app` using `milli` of `resource`.
    pub fn single(pod: &str, resource: &str, milli: i64, timestamp: SimTime, window: SimDuration) -> Self {
        PodResourceMetrics {
            pod: pod.to_string(),
            timestamp,
            window,
            containers: vec![ContainerMetrics {
                name: "app".to_string(),
                usage: BTreeMap::from([(resource.to_string(), milli)]),
            }],
        }
    }
}

/// One container's usage, milli-units by resource name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerMetrics {
    /// Container name.
    pub name: String,
    /// Usage by resource.
    pub usage: BTreeMap<String, i64>,
}

/// One pod's value of a custom metric.
#[derive(Clone, Debug, PartialEq)]
pub struct PodMetricValue {
    /// Pod name.
    pub pod: String,
    /// Value, milli-units.
    pub value: i64,
    /// Sample time.
    pub timestamp: SimTime,
    /// Sample window; `None` means the 1-minute default.
    pub window: Option<SimDuration>,
}

/// Identifies an Object metric: the described object's kind and name, and
/// the metric name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectMetricKey {
    /// Described object's kind.
    pub kind: String,
    /// Described object's name.
    pub name: String,
    /// Metric name.
    pub metric: String,
}

/// `metricsclient.PodMetric`: one pod's sample of one metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodMetric {
    /// Value, milli-units.
    pub value: i64,
    /// Sample time.
    pub timestamp: SimTime,
    /// Sample window.
    pub window: SimDuration,
}

/// `metricsclient.PodMetricsInfo`: samples by pod name (ordered, so every
/// sum is computed in the same order on every machine).
pub type PodMetricsInfo = BTreeMap<String, PodMetric>;

/// `GetResourceMetric`: per-pod usage of `resource`, summed over containers
/// (`getPodMetrics`), or of one container (`getContainerMetrics`), and the
/// timestamp of the first item.
pub fn get_resource_metric(
    samples: &[PodResourceMetrics],
    resource: &str,
    container: &str,
) -> Result<(PodMetricsInfo, SimTime), String> {
    let Some(first) = samples.first() else {
        return Err("no metrics returned from resource metrics API".to_string());
    };
    let res = if container.is_empty() {
        get_pod_metrics(samples, resource)
    } else {
        get_container_metrics(samples, resource, container)
            .map_err(|e| format!("failed to get container metrics: {e}"))?
    };
    Ok((res, first.timestamp))
}

/// `getPodMetrics`: a pod missing the resource in any container (or with no
/// containers) is left out, and so counts as "missing".
fn get_pod_metrics(samples: &[PodResourceMetrics], resource: &str) -> PodMetricsInfo {
    let mut res = PodMetricsInfo::new();
    for m in samples {
        let mut sum = 0i64;
        let mut missing = m.containers.is_empty();
        for c in &m.containers {
            match c.usage.get(resource) {
                Some(v) => sum = sum.saturating_add(*v),
                None => {
                    missing = true;
                    break;
                }
            }
        }
        if !missing {
            res.insert(m.pod.clone(), PodMetric { value: sum, timestamp: m.timestamp, window: m.window });
        }
    }
    res
}

/// `getContainerMetrics`: a pod without the named container is an error.
fn get_container_metrics(
    samples: &[PodResourceMetrics],
    resource: &str,
    container: &str,
) -> Result<PodMetricsInfo, String> {
    let mut res = PodMetricsInfo::new();
    for m in samples {
        let Some(c) = m.containers.iter().find(|c| c.name == container) else {
            return Err(format!("container {container} not present in metrics for pod {}", m.pod));
        };
        if let Some(v) = c.usage.get(resource) {
            res.insert(m.pod.clone(), PodMetric { value: *v, timestamp: m.timestamp, window: m.window });
        }
    }
    Ok(res)
}

/// `GetRawMetric`: a custom per-pod metric.
pub fn get_raw_metric(snapshot: &MetricsSnapshot, metric: &str) -> Result<(PodMetricsInfo, SimTime), String> {
    let values = snapshot.pods.get(metric).map(Vec::as_slice).unwrap_or(&[]);
    let Some(first) = values.first() else {
        return Err("no metrics returned from custom metrics API".to_string());
    };
    let mut res = PodMetricsInfo::new();
    for v in values {
        res.insert(
            v.pod.clone(),
            PodMetric { value: v.value, timestamp: v.timestamp, window: v.window.unwrap_or(DEFAULT_METRIC_WINDOW) },
        );
    }
    Ok((res, first.timestamp))
}

/// `GetObjectMetric`: the value describing one object.
pub fn get_object_metric(snapshot: &MetricsSnapshot, key: &ObjectMetricKey) -> Result<i64, String> {
    snapshot.object.get(key).copied().ok_or_else(|| {
        format!(
            "unable to fetch metrics from custom metrics API: the server could not find the metric {} for {} {}",
            key.metric, key.kind, key.name
        )
    })
}

/// `GetExternalMetric`: every series value of the metric.
pub fn get_external_metric<'a>(snapshot: &'a MetricsSnapshot, metric: &str) -> Result<&'a [i64], String> {
    match snapshot.external.get(metric) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err("no metrics returned from external metrics API".to_string()),
    }
}

/// `GetResourceUtilizationRatio`: over pods with both a sample and a request,
/// utilization = `(Σusage × 100) / Σrequest` in integer arithmetic
/// (truncated), ratio = utilization / target; also returns the raw average
/// usage `Σusage / count`.
pub fn get_resource_utilization_ratio(
    metrics: &PodMetricsInfo,
    requests: &BTreeMap<String, i64>,
    target_utilization: i32,
) -> Result<(f64, i32, i64), String> {
    let mut metrics_total: i128 = 0;
    let mut requests_total: i128 = 0;
    let mut num_entries: i128 = 0;
    for (pod, metric) in metrics {
        let Some(request) = requests.get(pod) else {
            // Missing requests are checked elsewhere: extraneous metrics.
            continue;
        };
        metrics_total += i128::from(metric.value);
        requests_total += i128::from(*request);
        num_entries += 1;
    }
    if requests_total == 0 {
        return Err("no metrics returned matched known pods".to_string());
    }
    // Go: int32((metricsTotal * 100) / requestsTotal).
    let current_utilization = ((metrics_total * 100) / requests_total) as i32;
    let raw_average = (metrics_total / num_entries) as i64;
    Ok((f64::from(current_utilization) / f64::from(target_utilization), current_utilization, raw_average))
}

/// `GetMetricUsageRatio`: usage = `Σvalue / count` (integer), ratio =
/// usage / target.
pub fn get_metric_usage_ratio(metrics: &PodMetricsInfo, target_usage: i64) -> (f64, i64) {
    let total: i128 = metrics.values().map(|m| i128::from(m.value)).sum();
    let count = metrics.len().max(1) as i128;
    let usage = (total / count) as i64;
    (usage as f64 / target_usage as f64, usage)
}
