//! The limits on what one run may ask for, all in one place. Each is checked
//! when the scenario is validated (`scalesim check`, and before every `run`,
//! `sweep` and `tui`), so an input that would run for days, fill the disk or
//! exhaust memory is refused with an error naming the field and a value
//! that fits, before anything runs. The scenario re-exports them as
//! `scenario::limits`; they live in `input` because field paths and
//! distributions, checked below the scenario, are bounded too.
//!
//! Every bound leaves room for the largest real input the project knows of:
//! the whole 1998 World Cup trace (87 days, 1,352,804,107 requests, a
//! 3,824 rps peak; `scenarios/traces/worldcup98/README.md`) replayed at
//! scale 1 with a 1 s tick passes every one of them.

use crate::engine::time::SimDuration;

/// Seconds in a day.
const DAY: u64 = 86_400;

/// The longest simulated duration: 400 days. The World Cup trace is 87 days;
/// a year of trace with room for an offset fits. Beyond it, a duration is
/// far more often a mistake (epoch timestamps, `"200000d"`) than a plan.
pub const MAX_DURATION: SimDuration = SimDuration::from_secs(400 * DAY);

/// The most time-series rows one run writes (`duration / tick`): 10 million,
/// about 1.5 GB of `timeseries.csv`. 400 days at a 4 s tick, or the 87-day
/// World Cup replay at 1 s (7.5 million rows), fit.
pub const MAX_ROWS: u64 = 10_000_000;

/// The most arrivals a run may expect (the offered rate integrated over the
/// run, after `traffic.scale`, `speedup` and `traffic_multiplier` events):
/// 5 billion. The whole World Cup trace at scale 1 is 1.35 billion; at the
/// simulator's few million requests per second a run at the limit takes
/// tens of minutes, which is a deliberate big run, not a hang.
pub const MAX_ARRIVALS: f64 = 5e9;

/// The highest offered rate at any instant: 10 million requests per second,
/// 2,600 times the World Cup peak. One simulated second costs at least
/// about as many real seconds as the rate is millions, so faster traffic
/// makes a run that looks hung; rates this high are studied by scaling a
/// single instance's share, not the whole fleet's.
pub const MAX_RATE: f64 = 1e7;

/// The most keys in `traffic.keys.count`: 10 million. A cache holds one
/// entry per key it has seen (tens of bytes each), so this bounds its memory
/// to well under a gigabyte; hot-key effects are shaped by the Zipf head,
/// which 10 million keys resolve as well as 4 billion.
pub const MAX_KEYS: u64 = 10_000_000;

/// The most instances a tier may ever hold (a capacity, `nodes ×
/// pods_per_node`, `max_nodes × pods_per_node`, a policy's replicas):
/// 100,000. Each instance is a struct in memory and a line of per-tick
/// work; the largest Kubernetes clusters tested upstream hold 150,000 pods
/// in all (<https://kubernetes.io/docs/setup/best-practices/cluster-large/>).
pub const MAX_INSTANCES: u64 = 100_000;

/// The smallest coefficient of variation of a lognormal or gamma: 0.001.
/// At 10 ms that is a 10 µs spread, indistinguishable from a constant; below
/// it the gamma's shape 1/cv² overflows and its sampler never returns.
pub const MIN_CV: f64 = 1e-3;

/// The largest coefficient of variation of a lognormal or gamma: 100. The
/// sample mean of n draws has a relative error of about cv/√n, so at cv = 100
/// a run needs about 10⁴ requests to show the mean it was given; far above
/// it, nearly every sample rounds to 0 ns and the mean lives in draws a run
/// never makes (a cv of 1e300 reports latencies of 0 ms).
pub const MAX_CV: f64 = 100.0;

/// The most segments in a field path (`--set`, a sweep's `[[param]] path`,
/// a `set_policy_field`): 32. The deepest real path, in an HPA manifest's
/// `behavior.scaleDown.policies[0].value` under `autoscaler`, has 6.
pub const MAX_PATH_SEGMENTS: usize = 32;

/// The size limits in force for one scenario: the defaults above, each of
/// which a scenario's `[limits]` section may raise deliberately (a big run
/// is a feature). The cv bounds and the path depth are not among them: past
/// those a sampler or a parser breaks, however large the machine.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// The longest simulated duration ([`MAX_DURATION`]).
    pub duration: SimDuration,
    /// The most time-series rows ([`MAX_ROWS`]).
    pub rows: u64,
    /// The most expected arrivals ([`MAX_ARRIVALS`]).
    pub arrivals: f64,
    /// The highest offered rate ([`MAX_RATE`]).
    pub rate: f64,
    /// The most keys ([`MAX_KEYS`]).
    pub keys: u64,
    /// The most instances of a tier ([`MAX_INSTANCES`]).
    pub instances: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            duration: MAX_DURATION,
            rows: MAX_ROWS,
            arrivals: MAX_ARRIVALS,
            rate: MAX_RATE,
            keys: MAX_KEYS,
            instances: MAX_INSTANCES,
        }
    }
}

impl Limits {
    /// The tick that keeps `duration` within the row limit: the duration
    /// divided by it, rounded up to a whole millisecond.
    pub fn tick_for(&self, duration: SimDuration) -> SimDuration {
        let ns = duration.as_nanos().div_ceil(self.rows.max(1));
        SimDuration::from_nanos(ns.div_ceil(1_000_000).saturating_mul(1_000_000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole World Cup replay (87 days, 1.35e9 requests, 3,824 rps
    /// peak, 1 s tick) is within every limit.
    #[test]
    fn the_world_cup_replay_fits() {
        let duration = SimDuration::from_secs(87 * DAY);
        assert!(duration <= MAX_DURATION);
        assert!(duration.as_nanos() / SimDuration::from_secs(1).as_nanos() <= MAX_ROWS);
        const { assert!(1_352_804_107.0 <= MAX_ARRIVALS && 3_823.8 <= MAX_RATE) };
    }

    #[test]
    fn the_suggested_tick_fits() {
        let limits = Limits::default();
        let d = SimDuration::from_secs(60);
        let t = limits.tick_for(d);
        assert!(d.as_nanos() / t.as_nanos() <= MAX_ROWS, "{t}");
        assert_eq!(limits.tick_for(MAX_DURATION), SimDuration::from_millis(3456));
    }
}
