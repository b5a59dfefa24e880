//! Max replicas reached: the autoscaler is pinned at its upper bound (or
//! at the schedulable capacity, if that is lower) with every one of those
//! instances ready and busy, while the SLO is broken — the policy would
//! add capacity and may not. The bound is the one in force: the scenario's,
//! until a `set_max_replicas` action (or a `set_policy_field` on the max,
//! from the file or the TUI) changes it during the run.

use super::episode::{Episode, Span, report};
use super::{Context, Detector, pct, severity};
use crate::output::summary::{Finding, FindingKind};
use crate::output::{EventRow, TickRow};
use crate::scenario::events::Action;

const FIX: &str = "raise max replicas (`scalesim check`'s peak-capacity line says how many the peak needs) and the capacity behind it, scale up to a bigger instance type (more requests per replica), or shed load (a rate limit, the balancer's max_in_flight) so the replicas there are serve within the SLO";

/// The policies' names for their upper bound, as `set_policy_field` takes them.
const MAX_FIELDS: [&str; 3] = ["maxReplicas", "max_replicas", "maxReplicaCount"];

#[derive(Default)]
pub(super) struct MaxReplicasReached {
    episode: Episode,
    /// The max an action set during the run, if one did (it outlives episodes).
    live_max: Option<u32>,
    ceiling: u32,
    by_capacity: bool,
    peak_cpu: f64,
    peak_p99: f64,
    peak_error_share: f64,
    /// Offered requests over the episode, and its seconds (for the mean).
    offered: f64,
    seconds: f64,
}

impl Detector for MaxReplicasReached {
    fn kind(&self) -> FindingKind {
        FindingKind::MaxReplicasReached
    }

    fn tick(&mut self, row: &TickRow, dt: f64, cx: &Context, confirmed: &mut Vec<Finding>, done: &mut Vec<Finding>) {
        if !self.episode.is_open() {
            *self = MaxReplicasReached {
                episode: std::mem::take(&mut self.episode),
                live_max: self.live_max,
                ..Default::default()
            };
        }
        let on = match self.max(cx) {
            Some(max) => {
                // The lower of the policy's bound and the most that can
                // ever be scheduled (while nodes are still being added,
                // that is capacity_pending's).
                let ceiling = cx.capacity_ceiling.map_or(max, |c| c.min(max));
                // Pinned: the policy asks for the ceiling (or more) and it
                // is all up, so the limit, not start-up, holds capacity back.
                let pinned = row.replicas_desired >= ceiling && row.replicas_ready >= ceiling;
                // Busy: the fleet's CPU is where downstream_saturation calls
                // it not fine — more replicas would take load off it.
                let busy = row.cpu_util_true.is_some_and(|c| c >= cx.spec.app_cpu_ok);
                let on = pinned && busy && cx.slo_bad(row);
                if on {
                    self.ceiling = ceiling;
                    self.by_capacity = ceiling < max;
                    self.peak_cpu = self.peak_cpu.max(row.cpu_util_true.unwrap_or(0.0));
                    self.peak_p99 = self.peak_p99.max(row.p99_ms.unwrap_or(0.0));
                    let errors: f64 = row.errors.iter().sum();
                    let finished = errors + row.completed_rps;
                    if finished > 0.0 {
                        self.peak_error_share = self.peak_error_share.max(errors / finished);
                    }
                    self.offered += row.offered_rps * dt;
                    self.seconds += dt;
                }
                on
            }
            None => false,
        };
        let step = self.episode.step(row.t_s, dt, on, cx.spec.sustain.as_secs_f64(), 30.0);
        report(step, |span| self.finding(span, cx), confirmed, done);
    }

    /// An operator's change of the max: `set_max_replicas` logs
    /// "max replicas = N"; an accepted `set_policy_field` on the max logs
    /// "FIELD = N" (a refused one, "refused …").
    fn event(&mut self, row: &EventRow) {
        let set = if row.subject == Action::SetMaxReplicas(0).name() {
            row.detail.strip_prefix("max replicas = ")
        } else if row.subject == "set_policy_field" {
            row.detail.split_once(" = ").filter(|(field, _)| MAX_FIELDS.contains(field)).map(|(_, v)| v)
        } else {
            None
        };
        if let Some(n) = set.and_then(|v| v.trim().parse::<u32>().ok()) {
            self.live_max = Some(n);
        }
    }

