//! The counterfactuals: each branch of the triage tree as `--set`
//! overrides of the scenario, chosen from the symptoms, so that every one
//! can be rerun alone with `scalesim run SCENARIO --set …`.

use serde::Serialize;

use super::symptoms::{Class, Signs, Symptom};
use crate::analysis::Context;
use crate::engine::dist::Dist;
use crate::engine::time::SimDuration;
use crate::output::summary::FindingKind;
use crate::policy::{PolicyConfig, PolicyName};
use crate::scenario::Scenario;
use crate::scenario::client::{Backoff, Jitter};
use crate::scenario::fleet::Capacity;

/// What a variant changes, as the tree calls it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Remedy {
    /// More replicas: twice the baseline's peak, as a floor.
    ScaleOut,
    /// A higher ceiling: twice the max replicas.
    RaiseMax,
    /// Bigger instances: twice the cores (and the price).
    ScaleUp,
    /// A faster hot path: −30% CPU per request.
    OptimizeCode,
    /// A faster query: −50% database demand ("add the index").
    FasterQuery,
    /// A PgBouncer between the pools and the database.
    Pooler,
    /// Pools sized so max replicas fit the connection budget.
    BudgetPools,
    /// Read replicas take the reads.
    ReadReplicas,
    /// A local cache four times larger.
    LargerCache,
    /// Max replicas capped where database concurrency stays under n*.
    CapReplicas,
    /// The balancer caps requests in flight; the excess is shed fast.
    ShedLoad,
    /// Capacity for the max at once (overprovisioned nodes).
    NodeHeadroom,
    /// A shorter metrics window and scrape interval.
    ShorterWindow,
    /// The memory leak fixed.
    FixLeak,
    /// One retry at most, with exponential backoff and full jitter.
    RetryBudget,
    /// Hysteresis: a band one step cannot cross, and a cooldown.
    Hysteresis,
    /// Instances resumed pre-initialized: seconds to ready, not a minute.
    WarmPool,
    /// Connection draining and a gradual step-down on scale-in.
    Draining,
    /// One fill per key at a time, and spread expiries.
    SingleFlight,
}

impl Remedy {
    /// Its name, as the outputs write it.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Whether it is a change of configuration, done in minutes (relief),
    /// rather than of code or schema, done in days (a durable fix).
    pub fn is_relief(self) -> bool {
        !matches!(self, Remedy::OptimizeCode | Remedy::FasterQuery | Remedy::FixLeak)
    }
}

/// One counterfactual.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Variant {
    /// Its name ("baseline" for none).
    pub name: String,
    /// What it tries, if anything.
    pub remedy: Option<Remedy>,
    /// What it means, in a line.
    pub what: String,
    /// The overrides, as `--set` takes them.
    pub set: Vec<String>,
}

impl Variant {
    fn new(remedy: Remedy, what: String, set: Vec<String>) -> Variant {
        Variant { name: remedy.name().into(), remedy: Some(remedy), what, set }
    }
}

/// A duration for a scenario file.
fn dur(ns: f64) -> String {
    let ms = ns / 1e6;
    format!("\"{}ms\"", trim(ms))
}

