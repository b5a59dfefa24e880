//! `scalesim merge`: joins shard files into the runs file a single machine
//! would have written (and its aggregate), refusing files of different
//! sweeps (their hash differs), missing or repeated shards, and shards that
//! lack runs (an interrupted job). Rows are streamed — shard `i` holds runs
//! `i, i + n, i + 2n, …`, so the merge reads the shards in turn — and
//! nothing is written unless every check passes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::aggregate::{Aggregator, point_columns};
use super::pareto::PointStat;
use super::shard::Shard;
use super::table::{CsvFile, Header, HeaderError, LEAD, points_path};
use crate::error::Error;
use crate::input::problem::{Origin, Problem, Problems};
use crate::output::atomic::is_regular_target;

/// What a merge wrote.
#[derive(Debug)]
pub struct Merged {
    /// The merged file's header.
    pub header: Header,
    /// The parameters' names.
    pub params: Vec<String>,
    /// Every point's figures.
    pub stats: Vec<PointStat>,
    /// The aggregate's path (none beside a device or pipe).
    pub points_path: Option<PathBuf>,
}

struct Input {
    path: PathBuf,
    header: Header,
    shard: Shard,
    columns: Vec<String>,
    rows: csv::StringRecordsIntoIter<BufReader<crate::input::Reader>>,
}

fn invalid(path: &Path, line: Option<usize>, message: String, hint: Option<&str>) -> Error {
    Error::Invalid(Problems(vec![Problem {
        origin: Origin::File { path: path.to_path_buf(), line },
        field: None,
        message,
        hint: hint.map(str::to_string),
    }]))
}

fn open(path: &Path) -> Result<Input, Error> {
    let file = crate::input::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::new(file);
    let mut first = String::new();
    reader.read_line(&mut first).map_err(|e| Error::io(path, e))?;
    let header = Header::parse(&first).map_err(|e| match e {
        HeaderError::NotSweep => invalid(
            path,
            Some(1),
            "not a scalesim sweep file: it lacks the '# scalesim sweep ... hash=...' line".into(),
            Some("merge the files `scalesim sweep --shard I/N` wrote"),
        ),
        e => invalid(
            path,
            Some(1),
            e.to_string(),
            Some("the file was edited or cut: write it again with scalesim sweep"),
        ),
    })?;
    let mut csv = csv::ReaderBuilder::new().has_headers(true).from_reader(reader);
    let columns: Vec<String> = csv
        .headers()
        .map_err(|e| invalid(path, Some(2), format!("unreadable columns: {e}"), None))?
        .iter()
        .map(str::to_string)
        .collect();
    if columns.first().map(String::as_str) != Some(LEAD[0]) {
        return Err(invalid(
            path,
            Some(2),
            "not a runs file (its first column is not 'run')".into(),
            Some("merge the runs files, not the .points.csv aggregates"),
        ));
    }
    let shard = header.shard.unwrap_or(Shard::WHOLE);
    Ok(Input { path: path.to_path_buf(), header, shard, columns, rows: csv.into_records() })
}

