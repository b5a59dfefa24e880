//! The parts of a `v1.Pod` the HPA reads: name, phase, deletion, the
//! `PodReady` condition, start time and resource requests
//! (`k8s.io/api/core/v1/types.go`, `pkg/api/v1/pod/util.go`).

use std::collections::BTreeMap;

use crate::engine::time::SimTime;

/// A pod matched by the scale target's selector.
#[derive(Clone, Debug, PartialEq)]
pub struct Pod {
    /// `metadata.name`; metrics are joined to pods by name.
    pub name: String,
    /// `status.phase`.
    pub phase: PodPhase,
    /// `metadata.deletionTimestamp != nil`: the pod is terminating.
    pub deleting: bool,
    /// The `PodReady` condition, if the pod has one.
    pub ready: Option<PodReadyCondition>,
    /// `status.startTime`, if set.
    pub start_time: Option<SimTime>,
    /// `spec.containers`.
    pub containers: Vec<Container>,
    /// `spec.initContainers`; only restartable ones (sidecars) count towards
    /// requests.
    pub init_containers: Vec<Container>,
    /// Pod-level `spec.resources.requests` (`PodLevelResources`), milli.
    pub pod_requests: Option<BTreeMap<String, i64>>,
}

impl Pod {
    /// A running, ready pod with one container `app` requesting `cpu_milli`
    /// of CPU, started and ready since `since`.
    pub fn running(name: &str, cpu_milli: i64, since: SimTime) -> Pod {
        Pod {
            name: name.to_string(),
            phase: PodPhase::Running,
            deleting: false,
            ready: Some(PodReadyCondition { status: ConditionStatus::True, last_transition_time: since }),
            start_time: Some(since),
            containers: vec![Container::with_request("app", "cpu", cpu_milli)],
            init_containers: Vec::new(),
            pod_requests: None,
        }
    }

    /// `podutil.IsPodReady`: the `PodReady` condition is `True`.
    pub fn is_ready(&self) -> bool {
        self.ready.is_some_and(|c| c.status == ConditionStatus::True)
    }
}

/// `v1.PodPhase`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodPhase {
    /// Accepted, not all containers running (unscheduled, pulling images).
    Pending,
    /// Bound to a node, containers started.
    Running,
    /// All containers terminated successfully.
    Succeeded,
    /// All containers terminated, at least one failed.
    Failed,
}

/// `v1.ConditionStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionStatus {
    /// `True`.
    True,
    /// `False`.
    False,
    /// `Unknown`.
    Unknown,
}

/// The pod's `PodReady` condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodReadyCondition {
    /// `status`.
    pub status: ConditionStatus,
    /// `lastTransitionTime`.
    pub last_transition_time: SimTime,
}

/// A container's name and resource requests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Container {
    /// `name`.
    pub name: String,
    /// `resources.requests`, milli-units by resource name.
    pub requests: BTreeMap<String, i64>,
    /// `restartPolicy: Always` (a sidecar, when in `initContainers`).
    pub restart_policy_always: bool,
}

impl Container {
    /// A container requesting `milli` of `resource`.
    pub fn with_request(name: &str, resource: &str, milli: i64) -> Container {
        Container {
            name: name.to_string(),
            requests: BTreeMap::from([(resource.to_string(), milli)]),
            restart_policy_always: false,
        }
    }

    /// A container without requests.
    pub fn named(name: &str) -> Container {
        Container { name: name.to_string(), ..Container::default() }
    }
}
