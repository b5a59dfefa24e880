//! Cache stampede: many concurrent misses of the same keys all read the
//! database — after a flush, after a scale-out with empty local caches, or
//! when keys filled together expire together.

use super::episode::{Episode, Span, report};
use super::{Context, Detector, severity};
use crate::output::summary::{Finding, FindingKind};
use crate::output::{EventRow, TickRow};

const FIX: &str = "coalesce concurrent misses (single-flight / request coalescing), add TTL jitter so keys filled together do not expire together, and warm caches before shifting traffic";

#[derive(Default)]
pub(super) struct CacheStampede {
    episode: Episode,
    duplicates: f64,
    peak_reads: f64,
    /// Database reads per second before the episode (an average).
    baseline: f64,
    last_flush: Option<f64>,
    last_scale_out: Option<f64>,
    last_desired: u32,
}

impl Detector for CacheStampede {
    fn kind(&self) -> FindingKind {
        FindingKind::CacheStampede
    }

    fn tick(&mut self, row: &TickRow, dt: f64, cx: &Context, confirmed: &mut Vec<Finding>, done: &mut Vec<Finding>) {
        if row.replicas_desired > self.last_desired {
            self.last_scale_out = Some(row.t_s);
        }
        self.last_desired = row.replicas_desired;
        let dup = row.data.db_duplicate_reads_rps.unwrap_or(0.0);
        let reads = row.data.db_reads_rps.unwrap_or(0.0);
        let on = dup >= cx.spec.stampede_rps && dup >= cx.spec.stampede_share * reads;
        if !self.episode.is_open() {
            self.duplicates = 0.0;
            self.peak_reads = 0.0;
            // Exponential average of reads outside stampedes (over ~30 s).
            self.baseline += (reads - self.baseline) * (dt / 30.0).min(1.0);
        }
        if on {
            self.duplicates += dup * dt;
            self.peak_reads = self.peak_reads.max(reads);
        }
        // Stampedes are short: one tick of it is enough.
        let step = self.episode.step(row.t_s, dt, on, dt.min(1.0), 5.0);
        report(step, |span| self.finding(span), confirmed, done);
    }

    fn event(&mut self, row: &EventRow) {
        if row.subject == "cache_flush" {
            self.last_flush = Some(row.at.as_secs_f64());
        }
    }

    fn finish(&mut self, _end_s: f64, _cx: &Context, done: &mut Vec<Finding>) {
        if let Some(span) = self.episode.close() {
            done.push(self.finding(span));
        }
    }
}

impl CacheStampede {
    fn finding(&self, span: Span) -> Finding {
        let near = |t: Option<f64>| t.is_some_and(|t| span.start - t <= 60.0 && span.start >= t);
        let cause = if near(self.last_flush) {
            format!("after the cache flush at {:.0} s", self.last_flush.unwrap_or(0.0))
        } else if near(self.last_scale_out) {
            format!("after the scale-out at {:.0} s", self.last_scale_out.unwrap_or(0.0))
        } else {
            "as keys expired together".to_string()
        };
        let factor = if self.baseline > 0.0 {
            format!(" ({:.1}× the {:.0}/s before)", self.peak_reads / self.baseline, self.baseline)
        } else {
            String::new()
        };
        Finding {
            kind: FindingKind::CacheStampede,
            start_s: span.start,
            end_s: span.end,
            severity: severity(span.held * 20.0, (self.duplicates / 1000.0).min(1.0)),
            evidence: format!(
                "{:.0} database reads of keys already being read within {:.0} s {cause}; database reads up to {:.0}/s{factor}",
                self.duplicates, span.held, self.peak_reads
            ),
            fix: FIX.into(),
        }
    }
}
