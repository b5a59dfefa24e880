//! `timeseries.csv`: one row per tick. Rates and counts aggregate over the
//! tick `[t_s, t_s + tick)`; gauges (replicas, queue, utilization of the
//! data tier) are read at its end. An empty cell means "not applicable":
//! no responses in the tick, or a component the scenario does not have.
//!
//! With several databases (read replicas, shards) the `db_*` columns sum
//! over them (connections, ceilings, running queries, reads, writes,
//! connects), except `db_util`, which is the busiest database's: what
//! saturates first.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::model::outcome::ErrorKind;

/// Every column, in order.
pub const COLUMNS: &[&str] = &[
    "t_s",
    "offered_rps",
    "completed_rps",
    "timeout",
    "rejected",
    "shed",
    "pool_timeout",
    "db_refused",
    "db_error",
    "killed",
    "dependency_error",
    "retries_rps",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "replicas_desired",
    "replicas_ready",
    "replicas_warming",
    "replicas_starting",
    "replicas_pending",
    "replicas_draining",
    "demand",
    "capacity",
    "cpu_util_true",
    "metric_seen",
    "metric_true",
    "metric_target",
    "in_flight",
    "queue",
    "db_connections",
    "db_max_connections",
    "db_active",
    "db_util",
    "db_lock_wait_ms",
    "pool_wait_p99_ms",
    "cache_hit_ratio",
    "db_reads_rps",
    "db_writes_rps",
    "db_connects_rps",
    "db_duplicate_reads_rps",
    "pooler_clients",
    "pooler_server_connections",
    "pooler_wait_p99_ms",
    "cost_per_hour",
    "app_cores",
    "db_cores",
    "replication_lag_ms",
    "replicas_in_rotation",
];

/// The data tier's columns (empty until the scenario has one).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DataTierColumns {
    /// Open database connections.
    pub db_connections: Option<f64>,
    /// The database's connection ceiling.
    pub db_max_connections: Option<f64>,
    /// Queries running on the database.
    pub db_active: Option<f64>,
    /// Database CPU utilization over the tick, 0..1.
    pub db_util: Option<f64>,
    /// Mean wait for the write lock, ms.
    pub db_lock_wait_ms: Option<f64>,
    /// 99th percentile pool acquire wait, ms.
    pub pool_wait_p99_ms: Option<f64>,
    /// Shared-cache hit ratio over the tick.
    pub cache_hit_ratio: Option<f64>,
    /// Database reads per second.
    pub db_reads_rps: Option<f64>,
    /// Database writes per second.
    pub db_writes_rps: Option<f64>,
    /// Connections the database admitted per second.
    pub db_connects_rps: Option<f64>,
    /// Database reads per second of a key already being read (stampede).
    pub db_duplicate_reads_rps: Option<f64>,
    /// Client connections at the pooler.
    pub pooler_clients: Option<f64>,
    /// The pooler's server connections.
    pub pooler_server_connections: Option<f64>,
    /// 99th percentile wait for a server connection at the pooler, ms.
    pub pooler_wait_p99_ms: Option<f64>,
    /// Cores of every database (primaries and replicas) at the tick's end:
    /// resizes and serverless capacity show here.
    pub db_cores: Option<f64>,
    /// The most any read replica lags at the tick's end, ms.
    pub replication_lag_ms: Option<f64>,
    /// Read replicas in the read rotation at the tick's end.
    pub replicas_in_rotation: Option<f64>,
}

