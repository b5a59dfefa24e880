//! `[metrics]`: the pipeline between the fleet and the autoscaler — what it
//! sees is sampled, averaged and late.

use serde::Deserialize;
use toml::Value;

use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;
use crate::model::metrics::MetricsSpec;

/// The `[metrics]` fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "scrape_interval",
        default: "\"15s\"",
        doc: "how often each source is sampled (metrics-server / Prometheus scrape)",
    },
    FieldDoc {
        key: "window",
        default: "\"60s\"",
        doc: "samples are averaged (as a rate over counters) over this window; an instance with less than one window of samples is missing",
    },
    FieldDoc {
        key: "delay",
        default: "\"15s\"",
        doc: "a sample becomes visible to the autoscaler this long after it is taken",
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    scrape_interval: Option<Value>,
    window: Option<Value>,
    delay: Option<Value>,
}

/// Validates `[metrics]`.
pub fn validate(cx: &mut Cx<'_>) -> Option<MetricsSpec> {
    let at = FieldPath::root().key("metrics");
    let d = MetricsSpec::default();
    let Some(value) = cx.value(&at) else {
        return Some(d);
    };
    let raw: Raw = cx.parse(&at, value)?;
    let spec = MetricsSpec {
        scrape_interval: cx.duration(&at.key("scrape_interval"), raw.scrape_interval.as_ref(), d.scrape_interval),
        window: cx.duration(&at.key("window"), raw.window.as_ref(), d.window),
        delay: cx.duration(&at.key("delay"), raw.delay.as_ref(), d.delay),
    };
    if spec.scrape_interval.is_zero() {
        cx.error(&at.key("scrape_interval"), "'0s' would sample without pause", Some("use e.g. \"15s\"".into()));
    } else if spec.window < spec.scrape_interval {
        cx.error(
            &at.key("window"),
            format!("'{}' is shorter than the scrape interval '{}'", spec.window, spec.scrape_interval),
            Some("a window must hold at least one scrape interval".into()),
        );
    }
    Some(spec)
}
