//! The data tier on the request path, after compute:
//!
//! ```text
//! read:  local cache ─hit→ respond
//!          └miss→ shared cache (hit_latency) ─hit→ respond
//!                   └miss→ (single-flight: wait for the key's fill) or DB read → fill → respond
//! write: DB write (write lock, FIFO) → invalidate the key → respond
//! DB access: pool acquire (idle │ open a connection │ wait FIFO ≤ acquire_timeout)
//!            → [pooler: borrow a server connection ≤ query_wait_timeout]
//!            → [write lock] → query (processor sharing, USL) → release → respond
//! ```
//!
//! A request keeps its worker thread throughout but uses no CPU while it
//! waits. Connections are counted per pool; one opened before a database
//! outage is recognised as dead by its epoch and discarded when returned.

use hdrhistogram::Histogram;

use super::record::latency_histogram;
use super::requests::NO_INSTANCE;
use super::{Event, Sim};
use crate::engine::queue::EventQueue;
use crate::engine::rng::Stream;
use crate::engine::time::{SimDuration, SimTime};
use crate::model::cache::SharedCache;
use crate::model::database::CONNECT_JOB;
use crate::model::database::Database;
use crate::model::instance::State;
use crate::model::outcome::ErrorKind;
use crate::model::pool::Pool;
use crate::model::request::{ReqRef, Stage};
use crate::output::summary::DataSummary;
use crate::output::timeseries::DataTierColumns;
use crate::scenario::Scenario;
use crate::scenario::trace::Kind;

type Q = EventQueue<Event>;

/// Whose pool a connection belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Owner {
    /// An instance's pool (to the pooler or to the database).
    Instance(u32),
    /// The pooler's server connections to the database.
    Pooler,
}

/// A connection being opened.
#[derive(Clone, Copy, Debug)]
pub(super) struct Connect {
    owner: Owner,
    /// The owner pool's epoch when it started (a restart orphans it).
    epoch: u32,
    /// Opened for a waiting request (whose wait a refusal ends at once).
    for_waiter: bool,
}

/// Whether an instance's app process is up (its pool exists).
fn app_running(state: State) -> bool {
    matches!(state, State::Booting | State::Warming | State::Ready | State::Draining)
}

/// After a refused connect, a pool tries again to reach `min_idle` this
/// much later (HikariCP retries in its housekeeping; PgBouncer likewise).
const REFILL_RETRY: SimDuration = SimDuration::from_secs(1);

impl Sim {
    // ----- the path after compute -------------------------------------------

    /// Compute is done: go to the data tier, or respond.
    pub(super) fn after_compute(&mut self, now: SimTime, r: ReqRef, i: u32, q: &mut Q) {
        if self.data.is_none() {
            return self.leave_worker(now, r, i, Ok(()), q);
        }
        let req = self.requests.get(r).expect("live");
        let (key, kind) = (req.key, req.kind);
        if kind == Kind::Write {
            return self.acquire(now, r, i, q);
        }
        // A read that consults a cache counts once, hit at either level.
        let d = self.data.as_mut().expect("data tier");
        let local = &mut self.instances[i as usize].local;
        if local.is_some() || self.scenario.cache.is_some() {
            d.tick.lookups += 1;
        }
        if let Some(local) = local
            && local.get(key, now)
        {
            d.tick.hits += 1;
            return self.leave_worker(now, r, i, Ok(()), q);
        }
        match &self.scenario.cache {
            Some(c) => {
                self.requests.get_mut(r).expect("live").stage = Stage::CacheLookup;
                q.schedule(now + c.hit_latency, Event::CacheReply(r));
            }
            None => self.acquire(now, r, i, q),
        }
    }

    pub(super) fn on_cache_reply(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let Some(req) = self.requests.get(r).filter(|q| q.stage == Stage::CacheLookup) else { return };
        let (i, key) = (req.instance, req.key);
        let single_flight = self.scenario.cache.as_ref().is_some_and(|c| c.single_flight);
        let d = self.data.as_mut().expect("data tier");
        let cache = d.cache.as_mut().expect("shared cache");
        if cache.lookup(key, now) {
            d.tick.hits += 1;
            self.fill_local(now, i, key);
            return self.leave_worker(now, r, i, Ok(()), q);
        }
        if single_flight && cache.is_filling(key) {
            cache.wait_for_fill(key, r);
            self.requests.get_mut(r).expect("live").stage = Stage::WaitingFill;
            return;
        }
        self.start_key_read(r, key);
        self.acquire(now, r, i, q);
    }

