//! `scalesim diagnose`: scale up, scale out, or optimize first? It walks
//! the SRE's triage tree (`shared/reference/scale-or-optimize.md`) on a
//! simulated run, and, unlike a person, *runs* each branch.
//!
//! 1. The baseline runs; its SLO-breaking ticks say which resource binds
//!    (`symptoms`), with the numbers that decided it.
//! 2. From the symptoms come counterfactuals (`variants`), each a list of
//!    `--set` overrides, run in parallel on a rayon pool at the scenario's
//!    seed: the same traffic, so the differences are the change's alone.
//!    Each run is single-threaded and results are collected in variant
//!    order, so the outputs are byte-identical for any `--jobs`.
//! 3. A ranked table and one verdict in the tree's words. Where production
//!    is impacted (the tree's first check: errors over 1%, p95 over the
//!    SLO, or a burn rate over 14.4×), the verdict is the best variant that
//!    is a configuration change (relief, in minutes), and the best code or
//!    schema change that also holds is named second (the durable fix).

pub mod symptoms;
pub mod variants;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::Error;
use crate::output::summary::Summary;
use crate::output::{DirSink, EventRow, NullSink, Sink, TickRow};
use crate::scenario::{Override, Scenario};
use crate::sim::Simulation;
use symptoms::{Signs, Symptom};
use variants::{Remedy, Variant};

/// How to diagnose.
#[derive(Clone, Debug)]
pub struct Options {
    /// Runs at once.
    pub jobs: usize,
    /// The most runs, the baseline included (at least 2).
    pub budget: usize,
    /// Keep each run's outputs in `DIR/<variant>/`.
    pub keep_runs: Option<PathBuf>,
}

/// The tree's verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// Capacity now: react sooner or have it ready (headroom, a shorter window).
    #[strum(serialize = "SCALE NOW")]
    ScaleNow,
    /// Bigger instances.
    #[strum(serialize = "SCALE UP")]
    ScaleUp,
    /// More instances.
    #[strum(serialize = "SCALE OUT")]
    ScaleOut,
    /// Code or schema first.
    #[strum(serialize = "OPTIMIZE FIRST")]
    OptimizeFirst,
    /// The leak, not the size.
    #[strum(serialize = "FIX THE LEAK FIRST")]
    FixTheLeakFirst,
    /// Bound what the database sees.
    #[strum(serialize = "ADD A POOLER")]
    AddAPooler,
    /// Take reads off the primary.
    #[strum(serialize = "CACHE")]
    Cache,
    /// Refuse the excess fast.
    #[strum(serialize = "SHED LOAD")]
    ShedLoad,
    /// The capacity is enough; the policy moves it wrongly (flapping, a
    /// scale-in that kills what is in flight). Not one of the tree's words:
    /// the tree asks whether to scale, not how the autoscaler behaves.
    #[strum(serialize = "TUNE THE AUTOSCALER")]
    TuneTheAutoscaler,
    /// The baseline meets its SLO.
    #[strum(serialize = "NO CHANGE NEEDED")]
    NoChangeNeeded,
    /// Nothing tried holds the SLO.
    #[strum(serialize = "NO VARIANT HOLDS")]
    NoVariantHolds,
}

impl Verdict {
    /// The tree's words.
    pub fn words(self) -> &'static str {
        self.into()
    }

    fn of(r: Remedy) -> Verdict {
        match r {
            Remedy::ScaleOut | Remedy::RaiseMax => Verdict::ScaleOut,
            Remedy::ScaleUp => Verdict::ScaleUp,
            Remedy::OptimizeCode | Remedy::FasterQuery => Verdict::OptimizeFirst,
            Remedy::FixLeak => Verdict::FixTheLeakFirst,
            // Both bound the concurrency the database sees.
            Remedy::Pooler | Remedy::BudgetPools | Remedy::CapReplicas => Verdict::AddAPooler,
            Remedy::ReadReplicas | Remedy::LargerCache => Verdict::Cache,
            // A retry budget sheds the retries.
            Remedy::ShedLoad | Remedy::RetryBudget => Verdict::ShedLoad,
            // Capacity sooner: ready in advance, seen sooner, or started warm.
            Remedy::NodeHeadroom | Remedy::ShorterWindow | Remedy::WarmPool => Verdict::ScaleNow,
            // Coalesced fills take the stampede's reads off the primary.
            Remedy::SingleFlight => Verdict::Cache,
            Remedy::Hysteresis | Remedy::Draining => Verdict::TuneTheAutoscaler,
        }
    }
}

