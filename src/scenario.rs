//! Scenario files: TOML → raw serde structs → a validated [`Scenario`].
//!
//! Everything a run needs is checked here, before anything runs: unknown
//! keys, units, ranges, cross-field rules (`min > max`), trace files (row
//! and column named). Every problem names the file, the line, the field and
//! the bad value in quotes, with a hint; all of them are reported at once.
//! Each section lives in its own module with its raw struct, its validated
//! spec and the documentation of its fields.

pub mod analysis;
pub mod autoscaler;
pub mod balancer;
pub mod cache;
pub mod client;
pub mod database;
pub mod events;
pub mod fleet;
pub mod metrics;
pub mod pool;
pub mod pooler;
pub mod replicas;
pub mod trace;
pub mod traffic;
pub mod types;
pub mod vertical;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Value;

use crate::engine::rng::fnv1a;
use crate::engine::time::SimDuration;
use crate::input::check::{Cx, FieldDoc, suggest};
pub use crate::input::document::{Document, Override};
pub use crate::input::limits;
use crate::input::limits::Limits;
use crate::input::problem::{FieldPath, Problems};
use crate::model::metrics::MetricsSpec;
use crate::model::traffic::TrafficSpec;
use crate::policy::PolicySpec;

/// The top-level fields.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "name",
        default: "the file name",
        doc: "the scenario's name (the default output directory is out/<name>/)",
    },
    FieldDoc { key: "description", default: "\"\"", doc: "one line on what it shows" },
    FieldDoc {
        key: "duration",
        default: "\"30m\", or the trace's length",
        doc: "simulated time to run (at most 400d; [limits] can raise it)",
    },
    FieldDoc { key: "seed", default: "1", doc: "master random seed (--seed overrides it)" },
    FieldDoc {
        key: "tick",
        default: "\"1s\"",
        doc: "time-series resolution: one timeseries.csv row per tick (at most 10000000 rows: duration / tick; [limits] can raise it)",
    },
    FieldDoc {
        key: "slo",
        default: "{ p99 = \"1s\", availability = 0.999, window = \"1m\" }",
        doc: "the service level objective: 99th percentile latency bound, share of requests that must succeed, and the window over which attainment is judged",
    },
];

/// Every section, with its fields' documentation (for `scalesim fields`).
pub const SECTIONS: &[(&str, &[FieldDoc])] = &[
    ("", FIELDS),
    ("traffic", traffic::FIELDS),
    ("client", client::FIELDS),
    ("balancer", balancer::FIELDS),
    ("fleet", fleet::FIELDS),
    ("metrics", metrics::FIELDS),
    ("pool", pool::FIELDS),
    ("pooler", pooler::FIELDS),
    ("cache", cache::FIELDS),
    ("database", database::FIELDS),
    ("replicas", replicas::FIELDS),
    ("autoscaler", autoscaler::FIELDS),
    ("vertical", vertical::FIELDS),
    ("analysis", analysis::FIELDS),
    ("events", events::FIELDS),
    ("limits", LIMIT_FIELDS),
];

