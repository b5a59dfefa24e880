//! The elasticity scorecard: the SPEC Research Group's elasticity metrics
//! (Herbst, Bauer, Kounev et al., "Quantifying Cloud Performance and
//! Dependability", ACM ToMPECS 2018; the BUNGEE benchmark's
//! `tools.descartes.bungee.metric` classes), which the autoscaling
//! literature uses to compare autoscalers (the Chameleon study, TPDS 2019).
//!
//! Over ticks `t` of length `Δt_t`, with supply `s_t` (instances serving)
//! and demand `d_t` (the fewest instances that would hold the SLO), and the
//! run's length `T = Σ Δt_t`:
//!
//! | metric | formula |
//! |---|---|
//! | θ_U, θ_O | `(1/T) Σ max(d_t − s_t, 0) Δt_t`, and the mirror: mean missing / surplus instances |
//! | θ_U%, θ_O% | the same terms divided by `d_t` (ticks with `d_t = 0` add nothing) |
//! | τ_U, τ_O | `(1/T) Σ 1[d_t > s_t] Δt_t`, and the mirror: share of time short / in surplus |
//! | υ | `(1/(T − Δt_1)) Σ_{t≥2} min(1, max(0, sgn Δs_t − sgn Δd_t)) Δt_t` |
//! | j | `(supply adaptations − demand adaptations) / T`, per minute |
//!
//! Instability is one-sided, as BUNGEE's `Instability.java` computes it: a
//! tick counts when supply rises while demand holds or falls, or holds
//! while demand falls (supply moves against or without demand, or keeps
//! capacity demand has shed); supply falling, or holding while demand
//! rises, scores 0 (under-provisioning shows in θ_U and τ_U instead). An
//! adaptation is a change of the count by one instance (a step of k counts
//! k). Jitter above 0 means the autoscaler oscillates more than demand;
//! below 0, it ignores changes of demand.
//!
//! The accumulator is fed tick by tick (O(1) memory), so the detectors'
//! stream of rows scores a run without keeping its series.
//!
//! **Demand** (BUNGEE: load intensity over the capacity one instance
//! sustains within the SLO) comes from the instance's queueing model, not a
//! calibration run: one instance is `c = min(cores, workers)` servers of
//! rate `μ = 1/E[S]` (the fleet's mean CPU demand). Its mean response time
//! at arrival rate `λ` is the M/M/c one, `E[T] = E[S] + C(c, λ/μ)/(cμ − λ)`
//! with `C` Erlang C — exact for processor sharing over the cores whatever
//! the service distribution, since that station is symmetric and so
//! insensitive (Kelly, "Reversibility and Stochastic Networks", 1979, ch. 3), and for FCFS workers when service is
//! exponential. The p99 is taken as `ln 100 · E[T]`, the p99 of an
//! exponential response time (exact for M/M/1: `T ~ Exp(μ − λ)`). The
//! capacity is the largest `λ` whose p99 meets the scenario's `slo.p99`
//! (found by bisection), and `d_t = ceil(λ_t / capacity)` with `λ_t` the
//! load intensity of the tick (see [`Tracker::demand`]). It ignores time
//! spent downstream (database, pools) and warm-up: those show in the SLO
//! figures, not in demand. **Supply** `s_t` is the instances serving at the
//! tick's end: ready ones and warming ones (they take traffic, slowly).

use crate::model::traffic::{RateFn, Source};
use crate::output::TickRow;
pub use crate::output::summary::{Elasticity, Scorecard};
use crate::scenario::Scenario;

/// Feeds ticks one at a time; [`Accumulator::score`] gives the scorecard.
#[derive(Clone, Debug, Default)]
pub struct Accumulator {
    total_s: f64,
    first_dt: f64,
    under: f64,
    over: f64,
    under_rel: f64,
    over_rel: f64,
    short_s: f64,
    surplus_s: f64,
    unstable_s: f64,
    supply_steps: u64,
    demand_steps: u64,
    last: Option<(u32, u32)>,
}

fn sign(a: u32, b: u32) -> i32 {
    (b as i64 - a as i64).signum() as i32
}