/// One run's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    /// The variant.
    #[serde(flatten)]
    pub variant: Variant,
    /// Whether it met the SLO over the run.
    pub slo_met: bool,
    /// Share of SLO windows met.
    pub attainment: f64,
    /// Share of requests that succeeded.
    pub availability: f64,
    /// p99 latency, ms.
    pub p99_ms: Option<f64>,
    /// Mean cost per hour, in the scenario's currency.
    pub cost_per_hour: f64,
    /// Peak replicas.
    pub peak_replicas: u32,
    /// The findings' kinds.
    pub findings: Vec<String>,
}

impl Outcome {
    fn new(variant: Variant, s: &Summary) -> Outcome {
        Outcome {
            variant,
            slo_met: s.slo.met,
            attainment: s.slo.attainment.unwrap_or(0.0),
            availability: s.slo.availability.unwrap_or(0.0),
            p99_ms: s.latency_ms.p99,
            cost_per_hour: s.cost.mean_per_hour,
            peak_replicas: s.cost.peak_replicas,
            findings: s.findings.iter().map(|f| f.kind.name().to_string()).collect(),
        }
    }
}

/// What `diagnose` found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnosis {
    /// The scenario's name.
    pub scenario: String,
    /// The file, as given.
    pub file: String,
    /// The seed every run used.
    pub seed: u64,
    /// The overrides every run had (the user's `--set`).
    pub set: Vec<String>,
    /// Whether production is impacted (the tree's first check), and why.
    pub impacted: Option<String>,
    /// Means over the baseline's SLO-breaking ticks.
    pub signs: Signs,
    /// What binds, the binding one first.
    pub symptoms: Vec<Symptom>,
    /// The baseline.
    pub baseline: Outcome,
    /// The variants, ranked: those that meet the SLO first, cheapest
    /// first; then the rest by attainment and availability.
    pub ranked: Vec<Outcome>,
    /// Variants the scenario's validation refused, with why.
    pub skipped: Vec<(String, String)>,
    /// The verdict.
    pub verdict: Verdict,
    /// The variant the verdict rests on.
    pub winner: Option<String>,
    /// A durable fix that also holds, where relief came first.
    pub durable: Option<String>,
    /// Why, in a sentence or three.
    pub evidence: String,
}

/// Keeps the ticks (for the symptoms), passing everything on.
struct Capture {
    ticks: Vec<TickRow>,
    keep_ticks: bool,
    inner: Box<dyn Sink + Send>,
}

impl Sink for Capture {
    fn tick(&mut self, row: &TickRow) {
        if self.keep_ticks {
            self.ticks.push(row.clone());
        }
        self.inner.tick(row);
    }
    fn event(&mut self, row: &EventRow) {
        self.inner.event(row);
    }
    fn finish(&mut self, summary: &Summary) -> std::io::Result<()> {
        self.inner.finish(summary)
    }
}

/// A shared handle to the captured ticks (the simulation owns its sink).
struct Shared(Arc<std::sync::Mutex<Capture>>);

impl Sink for Shared {
    fn tick(&mut self, row: &TickRow) {
        if let Ok(mut c) = self.0.lock() {
            c.tick(row);
        }
    }
    fn event(&mut self, row: &EventRow) {
        if let Ok(mut c) = self.0.lock() {
            c.event(row);
        }
    }
    fn finish(&mut self, summary: &Summary) -> std::io::Result<()> {
        match self.0.lock() {
            Ok(mut c) => c.finish(summary),
            Err(_) => Ok(()),
        }
    }
}

fn parse_set(args: &[String]) -> Result<Vec<Override>, Error> {
    let parsed: Result<Vec<_>, _> = args.iter().map(|a| Override::parse(a)).collect();
    parsed.map_err(|p| Error::Invalid(crate::input::problem::Problems(vec![p])))
}

