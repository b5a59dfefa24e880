//! The elasticity scorecard on whole runs: demand from the instance model,
//! supply from the serving instances.

use scalesim::analysis::elasticity::capacity_at_slo;

use crate::support::{from_text, run};

/// A fixed fleet of `n` instances (2 cores, exponential 25 ms CPU demand,
/// p99 SLO 500 ms) under a constant `rps`, evenly spaced.
fn fixed_fleet(n: u32, rps: f64) -> String {
    format!(
        r#"
name = "fixed-fleet"
duration = "20m"
seed = 3
slo = {{ p99 = "500ms", availability = 0.999 }}

[traffic]
shape = {{ kind = "constant", rps = {rps} }}
arrivals = "uniform"

[fleet]
initial = {n}
cores = 2
workers = 64
service = {{ dist = "exponential", mean = "25ms" }}

[autoscaler]
policy = "fixed"
"#
    )
}

/// One instance holds `cap` rps within the SLO (M/M/2, E[S] = 25 ms); at
/// 3.5 × cap the demand is ⌈3.5⌉ = 4 instances every tick, so a fixed
/// fleet of exactly 4 is never short and never in surplus: θ = τ = 0, and
/// neither curve moves: υ = j = 0. One more instance is 1 surplus instance
/// all the time: θ_O = 1, θ_O% = 1/4, τ_O = 1.
#[test]
fn a_fixed_fleet_sized_exactly_to_constant_demand_scores_zero() {
    let cap = capacity_at_slo(2, 0.025, 0.5).expect("feasible");
    let rps = 3.5 * cap;
    let out = run(&from_text(&fixed_fleet(4, rps)), 3);
    assert!(out.ticks.iter().all(|r| r.demand == Some(4)), "demand is 4 at every tick");
    let summary = out.summary.expect("finished");
    let e = summary.elasticity.expect("scored");
    assert!((e.capacity_rps - cap).abs() < 1e-9);
    let x = &e.score;
    for (name, v) in [
        ("θ_U", x.theta_u),
        ("θ_O", x.theta_o),
        ("θ_U%", x.theta_u_rel),
        ("θ_O%", x.theta_o_rel),
        ("τ_U", x.tau_u),
        ("τ_O", x.tau_o),
        ("υ", x.instability),
        ("j", x.jitter_per_min),
    ] {
        assert_eq!(v, 0.0, "{name} = {v}");
    }
    assert!(summary.slo.met, "4 instances at their SLO capacity × 3.5/4 hold the SLO");

    let x = run(&from_text(&fixed_fleet(5, rps)), 3).summary.expect("finished").elasticity.expect("scored").score;
    assert!(
        (x.theta_o - 1.0).abs() < 1e-12 && (x.theta_o_rel - 0.25).abs() < 1e-12 && (x.tau_o - 1.0).abs() < 1e-12,
        "{x:?}"
    );
    assert_eq!((x.theta_u, x.tau_u), (0.0, 0.0));
}

/// An instance whose service alone breaks the p99 bound has no capacity:
/// no demand column, no scorecard, and the summary says why.
#[test]
fn an_instance_that_cannot_meet_the_slo_is_not_scored() {
    let text = fixed_fleet(2, 10.0).replace(r#"p99 = "500ms""#, r#"p99 = "50ms""#);
    let out = run(&from_text(&text), 3);
    assert!(out.ticks.iter().all(|r| r.demand.is_none()));
    let summary = out.summary.expect("finished");
    assert_eq!(summary.elasticity, None);
    assert!(summary.render().contains("elasticity not scored"), "{}", summary.render());
}