impl Accumulator {
    /// One tick of `dt` seconds with `supply` instances serving and
    /// `demand` needed.
    pub fn push(&mut self, supply: u32, demand: u32, dt: f64) {
        let (s, d) = (f64::from(supply), f64::from(demand));
        match self.last {
            None => self.first_dt = dt,
            Some((s0, d0)) => {
                let against = (sign(s0, supply) - sign(d0, demand)).clamp(0, 1);
                self.unstable_s += f64::from(against) * dt;
                self.supply_steps += u64::from(s0.abs_diff(supply));
                self.demand_steps += u64::from(d0.abs_diff(demand));
            }
        }
        self.last = Some((supply, demand));
        self.total_s += dt;
        let missing = (d - s).max(0.0);
        let surplus = (s - d).max(0.0);
        self.under += missing * dt;
        self.over += surplus * dt;
        if demand > 0 {
            self.under_rel += missing / d * dt;
            self.over_rel += surplus / d * dt;
        }
        if missing > 0.0 {
            self.short_s += dt;
        }
        if surplus > 0.0 {
            self.surplus_s += dt;
        }
    }

    /// The scorecard of the ticks so far (all zeros before any).
    pub fn score(&self) -> Scorecard {
        let t = self.total_s;
        let per = |x: f64| if t > 0.0 { x / t } else { 0.0 };
        let moved = t - self.first_dt;
        Scorecard {
            theta_u: per(self.under),
            theta_o: per(self.over),
            theta_u_rel: per(self.under_rel),
            theta_o_rel: per(self.over_rel),
            tau_u: per(self.short_s),
            tau_o: per(self.surplus_s),
            instability: if moved > 0.0 { self.unstable_s / moved } else { 0.0 },
            jitter_per_min: per((self.supply_steps as f64 - self.demand_steps as f64) * 60.0),
            supply_adaptations: self.supply_steps,
            demand_adaptations: self.demand_steps,
        }
    }
}

/// The scorecard of a supply and a demand series sampled every `dt`
/// seconds (pairs past the shorter series are ignored).
pub fn score(supply: &[u32], demand: &[u32], dt: f64) -> Scorecard {
    let mut acc = Accumulator::default();
    for (&s, &d) in supply.iter().zip(demand) {
        acc.push(s, d, dt);
    }
    acc.score()
}

/// Erlang C: the probability that an arrival waits in M/M/c at offered
/// load `a = λ/μ` (< c), by the Erlang B recursion (stable for large c).
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let c = f64::from(c);
    c * b / (c - a * (1.0 - b))
}

/// The p99 response time the model gives one instance of `servers`
/// servers, mean service `mean_s`, at `lambda` requests/s (∞ if saturated).
pub fn model_p99_s(servers: u32, mean_s: f64, lambda: f64) -> f64 {
    let mu = 1.0 / mean_s;
    let c = f64::from(servers);
    if lambda >= c * mu {
        return f64::INFINITY;
    }
    let mean_t = mean_s + erlang_c(servers, lambda / mu) / (c * mu - lambda);
    100f64.ln() * mean_t
}

/// The largest arrival rate at which one instance's model p99 meets
/// `p99_s`, requests/s; `None` if even an idle one cannot (or the inputs
/// are not positive).
pub fn capacity_at_slo(servers: u32, mean_s: f64, p99_s: f64) -> Option<f64> {
    let positive = |x: f64| x.is_finite() && x > 0.0;
    if servers == 0 || !positive(mean_s) || !positive(p99_s) || model_p99_s(servers, mean_s, 0.0) > p99_s {
        return None;
    }
    let (mut lo, mut hi) = (0.0, f64::from(servers) / mean_s);
    // 100 halvings pin the root to the last bit of an f64.
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if model_p99_s(servers, mean_s, mid) <= p99_s {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo)
}

/// The per-instance capacity of a scenario, and the figures behind it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Capacity {
    /// Requests/s one instance serves within the SLO.
    pub rps: f64,
    /// Servers of the model (`min(cores, workers)`).
    pub servers: u32,
    /// Mean service demand, seconds.
    pub mean_service_s: f64,
}

impl Capacity {
    /// The capacity of `s`'s instances at its SLO; `None` if one instance
    /// cannot meet the p99 bound even idle.
    pub fn of(s: &Scenario) -> Option<Capacity> {
        let servers = s.fleet.cores.min(s.fleet.workers);
        let mean_service_s = s.fleet.service.mean().as_secs_f64();
        let rps = capacity_at_slo(servers, mean_service_s, s.slo.p99.as_secs_f64())?;
        Some(Capacity { rps, servers, mean_service_s })
    }

    /// Demand at `offered_rps`: the fewest instances whose capacity holds it.
    pub fn demand(&self, offered_rps: f64) -> u32 {
        let n = (offered_rps / self.rps).ceil();
        if n.is_finite() && n > 0.0 { n.min(f64::from(u32::MAX)) as u32 } else { 0 }
    }
}

