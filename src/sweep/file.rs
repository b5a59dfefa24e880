//! Sweep files: TOML → a checked [`SweepFile`], every problem located at its
//! line. The sweep file is read with the scenario's own machinery
//! ([`Document`] for lines, [`Cx`] for typed fields), so its messages look
//! like a scenario's.
//!
//! ```toml
//! name = "worldcup-threshold"
//! scenario = "../scenarios/worldcup-semifinal.toml"   # relative to this file
//! set = ["duration=30m"]                              # fixed overrides, as --set
//! seeds = 2                                           # or a list: [11, 12, 13]
//! sampling = { method = "grid" }                      # | random | latin_hypercube, samples, seed
//! skip_invalid = false                                # skip points the scenario refuses
//!
//! [[param]]
//! path = "autoscaler.scale_up_above"
//! values = [0.6, 0.7, 0.8]
//!
//! [[param]]
//! path = "autoscaler.cooldown"
//! range = { from = "15s", to = "4m", count = 4, scale = "log" }
//!
//! [[filter]]
//! skip_if = "autoscaler.scale_down_below >= autoscaler.scale_up_above"
//! reason = "no hysteresis band"
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Value;

use super::filter::Expr;
use crate::engine::time::SimDuration;
use crate::input::check::{Cx, show};
use crate::input::problem::{FieldPath, Origin, Problem, Problems, Segment};
use crate::scenario::{Document, Override};

/// Most points a sweep may have (before filters).
pub const MAX_POINTS: u64 = 1_000_000;

/// Most values one range may expand to: past this a parameter's steps are
/// finer than any result can resolve (and a million values would be
/// deduplicated value by value before anything runs).
pub const MAX_RANGE_VALUES: u64 = 10_000;

/// Most seeds per point, as a count or a list.
pub const MAX_SEEDS: u64 = 100_000;

/// Most runs (points × seeds) a sweep may have: ten million runs of a
/// tenth of a second are twelve days of one core.
pub const MAX_RUNS: u64 = 10_000_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    name: Option<String>,
    description: Option<String>,
    scenario: String,
    set: Option<Vec<String>>,
    seeds: Option<Value>,
    sampling: Option<RawSampling>,
    skip_invalid: Option<bool>,
    param: Option<Vec<RawParam>>,
    filter: Option<Vec<RawFilter>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSampling {
    method: String,
    samples: Option<i64>,
    seed: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    path: String,
    values: Option<Vec<Value>>,
    range: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    from: Value,
    to: Value,
    count: Option<i64>,
    scale: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    skip_if: String,
    reason: Option<String>,
}

/// Replicate seeds: every point runs once per seed (common random numbers:
/// the same seeds for every point, so points differ by their parameters,
/// not by luck).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seeds {
    /// `seeds = n`: the scenario's seed, seed + 1, …, seed + n − 1.
    Count(u64),
    /// `seeds = [a, b, …]`: exactly these.
    List(Vec<u64>),
}

impl Seeds {
    /// How many.
    pub fn count(&self) -> usize {
        match self {
            Seeds::Count(n) => *n as usize,
            Seeds::List(l) => l.len(),
        }
    }

    /// The seeds, given the base scenario's seed.
    pub fn resolve(&self, base: u64) -> Vec<u64> {
        match self {
            Seeds::Count(n) => (0..*n).map(|i| base.wrapping_add(i)).collect(),
            Seeds::List(l) => l.clone(),
        }
    }
}

/// How points are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampling {
    /// Every combination of the parameters' values (the first parameter
    /// varies slowest).
    Grid,
    /// `samples` independent uniform draws.
    Random {
        /// Points to draw.
        samples: u64,
        /// Seed of the draws.
        seed: u64,
    },
    /// Latin hypercube: each parameter's range cut into `samples` strata,
    /// each stratum used exactly once.
    LatinHypercube {
        /// Points to draw.
        samples: u64,
        /// Seed of the draws.
        seed: u64,
    },
}

/// Linear or logarithmic spacing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Evenly spaced.
    Linear,
    /// Evenly spaced logarithms (bounds must be > 0).
    Log,
}