/// Merges shard files into `out` (and the aggregate beside it).
pub fn merge(files: &[PathBuf], out: &Path) -> Result<Merged, Error> {
    if files.is_empty() {
        return Err(Error::Usage("merge needs at least one shard file".into()));
    }
    let mut inputs = files.iter().map(|f| open(f)).collect::<Result<Vec<_>, _>>()?;
    let first = &inputs[0];
    for other in &inputs[1..] {
        if other.header.hash != first.header.hash {
            return Err(invalid(
                &other.path,
                Some(1),
                format!(
                    "sweep hash {:016x} differs from {:016x} in {}: these are shards of different sweeps (another sweep file, scenario, or scalesim version)",
                    other.header.hash,
                    first.header.hash,
                    first.path.display()
                ),
                Some("run every shard from the same sweep file and scalesim version"),
            ));
        }
        if other.shard.count != first.shard.count {
            return Err(invalid(
                &other.path,
                Some(1),
                format!(
                    "is shard {} but {} is shard {}: the shard counts differ",
                    other.shard,
                    first.path.display(),
                    first.shard
                ),
                Some("merge the shards of one split (the same N in --shard I/N)"),
            ));
        }
        if other.columns != first.columns {
            return Err(invalid(
                &other.path,
                Some(2),
                format!("its columns differ from {}'s", first.path.display()),
                None,
            ));
        }
    }
    inputs.sort_by_key(|i| i.shard.index);
    for pair in inputs.windows(2) {
        if pair[0].shard == pair[1].shard {
            return Err(invalid(
                &pair[1].path,
                Some(1),
                format!("is shard {}, and so is {}", pair[1].shard, pair[0].path.display()),
                Some("give each shard once"),
            ));
        }
    }
    let count = inputs[0].shard.count;
    if inputs.len() != count {
        let have: Vec<usize> = inputs.iter().map(|i| i.shard.index).collect();
        let missing: Vec<String> = (0..count).filter(|i| !have.contains(i)).map(|i| format!("{i}/{count}")).collect();
        return Err(Error::Invalid(Problems(vec![Problem {
            origin: Origin::File { path: inputs[0].path.clone(), line: Some(1) },
            field: None,
            message: format!(
                "shard{} {} of sweep '{}' {} missing: a merge needs all {count} shards",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                inputs[0].header.name,
                if missing.len() == 1 { "is" } else { "are" }
            ),
            hint: Some("run the missing shards, then merge every shard file".into()),
        }])));
    }

    let header = Header { shard: None, ..inputs[0].header.clone() };
    let columns = inputs[0].columns.clone();
    let seed_col = columns.iter().position(|c| c == "seed").unwrap_or(columns.len());
    let params: Vec<String> = columns[LEAD.len()..seed_col].to_vec();
    let metrics: Vec<String> = columns[(seed_col + 1).min(columns.len())..].to_vec();
    let mut runs = CsvFile::create(out, &header, &columns).map_err(|e| Error::io(out, e))?;
    // Beside a device or pipe (`--out /dev/null`) there is no aggregate file.
    let agg_path = points_path(out);
    let agg_file = match is_regular_target(out) {
        true => Some(
            CsvFile::create(&agg_path, &header, &point_columns(&params, &metrics))
                .map_err(|e| Error::io(&agg_path, e))?,
        ),
        false => None,
    };
    let points_path = agg_file.is_some().then(|| agg_path.clone());
    let mut agg = Aggregator::new(params.len(), metrics, agg_file);
    let total = header.runs;
    for r in 0..total {
        let next = inputs[r % count].rows.next();
        let input = &inputs[r % count];
        let owns = input.shard.len(total);
        let interrupted = |found: String| {
            invalid(
                &input.path,
                None,
                format!("shard {} should hold {owns} runs but {found}: was it interrupted?", input.shard),
                Some("rerun that shard, then merge again"),
            )
        };
        let record = match next {
            None => return Err(interrupted(format!("ends before run {r}"))),
            Some(Err(e)) => {
                let line = e.position().map(|p| p.line() as usize + 1);
                return Err(invalid(&input.path, line, format!("unreadable row: {e}"), None));
            }
            Some(Ok(rec)) => rec,
        };
        let line = record.position().map(|p| p.line() as usize + 1);
        if record.get(0) != Some(r.to_string().as_str()) {
            return Err(invalid(
                &input.path,
                line,
                format!(
                    "expected run {r} but found run '{}': shard {} should hold {owns} runs, this one lacks some (was it interrupted?)",
                    record.get(0).unwrap_or(""),
                    input.shard
                ),
                Some("rerun that shard, then merge again"),
            ));
        }
        // Every cell after the parameters is a number scalesim wrote (or
        // empty); anything else was edited in, and would be averaged as 0.
        let bad = record.iter().enumerate().skip(seed_col).find(|(_, c)| !c.is_empty() && c.parse::<f64>().is_err());
        if let Some((i, cell)) = bad {
            return Err(invalid(
                &input.path,
                line,
                format!("column '{}': '{cell}' is not a number", columns[i]),
                Some("merge files written by scalesim sweep, unedited"),
            ));
        }
        let cells: Vec<String> = record.iter().map(str::to_string).collect();
        runs.row(&cells).map_err(|e| Error::io(out, e))?;
        agg.push(&cells).map_err(|e| Error::io(&agg_path, e))?;
    }
    for input in &mut inputs {
        if let Some(extra) = input.rows.next() {
            let line = extra.ok().and_then(|r| r.position().map(|p| p.line() as usize + 1));
            return Err(invalid(
                &input.path,
                line,
                format!("holds more rows than shard {} of {total} runs owns", input.shard),
                Some("merge files written by scalesim sweep, unedited"),
            ));
        }
    }
    runs.commit().map_err(|e| Error::io(out, e))?;
    let stats = agg.finish().map_err(|e| Error::io(&agg_path, e))?;
    Ok(Merged { header, params, stats, points_path })
}
