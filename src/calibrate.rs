//! `scalesim calibrate`: the fleet's parameters fitted from observed
//! series ([`Observed`]), each with its method, its uncertainty and its
//! residuals, and the scenario skeleton they fill.
//!
//! Methods (each figure says which it used):
//! - **CPU per request**: OLS of a pod's CPU (cores) on its served rate
//!   (requests/s); the slope is CPU seconds per request, the intercept the
//!   idle CPU. Points overlap by the rate window, so standard errors are
//!   scaled by `sqrt(window/step)`.
//! - **Saturation throughput** `X_max`: the median served rate while
//!   requests were refused (the queue was full); if that never happened,
//!   the latency knee: under processor sharing a job's time in system is
//!   its demand over `1 − ρ` (M/G/1-PS, Kleinrock 1976, vol. 2 §4.4), so
//!   `1/p50` falls linearly in the rate and reaches 0 at `X_max`.
//! - **Service time**: percentiles p50/p95/p99 at low load (`ρ = X/X_max ≤
//!   0.35`), each multiplied by `1 − ρ` (the same PS law), then lognormal
//!   and gamma fitted to the median of each; the better fit (smaller log
//!   residual) is used. Uncertainty: the interquartile range of the same fit
//!   made instant by instant.
//! - **Effective cores** `X_max × E[S]`, and **CPU share** `CPU per request /
//!   E[S]`: the part of a core the service got while it ran (1 on an idle
//!   machine).
//! - **Workers**: the most busy workers seen; **accept queue**: the most
//!   requests in flight beyond the workers while requests were refused.
//! - **Cold start**: per pod, from its first sample to its first served
//!   request (the first non-zero served rate, less half the rate window).
//! - **Metric delay**: the lag (in steps) that best correlates the rate
//!   series with the in-flight gauge, beside the `window/2` a `rate()`
//!   lags by construction.

pub mod fit;

use std::fmt::Write as _;

use crate::import::{Column, Observed, num};
use fit::{DistFit, Line};

/// A fitted figure with a range.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// The value.
    pub value: f64,
    /// Lower end of its range.
    pub low: f64,
    /// Upper end of its range.
    pub high: f64,
    /// How it was obtained, and what the range is.
    pub method: String,
}

/// The service-time fit.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceFit {
    /// The fit used (the one with the smaller log residual).
    pub chosen: DistFit,
    /// Both fits.
    pub candidates: Vec<DistFit>,
    /// The corrected low-load percentiles fitted: (q, seconds).
    pub percentiles: Vec<(f64, f64)>,
    /// Low-load instants used.
    pub points: usize,
    /// Interquartile range of the per-instant mean, seconds.
    pub mean_iqr: (f64, f64),
    /// Interquartile range of the per-instant cv.
    pub cv_iqr: (f64, f64),
}

/// Everything calibration found; a figure the data cannot show is `None`.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// CPU cores of a pod against its served rate.
    pub cpu: Option<Line>,
    /// 95% t factor for the CPU line's parameters.
    pub cpu_t95: f64,
    /// Saturation throughput of one pod, requests/s.
    pub saturation: Option<Estimate>,
    /// The service-time distribution.
    pub service: Option<ServiceFit>,
    /// Effective cores: saturation throughput × mean service time.
    pub cores: Option<Estimate>,
    /// Share of a core the service ran at: CPU per request / mean service time.
    pub cpu_share: Option<f64>,
    /// Most busy workers seen.
    pub workers: Option<u32>,
    /// Accept queue: the most in flight beyond the workers while refusing.
    pub queue: Option<(u32, bool)>,
    /// Time from a pod's appearance to its first served request.
    pub cold_start: Option<Estimate>,
    /// The lag of the rate series behind the in-flight gauge, seconds.
    pub delay: Option<Estimate>,
    /// Pods at the first instant with a sample.
    pub initial: u32,
    /// The first instant of steady service (after the cold start), seconds.
    pub warm_from_s: f64,
}

