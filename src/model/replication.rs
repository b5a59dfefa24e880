//! Read replicas and shards: how a replica trails its primary, and which
//! shard owns a key.
//!
//! A replica receives each write its primary commits after a network
//! delay and replays them in commit order, one at a time (Postgres replays
//! WAL in one startup process). Its *replication lag* is the age of the
//! oldest committed write it has not replayed yet (0 when it has them all),
//! as `now() − pg_last_xact_replay_timestamp()` measures on a busy
//! primary. It has replayed every write committed before that oldest one,
//! which is what read-your-writes routing asks.
//!
//! Sharding partitions the keyspace by a fixed hash: shard = mix(key) mod K,
//! so every shard gets about 1/K of the keys, and a hot key makes its shard
//! hot.

use std::collections::VecDeque;

use crate::engine::time::{SimDuration, SimTime};

/// A write waiting to be replayed on a replica.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PendingWrite {
    /// When the primary committed it.
    pub committed: SimTime,
    /// Replay work, ns at rate 1.
    pub work: f64,
}

/// A replica's replication state.
#[derive(Clone, Debug, Default)]
pub struct Replication {
    /// Writes committed on the primary and not yet replayed, oldest first.
    pub pending: VecDeque<PendingWrite>,
    /// Whether the oldest is being replayed (a job on the replica's cores).
    pub replaying: bool,
    /// Whether a wake-up is scheduled for the oldest's arrival.
    pub wake_scheduled: bool,
    /// Whether reads are routed to it.
    pub in_rotation: bool,
    /// When it last left the rotation (for the time out of it).
    pub out_since: Option<SimTime>,
    /// Time spent out of rotation, ns (closed spells).
    pub out_ns: u64,
    /// The highest lag seen at a tick, ns.
    pub peak_lag: SimDuration,
}

impl Replication {
    /// A replica in rotation with nothing to replay.
    pub fn new() -> Replication {
        Replication { in_rotation: true, ..Replication::default() }
    }

    /// The replication lag at `now`.
    pub fn lag(&self, now: SimTime) -> SimDuration {
        self.pending.front().map_or(SimDuration::ZERO, |w| now.saturating_since(w.committed))
    }

    /// Whether it has replayed a write committed at `at`.
    pub fn has_applied(&self, at: SimTime) -> bool {
        self.pending.front().is_none_or(|w| at < w.committed)
    }

    /// Time spent out of rotation up to `now`.
    pub fn out_of_rotation(&self, now: SimTime) -> SimDuration {
        SimDuration::from_nanos(self.out_ns + self.out_since.map_or(0, |s| now.saturating_since(s).as_nanos()))
    }
}

/// The shard that owns `key` among `shards`: a fixed 32-bit mix (the
/// finalizer of MurmurHash3) so neighbouring keys — and Zipf ranks, the
/// hottest being key 0 — spread over the shards, the same on every machine.
pub fn shard_of(key: u32, shards: u32) -> u32 {
    if shards <= 1 {
        return 0;
    }
    let mut h = key;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h % shards
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_the_age_of_the_oldest_unapplied_write() {
        let t = |s| SimTime::ZERO + SimDuration::from_secs(s);
        let mut r = Replication::new();
        assert_eq!(r.lag(t(10)), SimDuration::ZERO);
        r.pending.push_back(PendingWrite { committed: t(4), work: 1.0 });
        r.pending.push_back(PendingWrite { committed: t(7), work: 1.0 });
        assert_eq!(r.lag(t(10)), SimDuration::from_secs(6));
        assert!(r.has_applied(t(3)) && !r.has_applied(t(4)) && !r.has_applied(t(8)));
        r.pending.pop_front();
        assert_eq!(r.lag(t(10)), SimDuration::from_secs(3));
    }

    #[test]
    fn keys_spread_evenly_over_shards() {
        let mut count = [0u32; 4];
        for k in 0..40_000 {
            count[shard_of(k, 4) as usize] += 1;
        }
        for c in count {
            assert!((9_700..10_300).contains(&c), "{count:?}");
        }
        assert_eq!(shard_of(123, 1), 0);
    }
}
