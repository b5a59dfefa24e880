//! The simulation engine's generic parts: integer time, the event queue, an
//! id-indexed heap, seeded random streams, distributions, the
//! processor-sharing station, and the loop that drives a model.
//!
//! The loop is the same for every caller: tests, batch runs and the TUI all
//! drive a model through [`Engine::step`], [`Engine::run_until`] and
//! [`Engine::run`].

pub mod dist;
pub mod histogram;
pub mod indexed_heap;
pub mod ps;
pub mod queue;
pub mod rng;
pub mod time;

use queue::EventQueue;
use time::SimTime;

/// A discrete-event model: a closed set of events and a handler that reacts
/// to one event at a time, scheduling further events on the queue.
pub trait Model {
    /// The model's closed event type.
    type Event;
    /// Handles `event` at time `now`.
    fn handle(&mut self, now: SimTime, event: Self::Event, queue: &mut EventQueue<Self::Event>);
}

/// Whether events at the horizon itself are due.
#[derive(Clone, Copy)]
enum Bound {
    /// Up to and including the horizon.
    Through,
    /// Strictly before it.
    Before,
}

/// Drives a [`Model`]: pops events in (time, sequence) order and hands them
/// to the model, up to a horizon.
pub struct Engine<M: Model> {
    /// The future-event list.
    pub queue: EventQueue<M::Event>,
    /// The model being simulated.
    pub model: M,
    end: SimTime,
    handled: u64,
}

impl<M: Model> Engine<M> {
    /// An engine that will run `model` until `end`.
    pub fn new(model: M, queue: EventQueue<M::Event>, end: SimTime) -> Self {
        Engine { queue, model, end, handled: 0 }
    }

    /// The simulation clock.
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// The end of the run.
    pub fn end(&self) -> SimTime {
        self.end
    }

    /// Events handled so far (lazily cancelled ones included: they cost a pop).
    pub fn handled(&self) -> u64 {
        self.handled
    }

    /// Whether the clock has reached the end of the run.
    pub fn finished(&self) -> bool {
        self.queue.now() >= self.end && self.queue.peek_time().is_none_or(|t| t > self.end)
    }

    /// Handles the next event if it is due by the end of the run; returns
    /// whether one was handled.
    pub fn step(&mut self) -> bool {
        self.handle_next(self.end, Bound::Through)
    }

    /// Handles every event up to and including `t` (capped at the end of the
    /// run), then sets the clock to that instant.
    pub fn run_until(&mut self, t: SimTime) {
        let horizon = t.min(self.end);
        while self.handle_next(horizon, Bound::Through) {}
        self.queue.advance_to(horizon);
    }

    /// Handles every event strictly before `t` (capped at the end of the
    /// run), then sets the clock to `t`: the point at which a live driver
    /// may inject an action "at t", before anything else at t happens.
    pub fn run_before(&mut self, t: SimTime) {
        let horizon = t.min(self.end);
        while self.handle_next(horizon, Bound::Before) {}
        self.queue.advance_to(horizon);
    }

    /// The one pop-and-handle step every driver shares: handles the next
    /// event if it is due by `horizon`, and says whether it did.
    fn handle_next(&mut self, horizon: SimTime, bound: Bound) -> bool {
        let due = |t| match bound {
            Bound::Through => t <= horizon,
            Bound::Before => t < horizon,
        };
        let Some((now, event)) = self.queue.pop_if(due) else { return false };
        self.model.handle(now, event, &mut self.queue);
        self.handled += 1;
        true
    }

    /// Runs to the end.
    pub fn run(&mut self) {
        self.run_until(self.end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::SimDuration;

    /// Counts ticks, rescheduling itself every 10 ns.
    struct Ticker(Vec<u64>);
    impl Model for Ticker {
        type Event = ();
        fn handle(&mut self, now: SimTime, _: (), q: &mut EventQueue<()>) {
            self.0.push(now.as_nanos());
            q.schedule(now + SimDuration::from_nanos(10), ());
        }
    }

    #[test]
    fn step_run_until_and_run_agree() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_nanos(0), ());
        let mut a = Engine::new(Ticker(vec![]), q, SimTime::from_nanos(50));
        assert!(a.step());
        a.run_until(SimTime::from_nanos(25));
        assert_eq!(a.now(), SimTime::from_nanos(25));
        assert_eq!(a.model.0, [0, 10, 20]);
        a.run_before(SimTime::from_nanos(40));
        assert_eq!(a.model.0, [0, 10, 20, 30]);
        assert_eq!(a.now(), SimTime::from_nanos(40));
        a.run();
        assert_eq!(a.model.0, [0, 10, 20, 30, 40, 50]);
        assert!(!a.step());
        assert!(a.finished());
    }
}
