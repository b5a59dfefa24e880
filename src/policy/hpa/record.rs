//! Recorded HPA inputs as CSV, and their replay through the controller
//! alone: `scalesim hpa --manifest hpa.yaml --metrics recorded.csv`, the
//! offline "what would this HPA have done". `scalesim run --hpa-inputs`
//! writes the same format (`hpa_inputs.csv`), so a simulated run can be
//! replayed through another manifest.
//!
//! # The `--metrics` format
//!
//! A CSV file with a header. Times are seconds (decimals allowed); values
//! are Kubernetes quantities (`0.25`, `250m`, `12.5`), one column per
//! metric of the manifest, named as the metric: `cpu` for `Resource cpu`
//! (usage, in cores: `0.25` or `250m`), the metric name for `Pods`,
//! `External` and `Object` metrics. It comes in two forms:
//!
//! - **per pod** (`t_seconds,pod,...`): one row per pod per instant — the
//!   pod's state and its own metric values. A row whose `pod` is empty
//!   carries the fleet-wide (`External`, `Object`) values of its instant.
//!   Optional columns, with their defaults: `phase` (`Running`; or
//!   `Pending`, `Succeeded`, `Failed`), `ready` (`true`), `ready_since`
//!   (long before the series), `started` (long before the series),
//!   `deleting` (`false`), `<resource>_request` (e.g. `cpu_request`, needed
//!   for a `Utilization` target), `sample_time` (`t_seconds`) and
//!   `sample_window` (`--metric-window`, 60 s). An empty value cell means
//!   the pod has no sample (it counts as missing).
//! - **average** (`t_seconds,replicas,...`): one row per instant, with the
//!   replica count and the average per-pod values (and the fleet-wide ones);
//!   each instant becomes that many ready pods with the average value.
//!
//! Rows come in time order. Every instant is one sync, unless
//! `--sync-period` is given: then syncs run on that grid from the first
//! instant, each reading the latest instant at or before it (the metrics
//! API serves the latest sample). `spec.replicas` starts at the first
//! instant's pod count (or `--replicas`) and then follows the controller's
//! own decisions; the recorded pods and values do not react to them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::metrics::{ContainerMetrics, MetricsSnapshot, ObjectMetricKey, PodMetricValue, PodResourceMetrics};
use super::pods::{ConditionStatus, Container, Pod, PodPhase, PodReadyCondition};
use super::quantity::{Quantity, format_milli};
use super::sources::CONTAINER;
use super::types::{HpaSpec, MetricSpec};
use super::{HpaController, HpaControllerConfig, HpaInput, SelectorStatus};
use crate::engine::time::{SimDuration, SimTime};

/// Recorded times are shifted by a day inside the replay, so a pod that
/// started "long before the series" has a start time (zero).
const EPOCH: SimDuration = SimDuration::from_secs(86_400);

/// The most pods one instant may hold: the Kubernetes scalability limit of
/// 150,000 pods per cluster ("Considerations for large clusters",
/// kubernetes.io/docs/setup/best-practices/cluster-large/).
pub const MAX_PODS_PER_INSTANT: u32 = 150_000;

/// The most pod samples (pods summed over instants) a file may hold: each
/// is a pod and its metrics in memory, about a kilobyte, so this keeps a
/// replay under about 2 GiB. A day at 15 s syncs with 300 pods is 1.7M.
pub const MAX_POD_SAMPLES: usize = 2_000_000;

/// The most syncs one replay runs (`--sync-period` over the file's span):
/// a year at a 15 s period is 2.1M. Each decision is kept, with its reason
/// (about 200 bytes), until the CSV is written.
pub const MAX_SYNCS: u64 = 3_000_000;

/// The pod-state columns of the per-pod form, in the order written.
const STATE: [&str; 7] = ["phase", "ready", "ready_since", "started", "deleting", "sample_time", "sample_window"];

/// Where a metric's values are in the file.
#[derive(Clone, Debug, PartialEq)]
enum Column {
    /// A resource's usage per pod (`cpu`).
    Resource(String),
    /// A custom per-pod metric.
    Pods(String),
    /// A fleet-wide value (External, or Object with its key).
    Fleet(String, Option<ObjectMetricKey>),
}

impl Column {
    fn name(&self) -> &str {
        match self {
            Column::Resource(n) | Column::Pods(n) | Column::Fleet(n, _) => n,
        }
    }
}

