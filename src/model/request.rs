//! Requests in flight: a slab of small records reused as requests finish,
//! so memory is O(requests in flight), never O(requests simulated).
//!
//! A [`ReqRef`] names a slot and its generation; an event holding a stale
//! reference (the slot was freed and reused) is recognised and ignored.

use std::num::NonZeroU32;
use std::ops::{Index, IndexMut};

use super::database::DbId;
use super::instance::InstanceId;
use crate::engine::time::SimTime;

/// Whether a logged request reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A read (may be served from a cache).
    Read,
    /// A write (goes to the database primary, invalidates caches).
    Write,
}

impl Kind {
    /// A log's `kind` or HTTP `method` cell, if it names a read or a write.
    pub fn parse(raw: &str) -> Option<Kind> {
        match raw.to_ascii_lowercase().as_str() {
            "read" | "r" | "get" | "head" | "options" => Some(Kind::Read),
            "write" | "w" | "post" | "put" | "patch" | "delete" => Some(Kind::Write),
            _ => None,
        }
    }
}

/// Where a request is on its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The slot is free.
    Free,
    /// Held at the balancer: nothing could take it yet.
    Held,
    /// On the network to its instance (added latency).
    Network,
    /// In an instance's accept queue, waiting for a worker.
    Queued,
    /// Holding a worker, in compute.
    Computing,
    /// Waiting for the shared cache's answer.
    CacheLookup,
    /// Waiting for another request's database read of its key (single-flight).
    WaitingFill,
    /// Waiting for a connection from the instance's pool.
    WaitingPool,
    /// Waiting for a server connection at the pooler.
    WaitingServer,
    /// A write waiting for the database's write lock.
    WaitingLock,
    /// Its query runs on the database.
    Querying,
}

/// One attempt of a request (or a health probe).
#[derive(Clone, Debug)]
pub struct Request {
    /// Bumped each time the slot is reused.
    pub generation: u32,
    /// Where it is.
    pub stage: Stage,
    /// When this attempt arrived.
    pub arrival: SimTime,
    /// When it reached its instance (the start of its wait for a worker).
    pub enqueued: SimTime,
    /// 1 for the first attempt.
    pub attempt: u8,
    /// Read or write.
    pub kind: Kind,
    /// The key it reads or writes.
    pub key: u32,
    /// The instance serving it, once the balancer has picked one.
    pub instance: Option<InstanceId>,
    /// The client gave up; the server does not know.
    pub abandoned: bool,
    /// A health probe, not client traffic.
    pub probe: bool,
    /// Holds a connection of its instance's pool.
    pub conn: bool,
    /// Holds a server connection of the pooler.
    pub server: bool,
    /// Holds the database's write lock.
    pub lock: bool,
    /// Is reading its key from the database for the shared cache.
    pub reading_key: bool,
    /// The database epoch of the connection it queries on.
    pub conn_epoch: u32,
    /// The database it was routed to.
    pub db: DbId,
    /// When its current wait (pool, pooler, lock) began.
    pub waiting_since: SimTime,
    /// Neighbours in its instance's list of requests holding a worker.
    prev: Option<Slot>,
    next: Option<Slot>,
}

impl Request {
    /// The instance serving it. Asked only where its stage puts it past the
    /// balancer (delivered, queued, computing, in the data tier) or of a
    /// probe, which is made for one instance.
    pub fn routed(&self) -> InstanceId {
        // Asked only past the balancer (above), which sets the instance.
        self.instance.expect("a request past the balancer has an instance")
    }
}

/// A slot of the slab, as a link of a [`List`]: its index + 1, so an
/// `Option<Slot>` takes no more room than the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot(NonZeroU32);

impl Slot {
    fn of(index: u32) -> Slot {
        Slot(NonZeroU32::MIN.saturating_add(index))
    }

    fn index(self) -> usize {
        self.0.get() as usize - 1
    }
}

/// A list of requests threaded through their slots (an instance's requests
/// holding a worker): O(1) to add or take out, no allocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct List {
    head: Option<Slot>,
}

/// A reference to a slot at a generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReqRef {
    /// Slot.
    pub index: u32,
    /// Generation.
    pub generation: u32,
}

impl ReqRef {
    /// Packs into a token (for the processor-sharing stations). Generations
    /// have 31 bits, so the top bit is free for other kinds of job.
    pub fn token(self) -> u64 {
        ((self.generation as u64) << 32) | self.index as u64
    }

    /// Unpacks a token.
    pub fn from_token(t: u64) -> ReqRef {
        ReqRef { index: t as u32, generation: (t >> 32) as u32 }
    }
}

/// The slab. Indexing by a [`ReqRef`] is for handles known to be live (the
/// caller's caller checked them, or the event it handles was just checked
/// with [`Requests::get`]); a stale one is the model's bug and panics, as an
/// index out of a slice's bounds does.
#[derive(Default)]
pub struct Requests {
    slots: Vec<Request>,
    free: Vec<u32>,
    live: usize,
}

