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
    let o = scalesim(&["run", "no/such/scenario.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("no/such/scenario.toml: cannot read the file"));
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
