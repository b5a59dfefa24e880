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
//! The queue refuses the past. An event scheduled before the clock is a
//! model bug (a handler computed a time from a stale instant), and moving it
//! to "now" would hide it and still change the run. NeXosim refuses such an
//! event with a `SchedulingError`; here it is a panic that names the event
//! and both instants, in every build: no handler could do anything useful
//! with an error (the bug is in its own arithmetic), an `assert!` costs the
//! same compare as the clamp it replaces, and a release sweep must not carry
//! on with a silently altered run.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
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
        EventQueue { heap: BinaryHeap::with_capacity(1024), next_seq: 0, now: SimTime::ZERO }
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
        if at < self.now {
            refuse_the_past(&event, at, self.now);
        }
        let key = ((at.as_nanos() as u128) << 64) | class | self.next_seq as u128;
        self.next_seq += 1;
        self.heap.push(Entry { key, event });
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| SimTime::from_nanos((e.key >> 64) as u64))
    }

    /// Removes the next event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let entry = self.heap.pop()?;
        self.now = SimTime::from_nanos((entry.key >> 64) as u64);
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
        self.heap.len()
    }

    /// Whether nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
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
    fn handles_the_largest_times() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_nanos(u64::MAX), 2);
        q.schedule(SimTime::from_nanos(u64::MAX - 1), 1);
        assert_eq!(q.pop(), Some((SimTime::from_nanos(u64::MAX - 1), 1)));
        assert_eq!(q.pop(), Some((SimTime::from_nanos(u64::MAX), 2)));
    }
}
