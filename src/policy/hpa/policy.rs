//! `policy = "hpa"`: the Kubernetes HPA controller driving the simulated
//! fleet. Its spec comes from a real `autoscaling/v2` manifest
//! (`manifest = "hpa.yaml"`, merged by the scenario loader) and/or inline
//! fields with the manifest's own names; inline fields override the
//! manifest's, table by table. The controller flags are optional fields.
//! One [`HpaController`] lives for the whole run, so its recommendation and
//! scale-event history carries across syncs as it does in
//! kube-controller-manager.

use serde::Deserialize;
use toml::{Table, Value};

use super::sources;
use super::{
    FeatureGates, HpaController, HpaControllerConfig, HpaInput, HpaSpec, ManifestError, MetricCurrent, MetricTarget,
    ReconcileOutcome, parse_manifest, parse_spec,
};
use crate::engine::time::{SimDuration, SimTime};
use crate::input::check::{Cx, FieldDoc, suggest};
use crate::input::problem::{FieldPath, Origin, Problem};
use crate::policy::{Decision, Observation, Reading, ScalingPolicy};

/// The hpa policy's fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "manifest",
        default: "none",
        doc: "an autoscaling/v2 HorizontalPodAutoscaler YAML file, relative to the scenario file; its spec supplies the fields below, and fields written here override it",
    },
    FieldDoc { key: "minReplicas", default: "1", doc: "spec.minReplicas" },
    FieldDoc { key: "maxReplicas", default: "required", doc: "spec.maxReplicas" },
    FieldDoc {
        key: "metrics",
        default: "cpu Utilization 80%",
        doc: "spec.metrics. Resource cpu (and ContainerResource cpu of container 'app'): per-pod CPU usage against [fleet] cpu_request. Pods http_requests_per_second / requests_per_second: per-pod completed rps; Pods in_flight / http_requests_in_flight: per-pod requests in flight. External or Object queue_messages_ready / queue / queue_length: requests waiting (balancer hold queue + accept queues); requests_per_second / http_requests_per_second: offered rps at the balancer; latency_p95_ms: p95 latency. All through the metrics pipeline",
    },
    FieldDoc {
        key: "behavior",
        default: "none (legacy path)",
        doc: "spec.behavior: scaleUp/scaleDown with stabilizationWindowSeconds, policies (Pods/Percent over periodSeconds), selectPolicy, tolerance",
    },
    FieldDoc { key: "scaleTargetRef", default: "none", doc: "spec.scaleTargetRef (accepted, not used)" },
    FieldDoc { key: "sync_period", default: "\"15s\"", doc: "--horizontal-pod-autoscaler-sync-period" },
    FieldDoc { key: "tolerance", default: "0.1", doc: "--horizontal-pod-autoscaler-tolerance" },
    FieldDoc {
        key: "cpu_initialization_period",
        default: "\"5m\"",
        doc: "--horizontal-pod-autoscaler-cpu-initialization-period",
    },
    FieldDoc {
        key: "initial_readiness_delay",
        default: "\"30s\"",
        doc: "--horizontal-pod-autoscaler-initial-readiness-delay",
    },
    FieldDoc {
        key: "downscale_stabilization",
        default: "\"5m\"",
        doc: "--horizontal-pod-autoscaler-downscale-stabilization (the legacy window, and behavior.scaleDown's default)",
    },
];

const FLAGS: [&str; 5] =
    ["sync_period", "tolerance", "cpu_initialization_period", "initial_readiness_delay", "downscale_stabilization"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlags {
    sync_period: Option<Value>,
    tolerance: Option<f64>,
    cpu_initialization_period: Option<Value>,
    initial_readiness_delay: Option<Value>,
    downscale_stabilization: Option<Value>,
}

/// Configuration of [`HpaPolicy`]: the defaulted spec and the flags.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaConfig {
    /// The HorizontalPodAutoscaler spec.
    pub spec: HpaSpec,
    /// The controller flags.
    pub controller: HpaControllerConfig,
}