/// The `[limits]` fields: each raises (or lowers) one size limit for this
/// scenario; see [`limits`] for why each default is what it is.
pub const LIMIT_FIELDS: &[FieldDoc] = &[
    FieldDoc {
        key: "duration",
        default: "\"400d\"",
        doc: "the longest simulated duration, and how far into a trace a run may reach (offset + this × speedup); past it a duration is more often a mistake, such as epoch timestamps, than a plan. Every limit here may be raised deliberately for a big run",
    },
    FieldDoc { key: "rows", default: "10000000", doc: "the most timeseries.csv rows, duration / tick (about 1.5 GB)" },
    FieldDoc {
        key: "arrivals",
        default: "5e9",
        doc: "the most requests the traffic may offer over the run (its rate bound integrated, traffic_multiplier events included); the 87-day World Cup trace is 1.35e9",
    },
    FieldDoc {
        key: "rate",
        default: "1e7",
        doc: "the highest offered rate in rps; each simulated second costs about a real second per million requests",
    },
    FieldDoc {
        key: "keys",
        default: "10000000",
        doc: "the most keys in traffic.keys.count (a cache holds an entry per key)",
    },
    FieldDoc {
        key: "instances",
        default: "100000",
        doc: "the most instances of the fleet: initial, a capacity, max_nodes × pods_per_node",
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    duration: Option<Value>,
    rows: Option<i64>,
    arrivals: Option<f64>,
    rate: Option<f64>,
    keys: Option<i64>,
    instances: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlo {
    p99: Option<Value>,
    availability: Option<f64>,
    window: Option<Value>,
}

/// The service level objective.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// Latency bound for the 99th percentile.
    pub p99: SimDuration,
    /// Share of requests that must succeed.
    pub availability: f64,
    /// Window over which attainment is judged.
    pub window: SimDuration,
}

/// A validated scenario: everything a run needs, checked.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// One line on what it shows.
    pub description: String,
    /// The file it came from.
    pub path: PathBuf,
    /// Simulated time to run.
    pub duration: SimDuration,
    /// Master seed.
    pub seed: u64,
    /// Time-series resolution.
    pub tick: SimDuration,
    /// The objective.
    pub slo: Slo,
    /// `[traffic]`.
    pub traffic: TrafficSpec,
    /// `[client]`.
    pub client: client::ClientSpec,
    /// `[balancer]`.
    pub balancer: balancer::BalancerSpec,
    /// `[fleet]`.
    pub fleet: fleet::FleetSpec,
    /// `[metrics]`.
    pub metrics: MetricsSpec,
    /// `[database]`, if there is one.
    pub database: Option<database::DatabaseSpec>,
    /// `[pool]` (defaults when there is a database and no section).
    pub pool: Option<pool::PoolSpec>,
    /// `[pooler]`, if there is one.
    pub pooler: Option<pooler::PoolerSpec>,
    /// `[cache]`, if there is one.
    pub cache: Option<cache::CacheSpec>,
    /// `[replicas]`, if there are read replicas.
    pub replicas: Option<replicas::ReplicaSpec>,
    /// `[autoscaler]`.
    pub autoscaler: PolicySpec,
    /// `[vertical]`, if the app tier is scaled vertically.
    pub vertical: Option<vertical::VerticalSpec>,
    /// The currency of every price in the run.
    pub currency: String,
    /// `[analysis]`: the detectors' thresholds.
    pub analysis: analysis::AnalysisSpec,
    /// `[[events]]`, in time order.
    pub events: Vec<events::TimedAction>,
    /// A digest of the merged scenario (without the seed) and its traces.
    pub hash: u64,
}

impl Scenario {
    /// Loads and validates a scenario file with `--set` overrides applied.
    pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario, Problems> {
        let doc = Document::load(path, overrides)?;
        Scenario::validate(&doc)
    }

    /// Like [`Scenario::load`], with the `[[events]]` of a session file
    /// appended (`scalesim run --events`).
    pub fn load_with_events(path: &Path, overrides: &[Override], events: Option<&Path>) -> Result<Scenario, Problems> {
        let mut doc = Document::load(path, overrides)?;
        if let Some(e) = events {
            doc.append_events(e)?;
        }
        Scenario::validate(&doc)
    }

    /// Loads and validates scenario text (tests, generated scenarios).
    pub fn from_text(path: &Path, text: &str, overrides: &[Override]) -> Result<Scenario, Problems> {
        let doc = Document::from_text(path, text, overrides)?;
        Scenario::validate(&doc)
    }

