//! The sections of a sweep: the Pareto front of cost (money) against SLO
//! attainment with every point hoverable (its parameters and the command
//! that reruns it), a heatmap when two or more parameters vary, and the
//! front as a table. Read from the runs CSV and its aggregate beside it
//! (`x.csv` and `x.points.csv`, as `sweep` and `merge` write them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Section;
use super::page::{Axis, Chart, Line, Page, Unit, esc};
use super::palette::{Hue, RUNS};
use crate::error::Error;
use crate::input::problem::{Origin, Problem, Problems};
use crate::sweep::pareto::{self, PointStat};
use crate::sweep::table::{Header, points_path};

/// A sweep, read back.
#[derive(Clone, Debug)]
pub struct SweepRead {
    /// The runs file.
    pub path: PathBuf,
    /// Its identifying line.
    pub header: Header,
    /// The parameters' paths.
    pub params: Vec<String>,
    /// One per point, cost in money.
    pub points: Vec<PointStat>,
    /// Mean replica-hours per point.
    pub replica_hours: Vec<Option<f64>>,
    /// The seeds of each point, from the runs file.
    pub seeds: BTreeMap<usize, Vec<String>>,
    /// The start of the rerun command after `scalesim run`: the base
    /// scenario and the sweep's fixed `--set`s, where known.
    pub base: Option<String>,
}

fn invalid(path: &Path, line: Option<usize>, message: String, hint: Option<String>) -> Error {
    Error::Invalid(Problems(vec![Problem {
        origin: Origin::File { path: path.to_path_buf(), line },
        field: None,
        message,
        hint,
    }]))
}

/// A sweep CSV: its `# scalesim sweep` line, its columns and its rows.
struct Table {
    header: Header,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn table(path: &Path) -> Result<Table, Error> {
    let text = crate::input::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let first = text.lines().next().unwrap_or("");
    let header = Header::parse(first).map_err(|e| {
        invalid(
            path,
            Some(1),
            format!("not a sweep file: {e}"),
            Some("give the runs CSV that `scalesim sweep` or `scalesim merge` wrote, or a run directory".into()),
        )
    })?;
    let mut r = csv::ReaderBuilder::new().comment(Some(b'#')).from_reader(text.as_bytes());
    let columns: Vec<String> =
        r.headers().map_err(|e| invalid(path, Some(2), e.to_string(), None))?.iter().map(str::to_string).collect();
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| invalid(path, Some(i + 3), format!("malformed CSV: {e}"), None))?;
        rows.push(rec.iter().map(str::to_string).collect());
    }
    Ok(Table { header, columns, rows })
}

impl SweepRead {
    /// Reads a runs CSV and its aggregate.
    pub fn read(path: &Path, base: Option<&str>) -> Result<SweepRead, Error> {
        let Table { header, columns, rows } = table(path)?;
        let seed_at =
            columns.iter().position(|c| c == "seed").filter(|&i| i >= 2 && columns[0] == "run").ok_or_else(|| {
                invalid(
                    path,
                    Some(2),
                    "no 'run,point,…,seed' columns: not a sweep's runs file".into(),
                    Some("give the runs CSV, not the .points.csv".into()),
                )
            })?;
        let params = columns[2..seed_at].to_vec();
        let mut seeds: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for row in &rows {
            if let (Some(p), Some(s)) = (row.get(1).and_then(|p| p.parse().ok()), row.get(seed_at)) {
                seeds.entry(p).or_default().push(s.clone());
            }
        }
        let agg = points_path(path);
        let Table { columns: pcols, rows: prows, .. } = table(&agg).map_err(|e| match e {
            Error::Io { .. } => invalid(
                &agg,
                None,
                "the sweep's aggregate is missing".into(),
                Some("a complete sweep writes it beside the runs file; join shards with `scalesim merge`".into()),
            ),
            other => other,
        })?;
        let col = |name: &str| pcols.iter().position(|c| c == name);
        let need = |name: &str| col(name).ok_or_else(|| invalid(&agg, Some(2), format!("no column '{name}'"), None));
        let (cost, att, met, p99, rh, runs) = (
            need("cost_total_mean")?,
            need("slo_attainment_mean")?,
            need("slo_met_mean")?,
            need("latency_p99_ms_mean")?,
            need("replica_hours_mean")?,
            need("runs")?,
        );
        let num = |row: &[String], i: usize| row.get(i).and_then(|c| c.parse::<f64>().ok());
        let mut points = Vec::new();
        let mut replica_hours = Vec::new();
        for row in &prows {
            points.push(PointStat {
                point: row.first().and_then(|p| p.parse().ok()).unwrap_or(0),
                params: row[1..=params.len().min(row.len() - 1)].to_vec(),
                runs: num(row, runs).unwrap_or(0.0) as usize,
                cost: num(row, cost),
                attainment: num(row, att),
                met: num(row, met).unwrap_or(0.0),
                p99_ms: num(row, p99),
            });
            replica_hours.push(num(row, rh));
        }
        Ok(SweepRead {
            path: path.to_path_buf(),
            header,
            params,
            points,
            replica_hours,
            seeds,
            base: base.map(str::to_string),
        })
    }

