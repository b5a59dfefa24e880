//! A pool of connections: an instance's database pool (HikariCP-like), or
//! the pooler's server connections (PgBouncer). Counts only: a connection
//! is interchangeable with another of the same pool; one that went stale in
//! a database outage is recognised by the epoch it was opened in.

use std::collections::VecDeque;

use super::request::ReqRef;

/// A pool's connections and the requests waiting for one.
#[derive(Clone, Debug, Default)]
pub struct Pool {
    /// Open and unused.
    pub idle: u32,
    /// Lent to a request.
    pub busy: u32,
    /// Being opened.
    pub opening: u32,
    /// Of `opening`, how many were started for a waiting request (a refusal
    /// fails the first waiter at once).
    pub opening_for_waiters: u32,
    /// Requests waiting, first come first served (entries of requests that
    /// gave up are skipped when reached).
    pub waiters: VecDeque<ReqRef>,
    /// Requests still waiting (the live entries of `waiters`).
    pub waiting: u32,
    /// Bumped when the pool's owner restarts or dies: connects started
    /// before are orphans.
    pub epoch: u32,
    /// A refill of `min_idle` is scheduled (after a refused connect).
    pub refill_scheduled: bool,
}

impl Pool {
    /// Open connections (idle and lent).
    pub fn open(&self) -> u32 {
        self.idle + self.busy
    }

    /// Connections open or being opened.
    pub fn committed(&self) -> u32 {
        self.idle + self.busy + self.opening
    }
}
