//! What a run produces: one time-series row per tick, an event log, and a
//! summary — handed to a [`Sink`]. The directory sink writes
//! `timeseries.csv`, `events.csv` and `summary.json`; the memory sink keeps
//! them for tests and the TUI.
//!
//! Numbers are written with fixed precision, so the same run gives the same
//! bytes on every machine.

pub mod events;
pub mod openmetrics;
pub mod read;
pub mod summary;
pub mod timeseries;

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

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

/// The file names a run writes.
pub const FILES: [&str; 3] = ["timeseries.csv", "events.csv", "summary.json"];

/// The file of the HPA's inputs, written on request (`run --hpa-inputs`).
pub const INPUTS_FILE: &str = "hpa_inputs.csv";

/// Writes the three files into a directory. They are written under
/// temporary names and renamed at the end, so a failed run leaves no
/// half-written outputs.
pub struct DirSink {
    dir: PathBuf,
    timeseries: BufWriter<File>,
    events: csv::Writer<BufWriter<File>>,
    inputs: Option<BufWriter<File>>,
    error: Option<io::Error>,
    line: String,
}

fn tmp(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.tmp"))
}

impl DirSink {
    /// Creates the directory and opens the temporary files.
    pub fn create(dir: &Path) -> io::Result<DirSink> {
        fs::create_dir_all(dir)?;
        let mut timeseries = BufWriter::new(File::create(tmp(dir, FILES[0]))?);
        timeseries::write_header(&mut timeseries)?;
        let mut events = csv::Writer::from_writer(BufWriter::new(File::create(tmp(dir, FILES[1]))?));
        events.write_record(events::HEADER).map_err(io::Error::other)?;
        Ok(DirSink { dir: dir.to_path_buf(), timeseries, events, inputs: None, error: None, line: String::new() })
    }

    /// Also writes the HPA's inputs at each sync to `hpa_inputs.csv`.
    pub fn record_policy_inputs(&mut self) -> io::Result<()> {
        self.inputs = Some(BufWriter::new(File::create(tmp(&self.dir, INPUTS_FILE))?));
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

impl Sink for DirSink {
    fn tick(&mut self, row: &TickRow) {
        self.line.clear();
        row.write_csv(&mut self.line);
        let r = self.timeseries.write_all(self.line.as_bytes());
        self.keep(r);
    }

    fn event(&mut self, row: &EventRow) {
        let r = self.events.write_record(row.fields()).map_err(io::Error::other);
        self.keep(r);
    }

    fn wants_policy_inputs(&self) -> bool {
        self.inputs.is_some()
    }

    fn policy_inputs(&mut self, rows: &str) {
        if let Some(w) = &mut self.inputs {
            let r = w.write_all(rows.as_bytes());
            self.keep(r);
        }
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.timeseries.flush()?;
        self.events.flush()?;
        if let Some(w) = &mut self.inputs {
            w.flush()?;
            fs::rename(tmp(&self.dir, INPUTS_FILE), self.dir.join(INPUTS_FILE))?;
        }
        let mut json = serde_json::to_string_pretty(summary).map_err(io::Error::other)?;
        json.push('\n');
        fs::write(tmp(&self.dir, FILES[2]), json)?;
        for name in FILES {
            fs::rename(tmp(&self.dir, name), self.dir.join(name))?;
        }
        Ok(())
    }
}

impl Drop for DirSink {
    /// A run that did not finish leaves no temporary files behind.
    fn drop(&mut self) {
        for name in FILES.iter().chain([&INPUTS_FILE]) {
            let _ = fs::remove_file(tmp(&self.dir, name));
        }
    }
}
