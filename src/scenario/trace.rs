//! Traffic trace files: rate series (`t_seconds,rps`) and per-request logs
//! (`t_seconds[,key][,kind]`), read and checked before a run; problems name
//! the file, the row (as a line number) and the column.
//!
//! A rate series is small (one row per bucket) and is held in memory. A
//! per-request log can be as large as the traffic it records, so it is
//! checked once here and then streamed during the run: memory stays
//! independent of the number of requests.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use crate::engine::rng::fnv1a;
use crate::engine::time::SimDuration;
use crate::input::problem::{Origin, Problem};
use crate::model::request::Kind;
use crate::model::trace::{Columns, KeyIds};
use crate::model::trace::{RateTrace, RequestLog};

/// How far into a trace a run can reach, in trace seconds: `offset` plus
/// the longest run (`limits.duration`) at `speedup`. A row past it
/// could never play: it is refused, so an epoch-stamped trace, or one whose
/// last row is a typo, cannot make the run's natural length absurd.
#[derive(Clone, Copy, Debug)]
pub struct Reach {
    /// `traffic.offset`, seconds of trace time.
    pub offset: f64,
    /// `traffic.speedup`.
    pub speedup: f64,
    /// The longest run ([`MAX_DURATION`](crate::input::limits::MAX_DURATION)
    /// unless `[limits]` raises it).
    pub longest: SimDuration,
}

impl Reach {
    /// The latest trace time a run can reach.
    pub fn latest(self) -> f64 {
        self.offset + self.longest.as_secs_f64() * self.speedup
    }

