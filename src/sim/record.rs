//! Counting what happens: per-tick counters and latency histograms, SLO
//! windows, run totals, the cost integral and scaling activity. Memory is
//! fixed: streaming histograms, never stored samples.

use std::collections::BTreeMap;

use crate::analysis::Analysis;
use crate::engine::histogram::LatencyHistogram;
use crate::engine::time::{SimDuration, SimTime};
use crate::model::outcome::ErrorKind;
use crate::output::summary::{Cost, Finding, Latency, Requests, Scaling, SloReport, System};
use crate::output::{EventKind, EventRow, Sink, TickRow};
use crate::scenario::{Scenario, Slo};

const KINDS: usize = ErrorKind::ALL.len();

/// What a cost is for: each tier's price per hour is integrated over the
/// time it is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CostTier {
    /// App instances holding capacity (provisioning to draining).
    App,
    /// The database primaries (every shard).
    Database,
    /// Read replicas.
    ReadReplicas,
    /// The connection pooler's host.
    Pooler,
    /// The shared cache.
    Cache,
}

const TIERS: usize = 5;

/// Cost rates (currency per hour) and their integrals.
struct CostMeter {
    rate: [f64; TIERS],
    /// Σ rate × ns per tier.
    spent: [f64; TIERS],
    since: SimTime,
    peak: f64,
}

impl CostMeter {
    fn advance(&mut self, now: SimTime) {
        let dt = (now - self.since).as_nanos() as f64;
        for (spent, rate) in self.spent.iter_mut().zip(self.rate) {
            *spent += rate * dt;
        }
        self.since = now;
    }
}

/// Counters reset every tick.
pub struct TickCounters {
    /// Attempts offered.
    pub offered: u64,
    /// Successful responses.
    pub completed: u64,
    /// Retry attempts.
    pub retries: u64,
    /// Failed attempts by kind.
    pub errors: [u64; KINDS],
    /// Latencies of successful responses (merged in from the recorder's
    /// recent ones when the tick ends: read them through
    /// [`Recorder::tick_percentiles`]).
    latency: LatencyHistogram,
}

impl TickCounters {
    fn new() -> TickCounters {
        TickCounters { offered: 0, completed: 0, retries: 0, errors: [0; KINDS], latency: LatencyHistogram::new() }
    }

    fn reset(&mut self) {
        self.offered = 0;
        self.completed = 0;
        self.retries = 0;
        self.errors = [0; KINDS];
        self.latency.reset();
    }
}

/// The recorder.
pub struct Recorder {
    /// This tick's counters.
    pub tick: TickCounters,
    /// Latencies since the last merge into the four below. A response is
    /// counted once, here, and the tick's, scrape's, window's and run's
    /// histograms take it at their next boundary: four increments at
    /// random places in four arrays cost more than one, plus four
    /// sequential merges per tick.
    recent: LatencyHistogram,
    /// Latencies since the last metrics scrape (the pipeline's p95).
    scrape_latency: LatencyHistogram,
    window_latency: LatencyHistogram,
    window_good: u64,
    window_bad: u64,
    windows: u64,
    windows_met: u64,
    total_latency: LatencyHistogram,
    latency_sum_us: f64,
    arrivals: u64,
    attempts: u64,
    retries: u64,
    completed: u64,
    succeeded: u64,
    failed: u64,
    errors: [u64; KINDS],
    queue_wait_ns: f64,
    queue_waits: u64,
    system_ns: f64,
    system_n: u64,
    system_since: SimTime,
    sojourn_ns: f64,
    departures: u64,
    cost: CostMeter,
    replica_ns: f64,
    replicas: u32,
    replicas_since: SimTime,
    peak_replicas: u32,
    scale_ups: u64,
    scale_downs: u64,
    reversals: u64,
    last_direction: i8,
    slo: Slo,
    currency: String,
    /// The failure-mode detectors, fed every row and event.
    analysis: Analysis,
    tick_s: f64,
    /// Where rows and events go.
    pub sink: Box<dyn Sink + Send>,
}

