//! The `scalesim` command line: raw arguments (clap) → validated inputs →
//! a command. Commands print to stdout; problems go to stderr via `main`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, Subcommand};
use strum::IntoEnumIterator;

mod compare;
mod observe;

use crate::engine::time::SimDuration;
use crate::error::Error;
use crate::input::problem::{FieldPath, Origin, Problem, Problems};
use crate::interrupt::{self, Signal};
use crate::output::{DirSink, FILES, INPUTS_FILE};
use crate::policy::PolicyName;
use crate::policy::hpa::{self, HpaControllerConfig, record, record::ReplayOptions};
use crate::scenario::{Override, SECTIONS, Scenario};
use crate::sim::Simulation;
use crate::sweep;
use crate::sweep::progress::Progress;
use crate::sweep::shard::Shard;

mod progress;

/// A deterministic discrete-event simulator of autoscaled web services.
#[derive(Debug, Parser)]
#[command(name = "scalesim", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario: writes timeseries.csv, events.csv and summary.json and
    /// prints a summary.
    Run {
        /// The scenario file.
        scenario: PathBuf,
        /// Output directory [default: out/<scenario name>/, or out/<name>-2/,
        /// -3/, … if that exists; see README "Commands"].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write the default output directory out/<scenario name>/ even if it
        /// exists, replacing its files.
        #[arg(long)]
        force: bool,
        /// Master seed (overrides the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Override a field: --set fleet.initial=4 (repeatable).
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
        /// Append the [[events]] of a file (a saved game-day session).
        #[arg(long)]
        events: Option<PathBuf>,
        /// Also write hpa_inputs.csv: what the HPA read at each sync, in the
        /// format `scalesim hpa --metrics` replays.
        #[arg(long)]
        hpa_inputs: bool,
        /// Print nothing on success (and no progress).
        #[arg(long, short)]
        quiet: bool,
        /// Also write report.html (see `scalesim report`) beside the CSVs.
        #[arg(long)]
        report: bool,
        /// Also write the time series in the OpenMetrics text format (see
        /// `scalesim export`).
        #[arg(long, value_name = "FILE")]
        openmetrics: Option<PathBuf>,
        /// With --openmetrics: the instant of simulated time 0 (RFC 3339) [default: now].
        #[arg(long, value_name = "INSTANT", requires = "openmetrics")]
        start: Option<String>,
    },
    /// The game-day dashboard: watch a run live, inject faults, take runbook
    /// actions. Writes the run's files like `run` and records the session
    /// for `run --events` to replay.
    Tui {
        /// The scenario file.
        scenario: PathBuf,
        /// Output directory [default: out/<scenario name>/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Master seed (overrides the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Override a field: --set fleet.initial=4 (repeatable).
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
        /// Where to record the session [default: session.toml in the output directory].
        #[arg(long)]
        session: Option<PathBuf>,
    },
    /// Validate a scenario without running it.
    Check {
        /// The scenario file.
        scenario: PathBuf,
        /// Override a field (repeatable).
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
    },
    /// Print every scenario field with its default and meaning (README
    /// "Scenario files").
    Fields {
        /// Only this section: a table name (fleet, autoscaler, events, …; the
        /// autoscaler's includes every policy's fields), a policy name (hpa,
        /// threshold, …), `top` for the top-level fields or `types` for
        /// instance-type families.
        section: Option<String>,
    },
    /// Run a parameter sweep: many variants of a scenario in parallel, one
    /// CSV row per run, an aggregate per point, and the Pareto front of cost
    /// against SLO attainment (see docs/sweeps.md).
    Sweep {
        /// The sweep file.
        sweep: PathBuf,
        /// The runs CSV [default: out/<sweep name>.csv, or
        /// out/<name>.shard-I-of-N.csv for a shard; a directory (or a path
        /// ending in '/') gets that name inside]. The aggregate goes beside
        /// it as <stem>.points.csv.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Runs at once [default: the number of CPUs].
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Run only shard I of N (0-based; runs with index ≡ I mod N).
        /// Without it: $SCALESIM_SHARD, or $JOB_COMPLETION_INDEX /
        /// $SLURM_ARRAY_TASK_ID with $SCALESIM_SHARDS as the count.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Keep every run's outputs in DIR/run-NNN/.
        #[arg(long, value_name = "DIR")]
        keep_runs: Option<PathBuf>,
        /// Print no progress.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Compare policies on the same workloads and seeds: run every
    /// contender on every scenario in parallel, then rank them by a
    /// pairwise tournament on the elasticity scorecard, SLO attainment and
    /// cost (README "Comparing policies").
    Compare {
        /// The compare file (see compares/).
        file: Option<PathBuf>,
        /// A workload, instead of the file's scenarios (repeatable).
        #[arg(long = "scenario", value_name = "FILE")]
        scenarios: Vec<PathBuf>,
        /// A contender: a policy file ([autoscaler] only), as NAME=FILE or
        /// FILE (named after it); added to the file's (repeatable).
        #[arg(long = "policy", value_name = "NAME=FILE")]
        policies: Vec<String>,
        /// Seeds per scenario: its seed and the next N−1 (instead of the file's).
        #[arg(long, value_name = "N")]
        seeds: Option<u64>,
        /// Override a field in every run, e.g. --set duration=20m (repeatable).
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
        /// Runs at once [default: the number of CPUs].
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Output directory [default: out/<comparison name>/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Keep every run's outputs in DIR/run-NN/.
        #[arg(long, value_name = "DIR")]
        keep_runs: Option<PathBuf>,
        /// Also write report.html into the output directory.
        #[arg(long)]
        report: bool,
        /// Print no progress.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Scale up, scale out, or optimize first? Run the scenario, name what
    /// binds, run the alternatives the symptoms call for (as --set
    /// overrides, in parallel, at the same seed) and give the verdict
    /// (README "Diagnose").
    Diagnose {
        /// The scenario file.
        scenario: PathBuf,
        /// Override a field in every run (repeatable).
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
        /// Master seed (overrides the scenario's); every run uses it.
        #[arg(long)]
        seed: Option<u64>,
        /// The most runs, the baseline included.
        #[arg(long, default_value_t = 12)]
        budget: usize,
        /// Runs at once [default: the number of CPUs].
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Where diagnose.json and its report.html go [default: out/<scenario name>-diagnose/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Keep every run's outputs in DIR/<variant>/ (DIR/baseline/ too).
        #[arg(long, value_name = "DIR")]
        keep_runs: Option<PathBuf>,
    },
    /// Join the shard files of a sweep into the file one machine would have
    /// written (and its aggregate); refuses shards of different sweeps and
    /// missing or incomplete shards.
    Merge {
        /// The shard files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The merged runs CSV (the aggregate goes beside it).
        #[arg(long)]
        out: PathBuf,
    },
    /// One self-contained HTML report (no network needed): of a run
    /// directory, of several compared, or of a sweep's runs CSV.
    Report {
        /// Run directories, or one sweep CSV.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// The HTML file [default: report.html in the run directory, or
        /// <stem>.report.html beside the sweep CSV; report.html for a comparison].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write a run directory's time series in another format, e.g. OpenMetrics
    /// for `promtool tsdb create-blocks-from openmetrics`.
    Export {
        /// The format.
        format: ExportFormat,
        /// The run directory.
        dir: PathBuf,
        /// The output file [default: DIR/metrics.om.txt].
        #[arg(long)]
        out: Option<PathBuf>,
        /// The instant of simulated time 0 (RFC 3339, e.g. 2026-01-01T00:00:00Z) [default: now].
        #[arg(long, value_name = "INSTANT")]
        start: Option<String>,
        /// The `run` label [default: the directory's name].
        #[arg(long = "run", value_name = "NAME")]
        run_label: Option<String>,
    },
    /// Replay recorded metrics through a Kubernetes HPA controller alone and
    /// write each sync's decision with its reason (CSV): what this HPA would
    /// have done. The metrics format is in the README, "Replaying recorded
    /// metrics: scalesim hpa".
    Hpa {
        /// An autoscaling/v2 HorizontalPodAutoscaler manifest (YAML).
        #[arg(long)]
        manifest: PathBuf,
        /// Recorded metrics: t_seconds,pod,... (per pod) or t_seconds,replicas,... (averages).
        #[arg(long)]
        metrics: PathBuf,
        /// Write the decisions here instead of to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Sync on this grid (e.g. 15s) instead of at every recorded instant.
        #[arg(long)]
        sync_period: Option<String>,
        /// spec.replicas at the first sync [default: the first instant's pods].
        #[arg(long)]
        replicas: Option<u32>,
        /// The sample window where the file gives none.
        #[arg(long, default_value = "60s")]
        metric_window: String,
        /// --horizontal-pod-autoscaler-tolerance.
        #[arg(long, default_value_t = 0.1)]
        tolerance: f64,
        /// --horizontal-pod-autoscaler-cpu-initialization-period.
        #[arg(long, default_value = "5m")]
        cpu_initialization_period: String,
        /// --horizontal-pod-autoscaler-initial-readiness-delay.
        #[arg(long, default_value = "30s")]
        initial_readiness_delay: String,
        /// --horizontal-pod-autoscaler-downscale-stabilization.
        #[arg(long, default_value = "5m")]
        downscale_stabilization: String,
    },
    /// Import monitoring data: a rate trace, per-pod metrics for `scalesim
    /// hpa --metrics`, the observed series, and a calibrated scenario skeleton.
    Import {
        /// Where the data comes from.
        #[command(subcommand)]
        source: ImportSource,
    },
    /// Fit the fleet's parameters (CPU per request, service time, cores,
    /// workers, cold start, metric delay) to Prometheus exports and print
    /// them with their uncertainty and residuals.
    Calibrate {
        /// An import TOML naming the files and their roles, or a directory holding import.toml.
        config: Option<PathBuf>,
        /// ROLE=FILE instead of a TOML (repeatable; ROLE:counter=FILE for a raw counter).
        #[arg(long = "series", value_name = "ROLE=FILE")]
        series: Vec<String>,
    },
    /// Replay observed traffic through a scenario and report, per series,
    /// how far the simulation is from the observation (validation.csv,
    /// overlay.csv).
    Validate {
        /// The (calibrated) scenario.
        scenario: PathBuf,
        /// The Prometheus exports: a directory holding import.toml (or the TOML).
        #[arg(long)]
        observed: PathBuf,
        /// Output directory [default: out/<scenario name>-validation/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Master seed (overrides the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Override a field (repeatable).
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
    },
}

/// Sources `scalesim import` reads.
#[derive(Debug, Subcommand)]
pub enum ImportSource {
    /// Prometheus HTTP API query_range JSON, one file per query.
    Prometheus {
        /// An import TOML naming the files and their roles, or a directory holding import.toml.
        config: Option<PathBuf>,
        /// ROLE=FILE instead of a TOML (repeatable; ROLE:counter=FILE for a raw counter).
        #[arg(long = "series", value_name = "ROLE=FILE")]
        series: Vec<String>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// The skeleton scenario's name [default: the output directory's name].
        #[arg(long)]
        name: Option<String>,
    },
}

/// The formats `scalesim export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// The OpenMetrics text format (Prometheus).
    Openmetrics,
}

/// Parses `--set` arguments.
pub fn overrides(args: &[String]) -> Result<Vec<Override>, Error> {
    let parsed: Result<Vec<_>, _> = args.iter().map(|a| Override::parse(a)).collect();
    parsed.map_err(|p| Error::Invalid(crate::input::problem::Problems(vec![p])))
}

/// Runs a command.
pub fn execute(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Run { scenario, out, force, seed, set, events, hpa_inputs, quiet, report, openmetrics, start } => {
            let extras = Extras { hpa_inputs, report, openmetrics, start };
            let out = OutDir::new(out, force);
            run(&scenario, &out, seed, &overrides(&set)?, events.as_deref(), quiet, &extras)
        }
        Command::Report { inputs, out } => {
            let out = out.unwrap_or_else(|| match inputs.as_slice() {
                [one] if one.is_file() => with_suffix(one, ".report.html"),
                [one] => one.join("report.html"),
                _ => PathBuf::from("report.html"),
            });
            crate::report::write(&inputs, None, &out)?;
            println!("wrote {}", out.display());
            Ok(())
        }
        Command::Export { format: ExportFormat::Openmetrics, dir, out, start, run_label } => {
            let out = out.unwrap_or_else(|| dir.join("metrics.om.txt"));
            export_openmetrics(&dir, &out, start.as_deref(), run_label.as_deref())?;
            println!("wrote {}", out.display());
            Ok(())
        }
        Command::Tui { scenario, out, seed, set, session } => tui(scenario, out, seed, set, session),
        Command::Check { scenario, set } => check(&scenario, &overrides(&set)?),
        Command::Fields { section } => emit(&fields_section(section.as_deref())?),
        Command::Sweep { sweep, out, jobs, shard, keep_runs, quiet } => {
            let shard = match shard {
                Some(s) => Shard::parse(&s).map_err(|e| Error::Usage(format!("--shard: {e}")))?,
                None => {
                    Shard::from_env(&|k: &str| std::env::var(k).ok()).map_err(Error::Usage)?.unwrap_or(Shard::WHOLE)
                }
            };
            let jobs = jobs_arg(jobs)?;
            run_sweep(&sweep, out, sweep::Options { jobs, shard, keep_runs }, quiet)
        }
        Command::Compare { file, scenarios, policies, seeds, set, jobs, out, keep_runs, report, quiet } => {
            let jobs = jobs_arg(jobs)?;
            compare::run(compare::Args { file, scenarios, policies, seeds, set, jobs, out, keep_runs, report, quiet })
        }
        Command::Diagnose { scenario, set, seed, budget, jobs, out, keep_runs } => {
            if budget < 2 {
                return Err(Error::Usage("--budget must be at least 2: the baseline and one variant".into()));
            }
            let jobs = jobs_arg(jobs)?;
            diagnose(&scenario, &set, seed, out, crate::diagnose::Options { jobs, budget, keep_runs })
        }
        Command::Merge { files, out } => merge(&files, &out),
        Command::Import { source: ImportSource::Prometheus { config, series, out, name } } => {
            observe::import_prometheus(config.as_deref(), &series, &out, name.as_deref())
        }
        Command::Calibrate { config, series } => observe::calibrate(config.as_deref(), &series),
        Command::Validate { scenario, observed, out, seed, set } => {
            observe::validate(&scenario, &observed, out, seed, &overrides(&set)?)
        }
        Command::Hpa {
            manifest,
            metrics,
            out,
            sync_period,
            replicas,
            metric_window,
            tolerance,
            cpu_initialization_period,
            initial_readiness_delay,
            downscale_stabilization,
        } => {
            let duration = |flag: &str, text: &str| {
                SimDuration::parse(text)
                    .map_err(|_| Error::Usage(format!("--{flag} '{text}' is not a duration (e.g. 15s, 5m)")))
            };
            if !(tolerance >= 0.0 && tolerance.is_finite()) {
                return Err(Error::Usage(format!("--tolerance '{tolerance}' must be a number ≥ 0")));
            }
            let config = HpaControllerConfig {
                tolerance,
                cpu_initialization_period: duration("cpu-initialization-period", &cpu_initialization_period)?,
                initial_readiness_delay: duration("initial-readiness-delay", &initial_readiness_delay)?,
                downscale_stabilization_window: duration("downscale-stabilization", &downscale_stabilization)?,
                ..HpaControllerConfig::default()
            };
            let options = ReplayOptions {
                sync_period: sync_period.as_deref().map(|s| duration("sync-period", s)).transpose()?,
                replicas,
            };
            let window = duration("metric-window", &metric_window)?;
            let csv = hpa_replay(&manifest, &metrics, config, window, &options)?;
            match out {
                Some(path) => crate::output::atomic::write(&path, csv.as_bytes()).map_err(|e| Error::io(&path, e)),
                None => emit(&csv),
            }
        }
    }
}

/// `scalesim hpa`: reads and checks the manifest and the metrics, replays
/// them, and returns the decisions as CSV.
pub fn hpa_replay(
    manifest: &Path,
    metrics: &Path,
    config: HpaControllerConfig,
    window: SimDuration,
    options: &ReplayOptions,
) -> Result<String, Error> {
    readable(metrics)?;
    let text = crate::input::read_to_string(manifest).map_err(|e| Error::io(manifest, e))?;
    let located = |path: &Path, line: Option<usize>, field: Option<FieldPath>, message: String, hint| {
        Error::Invalid(Problems(vec![Problem {
            origin: Origin::File { path: path.to_path_buf(), line },
            field,
            message,
            hint,
        }]))
    };
    let spec = match hpa::parse_manifest(&text) {
        Ok(m) => m.spec,
        Err(e) => {
            // The YAML's own line index locates errors that carry only a path.
            let source = crate::input::manifest::parse(manifest, &text, &FieldPath::root()).ok().map(|(_, s)| s);
            let line_of = |path: &str| {
                let p = FieldPath::parse(path)?;
                source.as_ref()?.line(&p)
            };
            let problems = match e {
                hpa::ManifestError::Invalid(errors) => errors
                    .into_iter()
                    .map(|f| Problem {
                        origin: Origin::File { path: manifest.to_path_buf(), line: line_of(&f.path) },
                        field: FieldPath::parse(&f.path),
                        message: f.message,
                        hint: None,
                    })
                    .collect(),
                hpa::ManifestError::Syntax { path, line, message, .. } => vec![Problem {
                    origin: Origin::File { path: manifest.to_path_buf(), line: line.or_else(|| line_of(&path)) },
                    field: FieldPath::parse(&path),
                    message,
                    hint: None,
                }],
                other => {
                    let line = match &other {
                        hpa::ManifestError::ApiVersion { .. } => line_of("apiVersion"),
                        hpa::ManifestError::Kind { .. } => line_of("kind"),
                        _ => None,
                    };
                    vec![Problem {
                        origin: Origin::File { path: manifest.to_path_buf(), line },
                        field: None,
                        message: other.to_string(),
                        hint: None,
                    }]
                }
            };
            return Err(Error::Invalid(Problems(problems)));
        }
    };
    let data = crate::input::read_to_string(metrics).map_err(|e| Error::io(metrics, e))?;
    let recorded = record::parse(&data, &spec, window).map_err(|p| {
        located(metrics, Some(p.line), p.column.as_deref().and_then(FieldPath::parse), p.message, p.hint)
    })?;
    let syncs = record::sync_count(&recorded, options.sync_period);
    if syncs > record::MAX_SYNCS {
        let span = recorded.last().map_or(SimDuration::ZERO, |l| l.at - recorded[0].at);
        let shortest = SimDuration::from_nanos(span.as_nanos().div_ceil(record::MAX_SYNCS - 1));
        return Err(Error::Usage(format!(
            "--sync-period gives {syncs} syncs over the file's {span}; at most {} run in one replay: use a period of at least {shortest}",
            record::MAX_SYNCS
        )));
    }
    let rows = record::replay(spec, config, &recorded, options);
    Ok(record::decisions_csv(&rows))
}

fn run_sweep(path: &Path, out: Option<PathBuf>, opts: sweep::Options, quiet: bool) -> Result<(), Error> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {} threads: {e}", opts.jobs)))?;
    readable(path)?;
    let plan = pool.install(|| sweep::Plan::load(path))?;
    drop(pool);
    let shard = opts.shard;
    let name = if shard.is_whole() {
        format!("{}.csv", plan.file.name)
    } else {
        format!("{}.shard-{}-of-{}.csv", plan.file.name, shard.index, shard.count)
    };
    let out = match out {
        None => Path::new("out").join(name),
        Some(dir) if dir.is_dir() || dir.as_os_str().to_string_lossy().ends_with('/') => dir.join(name),
        Some(file) => file,
    };
    {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{}", plan.describe());
        if !shard.is_whole() {
            let _ = writeln!(stdout, "  shard {shard}: {} of the {} runs", shard.len(plan.runs()), plan.runs());
        }
    }
    interrupt::install("finishing no new run, keeping the finished rows");
    let started = Instant::now();
    let mut progress = Progress::new(&plan.file.name, shard.len(plan.runs()), quiet);
    let outcome =
        sweep::execute(&plan, &opts, &out, interrupt::flag(), &mut |done, total| progress.update(done, total));
    progress.finish();
    let outcome = outcome?;
    let f = &outcome.finished;
    if f.interrupted {
        let signal = interrupt::requested().unwrap_or(Signal::Interrupt);
        return Err(Error::Interrupted(
            signal,
            format!(
                "interrupted: kept the {} finished runs of {} in {} (in run order; no aggregate, it needs every run)",
                f.done,
                f.total,
                outcome.runs_path.display()
            ),
        ));
    }
    let wall = started.elapsed().as_secs_f64();
    let mut stdout = std::io::stdout().lock();
    let memory = peak_rss_mib().map_or(String::new(), |m| format!(", peak memory {m:.1} MiB"));
    let _ = writeln!(
        stdout,
        "ran {} runs on {} job{} in {wall:.1} s ({:.0} runs/min{memory})",
        f.done,
        opts.jobs,
        if opts.jobs == 1 { "" } else { "s" },
        f.done as f64 * 60.0 / wall.max(1e-9)
    );
    match (&outcome.points_path, &outcome.stats) {
        (points, Some(stats)) => {
            let _ = match points {
                Some(points) => writeln!(stdout, "wrote {} and {}", outcome.runs_path.display(), points.display()),
                None => {
                    writeln!(
                        stdout,
                        "wrote {} (no aggregate or report beside a device or pipe)",
                        outcome.runs_path.display()
                    )
                }
            };
            let recommend = &plan.file.recommender;
            let _ =
                write!(stdout, "{}", sweep::pareto::render(&plan.param_names(), stats, recommend, &plan.base.currency));
            // A report reads the runs file back: only beside a regular file
            // (a device or pipe given as --out keeps nothing to read).
            if points.is_some() {
                let report = with_suffix(&outcome.runs_path, ".report.html");
                let mut base = plan.file.scenario.display().to_string();
                for o in &plan.file.set {
                    base.push_str(&format!(" --set '{}'", o.raw));
                }
                crate::report::write(std::slice::from_ref(&outcome.runs_path), Some(&base), &report)?;
                let _ = writeln!(stdout, "report: {}", report.display());
            }
        }
        _ => {
            let _ = writeln!(
                stdout,
                "wrote shard {shard} to {}; join the shards with: scalesim merge FILES... --out FILE",
                outcome.runs_path.display()
            );
        }
    }
    Ok(())
}

fn merge(files: &[PathBuf], out: &Path) -> Result<(), Error> {
    let merged = sweep::merge::merge(files, out)?;
    let mut stdout = std::io::stdout().lock();
    let points = merged
        .points_path
        .as_ref()
        .map_or(" (no aggregate beside a device or pipe)".into(), |p| format!(" and {}", p.display()));
    let _ = writeln!(
        stdout,
        "merged {} shard file{} of sweep {} ({} runs) into {}{points}",
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        merged.header.name,
        merged.header.runs,
        out.display(),
    );
    // The shard files do not carry the sweep file: the default objective
    // and constraints, and no currency.
    let recommend = sweep::objective::Recommender::default();
    let _ = write!(stdout, "{}", sweep::pareto::render(&merged.params, &merged.stats, &recommend, ""));
    Ok(())
}

fn run(
    path: &Path,
    out: &OutDir,
    seed: Option<u64>,
    set: &[Override],
    events: Option<&Path>,
    quiet: bool,
    extras: &Extras,
) -> Result<(), Error> {
    readable(path)?;
    if let Some(events) = events {
        readable(events)?;
    }
    let hpa_inputs = extras.hpa_inputs;
    let start_ms =
        extras.start.as_deref().map(crate::output::openmetrics::parse_start).transpose().map_err(Error::Usage)?;
    let scenario = Arc::new(Scenario::load_with_events(path, set, events)?);
    let seed = seed.unwrap_or(scenario.seed);
    let dir = out.resolve(path, &scenario.name)?;
    let mut sink = DirSink::create(&dir).map_err(|e| Error::io(&dir, e))?;
    if hpa_inputs {
        sink.record_policy_inputs().map_err(|e| Error::io(&dir, e))?;
    }
    let started = Instant::now();
    let mut sim = Simulation::new(scenario.clone(), seed, Box::new(sink)).map_err(|e| Error::io(path, e))?;
    interrupt::install("the run's files will not be written");
    if let Some(signal) = progress::RunProgress::new(quiet).drive(&mut sim) {
        let (now, end) = (sim.now(), sim.end());
        drop(sim);
        let kept = format!("interrupted at {now} of {end}: wrote nothing to {}", dir.display());
        return Err(Error::Interrupted(signal, kept));
    }
    let summary = sim.finish().map_err(|e| Error::io(&dir, e))?;
    if !quiet {
        let wall = started.elapsed().as_secs_f64();
        let speed = summary.duration_s / wall.max(1e-9);
        let memory = peak_rss_mib().map_or(String::new(), |m| format!(", peak memory {m:.1} MiB"));
        emit(&format!(
            "{}  wrote      {} ({})\n  took       {wall:.2} s wall ({speed:.0}× real time, {:.2} M attempts/s{memory})\n",
            summary.render(),
            dir.display(),
            FILES.iter().chain(hpa_inputs.then_some(&INPUTS_FILE)).copied().collect::<Vec<_>>().join(", "),
            summary.requests.attempts as f64 / wall.max(1e-9) / 1e6
        ))?;
    }
    if extras.report {
        let out = dir.join("report.html");
        crate::report::write(std::slice::from_ref(&dir), None, &out)?;
        if !quiet {
            emit(&format!("  report     {}\n", out.display()))?;
        }
    }
    if let Some(file) = &extras.openmetrics {
        let run = crate::output::read::RunDir::read(&dir)?;
        write_openmetrics(&run, file, start_ms.unwrap_or_else(crate::output::openmetrics::now_ms), &run.name())?;
        if !quiet {
            emit(&format!("  metrics    {} (OpenMetrics)\n", file.display()))?;
        }
    }
    Ok(())
}

/// What `run` writes besides the run's files.
#[derive(Debug, Default)]
pub struct Extras {
    /// hpa_inputs.csv: what the HPA read at each sync.
    pub hpa_inputs: bool,
    /// report.html beside the CSVs.
    pub report: bool,
    /// An OpenMetrics file.
    pub openmetrics: Option<PathBuf>,
    /// Its start instant (RFC 3339).
    pub start: Option<String>,
}

/// `x/y.csv` → `x/y<suffix>`.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{stem}{suffix}"))
}

