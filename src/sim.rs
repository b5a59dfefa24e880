//! The simulation of one scenario: the closed set of events, the state the
//! model owns (plain structs in `Vec`s indexed by id, no shared pointers, so
//! a whole simulation is `Send`), and the handlers, one file per concern.
//!
//! The state is in parts that own their data: the traffic source
//! (`requests::Traffic`), the control loop (`control::Control`: scrapes and
//! the autoscaler), the recorder, the rest of the core (balancer, fleet,
//! requests), and the optional data tier, which owns its databases, pools,
//! pooler and cache and handles its own [`DataEvent`]s. [`Sim`] dispatches
//! each event once; a handler gets a context of what it may touch: `Cx`
//! (the core, and the data tier only through `Cx::data`, the one place its
//! absence is checked) or `DataCx` (the core and the data tier, present).
//! The request path and the data tier call each other (a query's end frees
//! a worker, which may start the next request), so both contexts borrow the
//! core; neither reaches the other's state but through these two doors.
//!
//! The handlers, one file per concern:
//!
//! - `requests`: arrivals, the balancer, an instance's work, responses,
//!   client timeouts and retries;
//! - `fleet`: instance lifecycle, scaling to a desired count, capacity and
//!   nodes, health checks, slow start;
//! - `control`: the metrics pipeline, the autoscaler, faults and operator
//!   actions;
//! - `data`: the data tier on the request path (pools, pooler, caches,
//!   databases); `replicas`: read routing and replication;
//! - `scale`: instance types, resizes and their rollouts, the vertical
//!   autoscaler, database failovers and serverless capacity;
//! - `record`: counting, time-series rows, cost, the summary.
//!
//! [`Simulation`] is the public handle: tests, batch runs and the TUI all
//! drive it with `step`, `run_until` and `run`.

mod control;
mod data;
mod fleet;
pub mod record;
mod replicas;
mod requests;
mod scale;

use std::collections::{BTreeSet, VecDeque};
use std::io;
use std::sync::Arc;

use crate::engine::queue::EventQueue;
use crate::engine::rng::Stream;
use crate::engine::time::{SimDuration, SimTime};
use crate::engine::{Engine, Model};
use crate::model::balancer::Router;
pub use crate::model::instance::State;
use crate::model::instance::{InstanceId, Instances};
use crate::model::request::Kind;
use crate::model::request::{ReqRef, Requests};
use crate::output::{Sink, Summary, TickRow};
use crate::scenario::Scenario;
use crate::scenario::events::Action;
use crate::scenario::fleet::Capacity;
pub use data::{DataEvent, Owner};
use record::Recorder;

/// Every event of the model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Event {
    /// The next request from the traffic source.
    Arrival {
        /// Cancels arrivals drawn before a rate change.
        generation: u32,
    },
    /// A client retries after its backoff.
    Retry {
        /// Key of the request.
        key: u32,
        /// Read or write.
        kind: Kind,
        /// This attempt's number.
        attempt: u8,
    },
    /// A client's timeout for an attempt (or a probe's).
    Timeout(ReqRef),
    /// A request reaches its instance after added network latency.
    Delivered(ReqRef),
    /// The next compute completion on an instance.
    ComputeDone {
        /// Instance.
        instance: InstanceId,
        /// The station's generation when scheduled.
        generation: u32,
    },
    /// The end of a lifecycle phase (provisioning, boot, warm-up, drain).
    Lifecycle {
        /// Instance.
        instance: InstanceId,
        /// The instance's generation when scheduled.
        generation: u32,
    },
    /// A health probe of one instance is due.
    Probe {
        /// Instance.
        instance: InstanceId,
        /// The instance's restart count when scheduled.
        epoch: u32,
    },
    /// A node added by the node autoscaler is ready.
    NodeReady,
    /// Slow-start weights are due for an update.
    SlowStart,
    /// The metrics pipeline scrapes.
    Scrape,
    /// The autoscaler evaluates.
    Evaluate,
    /// A time-series row is due.
    Tick,
    /// An event of the data tier (only it schedules them).
    Data(DataEvent),
    /// A fault or operator action.
    Action(ActionId),
    /// A timed fault ends (the action that started it).
    Revert(ActionId),
    /// The vertical autoscaler recommends.
    Vertical,
    /// The next step of an instance-type rollout.
    Rollout,
}

