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
