//! Keys → commands: one table of bindings (which the help overlay lists)
//! and one pure function, [`command`], that maps a key press to what it
//! asks for in the current mode. Nothing here changes state.
//!
//! Adding a key is one [`Binding`] line; adding a fault is one [`Fault`]
//! variant and its binding.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// A fault the operator can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Kill a share of the running instances.
    KillFraction,
    /// Kill every instance of one zone.
    KillZone,
    /// Double the traffic for a while.
    TrafficSpike,
    /// Slow the database down for a while.
    DbSlowdown,
    /// Take the database down for a while.
    DbOutage,
    /// Empty the shared cache.
    CacheFlush,
    /// Add network latency to every request for a while.
    AddLatency,
    /// Make a share of requests fail in a dependency for a while.
    DependencyErrors,
}

/// A runbook step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runbook {
    /// Freeze the autoscaler, or unfreeze it if frozen.
    ToggleFreeze,
    /// Set the policy's lower bound.
    SetMin,
    /// Set the policy's upper bound.
    SetMax,
    /// Freeze the autoscaler at a fixed replica count.
    SetFixed,
    /// Move the app fleet to another instance type (scale up or down).
    Resize,
    /// Change one of the policy's fields.
    SetPolicyField,
}

/// What a key asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Pause or resume.
    TogglePause,
    /// Next speed up.
    Faster,
    /// Next speed down.
    Slower,
    /// Advance one tick, then pause.
    Step,
    /// Jump forward one minute.
    JumpMinute,
    /// Jump forward by a duration typed in a prompt.
    JumpPrompt,
    /// Inject a fault.
    Fault(Fault),
    /// Take a runbook step.
    Runbook(Runbook),
    /// Show the help overlay.
    Help,
    /// Cycle the chart window.
    Window,
    /// Show or hide per-instance lines in the log.
    ToggleLifecycle,
    /// Scroll the log back one line.
    ScrollUp,
    /// Scroll the log forward one line.
    ScrollDown,
    /// Scroll the log back a page.
    PageUp,
    /// Scroll the log forward a page.
    PageDown,
    /// Follow the newest log line.
    Follow,
    /// Run to the end, write the outputs and quit (asks first).
    Quit,
    /// Quit at once without writing the outputs (Ctrl-C).
    Abort,
    /// A character typed into a prompt.
    Input(char),
    /// Delete the last character of a prompt.
    Backspace,
    /// Accept a prompt.
    Submit,
    /// Say yes to a confirmation.
    Yes,
    /// Close a prompt, confirmation or overlay.
    Cancel,
}

/// Groups of keys, as the help overlay shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// The clock.
    Simulation,
    /// Faults.
    Faults,
    /// Runbook actions.
    Runbook,
    /// What is shown.
    View,
}

impl Group {
    /// Every group, in help order.
    pub const ALL: [Group; 4] = [Group::Simulation, Group::Faults, Group::Runbook, Group::View];

    /// Its heading.
    pub fn title(self) -> &'static str {
        match self {
            Group::Simulation => "Simulation",
            Group::Faults => "Faults (asks to confirm)",
            Group::Runbook => "Runbook",
            Group::View => "View",
        }
    }
}

/// One key binding of the dashboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The keys that trigger it.
    pub keys: &'static [KeyCode],
    /// How the keys are written in help (empty: listed with the line above).
    pub label: &'static str,
    /// What they ask for.
    pub command: Command,
    /// What it does, in a few words.
    pub help: &'static str,
    /// Its word in the footer's key hints (empty: not in the footer).
    pub hint: &'static str,
    /// Where help lists it.
    pub group: Group,
}

const fn bind(
    keys: &'static [KeyCode],
    label: &'static str,
    command: Command,
    help: &'static str,
    hint: &'static str,
    group: Group,
) -> Binding {
    Binding { keys, label, command, help, hint, group }
}

use Command as C;
use KeyCode::{Char, Down, End, F, PageDown, PageUp, Up};

