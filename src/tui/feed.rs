//! The tee between the simulation and the dashboard: a [`Sink`] that hands
//! every row to the run's own sink (the files `scalesim run` writes) and
//! keeps a copy for the dashboard, which takes it once a frame.

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

/// The dashboard's end of the tee.
#[derive(Clone, Debug, Default)]
pub struct SharedFeed(Arc<Mutex<Feed>>);

impl SharedFeed {
    /// Takes everything produced so far.
    pub fn take(&self) -> Feed {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
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
        self.feed.0.lock().unwrap_or_else(PoisonError::into_inner).ticks.push(row.clone());
    }

    fn event(&mut self, row: &EventRow) {
        self.inner.event(row);
        self.feed.0.lock().unwrap_or_else(PoisonError::into_inner).events.push(row.clone());
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.inner.finish(summary)
    }
}
