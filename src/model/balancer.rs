//! The load balancer's routing: which backend gets the next request.
//!
//! Backends are the routable instances (ready or warming, healthy, not
//! draining). Each has a weight in 1..=1000; below 1000 only during slow
//! start, where the weight ramps linearly (AWS ALB slow start: "the load
//! balancer linearly increases the share of requests it sends to the
//! target"). Every pick is O(1) or O(log n):
//! - round robin: a cursor over the backends; one in slow start is taken
//!   with probability weight/1000, otherwise the cursor moves on;
//! - random: weighted, by a Fenwick tree over the backends' weights;
//! - least outstanding: a min-heap keyed by in-flight count, ties to the
//!   backend picked least recently (so idle backends take turns); a backend
//!   in slow start is taken with probability weight/1000 when its turn
//!   comes, as in round robin (a weight inside the key would starve it:
//!   an idle full-weight backend always wins);
//! - power of two choices: two weighted random picks, the less loaded wins.

use super::instance::InstanceId;
use crate::engine::indexed_heap::IndexedHeap;
use crate::engine::rng::Stream;

/// Load-balancing algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// Each backend in turn.
    RoundRobin,
    /// Uniformly at random.
    Random,
    /// The backend with the fewest requests in flight.
    LeastOutstanding,
    /// The less loaded of two random backends.
    PowerOfTwo,
}

/// A full weight.
pub const FULL: u32 = 1000;

/// Routing state.
pub struct Router {
    algorithm: Algorithm,
    members: Vec<u32>,
    /// By instance id: position in `members`, if routable.
    pos: Vec<Option<u32>>,
    /// By instance id.
    weight: Vec<u32>,
    /// By instance id: requests routed there and not finished.
    outstanding: Vec<u32>,
    /// By instance id: the sequence number of its last pick.
    last_pick: Vec<u64>,
    fenwick: Vec<u64>,
    cursor: usize,
    /// Least outstanding: the members by (outstanding, last pick, id).
    lor: IndexedHeap,
    picks: u64,
    rng: Stream,
}

impl Router {
    /// An empty router.
    pub fn new(algorithm: Algorithm, rng: Stream) -> Router {
        Router {
            algorithm,
            members: Vec::new(),
            pos: Vec::new(),
            weight: Vec::new(),
            outstanding: Vec::new(),
            last_pick: Vec::new(),
            fenwick: vec![0],
            cursor: 0,
            lor: IndexedHeap::new(),
            picks: 0,
            rng,
        }
    }

    fn ensure(&mut self, id: u32) {
        let n = id as usize + 1;
        if self.pos.len() < n {
            self.pos.resize(n, None);
            self.weight.resize(n, FULL);
            self.outstanding.resize(n, 0);
            self.last_pick.resize(n, 0);
        }
    }

    /// Routable backends.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether nothing is routable.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Whether `id` is routable.
    pub fn contains(&self, id: InstanceId) -> bool {
        self.member(id.get())
    }

    fn member(&self, id: u32) -> bool {
        self.pos.get(id as usize).is_some_and(|p| p.is_some())
    }

    /// Requests in flight at `id` through the balancer.
    pub fn outstanding(&self, id: InstanceId) -> u32 {
        self.outstanding.get(id.index()).copied().unwrap_or(0)
    }

    /// Makes `id` routable with `weight` (1..=1000).
    pub fn add(&mut self, id: InstanceId, weight: u32) {
        let id = id.get();
        self.ensure(id);
        if self.member(id) {
            return;
        }
        self.pos[id as usize] = Some(self.members.len() as u32);
        self.members.push(id);
        self.weight[id as usize] = weight.clamp(1, FULL);
        self.fenwick.push(0);
        let p = self.members.len() - 1;
        self.fenwick_rebuild_slot(p);
        if self.algorithm == Algorithm::LeastOutstanding {
            self.lor.set(id, self.lor_key(id));
        }
    }

    /// Takes `id` out of rotation (its in-flight count is kept).
    pub fn remove(&mut self, id: InstanceId) {
        let id = id.get();
        let Some(p) = self.pos.get(id as usize).copied().flatten() else {
            return;
        };
        self.lor.remove(id);
        let p = p as usize;
        let last = self.members.len() - 1;
        // Zero the leaving slot, move the last member into it.
        self.fenwick_add(p, -(self.weight[id as usize] as i64));
        if p != last {
            let moved = self.members[last];
            self.fenwick_add(last, -(self.weight[moved as usize] as i64));
            self.members[p] = moved;
            self.pos[moved as usize] = Some(p as u32);
            self.fenwick_add(p, self.weight[moved as usize] as i64);
        }
        self.members.pop();
        self.fenwick.pop();
        self.pos[id as usize] = None;
        if self.cursor >= self.members.len() {
            self.cursor = 0;
        }
    }

