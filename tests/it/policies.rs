//! Scaling policies at the scenario level: what each does to a simulated
//! fleet over time, checked against what the real system's rules imply.

use scalesim::output::EventKind;
use scalesim::output::{EventRow, MemorySink};
use scalesim::policy::hpa::HpaControllerConfig;
use scalesim::policy::hpa::record::ReplayOptions;
use scalesim::sim::Simulation;

use crate::support::{Shared, from_text, root, run, temp_dir};

/// A scale decision from `events.csv`: time, old count, new count, reason.
#[derive(Debug, Clone, PartialEq)]
struct Scale {
    t: f64,
    from: u32,
    to: u32,
    reason: String,
}

fn scales(out: &MemorySink) -> Vec<Scale> {
    out.events.iter().filter(|e| e.kind == EventKind::Scale).map(parse_scale).collect()
}

fn parse_scale(e: &EventRow) -> Scale {
    let (counts, reason) = e.detail.split_once(": ").expect("old → new: reason");
    let (from, to) = counts.split_once(" → ").expect("old → new");
    Scale {
        t: e.at.as_secs_f64(),
        from: from.parse().expect("old count"),
        to: to.parse().expect("new count"),
        reason: reason.to_string(),
    }
}

/// A fleet whose CPU is easy to reason about: each request costs exactly
/// 10 ms of one core, arrivals are evenly spaced and the balancer is round
/// robin, so utilization = rps × 0.01 / (replicas × cpu_request). The
/// pipeline scrapes every 15 s, averages over 15 s and shows it at once,
/// so a sync at t reads the load of (t − 15 s, t].
const EXACT_FLEET: &str = r#"
[balancer]
algorithm = "round_robin"
deregistration_delay = "0s"

[metrics]
scrape_interval = "15s"
window = "15s"
delay = "0s"
"#;

fn scenario(head: &str, fleet: &str, autoscaler: &str) -> String {
    format!("{head}\n{EXACT_FLEET}\n[fleet]\n{fleet}\n[autoscaler]\n{autoscaler}\n")
}

#[test]
fn hpa_step_drop_waits_out_the_stabilization_window_then_sheds_one_pod_a_minute() {
    // 800 rps on 16 pods of 1 core = 50% CPU, exactly the target, until the
    // load drops to 200 rps at 600 s. The first sync that sees the drop is
    // at 615 s (its sample covers 600–615 s) and recommends
    // ceil(16 × 12/50) = 4. With scaleDown.stabilizationWindowSeconds: 300
    // the controller keeps the largest recommendation of the last 300 s, so
    // the first scale-down comes when the 600 s recommendation (16) leaves
    // the window: at 900 s = drop + 300 s (± one 15 s sync). The Pods 1/60s
    // policy then allows one pod per 60 s: 16 → 15 → 14 ... a minute apart.
    let text = scenario(
        "duration = \"25m\"\n[traffic]\nshape = { kind = \"step\", base_rps = 200, peak_rps = 800, at = \"0s\", hold = \"10m\" }\narrivals = \"uniform\"",
        "initial = 16\ncores = 1\nworkers = 64\nqueue = 10000\nservice = \"10ms\"",
        r#"policy = "hpa"
minReplicas = 1
maxReplicas = 20
metrics = [{ type = "Resource", resource = { name = "cpu", target = { type = "Utilization", averageUtilization = 50 } } }]
behavior = { scaleDown = { stabilizationWindowSeconds = 300, policies = [{ type = "Pods", value = 1, periodSeconds = 60 }] } }
"#,
    );
    let out = run(&from_text(&text), 1);
    let s = scales(&out);
    assert!(!s.is_empty(), "no scale-down at all");
    assert!(s.iter().all(|e| e.to < e.from), "only scale-downs expected: {s:?}");
    let drop = 600.0;
    assert!((s[0].t - (drop + 300.0)).abs() <= 15.0, "first scale-down at {} s, expected 900 ± 15 s: {s:?}", s[0].t);
    assert!(s[0].reason.contains("limited by policy Pods 1/60s"), "{}", s[0].reason);
    for pair in s.windows(2) {
        assert_eq!(pair[1].from - pair[1].to, 1, "one pod at a time: {pair:?}");
        assert!(pair[1].t - pair[0].t >= 60.0, "at most one pod per 60 s: {pair:?}");
    }
    // 900, 960, ..., 1500 s: eleven steps of one pod, 16 → 5.
    assert_eq!(s.len(), 11, "{s:?}");
    assert_eq!(s.last().map(|e| e.to), Some(5));
}

