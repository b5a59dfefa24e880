//! The game-day dashboard: what it draws (ratatui's `TestBackend` at 80×24
//! and 160×48), and that a session driven through its driver — keys,
//! frames, pacing — replays byte for byte with `scalesim run --events`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use scalesim::engine::time::{SimDuration, SimTime};
use scalesim::model::outcome::ErrorKind;
use scalesim::output::timeseries::DataTierColumns;
use scalesim::output::{EventKind, EventRow, TickRow};
use scalesim::scenario::events::Action;
use scalesim::scenario::{Override, Scenario};
use scalesim::tui::app::{App, Clock, Info, Mode, Status, Zone};
use scalesim::tui::driver::Driver;
use scalesim::tui::{Options, render, start, update};

use crate::support::{root, scenario_path, temp_dir};

// ---------------------------------------------------------------- rendering

fn info() -> Info {
    Info {
        name: "gameday".into(),
        end: SimTime::ZERO + SimDuration::from_secs(3600),
        tick: SimDuration::from_secs(1),
        slo_p99_ms: 400.0,
        availability: 0.999,
        zones: 3,
        policy: "threshold".into(),
        metric: Some("cpu".into()),
        database: false,
        cache: false,
        out_dir: "out/gameday".into(),
        session_path: "out/gameday/session.toml".into(),
    }
}

/// Ten minutes into a game day: 14 replicas asked for, 12 ready and 2
/// warming, p99 124 ms against a 400 ms SLO, 3 kills a second after a fault
/// in the last 30 s, the autoscaler frozen, two actions recorded.
fn fixed_state(info: Info, data: bool) -> App {
    let mut app = App::new(info);
    let rows = (0..600)
        .map(|t| {
            let mut errors = [0.0; ErrorKind::ALL.len()];
            if t >= 570 {
                errors[ErrorKind::Killed.index()] = 3.0;
            }
            TickRow {
                t_s: f64::from(t),
                offered_rps: 700.0,
                completed_rps: 698.0,
                errors,
                p50_ms: Some(18.2),
                p95_ms: Some(70.3),
                p99_ms: Some(if t == 599 { 124.4 } else { 110.0 }),
                replicas_desired: 14,
                replicas_ready: 12,
                replicas_warming: 2,
                capacity: Some(48),
                cpu_util_true: Some(0.58),
                metric_true: Some(0.58),
                metric_seen: Some(0.62),
                metric_target: Some(0.65),
                in_flight: 23,
                data: if data {
                    DataTierColumns {
                        db_connections: Some(120.0),
                        db_max_connections: Some(500.0),
                        db_active: Some(12.0),
                        db_util: Some(0.45),
                        db_lock_wait_ms: Some(0.3),
                        pool_wait_p99_ms: Some(3.2),
                        cache_hit_ratio: Some(0.92),
                        db_reads_rps: Some(60.0),
                        db_writes_rps: Some(70.0),
                        ..DataTierColumns::default()
                    }
                } else {
                    DataTierColumns::default()
                },
                ..TickRow::default()
            }
        })
        .collect();
    let event = |s: u64, kind: EventKind, subject: &str, detail: &str| EventRow {
        at: SimTime::from_secs(s),
        kind,
        subject: subject.into(),
        detail: detail.into(),
    };
    let events = vec![
        event(420, EventKind::Scale, "threshold", "12 → 14: cpu 66.1% > 65.0% → 14"),
        event(570, EventKind::Fault, "kill_instances", "killed 4 of 14 running instance(s)"),
        event(571, EventKind::Instance, "i-3", "ready → terminated"),
        event(580, EventKind::Intervention, "freeze_autoscaler", "autoscaler frozen"),
    ];
    let status = Status {
        now: SimTime::from_secs(600),
        frozen: true,
        desired: 14,
        bounds: (6, 36),
        metric: Some("cpu"),
        zones: vec![Zone { live: 5, running: 4 }, Zone { live: 5, running: 5 }, Zone { live: 4, running: 3 }],
        finished: false,
    };
    update::observe(&mut app, status, rows, events);
    app.clock = Clock::Running;
    app.recorded = 2;
    app.message = None;
    app
}

