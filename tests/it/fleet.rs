//! The fleet and the balancer: slow start, draining, capacity, crashes, and
//! the threshold policy's flapping.

use std::sync::Arc;

use scalesim::engine::time::{SimDuration, SimTime};
use scalesim::output::NullSink;
use scalesim::scenario::Scenario;
use scalesim::sim::{Simulation, State};

use crate::support::{from_text, run};

fn at(secs: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(secs)
}

/// Requests completed by each instance between `from` and `to`.
fn completed_between(s: &Arc<Scenario>, from: u64, to: u64) -> Vec<u64> {
    let mut sim = Simulation::new(s.clone(), 1, Box::new(NullSink)).unwrap();
    sim.run_until(at(from));
    let before: Vec<u64> = sim.instances().iter().map(|i| i.completed).collect();
    sim.run_until(at(to));
    sim.instances().iter().map(|i| i.completed - before.get(i.id as usize).copied().unwrap_or(0)).collect()
}

fn scale_out_scenario(algorithm: &str, slow_start: &str) -> Arc<Scenario> {
    from_text(&format!(
        r#"
duration = "3m"
[traffic]
shape = {{ kind = "constant", rps = 400 }}
[balancer]
algorithm = "{algorithm}"
slow_start = "{slow_start}"
[fleet]
initial = 4
cores = 2
service = {{ dist = "exponential", mean = "5ms" }}
[[events]]
at = "60s"
action = "set_replicas"
replicas = 8
"#
    ))
}

/// Four instances are joined by four more at 60 s. Without slow start the
/// newcomers take their full share at once (ratio ≈ 1). With a 60 s ramp
/// their weight rises linearly from 0 to 0.5 over the next 30 s, so they
/// take about a quarter of a full share on average.
#[test]
fn slow_start_spreads_load_onto_new_instances_gradually() {
    for algorithm in ["round_robin", "least_outstanding"] {
        let share = |slow: &str| {
            let c = completed_between(&scale_out_scenario(algorithm, slow), 60, 90);
            let old: u64 = c[..4].iter().sum();
            let new: u64 = c[4..8].iter().sum();
            new as f64 / old as f64
        };
        let (abrupt, gradual) = (share("0s"), share("60s"));
        eprintln!("{algorithm}: new/old share without slow start {abrupt:.3}, with {gradual:.3}");
        assert!(abrupt > 0.85, "{algorithm}: without slow start new/old = {abrupt:.2}");
        assert!(gradual < 0.45, "{algorithm}: with slow start new/old = {gradual:.2}");
    }
}

fn scale_in_scenario(delay: &str) -> Arc<Scenario> {
    from_text(&format!(
        r#"
duration = "3m"
[traffic]
shape = {{ kind = "constant", rps = 400 }}
[balancer]
deregistration_delay = "{delay}"
[fleet]
initial = 8
cores = 4
workers = 64
service = {{ dist = "constant", value = "50ms" }}
[[events]]
at = "60s"
action = "set_replicas"
replicas = 4
"#
    ))
}

/// Scaling in from 8 to 4 with about 20 requests in flight across the fleet
/// (400 rps × 50 ms): with draining nothing dies; without it the four
/// victims' in-flight requests are killed.
#[test]
fn draining_avoids_killed_requests_and_its_absence_causes_them() {
    let killed = |delay| run(&scale_in_scenario(delay), 1).summary.unwrap().requests.errors["killed"];
    assert_eq!(killed("30s"), 0);
    let k = killed("0s");
    eprintln!("killed without draining: {k}");
    assert!(k >= 3, "expected killed requests without draining, got {k}");
}

