//! Running the runs: a rayon pool of `jobs` threads, each taking the next
//! run index from a shared counter and simulating it on its own (a
//! simulation is single-threaded and `Send`). Finished rows come back over
//! a channel to the calling thread, which writes them strictly in index
//! order: rows that finish early wait in a small reorder buffer. Because
//! runs are handed out in index order, that buffer holds about one row per
//! job, so memory grows with jobs, not with the number of runs.
//!
//! A stop request (Ctrl-C) ends every simulation at its next check (every
//! 4096 events) and hands out no new run; rows already finished are kept.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

use super::Plan;
use super::shard::Shard;
use super::table::run_cells;
use crate::error::Error;
use crate::output::{DirSink, NullSink, Sink, Summary};
use crate::scenario::Scenario;
use crate::sim::Simulation;

/// The most threads a sweep runs on: each holds a run in memory, and past
/// the cores they only wait (a 256-core node is the largest in common use).
pub const MAX_JOBS: usize = 256;

/// How to run a sweep.
#[derive(Clone, Debug)]
pub struct Options {
    /// Runs at once, on this many threads (1 to [`MAX_JOBS`]).
    pub jobs: usize,
    /// Which runs.
    pub shard: Shard,
    /// Keep each run's `timeseries.csv`, `events.csv` and `summary.json` in
    /// `DIR/run-NNNN/`.
    pub keep_runs: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Options {
        Options { jobs: 1, shard: Shard::WHOLE, keep_runs: None }
    }
}

/// How the runs ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished {
    /// Runs completed (rows written).
    pub done: usize,
    /// Runs this shard owns.
    pub total: usize,
    /// Whether a stop request ended it early.
    pub interrupted: bool,
}

enum Failure {
    Error(Error),
    Panic(Box<dyn std::any::Any + Send>),
}

/// The name of run `r`'s directory under `--keep-runs`.
pub fn run_dir(dir: &Path, r: usize, runs: usize) -> PathBuf {
    let width = runs.saturating_sub(1).max(1).to_string().len();
    dir.join(format!("run-{r:0width$}"))
}

/// Simulates `scenario` at `seed` into `sink` to the end; `None` if a stop
/// request ended it. `at` names the run in I/O errors.
pub fn simulate(
    scenario: Arc<Scenario>,
    seed: u64,
    sink: Box<dyn Sink + Send>,
    at: &Path,
    halted: &dyn Fn() -> bool,
) -> Result<Option<Summary>, Error> {
    let mut sim = Simulation::new(scenario, seed, sink).map_err(|e| Error::io(at, e))?;
    let mut events: u32 = 0;
    while sim.step() {
        events = events.wrapping_add(1);
        if events & 0xfff == 0 && halted() {
            return Ok(None);
        }
    }
    sim.finish().map(Some).map_err(|e| Error::io(at, e))
}

/// The sink of run `r`: its directory under `--keep-runs`, or nothing.
pub fn run_sink(keep: Option<&Path>, r: usize, runs: usize) -> Result<Box<dyn Sink + Send>, Error> {
    match keep {
        Some(dir) => {
            let d = run_dir(dir, r, runs);
            Ok(Box::new(DirSink::create(&d).map_err(|e| Error::io(&d, e))?))
        }
        None => Ok(Box::new(NullSink)),
    }
}

/// Runs one run; `None` if a stop request ended it.
fn run_one(
    plan: &Plan,
    r: usize,
    keep: Option<&Path>,
    halted: &dyn Fn() -> bool,
) -> Result<Option<Vec<String>>, Error> {
    let (point, seed) = plan.locate(r);
    let scenario = Arc::new(Scenario::load(&plan.file.scenario, &plan.overrides(point))?);
    let sink = run_sink(keep, r, plan.runs())?;
    let at = keep.map_or_else(|| plan.file.scenario.clone(), |dir| run_dir(dir, r, plan.runs()));
    let summary = simulate(scenario, seed, sink, &at, halted)?;
    Ok(summary.map(|s| run_cells(r, point, &plan.value_strings(point), seed, &s)))
}

