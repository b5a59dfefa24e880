//! Scaling policies. A policy sees only what the metrics pipeline shows (and
//! the pods' status, as a Kubernetes controller reads it from the API), and
//! returns a decision — a replica count and a human-readable reason. It never
//! touches the event queue or the true state; the engine applies decisions.
//!
//! The policies: [`fixed`], [`threshold`], the Kubernetes [`hpa`] (a
//! faithful controller behind a manifest), AWS EC2 Auto Scaling
//! [`target_tracking`], [`step`] and [`simple`] (sharing [`aws`]),
//! KEDA-style [`queue`], and two that wrap another policy given in
//! `[autoscaler.reactive]`: [`scheduled`] and [`predictive`].
//!
//! Adding a policy: a file here with its `FIELDS`, its config and its
//! [`Policy`] impl, a variant of [`PolicyConfig`], and a row in [`NAMES`].

pub mod aws;
pub mod fixed;
pub mod hpa;
pub mod predictive;
pub mod queue;
pub mod scheduled;
pub mod simple;
pub mod step;
pub mod target_tracking;
pub mod threshold;

use toml::{Table, Value};

use crate::engine::time::{SimDuration, SimTime};
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;
use crate::model::metrics::MetricSample;

/// A pod's phase, as Kubernetes reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodPhase {
    /// Not running yet: waiting for capacity, provisioning or booting.
    Pending,
    /// Running (warming, ready or draining).
    Running,
    /// Crashed and not restarted.
    Failed,
}

/// One instance, as a controller sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct PodView {
    /// The instance id.
    pub id: u32,
    /// Phase.
    pub phase: PodPhase,
    /// Whether the readiness condition is true.
    pub ready: bool,
    /// When the readiness condition last changed.
    pub ready_transition: SimTime,
    /// When it was created (the scale-out that asked for it).
    pub created: SimTime,
    /// When the containers started (the end of provisioning), if they have.
    pub start_time: Option<SimTime>,
    /// Whether it is being deleted (draining).
    pub deleting: bool,
    /// CPU request, millicores.
    pub cpu_request_milli: u64,
    /// CPU usage, millicores, if the pipeline has a sample.
    pub cpu_milli: Option<MetricSample>,
    /// Completed requests per second, if sampled.
    pub rps: Option<MetricSample>,
    /// Requests in flight (queued or in service), if sampled.
    pub in_flight: Option<MetricSample>,
}

/// Fleet-wide figures from the pipeline (each `None` when nothing is sampled).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FleetMetrics {
    /// Σ CPU usage / Σ CPU request over sampled pods (1.0 = 100%).
    pub cpu_utilization: Option<f64>,
    /// Mean completed requests per second per sampled pod.
    pub rps_per_instance: Option<f64>,
    /// Mean requests in flight per sampled pod.
    pub in_flight_per_instance: Option<f64>,
    /// Requests waiting (balancer hold queue plus instance accept queues).
    pub queue: Option<f64>,
    /// 95th percentile latency at the balancer, milliseconds.
    pub latency_p95_ms: Option<f64>,
    /// Offered requests per second at the balancer.
    pub offered_rps: Option<f64>,
}

/// What a policy sees at an evaluation.
#[derive(Clone, Debug)]
pub struct Observation<'a> {
    /// Now.
    pub now: SimTime,
    /// Replicas asked for (`scale.spec.replicas`).
    pub desired: u32,
    /// Replicas that exist and are not being deleted (`scale.status.replicas`).
    pub current: u32,
    /// Of those, how many are ready.
    pub ready: u32,
    /// Every non-terminated instance.
    pub pods: &'a [PodView],
    /// Fleet-wide figures.
    pub fleet: &'a FleetMetrics,
}

/// The metric a decision was based on, for the time series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    /// What it is ("cpu", "rps", ...).
    pub metric: &'static str,
    /// The value the policy saw.
    pub seen: f64,
    /// Its target or threshold.
    pub target: f64,
}

/// A policy's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// Replicas wanted.
    pub desired: u32,
    /// Why, in one line (`cpu 87% vs target 60% → 12; ...`).
    pub reason: String,
    /// The metric behind it, if any.
    pub reading: Option<Reading>,
}

