//! Memory is O(requests in flight + instances + keys), never O(requests
//! simulated): a run ten times longer peaks at the same resident memory.

use std::process::Command;

use crate::support::{root, temp_dir};

/// Peak resident memory (MiB) of `scalesim run` with these overrides, as
/// the binary reports it (Linux VmHWM).
fn peak_mib(scenario: &str, duration: &str) -> Option<f64> {
    let out = temp_dir(&format!("mem-{}-{duration}", scenario.replace('/', "-")));
    let o = Command::new(env!("CARGO_BIN_EXE_scalesim"))
        .args(["run", scenario, "--out", out.to_str()?, "--set", &format!("duration=\"{duration}\"")])
        .current_dir(root())
        .output()
        .ok()?;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let mib = stdout.split("peak memory ").nth(1)?.split(" MiB").next()?.parse().ok();
    eprintln!("{scenario} for {duration}: {mib:?} MiB peak");
    mib
}

#[test]
fn ten_times_longer_runs_peak_at_the_same_memory() {
    for (scenario, short, long) in [("scenarios/mmc.toml", "10m", "100m"), ("scenarios/quickstart.toml", "30m", "5h")] {
        let (Some(a), Some(b)) = (peak_mib(scenario, short), peak_mib(scenario, long)) else {
            eprintln!("peak memory is not reported on this platform; skipping");
            return;
        };
        assert!(b <= a * 1.10, "{scenario}: {short} peaks at {a:.1} MiB, {long} at {b:.1} MiB");
    }
}