/// A quota of 5 instances: scaling to 8 leaves 3 Pending for good.
#[test]
fn capacity_ceiling_leaves_instances_pending() {
    let s = from_text(
        r#"
duration = "5m"
[traffic]
shape = { kind = "constant", rps = 100 }
[fleet]
initial = 2
capacity = 5
provisioning = "10s"
[[events]]
at = "30s"
action = "set_replicas"
replicas = 8
"#,
    );
    let out = run(&s, 1);
    let last = out.ticks.last().unwrap();
    assert_eq!((last.replicas_ready, last.replicas_pending, last.capacity), (5, 3, Some(5)));
    assert!(out.events.iter().any(|e| e.detail == "created → pending"));
}

/// Nodes of 4 slots, one node to start, the node autoscaler may add two
/// more after 2 minutes: asking for 10 at 30 s leaves 6 Pending until the
/// nodes arrive at 150 s, then none.
#[test]
fn node_autoscaler_relieves_pending_instances_after_its_delay() {
    let s = from_text(
        r#"
duration = "5m"
[traffic]
shape = { kind = "constant", rps = 100 }
[fleet]
initial = 2
capacity = { nodes = 1, pods_per_node = 4, max_nodes = 3, node_provisioning = "2m" }
[[events]]
at = "30s"
action = "set_replicas"
replicas = 10
"#,
    );
    let out = run(&s, 1);
    let row = |t: f64| out.ticks.iter().find(|r| r.t_s == t).unwrap();
    assert_eq!(row(100.0).replicas_pending, 6);
    assert_eq!(row(100.0).capacity, Some(4));
    assert_eq!(row(200.0).replicas_pending, 0);
    assert_eq!(row(200.0).capacity, Some(12));
}

/// A crash kills in-flight requests, and the ReplicaSet replaces the dead.
#[test]
fn killed_instances_are_replaced() {
    let s = from_text(
        r#"
duration = "3m"
[traffic]
shape = { kind = "constant", rps = 400 }
[fleet]
initial = 10
cores = 4
service = { dist = "constant", value = "50ms" }
provisioning = "20s"
[[events]]
at = "60s"
action = "kill_instances"
fraction = 0.3
"#,
    );
    let mut sim = Simulation::new(s.clone(), 1, Box::new(NullSink)).unwrap();
    sim.run_until(at(61));
    let states: Vec<State> = sim.instances().iter().map(|i| i.state).collect();
    assert_eq!(states.iter().filter(|s| **s == State::Terminated).count(), 3);
    assert_eq!(states.iter().filter(|s| **s == State::Provisioning).count(), 3, "{states:?}");
    let summary = sim.finish().unwrap();
    assert!(summary.requests.errors["killed"] > 0);
    let out = run(&s, 1);
    assert_eq!(out.ticks.last().unwrap().replicas_ready, 10);
}

fn flapping_scenario(down: f64, up: f64, cooldown: &str) -> Arc<Scenario> {
    // 240 rps × 10 ms = 2.4 cores of work: 3 one-core instances run at 80%,
    // 4 at 60%.
    from_text(&format!(
        r#"
duration = "30m"
[traffic]
shape = {{ kind = "constant", rps = 240 }}
[fleet]
initial = 3
cores = 1
service = {{ dist = "exponential", mean = "10ms" }}
[autoscaler]
policy = "threshold"
scale_up_above = {up}
scale_down_below = {down}
cooldown = "{cooldown}"
min_replicas = 1
max_replicas = 10
"#
    ))
}

/// On a perfectly steady load, a band narrower than the step's effect
/// (3 → 80% is above 0.75, 4 → 60% is below 0.65) flips the count back and
/// forth; a wide band holds.
#[test]
fn threshold_policy_flaps_on_a_steady_load_with_a_narrow_band() {
    let reversals = |s| run(&s, 1).summary.unwrap().scaling.reversals;
    let narrow = reversals(flapping_scenario(0.65, 0.75, "0s"));
    let wide = reversals(flapping_scenario(0.4, 0.85, "0s"));
    eprintln!("reversals: narrow band {narrow}, wide band {wide}");
    assert!(narrow >= 10, "narrow band: {narrow} reversals in 30 min");
    assert!(wide <= 1, "wide band: {wide} reversals");
}
