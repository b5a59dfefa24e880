//! The colours the report shares with the TUI: the dashboard draws with the
//! terminal's named colours (ratatui's `Color::Green`, …), so the report
//! names the same hues and gives each the CSS of a dark terminal theme. A
//! series keeps its colour across both (`ready` green, `p99` magenta).

use crate::output::summary::FindingKind;

/// A named terminal colour, as the TUI's panels use them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hue {
    /// ready, completed, p50, true value, cache hits.
    Green,
    /// desired.
    White,
    /// warming, seen value, retries, DB util.
    Yellow,
    /// starting, offered, open connections.
    Cyan,
    /// pending, p99, pool wait.
    Magenta,
    /// draining, target, SLO, the connection ceiling.
    Red,
    /// p95.
    Blue,
    /// An error kind.
    LightMagenta,
    /// An error kind.
    LightCyan,
    /// An error kind.
    LightRed,
    /// Secondary figures (lock wait).
    DarkGray,
}

impl Hue {
    /// Its CSS colour on the report's dark background (GitHub's dark
    /// palette, close to a terminal's).
    pub fn css(self) -> &'static str {
        match self {
            Hue::Green => "#3fb950",
            Hue::White => "#e6edf3",
            Hue::Yellow => "#d29922",
            Hue::Cyan => "#39c5cf",
            Hue::Magenta => "#bc8cff",
            Hue::Red => "#f85149",
            Hue::Blue => "#58a6ff",
            Hue::LightMagenta => "#f778ba",
            Hue::LightCyan => "#a5f3fc",
            Hue::LightRed => "#ffa198",
            Hue::DarkGray => "#8b949e",
        }
    }
}

/// Each error kind's colour, in `ErrorKind::ALL` order, as the TUI's
/// errors panel has them.
pub const ERRORS: [Hue; 8] =
    [Hue::Yellow, Hue::Magenta, Hue::LightMagenta, Hue::Cyan, Hue::LightCyan, Hue::LightRed, Hue::Red, Hue::Blue];

/// One colour per run when runs are compared (Okabe–Ito, readable by
/// colour-blind readers), cycling after eight.
pub const RUNS: [&str; 8] = ["#56b4e9", "#e69f00", "#009e73", "#f0e442", "#cc79a7", "#d55e00", "#0072b2", "#ffffff"];

/// A finding's shade on the time axis, by kind (the failure modes of
/// DESIGN.md §3); translucent, so overlapping episodes stay readable.
pub fn finding(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Flapping => "rgba(248, 81, 73, 0.22)",
        FindingKind::MetricLag => "rgba(210, 153, 34, 0.16)",
        FindingKind::ColdStart => "rgba(57, 197, 207, 0.16)",
        FindingKind::DownstreamSaturation => "rgba(188, 140, 255, 0.18)",
        FindingKind::PoolExhaustion => "rgba(247, 120, 186, 0.18)",
        FindingKind::ScaleInHerd => "rgba(255, 161, 152, 0.18)",
        FindingKind::CacheStampede => "rgba(88, 166, 255, 0.18)",
        FindingKind::RetryStorm => "rgba(63, 185, 80, 0.16)",
        FindingKind::CapacityPending => "rgba(139, 148, 158, 0.18)",
    }
}