/// Scores a run from its stream of rows.
#[derive(Clone, Debug)]
pub struct Tracker {
    capacity: Option<Capacity>,
    /// The load intensity, unless the traffic is a request log.
    intensity: Option<RateFn>,
    acc: Accumulator,
}

impl Tracker {
    /// The tracker of `s` (scoring nothing if its instances cannot meet the
    /// SLO at any load).
    pub fn new(s: &Scenario) -> Tracker {
        let intensity = match s.traffic.source {
            Source::Requests(_) => None,
            _ => Some(RateFn::new(&s.traffic)),
        };
        Tracker { capacity: Capacity::of(s), intensity, acc: Accumulator::default() }
    }

    /// Demand over the tick `[t_s, t_s + tick_s)`, if the scenario has a
    /// capacity. The load is the traffic model's intensity at the tick's
    /// middle times the fault `multiplier` in force (BUNGEE's load profile:
    /// the rate asked for, not the tick's Poisson count, which would make
    /// demand flicker); a request log has no intensity, so its `measured`
    /// attempts per second (retries included) stand in.
    pub fn demand(&self, t_s: f64, tick_s: f64, multiplier: f64, measured: f64) -> Option<u32> {
        let load = match &self.intensity {
            Some(f) => f.rate(t_s + 0.5 * tick_s) * multiplier,
            None => measured,
        };
        self.capacity.map(|c| c.demand(load))
    }

    /// One tick of `dt` seconds.
    pub fn tick(&mut self, row: &TickRow, dt: f64) {
        if let Some(c) = &self.capacity {
            let demand = row.demand.unwrap_or_else(|| c.demand(row.offered_rps));
            self.acc.push(row.replicas_ready + row.replicas_warming, demand, dt);
        }
    }