    /// Validates a merged document.
    pub fn validate(doc: &Document) -> Result<Scenario, Problems> {
        let mut cx = Cx::new(doc);
        let root = FieldPath::root();
        let known: Vec<&str> = FIELDS.iter().map(|f| f.key).chain(SECTIONS[1..].iter().map(|(s, _)| *s)).collect();
        for key in doc.table.keys() {
            if !known.contains(&key.as_str()) {
                let hint =
                    suggest(key, &known).unwrap_or_else(|| format!("the top-level keys are: {}", known.join(", ")));
                cx.error(&root.key(key), format!("unknown field '{key}'"), Some(hint));
            }
        }
        let text = |cx: &mut Cx<'_>, key: &str| -> Option<String> {
            match doc.table.get(key) {
                None => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => {
                    cx.error(&root.key(key), format!("'{other}' is not a string"), None);
                    None
                }
            }
        };
        let default_name = doc.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let name = text(&mut cx, "name").unwrap_or(default_name);
        let description = text(&mut cx, "description").unwrap_or_default();
        let seed = match doc.table.get("seed") {
            None => 1,
            Some(Value::Integer(n)) if *n >= 0 => *n as u64,
            Some(other) => {
                cx.error(&root.key("seed"), format!("'{other}' is not a seed"), Some("use a whole number ≥ 0".into()));
                1
            }
        };
        let tick = cx.duration(&root.key("tick"), doc.table.get("tick"), SimDuration::from_secs(1));
        if tick.is_zero() {
            cx.error(&root.key("tick"), "'0s' is not a resolution", Some("use e.g. \"1s\"".into()));
        }
        let slo = validate_slo(&mut cx);
        let limits = validate_limits(&mut cx);

        // Each section is `Err` only with the proof that it reported why.
        let traffic = cx.section(&root.key("traffic"), |cx| traffic::validate(cx, &limits));
        let client = cx.section(&root.key("client"), client::validate);
        let balancer = cx.section(&root.key("balancer"), balancer::validate);
        let fleet = cx.section(&root.key("fleet"), |cx| fleet::validate(cx, &limits));
        let metrics = cx.section(&root.key("metrics"), metrics::validate);
        let data = cx.section(&root.key("database"), validate_data_tier);
        let primary = data.as_ref().ok().and_then(|d| d.0.as_ref());
        let replicas = cx.section(&root.key("replicas"), |cx| replicas::validate(cx, primary));
        let vertical = cx.section(&root.key("vertical"), |cx| vertical::validate(cx, fleet.as_ref().ok()));
        let initial = fleet.as_ref().map_or(1, |f| f.initial);
        let autoscaler = cx.section(&root.key("autoscaler"), |cx| autoscaler::validate(cx, initial));
        let mut events = events::validate(&mut cx);
        let analysis = cx.section(&root.key("analysis"), analysis::validate);

        let natural = traffic.as_ref().ok().and_then(|t| t.natural_length());
        let default_duration = natural.map_or(SimDuration::from_secs(1800), SimDuration::from_secs_f64);
        let duration = cx.duration(&root.key("duration"), doc.table.get("duration"), default_duration);
        if duration.is_zero() {
            cx.error(&root.key("duration"), "'0s' runs nothing", Some("use e.g. duration = \"30m\"".into()));
        }
        check_run_length(&mut cx, duration, tick, &limits);
        if let Ok(traffic) = &traffic
            && duration <= limits.duration
        {
            check_offered_load(&mut cx, traffic, duration, &events, &limits);
        }
        check_event_times(&mut cx, &events, duration);
        if let Ok(fleet) = &fleet {
            check_zone_events(&mut cx, &events, fleet.zones);
        }
        if let Ok(policy) = &autoscaler {
            check_policy_events(&mut cx, policy, &events, initial);
        }
        if let Ok((database, _, _, cache)) = &data {
            check_data_events(&mut cx, &events, database.is_some(), cache.is_some());
        }
        // An invalid [replicas] has reported why; it is checked no further.
        let replicas = replicas.ok().flatten();
        if let (Ok(fleet), Ok(data)) = (&fleet, &data) {
            check_resize_events(&mut cx, &events, fleet, data.0.as_ref(), replicas.as_ref());
        }
        let currency = match &fleet {
            Ok(f) => currency(&mut cx, f, data.as_ref().ok(), replicas.as_ref()),
            Err(_) => "USD".into(),
        };
        events.sort_by_key(|e| e.at); // stable: equal times keep file order
        let sections =
            (move || Ok((traffic?, client?, balancer?, fleet?, metrics?, autoscaler?, data?, analysis?, vertical?)))();
        let (traffic, client, balancer, fleet, metrics, autoscaler, data, analysis, vertical) = match sections {
            Ok(s) => s,
            Err(proof) => return Err(cx.problems(proof)),
        };
        // Every section is valid; top-level fields and cross-checks may not be.
        cx.finish()?;
        let mut canonical = doc.table.clone();
        canonical.remove("seed");
        let hash = fnv1a(toml::to_string(&canonical).unwrap_or_default().as_bytes()) ^ traffic.digest();
        Ok(Scenario {
            name,
            description,
            path: doc.path.clone(),
            duration,
            seed,
            tick,
            slo,
            traffic,
            client,
            balancer,
            fleet,
            metrics,
            database: data.0,
            pool: data.1,
            pooler: data.2,
            cache: data.3,
            replicas,
            autoscaler,
            vertical,
            currency,
            analysis,
            events,
            hash,
        })
    }
}

