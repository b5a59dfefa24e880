//! `summary.json` and the printed summary: totals, latency, the SLO, cost,
//! scaling activity and findings. Everything here is a pure function of the
//! run, so it is byte-identical for the same scenario and seed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// Request counts. An *attempt* is one try; a *request* is what a client
/// wanted, over all its attempts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Requests {
    /// Requests the traffic generated (first attempts).
    pub arrivals: u64,
    /// Attempts, including retries.
    pub attempts: u64,
    /// Retry attempts.
    pub retries: u64,
    /// Successful attempts.
    pub completed: u64,
    /// Requests that eventually succeeded.
    pub succeeded: u64,
    /// Requests that failed on their last attempt.
    pub failed: u64,
    /// Failed attempts by kind (every kind listed).
    pub errors: BTreeMap<String, u64>,
    /// Requests still in flight when the run ended.
    pub in_flight_at_end: u64,
}

/// Latency of successful attempts, milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Mean.
    pub mean: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
}

/// How the run did against its objective.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SloReport {
    /// The latency bound, ms.
    pub p99_target_ms: f64,
    /// The availability target.
    pub availability_target: f64,
    /// Requests that succeeded / requests that finished.
    pub availability: Option<f64>,
    /// Whether both the p99 and the availability targets were met overall.
    pub met: bool,
    /// Share of SLO windows in which both targets held.
    pub attainment: Option<f64>,
    /// Windows judged.
    pub windows: u64,
    /// Windows in which both targets held.
    pub windows_met: u64,
    /// Failed requests / the failures the availability target allows
    /// (1.0 = the whole error budget; `null` if the target allows none).
    pub error_budget_burn: Option<f64>,
}

/// The system as a queue: the balancer's in-flight set, from admission to
/// the response or the error (Little's law: L = λW).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct System {
    /// Time-average attempts in flight (L).
    pub mean_in_flight: f64,
    /// Attempts leaving per second (λ).
    pub throughput_rps: f64,
    /// Mean time from admission to leaving, ms (W).
    pub mean_time_in_system_ms: Option<f64>,
    /// Mean wait in an instance's accept queue for a worker, ms.
    pub mean_queue_wait_ms: Option<f64>,
}

/// The data tier over the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    /// Read queries completed.
    pub db_reads: u64,
    /// Write queries completed.
    pub db_writes: u64,
    /// Mean database CPU utilization.
    pub db_util_mean: Option<f64>,
    /// Highest per-tick database CPU utilization.
    pub db_util_peak: f64,
    /// Connections admitted.
    pub db_connects: u64,
    /// Connections refused.
    pub db_refused_connects: u64,
    /// Most connections open at a tick.
    pub db_peak_connections: u32,
    /// The ceiling.
    pub db_max_connections: u32,
    /// Mean wait for the write lock, ms.
    pub lock_wait_mean_ms: Option<f64>,
    /// 99th percentile pool acquire wait, ms.
    pub pool_wait_p99_ms: Option<f64>,
    /// Reads served by a cache / reads that consulted one.
    pub cache_hit_ratio: Option<f64>,
    /// Database reads of a key while another read of it was in flight.
    pub cache_duplicate_reads: Option<u64>,
    /// The most any read replica lagged at a tick, ms.
    pub replication_lag_peak_ms: Option<f64>,
    /// Each database: a shard's primary or a read replica. (The totals
    /// above sum over them; `db_util_*` are the busiest one's.)
    pub databases: Vec<DatabaseSummary>,
}

/// One database over the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DatabaseSummary {
    /// `primary`, `replica-1`, `shard-0`, `shard-0/replica-1`.
    pub name: String,
    /// `primary` or `replica`.
    pub role: String,
    /// Its instance type at the end, if typed.
    pub instance_type: Option<String>,
    /// Its cores at the end.
    pub cores: f64,
    /// Its capacity at the end, ACU, if serverless.
    pub acu: Option<f64>,
    /// Reads completed.
    pub reads: u64,
    /// Writes completed.
    pub writes: u64,
    /// Mean CPU utilization.
    pub util_mean: Option<f64>,
    /// Highest per-tick CPU utilization.
    pub util_peak: f64,
    /// Most connections open at a tick.
    pub peak_connections: u32,
    /// Its connection ceiling at the end.
    pub max_connections: u32,
    /// Connections it refused.
    pub refused_connects: u64,
    /// The most it lagged at a tick, ms (replicas).
    pub replication_lag_peak_ms: Option<f64>,
    /// Time out of the read rotation, s (replicas).
    pub out_of_rotation_s: Option<f64>,
}

/// What the run cost: instance-hours × price, per tier. An app instance
/// is paid from provisioning to the end of draining; databases, replicas,
/// the pooler and the cache for the whole run (at their size of the moment).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// Instance-hours of app instances holding capacity (provisioning to draining).
    pub replica_hours: f64,
    /// Most instances holding capacity at once.
    pub peak_replicas: u32,
    /// Mean instances holding capacity.
    pub mean_replicas: f64,
    /// The prices' currency.
    pub currency: String,
    /// Everything.
    pub total: f64,
    /// App instances.
    pub app: f64,
    /// Database primaries (every shard).
    pub database: f64,
    /// Read replicas.
    pub read_replicas: f64,
    /// The pooler's host.
    pub pooler: f64,
    /// The shared cache.
    pub cache: f64,
    /// Total over the run's hours.
    pub mean_per_hour: f64,
    /// The highest cost rate.
    pub peak_per_hour: f64,
}

