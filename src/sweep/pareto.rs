//! The best policy: the Pareto front of cost (mean replica-hours, lower is
//! better) against SLO attainment (mean share of SLO windows met, higher is
//! better), and the cheapest point that meets its scenario's SLO (p99 and
//! availability targets, `slo.met`) in every seed.

use std::fmt::Write as _;

/// One point's figures, as the aggregate computed them.
#[derive(Clone, Debug, PartialEq)]
pub struct PointStat {
    /// The point's index.
    pub point: usize,
    /// Its parameter values, as written.
    pub params: Vec<String>,
    /// Runs (seeds) aggregated.
    pub runs: usize,
    /// Mean replica-hours.
    pub cost: Option<f64>,
    /// Mean SLO attainment.
    pub attainment: Option<f64>,
    /// Share of runs that met the SLO.
    pub met: f64,
    /// Mean p99 latency, ms.
    pub p99_ms: Option<f64>,
}

impl PointStat {
    /// Whether every run of the point met the SLO.
    pub fn meets_slo(&self) -> bool {
        self.met >= 1.0 - 1e-9
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
/// tie), if any.
pub fn cheapest(stats: &[PointStat]) -> Option<usize> {
    (0..stats.len()).filter(|&i| stats[i].meets_slo() && stats[i].cost.is_some()).min_by(|&a, &b| {
        stats[a].cost.unwrap_or(f64::INFINITY).total_cmp(&stats[b].cost.unwrap_or(f64::INFINITY)).then(a.cmp(&b))
    })
}

fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map_or("-".into(), f)
}

/// The printed report: the front as a table, then the cheapest point with
/// the `--set` arguments that reproduce it.
pub fn render(names: &[String], stats: &[PointStat]) -> String {
    let mut s = String::new();
    let front = front(stats);
    let seeds = stats.iter().map(|p| p.runs).max().unwrap_or(0);
    let _ = writeln!(
        s,
        "Pareto front, cost vs SLO attainment ({} of {} points; means over {} seed{}):",
        front.len(),
        stats.len(),
        seeds,
        if seeds == 1 { "" } else { "s" }
    );
    let mut rows = vec![{
        let mut h =
            vec!["point".to_string(), "replica-h".into(), "attainment".into(), "p99 ms".into(), "slo met".into()];
        h.extend(names.iter().cloned());
        h
    }];
    for &i in &front {
        let p = &stats[i];
        let mut r = vec![
            p.point.to_string(),
            opt(p.cost, |c| format!("{c:.2}")),
            opt(p.attainment, |a| format!("{:.2}%", a * 100.0)),
            opt(p.p99_ms, |x| format!("{x:.0}")),
            format!("{}/{}", libm::round(p.met * p.runs as f64) as usize, p.runs),
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
    match cheapest(stats) {
        Some(i) => {
            let p = &stats[i];
            let sets: Vec<String> = names.iter().zip(&p.params).map(|(n, v)| format!("--set {n}={v}")).collect();
            let _ = writeln!(
                s,
                "Cheapest point meeting the SLO in every seed: point {} — {} replica-hours, attainment {}\n  {}",
                p.point,
                opt(p.cost, |c| format!("{c:.2}")),
                opt(p.attainment, |a| format!("{:.2}%", a * 100.0)),
                if sets.is_empty() { "(the base scenario)".to_string() } else { sets.join(" ") }
            );
        }
        None => {
            let _ = writeln!(s, "No point meets the SLO in every seed.");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(point: usize, cost: f64, attainment: f64, met: f64) -> PointStat {
        PointStat {
            point,
            params: vec![point.to_string()],
            runs: 2,
            cost: Some(cost),
            attainment: Some(attainment),
            met,
            p99_ms: Some(100.0),
        }
    }

    #[test]
    fn front_and_cheapest_on_a_known_table() {
        // cost, attainment: 1 (5, .90) and 2 (6, .90) tie on attainment, so 2 is dominated;
        // 4 (8, .95) is dominated by 3 (7, .97); 5 (4, .90) equals... no: 5 is cheaper than 1.
        let stats = vec![
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
        assert_eq!(cheapest(&stats).map(|i| stats[i].point), Some(3), "1 and 5 are cheaper but miss the SLO");
        let text = render(&["a".to_string()], &stats);
        assert!(text.contains("4 of 7 points"), "{text}");
        assert!(text.contains("point 3 — 7.00 replica-hours, attainment 97.00%\n  --set a=3"), "{text}");
    }

    #[test]
    fn no_point_meets_the_slo() {
        let stats = vec![p(0, 1.0, 0.5, 0.5)];
        assert_eq!(cheapest(&stats), None);
        assert!(render(&[], &stats).contains("No point meets the SLO"));
    }
}
