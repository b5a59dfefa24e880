//! Metric lag: the SLO burns while the policy's view of its metric trails
//! the truth (scrape interval, averaging window, delay): capacity follows
//! the load too late.

use super::episode::{Episode, Span, report};
use super::{Context, Detector, severity};
use crate::output::TickRow;
use crate::output::summary::{Finding, FindingKind};

const FIX: &str = "shorten the metrics window, scrape interval or delay; scale on a leading metric (request rate, queue) rather than CPU; or keep more headroom (a lower target)";

#[derive(Default)]
pub(super) struct MetricLag {
    episode: Episode,
    /// The widest gap seen: (true, seen, target).
    worst: (f64, f64, f64),
    peak_p99: f64,
}

impl Detector for MetricLag {
    fn kind(&self) -> FindingKind {
        FindingKind::MetricLag
    }

    fn tick(&mut self, row: &TickRow, dt: f64, cx: &Context, confirmed: &mut Vec<Finding>, done: &mut Vec<Finding>) {
        if !self.episode.is_open() {
            *self = MetricLag { episode: std::mem::take(&mut self.episode), ..MetricLag::default() };
        }
        let on = match (row.metric_true, row.metric_seen, row.metric_target) {
            (Some(truth), Some(seen), Some(target)) if target > 0.0 => {
                truth >= target && truth - seen >= cx.spec.lag_gap * target && cx.slo_bad(row)
            }
            _ => false,
        };
        if on {
            let (truth, seen, target) =
                (row.metric_true.unwrap_or(0.0), row.metric_seen.unwrap_or(0.0), row.metric_target.unwrap_or(0.0));
            if truth - seen > self.worst.0 - self.worst.1 {
                self.worst = (truth, seen, target);
            }
            self.peak_p99 = self.peak_p99.max(row.p99_ms.unwrap_or(0.0));
        }
        let step = self.episode.step(row.t_s, dt, on, cx.spec.sustain.as_secs_f64(), 30.0);
        report(step, |span| self.finding(span, cx), confirmed, done);
    }

    fn finish(&mut self, _end_s: f64, cx: &Context, done: &mut Vec<Finding>) {
        if let Some(span) = self.episode.close() {
            done.push(self.finding(span, cx));
        }
    }
}

impl MetricLag {
    fn finding(&self, span: Span, cx: &Context) -> Finding {
        let (truth, seen, target) = self.worst;
        let show = |x: f64| if target <= 2.0 { format!("{:.0}%", x * 100.0) } else { format!("{x:.1}") };
        Finding {
            kind: FindingKind::MetricLag,
            start_s: span.start,
            end_s: span.end,
            severity: severity(span.held, (truth - seen) / target.max(1e-9)),
            evidence: format!(
                "the policy's metric was {} while it saw {} (target {}) during {:.0} s of SLO breach; p99 up to {:.0} ms (SLO {:.0} ms)",
                show(truth),
                show(seen),
                show(target),
                span.held,
                self.peak_p99,
                cx.slo_p99_ms
            ),
            fix: FIX.into(),
        }
    }
}