/// What the autoscaler did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    /// The policy.
    pub policy: String,
    /// Changes of the desired replica count.
    pub scale_events: u64,
    /// Of which up.
    pub scale_ups: u64,
    /// Of which down.
    pub scale_downs: u64,
    /// Changes of direction (up after down or down after up).
    pub reversals: u64,
}

/// A failure mode of DESIGN.md §3: what a finding is about, and what
/// `[analysis] disable` names. Written in snake case (`scale_in_herd`) in
/// every output; listed once, here.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumIter,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FindingKind {
    /// The desired count reverses too often.
    Flapping,
    /// The policy acts on a metric far behind the truth.
    MetricLag,
    /// New instances serve before they are warm.
    ColdStart,
    /// The database, not the app, is the bottleneck.
    DownstreamSaturation,
    /// Requests wait for (or are refused) database connections.
    PoolExhaustion,
    /// A scale-in hurts what follows it.
    ScaleInHerd,
    /// Many readers miss the same key at once.
    CacheStampede,
    /// Retries multiply the offered load.
    RetryStorm,
    /// Instances wait for capacity that does not come.
    CapacityPending,
    /// The single writer's lock is saturated and writes queue for it.
    WriteLockSaturation,
    /// The policy is pinned at its max replicas while the SLO is broken.
    MaxReplicasReached,
}

impl FindingKind {
    /// Its name, as the outputs write it.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// A detected failure mode (filled by the analysis).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Which failure mode.
    pub kind: FindingKind,
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds.
    pub end_s: f64,
    /// How bad, 0..1.
    pub severity: f64,
    /// The numbers that triggered it.
    pub evidence: String,
    /// What fixes it.
    pub fix: String,
}

/// The SPEC RG elasticity metrics of one run (computed by
/// `analysis::elasticity`). Accuracies are in instances,
/// relative accuracies, timeshares and instability are fractions (0.05 =
/// 5%), jitter is in adaptations per minute.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// Under-provisioning accuracy θ_U: mean instances missing.
    pub theta_u: f64,
    /// Over-provisioning accuracy θ_O: mean instances in surplus.
    pub theta_o: f64,
    /// Relative under-provisioning accuracy θ_U%: mean share of demand
    /// missing (ticks of zero demand skipped).
    pub theta_u_rel: f64,
    /// Relative over-provisioning accuracy θ_O%: mean surplus as a share of
    /// demand (ticks of zero demand skipped).
    pub theta_o_rel: f64,
    /// Under-provisioning timeshare τ_U: share of time short of demand.
    pub tau_u: f64,
    /// Over-provisioning timeshare τ_O: share of time above demand.
    pub tau_o: f64,
    /// Instability υ: share of time supply moves against (or without)
    /// demand.
    pub instability: f64,
    /// Jitter j, adaptations per minute: > 0 the autoscaler oscillates more
    /// than demand, < 0 it ignores changes.
    pub jitter_per_min: f64,
    /// Supply adaptations (instances added or removed).
    pub supply_adaptations: u64,
    /// Demand adaptations.
    pub demand_adaptations: u64,
}

/// The scorecard of a run, with the capacity its demand came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Elasticity {
    /// Requests/s one instance serves within the SLO (the demand's unit).
    pub capacity_rps: f64,
    /// Servers of one instance in the queueing model, `min(cores, workers)`.
    pub servers: u32,
    /// The metrics.
    #[serde(flatten)]
    pub score: Scorecard,
}

/// The summary of one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The scenario's name.
    pub scenario: String,
    /// A digest of the scenario and its traces (hex).
    pub scenario_hash: String,
    /// The seed.
    pub seed: u64,
    /// scalesim's version.
    pub version: String,
    /// Simulated seconds.
    pub duration_s: f64,
    /// Request counts.
    pub requests: Requests,
    /// Latency, ms.
    pub latency_ms: Latency,
    /// Against the objective.
    pub slo: SloReport,
    /// The system as a queue.
    pub system: System,
    /// The data tier, if the scenario has one.
    pub data: Option<DataSummary>,
    /// Cost.
    pub cost: Cost,
    /// Scaling activity.
    pub scaling: Scaling,
    /// The SPEC RG elasticity scorecard (`analysis::elasticity`); `None` if
    /// one instance cannot meet the p99 SLO at any load.
    #[serde(default)]
    pub elasticity: Option<Elasticity>,
    /// Findings, worst first.
    pub findings: Vec<Finding>,
}

fn ms(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:.1} ms"))
}

fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{:.3}%", v * 100.0))
}

