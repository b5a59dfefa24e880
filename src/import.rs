//! `scalesim import prometheus`: Prometheus `query_range` exports → the
//! observed series on one time grid ([`Observed`]), and from them a rate
//! trace (`t_seconds,rps`), the per-pod metrics file `scalesim hpa --metrics`
//! replays, and the fleet-level series `calibrate` and `validate` read.
//!
//! Refused, with the file and the fix: a result that is not a matrix, files
//! of different steps or grids, a missing point inside a series (unless
//! `fill_gaps`), a raw counter that goes down (a reset).

pub mod config;
pub mod histogram;
pub mod promjson;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub use config::{ImportConfig, Kind, Role, SeriesFile};

use crate::error::Error;
use crate::input::problem::{FieldPath, Origin, Problem, Problems};

/// A problem with an input file, as the library's error.
pub(crate) fn problem_at(
    path: &Path,
    line: Option<usize>,
    field: Option<&str>,
    message: String,
    hint: Option<String>,
) -> Error {
    Error::Invalid(Problems(vec![Problem {
        origin: Origin::File { path: path.to_path_buf(), line },
        field: field.and_then(FieldPath::parse),
        message,
        hint,
    }]))
}

/// [`problem_at`] without a line.
pub(crate) fn problem(path: &Path, field: Option<&str>, message: String, hint: Option<String>) -> Error {
    problem_at(path, None, field, message, hint)
}

/// A fleet-level observed series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Column {
    /// Requests arriving per second.
    Offered,
    /// Requests served per second.
    Throughput,
    /// Requests failed per second.
    Errors,
    /// CPU in use, cores (summed over pods).
    Cpu,
    /// Ready replicas.
    Ready,
    /// Desired replicas.
    Desired,
    /// Pods that exist.
    Pods,
    /// Median latency, ms.
    P50,
    /// 95th percentile latency, ms.
    P95,
    /// 99th percentile latency, ms.
    P99,
    /// Requests in flight.
    InFlight,
    /// Busy workers.
    Busy,
    /// Open database connections.
    DbConnections,
}

impl Column {
    /// Every column, in file order.
    pub const ALL: [Column; 13] = [
        Column::Offered,
        Column::Throughput,
        Column::Errors,
        Column::Cpu,
        Column::Ready,
        Column::Desired,
        Column::Pods,
        Column::P50,
        Column::P95,
        Column::P99,
        Column::InFlight,
        Column::Busy,
        Column::DbConnections,
    ];

    /// Its name in `observed.csv` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Column::Offered => "offered_rps",
            Column::Throughput => "throughput_rps",
            Column::Errors => "errors_rps",
            Column::Cpu => "cpu_cores",
            Column::Ready => "replicas_ready",
            Column::Desired => "replicas_desired",
            Column::Pods => "pods",
            Column::P50 => "p50_ms",
            Column::P95 => "p95_ms",
            Column::P99 => "p99_ms",
            Column::InFlight => "in_flight",
            Column::Busy => "busy_workers",
            Column::DbConnections => "db_connections",
        }
    }

    fn of(role: Role) -> Option<Column> {
        Some(match role {
            Role::OfferedRps => Column::Offered,
            Role::ThroughputRps => Column::Throughput,
            Role::ErrorsRps => Column::Errors,
            Role::CpuCores => Column::Cpu,
            Role::ReplicasReady => Column::Ready,
            Role::ReplicasDesired => Column::Desired,
            Role::PodsUp => Column::Pods,
            Role::LatencyP50 => Column::P50,
            Role::LatencyP95 => Column::P95,
            Role::LatencyP99 => Column::P99,
            Role::InFlight => Column::InFlight,
            Role::BusyWorkers => Column::Busy,
            Role::DbConnections => Column::DbConnections,
            Role::LatencyBuckets => return None,
        })
    }

    /// Whether the series is a latency (one value for the fleet, not a sum).
    fn is_latency(self) -> bool {
        matches!(self, Column::P50 | Column::P95 | Column::P99)
    }
}

