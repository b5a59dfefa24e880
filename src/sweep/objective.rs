//! What a sweep recommends: the point that minimises (or maximises) an
//! `[objective]` over the points that satisfy every `[[constraint]]` in
//! every seed and have no finding more severe than a threshold.
//!
//! ```toml
//! [objective]
//! minimize = "cost_total"          # default; or maximize = "slo_attainment"
//! max_finding_severity = 0.5       # default; 1.0 keeps every point
//!
//! [[constraint]]
//! require = "p99_ms <= 500"        # any comparison of outcomes, per seed
//! [[constraint]]
//! require = "findings.flapping == 0 and instability <= 0.05"
//! ```
//!
//! An outcome is a column of the runs file after `seed` (`cost_total`,
//! `availability`, `slo_attainment`, `instability`, `findings_flapping`, …),
//! written with dots or underscores (`findings.flapping`); latency
//! percentiles also as `p99_ms`. Without a `[[constraint]]` the SLO must be
//! met in every seed (`slo_met == 1`). Constraints are checked on each run's
//! own figures, not on the means, so a point that breaks one in one seed is
//! out; the objective compares the means over seeds.

use std::fmt;

use super::filter::{Expr, Op, Val};
use super::table::metric_columns;
use crate::input::problem::FieldPath;

/// Findings more severe than this exclude a point unless the sweep says
/// otherwise (0.5: an episode of ten minutes, or one at full intensity).
pub const DEFAULT_MAX_SEVERITY: f64 = 0.5;

/// Which way the objective goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sense {
    /// Lower is better.
    Minimize,
    /// Higher is better.
    Maximize,
}

impl Sense {
    /// The verb, as the file writes it.
    pub fn verb(self) -> &'static str {
        match self {
            Sense::Minimize => "minimize",
            Sense::Maximize => "maximize",
        }
    }
}

/// The column an outcome's name refers to, if any: as written, with dots
/// for underscores, or a latency figure without its `latency_` prefix.
pub fn outcome_column(name: &str) -> Option<String> {
    let columns = metric_columns();
    let flat = name.trim().replace('.', "_");
    [flat.clone(), format!("latency_{flat}")].into_iter().find(|c| columns.contains(c))
}

/// The hint for a name that is not an outcome.
pub const OUTCOME_HINT: &str = "name a column of the runs file after seed, e.g. cost_total, replica_hours, p99_ms (latency_p99_ms), availability, slo_attainment, slo_met, instability, theta_o, findings.flapping (findings_flapping)";

/// The figure to optimise.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    /// The runs-file column.
    pub column: String,
    /// Which way.
    pub sense: Sense,
}

impl Default for Objective {
    fn default() -> Objective {
        Objective { column: "cost_total".into(), sense: Sense::Minimize }
    }
}

impl Objective {
    /// Whether `a` is better than `b`.
    pub fn better(&self, a: f64, b: f64) -> bool {
        match self.sense {
            Sense::Minimize => a < b,
            Sense::Maximize => a > b,
        }
    }
}

impl fmt::Display for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.sense.verb(), self.column)
    }
}

/// A condition every run of a recommended point must satisfy.
#[derive(Clone, Debug)]
pub struct Constraint {
    /// The expression as written.
    pub text: String,
    expr: Expr,
    /// Each path of the expression and the column it names.
    columns: Vec<(FieldPath, String)>,
}

impl Constraint {
    /// Parses `text`: a comparison of outcomes (the filter language).
    pub fn parse(text: &str) -> Result<Constraint, String> {
        let expr = Expr::parse(text)?;
        let mut columns = Vec::new();
        for p in expr.paths() {
            let name = p.to_string();
            match outcome_column(&name) {
                Some(c) => columns.push((p, c)),
                None => return Err(format!("'{name}' is not an outcome of a run")),
            }
        }
        // A constraint must be true or false, whatever the figures.
        expr.test(&|_| Some(Val::Num(1.0))).map_err(|e| format!("is not a condition: it {e}"))?;
        Ok(Constraint { text: text.trim().to_string(), expr, columns })
    }