    /// Changes `id`'s weight (slow start).
    pub fn set_weight(&mut self, id: InstanceId, weight: u32) {
        let id = id.get();
        self.ensure(id);
        let weight = weight.clamp(1, FULL);
        let Some(p) = self.pos[id as usize] else {
            self.weight[id as usize] = weight;
            return;
        };
        let old = self.weight[id as usize];
        let p = p as usize;
        self.fenwick_add(p, weight as i64 - old as i64);
        self.weight[id as usize] = weight;
    }

    /// Picks a backend for the next request, or `None` if nothing is routable.
    pub fn pick(&mut self) -> Option<InstanceId> {
        if self.members.is_empty() {
            return None;
        }
        self.picks += 1;
        let id = match self.algorithm {
            Algorithm::RoundRobin => self.pick_round_robin(),
            Algorithm::Random => self.pick_weighted(),
            Algorithm::LeastOutstanding => self.pick_least_outstanding(),
            Algorithm::PowerOfTwo => {
                let a = self.pick_weighted();
                let b = self.pick_weighted();
                let load = |r: &Self, i: u32| {
                    (r.outstanding[i as usize] as u64 + 1) * FULL as u64 * 1000 / r.weight[i as usize] as u64
                };
                if load(self, b) < load(self, a) { b } else { a }
            }
        };
        self.touch(id, |r| r.last_pick[id as usize] = r.picks);
        Some(InstanceId::new(id))
    }

    /// Counts a request routed to `id`.
    pub fn dispatched(&mut self, id: InstanceId) {
        let id = id.get();
        self.ensure(id);
        self.touch(id, |r| r.outstanding[id as usize] += 1);
    }

    /// Counts a request finished (or failed) at `id`.
    pub fn finished(&mut self, id: InstanceId) {
        let id = id.get();
        self.touch(id, |r| r.outstanding[id as usize] = r.outstanding[id as usize].saturating_sub(1));
    }

    /// Applies `f` to `id`'s state, keeping the least-outstanding order.
    fn touch(&mut self, id: u32, f: impl FnOnce(&mut Self)) {
        f(self);
        if self.lor.contains(id) {
            self.lor.set(id, self.lor_key(id));
        }
    }

    /// (outstanding, last pick, id) packed into one integer: 32, 64 and 32 bits.
    fn lor_key(&self, id: u32) -> u128 {
        let i = id as usize;
        (self.outstanding[i] as u128) << 96 | (self.last_pick[i] as u128) << 32 | id as u128
    }

    /// The least loaded backend; one in slow start that declines its turn
    /// goes to the back of its tie group, as round robin's cursor moves on.
    /// Those that decline leave the heap until the pick is made, so the
    /// next in order is offered the turn (the heap's minimum).
    fn pick_least_outstanding(&mut self) -> u32 {
        let mut skipped = Vec::new();
        let chosen = loop {
            let Some(id) = self.lor.peek() else {
                // Picked only with backends: if none took its turn, every one
                // was skipped, and the last of them is taken.
                let last = skipped.pop().expect("non-empty");
                self.lor.set(last, self.lor_key(last));
                break last;
            };
            let w = self.weight[id as usize];
            if w >= FULL || self.rng.below(FULL as u64) < w as u64 {
                break id;
            }
            self.lor.remove(id);
            skipped.push(id);
        };
        for id in skipped {
            self.last_pick[id as usize] = self.picks;
            self.lor.set(id, self.lor_key(id));
        }
        chosen
    }

    fn pick_round_robin(&mut self) -> u32 {
        let n = self.members.len();
        for _ in 0..n {
            let id = self.members[self.cursor % n];
            self.cursor = (self.cursor + 1) % n;
            let w = self.weight[id as usize];
            if w >= FULL || self.rng.below(FULL as u64) < w as u64 {
                return id;
            }
        }
        // Everyone is in slow start and every draw said no: take the next.
        let id = self.members[self.cursor % n];
        self.cursor = (self.cursor + 1) % n;
        id
    }

