//! Every point is checked against the scenario before anything runs, by the
//! scenario's own validation: the base scenario is loaded with the point's
//! overrides exactly as `scalesim run --set` would load it. Problems are then
//! mapped back to the sweep file:
//!
//! - a value of a parameter that is refused in every point it appears in is
//!   a *bad value*, reported at the line of the value (or of the range that
//!   generated it), naming the parameter and carrying the scenario's hint
//!   (the valid choices, "did you mean …"); a parameter all of whose values
//!   fail the same way has a *bad path*, reported once at its `path` line;
//! - a point refused although each of its values is fine elsewhere is an
//!   *invalid combination*: skipped (and counted) with `skip_invalid = true`,
//!   otherwise reported with examples and a hint to add a `[[filter]]`.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::file::SweepFile;
use super::space::{Param, Point};
use crate::input::check::show;
use crate::input::problem::{FieldPath, Origin, Problem, Problems};
use crate::scenario::{Override, Scenario};

/// The overrides of one point: the sweep's fixed `set`, then one per
/// parameter.
pub fn point_overrides(set: &[Override], params: &[Param], point: &[u32]) -> Vec<Override> {
    let mut out = set.to_vec();
    for (p, &v) in params.iter().zip(point) {
        let value = p.values[v as usize].clone();
        out.push(Override { path: p.path.clone(), raw: format!("{}={}", p.name, show(&value)), value });
    }
    out
}

/// `path:line: ` for a problem located in a file, nothing for an override.
fn location(p: &Problem) -> String {
    match &p.origin {
        Origin::File { path, line: Some(l) } => format!("{}:{l}: ", path.display()),
        Origin::File { path, line: None } => format!("{}: ", path.display()),
        Origin::Override(_) => String::new(),
    }
}

/// A scenario problem re-located in the sweep file, about parameter
/// `param` if given: its location and field become part of the message,
/// except what the parameter already says (its own override, its path).
fn inner(p: &Problem, param: Option<&FieldPath>) -> String {
    let field = p.field.as_ref().filter(|f| !f.is_root());
    let about_param = match (field, param) {
        (Some(f), Some(q)) => f.starts_with(q) || q.starts_with(f),
        _ => false,
    };
    let location = if about_param || matches!(p.origin, Origin::Override(_)) { String::new() } else { location(p) };
    match field.filter(|f| !param.is_some_and(|q| q.starts_with(f))) {
        Some(f) => format!("{location}{f}: {}", p.message),
        None => format!("{location}{}", p.message),
    }
}

/// Which parameter a problem is about, if it can be told: the override it
/// came from, or the parameter whose path encloses (or is enclosed by) the
/// problem's field. With one parameter, that one.
fn attribute(p: &Problem, set: &[Override], params: &[Param], ovs: &[Override]) -> Option<usize> {
    if let Origin::Override(raw) = &p.origin
        && let Some(k) = ovs.iter().position(|o| &o.raw == raw)
    {
        return k.checked_sub(set.len());
    }
    if let Some(field) = p.field.as_ref().filter(|f| !f.is_root()) {
        let best = params
            .iter()
            .enumerate()
            .filter(|(_, q)| field.starts_with(&q.path) || q.path.starts_with(field))
            .max_by_key(|(i, q)| (q.path.segments().len(), usize::MAX - i));
        if let Some((i, _)) = best {
            return Some(i);
        }
    }
    (params.len() == 1).then_some(0)
}

/// What the check decided.
pub struct Verdict {
    /// The points that will run, in order.
    pub kept: Vec<Point>,
    /// Points skipped because the scenario refused them, by reason.
    pub skipped: BTreeMap<String, usize>,
}

