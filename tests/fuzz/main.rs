//! The fuzzing harness (issue 13): generated scenario files, `--set`
//! overrides, sweep files with `skip_if` expressions, traces and request
//! logs, HPA manifests, `hpa --metrics` files and shards for `merge`, each
//! fed to the real binary (see `harness`). The property of every target:
//! scalesim ends with 0, 1 or 2 — never a panic, an abort, a hang or an
//! absurd allocation.
//!
//! `cargo test` runs each target on the same 256 seeded inputs. The long,
//! random hunt:
//! `SCALESIM_FUZZ_SECS=600 cargo test --test fuzz -- --test-threads 1 --nocapture`
//! (each target prints its case count). A failure prints the shrunk input;
//! it becomes a regression case in `cases/` (see `cases`).
//!
//! Stable Rust only: proptest's generators and shrinking rather than
//! `cargo fuzz`, which needs a nightly toolchain.

mod cases;
mod harness;
mod mutate;

use std::fs;
use std::path::Path;

use proptest::prelude::*;
use proptest::sample::select;

use harness::{judge, scalesim, workdir};
use mutate::{mutated, words};

/// A small scenario: a valid run takes milliseconds.
const SMALL: &str = r#"name = "small"
duration = "20s"
seed = 5
tick = "1s"
slo = { p99 = "100ms", availability = 0.99 }

[traffic]
shape = { kind = "ramp", from_rps = 5, to_rps = 40, over = "10s" }
write_fraction = 0.1
keys = { count = 100, zipf = 1.0 }

[client]
timeout = "2s"
retry = { max_attempts = 2, backoff = "exponential", base = "100ms", cap = "1s", jitter = "full" }

[fleet]
initial = 2
cores = 1
workers = 8
queue = 64
service = { dist = "lognormal", mean = "10ms", cv = 1.0 }
provisioning = "2s"
boot = "1s"

[metrics]
scrape_interval = "5s"
window = "10s"

[autoscaler]
policy = "threshold"
scale_up_above = 0.7
scale_down_below = 0.3
interval = "5s"
min_replicas = 1
max_replicas = 6

[[events]]
at = "10s"
action = "kill_instances"
count = 1
"#;

const SCENARIOS: &[&str] = &[
    SMALL,
    include_str!("../../scenarios/steady.toml"),
    include_str!("../../scenarios/quickstart.toml"),
    include_str!("../../scenarios/gameday.toml"),
    include_str!("../../scenarios/mmc.toml"),
];

/// Field names and values that mean something to a scenario.
const SCENARIO_WORDS: &[&str] = &[
    "duration",
    "tick",
    "seed",
    "name",
    "[traffic]",
    "[fleet]",
    "[autoscaler]",
    "[database]",
    "[cache]",
    "[pool]",
    "[client]",
    "[balancer]",
    "[metrics]",
    "[[events]]",
    "shape",
    "kind",
    "rps",
    "constant",
    "ramp",
    "diurnal",
    "trace",
    "requests",
    "scale",
    "speedup",
    "offset",
    "keys",
    "count",
    "zipf",
    "dist",
    "mean",
    "cv",
    "gamma",
    "lognormal",
    "exponential",
    "deterministic",
    "uniform",
    "min",
    "max",
    "initial",
    "capacity",
    "cores",
    "workers",
    "queue",
    "policy",
    "hpa",
    "fixed",
    "threshold",
    "target_tracking",
    "step",
    "predictive",
    "scheduled",
    "queue",
    "manifest",
    "\"../models/policies/hpa-cpu-60.yaml\"",
    "model",
    "\"../models/apps/web-api.toml\"",
    "at",
    "action",
    "kill_instances",
    "kill_zone",
    "zone",
    "resize",
    "set_replicas",
    "nodes",
    "pods_per_node",
    "max_nodes",
    "\"1h\"",
    "\"10ms\"",
    "\"200000d\"",
];