fn draw(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| render::render(app, f)).unwrap();
    terminal.backend().buffer().clone()
}

/// The buffer as text, one string per row.
fn lines(b: &Buffer) -> Vec<String> {
    (0..b.area.height)
        .map(|y| (0..b.area.width).map(|x| b[(x, y)].symbol()).collect::<String>().trim_end().to_string())
        .collect()
}

fn assert_shows(screen: &[String], parts: &[&str]) {
    let all = screen.join("\n");
    for p in parts {
        assert!(all.contains(p), "'{p}' not on screen:\n{all}");
    }
}

#[test]
fn the_80x24_dashboard_shows_state_figures_and_log() {
    let buffer = draw(&fixed_state(info(), false), 80, 24);
    let screen = lines(&buffer);
    // The header: state, speed, clock, the frozen autoscaler, bounds, the session.
    assert_eq!(screen[0], " ▶ RUNNING  10× │ 10:00 │  AUTOSCALER FROZEN  · desired 14 [6–36] │ 2 recorded");
    let frozen = screen[0].find("AUTOSCALER").map(|i| screen[0][..i].chars().count() as u16).unwrap();
    assert_eq!(buffer[(frozen, 0)].bg, Color::Red);
    assert_shows(
        &screen,
        &[
            "Replicas des 14 rdy 12 wrm 2",
            "cpu FROZEN seen 62% tgt 65%",
            "↑15 ",
            "Latency p99 124ms SLO 400ms───── ↑500ms",
            "Traffic in 700/s ok 698/s",
            "Errors  killed 3.0/s",
            "Fleet by zone",
            "zone 0",
            "4 ready of   5 live",
            "data tier n/a: no [database] or [cache]",
            "Log 4 events",
            "9:30.000 fault        kill_instances killed 4 of 14 running instance(s)",
            "9:40.000 intervention freeze_autoscaler autoscaler frozen",
            "? help",
        ],
    );
    assert!(!screen.join("\n").contains("i-3 ready → terminated"), "instance lines are hidden by default");
    assert!(screen[23].starts_with(" ? help  q quit  space pause"), "{}", screen[23]);
}

#[test]
fn the_160x48_dashboard_uses_the_space() {
    let screen = lines(&draw(&fixed_state(info(), false), 160, 48));
    assert_eq!(
        screen[0],
        " ▶ RUNNING  10× │ 10:00 / 1:00:00 │  AUTOSCALER FROZEN  · desired 14 [6–36] │ 2 recorded │ gameday"
    );
    assert_shows(
        &screen,
        &[
            "offered 700 rps · in flight 23 · instances by zone 0:5 1:5 2:4 · SLO p99 ≤ 400 ms, 99.9% available",
            "Replicas  desired 14  ready 12  warming 2─",
            "Metric cpu FROZEN  seen 62%  true 58%  target 65%",
            "Latency  p50 18 ms  p99 124 ms  SLO 400 ms",
            "Traffic  offered 700/s  completed 698/s─",
            "zone 2 ",
            "3 ready of   4 live",
            "Errors  killed 3.0/s",
            "Fleet by zone",
            "in flight 23 · queued 0 · capacity 48",
            // Axes: the 10-minute window and round tops.
            "0:00",
            "10:00",
            "500 ms",
            "100%",
            "Log 4 events",
        ],
    );
    // Three panels a row.
    let titles = screen.iter().find(|l| l.contains("┌Replicas")).unwrap();
    assert!(titles.contains("┌Metric cpu") && titles.contains("┌Latency"), "{titles}");
}

