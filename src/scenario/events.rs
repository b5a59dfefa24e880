//! `[[events]]`: faults and operator actions at given times. One list serves
//! scenarios and game days alike: a TUI session is saved in this format and
//! `scalesim run --events` replays it.

use std::fmt::Write as _;

use serde::Deserialize;
use toml::Value;

use crate::engine::time::{SimDuration, SimTime};
use crate::input::check::{Cx, FieldDoc, parse_duration_value};
use crate::input::problem::FieldPath;

/// The `[[events]]` fields common to every action.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc { key: "at", default: "required", doc: "when, from the start of the run (\"20m\"), at most its duration" },
    FieldDoc {
        key: "action",
        default: "required",
        doc: "kill_instances { count | fraction } · kill_zone { zone } (0 to fleet.zones − 1) · traffic_multiplier { factor, duration = forever } · add_latency { latency, duration = forever } · dependency_errors { rate, duration = forever } · db_slowdown { factor, duration = forever } · db_outage { duration = forever } (both on every primary; read replicas go on) · cache_flush · freeze_autoscaler · unfreeze_autoscaler · set_min_replicas { replicas } · set_max_replicas { replicas } · set_replicas { replicas } (freezes the autoscaler at a fixed count) · set_policy_field { field, value } · resize { tier = \"app\" | \"database\" | \"replicas\", type | step } (another instance type, or step sizes up (+) or down (−) the family; the largest type is the ceiling)",
    },
];

#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum RawAction {
    KillInstances {
        count: Option<i64>,
        fraction: Option<f64>,
    },
    KillZone {
        zone: i64,
    },
    TrafficMultiplier {
        factor: f64,
        duration: Option<Value>,
    },
    AddLatency {
        latency: Value,
        duration: Option<Value>,
    },
    DependencyErrors {
        rate: f64,
        duration: Option<Value>,
    },
    DbSlowdown {
        factor: f64,
        duration: Option<Value>,
    },
    DbOutage {
        duration: Option<Value>,
    },
    CacheFlush {},
    FreezeAutoscaler {},
    UnfreezeAutoscaler {},
    SetMinReplicas {
        replicas: i64,
    },
    SetMaxReplicas {
        replicas: i64,
    },
    SetReplicas {
        replicas: i64,
    },
    SetPolicyField {
        field: String,
        value: Value,
    },
    Resize {
        tier: Option<String>,
        #[serde(rename = "type")]
        instance_type: Option<String>,
        step: Option<i64>,
    },
}

/// What a resize applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// The app fleet (as `[fleet] resize` says: recreate, surge or in place).
    App,
    /// The database primary (every shard), with a failover pause.
    Database,
    /// The read replicas, one at a time, each out of rotation while it restarts.
    Replicas,
}

impl Tier {
    /// Its name in a scenario.
    pub fn name(self) -> &'static str {
        match self {
            Tier::App => "app",
            Tier::Database => "database",
            Tier::Replicas => "replicas",
        }
    }
}

/// The size a resize goes to.
#[derive(Clone, Debug, PartialEq)]
pub enum Size {
    /// A named type of the tier's family.
    Type(String),
    /// This many sizes up (positive) or down (negative) from the current type.
    Step(i32),
}

/// How many instances a kill takes.
#[derive(Clone, Debug, PartialEq)]
pub enum KillAmount {
    /// This many (at most all).
    Count(u32),
    /// This share of the running instances, rounded to the nearest.
    Fraction(f64),
}

