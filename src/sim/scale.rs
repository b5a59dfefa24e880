//! Scaling up: instance types, their prices and moving along a family.
//!
//! - The app tier has a current type (what new instances get). A change —
//!   a `resize` action or the vertical autoscaler — reaches running
//!   instances as `[fleet] resize` says: `recreate` evicts one outdated
//!   instance at a time, and the next goes once its replacement has
//!   provisioned, booted and warmed up (the VPA updater); `surge` starts one
//!   new instance first and removes an outdated one once it is ready (a
//!   rolling update, maxSurge 1); `in_place` changes cores and price at once.
//! - A database resize fails over to the resized standby, one database at a
//!   time: for `failover` it is down (connections dropped, queries and
//!   connects refused), then it is back with the new type's cores,
//!   connections and price. Replicas are resized one by one the same way,
//!   out of the read rotation meanwhile.
//! - A serverless database re-evaluates its capacity every `interval`.
//! - The family's largest type is the ceiling: a resize past it is refused,
//!   a recommendation past it capped, each with an event that says so.

use std::collections::VecDeque;

use super::data::DataCx;
use super::record::CostTier;
use super::{Core, Cx, DataEvent, Event};
use crate::engine::queue::EventQueue;
use crate::engine::time::SimTime;
use crate::model::database::DbId;
use crate::model::instance::{InstanceId, State};
use crate::model::metrics;
use crate::output::EventKind;
use crate::scenario::events::{Size, Tier};
use crate::scenario::fleet::Resize;
use crate::scenario::types::Family;
use std::sync::Arc;

type Q = EventQueue<Event>;

/// The size of an app instance of some type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct AppSize {
    pub(super) instance_type: Option<usize>,
    pub(super) cores: u32,
    pub(super) price_per_hour: f64,
    pub(super) workers: u32,
    pub(super) request: f64,
}

/// A rollout of the app tier's current type in progress.
pub(super) struct Rollout {
    /// The new instance it waits for (until it is ready).
    pub(super) waiting: Option<InstanceId>,
}

/// The vertical autoscaler's state.
pub(super) struct Vpa {
    /// Per-instance CPU usage samples (when, cores), oldest first.
    samples: VecDeque<(SimTime, f64)>,
    /// Whether its recommendation is capped at the largest allowed type.
    capped: bool,
}

impl Vpa {
    pub(super) fn new() -> Vpa {
        Vpa { samples: VecDeque::new(), capped: false }
    }
}

/// A database resize in progress: the databases still to resize, in order.
pub(super) struct DbResize {
    tier: CostTier,
    queue: VecDeque<DbId>,
    /// The type they go to, of this family.
    to: usize,
    family: Arc<Family>,
}

/// The `q` quantile of sorted values (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

/// Rounds capacity up to a whole half ACU.
fn half_acu(x: f64) -> f64 {
    (x * 2.0 - 1e-9).ceil() / 2.0
}

/// Where a resize goes in `family` from `current`, or why it cannot.
fn target(family: &Family, current: usize, to: &Size) -> Result<usize, String> {
    match to {
        Size::Type(name) => family.find(name).ok_or_else(|| {
            format!("refused: '{name}' is not a type of {} ({})", family.name, family.names().join(", "))
        }),
        Size::Step(n) => family.step(current, *n).ok_or_else(|| {
            let t = &family.types[current];
            if *n > 0 {
                format!(
                    "refused: {} ({} cores) is the largest type of {}: the ceiling of vertical scaling; scale out instead",
                    t.name, t.cores, family.name
                )
            } else {
                format!("refused: {} is the smallest type of {}", t.name, family.name)
            }
        }),
    }
}

