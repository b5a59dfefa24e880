//! The baseline's symptoms: which resource binds over the ticks that broke
//! the SLO, in the triage tree's vocabulary
//! (`shared/reference/scale-or-optimize.md`, checks 2–4), each with the
//! numbers that decided it.

use serde::Serialize;

use crate::analysis::Context;
use crate::model::outcome::ErrorKind;
use crate::output::TickRow;
use crate::output::summary::{FindingKind, Summary};
use crate::scenario::Scenario;
use crate::scenario::fleet::Capacity;

/// What binds, as the tree names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Class {
    /// Memory grows without levelling off (a leak) or is too small.
    MemoryBound,
    /// Requests wait for or are refused database connections.
    ConnectionBound,
    /// Lock waits (a single writer) or a database past its USL peak.
    ContentionBound,
    /// The database's CPU is saturated.
    DatabaseBound,
    /// The autoscaler wants capacity it cannot get (max, quota, nodes).
    CapacityBound,
    /// The application's CPU is saturated.
    CpuBound,
    /// The policy reacts late or wrongly (metric lag, cold start, flapping).
    ControlBound,
}

impl Class {
    /// Its name, as the outputs write it.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// One symptom and the numbers behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Symptom {
    /// What binds.
    pub class: Class,
    /// The numbers that decided it.
    pub evidence: String,
}

/// The tree's CPU-bound line: CPU above 70% sustained (check 4).
const CPU_BOUND: f64 = 0.7;
/// Database CPU at or above this is saturated (downstream_saturation's 90%).
const DB_BOUND: f64 = 0.9;
/// The write lock at or above this is saturated (write_lock_saturation's).
const LOCK_BOUND: f64 = 0.9;
/// Connection failures above this share of attempts (pool_exhaustion's).
const CONNECTION_ERRORS: f64 = 0.001;

/// Means over the SLO-breaking ticks (all ticks if none broke it).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Signs {
    /// Ticks that broke the SLO, and all ticks.
    pub bad_ticks: usize,
    /// All ticks.
    pub ticks: usize,
    /// App CPU (usage / request).
    pub app_cpu: f64,
    /// Database CPU.
    pub db_util: Option<f64>,
    /// Write lock utilisation: writes/s × mean write time ÷ shards.
    pub lock_util: Option<f64>,
    /// Mean lock wait, ms.
    pub lock_wait_ms: Option<f64>,
    /// Queries running on the database at once.
    pub db_active: Option<f64>,
    /// pool_timeout + db_refused, as a share of finished attempts.
    pub connection_errors: f64,
    /// Share of the bad ticks with instances waiting in Pending.
    pub pending_share: f64,
    /// Share of the bad ticks with the policy at its max replicas.
    pub at_max_share: f64,
    /// The most replicas the policy asked for, over the whole run.
    pub peak_desired: u32,
}