#[test]
fn hpa_step_rise_without_behavior_is_capped_at_twice_current_or_four_per_sync() {
    // 40 rps on 2 pods (4 cores, request 0.5 core): 40% of request, no
    // scale. At 2 min the load jumps to 1000 rps: the 2 pods saturate their
    // 4 cores = 800% of request, so the metric asks for ceil(2 × 800/50) =
    // 32 pods. Without `behavior` the legacy path caps each sync at
    // max(2 × current, 4): 2 → 4 first, and never more than double.
    let text = scenario(
        "duration = \"10m\"\n[traffic]\nshape = { kind = \"step\", base_rps = 40, peak_rps = 1000, at = \"2m\" }\narrivals = \"uniform\"",
        "initial = 2\ncores = 4\ncpu_request = 0.5\nworkers = 256\nqueue = 100000\nservice = \"10ms\"\nprovisioning = \"5s\"\nboot = \"5s\"",
        r#"policy = "hpa"
minReplicas = 2
maxReplicas = 100
metrics = [{ type = "Resource", resource = { name = "cpu", target = { type = "Utilization", averageUtilization = 50 } } }]
"#,
    );
    let out = run(&from_text(&text), 1);
    let s = scales(&out);
    let ups: Vec<&Scale> = s.iter().filter(|e| e.to > e.from).collect();
    assert!(!ups.is_empty(), "no scale-up: {s:?}");
    assert_eq!((ups[0].from, ups[0].to), (2, 4), "first step is max(2×2, 4) = 4: {:?}", ups[0]);
    assert!(ups[0].reason.contains("limited by scale-up limit"), "{}", ups[0].reason);
    for e in &ups {
        assert!(e.to <= (2 * e.from).max(4), "over max(2·current, 4): {e:?}");
    }
    // 1000 rps × 10 ms = 10 cores busy = 20 pods at 100% of request, 40 at
    // 50%: it keeps climbing well past the first steps.
    let peak = s.iter().map(|e| e.to).max().unwrap_or(0);
    assert!(peak >= 30, "peak {peak}: {s:?}");
}

/// 500 rps on 10 pods of 1 core = 50% CPU. At 3 min two pods are killed
/// and replaced; the new ones burn a whole core for their 60 s boot (a
/// start-up burst, before readiness) and serve nothing meanwhile, so the 8
/// survivors run at 62.5%.
fn burst_scenario(flags: &str) -> String {
    scenario(
        "duration = \"12m\"\n[traffic]\nshape = { kind = \"constant\", rps = 500 }\narrivals = \"uniform\"\n\n[[events]]\nat = \"3m\"\naction = \"kill_instances\"\ncount = 2",
        "initial = 10\ncores = 1\nworkers = 64\nqueue = 10000\nservice = \"10ms\"\nboot = \"60s\"\nboot_cpu = 1.0",
        &format!(
            r#"policy = "hpa"
minReplicas = 1
maxReplicas = 40
metrics = [{{ type = "Resource", resource = {{ name = "cpu", target = {{ type = "Utilization", averageUtilization = 50 }} }} }}]
{flags}
"#
        ),
    )
}

#[test]
fn hpa_ignores_a_new_pods_cpu_burst_inside_the_initialization_period() {
    // Inside the CPU initialization period (5 min) a not-ready pod is
    // "unready": on a scale-up its CPU counts as 0, so the fleet reads
    // (8 × 62.5% + 2 × 0%) / 10 = 50% = target and nothing is added.
    let out = run(&from_text(&burst_scenario("")), 1);
    let peak = scales(&out).iter().map(|e| e.to).max().unwrap_or(10);
    assert!(peak <= 11, "a scale-up cascade from start-up bursts: peak {peak}: {:?}", scales(&out));

    // The control: with both periods at 0 the booting pods' burst counts
    // ((8 × 62.5% + 2 × 100%) / 10 = 70% → 14 pods), and every new pod
    // bursts in turn. This is what the initialization period prevents.
    let unprotected = burst_scenario("cpu_initialization_period = \"0s\"\ninitial_readiness_delay = \"0s\"");
    let out = run(&from_text(&unprotected), 1);
    let peak = scales(&out).iter().map(|e| e.to).max().unwrap_or(10);
    assert!(peak >= 14, "the burst should drive an unprotected HPA up: peak {peak}: {:?}", scales(&out));
}