/// A fault or operator action of the run: the scenario's, then the game
/// day's, in the order they were given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionId(u32);

/// The run's actions, by id.
struct Actions(Vec<Action>);

impl Actions {
    /// Adds an action (a game day's injection).
    fn push(&mut self, action: Action) -> ActionId {
        self.0.push(action);
        ActionId(self.0.len() as u32 - 1)
    }

    /// Every action's id, in order.
    fn ids(&self) -> impl Iterator<Item = ActionId> + use<> {
        (0..self.0.len() as u32).map(ActionId)
    }
}

impl std::ops::Index<ActionId> for Actions {
    type Output = Action;
    fn index(&self, id: ActionId) -> &Action {
        &self.0[id.0 as usize]
    }
}

// A whole run is `Send` (a sweep runs them on threads), and an event stays
// as small as before the data tier had its own (the queue holds many).
const _: () = {
    const fn send<T: Send>() {}
    send::<Simulation>();
    assert!(std::mem::size_of::<Event>() <= 16);
};

/// Faults in force (and the action that set each).
#[derive(Clone, Debug)]
struct Faults {
    multiplier: (f64, Option<ActionId>),
    latency: (SimDuration, Option<ActionId>),
    dependency_errors: (f64, Option<ActionId>),
    db_slowdown: (f64, Option<ActionId>),
    db_outage: Option<ActionId>,
}

/// The balancer's own state (routing lives in [`Router`]).
struct Balancer {
    held: VecDeque<ReqRef>,
    in_flight: u64,
    tokens: f64,
    tokens_at: SimTime,
}

/// Node capacity and the node autoscaler.
struct Nodes {
    /// Schedulable instance slots now (None: unlimited).
    slots: Option<u32>,
    /// Slots in use.
    used: u32,
    nodes: u32,
    nodes_coming: u32,
}

/// The random streams, one per component.
struct Streams {
    mix: Stream,
    service: Stream,
    lifecycle: Stream,
    client: Stream,
    faults: Stream,
}

/// Everything one run owns but its optional parts (the data tier).
struct Core {
    scenario: Arc<Scenario>,
    end: SimTime,
    seed: u64,
    traffic: requests::Traffic,
    rng: Streams,
    router: Router,
    requests: Requests,
    instances: Instances,
    /// Ids of instances not terminated, in id order.
    live: BTreeSet<InstanceId>,
    /// Instances waiting for capacity, in order.
    pending: VecDeque<InstanceId>,
    desired: u32,
    nodes: Nodes,
    next_zone: u32,
    /// Instances in slow start, with when they joined.
    slow_starting: Vec<(InstanceId, SimTime)>,
    slow_start_scheduled: bool,
    /// The metrics pipeline's fleet scrapes and the autoscaler.
    control: control::Control,
    /// The app tier's instance type now: what new instances get.
    app_type: Option<usize>,
    /// A rollout of that type in progress.
    rollout: Option<scale::Rollout>,
    /// Instances asked for beyond `desired` by a surge rollout.
    surge: u32,
    /// The vertical autoscaler, if `[vertical]`.
    vpa: Option<scale::Vpa>,
    /// A database resize in progress.
    balancer: Balancer,
    faults: Faults,
    actions: Actions,
    /// Busy core-ns of terminated instances.
    retired_busy: f64,
    busy_at_tick: f64,
    /// Σ CPU request (cores) of running instances, and its integral.
    running_request: f64,
    request_core_ns: f64,
    request_since: SimTime,
    request_at_tick: f64,
    last_tick: SimTime,
    /// The latest time-series row (for the TUI).
    last_row: Option<TickRow>,
    rec: Recorder,
    scratch: Vec<u64>,
}