impl Recorder {
    /// A recorder for a run of `scenario`, writing to `sink`.
    pub fn new(scenario: &Scenario, sink: Box<dyn Sink + Send>) -> Recorder {
        let slo = scenario.slo.clone();
        Recorder {
            tick: TickCounters::new(),
            recent: LatencyHistogram::new(),
            scrape_latency: LatencyHistogram::new(),
            window_latency: LatencyHistogram::new(),
            window_good: 0,
            window_bad: 0,
            windows: 0,
            windows_met: 0,
            total_latency: LatencyHistogram::new(),
            latency_sum_us: 0.0,
            arrivals: 0,
            attempts: 0,
            retries: 0,
            completed: 0,
            succeeded: 0,
            failed: 0,
            errors: [0; KINDS],
            queue_wait_ns: 0.0,
            queue_waits: 0,
            system_ns: 0.0,
            system_n: 0,
            system_since: SimTime::ZERO,
            sojourn_ns: 0.0,
            departures: 0,
            cost: CostMeter { rate: [0.0; TIERS], spent: [0.0; TIERS], since: SimTime::ZERO, peak: 0.0 },
            replica_ns: 0.0,
            replicas: 0,
            replicas_since: SimTime::ZERO,
            peak_replicas: 0,
            scale_ups: 0,
            scale_downs: 0,
            reversals: 0,
            last_direction: 0,
            slo,
            currency: scenario.currency.clone(),
            analysis: Analysis::new(scenario),
            tick_s: scenario.tick.as_secs_f64(),
            sink,
        }
    }

    /// Writes a time-series row, and logs the findings it confirms.
    pub fn write_tick(&mut self, now: SimTime, row: &TickRow) {
        self.sink.tick(row);
        for f in self.analysis.tick(row, self.tick_s) {
            let detail = format!(
                "{:.0}–{:.0} s, severity {:.2}: {}; fix: {}",
                f.start_s, f.end_s, f.severity, f.evidence, f.fix
            );
            self.event(now, EventKind::Finding, f.kind.name(), detail);
        }
    }

    /// Demand over the tick from `t_s` (the `demand` column), with the
    /// traffic multiplier in force and the measured offered rate.
    pub fn demand(&self, t_s: f64, multiplier: f64, offered_rps: f64) -> Option<u32> {
        self.analysis.demand(t_s, self.tick_s, multiplier, offered_rps)
    }

    /// The run's elasticity scorecard.
    pub fn elasticity(&self) -> Option<crate::analysis::elasticity::Elasticity> {
        self.analysis.elasticity()
    }

    /// Every finding of the run, worst first.
    pub fn findings(&mut self, end: SimTime) -> Vec<Finding> {
        self.analysis.finish(end.as_secs_f64())
    }

    /// Attempts so far.
    pub fn attempts(&self) -> u64 {
        self.attempts
    }

    /// A new request (first attempt).
    #[inline]
    pub fn arrival(&mut self) {
        self.arrivals += 1;
    }

    /// An attempt reaches the balancer.
    #[inline]
    pub fn attempt(&mut self, retry: bool) {
        self.attempts += 1;
        self.tick.offered += 1;
        if retry {
            self.retries += 1;
            self.tick.retries += 1;
        }
    }

    /// A successful response after `latency`; it ends its request.
    #[inline]
    pub fn success(&mut self, latency: SimDuration) {
        let us = (latency.as_nanos() / 1000).max(1);
        self.completed += 1;
        self.succeeded += 1;
        self.tick.completed += 1;
        self.latency_sum_us += us as f64;
        self.recent.record(us);
        self.window_good += 1;
    }

    /// An attempt enters the system (the balancer admits it).
    #[inline]
    pub fn enter(&mut self, now: SimTime) {
        self.system_ns += (now - self.system_since).as_nanos() as f64 * self.system_n as f64;
        self.system_since = now;
        self.system_n += 1;
    }

