//! `scalesim compare`: a small comparison end to end (the same bytes for
//! any `--jobs`, a tournament consistent with its own tables, rows equal to
//! `scalesim run` of the same contender), bad compare and policy files
//! located at their file, line and field, and the shipped compare files.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use scalesim::compare::file::CompareFile;
use scalesim::compare::tournament::METRICS;
use scalesim::compare::{self, Compare, Options, Outcome};

use crate::support;

/// A small autoscaled service under a ramp: a few thousand requests a
/// run, yet the policies differ.
const SCENARIO: &str = support::TINY_SCENARIO;

const HPA: &str = r#"# An HPA at 50% CPU, inline.
[autoscaler]
policy = "hpa"
minReplicas = 1
maxReplicas = 8
metrics = [{ type = "Resource", resource = { name = "cpu", target = { type = "Utilization", averageUtilization = 50 } } }]
"#;

const TRACKING: &str = r#"[autoscaler]
policy = "target_tracking"
metric = "cpu"
target = 0.5
instance_warmup = "10s"
min_replicas = 1
max_replicas = 8
"#;

/// Three contenders: the scenario's own threshold rule, a tighter one
/// (set only), an HPA and target tracking (policy files); two seeds.
const COMPARE: &str = r#"name = "tiny-policies"
scenarios = ["tiny.toml"]
seeds = 2

[[contender]]
name = "threshold"

[[contender]]
name = "threshold-eager"
set = ["autoscaler.scale_up_above=0.5"]

[[contender]]
name = "hpa"
policy = "hpa.toml"

[[contender]]
name = "tracking"
policy = "tracking.toml"
"#;

/// A directory with the scenario, the policy files and `compare.toml`.
fn setup(name: &str, text: &str) -> (PathBuf, PathBuf) {
    let dir = support::temp_dir(&format!("compare-{name}"));
    fs::write(dir.join("tiny.toml"), SCENARIO).unwrap();
    fs::write(dir.join("hpa.toml"), HPA).unwrap();
    fs::write(dir.join("tracking.toml"), TRACKING).unwrap();
    let path = dir.join("compare.toml");
    fs::write(&path, text).unwrap();
    (dir, path)
}

fn checked(path: &Path) -> Compare {
    let file = CompareFile::load(path).unwrap_or_else(|e| panic!("{e}"));
    Compare::check(file).unwrap_or_else(|e| panic!("{e}"))
}

fn execute(cmp: &Compare, jobs: usize, out: &Path) -> Outcome {
    let opts = Options { jobs, keep_runs: None };
    compare::execute(cmp, &opts, out, &AtomicBool::new(false), &mut |_, _| {}).unwrap_or_else(|e| panic!("{e}"))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new().comment(Some(b'#')).from_path(path).unwrap();
    let columns = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect();
    (columns, rows)
}

