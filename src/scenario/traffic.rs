//! `[traffic]`: where requests come from — synthetic shapes, a rate trace or
//! a per-request log — how arrivals are spaced, and the read/write and key mix.

use std::sync::Arc;

use serde::Deserialize;
use toml::Value;

use super::limits::Limits;
use super::trace::{Reach, load_rate_trace, load_request_log};
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;
use crate::model::traffic::{Arrivals, Interpolation, Shape, Source, TrafficSpec};

/// The `[traffic]` fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "shape",
        default: "required unless trace or requests",
        doc: "a synthetic shape, or a list of shapes that add up: { kind = \"constant\", rps }, { kind = \"ramp\", from_rps, to_rps, over, at = \"0s\" }, { kind = \"step\", base_rps, peak_rps, at, hold = forever }, { kind = \"diurnal\", mean_rps, amplitude, period, peak_at = period/4 }, { kind = \"flash_crowd\", base_rps, peak_rps, at, rise, decay } (the excess decays as exp(-t/decay)). Whatever the source, the offered load is at most 10000000 rps and 5000000000 requests over the run, traffic_multiplier events included ([limits] can raise them)",
    },
    FieldDoc {
        key: "trace",
        default: "none",
        doc: "a rate trace CSV (t_seconds,rps, seconds from the start of the trace), relative to the scenario file; every row within the longest run, offset + 400d × speedup ([limits] can raise it)",
    },
    FieldDoc {
        key: "requests",
        default: "none",
        doc: "a per-request log CSV (t_seconds[,key][,kind|method]), replayed row by row",
    },
    FieldDoc {
        key: "interpolation",
        default: "\"step\"",
        doc: "between trace rows: \"step\" (each row's rate holds for its bucket) or \"linear\"",
    },
    FieldDoc {
        key: "scale",
        default: "1.0",
        doc: "multiplies the trace's rates (a log's rows are repeated or thinned at random); finite and greater than zero",
    },
    FieldDoc {
        key: "speedup",
        default: "1.0",
        doc: "time compression: 60 plays an hour of trace in a minute with the rates unchanged (a log keeps each row with probability scale/speedup)",
    },
    FieldDoc { key: "offset", default: "\"0s\"", doc: "where in the trace the run starts, in trace time" },
    FieldDoc {
        key: "arrivals",
        default: "\"poisson\"",
        doc: "\"poisson\" (non-homogeneous, by thinning) or \"uniform\" (evenly spaced at the current rate)",
    },
    FieldDoc {
        key: "write_fraction",
        default: "0.0",
        doc: "share of requests that are writes (unless a log gives each row's kind)",
    },
    FieldDoc {
        key: "keys",
        default: "{ count = 10000, zipf = 1.0 }",
        doc: "the keyspace reads draw from: count keys (at most 10000000; [limits] can raise it), Zipf exponent (0 is uniform)",
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    shape: Option<Value>,
    trace: Option<String>,
    requests: Option<String>,
    interpolation: Option<String>,
    scale: Option<f64>,
    speedup: Option<f64>,
    offset: Option<Value>,
    arrivals: Option<String>,
    write_fraction: Option<f64>,
    keys: Option<RawKeys>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeys {
    count: Option<i64>,
    zipf: Option<f64>,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum RawShape {
    Constant { rps: f64 },
    Ramp { from_rps: f64, to_rps: f64, over: Value, at: Option<Value> },
    Step { base_rps: f64, peak_rps: f64, at: Value, hold: Option<Value> },
    Diurnal { mean_rps: f64, amplitude: f64, period: Value, peak_at: Option<Value> },
    FlashCrowd { base_rps: f64, peak_rps: f64, at: Value, rise: Value, decay: Value },
}

/// Validates `[traffic]`.
pub fn validate(cx: &mut Cx<'_>, limits: &Limits) -> Option<TrafficSpec> {
    let at = FieldPath::root().key("traffic");
    let Some(value) = cx.value(&at) else {
        cx.error(
            &at,
            "missing: the scenario needs a [traffic] section",
            Some("add [traffic] with shape = { kind = \"constant\", rps = 100 } or trace = \"traces/....csv\"".into()),
        );
        return None;
    };
    let raw: Raw = cx.parse(&at, value)?;
    let speedup = cx.positive(&at.key("speedup"), raw.speedup, 1.0);
    let offset = cx.duration(&at.key("offset"), raw.offset.as_ref(), Default::default()).as_secs_f64();
    let reach = Reach { offset, speedup, longest: limits.duration };
    let sources = [raw.shape.is_some(), raw.trace.is_some(), raw.requests.is_some()];
    let source = match sources.iter().filter(|s| **s).count() {
        0 => {
            cx.error(&at, "no traffic source", Some("give one of shape, trace or requests".into()));
            return None;
        }
        1 => {
            if let Some(shape) = &raw.shape {
                Source::Shapes(shapes(cx, &at.key("shape"), shape)?)
            } else if let Some(rel) = &raw.trace {
                let interpolation = match cx.choice(
                    &at.key("interpolation"),
                    raw.interpolation.as_deref(),
                    "step",
                    &["step", "linear"],
                ) {
                    "linear" => Interpolation::Linear,
                    _ => Interpolation::Step,
                };
                match load_rate_trace(&cx.doc.resolve(rel), reach) {
                    Ok(t) => Source::Trace { trace: Arc::new(t), interpolation },
                    Err(p) => {
                        cx.push(p);
                        return None;
                    }
                }
            } else {
                let rel = raw.requests.as_deref().unwrap_or_default();
                match load_request_log(&cx.doc.resolve(rel), reach, limits.keys) {
                    Ok(log) => Source::Requests(log),
                    Err(p) => {
                        cx.push(p);
                        return None;
                    }
                }
            }
        }
        _ => {
            cx.error(&at, "more than one traffic source", Some("give only one of shape, trace or requests".into()));
            return None;
        }
    };
    if matches!(source, Source::Shapes(_)) {
        for key in ["interpolation", "scale", "speedup", "offset"] {
            if cx.value(&at.key(key)).is_some() {
                cx.error(
                    &at.key(key),
                    format!("'{key}' applies to traces, not to shapes"),
                    Some("remove it, or scale the shape's own rates".into()),
                );
            }
        }
    }
    let keys = raw.keys.unwrap_or(RawKeys { count: None, zipf: None });
    let spec = TrafficSpec {
        scale: cx.positive(&at.key("scale"), raw.scale, 1.0),
        speedup,
        offset,
        arrivals: match cx.choice(&at.key("arrivals"), raw.arrivals.as_deref(), "poisson", &["poisson", "uniform"]) {
            "uniform" => Arrivals::Uniform,
            _ => Arrivals::Poisson,
        },
        write_fraction: cx.float_in(&at.key("write_fraction"), raw.write_fraction, 0.0, 0.0, 1.0),
        key_count: key_count(cx, &at.key("keys").key("count"), keys.count, limits),
        zipf: cx.float_in(&at.key("keys").key("zipf"), keys.zipf, 1.0, 0.0, 10.0),
        source,
    };
    if let Some(len) = spec.natural_length().filter(|l| *l <= 0.0) {
        cx.error(
            &at.key("offset"),
            format!("the offset leaves {len} s of trace to play"),
            Some("use an offset inside the trace".into()),
        );
    }
    Some(spec)
}

/// `keys.count`, within the key limit (a cache holds an entry per key).
fn key_count(cx: &mut Cx<'_>, at: &FieldPath, count: Option<i64>, limits: &Limits) -> u64 {
    let n = cx.int_in(at, count, 10_000, 1, u64::MAX);
    if n > limits.keys {
        cx.error(
            at,
            format!("'{n}' keys are more than {}", limits.keys),
            Some(format!(
                "a cache holds an entry per key: use at most {} keys, or raise limits.keys deliberately",
                limits.keys
            )),
        );
        return 10_000;
    }
    n
}

fn shapes(cx: &mut Cx<'_>, at: &FieldPath, value: &Value) -> Option<Vec<Shape>> {
    let items: Vec<(FieldPath, &Value)> = match value {
        Value::Array(a) => a.iter().enumerate().map(|(i, v)| (at.index(i), v)).collect(),
        v => vec![(at.clone(), v)],
    };
    if items.is_empty() {
        cx.error(at, "the list of shapes is empty", Some("give at least one shape".into()));
        return None;
    }
    let mut out = Vec::new();
    for (path, v) in items {
        let raw: RawShape = cx.parse(&path, v)?;
        let mut secs = |key: &str, v: Option<&Value>, default: f64| -> f64 {
            match v {
                Some(_) => cx.duration(&path.key(key), v, Default::default()).as_secs_f64(),
                None => default,
            }
        };
        let shape = match raw {
            RawShape::Constant { rps } => Shape::Constant { rps },
            RawShape::Ramp { from_rps, to_rps, over, at } => {
                Shape::Ramp { from_rps, to_rps, at: secs("at", at.as_ref(), 0.0), over: secs("over", Some(&over), 0.0) }
            }
            RawShape::Step { base_rps, peak_rps, at, hold } => Shape::Step {
                base_rps,
                peak_rps,
                at: secs("at", Some(&at), 0.0),
                hold: secs("hold", hold.as_ref(), f64::INFINITY),
            },
            RawShape::Diurnal { mean_rps, amplitude, period, peak_at } => {
                let period = secs("period", Some(&period), 86_400.0);
                Shape::Diurnal { mean_rps, amplitude, period, peak_at: secs("peak_at", peak_at.as_ref(), period / 4.0) }
            }
            RawShape::FlashCrowd { base_rps, peak_rps, at, rise, decay } => Shape::FlashCrowd {
                base_rps,
                peak_rps,
                at: secs("at", Some(&at), 0.0),
                rise: secs("rise", Some(&rise), 0.0),
                decay: secs("decay", Some(&decay), 0.0),
            },
        };
        check_shape(cx, &path, &shape);
        out.push(shape);
    }
    Some(out)
}

fn check_shape(cx: &mut Cx<'_>, at: &FieldPath, shape: &Shape) {
    let rates: Vec<(&str, f64)> = match *shape {
        Shape::Constant { rps } => vec![("rps", rps)],
        Shape::Ramp { from_rps, to_rps, .. } => vec![("from_rps", from_rps), ("to_rps", to_rps)],
        Shape::Step { base_rps, peak_rps, .. } | Shape::FlashCrowd { base_rps, peak_rps, .. } => {
            vec![("base_rps", base_rps), ("peak_rps", peak_rps)]
        }
        Shape::Diurnal { mean_rps, .. } => vec![("mean_rps", mean_rps)],
    };
    for (key, rps) in rates {
        if !(rps >= 0.0 && rps.is_finite()) {
            cx.error(&at.key(key), format!("'{rps}' is not a rate"), Some("use requests per second ≥ 0".into()));
        }
    }
    match *shape {
        Shape::Diurnal { amplitude, period, .. } => {
            if !(0.0..=1.0).contains(&amplitude) {
                cx.error(
                    &at.key("amplitude"),
                    format!("'{amplitude}' is out of range"),
                    Some("use a relative swing between 0 and 1".into()),
                );
            }
            if period <= 0.0 {
                cx.error(
                    &at.key("period"),
                    "the period must be longer than zero",
                    Some("e.g. period = \"24h\"".into()),
                );
            }
        }
        Shape::FlashCrowd { decay, .. } if decay <= 0.0 => {
            cx.error(&at.key("decay"), "the decay must be longer than zero", Some("e.g. decay = \"10m\"".into()));
        }
        _ => {}
    }
}
