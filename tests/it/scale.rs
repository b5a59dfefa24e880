//! Scale up or scale out: instance types and their prices, resizes and
//! their costs, the type ceiling, read replicas, shards.

use std::sync::Arc;

use scalesim::scenario::Scenario;

use crate::support::{from_text, run};

/// A fleet and a data tier of named types, held fixed for a known time.
fn priced(duration: &str) -> Arc<Scenario> {
    from_text(&format!(
        r#"
duration = "{duration}"
[traffic]
shape = {{ kind = "constant", rps = 20 }}
[fleet]
types = "../models/instance-types/m6i.toml"
type = "m6i.xlarge"
initial = 4
service = "5ms"
[database]
types = "../models/instance-types/rds-r6g.toml"
type = "db.r6g.xlarge"
[replicas]
count = 2
type = "db.r6g.large"
[pooler]
[cache]
"#
    ))
}

/// The hand calculation, per hour: 4 × m6i.xlarge at $0.192 = $0.768; one
/// db.r6g.xlarge primary, $0.449; two db.r6g.large replicas at $0.225 =
/// $0.450; the pooler's m6i.large, $0.096; the cache's cache.r6g.large,
/// $0.206. In all $1.969 an hour: $0.9845 for 30 minutes.
#[test]
fn costs_match_a_hand_calculation_for_a_fixed_fleet() {
    let out = run(&priced("30m"), 1);
    let c = out.summary.unwrap().cost;
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert_eq!(c.currency, "USD");
    assert!(close(c.app, 0.768 / 2.0), "app {}", c.app);
    assert!(close(c.database, 0.449 / 2.0), "database {}", c.database);
    assert!(close(c.read_replicas, 0.450 / 2.0), "replicas {}", c.read_replicas);
    assert!(close(c.pooler, 0.096 / 2.0), "pooler {}", c.pooler);
    assert!(close(c.cache, 0.206 / 2.0), "cache {}", c.cache);
    assert!(close(c.total, 1.969 / 2.0), "total {}", c.total);
    assert!(close(c.replica_hours, 2.0), "4 instances × 0.5 h: {}", c.replica_hours);
    assert!(close(c.mean_per_hour, 1.969) && close(c.peak_per_hour, 1.969));
    for row in &out.ticks {
        assert!(close(row.cost_per_hour, 1.969), "t = {}: {}", row.t_s, row.cost_per_hour);
        assert_eq!(row.app_cores, 16);
    }
}

/// Four m6i.large instances at 300 rps × 20 ms = 6 cores of work (75% of
/// their 8 cores), resized to m6i.xlarge at 3 minutes. Provisioning 30 s,
/// boot 20 s and warm-up 60 s are constant, so each replacement takes 110 s.
fn resized(resize: &str) -> Arc<Scenario> {
    from_text(&format!(
        r#"
duration = "15m"
[traffic]
shape = {{ kind = "constant", rps = 300 }}
[balancer]
algorithm = "least_outstanding"
deregistration_delay = "10s"
[fleet]
types = "../models/instance-types/m6i.toml"
type = "m6i.large"
initial = 4
workers_per_core = 8
service = {{ dist = "exponential", mean = "20ms" }}
provisioning = "30s"
boot = "20s"
warmup = {{ duration = "60s", slowdown = 2.0 }}
resize = "{resize}"
[[events]]
at = "3m"
action = "resize"
type = "m6i.xlarge"
"#
    ))
}

fn event_at(out: &scalesim::output::MemorySink, subject: &str, fragment: &str) -> Option<f64> {
    out.events.iter().find(|e| e.subject == subject && e.detail.contains(fragment)).map(|e| e.at.as_secs_f64())
}

