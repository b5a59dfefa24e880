//! What a run produces: one time-series row per tick, an event log, and a
//! summary — handed to a [`Sink`]. The directory sink writes
//! `timeseries.csv`, `events.csv` and `summary.json`; the memory sink keeps
//! them for tests and the TUI.
//!
//! Numbers are written with fixed precision, so the same run gives the same
//! bytes on every machine.

pub mod atomic;
pub mod events;
pub mod openmetrics;
pub mod read;
pub mod summary;
pub mod timeseries;

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::input::problem::{FieldPath, Origin, Problem, Problems};
pub use atomic::AtomicFile;
pub use events::{EventKind, EventRow};
pub use summary::Summary;
pub use timeseries::TickRow;

/// Receives a run's output as it is produced.
pub trait Sink {
    /// One time-series row.
    fn tick(&mut self, row: &TickRow);
    /// One event.
    fn event(&mut self, row: &EventRow);
    /// The end of the run.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
    /// Whether it keeps the inputs the HPA controller read at each sync
    /// (`hpa_inputs.csv`, replayable with `scalesim hpa`).
    fn wants_policy_inputs(&self) -> bool {
        false
    }
    /// CSV rows of those inputs (the header comes with the first rows).
    fn policy_inputs(&mut self, _rows: &str) {}
}

/// Keeps everything in memory.
#[derive(Default, Debug, Clone)]
pub struct MemorySink {
    /// Time-series rows.
    pub ticks: Vec<TickRow>,
    /// Events.
    pub events: Vec<EventRow>,
    /// The summary, once finished.
    pub summary: Option<Summary>,
    /// The policy's recorded inputs, if recording (`Some` turns it on).
    pub policy_inputs: Option<String>,
}

impl Sink for MemorySink {
    fn tick(&mut self, row: &TickRow) {
        self.ticks.push(row.clone());
    }
    fn event(&mut self, row: &EventRow) {
        self.events.push(row.clone());
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.summary = Some(summary.clone());
        Ok(())
    }
    fn wants_policy_inputs(&self) -> bool {
        self.policy_inputs.is_some()
    }
    fn policy_inputs(&mut self, rows: &str) {
        if let Some(s) = &mut self.policy_inputs {
            s.push_str(rows);
        }
    }
}

/// Discards everything (benchmarks, sweeps that keep only summaries).
#[derive(Default, Debug, Clone, Copy)]
pub struct NullSink;

impl Sink for NullSink {
    fn tick(&mut self, _: &TickRow) {}
    fn event(&mut self, _: &EventRow) {}
    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        Ok(())
    }
}

/// Where a run writes without `--out`: `out/<name>/`, named by the
/// scenario's `name` — which is checked as sweep names are, so that
/// `"../../x"`, `"/tmp/x"` or `""` cannot write outside `out/` or into
/// `out/` itself.
pub fn default_dir(scenario: &Path, name: &str) -> Result<PathBuf, Problems> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.chars().all(allowed) && name.chars().any(|c| c != '.') {
        return Ok(Path::new("out").join(name));
    }
    Err(Problems(vec![Problem {
        origin: Origin::File { path: scenario.to_path_buf(), line: None },
        field: FieldPath::parse("name"),
        message: format!("'{name}' cannot name the output directory out/<name>/"),
        hint: Some("use letters, digits, '-', '_' and '.' in name, or give --out DIR".into()),
    }]))
}

/// The file names a run writes.
pub const FILES: [&str; 3] = ["timeseries.csv", "events.csv", "summary.json"];

/// The file of the HPA's inputs, written on request (`run --hpa-inputs`).
pub const INPUTS_FILE: &str = "hpa_inputs.csv";

/// Writes the three files into a directory, each an [`AtomicFile`]: under
/// a temporary name unique to the process, locked against a second writer,
/// renamed into place at the end — so a failed or interrupted run leaves no
/// half-written outputs, and two runs into one directory never mix rows.
pub struct DirSink {
    dir: PathBuf,
    /// The open files; taken by `finish`.
    files: Option<Files>,
    error: Option<io::Error>,
    line: String,
}

struct Files {
    summary: AtomicFile,
    timeseries: BufWriter<AtomicFile>,
    events: csv::Writer<AtomicFile>,
    inputs: Option<BufWriter<AtomicFile>>,
}

impl DirSink {
    /// Creates the directory and starts the files.
    pub fn create(dir: &Path) -> io::Result<DirSink> {
        fs::create_dir_all(dir)?;
        // The summary first: its lock refuses a second run into the same
        // directory before anything else is started.
        let summary = AtomicFile::create(&dir.join(FILES[2]))?;
        let mut timeseries = BufWriter::new(AtomicFile::create(&dir.join(FILES[0]))?);
        timeseries::write_header(&mut timeseries)?;
        let mut events = csv::Writer::from_writer(AtomicFile::create(&dir.join(FILES[1]))?);
        events.write_record(events::HEADER).map_err(io::Error::other)?;
        let files = Files { summary, timeseries, events, inputs: None };
        Ok(DirSink { dir: dir.to_path_buf(), files: Some(files), error: None, line: String::new() })
    }

    /// Also writes the HPA's inputs at each sync to `hpa_inputs.csv`.
    pub fn record_policy_inputs(&mut self) -> io::Result<()> {
        if let Some(f) = &mut self.files {
            f.inputs = Some(BufWriter::new(AtomicFile::create(&self.dir.join(INPUTS_FILE))?));
        }
        Ok(())
    }

    fn keep(&mut self, r: io::Result<()>) {
        if let Err(e) = r
            && self.error.is_none()
        {
            self.error = Some(e);
        }
    }
}

fn into_file<W: Write>(w: BufWriter<W>) -> io::Result<W> {
    w.into_inner().map_err(|e| e.into_error())
}

impl Sink for DirSink {
    fn tick(&mut self, row: &TickRow) {
        let Some(f) = &mut self.files else { return };
        self.line.clear();
        row.write_csv(&mut self.line);
        let r = f.timeseries.write_all(self.line.as_bytes());
        self.keep(r);
    }

    fn event(&mut self, row: &EventRow) {
        let Some(f) = &mut self.files else { return };
        let r = f.events.write_record(row.fields()).map_err(io::Error::other);
        self.keep(r);
    }

    fn wants_policy_inputs(&self) -> bool {
        self.files.as_ref().is_some_and(|f| f.inputs.is_some())
    }

    fn policy_inputs(&mut self, rows: &str) {
        if let Some(w) = self.files.as_mut().and_then(|f| f.inputs.as_mut()) {
            let r = w.write_all(rows.as_bytes());
            self.keep(r);
        }
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let Some(f) = self.files.take() else { return Err(io::Error::other("the run's files were finished already")) };
        let mut json = serde_json::to_string_pretty(summary).map_err(io::Error::other)?;
        json.push('\n');
        let mut summary_file = f.summary;
        summary_file.write_all(json.as_bytes())?;
        // The summary last: once it is there, so are the others.
        into_file(f.timeseries)?.commit()?;
        f.events.into_inner().map_err(|e| e.into_error())?.commit()?;
        if let Some(w) = f.inputs {
            into_file(w)?.commit()?;
        }
        summary_file.commit()
    }
}