/// Runs `s` at `seed` into `keep/<name>/` if asked; the ticks if `capture`.
fn run(
    s: Scenario,
    seed: u64,
    keep: Option<&Path>,
    name: &str,
    capture: bool,
    file: &Path,
) -> Result<(Summary, Vec<TickRow>), Error> {
    let inner: Box<dyn Sink + Send> = match keep {
        Some(dir) => {
            let d = dir.join(name);
            Box::new(DirSink::create(&d).map_err(|e| Error::io(&d, e))?)
        }
        None => Box::new(NullSink),
    };
    let shared = Arc::new(std::sync::Mutex::new(Capture { ticks: Vec::new(), keep_ticks: capture, inner }));
    let mut sim =
        Simulation::new(Arc::new(s), seed, Box::new(Shared(shared.clone()))).map_err(|e| Error::io(file, e))?;
    let stop = crate::interrupt::flag();
    let mut events: u32 = 0;
    while sim.step() {
        events = events.wrapping_add(1);
        if events & 0xfff == 0 && stop.load(Ordering::Relaxed) {
            let signal = crate::interrupt::requested().unwrap_or(crate::interrupt::Signal::Interrupt);
            return Err(Error::Interrupted(
                signal,
                "diagnose stopped before its runs finished: nothing written".into(),
            ));
        }
    }
    let summary = sim.finish().map_err(|e| Error::io(file, e))?;
    let ticks = shared.lock().map(|mut c| std::mem::take(&mut c.ticks)).unwrap_or_default();
    Ok((summary, ticks))
}

/// Whether production is impacted now (the tree's check 1), and why.
fn impacted(s: &Scenario, sum: &Summary) -> Option<String> {
    let finished = (sum.requests.succeeded + sum.requests.failed).max(1) as f64;
    let errors = sum.requests.failed as f64 / finished;
    let mut why = Vec::new();
    if errors > 0.01 {
        why.push(format!("{:.1}% of requests failed (over 1%)", errors * 100.0));
    }
    let slo = s.slo.p99.as_millis_f64();
    if let Some(p95) = sum.latency_ms.p95.filter(|p| *p > slo) {
        why.push(format!("p95 {p95:.0} ms is over the {slo:.0} ms SLO"));
    }
    if let Some(burn) = sum.slo.error_budget_burn.filter(|b| *b > 14.4) {
        why.push(format!("the error budget burns at {burn:.1}× (the fast-burn alert is 14.4×)"));
    }
    (!why.is_empty()).then(|| why.join(", "))
}

/// Those that meet the SLO first, the cheapest first (the cheapest
/// settings that hold the SLO, as a sweep's front asks); then the rest by
/// attainment and availability.
fn rank_key(a: &Outcome, b: &Outcome) -> std::cmp::Ordering {
    b.slo_met.cmp(&a.slo_met).then(if a.slo_met {
        a.cost_per_hour.total_cmp(&b.cost_per_hour).then(b.attainment.total_cmp(&a.attainment))
    } else {
        b.attainment
            .total_cmp(&a.attainment)
            .then(b.availability.total_cmp(&a.availability))
            .then(a.cost_per_hour.total_cmp(&b.cost_per_hour))
    })
}

