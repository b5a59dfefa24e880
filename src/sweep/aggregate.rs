//! The aggregate: one row per parameter point, across its seeds — for every
//! figure the mean and a 95% confidence interval for the mean, Student-t
//! based (`mean ± t(0.975, n−1) · s/√n`, `s` the sample standard deviation;
//! empty when a point has one seed).
//!
//! It is computed from the runs file's cells, as written, and streamed: a
//! point's runs are consecutive rows, so only one point is held at a time.
//! `scalesim sweep` and `scalesim merge` both build it this way, so a merged
//! aggregate is byte-identical to a single machine's.

use std::io;

use strum::IntoEnumIterator;

use super::objective::Recommender;
use super::pareto::PointStat;
use super::table::{CsvFile, LEAD};
use crate::output::summary::FindingKind;

/// The two-sided 95% quantile of Student's t with `df` degrees of freedom:
/// a table up to 30 (computed to 6 decimals), then the Cornish–Fisher
/// expansion (within 1e-6 there).
pub fn t975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985,
        2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873,
        2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        _ => {
            let z: f64 = 1.959_963_984_540_054;
            let n = df as f64;
            let g1 = (z.powi(3) + z) / 4.0;
            let g2 = (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / 96.0;
            let g3 = (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / 384.0;
            let g4 =
                (79.0 * z.powi(9) + 776.0 * z.powi(7) + 1482.0 * z.powi(5) - 1920.0 * z.powi(3) - 945.0 * z) / 92160.0;
            z + g1 / n + g2 / (n * n) + g3 / (n * n * n) + g4 / (n * n * n * n)
        }
    }
}

