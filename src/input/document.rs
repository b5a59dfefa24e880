//! A scenario document: the TOML file, the component models it references,
//! and the `--set` overrides, merged into one table — and, for every field,
//! where it came from, so a problem can name the file and line.
//!
//! Any top-level section may say `model = "path.toml"`: that file holds the
//! section's defaults (its keys at top level), and the section's own keys
//! override them. Relative paths resolve against the file that names them.
//! Likewise `[autoscaler]`, or a table inside it, may say
//! `manifest = "hpa.yaml"`: the Kubernetes manifest's `spec` holds its
//! defaults (see [`super::manifest`]). Models and manifests are merged
//! before the `--set` overrides, so an override can reach into them
//! (`--set autoscaler.metrics[0].resource.target.averageUtilization=70`);
//! an override that names a model or manifest file applies first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::{Table, Value};

use super::manifest::{self, ManifestSource};
use super::problem::{FieldPath, Origin, PathError, Problem, Problems, Segment};

/// The line of every field of one file, by field path.
#[derive(Clone, Debug, Default)]
struct LineIndex {
    lines: BTreeMap<FieldPath, usize>,
}

impl LineIndex {
    fn build(text: &str, table: &DeTable<'_>) -> LineIndex {
        let starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        let line_of = |offset: usize| starts.partition_point(|&s| s <= offset);
        let mut index = LineIndex::default();
        index.walk_table(&FieldPath::root(), table, &line_of);
        index
    }

    fn walk_table(&mut self, at: &FieldPath, table: &DeTable<'_>, line_of: &dyn Fn(usize) -> usize) {
        for (key, value) in table.iter() {
            let path = at.key(key.get_ref());
            self.lines.insert(path.clone(), line_of(key.span().start));
            self.walk_value(&path, value.get_ref(), line_of);
        }
    }

    fn walk_value(&mut self, at: &FieldPath, value: &DeValue<'_>, line_of: &dyn Fn(usize) -> usize) {
        match value {
            DeValue::Table(t) => self.walk_table(at, t, line_of),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let path = at.index(i);
                    self.lines.insert(path.clone(), line_of(item.span().start));
                    self.walk_value(&path, item.get_ref(), line_of);
                }
            }
            _ => {}
        }
    }

    fn exact(&self, path: &FieldPath) -> Option<usize> {
        self.lines.get(path).copied()
    }

    /// The line of `path`, or of its nearest ancestor that the file has.
    fn nearest(&self, path: &FieldPath) -> Option<usize> {
        let mut p = path.clone();
        loop {
            if let Some(l) = self.exact(&p) {
                return Some(l);
            }
            if p.is_root() {
                return None;
            }
            p = p.parent();
        }
    }
}

/// A parsed TOML file and the line of each of its fields.
struct SourceFile {
    path: PathBuf,
    table: Table,
    lines: LineIndex,
}

/// Reads and parses a TOML file, or says why not (with the line of a syntax
/// error).
fn read_toml(path: &Path) -> Result<SourceFile, Problem> {
    let text = crate::input::read_to_string(path).map_err(|e| Problem {
        origin: Origin::File { path: path.to_path_buf(), line: None },
        field: None,
        message: format!("cannot read the file: {e}"),
        hint: Some("check the path; relative paths resolve against the file that names them".into()),
    })?;
    parse_toml(path, &text)
}

fn parse_toml(path: &Path, text: &str) -> Result<SourceFile, Problem> {
    let syntax = |e: toml::de::Error| {
        let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        Problem {
            origin: Origin::File { path: path.to_path_buf(), line },
            field: None,
            message: format!("TOML syntax: {}", e.message().trim_end()),
            hint: Some("see https://toml.io for the syntax".into()),
        }
    };
    let spanned = DeTable::parse(text).map_err(syntax)?;
    let lines = LineIndex::build(text, spanned.get_ref());
    let table: Table = toml::from_str(text).map_err(syntax)?;
    Ok(SourceFile { path: path.to_path_buf(), table, lines })
}

