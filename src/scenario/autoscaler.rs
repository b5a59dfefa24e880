//! `[autoscaler]`: which scaling policy drives the fleet, and its settings.
//! Each policy's fields are checked by the policy itself, so adding a policy
//! touches only `src/policy/`.

use toml::Value;

use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;
use crate::policy::{PolicyName, PolicySpec};

/// The `[autoscaler]` fields common to every policy.
pub const FIELDS: &[FieldDoc] = &[FieldDoc {
    key: "policy",
    default: "\"fixed\"",
    doc: "the scaling policy; its own fields follow in the same section (see `scalesim fields`)",
}];

/// Validates `[autoscaler]`.
pub fn validate(cx: &mut Cx<'_>, initial: u32) -> Option<PolicySpec> {
    let at = FieldPath::root().key("autoscaler");
    let Some(value) = cx.value(&at) else {
        return Some(PolicySpec::fixed(initial));
    };
    let Value::Table(table) = value else {
        cx.error(&at, "must be a section", Some("write [autoscaler] with policy = \"...\"".into()));
        return None;
    };
    let mut fields = table.clone();
    let name = match fields.remove("policy") {
        None => PolicyName::Fixed,
        Some(Value::String(s)) => PolicyName::parse(cx, &at.key("policy"), &s)?,
        Some(other) => {
            cx.error(&at.key("policy"), format!("'{other}' is not a policy name"), None);
            return None;
        }
    };
    crate::policy::validate(cx, &at, name, fields, initial)
}
