//! Commands → state: what each command does to the [`App`], and the
//! [`Effect`] (if any) the driver must carry out on the simulation. Also
//! how the app takes in what the simulation produced. No terminal, no wall
//! clock: every function here is a plain state transition, unit-tested.

use crate::engine::time::{SimDuration, SimTime};
use crate::output::{EventKind, EventRow, Summary, TickRow};
use crate::scenario::events::{Action, KillAmount, Size, Tier};

use super::action::{Command, Fault, Runbook};
use super::app::{
    App, Ask, Clock, Confirm, Info, Level, Mode, Pending, Prompt, SPEEDS, Status, Then, WINDOWS, clock_text,
};

/// What the driver must do to the simulation.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Apply this action now and record it in the session.
    Inject(Action),
    /// Stop at once, without writing the run's files.
    Abort,
}

/// How long the traffic spike and the database slowdown last.
pub const FAULT_PERIOD: SimDuration = SimDuration::from_secs(300);

/// How long a database outage lasts.
pub const DB_OUTAGE: SimDuration = SimDuration::from_secs(60);

/// Lines a page of log scrolling moves.
const PAGE: usize = 10;

/// The longest answer a prompt takes (an HPA field path and its value fit).
const PROMPT_CHARS: usize = 64;

/// Replica counts an operator may type (as `[[events]]` validation allows).
const MAX_REPLICAS: u32 = 100_000;

/// Applies a command; returns what the driver must do, if anything.
pub fn update(app: &mut App, command: Command) -> Option<Effect> {
    if command == Command::Abort {
        app.quit = true;
        return Some(Effect::Abort);
    }
    match std::mem::replace(&mut app.mode, Mode::Normal) {
        Mode::Normal => normal(app, command),
        Mode::Help => {
            if command != Command::Cancel {
                app.mode = Mode::Help;
            }
            None
        }
        Mode::Prompt(prompt) => prompt_key(app, prompt, command),
        Mode::Confirm(confirm) => match command {
            Command::Yes => match confirm.pending {
                Pending::Inject(action) => Some(Effect::Inject(action)),
                Pending::Quit => {
                    app.clock = Clock::Seeking { to: app.info.end, then: Then::Quit };
                    app.say(Level::Info, "finishing the run to write its files — Ctrl-C abandons them");
                    None
                }
            },
            Command::Cancel => {
                app.say(Level::Info, "cancelled");
                None
            }
            _ => {
                app.mode = Mode::Confirm(confirm);
                None
            }
        },
    }
}

fn normal(app: &mut App, command: Command) -> Option<Effect> {
    let quitting = matches!(app.clock, Clock::Seeking { then: Then::Quit, .. });
    let over = app.status.finished || quitting;
    match command {
        Command::TogglePause if !over => {
            app.clock = if app.clock == Clock::Running { Clock::Paused } else { Clock::Running };
            app.message = None;
        }
        Command::Faster | Command::Slower => {
            app.speed = match command {
                Command::Faster => (app.speed + 1).min(SPEEDS.len() - 1),
                _ => app.speed.saturating_sub(1),
            };
            let speed = app.speed().map_or("as fast as possible".to_string(), |x| format!("{x}×"));
            app.say(Level::Info, format!("speed {speed}"));
        }
        Command::Step if !over => {
            let tick = app.info.tick.as_nanos().max(1);
            let next = SimTime::from_nanos((app.status.now.as_nanos() / tick + 1).saturating_mul(tick));
            seek(app, next, Then::Pause);
        }
        Command::JumpMinute if !over => jump(app, SimDuration::from_secs(60)),
        Command::JumpPrompt if !over => ask(app, Ask::Jump, "Jump forward by (e.g. 90s, 5m, 1h30m)".into(), "5m"),
        Command::Fault(_) | Command::Runbook(_) if over => {
            app.say(Level::Warn, "the run is over — nothing left to change (q quits)");
        }
        Command::Fault(fault) => return inject_fault(app, fault),
        Command::Runbook(step) => return runbook(app, step),
        Command::Help => app.mode = Mode::Help,
        Command::Window => {
            app.window = (app.window + 1) % WINDOWS.len();
            app.say(Level::Info, format!("charts show the last {}", app.window()));
        }
        Command::ToggleLifecycle => {
            app.log.lifecycle = !app.log.lifecycle;
            app.log.scroll = 0;
            let what = if app.log.lifecycle { "shows" } else { "hides" };
            app.say(Level::Info, format!("the log {what} instance lifecycle and health lines"));
        }
        Command::ScrollUp | Command::PageUp => {
            let by = if command == Command::PageUp { PAGE } else { 1 };
            let shown = app.log.lines.iter().filter(|r| app.log.shows(r)).count();
            app.log.scroll = (app.log.scroll + by).min(shown.saturating_sub(1));
        }
        Command::ScrollDown => app.log.scroll = app.log.scroll.saturating_sub(1),
        Command::PageDown => app.log.scroll = app.log.scroll.saturating_sub(PAGE),
        Command::Follow => app.log.scroll = 0,
        Command::Quit if app.status.finished => app.quit = true,
        Command::Quit if !quitting => {
            app.mode = Mode::Confirm(Confirm {
                pending: Pending::Quit,
                question: format!(
                    "Quit? The run goes on to its end ({}) as fast as it can, then its files are written.",
                    clock_text(app.info.end)
                ),
            });
        }
        Command::Cancel => app.message = None,
        _ => {}
    }
    None
}

