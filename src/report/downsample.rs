//! Fitting a long time series to a chart's width without losing a spike:
//! rows are grouped into equal time buckets and each bucket keeps its
//! minimum and its maximum, in the order they occurred (the "min/max"
//! decimation of M4, Jugel et al., VLDB 2014, without first/last: a line
//! through each bucket's extremes draws the same pixels). A 24-hour run at a
//! 1 s tick becomes 2 × 1,500 points per series; a short run is drawn raw.

/// Buckets a chart's series share: every run on one time axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// Raw rows (`None`) or the bucket width, seconds.
    width: Option<f64>,
    /// The x values: the rows' times, or two per bucket.
    pub x: Vec<f64>,
}

/// A bucket's (row, value) of its minimum and of its maximum.
type Extremes = ((usize, f64), (usize, f64));

/// Buckets in a downsampled chart.
pub const BUCKETS: usize = 1500;

impl Grid {
    /// The grid for runs with these row times: raw when every run has the
    /// same times and they fit, else `BUCKETS` buckets over the longest.
    pub fn new(times: &[&[f64]]) -> Grid {
        let same = times.windows(2).all(|w| w[0] == w[1]);
        let longest = times.iter().map(|t| t.len()).max().unwrap_or(0);
        if same && longest <= 2 * BUCKETS {
            return Grid { width: None, x: times.first().map_or_else(Vec::new, |t| t.to_vec()) };
        }
        let end = times.iter().filter_map(|t| t.last()).fold(0.0_f64, |a, &b| a.max(b));
        let step = times.iter().find(|t| t.len() >= 2).map_or(1.0, |t| t[1] - t[0]).max(1e-9);
        // A whole number of ticks per bucket, so each holds as many rows.
        let width = ((end + step) / BUCKETS as f64 / step).ceil().max(1.0) * step;
        let n = ((end + step) / width).ceil() as usize;
        let x = (0..n).flat_map(|b| [b as f64 * width, (b as f64 + 0.5) * width]).collect();
        Grid { width: Some(width), x }
    }

    /// Whether rows are drawn as they are.
    pub fn is_raw(&self) -> bool {
        self.width.is_none()
    }

    /// One series on the grid: the values as they are, or each bucket's
    /// minimum and maximum in time order (`None` for an empty bucket).
    pub fn fit(&self, t: &[f64], values: &[Option<f64>]) -> Vec<Option<f64>> {
        let Some(width) = self.width else {
            let mut v = values.to_vec();
            v.resize(self.x.len(), None);
            return v;
        };
        let n = self.x.len() / 2;
        let mut ext: Vec<Option<Extremes>> = vec![None; n];
        for (i, (ts, v)) in t.iter().zip(values).enumerate() {
            let Some(v) = *v else { continue };
            let b = ((ts / width + 1e-9).floor() as usize).min(n.saturating_sub(1));
            let e = ext[b].get_or_insert(((i, v), (i, v)));
            if v < e.0.1 {
                e.0 = (i, v);
            }
            if v > e.1.1 {
                e.1 = (i, v);
            }
        }
        ext.into_iter()
            .flat_map(|e| match e {
                None => [None, None],
                Some((lo, hi)) if lo.0 <= hi.0 => [Some(lo.1), Some(hi.1)],
                Some((lo, hi)) => [Some(hi.1), Some(lo.1)],
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_run_is_drawn_raw() {
        let t = [0.0, 1.0, 2.0];
        let g = Grid::new(&[&t]);
        assert!(g.is_raw());
        assert_eq!(g.fit(&t, &[Some(1.0), None, Some(3.0)]), [Some(1.0), None, Some(3.0)]);
    }

    #[test]
    fn a_one_tick_spike_in_a_day_survives() {
        let t: Vec<f64> = (0..86_400).map(f64::from).collect();
        let mut v = vec![Some(10.0); t.len()];
        v[43_210] = Some(5000.0);
        v[70_000] = Some(0.0);
        let g = Grid::new(&[&t]);
        let out = g.fit(&t, &v);
        assert_eq!(out.len(), g.x.len());
        assert!(out.len() <= 2 * BUCKETS, "{} points", out.len());
        let max = out.iter().flatten().fold(f64::MIN, |a, &b| a.max(b));
        let min = out.iter().flatten().fold(f64::MAX, |a, &b| a.min(b));
        assert_eq!((max, min), (5000.0, 0.0), "the spike and the dip are kept");
    }

    #[test]
    fn runs_of_different_lengths_share_the_buckets() {
        let a: Vec<f64> = (0..10_000).map(f64::from).collect();
        let b: Vec<f64> = (0..5_000).map(f64::from).collect();
        let g = Grid::new(&[&a, &b]);
        let fb = g.fit(&b, &vec![Some(1.0); b.len()]);
        assert_eq!(fb.len(), g.x.len());
        assert!(fb.last().unwrap().is_none(), "the shorter run ends early");
    }
}
