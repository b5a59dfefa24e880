//! `scalesim diagnose`: each shipped `scenarios/diagnose/*.toml` gets the
//! verdict its header promises, the variant it rests on really meets the
//! SLO when run alone with its `--set` overrides, and the diagnosis is the
//! same bytes on one job and on two.

use scalesim::diagnose::{Diagnosis, Options, Verdict, diagnose};

use crate::support::{load, root, run};

fn diagnosed(name: &str, jobs: usize) -> Diagnosis {
    let path = root().join("scenarios/diagnose").join(format!("{name}.toml"));
    diagnose(&path, &[], None, &Options { jobs, budget: 12, keep_runs: None }).expect("diagnoses")
}

/// The verdict, and the winner rerun alone as a user would.
fn check(name: &str, verdict: Verdict, winner: &str) -> Diagnosis {
    let d = diagnosed(name, 2);
    eprintln!("{}", d.render());
    assert_eq!(d.verdict, verdict, "{name}: {}", d.evidence);
    assert_eq!(d.winner.as_deref(), Some(winner), "{name}");
    assert!(!d.baseline.slo_met, "{name}: the baseline should miss its SLO");
    let w = d.ranked.iter().find(|o| o.variant.name == winner).expect("the winner ran");
    let path = root().join("scenarios/diagnose").join(format!("{name}.toml"));
    let sets: Vec<&str> = w.variant.set.iter().map(String::as_str).collect();
    let s = load(&path, &sets);
    let alone = run(&s, s.seed).summary.expect("summary");
    assert!(alone.slo.met, "{name}: {winner} alone ({sets:?}) misses the SLO: {:?}", alone.slo);
    assert_eq!(alone.slo.attainment, Some(w.attainment), "{name}: the rerun is the same run");
    d
}

#[test]
fn cpu_bound_scaling_out_wins_and_the_hot_path_is_the_durable_fix() {
    let d = check("cpu-bound", Verdict::ScaleOut, "raise-max");
    assert_eq!(d.symptoms[0].class.name(), "capacity-bound");
    assert_eq!(d.durable.as_deref(), Some("optimize-code"));
}

#[test]
fn contention_bound_scaling_out_does_not_help_and_the_query_fix_wins() {
    let d = check("contention", Verdict::OptimizeFirst, "faster-query");
    assert_eq!(d.symptoms[0].class.name(), "contention-bound");
    let out = d.ranked.iter().find(|o| o.variant.name == "scale-out").expect("scale-out ran");
    assert!(!out.slo_met);
    assert!(d.evidence.contains("Horizontal scaling does not help"), "{}", d.evidence);
    // The only variant that holds.
    assert_eq!(d.ranked.iter().filter(|o| o.slo_met).count(), 1);
}

#[test]
fn connection_bound_a_pooler_wins() {
    let d = check("connections", Verdict::AddAPooler, "pooler");
    assert_eq!(d.symptoms[0].class.name(), "connection-bound");
    let out = d.ranked.iter().find(|o| o.variant.name == "scale-out").expect("scale-out ran");
    assert!(out.availability < d.baseline.availability, "more replicas, more refused pools");
}

#[test]
fn a_diagnosis_is_the_same_on_one_job_and_on_two() {
    let one = serde_json::to_string(&diagnosed("cpu-bound", 1)).unwrap();
    let two = serde_json::to_string(&diagnosed("cpu-bound", 2)).unwrap();
    assert_eq!(one, two);
}

#[test]
fn a_leak_only_fixing_it_holds() {
    let d = check("leak", Verdict::FixTheLeakFirst, "fix-leak");
    assert_eq!(d.symptoms[0].class.name(), "memory-bound");
    assert_eq!(d.ranked.iter().filter(|o| o.slo_met).count(), 1, "only the fix holds");
}

#[test]
fn capacity_bound_node_headroom_wins_and_a_bigger_instance_does_not_fit() {
    let d = check("node-headroom", Verdict::ScaleNow, "node-headroom");
    assert_eq!(d.symptoms[0].class.name(), "capacity-bound");
    // A −30% hot path fits the 12 slots too: the durable fix, second.
    assert_eq!(d.durable.as_deref(), Some("optimize-code"));
    // Twice the cores take twice the room on the same nodes: no gain.
    let up = d.ranked.iter().find(|o| o.variant.name == "scale-up").expect("scale-up ran");
    assert!(!up.slo_met && up.variant.set.iter().any(|s| s == "fleet.capacity.pods_per_node=2"), "{up:?}");
    // A higher max lifts nothing: the max was not what held it back.
    let max = d.ranked.iter().find(|o| o.variant.name == "raise-max").expect("raise-max ran");
    assert!(!max.slo_met);
}