fn export_openmetrics(dir: &Path, out: &Path, start: Option<&str>, label: Option<&str>) -> Result<(), Error> {
    let start_ms = start.map(crate::output::openmetrics::parse_start).transpose().map_err(Error::Usage)?;
    let run = crate::output::read::RunDir::read(dir)?;
    let label = label.map_or_else(|| run.name(), str::to_string);
    write_openmetrics(&run, out, start_ms.unwrap_or_else(crate::output::openmetrics::now_ms), &label)
}

fn write_openmetrics(run: &crate::output::read::RunDir, out: &Path, start_ms: i64, label: &str) -> Result<(), Error> {
    let file = std::fs::File::create(out).map_err(|e| Error::io(out, e))?;
    let mut w = std::io::BufWriter::new(file);
    crate::output::openmetrics::write(run, start_ms, label, &mut w)
        .and_then(|()| w.flush())
        .map_err(|e| Error::io(out, e))
}

fn tui(
    path: PathBuf,
    out: Option<PathBuf>,
    seed: Option<u64>,
    sets: Vec<String>,
    session: Option<PathBuf>,
) -> Result<(), Error> {
    readable(&path)?;
    let scenario = Arc::new(Scenario::load(&path, &overrides(&sets)?)?);
    let seed = seed.unwrap_or(scenario.seed);
    let out = OutDir::new(out, false).resolve(&path, &scenario.name)?;
    let session = session.unwrap_or_else(|| out.join("session.toml"));
    let options = crate::tui::Options { scenario_path: path, scenario, seed, sets, out, session };
    emit(&crate::tui::run(&options)?)
}