/// Recreate (the VPA updater): each of the 4 instances is evicted and its
/// replacement provisions, boots and warms up before the next goes, so the
/// rollout ends at 180 + 4 × 110 = 620 s, and for 4 × 50 s a quarter of the
/// capacity is missing (6 cores of work on 6 cores: the queue grows). In
/// place: no restart, no dip, done at 180 s, and the app costs exactly
/// 4 × $0.096 × 180 s + 4 × $0.192 × 720 s = $0.1728. Surge: one extra
/// instance at a time, no dip, the same 620 s, and extra instances paid.
/// Both replacements pay for instances that serve nothing while they start.
#[test]
fn a_resize_pays_its_replacement_cost() {
    let recreate = run(&resized("recreate"), 1);
    let in_place = run(&resized("in_place"), 1);
    let surge = run(&resized("surge"), 1);
    assert_eq!(event_at(&recreate, "rollout", "every instance is m6i.xlarge"), Some(620.0));
    assert_eq!(event_at(&surge, "rollout", "every instance is m6i.xlarge"), Some(620.0));
    assert_eq!(event_at(&in_place, "rollout", "every instance"), None, "nothing to roll out");
    let serving = |out: &scalesim::output::MemorySink, t: f64| {
        out.ticks.iter().find(|r| r.t_s == t).map(|r| r.replicas_ready + r.replicas_warming).unwrap()
    };
    let short = |out: &scalesim::output::MemorySink| {
        out.ticks.iter().filter(|r| r.t_s >= 180.0 && r.replicas_ready + r.replicas_warming < 4).count()
    };
    // Gauges are read at each tick's end: a 50 s gap (30 s provisioning +
    // 20 s boot) from t to t + 50 covers the 49 tick ends strictly inside it.
    assert_eq!(short(&recreate), 4 * 49, "4 replacements × 50 s without the instance");
    assert_eq!((short(&in_place), short(&surge)), (0, 0));
    assert_eq!(serving(&recreate, 200.0), 3);
    let p99 = |out: &scalesim::output::MemorySink| {
        out.ticks.iter().filter(|r| (180.0..620.0).contains(&r.t_s)).filter_map(|r| r.p99_ms).fold(0.0, f64::max)
    };
    let (r, i, s) = (p99(&recreate), p99(&in_place), p99(&surge));
    eprintln!("worst tick p99 during the rollout: recreate {r:.0} ms, in place {i:.0} ms, surge {s:.0} ms");
    assert!(r > 3.0 * i && r > 3.0 * s, "the recreate dip shows in latency");
    let cost = |out: &scalesim::output::MemorySink| out.summary.as_ref().unwrap().cost.clone();
    assert!((cost(&in_place).app - 0.1728).abs() < 1e-9, "in place: {}", cost(&in_place).app);
    // The surged instance, and the replaced one while it drains (10 s)
    // as the next surge starts provisioning.
    assert_eq!(cost(&surge).peak_replicas, 6);
    assert!(cost(&surge).app > cost(&recreate).app);
    // Recreate by hand: the k-th old instance is paid until 180 + 110k s, its
    // replacement from then: Σₖ [0.096 (180 + 110k) + 0.192 (720 − 110k)] / 3600
    // = (155.52 + 144.96 + 134.40 + 123.84) / 3600 = $0.1552 (plus the few
    // milliseconds the old ones drain).
    assert!((cost(&recreate).app - 0.1552).abs() < 1e-4, "recreate: {}", cost(&recreate).app);
    eprintln!(
        "app cost: recreate {:.4}, surge {:.4}, in place {:.4}",
        cost(&recreate).app,
        cost(&surge).app,
        cost(&in_place).app
    );
    for out in [&recreate, &in_place, &surge] {
        assert_eq!(out.ticks.last().unwrap().app_cores, 16, "four m6i.xlarge at the end");
    }
}

/// The largest type is the ceiling: a resize one size up from it is
/// refused with an event that says so, and nothing changes.
#[test]
fn the_type_ceiling_refuses_a_resize_past_the_largest_type() {
    let s = from_text(
        r#"
duration = "2m"
[traffic]
shape = { kind = "constant", rps = 50 }
[fleet]
types = "../models/instance-types/m6i.toml"
type = "m6i.16xlarge"
initial = 2
[[events]]
at = "1m"
action = "resize"
step = 1
"#,
    );
    let out = run(&s, 1);
    let e = out.events.iter().find(|e| e.subject == "resize").expect("the resize is logged");
    assert!(
        e.detail.contains("refused: m6i.16xlarge (64 cores) is the largest type of m6i: the ceiling"),
        "{}",
        e.detail
    );
    assert!(out.ticks.iter().all(|r| r.app_cores == 128));
}