/// A scaling policy.
pub trait Policy: Send {
    /// Time between evaluations (the sync period).
    fn interval(&self) -> SimDuration;
    /// Evaluates once.
    fn decide(&mut self, obs: &Observation<'_>) -> Decision;
    /// The replica bounds (min, max).
    fn bounds(&self) -> (u32, u32);
    /// Changes the bounds (an operator action); `None` keeps one.
    fn set_bounds(&mut self, min: Option<u32>, max: Option<u32>);
    /// Takes a new configuration (an operator changed a field), keeping
    /// whatever history the policy has.
    fn reconfigure(&mut self, config: &PolicyConfig);
    /// Appends the inputs of the last evaluation as CSV rows in the
    /// `scalesim hpa --metrics` format (with the header first if `header`);
    /// only policies that run the HPA controller write anything.
    fn record_inputs(&self, _out: &mut String, _header: bool) {}
}

/// A policy's validated configuration.
#[derive(Clone, Debug, PartialEq)]
pub enum PolicyConfig {
    /// No autoscaling.
    Fixed(fixed::FixedConfig),
    /// The naive threshold policy.
    Threshold(threshold::ThresholdConfig),
    /// The Kubernetes HPA.
    Hpa(hpa::HpaConfig),
    /// AWS target tracking.
    TargetTracking(target_tracking::TargetTrackingConfig),
    /// AWS step scaling.
    Step(step::StepConfig),
    /// AWS simple scaling.
    Simple(simple::SimpleConfig),
    /// Queue-based, KEDA-style.
    Queue(queue::QueueConfig),
    /// Scheduled actions over an optional reactive policy.
    Scheduled(scheduled::ScheduledConfig),
    /// A forecast from one cycle ago over a reactive floor.
    Predictive(predictive::PredictiveConfig),
}

/// The validated `[autoscaler]` section: the policy and its fields as
/// written (so an operator action can change one and re-check it).
#[derive(Clone, Debug, PartialEq)]
pub struct PolicySpec {
    /// The policy's name.
    pub name: String,
    /// Its fields as written (without `policy`).
    pub fields: Table,
    /// Its validated configuration.
    pub config: PolicyConfig,
}

/// Every policy, with its fields' documentation.
pub const NAMES: &[(&str, &[FieldDoc])] = &[
    ("fixed", fixed::FIELDS),
    ("threshold", threshold::FIELDS),
    ("hpa", hpa::FIELDS),
    ("target_tracking", target_tracking::FIELDS),
    ("step", step::FIELDS),
    ("simple", simple::FIELDS),
    ("queue", queue::FIELDS),
    ("scheduled", scheduled::FIELDS),
    ("predictive", predictive::FIELDS),
];

impl PolicySpec {
    /// A fixed fleet of `n`.
    pub fn fixed(n: u32) -> PolicySpec {
        PolicySpec {
            name: "fixed".into(),
            fields: Table::new(),
            config: PolicyConfig::Fixed(fixed::FixedConfig { replicas: n }),
        }
    }

    /// A fresh policy instance.
    pub fn build(&self) -> Box<dyn Policy> {
        match &self.config {
            PolicyConfig::Fixed(c) => Box::new(fixed::Fixed::new(c.clone())),
            PolicyConfig::Threshold(c) => Box::new(threshold::Threshold::new(c.clone())),
            PolicyConfig::Hpa(c) => Box::new(hpa::HpaPolicy::new(c.clone())),
            PolicyConfig::TargetTracking(c) => Box::new(target_tracking::TargetTracking::new(c.clone())),
            PolicyConfig::Step(c) => Box::new(step::StepScaling::new(c.clone())),
            PolicyConfig::Simple(c) => Box::new(simple::SimpleScaling::new(c.clone())),
            PolicyConfig::Queue(c) => Box::new(queue::QueueScaling::new(c.clone())),
            PolicyConfig::Scheduled(c) => Box::new(scheduled::Scheduled::new(c.clone())),
            PolicyConfig::Predictive(c) => Box::new(predictive::Predictive::new(c.clone())),
        }
    }