/// What a range's bounds are, which fixes how its values are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Whole numbers (both bounds integers): values rounded to integers.
    Integer,
    /// Numbers: values rounded to 6 significant digits.
    Float,
    /// Durations (both bounds duration strings): values rounded to the
    /// millisecond (microsecond below 1 ms), written like `"37500ms"`.
    Duration,
}

/// A range of values.
#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    /// First bound (nanoseconds for durations).
    pub from: f64,
    /// Second bound.
    pub to: f64,
    /// Values in a grid (`None` when sampled).
    pub count: Option<usize>,
    /// Spacing.
    pub scale: Scale,
    /// What the bounds are.
    pub unit: Unit,
}

/// Where a parameter's values come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// An explicit list.
    Values(Vec<Value>),
    /// A range.
    Range(Range),
}

impl Source {
    /// How many values it gives a grid (a range before deduplication).
    fn len(&self) -> usize {
        match self {
            Source::Values(v) => v.len(),
            Source::Range(r) => r.count.unwrap_or(1),
        }
    }
}

/// At most 80 characters of `text`, for quoting it in a message.
fn abridged(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// One `[[param]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSpec {
    /// The scenario field it sets (any path `--set` accepts).
    pub path: FieldPath,
    /// The path as written (the column name).
    pub name: String,
    /// Its values.
    pub source: Source,
}

/// One `[[filter]]`.
#[derive(Clone, Debug)]
pub struct FilterSpec {
    /// The expression as written.
    pub text: String,
    /// Why such points are skipped (the expression, if not given).
    pub reason: String,
    /// The parsed expression.
    pub expr: Expr,
}

/// A checked sweep file.
pub struct SweepFile {
    /// The file.
    pub path: PathBuf,
    /// Its bytes (part of the sweep hash).
    pub text: String,
    /// The sweep's name (default: the file name).
    pub name: String,
    /// One line on what it explores.
    pub description: String,
    /// The base scenario, resolved against the sweep file's directory.
    pub scenario: PathBuf,
    /// Fixed overrides for every run.
    pub set: Vec<Override>,
    /// Replicates.
    pub seeds: Seeds,
    /// How points are chosen.
    pub sampling: Sampling,
    /// Skip points the scenario refuses (instead of failing).
    pub skip_invalid: bool,
    /// The parameters, in file order.
    pub params: Vec<ParamSpec>,
    /// The filters, in file order.
    pub filters: Vec<FilterSpec>,
    doc: Document,
}

impl std::fmt::Debug for SweepFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SweepFile").field("path", &self.path).field("name", &self.name).finish_non_exhaustive()
    }
}

impl SweepFile {
    /// Reads and checks a sweep file (not yet against its scenario).
    pub fn load(path: &Path) -> Result<SweepFile, Problems> {
        let text = crate::input::read_to_string(path).map_err(|e| {
            Problems(vec![Problem {
                origin: Origin::File { path: path.to_path_buf(), line: None },
                field: None,
                message: format!("cannot read the sweep file: {e}"),
                hint: None,
            }])
        })?;
        let doc = Document::from_text(path, &text, &[])?;
        let parts = {
            let mut cx = Cx::new(&doc);
            let parts = check(&mut cx);
            cx.finish().map_err(|p| name_params(&doc, p))?;
            // `check` returns None only after recording a problem, and finish() had none.
            parts.expect("no problem, so every part was read")
        };
        Ok(SweepFile {
            path: path.to_path_buf(),
            text,
            name: parts.name,
            description: parts.description,
            scenario: parts.scenario,
            set: parts.set,
            seeds: parts.seeds,
            sampling: parts.sampling,
            skip_invalid: parts.skip_invalid,
            params: parts.params,
            filters: parts.filters,
            doc,
        })
    }

    /// The line of a field of the sweep file (or of its nearest enclosing
    /// table).
    pub fn line(&self, field: &FieldPath) -> Option<usize> {
        match self.doc.origin(field) {
            Origin::File { line, .. } => line,
            Origin::Override(_) => None,
        }
    }

    /// A problem located at a field of the sweep file.
    pub fn problem(&self, field: &FieldPath, message: String, hint: Option<String>) -> Problem {
        Problem { origin: Origin::File { path: self.path.clone(), line: self.line(field) }, field: None, message, hint }
    }