/// The problems of loading and checking `text` as a compare file, as printed.
fn problems(name: &str, text: &str, files: &[(&str, &str)]) -> String {
    let (dir, path) = setup(name, text);
    for (f, t) in files {
        fs::write(dir.join(f), t).unwrap();
    }
    match CompareFile::load(&path).and_then(Compare::check) {
        Ok(_) => panic!("{name}: the compare file should be refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn one_job_and_two_jobs_write_the_same_bytes_and_a_consistent_tournament() {
    let (dir, path) = setup("det", COMPARE);
    let cmp = checked(&path);
    assert_eq!(cmp.runs(), 4 * 2);
    let one = execute(&cmp, 1, &dir.join("one"));
    let two = execute(&cmp, 2, &dir.join("two"));
    for f in ["runs.csv", "ranking.csv", "pairwise.csv", "winners.csv"] {
        assert_eq!(read(&dir.join("one").join(f)), read(&dir.join("two").join(f)), "{f}: --jobs 1 and 2 differ");
    }
    assert_eq!(one.standings, two.standings);
    let s = one.standings.expect("a finished comparison plays its tournament");

    // Every match hands out one point: 6 pairs × 8 metrics × 2 rounds (none
    // missing: every run was scored).
    let total: f64 = s.points.iter().sum();
    assert_eq!(total, 6.0 * METRICS.len() as f64 * 2.0);
    // A contender's points are its row of the pairwise table, and its wins,
    // losses and ties account for every match it played.
    for i in 0..4 {
        let row: f64 = s.pair[i].iter().sum();
        assert_eq!(row, s.points[i]);
        assert_eq!(s.wins[i] + s.losses[i] + s.ties[i], 3 * 8 * 2);
        assert_eq!(s.points[i], f64::from(s.wins[i]) + f64::from(s.ties[i]) / 2.0);
    }
    // The ranking file lists the contenders best first, with their ranks.
    let (cols, rows) = csv_rows(&dir.join("one").join("ranking.csv"));
    assert_eq!(&cols[..6], ["rank", "contender", "points", "wins", "losses", "ties"]);
    let points: Vec<f64> = rows.iter().map(|r| r[2].parse().unwrap()).collect();
    assert!(points.windows(2).all(|w| w[0] >= w[1]), "best first: {points:?}");
    assert_eq!(rows[0][1], s.names[s.order[0]]);
    // The policies really differ: not every pair tied everything.
    assert!(s.wins.iter().any(|&w| w > 0));

    // Run order: contender-major within the scenario, seeds innermost.
    let (cols, runs) = csv_rows(&dir.join("one").join("runs.csv"));
    let at = |c: &str| cols.iter().position(|x| x == c).unwrap();
    let who: Vec<(&str, &str)> = runs.iter().map(|r| (r[at("contender")].as_str(), r[at("seed")].as_str())).collect();
    assert_eq!(&who[..3], [("threshold", "5"), ("threshold", "6"), ("threshold-eager", "5")]);
}

#[test]
fn a_row_is_what_scalesim_run_gives_with_the_contenders_overrides() {
    let (dir, path) = setup("rerun", COMPARE);
    let cmp = checked(&path);
    execute(&cmp, 2, &dir.join("out"));
    let (cols, runs) = csv_rows(&dir.join("out").join("runs.csv"));
    // Run 5: contender 2 (the HPA policy file) at seed 6.
    let r = 5;
    assert_eq!(cmp.locate(r), (0, 2, 6));
    let command = cmp.reproduce(r);
    assert!(command.contains("--seed 6 --set 'autoscaler={"), "{command}");
    let scenario = support::load(&dir.join("tiny.toml"), &[&cmp.sets[2][0].raw]);
    let summary = support::run(&scenario, 6).summary.expect("a summary");
    let cells = scalesim::sweep::table::run_cells(r, 2, &["tiny".into(), "hpa".into()], 6, &summary);
    assert_eq!(runs[r], cells, "columns {cols:?}");
}

#[test]
fn bad_compare_files_name_file_line_field_and_fix() {
    let e = problems("unknown", "scenarios = [\"tiny.toml\"]\ncontenders = 2\n", &[]);
    assert!(
        e.contains("compare.toml:2: contenders: unknown field 'contenders'") && e.contains("did you mean 'contender'?"),
        "{e}"
    );

    let e = problems("no-scenarios", "[[contender]]\nname = \"a\"\n[[contender]]\nname = \"b\"\n", &[]);
    assert!(e.contains("missing field 'scenarios'") && e.contains("hint: name the workloads"), "{e}");

    let e = problems(
        "missing-scenario",
        "scenarios = [\"nope.toml\"]\n[[contender]]\nname = \"a\"\n[[contender]]\nname = \"b\"\n",
        &[],
    );
    assert!(e.contains("compare.toml:1: scenarios[0]: cannot read the scenario 'nope.toml'"), "{e}");

    let e = problems("one", "scenarios = [\"tiny.toml\"]\n[[contender]]\nname = \"a\"\n", &[]);
    assert!(e.contains("1 contender: a comparison needs two or more"), "{e}");

    let twice = "scenarios = [\"tiny.toml\"]\n[[contender]]\nname = \"a\"\n[[contender]]\nname = \"a\"\n";
    let e = problems("twice", twice, &[]);
    assert!(e.contains("compare.toml:5: contender[1].name: contender 'a' is named twice"), "{e}");

    let workload = "scenarios = [\"tiny.toml\"]\n[[contender]]\nname = \"a\"\nset = [\"traffic.scale=2\"]\n[[contender]]\nname = \"b\"\n";
    let e = problems("workload", workload, &[]);
    assert!(
        e.contains(
            "compare.toml:4: contender[0].set[0]: 'traffic.scale=2' changes 'traffic', which every contender shares"
        ),
        "{e}"
    );
    assert!(e.contains("top-level set"), "{e}");

    let seeds =
        "scenarios = [\"tiny.toml\"]\nseeds = [1, 1]\n[[contender]]\nname = \"a\"\n[[contender]]\nname = \"b\"\n";
    let e = problems("seeds", seeds, &[]);
    assert!(e.contains("compare.toml:2: seeds[1]: seed '1' is listed twice"), "{e}");

    // A contender's bad --set is reported at its line, with the scenario's reason.
    let bad_set = "scenarios = [\"tiny.toml\"]\n[[contender]]\nname = \"a\"\nset = [\"autoscaler.interval=fast\"]\n[[contender]]\nname = \"b\"\n";
    let e = problems("bad-set", bad_set, &[]);
    assert!(e.contains("compare.toml:4: contender 'a' on"), "{e}");
    assert!(
        e.contains("autoscaler.interval: 'fast' is not a duration") && e.contains("hint: write a number with a unit"),
        "{e}"
    );
}

#[test]
fn bad_policy_files_are_located_in_the_policy_file() {
    let with = |policy: &str| {
        format!(
            "scenarios = [\"tiny.toml\"]\n[[contender]]\nname = \"a\"\n[[contender]]\nname = \"p\"\npolicy = \"{policy}\"\n"
        )
    };
    // A value the policy refuses: the policy file's line.
    let bad = "[autoscaler]\npolicy = \"target_tracking\"\ntarget = 0.5\nmetric = \"cpux\"\n";
    let e = problems("bad-value", &with("bad.toml"), &[("bad.toml", bad)]);
    assert!(e.contains("bad.toml:4: contender 'p' on"), "{e}");
    assert!(e.contains("autoscaler.metric: 'cpux' is not one of cpu") && e.contains("did you mean 'cpu'"), "{e}");

    // Anything beside [autoscaler].
    let extra = "[autoscaler]\npolicy = \"threshold\"\n[fleet]\ninitial = 3\n";
    let e = problems("extra", &with("extra.toml"), &[("extra.toml", extra)]);
    assert!(e.contains("extra.toml:3: unknown field 'fleet'") && e.contains("only an [autoscaler] table"), "{e}");

    // A policy file that is not there.
    let e = problems("absent", &with("absent.toml"), &[]);
    assert!(e.contains("absent.toml") && e.contains("cannot read the file") && e.contains("of contender 'p'"), "{e}");

    // A scenario whose [autoscaler] names a manifest cannot be replaced.
    let manifest = SCENARIO.replace(
        "[autoscaler]\npolicy = \"threshold\"\nscale_up_above = 0.7\nscale_down_below = 0.3\ninterval = \"5s\"\nmin_replicas = 1\nmax_replicas = 8\n",
        "[autoscaler]\npolicy = \"hpa\"\nmanifest = \"hpa.yaml\"\n",
    );
    let yaml = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  minReplicas: 1\n  maxReplicas: 8\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n      target:\n        type: Utilization\n        averageUtilization: 60\n";
    let e = problems(
        "manifest",
        "scenarios = [\"m.toml\"]\n[[contender]]\nname = \"a\"\n[[contender]]\nname = \"p\"\npolicy = \"tracking.toml\"\n",
        &[("m.toml", &manifest), ("hpa.yaml", yaml)],
    );
    assert!(e.contains("compare.toml:1: the scenario") && e.contains("names a manifest in [autoscaler]"), "{e}");
}

#[test]
fn the_cli_compares_from_a_file_or_the_command_line_with_the_documented_exit_codes() {
    let (dir, path) = setup("cli", COMPARE);
    let bin = env!("CARGO_BIN_EXE_scalesim");
    let out = dir.join("cli-out");
    let o = Command::new(bin)
        .args(["compare", path.to_str().unwrap(), "-q", "--jobs", "2", "--report", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for part in ["4 contenders × 1 scenario × 2 seeds = 8 runs", "ranking:", "pairwise:", "per-metric winners"] {
        assert!(stdout.contains(part), "{part}: {stdout}");
    }
    assert!(out.join("report.html").is_file());
    assert!(o.stderr.is_empty(), "--quiet prints no progress: {}", String::from_utf8_lossy(&o.stderr));

    // From the command line alone: a scenario and two policy files.
    let o = Command::new(bin)
        .args(["compare", "-q", "--seeds", "1", "--set", "duration=1m", "--out"])
        .arg(dir.join("cli-2"))
        .arg("--scenario")
        .arg(dir.join("tiny.toml"))
        .arg("--policy")
        .arg(dir.join("hpa.toml"))
        .arg("--policy")
        .arg(format!("tt={}", dir.join("tracking.toml").display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && stdout.contains("2 contenders × 1 scenario × 1 seed = 2 runs"), "{stdout}");
    let (_, rows) = csv_rows(&dir.join("cli-2").join("ranking.csv"));
    let mut names: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    names.sort();
    assert_eq!(names, ["hpa", "tt"]);

    // Invalid input: 1; usage: 2.
    let o = Command::new(bin).args(["compare", "--scenario"]).arg(dir.join("tiny.toml")).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("0 contenders"));
    fs::write(dir.join("bad.toml"), "scenarios = [\"tiny.toml\"]\n[[contender]]\nname = \"a b\"\n").unwrap();
    let o = Command::new(bin).args(["compare"]).arg(dir.join("bad.toml")).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("bad.toml:3: contender[0].name: 'a b' is not a contender name")
    );
}

#[test]
fn every_shipped_compare_file_is_valid() {
    let dir = support::root().join("compares");
    let mut n = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let cmp = checked(&path);
            assert!(cmp.contenders() >= 5, "{}: the issue asks for five policies or more", path.display());
            n += 1;
        }
    }
    assert!(n >= 2, "the World Cup and NASA comparisons");
}

/// Whether headless Chromium is here (CI installs it: there a missing one fails).
fn chromium() -> bool {
    let ok = Command::new("chromium").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "'chromium' is not installed on CI");
        eprintln!("SKIPPED: 'chromium' is not installed (apt-get install -y chromium)");
    }
    ok
}