/// Jumps forward by `by` from where the clock is heading (a jump during a
/// jump goes further), then carries on as before the jump.
fn jump(app: &mut App, by: SimDuration) {
    let (from, then) = match app.clock {
        Clock::Paused => (app.status.now, Then::Pause),
        Clock::Running => (app.status.now, Then::Run),
        Clock::Seeking { to, then } => (to.max(app.status.now), then),
    };
    seek(app, from + by, then);
}

fn seek(app: &mut App, to: SimTime, then: Then) {
    app.clock = Clock::Seeking { to: to.min(app.info.end), then };
    app.message = None;
}

fn ask(app: &mut App, ask: Ask, label: String, default: &str) {
    app.mode = Mode::Prompt(Prompt { ask, label, text: default.into(), fresh: true, error: None });
}

fn confirm(app: &mut App, action: Action, question: String) {
    app.mode = Mode::Confirm(Confirm { pending: Pending::Inject(action), question });
}

/// Whether a fault can be injected in this scenario, and if not, why.
pub fn availability(fault: Fault, info: &Info) -> Result<(), String> {
    match fault {
        Fault::KillZone if info.zones < 2 => Err("killing a zone needs fleet.zones > 1".into()),
        Fault::DbSlowdown | Fault::DbOutage if !info.database => Err("this scenario has no [database]".into()),
        Fault::CacheFlush if !info.cache => Err("this scenario has no [cache]".into()),
        Fault::DbSlowdown | Fault::DbOutage | Fault::CacheFlush => data_tier(fault).map(|_| ()),
        Fault::KillFraction | Fault::KillZone | Fault::TrafficSpike | Fault::AddLatency | Fault::DependencyErrors => {
            Ok(())
        }
    }
}

/// The data tier's faults, with their question (one line each).
fn data_tier(fault: Fault) -> Result<(Action, String), String> {
    let period = Some(FAULT_PERIOD);
    Ok(match fault {
        Fault::DbSlowdown => {
            (Action::DbSlowdown { factor: 4.0, duration: period }, format!("Slow the database 4× for {FAULT_PERIOD}?"))
        }
        Fault::DbOutage => {
            (Action::DbOutage { duration: Some(DB_OUTAGE) }, format!("Take the database down for {DB_OUTAGE}?"))
        }
        Fault::CacheFlush => (Action::CacheFlush, "Flush the shared cache (every key lost)?".into()),
        Fault::KillFraction | Fault::KillZone | Fault::TrafficSpike | Fault::AddLatency | Fault::DependencyErrors => {
            return Err("not a data-tier fault".into());
        }
    })
}

