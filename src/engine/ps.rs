//! A processor-sharing station driven by a virtual clock.
//!
//! All jobs in the station progress at one common rate `r` (work per unit of
//! real time), set by the owner from the number of jobs: `min(1, c/n)` for an
//! app instance's `c` cores, the Universal Scalability Law for the database.
//! Instead of updating every job, the station keeps a virtual time `V` with
//! `dV/dt = r`; a job that arrives when `V = v` with work `w` finishes when
//! `V = v + w`. So only the job with the smallest finish tag needs an event,
//! and a rate change reschedules one event, not n: O(log n) per job.
//!
//! Work is in nanoseconds of service at rate 1. The virtual clock restarts at
//! zero whenever the station empties, so precision never degrades over a run.

use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap};

use super::time::SimTime;

/// A job's finish tag in the heap; the token identifies it to the owner.
#[derive(Clone, Copy, Debug)]
struct Tag {
    finish: f64,
    seq: u64,
    token: u64,
}

impl PartialEq for Tag {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Tag {}
impl PartialOrd for Tag {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Tag {
    /// Reversed for the max-heap: smallest finish first, then arrival order.
    fn cmp(&self, o: &Self) -> Ordering {
        o.finish.total_cmp(&self.finish).then(o.seq.cmp(&self.seq))
    }
}

/// Jobs within this much virtual work of the clock count as finished (the
/// completion instant is rounded up to a whole nanosecond).
const EPSILON: f64 = 1e-6;

/// The processor-sharing station.
#[derive(Clone, Debug)]
pub struct PsStation {
    servers: f64,
    vtime: f64,
    last: SimTime,
    rate: f64,
    active: u32,
    next_seq: u64,
    jobs: BinaryHeap<Tag>,
    removed: BTreeSet<u64>,
    busy_server_ns: f64,
    /// The instant of the completion event the owner has scheduled, if any.
    scheduled: Option<SimTime>,
    /// Bumped whenever the scheduled completion changes (lazy cancellation).
    generation: u32,
}

impl PsStation {
    /// A station with `servers` servers (cores); the rate starts at 1.
    pub fn new(servers: u32) -> PsStation {
        PsStation {
            servers: servers as f64,
            vtime: 0.0,
            last: SimTime::ZERO,
            rate: 1.0,
            active: 0,
            next_seq: 0,
            jobs: BinaryHeap::new(),
            removed: BTreeSet::new(),
            busy_server_ns: 0.0,
            scheduled: None,
            generation: 0,
        }
    }

    /// Jobs in service.
    pub fn active(&self) -> u32 {
        self.active
    }

    /// Servers (cores; fractional for a serverless database's capacity).
    pub fn servers(&self) -> f64 {
        self.servers
    }

    /// Changes the number of servers from `now` on (a resize). The owner
    /// sets the new per-job rate after.
    pub fn set_servers(&mut self, now: SimTime, servers: f64) {
        self.advance(now);
        self.servers = servers;
    }

    /// The current per-job rate.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Server-nanoseconds of busy time so far, `∫ min(n, servers) dt`.
    /// Advance the station to the reading instant first.
    pub fn busy_server_ns(&self) -> f64 {
        self.busy_server_ns
    }

    /// The generation of the current completion event.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Brings the virtual clock and the busy-time integral up to `now`.
    pub fn advance(&mut self, now: SimTime) {
        if now <= self.last {
            return;
        }
        let dt = (now.as_nanos() - self.last.as_nanos()) as f64;
        if self.active > 0 {
            self.vtime += dt * self.rate;
            self.busy_server_ns += dt * (self.active as f64).min(self.servers);
        }
        self.last = now;
    }

    /// Adds a job with `work` nanoseconds of service; `token` names it.
    pub fn add(&mut self, now: SimTime, token: u64, work: f64) {
        self.advance(now);
        self.jobs.push(Tag { finish: self.vtime + work.max(0.0), seq: self.next_seq, token });
        self.next_seq += 1;
        self.active += 1;
    }

    /// Takes a job out before it finishes (a cancelled or failed request).
    /// The caller must know the job is in the station.
    pub fn remove(&mut self, now: SimTime, token: u64) {
        self.advance(now);
        debug_assert!(self.active > 0);
        self.active -= 1;
        self.removed.insert(token);
        if self.active == 0 {
            self.reset();
        }
    }

    /// Sets the per-job rate from `now` on (after advancing at the old rate).
    pub fn set_rate(&mut self, now: SimTime, rate: f64) {
        self.advance(now);
        self.rate = rate.max(0.0);
    }

    /// Moves every finished job's token into `out` (in finish order).
    pub fn pop_finished(&mut self, now: SimTime, out: &mut Vec<u64>) {
        self.advance(now);
        while let Some(top) = self.jobs.peek() {
            if top.finish > self.vtime + EPSILON {
                break;
            }
            // The loop's condition just peeked this job.
            let tag = self.jobs.pop().expect("peeked");
            if !self.take_removed(tag.token) {
                self.active -= 1;
                out.push(tag.token);
            }
        }
        if self.active == 0 {
            self.reset();
        }
    }

    /// Empties the station and returns the tokens of every job in it.
    pub fn drain(&mut self, now: SimTime) -> Vec<u64> {
        self.advance(now);
        let mut tags: Vec<Tag> = self.jobs.drain().collect();
        tags.sort_by(|a, b| b.cmp(a));
        let out = tags.into_iter().filter(|t| !self.removed.contains(&t.token)).map(|t| t.token).collect();
        self.active = 0;
        self.reset();
        out
    }

