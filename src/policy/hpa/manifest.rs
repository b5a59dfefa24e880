//! Reading a HorizontalPodAutoscaler as users keep it: an `autoscaling/v2`
//! YAML manifest, or the same `spec` fields from any serde format (the
//! scenario loader's TOML). Unknown fields are errors that name their path
//! (`spec.behavior.scaleDown.polices`); the values are then validated and
//! defaulted as the API server does (see [`super::validation`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::config::FeatureGates;
use super::types::HpaSpec;
use super::validation::build_spec;

/// The only accepted `apiVersion`.
pub const API_VERSION: &str = "autoscaling/v2";
/// The only accepted `kind`.
pub const KIND: &str = "HorizontalPodAutoscaler";

/// Why a manifest or spec was rejected. Every variant is fatal for the
/// manifest; the message names the field and says what is expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// Not well-formed, a wrong type, or an unknown field.
    #[error("{}", syntax_message(path, *line, *column, message))]
    Syntax {
        /// Dotted path of the offending field (`spec.metrics[0].type`).
        path: String,
        /// 1-based line, when the format reports it.
        line: Option<usize>,
        /// 1-based column, when the format reports it.
        column: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// `apiVersion` is not `autoscaling/v2`.
    #[error(
        "apiVersion '{found}' is not supported: expected 'autoscaling/v2' (autoscaling/v1 and v2beta2 manifests must be converted)"
    )]
    ApiVersion {
        /// The value found.
        found: String,
    },
    /// `kind` is not `HorizontalPodAutoscaler`.
    #[error("kind '{found}' is not supported: expected 'HorizontalPodAutoscaler'")]
    Kind {
        /// The value found.
        found: String,
    },
    /// Well-formed but rejected by API validation.
    #[error("invalid HorizontalPodAutoscaler: {}", join_errors(.0))]
    Invalid(Vec<FieldError>),
}

/// One validation failure, as the API server's `field.Error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path (`spec.behavior.scaleUp.policies[0].periodSeconds`).
    pub path: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

fn join_errors(errors: &[FieldError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

fn syntax_message(path: &str, line: Option<usize>, column: Option<usize>, message: &str) -> String {
    let place = match (line, column) {
        (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
        (Some(l), None) => format!(" (line {l})"),
        _ => String::new(),
    };
    if path.is_empty() || path == "." { format!("{}{place}", message) } else { format!("{path}{place}: {message}") }
}

/// A parsed manifest: its name and the validated, defaulted spec.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaManifest {
    /// `metadata.name`.
    pub name: Option<String>,
    /// `metadata.namespace`.
    pub namespace: Option<String>,
    /// The spec.
    pub spec: HpaSpec,
}

/// Parses an `autoscaling/v2` HorizontalPodAutoscaler YAML manifest with the
/// default feature gates.
pub fn parse_manifest(yaml: &str) -> Result<HpaManifest, ManifestError> {
    parse_manifest_with(yaml, &FeatureGates::default())
}

/// Parses a manifest; `gates` decides what validation allows
/// (`HPAScaleToZero`, `HPAConfigurableTolerance`).
pub fn parse_manifest_with(yaml: &str, gates: &FeatureGates) -> Result<HpaManifest, ManifestError> {
    #[derive(Deserialize)]
    #[serde(expecting = "a HorizontalPodAutoscaler manifest (a mapping)")]
    struct Header {
        #[serde(rename = "apiVersion")]
        api_version: Option<String>,
        kind: Option<String>,
    }
    let header: Header = from_yaml(yaml)?;
    match header.api_version.as_deref() {
        Some(API_VERSION) => {}
        Some(other) => {
            return Err(ManifestError::ApiVersion { found: other.to_string() });
        }
        None => {
            return Err(ManifestError::Invalid(vec![FieldError {
                path: "apiVersion".to_string(),
                message: "Required value: must be 'autoscaling/v2'".to_string(),
            }]));
        }
    }
    match header.kind.as_deref() {
        Some(KIND) => {}
        Some(other) => {
            return Err(ManifestError::Kind { found: other.to_string() });
        }
        None => {
            return Err(ManifestError::Invalid(vec![FieldError {
                path: "kind".to_string(),
                message: "Required value: must be 'HorizontalPodAutoscaler'".to_string(),
            }]));
        }
    }
    let raw: RawManifest = from_yaml(yaml)?;
    let spec = build_spec(&raw.spec, gates, "spec", true)?;
    let (name, namespace) = match raw.metadata {
        Some(m) => (m.name, m.namespace),
        None => (None, None),
    };
    Ok(HpaManifest { name, namespace, spec })
}

/// Reads the `spec` fields from any self-describing serde format (a TOML
/// table, a `serde_json::Value`) and validates them. Field paths in errors
/// are relative to the spec (`behavior.scaleUp.policies[0].value`);
/// `scaleTargetRef` is optional here.
pub fn parse_spec<'de, D>(deserializer: D, gates: &FeatureGates) -> Result<HpaSpec, ManifestError>
where
    D: Deserializer<'de>,
    D::Error: fmt::Display,
{
    let fields: HpaSpecFields = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        // Some formats (toml) append their own key path on later lines.
        let message = e.inner().to_string();
        let first_line = message.lines().next().unwrap_or("").trim_end();
        syntax_error(path, None, None, first_line)
    })?;
    fields.into_spec(gates)
}

