//! The time series of a run in the OpenMetrics text format
//! (<https://github.com/prometheus/OpenMetrics/blob/main/specification/OpenMetrics.md>),
//! for `promtool tsdb create-blocks-from openmetrics` to backfill into a
//! Prometheus, so a simulated run sits next to production data in Grafana.
//!
//! Names follow the Prometheus conventions (<https://prometheus.io/docs/practices/naming/>):
//! a `scalesim_` prefix, base units in the name (`_seconds`, `_ratio`),
//! counters ending in `_total` (integrated from the per-second rates), one
//! label per dimension (`state`, `outcome`, `quantile`, `view`), and the
//! same `scenario`, `seed`, `run` labels on every series.
//!
//! Every sample is stamped at the end of its tick (`start + t_s + tick`):
//! gauges are read there and rates cover the tick before it, as a scrape at
//! that instant would have seen them. Families are written one after
//! another, each series in time order, as the format requires.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::read::RunDir;

/// Prometheus metric type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Gauge,
    /// Integrated from a per-second rate column.
    Counter,
}

/// One metric family: its series, each a label and the column it reads.
struct Family {
    name: &'static str,
    kind: Kind,
    unit: Option<&'static str>,
    help: &'static str,
    /// (label name, label value, column) per series; an empty label name
    /// means a series without its own label.
    series: &'static [(&'static str, &'static str, &'static str)],
    /// Multiplies the column (ms → s).
    scale: f64,
}

const fn gauge(
    name: &'static str,
    unit: Option<&'static str>,
    help: &'static str,
    series: &'static [(&'static str, &'static str, &'static str)],
) -> Family {
    Family { name, kind: Kind::Gauge, unit, help, series, scale: 1.0 }
}

const fn counter(
    name: &'static str,
    help: &'static str,
    series: &'static [(&'static str, &'static str, &'static str)],
) -> Family {
    Family { name, kind: Kind::Counter, unit: None, help, series, scale: 1.0 }
}

const fn millis(f: Family) -> Family {
    Family { scale: 1e-3, ..f }
}

/// Every family, in the order written. The error outcomes are the
/// `ErrorKind` names, as in `timeseries.csv`.
const FAMILIES: &[Family] = &[
    gauge(
        "scalesim_replicas",
        None,
        "Instances by lifecycle state.",
        &[
            ("state", "ready", "replicas_ready"),
            ("state", "warming", "replicas_warming"),
            ("state", "starting", "replicas_starting"),
            ("state", "pending", "replicas_pending"),
            ("state", "draining", "replicas_draining"),
        ],
    ),
    gauge(
        "scalesim_replicas_desired",
        None,
        "The replica count the autoscaler asks for.",
        &[("", "", "replicas_desired")],
    ),
    gauge("scalesim_capacity_replicas", None, "Schedulable instances.", &[("", "", "capacity")]),
    counter(
        "scalesim_requests",
        "Finished request attempts by outcome.",
        &[
            ("outcome", "success", "completed_rps"),
            ("outcome", "timeout", "timeout"),
            ("outcome", "rejected", "rejected"),
            ("outcome", "shed", "shed"),
            ("outcome", "pool_timeout", "pool_timeout"),
            ("outcome", "db_refused", "db_refused"),
            ("outcome", "db_error", "db_error"),
            ("outcome", "killed", "killed"),
            ("outcome", "dependency_error", "dependency_error"),
        ],
    ),
    counter(
        "scalesim_offered_requests",
        "Attempts arriving at the balancer (new and retries).",
        &[("", "", "offered_rps")],
    ),
    counter("scalesim_retries", "Retry attempts.", &[("", "", "retries_rps")]),
    millis(gauge(
        "scalesim_latency_seconds",
        Some("seconds"),
        "Latency percentiles of successful responses over the tick.",
        &[("quantile", "0.5", "p50_ms"), ("quantile", "0.95", "p95_ms"), ("quantile", "0.99", "p99_ms")],
    )),
    gauge(
        "scalesim_cpu_utilization_ratio",
        Some("ratio"),
        "Mean app CPU utilization, true value.",
        &[("", "", "cpu_util_true")],
    ),
    gauge(
        "scalesim_policy_metric",
        None,
        "The autoscaler's metric: what it saw, the true value, its target.",
        &[("view", "seen", "metric_seen"), ("view", "true", "metric_true"), ("view", "target", "metric_target")],
    ),
    gauge("scalesim_in_flight_requests", None, "Requests in the fleet.", &[("", "", "in_flight")]),
    gauge(
        "scalesim_queued_requests",
        None,
        "Requests waiting (balancer hold queue and accept queues).",
        &[("", "", "queue")],
    ),
    gauge("scalesim_db_connections", None, "Open database connections.", &[("", "", "db_connections")]),
    gauge("scalesim_db_max_connections", None, "The database's connection ceiling.", &[("", "", "db_max_connections")]),
    gauge("scalesim_db_active_queries", None, "Queries running on the database.", &[("", "", "db_active")]),
    gauge(
        "scalesim_db_cpu_utilization_ratio",
        Some("ratio"),
        "The busiest database's CPU utilization.",
        &[("", "", "db_util")],
    ),
    millis(gauge(
        "scalesim_db_lock_wait_seconds",
        Some("seconds"),
        "Mean wait for the write lock.",
        &[("", "", "db_lock_wait_ms")],
    )),
    millis(gauge(
        "scalesim_pool_wait_seconds",
        Some("seconds"),
        "Connection pool acquire wait.",
        &[("quantile", "0.99", "pool_wait_p99_ms")],
    )),
    gauge("scalesim_cache_hit_ratio", Some("ratio"), "Shared-cache hit ratio.", &[("", "", "cache_hit_ratio")]),
    counter("scalesim_db_reads", "Database reads.", &[("", "", "db_reads_rps")]),
    counter("scalesim_db_writes", "Database writes.", &[("", "", "db_writes_rps")]),
    counter("scalesim_db_connects", "Connections the database admitted.", &[("", "", "db_connects_rps")]),
    counter(
        "scalesim_db_duplicate_reads",
        "Reads of a key already being read (stampede).",
        &[("", "", "db_duplicate_reads_rps")],
    ),
    gauge("scalesim_pooler_clients", None, "Client connections at the pooler.", &[("", "", "pooler_clients")]),
    gauge(
        "scalesim_pooler_server_connections",
        None,
        "The pooler's server connections.",
        &[("", "", "pooler_server_connections")],
    ),
    millis(gauge(
        "scalesim_pooler_wait_seconds",
        Some("seconds"),
        "Wait for a server connection at the pooler.",
        &[("quantile", "0.99", "pooler_wait_p99_ms")],
    )),
    gauge(
        "scalesim_cost_per_hour",
        None,
        "The run's price per hour, in the label's currency.",
        &[("", "", "cost_per_hour")],
    ),
    gauge("scalesim_app_cores", None, "Cores of the app fleet.", &[("", "", "app_cores")]),
    gauge("scalesim_db_cores", None, "Cores of every database.", &[("", "", "db_cores")]),
    millis(gauge(
        "scalesim_replication_lag_seconds",
        Some("seconds"),
        "The most any read replica lags.",
        &[("", "", "replication_lag_ms")],
    )),
    gauge(
        "scalesim_read_replicas_in_rotation",
        None,
        "Read replicas in the read rotation.",
        &[("", "", "replicas_in_rotation")],
    ),
];

