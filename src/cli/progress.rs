//! `run`'s progress on a terminal: simulated time, simulated/real speed and
//! the ETA, with the same library as `sweep`'s bar (indicatif). Nothing when
//! stderr is not a terminal or with `--quiet`: logs and pipes get the report
//! alone.
//!
//! The run is driven in slices of simulated time (also without a bar, so
//! a signal is noticed between slices); the outputs do not depend
//! on the slicing (tests/it/determinism.rs drives whole, sliced and stepwise).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::time::{SimDuration, SimTime};
use crate::error::Signal;
use crate::interrupt;
use crate::sim::Simulation;

/// How much wall time a slice should take: short enough for a live bar,
/// long enough that its cost is nil.
const SLICE_WALL: Duration = Duration::from_millis(100);

/// Drives a run to its end, showing progress when wanted.
pub(crate) struct RunProgress {
    bar: Option<ProgressBar>,
}

impl RunProgress {
    /// A bar on a terminal; nothing if `quiet` or stderr is not one.
    pub(crate) fn new(quiet: bool) -> RunProgress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{prefix} {bar:30.cyan/blue} {msg}  elapsed {elapsed}  ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("█▉▊▋▌▍▎▏ ");
            bar.set_style(style);
            bar.set_prefix("simulating");
            bar
        });
        RunProgress { bar }
    }

    /// Runs `sim` to its end in slices of about [`SLICE_WALL`], or until a
    /// signal asks the run to stop: then returns that signal.
    pub(crate) fn drive(self, sim: &mut Simulation) -> Option<Signal> {
        let end = sim.end();
        if let Some(bar) = &self.bar {
            bar.set_length(end.as_nanos());
        }
        let started = Instant::now();
        // Start with one simulated second and adapt the slice to SLICE_WALL.
        let mut slice = SimDuration::from_secs(1);
        while !sim.finished() {
            if let Some(signal) = interrupt::requested() {
                if let Some(bar) = &self.bar {
                    bar.abandon();
                }
                return Some(signal);
            }
            let before = (Instant::now(), sim.now());
            sim.run_until(SimTime::from_nanos(sim.now().as_nanos().saturating_add(slice.as_nanos())).min(end));
            let took = before.0.elapsed().max(Duration::from_micros(1));
            let done = sim.now().saturating_since(before.1);
            slice = SimDuration::from_nanos(
                ((done.as_nanos() as f64) * SLICE_WALL.as_secs_f64() / took.as_secs_f64()).max(1e6) as u64,
            );
            let Some(bar) = &self.bar else { continue };
            let speed = sim.now().as_secs_f64() / started.elapsed().as_secs_f64().max(1e-9);
            bar.set_position(sim.now().as_nanos());
            bar.set_message(format!(
                "{} of {} simulated, {speed:.0}× real time",
                clock(sim.now().as_secs_f64()),
                clock(end.as_secs_f64())
            ));
        }
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
        None
    }
}

/// `1d02h03m`, `2h03m04s` or `3m04s`.
fn clock(secs: f64) -> String {
    let s = secs as u64;
    match s {
        86_400.. => format!("{}d{:02}h{:02}m", s / 86_400, s / 3600 % 24, s / 60 % 60),
        3600.. => format!("{}h{:02}m{:02}s", s / 3600, s / 60 % 60, s % 60),
        _ => format!("{}m{:02}s", s / 60, s % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::clock;

    #[test]
    fn clock_reads_at_every_scale() {
        assert_eq!(clock(184.0), "3m04s");
        assert_eq!(clock(7384.0), "2h03m04s");
        assert_eq!(clock(87.0 * 86_400.0 + 3780.0), "87d01h03m");
    }
}