/// A fault or an operator action.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Kill running instances (a crash: in-flight requests die as `killed`);
    /// the autoscaler sees fewer replicas and replaces them.
    KillInstances(KillAmount),
    /// Kill every instance in one zone.
    KillZone(u32),
    /// Multiply offered traffic, for a while or for good.
    TrafficMultiplier {
        /// The factor.
        factor: f64,
        /// How long, if not for good.
        duration: Option<SimDuration>,
    },
    /// Add network latency to every request, for a while or for good.
    AddLatency {
        /// Added latency.
        latency: SimDuration,
        /// How long, if not for good.
        duration: Option<SimDuration>,
    },
    /// Make a share of requests fail in a downstream dependency.
    DependencyErrors {
        /// Share failing, 0..1.
        rate: f64,
        /// How long, if not for good.
        duration: Option<SimDuration>,
    },
    /// Slow every database query by a factor, for a while or for good.
    DbSlowdown {
        /// Queries take this many times longer.
        factor: f64,
        /// How long, if not for good.
        duration: Option<SimDuration>,
    },
    /// The database goes down: connects are refused, running queries fail,
    /// every connection is dropped; pools reconnect when it returns.
    DbOutage {
        /// How long, if not for good.
        duration: Option<SimDuration>,
    },
    /// The shared cache loses every key.
    CacheFlush,
    /// Stop applying the autoscaler's decisions.
    FreezeAutoscaler,
    /// Apply them again.
    UnfreezeAutoscaler,
    /// Change the policy's lower bound.
    SetMinReplicas(u32),
    /// Change the policy's upper bound.
    SetMaxReplicas(u32),
    /// Freeze the autoscaler and scale to a fixed count.
    SetReplicas(u32),
    /// Change one of the policy's fields.
    SetPolicyField {
        /// The field, as in the `[autoscaler]` section.
        field: String,
        /// The new value.
        value: Value,
    },
    /// Move a tier to another instance type of its family (scale up or
    /// down); refused past the family's largest type, the ceiling.
    Resize {
        /// Which tier.
        tier: Tier,
        /// To what size.
        to: Size,
    },
}

impl Action {
    /// The action's name, as written in `action = "..."`.
    pub fn name(&self) -> &'static str {
        match self {
            Action::KillInstances(_) => "kill_instances",
            Action::KillZone(_) => "kill_zone",
            Action::TrafficMultiplier { .. } => "traffic_multiplier",
            Action::AddLatency { .. } => "add_latency",
            Action::DependencyErrors { .. } => "dependency_errors",
            Action::DbSlowdown { .. } => "db_slowdown",
            Action::DbOutage { .. } => "db_outage",
            Action::CacheFlush => "cache_flush",
            Action::FreezeAutoscaler => "freeze_autoscaler",
            Action::UnfreezeAutoscaler => "unfreeze_autoscaler",
            Action::SetMinReplicas(_) => "set_min_replicas",
            Action::SetMaxReplicas(_) => "set_max_replicas",
            Action::SetReplicas(_) => "set_replicas",
            Action::SetPolicyField { .. } => "set_policy_field",
            Action::Resize { .. } => "resize",
        }
    }

    /// The action's own fields (everything but `at` and `action`), in the
    /// order a person would write them, as [`validate`] reads them back.
    pub fn fields(&self) -> Vec<(&'static str, Value)> {
        let time = |d: &SimDuration| Value::String(d.to_string());
        let period = |d: &Option<SimDuration>| d.iter().map(|d| ("duration", time(d))).collect::<Vec<_>>();
        let int = |n: u32| Value::Integer(i64::from(n));
        match self {
            Action::KillInstances(KillAmount::Count(n)) => vec![("count", int(*n))],
            Action::KillInstances(KillAmount::Fraction(f)) => vec![("fraction", Value::Float(*f))],
            Action::KillZone(zone) => vec![("zone", int(*zone))],
            Action::TrafficMultiplier { factor, duration } => {
                [("factor", Value::Float(*factor))].into_iter().chain(period(duration)).collect()
            }
            Action::AddLatency { latency, duration } => {
                [("latency", time(latency))].into_iter().chain(period(duration)).collect()
            }
            Action::DependencyErrors { rate, duration } => {
                [("rate", Value::Float(*rate))].into_iter().chain(period(duration)).collect()
            }
            Action::DbSlowdown { factor, duration } => {
                [("factor", Value::Float(*factor))].into_iter().chain(period(duration)).collect()
            }
            Action::DbOutage { duration } => period(duration),
            Action::CacheFlush | Action::FreezeAutoscaler | Action::UnfreezeAutoscaler => vec![],
            Action::SetMinReplicas(n) | Action::SetMaxReplicas(n) | Action::SetReplicas(n) => {
                vec![("replicas", int(*n))]
            }
            Action::SetPolicyField { field, value } => {
                vec![("field", Value::String(field.clone())), ("value", value.clone())]
            }
            Action::Resize { tier, to } => {
                let to = match to {
                    Size::Type(name) => ("type", Value::String(name.clone())),
                    Size::Step(n) => ("step", Value::Integer(i64::from(*n))),
                };
                vec![("tier", Value::String(tier.name().into())), to]
            }
        }
    }

    /// Whether this is an operator action (not a fault).
    pub fn is_intervention(&self) -> bool {
        matches!(
            self,
            Action::FreezeAutoscaler
                | Action::UnfreezeAutoscaler
                | Action::SetMinReplicas(_)
                | Action::SetMaxReplicas(_)
                | Action::SetReplicas(_)
                | Action::SetPolicyField { .. }
                | Action::Resize { .. }
        )
    }
}