#[test]
fn the_compare_report_shows_the_ranking_the_pairwise_table_and_the_winners_in_chromium() {
    if !chromium() {
        return;
    }
    let (dir, path) = setup("report", COMPARE);
    let cmp = checked(&path);
    let out = dir.join("out");
    let s = execute(&cmp, 2, &out).standings.expect("standings");
    let page = out.join("report.html");
    scalesim::report::write(std::slice::from_ref(&out), None, &page).unwrap_or_else(|e| panic!("{e}"));
    let seen = support::open(&page, "compare");
    let dom = &seen.dom;
    assert!(seen.console.is_empty(), "console messages:\n{}", seen.console.join("\n"));
    let body = dom.find("<body").map_or("", |i| &dom[i..i + dom[i..].find('>').unwrap_or(0)]);
    assert!(!body.contains("data-errors"), "a script failed: {body}");
    // One ranking row per contender, best first; 4 × 3 shaded pairwise
    // cells; one winners row per metric.
    assert_eq!(dom.matches("<tr class=\"contender\">").count(), 4);
    let first = dom.find("<tr class=\"contender\">").unwrap();
    assert!(dom[first..].contains(&s.names[s.order[0]]), "the leader comes first");
    assert_eq!(dom.matches("<td class=\"cell\"").count(), 4 * 3);
    assert_eq!(dom.matches("<tr class=\"winner\">").count(), METRICS.len());
    for heading in ["Ranking: tiny-policies", "Pairwise results", "Per-metric winners"] {
        assert!(dom.contains(heading), "{heading}");
    }
}