/// The vertical autoscaler on two m6i.large (2 cores) under 400 rps × 20 ms
/// = 8 cores of work: each instance is saturated at 2 cores, so usage's
/// p50 × 1.15 = 2.3 > 2 (below the lower bound): it moves to the smallest
/// type with ≥ p90 × 1.15 = 2.3 cores, m6i.xlarge; saturated again at 4,
/// to m6i.2xlarge (8). There 4 cores are used: p50 × 1.15 = 4.6 ≤ 8, and
/// the target 4.6 still needs 8 — it stays. With max_type = m6i.xlarge it
/// stops at 4 cores, overloaded, and says that the ceiling is reached.
fn vpa(max_type: &str) -> Arc<Scenario> {
    from_text(&format!(
        r#"
duration = "40m"
[traffic]
shape = {{ kind = "constant", rps = 400 }}
[client]
timeout = "2s"
[balancer]
algorithm = "least_outstanding"
[fleet]
types = "../models/instance-types/m6i.toml"
type = "m6i.large"
initial = 2
workers_per_core = 16
queue = 1000
service = {{ dist = "exponential", mean = "20ms" }}
provisioning = "20s"
boot = "10s"
resize = "surge"
[metrics]
scrape_interval = "15s"
window = "60s"
delay = "0s"
[vertical]
window = "5m"
max_type = "{max_type}"
"#
    ))
}

#[test]
fn the_vertical_autoscaler_follows_usage_up_to_its_ceiling() {
    let free = run(&vpa("m6i.16xlarge"), 1);
    let capped = run(&vpa("m6i.xlarge"), 1);
    let cores = |out: &scalesim::output::MemorySink| out.ticks.last().unwrap().app_cores;
    let resizes = |out: &scalesim::output::MemorySink| -> Vec<String> {
        out.events.iter().filter(|e| e.subject == "vertical").map(|e| e.detail.clone()).collect()
    };
    eprintln!("free: {:#?}\ncapped: {:#?}", resizes(&free), resizes(&capped));
    assert_eq!(cores(&free), 16, "two m6i.2xlarge");
    assert_eq!(cores(&capped), 8, "two m6i.xlarge: the ceiling");
    assert!(resizes(&capped).iter().any(|d| d.contains("capped at m6i.xlarge (4 cores): the ceiling")));
    // Over the last 10 minutes: served in full, or short of 8 cores of work.
    let late = |out: &scalesim::output::MemorySink| -> (f64, f64) {
        let rows: Vec<_> = out.ticks.iter().filter(|r| r.t_s >= 1800.0).collect();
        let n = rows.len() as f64;
        (
            rows.iter().map(|r| r.completed_rps).sum::<f64>() / n,
            rows.iter().map(|r| r.errors.iter().sum::<f64>()).sum::<f64>() / n,
        )
    };
    let ((free_done, free_err), (capped_done, capped_err)) = (late(&free), late(&capped));
    eprintln!(
        "last 10 min: free {free_done:.0} rps done, {free_err:.1} errors/s; capped {capped_done:.0} rps done, {capped_err:.1} errors/s"
    );
    assert!(free_done > 390.0 && free_err < 1.0, "two m6i.2xlarge serve 8 cores of work");
    assert!(capped_err > 10.0, "two m6i.xlarge (8 cores for 8 cores of work) stay overloaded");
}

/// 200 rps, a fifth of them writes, on a db.r6g.large primary (2 cores,
/// max_connections 1802 by RDS's formula), resized at 2 minutes to
/// db.r6g.xlarge (4 cores, 3604) with a 60 s failover.
fn db_resize(replicas: u32) -> Arc<Scenario> {
    from_text(&format!(
        r#"
duration = "6m"
[traffic]
shape = {{ kind = "constant", rps = 200 }}
write_fraction = 0.2
[fleet]
initial = 4
cores = 4
workers = 64
service = "2ms"
[pool]
size = 10
min_idle = 2
acquire_timeout = "500ms"
[database]
types = "../models/instance-types/rds-r6g.toml"
type = "db.r6g.large"
failover = "60s"
read = {{ dist = "exponential", mean = "2ms" }}
write = {{ dist = "exponential", mean = "3ms" }}
[replicas]
count = {replicas}
[[events]]
at = "2m"
action = "resize"
tier = "database"
type = "db.r6g.xlarge"
"#
    ))
}

