//! Parameter sweeps: many variants of one scenario, run in parallel, one CSV
//! row per run, to find the cheapest settings that hold the SLO.
//!
//! A sweep file (`file`) names a base scenario and the parameters to vary —
//! any field `--set` accepts. The points (`space`: a grid of value lists and
//! ranges, or random / Latin-hypercube samples) pass the filters (`filter`),
//! then each is checked by loading the base scenario with its overrides
//! (`check`), all before anything runs. Every point runs once per replicate
//! seed; run `r` is point `r / seeds`, seed `seeds[r % seeds]`. The runs
//! (`run`) go to a rayon pool, each single-threaded; rows are written in
//! index order (`table`), so the output is byte-identical for any `--jobs`,
//! and a shard's rows (`shard`) merge (`merge`) into the same bytes. An
//! aggregate per point (`aggregate`: mean and t-interval over seeds) feeds
//! the Pareto front of cost against SLO attainment (`pareto`).
//!
//! This mirrors how DSLab runs its parallel experiments (a seed per point,
//! results re-sorted by index), with the outputs of hyperfine's exporters.

pub mod aggregate;
pub mod check;
pub mod file;
pub mod filter;
pub mod merge;
pub mod pareto;
pub mod progress;
pub mod run;
pub mod shard;
pub mod space;
pub mod table;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use toml::{Table, Value};

use crate::engine::rng::fnv1a;
use crate::error::Error;
use crate::input::check::show;
use crate::input::problem::{FieldPath, Origin, Problems, Segment};
use crate::output::atomic::is_regular_target;
use crate::scenario::{Document, Override, Scenario};
use aggregate::{Aggregator, point_columns};
use file::SweepFile;
use filter::Val;
use pareto::PointStat;
pub use run::{Finished, MAX_JOBS, Options};
use shard::Shard;
use space::{Param, Point};
use table::{CsvFile, Header, metric_columns, points_path, run_columns};

/// A checked sweep, ready to run: its points and seeds, every point already
/// accepted by the scenario's validation.
pub struct Plan {
    /// The sweep file.
    pub file: SweepFile,
    /// The base scenario, with the sweep's `set` applied.
    pub base: Scenario,
    /// The parameters and their values.
    pub params: Vec<Param>,
    /// The points that run, in order.
    pub points: Vec<Point>,
    /// Candidate points before filters.
    pub candidates: usize,
    /// Replicate seeds.
    pub seeds: Vec<u64>,
    /// Points skipped, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// The sweep hash (see `table`).
    pub hash: u64,
}

/// The value at `path` in a table.
fn lookup<'t>(table: &'t Table, path: &FieldPath) -> Option<&'t Value> {
    let mut cur: Option<&Value> = None;
    for seg in path.segments() {
        cur = Some(match (seg, cur) {
            (Segment::Key(k), None) => table.get(k)?,
            (Segment::Key(k), Some(Value::Table(t))) => t.get(k)?,
            (Segment::Index(i), Some(Value::Array(a))) => a.get(*i)?,
            _ => return None,
        });
    }
    cur
}

/// Relocates problems caused by the sweep's `set` to its line.
fn relocate_set(file: &SweepFile, problems: Problems) -> Problems {
    let root = FieldPath::root();
    Problems(
        problems
            .0
            .into_iter()
            .map(|p| match &p.origin {
                Origin::Override(raw) => match file.set.iter().position(|o| &o.raw == raw) {
                    Some(k) => {
                        let field = p.field.as_ref().map_or_else(String::new, |f| format!("{f}: "));
                        file.problem(&root.key("set").index(k), format!("set '{raw}': {field}{}", p.message), p.hint)
                    }
                    None => p,
                },
                _ => p,
            })
            .collect(),
    )
}