    /// The command that reruns point `i` (its first seed).
    pub fn command(&self, i: usize) -> String {
        let p = &self.points[i];
        let scenario = self.base.clone().unwrap_or_else(|| format!("<scenario of sweep {}>", self.header.name));
        let mut c = format!("scalesim run {scenario}");
        if let Some(seed) = self.seeds.get(&p.point).and_then(|s| s.first()) {
            c.push_str(&format!(" --seed {seed}"));
        }
        for (n, v) in self.params.iter().zip(&p.params) {
            // A value that is not a number is a TOML string on the command line.
            let v =
                if v.parse::<f64>().is_ok() || v == "true" || v == "false" { v.clone() } else { format!("\"{v}\"") };
            c.push_str(&format!(" --set '{n}={v}'"));
        }
        c
    }

    fn describe(&self, i: usize) -> String {
        let p = &self.points[i];
        let mut s = format!(
            "point {} — cost {}, attainment {}, SLO met in {}/{} seeds",
            p.point,
            p.cost.map_or("—".into(), |c| format!("{c:.2}")),
            p.attainment.map_or("—".into(), |a| format!("{:.2}%", a * 100.0)),
            (p.met * p.runs as f64).round(),
            p.runs
        );
        for (n, v) in self.params.iter().zip(&p.params) {
            s.push_str(&format!("\n{n} = {v}"));
        }
        s.push_str(&format!("\n{}", self.command(i)));
        s
    }

    /// The parameters that take more than one value.
    fn varying(&self) -> Vec<usize> {
        (0..self.params.len())
            .filter(|&j| {
                let first = self.points.first().map(|p| &p.params[j]);
                self.points.iter().any(|p| Some(&p.params[j]) != first)
            })
            .collect()
    }
}

/// The front chart and the table of front points.
pub struct Front<'a>(pub &'a SweepRead);
/// The heatmap of attainment over two parameters.
pub struct Heatmap<'a>(pub &'a SweepRead);

impl Section for Front<'_> {
    fn render(&self, page: &mut Page) {
        let s = self.0;
        page.heading("Pareto front: cost against SLO attainment");
        page.html(&format!(
            "<p>{} points of sweep <b>{}</b> ({} runs), means over their seeds. Hover a point for its parameters and \
             the command that reruns it; the line joins the points no other point beats on both cost and attainment.</p>\n",
            s.points.len(),
            esc(&s.header.name),
            s.header.runs
        ));
        let front = pareto::front(&s.points);
        let mut order: Vec<usize> = (0..s.points.len()).filter(|&i| s.points[i].cost.is_some()).collect();
        order.sort_by(|&a, &b| {
            s.points[a].cost.unwrap_or(0.0).total_cmp(&s.points[b].cost.unwrap_or(0.0)).then(a.cmp(&b))
        });
        let x: Vec<f64> = order.iter().map(|&i| s.points[i].cost.unwrap_or(0.0)).collect();
        let att = |i: usize| s.points[i].attainment;
        let all: Vec<Option<f64>> = order.iter().map(|&i| att(i)).collect();
        let on_front: Vec<Option<f64>> =
            order.iter().map(|&i| if front.contains(&i) { att(i) } else { None }).collect();
        let met: Vec<Option<f64>> =
            order.iter().map(|&i| if s.points[i].meets_slo() { att(i) } else { None }).collect();
        page.chart(Chart {
            id: String::new(),
            title: "SLO attainment against cost".into(),
            axis: Axis::Cost,
            unit: Unit::Ratio,
            x,
            series: vec![
                Line {
                    label: "every point".into(),
                    color: Hue::DarkGray.css().into(),
                    values: all,
                    dash: vec![],
                    points: true,
                },
                Line {
                    label: "meets the SLO in every seed".into(),
                    color: Hue::Green.css().into(),
                    values: met,
                    dash: vec![],
                    points: true,
                },
                Line {
                    label: "Pareto front".into(),
                    color: RUNS[1].into(),
                    values: on_front,
                    dash: vec![],
                    points: false,
                },
            ],
            bands: vec![],
            markers: vec![],
            notes: order.iter().map(|&i| s.describe(i)).collect(),
        });
        let mut h = String::from(
            "<table class=\"front\"><thead><tr><th>point</th><th>cost</th><th>replica-h</th><th>attainment</th><th>p99 ms</th><th>SLO met</th>",
        );
        for n in &s.params {
            h.push_str(&format!("<th>{}</th>", esc(n)));
        }
        h.push_str("<th>rerun</th></tr></thead><tbody>\n");
        let cheapest = pareto::cheapest(&s.points);
        for &i in &front {
            let p = &s.points[i];
            let class = if Some(i) == cheapest { " class=\"cheapest\"" } else { "" };
            h.push_str(&format!(
                "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}/{}</td>",
                p.point,
                p.cost.map_or("—".into(), |c| format!("{c:.2}")),
                s.replica_hours[i].map_or("—".into(), |c| format!("{c:.2}")),
                p.attainment.map_or("—".into(), |a| format!("{:.2}%", a * 100.0)),
                p.p99_ms.map_or("—".into(), |x| format!("{x:.0}")),
                (p.met * p.runs as f64).round(),
                p.runs
            ));
            for v in &p.params {
                h.push_str(&format!("<td>{}</td>", esc(v)));
            }
            h.push_str(&format!("<td><code>{}</code></td></tr>\n", esc(&s.command(i))));
        }
        h.push_str("</tbody></table>\n");
        match cheapest {
            Some(i) => h.push_str(&format!(
                "<p>Cheapest point meeting the SLO in every seed: <b>point {}</b> (highlighted).</p>\n",
                s.points[i].point
            )),
            None => h.push_str("<p>No point meets the SLO in every seed.</p>\n"),
        }
        page.html(&h);
    }
}

