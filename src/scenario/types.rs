//! Instance types and their prices: a *family* file
//! (`models/instance-types/*.toml`) lists named machine sizes, each with
//! cores, memory and an hourly price, as a cloud price list does. A fleet or
//! a database names its family (`types = "../models/instance-types/m6i.toml"`)
//! and a type in it (`type = "m6i.2xlarge"`) instead of raw cores; cost is
//! then instance-hours × the type's price, and vertical scaling moves along
//! the family (its largest type is the ceiling).
//!
//! ```toml
//! name = "m6i"
//! currency = "USD"
//! # Optional, for database families: max_connections grows with memory, as
//! # RDS's default LEAST({DBInstanceClassMemory/9531392}, 5000) does.
//! max_connections = { memory_per_connection = 9531392, max = 5000 }
//!
//! [[types]]
//! name = "m6i.large"
//! cores = 2
//! memory = "8GiB"
//! price_per_hour = 0.096
//! ```
//!
//! Types are kept in order of size (cores, then memory, then price), so
//! "one size up" and "the largest" are well defined whatever the file order.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use toml::Value;

use crate::input::check::{Cx, FieldDoc, show};
use crate::input::document::Document;
use crate::input::problem::{FieldPath, Origin, Problems};

/// The fields of a family file.
pub const FIELDS: &[FieldDoc] = &[
    FieldDoc { key: "name", default: "the file name", doc: "the family's name" },
    FieldDoc { key: "description", default: "\"\"", doc: "where the figures come from" },
    FieldDoc {
        key: "currency",
        default: "\"USD\"",
        doc: "the currency of the prices (every tier of a run must agree)",
    },
    FieldDoc {
        key: "max_connections",
        default: "none",
        doc: "{ memory_per_connection = 9531392, max = 5000 }: a database type's max_connections = min(memory / memory_per_connection, max), RDS's default formula; a type may give its own",
    },
    FieldDoc {
        key: "types",
        default: "required",
        doc: "[[types]] with name, cores, memory (\"16GiB\"), price_per_hour and optionally max_connections",
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFamily {
    name: Option<String>,
    description: Option<String>,
    currency: Option<String>,
    max_connections: Option<RawFormula>,
    types: Option<Vec<Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFormula {
    memory_per_connection: Value,
    max: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawType {
    name: String,
    cores: i64,
    memory: Value,
    price_per_hour: f64,
    max_connections: Option<i64>,
}

/// One machine size.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceType {
    /// Its name (`m6i.2xlarge`).
    pub name: String,
    /// Cores (vCPUs).
    pub cores: u32,
    /// Memory, bytes.
    pub memory: u64,
    /// On-demand price per hour, in the family's currency.
    pub price_per_hour: f64,
    /// The connection ceiling a database of this type has by default.
    pub max_connections: Option<u32>,
}

/// A family of types, smallest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    /// The file it came from.
    pub path: PathBuf,
    /// Its name.
    pub name: String,
    /// The prices' currency.
    pub currency: String,
    /// The types, in order of size.
    pub types: Vec<InstanceType>,
}

impl Family {
    /// The index of the type called `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.types.iter().position(|t| t.name == name)
    }

    /// The index of the largest type: the ceiling of vertical scaling.
    pub fn largest(&self) -> usize {
        self.types.len() - 1
    }

    /// The type `steps` sizes away from `i`, if the family has one.
    pub fn step(&self, i: usize, steps: i32) -> Option<usize> {
        let j = i as i64 + steps as i64;
        (0..self.types.len() as i64).contains(&j).then_some(j as usize)
    }

    /// The smallest type with at least `cores`, if any.
    pub fn smallest_with(&self, cores: f64) -> Option<usize> {
        self.types.iter().position(|t| t.cores as f64 >= cores - 1e-9)
    }

    /// The names, for messages.
    pub fn names(&self) -> Vec<&str> {
        self.types.iter().map(|t| t.name.as_str()).collect()
    }
}

/// Loads and checks the family file a section names in `types` (a path
/// relative to the file that names it). Problems inside the family file are
/// located in it; `None` if it cannot be used.
pub fn load(cx: &mut Cx<'_>, at: &FieldPath, value: &Value) -> Option<Arc<Family>> {
    let Value::String(rel) = value else {
        cx.error(
            at,
            format!("'{}' is not a path", show(value)),
            Some("name a family file, e.g. types = \"../models/instance-types/m6i.toml\"".into()),
        );
        return None;
    };
    let path = match cx.doc.origin(at) {
        Origin::File { path, .. } => path.parent().map(|d| d.join(rel)).unwrap_or_else(|| rel.into()),
        Origin::Override(_) => cx.doc.resolve(rel),
    };
    let doc = match Document::load(&path, &[]) {
        Ok(doc) => doc,
        Err(Problems(problems)) => {
            for mut p in problems {
                p.message = format!("{} (instance types '{rel}' named at {at})", p.message);
                cx.push(p);
            }
            return None;
        }
    };
    let mut inner = Cx::new(&doc);
    let family = validate_family(&mut inner, &path);
    if let Err(Problems(problems)) = inner.finish() {
        for p in problems {
            cx.push(p);
        }
        return None;
    }
    family.map(Arc::new)
}

fn validate_family(cx: &mut Cx<'_>, path: &std::path::Path) -> Option<Family> {
    let root = FieldPath::root();
    let raw: RawFamily = cx.parse(&root, &Value::Table(cx.doc.table.clone()))?;
    let _ = raw.description;
    let formula = raw.max_connections.map(|f| {
        let at = root.key("max_connections");
        let per = cx.bytes(&at.key("memory_per_connection"), Some(&f.memory_per_connection), 1).max(1);
        let max = cx.int_in(&at.key("max"), f.max, u32::MAX as u64, 1, u32::MAX as u64) as u32;
        (per, max)
    });
    let Some(items) = raw.types.filter(|t| !t.is_empty()) else {
        cx.error(&root.key("types"), "the family lists no types", Some("add [[types]] tables".into()));
        return None;
    };
    let mut types: Vec<InstanceType> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = root.key("types").index(i);
        let Some(t) = cx.parse::<RawType>(&at, item) else { continue };
        if types.iter().any(|o| o.name == t.name) {
            cx.error(&at.key("name"), format!("'{}' is listed twice", t.name), None);
            continue;
        }
        let cores = cx.int_in(&at.key("cores"), Some(t.cores), 1, 1, 4096) as u32;
        let memory = cx.bytes(&at.key("memory"), Some(&t.memory), 0);
        let price = cx.float_in(&at.key("price_per_hour"), Some(t.price_per_hour), 0.0, 0.0, 1e6);
        let max_connections = match t.max_connections {
            Some(n) => Some(cx.int_in(&at.key("max_connections"), Some(n), 100, 1, 10_000_000) as u32),
            None => formula.map(|(per, max)| ((memory / per) as u32).clamp(1, max)),
        };
        types.push(InstanceType { name: t.name, cores, memory, price_per_hour: price, max_connections });
    }
    types.sort_by(|a, b| {
        (a.cores, a.memory).cmp(&(b.cores, b.memory)).then(a.price_per_hour.total_cmp(&b.price_per_hour))
    });
    let default_name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    Some(Family {
        path: path.to_path_buf(),
        name: raw.name.unwrap_or(default_name),
        currency: raw.currency.unwrap_or_else(|| "USD".into()),
        types,
    })
}