#[test]
fn data_tier_panels_show_values_or_na() {
    let mut with_db = info();
    with_db.database = true;
    with_db.cache = true;
    for (w, h) in [(160, 48), (80, 24)] {
        let screen = lines(&draw(&fixed_state(with_db.clone(), true), w, h));
        assert_shows(&screen, &["open 120", "max 500", "util 45%", "p99 3.2", "hit 92%"]);
    }
    let screen = lines(&draw(&fixed_state(with_db.clone(), true), 160, 48));
    assert_shows(&screen, &["DB connections", "DB utilization", "Pool wait", "Cache hit ratio", "lock wait 0.3 ms"]);
    // A database that reports nothing yet: n/a, not zero.
    let screen = lines(&draw(&fixed_state(with_db, false), 160, 48));
    assert_shows(&screen, &["DB connections  open n/a  max n/a", "Cache hit ratio  hit n/a"]);
}

#[test]
fn help_lists_every_key_and_dims_what_the_scenario_lacks() {
    let mut app = fixed_state(info(), false);
    app.mode = Mode::Help;
    for (w, h) in [(80, 24), (160, 48)] {
        let screen = lines(&draw(&app, w, h));
        assert_shows(
            &screen,
            &[
                "Keys",
                "space p",
                "pause / resume",
                "kill a share of instances",
                "kill a zone",
                "traffic ×2 for 5 minutes",
                "database slowdown (n/a)",
                "n/a: this scenario has no [database]",
                "flush the cache (n/a)",
                "n/a: this scenario has no [cache]",
                "(un)freeze the autoscaler",
                "fixed replicas (freezes)",
                "set min replicas",
                "set max replicas",
                "jump forward 1 minute",
                "step one tick",
                "added latency, 5 min",
                "dependency errors, 5 min",
                "resize the app fleet",
                "set a policy field",
                "follow the newest line",
                "Prompts: Enter accepts",
                "run --events replays it",
                "Ctrl-C abandons the run",
            ],
        );
        // Every binding with a label is on screen, the 80×24 one included.
        for b in scalesim::tui::action::BINDINGS.iter().filter(|b| !b.help.is_empty()) {
            assert_shows(&screen, &[b.help]);
        }
    }
}

/// The first frame, before any tick: panel titles and a word on what is
/// coming, no placeholder figures ("Metric metric seen n/a").
#[test]
fn the_first_frame_shows_no_placeholders() {
    let mut hpa = info();
    hpa.policy = "hpa".into();
    hpa.metric = Some("metric".into());
    let screen = lines(&draw(&App::new(hpa), 80, 24)).join("\n");
    assert!(screen.contains("Policy metric") && screen.contains("waiting for the first tick"), "{screen}");
    for placeholder in ["n/a", "Metric metric"] {
        assert!(!screen.contains(placeholder), "'{placeholder}' on the first frame:\n{screen}");
    }
}

/// Below 60×16 the dashboard says so instead of drawing a broken layout.
#[test]
fn small_terminals_are_asked_to_enlarge() {
    let app = fixed_state(info(), false);
    let screen = lines(&draw(&app, 40, 12)).join("\n");
    assert!(screen.contains("Enlarge the terminal") && screen.contains("to at least 60×16 (now 40×12)."), "{screen}");
    assert!(screen.contains("10:00"), "where the run stands: {screen}");
    assert!(!lines(&draw(&app, 60, 16)).join("\n").contains("Enlarge"), "60×16 is drawn");
}

#[test]
fn prompts_and_confirmations_draw_over_the_dashboard() {
    let mut app = fixed_state(info(), false);
    update::update(&mut app, scalesim::tui::action::Command::Fault(scalesim::tui::action::Fault::KillFraction));
    assert_shows(&lines(&draw(&app, 80, 24)), &["Kill instances", "Kill what share of the 12 running", "> 30"]);
    update::update(&mut app, scalesim::tui::action::Command::Submit);
    let screen = lines(&draw(&app, 80, 24));
    assert_shows(&screen, &["Confirm", "Kill 30% of the running instances (4 of 12)?", "y  yes", "n  no"]);
    assert!(screen[0].contains("ON HOLD"), "the simulation waits for the answer: {}", screen[0]);
}