/// An action at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedAction {
    /// When.
    pub at: SimTime,
    /// What.
    pub action: Action,
}

/// Writes timed actions as `[[events]]` tables in the format [`validate`]
/// reads, so a game-day session replays with `scalesim run --events`. Times
/// are exact and readable: `"20m"`, `"1500ms"`, or to the nanosecond
/// `"17m50.468515470s"` (files with `"1070468515470ns"` still load).
pub fn to_toml(events: &[TimedAction]) -> String {
    let mut out = String::new();
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "[[events]]\nat = \"{}\"\naction = \"{}\"",
            exact(e.at.saturating_since(SimTime::ZERO)),
            e.action.name()
        );
        for (key, value) in e.action.fields() {
            let _ = writeln!(out, "{key} = {value}");
        }
    }
    out
}

/// A duration as written in a session: the shortest form when it is whole
/// milliseconds, else days, hours and minutes and the seconds with nine
/// decimals. [`SimDuration::parse`] reads the seconds part back exactly:
/// under a minute with nine decimals is 11 significant digits, well within
/// an f64's 15, and it rounds to the nearest nanosecond.
fn exact(d: SimDuration) -> String {
    const NS: u64 = 1_000_000_000;
    if d.as_nanos() % 1_000_000 == 0 {
        return d.to_string();
    }
    let (secs, ns) = (d.as_nanos() / NS, d.as_nanos() % NS);
    let (days, hours, minutes) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    let mut out = String::new();
    if days > 0 {
        out.push_str(&format!("{days}d"));
    }
    if secs >= 3600 {
        out.push_str(&format!("{hours}h"));
    }
    if secs >= 60 {
        out.push_str(&format!("{minutes}m"));
    }
    out.push_str(&format!("{}.{ns:09}s", secs % 60));
    out
}

