//! The grid of panels: what an SRE watches during a game day.
//!
//! ```text
//!  wide (≥ 150 columns)                     narrow
//!  ___________________________________      _______________________
//! | Replicas  | Metric    | Latency   |    | Replicas  | Metric    |
//! |-----------+-----------+-----------|    |-----------+-----------|
//! | Traffic   | Errors    | DB conns  |    | Latency   | Traffic   |
//! |-----------+-----------+-----------|    |-----------+-----------|
//! | DB util   | Pool wait | Cache hit |    | Errors    | DB conns  |
//!  -----------------------------------     |-----------+-----------|
//!                                          | DB util   | Pool wait |
//!                                          |-----------------------|
//!                                          | Cache hit             |
//!                                           -----------------------
//! ```
//!
//! Without a database or a cache, their four panels give way to one panel
//! of instances by zone (which says the data tier is n/a), so the space goes
//! to what the scenario has.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

use super::DIM;
use super::plot::{self, Figure, Panel, Series};
use crate::model::outcome::ErrorKind;
use crate::output::TickRow;
use crate::report::palette::{self, Hue, Quantity};
use crate::tui::app::App;

const NA: &str = "n/a";

fn or_na(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or(NA.to_string(), f)
}

fn ms(v: f64) -> String {
    match v {
        v if v >= 1000.0 => format!("{:.1} s", v / 1000.0),
        v if v >= 10.0 => format!("{v:.0} ms"),
        v => format!("{v:.1} ms"),
    }
}

fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

fn rate(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1}k/s", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.0}/s")
    } else {
        format!("{v:.1}/s")
    }
}

fn count(v: f64) -> String {
    format!("{v:.0}")
}

/// The terminal's named colour for a hue of the shared palette.
fn color(hue: Hue) -> Color {
    match hue {
        Hue::Green => Color::Green,
        Hue::White => Color::White,
        Hue::Yellow => Color::Yellow,
        Hue::Cyan => Color::Cyan,
        Hue::Magenta => Color::Magenta,
        Hue::Red => Color::Red,
        Hue::Blue => Color::Blue,
        Hue::LightMagenta => Color::LightMagenta,
        Hue::LightCyan => Color::LightCyan,
        Hue::LightRed => Color::LightRed,
        Hue::DarkGray => Color::DarkGray,
    }
}

/// A figure with a long and a short label and the same value.
fn figure(long: &str, short: &str, value: String, hue: Hue) -> Figure {
    Figure::new(format!("{long} {value}"), format!("{short} {}", value.replace(' ', "")), color(hue))
}

/// A quantity's figure: the report's label and colour, and a short label.
fn fig(quantity: Quantity, short: &str, value: String) -> Figure {
    figure(quantity.label(), short, value, quantity.hue())
}

fn series<'a>(quantity: Quantity, read: impl Fn(&TickRow) -> Option<f64> + 'a) -> Series<'a> {
    line(quantity.hue(), read)
}

fn line<'a>(hue: Hue, read: impl Fn(&TickRow) -> Option<f64> + 'a) -> Series<'a> {
    Series { color: color(hue), read: Box::new(read), peak: false }
}

fn peak<'a>(hue: Hue, read: impl Fn(&TickRow) -> Option<f64> + 'a) -> Series<'a> {
    Series { color: color(hue), read: Box::new(read), peak: true }
}

fn panel<'a>(
    title: &str,
    figures: Vec<Figure>,
    series: Vec<Series<'a>>,
    floor: f64,
    unit: fn(f64) -> String,
) -> Panel<'a> {
    Panel { title: title.into(), short_title: title.into(), alert: false, figures, series, floor, unit, text: None }
}

fn text(title: &str, lines: Vec<Line<'static>>) -> Panel<'static> {
    Panel { text: Some(lines), ..panel(title, vec![], vec![], 1.0, count) }
}

fn absent(title: &str, note: String) -> Panel<'static> {
    text(title, vec![Line::styled(note, DIM)])
}