#[test]
fn tiny_terminals_do_not_panic() {
    let mut app = fixed_state(info(), true);
    app.info.database = true;
    for (w, h) in [(1, 1), (10, 3), (30, 8), (50, 12), (79, 23), (200, 60)] {
        draw(&app, w, h);
        app.mode = Mode::Help;
        draw(&app, w, h);
        app.mode = Mode::Normal;
    }
}

// ------------------------------------------------------------ the driver

const FRAME: Duration = Duration::from_nanos(16_666_667);

fn key(d: &mut Driver, code: KeyCode) {
    d.key(KeyEvent::new(code, KeyModifiers::NONE)).unwrap();
}

/// Types keys: `\n` is Enter, everything else a character.
fn keys(d: &mut Driver, text: &str) {
    for c in text.chars() {
        key(d, if c == '\n' { KeyCode::Enter } else { KeyCode::Char(c) });
    }
}

/// Frames of 1/60 s until the clock reaches `t` seconds.
fn frames_until(d: &mut Driver, t: u64) {
    while d.app().status.now < SimTime::from_secs(t) {
        d.frame(FRAME, None).unwrap();
    }
}

/// The game day scenario, with a scenario event of its own at 2m (when the
/// session also acts), copied where a test may write beside it.
fn gameday_copy(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(scenario_path("gameday")).unwrap();
    let models = root().join("models");
    let text = text.replace("\"../models/", &format!("\"{}/", models.to_str().unwrap()));
    let text =
        format!("{text}\n[[events]]\nat = \"2m\"\naction = \"traffic_multiplier\"\nfactor = 1.5\nduration = \"1m\"\n");
    let path = dir.join("gameday-copy.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn options(path: &Path, sets: &[&str], out: &Path) -> Options {
    let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    let scenario = Arc::new(Scenario::load(path, &overrides).unwrap_or_else(|e| panic!("{e}")));
    Options {
        scenario_path: path.to_path_buf(),
        seed: scenario.seed,
        scenario,
        sets: sets.iter().map(|s| s.to_string()).collect(),
        out: out.to_path_buf(),
        session: out.join("session.toml"),
    }
}

/// A game day driven through the dashboard's own driver — keys, prompts,
/// confirmations, 60 frames a second at 30×; instances, a zone, the cache
/// and the database broken; the autoscaler frozen, overridden and handed
/// back — then replayed from its session file by the `scalesim` binary: the
/// three files are identical.
#[test]
fn a_session_replays_byte_for_byte() {
    let dir = temp_dir("tui-replay");
    let scenario = gameday_copy(&dir);
    let sets = ["duration=5m"];
    let (live, replay) = (dir.join("live"), dir.join("replay"));
    let opts = options(&scenario, &sets, &live);
    let mut d = start(&opts).unwrap();
    keys(&mut d, " +"); // run, at 30×
    frames_until(&mut d, 40);
    keys(&mut d, "k\ny"); // kill 30% (the default), confirmed
    frames_until(&mut d, 60);
    keys(&mut d, "f"); // freeze
    frames_until(&mut d, 100);
    keys(&mut d, " "); // pause, then step tick by tick to 2:00 exactly
    while d.app().status.now < SimTime::from_secs(120) {
        keys(&mut d, ".");
        d.frame(FRAME, None).unwrap();
    }
    assert_eq!(d.app().status.now, SimTime::from_secs(120));
    assert_eq!(d.app().clock, Clock::Paused);
    // At the instant of the scenario's own event: a fixed count, a new max,
    // and hand control back.
    keys(&mut d, "r8\nyM20\nf");
    keys(&mut d, " ");
    frames_until(&mut d, 150);
    keys(&mut d, "ty"); // traffic ×2
    keys(&mut d, "z1\ny"); // lose zone 1
    keys(&mut d, "cydy"); // flush the cache, slow the database
    frames_until(&mut d, 170);
    keys(&mut d, "oy"); // take the database down
    keys(&mut d, "J1m\n"); // jump a minute ahead
    d.frame(FRAME, None).unwrap();
    keys(&mut d, "m4\n"); // lower the min
    keys(&mut d, "l\ny"); // 100ms of added latency (the default) for 5m
    keys(&mut d, "e25\ny"); // a dependency fails 25% of requests for 5m
    keys(&mut d, "Ptolerance=0.2\ny"); // the HPA's tolerance
    keys(&mut d, "R\ny"); // one size up: this fleet has no instance types
    let refused = d.app().message.as_ref().map(|m| m.text.clone()).unwrap_or_default();
    assert!(refused.starts_with("resize refused: "), "{refused}");
    keys(&mut d, "Pno_such_field=1\ny");
    let refused = d.app().message.as_ref().map(|m| m.text.clone()).unwrap_or_default();
    assert!(refused.starts_with("set_policy_field refused: "), "{refused}");
    keys(&mut d, "qy"); // finish and quit
    for _ in 0..10_000 {
        if d.app().quit {
            break;
        }
        d.frame(FRAME, None).unwrap();
    }
    assert!(d.app().quit && d.app().status.finished && !d.aborted());

    let recorded: Vec<&str> = d.session().events().iter().map(|e| e.action.name()).collect();
    assert_eq!(
        recorded,
        [
            "kill_instances",
            "freeze_autoscaler",
            "set_replicas",
            "set_max_replicas",
            "unfreeze_autoscaler",
            "traffic_multiplier",
            "kill_zone",
            "cache_flush",
            "db_slowdown",
            "db_outage",
            "set_min_replicas",
            "add_latency",
            "dependency_errors",
            "set_policy_field"
        ]
    );
    let at: Vec<SimTime> = d.session().events().iter().map(|e| e.at).collect();
    assert_eq!(&at[2..5], [SimTime::from_secs(120); 3]);
    assert!(at[0].as_nanos() % 1_000_000 != 0, "paced frames act between milliseconds: {:?}", at[0]);
    let session = std::fs::read_to_string(live.join("session.toml")).unwrap();
    assert!(session.contains("s\"\naction = \"kill_instances\"\nfraction = 0.3\n"), "{session}");
    assert!(!session.contains("ns\""), "times are written as readable durations: {session}");
    assert!(session.contains("action = \"add_latency\"\nlatency = \"100ms\"\nduration = \"5m\"\n"), "{session}");
    assert!(session.contains("action = \"set_policy_field\"\nfield = \"tolerance\"\nvalue = 0.2\n"), "{session}");
    assert!(session.contains("# replay: scalesim run "), "{session}");

    let o = Command::new(env!("CARGO_BIN_EXE_scalesim"))
        .arg("run")
        .arg(&scenario)
        .args(["--set", sets[0], "--seed", &opts.seed.to_string(), "--quiet", "--events"])
        .arg(live.join("session.toml"))
        .arg("--out")
        .arg(&replay)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["timeseries.csv", "events.csv", "summary.json"] {
        let (a, b) = (std::fs::read(live.join(f)).unwrap(), std::fs::read(replay.join(f)).unwrap());
        assert!(a == b, "{f} differs between the session and its replay");
    }
    let events = std::fs::read_to_string(live.join("events.csv")).unwrap();
    for line in [
        "120.000,fault,traffic_multiplier,traffic ×1.5 for 1m",
        "120.000,intervention,set_replicas,autoscaler frozen; replicas set to 8",
        "120.000,intervention,unfreeze_autoscaler,autoscaler unfrozen",
    ] {
        assert!(events.contains(line), "'{line}' not in events.csv");
    }
    // The scenario's event at 2:00 acted before the session's, as in the replay.
    let first = |s: &str| events.find(s).unwrap();
    assert!(first("120.000,fault,traffic_multiplier") < first("120.000,intervention,set_replicas"));
}

/// A heavy scenario at maximum speed: a frame stops at its wall deadline,
/// so keys are read again soon. Checked without the wall clock: with the
/// deadline already passed, each frame runs exactly one chunk, and a chunk
/// starts at one tick and at most doubles per chunk, so five frames cover
/// at most 1 + 2 + 4 + 8 + 16 = 31 ticks of the 10-minute run.
#[test]
fn frames_keep_to_their_deadline_at_maximum_speed() {
    let dir = temp_dir("tui-budget");
    let sets = ["duration=10m", "traffic.shape={ kind = \"constant\", rps = 20000 }", "fleet.initial=40"];
    let opts = options(&scenario_path("gameday"), &sets, &dir);
    let mut d = start(&opts).unwrap();
    let tick = d.app().info.tick;
    for _ in 0..20 {
        keys(&mut d, "+");
    }
    keys(&mut d, " ");
    for _ in 0..5 {
        d.frame(FRAME, Some(Instant::now())).unwrap();
    }
    let now = d.app().status.now;
    assert!(now > SimTime::ZERO, "a frame past its deadline still runs one chunk");
    assert!(now <= SimTime::ZERO + tick.saturating_mul(31), "five frames ran past 31 ticks: {now:?}");
}

#[test]
fn ctrl_c_abandons_the_run_but_keeps_the_session() {
    let dir = temp_dir("tui-abort");
    let opts = options(&scenario_path("gameday"), &["duration=5m"], &dir);
    let mut d = start(&opts).unwrap();
    keys(&mut d, " ");
    frames_until(&mut d, 5);
    keys(&mut d, "f");
    d.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)).unwrap();
    assert!(d.aborted() && d.app().quit);
    d.frame(FRAME, None).unwrap(); // nothing left to drive
    let names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["session.toml"], "no outputs, no temporaries");
    let session = std::fs::read_to_string(dir.join("session.toml")).unwrap();
    assert!(session.contains("action = \"freeze_autoscaler\""));
}

