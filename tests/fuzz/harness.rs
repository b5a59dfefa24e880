//! Runs the real `scalesim` binary on one generated input and judges how it
//! ended: exit 0 (fine), 1 (invalid input) or 2 (usage or I/O) with no
//! panic, or a failure — a panic (101), an abort (a stack overflow, an
//! allocation failure: a signal or 134), or a hang.
//!
//! Each case runs in its own process so an abort is a failed case that
//! proptest shrinks, not the end of the test binary. The process gets an
//! address-space limit (`prlimit`, util-linux) so "allocates absurdly"
//! fails fast as an allocation failure instead of swapping.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

const BIN: &str = env!("CARGO_BIN_EXE_scalesim");

/// A case that runs longer is a hang. Generous: a valid input finishes in
/// milliseconds; this only guards against "never".
const HANG: Duration = Duration::from_secs(30);

/// The address space a case may use (4 GiB): far above any valid input's
/// needs, far below what an unchecked size would ask for.
const ADDRESS_SPACE: &str = "4294967296";

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch directory for one target, laid out like the project (its
/// `models/` and `scenarios/traces/` linked) so shipped scenarios resolve.
pub fn workdir(target: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scalesim-fuzz-{}-{target}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("scenarios")).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root().join("models"), dir.join("models")).unwrap();
        std::os::unix::fs::symlink(root().join("scenarios/traces"), dir.join("scenarios/traces")).unwrap();
    }
    dir
}

fn has_prlimit() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| Command::new("prlimit").arg("--version").output().is_ok_and(|o| o.status.success()))
}

/// How a run of the binary ended.
#[derive(Debug)]
pub struct Ended {
    /// The exit code (none: killed by a signal or for hanging).
    pub code: Option<i32>,
    /// Whether it was killed for hanging.
    pub hung: bool,
    /// Its stderr (the start of it).
    pub stderr: String,
}

thread_local! {
    /// Extra environment for the next `scalesim` call on this thread.
    pub static ENV: std::cell::RefCell<Vec<(String, String)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `scalesim ARGS` in `dir`.
pub fn scalesim(dir: &Path, args: &[&str]) -> Ended {
    let mut cmd = if has_prlimit() {
        let mut c = Command::new("prlimit");
        c.arg(format!("--as={ADDRESS_SPACE}")).arg("--").arg(BIN);
        c
    } else {
        Command::new(BIN)
    };
    let mut child = cmd
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "0")
        .envs(ENV.with(|e| e.borrow().clone()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut stderr).take(64 << 10).read_to_end(&mut buf);
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        String::from_utf8_lossy(&buf).into_owned()
    });
    let deadline = Instant::now() + HANG;
    let (status, hung) = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break (s, false);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break (child.wait().unwrap(), true);
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    Ended { code: status.code(), hung, stderr: reader.join().unwrap() }
}

/// The property: a clean ending (0, 1 or 2, no panic), else why not.
pub fn judge(e: &Ended) -> Result<(), TestCaseError> {
    let tail: String = e.stderr.chars().take(600).collect();
    if e.hung {
        return Err(TestCaseError::fail(format!("hung (killed after {} s): {tail}", HANG.as_secs())));
    }
    let clean = matches!(e.code, Some(0..=2));
    let crashed = ["panicked", "overflowed its stack", "memory allocation of", "fatal runtime error"]
        .iter()
        .any(|m| e.stderr.contains(m));
    if !clean || crashed {
        return Err(TestCaseError::fail(format!("exit {:?}: {tail}", e.code)));
    }
    Ok(())
}

/// How each target runs: `SCALESIM_FUZZ_SECS=N` is the long, on-demand
/// hunt, N seconds of fresh random inputs; without it (`cargo test`) a
/// fixed, seeded set of inputs, the same on every machine, so the suite
/// cannot fail on a bug it did not find the time before.
enum Budget {
    Hunt(Duration),
    Seeded(u32),
}

fn budget() -> Budget {
    match std::env::var("SCALESIM_FUZZ_SECS").ok().and_then(|s| s.parse().ok()) {
        Some(secs) => Budget::Hunt(Duration::from_secs(secs)),
        None => Budget::Seeded(256),
    }
}

/// Runs `case` on inputs from `strategy` (see [`Budget`]); panics with the
/// shrunk input on the first failure. Prints how many cases ran.
pub fn fuzz<S: proptest::strategy::Strategy>(
    target: &str,
    strategy: S,
    case: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let started = Instant::now();
    let cases = AtomicUsize::new(0);
    let run = |runner: &mut TestRunner| {
        let result = runner.run(&strategy, |v| {
            cases.fetch_add(1, Ordering::Relaxed);
            case(v)
        });
        if let Err(e) = result {
            panic!("fuzz target {target}: {e}");
        }
    };
    let config = |cases| Config { cases, failure_persistence: None, max_shrink_iters: 2000, ..Config::default() };
    match budget() {
        Budget::Seeded(n) => {
            let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
            run(&mut TestRunner::new_with_rng(config(n), rng));
        }
        Budget::Hunt(budget) => {
            while started.elapsed() < budget {
                run(&mut TestRunner::new(config(16)));
            }
        }
    }
    eprintln!(
        "fuzz {target}: {} cases in {:.0} s, no failure",
        cases.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
}
