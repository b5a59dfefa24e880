//! What a hostile or unlucky user does to the binary (issue 13): two runs
//! into one directory, outputs that are devices, pipes or links, scenario
//! names that would escape `out/`, SIGINT and SIGTERM in the middle of a
//! run or a sweep, and inputs that never end.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::temp_dir;

const BIN: &str = env!("CARGO_BIN_EXE_scalesim");

/// A small autoscaled service at a constant rate: `duration` sets how long
/// it runs (milliseconds for minutes, seconds of wall time for days).
fn scenario(name: &str, duration: &str) -> String {
    format!(
        r#"name = "{name}"
duration = "{duration}"
seed = 5
tick = "1s"
slo = {{ p99 = "100ms", availability = 0.99 }}

[traffic]
shape = {{ kind = "constant", rps = 100 }}

[fleet]
initial = 2
cores = 1
workers = 8
queue = 64
service = {{ dist = "exponential", mean = "10ms" }}

[autoscaler]
policy = "fixed"
"#
    )
}

const SWEEP: &str = r#"name = "long"
scenario = "s.toml"
seeds = 4

[[param]]
path = "fleet.initial"
values = [2, 3, 4]
"#;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn scalesim(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).current_dir(dir).output().expect("runs")
}

fn spawn(dir: &Path, args: &[&str]) -> Child {
    Command::new(BIN).args(args).current_dir(dir).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("starts")
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

fn leftovers(dir: &Path) -> Vec<String> {
    files(dir).into_iter().filter(|f| f.ends_with(".tmp") || f.ends_with(".lock")).collect()
}

/// Waits for `cond`; a guard against a hang, not a speed check.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !cond() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status().unwrap().success();
    assert!(ok, "kill -{name}");
}

