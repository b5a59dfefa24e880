//! Caches: the shared key-level cache (Redis-like) and the local cache
//! inside each instance.
//!
//! The shared cache holds one expiry per key in a dense vector (keys are
//! ids `0..n`), so a lookup is O(1) and memory is O(keys). Reads of a key
//! that is being filled from the database are counted as *duplicate reads*:
//! the signature of a cache stampede. With `single_flight`, the first miss
//! of a key takes a lease (memcache leases, Nishtala et al., "Scaling
//! Memcache at Facebook", NSDI 2013) and later misses of that key wait for
//! its fill instead of reading the database themselves.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;

use super::request::ReqRef;
use crate::engine::time::SimTime;

/// What the shared cache holds for a key being read from the database.
#[derive(Clone, Debug, Default)]
pub struct Fill {
    /// Database reads of the key in flight.
    pub readers: u32,
    /// Requests waiting for the lease holder's fill (single-flight).
    pub waiters: Vec<ReqRef>,
}

/// The shared cache.
#[derive(Clone, Debug)]
pub struct SharedCache {
    /// Expiry instant per key, in ns; 0 means absent.
    expires: Vec<u64>,
    /// Keys being read from the database.
    pub fills: BTreeMap<u32, Fill>,
    /// Lookups that hit.
    pub hits: u64,
    /// Lookups that missed.
    pub misses: u64,
    /// Database reads of a key while another read of it was in flight.
    pub duplicate_reads: u64,
}

impl SharedCache {
    /// An empty cache for `keys` keys.
    pub fn new(keys: usize) -> SharedCache {
        SharedCache { expires: vec![0; keys], fills: BTreeMap::new(), hits: 0, misses: 0, duplicate_reads: 0 }
    }

    /// Looks `key` up at `now`, counting the hit or miss.
    pub fn lookup(&mut self, key: u32, now: SimTime) -> bool {
        let hit = self.expires.get(key as usize).is_some_and(|&e| e > now.as_nanos());
        if hit {
            self.hits += 1
        } else {
            self.misses += 1
        }
        hit
    }

    /// Stores `key` until `expires`.
    pub fn fill(&mut self, key: u32, expires: SimTime) {
        if let Some(e) = self.expires.get_mut(key as usize) {
            *e = expires.as_nanos();
        }
    }

    /// Drops `key` (a write invalidates it).
    pub fn invalidate(&mut self, key: u32) {
        if let Some(e) = self.expires.get_mut(key as usize) {
            *e = 0;
        }
    }

    /// Drops every key (a flush).
    pub fn flush(&mut self) {
        self.expires.fill(0);
    }

    /// A database read of `key` starts; returns whether another was already
    /// in flight (a duplicate read).
    pub fn start_read(&mut self, key: u32) -> bool {
        let fill = self.fills.entry(key).or_default();
        fill.readers += 1;
        let duplicate = fill.readers > 1;
        if duplicate {
            self.duplicate_reads += 1;
        }
        duplicate
    }

    /// A database read of `key` ended (filled or failed); returns the
    /// requests that waited on it once no read of the key is left.
    pub fn end_read(&mut self, key: u32) -> Vec<ReqRef> {
        let Some(fill) = self.fills.get_mut(&key) else { return Vec::new() };
        fill.readers -= 1;
        if fill.readers > 0 {
            return Vec::new();
        }
        self.fills.remove(&key).map(|f| f.waiters).unwrap_or_default()
    }

    /// Whether a read of `key` is in flight (a lease is held).
    pub fn is_filling(&self, key: u32) -> bool {
        self.fills.get(&key).is_some_and(|f| f.readers > 0)
    }

    /// Waits on the fill of `key` (single-flight).
    pub fn wait_for_fill(&mut self, key: u32, r: ReqRef) {
        self.fills.entry(key).or_default().waiters.push(r);
    }
}

/// FNV-1a as a `Hasher`: deterministic (std's default hasher is seeded
/// randomly per process), and fast for integer keys.
#[derive(Default)]
pub struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

const NIL: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Node {
    key: u32,
    expires: SimTime,
    prev: u32,
    next: u32,
}

/// A local cache: at most `capacity` keys, least recently used evicted
/// first, each for `ttl`. O(1) per operation (a hash map into a doubly
/// linked list kept in a vector).
#[derive(Clone, Debug)]
pub struct LocalCache {
    capacity: usize,
    index: HashMap<u32, u32, BuildHasherDefault<Fnv>>,
    nodes: Vec<Node>,
    head: u32,
    tail: u32,
    free_head: u32,
}

impl LocalCache {
    /// An empty cache of `capacity` keys.
    pub fn new(capacity: u32) -> LocalCache {
        LocalCache {
            capacity: capacity as usize,
            index: HashMap::default(),
            nodes: Vec::new(),
            head: NIL,
            tail: NIL,
            free_head: NIL,
        }
    }

