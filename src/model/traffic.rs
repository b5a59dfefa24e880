//! Offered traffic: the rate over time (shapes or a trace) and the arrival
//! process that turns it into request times.
//!
//! Poisson arrivals use thinning (Lewis and Shedler, 1979): time is cut into
//! pieces on which an upper bound λ̄ of the rate is known; candidates come at
//! rate λ̄ and each is kept with probability λ(t)/λ̄. Where the rate is flat
//! on a piece (a step-interpolated trace, a constant) every candidate is
//! kept. A candidate that would cross the end of its piece restarts at the
//! boundary, which is exact because the exponential is memoryless.

use std::sync::Arc;

use super::request::Kind;
use super::trace::{RateTrace, RequestLog, RequestLogReader};
use crate::engine::rng::Stream;
use crate::engine::time::SimTime;

/// A synthetic traffic shape; times are seconds from the start of the run.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// A constant rate.
    Constant {
        /// Requests per second.
        rps: f64,
    },
    /// Linear from `from_rps` to `to_rps` over `[at, at + over]`, flat outside.
    Ramp {
        /// Rate before the ramp.
        from_rps: f64,
        /// Rate after the ramp.
        to_rps: f64,
        /// Start, seconds.
        at: f64,
        /// Length, seconds.
        over: f64,
    },
    /// `base_rps`, jumping to `peak_rps` at `at` for `hold` seconds.
    Step {
        /// Rate outside the step.
        base_rps: f64,
        /// Rate during the step.
        peak_rps: f64,
        /// Start, seconds.
        at: f64,
        /// Length, seconds (infinite if absent).
        hold: f64,
    },
    /// `mean · (1 + amplitude · cos(2π (t − peak_at) / period))`.
    Diurnal {
        /// Mean rate.
        mean_rps: f64,
        /// Relative swing, 0..1.
        amplitude: f64,
        /// Period, seconds.
        period: f64,
        /// Time of the first peak, seconds.
        peak_at: f64,
    },
    /// `base_rps`, rising linearly to `peak_rps` over `rise` from `at`, then
    /// the excess decaying as `exp(−t/decay)`.
    FlashCrowd {
        /// Rate before and long after.
        base_rps: f64,
        /// Rate at the peak.
        peak_rps: f64,
        /// Start of the rise, seconds.
        at: f64,
        /// Length of the rise, seconds.
        rise: f64,
        /// Time constant of the decay, seconds.
        decay: f64,
    },
}

/// How rates between trace rows are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interpolation {
    /// Each row's rate holds for its whole bucket.
    Step,
    /// Linear between row start times.
    Linear,
}

/// Where requests come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// Synthetic shapes, summed.
    Shapes(Vec<Shape>),
    /// A rate trace.
    Trace {
        /// The series.
        trace: Arc<RateTrace>,
        /// Between rows.
        interpolation: Interpolation,
    },
    /// A per-request log.
    Requests(RequestLog),
}

/// Arrival spacing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrivals {
    /// Non-homogeneous Poisson, by thinning.
    Poisson,
    /// Evenly spaced at the current rate.
    Uniform,
}

/// The validated `[traffic]` section.
#[derive(Clone, Debug)]
pub struct TrafficSpec {
    /// Where requests come from.
    pub source: Source,
    /// Multiplies trace rates (not shapes).
    pub scale: f64,
    /// Trace time per simulated time.
    pub speedup: f64,
    /// Trace time at the start of the run, seconds.
    pub offset: f64,
    /// Arrival spacing.
    pub arrivals: Arrivals,
    /// Share of writes.
    pub write_fraction: f64,
    /// Number of keys.
    pub key_count: u64,
    /// Zipf exponent of key popularity.
    pub zipf: f64,
}

impl TrafficSpec {
    /// Seconds of simulated time the source covers, if it ends.
    pub fn natural_length(&self) -> Option<f64> {
        let trace_len = match &self.source {
            Source::Shapes(_) => return None,
            Source::Trace { trace, .. } => trace.end,
            Source::Requests(log) => log.end,
        };
        Some(((trace_len - self.offset) / self.speedup).max(0.0))
    }