    fn finish(&mut self, _end_s: f64, cx: &Context, done: &mut Vec<Finding>) {
        if let Some(span) = self.episode.close() {
            done.push(self.finding(span, cx));
        }
    }
}

impl MaxReplicasReached {
    /// The max in force: the last one set during the run, else the file's
    /// (a fixed fleet has none, whatever an action says).
    fn max(&self, cx: &Context) -> Option<u32> {
        cx.max_replicas.map(|m| self.live_max.unwrap_or(m))
    }

    fn finding(&self, span: Span, cx: &Context) -> Finding {
        let at = if self.by_capacity {
            format!(
                "at the schedulable capacity of {} instances (below max replicas {})",
                self.ceiling,
                self.max(cx).unwrap_or(0)
            )
        } else {
            format!("at its max of {} replicas", self.ceiling)
        };
        // How far over the SLO: p99 against its bound, errors against the budget.
        let over =
            (self.peak_p99 / cx.slo_p99_ms.max(1e-9)).max(self.peak_error_share / (1.0 - cx.availability).max(1e-9));
        Finding {
            kind: FindingKind::MaxReplicasReached,
            start_s: span.start,
            end_s: span.end,
            severity: severity(span.held, (over - 1.0).max(0.0) / 4.0),
            evidence: format!(
                "the policy was pinned {at}, all ready, for {:.0} s while the SLO was broken: app CPU up to {}, {:.0} rps offered on average, p99 up to {:.0} ms (SLO {:.0} ms), up to {} of requests failed (target availability {})",
                span.held,
                pct(self.peak_cpu),
                self.offered / self.seconds.max(1e-9),
                self.peak_p99,
                cx.slo_p99_ms,
                pct_fine(self.peak_error_share),
                pct_fine(cx.availability)
            ),
            fix: FIX.into(),
        }
    }
}

