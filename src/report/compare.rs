//! The sections of a comparison (`scalesim compare`): the ranking with each
//! metric's mean (the best of each column marked), the pairwise table
//! coloured by the share of points the row took off the column, and the
//! per-metric winners. Read back from the directory's `ranking.csv`,
//! `pairwise.csv` and `winners.csv`.

use std::path::{Path, PathBuf};

use super::Section;
use super::page::{Page, esc};
use crate::compare::table::{PAIRWISE, RANKING, WINNERS};
use crate::compare::tournament::{Better, METRICS};
use crate::error::Error;
use crate::input::problem::{Origin, Problem, Problems};

/// One CSV of a comparison: its `# scalesim compare` line, columns, rows.
#[derive(Clone, Debug)]
struct Csv {
    header: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// A comparison directory, read back.
#[derive(Clone, Debug)]
pub struct CompareRead {
    /// The directory.
    pub dir: PathBuf,
    /// The comparison's name (from the files' first line).
    pub name: String,
    ranking: Csv,
    pairwise: Csv,
    winners: Csv,
}

/// Whether `dir` holds a comparison (rather than a run).
pub fn is_compare(dir: &Path) -> bool {
    [RANKING, PAIRWISE, WINNERS].iter().all(|f| dir.join(f).is_file())
}

fn invalid(path: &Path, line: Option<usize>, message: String) -> Error {
    Error::Invalid(Problems(vec![Problem {
        origin: Origin::File { path: path.to_path_buf(), line },
        field: None,
        message,
        hint: Some("give the directory `scalesim compare` wrote".into()),
    }]))
}

fn read_csv(path: &Path, columns: &[&str]) -> Result<Csv, Error> {
    let text = crate::input::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let header = text.lines().next().unwrap_or("").to_string();
    if !header.starts_with("# scalesim compare ") {
        return Err(invalid(path, Some(1), "the first line is not '# scalesim compare name=…'".into()));
    }
    let mut r = csv::ReaderBuilder::new().comment(Some(b'#')).flexible(false).from_reader(text.as_bytes());
    let cols: Vec<String> =
        r.headers().map_err(|e| invalid(path, Some(2), e.to_string()))?.iter().map(str::to_string).collect();
    if let Some(missing) = columns.iter().find(|c| !cols.iter().any(|x| x == *c)) {
        return Err(invalid(path, Some(2), format!("has no column '{missing}'")));
    }
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| invalid(path, Some(i + 3), format!("malformed CSV: {e}")))?;
        rows.push(rec.iter().map(str::to_string).collect());
    }
    Ok(Csv { header, columns: cols, rows })
}

impl CompareRead {
    /// Reads a comparison directory.
    pub fn read(dir: &Path) -> Result<CompareRead, Error> {
        let ranking = read_csv(&dir.join(RANKING), &["rank", "contender", "points", "wins", "losses", "ties"])?;
        let pairwise = read_csv(&dir.join(PAIRWISE), &["contender", "matches"])?;
        let winners = read_csv(&dir.join(WINNERS), &["metric", "better", "winners", "points", "best_mean"])?;
        let name =
            ranking.header.split_whitespace().find_map(|f| f.strip_prefix("name=")).unwrap_or("comparison").to_string();
        Ok(CompareRead { dir: dir.to_path_buf(), name, ranking, pairwise, winners })
    }
}

fn cell<'r>(csv: &Csv, row: &'r [String], column: &str) -> &'r str {
    csv.columns.iter().position(|c| c == column).and_then(|i| row.get(i)).map_or("", String::as_str)
}

/// The ranking, each metric's best mean marked.
pub struct Ranking<'a>(pub &'a CompareRead);