    /// Upper bounds of the arrivals expected on `[a, b)` (seconds of the
    /// run) and of the rate there, before fault multipliers: the rate's
    /// bound on each piece, integrated. A trace's pieces are its rows, as
    /// the thinning draws them; shapes are cut at their breaks and into at
    /// most about [`OFFERED_PIECES`] pieces, so the estimate costs the same
    /// for a minute as for years. `None` for a request log, whose arrivals
    /// are its rows.
    pub fn offered(&self, a: f64, b: f64) -> Option<(f64, f64)> {
        let (mut t, mut arrivals, mut peak) = (a, 0.0, 0.0f64);
        let mut add = |t: f64, end: f64, bound: f64| {
            arrivals += bound * (end.min(b) - t);
            peak = peak.max(bound);
        };
        match &self.source {
            Source::Requests(_) => return None,
            Source::Shapes(shapes) => {
                let piece = PIECE.max((b - a) / OFFERED_PIECES);
                while t < b {
                    let end = shapes.iter().fold((t + piece).min(b), |e, s| next_break(s, t).map_or(e, |x| e.min(x)));
                    let end = end.max(t.next_up()); // always progress
                    add(t, end, shapes.iter().map(|s| shape_max(s, t, end)).sum());
                    t = end;
                }
            }
            Source::Trace { .. } => {
                let rate = RateFn::new(self);
                while t < b {
                    let (bound, end) = rate.bound(t, b);
                    let end = end.max(t.next_up());
                    add(t, end, bound);
                    t = end;
                }
            }
        }
        Some((arrivals, peak))
    }

    /// Digests of the trace files, for the scenario hash.
    pub fn digest(&self) -> u64 {
        match &self.source {
            Source::Shapes(_) => 0,
            Source::Trace { trace, .. } => trace.digest,
            Source::Requests(log) => log.digest,
        }
    }
}

/// Longest piece of a synthetic shape over which one bound is used.
const PIECE: f64 = 10.0;

/// How many pieces [`TrafficSpec::offered`] cuts a long run of shapes into
/// at most (besides their breaks): 400 days in 35 s pieces.
pub const OFFERED_PIECES: f64 = 1_000_000.0;

/// Offered rate over simulated time (seconds), before fault multipliers.
#[derive(Clone, Debug)]
pub struct RateFn {
    spec: TrafficSpec,
}

impl RateFn {
    /// The rate function of a traffic section.
    pub fn new(spec: &TrafficSpec) -> RateFn {
        RateFn { spec: spec.clone() }
    }

    /// Requests per second at `t` seconds.
    pub fn rate(&self, t: f64) -> f64 {
        match &self.spec.source {
            Source::Shapes(shapes) => shapes.iter().map(|s| shape_rate(s, t)).sum(),
            Source::Trace { trace, interpolation } => {
                let tau = self.spec.offset + t * self.spec.speedup;
                if tau < trace.t[0] || tau >= trace.end {
                    return 0.0;
                }
                let i = trace.t.partition_point(|&x| x <= tau) - 1;
                let r = match interpolation {
                    Interpolation::Step => trace.rps[i],
                    Interpolation::Linear if i + 1 < trace.t.len() => {
                        let f = (tau - trace.t[i]) / (trace.t[i + 1] - trace.t[i]);
                        trace.rps[i] + f * (trace.rps[i + 1] - trace.rps[i])
                    }
                    Interpolation::Linear => trace.rps[i],
                };
                r * self.spec.scale
            }
            // A request log has no rate function; its rows are the arrivals.
            Source::Requests(_) => 0.0,
        }
    }

    /// An upper bound of the rate on `[t, end)` and `end`, the end of the
    /// piece it holds on (at most `horizon`).
    pub fn bound(&self, t: f64, horizon: f64) -> (f64, f64) {
        match &self.spec.source {
            Source::Shapes(shapes) => {
                let end = shapes.iter().fold((t + PIECE).min(horizon), |e, s| next_break(s, t).map_or(e, |b| e.min(b)));
                let bound = shapes.iter().map(|s| shape_max(s, t, end)).sum();
                (bound, end)
            }
            Source::Trace { trace, interpolation } => {
                let (offset, speedup) = (self.spec.offset, self.spec.speedup);
                let tau = offset + t * speedup;
                let to_sim = |tau_end: f64| ((tau_end - offset) / speedup).min(horizon);
                if tau < trace.t[0] {
                    return (0.0, to_sim(trace.t[0]).max(t));
                }
                if tau >= trace.end {
                    return (0.0, horizon);
                }
                let i = trace.t.partition_point(|&x| x <= tau) - 1;
                let next = trace.t.get(i + 1).copied().unwrap_or(trace.end);
                let r = match interpolation {
                    Interpolation::Step => trace.rps[i],
                    Interpolation::Linear => trace.rps[i].max(*trace.rps.get(i + 1).unwrap_or(&trace.rps[i])),
                };
                // Guard against a piece that rounds to no progress.
                (r * self.spec.scale, to_sim(next).max(t + 1e-9))
            }
            Source::Requests(_) => (0.0, horizon),
        }
    }
}