impl Index<ReqRef> for Requests {
    type Output = Request;
    #[inline]
    fn index(&self, r: ReqRef) -> &Request {
        let q = &self.slots[r.index as usize];
        assert!(q.generation == r.generation && q.stage != Stage::Free, "{r:?} is not live");
        q
    }
}

impl IndexMut<ReqRef> for Requests {
    #[inline]
    fn index_mut(&mut self, r: ReqRef) -> &mut Request {
        let q = &mut self.slots[r.index as usize];
        assert!(q.generation == r.generation && q.stage != Stage::Free, "{r:?} is not live");
        q
    }
}

impl Requests {
    /// Takes a slot for a new attempt.
    pub fn insert(&mut self, arrival: SimTime, attempt: u8, kind: Kind, key: u32, probe: bool) -> ReqRef {
        self.live += 1;
        let fill = |generation| Request {
            generation,
            stage: Stage::Held,
            arrival,
            enqueued: arrival,
            attempt,
            kind,
            key,
            instance: None,
            abandoned: false,
            probe,
            conn: false,
            server: false,
            lock: false,
            reading_key: false,
            conn_epoch: 0,
            db: DbId::default(),
            waiting_since: arrival,
            prev: None,
            next: None,
        };
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            *slot = fill(slot.generation.wrapping_add(1) & 0x7fff_ffff);
            ReqRef { index, generation: slot.generation }
        } else {
            self.slots.push(fill(0));
            ReqRef { index: self.slots.len() as u32 - 1, generation: 0 }
        }
    }

    /// The request, if the reference is current.
    #[inline]
    pub fn get(&self, r: ReqRef) -> Option<&Request> {
        self.slots.get(r.index as usize).filter(|q| q.generation == r.generation && q.stage != Stage::Free)
    }

    /// The request, mutably, if the reference is current.
    #[inline]
    pub fn get_mut(&mut self, r: ReqRef) -> Option<&mut Request> {
        self.slots.get_mut(r.index as usize).filter(|q| q.generation == r.generation && q.stage != Stage::Free)
    }

    /// Frees the slot.
    pub fn remove(&mut self, r: ReqRef) {
        if let Some(q) = self.get_mut(r) {
            q.stage = Stage::Free;
            self.free.push(r.index);
            self.live -= 1;
        }
    }

    /// Requests in flight.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Adds `r` at the front of `list`.
    pub fn link(&mut self, list: &mut List, r: ReqRef) {
        let me = Slot::of(r.index);
        self.slots[me.index()].prev = None;
        self.slots[me.index()].next = list.head;
        if let Some(head) = list.head {
            self.slots[head.index()].prev = Some(me);
        }
        list.head = Some(me);
    }

    /// Takes `r` out of `list`.
    pub fn unlink(&mut self, list: &mut List, r: ReqRef) {
        let me = r.index as usize;
        let (prev, next) = (self.slots[me].prev, self.slots[me].next);
        match prev {
            Some(p) => self.slots[p.index()].next = next,
            None => list.head = next,
        }
        if let Some(n) = next {
            self.slots[n.index()].prev = prev;
        }
        self.slots[me].prev = None;
        self.slots[me].next = None;
    }

    /// The requests of `list`.
    pub fn list(&self, list: List) -> Vec<ReqRef> {
        let mut out = Vec::new();
        let mut at = list.head;
        while let Some(slot) = at {
            let q = &self.slots[slot.index()];
            out.push(ReqRef { index: slot.index() as u32, generation: q.generation });
            at = q.next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_references_are_ignored_after_reuse() {
        let mut rs = Requests::default();
        let a = rs.insert(SimTime::from_nanos(1), 1, Kind::Read, 0, false);
        rs.remove(a);
        let b = rs.insert(SimTime::from_nanos(2), 1, Kind::Read, 0, false);
        assert_eq!(a.index, b.index);
        assert!(rs.get(a).is_none());
        assert_eq!(rs.get(b).map(|q| q.arrival), Some(SimTime::from_nanos(2)));
        assert_eq!(ReqRef::from_token(b.token()), b);
        assert_eq!(rs.live(), 1);
    }

    #[test]
    fn lists_link_and_unlink_anywhere() {
        let mut rs = Requests::default();
        let r: Vec<ReqRef> = (0..4).map(|k| rs.insert(SimTime::from_nanos(k), 1, Kind::Read, 0, false)).collect();
        let mut list = List::default();
        for &x in &r {
            rs.link(&mut list, x);
        }
        assert_eq!(rs.list(list), [r[3], r[2], r[1], r[0]]);
        rs.unlink(&mut list, r[2]); // middle
        rs.unlink(&mut list, r[3]); // head
        rs.unlink(&mut list, r[0]); // tail
        assert_eq!(rs.list(list), [r[1]]);
        rs.unlink(&mut list, r[1]);
        assert_eq!(list, List::default());
    }
}
