//! The dashboard's state: what the scenario is, where the simulation stands,
//! the recent time series and event log, the clock the operator controls,
//! and the dialog (if any) on screen.
//!
//! Plain data, no terminal and no wall clock: [`update`](super::update)
//! changes it, [`render`](super::render) draws it, and the
//! [`driver`](super::driver) feeds it from the simulation.

use std::collections::VecDeque;

use crate::engine::time::{SimDuration, SimTime};
use crate::output::{EventKind, EventRow, Summary, TickRow};
use crate::policy::PolicyName;
use crate::scenario::Scenario;
use crate::scenario::events::Action;

/// Simulation speeds the operator steps through, in simulated seconds per
/// wall second; `None` is as fast as the machine goes.
pub const SPEEDS: [Option<u32>; 11] =
    [Some(1), Some(2), Some(5), Some(10), Some(30), Some(60), Some(120), Some(300), Some(600), Some(1200), None];

/// The speed a session starts at (an index into [`SPEEDS`]).
pub const DEFAULT_SPEED: usize = 3;

/// Chart windows the operator cycles through.
pub const WINDOWS: [SimDuration; 4] = [
    SimDuration::from_secs(120),
    SimDuration::from_secs(600),
    SimDuration::from_secs(1800),
    SimDuration::from_secs(7200),
];

/// The chart window a session starts with (an index into [`WINDOWS`]).
pub const DEFAULT_WINDOW: usize = 1;

/// Event-log lines kept.
pub const LOG_LINES: usize = 5000;

/// What the scenario is: fixed for the whole session.
#[derive(Clone, Debug, PartialEq)]
pub struct Info {
    /// The scenario's name.
    pub name: String,
    /// The end of the run.
    pub end: SimTime,
    /// Time-series resolution.
    pub tick: SimDuration,
    /// The SLO's p99 bound, ms.
    pub slo_p99_ms: f64,
    /// The SLO's availability target.
    pub availability: f64,
    /// Availability zones.
    pub zones: u32,
    /// The scaling policy's name.
    pub policy: String,
    /// The metric the policy scales on as configured (`cpu`, `rps`, …), if
    /// it has one; the live name comes with each decision ([`Status::metric`]).
    pub metric: Option<String>,
    /// Whether the scenario has a database (DB faults, DB panels).
    pub database: bool,
    /// Whether it has a shared cache (cache flush, hit-ratio panel).
    pub cache: bool,
    /// Where the run's files go.
    pub out_dir: String,
    /// Where the session is recorded.
    pub session_path: String,
}

impl Info {
    /// The facts the dashboard needs from a scenario.
    pub fn new(s: &Scenario, out_dir: String, session_path: String) -> Info {
        let named =
            |default: &str| s.autoscaler.fields.get("metric").and_then(|v| v.as_str()).unwrap_or(default).to_string();
        let metric = match s.autoscaler.name() {
            PolicyName::Fixed => None,
            PolicyName::Threshold => Some(named("cpu")),
            _ => Some(named("metric")),
        };
        Info {
            name: s.name.clone(),
            end: SimTime::ZERO + s.duration,
            tick: s.tick,
            slo_p99_ms: s.slo.p99.as_millis_f64(),
            availability: s.slo.availability,
            zones: s.fleet.zones,
            policy: s.autoscaler.name().to_string(),
            metric,
            database: s.database.is_some(),
            cache: s.cache.is_some(),
            out_dir,
            session_path,
        }
    }
}

/// Instances in one zone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Zone {
    /// Not terminated (any state).
    pub live: u32,
    /// Ready or warming (what a kill takes).
    pub running: u32,
}

/// Where the simulation stands, as of the last frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Status {
    /// The simulation clock.
    pub now: SimTime,
    /// Whether the autoscaler is frozen.
    pub frozen: bool,
    /// Replicas asked for.
    pub desired: u32,
    /// The policy's replica bounds now (min, max).
    pub bounds: (u32, u32),
    /// The metric behind the policy's last decision (`cpu`, `rps`, …).
    pub metric: Option<&'static str>,
    /// Instances by zone.
    pub zones: Vec<Zone>,
    /// Whether the run is over and its files are written.
    pub finished: bool,
}