#[test]
fn scalesim_hpa_replay_reproduces_the_decisions_of_a_full_run() {
    // A full run under a shipped manifest (behavior with windows and rate
    // policies, so the controller's history matters), with provisioning,
    // a kill fault (pending and replaced pods) and a diurnal load. The run
    // records what the controller read at each sync; replaying that file
    // through `scalesim hpa` with the same manifest must give the same
    // decisions, byte for byte, at the same times.
    let text = r#"
name = "replay"
duration = "40m"
seed = 3
[traffic]
shape = { kind = "diurnal", mean_rps = 300, amplitude = 0.6, period = "20m" }
[balancer]
algorithm = "least_outstanding"
[fleet]
initial = 3
cores = 2
cpu_request = 1.0
service = { dist = "exponential", mean = "10ms" }
provisioning = { dist = "uniform", min = "5s", max = "20s" }
boot = "10s"
boot_cpu = 0.5
[metrics]
scrape_interval = "15s"
window = "30s"
delay = "15s"
[autoscaler]
policy = "hpa"
manifest = "../models/policies/hpa-aggressive-up-conservative-down.yaml"
[[events]]
at = "12m"
action = "kill_instances"
fraction = 0.5
"#;
    let scenario = from_text(text);
    let shared = Shared::default();
    shared.0.lock().unwrap().policy_inputs = Some(String::new());
    Simulation::new(scenario, 3, Box::new(shared.clone())).unwrap().finish().unwrap();
    let out = shared.0.lock().unwrap().clone();
    let run_decisions: Vec<(String, String)> =
        scales(&out).iter().map(|e| (format!("{}", e.t), format!("{} → {}: {}", e.from, e.to, e.reason))).collect();
    assert!(run_decisions.len() >= 4, "too few decisions to compare: {run_decisions:?}");

    let dir = temp_dir("hpa-replay");
    let inputs = dir.join("hpa_inputs.csv");
    std::fs::write(&inputs, out.policy_inputs.unwrap()).unwrap();
    let manifest = root().join("models/policies/hpa-aggressive-up-conservative-down.yaml");
    let decisions = dir.join("decisions.csv");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_scalesim"))
        .args(["hpa", "--manifest"])
        .arg(&manifest)
        .arg("--metrics")
        .arg(&inputs)
        .arg("--out")
        .arg(&decisions)
        .status()
        .unwrap();
    assert!(status.success());
    let mut reader = csv::Reader::from_path(&decisions).unwrap();
    let replayed: Vec<(String, String)> = reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[3] == "true")
        .map(|r| (r[0].to_string(), format!("{} → {}: {}", &r[1], &r[2], &r[4])))
        .collect();
    assert_eq!(replayed, run_decisions);

    // The library entry point agrees with the binary, and replaying on a
    // coarser grid is possible (it need not agree: it reads fewer syncs).
    let csv = scalesim::cli::hpa_replay(
        &manifest,
        &inputs,
        HpaControllerConfig::default(),
        scalesim::engine::time::SimDuration::from_secs(60),
        &ReplayOptions::default(),
    )
    .unwrap();
    assert_eq!(csv, std::fs::read_to_string(&decisions).unwrap());
}

