//! `[fleet]`: the app instances — how many, how big, how they start, how
//! fast they serve, and where the schedulable capacity ends.

use std::sync::Arc;

use serde::Deserialize;
use toml::Value;

use super::limits::Limits;
use super::types::{self, Family};
use crate::engine::dist::Dist;
use crate::engine::time::SimDuration;
use crate::input::check::{Cx, FieldDoc};
use crate::input::problem::FieldPath;

/// The `[fleet]` fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "initial",
        default: "1",
        doc: "instances at the start, all Ready (at most 100000; [limits] can raise it)",
    },
    FieldDoc {
        key: "capacity",
        default: "unlimited",
        doc: "schedulable instances: a number (a quota), or { nodes, pods_per_node, max_nodes = nodes, node_provisioning = \"3m\" } where a node autoscaler adds nodes (up to max_nodes) when instances wait in Pending. Instances beyond it wait in Pending. At most 100000 instances (max_nodes × pods_per_node; [limits] can raise it)",
    },
    FieldDoc {
        key: "cores",
        default: "1, or the type's",
        doc: "cores per instance, shared by processor sharing among requests in compute",
    },
    FieldDoc {
        key: "types",
        default: "none",
        doc: "a family of instance types with prices (\"../models/instance-types/m6i.toml\"): what type names, and what vertical scaling moves along (its largest type is the ceiling)",
    },
    FieldDoc {
        key: "type",
        default: "none",
        doc: "the instance type (\"m6i.2xlarge\"): sets cores and the price; needs types",
    },
    FieldDoc {
        key: "price_per_hour",
        default: "the type's, else 0.048 × cores",
        doc: "what one instance costs per hour while it holds capacity (provisioning to draining); without a type, the m6i on-demand rate per vCPU",
    },
    FieldDoc {
        key: "workers_per_core",
        default: "none",
        doc: "if set, workers = ceil(workers_per_core × cores), also after a resize (a thread pool sized to the machine); else workers is fixed",
    },
    FieldDoc {
        key: "resize",
        default: "\"recreate\"",
        doc: "how a change of type reaches running instances: recreate (evict one, its replacement provisions, boots and warms up, then the next: the VPA updater), surge (start one new, then remove one old: a rolling update with maxSurge 1), in_place (cores and price change at once, no restart: in-place pod resize)",
    },
    FieldDoc {
        key: "cpu_request",
        default: "cores",
        doc: "the CPU request in cores that utilization is measured against (as Kubernetes does); usage can exceed it up to cores",
    },
    FieldDoc {
        key: "workers",
        default: "16",
        doc: "worker threads per instance; a request holds one for its whole stay, including pool and database waits",
    },
    FieldDoc {
        key: "queue",
        default: "128",
        doc: "accept queue per instance; a request arriving to a full queue is rejected",
    },
    FieldDoc {
        key: "service",
        default: "{ dist = \"exponential\", mean = \"10ms\" }",
        doc: "CPU demand per request (a distribution)",
    },
    FieldDoc {
        key: "provisioning",
        default: "\"0s\"",
        doc: "Pending → Booting: scheduling, image pull (a distribution)",
    },
    FieldDoc {
        key: "boot",
        default: "\"0s\"",
        doc: "Booting → Warming: process start until the readiness probe passes (a distribution)",
    },
    FieldDoc {
        key: "boot_cpu",
        default: "0",
        doc: "cores a booting instance burns before it is ready (JIT, cache loading): the start-up burst the HPA's CPU initialization period is there to ignore. It shows in the CPU metric, not in requests served",
    },
    FieldDoc {
        key: "warmup",
        default: "none",
        doc: "{ duration, slowdown }: a new instance serves at slowdown× demand, decaying linearly to 1× over duration (JIT, cold caches)",
    },
    FieldDoc {
        key: "zones",
        default: "1",
        doc: "availability zones; instances are spread over them in turn (a kill_zone fault takes one out)",
    },
    FieldDoc {
        key: "memory",
        default: "off",
        doc: "{ limit, base = \"0B\", leak_per_request }: each completed request retains leak_per_request; at the limit the instance is OOM-killed and restarts (boot again). Scaling out does not cure a leak",
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    initial: Option<i64>,
    capacity: Option<Value>,
    cores: Option<i64>,
    cpu_request: Option<f64>,
    workers: Option<i64>,
    queue: Option<i64>,
    service: Option<Value>,
    provisioning: Option<Value>,
    boot: Option<Value>,
    boot_cpu: Option<f64>,
    warmup: Option<RawWarmup>,
    zones: Option<i64>,
    memory: Option<RawMemory>,
    types: Option<Value>,
    #[serde(rename = "type")]
    instance_type: Option<String>,
    price_per_hour: Option<f64>,
    workers_per_core: Option<f64>,
    resize: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWarmup {
    duration: Value,
    slowdown: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMemory {
    limit: Value,
    base: Option<Value>,
    leak_per_request: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNodes {
    nodes: i64,
    pods_per_node: i64,
    max_nodes: Option<i64>,
    node_provisioning: Option<Value>,
}

/// Where schedulable capacity ends.
#[derive(Clone, Debug, PartialEq)]
pub enum Capacity {
    /// No ceiling.
    Unlimited,
    /// A fixed number of instances (a quota).
    Fixed(u32),
    /// Nodes of a fixed size, with a node autoscaler up to `max_nodes`.
    Nodes {
        /// Nodes at the start.
        nodes: u32,
        /// Instances per node.
        pods_per_node: u32,
        /// Most nodes the node autoscaler may add up to.
        max_nodes: u32,
        /// Time to add a node.
        node_provisioning: SimDuration,
    },
}

impl Capacity {
    /// The most instances that can ever be scheduled, if bounded.
    pub fn ceiling(&self) -> Option<u32> {
        match *self {
            Capacity::Unlimited => None,
            Capacity::Fixed(n) => Some(n),
            Capacity::Nodes { max_nodes, pods_per_node, .. } => Some(max_nodes.saturating_mul(pods_per_node)),
        }
    }
}

/// Warm-up: demand × a cold factor decaying from `slowdown` to 1.
#[derive(Clone, Debug, PartialEq)]
pub struct WarmupSpec {
    /// Length of the warm-up.
    pub duration: SimDuration,
    /// Demand multiplier at the start.
    pub slowdown: f64,
}

/// The optional memory-leak model.
#[derive(Clone, Debug, PartialEq)]
pub struct MemorySpec {
    /// Bytes at which the instance is OOM-killed.
    pub limit: u64,
    /// Bytes in use after a (re)start.
    pub base: u64,
    /// Bytes retained per completed request.
    pub leak_per_request: u64,
}

/// How a change of instance type reaches the running instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resize {
    /// Evict one outdated instance; its replacement provisions, boots and
    /// warms up; then the next (the Kubernetes VPA updater).
    Recreate,
    /// Start one new instance; when it is ready, remove one outdated one (a
    /// rolling update with maxSurge 1, maxUnavailable 0).
    Surge,
    /// Change cores and price at once, without a restart (in-place resize).
    InPlace,
}

impl Resize {
    /// Its name in a scenario.
    pub fn name(self) -> &'static str {
        match self {
            Resize::Recreate => "recreate",
            Resize::Surge => "surge",
            Resize::InPlace => "in_place",
        }
    }
}

/// The validated `[fleet]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetSpec {
    /// Instances at the start.
    pub initial: u32,
    /// Schedulable capacity.
    pub capacity: Capacity,
    /// Cores per instance.
    pub cores: u32,
    /// CPU request in cores (the utilization denominator).
    pub cpu_request: f64,
    /// Worker threads per instance.
    pub workers: u32,
    /// Accept-queue length per instance.
    pub queue: u32,
    /// CPU demand per request.
    pub service: Dist,
    /// Provisioning delay.
    pub provisioning: Dist,
    /// Boot delay.
    pub boot: Dist,
    /// Cores burnt while booting.
    pub boot_cpu: f64,
    /// Warm-up, if any.
    pub warmup: Option<WarmupSpec>,
    /// Availability zones.
    pub zones: u32,
    /// Memory model, if on.
    pub memory: Option<MemorySpec>,
    /// The family of instance types, if named.
    pub family: Option<Arc<Family>>,
    /// The instance type (an index into the family), if named.
    pub instance_type: Option<usize>,
    /// Price of one instance per hour.
    pub price_per_hour: f64,
    /// Workers per core, if workers follow the machine's size.
    pub workers_per_core: Option<f64>,
    /// How a change of type reaches running instances.
    pub resize: Resize,
}

