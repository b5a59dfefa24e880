//! Percentiles from cumulative histogram buckets, exactly as PromQL's
//! `histogram_quantile` computes them (prometheus/promql/quantile.go,
//! `bucketQuantile`): linear interpolation inside the bucket the rank falls
//! in, the lowest bucket starting at 0, a rank in the `+Inf` bucket answered
//! with the highest finite bound.

/// Parses an `le` label (`"0.25"`, `"+Inf"`).
pub fn parse_le(le: &str) -> Option<f64> {
    match le {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        s => s.parse().ok(),
    }
}

/// The `q` quantile of cumulative buckets `(upper bound, count)` sorted by
/// bound, or `None` where PromQL gives NaN (no observations, no `+Inf`
/// bucket, fewer than two buckets).
pub fn quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    if !(0.0..=1.0).contains(&q) || buckets.len() < 2 || buckets.last()?.0 != f64::INFINITY {
        return None;
    }
    // Counts of a rate() can come out slightly non-monotonic: PromQL makes
    // them monotonic before interpolating (ensureMonotonic).
    let mut b: Vec<(f64, f64)> = buckets.to_vec();
    for i in 1..b.len() {
        if b[i].1 < b[i - 1].1 {
            b[i].1 = b[i - 1].1;
        }
    }
    let total = b.last()?.1;
    if total <= 0.0 || total.is_nan() {
        return None;
    }
    let rank = q * total;
    let i = b.iter().position(|&(_, c)| c >= rank)?;
    if i == b.len() - 1 {
        return Some(b[b.len() - 2].0);
    }
    if i == 0 && b[0].0 <= 0.0 {
        return Some(b[0].0);
    }
    let (start, below) = if i == 0 { (0.0, 0.0) } else { b[i - 1] };
    let (end, count) = b[i];
    Some(start + (end - start) * ((rank - below) / (count - below)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_inside_the_bucket() {
        // 10 observations ≤ 0.1, 10 more in (0.1, 0.2]: the median is the
        // bound 0.1, the 75th percentile halfway into the second bucket.
        let b = [(0.1, 10.0), (0.2, 20.0), (f64::INFINITY, 20.0)];
        assert_eq!(quantile(0.5, &b), Some(0.1));
        assert!((quantile(0.75, &b).unwrap() - 0.15).abs() < 1e-12);
        assert!((quantile(0.25, &b).unwrap() - 0.05).abs() < 1e-12);
    }

    #[test]
    fn a_rank_in_the_inf_bucket_is_the_highest_finite_bound() {
        let b = [(0.1, 1.0), (0.2, 2.0), (f64::INFINITY, 10.0)];
        assert_eq!(quantile(0.99, &b), Some(0.2));
    }

    #[test]
    fn no_observations_is_no_value() {
        assert_eq!(quantile(0.5, &[(0.1, 0.0), (f64::INFINITY, 0.0)]), None);
        assert_eq!(quantile(0.5, &[(0.1, 3.0), (0.2, 3.0)]), None);
    }
}