fn replicas(app: &App) -> Panel<'static> {
    let r = app.last();
    // A state with no instance gives way first where space is short.
    let n = |quantity, short, f: fn(&TickRow) -> u32| {
        let v = r.map(f);
        fig(quantity, short, v.map_or(NA.to_string(), |v| v.to_string())).drop(u8::from(v.unwrap_or(0) == 0))
    };
    let figures = vec![
        fig(Quantity::Desired, "des", app.status.desired.to_string()),
        n(Quantity::Ready, "rdy", |r| r.replicas_ready),
        n(Quantity::Warming, "wrm", |r| r.replicas_warming),
        n(Quantity::Starting, "st", |r| r.replicas_starting),
        n(Quantity::Pending, "pnd", |r| r.replicas_pending),
        n(Quantity::Draining, "drn", |r| r.replicas_draining),
    ];
    let s = |quantity, f: fn(&TickRow) -> u32| series(quantity, move |r| Some(f64::from(f(r))));
    let lines = vec![
        s(Quantity::Ready, |r| r.replicas_ready),
        s(Quantity::Desired, |r| r.replicas_desired),
        s(Quantity::Warming, |r| r.replicas_warming),
        s(Quantity::Starting, |r| r.replicas_starting),
        s(Quantity::Pending, |r| r.replicas_pending),
        s(Quantity::Draining, |r| r.replicas_draining),
    ];
    panel("Replicas", figures, lines, 4.0, count)
}

fn metric(app: &App) -> Panel<'static> {
    let Some(name) = app.status.metric.map(str::to_string).or_else(|| app.info.metric.clone()) else {
        return absent("Metric", format!("policy '{}' scales on no metric", app.info.policy));
    };
    let ratio = name == "cpu";
    let show: fn(f64) -> String = if ratio { pct } else { |v| format!("{v:.1}") };
    let r = app.last();
    let figures = vec![
        fig(Quantity::MetricSeen, "seen", or_na(r.and_then(|r| r.metric_seen), show)),
        fig(Quantity::MetricTrue, "true", or_na(r.and_then(|r| r.metric_true), show)).drop(1),
        fig(Quantity::MetricTarget, "tgt", or_na(r.and_then(|r| r.metric_target), show)),
    ];
    let lines = vec![
        series(Quantity::MetricSeen, |r| r.metric_seen),
        series(Quantity::MetricTrue, |r| r.metric_true),
        series(Quantity::MetricTarget, |r| r.metric_target),
    ];
    // Until a decision names it, a policy's metric may only be "metric".
    let title = if name == "metric" { "Policy metric".to_string() } else { format!("Metric {name}") };
    let mut p = panel(&title, figures, lines, if ratio { 1.0 } else { 0.0 }, show);
    p.short_title = name;
    if app.status.frozen {
        p.title.push_str(" FROZEN");
        p.short_title.push_str(" FROZEN");
        p.alert = true;
    }
    p
}

fn latency(app: &App) -> Panel<'static> {
    let slo = app.info.slo_p99_ms;
    let r = app.last();
    let p99 = r.and_then(|r| r.p99_ms);
    let figures = vec![
        fig(Quantity::P50, "p50", or_na(r.and_then(|r| r.p50_ms), ms)).drop(1),
        fig(Quantity::P95, "p95", or_na(r.and_then(|r| r.p95_ms), ms)).drop(2),
        fig(Quantity::P99, "p99", or_na(p99, ms)),
        figure("SLO", "SLO", ms(slo), palette::SLO),
    ];
    let lines = vec![
        peak(Quantity::P99.hue(), |r| r.p99_ms),
        peak(Quantity::P95.hue(), |r| r.p95_ms),
        peak(Quantity::P50.hue(), |r| r.p50_ms),
        line(palette::SLO, move |_| Some(slo)),
    ];
    let mut p = panel("Latency", figures, lines, slo * 1.1, ms);
    p.alert = p99.is_some_and(|v| v > slo);
    p
}