    /// When the next job finishes at the current rate, or `None` if nothing
    /// is running or the rate is zero.
    pub fn next_completion(&mut self) -> Option<SimTime> {
        while let Some(&top) = self.jobs.peek() {
            if self.take_removed(top.token) {
                self.jobs.pop();
                continue;
            }
            if self.rate <= 0.0 {
                return None;
            }
            let remaining = (top.finish - self.vtime).max(0.0);
            let dt = (remaining / self.rate).ceil();
            let dt = if dt >= u64::MAX as f64 { u64::MAX } else { dt as u64 };
            return Some(SimTime::from_nanos(self.last.as_nanos().saturating_add(dt)));
        }
        None
    }

    /// Recomputes the next completion; if it moved, records it, bumps the
    /// generation and returns the new instant for the owner to schedule.
    /// `None` means the already scheduled event (if any) is still right.
    pub fn reschedule(&mut self) -> Option<(SimTime, u32)> {
        let next = self.next_completion();
        if next == self.scheduled {
            return None;
        }
        self.scheduled = next;
        self.generation = self.generation.wrapping_add(1);
        next.map(|t| (t, self.generation))
    }

    /// Called by the owner when a completion event fires: whether it is the
    /// current one (not lazily cancelled). A current event clears the record.
    pub fn take_event(&mut self, generation: u32) -> bool {
        if generation != self.generation || self.scheduled.is_none() {
            return false;
        }
        self.scheduled = None;
        true
    }

    /// Whether `token` was removed early (and forgets it). Removals are rare,
    /// so the empty set is checked first: a tree lookup per completion was
    /// 1.6% of an M/M/c run.
    #[inline]
    fn take_removed(&mut self, token: u64) -> bool {
        !self.removed.is_empty() && self.forget_removed(token)
    }

    #[cold]
    fn forget_removed(&mut self, token: u64) -> bool {
        self.removed.remove(&token)
    }

    fn reset(&mut self) {
        self.vtime = 0.0;
        self.jobs.clear();
        self.removed.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives a station to completion, returning (token, finish time).
    fn run(st: &mut PsStation, rate_of: impl Fn(u32) -> f64) -> Vec<(u64, u64)> {
        let mut done = Vec::new();
        let mut out = Vec::new();
        let mut now = st.last;
        loop {
            let r = rate_of(st.active());
            st.set_rate(now, r);
            let Some(t) = st.next_completion() else { break };
            now = t;
            st.pop_finished(now, &mut out);
            done.extend(out.drain(..).map(|tok| (tok, now.as_nanos())));
        }
        done
    }

    #[test]
    fn single_server_shares_equally() {
        // Two jobs of 10 and 20 units on one server, both at t=0:
        // both run at 1/2 until t=20 (job 1 done), then job 2 at rate 1 for
        // its remaining 10: done at t=30.
        let mut st = PsStation::new(1);
        st.add(SimTime::from_nanos(0), 1, 10.0);
        st.add(SimTime::from_nanos(0), 2, 20.0);
        let done = run(&mut st, |n| 1.0f64.min(1.0 / n.max(1) as f64));
        assert_eq!(done, vec![(1, 20), (2, 30)]);
    }

    #[test]
    fn multi_core_runs_jobs_at_full_speed_up_to_cores() {
        let mut st = PsStation::new(2);
        st.add(SimTime::from_nanos(0), 1, 10.0);
        st.add(SimTime::from_nanos(0), 2, 10.0);
        let done = run(&mut st, |n| 1.0f64.min(2.0 / n.max(1) as f64));
        assert_eq!(done, vec![(1, 10), (2, 10)]);
        // Busy integral: two cores for 10 ns.
        assert_eq!(st.busy_server_ns(), 20.0);
    }

    #[test]
    fn removed_jobs_do_not_finish_or_count() {
        let mut st = PsStation::new(1);
        st.add(SimTime::from_nanos(0), 1, 10.0);
        st.add(SimTime::from_nanos(0), 2, 10.0);
        st.set_rate(SimTime::from_nanos(0), 0.5);
        st.remove(SimTime::from_nanos(4), 1);
        // Job 2 had 2 units done at rate 1/2; 8 left at rate 1: t = 12.
        let done = run(&mut st, |n| 1.0f64.min(1.0 / n.max(1) as f64));
        assert_eq!(done, vec![(2, 12)]);
    }

    #[test]
    fn reschedule_reports_only_moves() {
        let mut st = PsStation::new(4);
        st.add(SimTime::from_nanos(0), 1, 10.0);
        let (t, g) = st.reschedule().expect("first");
        assert_eq!(t, SimTime::from_nanos(10));
        // A longer job on a free core does not move the next completion.
        st.add(SimTime::from_nanos(0), 2, 50.0);
        assert_eq!(st.reschedule(), None);
        assert!(st.take_event(g));
        assert!(!st.take_event(g), "an event is taken once");
    }

    #[test]
    fn drain_returns_everything_in_finish_order() {
        let mut st = PsStation::new(1);
        st.add(SimTime::from_nanos(0), 7, 30.0);
        st.add(SimTime::from_nanos(0), 8, 10.0);
        assert_eq!(st.drain(SimTime::from_nanos(5)), vec![8, 7]);
        assert_eq!(st.active(), 0);
    }
}