impl Section for Heatmap<'_> {
    fn render(&self, page: &mut Page) {
        let s = self.0;
        let varying = s.varying();
        let [a, b, ..] = varying[..] else { return };
        let distinct = |j: usize| {
            let mut v: Vec<String> = Vec::new();
            for p in &s.points {
                if !v.contains(&p.params[j]) {
                    v.push(p.params[j].clone());
                }
            }
            v.sort_by(|x, y| match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(x), Ok(y)) => x.total_cmp(&y),
                _ => x.cmp(y),
            });
            v
        };
        let (rows, cols) = (distinct(a), distinct(b));
        let known = s.points.iter().filter_map(|p| p.attainment);
        let (lo, hi) = known.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| (l.min(x), h.max(x)));
        page.heading("Heatmap: SLO attainment");
        let others = varying.len() > 2;
        page.html(&format!(
            "<p>Rows {}, columns {}{}. Colour from the sweep's worst attainment (red) to its best (green). Hover a cell for its points.</p>\n",
            esc(&s.params[a]),
            esc(&s.params[b]),
            if others { "; a cell shows the best attainment over the other parameters, and its cost" } else { "" }
        ));
        let mut h =
            format!("<table class=\"heatmap\"><thead><tr><th>{} \\ {}</th>", esc(&s.params[a]), esc(&s.params[b]));
        for c in &cols {
            h.push_str(&format!("<th>{}</th>", esc(c)));
        }
        h.push_str("</tr></thead><tbody>\n");
        for r in &rows {
            h.push_str(&format!("<tr><th>{}</th>", esc(r)));
            for c in &cols {
                let cell: Vec<usize> = (0..s.points.len())
                    .filter(|&i| &s.points[i].params[a] == r && &s.points[i].params[b] == c)
                    .collect();
                let best = cell.iter().copied().filter(|&i| s.points[i].attainment.is_some()).max_by(|&x, &y| {
                    let (px, py) = (&s.points[x], &s.points[y]);
                    px.attainment
                        .unwrap_or(0.0)
                        .total_cmp(&py.attainment.unwrap_or(0.0))
                        .then(py.cost.unwrap_or(0.0).total_cmp(&px.cost.unwrap_or(0.0)))
                });
                match best {
                    None => h.push_str("<td class=\"empty\">—</td>"),
                    Some(i) => {
                        let p = &s.points[i];
                        let at = p.attainment.unwrap_or(0.0);
                        let span = (hi - lo).max(1e-9);
                        let title: Vec<String> = cell.iter().map(|&i| s.describe(i)).collect();
                        h.push_str(&format!(
                            "<td class=\"cell\" style=\"background:{}\" title=\"{}\">{:.1}%<br><small>{}</small></td>",
                            shade((at - lo) / span),
                            esc(&title.join("\n\n")),
                            at * 100.0,
                            p.cost.map_or("—".into(), |c| format!("{c:.2}"))
                        ));
                    }
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table>\n");
        page.html(&h);
    }
}

/// Red (the sweep's worst attainment) through yellow to green (its best).
fn shade(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let hue = 120.0 * t;
    format!("hsl({hue:.0}, 60%, 28%)")
}