/// The metric columns of a spec, each name once, in spec order.
fn columns(spec: &HpaSpec) -> Vec<Column> {
    let mut out: Vec<Column> = Vec::new();
    for m in &spec.metrics {
        let c = match m {
            MetricSpec::Resource { name, .. } | MetricSpec::ContainerResource { name, .. } => {
                Column::Resource(name.clone())
            }
            MetricSpec::Pods { metric, .. } => Column::Pods(metric.name.clone()),
            MetricSpec::External { metric, .. } => Column::Fleet(metric.name.clone(), None),
            MetricSpec::Object { described_object, metric, .. } => Column::Fleet(
                metric.name.clone(),
                Some(ObjectMetricKey {
                    kind: described_object.kind.clone(),
                    name: described_object.name.clone(),
                    metric: metric.name.clone(),
                }),
            ),
            MetricSpec::Unsupported { .. } => continue,
        };
        if !out.iter().any(|o| o.name() == c.name()) {
            out.push(c);
        }
    }
    out
}

fn resources(cols: &[Column]) -> Vec<&str> {
    cols.iter()
        .filter_map(|c| match c {
            Column::Resource(n) => Some(n.as_str()),
            _ => None,
        })
        .collect()
}

/// Seconds, exactly (`15`, `15.5`, `0.000000001`).
pub fn secs(t: SimTime) -> String {
    let (s, ns) = (t.as_nanos() / 1_000_000_000, t.as_nanos() % 1_000_000_000);
    if ns == 0 {
        return s.to_string();
    }
    let frac = format!("{ns:09}");
    format!("{s}.{}", frac.trim_end_matches('0'))
}

/// Parses decimal seconds exactly into nanoseconds.
fn parse_secs(text: &str) -> Option<u64> {
    let (int, frac) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if int.is_empty() && frac.is_empty() || frac.len() > 9 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac_ns: u64 = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse().ok()? };
    whole.checked_mul(1_000_000_000)?.checked_add(frac_ns)
}

/// The header of the per-pod form for `spec`.
pub fn header(spec: &HpaSpec) -> String {
    let cols = columns(spec);
    let mut h = vec!["t_seconds".to_string(), "pod".to_string()];
    h.extend(STATE.iter().map(|s| s.to_string()));
    h.extend(resources(&cols).iter().map(|r| format!("{r}_request")));
    h.extend(cols.iter().map(|c| c.name().to_string()));
    h.join(",")
}

/// Writes one sync's input as rows of the per-pod form (and the header
/// first if `header`).
pub fn write(out: &mut String, header_too: bool, now: SimTime, input: &HpaInput, spec: &HpaSpec) {
    let cols = columns(spec);
    if header_too {
        out.push_str(&header(spec));
        out.push('\n');
    }
    let t = secs(now);
    for pod in &input.pods {
        let _ = write!(out, "{t},{},", pod.name);
        let phase = match pod.phase {
            PodPhase::Pending => "Pending",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
        };
        let (ready, since) = match pod.ready {
            Some(c) => (if c.status == ConditionStatus::True { "true" } else { "false" }, secs(c.last_transition_time)),
            None => ("", String::new()),
        };
        let started = pod.start_time.map(secs).unwrap_or_default();
        let resource = input.metrics.resource.iter().find(|r| r.pod == pod.name);
        let custom = |name: &str| input.metrics.pods.get(name).and_then(|v| v.iter().find(|m| m.pod == pod.name));
        let sample = resource.map(|r| (r.timestamp, r.window)).or_else(|| {
            cols.iter().find_map(|c| match c {
                Column::Pods(n) => custom(n).map(|m| (m.timestamp, m.window.unwrap_or(super::DEFAULT_METRIC_WINDOW))),
                _ => None,
            })
        });
        let (st, sw) =
            sample.map_or((String::new(), String::new()), |(t, w)| (secs(t), secs(SimTime::from_nanos(w.as_nanos()))));
        let _ = write!(out, "{phase},{ready},{since},{started},{},{st},{sw}", pod.deleting);
        for r in resources(&cols) {
            let request: i64 = pod.containers.iter().filter_map(|c| c.requests.get(r)).sum();
            let _ = write!(out, ",{}", format_milli(request));
        }
        for c in &cols {
            let v = match c {
                Column::Resource(r) => resource.and_then(|m| {
                    let vals: Option<Vec<i64>> = m.containers.iter().map(|c| c.usage.get(r).copied()).collect();
                    vals.map(|v| v.iter().sum())
                }),
                Column::Pods(n) => custom(n).map(|m| m.value),
                Column::Fleet(..) => None,
            };
            out.push(',');
            if let Some(v) = v {
                out.push_str(&format_milli(v));
            }
        }
        out.push('\n');
    }
    let _ = write!(out, "{t},,,,,,,,");
    for _ in resources(&cols) {
        out.push(',');
    }
    for c in &cols {
        out.push(',');
        let v = match c {
            Column::Fleet(name, None) => input.metrics.external.get(name).and_then(|v| v.first().copied()),
            Column::Fleet(_, Some(key)) => input.metrics.object.get(key).copied(),
            _ => None,
        };
        if let Some(v) = v {
            out.push_str(&format_milli(v));
        }
    }
    out.push('\n');
}

