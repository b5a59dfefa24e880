//! Write-lock saturation: the single writer's lock is busy nearly all the
//! time and writes queue for it, whatever the database's CPU says — a
//! serial resource, so neither replicas nor more app instances lift it.

use super::episode::{Episode, Span, report};
use super::{Context, Detector, pct, severity};
use crate::output::TickRow;
use crate::output::summary::{Finding, FindingKind};

const FIX: &str = "make each write faster (smaller transactions, an index on the written table), batch writes, or shard the writes across primaries; moving reads to replicas does not help (the lock serialises writes only), and scaling the app out makes it worse (more writers queue for the same lock)";

/// Lock utilisation at or above this is saturated: the same 90% as
/// downstream_saturation's CPU threshold, where a single server's queue
/// grows steeply (an M/D/1 queue waits 4.5 service times at ρ = 0.9).
const BUSY: f64 = 0.9;
/// Writes queue when the mean lock wait is at least this many write
/// service times: the M/D/1 wait ρS / 2(1 − ρ) at ρ = 0.9 (Pollaczek–
/// Khinchine), so a wait this long is what a lock ≥ 90% busy produces.
const QUEUED_SERVICE_TIMES: f64 = 4.5;

#[derive(Default)]
pub(super) struct WriteLockSaturation {
    episode: Episode,
    peak_util: f64,
    peak_wait_ms: f64,
    peak_writes: f64,
    peak_p99: f64,
    db_util: f64,
}

impl Detector for WriteLockSaturation {
    fn kind(&self) -> FindingKind {
        FindingKind::WriteLockSaturation
    }

    fn tick(&mut self, row: &TickRow, dt: f64, cx: &Context, confirmed: &mut Vec<Finding>, done: &mut Vec<Finding>) {
        if !self.episode.is_open() {
            *self = WriteLockSaturation { episode: std::mem::take(&mut self.episode), ..Default::default() };
        }
        let on = match (cx.write_s, row.data.db_writes_rps, row.data.db_lock_wait_ms) {
            (Some(s), Some(writes), Some(wait)) if s > 0.0 => {
                let util = writes * s / f64::from(cx.shards.max(1));
                let on = util >= BUSY && wait >= QUEUED_SERVICE_TIMES * s * 1e3 && cx.slo_bad(row);
                if on {
                    self.peak_util = self.peak_util.max(util);
                    self.peak_wait_ms = self.peak_wait_ms.max(wait);
                    self.peak_writes = self.peak_writes.max(writes);
                    self.peak_p99 = self.peak_p99.max(row.p99_ms.unwrap_or(0.0));
                    self.db_util = self.db_util.max(row.data.db_util.unwrap_or(0.0));
                }
                on
            }
            _ => false,
        };
        let step = self.episode.step(row.t_s, dt, on, cx.spec.sustain.as_secs_f64(), 30.0);
        report(step, |span| self.finding(span, cx), confirmed, done);
    }

    fn finish(&mut self, _end_s: f64, cx: &Context, done: &mut Vec<Finding>) {
        if let Some(span) = self.episode.close() {
            done.push(self.finding(span, cx));
        }
    }
}

impl WriteLockSaturation {
    fn finding(&self, span: Span, cx: &Context) -> Finding {
        let s = cx.write_s.unwrap_or(0.0);
        let shards = cx.shards.max(1);
        let capacity = if s > 0.0 { f64::from(shards) / s } else { 0.0 };
        Finding {
            kind: FindingKind::WriteLockSaturation,
            start_s: span.start,
            end_s: span.end,
            severity: severity(span.held, self.peak_util),
            evidence: format!(
                "the write lock was up to {} busy for {:.0} s: up to {:.0} writes/s against a capacity of {capacity:.0}/s ({shards} lock(s) at {:.1} ms per write), writes waited up to {:.0} ms for it on average, p99 up to {:.0} ms (SLO {:.0} ms), with the database's CPU at most {}",
                pct(self.peak_util),
                span.held,
                self.peak_writes,
                s * 1e3,
                self.peak_wait_ms,
                self.peak_p99,
                cx.slo_p99_ms,
                pct(self.db_util)
            ),
            fix: FIX.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::analysis::AnalysisSpec;

    fn cx() -> Context {
        Context {
            spec: AnalysisSpec::default(),
            slo_p99_ms: 250.0,
            availability: 0.99,
            pool_size: Some(10),
            usable_connections: Some(100),
            max_connections: Some(100),
            usl_peak: None,
            pooler: false,
            write_s: Some(0.0045),
            shards: 1,
            max_replicas: None,
            capacity_ceiling: None,
        }
    }

    fn row(t: f64, writes: f64, wait_ms: f64, p99: f64) -> TickRow {
        let mut r = TickRow { t_s: t, p99_ms: Some(p99), completed_rps: 100.0, ..Default::default() };
        r.data.db_writes_rps = Some(writes);
        r.data.db_lock_wait_ms = Some(wait_ms);
        r.data.db_util = Some(0.04);
        r
    }

    fn run(rows: impl Iterator<Item = TickRow>) -> Vec<Finding> {
        let (cx, mut d) = (cx(), WriteLockSaturation::default());
        let (mut confirmed, mut done) = (Vec::new(), Vec::new());
        let mut end = 0.0;
        for r in rows {
            end = r.t_s + 1.0;
            d.tick(&r, 1.0, &cx, &mut confirmed, &mut done);
        }
        d.finish(end, &cx, &mut done);
        done
    }

    #[test]
    fn a_busy_lock_with_queued_writes_and_a_broken_slo_is_found() {
        // 220 writes/s at 4.5 ms: the lock 99% busy, writes wait 300 ms.
        let found = run((0..600).map(|t| row(t as f64, 220.0, 300.0, 2000.0)));
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.kind, FindingKind::WriteLockSaturation);
        assert!(f.evidence.contains("99% busy"), "{}", f.evidence);
        assert!(f.evidence.contains("capacity of 222/s"), "{}", f.evidence);
        assert!(f.fix.contains("does not help"));
    }

    #[test]
    fn a_lightly_used_lock_a_short_wait_or_a_met_slo_is_not() {
        // 100 writes/s: 45% busy, even with a broken SLO.
        assert!(run((0..600).map(|t| row(t as f64, 100.0, 300.0, 2000.0))).is_empty());
        // Busy, but writes barely wait (under 4.5 service times).
        assert!(run((0..600).map(|t| row(t as f64, 215.0, 10.0, 2000.0))).is_empty());
        // Busy and queueing, but within the SLO.
        assert!(run((0..600).map(|t| row(t as f64, 220.0, 300.0, 100.0))).is_empty());
        // Two shards double the capacity.
        let (cx2, mut d) = (Context { shards: 2, ..cx() }, WriteLockSaturation::default());
        let (mut c, mut done) = (Vec::new(), Vec::new());
        for t in 0..600 {
            d.tick(&row(t as f64, 220.0, 300.0, 2000.0), 1.0, &cx2, &mut c, &mut done);
        }
        d.finish(600.0, &cx2, &mut done);
        assert!(done.is_empty());
    }
}