/// Measures the signs over `ticks`.
pub fn signs(s: &Scenario, ticks: &[TickRow]) -> Signs {
    let cx = Context::new(s);
    let bad: Vec<&TickRow> = ticks.iter().filter(|r| cx.slo_bad(r)).collect();
    let rows: Vec<&TickRow> = if bad.is_empty() { ticks.iter().collect() } else { bad.clone() };
    let n = rows.len().max(1) as f64;
    let mean_of = |f: &dyn Fn(&TickRow) -> Option<f64>| -> Option<f64> {
        let v: Vec<f64> = rows.iter().filter_map(|r| f(r)).collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let write_s = cx.write_s.unwrap_or(0.0);
    let shards = f64::from(cx.shards.max(1));
    let (mut conn, mut finished) = (0.0, 0.0);
    for r in &rows {
        conn += r.error(ErrorKind::PoolTimeout) + r.error(ErrorKind::DbRefused);
        finished += r.completed_rps + r.errors.iter().sum::<f64>();
    }
    let max = cx.max_replicas;
    Signs {
        bad_ticks: bad.len(),
        ticks: ticks.len(),
        app_cpu: mean_of(&|r| r.cpu_util_true).unwrap_or(0.0),
        db_util: mean_of(&|r| r.data.db_util),
        lock_util: mean_of(&|r| r.data.db_writes_rps.map(|w| w * write_s / shards)).filter(|_| write_s > 0.0),
        lock_wait_ms: mean_of(&|r| r.data.db_lock_wait_ms),
        db_active: mean_of(&|r| r.data.db_active),
        connection_errors: if finished > 0.0 { conn / finished } else { 0.0 },
        pending_share: rows.iter().filter(|r| r.replicas_pending > 0).count() as f64 / n,
        at_max_share: max.map_or(0.0, |m| rows.iter().filter(|r| r.replicas_desired >= m).count() as f64 / n),
        peak_desired: ticks.iter().map(|r| r.replicas_desired).max().unwrap_or(0),
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The symptoms of a run, the binding one first.
pub fn classify(s: &Scenario, signs: &Signs, summary: &Summary) -> Vec<Symptom> {
    let has = |k: FindingKind| summary.findings.iter().any(|f| f.kind == k);
    let mut out = Vec::new();
    let mut push = |class, evidence: String| out.push(Symptom { class, evidence });
    let over = format!("over {} of {} ticks that broke the SLO", signs.bad_ticks, signs.ticks);
    if let Some(m) = &s.fleet.memory
        && m.leak_per_request > 0
    {
        // Growth per hour: the leak × what one instance completes an hour.
        let instances = summary.cost.mean_replicas.max(1.0);
        let per_hour = m.leak_per_request as f64 * summary.system.throughput_rps / instances * 3600.0;
        let headroom = m.limit.saturating_sub(m.base) as f64;
        let growth = per_hour / (m.base.max(1) as f64);
        if per_hour > 0.0 {
            push(
                Class::MemoryBound,
                format!(
                    "each instance retains {} B a request: about {:.0} MiB an hour ({:.0}% of its base a hour, the tree's leak line is 10%) against {:.0} MiB of headroom to its limit — an OOM kill every {:.0} min; a leak, not sizing",
                    m.leak_per_request,
                    per_hour / 1048576.0,
                    growth * 100.0,
                    headroom / 1048576.0,
                    headroom / per_hour * 60.0
                ),
            );
        }
    }
    if signs.connection_errors > CONNECTION_ERRORS || has(FindingKind::PoolExhaustion) {
        push(
            Class::ConnectionBound,
            format!(
                "{} of attempts failed waiting for or opening a database connection (pool_timeout + db_refused) {over}, with the database's CPU at {}",
                pct_fine(signs.connection_errors),
                signs.db_util.map_or("-".into(), pct)
            ),
        );
    }
    let usl = s.database.as_ref().map(|d| d.usl_peak().min(d.cores as f64)).filter(|n| n.is_finite());
    if signs.lock_util.is_some_and(|u| u >= LOCK_BOUND) || has(FindingKind::WriteLockSaturation) {
        push(
            Class::ContentionBound,
            format!(
                "the write lock is {} busy (writes/s × mean write time ÷ shards) with writes waiting {:.0} ms for it on average {over}, the database's CPU at {}: a single writer, which scaling out does not lift",
                pct(signs.lock_util.unwrap_or(0.0)),
                signs.lock_wait_ms.unwrap_or(0.0),
                signs.db_util.map_or("-".into(), pct)
            ),
        );
    } else if let (Some(peak), Some(active)) = (usl, signs.db_active)
        && (active > 1.5 * peak || has(FindingKind::DownstreamSaturation))
    {
        push(
            Class::ContentionBound,
            format!(
                "{active:.0} queries run on the database at once {over}, past its USL peak n* = {peak:.0}: more concurrency lowers its throughput (database CPU {})",
                signs.db_util.map_or("-".into(), pct)
            ),
        );
    }
    if signs.db_util.is_some_and(|u| u >= DB_BOUND) {
        push(
            Class::DatabaseBound,
            format!("the database's CPU is at {} {over} (saturated at 90%)", pct(signs.db_util.unwrap_or(0.0))),
        );
    } else if has(FindingKind::CacheStampede) {
        push(
            Class::DatabaseBound,
            format!(
                "a cache stampede: concurrent misses of the same keys all went to the database (cache_stampede), the database's CPU at {} {over}",
                signs.db_util.map_or("-".into(), pct)
            ),
        );
    }
    let capacity_ceiling = match s.fleet.capacity {
        Capacity::Unlimited => None,
        ref c => c.ceiling(),
    };
    if signs.pending_share > 0.1 || has(FindingKind::CapacityPending) {
        push(
            Class::CapacityBound,
            format!(
                "instances waited in Pending during {} of the SLO-breaking ticks (schedulable capacity {}): the autoscaler could scale, the cluster could not place them",
                pct(signs.pending_share),
                capacity_ceiling.map_or("unbounded".into(), |c| c.to_string())
            ),
        );
    } else if signs.at_max_share > 0.5 || has(FindingKind::MaxReplicasReached) {
        push(
            Class::CapacityBound,
            format!(
                "the policy was at its max replicas ({}) during {} of the SLO-breaking ticks, app CPU {}",
                Context::new(s).max_replicas.unwrap_or(0),
                pct(signs.at_max_share),
                pct(signs.app_cpu)
            ),
        );
    }
    let cpu = (signs.app_cpu >= CPU_BOUND).then(|| Symptom {
        class: Class::CpuBound,
        evidence: format!("app CPU is at {} {over} (CPU-bound above 70%)", pct(signs.app_cpu)),
    });
    let control: Vec<&str> =
        [FindingKind::MetricLag, FindingKind::ColdStart, FindingKind::Flapping, FindingKind::ScaleInHerd]
            .into_iter()
            .filter(|k| has(*k))
            .map(|k| k.name())
            .collect();
    let control = (!control.is_empty()).then(|| Symptom {
        class: Class::ControlBound,
        evidence: format!(
            "the autoscaler reacted late or wrongly: {} (app CPU {} {over}){}",
            control.join(", "),
            pct(signs.app_cpu),
            match Context::new(s).max_replicas {
                Some(_) if signs.at_max_share <= 0.5 => ", with the policy below its max",
                _ => "",
            }
        ),
    });
    // The tree's check 2: a saturated CPU while the fleet could still grow
    // (below its max, nothing Pending) is the autoscaler's lateness first.
    let could_scale = !out.iter().any(|s| s.class == Class::CapacityBound);
    match (cpu, control) {
        (Some(cpu), Some(control)) if could_scale => out.extend([control, cpu]),
        (cpu, control) => out.extend(cpu.into_iter().chain(control)),
    }
    out
}

fn pct_fine(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}
