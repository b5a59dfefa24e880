//! `[vertical]`: a vertical autoscaler for the app tier, after the
//! Kubernetes Vertical Pod Autoscaler's recommender
//! (`vertical-pod-autoscaler/pkg/recommender/logic/recommender.go`): every
//! `interval` it pools the per-instance CPU usage samples the metrics
//! pipeline shows over `window`, and recommends
//!
//! - target = the 90th percentile of usage × (1 + margin), margin 0.15
//!   (`--target-cpu-percentile`, `--recommendation-margin-fraction`);
//! - lower bound = the 50th percentile × (1 + margin), upper bound = the
//!   95th × (1 + margin).
//!
//! As the VPA updater does, it acts only when the current size is outside
//! [lower, upper], and then moves the fleet to the smallest type of its
//! family with at least the target's cores, within `min_type`..`max_type`
//! (the VPA's minAllowed/maxAllowed; by default the whole family, whose
//! largest type is the hard ceiling). A change reaches running instances as
//! `[fleet] resize` says: evicted and recreated one by one, surged, or in
//! place. Where the VPA keeps a decaying histogram over days (half-life
//! 24 h), this keeps a sliding window, sized for simulated hours; it waits
//! for half a window of history before acting (the VPA's confidence
//! multipliers likewise hold back on short histories).

use serde::Deserialize;
use toml::Value;

use super::fleet::FleetSpec;
use crate::engine::time::SimDuration;
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;

/// The `[vertical]` fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "interval",
        default: "\"1m\"",
        doc: "how often the recommendation is computed (the VPA recommender's)",
    },
    FieldDoc { key: "window", default: "\"10m\"", doc: "the usage history the recommendation is computed from" },
    FieldDoc {
        key: "target_percentile",
        default: "0.9",
        doc: "the usage percentile the target is based on (VPA --target-cpu-percentile)",
    },
    FieldDoc {
        key: "lower_percentile",
        default: "0.5",
        doc: "the percentile of the lower bound: below it the instances are too small",
    },
    FieldDoc {
        key: "upper_percentile",
        default: "0.95",
        doc: "the percentile of the upper bound: above it they are too big",
    },
    FieldDoc {
        key: "margin",
        default: "0.15",
        doc: "safety margin added to each percentile (VPA --recommendation-margin-fraction)",
    },
    FieldDoc { key: "min_type", default: "the family's smallest", doc: "the smallest type it may choose (minAllowed)" },
    FieldDoc {
        key: "max_type",
        default: "the family's largest",
        doc: "the largest type it may choose (maxAllowed); a recommendation above it is capped, with an event",
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    interval: Option<Value>,
    window: Option<Value>,
    target_percentile: Option<f64>,
    lower_percentile: Option<f64>,
    upper_percentile: Option<f64>,
    margin: Option<f64>,
    min_type: Option<String>,
    max_type: Option<String>,
}

/// The validated `[vertical]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct VerticalSpec {
    /// Time between recommendations.
    pub interval: SimDuration,
    /// Usage history.
    pub window: SimDuration,
    /// Percentile of the target.
    pub target_percentile: f64,
    /// Percentile of the lower bound.
    pub lower_percentile: f64,
    /// Percentile of the upper bound.
    pub upper_percentile: f64,
    /// Safety margin.
    pub margin: f64,
    /// Smallest allowed type (index in the fleet's family).
    pub min_type: usize,
    /// Largest allowed type.
    pub max_type: usize,
}

/// Validates `[vertical]` for the fleet it resizes.
pub fn validate(cx: &mut Cx<'_>, fleet: Option<&FleetSpec>) -> Option<Option<VerticalSpec>> {
    let at = FieldPath::root().key("vertical");
    let Some(value) = cx.value(&at) else { return Some(None) };
    let raw: Raw = cx.parse(&at, value)?;
    let fleet = fleet?;
    let Some(family) = fleet.family.clone() else {
        cx.error(
            &at,
            "vertical scaling needs the fleet's instance types",
            Some("add types = \"../models/instance-types/<family>.toml\" and type = \"...\" to [fleet]".into()),
        );
        return None;
    };
    let pick = |cx: &mut Cx<'_>, key: &str, name: Option<&String>, default: usize| match name {
        None => default,
        Some(n) => family.find(n).unwrap_or_else(|| {
            let hint = format!("the types of {} are: {}", family.name, family.names().join(", "));
            cx.error(&at.key(key), format!("'{n}' is not a type of the {} family", family.name), Some(hint));
            default
        }),
    };
    let min_type = pick(cx, "min_type", raw.min_type.as_ref(), 0);
    let max_type = pick(cx, "max_type", raw.max_type.as_ref(), family.largest());
    if max_type < min_type {
        cx.error(
            &at.key("max_type"),
            format!("'{}' is smaller than min_type '{}'", family.types[max_type].name, family.types[min_type].name),
            Some("swap them".into()),
        );
    }
    let pct =
        |cx: &mut Cx<'_>, key: &str, x: Option<f64>, default: f64| cx.float_in(&at.key(key), x, default, 0.0, 1.0);
    let spec = VerticalSpec {
        interval: cx.duration(&at.key("interval"), raw.interval.as_ref(), SimDuration::from_secs(60)),
        window: cx.duration(&at.key("window"), raw.window.as_ref(), SimDuration::from_secs(600)),
        target_percentile: pct(cx, "target_percentile", raw.target_percentile, 0.9),
        lower_percentile: pct(cx, "lower_percentile", raw.lower_percentile, 0.5),
        upper_percentile: pct(cx, "upper_percentile", raw.upper_percentile, 0.95),
        margin: cx.float_in(&at.key("margin"), raw.margin, 0.15, 0.0, 10.0),
        min_type,
        max_type,
    };
    if spec.interval.is_zero() {
        cx.error(&at.key("interval"), "'0s' is not an interval", Some("use e.g. \"1m\"".into()));
    }
    if spec.window < spec.interval {
        cx.error(
            &at.key("window"),
            format!("'{}' is shorter than the interval '{}'", spec.window, spec.interval),
            Some("keep at least one interval of history".into()),
        );
    }
    if !(spec.lower_percentile <= spec.target_percentile && spec.target_percentile <= spec.upper_percentile) {
        cx.error(
            &at.key("target_percentile"),
            format!(
                "'{}' is not between lower_percentile '{}' and upper_percentile '{}'",
                spec.target_percentile, spec.lower_percentile, spec.upper_percentile
            ),
            Some("order them lower ≤ target ≤ upper".into()),
        );
    }
    Some(Some(spec))
}
