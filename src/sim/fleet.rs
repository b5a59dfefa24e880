//! The fleet: instance lifecycle, scaling to the desired count, capacity and
//! the node autoscaler, health checks and slow start.
//!
//! Scaling mirrors a Kubernetes ReplicaSet: missing replicas are created at
//! once (also after a crash), and on scale-in the victims are ranked as
//! `controller.ActivePodsWithRanks` does (pkg/controller/controller_utils.go):
//! unscheduled before scheduled, pending before running, not ready before
//! ready, ready for less time before longer, newer before older.

use std::cmp::Reverse;

use super::record::CostTier;
use super::{Cx, Event};
use crate::engine::queue::EventQueue;
use crate::engine::time::{SimDuration, SimTime};
use crate::model::balancer::FULL;
use crate::model::cache::LocalCache;
use crate::model::instance::{Instance, InstanceId, State};
use crate::model::outcome::ErrorKind;
use crate::model::pool::Pool;
use crate::model::request::Kind;
use crate::model::request::{List, Stage};
use crate::output::EventKind;
use crate::scenario::fleet::Capacity;

type Q = EventQueue<Event>;

impl Cx<'_> {
    /// Creates an instance. Initial instances (`up`) start Ready when a slot
    /// is free; others start Pending and go through the whole lifecycle.
    pub(super) fn create_instance(&mut self, now: SimTime, up: bool, q: &mut Q) -> InstanceId {
        let size = self.app_size(self.c.app_type);
        let f = &self.c.scenario.fleet;
        let id = self.c.instances.next_id();
        let zone = self.c.next_zone;
        self.c.next_zone = (zone + 1) % f.zones;
        let mut inst = Instance::new(id, zone, size.cores, now);
        inst.request = size.request;
        inst.worker_limit = size.workers;
        inst.price_per_hour = size.price_per_hour;
        inst.instance_type = size.instance_type;
        inst.pools = vec![Pool::default(); self.data.as_ref().map_or(0, |d| d.dbs.len())];
        inst.memory = f.memory.as_ref().map_or(0, |m| m.base);
        inst.local = self.c.scenario.cache.as_ref().and_then(|c| c.local.as_ref()).map(|l| LocalCache::new(l.capacity));
        self.c.instances.push(inst);
        self.c.live.insert(id);
        if up && self.c.nodes.slots.is_none_or(|s| self.c.nodes.used < s) {
            self.c.instances[id].started = Some(now);
            self.transition(now, id, State::Provisioning);
            self.transition(now, id, State::Booting);
            self.open_pool(now, id, q);
            self.become_ready(now, id, false, q);
        } else {
            self.c.pending.push_back(id);
            self.c.rec.event(now, EventKind::Instance, id.to_string(), "created → pending");
            self.try_schedule(now, q);
        }
        id
    }

    /// Moves `i` to `to`, keeping the cost, capacity and utilization
    /// accounting and logging the transition.
    pub(super) fn transition(&mut self, now: SimTime, i: InstanceId, to: State) {
        let inst = &mut self.c.instances[i];
        let (request, price) = (inst.request, inst.price_per_hour);
        let from = inst.state;
        if from == to {
            return;
        }
        if from.holds_capacity() != to.holds_capacity() {
            if to.holds_capacity() {
                self.c.nodes.used += 1
            } else {
                self.c.nodes.used -= 1
            }
            self.c.rec.replicas(now, self.c.nodes.used);
            self.c.rec.price(now, CostTier::App, if to.holds_capacity() { price } else { -price });
        }
        if from.running() != to.running() {
            self.c.request_core_ns += (now - self.c.request_since).as_nanos() as f64 * self.c.running_request;
            self.c.request_since = now;
            self.c.running_request += if to.running() { request } else { -request };
        }
        if from.ready() != to.ready() {
            inst.ready_transition = now;
        }
        if from == State::Booting {
            inst.boot_busy_ns += (now - inst.since).as_nanos() as f64 * self.c.scenario.fleet.boot_cpu;
        }
        inst.state = to;
        inst.since = now;
        inst.generation = inst.generation.wrapping_add(1);
        self.c.rec.event(now, EventKind::Instance, i.to_string(), format!("{} → {}", from.name(), to.name()));
    }

    /// Schedules the end of the current lifecycle phase after `d`.
    fn after(&mut self, now: SimTime, i: InstanceId, d: SimDuration, q: &mut Q) {
        let generation = self.c.instances[i].generation;
        q.schedule(now + d, Event::Lifecycle { instance: i, generation });
    }

    /// Starts pending instances while capacity allows; asks the node
    /// autoscaler for nodes when some must still wait.
    pub(super) fn try_schedule(&mut self, now: SimTime, q: &mut Q) {
        while let Some(&id) = self.c.pending.front() {
            if self.c.nodes.slots.is_some_and(|s| self.c.nodes.used >= s) {
                break;
            }
            self.c.pending.pop_front();
            self.transition(now, id, State::Provisioning);
            let d = self.c.scenario.fleet.provisioning.sample(&mut self.c.rng.lifecycle);
            self.after(now, id, d, q);
        }
        if let Capacity::Nodes { pods_per_node, max_nodes, node_provisioning, .. } = self.c.scenario.fleet.capacity {
            let waiting = self.c.pending.len() as u32;
            let coming = self.c.nodes.nodes_coming * pods_per_node;
            if waiting > coming {
                let room = max_nodes.saturating_sub(self.c.nodes.nodes + self.c.nodes.nodes_coming);
                let add = (waiting - coming).div_ceil(pods_per_node).min(room);
                for _ in 0..add {
                    q.schedule(now + node_provisioning, Event::NodeReady);
                }
                self.c.nodes.nodes_coming += add;
                if add > 0 {
                    let detail =
                        format!("adding {add} node(s) for {waiting} pending instance(s); ready in {node_provisioning}");
                    self.c.rec.event(now, EventKind::Nodes, "node-autoscaler", detail);
                }
            }
        }
    }

    pub(super) fn on_node_ready(&mut self, now: SimTime, q: &mut Q) {
        let Capacity::Nodes { pods_per_node, .. } = self.c.scenario.fleet.capacity else {
            return;
        };
        self.c.nodes.nodes += 1;
        self.c.nodes.nodes_coming -= 1;
        self.c.nodes.slots = Some(self.c.nodes.nodes * pods_per_node);
        self.c.rec.event(
            now,
            EventKind::Nodes,
            "node-autoscaler",
            format!("node ready: {} nodes, {} slots", self.c.nodes.nodes, self.c.nodes.nodes * pods_per_node),
        );
        self.try_schedule(now, q);
    }

    pub(super) fn on_lifecycle(&mut self, now: SimTime, i: InstanceId, generation: u32, q: &mut Q) {
        let inst = &self.c.instances[i];
        if inst.generation != generation {
            return;
        }
        match inst.state {
            State::Provisioning => {
                self.c.instances[i].started = Some(now);
                self.transition(now, i, State::Booting);
                self.open_pool(now, i, q);
                let d = self.c.scenario.fleet.boot.sample(&mut self.c.rng.lifecycle);
                self.after(now, i, d, q);
            }
            State::Booting => self.become_ready(now, i, true, q),
            State::Warming => {
                self.transition(now, i, State::Ready);
                self.rollout_notice(now, i, q);
            }
            State::Draining => self.terminate(now, i, "deregistration delay over", q),
            _ => {}
        }
    }

    /// Readiness passes: the instance warms (or is ready at once) and joins
    /// the balancer; `cold` is false for the initial, already warm, fleet.
    fn become_ready(&mut self, now: SimTime, i: InstanceId, cold: bool, q: &mut Q) {
        let warmup = self.c.scenario.fleet.warmup.as_ref().map_or(SimDuration::ZERO, |w| w.duration);
        if cold && !warmup.is_zero() {
            self.transition(now, i, State::Warming);
            self.after(now, i, warmup, q);
        } else {
            self.transition(now, i, State::Ready);
            self.rollout_notice(now, i, q);
        }
        let inst = &mut self.c.instances[i];
        inst.healthy = true;
        inst.probe_failures = 0;
        inst.probe_passes = 0;
        if let Some(hc) = &self.c.scenario.balancer.health_check {
            let epoch = inst.restarts;
            q.schedule(now + hc.interval, Event::Probe { instance: i, epoch });
        }
        self.register(now, i, cold, q);
    }

    /// Adds a ready, healthy instance to the balancer (slowly, if slow start
    /// is on and it is new) and routes requests held for lack of backends.
    fn register(&mut self, now: SimTime, i: InstanceId, slow: bool, q: &mut Q) {
        let ss = self.c.scenario.balancer.slow_start;
        if slow && !ss.is_zero() {
            self.c.router.add(i, 1);
            self.c.slow_starting.push((i, now));
            if !self.c.slow_start_scheduled {
                self.c.slow_start_scheduled = true;
                q.schedule(now + slow_start_step(ss), Event::SlowStart);
            }
        } else {
            self.c.router.add(i, FULL);
        }
        self.release_held(now, q);
    }

    pub(super) fn on_slow_start(&mut self, now: SimTime, q: &mut Q) {
        let ss = self.c.scenario.balancer.slow_start;
        let router = &mut self.c.router;
        self.c.slow_starting.retain(|&(i, since)| {
            if !router.contains(i) {
                return false;
            }
            let w = ((now - since).as_secs_f64() / ss.as_secs_f64() * FULL as f64) as u32;
            router.set_weight(i, w.clamp(1, FULL));
            w < FULL
        });
        self.c.slow_start_scheduled = !self.c.slow_starting.is_empty();
        if self.c.slow_start_scheduled {
            q.schedule(now + slow_start_step(ss), Event::SlowStart);
        }
    }

    /// Makes the number of instances not being deleted equal the desired
    /// count: creates the missing ones, or removes the lowest-ranked.
    pub(super) fn reconcile(&mut self, now: SimTime, q: &mut Q) {
        let mut active: Vec<InstanceId> =
            self.c.live.iter().copied().filter(|&i| self.c.instances[i].state != State::Draining).collect();
        let desired = (self.c.desired + self.c.surge) as usize;
        if active.len() < desired {
            for _ in active.len()..desired {
                self.create_instance(now, false, q);
            }
        } else if active.len() > desired {
            // During a rollout, instances of an outdated type go first (as
            // a Deployment scales its old ReplicaSet down first).
            let current = self.c.app_type;
            active.sort_by_key(|&i| {
                let inst = &self.c.instances[i];
                let outdated = inst.instance_type != current;
                let rank = match inst.state {
                    State::Pending => 0,
                    State::Provisioning => 1,
                    State::Booting => 2,
                    _ => 3,
                };
                (!outdated, rank, Reverse(inst.ready_transition), Reverse(inst.created), Reverse(i))
            });
            for &i in &active[..active.len() - desired] {
                self.remove_instance(now, i, q);
            }
        }
    }

    /// Scale-in of one instance: not yet running ones go at once; running
    /// ones drain if a deregistration delay is set, else die with their
    /// in-flight requests.
    pub(super) fn remove_instance(&mut self, now: SimTime, i: InstanceId, q: &mut Q) {
        match self.c.instances[i].state {
            State::Pending | State::Provisioning | State::Booting => self.terminate(now, i, "scaled in", q),
            State::Warming | State::Ready => {
                let delay = self.c.scenario.balancer.deregistration_delay;
                self.deregister(i);
                if !delay.is_zero() && self.c.instances[i].in_flight() > 0 {
                    self.transition(now, i, State::Draining);
                    self.after(now, i, delay, q);
                } else {
                    self.terminate(now, i, "scaled in", q);
                }
            }
            State::Draining | State::Terminated => {}
        }
    }

    /// A draining instance with nothing left in flight terminates.
    pub(super) fn drained_check(&mut self, now: SimTime, i: InstanceId, q: &mut Q) {
        let inst = &self.c.instances[i];
        if inst.state == State::Draining && inst.in_flight() == 0 {
            self.terminate(now, i, "drained", q);
        }
    }

    fn deregister(&mut self, i: InstanceId) {
        self.c.router.remove(i);
    }

    /// Ends an instance; whatever it still had in flight is killed.
    pub(super) fn terminate(&mut self, now: SimTime, i: InstanceId, why: &str, q: &mut Q) {
        let state = self.c.instances[i].state;
        if state == State::Terminated {
            return;
        }
        if state == State::Pending {
            self.c.pending.retain(|&p| p != i);
        }
        self.deregister(i);
        let killed = self.kill_work(now, i, q);
        let inst = &mut self.c.instances[i];
        inst.cpu.advance(now);
        self.c.retired_busy += inst.cpu.busy_server_ns();
        // A terminated instance keeps only its identity: memory stays
        // O(instances alive), not O(instances ever created).
        inst.cpu = crate::engine::ps::PsStation::new(0);
        inst.scrapes = Default::default();
        inst.queue = Default::default();
        self.c.live.remove(&i);
        self.transition(now, i, State::Terminated);
        self.rollout_notice(now, i, q);
        if killed > 0 || why != "scaled in" {
            let detail =
                if killed > 0 { format!("{why}; {killed} in-flight request(s) killed") } else { why.to_string() };
            self.c.rec.event(now, EventKind::Instance, i.to_string(), detail);
        }
        self.try_schedule(now, q);
    }

    /// A container restart (liveness failure, OOM): in-flight requests die,
    /// the instance boots again without being provisioned again.
    pub(super) fn restart(&mut self, now: SimTime, i: InstanceId, why: &str, q: &mut Q) {
        self.deregister(i);
        let killed = self.kill_work(now, i, q);
        let memory = self.c.scenario.fleet.memory.as_ref().map_or(0, |m| m.base);
        let inst = &mut self.c.instances[i];
        inst.restarts += 1;
        inst.memory = memory;
        self.c.rec.event(
            now,
            EventKind::Instance,
            i.to_string(),
            format!("restarted: {why}; {killed} in-flight request(s) killed"),
        );
        self.transition(now, i, State::Booting);
        self.open_pool(now, i, q);
        let d = self.c.scenario.fleet.boot.sample(&mut self.c.rng.lifecycle);
        self.after(now, i, d, q);
    }

    /// An instance's app starts: its pools open (if there is a data tier).
    fn open_pool(&mut self, now: SimTime, i: InstanceId, q: &mut Q) {
        if let Some(mut d) = self.data() {
            d.open_pool(now, i, q);
        }
    }

    /// Kills everything queued at `i` or holding one of its workers, closes
    /// its pool's connections; returns how many client requests died.
    /// (Requests on the network to it die on arrival.)
    fn kill_work(&mut self, now: SimTime, i: InstanceId, q: &mut Q) -> usize {
        let inst = &mut self.c.instances[i];
        let queued: Vec<_> = inst.queue.drain(..).collect();
        inst.stale = 0;
        let working = self.c.requests.list(inst.workers);
        inst.workers = List::default();
        inst.cpu.drain(now);
        inst.busy_workers = 0;
        self.update_cpu(now, i, q);
        for &r in &working {
            // Its query stops and its connection closes with the instance.
            if self.c.requests.get(r).is_some_and(|x| x.stage != Stage::Computing)
                && let Some(mut d) = self.data()
            {
                d.abort_data(now, r, true, q);
            }
            if let Some(req) = self.c.requests.get_mut(r) {
                req.stage = Stage::Computing;
            }
        }
        if let Some(mut d) = self.data() {
            d.close_pool(i);
        }
        let mut killed = 0;
        for r in working.into_iter().chain(queued) {
            match self.c.requests.get(r) {
                None => {}
                Some(req) if req.probe => self.c.requests.remove(r),
                Some(_) => {
                    killed += 1;
                    self.fail(now, r, ErrorKind::Killed, q);
                }
            }
        }
        killed
    }

    pub(super) fn on_probe(&mut self, now: SimTime, i: InstanceId, epoch: u32, q: &mut Q) {
        let Some(hc) = self.c.scenario.balancer.health_check.clone() else {
            return;
        };
        let inst = &self.c.instances[i];
        if inst.restarts != epoch || !inst.state.ready() {
            return;
        }
        q.schedule(now + hc.interval, Event::Probe { instance: i, epoch });
        // A probe waits for a worker like a request; it needs no CPU.
        let r = self.c.requests.insert(now, 0, Kind::Read, 0, true);
        self.c.requests[r].instance = Some(i);
        let cap = self.c.scenario.fleet.queue as usize;
        let inst = &mut self.c.instances[i];
        let workers = inst.worker_limit;
        if inst.busy_workers < workers {
            self.c.requests.remove(r);
            self.probe_result(now, i, true, q);
        } else if inst.queue.len() < cap + inst.stale as usize {
            inst.queue.push_back(r);
            self.c.requests[r].stage = Stage::Queued;
            q.schedule(now + hc.timeout, Event::Timeout(r));
        } else {
            self.c.requests.remove(r);
            self.probe_result(now, i, false, q);
        }
    }

    /// Counts a probe's result against the thresholds.
    pub(super) fn probe_result(&mut self, now: SimTime, i: InstanceId, ok: bool, q: &mut Q) {
        let Some(hc) = self.c.scenario.balancer.health_check.clone() else {
            return;
        };
        if !self.c.instances[i].state.ready() {
            return;
        }
        let inst = &mut self.c.instances[i];
        if ok {
            inst.probe_passes += 1;
            inst.probe_failures = 0;
            if !inst.healthy && inst.probe_passes >= hc.healthy_threshold {
                inst.healthy = true;
                self.c.rec.event(
                    now,
                    EventKind::Health,
                    i.to_string(),
                    format!("healthy after {} passed probes", hc.healthy_threshold),
                );
                self.register(now, i, true, q);
            }
        } else {
            inst.probe_failures += 1;
            inst.probe_passes = 0;
            if inst.healthy && inst.probe_failures >= hc.unhealthy_threshold {
                inst.healthy = false;
                let detail =
                    format!("unhealthy after {} failed probes (queue {})", hc.unhealthy_threshold, inst.queue.len());
                self.deregister(i);
                self.c.rec.event(now, EventKind::Health, i.to_string(), detail);
                if hc.restart {
                    self.restart(now, i, "liveness probe failed", q);
                }
            }
        }
    }
}

/// Slow-start weights are updated in twenty steps (at least a second apart).
fn slow_start_step(ss: SimDuration) -> SimDuration {
    SimDuration::from_nanos(ss.as_nanos() / 20).max(SimDuration::from_secs(1))
}
