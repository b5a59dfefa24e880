//! The series, names and colours the report shares with the TUI. Both views
//! name what they draw by [`Quantity`], which carries its label, its
//! `timeseries.csv` column and its [`Hue`], so they cannot disagree: the
//! dashboard draws a hue as the terminal's named colour (ratatui's
//! `Color::Green`, …), the report as the CSS of a dark terminal theme.

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

/// A time series the TUI's panels and the report's charts both draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumIter)]
pub enum Quantity {
    /// Instances serving traffic.
    Ready,
    /// The policy's desired replicas.
    Desired,
    /// Instances past start-up, still warming.
    Warming,
    /// Instances starting.
    Starting,
    /// Instances waiting for a node.
    Pending,
    /// Instances draining.
    Draining,
    /// The policy's metric as the policy saw it.
    MetricSeen,
    /// The metric's true value at the tick.
    MetricTrue,
    /// The policy's target.
    MetricTarget,
    /// Latency, 50th percentile.
    P50,
    /// Latency, 95th percentile.
    P95,
    /// Latency, 99th percentile.
    P99,
    /// Requests offered by clients.
    Offered,
    /// Requests completed.
    Completed,
    /// Retry attempts.
    Retries,
    /// Requests queued at the balancer.
    Queued,
    /// Cost per hour.
    Cost,
    /// Open database connections.
    DbConnections,
    /// The database's connection ceiling.
    DbMaxConnections,
    /// Connections running a query.
    DbActive,
    /// The pooler's server connections.
    PoolerServer,
    /// Database CPU utilization.
    DbUtil,
    /// Writers' lock wait.
    DbLockWait,
    /// Wait for a pooled connection, 99th percentile.
    PoolWait,
    /// Wait at the pooler, 99th percentile.
    PoolerWait,
    /// Cache hit ratio.
    CacheHit,
    /// Replication lag.
    ReplicationLag,
}

impl Quantity {
    /// Its label, the column it reads and its colour.
    const fn spec(self) -> (&'static str, &'static str, Hue) {
        match self {
            Quantity::Ready => ("ready", "replicas_ready", Hue::Green),
            Quantity::Desired => ("desired", "replicas_desired", Hue::White),
            Quantity::Warming => ("warming", "replicas_warming", Hue::Yellow),
            Quantity::Starting => ("starting", "replicas_starting", Hue::Cyan),
            Quantity::Pending => ("pending", "replicas_pending", Hue::Magenta),
            Quantity::Draining => ("draining", "replicas_draining", Hue::Red),
            Quantity::MetricSeen => ("seen", "metric_seen", Hue::Yellow),
            Quantity::MetricTrue => ("true", "metric_true", Hue::Green),
            Quantity::MetricTarget => ("target", "metric_target", Hue::Red),
            Quantity::P50 => ("p50", "p50_ms", Hue::Green),
            Quantity::P95 => ("p95", "p95_ms", Hue::Blue),
            Quantity::P99 => ("p99", "p99_ms", Hue::Magenta),
            Quantity::Offered => ("offered", "offered_rps", Hue::Cyan),
            Quantity::Completed => ("completed", "completed_rps", Hue::Green),
            Quantity::Retries => ("retries", "retries_rps", Hue::Yellow),
            Quantity::Queued => ("queued", "queue", Hue::Magenta),
            Quantity::Cost => ("cost", "cost_per_hour", Hue::White),
            Quantity::DbConnections => ("open", "db_connections", Hue::Cyan),
            Quantity::DbMaxConnections => ("max", "db_max_connections", Hue::Red),
            Quantity::DbActive => ("active", "db_active", Hue::Yellow),
            Quantity::PoolerServer => ("pooler server", "pooler_server_connections", Hue::Blue),
            Quantity::DbUtil => ("util", "db_util", Hue::Yellow),
            Quantity::DbLockWait => ("lock wait", "db_lock_wait_ms", Hue::DarkGray),
            Quantity::PoolWait => ("p99", "pool_wait_p99_ms", Hue::Magenta),
            Quantity::PoolerWait => ("pooler p99", "pooler_wait_p99_ms", Hue::Blue),
            Quantity::CacheHit => ("hit", "cache_hit_ratio", Hue::Green),
            Quantity::ReplicationLag => ("lag", "replication_lag_ms", Hue::Cyan),
        }
    }

    /// Its label in a legend or a panel's figures.
    pub const fn label(self) -> &'static str {
        self.spec().0
    }

    /// The `timeseries.csv` column it reads.
    pub const fn column(self) -> &'static str {
        self.spec().1
    }

    /// Its colour.
    pub const fn hue(self) -> Hue {
        self.spec().2
    }
}

/// The SLO's line, drawn against the latency percentiles.
pub const SLO: Hue = Hue::Red;

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
        FindingKind::WriteLockSaturation => "rgba(227, 179, 65, 0.18)",
        FindingKind::MaxReplicasReached => "rgba(218, 54, 51, 0.16)",
    }
}

#[cfg(test)]
mod tests {
    use strum::IntoEnumIterator;

    use super::*;
    use crate::output::timeseries::COLUMNS;

    #[test]
    fn every_quantity_reads_a_written_column() {
        for q in Quantity::iter() {
            assert!(COLUMNS.contains(&q.column()), "{q:?} reads '{}', which timeseries.csv does not write", q.column());
        }
    }
}