impl Plan {
    /// Reads a sweep file and checks everything against its scenario: paths,
    /// values, ranges, filters and every point. Uses rayon's current pool to
    /// check points in parallel.
    pub fn load(path: &Path) -> Result<Plan, Problems> {
        let file = SweepFile::load(path)?;
        let root = FieldPath::root();
        if !file.scenario.is_file() {
            return Err(Problems(vec![file.problem(
                &root.key("scenario"),
                format!("cannot read the scenario '{}'", file.scenario.display()),
                Some("the path is relative to the sweep file's directory".into()),
            )]));
        }
        let doc = Document::load(&file.scenario, &file.set).map_err(|p| relocate_set(&file, p))?;
        let base = Scenario::validate(&doc).map_err(|p| relocate_set(&file, p))?;

        let (params, candidates) = space::generate(&file.params, file.sampling);
        let candidate_count = candidates.len();

        // Filters: every path must be swept or set by the scenario.
        let mut problems = Vec::new();
        for (k, f) in file.filters.iter().enumerate() {
            for p in f.expr.paths() {
                if !params.iter().any(|q| q.path == p) && lookup(&doc.table, &p).is_none() {
                    problems.push(file.problem(
                        &root.key("filter").index(k).key("skip_if"),
                        format!("filter '{}': '{p}' is neither swept nor set in the scenario", f.text),
                        Some("a filter reads swept parameters and fields the scenario (or its models) writes; write a default out in the scenario to use it".into()),
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(Problems(problems));
        }
        let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
        let mut passed = Vec::with_capacity(candidates.len());
        let mut failed_filters = vec![false; file.filters.len()];
        for pt in candidates {
            let value = |p: &FieldPath| -> Option<Val> {
                match params.iter().position(|q| &q.path == p) {
                    Some(j) => Val::from_toml(&params[j].values[pt[j] as usize]),
                    None => Val::from_toml(lookup(&doc.table, p)?),
                }
            };
            let mut skip = None;
            for (k, f) in file.filters.iter().enumerate() {
                match f.expr.test(&value) {
                    Ok(true) => {
                        skip = Some(&f.reason);
                        break;
                    }
                    Ok(false) => {}
                    Err(msg) => {
                        if !failed_filters[k] {
                            failed_filters[k] = true;
                            problems.push(file.problem(
                                &root.key("filter").index(k).key("skip_if"),
                                format!("filter '{}' {msg}", f.text),
                                Some("compare numbers and durations with < <= > >=, strings with == and !=".into()),
                            ));
                        }
                    }
                }
            }
            match skip {
                Some(reason) => *skipped.entry(reason.clone()).or_default() += 1,
                None => passed.push(pt),
            }
        }
        if !problems.is_empty() {
            return Err(Problems(problems));
        }
        if passed.is_empty() {
            return Err(Problems(vec![file.problem(
                &root.key("filter"),
                format!("the filters skip all {candidate_count} points: nothing to run"),
                Some("loosen the filters or change the values".into()),
            )]));
        }

        let verdict = check::check_points(&file, &params, passed)?;
        for (reason, n) in verdict.skipped {
            *skipped.entry(reason).or_default() += n;
        }
        if verdict.kept.is_empty() {
            return Err(Problems(vec![file.problem(
                &root.key("skip_invalid"),
                "the scenario refuses every point: nothing to run".into(),
                Some("remove skip_invalid = true to see why".into()),
            )]));
        }
        let seeds = file.seeds.resolve(base.seed);

        let mut canon = format!("scalesim {}\n{}\n{:016x}\n", env!("CARGO_PKG_VERSION"), file.text, base.hash);
        for p in &params {
            let values: Vec<String> = p.values.iter().map(show).collect();
            let _ = writeln!(canon, "{}={}", p.name, values.join("|"));
        }
        let _ = writeln!(canon, "seeds={seeds:?} points={}", verdict.kept.len());
        let hash = fnv1a(canon.as_bytes());
        Ok(Plan { file, base, params, points: verdict.kept, candidates: candidate_count, seeds, skipped, hash })
    }

    /// Runs in the whole sweep.
    pub fn runs(&self) -> usize {
        self.points.len() * self.seeds.len()
    }

    /// Run `r`'s point index and seed.
    pub fn locate(&self, r: usize) -> (usize, u64) {
        (r / self.seeds.len(), self.seeds[r % self.seeds.len()])
    }

    /// The overrides of point `i` (the sweep's `set`, then its parameters).
    pub fn overrides(&self, i: usize) -> Vec<Override> {
        check::point_overrides(&self.file.set, &self.params, &self.points[i])
    }

    /// Point `i`'s values, as written in the CSV.
    pub fn value_strings(&self, i: usize) -> Vec<String> {
        self.params.iter().zip(self.points[i].iter()).map(|(p, &v)| show(&p.values[v as usize])).collect()
    }

    /// The parameters' column names.
    pub fn param_names(&self) -> Vec<String> {
        self.params.iter().map(|p| p.name.clone()).collect()
    }

    /// The header line of an output file.
    pub fn header(&self, shard: Option<Shard>) -> Header {
        Header {
            name: self.file.name.clone(),
            hash: self.hash,
            runs: self.runs(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            shard,
        }
    }

    /// The command that runs run `r` alone.
    pub fn reproduce(&self, r: usize) -> String {
        let (point, seed) = self.locate(r);
        let sets: Vec<String> = self.overrides(point).iter().map(|o| format!(" --set '{}'", o.raw)).collect();
        format!("scalesim run {} --seed {seed}{}", self.file.scenario.display(), sets.concat())
    }

    /// One paragraph on what will run.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "sweep {}: {} point{} × {} seed{} = {} runs of {}",
            self.file.name,
            self.points.len(),
            if self.points.len() == 1 { "" } else { "s" },
            self.seeds.len(),
            if self.seeds.len() == 1 { "" } else { "s" },
            self.runs(),
            self.file.scenario.display()
        );
        if !self.skipped.is_empty() {
            let n: usize = self.skipped.values().sum();
            let reasons: Vec<String> = self.skipped.iter().map(|(r, k)| format!("{k} × {r}")).collect();
            let _ = write!(s, "\n  skipped {n} of {} points: {}", self.candidates, reasons.join("; "));
        }
        s
    }
}

/// What a sweep wrote.
#[derive(Debug)]
pub struct Outcome {
    /// How the runs ended.
    pub finished: Finished,
    /// The runs file.
    pub runs_path: PathBuf,
    /// The aggregate, if written (a whole sweep that finished, into a
    /// regular file).
    pub points_path: Option<PathBuf>,
    /// Every point's figures (with the aggregate).
    pub stats: Option<Vec<PointStat>>,
}

/// Runs a plan: writes the runs file to `out` (and, for a whole sweep that
/// finishes, the aggregate beside it), each under a temporary name renamed
/// into place at the end. Stopped by `stop`, it keeps the finished rows.
pub fn execute(
    plan: &Plan,
    opts: &Options,
    out: &Path,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Outcome, Error> {
    let whole = opts.shard.is_whole();
    let header = plan.header((!whole).then_some(opts.shard));
    let mut runs = CsvFile::create(out, &header, &run_columns(&plan.param_names())).map_err(|e| Error::io(out, e))?;
    let agg_path = points_path(out);
    // Beside a device or pipe (`--out /dev/null`) there is no aggregate file.
    let beside = is_regular_target(out);
    let mut agg = if whole {
        let columns = point_columns(&plan.param_names(), &metric_columns());
        let file = match beside {
            true => Some(CsvFile::create(&agg_path, &header, &columns).map_err(|e| Error::io(&agg_path, e))?),
            false => None,
        };
        Some(Aggregator::new(plan.params.len(), metric_columns(), file))
    } else {
        None
    };
    let finished = run::run_rows(
        plan,
        opts,
        stop,
        &mut |row| {
            runs.row(row).map_err(|e| Error::io(out, e))?;
            if let Some(a) = &mut agg {
                a.push(row).map_err(|e| Error::io(&agg_path, e))?;
            }
            Ok(())
        },
        progress,
    )?;
    runs.commit().map_err(|e| Error::io(out, e))?;
    let (points_path, stats) = match agg {
        Some(a) if !finished.interrupted => {
            (beside.then(|| agg_path.clone()), Some(a.finish().map_err(|e| Error::io(&agg_path, e))?))
        }
        _ => (None, None),
    };
    Ok(Outcome { finished, runs_path: out.to_path_buf(), points_path, stats })
}
