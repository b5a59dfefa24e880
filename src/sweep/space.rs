//! The parameter space: each parameter's values (a list, or a range expanded
//! linearly or logarithmically), and the points — a grid (every combination,
//! the first parameter varying slowest) or samples (random, or a Latin
//! hypercube that uses each of `samples` strata of every parameter once).
//!
//! Generated numbers are rounded so that the value written in the CSV is the
//! value the run used, and `scalesim run --set path=value` reproduces it:
//! whole numbers when both bounds are integers, 6 significant digits for
//! other numbers, the millisecond for durations (the microsecond below
//! 1 ms). Logarithms and powers come from `libm`, so the values are the same
//! on every machine. Samples are drawn from the project's seeded streams.

use toml::Value;

use super::file::{ParamSpec, Range, Sampling, Scale, Source, Unit};
use crate::engine::rng::Stream;
use crate::engine::time::SimDuration;
use crate::input::problem::FieldPath;

/// A parameter with its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The scenario field.
    pub path: FieldPath,
    /// The path as written (the column name).
    pub name: String,
    /// Its values; a point holds indices into this list.
    pub values: Vec<Value>,
}

/// A point: one value index per parameter.
pub type Point = Box<[u32]>;

/// The `i`-th of `count` evenly spaced positions in [0, 1].
fn position(i: usize, count: usize) -> f64 {
    if count <= 1 { 0.0 } else { i as f64 / (count - 1) as f64 }
}

/// The range's value at `u` ∈ [0, 1].
pub fn value_at(r: &Range, u: f64) -> Value {
    let x = match r.scale {
        Scale::Linear => r.from + (r.to - r.from) * u,
        Scale::Log => libm::exp(libm::log(r.from) + (libm::log(r.to) - libm::log(r.from)) * u),
    };
    match r.unit {
        Unit::Integer => Value::Integer(libm::round(x) as i64),
        Unit::Float => Value::Float(round_sig(x, 6)),
        Unit::Duration => {
            let ns = x.max(0.0);
            let grain = if ns >= 1e6 { 1e6 } else { 1e3 };
            let d = SimDuration::from_nanos((libm::round(ns / grain) * grain) as u64);
            Value::String(d.to_string())
        }
    }
}

/// `x` rounded to `digits` significant digits (exactly as printed).
pub fn round_sig(x: f64, digits: usize) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let s = format!("{:.*e}", digits.saturating_sub(1), x);
    s.parse().unwrap_or(x)
}

/// A grid parameter's values: its list, or its range expanded (repeated
/// values after rounding are kept once).
fn grid_values(spec: &ParamSpec) -> Vec<Value> {
    match &spec.source {
        Source::Values(v) => v.clone(),
        Source::Range(r) => {
            let count = r.count.unwrap_or(2);
            let mut out: Vec<Value> = Vec::with_capacity(count);
            for i in 0..count {
                let v = value_at(r, position(i, count));
                if !out.contains(&v) {
                    out.push(v);
                }
            }
            out
        }
    }
}

/// The parameters and every candidate point, before filters, in order.
pub fn generate(specs: &[ParamSpec], sampling: Sampling) -> (Vec<Param>, Vec<Point>) {
    match sampling {
        Sampling::Grid => {
            let params: Vec<Param> = specs
                .iter()
                .map(|s| Param { path: s.path.clone(), name: s.name.clone(), values: grid_values(s) })
                .collect();
            let total: usize = params.iter().map(|p| p.values.len()).product();
            let points = (0..total)
                .map(|mut k| {
                    let mut idx = vec![0u32; params.len()];
                    for (j, p) in params.iter().enumerate().rev() {
                        let n = p.values.len();
                        idx[j] = (k % n) as u32;
                        k /= n;
                    }
                    idx.into_boxed_slice()
                })
                .collect();
            (params, points)
        }
        Sampling::Random { samples, seed } => sample(specs, samples as usize, seed, false),
        Sampling::LatinHypercube { samples, seed } => sample(specs, samples as usize, seed, true),
    }
}