/// A section's instance type: its family and the type's index in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Typed {
    /// The family.
    pub family: Arc<Family>,
    /// The type's index.
    pub index: usize,
}

impl Typed {
    /// The type.
    pub fn get(&self) -> &InstanceType {
        &self.family.types[self.index]
    }
}

/// Resolves a section's `types` and `type` fields (at `at`). `type` needs
/// `types`; a `types` alone is kept for vertical scaling with no type.
pub fn resolve(
    cx: &mut Cx<'_>,
    at: &FieldPath,
    types: Option<&Value>,
    name: Option<&String>,
) -> (Option<Arc<Family>>, Option<Typed>) {
    let family = types.and_then(|v| load(cx, &at.key("types"), v));
    let Some(name) = name else { return (family, None) };
    let Some(f) = family.clone() else {
        if types.is_none() {
            cx.error(
                &at.key("type"),
                format!("'{name}' needs a family of instance types"),
                Some("add types = \"../models/instance-types/<family>.toml\" to the section".into()),
            );
        }
        return (None, None);
    };
    match f.find(name) {
        Some(index) => (family, Some(Typed { family: f, index })),
        None => {
            let names = f.names();
            let hint = crate::input::check::suggest(name, &names)
                .unwrap_or_else(|| format!("the types of {} are: {}", f.name, names.join(", ")));
            cx.error(&at.key("type"), format!("'{name}' is not a type of the {} family", f.name), Some(hint));
            (family, None)
        }
    }
}