fn shape_rate(s: &Shape, t: f64) -> f64 {
    match *s {
        Shape::Constant { rps } => rps,
        Shape::Ramp { from_rps, to_rps, at, over } => {
            if t <= at {
                from_rps
            } else if t >= at + over {
                to_rps
            } else {
                from_rps + (to_rps - from_rps) * (t - at) / over
            }
        }
        Shape::Step { base_rps, peak_rps, at, hold } => {
            if t >= at && t < at + hold {
                peak_rps
            } else {
                base_rps
            }
        }
        Shape::Diurnal { mean_rps, amplitude, period, peak_at } => {
            let phase = 2.0 * std::f64::consts::PI * (t - peak_at) / period;
            mean_rps * (1.0 + amplitude * libm::cos(phase))
        }
        Shape::FlashCrowd { base_rps, peak_rps, at, rise, decay } => {
            if t < at {
                base_rps
            } else if t < at + rise {
                base_rps + (peak_rps - base_rps) * (t - at) / rise
            } else {
                base_rps + (peak_rps - base_rps) * libm::exp(-(t - at - rise) / decay)
            }
        }
    }
}

/// The next instant after `t` where the shape's monotone pieces change.
fn next_break(s: &Shape, t: f64) -> Option<f64> {
    let points: [f64; 2] = match *s {
        Shape::Constant { .. } | Shape::Diurnal { .. } => return None,
        Shape::Ramp { at, over, .. } => [at, at + over],
        Shape::Step { at, hold, .. } => [at, at + hold],
        Shape::FlashCrowd { at, rise, .. } => [at, at + rise],
    };
    points.into_iter().filter(|p| *p > t).reduce(f64::min)
}

/// The largest value of the shape on `[a, b]`. Pieces never cross a break
/// (see [`next_break`]), so the shape is monotone on them and an end is the
/// maximum — except for a diurnal peak inside the piece.
fn shape_max(s: &Shape, a: f64, b: f64) -> f64 {
    let ends = shape_rate(s, a).max(shape_rate(s, b));
    match *s {
        Shape::Diurnal { mean_rps, amplitude, period, peak_at } => {
            // A peak inside [a, b] is the maximum; otherwise an end is.
            let k = ((a - peak_at) / period).ceil();
            if peak_at + k * period <= b { mean_rps * (1.0 + amplitude) } else { ends }
        }
        _ => ends,
    }
}

/// One arrival: when, and the key and kind if the source gives them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arrival {
    /// When it arrives.
    pub at: SimTime,
    /// Its key, if the log has one.
    pub key: Option<u32>,
    /// Its kind, if the log has one.
    pub kind: Option<Kind>,
}

/// The arrival process.
pub struct ArrivalProcess {
    rate: RateFn,
    spacing: Arrivals,
    rng: Stream,
    cursor: f64,
    horizon: f64,
    multiplier: f64,
    log: Option<LogReplay>,
}

struct LogReplay {
    reader: RequestLogReader,
    offset: f64,
    speedup: f64,
    scale: f64,
    /// The current row and how many more copies of it to emit.
    pending: Option<(Arrival, u64)>,
}

impl ArrivalProcess {
    /// The arrival process of `spec`, drawing from `rng`, until `horizon`.
    pub fn new(spec: &TrafficSpec, rng: Stream, horizon: SimTime) -> std::io::Result<ArrivalProcess> {
        let log = match &spec.source {
            Source::Requests(log) => Some(LogReplay {
                reader: RequestLogReader::open(log)?,
                offset: spec.offset,
                speedup: spec.speedup,
                scale: spec.scale,
                pending: None,
            }),
            _ => None,
        };
        Ok(ArrivalProcess {
            rate: RateFn::new(spec),
            spacing: spec.arrivals,
            rng,
            cursor: 0.0,
            horizon: horizon.as_secs_f64(),
            multiplier: 1.0,
            log,
        })
    }

