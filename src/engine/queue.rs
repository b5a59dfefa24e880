//! The future-event list: a binary heap ordered by (time, insertion sequence).
//!
//! Two events at the same instant pop in the order they were scheduled (FIFO),
//! so the order never depends on a hash, an address or the heap's internals.
//! One exception, by design: events scheduled with [`EventQueue::schedule_first`]
//! (faults and operator actions) pop before every ordinary event at the same
//! instant, so an action injected live at time t and the same action read
//! from a file act at the same point. The keys are packed into one `u128`
//! (time, class bit, sequence) so a comparison is a single integer compare.
//! Cancellation is lazy: an event that is no longer wanted stays in the heap
//! and its handler ignores it (entities carry generation counters).
//!
//! Fixed-delay timers skip the heap. Client timeouts are scheduled on every
//! attempt and almost never fire; each is due a fixed delay after its
//! attempt starts, so they are scheduled in time order, and the heap's work
//! was largely pushing and popping them past the dense near-future events
//! (completions, arrivals). [`EventQueue::schedule_timer`] appends such an
//! event to a FIFO lane when its key is above the lane's last (otherwise it
//! goes to the heap); a pop takes the smaller key of the lane's front and
//! the heap's top. The pop order is the same total order of keys either
//! way, so the run does not change, only its cost.
//!
//! The queue refuses the past. An event scheduled before the clock is a
//! model bug (a handler computed a time from a stale instant), and moving it
//! to "now" would hide it and still change the run. NeXosim refuses such an
//! event with a `SchedulingError`; here it is a panic that names the event
//! and both instants, in every build: no handler could do anything useful
//! with an error (the bug is in its own arithmetic), an `assert!` costs the
//! same compare as the clamp it replaces, and a release sweep must not carry
//! on with a silently altered run.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt::Debug;

use super::time::SimTime;

/// A pending event with its packed (time, sequence) key.
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so the max-heap pops the earliest key.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// The class bit of ordinary events (set: after `schedule_first` events).
const ORDINARY: u128 = 1 << 63;

/// The event queue: earliest time first, ties in scheduling order.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    /// Events scheduled in increasing key order (see the module docs).
    lane: VecDeque<Entry<E>>,
    next_seq: u64,
    now: SimTime,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(1024),
            lane: VecDeque::with_capacity(1024),
            next_seq: 0,
            now: SimTime::ZERO,
        }
    }

    /// The time of the last popped event (the simulation clock).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `at`.
    ///
    /// # Panics
    ///
    /// If `at` is before now (see the module docs: the queue refuses the past).
    pub fn schedule(&mut self, at: SimTime, event: E)
    where
        E: Debug,
    {
        self.push(at, ORDINARY, event);
    }

    /// Schedules `event` at `at`, ahead of every ordinary event at that
    /// instant (in scheduling order among such events).
    ///
    /// # Panics
    ///
    /// If `at` is before now, as [`EventQueue::schedule`].
    pub fn schedule_first(&mut self, at: SimTime, event: E)
    where
        E: Debug,
    {
        self.push(at, 0, event);
    }

    #[inline]
    fn push(&mut self, at: SimTime, class: u128, event: E)
    where
        E: Debug,
    {
        let entry = self.entry(at, class, event);
        self.heap.push(entry);
    }

    /// `event` keyed at `at` in `class`, in scheduling order.
    #[inline]
    fn entry(&mut self, at: SimTime, class: u128, event: E) -> Entry<E>
    where
        E: Debug,
    {
        if at < self.now {
            refuse_the_past(&event, at, self.now);
        }
        let key = ((at.as_nanos() as u128) << 64) | class | self.next_seq as u128;
        self.next_seq += 1;
        Entry { key, event }
    }

    /// Schedules `event` at `at`, as [`EventQueue::schedule`], for an event
    /// usually scheduled in time order (a fixed-delay timer): the lane takes
    /// it when it is due after the lane's last event, the heap otherwise.
    ///
    /// # Panics
    ///
    /// If `at` is before now, as [`EventQueue::schedule`].
    pub fn schedule_timer(&mut self, at: SimTime, event: E)
    where
        E: Debug,
    {
        let entry = self.entry(at, ORDINARY, event);
        if self.lane.back().is_none_or(|last| last.key < entry.key) {
            self.lane.push_back(entry);
        } else {
            self.heap.push(entry);
        }
    }

    /// The next event's key and whether it is the lane's front (the smaller
    /// key of the lane's front and the heap's top).
    #[inline]
    fn next(&self) -> Option<(u128, bool)> {
        match (self.lane.front(), self.heap.peek()) {
            (Some(l), Some(h)) if l.key < h.key => Some((l.key, true)),
            (_, Some(h)) => Some((h.key, false)),
            (l, None) => l.map(|l| (l.key, true)),
        }
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.next().map(|(key, _)| time_of(key))
    }

    /// Removes the next event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_if(|_| true)
    }

    /// Removes the next event if `due` says its time is, and advances the
    /// clock to it.
    #[inline]
    pub fn pop_if(&mut self, due: impl FnOnce(SimTime) -> bool) -> Option<(SimTime, E)> {
        let (key, in_lane) = self.next()?;
        if !due(time_of(key)) {
            return None;
        }
        let entry = if in_lane { self.lane.pop_front() } else { self.heap.pop() }?;
        self.now = time_of(key);
        Some((self.now, entry.event))
    }

    /// Moves the clock forward to `t` when no event lies before it (used to end
    /// a `run_until` exactly at its horizon).
    pub fn advance_to(&mut self, t: SimTime) {
        debug_assert!(self.peek_time().is_none_or(|next| next >= t));
        self.now = self.now.max(t);
    }

    /// Events waiting, including lazily cancelled ones.
    pub fn len(&self) -> usize {
        self.heap.len() + self.lane.len()
    }

    /// Whether nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty() && self.lane.is_empty()
    }
}