/// Diagnoses the scenario at `path` with the user's `set`.
pub fn diagnose(path: &Path, set: &[String], seed: Option<u64>, opts: &Options) -> Result<Diagnosis, Error> {
    let user = parse_set(set)?;
    let base = Scenario::load(path, &user)?;
    let seed = seed.unwrap_or(base.seed);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .thread_name(|i| format!("scalesim-diagnose-{i}"))
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {} threads: {e}", opts.jobs)))?;
    let keep = opts.keep_runs.as_deref();
    let (summary, ticks) = run(base.clone(), seed, keep, "baseline", true, path)?;
    let signs = symptoms::signs(&base, &ticks);
    drop(ticks);
    let symptoms = symptoms::classify(&base, &signs, &summary);
    let baseline_variant =
        Variant { name: "baseline".into(), remedy: None, what: "the scenario as it is".into(), set: Vec::new() };
    let baseline = Outcome::new(baseline_variant, &summary);
    // Each variant must pass the scenario's validation; those that do not
    // are reported, not run.
    let mut skipped = Vec::new();
    let mut runnable: Vec<(Variant, Scenario)> = Vec::new();
    let findings: Vec<_> = summary.findings.iter().map(|f| f.kind).collect();
    for v in variants::choose(&base, &symptoms, &signs, &findings, summary.cost.peak_replicas) {
        if runnable.len() + 1 >= opts.budget.max(2) {
            skipped.push((v.name.clone(), format!("over the budget of {} runs", opts.budget)));
            continue;
        }
        let mut all = set.to_vec();
        all.extend(v.set.iter().cloned());
        match parse_set(&all).and_then(|o| Scenario::load(path, &o).map_err(Error::from)) {
            Ok(s) => runnable.push((v, s)),
            Err(e) => skipped.push((v.name.clone(), e.to_string().lines().next().unwrap_or("").to_string())),
        }
    }
    let results: Vec<Result<Outcome, Error>> = pool.install(|| {
        runnable
            .into_par_iter()
            .map(|(v, s)| run(s, seed, keep, &v.name, false, path).map(|(sum, _)| Outcome::new(v, &sum)))
            .collect()
    });
    let mut ranked = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    ranked.sort_by(rank_key);
    let impacted = impacted(&base, &summary);
    let (verdict, winner, durable, evidence) = decide(&baseline, &ranked, &symptoms, impacted.is_some());
    Ok(Diagnosis {
        scenario: base.name.clone(),
        file: path.display().to_string(),
        seed,
        set: set.to_vec(),
        impacted,
        signs,
        symptoms,
        baseline,
        ranked,
        skipped,
        verdict,
        winner,
        durable,
        evidence,
    })
}

fn change(base: f64, now: f64) -> String {
    if base <= 0.0 {
        return "-".into();
    }
    let d = (now / base - 1.0) * 100.0;
    if d.abs() < 0.5 { "±0%".into() } else { format!("{d:+.0}%") }
}

fn money(d: f64) -> String {
    format!("{}{:.2}/h", if d < 0.0 { "−" } else { "+" }, d.abs())
}

/// The verdict, the variant it rests on, a durable second, and why.
fn decide(
    base: &Outcome,
    ranked: &[Outcome],
    symptoms: &[Symptom],
    impacted: bool,
) -> (Verdict, Option<String>, Option<String>, String) {
    let cause = symptoms
        .first()
        .map_or("no resource stands out".to_string(), |s| format!("{}: {}", s.class.name(), s.evidence));
    if base.slo_met {
        return (Verdict::NoChangeNeeded, None, None, format!("the baseline meets its SLO ({cause})"));
    }
    let holds = |o: &&Outcome| o.slo_met;
    let relief = ranked.iter().filter(holds).find(|o| o.variant.remedy.is_some_and(Remedy::is_relief));
    let durable_fix = ranked.iter().filter(holds).find(|o| o.variant.remedy.is_some_and(|r| !r.is_relief()));
    // Impacted now: configuration first. Otherwise the best that holds.
    let pick = if impacted { relief.or(durable_fix) } else { ranked.iter().find(holds) };
    let p99 = |o: &Outcome| o.p99_ms.map_or("-".into(), |p| format!("{p:.0} ms"));
    let mut evidence = format!("{cause}.");
    // Scaling out, where it was tried and does not hold: the tree's point.
    if let Some(out) = ranked.iter().find(|o| o.variant.remedy == Some(Remedy::ScaleOut))
        && !out.slo_met
    {
        let rose = match (base.p99_ms, out.p99_ms) {
            (Some(a), Some(b)) if b > a * 1.005 => format!("p99 rose {} ({} → {})", change(a, b), p99(base), p99(out)),
            (Some(a), Some(b)) => format!("p99 {} ({} → {})", change(a, b), p99(base), p99(out)),
            _ => "p99 -".into(),
        };
        evidence.push_str(&format!(
            " Horizontal scaling does not help: with {}, {rose}, availability {:.1}% → {:.1}%.",
            out.variant.what,
            base.availability * 100.0,
            out.availability * 100.0
        ));
    }
    match pick {
        None => {
            let best = ranked.first();
            evidence.push_str(&format!(
                " No variant met the SLO; the closest: {}.",
                best.map_or("none ran".to_string(), |b| format!(
                    "{} (attainment {:.1}%, availability {:.2}%, p99 {})",
                    b.variant.name,
                    b.attainment * 100.0,
                    b.availability * 100.0,
                    p99(b)
                ))
            ));
            (Verdict::NoVariantHolds, None, None, evidence)
        }
        Some(w) => {
            let remedy = w.variant.remedy.unwrap_or(Remedy::RaiseMax);
            let only = ranked.iter().filter(holds).count() == 1;
            evidence.push_str(&format!(
                " {} ({}){} restores the SLO: attainment {:.1}% → {:.1}%, availability {:.2}% → {:.2}%, p99 {} → {}, at {} against the baseline.",
                w.variant.name,
                w.variant.what,
                if only { " alone" } else { "" },
                base.attainment * 100.0,
                w.attainment * 100.0,
                base.availability * 100.0,
                w.availability * 100.0,
                p99(base),
                p99(w),
                money(w.cost_per_hour - base.cost_per_hour)
            ));
            let second = durable_fix.filter(|d| impacted && remedy.is_relief() && d.variant.name != w.variant.name);
            if let Some(d) = second {
                evidence.push_str(&format!(
                    " Production is impacted, so relief first; the durable fix: {} ({}), which also holds at {}.",
                    d.variant.name,
                    d.variant.what,
                    money(d.cost_per_hour - base.cost_per_hour)
                ));
            }
            (Verdict::of(remedy), Some(w.variant.name.clone()), second.map(|d| d.variant.name.clone()), evidence)
        }
    }
}

