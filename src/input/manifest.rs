//! Kubernetes manifests (YAML) as scenario models: a table of `[autoscaler]`
//! may say `manifest = "hpa.yaml"`, and the manifest's `spec` then supplies
//! that table's defaults, exactly as a TOML `model` does. The manifest is
//! read twice over the same text: serde_yaml_ng types the values (YAML 1.2
//! core schema), and an event parser with line markers gives the line of
//! every field, so a problem anywhere in it names the YAML file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use saphyr_parser::{Event, Parser};
use toml::{Table, Value};

use super::problem::{FieldPath, Origin, Problem};

/// A manifest file merged into a scenario table.
#[derive(Clone, Debug)]
pub struct ManifestSource {
    /// The table it was merged into (`autoscaler`).
    pub section: FieldPath,
    /// The file.
    pub path: PathBuf,
    /// Its text, for checks of the whole object (`apiVersion`, `kind`).
    pub text: String,
    /// The line of every field, by its path in the YAML document
    /// (`spec.metrics[0].type`).
    pub lines: BTreeMap<FieldPath, usize>,
}

impl ManifestSource {
    /// The line of `yaml_path` or of its nearest ancestor the file has.
    pub fn line(&self, yaml_path: &FieldPath) -> Option<usize> {
        let mut p = yaml_path.clone();
        loop {
            if let Some(l) = self.lines.get(&p) {
                return Some(*l);
            }
            if p.is_root() {
                return None;
            }
            p = p.parent();
        }
    }

    /// A problem about `yaml_path` of the manifest.
    pub fn problem(&self, yaml_path: &FieldPath, message: String, hint: Option<String>) -> Problem {
        Problem {
            origin: Origin::File { path: self.path.clone(), line: self.line(yaml_path) },
            field: Some(yaml_path.clone()),
            message,
            hint,
        }
    }
}

/// Reads a manifest: its `spec` as a TOML table (the defaults of the table
/// that names it) and its source with the line of every field.
pub fn load(path: &Path, section: &FieldPath) -> Result<(Table, ManifestSource), Problem> {
    let text = crate::input::read_to_string(path).map_err(|e| Problem {
        origin: Origin::File { path: path.to_path_buf(), line: None },
        field: None,
        message: format!("cannot read the manifest: {e}"),
        hint: Some("check the path; it resolves against the scenario file's directory".into()),
    })?;
    parse(path, &text, section)
}

/// Like [`load`], for text in memory.
pub fn parse(path: &Path, text: &str, section: &FieldPath) -> Result<(Table, ManifestSource), Problem> {
    let at = |line: Option<usize>, field: Option<FieldPath>, message: String, hint: Option<&str>| Problem {
        origin: Origin::File { path: path.to_path_buf(), line },
        field,
        message,
        hint: hint.map(str::to_string),
    };
    let lines = line_index(text).map_err(|(line, msg)| at(Some(line), None, format!("YAML syntax: {msg}"), None))?;
    let source = ManifestSource { section: section.clone(), path: path.to_path_buf(), text: text.to_string(), lines };
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        at(line, None, format!("YAML: {e}"), None)
    })?;
    let serde_yaml_ng::Value::Mapping(top) = yaml else {
        return Err(at(Some(1), None, "a manifest must be a mapping (apiVersion, kind, metadata, spec)".into(), None));
    };
    let spec_path = FieldPath::root().key("spec");
    let spec = match top.get("spec") {
        Some(v @ serde_yaml_ng::Value::Mapping(_)) => to_toml(v, &spec_path, &source)?,
        Some(_) => return Err(source.problem(&spec_path, "must be a mapping".into(), None)),
        None => {
            return Err(at(
                Some(1),
                Some(spec_path),
                "missing: the manifest has no spec".into(),
                Some("an autoscaling/v2 HorizontalPodAutoscaler has apiVersion, kind, metadata and spec"),
            ));
        }
    };
    let Value::Table(spec) = spec else { unreachable!("a mapping converts to a table") };
    Ok((spec, source))
}

/// YAML → TOML. A null is the same as an absent field; keys must be strings.
fn to_toml(v: &serde_yaml_ng::Value, at: &FieldPath, src: &ManifestSource) -> Result<Value, Problem> {
    use serde_yaml_ng::Value as Y;
    Ok(match v {
        Y::Bool(b) => Value::Boolean(*b),
        Y::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::Integer(i),
            (None, Some(f)) if f.is_finite() => Value::Float(f),
            _ => return Err(src.problem(at, format!("'{n}' is not a number this tool can read"), None)),
        },
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                if matches!(item, Y::Null) {
                    return Err(src.problem(&at.index(i), "an empty list item".into(), None));
                }
                out.push(to_toml(item, &at.index(i), src)?);
            }
            Value::Array(out)
        }
        Y::Mapping(m) => {
            let mut t = Table::new();
            for (k, item) in m {
                let Y::String(key) = k else {
                    return Err(src.problem(at, "a mapping key that is not a string".into(), None));
                };
                if !matches!(item, Y::Null) {
                    t.insert(key.clone(), to_toml(item, &at.key(key), src)?);
                }
            }
            Value::Table(t)
        }
        Y::Null => return Err(src.problem(at, "an empty value".into(), None)),
        Y::Tagged(t) => return Err(src.problem(at, format!("YAML tag '{}' is not supported", t.tag), None)),
    })
}