/// Runs the shard's runs on `opts.jobs` threads, handing each finished row
/// to `on_row` in index order and reporting `(done, total)` to `progress`.
pub fn run_rows(
    plan: &Plan,
    opts: &Options,
    stop: &AtomicBool,
    on_row: &mut dyn FnMut(&[String]) -> Result<(), Error>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Finished, Error> {
    let total = opts.shard.len(plan.runs());
    let work =
        |k: usize, halted: &dyn Fn() -> bool| run_one(plan, opts.shard.run(k), opts.keep_runs.as_deref(), halted);
    let on_panic = |k: usize| {
        let r = opts.shard.run(k);
        eprintln!("scalesim: run {r} panicked; reproduce it alone with:\n  {}", plan.reproduce(r));
    };
    run_indexed(opts.jobs, total, stop, &work, &mut |_, row: Vec<String>| on_row(&row), progress, &on_panic)
}

/// Computes item `k`, checking the stop function now and then: `None` when
/// a stop request ended it.
pub type Work<'a, T> = dyn Fn(usize, &dyn Fn() -> bool) -> Result<Option<T>, Error> + Sync + 'a;

/// Runs items `0..total` on `jobs` threads (`work` computes item `k`;
/// `None` when a stop request ended it), handing each result to `on_item`
/// strictly in index order and reporting `(done, total)` to `progress`.
/// The first error (lowest index) is returned; a panic is reported by
/// `on_panic(k)` and resumed. Sweeps and `compare` both run through it.
#[allow(clippy::too_many_arguments)]
pub fn run_indexed<T: Send>(
    jobs: usize,
    total: usize,
    stop: &AtomicBool,
    work: &Work<'_, T>,
    on_item: &mut dyn FnMut(usize, T) -> Result<(), Error>,
    progress: &mut dyn FnMut(usize, usize),
    on_panic: &dyn Fn(usize),
) -> Result<Finished, Error> {
    let jobs = jobs.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("scalesim-sweep-{i}"))
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {jobs} threads: {e}")))?;
    let next = AtomicUsize::new(0);
    let halt = AtomicBool::new(false);
    let halted = || halt.load(Ordering::Relaxed) || stop.load(Ordering::Relaxed);
    let (tx, rx) = mpsc::channel::<(usize, Result<Option<T>, Failure>)>();

    let mut buffer: BTreeMap<usize, T> = BTreeMap::new();
    let mut written = 0usize; // local index of the next row to write
    let mut done = 0usize;
    let mut failure: Option<(usize, Failure)> = None;
    progress(0, total);
    pool.in_place_scope(|s| {
        for _ in 0..jobs.min(total) {
            let tx = tx.clone();
            let (next, halted) = (&next, &halted);
            s.spawn(move |_| {
                loop {
                    if halted() {
                        break;
                    }
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= total {
                        break;
                    }
                    let result = catch_unwind(AssertUnwindSafe(|| work(k, halted)));
                    let sent = match result {
                        Ok(Ok(row)) => Ok(row),
                        Ok(Err(e)) => Err(Failure::Error(e)),
                        Err(panic) => Err(Failure::Panic(panic)),
                    };
                    if tx.send((k, sent)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (k, result) in rx {
            match result {
                Ok(Some(row)) => {
                    done += 1;
                    buffer.insert(k, row);
                    while let Some(item) = buffer.remove(&written) {
                        if let Err(e) = on_item(written, item) {
                            halt.store(true, Ordering::Relaxed);
                            failure.get_or_insert((k, Failure::Error(e)));
                        }
                        written += 1;
                    }
                    progress(done, total);
                }
                Ok(None) => {}
                Err(f) => {
                    halt.store(true, Ordering::Relaxed);
                    if failure.as_ref().is_none_or(|(first, _)| k < *first) {
                        failure = Some((k, f));
                    }
                }
            }
        }
    });
    if let Some((k, f)) = failure {
        return match f {
            Failure::Error(e) => Err(e),
            Failure::Panic(payload) => {
                on_panic(k);
                std::panic::resume_unwind(payload)
            }
        };
    }
    // Stopped early: rows that finished after a gap are kept too, in order.
    for (k, item) in buffer {
        on_item(k, item)?;
    }
    Ok(Finished { done, total, interrupted: done < total })
}