/// The recorded state at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    /// When (shifted by a day; see [`secs_of`]).
    pub at: SimTime,
    /// Every pod.
    pub pods: Vec<Pod>,
    /// The metric values.
    pub metrics: MetricsSnapshot,
}

/// The recorded time (seconds as written) of a replay time.
pub fn secs_of(at: SimTime) -> String {
    secs(at.saturating_sub(EPOCH))
}

/// A problem in the metrics file: the line (1-based), the column, what is
/// wrong and a hint.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvProblem {
    /// 1-based line.
    pub line: usize,
    /// The column, if the problem is about one.
    pub column: Option<String>,
    /// What is wrong, with the value quoted.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

fn problem(line: usize, column: Option<&str>, message: String, hint: Option<String>) -> CsvProblem {
    CsvProblem { line, column: column.map(str::to_string), message, hint }
}

/// Reads a metrics file for `spec`; `window` is the sample window where the
/// file gives none.
pub fn parse(text: &str, spec: &HpaSpec, window: SimDuration) -> Result<Vec<Recorded>, CsvProblem> {
    let cols = columns(spec);
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).comment(Some(b'#')).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| problem(1, None, format!("not CSV: {e}"), None))?.clone();
    // The reader now stands at the line after the header.
    let header_line = (reader.position().line() as usize).saturating_sub(1).max(1);
    let index: BTreeMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    let per_pod = index.contains_key("pod");
    let average = index.contains_key("replicas");
    let form_hint = "the header starts t_seconds,pod,... (one row per pod) or t_seconds,replicas,... (averages)";
    if !index.contains_key("t_seconds") || per_pod == average {
        return Err(problem(
            header_line,
            None,
            "the header needs t_seconds and one of pod or replicas".into(),
            Some(form_hint.into()),
        ));
    }
    let requests: Vec<String> = resources(&cols).iter().map(|r| format!("{r}_request")).collect();
    let mut accepted: Vec<&str> = vec!["t_seconds", if per_pod { "pod" } else { "replicas" }];
    if per_pod {
        accepted.extend(STATE);
    }
    accepted.extend(requests.iter().map(String::as_str));
    accepted.extend(cols.iter().map(Column::name));
    if let Some(h) = headers.iter().find(|h| !accepted.contains(h)) {
        return Err(problem(
            header_line,
            Some(h),
            format!("unknown column '{h}'"),
            Some(format!("for this manifest the columns are: {}", accepted.join(", "))),
        ));
    }
    if let Some(c) = cols.iter().find(|c| !index.contains_key(c.name())) {
        return Err(problem(
            header_line,
            None,
            format!("the manifest's metric '{}' has no column", c.name()),
            Some(format!("add a column '{}'", c.name())),
        ));
    }
    let mut out: Vec<Recorded> = Vec::new();
    let mut pod_samples = 0usize;
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            problem(line, None, format!("not CSV: {e}"), None)
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let cell = |name: &str| index.get(name).and_then(|&i| record.get(i)).filter(|s| !s.is_empty());
        let time = |name: &str| -> Result<Option<SimTime>, CsvProblem> {
            cell(name)
                .map(|s| {
                    parse_secs(s).and_then(|ns| ns.checked_add(EPOCH.as_nanos())).map(SimTime::from_nanos).ok_or_else(
                        || {
                            problem(
                                line,
                                Some(name),
                                format!("'{s}' is not a time"),
                                Some("write seconds ≥ 0, e.g. 15 or 15.25".into()),
                            )
                        },
                    )
                })
                .transpose()
        };
        let quantity = |name: &str| -> Result<Option<i64>, CsvProblem> {
            cell(name)
                .map(|s| {
                    Quantity::parse(s)
                        .map(Quantity::milli_value)
                        .map_err(|e| problem(line, Some(name), format!("'{s}' is not a quantity"), Some(e.to_string())))
                })
                .transpose()
        };
        // Usage and requests of a resource are amounts: a negative one
        // would turn into a negative replica count.
        let amount = |name: &str| -> Result<Option<i64>, CsvProblem> {
            match quantity(name)? {
                Some(v) if v < 0 => Err(problem(
                    line,
                    Some(name),
                    format!("'{}' is negative", cell(name).unwrap_or("")),
                    Some("resource usage and requests are amounts ≥ 0 (cores for cpu)".into()),
                )),
                v => Ok(v),
            }
        };
        let flag = |name: &str, default: bool| -> Result<bool, CsvProblem> {
            match cell(name) {
                None => Ok(default),
                Some("true") => Ok(true),
                Some("false") => Ok(false),
                Some(s) => Err(problem(line, Some(name), format!("'{s}' is not true or false"), None)),
            }
        };
        let Some(at) = time("t_seconds")? else {
            return Err(problem(line, Some("t_seconds"), "missing: every row needs a time".into(), None));
        };
        match out.last() {
            Some(last) if last.at > at => {
                return Err(problem(
                    line,
                    Some("t_seconds"),
                    format!("'{}' goes back in time", secs_of(at)),
                    Some("sort the rows by t_seconds".into()),
                ));
            }
            Some(last) if last.at == at && average => {
                return Err(problem(
                    line,
                    Some("t_seconds"),
                    format!("'{}' appears twice", secs_of(at)),
                    Some("the average form has one row per instant".into()),
                ));
            }
            Some(last) if last.at == at => {}
            _ => out.push(Recorded { at, pods: Vec::new(), metrics: MetricsSnapshot::default() }),
        }
        let Some(now) = out.last_mut() else { continue };
        for c in &cols {
            if let Column::Fleet(name, key) = c
                && let Some(v) = quantity(name)?
            {
                match key {
                    None => {
                        now.metrics.external.entry(name.clone()).or_insert_with(|| vec![v]);
                    }
                    Some(k) => {
                        now.metrics.object.entry(k.clone()).or_insert(v);
                    }
                }
            }
        }
        let sample_time = time("sample_time")?.unwrap_or(at);
        let sample_window =
            time("sample_window")?.map_or(window, |t| SimDuration::from_nanos(t.as_nanos() - EPOCH.as_nanos()));
        let mut request_of = BTreeMap::new();
        for (r, col) in resources(&cols).iter().zip(&requests) {
            if let Some(v) = amount(col)? {
                request_of.insert(r.to_string(), v);
            }
        }
        let names: Vec<String> = if per_pod {
            match cell("pod") {
                None => continue, // a fleet row
                Some(p) => vec![p.to_string()],
            }
        } else {
            let n = cell("replicas").and_then(|s| s.parse::<u32>().ok()).ok_or_else(|| {
                problem(
                    line,
                    Some("replicas"),
                    format!("'{}' is not a replica count", cell("replicas").unwrap_or("")),
                    None,
                )
            })?;
            if n > MAX_PODS_PER_INSTANT {
                return Err(problem(
                    line,
                    Some("replicas"),
                    format!("{n} replicas is more than a cluster holds"),
                    Some(format!("Kubernetes supports at most {MAX_PODS_PER_INSTANT} pods per cluster")),
                ));
            }
            (0..n).map(|i| format!("pod-{i}")).collect()
        };
        pod_samples += names.len();
        if pod_samples > MAX_POD_SAMPLES {
            return Err(problem(
                line,
                None,
                format!("the file holds more than {MAX_POD_SAMPLES} pod samples (pods summed over instants)"),
                Some("replay a shorter span, or record fewer instants".into()),
            ));
        }
        let phase = match cell("phase").unwrap_or("Running") {
            "Running" => PodPhase::Running,
            "Pending" => PodPhase::Pending,
            "Succeeded" => PodPhase::Succeeded,
            "Failed" => PodPhase::Failed,
            other => {
                return Err(problem(
                    line,
                    Some("phase"),
                    format!("'{other}' is not a pod phase"),
                    Some("use Running, Pending, Succeeded or Failed".into()),
                ));
            }
        };
        let ready = flag("ready", true)?;
        let since = time("ready_since")?.unwrap_or(SimTime::ZERO);
        let started = if index.contains_key("started") { time("started")? } else { Some(SimTime::ZERO) };
        let deleting = flag("deleting", false)?;
        for name in names {
            let mut container = Container::named(CONTAINER);
            container.requests = request_of.clone();
            now.pods.push(Pod {
                name: name.clone(),
                phase,
                deleting,
                ready: Some(PodReadyCondition {
                    status: if ready { ConditionStatus::True } else { ConditionStatus::False },
                    last_transition_time: since,
                }),
                start_time: started,
                containers: vec![container],
                init_containers: Vec::new(),
                pod_requests: None,
            });
            let mut usage = BTreeMap::new();
            for c in &cols {
                match c {
                    Column::Resource(r) => {
                        if let Some(v) = amount(r)? {
                            usage.insert(r.clone(), v);
                        }
                    }
                    Column::Pods(m) => {
                        if let Some(v) = quantity(m)? {
                            now.metrics.pods.entry(m.clone()).or_default().push(PodMetricValue {
                                pod: name.clone(),
                                value: v,
                                timestamp: sample_time,
                                window: Some(sample_window),
                            });
                        }
                    }
                    Column::Fleet(..) => {}
                }
            }
            if !usage.is_empty() {
                now.metrics.resource.push(PodResourceMetrics {
                    pod: name,
                    timestamp: sample_time,
                    window: sample_window,
                    containers: vec![ContainerMetrics { name: CONTAINER.to_string(), usage }],
                });
            }
        }
    }
    if out.is_empty() {
        return Err(problem(header_line, None, "no rows".into(), Some(form_hint.into())));
    }
    Ok(out)
}

