//! The numerics of calibration: ordinary least squares with its standard
//! errors, and lognormal / gamma distributions fitted to percentiles.
//! Quantile functions come from `statrs`.

use statrs::distribution::{ContinuousCDF, Gamma, Normal, StudentsT};

/// `y = a + b·x` by ordinary least squares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Line {
    /// Intercept.
    pub a: f64,
    /// Slope.
    pub b: f64,
    /// Standard error of the intercept.
    pub se_a: f64,
    /// Standard error of the slope.
    pub se_b: f64,
    /// Root mean square residual.
    pub rmse: f64,
    /// Coefficient of determination.
    pub r2: f64,
    /// Points.
    pub n: usize,
}

/// Fits `y = a + b·x`; `None` with fewer than three points or no spread in x.
/// Standard errors are the textbook ones (e.g. Montgomery & Runger,
/// *Applied Statistics*, §11.4), multiplied by `sqrt(overlap)` where
/// successive points share data (a rate over a window of `overlap` steps).
pub fn ols(points: &[(f64, f64)], overlap: f64) -> Option<Line> {
    let n = points.len();
    if n < 3 {
        return None;
    }
    let nf = n as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / nf;
    let my = points.iter().map(|p| p.1).sum::<f64>() / nf;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let syy: f64 = points.iter().map(|p| (p.1 - my).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let b = sxy / sxx;
    let a = my - b * mx;
    let ssr: f64 = points.iter().map(|p| (p.1 - a - b * p.0).powi(2)).sum();
    let s2 = ssr / (nf - 2.0) * overlap.max(1.0);
    Some(Line {
        a,
        b,
        se_a: (s2 * (1.0 / nf + mx * mx / sxx)).sqrt(),
        se_b: (s2 / sxx).sqrt(),
        rmse: (ssr / nf).sqrt(),
        r2: if syy > 0.0 { 1.0 - ssr / syy } else { 1.0 },
        n,
    })
}

/// The two-sided 95% Student t factor for `n` points and two parameters
/// (effective points: `n / overlap`).
pub fn t95(n: usize, overlap: f64) -> f64 {
    let dof = (n as f64 / overlap.max(1.0) - 2.0).max(1.0);
    StudentsT::new(0.0, 1.0, dof).map_or(1.96, |t| t.inverse_cdf(0.975))
}

/// A distribution fitted to percentiles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DistFit {
    /// Which family.
    pub family: Family,
    /// Mean, seconds.
    pub mean: f64,
    /// Coefficient of variation.
    pub cv: f64,
    /// Root mean square of the log residuals at the fitted percentiles.
    pub log_rmse: f64,
}

/// A distribution family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Lognormal.
    Lognormal,
    /// Gamma.
    Gamma,
}

impl Family {
    /// Its name in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Family::Lognormal => "lognormal",
            Family::Gamma => "gamma",
        }
    }
}

impl DistFit {
    /// The fitted distribution's `q` quantile, seconds.
    pub fn quantile(&self, q: f64) -> f64 {
        match self.family {
            Family::Lognormal => {
                let s2 = (1.0 + self.cv * self.cv).ln();
                let mu = self.mean.ln() - s2 / 2.0;
                (mu + s2.sqrt() * z(q)).exp()
            }
            Family::Gamma => {
                let k = 1.0 / (self.cv * self.cv);
                Gamma::new(k, k / self.mean).map_or(f64::NAN, |g| g.inverse_cdf(q))
            }
        }
    }
}

fn z(q: f64) -> f64 {
    Normal::new(0.0, 1.0).map_or(f64::NAN, |n| n.inverse_cdf(q))
}

/// Lognormal through percentiles `(q, value s)`: `ln v = μ + σ·z(q)` by
/// least squares (exact with two points).
pub fn lognormal(percentiles: &[(f64, f64)]) -> Option<DistFit> {
    let pts: Vec<(f64, f64)> = percentiles.iter().filter(|p| p.1 > 0.0).map(|&(q, v)| (z(q), v.ln())).collect();
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let mz = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let ml = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let szz: f64 = pts.iter().map(|p| (p.0 - mz).powi(2)).sum();
    let sigma = (pts.iter().map(|p| (p.0 - mz) * (p.1 - ml)).sum::<f64>() / szz).max(1e-6);
    let mu = ml - sigma * mz;
    let log_rmse = (pts.iter().map(|p| (p.1 - mu - sigma * p.0).powi(2)).sum::<f64>() / n).sqrt();
    Some(DistFit {
        family: Family::Lognormal,
        mean: (mu + sigma * sigma / 2.0).exp(),
        cv: ((sigma * sigma).exp() - 1.0).sqrt(),
        log_rmse,
    })
}

