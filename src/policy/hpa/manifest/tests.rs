//! Manifest parsing: every shipped manifest, the same spec from TOML and
//! JSON, and the error text for each kind of bad input.

use super::*;
use crate::policy::hpa::types::{HpaScalingPolicy, MetricSpec, MetricTarget, SelectPolicy};

fn models_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/policies")
}

fn load(name: &str) -> HpaManifest {
    let path = models_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_manifest(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn err(yaml: &str) -> String {
    match parse_manifest(yaml) {
        Ok(m) => panic!("accepted: {m:?}"),
        Err(e) => e.to_string(),
    }
}

const HEAD: &str = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n";

fn with_spec(rest: &str) -> String {
    format!("{HEAD}{rest}")
}

#[test]
fn every_shipped_manifest_parses() {
    let mut names: Vec<String> = std::fs::read_dir(models_dir())
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".yaml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    assert_eq!(names.len(), 5, "{names:?}");
    for name in names {
        load(&name);
    }
}

#[test]
fn hpa_cpu_60_is_the_legacy_path() {
    let m = load("hpa-cpu-60.yaml");
    assert_eq!(m.name.as_deref(), Some("web"));
    assert_eq!(m.spec.scale_target_ref.kind, "Deployment");
    assert_eq!((m.spec.min_replicas, m.spec.max_replicas), (2, 20));
    assert_eq!(
        m.spec.metrics,
        vec![MetricSpec::Resource { name: "cpu".to_string(), target: MetricTarget::Utilization(60) }]
    );
    assert!(m.spec.behavior.is_none());
}

#[test]
fn hpa_default_behavior_gets_the_documented_defaults() {
    let m = load("hpa-default-behavior.yaml");
    let b = m.spec.behavior.expect("behavior");
    assert_eq!(b.scale_up.stabilization_window_seconds, Some(0));
    assert_eq!(b.scale_up.select_policy, SelectPolicy::Max);
    assert_eq!(b.scale_up.policies, vec![HpaScalingPolicy::pods(4, 15), HpaScalingPolicy::percent(100, 15)]);
    // Filled from the controller flag at reconcile time.
    assert_eq!(b.scale_down.stabilization_window_seconds, None);
    assert_eq!(b.scale_down.policies, vec![HpaScalingPolicy::percent(100, 15)]);
}

#[test]
fn hpa_aggressive_up_conservative_down() {
    let b = load("hpa-aggressive-up-conservative-down.yaml").spec.behavior.expect("behavior");
    assert_eq!(b.scale_down.stabilization_window_seconds, Some(300));
    assert_eq!(b.scale_down.select_policy, SelectPolicy::Min);
    assert_eq!(b.scale_down.policies, vec![HpaScalingPolicy::percent(10, 60), HpaScalingPolicy::pods(5, 60)]);
    assert_eq!(b.scale_up.policies, vec![HpaScalingPolicy::percent(100, 15), HpaScalingPolicy::pods(4, 15)]);
}

#[test]
fn hpa_cpu_and_rps_has_two_metrics() {
    let m = load("hpa-cpu-and-rps.yaml");
    assert_eq!(m.spec.metrics.len(), 2);
    match &m.spec.metrics[1] {
        MetricSpec::Pods { metric, target } => {
            assert_eq!(metric.name, "http_requests_per_second");
            assert_eq!(*target, MetricTarget::AverageValue(100_000));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn hpa_external_queue_is_keda_shaped() {
    let m = load("hpa-external-queue.yaml");
    match &m.spec.metrics[0] {
        MetricSpec::External { metric, target } => {
            assert_eq!(metric.name, "queue_messages_ready");
            assert_eq!(*target, MetricTarget::AverageValue(30_000));
            let selector = metric.selector.as_ref().expect("selector");
            assert_eq!(selector.match_labels.get("scaledobject.keda.sh/name").map(String::as_str), Some("worker"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_field_names_its_path_and_the_allowed_fields() {
    let yaml = with_spec(
        "  maxReplicas: 5\n  behavior:\n    scaleDown:\n      polices:\n      - type: Pods\n        value: 1\n        periodSeconds: 60\n",
    );
    let msg = err(&yaml);
    assert_eq!(
        msg,
        "spec.behavior.scaleDown.polices (line 13, column 7): unknown field 'polices', expected one of 'stabilizationWindowSeconds', 'selectPolicy', 'policies', 'tolerance'"
    );
}

#[test]
fn wrong_api_version_and_kind() {
    let v1 = "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: 3\n  targetCPUUtilizationPercentage: 50\n";
    assert!(err(v1).starts_with("apiVersion 'autoscaling/v1' is not supported: expected 'autoscaling/v2'"));
    let kind = "apiVersion: autoscaling/v2\nkind: Deployment\nspec: {}\n";
    assert_eq!(err(kind), "kind 'Deployment' is not supported: expected 'HorizontalPodAutoscaler'");
    assert!(err("kind: HorizontalPodAutoscaler\n").contains("apiVersion: Required value"));
}

#[test]
fn malformed_yaml_has_a_location() {
    let msg = err("apiVersion: autoscaling/v2\nkind: [\n");
    assert!(msg.contains("line"), "{msg}");
    let msg = err(&with_spec("  maxReplicas: many\n"));
    assert!(msg.starts_with("spec.maxReplicas (line 10, column 16): invalid type"), "{msg}");
}

#[test]
fn validation_mirrors_the_api_server() {
    let cases: [(&str, &str); 14] = [
        ("  minReplicas: 3\n", "spec.maxReplicas: Required value"),
        ("  maxReplicas: 0\n", "spec.maxReplicas: Invalid value: '0': must be greater than 0"),
        (
            "  minReplicas: 5\n  maxReplicas: 2\n",
            "spec.maxReplicas: Invalid value: '2': must be greater than or equal to 'minReplicas'",
        ),
        (
            "  minReplicas: 0\n  maxReplicas: 2\n",
            "spec.minReplicas: Invalid value: '0': must be greater than or equal to 1",
        ),
        (
            "  maxReplicas: 2\n  behavior:\n    scaleUp:\n      stabilizationWindowSeconds: 4000\n",
            "spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: '4000': must be less than or equal to 3600",
        ),
        (
            "  maxReplicas: 2\n  behavior:\n    scaleDown:\n      stabilizationWindowSeconds: -1\n",
            "spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: '-1': must be greater than or equal to zero",
        ),
        (
            "  maxReplicas: 2\n  behavior:\n    scaleUp:\n      policies:\n      - type: Pods\n        value: 1\n        periodSeconds: 0\n",
            "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: '0': must be greater than zero",
        ),
        (
            "  maxReplicas: 2\n  behavior:\n    scaleUp:\n      policies:\n      - type: Percent\n        value: 10\n        periodSeconds: 1801\n",
            "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: '1801': must be less than or equal to 1800",
        ),
        (
            "  maxReplicas: 2\n  behavior:\n    scaleUp:\n      policies: []\n",
            "spec.behavior.scaleUp.policies: Required value: must specify at least one Policy",
        ),
        (
            "  maxReplicas: 2\n  behavior:\n    scaleUp:\n      selectPolicy: Maximum\n",
            "spec.behavior.scaleUp.selectPolicy: Unsupported value: 'Maximum': supported values: 'Disabled', 'Max', 'Min'",
        ),
        (
            "  maxReplicas: 2\n  behavior:\n    scaleDown:\n      tolerance: -0.1\n",
            "spec.behavior.scaleDown.tolerance: Invalid value: '-100m': must be greater than or equal to zero",
        ),
        (
            "  maxReplicas: 2\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n      target:\n        type: Value\n        value: 1\n",
            "spec.metrics[0].resource.target.type: Unsupported value: 'Value': supported values: 'Utilization', 'AverageValue'",
        ),
        (
            "  maxReplicas: 2\n  metrics:\n  - type: Pods\n    pods:\n      metric:\n        name: rps\n      target:\n        type: AverageValue\n        averageValue: \"-5\"\n",
            "spec.metrics[0].pods.target.averageValue: Invalid value: '-5': must be positive",
        ),
        (
            "  maxReplicas: 2\n  metrics:\n  - type: CheddarCheese\n",
            "spec.metrics[0].type: Unsupported value: 'CheddarCheese': supported values: 'ContainerResource', 'External', 'Object', 'Pods', 'Resource'",
        ),
    ];
    for (spec, want) in cases {
        let msg = err(&with_spec(spec));
        assert!(msg.contains(want), "for\n{spec}\ngot: {msg}\nwant: {want}");
    }
}

#[test]
fn metric_source_must_match_type_and_targets_be_present() {
    let msg = err(&with_spec(
        "  maxReplicas: 2\n  metrics:\n  - type: Resource\n    pods:\n      metric:\n        name: rps\n",
    ));
    assert!(msg.contains("spec.metrics[0].pods: Forbidden: must populate the given metric source only"), "{msg}");
    assert!(msg.contains("spec.metrics[0].resource: Required value"), "{msg}");
    let msg = err(&with_spec(
        "  maxReplicas: 2\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n      target:\n        type: Utilization\n",
    ));
    assert!(msg.contains("spec.metrics[0].resource.target.averageUtilization: Required value"), "{msg}");
    let msg = err(&with_spec(
        "  maxReplicas: 2\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n      target:\n        type: Utilization\n        averageUtilization: 0\n",
    ));
    assert!(msg.contains("averageUtilization: Invalid value: '0': must be greater than 0"), "{msg}");
}

#[test]
fn scale_to_zero_needs_the_gate_and_an_object_or_external_metric() {
    let gates = FeatureGates { hpa_scale_to_zero: true, ..FeatureGates::default() };
    let cpu_only = with_spec("  minReplicas: 0\n  maxReplicas: 2\n");
    let e = parse_manifest_with(&cpu_only, &gates).map(|_| ()).map_err(|e| e.to_string());
    assert!(e.as_ref().is_err_and(|m| m.contains("must specify at least one Object or External metric")), "{e:?}");
    let external = with_spec(
        "  minReplicas: 0\n  maxReplicas: 2\n  metrics:\n  - type: External\n    external:\n      metric:\n        name: queue\n      target:\n        type: Value\n        value: 10\n",
    );
    let m = parse_manifest_with(&external, &gates).map(|m| m.spec.min_replicas);
    assert_eq!(m, Ok(0));
}

#[test]
fn api_defaults_fill_min_replicas_and_metrics() {
    let m = parse_manifest(&with_spec("  maxReplicas: 4\n")).map(|m| m.spec);
    let spec = m.expect("valid");
    assert_eq!(spec.min_replicas, 1);
    assert_eq!(
        spec.metrics,
        vec![MetricSpec::Resource { name: "cpu".to_string(), target: MetricTarget::Utilization(80) }]
    );
}

#[test]
fn quantities_may_be_numbers_or_strings() {
    let spec = with_spec(
        "  maxReplicas: 4\n  metrics:\n  - type: External\n    external:\n      metric:\n        name: q\n      target:\n        type: Value\n        value: 1.5\n  - type: External\n    external:\n      metric:\n        name: q\n      target:\n        type: AverageValue\n        averageValue: 250m\n",
    );
    let metrics = parse_manifest(&spec).map(|m| m.spec.metrics).expect("valid");
    assert_eq!(metrics[0].target(), Some(MetricTarget::Value(1500)));
    assert_eq!(metrics[1].target(), Some(MetricTarget::AverageValue(250)));
}

#[test]
fn tolerance_is_per_direction() {
    let spec = with_spec(
        "  maxReplicas: 4\n  behavior:\n    scaleUp:\n      tolerance: 0.05\n    scaleDown:\n      tolerance: 50m\n",
    );
    let b = parse_manifest(&spec).map(|m| m.spec.behavior).expect("valid").expect("behavior");
    assert_eq!((b.scale_up.tolerance, b.scale_down.tolerance), (Some(0.05), Some(0.05)));
}

#[test]
fn spec_fields_from_toml_and_json() {
    let toml_text = r#"
minReplicas = 2
maxReplicas = 10

[[metrics]]
type = "Resource"
resource = { name = "cpu", target = { type = "Utilization", averageUtilization = 60 } }

[behavior.scaleDown]
stabilizationWindowSeconds = 120
policies = [{ type = "Pods", value = 1, periodSeconds = 60 }]
"#;
    let value: toml::Value = toml::from_str(toml_text).expect("toml");
    let from_toml = parse_spec(value, &FeatureGates::default()).expect("valid");
    assert_eq!(from_toml.max_replicas, 10);
    assert_eq!(
        from_toml.behavior.as_ref().map(|b| b.scale_down.policies.clone()),
        Some(vec![HpaScalingPolicy::pods(1, 60)])
    );

    let json = serde_json::json!({
        "minReplicas": 2,
        "maxReplicas": 10,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}],
        "behavior": {"scaleDown": {"stabilizationWindowSeconds": 120, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}
    });
    let from_json = parse_spec(json, &FeatureGates::default()).expect("valid");
    assert_eq!(from_json, from_toml);
}

#[test]
fn spec_field_errors_are_relative_to_the_spec() {
    let value: toml::Value = toml::from_str("maxReplicas = 3\n[behavior.scaleUp]\npolices = []\n").expect("toml");
    let msg = parse_spec(value, &FeatureGates::default()).map(|_| ()).map_err(|e| e.to_string());
    assert_eq!(
        msg,
        Err("behavior.scaleUp.polices: unknown field 'polices', expected one of 'stabilizationWindowSeconds', 'selectPolicy', 'policies', 'tolerance'".to_string())
    );
    let value: toml::Value = toml::from_str("maxReplicas = 0\n").expect("toml");
    let msg = parse_spec(value, &FeatureGates::default()).map(|_| ()).map_err(|e| e.to_string());
    assert_eq!(
        msg,
        Err("invalid HorizontalPodAutoscaler: maxReplicas: Invalid value: '0': must be greater than 0".to_string())
    );
}

#[test]
fn bad_manifests_are_errors_not_panics() {
    let inputs = [
        "",
        "---",
        "[]",
        "42",
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n",
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec: 5\n",
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: 99999999999\n",
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: 2\n  metrics:\n  - type: External\n    external:\n      metric: {name: q}\n      target: {type: Value, value: 1e99}\n",
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: 2\n  metrics:\n  - type: External\n    external:\n      metric: {name: q}\n      target: {type: Value, value: \"12xyz\"}\n",
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: 2\n  metrics: [{}]\n",
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: 2\n  behavior: {scaleUp: {policies: [{}]}}\n",
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n---\napiVersion: autoscaling/v2\n",
    ];
    for input in inputs {
        let result = std::panic::catch_unwind(|| parse_manifest(input));
        match result {
            Ok(Err(e)) => assert!(!e.to_string().is_empty()),
            Ok(Ok(m)) => panic!("accepted {input:?}: {m:?}"),
            Err(_) => panic!("panicked on {input:?}"),
        }
    }
}
