//! The validation context: reads raw values out of the merged document and
//! turns them into typed ones, collecting every problem (located, quoted,
//! with a hint) instead of stopping at the first.

use serde::de::DeserializeOwned;
use toml::{Table, Value};

use super::document::Document;
use super::limits;
use super::problem::{FieldPath, Problem, Problems};
use crate::engine::dist::Dist;
use crate::engine::time::{DurationError, SimDuration};

/// The documentation of one field: its key, its default and what it means.
/// Each section lists its fields; `scalesim fields` prints them all, and a
/// test checks that the list and the accepted keys agree.
#[derive(Clone, Copy, Debug)]
pub struct FieldDoc {
    /// The key within its section.
    pub key: &'static str,
    /// The default, as written in a scenario (or "required").
    pub default: &'static str,
    /// What it means.
    pub doc: &'static str,
}

/// Proof that a problem was reported: only [`Cx::section`] makes one, and
/// only once the context holds a problem. A validation that returns
/// `Err(Reported)` has provably said why, so the caller can turn the
/// context into its [`Problems`] without a case that "cannot happen".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reported(());

/// Collects problems while a scenario is validated.
pub struct Cx<'d> {
    /// The document being validated.
    pub doc: &'d Document,
    problems: Vec<Problem>,
}

impl<'d> Cx<'d> {
    /// A context over `doc`.
    pub fn new(doc: &'d Document) -> Cx<'d> {
        Cx { doc, problems: Vec::new() }
    }

    /// Records a problem about the field at `path`.
    pub fn error(&mut self, path: &FieldPath, message: impl Into<String>, hint: impl Into<Option<String>>) {
        let p = self.doc.problem(path, message.into(), hint.into());
        self.problems.push(p);
    }

    /// Records a problem that is already located (e.g. in a trace file).
    pub fn push(&mut self, p: Problem) {
        self.problems.push(p);
    }

    /// Whether no problem has been found.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problems found, or `Ok` if none.
    pub fn finish(self) -> Result<(), Problems> {
        if self.problems.is_empty() { Ok(()) } else { Err(Problems(self.problems)) }
    }

    /// Validates the section at `at` with `validate`, which returns `None`
    /// when the section is invalid. A `None` must come with a problem; one
    /// that reported none is reported here (a bug, said as such, never a
    /// panic), so an `Err` always carries the proof that the context holds
    /// a problem.
    pub fn section<T>(
        &mut self,
        at: &FieldPath,
        validate: impl FnOnce(&mut Cx<'d>) -> Option<T>,
    ) -> Result<T, Reported> {
        let before = self.problems.len();
        match validate(self) {
            Some(t) => Ok(t),
            None => {
                if self.problems.len() == before {
                    let hint = "this is a bug in scalesim's validation; please report it with the scenario";
                    self.error(at, "is invalid, but its validation gave no reason", Some(hint.into()));
                }
                Err(Reported(()))
            }
        }
    }

    /// The problems found, given the proof that there is one.
    pub fn problems(self, _proof: Reported) -> Problems {
        Problems(self.problems)
    }

    /// The value at `path` in the merged document.
    pub fn value(&self, path: &FieldPath) -> Option<&'d Value> {
        let mut cur: Option<&Value> = None;
        let mut table: &Table = &self.doc.table;
        for seg in path.segments() {
            let next = match (seg, cur) {
                (super::problem::Segment::Key(k), None) => table.get(k),
                (super::problem::Segment::Key(k), Some(Value::Table(t))) => t.get(k),
                (super::problem::Segment::Index(i), Some(Value::Array(a))) => a.get(*i),
                _ => None,
            };
            cur = Some(next?);
            if let Some(Value::Table(t)) = cur {
                table = t;
            }
        }
        cur
    }

    /// Deserializes the value at `path` into a raw section struct; `None`
    /// (with the problem recorded) if it does not fit.
    pub fn parse<T: DeserializeOwned>(&mut self, path: &FieldPath, value: &Value) -> Option<T> {
        match serde_path_to_error::deserialize::<_, T>(value.clone()) {
            Ok(v) => Some(v),
            Err(e) => {
                let at = path.join(&FieldPath::from_serde(e.path()));
                let (message, hint) = explain_serde(e.inner().message());
                self.error(&at, message, hint);
                None
            }
        }
    }

    /// Parses a duration field: a string with a unit. `None` gives `default`.
    pub fn duration(&mut self, path: &FieldPath, v: Option<&Value>, default: SimDuration) -> SimDuration {
        let Some(v) = v else { return default };
        match parse_duration_value(v) {
            Ok(d) => d,
            Err(msg) => {
                self.error(path, msg, Some(DURATION_HINT.into()));
                default
            }
        }
    }

    /// Parses a distribution of durations (see [`parse_dist`]).
    pub fn dist(&mut self, path: &FieldPath, v: Option<&Value>, default: Dist) -> Dist {
        let Some(v) = v else { return default };
        match parse_dist(v) {
            Ok(d) => d,
            Err((sub, msg, hint)) => {
                let at = match sub {
                    Some(k) => path.key(&k),
                    None => path.clone(),
                };
                self.error(&at, msg, Some(hint));
                default
            }
        }
    }

    /// Checks `lo ≤ x ≤ hi` for a float field.
    pub fn float_in(&mut self, path: &FieldPath, x: Option<f64>, default: f64, lo: f64, hi: f64) -> f64 {
        let Some(x) = x else { return default };
        if x.is_nan() || x < lo || x > hi {
            let range = match (lo, hi) {
                (lo, f64::INFINITY) => format!("≥ {lo}"),
                (lo, hi) => format!("between {lo} and {hi}"),
            };
            self.error(path, format!("'{}' is out of range", number(x)), Some(format!("use a number {range}")));
            return default;
        }
        x
    }

    /// Checks a float field is strictly positive.
    pub fn positive(&mut self, path: &FieldPath, x: Option<f64>, default: f64) -> f64 {
        let Some(x) = x else { return default };
        if !x.is_finite() {
            self.error(path, format!("'{x}' is not a finite number"), Some("use a positive number".to_string()));
            return default;
        }
        if x <= 0.0 {
            let x = number(x);
            self.error(path, format!("'{x}' must be greater than zero"), Some("use a positive number".to_string()));
            return default;
        }
        x
    }

    /// Checks `lo ≤ n ≤ hi` for an integer field.
    pub fn int_in(&mut self, path: &FieldPath, n: Option<i64>, default: u64, lo: u64, hi: u64) -> u64 {
        let Some(n) = n else { return default };
        if n < lo as i64 || (n as u64) > hi {
            let what = if n < 0 {
                "is negative".to_string()
            } else if n == 0 && lo > 0 {
                "must not be zero".to_string()
            } else {
                "is out of range".to_string()
            };
            let range = if hi == u64::MAX { format!("≥ {lo}") } else { format!("from {lo} to {hi}") };
            self.error(path, format!("'{n}' {what}"), Some(format!("use a whole number {range}")));
            return default;
        }
        n as u64
    }

    /// Parses a byte size such as `"512MiB"`, `"2GiB"` or `1048576`.
    pub fn bytes(&mut self, path: &FieldPath, v: Option<&Value>, default: u64) -> u64 {
        let Some(v) = v else { return default };
        match parse_bytes(v) {
            Some(b) => b,
            None => {
                self.error(
                    path,
                    format!("'{}' is not a size", show(v)),
                    Some("write a size with a unit: \"512KiB\", \"256MiB\", \"2GiB\" (or a number of bytes)".into()),
                );
                default
            }
        }
    }

    /// Checks that a string field is one of `choices`.
    pub fn choice<'c>(&mut self, path: &FieldPath, v: Option<&str>, default: &'c str, choices: &[&'c str]) -> &'c str {
        let Some(v) = v else { return default };
        match choices.iter().find(|c| **c == v) {
            Some(c) => c,
            None => {
                self.error(path, format!("'{v}' is not one of {}", choices.join(", ")), suggest(v, choices));
                default
            }
        }
    }
}

/// How to write a duration.
pub const DURATION_HINT: &str = "write a number with a unit: \"250ms\", \"15s\", \"5m\", \"2h\"";

/// A value shown the way a user wrote it, for messages.
pub fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A number for messages: `1e-200`, not two hundred zeros.
pub fn number(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-4..1e16).contains(&x.abs()) { format!("{x:e}") } else { format!("{x}") }
}

/// Parses a duration value, or says why it is not one.
pub fn parse_duration_value(v: &Value) -> Result<SimDuration, String> {
    match v {
        Value::String(s) => SimDuration::parse(s).map_err(|e| match e {
            DurationError::Negative => format!("'{s}' is negative"),
            DurationError::MissingUnit => format!("'{s}' has no unit"),
            DurationError::UnknownUnit => format!("'{s}' has an unknown unit"),
            DurationError::NotANumber => format!("'{s}' is not a duration"),
            DurationError::TooLarge => format!("'{s}' is too large"),
        }),
        Value::Integer(0) => Ok(SimDuration::ZERO),
        Value::Integer(n) => Err(format!("'{n}' has no unit (durations are strings like \"{n}s\")")),
        Value::Float(x) if !x.is_finite() => Err(format!("'{}' is not a duration", show(v))),
        Value::Float(x) => Err(format!("'{x}' has no unit (durations are strings like \"{x}s\")")),
        other => Err(format!("'{}' is a {}, not a duration", show(other), other.type_str())),
    }
}

fn parse_bytes(v: &Value) -> Option<u64> {
    match v {
        Value::Integer(n) if *n >= 0 => Some(*n as u64),
        Value::String(s) => {
            let s = s.trim();
            let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
            let (num, unit) = s.split_at(split);
            let x: f64 = num.parse().ok()?;
            let scale: f64 = match unit.trim() {
                "B" => 1.0,
                "KiB" => 1024.0,
                "MiB" => 1024.0 * 1024.0,
                "GiB" => 1024.0 * 1024.0 * 1024.0,
                "KB" | "kB" => 1e3,
                "MB" => 1e6,
                "GB" => 1e9,
                _ => return None,
            };
            Some((x * scale).round() as u64)
        }
        _ => None,
    }
}

/// A distribution problem: the sub-field at fault, the message, the hint.
pub type DistError = (Option<String>, String, String);

/// Parses a distribution: a bare duration string (constant), or a table
/// `{ dist = "constant" | "exponential" | "lognormal" | "uniform" | "gamma",
/// ... }`. On error: the sub-field at fault, the message and a hint.
pub fn parse_dist(v: &Value) -> Result<Dist, DistError> {
    const HINT: &str = "write \"10ms\", { dist = \"exponential\", mean = \"10ms\" }, { dist = \"lognormal\", mean = \"10ms\", cv = 1.5 } (or p50/p99), { dist = \"uniform\", min = \"5ms\", max = \"15ms\" }, { dist = \"gamma\", mean = \"10ms\", cv = 0.5 } or { dist = \"constant\", value = \"10ms\" }";
    let fail = |sub: Option<&str>, msg: String| Err((sub.map(str::to_string), msg, HINT.to_string()));
    let t = match v {
        Value::String(_) | Value::Integer(_) | Value::Float(_) => {
            return parse_duration_value(v).map(Dist::Constant).map_err(|m| (None, m, DURATION_HINT.into()));
        }
        Value::Table(t) => t,
        other => return fail(None, format!("'{}' is not a distribution", show(other))),
    };
    let kind = match t.get("dist") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return fail(Some("dist"), format!("'{}' is not a distribution name", show(other)));
        }
        None => return fail(Some("dist"), "missing: which distribution?".into()),
    };
    let allowed: &[&str] = match kind {
        "constant" => &["dist", "value"],
        "exponential" => &["dist", "mean"],
        "lognormal" => &["dist", "mean", "cv", "p50", "p99"],
        "uniform" => &["dist", "min", "max"],
        "gamma" => &["dist", "mean", "cv"],
        other => {
            return Err((
                Some("dist".to_string()),
                format!("'{other}' is not one of constant, exponential, lognormal, uniform, gamma"),
                suggest(other, &["constant", "exponential", "lognormal", "uniform", "gamma"]).unwrap_or(HINT.into()),
            ));
        }
    };
    if let Some(k) = t.keys().find(|k| !allowed.contains(&k.as_str())) {
        let msg = format!("'{k}' does not apply to a {kind} distribution (it takes {})", allowed[1..].join(", "));
        return Err((Some(k.clone()), msg, HINT.to_string()));
    }
    let dur = |key: &'static str| -> Result<SimDuration, DistError> {
        match t.get(key) {
            Some(v) => parse_duration_value(v).map_err(|m| (Some(key.to_string()), m, DURATION_HINT.to_string())),
            None => {
                Err((Some(key.to_string()), format!("missing: a {kind} distribution needs '{key}'"), HINT.to_string()))
            }
        }
    };
    let cv_range = || {
        format!(
            "use a cv between {} and {} (a near-constant demand is {{ dist = \"constant\", value = ... }})",
            limits::MIN_CV,
            limits::MAX_CV
        )
    };
    let cv = |key: &'static str| -> Result<f64, DistError> {
        let x = match t.get(key) {
            Some(Value::Float(x)) => Some(*x),
            Some(Value::Integer(n)) => Some(*n as f64),
            _ => None,
        };
        match (t.get(key), x) {
            (_, Some(x)) if (limits::MIN_CV..=limits::MAX_CV).contains(&x) => Ok(x),
            (Some(_), Some(x)) if x > 0.0 => {
                Err((Some(key.to_string()), format!("'{}' is out of range", number(x)), cv_range()))
            }
            (Some(other), _) => Err((
                Some(key.to_string()),
                format!("'{}' must be a number greater than zero", show(other)),
                HINT.to_string(),
            )),
            (None, _) => {
                Err((Some(key.to_string()), format!("missing: a {kind} distribution needs '{key}'"), HINT.to_string()))
            }
        }
    };
    let positive = |key: &'static str, d: SimDuration| {
        if d.is_zero() {
            Err((Some(key.to_string()), format!("'{d}' must be greater than zero"), HINT.to_string()))
        } else {
            Ok(d)
        }
    };
    Ok(match kind {
        "constant" => Dist::Constant(dur("value")?),
        "exponential" => Dist::Exponential { mean: positive("mean", dur("mean")?)?.as_nanos() as f64 },
        "gamma" => Dist::gamma_mean_cv(positive("mean", dur("mean")?)?, cv("cv")?),
        "uniform" => {
            let (lo, hi) = (dur("min")?, dur("max")?);
            if lo > hi {
                return fail(Some("min"), format!("min '{lo}' is greater than max '{hi}'"));
            }
            Dist::Uniform { min: lo.as_nanos() as f64, max: hi.as_nanos() as f64 }
        }
        _ /* lognormal */ => {
            if t.contains_key("p50") || t.contains_key("p99") {
                if t.contains_key("mean") || t.contains_key("cv") {
                    return fail(Some("p50"), "give either mean and cv, or p50 and p99, not both".into());
                }
                let (p50, p99) = (positive("p50", dur("p50")?)?, dur("p99")?);
                if p99 <= p50 {
                    return fail(Some("p99"), format!("p99 '{p99}' must be greater than p50 '{p50}'"));
                }
                let d = Dist::lognormal_p50_p99(p50, p99);
                if let Dist::LogNormal { sigma, .. } = d
                    && libm::sqrt(libm::expm1(sigma * sigma)) > limits::MAX_CV
                {
                    let msg = format!("p99 '{p99}' over p50 '{p50}' is a spread (cv) above {}", limits::MAX_CV);
                    return Err((Some("p99".into()), msg, cv_range()));
                }
                d
            } else {
                Dist::lognormal_mean_cv(positive("mean", dur("mean")?)?, cv("cv")?)
            }
        }
    })
}

