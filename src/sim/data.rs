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
//!
//! There may be several databases — each shard's primary and its read
//! replicas, by index (`replicas` routes a query to one) — and then every
//! instance has a pool per database, and the pooler a server pool per
//! database. One database is the common case, and costs nothing extra.

use std::ops::{Index, IndexMut};

use super::{Core, Cx, Event};
use crate::engine::histogram::LatencyHistogram;
use crate::engine::queue::EventQueue;
use crate::engine::rng::Stream;
use crate::engine::time::{SimDuration, SimTime};
use crate::model::cache::SharedCache;
use crate::model::database::{ConnectId, Database, DbId, Job};
use crate::model::instance::{InstanceId, State};
use crate::model::outcome::ErrorKind;
use crate::model::pool::Pool;
use crate::model::replication::Replication;
use crate::model::request::Kind;
use crate::model::request::{ReqRef, Stage};
use crate::output::summary::{DataSummary, DatabaseSummary};
use crate::output::timeseries::DataTierColumns;
use crate::scenario::Scenario;
use crate::scenario::database::DatabaseSpec;
use crate::scenario::pool::PoolSpec;

type Q = EventQueue<Event>;

/// Whose pool a connection belongs to (and for which database).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// An instance's pool for a database (to the pooler or to the database).
    Instance(InstanceId, DbId),
    /// The pooler's server connections to a database.
    Pooler(DbId),
}

impl Owner {
    /// The database the pool is for.
    fn db(self) -> DbId {
        match self {
            Owner::Instance(_, db) | Owner::Pooler(db) => db,
        }
    }
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

/// The data tier's events.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DataEvent {
    /// A connect reaches the pooler or the database.
    ConnectArrive(ConnectId),
    /// The next completion on a database (a query, connection work or a
    /// replayed write).
    DbDone {
        /// The database.
        db: DbId,
        /// The station's generation when scheduled.
        generation: u32,
    },
    /// A wait for a connection (pool or pooler) may have run out.
    AcquireTimeout(ReqRef),
    /// The shared cache answers a lookup.
    CacheReply(ReqRef),
    /// A pool retries opening connections after a refusal.
    PoolRefill {
        /// Whose pool, for which database.
        owner: Owner,
        /// The pool's epoch when scheduled.
        epoch: u32,
    },
    /// A committed write reaches a replica to be replayed.
    Replay(DbId),
    /// A database's failover into its new size is over.
    Failover(DbId),
    /// Serverless databases re-evaluate their capacity.
    Serverless,
}

/// What a data-tier handler may touch: its own state, and the core (the
/// requests it serves, their instances' pools and caches, the recorder).
pub(super) struct DataCx<'a> {
    pub(super) c: &'a mut Core,
    pub(super) d: &'a mut DataTier,
}

