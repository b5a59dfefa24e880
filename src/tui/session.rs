//! Recording a game day: every action the operator takes, with the exact
//! simulated time it acted at, saved after each one as `[[events]]` — the
//! format scenarios use — so `scalesim run SCENARIO --events FILE` replays
//! the session and writes the same files byte for byte.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::engine::time::SimTime;
use crate::input::problem::Problems;
use crate::scenario::events::{Action, TimedAction, to_toml};
use crate::scenario::{Override, Scenario};

/// A session being recorded: the scenario it is played on and the actions.
#[derive(Debug)]
pub struct Session {
    path: PathBuf,
    header: String,
    scenario: PathBuf,
    overrides: Vec<Override>,
    events: Vec<TimedAction>,
}

impl Session {
    /// Starts a session file (with no actions yet) at `path`, for the
    /// scenario file `scenario` with `overrides`. `header` is written on top
    /// as comments.
    pub fn create(path: &Path, header: &str, scenario: &Path, overrides: &[Override]) -> io::Result<Session> {
        let header = header.lines().map(|l| format!("# {l}\n")).collect();
        let session = Session {
            path: path.to_path_buf(),
            header,
            scenario: scenario.to_path_buf(),
            overrides: overrides.to_vec(),
            events: Vec::new(),
        };
        session.save()?;
        Ok(session)
    }

    /// The scenario digest a replay of the saved session reports: the
    /// scenario with the session's `[[events]]` appended, as `scalesim run
    /// --events` loads it (so the two `summary.json` files agree).
    pub fn replay_hash(&self) -> Result<u64, Problems> {
        Scenario::load_with_events(&self.scenario, &self.overrides, Some(&self.path)).map(|s| s.hash)
    }

    /// Whether the session with `action` at `at` added still loads (a
    /// replay would refuse, say, a resize past the family's largest type
    /// or a field the policy does not have): checked on a scratch copy.
    pub fn check(&self, at: SimTime, action: &Action) -> Result<(), String> {
        let mut events = self.events.clone();
        events.push(TimedAction { at, action: action.clone() });
        let scratch = self.scratch_path("check");
        fs::write(&scratch, to_toml(&events)).map_err(|e| format!("{}: {e}", scratch.display()))?;
        let loaded = Scenario::load_with_events(&self.scenario, &self.overrides, Some(&scratch));
        let _ = fs::remove_file(&scratch);
        loaded.map(drop).map_err(|problems| {
            // Name the action, not the scratch file.
            problems
                .0
                .iter()
                .map(|p| format!("{}{}", p.field.as_ref().map_or(String::new(), |f| format!("{f}: ")), p.message))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn scratch_path(&self, what: &str) -> PathBuf {
        let name = self.path.file_name().map_or("session".into(), |n| n.to_string_lossy().into_owned());
        self.path.with_file_name(format!(".{name}.{what}.tmp"))
    }

    /// Records an action taken at `at` and saves the file.
    pub fn record(&mut self, at: SimTime, action: Action) -> io::Result<()> {
        self.events.push(TimedAction { at, action });
        self.save()
    }

    /// The actions so far.
    pub fn events(&self) -> &[TimedAction] {
        &self.events
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the file whole under a temporary name, then renames it, so
    /// a crash never leaves half a session (see `output::atomic`).
    fn save(&self) -> io::Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        let mut text = self.header.clone();
        if !self.events.is_empty() {
            text.push('\n');
            text.push_str(&to_toml(&self.events));
        }
        crate::output::atomic::write(&self.path, text.as_bytes())
    }
}

/// The command that replays a session, shell-quoted where needed.
pub fn replay_command(scenario: &Path, seed: u64, sets: &[String], session: &Path, out: &Path) -> String {
    let mut words = vec!["scalesim".to_string(), "run".into(), quote(&scenario.to_string_lossy())];
    words.extend(["--seed".into(), seed.to_string()]);
    for s in sets {
        words.extend(["--set".into(), quote(s)]);
    }
    words.extend(["--events".into(), quote(&session.to_string_lossy())]);
    words.extend(["--out".into(), quote(&out.to_string_lossy())]);
    words.join(" ")
}

fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "._-/=:,@+%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_commands_quote_what_the_shell_would_split() {
        let cmd = replay_command(
            Path::new("scenarios/gameday.toml"),
            42,
            &["fleet.initial=4".into(), "traffic.shape={ kind = \"constant\", rps = 10 }".into()],
            Path::new("out/gameday/session.toml"),
            Path::new("out/gameday-replay"),
        );
        assert_eq!(
            cmd,
            "scalesim run scenarios/gameday.toml --seed 42 --set fleet.initial=4 --set 'traffic.shape={ kind = \"constant\", rps = 10 }' --events out/gameday/session.toml --out out/gameday-replay"
        );
    }

    #[test]
    fn a_session_is_saved_after_every_action() {
        let dir = std::env::temp_dir().join(format!("scalesim-session-{}", std::process::id()));
        let path = dir.join("s.toml");
        let mut s = Session::create(&path, "game day\nreplay: x", Path::new("scenario.toml"), &[]).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "# game day\n# replay: x\n");
        s.record(SimTime::from_nanos(1_500_000_000), Action::FreezeAutoscaler).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "# game day\n# replay: x\n\n[[events]]\nat = \"1500ms\"\naction = \"freeze_autoscaler\"\n"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
