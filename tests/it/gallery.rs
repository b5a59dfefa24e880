//! The failure-mode gallery: for every kind of finding, the shipped
//! `scenarios/failure-modes/<kind>.toml` produces it, and `<kind>-fixed.toml`
//! (the same scenario with the documented fix) does not, with better SLO
//! attainment or no worse cost. Also: healthy scenarios raise no alarm.

use scalesim::output::Summary;
use scalesim::output::summary::FindingKind;
use strum::IntoEnumIterator;

use crate::support::{load, root, run, scenario_path};

fn summary(name: &str) -> Summary {
    let path = root().join("scenarios/failure-modes").join(format!("{name}.toml"));
    let s = load(&path, &[]);
    run(&s, s.seed).summary.expect("summary")
}

fn kinds(s: &Summary) -> Vec<FindingKind> {
    s.findings.iter().map(|f| f.kind).collect()
}

#[test]
fn every_failure_mode_is_shown_and_its_fix_removes_it() {
    let mut problems = Vec::new();
    // Every kind, by construction: a new one needs its pair of scenarios.
    for kind in FindingKind::iter() {
        let file = &kind.name().replace('_', "-");
        let broken = summary(file);
        let fixed = summary(&format!("{file}-fixed"));
        let (a, b) = (broken.slo.attainment.unwrap_or(0.0), fixed.slo.attainment.unwrap_or(0.0));
        let (cost_a, cost_b) = (broken.cost.replica_hours, fixed.cost.replica_hours);
        eprintln!(
            "{kind}: shown {:?}; fixed {:?}; SLO attainment {a:.3} → {b:.3}, availability {:.4} → {:.4}, replica-hours {cost_a:.2} → {cost_b:.2}",
            kinds(&broken),
            kinds(&fixed),
            broken.slo.availability.unwrap_or(0.0),
            fixed.slo.availability.unwrap_or(0.0)
        );
        if !kinds(&broken).contains(&kind) {
            problems.push(format!("{file}.toml does not show {kind}: {:?}", kinds(&broken)));
        }
        if kinds(&fixed).contains(&kind) {
            problems.push(format!("{file}-fixed.toml still shows {kind}"));
        }
        if !(b > a || (b >= a && cost_b <= cost_a)) {
            problems.push(format!("{file}: the fix neither improves attainment ({a:.3} → {b:.3}) nor keeps cost ({cost_a:.2} → {cost_b:.2})"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// No false alarms: the quickstart, and a well-tuned steady service with the
/// whole data tier (draining, a pooler, single-flight with TTL jitter,
/// exponential backoff with jitter), find nothing.
#[test]
fn healthy_scenarios_raise_no_alarm() {
    for path in [scenario_path("quickstart"), scenario_path("steady")] {
        let s = load(&path, &[]);
        let found = run(&s, s.seed).summary.unwrap().findings;
        assert!(
            found.is_empty(),
            "{}: {:?}",
            path.display(),
            found.iter().map(|f| (&f.kind, &f.evidence)).collect::<Vec<_>>()
        );
    }
}
