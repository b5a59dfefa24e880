//! An app instance: its lifecycle state and the structures its work runs on
//! (accept queue, workers, cores shared by processor sharing, the samples
//! the metrics pipeline takes of it).
//!
//! Lifecycle, as DESIGN.md fixes it: Pending (no capacity) → Provisioning
//! (scheduling, image pull) → Booting → Warming (ready, serving slowly) →
//! Ready → Draining → Terminated. A crash or a failed liveness probe sends a
//! running instance back to Booting (a container restart, as the kubelet
//! does), without provisioning again.

use std::collections::VecDeque;
use std::fmt;
use std::num::NonZeroU32;
use std::ops::{Index, IndexMut};

use super::cache::LocalCache;
use super::pool::Pool;
use super::request::{List, ReqRef};
use crate::engine::ps::PsStation;
use crate::engine::time::{SimDuration, SimTime};

/// Where an instance is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Waiting for schedulable capacity.
    Pending,
    /// Scheduled; image pull and start-up.
    Provisioning,
    /// Process starting; not ready.
    Booting,
    /// Ready and routable, but slow (cold).
    Warming,
    /// Ready at full speed.
    Ready,
    /// Taking no new requests; finishing in-flight ones.
    Draining,
    /// Gone.
    Terminated,
}

impl State {
    /// Its name in `events.csv`.
    pub fn name(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Provisioning => "provisioning",
            State::Booting => "booting",
            State::Warming => "warming",
            State::Ready => "ready",
            State::Draining => "draining",
            State::Terminated => "terminated",
        }
    }

    /// Whether it holds a schedulable slot (and costs money).
    pub fn holds_capacity(self) -> bool {
        matches!(self, State::Provisioning | State::Booting | State::Warming | State::Ready | State::Draining)
    }

    /// Whether its process is up (Kubernetes phase Running).
    pub fn running(self) -> bool {
        matches!(self, State::Warming | State::Ready | State::Draining)
    }

    /// Whether the readiness condition is true.
    pub fn ready(self) -> bool {
        matches!(self, State::Warming | State::Ready)
    }
}

/// One scrape of an instance's counters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scrape {
    /// When.
    pub at: SimTime,
    /// Cumulative busy core-nanoseconds.
    pub busy_core_ns: f64,
    /// Cumulative completed requests.
    pub completed: u64,
    /// Requests in flight at that moment.
    pub in_flight: u32,
}

/// An instance's id: its place in creation order (never reused within a
/// run). Held as that number plus one, so `Option<InstanceId>` is as small
/// as an id: a request that no instance holds yet costs nothing extra.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceId(NonZeroU32);

impl InstanceId {
    /// The `n`th instance created (from 0).
    pub fn new(n: u32) -> InstanceId {
        InstanceId(NonZeroU32::MIN.saturating_add(n))
    }

    /// Its number, from 0 (shown as `i-N`).
    pub fn get(self) -> u32 {
        self.0.get() - 1
    }

    /// Its index in the run's instance list.
    pub fn index(self) -> usize {
        self.get() as usize
    }
}

impl fmt::Display for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "i-{}", self.get())
    }
}

/// Every instance of a run, terminated ones included, indexed by id.
#[derive(Default)]
pub struct Instances(Vec<Instance>);

impl Instances {
    /// The id the next instance gets.
    pub fn next_id(&self) -> InstanceId {
        InstanceId::new(self.0.len() as u32)
    }

    /// Adds `inst` (whose id is [`Instances::next_id`]).
    pub fn push(&mut self, inst: Instance) {
        debug_assert_eq!(inst.id, self.next_id());
        self.0.push(inst);
    }

    /// Instances created so far.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none was created.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every instance, in id order.
    pub fn iter(&self) -> std::slice::Iter<'_, Instance> {
        self.0.iter()
    }

    /// Every instance, in id order, mutably.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Instance> {
        self.0.iter_mut()
    }
}

impl Index<InstanceId> for Instances {
    type Output = Instance;
    fn index(&self, id: InstanceId) -> &Instance {
        &self.0[id.index()]
    }
}

impl IndexMut<InstanceId> for Instances {
    fn index_mut(&mut self, id: InstanceId) -> &mut Instance {
        &mut self.0[id.index()]
    }
}