/// During the failover every write fails, and so does every read unless a
/// replica serves it; after it the new limits hold. The primary costs
/// $0.225/h for 3 minutes and $0.449/h for the other 3 (billed from the
/// failover on): ($0.225 + $0.449) / 20 = $0.0337.
#[test]
fn a_database_resize_pays_its_failover() {
    for replicas in [0, 1] {
        let out = run(&db_resize(replicas), 1);
        let window = |lo: f64, hi: f64| out.ticks.iter().filter(move |r| (lo..hi).contains(&r.t_s));
        let failed = |r: &&scalesim::output::TickRow| r.errors.iter().sum::<f64>();
        let during: f64 = window(121.0, 179.0).map(|r| failed(&r)).sum::<f64>() / 58.0;
        let writes: f64 = window(121.0, 179.0).map(|r| r.data.db_writes_rps.unwrap()).sum::<f64>();
        let before: f64 = window(0.0, 119.0).map(|r| failed(&r)).sum();
        let after: f64 = window(185.0, 360.0).map(|r| failed(&r)).sum();
        eprintln!("{replicas} replica(s): {during:.1} errors/s during the failover; {before} before, {after} after");
        assert_eq!((before, after, writes), (0.0, 0.0, 0.0), "no errors outside the failover, no write in it");
        if replicas == 0 {
            assert!(during > 190.0, "every request needs the database: {during}");
        } else {
            // Writes (40/s) fail; reads go on at the replica, except those of
            // a key written since the replica's replay point.
            assert!((38.0..60.0).contains(&during), "{during}");
        }
        let max = |t: f64| out.ticks.iter().find(|r| r.t_s == t).unwrap().data.db_max_connections.unwrap();
        let replica_max = 1802.0 * replicas as f64;
        assert_eq!((max(100.0), max(200.0)), (1802.0 + replica_max, 3604.0 + replica_max));
        let c = out.summary.unwrap().cost;
        assert!((c.database - (0.225 + 0.449) / 20.0).abs() < 1e-9, "{}", c.database);
        assert!((c.read_replicas - 0.225 * replicas as f64 / 10.0).abs() < 1e-9, "{}", c.read_replicas);
    }
}

/// A saturated data tier: one instance with no compute and connections to
/// spare, so throughput is what the databases complete. Single-core
/// databases with 10 ms queries: each completes at most 100 queries a
/// second; writes also hold the primary's write lock.
fn saturated(write_fraction: f64, replicas: u32, shards: u32, zipf: f64) -> Arc<Scenario> {
    from_text(&format!(
        r#"
duration = "5m"
[traffic]
shape = {{ kind = "constant", rps = 3000 }}
arrivals = "uniform"
write_fraction = {write_fraction}
keys = {{ count = 1000, zipf = {zipf} }}
[fleet]
initial = 1
cores = 64
workers = 400
queue = 10
service = "0s"
[pool]
size = 400
connect_time = "0s"
acquire_timeout = "60s"
[database]
max_connections = 2000
cores = 1
shards = {shards}
read = "10ms"
write = "10ms"
connect_cost = "0s"
[replicas]
count = {replicas}
network_delay = "0s"
"#
    ))
}

/// Reads and writes completed per second.
fn throughput(s: &Arc<Scenario>) -> (f64, f64) {
    let summary = run(s, 1).summary.unwrap();
    let d = summary.data.unwrap();
    (d.db_reads as f64 / summary.duration_s, d.db_writes as f64 / summary.duration_s)
}

