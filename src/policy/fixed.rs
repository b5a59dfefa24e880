//! `policy = "fixed"`: no autoscaling — the baseline every policy is
//! compared with.

use serde::Deserialize;
use toml::Value;

use super::{Decision, Observation, ScalingPolicy};
use crate::engine::time::SimDuration;
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;

/// The fixed policy's fields.
pub const FIELDS: &[FieldDoc] = &[FieldDoc {
    key: "replicas",
    default: "fleet.initial",
    doc: "the replica count it keeps (killed instances are replaced, as a ReplicaSet does)",
}];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    replicas: Option<i64>,
}

/// Configuration of [`Fixed`].
#[derive(Clone, Debug, PartialEq)]
pub struct FixedConfig {
    /// Replicas kept.
    pub replicas: u32,
}

/// Validates the fixed policy's fields.
pub fn validate(cx: &mut Cx<'_>, at: &FieldPath, value: &Value, initial: u32) -> Option<FixedConfig> {
    let raw: Raw = cx.parse(at, value)?;
    Some(FixedConfig { replicas: cx.int_in(&at.key("replicas"), raw.replicas, initial as u64, 0, 100_000) as u32 })
}

/// Keeps a fixed count.
pub struct Fixed {
    config: FixedConfig,
}

impl Fixed {
    /// A fixed policy.
    pub fn new(config: FixedConfig) -> Fixed {
        Fixed { config }
    }
}

impl ScalingPolicy for Fixed {
    type Config = FixedConfig;

    fn interval(&self) -> SimDuration {
        SimDuration::from_secs(15)
    }

    fn decide(&mut self, _: &Observation<'_>) -> Decision {
        Decision { desired: self.config.replicas, reason: format!("fixed at {}", self.config.replicas), reading: None }
    }

    fn bounds(&self) -> (u32, u32) {
        (self.config.replicas, self.config.replicas)
    }

    fn set_bounds(&mut self, min: Option<u32>, max: Option<u32>) {
        let r = self.config.replicas;
        self.config.replicas = r.max(min.unwrap_or(r)).min(max.unwrap_or(r));
    }

    fn reconfigure(&mut self, c: &FixedConfig) {
        self.config = c.clone();
    }
}
