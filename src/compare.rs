//! `scalesim compare`: several policies on the same workloads and seeds,
//! then a pairwise tournament on the elasticity scorecard, the SLO
//! attainment and the cost — how the autoscaling literature ranks
//! autoscalers (see `tournament`).
//!
//! A comparison (`file`: a compare file, or the command line) names the
//! workloads (scenarios: traffic, duration, SLO), the seeds and the
//! contenders (a policy file and/or `--set` overrides each). Every
//! (scenario, contender) pair is checked by the scenario's own validation
//! before anything runs, its problems put back where they were written.
//! Run `r` is scenario `r / (C·S)`, contender `(r / S) mod C`, seed
//! `r mod S`; the runs go through the sweep's runner
//! (`sweep::run::run_indexed`), so rows arrive in index order and every
//! output (`table`) is byte-identical for any `--jobs`. A *round* is one
//! scenario at one seed, which every contender ran: same arrivals, same
//! draws of everything the policy does not change.

pub mod file;
pub mod table;
pub mod tournament;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use rayon::prelude::*;

use crate::error::Error;
use crate::input::problem::{Origin, Problem, Problems};
use crate::scenario::{Override, Scenario};
use crate::sweep::run::{self, Finished};
use crate::sweep::table::{run_cells, run_columns};
use file::{CompareFile, SetFrom};
use tournament::{METRICS, Round, Standings};

/// A workload every contender runs.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The scenario file.
    pub path: PathBuf,
    /// The scenario's name.
    pub name: String,
    /// Its seeds.
    pub seeds: Vec<u64>,
    /// The currency its costs are in.
    pub currency: String,
}

/// A checked comparison, ready to run.
pub struct Compare {
    /// The comparison.
    pub file: CompareFile,
    /// The workloads, in order.
    pub workloads: Vec<Workload>,
    /// Each contender's overrides, in order.
    pub sets: Vec<Vec<Override>>,
}

/// How to run a comparison.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Runs at once (1 to `sweep::MAX_JOBS`).
    pub jobs: usize,
    /// Keep each run's files in `DIR/run-NN/`.
    pub keep_runs: Option<PathBuf>,
}

/// What a comparison wrote.
#[derive(Debug)]
pub struct Outcome {
    /// How the runs ended.
    pub finished: Finished,
    /// The tournament (a comparison that finished).
    pub standings: Option<Standings>,
    /// The files written.
    pub written: Vec<PathBuf>,
}

/// A problem of contender `c` on `scenario`, put back where it was written.
fn relocate(file: &CompareFile, c: usize, scenario: &Path, sets: &[(Override, SetFrom)], mut p: Problem) -> Problem {
    let who = format!("contender '{}' on {}: ", file.contenders[c].name, scenario.display());
    let field = p.field.take().filter(|f| !f.is_root());
    let field_text = field.as_ref().map_or_else(String::new, |f| format!("{f}: "));
    let root = crate::input::problem::FieldPath::root();
    if let Origin::Override(raw) = &p.origin
        && let Some((_, from)) = sets.iter().find(|(o, _)| &o.raw == raw)
    {
        let at = match from {
            SetFrom::Shared(k) => Some(file.problem(&root.key("set").index(*k), String::new(), None).origin),
            SetFrom::Contender(i, k) => {
                Some(file.problem(&root.key("contender").index(*i).key("set").index(*k), String::new(), None).origin)
            }
            SetFrom::Policy(i) => match (&file.contenders[*i].policy, &field) {
                (Some(policy), Some(f)) => Some(policy.origin(f)),
                (Some(policy), None) => Some(Origin::File { path: policy.path.clone(), line: None }),
                (None, _) => None,
            },
            SetFrom::Command => None,
        };
        if let Some(origin) = at {
            return Problem { origin, field: None, message: format!("{who}{field_text}{}", p.message), hint: p.hint };
        }
    }
    Problem { field: None, message: format!("{who}{field_text}{}", p.message), ..p }
}

