//! Distributions of durations (service demands, delays) and of keys (Zipf).
//!
//! Every sampler draws from a [`Stream`] and uses `libm`, so samples are
//! bit-identical across machines.

use super::rng::Stream;
use super::time::SimDuration;

/// The 0.99 quantile of the standard normal, for lognormals given by p50/p99.
pub const Z99: f64 = 2.326_347_874_040_840_8;

/// A distribution of durations. Parameters are in nanoseconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always the same value.
    Constant(SimDuration),
    /// Exponential with the given mean (ns).
    Exponential {
        /// Mean, in nanoseconds.
        mean: f64,
    },
    /// `exp(N(mu, sigma²))`, in nanoseconds.
    LogNormal {
        /// Mean of the logarithm.
        mu: f64,
        /// Standard deviation of the logarithm.
        sigma: f64,
    },
    /// Uniform on [min, max] (ns).
    Uniform {
        /// Lower bound, in nanoseconds.
        min: f64,
        /// Upper bound, in nanoseconds.
        max: f64,
    },
    /// Gamma with the given shape and scale (ns).
    Gamma {
        /// Shape k = 1/cv².
        shape: f64,
        /// Scale θ = mean/k, in nanoseconds.
        scale: f64,
    },
}

impl Dist {
    /// Lognormal with the given mean and coefficient of variation:
    /// σ² = ln(1 + cv²), μ = ln(mean) − σ²/2.
    pub fn lognormal_mean_cv(mean: SimDuration, cv: f64) -> Dist {
        let sigma2 = libm::log(1.0 + cv * cv);
        Dist::LogNormal { mu: libm::log(mean.as_nanos() as f64) - sigma2 / 2.0, sigma: libm::sqrt(sigma2) }
    }

    /// Lognormal with the given median and 99th percentile:
    /// μ = ln(p50), σ = (ln p99 − ln p50) / z₀.₉₉.
    pub fn lognormal_p50_p99(p50: SimDuration, p99: SimDuration) -> Dist {
        let mu = libm::log(p50.as_nanos() as f64);
        Dist::LogNormal { mu, sigma: (libm::log(p99.as_nanos() as f64) - mu) / Z99 }
    }

    /// Gamma with the given mean and coefficient of variation (k = 1/cv²).
    pub fn gamma_mean_cv(mean: SimDuration, cv: f64) -> Dist {
        let shape = 1.0 / (cv * cv);
        Dist::Gamma { shape, scale: mean.as_nanos() as f64 / shape }
    }

    /// One sample.
    #[inline]
    pub fn sample(&self, rng: &mut Stream) -> SimDuration {
        let ns = match *self {
            Dist::Constant(d) => return d,
            Dist::Exponential { mean } => rng.exponential(mean),
            Dist::LogNormal { mu, sigma } => libm::exp(mu + sigma * rng.standard_normal()),
            Dist::Uniform { min, max } => min + (max - min) * rng.uniform(),
            Dist::Gamma { shape, scale } => rng.gamma(shape) * scale,
        };
        SimDuration::from_nanos_f64(ns)
    }

    /// The mean.
    pub fn mean(&self) -> SimDuration {
        let ns = match *self {
            Dist::Constant(d) => return d,
            Dist::Exponential { mean } => mean,
            Dist::LogNormal { mu, sigma } => libm::exp(mu + sigma * sigma / 2.0),
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Gamma { shape, scale } => shape * scale,
        };
        SimDuration::from_nanos(ns.round() as u64)
    }

    /// The largest value it can take, if bounded (used for worst cases).
    pub fn max(&self) -> Option<SimDuration> {
        match *self {
            Dist::Constant(d) => Some(d),
            Dist::Uniform { max, .. } => Some(SimDuration::from_nanos(max as u64)),
            _ => None,
        }
    }
}

/// Zipf(s) over ranks 1..=n, by rejection-inversion (Hörmann and Derflinger,
/// "Rejection-inversion to generate variates from monotone discrete
/// distributions", 1996): O(1) per sample, no table. Rank 1 is the hottest.
#[derive(Clone, Debug)]
pub struct Zipf {
    n: f64,
    s: f64,
    h_integral_x1: f64,
    h_integral_n: f64,
    threshold: f64,
}

impl Zipf {
    /// Zipf over `n ≥ 1` keys with exponent `s ≥ 0` (0 is uniform).
    pub fn new(n: u64, s: f64) -> Zipf {
        let mut z = Zipf { n: n as f64, s, h_integral_x1: 0.0, h_integral_n: 0.0, threshold: 0.0 };
        z.h_integral_x1 = z.h_integral(1.5) - 1.0;
        z.h_integral_n = z.h_integral(z.n + 0.5);
        z.threshold = 2.0 - z.h_integral_inv(z.h_integral(2.5) - z.h(2.0));
        z
    }

