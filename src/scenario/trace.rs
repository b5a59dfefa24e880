//! Traffic trace files: rate series (`t_seconds,rps`) and per-request logs
//! (`t_seconds[,key][,kind]`), read and checked before a run; problems name
//! the file, the row (as a line number) and the column.
//!
//! A rate series is small (one row per bucket) and is held in memory. A
//! per-request log can be as large as the traffic it records, so it is
//! checked once here and then streamed during the run: memory stays
//! independent of the number of requests.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::problem::{Origin, Problem};
use crate::engine::rng::fnv1a;
use crate::engine::time::SimTime;

/// A rate series: `rps[i]` holds from `t[i]` to `t[i+1]` (the last bucket
/// is as long as the one before it).
#[derive(Clone, Debug, PartialEq)]
pub struct RateTrace {
    /// Bucket start times, seconds, strictly increasing from the first row.
    pub t: Vec<f64>,
    /// Requests per second in each bucket.
    pub rps: Vec<f64>,
    /// The end of the last bucket, seconds.
    pub end: f64,
    /// A digest of the file's contents (part of the scenario hash).
    pub digest: u64,
}

impl RateTrace {
    /// The highest rate in the series.
    pub fn peak(&self) -> f64 {
        self.rps.iter().copied().fold(0.0, f64::max)
    }
}

fn problem(path: &Path, line: Option<u64>, message: String, hint: &str) -> Problem {
    Problem {
        origin: Origin::File { path: path.to_path_buf(), line: line.map(|l| l as usize) },
        field: None,
        message,
        hint: Some(hint.to_string()),
    }
}

fn open(path: &Path) -> Result<(csv::Reader<BufReader<File>>, u64), Problem> {
    let bytes = crate::input::read(path).map_err(|e| {
        problem(
            path,
            None,
            format!("cannot read the trace: {e}"),
            "check the path; it is relative to the scenario file",
        )
    })?;
    let digest = fnv1a(&bytes);
    let file =
        File::open(path).map_err(|e| problem(path, None, format!("cannot read the trace: {e}"), "check the path"))?;
    let reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(BufReader::new(file));
    Ok((reader, digest))
}

fn headers(reader: &mut csv::Reader<BufReader<File>>, path: &Path) -> Result<Vec<String>, Problem> {
    let h = reader.headers().map_err(|e| {
        problem(path, Some(1), format!("cannot read the header: {e}"), "the first line names the columns")
    })?;
    Ok(h.iter().map(str::to_string).collect())
}

/// Reads and checks a rate series.
pub fn load_rate_trace(path: &Path) -> Result<RateTrace, Problem> {
    const HINT: &str = "a rate trace is CSV with the header t_seconds,rps and one row per bucket, times increasing";
    let (mut reader, digest) = open(path)?;
    let cols = headers(&mut reader, path)?;
    let col = |name: &str| cols.iter().position(|c| c == name);
    let (Some(ti), Some(ri)) = (col("t_seconds"), col("rps")) else {
        return Err(problem(
            path,
            Some(1),
            format!("the header is '{}', without t_seconds and rps", cols.join(",")),
            HINT,
        ));
    };
    let (mut t, mut rps) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line());
            problem(path, line, format!("malformed row: {e}"), HINT)
        })?;
        let line = record.position().map(|p| p.line());
        let field = |i: usize, name: &str| -> Result<f64, Problem> {
            let raw = record.get(i).unwrap_or("");
            raw.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| problem(path, line, format!("column '{name}': '{raw}' is not a number"), HINT))
        };
        let (ts, r) = (field(ti, "t_seconds")?, field(ri, "rps")?);
        if r < 0.0 {
            return Err(problem(path, line, format!("column 'rps': '{r}' is negative"), HINT));
        }
        if ts < 0.0 || t.last().is_some_and(|&prev| ts <= prev) {
            return Err(problem(path, line, format!("column 't_seconds': '{ts}' does not increase"), HINT));
        }
        t.push(ts);
        rps.push(r);
    }
    if t.is_empty() {
        return Err(problem(path, None, "the trace has no rows".into(), HINT));
    }
    let bucket = if t.len() > 1 { t[t.len() - 1] - t[t.len() - 2] } else { 1.0 };
    let end = t[t.len() - 1] + bucket;
    Ok(RateTrace { t, rps, end, digest })
}