fn inject_fault(app: &mut App, fault: Fault) -> Option<Effect> {
    if let Err(why) = availability(fault, &app.info) {
        app.say(Level::Warn, format!("unavailable: {why}"));
        return None;
    }
    let running = app.status.running();
    match fault {
        Fault::KillFraction if running == 0 => app.say(Level::Warn, "no running instance to kill"),
        Fault::KillFraction => {
            ask(app, Ask::KillPercent, format!("Kill what share of the {running} running instances? (%)"), "30")
        }
        Fault::KillZone => {
            let zones: Vec<String> =
                app.status.zones.iter().enumerate().map(|(z, n)| format!("{z}: {}", n.live)).collect();
            let label = format!("Kill which zone? (0–{}; instances by zone {})", app.info.zones - 1, zones.join(", "));
            ask(app, Ask::Zone, label, "0");
        }
        Fault::TrafficSpike => confirm(
            app,
            Action::TrafficMultiplier { factor: 2.0, duration: Some(FAULT_PERIOD) },
            format!("Double the offered traffic for {FAULT_PERIOD}?"),
        ),
        Fault::AddLatency => ask(
            app,
            Ask::Latency,
            format!("Add how much network latency to every request, for {FAULT_PERIOD}? (e.g. 50ms)"),
            "100ms",
        ),
        Fault::DependencyErrors => ask(
            app,
            Ask::ErrorRate,
            format!("What share of requests fails in a dependency, for {FAULT_PERIOD}? (%)"),
            "10",
        ),
        Fault::DbSlowdown | Fault::DbOutage | Fault::CacheFlush => match data_tier(fault) {
            Ok((action, question)) => confirm(app, action, question),
            Err(why) => app.say(Level::Warn, format!("unavailable: {why}")),
        },
    }
    None
}

fn runbook(app: &mut App, step: Runbook) -> Option<Effect> {
    let (min, max) = app.status.bounds;
    match step {
        Runbook::ToggleFreeze => {
            let action = if app.status.frozen { Action::UnfreezeAutoscaler } else { Action::FreezeAutoscaler };
            return Some(Effect::Inject(action));
        }
        Runbook::SetMin => ask(app, Ask::MinReplicas, format!("Min replicas (now {min}, max {max})"), &min.to_string()),
        Runbook::SetMax => ask(app, Ask::MaxReplicas, format!("Max replicas (now {max}, min {min})"), &max.to_string()),
        Runbook::SetFixed => ask(
            app,
            Ask::FixedReplicas,
            "Freeze the autoscaler and hold how many replicas?".into(),
            &app.status.desired.to_string(),
        ),
        Runbook::Resize => ask(
            app,
            Ask::Resize,
            "Resize the app fleet to: an instance type of its family (m6i.2xlarge) or sizes up/down (+1, -1)".into(),
            "+1",
        ),
        Runbook::SetPolicyField => ask(
            app,
            Ask::PolicyField,
            format!("Set a field of the '{}' policy: field=value (as in [autoscaler])", app.info.policy),
            "",
        ),
    }
    None
}

fn prompt_key(app: &mut App, mut prompt: Prompt, command: Command) -> Option<Effect> {
    match command {
        Command::Input(c) => {
            if prompt.fresh {
                prompt.text.clear();
                prompt.fresh = false;
            }
            if prompt.text.len() < PROMPT_CHARS {
                prompt.text.push(c);
            }
            prompt.error = None;
        }
        Command::Backspace => {
            prompt.fresh = false;
            prompt.text.pop();
            prompt.error = None;
        }
        Command::Cancel => {
            app.say(Level::Info, "cancelled");
            return None;
        }
        Command::Submit => match answer(app, &prompt) {
            Ok(effect) => return effect,
            Err(why) => prompt.error = Some(why),
        },
        _ => {}
    }
    app.mode = Mode::Prompt(prompt);
    None
}

fn whole(text: &str, lo: u32, hi: u32) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(format!("type a whole number from {lo} to {hi}")),
    }
}