    fn pick_weighted(&mut self) -> u32 {
        let total = self.fenwick_prefix(self.members.len());
        let mut target = self.rng.below(total.max(1));
        // Fenwick descent: the first position whose prefix sum exceeds target.
        let mut p = 0usize;
        let mut step = self.members.len().next_power_of_two();
        while step > 0 {
            let next = p + step;
            if next <= self.members.len() && self.fenwick[next] <= target {
                target -= self.fenwick[next];
                p = next;
            }
            step >>= 1;
        }
        self.members[p.min(self.members.len() - 1)]
    }

    /// Fenwick tree over positions (1-based internally).
    fn fenwick_add(&mut self, p: usize, delta: i64) {
        let mut i = p + 1;
        while i < self.fenwick.len() {
            self.fenwick[i] = (self.fenwick[i] as i64 + delta) as u64;
            i += i & i.wrapping_neg();
        }
    }

    fn fenwick_prefix(&self, n: usize) -> u64 {
        let mut i = n;
        let mut s = 0;
        while i > 0 {
            s += self.fenwick[i];
            i -= i & i.wrapping_neg();
        }
        s
    }

    /// Initialises a freshly pushed last slot: its node covers a range of
    /// earlier positions, whose weights it must sum.
    fn fenwick_rebuild_slot(&mut self, p: usize) {
        let i = p + 1;
        let lowbit = i & i.wrapping_neg();
        let own = self.weight[self.members[p] as usize] as u64;
        let covered = self.fenwick_prefix(i - 1) - self.fenwick_prefix(i - lowbit);
        self.fenwick[i] = own + covered;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> InstanceId {
        InstanceId::new(n)
    }

    fn router(a: Algorithm, n: u32) -> Router {
        let mut r = Router::new(a, Stream::new(1, "lb"));
        for id in 0..n {
            r.add(InstanceId::new(id), FULL);
        }
        r
    }

    fn share(r: &mut Router, picks: usize, n: usize) -> Vec<usize> {
        let mut c = vec![0; n];
        for _ in 0..picks {
            c[r.pick().unwrap().index()] += 1;
        }
        c
    }

    #[test]
    fn round_robin_takes_turns() {
        let mut r = router(Algorithm::RoundRobin, 3);
        let order: Vec<u32> = (0..6).map(|_| r.pick().unwrap().get()).collect();
        assert_eq!(order, [0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn weighted_random_follows_weights_through_removals() {
        let mut r = router(Algorithm::Random, 5);
        r.remove(id(1));
        r.set_weight(id(3), 250);
        let c = share(&mut r, 100_000, 5);
        assert_eq!(c[1], 0);
        // Weights 1000, 1000, 250, 1000 of 3250: 30.8%, 30.8%, 7.7%, 30.8%.
        assert!((c[3] as f64 / 100_000.0 - 250.0 / 3250.0).abs() < 0.006, "{c:?}");
        assert!((c[0] as f64 / 100_000.0 - 1000.0 / 3250.0).abs() < 0.01, "{c:?}");
    }

    #[test]
    fn least_outstanding_prefers_idle_backends_and_rotates_ties() {
        let mut r = router(Algorithm::LeastOutstanding, 3);
        let a = r.pick().unwrap();
        r.dispatched(a);
        let b = r.pick().unwrap();
        r.dispatched(b);
        let c = r.pick().unwrap();
        assert_eq!([a, b, c], [id(0), id(1), id(2)]);
        r.dispatched(c);
        r.finished(b);
        assert_eq!(r.pick(), Some(id(1)));
    }

    #[test]
    fn power_of_two_avoids_the_loaded_backend() {
        let mut r = router(Algorithm::PowerOfTwo, 2);
        for _ in 0..50 {
            r.dispatched(id(0));
        }
        let c = share(&mut r, 1000, 2);
        // Backend 0 wins only when both draws land on it: ~25%.
        assert!(c[0] > 150 && c[0] < 350, "{c:?}");
    }

    #[test]
    fn slow_start_weights_reduce_share_in_round_robin() {
        let mut r = router(Algorithm::RoundRobin, 2);
        r.set_weight(id(1), 100);
        let c = share(&mut r, 20_000, 2);
        // Backend 1 is taken w.p. 0.1 on its turns: share ≈ 0.1/1.1 ≈ 9%.
        assert!(c[1] > 1400 && c[1] < 2400, "{c:?}");
    }

    #[test]
    fn empty_router_picks_nothing() {
        let mut r = router(Algorithm::LeastOutstanding, 1);
        r.remove(id(0));
        assert!(r.is_empty());
        assert_eq!(r.pick(), None);
    }
}