/// One pod's series (those of the per-pod roles that name it).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pod {
    /// Its name (the pod label's value).
    pub name: String,
    /// Per role present for this pod, one value per grid point.
    pub series: BTreeMap<Column, Vec<Option<f64>>>,
}

impl Pod {
    /// The first grid index at which the pod has any value: when it appeared.
    pub fn first_seen(&self) -> Option<usize> {
        self.series.values().filter_map(|v| v.iter().position(Option::is_some)).min()
    }

    /// The last grid index at which the pod has any value.
    pub fn last_seen(&self) -> Option<usize> {
        self.series.values().filter_map(|v| v.iter().rposition(Option::is_some)).max()
    }
}

/// The observed series on one regular grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// Where they came from.
    pub source: PathBuf,
    /// The grid's first instant, unix seconds.
    pub start_unix: f64,
    /// The grid step, seconds.
    pub step_s: f64,
    /// The queries' rate() window, seconds, if stated.
    pub window_s: Option<f64>,
    /// Grid instants, seconds after `start_unix`.
    pub t: Vec<f64>,
    /// Fleet-level series.
    pub fleet: BTreeMap<Column, Vec<Option<f64>>>,
    /// Per-pod series, by pod name.
    pub pods: Vec<Pod>,
    /// A pod's CPU request (as written in the config), for `scalesim hpa`.
    pub cpu_request: Option<String>,
}

impl Observed {
    /// A fleet series, if it was imported.
    pub fn get(&self, c: Column) -> Option<&[Option<f64>]> {
        self.fleet.get(&c).map(Vec::as_slice)
    }

    /// The offered rate: the offered series, else served + failed.
    pub fn offered(&self) -> Option<Vec<Option<f64>>> {
        if let Some(o) = self.get(Column::Offered) {
            return Some(o.to_vec());
        }
        let served = self.get(Column::Throughput)?;
        let failed = self.get(Column::Errors);
        Some(served.iter().enumerate().map(|(i, s)| s.map(|s| s + failed.and_then(|f| f[i]).unwrap_or(0.0))).collect())
    }

    /// How far a `rate()` series lags the traffic it measures: a rate over
    /// `(t − w, t]` describes the middle of that window.
    pub fn rate_lag_s(&self) -> f64 {
        self.window_s.map_or(0.0, |w| w / 2.0)
    }

    /// The rate trace, `t_seconds,rps`, step interpolation: each row holds
    /// from its time to the next. A rate exported at `t` over `(t − w, t]`
    /// is written at `t − w/2 − step/2`, so that the step it fills is
    /// centred where the rate was measured.
    pub fn trace_csv(&self) -> Result<String, Error> {
        let offered = self.offered().ok_or_else(|| {
            problem(
                &self.source,
                None,
                "no request rate to make a trace from".into(),
                Some("give a series with role offered_rps (or throughput_rps and errors_rps)".into()),
            )
        })?;
        let shift = self.rate_lag_s() + self.step_s / 2.0;
        let mut out = String::from("t_seconds,rps\n");
        let mut wrote = false;
        for (i, v) in offered.iter().enumerate() {
            let Some(v) = v else { continue };
            let t = self.t[i] - shift;
            if t < 0.0 && offered.get(i + 1).is_some_and(|n| n.is_some()) && self.t[i + 1] - shift <= 0.0 {
                continue;
            }
            let _ = writeln!(out, "{},{}", num(if wrote { t.max(0.0) } else { 0.0 }), num(*v));
            wrote = true;
        }
        Ok(out)
    }