/// Gamma through percentiles: for a shape k the scale is the geometric
/// mean of `v / Q(q; k, 1)`; k minimizes the log residuals over a
/// logarithmic grid refined around its best point.
pub fn gamma(percentiles: &[(f64, f64)]) -> Option<DistFit> {
    let pts: Vec<(f64, f64)> = percentiles.iter().copied().filter(|p| p.1 > 0.0).collect();
    if pts.len() < 2 {
        return None;
    }
    let fit = |k: f64| -> Option<(f64, f64)> {
        let g = Gamma::new(k, 1.0).ok()?;
        let logs: Vec<(f64, f64)> = pts.iter().map(|&(q, v)| (g.inverse_cdf(q).ln(), v.ln())).collect();
        let ln_theta = logs.iter().map(|(lq, lv)| lv - lq).sum::<f64>() / logs.len() as f64;
        let sse = logs.iter().map(|(lq, lv)| (lv - lq - ln_theta).powi(2)).sum::<f64>();
        // statrs' inverse CDF fails (NaN) for extreme shapes: skip those.
        sse.is_finite().then(|| (sse, ln_theta.exp()))
    };
    let mut best: Option<(f64, f64, f64)> = None; // (sse, k, theta)
    let (mut lo, mut hi) = (0.05f64.ln(), 400f64.ln());
    for _ in 0..4 {
        for i in 0..=40 {
            let k = (lo + (hi - lo) * i as f64 / 40.0).exp();
            if let Some((sse, theta)) = fit(k)
                && best.is_none_or(|b| sse < b.0)
            {
                best = Some((sse, k, theta));
            }
        }
        let (_, k, _) = best?;
        let width = (hi - lo) / 20.0;
        lo = k.ln() - width;
        hi = k.ln() + width;
    }
    let (sse, k, theta) = best?;
    Some(DistFit {
        family: Family::Gamma,
        mean: k * theta,
        cv: 1.0 / k.sqrt(),
        log_rmse: (sse / pts.len() as f64).sqrt(),
    })
}

/// The median and interquartile range of some values.
pub fn median_iqr(values: &mut [f64]) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let x = q * (values.len() - 1) as f64;
        let (i, f) = (x.floor() as usize, x.fract());
        values[i] + (values[(i + 1).min(values.len() - 1)] - values[i]) * f
    };
    Some((at(0.5), at(0.25), at(0.75)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ols_recovers_a_line_and_its_errors() {
        let pts: Vec<(f64, f64)> =
            (0..20).map(|i| (i as f64, 2.0 + 0.5 * i as f64 + if i % 2 == 0 { 0.1 } else { -0.1 })).collect();
        let l = ols(&pts, 1.0).unwrap();
        assert!((l.b - 0.5).abs() < 0.01 && (l.a - 2.0).abs() < 0.1, "{l:?}");
        assert!(l.se_b > 0.0 && l.r2 > 0.99);
    }

    #[test]
    fn lognormal_through_its_own_percentiles() {
        // mean 20 ms, cv 0.5: σ² = ln 1.25, μ = ln 0.02 − σ²/2.
        let truth = DistFit { family: Family::Lognormal, mean: 0.02, cv: 0.5, log_rmse: 0.0 };
        let p: Vec<(f64, f64)> = [0.5, 0.95, 0.99].iter().map(|&q| (q, truth.quantile(q))).collect();
        assert!((p[0].1 - 0.017889).abs() < 1e-5, "median {}", p[0].1);
        let f = lognormal(&p).unwrap();
        assert!((f.mean - 0.02).abs() < 1e-9 && (f.cv - 0.5).abs() < 1e-9, "{f:?}");
    }

    #[test]
    fn gamma_through_its_own_percentiles() {
        let truth = DistFit { family: Family::Gamma, mean: 0.02, cv: 0.5, log_rmse: 0.0 };
        let p: Vec<(f64, f64)> = [0.5, 0.95, 0.99].iter().map(|&q| (q, truth.quantile(q))).collect();
        let f = gamma(&p).unwrap();
        assert!((f.mean - 0.02).abs() < 2e-4 && (f.cv - 0.5).abs() < 0.01, "{f:?}");
        assert!(f.log_rmse < 1e-3);
    }
}
