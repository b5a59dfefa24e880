//! `events.csv`: what happened, when — scaling decisions with the policy's
//! reason, instance lifecycle transitions, health changes, faults, operator
//! actions and (later) findings.

use crate::engine::time::SimTime;

/// The header.
pub const HEADER: [&str; 4] = ["t_s", "kind", "subject", "detail"];

/// One event.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRow {
    /// When.
    pub at: SimTime,
    /// What sort: `scale`, `instance`, `health`, `fault`, `intervention`, `nodes`, `finding`.
    pub kind: &'static str,
    /// What it is about (`i-12`, the policy, the traffic).
    pub subject: String,
    /// The details, in one line.
    pub detail: String,
}

impl EventRow {
    /// The CSV fields.
    pub fn fields(&self) -> [String; 4] {
        [format!("{:.3}", self.at.as_secs_f64()), self.kind.to_string(), self.subject.clone(), self.detail.clone()]
    }
}
