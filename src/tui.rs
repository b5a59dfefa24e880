//! The game-day dashboard (`scalesim tui`): one screen that shows the whole
//! system while a scenario runs, live fault injection and runbook actions,
//! and a recorded session that `scalesim run --events` replays byte for
//! byte.
//!
//! The parts, as ratatui's demo apps split them:
//! - [`app`]: the state (plain data, no wall clock);
//! - [`action`]: keys → commands, one pure function over one table;
//! - [`update`]: commands → state, and the effects on the simulation;
//! - [`render`]: pure drawing, one file per screen region;
//! - [`driver`]: the event loop — wall-clock pacing, the simulation, input;
//! - [`session`]: recording actions at their exact simulated times;
//! - [`feed`]: the tee that writes the run's files and feeds the screen.

pub mod action;
pub mod app;
pub mod driver;
pub mod feed;
pub mod render;
pub mod session;
pub mod update;

use std::fmt::Write as _;
use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::Error;
use crate::output::{DirSink, FILES};
use crate::scenario::{Override, Scenario};
use app::{Info, clock_text};
use driver::Driver;
use session::{Session, replay_command};

/// What `scalesim tui` was asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// The scenario file, as given.
    pub scenario_path: PathBuf,
    /// The scenario, loaded with the overrides.
    pub scenario: Arc<Scenario>,
    /// The master seed.
    pub seed: u64,
    /// The `--set` arguments, as given (for the replay command).
    pub sets: Vec<String>,
    /// Where the run's files go.
    pub out: PathBuf,
    /// Where the session is recorded.
    pub session: PathBuf,
}

impl Options {
    /// The command that replays the session into a directory beside `out`.
    pub fn replay_command(&self) -> String {
        let name = self.out.file_name().map_or("run".into(), |n| n.to_string_lossy().into_owned());
        let out = self.out.with_file_name(format!("{name}-replay"));
        replay_command(&self.scenario_path, self.seed, &self.sets, &self.session, &out)
    }
}

/// Prepares a session without a terminal: the run's files in `out`, an
/// empty session file, a paused driver. `scalesim tui` and the tests share it.
pub fn start(options: &Options) -> io::Result<Driver> {
    let files = DirSink::create(&options.out)?;
    let s = &options.scenario;
    let header = format!(
        "scalesim game-day session: scenario {} ({}), seed {}\nreplay: {}",
        s.name,
        options.scenario_path.display(),
        options.seed,
        options.replay_command()
    );
    let overrides: Vec<Override> = options.sets.iter().filter_map(|s| Override::parse(s).ok()).collect();
    let session = Session::create(&options.session, &header, &options.scenario_path, &overrides)?;
    let info = Info::new(s, options.out.display().to_string(), options.session.display().to_string());
    Driver::new(s.clone(), options.seed, Box::new(files), session, info)
}

/// Restores the terminal when dropped (on return and on error; the panic
/// hook `ratatui::try_init` installs covers panics).
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Runs the dashboard on this terminal; returns what to print afterwards.
pub fn run(options: &Options) -> Result<String, Error> {
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        return Err(Error::Usage("scalesim tui needs a terminal; for a batch run use scalesim run".into()));
    }
    let mut driver = start(options).map_err(|e| Error::io(&options.out, e))?;
    crate::interrupt::install("abandoning the run; the session file is kept");
    {
        let mut terminal = ratatui::try_init().map_err(|e| Error::io("terminal", e))?;
        let _restore = Restore;
        driver::run(&mut terminal, &mut driver).map_err(|e| Error::io(&options.out, e))?;
    }
    match crate::interrupt::requested() {
        Some(signal) => Err(Error::Interrupted(signal, report(&driver, options).trim_end().to_string())),
        None => Ok(report(&driver, options)),
    }
}

/// What happened, for the shell once the terminal is restored.
fn report(driver: &Driver, options: &Options) -> String {
    let app = driver.app();
    let mut s = String::new();
    match &app.summary {
        Some(summary) if !driver.aborted() => {
            s.push_str(&summary.render());
            let _ = writeln!(s, "  wrote      {} ({})", options.out.display(), FILES.join(", "));
        }
        _ => {
            let _ = writeln!(
                s,
                "abandoned at {} of {}: the run's files were not written",
                clock_text(app.status.now),
                clock_text(app.info.end)
            );
        }
    }
    let n = driver.session().events().len();
    let _ = writeln!(s, "  session    {} ({n} action{})", options.session.display(), if n == 1 { "" } else { "s" });
    let _ = writeln!(s, "  replay     {}", options.replay_command());
    s
}
