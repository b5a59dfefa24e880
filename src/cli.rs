//! The `scalesim` command line: raw arguments (clap) → validated inputs →
//! a command. Commands print to stdout; problems go to stderr via `main`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, Subcommand};

use crate::error::Error;
use crate::output::{DirSink, FILES};
use crate::scenario::{Override, SECTIONS, Scenario};
use crate::sim::Simulation;

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
        /// Output directory [default: out/<scenario name>/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Master seed (overrides the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Override a field: --set fleet.initial=4 (repeatable).
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
        /// Append the [[events]] of a file (a saved game-day session).
        #[arg(long)]
        events: Option<PathBuf>,
        /// Print nothing on success.
        #[arg(long, short)]
        quiet: bool,
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
    /// Print every scenario field with its default and meaning.
    Fields,
}

/// Parses `--set` arguments.
pub fn overrides(args: &[String]) -> Result<Vec<Override>, Error> {
    let parsed: Result<Vec<_>, _> = args.iter().map(|a| Override::parse(a)).collect();
    parsed.map_err(|p| Error::Invalid(crate::scenario::problem::Problems(vec![p])))
}

/// Runs a command.
pub fn execute(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Run { scenario, out, seed, set, events, quiet } => {
            run(&scenario, out.as_deref(), seed, &overrides(&set)?, events.as_deref(), quiet)
        }
        Command::Tui { scenario, out, seed, set, session } => tui(scenario, out, seed, set, session),
        Command::Check { scenario, set } => check(&scenario, &overrides(&set)?),
        Command::Fields => {
            print!("{}", fields_reference());
            Ok(())
        }
    }
}

fn run(
    path: &Path,
    out: Option<&Path>,
    seed: Option<u64>,
    set: &[Override],
    events: Option<&Path>,
    quiet: bool,
) -> Result<(), Error> {
    let scenario = Arc::new(Scenario::load_with_events(path, set, events)?);
    let seed = seed.unwrap_or(scenario.seed);
    let dir = out.map_or_else(|| Path::new("out").join(&scenario.name), Path::to_path_buf);
    let sink = DirSink::create(&dir).map_err(|e| Error::io(&dir, e))?;
    let started = Instant::now();
    let sim = Simulation::new(scenario.clone(), seed, Box::new(sink)).map_err(|e| Error::io(path, e))?;
    let summary = sim.finish().map_err(|e| Error::io(&dir, e))?;
    if !quiet {
        let wall = started.elapsed().as_secs_f64();
        let mut stdout = std::io::stdout().lock();
        let _ = write!(stdout, "{}", summary.render());
        let speed = summary.duration_s / wall.max(1e-9);
        let memory = peak_rss_mib().map_or(String::new(), |m| format!(", peak memory {m:.1} MiB"));
        let _ = writeln!(
            stdout,
            "  wrote      {} ({})\n  took       {wall:.2} s wall ({speed:.0}× real time, {:.2} M attempts/s{memory})",
            dir.display(),
            FILES.join(", "),
            summary.requests.attempts as f64 / wall.max(1e-9) / 1e6
        );
    }
    Ok(())
}

fn tui(
    path: PathBuf,
    out: Option<PathBuf>,
    seed: Option<u64>,
    sets: Vec<String>,
    session: Option<PathBuf>,
) -> Result<(), Error> {
    let scenario = Arc::new(Scenario::load(&path, &overrides(&sets)?)?);
    let seed = seed.unwrap_or(scenario.seed);
    let out = out.unwrap_or_else(|| Path::new("out").join(&scenario.name));
    let session = session.unwrap_or_else(|| out.join("session.toml"));
    let options = crate::tui::Options { scenario_path: path, scenario, seed, sets, out, session };
    print!("{}", crate::tui::run(&options)?);
    Ok(())
}

fn check(path: &Path, set: &[Override]) -> Result<(), Error> {
    let s = Scenario::load(path, set)?;
    println!("{}: ok — {} ({}, seed {}, policy {})", path.display(), s.name, s.duration, s.seed, s.autoscaler.name);
    Ok(())
}

/// The process's peak resident memory in MiB (Linux: VmHWM), if known.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The reference of every field, as `scalesim fields` prints it.
pub fn fields_reference() -> String {
    let mut out = String::from("# Scenario fields\n\nEvery field, its default and its meaning (`scalesim fields`).\n");
    let sections = SECTIONS.iter().copied().chain(crate::policy::NAMES.iter().map(|(n, f)| (*n, *f)));
    for (section, fields) in sections {
        let title = match section {
            "" => "top level".to_string(),
            s if crate::policy::NAMES.iter().any(|(n, _)| *n == s) => {
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