    /// `slo_met == 1`: the run met its scenario's run-wide SLO.
    pub fn slo_met() -> Constraint {
        let path = FieldPath::root().key("slo_met");
        let expr = Expr::Binary(Op::Eq, Box::new(Expr::Path(path.clone())), Box::new(Expr::Num(1.0)));
        Constraint { text: "slo_met == 1".into(), expr, columns: vec![(path, "slo_met".into())] }
    }

    /// Whether a run satisfies it; `cell` gives a column's value (`None`
    /// for an empty cell or a column the file lacks, which fails).
    pub fn holds(&self, cell: &dyn Fn(&str) -> Option<f64>) -> bool {
        let lookup = |p: &FieldPath| {
            let (_, column) = self.columns.iter().find(|(q, _)| q == p)?;
            cell(column).map(Val::Num)
        };
        self.expr.test(&lookup).unwrap_or(false)
    }
}

/// How a sweep picks its recommendation.
#[derive(Clone, Debug)]
pub struct Recommender {
    /// The figure to optimise.
    pub objective: Objective,
    /// Conditions on every run.
    pub constraints: Vec<Constraint>,
    /// Whether the constraints are the default (`slo_met == 1`).
    pub default_constraints: bool,
    /// Points with a finding more severe than this are excluded.
    pub max_severity: f64,
}

impl Default for Recommender {
    fn default() -> Recommender {
        Recommender {
            objective: Objective::default(),
            constraints: vec![Constraint::slo_met()],
            default_constraints: true,
            max_severity: DEFAULT_MAX_SEVERITY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_names_resolve_with_dots_and_the_latency_prefix() {
        assert_eq!(outcome_column("p99_ms").as_deref(), Some("latency_p99_ms"));
        assert_eq!(outcome_column("findings.flapping").as_deref(), Some("findings_flapping"));
        assert_eq!(outcome_column("instability").as_deref(), Some("instability"));
        assert_eq!(outcome_column("cost_total").as_deref(), Some("cost_total"));
        assert_eq!(outcome_column("autoscaler.target"), None);
    }

    #[test]
    fn constraints_hold_per_run() {
        let c = Constraint::parse("p99_ms <= 500 and findings.flapping == 0").expect("parses");
        let run = |p99: Option<f64>, flaps: f64| {
            move |col: &str| match col {
                "latency_p99_ms" => p99,
                "findings_flapping" => Some(flaps),
                _ => None,
            }
        };
        assert!(c.holds(&run(Some(480.0), 0.0)));
        assert!(!c.holds(&run(Some(520.0), 0.0)));
        assert!(!c.holds(&run(Some(480.0), 1.0)));
        assert!(!c.holds(&run(None, 0.0)), "a run without a p99 does not show the bound held");
    }

    #[test]
    fn the_default_constraint_is_the_parsed_one() {
        let parsed = Constraint::parse("slo_met == 1").expect("parses");
        let built = Constraint::slo_met();
        assert_eq!((&parsed.text, &parsed.expr, &parsed.columns), (&built.text, &built.expr, &built.columns));
    }

    #[test]
    fn bad_constraints_say_why() {
        assert_eq!(Constraint::parse("p98_ms <= 5").unwrap_err(), "'p98_ms' is not an outcome of a run");
        assert!(Constraint::parse("cost_total + 1").unwrap_err().starts_with("is not a condition"));
        assert!(Constraint::parse("p99_ms <=").is_err());
    }

    #[test]
    fn objectives_compare_by_sense() {
        let min = Objective::default();
        assert!(min.better(1.0, 2.0) && !min.better(2.0, 1.0));
        let max = Objective { column: "slo_attainment".into(), sense: Sense::Maximize };
        assert!(max.better(0.99, 0.98));
        assert_eq!(min.to_string(), "minimize cost_total");
    }
}
