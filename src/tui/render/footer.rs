//! The footer: the last message, or the main keys (faults this scenario
//! cannot take are dimmed).
//!
//! ```text
//!  ____________________________________________________________________
//! | ? help  q quit  space pause  + faster  - slower  . step  k kill  … |
//!  --------------------------------------------------------------------
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::DIM;
use crate::tui::action::{BINDINGS, Binding, Command};
use crate::tui::app::{App, Level};
use crate::tui::update::availability;

/// Whether a binding's command can be used in this scenario.
pub(super) fn available(app: &App, b: &Binding) -> Result<(), String> {
    match b.command {
        Command::Fault(f) => availability(f, &app.info),
        _ => Ok(()),
    }
}

/// Key hints, most important first, as many as fit.
fn hints(app: &App, width: usize) -> Line<'static> {
    let first = [Command::Help, Command::Quit];
    let ordered = first
        .iter()
        .filter_map(|c| BINDINGS.iter().find(|b| b.command == *c))
        .chain(BINDINGS.iter().filter(|b| !first.contains(&b.command)))
        .filter(|b| !b.hint.is_empty());
    let mut spans = Vec::new();
    let mut used = 0;
    for b in ordered {
        let key = b.label.split(' ').next().unwrap_or(b.label);
        let cost = key.chars().count() + b.hint.chars().count() + 3;
        if used + cost > width {
            break;
        }
        used += cost;
        let (key_style, text_style) = match available(app, b) {
            Ok(()) => (Style::new().fg(Color::Black).bg(Color::Gray), Style::new()),
            Err(_) => (DIM.add_modifier(Modifier::CROSSED_OUT), DIM),
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(key.to_string(), key_style));
        spans.push(Span::styled(format!(" {} ", b.hint), text_style));
    }
    Line::from(spans)
}

/// Draws the footer.
pub(super) fn render(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let line = match &app.message {
        Some(m) => {
            let style = match m.level {
                Level::Info => Style::new().fg(Color::Cyan),
                Level::Warn => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            };
            Line::from(vec![Span::styled(format!(" {}", m.text), style), Span::styled("  (? help)", DIM)])
        }
        None => hints(app, usize::from(area.width)),
    };
    frame.render_widget(Paragraph::new(line), area);
}
