//! The header: where the run stands, always visible.
//!
//! ```text
//!  _________________________________________________________________________
//! | ▶ RUNNING  10× │ 12:34 / 1:00:00 │ autoscaler active · desired 12 [6–36] │ 3 recorded │ gameday
//! | offered 812 rps · in flight 23 · instances by zone 0:4 1:4 2:4 · SLO … · policy … · session …
//!  -------------------------------------------------------------------------
//! ```
//!
//! The first line always; segments give way by priority when it is narrow
//! (the scenario's name first, then the achieved speed, the end time, the
//! session count; failure modes found so far stay long). The second line on
//! tall terminals only.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{BOLD, DIM};
use crate::tui::app::{App, Clock, Then, clock_text};

/// One line, or two on tall terminals.
pub(super) fn height(area: Rect) -> u16 {
    if area.height >= 36 { 2 } else { 1 }
}

const SEP: &str = " │ ";

/// The state badge, the speed, the clock, the autoscaler, the session and
/// the scenario: the first line. Segments give way from the right of the
/// priority list when the line is too narrow.
fn status_line(app: &App, width: u16) -> Line<'static> {
    let s = &app.status;
    let badge = |text: &str, bg: Color| {
        Span::styled(format!(" {text} "), Style::new().fg(Color::Black).bg(bg).add_modifier(Modifier::BOLD))
    };
    let state = match app.clock {
        _ if s.finished => badge("■ FINISHED", Color::Gray),
        Clock::Running | Clock::Seeking { .. } if app.on_hold() => badge("‖ ON HOLD", Color::Yellow),
        Clock::Paused => badge("‖ PAUSED", Color::Yellow),
        Clock::Running => badge("▶ RUNNING", Color::Green),
        Clock::Seeking { then: Then::Quit, .. } => badge("» FINISHING", Color::Cyan),
        Clock::Seeking { to, .. } => badge(&format!("» TO {}", clock_text(to)), Color::Cyan),
    };
    let speed = app.speed().map_or("max".to_string(), |x| format!("{x}×"));
    let achieved = match (app.clock, app.achieved, app.speed()) {
        (Clock::Running, Some(a), Some(x)) if a < 0.9 * f64::from(x) => format!(" (actual {a:.0}×)"),
        (Clock::Running, Some(a), None) | (Clock::Seeking { .. }, Some(a), _) => format!(" ({a:.0}×)"),
        _ => String::new(),
    };
    let autoscaler = if s.frozen {
        Span::styled(" AUTOSCALER FROZEN ", Style::new().fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD))
    } else {
        Span::styled("autoscaler active", Style::new().fg(Color::Green))
    };
    let (min, max) = s.bounds;
    let recorded = format!("{} recorded", app.recorded);
    let findings = match app.findings {
        0 => vec![],
        n => vec![
            Span::raw(SEP),
            Span::styled(
                format!(" {n} finding{} ", if n == 1 { "" } else { "s" }),
                Style::new().fg(Color::White).bg(Color::Magenta).add_modifier(Modifier::BOLD),
            ),
        ],
    };
    // (priority: lower stays longer, spans)
    let segments: Vec<(u8, Vec<Span<'static>>)> = vec![
        (0, vec![state, Span::raw(format!(" {speed}"))]),
        (4, vec![Span::raw(achieved)]),
        (0, vec![Span::raw(SEP), Span::styled(clock_text(s.now), BOLD)]),
        (3, vec![Span::styled(format!(" / {}", clock_text(app.info.end)), DIM)]),
        (0, vec![Span::raw(SEP), autoscaler]),
        (1, vec![Span::raw(format!(" · desired {} [{min}–{max}]", s.desired))]),
        (2, vec![Span::raw(SEP), Span::styled(recorded, Style::new().fg(Color::Red))]),
        (1, findings),
        (5, vec![Span::raw(SEP), Span::styled(app.info.name.clone(), BOLD)]),
    ];
    let width_of = |spans: &[Span<'_>]| spans.iter().map(Span::width).sum::<usize>();
    let mut keep = 5;
    while keep > 0
        && segments.iter().filter(|(p, _)| *p <= keep).map(|(_, s)| width_of(s)).sum::<usize>() > usize::from(width)
    {
        keep -= 1;
    }
    Line::from(segments.into_iter().filter(|(p, _)| *p <= keep).flat_map(|(_, s)| s).collect::<Vec<_>>())
}

/// Traffic, fleet by zone, the SLO and the policy: the second line.
fn detail_line(app: &App) -> Line<'static> {
    let last = app.last();
    let offered = last.map_or("-".into(), |r| format!("{:.0} rps", r.offered_rps));
    let in_flight = last.map_or("-".into(), |r| r.in_flight.to_string());
    let zones: Vec<String> = app.status.zones.iter().enumerate().map(|(i, z)| format!("{i}:{}", z.live)).collect();
    let metric = app.status.metric.or(app.info.metric.as_deref()).map_or(String::new(), |m| format!(" on {m}"));
    Line::from(vec![
        Span::styled(" offered ", DIM),
        Span::raw(offered),
        Span::styled(" · in flight ", DIM),
        Span::raw(in_flight),
        Span::styled(" · instances by zone ", DIM),
        Span::raw(zones.join(" ")),
        Span::styled(" · SLO ", DIM),
        Span::raw(format!("p99 ≤ {:.0} ms, {}% available", app.info.slo_p99_ms, app.info.availability * 100.0)),
        Span::styled(" · policy ", DIM),
        Span::raw(format!("{}{metric}", app.info.policy)),
        Span::styled(" · session ", DIM),
        Span::raw(app.info.session_path.clone()),
    ])
}

/// Draws the header.
pub(super) fn render(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let mut lines = vec![status_line(app, area.width)];
    if area.height > 1 {
        lines.push(detail_line(app));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