/// `[limits]`: the size limits in force, the defaults unless raised.
fn validate_limits(cx: &mut Cx<'_>) -> Limits {
    let at = FieldPath::root().key("limits");
    let default = Limits::default();
    let Some(value) = cx.value(&at) else {
        return default;
    };
    let Some(raw) = cx.parse::<RawLimits>(&at, value) else {
        return default;
    };
    let limits = Limits {
        duration: cx.duration(&at.key("duration"), raw.duration.as_ref(), default.duration),
        rows: cx.int_in(&at.key("rows"), raw.rows, default.rows, 1, u64::MAX),
        arrivals: cx.positive(&at.key("arrivals"), raw.arrivals, default.arrivals),
        rate: cx.positive(&at.key("rate"), raw.rate, default.rate),
        keys: cx.int_in(&at.key("keys"), raw.keys, default.keys, 1, u32::MAX as u64),
        instances: cx.int_in(&at.key("instances"), raw.instances, default.instances, 1, u32::MAX as u64),
    };
    if limits.duration.is_zero() {
        cx.error(&at.key("duration"), "'0s' allows no run", Some(format!("the default is \"{}\"", default.duration)));
    }
    limits
}

/// The run's length and its number of rows are within the limits.
fn check_run_length(cx: &mut Cx<'_>, duration: SimDuration, tick: SimDuration, limits: &Limits) {
    let root = FieldPath::root();
    if duration > limits.duration {
        cx.error(
            &root.key("duration"),
            format!("'{duration}' is longer than the longest run, {}", limits.duration),
            Some(format!(
                "simulate at most {}; replay a longer trace faster with traffic.speedup, or raise limits.duration deliberately",
                limits.duration
            )),
        );
        return;
    }
    if tick.is_zero() {
        return; // reported with the tick
    }
    let rows = duration.as_nanos().div_ceil(tick.as_nanos());
    if rows > limits.rows {
        cx.error(
            &root.key("tick"),
            format!("'{tick}' writes {rows} rows over {duration}, more than {}", limits.rows),
            Some(format!(
                "use tick = \"{}\" or longer: one timeseries.csv row per tick (or raise limits.rows deliberately)",
                limits.tick_for(duration)
            )),
        );
    }
}

