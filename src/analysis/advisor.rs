//! The advisor: figures computed from the configuration alone, before any
//! run, each with a one-line verdict (`scalesim check` prints them). It
//! predicts the failure modes the detectors would find: a connection budget
//! the fleet can outgrow, a database driven past its USL peak, a peak the
//! policy cannot reach, load that doubles faster than capacity arrives,
//! retries that multiply load, a maxReplicas the cluster cannot place.

use std::fmt;

use crate::model::request::Kind;
use crate::model::traffic::RateFn;
use crate::model::traffic::Source;
use crate::policy::hpa::{MetricSpec, MetricTarget};
use crate::policy::{PolicyConfig, PolicySpec, threshold};
use crate::scenario::Scenario;
use crate::scenario::client::{Backoff, Jitter};

/// How a figure looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Within limits.
    Ok,
    /// Expect trouble.
    Warn,
    /// Context, no judgement.
    Info,
}

/// One figure and its verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Advice {
    /// What it is about.
    pub topic: &'static str,
    /// The figure, with its arithmetic.
    pub figure: String,
    /// The verdict.
    pub verdict: Verdict,
    /// What it means or what to do.
    pub note: String,
}

impl fmt::Display for Advice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = match self.verdict {
            Verdict::Ok => "ok",
            Verdict::Warn => "WARN",
            Verdict::Info => "info",
        };
        write!(f, "{:<20} {} — {v}", self.topic, self.figure)?;
        if !self.note.is_empty() {
            write!(f, ": {}", self.note)?;
        }
        Ok(())
    }
}

/// What the policy aims for, in simulator terms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// CPU utilization of the request (0.6 = 60%).
    Cpu(f64),
    /// Requests per second per instance.
    RpsPerInstance(f64),
}

/// The capacity target of a policy, where it has one.
pub fn policy_target(spec: &PolicySpec) -> Option<Target> {
    match &spec.config {
        PolicyConfig::Threshold(c) => match c.metric {
            threshold::Metric::Cpu => Some(Target::Cpu(c.up)),
            threshold::Metric::Rps => Some(Target::RpsPerInstance(c.up)),
            _ => None,
        },
        PolicyConfig::Hpa(c) => c.spec.metrics.iter().find_map(|m| match m {
            MetricSpec::Resource { name, target: MetricTarget::Utilization(p) }
            | MetricSpec::ContainerResource { name, target: MetricTarget::Utilization(p), .. }
                if name == "cpu" =>
            {
                Some(Target::Cpu(*p as f64 / 100.0))
            }
            MetricSpec::Pods { metric, target: MetricTarget::AverageValue(v) }
                if metric.name.contains("requests_per_second") =>
            {
                Some(Target::RpsPerInstance(*v as f64 / 1000.0))
            }
            _ => None,
        }),
        PolicyConfig::TargetTracking(c) => c.targets.iter().find_map(|t| match t.metric {
            crate::policy::aws::Metric::Cpu => Some(Target::Cpu(t.target)),
            crate::policy::aws::Metric::Rps => Some(Target::RpsPerInstance(t.target)),
            _ => None,
        }),
        PolicyConfig::Scheduled(c) => c.reactive.as_deref().and_then(policy_target),
        PolicyConfig::Predictive(c) => c.reactive.as_deref().and_then(policy_target),
        _ => None,
    }
}

/// Every figure the advisor has for `s`.
pub fn advise(s: &Scenario) -> Vec<Advice> {
    let mut out = Vec::new();
    let (min_replicas, max_replicas) = s.autoscaler.bounds();
    let max_replicas = max_replicas.max(min_replicas).max(s.fleet.initial);
    connection_budget(s, max_replicas, &mut out);
    usl_peak(s, max_replicas, &mut out);
    let (rates, step, writes) = offered_rates(s);
    let rates = (rates, step);
    peak_capacity(s, max_replicas, &rates, &mut out);
    write_lock(s, &rates.0, &writes, &mut out);
    ramp_vs_ready(s, &rates, &mut out);
    retries(s, &mut out);
    if let Some(ceiling) = s.fleet.capacity.ceiling() {
        let ok = max_replicas <= ceiling;
        out.push(Advice {
            topic: "max vs capacity",
            figure: format!("max replicas {max_replicas} vs schedulable capacity {ceiling}"),
            verdict: if ok { Verdict::Ok } else { Verdict::Warn },
            note: if ok { String::new() } else { format!("the autoscaler can ask for {max_replicas}; {} would wait in Pending — add node headroom or lower max replicas", max_replicas - ceiling) },
        });
    }
    out
}

