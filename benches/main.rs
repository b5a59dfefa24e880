//! Criterion benches, one group per area: the event queue, the M/M/c
//! scenarios, the quickstart (the whole request path with autoscaling), the
//! full stack, and a 5,000-instance fleet against a 50-instance one.
//! Each reports elements per second: events for the queue, simulated
//! requests for the scenarios, runs for the sweep. Run with `cargo bench`.
//! Larger areas live in `benches/main/` (as ratatui's benches do), where
//! cargo does not take them for bench targets of their own.

mod main {
    pub(crate) mod sweep;
}

use std::path::Path;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use scalesim::engine::queue::EventQueue;
use scalesim::engine::rng::Stream;
use scalesim::engine::time::SimTime;
use scalesim::output::NullSink;
use scalesim::output::summary::FindingKind;
use scalesim::scenario::{Override, Scenario};
use scalesim::sim::Simulation;
use strum::IntoEnumIterator;

fn scenario(name: &str, sets: &[&str]) -> Arc<Scenario> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.toml"));
    let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    Arc::new(Scenario::load(&path, &overrides).unwrap_or_else(|e| panic!("{e}")))
}

/// Requests a run of `s` simulates (to report requests per second).
fn requests(s: &Arc<Scenario>) -> u64 {
    Simulation::new(s.clone(), s.seed, Box::new(NullSink)).unwrap().finish().unwrap().requests.attempts
}

/// A heap of ~1000 pending events, each pop scheduling one more: the
/// steady state of a simulation.
fn event_queue(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    const N: u64 = 1_000_000;
    g.throughput(Throughput::Elements(N));
    g.bench_function("event_queue_hold_1000", |b| {
        b.iter_batched(
            || {
                let mut q = EventQueue::new();
                let mut rng = Stream::new(1, "bench");
                for i in 0..1000u64 {
                    q.schedule(SimTime::from_nanos(rng.below(1_000_000)), i);
                }
                (q, rng)
            },
            |(mut q, mut rng)| {
                for _ in 0..N {
                    let (t, e) = q.pop().unwrap();
                    q.schedule(SimTime::from_nanos(t.as_nanos() + 1 + rng.below(1_000_000)), e);
                }
                q
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn run_scenario(c: &mut Criterion, group: &str, s: Arc<Scenario>) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.throughput(Throughput::Elements(requests(&s)));
    g.bench_function("run", |b| {
        b.iter(|| Simulation::new(s.clone(), s.seed, Box::new(NullSink)).unwrap().finish().unwrap())
    });
    g.finish();
}

/// M/M/8 at ρ = 0.8 for 10 simulated minutes (384 000 requests).
fn mmc(c: &mut Criterion) {
    run_scenario(c, "mmc", scenario("mmc", &["duration=\"10m\""]));
}

/// The quickstart: 30 simulated minutes, about 720 000 requests.
fn quickstart(c: &mut Criterion) {
    run_scenario(c, "quickstart", scenario("quickstart", &[]));
}

/// The M/M/10 of `benches/vs-bare-mmc.sh` (λ = 800/s, 10 ms, 1,250 s: about
/// a million customers), the run compared with the bare heap loop.
fn mmc_vs_bare(c: &mut Criterion) {
    let sets =
        ["fleet.cores=10", "fleet.workers=10", "traffic.shape={kind=\"constant\",rps=800}", "duration=\"1250s\""];
    run_scenario(c, "mmc_vs_bare", scenario("mmc", &sets));
}

/// The full stack on a steady diurnal load (`scenarios/steady.toml`: pools,
/// PgBouncer, a cache, the database, HPA, retries), 10 simulated minutes.
fn steady(c: &mut Criterion) {
    run_scenario(c, "steady", scenario("steady", &["duration=\"10m\""]));
}

/// Per-instance cost: the same per-instance load (one core, ρ = 0.5 under
/// least-outstanding routing) on 50 and on 5,000 instances, 500,000
/// requests each. Requests per second falls only with the event heap's
/// depth (a completion pending per busy instance), not with the fleet.
fn fleet_size(c: &mut Criterion) {
    for (n, secs) in [(50u32, 200u32), (5000, 2)] {
        let sets = [
            format!("fleet.initial={n}"),
            "fleet.cores=1".into(),
            "fleet.workers=1".into(),
            "balancer.algorithm=\"least_outstanding\"".into(),
            format!("traffic.shape={{kind=\"constant\",rps={}}}", n * 50),
            format!("duration=\"{secs}s\""),
        ];
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        run_scenario(c, &format!("fleet/{n}_instances"), scenario("mmc", &sets));
    }
}

/// Events a run of `s` handles.
fn events(s: &Arc<Scenario>) -> u64 {
    let mut sim = Simulation::new(s.clone(), s.seed, Box::new(NullSink)).unwrap();
    sim.run();
    sim.events_handled()
}

/// The full stack — local and shared caches, pools, database — on the NASA
/// keyed trace, a fleet scaling past its connection budget, and a primary
/// with three read replicas (the multi-database path); reported in events
/// per second.
fn full_stack(c: &mut Criterion) {
    for name in ["data/nasa-cache", "data/connection-budget", "scale/nasa-replicas"] {
        let s = scenario(name, &[]);
        let mut g = c.benchmark_group(format!("full_stack/{}", name.rsplit('/').next().unwrap_or(name)));
        g.sample_size(10);
        g.throughput(Throughput::Elements(events(&s)));
        g.bench_function("events", |b| {
            b.iter(|| Simulation::new(s.clone(), s.seed, Box::new(NullSink)).unwrap().finish().unwrap())
        });
        g.finish();
    }
}

/// What the failure-mode detectors cost: the quickstart with all of them
/// and with none.
fn detectors(c: &mut Criterion) {
    let kinds: Vec<&str> = FindingKind::iter().map(FindingKind::name).collect();
    let none = format!("analysis.disable={kinds:?}");
    for (label, sets) in [("all_detectors", vec![]), ("no_detectors", vec![none.as_str()])] {
        let s = scenario("quickstart", &sets);
        let mut g = c.benchmark_group(format!("detectors/{label}"));
        g.sample_size(20);
        g.bench_function("quickstart", |b| {
            b.iter(|| Simulation::new(s.clone(), s.seed, Box::new(NullSink)).unwrap().finish().unwrap())
        });
        g.finish();
    }
}

criterion_group!(benches, event_queue, mmc, mmc_vs_bare, quickstart, steady, full_stack, fleet_size, detectors);
criterion_group!(sweeps, main::sweep::bench);
criterion_main!(benches, sweeps);