#[test]
fn target_tracking_scales_out_fast_and_in_slowly_on_a_symmetric_step() {
    // 100 rps, then 500 rps from 5 to 20 min, then 100 rps again: a
    // symmetric up-down. Each request costs 10 ms of CPU and a pod requests
    // 1 core, so 2 pods run at 50% (the target) before the rise and 10
    // would after it. On the rise 2 pods read 250% for 3 one-minute
    // datapoints and the policy jumps to ceil(2 × 250/50) = 10 at once. On
    // the fall the low alarm needs 15 datapoints below 45%, then removes at
    // most 10% (one pod) and needs 15 fresh datapoints again.
    let text = scenario(
        "duration = \"45m\"\n[traffic]\nshape = { kind = \"step\", base_rps = 100, peak_rps = 500, at = \"5m\", hold = \"15m\" }\narrivals = \"uniform\"",
        "initial = 2\ncores = 4\ncpu_request = 1.0\nworkers = 256\nqueue = 100000\nservice = \"10ms\"\nprovisioning = \"10s\"\nboot = \"10s\"",
        "policy = \"target_tracking\"\nmetric = \"cpu\"\ntarget = 0.5\ninstance_warmup = \"60s\"\nmin_replicas = 2\nmax_replicas = 20\n",
    );
    let s = scales(&run(&from_text(&text), 1));
    let (rise, drop) = (300.0, 1200.0);
    let first_out = s.iter().find(|e| e.to > e.from).expect("a scale-out");
    let first_in = s.iter().find(|e| e.to < e.from).expect("a scale-in");
    let (t_out, t_in) = (first_out.t - rise, first_in.t - drop);
    assert!(first_out.to - first_out.from >= 5, "proportional scale-out: {first_out:?}");
    assert!(t_out <= 300.0, "out after {t_out} s: {s:?}");
    assert!(t_in >= 15.0 * 60.0, "in after {t_in} s: {s:?}");
    assert!(t_in >= 3.0 * t_out, "out in {t_out} s, in in {t_in} s");
    for e in s.iter().filter(|e| e.to < e.from) {
        assert!(e.from - e.to <= (e.from / 10).max(1), "gradual scale-in: {e:?}");
    }
}

fn step_scenario(warmup: &str) -> String {
    scenario(
        "duration = \"20m\"\n[traffic]\nshape = { kind = \"constant\", rps = 1000 }\narrivals = \"uniform\"",
        "initial = 2\ncores = 8\ncpu_request = 1.0\nworkers = 512\nqueue = 100000\nservice = \"10ms\"\nprovisioning = \"10s\"\nboot = \"10s\"",
        &format!(
            r#"policy = "step"
metric = "cpu"
instance_warmup = "{warmup}"
min_replicas = 2
max_replicas = 30
scale_out = {{ threshold = 0.7, steps = [{{ lower = 0.0, adjustment = 1 }}] }}
"#
        ),
    )
}

#[test]
fn step_scaling_waits_for_warm_up_before_adding_again() {
    // 1000 rps × 10 ms = 10 cores of work: the alarm (CPU ≥ 70%) holds for
    // the whole run and the single step adds one instance. While that
    // instance warms up (180 s) it counts toward the adjustment, so the
    // breach datapoints every 60 s add nothing: scale-outs are 180 s apart.
    let s = scales(&run(&from_text(&step_scenario("180s")), 1));
    assert!(s.len() >= 4, "{s:?}");
    assert!(s.iter().all(|e| e.to == e.from + 1), "{s:?}");
    for pair in s.windows(2) {
        assert!(pair[1].t - pair[0].t >= 180.0, "added again inside the warm-up: {pair:?}");
    }
    // Without warm-up it adds at every 60 s datapoint.
    let s = scales(&run(&from_text(&step_scenario("0s")), 1));
    assert!(s.windows(2).any(|p| p[1].t - p[0].t < 180.0), "{s:?}");
}