    /// Where the `i`-th parameter's `j`-th value is written: the list item, or
    /// the range that generated it.
    pub fn value_field(&self, i: usize, j: usize) -> FieldPath {
        let at = FieldPath::root().key("param").index(i);
        match self.params[i].source {
            Source::Values(_) => at.key("values").index(j),
            Source::Range(_) => at.key("range"),
        }
    }
}

/// Problems under `param[i]` name the parameter by its path:
/// `parameter 'autoscaler.step': range.count: ...`.
fn name_params(doc: &Document, problems: Problems) -> Problems {
    let named = |mut p: Problem| {
        let Some(field) = &p.field else { return p };
        let [Segment::Key(k), Segment::Index(i), rest @ ..] = field.segments() else { return p };
        let path = doc.table.get(k).and_then(|v| v.get(*i)).and_then(|v| v.get("path")).and_then(Value::as_str);
        let (Some(path), true) = (path, k == "param") else { return p };
        let mut sub = FieldPath::root();
        for seg in rest {
            sub = match seg {
                Segment::Key(k) => sub.key(k),
                Segment::Index(n) => sub.index(*n),
            };
        }
        let is_path = sub == FieldPath::root().key("path");
        let sub = if sub.is_root() || is_path { String::new() } else { format!("{sub}: ") };
        // A bad path is quoted by the message itself.
        p.message = if is_path { p.message } else { format!("parameter '{}': {sub}{}", abridged(path), p.message) };
        p.field = None;
        p
    };
    Problems(problems.0.into_iter().map(named).collect())
}

/// The checked fields of a sweep file.
struct Parts {
    name: String,
    description: String,
    scenario: PathBuf,
    set: Vec<Override>,
    seeds: Seeds,
    sampling: Sampling,
    skip_invalid: bool,
    params: Vec<ParamSpec>,
    filters: Vec<FilterSpec>,
}

