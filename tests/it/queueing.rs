//! Queueing theory keeps the engine honest: an M/M/c station against
//! Erlang C, and Little's law in every shipped scenario.

use crate::support::{load, run, scenario_path};

/// Erlang C: the probability that an arrival waits in an M/M/c queue with
/// offered load `a = λ/μ` Erlangs:
///
/// ```text
///            a^c/c! · c/(c−a)
/// C(c, a) = ─────────────────────────────────────
///            Σ_{k<c} a^k/k! + a^c/c! · c/(c−a)
/// ```
///
/// and the mean wait in queue is `W_q = C(c, a) / (cμ − λ)`.
fn erlang_c_wait(c: u32, lambda: f64, mu: f64) -> f64 {
    let a = lambda / mu;
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        sum += term;
        term *= a / (k + 1) as f64;
    }
    let top = term * c as f64 / (c as f64 - a);
    top / (sum + top) / (c as f64 * mu - lambda)
}

/// M/M/8 with a 10 ms mean service (μ = 100/s): one instance, 8 cores,
/// 8 workers, so a request holding a worker always has a core — an M/M/c
/// queue in front of the workers. Expected mean waits (Erlang C):
///
/// | ρ   | λ (rps) | C(8, a) | W_q       |
/// |-----|---------|---------|-----------|
/// | 0.5 | 400     | 0.05904 | 0.14761 ms |
/// | 0.8 | 640     | 0.45764 | 2.86028 ms |
/// | 0.9 | 720     | 0.70153 | 8.76916 ms |
///
/// Runs of 6–8 simulated hours (9–21 million requests) put the estimate's
/// standard error near 0.5% (waits are correlated over busy periods, more
/// so as ρ → 1): 3% is several standard errors, and a real bias of a few
/// percent (e.g. a wrong service or arrival sampler) would fail it. Over 24 h
/// runs of seeds 1–3 at ρ = 0.5 the errors were −0.7%, +0.4%, +0.05%.
#[test]
fn mmc_mean_wait_matches_erlang_c_within_3_percent() {
    let cases = [(0.5, "6h"), (0.8, "6h"), (0.9, "8h")];
    for (rho, duration) in cases {
        let lambda = rho * 8.0 * 100.0;
        let scenario =
            load(&scenario_path("mmc"), &[&format!("traffic.shape.rps={lambda}"), &format!("duration=\"{duration}\"")]);
        let summary = run(&scenario, 1).summary.expect("summary");
        let measured = summary.system.mean_queue_wait_ms.expect("waits") / 1000.0;
        let expected = erlang_c_wait(8, lambda, 100.0);
        let err = measured / expected - 1.0;
        eprintln!(
            "ρ = {rho}: W_q {:.5} ms vs Erlang C {:.5} ms ({:+.2}%)",
            measured * 1e3,
            expected * 1e3,
            err * 100.0
        );
        assert!(
            err.abs() < 0.03,
            "ρ = {rho}: W_q {:.5} ms vs Erlang C {:.5} ms ({:+.2}%)",
            measured * 1e3,
            expected * 1e3,
            err * 100.0
        );
        // Nothing was lost on the way.
        assert_eq!(summary.requests.failed, 0);
    }
}

#[test]
fn erlang_c_formula_matches_published_values() {
    // M/M/1 reduces to W_q = ρ/(μ − λ): λ = 0.5, μ = 1 → 1.
    assert!((erlang_c_wait(1, 0.5, 1.0) - 1.0).abs() < 1e-12);
    // M/M/2, a = 1 (ρ = 0.5): C = 1/3, W_q = (1/3)/(2 − 1) = 1/3.
    assert!((erlang_c_wait(2, 1.0, 1.0) - 1.0 / 3.0).abs() < 1e-12);
}

/// Little's law, L = λW, over the balancer's in-flight set: the
/// time-average number of attempts in the system equals the departure rate
/// times the mean time in the system. Only requests in flight at the end
/// separate the two, so 2% is generous for runs of many minutes.
#[test]
fn littles_law_holds_in_every_shipped_scenario() {
    for name in ["mmc", "quickstart", "worldcup-semifinal"] {
        let sets: &[&str] = if name == "mmc" { &["duration=\"20m\""] } else { &[] };
        let scenario = load(&scenario_path(name), sets);
        let s = run(&scenario, 3).summary.expect("summary").system;
        let l = s.mean_in_flight;
        let lambda_w = s.throughput_rps * s.mean_time_in_system_ms.expect("departures") / 1000.0;
        let err = l / lambda_w - 1.0;
        eprintln!("{name}: L = {l:.4} vs λW = {lambda_w:.4} ({:+.3}%)", err * 100.0);
        assert!(err.abs() < 0.02, "{name}: L = {l:.4} vs λW = {lambda_w:.4} ({:+.3}%)", err * 100.0);
    }
}