/// 400 workers keep 400 queries in the databases. Reads only: one 1-core
/// primary completes 1/10 ms = 100 reads/s; with 3 replicas reads go to
/// them (nothing is written, so none needs the primary): 3 × 100 = 300/s.
/// Writes only: the single writer completes 100/s, and replicas cannot help
/// — the primary pays them instead: each write costs 1 + 0.05 × 3 = 1.15×,
/// so 100 / 1.15 = 87/s.
#[test]
fn replicas_add_read_capacity_but_not_write_capacity() {
    let (reads_1, _) = throughput(&saturated(0.0, 0, 1, 1.0));
    let (reads_4, _) = throughput(&saturated(0.0, 3, 1, 1.0));
    let (_, writes_1) = throughput(&saturated(1.0, 0, 1, 1.0));
    let (_, writes_4) = throughput(&saturated(1.0, 3, 1, 1.0));
    eprintln!("reads/s: {reads_1:.1} → {reads_4:.1} with 3 replicas; writes/s: {writes_1:.1} → {writes_4:.1}");
    let near = |x: f64, want: f64| (x / want - 1.0).abs() < 0.03;
    assert!(near(reads_1, 100.0) && near(reads_4, 300.0));
    assert!(near(writes_1, 100.0) && near(writes_4, 100.0 / 1.15));
}

/// Keys hashed over K shards, each a single writer of 100 writes/s. With
/// every worker blocked on its own write (a closed loop of 400), throughput
/// is bounded by the busiest shard (the bottleneck law, X ≤ 1/D_max): a
/// shard that gets a share p of the writes saturates at X = 100 / p. For a
/// uniform keyspace of 1000 keys the shares are 1/K give or take the hash's
/// spread (computed below), so K = 4 gives ~4×. Under Zipf(s) key i has
/// weight i^−s; with s = 1.5 the hottest key alone takes 1/H ≈ 1/2.6 = 38%
/// of the writes, and its shard ~51%: K = 4 gives ~2×, not 4×. (Writes
/// still queued at the hot shard when the run ends are not counted, so the
/// measure runs a little over the bound.)
#[test]
fn shards_multiply_write_capacity_unless_a_key_is_hot() {
    let share = |s: f64, k: u32| -> f64 {
        let w: Vec<f64> = (1..=1000).map(|i| (i as f64).powf(-s)).collect();
        let total: f64 = w.iter().sum();
        let mut shard = vec![0.0; k as usize];
        for (key, wi) in w.iter().enumerate() {
            shard[scalesim::model::replication::shard_of(key as u32, k) as usize] += wi / total;
        }
        shard.into_iter().fold(0.0, f64::max)
    };
    let (_, one) = throughput(&saturated(1.0, 0, 1, 0.0));
    for (zipf, label) in [(0.0, "uniform"), (1.5, "Zipf 1.5")] {
        let (_, four) = throughput(&saturated(1.0, 0, 4, zipf));
        let p = share(zipf, 4);
        let expected = 100.0 / p;
        eprintln!(
            "{label}: 1 shard {one:.1}/s, 4 shards {four:.1}/s (×{:.2}); hottest shard share {p:.3} → bound {expected:.1}/s (×{:.2})",
            four / one,
            expected / 100.0
        );
        assert!((four / expected - 1.0).abs() < 0.03, "{label}: {four:.1} vs {expected:.1}");
    }
    assert!(share(0.0, 4) < 0.27 && share(1.5, 4) > 0.5);
}

