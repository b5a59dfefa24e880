//! One dashboard panel: a title with the latest figures in the colours of
//! their lines, and under it the panel's series over the chart window as
//! braille lines — with a border and axes where there is room, bare where
//! there is not (then secondary figures and long names give way too).
//!
//! ```text
//!  ┌Latency p50 18 ms  p99 124 ms  SLO 400 ms──────────────┐
//!  │500 ms│                                                │
//!  │      │‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥ │   SLO
//!  │250 ms│        ⢀⡠⠔⠊⠉⠉⠒⠢⢄⡀                               │   p99
//!  │  0 ms│⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀│   p50
//!  │      └───────────────────────────────────────────────│
//!  │      2:34                                      12:34 │
//!  └───────────────────────────────────────────────────────┘
//!
//!  compact (short terminals; the scale at the right):
//!  ─Latency p50 18ms p99 124ms SLO 400ms──────────────↑500ms
//!  ‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥‥
//!          ⢀⡠⠔⠊⠉⠉⠒⠢⢄⡀                        ⢀⡠⠔⠊⠉⠉⠒⠢⢄
//!  ⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph, Wrap};

use super::{BOLD, DIM};
use crate::engine::time::SimTime;
use crate::output::TickRow;
use crate::tui::app::{App, clock_text};

/// A figure in a panel's title: the latest value of something.
pub(super) struct Figure {
    /// Wide form (`ready 9`).
    pub long: String,
    /// Narrow form (`rdy 9`).
    pub short: String,
    /// Its line's colour.
    pub color: Color,
    /// Left out where space is short: 0 never, else the higher the
    /// sooner (a zero count, a secondary figure).
    pub drop: u8,
}

impl Figure {
    pub(super) fn new(long: String, short: String, color: Color) -> Figure {
        Figure { long, short, color, drop: 0 }
    }

    /// The same figure, left out where space is short (`drop` > 0; the
    /// higher, the sooner).
    pub(super) fn drop(self, drop: u8) -> Figure {
        Figure { drop, ..self }
    }
}

/// A value read from each row.
pub(super) type Read<'a> = Box<dyn Fn(&TickRow) -> Option<f64> + 'a>;

/// A line on a panel's chart.
pub(super) struct Series<'a> {
    /// Its colour.
    pub color: Color,
    /// Its value in a row.
    pub read: Read<'a>,
    /// Where rows are merged to fit the width, keep the largest (errors,
    /// latency: a spike must not vanish) rather than the mean.
    pub peak: bool,
}

/// A panel of the dashboard.
pub(super) struct Panel<'a> {
    /// Its name.
    pub title: String,
    /// Its name where space is short.
    pub short_title: String,
    /// Red title: something is wrong (SLO breached, errors).
    pub alert: bool,
    /// The latest values.
    pub figures: Vec<Figure>,
    /// Its lines, the primary one first (drawn on top).
    pub series: Vec<Series<'a>>,
    /// The y axis reaches at least this.
    pub floor: f64,
    /// How a y value reads on the axis.
    pub unit: fn(f64) -> String,
    /// Shown instead of a chart (a text panel, or a component the
    /// scenario does not have).
    pub text: Option<Vec<Line<'static>>>,
}

/// The chart window in seconds: `[x0, x1]`, filling from the left until a
/// whole window has passed, then scrolling.
pub(super) fn window(app: &App) -> (f64, f64) {
    let now = app.status.now.as_secs_f64();
    let window = app.window().as_secs_f64();
    let end = app.info.end.as_secs_f64();
    if now <= window { (0.0, window.min(end).max(1e-9)) } else { (now - window, now) }
}

/// The series' values merged into `n` equal buckets of the window.
fn buckets(app: &App, series: &Series<'_>, (x0, x1): (f64, f64), n: usize) -> Vec<Option<f64>> {
    let mut sum = vec![0.0; n];
    let mut count = vec![0u32; n];
    let mut out: Vec<Option<f64>> = vec![None; n];
    for row in app.history.since(x0) {
        let Some(v) = (series.read)(row).filter(|v| v.is_finite()) else { continue };
        let b = (((row.t_s - x0) / (x1 - x0)) * n as f64).floor().clamp(0.0, (n - 1) as f64) as usize;
        if series.peak {
            out[b] = Some(out[b].map_or(v, |m: f64| m.max(v)));
        } else {
            sum[b] += v;
            count[b] += 1;
            out[b] = Some(sum[b] / f64::from(count[b]));
        }
    }
    out
}

/// A round axis top, at least `x`: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k.
fn nice(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|v| *v >= x * 0.999_999)
        .unwrap_or(10.0 * p)
}

