//! Control: the metrics pipeline's scrapes, the autoscaler's evaluations
//! (it sees only the pipeline and the pods' status), the time-series tick,
//! and faults and operator actions from the scenario or a game day.

use std::collections::VecDeque;
use std::path::Path;

use super::{ActionId, Cx, Event};
use crate::engine::queue::EventQueue;
use crate::engine::time::{SimDuration, SimTime};
use crate::input::check::Cx as Check;
use crate::input::document::Document;
use crate::input::problem::FieldPath;
use crate::model::instance::{InstanceId, Scrape, State};
use crate::model::metrics::{self, FleetScrape};
use crate::output::EventKind;
use crate::output::TickRow;
use crate::output::timeseries::DataTierColumns;
use crate::policy::{FleetMetrics, MetricName, Observation, PodPhase, PodView, Policy, PolicySpec, Reading};
use crate::scenario::Scenario;
use crate::scenario::events::{Action, KillAmount};

type Q = EventQueue<Event>;

/// The control loop's own state: what the metrics pipeline has scraped of
/// the fleet, and the autoscaler (its policy, whether an operator froze it,
/// what it last read).
pub(super) struct Control {
    pub(super) policy: Box<dyn Policy>,
    pub(super) policy_spec: PolicySpec,
    pub(super) frozen: bool,
    /// What a frozen autoscaler last said it would do (logged once).
    frozen_would: Option<u32>,
    pub(super) reading: Option<Reading>,
    /// Whether the policy's recorded inputs have started (their header is out).
    inputs_started: bool,
    fleet_scrapes: VecDeque<FleetScrape>,
}

impl Control {
    pub(super) fn new(s: &Scenario) -> Control {
        Control {
            policy: s.autoscaler.build(),
            policy_spec: s.autoscaler.clone(),
            frozen: false,
            frozen_would: None,
            reading: None,
            inputs_started: false,
            fleet_scrapes: VecDeque::new(),
        }
    }
}