/// Fits everything the observed series allow.
pub fn calibrate(obs: &Observed) -> Calibration {
    let overlap = obs.window_s.map_or(1.0, |w| w / obs.step_s);
    let warm_from = warm_from(obs);
    let cpu_points = cpu_points(obs, warm_from);
    let cpu = fit::ols(&cpu_points, overlap);
    let cpu_t95 = cpu.map_or(1.96, |l| fit::t95(l.n, overlap));
    let pods_at = |i: usize| -> f64 {
        obs.get(Column::Ready).or(obs.get(Column::Pods)).and_then(|r| r[i]).unwrap_or(1.0).max(1.0)
    };
    // Per-pod served rate at each instant (fleet rate over ready pods).
    let per_pod = |i: usize| obs.get(Column::Throughput).and_then(|x| x[i]).map(|x| x / pods_at(i));
    let refusing = |i: usize| obs.get(Column::Errors).and_then(|e| e[i]).is_some_and(|e| e > 0.0);
    let saturation = saturation(obs, warm_from, &per_pod, &refusing);
    let service = saturation.as_ref().and_then(|s| service_fit(obs, warm_from, s.value, &per_pod, &refusing));
    let cores = match (&saturation, &service) {
        (Some(x), Some(s)) => {
            let m = s.chosen.mean;
            Some(Estimate {
                value: x.value * m,
                low: x.low * s.mean_iqr.0,
                high: x.high * s.mean_iqr.1,
                method: format!(
                    "saturation throughput {} /s × mean service time {} ms; range from their ranges",
                    num(round3(x.value)),
                    num(round3(m * 1e3))
                ),
            })
        }
        _ => None,
    };
    let cpu_share = match (&cpu, &service) {
        (Some(l), Some(s)) if l.b > 0.0 => Some(l.b / s.chosen.mean),
        _ => None,
    };
    let max_of = |c: Column| obs.get(c).and_then(|v| v.iter().flatten().copied().reduce(f64::max));
    let workers = max_of(Column::Busy).map(|b| b.round().max(1.0) as u32);
    let queue = match (workers, obs.get(Column::InFlight)) {
        (Some(w), Some(f)) => {
            let refused: Option<f64> = (0..obs.t.len())
                .filter(|&i| refusing(i) && obs.t[i] >= warm_from)
                .filter_map(|i| f[i])
                .reduce(f64::max);
            match refused {
                Some(m) => Some(((m - f64::from(w)).round().max(0.0) as u32, true)),
                None => max_of(Column::InFlight).map(|m| ((m - f64::from(w)).round().max(0.0) as u32, false)),
            }
        }
        _ => None,
    };
    let initial = obs
        .get(Column::Pods)
        .or(obs.get(Column::Ready))
        .and_then(|v| v.iter().flatten().next().copied())
        .map_or(1, |p| p.round().max(1.0) as u32);
    Calibration {
        cpu,
        cpu_t95,
        saturation,
        service,
        cores,
        cpu_share,
        workers,
        queue,
        cold_start: cold_start(obs),
        delay: delay(obs),
        initial,
        warm_from_s: warm_from,
    }
}

/// Three significant digits, for printing.
fn round3(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let m = 10f64.powi(2 - v.abs().log10().floor() as i32);
    (v * m).round() / m
}

/// After the cold start: the first instant the fleet served a request,
/// plus one rate window.
fn warm_from(obs: &Observed) -> f64 {
    let w = obs.window_s.unwrap_or(obs.step_s);
    obs.get(Column::Throughput)
        .and_then(|x| x.iter().position(|v| v.is_some_and(|v| v > 0.0)))
        .map_or(0.0, |i| obs.t[i] + w)
}

/// (served rate, CPU) per pod and instant, after the cold start.
fn cpu_points(obs: &Observed, from: f64) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    let per_pod =
        obs.pods.iter().any(|p| p.series.contains_key(&Column::Cpu) && p.series.contains_key(&Column::Throughput));
    if per_pod {
        for p in &obs.pods {
            let (Some(c), Some(x)) = (p.series.get(&Column::Cpu), p.series.get(&Column::Throughput)) else { continue };
            for i in 0..obs.t.len() {
                if let (true, Some(c), Some(x)) = (obs.t[i] >= from, c[i], x[i]) {
                    pts.push((x, c));
                }
            }
        }
    } else if let (Some(c), Some(x)) = (obs.get(Column::Cpu), obs.get(Column::Throughput)) {
        let ready = obs.get(Column::Ready);
        for i in 0..obs.t.len() {
            let n = ready.and_then(|r| r[i]).unwrap_or(1.0).max(1.0);
            if let (true, Some(c), Some(x)) = (obs.t[i] >= from, c[i], x[i]) {
                pts.push((x / n, c / n));
            }
        }
    }
    pts
}

