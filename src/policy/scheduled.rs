//! `policy = "scheduled"`: scheduled actions that change the replica
//! bounds and/or the desired count at given times, optionally every
//! period (`every = "24h"`: a daily schedule), over an optional reactive
//! policy (`[autoscaler.reactive]`, any policy) that scales in between
//! within the bounds the schedule sets. Like an AWS scheduled action
//! (MinSize/MaxSize/DesiredCapacity) or a CronJob patching an HPA's
//! minReplicas/maxReplicas.
//!
//! An action applies at the first evaluation at or after its time (the
//! reactive policy's interval, or `interval`); several due at once apply in
//! order. Source: <https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html>.

use serde::Deserialize;
use toml::Value;

use super::{Decision, Observation, PolicySpec, Reactive, ScalingPolicy, clamp};
use crate::engine::time::{SimDuration, SimTime};
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;

/// The scheduled policy's fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "actions",
        default: "required",
        doc: "[{ at = \"8h\", min, max, desired }, ...]: at each time, set any of the lower bound, the upper bound and the desired count",
    },
    FieldDoc { key: "every", default: "none", doc: "repeat the actions with this period (each at must be below it)" },
    FieldDoc {
        key: "reactive",
        default: "none",
        doc: "a policy that scales between actions, within the scheduled bounds: a table with its own policy = \"...\" and fields (an hpa may name a manifest)",
    },
    FieldDoc {
        key: "min_replicas",
        default: "1",
        doc: "the lower bound before any action (without a reactive policy)",
    },
    FieldDoc {
        key: "max_replicas",
        default: "10",
        doc: "the upper bound before any action (without a reactive policy)",
    },
    FieldDoc { key: "interval", default: "\"15s\"", doc: "time between evaluations (without a reactive policy)" },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    at: Value,
    min: Option<i64>,
    max: Option<i64>,
    desired: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    actions: Vec<RawAction>,
    every: Option<Value>,
    reactive: Option<Value>,
    min_replicas: Option<i64>,
    max_replicas: Option<i64>,
    interval: Option<Value>,
}

/// One scheduled action.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    /// When (from the start, within the period if repeating).
    pub at: SimDuration,
    /// New lower bound.
    pub min: Option<u32>,
    /// New upper bound.
    pub max: Option<u32>,
    /// New desired count.
    pub desired: Option<u32>,
}

/// Configuration of [`Scheduled`].
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledConfig {
    /// The actions, in time order.
    pub actions: Vec<Action>,
    /// Repeat period.
    pub every: Option<SimDuration>,
    /// Evaluation interval without a reactive policy.
    pub interval: SimDuration,
    /// Bounds before any action, without a reactive policy.
    pub bounds: (u32, u32),
    /// The reactive policy.
    pub reactive: Option<Box<PolicySpec>>,
}

/// Validates the scheduled policy's fields.
pub fn validate(cx: &mut Cx<'_>, at: &FieldPath, value: &Value, initial: u32) -> Option<ScheduledConfig> {
    let raw: Raw = cx.parse(at, value)?;
    let every = raw.every.as_ref().map(|v| cx.duration(&at.key("every"), Some(v), SimDuration::ZERO));
    if every.is_some_and(|e| e.is_zero()) {
        cx.error(&at.key("every"), "'0s' is not a period", Some("use e.g. \"24h\"".into()));
    }
    if raw.actions.is_empty() {
        cx.error(&at.key("actions"), "no actions", Some("e.g. actions = [{ at = \"8h\", min = 10 }]".into()));
    }
    let count = |cx: &mut Cx<'_>, p: FieldPath, n: Option<i64>| n.map(|n| cx.int_in(&p, Some(n), 0, 0, 100_000) as u32);
    let mut actions = Vec::new();
    for (i, a) in raw.actions.iter().enumerate() {
        let p = at.key("actions").index(i);
        let when = cx.duration(&p.key("at"), Some(&a.at), SimDuration::ZERO);
        if let Some(e) = every.filter(|e| when >= *e && !e.is_zero()) {
            cx.error(&p.key("at"), format!("'{when}' is not within the period '{e}'"), None);
        }
        let action = Action {
            at: when,
            min: count(cx, p.key("min"), a.min),
            max: count(cx, p.key("max"), a.max),
            desired: count(cx, p.key("desired"), a.desired),
        };
        if action.min.is_none() && action.max.is_none() && action.desired.is_none() {
            cx.error(&p, "the action changes nothing", Some("give min, max and/or desired".into()));
        }
        if let (Some(lo), Some(hi)) = (action.min, action.max)
            && lo > hi
        {
            cx.error(&p.key("min"), format!("'{lo}' is greater than max '{hi}'"), None);
        }
        actions.push(action);
    }
    actions.sort_by_key(|a| a.at);
    let reactive = match &raw.reactive {
        None => None,
        Some(v) => {
            for (key, given) in [
                ("min_replicas", raw.min_replicas.is_some()),
                ("max_replicas", raw.max_replicas.is_some()),
                ("interval", raw.interval.is_some()),
            ] {
                if given {
                    cx.error(
                        &at.key(key),
                        "applies only without a reactive policy",
                        Some("set it in [autoscaler.reactive]".into()),
                    );
                }
            }
            Some(Box::new(super::validate_nested(cx, &at.key("reactive"), v, initial)?))
        }
    };
    let bounds = (
        cx.int_in(&at.key("min_replicas"), raw.min_replicas, 1, 0, 100_000) as u32,
        cx.int_in(&at.key("max_replicas"), raw.max_replicas, 10, 1, 100_000) as u32,
    );
    let interval = cx.duration(&at.key("interval"), raw.interval.as_ref(), SimDuration::from_secs(15));
    if interval.is_zero() {
        cx.error(&at.key("interval"), "'0s' would evaluate without pause", Some("use e.g. \"15s\"".into()));
    }
    Some(ScheduledConfig { actions, every, interval, bounds, reactive })
}