    /// `r` will read `key` from the database to fill the cache.
    fn start_key_read(&mut self, r: ReqRef, key: u32) {
        let d = self.data.as_mut().expect("data tier");
        if d.cache.as_mut().expect("shared cache").start_read(key) {
            d.tick.duplicate_reads += 1;
        }
        self.requests.get_mut(r).expect("live").reading_key = true;
    }

    /// The read of `key` by `r` ended (`filled` or not): wake the requests
    /// that waited for it. If it failed, the first of them reads instead.
    fn end_key_read(&mut self, now: SimTime, r: ReqRef, key: u32, filled: bool, q: &mut Q) {
        self.requests.get_mut(r).expect("live").reading_key = false;
        let waiters = self.data.as_mut().expect("data tier").cache.as_mut().expect("shared cache").end_read(key);
        let mut live =
            waiters.into_iter().filter(|w| self.requests.get(*w).is_some_and(|x| x.stage == Stage::WaitingFill));
        if filled {
            for w in live.collect::<Vec<_>>() {
                let wi = self.requests.get(w).expect("live").instance;
                self.fill_local(now, wi, key);
                self.leave_worker(now, w, wi, Ok(()), q);
            }
        } else if let Some(first) = live.next() {
            let rest: Vec<ReqRef> = live.collect();
            let cache = self.data.as_mut().expect("data tier").cache.as_mut().expect("shared cache");
            for w in rest {
                cache.wait_for_fill(key, w);
            }
            self.start_key_read(first, key);
            let fi = self.requests.get(first).expect("live").instance;
            self.acquire(now, first, fi, q);
        }
    }

    fn fill_local(&mut self, now: SimTime, i: u32, key: u32) {
        if let (Some(local), Some(spec)) =
            (&mut self.instances[i as usize].local, self.scenario.cache.as_ref().and_then(|c| c.local.as_ref()))
        {
            local.put(key, now + spec.ttl);
        }
    }

    // ----- pools and connections --------------------------------------------

    fn pool_mut(&mut self, owner: Owner) -> &mut Pool {
        match owner {
            Owner::Instance(i) => &mut self.instances[i as usize].pool,
            Owner::Pooler => &mut self.data.as_mut().expect("data tier").pooler.as_mut().expect("pooler").servers,
        }
    }

    /// (size, min_idle) of a pool.
    fn pool_limits(&self, owner: Owner) -> (u32, u32) {
        match owner {
            Owner::Instance(_) => self.scenario.pool.as_ref().map_or((0, 0), |p| (p.size, p.min_idle)),
            Owner::Pooler => self.scenario.pooler.as_ref().map_or((0, 0), |p| (p.default_pool_size, 0)),
        }
    }

    /// `r` needs a connection of its instance's pool.
    fn acquire(&mut self, now: SimTime, r: ReqRef, i: u32, q: &mut Q) {
        let timeout = self.scenario.pool.as_ref().expect("pool").acquire_timeout;
        self.wait_for(now, r, Owner::Instance(i), Stage::WaitingPool, timeout, q);
    }

    /// Queues `r` for a connection of `owner`'s pool, opening connections
    /// as the pool allows, and hands out any idle one.
    fn wait_for(&mut self, now: SimTime, r: ReqRef, owner: Owner, stage: Stage, timeout: SimDuration, q: &mut Q) {
        let req = self.requests.get_mut(r).expect("live");
        req.stage = stage;
        req.waiting_since = now;
        let pool = self.pool_mut(owner);
        pool.waiters.push_back(r);
        pool.waiting += 1;
        q.schedule(now + timeout, Event::AcquireTimeout(r));
        self.hand_off(now, owner, q);
        self.fill_pool(now, owner, false, q);
    }

    /// Opens connections for the waiting requests and, with `top_up`, up to
    /// `min_idle`. Requests only open what they wait for; topping up is for
    /// the pool's start, its scheduled refills (so a refused pool retries
    /// once a second, not once a request), and recovery.
    pub(super) fn fill_pool(&mut self, now: SimTime, owner: Owner, top_up: bool, q: &mut Q) {
        let (size, min_idle) = self.pool_limits(owner);
        loop {
            let pool = self.pool_mut(owner);
            let for_waiter = pool.opening_for_waiters + pool.idle < pool.waiting;
            if pool.committed() >= size || !(for_waiter || top_up && pool.committed() < min_idle) {
                break;
            }
            pool.opening += 1;
            pool.opening_for_waiters += u32::from(for_waiter);
            let epoch = pool.epoch;
            self.start_connect(now, Connect { owner, epoch, for_waiter }, q);
        }
    }