    /// The fleet-level series as CSV: `t_s` and one column per series.
    pub fn observed_csv(&self) -> String {
        let cols: Vec<Column> = Column::ALL.into_iter().filter(|c| self.fleet.contains_key(c)).collect();
        let mut out = String::from("t_s");
        for c in &cols {
            let _ = write!(out, ",{}", c.name());
        }
        out.push('\n');
        for (i, t) in self.t.iter().enumerate() {
            out.push_str(&num(*t));
            for c in &cols {
                out.push(',');
                if let Some(v) = self.fleet[c][i] {
                    out.push_str(&num(v));
                }
            }
            out.push('\n');
        }
        out
    }

    /// The per-pod metrics file `scalesim hpa --metrics` reads for a
    /// `Resource cpu` metric (`t_seconds,pod,ready,cpu[,cpu_request]`): one
    /// row per pod per instant while the pod exists; an empty `cpu` is a pod
    /// without a sample (missing). Only the columns a CPU manifest takes,
    /// since the replay refuses columns its manifest does not name.
    pub fn pods_csv(&self) -> Result<String, Error> {
        if self.pods.is_empty() {
            return Err(problem(
                &self.source,
                None,
                "no per-pod series (none has a pod label)".into(),
                Some(
                    "export per-pod CPU, e.g. rate(container_cpu_usage_seconds_total[1m]) by pod, and set pod_label"
                        .into(),
                ),
            ));
        }
        let mut out = String::from("t_seconds,pod,ready,cpu");
        if self.cpu_request.is_some() {
            out.push_str(",cpu_request");
        }
        out.push('\n');
        for (i, t) in self.t.iter().enumerate() {
            for pod in &self.pods {
                let (Some(first), Some(last)) = (pod.first_seen(), pod.last_seen()) else { continue };
                if i < first || i > last {
                    continue;
                }
                let at = |c: Column| pod.series.get(&c).and_then(|v| v[i]);
                let ready = match pod.series.get(&Column::Ready) {
                    Some(v) => v[i].is_some_and(|r| r > 0.5),
                    None => true,
                };
                let cpu = at(Column::Cpu).map(num).unwrap_or_default();
                let _ = write!(out, "{},{},{ready},{cpu}", num(*t), pod.name);
                if let Some(req) = &self.cpu_request {
                    let _ = write!(out, ",{req}");
                }
                out.push('\n');
            }
        }
        Ok(out)
    }
}

