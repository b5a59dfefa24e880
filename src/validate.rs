//! `scalesim validate SCENARIO --observed DIR`: replays the observed traffic
//! through a (calibrated) scenario and measures how closely the simulated
//! series follow the observed ones — per series, over time and at each
//! steady level of the offered rate.
//!
//! The simulation's one-second ticks are put on the observed grid the way
//! Prometheus would have seen them: a rate at `t` is the mean over the ticks
//! in `(t − w, t]` (`rate()` over the window), a percentile the
//! completion-weighted mean of the ticks' percentiles in that window (an
//! approximation of `histogram_quantile` over the window), a gauge the
//! value at `t`. CPU is mapped from the model's busy time to cores with the
//! calibrated idle CPU and CPU per request (`calibrate`) over the
//! scenario's mean demand.
//!
//! Errors: MAPE (mean absolute percentage error) and the median relative
//! error over the instants whose observed value is above a floor (0.5 /s
//! for rates, 0.01 cores, 0 for latency), Pearson's correlation, and at
//! steady levels the relative error of the level means.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::calibrate::{self, Calibration, correlation};
use crate::error::Error;
use crate::import::{Column, Observed, num};
use crate::output::{DirSink, atomic};
use crate::scenario::{Override, Scenario};
use crate::sim::Simulation;

/// A series compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compared {
    /// Served requests/s.
    Throughput,
    /// CPU cores.
    Cpu,
    /// Median latency, ms.
    P50,
    /// 95th percentile, ms.
    P95,
    /// 99th percentile, ms.
    P99,
    /// Ready replicas.
    Replicas,
    /// Failed requests/s.
    Errors,
    /// Requests in flight.
    InFlight,
}

impl Compared {
    /// Every series, in report order.
    pub const ALL: [Compared; 8] = [
        Compared::Throughput,
        Compared::Cpu,
        Compared::P50,
        Compared::P95,
        Compared::P99,
        Compared::Replicas,
        Compared::Errors,
        Compared::InFlight,
    ];

    /// The observed column it is compared with.
    pub fn column(self) -> Column {
        match self {
            Compared::Throughput => Column::Throughput,
            Compared::Cpu => Column::Cpu,
            Compared::P50 => Column::P50,
            Compared::P95 => Column::P95,
            Compared::P99 => Column::P99,
            Compared::Replicas => Column::Ready,
            Compared::Errors => Column::Errors,
            Compared::InFlight => Column::InFlight,
        }
    }

    /// Its name in the report.
    pub fn name(self) -> &'static str {
        self.column().name()
    }

    fn floor(self) -> f64 {
        match self {
            Compared::Throughput | Compared::Errors => 0.5,
            Compared::Cpu => 0.01,
            Compared::InFlight | Compared::Replicas => 0.5,
            Compared::P50 | Compared::P95 | Compared::P99 => 0.0,
        }
    }
}

/// How one series compares over a span.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    /// The series.
    pub series: Compared,
    /// Instants compared (both values present, observed above the floor).
    pub n: usize,
    /// Mean observed value.
    pub observed_mean: f64,
    /// Mean simulated value.
    pub simulated_mean: f64,
    /// Mean absolute percentage error, as a fraction.
    pub mape: Option<f64>,
    /// Median of |sim − obs| / obs.
    pub median_rel_error: Option<f64>,
    /// Pearson's correlation (over time only).
    pub correlation: Option<f64>,
}

impl Score {
    /// (sim mean − obs mean) / obs mean.
    pub fn mean_error(&self) -> Option<f64> {
        (self.observed_mean.abs() > 0.0).then(|| (self.simulated_mean - self.observed_mean) / self.observed_mean)
    }
}

/// A steady level of the offered rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    /// First instant, s.
    pub from_s: f64,
    /// Last instant, s.
    pub to_s: f64,
    /// Mean offered rate over it.
    pub offered: f64,
    /// Each series' score over it.
    pub scores: Vec<Score>,
}

/// A compared series with its observed and simulated values on the grid.
pub type Pair = (Compared, Vec<Option<f64>>, Vec<Option<f64>>);

/// The whole comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Compared from this instant (after the cold start), s.
    pub from_s: f64,
    /// Over the whole span.
    pub overall: Vec<Score>,
    /// At each steady level.
    pub levels: Vec<Level>,
    /// Instants, s (observed grid, from `from_s`).
    pub t: Vec<f64>,
    /// Per compared series: observed and simulated on the grid.
    pub pairs: Vec<Pair>,
}

