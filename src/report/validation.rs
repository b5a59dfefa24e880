//! The sections of a validation (`scalesim validate`): the error table over
//! the run and at each steady level (`validation.csv`), then, per series,
//! the observed and the simulated over time (`overlay.csv`), overlaid.

use std::path::{Path, PathBuf};

use super::Section;
use super::downsample::Grid;
use super::page::{Axis, Chart, Line, Page, Unit, esc};
use super::palette::RUNS;
use crate::error::Error;
use crate::input::problem::{Origin, Problem, Problems};
use crate::output::read::{Columns, read_columns};

/// The series `validate` compares, with their units, in its order.
const SERIES: [(&str, &str, Unit); 8] = [
    ("throughput_rps", "Throughput", Unit::Rps),
    ("cpu_cores", "CPU (cores)", Unit::Plain),
    ("p50_ms", "Latency p50", Unit::Ms),
    ("p95_ms", "Latency p95", Unit::Ms),
    ("p99_ms", "Latency p99", Unit::Ms),
    ("replicas_ready", "Ready replicas", Unit::Count),
    ("errors_rps", "Errors", Unit::Rps),
    ("in_flight", "In flight", Unit::Count),
];

/// One row of `validation.csv`: a series' errors over a scope.
#[derive(Clone, Debug, PartialEq)]
struct Score {
    /// `over_time`, or `level_<k>`.
    scope: String,
    from_s: f64,
    to_s: f64,
    offered_rps: Option<f64>,
    series: String,
    observed_mean: Option<f64>,
    simulated_mean: Option<f64>,
    mean_error: Option<f64>,
    mape: Option<f64>,
    median_rel_error: Option<f64>,
    correlation: Option<f64>,
}

/// A validation directory, read back.
#[derive(Clone, Debug)]
pub struct ValidationRead {
    /// The directory.
    pub dir: PathBuf,
    overlay: Columns,
    scores: Vec<Score>,
}

/// Whether `dir` holds a validation (rather than a run).
pub fn is_validation(dir: &Path) -> bool {
    dir.join("validation.csv").is_file() && dir.join("overlay.csv").is_file()
}

fn invalid(path: &Path, line: Option<usize>, message: String) -> Error {
    Error::Invalid(Problems(vec![Problem {
        origin: Origin::File { path: path.to_path_buf(), line },
        field: None,
        message,
        hint: Some("rerun `scalesim validate` to write it again".into()),
    }]))
}

impl ValidationRead {
    /// Reads `validation.csv` and `overlay.csv` from `dir`.
    pub fn read(dir: &Path) -> Result<ValidationRead, Error> {
        let overlay = read_columns(&dir.join("overlay.csv"))?;
        let path = dir.join("validation.csv");
        let text = crate::input::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let mut lines = text.lines().enumerate();
        let header = lines.next().map(|(_, h)| h).unwrap_or_default();
        let names: Vec<&str> = header.split(',').collect();
        let col = |name: &str| {
            names.iter().position(|n| *n == name).ok_or_else(|| invalid(&path, Some(1), format!("no column '{name}'")))
        };
        let at = [
            "scope",
            "from_s",
            "to_s",
            "offered_rps",
            "series",
            "observed_mean",
            "simulated_mean",
            "mean_error",
            "mape",
            "median_rel_error",
            "correlation",
        ]
        .map(col);
        let mut idx = [0usize; 11];
        for (i, c) in at.into_iter().enumerate() {
            idx[i] = c?;
        }
        let mut scores = Vec::new();
        for (n, line) in lines {
            let cells: Vec<&str> = line.split(',').collect();
            let cell = |i: usize| cells.get(idx[i]).copied().unwrap_or("");
            let num = |i: usize| -> Result<Option<f64>, Error> {
                match cell(i) {
                    "" => Ok(None),
                    v => v.parse().map(Some).map_err(|_| {
                        invalid(&path, Some(n + 1), format!("'{v}' in column '{}' is not a number", names[idx[i]]))
                    }),
                }
            };
            scores.push(Score {
                scope: cell(0).to_string(),
                from_s: num(1)?.unwrap_or(0.0),
                to_s: num(2)?.unwrap_or(0.0),
                offered_rps: num(3)?,
                series: cell(4).to_string(),
                observed_mean: num(5)?,
                simulated_mean: num(6)?,
                mean_error: num(7)?,
                mape: num(8)?,
                median_rel_error: num(9)?,
                correlation: num(10)?,
            });
        }
        Ok(ValidationRead { dir: dir.to_path_buf(), overlay, scores })
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{:+.1}%", v * 100.0))
}

fn abs_pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{:.1}%", v * 100.0))
}

fn plain(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.3}"))
}

/// The error table: over the run, then each steady level's mean errors.
pub struct Errors<'a>(pub &'a ValidationRead);

