//! Failure-mode detectors: they watch a run's time series and events as
//! they are produced and name what went wrong — flapping, metric lag, cold
//! starts, downstream saturation, pool exhaustion, scale-in herds, cache
//! stampedes, retry storms, capacity stuck Pending, a saturated write lock, a
//! fleet pinned at its max replicas — with when, how bad, the
//! numbers that show it, and the fix (DESIGN.md §3).
//!
//! Each detector is a small state machine over ticks: O(1) memory and O(1)
//! work per tick, deterministic. A finding is logged to `events.csv` when it
//! is confirmed (so a dashboard shows it live) and reported in full in the
//! summary when its episode ends, worst first.

pub mod advisor;
mod cache_stampede;
mod capacity_pending;
mod cold_start;
mod downstream;
pub mod elasticity;
mod episode;
mod flapping;
mod max_replicas;
mod metric_lag;
mod pool_exhaustion;
mod retry_storm;
mod scale_in_herd;
mod write_lock;

use crate::model::outcome::ErrorKind;
use crate::output::summary::{Finding, FindingKind};
use crate::output::{EventRow, TickRow};
use crate::policy::PolicyConfig;
use crate::scenario::Scenario;
use crate::scenario::analysis::AnalysisSpec;

/// What the detectors know of the scenario.
#[derive(Clone, Debug)]
pub struct Context {
    /// Thresholds.
    pub spec: AnalysisSpec,
    /// The SLO's latency bound, ms.
    pub slo_p99_ms: f64,
    /// The SLO's availability target.
    pub availability: f64,
    /// Connections per instance pool, if there is a database.
    pub pool_size: Option<u32>,
    /// Connections the application may open, if there is a database.
    pub usable_connections: Option<u32>,
    /// The database's ceiling.
    pub max_connections: Option<u32>,
    /// The database's USL peak concurrency n*.
    pub usl_peak: Option<f64>,
    /// Whether a pooler stands between pools and database.
    pub pooler: bool,
    /// Mean write demand, seconds: how long each write holds the lock.
    pub write_s: Option<f64>,
    /// Primaries, each with its own write lock.
    pub shards: u32,
    /// The autoscaler's upper bound, if the fleet is autoscaled.
    pub max_replicas: Option<u32>,
    /// The most instances that can ever be scheduled, if bounded.
    pub capacity_ceiling: Option<u32>,
}

impl Context {
    /// The context of a scenario.
    pub fn new(s: &Scenario) -> Context {
        Context {
            spec: s.analysis.clone(),
            slo_p99_ms: s.slo.p99.as_millis_f64(),
            availability: s.slo.availability,
            pool_size: s.pool.as_ref().map(|p| p.size),
            usable_connections: s.database.as_ref().map(|d| d.usable_connections()),
            max_connections: s.database.as_ref().map(|d| d.max_connections),
            usl_peak: s.database.as_ref().map(|d| d.usl_peak()).filter(|n| n.is_finite()),
            pooler: s.pooler.is_some(),
            write_s: s.database.as_ref().map(|d| d.write.mean().as_secs_f64()),
            shards: s.database.as_ref().map_or(1, |d| d.shards),
            max_replicas: match s.autoscaler.config {
                PolicyConfig::Fixed(_) => None,
                ref c => Some(c.bounds().1),
            },
            capacity_ceiling: s.fleet.capacity.ceiling(),
        }
    }

    /// Whether the tick broke the SLO: p99 over the bound, or more failed
    /// attempts than the availability target allows.
    pub fn slo_bad(&self, row: &TickRow) -> bool {
        let errors: f64 = row.errors.iter().sum();
        let finished = errors + row.completed_rps;
        row.p99_ms.is_some_and(|p| p > self.slo_p99_ms) || (errors > 0.0 && errors / finished > 1.0 - self.availability)
    }
}

/// A detector.
pub trait Detector: Send {
    /// Its kind, as in DESIGN.md §3.
    fn kind(&self) -> FindingKind;
    /// One tick of `dt` seconds. Findings confirmed by it go to `confirmed`
    /// (logged now); findings whose episode ended go to `done`.
    fn tick(&mut self, row: &TickRow, dt: f64, cx: &Context, confirmed: &mut Vec<Finding>, done: &mut Vec<Finding>);
    /// An event (faults and scaling decisions give context).
    fn event(&mut self, _row: &EventRow) {}
    /// The run ended at `end_s`: report an episode still open.
    fn finish(&mut self, end_s: f64, cx: &Context, done: &mut Vec<Finding>);
}

/// All the detectors of a run.
pub struct Analysis {
    cx: Context,
    detectors: Vec<Box<dyn Detector>>,
    findings: Vec<Finding>,
    last_t: Option<f64>,
    /// When each kind was last confirmed (a recurrence is not logged again).
    last_confirmed: Vec<(FindingKind, f64)>,
    /// The elasticity scorecard, fed the same rows.
    elasticity: elasticity::Tracker,
}

/// Episodes of one kind closer than this are one recurring finding.
const RECUR_GAP: f64 = 300.0;

