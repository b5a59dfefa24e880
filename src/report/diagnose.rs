//! The sections of a diagnosis (`scalesim diagnose`): the verdict with its
//! evidence and the commands that rerun it, the symptoms with the numbers
//! that decided them, and the variants ranked — a table and each variant's
//! SLO attainment against its cost, hoverable. Read from `diagnose.json`
//! (the report sits below `diagnose` in the layers: it reads the file's
//! format, not the diagnosis' types).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Section;
use super::page::{Axis, Chart, Line, Page, Unit, esc};
use super::palette::Hue;
use crate::error::Error;
use crate::input::problem::{Origin, Problem, Problems};

/// The file `diagnose` writes.
pub const FILE: &str = "diagnose.json";

/// One run of a diagnosis, as `diagnose.json` holds it.
#[derive(Clone, Debug, Deserialize)]
pub struct Outcome {
    /// The variant's name ("baseline" for none).
    pub name: String,
    /// What it tries, in a line.
    pub what: String,
    /// Its `--set` overrides.
    pub set: Vec<String>,
    /// Whether it met the run-wide SLO.
    pub slo_met: bool,
    /// Share of SLO windows met.
    pub attainment: f64,
    /// Share of requests that succeeded.
    pub availability: f64,
    /// p99, ms.
    pub p99_ms: Option<f64>,
    /// Mean cost per hour.
    pub cost_per_hour: f64,
    /// Peak replicas.
    pub peak_replicas: u32,
}

/// A symptom and the numbers behind it.
#[derive(Clone, Debug, Deserialize)]
pub struct Symptom {
    /// What binds (`cpu-bound`, …).
    pub class: String,
    /// The numbers.
    pub evidence: String,
}

/// A diagnosis directory, read back.
#[derive(Clone, Debug, Deserialize)]
pub struct DiagnosisRead {
    /// The directory (not in the file).
    #[serde(skip)]
    pub dir: PathBuf,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file, as given.
    pub file: String,
    /// The seed of every run.
    pub seed: u64,
    /// The user's `--set`, in every run.
    pub set: Vec<String>,
    /// Why production is impacted, if it is.
    pub impacted: Option<String>,
    /// What binds, the binding one first.
    pub symptoms: Vec<Symptom>,
    /// The baseline.
    pub baseline: Outcome,
    /// The variants, ranked.
    pub ranked: Vec<Outcome>,
    /// Variants not run, and why.
    pub skipped: Vec<(String, String)>,
    /// The verdict (`SCALE_NOW`, …).
    pub verdict: String,
    /// The variant it rests on.
    pub winner: Option<String>,
    /// The durable fix named second.
    pub durable: Option<String>,
    /// Why.
    pub evidence: String,
}

/// Whether `dir` holds a diagnosis.
pub fn is_diagnosis(dir: &Path) -> bool {
    dir.join(FILE).is_file()
}

impl DiagnosisRead {
    /// Reads `dir/diagnose.json`.
    pub fn read(dir: &Path) -> Result<DiagnosisRead, Error> {
        let path = dir.join(FILE);
        let text = crate::input::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let mut d: DiagnosisRead = serde_json::from_str(&text).map_err(|e| {
            Error::Invalid(Problems(vec![Problem {
                origin: Origin::File { path: path.clone(), line: Some(e.line()) },
                field: None,
                message: format!("not a diagnosis: {e}"),
                hint: Some("rerun `scalesim diagnose` to write it again".into()),
            }]))
        })?;
        d.dir = dir.to_path_buf();
        Ok(d)
    }

    /// The verdict in the tree's words.
    pub fn words(&self) -> String {
        self.verdict.replace('_', " ")
    }

    /// The command that reruns a variant alone.
    fn rerun(&self, o: &Outcome) -> String {
        let sets: Vec<String> = self.set.iter().chain(&o.set).map(|s| format!("--set '{s}'")).collect();
        format!("scalesim run {} {}", self.file, sets.join(" ")).trim_end().to_string()
    }

    fn find(&self, name: &str) -> Option<&Outcome> {
        self.ranked.iter().find(|o| o.name == name)
    }
}

fn p99(o: &Outcome) -> String {
    o.p99_ms.map_or("—".into(), |p| format!("{p:.0}"))
}

/// The verdict, its evidence, and the commands that rerun what it rests on.
pub struct Verdict<'a>(pub &'a DiagnosisRead);

impl Section for Verdict<'_> {
    fn render(&self, page: &mut Page) {
        let d = self.0;
        let b = &d.baseline;
        page.heading("Verdict");
        let mut h = format!(
            "<p>Scenario <b>{}</b> (<code>{}</code>, seed {}{}): the baseline {} — attainment {:.1}%, availability {:.2}%, p99 {} ms, {:.2}/h.</p>\n",
            esc(&d.scenario),
            esc(&d.file),
            d.seed,
            if d.set.is_empty() { String::new() } else { format!(", {}", esc(&d.set.join(" "))) },
            if b.slo_met { "meets its SLO" } else { "<span class=\"worse\">misses its SLO</span>" },
            b.attainment * 100.0,
            b.availability * 100.0,
            p99(b),
            b.cost_per_hour
        );
        if let Some(why) = &d.impacted {
            h.push_str(&format!("<p><b>Production is impacted:</b> {}.</p>\n", esc(why)));
        }
        h.push_str(&format!(
            "<p id=\"verdict\" style=\"font-size: 20px; font-weight: bold\">{}</p>\n",
            esc(&d.words())
        ));
        h.push_str(&format!("<p>{}</p>\n", esc(&d.evidence)));
        let rests: Vec<(&str, &Outcome)> = d
            .winner
            .iter()
            .map(|w| ("Relief first", w))
            .chain(d.durable.iter().map(|w| ("The durable fix", w)))
            .filter_map(|(role, name)| d.find(name).map(|o| (role, o)))
            .collect();
        for (role, o) in rests {
            h.push_str(&format!(
                "<p>{}: <b>{}</b> ({})<br><code class=\"rerun\">{}</code></p>\n",
                if d.durable.is_some() { role } else { "Rerun it" },
                esc(&o.name),
                esc(&o.what),
                esc(&d.rerun(o))
            ));
        }
        page.html(&h);
    }
}

