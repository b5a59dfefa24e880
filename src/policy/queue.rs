//! `policy = "queue"`: queue-based scaling as KEDA does it for a
//! ScaledObject with one trigger. Two loops, as in KEDA:
//!
//! - the **operator** polls the trigger every `pollingInterval`: it is
//!   active iff its metric is strictly above `activationThreshold`. From 0
//!   replicas, an active trigger scales to `max(minReplicaCount, 1)`; once no
//!   poll has been active for `cooldownPeriod` it scales back to 0 (only when
//!   `minReplicaCount` is 0: the cooldown applies to scaling to zero only);
//! - above zero, the **HPA** KEDA generates does the 1 ↔ N scaling at its
//!   own sync period, reading the trigger as an External metric with an
//!   `AverageValue` target of `threshold` (desired = ceil(queue /
//!   threshold)) or a `Value` target, bounded by `max(minReplicaCount, 1)`
//!   and `maxReplicaCount`, with `behavior` copied verbatim. The generated
//!   HPA is this project's faithful controller, not an imitation.
//!
//! Source: KEDA's ScaledObject spec and "Activating and Scaling thresholds"
//! (<https://keda.sh/docs/latest/reference/scaledobject-spec/>,
//! <https://keda.sh/docs/latest/concepts/scaling-deployments/>). Scaling
//! from zero needs requests to wait while there is no instance: give the
//! balancer a hold queue (`[balancer] queue = N`).

use serde::Deserialize;
use toml::{Table, Value};

use super::hpa::{self, HpaController, HpaInput, HpaSpec, sources};
use super::{Decision, MetricName, Observation, Reading, ScalingPolicy};
use crate::engine::time::{SimDuration, SimTime};
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;

/// The queue policy's fields (KEDA's names).
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "metric",
        default: "\"queue\"",
        doc: "the trigger's metric: queue / queue_messages_ready / queue_length (requests waiting: balancer hold queue + accept queues), requests_per_second (offered), latency_p95_ms",
    },
    FieldDoc { key: "threshold", default: "required", doc: "the trigger's target: items per replica (AverageValue)" },
    FieldDoc {
        key: "activationThreshold",
        default: "0",
        doc: "the trigger is active when the metric is strictly above this; only an active trigger scales from zero",
    },
    FieldDoc { key: "metricType", default: "\"AverageValue\"", doc: "AverageValue | Value: the HPA target type" },
    FieldDoc { key: "pollingInterval", default: "\"30s\"", doc: "how often the operator checks activation" },
    FieldDoc {
        key: "cooldownPeriod",
        default: "\"300s\"",
        doc: "after the last active poll, wait this long before scaling to zero (only to zero)",
    },
    FieldDoc { key: "initialCooldownPeriod", default: "\"0s\"", doc: "no scaling to zero this soon after the start" },
    FieldDoc { key: "minReplicaCount", default: "0", doc: "0 allows scaling to zero" },
    FieldDoc { key: "maxReplicaCount", default: "100", doc: "the HPA's maxReplicas" },
    FieldDoc {
        key: "behavior",
        default: "none",
        doc: "advanced.horizontalPodAutoscalerConfig.behavior, copied into the generated HPA (manifest names)",
    },
    FieldDoc { key: "sync_period", default: "\"15s\"", doc: "the HPA controller's sync period" },
    FieldDoc { key: "tolerance", default: "0.1", doc: "the HPA controller's tolerance" },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
struct Raw {
    metric: Option<String>,
    threshold: f64,
    activation_threshold: Option<f64>,
    metric_type: Option<String>,
    polling_interval: Option<Value>,
    cooldown_period: Option<Value>,
    initial_cooldown_period: Option<Value>,
    min_replica_count: Option<i64>,
    max_replica_count: Option<i64>,
    behavior: Option<Value>,
    #[serde(rename = "sync_period")]
    sync_period: Option<Value>,
    #[serde(rename = "tolerance")]
    tolerance: Option<Value>,
}

