//! Controller flags and feature gates, with the defaults of
//! `pkg/controller/podautoscaler/config/v1alpha1/defaults.go`
//! (`RecommendedDefaultHPAControllerConfiguration`) and the package variables
//! `scaleUpLimitFactor`/`scaleUpLimitMinimum` of `horizontal.go`.

use crate::engine::time::SimDuration;

/// The kube-controller-manager settings the HPA controller reads.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaControllerConfig {
    /// `--horizontal-pod-autoscaler-sync-period` (15 s): each HPA is
    /// reconciled once per period (the engine schedules the calls).
    pub sync_period: SimDuration,
    /// `--horizontal-pod-autoscaler-tolerance` (0.1), both directions.
    pub tolerance: f64,
    /// `--horizontal-pod-autoscaler-cpu-initialization-period` (5 min).
    pub cpu_initialization_period: SimDuration,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay` (30 s).
    pub initial_readiness_delay: SimDuration,
    /// `--horizontal-pod-autoscaler-downscale-stabilization` (5 min): the
    /// legacy-path window and the default scale-down window of `behavior`.
    pub downscale_stabilization_window: SimDuration,
    /// `scaleUpLimitFactor` (2.0; upstream's tests set 8).
    pub scale_up_limit_factor: f64,
    /// `scaleUpLimitMinimum` (4.0).
    pub scale_up_limit_minimum: f64,
    /// Feature gates that change the arithmetic.
    pub feature_gates: FeatureGates,
}

impl Default for HpaControllerConfig {
    fn default() -> Self {
        HpaControllerConfig {
            sync_period: SimDuration::from_secs(15),
            tolerance: 0.1,
            cpu_initialization_period: SimDuration::from_secs(5 * 60),
            initial_readiness_delay: SimDuration::from_secs(30),
            downscale_stabilization_window: SimDuration::from_secs(5 * 60),
            scale_up_limit_factor: 2.0,
            scale_up_limit_minimum: 4.0,
            feature_gates: FeatureGates::default(),
        }
    }
}

/// The Kubernetes feature gates the controller and API validation consult.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureGates {
    /// `HPAConfigurableTolerance` (beta, on): per-direction
    /// `behavior.*.tolerance`.
    pub hpa_configurable_tolerance: bool,
    /// `HPAScaleToZero` (alpha, off): `minReplicas: 0` with an Object or
    /// External metric.
    pub hpa_scale_to_zero: bool,
    /// `PodLevelResources`: pod-level requests take precedence over the sum
    /// of container requests (`calculateRequests`).
    pub pod_level_resources: bool,
}

impl Default for FeatureGates {
    fn default() -> Self {
        FeatureGates { hpa_configurable_tolerance: true, hpa_scale_to_zero: false, pod_level_resources: true }
    }
}