/// How to replay.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplayOptions {
    /// Sync on this grid instead of at every recorded instant.
    pub sync_period: Option<SimDuration>,
    /// `spec.replicas` at the first sync (default: the pods not being
    /// deleted at the first instant).
    pub replicas: Option<u32>,
}

/// One sync's decision.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayRow {
    /// The sync time (shifted; print with [`secs_of`]).
    pub at: SimTime,
    /// `spec.replicas` before the sync.
    pub current: i32,
    /// The count after it.
    pub desired: i32,
    /// Whether the scale was updated.
    pub rescale: bool,
    /// The controller's explanation.
    pub reason: String,
}

/// How many syncs a replay of `recorded` runs: one per instant, or one per
/// `sync_period` over the span.
pub fn sync_count(recorded: &[Recorded], sync_period: Option<SimDuration>) -> u64 {
    match (recorded.first(), recorded.last(), sync_period) {
        (Some(first), Some(last), Some(p)) if !p.is_zero() => (last.at - first.at).as_nanos() / p.as_nanos() + 1,
        _ => recorded.len() as u64,
    }
}

/// Runs the recorded instants through one controller.
pub fn replay(
    spec: HpaSpec,
    config: HpaControllerConfig,
    recorded: &[Recorded],
    options: &ReplayOptions,
) -> Vec<ReplayRow> {
    let Some(first) = recorded.first() else { return Vec::new() };
    let last = recorded.last().map_or(first.at, |r| r.at);
    let syncs: Vec<(SimTime, &Recorded)> = match options.sync_period {
        Some(p) if !p.is_zero() => {
            let mut v = Vec::new();
            let mut t = first.at;
            while t <= last {
                let i = recorded.partition_point(|r| r.at <= t) - 1;
                v.push((t, &recorded[i]));
                t += p;
            }
            v
        }
        _ => recorded.iter().map(|r| (r.at, r)).collect(),
    };
    let active = |r: &Recorded| r.pods.iter().filter(|p| !p.deleting).count() as i32;
    let mut spec_replicas = options.replicas.map_or_else(|| active(first), |n| n.min(i32::MAX as u32) as i32);
    let mut controller = HpaController::new(spec, config);
    let mut rows = Vec::with_capacity(syncs.len());
    for (at, r) in syncs {
        let input = HpaInput {
            spec_replicas,
            status_replicas: active(r),
            selector: SelectorStatus::Valid,
            pods: r.pods.clone(),
            metrics: r.metrics.clone(),
        };
        let outcome = controller.reconcile(at, &input);
        rows.push(ReplayRow {
            at,
            current: spec_replicas,
            desired: outcome.desired_replicas,
            rescale: outcome.rescale,
            reason: outcome.to_string(),
        });
        spec_replicas = outcome.desired_replicas;
    }
    rows
}