/// Whether a logged request reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A read (may be served from a cache).
    Read,
    /// A write (goes to the database primary, invalidates caches).
    Write,
}

fn parse_kind(raw: &str) -> Option<Kind> {
    match raw.to_ascii_lowercase().as_str() {
        "read" | "r" | "get" | "head" | "options" => Some(Kind::Read),
        "write" | "w" | "post" | "put" | "patch" | "delete" => Some(Kind::Write),
        _ => None,
    }
}

/// A checked per-request log, ready to be streamed.
#[derive(Clone, Debug)]
pub struct RequestLog {
    /// The file.
    pub path: PathBuf,
    /// Rows (requests).
    pub rows: u64,
    /// Seconds from the first to the last request.
    pub span: f64,
    /// Each distinct key's id, by order of first appearance.
    pub keys: Arc<BTreeMap<String, u32>>,
    /// Whether rows carry their own read/write kind (`kind` or `method`).
    pub has_kind: bool,
    /// A digest of the file's contents.
    pub digest: u64,
    columns: Columns,
}

#[derive(Clone, Copy, Debug)]
struct Columns {
    t: usize,
    key: Option<usize>,
    kind: Option<usize>,
}

/// Reads and checks a per-request log: `t_seconds` (non-decreasing), an
/// optional `key`, an optional `kind` (read/write) or HTTP `method`.
pub fn load_request_log(path: &Path) -> Result<RequestLog, Problem> {
    const HINT: &str = "a request log is CSV with a header naming t_seconds and optionally key and kind (read/write) or method, one row per request, times non-decreasing";
    let (mut reader, digest) = open(path)?;
    let cols = headers(&mut reader, path)?;
    let col = |name: &str| cols.iter().position(|c| c == name);
    let Some(t) = col("t_seconds") else {
        return Err(problem(path, Some(1), format!("the header is '{}', without t_seconds", cols.join(",")), HINT));
    };
    let columns = Columns { t, key: col("key"), kind: col("kind").or(col("method")) };
    let kind_name = columns.kind.map(|i| cols[i].clone()).unwrap_or_default();
    let mut keys = BTreeMap::new();
    let (mut rows, mut first, mut last) = (0u64, None, 0.0f64);
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line());
            problem(path, line, format!("malformed row: {e}"), HINT)
        })?;
        let line = record.position().map(|p| p.line());
        let raw = record.get(t).unwrap_or("");
        let ts: f64 = raw.parse().ok().filter(|x: &f64| x.is_finite() && *x >= 0.0).ok_or_else(|| {
            problem(path, line, format!("column 't_seconds': '{raw}' is not a time in seconds"), HINT)
        })?;
        if ts < last {
            return Err(problem(
                path,
                line,
                format!("column 't_seconds': '{ts}' is earlier than the row before"),
                HINT,
            ));
        }
        if let Some(k) = columns.key {
            let key = record.get(k).unwrap_or("");
            let next = keys.len() as u32;
            keys.entry(key.to_string()).or_insert(next);
        }
        if let Some(k) = columns.kind {
            let raw = record.get(k).unwrap_or("");
            if parse_kind(raw).is_none() {
                return Err(problem(
                    path,
                    line,
                    format!("column '{kind_name}': '{raw}' is neither a read nor a write"),
                    "use read/write, or an HTTP method (GET, HEAD are reads; POST, PUT, PATCH, DELETE are writes)",
                ));
            }
        }
        first.get_or_insert(ts);
        last = ts;
        rows += 1;
    }
    if rows == 0 {
        return Err(problem(path, None, "the log has no rows".into(), HINT));
    }
    Ok(RequestLog {
        path: path.to_path_buf(),
        rows,
        span: last - first.unwrap_or(0.0),
        keys: Arc::new(keys),
        has_kind: columns.kind.is_some(),
        digest,
        columns,
    })
}

