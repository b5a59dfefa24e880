//! The request path: an arrival becomes an attempt; the balancer sheds it,
//! holds it or routes it; the instance queues it for a worker; the worker
//! computes (processor sharing over the cores, slowed while warming); the
//! response — or an error — goes back to the client, which may time out
//! and retry. Retries are new arrivals. An attempt the client gave up on
//! keeps using the server unless `cancel_on_timeout` is set.

use super::{Cx, Event};
use crate::engine::dist::Zipf;
use crate::engine::queue::EventQueue;
use crate::engine::rng::Stream;
use crate::engine::time::{SimDuration, SimTime};
use crate::model::instance::InstanceId;
use crate::model::outcome::ErrorKind;
use crate::model::request::Kind;
use crate::model::request::{ReqRef, Stage};
use crate::model::traffic::{Arrival, ArrivalProcess};
use crate::scenario::Scenario;
use crate::scenario::client::{Backoff, Jitter};
use std::io;

type Q = EventQueue<Event>;

/// The traffic source: the arrival scheduled next, and the draw of keys.
pub(super) struct Traffic {
    arrivals: ArrivalProcess,
    /// Cancels arrivals drawn before a rate change.
    generation: u32,
    /// The arrival scheduled next (its key and kind, if the source has them).
    next: Option<Arrival>,
    zipf: Zipf,
    /// Whether any component needs request keys (else they are not drawn).
    uses_keys: bool,
    keys: Stream,
}

impl Traffic {
    pub(super) fn new(s: &Scenario, seed: u64, end: SimTime) -> io::Result<Traffic> {
        Ok(Traffic {
            arrivals: ArrivalProcess::new(&s.traffic, Stream::new(seed, "traffic.arrivals"), end)?,
            generation: 0,
            next: None,
            zipf: Zipf::new(s.traffic.key_count, s.traffic.zipf),
            // Keys matter to caches, read-your-writes routing and shards.
            uses_keys: s.cache.is_some()
                || s.replicas.as_ref().is_some_and(|r| r.count > 0)
                || s.database.as_ref().is_some_and(|d| d.shards > 1),
            keys: Stream::new(seed, "traffic.keys"),
        })
    }

    /// Draws the next arrival and schedules it.
    pub(super) fn schedule(&mut self, q: &mut Q) {
        if let Some(a) = self.arrivals.next_arrival() {
            self.next = Some(a);
            q.schedule(a.at, Event::Arrival { generation: self.generation });
        }
    }

    /// The arrival of an `Arrival` event of `generation`, if it is still
    /// current; the one after it is scheduled.
    fn arrive(&mut self, generation: u32, q: &mut Q) -> Option<Arrival> {
        if generation != self.generation {
            return None;
        }
        let a = self.next.take()?;
        self.schedule(q);
        Some(a)
    }

    /// The key of arrival `a`: its own, drawn, or 0 if nothing uses keys.
    fn key(&mut self, a: &Arrival) -> u32 {
        match a.key {
            Some(k) => k,
            None if self.uses_keys => (self.zipf.sample(&mut self.keys) - 1) as u32,
            None => 0,
        }
    }

    /// The rate is multiplied by `m` from `now` on; an arrival drawn at the
    /// old rate is cancelled and redrawn if the source needs it.
    pub(super) fn set_multiplier(&mut self, now: SimTime, m: f64, q: &mut Q) {
        if self.arrivals.set_multiplier(now, m) {
            self.generation = self.generation.wrapping_add(1);
            self.next = None;
            self.schedule(q);
        }
    }
}