/// Draws `n` points. Each parameter has its own stream (derived from the
/// sampling seed and its position), so adding a parameter does not move the
/// others' draws. A list is sampled by index (`floor(u × len)`); a range
/// gives one value per sample.
fn sample(specs: &[ParamSpec], n: usize, seed: u64, latin: bool) -> (Vec<Param>, Vec<Point>) {
    let mut params = Vec::with_capacity(specs.len());
    let mut columns: Vec<Vec<u32>> = Vec::with_capacity(specs.len());
    for (j, spec) in specs.iter().enumerate() {
        let mut rng = Stream::derive(seed, if latin { "sweep.latin_hypercube" } else { "sweep.random" }, j as u64);
        let us: Vec<f64> = if latin {
            // A random permutation of the strata, then a random point in each.
            let mut strata: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                let k = rng.below(i as u64 + 1) as usize;
                strata.swap(i, k);
            }
            strata.iter().map(|s| (*s as f64 + rng.uniform()) / n as f64).collect()
        } else {
            (0..n).map(|_| rng.uniform()).collect()
        };
        let (values, column) = match &spec.source {
            Source::Values(list) => {
                let col = us.iter().map(|u| ((u * list.len() as f64) as usize).min(list.len() - 1) as u32).collect();
                (list.clone(), col)
            }
            Source::Range(r) => (us.iter().map(|u| value_at(r, *u)).collect(), (0..n as u32).collect()),
        };
        params.push(Param { path: spec.path.clone(), name: spec.name.clone(), values });
        columns.push(column);
    }
    let points = (0..n).map(|i| columns.iter().map(|c| c[i]).collect::<Vec<u32>>().into_boxed_slice()).collect();
    (params, points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: f64, to: f64, count: Option<usize>, scale: Scale, unit: Unit) -> ParamSpec {
        ParamSpec {
            path: FieldPath::parse("a.b").unwrap(),
            name: "a.b".into(),
            source: Source::Range(Range { from, to, count, scale, unit }),
        }
    }

    fn shown(p: &Param) -> Vec<String> {
        p.values.iter().map(crate::input::check::show).collect()
    }

    #[test]
    fn ranges_expand_and_round() {
        let (p, _) = generate(&[range(0.5, 0.9, Some(5), Scale::Linear, Unit::Float)], Sampling::Grid);
        assert_eq!(shown(&p[0]), ["0.5", "0.6", "0.7", "0.8", "0.9"]);
        let (p, _) = generate(&[range(1e-4, 1e-1, Some(4), Scale::Log, Unit::Float)], Sampling::Grid);
        assert_eq!(shown(&p[0]), ["0.0001", "0.001", "0.01", "0.1"]);
        // Whole numbers: 1, 2.15, 4.64, 10 → 1, 2, 5, 10.
        let (p, _) = generate(&[range(1.0, 10.0, Some(4), Scale::Log, Unit::Integer)], Sampling::Grid);
        assert_eq!(shown(&p[0]), ["1", "2", "5", "10"]);
        // 1..3 in 5 steps rounds to 1, 2 (1.5 → 2), 2, 3 (2.5 → 3), 3: kept once each.
        let (p, _) = generate(&[range(1.0, 3.0, Some(5), Scale::Linear, Unit::Integer)], Sampling::Grid);
        assert_eq!(shown(&p[0]), ["1", "2", "3"]);
        let (p, _) = generate(&[range(15e9, 120e9, Some(4), Scale::Log, Unit::Duration)], Sampling::Grid);
        assert_eq!(shown(&p[0]), ["15s", "30s", "1m", "2m"]);
    }

    #[test]
    fn the_grid_varies_the_last_parameter_fastest() {
        let a = ParamSpec {
            path: FieldPath::parse("a").unwrap(),
            name: "a".into(),
            source: Source::Values(vec![Value::Integer(1), Value::Integer(2)]),
        };
        let b = range(0.0, 1.0, Some(3), Scale::Linear, Unit::Float);
        let (_, points) = generate(&[a, b], Sampling::Grid);
        let flat: Vec<Vec<u32>> = points.iter().map(|p| p.to_vec()).collect();
        assert_eq!(flat, [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
    }

    #[test]
    fn latin_hypercube_uses_every_stratum_once() {
        let n = 20;
        let spec = range(0.0, 1.0, None, Scale::Linear, Unit::Float);
        let (p, points) = generate(&[spec.clone(), spec], Sampling::LatinHypercube { samples: n, seed: 3 });
        for param in &p {
            let mut strata: Vec<usize> =
                param.values.iter().map(|v| (v.as_float().unwrap() * n as f64) as usize).collect();
            strata.sort();
            assert_eq!(strata, (0..n as usize).collect::<Vec<_>>());
        }
        assert_eq!(points.len(), n as usize);
        // The same seed gives the same draws; another seed does not.
        let again = generate(
            &[range(0.0, 1.0, None, Scale::Linear, Unit::Float)],
            Sampling::LatinHypercube { samples: n, seed: 3 },
        );
        assert_eq!(again.0[0], p[0]);
        let other = generate(
            &[range(0.0, 1.0, None, Scale::Linear, Unit::Float)],
            Sampling::LatinHypercube { samples: n, seed: 4 },
        );
        assert_ne!(other.0[0], p[0]);
    }

    #[test]
    fn random_lists_are_sampled_by_index() {
        let spec = ParamSpec {
            path: FieldPath::parse("a").unwrap(),
            name: "a".into(),
            source: Source::Values(vec![Value::Integer(1), Value::Integer(2), Value::Integer(3)]),
        };
        let (p, points) = generate(&[spec], Sampling::Random { samples: 300, seed: 1 });
        assert_eq!(p[0].values.len(), 3);
        for k in 0..3u32 {
            let n = points.iter().filter(|pt| pt[0] == k).count();
            assert!((70..130).contains(&n), "value {k} drawn {n} times of 300");
        }
    }
}
