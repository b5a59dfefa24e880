//! A comparison's files and its printed tables.
//!
//! - `runs.csv`: one row per run, the sweep's runs columns with `scenario`
//!   and `contender` as the parameters (`point` is the contender's index);
//! - `ranking.csv`: `rank,contender,points,wins,losses,ties` and each
//!   metric's mean over the rounds, best first;
//! - `pairwise.csv`: the points each contender (row) took off each other
//!   (column), of `matches` per pair;
//! - `winners.csv`: per metric, which way is better, the contenders that
//!   took the most points on it, those points and the best mean.
//!
//! Every file starts with `# scalesim compare name=… runs=… version=…`
//! (skip it with `comment='#'`), and numbers have fixed decimals, so the
//! bytes are the same for any `--jobs` and on every machine.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::Compare;
use super::tournament::{Better, METRICS, Standings};
use crate::error::Error;
use crate::output::atomic;
use crate::sweep::table::run_columns;

/// The runs file's parameter columns.
pub const PARAMS: [&str; 2] = ["scenario", "contender"];

/// The files, by name.
pub const RUNS: &str = "runs.csv";
/// See the module doc.
pub const RANKING: &str = "ranking.csv";
/// See the module doc.
pub const PAIRWISE: &str = "pairwise.csv";
/// See the module doc.
pub const WINNERS: &str = "winners.csv";

/// The identifying first line of a comparison's files.
pub fn header(cmp: &Compare) -> String {
    format!("# scalesim compare name={} runs={} version={}\n", cmp.file.name, cmp.runs(), env!("CARGO_PKG_VERSION"))
}

