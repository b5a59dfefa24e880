//! The compare file: the workloads, the seeds and the contenders.
//!
//! ```toml
//! name = "worldcup-policies"
//! scenarios = ["../scenarios/worldcup-semifinal.toml"]   # or scenario = "…"
//! seeds = 3                 # each scenario's seed and the next two; or [1, 7]
//! set = ["duration=30m"]    # every run
//!
//! [[contender]]
//! name = "hpa-tuned"
//! policy = "policies/hpa-tuned.toml"   # a file holding an [autoscaler] table
//! set = ["autoscaler.minReplicas=3"]   # then these, on top
//!
//! [[contender]]
//! name = "threshold"                   # no policy: the scenario's own
//! ```
//!
//! Paths resolve against the compare file's directory. A policy file is
//! read like a scenario holding only `[autoscaler]` (its `manifest =` and
//! `model =` resolve against the policy file) and replaces the scenario's
//! whole `[autoscaler]`: a contender is a policy, not a patch over another.
//! Contenders may not touch the workload (`traffic`, `duration`, `seed`,
//! `slo`): that belongs to the shared `set`, so every contender meets the
//! same traces, seeds and SLO.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Value;

use crate::input::check::{Cx, show};
use crate::input::document::Document;
use crate::input::problem::{FieldPath, Origin, Problem, Problems};
use crate::scenario::Override;
use crate::sweep::file::{MAX_SEEDS, Seeds};

/// The most contenders: every pair meets, so the work grows with its square.
pub const MAX_CONTENDERS: usize = 64;

