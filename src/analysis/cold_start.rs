//! Cold start: the SLO breaks while new capacity is still starting or warming
//! up — the time from a scale-up decision to ready instances is longer than
//! the load takes to outgrow the fleet.

use super::episode::{Episode, Span, Step};
use super::{Context, Detector, severity};
use crate::output::TickRow;
use crate::output::summary::{Finding, FindingKind};

const FIX: &str = "shorten decision-to-ready (smaller images, faster boot, a warm pool of pre-started instances), enable slow start so cold instances take a small share, scale ahead of the load (predictive or scheduled scaling), or shed load while capacity arrives";

#[derive(Default)]
pub(super) struct ColdStart {
    episode: Episode,
    /// Pending scale-ups: (when decided, the count they asked for).
    waiting: Vec<(f64, u32)>,
    last_desired: u32,
    /// Longest decision-to-ready seen recently.
    slowest_ready: f64,
    peak_p99: f64,
    peak_cold: u32,
}

impl Detector for ColdStart {
    fn kind(&self) -> FindingKind {
        FindingKind::ColdStart
    }

    fn tick(&mut self, row: &TickRow, dt: f64, cx: &Context, confirmed: &mut Vec<Finding>, done: &mut Vec<Finding>) {
        let serving = row.replicas_ready + row.replicas_warming;
        if row.replicas_desired > self.last_desired && self.last_desired > 0 {
            self.waiting.push((row.t_s, row.replicas_desired));
        }
        self.last_desired = row.replicas_desired;
        // Decision-to-ready: a scale-up is served once enough instances serve.
        let end = row.t_s + dt;
        self.waiting.retain(|&(at, want)| {
            if serving >= want || row.replicas_desired < want {
                if serving >= want {
                    self.slowest_ready = self.slowest_ready.max(end - at);
                }
                return false;
            }
            true
        });
        let still_waiting = self.waiting.first().map_or(0.0, |&(at, _)| end - at);
        let cold = row.replicas_warming + row.replicas_starting;
        let short = row.replicas_desired > serving;
        // Cold capacity makes requests slow (not failed): a latency breach.
        let slow = row.p99_ms.is_some_and(|p| p > cx.slo_p99_ms);
        let on = slow && (row.replicas_warming > 0 || (short && row.replicas_starting > 0));
        if !self.episode.is_open() {
            self.peak_p99 = 0.0;
            self.peak_cold = 0;
            self.slowest_ready = self.slowest_ready.max(still_waiting);
        }
        if on {
            self.peak_p99 = self.peak_p99.max(row.p99_ms.unwrap_or(0.0));
            self.peak_cold = self.peak_cold.max(cold);
            self.slowest_ready = self.slowest_ready.max(still_waiting);
        }
        match self.episode.step(row.t_s, dt, on, cx.spec.sustain.as_secs_f64(), 30.0) {
            Step::Confirmed(span) => confirmed.push(self.finding(span, cx)),
            Step::Ended(span) => {
                done.push(self.finding(span, cx));
                self.slowest_ready = 0.0;
            }
            Step::Quiet => {}
        }
    }

    fn finish(&mut self, _end_s: f64, cx: &Context, done: &mut Vec<Finding>) {
        if let Some(span) = self.episode.close() {
            done.push(self.finding(span, cx));
        }
    }
}

impl ColdStart {
    fn finding(&self, span: Span, cx: &Context) -> Finding {
        Finding {
            kind: FindingKind::ColdStart,
            start_s: span.start,
            end_s: span.end,
            severity: severity(span.held, (self.peak_p99 / cx.slo_p99_ms - 1.0) / 4.0),
            evidence: format!(
                "p99 up to {:.0} ms (SLO {:.0} ms) during {:.0} s while up to {} instances were starting or warming; decision to ready took up to {:.0} s",
                self.peak_p99, cx.slo_p99_ms, span.held, self.peak_cold, self.slowest_ready
            ),
            fix: FIX.into(),
        }
    }
}