fn traffic(app: &App) -> Panel<'static> {
    let r = app.last();
    let quiet = |v: Option<f64>| v.unwrap_or(0.0) == 0.0;
    let (retries, queued) = (r.map(|r| r.retries_rps), r.map(|r| r.queue as f64));
    let figures = vec![
        fig(Quantity::Offered, "in", or_na(r.map(|r| r.offered_rps), rate)),
        fig(Quantity::Completed, "ok", or_na(r.map(|r| r.completed_rps), rate)),
        fig(Quantity::Retries, "retry", or_na(retries, rate)).drop(u8::from(quiet(retries))),
        fig(Quantity::Queued, "queued", or_na(queued, count)).drop(u8::from(quiet(queued))),
    ];
    let lines = vec![
        series(Quantity::Offered, |r| Some(r.offered_rps)),
        series(Quantity::Completed, |r| Some(r.completed_rps)),
        series(Quantity::Retries, |r| Some(r.retries_rps)),
    ];
    panel("Traffic", figures, lines, 1.0, rate)
}

fn errors(app: &App) -> Panel<'static> {
    let (x0, _) = plot::window(app);
    let seen: Vec<ErrorKind> =
        ErrorKind::ALL.into_iter().filter(|k| app.history.since(x0).any(|r| r.error(*k) > 0.0)).collect();
    let last = app.last();
    let mut figures: Vec<Figure> = seen
        .iter()
        .map(|k| figure(k.name(), k.name(), rate(last.map_or(0.0, |r| r.error(*k))), palette::ERRORS[k.index()]))
        .collect();
    if figures.is_empty() {
        figures.push(Figure::new("none".into(), "none".into(), color(Hue::Green)));
    }
    let lines = seen.iter().map(|k| (*k, palette::ERRORS[k.index()])).map(|(k, h)| peak(h, move |r| Some(r.error(k))));
    let mut p = panel("Errors", figures, lines.collect(), 1.0, rate);
    p.alert = last.is_some_and(|r| r.errors.iter().any(|e| *e > 0.0));
    p
}

fn db_connections(app: &App) -> Panel<'static> {
    let d = app.last().map(|r| &r.data);
    let figures = vec![
        fig(Quantity::DbConnections, "open", or_na(d.and_then(|d| d.db_connections), count)),
        fig(Quantity::DbMaxConnections, "max", or_na(d.and_then(|d| d.db_max_connections), count)),
        fig(Quantity::DbActive, "act", or_na(d.and_then(|d| d.db_active), count)),
    ];
    let lines = vec![
        series(Quantity::DbConnections, |r| r.data.db_connections),
        series(Quantity::DbMaxConnections, |r| r.data.db_max_connections),
        series(Quantity::DbActive, |r| r.data.db_active),
    ];
    let mut p = panel("DB connections", figures, lines, 10.0, count);
    p.short_title = "DB conns".into();
    p
}

fn db_util(app: &App) -> Panel<'static> {
    let d = app.last().map(|r| &r.data);
    let figures = vec![
        fig(Quantity::DbUtil, "util", or_na(d.and_then(|d| d.db_util), pct)),
        fig(Quantity::DbLockWait, "lock", or_na(d.and_then(|d| d.db_lock_wait_ms), ms)).drop(1),
    ];
    let mut p = panel("DB utilization", figures, vec![series(Quantity::DbUtil, |r| r.data.db_util)], 1.0, pct);
    p.short_title = "DB util".into();
    p
}

fn pool_wait(app: &App) -> Panel<'static> {
    let d = app.last().map(|r| &r.data);
    let figures = vec![fig(Quantity::PoolWait, "p99", or_na(d.and_then(|d| d.pool_wait_p99_ms), ms))];
    panel("Pool wait", figures, vec![peak(Quantity::PoolWait.hue(), |r| r.data.pool_wait_p99_ms)], 1.0, ms)
}

