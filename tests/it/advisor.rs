//! The advisor's figures, checked against arithmetic done by hand.

use scalesim::analysis::advisor::{Verdict, advise};

use crate::support::{load, scenario_path};

fn figure(name: &str, topic: &str) -> (String, Verdict) {
    let s = load(&scenario_path(name), &[]);
    let a = advise(&s).into_iter().find(|a| a.topic == topic).unwrap_or_else(|| panic!("{name}: no '{topic}'"));
    (a.to_string(), a.verdict)
}

#[test]
fn connection_budget_names_the_replica_that_breaks_it() {
    // connection-budget: pools of 20, max_connections 500 with 3 reserved:
    // 497 usable. 40 replicas × 20 = 800 > 497; floor(497 / 20) = 24 pools
    // fit, so replica 25 is the first that cannot open; a budget of
    // floor(497 / 40) = 12 per pool would fit 40 replicas.
    let (text, verdict) = figure("data/connection-budget", "connection budget");
    assert_eq!(verdict, Verdict::Warn);
    for part in [
        "40 replicas × 20 = 800 connections vs 497 usable",
        "replica 25 is the first",
        "size ≤ 12",
        "cap max replicas at 24",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }
    // With the pooler: 32 server connections ≤ 497, 800 clients ≤ 5000.
    let (text, verdict) = figure("data/connection-budget-pooler", "connection budget");
    assert_eq!(verdict, Verdict::Ok, "{text}");
}

#[test]
fn usl_peak_and_the_replicas_that_reach_it() {
    // downstream-saturation: α = 0.03, β = 0.0005 → n* = sqrt(0.97/0.0005)
    // = 44.05, below its 64 cores, so the peak is n* itself; pools of 10
    // reach it with ceil(44.05 / 10) = 5 replicas; max replicas 40 allow
    // 400 concurrent queries, 9× the peak.
    let (text, verdict) = figure("failure-modes/downstream-saturation", "database USL peak");
    assert_eq!(verdict, Verdict::Warn);
    assert!(text.contains("= 44 concurrent queries;"), "{text}");
    assert!(text.contains("reached by 5 replica(s) of 10 connections; up to 400 at max replicas"), "{text}");
    // Capped at 4 replicas: 40 ≤ 2 × 44.
    assert_eq!(figure("failure-modes/downstream-saturation-fixed", "database USL peak").1, Verdict::Ok);
}

#[test]
fn instances_needed_at_the_peak() {
    // connection-budget: a step to 1500 rps; 20 ms of CPU per request on
    // 2 cores at the threshold's 60% → 2 × 0.6 / 0.020 = 60 rps per
    // instance; 1500 / 60 = 25 instances ≤ 40.
    let (text, verdict) = figure("data/connection-budget", "peak capacity");
    assert_eq!(verdict, Verdict::Ok);
    assert!(text.contains("peak 1500 rps") && text.contains("= 60.0 rps each) = 25 instances"), "{text}");
}

#[test]
fn ramp_against_decision_to_ready() {
    // cold-start: the World Cup surge, 6× faster, doubles within 120 s at
    // its fastest; decision to ready = 15 s sync + (15 s delay + 15 s
    // scrape) + 30 s provisioning (uniform 15–45 s) + 20 s boot + 90 s
    // warm-up = 185 s > 120 s: a warning. With the warm pool: 15 + 30 + 3 +
    // 5 + 10 = 63 s < 120 s.
    let (text, verdict) = figure("failure-modes/cold-start", "ramp vs readiness");
    assert_eq!(verdict, Verdict::Warn, "{text}");
    assert!(text.contains("doubles in 120 s") && text.contains("= 185 s"), "{text}");
    let (text, verdict) = figure("failure-modes/cold-start-fixed", "ramp vs readiness");
    assert_eq!(verdict, Verdict::Ok, "{text}");
    assert!(text.contains("= 63 s"), "{text}");
}

#[test]
fn retry_amplification_and_capacity() {
    // retry-storm: 4 attempts per request, fixed backoff without jitter.
    let (text, verdict) = figure("failure-modes/retry-storm", "retry amplification");
    assert_eq!(verdict, Verdict::Warn);
    assert!(text.starts_with("retry amplification  4× offered load"), "{text}");
    // capacity-pending: nodes of 4 pods, at most 10 nodes: 40 slots for a
    // max of 40 replicas — fits once the nodes are there.
    let (text, verdict) = figure("failure-modes/capacity-pending", "max vs capacity");
    assert_eq!(verdict, Verdict::Ok, "{text}");
    assert!(text.contains("max replicas 40 vs schedulable capacity 40"), "{text}");
}

#[test]
fn write_lock_at_the_peak_against_one() {
    // write-lock-saturation: 900 rps at peak, a quarter writes = 225/s,
    // each holding the lock 4.5 ms: 225 × 0.0045 = 1.01 — past the single
    // writer's 1 / 4.5 ms = 222 writes/s, with the database's CPU low.
    let (text, verdict) = figure("failure-modes/write-lock-saturation", "write lock");
    assert_eq!(verdict, Verdict::Warn, "{text}");
    for part in
        ["peak 225 writes/s (25% of the load)", "4.5 ms per write", "= 101% busy", "capacity 222 writes/s", "shard"]
    {
        assert!(text.contains(part), "{part}: {text}");
    }
    // The fix, 2.5 ms writes: 225 × 0.0025 = 56%.
    let (text, verdict) = figure("failure-modes/write-lock-saturation-fixed", "write lock");
    assert_eq!(verdict, Verdict::Ok, "{text}");
    assert!(text.contains("= 56% busy"), "{text}");
    // No writes, no figure.
    let s = load(&scenario_path("failure-modes/max-replicas-reached"), &[]);
    assert!(!advise(&s).iter().any(|a| a.topic == "write lock"));
}
