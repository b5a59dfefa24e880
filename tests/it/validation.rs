//! Invalid inputs are refused before anything runs, with the file, the line,
//! the field, the bad value and a hint. Each fixture in `tests/invalid/`
//! states the fragments its message must contain in `# expect:` lines.

use scalesim::scenario::Scenario;

use crate::cli::walk;
use crate::support::root;

#[test]
fn every_invalid_fixture_is_refused_with_its_message() {
    let fixtures = walk(&root().join("tests/invalid"));
    assert!(fixtures.len() >= 20, "fixtures went missing");
    let mut failures = Vec::new();
    for path in fixtures {
        let text = std::fs::read_to_string(&path).unwrap();
        let expected: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# expect: ")).collect();
        assert!(!expected.is_empty(), "{} has no '# expect:' line", path.display());
        match Scenario::load(&path, &[]) {
            Ok(_) => failures.push(format!("{}: accepted", path.display())),
            Err(problems) => {
                let message = problems.to_string();
                for fragment in expected {
                    if !message.contains(fragment) {
                        failures.push(format!("{}: no '{fragment}' in:\n{message}", path.display()));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn all_problems_are_reported_at_once() {
    let text = "[traffic]\nshape = { kind = \"constant\", rps = -5 }\n[fleet]\ncores = 0\nqueue = -1\n";
    let err = Scenario::from_text(&root().join("scenarios/x.toml"), text, &[]).unwrap_err();
    assert_eq!(err.0.len(), 3, "{err}");
}
