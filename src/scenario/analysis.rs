//! `[analysis]`: the thresholds of the failure-mode detectors. Every field
//! has a default tuned so that a healthy run finds nothing; tighten or
//! loosen them per scenario.

use serde::Deserialize;
use strum::IntoEnumIterator;
use toml::Value;

use crate::engine::time::SimDuration;
use crate::input::check::{Cx, FieldDoc, suggest};
use crate::input::problem::FieldPath;
use crate::output::summary::FindingKind;

/// The `[analysis]` fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc { key: "disable", default: "[]", doc: "detector kinds not to run (e.g. [\"retry_storm\"])" },
    FieldDoc {
        key: "flapping_window",
        default: "\"10m\"",
        doc: "flapping: reversals of the desired replica count are counted over this window",
    },
    FieldDoc {
        key: "flapping_reversals",
        default: "4",
        doc: "flapping: this many reversals within the window is flapping",
    },
    FieldDoc {
        key: "sustain",
        default: "\"15s\"",
        doc: "how long a signature must hold (SLO breach with its cause) before it is a finding",
    },
    FieldDoc {
        key: "lag_gap",
        default: "0.2",
        doc: "metric_lag: the true value exceeds what the policy saw by this share of the target",
    },
    FieldDoc {
        key: "app_cpu_ok",
        default: "0.7",
        doc: "downstream_saturation: app CPU below this counts as fine; max_replicas_reached: at or above it the fleet is busy",
    },
    FieldDoc {
        key: "db_saturated",
        default: "0.9",
        doc: "downstream_saturation: database CPU at or above this is saturated",
    },
    FieldDoc {
        key: "pool_error_rate",
        default: "0.001",
        doc: "pool_exhaustion: pool_timeout + db_refused above this share of attempts",
    },
    FieldDoc {
        key: "db_idle",
        default: "0.7",
        doc: "pool_exhaustion: database CPU below this counts as not the bottleneck",
    },
    FieldDoc {
        key: "herd_window",
        default: "\"60s\"",
        doc: "scale_in_herd: what follows a scale-in within this long is blamed on it",
    },
    FieldDoc {
        key: "stampede_share",
        default: "0.1",
        doc: "cache_stampede: duplicate reads above this share of database reads",
    },
    FieldDoc {
        key: "stampede_rps",
        default: "5.0",
        doc: "cache_stampede: and at least this many duplicate reads per second",
    },
    FieldDoc { key: "retry_share", default: "0.2", doc: "retry_storm: retries above this share of offered load" },
    FieldDoc { key: "pending_for", default: "\"60s\"", doc: "capacity_pending: instances Pending this long" },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    disable: Option<Vec<String>>,
    flapping_window: Option<Value>,
    flapping_reversals: Option<i64>,
    sustain: Option<Value>,
    lag_gap: Option<f64>,
    app_cpu_ok: Option<f64>,
    db_saturated: Option<f64>,
    pool_error_rate: Option<f64>,
    db_idle: Option<f64>,
    herd_window: Option<Value>,
    stampede_share: Option<f64>,
    stampede_rps: Option<f64>,
    retry_share: Option<f64>,
    pending_for: Option<Value>,
}

/// The validated `[analysis]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalysisSpec {
    /// Detectors not to run.
    pub disable: Vec<FindingKind>,
    /// Flapping window.
    pub flapping_window: SimDuration,
    /// Reversals within it that make flapping.
    pub flapping_reversals: u32,
    /// How long a signature must hold.
    pub sustain: SimDuration,
    /// Metric-lag gap, as a share of the target.
    pub lag_gap: f64,
    /// App CPU that counts as fine.
    pub app_cpu_ok: f64,
    /// Database CPU that counts as saturated.
    pub db_saturated: f64,
    /// Pool error share that counts as exhaustion.
    pub pool_error_rate: f64,
    /// Database CPU below which it is not the bottleneck.
    pub db_idle: f64,
    /// Scale-in herd window.
    pub herd_window: SimDuration,
    /// Stampede: duplicate share of database reads.
    pub stampede_share: f64,
    /// Stampede: duplicate reads per second.
    pub stampede_rps: f64,
    /// Retry share of offered load.
    pub retry_share: f64,
    /// Pending for this long.
    pub pending_for: SimDuration,
}

impl Default for AnalysisSpec {
    fn default() -> Self {
        AnalysisSpec {
            disable: Vec::new(),
            flapping_window: SimDuration::from_secs(600),
            flapping_reversals: 4,
            sustain: SimDuration::from_secs(15),
            lag_gap: 0.2,
            app_cpu_ok: 0.7,
            db_saturated: 0.9,
            pool_error_rate: 0.001,
            db_idle: 0.7,
            herd_window: SimDuration::from_secs(60),
            stampede_share: 0.1,
            stampede_rps: 5.0,
            retry_share: 0.2,
            pending_for: SimDuration::from_secs(60),
        }
    }
}

/// Validates `[analysis]`.
pub fn validate(cx: &mut Cx<'_>) -> Option<AnalysisSpec> {
    let at = FieldPath::root().key("analysis");
    let d = AnalysisSpec::default();
    let Some(value) = cx.value(&at) else { return Some(d) };
    let raw: Raw = cx.parse(&at, value)?;
    let mut disable = Vec::new();
    for (i, kind) in raw.disable.unwrap_or_default().iter().enumerate() {
        match kind.parse::<FindingKind>() {
            Ok(k) => disable.push(k),
            Err(_) => {
                let kinds: Vec<&str> = FindingKind::iter().map(FindingKind::name).collect();
                let hint = suggest(kind, &kinds).unwrap_or_else(|| format!("the kinds are: {}", kinds.join(", ")));
                cx.error(&at.key("disable").index(i), format!("'{kind}' is not a detector"), Some(hint));
            }
        }
    }
    let share =
        |cx: &mut Cx<'_>, key: &str, v: Option<f64>, default: f64| cx.float_in(&at.key(key), v, default, 0.0, 1.0);
    Some(AnalysisSpec {
        flapping_window: cx.duration(&at.key("flapping_window"), raw.flapping_window.as_ref(), d.flapping_window),
        flapping_reversals: cx.int_in(&at.key("flapping_reversals"), raw.flapping_reversals, 4, 1, 1000) as u32,
        sustain: cx.duration(&at.key("sustain"), raw.sustain.as_ref(), d.sustain),
        lag_gap: share(cx, "lag_gap", raw.lag_gap, d.lag_gap),
        app_cpu_ok: share(cx, "app_cpu_ok", raw.app_cpu_ok, d.app_cpu_ok),
        db_saturated: share(cx, "db_saturated", raw.db_saturated, d.db_saturated),
        pool_error_rate: share(cx, "pool_error_rate", raw.pool_error_rate, d.pool_error_rate),
        db_idle: share(cx, "db_idle", raw.db_idle, d.db_idle),
        herd_window: cx.duration(&at.key("herd_window"), raw.herd_window.as_ref(), d.herd_window),
        stampede_share: share(cx, "stampede_share", raw.stampede_share, d.stampede_share),
        stampede_rps: cx.float_in(&at.key("stampede_rps"), raw.stampede_rps, d.stampede_rps, 0.0, f64::INFINITY),
        retry_share: share(cx, "retry_share", raw.retry_share, d.retry_share),
        pending_for: cx.duration(&at.key("pending_for"), raw.pending_for.as_ref(), d.pending_for),
        disable,
    })
}