/// The model: the core every event may touch, and the optional data tier.
pub struct Sim {
    c: Core,
    /// The pools' databases, the pooler and the shared cache, if any.
    data: Option<data::DataTier>,
}

/// What a handler outside the data tier may touch: the core, and the data
/// tier where there is one (entered only through [`Cx::data`]).
struct Cx<'a> {
    c: &'a mut Core,
    data: Option<&'a mut data::DataTier>,
}

impl Cx<'_> {
    /// The data tier's context, if the scenario has a database.
    fn data(&mut self) -> Option<data::DataCx<'_>> {
        let d = self.data.as_deref_mut()?;
        Some(data::DataCx { c: &mut *self.c, d })
    }
}

impl Sim {
    fn cx(&mut self) -> Cx<'_> {
        Cx { c: &mut self.c, data: self.data.as_mut() }
    }
}

impl Model for Sim {
    type Event = Event;

    fn handle(&mut self, now: SimTime, event: Event, q: &mut EventQueue<Event>) {
        let mut cx = self.cx();
        match event {
            Event::Arrival { generation } => cx.on_arrival(now, generation, q),
            Event::Retry { key, kind, attempt } => cx.new_attempt(now, key, kind, attempt, q),
            Event::Timeout(r) => cx.on_timeout(now, r, q),
            Event::Delivered(r) => cx.on_delivered(now, r, q),
            Event::ComputeDone { instance, generation } => cx.on_compute_done(now, instance, generation, q),
            Event::Lifecycle { instance, generation } => cx.on_lifecycle(now, instance, generation, q),
            Event::Probe { instance, epoch } => cx.on_probe(now, instance, epoch, q),
            Event::NodeReady => cx.on_node_ready(now, q),
            Event::SlowStart => cx.on_slow_start(now, q),
            Event::Scrape => cx.on_scrape(now, q),
            Event::Evaluate => cx.on_evaluate(now, q),
            Event::Tick => cx.on_tick(now, q),
            // The one place the data tier's presence is checked for its
            // events: only the data tier schedules them.
            Event::Data(e) => {
                if let Some(mut d) = cx.data() {
                    d.handle(now, e, q);
                }
            }
            Event::Action(i) => cx.on_action(now, i, q),
            Event::Revert(i) => cx.on_revert(now, i, q),
            Event::Vertical => cx.on_vertical(now, q),
            Event::Rollout => cx.on_rollout(now, q),
        }
    }
}

impl Sim {
    fn new(scenario: Arc<Scenario>, seed: u64, sink: Box<dyn Sink + Send>) -> io::Result<(Sim, EventQueue<Event>)> {
        let s = &scenario;
        let end = SimTime::ZERO + s.duration;
        let stream = |name: &str| Stream::new(seed, name);
        let slots = match s.fleet.capacity {
            Capacity::Unlimited => None,
            Capacity::Fixed(n) => Some(n),
            Capacity::Nodes { nodes, pods_per_node, .. } => Some(nodes * pods_per_node),
        };
        let nodes = match s.fleet.capacity {
            Capacity::Nodes { nodes, .. } => nodes,
            _ => 0,
        };
        let c = Core {
            end,
            seed,
            traffic: requests::Traffic::new(s, seed, end)?,
            rng: Streams {
                mix: stream("traffic.mix"),
                service: stream("fleet.service"),
                lifecycle: stream("fleet.lifecycle"),
                client: stream("client.retry"),
                faults: stream("faults"),
            },
            router: Router::new(s.balancer.algorithm, stream("balancer")),
            requests: Requests::default(),
            instances: Instances::default(),
            live: BTreeSet::new(),
            pending: VecDeque::new(),
            desired: s.fleet.initial,
            nodes: Nodes { slots, used: 0, nodes, nodes_coming: 0 },
            next_zone: 0,
            slow_starting: Vec::new(),
            slow_start_scheduled: false,
            control: control::Control::new(s),
            app_type: s.fleet.instance_type,
            rollout: None,
            surge: 0,
            vpa: s.vertical.as_ref().map(|_| scale::Vpa::new()),
            balancer: Balancer {
                held: VecDeque::new(),
                in_flight: 0,
                tokens: s.balancer.rate_limit.map_or(0.0, |(_, burst)| burst),
                tokens_at: SimTime::ZERO,
            },
            faults: Faults {
                multiplier: (1.0, None),
                latency: (SimDuration::ZERO, None),
                dependency_errors: (0.0, None),
                db_slowdown: (1.0, None),
                db_outage: None,
            },
            actions: Actions(s.events.iter().map(|e| e.action.clone()).collect()),
            retired_busy: 0.0,
            busy_at_tick: 0.0,
            running_request: 0.0,
            request_core_ns: 0.0,
            request_since: SimTime::ZERO,
            request_at_tick: 0.0,
            last_tick: SimTime::ZERO,
            last_row: None,
            rec: Recorder::new(s, sink),
            scratch: Vec::new(),
            scenario: scenario.clone(),
        };
        let mut sim = Sim { c, data: data::DataTier::new(s, seed) };
        let mut q = EventQueue::new();
        sim.cx().start(&mut q);
        Ok((sim, q))
    }
}

