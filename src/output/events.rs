//! `events.csv`: what happened, when — scaling decisions with the policy's
//! reason, instance lifecycle transitions, health changes, faults, operator
//! actions and (later) findings.

use crate::engine::time::SimTime;

/// The header.
pub const HEADER: [&str; 4] = ["t_s", "kind", "subject", "detail"];

/// What sort of thing happened: the `kind` column, one name each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum EventKind {
    /// A scaling decision, with the policy's reason (or the vertical autoscaler's).
    Scale,
    /// An instance's lifecycle transition, a restart or a rollout step.
    Instance,
    /// A health-check verdict.
    Health,
    /// A fault starts or ends.
    Fault,
    /// An operator action.
    Intervention,
    /// The node autoscaler adds capacity.
    Nodes,
    /// A database goes down, comes back, fails over or resizes.
    Db,
    /// A failure-mode detector's finding.
    Finding,
}

impl EventKind {
    /// Its name in `events.csv`.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// One event.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRow {
    /// When.
    pub at: SimTime,
    /// What sort.
    pub kind: EventKind,
    /// What it is about (`i-12`, the policy, the traffic).
    pub subject: String,
    /// The details, in one line.
    pub detail: String,
}

impl EventRow {
    /// The CSV fields.
    pub fn fields(&self) -> [String; 4] {
        [
            format!("{:.3}", self.at.as_secs_f64()),
            self.kind.name().to_string(),
            self.subject.clone(),
            self.detail.clone(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use strum::IntoEnumIterator;

    use super::*;

    #[test]
    fn kinds_have_distinct_snake_case_names() {
        let names: Vec<&str> = EventKind::iter().map(EventKind::name).collect();
        assert_eq!(names, ["scale", "instance", "health", "fault", "intervention", "nodes", "db", "finding"]);
    }
}
