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
//! [`Policy`] impl, a variant of [`PolicyConfig`] and of [`PolicyName`].

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

use strum::IntoEnumIterator;
use toml::{Table, Value};

use crate::engine::time::{SimDuration, SimTime};
use crate::input::check::{Cx, FieldDoc, suggest};
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

/// The name of a metric a decision can be based on: every name a policy's
/// reading carries, so the simulation matches them exhaustively.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumIter, strum::EnumString, strum::IntoStaticStr, strum::Display,
)]
#[strum(serialize_all = "snake_case")]
pub enum MetricName {
    /// CPU utilization (usage / request).
    Cpu,
    /// Completed requests per second per instance.
    Rps,
    /// Requests in flight per instance.
    InFlight,
    /// p95 latency at the balancer, milliseconds.
    LatencyP95,
    /// Requests waiting (balancer hold queue plus accept queues).
    Queue,
    /// Requests waiting per in-service instance (AWS).
    BacklogPerInstance,
    /// The predictive policy's forecast of offered requests per second.
    ForecastRps,
    /// HPA `Pods` or `External` metric of that name.
    HttpRequestsPerSecond,
    /// HPA `Pods` or `External` metric of that name.
    RequestsPerSecond,
    /// HPA `Pods` metric of that name.
    HttpRequestsInFlight,
    /// HPA `External`/`Object` metric (KEDA's queue trigger) of that name.
    QueueMessagesReady,
    /// HPA `External`/`Object` metric of that name.
    QueueLength,
    /// HPA `External`/`Object` metric of that name.
    LatencyP95Ms,
    /// An HPA `Pods` metric the simulator does not produce.
    Pods,
    /// An HPA `External`/`Object` metric the simulator does not produce.
    External,
    /// An HPA metric type the simulator does not support.
    Unsupported,
}

impl MetricName {
    /// Its name, as written in scenarios and shown on the dashboard.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The metric a decision was based on, for the time series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    /// What it is.
    pub metric: MetricName,
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

/// A scaling policy, as the simulation drives it (`Box<dyn Policy>`).
/// Implemented once, for every [`ScalingPolicy`]: a policy implements that.
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
    /// whatever history the policy has; another policy's is refused.
    fn reconfigure(&mut self, config: &PolicyConfig) -> Result<(), WrongPolicy>;
    /// Appends the inputs of the last evaluation as CSV rows in the
    /// `scalesim hpa --metrics` format (with the header first if `header`);
    /// only policies that run the HPA controller write anything.
    fn record_inputs(&self, out: &mut String, header: bool);
}

/// A scaling policy with a configuration of its own type, so it cannot be
/// handed, or ignore, another policy's.
pub trait ScalingPolicy: Send {
    /// Its validated configuration: one variant of [`PolicyConfig`].
    type Config: OwnConfig;
    /// Time between evaluations (the sync period).
    fn interval(&self) -> SimDuration;
    /// Evaluates once.
    fn decide(&mut self, obs: &Observation<'_>) -> Decision;
    /// The replica bounds (min, max).
    fn bounds(&self) -> (u32, u32);
    /// Changes the bounds (an operator action); `None` keeps one.
    fn set_bounds(&mut self, min: Option<u32>, max: Option<u32>);
    /// Takes a new configuration, keeping whatever history the policy has.
    fn reconfigure(&mut self, config: &Self::Config);
    /// See [`Policy::record_inputs`]; nothing by default.
    fn record_inputs(&self, _out: &mut String, _header: bool) {}
}

impl<P: ScalingPolicy> Policy for P {
    fn interval(&self) -> SimDuration {
        ScalingPolicy::interval(self)
    }
    fn decide(&mut self, obs: &Observation<'_>) -> Decision {
        ScalingPolicy::decide(self, obs)
    }
    fn bounds(&self) -> (u32, u32) {
        ScalingPolicy::bounds(self)
    }
    fn set_bounds(&mut self, min: Option<u32>, max: Option<u32>) {
        ScalingPolicy::set_bounds(self, min, max)
    }
    fn reconfigure(&mut self, config: &PolicyConfig) -> Result<(), WrongPolicy> {
        let own = P::Config::of(config).ok_or(WrongPolicy { policy: P::Config::NAME, given: config.name() })?;
        ScalingPolicy::reconfigure(self, own);
        Ok(())
    }
    fn record_inputs(&self, out: &mut String, header: bool) {
        ScalingPolicy::record_inputs(self, out, header)
    }
}

/// A configuration handed to a policy of another kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the {policy} policy cannot take a {given} configuration")]
pub struct WrongPolicy {
    /// The policy.
    pub policy: PolicyName,
    /// The configuration's policy.
    pub given: PolicyName,
}

/// One policy's configuration type, found in a [`PolicyConfig`].
pub trait OwnConfig: Sized {
    /// The policy it configures.
    const NAME: PolicyName;
    /// It, if `config` holds it.
    fn of(config: &PolicyConfig) -> Option<&Self>;
}

/// Each variant of [`PolicyConfig`] with its type.
macro_rules! own_configs {
    ($($variant:ident($ty:ty)),* $(,)?) => {$(
        impl OwnConfig for $ty {
            const NAME: PolicyName = PolicyName::$variant;
            fn of(config: &PolicyConfig) -> Option<&Self> {
                match config {
                    PolicyConfig::$variant(c) => Some(c),
                    _ => None,
                }
            }
        }
    )*};
}

own_configs!(
    Fixed(fixed::FixedConfig),
    Threshold(threshold::ThresholdConfig),
    Hpa(hpa::HpaConfig),
    TargetTracking(target_tracking::TargetTrackingConfig),
    Step(step::StepConfig),
    Simple(simple::SimpleConfig),
    Queue(queue::QueueConfig),
    Scheduled(scheduled::ScheduledConfig),
    Predictive(predictive::PredictiveConfig),
);

/// The reactive policy that a [`scheduled`] or [`predictive`] policy wraps
/// (`[autoscaler.reactive]`), if any: what both pass on to it, once.
pub struct Reactive(Option<Box<dyn Policy>>);

impl Reactive {
    /// Builds the policy `spec` describes, if any.
    pub fn new(spec: Option<&PolicySpec>) -> Reactive {
        Reactive(spec.map(PolicySpec::build))
    }