/// The simulated series, read back from `timeseries.csv` by column name.
struct SimSeries {
    t: Vec<f64>,
    cols: Vec<(String, Vec<Option<f64>>)>,
}

impl SimSeries {
    fn read(path: &Path) -> Result<SimSeries, Error> {
        let mut r = csv::Reader::from_path(path).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
        let header: Vec<String> = r
            .headers()
            .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?
            .iter()
            .map(str::to_string)
            .collect();
        let mut cols: Vec<(String, Vec<Option<f64>>)> = header.iter().map(|h| (h.clone(), Vec::new())).collect();
        for rec in r.records() {
            let rec = rec.map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
            for (i, f) in rec.iter().enumerate() {
                if let Some(c) = cols.get_mut(i) {
                    c.1.push(f.parse().ok());
                }
            }
        }
        let t = cols.first().map(|c| c.1.iter().map(|v| v.unwrap_or(0.0)).collect()).unwrap_or_default();
        Ok(SimSeries { t, cols })
    }

    fn col(&self, name: &str) -> Option<&[Option<f64>]> {
        self.cols.iter().find(|c| c.0 == name).map(|c| c.1.as_slice())
    }
}

const ERROR_KINDS: [&str; 8] =
    ["timeout", "rejected", "shed", "pool_timeout", "db_refused", "db_error", "killed", "dependency_error"];

/// Runs `scenario` (writing its outputs under `out/sim/`) and compares it
/// with `obs`.
pub fn validate(
    scenario: &Path,
    set: &[Override],
    seed: Option<u64>,
    obs: &Observed,
    out: &Path,
) -> Result<Report, Error> {
    let scenario = Arc::new(Scenario::load(scenario, set)?);
    let cal = calibrate::calibrate(obs);
    let dir = out.join("sim");
    let sink = DirSink::create(&dir).map_err(|e| Error::io(&dir, e))?;
    let seed = seed.unwrap_or(scenario.seed);
    let sim = Simulation::new(scenario.clone(), seed, Box::new(sink)).map_err(|e| Error::io(&scenario.path, e))?;
    sim.finish().map_err(|e| Error::io(&dir, e))?;
    let sim = SimSeries::read(&dir.join("timeseries.csv"))?;
    let report = compare(obs, &cal, &sim, scenario.fleet.cpu_request, scenario.fleet.service.mean().as_secs_f64());
    let csv_path = out.join("validation.csv");
    atomic::write(&csv_path, report.csv().as_bytes()).map_err(|e| Error::io(&csv_path, e))?;
    let overlay = out.join("overlay.csv");
    atomic::write(&overlay, report.overlay_csv().as_bytes()).map_err(|e| Error::io(&overlay, e))?;
    Ok(report)
}

