//! The data tier against theory and against the failure modes it exists to
//! show: processor sharing, the Universal Scalability Law, the single
//! writer, connection exhaustion, stampedes and outages.

use std::sync::Arc;

use scalesim::output::EventKind;
use scalesim::scenario::Scenario;

use crate::support::{from_text, load, run, scenario_path};

/// A database alone: one instance with no compute and connections enough,
/// so a request's latency is its query's time in the database.
fn db_alone(rps: f64, read: &str, duration: &str) -> Arc<Scenario> {
    from_text(&format!(
        r#"
duration = "{duration}"
[traffic]
shape = {{ kind = "constant", rps = {rps} }}
[fleet]
initial = 1
cores = 64
workers = 100000
queue = 100000
service = "0s"
[pool]
size = 100000
min_idle = 0
connect_time = "0s"
[database]
max_connections = 200000
cores = 1
read = {read}
connect_cost = "0s"
"#
    ))
}

/// M/G/1-PS: the mean response time is S/(1−ρ) whatever the distribution
/// of the demand (insensitivity). S = 10 ms: at ρ = 0.5 the mean is 20 ms,
/// at ρ = 0.8 it is 50 ms. Runs of 4 simulated hours (0.7–1.2 M queries)
/// put the standard error well under 1%.
#[test]
fn processor_sharing_mean_response_is_s_over_one_minus_rho() {
    for read in [r#"{ dist = "exponential", mean = "10ms" }"#, r#"{ dist = "lognormal", mean = "10ms", cv = 2.0 }"#] {
        for rho in [0.5, 0.8] {
            let s = db_alone(rho * 100.0, read, "4h");
            let summary = run(&s, 2).summary.unwrap();
            let mean = summary.latency_ms.mean.unwrap();
            let expected = 10.0 / (1.0 - rho);
            let err = mean / expected - 1.0;
            eprintln!("PS ρ = {rho} {read}: {mean:.3} ms vs {expected:.1} ms ({:+.2}%)", err * 100.0);
            assert!(err.abs() < 0.03, "ρ = {rho}, {read}: {mean:.3} ms vs S/(1−ρ) = {expected:.1} ms");
        }
    }
}

/// A closed loop: n workers each issuing queries back to back (no compute,
/// no think time), so exactly n queries are always in the database. Then
/// X(n) = n / (S · (1 + α(n−1) + βn(n−1))) with cores ≥ n. With α = 0.03,
/// β = 0.0002 and S = 10 ms the peak is at n* = sqrt(0.97/0.0002) ≈ 69.6.
fn closed_loop(n: u32) -> Arc<Scenario> {
    from_text(&format!(
        r#"
duration = "2m"
[traffic]
shape = {{ kind = "constant", rps = 12000 }}
arrivals = "uniform"
[fleet]
initial = 1
cores = 64
workers = {n}
queue = 10
service = "0s"
[pool]
size = {n}
connect_time = "0s"
[database]
max_connections = 1000
cores = 1000
read = {{ dist = "exponential", mean = "10ms" }}
usl = {{ alpha = 0.03, beta = 0.0002 }}
connect_cost = "0s"
"#
    ))
}

#[test]
fn closed_loop_throughput_follows_the_usl() {
    let (alpha, beta, s) = (0.03, 0.0002, 0.010);
    let usl = |n: f64| n / (s * (1.0 + alpha * (n - 1.0) + beta * n * (n - 1.0)));
    let mut measured = Vec::new();
    for n in [1u32, 4, 16, 35, 70, 140, 278] {
        let summary = run(&closed_loop(n), 1).summary.unwrap();
        let x = summary.data.unwrap().db_reads as f64 / summary.duration_s;
        let expected = usl(n as f64);
        let err = x / expected - 1.0;
        eprintln!("USL n = {n}: X = {x:.1}/s vs {expected:.1}/s ({:+.2}%)", err * 100.0);
        assert!(err.abs() < 0.03, "n = {n}: X = {x:.1}/s vs USL {expected:.1}/s");
        measured.push((n, x));
    }
    let peak = measured.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap().0;
    assert_eq!(peak, 70, "the measured peak is at n ≈ n* = 69.6");
}

/// Writes take one global lock: whatever the connections, at most one
/// write runs, so throughput ≤ 1/S = 200 writes/s for S = 5 ms.
#[test]
fn the_single_writer_caps_write_throughput() {
    let s = from_text(
        r#"
duration = "5m"
[traffic]
shape = { kind = "constant", rps = 400 }
write_fraction = 1.0
[client]
timeout = "2s"
[fleet]
initial = 4
cores = 8
workers = 50
service = "0s"
[pool]
size = 50
connect_time = "0s"
acquire_timeout = "10s"
[database]
max_connections = 1000
cores = 16
write = { dist = "exponential", mean = "5ms" }
connect_cost = "0s"
"#,
    );
    let summary = run(&s, 1).summary.unwrap();
    let data = summary.data.unwrap();
    let x = data.db_writes as f64 / summary.duration_s;
    eprintln!("single writer: {x:.1} writes/s, lock wait {:?} ms", data.lock_wait_mean_ms);
    assert!(x <= 200.0 * 1.02, "{x:.1} writes/s exceeds 1/S = 200/s");
    assert!(x > 190.0, "{x:.1} writes/s: the lock should be saturated");
    assert!(data.lock_wait_mean_ms.unwrap() > 100.0, "writers queue for the lock");
}

