//! The event loop: the only place that knows the wall clock and the only
//! one that touches the [`Simulation`].
//!
//! Each frame the simulation advances toward a target — `now + speed ×
//! wall time since the last frame`, a seek target, or the end at maximum
//! speed — with [`Simulation::run_before`] in chunks of simulated time. The
//! chunk adapts so each takes about [`CHUNK_WALL`] of wall time, and a frame
//! stops when its [`BUDGET`] is spent; keys are read between frames, so one
//! is handled and drawn at most a budget and a draw after it arrives, even
//! at maximum speed on a large scenario (well under 100 ms). Chunking never
//! changes the results: `run_before` only stops.
//!
//! Operator actions are injected at the clock, after `run_before(now)` has
//! handled everything strictly before it — exactly where a replay from the
//! session file applies them (see [`Driver::command`]). The same [`Driver`]
//! runs headless in tests: [`Driver::frame`] takes the elapsed wall time
//! as an argument.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyEvent};
use ratatui::Terminal;
use ratatui::backend::Backend;

use super::action::{self, Command, Keys};
use super::app::{App, Clock, Info, Level, Mode, Status, Zone, clock_text_ms};
use super::feed::{SharedFeed, Tee};
use super::render;
use super::session::Session;
use super::update::{self, Effect};
use crate::engine::time::{SimDuration, SimTime};
use crate::output::Sink;
use crate::scenario::Scenario;
use crate::scenario::events::Action;
use crate::sim::{Simulation, State};

/// Time between frames.
pub const FRAME: Duration = Duration::from_millis(50);
/// Wall time a frame may spend simulating (drawing takes a few ms more).
pub const BUDGET: Duration = Duration::from_millis(45);
/// Wall time one `run_before` chunk aims at.
pub const CHUNK_WALL: Duration = Duration::from_millis(2);
/// A longer gap between frames (a stalled terminal) counts as this much.
const MAX_GAP: Duration = Duration::from_millis(250);
const MIN_CHUNK: SimDuration = SimDuration::from_micros(10);
const MAX_CHUNK: SimDuration = SimDuration::from_secs(600);

/// The simulation, the dashboard's state and the session, driven together.
pub struct Driver {
    sim: Option<Simulation>,
    app: App,
    feed: SharedFeed,
    session: Session,
    /// The instant whose scenario events have been let act ahead of an
    /// injection (see [`Driver::command`]).
    flushed: Option<SimTime>,
    chunk: SimDuration,
    aborted: bool,
}

impl Driver {
    /// A paused session at the start of `scenario`; the run's rows go to
    /// `files` (the sink `scalesim run` would use) and to the dashboard.
    pub fn new(
        scenario: Arc<Scenario>,
        seed: u64,
        files: Box<dyn Sink + Send>,
        session: Session,
        info: Info,
    ) -> io::Result<Driver> {
        let feed = SharedFeed::default();
        let tick = scenario.tick;
        let sim = Simulation::new(scenario, seed, Box::new(Tee::new(files, feed.clone())))?;
        let mut driver =
            Driver { sim: Some(sim), app: App::new(info), feed, session, flushed: None, chunk: tick, aborted: false };
        driver.refresh();
        Ok(driver)
    }

    /// The dashboard's state.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The session recorded so far.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Whether the operator abandoned the run (its files are not written).
    pub fn aborted(&self) -> bool {
        self.aborted
    }

    /// Handles a key press.
    pub fn key(&mut self, key: KeyEvent) -> io::Result<()> {
        let keys = match self.app.mode {
            Mode::Normal => Keys::Normal,
            Mode::Help => Keys::Help,
            Mode::Prompt(_) => Keys::Prompt,
            Mode::Confirm(_) => Keys::Confirm,
        };
        match action::command(key, keys) {
            Some(c) => self.command(c),
            None => Ok(()),
        }
    }

    /// Carries out a command.
    ///
    /// An action is applied at the clock `t` — where the last frame's
    /// `run_before(t)` stopped, with nothing at `t` handled yet — and
    /// recorded at `t`. A replay schedules it ahead of every ordinary event
    /// at `t` but after the scenario's own events at `t` (the scenario's
    /// list comes first), so those are let act first here too.
    pub fn command(&mut self, command: Command) -> io::Result<()> {
        match update::update(&mut self.app, command) {
            Some(Effect::Inject(action)) => self.inject(action),
            Some(Effect::Abort) => {
                self.aborted = true;
                self.sim = None; // drops the run's sink: no files, no temporaries
            }
            None => {}
        }
        Ok(())
    }

    fn inject(&mut self, action: Action) {
        let Some(sim) = self.sim.as_mut() else { return };
        let now = sim.now();
        if self.flushed != Some(now) {
            let due = sim.scenario().events.iter().filter(|e| e.at == now).count();
            for _ in 0..due {
                sim.step();
            }
            self.flushed = Some(now);
        }
        let name = action.name();
        // A resize or a policy field may be refused by the scenario; one the
        // replay would refuse is not applied here either.
        if matches!(action, Action::Resize { .. } | Action::SetPolicyField { .. })
            && let Err(why) = self.session.check(now, &action)
        {
            self.app.say(Level::Warn, format!("{name} refused: {why}"));
            return;
        }
        sim.inject(action.clone());
        match self.session.record(now, action) {
            Ok(()) => {
                let n = self.session.events().len();
                self.app.say(Level::Info, format!("{name} at {} — recorded ({n} in the session)", clock_text_ms(now)));
            }
            Err(e) => self
                .app
                .say(Level::Warn, format!("{name} applied but NOT recorded: {}: {e}", self.session.path().display())),
        }
        self.app.recorded = self.session.events().len();
        self.refresh();
    }