#[test]
fn queue_policy_scales_from_zero_on_the_first_item_past_the_activation_threshold_and_back() {
    // No instance and no traffic until 2 min; then a one-minute batch at
    // 5 rps. The balancer holds requests while nothing can take them
    // (queue = 10000). The first request arrives at 120 s and is held; the
    // 120 s scrape sees it (the queue gauge averaged over 105–120 s is
    // 0.5 > activationThreshold 0) and the operator's poll at 120 s (polls
    // every 30 s from 0) activates: 0 → 1 at 120 s exactly. The instance is
    // up 10 s later and the queue is empty from then on, so the last active
    // poll is the one at 120 s and the ScaledObject goes back to zero
    // cooldownPeriod (300 s) later, at 420 s. Nothing in between: the HPA
    // it feeds reads an empty queue and keeps minReplicas 1.
    let text = scenario(
        "duration = \"10m\"\n[traffic]\nshape = { kind = \"step\", base_rps = 0, peak_rps = 5, at = \"2m\", hold = \"1m\" }\narrivals = \"uniform\"",
        "initial = 0\ncores = 1\nworkers = 16\nqueue = 1000\nservice = \"10ms\"\nprovisioning = \"5s\"\nboot = \"5s\"",
        "policy = \"queue\"\nmetric = \"queue\"\nthreshold = 10\nactivationThreshold = 0\npollingInterval = \"30s\"\ncooldownPeriod = \"300s\"\nminReplicaCount = 0\nmaxReplicaCount = 10\n",
    )
    .replace("deregistration_delay = \"0s\"", "deregistration_delay = \"0s\"\nqueue = 10000");
    let out = run(&from_text(&text), 1);
    let s = scales(&out);
    assert_eq!(s.len(), 2, "{s:?}");
    assert_eq!((s[0].t, s[0].from, s[0].to), (120.0, 0, 1), "{s:?}");
    assert!(s[0].reason.contains("queue 0.5 > activationThreshold 0"), "{}", s[0].reason);
    assert_eq!((s[1].t, s[1].from, s[1].to), (420.0, 1, 0), "{s:?}");
    // The held requests were served, none lost (about 60 s × 5 rps).
    let r = out.summary.unwrap().requests;
    assert!(r.arrivals >= 300 && r.succeeded == r.arrivals, "{r:?}");
}

#[test]
fn a_manifest_merges_under_inline_fields_and_overrides_reach_into_it() {
    use scalesim::policy::PolicyConfig;
    use scalesim::policy::hpa::{MetricSpec, MetricTarget};
    // The quickstart names hpa-cpu-60.yaml (maxReplicas 20) and sets
    // maxReplicas = 30 inline; --set reaches into the manifest's list and
    // adds a behavior the manifest does not have.
    let s = crate::support::load(
        &crate::support::scenario_path("quickstart"),
        &[
            "autoscaler.metrics[0].resource.target.averageUtilization=70",
            "autoscaler.behavior.scaleDown.stabilizationWindowSeconds=60",
        ],
    );
    let PolicyConfig::Hpa(c) = &s.autoscaler.config else { panic!("not an hpa: {:?}", s.autoscaler.config) };
    assert_eq!((c.spec.min_replicas, c.spec.max_replicas), (2, 30));
    assert!(matches!(&c.spec.metrics[0], MetricSpec::Resource { target: MetricTarget::Utilization(70), .. }));
    let b = c.spec.behavior.as_ref().expect("a behavior from --set");
    assert_eq!(b.scale_down.stabilization_window_seconds, Some(60));
    assert_eq!(b.scale_up.policies.len(), 2, "the API defaults fill the rest");
}

#[test]
fn every_shipped_manifest_drives_a_scenario() {
    let dir = root().join("models/policies");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "yaml") {
            continue;
        }
        let text = format!(
            "duration = \"2m\"\n[traffic]\nshape = {{ kind = \"constant\", rps = 50 }}\n[fleet]\ninitial = 2\n[autoscaler]\npolicy = \"hpa\"\nmanifest = {:?}\n",
            path.to_str().unwrap()
        );
        let out = run(&from_text(&text), 1);
        assert!(out.summary.is_some(), "{}", path.display());
        n += 1;
    }
    assert!(n >= 4, "manifests went missing");
}

