//! Traffic traces as the model replays them: a rate series held in memory
//! and a per-request log streamed row by row (checked when the scenario
//! loaded, by `scenario::trace`).

use std::collections::HashMap;
use std::fs::File;
use std::hash::BuildHasherDefault;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::Arc;

use super::cache::Fnv;
use super::request::Kind;
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

/// A checked per-request log, ready to be streamed.
#[derive(Clone, Debug)]
pub struct RequestLog {
    /// The file.
    pub path: PathBuf,
    /// Rows (requests).
    pub rows: u64,
    /// Seconds from the first to the last request.
    pub span: f64,
    /// The end of the log in trace time, seconds: the end of the second of
    /// its last row, so a run of the log's natural length replays every row.
    pub end: f64,
    /// Each distinct key's id, by order of first appearance.
    pub keys: Arc<KeyIds>,
    /// Whether rows carry their own read/write kind (`kind` or `method`).
    pub has_kind: bool,
    /// A digest of the file's contents.
    pub digest: u64,
    /// Where its columns are (found when it was checked).
    pub(crate) columns: Columns,
}

/// The distinct keys of a request log, each with a dense id (`0..len`, by
/// order of first appearance) that the caches and replicas index by.
///
/// A key is held as its 64-bit FNV-1a hash, not its text, so a log of
/// millions of distinct URLs costs about 20 bytes a key instead of the
/// string and a tree node (issue 13: 826 MB for 10 million keys). Two keys
/// with the same hash would share an id; among 10 million keys the chance
/// that any pair does is about 3 in a million.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyIds(HashMap<u64, u32, BuildHasherDefault<Fnv>>);

impl KeyIds {
    /// Gives `key` the next id, unless it has one.
    pub fn insert(&mut self, key: &str) {
        let next = self.0.len() as u32;
        self.0.entry(fnv1a(key.as_bytes())).or_insert(next);
    }

    /// The id of `key`, if the log has it.
    pub fn id(&self, key: &str) -> Option<u32> {
        self.0.get(&fnv1a(key.as_bytes())).copied()
    }

    /// How many distinct keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none (a log without a key column).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Column indexes of a request log.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Columns {
    pub(crate) t: usize,
    pub(crate) key: Option<usize>,
    pub(crate) kind: Option<usize>,
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
            key: c.key.and_then(|k| self.log.keys.id(record.get(k)?)),
            kind: c.kind.and_then(|k| Kind::parse(record.get(k)?)),
        })
    }
}
