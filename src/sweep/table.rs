//! The sweep's CSV files: one row per run (`runs`), and one row per
//! parameter point across seeds (`points`, see `aggregate`).
//!
//! Both start with one comment line that identifies the sweep:
//!
//! ```text
//! # scalesim sweep name=worldcup-threshold hash=5f0c…e1 runs=36 version=0.1.0
//! run,point,autoscaler.scale_up_above,…,seed,arrivals,…
//! ```
//!
//! A shard adds ` shard=I/N`. `hash` is a digest of the sweep file's bytes,
//! the base scenario's hash (its merged fields and traces), the parameters
//! with their values, the seeds and scalesim's version: shards merge only
//! with shards of the same hash. Readers skip the line with `comment='#'`
//! (pandas) or `comment.char = "#"` (R).
//!
//! Numbers are written with fixed precision (latency 3 decimals, ratios 6,
//! replica-hours 4), so the same sweep gives the same bytes everywhere.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use strum::IntoEnumIterator;

use super::shard::Shard;
use crate::model::outcome::ErrorKind;
use crate::output::summary::FindingKind;
use crate::output::{AtomicFile, Summary};

/// The first columns of a runs file, before the parameters.
pub const LEAD: [&str; 2] = ["run", "point"];

/// The summary's columns, after `seed`: the figures a run is judged by.
pub fn metric_columns() -> Vec<String> {
    let mut c: Vec<String> =
        ["arrivals", "attempts", "retries", "completed", "succeeded", "failed"].iter().map(|s| s.to_string()).collect();
    c.extend(ErrorKind::ALL.iter().map(|k| format!("errors_{}", k.name())));
    c.extend(
        [
            "latency_mean_ms",
            "latency_p50_ms",
            "latency_p95_ms",
            "latency_p99_ms",
            "latency_max_ms",
            "availability",
            "slo_met",
            "slo_attainment",
            "error_budget_burn",
            "replica_hours",
            "cost_total",
            "peak_replicas",
            "mean_replicas",
            "scale_events",
            "scale_ups",
            "scale_downs",
            "reversals",
            "findings",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    // One count column per failure mode of DESIGN.md §3.
    c.extend(FindingKind::iter().map(|k| format!("findings_{k}")));
    c
}

/// Every column of a runs file.
pub fn run_columns(params: &[String]) -> Vec<String> {
    let mut c: Vec<String> = LEAD.iter().map(|s| s.to_string()).collect();
    c.extend(params.iter().cloned());
    c.push("seed".into());
    c.extend(metric_columns());
    c
}

fn fixed(x: Option<f64>, decimals: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => String::new(),
    }
}

/// A run's row: its index, point, parameter values, seed and figures.
pub fn run_cells(run: usize, point: usize, values: &[String], seed: u64, s: &Summary) -> Vec<String> {
    let r = &s.requests;
    let mut c = vec![run.to_string(), point.to_string()];
    c.extend(values.iter().cloned());
    c.push(seed.to_string());
    c.extend([r.arrivals, r.attempts, r.retries, r.completed, r.succeeded, r.failed].iter().map(u64::to_string));
    c.extend(ErrorKind::ALL.iter().map(|k| r.errors.get(k.name()).copied().unwrap_or(0).to_string()));
    let l = &s.latency_ms;
    c.extend([l.mean, l.p50, l.p95, l.p99, l.max].iter().map(|x| fixed(*x, 3)));
    c.push(fixed(s.slo.availability, 6));
    c.push(u8::from(s.slo.met).to_string());
    c.push(fixed(s.slo.attainment, 6));
    c.push(fixed(s.slo.error_budget_burn, 4));
    c.push(fixed(Some(s.cost.replica_hours), 4));
    c.push(fixed(Some(s.cost.total), 4));
    c.push(s.cost.peak_replicas.to_string());
    c.push(fixed(Some(s.cost.mean_replicas), 4));
    let g = &s.scaling;
    c.extend([g.scale_events, g.scale_ups, g.scale_downs, g.reversals].iter().map(u64::to_string));
    c.push(s.findings.len().to_string());
    c.extend(FindingKind::iter().map(|k| s.findings.iter().filter(|f| f.kind == k).count().to_string()));
    c
}

/// The identifying first line of a sweep file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The sweep's name.
    pub name: String,
    /// The sweep hash.
    pub hash: u64,
    /// Runs in the whole sweep.
    pub runs: usize,
    /// scalesim's version.
    pub version: String,
    /// The shard, if the file holds one.
    pub shard: Option<Shard>,
}

const MAGIC: &str = "# scalesim sweep";

impl Header {
    /// The line, with its newline.
    pub fn line(&self) -> String {
        let mut s =
            format!("{MAGIC} name={} hash={:016x} runs={} version={}", self.name, self.hash, self.runs, self.version);
        if let Some(shard) = self.shard {
            s.push_str(&format!(" shard={shard}"));
        }
        s.push('\n');
        s
    }

