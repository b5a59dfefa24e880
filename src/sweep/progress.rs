//! Progress on stderr (stdout is left to the report): a bar with rate and
//! ETA when stderr is a terminal, otherwise a plain line every 10 seconds
//! and at the end — readable in CI logs and `kubectl logs`, with no control
//! characters.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

enum Mode {
    Bar(ProgressBar),
    Lines { last: Instant },
    Quiet,
}

/// Reports how many runs are done.
pub struct Progress {
    mode: Mode,
    label: String,
    started: Instant,
    done: usize,
    total: usize,
}

/// How often a plain progress line is printed.
const EVERY: Duration = Duration::from_secs(10);

fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 { format!("{}h{:02}m", s / 3600, s / 60 % 60) } else { format!("{}m{:02}s", s / 60, s % 60) }
}

impl Progress {
    /// A bar on a terminal, plain lines otherwise, nothing if `quiet`.
    pub fn new(label: &str, total: usize, quiet: bool) -> Progress {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{prefix} {bar:30.cyan/blue} {pos}/{len} runs  {per_sec:.1}  elapsed {elapsed}  ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("█▉▊▋▌▍▎▏ ");
            bar.set_style(style);
            bar.set_prefix(label.to_string());
            bar.enable_steady_tick(Duration::from_millis(200));
            Mode::Bar(bar)
        } else {
            Mode::Lines { last: Instant::now() }
        };
        Progress { mode, label: label.to_string(), started: Instant::now(), done: 0, total }
    }

    /// Quiet progress (tests, benches).
    pub fn quiet() -> Progress {
        Progress::new("", 0, true)
    }

    /// `done` of `total` runs are finished.
    pub fn update(&mut self, done: usize, total: usize) {
        self.done = done;
        self.total = total;
        match &mut self.mode {
            Mode::Bar(bar) => {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
            Mode::Lines { last } => {
                if last.elapsed() >= EVERY {
                    *last = Instant::now();
                    let line = self.line();
                    let _ = writeln!(std::io::stderr().lock(), "{line}");
                }
            }
            Mode::Quiet => {}
        }
    }

    fn line(&self) -> String {
        let elapsed = self.started.elapsed();
        let rate = self.done as f64 / elapsed.as_secs_f64().max(1e-9);
        let eta = if self.done > 0 && self.done < self.total {
            format!(", ETA {}", clock(Duration::from_secs_f64((self.total - self.done) as f64 / rate)))
        } else {
            String::new()
        };
        let pct = if self.total == 0 { 100.0 } else { 100.0 * self.done as f64 / self.total as f64 };
        format!(
            "{}: {}/{} runs ({pct:.0}%), {:.1} runs/s, elapsed {}{eta}",
            self.label,
            self.done,
            self.total,
            rate,
            clock(elapsed)
        )
    }

    /// Ends the display (the bar is cleared; plain mode prints a last line).
    pub fn finish(&mut self) {
        match &self.mode {
            Mode::Bar(bar) => bar.finish_and_clear(),
            Mode::Lines { .. } => {
                let line = self.line();
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
            Mode::Quiet => {}
        }
        self.mode = Mode::Quiet;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.abandon();
        }
    }
}