/// Reads every field, recording problems in `cx`; `None` if the file does
/// not even have the sweep's shape.
fn check(cx: &mut Cx<'_>) -> Option<Parts> {
    let doc = cx.doc;
    let root = FieldPath::root();
    let raw = cx.parse::<RawSweep>(&root, &Value::Table(doc.table.clone()))?;

    let stem = doc.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = raw.name.clone().unwrap_or(stem);
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        cx.error(
            &root.key("name"),
            format!("'{name}' is not a sweep name"),
            Some("use letters, digits, '-', '_' and '.' (it names the output file)".into()),
        );
    }

    let mut set = Vec::new();
    for (k, arg) in raw.set.iter().flatten().enumerate() {
        match Override::parse(arg) {
            Ok(o) => set.push(o),
            Err(p) => cx.error(
                &root.key("set").index(k),
                p.message,
                Some("write \"section.field=value\" as for --set, e.g. \"duration=30m\"".into()),
            ),
        }
    }

    let seeds = seeds(cx, raw.seeds.as_ref());
    let sampling = sampling(cx, raw.sampling.as_ref());
    let grid = sampling == Sampling::Grid;

    let mut params: Vec<ParamSpec> = Vec::new();
    for (i, p) in raw.param.iter().flatten().enumerate() {
        let at = root.key("param").index(i);
        let path = match FieldPath::parse_checked(p.path.trim()) {
            Ok(path) => path,
            Err(e) => {
                cx.error(
                    &at.key("path"),
                    format!("'{}' {e}", abridged(&p.path)),
                    Some("write a scenario field as for --set, e.g. \"autoscaler.scale_up_above\"".into()),
                );
                continue;
            }
        };
        if path == FieldPath::root().key("seed") {
            cx.error(&at.key("path"), "'seed' is swept with seeds, not as a parameter", Some("write seeds = 5".into()));
            continue;
        }
        if let Some(prev) = params.iter().find(|q| q.path.starts_with(&path) || path.starts_with(&q.path)) {
            let msg = if prev.path == path {
                format!("'{}' is swept twice", prev.name)
            } else {
                format!("'{path}' overlaps the swept '{}'", prev.name)
            };
            cx.error(&at.key("path"), msg, Some("sweep a field once: merge the two [[param]]".into()));
            continue;
        }
        if let Some(o) = set.iter().find(|o| o.path == path || path.starts_with(&o.path) || o.path.starts_with(&path)) {
            cx.error(
                &at.key("path"),
                format!("'{path}' is also fixed by set '{}'", o.raw),
                Some("a field is either swept or set; remove one".into()),
            );
            continue;
        }
        let source = match (&p.values, &p.range) {
            (Some(values), None) => {
                if values.is_empty() {
                    cx.error(&at.key("values"), "an empty list", Some("give at least one value".into()));
                    continue;
                }
                Source::Values(values.clone())
            }
            (None, Some(r)) => match range(cx, &at.key("range"), r, grid) {
                Some(r) => Source::Range(r),
                None => continue,
            },
            (Some(_), Some(_)) => {
                cx.error(&at, "give values or range, not both", None);
                continue;
            }
            (None, None) => {
                cx.error(
                    &at,
                    format!("parameter '{path}' has no values"),
                    Some("add values = [...] or range = { from = ..., to = ..., count = ... }".into()),
                );
                continue;
            }
        };
        params.push(ParamSpec { path, name: p.path.trim().to_string(), source });
    }
    let points = match sampling {
        Sampling::Grid => params.iter().map(|p| p.source.len() as u64).fold(1u64, u64::saturating_mul),
        Sampling::Random { samples, .. } | Sampling::LatinHypercube { samples, .. } => samples,
    };
    if grid && points > MAX_POINTS {
        cx.error(
            &root.key("param"),
            format!("the grid has {points} points, more than {MAX_POINTS}"),
            Some("use fewer values, or sampling = { method = \"latin_hypercube\", samples = 500 }".into()),
        );
    }
    let runs = points.saturating_mul(seeds.count() as u64);
    if points <= MAX_POINTS && runs > MAX_RUNS {
        cx.error(
            &root.key("seeds"),
            format!("{points} points × {} seeds is {runs} runs, more than {MAX_RUNS}", seeds.count()),
            Some("use fewer seeds or points, or split the sweep".into()),
        );
    }

    let mut filters = Vec::new();
    for (k, f) in raw.filter.iter().flatten().enumerate() {
        match Expr::parse(&f.skip_if) {
            Ok(expr) => filters.push(FilterSpec {
                text: f.skip_if.clone(),
                reason: f.reason.clone().unwrap_or_else(|| f.skip_if.clone()),
                expr,
            }),
            Err(msg) => cx.error(
                &root.key("filter").index(k).key("skip_if"),
                format!("'{}': {msg}", abridged(&f.skip_if)),
                Some("write a comparison such as \"autoscaler.min_replicas > autoscaler.max_replicas\"; combine with and/or; durations as 30s".into()),
            ),
        }
    }

    Some(Parts {
        name,
        description: raw.description.unwrap_or_default(),
        scenario: doc.resolve(&raw.scenario),
        set,
        seeds,
        sampling,
        skip_invalid: raw.skip_invalid.unwrap_or(false),
        params,
        filters,
    })
}

fn seeds(cx: &mut Cx<'_>, v: Option<&Value>) -> Seeds {
    let at = FieldPath::root().key("seeds");
    const HINT: &str = "write a count (seeds = 3: the scenario's seed and the next two) or a list (seeds = [1, 7, 42])";
    match v {
        None => Seeds::Count(1),
        Some(Value::Integer(n)) if (1..=MAX_SEEDS as i64).contains(n) => Seeds::Count(*n as u64),
        Some(Value::Array(list)) if list.len() as u64 > MAX_SEEDS => {
            cx.error(&at, format!("{} seeds is more than {MAX_SEEDS}", list.len()), Some(HINT.into()));
            Seeds::Count(1)
        }
        Some(Value::Array(list)) if !list.is_empty() => {
            let mut out = Vec::new();
            let mut seen = std::collections::BTreeSet::new();
            for (i, s) in list.iter().enumerate() {
                match s {
                    Value::Integer(n) if *n >= 0 => {
                        if !seen.insert(*n) {
                            cx.error(&at.index(i), format!("seed '{n}' is listed twice"), None);
                        }
                        out.push(*n as u64);
                    }
                    other => cx.error(&at.index(i), format!("'{}' is not a seed", show(other)), Some(HINT.into())),
                }
            }
            Seeds::List(out)
        }
        Some(other) => {
            cx.error(&at, format!("'{}' is not a seed count or list", show(other)), Some(HINT.into()));
            Seeds::Count(1)
        }
    }
}