/// One logged request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoggedRequest {
    /// When it arrived, in trace time.
    pub t: SimTime,
    /// Its key's id, if the log has keys.
    pub key: Option<u32>,
    /// Its kind, if the log has one.
    pub kind: Option<Kind>,
}

/// Streams a checked log, row by row.
pub struct RequestLogReader {
    records: csv::StringRecordsIntoIter<BufReader<File>>,
    log: RequestLog,
}

impl RequestLogReader {
    /// Opens the log again for streaming (it was checked when loaded).
    pub fn open(log: &RequestLog) -> std::io::Result<RequestLogReader> {
        let file = File::open(&log.path)?;
        let reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(BufReader::new(file));
        Ok(RequestLogReader { records: reader.into_records(), log: log.clone() })
    }
}

impl Iterator for RequestLogReader {
    type Item = LoggedRequest;
    fn next(&mut self) -> Option<LoggedRequest> {
        // The file was checked when the scenario loaded; a row that no
        // longer parses (the file changed under us) ends the stream.
        let record = self.records.next()?.ok()?;
        let c = self.log.columns;
        let t: f64 = record.get(c.t)?.parse().ok()?;
        Some(LoggedRequest {
            t: SimTime::from_secs_f64(t),
            key: c.key.and_then(|k| self.log.keys.get(record.get(k)?).copied()),
            kind: c.kind.and_then(|k| parse_kind(record.get(k)?)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("scalesim-trace-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn rate_traces_load_and_end_one_bucket_after_the_last_row() {
        let p = write("ok.csv", "t_seconds,rps\n0,10\n60,20.5\n120,0\n");
        let tr = load_rate_trace(&p).unwrap();
        assert_eq!(tr.rps, vec![10.0, 20.5, 0.0]);
        assert_eq!(tr.end, 180.0);
        assert_eq!(tr.peak(), 20.5);
    }

    #[test]
    fn rate_trace_problems_name_row_and_column() {
        let cases = [
            ("t_seconds,rps\n0,10\n60,abc\n", "3", "column 'rps': 'abc' is not a number"),
            ("t_seconds,rps\n0,10\n0,5\n", "3", "does not increase"),
            ("t_seconds,rps\n0,-1\n", "2", "negative"),
            ("time,rate\n0,1\n", "1", "without t_seconds and rps"),
            ("t_seconds,rps\n", "", "no rows"),
        ];
        for (i, (text, line, fragment)) in cases.iter().enumerate() {
            let p = write(&format!("bad{i}.csv"), text);
            let e = load_rate_trace(&p).unwrap_err().to_string();
            assert!(e.contains(fragment), "{e}");
            if !line.is_empty() {
                assert!(e.contains(&format!("bad{i}.csv:{line}:")), "{e}");
            }
        }
    }

    #[test]
    fn request_logs_intern_keys_and_stream() {
        let p = write("log.csv", "t_seconds,key,size_bytes,method\n0,/a,1,GET\n0.5,/b,2,POST\n2,/a,3,GET\n");
        let log = load_request_log(&p).unwrap();
        assert_eq!((log.rows, log.span, log.keys.len()), (3, 2.0, 2));
        let rows: Vec<_> = RequestLogReader::open(&log).unwrap().collect();
        assert_eq!(rows[1], LoggedRequest { t: SimTime(500_000_000), key: Some(1), kind: Some(Kind::Write) });
        assert_eq!(rows[2].key, Some(0));
    }

    #[test]
    fn request_log_problems_name_the_row() {
        let p = write("badlog.csv", "t_seconds,kind\n1,read\n0,read\n");
        assert!(load_request_log(&p).unwrap_err().to_string().contains("badlog.csv:3:"));
        let p = write("badkind.csv", "t_seconds,kind\n1,sideways\n");
        assert!(load_request_log(&p).unwrap_err().to_string().contains("'sideways' is neither"));
    }
}
