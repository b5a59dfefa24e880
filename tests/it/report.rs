//! The report in a real browser and the OpenMetrics export in a real
//! Prometheus. Each test starts what it needs (headless Chromium, promtool,
//! a Prometheus server on 127.0.0.1) and stops it; where the binary is not
//! installed it says so and returns (`.ci/run` installs Debian's `chromium`
//! and `prometheus`, and there a missing one fails). Screenshots go to
//! `target/report-screenshots/`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::support::{Seen, open, root, temp_dir};

fn scalesim(args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_scalesim")).args(args).current_dir(root()).output().expect("runs");
    assert!(o.status.success(), "scalesim {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    o
}

/// Whether `program --version` runs; if not, prints why the test is skipped.
fn installed(program: &str, package: &str) -> bool {
    let ok = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        // CI installs both (.ci/run): there, a missing binary is a failure, not a skip.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "'{program}' is not installed on CI (apt-get install -y {package})"
        );
        eprintln!("SKIPPED: '{program}' is not installed (apt-get install -y {package})");
    }
    ok
}

/// The attributes of each element with this opening (`<figure`).
fn elements(dom: &str, open: &str) -> Vec<BTreeMap<String, String>> {
    dom.match_indices(open)
        .map(|(i, _)| {
            let tag = &dom[i..i + dom[i..].find('>').unwrap_or(0)];
            let mut attrs = BTreeMap::new();
            let mut rest = tag;
            while let Some(eq) = rest.find("=\"") {
                let name = rest[..eq].rsplit(|c: char| c.is_whitespace()).next().unwrap_or("").to_string();
                let value_start = eq + 2;
                let end = rest[value_start..].find('"').map_or(rest.len(), |e| value_start + e);
                attrs.insert(name, rest[value_start..end].to_string());
                rest = &rest[(end + 1).min(rest.len())..];
            }
            attrs
        })
        .collect()
}

fn num(attrs: &BTreeMap<String, String>, key: &str) -> usize {
    attrs.get(key).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no {key} in {attrs:?}"))
}