/// A command-line override `path=value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The field.
    pub path: FieldPath,
    /// The value, parsed as TOML (or as a string if it is not TOML).
    pub value: Value,
    /// The argument as given, for messages.
    pub raw: String,
}

impl Override {
    /// Parses `key.path=value`. The value is read as TOML (`4`, `0.5`,
    /// `true`, `"x"`, `{ dist = "constant", value = "5ms" }`); anything that
    /// is not valid TOML is taken as a string, so `--set fleet.boot=20s` works.
    pub fn parse(arg: &str) -> Result<Override, Problem> {
        let bad = |msg: String| Problem {
            origin: Origin::Override(arg.to_string()),
            field: None,
            message: msg,
            hint: Some("write --set section.field=value, e.g. --set fleet.initial=4".into()),
        };
        let (key, value) = arg.split_once('=').ok_or_else(|| bad(format!("'{arg}' has no '='")))?;
        let path = FieldPath::parse_checked(key.trim()).map_err(|e| match e {
            // Quoted in part: the whole would bury the message.
            PathError::TooDeep(_) => Problem {
                origin: Origin::Override(format!("{}…", key.chars().take(40).collect::<String>())),
                ..bad(format!("the path {e}"))
            },
            PathError::Malformed => bad(format!("'{key}' {e}")),
        })?;
        let value = value.trim();
        let parsed = toml::from_str::<Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| Value::String(value.to_string()));
        Ok(Override { path, value: parsed, raw: arg.to_string() })
    }
}

/// A scenario's merged document and the origin of each field.
pub struct Document {
    /// The scenario file.
    pub path: PathBuf,
    /// The merged table: models, then the scenario, then the overrides.
    pub table: Table,
    main: LineIndex,
    models: Vec<(FieldPath, PathBuf, LineIndex)>,
    manifests: Vec<ManifestSource>,
    overrides: Vec<Override>,
    /// Events appended from a session file: the index of its first event in
    /// the merged list, the file, and its lines.
    appended: Option<(usize, PathBuf, LineIndex)>,
}

impl Document {
    /// Loads a scenario file, merges the models it references and applies
    /// the overrides.
    pub fn load(path: &Path, overrides: &[Override]) -> Result<Document, Problems> {
        let main = read_toml(path).map_err(|p| Problems(vec![p]))?;
        Document::assemble(main, overrides)
    }

    /// Like [`Document::load`], for text already in memory (tests, the TUI).
    pub fn from_text(path: &Path, text: &str, overrides: &[Override]) -> Result<Document, Problems> {
        let main = parse_toml(path, text).map_err(|p| Problems(vec![p]))?;
        Document::assemble(main, overrides)
    }

    fn assemble(main: SourceFile, overrides: &[Override]) -> Result<Document, Problems> {
        let mut doc = Document {
            path: main.path.clone(),
            table: main.table,
            main: main.lines,
            models: Vec::new(),
            manifests: Vec::new(),
            overrides: Vec::new(),
            appended: None,
        };
        let mut problems = Vec::new();
        let names_file = |o: &&Override| matches!(o.path.segments().last(), Some(Segment::Key(k)) if k == "model" || k == "manifest");
        let (first, rest): (Vec<&Override>, Vec<&Override>) = overrides.iter().partition(names_file);
        for o in &first {
            match set_path(&mut doc.table, &o.path, o.value.clone()) {
                Ok(()) => doc.overrides.push((*o).clone()),
                Err(msg) => problems.push(Problem {
                    origin: Origin::Override(o.raw.clone()),
                    field: Some(o.path.clone()),
                    message: msg,
                    hint: None,
                }),
            }
        }
        doc.merge_models(&mut problems);
        doc.merge_manifests(&mut problems);
        for o in rest {
            match set_path(&mut doc.table, &o.path, o.value.clone()) {
                Ok(()) => doc.overrides.push(o.clone()),
                Err(msg) => problems.push(Problem {
                    origin: Origin::Override(o.raw.clone()),
                    field: Some(o.path.clone()),
                    message: msg,
                    hint: None,
                }),
            }
        }
        if problems.is_empty() { Ok(doc) } else { Err(Problems(problems)) }
    }

