//! API defaulting of `behavior` (mirrors `pkg/apis/autoscaling/v2/defaults.go`:
//! `GenerateHPAScaleUpRules`, `GenerateHPAScaleDownRules`,
//! `copyHPAScalingRules`). Defaults apply only when `spec.behavior` exists,
//! even as `{}`; a user's `policies` list replaces the default list.

use super::types::{HpaBehavior, HpaScalingPolicy, HpaScalingRules, HpaScalingRulesSpec, SelectPolicy};

/// `autoscaling.DefaultCPUUtilization`: the target of the metric that
/// `SetDefaults_HorizontalPodAutoscaler` adds when `spec.metrics` is empty.
pub const DEFAULT_CPU_UTILIZATION: i32 = 80;

/// `defaultHPAScaleUpRules`: window 0, `Max` of Pods 4/15s and Percent 100/15s.
pub fn default_scale_up_rules() -> HpaScalingRules {
    HpaScalingRules {
        stabilization_window_seconds: Some(0),
        select_policy: SelectPolicy::Max,
        policies: vec![HpaScalingPolicy::pods(4, 15), HpaScalingPolicy::percent(100, 15)],
        tolerance: None,
    }
}

/// `defaultHPAScaleDownRules`: no window (the controller flag fills it), `Max`
/// of Percent 100/15s.
pub fn default_scale_down_rules() -> HpaScalingRules {
    HpaScalingRules {
        stabilization_window_seconds: None,
        select_policy: SelectPolicy::Max,
        policies: vec![HpaScalingPolicy::percent(100, 15)],
        tolerance: None,
    }
}

/// `GenerateHPAScaleUpRules`: the user's fields over the scale-up defaults.
pub fn generate_hpa_scale_up_rules(rules: Option<&HpaScalingRulesSpec>) -> HpaScalingRules {
    copy_hpa_scaling_rules(rules, default_scale_up_rules())
}

/// `GenerateHPAScaleDownRules`: the user's fields over the scale-down defaults.
pub fn generate_hpa_scale_down_rules(rules: Option<&HpaScalingRulesSpec>) -> HpaScalingRules {
    copy_hpa_scaling_rules(rules, default_scale_down_rules())
}

/// `copyHPAScalingRules`: copies every field the user set over `to`.
pub fn copy_hpa_scaling_rules(from: Option<&HpaScalingRulesSpec>, mut to: HpaScalingRules) -> HpaScalingRules {
    let Some(from) = from else {
        return to;
    };
    if let Some(select) = from.select_policy {
        to.select_policy = select;
    }
    if let Some(window) = from.stabilization_window_seconds {
        to.stabilization_window_seconds = Some(window);
    }
    if let Some(policies) = &from.policies {
        to.policies = policies.clone();
    }
    if let Some(tolerance) = from.tolerance {
        to.tolerance = Some(tolerance);
    }
    to
}

/// `SetDefaults_HorizontalPodAutoscalerBehavior` for one behavior object:
/// both directions filled.
pub fn default_behavior(
    scale_up: Option<&HpaScalingRulesSpec>,
    scale_down: Option<&HpaScalingRulesSpec>,
) -> HpaBehavior {
    HpaBehavior {
        scale_up: generate_hpa_scale_up_rules(scale_up),
        scale_down: generate_hpa_scale_down_rules(scale_down),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_behavior_gets_documented_defaults() {
        let b = default_behavior(None, None);
        assert_eq!(b.scale_up.stabilization_window_seconds, Some(0));
        assert_eq!(b.scale_up.policies.len(), 2);
        assert_eq!(b.scale_down.stabilization_window_seconds, None);
        assert_eq!(b.scale_down.policies, vec![HpaScalingPolicy::percent(100, 15)]);
    }

    #[test]
    fn user_policies_replace_defaults_and_other_fields_stay() {
        let user = HpaScalingRulesSpec {
            policies: Some(vec![HpaScalingPolicy::pods(1, 60)]),
            ..HpaScalingRulesSpec::default()
        };
        let up = generate_hpa_scale_up_rules(Some(&user));
        assert_eq!(up.policies, vec![HpaScalingPolicy::pods(1, 60)]);
        assert_eq!(up.select_policy, SelectPolicy::Max);
        assert_eq!(up.stabilization_window_seconds, Some(0));
    }
}