impl Status {
    /// Ready or warming instances, over all zones.
    pub fn running(&self) -> u32 {
        self.zones.iter().map(|z| z.running).sum()
    }
}

/// What happens when a seek reaches its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    /// Pause there.
    Pause,
    /// Carry on at the chosen speed.
    Run,
    /// The run is at its end: quit.
    Quit,
}

/// The clock the operator controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The simulation does not advance.
    Paused,
    /// It advances at the chosen speed.
    Running,
    /// It advances as fast as it can to a target, then does `then`.
    Seeking {
        /// Where to stop.
        to: SimTime,
        /// What then.
        then: Then,
    },
}

/// What a numeric prompt is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    /// Kill this percentage of the running instances.
    KillPercent,
    /// Kill this zone.
    Zone,
    /// Set the policy's lower bound.
    MinReplicas,
    /// Set the policy's upper bound.
    MaxReplicas,
    /// Freeze the autoscaler at this many replicas.
    FixedReplicas,
    /// Jump forward by this long.
    Jump,
    /// Add this much network latency.
    Latency,
    /// Fail this share of requests in a dependency.
    ErrorRate,
    /// Resize the app fleet to this type or by this step.
    Resize,
    /// Set this policy field to this value.
    PolicyField,
}

/// A small input prompt.
#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    /// What the answer is for.
    pub ask: Ask,
    /// The question.
    pub label: String,
    /// The text typed so far.
    pub text: String,
    /// Whether `text` is the untouched default (typing replaces it).
    pub fresh: bool,
    /// Why the last answer was refused.
    pub error: Option<String>,
}

/// What a confirmation confirms.
#[derive(Clone, Debug, PartialEq)]
pub enum Pending {
    /// Inject this action.
    Inject(Action),
    /// Run to the end, write the outputs and quit.
    Quit,
}

/// A yes/no question before a destructive step.
#[derive(Clone, Debug, PartialEq)]
pub struct Confirm {
    /// What happens on yes.
    pub pending: Pending,
    /// The question.
    pub question: String,
}

/// What has the keyboard.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// The dashboard.
    Normal,
    /// The help overlay.
    Help,
    /// A numeric prompt.
    Prompt(Prompt),
    /// A confirmation.
    Confirm(Confirm),
}

/// How a status message reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Something happened as asked.
    Info,
    /// Something could not be done.
    Warn,
}

/// The line under the dashboard.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// What it says.
    pub text: String,
    /// How it reads.
    pub level: Level,
}

/// The recent time series: a ring of the latest rows.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    rows: VecDeque<TickRow>,
    cap: usize,
}

impl History {
    /// Room for the widest chart window at resolution `tick`.
    pub fn new(tick: SimDuration) -> History {
        let widest = WINDOWS[WINDOWS.len() - 1].as_nanos();
        let cap = (widest / tick.as_nanos().max(1)).clamp(100, 20_000) as usize;
        History { rows: VecDeque::with_capacity(cap.min(4096)), cap }
    }

    /// Appends a row, dropping the oldest when full.
    pub fn push(&mut self, row: TickRow) {
        if self.rows.len() == self.cap {
            self.rows.pop_front();
        }
        self.rows.push_back(row);
    }

    /// The rows, oldest first.
    pub fn rows(&self) -> &VecDeque<TickRow> {
        &self.rows
    }

    /// The latest row.
    pub fn last(&self) -> Option<&TickRow> {
        self.rows.back()
    }

    /// The rows that start at or after `since`.
    pub fn since(&self, since: f64) -> impl Iterator<Item = &TickRow> {
        let first = self.rows.partition_point(|r| r.t_s < since);
        self.rows.range(first..)
    }
}

/// The event log and where the operator has scrolled it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Log {
    /// The latest events, oldest first.
    pub lines: VecDeque<EventRow>,
    /// Lines scrolled back from the newest (0 follows the newest).
    pub scroll: usize,
    /// Whether per-instance lifecycle and health lines are shown.
    pub lifecycle: bool,
    /// Events seen in all (the ring keeps the latest [`LOG_LINES`]).
    pub total: u64,
}

impl Log {
    /// Appends an event.
    pub fn push(&mut self, row: EventRow) {
        if self.lines.len() == LOG_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(row);
        self.total += 1;
    }

