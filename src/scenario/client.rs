//! `[client]`: the callers' timeout and retry behaviour.

use serde::Deserialize;
use toml::Value;

use crate::engine::time::SimDuration;
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;

/// The `[client]` fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "timeout",
        default: "none",
        doc: "the client gives up after this long (the attempt ends as `timeout`); \"0s\" or absent means never",
    },
    FieldDoc {
        key: "cancel_on_timeout",
        default: "false",
        doc: "whether the server stops work on a request the client gave up on (otherwise it keeps consuming worker, CPU, pool and DB time)",
    },
    FieldDoc {
        key: "retry",
        default: "no retries",
        doc: "{ max_attempts = 1, backoff = \"exponential\", base = \"100ms\", cap = \"10s\", jitter = \"none\" }: attempts in all (1 = no retry); backoff none | fixed | exponential (base · 2^(n−1), capped); jitter none | full (uniform 0..b) | equal (b/2 + uniform 0..b/2). Retries are new arrivals.",
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    timeout: Option<Value>,
    cancel_on_timeout: Option<bool>,
    retry: Option<RawRetry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetry {
    max_attempts: Option<i64>,
    backoff: Option<String>,
    base: Option<Value>,
    cap: Option<Value>,
    jitter: Option<String>,
}

/// How the wait before a retry grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backoff {
    /// Retry at once.
    None,
    /// Always `base`.
    Fixed,
    /// `base · 2^(attempt−1)`, capped at `cap`.
    Exponential,
}

/// Randomization of the backoff `b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// Exactly `b`.
    None,
    /// Uniform on [0, b].
    Full,
    /// `b/2` plus uniform on [0, b/2].
    Equal,
}

/// The validated `[client]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientSpec {
    /// When the client gives up, if ever.
    pub timeout: Option<SimDuration>,
    /// Whether the server abandons work the client gave up on.
    pub cancel_on_timeout: bool,
    /// Attempts in all, including the first.
    pub max_attempts: u32,
    /// Backoff growth.
    pub backoff: Backoff,
    /// Base wait.
    pub base: SimDuration,
    /// Longest wait.
    pub cap: SimDuration,
    /// Randomization.
    pub jitter: Jitter,
}

impl Default for ClientSpec {
    fn default() -> Self {
        ClientSpec {
            timeout: None,
            cancel_on_timeout: false,
            max_attempts: 1,
            backoff: Backoff::Exponential,
            base: SimDuration::from_millis(100),
            cap: SimDuration::from_secs(10),
            jitter: Jitter::None,
        }
    }
}

/// Validates `[client]` (absent: no timeout, no retries).
pub fn validate(cx: &mut Cx<'_>) -> Option<ClientSpec> {
    let at = FieldPath::root().key("client");
    let Some(value) = cx.value(&at) else {
        return Some(ClientSpec::default());
    };
    let raw: Raw = cx.parse(&at, value)?;
    let d = ClientSpec::default();
    let timeout = cx.duration(&at.key("timeout"), raw.timeout.as_ref(), SimDuration::ZERO);
    let mut spec = ClientSpec {
        timeout: (!timeout.is_zero()).then_some(timeout),
        cancel_on_timeout: raw.cancel_on_timeout.unwrap_or(false),
        ..d
    };
    if let Some(r) = raw.retry {
        let at = at.key("retry");
        spec.max_attempts = cx.int_in(&at.key("max_attempts"), r.max_attempts, 1, 1, 100) as u32;
        spec.backoff =
            match cx.choice(&at.key("backoff"), r.backoff.as_deref(), "exponential", &["none", "fixed", "exponential"])
            {
                "none" => Backoff::None,
                "fixed" => Backoff::Fixed,
                _ => Backoff::Exponential,
            };
        spec.base = cx.duration(&at.key("base"), r.base.as_ref(), d.base);
        spec.cap = cx.duration(&at.key("cap"), r.cap.as_ref(), d.cap);
        spec.jitter = match cx.choice(&at.key("jitter"), r.jitter.as_deref(), "none", &["none", "full", "equal"]) {
            "full" => Jitter::Full,
            "equal" => Jitter::Equal,
            _ => Jitter::None,
        };
        if spec.cap < spec.base {
            cx.error(
                &at.key("cap"),
                format!("cap '{}' is below base '{}'", spec.cap, spec.base),
                Some("the cap is the longest wait; make it ≥ base".into()),
            );
        }
    }
    Some(spec)
}