/// Rewrites serde's messages in this project's style: quoted values, the
/// valid choices, and a "did you mean" where a key is misspelt.
pub fn explain_serde(msg: &str) -> (String, Option<String>) {
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let (field, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let choices: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        let hint = suggest(field, &choices)
            .or_else(|| (!choices.is_empty()).then(|| format!("the fields here are: {}", choices.join(", "))));
        return (format!("unknown field '{field}'"), hint);
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let (v, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let choices: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        let hint = suggest(v, &choices).or_else(|| Some(format!("use one of: {}", choices.join(", "))));
        return (format!("'{v}' is not a valid choice"), hint);
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return (format!("missing required field '{field}'"), None);
    }
    if let Some(rest) = msg.strip_prefix("invalid length ")
        && rest.contains("expected struct")
    {
        // A list where a table belongs: serde reads it as the struct's fields in order.
        return ("a list is the wrong type; expected a table".into(), Some(TABLE_HINT.into()));
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        // e.g. "string \"abc\", expected i64"
        let (got, expected) = rest.split_once(", expected ").unwrap_or((rest, "another type"));
        let expected = match expected {
            "i64" | "u64" | "u32" | "i32" | "usize" => "a whole number",
            "f64" | "f32" => "a number",
            "a boolean" | "bool" => "true or false",
            "a string" | "a borrowed string" => "a string",
            "variant identifier" => "a name (a string)",
            e if e.starts_with("struct ") || e == "a map" => "a table",
            other => other,
        };
        let got = match got {
            "sequence" => "a list".to_string(),
            "map" => "a table".to_string(),
            g => g.replace(['"', '`'], "'"),
        };
        let hint = (expected == "a table").then(|| TABLE_HINT.to_string());
        return (format!("{got} is the wrong type; expected {expected}"), hint);
    }
    (without_type_names(msg), None)
}

/// How to write a table.
const TABLE_HINT: &str = "write a table, { key = value, ... } inline or as a [section]";

/// A message with serde's Rust type names (`struct RawSlo`, `enum RawShape`)
/// said as what they are in TOML.
fn without_type_names(msg: &str) -> String {
    let mut out = String::new();
    let mut rest = msg;
    while let Some(i) = rest.find("struct ").or_else(|| rest.find("enum ")) {
        let (before, from) = rest.split_at(i);
        out.push_str(before);
        let (word, said) = if from.starts_with("struct ") { ("struct ", "a table") } else { ("enum ", "a choice") };
        let after = &from[word.len()..];
        let name_len = after.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(after.len());
        out.push_str(said);
        rest = &after[name_len..];
    }
    out.push_str(rest);
    out
}

/// "did you mean 'x'?" for the closest choice within two edits.
pub fn suggest(word: &str, choices: &[&str]) -> Option<String> {
    choices
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min()
        .map(|(_, c)| format!("did you mean '{c}'?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_that_fails_silently_is_reported() {
        let doc = Document::from_text(std::path::Path::new("t.toml"), "[pool]\nsize = 3\n", &[]).unwrap();
        let mut cx = Cx::new(&doc);
        let at = FieldPath::root().key("pool");
        assert_eq!(cx.section(&at, |_| Some(3)), Ok(3));
        assert!(cx.ok());
        let proof = cx.section(&at, |_| None::<u32>).unwrap_err();
        // A section that reported its own problem gets no second one.
        let _ = cx.section(&at, |cx| {
            cx.error(&at.key("size"), "'3' is too small", None);
            None::<u32>
        });
        let problems = cx.problems(proof);
        assert_eq!(problems.0.len(), 2, "{problems}");
        assert!(problems.0[0].to_string().contains("gave no reason"), "{problems}");
        assert!(problems.0[1].to_string().contains("too small"), "{problems}");
    }

    fn v(s: &str) -> Value {
        toml::from_str::<Table>(&format!("v = {s}")).unwrap().remove("v").unwrap()
    }

    #[test]
    fn distributions_parse() {
        assert_eq!(parse_dist(&v("\"10ms\"")).unwrap(), Dist::Constant(SimDuration::from_millis(10)));
        assert_eq!(
            parse_dist(&v("{ dist = \"exponential\", mean = \"4ms\" }")).unwrap(),
            Dist::Exponential { mean: 4e6 }
        );
        let d = parse_dist(&v("{ dist = \"lognormal\", mean = \"25ms\", cv = 1.0 }")).unwrap();
        assert!(d.mean().as_nanos().abs_diff(25_000_000) <= 1);
        assert!(parse_dist(&v("{ dist = \"lognormal\", p50 = \"10ms\", p99 = \"80ms\" }")).is_ok());
        assert!(parse_dist(&v("{ dist = \"uniform\", min = \"15s\", max = \"45s\" }")).is_ok());
    }

    #[test]
    fn distribution_errors_name_the_sub_field() {
        let e = parse_dist(&v("{ dist = \"lognormal\", mean = \"25ms\" }")).unwrap_err();
        assert_eq!(e.0.as_deref(), Some("cv"));
        let e = parse_dist(&v("{ dist = \"exponental\", mean = \"4ms\" }")).unwrap_err();
        assert!(e.2.contains("did you mean 'exponential'"), "{e:?}");
        let e = parse_dist(&v("{ dist = \"uniform\", min = \"5s\", max = \"1s\" }")).unwrap_err();
        assert!(e.1.contains("greater than max"), "{e:?}");
        let e = parse_dist(&v("{ dist = \"exponential\", mean = 4 }")).unwrap_err();
        assert!(e.1.contains("has no unit"), "{e:?}");
        let e = parse_dist(&v("{ dist = \"exponential\", mean = \"4ms\", cv = 2.0 }")).unwrap_err();
        assert!(e.1.contains("does not apply"), "{e:?}");
    }

    /// A cv whose sampler would not return (gamma shape 1/cv² overflows) or
    /// whose samples round to 0 ns is refused, as is a p50/p99 spread that
    /// implies one.
    #[test]
    fn degenerate_spreads_are_refused() {
        for (text, sub, fragment) in [
            ("{ dist = \"gamma\", mean = \"10ms\", cv = 1e-200 }", "cv", "'1e-200' is out of range"),
            ("{ dist = \"lognormal\", mean = \"10ms\", cv = 1e300 }", "cv", "'1e300' is out of range"),
            ("{ dist = \"gamma\", mean = \"10ms\", cv = 101 }", "cv", "'101' is out of range"),
            ("{ dist = \"lognormal\", p50 = \"1ms\", p99 = \"10s\" }", "p99", "above 100"),
        ] {
            let e = parse_dist(&v(text)).unwrap_err();
            assert_eq!(e.0.as_deref(), Some(sub), "{e:?}");
            assert!(e.1.contains(fragment) && e.2.contains("between 0.001 and 100"), "{e:?}");
        }
        for ok in ["cv = 0.001", "cv = 100", "p50 = \"1ms\", p99 = \"1s\""] {
            let text = format!(
                "{{ dist = \"lognormal\", {} }}",
                if ok.starts_with("cv") { format!("mean = \"1ms\", {ok}") } else { ok.to_string() }
            );
            assert!(parse_dist(&v(&text)).is_ok(), "{text}");
        }
    }

    #[test]
    fn serde_messages_are_rewritten() {
        let (m, h) = explain_serde("unknown field `workres`, expected one of `workers`, `cores`");
        assert_eq!(m, "unknown field 'workres'");
        assert_eq!(h.as_deref(), Some("did you mean 'workers'?"));
        let (m, _) = explain_serde("invalid type: string \"four\", expected i64");
        assert_eq!(m, "string 'four' is the wrong type; expected a whole number");
        // No Rust type names: a list or a number where a table belongs.
        let (m, h) = explain_serde("invalid length 2, expected struct RawSlo with 3 elements");
        assert_eq!(m, "a list is the wrong type; expected a table");
        assert!(h.unwrap().contains("[section]"));
        let (m, _) = explain_serde("invalid type: integer `1`, expected struct RawKeys");
        assert_eq!(m, "integer '1' is the wrong type; expected a table");
        let (m, _) = explain_serde("invalid type: integer `1`, expected variant identifier");
        assert_eq!(m, "integer '1' is the wrong type; expected a name (a string)");
        let (m, _) = explain_serde("invalid type: sequence, expected a whole number");
        assert_eq!(m, "a list is the wrong type; expected a whole number");
        assert_eq!(without_type_names("expected struct Raw or enum RawShape"), "expected a table or a choice");
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_bytes(&v("\"2GiB\"")), Some(2 << 30));
        assert_eq!(parse_bytes(&v("\"10KiB\"")), Some(10 << 10));
        assert_eq!(parse_bytes(&v("4096")), Some(4096));
        assert_eq!(parse_bytes(&v("\"2 parsecs\"")), None);
    }
}