fn cache(app: &App) -> Panel<'static> {
    let d = app.last().map(|r| &r.data);
    let figures = vec![fig(Quantity::CacheHit, "hit", or_na(d.and_then(|d| d.cache_hit_ratio), pct))];
    let mut p =
        panel("Cache hit ratio", figures, vec![series(Quantity::CacheHit, |r| r.data.cache_hit_ratio)], 1.0, pct);
    p.short_title = "Cache".into();
    p
}

/// Instances by zone, and what the data tier would show.
fn fleet(app: &App, what: &str, width: u16) -> Panel<'static> {
    let zones = &app.status.zones;
    let widest = zones.iter().map(|z| z.live).max().unwrap_or(0).max(1);
    let bar = usize::from(width).saturating_sub(34).clamp(4, 40);
    let mut lines: Vec<Line<'static>> = zones
        .iter()
        .enumerate()
        .map(|(i, z)| {
            let running = (z.running as usize * bar).div_ceil(widest as usize);
            let other = (z.live as usize * bar).div_ceil(widest as usize).saturating_sub(running);
            Line::from(vec![
                Span::raw(format!("zone {i} ")),
                Span::styled("█".repeat(running), Style::new().fg(color(Quantity::Ready.hue()))),
                Span::styled("▒".repeat(other), Style::new().fg(color(Quantity::Warming.hue()))),
                Span::raw(" ".repeat(bar + 1 - running - other)),
                Span::raw(format!("{:>3} ready", z.running)),
                Span::styled(format!(" of {:>3} live", z.live), DIM),
            ])
        })
        .collect();
    let r = app.last();
    lines.push(Line::from(vec![
        Span::styled("in flight ", DIM),
        Span::raw(r.map_or(NA.into(), |r| r.in_flight.to_string())),
        Span::styled(" · queued ", DIM),
        Span::raw(r.map_or(NA.into(), |r| r.queue.to_string())),
        Span::styled(" · capacity ", DIM),
        Span::raw(r.map_or(NA.into(), |r| r.capacity.map_or("unlimited".into(), |c| c.to_string()))),
    ]));
    lines.push(Line::styled(format!("data tier n/a: no {what}"), DIM));
    text("Fleet by zone", lines)
}

/// The panels this scenario has, in reading order.
fn panels(app: &App, width: u16) -> Vec<Panel<'static>> {
    let mut all = vec![replicas(app), metric(app), latency(app), traffic(app), errors(app)];
    let (db, cached) = (app.info.database, app.info.cache);
    if db {
        all.extend([db_connections(app), db_util(app), pool_wait(app)]);
    }
    if cached {
        all.push(cache(app));
    } else if db {
        all.push(absent("Cache hit ratio", "n/a — this scenario has no [cache]".into()));
    }
    if !db {
        all.push(fleet(app, if cached { "[database]" } else { "[database] or [cache]" }, width));
        if cached {
            all.push(cache(app));
        }
    }
    all
}

/// Draws the grid.
pub(super) fn render(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let columns: u16 = if area.width >= 150 { 3 } else { 2 };
    let mut all = panels(app, area.width / columns);
    if app.last().is_none() {
        // Before the first tick there is nothing to show but what will be.
        let waiting = |p: &Panel<'static>| absent(&p.title, "waiting for the first tick — space starts".into());
        all = all.iter().map(waiting).collect();
    }
    let rows: Vec<&[Panel<'_>]> = all.chunks(usize::from(columns)).collect();
    let row_areas = Layout::vertical(vec![Constraint::Fill(1); rows.len()]).split(area);
    for (row, row_area) in rows.iter().zip(row_areas.iter()) {
        let cells = Layout::horizontal(vec![Constraint::Fill(1); row.len()]).split(*row_area);
        for (p, cell) in row.iter().zip(cells.iter()) {
            plot::draw(p, app, frame, *cell);
        }
    }
}