    /// The offered rate at `t` (including the multiplier), for the outputs.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        self.rate.rate(t.as_secs_f64()) * self.multiplier
    }

    /// Changes the traffic multiplier from `now` on. Returns whether the
    /// next arrival must be drawn again (the caller cancels the one it had
    /// scheduled); a replayed log keeps its next row.
    pub fn set_multiplier(&mut self, now: SimTime, m: f64) -> bool {
        self.multiplier = m;
        if self.log.is_some() {
            return false;
        }
        self.cursor = now.as_secs_f64();
        true
    }

    /// The next arrival, or `None` when the source is exhausted.
    pub fn next_arrival(&mut self) -> Option<Arrival> {
        if let Some(log) = &mut self.log {
            return log.next(&mut self.rng, self.multiplier, self.horizon);
        }
        let t = match self.spacing {
            Arrivals::Poisson => self.next_poisson()?,
            Arrivals::Uniform => self.next_uniform()?,
        };
        Some(Arrival { at: SimTime::from_secs_f64(t), key: None, kind: None })
    }

    fn next_poisson(&mut self) -> Option<f64> {
        loop {
            if self.cursor >= self.horizon {
                return None;
            }
            let (bound, end) = self.rate.bound(self.cursor, self.horizon);
            let bound = bound * self.multiplier;
            if bound <= 0.0 {
                self.cursor = end;
                continue;
            }
            let candidate = self.cursor + self.rng.exponential(1.0 / bound);
            if candidate >= end {
                self.cursor = end;
                continue;
            }
            self.cursor = candidate;
            let r = self.rate.rate(candidate) * self.multiplier;
            if r >= bound || self.rng.uniform() * bound < r {
                return Some(candidate);
            }
        }
    }

    /// Evenly spaced at the current rate: the gap after an arrival at `t` is
    /// `1/λ(t)`. Exact for a constant rate; for a varying one, spacing follows
    /// the rate with one gap of delay.
    fn next_uniform(&mut self) -> Option<f64> {
        loop {
            if self.cursor >= self.horizon {
                return None;
            }
            let r = self.rate.rate(self.cursor) * self.multiplier;
            if r > 0.0 {
                let t = self.cursor;
                self.cursor += 1.0 / r;
                return Some(t);
            }
            // No traffic here: skip ahead, in short steps where a piece's
            // bound says traffic may start within it.
            let (bound, end) = self.rate.bound(self.cursor, self.horizon);
            self.cursor = if bound > 0.0 { (self.cursor + 0.1).min(end) } else { end };
        }
    }
}