    /// The wrapped policy.
    pub fn get_mut(&mut self) -> Option<&mut (dyn Policy + 'static)> {
        self.0.as_deref_mut()
    }

    /// Its sync period, or the wrapper's own without one.
    pub fn interval(&self, own: SimDuration) -> SimDuration {
        self.0.as_ref().map_or(own, |r| r.interval())
    }

    /// Passes an operator's bounds on.
    pub fn set_bounds(&mut self, min: Option<u32>, max: Option<u32>) {
        if let Some(r) = &mut self.0 {
            r.set_bounds(min, max);
        }
    }

    /// Takes the wrapper's new `reactive`: the same policy keeps its
    /// history; another one (an operator changed `reactive.policy`), or one
    /// newly added, starts fresh; one removed is dropped.
    pub fn reconfigure(&mut self, spec: Option<&PolicySpec>) {
        let kept = match (&mut self.0, spec) {
            (Some(r), Some(s)) => r.reconfigure(&s.config).is_ok(),
            _ => false,
        };
        if !kept {
            self.0 = spec.map(PolicySpec::build);
        }
    }

    /// Passes [`Policy::record_inputs`] on.
    pub fn record_inputs(&self, out: &mut String, header: bool) {
        if let Some(r) = &self.0 {
            r.record_inputs(out, header);
        }
    }
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

impl PolicyConfig {
    /// The replica bounds (min, max) a policy starts with, read from its
    /// configuration (a wrapper's are its reactive policy's, if it has one).
    pub fn bounds(&self) -> (u32, u32) {
        match self {
            PolicyConfig::Fixed(c) => (c.replicas, c.replicas),
            PolicyConfig::Threshold(c) => (c.min, c.max),
            PolicyConfig::Hpa(c) => hpa::spec_bounds(&c.spec),
            PolicyConfig::TargetTracking(c) => (c.min, c.max),
            PolicyConfig::Step(c) => (c.min, c.max),
            PolicyConfig::Simple(c) => (c.min, c.max),
            PolicyConfig::Queue(c) => (c.min, c.max),
            PolicyConfig::Scheduled(c) => c.reactive.as_ref().map_or(c.bounds, |r| r.bounds()),
            PolicyConfig::Predictive(c) => c.reactive.as_ref().map_or(c.bounds, |r| r.bounds()),
        }
    }

    /// Which policy it configures.
    pub fn name(&self) -> PolicyName {
        match self {
            PolicyConfig::Fixed(_) => PolicyName::Fixed,
            PolicyConfig::Threshold(_) => PolicyName::Threshold,
            PolicyConfig::Hpa(_) => PolicyName::Hpa,
            PolicyConfig::TargetTracking(_) => PolicyName::TargetTracking,
            PolicyConfig::Step(_) => PolicyName::Step,
            PolicyConfig::Simple(_) => PolicyName::Simple,
            PolicyConfig::Queue(_) => PolicyName::Queue,
            PolicyConfig::Scheduled(_) => PolicyName::Scheduled,
            PolicyConfig::Predictive(_) => PolicyName::Predictive,
        }
    }
}

/// A policy, as `policy = "..."` names it: every policy, listed once.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumIter, strum::EnumString, strum::IntoStaticStr, strum::Display,
)]
#[strum(serialize_all = "snake_case")]
pub enum PolicyName {
    /// No autoscaling.
    Fixed,
    /// The naive threshold policy.
    Threshold,
    /// The Kubernetes HPA.
    Hpa,
    /// AWS target tracking.
    TargetTracking,
    /// AWS step scaling.
    Step,
    /// AWS simple scaling.
    Simple,
    /// Queue-based, KEDA-style.
    Queue,
    /// Scheduled actions over an optional reactive policy.
    Scheduled,
    /// A forecast from one cycle ago over a reactive floor.
    Predictive,
}