fn trim(x: f64) -> String {
    let s = format!("{x:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `d` with its mean times `f`, as an inline TOML table (same shape).
fn scaled(d: &Dist, f: f64) -> String {
    match *d {
        Dist::Constant(v) => format!("{{ dist = \"constant\", value = {} }}", dur(v.as_secs_f64() * 1e9 * f)),
        Dist::Exponential { mean } => format!("{{ dist = \"exponential\", mean = {} }}", dur(mean * f)),
        Dist::LogNormal { mu, sigma } => {
            let mean = (mu + sigma * sigma / 2.0).exp();
            let cv = ((sigma * sigma).exp() - 1.0).sqrt();
            format!("{{ dist = \"lognormal\", mean = {}, cv = {} }}", dur(mean * f), trim(cv))
        }
        Dist::Uniform { min, max } => {
            format!("{{ dist = \"uniform\", min = {}, max = {} }}", dur(min * f), dur(max * f))
        }
        Dist::Gamma { shape, scale } => {
            format!("{{ dist = \"gamma\", mean = {}, cv = {} }}", dur(shape * scale * f), trim(1.0 / shape.sqrt()))
        }
    }
}

/// The fields that bound the policy's replicas (min, max), if it has them.
fn bound_keys(s: &Scenario) -> Option<(&'static str, &'static str)> {
    match s.autoscaler.name() {
        PolicyName::Fixed => None,
        PolicyName::Hpa => Some(("autoscaler.minReplicas", "autoscaler.maxReplicas")),
        PolicyName::Queue => Some(("autoscaler.minReplicaCount", "autoscaler.maxReplicaCount")),
        // A wrapper's bounds are its reactive policy's.
        PolicyName::Scheduled | PolicyName::Predictive => None,
        _ => Some(("autoscaler.min_replicas", "autoscaler.max_replicas")),
    }
}

fn max_key(s: &Scenario) -> Option<&'static str> {
    bound_keys(s).map(|k| k.1)
}

/// Scale out: at least twice the replicas the baseline peaked at (a
/// floor, so the policy cannot decline them), with the ceiling and the
/// capacity to match; twice a fixed fleet.
fn scale_out(s: &Scenario, peak: u32) -> Option<Variant> {
    let mut set = Vec::new();
    let n = peak.max(1) * 2;
    match (&s.autoscaler.config, bound_keys(s)) {
        (PolicyConfig::Fixed(_), _) => set.push(format!("autoscaler.replicas={n}")),
        (c, Some((min, max))) => {
            set.push(format!("{min}={n}"));
            set.push(format!("{max}={}", n.max(c.bounds().1)));
        }
        _ => return None,
    }
    set.push(format!("fleet.initial={n}"));
    capacity_for(s, n, &mut set);
    Some(Variant::new(Remedy::ScaleOut, format!("twice the baseline's peak of {peak} replicas, {n} at least"), set))
}

/// A higher ceiling: twice the max replicas (and the capacity for it).
fn raise_max(s: &Scenario) -> Option<Variant> {
    let key = max_key(s)?;
    let n = s.autoscaler.bounds().1.max(1) * 2;
    let mut set = vec![format!("{key}={n}")];
    capacity_for(s, n, &mut set);
    Some(Variant::new(Remedy::RaiseMax, format!("twice the max replicas: {n}"), set))
}

/// Overrides that let `n` instances be placed.
fn capacity_for(s: &Scenario, n: u32, set: &mut Vec<String>) {
    match s.fleet.capacity {
        Capacity::Fixed(c) if c < n => set.push(format!("fleet.capacity={n}")),
        Capacity::Nodes { pods_per_node, max_nodes, .. } if max_nodes * pods_per_node < n => {
            set.push(format!("fleet.capacity.max_nodes={}", n.div_ceil(pods_per_node.max(1))))
        }
        _ => {}
    }
}

/// Scale up: the next instance type of the fleet's family where it names
/// one (`fleet.type`, so cores, price and memory are the type's), else
/// twice the cores at twice the price (what the next size of a family
/// usually is: `models/instance-types/m6i.toml` doubles). On nodes of a
/// fixed size a bigger instance takes more of a node, so fewer fit on one.
fn scale_up(s: &Scenario) -> Option<Variant> {
    let f = &s.fleet;
    let (cores, mut set, mut what) = match (&f.family, f.instance_type) {
        (Some(family), Some(i)) => {
            // The largest type is the ceiling: nothing to scale up to.
            let next = &family.types[family.step(i, 1)?];
            let set = vec![format!("fleet.type=\"{}\"", next.name)];
            let what = format!(
                "the next type of the {} family: {} ({} cores, {:.3}/h) instead of {} ({} cores)",
                family.name, next.name, next.cores, next.price_per_hour, family.types[i].name, f.cores
            );
            (next.cores, set, what)
        }
        _ => {
            if f.cores > 64 {
                return None;
            }
            let n = f.cores * 2;
            let set =
                vec![format!("fleet.cores={n}"), format!("fleet.price_per_hour={}", trim(f.price_per_hour * 2.0))];
            let what = format!(
                "bigger instances: {n} cores instead of {} at twice the price (no instance type named: the doubled size a family's next type has)",
                f.cores
            );
            (n, set, what)
        }
    };
    // The request grows with the instance, as the fleet's scales on a resize.
    set.push(format!("fleet.cpu_request={}", trim(f.request_for(cores))));
    if let Capacity::Nodes { pods_per_node, .. } = f.capacity {
        // The node's cores are the same: pods_per_node × cores fit it.
        let fit = u64::from(pods_per_node) * u64::from(f.cores) / u64::from(cores.max(1));
        if fit == 0 {
            return None;
        }
        set.push(format!("fleet.capacity.pods_per_node={fit}"));
        what.push_str(&format!("; {fit} a node instead of {pods_per_node}, the node's cores being the same"));
    }
    Some(Variant::new(Remedy::ScaleUp, what, set))
}

/// Node headroom: start with the nodes the baseline's peak wanted (as
/// overprovisioning with low-priority placeholder pods keeps them), so a
/// scale-out lands at once instead of waiting for the node autoscaler.
fn node_headroom(s: &Scenario, peak_desired: u32) -> Option<Variant> {
    let Capacity::Nodes { nodes, pods_per_node, max_nodes, .. } = s.fleet.capacity else { return None };
    // At least one node more (else it is not headroom), at most the node
    // autoscaler's bound; none to add if the cluster starts at it.
    let want = peak_desired.div_ceil(pods_per_node.max(1)).min(max_nodes).max(nodes.saturating_add(1));
    (want <= max_nodes).then(|| {
        // The run prices instances, not nodes: say what the idle ones cost.
        let idle = f64::from((want - nodes) * pods_per_node) * s.fleet.price_per_hour;
        Variant::new(
            Remedy::NodeHeadroom,
            format!(
                "node headroom: {want} nodes from the start instead of {nodes}, room for the baseline's peak of {peak_desired} desired replicas; the cost column prices instances, and the {} extra nodes cost up to {idle:.2}/h more while idle",
                want - nodes
            ),
            vec![format!("fleet.capacity.nodes={want}")],
        )
    })
}

/// Hysteresis and a cooldown, in the policy's own terms: the threshold
/// rule's lower bound at half its upper one (a step crosses it only by
/// halving the fleet) and a 5-minute cooldown; the HPA's scale-down
/// stabilization window back at the controller's default 5 minutes
/// (`--horizontal-pod-autoscaler-downscale-stabilization`) with its 10%
/// tolerance; AWS simple scaling's cooldown at 5 minutes.
fn hysteresis(s: &Scenario) -> Option<Variant> {
    const COOLDOWN: &str = "\"5m\"";
    let five_min = SimDuration::from_secs(300);
    match &s.autoscaler.config {
        PolicyConfig::Threshold(c) if c.down > c.up / 2.0 || c.cooldown < five_min => Some(Variant::new(
            Remedy::Hysteresis,
            format!(
                "hysteresis: scale down below {} instead of {} (half the {} up threshold) and a 5 min cooldown",
                trim(c.up / 2.0),
                trim(c.down),
                trim(c.up)
            ),
            vec![
                format!("autoscaler.scale_down_below={}", trim(c.up / 2.0)),
                format!("autoscaler.cooldown={COOLDOWN}"),
            ],
        )),
        PolicyConfig::Hpa(c) => {
            // The window in force: behavior's, else the controller flag's.
            let flag = c.controller.downscale_stabilization_window.as_secs_f64();
            let window = c
                .spec
                .behavior
                .as_ref()
                .and_then(|b| b.scale_down.stabilization_window_seconds)
                .map_or(flag, f64::from);
            let tolerance = c.controller.tolerance;
            (window < 300.0 || tolerance < 0.1).then(|| {
                let mut set = vec!["autoscaler.behavior.scaleDown.stabilizationWindowSeconds=300".to_string()];
                if tolerance < 0.1 {
                    set.push("autoscaler.tolerance=0.1".into());
                }
                Variant::new(
                    Remedy::Hysteresis,
                    "hysteresis: a 5 min scale-down stabilization window (the controller's default) and its 10% tolerance".into(),
                    set,
                )
            })
        }
        PolicyConfig::Simple(c) if c.cooldown < five_min => Some(Variant::new(
            Remedy::Hysteresis,
            "a 5 min cooldown between scaling activities".into(),
            vec![format!("autoscaler.cooldown={COOLDOWN}")],
        )),
        _ => None,
    }
}

/// A warm pool: instances kept pre-initialized (AWS EC2 Auto Scaling warm
/// pools; on Kubernetes, pre-pulled images and placeholder pods) start in
/// seconds. The fleet has no warm-pool size, so this is every new instance
/// starting as the gallery's `cold-start-fixed.toml` does: 3 s to
/// provision, 5 s to boot, a 10 s warm-up.
fn warm_pool(s: &Scenario) -> Option<Variant> {
    let f = &s.fleet;
    let secs = |d: &Dist| d.mean().as_secs_f64();
    let warm = f.warmup.as_ref().map_or(0.0, |w| w.duration.as_secs_f64());
    (secs(&f.provisioning) + secs(&f.boot) + warm > 18.0 + 1e-9).then(|| {
        let mut set = vec!["fleet.provisioning=\"3s\"".to_string(), "fleet.boot=\"5s\"".to_string()];
        if let Some(w) = &f.warmup {
            set.push(format!("fleet.warmup={{ duration = \"10s\", slowdown = {} }}", trim(w.slowdown)));
        }
        Variant::new(
            Remedy::WarmPool,
            format!(
                "a warm pool: new instances ready in about 8 s instead of {:.0} s (3 s provisioning, 5 s boot{}); the model has no pool size, so every new instance starts warm, and the stopped pool's cost is not counted",
                secs(&f.provisioning) + secs(&f.boot) + warm,
                if f.warmup.is_some() { ", 10 s warm-up" } else { "" }
            ),
            set,
        )
    })
}

/// Connection draining and a gradual step-down: the balancer stops sending
/// to an instance and lets what is in flight finish (at least the client's
/// timeout) before it stops, and the HPA removes one pod a minute after a
/// 5-minute stabilization, as `scale-in-herd-fixed.toml` does.
fn draining(s: &Scenario) -> Option<Variant> {
    let timeout = s.client.timeout.unwrap_or(SimDuration::from_secs(30));
    let delay = timeout.max(SimDuration::from_secs(30));
    let mut set = Vec::new();
    if s.balancer.deregistration_delay < delay {
        set.push(format!("balancer.deregistration_delay=\"{delay}\""));
    }
    let mut what = format!("connection draining: a {delay} deregistration delay, so what is in flight finishes");
    if let PolicyConfig::Hpa(_) = s.autoscaler.config {
        set.push("autoscaler.behavior.scaleDown.stabilizationWindowSeconds=300".into());
        set.push("autoscaler.behavior.scaleDown.policies=[{ type = \"Pods\", value = 1, periodSeconds = 60 }]".into());
        what.push_str(", and a gradual step-down (one pod a minute after a 5 min stabilization)");
    }
    (!set.is_empty()).then(|| Variant::new(Remedy::Draining, what, set))
}

/// Single-flight and TTL jitter: concurrent misses of one key wait for one
/// fill instead of all going to the database, and fills expire spread over
/// ±20% of the TTL instead of together (`cache-stampede-fixed.toml`).
fn single_flight(s: &Scenario) -> Option<Variant> {
    let c = s.cache.as_ref()?;
    let mut set = Vec::new();
    if !c.single_flight {
        set.push("cache.single_flight=true".to_string());
    }
    if c.ttl_jitter < 0.2 {
        set.push("cache.ttl_jitter=0.2".to_string());
    }
    (!set.is_empty()).then(|| {
        Variant::new(
            Remedy::SingleFlight,
            "single-flight fills (one database read per missed key at a time) and ±20% TTL jitter".into(),
            set,
        )
    })
}

/// Every variant worth running for these symptoms, most telling first.
pub fn choose(
    s: &Scenario,
    symptoms: &[Symptom],
    signs: &Signs,
    findings: &[FindingKind],
    peak_replicas: u32,
) -> Vec<Variant> {
    let found = |k: FindingKind| findings.contains(&k);
    let mut out: Vec<Variant> = Vec::new();
    let mut add = |v: Option<Variant>| {
        if let Some(v) = v
            && !out.iter().any(|o| o.name == v.name)
        {
            out.push(v);
        }
    };
    let f = &s.fleet;
    let optimize = || {
        Some(Variant::new(
            Remedy::OptimizeCode,
            "optimize the hot path: −30% CPU per request".into(),
            vec![format!("fleet.service={}", scaled(&f.service, 0.7))],
        ))
    };
    let faster_query = || {
        s.database.as_ref().map(|d| {
            Variant::new(
                Remedy::FasterQuery,
                "a faster query: −50% database demand (add the index)".into(),
                vec![
                    format!("database.read={}", scaled(&d.read, 0.5)),
                    format!("database.write={}", scaled(&d.write, 0.5)),
                ],
            )
        })
    };
    let pooler = || {
        (s.database.is_some() && s.pooler.is_none()).then(|| {
            let d = s.database.as_ref().map(|d| d.cores).unwrap_or(4);
            Variant::new(
                Remedy::Pooler,
                format!("a PgBouncer in transaction mode with {} server connections (2 × the database's cores)", 2 * d),
                vec![format!("pooler.default_pool_size={}", 2 * d)],
            )
        })
    };
    let budget_pools = || {
        let cx = Context::new(s);
        match (s.pool.as_ref(), cx.usable_connections, cx.max_replicas) {
            (Some(p), Some(usable), Some(max)) if max * p.size > usable && usable / max.max(1) >= 1 => {
                let size = usable / max.max(1);
                Some(Variant::new(
                    Remedy::BudgetPools,
                    format!("pools of {size}: {max} replicas × {size} ≤ {usable} usable connections"),
                    vec![format!("pool.size={size}")],
                ))
            }
            _ => None,
        }
    };
    let replicas = || {
        (s.database.is_some()).then(|| {
            let n = s.replicas.as_ref().map_or(2, |r| (r.count * 2).clamp(2, 15));
            Variant::new(
                Remedy::ReadReplicas,
                format!("{n} read replicas take the reads"),
                vec![format!("replicas.count={n}")],
            )
        })
    };
    let cap = || {
        let cx = Context::new(s);
        match (cx.usl_peak, s.pool.as_ref(), max_key(s), cx.max_replicas) {
            (Some(peak), Some(p), Some(key), Some(max)) => {
                let peak = peak.min(s.database.as_ref().map_or(peak, |d| d.cores as f64));
                let n = ((peak / f64::from(p.size.min(f.workers).max(1))).floor() as u32)
                    .max(s.autoscaler.bounds().0)
                    .max(1);
                (n < max).then(|| {
                    Variant::new(
                        Remedy::CapReplicas,
                        format!("max replicas {n}: at most {} queries, under the USL peak {peak:.0}", n * p.size),
                        vec![format!("{key}={n}")],
                    )
                })
            }
            _ => None,
        }
    };
    let shed = || {
        let max = Context::new(s).max_replicas.unwrap_or(f.initial).max(1);
        // Each replica admits about as many as its cores can serve within
        // the SLO: cores × SLO ÷ the mean demand, the rest is refused fast.
        let per =
            (f64::from(f.cores) * s.slo.p99.as_secs_f64() / f.service.mean().as_secs_f64().max(1e-9) / 4.0).max(1.0);
        let n = (per * f64::from(max)).ceil() as u64;
        Some(Variant::new(
            Remedy::ShedLoad,
            format!("shed load: at most {n} requests in flight at the balancer"),
            vec![format!("balancer.max_in_flight={n}")],
        ))
    };
    let headroom = || node_headroom(s, signs.peak_desired);
    let window = || {
        // metrics-server's default resolution (15 s) and the HPA's sync
        // period: about as fast as a Kubernetes metrics pipeline goes.
        let m = &s.metrics;
        (m.window.as_secs_f64() > 30.0 || m.scrape_interval.as_secs_f64() > 15.0 || m.delay.as_secs_f64() > 15.0)
            .then(|| {
                Variant::new(
                    Remedy::ShorterWindow,
                    format!(
                        "react sooner: metrics scraped every 15 s, over a 30 s window, 15 s late (metrics-server's default resolution) instead of {}, {}, {}",
                        m.scrape_interval, m.window, m.delay
                    ),
                    vec![
                        "metrics.scrape_interval=\"15s\"".into(),
                        "metrics.window=\"30s\"".into(),
                        "metrics.delay=\"15s\"".into(),
                    ],
                )
            })
    };
    let leak = || {
        f.memory.as_ref().filter(|m| m.leak_per_request > 0).map(|_| {
            Variant::new(
                Remedy::FixLeak,
                "fix the leak: nothing retained per request".into(),
                vec!["fleet.memory.leak_per_request=\"0B\"".into()],
            )
        })
    };
    let cache = || {
        s.cache.as_ref().and_then(|c| c.local.as_ref()).map(|l| {
            let n = l.capacity.saturating_mul(4);
            Variant::new(
                Remedy::LargerCache,
                format!("a local cache four times larger: {n} keys"),
                vec![format!("cache.local.capacity={n}")],
            )
        })
    };
    for sym in symptoms {
        match sym.class {
            Class::MemoryBound => {
                add(leak());
                add(scale_out(s, peak_replicas));
            }
            Class::ConnectionBound => {
                add(pooler());
                add(budget_pools());
                add(scale_out(s, peak_replicas));
            }
            Class::ContentionBound => {
                add(faster_query());
                add(scale_out(s, peak_replicas));
                add(cap());
                add(pooler());
                add(replicas());
            }
            Class::DatabaseBound => {
                if found(FindingKind::CacheStampede) {
                    add(single_flight(s));
                }
                add(faster_query());
                add(replicas());
                add(cache());
                add(scale_out(s, peak_replicas));
            }
            Class::CapacityBound => {
                add(headroom());
                add(raise_max(s));
                add(scale_up(s));
                add(shed());
            }
            Class::CpuBound => {
                add(raise_max(s));
                add(scale_out(s, peak_replicas));
                add(scale_up(s));
                add(optimize());
                add(shed());
            }
            Class::ControlBound => {
                // The remedy of each finding the class rests on, first.
                if found(FindingKind::MetricLag) {
                    add(window());
                }
                if found(FindingKind::ColdStart) {
                    add(warm_pool(s));
                }
                if found(FindingKind::Flapping) {
                    add(hysteresis(s));
                }
                if found(FindingKind::ScaleInHerd) {
                    add(draining(s));
                }
                add(window());
                add(headroom());
                add(scale_out(s, peak_replicas));
            }
        }
    }
    // A finding whose class did not bind still names its fix.
    if found(FindingKind::CacheStampede) {
        add(single_flight(s));
    }
    if found(FindingKind::ScaleInHerd) {
        add(draining(s));
    }
    if found(FindingKind::Flapping) {
        add(hysteresis(s));
    }
    // Retries that can multiply load (the advisor's retry amplification).
    let c = &s.client;
    let synchronized = c.backoff != Backoff::Exponential || c.jitter == Jitter::None;
    if c.max_attempts > 2 || (c.max_attempts > 1 && synchronized) {
        let base = (c.base.as_secs_f64() * 1e9).max(1e8);
        add(Some(Variant::new(
            Remedy::RetryBudget,
            "a retry budget: one retry, exponential backoff with full jitter".into(),
            vec![format!(
                "client.retry={{ max_attempts = 2, backoff = \"exponential\", base = {}, cap = \"30s\", jitter = \"full\" }}",
                dur(base * 2.0)
            )],
        )));
    }
    // Whatever the symptoms, the two questions of the title.
    add(scale_out(s, peak_replicas));
    add(optimize());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::SimDuration;

    #[test]
    fn a_scaled_distribution_keeps_its_shape_and_scales_its_mean() {
        let d = Dist::lognormal_mean_cv(SimDuration::from_secs_f64(0.025), 1.0);
        assert_eq!(scaled(&d, 0.7), "{ dist = \"lognormal\", mean = \"17.5ms\", cv = 1 }");
        assert_eq!(scaled(&Dist::Exponential { mean: 4.5e6 }, 0.5), "{ dist = \"exponential\", mean = \"2.25ms\" }");
        assert_eq!(
            scaled(&Dist::Constant(SimDuration::from_secs_f64(0.01)), 0.5),
            "{ dist = \"constant\", value = \"5ms\" }"
        );
        // What --set reads back is the same mean.
        let v: toml::Table = toml::from_str(&format!("x = {}", scaled(&d, 0.7))).unwrap();
        let back = crate::input::check::parse_dist(&v["x"]).unwrap();
        assert!((back.mean().as_secs_f64() - 0.0175).abs() < 1e-9);
    }

    fn scenario(fleet: &str) -> Scenario {
        let text = format!(
            "name = \"t\"\nduration = \"1m\"\ntraffic = {{ shape = {{ kind = \"constant\", rps = 10 }} }}\n\
             autoscaler = {{ policy = \"hpa\", minReplicas = 2, maxReplicas = 10 }}\n[fleet]\n{fleet}\n"
        );
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/t.toml");
        Scenario::from_text(&path, &text, &[]).expect("valid")
    }

    #[test]
    fn scaling_up_takes_the_next_type_of_the_family_or_doubles_the_cores() {
        let typed = "types = \"../models/instance-types/m6i.toml\"\ntype = \"m6i.large\"";
        let v = scale_up(&scenario(typed)).expect("a next type");
        assert_eq!(v.set, ["fleet.type=\"m6i.xlarge\"", "fleet.cpu_request=4"]);
        assert!(v.what.contains("the next type of the m6i family: m6i.xlarge"), "{}", v.what);
        // The largest type is the ceiling.
        assert!(
            scale_up(&scenario("types = \"../models/instance-types/m6i.toml\"\ntype = \"m6i.16xlarge\"")).is_none()
        );
        // No type named: twice the cores, and it says so.
        let v = scale_up(&scenario("cores = 2")).expect("doubled");
        assert_eq!(v.set, ["fleet.cores=4", "fleet.price_per_hour=0.192", "fleet.cpu_request=4"]);
        assert!(v.what.contains("no instance type named"), "{}", v.what);
        // On nodes of 4 two-core pods, 2 four-core pods fit; one-pod nodes fit none bigger.
        let nodes = "cores = 2\ncapacity = { nodes = 3, pods_per_node = 4, max_nodes = 10 }";
        assert!(scale_up(&scenario(nodes)).unwrap().set.contains(&"fleet.capacity.pods_per_node=2".to_string()));
        assert!(scale_up(&scenario("cores = 2\ncapacity = { nodes = 3, pods_per_node = 1 }")).is_none());
    }

    #[test]
    fn node_headroom_starts_with_the_nodes_the_peak_wanted_and_none_at_the_bound() {
        let s = scenario("cores = 2\ncapacity = { nodes = 3, pods_per_node = 4, max_nodes = 10 }");
        assert_eq!(node_headroom(&s, 27).unwrap().set, ["fleet.capacity.nodes=7"]);
        assert_eq!(node_headroom(&s, 400).unwrap().set, ["fleet.capacity.nodes=10"]);
        assert_eq!(node_headroom(&s, 2).unwrap().set, ["fleet.capacity.nodes=4"]);
        let full = scenario("cores = 2\ncapacity = { nodes = 3, pods_per_node = 4 }");
        assert!(node_headroom(&full, 27).is_none());
    }

    #[test]
    fn relief_is_configuration_and_the_durable_fixes_are_code() {
        assert!(Remedy::RaiseMax.is_relief() && Remedy::Pooler.is_relief() && Remedy::ShedLoad.is_relief());
        assert!(!Remedy::OptimizeCode.is_relief() && !Remedy::FasterQuery.is_relief() && !Remedy::FixLeak.is_relief());
        assert!(Remedy::Hysteresis.is_relief() && Remedy::WarmPool.is_relief() && Remedy::Draining.is_relief());
    }
}
