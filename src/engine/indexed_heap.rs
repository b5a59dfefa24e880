//! A binary min-heap of small integer ids, each with a `u128` key that can
//! change in place: O(log n) insert, remove, re-key and pop, O(1) minimum.
//!
//! `BinaryHeap` cannot re-key or remove an arbitrary entry, and a
//! `BTreeSet` of keys pays a remove and an insert (node searches, moves
//! within a node, rebalancing) for every change. Here a change moves the id
//! along one root path, and the position of each id is kept so it can be
//! found without a search. Keys must be unique (callers pack the id into
//! the low bits), so the order never depends on the heap's shape and the
//! minimum is the same as a sorted set's.

/// Heap position of an id that is not in the heap.
const ABSENT: u32 = u32::MAX;

/// An id-indexed binary min-heap.
#[derive(Default)]
pub struct IndexedHeap {
    /// The heap array of (key, id).
    heap: Vec<(u128, u32)>,
    /// By id: its index in `heap`, or `ABSENT`.
    pos: Vec<u32>,
}

impl IndexedHeap {
    /// An empty heap.
    pub fn new() -> IndexedHeap {
        IndexedHeap::default()
    }

    /// Ids held.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no id is held.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Whether `id` is held.
    pub fn contains(&self, id: u32) -> bool {
        self.pos.get(id as usize).is_some_and(|&p| p != ABSENT)
    }

    /// The id with the smallest key.
    pub fn peek(&self) -> Option<u32> {
        self.heap.first().map(|&(_, id)| id)
    }

    /// Inserts `id` with `key`, or re-keys it if it is held.
    pub fn set(&mut self, id: u32, key: u128) {
        let i = id as usize;
        if self.pos.len() <= i {
            self.pos.resize(i + 1, ABSENT);
        }
        match self.pos[i] {
            ABSENT => {
                let at = self.heap.len();
                self.heap.push((key, id));
                self.pos[i] = at as u32;
                self.sift_up(at);
            }
            at => {
                let at = at as usize;
                let old = std::mem::replace(&mut self.heap[at].0, key);
                if key < old {
                    self.sift_up(at);
                } else {
                    self.sift_down(at);
                }
            }
        }
    }

    /// Removes `id` if it is held.
    pub fn remove(&mut self, id: u32) {
        let Some(&at) = self.pos.get(id as usize) else { return };
        if at == ABSENT {
            return;
        }
        let at = at as usize;
        self.pos[id as usize] = ABSENT;
        // An id is held, so the heap is not empty.
        let Some(last) = self.heap.pop() else { return };
        if at < self.heap.len() {
            // The last entry fills the hole, then moves whichever way its key says.
            self.heap[at] = last;
            self.pos[last.1 as usize] = at as u32;
            if at > 0 && last.0 < self.heap[(at - 1) / 2].0 {
                self.sift_up(at);
            } else {
                self.sift_down(at);
            }
        }
    }

    /// Removes and returns the id with the smallest key.
    pub fn pop(&mut self) -> Option<u32> {
        let id = self.peek()?;
        self.remove(id);
        Some(id)
    }

    fn sift_up(&mut self, mut at: usize) {
        let entry = self.heap[at];
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.heap[parent].0 <= entry.0 {
                break;
            }
            self.heap[at] = self.heap[parent];
            self.pos[self.heap[at].1 as usize] = at as u32;
            at = parent;
        }
        self.heap[at] = entry;
        self.pos[entry.1 as usize] = at as u32;
    }

    fn sift_down(&mut self, mut at: usize) {
        let entry = self.heap[at];
        let n = self.heap.len();
        loop {
            let left = 2 * at + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && self.heap[right].0 < self.heap[left].0 { right } else { left };
            if entry.0 <= self.heap[child].0 {
                break;
            }
            self.heap[at] = self.heap[child];
            self.pos[self.heap[at].1 as usize] = at as u32;
            at = child;
        }
        self.heap[at] = entry;
        self.pos[entry.1 as usize] = at as u32;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::engine::rng::Stream;

    #[test]
    fn pops_in_key_order() {
        let mut h = IndexedHeap::new();
        for (id, key) in [(3, 30), (1, 10), (7, 70), (2, 20)] {
            h.set(id, key);
        }
        h.set(7, 5);
        let order: Vec<u32> = std::iter::from_fn(|| h.pop()).collect();
        assert_eq!(order, [7, 1, 2, 3]);
        assert!(h.is_empty() && !h.contains(7));
    }

    #[test]
    fn agrees_with_a_sorted_set_under_random_changes() {
        // The oracle: a BTreeSet of (key, id), as the balancer kept before.
        let mut rng = Stream::new(7, "indexed-heap");
        let mut h = IndexedHeap::new();
        let mut set = BTreeSet::new();
        let mut key = vec![None::<u128>; 64];
        for step in 0..20_000u128 {
            let id = rng.below(64) as u32;
            match rng.below(4) {
                0 => {
                    h.remove(id);
                    if let Some(old) = key[id as usize].take() {
                        set.remove(&(old, id));
                    }
                }
                1 => {
                    let popped = set.pop_first().map(|(_, id)| id);
                    assert_eq!(h.pop(), popped);
                    if let Some(p) = popped {
                        key[p as usize] = None;
                    }
                }
                _ => {
                    // Unique keys: a random level, then the step, then the id.
                    let k = (rng.below(1000) as u128) << 64 | step << 8 | id as u128;
                    if let Some(old) = key[id as usize].replace(k) {
                        set.remove(&(old, id));
                    }
                    set.insert((k, id));
                    h.set(id, k);
                }
            }
            assert_eq!(h.len(), set.len());
            assert_eq!(h.peek(), set.first().map(|&(_, id)| id));
            assert!((0..64).all(|i| h.contains(i) == key[i as usize].is_some()));
        }
    }
}