/// Every chart drew: no console message, no script error, every figure has
/// series with points. Returns the figures' attributes.
fn rendered(seen: &Seen, what: &str) -> Vec<BTreeMap<String, String>> {
    assert!(seen.console.is_empty(), "{what}: console messages:\n{}", seen.console.join("\n"));
    let figures = elements(&seen.dom, "<figure class=\"chart\"");
    assert!(!figures.is_empty(), "{what}: no chart");
    let body = &elements(&seen.dom, "<body")[0];
    assert!(!body.contains_key("data-errors"), "{what}: a script failed: {body:?}");
    assert_eq!(num(body, "data-charts"), figures.len(), "{what}: every chart drawn");
    for f in &figures {
        assert!(num(f, "data-series") >= 1 && num(f, "data-points") >= 2, "{what}: an empty chart {f:?}");
    }
    assert!(seen.dom.matches("class=\"uplot").count() >= figures.len(), "{what}: uPlot did not draw");
    figures
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn flapping_shows_its_oscillation_shaded_and_the_fixed_run_does_not() {
    if !installed("chromium", "chromium") {
        return;
    }
    let base = temp_dir("report-flapping");
    let mut seen = Vec::new();
    for name in ["flapping", "flapping-fixed"] {
        let dir = base.join(name);
        let scenario = format!("scenarios/failure-modes/{name}.toml");
        scalesim(&["run", &scenario, "--out", dir.to_str().unwrap(), "--report", "--quiet"]);
        let page = dir.join("report.html");
        let html = std::fs::read_to_string(&page).unwrap();
        let again = base.join(format!("{name}-again.html"));
        scalesim(&["report", dir.to_str().unwrap(), "--out", again.to_str().unwrap()]);
        assert!(html == std::fs::read_to_string(&again).unwrap(), "the same run gives the same report bytes");
        assert!(!html.contains("src=\"http") && !html.contains("href=\"http"), "nothing loaded from the network");
        let s = open(&page, name);
        let figures = rendered(&s, name);
        let replicas = &figures[0];
        let drawn = num(replicas, "data-desired-reversals");
        let reversals = summary(&dir)["scaling"]["reversals"].as_u64().unwrap() as usize;
        let flapping_bands = elements(&s.dom, "class=\"sc-overlay episode\"")
            .iter()
            .filter(|a| a.get("data-kind").map(String::as_str) == Some("flapping"))
            .count();
        seen.push((drawn, reversals, flapping_bands, num(replicas, "data-markers")));
    }
    let [(drawn, reversals, bands, markers), (fixed_drawn, fixed_reversals, fixed_bands, _)] = seen[..] else {
        unreachable!()
    };
    // The drawn desired count (7200 rows as min/max buckets) keeps the
    // reversals the run counted: 89 of 89 on this seed.
    assert!(
        drawn * 10 >= reversals * 9 && reversals >= 50,
        "oscillation visible: {drawn} of {reversals} reversals drawn"
    );
    assert!(bands >= 1, "the flapping finding is shaded on the charts");
    assert!(markers >= 100, "the scaling decisions are marked ({markers})");
    assert!(fixed_drawn <= fixed_reversals + 1 && fixed_reversals < 15, "fixed: {fixed_drawn} reversals drawn");
    assert_eq!(fixed_bands, 0, "no flapping finding on the fixed run");
}

#[test]
fn three_runs_compared_overlay_one_colour_each_with_the_differences() {
    if !installed("chromium", "chromium") {
        return;
    }
    let base = temp_dir("report-compare");
    let mut dirs = Vec::new();
    for window in [0, 60, 300] {
        let dir = base.join(format!("stabilization-{window}s"));
        let set = format!("autoscaler.behavior.scaleDown.stabilizationWindowSeconds={window}");
        scalesim(&[
            "run",
            "scenarios/quickstart.toml",
            "--set",
            "duration=15m",
            "--set",
            &set,
            "--out",
            dir.to_str().unwrap(),
            "--quiet",
        ]);
        dirs.push(dir.to_str().unwrap().to_string());
    }
    let page = base.join("compare.html");
    let mut args = vec!["report"];
    args.extend(dirs.iter().map(String::as_str));
    args.extend(["--out", page.to_str().unwrap()]);
    scalesim(&args);
    let s = open(&page, "compare-three-runs");
    let figures = rendered(&s, "compare");
    assert_eq!(num(&figures[0], "data-series"), 6, "ready and desired for each of 3 runs");
    let html = std::fs::read_to_string(&page).unwrap();
    for name in ["stabilization-0s", "stabilization-60s", "stabilization-300s"] {
        assert!(html.contains(&format!("ready · {name}")), "{name} overlaid");
    }
    assert!(s.dom.contains("difference from the first"), "side-by-side table with differences");
}

#[test]
fn a_sweep_report_shows_the_front_hoverable_and_a_heatmap() {
    if !installed("chromium", "chromium") {
        return;
    }
    let dir = temp_dir("report-sweep");
    let sweep = dir.join("sweep.toml");
    let scenario = root().join("scenarios/quickstart.toml");
    std::fs::write(
        &sweep,
        format!(
            "name = \"report-sweep\"\nscenario = \"{}\"\nset = [\"duration=5m\"]\nseeds = 1\n\n[[param]]\npath = \"fleet.initial\"\nvalues = [2, 6]\n\n[[param]]\npath = \"autoscaler.metrics[0].resource.target.averageUtilization\"\nvalues = [40, 80]\n",
            scenario.display()
        ),
    )
    .unwrap();
    let out = dir.join("runs.csv");
    scalesim(&["sweep", sweep.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet", "--jobs", "1"]);
    let page = dir.join("runs.report.html");
    assert!(page.is_file(), "sweep writes its report beside the CSV");
    let s = open(&page, "sweep");
    let figures = rendered(&s, "sweep");
    assert_eq!(figures.len(), 1, "the front chart");
    assert!(num(&figures[0], "data-points") > 4, "every point, and the front");
    assert_eq!(s.dom.matches("<td class=\"cell\"").count(), 4, "a 2 × 2 heatmap");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains(&format!("scalesim run {} --set 'duration=5m' --seed", scenario.display())),
        "each point carries the command that reruns it"
    );
}

#[test]
fn a_validation_report_overlays_observed_and_simulated_during_the_burst() {
    if !installed("chromium", "chromium") {
        return;
    }
    let dir = temp_dir("report-validation");
    let recording = root().join("validation/data/burst");
    let svc = dir.join("svc");
    scalesim(&["import", "prometheus", recording.to_str().unwrap(), "--out", svc.to_str().unwrap()]);
    let out = dir.join("validation");
    let scenario = svc.join("scenario.toml");
    let o = scalesim(&[
        "validate",
        scenario.to_str().unwrap(),
        "--observed",
        recording.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let page = out.join("report.html");
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("report {}", page.display())));
    let s = open(&page, "validation-burst");
    let figures = rendered(&s, "validation");
    // Throughput, CPU, p50, p95, p99, ready replicas, errors (the burst
    // overflows the service's 64-deep queue: refusals in both), in flight.
    assert_eq!(figures.len(), 8, "{figures:?}");
    for f in &figures {
        assert_eq!(num(f, "data-series"), 2, "observed and simulated: {f:?}");
    }
    assert!(s.dom.contains("Mean error at each steady level"), "the levels' table");
    // `scalesim report` on the directory writes the same page.
    let again = dir.join("again.html");
    scalesim(&["report", out.to_str().unwrap(), "--out", again.to_str().unwrap()]);
    assert_eq!(std::fs::read(&page).unwrap(), std::fs::read(&again).unwrap());
}

/// A Prometheus server over a data directory, stopped when dropped.
struct Prometheus {
    child: Child,
    port: u16,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(data: &Path, work: &Path) -> Prometheus {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = work.join("prometheus.yml");
        std::fs::write(&config, "global:\n  scrape_interval: 1m\n").unwrap();
        let log = std::fs::File::create(work.join("prometheus.log")).unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg("--storage.tsdb.retention.time=100y")
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("prometheus starts");
        let p = Prometheus { child, port };
        for _ in 0..600 {
            if p.get("/-/ready").is_some_and(|(code, _)| code == 200) {
                return p;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("prometheus not ready: {}", std::fs::read_to_string(work.join("prometheus.log")).unwrap_or_default());
    }

    /// An HTTP/1.0 GET: status and body.
    fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        let code = text.split_whitespace().nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n").map_or(String::new(), |(_, b)| b.to_string());
        Some((code, body))
    }

    /// The instant query's vector: (labels, value).
    fn query(&self, promql: &str, at: f64) -> Vec<(BTreeMap<String, String>, f64)> {
        let encoded: String = promql
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b == b'_' { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        let (code, body) = self.get(&format!("/api/v1/query?query={encoded}&time={at:.3}")).expect("query answered");
        assert_eq!(code, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["data"]["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let labels = r["metric"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect();
                (labels, r["value"][1].as_str().unwrap().parse().unwrap())
            })
            .collect()
    }
}

#[test]
fn prometheus_backfills_the_openmetrics_export_and_answers_with_the_run() {
    if !installed("promtool", "prometheus") || !installed("prometheus", "prometheus") {
        return;
    }
    let work = temp_dir("report-prometheus");
    let run = work.join("quickstart");
    let file = work.join("quickstart.om.txt");
    let start = "2026-01-01T00:00:00Z";
    scalesim(&[
        "run",
        "scenarios/quickstart.toml",
        "--set",
        "duration=10m",
        "--out",
        run.to_str().unwrap(),
        "--quiet",
        "--openmetrics",
        file.to_str().unwrap(),
        "--start",
        start,
    ]);
    // `export` writes the same file from the directory.
    let again = work.join("again.om.txt");
    scalesim(&["export", "openmetrics", run.to_str().unwrap(), "--out", again.to_str().unwrap(), "--start", start]);
    assert_eq!(std::fs::read(&file).unwrap(), std::fs::read(&again).unwrap());

    let data = work.join("data");
    let o = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&file)
        .arg(&data)
        .output()
        .expect("promtool runs");
    assert!(
        o.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );

    let prometheus = Prometheus::start(&data, &work);
    let rows = scalesim::output::read::read_columns(&run.join("timeseries.csv")).unwrap();
    let t = rows.time();
    let ready = rows.get("replicas_ready").unwrap();
    let epoch = 1_767_225_600.0; // 2026-01-01T00:00:00Z
    for i in [0, 59, 300, t.len() - 1] {
        // A sample is stamped at the end of its tick.
        let at = epoch + t[i] + rows.tick();
        let got = prometheus.query("scalesim_replicas{state=\"ready\"}", at);
        assert_eq!(got.len(), 1, "one series at {at}: {got:?}");
        let (labels, value) = &got[0];
        assert_eq!(Some(*value), ready[i], "replicas ready at row {i}");
        assert_eq!(labels["scenario"], "quickstart");
        assert_eq!(labels["run"], "quickstart");
        assert_eq!(labels["seed"], "7");
    }
    let ok = prometheus.query("scalesim_requests_total{outcome=\"success\"}", epoch + 600.0);
    let succeeded = summary(&run)["requests"]["succeeded"].as_f64().unwrap();
    assert!(
        (ok[0].1 - succeeded).abs() <= succeeded * 0.01,
        "the success counter at the end ({}) is the run's successes ({succeeded})",
        ok[0].1
    );
    // Every query of the shipped Grafana dashboard runs on the backfilled
    // data, and the panels a run without a data tier has are not empty.
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("dashboards/scalesim.json")).unwrap()).unwrap();
    for panel in dashboard["panels"].as_array().unwrap() {
        let title = panel["title"].as_str().unwrap();
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap().replace("$scenario", ".*").replace("$run", ".*");
            let got = prometheus.query(&expr, epoch + 300.0);
            let app_tier = !["DB ", "Pool", "Cache", "Replication"].iter().any(|p| title.starts_with(p));
            if app_tier && !expr.contains("pooler") {
                assert!(!got.is_empty(), "panel '{title}': {expr} answered nothing");
            }
        }
    }
    drop(prometheus);
}

#[test]
fn the_dashboard_names_only_exported_metrics() {
    let text = std::fs::read_to_string(root().join("dashboards/scalesim.json")).unwrap();
    let families: Vec<&str> = scalesim::output::openmetrics::family_names().collect();
    let mut names = 0;
    for (i, _) in text.match_indices("scalesim_") {
        let name: String = text[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let family = name.strip_suffix("_total").unwrap_or(&name);
        assert!(families.contains(&family), "the dashboard queries '{name}', which the export does not write");
        names += 1;
    }
    assert!(names >= 20, "{names} metric references");
}