/// Where a field's value was written, most specific last: a component
/// model file, the scenario file, a `--set` override.
fn rank(cx: &Cx<'_>, path: &FieldPath) -> u8 {
    match cx.doc.origin(path) {
        Origin::Override(_) => 3,
        Origin::File { path: file, .. } if file == cx.doc.path => 2,
        Origin::File { .. } => 1,
    }
}

/// A raw field (`cores`, `max_connections`, `price_per_hour`) that a type
/// also sets: the type wins if it was written somewhere more specific (a
/// scenario's `type` over a model's `cores`); the same value is fine;
/// otherwise it is a conflict. Returns the value to use.
pub fn with_type(cx: &mut Cx<'_>, at: &FieldPath, field: &str, raw: Option<f64>, from_type: f64) -> f64 {
    let Some(raw) = raw else { return from_type };
    if raw == from_type || rank(cx, &at.key("type")) > rank(cx, &at.key(field)) {
        return from_type;
    }
    cx.error(
        &at.key(field),
        format!("'{raw}' disagrees with the type, which has {from_type}"),
        Some(format!("remove {field} (the type sets it), or name another type")),
    );
    from_type
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn family(text: &str) -> Result<Family, String> {
        let doc = Document::from_text(Path::new("f.toml"), text, &[]).map_err(|e| e.to_string())?;
        let mut cx = Cx::new(&doc);
        let f = validate_family(&mut cx, Path::new("f.toml"));
        cx.finish().map_err(|e| e.to_string())?;
        Ok(f.expect("a family"))
    }

    const DB: &str = "max_connections = { memory_per_connection = 9531392, max = 5000 }\n\
        [[types]]\nname = \"big\"\ncores = 8\nmemory = \"64GiB\"\nprice_per_hour = 0.898\n\
        [[types]]\nname = \"small\"\ncores = 2\nmemory = \"16GiB\"\nprice_per_hour = 0.225\n\
        [[types]]\nname = \"own\"\ncores = 4\nmemory = \"32GiB\"\nprice_per_hour = 0.449\nmax_connections = 100\n";

    #[test]
    fn types_are_ordered_by_size_and_connections_follow_memory() {
        let f = family(DB).unwrap();
        assert_eq!(f.names(), ["small", "own", "big"]);
        // RDS: LEAST(memory / 9531392, 5000): 16 GiB → 1802; 64 GiB → 7209, capped at 5000.
        assert_eq!(f.types[0].max_connections, Some(1802));
        assert_eq!(f.types[1].max_connections, Some(100), "a type's own value wins");
        assert_eq!(f.types[2].max_connections, Some(5000));
        assert_eq!((f.largest(), f.step(0, 1), f.step(2, 1), f.step(0, -1)), (2, Some(1), None, None));
        assert_eq!((f.smallest_with(3.0), f.smallest_with(8.0), f.smallest_with(9.0)), (Some(1), Some(2), None));
        assert_eq!(f.currency, "USD");
    }

    #[test]
    fn bad_families_are_refused_with_the_line() {
        let e = family("[[types]]\nname = \"a\"\ncores = 0\nmemory = \"1GiB\"\nprice_per_hour = 1.0\n").unwrap_err();
        assert!(e.contains("f.toml:3: types[0].cores"), "{e}");
        let e = family("name = \"x\"\n").unwrap_err();
        assert!(e.contains("lists no types"), "{e}");
        let twice = "[[types]]\nname = \"a\"\ncores = 1\nmemory = \"1GiB\"\nprice_per_hour = 1.0\n";
        let e = family(&format!("{twice}{twice}")).unwrap_err();
        assert!(e.contains("listed twice"), "{e}");
    }
}
