//! API validation and defaulting of a written spec (mirrors
//! `pkg/apis/autoscaling/validation/validation.go`:
//! `validateHorizontalPodAutoscalerSpec`, `validateMetrics`,
//! `validateMetricSpec`, `validateMetricTarget`, `validateBehavior`,
//! `validateScalingRules`, `validateScalingPolicy`; and
//! `pkg/apis/autoscaling/v2/defaults.go`: `SetDefaults_HorizontalPodAutoscaler`).
//!
//! One deliberate difference: a metric target's `type` must match the value
//! field that is set (`type: AverageValue` with `averageValue`). The API
//! server accepts a mismatch and the controller then reads whichever field is
//! set; here that is reported as an error instead.

use super::config::FeatureGates;
use super::defaults::{DEFAULT_CPU_UTILIZATION, default_behavior};
use super::manifest::{
    FieldError, HpaSpecFields, ManifestError, RawLabelSelector, RawMetricIdentifier, RawMetricSpec, RawMetricTarget,
    RawObjectReference, RawQuantity, RawScalingRules,
};
use super::quantity::Quantity;
use super::types::{
    CrossVersionObjectReference, HpaScalingPolicy, HpaScalingRulesSpec, HpaSpec, LabelSelector,
    LabelSelectorRequirement, MetricIdentifier, MetricSpec, MetricTarget, ScalingPolicyType, SelectPolicy,
};

/// `MaxPeriodSeconds`.
pub const MAX_PERIOD_SECONDS: i32 = 1800;
/// `MaxStabilizationWindowSeconds`.
pub const MAX_STABILIZATION_WINDOW_SECONDS: i32 = 3600;

/// Collects field errors under a path prefix.
struct Errors {
    list: Vec<FieldError>,
}

impl Errors {
    fn push(&mut self, path: &str, message: impl Into<String>) {
        self.list.push(FieldError { path: path.to_string(), message: message.into() });
    }
    fn required(&mut self, path: &str, detail: &str) {
        let message =
            if detail.is_empty() { "Required value".to_string() } else { format!("Required value: {detail}") };
        self.push(path, message);
    }
    fn invalid(&mut self, path: &str, value: impl std::fmt::Display, detail: &str) {
        self.push(path, format!("Invalid value: '{value}': {detail}"));
    }
    fn not_supported(&mut self, path: &str, value: &str, supported: &[&str]) {
        let supported: Vec<String> = supported.iter().map(|s| format!("'{s}'")).collect();
        self.push(path, format!("Unsupported value: '{value}': supported values: {}", supported.join(", ")));
    }
    fn forbidden(&mut self, path: &str, detail: &str) {
        self.push(path, format!("Forbidden: {detail}"));
    }
}

fn child(parent: &str, name: &str) -> String {
    if parent.is_empty() { name.to_string() } else { format!("{parent}.{name}") }
}

/// Validates `fields` and builds the defaulted spec. `prefix` is the path of
/// the spec (`spec` in a manifest, empty for bare spec fields).
pub(super) fn build_spec(
    fields: &HpaSpecFields,
    gates: &FeatureGates,
    prefix: &str,
    require_target_ref: bool,
) -> Result<HpaSpec, ManifestError> {
    let mut errs = Errors { list: Vec::new() };
    let min_lower_bound = if gates.hpa_scale_to_zero { 0 } else { 1 };

    let min_path = child(prefix, "minReplicas");
    if let Some(min) = fields.min_replicas {
        if min < min_lower_bound {
            errs.invalid(&min_path, min, &format!("must be greater than or equal to {min_lower_bound}"));
        }
    }
    let max_path = child(prefix, "maxReplicas");
    let max_replicas = match fields.max_replicas {
        None => {
            errs.required(&max_path, "");
            0
        }
        Some(max) => {
            if max < 1 {
                errs.invalid(&max_path, max, "must be greater than 0");
            }
            if let Some(min) = fields.min_replicas {
                if max < min {
                    errs.invalid(&max_path, max, "must be greater than or equal to 'minReplicas'");
                }
            }
            max
        }
    };

    let target_path = child(prefix, "scaleTargetRef");
    let scale_target_ref = match &fields.scale_target_ref {
        Some(r) => object_reference(r, &target_path, &mut errs),
        None => {
            if require_target_ref {
                errs.required(&target_path, "");
            }
            CrossVersionObjectReference::default()
        }
    };

    let metrics_path = child(prefix, "metrics");
    let mut metrics = Vec::new();
    let mut has_object_or_external = false;
    for (i, raw) in fields.metrics.iter().flatten().enumerate() {
        let path = format!("{metrics_path}[{i}]");
        if let Some(m) = metric_spec(raw, &path, &mut errs) {
            has_object_or_external |= matches!(m, MetricSpec::Object { .. } | MetricSpec::External { .. });
            metrics.push(m);
        }
    }
    if fields.min_replicas == Some(0) && min_lower_bound == 0 && !has_object_or_external {
        errs.forbidden(
            &metrics_path,
            "must specify at least one Object or External metric to support scaling to zero replicas",
        );
    }

    let behavior = fields.behavior.as_ref().map(|b| {
        let behavior_path = child(prefix, "behavior");
        let up = b.scale_up.as_ref().map(|r| scaling_rules(r, &child(&behavior_path, "scaleUp"), gates, &mut errs));
        let down =
            b.scale_down.as_ref().map(|r| scaling_rules(r, &child(&behavior_path, "scaleDown"), gates, &mut errs));
        default_behavior(up.as_ref(), down.as_ref())
    });

    if !errs.list.is_empty() {
        return Err(ManifestError::Invalid(errs.list));
    }
    if metrics.is_empty() {
        // SetDefaults_HorizontalPodAutoscaler: CPU utilization 80%.
        metrics.push(MetricSpec::Resource {
            name: "cpu".to_string(),
            target: MetricTarget::Utilization(DEFAULT_CPU_UTILIZATION),
        });
    }
    Ok(HpaSpec { scale_target_ref, min_replicas: fields.min_replicas.unwrap_or(1), max_replicas, metrics, behavior })
}