impl DataCx<'_> {
    /// Handles one of the data tier's events.
    pub(super) fn handle(&mut self, now: SimTime, e: DataEvent, q: &mut Q) {
        match e {
            DataEvent::ConnectArrive(c) => self.on_connect_arrive(now, c, q),
            DataEvent::DbDone { db, generation } => self.on_db_done(now, db, generation, q),
            DataEvent::AcquireTimeout(r) => self.on_acquire_timeout(now, r, q),
            DataEvent::CacheReply(r) => self.on_cache_reply(now, r, q),
            DataEvent::PoolRefill { owner, epoch } => self.on_pool_refill(now, owner, epoch, q),
            DataEvent::Replay(db) => self.on_replay(now, db, q),
            DataEvent::Failover(db) => self.on_failover(now, db, q),
            DataEvent::Serverless => self.on_serverless(now, q),
        }
    }

    /// The context of the rest of the model, for a request that leaves the
    /// data tier (its worker is freed, which may start other work).
    fn up(&mut self) -> Cx<'_> {
        Cx { c: &mut *self.c, data: Some(&mut *self.d) }
    }

    // ----- the path after compute -------------------------------------------

    /// Compute is done: a cache may answer, else the database.
    pub(super) fn after_compute(&mut self, now: SimTime, r: ReqRef, i: InstanceId, q: &mut Q) {
        let req = &self.c.requests[r];
        let (key, kind) = (req.key, req.kind);
        if kind == Kind::Write {
            return self.acquire(now, r, i, q);
        }
        // A read that consults a cache counts once, hit at either level.
        let d = &mut *self.d;
        let local = &mut self.c.instances[i].local;
        if local.is_some() || self.c.scenario.cache.is_some() {
            d.tick.lookups += 1;
        }
        if let Some(local) = local
            && local.get(key, now)
        {
            d.tick.hits += 1;
            return self.up().leave_worker(now, r, i, Ok(()), q);
        }
        match &self.c.scenario.cache {
            Some(c) => {
                self.c.requests[r].stage = Stage::CacheLookup;
                q.schedule(now + c.hit_latency, Event::Data(DataEvent::CacheReply(r)));
            }
            None => self.acquire(now, r, i, q),
        }
    }

    pub(super) fn on_cache_reply(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let Some(req) = self.c.requests.get(r).filter(|q| q.stage == Stage::CacheLookup) else { return };
        let (i, key) = (req.routed(), req.key);
        let single_flight = self.c.scenario.cache.as_ref().is_some_and(|c| c.single_flight);
        let d = &mut *self.d;
        let Some(cache) = d.cache.as_mut() else { return }; // a reply comes only from a cache
        if cache.lookup(key, now) {
            d.tick.hits += 1;
            self.fill_local(now, i, key);
            return self.up().leave_worker(now, r, i, Ok(()), q);
        }
        if single_flight && cache.is_filling(key) {
            cache.wait_for_fill(key, r);
            self.c.requests[r].stage = Stage::WaitingFill;
            return;
        }
        self.start_key_read(r, key);
        self.acquire(now, r, i, q);
    }

    /// `r` will read `key` from the database to fill the cache.
    fn start_key_read(&mut self, r: ReqRef, key: u32) {
        let d = &mut *self.d;
        if d.cache.as_mut().is_some_and(|c| c.start_read(key)) {
            d.tick.duplicate_reads += 1;
        }
        self.c.requests[r].reading_key = true;
    }

    /// The read of `key` by `r` ended (`filled` or not): wake the requests
    /// that waited for it. If it failed, the first of them reads instead.
    fn end_key_read(&mut self, now: SimTime, r: ReqRef, key: u32, filled: bool, q: &mut Q) {
        self.c.requests[r].reading_key = false;
        let waiters = self.d.cache.as_mut().map(|c| c.end_read(key)).unwrap_or_default();
        let mut live =
            waiters.into_iter().filter(|w| self.c.requests.get(*w).is_some_and(|x| x.stage == Stage::WaitingFill));
        if filled {
            for w in live.collect::<Vec<_>>() {
                let wi = self.c.requests[w].routed();
                self.fill_local(now, wi, key);
                self.up().leave_worker(now, w, wi, Ok(()), q);
            }
        } else if let Some(first) = live.next() {
            let rest: Vec<ReqRef> = live.collect();
            if let Some(cache) = self.d.cache.as_mut() {
                for w in rest {
                    cache.wait_for_fill(key, w);
                }
            }
            self.start_key_read(first, key);
            let fi = self.c.requests[first].routed();
            self.acquire(now, first, fi, q);
        }
    }

    fn fill_local(&mut self, now: SimTime, i: InstanceId, key: u32) {
        if let (Some(local), Some(spec)) =
            (&mut self.c.instances[i].local, self.c.scenario.cache.as_ref().and_then(|c| c.local.as_ref()))
        {
            local.put(key, now + spec.ttl);
        }
    }

    // ----- pools and connections --------------------------------------------

    fn pool_mut(&mut self, owner: Owner) -> &mut Pool {
        match owner {
            Owner::Instance(i, db) => &mut self.c.instances[i].pools[db.index()],
            // Only a scenario with a pooler has pooler-owned pools.
            Owner::Pooler(db) => &mut self.d.pooler.as_mut().expect("a pooler").servers[db.index()],
        }
    }

    /// (size, min_idle) of a pool.
    fn pool_limits(&self, owner: Owner) -> (u32, u32) {
        match owner {
            Owner::Instance(..) => self.c.scenario.pool.as_ref().map_or((0, 0), |p| (p.size, p.min_idle)),
            Owner::Pooler(_) => self.c.scenario.pooler.as_ref().map_or((0, 0), |p| (p.default_pool_size, 0)),
        }
    }

    /// `r` needs a connection of its instance's pool for the database its
    /// query is routed to.
    fn acquire(&mut self, now: SimTime, r: ReqRef, i: InstanceId, q: &mut Q) {
        let db = if self.d.dbs.len() == 1 { DbId::default() } else { self.route_db(now, r) };
        self.c.requests[r].db = db;
        let timeout = self.d.pool.acquire_timeout;
        self.wait_for(now, r, Owner::Instance(i, db), Stage::WaitingPool, timeout, q);
    }

    /// Queues `r` for a connection of `owner`'s pool, opening connections
    /// as the pool allows, and hands out any idle one.
    fn wait_for(&mut self, now: SimTime, r: ReqRef, owner: Owner, stage: Stage, timeout: SimDuration, q: &mut Q) {
        let req = &mut self.c.requests[r];
        req.stage = stage;
        req.waiting_since = now;
        let pool = self.pool_mut(owner);
        pool.waiters.push_back(r);
        pool.waiting += 1;
        self.hand_off(now, owner, q);
        // A timer only for a real wait: one per query that found an idle
        // connection would sit in the event heap for the whole timeout
        // (30 s, PgBouncer's 120 s) — hundreds of thousands of dead entries
        // at a few thousand queries per second, each pop paying for them.
        if self.c.requests.get(r).is_some_and(|req| req.stage == stage && req.waiting_since == now) {
            q.schedule(now + timeout, Event::Data(DataEvent::AcquireTimeout(r)));
        }
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
        let wire = self.d.pool.connect_time;
        let d = &mut *self.d;
        let id = match d.free_connects.pop() {
            Some(id) => {
                d.connects[id.index()] = c;
                id
            }
            None => {
                d.connects.push(c);
                ConnectId::from_index(d.connects.len() - 1)
            }
        };
        q.schedule(now + wire, Event::Data(DataEvent::ConnectArrive(id)));
    }

    /// The epoch of `owner`'s pool, if its app is running (a pool exists
    /// from boot until termination).
    fn owner_epoch(&self, owner: Owner) -> Option<u32> {
        match owner {
            Owner::Instance(i, db) => {
                let inst = &self.c.instances[i];
                app_running(inst.state).then_some(inst.pools[db.index()].epoch)
            }
            Owner::Pooler(db) => Some(self.d.pooler.as_ref()?.servers[db.index()].epoch),
        }
    }

    /// A connect reaches the pooler or the database.
    pub(super) fn on_connect_arrive(&mut self, now: SimTime, id: ConnectId, q: &mut Q) {
        let c = self.d.connects[id.index()];
        if self.owner_epoch(c.owner) != Some(c.epoch) {
            // The owner restarted or died: nothing was opened; forget it.
            self.d.free_connects.push(id);
            return;
        }
        let db = c.owner.db();
        let d = &mut *self.d;
        let cost = d.dbs[db].spec.connect_cost;
        match (c.owner, &mut d.pooler) {
            // A client connection to the pooler: cheap, no database work.
            (Owner::Instance(..), Some(pooler)) => {
                let ok = pooler.clients < pooler.max_client_conn;
                pooler.clients += u32::from(ok);
                self.connect_done(now, id, ok, q);
            }
            // A backend: admitted (or refused) at once, then set up by real
            // database work that competes with queries.
            _ => {
                if d.dbs[db].db.admit() {
                    d.tick.connects += 1;
                    d.dbs[db].db.cpu.add(now, Job::Connect(id).token(), cost.as_nanos() as f64);
                    self.update_db(now, db, q);
                } else {
                    d.tick.refused_connects += 1;
                    self.connect_done(now, id, false, q);
                }
            }
        }
    }

    /// A connect finished: the connection joins its pool (and goes to the
    /// first waiter), or it was refused (the waiter it was for fails at once).
    fn connect_done(&mut self, now: SimTime, id: ConnectId, ok: bool, q: &mut Q) {
        let d = &mut *self.d;
        let c = d.connects[id.index()];
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
        let d = &mut *self.d;
        match (owner, &mut d.pooler) {
            (Owner::Instance(..), Some(pooler)) => pooler.clients -= n.min(pooler.clients),
            _ => d.dbs[owner.db()].db.close(n),
        }
        d.tick.closed += n as u64;
    }

    fn schedule_refill(&mut self, now: SimTime, owner: Owner, q: &mut Q) {
        let (_, min_idle) = self.pool_limits(owner);
        let pool = self.pool_mut(owner);
        if pool.committed() < min_idle.max(pool.waiting) && !pool.refill_scheduled {
            pool.refill_scheduled = true;
            q.schedule(now + REFILL_RETRY, Event::Data(DataEvent::PoolRefill { owner, epoch: pool.epoch }));
        }
    }

    pub(super) fn on_pool_refill(&mut self, now: SimTime, owner: Owner, epoch: u32, q: &mut Q) {
        if self.owner_epoch(owner) != Some(epoch) {
            return;
        }
        self.pool_mut(owner).refill_scheduled = false;
        self.fill_pool(now, owner, true, q);
    }

    /// The first waiter of `owner`'s pool that is still waiting.
    fn next_waiter(&mut self, owner: Owner) -> Option<ReqRef> {
        let want = if matches!(owner, Owner::Pooler(_)) { Stage::WaitingServer } else { Stage::WaitingPool };
        loop {
            let w = self.pool_mut(owner).waiters.pop_front()?;
            if self.c.requests.get(w).is_some_and(|x| x.stage == want) {
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
            let req = &mut self.c.requests[w];
            let waited = now - req.waiting_since;
            let d = &mut *self.d;
            let us = (waited.as_nanos() / 1000).max(1);
            if matches!(owner, Owner::Pooler(_)) {
                d.tick.pooler_wait.record(us);
                self.got_server(now, w, q);
            } else {
                d.tick.pool_wait.record(us);
                d.pool_wait.record(us);
                self.got_connection(now, w, q);
            }
        }
    }

    fn got_connection(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let db = self.c.requests[r].db;
        let epoch = self.d.dbs[db].db.epoch;
        let req = &mut self.c.requests[r];
        req.conn = true;
        req.conn_epoch = epoch;
        match &self.c.scenario.pooler {
            Some(p) => self.wait_for(now, r, Owner::Pooler(db), Stage::WaitingServer, p.query_wait_timeout, q),
            None => self.db_session(now, r, q),
        }
    }

    fn got_server(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let db = self.c.requests[r].db;
        let epoch = self.d.dbs[db].db.epoch;
        let req = &mut self.c.requests[r];
        req.server = true;
        req.conn_epoch = epoch;
        self.db_session(now, r, q);
    }

    /// A wait for a connection (pool or pooler) ran out.
    pub(super) fn on_acquire_timeout(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let Some(req) = self.c.requests.get(r) else { return };
        let owner = match req.stage {
            Stage::WaitingPool => Owner::Instance(req.routed(), req.db),
            Stage::WaitingServer => Owner::Pooler(req.db),
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
            Owner::Instance(..) => self.c.scenario.pool.as_ref().map_or(SimDuration::ZERO, |p| p.acquire_timeout),
            Owner::Pooler(_) => self.c.scenario.pooler.as_ref().map_or(SimDuration::ZERO, |p| p.query_wait_timeout),
        }
    }

    // ----- the database -----------------------------------------------------

    /// `r` has its connection: writes take the lock, then the query runs.
    fn db_session(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let req = &mut self.c.requests[r];
        if req.kind == Kind::Read {
            return self.start_query(now, r, q);
        }
        let d = &mut *self.d;
        let db = &mut d.dbs[req.db].db;
        if db.lock_held {
            req.stage = Stage::WaitingLock;
            req.waiting_since = now;
            db.lock_waiters.push_back(r);
        } else {
            db.lock_held = true;
            req.lock = true;
            d.tick.lock_waits += 1;
            self.start_query(now, r, q);
        }
    }

    fn start_query(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let req = &mut self.c.requests[r];
        let db = req.db;
        let DataTier { dbs, rng, write_factor, .. } = &mut *self.d;
        if dbs[db].db.down() {
            return self.fail_in_session(now, r, ErrorKind::DbError, q);
        }
        req.stage = Stage::Querying;
        let spec = &dbs[db].spec;
        let demand = if req.kind == Kind::Write {
            // A primary with replicas also ships every write to each of them.
            spec.write.sample(rng).as_nanos() as f64 * *write_factor
        } else {
            spec.read.sample(rng).as_nanos() as f64
        };
        dbs[db].db.cpu.add(now, Job::Query(r).token(), demand);
        self.update_db(now, db, q);
    }

    /// Sets database `db`'s per-job rate and reschedules its next completion.
    pub(super) fn update_db(&mut self, now: SimTime, db: DbId, q: &mut Q) {
        let node = &mut self.d.dbs[db].db;
        let rate = node.rate();
        if rate != node.cpu.rate() {
            node.cpu.set_rate(now, rate);
        }
        if let Some((t, generation)) = node.cpu.reschedule() {
            q.schedule(t, Event::Data(DataEvent::DbDone { db, generation }));
        }
    }

    pub(super) fn on_db_done(&mut self, now: SimTime, db: DbId, generation: u32, q: &mut Q) {
        let node = &mut self.d.dbs[db].db;
        if !node.cpu.take_event(generation) {
            return;
        }
        let mut done = std::mem::take(&mut self.c.scratch);
        node.cpu.pop_finished(now, &mut done);
        self.update_db(now, db, q);
        for token in done.drain(..) {
            match Job::from_token(token) {
                Job::Apply => self.replay_done(now, db, q),
                Job::Connect(c) => self.connect_done(now, c, true, q),
                Job::Query(r) => self.query_done(now, r, q),
            }
        }
        self.c.scratch = done;
    }

    fn query_done(&mut self, now: SimTime, r: ReqRef, q: &mut Q) {
        let req = &self.c.requests[r];
        let (i, key, kind, reading, db) = (req.routed(), req.key, req.kind, req.reading_key, req.db);
        let d = &mut *self.d;
        match kind {
            Kind::Read => {
                d.dbs[db].db.reads += 1;
                d.tick.reads += 1;
            }
            Kind::Write => {
                d.dbs[db].db.writes += 1;
                d.tick.writes += 1;
                if d.stride > 1 {
                    self.replicate(now, db, key, q);
                }
            }
        }
        self.release_session(now, r, false, q);
        // A key read happens only with a shared cache.
        if reading && let (Some(c), Some(cache)) = (&self.c.scenario.cache, &mut self.d.cache) {
            let jitter =
                if c.ttl_jitter > 0.0 { 1.0 + c.ttl_jitter * (2.0 * self.c.rng.mix.uniform() - 1.0) } else { 1.0 };
            cache.fill(key, now + c.ttl.mul_f64(jitter));
            self.fill_local(now, i, key);
            self.end_key_read(now, r, key, true, q);
        }
        if kind == Kind::Write {
            if let Some(cache) = &mut self.d.cache {
                cache.invalidate(key);
            }
            if let Some(local) = &mut self.c.instances[i].local {
                local.invalidate(key);
            }
        }
        self.up().leave_worker(now, r, i, Ok(()), q);
    }

    /// Gives back what `r` holds: the write lock (to the next writer), the
    /// pooler's server connection and its pool connection (to the next
    /// waiter, or idle). With `close`, its pool connection is closed instead
    /// (its instance is going away). A connection from before an outage is
    /// dead and is discarded.
    fn release_session(&mut self, now: SimTime, r: ReqRef, close: bool, q: &mut Q) {
        let req = &mut self.c.requests[r];
        let (i, lock, server, conn, epoch, db) = (req.routed(), req.lock, req.server, req.conn, req.conn_epoch, req.db);
        req.lock = false;
        req.server = false;
        req.conn = false;
        let current = self.d.dbs[db].db.epoch == epoch;
        if lock {
            self.d.dbs[db].db.lock_held = false;
            self.grant_lock(now, db, q);
        }
        if server {
            let servers = self.pool_mut(Owner::Pooler(db));
            servers.busy -= 1;
            if current {
                servers.idle += 1;
                self.hand_off(now, Owner::Pooler(db), q);
            }
        }
        if conn {
            let owner = Owner::Instance(i, db);
            self.pool_mut(owner).busy -= 1;
            let pooled = self.c.scenario.pooler.is_some();
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

    /// Database `db`'s write lock is free: the first writer still waiting takes it.
    fn grant_lock(&mut self, now: SimTime, db: DbId, q: &mut Q) {
        loop {
            let d = &mut *self.d;
            let Some(w) = d.dbs[db].db.lock_waiters.pop_front() else { return };
            let Some(req) = self.c.requests.get_mut(w).filter(|x| x.stage == Stage::WaitingLock) else { continue };
            req.lock = true;
            d.dbs[db].db.lock_held = true;
            d.tick.lock_waits += 1;
            d.tick.lock_wait_ns += (now - req.waiting_since).as_nanos() as f64;
            return self.start_query(now, w, q);
        }
    }

    /// Ends `r`'s time in the data tier early: its query stops, its waits
    /// are forgotten, what it holds is given back (`close`: its instance is
    /// going away), and a key read it was doing passes to a waiter.
    pub(super) fn abort_data(&mut self, now: SimTime, r: ReqRef, close: bool, q: &mut Q) {
        let Some(req) = self.c.requests.get(r) else { return };
        let (stage, i, key, reading, db) = (req.stage, req.routed(), req.key, req.reading_key, req.db);
        match stage {
            Stage::Querying => {
                self.d.dbs[db].db.cpu.remove(now, Job::Query(r).token());
                self.update_db(now, db, q);
            }
            Stage::WaitingPool => self.c.instances[i].pools[db.index()].waiting -= 1,
            Stage::WaitingServer => self.pool_mut(Owner::Pooler(db)).waiting -= 1,
            _ => {}
        }
        // Its place in a wait queue is skipped when reached.
        self.c.requests[r].stage = Stage::Computing;
        self.release_session(now, r, close, q);
        if reading {
            self.end_key_read(now, r, key, false, q);
        }
    }

    /// `r` fails in the data tier with `error`: it gives everything back
    /// and leaves its worker.
    fn fail_in_session(&mut self, now: SimTime, r: ReqRef, error: ErrorKind, q: &mut Q) {
        let i = self.c.requests[r].routed();
        // The pool-wait counter was settled by the caller where it applies.
        let req = &mut self.c.requests[r];
        if matches!(req.stage, Stage::WaitingPool | Stage::WaitingServer) {
            req.stage = Stage::Computing;
        }
        self.abort_data(now, r, false, q);
        self.up().leave_worker(now, r, i, Err(error), q);
    }

    // ----- instance lifecycle and faults -----------------------------------

    /// An instance's app starts: each of its pools opens `min_idle` connections.
    pub(super) fn open_pool(&mut self, now: SimTime, i: InstanceId, q: &mut Q) {
        for db in self.d.dbs.ids() {
            self.fill_pool(now, Owner::Instance(i, db), true, q);
        }
    }

    /// An instance goes away (or restarts): its idle connections close and
    /// connects still on the way are orphaned. Requests holding connections
    /// were aborted first with `close`.
    pub(super) fn close_pool(&mut self, i: InstanceId) {
        for db in 0..self.c.instances[i].pools.len() {
            let pool = &mut self.c.instances[i].pools[db];
            let idle = pool.idle;
            let epoch = pool.epoch.wrapping_add(1);
            *pool = Pool { epoch, ..Pool::default() };
            self.close_connections(Owner::Instance(i, DbId::from_index(db)), idle);
        }
        if let Some(spec) = self.c.scenario.cache.as_ref().and_then(|c| c.local.as_ref()) {
            self.c.instances[i].local = Some(crate::model::cache::LocalCache::new(spec.capacity));
        }
    }

    /// Database `db` goes down (an outage or a failover: the caller set
    /// which): every connection drops, running queries and waiting writers
    /// fail, connects are refused until it returns.
    pub(super) fn db_down(&mut self, now: SimTime, db: DbId, q: &mut Q) {
        let d = &mut *self.d;
        let node = &mut d.dbs[db];
        node.db.epoch = node.db.epoch.wrapping_add(1);
        let open = node.db.open;
        node.db.close(open);
        d.tick.closed += open as u64;
        if let Some(r) = &mut node.replica {
            r.replaying = false;
        }
        let direct = d.pooler.is_none();
        if let Some(p) = &mut d.pooler {
            p.servers[db.index()].idle = 0;
        }
        if direct {
            for &i in &self.c.live {
                if let Some(pool) = self.c.instances[i].pools.get_mut(db.index()) {
                    pool.idle = 0;
                }
            }
        }
        let writers: Vec<ReqRef> = self.d.dbs[db].db.lock_waiters.drain(..).collect();
        for w in writers {
            if self.c.requests.get(w).is_some_and(|x| x.stage == Stage::WaitingLock) {
                self.fail_in_session(now, w, ErrorKind::DbError, q);
            }
        }
        let running = self.d.dbs[db].db.cpu.drain(now);
        self.update_db(now, db, q);
        for token in running {
            match Job::from_token(token) {
                // The replay starts over when the replica is back.
                Job::Apply => {}
                Job::Connect(c) => self.connect_done(now, c, false, q),
                Job::Query(r) => {
                    self.c.requests[r].stage = Stage::Computing;
                    self.fail_in_session(now, r, ErrorKind::DbError, q);
                }
            }
        }
        self.refill_all(now, db, q);
    }

    /// Database `db` is back: pools reconnect (the reconnect storm), a
    /// replica resumes replaying.
    pub(super) fn db_up(&mut self, now: SimTime, db: DbId, q: &mut Q) {
        self.refill_all(now, db, q);
        if self.d.dbs[db].replica.is_some() {
            self.start_replay(now, db, q);
        }
    }

    fn refill_all(&mut self, now: SimTime, db: DbId, q: &mut Q) {
        if self.d.pooler.is_some() {
            self.fill_pool(now, Owner::Pooler(db), true, q);
        }
        let live: Vec<InstanceId> =
            self.c.live.iter().copied().filter(|&i| app_running(self.c.instances[i].state)).collect();
        for i in live {
            self.fill_pool(now, Owner::Instance(i, db), true, q);
        }
    }

    /// A slowdown fault starts or ends (on every primary).
    pub(super) fn db_slowdown(&mut self, now: SimTime, factor: f64, q: &mut Q) {
        for db in self.d.primaries() {
            let node = &mut self.d.dbs[db].db;
            node.cpu.advance(now);
            node.slowdown = factor;
            self.update_db(now, db, q);
        }
    }

    /// An outage fault starts or ends on every primary (replicas go on
    /// serving reads).
    pub(super) fn db_outage(&mut self, now: SimTime, down: bool, q: &mut Q) {
        for db in self.d.primaries() {
            let node = &mut self.d.dbs[db].db;
            let was = node.down();
            node.outage = down;
            let is = node.down();
            if is && !was {
                self.db_down(now, db, q);
            } else if was && !is {
                self.db_up(now, db, q);
            }
        }
    }
}

/// The pooler: its server connections (a pool per database) and how many
/// clients it holds.
pub(super) struct Pooler {
    pub(super) servers: Vec<Pool>,
    pub(super) clients: u32,
    /// Client connections it accepts.
    max_client_conn: u32,
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
    pool_wait: LatencyHistogram,
    pooler_wait: LatencyHistogram,
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
            pool_wait: LatencyHistogram::new(),
            pooler_wait: LatencyHistogram::new(),
        }
    }
}

