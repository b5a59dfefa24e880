//! The metrics pipeline: what the autoscaler sees is sampled every
//! `scrape_interval`, averaged over `window`, and visible only `delay` after
//! it was taken.
//!
//! Counters (CPU time, completed requests) are turned into rates the way
//! Prometheus' `rate()` and metrics-server do: the difference between the
//! newest visible scrape and the oldest one within the window, over the time
//! between them. At least two scrapes are needed, so a new instance is
//! *missing* for a while, as a new pod is in Kubernetes. Gauges (in-flight,
//! queue) are averaged over the scrapes in the window.

use std::collections::VecDeque;

use hdrhistogram::Histogram;

use super::instance::{Instance, Scrape};
use crate::engine::time::{SimDuration, SimTime};

/// The validated `[metrics]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsSpec {
    /// Time between samples.
    pub scrape_interval: SimDuration,
    /// Averaging window.
    pub window: SimDuration,
    /// Visibility delay.
    pub delay: SimDuration,
}

impl Default for MetricsSpec {
    fn default() -> Self {
        MetricsSpec {
            scrape_interval: SimDuration::from_secs(15),
            window: SimDuration::from_secs(60),
            delay: SimDuration::from_secs(15),
        }
    }
}

/// A per-pod metric sample as the pipeline delivers it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricSample {
    /// The averaged value.
    pub value: f64,
    /// When the newest underlying scrape was taken.
    pub timestamp: SimTime,
    /// The span the average covers.
    pub window: SimDuration,
}

/// A fleet-wide scrape (balancer-side figures).
#[derive(Clone, Debug)]
pub struct FleetScrape {
    /// When.
    pub at: SimTime,
    /// Requests waiting (balancer hold queue plus instance accept queues).
    pub queue: f64,
    /// Cumulative attempts offered at the balancer.
    pub offered: u64,
    /// Latencies (µs) of responses since the previous scrape.
    pub latency: Histogram<u64>,
}

/// The scrapes the autoscaler may use at `now`: the newest one taken at
/// least `delay` ago, and everything back to `window` before it.
fn visible<T>(
    scrapes: &VecDeque<T>,
    at: impl Fn(&T) -> SimTime,
    now: SimTime,
    spec: &MetricsSpec,
) -> Option<(usize, usize)> {
    let horizon = now.as_nanos().checked_sub(spec.delay.as_nanos())?;
    let newest = scrapes.iter().rposition(|s| at(s).as_nanos() <= horizon)?;
    let start = at(&scrapes[newest]).as_nanos().saturating_sub(spec.window.as_nanos());
    let oldest = scrapes.iter().position(|s| at(s).as_nanos() >= start)?;
    Some((oldest, newest))
}

/// A counter's rate over the visible window, as a sample.
fn rate(
    scrapes: &VecDeque<Scrape>,
    now: SimTime,
    spec: &MetricsSpec,
    counter: impl Fn(&Scrape) -> f64,
) -> Option<MetricSample> {
    let (a, b) = visible(scrapes, |s| s.at, now, spec)?;
    if a == b {
        return None;
    }
    let (first, last) = (&scrapes[a], &scrapes[b]);
    let dt = last.at - first.at;
    Some(MetricSample { value: (counter(last) - counter(first)) / dt.as_secs_f64(), timestamp: last.at, window: dt })
}

/// A gauge's mean over the visible window (needs two scrapes, like a rate,
/// so every per-pod metric appears at the same moment).
fn mean(
    scrapes: &VecDeque<Scrape>,
    now: SimTime,
    spec: &MetricsSpec,
    gauge: impl Fn(&Scrape) -> f64,
) -> Option<MetricSample> {
    let (a, b) = visible(scrapes, |s| s.at, now, spec)?;
    if a == b {
        return None;
    }
    let n = (b - a + 1) as f64;
    let sum: f64 = scrapes.range(a..=b).map(gauge).sum();
    Some(MetricSample { value: sum / n, timestamp: scrapes[b].at, window: scrapes[b].at - scrapes[a].at })
}

/// What the pipeline shows of one instance at `now`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PodMetrics {
    /// CPU usage, millicores.
    pub cpu_milli: Option<MetricSample>,
    /// Completed requests per second.
    pub rps: Option<MetricSample>,
    /// Requests in flight.
    pub in_flight: Option<MetricSample>,
}