    /// Whether `key` is cached and fresh at `now` (a hit makes it most
    /// recently used; a stale entry is dropped).
    pub fn get(&mut self, key: u32, now: SimTime) -> bool {
        let Some(&slot) = self.index.get(&key) else { return false };
        if self.nodes[slot as usize].expires <= now {
            self.unlink(slot);
            self.index.remove(&key);
            self.free(slot);
            return false;
        }
        self.unlink(slot);
        self.push_front(slot);
        true
    }

    /// Stores `key` until `expires`, evicting the least recently used key
    /// when full.
    pub fn put(&mut self, key: u32, expires: SimTime) {
        if self.capacity == 0 {
            return;
        }
        if let Some(&slot) = self.index.get(&key) {
            self.nodes[slot as usize].expires = expires;
            self.unlink(slot);
            self.push_front(slot);
            return;
        }
        if self.index.len() >= self.capacity {
            let victim = self.tail;
            let old = self.nodes[victim as usize].key;
            self.unlink(victim);
            self.index.remove(&old);
            self.free(victim);
        }
        let slot = self.alloc(Node { key, expires, prev: NIL, next: NIL });
        self.index.insert(key, slot);
        self.push_front(slot);
    }

    /// Drops `key`.
    pub fn invalidate(&mut self, key: u32) {
        if let Some(slot) = self.index.remove(&key) {
            self.unlink(slot);
            self.free(slot);
        }
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    fn alloc(&mut self, node: Node) -> u32 {
        // Freed slots are marked by key NIL and kept on a list through `next`.
        if self.free_head != NIL {
            let slot = self.free_head;
            self.free_head = self.nodes[slot as usize].next;
            self.nodes[slot as usize] = node;
            slot
        } else {
            self.nodes.push(node);
            self.nodes.len() as u32 - 1
        }
    }

    fn free(&mut self, slot: u32) {
        self.nodes[slot as usize].next = self.free_head;
        self.free_head = slot;
    }

    fn unlink(&mut self, slot: u32) {
        let (prev, next) = (self.nodes[slot as usize].prev, self.nodes[slot as usize].next);
        if prev != NIL {
            self.nodes[prev as usize].next = next
        } else {
            self.head = next
        }
        if next != NIL { self.nodes[next as usize].prev = prev } else { self.tail = prev }
    }

    fn push_front(&mut self, slot: u32) {
        self.nodes[slot as usize].prev = NIL;
        self.nodes[slot as usize].next = self.head;
        if self.head != NIL {
            self.nodes[self.head as usize].prev = slot;
        }
        self.head = slot;
        if self.tail == NIL {
            self.tail = slot;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SimTime {
        SimTime::from_secs(s)
    }

    #[test]
    fn shared_cache_expires_invalidates_and_flushes() {
        let mut c = SharedCache::new(10);
        assert!(!c.lookup(3, t(0)));
        c.fill(3, t(60));
        assert!(c.lookup(3, t(59)));
        assert!(!c.lookup(3, t(60)), "expired at its instant");
        c.fill(3, t(120));
        c.invalidate(3);
        assert!(!c.lookup(3, t(61)));
        c.fill(4, t(120));
        c.flush();
        assert!(!c.lookup(4, t(61)));
        assert_eq!((c.hits, c.misses), (1, 4));
    }

    #[test]
    fn concurrent_reads_of_a_key_are_duplicates_and_waiters_wake_on_the_last() {
        let mut c = SharedCache::new(10);
        assert!(!c.start_read(7));
        assert!(c.start_read(7));
        c.wait_for_fill(7, ReqRef { index: 1, generation: 0 });
        assert!(c.is_filling(7));
        assert!(c.end_read(7).is_empty(), "one read still in flight");
        assert_eq!(c.end_read(7).len(), 1);
        assert!(!c.is_filling(7));
        assert_eq!(c.duplicate_reads, 1);
    }

    #[test]
    fn local_cache_evicts_least_recently_used_and_expires() {
        let mut l = LocalCache::new(2);
        l.put(1, t(100));
        l.put(2, t(100));
        assert!(l.get(1, t(0)), "1 is now most recent");
        l.put(3, t(100));
        assert!(!l.get(2, t(0)), "2 was least recently used");
        assert!(l.get(1, t(0)) && l.get(3, t(0)));
        assert!(!l.get(1, t(100)), "expired");
        l.invalidate(3);
        assert!(l.is_empty());
        for k in 0..1000 {
            l.put(k, t(100));
        }
        assert_eq!(l.len(), 2);
        assert!(l.nodes.len() <= 3, "freed slots are reused");
    }
}
