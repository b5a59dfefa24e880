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

use serde::{Deserialize, Serialize};

/// The SPEC RG elasticity metrics of one run. Accuracies are in instances,
/// relative accuracies, timeshares and instability are fractions (0.05 =
/// 5%), jitter is in adaptations per minute.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// Under-provisioning accuracy θ_U: mean instances missing.
    pub theta_u: f64,
    /// Over-provisioning accuracy θ_O: mean instances in surplus.
    pub theta_o: f64,
    /// Relative under-provisioning accuracy θ_U%: mean share of demand
    /// missing (ticks of zero demand skipped).
    pub theta_u_rel: f64,
    /// Relative over-provisioning accuracy θ_O%: mean surplus as a share of
    /// demand (ticks of zero demand skipped).
    pub theta_o_rel: f64,
    /// Under-provisioning timeshare τ_U: share of time short of demand.
    pub tau_u: f64,
    /// Over-provisioning timeshare τ_O: share of time above demand.
    pub tau_o: f64,
    /// Instability υ: share of time supply moves against (or without)
    /// demand.
    pub instability: f64,
    /// Jitter j, adaptations per minute: > 0 the autoscaler oscillates more
    /// than demand, < 0 it ignores changes.
    pub jitter_per_min: f64,
    /// Supply adaptations (instances added or removed).
    pub supply_adaptations: u64,
    /// Demand adaptations.
    pub demand_adaptations: u64,
}

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