    /// An attempt that entered at `entered` leaves the system, whatever its
    /// outcome.
    #[inline]
    pub fn leave(&mut self, now: SimTime, entered: SimTime) {
        self.system_ns += (now - self.system_since).as_nanos() as f64 * self.system_n as f64;
        self.system_since = now;
        self.system_n -= 1;
        self.sojourn_ns += (now - entered).as_nanos() as f64;
        self.departures += 1;
    }

    /// A request waited this long in an accept queue for a worker.
    #[inline]
    pub fn queue_wait(&mut self, wait: SimDuration) {
        self.queue_wait_ns += wait.as_nanos() as f64;
        self.queue_waits += 1;
    }

    /// A failed attempt.
    #[inline]
    pub fn error(&mut self, kind: ErrorKind) {
        self.errors[kind.index()] += 1;
        self.tick.errors[kind.index()] += 1;
    }

    /// A request that failed for good (its last attempt failed).
    #[inline]
    pub fn request_failed(&mut self) {
        self.failed += 1;
        self.window_bad += 1;
    }

    /// Instances holding capacity changed to `n` at `now`.
    pub fn replicas(&mut self, now: SimTime, n: u32) {
        self.replica_ns += (now - self.replicas_since).as_nanos() as f64 * self.replicas as f64;
        self.replicas = n;
        self.replicas_since = now;
        self.peak_replicas = self.peak_replicas.max(n);
    }

    /// A tier's cost rate changes by `delta` per hour at `now` (an instance
    /// starts or stops holding capacity, a database is resized).
    pub fn price(&mut self, now: SimTime, tier: CostTier, delta: f64) {
        self.cost.advance(now);
        let r = &mut self.cost.rate[tier as usize];
        *r += delta;
        if r.abs() < 1e-12 {
            *r = 0.0; // no drift from adding and removing the same prices
        }
        let total: f64 = self.cost.rate.iter().sum();
        self.cost.peak = self.cost.peak.max(total);
    }

    /// What everything costs per hour now.
    pub fn cost_per_hour(&self) -> f64 {
        self.cost.rate.iter().sum()
    }

    /// The desired count changed from `old` to `new`.
    pub fn scaled(&mut self, old: u32, new: u32) {
        let dir: i8 = if new > old { 1 } else { -1 };
        if dir > 0 {
            self.scale_ups += 1
        } else {
            self.scale_downs += 1
        }
        if self.last_direction != 0 && dir != self.last_direction {
            self.reversals += 1;
        }
        self.last_direction = dir;
    }

    /// Writes an event.
    pub fn event(&mut self, at: SimTime, kind: EventKind, subject: impl Into<String>, detail: impl Into<String>) {
        let row = EventRow { at, kind, subject: subject.into(), detail: detail.into() };
        self.analysis.event(&row);
        self.sink.event(&row);
    }

    /// Hands the recent latencies to every histogram that spans them.
    fn merge_recent(&mut self) {
        if self.recent.is_empty() {
            return;
        }
        for h in [&mut self.tick.latency, &mut self.scrape_latency, &mut self.window_latency, &mut self.total_latency] {
            h.merge(&self.recent);
        }
        self.recent.reset();
    }

    /// The tick's percentiles (p50, p95, p99), ms.
    pub fn tick_percentiles(&mut self) -> [Option<f64>; 3] {
        self.merge_recent();
        self.tick.latency.quantiles_ms([0.5, 0.95, 0.99])
    }

    /// The latencies since the last scrape, for a new scrape.
    pub fn take_scrape_latency(&mut self) -> LatencyHistogram {
        self.merge_recent();
        std::mem::take(&mut self.scrape_latency)
    }

    /// Clears the tick counters (after the row is written).
    pub fn next_tick(&mut self) {
        self.tick.reset();
    }

    /// Closes an SLO window: it is met if nothing finished in it, or if its
    /// availability and p99 are both within target.
    pub fn close_window(&mut self) {
        self.merge_recent();
        let finished = self.window_good + self.window_bad;
        if finished > 0 {
            self.windows += 1;
            let availability = self.window_good as f64 / finished as f64;
            let p99_ok = self.window_latency.quantile_ms(0.99).is_none_or(|p| p <= self.slo.p99.as_millis_f64());
            if availability >= self.slo.availability && p99_ok {
                self.windows_met += 1;
            }
        }
        self.window_good = 0;
        self.window_bad = 0;
        self.window_latency.reset();
    }