fn from_yaml<T: for<'de> Deserialize<'de>>(yaml: &str) -> Result<T, ManifestError> {
    let deserializer = serde_yaml_ng::Deserializer::from_str(yaml);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner();
        let location = inner.location();
        let text = inner.to_string();
        // serde_yaml_ng puts its own path in front and the location behind.
        let text = match location {
            Some(ref l) => {
                text.strip_suffix(&format!(" at line {} column {}", l.line(), l.column())).unwrap_or(&text).to_string()
            }
            None => text,
        };
        let text = match text.split_once(": ") {
            Some((prefix, rest)) if !prefix.contains(' ') && !rest.is_empty() => rest.to_string(),
            _ => text,
        };
        syntax_error(path, location.as_ref().map(|l| l.line()), location.as_ref().map(|l| l.column()), &text)
    })
}

/// Builds a syntax error; an unknown field's name is appended to the path,
/// and serde's backquotes become single quotes.
fn syntax_error(mut path: String, line: Option<usize>, column: Option<usize>, text: &str) -> ManifestError {
    if let Some(rest) = text.strip_prefix("unknown field `") {
        if let Some((field, _)) = rest.split_once('`') {
            let last = path.rsplit('.').next().unwrap_or("");
            if last != field {
                if path.is_empty() || path == "." {
                    path = field.to_string();
                } else {
                    path = format!("{path}.{field}");
                }
            }
        }
    }
    if path == "." {
        path.clear();
    }
    ManifestError::Syntax { path, line, column, message: text.replace('`', "'") }
}