impl PolicyName {
    /// Its name, as `policy = "..."` writes it.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Its fields' documentation.
    pub fn fields(self) -> &'static [FieldDoc] {
        match self {
            PolicyName::Fixed => fixed::FIELDS,
            PolicyName::Threshold => threshold::FIELDS,
            PolicyName::Hpa => hpa::FIELDS,
            PolicyName::TargetTracking => target_tracking::FIELDS,
            PolicyName::Step => step::FIELDS,
            PolicyName::Simple => simple::FIELDS,
            PolicyName::Queue => queue::FIELDS,
            PolicyName::Scheduled => scheduled::FIELDS,
            PolicyName::Predictive => predictive::FIELDS,
        }
    }

    /// Parses a name written at `at`; `None` (with the problem recorded)
    /// if it is not a policy.
    pub fn parse(cx: &mut Cx<'_>, at: &FieldPath, name: &str) -> Option<PolicyName> {
        if let Ok(n) = name.parse() {
            return Some(n);
        }
        let names: Vec<&str> = PolicyName::iter().map(PolicyName::name).collect();
        let hint = suggest(name, &names).unwrap_or_else(|| format!("the policies are: {}", names.join(", ")));
        cx.error(at, format!("'{name}' is not a policy"), Some(hint));
        None
    }

    /// Whether it reads an HPA manifest (`manifest = "hpa.yaml"`).
    fn takes_manifest(self) -> bool {
        self == PolicyName::Hpa
    }
}

/// The validated `[autoscaler]` section: the policy and its fields as
/// written (so an operator action can change one and re-check it).
#[derive(Clone, Debug, PartialEq)]
pub struct PolicySpec {
    /// Its fields as written (without `policy`).
    pub fields: Table,
    /// Its validated configuration.
    pub config: PolicyConfig,
}

impl PolicySpec {
    /// A fixed fleet of `n`.
    pub fn fixed(n: u32) -> PolicySpec {
        PolicySpec { fields: Table::new(), config: PolicyConfig::Fixed(fixed::FixedConfig { replicas: n }) }
    }

    /// The policy's name.
    pub fn name(&self) -> PolicyName {
        self.config.name()
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
        self.config.bounds()
    }
}

/// Validates a policy's fields; `at` is where they live, for messages.
pub fn validate(cx: &mut Cx<'_>, at: &FieldPath, name: PolicyName, fields: Table, initial: u32) -> Option<PolicySpec> {
    if !name.takes_manifest()
        && let Some(m) = cx.doc.manifest(at)
    {
        let hint = format!("a manifest applies to policy = \"hpa\"; write the {name} policy's fields inline");
        cx.error(&at.key("manifest"), format!("'{}' is not used by this policy", m.path.display()), Some(hint));
        return None;
    }
    let value = Value::Table(fields.clone());
    let config = match name {
        PolicyName::Fixed => PolicyConfig::Fixed(fixed::validate(cx, at, &value, initial)?),
        PolicyName::Threshold => PolicyConfig::Threshold(threshold::validate(cx, at, &value)?),
        PolicyName::Hpa => PolicyConfig::Hpa(hpa::validate(cx, at, &value)?),
        PolicyName::TargetTracking => PolicyConfig::TargetTracking(target_tracking::validate(cx, at, &value)?),
        PolicyName::Step => PolicyConfig::Step(step::validate(cx, at, &value)?),
        PolicyName::Simple => PolicyConfig::Simple(simple::validate(cx, at, &value)?),
        PolicyName::Queue => PolicyConfig::Queue(queue::validate(cx, at, &value)?),
        PolicyName::Scheduled => PolicyConfig::Scheduled(scheduled::validate(cx, at, &value, initial)?),
        PolicyName::Predictive => PolicyConfig::Predictive(predictive::validate(cx, at, &value, initial)?),
    };
    Some(PolicySpec { fields, config })
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
    let name = match fields.remove("policy") {
        Some(Value::String(s)) => PolicyName::parse(cx, &at.key("policy"), &s)?,
        Some(other) => {
            cx.error(&at.key("policy"), format!("'{other}' is not a policy name"), None);
            return None;
        }
        None => {
            cx.error(at, "missing: which policy?", Some("e.g. policy = \"hpa\"".into()));
            return None;
        }
    };
    validate(cx, at, name, fields, initial)
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
    validate(cx, at, spec.name(), fields, initial)
}

/// Clamps `n` into `[min, max]`.
pub fn clamp(n: u32, (min, max): (u32, u32)) -> u32 {
    n.max(min).min(max.max(min))
}
