//! Regression cases: every crash, hang or wrong answer found by the fuzzer
//! or listed in issue 13, one file each in `cases/` with the command, the
//! files it needs, and the exit code and message expected. `b.toml` (from
//! `cases/base.toml`) is always there.
//!
//! A case found before its fix lands may be `#[ignore]`d with the reason
//! (`name = "why"` below); `cargo test --test fuzz -- --ignored` shows what
//! is left. None is today.
//!
//! In a file's contents and arguments `@repeat(N,TEXT)@` stands for TEXT
//! N times (deep nesting, long paths).

use std::fs;

use crate::harness::{root, scalesim, workdir};

fn expand(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("@repeat(") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "@repeat(".len()..];
        let (n, after) = after.split_once(',').expect("@repeat(N,");
        let (text, after) = after.split_once(")@").expect(")@");
        out.push_str(&text.repeat(n.parse().expect("a count")));
        rest = after;
    }
    out.push_str(rest);
    out
}

fn run_case(name: &str) {
    let path = root().join("tests/fuzz/cases").join(format!("{name}.toml"));
    let case: toml::Table = fs::read_to_string(&path).unwrap().parse().unwrap();
    let dir = workdir(&format!("case-{name}"));
    fs::copy(root().join("tests/fuzz/cases/base.toml"), dir.join("b.toml")).unwrap();
    if let Some(files) = case.get("files").and_then(|f| f.as_table()) {
        for (file, text) in files {
            fs::write(dir.join(file), expand(text.as_str().unwrap())).unwrap();
        }
    }
    let args: Vec<String> = case["args"].as_array().unwrap().iter().map(|a| expand(a.as_str().unwrap())).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let env: Vec<(String, String)> = case
        .get("env")
        .and_then(|e| e.as_table())
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect())
        .unwrap_or_default();
    let ended = with_env(&env, || scalesim(&dir, &args));
    let shown = format!("{name}: exit {:?}, hung {}: {}", ended.code, ended.hung, ended.stderr);
    assert!(!ended.hung, "{shown}");
    assert_eq!(ended.code, Some(case["exit"].as_integer().unwrap() as i32), "{shown}");
    if let Some(want) = case.get("stderr").and_then(|s| s.as_str()) {
        assert!(ended.stderr.contains(want), "wanted '{want}' in {shown}");
    }
    if let Some(not) = case.get("stderr_not").and_then(|s| s.as_str()) {
        assert!(!ended.stderr.contains(not), "did not want '{not}' in {shown}");
    }
    assert!(!ended.stderr.contains("panicked"), "{shown}");
    let _ = fs::remove_dir_all(&dir);
}

/// The case's environment, for the one command (cases run one at a time
/// per variable: each sets only its own, read by the child at start).
fn with_env<T>(env: &[(String, String)], f: impl FnOnce() -> T) -> T {
    crate::harness::ENV.with(|e| *e.borrow_mut() = env.to_vec());
    let r = f();
    crate::harness::ENV.with(|e| e.borrow_mut().clear());
    r
}

macro_rules! cases {
    ($($name:ident $(= $why:literal)?),* $(,)?) => {
        $(
            #[test]
            $(#[ignore = $why])?
            fn $name() {
                run_case(stringify!($name));
            }
        )*
    };
}

cases! {
    // Fixed now (safe outputs, bounded reads).
    merge_dev_zero,
    scenario_dev_urandom,
    trace_dev_zero,
    name_escapes_out,
    name_empty,
    hpa_manifest_bom,
    // Class 3: runs that never end.
    tick_1ns,
    duration_200000d,
    trace_epoch_times,
    trace_last_time_1e15,
    rps_1e9,
    traffic_scale_inf,
    gamma_cv_tiny,
    sweep_count_million,
    sweep_jobs_5000,
    // Class 4: aborts.
    sweep_deep_skip_if,
    sweep_long_param_path,
    set_long_path,
    keys_count_huge,
    hpa_metrics_replicas_huge,
    hpa_sync_period_1ns,
    // Class 7: wrong results with exit 0.
    event_after_the_end,
    kill_zone_that_does_not_exist,
    lognormal_cv_1e300,
    hpa_negative_cpu,
    capacity_overflow,
    request_log_epoch_times,
    // Class 10: unclear errors.
    set_duration_nan,
    slo_array_leaks_serde,
    merge_malformed_hash,
    merge_non_numeric_cell,
}

#[test]
fn every_case_file_is_listed() {
    let listed = include_str!("cases.rs");
    for e in fs::read_dir(root().join("tests/fuzz/cases")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().trim_end_matches(".toml").to_string();
        if name != "base" {
            assert!(listed.contains(&format!("    {name}")), "cases/{name}.toml is not in cases!");
        }
    }
}
