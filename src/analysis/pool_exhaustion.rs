//! Pool exhaustion: requests fail for want of a connection (pool timeouts,
//! refused connects) while the database itself is not busy — the connection
//! budget, replicas × pool size against max_connections, is the limit.

use super::episode::{Episode, Span, report};
use super::{Context, Detector, errors, pct, severity};
use crate::model::outcome::ErrorKind;
use crate::output::summary::{Finding, FindingKind};
use crate::output::{EventRow, TickRow};

const FIX: &str = "put a pooler (PgBouncer, transaction mode) between the pools and the database, budget the pools so max_replicas × pool size ≤ max_connections − reserved, or cap max_replicas";

#[derive(Default)]
pub(super) struct PoolExhaustion {
    episode: Episode,
    refused: f64,
    timeouts: f64,
    /// The most instances with pools, and when.
    instances: (u32, f64),
    db_util: f64,
    /// A database outage is on: refusals then are the outage, not the budget.
    outage: bool,
}

impl Detector for PoolExhaustion {
    fn kind(&self) -> FindingKind {
        FindingKind::PoolExhaustion
    }

    fn tick(&mut self, row: &TickRow, dt: f64, cx: &Context, confirmed: &mut Vec<Finding>, done: &mut Vec<Finding>) {
        if !self.episode.is_open() {
            *self = PoolExhaustion {
                episode: std::mem::take(&mut self.episode),
                outage: self.outage,
                ..Default::default()
            };
        }
        let failing = errors(row, &[ErrorKind::PoolTimeout, ErrorKind::DbRefused]);
        let share = failing / row.offered_rps.max(1e-9);
        let idle_db = row.data.db_util.is_some_and(|u| u < cx.spec.db_idle);
        // The budget is the cause when connects are refused at the limit, or
        // pools starve with the connections near it — not when requests wait
        // on something else (a write lock) holding theirs.
        let at_limit = row.error(ErrorKind::DbRefused) > 0.0
            || matches!((row.data.db_connections, cx.usable_connections), (Some(open), Some(usable)) if open >= 0.9 * usable as f64);
        let on = failing > 0.0 && share >= cx.spec.pool_error_rate && idle_db && at_limit && !self.outage;
        if on {
            self.refused += row.error(ErrorKind::DbRefused) * dt;
            self.timeouts += row.error(ErrorKind::PoolTimeout) * dt;
            let with_pools = row.replicas_ready + row.replicas_warming + row.replicas_draining + row.replicas_starting;
            if with_pools > self.instances.0 {
                self.instances = (with_pools, row.t_s);
            }
            self.db_util = self.db_util.max(row.data.db_util.unwrap_or(0.0));
        }
        let step = self.episode.step(row.t_s, dt, on, cx.spec.sustain.as_secs_f64(), 30.0);
        report(step, |span| self.finding(span, cx), confirmed, done);
    }

    fn event(&mut self, row: &EventRow) {
        if row.subject == "db_outage" {
            self.outage = row.detail != "ended";
        }
    }

    fn finish(&mut self, _end_s: f64, cx: &Context, done: &mut Vec<Finding>) {
        if let Some(span) = self.episode.close() {
            done.push(self.finding(span, cx));
        }
    }
}

impl PoolExhaustion {
    fn finding(&self, span: Span, cx: &Context) -> Finding {
        let (n, at) = self.instances;
        let budget = match (cx.pool_size, cx.usable_connections, cx.max_connections, cx.pooler) {
            (Some(size), Some(usable), Some(max), false) => {
                let want = n * size;
                let cmp = if want > usable { ">" } else { "≤" };
                format!(
                    "{n} instances × {size} = {want} connections {cmp} {usable} usable of max_connections {max} at {at:.0} s; "
                )
            }
            _ => String::new(),
        };
        let attempts = (self.refused + self.timeouts).round();
        Finding {
            kind: FindingKind::PoolExhaustion,
            start_s: span.start,
            end_s: span.end,
            severity: severity(span.held, (attempts / (span.held.max(1.0) * 10.0)).min(1.0)),
            evidence: format!(
                "{budget}{:.0} db_refused and {:.0} pool_timeout while database CPU stayed at or below {}",
                self.refused,
                self.timeouts,
                pct(self.db_util)
            ),
            fix: FIX.into(),
        }
    }
}
