//! `scalesim compare`: the compare file and the command line's additions →
//! a checked comparison → its runs, files and printed tables.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::compare::file::{CompareFile, Contender, Policy};
use crate::compare::{self, Compare, table};
use crate::error::Error;
use crate::interrupt::{self, Signal};
use crate::sweep::file::{MAX_SEEDS, Seeds};
use crate::sweep::progress::Progress;

/// What the command line says.
pub(super) struct Args {
    /// The compare file.
    pub(super) file: Option<PathBuf>,
    /// Workloads replacing the file's.
    pub(super) scenarios: Vec<PathBuf>,
    /// Contenders added: `NAME=FILE` or `FILE`.
    pub(super) policies: Vec<String>,
    /// Seeds per scenario, replacing the file's.
    pub(super) seeds: Option<u64>,
    /// Overrides of every run, after the file's.
    pub(super) set: Vec<String>,
    /// Runs at once.
    pub(super) jobs: usize,
    /// The output directory.
    pub(super) out: Option<PathBuf>,
    /// Keep each run's files here.
    pub(super) keep_runs: Option<PathBuf>,
    /// Also write report.html.
    pub(super) report: bool,
    /// No progress.
    pub(super) quiet: bool,
}

/// The comparison the file and the arguments describe.
fn assemble(a: &Args) -> Result<CompareFile, Error> {
    let mut file = match &a.file {
        Some(path) => {
            super::readable(path)?;
            CompareFile::load(path)?
        }
        None => CompareFile::empty("compare"),
    };
    if !a.scenarios.is_empty() {
        for s in &a.scenarios {
            super::readable(s)?;
        }
        file.scenarios = a.scenarios.clone();
    }
    for arg in &a.policies {
        let (name, path) = match arg.split_once('=') {
            Some((n, p)) => (n.to_string(), PathBuf::from(p)),
            None => {
                let p = PathBuf::from(arg);
                (p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(), p)
            }
        };
        if file.contenders.iter().any(|c| c.name == name) {
            return Err(Error::Usage(format!(
                "--policy {arg}: a contender is already named '{name}'; write NAME=FILE"
            )));
        }
        super::readable(&path)?;
        let policy = Policy::load(&path)?;
        file.contenders.push(Contender { name, description: String::new(), policy: Some(policy), set: Vec::new() });
    }
    if let Some(n) = a.seeds {
        if n == 0 || n > MAX_SEEDS {
            return Err(Error::Usage(format!("--seeds must be from 1 to {MAX_SEEDS}")));
        }
        file.seeds = Seeds::Count(n);
    }
    file.set.extend(super::overrides(&a.set)?);
    if file.scenarios.is_empty() {
        return Err(Error::Usage("compare: give a compare file, or --scenario FILE".into()));
    }
    if file.contenders.len() < 2 {
        return Err(Error::Usage(format!(
            "compare: {} contender{}; name two or more (--policy FILE, or [[contender]] in a compare file)",
            file.contenders.len(),
            if file.contenders.len() == 1 { "" } else { "s" }
        )));
    }
    Ok(file)
}

/// Runs `scalesim compare`.
pub(super) fn run(a: Args) -> Result<(), Error> {
    let file = assemble(&a)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.jobs)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {} threads: {e}", a.jobs)))?;
    let cmp = pool.install(|| Compare::check(file))?;
    drop(pool);
    let dir = a.out.clone().unwrap_or_else(|| Path::new("out").join(&cmp.file.name));
    super::emit(&format!("{}\n", cmp.describe()))?;
    interrupt::install("finishing no new run, keeping the finished rows");
    let started = Instant::now();
    let mut progress = Progress::new(&cmp.file.name, cmp.runs(), a.quiet);
    let opts = compare::Options { jobs: a.jobs, keep_runs: a.keep_runs.clone() };
    let outcome = compare::execute(&cmp, &opts, &dir, interrupt::flag(), &mut |d, t| progress.update(d, t));
    progress.finish();
    let outcome = outcome?;
    let f = &outcome.finished;
    let Some(standings) = &outcome.standings else {
        let signal = interrupt::requested().unwrap_or(Signal::Interrupt);
        return Err(Error::Interrupted(
            signal,
            format!(
                "interrupted: kept the {} finished runs of {} in {} (no tournament: it needs every run)",
                f.done,
                f.total,
                dir.join(table::RUNS).display()
            ),
        ));
    };
    let wall = started.elapsed().as_secs_f64();
    let mut text =
        format!("ran {} runs on {} job{} in {wall:.1} s\n", f.done, a.jobs, if a.jobs == 1 { "" } else { "s" });
    text.push_str(&table::render(&cmp, standings));
    let names: Vec<String> = outcome.written.iter().map(|p| p.display().to_string()).collect();
    text.push_str(&format!("\nwrote {}\n", names.join(", ")));
    if a.report {
        let html = dir.join("report.html");
        crate::report::write(std::slice::from_ref(&dir), None, &html)?;
        text.push_str(&format!("wrote {}\n", html.display()));
    }
    super::emit(&text)
}