/// The traffic offered over the run, `traffic_multiplier` events included,
/// is within the limits on arrivals and on the rate.
fn check_offered_load(
    cx: &mut Cx<'_>,
    traffic: &TrafficSpec,
    duration: SimDuration,
    events: &[events::TimedAction],
    limits: &Limits,
) {
    use crate::model::traffic::Source;
    let end = duration.as_secs_f64();
    // A multiplier replaces the one before and reverts to 1 when its own
    // duration ends, so at any instant it is 1 or one of the active factors.
    let windows: Vec<(f64, f64, f64)> = events
        .iter()
        .filter_map(|e| match &e.action {
            events::Action::TrafficMultiplier { factor, duration } => {
                let from = e.at.as_secs_f64();
                Some((from, duration.map_or(f64::INFINITY, |d| from + d.as_secs_f64()), *factor))
            }
            _ => None,
        })
        .collect();
    let factor_on = |a: f64, b: f64| {
        windows.iter().filter(|(from, to, _)| *from < b && *to > a).fold(1.0f64, |m, (_, _, f)| m.max(*f))
    };
    let at = FieldPath::root().key("traffic");
    let (field, arrivals, peak) = match &traffic.source {
        Source::Requests(log) => {
            ("requests", log.rows as f64 * traffic.scale / traffic.speedup * factor_on(0.0, end), None)
        }
        source => {
            let mut cuts: Vec<f64> = windows.iter().flat_map(|(from, to, _)| [*from, *to]).collect();
            cuts.extend([0.0, end]);
            cuts.retain(|t| (0.0..=end).contains(t));
            cuts.sort_by(f64::total_cmp);
            cuts.dedup();
            let (mut arrivals, mut peak) = (0.0, 0.0f64);
            for w in cuts.windows(2) {
                let f = factor_on(w[0], w[1]);
                let (n, p) = traffic.offered(w[0], w[1]).unwrap_or_default();
                arrivals += n * f;
                peak = peak.max(p * f);
            }
            let field = match source {
                Source::Shapes(_) => "shape",
                _ if cx.value(&at.key("scale")).is_some() => "scale",
                _ => "trace",
            };
            (field, arrivals, Some(peak))
        }
    };
    let with = if factor_on(0.0, end) > 1.0 { " with the traffic_multiplier events" } else { "" };
    if let Some(peak) = peak.filter(|p| *p > limits.rate) {
        cx.error(
            &at.key(field),
            format!("the offered rate peaks at {peak:.0} rps{with}, more than {:.0} rps", limits.rate),
            Some("model a share of the traffic (a zone's, a shard's) with lower rates or traffic.scale: each simulated second costs about a real second per million requests (or raise limits.rate deliberately)".into()),
        );
    } else if arrivals > limits.arrivals {
        cx.error(
            &at.key(field),
            format!("offers about {arrivals:.0} requests over {duration}{with}, more than {:.0}", limits.arrivals),
            Some("lower the rates or traffic.scale, or shorten duration (the whole 87-day World Cup trace is 1.35e9 requests), or raise limits.arrivals deliberately".into()),
        );
    }
}

fn validate_slo(cx: &mut Cx<'_>) -> Slo {
    let at = FieldPath::root().key("slo");
    let default = Slo { p99: SimDuration::from_secs(1), availability: 0.999, window: SimDuration::from_secs(60) };
    let Some(value) = cx.value(&at) else {
        return default;
    };
    let Some(raw) = cx.parse::<RawSlo>(&at, value) else {
        return default;
    };
    let slo = Slo {
        p99: cx.duration(&at.key("p99"), raw.p99.as_ref(), default.p99),
        availability: cx.float_in(&at.key("availability"), raw.availability, default.availability, 0.0, 1.0),
        window: cx.duration(&at.key("window"), raw.window.as_ref(), default.window),
    };
    if slo.p99.is_zero() {
        cx.error(&at.key("p99"), "'0s' cannot be met", Some("use a latency bound such as \"500ms\"".into()));
    }
    if slo.window.is_zero() {
        cx.error(&at.key("window"), "'0s' is not a window", Some("use e.g. \"1m\"".into()));
    }
    slo
}

/// The data tier: a pool, a pooler or a cache needs a database behind it.
type DataTier =
    (Option<database::DatabaseSpec>, Option<pool::PoolSpec>, Option<pooler::PoolerSpec>, Option<cache::CacheSpec>);

fn validate_data_tier(cx: &mut Cx<'_>) -> Option<DataTier> {
    let database = database::validate(cx)?;
    let pool = pool::validate(cx)?;
    let pooler = pooler::validate(cx)?;
    let cache = cache::validate(cx)?;
    if database.is_none() {
        for (section, present) in [
            ("pool", cx.value(&FieldPath::root().key("pool")).is_some()),
            ("pooler", pooler.is_some()),
            ("cache", cache.is_some()),
        ] {
            if present {
                cx.error(
                    &FieldPath::root().key(section),
                    format!("[{section}] needs a [database] behind it"),
                    Some("add a [database] section, or remove this one".into()),
                );
            }
        }
        return Some((None, None, None, None));
    }
    Some((database, Some(pool), pooler, cache))
}

/// Every event happens within the run: one after its end would be silently
/// ignored. (An event at the very end is still handled.)
fn check_event_times(cx: &mut Cx<'_>, events: &[events::TimedAction], duration: SimDuration) {
    for (i, e) in events.iter().enumerate() {
        let at = e.at.saturating_since(crate::engine::time::SimTime::ZERO);
        if at > duration {
            cx.error(
                &FieldPath::root().key("events").index(i).key("at"),
                format!("'{at}' is after the end of the run, at {duration}"),
                Some("use a time within duration, or lengthen duration".into()),
            );
        }
    }
}