impl Cx<'_> {
    /// Initial instances (already up), the periodic events, the scenario's
    /// actions and the first arrival.
    fn start(&mut self, q: &mut EventQueue<Event>) {
        let s = self.c.scenario.clone();
        self.start_costs();
        for _ in 0..s.fleet.initial {
            self.create_instance(SimTime::ZERO, true, q);
        }
        q.schedule(SimTime::ZERO, Event::Scrape);
        q.schedule(SimTime::ZERO, Event::Evaluate);
        if let Some(v) = &s.vertical {
            q.schedule(SimTime::ZERO + v.interval, Event::Vertical);
        }
        if let Some(sl) = s.database.as_ref().and_then(|d| d.serverless.as_ref()) {
            q.schedule(SimTime::ZERO + sl.interval, Event::Data(DataEvent::Serverless));
        }
        q.schedule(SimTime::ZERO + s.tick.min(s.duration), Event::Tick);
        for (id, e) in self.c.actions.ids().zip(&s.events) {
            q.schedule_first(e.at, Event::Action(id));
        }
        self.c.traffic.schedule(q);
    }
}

impl Core {
    /// Instances by state: (ready, warming, starting, pending, draining).
    fn counts(&self) -> [u32; 5] {
        let mut c = [0; 5];
        for &id in &self.live {
            let slot = match self.instances[id].state {
                State::Ready => 0,
                State::Warming => 1,
                State::Provisioning | State::Booting => 2,
                State::Pending => 3,
                State::Draining => 4,
                State::Terminated => continue,
            };
            c[slot] += 1;
        }
        c
    }
}

/// One instance, as a test or the dashboard sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceView {
    /// Its id.
    pub id: u32,
    /// Its zone.
    pub zone: u32,
    /// Lifecycle state.
    pub state: State,
    /// Health as the balancer sees it.
    pub healthy: bool,
    /// Requests queued or holding a worker.
    pub in_flight: u32,
    /// Requests it completed.
    pub completed: u64,
    /// Container restarts.
    pub restarts: u32,
}

/// A run of one scenario: the engine and the model.
pub struct Simulation {
    engine: Engine<Sim>,
}

impl Simulation {
    /// Prepares a run of `scenario` with `seed`, writing to `sink`.
    pub fn new(scenario: Arc<Scenario>, seed: u64, sink: Box<dyn Sink + Send>) -> io::Result<Simulation> {
        let end = SimTime::ZERO + scenario.duration;
        let (sim, q) = Sim::new(scenario, seed, sink)?;
        Ok(Simulation { engine: Engine::new(sim, q, end) })
    }

    /// Handles one event; false once the run is over.
    pub fn step(&mut self) -> bool {
        self.engine.step()
    }

