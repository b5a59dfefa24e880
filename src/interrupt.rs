//! SIGINT (Ctrl-C) and SIGTERM (what `kill`, Kubernetes and Slurm send),
//! handled alike by `run`, `sweep` and `tui`: the first asks the command to
//! stop — it keeps what is complete (a sweep's finished rows), removes its
//! temporaries and exits 130 or 143 (128 + the signal, as a shell reports
//! it); a second exits at once, still removing the temporaries, and so does
//! the first if the command has not stopped within [`GRACE`] (a simulation
//! stuck inside one event never polls the flag).
//!
//! A thread of signal-hook's iterator receives the signals, so the work on
//! them (printing, removing files) runs on an ordinary thread rather than
//! in a signal handler.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

pub use crate::error::Signal;

/// The signal's value in [`WHICH`] (0: none yet).
fn code(signal: Signal) -> u8 {
    match signal {
        Signal::Interrupt => 1,
        Signal::Terminate => 2,
    }
}

/// How long the first signal waits for the command to stop by itself.
pub const GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Set by the first signal: commands poll it and stop.
static STOP: AtomicBool = AtomicBool::new(false);
/// Which signal it was (0: none yet).
static WHICH: AtomicU8 = AtomicU8::new(0);
/// What the first signal prints.
static NOTE: OnceLock<String> = OnceLock::new();

/// The flag the first signal sets (what a sweep polls).
pub fn flag() -> &'static AtomicBool {
    &STOP
}

/// The signal that asked to stop, if one did.
pub fn requested() -> Option<Signal> {
    match WHICH.load(Ordering::SeqCst) {
        1 => Some(Signal::Interrupt),
        2 => Some(Signal::Terminate),
        _ => None,
    }
}

/// Records a stop request as if `signal` had arrived; true if it is the
/// first. (The handler's own path; tests call it to stop in-process work.)
pub fn request(signal: Signal) -> bool {
    let first = WHICH.compare_exchange(0, code(signal), Ordering::SeqCst, Ordering::SeqCst).is_ok();
    STOP.store(true, Ordering::SeqCst);
    first
}

/// Starts handling SIGINT and SIGTERM; `note` is printed (to stderr) at the
/// first signal and says what the command keeps. Once per process: later
/// calls change nothing.
pub fn install(note: &str) {
    if NOTE.set(note.to_string()).is_err() {
        return;
    }
    spawn();
}

fn on_signal(signal: Signal) {
    if request(signal) {
        let note = NOTE.get().map_or("", String::as_str);
        eprintln!("\n{}: stopping: {note} ({} again to quit at once)", signal.name(), signal.name());
        std::thread::spawn(move || {
            std::thread::sleep(GRACE);
            eprintln!("{}: not stopped after {} s: quitting", signal.name(), GRACE.as_secs());
            quit(signal);
        });
    } else {
        quit(signal);
    }
}

fn quit(signal: Signal) -> ! {
    crate::output::atomic::remove_all();
    std::process::exit(i32::from(signal.exit_code()));
}

#[cfg(unix)]
fn spawn() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    // Fails only if signals cannot be registered at all; then the default
    // action (exit) stays, which is the behaviour without this module.
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else { return };
    let _ = std::thread::Builder::new().name("scalesim-signals".into()).spawn(move || {
        for s in signals.forever() {
            on_signal(if s == SIGTERM { Signal::Terminate } else { Signal::Interrupt });
        }
    });
}

#[cfg(not(unix))]
fn spawn() {
    // Windows: Ctrl-C and Ctrl-Break, as ctrlc delivers them.
    let _ = ctrlc::set_handler(|| on_signal(Signal::Interrupt));
}