/// Checks every point (in parallel, on rayon's current pool).
pub fn check_points(file: &SweepFile, params: &[Param], points: Vec<Point>) -> Result<Verdict, Problems> {
    let failures: Vec<Option<Vec<Problem>>> = points
        .par_iter()
        .map(|pt| {
            let ovs = point_overrides(&file.set, params, pt);
            Scenario::load(&file.scenario, &ovs).err().map(|p| p.0)
        })
        .collect();

    // Per parameter value: points containing it, points refused, and the
    // first problem attributed to it.
    let sizes: Vec<usize> = params.iter().map(|p| p.values.len()).collect();
    let mut total: Vec<Vec<u32>> = sizes.iter().map(|n| vec![0; *n]).collect();
    let mut refused: Vec<Vec<u32>> = total.clone();
    let mut example: Vec<Vec<Option<Problem>>> = sizes.iter().map(|n| vec![None; *n]).collect();
    for (pt, fail) in points.iter().zip(&failures) {
        for (j, &v) in pt.iter().enumerate() {
            total[j][v as usize] += 1;
            if fail.is_some() {
                refused[j][v as usize] += 1;
            }
        }
        if let Some(problems) = fail {
            let ovs = point_overrides(&file.set, params, pt);
            for p in problems {
                if let Some(j) = attribute(p, &file.set, params, &ovs) {
                    example[j][pt[j] as usize].get_or_insert_with(|| p.clone());
                }
            }
        }
    }
    let bad = |j: usize, v: usize| refused[j][v] > 0 && refused[j][v] == total[j][v] && example[j][v].is_some();

    let mut problems = Vec::new();
    for (j, p) in params.iter().enumerate() {
        let bad_values: Vec<usize> = (0..p.values.len()).filter(|&v| bad(j, v)).collect();
        if bad_values.is_empty() {
            continue;
        }
        let at = FieldPath::root().key("param").index(j);
        // A value is bad only once a refused point with it was recorded as its example.
        let first = example[j][bad_values[0]].as_ref().expect("bad values have an example");
        // The same complaint for every value, not quoting the value: the path is at fault.
        let same = |q: &Problem| q.field == first.field && q.message == first.message;
        let quotes_value = first.message.contains(&format!("'{}'", show(&p.values[bad_values[0]])));
        if bad_values.len() == p.values.len()
            && !quotes_value
            && bad_values.iter().all(|&v| example[j][v].as_ref().is_some_and(same))
        {
            problems.push(file.problem(
                &at.key("path"),
                format!("parameter '{}': {}", p.name, inner(first, Some(&p.path))),
                first.hint.clone(),
            ));
            continue;
        }
        for v in bad_values {
            // As above: a bad value has its example.
            let e = example[j][v].as_ref().expect("bad values have an example");
            // Sampled ranges can refuse many values; one is enough to see why.
            let sampled = sampled_range(file, j);
            problems.push(file.problem(
                &file.value_field(j, v),
                format!(
                    "parameter '{}' value '{}'{}: {}",
                    p.name,
                    show(&p.values[v]),
                    if sampled { " (from its range)" } else { "" },
                    inner(e, Some(&p.path))
                ),
                e.hint.clone(),
            ));
            if sampled {
                break;
            }
        }
    }

    let mut kept = Vec::with_capacity(points.len());
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    // Examples of refused combinations (one per field at fault, at most 3):
    // where in the sweep file, the point, the problem.
    let mut combos: Vec<(FieldPath, String, Problem)> = Vec::new();
    let mut refused_combos = 0;
    for (pt, fail) in points.into_iter().zip(failures) {
        let Some(fail) = fail else {
            kept.push(pt);
            continue;
        };
        if pt.iter().enumerate().any(|(j, &v)| bad(j, v as usize)) {
            continue; // explained by a bad value, reported above
        }
        // A point is refused only with at least one problem.
        let first = fail.into_iter().next().expect("a refused point has a problem");
        if file.skip_invalid {
            let field = first.field.as_ref().map_or_else(|| first.message.clone(), |f| f.to_string());
            *skipped.entry(format!("refused by the scenario at {field}")).or_default() += 1;
            continue;
        }
        refused_combos += 1;
        if combos.len() < 3 && !combos.iter().any(|c| c.2.field == first.field) {
            let ovs = point_overrides(&file.set, params, &pt);
            let who = attribute(&first, &file.set, params, &ovs);
            let desc: Vec<String> = ovs[file.set.len()..].iter().map(|o| o.raw.clone()).collect();
            let at = match who {
                Some(j) => file.value_field(j, pt[j] as usize),
                None => FieldPath::root().key("param").index(0),
            };
            combos.push((at, desc.join(", "), first));
        }
    }
    for (at, point, p) in &combos {
        problems.push(file.problem(
            at,
            format!(
                "{refused_combos} point{} refused by the scenario, e.g. ({point}): {}",
                if refused_combos == 1 { " is" } else { "s are" },
                inner(p, None)
            ),
            Some(format!(
                "{}skip such combinations with a [[filter]] (skip_if = \"...\"), or all refused points with skip_invalid = true",
                p.hint.as_ref().map_or(String::new(), |h| format!("{h}; or "))
            )),
        ));
    }
    if problems.is_empty() { Ok(Verdict { kept, skipped }) } else { Err(Problems(problems)) }
}

/// Whether parameter `j` is a range sampled once per point (random or Latin hypercube).
fn sampled_range(file: &SweepFile, j: usize) -> bool {
    matches!(file.params[j].source, super::file::Source::Range(_)) && file.sampling != super::file::Sampling::Grid
}
