//! Scale-in herd: a scale-in hurts — in-flight requests killed on removed
//! instances, the survivors' caches suddenly missing, a burst of reconnects.

use super::{Context, Detector, ErrorKind, severity};
use crate::output::TickRow;
use crate::output::summary::{Finding, FindingKind};

const FIX: &str = "drain before terminating (a deregistration delay longer than the slowest request) and step down gradually (HPA behavior.scaleDown policies such as Pods 1 per 60s)";

/// A scale-in being watched.
struct Watch {
    at: f64,
    from: u32,
    to: u32,
    killed: f64,
    hit_before: Option<f64>,
    hit_after: Option<f64>,
}

#[derive(Default)]
pub(super) struct ScaleInHerd {
    watch: Option<Watch>,
    last_desired: Option<u32>,
    /// Recent cache hit ratios, for the baseline before a scale-in.
    recent_hits: Vec<f64>,
}

impl Detector for ScaleInHerd {
    fn kind(&self) -> FindingKind {
        FindingKind::ScaleInHerd
    }

    fn tick(&mut self, row: &TickRow, dt: f64, cx: &Context, confirmed: &mut Vec<Finding>, done: &mut Vec<Finding>) {
        let desired = row.replicas_desired;
        if let Some(last) = self.last_desired
            && desired < last
        {
            if let Some(f) = self.close(cx) {
                done.push(f);
            }
            let before = (!self.recent_hits.is_empty())
                .then(|| self.recent_hits.iter().sum::<f64>() / self.recent_hits.len() as f64);
            self.watch =
                Some(Watch { at: row.t_s, from: last, to: desired, killed: 0.0, hit_before: before, hit_after: None });
        }
        self.last_desired = Some(desired);
        if let Some(hit) = row.data.cache_hit_ratio {
            self.recent_hits.push(hit);
            if self.recent_hits.len() > 30 {
                self.recent_hits.remove(0);
            }
        }
        let Some(w) = &mut self.watch else { return };
        if row.t_s - w.at > cx.spec.herd_window.as_secs_f64() {
            if let Some(f) = self.close(cx) {
                confirmed.push(f.clone());
                done.push(f);
            }
            return;
        }
        w.killed += row.error(ErrorKind::Killed) * dt;
        if let Some(hit) = row.data.cache_hit_ratio {
            w.hit_after = Some(w.hit_after.map_or(hit, |h: f64| h.min(hit)));
        }
    }

    fn finish(&mut self, _end_s: f64, cx: &Context, done: &mut Vec<Finding>) {
        if let Some(f) = self.close(cx) {
            done.push(f);
        }
    }
}

impl ScaleInHerd {
    /// Ends the watch: a finding if the scale-in killed requests or dropped
    /// the cache hit ratio by 10 points or more.
    fn close(&mut self, cx: &Context) -> Option<Finding> {
        let w = self.watch.take()?;
        let drop = match (w.hit_before, w.hit_after) {
            (Some(b), Some(a)) => b - a,
            _ => 0.0,
        };
        let killed = w.killed.round();
        if killed < 1.0 && drop < 0.1 {
            return None;
        }
        let mut parts = Vec::new();
        if killed >= 1.0 {
            parts.push(format!("{killed:.0} in-flight requests killed"));
        }
        if drop >= 0.1 {
            parts.push(format!(
                "cache hit ratio {:.0}% → {:.0}%",
                w.hit_before.unwrap_or(0.0) * 100.0,
                w.hit_after.unwrap_or(0.0) * 100.0
            ));
        }
        let window = cx.spec.herd_window.as_secs_f64();
        Some(Finding {
            kind: FindingKind::ScaleInHerd,
            start_s: w.at,
            end_s: w.at + window,
            severity: severity(window, (killed / 100.0).max(drop * 2.0)),
            evidence: format!("scale-in {} → {} at {:.0} s: {}", w.from, w.to, w.at, parts.join("; ")),
            fix: FIX.into(),
        })
    }
}