fn connection_budget(s: &Scenario, max_replicas: u32, out: &mut Vec<Advice>) {
    let (Some(db), Some(pool)) = (&s.database, &s.pool) else { return };
    let usable = db.usable_connections();
    if let Some(pooler) = &s.pooler {
        let clients = max_replicas * pool.size;
        let ok = pooler.default_pool_size <= usable && clients <= pooler.max_client_conn;
        out.push(Advice {
            topic: "connection budget",
            figure: format!(
                "pooler holds {} server connections of {usable} usable ({} max − {} reserved); {max_replicas} replicas × {} = {clients} client connections of {} it accepts",
                pooler.default_pool_size, db.max_connections, db.reserved_connections, pool.size, pooler.max_client_conn
            ),
            verdict: if ok { Verdict::Ok } else { Verdict::Warn },
            note: if ok { String::new() } else { "raise the pooler's limits or lower its pool size".into() },
        });
        return;
    }
    let want = max_replicas * pool.size;
    let breaks = usable / pool.size + 1;
    let ok = want <= usable;
    out.push(Advice {
        topic: "connection budget",
        figure: format!(
            "{max_replicas} replicas × {} = {want} connections vs {usable} usable ({} max − {} reserved)",
            pool.size, db.max_connections, db.reserved_connections
        ),
        verdict: if ok { Verdict::Ok } else { Verdict::Warn },
        note: if ok {
            String::new()
        } else {
            format!("replica {breaks} is the first whose pool cannot open — add a pooler, budget pools (size ≤ {}), or cap max replicas at {}", usable / max_replicas.max(1), breaks - 1)
        },
    });
}

fn usl_peak(s: &Scenario, max_replicas: u32, out: &mut Vec<Advice>) {
    let (Some(db), Some(pool)) = (&s.database, &s.pool) else { return };
    let n_star = db.usl_peak();
    if !n_star.is_finite() {
        return;
    }
    // Throughput peaks at n* if the cores allow it, else at the core count.
    let peak = n_star.min(db.cores as f64);
    let per_replica = pool.size.min(s.fleet.workers) as f64;
    let concurrency = match &s.pooler {
        Some(p) => (max_replicas as f64 * per_replica).min(p.default_pool_size as f64),
        None => max_replicas as f64 * per_replica,
    };
    let reaches = (peak / per_replica).ceil() as u32;
    let ok = concurrency <= peak * 2.0;
    out.push(Advice {
        topic: "database USL peak",
        figure: format!(
            "n* = sqrt((1 − {})/{}) = {n_star:.0} concurrent queries{}; reached by {reaches} replica(s) of {per_replica:.0} connections; up to {concurrency:.0} at max replicas",
            db.alpha,
            db.beta,
            if peak < n_star { format!(" (but {} cores: the peak is at {peak:.0})", db.cores) } else { String::new() }
        ),
        verdict: if ok { Verdict::Ok } else { Verdict::Warn },
        note: if ok { String::new() } else { "past the peak, more concurrency lowers throughput: cap max replicas or pools, or put a pooler in front".into() },
    });
}

/// The offered rate (rps) over the run, sampled evenly, with the step, and
/// the offered writes per second in the same samples (a log's own kinds
/// where it gives them, else `write_fraction` of the rate).
fn offered_rates(s: &Scenario) -> (Vec<f64>, f64, Vec<f64>) {
    let secs = s.duration.as_secs_f64();
    let step = (secs / 20_000.0).max(1.0);
    match &s.traffic.source {
        Source::Requests(log) => {
            // Minute buckets: finer ones would show Poisson noise, not ramps.
            let step = step.max(60.0);
            let n = (secs / step) as usize + 1;
            // Count rows per bucket (one pass over the log).
            let mut counts = vec![0.0; n];
            let mut writes = vec![0.0; n];
            let w = s.traffic.write_fraction;
            if let Ok(reader) = crate::model::trace::RequestLogReader::open(log) {
                let keep = s.traffic.scale / s.traffic.speedup;
                for row in reader {
                    let t = (row.t.as_secs_f64() - s.traffic.offset) / s.traffic.speedup;
                    if t >= 0.0 && t < secs {
                        let i = (t / step) as usize;
                        counts[i] += keep / step;
                        // As the simulator draws a row without a kind.
                        writes[i] += keep / step * row.kind.map_or(w, |k| if k == Kind::Write { 1.0 } else { 0.0 });
                    }
                }
            }
            (counts, step, writes)
        }
        _ => {
            let f = RateFn::new(&s.traffic);
            let n = (secs / step) as usize + 1;
            let rates: Vec<f64> = (0..n).map(|i| f.rate(i as f64 * step)).collect();
            let writes = rates.iter().map(|r| r * s.traffic.write_fraction).collect();
            (rates, step, writes)
        }
    }
}