fn sampling(cx: &mut Cx<'_>, raw: Option<&RawSampling>) -> Sampling {
    let at = FieldPath::root().key("sampling");
    let Some(raw) = raw else { return Sampling::Grid };
    let method =
        cx.choice(&at.key("method"), Some(raw.method.as_str()), "grid", &["grid", "random", "latin_hypercube"]);
    let seed = cx.int_in(&at.key("seed"), raw.seed, 1, 0, i64::MAX as u64);
    if method == "grid" {
        if raw.samples.is_some() {
            cx.error(
                &at.key("samples"),
                "samples does not apply to a grid (its size is the product of the value counts)",
                Some("remove samples, or use method = \"random\" or \"latin_hypercube\"".into()),
            );
        }
        return Sampling::Grid;
    }
    if raw.samples.is_none() {
        cx.error(
            &at,
            format!("missing: how many points should {method} sampling draw?"),
            Some("add samples = 100".into()),
        );
    }
    let samples = cx.int_in(&at.key("samples"), raw.samples, 1, 1, MAX_POINTS);
    if method == "random" { Sampling::Random { samples, seed } } else { Sampling::LatinHypercube { samples, seed } }
}

fn range(cx: &mut Cx<'_>, at: &FieldPath, r: &RawRange, grid: bool) -> Option<Range> {
    let num = |v: &Value| match v {
        Value::Integer(n) => Some(*n as f64),
        Value::Float(x) if x.is_finite() => Some(*x),
        _ => None,
    };
    let dur = |v: &Value| match v {
        Value::String(s) => SimDuration::parse(s).ok().map(|d| d.as_nanos() as f64),
        _ => None,
    };
    let (from, to, unit) = match (&r.from, &r.to) {
        (Value::Integer(a), Value::Integer(b)) => (*a as f64, *b as f64, Unit::Integer),
        (a, b) if num(a).is_some() && num(b).is_some() => (num(a)?, num(b)?, Unit::Float),
        (a, b) if dur(a).is_some() && dur(b).is_some() => (dur(a)?, dur(b)?, Unit::Duration),
        (a, b) => {
            cx.error(
                at,
                format!("from '{}' and to '{}' are not both numbers or both durations", show(a), show(b)),
                Some(
                    "write e.g. { from = 0.5, to = 0.9, count = 5 } or { from = \"15s\", to = \"2m\", count = 4 }"
                        .into(),
                ),
            );
            return None;
        }
    };
    let scale = match cx.choice(&at.key("scale"), r.scale.as_deref(), "linear", &["linear", "log"]) {
        "log" => Scale::Log,
        _ => Scale::Linear,
    };
    let mut ok = true;
    if from == to {
        cx.error(
            at,
            format!("from and to are both '{}': an empty range", show(&r.from)),
            Some("use values = [...] for one value".into()),
        );
        ok = false;
    }
    if scale == Scale::Log && (from <= 0.0 || to <= 0.0) {
        cx.error(
            at,
            format!("a log range needs bounds above zero, not '{}' and '{}'", show(&r.from), show(&r.to)),
            Some("use scale = \"linear\", or start above zero".into()),
        );
        ok = false;
    }
    let count = match (grid, r.count) {
        (true, None) => {
            cx.error(at, "missing: how many values? (count)", Some("add count = 5".into()));
            return None;
        }
        (true, Some(_)) => Some(cx.int_in(&at.key("count"), r.count, 2, 2, MAX_RANGE_VALUES) as usize),
        (false, Some(_)) => {
            cx.error(
                &at.key("count"),
                "count does not apply when points are sampled (sampling.samples sets how many)",
                Some("remove count".into()),
            );
            return None;
        }
        (false, None) => None,
    };
    ok.then_some(Range { from, to, count, scale, unit })
}