    /// Parses the line.
    pub fn parse(line: &str) -> Result<Header, HeaderError> {
        let rest = line.trim_end().strip_prefix(MAGIC).ok_or(HeaderError::NotSweep)?;
        let mut h = Header { name: String::new(), hash: 0, runs: 0, version: String::new(), shard: None };
        let (mut has_hash, mut has_runs) = (false, false);
        let bad = |key: &'static str, value: &str, want: &str| HeaderError::Field {
            key,
            problem: format!("'{value}' is not {want}"),
        };
        for field in rest.split_whitespace() {
            let Some((k, v)) = field.split_once('=') else {
                return Err(HeaderError::Field { key: "", problem: format!("'{field}' is not key=value") });
            };
            match k {
                "name" => h.name = v.to_string(),
                "hash" => {
                    h.hash = u64::from_str_radix(v, 16).map_err(|_| bad("hash", v, "a hexadecimal hash"))?;
                    has_hash = true;
                }
                "runs" => {
                    h.runs = v.parse().map_err(|_| bad("runs", v, "a run count"))?;
                    has_runs = true;
                }
                "version" => h.version = v.to_string(),
                "shard" => h.shard = Some(Shard::parse(v).map_err(|_| bad("shard", v, "a shard I/N"))?),
                _ => {}
            }
        }
        match (has_hash, has_runs) {
            (false, _) => Err(HeaderError::Field { key: "hash", problem: "is missing".into() }),
            (_, false) => Err(HeaderError::Field { key: "runs", problem: "is missing".into() }),
            _ => Ok(h),
        }
    }
}

/// Why a first line is not a usable sweep header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// It is not a sweep header at all.
    NotSweep,
    /// It is one, with a field missing or malformed (`key` empty: not
    /// `key=value`).
    Field {
        /// The field.
        key: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::NotSweep => write!(f, "the first line is not '{MAGIC} name=… hash=… runs=…'"),
            HeaderError::Field { key: "", problem } => write!(f, "the sweep header's {problem}"),
            HeaderError::Field { key, problem } => write!(f, "the sweep header's {key} {problem}"),
        }
    }
}

/// A CSV writer over an [`AtomicFile`], started with the header line.
pub struct CsvFile {
    csv: csv::Writer<AtomicFile>,
}

impl CsvFile {
    /// Creates `dest` (temporarily) and writes the header line and columns.
    pub fn create(dest: &Path, header: &Header, columns: &[String]) -> io::Result<CsvFile> {
        let mut file = AtomicFile::create(dest)?;
        file.write_all(header.line().as_bytes())?;
        let mut csv = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(file);
        csv.write_record(columns).map_err(io::Error::other)?;
        Ok(CsvFile { csv })
    }

    /// Writes a row.
    pub fn row(&mut self, cells: &[String]) -> io::Result<()> {
        self.csv.write_record(cells).map_err(io::Error::other)
    }

    /// Renames the file into place.
    pub fn commit(self) -> io::Result<()> {
        self.csv.into_inner().map_err(|e| io::Error::other(e.to_string()))?.commit()
    }
}

/// The aggregate's path beside the runs file: `x.csv` → `x.points.csv`.
pub fn points_path(runs: &Path) -> PathBuf {
    let stem = runs.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    runs.with_file_name(format!("{stem}.points.csv"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        let h = Header { name: "s".into(), hash: 0xabc, runs: 12, version: "0.1.0".into(), shard: None };
        assert_eq!(h.line(), "# scalesim sweep name=s hash=0000000000000abc runs=12 version=0.1.0\n");
        assert_eq!(Header::parse(&h.line()), Ok(h.clone()));
        let s = Header { shard: Some(Shard { index: 1, count: 3 }), ..h };
        assert_eq!(Header::parse(&s.line()), Ok(s));
        assert_eq!(Header::parse("run,point,seed"), Err(HeaderError::NotSweep));
        let e = Header::parse("# scalesim sweep name=x hash=zz runs=1").unwrap_err();
        assert_eq!(e.to_string(), "the sweep header's hash 'zz' is not a hexadecimal hash");
        let e = Header::parse("# scalesim sweep name=x hash=1").unwrap_err();
        assert_eq!(e.to_string(), "the sweep header's runs is missing");
        assert_eq!(points_path(Path::new("out/x.csv")), Path::new("out/x.points.csv"));
    }

    #[test]
    fn columns_and_cells_agree() {
        let params = vec!["a.b".to_string()];
        let cells = run_cells(3, 1, &["0.5".into()], 7, &Summary::default());
        assert_eq!(cells.len(), run_columns(&params).len());
        assert_eq!(&cells[..4], ["3", "1", "0.5", "7"]);
    }
}