/// What `check` says about a mutated scenario.
#[test]
fn scenario_files() {
    let dir = workdir("scenario");
    fuzz("scenario", mutated(SCENARIOS, words(SCENARIO_WORDS)), &dir, |dir, text| {
        fs::write(dir.join("scenarios/f.toml"), text)?;
        Ok(vec!["check".into(), "scenarios/f.toml".into()])
    });
}

/// `--set` paths and values, valid and not, one to three at a time.
#[test]
fn set_overrides() {
    let dir = workdir("set");
    fs::write(dir.join("scenarios/s.toml"), SMALL).unwrap();
    let segment = select(
        &[
            "duration",
            "tick",
            "traffic",
            "shape",
            "rps",
            "fleet",
            "initial",
            "service",
            "mean",
            "cv",
            "autoscaler",
            "max_replicas",
            "events",
            "[0]",
            "[1]",
            "[99]",
            "at",
            "client",
            "retry",
            "keys",
            "count",
            "database",
            "cache",
            "x",
            "",
            "é",
            "a b",
            "[",
            "]",
            "[-1]",
            "[18446744073709551616]",
            "\"q\"",
        ][..],
    );
    let path = prop::collection::vec(segment, 1..6).prop_map(|s| s.join(".").replace(".[", "["));
    let value = select(words(&["\"1m\"", "{ kind = \"constant\", rps = 1 }", "[1, 2]", "\"kill_instances\""]));
    let set = (path, value).prop_map(|(p, v)| format!("{p}={v}"));
    let sets = prop::collection::vec(set, 1..4).prop_map(|v| v.join("\u{1}"));
    fuzz("set", sets, &dir, |_, joined| {
        let mut args = vec!["check".to_string(), "scenarios/s.toml".into()];
        // A command-line argument cannot hold a NUL byte.
        for s in joined.split('\u{1}') {
            args.extend(["--set".into(), s.replace('\0', "")]);
        }
        Ok(args)
    });
}

const SWEEPS: &[&str] = &[
    r#"name = "f"
scenario = "s.toml"
seeds = 2
set = ["duration=10s"]

[[param]]
path = "autoscaler.scale_up_above"
values = [0.5, 0.8]

[[param]]
path = "autoscaler.scale_down_below"
range = { from = 0.2, to = 0.6, count = 3 }

[[param]]
path = "fleet.provisioning"
values = ["5s", { dist = "uniform", min = "5s", max = "20s" }]

[[filter]]
skip_if = "autoscaler.scale_down_below >= autoscaler.scale_up_above"
reason = "no hysteresis"

[[filter]]
skip_if = "fleet.initial > 3 and (autoscaler.scale_up_above < 0.6 or autoscaler.scale_down_below == 0.4)"
reason = "other"
"#,
    r#"scenario = "s.toml"
seeds = [1, 2]
sampling = { method = "latin_hypercube", samples = 4, seed = 3 }
skip_invalid = true

[[param]]
path = "fleet.initial"
range = { from = 1, to = 4 }

[[param]]
path = "autoscaler.interval"
range = { from = "5s", to = "30s", scale = "log" }
"#,
];

/// Sweep files and their `skip_if` expressions, run (small: a handful of
/// 10-second runs).
#[test]
fn sweep_files() {
    let dir = workdir("sweep");
    fs::write(dir.join("scenarios/s.toml"), SMALL).unwrap();
    let own = words(&[
        "(",
        ")",
        "&&",
        "||",
        "!",
        "<",
        "<=",
        ">",
        ">=",
        "==",
        "!=",
        "not",
        "and",
        "or",
        "skip_if",
        "reason",
        "[[filter]]",
        "[[param]]",
        "path",
        "values",
        "range",
        "from",
        "to",
        "count",
        "scale",
        "log",
        "linear",
        "sampling",
        "method",
        "random",
        "grid",
        "samples",
        "seeds",
        "set",
        "name",
        "fleet.initial",
        "autoscaler.cooldown",
        "\"fleet.initial > 1\"",
        "\"((((fleet.initial))))\"",
        "\"a.b.c[0].d\"",
    ]);
    fuzz("sweep", mutated(SWEEPS, own), &dir, |dir, text| {
        fs::write(dir.join("scenarios/sw.toml"), text)?;
        Ok(vec![
            "sweep".into(),
            "scenarios/sw.toml".into(),
            "-q".into(),
            "--jobs".into(),
            "1".into(),
            "--out".into(),
            "o/".into(),
        ])
    });
}