/// A whole manifest, strictly.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a HorizontalPodAutoscaler manifest (a mapping)")]
struct RawManifest {
    #[allow(dead_code)]
    api_version: String,
    #[allow(dead_code)]
    kind: String,
    metadata: Option<RawMetadata>,
    spec: HpaSpecFields,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a metadata mapping")]
struct RawMetadata {
    name: Option<String>,
    namespace: Option<String>,
    #[allow(dead_code)]
    generate_name: Option<String>,
    #[allow(dead_code)]
    labels: Option<BTreeMap<String, String>>,
    #[allow(dead_code)]
    annotations: Option<BTreeMap<String, String>>,
}

/// The fields of an `autoscaling/v2` HPA `spec`, as written (camelCase
/// names, every field optional at this stage). Deserialize it from YAML,
/// TOML or JSON, then call [`HpaSpecFields::into_spec`].
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a HorizontalPodAutoscaler spec (a mapping)")]
pub struct HpaSpecFields {
    pub(super) scale_target_ref: Option<RawObjectReference>,
    pub(super) min_replicas: Option<i32>,
    pub(super) max_replicas: Option<i32>,
    pub(super) metrics: Option<Vec<RawMetricSpec>>,
    pub(super) behavior: Option<RawBehavior>,
}

impl HpaSpecFields {
    /// Validates and defaults the fields (paths relative to the spec;
    /// `scaleTargetRef` optional).
    pub fn into_spec(&self, gates: &FeatureGates) -> Result<HpaSpec, ManifestError> {
        build_spec(self, gates, "", false)
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "an object reference (apiVersion, kind, name)")]
pub(super) struct RawObjectReference {
    pub(super) api_version: Option<String>,
    pub(super) kind: Option<String>,
    pub(super) name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a metric spec (a mapping with a type)")]
pub(super) struct RawMetricSpec {
    #[serde(rename = "type")]
    pub(super) type_: Option<String>,
    pub(super) resource: Option<RawResourceSource>,
    pub(super) container_resource: Option<RawContainerResourceSource>,
    pub(super) pods: Option<RawPodsSource>,
    pub(super) object: Option<RawObjectSource>,
    pub(super) external: Option<RawExternalSource>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a resource metric source (name, target)")]
pub(super) struct RawResourceSource {
    pub(super) name: Option<String>,
    pub(super) target: Option<RawMetricTarget>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "camelCase",
    expecting = "a container resource metric source (name, container, target)"
)]
pub(super) struct RawContainerResourceSource {
    pub(super) name: Option<String>,
    pub(super) container: Option<String>,
    pub(super) target: Option<RawMetricTarget>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a pods metric source (metric, target)")]
pub(super) struct RawPodsSource {
    pub(super) metric: Option<RawMetricIdentifier>,
    pub(super) target: Option<RawMetricTarget>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "camelCase",
    expecting = "an object metric source (describedObject, metric, target)"
)]
pub(super) struct RawObjectSource {
    pub(super) described_object: Option<RawObjectReference>,
    pub(super) metric: Option<RawMetricIdentifier>,
    pub(super) target: Option<RawMetricTarget>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "an external metric source (metric, target)")]
pub(super) struct RawExternalSource {
    pub(super) metric: Option<RawMetricIdentifier>,
    pub(super) target: Option<RawMetricTarget>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a metric identifier (name, selector)")]
pub(super) struct RawMetricIdentifier {
    pub(super) name: Option<String>,
    pub(super) selector: Option<RawLabelSelector>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a label selector (matchLabels, matchExpressions)")]
pub(super) struct RawLabelSelector {
    pub(super) match_labels: Option<BTreeMap<String, String>>,
    pub(super) match_expressions: Option<Vec<RawLabelSelectorRequirement>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "camelCase",
    expecting = "a label selector requirement (key, operator, values)"
)]
pub(super) struct RawLabelSelectorRequirement {
    pub(super) key: Option<String>,
    pub(super) operator: Option<String>,
    pub(super) values: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "camelCase",
    expecting = "a metric target (type, value, averageValue, averageUtilization)"
)]
pub(super) struct RawMetricTarget {
    #[serde(rename = "type")]
    pub(super) type_: Option<String>,
    pub(super) value: Option<RawQuantity>,
    pub(super) average_value: Option<RawQuantity>,
    pub(super) average_utilization: Option<i32>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a behavior mapping (scaleUp, scaleDown)")]
pub(super) struct RawBehavior {
    pub(super) scale_up: Option<RawScalingRules>,
    pub(super) scale_down: Option<RawScalingRules>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "camelCase",
    expecting = "scaling rules (stabilizationWindowSeconds, selectPolicy, policies, tolerance)"
)]
pub(super) struct RawScalingRules {
    pub(super) stabilization_window_seconds: Option<i32>,
    pub(super) select_policy: Option<String>,
    pub(super) policies: Option<Vec<RawScalingPolicy>>,
    pub(super) tolerance: Option<RawQuantity>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a scaling policy (type, value, periodSeconds)")]
pub(super) struct RawScalingPolicy {
    #[serde(rename = "type")]
    pub(super) type_: Option<String>,
    pub(super) value: Option<i32>,
    pub(super) period_seconds: Option<i32>,
}

/// A quantity as written: a string (`"500m"`) or a plain number (`15`,
/// `0.05`), as `resource.Quantity` accepts in YAML and JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct RawQuantity(pub(super) String);

impl<'de> Deserialize<'de> for RawQuantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct QuantityVisitor;
        impl Visitor<'_> for QuantityVisitor {
            type Value = RawQuantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quantity such as \"500m\", \"1.5\" or 10")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawQuantity, E> {
                Ok(RawQuantity(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawQuantity, E> {
                Ok(RawQuantity(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawQuantity, E> {
                Ok(RawQuantity(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawQuantity, E> {
                if v.is_finite() {
                    // Large magnitudes keep their exponent form ("1e99").
                    let text = if v.abs() >= 1e15 { format!("{v:e}") } else { format!("{v}") };
                    Ok(RawQuantity(text))
                } else {
                    Err(E::custom("a quantity must be a finite number"))
                }
            }
        }
        deserializer.deserialize_any(QuantityVisitor)
    }
}

#[cfg(test)]
mod tests;