/// One database of the run: a shard's primary or one of its replicas.
pub(super) struct DbNode {
    pub(super) db: Database,
    /// Its section: demand, connect cost, family, failover.
    pub(super) spec: DatabaseSpec,
    /// The shard it belongs to.
    pub(super) shard: u32,
    /// Its replication state, if it is a read replica.
    pub(super) replica: Option<Replication>,
    busy_at_tick: f64,
    util_sum: f64,
    util_peak: f64,
    peak_open: u32,
    /// Busy server-ns and time at the last serverless evaluation.
    pub(super) scaled_busy: f64,
    pub(super) scaled_at: SimTime,
}

impl DbNode {
    fn new(spec: DatabaseSpec, shard: u32, replica: Option<Replication>) -> DbNode {
        DbNode {
            db: Database::new(spec.settings()),
            spec,
            shard,
            replica,
            busy_at_tick: 0.0,
            util_sum: 0.0,
            util_peak: 0.0,
            peak_open: 0,
            scaled_busy: 0.0,
            scaled_at: SimTime::ZERO,
        }
    }
}

/// The run's databases, by id.
pub(super) struct Dbs(Vec<DbNode>);

impl Dbs {
    /// How many.
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    /// Every database's id, in order.
    pub(super) fn ids(&self) -> impl Iterator<Item = DbId> + use<> {
        (0..self.0.len()).map(DbId::from_index)
    }

