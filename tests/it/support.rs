//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use scalesim::output::{MemorySink, Sink, Summary};
use scalesim::scenario::{Override, Scenario};
use scalesim::sim::Simulation;

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A shipped scenario by name.
pub fn scenario_path(name: &str) -> PathBuf {
    root().join("scenarios").join(format!("{name}.toml"))
}

/// Loads a scenario file with `--set` style overrides.
pub fn load(path: &Path, sets: &[&str]) -> Arc<Scenario> {
    let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).expect("override")).collect();
    match Scenario::load(path, &overrides) {
        Ok(s) => Arc::new(s),
        Err(e) => panic!("{e}"),
    }
}

/// Loads scenario text (as if it were a file in `scenarios/`).
pub fn from_text(text: &str) -> Arc<Scenario> {
    match Scenario::from_text(&root().join("scenarios").join("inline.toml"), text, &[]) {
        Ok(s) => Arc::new(s),
        Err(e) => panic!("{e}"),
    }
}

/// A sink that shares what it records with the test.
#[derive(Clone, Default)]
pub struct Shared(pub Arc<std::sync::Mutex<MemorySink>>);

impl Sink for Shared {
    fn tick(&mut self, row: &scalesim::output::TickRow) {
        self.0.lock().unwrap().tick(row);
    }
    fn event(&mut self, row: &scalesim::output::EventRow) {
        self.0.lock().unwrap().event(row);
    }
    fn finish(&mut self, summary: &Summary) -> std::io::Result<()> {
        self.0.lock().unwrap().finish(summary)
    }
    fn wants_policy_inputs(&self) -> bool {
        self.0.lock().unwrap().wants_policy_inputs()
    }
    fn policy_inputs(&mut self, rows: &str) {
        self.0.lock().unwrap().policy_inputs(rows);
    }
}

/// Runs a scenario to the end; returns everything it recorded.
pub fn run(scenario: &Arc<Scenario>, seed: u64) -> MemorySink {
    let shared = Shared::default();
    let sim = Simulation::new(scenario.clone(), seed, Box::new(shared.clone())).expect("starts");
    sim.finish().expect("finishes");
    shared.0.lock().unwrap().clone()
}

/// A temporary directory unique to this test process and name.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scalesim-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A small autoscaled service under a ramp: a few thousand requests, so
/// a run takes milliseconds, yet the thresholds change what happens.
pub const TINY_SCENARIO: &str = r#"name = "tiny"
duration = "2m"
seed = 5
slo = { p99 = "100ms", availability = 0.99 }

[traffic]
shape = { kind = "ramp", from_rps = 20, to_rps = 150, over = "90s" }

[fleet]
initial = 1
cores = 1
workers = 8
queue = 64
service = { dist = "exponential", mean = "10ms" }
provisioning = "5s"
boot = "5s"

[metrics]
scrape_interval = "5s"
window = "10s"
delay = "0s"

[autoscaler]
policy = "threshold"
scale_up_above = 0.7
scale_down_below = 0.3
interval = "5s"
min_replicas = 1
max_replicas = 8
"#;

/// What headless Chromium saw of a page.
pub struct Seen {
    /// The DOM after the scripts ran.
    pub dom: String,
    /// Console messages (`INFO:CONSOLE` lines of Chromium's log).
    pub console: Vec<String>,
}

/// Opens `page` in headless Chromium with the network cut off: dumps the
/// DOM and saves a screenshot as `target/report-screenshots/<name>.png`.
pub fn open(page: &Path, name: &str) -> Seen {
    let profile = temp_dir(&format!("chromium-{name}"));
    let shots = root().join("target").join("report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let run = |extra: &[String]| {
        let mut c = std::process::Command::new("chromium");
        c.args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--hide-scrollbars",
            "--no-first-run",
            // Any host name fails: the report must need no network.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1400,2600",
            "--virtual-time-budget=10000",
        ]);
        c.arg(format!("--user-data-dir={}", profile.display())).args(extra).arg(&url);
        c.output().expect("chromium runs")
    };
    let dump = run(&["--dump-dom".to_string()]);
    let shot = shots.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&shot);
    let taken = run(&[format!("--screenshot={}", shot.display())]);
    assert!(shot.is_file(), "no screenshot: {}", String::from_utf8_lossy(&taken.stderr));
    let log = String::from_utf8_lossy(&dump.stderr).into_owned() + &String::from_utf8_lossy(&taken.stderr);
    let console = log.lines().filter(|l| l.contains(":CONSOLE")).map(str::to_string).collect();
    Seen { dom: String::from_utf8_lossy(&dump.stdout).into_owned(), console }
}