/// The decisions as CSV: `t_seconds,current_replicas,desired_replicas,rescale,reason`.
pub fn decisions_csv(rows: &[ReplayRow]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["t_seconds", "current_replicas", "desired_replicas", "rescale", "reason"]);
    for r in rows {
        let _ = w.write_record([
            secs_of(r.at),
            r.current.to_string(),
            r.desired.to_string(),
            r.rescale.to_string(),
            r.reason.clone(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::parse_manifest;
    use super::*;

    fn spec(name: &str) -> HpaSpec {
        let text = std::fs::read_to_string(format!("{}/models/policies/{name}.yaml", env!("CARGO_MANIFEST_DIR")));
        parse_manifest(&text.unwrap()).unwrap().spec
    }

    #[test]
    fn seconds_round_trip_exactly() {
        for ns in [0, 1, 15_000_000_000, 15_250_000_000, 123_456_789_012] {
            assert_eq!(parse_secs(&secs(SimTime::from_nanos(ns))), Some(ns));
        }
        assert_eq!(parse_secs("-1"), None);
        assert_eq!(parse_secs("1.0000000001"), None);
    }

    #[test]
    fn average_form_scales_on_the_legacy_path() {
        // cpu 0.9 cores of a 1-core request = 90% vs target 60%: ratio 1.5,
        // ceil(1.5 × 4) = 6 (legacy cap max(2×4, 4) = 8 does not bind).
        let csv = "t_seconds,replicas,cpu,cpu_request\n0,4,0.9,1\n15,4,900m,1000m\n";
        let recorded = parse(csv, &spec("hpa-cpu-60"), SimDuration::from_secs(60)).unwrap();
        assert_eq!(recorded.len(), 2);
        assert_eq!(recorded[0].pods.len(), 4);
        let rows = replay(spec("hpa-cpu-60"), HpaControllerConfig::default(), &recorded, &ReplayOptions::default());
        assert_eq!((rows[0].current, rows[0].desired, rows[0].rescale), (4, 6, true));
        assert!(rows[0].reason.starts_with("cpu 90% vs target 60% → 6"), "{}", rows[0].reason);
        // The second sync starts from 6 but reads the same 4 recorded pods.
        assert_eq!(rows[1].current, 6);
        let out = decisions_csv(&rows);
        assert!(out.starts_with("t_seconds,current_replicas,desired_replicas,rescale,reason\n0,4,6,true,"), "{out}");
    }

    #[test]
    fn sync_grid_holds_the_latest_instant() {
        let csv = "t_seconds,replicas,cpu,cpu_request\n0,4,0.6,1\n60,4,0.6,1\n";
        let recorded = parse(csv, &spec("hpa-cpu-60"), SimDuration::from_secs(60)).unwrap();
        let opts = ReplayOptions { sync_period: Some(SimDuration::from_secs(15)), replicas: None };
        let rows = replay(spec("hpa-cpu-60"), HpaControllerConfig::default(), &recorded, &opts);
        assert_eq!(rows.iter().map(|r| secs_of(r.at)).collect::<Vec<_>>(), ["0", "15", "30", "45", "60"]);
    }

    #[test]
    fn bad_files_name_line_and_column() {
        let s = spec("hpa-cpu-60");
        let w = SimDuration::from_secs(60);
        let e = parse("t_seconds,pod,cpu,colour\n", &s, w).unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (1, Some("colour")));
        let e = parse("t_seconds,pod\n0,a\n", &s, w).unwrap_err();
        assert!(e.message.contains("metric 'cpu' has no column"), "{e:?}");
        let e = parse("t_seconds,pod,cpu\n0,a,0.5\n0,b,lots\n", &s, w).unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (3, Some("cpu")));
        let e = parse("t_seconds,pod,cpu\n15,a,0.5\n0,b,0.5\n", &s, w).unwrap_err();
        assert!(e.message.contains("goes back in time"), "{e:?}");
    }
}
