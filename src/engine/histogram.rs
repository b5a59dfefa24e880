//! A streaming latency histogram: microseconds, 3 significant digits.
//!
//! The buckets are HdrHistogram's (Gil Tene's layout, as the `hdrhistogram`
//! crate builds it for `new_with_bounds(1, 3_600_000_000, 3)`): values below
//! 2048 µs are exact, and each power of two above has 1024 sub-buckets, so a
//! recorded value is off by less than 1/1024 of itself. Percentiles are the
//! crate's `value_at_quantile`, to the bit (a test holds the two together).
//!
//! Why not the crate: the simulator records every response in several
//! histograms at once (the tick's, the scrape's, the SLO window's and the
//! run's) and resets the short ones every tick. The crate's counts array
//! covers its whole range (23,552 buckets, 188 kB), so each reset wrote
//! 188 kB and each record paid its resize and saturation checks. Here the
//! counts grow only as far as the largest bucket recorded, a reset clears
//! only the buckets in use, and merging touches only those (so a response
//! can be counted once and merged into the others in bulk).

/// The largest value with a bucket of its own: the crate's counts array,
/// sized in whole powers of two, reaches `u32::MAX` µs (≈ 71.6 minutes).
const LAST_BUCKETED: u64 = u32::MAX as u64;
/// What a larger value is recorded as: the bound asked for, 1 hour.
const HIGHEST_TRACKABLE: u64 = 3_600_000_000;

/// log2 of the sub-bucket count: 2048 sub-buckets give 3 significant digits.
const SUB_BUCKET_BITS: u32 = 11;
const HALF_BITS: u32 = SUB_BUCKET_BITS - 1;
const HALF: u64 = 1 << HALF_BITS;
const SUB_BUCKET_MASK: u64 = (1 << SUB_BUCKET_BITS) - 1;

/// The index of the bucket a value falls in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Bucket(usize);

impl Bucket {
    /// The bucket of `us` microseconds.
    #[inline]
    fn of(us: u64) -> Bucket {
        let v = if us > LAST_BUCKETED { HIGHEST_TRACKABLE } else { us };
        // How many powers of two `v` is above what bucket 0 holds.
        let bucket = (64 - SUB_BUCKET_BITS) - (v | SUB_BUCKET_MASK).leading_zeros();
        let sub = v >> bucket;
        Bucket((((bucket as u64 + 1) << HALF_BITS) + sub - HALF) as usize)
    }

    /// The lowest value in the bucket.
    fn lowest(self) -> u64 {
        let i = self.0 as u64;
        match (i >> HALF_BITS).checked_sub(1) {
            Some(bucket) => ((i & (HALF - 1)) + HALF) << bucket,
            None => i,
        }
    }

    /// The highest value in the bucket (what a percentile reports).
    fn highest(self) -> u64 {
        let width_bits = ((self.0 as u64) >> HALF_BITS).saturating_sub(1);
        self.lowest() + (1 << width_bits) - 1
    }
}

/// Counts per bucket, with the range of buckets in use.
#[derive(Clone, Debug, Default)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    total: u64,
    /// The lowest and highest bucket counted since the last reset; only
    /// meaningful when `total > 0`.
    low: usize,
    high: usize,
}

impl LatencyHistogram {
    /// An empty histogram.
    pub fn new() -> LatencyHistogram {
        LatencyHistogram::default()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Values recorded.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// Records `us` microseconds.
    #[inline]
    pub fn record(&mut self, us: u64) {
        self.count(Bucket::of(us), 1);
    }

    /// Counts `n` values in bucket `b`.
    #[inline]
    fn count(&mut self, b: Bucket, n: u64) {
        if b.0 >= self.counts.len() {
            self.counts.resize(b.0 + 1, 0);
        }
        self.counts[b.0] += n;
        self.widen(b.0, b.0, n);
    }

    /// Takes `n` more values lying in buckets `low..=high`.
    fn widen(&mut self, low: usize, high: usize, n: u64) {
        if self.total == 0 {
            (self.low, self.high) = (low, high);
        } else {
            self.low = self.low.min(low);
            self.high = self.high.max(high);
        }
        self.total += n;
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        if other.is_empty() {
            return;
        }
        let (low, high) = (other.low, other.high);
        if high >= self.counts.len() {
            self.counts.resize(high + 1, 0);
        }
        for (mine, theirs) in self.counts[low..=high].iter_mut().zip(&other.counts[low..=high]) {
            *mine += theirs;
        }
        self.widen(low, high, other.total);
    }

    /// Forgets every value (clearing only the buckets in use).
    pub fn reset(&mut self) {
        if self.total > 0 {
            self.counts[self.low..=self.high].fill(0);
        }
        self.total = 0;
    }

    /// The value at quantile `q` in [0, 1]: the highest value of the first
    /// bucket at which the running count reaches ⌈q · n⌉ (at least 1), as
    /// HdrHistogram reports it; the lowest value of that bucket for q = 0.
    /// `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        self.quantiles([q])[0]
    }

