//! The sections of one run or several compared: the summary table (with the
//! differences from the first run), the time charts with findings shaded
//! and scaling decisions marked, the findings, and the faults and operator
//! actions. The charts are the TUI's panels, with its series names and
//! colours, plus cost, and the data tier when a run has one.

use super::Section;
use super::downsample::Grid;
use super::page::{Axis, Band, Chart, Line, Marker, Page, Unit, esc};
use super::palette::{self, Hue, Quantity};
use crate::model::outcome::ErrorKind;
use crate::output::read::RunDir;
use crate::output::summary::FindingKind;

/// A series of a panel: its name, the column it reads, its colour.
struct Trace {
    label: &'static str,
    column: &'static str,
    hue: Hue,
    /// Drawn when runs are compared (the others would crowd the chart).
    compared: bool,
}

const fn q(quantity: Quantity) -> Trace {
    Trace { label: quantity.label(), column: quantity.column(), hue: quantity.hue(), compared: true }
}

/// A quantity left out when runs are compared.
const fn solo(quantity: Quantity) -> Trace {
    Trace { compared: false, ..q(quantity) }
}

/// A chart over time.
struct Panel {
    title: &'static str,
    unit: Unit,
    traces: &'static [Trace],
    /// Draw the scaling decisions on it.
    decisions: bool,
}

/// The panels in reading order (errors are built from `ErrorKind`).
const PANELS: &[Panel] = &[
    Panel {
        title: "Replicas by state, against desired",
        unit: Unit::Count,
        traces: &[
            q(Quantity::Ready),
            q(Quantity::Desired),
            solo(Quantity::Warming),
            solo(Quantity::Starting),
            solo(Quantity::Pending),
            solo(Quantity::Draining),
        ],
        decisions: true,
    },
    Panel {
        title: "Policy metric: seen, true, target",
        unit: Unit::Plain,
        traces: &[q(Quantity::MetricSeen), solo(Quantity::MetricTrue), q(Quantity::MetricTarget)],
        decisions: false,
    },
    Panel {
        title: "Latency against the SLO",
        unit: Unit::Ms,
        traces: &[q(Quantity::P99), solo(Quantity::P95), solo(Quantity::P50)],
        decisions: false,
    },
    Panel {
        title: "Traffic: offered vs completed",
        unit: Unit::Rps,
        traces: &[q(Quantity::Offered), q(Quantity::Completed), solo(Quantity::Retries)],
        decisions: false,
    },
    Panel { title: "Errors by kind", unit: Unit::Rps, traces: &[], decisions: false },
    Panel { title: "Cost per hour", unit: Unit::Money, traces: &[q(Quantity::Cost)], decisions: false },
    Panel {
        title: "DB connections against the budget",
        unit: Unit::Count,
        traces: &[
            q(Quantity::DbConnections),
            q(Quantity::DbMaxConnections),
            solo(Quantity::DbActive),
            solo(Quantity::PoolerServer),
        ],
        decisions: false,
    },
    Panel { title: "DB utilization", unit: Unit::Ratio, traces: &[q(Quantity::DbUtil)], decisions: false },
    Panel {
        title: "Pool wait",
        unit: Unit::Ms,
        traces: &[q(Quantity::PoolWait), solo(Quantity::PoolerWait)],
        decisions: false,
    },
    Panel { title: "Cache hit ratio", unit: Unit::Ratio, traces: &[q(Quantity::CacheHit)], decisions: false },
    Panel { title: "Replication lag", unit: Unit::Ms, traces: &[q(Quantity::ReplicationLag)], decisions: false },
];

/// Runs shown together; one is a plain run report.
pub struct Runs<'a> {
    runs: &'a [RunDir],
    names: Vec<String>,
}