    /// Advances the simulation for one frame, `elapsed` wall time after
    /// the last one, spending wall time until `deadline` at most (`None`:
    /// no limit, for tests). Finishes the run when it reaches its end.
    pub fn frame(&mut self, elapsed: Duration, deadline: Option<Instant>) -> io::Result<()> {
        let Some(sim) = self.sim.as_ref() else { return Ok(()) };
        let (start, end) = (sim.now(), sim.end());
        let elapsed = elapsed.min(MAX_GAP);
        let target = match self.app.clock {
            _ if self.app.on_hold() => start,
            Clock::Paused => start,
            Clock::Running => match self.app.speed() {
                Some(x) => start + SimDuration::from_nanos((elapsed.as_nanos() as u64).saturating_mul(u64::from(x))),
                None => end,
            },
            Clock::Seeking { to, .. } => to,
        }
        .min(end);
        self.advance(target, deadline);
        let now = self.sim.as_ref().map_or(start, Simulation::now);
        if matches!(self.app.clock, Clock::Seeking { to, .. } if now >= to) {
            update::reached(&mut self.app);
        }
        self.app.achieved = (self.app.clock != Clock::Paused && !self.app.on_hold() && !elapsed.is_zero())
            .then(|| (now - start).as_secs_f64() / elapsed.as_secs_f64());
        self.refresh();
        if now >= end {
            self.finish()?;
        }
        Ok(())
    }

    /// `run_before` in chunks up to `target`, until the deadline.
    fn advance(&mut self, target: SimTime, deadline: Option<Instant>) {
        let Some(sim) = self.sim.as_mut() else { return };
        while sim.now() < target {
            let to = (sim.now() + self.chunk).min(target);
            let started = Instant::now();
            sim.run_before(to);
            let took = started.elapsed();
            if took > CHUNK_WALL {
                self.chunk = SimDuration::from_nanos(self.chunk.as_nanos() / 2).max(MIN_CHUNK);
            } else if took < CHUNK_WALL / 4 {
                self.chunk = self.chunk.saturating_mul(2).min(MAX_CHUNK);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
    }

    /// Passes what the simulation produced and where it stands to the app.
    fn refresh(&mut self) {
        let Some(sim) = self.sim.as_ref() else { return };
        let mut zones = vec![Zone::default(); self.app.info.zones as usize];
        for i in sim.instances() {
            if i.state == State::Terminated {
                continue;
            }
            if let Some(z) = zones.get_mut(i.zone as usize) {
                z.live += 1;
                z.running += u32::from(i.state.ready());
            }
        }
        let status = Status {
            now: sim.now(),
            frozen: sim.frozen(),
            desired: sim.desired(),
            bounds: sim.bounds(),
            metric: sim.reading().map(|r| r.metric.name()),
            zones,
            finished: false,
        };
        let feed = self.feed.take();
        update::observe(&mut self.app, status, feed.ticks, feed.events);
    }

    /// Ends the run: the last events, the summary, the files.
    fn finish(&mut self) -> io::Result<()> {
        let Some(sim) = self.sim.take() else { return Ok(()) };
        let replay_hash = self.session.replay_hash().map(|h| format!("{h:016x}"));
        if let Ok(hash) = &replay_hash {
            self.feed.set_scenario_hash(hash.clone());
        }
        let mut summary = sim.finish()?;
        let feed = self.feed.take();
        let status = self.app.status.clone();
        update::observe(&mut self.app, status, feed.ticks, feed.events);
        match replay_hash {
            Ok(hash) => summary.scenario_hash = hash,
            Err(e) => self.app.say(Level::Warn, format!("the session no longer loads with its scenario: {e}")),
        }
        update::finished(&mut self.app, summary);
        Ok(())
    }
}

/// Runs the dashboard on a terminal until the operator quits: draw, read
/// keys until the next frame is due (redrawing at once after a key),
/// advance the simulation within the frame's budget.
pub fn run<B: Backend>(terminal: &mut Terminal<B>, driver: &mut Driver) -> io::Result<()> {
    let mut last = Instant::now();
    let mut draw = true;
    loop {
        if draw {
            terminal.draw(|f| render::render(driver.app(), f))?;
            draw = false;
        }
        if driver.app().quit {
            return Ok(());
        }
        // SIGINT or SIGTERM from outside (in the raw terminal Ctrl-C is a
        // key): abandon the run as Ctrl-C does; the session is kept.
        if crate::interrupt::requested().is_some() {
            return driver.command(Command::Abort);
        }
        let due = last + FRAME;
        if event::poll(due.saturating_duration_since(Instant::now()))? {
            loop {
                if let Event::Key(key) = event::read()? {
                    driver.key(key)?;
                }
                if driver.app().quit || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
            draw = true;
            if Instant::now() < due {
                continue;
            }
        }
        let now = Instant::now();
        let paused = driver.app().clock == Clock::Paused || driver.app().on_hold();
        driver.frame(now - last, Some(now + BUDGET))?;
        last = now;
        draw |= !paused;
    }
}