/// Validates the hpa policy's fields (the manifest already merged in).
pub fn validate(cx: &mut Cx<'_>, at: &FieldPath, value: &Value) -> Option<HpaConfig> {
    let Value::Table(table) = value else {
        cx.error(at, "must be a table", None);
        return None;
    };
    check_manifest_object(cx, at);
    let mut fields = table.clone();
    let mut flags = Table::new();
    for k in FLAGS {
        if let Some(v) = fields.remove(k) {
            flags.insert(k.to_string(), v);
        }
    }
    let controller = validate_flags(cx, at, &flags);
    let spec = spec_from_table(cx, at, fields, &controller.feature_gates, &known_fields())?;
    for (i, sub, message, hint) in sources::check(&spec) {
        let path = at.key("metrics").index(i).join(&FieldPath::parse(sub).unwrap_or_default());
        cx.error(&path, message, Some(hint));
    }
    Some(HpaConfig { spec, controller })
}

fn known_fields() -> Vec<&'static str> {
    FIELDS.iter().map(|f| f.key).collect()
}

/// The controller flags; defaults are kube-controller-manager's.
pub fn validate_flags(cx: &mut Cx<'_>, at: &FieldPath, flags: &Table) -> HpaControllerConfig {
    let d = HpaControllerConfig::default();
    let Some(raw) = cx.parse::<RawFlags>(at, &Value::Table(flags.clone())) else { return d };
    let c = HpaControllerConfig {
        sync_period: cx.duration(&at.key("sync_period"), raw.sync_period.as_ref(), d.sync_period),
        tolerance: cx.float_in(&at.key("tolerance"), raw.tolerance, d.tolerance, 0.0, f64::INFINITY),
        cpu_initialization_period: cx.duration(
            &at.key("cpu_initialization_period"),
            raw.cpu_initialization_period.as_ref(),
            d.cpu_initialization_period,
        ),
        initial_readiness_delay: cx.duration(
            &at.key("initial_readiness_delay"),
            raw.initial_readiness_delay.as_ref(),
            d.initial_readiness_delay,
        ),
        downscale_stabilization_window: cx.duration(
            &at.key("downscale_stabilization"),
            raw.downscale_stabilization.as_ref(),
            d.downscale_stabilization_window,
        ),
        ..d
    };
    if c.sync_period.is_zero() {
        cx.error(&at.key("sync_period"), "'0s' would sync without pause", Some("use e.g. \"15s\"".into()));
    }
    c
}

/// Reads HPA spec fields (manifest names) from a table, reporting problems
/// at their paths under `at`; `known` lists the keys allowed at the top,
/// for the hint on an unknown one.
pub fn spec_from_table(
    cx: &mut Cx<'_>,
    at: &FieldPath,
    fields: Table,
    gates: &FeatureGates,
    known: &[&str],
) -> Option<HpaSpec> {
    match parse_spec(Value::Table(fields), gates) {
        Ok(spec) => Some(spec),
        Err(ManifestError::Syntax { path, message, .. }) => {
            let p = FieldPath::parse(&path).unwrap_or_default();
            let hint = match p.segments() {
                [crate::input::problem::Segment::Key(k)] if message.starts_with("unknown field") => {
                    suggest(k, known).or_else(|| Some(format!("the fields here are: {}", known.join(", "))))
                }
                _ => None,
            };
            cx.error(&at.join(&p), message, hint);
            None
        }
        Err(ManifestError::Invalid(errors)) => {
            for e in errors {
                cx.error(&at.join(&FieldPath::parse(&e.path).unwrap_or_default()), e.message, None);
            }
            None
        }
        Err(other) => {
            cx.error(at, other.to_string(), None);
            None
        }
    }
}

/// The parts of a manifest outside `spec` (`apiVersion`, `kind`,
/// `metadata`) are checked against the file itself; `spec` is checked once
/// merged, so a problem is reported once, at its line.
fn check_manifest_object(cx: &mut Cx<'_>, at: &FieldPath) {
    let doc = cx.doc;
    let Some(src) = doc.manifest(at) else { return };
    let outside_spec = |path: &str| path != "spec" && !path.starts_with("spec.") && !path.starts_with("spec[");
    let problem = |path: &str, line: Option<usize>, message: String| {
        let field = FieldPath::parse(path);
        let line = line.or_else(|| field.as_ref().and_then(|f| src.line(f)));
        Problem { origin: Origin::File { path: src.path.clone(), line }, field, message, hint: None }
    };
    match parse_manifest(&src.text) {
        Ok(_) => {}
        Err(e @ ManifestError::ApiVersion { .. }) => cx.push(problem("apiVersion", None, e.to_string())),
        Err(e @ ManifestError::Kind { .. }) => cx.push(problem("kind", None, e.to_string())),
        Err(ManifestError::Syntax { path, line, message, .. }) if outside_spec(&path) => {
            cx.push(problem(&path, line, message))
        }
        Err(ManifestError::Invalid(errors)) => {
            for e in errors.into_iter().filter(|e| outside_spec(&e.path)) {
                cx.push(problem(&e.path, None, e.message));
            }
        }
        Err(_) => {}
    }
}