impl Cx<'_> {
    /// The size of an app instance of type `ty` (the fleet's own size when
    /// untyped).
    pub(super) fn app_size(&self, ty: Option<usize>) -> AppSize {
        let f = &self.c.scenario.fleet;
        let (cores, price_per_hour) = match (ty, &f.family) {
            (Some(t), Some(family)) => (family.types[t].cores, family.types[t].price_per_hour),
            _ => (f.cores, f.price_per_hour),
        };
        AppSize {
            instance_type: ty,
            cores,
            price_per_hour,
            workers: f.workers_for(cores),
            request: f.request_for(cores),
        }
    }

    /// Prices of the tiers that exist for the whole run, from its start.
    pub(super) fn start_costs(&mut self) {
        let s = self.c.scenario.clone();
        if let Some(d) = &self.data {
            for node in d.dbs.iter() {
                let tier = if node.replica.is_some() { CostTier::ReadReplicas } else { CostTier::Database };
                self.c.rec.price(SimTime::ZERO, tier, node.db.price_per_hour);
            }
        }
        if let Some(p) = &s.pooler {
            self.c.rec.price(SimTime::ZERO, CostTier::Pooler, p.price_per_hour);
        }
        if let Some(c) = &s.cache {
            self.c.rec.price(SimTime::ZERO, CostTier::Cache, c.price_per_hour);
        }
    }

    /// A `resize` action: returns what happened, for the event log.
    pub(super) fn resize(&mut self, now: SimTime, tier: Tier, to: &Size, q: &mut Q) -> String {
        match tier {
            Tier::App => {
                let Some(family) = self.c.scenario.fleet.family.clone() else {
                    return "refused: the fleet has no instance types (give [fleet] types and type)".into();
                };
                let current = self.c.app_type.or_else(|| family.smallest_with(self.c.scenario.fleet.cores as f64));
                let current = current.unwrap_or(family.largest());
                match target(&family, current, to) {
                    Ok(t) if t == current && self.c.app_type.is_some() => format!("already {}", family.types[t].name),
                    Ok(t) => self.resize_app(now, &family, t, q),
                    Err(why) => why,
                }
            }
            Tier::Database | Tier::Replicas => match self.data() {
                Some(mut d) => d.resize_databases(now, tier, to, q),
                None => "refused: no database".into(),
            },
        }
    }

    /// Makes `to` the app tier's type and starts rolling it out.
    fn resize_app(&mut self, now: SimTime, family: &Family, to: usize, q: &mut Q) -> String {
        let (old, new) = (self.app_size(self.c.app_type), self.app_size(Some(to)));
        let from = self.c.app_type.map_or_else(|| format!("{} cores", old.cores), |t| family.types[t].name.clone());
        self.c.app_type = Some(to);
        let mode = self.c.scenario.fleet.resize;
        let detail = format!(
            "app tier {from} → {} ({} → {} cores, {:.3} → {:.3}/h an instance); {}",
            family.types[to].name,
            old.cores,
            new.cores,
            old.price_per_hour,
            new.price_per_hour,
            match mode {
                Resize::Recreate => "recreating instances one at a time",
                Resize::Surge => "surging one new instance at a time",
                Resize::InPlace => "in place",
            }
        );
        if mode == Resize::InPlace {
            let outdated: Vec<InstanceId> =
                self.c.live.iter().copied().filter(|&i| self.c.instances[i].instance_type != Some(to)).collect();
            for i in outdated {
                self.resize_in_place(now, i, q);
            }
        } else if self.c.rollout.is_none() {
            self.c.rollout = Some(Rollout { waiting: None });
            q.schedule(now, Event::Rollout);
        }
        detail
    }

    /// Gives instance `i` the current type without a restart.
    fn resize_in_place(&mut self, now: SimTime, i: InstanceId, q: &mut Q) {
        let size = self.app_size(self.c.app_type);
        let state = self.c.instances[i].state;
        let (old_price, old_request) = (self.c.instances[i].price_per_hour, self.c.instances[i].request);
        if state.holds_capacity() {
            self.c.rec.price(now, CostTier::App, size.price_per_hour - old_price);
        }
        if state.running() {
            self.c.request_core_ns += (now - self.c.request_since).as_nanos() as f64 * self.c.running_request;
            self.c.request_since = now;
            self.c.running_request += size.request - old_request;
        }
        let inst = &mut self.c.instances[i];
        inst.cores = size.cores;
        inst.request = size.request;
        inst.worker_limit = size.workers;
        inst.price_per_hour = size.price_per_hour;
        inst.instance_type = size.instance_type;
        inst.cpu.set_servers(now, size.cores as f64);
        self.update_cpu(now, i, q);
        // More workers: queued requests take them at once.
        while self.c.instances[i].busy_workers < self.c.instances[i].worker_limit {
            let inst = &mut self.c.instances[i];
            let Some(next) = inst.queue.pop_front() else { break };
            if self.c.requests.get(next).is_some() {
                self.start_work(now, next, i, q);
            } else {
                self.c.instances[i].stale -= 1;
            }
        }
    }

    /// Whether the rollout waits for instance `i`: its becoming ready (or
    /// going away) lets the next step go.
    pub(super) fn rollout_notice(&mut self, now: SimTime, i: InstanceId, q: &mut Q) {
        if self.c.rollout.as_ref().is_some_and(|r| r.waiting == Some(i)) {
            q.schedule(now, Event::Rollout);
        }
    }

    /// The next step of a rollout: replace one outdated instance.
    pub(super) fn on_rollout(&mut self, now: SimTime, q: &mut Q) {
        let Some(r) = &self.c.rollout else { return };
        if let Some(w) = r.waiting
            && !matches!(self.c.instances[w].state, State::Ready | State::Draining | State::Terminated)
        {
            return;
        }
        if let Some(r) = &mut self.c.rollout {
            r.waiting = None;
        }
        if self.c.surge > 0 {
            // The surged instance is ready: an outdated one goes (outdated first).
            self.c.surge = 0;
            self.reconcile(now, q);
        }
        let target = self.c.app_type;
        let outdated = |sim: &Core| -> Vec<InstanceId> {
            sim.live
                .iter()
                .copied()
                .filter(|&i| {
                    let inst = &sim.instances[i];
                    inst.state != State::Draining && inst.instance_type != target
                })
                .collect()
        };
        // Outdated instances not serving yet are replaced at once.
        let starting: Vec<InstanceId> =
            outdated(self.c).into_iter().filter(|&i| !self.c.instances[i].state.ready()).collect();
        for &i in &starting {
            self.terminate(now, i, "replaced by the new instance type", q);
        }
        if !starting.is_empty() {
            self.reconcile(now, q);
        }
        let Some(&victim) = outdated(self.c).first() else {
            self.c.rollout = None;
            let name = self.type_name(target);
            self.c.rec.event(now, EventKind::Instance, "rollout", format!("every instance is {name}"));
            return;
        };
        let before = self.c.instances.len();
        match self.c.scenario.fleet.resize {
            Resize::Surge => self.c.surge = 1,
            _ => self.remove_instance(now, victim, q),
        }
        self.reconcile(now, q);
        let created = (self.c.instances.len() > before).then(|| InstanceId::new(self.c.instances.len() as u32 - 1));
        if let Some(r) = &mut self.c.rollout {
            r.waiting = created;
        }
        if created.is_none() {
            // Nothing to wait for (the count went down meanwhile): go on.
            q.schedule(now, Event::Rollout);
        }
    }

    /// The name of an app type, for messages.
    fn type_name(&self, ty: Option<usize>) -> String {
        match (ty, &self.c.scenario.fleet.family) {
            (Some(t), Some(f)) => f.types[t].name.clone(),
            _ => format!("{} cores", self.c.scenario.fleet.cores),
        }
    }

    /// The vertical autoscaler samples usage and, when the fleet's size is
    /// outside its bounds, moves it to the recommended type.
    pub(super) fn on_vertical(&mut self, now: SimTime, q: &mut Q) {
        // Validated: [vertical] needs a typed fleet; only then is it scheduled.
        let s = self.c.scenario.clone();
        let (Some(spec), Some(family), Some(vpa)) = (&s.vertical, &s.fleet.family, &mut self.c.vpa) else { return };
        q.schedule(now + spec.interval, Event::Vertical);
        for &i in &self.c.live {
            let inst = &self.c.instances[i];
            if !inst.state.ready() {
                continue;
            }
            if let Some(cpu) = metrics::pod_metrics(inst, now, &self.c.scenario.metrics).cpu_milli {
                vpa.samples.push_back((now, cpu.value / 1000.0));
            }
        }
        let cutoff = now.saturating_sub(spec.window);
        while vpa.samples.front().is_some_and(|s| s.0 < cutoff) {
            vpa.samples.pop_front();
        }
        let Some(&(first, _)) = vpa.samples.front() else { return };
        if now - first < spec.window.mul_f64(0.5) {
            return; // not enough history yet
        }
        let mut usage: Vec<f64> = vpa.samples.iter().map(|s| s.1).collect();
        usage.sort_by(f64::total_cmp);
        let m = 1.0 + spec.margin;
        let (lower, target, upper) = (
            quantile(&usage, spec.lower_percentile) * m,
            quantile(&usage, spec.target_percentile) * m,
            quantile(&usage, spec.upper_percentile) * m,
        );
        let current = self.app_size(self.c.app_type).cores as f64;
        if (lower..=upper).contains(&current) {
            return;
        }
        let wanted = family.smallest_with(target);
        let pick = wanted.unwrap_or(family.largest()).clamp(spec.min_type, spec.max_type);
        let capped = wanted.is_none_or(|w| w > spec.max_type);
        let Some(vpa) = &mut self.c.vpa else { return };
        if capped && !vpa.capped {
            let t = &family.types[spec.max_type];
            let detail = format!(
                "recommends {target:.2} cores (p{:.0} usage {:.2} + {:.0}%); capped at {} ({} cores): the ceiling of vertical scaling",
                spec.target_percentile * 100.0,
                target / m,
                spec.margin * 100.0,
                t.name,
                t.cores
            );
            self.c.rec.event(now, EventKind::Scale, "vertical", detail);
        }
        vpa.capped = capped;
        if Some(pick) == self.c.app_type {
            return;
        }
        let why = format!(
            "usage p{:.0}/p{:.0}/p{:.0} = {:.2}/{:.2}/{:.2} cores: {current} cores is outside [{lower:.2}, {upper:.2}]; target {target:.2}",
            spec.lower_percentile * 100.0,
            spec.target_percentile * 100.0,
            spec.upper_percentile * 100.0,
            lower / m,
            target / m,
            upper / m,
        );
        let detail = self.resize_app(now, family, pick, q);
        self.c.rec.event(now, EventKind::Scale, "vertical", format!("{why} → {detail}"));
    }
}