/// A number with up to six decimals and no trailing zeros (stable text).
pub(crate) fn num(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// One loaded file.
struct Loaded {
    spec: SeriesFile,
    series: Vec<promjson::Series>,
}

/// Reads every file of `config` and puts them on one grid.
pub fn import(config: &ImportConfig) -> Result<Observed, Error> {
    if config.series.is_empty() {
        return Err(problem(&config.source, Some("series"), "no series to import".into(), None));
    }
    let mut files = Vec::new();
    for spec in &config.series {
        let text = std::fs::read_to_string(&spec.file).map_err(|e| Error::io(&spec.file, e))?;
        files.push(Loaded { spec: spec.clone(), series: promjson::parse(&spec.file, &text)? });
    }
    let (step, start, len) = grid(config, &files)?;
    let index = |t: f64| ((t - start) / step).round() as usize;
    let pod_label = |labels: &BTreeMap<String, String>| -> Option<String> {
        match &config.pod_label {
            Some(l) => labels.get(l).cloned(),
            None => labels.get("pod").or_else(|| labels.get("instance")).cloned(),
        }
    };
    let mut fleet: BTreeMap<Column, Vec<Option<f64>>> = BTreeMap::new();
    let mut pods: BTreeMap<String, Pod> = BTreeMap::new();
    let mut buckets: BTreeMap<u64, (f64, Vec<Option<f64>>)> = BTreeMap::new();
    for file in &files {
        let path = &file.spec.file;
        for (si, s) in file.series.iter().enumerate() {
            let mut values = vec![None; len];
            for &(t, v) in &s.points {
                values[index(t)] = Some(v);
            }
            if file.spec.kind == Kind::Counter {
                values = counter_rate(path, si, &values, step, start)?;
            }
            fill_or_refuse(path, si, &s.labels, &mut values, config.fill_gaps, start, step)?;
            // NaN is a value Prometheus computed (e.g. a quantile of no
            // requests), not a gap: "no data at this instant".
            for v in &mut values {
                *v = v.filter(|x| !x.is_nan());
            }
            match Column::of(file.spec.role) {
                None => {
                    let le = s.labels.get("le").ok_or_else(|| {
                        problem(
                            path,
                            Some(&format!("data.result[{si}].metric")),
                            "a latency_buckets series without an 'le' label".into(),
                            Some("export sum by (le) (rate(<name>_bucket[w]))".into()),
                        )
                    })?;
                    let bound = histogram::parse_le(le).ok_or_else(|| {
                        problem(
                            path,
                            Some(&format!("data.result[{si}].metric.le")),
                            format!("le '{le}' is not a number"),
                            None,
                        )
                    })?;
                    let entry = buckets.entry(bound.to_bits()).or_insert_with(|| (bound, vec![None; len]));
                    add_into(&mut entry.1, &values);
                }
                Some(col) if col.is_latency() || col == Column::Desired => {
                    if file.series.len() > 1 {
                        return Err(problem(
                            path,
                            Some("data.result"),
                            format!("{} series for role {}, expected one", file.series.len(), col.name()),
                            Some("aggregate in the query, e.g. histogram_quantile(0.95, sum by (le) (rate(…_bucket[w])))".into()),
                        ));
                    }
                    let v =
                        if col.is_latency() { values.iter().map(|v| v.map(|s| s * 1000.0)).collect() } else { values };
                    fleet.insert(col, v);
                }
                Some(col) => {
                    add_into(fleet.entry(col).or_insert_with(|| vec![None; len]), &values);
                    if let Some(name) = pod_label(&s.labels) {
                        let pod = pods.entry(name.clone()).or_insert_with(|| Pod { name, ..Pod::default() });
                        add_into(pod.series.entry(col).or_insert_with(|| vec![None; len]), &values);
                    }
                }
            }
        }
    }
    if !buckets.is_empty() {
        let mut sorted: Vec<(f64, Vec<Option<f64>>)> = buckets.into_values().collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (col, q) in [(Column::P50, 0.5), (Column::P95, 0.95), (Column::P99, 0.99)] {
            let v = (0..len)
                .map(|i| {
                    let b: Option<Vec<(f64, f64)>> = sorted.iter().map(|(le, v)| v[i].map(|c| (*le, c))).collect();
                    b.and_then(|b| histogram::quantile(q, &b)).map(|s| s * 1000.0)
                })
                .collect();
            fleet.entry(col).or_insert(v);
        }
    }
    Ok(Observed {
        source: config.source.clone(),
        start_unix: start,
        step_s: step,
        window_s: config.window.map(|w| w.as_secs_f64()),
        t: (0..len).map(|i| i as f64 * step).collect(),
        fleet,
        pods: pods.into_values().collect(),
        cpu_request: config.cpu_request.clone(),
    })
}

/// Adds `values` into `sum` (a missing value stays missing only where both are).
fn add_into(sum: &mut [Option<f64>], values: &[Option<f64>]) {
    for (s, v) in sum.iter_mut().zip(values) {
        if let Some(v) = v {
            *s = Some(s.unwrap_or(0.0) + v);
        }
    }
}

/// The common step and grid of every file: (step s, first instant, points).
fn grid(config: &ImportConfig, files: &[Loaded]) -> Result<(f64, f64, usize), Error> {
    const EPS: f64 = 1e-3;
    let mut step: Option<(f64, &Path)> = config.step.map(|s| (s.as_secs_f64(), config.source.as_path()));
    for f in files {
        let own =
            f.series.iter().flat_map(|s| s.points.windows(2).map(|w| w[1].0 - w[0].0)).fold(f64::INFINITY, f64::min);
        if !own.is_finite() {
            continue;
        }
        match step {
            None => step = Some((own, &f.spec.file)),
            Some((s, other)) if (s - own).abs() > EPS => {
                return Err(problem(
                    &f.spec.file,
                    None,
                    format!("its step is {} s, but {} has {} s", num(own), other.display(), num(s)),
                    Some("export every query with the same step (query_range step=…)".into()),
                ));
            }
            _ => {}
        }
    }
    let Some((step, _)) = step else {
        return Err(problem(
            &config.source,
            Some("step"),
            "cannot tell the step: no file has two points".into(),
            Some("state it: step = \"15s\"".into()),
        ));
    };
    let (mut start, mut end) = (f64::INFINITY, f64::NEG_INFINITY);
    for f in files {
        for s in &f.series {
            if let (Some(a), Some(b)) = (s.points.first(), s.points.last()) {
                start = start.min(a.0);
                end = end.max(b.0);
            }
        }
    }
    if !start.is_finite() {
        return Err(problem(
            &config.source,
            None,
            "every series is empty".into(),
            Some("check the time range of the export".into()),
        ));
    }
    for f in files {
        for s in &f.series {
            for &(t, _) in &s.points {
                let k = (t - start) / step;
                if (k - k.round()).abs() * step > EPS {
                    return Err(problem(
                        &f.spec.file,
                        None,
                        format!("instant {t} is off the grid of the other files (start {start}, step {} s)", num(step)),
                        Some("export every query with the same start and step".into()),
                    ));
                }
            }
        }
    }
    Ok((step, start, ((end - start) / step).round() as usize + 1))
}

/// A raw counter's per-step rate; a decrease is a reset, refused.
fn counter_rate(
    path: &Path,
    si: usize,
    values: &[Option<f64>],
    step: f64,
    start: f64,
) -> Result<Vec<Option<f64>>, Error> {
    let mut out = vec![None; values.len()];
    let mut last: Option<(usize, f64)> = None;
    for (i, v) in values.iter().enumerate() {
        let Some(v) = *v else { continue };
        if let Some((j, u)) = last {
            if v < u {
                return Err(problem(
                    path,
                    Some(&format!("data.result[{si}]")),
                    format!("counter reset at {}: fell from {} to {}", num(start + i as f64 * step), num(u), num(v)),
                    Some("export rate(<counter>[w]) instead (Prometheus' rate() handles resets), or split the range at the restart".into()),
                ));
            }
            out[i] = Some((v - u) / ((i - j) as f64 * step));
        }
        last = Some((i, v));
    }
    Ok(out)
}

/// A missing point between a series' first and last: carried over if
/// `fill`, else refused.
fn fill_or_refuse(
    path: &Path,
    si: usize,
    labels: &BTreeMap<String, String>,
    values: &mut [Option<f64>],
    fill: bool,
    start: f64,
    step: f64,
) -> Result<(), Error> {
    let (Some(first), Some(last)) = (values.iter().position(Option::is_some), values.iter().rposition(Option::is_some))
    else {
        return Ok(());
    };
    let mut i = first;
    while i < last {
        if values[i + 1].is_none() {
            let end = (i + 1..=last).find(|&k| values[k].is_some()).unwrap_or(last);
            if !fill {
                let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
                return Err(problem(
                    path,
                    Some(&format!("data.result[{si}]")),
                    format!(
                        "series {{{}}} has a gap: no value from {} to {} ({} s)",
                        labels.join(","),
                        num(start + (i + 1) as f64 * step),
                        num(start + (end - 1) as f64 * step),
                        num((end - i - 1) as f64 * step)
                    ),
                    Some("widen the rate() window, or set fill_gaps = true to carry the last value over".into()),
                ));
            }
            for k in i + 1..end {
                values[k] = values[i];
            }
            i = end;
        } else {
            i += 1;
        }
    }
    Ok(())
}