#[test]
fn metric_lag_a_shorter_window_wins() {
    let d = check("metric-lag", Verdict::ScaleNow, "shorter-window");
    assert_eq!(d.symptoms[0].class.name(), "control-bound");
    assert!(d.symptoms[0].evidence.contains("metric_lag"), "{}", d.symptoms[0].evidence);
    // Neither more headroom in the max nor bigger instances hold: the
    // policy sees the load late, whatever it then adds.
    for name in ["raise-max", "scale-up", "optimize-code"] {
        let o = d.ranked.iter().find(|o| o.variant.name == name).expect("ran");
        assert!(!o.slo_met, "{name} holds too: {o:?}");
    }
}

/// The report page in headless Chromium (as tests/it/report.rs opens the
/// others): the verdict, the symptoms, the ranked table and the chart of
/// attainment against cost, drawn with no network and no script error; and
/// `scalesim report DIR` writes the same page. The screenshot goes to
/// `target/report-screenshots/diagnose-metric-lag.png`.
#[test]
fn the_diagnosis_report_shows_the_verdict_the_symptoms_and_the_ranked_variants() {
    use std::process::{Command, Stdio};
    let chromium = Command::new("chromium").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    if !chromium.is_ok_and(|s| s.success()) {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "'chromium' is not installed on CI");
        eprintln!("SKIPPED: 'chromium' is not installed (apt-get install -y chromium)");
        return;
    }
    let scalesim = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_scalesim")).args(args).current_dir(root()).output().expect("runs");
        assert!(o.status.success(), "scalesim {args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let dir = crate::support::temp_dir("diagnose-report");
    let out = dir.join("d");
    let text =
        scalesim(&["diagnose", "scenarios/diagnose/metric-lag.toml", "--jobs", "2", "--out", out.to_str().unwrap()]);
    let page = out.join("report.html");
    assert!(text.contains(&format!("report     {}", page.display())), "{text}");
    let again = dir.join("again.html");
    scalesim(&["report", out.to_str().unwrap(), "--out", again.to_str().unwrap()]);
    assert_eq!(std::fs::read(&page).unwrap(), std::fs::read(&again).unwrap(), "report DIR writes the same page");

    let seen = crate::support::open(&page, "diagnose-metric-lag");
    let dom = &seen.dom;
    assert!(seen.console.is_empty(), "console messages:\n{}", seen.console.join("\n"));
    let body = &dom[dom.find("<body").expect("a body")..];
    let body_tag = &body[..body.find('>').unwrap()];
    assert!(!body_tag.contains("data-errors"), "a script failed: {body_tag}");
    assert!(body_tag.contains("data-charts=\"1\""), "the one chart drawn: {body_tag}");
    assert!(dom.contains("class=\"uplot"), "uPlot did not draw");
    let figure = &dom[dom.find("<figure class=\"chart\"").expect("a chart")..];
    let figure = &figure[..figure.find('>').unwrap()];
    assert!(figure.contains("data-series=\"3\""), "met, missed, baseline: {figure}");
    assert!(dom.contains("SCALE NOW") && dom.contains("Symptoms") && dom.contains("Variants, ranked"), "sections");
    assert!(dom.contains("control-bound") && dom.contains("metric_lag"), "the symptom and its finding");
    // The winner is the highlighted row, and its rerun command is shown.
    let winner = &dom[dom.find("<tr class=\"cheapest\"").expect("the winner's row")..];
    assert!(winner[..winner.find("</tr>").unwrap()].contains("shorter-window"), "the winner's row");
    assert!(
        dom.contains("scalesim run scenarios/diagnose/metric-lag.toml --set 'metrics.scrape_interval=\"15s\"'")
            || dom.contains(
                "scalesim run scenarios/diagnose/metric-lag.toml --set 'metrics.scrape_interval=&quot;15s&quot;'"
            )
    );
}