    /// The run's totals, with `in_flight` requests unfinished at `end`.
    pub fn totals(&mut self, end: SimTime, in_flight: u64) -> (Requests, Latency, SloReport, Cost, Scaling, System) {
        self.replicas(end, self.replicas);
        self.cost.advance(end);
        self.system_ns += (end - self.system_since).as_nanos() as f64 * self.system_n as f64;
        self.system_since = end;
        let secs = end.as_secs_f64();
        let system = System {
            mean_in_flight: if secs > 0.0 { self.system_ns / 1e9 / secs } else { 0.0 },
            throughput_rps: if secs > 0.0 { self.departures as f64 / secs } else { 0.0 },
            mean_time_in_system_ms: (self.departures > 0).then(|| self.sojourn_ns / self.departures as f64 / 1e6),
            mean_queue_wait_ms: (self.queue_waits > 0).then(|| self.queue_wait_ns / self.queue_waits as f64 / 1e6),
        };
        let errors: BTreeMap<String, u64> =
            ErrorKind::ALL.iter().map(|k| (k.name().to_string(), self.errors[k.index()])).collect();
        let requests = Requests {
            arrivals: self.arrivals,
            attempts: self.attempts,
            retries: self.retries,
            completed: self.completed,
            succeeded: self.succeeded,
            failed: self.failed,
            errors,
            in_flight_at_end: in_flight,
        };
        self.merge_recent();
        let h = &self.total_latency;
        let [p50, p95, p99] = h.quantiles_ms([0.5, 0.95, 0.99]);
        let latency = Latency {
            mean: (self.completed > 0).then(|| self.latency_sum_us / self.completed as f64 / 1000.0),
            p50,
            p95,
            p99,
            max: h.max().map(|us| us as f64 / 1000.0),
        };
        let finished = self.succeeded + self.failed;
        let availability = (finished > 0).then(|| self.succeeded as f64 / finished as f64);
        let allowed = (1.0 - self.slo.availability) * finished as f64;
        let p99_ok = latency.p99.is_none_or(|p| p <= self.slo.p99.as_millis_f64());
        let slo = SloReport {
            p99_target_ms: self.slo.p99.as_millis_f64(),
            availability_target: self.slo.availability,
            availability,
            met: p99_ok && availability.is_none_or(|a| a >= self.slo.availability),
            attainment: (self.windows > 0).then(|| self.windows_met as f64 / self.windows as f64),
            windows: self.windows,
            windows_met: self.windows_met,
            error_budget_burn: (allowed > 0.0).then(|| self.failed as f64 / allowed),
        };
        let hours = self.replica_ns / 3.6e12;
        let tier = |t: CostTier| self.cost.spent[t as usize] / 3.6e12;
        let total = (0..TIERS).map(|t| self.cost.spent[t] / 3.6e12).sum::<f64>();
        let cost = Cost {
            replica_hours: hours,
            peak_replicas: self.peak_replicas,
            mean_replicas: if secs > 0.0 { self.replica_ns / 1e9 / secs } else { 0.0 },
            currency: self.currency.clone(),
            total,
            app: tier(CostTier::App),
            database: tier(CostTier::Database),
            read_replicas: tier(CostTier::ReadReplicas),
            pooler: tier(CostTier::Pooler),
            cache: tier(CostTier::Cache),
            mean_per_hour: if secs > 0.0 { total / (secs / 3600.0) } else { 0.0 },
            peak_per_hour: self.cost.peak,
        };
        let scaling = Scaling {
            policy: String::new(),
            scale_events: self.scale_ups + self.scale_downs,
            scale_ups: self.scale_ups,
            scale_downs: self.scale_downs,
            reversals: self.reversals,
        };
        (requests, latency, slo, cost, scaling, system)
    }
}