    /// Whether a line is shown under the current filter.
    pub fn shows(&self, row: &EventRow) -> bool {
        self.lifecycle || !is_lifecycle(row.kind)
    }
}

/// Per-instance lifecycle and health events, hidden unless the operator
/// asks: in an overload they come by the hundred and would push scaling
/// decisions, faults and findings out of view (the fleet panels show them).
pub fn is_lifecycle(kind: EventKind) -> bool {
    matches!(kind, EventKind::Instance | EventKind::Health)
}

/// The dashboard's whole state.
#[derive(Clone, Debug, PartialEq)]
pub struct App {
    /// The scenario.
    pub info: Info,
    /// The simulation, as of the last frame.
    pub status: Status,
    /// Running, paused or seeking.
    pub clock: Clock,
    /// Index into [`SPEEDS`].
    pub speed: usize,
    /// Simulated seconds per wall second actually achieved (for display).
    pub achieved: Option<f64>,
    /// Index into [`WINDOWS`].
    pub window: usize,
    /// Recent time-series rows.
    pub history: History,
    /// The event log.
    pub log: Log,
    /// What has the keyboard.
    pub mode: Mode,
    /// The line under the dashboard.
    pub message: Option<Message>,
    /// Actions recorded in the session so far.
    pub recorded: usize,
    /// Failure modes detected so far (`finding` events).
    pub findings: u32,
    /// The run's summary, once it is finished.
    pub summary: Option<Summary>,
    /// Set when the driver should stop (after the run is finished or aborted).
    pub quit: bool,
}

impl App {
    /// A paused dashboard at the start of the run.
    pub fn new(info: Info) -> App {
        let history = History::new(info.tick);
        App {
            info,
            status: Status::default(),
            clock: Clock::Paused,
            speed: DEFAULT_SPEED,
            achieved: None,
            window: DEFAULT_WINDOW,
            history,
            log: Log::default(),
            mode: Mode::Normal,
            message: Some(Message {
                text: "paused — space starts the simulation, ? lists every key".into(),
                level: Level::Info,
            }),
            recorded: 0,
            findings: 0,
            summary: None,
            quit: false,
        }
    }

    /// Whether a dialog holds the simulation still: while the operator
    /// reads help, types into a prompt or answers a question, simulated time
    /// stands, so an action lands at the instant its key was pressed.
    pub fn on_hold(&self) -> bool {
        self.mode != Mode::Normal
    }

    /// The chosen speed (`None`: as fast as possible).
    pub fn speed(&self) -> Option<u32> {
        SPEEDS[self.speed]
    }

    /// The chart window.
    pub fn window(&self) -> SimDuration {
        WINDOWS[self.window]
    }

    /// The latest time-series row.
    pub fn last(&self) -> Option<&TickRow> {
        self.history.last()
    }

    /// Sets the status line.
    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        self.message = Some(Message { text: text.into(), level });
    }
}

/// `m:ss` under an hour, `h:mm:ss` from there.
pub fn clock_text(t: SimTime) -> String {
    let s = t.as_nanos() / 1_000_000_000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Like [`clock_text`], with milliseconds (`12:34.567`).
pub fn clock_text_ms(t: SimTime) -> String {
    format!("{}.{:03}", clock_text(t), t.as_nanos() / 1_000_000 % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_read_like_clocks() {
        assert_eq!(clock_text(SimTime::ZERO), "0:00");
        assert_eq!(clock_text(SimTime::from_secs(754)), "12:34");
        assert_eq!(clock_text(SimTime::from_secs(3723)), "1:02:03");
        assert_eq!(clock_text_ms(SimTime::from_nanos(61_234_567_891)), "1:01.234");
    }

    #[test]
    fn history_keeps_the_latest_rows_and_finds_a_window() {
        let mut h = History::new(SimDuration::from_secs(60));
        assert_eq!(h.cap, 120);
        for i in 0..200 {
            h.push(TickRow { t_s: i as f64 * 60.0, ..TickRow::default() });
        }
        assert_eq!(h.rows().len(), 120);
        assert_eq!(h.rows()[0].t_s, 80.0 * 60.0);
        assert_eq!(h.since(195.0 * 60.0).count(), 5);
        assert_eq!(h.since(1e9).count(), 0);
    }
}
