//! The help overlay: every key, by group, from the same table the keys
//! are mapped with; faults this scenario cannot take are dimmed with why.
//!
//! ```text
//!      ┌ Keys ─────────────────────────────────────────────────┐
//!      │ Simulation                  Runbook                     │
//!      │  space p  pause / resume     f  freeze / unfreeze …     │
//!      │ Faults (asks to confirm)    View                        │
//!      │  d  database slowdown (n/a)  …                          │
//!      │  n/a: this scenario has no [database]                   │
//!      └─────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::footer::available;
use super::{BOLD, DIM, centered};
use crate::tui::action::{BINDINGS, Group};
use crate::tui::app::App;

/// A group's heading, its keys, and why any of them is unavailable.
fn group(app: &App, g: Group) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(g.title(), BOLD.fg(Color::Cyan))];
    let mut reasons: Vec<String> = Vec::new();
    for b in BINDINGS.iter().filter(|b| b.group == g && !b.label.is_empty()) {
        let key = Span::styled(format!("  {:<10}", b.label), BOLD);
        lines.push(match available(app, b) {
            Ok(()) => Line::from(vec![key, Span::raw(b.help)]),
            Err(why) => {
                if !reasons.contains(&why) {
                    reasons.push(why);
                }
                Line::from(vec![key.style(DIM), Span::styled(format!("{} (n/a)", b.help), DIM)])
            }
        });
    }
    lines.extend(reasons.into_iter().map(|why| Line::styled(format!("  n/a: {why}"), DIM)));
    lines.push(Line::raw(""));
    lines
}

/// Under the keys; each fits an 80-column terminal.
const FOOT: [&str; 3] = [
    "Prompts: Enter accepts, Esc cancels. Confirmations: y / n.",
    "Every action is saved with its simulated time; run --events replays it.",
    "Ctrl-C abandons the run (its files are not written; the session is kept).",
];

/// Draws the overlay.
pub(super) fn render(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let groups: Vec<Vec<Line<'static>>> = Group::ALL.iter().map(|g| group(app, *g)).collect();
    let total: usize = groups.iter().map(Vec::len).sum();
    let wide = area.width >= 100;
    let one_column = total + FOOT.len() + 2 <= usize::from(area.height) && !wide;
    // Two columns: the clock with the runbook, the faults with the view,
    // which balances them (the faults carry their n/a reasons).
    let (mut left, mut right): (Vec<Line<'_>>, Vec<Line<'_>>) = if one_column {
        (groups.concat(), Vec::new())
    } else {
        // `groups` is built just above from the four groups of keys.
        let [sim, faults, runbook, view] = <[_; 4]>::try_from(groups).expect("four groups");
        ([sim, runbook].concat(), [faults, view].concat())
    };
    let room = usize::from(area.height).saturating_sub(2);
    if left.len().max(right.len()) + FOOT.len() > room {
        // Short terminals (80×24): the blank lines between groups go first.
        let blank = |l: &Line<'_>| l.spans.iter().all(|s| s.content.is_empty());
        left.retain(|l| !blank(l));
        right.retain(|l| !blank(l));
    }
    let body = left.len().max(right.len());
    let foot = if body + FOOT.len() <= room { FOOT.len() } else { 0 };
    let width = if one_column { 60 } else { 110 };
    let popup = centered(area, width, (body + foot + 2) as u16);
    let block = Block::bordered()
        .title(Span::styled(" Keys — any key closes ", BOLD))
        .border_style(Style::new().fg(Color::Cyan));
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    let [top, bottom] = Layout::vertical([Constraint::Min(0), Constraint::Length(foot as u16)]).areas(inner);
    if one_column {
        frame.render_widget(Paragraph::new(left), top);
    } else {
        let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(top);
        frame.render_widget(Paragraph::new(left), l);
        frame.render_widget(Paragraph::new(right), r);
    }
    let foot: Vec<Line<'_>> = FOOT[..foot].iter().map(|l| Line::styled(*l, DIM)).collect();
    frame.render_widget(Paragraph::new(foot), bottom);
}