#[test]
fn two_runs_into_one_directory_both_finish_or_one_refuses_and_never_mix() {
    let dir = temp_dir("concurrent");
    fs::write(dir.join("s.toml"), scenario("twice", "20m")).unwrap();
    // What each seed writes alone.
    let alone: Vec<Vec<String>> = ["1", "2"]
        .iter()
        .map(|seed| {
            let out = format!("alone-{seed}");
            let o = scalesim(&dir, &["run", "s.toml", "--seed", seed, "--out", &out, "-q"]);
            assert!(o.status.success(), "{}", text(&o.stderr));
            ["timeseries.csv", "events.csv", "summary.json"]
                .iter()
                .map(|f| fs::read_to_string(dir.join(&out).join(f)).unwrap())
                .collect()
        })
        .collect();
    assert_ne!(alone[0][0], alone[1][0], "the seeds must differ in output for this test to see a mix");
    let mut refused = 0;
    for round in 0..6 {
        // Default output (out/twice/) in even rounds, one --out in odd ones.
        let mut args = vec!["run", "s.toml", "-q"];
        let into = if round % 2 == 0 { "out/twice" } else { "shared" };
        if round % 2 == 1 {
            args.extend(["--out", "shared"]);
        }
        let a = spawn(&dir, &[args.as_slice(), &["--seed", "1"]].concat());
        let b = spawn(&dir, &[args.as_slice(), &["--seed", "2"]].concat());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        for o in [&a, &b] {
            let code = o.status.code();
            assert!(
                code == Some(0) || (code == Some(2) && text(&o.stderr).contains("another scalesim is writing")),
                "{code:?}: {}",
                text(&o.stderr)
            );
        }
        refused += usize::from(!a.status.success()) + usize::from(!b.status.success());
        assert!(a.status.success() || b.status.success(), "one of them finishes");
        let got: Vec<String> = ["timeseries.csv", "events.csv", "summary.json"]
            .iter()
            .map(|f| fs::read_to_string(dir.join(into).join(f)).unwrap())
            .collect();
        assert!(got == alone[0] || got == alone[1], "round {round}: the files are not all one run's");
        assert_eq!(leftovers(&dir), Vec::<String>::new());
    }
    eprintln!("{refused} of 12 runs refused");
    fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn outputs_that_are_pipes_or_links_are_written_through_never_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = temp_dir("targets");
    fs::write(dir.join("s.toml"), scenario("t", "1m")).unwrap();
    fs::write(dir.join("sweep.toml"), SWEEP.replace("seeds = 4", "seeds = 1")).unwrap();
    let whole = scalesim(&dir, &["sweep", "sweep.toml", "-q", "--jobs", "1", "--out", "whole.csv"]);
    assert!(whole.status.success(), "{}", text(&whole.stderr));
    let expected = fs::read_to_string(dir.join("whole.csv")).unwrap();

    // A symbolic link: its target gets the file, the link stays a link.
    fs::write(dir.join("real.csv"), "old\n").unwrap();
    std::os::unix::fs::symlink("real.csv", dir.join("link.csv")).unwrap();
    let o = scalesim(&dir, &["sweep", "sweep.toml", "-q", "--jobs", "1", "--out", "link.csv"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(fs::symlink_metadata(dir.join("link.csv")).unwrap().file_type().is_symlink());
    assert_eq!(fs::read_to_string(dir.join("real.csv")).unwrap(), expected);

    // A named pipe: read as the sweep writes it, and still a pipe after.
    let fifo = dir.join("pipe.csv");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
    };
    let o = scalesim(&dir, &["merge", "whole.csv", "--out", "pipe.csv"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("no aggregate beside a device or pipe"), "{}", text(&o.stdout));
    assert_eq!(reader.join().unwrap(), expected);
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(!dir.join("pipe.points.csv").exists());

    // /dev/null: written, not replaced (this runs as root in CI).
    let o = scalesim(&dir, &["sweep", "sweep.toml", "-q", "--jobs", "1", "--out", "/dev/null"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    assert!(!Path::new("/dev/null.points.csv").exists());
    let o = scalesim(&dir, &["hpa", "--manifest", "x.yaml", "--metrics", "y.csv", "--out", "/dev/null"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));

    // A directory given as a file is refused by name.
    fs::create_dir_all(dir.join("adir")).unwrap();
    let o = scalesim(&dir, &["merge", "whole.csv", "--out", "adir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("adir: is a directory"), "{}", text(&o.stderr));
    assert_eq!(leftovers(&dir), Vec::<String>::new());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_scenario_name_cannot_choose_a_path_outside_out() {
    let dir = temp_dir("names");
    for name in ["../../x", "/tmp/scalesim-escape", "", "..", ".", "a/b", "a b"] {
        fs::write(dir.join("s.toml"), scenario(name, "1m")).unwrap();
        let o = scalesim(&dir, &["run", "s.toml", "-q"]);
        assert_eq!(o.status.code(), Some(1), "{name:?}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(
            err.contains(&format!("s.toml: name: '{name}' cannot name the output directory out/<name>/"))
                && err.contains("or give --out DIR"),
            "{name:?}: {err}"
        );
        assert_eq!(files(&dir), ["s.toml"], "{name:?} wrote something");
    }
    assert!(!Path::new("/tmp/scalesim-escape").exists());
    // With --out the name does not matter, and a fine name is used as is.
    let o = scalesim(&dir, &["run", "s.toml", "-q", "--out", "mine"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    fs::write(dir.join("s.toml"), scenario("fine-name_1.0", "1m")).unwrap();
    assert!(scalesim(&dir, &["run", "s.toml", "-q"]).status.success());
    assert!(dir.join("out/fine-name_1.0/summary.json").exists());
    fs::remove_dir_all(&dir).unwrap();
}

/// A run stopped by `sig` in the middle: exit 128 + signal, nothing
/// written, no temporary left.
fn stop_a_run(sig: &str, code: i32) {
    let dir = temp_dir(&format!("run-{sig}"));
    fs::write(dir.join("s.toml"), scenario("long", "30d")).unwrap();
    let child = spawn(&dir, &["run", "s.toml", "--out", "o"]);
    // The time series has started (its buffer was flushed once).
    wait_for("the run to write", || {
        files(&dir).iter().any(|f| f.starts_with("o/.timeseries.csv.") && f.ends_with(".tmp"))
            && fs::read_dir(dir.join("o")).unwrap().any(|e| e.unwrap().metadata().unwrap().len() > 0)
    });
    signal(&child, sig);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(code), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains(&format!("SIG{sig}: stopping")) && err.contains("wrote nothing to o"), "{err}");
    assert_eq!(files(&dir), ["s.toml"], "nothing but the scenario is left");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sigterm_and_sigint_stop_a_run_leaving_nothing() {
    stop_a_run("TERM", 143);
    stop_a_run("INT", 130);
}

/// A sweep stopped by `sig` once its first run is done: exit 128 + signal,
/// the finished rows kept in order, no aggregate, no temporary.
fn stop_a_sweep(sig: &str, code: i32) {
    let dir = temp_dir(&format!("sweep-{sig}"));
    fs::write(dir.join("s.toml"), scenario("long", "3h")).unwrap();
    fs::write(dir.join("sweep.toml"), SWEEP).unwrap();
    let child = spawn(&dir, &["sweep", "sweep.toml", "-q", "--jobs", "1", "--out", "r.csv", "--keep-runs", "k"]);
    wait_for("the first run", || dir.join("k/run-00/summary.json").exists());
    signal(&child, sig);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(code), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("interrupted: kept the"), "{err}");
    let rows = fs::read_to_string(dir.join("r.csv")).unwrap();
    let runs: Vec<usize> = rows.lines().skip(2).map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
    assert!(!runs.is_empty() && runs.len() < 12, "{runs:?}");
    assert_eq!(runs, (0..runs.len()).collect::<Vec<_>>());
    assert!(rows.ends_with('\n'));
    assert!(!dir.join("r.points.csv").exists());
    assert_eq!(leftovers(&dir), Vec::<String>::new());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sigterm_and_sigint_stop_a_sweep_keeping_the_finished_rows() {
    stop_a_sweep("TERM", 143);
    stop_a_sweep("INT", 130);
}

#[cfg(unix)]
#[test]
fn inputs_that_never_end_are_refused_with_the_limit_and_how_to_raise_it() {
    let dir = temp_dir("endless");
    fs::write(dir.join("s.toml"), scenario("e", "1m")).unwrap();
    let cases: [&[&str]; 6] = [
        &["check", "/dev/zero"],
        &["run", "s.toml", "--events", "/dev/urandom", "--out", "o"],
        &["sweep", "/dev/zero"],
        &["merge", "/dev/zero", "--out", "m.csv"],
        &["hpa", "--manifest", "/dev/zero", "--metrics", "s.toml"],
        &["check", "t.toml"],
    ];
    fs::write(
        dir.join("t.toml"),
        scenario("t", "1m").replace("shape = { kind = \"constant\", rps = 100 }", "trace = \"/dev/zero\""),
    )
    .unwrap();
    for args in cases {
        let o = Command::new(BIN).args(args).current_dir(&dir).env("SCALESIM_MAX_INPUT_MIB", "4").output().unwrap();
        let err = text(&o.stderr);
        assert!(matches!(o.status.code(), Some(1 | 2)), "{args:?}: {:?} {err}", o.status);
        assert!(
            err.contains("more than 4 MiB, the most scalesim reads from one input (raise it with SCALESIM_MAX_INPUT_MIB=N, in MiB)"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(files(&dir), ["s.toml", "t.toml"]);
    fs::remove_dir_all(&dir).unwrap();
}