    fn merge_models(&mut self, problems: &mut Vec<Problem>) {
        let sections: Vec<String> = self.table.keys().cloned().collect();
        for name in sections {
            let Some(Value::Table(section)) = self.table.get_mut(&name) else {
                continue;
            };
            let Some(model) = section.remove("model") else {
                continue;
            };
            let field = FieldPath::root().key(&name).key("model");
            let Value::String(rel) = model else {
                problems.push(self.problem(&field, "must be a path to a model file".into(), None));
                continue;
            };
            let model_path = self.resolve(&rel);
            match read_toml(&model_path) {
                Ok(file) => {
                    let Some(Value::Table(section)) = self.table.get_mut(&name) else {
                        continue;
                    };
                    let mut merged = file.table;
                    merge_into(&mut merged, std::mem::take(section));
                    *section = merged;
                    self.models.push((FieldPath::root().key(&name), model_path, file.lines));
                }
                Err(mut p) => {
                    p.message = format!("{} (model '{rel}' named at {field})", p.message);
                    problems.push(p);
                }
            }
        }
    }

    /// Merges the manifests named in `[autoscaler]` and the tables inside it.
    fn merge_manifests(&mut self, problems: &mut Vec<Problem>) {
        let mut at = Vec::new();
        if let Some(Value::Table(t)) = self.table.get("autoscaler") {
            tables_naming_manifests(&FieldPath::root().key("autoscaler"), t, &mut at);
        }
        for section in at {
            let Some(table) = table_at(&mut self.table, &section) else { continue };
            let field = section.key("manifest");
            let Some(Value::String(rel)) = table.remove("manifest") else {
                problems.push(self.problem(&field, "must be a path to a manifest file (YAML)".into(), None));
                continue;
            };
            let path = self.resolve(&rel);
            match manifest::load(&path, &section) {
                Ok((spec, source)) => {
                    let Some(table) = table_at(&mut self.table, &section) else { continue };
                    let mut merged = spec;
                    merge_into(&mut merged, std::mem::take(table));
                    *table = merged;
                    let spec_prefix = FieldPath::root().key("spec");
                    let lines = source
                        .lines
                        .iter()
                        .filter(|(p, _)| p.starts_with(&spec_prefix) && **p != spec_prefix)
                        .map(|(p, l)| (strip_prefix(p, &spec_prefix), *l))
                        .collect();
                    self.models.push((section.clone(), path, LineIndex { lines }));
                    self.manifests.push(source);
                }
                Err(mut p) => {
                    p.message = format!("{} (manifest '{rel}' named at {field})", p.message);
                    problems.push(p);
                }
            }
        }
    }

    /// The manifest merged into the table at `section`, if any.
    pub fn manifest(&self, section: &FieldPath) -> Option<&ManifestSource> {
        self.manifests.iter().find(|m| m.section == *section)
    }

    /// Appends the `[[events]]` of another file (a saved game-day session)
    /// to the scenario's own, keeping their lines for messages.
    pub fn append_events(&mut self, path: &Path) -> Result<(), Problems> {
        let file = read_toml(path).map_err(|p| Problems(vec![p]))?;
        let mut problems = Vec::new();
        let mut table = file.table;
        if let Some(key) = table.keys().find(|k| *k != "events") {
            problems.push(Problem {
                origin: Origin::File { path: path.to_path_buf(), line: file.lines.exact(&FieldPath::root().key(key)) },
                field: Some(FieldPath::root().key(key)),
                message: format!("unknown field '{key}'"),
                hint: Some("an events file holds only [[events]] tables".into()),
            });
        }
        let extra = match table.remove("events") {
            None => Vec::new(),
            Some(Value::Array(a)) => a,
            Some(_) => {
                problems.push(Problem {
                    origin: Origin::File {
                        path: path.to_path_buf(),
                        line: file.lines.exact(&FieldPath::root().key("events")),
                    },
                    field: Some(FieldPath::root().key("events")),
                    message: "must be a list of [[events]] tables".into(),
                    hint: None,
                });
                Vec::new()
            }
        };
        if !problems.is_empty() {
            return Err(Problems(problems));
        }
        let events = self.table.entry("events").or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(list) = events else {
            return Err(Problems(vec![self.problem(
                &FieldPath::root().key("events"),
                "must be a list of [[events]] tables".into(),
                None,
            )]));
        };
        self.appended = Some((list.len(), path.to_path_buf(), file.lines));
        list.extend(extra);
        Ok(())
    }