fn peak_capacity(s: &Scenario, max_replicas: u32, (rates, _): &(Vec<f64>, f64), out: &mut Vec<Advice>) {
    let peak = rates.iter().copied().fold(0.0, f64::max);
    if peak <= 0.0 {
        return;
    }
    let demand = s.fleet.service.mean().as_secs_f64();
    let target = policy_target(&s.autoscaler);
    let (per_instance, how) = match target {
        Some(Target::Cpu(u)) => (
            s.fleet.cpu_request * u / demand.max(1e-9),
            format!("{:.2} cores × {:.0}% / {:.1} ms", s.fleet.cpu_request, u * 100.0, demand * 1e3),
        ),
        Some(Target::RpsPerInstance(r)) => (r, format!("{r:.0} rps per instance")),
        None => (
            s.fleet.cores as f64 / demand.max(1e-9),
            format!("{} cores / {:.1} ms at 100%", s.fleet.cores, demand * 1e3),
        ),
    };
    let needed = (peak / per_instance).ceil() as u32;
    let ok = needed <= max_replicas;
    out.push(Advice {
        topic: "peak capacity",
        figure: format!("peak {peak:.0} rps / ({how} = {per_instance:.1} rps each) = {needed} instances; max replicas {max_replicas}"),
        verdict: if ok { Verdict::Ok } else { Verdict::Warn },
        note: if ok { String::new() } else { "the policy cannot reach the peak: raise max replicas or size instances up".into() },
    });
}

/// The single writer's lock at the traffic's peak: writes/s × how long each
/// holds the lock (its demand, times the primary's replication factor) ÷
/// the primaries, against 1. A single server at ρ ≥ 1 queues without bound;
/// at 0.9 an M/D/1 queue already waits 4.5 service times (what
/// write_lock_saturation looks for).
fn write_lock(s: &Scenario, rates: &[f64], writes: &[f64], out: &mut Vec<Advice>) {
    let Some(db) = &s.database else { return };
    let (i, peak) = writes.iter().copied().enumerate().fold((0, 0.0), |m, (i, w)| if w > m.1 { (i, w) } else { m });
    if peak <= 0.0 {
        return;
    }
    let factor = s.replicas.as_ref().map_or(1.0, |r| 1.0 + r.replication_cost * r.count as f64);
    let hold = db.write.mean().as_secs_f64() * factor;
    let shards = db.shards.max(1);
    let util = peak * hold / f64::from(shards);
    let share = writes.get(i).zip(rates.get(i)).map_or(0.0, |(w, r)| if *r > 0.0 { w / r } else { 0.0 });
    let replication = if factor > 1.0 { format!(" (× {factor:.2} for replication)") } else { String::new() };
    let ok = util < 0.9;
    out.push(Advice {
        topic: "write lock",
        figure: format!(
            "peak {peak:.0} writes/s ({:.0}% of the load) × {:.1} ms per write{replication} / {shards} lock(s) = {:.0}% busy; capacity {:.0} writes/s",
            share * 100.0,
            hold * 1e3,
            util * 100.0,
            f64::from(shards) / hold.max(1e-12)
        ),
        verdict: if ok { Verdict::Ok } else { Verdict::Warn },
        note: if ok {
            String::new()
        } else if util >= 1.0 {
            "the single writer cannot keep up: writes queue without bound whatever the CPU says — make each write faster (an index, smaller transactions), batch writes, or shard them (database.shards); read replicas and more app replicas do not help".into()
        } else {
            "near the single writer's capacity: writes queue for the lock at peak — make each write faster, batch writes, or shard them (database.shards); read replicas do not help".into()
        },
    });
}