    /// The run's scorecard.
    pub fn finish(&self) -> Option<Elasticity> {
        self.capacity.map(|c| Elasticity { capacity_rps: c.rps, servers: c.servers, score: self.acc.score() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// s = [2, 2, 3, 3], d = [1, 3, 3, 2], Δt = 10 s, T = 40 s.
    /// s − d = [1, −1, 0, 1].
    /// θ_U = 1·10/40 = 0.25; θ_O = (1 + 1)·10/40 = 0.5.
    /// θ_U% = (1/3)·10/40 = 1/12; θ_O% = (1/1 + 1/2)·10/40 = 0.375.
    /// τ_U = 10/40 = 0.25; τ_O = 20/40 = 0.5.
    /// υ: t2 Δs 0, Δd +2: 0 − 1 → 0; t3 Δs +1, Δd 0: 1 → 1; t4 Δs 0,
    /// Δd −1: 0 + 1 → 1; so 20 s / (40 − 10) s = 2/3.
    /// j: supply adapts 1, demand 2 + 1 = 3; (1 − 3) / (40/60 min) = −3/min.
    #[test]
    fn a_hand_computed_series() {
        let c = score(&[2, 2, 3, 3], &[1, 3, 3, 2], 10.0);
        assert!(close(c.theta_u, 0.25), "{c:?}");
        assert!(close(c.theta_o, 0.5), "{c:?}");
        assert!(close(c.theta_u_rel, 1.0 / 12.0), "{c:?}");
        assert!(close(c.theta_o_rel, 0.375), "{c:?}");
        assert!(close(c.tau_u, 0.25), "{c:?}");
        assert!(close(c.tau_o, 0.5), "{c:?}");
        assert!(close(c.instability, 2.0 / 3.0), "{c:?}");
        assert!(close(c.jitter_per_min, -3.0), "{c:?}");
        assert_eq!((c.supply_adaptations, c.demand_adaptations), (1, 3));
    }

    /// Two ticks of 1 s: υ = min(1, max(0, sgn Δs − sgn Δd)) / (2 − 1).
    #[test]
    fn instability_counts_supply_moving_against_or_without_demand() {
        let cases = [
            // (s, d, υ): why
            ([1, 2], [2, 1], 1.0), // up against demand falling: 1 − (−1) = 2 → 1
            ([2, 1], [1, 2], 0.0), // down against demand rising: −1 − 1 = −2 → 0
            ([1, 2], [1, 1], 1.0), // up without demand: 1 − 0 = 1
            ([2, 1], [1, 1], 0.0), // down without demand: −1 − 0 → 0
            ([2, 2], [2, 1], 1.0), // holds while demand falls: 0 − (−1) = 1
            ([2, 2], [1, 2], 0.0), // holds while demand rises: 0 − 1 → 0
            ([1, 2], [1, 2], 0.0), // both up: 1 − 1 = 0
            ([2, 1], [2, 1], 0.0), // both down: −1 + 1 = 0
            ([2, 2], [2, 2], 0.0), // both hold
        ];
        for (s, d, want) in cases {
            let c = score(&s, &d, 1.0);
            assert!(close(c.instability, want), "s {s:?} d {d:?}: υ {} want {want}", c.instability);
        }
    }

    /// d = 2 throughout, s = [2, 3, 2, 3], Δt = 15 s, T = 1 min.
    /// j = (3 − 0) / 1 min = 3/min > 0: the autoscaler oscillates more than
    /// demand. υ: Δs +1, −1, +1 with Δd 0 → 1, 0, 1: 30 s / 45 s = 2/3.
    /// Reversed (s = 2 throughout, d oscillating) the supply ignores the
    /// changes: j = −3/min.
    #[test]
    fn jitter_is_positive_when_supply_oscillates_and_negative_when_it_ignores_demand() {
        let c = score(&[2, 3, 2, 3], &[2, 2, 2, 2], 15.0);
        assert!(close(c.jitter_per_min, 3.0), "{c:?}");
        assert!(close(c.instability, 2.0 / 3.0), "{c:?}");
        let c = score(&[2, 2, 2, 2], &[2, 3, 2, 3], 15.0);
        assert!(close(c.jitter_per_min, -3.0), "{c:?}");
    }

    /// s = [1, 1], d = [0, 2], Δt = 1 s, T = 2 s. Absolute: θ_O = 1·1/2,
    /// θ_U = 1·1/2. Relative: tick 1 (d = 0) is skipped, tick 2 adds
    /// (1/2)·1 to θ_U% → 0.25, nothing to θ_O%.
    #[test]
    fn relative_forms_skip_zero_demand() {
        let c = score(&[1, 1], &[0, 2], 1.0);
        assert!(close(c.theta_o, 0.5) && close(c.theta_u, 0.5), "{c:?}");
        assert!(close(c.theta_u_rel, 0.25) && close(c.theta_o_rel, 0.0), "{c:?}");
        assert!(c.theta_u_rel.is_finite() && c.theta_o_rel.is_finite());
    }

    #[test]
    fn a_constant_series_scores_zero() {
        assert_eq!(score(&[3; 50], &[3; 50], 1.0), Scorecard::default());
        assert_eq!(score(&[], &[], 1.0), Scorecard::default());
        assert_eq!(score(&[4], &[4], 1.0), Scorecard::default());
    }

    /// Erlang C against published values: C(2, 1) = 1/3 (M/M/2 at ρ = 0.5:
    /// a²/(2(1 − ρ)) / (1 + a + a²/(2(1 − ρ))) = 1/3), C(1, a) = a.
    #[test]
    fn erlang_c_matches_closed_forms() {
        assert!(close(erlang_c(2, 1.0), 1.0 / 3.0));
        assert!(close(erlang_c(1, 0.7), 0.7));
    }

    /// M/M/1, E[S] = 10 ms: E[T] = 1/(μ − λ), p99 = ln 100/(μ − λ) ≤ 0.1 s
    /// ⇔ λ ≤ 100 − 10·ln 100 = 53.948 rps.
    #[test]
    fn capacity_meets_the_slo_exactly() {
        let cap = capacity_at_slo(1, 0.01, 0.1).expect("feasible");
        assert!((cap - (100.0 - 10.0 * 100f64.ln())).abs() < 1e-9, "{cap}");
        // An instance whose service alone breaks the bound has no capacity.
        assert_eq!(capacity_at_slo(1, 0.05, 0.1), None);
        // More servers, more capacity, below c·μ.
        let two = capacity_at_slo(2, 0.01, 0.1).expect("feasible");
        assert!(two > 2.0 * cap && two < 200.0, "{two}");
    }

    #[test]
    fn demand_rounds_up_and_zero_load_needs_nobody() {
        let c = Capacity { rps: 50.0, servers: 1, mean_service_s: 0.01 };
        assert_eq!((c.demand(0.0), c.demand(1.0), c.demand(50.0), c.demand(50.1)), (0, 1, 1, 2));
    }

    /// Uneven ticks weigh by their length: s − d = [+1 for 1 s, −1 for 3 s],
    /// T = 4 s: θ_O = 1/4, θ_U = 3/4, τ_U = 3/4.
    #[test]
    fn ticks_weigh_by_their_length() {
        let mut acc = Accumulator::default();
        acc.push(2, 1, 1.0);
        acc.push(2, 3, 3.0);
        let c = acc.score();
        assert!(close(c.theta_o, 0.25) && close(c.theta_u, 0.75) && close(c.tau_u, 0.75), "{c:?}");
    }
}