/// Configuration of [`QueueScaling`].
#[derive(Clone, Debug, PartialEq)]
pub struct QueueConfig {
    /// The trigger's metric (a `sources::FLEET_METRICS` name).
    pub metric: MetricName,
    /// Items per replica.
    pub threshold: f64,
    /// Activation threshold (strict).
    pub activation: f64,
    /// `pollingInterval`.
    pub polling: SimDuration,
    /// `cooldownPeriod`.
    pub cooldown: SimDuration,
    /// `initialCooldownPeriod`.
    pub initial_cooldown: SimDuration,
    /// `minReplicaCount`.
    pub min: u32,
    /// `maxReplicaCount`.
    pub max: u32,
    /// The generated HPA.
    pub hpa: hpa::HpaConfig,
}

/// Validates the queue policy's fields.
pub fn validate(cx: &mut Cx<'_>, at: &FieldPath, value: &Value) -> Option<QueueConfig> {
    let raw: Raw = cx.parse(at, value)?;
    let names: Vec<&str> = sources::FLEET_METRICS.iter().map(|(n, _)| n.name()).collect();
    let metric = cx.choice(&at.key("metric"), raw.metric.as_deref(), "queue", &names);
    let metric = sources::find(sources::FLEET_METRICS, metric).map_or(MetricName::Queue, |(n, _)| n);
    let threshold = cx.positive(&at.key("threshold"), Some(raw.threshold), 1.0);
    let activation = cx.float_in(&at.key("activationThreshold"), raw.activation_threshold, 0.0, 0.0, f64::INFINITY);
    let metric_type =
        cx.choice(&at.key("metricType"), raw.metric_type.as_deref(), "AverageValue", &["AverageValue", "Value"]);
    let min = cx.int_in(&at.key("minReplicaCount"), raw.min_replica_count, 0, 0, 100_000) as u32;
    let max = cx.int_in(&at.key("maxReplicaCount"), raw.max_replica_count, 100, 1, 100_000) as u32;
    if min > max {
        cx.error(&at.key("minReplicaCount"), format!("'{min}' is greater than maxReplicaCount '{max}'"), None);
        return None;
    }
    let mut flags = Table::new();
    if let Some(v) = raw.sync_period {
        flags.insert("sync_period".into(), v);
    }
    if let Some(v) = raw.tolerance {
        flags.insert("tolerance".into(), v);
    }
    let controller = hpa::validate_flags(cx, at, &flags);
    // The HorizontalPodAutoscaler KEDA generates, in manifest names.
    let target_key = if metric_type == "Value" { "value" } else { "averageValue" };
    let mut target = Table::new();
    target.insert("type".into(), Value::String(metric_type.into()));
    target.insert(target_key.into(), Value::String(format!("{threshold}")));
    let mut spec = Table::new();
    spec.insert("minReplicas".into(), Value::Integer(i64::from(min.max(1))));
    spec.insert("maxReplicas".into(), Value::Integer(i64::from(max)));
    let external: Table = [
        (
            "metric".to_string(),
            Value::Table([("name".to_string(), Value::String(metric.name().into()))].into_iter().collect()),
        ),
        ("target".to_string(), Value::Table(target)),
    ]
    .into_iter()
    .collect();
    let entry: Table =
        [("type".to_string(), Value::String("External".into())), ("external".to_string(), Value::Table(external))]
            .into_iter()
            .collect();
    spec.insert("metrics".into(), Value::Array(vec![Value::Table(entry)]));
    if let Some(b) = raw.behavior {
        spec.insert("behavior".into(), b);
    }
    let spec: HpaSpec = hpa::spec_from_table(cx, at, spec, &controller.feature_gates, &[])?;
    let polling = cx.duration(&at.key("pollingInterval"), raw.polling_interval.as_ref(), SimDuration::from_secs(30));
    if polling.is_zero() {
        cx.error(&at.key("pollingInterval"), "'0s' would poll without pause", Some("use e.g. \"30s\"".into()));
        return None;
    }
    Some(QueueConfig {
        metric,
        threshold,
        activation,
        polling,
        cooldown: cx.duration(&at.key("cooldownPeriod"), raw.cooldown_period.as_ref(), SimDuration::from_secs(300)),
        initial_cooldown: cx.duration(
            &at.key("initialCooldownPeriod"),
            raw.initial_cooldown_period.as_ref(),
            SimDuration::ZERO,
        ),
        min,
        max,
        hpa: hpa::HpaConfig { spec, controller },
    })
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// KEDA's operator plus the HPA it generates.
pub struct QueueScaling {
    config: QueueConfig,
    hpa: HpaController,
    next_poll: SimTime,
    next_sync: SimTime,
    last_active: Option<SimTime>,
    last_input: Option<(SimTime, HpaInput)>,
}

impl QueueScaling {
    /// A ScaledObject just created.
    pub fn new(config: QueueConfig) -> QueueScaling {
        let hpa = HpaController::new(config.hpa.spec.clone(), config.hpa.controller.clone());
        QueueScaling {
            config,
            hpa,
            next_poll: SimTime::ZERO,
            next_sync: SimTime::ZERO,
            last_active: None,
            last_input: None,
        }
    }

    /// Whether the trigger is active for a metric value (strictly above the
    /// activation threshold).
    pub fn active(&self, value: Option<f64>) -> bool {
        value.is_some_and(|v| v > self.config.activation)
    }
}

impl ScalingPolicy for QueueScaling {
    type Config = QueueConfig;

    fn interval(&self) -> SimDuration {
        SimDuration::from_nanos(gcd(self.config.polling.as_nanos(), self.hpa.config().sync_period.as_nanos()).max(1))
    }

    fn decide(&mut self, obs: &Observation<'_>) -> Decision {
        let c = &self.config;
        let now = obs.now;
        let current = obs.desired;
        let value = sources::FLEET_METRICS.iter().find(|(n, _)| *n == c.metric).and_then(|(_, f)| match f {
            sources::Figure::Queue => obs.fleet.queue,
            sources::Figure::OfferedRps => obs.fleet.offered_rps,
            sources::Figure::LatencyP95 => obs.fleet.latency_p95_ms,
            _ => None,
        });
        let reading = value.map(|seen| Reading { metric: c.metric, seen, target: c.threshold });
        let hold = |reason: String| Decision { desired: current, reason, reading };
        let show = |v: Option<f64>| v.map_or("no sample".to_string(), |v| format!("{v:.1}"));
        let mut note = String::new();
        if now >= self.next_poll {
            self.next_poll = now + c.polling;
            let active = self.active(value);
            if active {
                self.last_active = Some(now);
            }
            if c.min == 0 {
                if current == 0 && active {
                    let to = 1.min(c.max);
                    return Decision {
                        desired: to,
                        reason: format!(
                            "{} {} > activationThreshold {}: active, scale 0 → {to}",
                            c.metric,
                            show(value),
                            c.activation
                        ),
                        reading,
                    };
                }
                let idle_since = self.last_active.unwrap_or(SimTime::ZERO);
                let may_zero = now >= idle_since + c.cooldown && now >= SimTime::ZERO + c.initial_cooldown;
                if current > 0 && !active && may_zero {
                    return Decision {
                        desired: 0,
                        reason: format!(
                            "{} {} ≤ activationThreshold {} and no activity for cooldownPeriod {}: scale {current} → 0",
                            c.metric,
                            show(value),
                            c.activation,
                            c.cooldown
                        ),
                        reading,
                    };
                }
                if !active {
                    note = format!("{} {} not active; ", c.metric, show(value));
                }
            }
        }
        if current == 0 {
            return hold(format!("{note}idle at 0"));
        }
        if now < self.next_sync {
            return hold(format!("{note}waiting for the HPA sync"));
        }
        self.next_sync = now + self.hpa.config().sync_period;
        let input = sources::input(obs, self.hpa.spec());
        let outcome = self.hpa.reconcile(now, &input);
        self.last_input = Some((now, input));
        let mut d = hpa::decision(&outcome, self.hpa.spec());
        d.reason = format!("{note}HPA: {}", d.reason);
        d
    }

    fn bounds(&self) -> (u32, u32) {
        (self.config.min, self.config.max)
    }

    fn set_bounds(&mut self, min: Option<u32>, max: Option<u32>) {
        self.config.min = min.unwrap_or(self.config.min);
        self.config.max = max.unwrap_or(self.config.max).max(self.config.min);
        let spec = hpa::with_bounds(self.hpa.spec(), Some(self.config.min.max(1)), Some(self.config.max));
        self.hpa.set_spec(spec);
    }

    fn reconfigure(&mut self, c: &QueueConfig) {
        self.hpa.set_spec(c.hpa.spec.clone());
        self.hpa.set_config(c.hpa.controller.clone());
        self.config = c.clone();
    }

    fn record_inputs(&self, out: &mut String, header: bool) {
        if let Some((now, input)) = &self.last_input {
            hpa::record::write(out, header, *now, input, self.hpa.spec());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::document::Document;
    use crate::policy::FleetMetrics;

    fn config(text: &str) -> QueueConfig {
        let doc = Document::from_text(std::path::Path::new("q.toml"), text, &[]).unwrap();
        let mut cx = Cx::new(&doc);
        let at = FieldPath::root().key("autoscaler");
        let v = cx.value(&at).unwrap().clone();
        let c = validate(&mut cx, &at, &v);
        cx.finish().unwrap();
        c.unwrap()
    }

    fn decide(p: &mut QueueScaling, t: u64, desired: u32, queue: f64) -> Decision {
        let fleet = FleetMetrics { queue: Some(queue), ..Default::default() };
        let obs =
            Observation { now: SimTime::from_secs(t), desired, current: desired, ready: 0, pods: &[], fleet: &fleet };
        p.decide(&obs)
    }

    #[test]
    fn activation_is_strictly_above_the_threshold() {
        let mut p = QueueScaling::new(config("[autoscaler]\nthreshold = 10\nactivationThreshold = 5\n"));
        assert_eq!(decide(&mut p, 0, 0, 5.0).desired, 0, "5 is not > 5");
        assert_eq!(decide(&mut p, 15, 0, 50.0).desired, 0, "no poll before pollingInterval (30 s)");
        let d = decide(&mut p, 30, 0, 5.5);
        assert_eq!(d.desired, 1, "{}", d.reason);
        assert!(d.reason.contains("> activationThreshold 5"), "{}", d.reason);
    }

    #[test]
    fn scales_to_zero_only_after_the_cooldown_and_feeds_the_hpa_above_zero() {
        let mut p = QueueScaling::new(config("[autoscaler]\nthreshold = 10\ncooldownPeriod = \"60s\"\n"));
        assert_eq!(decide(&mut p, 0, 0, 3.0).desired, 1);
        // Above zero the HPA reads the queue as External AverageValue 10:
        // ceil(45 / 10) = 5, capped by the legacy max(2 × 1, 4) = 4.
        let d = decide(&mut p, 15, 1, 45.0);
        assert_eq!(d.desired, 4, "{}", d.reason);
        assert!(d.reason.starts_with("HPA: queue 45/pod vs target 10/pod → 5"), "{}", d.reason);
        // The last active poll was at 0 s: the cooldown (60 s) ends at 60 s.
        // Meanwhile the HPA keeps the largest recommendation of its 5-minute
        // window (5, from 15 s), no longer capped: 4 → 5.
        assert_eq!(decide(&mut p, 30, 4, 0.0).desired, 5, "inside the cooldown, the HPA rules");
        let d = decide(&mut p, 60, 5, 0.0);
        assert_eq!(d.desired, 0, "{}", d.reason);
    }
}