impl<'a> Runs<'a> {
    /// The runs, named by their directories (with their position where two
    /// share a name).
    pub fn new(runs: &'a [RunDir]) -> Runs<'a> {
        let base: Vec<String> = runs.iter().map(RunDir::name).collect();
        let names = base
            .iter()
            .enumerate()
            .map(
                |(i, n)| {
                    if base.iter().filter(|b| *b == n).count() > 1 { format!("{n} #{}", i + 1) } else { n.clone() }
                },
            )
            .collect();
        Runs { runs, names }
    }

    fn compared(&self) -> bool {
        self.runs.len() > 1
    }

    fn run_color(&self, i: usize) -> String {
        palette::RUNS[i % palette::RUNS.len()].to_string()
    }
}

/// The summary table.
pub struct SummaryTable<'a>(pub &'a Runs<'a>);
/// The time charts.
pub struct TimeCharts<'a>(pub &'a Runs<'a>);
/// Findings, and faults and operator actions.
pub struct Findings<'a>(pub &'a Runs<'a>);

fn pct(x: f64) -> String {
    format!("{:.3}%", x * 100.0)
}

/// A row of the summary: its name, a value per run, and whether more is
/// better (for the sign of the difference), or `None` for text.
struct Row {
    name: &'static str,
    cells: Vec<String>,
    values: Vec<Option<f64>>,
    better: Option<bool>,
    show: fn(f64) -> String,
}

impl Section for SummaryTable<'_> {
    fn render(&self, page: &mut Page) {
        let runs = self.0;
        page.heading(if runs.compared() { "Summary, side by side" } else { "Summary" });
        let each = |f: &dyn Fn(&RunDir) -> String| runs.runs.iter().map(f).collect::<Vec<_>>();
        let num = |name, better, show: fn(f64) -> String, f: &dyn Fn(&RunDir) -> Option<f64>| {
            let values: Vec<Option<f64>> = runs.runs.iter().map(f).collect();
            let cells = values.iter().map(|v| v.map_or("—".into(), show)).collect();
            Row { name, cells, values, better, show }
        };
        let text = |name, cells| Row { name, cells, values: vec![], better: None, show: |_| String::new() };
        let fixed0: fn(f64) -> String = |x| format!("{x:.0}");
        let fixed1: fn(f64) -> String = |x| format!("{x:.1}");
        let fixed2: fn(f64) -> String = |x| format!("{x:.2}");
        let rows = vec![
            text("scenario", each(&|r| r.summary.scenario.clone())),
            text("seed", each(&|r| r.summary.seed.to_string())),
            text("policy", each(&|r| r.summary.scaling.policy.clone())),
            num("simulated s", None, fixed0, &|r| Some(r.summary.duration_s)),
            num("requests arrived", None, fixed0, &|r| Some(r.summary.requests.arrivals as f64)),
            num("failed", Some(false), fixed0, &|r| Some(r.summary.requests.failed as f64)),
            text(
                "SLO (run-wide p99 and availability)",
                each(&|r| if r.summary.slo.met { "met".into() } else { "MISSED".into() }),
            ),
            num("availability", Some(true), pct, &|r| r.summary.slo.availability),
            num("SLO attainment (windows met)", Some(true), pct, &|r| r.summary.slo.attainment),
            num("error budget burn ×", Some(false), fixed2, &|r| r.summary.slo.error_budget_burn),
            num("latency p50 ms", Some(false), fixed1, &|r| r.summary.latency_ms.p50),
            num("latency p95 ms", Some(false), fixed1, &|r| r.summary.latency_ms.p95),
            num("latency p99 ms", Some(false), fixed1, &|r| r.summary.latency_ms.p99),
            num("cost", Some(false), fixed2, &|r| Some(r.summary.cost.total)),
            num("replica-hours", Some(false), fixed2, &|r| Some(r.summary.cost.replica_hours)),
            num("peak replicas", None, fixed0, &|r| Some(r.summary.cost.peak_replicas as f64)),
            num("scale events", None, fixed0, &|r| Some(r.summary.scaling.scale_events as f64)),
            num("reversals", Some(false), fixed0, &|r| Some(r.summary.scaling.reversals as f64)),
            num("findings", Some(false), fixed0, &|r| Some(r.summary.findings.len() as f64)),
        ];
        let mut h = String::from("<table class=\"summary\"><thead><tr><th></th>");
        for (i, n) in runs.names.iter().enumerate() {
            let style = if runs.compared() {
                format!(" style=\"border-bottom:3px solid {}\"", runs.run_color(i))
            } else {
                String::new()
            };
            h.push_str(&format!("<th{style}>{}</th>", esc(n)));
        }
        if runs.compared() {
            h.push_str("<th>difference from the first</th>");
        }
        h.push_str("</tr></thead><tbody>\n");
        let currency = runs.runs.first().map_or(String::new(), |r| r.summary.cost.currency.clone());
        for row in rows {
            let name = if row.name == "cost" { format!("cost ({currency})") } else { row.name.to_string() };
            h.push_str(&format!("<tr><th>{}</th>", esc(&name)));
            for c in &row.cells {
                let class = if c == "MISSED" { " class=\"bad\"" } else { "" };
                h.push_str(&format!("<td{class}>{}</td>", esc(c)));
            }
            if runs.compared() {
                h.push_str(&format!("<td class=\"diff\">{}</td>", difference(&row)));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table>\n");
        page.html(&h);
    }
}

/// "+0.52 (+8.4%)" per later run, coloured by whether it is better.
fn difference(row: &Row) -> String {
    let Some(Some(first)) = row.values.first() else { return String::new() };
    let parts: Vec<String> = row.values[1..]
        .iter()
        .map(|v| match v {
            Some(v) if (v - first).abs() < 1e-12 => "=".to_string(),
            Some(v) => {
                let d = v - first;
                let rel =
                    if first.abs() > 1e-12 { format!(" ({:+.1}%)", d / first.abs() * 100.0) } else { String::new() };
                let class = match row.better {
                    Some(more) if (d > 0.0) == more => "better",
                    Some(_) => "worse",
                    None => "same",
                };
                let sign = if d > 0.0 { "+" } else { "−" };
                format!("<span class=\"{class}\">{sign}{}{rel}</span>", (row.show)(d.abs()))
            }
            None => "—".into(),
        })
        .collect();
    parts.join(" · ")
}

impl Section for TimeCharts<'_> {
    fn render(&self, page: &mut Page) {
        let runs = self.0;
        page.heading("Over time");
        let times: Vec<Vec<f64>> = runs.runs.iter().map(|r| r.series.time()).collect();
        let refs: Vec<&[f64]> = times.iter().map(Vec::as_slice).collect();
        let grid = Grid::new(&refs);
        if !grid.is_raw() {
            page.html(&format!(
                "<p class=\"note\">{} rows per run drawn as {} points per series: each bucket keeps its minimum and \
                 maximum, so no spike is lost.</p>\n",
                times.iter().map(Vec::len).max().unwrap_or(0),
                grid.x.len()
            ));
        }
        let errors: Vec<Trace> = ErrorKind::ALL
            .iter()
            .map(|k| Trace { label: k.name(), column: k.name(), hue: palette::ERRORS[k.index()], compared: true })
            .collect();
        let bands = self.bands();
        if !runs.compared() && !bands.is_empty() {
            let mut kinds: Vec<FindingKind> = bands.iter().map(|b| b.kind).collect();
            kinds.sort_unstable_by_key(|k| k.name());
            kinds.dedup();
            let keys: Vec<String> = kinds
                .iter()
                .map(|k| {
                    format!(
                        "<span class=\"key\" style=\"background:{}\">{}</span>",
                        palette::finding(*k),
                        esc(k.name())
                    )
                })
                .collect();
            page.html(&format!("<p class=\"note\">Shaded: findings (hover one for its sentence) — {}. Circles: scaling decisions (hover for the policy's reason).</p>\n", keys.join(" ")));
        }
        for panel in PANELS {
            let traces: &[Trace] = if panel.traces.is_empty() { &errors } else { panel.traces };
            let mut series = Vec::new();
            for (i, run) in runs.runs.iter().enumerate() {
                for (j, qty) in traces.iter().filter(|q| q.compared || !runs.compared()).enumerate() {
                    let Some(col) = run.series.get(qty.column) else { continue };
                    // A series that is absent or all zero is left out (an
                    // error kind that never happened, a tier not modelled).
                    if !col.iter().any(|v| v.is_some_and(|x| x != 0.0)) {
                        continue;
                    }
                    let (label, color, dash) = if runs.compared() {
                        (format!("{} · {}", qty.label, runs.names[i]), runs.run_color(i), dash(j))
                    } else {
                        (qty.label.to_string(), qty.hue.css().to_string(), vec![])
                    };
                    series.push(Line { label, color, values: grid.fit(&times[i], col), dash, points: false });
                }
                if panel.unit == Unit::Ms && panel.traces.first().is_some_and(|q| q.column == Quantity::P99.column()) {
                    let slo = run.summary.slo.p99_target_ms;
                    let (label, color) = if runs.compared() {
                        (format!("SLO · {}", runs.names[i]), runs.run_color(i))
                    } else {
                        ("SLO".into(), palette::SLO.css().into())
                    };
                    let values = grid.x.iter().map(|_| Some(slo)).collect();
                    series.push(Line { label, color, values, dash: vec![2, 4], points: false });
                }
            }
            if series.is_empty() {
                continue;
            }
            let markers = if panel.decisions { self.decisions() } else { vec![] };
            page.chart(Chart {
                id: String::new(),
                title: panel.title.to_string(),
                axis: Axis::Time,
                unit: panel.unit,
                x: grid.x.clone(),
                series,
                bands: bands.clone(),
                markers,
                notes: vec![],
            });
        }
    }
}

/// A quantity's dash when runs share a colour: solid, dashed, dotted, …
fn dash(j: usize) -> Vec<u32> {
    match j {
        0 => vec![],
        1 => vec![8, 4],
        2 => vec![2, 3],
        _ => vec![12, 3, 2, 3],
    }
}

impl TimeCharts<'_> {
    /// Every run's findings as shaded episodes.
    fn bands(&self) -> Vec<Band> {
        let runs = self.0;
        let mut out = Vec::new();
        for (i, run) in runs.runs.iter().enumerate() {
            for f in &run.summary.findings {
                let (text, color) = if runs.compared() {
                    (format!("{} — {}: {}", runs.names[i], f.kind, f.evidence), format!("{}1f", runs.run_color(i)))
                } else {
                    (format!("{}: {}", f.kind, f.evidence), palette::finding(f.kind).to_string())
                };
                out.push(Band { from: f.start_s, to: f.end_s, kind: f.kind, text, color });
            }
        }
        out
    }

