//! The event log: scaling decisions with their reasons, faults, operator
//! actions, findings, and (unless hidden) instance lifecycle and health.
//!
//! ```text
//!  ┌Log 1234 events · v hides lifecycle · ↑↓ PgUp PgDn scroll─────────┐
//!  │12:31.000 scale        threshold  12 → 14: cpu 72% above 65%       │
//!  │12:34.500 fault        kill_instances  killed 4 of 14 running …     │
//!  │12:40.000 intervention freeze_autoscaler  autoscaler frozen         │
//!  └───────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{BOLD, DIM};
use crate::output::{EventKind, EventRow};
use crate::tui::app::{App, clock_text_ms, is_lifecycle};

/// How each kind of event stands out.
fn style(kind: EventKind) -> Style {
    match kind {
        EventKind::Scale => Style::new().fg(Color::Cyan),
        EventKind::Fault => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        EventKind::Intervention => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        EventKind::Finding => Style::new().fg(Color::LightRed).add_modifier(Modifier::BOLD | Modifier::REVERSED),
        EventKind::Nodes => Style::new().fg(Color::Blue),
        EventKind::Instance | EventKind::Health | EventKind::Db => DIM,
    }
}

fn line(row: &EventRow) -> Line<'static> {
    let style = style(row.kind);
    let detail = if is_lifecycle(row.kind) { DIM } else { Style::new() };
    Line::from(vec![
        Span::styled(format!("{:>9} ", clock_text_ms(row.at)), DIM),
        Span::styled(format!("{:<12} ", row.kind.name()), style),
        Span::styled(format!("{} ", row.subject), style),
        Span::styled(row.detail.clone(), detail),
    ])
}

/// Draws the log.
pub(super) fn render(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let log = &app.log;
    let filter = if log.lifecycle { "v hides instance lines" } else { "instance lines hidden (v shows)" };
    let position = if log.scroll > 0 { format!(" · {} lines back (End follows)", log.scroll) } else { String::new() };
    let title = Line::from(vec![
        Span::styled("Log", BOLD),
        Span::styled(format!(" {} events · {filter} · ↑↓ scroll{position}", log.total), DIM),
    ]);
    let block = Block::new().borders(Borders::TOP).border_style(DIM).title(title);
    let height = usize::from(block.inner(area).height);
    let shown: Vec<&EventRow> = log.lines.iter().filter(|r| log.shows(r)).collect();
    let end = shown.len().saturating_sub(log.scroll);
    let lines: Vec<Line<'_>> = shown[end.saturating_sub(height)..end].iter().map(|r| line(r)).collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
