//! The reference sweep: the shipped World Cup threshold sweep cut to its
//! first 20 simulated minutes and 8 points × 1 seed, run with 1 and with 2
//! jobs. Throughput is runs per second; the ratio of the two is the parallel
//! efficiency on this machine.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use scalesim::sweep::{self, Options, Plan};

fn reference_sweep(dir: &std::path::Path) -> Plan {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scenario = root.join("scenarios/worldcup-semifinal.toml");
    let text = format!(
        r#"name = "bench"
scenario = "{}"
set = ["duration=20m"]

[[param]]
path = "autoscaler.scale_up_above"
values = [0.5, 0.6, 0.7, 0.8]

[[param]]
path = "autoscaler.step"
values = [2, 4]
"#,
        scenario.display()
    );
    let path = dir.join("bench.toml");
    std::fs::write(&path, text).expect("write the bench sweep");
    Plan::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs per second of the reference sweep, with 1 and 2 jobs.
pub fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("scalesim-bench-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let plan = reference_sweep(&dir);
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(plan.runs() as u64));
    for jobs in [1, 2] {
        group.bench_function(format!("worldcup_20m_8_runs/jobs={jobs}"), |b| {
            let opts = Options { jobs, ..Options::default() };
            let out = dir.join(format!("jobs-{jobs}.csv"));
            b.iter(|| sweep::execute(&plan, &opts, &out, &AtomicBool::new(false), &mut |_, _| {}).expect("runs"));
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}