    fn start_connect(&mut self, now: SimTime, c: Connect, q: &mut Q) {
        let wire = self.scenario.pool.as_ref().expect("pool").connect_time;
        let d = self.data.as_mut().expect("data tier");
        let id = match d.free_connects.pop() {
            Some(id) => {
                d.connects[id as usize] = c;
                id
            }
            None => {
                d.connects.push(c);
                d.connects.len() as u32 - 1
            }
        };
        q.schedule(now + wire, Event::ConnectArrive(id));
    }

    /// The epoch of `owner`'s pool, if its app is running (a pool exists
    /// from boot until termination).
    fn owner_epoch(&self, owner: Owner) -> Option<u32> {
        match owner {
            Owner::Instance(i) => {
                let inst = &self.instances[i as usize];
                app_running(inst.state).then_some(inst.pool.epoch)
            }
            Owner::Pooler => Some(self.data.as_ref()?.pooler.as_ref()?.servers.epoch),
        }
    }

    /// A connect reaches the pooler or the database.
    pub(super) fn on_connect_arrive(&mut self, now: SimTime, id: u32, q: &mut Q) {
        let c = self.data.as_ref().expect("data tier").connects[id as usize];
        if self.owner_epoch(c.owner) != Some(c.epoch) {
            // The owner restarted or died: nothing was opened; forget it.
            self.data.as_mut().expect("data tier").free_connects.push(id);
            return;
        }
        let cost = self.scenario.database.as_ref().expect("database").connect_cost;
        let d = self.data.as_mut().expect("data tier");
        match (c.owner, &mut d.pooler) {
            // A client connection to the pooler: cheap, no database work.
            (Owner::Instance(_), Some(pooler)) => {
                let ok = pooler.clients < self.scenario.pooler.as_ref().expect("pooler").max_client_conn;
                pooler.clients += u32::from(ok);
                self.connect_done(now, id, ok, q);
            }
            // A backend: admitted (or refused) at once, then set up by real
            // database work that competes with queries.
            _ => {
                if d.db.admit() {
                    d.tick.connects += 1;
                    d.db.cpu.add(now, CONNECT_JOB | id as u64, cost.as_nanos() as f64);
                    self.update_db(now, q);
                } else {
                    d.tick.refused_connects += 1;
                    self.connect_done(now, id, false, q);
                }
            }
        }
    }

    /// A connect finished: the connection joins its pool (and goes to the
    /// first waiter), or it was refused (the waiter it was for fails at once).
    fn connect_done(&mut self, now: SimTime, id: u32, ok: bool, q: &mut Q) {
        let d = self.data.as_mut().expect("data tier");
        let c = d.connects[id as usize];
        d.free_connects.push(id);
        if self.owner_epoch(c.owner) != Some(c.epoch) {
            if ok {
                self.close_connections(c.owner, 1);
            }
            return;
        }
        let pool = self.pool_mut(c.owner);
        pool.opening -= 1;
        pool.opening_for_waiters -= u32::from(c.for_waiter);
        if ok {
            pool.idle += 1;
            self.hand_off(now, c.owner, q);
            return;
        }
        if c.for_waiter
            && let Some(w) = self.next_waiter(c.owner)
        {
            self.pool_mut(c.owner).waiting -= 1;
            self.fail_in_session(now, w, ErrorKind::DbRefused, q);
        }
        self.schedule_refill(now, c.owner, q);
    }

    /// Closes `n` open connections of `owner` at the far end.
    fn close_connections(&mut self, owner: Owner, n: u32) {
        let d = self.data.as_mut().expect("data tier");
        match (owner, &mut d.pooler) {
            (Owner::Instance(_), Some(pooler)) => pooler.clients -= n.min(pooler.clients),
            _ => d.db.close(n),
        }
        d.tick.closed += n as u64;
    }

    fn schedule_refill(&mut self, now: SimTime, owner: Owner, q: &mut Q) {
        let (_, min_idle) = self.pool_limits(owner);
        let pool = self.pool_mut(owner);
        if pool.committed() < min_idle.max(pool.waiting) && !pool.refill_scheduled {
            pool.refill_scheduled = true;
            let (instance, epoch) = match owner {
                Owner::Instance(i) => (i, pool.epoch),
                Owner::Pooler => (NO_INSTANCE, pool.epoch),
            };
            q.schedule(now + REFILL_RETRY, Event::PoolRefill { instance, epoch });
        }
    }