impl Analysis {
    /// The detectors of `s`, less those its `[analysis]` disables.
    pub fn new(s: &Scenario) -> Analysis {
        let cx = Context::new(s);
        let all: Vec<Box<dyn Detector>> = vec![
            Box::new(flapping::Flapping::default()),
            Box::new(metric_lag::MetricLag::default()),
            Box::new(cold_start::ColdStart::default()),
            Box::new(downstream::DownstreamSaturation::default()),
            Box::new(pool_exhaustion::PoolExhaustion::default()),
            Box::new(scale_in_herd::ScaleInHerd::default()),
            Box::new(cache_stampede::CacheStampede::default()),
            Box::new(retry_storm::RetryStorm::default()),
            Box::new(capacity_pending::CapacityPending::default()),
            Box::new(write_lock::WriteLockSaturation::default()),
            Box::new(max_replicas::MaxReplicasReached::default()),
        ];
        let detectors = all.into_iter().filter(|d| !cx.spec.disable.contains(&d.kind())).collect();
        let elasticity = elasticity::Tracker::new(s);
        Analysis { cx, detectors, findings: Vec::new(), last_t: None, last_confirmed: Vec::new(), elasticity }
    }

    /// Feeds a tick; returns the findings confirmed by it (to log now).
    pub fn tick(&mut self, row: &TickRow, tick_s: f64) -> Vec<Finding> {
        let dt = self.last_t.map_or(tick_s, |t| (row.t_s - t).max(1e-9));
        self.last_t = Some(row.t_s);
        self.elasticity.tick(row, dt);
        let mut confirmed = Vec::new();
        for d in &mut self.detectors {
            d.tick(row, dt, &self.cx, &mut confirmed, &mut self.findings);
        }
        confirmed.retain(|f| match self.last_confirmed.iter_mut().find(|(k, _)| *k == f.kind) {
            Some((_, at)) => {
                let recurrence = f.start_s - *at < RECUR_GAP;
                *at = f.end_s;
                !recurrence
            }
            None => {
                self.last_confirmed.push((f.kind, f.end_s));
                true
            }
        });
        confirmed
    }

    /// Feeds an event.
    pub fn event(&mut self, row: &EventRow) {
        for d in &mut self.detectors {
            d.event(row);
        }
    }

    /// Demand over a tick, instances ([`elasticity::Tracker::demand`]).
    pub fn demand(&self, t_s: f64, tick_s: f64, multiplier: f64, measured_rps: f64) -> Option<u32> {
        self.elasticity.demand(t_s, tick_s, multiplier, measured_rps)
    }

    /// The elasticity scorecard of the rows so far.
    pub fn elasticity(&self) -> Option<elasticity::Elasticity> {
        self.elasticity.finish()
    }

    /// Every finding of the run, worst first (ties by start, then kind's name).
    pub fn finish(&mut self, end_s: f64) -> Vec<Finding> {
        for d in &mut self.detectors {
            d.finish(end_s, &self.cx, &mut self.findings);
        }
        let mut all = merge_recurrences(std::mem::take(&mut self.findings));
        all.sort_by(|a, b| {
            b.severity
                .total_cmp(&a.severity)
                .then(a.start_s.total_cmp(&b.start_s))
                .then(a.kind.name().cmp(b.kind.name()))
        });
        all
    }
}

/// Joins episodes of one kind less than [`RECUR_GAP`] apart into one
/// finding: the worst episode's evidence, the whole span, and how often.
fn merge_recurrences(mut findings: Vec<Finding>) -> Vec<Finding> {
    // By name, as the outputs have always been ordered.
    findings.sort_by(|a, b| a.kind.name().cmp(b.kind.name()).then(a.start_s.total_cmp(&b.start_s)));
    let mut out: Vec<(Finding, Finding, usize)> = Vec::new();
    for f in findings {
        match out.last_mut() {
            Some((merged, worst, n)) if merged.kind == f.kind && f.start_s - merged.end_s < RECUR_GAP => {
                merged.end_s = merged.end_s.max(f.end_s);
                merged.severity = merged.severity.max(f.severity);
                if f.severity > worst.severity {
                    *worst = f;
                }
                *n += 1;
            }
            _ => out.push((f.clone(), f, 1)),
        }
    }
    out.into_iter()
        .map(|(mut merged, worst, n)| {
            merged.evidence = if n == 1 {
                worst.evidence
            } else {
                format!(
                    "recurring: {n} episodes between {:.0} and {:.0} s; the worst: {}",
                    merged.start_s, merged.end_s, worst.evidence
                )
            };
            merged
        })
        .collect()
}

/// Failed attempts per second in the tick, of these kinds.
fn errors(row: &TickRow, kinds: &[ErrorKind]) -> f64 {
    kinds.iter().map(|k| row.error(*k)).sum()
}

/// `x` as a percentage.
fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// A severity in 0..1 from how long it lasted (saturating at 10 minutes)
/// and how intense it was (0..1, the detector's own measure): half each.
fn severity(seconds: f64, intensity: f64) -> f64 {
    (0.5 * (seconds / 600.0).min(1.0) + 0.5 * intensity.clamp(0.0, 1.0)).clamp(0.01, 1.0)
}