/// Every key of the dashboard (normal mode), in help order.
pub const BINDINGS: &[Binding] = &[
    bind(&[Char(' '), Char('p')], "space p", C::TogglePause, "pause / resume", "pause", Group::Simulation),
    bind(&[Char('+'), Char('=')], "+", C::Faster, "faster (1× … max)", "faster", Group::Simulation),
    bind(&[Char('-'), Char('_')], "-", C::Slower, "slower", "slower", Group::Simulation),
    bind(&[Char('.'), Char('s')], ". s", C::Step, "step one tick (pauses)", "step", Group::Simulation),
    bind(&[Char('j')], "j", C::JumpMinute, "jump forward 1 minute", "+1m", Group::Simulation),
    bind(&[Char('J')], "J", C::JumpPrompt, "jump forward by …", "", Group::Simulation),
    bind(&[Char('q')], "q", C::Quit, "finish the run and quit", "quit", Group::Simulation),
    bind(&[Char('k')], "k", C::Fault(Fault::KillFraction), "kill a share of instances", "kill", Group::Faults),
    bind(&[Char('z')], "z", C::Fault(Fault::KillZone), "kill a zone", "zone", Group::Faults),
    bind(&[Char('t')], "t", C::Fault(Fault::TrafficSpike), "traffic ×2 for 5 minutes", "spike", Group::Faults),
    bind(&[Char('d')], "d", C::Fault(Fault::DbSlowdown), "database slowdown", "db slow", Group::Faults),
    bind(&[Char('o')], "o", C::Fault(Fault::DbOutage), "database outage", "db down", Group::Faults),
    bind(&[Char('c')], "c", C::Fault(Fault::CacheFlush), "flush the cache", "flush", Group::Faults),
    bind(&[Char('l')], "l", C::Fault(Fault::AddLatency), "added latency, 5 min", "", Group::Faults),
    bind(&[Char('e')], "e", C::Fault(Fault::DependencyErrors), "dependency errors, 5 min", "", Group::Faults),
    bind(&[Char('f')], "f", C::Runbook(Runbook::ToggleFreeze), "(un)freeze the autoscaler", "freeze", Group::Runbook),
    bind(&[Char('m')], "m", C::Runbook(Runbook::SetMin), "set min replicas", "min", Group::Runbook),
    bind(&[Char('M')], "M", C::Runbook(Runbook::SetMax), "set max replicas", "max", Group::Runbook),
    bind(&[Char('r')], "r", C::Runbook(Runbook::SetFixed), "fixed replicas (freezes)", "fixed", Group::Runbook),
    bind(&[Char('R')], "R", C::Runbook(Runbook::Resize), "resize the app fleet", "", Group::Runbook),
    bind(&[Char('P')], "P", C::Runbook(Runbook::SetPolicyField), "set a policy field", "", Group::Runbook),
    bind(&[Char('?'), Char('h'), F(1)], "? h", C::Help, "this help", "help", Group::View),
    bind(&[Char('w')], "w", C::Window, "chart window 2m/10m/30m/2h", "window", Group::View),
    bind(&[Char('v')], "v", C::ToggleLifecycle, "instance lines in the log", "", Group::View),
    bind(&[Up], "↑ ↓", C::ScrollUp, "scroll the log", "", Group::View),
    bind(&[Down], "", C::ScrollDown, "", "", Group::View),
    bind(&[PageUp], "PgUp PgDn", C::PageUp, "scroll the log a page", "", Group::View),
    bind(&[PageDown], "", C::PageDown, "", "", Group::View),
    bind(&[End], "End", C::Follow, "follow the newest line", "", Group::View),
];

/// Which keys are live: the dashboard, or the dialog on top of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keys {
    /// The dashboard: [`BINDINGS`].
    Normal,
    /// The help overlay: any key closes it.
    Help,
    /// A prompt: typing, Backspace, Enter, Esc.
    Prompt,
    /// A confirmation: y / n.
    Confirm,
}