/// Scheduled actions over an optional reactive policy.
pub struct Scheduled {
    config: ScheduledConfig,
    reactive: Reactive,
    bounds: (u32, u32),
    cycle: u64,
    index: usize,
}

impl Scheduled {
    /// The schedule, before its first action.
    pub fn new(config: ScheduledConfig) -> Scheduled {
        let reactive = Reactive::new(config.reactive.as_deref());
        let bounds = config.reactive.as_ref().map_or(config.bounds, |r| r.bounds());
        Scheduled { config, reactive, bounds, cycle: 0, index: 0 }
    }

    /// When the next action is due.
    fn next_due(&self) -> Option<SimTime> {
        let a = self.config.actions.get(self.index)?;
        let period = self.config.every.map_or(0, |e| e.as_nanos());
        Some(SimTime::ZERO + a.at + SimDuration::from_nanos(period.saturating_mul(self.cycle)))
    }
}

impl ScalingPolicy for Scheduled {
    type Config = ScheduledConfig;

    fn interval(&self) -> SimDuration {
        self.reactive.interval(self.config.interval)
    }

    fn decide(&mut self, obs: &Observation<'_>) -> Decision {
        let mut notes = Vec::new();
        let mut desired = None;
        let before = self.bounds;
        while let Some(t) = self.next_due().filter(|t| *t <= obs.now) {
            let a = self.config.actions[self.index].clone();
            let (mut lo, mut hi) = self.bounds;
            lo = a.min.unwrap_or(lo);
            hi = a.max.unwrap_or(hi).max(lo);
            self.bounds = (lo, hi);
            desired = a.desired.or(desired);
            let mut parts = Vec::new();
            if let Some(m) = a.min {
                parts.push(format!("min {m}"));
            }
            if let Some(m) = a.max {
                parts.push(format!("max {m}"));
            }
            if let Some(d) = a.desired {
                parts.push(format!("desired {d}"));
            }
            notes.push(format!("scheduled action at {}: {}", SimDuration::from_nanos(t.as_nanos()), parts.join(", ")));
            self.index += 1;
            if self.index == self.config.actions.len()
                && let Some(e) = self.config.every
                && !e.is_zero()
            {
                self.index = 0;
                self.cycle += 1;
            }
        }
        if self.bounds != before
            && let Some(r) = self.reactive.get_mut()
        {
            r.set_bounds(Some(self.bounds.0), Some(self.bounds.1));
        }
        let bounds = self.bounds;
        if let Some(d) = desired {
            let to = clamp(d, bounds);
            return Decision {
                desired: to,
                reason: format!("{} → {to} (bounds {}–{})", notes.join("; "), bounds.0, bounds.1),
                reading: None,
            };
        }
        let prefix = if notes.is_empty() { String::new() } else { format!("{}; ", notes.join("; ")) };
        match self.reactive.get_mut() {
            Some(r) => {
                let mut d = r.decide(obs);
                d.reason = format!("{prefix}{}", d.reason);
                d
            }
            None => {
                let to = clamp(obs.desired, bounds);
                Decision {
                    desired: to,
                    reason: format!("{prefix}bounds {}–{}: {to}", bounds.0, bounds.1),
                    reading: None,
                }
            }
        }
    }

    fn bounds(&self) -> (u32, u32) {
        self.bounds
    }

    fn set_bounds(&mut self, min: Option<u32>, max: Option<u32>) {
        self.bounds = (min.unwrap_or(self.bounds.0), max.unwrap_or(self.bounds.1));
        self.reactive.set_bounds(min, max);
    }

    fn reconfigure(&mut self, c: &ScheduledConfig) {
        self.reactive.reconfigure(c.reactive.as_deref());
        self.config = c.clone();
    }

    fn record_inputs(&self, out: &mut String, header: bool) {
        self.reactive.record_inputs(out, header);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::FleetMetrics;

    #[test]
    fn actions_apply_when_due_and_repeat_every_period() {
        let config = ScheduledConfig {
            actions: vec![
                Action { at: SimDuration::from_secs(60), min: Some(5), max: None, desired: None },
                Action { at: SimDuration::from_secs(120), min: Some(1), max: Some(3), desired: None },
            ],
            every: Some(SimDuration::from_secs(300)),
            interval: SimDuration::from_secs(15),
            bounds: (2, 10),
            reactive: None,
        };
        let mut p = Scheduled::new(config);
        let fleet = FleetMetrics::default();
        let mut at = |t: u64, desired: u32| {
            let obs = Observation {
                now: SimTime::from_secs(t),
                desired,
                current: desired,
                ready: desired,
                pods: &[],
                fleet: &fleet,
            };
            p.decide(&obs)
        };
        assert_eq!(at(0, 2).desired, 2);
        let d = at(60, 2);
        assert_eq!(d.desired, 5, "min 5 raises the count");
        assert!(d.reason.starts_with("scheduled action at 1m: min 5"), "{}", d.reason);
        assert_eq!(at(135, 5).desired, 3, "max 3 lowers it");
        assert_eq!(at(300, 3).desired, 3);
        assert_eq!(at(360, 3).desired, 5, "the next day's first action");
    }
}