/// Mean and 95% t-interval of `xs` (`None` bounds for fewer than 2 values).
pub fn mean_ci(xs: &[f64]) -> Option<(f64, Option<(f64, f64)>)> {
    if xs.is_empty() {
        return None;
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return Some((mean, None));
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    let half = t975(xs.len() - 1) * (var / n).sqrt();
    Some((mean, Some((mean - half, mean + half))))
}

/// The aggregate's columns.
pub fn point_columns(params: &[String], metrics: &[String]) -> Vec<String> {
    let mut c = vec!["point".to_string()];
    c.extend(params.iter().cloned());
    c.push("runs".into());
    for m in metrics {
        c.extend([format!("{m}_mean"), format!("{m}_lo"), format!("{m}_hi")]);
    }
    c
}

struct Current {
    point: String,
    params: Vec<String>,
    runs: usize,
    /// Per metric, the values of the point's runs (empty cells left out).
    values: Vec<Vec<f64>>,
    /// Per constraint, the runs that broke it.
    broke: Vec<usize>,
    /// Per failure mode, the worst severity in any run.
    severity: Vec<f64>,
}

/// Builds the aggregate from runs rows in index order.
pub struct Aggregator {
    params: usize,
    metrics: Vec<String>,
    out: Option<CsvFile>,
    current: Option<Current>,
    stats: Vec<PointStat>,
    rec: Recommender,
    /// Each failure mode's severity column, if the file has it.
    severity_columns: Vec<(FindingKind, Option<usize>)>,
}

impl Aggregator {
    /// An aggregator for runs rows with `params` parameter columns and the
    /// given metric columns (those after `seed`), writing to `out` if given,
    /// checking each run against `rec`'s constraints.
    pub fn new(params: usize, metrics: Vec<String>, out: Option<CsvFile>, rec: Recommender) -> Aggregator {
        let severity_columns =
            FindingKind::iter().map(|k| (k, metrics.iter().position(|m| *m == format!("severity_{k}")))).collect();
        Aggregator { params, metrics, out, current: None, stats: Vec::new(), rec, severity_columns }
    }

    /// Takes the next runs row.
    pub fn push(&mut self, row: &[String]) -> io::Result<()> {
        let point = &row[1];
        let first_metric = LEAD.len() + self.params + 1;
        if self.current.as_ref().is_some_and(|c| &c.point != point) {
            self.flush()?;
        }
        let cur = self.current.get_or_insert_with(|| Current {
            point: point.clone(),
            params: row[LEAD.len()..LEAD.len() + self.params].to_vec(),
            runs: 0,
            values: vec![Vec::new(); self.metrics.len()],
            broke: vec![0; self.rec.constraints.len()],
            severity: vec![0.0; self.severity_columns.len()],
        });
        cur.runs += 1;
        let cells = &row[first_metric.min(row.len())..];
        for (j, cell) in cells.iter().enumerate() {
            if let Ok(x) = cell.parse::<f64>()
                && let Some(v) = cur.values.get_mut(j)
            {
                v.push(x);
            }
        }
        let metrics = &self.metrics;
        let cell = |name: &str| metrics.iter().position(|m| m == name).and_then(|j| cells.get(j)?.parse::<f64>().ok());
        for (k, c) in self.rec.constraints.iter().enumerate() {
            if !c.holds(&cell) {
                cur.broke[k] += 1;
            }
        }
        for (k, (_, col)) in self.severity_columns.iter().enumerate() {
            if let Some(x) = col.and_then(|j| cells.get(j)?.parse::<f64>().ok()) {
                cur.severity[k] = cur.severity[k].max(x);
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        let Some(cur) = self.current.take() else { return Ok(()) };
        let mut cells = vec![cur.point.clone()];
        cells.extend(cur.params.iter().cloned());
        cells.push(cur.runs.to_string());
        let mut means = Vec::with_capacity(self.metrics.len());
        for xs in &cur.values {
            let (mean, ci) = match mean_ci(xs) {
                Some((m, ci)) => (Some(m), ci),
                None => (None, None),
            };
            let show = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:.6}"));
            let shown_mean = show(mean);
            means.push(shown_mean.parse::<f64>().ok());
            cells.extend([shown_mean, show(ci.map(|c| c.0)), show(ci.map(|c| c.1))]);
        }
        if let Some(out) = &mut self.out {
            out.row(&cells)?;
        }
        let metric = |name: &str| self.metrics.iter().position(|m| m == name).and_then(|i| means[i]);
        let broken = self.rec.constraints.iter().zip(&cur.broke).filter(|(_, n)| **n > 0);
        let severe = self.severity_columns.iter().zip(&cur.severity).filter(|(_, x)| **x > self.rec.max_severity);
        self.stats.push(PointStat {
            point: cur.point.parse().unwrap_or(0),
            params: cur.params,
            runs: cur.runs,
            cost: metric("cost_total"),
            replica_hours: metric("replica_hours"),
            attainment: metric("slo_attainment"),
            met: metric("slo_met").unwrap_or(0.0),
            p99_ms: metric("latency_p99_ms"),
            instability: metric("instability"),
            objective: metric(&self.rec.objective.column),
            broken: broken.map(|(c, n)| (c.text.clone(), *n)).collect(),
            severe: severe.map(|((k, _), x)| (*k, *x)).collect(),
        });
        Ok(())
    }

    /// Ends the last point; commits the file; returns every point's figures.
    pub fn finish(mut self) -> io::Result<Vec<PointStat>> {
        self.flush()?;
        if let Some(out) = self.out.take() {
            out.commit()?;
        }
        Ok(self.stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles() {
        assert_eq!(t975(1), 12.706205);
        assert!((t975(30) - 2.042272).abs() < 1e-9);
        // Values beyond the table, against the t distribution (numerically integrated).
        assert!((t975(40) - 2.021075).abs() < 2e-6, "{}", t975(40));
        assert!((t975(120) - 1.979930).abs() < 2e-6, "{}", t975(120));
        assert!(t975(100_000) > 1.959_96 && t975(100_000) < 1.96);
    }

    #[test]
    fn mean_and_interval() {
        // 2, 4, 6: mean 4, s = 2, half-width t(2) · 2/√3 = 4.302653 · 1.154701 = 4.968275.
        let (m, ci) = mean_ci(&[2.0, 4.0, 6.0]).unwrap();
        assert_eq!(m, 4.0);
        let (lo, hi) = ci.unwrap();
        assert!((hi - 8.968275).abs() < 1e-5 && (lo + 0.968275).abs() < 1e-5, "{lo} {hi}");
        assert_eq!(mean_ci(&[5.0]), Some((5.0, None)));
        assert_eq!(mean_ci(&[]), None);
    }
}