    /// Runs up to `t` (capped at the end).
    pub fn run_until(&mut self, t: SimTime) {
        self.engine.run_until(t);
    }

    /// Handles every event strictly before `t`; the clock is then `t`, and
    /// [`Simulation::inject`] acts "at t" exactly as a scenario event at t.
    pub fn run_before(&mut self, t: SimTime) {
        self.engine.run_before(t);
    }

    /// Runs to the end.
    pub fn run(&mut self) {
        self.engine.run();
    }

    /// The simulation clock.
    pub fn now(&self) -> SimTime {
        self.engine.now()
    }

    /// The end of the run.
    pub fn end(&self) -> SimTime {
        self.engine.end()
    }

    /// Whether the run is over.
    pub fn finished(&self) -> bool {
        self.engine.finished()
    }

    /// Applies an action now (game days); it is logged like a scenario event.
    ///
    /// For a session to replay byte-identically from an events file, call
    /// it after [`Simulation::run_before`]`(t)`: a scenario event at `t` acts
    /// before every other event at `t`, and so does an injection then.
    pub fn inject(&mut self, action: Action) {
        let now = self.engine.now();
        let mut cx = self.engine.model.cx();
        let id = cx.c.actions.push(action);
        cx.on_action(now, id, &mut self.engine.queue);
    }

    /// Every instance created so far, terminated ones included, by id.
    pub fn instances(&self) -> Vec<InstanceView> {
        self.engine
            .model
            .c
            .instances
            .iter()
            .map(|i| InstanceView {
                id: i.id.get(),
                zone: i.zone,
                state: i.state,
                healthy: i.healthy,
                in_flight: i.in_flight(),
                completed: i.completed,
                restarts: i.restarts,
            })
            .collect()
    }

    /// The latest time-series row, if a tick has passed.
    pub fn last_row(&self) -> Option<&TickRow> {
        self.engine.model.c.last_row.as_ref()
    }

    /// The desired replica count.
    pub fn desired(&self) -> u32 {
        self.engine.model.c.desired
    }

    /// Whether the autoscaler is frozen.
    pub fn frozen(&self) -> bool {
        self.engine.model.c.control.frozen
    }

    /// The policy's replica bounds now (min, max), after any operator change.
    pub fn bounds(&self) -> (u32, u32) {
        self.engine.model.c.control.policy.bounds()
    }

    /// The metric behind the autoscaler's last decision (what it saw and
    /// its target), if it has one.
    pub fn reading(&self) -> Option<crate::policy::Reading> {
        self.engine.model.c.control.reading
    }

    /// The scenario being run.
    pub fn scenario(&self) -> &Arc<Scenario> {
        &self.engine.model.c.scenario
    }

    /// Events handled so far.
    pub fn events_handled(&self) -> u64 {
        self.engine.handled()
    }

    /// Events handled or waiting (a measure of work).
    pub fn queue_len(&self) -> usize {
        self.engine.queue.len()
    }

    /// Runs to the end if needed, then writes the summary.
    pub fn finish(mut self) -> io::Result<Summary> {
        self.engine.run();
        let end = self.engine.end();
        let Sim { c: sim, data } = &mut self.engine.model;
        let s = &sim.scenario;
        let in_flight = sim.requests.live() as u64;
        let (requests, latency_ms, slo, cost, mut scaling, system) = sim.rec.totals(end, in_flight);
        scaling.policy = s.autoscaler.name().to_string();
        let summary = Summary {
            scenario: s.name.clone(),
            scenario_hash: format!("{:016x}", s.hash),
            seed: sim.seed,
            version: env!("CARGO_PKG_VERSION").to_string(),
            duration_s: s.duration.as_secs_f64(),
            requests,
            latency_ms,
            slo,
            system,
            data: data.as_ref().map(|d| d.summary(end)),
            cost,
            scaling,
            elasticity: sim.rec.elasticity(),
            findings: sim.rec.findings(end),
        };
        sim.rec.sink.finish(&summary)?;
        Ok(summary)
    }
}