/// The time part of a packed key.
#[inline]
fn time_of(key: u128) -> SimTime {
    SimTime::from_nanos((key >> 64) as u64)
}

/// The panic of a push into the past, kept out of line so that the push
/// itself stays small enough to inline into every handler.
#[cold]
#[inline(never)]
fn refuse_the_past(event: &dyn Debug, at: SimTime, now: SimTime) -> ! {
    panic!("{event:?} scheduled at {at:?}, before now ({now:?}): the queue refuses the past")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_insertion_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_nanos(20), "c");
        q.schedule(SimTime::from_nanos(10), "a");
        q.schedule(SimTime::from_nanos(20), "d");
        q.schedule(SimTime::from_nanos(10), "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }

    #[test]
    fn first_class_events_lead_their_instant() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_nanos(10), "ordinary");
        q.schedule_first(SimTime::from_nanos(10), "action");
        q.schedule_first(SimTime::from_nanos(5), "early action");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["early action", "action", "ordinary"]);
    }

    #[test]
    fn now_is_not_the_past() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_nanos(50), 1);
        assert_eq!(q.pop(), Some((SimTime::from_nanos(50), 1)));
        q.schedule(SimTime::from_nanos(50), 2);
        assert_eq!(q.pop(), Some((SimTime::from_nanos(50), 2)));
    }

    #[test]
    #[should_panic(expected = "\"late\" scheduled at SimTime(10), before now (SimTime(50))")]
    fn refuses_the_past_naming_the_event() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_nanos(50), "first");
        q.pop();
        q.schedule(SimTime::from_nanos(10), "late");
    }

    #[test]
    fn timers_interleave_with_the_heap_in_key_order() {
        let mut q = EventQueue::new();
        q.schedule_timer(SimTime::from_nanos(100), "timer 100");
        q.schedule(SimTime::from_nanos(50), "event 50");
        q.schedule_timer(SimTime::from_nanos(100), "timer 100 again");
        // Out of order for the lane: it goes to the heap, and still pops in order.
        q.schedule_timer(SimTime::from_nanos(70), "timer 70");
        q.schedule(SimTime::from_nanos(100), "event 100");
        q.schedule_first(SimTime::from_nanos(100), "action 100");
        assert_eq!(q.len(), 6);
        assert_eq!(q.peek_time(), Some(SimTime::from_nanos(50)));
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["event 50", "timer 70", "action 100", "timer 100", "timer 100 again", "event 100"]);
        assert!(q.is_empty());
    }

    #[test]
    fn handles_the_largest_times() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_nanos(u64::MAX), 2);
        q.schedule(SimTime::from_nanos(u64::MAX - 1), 1);
        assert_eq!(q.pop(), Some((SimTime::from_nanos(u64::MAX - 1), 1)));
        assert_eq!(q.pop(), Some((SimTime::from_nanos(u64::MAX), 2)));
    }
}