/// `--jobs` as given, or the number of CPUs.
fn jobs_arg(jobs: Option<usize>) -> Result<usize, Error> {
    match jobs {
        Some(0) => Err(Error::Usage("--jobs must be at least 1".into())),
        Some(n) if n > sweep::MAX_JOBS => Err(Error::Usage(format!(
            "--jobs {n} is more than {}: each job holds a run in memory, and past the cores they only wait",
            sweep::MAX_JOBS
        ))),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

fn diagnose(
    path: &Path,
    set: &[String],
    seed: Option<u64>,
    out: Option<PathBuf>,
    opts: crate::diagnose::Options,
) -> Result<(), Error> {
    readable(path)?;
    let started = std::time::Instant::now();
    interrupt::install("stopping the runs");
    let d = crate::diagnose::diagnose(path, set, seed, &opts)?;
    let dir = out.unwrap_or_else(|| Path::new("out").join(format!("{}-diagnose", d.scenario)));
    let file = dir.join("diagnose.json");
    let mut json = serde_json::to_string_pretty(&d).map_err(|e| Error::io(&file, std::io::Error::other(e)))?;
    json.push('\n');
    let mut f = crate::output::AtomicFile::create(&file).map_err(|e| Error::io(&file, e))?;
    f.write_all(json.as_bytes()).and_then(|()| f.commit()).map_err(|e| Error::io(&file, e))?;
    // The page reads what was written, as `scalesim report DIR` does.
    let page = dir.join("report.html");
    crate::report::write(std::slice::from_ref(&dir), None, &page)?;
    let mut text = d.render();
    text.push_str(&format!("  wrote      {}\n", file.display()));
    text.push_str(&format!("  report     {}\n", page.display()));
    if let Some(k) = &opts.keep_runs {
        text.push_str(&format!("  runs in    {}/<variant>/\n", k.display()));
    }
    text.push_str(&format!(
        "  took       {:.1} s wall ({} runs on {} jobs)\n",
        started.elapsed().as_secs_f64(),
        d.ranked.len() + 1,
        opts.jobs
    ));
    emit(&text)
}

fn check(path: &Path, set: &[Override]) -> Result<(), Error> {
    readable(path)?;
    let s = Scenario::load(path, set)?;
    let mut text = format!(
        "{}: ok — {} ({}, seed {}, policy {})\n",
        path.display(),
        s.name,
        s.duration,
        s.seed,
        s.autoscaler.name()
    );
    for advice in crate::analysis::advisor::advise(&s) {
        text.push_str(&format!("  {advice}\n"));
    }
    emit(&text)
}

/// The process's peak resident memory in MiB (Linux: VmHWM), if known.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Where `run` and `tui` write: the `--out` given, or `out/<name>/`; a
/// default directory that exists is kept (its results may be the baseline
/// just read) and the run goes to `out/<name>-2/`, `-3/`, … unless `--force`.
struct OutDir {
    given: Option<PathBuf>,
    force: bool,
}

impl OutDir {
    fn new(given: Option<PathBuf>, force: bool) -> OutDir {
        OutDir { given, force }
    }

    /// The directory to write; the default one from the scenario's `name`
    /// (checked: see [`crate::output::default_dir`]).
    fn resolve(&self, scenario: &Path, name: &str) -> Result<PathBuf, Error> {
        if let Some(dir) = &self.given {
            return Ok(dir.clone());
        }
        let base = crate::output::default_dir(scenario, name)?;
        if self.force || !base.exists() {
            return Ok(base);
        }
        // An unbounded range: some suffix is always free.
        Ok((2..).map(|n| Path::new("out").join(format!("{name}-{n}"))).find(|p| !p.exists()).expect("a free name"))
    }
}

/// Fails with an I/O error (exit 2) if the file named on the command line
/// cannot be read: a missing file is not invalid input.
fn readable(path: &Path) -> Result<(), Error> {
    std::fs::File::open(path).map(drop).map_err(|e| Error::io(path, e))
}

/// Writes a report to stdout; a closed pipe (`| head`) is a clean end (see
/// [`Error::is_broken_pipe`]).
fn emit(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).map_err(|e| Error::io("stdout", e))
}

/// The sections `scalesim fields SECTION` accepts, besides table and policy
/// names.
const TOP: &str = "top";
const TYPES: &str = "types";

/// `scalesim fields [SECTION]`: the whole reference, or one section of it
/// (`autoscaler` with every policy's fields).
fn fields_section(section: Option<&str>) -> Result<String, Error> {
    let reference = fields_reference();
    let Some(wanted) = section else { return Ok(reference) };
    let wanted = wanted.trim_matches(|c| c == '[' || c == ']');
    let policy = |s: &str| s.parse::<PolicyName>().is_ok();
    let keep = |key: &str| match wanted {
        TOP => key.is_empty(),
        TYPES => key == FAMILY,
        "autoscaler" => key == "autoscaler" || policy(key),
        w => key == w,
    };
    let keys = SECTIONS.iter().map(|(k, _)| *k).chain(PolicyName::iter().map(PolicyName::name)).chain([FAMILY]);
    if !keys.clone().any(keep) {
        let names: Vec<&str> = keys
            .map(|k| {
                if k.is_empty() {
                    TOP
                } else if k == FAMILY {
                    TYPES
                } else {
                    k
                }
            })
            .collect();
        return Err(Error::Usage(format!("fields: no section '{wanted}'\n    hint: one of {}", names.join(", "))));
    }
    // The reference is one `## ` block a section, in the order of `keys`.
    let mut blocks = reference.split("\n## ");
    let head = blocks.next().unwrap_or_default();
    let mut out = head.to_string();
    for (key, block) in keys.zip(blocks) {
        if keep(key) {
            out.push_str(&format!("\n## {block}"));
        }
    }
    Ok(out)
}

/// The family files' pseudo-section in the reference.
const FAMILY: &str = "instance types";

/// The reference of every field, as `scalesim fields` prints it.
pub fn fields_reference() -> String {
    let mut out = String::from("# Scenario fields\n\nEvery field, its default and its meaning (`scalesim fields`).\n");
    let sections = SECTIONS
        .iter()
        .copied()
        .chain(PolicyName::iter().map(|n| (n.name(), n.fields())))
        .chain([(FAMILY, crate::scenario::types::FIELDS)]);
    for (section, fields) in sections {
        let title = match section {
            "" => "top level".to_string(),
            FAMILY => "instance type families (the file `types = \"...\"` names)".to_string(),
            s if s.parse::<PolicyName>().is_ok() => {
                format!("[autoscaler] policy = \"{s}\"")
            }
            "events" => "[[events]]".to_string(),
            s => format!("[{s}]"),
        };
        out.push_str(&format!("\n## {title}\n\n| field | default | meaning |\n|---|---|---|\n"));
        for f in fields {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                f.key,
                f.default.replace('|', "\\|"),
                f.doc.replace('|', "\\|")
            ));
        }
    }
    out
}
