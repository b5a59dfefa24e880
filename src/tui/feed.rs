//! The tee between the simulation and the dashboard: a [`Sink`] that hands
//! every row to the run's own sink (the files `scalesim run` writes) and
//! keeps a copy for the dashboard, which takes it once a frame. The summary
//! goes through with the digest of the scenario plus the session, as the
//! replay computes it.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use crate::output::{EventRow, Sink, Summary, TickRow};

/// What the simulation produced since the dashboard last took it.
#[derive(Debug, Default)]
pub struct Feed {
    /// Time-series rows, oldest first.
    pub ticks: Vec<TickRow>,
    /// Events, oldest first.
    pub events: Vec<EventRow>,
}

#[derive(Debug, Default)]
struct Shared {
    feed: Feed,
    /// The scenario digest the summary reports instead of the simulation's.
    scenario_hash: Option<String>,
}

/// The dashboard's end of the tee.
#[derive(Clone, Debug, Default)]
pub struct SharedFeed(Arc<Mutex<Shared>>);

impl SharedFeed {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes everything produced so far.
    pub fn take(&self) -> Feed {
        std::mem::take(&mut self.lock().feed)
    }

    /// Makes the summary report this scenario digest: a game day ran the
    /// scenario *and* its session's actions, which is what a replay hashes.
    pub fn set_scenario_hash(&self, hash: String) {
        self.lock().scenario_hash = Some(hash);
    }
}

/// Writes to `inner` and shares a copy of each row.
pub struct Tee {
    inner: Box<dyn Sink + Send>,
    feed: SharedFeed,
}

impl Tee {
    /// A tee in front of `inner`, sharing with `feed`.
    pub fn new(inner: Box<dyn Sink + Send>, feed: SharedFeed) -> Tee {
        Tee { inner, feed }
    }
}

impl Sink for Tee {
    fn tick(&mut self, row: &TickRow) {
        self.inner.tick(row);
        self.feed.lock().feed.ticks.push(row.clone());
    }

    fn event(&mut self, row: &EventRow) {
        self.inner.event(row);
        self.feed.lock().feed.events.push(row.clone());
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        match self.feed.lock().scenario_hash.clone() {
            Some(scenario_hash) => self.inner.finish(&Summary { scenario_hash, ..summary.clone() }),
            None => self.inner.finish(summary),
        }
    }
}