    pub(super) fn on_pool_refill(&mut self, now: SimTime, instance: u32, epoch: u32, q: &mut Q) {
        let owner = if instance == NO_INSTANCE { Owner::Pooler } else { Owner::Instance(instance) };
        if self.owner_epoch(owner) != Some(epoch) {
            return;
        }
        self.pool_mut(owner).refill_scheduled = false;
        self.fill_pool(now, owner, true, q);
    }

    /// The first waiter of `owner`'s pool that is still waiting.
    fn next_waiter(&mut self, owner: Owner) -> Option<ReqRef> {
        let want = if owner == Owner::Pooler { Stage::WaitingServer } else { Stage::WaitingPool };
        loop {
            let w = self.pool_mut(owner).waiters.pop_front()?;
            if self.requests.get(w).is_some_and(|x| x.stage == want) {
                return Some(w);
            }
        }
    }

    /// Gives idle connections of `owner`'s pool to its waiters, in order.
    fn hand_off(&mut self, now: SimTime, owner: Owner, q: &mut Q) {
        while self.pool_mut(owner).idle > 0 {
            let Some(w) = self.next_waiter(owner) else { return };
            let pool = self.pool_mut(owner);
            pool.waiting -= 1;
            pool.idle -= 1;
            pool.busy += 1;
            let req = self.requests.get_mut(w).expect("live");
            let waited = now - req.waiting_since;
            let d = self.data.as_mut().expect("data tier");
            let us = (waited.as_nanos() / 1000).max(1);
            if owner == Owner::Pooler {
                d.tick.pooler_wait.saturating_record(us);
                self.got_server(now, w, q);
            } else {
                d.tick.pool_wait.saturating_record(us);
                d.pool_wait.saturating_record(us);
                self.got_connection(now, w, q);
            }
        }
    }

    fn got_connection(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let epoch = self.data.as_ref().expect("data tier").db.epoch;
        let req = self.requests.get_mut(r).expect("live");
        req.conn = true;
        req.conn_epoch = epoch;
        match &self.scenario.pooler {
            Some(p) => self.wait_for(now, r, Owner::Pooler, Stage::WaitingServer, p.query_wait_timeout, q),
            None => self.db_session(now, r, q),
        }
    }

    fn got_server(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let epoch = self.data.as_ref().expect("data tier").db.epoch;
        let req = self.requests.get_mut(r).expect("live");
        req.server = true;
        req.conn_epoch = epoch;
        self.db_session(now, r, q);
    }

    /// A wait for a connection (pool or pooler) ran out.
    pub(super) fn on_acquire_timeout(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let Some(req) = self.requests.get(r) else { return };
        let owner = match req.stage {
            Stage::WaitingPool => Owner::Instance(req.instance),
            Stage::WaitingServer => Owner::Pooler,
            _ => return,
        };
        if now < req.waiting_since + self.wait_limit(owner) {
            return; // an earlier wait's timer; this wait started later
        }
        self.pool_mut(owner).waiting -= 1;
        self.fail_in_session(now, r, ErrorKind::PoolTimeout, q);
    }

    fn wait_limit(&self, owner: Owner) -> SimDuration {
        match owner {
            Owner::Instance(_) => self.scenario.pool.as_ref().map_or(SimDuration::ZERO, |p| p.acquire_timeout),
            Owner::Pooler => self.scenario.pooler.as_ref().map_or(SimDuration::ZERO, |p| p.query_wait_timeout),
        }
    }

    // ----- the database -----------------------------------------------------

    /// `r` has its connection: writes take the lock, then the query runs.
    fn db_session(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let req = self.requests.get_mut(r).expect("live");
        if req.kind == Kind::Read {
            return self.start_query(now, r, q);
        }
        let d = self.data.as_mut().expect("data tier");
        if d.db.lock_held {
            req.stage = Stage::WaitingLock;
            req.waiting_since = now;
            d.db.lock_waiters.push_back(r);
        } else {
            d.db.lock_held = true;
            req.lock = true;
            d.tick.lock_waits += 1;
            self.start_query(now, r, q);
        }
    }