impl Section for Errors<'_> {
    fn render(&self, page: &mut Page) {
        let v = self.0;
        page.heading("Simulated against observed");
        let overall: Vec<&Score> = v.scores.iter().filter(|s| s.scope == "over_time").collect();
        if let Some(first) = overall.first() {
            page.html(&format!(
                "<p class=\"note\">Over {:.0}–{:.0} s (after the cold start). Mean error is (simulated − observed) \
                 / observed of the means; MAPE and the median are of the per-instant relative errors; r is the \
                 correlation over time.</p>\n",
                first.from_s, first.to_s
            ));
        }
        let mut h = String::from(
            "<table class=\"summary\"><thead><tr><th>series</th><th>observed</th><th>simulated</th>\
             <th>mean err</th><th>MAPE</th><th>median</th><th>r</th></tr></thead><tbody>\n",
        );
        for s in &overall {
            h.push_str(&format!(
                "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&s.series),
                plain(s.observed_mean),
                plain(s.simulated_mean),
                pct(s.mean_error),
                abs_pct(s.mape),
                abs_pct(s.median_rel_error),
                s.correlation.map_or("—".into(), |r| format!("{r:.2}")),
            ));
        }
        h.push_str("</tbody></table>\n");
        let mut levels: Vec<&str> =
            v.scores.iter().filter(|s| s.scope != "over_time").map(|s| s.scope.as_str()).collect();
        levels.dedup();
        if !levels.is_empty() {
            let series: Vec<&str> = overall.iter().map(|s| s.series.as_str()).collect();
            h.push_str("<h3>Mean error at each steady level</h3>\n<table class=\"summary\"><thead><tr><th>level</th>");
            for s in &series {
                h.push_str(&format!("<th>{}</th>", esc(s)));
            }
            h.push_str("</tr></thead><tbody>\n");
            for level in levels {
                let rows: Vec<&Score> = v.scores.iter().filter(|s| s.scope == level).collect();
                let Some(first) = rows.first() else { continue };
                h.push_str(&format!(
                    "<tr><th>{:.0}–{:.0} s, {} /s offered</th>",
                    first.from_s,
                    first.to_s,
                    first.offered_rps.map_or("—".into(), |o| format!("{o:.1}"))
                ));
                for s in &series {
                    let cell = rows.iter().find(|r| r.series == *s).map_or("—".into(), |r| pct(r.mean_error));
                    h.push_str(&format!("<td>{cell}</td>"));
                }
                h.push_str("</tr>\n");
            }
            h.push_str("</tbody></table>\n");
        }
        page.html(&h);
    }
}

/// One chart per series: observed and simulated over time.
pub struct Overlay<'a>(pub &'a ValidationRead);

impl Section for Overlay<'_> {
    fn render(&self, page: &mut Page) {
        let v = self.0;
        page.heading("Over time");
        let t = v.overlay.time();
        let grid = Grid::new(&[&t]);
        for (series, title, unit) in SERIES {
            let (Some(observed), Some(simulated)) =
                (v.overlay.get(&format!("observed_{series}")), v.overlay.get(&format!("simulated_{series}")))
            else {
                continue;
            };
            let quiet = |c: &[Option<f64>]| c.iter().all(|x| x.is_none_or(|x| x == 0.0));
            if quiet(observed) && quiet(simulated) {
                continue;
            }
            let line = |label: &str, color: &str, values: &[Option<f64>], dash: Vec<u32>| Line {
                label: label.into(),
                color: color.into(),
                values: grid.fit(&t, values),
                dash,
                points: false,
            };
            page.chart(Chart {
                id: String::new(),
                title: title.into(),
                axis: Axis::Time,
                unit,
                x: grid.x.clone(),
                series: vec![
                    line("observed", RUNS[0], observed, vec![]),
                    line("simulated", RUNS[1], simulated, vec![6, 3]),
                ],
                bands: vec![],
                markers: vec![],
                notes: vec![],
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory per test (`name`): the tests run in parallel threads of
    /// one process.
    fn dir(name: &str, validation: &str, overlay: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("scalesim-report-validation-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("validation.csv"), validation).unwrap();
        std::fs::write(d.join("overlay.csv"), overlay).unwrap();
        d
    }

    #[test]
    fn draws_each_compared_series_and_tabulates_the_levels() {
        let d = dir(
            "levels",
            "scope,from_s,to_s,offered_rps,series,n,observed_mean,simulated_mean,mean_error,mape,median_rel_error,correlation\n\
             over_time,1,3,,throughput_rps,3,2,2.2,0.1,0.1,0.1,0.9\n\
             level_1,1,3,2.5,throughput_rps,3,2,2.2,0.1,0.1,0.1,\n",
            "t_s,observed_throughput_rps,simulated_throughput_rps,observed_errors_rps,simulated_errors_rps\n\
             1,1,1.5,0,0\n2,2,2.5,0,0\n3,3,2.6,0,0\n",
        );
        let v = ValidationRead::read(&d).unwrap();
        let mut page = Page::new("t");
        Errors(&v).render(&mut page);
        Overlay(&v).render(&mut page);
        // Errors are zero throughout: only throughput is drawn.
        assert_eq!(page.charts().len(), 1);
        assert_eq!(page.charts()[0].series.len(), 2);
        let html = page.finish();
        assert!(html.contains("<td>+10.0%</td>"), "{html}");
        assert!(html.contains("1–3 s, 2.5 /s offered"), "{html}");
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn names_the_line_of_a_bad_cell() {
        let d = dir(
            "bad-cell",
            "scope,from_s,to_s,offered_rps,series,n,observed_mean,simulated_mean,mean_error,mape,median_rel_error,correlation\n\
             over_time,1,3,,cpu_cores,3,x,2,0,0,0,0\n",
            "t_s\n1\n",
        );
        let e = ValidationRead::read(&d).unwrap_err().to_string();
        assert!(e.contains("validation.csv:2:") && e.contains("'x'"), "{e}");
        let _ = std::fs::remove_dir_all(d);
    }
}