/// Replicas replay writes one at a time. Writes of 5 ms (150/s, Poisson)
/// take 10 ms to replay (apply_cost 2): the replica replays 100/s of the
/// 150/s committed, so by time t it has replayed what was committed by
/// (100/150) t and lags t/3 — 20 s at one minute, visible in
/// replication_lag_ms. Past max_lag (10 s, at ~30 s) it leaves the read
/// rotation. With apply_cost 0.5 (5 ms a write, 75% busy) it keeps up.
#[test]
fn replication_lag_shows_in_the_time_series() {
    let lagging = |apply_cost: f64| {
        from_text(&format!(
            r#"
duration = "70s"
[traffic]
shape = {{ kind = "constant", rps = 300 }}
write_fraction = 0.5
[fleet]
initial = 2
cores = 16
workers = 200
service = "0s"
[pool]
size = 100
[database]
max_connections = 1000
cores = 8
read = "2ms"
write = "5ms"
[replicas]
count = 1
apply_cost = {apply_cost}
replication_cost = 0.0
"#
        ))
    };
    let out = run(&lagging(2.0), 1);
    let lag = |t: f64| out.ticks.iter().find(|r| r.t_s == t).unwrap().data.replication_lag_ms.unwrap() / 1000.0;
    eprintln!("lag at 30 s: {:.1} s, at 59 s: {:.1} s", lag(29.0), lag(59.0));
    assert!((lag(59.0) - 20.0).abs() < 2.0, "t/3 at one minute: {}", lag(59.0));
    assert!((lag(29.0) - 10.0).abs() < 1.5);
    let out_at = event_at(&out, "replica-1", "out of the read rotation").expect("it leaves the rotation");
    assert!((27.0..34.0).contains(&out_at), "{out_at}");
    assert_eq!(out.ticks.last().unwrap().data.replicas_in_rotation, Some(0.0));
    let keeping_up = run(&lagging(0.5), 1);
    let worst = keeping_up.ticks.iter().filter_map(|r| r.data.replication_lag_ms).fold(0.0, f64::max);
    eprintln!("keeping up: worst lag {worst:.1} ms");
    assert!(worst < 200.0, "{worst}");
}

/// A serverless database (Aurora Serverless v2-like) from 0.5 ACU: 300
/// reads/s of 4 ms need 1.2 cores, 4.8 ACU at 0.25 core an ACU, 6.9 ACU at
/// the 70% target. Capacity climbs by at most ×1/0.7 per 5 s interval (the
/// utilization it sees is at most 100%), so from 0.5 ACU it takes about
/// ln(6.9/0.5)/ln(1/0.7) ≈ 7.4 intervals, under 40 s (rounding up to half
/// ACUs speeds the first steps); max_acu = 4 caps it
/// below the need, with an event, and the queue grows. The bill is the
/// ACU-seconds × $0.12/3600, which the time series' db_cores shows.
#[test]
fn serverless_capacity_follows_load_up_to_max_acu() {
    let serverless = |max_acu: f64| {
        from_text(&format!(
            r#"
duration = "5m"
[traffic]
shape = {{ kind = "constant", rps = 300 }}
[client]
timeout = "2s"
[fleet]
initial = 2
cores = 8
workers = 200
service = "1ms"
[pool]
size = 50
acquire_timeout = "1s"
[database]
read = {{ dist = "exponential", mean = "4ms" }}
serverless = {{ min_acu = 0.5, max_acu = {max_acu} }}
"#
        ))
    };
    let out = run(&serverless(32.0), 1);
    let acu = |r: &scalesim::output::TickRow| r.data.db_cores.unwrap() / 0.25;
    let settled = out.ticks.iter().find(|r| acu(r) >= 6.5).map(|r| r.t_s).expect("it grows");
    let late: Vec<f64> = out.ticks.iter().filter(|r| r.t_s >= 120.0).map(acu).collect();
    let mean = late.iter().sum::<f64>() / late.len() as f64;
    eprintln!("serverless: ≥ 6.5 ACU at {settled} s; {mean:.1} ACU on average after 2 min");
    assert!((25.0..70.0).contains(&settled), "{settled}");
    assert!((5.0..9.0).contains(&mean), "{mean}");
    let acu_seconds: f64 = out.ticks.iter().map(acu).sum();
    let cost = out.summary.as_ref().unwrap().cost.database;
    assert!((cost / (acu_seconds * 0.12 / 3600.0) - 1.0).abs() < 0.02, "{cost} vs {acu_seconds} ACU-s");
    let capped = run(&serverless(4.0), 1);
    assert!(capped.events.iter().any(|e| e.detail.contains("at max_acu 4")));
    assert!(capped.summary.unwrap().requests.failed > 1000, "1 core for 1.2 cores of work");
}