const WORLDCUP: &str = include_str!("../../scenarios/traces/worldcup98/wc98_week_19980702_1min.csv");
const NASA: &str = include_str!("../../scenarios/traces/nasa_http_19950801_requests/nasa_19950801_requests.csv");

fn head(text: &'static str, lines: usize) -> &'static str {
    let end = text.match_indices('\n').nth(lines).map_or(text.len(), |(i, _)| i + 1);
    &text[..end]
}

/// Rate traces and request logs, as `check` loads them.
#[test]
fn traces_and_request_logs() {
    let dir = workdir("trace");
    let seeds: &'static [&'static str] = Box::leak(
        vec![
            head(WORLDCUP, 40),
            "t_seconds,rps\n0,100\n60,120.5\n120,80\n",
            head(NASA, 40),
            "t_seconds,key,kind\n0,/a,read\n0.5,/b,write\n1,/a,read\n",
        ]
        .into_boxed_slice(),
    );
    let own = words(&["t_seconds", "rps", "key", "kind", "read", "write", "1700000000", "1e15", ",,", "\"a,b\""]);
    fuzz("trace", mutated(seeds, own), &dir, |dir, text| {
        fs::write(dir.join("scenarios/t.csv"), text)?;
        let source = if text.contains("rps") { "trace = \"t.csv\"" } else { "requests = \"t.csv\"" };
        let scenario = SMALL.replace("shape = { kind = \"ramp\", from_rps = 5, to_rps = 40, over = \"10s\" }", source);
        fs::write(dir.join("scenarios/f.toml"), scenario)?;
        Ok(vec!["check".into(), "scenarios/f.toml".into()])
    });
}

const MANIFESTS: &[&str] = &[
    include_str!("../../models/policies/hpa-cpu-60.yaml"),
    include_str!("../../models/policies/hpa-cpu-and-rps.yaml"),
    include_str!("../../models/policies/hpa-external-queue.yaml"),
    include_str!("../../models/policies/hpa-aggressive-up-conservative-down.yaml"),
    include_str!("../../models/policies/hpa-default-behavior.yaml"),
];

const METRICS: &[&str] = &[
    "t_seconds,replicas,cpu\n0,2,0.5\n15,2,0.7\n30,3,0.9\n45,3,0.2\n",
    "t_seconds,pod,cpu,cpu_request,ready,phase\n0,a,250m,500m,true,Running\n0,b,0.4,500m,true,Running\n15,a,0.45,500m,true,Running\n15,b,,500m,false,Pending\n",
    "t_seconds,replicas,queue_messages_ready\n0,1,40\n15,2,400\n30,4,20\n",
];

/// Manifests, replayed with `scalesim hpa` on a small metrics file.
#[test]
fn hpa_manifests() {
    let dir = workdir("manifest");
    fs::write(dir.join("m.csv"), METRICS[0]).unwrap();
    let own = words(&[
        "apiVersion",
        "autoscaling/v2",
        "autoscaling/v1",
        "kind",
        "HorizontalPodAutoscaler",
        "spec",
        "minReplicas",
        "maxReplicas",
        "metrics",
        "type",
        "Resource",
        "Pods",
        "Object",
        "External",
        "resource",
        "name",
        "cpu",
        "memory",
        "target",
        "Utilization",
        "AverageValue",
        "Value",
        "averageUtilization",
        "averageValue",
        "value",
        "behavior",
        "scaleUp",
        "scaleDown",
        "stabilizationWindowSeconds",
        "policies",
        "periodSeconds",
        "Percent",
        "selectPolicy",
        "Max",
        "Min",
        "Disabled",
        "500m",
        "1Ki",
        "1e3",
        "  ",
        "    ",
        "\n  - ",
    ]);
    fuzz("manifest", mutated(MANIFESTS, own), &dir, |dir, text| {
        fs::write(dir.join("f.yaml"), text)?;
        Ok(vec!["hpa".into(), "--manifest".into(), "f.yaml".into(), "--metrics".into(), "m.csv".into()])
    });
}

