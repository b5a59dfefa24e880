//! Drawing the dashboard: pure functions of the [`App`] onto a frame, one
//! file per screen region. Nothing here changes state.
//!
//! ```text
//!  ______________________________________________________________
//! | header: state · speed · clock · autoscaler · session         |
//! | (tall terminals: traffic, fleet by zone, SLO, policy)        |
//! |--------------------------------------------------------------|
//! | Replicas          | Policy metric     | Latency vs SLO       |
//! |-------------------+-------------------+----------------------|
//! | Traffic           | Errors by kind    | DB connections       |
//! |-------------------+-------------------+----------------------|
//! | DB utilization    | Pool wait         | Cache hit ratio      |
//! |--------------------------------------------------------------|
//! | Log: scaling decisions, faults, interventions, lifecycle     |
//! |--------------------------------------------------------------|
//! | footer: key hints, or the last message                       |
//!  --------------------------------------------------------------
//! ```
//!
//! Panels: 3 columns from 150 columns wide, else 2; without a database or
//! cache their panels give way to one of instances by zone (see `panels`).
//! A help overlay, a prompt or a confirmation is drawn on top when open.

mod dialog;
mod footer;
mod header;
mod help;
mod log;
mod panels;
mod plot;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};

use super::app::{App, Mode};

/// The smallest terminal the dashboard is drawn in; below it, a notice.
pub const MIN_SIZE: (u16, u16) = (60, 16);

/// Draws the whole dashboard.
pub fn render(app: &App, frame: &mut Frame<'_>) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        too_small(app, frame, area);
        return;
    }
    let [top, body, bottom] =
        Layout::vertical([Constraint::Length(header::height(area)), Constraint::Min(0), Constraint::Length(1)])
            .areas(area);
    let log_height = (body.height / 4).clamp(4, 14);
    let [grid, events] = Layout::vertical([Constraint::Min(0), Constraint::Length(log_height)]).areas(body);
    header::render(app, frame, top);
    panels::render(app, frame, grid);
    log::render(app, frame, events);
    footer::render(app, frame, bottom);
    match &app.mode {
        Mode::Normal => {}
        Mode::Help => help::render(app, frame, area),
        Mode::Prompt(p) => dialog::prompt(p, frame, area),
        Mode::Confirm(c) => dialog::confirm(c, frame, area),
    }
}

/// Below [`MIN_SIZE`]: where the run stands and what to do, every line
/// short enough for a phone-sized terminal; keys still work and dialogs are
/// drawn on top.
fn too_small(app: &App, frame: &mut Frame<'_>, area: Rect) {
    use ratatui::text::Line;
    use ratatui::widgets::{Paragraph, Wrap};
    let state = if app.status.finished {
        "finished"
    } else if app.on_hold() || app.clock == super::app::Clock::Paused {
        "paused"
    } else {
        "running"
    };
    let lines = vec![
        Line::styled(format!("scalesim · {}", app.info.name), BOLD),
        Line::raw(format!("{} {state}", super::app::clock_text(app.status.now))),
        Line::raw(""),
        Line::styled("Enlarge the terminal", BOLD.fg(Color::Yellow)),
        Line::raw(format!("to at least {}×{} (now {}×{}).", MIN_SIZE.0, MIN_SIZE.1, area.width, area.height)),
        Line::raw(""),
        Line::styled("space pause · q quit", DIM),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
    match &app.mode {
        Mode::Normal | Mode::Help => {}
        Mode::Prompt(p) => dialog::prompt(p, frame, area),
        Mode::Confirm(c) => dialog::confirm(c, frame, area),
    }
}

/// A `width` × `height` rectangle centred in `area` (clipped to it).
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// Dimmed text (unavailable keys, n/a values).
const DIM: Style = Style::new().fg(Color::DarkGray);
/// Headings.
const BOLD: Style = Style::new().add_modifier(Modifier::BOLD);
