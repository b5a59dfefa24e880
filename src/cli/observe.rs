//! The commands that bring a real service in: `import prometheus`,
//! `calibrate`, `validate`.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::calibrate;
use crate::error::Error;
use crate::import::{self, ImportConfig};
use crate::scenario::{Override, Scenario};
use crate::validate;

/// Where the files of an import come from: a TOML, or `--series` pairs.
fn config(config: Option<&Path>, series: &[String]) -> Result<ImportConfig, Error> {
    match (config, series.is_empty()) {
        (Some(path), true) => ImportConfig::load(path),
        (None, false) => ImportConfig::from_args(series),
        (Some(_), false) => Err(Error::Usage("give either an import TOML or --series ROLE=FILE, not both".into())),
        (None, true) => Err(Error::Usage(
            "nothing to import: give an import TOML (or a directory holding import.toml), or --series ROLE=FILE".into(),
        )),
    }
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    crate::output::atomic::write(path, text.as_bytes()).map_err(|e| Error::io(path, e))
}

/// `scalesim import prometheus`: writes the trace, the per-pod metrics, the
/// observed series and the calibrated scenario skeleton into `out`.
pub(super) fn import_prometheus(
    source: Option<&Path>,
    series: &[String],
    out: &Path,
    name: Option<&str>,
) -> Result<(), Error> {
    let config = config(source, series)?;
    let obs = import::import(&config)?;
    let cal = calibrate::calibrate(&obs);
    let trace = obs.trace_csv()?;
    let pods = obs.pods_csv().ok();
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    write(&out.join("trace.csv"), &trace)?;
    write(&out.join("observed.csv"), &obs.observed_csv())?;
    if let Some(p) = &pods {
        write(&out.join("pods.csv"), p)?;
    }
    let name = name.map_or_else(
        || out.file_name().map_or("imported".into(), |n| n.to_string_lossy().into_owned()),
        str::to_string,
    );
    write(&out.join("scenario.toml"), &cal.scenario(&obs, &name, "trace.csv"))?;
    let mut stdout = std::io::stdout().lock();
    let _ = write!(stdout, "{}", cal.render(&obs));
    let files = if pods.is_some() {
        "trace.csv, pods.csv, observed.csv, scenario.toml"
    } else {
        "trace.csv, observed.csv, scenario.toml"
    };
    let _ = writeln!(stdout, "  wrote         {} ({files})", out.display());
    if pods.is_none() {
        let _ = writeln!(stdout, "  (no pods.csv: no series has a pod label)");
    }
    Ok(())
}

/// `scalesim calibrate`: prints the fits and their residuals.
pub(super) fn calibrate(source: Option<&Path>, series: &[String]) -> Result<(), Error> {
    let obs = import::import(&config(source, series)?)?;
    let _ = write!(std::io::stdout().lock(), "{}", calibrate::calibrate(&obs).render(&obs));
    Ok(())
}

/// `scalesim validate`: runs the scenario on the observed traffic and
/// reports the errors.
pub(super) fn validate(
    scenario: &Path,
    observed: &Path,
    out: Option<PathBuf>,
    seed: Option<u64>,
    set: &[Override],
) -> Result<(), Error> {
    let obs = validate::observed(observed)?;
    let out = match out {
        Some(o) => o,
        None => validate::default_out(&Scenario::load(scenario, set)?),
    };
    let report = validate::validate(scenario, set, seed, &obs, &out)?;
    // The overlay charts, as `scalesim report` draws a validation directory.
    let html = out.join("report.html");
    crate::report::write(std::slice::from_ref(&out), None, &html)?;
    let _ = writeln!(std::io::stdout().lock(), "{}  report {}", report.render(&out), html.display());
    Ok(())
}
