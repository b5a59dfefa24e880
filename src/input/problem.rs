//! What is wrong with an input, and where: the file, the line, the field, the
//! bad value in 'single quotes', and a hint that says the fix.

use std::fmt;
use std::path::PathBuf;

use super::limits::MAX_PATH_SEGMENTS;

/// A dotted field path such as `fleet.service.mean` or `events[2].at`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct FieldPath(Vec<Segment>);

/// Why a text is not a [`FieldPath`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Not of the form `a.b[2].c`.
    #[error("is not a field path")]
    Malformed,
    /// More segments than any field has (about this many).
    #[error("has {0} segments; a field path has at most {MAX_PATH_SEGMENTS}")]
    TooDeep(usize),
}

/// One step of a [`FieldPath`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Segment {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

impl FieldPath {
    /// The empty path (the whole document).
    pub fn root() -> FieldPath {
        FieldPath(Vec::new())
    }

    /// Parses `a.b[2].c` or `a.b.2.c` (a bare integer segment is an index);
    /// `None` if it is not a path or is deeper than
    /// [`MAX_PATH_SEGMENTS`].
    pub fn parse(text: &str) -> Option<FieldPath> {
        FieldPath::parse_checked(text).ok()
    }

    /// Like [`FieldPath::parse`], saying why a text is not a path.
    pub fn parse_checked(text: &str) -> Result<FieldPath, PathError> {
        // Refused before parsing: setting a path recurses once per segment.
        let depth = text.split('.').count() + text.matches('[').count();
        if depth > MAX_PATH_SEGMENTS {
            return Err(PathError::TooDeep(depth));
        }
        FieldPath::parse_segments(text).ok_or(PathError::Malformed)
    }

    fn parse_segments(text: &str) -> Option<FieldPath> {
        let mut segs = Vec::new();
        for part in text.split('.') {
            if part.is_empty() {
                return None;
            }
            let (key, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if !key.is_empty() {
                match key.parse::<usize>() {
                    Ok(i) if !segs.is_empty() => segs.push(Segment::Index(i)),
                    _ => segs.push(Segment::Key(key.to_string())),
                }
            }
            while let Some(stripped) = rest.strip_prefix('[') {
                let end = stripped.find(']')?;
                segs.push(Segment::Index(stripped[..end].parse().ok()?));
                rest = &stripped[end + 1..];
            }
            if !rest.is_empty() {
                return None;
            }
        }
        (!segs.is_empty()).then_some(FieldPath(segs))
    }

    /// This path with a key appended.
    pub fn key(&self, k: &str) -> FieldPath {
        let mut p = self.clone();
        p.0.push(Segment::Key(k.to_string()));
        p
    }

    /// This path with an index appended.
    pub fn index(&self, i: usize) -> FieldPath {
        let mut p = self.clone();
        p.0.push(Segment::Index(i));
        p
    }

    /// This path followed by `other`.
    pub fn join(&self, other: &FieldPath) -> FieldPath {
        let mut p = self.clone();
        p.0.extend(other.0.iter().cloned());
        p
    }

    /// The segments.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Whether `self` starts with `prefix`.
    pub fn starts_with(&self, prefix: &FieldPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// The path without its last segment.
    pub fn parent(&self) -> FieldPath {
        let mut p = self.clone();
        p.0.pop();
        p
    }

    /// Whether this is the root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Converts serde_path_to_error's path.
    pub(crate) fn from_serde(path: &serde_path_to_error::Path) -> FieldPath {
        use serde_path_to_error::Segment as S;
        FieldPath(
            path.iter()
                .filter_map(|s| match s {
                    S::Seq { index } => Some(Segment::Index(*index)),
                    S::Map { key } => Some(Segment::Key(key.clone())),
                    S::Enum { variant } => Some(Segment::Key(variant.clone())),
                    S::Unknown => None,
                })
                .collect(),
        )
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) if i == 0 => write!(f, "{k}")?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Where a problem is: a file and line, or a command-line override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A line of a file (1-based), or the file as a whole.
    File {
        /// The file.
        path: PathBuf,
        /// The line, where known.
        line: Option<usize>,
    },
    /// A `--set path=value` argument.
    Override(String),
}

/// One thing wrong with an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where it is.
    pub origin: Origin,
    /// The field, if the problem is about one.
    pub field: Option<FieldPath>,
    /// What is wrong, with the bad value quoted.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Origin::File { path, line: Some(l) } => write!(f, "{}:{l}: ", path.display())?,
            Origin::File { path, line: None } => write!(f, "{}: ", path.display())?,
            Origin::Override(arg) => write!(f, "--set {arg}: ")?,
        }
        if let Some(field) = self.field.as_ref().filter(|p| !p.is_root()) {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n    hint: {h}")?;
        }
        Ok(())
    }
}

/// Every problem found in one input (a scenario, its models and traces, or
/// a sweep); nothing runs while there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_and_print() {
        for (text, shown) in [
            ("fleet.initial", "fleet.initial"),
            ("events[2].at", "events[2].at"),
            ("events.2.at", "events[2].at"),
            ("autoscaler.behavior.scaleDown.policies[0].value", "autoscaler.behavior.scaleDown.policies[0].value"),
        ] {
            assert_eq!(FieldPath::parse(text).map(|p| p.to_string()).as_deref(), Some(shown));
        }
        assert_eq!(FieldPath::parse(""), None);
        assert_eq!(FieldPath::parse("a..b"), None);
        assert_eq!(FieldPath::parse("a[x]"), None);
        let deep = format!("a{}", ".a".repeat(MAX_PATH_SEGMENTS - 1));
        assert_eq!(FieldPath::parse(&deep).map(|p| p.segments().len()), Some(MAX_PATH_SEGMENTS));
        assert_eq!(FieldPath::parse_checked(&format!("{deep}.a")), Err(PathError::TooDeep(MAX_PATH_SEGMENTS + 1)));
        assert_eq!(FieldPath::parse_checked(&format!("{deep}[0]")), Err(PathError::TooDeep(MAX_PATH_SEGMENTS + 1)));
    }

    #[test]
    fn problems_name_file_line_field_and_hint() {
        let p = Problem {
            origin: Origin::File { path: "s.toml".into(), line: Some(4) },
            field: FieldPath::parse("fleet.initial"),
            message: "'-1' is negative".into(),
            hint: Some("use a count ≥ 0".into()),
        };
        assert_eq!(p.to_string(), "s.toml:4: fleet.initial: '-1' is negative\n    hint: use a count ≥ 0");
    }
}
