//! Capacity pending: the autoscaler asked for instances the cluster cannot
//! place — they wait in Pending for capacity (a quota, or nodes still being
//! added).

use super::episode::{Episode, Span, report};
use super::{Context, Detector, severity};
use crate::output::TickRow;
use crate::output::summary::{Finding, FindingKind};

const FIX: &str = "keep node headroom (overprovisioning with low-priority placeholder pods), raise the quota or the node autoscaler's maximum, or provision nodes faster";

#[derive(Default)]
pub(super) struct CapacityPending {
    episode: Episode,
    peak: u32,
    capacity: Option<u32>,
}

impl Detector for CapacityPending {
    fn kind(&self) -> FindingKind {
        FindingKind::CapacityPending
    }

    fn tick(&mut self, row: &TickRow, dt: f64, cx: &Context, confirmed: &mut Vec<Finding>, done: &mut Vec<Finding>) {
        if !self.episode.is_open() {
            self.peak = 0;
        }
        let on = row.replicas_pending > 0;
        if on {
            self.peak = self.peak.max(row.replicas_pending);
            self.capacity = row.capacity;
        }
        let step = self.episode.step(row.t_s, dt, on, cx.spec.pending_for.as_secs_f64(), 5.0);
        report(step, |span| self.finding(span), confirmed, done);
    }

    fn finish(&mut self, _end_s: f64, _cx: &Context, done: &mut Vec<Finding>) {
        if let Some(span) = self.episode.close() {
            done.push(self.finding(span));
        }
    }
}

impl CapacityPending {
    fn finding(&self, span: Span) -> Finding {
        let capacity = self.capacity.map_or(String::new(), |c| format!(" (schedulable capacity {c})"));
        Finding {
            kind: FindingKind::CapacityPending,
            start_s: span.start,
            end_s: span.end,
            severity: severity(span.held, self.peak as f64 / 10.0),
            evidence: format!(
                "up to {} instances waited in Pending for {:.0} s{capacity}: the autoscaler could scale, the cluster could not place them",
                self.peak, span.held
            ),
            fix: FIX.into(),
        }
    }
}