/// `ValidateCrossVersionObjectReference`.
fn object_reference(r: &RawObjectReference, path: &str, errs: &mut Errors) -> CrossVersionObjectReference {
    let kind = r.kind.clone().unwrap_or_default();
    let name = r.name.clone().unwrap_or_default();
    if kind.is_empty() {
        errs.required(&child(path, "kind"), "");
    }
    if name.is_empty() {
        errs.required(&child(path, "name"), "");
    }
    CrossVersionObjectReference { api_version: r.api_version.clone().unwrap_or_default(), kind, name }
}

const SOURCE_TYPES: [&str; 5] = ["ContainerResource", "External", "Object", "Pods", "Resource"];

/// `validateMetricSpec` plus the conversion to [`MetricSpec`].
fn metric_spec(raw: &RawMetricSpec, path: &str, errs: &mut Errors) -> Option<MetricSpec> {
    let type_path = child(path, "type");
    let Some(type_name) = raw.type_.as_deref() else {
        errs.required(&type_path, "must specify a metric source type");
        return None;
    };
    let present: Vec<&str> = [
        (raw.object.is_some(), "object"),
        (raw.external.is_some(), "external"),
        (raw.pods.is_some(), "pods"),
        (raw.resource.is_some(), "resource"),
        (raw.container_resource.is_some(), "containerResource"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect();
    let expected = match type_name {
        "Resource" => "resource",
        "ContainerResource" => "containerResource",
        "Pods" => "pods",
        "Object" => "object",
        "External" => "external",
        other => {
            errs.not_supported(&type_path, other, &SOURCE_TYPES);
            return None;
        }
    };
    for other in present.iter().filter(|p| **p != expected) {
        errs.forbidden(&child(path, other), "must populate the given metric source only");
    }
    let source_path = child(path, expected);
    let required = |errs: &mut Errors| {
        errs.required(&source_path, "must populate information for the given metric source");
    };
    match type_name {
        "Resource" => {
            let Some(src) = &raw.resource else {
                required(errs);
                return None;
            };
            let name = resource_name(src.name.as_deref(), &source_path, errs);
            let target = metric_target(
                src.target.as_ref(),
                &child(&source_path, "target"),
                &["Utilization", "AverageValue"],
                errs,
            )?;
            Some(MetricSpec::Resource { name: name?, target })
        }
        "ContainerResource" => {
            let Some(src) = &raw.container_resource else {
                required(errs);
                return None;
            };
            let name = resource_name(src.name.as_deref(), &source_path, errs);
            let container = match src.container.as_deref() {
                Some(c) if !c.is_empty() => Some(c.to_string()),
                _ => {
                    errs.required(&child(&source_path, "container"), "must specify a container");
                    None
                }
            };
            let target = metric_target(
                src.target.as_ref(),
                &child(&source_path, "target"),
                &["Utilization", "AverageValue"],
                errs,
            )?;
            Some(MetricSpec::ContainerResource { name: name?, container: container?, target })
        }
        "Pods" => {
            let Some(src) = &raw.pods else {
                required(errs);
                return None;
            };
            let metric = metric_identifier(src.metric.as_ref(), &child(&source_path, "metric"), errs);
            let target = metric_target(src.target.as_ref(), &child(&source_path, "target"), &["AverageValue"], errs)?;
            Some(MetricSpec::Pods { metric: metric?, target })
        }
        "Object" => {
            let Some(src) = &raw.object else {
                required(errs);
                return None;
            };
            let described_path = child(&source_path, "describedObject");
            let described_object = match &src.described_object {
                Some(r) => object_reference(r, &described_path, errs),
                None => {
                    errs.required(&described_path, "");
                    CrossVersionObjectReference::default()
                }
            };
            let metric = metric_identifier(src.metric.as_ref(), &child(&source_path, "metric"), errs);
            let target =
                metric_target(src.target.as_ref(), &child(&source_path, "target"), &["Value", "AverageValue"], errs)?;
            Some(MetricSpec::Object { described_object, metric: metric?, target })
        }
        _ => {
            let Some(src) = &raw.external else {
                required(errs);
                return None;
            };
            let metric = metric_identifier(src.metric.as_ref(), &child(&source_path, "metric"), errs);
            let target =
                metric_target(src.target.as_ref(), &child(&source_path, "target"), &["Value", "AverageValue"], errs)?;
            Some(MetricSpec::External { metric: metric?, target })
        }
    }
}

fn resource_name(name: Option<&str>, path: &str, errs: &mut Errors) -> Option<String> {
    match name {
        Some(n) if !n.is_empty() => Some(n.to_string()),
        _ => {
            errs.required(&child(path, "name"), "must specify a resource name");
            None
        }
    }
}

/// `validateMetricIdentifier`.
fn metric_identifier(raw: Option<&RawMetricIdentifier>, path: &str, errs: &mut Errors) -> Option<MetricIdentifier> {
    let Some(raw) = raw else {
        errs.required(path, "");
        return None;
    };
    let name = match raw.name.as_deref() {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => {
            errs.required(&child(path, "name"), "must specify a metric name");
            return None;
        }
    };
    let selector = raw.selector.as_ref().map(|s| label_selector(s, &child(path, "selector"), errs));
    Some(MetricIdentifier { name, selector })
}

fn label_selector(raw: &RawLabelSelector, path: &str, errs: &mut Errors) -> LabelSelector {
    let mut match_expressions = Vec::new();
    for (i, req) in raw.match_expressions.iter().flatten().enumerate() {
        let req_path = format!("{}[{i}]", child(path, "matchExpressions"));
        let operator = req.operator.clone().unwrap_or_default();
        if !["In", "NotIn", "Exists", "DoesNotExist"].contains(&operator.as_str()) {
            errs.not_supported(&child(&req_path, "operator"), &operator, &["DoesNotExist", "Exists", "In", "NotIn"]);
        }
        match_expressions.push(LabelSelectorRequirement {
            key: req.key.clone().unwrap_or_default(),
            operator,
            values: req.values.clone().unwrap_or_default(),
        });
    }
    LabelSelector { match_labels: raw.match_labels.clone().unwrap_or_default(), match_expressions }
}

fn quantity(raw: &RawQuantity, path: &str, errs: &mut Errors) -> Option<Quantity> {
    match Quantity::parse(&raw.0) {
        Ok(q) => Some(q),
        Err(e) => {
            errs.invalid(path, &raw.0, &e.to_string());
            None
        }
    }
}

/// `validateMetricTarget` plus the type/field coherence check; `allowed`
/// lists the target types the source supports.
fn metric_target(
    raw: Option<&RawMetricTarget>,
    path: &str,
    allowed: &[&str],
    errs: &mut Errors,
) -> Option<MetricTarget> {
    let Some(raw) = raw else {
        errs.required(path, "must specify a metric target");
        return None;
    };
    let type_path = child(path, "type");
    let Some(type_name) = raw.type_.as_deref() else {
        errs.required(&type_path, "must specify a metric target type");
        return None;
    };
    if !["Utilization", "Value", "AverageValue"].contains(&type_name) {
        errs.invalid(&type_path, type_name, "must be either Utilization, Value, or AverageValue");
        return None;
    }
    if !allowed.contains(&type_name) {
        errs.not_supported(&type_path, type_name, allowed);
        return None;
    }
    let value_path = child(path, "value");
    let average_value_path = child(path, "averageValue");
    let utilization_path = child(path, "averageUtilization");
    let value = raw.value.as_ref().and_then(|q| quantity(q, &value_path, errs));
    let average_value = raw.average_value.as_ref().and_then(|q| quantity(q, &average_value_path, errs));
    if let Some(v) = value {
        if v.milli_value() <= 0 {
            errs.invalid(&value_path, v, "must be positive");
        }
    }
    if let Some(v) = average_value {
        if v.milli_value() <= 0 {
            errs.invalid(&average_value_path, v, "must be positive");
        }
    }
    if let Some(u) = raw.average_utilization {
        if u < 1 {
            errs.invalid(&utilization_path, u, "must be greater than 0");
        }
    }
    let fields_set = [
        ("value", raw.value.is_some(), &value_path, "Value"),
        ("averageValue", raw.average_value.is_some(), &average_value_path, "AverageValue"),
        ("averageUtilization", raw.average_utilization.is_some(), &utilization_path, "Utilization"),
    ];
    for (field, set, field_path, for_type) in fields_set {
        if set && for_type != type_name {
            errs.forbidden(field_path, &format!("may not set '{field}' with type '{type_name}'"));
        }
    }
    match type_name {
        "Utilization" => match raw.average_utilization {
            Some(u) => Some(MetricTarget::Utilization(u)),
            None => {
                errs.required(&utilization_path, "type 'Utilization' needs a target utilization");
                None
            }
        },
        "Value" => match value {
            Some(v) => Some(MetricTarget::Value(v.milli_value())),
            None => {
                if raw.value.is_none() {
                    errs.required(&value_path, "type 'Value' needs a target value");
                }
                None
            }
        },
        _ => match average_value {
            Some(v) => Some(MetricTarget::AverageValue(v.milli_value())),
            None => {
                if raw.average_value.is_none() {
                    errs.required(&average_value_path, "type 'AverageValue' needs a target averageValue");
                }
                None
            }
        },
    }
}

/// `validateScalingRules` and `validateScalingPolicy`, giving the user's
/// rules for `GenerateHPAScale{Up,Down}Rules`.
fn scaling_rules(raw: &RawScalingRules, path: &str, gates: &FeatureGates, errs: &mut Errors) -> HpaScalingRulesSpec {
    let window_path = child(path, "stabilizationWindowSeconds");
    if let Some(w) = raw.stabilization_window_seconds {
        if w < 0 {
            errs.invalid(&window_path, w, "must be greater than or equal to zero");
        }
        if w > MAX_STABILIZATION_WINDOW_SECONDS {
            errs.invalid(&window_path, w, &format!("must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"));
        }
    }
    let select_policy = raw.select_policy.as_deref().and_then(|s| match s {
        "Max" => Some(SelectPolicy::Max),
        "Min" => Some(SelectPolicy::Min),
        "Disabled" => Some(SelectPolicy::Disabled),
        other => {
            errs.not_supported(&child(path, "selectPolicy"), other, &["Disabled", "Max", "Min"]);
            None
        }
    });
    let policies_path = child(path, "policies");
    let policies = raw.policies.as_ref().map(|list| {
        if list.is_empty() {
            errs.required(&policies_path, "must specify at least one Policy");
        }
        let mut out = Vec::new();
        for (i, p) in list.iter().enumerate() {
            let p_path = format!("{policies_path}[{i}]");
            let policy_type = match p.type_.as_deref() {
                Some("Pods") => Some(ScalingPolicyType::Pods),
                Some("Percent") => Some(ScalingPolicyType::Percent),
                other => {
                    errs.not_supported(&child(&p_path, "type"), other.unwrap_or(""), &["Percent", "Pods"]);
                    None
                }
            };
            let value = p.value.unwrap_or(0);
            if value <= 0 {
                errs.invalid(&child(&p_path, "value"), value, "must be greater than zero");
            }
            let period = p.period_seconds.unwrap_or(0);
            let period_path = child(&p_path, "periodSeconds");
            if period <= 0 {
                errs.invalid(&period_path, period, "must be greater than zero");
            }
            if period > MAX_PERIOD_SECONDS {
                errs.invalid(&period_path, period, &format!("must be less than or equal to {MAX_PERIOD_SECONDS}"));
            }
            if let Some(policy_type) = policy_type {
                out.push(HpaScalingPolicy { policy_type, value, period_seconds: period });
            }
        }
        out
    });
    let tolerance_path = child(path, "tolerance");
    let tolerance = raw.tolerance.as_ref().and_then(|q| {
        if !gates.hpa_configurable_tolerance {
            errs.forbidden(&tolerance_path, "tolerance needs the HPAConfigurableTolerance feature gate");
            return None;
        }
        let q = quantity(q, &tolerance_path, errs)?;
        if q.as_approximate_f64() < 0.0 {
            errs.invalid(&tolerance_path, q, "must be greater than or equal to zero");
            return None;
        }
        Some(q.as_approximate_f64())
    });
    HpaScalingRulesSpec {
        stabilization_window_seconds: raw.stabilization_window_seconds,
        select_policy,
        policies,
        tolerance,
    }
}