impl Summary {
    /// The short human summary printed after a run.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let r = &self.requests;
        let _ = writeln!(s, "scenario {} (seed {}, {:.0} s simulated)", self.scenario, self.seed, self.duration_s);
        let _ = writeln!(
            s,
            "  requests   {} arrived, {} succeeded, {} failed; {} attempts ({} retries)",
            r.arrivals, r.succeeded, r.failed, r.attempts, r.retries
        );
        let errors: Vec<String> = r.errors.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(s, "  errors     {}", if errors.is_empty() { "none".to_string() } else { errors.join(", ") });
        let l = &self.latency_ms;
        let _ = writeln!(s, "  latency    p50 {}, p95 {}, p99 {}, max {}", ms(l.p50), ms(l.p95), ms(l.p99), ms(l.max));
        let o = &self.slo;
        // Two SLOs, named apart: the run-wide one (`met`: the whole run's
        // p99 and availability against their targets) and the windowed one
        // (`attainment`: the share of SLO windows in which both held).
        let _ = writeln!(
            s,
            "  slo        run-wide {} (p99 {} vs target {:.0} ms, availability {} vs target {:.3}%); windowed: {}/{} windows met both ({} attainment), error budget burn {}",
            if o.met { "met" } else { "MISSED" },
            ms(l.p99),
            o.p99_target_ms,
            pct(o.availability),
            o.availability_target * 100.0,
            o.windows_met,
            o.windows,
            pct(o.attainment),
            o.error_budget_burn.map_or("-".into(), |b| format!("{b:.2}×")),
        );
        let c = &self.cost;
        let tiers: Vec<String> = [
            ("app", c.app),
            ("database", c.database),
            ("read replicas", c.read_replicas),
            ("pooler", c.pooler),
            ("cache", c.cache),
        ]
        .iter()
        .filter(|(_, x)| *x > 0.0)
        .map(|(name, x)| format!("{name} {x:.2}"))
        .collect();
        let _ = writeln!(
            s,
            "  cost       {} {:.2} ({}); {:.2}/h mean, {:.2}/h peak; {:.2} replica-hours (mean {:.1}, peak {})",
            c.currency,
            c.total,
            if tiers.is_empty() { "nothing priced".to_string() } else { tiers.join(", ") },
            c.mean_per_hour,
            c.peak_per_hour,
            c.replica_hours,
            c.mean_replicas,
            c.peak_replicas
        );
        let g = &self.scaling;
        let _ = writeln!(
            s,
            "  scaling    {}: {} scale events ({} up, {} down), {} reversals",
            g.policy, g.scale_events, g.scale_ups, g.scale_downs, g.reversals
        );
        match &self.elasticity {
            Some(e) => {
                let x = &e.score;
                let _ = writeln!(
                    s,
                    "  elasticity θ_U {:.2} / θ_O {:.2} instances (θ_U% {:.1}%, θ_O% {:.1}%), τ_U {:.1}%, τ_O {:.1}%, instability {:.1}%, jitter {:+.2}/min",
                    x.theta_u,
                    x.theta_o,
                    x.theta_u_rel * 100.0,
                    x.theta_o_rel * 100.0,
                    x.tau_u * 100.0,
                    x.tau_o * 100.0,
                    x.instability * 100.0,
                    x.jitter_per_min
                );
                let _ = writeln!(
                    s,
                    "             demand ⌈load / {:.1} rps⌉ (one instance's rate within the {:.0} ms p99, M/M/{} model), supply ready + warming",
                    e.capacity_rps, o.p99_target_ms, e.servers
                );
            }
            None => {
                let _ = writeln!(s, "  elasticity not scored: one instance's model misses the p99 target even idle");
            }
        }
        if self.findings.is_empty() {
            let _ = writeln!(s, "  findings   none");
        } else {
            // One entry a kind, in the findings' order (worst first), so a
            // long run's dozen episodes of one mode read as one line with
            // the worst of them; summary.json and events.csv keep them all.
            let _ = writeln!(s, "  findings");
            let mut kinds: Vec<FindingKind> = Vec::new();
            for f in &self.findings {
                if !kinds.contains(&f.kind) {
                    kinds.push(f.kind);
                }
            }
            for kind in kinds {
                let episodes: Vec<&Finding> = self.findings.iter().filter(|f| f.kind == kind).collect();
                let worst = episodes[0];
                let place = format!("{:.0}s–{:.0}s, severity {:.2}", worst.start_s, worst.end_s, worst.severity);
                if episodes.len() == 1 {
                    let _ = writeln!(s, "    {kind} [{place}]: {}", worst.evidence);
                } else {
                    let first = episodes.iter().map(|f| f.start_s).fold(f64::INFINITY, f64::min);
                    let last = episodes.iter().map(|f| f.end_s).fold(0.0, f64::max);
                    let _ = writeln!(
                        s,
                        "    {kind} in {} spans from {first:.0}s to {last:.0}s; the worst [{place}]: {}",
                        episodes.len(),
                        worst.evidence
                    );
                }
                let _ = writeln!(s, "      fix: {}", worst.fix);
            }
        }
        s
    }
}