impl DataCx<'_> {
    /// A resize of the primaries or the replicas: one failover at a time.
    fn resize_databases(&mut self, now: SimTime, tier: Tier, to: &Size, q: &mut Q) -> String {
        if self.d.resize.is_some() {
            return "refused: a database resize is in progress".into();
        }
        let d = &*self.d;
        let (indexes, cost) = match tier {
            Tier::Replicas => (d.replica_indexes(), CostTier::ReadReplicas),
            _ => (d.primaries(), CostTier::Database),
        };
        let Some(&first) = indexes.first() else { return "refused: there are no replicas".into() };
        let (db, spec) = (&d.dbs[first].db, &d.dbs[first].spec);
        if db.acu.is_some() {
            return "refused: a serverless database scales itself".into();
        }
        let Some(family) = spec.family.clone() else {
            return format!("refused: the {} tier has no instance types", tier.name());
        };
        let current = db.instance_type.or_else(|| family.smallest_with(db.cores)).unwrap_or(family.largest());
        let to = match target(&family, current, to) {
            Ok(t) if t == current && db.instance_type.is_some() => return format!("already {}", family.types[t].name),
            Ok(t) => t,
            Err(why) => return why,
        };
        let n = indexes.len();
        let failover = spec.failover;
        let from = db.instance_type.map_or_else(|| format!("{} cores", db.cores), |t| family.types[t].name.clone());
        self.d.resize = Some(DbResize { tier: cost, queue: indexes.into(), to, family: family.clone() });
        self.next_failover(now, q);
        format!("{} {from} → {}: {n} failover(s) of {failover}, one at a time", tier.name(), family.types[to].name)
    }

    /// The next database of a resize goes down into its failover.
    fn next_failover(&mut self, now: SimTime, q: &mut Q) {
        let Some(r) = &mut self.d.resize else { return };
        let Some(db) = r.queue.pop_front() else {
            self.d.resize = None;
            return;
        };
        let d = &mut *self.d;
        let failover = d.dbs[db].spec.failover;
        let node = &mut d.dbs[db].db;
        let was = node.down();
        node.failing_over = true;
        let name = d.name(db);
        if !was {
            self.db_down(now, db, q);
        }
        self.c.rec.event(now, EventKind::Db, name, format!("failing over to the resized standby: down for {failover}"));
        q.schedule(now + failover, Event::Data(DataEvent::Failover(db)));
    }

    /// Database `db`'s failover is over: it is back with its new size.
    pub(super) fn on_failover(&mut self, now: SimTime, db: DbId, q: &mut Q) {
        let Some(r) = &self.d.resize else { return };
        let (to, tier, family) = (r.to, r.tier, r.family.clone());
        let d = &mut *self.d;
        let fixed = d.dbs[db].spec.max_connections_set;
        let node = &mut d.dbs[db].db;
        let t = &family.types[to];
        let delta = t.price_per_hour - node.price_per_hour;
        node.cpu.set_servers(now, t.cores as f64);
        node.cores = t.cores as f64;
        if !fixed {
            node.max_connections = t.max_connections.unwrap_or(node.max_connections);
        }
        node.instance_type = Some(to);
        node.price_per_hour = t.price_per_hour;
        node.failing_over = false;
        let up = !node.down();
        let detail = format!("back as {}: {} cores, max_connections {}", t.name, t.cores, node.max_connections);
        let name = d.name(db);
        self.c.rec.price(now, tier, delta);
        self.update_db(now, db, q);
        if up {
            self.db_up(now, db, q);
        }
        self.c.rec.event(now, EventKind::Db, name, detail);
        self.next_failover(now, q);
    }

    /// Serverless primaries move their capacity toward utilization/target.
    pub(super) fn on_serverless(&mut self, now: SimTime, q: &mut Q) {
        let Some(spec) = self.c.scenario.database.as_ref().and_then(|d| d.serverless.clone()) else { return };
        q.schedule(now + spec.interval, Event::Data(DataEvent::Serverless));
        for db in self.d.primaries() {
            let d = &mut *self.d;
            let node = &mut d.dbs[db];
            node.db.cpu.advance(now);
            let busy = node.db.cpu.busy_server_ns();
            let dt = (now - node.scaled_at).as_nanos() as f64;
            let util = if dt > 0.0 { (busy - node.scaled_busy) / (node.db.cores * dt) } else { 0.0 };
            node.scaled_busy = busy;
            node.scaled_at = now;
            let Some(acu) = node.db.acu else { continue }; // a serverless primary has a capacity
            let wanted = acu * util / spec.target_utilization;
            let next = if wanted > acu {
                half_acu(wanted).min(spec.max_acu)
            } else {
                half_acu(wanted.max(acu * (1.0 - spec.scale_down_rate))).max(spec.min_acu)
            };
            if next == acu {
                continue;
            }
            node.db.acu = Some(next);
            node.db.cores = next * spec.cores_per_acu;
            node.db.cpu.set_servers(now, node.db.cores);
            node.db.price_per_hour = next * spec.price_per_acu_hour;
            let at_max = next == spec.max_acu && acu < spec.max_acu;
            let name = d.name(db);
            self.c.rec.price(now, CostTier::Database, (next - acu) * spec.price_per_acu_hour);
            self.update_db(now, db, q);
            if at_max {
                let detail = format!(
                    "at max_acu {next} ({:.1} cores) with utilization {:.0}%: the ceiling of its capacity range",
                    next * spec.cores_per_acu,
                    util * 100.0
                );
                self.c.rec.event(now, EventKind::Db, name, detail);
            }
        }
    }
}