/// The fleet scales past the connection budget: connects are refused while
/// the database's CPU is mostly idle. (Each scale-out step's herd of 80
/// connects does saturate it for a second or two — the reconnect herd — but
/// not while requests are being refused.) A pooler, or a pool budgeted to
/// max_replicas × size ≤ usable connections (40 × 12 = 480 ≤ 497), fixes it.
#[test]
fn pool_exhaustion_shows_refusals_with_an_idle_database_and_the_fixes_remove_them() {
    let refused = |s: &Arc<Scenario>| {
        let out = run(s, 3);
        let summary = out.summary.unwrap();
        let e = &summary.requests.errors;
        (e["db_refused"] + e["pool_timeout"], summary.data.unwrap(), out.ticks)
    };
    let (errors, data, ticks) = refused(&load(&scenario_path("data/connection-budget"), &[]));
    let refusing: Vec<f64> = ticks
        .iter()
        .filter(|t| t.error(scalesim::model::outcome::ErrorKind::DbRefused) > 0.0)
        .filter_map(|t| t.data.db_util)
        .collect();
    let util = refusing.iter().sum::<f64>() / refusing.len() as f64;
    eprintln!("exhausted: {errors} refused or timed out; db util {util:.3} over the {} s of refusals", refusing.len());
    assert!(errors > 1000, "{errors}");
    assert!(refusing.len() > 300, "refusals last: {} s", refusing.len());
    assert!(util < 0.3, "the database is not the bottleneck: util {util:.3} while refusing");
    assert_eq!(data.db_peak_connections, 497, "the ceiling (500 − 3 reserved) is reached");
    let (errors, data, _) = refused(&load(&scenario_path("data/connection-budget-pooler"), &[]));
    assert_eq!(errors, 0, "with a pooler");
    assert!(data.db_peak_connections <= 40, "the database sees only the pooler's server connections");
    let (errors, _, _) =
        refused(&load(&scenario_path("data/connection-budget"), &["pool.size=12", "pool.min_idle=12"]));
    assert_eq!(errors, 0, "with a budgeted pool");
}

fn stampede(single_flight: bool) -> Arc<Scenario> {
    from_text(&format!(
        r#"
duration = "4m"
[traffic]
shape = {{ kind = "constant", rps = 2000 }}
keys = {{ count = 1000, zipf = 1.2 }}
[fleet]
initial = 8
cores = 4
workers = 200
service = "1ms"
[pool]
size = 50
[cache]
hit_latency = "500us"
ttl = "10m"
single_flight = {single_flight}
[database]
max_connections = 1000
cores = 8
read = {{ dist = "constant", value = "20ms" }}
[[events]]
at = "2m"
action = "cache_flush"
"#
    ))
}

/// A flush with a hot keyspace (Zipf 1.2 over 1000 keys, 2000 rps): every
/// miss of a hot key during its 20 ms fill reads the database again. With
/// single-flight, exactly one read per key per fill: no duplicates.
#[test]
fn a_flush_stampedes_the_database_unless_misses_coalesce() {
    let dup = |sf| run(&stampede(sf), 1).summary.unwrap().data.unwrap().cache_duplicate_reads.unwrap();
    let (without, with) = (dup(false), dup(true));
    eprintln!("duplicate database reads: {without} without single-flight, {with} with");
    assert!(without > 200, "{without}");
    assert_eq!(with, 0);
}

/// An outage fails running queries and refuses connects; when the database
/// returns, the pools reconnect (a burst of connects) and service resumes.
#[test]
fn an_outage_fails_queries_and_the_pools_reconnect_after_it() {
    let s = from_text(
        r#"
duration = "3m"
[traffic]
shape = { kind = "constant", rps = 500 }
[fleet]
initial = 4
cores = 2
service = "2ms"
[pool]
size = 10
acquire_timeout = "500ms"
[database]
max_connections = 100
cores = 8
[[events]]
at = "60s"
action = "db_outage"
duration = "30s"
"#,
    );
    let out = run(&s, 1);
    let e = &out.summary.as_ref().unwrap().requests.errors;
    assert!(e["db_error"] > 0 && e["db_refused"] > 0, "{e:?}");
    let row = |t: f64| out.ticks.iter().find(|r| r.t_s == t).unwrap();
    assert_eq!(row(75.0).data.db_connections, Some(0.0), "every connection dropped");
    assert!(
        row(90.0).data.db_connects_rps.unwrap() >= 40.0,
        "the reconnect burst: {:?}",
        row(90.0).data.db_connects_rps
    );
    assert_eq!(row(150.0).data.db_connections, Some(40.0));
    assert!(row(150.0).completed_rps > 450.0, "service resumed");
    assert!(out.events.iter().any(|e| e.kind == EventKind::Db && e.detail.contains("refused")));
}