fn saturation(
    obs: &Observed,
    from: f64,
    per_pod: &dyn Fn(usize) -> Option<f64>,
    refusing: &dyn Fn(usize) -> bool,
) -> Option<Estimate> {
    let mut sat: Vec<f64> = (0..obs.t.len()).filter(|&i| obs.t[i] >= from && refusing(i)).filter_map(per_pod).collect();
    if sat.len() >= 5 {
        let n = sat.len();
        let (m, lo, hi) = fit::median_iqr(&mut sat)?;
        return Some(Estimate {
            value: m,
            low: lo,
            high: hi,
            method: format!("median served rate per pod over {n} instants with refusals; range: interquartile"),
        });
    }
    // The knee: 1/p50 = a + b·X, zero at X_max = −a/b.
    let p50 = obs.get(Column::P50)?;
    let pts: Vec<(f64, f64)> = (0..obs.t.len())
        .filter(|&i| obs.t[i] >= from && !refusing(i))
        .filter_map(|i| Some((per_pod(i)?, 1000.0 / p50[i]?)))
        .filter(|p| p.0 > 0.0)
        .collect();
    let l = fit::ols(&pts, obs.window_s.map_or(1.0, |w| w / obs.step_s))?;
    if l.b >= 0.0 {
        return None;
    }
    let x = -l.a / l.b;
    let t = fit::t95(l.n, obs.window_s.map_or(1.0, |w| w / obs.step_s));
    let (b_lo, b_hi) = (l.b - t * l.se_b, (l.b + t * l.se_b).min(-1e-12));
    Some(Estimate {
        value: x,
        low: -l.a / b_lo,
        high: -l.a / b_hi,
        method: format!(
            "latency knee: 1/p50 = {} − {}·X over {} instants (R² {:.2}), zero at X_max; range from the slope's 95% interval",
            num(round3(l.a)),
            num(round3(-l.b)),
            l.n,
            l.r2
        ),
    })
}

const QS: [(Column, f64); 3] = [(Column::P50, 0.5), (Column::P95, 0.95), (Column::P99, 0.99)];

fn service_fit(
    obs: &Observed,
    from: f64,
    x_max: f64,
    per_pod: &dyn Fn(usize) -> Option<f64>,
    refusing: &dyn Fn(usize) -> bool,
) -> Option<ServiceFit> {
    let mut per_q: Vec<Vec<f64>> = vec![Vec::new(); 3];
    let mut means = Vec::new();
    let mut cvs = Vec::new();
    let mut points = 0;
    for i in 0..obs.t.len() {
        if obs.t[i] < from || refusing(i) {
            continue;
        }
        let Some(x) = per_pod(i) else { continue };
        let rho = x / x_max;
        if !(x > 0.0 && rho <= 0.35) {
            continue;
        }
        let ps: Vec<(f64, f64)> =
            QS.iter().filter_map(|&(c, q)| Some((q, obs.get(c)?[i]? / 1000.0 * (1.0 - rho)))).collect();
        if ps.len() < 2 {
            continue;
        }
        points += 1;
        for (k, &(c, _)) in QS.iter().enumerate() {
            if let Some(v) = obs.get(c).and_then(|s| s[i]) {
                per_q[k].push(v / 1000.0 * (1.0 - rho));
            }
        }
        if let Some(f) = fit::lognormal(&ps) {
            means.push(f.mean);
            cvs.push(f.cv);
        }
    }
    let percentiles: Vec<(f64, f64)> =
        QS.iter().zip(per_q.iter_mut()).filter_map(|(&(_, q), v)| fit::median_iqr(v).map(|(m, _, _)| (q, m))).collect();
    let candidates: Vec<DistFit> = [fit::lognormal(&percentiles), fit::gamma(&percentiles)]
        .into_iter()
        .flatten()
        .filter(|f| f.mean.is_finite() && f.cv.is_finite() && f.log_rmse.is_finite())
        .collect();
    let chosen = *candidates.iter().min_by(|a, b| a.log_rmse.total_cmp(&b.log_rmse))?;
    let (_, m_lo, m_hi) = fit::median_iqr(&mut means)?;
    let (_, c_lo, c_hi) = fit::median_iqr(&mut cvs)?;
    Some(ServiceFit { chosen, candidates, percentiles, points, mean_iqr: (m_lo, m_hi), cv_iqr: (c_lo, c_hi) })
}