impl LogReplay {
    fn next(&mut self, rng: &mut Stream, multiplier: f64, horizon: f64) -> Option<Arrival> {
        loop {
            if let Some((arrival, copies)) = &mut self.pending
                && *copies > 0
            {
                *copies -= 1;
                return Some(*arrival);
            }
            let row = self.reader.next()?;
            let tau = row.t.as_secs_f64();
            if tau < self.offset {
                continue;
            }
            let t = (tau - self.offset) / self.speedup;
            if t >= horizon {
                return None;
            }
            // `scale × multiplier / speedup` copies of each row (the whole
            // part always, the fraction at random): compressing time keeps
            // the log's rate, as it keeps a rate trace's.
            let m = self.scale * multiplier / self.speedup;
            let copies = m.floor() as u64 + u64::from(rng.chance(m.fract()));
            let arrival = Arrival { at: SimTime::from_secs_f64(t), key: row.key, kind: row.kind };
            self.pending = Some((arrival, copies));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A section of synthetic `shapes` with every other field at its default.
    fn traffic(shapes: Vec<Shape>, arrivals: Arrivals) -> TrafficSpec {
        TrafficSpec {
            source: Source::Shapes(shapes),
            scale: 1.0,
            speedup: 1.0,
            offset: 0.0,
            arrivals,
            write_fraction: 0.0,
            key_count: 10_000,
            zipf: 1.0,
        }
    }

    fn constant(rps: f64) -> Vec<Shape> {
        vec![Shape::Constant { rps }]
    }

    fn count(spec: &TrafficSpec, secs: f64, seed: u64) -> usize {
        let horizon = SimTime::from_secs_f64(secs);
        let mut p = ArrivalProcess::new(spec, Stream::new(seed, "arrivals"), horizon).unwrap();
        std::iter::from_fn(|| p.next_arrival()).count()
    }

    #[test]
    fn poisson_counts_match_the_integral_of_the_rate() {
        // ∫ of a ramp 100 → 300 rps over 600 s = 600 · 200 = 120 000 arrivals,
        // Poisson: σ ≈ 346; 1% (1200) is about 3.5 σ.
        let spec =
            traffic(vec![Shape::Ramp { from_rps: 100.0, to_rps: 300.0, at: 0.0, over: 600.0 }], Arrivals::Poisson);
        let n = count(&spec, 600.0, 1) as f64;
        assert!((n / 120_000.0 - 1.0).abs() < 0.01, "{n}");
        // Diurnal, mean 200 over whole periods: 200 · 600 = 120 000.
        let spec = traffic(
            vec![Shape::Diurnal { mean_rps: 200.0, amplitude: 0.8, period: 300.0, peak_at: 75.0 }],
            Arrivals::Poisson,
        );
        let n = count(&spec, 600.0, 2) as f64;
        assert!((n / 120_000.0 - 1.0).abs() < 0.01, "{n}");
    }

    #[test]
    fn shapes_add_up_and_flash_crowds_decay() {
        let spec = traffic(
            vec![
                Shape::Constant { rps: 10.0 },
                Shape::FlashCrowd { base_rps: 0.0, peak_rps: 100.0, at: 60.0, rise: 10.0, decay: 60.0 },
            ],
            Arrivals::Poisson,
        );
        let r = RateFn::new(&spec);
        assert_eq!(r.rate(30.0), 10.0);
        assert_eq!(r.rate(70.0), 110.0);
        assert!((r.rate(130.0) - (10.0 + 100.0 * (-1.0f64).exp())).abs() < 1e-9);
        // Every bound is an upper bound.
        let mut t = 0.0;
        while t < 600.0 {
            let (b, end) = r.bound(t, 600.0);
            assert!(end > t);
            let mut s = t;
            while s < end {
                assert!(r.rate(s) <= b + 1e-9, "rate {} > bound {b} at {s}", r.rate(s));
                s += 0.25;
            }
            t = end;
        }
    }

    /// The offered load is the integral of the pieces' bounds: exact for a
    /// constant (100 rps × 60 s = 6000); for a step (50 × 30 + 150 × 30 =
    /// 6000) the 10 s piece that ends at the jump is bounded by the rate
    /// after it, 1000 more.
    #[test]
    fn offered_load_integrates_the_bounds() {
        let (n, peak) = traffic(constant(100.0), Arrivals::Poisson).offered(0.0, 60.0).unwrap();
        assert!((n - 6000.0).abs() < 1e-6 && peak == 100.0, "{n} {peak}");
        let step = vec![Shape::Step { base_rps: 50.0, peak_rps: 150.0, at: 30.0, hold: f64::INFINITY }];
        let (n, peak) = traffic(step, Arrivals::Poisson).offered(0.0, 60.0).unwrap();
        assert!((n - 7000.0).abs() < 1e-6 && peak == 150.0, "{n} {peak}");
    }

    #[test]
    fn uniform_spacing_is_exact_for_a_constant_rate() {
        let spec = traffic(constant(4.0), Arrivals::Uniform);
        let mut p = ArrivalProcess::new(&spec, Stream::new(1, "a"), SimTime::from_secs_f64(2.0)).unwrap();
        let times: Vec<u64> = std::iter::from_fn(|| p.next_arrival()).map(|a| a.at.as_nanos() / 1_000_000).collect();
        assert_eq!(times, [0, 250, 500, 750, 1000, 1250, 1500, 1750]);
    }

    #[test]
    fn multiplier_scales_the_rate() {
        let spec = traffic(constant(100.0), Arrivals::Poisson);
        let mut p = ArrivalProcess::new(&spec, Stream::new(3, "a"), SimTime::from_secs_f64(200.0)).unwrap();
        p.set_multiplier(SimTime::ZERO, 2.0);
        let n = std::iter::from_fn(|| p.next_arrival()).count() as f64;
        // 2 · 100 · 200 = 40 000, σ = 200.
        assert!((n - 40_000.0).abs() < 800.0, "{n}");
    }
}