    /// Why `t` (at `line`; `first` if it is the first row) is out of reach.
    fn refuse(self, path: &Path, line: Option<u64>, what: &str, t: f64, first: bool) -> Problem {
        // Unix epoch times of the years 1973-2286, in seconds or milliseconds.
        let epoch = match t {
            1e8..1e10 => Some("seconds; subtract the first time"),
            1e11..1e13 => Some("milliseconds; subtract the first time and divide by 1000"),
            _ => None,
        };
        let hint = match epoch {
            Some(how) if first => {
                format!("times look like Unix epoch {how}: t_seconds counts from the start of the trace")
            }
            _ => format!(
                "a run plays at most {} of simulated time: {} s of trace at speedup {} from offset {} s; cut the trace, raise traffic.speedup, or raise limits.duration deliberately",
                self.longest,
                self.latest(),
                self.speedup,
                self.offset
            ),
        };
        let message = format!("column 't_seconds': {what} '{t}' is past the longest run");
        Problem {
            origin: Origin::File { path: path.to_path_buf(), line: line.map(|l| l as usize) },
            field: None,
            message,
            hint: Some(hint),
        }
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

/// Reads and checks a rate series; every row must be within `reach`.
pub fn load_rate_trace(path: &Path, reach: Reach) -> Result<RateTrace, Problem> {
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
    let mut last_line = None;
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
        if ts > reach.latest() {
            return Err(reach.refuse(path, line, "the time", ts, t.is_empty()));
        }
        t.push(ts);
        rps.push(r);
        last_line = line;
    }
    if t.is_empty() {
        return Err(problem(path, None, "the trace has no rows".into(), HINT));
    }
    let bucket = if t.len() > 1 { t[t.len() - 1] - t[t.len() - 2] } else { 1.0 };
    let end = t[t.len() - 1] + bucket;
    if end > reach.latest() {
        return Err(reach.refuse(path, last_line, "the end of the last bucket", end, false));
    }
    Ok(RateTrace { t, rps, end, digest })
}

/// Reads and checks a per-request log: `t_seconds` (non-decreasing), an
/// optional `key`, an optional `kind` (read/write) or HTTP `method`; every
/// row must be within `reach`, and at most `max_keys` keys distinct.
pub fn load_request_log(path: &Path, reach: Reach, max_keys: u64) -> Result<RequestLog, Problem> {
    const HINT: &str = "a request log is CSV with a header naming t_seconds and optionally key and kind (read/write) or method, one row per request, times non-decreasing";
    let (mut reader, digest) = open(path)?;
    let cols = headers(&mut reader, path)?;
    let col = |name: &str| cols.iter().position(|c| c == name);
    let Some(t) = col("t_seconds") else {
        return Err(problem(path, Some(1), format!("the header is '{}', without t_seconds", cols.join(",")), HINT));
    };
    let columns = Columns { t, key: col("key"), kind: col("kind").or(col("method")) };
    let kind_name = columns.kind.map(|i| cols[i].clone()).unwrap_or_default();
    let mut keys = KeyIds::default();
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
        if ts > reach.latest() {
            return Err(reach.refuse(path, line, "the time", ts, rows == 0));
        }
        if let Some(k) = columns.key {
            keys.insert(record.get(k).unwrap_or(""));
            if keys.len() as u64 > max_keys {
                return Err(problem(
                    path,
                    line,
                    format!("more than {max_keys} distinct keys"),
                    "the caches hold state per key; raise [limits] keys on purpose, or replay a shorter log",
                ));
            }
        }
        if let Some(k) = columns.kind {
            let raw = record.get(k).unwrap_or("");
            if Kind::parse(raw).is_none() {
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
        end: log_end(last),
        keys: Arc::new(keys),
        has_kind: columns.kind.is_some(),
        digest,
        columns,
    })
}

/// Where a log ends, in trace time: through the second of its last row, so
/// that row plays (a run's last instant is not inside it) and a log stamped
/// to the second lasts as many seconds as it names.
fn log_end(last: f64) -> f64 {
    last.floor() + 1.0
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::engine::time::SimTime;
    use crate::input::limits;
    use crate::model::trace::{LoggedRequest, RequestLogReader};

    /// A run from the start of the trace at its own pace.
    const R: Reach = Reach { offset: 0.0, speedup: 1.0, longest: limits::MAX_DURATION };

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
        let tr = load_rate_trace(&p, R).unwrap();
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
            let e = load_rate_trace(&p, R).unwrap_err().to_string();
            assert!(e.contains(fragment), "{e}");
            if !line.is_empty() {
                assert!(e.contains(&format!("bad{i}.csv:{line}:")), "{e}");
            }
        }
    }

    #[test]
    fn rows_past_the_longest_run_are_refused_and_epoch_times_are_named() {
        let p = write("epoch.csv", "t_seconds,rps\n1700000000,100\n1700003600,120\n");
        let e = load_rate_trace(&p, R).unwrap_err().to_string();
        assert!(e.contains("epoch.csv:2: column 't_seconds': the time '1700000000' is past the longest run"), "{e}");
        assert!(e.contains("Unix epoch seconds; subtract the first time"), "{e}");
        let p = write("far.csv", "t_seconds,rps\n0,100\n1e15,120\n");
        let e = load_rate_trace(&p, R).unwrap_err().to_string();
        assert!(e.contains("far.csv:3:") && e.contains("at most 400d"), "{e}");
        // The last bucket (as long as the one before) must end in reach too.
        let p = write("bucket.csv", "t_seconds,rps\n0,100\n30000000,120\n");
        let e = load_rate_trace(&p, R).unwrap_err().to_string();
        assert!(e.contains("the end of the last bucket '60000000'"), "{e}");
        // Faster replay reaches further into the trace.
        assert!(load_rate_trace(&p, Reach { speedup: 2.0, ..R }).is_ok());
        let p = write("epochms.csv", "t_seconds,key\n1700000000000,a\n");
        let e = load_request_log(&p, R, u64::MAX).unwrap_err().to_string();
        assert!(e.contains("epochms.csv:2:") && e.contains("epoch milliseconds"), "{e}");
    }

    /// A run of a log's natural length replays its last rows: the log ends
    /// at the end of the second of its last row, not at the row itself.
    #[test]
    fn a_request_log_ends_after_its_last_row() {
        let p = write("tail.csv", "t_seconds\n0\n1\n2\n2\n");
        let log = load_request_log(&p, R, u64::MAX).unwrap();
        assert_eq!((log.span, log.end), (2.0, 3.0));
        let spec = crate::model::traffic::TrafficSpec {
            source: crate::model::traffic::Source::Requests(log),
            scale: 1.0,
            speedup: 1.0,
            offset: 0.0,
            arrivals: crate::model::traffic::Arrivals::Poisson,
            write_fraction: 0.0,
            key_count: 1,
            zipf: 0.0,
        };
        let horizon = SimTime::from_secs_f64(spec.natural_length().unwrap());
        let mut arrivals =
            crate::model::traffic::ArrivalProcess::new(&spec, crate::engine::rng::Stream::new(1, "t"), horizon)
                .unwrap();
        assert_eq!(std::iter::from_fn(|| arrivals.next_arrival()).count(), 4);
    }

    #[test]
    fn request_logs_intern_keys_and_stream() {
        let p = write("log.csv", "t_seconds,key,size_bytes,method\n0,/a,1,GET\n0.5,/b,2,POST\n2,/a,3,GET\n");
        let log = load_request_log(&p, R, u64::MAX).unwrap();
        assert_eq!((log.rows, log.span, log.keys.len()), (3, 2.0, 2));
        let rows: Vec<_> = RequestLogReader::open(&log).unwrap().collect();
        assert_eq!(
            rows[1],
            LoggedRequest { t: SimTime::from_nanos(500_000_000), key: Some(1), kind: Some(Kind::Write) }
        );
        assert_eq!(rows[2].key, Some(0));
        let e = load_request_log(&p, R, 1).unwrap_err().to_string();
        assert!(e.contains("log.csv:3:") && e.contains("more than 1 distinct keys"), "{e}");
    }

    #[test]
    fn request_log_problems_name_the_row() {
        let p = write("badlog.csv", "t_seconds,kind\n1,read\n0,read\n");
        assert!(load_request_log(&p, R, u64::MAX).unwrap_err().to_string().contains("badlog.csv:3:"));
        let p = write("badkind.csv", "t_seconds,kind\n1,sideways\n");
        assert!(load_request_log(&p, R, u64::MAX).unwrap_err().to_string().contains("'sideways' is neither"));
    }
}