/// The per-pod metrics of `inst` as visible at `now`.
pub fn pod_metrics(inst: &Instance, now: SimTime, spec: &MetricsSpec) -> PodMetrics {
    let s = &inst.scrapes;
    PodMetrics {
        // busy core-ns per ns = cores in use; × 1000 = millicores.
        cpu_milli: rate(s, now, spec, |x| x.busy_core_ns / 1e9).map(|m| MetricSample { value: m.value * 1000.0, ..m }),
        rps: rate(s, now, spec, |x| x.completed as f64),
        in_flight: mean(s, now, spec, |x| x.in_flight as f64),
    }
}

/// Fleet-wide figures as visible at `now`: (queue, offered rps, p95 ms).
pub fn fleet_figures(
    scrapes: &VecDeque<FleetScrape>,
    now: SimTime,
    spec: &MetricsSpec,
) -> (Option<f64>, Option<f64>, Option<f64>) {
    let Some((a, b)) = visible(scrapes, |s| s.at, now, spec) else {
        return (None, None, None);
    };
    let window = scrapes.range(a..=b);
    let queue = window.clone().map(|s| s.queue).sum::<f64>() / (b - a + 1) as f64;
    let offered = (a != b).then(|| {
        let dt = (scrapes[b].at - scrapes[a].at).as_secs_f64();
        (scrapes[b].offered - scrapes[a].offered) as f64 / dt
    });
    // The latencies recorded after the oldest scrape, up to the newest.
    let mut merged: Option<Histogram<u64>> = None;
    for s in scrapes.range(a + 1..=b) {
        match &mut merged {
            None => merged = Some(s.latency.clone()),
            Some(m) => {
                let _ = m.add(&s.latency);
            }
        }
    }
    let p95 = merged.filter(|h| !h.is_empty()).map(|h| h.value_at_quantile(0.95) as f64 / 1000.0);
    (Some(queue), offered, p95)
}

/// How far back scrapes must be kept.
pub fn retention(spec: &MetricsSpec) -> SimDuration {
    spec.window + spec.delay + spec.scrape_interval
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> MetricsSpec {
        MetricsSpec {
            scrape_interval: SimDuration::from_secs(15),
            window: SimDuration::from_secs(30),
            delay: SimDuration::from_secs(15),
        }
    }

    fn scrapes(n: u64, cores_busy: f64) -> VecDeque<Scrape> {
        (0..n)
            .map(|i| Scrape {
                at: SimTime::from_nanos(i * 15_000_000_000),
                busy_core_ns: cores_busy * (i * 15) as f64 * 1e9,
                completed: i * 150,
                in_flight: i as u32,
            })
            .collect()
    }

    #[test]
    fn rates_use_the_window_behind_the_delay() {
        let mut inst = Instance::new(crate::model::instance::InstanceId::new(0), 0, 2, SimTime::ZERO);
        inst.scrapes = scrapes(5, 1.5); // scrapes at 0, 15, 30, 45, 60 s
        // At 60 s with a 15 s delay the newest visible scrape is at 45 s; the
        // 30 s window reaches back to 15 s.
        let m = pod_metrics(&inst, SimTime::from_secs(60), &spec());
        let cpu = m.cpu_milli.unwrap();
        assert!((cpu.value - 1500.0).abs() < 1e-9);
        assert_eq!(cpu.timestamp, SimTime::from_secs(45));
        assert_eq!(cpu.window, SimDuration::from_secs(30));
        assert!((m.rps.unwrap().value - 10.0).abs() < 1e-9);
        // In flight: mean of 1, 2, 3.
        assert!((m.in_flight.unwrap().value - 2.0).abs() < 1e-9);
    }

    #[test]
    fn a_new_instance_is_missing_until_two_scrapes_are_visible() {
        let mut inst = Instance::new(crate::model::instance::InstanceId::new(0), 0, 2, SimTime::ZERO);
        inst.scrapes = scrapes(2, 1.0); // at 0 and 15 s
        assert_eq!(pod_metrics(&inst, SimTime::from_secs(20), &spec()).cpu_milli, None);
        assert!(pod_metrics(&inst, SimTime::from_secs(30), &spec()).cpu_milli.is_some());
    }
}