    fn start_query(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let d = self.data.as_mut().expect("data tier");
        if d.db.outage {
            return self.fail_in_session(now, r, ErrorKind::DbError, q);
        }
        let req = self.requests.get_mut(r).expect("live");
        req.stage = Stage::Querying;
        let spec = self.scenario.database.as_ref().expect("database");
        let dist = if req.kind == Kind::Write { &spec.write } else { &spec.read };
        let demand = dist.sample(&mut d.rng).as_nanos() as f64;
        d.db.cpu.add(now, r.token(), demand);
        self.update_db(now, q);
    }

    /// Sets the database's per-job rate and reschedules its next completion.
    pub(super) fn update_db(&mut self, now: SimTime, q: &mut Q) {
        let db = &mut self.data.as_mut().expect("data tier").db;
        let rate = db.rate();
        if rate != db.cpu.rate() {
            db.cpu.set_rate(now, rate);
        }
        if let Some((t, generation)) = db.cpu.reschedule() {
            q.schedule(t, Event::DbDone { generation });
        }
    }

    pub(super) fn on_db_done(&mut self, now: SimTime, generation: u32, q: &mut Q) {
        let d = self.data.as_mut().expect("data tier");
        if !d.db.cpu.take_event(generation) {
            return;
        }
        let mut done = std::mem::take(&mut self.scratch);
        d.db.cpu.pop_finished(now, &mut done);
        self.update_db(now, q);
        for token in done.drain(..) {
            if token & CONNECT_JOB != 0 {
                self.connect_done(now, (token & !CONNECT_JOB) as u32, true, q);
            } else {
                self.query_done(now, ReqRef::from_token(token), q);
            }
        }
        self.scratch = done;
    }

    fn query_done(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let req = self.requests.get(r).expect("live");
        let (i, key, kind, reading) = (req.instance, req.key, req.kind, req.reading_key);
        let d = self.data.as_mut().expect("data tier");
        match kind {
            Kind::Read => {
                d.db.reads += 1;
                d.tick.reads += 1;
            }
            Kind::Write => {
                d.db.writes += 1;
                d.tick.writes += 1;
            }
        }
        self.release_session(now, r, false, q);
        if reading {
            let c = self.scenario.cache.as_ref().expect("cache");
            let jitter =
                if c.ttl_jitter > 0.0 { 1.0 + c.ttl_jitter * (2.0 * self.rng.mix.uniform() - 1.0) } else { 1.0 };
            let expires = now + c.ttl.mul_f64(jitter);
            self.data.as_mut().expect("data tier").cache.as_mut().expect("cache").fill(key, expires);
            self.fill_local(now, i, key);
            self.end_key_read(now, r, key, true, q);
        }
        if kind == Kind::Write {
            if let Some(cache) = &mut self.data.as_mut().expect("data tier").cache {
                cache.invalidate(key);
            }
            if let Some(local) = &mut self.instances[i as usize].local {
                local.invalidate(key);
            }
        }
        self.leave_worker(now, r, i, Ok(()), q);
    }

    /// Gives back what `r` holds: the write lock (to the next writer), the
    /// pooler's server connection and its pool connection (to the next
    /// waiter, or idle). With `close`, its pool connection is closed instead
    /// (its instance is going away). A connection from before an outage is
    /// dead and is discarded.
    fn release_session(&mut self, now: SimTime, r: ReqRef, close: bool, q: &mut Q) {
        let req = self.requests.get_mut(r).expect("live");
        let (i, lock, server, conn, epoch) = (req.instance, req.lock, req.server, req.conn, req.conn_epoch);
        req.lock = false;
        req.server = false;
        req.conn = false;
        let current = self.data.as_ref().expect("data tier").db.epoch == epoch;
        if lock {
            self.data.as_mut().expect("data tier").db.lock_held = false;
            self.grant_lock(now, q);
        }
        if server {
            let servers = self.pool_mut(Owner::Pooler);
            servers.busy -= 1;
            if current {
                servers.idle += 1;
                self.hand_off(now, Owner::Pooler, q);
            }
        }
        if conn {
            let owner = Owner::Instance(i);
            self.pool_mut(owner).busy -= 1;
            let pooled = self.scenario.pooler.is_some();
            if close {
                if current || pooled {
                    self.close_connections(owner, 1);
                }
            } else if current || pooled {
                self.pool_mut(owner).idle += 1;
                self.hand_off(now, owner, q);
            } else {
                self.fill_pool(now, owner, true, q);
            }
        }
    }