/// One tick.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TickRow {
    /// Start of the tick, seconds.
    pub t_s: f64,
    /// Attempts arriving per second (new and retries).
    pub offered_rps: f64,
    /// Successful responses per second.
    pub completed_rps: f64,
    /// Failed attempts per second, by [`ErrorKind`] index.
    pub errors: [f64; ErrorKind::ALL.len()],
    /// Retry attempts per second.
    pub retries_rps: f64,
    /// Latency percentiles of successful responses, ms.
    pub p50_ms: Option<f64>,
    /// 95th percentile, ms.
    pub p95_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// Replicas asked for.
    pub replicas_desired: u32,
    /// Ready at full speed.
    pub replicas_ready: u32,
    /// Ready but warming.
    pub replicas_warming: u32,
    /// Provisioning or booting.
    pub replicas_starting: u32,
    /// Waiting for capacity.
    pub replicas_pending: u32,
    /// Draining.
    pub replicas_draining: u32,
    /// The fewest serving instances that would hold the SLO at this tick's
    /// offered rate (`analysis::elasticity`); `None` if one instance cannot
    /// meet it at any load.
    pub demand: Option<u32>,
    /// Schedulable instances, if bounded.
    pub capacity: Option<u32>,
    /// True CPU utilization (usage / request) of running instances.
    pub cpu_util_true: Option<f64>,
    /// The policy's metric, as it last saw it.
    pub metric_seen: Option<f64>,
    /// The same metric's true value over the tick.
    pub metric_true: Option<f64>,
    /// Its target.
    pub metric_target: Option<f64>,
    /// Requests in flight at the balancer.
    pub in_flight: u64,
    /// Requests waiting (balancer hold queue and accept queues).
    pub queue: u64,
    /// The data tier.
    pub data: DataTierColumns,
    /// What everything costs per hour at the tick's end (every tier).
    pub cost_per_hour: f64,
    /// Cores of the app instances holding capacity at the tick's end.
    pub app_cores: u32,
}

/// Writes the header line.
pub fn write_header(w: &mut impl Write) -> io::Result<()> {
    writeln!(w, "{}", COLUMNS.join(","))
}

fn opt(out: &mut String, x: Option<f64>, decimals: usize) {
    out.push(',');
    if let Some(x) = x {
        let _ = write!(out, "{x:.decimals$}");
    }
}

impl TickRow {
    /// Appends the row as a CSV line.
    pub fn write_csv(&self, out: &mut String) {
        let _ = write!(out, "{:.3},{:.3},{:.3}", self.t_s, self.offered_rps, self.completed_rps);
        for e in self.errors {
            let _ = write!(out, ",{e:.3}");
        }
        let _ = write!(out, ",{:.3}", self.retries_rps);
        opt(out, self.p50_ms, 3);
        opt(out, self.p95_ms, 3);
        opt(out, self.p99_ms, 3);
        let _ = write!(
            out,
            ",{},{},{},{},{},{}",
            self.replicas_desired,
            self.replicas_ready,
            self.replicas_warming,
            self.replicas_starting,
            self.replicas_pending,
            self.replicas_draining
        );
        opt(out, self.demand.map(f64::from), 0);
        opt(out, self.capacity.map(f64::from), 0);
        opt(out, self.cpu_util_true, 4);
        opt(out, self.metric_seen, 4);
        opt(out, self.metric_true, 4);
        opt(out, self.metric_target, 4);
        let _ = write!(out, ",{},{}", self.in_flight, self.queue);
        let d = &self.data;
        opt(out, d.db_connections, 0);
        opt(out, d.db_max_connections, 0);
        opt(out, d.db_active, 0);
        opt(out, d.db_util, 4);
        opt(out, d.db_lock_wait_ms, 3);
        opt(out, d.pool_wait_p99_ms, 3);
        opt(out, d.cache_hit_ratio, 4);
        opt(out, d.db_reads_rps, 3);
        opt(out, d.db_writes_rps, 3);
        opt(out, d.db_connects_rps, 3);
        opt(out, d.db_duplicate_reads_rps, 3);
        opt(out, d.pooler_clients, 0);
        opt(out, d.pooler_server_connections, 0);
        opt(out, d.pooler_wait_p99_ms, 3);
        let _ = write!(out, ",{:.4},{}", self.cost_per_hour, self.app_cores);
        opt(out, d.db_cores, 3);
        opt(out, d.replication_lag_ms, 3);
        opt(out, d.replicas_in_rotation, 0);
        out.push('\n');
    }

    /// Failed attempts per second of one kind.
    pub fn error(&self, kind: ErrorKind) -> f64 {
        self.errors[kind.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_has_one_cell_per_column() {
        let mut line = String::new();
        TickRow { p99_ms: Some(1.5), ..Default::default() }.write_csv(&mut line);
        assert_eq!(line.trim_end().split(',').count(), COLUMNS.len());
        assert!(line.starts_with("0.000,0.000,0.000,0.000"));
    }
}
