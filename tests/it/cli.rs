//! The `scalesim` binary as a user runs it: exit codes, outputs, messages.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{root, scenario_path, temp_dir};

fn scalesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scalesim")).args(args).current_dir(root()).output().expect("runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn run_writes_three_files_and_prints_a_summary() {
    let out = temp_dir("cli-run");
    let o = scalesim(&["run", "scenarios/quickstart.toml", "--out", out.to_str().unwrap(), "--set", "duration=5m"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    for part in ["scenario quickstart", "requests", "latency", "slo", "replica-hours", "scale events"] {
        assert!(stdout.contains(part), "missing '{part}' in:\n{stdout}");
    }
    for f in ["timeseries.csv", "events.csv", "summary.json"] {
        assert!(out.join(f).is_file(), "{f} not written");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

#[test]
fn invalid_input_exits_1_names_the_place_and_writes_nothing() {
    let out = temp_dir("cli-invalid");
    std::fs::remove_dir_all(&out).unwrap();
    let o = scalesim(&["run", "tests/invalid/negative-size.toml", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("negative-size.toml:") && err.contains("fleet.initial"), "{err}");
    assert!(!out.exists(), "nothing may be written for invalid input");
}

#[test]
fn bad_overrides_and_usage_errors() {
    let o = scalesim(&["check", "scenarios/quickstart.toml", "--set", "fleet.cores=-2"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("--set fleet.cores=-2: fleet.cores: '-2' is negative"), "{}", text(&o.stderr));
    let o = scalesim(&["check", "scenarios/quickstart.toml", "--set", "fleet.cores"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("has no '='"));
    let o = scalesim(&["run"]);
    assert_eq!(o.status.code(), Some(2), "missing argument is a usage error");
}

/// The contract: 0 ok, 1 invalid input, 2 usage or I/O; every message
/// starts with `error:`.
#[test]
fn exit_codes_follow_one_contract() {
    let cases: [(&[&str], i32, &str); 7] = [
        (&["check", "scenarios/quickstart.toml"], 0, ""),
        (&["check", "tests/invalid/unknown-key.toml"], 1, "error: tests/invalid/unknown-key.toml:7: fleet.workres"),
        (&["run", "no/such/scenario.toml"], 2, "error: no/such/scenario.toml: No such file or directory"),
        (&["sweep", "no/such/sweep.toml"], 2, "error: no/such/sweep.toml: No such file or directory"),
        (&["run", "scenarios/quickstart.toml", "--out", "/proc/nope"], 2, "error: /proc/nope: "),
        (&["fields", "nope"], 2, "error: fields: no section 'nope'"),
        (&["run", "--no-such-flag"], 2, "error: unexpected argument '--no-such-flag'"),
    ];
    for (args, code, message) in cases {
        let o = scalesim(args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.starts_with(message), "{args:?}: want '{message}', got:\n{err}");
        if code != 0 {
            assert!(err.lines().next().is_some_and(|l| l.starts_with("error: ")), "{args:?}: {err}");
        }
    }
}

/// `scalesim fields | head`: the reader went away; that is a clean end.
#[test]
fn a_closed_pipe_is_a_clean_exit() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = Command::new(env!("CARGO_BIN_EXE_scalesim"))
        .arg("fields")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
}

#[test]
fn fields_prints_one_section_when_asked() {
    let section = |name: &str| text(&scalesim(&["fields", name]).stdout);
    let autoscaler = section("autoscaler");
    assert!(autoscaler.contains("## [autoscaler]") && autoscaler.contains("## [autoscaler] policy = \"hpa\""));
    assert!(!autoscaler.contains("## [fleet]"));
    let fleet = section("[fleet]");
    assert_eq!(fleet.matches("\n## ").count(), 1, "{fleet}");
    assert!(fleet.contains("## [fleet]") && fleet.contains("`initial`"));
    assert!(section("events").contains("## [[events]]"));
    assert!(section("top").contains("## top level"));
    let all = text(&scalesim(&["fields"]).stdout);
    assert!(all.len() > autoscaler.len() && all.starts_with(&fleet[..fleet.find("\n## ").unwrap()]));
}

/// A run without --out never replaces a result: out/<name>/ exists, so it
/// goes to out/<name>-2/; --force replaces out/<name>/.
#[test]
fn runs_do_not_overwrite_each_other() {
    let cwd = temp_dir("cli-no-overwrite");
    let scenario = scenario_path("quickstart");
    let run = |extra: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_scalesim"))
            .args(["run", scenario.to_str().unwrap(), "--set", "duration=1m"])
            .args(extra)
            .current_dir(&cwd)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        text(&o.stdout)
    };
    assert!(run(&[]).contains("wrote      out/quickstart ("));
    let baseline = std::fs::read(cwd.join("out/quickstart/summary.json")).unwrap();
    assert!(run(&["--set", "fleet.initial=3"]).contains("wrote      out/quickstart-2 ("));
    assert!(run(&[]).contains("wrote      out/quickstart-3 ("));
    assert_eq!(std::fs::read(cwd.join("out/quickstart/summary.json")).unwrap(), baseline, "the baseline is kept");
    assert!(run(&["--force", "--set", "fleet.initial=3"]).contains("wrote      out/quickstart ("));
    assert_ne!(std::fs::read(cwd.join("out/quickstart/summary.json")).unwrap(), baseline, "--force replaces it");
    assert!(!cwd.join("out/quickstart-4").exists());
}

#[test]
fn check_accepts_every_shipped_scenario() {
    for entry in walk(&root().join("scenarios")) {
        let o = scalesim(&["check", entry.to_str().unwrap()]);
        assert!(o.status.success(), "{}: {}", entry.display(), text(&o.stderr));
    }
    assert!(scenario_path("quickstart").is_file());
}

#[test]
fn fields_lists_every_section() {
    let o = scalesim(&["fields"]);
    let out = text(&o.stdout);
    for section in [
        "[traffic]",
        "[client]",
        "[balancer]",
        "[fleet]",
        "[metrics]",
        "[autoscaler]",
        "[[events]]",
        "policy = \"threshold\"",
    ] {
        assert!(out.contains(section), "no {section} in scalesim fields");
    }
}

/// Every `.toml` below `dir`.
pub fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()) {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
    out.sort();
    out
}