#[test]
fn actions_are_applied_through_the_simulation() {
    let dir = temp_dir("tui-apply");
    let opts = options(&scenario_path("gameday"), &["duration=5m"], &dir);
    let mut d = start(&opts).unwrap();
    assert_eq!(d.app().status.running(), 12);
    keys(&mut d, "k50\ny");
    assert_eq!(d.app().status.running(), 6, "half of the 12 killed at once");
    keys(&mut d, "f");
    assert!(d.app().status.frozen);
    keys(&mut d, "M20\n");
    assert_eq!(d.app().status.bounds, (6, 20));
    assert_eq!(
        d.session().events()[0].action,
        Action::KillInstances(scalesim::scenario::events::KillAmount::Fraction(0.5))
    );
    assert!(
        d.app()
            .log
            .lines
            .iter()
            .any(|e| e.kind == EventKind::Fault && e.detail == "killed 6 of 12 running instance(s)")
    );
}

#[test]
fn the_dashboard_needs_a_terminal() {
    let o = Command::new(env!("CARGO_BIN_EXE_scalesim"))
        .args(["tui", "scenarios/gameday.toml", "--out"])
        .arg(temp_dir("tui-no-tty"))
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs a terminal"));
}

#[test]
fn findings_show_in_the_header_and_the_log() {
    let mut app = fixed_state(info(), false);
    let finding = EventRow {
        at: SimTime::from_secs(590),
        kind: EventKind::Finding,
        subject: "cold_start".into(),
        detail: "520–590 s, severity 0.40: p99 over the SLO while new instances warm up; fix: warm pool".into(),
    };
    let status = app.status.clone();
    update::observe(&mut app, status, vec![], vec![finding]);
    for (w, h) in [(80, 24), (160, 48)] {
        let screen = lines(&draw(&app, w, h));
        assert!(screen[0].contains("│  1 finding"), "{}", screen[0]);
        assert_shows(&screen, &["9:50.000 finding      cold_start 520–590 s, severity 0.40"]);
    }
}