fn cold_start(obs: &Observed) -> Option<Estimate> {
    let w = obs.window_s.unwrap_or(obs.step_s);
    let mut starts = Vec::new();
    for p in &obs.pods {
        let Some(first) = p.first_seen() else { continue };
        let Some(x) = p.series.get(&Column::Throughput) else { continue };
        let Some(served) = (first..obs.t.len()).find(|&i| x[i].is_some_and(|v| v > 0.0)) else { continue };
        // The first completion fell in (t − w, t]; its middle, at least the appearance.
        starts.push((obs.t[served] - w / 2.0 - obs.t[first]).max(0.0));
    }
    let n = starts.len();
    let (m, lo, hi) = fit::median_iqr(&mut starts)?;
    Some(Estimate {
        value: m,
        low: (lo - w / 2.0 - obs.step_s).max(0.0),
        high: hi + w / 2.0 + obs.step_s,
        method: format!(
            "first sample → first served request, median over {n} pod{}; range ± half the rate window and a step",
            if n == 1 { "" } else { "s" }
        ),
    })
}

fn delay(obs: &Observed) -> Option<Estimate> {
    let rate = obs.get(Column::Throughput)?;
    let gauge = obs.get(Column::InFlight).or(obs.get(Column::Busy))?;
    let max_lag = (2.0 * obs.window_s.unwrap_or(obs.step_s) / obs.step_s).ceil() as usize + 1;
    let corr_at = |lag: usize| -> Option<f64> {
        let pts: Vec<(f64, f64)> =
            (0..obs.t.len().saturating_sub(lag)).filter_map(|i| Some((gauge[i]?, rate[i + lag]?))).collect();
        correlation(&pts)
    };
    let (lag, _) = (0..=max_lag).filter_map(|l| corr_at(l).map(|c| (l, c))).max_by(|a, b| a.1.total_cmp(&b.1))?;
    let d = lag as f64 * obs.step_s;
    Some(Estimate {
        value: d,
        low: (d - obs.step_s).max(0.0),
        high: d + obs.step_s,
        method: format!(
            "lag of best correlation between served rate and the in-flight gauge, in steps of {} s (a rate() over {} s lags by {} s by construction)",
            num(obs.step_s),
            num(obs.window_s.unwrap_or(obs.step_s)),
            num(obs.rate_lag_s())
        ),
    })
}

/// Pearson's correlation, `None` without spread.
pub fn correlation(pts: &[(f64, f64)]) -> Option<f64> {
    if pts.len() < 3 {
        return None;
    }
    let n = pts.len() as f64;
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n);
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let syy: f64 = pts.iter().map(|p| (p.1 - my).powi(2)).sum();
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