/// Fields a contender may not change: they define the workload and the SLO.
pub const WORKLOAD: [&str; 4] = ["traffic", "duration", "seed", "slo"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompare {
    name: Option<String>,
    description: Option<String>,
    scenario: Option<String>,
    scenarios: Option<Vec<String>>,
    set: Option<Vec<String>>,
    seeds: Option<Value>,
    contender: Option<Vec<RawContender>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContender {
    name: String,
    description: Option<String>,
    policy: Option<String>,
    set: Option<Vec<String>>,
}

/// Where an override of a run came from, to put its problems back there.
#[derive(Clone, Debug)]
pub enum SetFrom {
    /// The compare file's `set[k]`.
    Shared(usize),
    /// Contender `i`'s policy file.
    Policy(usize),
    /// Contender `i`'s `set[k]`.
    Contender(usize, usize),
    /// The command line.
    Command,
}

/// A policy file, read.
pub struct Policy {
    /// The file.
    pub path: PathBuf,
    /// Its merged `[autoscaler]` as one override.
    pub set: Override,
    doc: Document,
}

impl Policy {
    /// Reads a policy file: only `[autoscaler]`, its manifests and models
    /// merged.
    pub fn load(path: &Path) -> Result<Policy, Problems> {
        let doc = Document::load(path, &[])?;
        let at = |key: &str| doc.origin(&FieldPath::root().key(key));
        if let Some(key) = doc.table.keys().find(|k| *k != "autoscaler") {
            return Err(Problems(vec![Problem {
                origin: at(key),
                field: None,
                message: format!("unknown field '{key}'"),
                hint: Some("a policy file holds only an [autoscaler] table, as a scenario writes it".into()),
            }]));
        }
        let Some(value @ Value::Table(_)) = doc.table.get("autoscaler").cloned() else {
            return Err(Problems(vec![Problem {
                origin: Origin::File { path: path.to_path_buf(), line: None },
                field: None,
                message: "has no [autoscaler] table".into(),
                hint: Some("write [autoscaler] and the policy's fields, e.g. policy = \"threshold\"".into()),
            }]));
        };
        // Written inline, the override is a `--set` that reproduces the run.
        let raw = format!("autoscaler={value}");
        let set = Override { path: FieldPath::root().key("autoscaler"), value, raw };
        Ok(Policy { path: path.to_path_buf(), set, doc })
    }

    /// Where a field of the merged `[autoscaler]` is written.
    pub fn origin(&self, field: &FieldPath) -> Origin {
        self.doc.origin(field)
    }
}

/// A contender: a name and what it changes.
pub struct Contender {
    /// Its name (a column value, a label).
    pub name: String,
    /// One line on it.
    pub description: String,
    /// Its policy file, if any.
    pub policy: Option<Policy>,
    /// Its own overrides, after the policy.
    pub set: Vec<Override>,
}

/// A checked compare file.
pub struct CompareFile {
    /// The file (`None`: built from the command line).
    pub path: Option<PathBuf>,
    /// The comparison's name (default: the file name).
    pub name: String,
    /// One line on what it compares.
    pub description: String,
    /// The workloads, resolved.
    pub scenarios: Vec<PathBuf>,
    /// Overrides of every run.
    pub set: Vec<Override>,
    /// Replicates.
    pub seeds: Seeds,
    /// The contenders, in file order.
    pub contenders: Vec<Contender>,
    doc: Option<Document>,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

const NAME_HINT: &str = "use letters, digits, '-', '_' and '.' (it names a row and the output directory)";
const SET_HINT: &str = "write \"section.field=value\" as for --set, e.g. \"duration=30m\"";

/// Whether an override changes the workload.
pub fn touches_workload(o: &Override) -> Option<&'static str> {
    let first = match o.path.segments().first() {
        Some(crate::input::problem::Segment::Key(k)) => k.as_str(),
        _ => return None,
    };
    WORKLOAD.iter().copied().find(|w| *w == first)
}

impl CompareFile {
    /// An empty comparison, to be filled from the command line.
    pub fn empty(name: &str) -> CompareFile {
        CompareFile {
            path: None,
            name: name.into(),
            description: String::new(),
            scenarios: Vec::new(),
            set: Vec::new(),
            seeds: Seeds::Count(1),
            contenders: Vec::new(),
            doc: None,
        }
    }

    /// Reads and checks a compare file (not yet against its scenarios).
    pub fn load(path: &Path) -> Result<CompareFile, Problems> {
        let text = crate::input::read_to_string(path).map_err(|e| {
            Problems(vec![Problem {
                origin: Origin::File { path: path.to_path_buf(), line: None },
                field: None,
                message: format!("cannot read the compare file: {e}"),
                hint: None,
            }])
        })?;
        let doc = Document::from_text(path, &text, &[])?;
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let root = FieldPath::root();
        let mut cx = Cx::new(&doc);
        let Some(raw) = cx.parse::<RawCompare>(&root, &Value::Table(doc.table.clone())) else {
            // `parse` recorded why.
            return Err(cx.finish().err().unwrap_or(Problems(Vec::new())));
        };
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let name = raw.name.clone().unwrap_or(stem);
        if !valid_name(&name) {
            cx.error(&root.key("name"), format!("'{name}' is not a comparison name"), Some(NAME_HINT.into()));
        }

        let mut scenarios = Vec::new();
        match (&raw.scenario, &raw.scenarios) {
            (Some(_), Some(_)) => cx.error(
                &root.key("scenarios"),
                "both 'scenario' and 'scenarios' are given",
                Some("write one list: scenarios = [\"a.toml\", \"b.toml\"]".to_string()),
            ),
            (None, None) => cx.error(
                &root,
                "missing field 'scenarios'",
                Some("name the workloads: scenarios = [\"../scenarios/worldcup-semifinal.toml\"]".to_string()),
            ),
            (Some(one), None) => scenarios.push((root.key("scenario"), one.clone())),
            (None, Some(list)) if list.is_empty() => cx.error(
                &root.key("scenarios"),
                "is empty",
                Some("name at least one scenario; its traffic, duration and SLO are every contender's".to_string()),
            ),
            (None, Some(list)) => {
                scenarios.extend(list.iter().enumerate().map(|(k, s)| (root.key("scenarios").index(k), s.clone())))
            }
        }
        let mut resolved = Vec::new();
        for (at, rel) in scenarios {
            let p = dir.join(&rel);
            if !p.is_file() {
                cx.error(
                    &at,
                    format!("cannot read the scenario '{rel}'"),
                    Some("the path is relative to the compare file's directory".to_string()),
                );
            } else if resolved.contains(&p) {
                cx.error(&at, format!("the scenario '{rel}' is listed twice"), None);
            } else {
                resolved.push(p);
            }
        }

        let mut set = Vec::new();
        for (k, arg) in raw.set.iter().flatten().enumerate() {
            match Override::parse(arg) {
                Ok(o) => set.push(o),
                Err(p) => cx.error(&root.key("set").index(k), p.message, Some(SET_HINT.into())),
            }
        }
        let seeds = seeds(&mut cx, raw.seeds.as_ref());

        let mut contenders: Vec<Contender> = Vec::new();
        let list = raw.contender.unwrap_or_default();
        if list.len() < 2 {
            cx.error(
                &root.key("contender"),
                format!(
                    "{} contender{}: a comparison needs two or more",
                    list.len(),
                    if list.len() == 1 { "" } else { "s" }
                ),
                Some("add [[contender]] tables, each with a name and a policy file or set".to_string()),
            );
        }
        if list.len() > MAX_CONTENDERS {
            cx.error(
                &root.key("contender"),
                format!("{} contenders is more than {MAX_CONTENDERS}", list.len()),
                Some("every pair meets: compare fewer at once".to_string()),
            );
        }
        for (i, c) in list.into_iter().enumerate() {
            let at = root.key("contender").index(i);
            if !valid_name(&c.name) {
                cx.error(&at.key("name"), format!("'{}' is not a contender name", c.name), Some(NAME_HINT.into()));
            } else if contenders.iter().any(|d| d.name == c.name) {
                cx.error(
                    &at.key("name"),
                    format!("contender '{}' is named twice", c.name),
                    Some("give each contender its own name".to_string()),
                );
            }
            let policy = match &c.policy {
                None => None,
                Some(rel) => match Policy::load(&dir.join(rel)) {
                    Ok(p) => Some(p),
                    Err(problems) => {
                        for mut p in problems.0 {
                            p.message = format!("{} (policy '{rel}' of contender '{}')", p.message, c.name);
                            cx.push(p);
                        }
                        None
                    }
                },
            };
            let mut own = Vec::new();
            for (k, arg) in c.set.iter().flatten().enumerate() {
                match Override::parse(arg) {
                    Ok(o) => match touches_workload(&o) {
                        Some(w) => cx.error(
                            &at.key("set").index(k),
                            format!("'{arg}' changes '{w}', which every contender shares"),
                            Some("contenders differ in policy; put workload changes in the top-level set".to_string()),
                        ),
                        None => own.push(o),
                    },
                    Err(p) => cx.error(&at.key("set").index(k), p.message, Some(SET_HINT.into())),
                }
            }
            contenders.push(Contender {
                name: c.name,
                description: c.description.unwrap_or_default(),
                policy,
                set: own,
            });
        }
        cx.finish()?;
        Ok(CompareFile {
            path: Some(path.to_path_buf()),
            name,
            description: raw.description.unwrap_or_default(),
            scenarios: resolved,
            set,
            seeds,
            contenders,
            doc: Some(doc),
        })
    }

    /// A problem at a field of the compare file (or about the command line).
    pub fn problem(&self, field: &FieldPath, message: String, hint: Option<String>) -> Problem {
        let origin = match (&self.doc, &self.path) {
            (Some(doc), _) => doc.origin(field),
            (None, Some(p)) => Origin::File { path: p.clone(), line: None },
            (None, None) => Origin::Override(format!("compare {}", self.name)),
        };
        Problem { origin, field: None, message, hint }
    }

    /// Every override of contender `i`'s runs, in order, and where each came
    /// from: the shared set, the policy, the contender's set.
    pub fn overrides(&self, i: usize) -> Vec<(Override, SetFrom)> {
        let mut out: Vec<(Override, SetFrom)> = Vec::new();
        out.extend(self.set.iter().enumerate().map(|(k, o)| {
            let from = if self.doc.is_some() && k < self.file_sets() { SetFrom::Shared(k) } else { SetFrom::Command };
            (o.clone(), from)
        }));
        let c = &self.contenders[i];
        if let Some(p) = &c.policy {
            out.push((p.set.clone(), SetFrom::Policy(i)));
        }
        out.extend(c.set.iter().enumerate().map(|(k, o)| (o.clone(), SetFrom::Contender(i, k))));
        out
    }

    /// How many of `set` the file wrote (the rest came from `--set`).
    fn file_sets(&self) -> usize {
        self.doc.as_ref().and_then(|d| d.table.get("set")).and_then(Value::as_array).map_or(0, Vec::len)
    }
}

fn seeds(cx: &mut Cx<'_>, v: Option<&Value>) -> Seeds {
    let at = FieldPath::root().key("seeds");
    const HINT: &str =
        "write a count (seeds = 3: each scenario's seed and the next two) or a list (seeds = [1, 7, 42])";
    match v {
        None => Seeds::Count(1),
        Some(Value::Integer(n)) if (1..=MAX_SEEDS as i64).contains(n) => Seeds::Count(*n as u64),
        Some(Value::Array(list)) if !list.is_empty() && list.len() as u64 <= MAX_SEEDS => {
            let mut out = Vec::new();
            for (i, s) in list.iter().enumerate() {
                match s {
                    Value::Integer(n) if *n >= 0 && !out.contains(&(*n as u64)) => out.push(*n as u64),
                    Value::Integer(n) if *n >= 0 => cx.error(&at.index(i), format!("seed '{n}' is listed twice"), None),
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
