//! Downstream saturation: latency breaks with the app's CPU fine, because
//! the database behind it is saturated or past its USL peak — adding app
//! replicas there makes it worse, not better.

use super::episode::{Episode, Span, report};
use super::{Context, Detector, pct, severity};
use crate::output::TickRow;
use crate::output::summary::{Finding, FindingKind};

const FIX: &str = "cap maxReplicas (and pool sizes) so database concurrency stays below its USL peak n*; add a cache in front of reads; scale the database up, add read replicas or shard";

#[derive(Default)]
pub(super) struct DownstreamSaturation {
    episode: Episode,
    peak_p99: f64,
    app_cpu: f64,
    db_util: f64,
    db_active: f64,
}

impl Detector for DownstreamSaturation {
    fn kind(&self) -> FindingKind {
        FindingKind::DownstreamSaturation
    }

    fn tick(&mut self, row: &TickRow, dt: f64, cx: &Context, confirmed: &mut Vec<Finding>, done: &mut Vec<Finding>) {
        if !self.episode.is_open() {
            *self = DownstreamSaturation { episode: std::mem::take(&mut self.episode), ..Default::default() };
        }
        let d = &row.data;
        let saturated = d.db_util.is_some_and(|u| u >= cx.spec.db_saturated)
            || matches!((d.db_active, cx.usl_peak), (Some(n), Some(peak)) if n > peak);
        let app_fine = row.cpu_util_true.is_some_and(|c| c < cx.spec.app_cpu_ok);
        let on = saturated && app_fine && cx.slo_bad(row);
        if on {
            self.peak_p99 = self.peak_p99.max(row.p99_ms.unwrap_or(0.0));
            self.app_cpu = self.app_cpu.max(row.cpu_util_true.unwrap_or(0.0));
            self.db_util = self.db_util.max(d.db_util.unwrap_or(0.0));
            self.db_active = self.db_active.max(d.db_active.unwrap_or(0.0));
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

impl DownstreamSaturation {
    fn finding(&self, span: Span, cx: &Context) -> Finding {
        let peak = cx.usl_peak.map_or(String::new(), |n| format!(" (USL peak n* = {n:.0})"));
        Finding {
            kind: FindingKind::DownstreamSaturation,
            start_s: span.start,
            end_s: span.end,
            severity: severity(span.held, self.db_util),
            evidence: format!(
                "p99 up to {:.0} ms (SLO {:.0} ms) with app CPU at most {} while the database ran at up to {} CPU with up to {:.0} queries in flight{peak}",
                self.peak_p99,
                cx.slo_p99_ms,
                pct(self.app_cpu),
                pct(self.db_util),
                self.db_active
            ),
            fix: FIX.into(),
        }
    }
}