/// Price per hour of one vCPU with no type named: the m6i family's
/// on-demand rate (m6i.large, 2 vCPU, $0.096/h; see
/// `models/instance-types/m6i.toml`).
pub const PRICE_PER_CORE_HOUR: f64 = 0.048;

impl FleetSpec {
    /// Workers of an instance with `cores`.
    pub fn workers_for(&self, cores: u32) -> u32 {
        match self.workers_per_core {
            Some(w) => ((w * cores as f64).ceil() as u32).max(1),
            None => self.workers,
        }
    }

    /// The CPU request of an instance with `cores` (the fleet's request,
    /// scaled with the cores).
    pub fn request_for(&self, cores: u32) -> f64 {
        self.cpu_request * cores as f64 / self.cores as f64
    }
}

/// Validates `[fleet]`.
pub fn validate(cx: &mut Cx<'_>, limits: &Limits) -> Option<FleetSpec> {
    let at = FieldPath::root().key("fleet");
    let empty = Value::Table(Default::default());
    let value = cx.value(&at).unwrap_or(&empty);
    let raw: Raw = cx.parse(&at, value)?;
    let (family, typed) = types::resolve(cx, &at, raw.types.as_ref(), raw.instance_type.as_ref());
    let raw_cores = raw.cores.map(|c| cx.int_in(&at.key("cores"), Some(c), 1, 1, 4096));
    let (cores, price_per_hour) = match &typed {
        Some(t) => {
            let ty = t.get();
            let cores = types::with_type(cx, &at, "cores", raw_cores.map(|c| c as f64), ty.cores as f64) as u32;
            (cores, types::with_type(cx, &at, "price_per_hour", raw.price_per_hour, ty.price_per_hour))
        }
        None => {
            let cores = raw_cores.unwrap_or(1) as u32;
            let price = cx.float_in(
                &at.key("price_per_hour"),
                raw.price_per_hour,
                PRICE_PER_CORE_HOUR * cores as f64,
                0.0,
                1e6,
            );
            (cores, price)
        }
    };
    let capacity = match &raw.capacity {
        None => Capacity::Unlimited,
        Some(Value::Integer(n)) => {
            Capacity::Fixed(cx.int_in(&at.key("capacity"), Some(*n), 1, 1, limits.instances) as u32)
        }
        Some(v @ Value::Table(_)) => {
            let at = at.key("capacity");
            let n: RawNodes = cx.parse(&at, v)?;
            let nodes = cx.int_in(&at.key("nodes"), Some(n.nodes), 1, 0, 1_000_000) as u32;
            let max_nodes = cx.int_in(&at.key("max_nodes"), n.max_nodes, nodes as u64, 1, 1_000_000) as u32;
            if max_nodes < nodes {
                cx.error(
                    &at.key("max_nodes"),
                    format!("'{max_nodes}' is below nodes '{nodes}'"),
                    Some("max_nodes bounds the node autoscaler; make it ≥ nodes".into()),
                );
            }
            let pods_per_node = cx.int_in(&at.key("pods_per_node"), Some(n.pods_per_node), 1, 1, 10_000) as u32;
            // Both in u64: 1,000,000 nodes × 10,000 pods does not fit a u32.
            let pods = u64::from(max_nodes.max(nodes)) * u64::from(pods_per_node);
            if pods > limits.instances {
                let fit = (limits.instances / u64::from(pods_per_node)).max(1);
                cx.error(
                    &at.key(if max_nodes >= nodes && n.max_nodes.is_some() { "max_nodes" } else { "nodes" }),
                    format!(
                        "'{}' nodes of '{pods_per_node}' pods_per_node are {pods} instances, more than {}",
                        max_nodes.max(nodes),
                        limits.instances
                    ),
                    Some(format!("use at most {fit} nodes of {pods_per_node} pods, fewer pods_per_node, or raise limits.instances deliberately")),
                );
            }
            Capacity::Nodes {
                nodes,
                pods_per_node,
                max_nodes,
                node_provisioning: cx.duration(
                    &at.key("node_provisioning"),
                    n.node_provisioning.as_ref(),
                    SimDuration::from_secs(180),
                ),
            }
        }
        Some(other) => {
            cx.error(
                &at.key("capacity"),
                format!("'{other}' is not a capacity"),
                Some("write a number of instances, or { nodes, pods_per_node }".into()),
            );
            Capacity::Unlimited
        }
    };
    let warmup = raw.warmup.map(|w| {
        let at = at.key("warmup");
        WarmupSpec {
            duration: cx.duration(&at.key("duration"), Some(&w.duration), SimDuration::ZERO),
            slowdown: cx.float_in(&at.key("slowdown"), Some(w.slowdown), 1.0, 1.0, 1000.0),
        }
    });
    let memory = raw.memory.map(|m| {
        let at = at.key("memory");
        let spec = MemorySpec {
            limit: cx.bytes(&at.key("limit"), Some(&m.limit), 0),
            base: cx.bytes(&at.key("base"), m.base.as_ref(), 0),
            leak_per_request: cx.bytes(&at.key("leak_per_request"), Some(&m.leak_per_request), 0),
        };
        if spec.base >= spec.limit {
            cx.error(
                &at.key("base"),
                format!("'{}' bytes is not below the limit '{}'", spec.base, spec.limit),
                Some("the base must leave room under the limit".into()),
            );
        }
        spec
    });
    let spec = FleetSpec {
        initial: cx.int_in(&at.key("initial"), raw.initial, 1, 0, limits.instances) as u32,
        capacity,
        cores,
        cpu_request: cx.float_in(&at.key("cpu_request"), raw.cpu_request, cores as f64, 0.001, cores as f64),
        workers: cx.int_in(&at.key("workers"), raw.workers, 16, 1, 100_000) as u32,
        queue: cx.int_in(&at.key("queue"), raw.queue, 128, 0, 10_000_000) as u32,
        service: cx.dist(&at.key("service"), raw.service.as_ref(), Dist::Exponential { mean: 10e6 }),
        provisioning: cx.dist(&at.key("provisioning"), raw.provisioning.as_ref(), Dist::Constant(SimDuration::ZERO)),
        boot: cx.dist(&at.key("boot"), raw.boot.as_ref(), Dist::Constant(SimDuration::ZERO)),
        boot_cpu: cx.float_in(&at.key("boot_cpu"), raw.boot_cpu, 0.0, 0.0, cores as f64),
        warmup,
        zones: cx.int_in(&at.key("zones"), raw.zones, 1, 1, 64) as u32,
        memory,
        family,
        instance_type: typed.map(|t| t.index),
        price_per_hour,
        workers_per_core: raw
            .workers_per_core
            .map(|w| cx.float_in(&at.key("workers_per_core"), Some(w), 1.0, 0.01, 10_000.0)),
        resize: match cx.choice(
            &at.key("resize"),
            raw.resize.as_deref(),
            "recreate",
            &["recreate", "surge", "in_place"],
        ) {
            "surge" => Resize::Surge,
            "in_place" => Resize::InPlace,
            _ => Resize::Recreate,
        },
    };
    if let Some(ceiling) = spec.capacity.ceiling().filter(|c| spec.initial > *c) {
        cx.error(
            &at.key("initial"),
            format!("'{}' instances exceed the capacity of {ceiling}", spec.initial),
            Some("lower initial or raise capacity".into()),
        );
    }
    Some(spec)
}