impl Diagnosis {
    /// The printed report.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let b = &self.baseline;
        let p99 = |x: &Outcome| x.p99_ms.map_or("-".into(), |p| format!("{p:.0}"));
        let _ = writeln!(
            o,
            "diagnose {} (seed {}): baseline {} — attainment {:.1}%, availability {:.2}%, p99 {} ms, {:.2}/h",
            self.scenario,
            self.seed,
            if b.slo_met { "met" } else { "MISSED" },
            b.attainment * 100.0,
            b.availability * 100.0,
            p99(b),
            b.cost_per_hour
        );
        if let Some(why) = &self.impacted {
            let _ = writeln!(o, "  impacted   {why}");
        }
        if self.symptoms.is_empty() {
            let _ = writeln!(o, "  symptoms   none stand out");
        } else {
            let _ = writeln!(o, "  symptoms");
            for s in &self.symptoms {
                let _ = writeln!(o, "    {:<17} {}", s.class.name(), s.evidence);
            }
        }
        let _ = writeln!(
            o,
            "  variants   {:<4} {:<15} {:>4} {:>10} {:>12} {:>8} {:>9} {:>8}  set",
            "rank", "variant", "slo", "attainment", "availability", "p99 ms", "cost/h", "vs base"
        );
        for (i, r) in self.ranked.iter().enumerate() {
            let _ = writeln!(
                o,
                "             {:<4} {:<15} {:>4} {:>9.1}% {:>11.2}% {:>8} {:>9.2} {:>8}  {}",
                i + 1,
                r.variant.name,
                if r.slo_met { "met" } else { "-" },
                r.attainment * 100.0,
                r.availability * 100.0,
                p99(r),
                r.cost_per_hour,
                change(b.cost_per_hour, r.cost_per_hour),
                r.variant.set.join(" ")
            );
        }
        let _ = writeln!(
            o,
            "             {:<4} {:<15} {:>4} {:>9.1}% {:>11.2}% {:>8} {:>9.2}",
            "-",
            "baseline",
            if b.slo_met { "met" } else { "-" },
            b.attainment * 100.0,
            b.availability * 100.0,
            p99(b),
            b.cost_per_hour
        );
        for (name, why) in &self.skipped {
            let _ = writeln!(o, "  skipped    {name}: {why}");
        }
        let _ = writeln!(o, "  verdict    {}", self.verdict.words());
        let _ = writeln!(o, "  evidence   {}", self.evidence);
        for name in self.winner.iter().chain(&self.durable) {
            if let Some(v) = self.ranked.iter().find(|r| &r.variant.name == name) {
                let sets: Vec<String> = self.set.iter().chain(&v.variant.set).map(|s| format!("--set '{s}'")).collect();
                let _ = writeln!(o, "  rerun      scalesim run {} {}", self.file, sets.join(" "));
            }
        }
        o
    }
}