fn compare(obs: &Observed, cal: &Calibration, sim: &SimSeries, cpu_request: f64, service_mean_s: f64) -> Report {
    let w = obs.window_s.unwrap_or(obs.step_s).max(1.0);
    let end = sim.t.last().copied().unwrap_or(0.0) + 1.0;
    let from = cal.warm_from_s;
    let idx: Vec<usize> = (0..obs.t.len()).filter(|&i| obs.t[i] >= from && obs.t[i] <= end).collect();
    let ticks = |t: f64| -> Vec<usize> {
        (0..sim.t.len()).filter(|&k| sim.t[k] >= t - w && sim.t[k] + 1.0 <= t + 1e-9).collect()
    };
    let at_end = |t: f64| -> Option<usize> { sim.t.iter().rposition(|&s| s + 1.0 <= t + 1e-9) };
    let mean_of = |ks: &[usize], f: &dyn Fn(usize) -> Option<f64>| -> Option<f64> {
        let v: Vec<f64> = ks.iter().filter_map(|&k| f(k)).collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let completed = sim.col("completed_rps");
    let ready = sim.col("replicas_ready");
    let warming = sim.col("replicas_warming");
    let cpu_util = sim.col("cpu_util_true");
    // The model's busy core-seconds are service time; the pod used CPU per
    // request of them: share = CPU per request / the scenario's mean demand.
    let (idle, share) = match &cal.cpu {
        Some(l) if l.b > 0.0 && service_mean_s > 0.0 => (l.a.max(0.0), l.b / service_mean_s),
        _ => (0.0, 1.0),
    };
    let running =
        |k: usize| -> f64 { ready.and_then(|r| r[k]).unwrap_or(0.0) + warming.and_then(|r| r[k]).unwrap_or(0.0) };
    let simulated = |c: Compared, t: f64| -> Option<f64> {
        let ks = ticks(t);
        match c {
            Compared::Throughput => mean_of(&ks, &|k| completed?[k]),
            Compared::Errors => mean_of(&ks, &|k| Some(ERROR_KINDS.iter().filter_map(|e| sim.col(e)?[k]).sum())),
            Compared::Cpu => mean_of(&ks, &|k| {
                let n = running(k);
                Some(idle * n + share * cpu_util?[k].unwrap_or(0.0) * cpu_request * n)
            }),
            Compared::P50 | Compared::P95 | Compared::P99 => {
                let name = match c {
                    Compared::P50 => "p50_ms",
                    Compared::P95 => "p95_ms",
                    _ => "p99_ms",
                };
                let col = sim.col(name)?;
                let (mut sum, mut weight) = (0.0, 0.0);
                for &k in &ks {
                    if let (Some(p), Some(x)) = (col[k], completed?[k]) {
                        sum += p * x;
                        weight += x;
                    }
                }
                (weight > 0.0).then(|| sum / weight)
            }
            Compared::Replicas => at_end(t).map(running),
            Compared::InFlight => at_end(t).and_then(|k| sim.col("in_flight")?[k]),
        }
    };
    let mut pairs = Vec::new();
    for c in Compared::ALL {
        let Some(o) = obs.get(c.column()) else { continue };
        let observed: Vec<Option<f64>> = idx.iter().map(|&i| o[i]).collect();
        let sim_v: Vec<Option<f64>> = idx.iter().map(|&i| simulated(c, obs.t[i])).collect();
        pairs.push((c, observed, sim_v));
    }
    let t: Vec<f64> = idx.iter().map(|&i| obs.t[i]).collect();
    let overall = pairs.iter().map(|(c, o, s)| score(*c, o, s, None)).collect();
    let levels = steady_levels(obs, &idx, w)
        .into_iter()
        .map(|(a, b, offered)| Level {
            from_s: t[a],
            to_s: t[b],
            offered,
            scores: pairs.iter().map(|(c, o, s)| score(*c, o, s, Some((a, b)))).collect(),
        })
        .collect();
    Report { from_s: from, overall, levels, t, pairs }
}

fn score(c: Compared, obs: &[Option<f64>], sim: &[Option<f64>], span: Option<(usize, usize)>) -> Score {
    let (a, b) = span.unwrap_or((0, obs.len().saturating_sub(1)));
    let both: Vec<(f64, f64)> =
        (a..=b.min(obs.len().saturating_sub(1))).filter_map(|i| Some((obs[i]?, sim[i]?))).collect();
    let n = both.len().max(1) as f64;
    let observed_mean = both.iter().map(|p| p.0).sum::<f64>() / n;
    let simulated_mean = both.iter().map(|p| p.1).sum::<f64>() / n;
    let mut rel: Vec<f64> = both.iter().filter(|p| p.0 > c.floor()).map(|p| (p.1 - p.0).abs() / p.0).collect();
    let mape = (!rel.is_empty()).then(|| rel.iter().sum::<f64>() / rel.len() as f64);
    let median_rel_error = crate::calibrate::fit::median_iqr(&mut rel).map(|m| m.0);
    Score {
        series: c,
        n: both.len(),
        observed_mean,
        simulated_mean,
        mape,
        median_rel_error,
        correlation: if span.is_none() { correlation(&both) } else { None },
    }
}

/// Spans of `idx` (as positions in it) where the offered rate holds steady:
/// a new level starts where the smoothed rate leaves the current level's
/// mean by more than 20% (and 1 /s); each level loses its first window + 5 s
/// (the transient) and is kept if 10 s remain. Returns (first, last, mean).
fn steady_levels(obs: &Observed, idx: &[usize], w: f64) -> Vec<(usize, usize, f64)> {
    let Some(offered) = obs.offered() else { return Vec::new() };
    let raw: Vec<Option<f64>> = idx.iter().map(|&i| offered[i]).collect();
    let half = (w / obs.step_s).round() as usize;
    let smooth: Vec<Option<f64>> = (0..raw.len())
        .map(|i| {
            let v: Vec<f64> =
                raw[i.saturating_sub(half)..(i + half + 1).min(raw.len())].iter().flatten().copied().collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        })
        .collect();
    let mut cuts = vec![0];
    let (mut sum, mut count) = (0.0, 0.0);
    for (i, s) in smooth.iter().enumerate() {
        let Some(s) = *s else { continue };
        if count > 0.0 {
            let mean = sum / count;
            if (s - mean).abs() > (0.2 * mean).max(1.0) {
                cuts.push(i);
                sum = 0.0;
                count = 0.0;
            }
        }
        sum += raw[i].unwrap_or(s);
        count += 1.0;
    }
    cuts.push(raw.len());
    let trim = ((w + 5.0) / obs.step_s).ceil() as usize;
    let keep = (10.0 / obs.step_s).ceil() as usize;
    cuts.windows(2)
        .filter_map(|c| {
            let (a, b) = (c[0] + trim, c[1].checked_sub(1)?);
            if b < a || b - a + 1 < keep {
                return None;
            }
            let v: Vec<f64> = raw[a..=b].iter().flatten().copied().collect();
            (!v.is_empty()).then(|| (a, b, v.iter().sum::<f64>() / v.len() as f64))
        })
        .collect()
}

fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_default()
}