/// A zone fault names a zone the fleet has (zones are numbered from 0).
fn check_zone_events(cx: &mut Cx<'_>, events: &[events::TimedAction], zones: u32) {
    for (i, e) in events.iter().enumerate() {
        if let events::Action::KillZone(zone) = e.action
            && zone >= zones
        {
            let has = if zones == 1 { "one zone, 0".to_string() } else { format!("{zones} zones, 0 to {}", zones - 1) };
            cx.error(
                &FieldPath::root().key("events").index(i).key("zone"),
                format!("zone '{zone}' does not exist: the fleet has {has}"),
                Some("name a zone below fleet.zones, or raise fleet.zones".into()),
            );
        }
    }
}

/// Database and cache faults need a database and a cache.
fn check_data_events(cx: &mut Cx<'_>, events: &[events::TimedAction], database: bool, cache: bool) {
    for (i, e) in events.iter().enumerate() {
        let needs = match e.action {
            events::Action::DbSlowdown { .. } | events::Action::DbOutage { .. } if !database => "[database]",
            events::Action::CacheFlush if !cache => "[cache]",
            _ => continue,
        };
        cx.error(
            &FieldPath::root().key("events").index(i).key("action"),
            format!("'{}' needs a {needs} section in the scenario", e.action.name()),
            None,
        );
    }
}

/// A resize names a tier that has a family of types (and, for a named
/// type, one of them); a serverless database is not resized by type.
fn check_resize_events(
    cx: &mut Cx<'_>,
    events: &[events::TimedAction],
    fleet: &fleet::FleetSpec,
    database: Option<&database::DatabaseSpec>,
    replicas: Option<&replicas::ReplicaSpec>,
) {
    for (i, e) in events.iter().enumerate() {
        let events::Action::Resize { tier, to } = &e.action else { continue };
        let at = FieldPath::root().key("events").index(i);
        let family = match tier {
            events::Tier::App => fleet.family.as_ref(),
            events::Tier::Database => match database {
                None => {
                    cx.error(&at.key("tier"), "'database' needs a [database] section in the scenario", None);
                    continue;
                }
                Some(d) if d.serverless.is_some() => {
                    cx.error(
                        &at.key("tier"),
                        "a serverless database scales itself between min_acu and max_acu",
                        Some("resize a provisioned database (with type), or change the ACU range".into()),
                    );
                    continue;
                }
                Some(d) => d.family.as_ref(),
            },
            events::Tier::Replicas => match replicas {
                None => {
                    cx.error(&at.key("tier"), "'replicas' needs a [replicas] section in the scenario", None);
                    continue;
                }
                Some(r) => r.db.family.as_ref(),
            },
        };
        let Some(family) = family else {
            cx.error(
                &at.key("tier"),
                format!("the {} tier has no instance types to resize along", tier.name()),
                Some(format!("give [{}] types = \"...\" and type = \"...\"", section_of(*tier))),
            );
            continue;
        };
        if let events::Size::Type(name) = to
            && family.find(name).is_none()
        {
            let hint = format!("the types of {} are: {}", family.name, family.names().join(", "));
            cx.error(&at.key("type"), format!("'{name}' is not a type of the {} family", family.name), Some(hint));
        }
    }
}

fn section_of(tier: events::Tier) -> &'static str {
    match tier {
        events::Tier::App => "fleet",
        events::Tier::Database => "database",
        events::Tier::Replicas => "replicas",
    }
}

/// The currency of the run: every family named must use the same one.
fn currency(
    cx: &mut Cx<'_>,
    fleet: &fleet::FleetSpec,
    data: Option<&DataTier>,
    replicas: Option<&replicas::ReplicaSpec>,
) -> String {
    let families = [
        ("fleet", fleet.family.as_ref()),
        ("database", data.and_then(|d| d.0.as_ref()).and_then(|d| d.family.as_ref())),
        ("replicas", replicas.and_then(|r| r.db.family.as_ref())),
    ];
    let mut currency: Option<(&str, &str)> = None;
    for (section, family) in families {
        let Some(f) = family else { continue };
        match currency {
            None => currency = Some((section, &f.currency)),
            Some((first, c)) if c != f.currency => cx.error(
                &FieldPath::root().key(section).key("types"),
                format!("prices in '{}' do not add up with [{first}]'s in '{c}'", f.currency),
                Some("use families priced in one currency".into()),
            ),
            Some(_) => {}
        }
    }
    currency.map_or_else(|| "USD".into(), |(_, c)| c.to_string())
}

