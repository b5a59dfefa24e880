//! The single-writer database: connection admission, queries on `cores` by
//! processor sharing slowed by Universal Scalability Law contention, and
//! one global write lock, FIFO.
//!
//! USL (Gunther): with n queries running, each progresses at
//! `(min(n, cores)/n) / (1 + α(n−1) + βn(n−1))`, further divided by
//! `(1 + γ · open connections)` and by a slowdown fault's factor. The
//! throughput `n · rate / S` peaks at n* = sqrt((1−α)/β) (when cores ≥ n*)
//! and then falls: adding concurrency past the peak makes it slower.

use std::collections::VecDeque;

use super::request::ReqRef;
use crate::engine::ps::PsStation;

/// A database of a run, by index: each shard's primary, then its replicas
/// (at most 256 shards × 16 databases, validated, so 16 bits hold it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DbId(u16);

impl DbId {
    /// The database at `index`.
    pub fn from_index(index: usize) -> DbId {
        debug_assert!(index <= u16::MAX as usize, "database {index}");
        DbId(index as u16)
    }

    /// Its index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A connection being opened, by its index among a run's connects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectId(u32);

impl ConnectId {
    /// The connect at `index`.
    pub fn from_index(index: usize) -> ConnectId {
        ConnectId(index as u32)
    }

    /// Its index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Marks a processor-sharing job as a connection being established (the
/// rest of the token is the connect's index), not a query.
const CONNECT_JOB: u64 = 1 << 63;

/// Marks a processor-sharing job as a replica replaying a write (with
/// [`CONNECT_JOB`]; connect indexes are 32 bits, so this bit is free).
const APPLY_JOB: u64 = CONNECT_JOB | 1 << 62;

/// What a database's processor-sharing station works on, packed into its
/// job token (request tokens leave the top bit free).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// A request's query.
    Query(ReqRef),
    /// A connection being set up.
    Connect(ConnectId),
    /// A replica replaying a write (one at a time per replica).
    Apply,
}

impl Job {
    /// The station's token for the job.
    pub fn token(self) -> u64 {
        match self {
            Job::Query(r) => r.token(),
            Job::Connect(c) => CONNECT_JOB | c.0 as u64,
            Job::Apply => APPLY_JOB,
        }
    }

    /// The job a token stands for.
    pub fn from_token(token: u64) -> Job {
        if token & APPLY_JOB == APPLY_JOB {
            Job::Apply
        } else if token & CONNECT_JOB != 0 {
            Job::Connect(ConnectId((token & !CONNECT_JOB) as u32))
        } else {
            Job::Query(ReqRef::from_token(token))
        }
    }
}

/// Universal Scalability Law coefficients of a database.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Usl {
    /// Contention α.
    pub alpha: f64,
    /// Coherency β.
    pub beta: f64,
    /// Per-open-connection overhead γ.
    pub connection_overhead: f64,
}

impl Usl {
    /// The per-query rate on `cores` with `n` queries running and `open`
    /// connections, before any slowdown fault.
    pub fn rate_on(&self, cores: f64, n: u32, open: u32) -> f64 {
        if n == 0 {
            return 1.0;
        }
        let nf = n as f64;
        let share = nf.min(cores) / nf;
        let usl = 1.0 + self.alpha * (nf - 1.0) + self.beta * nf * (nf - 1.0);
        share / usl / (1.0 + self.connection_overhead * open as f64)
    }

    /// The USL peak n* = sqrt((1 − α)/β) (∞ without coherency cost).
    pub fn peak(&self) -> f64 {
        if self.beta > 0.0 { ((1.0 - self.alpha) / self.beta).sqrt() } else { f64::INFINITY }
    }
}

/// What a database starts with (built from the scenario's `[database]`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Contention.
    pub usl: Usl,
    /// Cores (the processor-sharing station's servers).
    pub cores: u32,
    /// Connection ceiling.
    pub max_connections: u32,
    /// Of which reserved (not for the application).
    pub reserved_connections: u32,
    /// The instance type (an index into its family), if named.
    pub instance_type: Option<usize>,
    /// Price per hour.
    pub price_per_hour: f64,
    /// Serverless: capacity at the start (ACU) and cores per ACU.
    pub acu: Option<(f64, f64)>,
}