impl Report {
    /// `validation.csv`: one row per series, over time and per level.
    pub fn csv(&self) -> String {
        let mut o = String::from(
            "scope,from_s,to_s,offered_rps,series,n,observed_mean,simulated_mean,mean_error,mape,median_rel_error,correlation\n",
        );
        let to = self.t.last().copied().unwrap_or(self.from_s);
        let mut row = |scope: &str, a: f64, b: f64, offered: Option<f64>, s: &Score| {
            let _ = writeln!(
                o,
                "{scope},{},{},{},{},{},{},{},{},{},{},{}",
                num(a),
                num(b),
                opt(offered),
                s.series.name(),
                s.n,
                num(s.observed_mean),
                num(s.simulated_mean),
                opt(s.mean_error()),
                opt(s.mape),
                opt(s.median_rel_error),
                opt(s.correlation)
            );
        };
        for s in &self.overall {
            row("over_time", self.from_s, to, None, s);
        }
        for (k, l) in self.levels.iter().enumerate() {
            for s in &l.scores {
                row(&format!("level_{}", k + 1), l.from_s, l.to_s, Some(l.offered), s);
            }
        }
        o
    }

    /// `overlay.csv`: observed and simulated side by side, per instant.
    pub fn overlay_csv(&self) -> String {
        let mut o = String::from("t_s");
        for (c, _, _) in &self.pairs {
            let _ = write!(o, ",observed_{0},simulated_{0}", c.name());
        }
        o.push('\n');
        for (i, t) in self.t.iter().enumerate() {
            o.push_str(&num(*t));
            for (_, ob, sim) in &self.pairs {
                let _ = write!(o, ",{},{}", opt(ob[i]), opt(sim[i]));
            }
            o.push('\n');
        }
        o
    }

    /// The printed summary.
    pub fn render(&self, out: &Path) -> String {
        let pct = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{:.1}%", v * 100.0));
        let mut o = String::new();
        let _ = writeln!(o, "validation from {} s (after the cold start), {} instants", num(self.from_s), self.t.len());
        let _ = writeln!(
            o,
            "  {:<15} {:>10} {:>10} {:>8} {:>8} {:>8} {:>6}",
            "series", "observed", "simulated", "mean err", "MAPE", "median", "r"
        );
        for s in &self.overall {
            let _ = writeln!(
                o,
                "  {:<15} {:>10.3} {:>10.3} {:>8} {:>8} {:>8} {:>6}",
                s.series.name(),
                s.observed_mean,
                s.simulated_mean,
                pct(s.mean_error()),
                pct(s.mape),
                pct(s.median_rel_error),
                s.correlation.map_or("—".into(), |r| format!("{r:.2}"))
            );
        }
        for (k, l) in self.levels.iter().enumerate() {
            let errs: Vec<String> = l
                .scores
                .iter()
                .filter(|s| matches!(s.series, Compared::Throughput | Compared::Cpu | Compared::P50 | Compared::P95))
                .map(|s| format!("{} {}", s.series.name(), pct(s.mean_error())))
                .collect();
            let _ = writeln!(
                o,
                "  level {} ({}–{} s, {:.1} /s offered): {}",
                k + 1,
                num(l.from_s),
                num(l.to_s),
                l.offered,
                errs.join(", ")
            );
        }
        let _ = writeln!(o, "  wrote {} (validation.csv, overlay.csv, sim/)", out.display());
        o
    }
}

/// The observed series of a directory: its `import.toml`.
pub fn observed(dir: &Path) -> Result<Observed, Error> {
    let config = crate::import::ImportConfig::load(dir)?;
    crate::import::import(&config)
}

/// Where `validate` writes by default.
pub fn default_out(scenario: &Scenario) -> PathBuf {
    Path::new("out").join(format!("{}-validation", scenario.name))
}