/// `set_policy_field` actions are checked against the policy before the run.
fn check_policy_events(cx: &mut Cx<'_>, policy: &PolicySpec, events: &[events::TimedAction], initial: u32) {
    for (i, e) in events.iter().enumerate() {
        if let events::Action::SetPolicyField { field, value } = &e.action {
            let at = FieldPath::root().key("events").index(i).key("value");
            crate::policy::with_field(cx, &at, policy, field, value, initial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::limits::*;

    /// A big run is a feature: `[limits]` raises a limit deliberately, for
    /// this scenario only, and a raised limit is still enforced.
    #[test]
    fn limits_can_be_raised_deliberately() {
        let text = |limits: &str| {
            format!(
                "duration = \"500d\"\ntick = \"1m\"\n{limits}[traffic]\nshape = {{ kind = \"constant\", rps = 1 }}\n"
            )
        };
        let load = |t: &str| Scenario::from_text(Path::new("big.toml"), t, &[]);
        let e = load(&text("")).unwrap_err().to_string();
        assert!(e.contains("big.toml:1: duration: '500d' is longer than the longest run, 400d"), "{e}");
        assert!(e.contains("or raise limits.duration deliberately"), "{e}");
        assert!(load(&text("[limits]\nduration = \"500d\"\n")).is_ok());
        let e = load(&text("[limits]\nduration = \"450d\"\n")).unwrap_err().to_string();
        assert!(e.contains("longer than the longest run, 450d"), "{e}");
        let e = load(&text("[limits]\nduration = \"500d\"\nrows = 1000\n")).unwrap_err().to_string();
        assert!(e.contains("tick: '1m' writes 720000 rows over 500d, more than 1000"), "{e}");
        let e = load(&text("[limits]\nrowz = 1\n")).unwrap_err().to_string();
        assert!(e.contains("limits.rowz: unknown field 'rowz'") && e.contains("did you mean 'rows'?"), "{e}");
    }

    /// `scalesim fields` states each limit with the number enforced here.
    #[test]
    fn the_fields_document_the_limits() {
        let doc = |section: &str, key: &str| {
            let (_, fields) = SECTIONS.iter().find(|(s, _)| *s == section).unwrap();
            fields.iter().find(|f| f.key == key).unwrap().doc
        };
        assert!(doc("", "duration").contains(&format!("at most {MAX_DURATION}")));
        assert!(doc("", "tick").contains(&format!("at most {MAX_ROWS} rows")));
        assert!(doc("traffic", "keys").contains(&format!("at most {MAX_KEYS}")));
        assert!(doc("fleet", "capacity").contains(&format!("At most {MAX_INSTANCES} instances")));
        assert!(doc("fleet", "initial").contains(&format!("at most {MAX_INSTANCES}")));
        let shape = doc("traffic", "shape");
        assert!(shape.contains(&format!("at most {MAX_RATE} rps and {MAX_ARRIVALS} requests")), "{shape}");
        assert!(doc("traffic", "trace").contains(&format!("offset + {MAX_DURATION} × speedup")));
        // [limits] documents each default as the number enforced.
        let default = |key: &str| LIMIT_FIELDS.iter().find(|f| f.key == key).unwrap().default;
        assert_eq!(default("duration"), format!("\"{MAX_DURATION}\""));
        assert_eq!(default("rows").parse::<u64>(), Ok(MAX_ROWS));
        assert_eq!(default("arrivals").parse::<f64>(), Ok(MAX_ARRIVALS));
        assert_eq!(default("rate").parse::<f64>(), Ok(MAX_RATE));
        assert_eq!(default("keys").parse::<u64>(), Ok(MAX_KEYS));
        assert_eq!(default("instances").parse::<u64>(), Ok(MAX_INSTANCES));
    }
}
