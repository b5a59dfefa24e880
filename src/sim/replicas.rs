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

use super::{Event, Sim};
use crate::engine::queue::EventQueue;
use crate::engine::time::SimTime;
use crate::model::database::APPLY_JOB;
use crate::model::replication::{PendingWrite, shard_of};
use crate::model::request::Kind;
use crate::model::request::ReqRef;
use crate::output::EventKind;
use crate::scenario::replicas::Routing;

type Q = EventQueue<Event>;

impl Sim {
    /// The database `r`'s query goes to (several databases only).
    pub(super) fn route_db(&mut self, now: SimTime, r: ReqRef) -> u16 {
        let req = self.requests.get(r).expect("live");
        let (kind, key) = (req.kind, req.key);
        let d = self.data.as_ref().expect("data tier");
        let primary = shard_of(key, d.shards) as usize * d.stride;
        if kind == Kind::Write || d.stride == 1 {
            return primary as u16;
        }
        let Some(routing) = self.scenario.replicas.as_ref().map(|r| r.routing) else { return primary as u16 };
        // At most 15 replicas (validated): no allocation per read.
        let mut eligible = [0usize; 15];
        let mut n = 0;
        for db in primary + 1..primary + d.stride {
            if self.in_rotation(now, db) {
                eligible[n] = db;
                n += 1;
            }
        }
        let eligible = &eligible[..n];
        let d = self.data.as_mut().expect("data tier");
        let pick = match (eligible.len(), routing) {
            (0, _) => return primary as u16,
            (1, _) => eligible[0],
            (n, Routing::RoundRobin) => {
                let cursor = &mut d.next_replica[d.dbs[primary].shard as usize];
                *cursor = cursor.wrapping_add(1);
                eligible[*cursor as usize % n]
            }
            (_, Routing::LeastActive) => {
                *eligible.iter().min_by_key(|&&db| (d.dbs[db].db.cpu.active(), db)).expect("non-empty")
            }
        };
        if !d.last_write.is_empty() {
            let written = d.last_write[key as usize];
            let replica = d.dbs[pick].replica.as_ref().expect("replica");
            if written > SimTime::ZERO && !replica.has_applied(written) {
                return primary as u16; // read-your-writes
            }
        }
        pick as u16
    }

    /// Whether replica `db` takes reads now: it is up and its lag is within
    /// bounds (out beyond `max_lag`, back under half of it). Changes are
    /// logged.
    pub(super) fn in_rotation(&mut self, now: SimTime, db: usize) -> bool {
        let max_lag = self.scenario.replicas.as_ref().expect("replicas").max_lag;
        let d = self.data.as_mut().expect("data tier");
        let node = &mut d.dbs[db];
        let down = node.db.down();
        let r = node.replica.as_mut().expect("replica");
        let lag = r.lag(now);
        let was = r.in_rotation;
        let is = if was { lag <= max_lag } else { lag.0 * 2 < max_lag.0 };
        if is != was {
            r.in_rotation = is;
            if is {
                if let Some(since) = r.out_since.take() {
                    r.out_ns += now.saturating_since(since).0;
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
            self.rec.event(now, EventKind::Db, name, detail);
        }
        is && !down
    }

    /// A write to `key` committed on primary `db`: each of its replicas will
    /// replay it.
    pub(super) fn replicate(&mut self, now: SimTime, db: usize, key: u32, q: &mut Q) {
        let spec = self.scenario.replicas.as_ref().expect("replicas");
        let (apply_cost, write) = (spec.apply_cost, &self.scenario.database.as_ref().expect("database").write);
        let d = self.data.as_mut().expect("data tier");
        if !d.last_write.is_empty() {
            d.last_write[key as usize] = now;
        }
        let stride = d.stride;
        let mut idle = 0u32; // replicas that had nothing to replay (at most 15)
        for k in 1..stride {
            let work = write.sample(&mut d.replay_rng).as_nanos() as f64 * apply_cost;
            let r = d.dbs[db + k].replica.as_mut().expect("replica");
            r.pending.push_back(PendingWrite { committed: now, work });
            if r.pending.len() == 1 {
                idle |= 1 << k;
            }
        }
        for k in 1..stride {
            if idle & (1 << k) != 0 {
                self.start_replay(now, db + k, q);
            }
        }
    }

    /// Replica `db` replays its oldest pending write if it has arrived and
    /// nothing else is being replayed; else it waits for it.
    pub(super) fn start_replay(&mut self, now: SimTime, db: usize, q: &mut Q) {
        let delay = self.scenario.replicas.as_ref().expect("replicas").network_delay;
        let node = &mut self.data.as_mut().expect("data tier").dbs[db];
        let down = node.db.down();
        let r = node.replica.as_mut().expect("replica");
        let Some(w) = r.pending.front().copied() else { return };
        if r.replaying || down {
            return;
        }
        let arrives = w.committed + delay;
        if arrives > now {
            if !r.wake_scheduled {
                r.wake_scheduled = true;
                q.schedule(arrives, Event::Replay(db as u32));
            }
            return;
        }
        r.replaying = true;
        node.db.cpu.add(now, APPLY_JOB, w.work);
        self.update_db(now, db, q);
    }

    /// The oldest pending write reached replica `db`.
    pub(super) fn on_replay(&mut self, now: SimTime, db: u32, q: &mut Q) {
        let db = db as usize;
        self.data.as_mut().expect("data tier").dbs[db].replica.as_mut().expect("replica").wake_scheduled = false;
        self.start_replay(now, db, q);
    }

    /// Replica `db` replayed its oldest pending write.
    pub(super) fn replay_done(&mut self, now: SimTime, db: usize, q: &mut Q) {
        let r = self.data.as_mut().expect("data tier").dbs[db].replica.as_mut().expect("replica");
        r.replaying = false;
        r.pending.pop_front();
        self.start_replay(now, db, q);
    }
}
