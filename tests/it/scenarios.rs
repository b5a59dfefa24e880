//! Every shipped scenario and model loads, and every field the parser
//! accepts is documented (and nothing documented is refused).

use std::collections::BTreeSet;

use scalesim::policy::{PolicyName, PolicySpec};
use scalesim::scenario::{Override, SECTIONS, Scenario};

use crate::cli::walk;
use crate::support::root;

#[test]
fn every_shipped_scenario_loads() {
    let files = walk(&root().join("scenarios"));
    assert!(files.len() >= 3);
    for f in files {
        let s = Scenario::load(&f, &[]).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        // Bounds are read from the configuration, without building the
        // policy; they must be the ones the built policy starts with.
        assert_eq!(s.autoscaler.bounds(), s.autoscaler.build().bounds(), "{}", f.display());
        // A policy takes its own configuration back, and no other.
        let mut p = s.autoscaler.build();
        assert_eq!(p.reconfigure(&s.autoscaler.config), Ok(()), "{}", f.display());
        if s.autoscaler.name() != PolicyName::Fixed {
            let e = p.reconfigure(&PolicySpec::fixed(2).config).unwrap_err();
            assert_eq!((e.policy, e.given), (s.autoscaler.name(), PolicyName::Fixed));
        }
    }
}

/// A component model is a section's defaults; it is loaded the way a
/// scenario names it: `model = "..."` in the section its folder is for.
#[test]
fn every_shipped_model_loads() {
    let mut seen = 0;
    for f in walk(&root().join("models")) {
        let folder = f.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
        if folder == "instance-types" {
            // A family of types: what [fleet] and [database] name in `types`.
            let text = format!(
                "[traffic]\nshape = {{ kind = \"constant\", rps = 10 }}\n[fleet]\ntypes = {p:?}\n[database]\ntypes = {p:?}\n",
                p = f.to_str().unwrap()
            );
            if let Err(e) = Scenario::from_text(&root().join("scenarios/model-check.toml"), &text, &[]) {
                panic!("{}: {e}", f.display());
            }
            seen += 1;
            continue;
        }
        let section = match folder.as_str() {
            "apps" => "fleet",
            "databases" => "database",
            "caches" => "cache",
            "poolers" => "pooler",
            other => panic!("models/{other}/: which section are these models for? Add it here."),
        };
        let database = if section == "database" { "" } else { "[database]\n" };
        let text = format!(
            "[traffic]\nshape = {{ kind = \"constant\", rps = 10 }}\n{database}[{section}]\nmodel = {:?}\n",
            f.to_str().unwrap()
        );
        if let Err(e) = Scenario::from_text(&root().join("scenarios/model-check.toml"), &text, &[]) {
            panic!("{}: {e}", f.display());
        }
        seen += 1;
    }
    assert!(seen >= 1);
}

/// The keys a section accepts, read from the parser's own "unknown field"
/// message for a probe key.
fn accepted_keys(base: &str, section: &str) -> BTreeSet<String> {
    let probe = Override::parse(&format!("{section}.__probe=1")).unwrap();
    let err = Scenario::from_text(&root().join("scenarios/probe.toml"), base, &[probe]).unwrap_err().to_string();
    let list = err.split("the fields here are: ").nth(1).unwrap_or_else(|| panic!("{section}: {err}"));
    list.lines().next().unwrap().split(", ").map(str::to_string).collect()
}

#[test]
fn every_accepted_field_is_documented_and_every_documented_field_accepted() {
    let base = "[traffic]\nshape = { kind = \"constant\", rps = 10 }\n";
    for (section, fields) in SECTIONS {
        if section.is_empty() || *section == "events" || *section == "autoscaler" {
            continue;
        }
        let documented: BTreeSet<String> = fields.iter().map(|f| f.key.to_string()).collect();
        let base = if *section == "traffic" { "" } else { base };
        let text = if base.is_empty() { "[traffic]\nshape = { kind = \"constant\", rps = 10 }\n" } else { base };
        assert_eq!(accepted_keys(text, section), documented, "[{section}]");
    }
    for policy in <scalesim::policy::PolicyName as strum::IntoEnumIterator>::iter() {
        let fields = policy.fields();
        let text = format!("{base}[autoscaler]\npolicy = \"{policy}\"\n");
        let documented: BTreeSet<String> = fields.iter().map(|f| f.key.to_string()).collect();
        assert_eq!(accepted_keys(&text, "autoscaler"), documented, "policy {policy}");
    }
    // Top level: the documented fields and the sections are all there is.
    let err = Scenario::from_text(&root().join("scenarios/probe.toml"), &format!("zzz = 1\n{base}"), &[]).unwrap_err();
    let top: BTreeSet<&str> =
        SECTIONS[0].1.iter().map(|f| f.key).chain(SECTIONS[1..].iter().map(|(s, _)| *s)).collect();
    for key in &top {
        assert!(err.to_string().contains(key), "top-level '{key}' not among the accepted sections: {err}");
    }
}
