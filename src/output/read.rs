//! Reading back what a run wrote: `timeseries.csv` as columns of numbers,
//! the events, and `summary.json`. The report and the OpenMetrics export are
//! readers of run directories, never of the simulation itself, so they work
//! on any run kept on disk (`run`, `tui`, `sweep --keep-runs`).

use std::path::{Path, PathBuf};

use super::Summary;
use crate::error::Error;
use crate::input::problem::{Origin, Problem, Problems};

/// `timeseries.csv` by column: `None` where the cell is empty ("not
/// applicable").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Columns {
    /// The header's names, in order.
    pub names: Vec<String>,
    /// One vector per name, one value per row.
    pub values: Vec<Vec<Option<f64>>>,
}

impl Columns {
    /// The column called `name`, if the file has it.
    pub fn get(&self, name: &str) -> Option<&[Option<f64>]> {
        self.names.iter().position(|n| n == name).map(|i| self.values[i].as_slice())
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `t_s`, with 0 where a cell is missing.
    pub fn time(&self) -> Vec<f64> {
        self.get("t_s").map_or_else(Vec::new, |t| t.iter().map(|v| v.unwrap_or(0.0)).collect())
    }

    /// The tick: the step between the first two rows (1 s for a single row).
    pub fn tick(&self) -> f64 {
        let t = self.time();
        if t.len() >= 2 { t[1] - t[0] } else { 1.0 }
    }
}

/// One row of `events.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// When, seconds.
    pub t_s: f64,
    /// What sort (`scale`, `instance`, `fault`, …).
    pub kind: String,
    /// What it is about.
    pub subject: String,
    /// The details.
    pub detail: String,
}

/// A run directory, read.
#[derive(Clone, Debug)]
pub struct RunDir {
    /// The directory.
    pub dir: PathBuf,
    /// The time series.
    pub series: Columns,
    /// The events.
    pub events: Vec<Event>,
    /// The summary.
    pub summary: Summary,
}

fn invalid(path: &Path, line: Option<usize>, message: String, hint: Option<String>) -> Error {
    Error::Invalid(Problems(vec![Problem {
        origin: Origin::File { path: path.to_path_buf(), line },
        field: None,
        message,
        hint,
    }]))
}

impl RunDir {
    /// Reads `timeseries.csv`, `events.csv` and `summary.json` in `dir`.
    pub fn read(dir: &Path) -> Result<RunDir, Error> {
        if !dir.is_dir() {
            return Err(invalid(
                dir,
                None,
                "not a run directory".into(),
                Some("give the directory a run wrote (it holds timeseries.csv, events.csv, summary.json)".into()),
            ));
        }
        let path = dir.join("summary.json");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let summary: Summary = serde_json::from_str(&text).map_err(|e| {
            invalid(&path, Some(e.line()), format!("not a scalesim summary: {e}"), Some("rerun the scenario".into()))
        })?;
        Ok(RunDir {
            dir: dir.to_path_buf(),
            series: read_columns(&dir.join("timeseries.csv"))?,
            events: read_events(&dir.join("events.csv"))?,
            summary,
        })
    }

    /// A short name for the run: its directory's name.
    pub fn name(&self) -> String {
        self.dir.file_name().map_or_else(|| self.dir.display().to_string(), |n| n.to_string_lossy().into_owned())
    }
}

fn reader(path: &Path) -> Result<csv::Reader<std::fs::File>, Error> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(csv::ReaderBuilder::new().comment(Some(b'#')).from_reader(file))
}

fn csv_error(path: &Path, e: &csv::Error) -> Error {
    let line = e.position().map(|p| p.line() as usize);
    invalid(path, line, format!("malformed CSV: {e}"), None)
}

/// Reads a CSV of numbers with a header (`timeseries.csv`) by column.
pub fn read_columns(path: &Path) -> Result<Columns, Error> {
    let mut r = reader(path)?;
    let names: Vec<String> = r.headers().map_err(|e| csv_error(path, &e))?.iter().map(str::to_string).collect();
    if names.first().map(String::as_str) != Some("t_s") {
        return Err(invalid(
            path,
            Some(1),
            "the header does not start with 't_s'".into(),
            Some("give a timeseries.csv".into()),
        ));
    }
    let mut values = vec![Vec::new(); names.len()];
    for (i, record) in r.records().enumerate() {
        let record = record.map_err(|e| csv_error(path, &e))?;
        for (j, cell) in record.iter().enumerate() {
            let v = if cell.is_empty() {
                None
            } else {
                Some(cell.parse::<f64>().map_err(|_| {
                    invalid(path, Some(i + 2), format!("column '{}': '{cell}' is not a number", names[j]), None)
                })?)
            };
            values[j].push(v);
        }
    }
    Ok(Columns { names, values })
}

/// Reads `events.csv`.
pub fn read_events(path: &Path) -> Result<Vec<Event>, Error> {
    let mut r = reader(path)?;
    let mut out = Vec::new();
    for (i, record) in r.records().enumerate() {
        let record = record.map_err(|e| csv_error(path, &e))?;
        let cell = |k: usize| record.get(k).unwrap_or("").to_string();
        let t = cell(0);
        let t_s =
            t.parse::<f64>().map_err(|_| invalid(path, Some(i + 2), format!("t_s: '{t}' is not a number"), None))?;
        out.push(Event { t_s, kind: cell(1), subject: cell(2), detail: cell(3) });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_keep_empty_cells_as_none_and_name_a_bad_cell() {
        let dir = std::env::temp_dir().join(format!("scalesim-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("timeseries.csv");
        std::fs::write(&path, "t_s,a,b\n0.000,1,\n1.000,2,3\n").unwrap();
        let c = read_columns(&path).unwrap();
        assert_eq!(c.get("b"), Some(&[None, Some(3.0)][..]));
        assert_eq!(c.tick(), 1.0);
        std::fs::write(&path, "t_s,a\n0.000,1\n1.000,x\n").unwrap();
        let e = read_columns(&path).unwrap_err().to_string();
        assert!(e.contains("timeseries.csv:3") && e.contains("'x' is not a number"), "{e}");
    }
}