    /// The write lock is free: the first writer still waiting takes it.
    fn grant_lock(&mut self, now: SimTime, q: &mut Q) {
        loop {
            let d = self.data.as_mut().expect("data tier");
            let Some(w) = d.db.lock_waiters.pop_front() else { return };
            let Some(req) = self.requests.get_mut(w).filter(|x| x.stage == Stage::WaitingLock) else { continue };
            req.lock = true;
            d.db.lock_held = true;
            d.tick.lock_waits += 1;
            d.tick.lock_wait_ns += (now - req.waiting_since).as_nanos() as f64;
            return self.start_query(now, w, q);
        }
    }

    /// Ends `r`'s time in the data tier early: its query stops, its waits
    /// are forgotten, what it holds is given back (`close`: its instance is
    /// going away), and a key read it was doing passes to a waiter.
    pub(super) fn abort_data(&mut self, now: SimTime, r: ReqRef, close: bool, q: &mut Q) {
        let Some(req) = self.requests.get(r) else { return };
        let (stage, i, key, reading) = (req.stage, req.instance, req.key, req.reading_key);
        match stage {
            Stage::Querying => {
                self.data.as_mut().expect("data tier").db.cpu.remove(now, r.token());
                self.update_db(now, q);
            }
            Stage::WaitingPool => self.instances[i as usize].pool.waiting -= 1,
            Stage::WaitingServer => self.pool_mut(Owner::Pooler).waiting -= 1,
            _ => {}
        }
        // Its place in a wait queue is skipped when reached.
        self.requests.get_mut(r).expect("live").stage = Stage::Computing;
        self.release_session(now, r, close, q);
        if reading {
            self.end_key_read(now, r, key, false, q);
        }
    }

    /// `r` fails in the data tier with `error`: it gives everything back
    /// and leaves its worker.
    fn fail_in_session(&mut self, now: SimTime, r: ReqRef, error: ErrorKind, q: &mut Q) {
        let i = self.requests.get(r).expect("live").instance;
        // The pool-wait counter was settled by the caller where it applies.
        let req = self.requests.get_mut(r).expect("live");
        if matches!(req.stage, Stage::WaitingPool | Stage::WaitingServer) {
            req.stage = Stage::Computing;
        }
        self.abort_data(now, r, false, q);
        self.leave_worker(now, r, i, Err(error), q);
    }

    // ----- instance lifecycle and faults -----------------------------------

    /// An instance's app starts: its pool opens `min_idle` connections.
    pub(super) fn open_pool(&mut self, now: SimTime, i: u32, q: &mut Q) {
        if self.data.is_some() {
            self.fill_pool(now, Owner::Instance(i), true, q);
        }
    }

    /// An instance goes away (or restarts): its idle connections close and
    /// connects still on the way are orphaned. Requests holding connections
    /// were aborted first with `close`.
    pub(super) fn close_pool(&mut self, i: u32) {
        if self.data.is_none() {
            return;
        }
        let pool = &mut self.instances[i as usize].pool;
        let idle = pool.idle;
        let epoch = pool.epoch.wrapping_add(1);
        *pool = Pool { epoch, ..Pool::default() };
        self.close_connections(Owner::Instance(i), idle);
        if let Some(spec) = self.scenario.cache.as_ref().and_then(|c| c.local.as_ref()) {
            self.instances[i as usize].local = Some(crate::model::cache::LocalCache::new(spec.capacity));
        }
    }

    /// The database goes down: every connection drops, running queries and
    /// waiting writers fail, connects are refused until it returns.
    pub(super) fn db_down(&mut self, now: SimTime, q: &mut Q) {
        let d = self.data.as_mut().expect("data tier");
        d.db.outage = true;
        d.db.epoch = d.db.epoch.wrapping_add(1);
        let open = d.db.open;
        d.db.close(open);
        d.tick.closed += open as u64;
        let direct = d.pooler.is_none();
        if let Some(p) = &mut d.pooler {
            p.servers.idle = 0;
        }
        if direct {
            for &i in &self.live {
                self.instances[i as usize].pool.idle = 0;
            }
        }
        let writers: Vec<ReqRef> = self.data.as_mut().expect("data tier").db.lock_waiters.drain(..).collect();
        for w in writers {
            if self.requests.get(w).is_some_and(|x| x.stage == Stage::WaitingLock) {
                self.fail_in_session(now, w, ErrorKind::DbError, q);
            }
        }
        let running = self.data.as_mut().expect("data tier").db.cpu.drain(now);
        self.update_db(now, q);
        for token in running {
            if token & CONNECT_JOB != 0 {
                self.connect_done(now, (token & !CONNECT_JOB) as u32, false, q);
            } else {
                let r = ReqRef::from_token(token);
                self.requests.get_mut(r).expect("live").stage = Stage::Computing;
                self.fail_in_session(now, r, ErrorKind::DbError, q);
            }
        }
        self.refill_all(now, q);
    }