    /// A rank in 1..=n.
    pub fn sample(&self, rng: &mut Stream) -> u64 {
        loop {
            let u = self.h_integral_n + rng.uniform() * (self.h_integral_x1 - self.h_integral_n);
            let x = self.h_integral_inv(u);
            let k = (x + 0.5).floor().clamp(1.0, self.n);
            if k - x <= self.threshold || u >= self.h_integral(k + 0.5) - self.h(k) {
                return k as u64;
            }
        }
    }

    /// h(x) = x^(−s).
    fn h(&self, x: f64) -> f64 {
        libm::exp(-self.s * libm::log(x))
    }

    /// H(x) = ∫ h, written to stay accurate as s → 1.
    fn h_integral(&self, x: f64) -> f64 {
        let log_x = libm::log(x);
        helper2((1.0 - self.s) * log_x) * log_x
    }

    fn h_integral_inv(&self, x: f64) -> f64 {
        let mut t = x * (1.0 - self.s);
        if t < -1.0 {
            t = -1.0;
        }
        libm::exp(helper1(t) * x)
    }
}

/// log1p(x)/x, continuous at 0.
fn helper1(x: f64) -> f64 {
    if x.abs() > 1e-8 { libm::log1p(x) / x } else { 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x)) }
}

/// expm1(x)/x, continuous at 0.
fn helper2(x: f64) -> f64 {
    if x.abs() > 1e-8 { libm::expm1(x) / x } else { 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_mean(d: &Dist, n: usize) -> f64 {
        let mut s = Stream::new(11, "dist");
        (0..n).map(|_| d.sample(&mut s).as_nanos() as f64).sum::<f64>() / n as f64
    }

    #[test]
    fn means_match_parameters() {
        let ms = SimDuration::from_millis(10);
        for (d, cv) in [
            (Dist::lognormal_mean_cv(ms, 1.0), 1.0),
            (Dist::gamma_mean_cv(ms, 0.5), 0.5),
            (Dist::Exponential { mean: 1e7 }, 1.0),
            (Dist::Uniform { min: 5e6, max: 15e6 }, 0.3),
        ] {
            assert!(d.mean().as_nanos().abs_diff(10_000_000) < 2, "{d:?}");
            // 200k samples: standard error cv·mean/447; 1.5% is over 3 σ for cv ≤ 1.
            let m = sample_mean(&d, 200_000);
            assert!((m / 1e7 - 1.0).abs() < 0.015 * f64::max(cv, 0.4), "{d:?}: {m}");
        }
    }

    #[test]
    fn lognormal_from_percentiles_hits_them() {
        let d = Dist::lognormal_p50_p99(SimDuration::from_millis(10), SimDuration::from_millis(100));
        let mut s = Stream::new(5, "pct");
        let mut xs: Vec<u64> = (0..100_000).map(|_| d.sample(&mut s).as_nanos()).collect();
        xs.sort_unstable();
        let p50 = xs[50_000] as f64 / 1e6;
        let p99 = xs[99_000] as f64 / 1e6;
        assert!((p50 - 10.0).abs() < 0.3, "p50 {p50}");
        assert!((p99 - 100.0).abs() < 6.0, "p99 {p99}");
    }

    #[test]
    fn zipf_frequencies_follow_the_power_law() {
        // Zipf(1) over 100 keys: P(k) = (1/k) / H_100, H_100 ≈ 5.18738.
        let z = Zipf::new(100, 1.0);
        let mut s = Stream::new(9, "zipf");
        let n = 200_000;
        let mut counts = vec![0u32; 101];
        for _ in 0..n {
            counts[z.sample(&mut s) as usize] += 1;
        }
        let h100 = (1..=100).map(|k| 1.0 / k as f64).sum::<f64>();
        for k in [1usize, 2, 10, 100] {
            let expected = n as f64 / (k as f64 * h100);
            let got = counts[k] as f64;
            assert!((got - expected).abs() < 5.0 * expected.sqrt() + 5.0, "rank {k}: {got} vs {expected}");
        }
        assert_eq!(counts[0], 0);
    }

    #[test]
    fn zipf_zero_is_uniform_and_single_key_works() {
        let mut s = Stream::new(1, "z");
        let one = Zipf::new(1, 1.2);
        assert!((0..100).all(|_| one.sample(&mut s) == 1));
        let flat = Zipf::new(4, 0.0);
        let mut counts = [0u32; 5];
        for _ in 0..40_000 {
            counts[flat.sample(&mut s) as usize] += 1;
        }
        assert!(counts[1..].iter().all(|&c| c.abs_diff(10_000) < 500), "{counts:?}");
    }
}
