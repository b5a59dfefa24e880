//! Read replicas and shards on the request path: which database a query
//! goes to, and how replicas replay their primary's writes.
//!
//! ```text
//! write: → the primary of shard(key)
//! read:  → a replica of shard(key) in rotation (round robin or least active)
//!          unless it has not replayed the key's last write (read-your-writes)
//!          or none is in rotation → the primary
//! commit on a primary → each of its replicas, after network_delay:
//!          replay, one write at a time, on the replica's cores
//! ```

use super::data::DataCx;
use super::{DataEvent, Event};
use crate::engine::queue::EventQueue;
use crate::engine::time::SimTime;
use crate::model::database::{DbId, Job};
use crate::model::replication::{PendingWrite, shard_of};
use crate::model::request::Kind;
use crate::model::request::ReqRef;
use crate::output::EventKind;
use crate::scenario::replicas::Routing;

type Q = EventQueue<Event>;

impl DataCx<'_> {
    /// The database `r`'s query goes to (several databases only).
    pub(super) fn route_db(&mut self, now: SimTime, r: ReqRef) -> DbId {
        let req = &self.c.requests[r];
        let (kind, key) = (req.kind, req.key);
        let d = &*self.d;
        let first = shard_of(key, d.shards) as usize * d.stride;
        let primary = DbId::from_index(first);
        if kind == Kind::Write || d.stride == 1 {
            return primary;
        }
        let Some(routing) = self.c.scenario.replicas.as_ref().map(|r| r.routing) else { return primary };
        // At most 15 replicas (validated): no allocation per read.
        let mut eligible = [primary; 15];
        let mut n = 0;
        for db in (first + 1..first + d.stride).map(DbId::from_index) {
            if self.in_rotation(now, db) {
                eligible[n] = db;
                n += 1;
            }
        }
        let eligible = &eligible[..n];
        let d = &mut *self.d;
        let pick = match (eligible, routing) {
            ([], _) => return primary,
            ([only], _) => *only,
            (_, Routing::RoundRobin) => {
                let cursor = &mut d.next_replica[d.dbs[primary].shard as usize];
                *cursor = cursor.wrapping_add(1);
                eligible[*cursor as usize % n]
            }
            ([first, rest @ ..], Routing::LeastActive) => {
                // The least active, the first of equals.
                let active = |db: DbId| d.dbs[db].db.cpu.active();
                rest.iter().fold(*first, |best, &db| if active(db) < active(best) { db } else { best })
            }
        };
        if !d.last_write.is_empty() {
            let written = d.last_write[key as usize];
            let behind = d.dbs[pick].replica.as_ref().is_some_and(|r| !r.has_applied(written));
            if written > SimTime::ZERO && behind {
                return primary; // read-your-writes
            }
        }
        pick
    }

    /// Whether replica `db` takes reads now: it is up and its lag is within
    /// bounds (out beyond `max_lag`, back under half of it). Changes are
    /// logged.
    pub(super) fn in_rotation(&mut self, now: SimTime, db: DbId) -> bool {
        let Some(spec) = &self.c.scenario.replicas else { return false };
        let max_lag = spec.max_lag;
        let d = &mut *self.d;
        let node = &mut d.dbs[db];
        let down = node.db.down();
        let Some(r) = node.replica.as_mut() else { return false };
        let lag = r.lag(now);
        let was = r.in_rotation;
        let is = if was { lag <= max_lag } else { lag.as_nanos() * 2 < max_lag.as_nanos() };
        if is != was {
            r.in_rotation = is;
            if is {
                if let Some(since) = r.out_since.take() {
                    r.out_ns += now.saturating_since(since).as_nanos();
                }
            } else {
                r.out_since = Some(now);
            }
            let name = d.name(db);
            let (lag, max_lag) = (lag.as_secs_f64(), max_lag.as_secs_f64());
            let detail = if is {
                format!("back in the read rotation: lag {lag:.2} s < max_lag/2 = {:.2} s", max_lag / 2.0)
            } else {
                format!("out of the read rotation: lag {lag:.2} s > max_lag {max_lag:.2} s; its reads go elsewhere")
            };
            self.c.rec.event(now, EventKind::Db, name, detail);
        }
        is && !down
    }

    /// A write to `key` committed on primary `db`: each of its replicas will
    /// replay it.
    pub(super) fn replicate(&mut self, now: SimTime, db: DbId, key: u32, q: &mut Q) {
        let s = &self.c.scenario;
        let (Some(spec), Some(primary)) = (&s.replicas, &s.database) else { return };
        let (apply_cost, write) = (spec.apply_cost, &primary.write);
        let d = &mut *self.d;
        if !d.last_write.is_empty() {
            d.last_write[key as usize] = now;
        }
        let replica = |k: usize| DbId::from_index(db.index() + k);
        let mut idle = 0u32; // replicas that had nothing to replay (at most 15)
        for k in 1..d.stride {
            let work = write.sample(&mut d.replay_rng).as_nanos() as f64 * apply_cost;
            let Some(r) = d.dbs[replica(k)].replica.as_mut() else { continue };
            r.pending.push_back(PendingWrite { committed: now, work });
            if r.pending.len() == 1 {
                idle |= 1 << k;
            }
        }
        for k in 1..d.stride {
            if idle & (1 << k) != 0 {
                self.start_replay(now, replica(k), q);
            }
        }
    }

    /// Replica `db` replays its oldest pending write if it has arrived and
    /// nothing else is being replayed; else it waits for it.
    pub(super) fn start_replay(&mut self, now: SimTime, db: DbId, q: &mut Q) {
        let Some(spec) = &self.c.scenario.replicas else { return };
        let delay = spec.network_delay;
        let node = &mut self.d.dbs[db];
        let down = node.db.down();
        let Some(r) = node.replica.as_mut() else { return };
        let Some(w) = r.pending.front().copied() else { return };
        if r.replaying || down {
            return;
        }
        let arrives = w.committed + delay;
        if arrives > now {
            if !r.wake_scheduled {
                r.wake_scheduled = true;
                q.schedule(arrives, Event::Data(DataEvent::Replay(db)));
            }
            return;
        }
        r.replaying = true;
        node.db.cpu.add(now, Job::Apply.token(), w.work);
        self.update_db(now, db, q);
    }

    /// The oldest pending write reached replica `db`.
    pub(super) fn on_replay(&mut self, now: SimTime, db: DbId, q: &mut Q) {
        if let Some(r) = self.d.dbs[db].replica.as_mut() {
            r.wake_scheduled = false;
        }
        self.start_replay(now, db, q);
    }

    /// Replica `db` replayed its oldest pending write.
    pub(super) fn replay_done(&mut self, now: SimTime, db: DbId, q: &mut Q) {
        if let Some(r) = self.d.dbs[db].replica.as_mut() {
            r.replaying = false;
            r.pending.pop_front();
        }
        self.start_replay(now, db, q);
    }
}