/// The title in the widest form that fits: long names with every figure,
/// then leaving out droppable figures (the most droppable first), then
/// short names without them, then dropping figures from the end.
fn title<'a>(panel: &Panel<'_>, width: u16) -> Line<'a> {
    let style = if panel.alert { BOLD.fg(Color::Red) } else { BOLD };
    let spans = |short: bool, keep: u8, most: usize| -> Vec<Span<'a>> {
        let name = if short { &panel.short_title } else { &panel.title };
        let mut spans = vec![Span::styled(name.clone(), style)];
        for f in panel.figures.iter().filter(|f| f.drop <= keep).take(most) {
            spans.push(Span::raw(if short { " " } else { "  " }));
            spans.push(Span::styled(if short { f.short.clone() } else { f.long.clone() }, Style::new().fg(f.color)));
        }
        spans
    };
    let all = panel.figures.len();
    let levels = panel.figures.iter().map(|f| f.drop).max().unwrap_or(0);
    let forms = (0..=levels).rev().map(|keep| (false, keep, all)).chain((0..=all).rev().map(|most| (true, 0, most)));
    let fits = |s: &[Span<'_>]| s.iter().map(Span::width).sum::<usize>() <= usize::from(width);
    let chosen = forms.map(|(short, keep, most)| spans(short, keep, most)).find(|s| fits(s));
    Line::from(chosen.unwrap_or_else(|| spans(true, 0, 0)))
}

/// Draws a panel into `area`.
pub(super) fn draw(panel: &Panel<'_>, app: &App, frame: &mut Frame<'_>, area: Rect) {
    if area.height == 0 || area.width < 4 {
        return;
    }
    let roomy = area.height >= 7 && area.width >= 30;
    // Bare panels keep a blank column on their right, between neighbours.
    let area = if roomy { area } else { Rect { width: area.width - 1, ..area } };
    let borders = if roomy { Borders::ALL } else { Borders::TOP };
    let inner = Block::new().borders(borders).inner(area);
    let block = |scale: &str| {
        let room = area.width.saturating_sub(2 + scale.chars().count() as u16);
        let block = Block::new().borders(borders).border_style(DIM).title(title(panel, room));
        if scale.is_empty() { block } else { block.title(Line::styled(scale.to_string(), DIM).right_aligned()) }
    };
    if let Some(text) = &panel.text {
        frame.render_widget(Paragraph::new(text.clone()).wrap(Wrap { trim: true }).block(block("")), area);
        return;
    }
    if inner.height == 0 {
        frame.render_widget(block(""), area);
        return;
    }
    let x = window(app);
    let n = usize::from(inner.width) * 2;
    let lines: Vec<Vec<(f64, f64)>> = panel
        .series
        .iter()
        .map(|s| {
            let width = (x.1 - x.0) / n as f64;
            let values = buckets(app, s, x, n);
            values.iter().enumerate().filter_map(|(b, v)| v.map(|v| (x.0 + (b as f64 + 0.5) * width, v))).collect()
        })
        .collect();
    let top = nice(lines.iter().flatten().fold(0.0, |m: f64, p| m.max(p.1 * 1.05)).max(panel.floor));
    let datasets: Vec<Dataset<'_>> = panel
        .series
        .iter()
        .zip(&lines)
        .rev()
        .map(|(s, points)| {
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(s.color))
                .data(points)
        })
        .collect();
    let (mut x_axis, mut y_axis) = (Axis::default().bounds([x.0, x.1]), Axis::default().bounds([0.0, top]));
    // Axes and labels where they leave room for the lines; else the scale
    // goes at the right end of the title.
    let block = if roomy && inner.height >= 5 && inner.width >= 24 {
        let at = |s: f64| clock_text(SimTime::from_secs_f64(s));
        x_axis = x_axis.style(DIM).labels([at(x.0), at(x.1)]);
        y_axis = y_axis.style(DIM).labels([(panel.unit)(0.0), (panel.unit)(top)]);
        block("")
    } else {
        block(&format!(" ↑{}", (panel.unit)(top).replace(' ', "")))
    };
    let chart = Chart::new(datasets).block(block).legend_position(None).x_axis(x_axis).y_axis(y_axis);
    frame.render_widget(chart, area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice(0.0), 1.0);
        assert_eq!(nice(0.7), 0.8);
        assert_eq!(nice(1.0), 1.0);
        assert_eq!(nice(1.3), 1.5);
        assert_eq!(nice(2.2), 2.5);
        assert_eq!(nice(420.0), 500.0);
        assert_eq!(nice(8001.0), 10_000.0);
    }
}
