//! Traffic sources and clients: traces replay what they hold; retries are
//! new arrivals; abandoned work keeps the server busy unless cancelled.

use crate::support::{from_text, run};

/// The NASA per-request log of 1 August 1995 holds 30,969 requests over
/// 12.9 hours (its README); replayed as is, every row arrives. Replayed 20×
/// faster, the rate stays the same, so a twentieth of the rows arrive.
#[test]
fn a_request_log_replays_every_row() {
    let s = from_text(
        r#"
duration = "13h"
[traffic]
requests = "traces/nasa_http_19950801_requests/nasa_19950801_requests.csv"
[fleet]
initial = 2
"#,
    );
    let summary = run(&s, 1).summary.unwrap();
    assert_eq!(summary.requests.arrivals, 30_969);
    let fast = from_text(
        r#"
duration = "39m"
[traffic]
requests = "traces/nasa_http_19950801_requests/nasa_19950801_requests.csv"
speedup = 20
[fleet]
initial = 2
"#,
    );
    let n = run(&fast, 1).summary.unwrap().requests.arrivals as f64;
    // Binomial(30 969, 1/20): mean 1548, σ ≈ 38; ±120 is over 3σ.
    assert!((n - 1548.0).abs() < 120.0, "{n} rows at speedup 20");
    // scale = 2 doubles every row.
    let s2 = from_text(
        r#"
duration = "13h"
[traffic]
requests = "traces/nasa_http_19950801_requests/nasa_19950801_requests.csv"
scale = 2
[fleet]
initial = 2
"#,
    );
    assert_eq!(run(&s2, 1).summary.unwrap().requests.arrivals, 61_938);
}

/// A rate trace replayed with step interpolation offers its integral: six
/// times faster, each one-minute row lasts 10 s, so an hour replays the
/// first 360 rows and offers Σ rps · 10 s · 0.1 (scale) requests.
#[test]
fn a_rate_trace_offers_its_integral() {
    let path = crate::support::root().join("scenarios/traces/worldcup98/wc98_week_19980702_1min.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let expected: f64 =
        text.lines().skip(1).take(360).map(|l| l.split(',').nth(1).unwrap().parse::<f64>().unwrap() * 10.0 * 0.1).sum();
    let s = from_text(
        r#"
duration = "1h"
[traffic]
trace = "traces/worldcup98/wc98_week_19980702_1min.csv"
speedup = 6
scale = 0.1
[fleet]
initial = 4
"#,
    );
    let n = run(&s, 1).summary.unwrap().requests.arrivals as f64;
    // Poisson: σ = sqrt(n) ≈ 250 for ~62 000; 1.5% is about 3.7σ.
    assert!((n / expected - 1.0).abs() < 0.015, "{n} arrivals vs {expected:.0} in the trace");
}

fn slow_server(cancel: bool) -> std::sync::Arc<scalesim::scenario::Scenario> {
    // One worker on one core, 100 ms per request, 15 rps offered: 150%
    // load; a 500 ms timeout and up to 3 attempts. (With several workers
    // sharing the core, every request would slow down and almost none would
    // finish in time either way: processor sharing's goodput collapse.)
    from_text(&format!(
        r#"
duration = "5m"
[traffic]
shape = {{ kind = "constant", rps = 15 }}
[client]
timeout = "500ms"
cancel_on_timeout = {cancel}
retry = {{ max_attempts = 3, backoff = "fixed", base = "100ms" }}
[fleet]
initial = 1
cores = 1
workers = 1
queue = 1000
service = "100ms"
"#
    ))
}

#[test]
fn retries_are_new_arrivals_and_abandoned_work_keeps_the_server_busy() {
    for cancel in [false, true] {
        let out = run(&slow_server(cancel), 1);
        let r = &out.summary.as_ref().unwrap().requests;
        assert_eq!(r.attempts, r.arrivals + r.retries, "every retry is an attempt");
        assert!(r.retries > 1000, "an overloaded server times out and clients retry: {} retries", r.retries);
        let offered: f64 = out.ticks.iter().map(|t| t.offered_rps).sum::<f64>();
        assert!((offered - r.attempts as f64).abs() < 1.0, "offered load counts retries");
        let busy = out.ticks.iter().filter_map(|t| t.cpu_util_true).sum::<f64>() / out.ticks.len() as f64;
        if cancel {
            // Cancelled work frees the core; it still serves what it can.
            assert!(r.succeeded > 0);
        } else {
            // Abandoned requests keep the core saturated.
            assert!(busy > 0.99, "utilization {busy:.3}");
        }
    }
    let kept = run(&slow_server(false), 1).summary.unwrap().requests.succeeded;
    let cancelled = run(&slow_server(true), 1).summary.unwrap().requests.succeeded;
    eprintln!("succeeded: {kept} keeping abandoned work, {cancelled} cancelling it");
    assert!(cancelled > 2 * kept, "cancelling abandoned work serves more: {cancelled} vs {kept}");
}
