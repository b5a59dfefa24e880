//! Retry storm: after a blip, clients' retries come back in synchronized
//! waves that multiply the offered load and keep the service down.

use super::episode::{Episode, Span, report};
use super::{Context, Detector, pct, severity};
use crate::output::TickRow;
use crate::output::summary::{Finding, FindingKind};

const FIX: &str = "retry with exponential backoff and full jitter, bound retries (a retry budget), and stop work the client abandoned (cancel on timeout)";

#[derive(Default)]
pub(super) struct RetryStorm {
    episode: Episode,
    peak_share: f64,
    retries: f64,
    fresh: f64,
    /// Wave counting: the previous tick's retries and whether they were rising.
    last_retries: f64,
    rising: bool,
    waves: u32,
}

impl Detector for RetryStorm {
    fn kind(&self) -> FindingKind {
        FindingKind::RetryStorm
    }

    fn tick(&mut self, row: &TickRow, dt: f64, cx: &Context, confirmed: &mut Vec<Finding>, done: &mut Vec<Finding>) {
        if !self.episode.is_open() {
            *self = RetryStorm {
                episode: std::mem::take(&mut self.episode),
                last_retries: self.last_retries,
                ..Default::default()
            };
        }
        let share = row.retries_rps / row.offered_rps.max(1e-9);
        let on = row.retries_rps >= 1.0 && share >= cx.spec.retry_share;
        if on {
            self.peak_share = self.peak_share.max(share);
            self.retries += row.retries_rps * dt;
            self.fresh += (row.offered_rps - row.retries_rps) * dt;
            // A wave: retries rise, then fall back.
            if row.retries_rps > self.last_retries * 1.2 {
                self.rising = true;
            } else if self.rising && row.retries_rps < self.last_retries * 0.8 {
                self.rising = false;
                self.waves += 1;
            }
        }
        self.last_retries = row.retries_rps;
        let step = self.episode.step(row.t_s, dt, on, cx.spec.sustain.as_secs_f64(), 10.0);
        report(step, |span| self.finding(span), confirmed, done);
    }

    fn finish(&mut self, _end_s: f64, _cx: &Context, done: &mut Vec<Finding>) {
        if let Some(span) = self.episode.close() {
            done.push(self.finding(span));
        }
    }
}

impl RetryStorm {
    fn finding(&self, span: Span) -> Finding {
        let amplification = (self.fresh + self.retries) / self.fresh.max(1e-9);
        Finding {
            kind: FindingKind::RetryStorm,
            start_s: span.start,
            end_s: span.end,
            severity: severity(span.held, self.peak_share),
            evidence: format!(
                "retries were up to {} of offered load for {:.0} s ({:.0} retries on {:.0} new requests: {amplification:.1}× amplification){}",
                pct(self.peak_share),
                span.held,
                self.retries,
                self.fresh,
                if self.waves >= 3 { format!(", in {} waves", self.waves) } else { String::new() }
            ),
            fix: FIX.into(),
        }
    }
}