    /// The directory relative paths resolve against.
    pub fn base_dir(&self) -> PathBuf {
        self.path.parent().map(Path::to_path_buf).unwrap_or_default()
    }

    /// Resolves a path named in the scenario against its directory.
    pub fn resolve(&self, rel: &str) -> PathBuf {
        let p = Path::new(rel);
        if p.is_absolute() { p.to_path_buf() } else { self.base_dir().join(p) }
    }

    /// Where the value at `path` came from: the override that set it, the
    /// line of the scenario or model file that has it, or else the nearest
    /// enclosing section in the scenario file.
    pub fn origin(&self, path: &FieldPath) -> Origin {
        if let Some(o) = self.overrides.iter().rev().find(|o| path.starts_with(&o.path)) {
            return Origin::Override(o.raw.clone());
        }
        if let Some((first, file, lines)) = &self.appended
            && let [Segment::Key(k), Segment::Index(n), rest @ ..] = path.segments()
            && k == "events"
            && n >= first
        {
            let mut local = FieldPath::root().key("events").index(n - first);
            for seg in rest {
                local = match seg {
                    Segment::Key(k) => local.key(k),
                    Segment::Index(i) => local.index(*i),
                };
            }
            return Origin::File { path: file.clone(), line: lines.nearest(&local) };
        }
        if let Some(line) = self.main.exact(path) {
            return Origin::File { path: self.path.clone(), line: Some(line) };
        }
        for (prefix, file, lines) in &self.models {
            if path.starts_with(prefix) {
                let rel = FieldPath::root().join(&strip_prefix(path, prefix));
                if let Some(line) = lines.exact(&rel) {
                    return Origin::File { path: file.clone(), line: Some(line) };
                }
            }
        }
        Origin::File { path: self.path.clone(), line: self.main.nearest(path) }
    }

    /// A problem about the field at `path`, located.
    pub fn problem(&self, path: &FieldPath, message: String, hint: Option<String>) -> Problem {
        Problem { origin: self.origin(path), field: Some(path.clone()), message, hint }
    }

    /// The overrides applied, in order.
    pub fn overrides(&self) -> &[Override] {
        &self.overrides
    }
}

fn strip_prefix(path: &FieldPath, prefix: &FieldPath) -> FieldPath {
    let mut p = FieldPath::root();
    for seg in &path.segments()[prefix.segments().len()..] {
        p = match seg {
            Segment::Key(k) => p.key(k),
            Segment::Index(i) => p.index(*i),
        };
    }
    p
}

/// The tables at or under `at` that have a `manifest` key, outermost first.
fn tables_naming_manifests(at: &FieldPath, t: &Table, out: &mut Vec<FieldPath>) {
    if t.contains_key("manifest") {
        out.push(at.clone());
    }
    for (k, v) in t {
        if let Value::Table(inner) = v {
            tables_naming_manifests(&at.key(k), inner, out);
        }
    }
}

/// The table at a path of keys.
fn table_at<'t>(root: &'t mut Table, at: &FieldPath) -> Option<&'t mut Table> {
    let mut cur = root;
    for seg in at.segments() {
        let Segment::Key(k) = seg else { return None };
        let Some(Value::Table(t)) = cur.get_mut(k) else { return None };
        cur = t;
    }
    Some(cur)
}