/// Acts on a submitted prompt, or says why the answer is refused.
fn answer(app: &mut App, prompt: &Prompt) -> Result<Option<Effect>, String> {
    let (min, max) = app.status.bounds;
    let text = prompt.text.trim();
    match prompt.ask {
        Ask::KillPercent => {
            let percent = match text.trim_end_matches('%').parse::<f64>() {
                Ok(p) if p > 0.0 && p <= 100.0 => p,
                _ => return Err("type a percentage above 0 and at most 100".into()),
            };
            let fraction = percent / 100.0;
            let running = app.status.running();
            let n = (fraction * running as f64).round();
            let question = format!("Kill {percent}% of the running instances ({n} of {running})?");
            confirm(app, Action::KillInstances(KillAmount::Fraction(fraction)), question);
        }
        Ask::Zone => {
            let zone = whole(text, 0, app.info.zones - 1)?;
            let live = app.status.zones.get(zone as usize).map_or(0, |z| z.live);
            confirm(app, Action::KillZone(zone), format!("Kill zone {zone} and its {live} instances?"));
        }
        Ask::MinReplicas => {
            let n = whole(text, 0, MAX_REPLICAS)?;
            if n > max {
                return Err(format!("{n} is above max replicas ({max}): raise the max first"));
            }
            return Ok(Some(Effect::Inject(Action::SetMinReplicas(n))));
        }
        Ask::MaxReplicas => {
            let n = whole(text, 1, MAX_REPLICAS)?;
            if n < min {
                return Err(format!("{n} is below min replicas ({min}): lower the min first"));
            }
            return Ok(Some(Effect::Inject(Action::SetMaxReplicas(n))));
        }
        Ask::FixedReplicas => {
            let n = whole(text, 0, MAX_REPLICAS)?;
            let question =
                format!("Freeze the autoscaler and scale to {n} replicas (desired now {})?", app.status.desired);
            confirm(app, Action::SetReplicas(n), question);
        }
        Ask::Latency => {
            let latency = match SimDuration::parse(text) {
                Ok(d) if !d.is_zero() => d,
                Ok(_) => return Err("add more than nothing".into()),
                Err(e) => return Err(format!("'{text}': {e} (e.g. 50ms, 1s)")),
            };
            let question = format!("Add {latency} of network latency to every request for {FAULT_PERIOD}?");
            confirm(app, Action::AddLatency { latency, duration: Some(FAULT_PERIOD) }, question);
        }
        Ask::ErrorRate => {
            let percent = match text.trim_end_matches('%').parse::<f64>() {
                Ok(p) if p > 0.0 && p <= 100.0 => p,
                _ => return Err("type a percentage above 0 and at most 100".into()),
            };
            let question = format!("Fail {percent}% of requests in a dependency for {FAULT_PERIOD}?");
            confirm(app, Action::DependencyErrors { rate: percent / 100.0, duration: Some(FAULT_PERIOD) }, question);
        }
        Ask::Resize => {
            let to = resize_to(text)?;
            let what = match &to {
                Size::Type(name) => format!("to {name}"),
                Size::Step(n) => format!(
                    "{} size{} {}",
                    n.abs(),
                    if n.abs() == 1 { "" } else { "s" },
                    if *n > 0 { "up" } else { "down" }
                ),
            };
            let question = format!("Resize the app fleet {what} (as [fleet] resize says: one by one, or in place)?");
            confirm(app, Action::Resize { tier: Tier::App, to }, question);
        }
        Ask::PolicyField => {
            let (field, value) = policy_field(text)?;
            let question = format!("Set the policy's {field} to {value}?");
            confirm(app, Action::SetPolicyField { field, value }, question);
        }
        Ask::Jump => match SimDuration::parse(text) {
            Ok(d) if !d.is_zero() => jump(app, d),
            Ok(_) => return Err("jump by more than nothing".into()),
            Err(e) => return Err(format!("'{text}': {e} (e.g. 90s, 5m, 1h30m)")),
        },
    }
    Ok(None)
}

/// A resize answer: `+1`, `-2` (sizes up or down) or a type name.
fn resize_to(text: &str) -> Result<Size, String> {
    let refused = || "type an instance type (m6i.2xlarge) or a step (+1, -1)".to_string();
    if text.starts_with(['+', '-']) {
        return match text.parse::<i32>() {
            Ok(0) | Err(_) => Err(refused()),
            Ok(n) => Ok(Size::Step(n)),
        };
    }
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)) {
        return Err(refused());
    }
    Ok(Size::Type(text.to_string()))
}

/// A `field=value` answer; the value is TOML (`0.8`, `"5m"`, `true`), and
/// a bare word is a string (`5m`). Whether the policy takes it is checked
/// before it is applied (see the driver).
fn policy_field(text: &str) -> Result<(String, toml::Value), String> {
    let Some((field, value)) = text.split_once('=') else {
        return Err("type field=value, e.g. scale_up_above=0.8".into());
    };
    let (field, value) = (field.trim(), value.trim());
    if field.is_empty() || value.is_empty() {
        return Err("type field=value, e.g. scale_up_above=0.8".into());
    }
    let value = toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()));
    Ok((field.to_string(), value))
}