impl Cx<'_> {
    pub(super) fn on_scrape(&mut self, now: SimTime, q: &mut Q) {
        let spec = &self.c.scenario.metrics;
        q.schedule(now + spec.scrape_interval, Event::Scrape);
        let keep = metrics::retention(spec);
        let boot_cpu = self.c.scenario.fleet.boot_cpu;
        let mut waiting = self.c.balancer.held.len() as u64;
        for &i in &self.c.live {
            let inst = &mut self.c.instances[i];
            waiting += (inst.queue.len() - inst.stale as usize) as u64;
            // A booting container runs (and is scraped) before it is ready.
            let booting = inst.state == State::Booting;
            if !inst.state.running() && !booting {
                continue;
            }
            inst.cpu.advance(now);
            let boot_now = if booting { (now - inst.since).as_nanos() as f64 * boot_cpu } else { 0.0 };
            let s = Scrape {
                at: now,
                busy_core_ns: inst.cpu.busy_server_ns() + inst.boot_busy_ns + boot_now,
                completed: inst.completed,
                in_flight: inst.in_flight(),
            };
            inst.scrapes.push_back(s);
            inst.trim_scrapes(now, keep);
        }
        let latency = self.c.rec.take_scrape_latency();
        self.c.control.fleet_scrapes.push_back(FleetScrape {
            at: now,
            queue: waiting as f64,
            offered: self.c.rec.attempts(),
            latency,
        });
        let cutoff = now.saturating_sub(keep);
        while self.c.control.fleet_scrapes.len() > 2 && self.c.control.fleet_scrapes[1].at < cutoff {
            self.c.control.fleet_scrapes.pop_front();
        }
    }

    /// What the autoscaler sees now.
    fn observe(&self, now: SimTime) -> (Vec<PodView>, FleetMetrics) {
        let spec = &self.c.scenario.metrics;
        let pods: Vec<PodView> = self
            .c
            .live
            .iter()
            .map(|&i| {
                let inst = &self.c.instances[i];
                let m = metrics::pod_metrics(inst, now, spec);
                let request_milli = (inst.request * 1000.0).round() as u64;
                PodView {
                    id: i.get(),
                    // Kubernetes: Running once the containers start, ready
                    // only when the readiness probe passes.
                    phase: if inst.state.running() || inst.state == State::Booting {
                        PodPhase::Running
                    } else {
                        PodPhase::Pending
                    },
                    ready: inst.state.ready(),
                    ready_transition: inst.ready_transition,
                    created: inst.created,
                    start_time: inst.started,
                    deleting: inst.state == State::Draining,
                    cpu_request_milli: request_milli,
                    cpu_milli: m.cpu_milli,
                    rps: m.rps,
                    in_flight: m.in_flight,
                }
            })
            .collect();
        let sampled: Vec<&PodView> = pods.iter().filter(|p| p.ready && !p.deleting && p.cpu_milli.is_some()).collect();
        let n = sampled.len() as f64;
        // Σ requests in whole millicores: exactly n × request for a uniform fleet.
        let requested = sampled.iter().map(|p| p.cpu_request_milli).sum::<u64>() as f64;
        let sum = |f: &dyn Fn(&PodView) -> Option<f64>| sampled.iter().filter_map(|p| f(p)).sum::<f64>();
        let (queue, offered_rps, latency_p95_ms) = metrics::fleet_figures(&self.c.control.fleet_scrapes, now, spec);
        let fleet = FleetMetrics {
            cpu_utilization: (n > 0.0).then(|| sum(&|p| p.cpu_milli.map(|s| s.value)) / requested),
            rps_per_instance: (n > 0.0).then(|| sum(&|p| p.rps.map(|s| s.value)) / n),
            in_flight_per_instance: (n > 0.0).then(|| sum(&|p| p.in_flight.map(|s| s.value)) / n),
            queue,
            latency_p95_ms,
            offered_rps,
        };
        (pods, fleet)
    }

    pub(super) fn on_evaluate(&mut self, now: SimTime, q: &mut Q) {
        q.schedule(now + self.c.control.policy.interval(), Event::Evaluate);
        let (pods, fleet) = self.observe(now);
        let current = pods.iter().filter(|p| !p.deleting).count() as u32;
        let ready = pods.iter().filter(|p| p.ready && !p.deleting).count() as u32;
        let obs = Observation { now, desired: self.c.desired, current, ready, pods: &pods, fleet: &fleet };
        let d = self.c.control.policy.decide(&obs);
        if self.c.rec.sink.wants_policy_inputs() {
            let mut rows = String::new();
            self.c.control.policy.record_inputs(&mut rows, !self.c.control.inputs_started);
            if !rows.is_empty() {
                self.c.control.inputs_started = true;
                self.c.rec.sink.policy_inputs(&rows);
            }
        }
        self.c.control.reading = d.reading;
        let name = self.c.control.policy_spec.name().name();
        if d.desired == self.c.desired {
            return;
        }
        if self.c.control.frozen {
            // Say what a frozen autoscaler would do once per change of mind,
            // not at every sync.
            if self.c.control.frozen_would != Some(d.desired) {
                self.c.control.frozen_would = Some(d.desired);
                let detail = format!("frozen; would scale {} → {}: {}", self.c.desired, d.desired, d.reason);
                self.c.rec.event(now, EventKind::Scale, name, detail);
            }
            return;
        }
        self.c.rec.scaled(self.c.desired, d.desired);
        self.c.rec.event(now, EventKind::Scale, name, format!("{} → {}: {}", self.c.desired, d.desired, d.reason));
        self.c.desired = d.desired;
        self.reconcile(now, q);
    }

    pub(super) fn on_tick(&mut self, now: SimTime, q: &mut Q) {
        let start = self.c.last_tick;
        self.c.last_tick = now;
        let next = now + self.c.scenario.tick;
        if next <= self.c.end {
            q.schedule(next, Event::Tick);
        } else if now < self.c.end {
            q.schedule(self.c.end, Event::Tick);
        }
        let secs = (now - start).as_secs_f64().max(1e-9);
        // True utilization: busy core time over requested core time, over
        // the instances that ran during the tick.
        let mut busy = self.c.retired_busy;
        let mut queue = self.c.balancer.held.len() as u64;
        let mut app_cores = 0;
        for &i in &self.c.live {
            let inst = &mut self.c.instances[i];
            inst.cpu.advance(now);
            busy += inst.cpu.busy_server_ns();
            queue += (inst.queue.len() - inst.stale as usize) as u64;
            if inst.state.holds_capacity() {
                app_cores += inst.cores;
            }
        }
        self.c.request_core_ns += (now - self.c.request_since).as_nanos() as f64 * self.c.running_request;
        self.c.request_since = now;
        let requested = self.c.request_core_ns - self.c.request_at_tick;
        let cpu_util_true = (requested > 0.0).then(|| (busy - self.c.busy_at_tick) / requested);
        self.c.busy_at_tick = busy;
        self.c.request_at_tick = self.c.request_core_ns;

        let [ready, warming, starting, pending, draining] = self.c.counts();
        let [p50, p95, p99] = self.c.rec.tick_percentiles();
        let t = &self.c.rec.tick;
        let offered_rps = t.offered as f64 / secs;
        let row = TickRow {
            t_s: start.as_secs_f64(),
            offered_rps,
            completed_rps: t.completed as f64 / secs,
            errors: t.errors.map(|e| e as f64 / secs),
            retries_rps: t.retries as f64 / secs,
            p50_ms: p50,
            p95_ms: p95,
            p99_ms: p99,
            replicas_desired: self.c.desired,
            replicas_ready: ready,
            replicas_warming: warming,
            replicas_starting: starting,
            replicas_pending: pending,
            replicas_draining: draining,
            demand: self.c.rec.demand(start.as_secs_f64(), self.c.faults.multiplier.0, offered_rps),
            capacity: self.c.nodes.slots,
            cpu_util_true,
            metric_seen: self.c.control.reading.map(|r| r.seen),
            metric_true: self.c.control.reading.and_then(|r| self.true_metric(r.metric, cpu_util_true, p95, queue)),
            metric_target: self.c.control.reading.map(|r| r.target),
            in_flight: self.c.balancer.in_flight,
            queue,
            data: DataTierColumns::default(),
            cost_per_hour: self.c.rec.cost_per_hour(),
            app_cores,
        };
        let mut row = row;
        // Replicas leave or rejoin the rotation as their lag moves, reads or not.
        if let Some(mut d) = self.data() {
            for db in d.d.replica_indexes() {
                d.in_rotation(now, db);
            }
            let (columns, burst) = d.d.columns(start, now);
            row.data = columns;
            if let Some(detail) = burst {
                d.c.rec.event(now, EventKind::Db, "connections", detail);
            }
        }
        self.c.rec.write_tick(now, &row);
        self.c.last_row = Some(row);
        self.c.rec.next_tick();
        let window = self.c.scenario.slo.window.as_nanos();
        if now.as_nanos() % window == 0 || now >= self.c.end {
            self.c.rec.close_window();
        }
    }

    /// The true value over the tick of the metric a policy watches, where
    /// the simulation knows it (per serving instance for per-pod metrics).
    fn true_metric(&self, metric: MetricName, cpu: Option<f64>, p95: Option<f64>, queue: u64) -> Option<f64> {
        let t = &self.c.rec.tick;
        let secs = self.c.scenario.tick.as_secs_f64();
        let serving = self.c.live.iter().filter(|&&i| self.c.instances[i].state.ready()).count() as f64;
        let per_instance = |x: f64| (serving > 0.0).then(|| x / serving);
        match metric {
            MetricName::Cpu => cpu,
            MetricName::Rps => per_instance(t.completed as f64 / secs),
            MetricName::InFlight => per_instance(self.c.balancer.in_flight as f64),
            MetricName::Queue => Some(queue as f64),
            MetricName::LatencyP95 => p95,
            // No true value is computed for these: their column stays empty.
            MetricName::BacklogPerInstance
            | MetricName::ForecastRps
            | MetricName::HttpRequestsPerSecond
            | MetricName::RequestsPerSecond
            | MetricName::HttpRequestsInFlight
            | MetricName::QueueMessagesReady
            | MetricName::QueueLength
            | MetricName::LatencyP95Ms
            | MetricName::Pods
            | MetricName::External
            | MetricName::Unsupported => None,
        }
    }

    pub(super) fn on_action(&mut self, now: SimTime, index: ActionId, q: &mut Q) {
        let action = self.c.actions[index].clone();
        let kind = if action.is_intervention() { EventKind::Intervention } else { EventKind::Fault };
        let detail = match &action {
            Action::KillInstances(amount) => {
                let mut running: Vec<InstanceId> =
                    self.c.live.iter().copied().filter(|&i| self.c.instances[i].state.ready()).collect();
                let n = match *amount {
                    KillAmount::Count(c) => (c as usize).min(running.len()),
                    KillAmount::Fraction(f) => (f * running.len() as f64).round() as usize,
                };
                // A partial Fisher–Yates shuffle picks n victims at random.
                for k in 0..n {
                    let j = k + self.c.rng.faults.below((running.len() - k) as u64) as usize;
                    running.swap(k, j);
                }
                let victims = &running[..n];
                for &i in victims {
                    self.terminate(now, i, "killed by a fault", q);
                }
                self.reconcile(now, q);
                format!("killed {n} of {} running instance(s)", running.len())
            }
            Action::KillZone(zone) => {
                let victims: Vec<InstanceId> =
                    self.c.live.iter().copied().filter(|&i| self.c.instances[i].zone == *zone).collect();
                for &i in &victims {
                    self.terminate(now, i, "zone failure", q);
                }
                self.reconcile(now, q);
                format!("zone {zone} lost {} instance(s)", victims.len())
            }
            Action::TrafficMultiplier { factor, duration } => {
                self.set_multiplier(now, *factor, Some(index), q);
                self.revert_after(now, index, *duration, q);
                format!("traffic ×{factor}{}", for_(duration))
            }
            Action::AddLatency { latency, duration } => {
                self.c.faults.latency = (*latency, Some(index));
                self.revert_after(now, index, *duration, q);
                format!("+{latency} network latency{}", for_(duration))
            }
            Action::DependencyErrors { rate, duration } => {
                self.c.faults.dependency_errors = (*rate, Some(index));
                self.revert_after(now, index, *duration, q);
                format!("{:.1}% of requests fail downstream{}", rate * 100.0, for_(duration))
            }
            Action::DbSlowdown { factor, duration } => {
                self.c.faults.db_slowdown = (*factor, Some(index));
                if let Some(mut d) = self.data() {
                    d.db_slowdown(now, *factor, q);
                }
                self.revert_after(now, index, *duration, q);
                format!("database queries {factor}× slower{}", for_(duration))
            }
            Action::DbOutage { duration } => {
                self.c.faults.db_outage = Some(index);
                if let Some(mut d) = self.data() {
                    d.db_outage(now, true, q);
                }
                self.revert_after(now, index, *duration, q);
                format!("database down{}", for_(duration))
            }
            Action::CacheFlush => {
                // Validated: the action needs a cache.
                if let Some(cache) = self.data.as_mut().and_then(|d| d.cache.as_mut()) {
                    cache.flush();
                }
                "shared cache flushed".into()
            }
            Action::FreezeAutoscaler => {
                self.c.control.frozen = true;
                "autoscaler frozen".into()
            }
            Action::UnfreezeAutoscaler => {
                self.c.control.frozen = false;
                self.c.control.frozen_would = None;
                "autoscaler unfrozen".into()
            }
            Action::SetMinReplicas(n) => {
                self.c.control.policy.set_bounds(Some(*n), None);
                format!("min replicas = {n}")
            }
            Action::SetMaxReplicas(n) => {
                self.c.control.policy.set_bounds(None, Some(*n));
                format!("max replicas = {n}")
            }
            Action::SetReplicas(n) => {
                self.c.control.frozen = true;
                if *n != self.c.desired {
                    self.c.rec.scaled(self.c.desired, *n);
                }
                self.c.desired = *n;
                self.reconcile(now, q);
                format!("autoscaler frozen; replicas set to {n}")
            }
            Action::SetPolicyField { field, value } => self.set_policy_field(field, value),
            Action::Resize { tier, to } => self.resize(now, *tier, to, q),
        };
        self.c.rec.event(now, kind, action.name(), detail);
    }

    /// Changes a policy field at run time; a value the policy refuses is
    /// logged and ignored (scenario files are checked before the run).
    fn set_policy_field(&mut self, field: &str, value: &toml::Value) -> String {
        let doc = match Document::from_text(Path::new("game day"), "", &[]) {
            Ok(doc) => doc,
            Err(problems) => return format!("refused {field} = {value}: {problems}"),
        };
        let mut cx = Check::new(&doc);
        let at = FieldPath::root().key("autoscaler").key(field);
        let initial = self.c.scenario.fleet.initial;
        let spec = crate::policy::with_field(&mut cx, &at, &self.c.control.policy_spec, field, value, initial);
        match (spec, cx.finish()) {
            (Some(spec), Ok(())) => match self.c.control.policy.reconfigure(&spec.config) {
                Ok(()) => {
                    self.c.control.policy_spec = spec;
                    format!("{field} = {value}")
                }
                Err(e) => format!("refused {field} = {value}: {e}"),
            },
            (_, Err(problems)) => format!("refused {field} = {value}: {problems}"),
            (None, Ok(())) => format!("refused {field} = {value}"),
        }
    }

    fn set_multiplier(&mut self, now: SimTime, m: f64, source: Option<ActionId>, q: &mut Q) {
        self.c.faults.multiplier = (m, source);
        self.c.traffic.set_multiplier(now, m, q);
    }

    fn revert_after(&mut self, now: SimTime, index: ActionId, duration: Option<SimDuration>, q: &mut Q) {
        if let Some(d) = duration {
            q.schedule(now + d, Event::Revert(index));
        }
    }

    pub(super) fn on_revert(&mut self, now: SimTime, index: ActionId, q: &mut Q) {
        let me = Some(index);
        let name = self.c.actions[index].name();
        if self.c.faults.multiplier.1 == me {
            self.set_multiplier(now, 1.0, None, q);
        } else if self.c.faults.latency.1 == me {
            self.c.faults.latency = (SimDuration::ZERO, None);
        } else if self.c.faults.dependency_errors.1 == me {
            self.c.faults.dependency_errors = (0.0, None);
        } else if self.c.faults.db_slowdown.1 == me {
            self.c.faults.db_slowdown = (1.0, None);
            if let Some(mut d) = self.data() {
                d.db_slowdown(now, 1.0, q);
            }
        } else if self.c.faults.db_outage == me {
            self.c.faults.db_outage = None;
            if let Some(mut d) = self.data() {
                d.db_outage(now, false, q);
            }
        } else {
            return; // superseded by a later action of the same sort
        }
        self.c.rec.event(now, EventKind::Fault, name, "ended");
    }
}

fn for_(d: &Option<SimDuration>) -> String {
    d.map_or(String::new(), |d| format!(" for {d}"))
}