/// What binds, in the triage tree's words, with the numbers.
pub struct Symptoms<'a>(pub &'a DiagnosisRead);

impl Section for Symptoms<'_> {
    fn render(&self, page: &mut Page) {
        let d = self.0;
        page.heading("Symptoms");
        if d.symptoms.is_empty() {
            page.html("<p class=\"none\">No resource stands out over the ticks that broke the SLO.</p>\n");
            return;
        }
        let mut h = String::from(
            "<p>Over the baseline's ticks that broke the SLO, the binding one first.</p>\n\
             <table class=\"findings symptoms\"><thead><tr><th>class</th><th>the numbers that decided it</th></tr></thead><tbody>\n",
        );
        for s in &d.symptoms {
            h.push_str(&format!("<tr><td>{}</td><td>{}</td></tr>\n", esc(&s.class), esc(&s.evidence)));
        }
        h.push_str("</tbody></table>\n");
        page.html(&h);
    }
}

/// The variants, ranked, and their attainment against their cost.
pub struct Variants<'a>(pub &'a DiagnosisRead);

impl Section for Variants<'_> {
    fn render(&self, page: &mut Page) {
        let d = self.0;
        let b = &d.baseline;
        page.heading("Variants, ranked");
        page.html(&format!(
            "<p>{} variants on the same traffic and seed: those that meet the run-wide SLO first, the cheapest first; \
             then the rest by attainment and availability. Hover a point for the variant and its overrides.</p>\n",
            d.ranked.len()
        ));
        let mut all: Vec<&Outcome> = d.ranked.iter().chain(std::iter::once(b)).collect();
        all.sort_by(|x, y| x.cost_per_hour.total_cmp(&y.cost_per_hour).then(x.name.cmp(&y.name)));
        let pick = |f: &dyn Fn(&Outcome) -> bool| -> Vec<Option<f64>> {
            all.iter().map(|o| f(o).then_some(o.attainment)).collect()
        };
        page.chart(Chart {
            id: String::new(),
            title: "SLO attainment against cost per hour".into(),
            axis: Axis::Cost,
            unit: Unit::Ratio,
            x: all.iter().map(|o| o.cost_per_hour).collect(),
            series: vec![
                Line {
                    label: "meets the run-wide SLO".into(),
                    color: Hue::Green.css().into(),
                    values: pick(&|o| o.slo_met && o.name != "baseline"),
                    dash: vec![],
                    points: true,
                },
                Line {
                    label: "misses it".into(),
                    color: Hue::Red.css().into(),
                    values: pick(&|o| !o.slo_met && o.name != "baseline"),
                    dash: vec![],
                    points: true,
                },
                Line {
                    label: "baseline".into(),
                    color: Hue::DarkGray.css().into(),
                    values: pick(&|o| o.name == "baseline"),
                    dash: vec![],
                    points: true,
                },
            ],
            bands: vec![],
            markers: vec![],
            notes: all
                .iter()
                .map(|o| {
                    format!(
                        "{}: {}\nattainment {:.1}%, availability {:.2}%, p99 {} ms, {:.2}/h\n{}",
                        o.name,
                        o.what,
                        o.attainment * 100.0,
                        o.availability * 100.0,
                        p99(o),
                        o.cost_per_hour,
                        o.set.join(" ")
                    )
                })
                .collect(),
        });
        let mut h = String::from(
            "<table class=\"front variants\"><thead><tr><th>rank</th><th>variant</th><th>SLO</th><th>attainment</th>\
             <th>availability</th><th>p99 ms</th><th>cost/h</th><th>vs baseline</th><th>peak replicas</th><th>what, and the overrides</th></tr></thead><tbody>\n",
        );
        let row = |rank: String, o: &Outcome, class: &str| {
            let vs = if o.name == "baseline" || b.cost_per_hour <= 0.0 {
                String::new()
            } else {
                let pct = (o.cost_per_hour / b.cost_per_hour - 1.0) * 100.0;
                if pct.abs() < 0.5 { "±0%".into() } else { format!("{pct:+.0}%") }
            };
            format!(
                "<tr{class}><td>{rank}</td><td>{}</td><td class=\"{}\">{}</td><td>{:.1}%</td><td>{:.2}%</td><td>{}</td><td>{:.2}</td><td>{vs}</td><td>{}</td><td>{}<br><code>{}</code></td></tr>\n",
                esc(&o.name),
                if o.slo_met { "better" } else { "worse" },
                if o.slo_met { "met" } else { "missed" },
                o.attainment * 100.0,
                o.availability * 100.0,
                p99(o),
                o.cost_per_hour,
                o.peak_replicas,
                esc(&o.what),
                esc(&o.set.join(" "))
            )
        };
        for (i, o) in d.ranked.iter().enumerate() {
            let class = if d.winner.as_deref() == Some(o.name.as_str()) { " class=\"cheapest\"" } else { "" };
            h.push_str(&row((i + 1).to_string(), o, class));
        }
        h.push_str(&row("—".into(), b, ""));
        h.push_str("</tbody></table>\n");
        for (name, why) in &d.skipped {
            h.push_str(&format!("<p class=\"note\">Not run: {} — {}.</p>\n", esc(name), esc(why)));
        }
        page.html(&h);
    }
}