impl Cx<'_> {
    pub(super) fn on_arrival(&mut self, now: SimTime, generation: u32, q: &mut Q) {
        let Some(a) = self.c.traffic.arrive(generation, q) else { return };
        let t = &self.c.scenario.traffic;
        let kind = a.kind.unwrap_or_else(|| {
            let w = t.write_fraction;
            if w > 0.0 && (w >= 1.0 || self.c.rng.mix.chance(w)) { Kind::Write } else { Kind::Read }
        });
        let key = self.c.traffic.key(&a);
        self.c.rec.arrival();
        self.new_attempt(now, key, kind, 1, q);
    }

    /// An attempt reaches the balancer.
    pub(super) fn new_attempt(&mut self, now: SimTime, key: u32, kind: Kind, attempt: u8, q: &mut Q) {
        self.c.rec.attempt(attempt > 1);
        let b = &self.c.scenario.balancer;
        if let Some((rps, burst)) = b.rate_limit {
            let lb = &mut self.c.balancer;
            lb.tokens = (lb.tokens + (now - lb.tokens_at).as_secs_f64() * rps).min(burst);
            lb.tokens_at = now;
            if lb.tokens < 1.0 {
                return self.client_failure(now, key, kind, attempt, ErrorKind::Shed, q);
            }
            lb.tokens -= 1.0;
        }
        if b.max_in_flight.is_some_and(|cap| self.c.balancer.in_flight >= cap) {
            return self.client_failure(now, key, kind, attempt, ErrorKind::Shed, q);
        }
        let r = self.c.requests.insert(now, attempt, kind, key, false);
        self.c.balancer.in_flight += 1;
        self.c.rec.enter(now);
        if let Some(t) = self.c.scenario.client.timeout {
            q.schedule_timer(now + t, Event::Timeout(r));
        }
        self.route(now, r, q);
    }

    /// Sends `r` to a backend, or holds it, or rejects it.
    pub(super) fn route(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        match self.c.router.pick() {
            Some(i) => {
                self.c.router.dispatched(i);
                let latency = self.c.faults.latency.0;
                let req = &mut self.c.requests[r];
                req.instance = Some(i);
                if latency.is_zero() {
                    self.admit(now, r, i, q);
                } else {
                    req.stage = Stage::Network;
                    q.schedule(now + latency, Event::Delivered(r));
                }
            }
            None if (self.c.balancer.held.len() as u64) < self.c.scenario.balancer.queue => {
                self.c.balancer.held.push_back(r);
            }
            None => self.fail(now, r, ErrorKind::Rejected, q),
        }
    }

    /// Routes the requests held while nothing was routable.
    pub(super) fn release_held(&mut self, now: SimTime, q: &mut Q) {
        while !self.c.router.is_empty() {
            let Some(r) = self.c.balancer.held.pop_front() else {
                break;
            };
            if self.c.requests.get(r).is_some() {
                self.route(now, r, q);
            }
        }
    }

    pub(super) fn on_delivered(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        if let Some(req) = self.c.requests.get(r) {
            let i = req.routed();
            self.admit(now, r, i, q);
        }
    }

    /// The instance receives `r`: a free worker takes it, or it queues, or
    /// the queue is full and it is rejected.
    pub(super) fn admit(&mut self, now: SimTime, r: ReqRef, i: InstanceId, q: &mut Q) {
        let cap = self.c.scenario.fleet.queue;
        let inst = &mut self.c.instances[i];
        let workers = inst.worker_limit;
        if !inst.state.running() {
            return self.fail(now, r, ErrorKind::Killed, q);
        }
        self.c.requests[r].enqueued = now;
        if inst.busy_workers < workers {
            self.start_work(now, r, i, q);
        } else if inst.queue.len() < cap as usize + inst.stale as usize {
            inst.queue.push_back(r);
            self.c.requests[r].stage = Stage::Queued;
        } else {
            self.fail(now, r, ErrorKind::Rejected, q);
        }
    }

    /// A worker takes `r`. A probe is answered at once; a request computes.
    pub(super) fn start_work(&mut self, now: SimTime, r: ReqRef, i: InstanceId, q: &mut Q) {
        let req = &mut self.c.requests[r];
        if req.probe {
            self.c.requests.remove(r);
            return self.probe_result(now, i, true, q);
        }
        req.stage = Stage::Computing;
        self.c.rec.queue_wait(now - req.enqueued);
        let f = &self.c.scenario.fleet;
        let inst = &mut self.c.instances[i];
        inst.busy_workers += 1;
        self.c.requests.link(&mut inst.workers, r);
        let cold = match &f.warmup {
            Some(w) => inst.cold_factor(now, w.duration, w.slowdown),
            None => 1.0,
        };
        let demand = f.service.sample(&mut self.c.rng.service).as_nanos() as f64 * cold;
        inst.cpu.add(now, r.token(), demand);
        self.update_cpu(now, i, q);
    }

    /// Sets the per-job rate `min(1, cores/n)` and reschedules the next
    /// completion if it moved.
    pub(super) fn update_cpu(&mut self, now: SimTime, i: InstanceId, q: &mut Q) {
        let cpu = &mut self.c.instances[i].cpu;
        let n = cpu.active();
        let rate = if n == 0 { 1.0 } else { (cpu.servers() / n as f64).min(1.0) };
        if rate != cpu.rate() {
            cpu.set_rate(now, rate);
        }
        if let Some((t, generation)) = cpu.reschedule() {
            q.schedule(t, Event::ComputeDone { instance: i, generation });
        }
    }

    pub(super) fn on_compute_done(&mut self, now: SimTime, i: InstanceId, generation: u32, q: &mut Q) {
        let cpu = &mut self.c.instances[i].cpu;
        if !cpu.take_event(generation) {
            return;
        }
        let mut done = std::mem::take(&mut self.c.scratch);
        cpu.pop_finished(now, &mut done);
        self.update_cpu(now, i, q);
        for token in done.drain(..) {
            self.compute_finished(now, ReqRef::from_token(token), i, q);
        }
        self.c.scratch = done;
    }

    /// Compute is done; a failing dependency may end the request here,
    /// otherwise it goes on to the data tier.
    fn compute_finished(&mut self, now: SimTime, r: ReqRef, i: InstanceId, q: &mut Q) {
        let rate = self.c.faults.dependency_errors.0;
        if rate > 0.0 && self.c.rng.faults.chance(rate) {
            return self.leave_worker(now, r, i, Err(ErrorKind::DependencyError), q);
        }
        match self.data() {
            Some(mut d) => d.after_compute(now, r, i, q),
            None => self.leave_worker(now, r, i, Ok(()), q),
        }
    }

    /// The attempt leaves its worker with a response or an error.
    pub(super) fn leave_worker(
        &mut self,
        now: SimTime,
        r: ReqRef,
        i: InstanceId,
        outcome: Result<(), ErrorKind>,
        q: &mut Q,
    ) {
        let req = &self.c.requests[r];
        let (arrival, abandoned, key, kind, attempt) = (req.arrival, req.abandoned, req.key, req.kind, req.attempt);
        self.c.requests.unlink(&mut self.c.instances[i].workers, r);
        self.depart(now, r);
        self.c.router.finished(i);
        match outcome {
            Ok(()) => {
                self.c.instances[i].completed += 1;
                if !abandoned {
                    self.c.rec.success(now - arrival);
                }
            }
            Err(e) if !abandoned => self.client_failure(now, key, kind, attempt, e, q),
            Err(_) => {}
        }
        self.release_worker(now, i, q);
        if let Some(m) = &self.c.scenario.fleet.memory {
            let inst = &mut self.c.instances[i];
            inst.memory += m.leak_per_request;
            if inst.memory >= m.limit && inst.state.running() {
                self.restart(now, i, "OOM-killed at the memory limit", q);
            }
        }
    }

    /// Frees a worker: the next live request in the queue takes it. A
    /// draining instance with nothing left terminates.
    pub(super) fn release_worker(&mut self, now: SimTime, i: InstanceId, q: &mut Q) {
        let inst = &mut self.c.instances[i];
        inst.busy_workers -= 1;
        while let Some(next) = inst.queue.pop_front() {
            if self.c.requests.get(next).is_some() {
                self.start_work(now, next, i, q);
                break;
            }
            inst.stale -= 1;
        }
        self.drained_check(now, i, q);
    }

    /// Takes `r` out of the system (slab, balancer count, Little's-law
    /// accounting). Every attempt leaves through here exactly once.
    pub(super) fn depart(&mut self, now: SimTime, r: ReqRef) {
        let req = &self.c.requests[r];
        if !req.probe {
            self.c.balancer.in_flight -= 1;
            self.c.rec.leave(now, req.arrival);
        }
        self.c.requests.remove(r);
    }

    /// Ends attempt `r`, which holds no worker, with an error.
    pub(super) fn fail(&mut self, now: SimTime, r: ReqRef, error: ErrorKind, q: &mut Q) {
        let req = &self.c.requests[r];
        let (probe, abandoned, key, kind, attempt, at) =
            (req.probe, req.abandoned, req.key, req.kind, req.attempt, req.instance);
        self.depart(now, r);
        if probe {
            if let Some(i) = at {
                self.probe_result(now, i, false, q);
            }
            return;
        }
        if let Some(i) = at {
            self.c.router.finished(i);
        }
        if !abandoned {
            self.client_failure(now, key, kind, attempt, error, q);
        }
    }

    /// The client sees an error: it retries after a backoff, or gives up.
    pub(super) fn client_failure(
        &mut self,
        now: SimTime,
        key: u32,
        kind: Kind,
        attempt: u8,
        error: ErrorKind,
        q: &mut Q,
    ) {
        self.c.rec.error(error);
        if (attempt as u32) < self.c.scenario.client.max_attempts {
            let wait = self.backoff(attempt);
            q.schedule(now + wait, Event::Retry { key, kind, attempt: attempt + 1 });
        } else {
            self.c.rec.request_failed();
        }
    }

    /// The wait after failed attempt number `attempt`.
    fn backoff(&mut self, attempt: u8) -> SimDuration {
        let c = &self.c.scenario.client;
        let b = match c.backoff {
            Backoff::None => SimDuration::ZERO,
            Backoff::Fixed => c.base,
            Backoff::Exponential => c.base.saturating_mul(1u64 << (attempt - 1).min(62)).min(c.cap),
        };
        match c.jitter {
            Jitter::None => b,
            Jitter::Full => b.mul_f64(self.c.rng.client.uniform()),
            Jitter::Equal => {
                SimDuration::from_nanos(b.as_nanos() / 2)
                    + SimDuration::from_nanos(b.as_nanos() / 2).mul_f64(self.c.rng.client.uniform())
            }
        }
    }

    pub(super) fn on_timeout(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let Some(req) = self.c.requests.get_mut(r) else {
            return;
        };
        if req.probe {
            let i = req.routed();
            self.cancel(now, r, q);
            return self.probe_result(now, i, false, q);
        }
        if req.abandoned {
            return;
        }
        let (key, kind, attempt) = (req.key, req.kind, req.attempt);
        if self.c.scenario.client.cancel_on_timeout {
            self.cancel(now, r, q);
        } else {
            req.abandoned = true;
        }
        self.client_failure(now, key, kind, attempt, ErrorKind::Timeout, q);
    }

    /// The server drops `r` wherever it is.
    fn cancel(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let req = &self.c.requests[r];
        let (stage, probe) = (req.stage, req.probe);
        let Some(i) = req.instance else {
            // Held at the balancer: no instance has it; its entry is skipped.
            return self.depart(now, r);
        };
        let holds_worker = match stage {
            Stage::Queued => {
                self.c.instances[i].stale += 1;
                false
            }
            Stage::Computing => {
                self.c.instances[i].cpu.remove(now, r.token());
                self.update_cpu(now, i, q);
                true
            }
            Stage::CacheLookup
            | Stage::WaitingFill
            | Stage::WaitingPool
            | Stage::WaitingServer
            | Stage::WaitingLock
            | Stage::Querying => {
                if let Some(mut d) = self.data() {
                    d.abort_data(now, r, false, q);
                }
                true
            }
            // Held and in-network entries are skipped when they come up.
            Stage::Held | Stage::Network | Stage::Free => false,
        };
        if holds_worker {
            self.c.requests.unlink(&mut self.c.instances[i].workers, r);
        }
        self.depart(now, r);
        if !probe {
            self.c.router.finished(i);
        }
        if holds_worker {
            self.release_worker(now, i, q);
        } else if stage == Stage::Queued {
            self.drained_check(now, i, q);
        }
    }
}
