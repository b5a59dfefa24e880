//! Dialogs over the dashboard: the numeric prompt and the confirmation
//! before a destructive action.
//!
//! ```text
//!        ┌ Kill instances ──────────────────────────────┐
//!        │ Kill what share of the 12 running instances? │
//!        │ > 30▏                                         │
//!        │ Enter accepts · Esc cancels                   │
//!        └──────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::{BOLD, DIM, centered};
use crate::tui::app::{Ask, Confirm, Prompt};

fn popup(frame: &mut Frame<'_>, area: Rect, title: &str, color: Color, lines: Vec<Line<'static>>) {
    let width = 64.min(area.width.saturating_sub(2)).max(20);
    let text_width = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(text_width)).sum();
    let rect = centered(area, width, rows as u16 + 2);
    let block = Block::bordered().title(Span::styled(format!(" {title} "), BOLD)).border_style(Style::new().fg(color));
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), rect);
}

/// Draws a prompt.
pub(super) fn prompt(p: &Prompt, frame: &mut Frame<'_>, area: Rect) {
    let title = match p.ask {
        Ask::KillPercent => "Kill instances",
        Ask::Zone => "Kill a zone",
        Ask::MinReplicas => "Min replicas",
        Ask::MaxReplicas => "Max replicas",
        Ask::FixedReplicas => "Fixed replica count",
        Ask::Jump => "Jump forward",
        Ask::Latency => "Added latency",
        Ask::ErrorRate => "Dependency errors",
        Ask::Resize => "Resize the app fleet",
        Ask::PolicyField => "Set a policy field",
    };
    let text = if p.fresh { Style::new().add_modifier(Modifier::REVERSED) } else { BOLD };
    let mut lines = vec![
        Line::raw(p.label.clone()),
        Line::from(vec![Span::raw("> "), Span::styled(p.text.clone(), text), Span::styled("▏", DIM)]),
    ];
    if let Some(e) = &p.error {
        lines.push(Line::styled(e.clone(), Style::new().fg(Color::Red)));
    }
    lines.push(Line::styled("Enter accepts · Esc cancels", DIM));
    popup(frame, area, title, Color::Cyan, lines);
}

/// Draws a confirmation.
pub(super) fn confirm(c: &Confirm, frame: &mut Frame<'_>, area: Rect) {
    let lines = vec![
        Line::styled(c.question.clone(), BOLD),
        Line::from(vec![
            Span::styled(" y ", Style::new().fg(Color::Black).bg(Color::Red).add_modifier(Modifier::BOLD)),
            Span::raw(" yes   "),
            Span::styled(" n ", Style::new().fg(Color::Black).bg(Color::Gray)),
            Span::raw(" no"),
        ]),
    ];
    popup(frame, area, "Confirm", Color::Red, lines);
}