/// The shortest time over which the offered rate doubles (from at least a
/// tenth of its mean), if it ever does.
pub fn doubling_time(rates: &[f64], step: f64) -> Option<(f64, f64)> {
    let mean = rates.iter().sum::<f64>() / rates.len().max(1) as f64;
    let floor = 0.1 * mean;
    const WINDOWS: [f64; 16] =
        [5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0];
    let mut last_k = 0;
    for w in WINDOWS {
        // Whole steps only; the window reported is the one compared.
        let k = (w / step).ceil() as usize;
        if k == last_k || k >= rates.len() {
            continue;
        }
        last_k = k;
        if let Some(i) = (0..rates.len() - k).find(|&i| rates[i] >= floor && rates[i + k] >= 2.0 * rates[i]) {
            return Some((k as f64 * step, i as f64 * step));
        }
    }
    None
}

fn ramp_vs_ready(s: &Scenario, (rates, step): &(Vec<f64>, f64), out: &mut Vec<Advice>) {
    let sync = s.autoscaler.build().interval().as_secs_f64();
    let seen = s.metrics.delay.as_secs_f64() + s.metrics.scrape_interval.as_secs_f64();
    let f = &s.fleet;
    let (prov, boot) = (f.provisioning.mean().as_secs_f64(), f.boot.mean().as_secs_f64());
    let warm = f.warmup.as_ref().map_or(0.0, |w| w.duration.as_secs_f64());
    let ready = sync + seen + prov + boot + warm;
    let figure_ready = format!(
        "decision to ready {sync:.0} s sync + {seen:.0} s metrics + {prov:.0} s provisioning + {boot:.0} s boot + {warm:.0} s warm-up = {ready:.0} s"
    );
    match doubling_time(rates, *step) {
        Some((w, at)) => {
            let ok = ready < w;
            out.push(Advice {
                topic: "ramp vs readiness",
                figure: format!("traffic doubles in {w:.0} s at its fastest (from {at:.0} s); {figure_ready}"),
                verdict: if ok { Verdict::Ok } else { Verdict::Warn },
                note: if ok { String::new() } else { "capacity arrives after the load has doubled: keep headroom, pre-scale (scheduled/predictive), or shorten start-up".into() },
            });
        }
        None => out.push(Advice {
            topic: "ramp vs readiness",
            figure: format!("traffic never doubles; {figure_ready}"),
            verdict: Verdict::Ok,
            note: String::new(),
        }),
    }
}

fn retries(s: &Scenario, out: &mut Vec<Advice>) {
    let c = &s.client;
    if c.max_attempts <= 1 {
        return;
    }
    let synchronized = c.backoff != Backoff::Exponential || c.jitter == Jitter::None;
    let ok = c.max_attempts <= 2 || !synchronized;
    out.push(Advice {
        topic: "retry amplification",
        figure: format!(
            "{}× offered load under total failure ({} attempts per request, {} backoff, {} jitter)",
            c.max_attempts,
            c.max_attempts,
            match c.backoff {
                Backoff::None => "no",
                Backoff::Fixed => "fixed",
                Backoff::Exponential => "exponential",
            },
            match c.jitter {
                Jitter::None => "no",
                Jitter::Full => "full",
                Jitter::Equal => "equal",
            }
        ),
        verdict: if ok { Verdict::Ok } else { Verdict::Warn },
        note: if ok {
            String::new()
        } else {
            "synchronized retries come back in waves: use exponential backoff with full jitter".into()
        },
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_time_finds_the_fastest_window() {
        // Flat at 100, then 100 → 300 linearly over 60 s (1 s steps): from
        // 100 it doubles when 100 + t·200/60 ≥ 200, t = 30 s.
        let mut r = vec![100.0; 100];
        r.extend((0..=60).map(|i| 100.0 + i as f64 * 200.0 / 60.0));
        r.extend(vec![300.0; 100]);
        assert_eq!(doubling_time(&r, 1.0), Some((30.0, 100.0)));
        assert_eq!(doubling_time(&vec![5.0; 50], 1.0), None);
    }
}