/// Validates the `[[events]]` list, in file order.
pub fn validate(cx: &mut Cx<'_>) -> Vec<TimedAction> {
    let at = FieldPath::root().key("events");
    let Some(value) = cx.value(&at) else {
        return Vec::new();
    };
    let Value::Array(items) = value else {
        cx.error(
            &at,
            "must be a list of [[events]] tables",
            Some("write each event as [[events]] with at = ... and action = ...".into()),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = at.index(i);
        let Value::Table(t) = item else {
            cx.error(&path, "must be a table", None);
            continue;
        };
        let mut t = t.clone();
        let when = match t.remove("at") {
            Some(v) => match parse_duration_value(&v) {
                Ok(d) => SimTime::ZERO + d,
                Err(m) => {
                    cx.error(&path.key("at"), m, Some(crate::input::check::DURATION_HINT.into()));
                    continue;
                }
            },
            None => {
                cx.error(&path, "missing 'at'", Some("say when, e.g. at = \"20m\"".into()));
                continue;
            }
        };
        if let Some(action) = action(cx, &path, Value::Table(t)) {
            out.push(TimedAction { at: when, action });
        }
    }
    out
}

fn action(cx: &mut Cx<'_>, path: &FieldPath, value: Value) -> Option<Action> {
    let raw: RawAction = cx.parse(path, &value)?;
    let period = |cx: &mut Cx<'_>, d: Option<Value>| -> Option<SimDuration> {
        let d = cx.duration(&path.key("duration"), d.as_ref(), SimDuration::ZERO);
        (!d.is_zero()).then_some(d)
    };
    Some(match raw {
        RawAction::KillInstances { count, fraction } => match (count, fraction) {
            (Some(n), None) => {
                Action::KillInstances(KillAmount::Count(
                    cx.int_in(&path.key("count"), Some(n), 1, 1, u32::MAX as u64) as u32
                ))
            }
            (None, Some(f)) => {
                Action::KillInstances(KillAmount::Fraction(cx.float_in(&path.key("fraction"), Some(f), 0.0, 0.0, 1.0)))
            }
            _ => {
                cx.error(
                    path,
                    "kill_instances needs exactly one of count and fraction",
                    Some("e.g. fraction = 0.3".into()),
                );
                return None;
            }
        },
        RawAction::KillZone { zone } => Action::KillZone(cx.int_in(&path.key("zone"), Some(zone), 0, 0, 63) as u32),
        RawAction::TrafficMultiplier { factor, duration } => Action::TrafficMultiplier {
            factor: cx.float_in(&path.key("factor"), Some(factor), 1.0, 0.0, 1000.0),
            duration: period(cx, duration),
        },
        RawAction::AddLatency { latency, duration } => {
            let latency = cx.duration(&path.key("latency"), Some(&latency), SimDuration::ZERO);
            Action::AddLatency { latency, duration: period(cx, duration) }
        }
        RawAction::DependencyErrors { rate, duration } => Action::DependencyErrors {
            rate: cx.float_in(&path.key("rate"), Some(rate), 0.0, 0.0, 1.0),
            duration: period(cx, duration),
        },
        RawAction::DbSlowdown { factor, duration } => Action::DbSlowdown {
            factor: cx.float_in(&path.key("factor"), Some(factor), 1.0, 1.0, 1000.0),
            duration: period(cx, duration),
        },
        RawAction::DbOutage { duration } => Action::DbOutage { duration: period(cx, duration) },
        RawAction::CacheFlush {} => Action::CacheFlush,
        RawAction::FreezeAutoscaler {} => Action::FreezeAutoscaler,
        RawAction::UnfreezeAutoscaler {} => Action::UnfreezeAutoscaler,
        RawAction::SetMinReplicas { replicas } => {
            Action::SetMinReplicas(cx.int_in(&path.key("replicas"), Some(replicas), 0, 0, 100_000) as u32)
        }
        RawAction::SetMaxReplicas { replicas } => {
            Action::SetMaxReplicas(cx.int_in(&path.key("replicas"), Some(replicas), 1, 1, 100_000) as u32)
        }
        RawAction::SetReplicas { replicas } => {
            Action::SetReplicas(cx.int_in(&path.key("replicas"), Some(replicas), 0, 0, 100_000) as u32)
        }
        RawAction::SetPolicyField { field, value } => Action::SetPolicyField { field, value },
        RawAction::Resize { tier, instance_type, step } => {
            let tier = match cx.choice(&path.key("tier"), tier.as_deref(), "app", &["app", "database", "replicas"]) {
                "database" => Tier::Database,
                "replicas" => Tier::Replicas,
                _ => Tier::App,
            };
            let to = match (instance_type, step) {
                (Some(t), None) => Size::Type(t),
                (None, Some(n)) if n != 0 => {
                    Size::Step(cx.int_in(&path.key("step"), Some(n.abs()), 1, 1, 64) as i32 * n.signum() as i32)
                }
                _ => {
                    cx.error(
                        path,
                        "resize needs exactly one of type and step (not 0)",
                        Some("e.g. type = \"m6i.4xlarge\", or step = 1 for one size up".into()),
                    );
                    return None;
                }
            };
            Action::Resize { tier, to }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::input::document::Document;

    fn parse(text: &str) -> Vec<TimedAction> {
        let doc = Document::from_text(Path::new("session.toml"), text, &[]).expect("parses");
        let mut cx = Cx::new(&doc);
        let out = validate(&mut cx);
        cx.finish().expect("valid");
        out
    }

    #[test]
    fn written_events_read_back_as_the_same_actions() {
        let t = |ns: u64| SimTime::from_nanos(ns);
        let policy_value: toml::Table = toml::from_str("a = 1\nb = \"x\"").unwrap();
        let events = vec![
            TimedAction { at: t(0), action: Action::KillInstances(KillAmount::Fraction(0.3)) },
            TimedAction { at: t(1_234_567_891), action: Action::KillInstances(KillAmount::Count(4)) },
            TimedAction { at: t(60_000_000_000), action: Action::KillZone(2) },
            TimedAction {
                at: t(61_000_000_000),
                action: Action::TrafficMultiplier { factor: 2.0, duration: Some(SimDuration::from_secs(300)) },
            },
            TimedAction { at: t(62_000_000_000), action: Action::TrafficMultiplier { factor: 0.1, duration: None } },
            TimedAction {
                at: t(63_000_000_000),
                action: Action::AddLatency {
                    latency: SimDuration::from_micros(1500),
                    duration: Some(SimDuration::from_nanos(7)),
                },
            },
            TimedAction { at: t(64_000_000_000), action: Action::DependencyErrors { rate: 1.0 / 3.0, duration: None } },
            TimedAction {
                at: t(64_500_000_000),
                action: Action::DbSlowdown { factor: 4.0, duration: Some(SimDuration::from_secs(120)) },
            },
            TimedAction { at: t(64_600_000_000), action: Action::DbOutage { duration: None } },
            TimedAction {
                at: t(64_700_000_000),
                action: Action::DbOutage { duration: Some(SimDuration::from_millis(1500)) },
            },
            TimedAction { at: t(64_800_000_000), action: Action::CacheFlush },
            TimedAction { at: t(65_000_000_000), action: Action::FreezeAutoscaler },
            TimedAction { at: t(65_000_000_000), action: Action::UnfreezeAutoscaler },
            TimedAction { at: t(5_400_000_000_000), action: Action::SetMinReplicas(0) },
            TimedAction { at: t(5_400_000_000_001), action: Action::SetMaxReplicas(30) },
            TimedAction { at: t(5_400_000_000_002), action: Action::SetReplicas(12) },
            TimedAction {
                at: t(5_400_000_000_003),
                action: Action::SetPolicyField { field: "scale_up_above".into(), value: Value::Float(0.65) },
            },
            TimedAction {
                at: t(5_400_000_000_004),
                action: Action::SetPolicyField { field: "x".into(), value: Value::Table(policy_value) },
            },
            TimedAction {
                at: t(5_400_000_000_005),
                action: Action::Resize { tier: Tier::Database, to: Size::Type("db.r6g.2xlarge".into()) },
            },
            TimedAction { at: t(5_400_000_000_006), action: Action::Resize { tier: Tier::App, to: Size::Step(-2) } },
        ];
        let text = to_toml(&events);
        assert_eq!(parse(&text), events, "{text}");
        assert!(text.starts_with("[[events]]\nat = \"0s\"\naction = \"kill_instances\"\nfraction = 0.3\n\n"), "{text}");
        assert!(text.contains("at = \"1.234567891s\"\naction = \"kill_instances\"\ncount = 4\n"), "{text}");
        assert!(text.contains("at = \"90m\"\naction = \"set_min_replicas\"\nreplicas = 0\n"), "{text}");
        assert!(text.contains("factor = 2.0\nduration = \"5m\"\n"), "{text}");
        assert_eq!(to_toml(&[]), "");
    }

    #[test]
    fn session_times_are_readable_and_exact_to_the_nanosecond() {
        let cases = [
            (1_070_468_515_470, "17m50.468515470s"),
            (1_500_000_000, "1500ms"),
            (1_200_000_000_000, "20m"),
            (7, "0.000000007s"),
            (86_400_000_000_001, "1d0h0m0.000000001s"),
            (7_518_400_123_456_789, "87d0h26m40.123456789s"),
        ];
        for (ns, text) in cases {
            assert_eq!(exact(SimDuration::from_nanos(ns)), text);
            assert_eq!(SimDuration::parse(text), Ok(SimDuration::from_nanos(ns)), "{text}");
        }
        // Every nanosecond offset of a long run reads back exactly.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let d = SimDuration::from_nanos(x % (200 * 86_400 * 1_000_000_000));
            assert_eq!(SimDuration::parse(&exact(d)), Ok(d), "{}", exact(d));
        }
        // Sessions written before still load.
        assert_eq!(SimDuration::parse("1070468515470ns"), Ok(SimDuration::from_nanos(1_070_468_515_470)));
    }
}