impl Calibration {
    /// The report `scalesim calibrate` prints: each figure, its range and
    /// method, and the fits' residuals.
    pub fn render(&self, obs: &Observed) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "calibration of {} ({} instants, step {} s{})",
            obs.source.display(),
            obs.t.len(),
            num(obs.step_s),
            obs.window_s.map_or(String::new(), |w| format!(", rate window {} s", num(w)))
        );
        let _ = writeln!(o, "  warm from     {} s (first served request + one rate window)", num(self.warm_from_s));
        match &self.cpu {
            Some(l) => {
                let t = self.cpu_t95;
                let _ = writeln!(
                    o,
                    "  cpu/request   {} ms ± {} (95%), idle {} cores ± {}: OLS of pod CPU on served rate, {} points",
                    num(round3(l.b * 1e3)),
                    num(round3(t * l.se_b * 1e3)),
                    num(round3(l.a)),
                    num(round3(t * l.se_a)),
                    l.n
                );
                let _ = writeln!(o, "                residual rms {} cores, R² {:.3}", num(round3(l.rmse)), l.r2);
            }
            None => {
                let _ = writeln!(o, "  cpu/request   not shown by the data (needs cpu_cores and throughput_rps)");
            }
        }
        estimate(&mut o, "saturation", &self.saturation, "/s per pod");
        match &self.service {
            Some(s) => {
                let c = s.chosen;
                let _ = writeln!(
                    o,
                    "  service time  {} mean {} ms (IQR {}–{}), cv {:.2} (IQR {:.2}–{:.2}): fitted to {} low-load instants, × (1 − ρ)",
                    c.family.name(),
                    num(round3(c.mean * 1e3)),
                    num(round3(s.mean_iqr.0 * 1e3)),
                    num(round3(s.mean_iqr.1 * 1e3)),
                    c.cv,
                    s.cv_iqr.0,
                    s.cv_iqr.1,
                    s.points
                );
                for f in &s.candidates {
                    let fitted: Vec<String> = s
                        .percentiles
                        .iter()
                        .map(|&(q, v)| {
                            format!(
                                "p{} {}→{} ms",
                                num(q * 100.0),
                                num(round3(v * 1e3)),
                                num(round3(f.quantile(q) * 1e3))
                            )
                        })
                        .collect();
                    let _ = writeln!(
                        o,
                        "                {:<9} mean {} ms cv {:.2}, log residual rms {:.3}: {}",
                        f.family.name(),
                        num(round3(f.mean * 1e3)),
                        f.cv,
                        f.log_rmse,
                        fitted.join(", ")
                    );
                }
            }
            None => {
                let _ = writeln!(
                    o,
                    "  service time  not shown by the data (needs latency at low load and a saturation estimate)"
                );
            }
        }
        estimate(&mut o, "cores", &self.cores, "effective");
        if let Some(s) = self.cpu_share {
            let _ = writeln!(o, "  cpu share     {:.2} of a core while running (cpu/request ÷ mean service time)", s);
        }
        if let Some(w) = self.workers {
            let _ = writeln!(o, "  workers       {w}: most busy workers seen");
        }
        if let Some((q, seen)) = self.queue {
            let how =
                if seen { "most in flight beyond the workers while refusing" } else { "at least: no refusal seen" };
            let _ = writeln!(o, "  queue         {q}: {how}");
        }
        estimate(&mut o, "cold start", &self.cold_start, "s");
        estimate(&mut o, "metric delay", &self.delay, "s");
        o
    }

    /// The scenario skeleton: fleet fields from the fits, each with a
    /// comment saying where its value came from; `trace` names the rate
    /// trace written beside it.
    pub fn scenario(&self, obs: &Observed, name: &str, trace: &str) -> String {
        let mut o = String::new();
        let duration = obs.t.last().copied().unwrap_or(0.0) + obs.step_s;
        let _ = writeln!(o, "# Generated by `scalesim import prometheus` from {}.", obs.source.display());
        let _ =
            writeln!(o, "# Every fleet field says where its value came from (`scalesim calibrate` shows the fits).");
        let _ = writeln!(o, "name = \"{name}\"");
        let _ = writeln!(o, "duration = \"{}s\"   # the recording's length", num(duration.ceil()));
        let _ = writeln!(o, "seed = 1");
        let _ = writeln!(o, "tick = \"1s\"\n");
        let _ = writeln!(o, "[traffic]");
        let _ = writeln!(
            o,
            "trace = \"{trace}\"   # the observed request rate, shifted back by half the rate window and half a step"
        );
        let _ = writeln!(o, "arrivals = \"poisson\"\n");
        let _ = writeln!(o, "[balancer]\nderegistration_delay = \"0s\"\n");
        let _ = writeln!(o, "[fleet]");
        let _ = writeln!(o, "initial = {}   # pods at the first instant", self.initial);
        match &self.cores {
            Some(c) => {
                let _ = writeln!(
                    o,
                    "cores = {}   # effective cores {:.2} (range {:.2}–{:.2}) = {}, rounded",
                    c.value.round().max(1.0),
                    c.value,
                    c.low,
                    c.high,
                    c.method
                );
            }
            None => {
                let _ = writeln!(o, "cores = 1   # not shown by the data: no saturation estimate");
            }
        }
        match self.workers {
            Some(w) => {
                let _ = writeln!(o, "workers = {w}   # the most busy workers seen");
            }
            None => {
                let _ =
                    writeln!(o, "# workers: not shown by the data (export a busy-workers gauge); the default applies");
            }
        }
        match self.queue {
            Some((q, true)) => {
                let _ = writeln!(
                    o,
                    "queue = {q}   # the most requests in flight beyond the workers while requests were refused"
                );
            }
            Some((q, false)) => {
                let _ = writeln!(
                    o,
                    "queue = {}   # no refusal seen: at least {q} (most in flight beyond the workers); the default 128 if larger",
                    q.max(128)
                );
            }
            None => {
                let _ = writeln!(o, "# queue: not shown by the data (export an in-flight gauge); the default applies");
            }
        }
        match &self.service {
            Some(s) => {
                let c = s.chosen;
                let how = format!(
                    "fitted to p50/p95/p99 at low load × (1 − ρ), {} instants: mean {} ms (IQR {}–{})",
                    s.points,
                    num(round3(c.mean * 1e3)),
                    num(round3(s.mean_iqr.0 * 1e3)),
                    num(round3(s.mean_iqr.1 * 1e3))
                );
                // Cores are whole: with less than 0.9 of a core effective (a
                // contended machine) one core at the low-load mean would serve
                // more than the pod did, so the mean keeps the saturation
                // throughput instead and the shape keeps the fitted cv.
                let (mean, why) = match (&self.cores, &self.saturation) {
                    (Some(k), Some(x)) if k.value < 0.9 => (
                        1.0 / x.value,
                        format!(
                            "1 / saturation throughput {} /s, since effective cores {:.2} < 1 (cv and shape {how})",
                            num(round3(x.value)),
                            k.value
                        ),
                    ),
                    _ => (c.mean, how),
                };
                let _ = writeln!(
                    o,
                    "service = {{ dist = \"{}\", mean = \"{}ms\", cv = {} }}   # {why}",
                    c.family.name(),
                    num(round3(mean * 1e3)),
                    num(round3(c.cv)),
                );
            }
            None => {
                let _ =
                    writeln!(o, "# service: not shown by the data (needs latency at low load); the default applies");
            }
        }
        match &self.cold_start {
            Some(c) => {
                let _ = writeln!(
                    o,
                    "boot = \"{}s\"   # cold start {} s (range {}–{} s): {}",
                    num(round3(c.value)),
                    num(round3(c.value)),
                    num(round3(c.low)),
                    num(round3(c.high)),
                    c.method
                );
            }
            None => {
                let _ = writeln!(o, "# boot: not shown by the data (no pod appeared during the recording)");
            }
        }
        if let Some(r) = &obs.cpu_request {
            let _ = writeln!(o, "cpu_request = {}   # from the import's cpu_request", quantity_cores(r));
        }
        let _ = writeln!(o, "\n[metrics]");
        let _ = writeln!(o, "scrape_interval = \"{}s\"   # the export's step", num(obs.step_s));
        if let Some(w) = obs.window_s {
            let _ = writeln!(o, "window = \"{}s\"   # the queries' rate() window", num(w));
        }
        match &self.delay {
            Some(d) => {
                let _ = writeln!(o, "delay = \"{}s\"   # {}", num(d.value), d.method);
            }
            None => {
                let _ = writeln!(o, "delay = \"0s\"   # not shown by the data");
            }
        }
        let _ =
            writeln!(o, "\n[autoscaler]\npolicy = \"fixed\"   # replace with your policy (e.g. hpa and a manifest)");
        o
    }
}

/// A Kubernetes CPU quantity (`"500m"`, `"1"`) as cores for TOML.
fn quantity_cores(q: &str) -> String {
    match q.strip_suffix('m').and_then(|m| m.parse::<f64>().ok()) {
        Some(m) => num(m / 1000.0),
        None => q.parse::<f64>().map_or_else(|_| "1".into(), num),
    }
}

fn estimate(o: &mut String, label: &str, e: &Option<Estimate>, unit: &str) {
    match e {
        Some(e) => {
            let _ = writeln!(
                o,
                "  {label:<13} {} {unit} (range {}–{}): {}",
                num(round3(e.value)),
                num(round3(e.low)),
                num(round3(e.high)),
                e.method
            );
        }
        None => {
            let _ = writeln!(o, "  {label:<13} not shown by the data");
        }
    }
}