    /// Every database, in id order.
    pub(super) fn iter(&self) -> std::slice::Iter<'_, DbNode> {
        self.0.iter()
    }

    /// Every database, in id order, mutably.
    pub(super) fn iter_mut(&mut self) -> std::slice::IterMut<'_, DbNode> {
        self.0.iter_mut()
    }
}

impl Index<DbId> for Dbs {
    type Output = DbNode;
    fn index(&self, db: DbId) -> &DbNode {
        &self.0[db.index()]
    }
}

impl IndexMut<DbId> for Dbs {
    fn index_mut(&mut self, db: DbId) -> &mut DbNode {
        &mut self.0[db.index()]
    }
}

/// The data tier's state in a run.
pub(super) struct DataTier {
    /// The databases: for each shard, its primary then its replicas.
    pub(super) dbs: Dbs,
    /// Databases per shard (1 + replicas).
    pub(super) stride: usize,
    /// Shards.
    pub(super) shards: u32,
    /// A primary's write demand multiplier: 1 + replication_cost × replicas.
    pub(super) write_factor: f64,
    /// When each key was last written, for read-your-writes routing (empty
    /// unless there are replicas that need it).
    pub(super) last_write: Vec<SimTime>,
    /// Each shard's round-robin cursor over its replicas.
    pub(super) next_replica: Vec<u32>,
    /// Draws replay work.
    pub(super) replay_rng: Stream,
    /// Every instance's pool to each database.
    pub(super) pool: PoolSpec,
    pub(super) pooler: Option<Pooler>,
    pub(super) cache: Option<SharedCache>,
    /// A database resize in progress.
    pub(super) resize: Option<super::scale::DbResize>,
    pub(super) connects: Vec<Connect>,
    pub(super) free_connects: Vec<ConnectId>,
    pub(super) rng: Stream,
    pub(super) tick: DataTick,
    /// Acquire waits over the whole run.
    pub(super) pool_wait: LatencyHistogram,
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
        let spec = s.database.clone()?;
        let pool = s.pool.clone()?; // validated: a database comes with its pool
        let keys = match &s.traffic.source {
            crate::model::traffic::Source::Requests(log) => log.keys.len().max(1),
            _ => s.traffic.key_count as usize,
        };
        let replicas = s.replicas.as_ref().map_or(0, |r| r.count) as usize;
        let shards = spec.shards;
        let mut dbs = Vec::with_capacity(shards as usize * (1 + replicas));
        for shard in 0..shards {
            dbs.push(DbNode::new(spec.clone(), shard, None));
            if let Some(r) = &s.replicas {
                for _ in 0..replicas {
                    dbs.push(DbNode::new(r.db.clone(), shard, Some(Replication::new())));
                }
            }
        }
        let ryw = s.replicas.as_ref().is_some_and(|r| r.read_your_writes) && replicas > 0;
        let n = dbs.len();
        Some(DataTier {
            dbs: Dbs(dbs),
            stride: 1 + replicas,
            shards,
            write_factor: 1.0 + s.replicas.as_ref().map_or(0.0, |r| r.replication_cost * replicas as f64),
            last_write: if ryw { vec![SimTime::ZERO; keys] } else { Vec::new() },
            next_replica: vec![0; shards as usize],
            replay_rng: Stream::new(seed, "replication"),
            pooler: s.pooler.as_ref().map(|p| Pooler {
                servers: vec![Pool::default(); n],
                clients: 0,
                max_client_conn: p.max_client_conn,
            }),
            pool,
            cache: s.cache.as_ref().map(|_| SharedCache::new(keys)),
            resize: None,
            connects: Vec::new(),
            free_connects: Vec::new(),
            rng: Stream::new(seed, "database"),
            tick: DataTick::new(),
            pool_wait: LatencyHistogram::new(),
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

    /// Every primary (one per shard).
    pub(super) fn primaries(&self) -> Vec<DbId> {
        (0..self.shards as usize).map(|s| DbId::from_index(s * self.stride)).collect()
    }

    /// Every read replica.
    pub(super) fn replica_indexes(&self) -> Vec<DbId> {
        self.dbs.ids().filter(|db| db.index() % self.stride != 0).collect()
    }

    /// A database's name in events and the summary: `primary`,
    /// `replica-1`; with shards, `shard-0`, `shard-0/replica-1`.
    pub(super) fn name(&self, db: DbId) -> String {
        let (shard, k) = (db.index() / self.stride, db.index() % self.stride);
        match (self.shards > 1, k) {
            (false, 0) => "primary".into(),
            (false, k) => format!("replica-{k}"),
            (true, 0) => format!("shard-{shard}"),
            (true, k) => format!("shard-{shard}/replica-{k}"),
        }
    }

    /// The tick `[start, now)`'s columns (and resets the tick counters), and
    /// the summary of a connection burst that ended (or ran a minute).
    pub(super) fn columns(&mut self, start: SimTime, now: SimTime) -> (DataTierColumns, Option<String>) {
        let secs = (now - start).as_secs_f64().max(1e-9);
        let t = std::mem::replace(&mut self.tick, DataTick::new());
        let (mut open, mut max, mut active, mut util, mut cores) = (0u32, 0u32, 0u32, 0.0f64, 0.0f64);
        let (mut lag, mut rotation) = (None::<f64>, 0u32);
        for node in self.dbs.iter_mut() {
            node.db.cpu.advance(now);
            let busy = node.db.cpu.busy_server_ns();
            let u = (busy - node.busy_at_tick) / (node.db.cores * secs * 1e9);
            node.busy_at_tick = busy;
            node.util_sum += u;
            node.util_peak = node.util_peak.max(u);
            node.peak_open = node.peak_open.max(node.db.open);
            util = util.max(u);
            open += node.db.open;
            max += node.db.max_connections;
            active += node.db.cpu.active();
            cores += node.db.cores;
            if let Some(r) = &mut node.replica {
                let l = r.lag(now);
                r.peak_lag = r.peak_lag.max(l);
                lag = Some(lag.unwrap_or(0.0).max(l.as_millis_f64()));
                rotation += u32::from(r.in_rotation && !node.db.down());
            }
        }
        self.util_sum += util;
        self.util_peak = self.util_peak.max(util);
        self.ticks += 1;
        self.peak_open = self.peak_open.max(open);
        self.lock_wait_ns += t.lock_wait_ns;
        self.lock_waits += t.lock_waits;
        self.lookups += t.lookups;
        self.hits += t.hits;
        let p99 = |h: &LatencyHistogram| h.quantile_ms(0.99);
        let burst = self.burst(start, now, &t, open, max);
        let columns = DataTierColumns {
            db_connections: Some(open as f64),
            db_max_connections: Some(max as f64),
            db_active: Some(active as f64),
            db_util: Some(util),
            db_lock_wait_ms: (t.lock_waits > 0).then(|| t.lock_wait_ns / t.lock_waits as f64 / 1e6),
            pool_wait_p99_ms: p99(&t.pool_wait),
            cache_hit_ratio: (t.lookups > 0).then(|| t.hits as f64 / t.lookups as f64),
            db_reads_rps: Some(t.reads as f64 / secs),
            db_writes_rps: Some(t.writes as f64 / secs),
            db_connects_rps: Some(t.connects as f64 / secs),
            db_duplicate_reads_rps: self.cache.as_ref().map(|_| t.duplicate_reads as f64 / secs),
            pooler_clients: self.pooler.as_ref().map(|p| p.clients as f64),
            pooler_server_connections: self
                .pooler
                .as_ref()
                .map(|p| p.servers.iter().map(Pool::open).sum::<u32>() as f64),
            pooler_wait_p99_ms: self.pooler.as_ref().and_then(|_| p99(&t.pooler_wait)),
            db_cores: Some(cores),
            replication_lag_ms: lag,
            replicas_in_rotation: lag.map(|_| rotation as f64),
        };
        (columns, burst)
    }

    /// Folds the tick's connection churn into the current burst; returns a
    /// line when a burst ends or has run for a minute.
    fn burst(&mut self, start: SimTime, now: SimTime, t: &DataTick, open: u32, max: u32) -> Option<String> {
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
            open,
            max
        ))
    }