    /// The database is back: pools reconnect (the reconnect storm).
    pub(super) fn db_up(&mut self, now: SimTime, q: &mut Q) {
        self.data.as_mut().expect("data tier").db.outage = false;
        self.refill_all(now, q);
    }

    fn refill_all(&mut self, now: SimTime, q: &mut Q) {
        if self.data.as_ref().expect("data tier").pooler.is_some() {
            self.fill_pool(now, Owner::Pooler, true, q);
        }
        let live: Vec<u32> =
            self.live.iter().copied().filter(|&i| app_running(self.instances[i as usize].state)).collect();
        for i in live {
            self.fill_pool(now, Owner::Instance(i), true, q);
        }
    }

    /// A slowdown fault starts or ends.
    pub(super) fn db_slowdown(&mut self, now: SimTime, factor: f64, q: &mut Q) {
        let db = &mut self.data.as_mut().expect("data tier").db;
        db.cpu.advance(now);
        db.slowdown = factor;
        self.update_db(now, q);
    }
}

/// The pooler: its server connections and how many clients it holds.
pub(super) struct Pooler {
    pub(super) servers: Pool,
    pub(super) clients: u32,
}

/// Counters reset every tick.
pub(super) struct DataTick {
    lookups: u64,
    hits: u64,
    reads: u64,
    writes: u64,
    connects: u64,
    refused_connects: u64,
    closed: u64,
    duplicate_reads: u64,
    lock_waits: u64,
    lock_wait_ns: f64,
    pool_wait: Histogram<u64>,
    pooler_wait: Histogram<u64>,
}

impl DataTick {
    fn new() -> DataTick {
        DataTick {
            lookups: 0,
            hits: 0,
            reads: 0,
            writes: 0,
            connects: 0,
            refused_connects: 0,
            closed: 0,
            duplicate_reads: 0,
            lock_waits: 0,
            lock_wait_ns: 0.0,
            pool_wait: latency_histogram(),
            pooler_wait: latency_histogram(),
        }
    }
}

/// The data tier's state in a run.
pub(super) struct DataTier {
    pub(super) db: Database,
    pub(super) pooler: Option<Pooler>,
    pub(super) cache: Option<SharedCache>,
    pub(super) connects: Vec<Connect>,
    pub(super) free_connects: Vec<u32>,
    pub(super) rng: Stream,
    pub(super) tick: DataTick,
    /// Acquire waits over the whole run.
    pub(super) pool_wait: Histogram<u64>,
    busy_at_tick: f64,
    util_sum: f64,
    util_peak: f64,
    ticks: u64,
    peak_open: u32,
    lock_wait_ns: f64,
    lock_waits: u64,
    lookups: u64,
    hits: u64,
    burst: Option<Burst>,
}

/// Connection activity over consecutive ticks, summarised in one event.
struct Burst {
    start: SimTime,
    opened: u64,
    refused: u64,
    closed: u64,
}

/// Connection churn worth reporting in a tick: any refusal, or ten
/// connections opened or closed.
const BURST_CHURN: u64 = 10;

/// A burst still going on is reported at least this often.
const BURST_REPORT: SimDuration = SimDuration::from_secs(60);

impl DataTier {
    /// The data tier of `s`, if it has a database.
    pub(super) fn new(s: &Scenario, seed: u64) -> Option<DataTier> {
        let db = Database::new(s.database.clone()?);
        let keys = match &s.traffic.source {
            crate::scenario::traffic::Source::Requests(log) => log.keys.len().max(1),
            _ => s.traffic.key_count as usize,
        };
        Some(DataTier {
            db,
            pooler: s.pooler.as_ref().map(|_| Pooler { servers: Pool::default(), clients: 0 }),
            cache: s.cache.as_ref().map(|_| SharedCache::new(keys)),
            connects: Vec::new(),
            free_connects: Vec::new(),
            rng: Stream::new(seed, "database"),
            tick: DataTick::new(),
            pool_wait: latency_histogram(),
            busy_at_tick: 0.0,
            util_sum: 0.0,
            util_peak: 0.0,
            ticks: 0,
            peak_open: 0,
            lock_wait_ns: 0.0,
            lock_waits: 0,
            lookups: 0,
            hits: 0,
            burst: None,
        })
    }