/// Where we are while walking the YAML events.
enum Frame {
    /// In a mapping: its path, and the key whose value comes next (`None`
    /// while a key is expected).
    Map(FieldPath, Option<String>),
    /// In a sequence: its path and the index of the next item.
    Seq(FieldPath, usize),
    /// Inside something without a path (a complex key).
    Skip,
}

/// The line of every key and list item of the first document; an error is
/// the line and the parser's message.
fn line_index(text: &str) -> Result<BTreeMap<FieldPath, usize>, (usize, String)> {
    let mut lines = BTreeMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut documents = 0;
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| (e.marker().line(), e.info().to_string()))?;
        let line = span.start.line();
        // The path of the node this event starts, if it starts one in value
        // or item position; a scalar in key position names the next key.
        let mut node_path = None;
        match stack.last_mut() {
            Some(Frame::Map(path, key)) => match key.take() {
                None => {
                    if let Event::Scalar(k, ..) = &event {
                        lines.insert(path.key(k), line);
                        *key = Some(k.to_string());
                        continue;
                    }
                }
                Some(k) => node_path = Some(path.key(&k)),
            },
            Some(Frame::Seq(path, i)) => {
                if !matches!(event, Event::SequenceEnd) {
                    let p = path.index(*i);
                    lines.insert(p.clone(), line);
                    *i += 1;
                    node_path = Some(p);
                }
            }
            Some(Frame::Skip) | None => {}
        }
        match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err((line, "one manifest per file: found a second YAML document".into()));
                }
            }
            Event::MappingStart(..) => stack.push(match (node_path, stack.is_empty()) {
                (Some(p), _) => Frame::Map(p, None),
                (None, true) => Frame::Map(FieldPath::root(), None),
                (None, false) => Frame::Skip,
            }),
            Event::SequenceStart(..) => stack.push(match (node_path, stack.is_empty()) {
                (Some(p), _) => Frame::Seq(p, 0),
                (None, true) => Frame::Seq(FieldPath::root(), 0),
                (None, false) => Frame::Skip,
            }),
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
            }
            _ => {}
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HPA: &str = "\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  minReplicas: 2
  maxReplicas: 20
  metrics:
  - type: Resource
    resource:
      name: cpu
      target: {type: Utilization, averageUtilization: 60}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: ~
      policies:
      - type: Pods
        value: 1
        periodSeconds: 60
";

    fn p(s: &str) -> FieldPath {
        FieldPath::parse(s).unwrap()
    }

    #[test]
    fn spec_becomes_a_table_and_every_field_has_its_line() {
        let (spec, src) = parse(Path::new("h.yaml"), HPA, &p("autoscaler")).unwrap();
        assert_eq!(spec["minReplicas"].as_integer(), Some(2));
        assert_eq!(spec["metrics"][0]["resource"]["target"]["averageUtilization"].as_integer(), Some(60));
        assert!(!spec["behavior"]["scaleDown"].as_table().unwrap().contains_key("stabilizationWindowSeconds"));
        assert_eq!(src.lines.get(&p("kind")), Some(&2));
        assert_eq!(src.lines.get(&p("spec.maxReplicas")), Some(&7));
        assert_eq!(src.lines.get(&p("spec.metrics[0]")), Some(&9));
        assert_eq!(src.lines.get(&p("spec.metrics[0].resource.name")), Some(&11));
        assert_eq!(src.lines.get(&p("spec.metrics[0].resource.target.averageUtilization")), Some(&12));
        assert_eq!(src.lines.get(&p("spec.behavior.scaleDown.policies[0].periodSeconds")), Some(&19));
        assert_eq!(src.line(&p("spec.behavior.scaleDown.policies[0].nope")), Some(17));
    }

    #[test]
    fn broken_manifests_name_the_line() {
        let e = parse(Path::new("h.yaml"), "spec:\n  a: [1, 2\n", &p("autoscaler")).unwrap_err();
        assert!(e.to_string().starts_with("h.yaml:"), "{e}");
        assert!(e.message.contains("YAML"), "{e}");
        let e = parse(Path::new("h.yaml"), "apiVersion: autoscaling/v2\n", &p("autoscaler")).unwrap_err();
        assert!(e.message.contains("no spec"), "{e}");
        let e = parse(Path::new("h.yaml"), "spec: {}\n---\nspec: {}\n", &p("autoscaler")).unwrap_err();
        assert!(e.message.contains("one manifest per file"), "{e}");
    }
}