    /// The run's figures for the summary, at `end`.
    pub(super) fn summary(&self, end: SimTime) -> DataSummary {
        let sum = |f: &dyn Fn(&Database) -> u64| self.dbs.iter().map(|n| f(&n.db)).sum::<u64>();
        let databases: Vec<DatabaseSummary> = self
            .dbs
            .ids()
            .zip(self.dbs.iter())
            .map(|(i, n)| DatabaseSummary {
                name: self.name(i),
                role: if n.replica.is_some() { "replica" } else { "primary" }.into(),
                instance_type: n.db.instance_type.and_then(|t| n.spec.family.as_ref().map(|f| f.types[t].name.clone())),
                cores: n.db.cores,
                acu: n.db.acu,
                reads: n.db.reads,
                writes: n.db.writes,
                util_mean: (self.ticks > 0).then(|| n.util_sum / self.ticks as f64),
                util_peak: n.util_peak,
                peak_connections: n.peak_open,
                max_connections: n.db.max_connections,
                refused_connects: n.db.refused,
                replication_lag_peak_ms: n.replica.as_ref().map(|r| r.peak_lag.as_millis_f64()),
                out_of_rotation_s: n.replica.as_ref().map(|r| r.out_of_rotation(end).as_secs_f64()),
            })
            .collect();
        DataSummary {
            db_reads: sum(&|d| d.reads),
            db_writes: sum(&|d| d.writes),
            db_util_mean: (self.ticks > 0).then(|| self.util_sum / self.ticks as f64),
            db_util_peak: self.util_peak,
            db_connects: sum(&|d| d.connects),
            db_refused_connects: sum(&|d| d.refused),
            db_peak_connections: self.peak_open,
            db_max_connections: self.dbs.iter().map(|n| n.db.max_connections).sum(),
            lock_wait_mean_ms: (self.lock_waits > 0).then(|| self.lock_wait_ns / self.lock_waits as f64 / 1e6),
            pool_wait_p99_ms: self.pool_wait.quantile_ms(0.99),
            cache_hit_ratio: (self.lookups > 0).then(|| self.hits as f64 / self.lookups as f64),
            cache_duplicate_reads: self.cache.as_ref().map(|c| c.duplicate_reads),
            replication_lag_peak_ms: databases.iter().filter_map(|d| d.replication_lag_peak_ms).reduce(f64::max),
            databases,
        }
    }
}
