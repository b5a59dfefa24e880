//! The best policy: the Pareto front of cost (mean `cost_total`, money,
//! lower is better) against SLO attainment (mean share of SLO windows met,
//! higher is better), and the recommended point: the best on the sweep's
//! objective (by default the cheapest) of the points that satisfy its
//! constraints in every seed (by default: the SLO met) and have no finding
//! more severe than its threshold (`objective`).

use std::fmt::Write as _;

use super::objective::Recommender;
use crate::output::summary::FindingKind;

/// One point's figures, as the aggregate computed them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PointStat {
    /// The point's index.
    pub point: usize,
    /// Its parameter values, as written.
    pub params: Vec<String>,
    /// Runs (seeds) aggregated.
    pub runs: usize,
    /// Mean cost (`cost_total`, in the scenario's currency).
    pub cost: Option<f64>,
    /// Mean replica-hours.
    pub replica_hours: Option<f64>,
    /// Mean SLO attainment.
    pub attainment: Option<f64>,
    /// Share of runs that met the SLO.
    pub met: f64,
    /// Mean p99 latency, ms.
    pub p99_ms: Option<f64>,
    /// Mean instability (elasticity scorecard).
    pub instability: Option<f64>,
    /// Mean of the objective's figure.
    pub objective: Option<f64>,
    /// Constraints some run broke, with how many runs broke each.
    pub broken: Vec<(String, usize)>,
    /// Failure modes found more severe than the threshold in some run, with
    /// the worst severity.
    pub severe: Vec<(FindingKind, f64)>,
}

impl PointStat {
    /// Whether every run of the point met the SLO.
    pub fn meets_slo(&self) -> bool {
        self.met >= 1.0 - 1e-9
    }

    /// Whether the point may be recommended: every constraint held in every
    /// seed, and no finding passed the severity threshold.
    pub fn eligible(&self) -> bool {
        self.broken.is_empty() && self.severe.is_empty() && self.objective.is_some()
    }

    /// Why it may not be recommended, in a few words.
    pub fn why_not(&self) -> String {
        let mut why: Vec<String> = self.severe.iter().map(|(k, x)| format!("{k} severity {x:.2}")).collect();
        why.extend(self.broken.iter().map(|(c, n)| format!("'{c}' broken in {n}/{} seeds", self.runs)));
        if self.objective.is_none() {
            why.push("no value of the objective".into());
        }
        why.join(", ")
    }
}

/// The points no other point beats on both cost and attainment, cheapest
/// first (indices into `stats`). Of points with equal figures, the first
/// is kept. Points without both figures are left out.
pub fn front(stats: &[PointStat]) -> Vec<usize> {
    let mut order: Vec<usize> =
        (0..stats.len()).filter(|&i| stats[i].cost.is_some() && stats[i].attainment.is_some()).collect();
    let key = |i: usize| (stats[i].cost.unwrap_or(f64::INFINITY), stats[i].attainment.unwrap_or(0.0));
    order.sort_by(|&a, &b| {
        let ((ca, aa), (cb, ab)) = (key(a), key(b));
        ca.total_cmp(&cb).then(ab.total_cmp(&aa)).then(stats[a].point.cmp(&stats[b].point))
    });
    let mut best = f64::NEG_INFINITY;
    let mut out = Vec::new();
    for i in order {
        let a = key(i).1;
        if a > best {
            best = a;
            out.push(i);
        }
    }
    out
}

/// The cheapest point meeting the SLO in every run (the lower index on a
/// tie), if any, whatever the sweep's objective.
pub fn cheapest(stats: &[PointStat]) -> Option<usize> {
    (0..stats.len()).filter(|&i| stats[i].meets_slo() && stats[i].cost.is_some()).min_by(|&a, &b| {
        stats[a].cost.unwrap_or(f64::INFINITY).total_cmp(&stats[b].cost.unwrap_or(f64::INFINITY)).then(a.cmp(&b))
    })
}

/// Indices of `stats` passing `keep`, best on the objective first (the
/// lower index on a tie).
fn ranked(stats: &[PointStat], rec: &Recommender, keep: impl Fn(&PointStat) -> bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..stats.len()).filter(|&i| keep(&stats[i]) && stats[i].objective.is_some()).collect();
    let value = |i: usize| stats[i].objective.unwrap_or(f64::NAN);
    order.sort_by(|&a, &b| {
        let (x, y) = (value(a), value(b));
        let by = if rec.objective.better(x, y) {
            std::cmp::Ordering::Less
        } else if rec.objective.better(y, x) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        };
        by.then(a.cmp(&b))
    });
    order
}