    /// The replica bounds (min, max) it starts with.
    pub fn bounds(&self) -> (u32, u32) {
        self.build().bounds()
    }
}

/// Validates a policy's fields; `at` is where they live, for messages.
pub fn validate(cx: &mut Cx<'_>, at: &FieldPath, name: &str, fields: Table, initial: u32) -> Option<PolicySpec> {
    if !name_takes_manifest(name)
        && let Some(m) = cx.doc.manifest(at)
    {
        let hint = format!("a manifest applies to policy = \"hpa\"; write the {name} policy's fields inline");
        cx.error(&at.key("manifest"), format!("'{}' is not used by this policy", m.path.display()), Some(hint));
        return None;
    }
    let value = Value::Table(fields.clone());
    let config = match name {
        "fixed" => PolicyConfig::Fixed(fixed::validate(cx, at, &value, initial)?),
        "threshold" => PolicyConfig::Threshold(threshold::validate(cx, at, &value)?),
        "hpa" => PolicyConfig::Hpa(hpa::validate(cx, at, &value)?),
        "target_tracking" => PolicyConfig::TargetTracking(target_tracking::validate(cx, at, &value)?),
        "step" => PolicyConfig::Step(step::validate(cx, at, &value)?),
        "simple" => PolicyConfig::Simple(simple::validate(cx, at, &value)?),
        "queue" => PolicyConfig::Queue(queue::validate(cx, at, &value)?),
        "scheduled" => PolicyConfig::Scheduled(scheduled::validate(cx, at, &value, initial)?),
        "predictive" => PolicyConfig::Predictive(predictive::validate(cx, at, &value, initial)?),
        _ => return None,
    };
    Some(PolicySpec { name: name.to_string(), fields, config })
}

/// Validates a policy nested in another (`[autoscaler.reactive]`): a
/// table with its own `policy = "..."` and fields.
pub fn validate_nested(cx: &mut Cx<'_>, at: &FieldPath, value: &Value, initial: u32) -> Option<PolicySpec> {
    let Value::Table(table) = value else {
        cx.error(
            at,
            "must be a table",
            Some("write { policy = \"hpa\", ... } or an [autoscaler.reactive] section".into()),
        );
        return None;
    };
    let mut fields = table.clone();
    let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
    let name = match fields.remove("policy") {
        Some(Value::String(s)) if names.contains(&s.as_str()) => s,
        Some(Value::String(s)) => {
            let hint = crate::input::check::suggest(&s, &names)
                .unwrap_or_else(|| format!("the policies are: {}", names.join(", ")));
            cx.error(&at.key("policy"), format!("'{s}' is not a policy"), Some(hint));
            return None;
        }
        Some(other) => {
            cx.error(&at.key("policy"), format!("'{other}' is not a policy name"), None);
            return None;
        }
        None => {
            cx.error(at, "missing: which policy?", Some("e.g. policy = \"hpa\"".into()));
            return None;
        }
    };
    validate(cx, at, &name, fields, initial)
}

/// The spec with one field changed and re-checked: what `set_policy_field`
/// does at run time. Problems are reported against `at`.
pub fn with_field(
    cx: &mut Cx<'_>,
    at: &FieldPath,
    spec: &PolicySpec,
    field: &str,
    value: &Value,
    initial: u32,
) -> Option<PolicySpec> {
    let mut fields = spec.fields.clone();
    let Some(path) = FieldPath::parse(field) else {
        cx.error(at, format!("'{field}' is not a field path"), Some("e.g. field = \"scale_up_above\"".into()));
        return None;
    };
    let mut cur = &mut fields;
    let segs = path.segments();
    for (i, seg) in segs.iter().enumerate() {
        let crate::input::problem::Segment::Key(k) = seg else {
            cx.error(at, format!("'{field}': list indexes are not supported here"), None);
            return None;
        };
        if i + 1 == segs.len() {
            cur.insert(k.clone(), value.clone());
        } else {
            let next = cur.entry(k.clone()).or_insert_with(|| Value::Table(Table::new()));
            let Value::Table(t) = next else {
                cx.error(at, format!("'{field}': '{k}' is not a table"), None);
                return None;
            };
            cur = t;
        }
    }
    validate(cx, at, &spec.name, fields, initial)
}

/// Whether a policy reads an HPA manifest (`manifest = "hpa.yaml"`).
fn name_takes_manifest(name: &str) -> bool {
    name == "hpa"
}

/// Clamps `n` into `[min, max]`.
pub fn clamp(n: u32, (min, max): (u32, u32)) -> u32 {
    n.max(min).min(max.max(min))
}