    /// The values at several quantiles, in one pass over the buckets.
    pub fn quantiles<const N: usize>(&self, qs: [f64; N]) -> [Option<u64>; N] {
        let mut out = [None; N];
        if self.is_empty() {
            return out;
        }
        let targets = qs.map(|q| ((q.min(1.0) * self.total as f64).ceil() as u64).max(1));
        // Ascending order of target, so one pass finds them all.
        let mut order: [usize; N] = std::array::from_fn(|k| k);
        order.sort_by_key(|&k| targets[k]);
        let counts = &self.counts[self.low..=self.high];
        let (mut i, mut seen) = (0, 0);
        for k in order {
            // Whole chunks first: summing 8 counts vectorises.
            while let Some(chunk) = counts.get(i..i + 8) {
                let sum: u64 = chunk.iter().sum();
                if seen + sum >= targets[k] {
                    break;
                }
                seen += sum;
                i += 8;
            }
            // Then one bucket at a time; the running count reaches the
            // total at the last bucket, and every target is at most it.
            while seen + counts[i] < targets[k] {
                seen += counts[i];
                i += 1;
            }
            let b = Bucket(self.low + i);
            out[k] = Some(if qs[k] == 0.0 { b.lowest() } else { b.highest() });
        }
        out
    }

    /// The value at quantile `q`, in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        self.quantile(q).map(to_ms)
    }

    /// The values at several quantiles, in milliseconds.
    pub fn quantiles_ms<const N: usize>(&self, qs: [f64; N]) -> [Option<f64>; N] {
        self.quantiles(qs).map(|v| v.map(to_ms))
    }

    /// The highest value recorded, to the histogram's precision.
    pub fn max(&self) -> Option<u64> {
        (!self.is_empty()).then(|| Bucket(self.high).highest())
    }
}

fn to_ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::Stream;
    use hdrhistogram::Histogram;

    /// The crate's histogram with the bounds this one reproduces.
    fn reference() -> Histogram<u64> {
        Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds")
    }

    const QUANTILES: [f64; 9] = [0.0, 0.001, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0];

    fn assert_same(ours: &LatencyHistogram, theirs: &Histogram<u64>, what: &str) {
        assert_eq!(ours.len(), theirs.len(), "{what}: count");
        for q in QUANTILES {
            assert_eq!(ours.quantile(q), Some(theirs.value_at_quantile(q)), "{what}: quantile {q}");
        }
        // In one pass, in any order.
        let reversed: [f64; 9] = std::array::from_fn(|k| QUANTILES[8 - k]);
        let theirs_all = reversed.map(|q| Some(theirs.value_at_quantile(q)));
        assert_eq!(ours.quantiles(reversed), theirs_all, "{what}: quantiles");
        assert_eq!(ours.max(), Some(theirs.max()), "{what}: max");
    }

    /// Same percentiles as the crate on samples spread over every bucket
    /// (log-uniform from 0 to past the top), on heavy-tailed latencies,
    /// and after merges and resets.
    #[test]
    fn percentiles_are_hdrhistograms_to_the_bit() {
        let mut rng = Stream::new(5, "histogram");
        let spread = |rng: &mut Stream| libm::exp(rng.uniform() * libm::log(1e10)) as u64 - 1;
        let lognormal = |rng: &mut Stream| libm::exp(9.0 + 1.5 * rng.standard_normal()) as u64;
        for (name, draw) in [("spread", &spread as &dyn Fn(&mut Stream) -> u64), ("lognormal", &lognormal)] {
            let (mut ours, mut theirs) = (LatencyHistogram::new(), reference());
            let (mut ours_all, mut theirs_all) = (LatencyHistogram::new(), reference());
            for round in 0..5 {
                for _ in 0..20_000 {
                    let v = draw(&mut rng);
                    ours.record(v);
                    theirs.saturating_record(v);
                }
                assert_same(&ours, &theirs, &format!("{name} round {round}"));
                ours_all.merge(&ours);
                let _ = theirs_all.add(&theirs);
                assert_same(&ours_all, &theirs_all, &format!("{name} merged {round}"));
                ours.reset();
                theirs.reset();
                assert!(ours.is_empty() && ours.quantile(0.5).is_none());
            }
        }
    }

    #[test]
    fn bucket_edges_match_the_crate() {
        let h = reference();
        for v in [0, 1, 2, 2047, 2048, 2049, 4095, 4096, 1_000_000, 3_600_000_000, u32::MAX as u64] {
            let b = Bucket::of(v);
            assert_eq!(b.lowest(), h.lowest_equivalent(v), "lowest of {v}");
            assert_eq!(b.highest(), h.highest_equivalent(v), "highest of {v}");
        }
        assert_eq!(Bucket::of(u64::MAX), Bucket::of(3_600_000_000), "saturates at the bound");
    }

    /// A reset clears only the buckets in use, and the histogram's memory
    /// reaches only as far as its largest value.
    #[test]
    fn memory_follows_the_largest_value() {
        let mut h = LatencyHistogram::new();
        for v in 1..=5_000 {
            h.record(v);
        }
        assert!(h.counts.len() < 4_096, "{}", h.counts.len());
        h.reset();
        h.record(3);
        assert_eq!((h.quantile(0.5), h.max(), h.len()), (Some(3), Some(3), 1));
    }
}