/// A share with one decimal (availability targets are 99.9%).
fn pct_fine(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::analysis::AnalysisSpec;

    fn cx(max: Option<u32>, capacity: Option<u32>) -> Context {
        Context {
            spec: AnalysisSpec::default(),
            slo_p99_ms: 500.0,
            availability: 0.999,
            pool_size: None,
            usable_connections: None,
            max_connections: None,
            usl_peak: None,
            pooler: false,
            write_s: None,
            shards: 1,
            max_replicas: max,
            capacity_ceiling: capacity,
        }
    }

    fn row(t: f64, desired: u32, ready: u32, cpu: f64, p99: f64) -> TickRow {
        TickRow {
            t_s: t,
            p99_ms: Some(p99),
            completed_rps: 1000.0,
            offered_rps: 1200.0,
            replicas_desired: desired,
            replicas_ready: ready,
            cpu_util_true: Some(cpu),
            ..Default::default()
        }
    }

    fn run(cx: &Context, rows: impl Iterator<Item = TickRow>) -> Vec<Finding> {
        run_with(cx, rows, &[])
    }

    /// Runs with `events` (at, subject, detail) fed before the tick at `at`.
    fn run_with(cx: &Context, rows: impl Iterator<Item = TickRow>, events: &[(f64, &str, &str)]) -> Vec<Finding> {
        let mut d = MaxReplicasReached::default();
        let (mut confirmed, mut done) = (Vec::new(), Vec::new());
        let mut end = 0.0;
        for r in rows {
            for (_, subject, detail) in events.iter().filter(|e| e.0 == r.t_s) {
                d.event(&EventRow {
                    at: crate::engine::time::SimTime::from_secs_f64(r.t_s),
                    kind: crate::output::EventKind::Intervention,
                    subject: subject.to_string(),
                    detail: detail.to_string(),
                });
            }
            end = r.t_s + 1.0;
            d.tick(&r, 1.0, cx, &mut confirmed, &mut done);
        }
        d.finish(end, cx, &mut done);
        done
    }

    #[test]
    fn the_max_follows_the_actions_that_change_it_during_the_run() {
        let c = cx(Some(10), None);
        // The max raised to 20 at 100 s: 10 busy replicas are pinned until then only.
        let rows = || (0..600).map(|t| row(t as f64, 10, 10, 0.98, 1800.0));
        let raised = run_with(&c, rows(), &[(100.0, "set_max_replicas", "max replicas = 20")]);
        assert_eq!(raised.len(), 1, "{raised:?}");
        assert_eq!((raised[0].start_s, raised[0].end_s), (0.0, 100.0));
        // Raised from the start: never pinned.
        assert!(run_with(&c, rows(), &[(0.0, "set_max_replicas", "max replicas = 20")]).is_empty());
        // Lowered to 6 at 0 s (the file says 10): pinned at 6.
        let rows = (0..600).map(|t| row(t as f64, 6, 6, 0.98, 1800.0));
        let lowered = run_with(&c, rows, &[(0.0, "set_max_replicas", "max replicas = 6")]);
        assert_eq!(lowered.len(), 1);
        assert!(lowered[0].evidence.contains("at its max of 6 replicas"), "{}", lowered[0].evidence);
        // A policy field on the max counts; a refused one, or another field, does not.
        let rows = || (0..600).map(|t| row(t as f64, 8, 8, 0.98, 1800.0));
        assert_eq!(run_with(&c, rows(), &[(0.0, "set_policy_field", "maxReplicas = 8")]).len(), 1);
        assert!(run_with(&c, rows(), &[(0.0, "set_policy_field", "refused maxReplicas = 8: no")]).is_empty());
        assert!(run_with(&c, rows(), &[(0.0, "set_policy_field", "minReplicas = 8")]).is_empty());
        // A fixed fleet still has no max to raise.
        let rows = (0..600).map(|t| row(t as f64, 6, 6, 0.98, 1800.0));
        assert!(run_with(&cx(None, None), rows, &[(0.0, "set_max_replicas", "max replicas = 6")]).is_empty());
    }

    #[test]
    fn a_busy_fleet_pinned_at_its_max_with_a_broken_slo_is_found() {
        let found = run(&cx(Some(10), None), (0..600).map(|t| row(t as f64, 10, 10, 0.98, 1800.0)));
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.kind, FindingKind::MaxReplicasReached);
        assert!(f.evidence.contains("at its max of 10 replicas"), "{}", f.evidence);
        assert!(f.evidence.contains("for 600 s"), "{}", f.evidence);
        assert!(f.fix.contains("raise max replicas"));
        // A quota below the max is the ceiling.
        let found = run(&cx(Some(40), Some(12)), (0..600).map(|t| row(t as f64, 12, 12, 0.98, 1800.0)));
        assert!(found[0].evidence.contains("schedulable capacity of 12 instances (below max replicas 40)"));
    }

    #[test]
    fn below_the_max_idle_starting_fixed_or_within_the_slo_is_not() {
        let c = cx(Some(10), None);
        // Below the max: the policy can still scale.
        assert!(run(&c, (0..600).map(|t| row(t as f64, 8, 8, 0.98, 1800.0))).is_empty());
        // At the max, but the app is not busy (the bottleneck is elsewhere).
        assert!(run(&c, (0..600).map(|t| row(t as f64, 10, 10, 0.3, 1800.0))).is_empty());
        // At the max but not all ready: start-up, not the bound.
        assert!(run(&c, (0..600).map(|t| row(t as f64, 10, 6, 0.98, 1800.0))).is_empty());
        // Within the SLO.
        assert!(run(&c, (0..600).map(|t| row(t as f64, 10, 10, 0.98, 100.0))).is_empty());
        // A fixed fleet has no max to raise.
        assert!(run(&cx(None, None), (0..600).map(|t| row(t as f64, 10, 10, 0.98, 1800.0))).is_empty());
    }
}