    /// Scaling decisions (`scale` events, `old → new: reason`) at the new
    /// count, their reason on hover.
    fn decisions(&self) -> Vec<Marker> {
        let runs = self.0;
        let mut out = Vec::new();
        for (i, run) in runs.runs.iter().enumerate() {
            for e in run.events.iter().filter(|e| e.kind == "scale") {
                let new =
                    e.detail.split(':').next().and_then(|s| s.rsplit('→').next()).and_then(|s| s.trim().parse().ok());
                let Some(y) = new else { continue };
                let who = if runs.compared() { format!("{} · ", runs.names[i]) } else { String::new() };
                let color = if runs.compared() { runs.run_color(i) } else { Hue::White.css().to_string() };
                out.push(Marker {
                    x: e.t_s,
                    y,
                    text: format!("{who}{:.0} s · {}: {}", e.t_s, e.subject, e.detail),
                    color,
                });
            }
        }
        out
    }
}

impl Section for Findings<'_> {
    fn render(&self, page: &mut Page) {
        let runs = self.0;
        page.heading("Findings");
        let mut h = String::new();
        for (i, run) in runs.runs.iter().enumerate() {
            if runs.compared() {
                h.push_str(&format!("<h3 style=\"color:{}\">{}</h3>\n", runs.run_color(i), esc(&runs.names[i])));
            }
            findings_table(&mut h, run);
            let actions: Vec<_> = run.events.iter().filter(|e| e.kind == "fault" || e.kind == "intervention").collect();
            if !actions.is_empty() {
                h.push_str("<p>Faults and operator actions:</p><ul class=\"actions\">\n");
                for e in actions {
                    h.push_str(&format!(
                        "<li>{:.0} s — {} {}: {}</li>\n",
                        e.t_s,
                        esc(&e.kind),
                        esc(&e.subject),
                        esc(&e.detail)
                    ));
                }
                h.push_str("</ul>\n");
            }
        }
        page.html(&h);
    }
}

fn findings_table(h: &mut String, run: &RunDir) {
    if run.summary.findings.is_empty() {
        h.push_str("<p class=\"none\">No failure mode detected.</p>\n");
        return;
    }
    h.push_str("<table class=\"findings\"><thead><tr><th>kind</th><th>when</th><th>evidence</th><th>fix</th></tr></thead><tbody>\n");
    for f in &run.summary.findings {
        h.push_str(&format!(
            "<tr class=\"finding\" data-kind=\"{}\"><td>{}</td><td>{:.0}–{:.0} s</td><td>{}</td><td>{}</td></tr>\n",
            esc(f.kind.name()),
            esc(f.kind.name()),
            f.start_s,
            f.end_s,
            esc(&f.evidence),
            esc(&f.fix)
        ));
    }
    h.push_str("</tbody></table>\n");
}