/// Deep merge: keys of `top` override those of `base`; tables merge.
fn merge_into(base: &mut Table, top: Table) {
    for (k, v) in top {
        match (base.get_mut(&k), v) {
            (Some(Value::Table(b)), Value::Table(t)) => merge_into(b, t),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Sets the value at `path`, creating tables on the way. Arrays must
/// already have the index. On error nothing is changed.
fn set_path(root: &mut Table, path: &FieldPath, value: Value) -> Result<(), String> {
    let mut copy = Value::Table(root.clone());
    set_in(&mut copy, path.segments(), value)?;
    if let Value::Table(t) = copy {
        *root = t;
    }
    Ok(())
}

fn set_in(cur: &mut Value, segs: &[Segment], value: Value) -> Result<(), String> {
    let Some((seg, rest)) = segs.split_first() else {
        *cur = value;
        return Ok(());
    };
    let next = match (seg, cur) {
        (Segment::Key(k), Value::Table(t)) => t.entry(k.clone()).or_insert_with(|| Value::Table(Table::new())),
        (Segment::Index(n), Value::Array(a)) => {
            let len = a.len();
            a.get_mut(*n).ok_or_else(|| format!("index {n} is out of range: the list has {len} entries"))?
        }
        (Segment::Key(k), other) => {
            return Err(format!("cannot set key '{k}' inside a {}", other.type_str()));
        }
        (Segment::Index(n), other) => {
            return Err(format!("cannot set index {n} of a {}, which is not a list", other.type_str()));
        }
    };
    set_in(next, rest, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str =
        "name = \"t\"\n[fleet]\ninitial = 4\ncores = 2\n\n[[events]]\nat = \"5m\"\naction = \"freeze_autoscaler\"\n";

    fn doc(overrides: &[&str]) -> Document {
        let os: Vec<Override> = overrides.iter().map(|a| Override::parse(a).unwrap()).collect();
        Document::from_text(Path::new("dir/s.toml"), SCENARIO, &os).unwrap()
    }

    #[test]
    fn origins_name_the_line_or_the_override() {
        let d = doc(&["fleet.cores=8"]);
        let line = |p: &str| match d.origin(&FieldPath::parse(p).unwrap()) {
            Origin::File { line, .. } => line,
            Origin::Override(_) => Some(0),
        };
        assert_eq!(line("fleet.initial"), Some(3));
        assert_eq!(line("fleet.cores"), Some(0), "overridden");
        assert_eq!(line("fleet.workers"), Some(2), "missing field: its section");
        assert_eq!(line("events[0].action"), Some(8));
        assert_eq!(d.table["fleet"]["cores"].as_integer(), Some(8));
    }

    #[test]
    fn overrides_parse_toml_or_fall_back_to_strings() {
        let o = Override::parse("fleet.boot=20s").unwrap();
        assert_eq!(o.value, Value::String("20s".into()));
        let o = Override::parse("fleet.initial = 3").unwrap();
        assert_eq!(o.value, Value::Integer(3));
        let o = Override::parse("events[0].at=\"1m\"").unwrap();
        assert_eq!(o.path.to_string(), "events[0].at");
        assert!(Override::parse("fleet.initial").is_err());
        let deep = Override::parse(&format!("a{}=1", ".a".repeat(59_999))).unwrap_err().to_string();
        assert!(deep.starts_with("--set a.a.a") && deep.contains("has 60000 segments; a field path has at most 32"));
        assert!(deep.len() < 300, "{deep}");
    }

    #[test]
    fn bad_override_paths_are_refused_without_changes() {
        let os = [Override::parse("name.x=1").unwrap()];
        let err = Document::from_text(Path::new("s.toml"), SCENARIO, &os).err().unwrap();
        assert!(err.to_string().contains("--set name.x=1"), "{err}");
        let os = [Override::parse("events[3].at=1m").unwrap()];
        let err = Document::from_text(Path::new("s.toml"), SCENARIO, &os).err().unwrap();
        assert!(err.to_string().contains("out of range"), "{err}");
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = Document::from_text(Path::new("s.toml"), "a = 1\nb = = 2\n", &[]).err().unwrap();
        assert!(err.to_string().starts_with("error: s.toml:2: TOML syntax"), "{err}");
    }
}