/// The recommended point and the runner-up (indices into `stats`).
pub fn recommend(stats: &[PointStat], rec: &Recommender) -> (Option<usize>, Option<usize>) {
    let order = ranked(stats, rec, PointStat::eligible);
    (order.first().copied(), order.get(1).copied())
}

fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map_or("-".into(), f)
}

/// `x` against `base`, as a signed percentage.
fn change(x: f64, base: f64) -> String {
    if base == 0.0 { format!("{:+.4}", x - base) } else { format!("{:+.1}%", (x / base - 1.0) * 100.0) }
}

/// The printed report: the front as a table, then the recommended point
/// with the `--set` arguments that reproduce it, what it traded off (the
/// best point on the objective that was excluded, and why) and the
/// runner-up. `currency` names the cost column.
pub fn render(names: &[String], stats: &[PointStat], rec: &Recommender, currency: &str) -> String {
    let mut s = String::new();
    let front = front(stats);
    let seeds = stats.iter().map(|p| p.runs).max().unwrap_or(0);
    let money = if currency.is_empty() { "cost".to_string() } else { format!("cost {currency}") };
    let _ = writeln!(
        s,
        "Pareto front, {money} vs SLO attainment ({} of {} points; means over {} seed{}):",
        front.len(),
        stats.len(),
        seeds,
        if seeds == 1 { "" } else { "s" }
    );
    let mut rows = vec![{
        let mut h = vec![
            "point".to_string(),
            money.clone(),
            "replica-h".into(),
            "attainment".into(),
            "p99 ms".into(),
            "run-wide slo met".into(),
            "instability".into(),
        ];
        h.extend(names.iter().cloned());
        h
    }];
    for &i in &front {
        let p = &stats[i];
        let mut r = vec![
            p.point.to_string(),
            opt(p.cost, |c| format!("{c:.2}")),
            opt(p.replica_hours, |c| format!("{c:.2}")),
            opt(p.attainment, |a| format!("{:.2}%", a * 100.0)),
            opt(p.p99_ms, |x| format!("{x:.0}")),
            format!("{}/{}", libm::round(p.met * p.runs as f64) as usize, p.runs),
            opt(p.instability, |x| format!("{:.1}%", x * 100.0)),
        ];
        r.extend(p.params.iter().cloned());
        rows.push(r);
    }
    let widths: Vec<usize> =
        (0..rows[0].len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    for r in &rows {
        let line: Vec<String> = r.iter().zip(&widths).map(|(cell, w)| format!("{cell:>w$}")).collect();
        let _ = writeln!(s, "  {}", line.join("  ").trim_end());
    }
    let constraints: Vec<&str> = rec.constraints.iter().map(|c| c.text.as_str()).collect();
    let rule = format!(
        "{}; {} in every seed{}; no finding above severity {:.2}",
        rec.objective,
        if constraints.is_empty() { "no constraint".to_string() } else { constraints.join(", ") },
        if rec.default_constraints { " (the default: the scenario's run-wide SLO, p99 and availability)" } else { "" },
        rec.max_severity
    );
    let figure = |p: &PointStat| opt(p.objective, |x| format!("{x:.4}"));
    let describe = |p: &PointStat| {
        format!(
            "point {} — {} {}; {money} {}, {} replica-hours, attainment {}",
            p.point,
            rec.objective.column,
            figure(p),
            opt(p.cost, |c| format!("{c:.2}")),
            opt(p.replica_hours, |c| format!("{c:.2}")),
            opt(p.attainment, |a| format!("{:.2}%", a * 100.0)),
        )
    };
    let (best, runner_up) = recommend(stats, rec);
    match best {
        Some(i) => {
            let p = &stats[i];
            let sets: Vec<String> = names.iter().zip(&p.params).map(|(n, v)| format!("--set {n}={v}")).collect();
            let _ = writeln!(
                s,
                "Recommended ({rule}):\n  {}\n  {}",
                describe(p),
                if sets.is_empty() { "(the base scenario)".to_string() } else { sets.join(" ") }
            );
            let excluded = stats.iter().filter(|q| !q.eligible()).count();
            let better: Vec<usize> = ranked(stats, rec, |q| !q.eligible())
                .into_iter()
                .filter(|&j| {
                    rec.objective.better(stats[j].objective.unwrap_or(f64::NAN), p.objective.unwrap_or(f64::NAN))
                })
                .collect();
            // The excluded point just better than the recommendation: what
            // the constraints and the severity rule cost at the margin.
            match better.last() {
                Some(&j) => {
                    let q = &stats[j];
                    let _ = writeln!(
                        s,
                        "  traded off: {} {} against {} at point {}, the nearest better point, excluded for {}; {} of {} points excluded in all",
                        rec.objective.column,
                        change(p.objective.unwrap_or(0.0), q.objective.unwrap_or(0.0)),
                        figure(q),
                        q.point,
                        q.why_not(),
                        excluded,
                        stats.len()
                    );
                }
                None => {
                    let _ = writeln!(
                        s,
                        "  traded off: nothing on the objective (no excluded point does better); {excluded} of {} points excluded",
                        stats.len()
                    );
                }
            }
            match runner_up {
                Some(j) => {
                    let q = &stats[j];
                    let _ = writeln!(
                        s,
                        "  runner-up: {} ({} {})",
                        describe(q),
                        rec.objective.column,
                        change(q.objective.unwrap_or(0.0), p.objective.unwrap_or(0.0))
                    );
                }
                None => {
                    let _ = writeln!(s, "  runner-up: none (one point qualifies)");
                }
            }
        }
        None => {
            let _ = writeln!(s, "No point qualifies ({rule}).");
            if let Some(&j) = ranked(stats, rec, |_| true).first() {
                let _ = writeln!(
                    s,
                    "  the best on the objective, {}, is excluded for {}",
                    describe(&stats[j]),
                    stats[j].why_not()
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A point whose objective is its cost, breaking the default
    /// constraint (`slo_met == 1`) unless it met the SLO in every seed.
    fn p(point: usize, cost: f64, attainment: f64, met: f64) -> PointStat {
        PointStat {
            point,
            params: vec![point.to_string()],
            runs: 2,
            cost: Some(cost),
            replica_hours: Some(cost * 10.0),
            attainment: Some(attainment),
            met,
            p99_ms: Some(100.0),
            instability: Some(0.01),
            objective: Some(cost),
            broken: if met < 1.0 { vec![("slo_met == 1".into(), 1)] } else { Vec::new() },
            severe: Vec::new(),
        }
    }

    #[test]
    fn front_and_recommendation_on_a_known_table() {
        // cost, attainment: 1 (5, .90) and 2 (6, .90) tie on attainment, so 2 is dominated;
        // 4 (8, .95) is dominated by 3 (7, .97); 5 (4, .80) is the cheapest of all.
        let mut stats = vec![
            p(0, 10.0, 1.00, 1.0),
            p(1, 5.0, 0.90, 0.5),
            p(2, 6.0, 0.90, 0.0),
            p(3, 7.0, 0.97, 1.0),
            p(4, 8.0, 0.95, 1.0),
            p(5, 4.0, 0.80, 0.0),
            p(6, 7.0, 0.97, 1.0),
        ];
        let f: Vec<usize> = front(&stats).iter().map(|&i| stats[i].point).collect();
        assert_eq!(f, [5, 1, 3, 0], "cheapest first; 6 equals 3 and comes later");
        let rec = Recommender::default();
        let (best, runner) = recommend(&stats, &rec);
        assert_eq!(best.map(|i| stats[i].point), Some(3), "1 and 5 are cheaper but miss the SLO");
        assert_eq!(runner.map(|i| stats[i].point), Some(6), "6 ties with 3 and comes later");
        let text = render(&["a".to_string()], &stats, &rec, "USD");
        assert!(text.contains("Pareto front, cost USD vs SLO attainment (4 of 7 points"), "{text}");
        assert!(
            text.contains(
                "point 3 — cost_total 7.0000; cost USD 7.00, 70.00 replica-hours, attainment 97.00%\n  --set a=3"
            ),
            "{text}"
        );
        assert!(text.contains("traded off: cost_total +16.7% against 6.0000 at point 2, the nearest better point, excluded for 'slo_met == 1' broken in 1/2 seeds; 3 of 7 points excluded"), "{text}");
        assert!(text.contains("runner-up: point 6"), "{text}");

        // A severe finding excludes the cheapest qualifying point, and says so.
        stats[3].severe = vec![(FindingKind::Flapping, 0.62)];
        let (best, _) = recommend(&stats, &rec);
        assert_eq!(best.map(|i| stats[i].point), Some(6));
        let text = render(&["a".to_string()], &stats, &rec, "USD");
        assert!(text.contains("no finding above severity 0.50"), "{text}");
    }

    #[test]
    fn no_point_qualifies() {
        let stats = vec![p(0, 1.0, 0.5, 0.5)];
        let rec = Recommender::default();
        assert_eq!(recommend(&stats, &rec), (None, None));
        let text = render(&[], &stats, &rec, "USD");
        assert!(text.contains("No point qualifies"), "{text}");
        assert!(text.contains("the best on the objective, point 0"), "{text}");
    }
}
