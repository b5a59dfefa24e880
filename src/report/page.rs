//! The HTML page a report is written into: sections append HTML and charts;
//! `finish` wraps them with the vendored uPlot, its stylesheet, the report's
//! own glue script and the charts' data as JSON — one file, no network.

use serde::Serialize;

use crate::output::summary::FindingKind;

/// uPlot 1.6.32 (MIT), vendored from the npm registry (see vendor/uplot/).
const UPLOT_JS: &str = include_str!("vendor/uplot/uPlot.iife.min.js");
const UPLOT_CSS: &str = include_str!("vendor/uplot/uPlot.min.css");
const UPLOT_LICENSE: &str = include_str!("vendor/uplot/LICENSE");
/// Turns chart specs into uPlot charts (options, shading, markers, hover).
const GLUE_JS: &str = include_str!("report.js");
const STYLE: &str = include_str!("report.css");

/// What a chart's y values are, for axis labels and hover text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Instances, connections, requests.
    Count,
    /// Per second.
    Rps,
    /// Milliseconds.
    Ms,
    /// 0..1, shown as a percentage.
    Ratio,
    /// Money per hour.
    Money,
    /// A number without a unit.
    Plain,
}

/// How x is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Axis {
    /// Simulated seconds, charts zoom together.
    Time,
    /// Cost (money) of a sweep point.
    Cost,
}

/// One drawn series.
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    /// Its name in the legend (the TUI's name where the TUI has it).
    pub label: String,
    /// CSS colour.
    pub color: String,
    /// One value per x.
    pub values: Vec<Option<f64>>,
    /// Dash pattern, px (none: solid).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dash: Vec<u32>,
    /// Points only, no line.
    pub points: bool,
}

/// A shaded time range: a finding's episode.
#[derive(Clone, Debug, Serialize)]
pub struct Band {
    /// From, seconds.
    pub from: f64,
    /// To, seconds.
    pub to: f64,
    /// The finding's kind.
    pub kind: FindingKind,
    /// Its sentence (shown on hover).
    pub text: String,
    /// CSS fill.
    pub color: String,
}

/// A point with a note: a scaling decision and its reason.
#[derive(Clone, Debug, Serialize)]
pub struct Marker {
    /// Seconds.
    pub x: f64,
    /// Where on y.
    pub y: f64,
    /// Shown on hover.
    pub text: String,
    /// CSS colour.
    pub color: String,
}

/// A chart, as the glue script draws it.
#[derive(Clone, Debug, Serialize)]
pub struct Chart {
    /// Its element id.
    pub id: String,
    /// Its heading.
    pub title: String,
    /// What x is.
    pub axis: Axis,
    /// What y is.
    pub unit: Unit,
    /// The x values, ascending.
    pub x: Vec<f64>,
    /// The series.
    pub series: Vec<Line>,
    /// Shaded ranges.
    pub bands: Vec<Band>,
    /// Annotated points.
    pub markers: Vec<Marker>,
    /// Per x, a note shown on hover (sweep points: parameters, command).
    pub notes: Vec<String>,
}

/// The page being written.
#[derive(Debug, Default)]
pub struct Page {
    title: String,
    body: String,
    charts: Vec<Chart>,
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl Page {
    /// An empty page with a title.
    pub fn new(title: &str) -> Page {
        Page { title: title.to_string(), ..Page::default() }
    }

    /// Appends raw HTML (the caller escapes text in it).
    pub fn html(&mut self, html: &str) {
        self.body.push_str(html);
    }

    /// Appends a section heading.
    pub fn heading(&mut self, text: &str) {
        self.body.push_str(&format!("<h2>{}</h2>\n", esc(text)));
    }

    /// Appends a chart, drawn where it is appended.
    pub fn chart(&mut self, mut chart: Chart) {
        chart.id = format!("chart-{}", self.charts.len());
        self.body.push_str(&format!("<figure class=\"chart\" id=\"{}\"></figure>\n", chart.id));
        self.charts.push(chart);
    }

    /// The charts appended so far.
    pub fn charts(&self) -> &[Chart] {
        &self.charts
    }

    /// The whole document.
    pub fn finish(self) -> String {
        let data = serde_json::to_string(&self.charts).unwrap_or_else(|_| "[]".into()).replace("</", "<\\/");
        let license = UPLOT_LICENSE.replace("*/", "* /");
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n\
             <meta name=\"generator\" content=\"scalesim {version}\">\n<style>\n{UPLOT_CSS}\n{STYLE}</style>\n</head>\n\
             <body>\n<h1>{title}</h1>\n{body}\
             <footer>scalesim {version}. Drag on a chart to zoom (all time charts follow), double-click to reset, \
             click a legend entry to hide its series. Charts by uPlot (MIT).</footer>\n\
             <script type=\"application/json\" id=\"scalesim-charts\">{data}</script>\n\
             <script>/*! uPlot, {license} */\n{UPLOT_JS}</script>\n<script>\n{GLUE_JS}</script>\n</body>\n</html>\n",
            title = esc(&self.title),
            version = env!("CARGO_PKG_VERSION"),
            body = self.body,
        )
    }
}