/// A database: a primary (of a shard) or a read replica.
#[derive(Clone, Debug)]
pub struct Database {
    /// Contention.
    pub usl: Usl,
    /// Connections kept from the application.
    pub reserved_connections: u32,
    /// Cores now (a resize changes them; fractional for serverless).
    pub cores: f64,
    /// The connection ceiling now.
    pub max_connections: u32,
    /// Its instance type now, if typed.
    pub instance_type: Option<usize>,
    /// Its price per hour now.
    pub price_per_hour: f64,
    /// Capacity in ACUs, if serverless.
    pub acu: Option<f64>,
    /// Restarting into a new size (a resize's failover): down like an outage.
    pub failing_over: bool,
    /// Running queries and connection work.
    pub cpu: PsStation,
    /// Open connections (backends).
    pub open: u32,
    /// Bumped when every connection drops (an outage): a connection opened
    /// in an earlier epoch is dead.
    pub epoch: u32,
    /// Queries take this many times longer (a slowdown fault).
    pub slowdown: f64,
    /// Down: connects refused, queries fail.
    pub outage: bool,
    /// Whether a write holds the lock.
    pub lock_held: bool,
    /// Writes waiting for the lock, holding their connections.
    pub lock_waiters: VecDeque<ReqRef>,
    /// Reads and writes completed.
    pub reads: u64,
    /// Writes completed.
    pub writes: u64,
    /// Connections admitted.
    pub connects: u64,
    /// Connections refused.
    pub refused: u64,
    /// Connections closed.
    pub closed: u64,
}

impl Database {
    /// A database with no connections.
    pub fn new(s: Settings) -> Database {
        let cores = match s.acu {
            Some((initial, cores_per_acu)) => initial * cores_per_acu,
            None => s.cores as f64,
        };
        let mut cpu = PsStation::new(s.cores);
        cpu.set_servers(crate::engine::time::SimTime::ZERO, cores);
        Database {
            usl: s.usl,
            reserved_connections: s.reserved_connections,
            cpu,
            cores,
            max_connections: s.max_connections,
            instance_type: s.instance_type,
            price_per_hour: s.price_per_hour,
            acu: s.acu.map(|(initial, _)| initial),
            failing_over: false,
            open: 0,
            epoch: 0,
            slowdown: 1.0,
            outage: false,
            lock_held: false,
            lock_waiters: VecDeque::new(),
            reads: 0,
            writes: 0,
            connects: 0,
            refused: 0,
            closed: 0,
        }
    }

    /// The per-job rate now.
    pub fn rate(&self) -> f64 {
        self.usl.rate_on(self.cores, self.cpu.active(), self.open) / self.slowdown
    }

    /// Down: an outage or a failover.
    pub fn down(&self) -> bool {
        self.outage || self.failing_over
    }

    /// Connections the application may open now.
    pub fn usable_connections(&self) -> u32 {
        self.max_connections.saturating_sub(self.reserved_connections)
    }

    /// Admits a connection, or refuses it (down, or at the application's
    /// limit `max_connections − reserved`, as Postgres refuses a non-superuser).
    pub fn admit(&mut self) -> bool {
        if self.down() || self.open >= self.usable_connections() {
            self.refused += 1;
            return false;
        }
        self.open += 1;
        self.connects += 1;
        true
    }

    /// Closes `n` connections of the current epoch.
    pub fn close(&mut self, n: u32) {
        self.open -= n.min(self.open);
        self.closed += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_survive_their_tokens() {
        let r = ReqRef { index: 7, generation: 0x7fff_ffff };
        for job in [Job::Query(r), Job::Connect(ConnectId::from_index(u32::MAX as usize)), Job::Apply] {
            assert_eq!(Job::from_token(job.token()), job);
        }
        assert_ne!(
            Job::Connect(ConnectId::from_index(0)).token(),
            Job::Query(ReqRef { index: 0, generation: 0 }).token()
        );
    }

    fn settings(alpha: f64, beta: f64, cores: u32) -> Settings {
        Settings {
            usl: Usl { alpha, beta, connection_overhead: 0.0 },
            cores,
            max_connections: 10,
            reserved_connections: 2,
            instance_type: None,
            price_per_hour: 0.0,
            acu: None,
        }
    }

    #[test]
    fn usl_throughput_peaks_at_n_star() {
        // α = 0.03, β = 0.0002: n* = sqrt(0.97 / 0.0002) ≈ 69.6.
        let u = settings(0.03, 0.0002, 1000).usl;
        let x = |n: u32| n as f64 * u.rate_on(1000.0, n, 0);
        assert!((u.peak() - 69.64).abs() < 0.01);
        assert!(x(70) > x(60) && x(70) > x(80));
        assert!(x(280) < x(70) * 0.75, "past the peak, throughput falls");
    }

    #[test]
    fn admission_keeps_the_reserved_connections() {
        let mut db = Database::new(settings(0.0, 0.0, 4));
        let admitted = (0..10).filter(|_| db.admit()).count();
        assert_eq!((admitted, db.open, db.refused), (8, 8, 2));
        db.outage = true;
        db.close(8);
        assert!(!db.admit());
    }
}