/// The command a key press asks for in the current mode, if any. Pure.
pub fn command(key: KeyEvent, keys: Keys) -> Option<Command> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, Char('c' | 'C')).then_some(C::Abort);
    }
    match (keys, key.code) {
        (Keys::Help, _) => Some(C::Cancel),
        (Keys::Prompt | Keys::Confirm, KeyCode::Esc) => Some(C::Cancel),
        (Keys::Prompt, KeyCode::Enter) => Some(C::Submit),
        (Keys::Prompt, KeyCode::Backspace) => Some(C::Backspace),
        // Any printable character but space: policy fields and values
        // (`metrics[0].resource.target.averageUtilization=70`, `+1`).
        (Keys::Prompt, Char(c)) if c.is_ascii_graphic() => Some(C::Input(c)),
        (Keys::Confirm, KeyCode::Enter | Char('y' | 'Y')) => Some(C::Yes),
        (Keys::Confirm, Char('n' | 'N' | 'q')) => Some(C::Cancel),
        (Keys::Normal, code) => BINDINGS.iter().find(|b| b.keys.contains(&code)).map(|b| b.command),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn normal(c: char) -> Option<Command> {
        command(press(Char(c)), Keys::Normal)
    }

    #[test]
    fn dashboard_keys() {
        let cases = [
            (' ', C::TogglePause),
            ('p', C::TogglePause),
            ('+', C::Faster),
            ('=', C::Faster),
            ('-', C::Slower),
            ('.', C::Step),
            ('j', C::JumpMinute),
            ('J', C::JumpPrompt),
            ('k', C::Fault(Fault::KillFraction)),
            ('z', C::Fault(Fault::KillZone)),
            ('t', C::Fault(Fault::TrafficSpike)),
            ('d', C::Fault(Fault::DbSlowdown)),
            ('o', C::Fault(Fault::DbOutage)),
            ('c', C::Fault(Fault::CacheFlush)),
            ('f', C::Runbook(Runbook::ToggleFreeze)),
            ('m', C::Runbook(Runbook::SetMin)),
            ('M', C::Runbook(Runbook::SetMax)),
            ('r', C::Runbook(Runbook::SetFixed)),
            ('R', C::Runbook(Runbook::Resize)),
            ('P', C::Runbook(Runbook::SetPolicyField)),
            ('l', C::Fault(Fault::AddLatency)),
            ('e', C::Fault(Fault::DependencyErrors)),
            ('?', C::Help),
            ('w', C::Window),
            ('v', C::ToggleLifecycle),
            ('q', C::Quit),
        ];
        for (c, want) in cases {
            assert_eq!(normal(c), Some(want), "{c:?}");
        }
        assert_eq!(command(press(Up), Keys::Normal), Some(C::ScrollUp));
        assert_eq!(command(press(Down), Keys::Normal), Some(C::ScrollDown));
        assert_eq!(command(press(PageUp), Keys::Normal), Some(C::PageUp));
        assert_eq!(command(press(PageDown), Keys::Normal), Some(C::PageDown));
        assert_eq!(command(press(End), Keys::Normal), Some(C::Follow));
        assert_eq!(command(press(F(1)), Keys::Normal), Some(C::Help));
        assert_eq!(normal('x'), None);
        assert_eq!(normal('5'), None, "digits only mean something in a prompt");
        assert_eq!(command(press(KeyCode::Enter), Keys::Normal), None);
    }

    #[test]
    fn ctrl_c_aborts_everywhere_and_other_chords_do_nothing() {
        for keys in [Keys::Normal, Keys::Help, Keys::Prompt, Keys::Confirm] {
            let ctrl_c = KeyEvent::new(Char('c'), KeyModifiers::CONTROL);
            assert_eq!(command(ctrl_c, keys), Some(C::Abort));
            assert_eq!(command(KeyEvent::new(Char('k'), KeyModifiers::CONTROL), keys), None);
        }
    }

    #[test]
    fn releases_are_ignored() {
        let mut k = press(Char('k'));
        k.kind = KeyEventKind::Release;
        assert_eq!(command(k, Keys::Normal), None);
        k.kind = KeyEventKind::Repeat;
        assert_eq!(command(k, Keys::Normal), Some(C::Fault(Fault::KillFraction)));
    }

    #[test]
    fn prompts_take_digits_and_units() {
        let p = |code| command(press(code), Keys::Prompt);
        assert_eq!(p(Char('3')), Some(C::Input('3')));
        assert_eq!(p(Char('m')), Some(C::Input('m')));
        assert_eq!(p(Char('.')), Some(C::Input('.')));
        assert_eq!(p(Char('%')), Some(C::Input('%')));
        assert_eq!(p(Char('=')), Some(C::Input('=')));
        assert_eq!(p(Char('+')), Some(C::Input('+')));
        assert_eq!(p(Char('_')), Some(C::Input('_')));
        assert_eq!(p(Char('k')), Some(C::Input('k')), "no dashboard keys while typing");
        assert_eq!(p(Char(' ')), None);
        assert_eq!(p(KeyCode::Backspace), Some(C::Backspace));
        assert_eq!(p(KeyCode::Enter), Some(C::Submit));
        assert_eq!(p(KeyCode::Esc), Some(C::Cancel));
    }

    #[test]
    fn confirmations_take_yes_or_no() {
        let c = |code| command(press(code), Keys::Confirm);
        assert_eq!(c(Char('y')), Some(C::Yes));
        assert_eq!(c(Char('Y')), Some(C::Yes));
        assert_eq!(c(KeyCode::Enter), Some(C::Yes));
        assert_eq!(c(Char('n')), Some(C::Cancel));
        assert_eq!(c(KeyCode::Esc), Some(C::Cancel));
        assert_eq!(c(Char('k')), None, "no other key acts while a question is open");
    }

    #[test]
    fn any_key_closes_help() {
        assert_eq!(command(press(Char('x')), Keys::Help), Some(C::Cancel));
        assert_eq!(command(press(KeyCode::Esc), Keys::Help), Some(C::Cancel));
    }

    #[test]
    fn no_key_is_bound_twice_and_every_fault_has_a_key() {
        let mut seen = Vec::new();
        for b in BINDINGS {
            for k in b.keys {
                assert!(!seen.contains(k), "{k:?} bound twice");
                seen.push(*k);
            }
        }
        for f in [
            Fault::KillFraction,
            Fault::KillZone,
            Fault::TrafficSpike,
            Fault::DbSlowdown,
            Fault::DbOutage,
            Fault::CacheFlush,
            Fault::AddLatency,
            Fault::DependencyErrors,
        ] {
            assert!(BINDINGS.iter().any(|b| b.command == C::Fault(f)), "{f:?}");
        }
    }
}