impl Section for Ranking<'_> {
    fn render(&self, page: &mut Page) {
        let c = self.0;
        let r = &c.ranking;
        page.heading(&format!("Ranking: {}", c.name));
        page.html(
            "<p>Every pair of contenders met on every metric in every round (a scenario at a seed, which all of them \
             ran): the better value scores 1, a tie ½ each (Chameleon, IEEE TPDS 2019). Equal points share a rank. \
             Means over the rounds; the best of each column is <span class=\"better\">green</span>.</p>\n",
        );
        let mut h = String::from(
            "<table class=\"ranking\"><thead><tr><th>rank</th><th>contender</th><th>points</th><th>won</th><th>lost</th><th>tied</th>",
        );
        for m in &METRICS {
            h.push_str(&format!("<th title=\"{} better\">{}</th>", m.better.words(), esc(m.label)));
        }
        h.push_str("</tr></thead><tbody>\n");
        let best: Vec<Option<f64>> = METRICS
            .iter()
            .map(|m| {
                let vals =
                    r.rows.iter().filter_map(|row| cell(r, row, &format!("{}_mean", m.column)).parse::<f64>().ok());
                let key = |v: f64| match m.better {
                    Better::Lower => v,
                    Better::Higher => -v,
                    Better::NearZero => v.abs(),
                };
                vals.min_by(|a, b| key(*a).total_cmp(&key(*b)))
            })
            .collect();
        for row in &r.rows {
            h.push_str(&format!(
                "<tr class=\"contender\"><td>{}</td><th style=\"text-align:left\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                esc(cell(r, row, "rank")),
                esc(cell(r, row, "contender")),
                esc(cell(r, row, "points")),
                esc(cell(r, row, "wins")),
                esc(cell(r, row, "losses")),
                esc(cell(r, row, "ties"))
            ));
            for (m, b) in METRICS.iter().zip(&best) {
                let text = cell(r, row, &format!("{}_mean", m.column));
                let is_best = text.parse::<f64>().ok().is_some_and(|v| Some(v) == *b);
                let shown = text.parse::<f64>().map_or("—".to_string(), |v| {
                    if m.column == "cost_total" { format!("{v:.2}") } else { format!("{v:.3}") }
                });
                let class = if is_best { " class=\"better\"" } else { "" };
                h.push_str(&format!("<td{class}>{shown}</td>"));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table>\n");
        page.html(&h);
    }
}

/// Red (took nothing off the column) through yellow (half) to green (all).
fn shade(t: f64) -> String {
    format!("hsl({:.0}, 60%, 28%)", 120.0 * t.clamp(0.0, 1.0))
}

/// The pairwise table.
pub struct Pairwise<'a>(pub &'a CompareRead);

impl Section for Pairwise<'_> {
    fn render(&self, page: &mut Page) {
        let p = &self.0.pairwise;
        let names: Vec<&str> = p.rows.iter().map(|r| cell(p, r, "contender")).collect();
        let matches = p.rows.first().map_or("", |r| cell(p, r, "matches"));
        page.heading("Pairwise results");
        page.html(&format!(
            "<p>The points the row took off the column, of {} per pair; green: it took most of them, red: few.</p>\n",
            esc(matches)
        ));
        let mut h = String::from("<table class=\"pairwise\"><thead><tr><th></th>");
        for n in &names {
            h.push_str(&format!("<th>{}</th>", esc(n)));
        }
        h.push_str("</tr></thead><tbody>\n");
        let of: f64 = matches.parse().unwrap_or(0.0);
        for row in &p.rows {
            let me = cell(p, row, "contender");
            h.push_str(&format!("<tr><th style=\"text-align:left\">{}</th>", esc(me)));
            for n in &names {
                let v = cell(p, row, n);
                match v.parse::<f64>() {
                    Ok(x) if of > 0.0 => h.push_str(&format!(
                        "<td class=\"cell\" style=\"background:{};text-align:center\" title=\"{} vs {}: {} of {}\">{}</td>",
                        shade(x / of),
                        esc(me),
                        esc(n),
                        esc(v),
                        esc(matches),
                        esc(v)
                    )),
                    _ => h.push_str("<td class=\"empty\" style=\"text-align:center\">—</td>"),
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table>\n");
        page.html(&h);
    }
}

/// The per-metric winners.
pub struct Winners<'a>(pub &'a CompareRead);

impl Section for Winners<'_> {
    fn render(&self, page: &mut Page) {
        let w = &self.0.winners;
        page.heading("Per-metric winners");
        page.html("<p>The contender(s) that took the most points on each metric, and the best mean of it.</p>\n");
        let mut h = String::from(
            "<table class=\"winners\"><thead><tr><th>metric</th><th>better</th><th>winner</th><th>points</th><th>best mean</th></tr></thead><tbody>\n",
        );
        for row in &w.rows {
            let metric = cell(w, row, "metric");
            let label = METRICS.iter().find(|m| m.column == metric).map_or(metric, |m| m.label);
            h.push_str(&format!(
                "<tr class=\"winner\"><th style=\"text-align:left\" title=\"{}\">{}</th><td>{}</td><td style=\"text-align:left\">{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(metric),
                esc(label),
                esc(cell(w, row, "better")),
                esc(&cell(w, row, "winners").replace(' ', ", ")),
                esc(cell(w, row, "points")),
                esc(cell(w, row, "best_mean"))
            ));
        }
        h.push_str("</tbody></table>\n");
        page.html(&h);
    }
}