/// An app instance.
pub struct Instance {
    /// Its id.
    pub id: InstanceId,
    /// Its availability zone.
    pub zone: u32,
    /// Lifecycle state.
    pub state: State,
    /// When it entered that state.
    pub since: SimTime,
    /// When it was created.
    pub created: SimTime,
    /// When its containers (last) started: the end of provisioning.
    pub started: Option<SimTime>,
    /// When readiness last changed.
    pub ready_transition: SimTime,
    /// Generation of its pending lifecycle event (lazy cancellation).
    pub generation: u32,
    /// Health as the balancer sees it.
    pub healthy: bool,
    /// Consecutive failed probes.
    pub probe_failures: u32,
    /// Consecutive passed probes.
    pub probe_passes: u32,
    /// Container restarts.
    pub restarts: u32,
    /// Cores, by processor sharing.
    pub cpu: PsStation,
    /// Requests waiting for a worker.
    pub queue: VecDeque<ReqRef>,
    /// Workers in use.
    pub busy_workers: u32,
    /// Queue entries whose request was cancelled (skipped when reached).
    pub stale: u32,
    /// Requests completed (a counter, for the rps metric).
    pub completed: u64,
    /// Bytes in use (memory model).
    pub memory: u64,
    /// Recent scrapes, oldest first.
    pub scrapes: VecDeque<Scrape>,
    /// Its database connection pools, one per database it talks to
    /// (primary, replicas, shards), by database index.
    pub pools: Vec<Pool>,
    /// Cores (its type's, or the fleet's).
    pub cores: u32,
    /// Its CPU request, cores (the utilization denominator).
    pub request: f64,
    /// Worker threads.
    pub worker_limit: u32,
    /// Its instance type (an index into the fleet's family), if typed.
    pub instance_type: Option<usize>,
    /// What it costs per hour while it holds capacity.
    pub price_per_hour: f64,
    /// Its local cache, if the scenario has one.
    pub local: Option<LocalCache>,
    /// The requests holding a worker (a list through the request slab):
    /// what dies with the instance.
    pub workers: List,
    /// Core-nanoseconds burnt while booting, in boots already over.
    pub boot_busy_ns: f64,
}

impl Instance {
    /// A new instance in `Pending`.
    pub fn new(id: InstanceId, zone: u32, cores: u32, now: SimTime) -> Instance {
        Instance {
            id,
            zone,
            state: State::Pending,
            since: now,
            created: now,
            started: None,
            ready_transition: now,
            generation: 0,
            healthy: true,
            probe_failures: 0,
            probe_passes: 0,
            restarts: 0,
            cpu: PsStation::new(cores),
            queue: VecDeque::new(),
            busy_workers: 0,
            stale: 0,
            completed: 0,
            memory: 0,
            scrapes: VecDeque::new(),
            pools: Vec::new(),
            cores,
            request: cores as f64,
            worker_limit: 1,
            instance_type: None,
            price_per_hour: 0.0,
            local: None,
            workers: List::default(),
            boot_busy_ns: 0.0,
        }
    }

    /// Requests at the instance: queued plus holding a worker.
    pub fn in_flight(&self) -> u32 {
        self.queue.len() as u32 - self.stale + self.busy_workers
    }

    /// The cold factor at `now`: `slowdown` at the start of warming,
    /// decaying linearly to 1 at the end of `warmup`.
    pub fn cold_factor(&self, now: SimTime, warmup: SimDuration, slowdown: f64) -> f64 {
        if self.state != State::Warming || warmup.is_zero() {
            return 1.0;
        }
        let f = now.saturating_since(self.since).as_secs_f64() / warmup.as_secs_f64();
        1.0 + (slowdown - 1.0) * (1.0 - f.min(1.0))
    }

    /// Keeps scrapes back to `keep` before `now`, plus one older (the base
    /// of a rate over the window).
    pub fn trim_scrapes(&mut self, now: SimTime, keep: SimDuration) {
        let cutoff = now.saturating_sub(keep);
        while self.scrapes.len() > 2 && self.scrapes[1].at < cutoff {
            self.scrapes.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cold_factor_decays_linearly_over_warmup() {
        let mut i = Instance::new(InstanceId::new(0), 0, 1, SimTime::ZERO);
        i.state = State::Warming;
        let w = SimDuration::from_secs(100);
        assert_eq!(i.cold_factor(SimTime::ZERO, w, 3.0), 3.0);
        assert_eq!(i.cold_factor(SimTime::ZERO + SimDuration::from_secs(50), w, 3.0), 2.0);
        assert_eq!(i.cold_factor(SimTime::ZERO + SimDuration::from_secs(200), w, 3.0), 1.0);
        i.state = State::Ready;
        assert_eq!(i.cold_factor(SimTime::ZERO, w, 3.0), 1.0);
    }
}