/// Takes in what the simulation produced since the last frame.
pub fn observe(app: &mut App, status: Status, ticks: Vec<TickRow>, events: Vec<EventRow>) {
    app.status = status;
    for row in ticks {
        app.history.push(row);
    }
    for row in events {
        app.findings += u32::from(row.kind == EventKind::Finding);
        // Scrolled back: keep the same lines in view as new ones arrive.
        if app.log.scroll > 0 && app.log.shows(&row) {
            app.log.scroll += 1;
        }
        app.log.push(row);
    }
}

/// A seek has reached its target.
pub fn reached(app: &mut App) {
    if let Clock::Seeking { then, .. } = app.clock {
        app.clock = match then {
            Then::Pause => Clock::Paused,
            Then::Run => Clock::Running,
            Then::Quit => return,
        };
    }
}

/// The run is over and its files are written.
pub fn finished(app: &mut App, summary: Summary) {
    app.status.finished = true;
    if matches!(app.clock, Clock::Seeking { then: Then::Quit, .. }) {
        app.quit = true;
    }
    app.clock = Clock::Paused;
    let slo = if summary.slo.met { "met" } else { "MISSED" };
    app.say(Level::Info, format!("run finished — SLO {slo}; files written to {} — q quits", app.info.out_dir));
    app.summary = Some(summary);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::app::Zone;

    fn app() -> App {
        let info = Info {
            name: "t".into(),
            end: SimTime::ZERO + SimDuration::from_secs(3600),
            tick: SimDuration::from_secs(1),
            slo_p99_ms: 400.0,
            availability: 0.999,
            zones: 3,
            policy: "threshold".into(),
            metric: Some("cpu".into()),
            database: false,
            cache: false,
            out_dir: "out/t".into(),
            session_path: "out/t/session.toml".into(),
        };
        let mut app = App::new(info);
        app.status = Status {
            now: SimTime::from_nanos(754_500_000_000),
            frozen: false,
            desired: 12,
            bounds: (6, 36),
            metric: Some("cpu"),
            zones: vec![Zone { live: 4, running: 4 }, Zone { live: 5, running: 4 }, Zone { live: 4, running: 4 }],
            finished: false,
        };
        app
    }

    fn keys(app: &mut App, commands: &[Command]) -> Vec<Effect> {
        commands.iter().filter_map(|c| update(app, *c)).collect()
    }

    fn typed(s: &str) -> Vec<Command> {
        s.chars().map(Command::Input).collect()
    }

    #[test]
    fn kill_asks_a_share_then_confirms() {
        let mut a = app();
        assert!(keys(&mut a, &[Command::Fault(Fault::KillFraction)]).is_empty());
        assert!(matches!(&a.mode, Mode::Prompt(p) if p.ask == Ask::KillPercent && p.text == "30"));
        assert!(keys(&mut a, &[Command::Submit]).is_empty());
        let Mode::Confirm(c) = &a.mode else { panic!("{:?}", a.mode) };
        assert_eq!(c.question, "Kill 30% of the running instances (4 of 12)?");
        let effects = keys(&mut a, &[Command::Yes]);
        assert_eq!(effects, [Effect::Inject(Action::KillInstances(KillAmount::Fraction(0.3)))]);
        assert_eq!(a.mode, Mode::Normal);
    }

    #[test]
    fn typing_replaces_the_default_and_bad_answers_keep_the_prompt() {
        let mut a = app();
        keys(&mut a, &[Command::Fault(Fault::KillFraction)]);
        keys(&mut a, &typed("150"));
        keys(&mut a, &[Command::Submit]);
        let Mode::Prompt(p) = &a.mode else { panic!() };
        assert_eq!(p.text, "150");
        assert!(p.error.as_deref().unwrap().contains("at most 100"));
        keys(&mut a, &[Command::Backspace, Command::Backspace, Command::Backspace]);
        keys(&mut a, &typed("50%"));
        keys(&mut a, &[Command::Submit]);
        assert!(matches!(&a.mode, Mode::Confirm(c) if c.question.starts_with("Kill 50% ")));
        keys(&mut a, &[Command::Cancel]);
        assert_eq!(a.mode, Mode::Normal);
    }

    #[test]
    fn kill_a_zone_names_its_instances() {
        let mut a = app();
        keys(&mut a, &[Command::Fault(Fault::KillZone)]);
        keys(&mut a, &typed("1"));
        keys(&mut a, &[Command::Submit]);
        assert!(matches!(&a.mode, Mode::Confirm(c) if c.question == "Kill zone 1 and its 5 instances?"));
        assert_eq!(keys(&mut a, &[Command::Yes]), [Effect::Inject(Action::KillZone(1))]);
        keys(&mut a, &[Command::Fault(Fault::KillZone)]);
        keys(&mut a, &typed("3"));
        keys(&mut a, &[Command::Submit]);
        assert!(matches!(&a.mode, Mode::Prompt(p) if p.error.is_some()), "zone 3 of 0–2");
    }

    #[test]
    fn unavailable_faults_say_why() {
        let mut a = app();
        for f in [Fault::DbSlowdown, Fault::DbOutage, Fault::CacheFlush] {
            assert!(keys(&mut a, &[Command::Fault(f)]).is_empty());
            assert_eq!(a.mode, Mode::Normal);
            assert!(a.message.as_ref().unwrap().text.starts_with("unavailable: this scenario has no ["));
        }
        a.info.zones = 1;
        keys(&mut a, &[Command::Fault(Fault::KillZone)]);
        assert!(a.message.as_ref().unwrap().text.contains("fleet.zones > 1"));
        assert_eq!(a.mode, Mode::Normal);
        a.info.database = true;
        assert_eq!(availability(Fault::DbOutage, &a.info), Ok(()));
        assert_eq!(availability(Fault::CacheFlush, &a.info), Err("this scenario has no [cache]".into()));
    }

    #[test]
    fn data_tier_faults_confirm_first() {
        let mut a = app();
        a.info.database = true;
        a.info.cache = true;
        let cases = [
            (Fault::DbSlowdown, Action::DbSlowdown { factor: 4.0, duration: Some(FAULT_PERIOD) }, "Slow the database"),
            (Fault::DbOutage, Action::DbOutage { duration: Some(DB_OUTAGE) }, "Take the database down for 1m?"),
            (Fault::CacheFlush, Action::CacheFlush, "Flush the shared cache"),
        ];
        for (fault, action, question) in cases {
            keys(&mut a, &[Command::Fault(fault)]);
            assert!(matches!(&a.mode, Mode::Confirm(c) if c.question.starts_with(question)), "{:?}", a.mode);
            assert_eq!(keys(&mut a, &[Command::Yes]), [Effect::Inject(action)]);
        }
    }

    #[test]
    fn spike_and_fixed_count_confirm_first() {
        let mut a = app();
        keys(&mut a, &[Command::Fault(Fault::TrafficSpike)]);
        let spike = Action::TrafficMultiplier { factor: 2.0, duration: Some(FAULT_PERIOD) };
        assert_eq!(keys(&mut a, &[Command::Yes]), [Effect::Inject(spike)]);
        keys(&mut a, &[Command::Runbook(Runbook::SetFixed)]);
        keys(&mut a, &typed("8"));
        keys(&mut a, &[Command::Submit]);
        assert!(matches!(&a.mode, Mode::Confirm(c) if c.question.contains("scale to 8 replicas (desired now 12)")));
        assert_eq!(keys(&mut a, &[Command::Yes]), [Effect::Inject(Action::SetReplicas(8))]);
    }

    #[test]
    fn freeze_toggles_without_asking() {
        let mut a = app();
        assert_eq!(
            keys(&mut a, &[Command::Runbook(Runbook::ToggleFreeze)]),
            [Effect::Inject(Action::FreezeAutoscaler)]
        );
        a.status.frozen = true;
        assert_eq!(
            keys(&mut a, &[Command::Runbook(Runbook::ToggleFreeze)]),
            [Effect::Inject(Action::UnfreezeAutoscaler)]
        );
    }

    #[test]
    fn bounds_stay_ordered() {
        let mut a = app();
        keys(&mut a, &[Command::Runbook(Runbook::SetMin)]);
        assert!(matches!(&a.mode, Mode::Prompt(p) if p.text == "6"));
        keys(&mut a, &typed("40"));
        keys(&mut a, &[Command::Submit]);
        assert!(matches!(&a.mode, Mode::Prompt(p) if p.error.as_deref().unwrap().contains("raise the max first")));
        keys(&mut a, &[Command::Cancel, Command::Runbook(Runbook::SetMax)]);
        keys(&mut a, &typed("20"));
        assert_eq!(keys(&mut a, &[Command::Submit]), [Effect::Inject(Action::SetMaxReplicas(20))]);
        keys(&mut a, &[Command::Runbook(Runbook::SetMax)]);
        keys(&mut a, &typed("x"));
        keys(&mut a, &[Command::Submit]);
        assert!(
            matches!(&a.mode, Mode::Prompt(p) if p.error.as_deref() == Some("type a whole number from 1 to 100000"))
        );
    }

    #[test]
    fn clock_commands() {
        let mut a = app();
        keys(&mut a, &[Command::TogglePause]);
        assert_eq!(a.clock, Clock::Running);
        keys(&mut a, &[Command::Step]);
        assert_eq!(a.clock, Clock::Seeking { to: SimTime::from_secs(755), then: Then::Pause });
        reached(&mut a);
        assert_eq!(a.clock, Clock::Paused);
        keys(&mut a, &[Command::JumpPrompt]);
        keys(&mut a, &typed("1h30m"));
        keys(&mut a, &[Command::Submit]);
        assert_eq!(a.clock, Clock::Seeking { to: a.info.end, then: Then::Pause }, "capped at the end");
        a.clock = Clock::Running;
        keys(&mut a, &[Command::JumpMinute]);
        assert_eq!(a.clock, Clock::Seeking { to: SimTime::from_nanos(814_500_000_000), then: Then::Run });
        keys(&mut a, &[Command::JumpMinute]);
        assert_eq!(
            a.clock,
            Clock::Seeking { to: SimTime::from_nanos(874_500_000_000), then: Then::Run },
            "a jump in a jump"
        );
        reached(&mut a);
        assert_eq!(a.clock, Clock::Running);
        for _ in 0..20 {
            keys(&mut a, &[Command::Faster]);
        }
        assert_eq!(a.speed(), None);
        assert_eq!(a.message.as_ref().unwrap().text, "speed as fast as possible");
        for _ in 0..20 {
            keys(&mut a, &[Command::Slower]);
        }
        assert_eq!(a.speed(), Some(1));
    }

    #[test]
    fn quitting_finishes_the_run_first() {
        let mut a = app();
        keys(&mut a, &[Command::Quit]);
        assert!(matches!(a.mode, Mode::Confirm(Confirm { pending: Pending::Quit, .. })));
        keys(&mut a, &[Command::Yes]);
        assert_eq!(a.clock, Clock::Seeking { to: a.info.end, then: Then::Quit });
        keys(&mut a, &[Command::Fault(Fault::KillFraction)]);
        assert_eq!(a.mode, Mode::Normal, "no faults while finishing");
        assert!(!a.quit);
        finished(&mut a, Summary::default());
        assert!(a.quit);
        assert_eq!(keys(&mut a, &[Command::Abort]), [Effect::Abort]);
    }

    #[test]
    fn log_scrolling_holds_its_place() {
        let mut a = app();
        let row = |kind: EventKind| EventRow { at: SimTime::ZERO, kind, subject: "x".into(), detail: "y".into() };
        let status = a.status.clone();
        observe(&mut a, status.clone(), vec![], (0..30).map(|_| row(EventKind::Scale)).collect());
        keys(&mut a, &[Command::PageUp, Command::ScrollUp]);
        assert_eq!(a.log.scroll, 11);
        observe(&mut a, status.clone(), vec![], vec![row(EventKind::Scale), row(EventKind::Instance)]);
        assert_eq!(a.log.scroll, 12, "instance lines are hidden by default");
        keys(&mut a, &[Command::ToggleLifecycle]);
        assert_eq!(a.log.scroll, 0);
        observe(&mut a, status, vec![], vec![row(EventKind::Instance)]);
        keys(&mut a, &[Command::PageUp, Command::PageUp, Command::PageUp, Command::PageUp]);
        assert_eq!(a.log.scroll, 32, "33 shown lines: the oldest at the top");
        keys(&mut a, &[Command::Follow]);
        assert_eq!(a.log.scroll, 0);
    }
}