fn csv_bytes(head: &str, rows: &[Vec<String>]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(head.as_bytes().to_vec());
    for r in rows {
        w.write_record(r)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
}

fn write_csv(dir: &Path, name: &str, head: &str, rows: &[Vec<String>]) -> Result<PathBuf, Error> {
    let path = dir.join(name);
    let bytes = csv_bytes(head, rows).map_err(|e| Error::io(&path, std::io::Error::other(e.to_string())))?;
    atomic::write(&path, &bytes).map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

/// Writes `runs.csv`.
pub fn write_runs(cmp: &Compare, dir: &Path, rows: &[Vec<String>]) -> Result<PathBuf, Error> {
    let mut all = vec![run_columns(&PARAMS.map(String::from))];
    all.extend(rows.iter().cloned());
    write_csv(dir, RUNS, &header(cmp), &all)
}

/// A value at a metric's decimals (empty if missing).
pub fn fixed(x: Option<f64>, decimals: u32) -> String {
    x.filter(|v| v.is_finite()).map_or_else(String::new, |v| format!("{v:.*}", decimals as usize))
}

/// A fractional rank: `2`, or `2.5`.
pub fn rank_text(r: f64) -> String {
    if r.fract() == 0.0 { format!("{r:.0}") } else { format!("{r:.1}") }
}

/// Points: `12`, or `12.5`.
pub fn points_text(p: f64) -> String {
    if p.fract() == 0.0 { format!("{p:.0}") } else { format!("{p:.1}") }
}

/// The rows of `ranking.csv` (with its columns first).
pub fn ranking_rows(s: &Standings) -> Vec<Vec<String>> {
    let mut cols: Vec<String> = ["rank", "contender", "points", "wins", "losses", "ties"].map(String::from).to_vec();
    cols.extend(METRICS.iter().map(|m| format!("{}_mean", m.column)));
    let mut rows = vec![cols];
    for &i in &s.order {
        let mut r = vec![
            rank_text(s.rank[i]),
            s.names[i].clone(),
            points_text(s.points[i]),
            s.wins[i].to_string(),
            s.losses[i].to_string(),
            s.ties[i].to_string(),
        ];
        r.extend(METRICS.iter().enumerate().map(|(m, metric)| fixed(s.means[i][m], metric.decimals)));
        rows.push(r);
    }
    rows
}

/// The rows of `pairwise.csv`, in rank order.
pub fn pairwise_rows(s: &Standings) -> Vec<Vec<String>> {
    let mut cols = vec!["contender".to_string()];
    cols.extend(s.order.iter().map(|&j| s.names[j].clone()));
    cols.push("matches".into());
    let mut rows = vec![cols];
    for &i in &s.order {
        let mut r = vec![s.names[i].clone()];
        r.extend(s.order.iter().map(|&j| if i == j { String::new() } else { points_text(s.pair[i][j]) }));
        let per_pair = s.order.iter().find(|&&j| j != i).map_or(0, |&j| s.played[i][j]);
        r.push(per_pair.to_string());
        rows.push(r);
    }
    rows
}

/// The best mean of metric `m` among all contenders.
fn best_mean(s: &Standings, m: usize) -> Option<f64> {
    let metric = &METRICS[m];
    let key = |v: f64| match metric.better {
        Better::Lower => v,
        Better::Higher => -v,
        Better::NearZero => v.abs(),
    };
    s.means.iter().filter_map(|v| v[m]).min_by(|a, b| key(*a).total_cmp(&key(*b)))
}

/// The rows of `winners.csv`.
pub fn winner_rows(s: &Standings) -> Vec<Vec<String>> {
    let mut rows = vec![["metric", "better", "winners", "points", "best_mean"].map(String::from).to_vec()];
    for (m, metric) in METRICS.iter().enumerate() {
        let (who, pts) = s.winners(m);
        let names: Vec<&str> = who.iter().map(|&i| s.names[i].as_str()).collect();
        rows.push(vec![
            metric.column.to_string(),
            metric.better.words().to_string(),
            names.join(" "),
            points_text(pts),
            fixed(best_mean(s, m), metric.decimals),
        ]);
    }
    rows
}

/// Writes `ranking.csv`, `pairwise.csv` and `winners.csv`.
pub fn write_standings(cmp: &Compare, dir: &Path, s: &Standings) -> Result<Vec<PathBuf>, Error> {
    let head = header(cmp);
    Ok(vec![
        write_csv(dir, RANKING, &head, &ranking_rows(s))?,
        write_csv(dir, PAIRWISE, &head, &pairwise_rows(s))?,
        write_csv(dir, WINNERS, &head, &winner_rows(s))?,
    ])
}

/// Left-aligned columns, two spaces apart (a cell's width in characters).
pub fn columns(rows: &[Vec<String>], right_from: usize) -> String {
    let width = |s: &str| s.chars().count();
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..n).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| width(s)).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let pad = " ".repeat(widths[c] - width(cell));
            if c > 0 {
                line.push_str("  ");
            }
            if c >= right_from {
                line.push_str(&pad);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&pad);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The printed result: the ranking, the pairwise table and the per-metric
/// winners.
pub fn render(cmp: &Compare, s: &Standings) -> String {
    let rounds = cmp.workloads.len() * cmp.seeds();
    let per_pair = if s.names.len() > 1 { s.played[s.order[0]][s.order[1]] } else { 0 };
    let currency = cmp.workloads.first().map_or("", |w| w.currency.as_str());
    let mut out = format!(
        "\nranking: every pair met on {} metrics in {rounds} round{} (scenario × seed): 1 point a win, ½ a tie\n",
        METRICS.len(),
        if rounds == 1 { "" } else { "s" }
    );
    let mut rows = vec![["rank", "contender", "points", "won", "lost", "tied"].map(String::from).to_vec()];
    rows[0].extend(METRICS.iter().map(|m| m.label.to_string()));
    for r in ranking_rows(s).into_iter().skip(1) {
        let mut cells = r[..6].to_vec();
        cells.extend(METRICS.iter().enumerate().map(|(m, metric)| {
            let v = s.means[s.names.iter().position(|n| *n == r[1]).unwrap_or(0)][m];
            fixed(v, if metric.column == "cost_total" { 2 } else { 3 })
        }));
        rows.push(cells);
    }
    out.push_str(&columns(&rows, 2));
    let _ = writeln!(
        out,
        "  means over the rounds; cost in {}; lower is better, except attain (SLO windows met: higher) and jitter (nearer 0)",
        if currency.is_empty() { "money" } else { currency }
    );
    let _ = writeln!(out, "\npairwise: points of the row against the column, of {per_pair} per pair");
    let mut rows = vec![{
        let mut h = vec![String::new()];
        h.extend(s.order.iter().map(|&j| s.names[j].clone()));
        h
    }];
    for r in pairwise_rows(s).into_iter().skip(1) {
        let mut cells = r[..r.len() - 1].to_vec();
        for c in cells.iter_mut().skip(1) {
            if c.is_empty() {
                *c = "—".into();
            }
        }
        rows.push(cells);
    }
    out.push_str(&columns(&rows, 1));
    out.push_str("\nper-metric winners (most points on the metric)\n");
    let mut rows = Vec::new();
    for r in winner_rows(s).into_iter().skip(1) {
        let label = METRICS.iter().find(|m| m.column == r[0]).map_or(r[0].clone(), |m| m.label.to_string());
        rows.push(vec![
            label,
            format!("{} better", r[1]),
            r[2].replace(' ', ", "),
            format!("{} point{}", r[3], if r[3] == "1" { "" } else { "s" }),
            format!("best mean {}", r[4]),
        ]);
    }
    out.push_str(&columns(&rows, usize::MAX));
    out
}