/// A policy decision from a reconcile: the new count, the controller's
/// one-line explanation, and the deciding metric for the time series.
pub fn decision(outcome: &ReconcileOutcome, spec: &HpaSpec) -> Decision {
    let deciding = spec
        .metrics
        .iter()
        .zip(&outcome.metrics)
        .filter_map(|(m, o)| o.result.as_ref().ok().map(|p| (m, o.target, p)))
        .max_by_key(|(_, _, p)| p.replicas);
    let reading = deciding.and_then(|(m, target, p)| {
        let target = match target? {
            MetricTarget::Utilization(t) => f64::from(t) / 100.0,
            MetricTarget::Value(v) | MetricTarget::AverageValue(v) => v as f64 / 1000.0,
        };
        let seen = match p.current {
            MetricCurrent::Utilization { percent, .. } => f64::from(percent) / 100.0,
            MetricCurrent::AverageValue(v) | MetricCurrent::Value(v) => v as f64 / 1000.0,
        };
        Some(Reading { metric: sources::static_name(m), seen, target })
    });
    Decision { desired: outcome.desired_replicas.max(0) as u32, reason: outcome.to_string(), reading }
}

/// The Kubernetes HPA as a policy.
pub struct HpaPolicy {
    controller: HpaController,
    last: Option<(SimTime, HpaInput)>,
}

impl HpaPolicy {
    /// A controller that has never seen the HPA.
    pub fn new(config: HpaConfig) -> HpaPolicy {
        HpaPolicy { controller: HpaController::new(config.spec, config.controller), last: None }
    }

    /// The controller.
    pub fn controller(&self) -> &HpaController {
        &self.controller
    }
}

/// `(min, max)` of a spec as replica bounds.
pub fn spec_bounds(spec: &HpaSpec) -> (u32, u32) {
    (spec.min_replicas.max(0) as u32, spec.max_replicas.max(0) as u32)
}

/// A spec with new bounds; `max` never below `min`.
pub fn with_bounds(spec: &HpaSpec, min: Option<u32>, max: Option<u32>) -> HpaSpec {
    let mut s = spec.clone();
    let clip = |n: u32| n.min(i32::MAX as u32) as i32;
    if let Some(m) = min {
        s.min_replicas = clip(m);
    }
    if let Some(m) = max {
        s.max_replicas = clip(m);
    }
    s.max_replicas = s.max_replicas.max(s.min_replicas);
    s
}

impl ScalingPolicy for HpaPolicy {
    type Config = HpaConfig;

    fn interval(&self) -> SimDuration {
        self.controller.config().sync_period
    }

    fn decide(&mut self, obs: &Observation<'_>) -> Decision {
        let input = sources::input(obs, self.controller.spec());
        let outcome = self.controller.reconcile(obs.now, &input);
        self.last = Some((obs.now, input));
        decision(&outcome, self.controller.spec())
    }

    fn bounds(&self) -> (u32, u32) {
        spec_bounds(self.controller.spec())
    }

    fn set_bounds(&mut self, min: Option<u32>, max: Option<u32>) {
        let spec = with_bounds(self.controller.spec(), min, max);
        self.controller.set_spec(spec);
    }

    fn reconfigure(&mut self, c: &HpaConfig) {
        self.controller.set_spec(c.spec.clone());
        self.controller.set_config(c.controller.clone());
    }

    fn record_inputs(&self, out: &mut String, header: bool) {
        if let Some((now, input)) = &self.last {
            super::record::write(out, header, *now, input, self.controller.spec());
        }
    }
}
