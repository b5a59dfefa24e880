//! Which exported file plays which role: `import.toml`, or `--series
//! ROLE=FILE` on the command line.
//!
//! ```toml
//! step = "1s"             # the query_range step (checked against the files)
//! window = "5s"           # the rate() window of the queries, if any
//! pod_label = "instance"  # the label that names a pod [default: pod, else instance]
//! cpu_request = "500m"    # a pod's CPU request, for `scalesim hpa` utilization targets
//! fill_gaps = false       # carry the last value over a missing point instead of refusing
//! [[series]]
//! file = "cpu.json"
//! role = "cpu_cores"
//! kind = "gauge"          # or "counter": a raw counter, turned into a per-step rate here
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{problem, problem_at};
use crate::engine::time::SimDuration;
use crate::error::Error;

/// What a series means. Per-pod series (with a pod label) are summed for the
/// fleet; series without one are fleet-wide already.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Requests arriving per second (served and refused): the rate trace.
    OfferedRps,
    /// Requests served successfully per second.
    ThroughputRps,
    /// Requests failed or refused per second.
    ErrorsRps,
    /// CPU in use, cores.
    CpuCores,
    /// Ready replicas (a 0/1 gauge per pod, or a count).
    ReplicasReady,
    /// Desired replicas (e.g. `kube_deployment_spec_replicas`).
    ReplicasDesired,
    /// Pods that exist (`up`, `kube_pod_info`): when each appeared.
    PodsUp,
    /// `sum by (le) (rate(…_bucket[w]))`: latency percentiles are computed here.
    LatencyBuckets,
    /// Median latency, seconds.
    LatencyP50,
    /// 95th percentile latency, seconds.
    LatencyP95,
    /// 99th percentile latency, seconds.
    LatencyP99,
    /// Requests in flight in the service.
    InFlight,
    /// Workers busy with a request.
    BusyWorkers,
    /// Open database connections.
    DbConnections,
}

impl Role {
    /// Every role, for help texts.
    pub const ALL: &[&str] = &[
        "offered_rps",
        "throughput_rps",
        "errors_rps",
        "cpu_cores",
        "replicas_ready",
        "replicas_desired",
        "pods_up",
        "latency_buckets",
        "latency_p50",
        "latency_p95",
        "latency_p99",
        "in_flight",
        "busy_workers",
        "db_connections",
    ];

    /// Parses a role name.
    pub fn parse(name: &str) -> Option<Role> {
        serde::Deserialize::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(name)).ok()
    }
}

/// How the values of a file are to be read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Values as they are (a gauge, or a `rate()` already taken).
    #[default]
    Gauge,
    /// A raw counter: differenced per step here; a decrease is a reset.
    Counter,
}

/// One file and its role.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesFile {
    /// The JSON file.
    pub file: PathBuf,
    /// What it means.
    pub role: Role,
    /// Gauge or counter.
    pub kind: Kind,
    /// The PromQL it came from, for the record.
    pub query: Option<String>,
}

/// A whole import: the files and how to read them.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportConfig {
    /// Where it was read from (a TOML file, or the command line).
    pub source: PathBuf,
    /// The files.
    pub series: Vec<SeriesFile>,
    /// The step every file must have, if stated.
    pub step: Option<SimDuration>,
    /// The rate() window of the queries, if stated.
    pub window: Option<SimDuration>,
    /// The label that names a pod, if not `pod` / `instance`.
    pub pod_label: Option<String>,
    /// A pod's CPU request in cores, for the per-pod metrics file.
    pub cpu_request: Option<String>,
    /// Carry the last value over a missing point instead of refusing.
    pub fill_gaps: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    step: Option<String>,
    #[serde(default)]
    window: Option<String>,
    #[serde(default)]
    pod_label: Option<String>,
    #[serde(default)]
    cpu_request: Option<String>,
    #[serde(default)]
    fill_gaps: bool,
    series: Vec<RawFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    file: PathBuf,
    role: String,
    #[serde(default)]
    kind: Kind,
    #[serde(default)]
    query: Option<String>,
}

impl ImportConfig {
    /// Reads `import.toml`; files resolve against its directory. A directory
    /// means its `import.toml`.
    pub fn load(path: &Path) -> Result<ImportConfig, Error> {
        let path = if path.is_dir() { path.join("import.toml") } else { path.to_path_buf() };
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let raw: Raw = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
            problem_at(&path, line, None, e.message().to_string(), None)
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let duration = |field: &str, v: &Option<String>| -> Result<Option<SimDuration>, Error> {
            v.as_deref()
                .map(|s| {
                    SimDuration::parse(s).map_err(|_| {
                        problem(&path, Some(field), format!("'{s}' is not a duration"), Some("e.g. \"15s\"".into()))
                    })
                })
                .transpose()
        };
        let mut series = Vec::new();
        for (i, f) in raw.series.into_iter().enumerate() {
            let role = Role::parse(&f.role).ok_or_else(|| {
                problem(
                    &path,
                    Some(&format!("series[{i}].role")),
                    format!("unknown role '{}'", f.role),
                    Some(format!("one of: {}", Role::ALL.join(", "))),
                )
            })?;
            series.push(SeriesFile { file: dir.join(f.file), role, kind: f.kind, query: f.query });
        }
        Ok(ImportConfig {
            step: duration("step", &raw.step)?,
            window: duration("window", &raw.window)?,
            pod_label: raw.pod_label,
            cpu_request: raw.cpu_request,
            fill_gaps: raw.fill_gaps,
            source: path.clone(),
            series,
        })
    }

    /// From `ROLE=FILE` arguments.
    pub fn from_args(pairs: &[String]) -> Result<ImportConfig, Error> {
        let mut series = Vec::new();
        for pair in pairs {
            let (role, file) = pair.split_once('=').ok_or_else(|| {
                Error::Usage(format!("--series '{pair}': expected ROLE=FILE, e.g. cpu_cores=cpu.json"))
            })?;
            let (role, kind) = match role.strip_suffix(":counter") {
                Some(r) => (r, Kind::Counter),
                None => (role, Kind::Gauge),
            };
            let role = Role::parse(role).ok_or_else(|| {
                Error::Usage(format!("--series '{pair}': unknown role '{role}'; one of: {}", Role::ALL.join(", ")))
            })?;
            series.push(SeriesFile { file: PathBuf::from(file), role, kind, query: None });
        }
        Ok(ImportConfig {
            source: PathBuf::from("--series"),
            series,
            step: None,
            window: None,
            pod_label: None,
            cpu_request: None,
            fill_gaps: false,
        })
    }
}