/// Replicas resized one at a time: each leaves the read rotation for its
/// failover, and its reads go to the other replica (or the primary).
#[test]
fn replicas_are_resized_one_at_a_time() {
    let s = from_text(
        r#"
duration = "5m"
[traffic]
shape = { kind = "constant", rps = 200 }
write_fraction = 0.1
[fleet]
initial = 2
cores = 8
workers = 100
service = "1ms"
[database]
types = "../models/instance-types/rds-r6g.toml"
type = "db.r6g.xlarge"
failover = "30s"
[replicas]
count = 2
type = "db.r6g.large"
[[events]]
at = "1m"
action = "resize"
tier = "replicas"
step = 1
"#,
    );
    let out = run(&s, 1);
    let back: Vec<f64> = out
        .events
        .iter()
        .filter(|e| e.detail.starts_with("back as db.r6g.xlarge"))
        .map(|e| e.at.as_secs_f64())
        .collect();
    assert_eq!(back, [90.0, 120.0], "one failover after the other");
    let rotation = |t: f64| out.ticks.iter().find(|r| r.t_s == t).unwrap().data.replicas_in_rotation.unwrap();
    assert_eq!((rotation(50.0), rotation(70.0), rotation(100.0), rotation(150.0)), (2.0, 1.0, 1.0, 2.0));
    let c = out.summary.unwrap().cost;
    // Two replicas at $0.225/h: one until 90 s, the other until 120 s, then $0.449/h.
    let expected = (0.225 * 90.0 + 0.449 * 210.0 + 0.225 * 120.0 + 0.449 * 180.0) / 3600.0;
    assert!((c.read_replicas - expected).abs() < 1e-9, "{} vs {expected}", c.read_replicas);
}

/// A problem inside a family file is located in that file.
#[test]
fn a_bad_family_file_is_refused_with_its_own_line() {
    let dir = crate::support::temp_dir("bad-family");
    std::fs::write(
        dir.join("family.toml"),
        "name = \"x\"\n\n[[types]]\nname = \"a\"\ncores = 2\nmemory = \"8GiB\"\nprice_per_hour = -1.0\n",
    )
    .unwrap();
    let scenario = dir.join("s.toml");
    std::fs::write(
        &scenario,
        "[traffic]\nshape = { kind = \"constant\", rps = 1 }\n[fleet]\ntypes = \"family.toml\"\ntype = \"a\"\n",
    )
    .unwrap();
    let err = Scenario::load(&scenario, &[]).unwrap_err().to_string();
    assert!(err.contains("family.toml:7: types[0].price_per_hour: '-1' is out of range"), "{err}");
}

/// Shards with replicas, a vertical autoscaler and a database resize: the
/// same seed gives the same run, event for event.
#[test]
fn scaling_up_and_out_is_deterministic() {
    let s = from_text(
        r#"
duration = "8m"
[traffic]
shape = { kind = "ramp", from_rps = 100, to_rps = 600, over = "6m" }
write_fraction = 0.2
keys = { count = 500, zipf = 1.1 }
[fleet]
types = "../models/instance-types/m6i.toml"
type = "m6i.large"
initial = 3
workers_per_core = 16
service = { dist = "exponential", mean = "8ms" }
provisioning = { dist = "uniform", min = "10s", max = "30s" }
boot = "5s"
[database]
types = "../models/instance-types/rds-r6g.toml"
type = "db.r6g.large"
shards = 2
failover = "20s"
[replicas]
count = 1
routing = "least_active"
[vertical]
interval = "30s"
window = "2m"
[[events]]
at = "4m"
action = "resize"
tier = "database"
step = 1
"#,
    );
    let (a, b, c) = (run(&s, 3), run(&s, 3), run(&s, 4));
    assert_eq!(a.ticks, b.ticks);
    assert_eq!(a.events, b.events);
    assert_eq!(a.summary, b.summary);
    assert_ne!(a.ticks, c.ticks, "another seed, another run");
    let resized = a.events.iter().filter(|e| e.detail.starts_with("back as db.r6g.xlarge")).count();
    assert_eq!(resized, 2, "both shard primaries, one after the other");
}
