//! `scalesim report`: one self-contained HTML file for a run, several runs
//! compared, a sweep, a validation or a comparison — every script, style and datum inline, so it opens
//! from `file://` with no network. The report reads what runs and sweeps
//! wrote (run directories, sweep CSVs), never the simulation.
//!
//! A report is a list of [`Section`]s rendered into a [`page::Page`]; a new
//! kind of section (a diagnosis, a tuner's search, …) is one more type that
//! implements `Section` and one line in [`build`]. Charts are drawn by uPlot
//! (MIT, vendored in `report/vendor/uplot/`, 50 KB): canvas, fast on
//! hundreds of thousands of points, with hover values, drag-to-zoom, synced
//! cursors and legend toggles built in; `report.js` only turns the chart
//! specs into uPlot options and adds the findings' shading and the
//! decisions' markers.

pub mod compare;
pub mod diagnose;
pub mod downsample;
pub mod page;
pub mod palette;
pub mod runs;
pub mod sweep;
pub mod validation;

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::output::read::RunDir;
use page::Page;

/// A part of a report.
pub trait Section {
    /// Appends its HTML and charts.
    fn render(&self, page: &mut Page);
}

/// What a report is about.
pub enum Input {
    /// One or more run directories.
    Runs(Vec<RunDir>),
    /// A sweep's runs CSV.
    Sweep(Box<sweep::SweepRead>),
    /// A `scalesim validate` directory.
    Validation(Box<validation::ValidationRead>),
    /// A `scalesim compare` directory.
    Compare(Box<compare::CompareRead>),
    /// A `scalesim diagnose` directory.
    Diagnosis(Box<diagnose::DiagnosisRead>),
}

impl Input {
    /// Reads the paths: run directories, or one sweep CSV. `base` is the
    /// sweep's scenario and fixed `--set`s where the caller knows them (for
    /// the rerun commands).
    pub fn read(paths: &[PathBuf], base: Option<&str>) -> Result<Input, Error> {
        match paths {
            [] => Err(Error::Usage("report: give run directories or a sweep CSV".into())),
            [one] if one.is_file() => Ok(Input::Sweep(Box::new(sweep::SweepRead::read(one, base)?))),
            [one] if compare::is_compare(one) => Ok(Input::Compare(Box::new(compare::CompareRead::read(one)?))),
            [one] if validation::is_validation(one) => {
                Ok(Input::Validation(Box::new(validation::ValidationRead::read(one)?)))
            }
            [one] if diagnose::is_diagnosis(one) => Ok(Input::Diagnosis(Box::new(diagnose::DiagnosisRead::read(one)?))),
            many => {
                if let Some(file) = many.iter().find(|p| p.is_file()) {
                    return Err(Error::Usage(format!(
                        "report: '{}' is a file; compare run directories, or give one sweep CSV alone",
                        file.display()
                    )));
                }
                Ok(Input::Runs(many.iter().map(|p| RunDir::read(p)).collect::<Result<_, _>>()?))
            }
        }
    }
}

/// The report's HTML.
pub fn build(input: &Input) -> String {
    match input {
        Input::Runs(list) => {
            let runs = runs::Runs::new(list);
            let title = match list.as_slice() {
                [one] => format!("scalesim report — {} (seed {})", one.summary.scenario, one.summary.seed),
                many => format!("scalesim report — {} runs compared", many.len()),
            };
            let sections: Vec<Box<dyn Section + '_>> = vec![
                Box::new(runs::SummaryTable(&runs)),
                Box::new(runs::TimeCharts(&runs)),
                Box::new(runs::Findings(&runs)),
            ];
            render(&title, &sections)
        }
        Input::Sweep(s) => {
            let sections: Vec<Box<dyn Section + '_>> = vec![Box::new(sweep::Front(s)), Box::new(sweep::Heatmap(s))];
            render(&format!("scalesim report — sweep {}", s.header.name), &sections)
        }
        Input::Validation(v) => {
            let sections: Vec<Box<dyn Section + '_>> =
                vec![Box::new(validation::Errors(v)), Box::new(validation::Overlay(v))];
            render(&format!("scalesim report — validation {}", v.dir.display()), &sections)
        }
        Input::Compare(c) => {
            let sections: Vec<Box<dyn Section + '_>> =
                vec![Box::new(compare::Ranking(c)), Box::new(compare::Pairwise(c)), Box::new(compare::Winners(c))];
            render(&format!("scalesim report — compare {}", c.name), &sections)
        }
        Input::Diagnosis(d) => {
            let sections: Vec<Box<dyn Section + '_>> =
                vec![Box::new(diagnose::Verdict(d)), Box::new(diagnose::Symptoms(d)), Box::new(diagnose::Variants(d))];
            render(&format!("scalesim report — diagnose {} (seed {})", d.scenario, d.seed), &sections)
        }
    }
}

fn render(title: &str, sections: &[Box<dyn Section + '_>]) -> String {
    let mut page = Page::new(title);
    for s in sections {
        s.render(&mut page);
    }
    page.finish()
}

/// Reads the inputs and writes the report to `out` (atomically).
pub fn write(paths: &[PathBuf], base: Option<&str>, out: &Path) -> Result<(), Error> {
    let html = build(&Input::read(paths, base)?);
    crate::output::atomic::write(out, html.as_bytes()).map_err(|e| Error::io(out, e))
}