/// Every family name (the dashboard and tests use them).
pub fn family_names() -> impl Iterator<Item = &'static str> {
    FAMILIES.iter().map(|f| f.name)
}

/// Escapes a label value (backslash, double quote, newline).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Writes `run`'s series; `start_ms` is the Unix time, in milliseconds, of
/// simulated time 0; `run_label` names the run.
pub fn write(run: &RunDir, start_ms: i64, run_label: &str, out: &mut impl Write) -> io::Result<()> {
    let cols = &run.series;
    let t = cols.time();
    let tick = cols.tick();
    let s = &run.summary;
    let common = format!("scenario=\"{}\",seed=\"{}\",run=\"{}\"", escape(&s.scenario), s.seed, escape(run_label));
    // Timestamps in seconds with millisecond precision, computed in integer
    // milliseconds so that they are exact.
    let stamps: Vec<String> = t
        .iter()
        .map(|ts| {
            let ms = start_ms + ((ts + tick) * 1000.0).round() as i64;
            format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
        })
        .collect();
    let mut line = String::new();
    for family in FAMILIES {
        let present: Vec<_> = family
            .series
            .iter()
            .filter_map(|(k, v, col)| cols.get(col).filter(|c| c.iter().any(Option::is_some)).map(|c| (k, v, c)))
            .collect();
        if present.is_empty() {
            continue;
        }
        let kind = match family.kind {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        };
        writeln!(out, "# TYPE {} {kind}", family.name)?;
        if let Some(unit) = family.unit {
            writeln!(out, "# UNIT {} {unit}", family.name)?;
        }
        writeln!(out, "# HELP {} {}", family.name, family.help)?;
        let sample = match family.kind {
            Kind::Gauge => family.name.to_string(),
            Kind::Counter => format!("{}_total", family.name),
        };
        for (k, v, values) in present {
            let mut labels = common.clone();
            if !k.is_empty() {
                let _ = write!(labels, ",{k}=\"{v}\"");
            }
            if family.name == "scalesim_cost_per_hour" {
                let _ = write!(labels, ",currency=\"{}\"", escape(&s.cost.currency));
            }
            let mut total = 0.0;
            for (value, stamp) in values.iter().zip(&stamps) {
                let Some(x) = value else { continue };
                let x = match family.kind {
                    Kind::Gauge => x * family.scale,
                    Kind::Counter => {
                        total += x * tick;
                        total
                    }
                };
                line.clear();
                let _ = writeln!(line, "{sample}{{{labels}}} {} {stamp}", number(x));
                out.write_all(line.as_bytes())?;
            }
        }
    }
    writeln!(out, "# EOF")
}

/// A value as written: at most 6 decimals, no trailing zeros (counters
/// integrate rates written to 3 decimals, so their sums carry float noise).
fn number(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// Parses `--start`: an RFC 3339 instant (`2026-01-01T00:00:00Z`), as Unix
/// milliseconds.
pub fn parse_start(text: &str) -> Result<i64, String> {
    let t = humantime::parse_rfc3339_weak(text)
        .map_err(|e| format!("--start '{text}': {e}; give an RFC 3339 instant, e.g. 2026-01-01T00:00:00Z"))?;
    let d = t.duration_since(std::time::UNIX_EPOCH).map_err(|_| format!("--start '{text}' is before 1970"))?;
    Ok(d.as_millis() as i64)
}

/// Now, in Unix milliseconds, on a whole second.
pub fn now_ms() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    d.as_secs() as i64 * 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_parses_utc_instants_and_refuses_others() {
        assert_eq!(parse_start("2026-01-01T00:00:00Z"), Ok(1_767_225_600_000));
        assert!(parse_start("yesterday").unwrap_err().contains("RFC 3339"));
    }

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(-0.0000001), "0");
    }
}