/// Whether the file wrote `scenario = ` (rather than a list).
fn file_has_scenario(file: &CompareFile) -> bool {
    file.problem(&crate::input::problem::FieldPath::root().key("scenario"), String::new(), None).origin
        != file.problem(&crate::input::problem::FieldPath::root(), String::new(), None).origin
}

/// Whether the scenario's own `[autoscaler]` (or a table in it) names a
/// manifest: the document keeps a manifest's record after an override
/// replaced its section, and validation then refuses a policy that takes
/// none, so a policy file cannot replace it.
fn names_manifest(path: &Path) -> bool {
    fn any(t: &toml::Table) -> bool {
        t.contains_key("manifest") || t.values().any(|v| v.as_table().is_some_and(any))
    }
    let text = crate::input::read_to_string(path).unwrap_or_default();
    let table: toml::Table = toml::from_str(&text).unwrap_or_default();
    table.get("autoscaler").and_then(toml::Value::as_table).is_some_and(any)
}

impl Compare {
    /// Checks every (scenario, contender) pair against the scenario's
    /// validation, in parallel on rayon's current pool.
    pub fn check(file: CompareFile) -> Result<Compare, Problems> {
        let n = file.contenders.len();
        if let Some(c) = file.contenders.iter().find(|c| c.policy.is_some()) {
            let manifests: Vec<Problem> = (0..file.scenarios.len())
                .filter(|&w| names_manifest(&file.scenarios[w]))
                .map(|w| {
                    let at = if file.scenarios.len() == 1 && file_has_scenario(&file) {
                        crate::input::problem::FieldPath::root().key("scenario")
                    } else {
                        crate::input::problem::FieldPath::root().key("scenarios").index(w)
                    };
                    file.problem(
                        &at,
                        format!(
                            "the scenario '{}' names a manifest in [autoscaler], which contender '{}''s policy file cannot replace",
                            file.scenarios[w].display(),
                            c.name
                        ),
                        Some("write the scenario's [autoscaler] fields inline (scenarios/nasa-days.toml does), and its policy as one more contender's policy file".into()),
                    )
                })
                .collect();
            if !manifests.is_empty() {
                return Err(Problems(manifests));
            }
        }
        let pairs: Vec<(usize, usize)> = (0..file.scenarios.len()).flat_map(|w| (0..n).map(move |c| (w, c))).collect();
        let tagged: Vec<Vec<(Override, SetFrom)>> = (0..n).map(|c| file.overrides(c)).collect();
        let sets: Vec<Vec<Override>> = tagged.iter().map(|t| t.iter().map(|(o, _)| o.clone()).collect()).collect();
        let loaded: Vec<Result<Scenario, Problems>> =
            pairs.par_iter().map(|&(w, c)| Scenario::load(&file.scenarios[w], &sets[c])).collect();
        let mut problems: Vec<Problem> = Vec::new();
        let mut workloads: Vec<Workload> = Vec::new();
        for (&(w, c), result) in pairs.iter().zip(loaded) {
            match result {
                Ok(s) => {
                    if workloads.len() == w {
                        workloads.push(Workload {
                            path: file.scenarios[w].clone(),
                            name: s.name.clone(),
                            seeds: file.seeds.resolve(s.seed),
                            currency: s.currency.clone(),
                        });
                    }
                }
                Err(ps) => {
                    for p in ps.0 {
                        let p = relocate(&file, c, &file.scenarios[w], &tagged[c], p);
                        if !problems.contains(&p) {
                            problems.push(p);
                        }
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(Problems(problems));
        }
        // Every scenario loaded for contender 0 first, so each has its workload.
        Ok(Compare { file, workloads, sets })
    }

    /// Contenders.
    pub fn contenders(&self) -> usize {
        self.file.contenders.len()
    }

    /// Seeds per scenario.
    pub fn seeds(&self) -> usize {
        self.workloads.first().map_or(0, |w| w.seeds.len())
    }

    /// Runs in all.
    pub fn runs(&self) -> usize {
        self.workloads.len() * self.contenders() * self.seeds()
    }

    /// Run `r`'s workload, contender and seed.
    pub fn locate(&self, r: usize) -> (usize, usize, u64) {
        let (c, s) = (self.contenders(), self.seeds());
        let w = r / (c * s);
        (w, (r / s) % c, self.workloads[w].seeds[r % s])
    }

    /// The command that runs run `r` alone.
    pub fn reproduce(&self, r: usize) -> String {
        let (w, c, seed) = self.locate(r);
        let sets: Vec<String> = self.sets[c].iter().map(|o| format!(" --set '{}'", o.raw)).collect();
        format!("scalesim run {} --seed {seed}{}", self.workloads[w].path.display(), sets.concat())
    }

    /// One paragraph on what will run.
    pub fn describe(&self) -> String {
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let mut s = format!(
            "compare {}: {} × {} × {} = {} runs",
            self.file.name,
            plural(self.contenders(), "contender"),
            plural(self.workloads.len(), "scenario"),
            plural(self.seeds(), "seed"),
            self.runs()
        );
        for w in &self.workloads {
            let seeds: Vec<String> = w.seeds.iter().map(u64::to_string).collect();
            let _ = write!(s, "\n  {} ({}), seeds {}", w.name, w.path.display(), seeds.join(", "));
        }
        s
    }

    /// The rounds, from the rows of every run in index order.
    pub fn rounds(&self, rows: &[Vec<String>]) -> Vec<Round> {
        let columns = run_columns(&table::PARAMS.map(String::from));
        let at: Vec<Option<usize>> = METRICS.iter().map(|m| columns.iter().position(|c| c == m.column)).collect();
        let (n, s) = (self.contenders(), self.seeds());
        let mut rounds = Vec::with_capacity(self.workloads.len() * s);
        for w in 0..self.workloads.len() {
            for k in 0..s {
                let round: Round = (0..n)
                    .map(|c| {
                        let row = &rows[(w * n + c) * s + k];
                        at.iter().map(|i| i.and_then(|i| row.get(i)).and_then(|v| v.parse::<f64>().ok())).collect()
                    })
                    .collect();
                rounds.push(round);
            }
        }
        rounds
    }
}

/// Runs a comparison and writes its files into `dir`. Stopped by `stop`,
/// it keeps the finished runs' rows and plays no tournament.
pub fn execute(
    cmp: &Compare,
    opts: &Options,
    dir: &Path,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Outcome, Error> {
    let total = cmp.runs();
    let names: Vec<String> = cmp.file.contenders.iter().map(|c| c.name.clone()).collect();
    let work = |r: usize, halted: &dyn Fn() -> bool| -> Result<Option<Vec<String>>, Error> {
        let (w, c, seed) = cmp.locate(r);
        let workload = &cmp.workloads[w];
        let scenario = Arc::new(Scenario::load(&workload.path, &cmp.sets[c])?);
        let sink = run::run_sink(opts.keep_runs.as_deref(), r, total)?;
        let at = opts.keep_runs.as_deref().map_or_else(|| workload.path.clone(), |d| run::run_dir(d, r, total));
        let summary = run::simulate(scenario, seed, sink, &at, halted)?;
        Ok(summary.map(|s| run_cells(r, c, &[workload.name.clone(), names[c].clone()], seed, &s)))
    };
    let on_panic = |r: usize| eprintln!("scalesim: run {r} panicked; reproduce it alone with:\n  {}", cmp.reproduce(r));
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(total);
    let finished = run::run_indexed(
        opts.jobs,
        total,
        stop,
        &work,
        &mut |_, row| {
            rows.push(row);
            Ok(())
        },
        progress,
        &on_panic,
    )?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = vec![table::write_runs(cmp, dir, &rows)?];
    if finished.interrupted {
        return Ok(Outcome { finished, standings: None, written });
    }
    let standings = tournament::play(&names, &cmp.rounds(&rows));
    written.extend(table::write_standings(cmp, dir, &standings)?);
    Ok(Outcome { finished, standings: Some(standings), written })
}