    /// The tick `[start, now)`'s columns (and resets the tick counters), and
    /// the summary of a connection burst that ended (or ran a minute).
    pub(super) fn columns(&mut self, start: SimTime, now: SimTime) -> (DataTierColumns, Option<String>) {
        let secs = (now - start).as_secs_f64().max(1e-9);
        let t = std::mem::replace(&mut self.tick, DataTick::new());
        self.db.cpu.advance(now);
        let busy = self.db.cpu.busy_server_ns();
        let util = (busy - self.busy_at_tick) / (self.db.spec.cores as f64 * secs * 1e9);
        self.busy_at_tick = busy;
        self.util_sum += util;
        self.util_peak = self.util_peak.max(util);
        self.ticks += 1;
        self.peak_open = self.peak_open.max(self.db.open);
        self.lock_wait_ns += t.lock_wait_ns;
        self.lock_waits += t.lock_waits;
        self.lookups += t.lookups;
        self.hits += t.hits;
        let p99 = |h: &Histogram<u64>| (!h.is_empty()).then(|| h.value_at_quantile(0.99) as f64 / 1000.0);
        let burst = self.burst(start, now, &t);
        let columns = DataTierColumns {
            db_connections: Some(self.db.open as f64),
            db_max_connections: Some(self.db.spec.max_connections as f64),
            db_active: Some(self.db.cpu.active() as f64),
            db_util: Some(util),
            db_lock_wait_ms: (t.lock_waits > 0).then(|| t.lock_wait_ns / t.lock_waits as f64 / 1e6),
            pool_wait_p99_ms: p99(&t.pool_wait),
            cache_hit_ratio: (t.lookups > 0).then(|| t.hits as f64 / t.lookups as f64),
            db_reads_rps: Some(t.reads as f64 / secs),
            db_writes_rps: Some(t.writes as f64 / secs),
            db_connects_rps: Some(t.connects as f64 / secs),
            db_duplicate_reads_rps: self.cache.as_ref().map(|_| t.duplicate_reads as f64 / secs),
            pooler_clients: self.pooler.as_ref().map(|p| p.clients as f64),
            pooler_server_connections: self.pooler.as_ref().map(|p| p.servers.open() as f64),
            pooler_wait_p99_ms: self.pooler.as_ref().and_then(|_| p99(&t.pooler_wait)),
        };
        (columns, burst)
    }

    /// Folds the tick's connection churn into the current burst; returns a
    /// line when a burst ends or has run for a minute.
    fn burst(&mut self, start: SimTime, now: SimTime, t: &DataTick) -> Option<String> {
        let busy = t.refused_connects > 0 || t.connects + t.closed >= BURST_CHURN;
        if busy {
            let b = self.burst.get_or_insert(Burst { start, opened: 0, refused: 0, closed: 0 });
            b.opened += t.connects;
            b.refused += t.refused_connects;
            b.closed += t.closed;
            if now - b.start < BURST_REPORT {
                return None;
            }
        }
        let b = self.burst.take()?;
        let end = if busy { now } else { start };
        Some(format!(
            "{:.0}–{:.0} s: +{} opened, {} refused, {} closed; {}/{} open",
            b.start.as_secs_f64(),
            end.as_secs_f64(),
            b.opened,
            b.refused,
            b.closed,
            self.db.open,
            self.db.spec.max_connections
        ))
    }

    /// The run's figures for the summary.
    pub(super) fn summary(&self) -> DataSummary {
        DataSummary {
            db_reads: self.db.reads,
            db_writes: self.db.writes,
            db_util_mean: (self.ticks > 0).then(|| self.util_sum / self.ticks as f64),
            db_util_peak: self.util_peak,
            db_connects: self.db.connects,
            db_refused_connects: self.db.refused,
            db_peak_connections: self.peak_open,
            db_max_connections: self.db.spec.max_connections,
            lock_wait_mean_ms: (self.lock_waits > 0).then(|| self.lock_wait_ns / self.lock_waits as f64 / 1e6),
            pool_wait_p99_ms: (!self.pool_wait.is_empty())
                .then(|| self.pool_wait.value_at_quantile(0.99) as f64 / 1000.0),
            cache_hit_ratio: (self.lookups > 0).then(|| self.hits as f64 / self.lookups as f64),
            cache_duplicate_reads: self.cache.as_ref().map(|c| c.duplicate_reads),
        }
    }
}