#[test]
fn predictive_scaling_is_ahead_of_the_load_in_the_second_cycle() {
    // A 20-minute "day" run twice: 20 → 180 rps and back (diurnal, mean
    // 100, amplitude 0.8, peak at 5 min), 10 ms of a 1-core pod per request
    // behind an HPA at 60% CPU. In the first cycle there is no history and
    // only the HPA reacts, after the metric rises. In the second, the rate
    // seen one cycle earlier over the next 3 min raises the HPA's
    // minReplicas ahead of it. Expected: the fleet reaches the 3 pods the
    // peak needs (1.8 cores of work at 60%) at least a minute sooner after
    // the start of cycle 2 than after the start of cycle 1.
    let text = r#"
duration = "40m"
[traffic]
shape = { kind = "diurnal", mean_rps = 100, amplitude = 0.8, period = "20m", peak_at = "5m" }
arrivals = "uniform"
[balancer]
algorithm = "round_robin"
[fleet]
initial = 2
cores = 1
workers = 64
queue = 10000
service = "10ms"
provisioning = "20s"
boot = "20s"
[metrics]
scrape_interval = "15s"
window = "30s"
delay = "15s"
[autoscaler]
policy = "predictive"
cycle = "20m"
lead = "3m"
rps_per_replica = 45
[autoscaler.reactive]
policy = "hpa"
manifest = "../models/policies/hpa-cpu-60.yaml"
"#;
    let out = run(&from_text(text), 1);
    let s = scales(&out);
    let first_at =
        |from: f64, n: u32| s.iter().find(|e| e.t >= from && e.t < from + 1200.0 && e.to >= n).map(|e| e.t - from);
    let cycle1 = first_at(0.0, 3).expect("cycle 1 reaches 3");
    let cycle2 = first_at(1200.0, 3).expect("cycle 2 reaches 3");
    assert!(cycle2 + 60.0 <= cycle1, "cycle 1 at +{cycle1} s, cycle 2 at +{cycle2} s: {s:?}");
    assert!(s.iter().any(|e| e.t >= 1200.0 && e.reason.starts_with("forecast")), "{s:?}");
}

#[test]
fn scheduled_actions_move_the_bounds_of_the_reactive_policy() {
    // A constant light load that the HPA would serve with 2 pods; the
    // schedule raises the floor to 6 at 2 min and drops it to 2 at 6 min,
    // every 10 min. The HPA follows the floor up at once (spec.replicas
    // below minReplicas), and down under its own 5-minute stabilization.
    let text = r#"
duration = "20m"
[traffic]
shape = { kind = "constant", rps = 50 }
arrivals = "uniform"
[fleet]
initial = 2
cores = 1
service = "10ms"
[autoscaler]
policy = "scheduled"
every = "10m"
actions = [{ at = "2m", min = 6 }, { at = "6m", min = 2 }]
[autoscaler.reactive]
policy = "hpa"
manifest = "../models/policies/hpa-cpu-60.yaml"
"#;
    let s = scales(&run(&from_text(text), 1));
    let ups: Vec<f64> = s.iter().filter(|e| e.from < 6 && e.to == 6).map(|e| e.t).collect();
    assert_eq!(ups, [120.0, 720.0], "{s:?}");
    assert!(s[0].reason.starts_with("scheduled action at 2m: min 6"), "{}", s[0].reason);
    assert!(s.iter().any(|e| e.t > 360.0 && e.t < 720.0 && e.to < e.from), "back down after 6 min: {s:?}");
}

#[test]
fn every_policy_scenario_is_deterministic() {
    // Same scenario and seed, same outputs: each policy keeps its state in
    // ordered structures and draws nothing at random. Checked on the first
    // 4 minutes of each shipped policy scenario.
    let dir = root().join("scenarios/policies");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 9, "policy scenarios went missing");
    for f in files {
        let s = crate::support::load(&f, &["duration=\"4m\""]);
        let (a, b) = (run(&s, 5), run(&s, 5));
        assert_eq!(a.events, b.events, "{}", f.display());
        assert_eq!(a.ticks, b.ticks, "{}", f.display());
    }
}

#[test]
fn an_operator_can_change_an_hpa_field_during_the_run() {
    // The game-day action set_policy_field reaches the HPA's spec (merged
    // from its manifest) by its manifest path; the controller keeps its
    // history. A bad value is refused before the run, at its line.
    let base = r#"
duration = "6m"
[traffic]
shape = { kind = "constant", rps = 50 }
[autoscaler]
policy = "hpa"
manifest = "../models/policies/hpa-aggressive-up-conservative-down.yaml"
[[events]]
at = "3m"
action = "set_policy_field"
field = "behavior.scaleDown.stabilizationWindowSeconds"
"#;
    let out = run(&from_text(&format!("{base}value = 30\n")), 1);
    let e = out.events.iter().find(|e| e.kind == EventKind::Intervention).expect("the action is logged");
    assert_eq!(e.detail, "behavior.scaleDown.stabilizationWindowSeconds = 30");
    let err = scalesim::scenario::Scenario::from_text(
        &root().join("scenarios/inline.toml"),
        &format!("{base}value = 7200\n"),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("inline.toml:12: events[0].value.behavior.scaleDown.stabilizationWindowSeconds"), "{err}");
}