/// `hpa --metrics` files, per pod and averaged, for the manifests they fit.
#[test]
fn hpa_metrics() {
    let dir = workdir("metrics");
    fs::write(dir.join("cpu.yaml"), MANIFESTS[0]).unwrap();
    fs::write(dir.join("ext.yaml"), MANIFESTS[2]).unwrap();
    let own = words(&[
        "t_seconds",
        "replicas",
        "pod",
        "cpu",
        "cpu_request",
        "ready",
        "phase",
        "Running",
        "Pending",
        "Failed",
        "ready_since",
        "started",
        "deleting",
        "sample_time",
        "sample_window",
        "queue_messages_ready",
        "250m",
        "1Ki",
        "1e3",
        ",,",
        "a",
        "b",
    ]);
    fuzz("metrics", mutated(METRICS, own), &dir, |dir, text| {
        fs::write(dir.join("f.csv"), text)?;
        let manifest = if text.contains("queue") { "ext.yaml" } else { "cpu.yaml" };
        Ok(vec!["hpa".into(), "--manifest".into(), manifest.into(), "--metrics".into(), "f.csv".into()])
    });
}

/// Shards for `merge`, made once by a real two-shard sweep, then mutated.
#[test]
fn merge_shards() {
    let dir = workdir("merge");
    fs::write(dir.join("scenarios/s.toml"), SMALL).unwrap();
    fs::write(dir.join("scenarios/sw.toml"), SWEEPS[0]).unwrap();
    for i in 0..2 {
        let shard = format!("{i}/2");
        let e = scalesim(&dir, &["sweep", "scenarios/sw.toml", "-q", "--jobs", "1", "--shard", &shard, "--out", "s/"]);
        assert_eq!(e.code, Some(0), "{}", e.stderr);
    }
    let read = |i: usize| -> &'static str {
        Box::leak(fs::read_to_string(dir.join(format!("s/f.shard-{i}-of-2.csv"))).unwrap().into_boxed_str())
    };
    let seeds: &'static [&'static str] = Box::leak(vec![read(0), read(1)].into_boxed_slice());
    let pair = (
        mutated(seeds, words(&["# scalesim sweep", "hash=", "runs=", "shard=", "name=", "version=", "0/2", "1/2"])),
        any::<bool>(),
    );
    let pair = pair.prop_map(|(text, first)| format!("{}\u{1}{text}", u8::from(first)));
    fuzz("merge", pair, &dir, move |dir, joined| {
        let (first, text) = joined.split_once('\u{1}').unwrap();
        // The mutated file stands in for one shard; the other is intact.
        let (mine, other) = if first == "1" { (0, 1) } else { (1, 0) };
        fs::write(dir.join("x.csv"), text)?;
        let other = format!("s/f.shard-{other}-of-2.csv");
        let _ = mine;
        Ok(vec!["merge".into(), "x.csv".into(), other, "--out".into(), "m/merged.csv".into()])
    });
}

/// Runs one target: `args` writes the case's files into `dir` and returns
/// the command line.
fn fuzz<S>(target: &str, strategy: S, dir: &Path, args: impl Fn(&Path, &str) -> std::io::Result<Vec<String>>)
where
    S: Strategy<Value = String>,
{
    harness::fuzz(target, strategy, |text| {
        let argv = args(dir, &text).map_err(|e| TestCaseError::fail(format!("writing the case: {e}")))?;
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let ended = scalesim(dir, &argv);
        judge(&ended).map_err(|e| TestCaseError::fail(format!("{e}\n  command: scalesim {}", argv.join(" "))))
    });
    let _ = fs::remove_dir_all(dir);
}
