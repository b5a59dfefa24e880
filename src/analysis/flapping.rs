//! Flapping: the desired replica count reverses direction again and again
//! within a window (up, down, up…), paying start-up and draining each time.

use std::collections::VecDeque;

use super::{Context, Detector, severity};
use crate::output::TickRow;
use crate::output::summary::{Finding, FindingKind};

const FIX: &str = "add hysteresis (a wider band between the scale-up and scale-down thresholds), a scale-down stabilization window (HPA behavior.scaleDown.stabilizationWindowSeconds), a cooldown, or a smoothed metric";

#[derive(Default)]
pub(super) struct Flapping {
    last_desired: Option<u32>,
    last_direction: i8,
    /// Times of recent reversals.
    reversals: VecDeque<f64>,
    /// Recent desired counts at changes, for the evidence.
    path: VecDeque<u32>,
    /// The open episode: start, most reversals seen in a window, total.
    open: Option<(f64, usize, u64, String)>,
    last_reversal: f64,
}

impl Detector for Flapping {
    fn kind(&self) -> FindingKind {
        FindingKind::Flapping
    }

    fn tick(&mut self, row: &TickRow, _dt: f64, cx: &Context, confirmed: &mut Vec<Finding>, done: &mut Vec<Finding>) {
        let window = cx.spec.flapping_window.as_secs_f64();
        let threshold = cx.spec.flapping_reversals as usize;
        let desired = row.replicas_desired;
        if let Some(last) = self.last_desired.filter(|l| *l != desired) {
            let direction: i8 = if desired > last { 1 } else { -1 };
            if self.last_direction != 0 && direction != self.last_direction {
                self.reversals.push_back(row.t_s);
                self.last_reversal = row.t_s;
                if let Some(open) = &mut self.open {
                    open.2 += 1;
                }
            }
            self.last_direction = direction;
            self.path.push_back(desired);
            if self.path.len() > 8 {
                self.path.pop_front();
            }
        } else if self.last_desired.is_none() {
            self.path.push_back(desired);
        }
        self.last_desired = Some(desired);
        while self.reversals.front().is_some_and(|t| row.t_s - t > window) {
            self.reversals.pop_front();
        }
        let n = self.reversals.len();
        match &mut self.open {
            None if n >= threshold => {
                let path: Vec<String> = self.path.iter().map(u32::to_string).collect();
                let trail = path.join(" → ");
                let start = self.reversals[0];
                self.open = Some((start, n, n as u64, trail));
                confirmed.push(self.finding(start, row.t_s, cx));
            }
            Some(open) if n >= threshold && n > open.1 => {
                open.1 = n;
                let path: Vec<String> = self.path.iter().map(u32::to_string).collect();
                open.3 = path.join(" → ");
            }
            Some(_) if n >= threshold => {}
            Some(_) if n == 0 => {
                let end = self.last_reversal;
                // This arm matched `Some(_)` on `self.open`.
                let f = self.finding(self.open.as_ref().expect("open").0, end, cx);
                self.open = None;
                done.push(f);
            }
            _ => {}
        }
    }

    fn finish(&mut self, _end_s: f64, cx: &Context, done: &mut Vec<Finding>) {
        if let Some(open) = &self.open {
            let f = self.finding(open.0, self.last_reversal, cx);
            done.push(f);
            self.open = None;
        }
    }
}

impl Flapping {
    fn finding(&self, start: f64, end: f64, cx: &Context) -> Finding {
        let (peak, total, trail) = match &self.open {
            Some(o) => (o.1, o.2, o.3.clone()),
            None => (self.reversals.len(), self.reversals.len() as u64, String::new()),
        };
        let window = cx.spec.flapping_window;
        Finding {
            kind: FindingKind::Flapping,
            start_s: start,
            end_s: end,
            severity: severity(end - start, peak as f64 / (2.0 * cx.spec.flapping_reversals as f64)),
            evidence: format!(
                "replicas reversed direction {peak} times within {window} ({total} reversals in all); desired {trail}"
            ),
            fix: FIX.into(),
        }
    }
}
