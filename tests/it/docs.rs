//! The README and docs/*.md are tested: every ```console block in them is
//! run by trycmd (as clap tests its docs) and its shown output compared,
//! with `[..]` and `...` eliding timings and machine-dependent figures. A
//! change that alters a shown output fails here until the docs are updated;
//! `TRYCMD=overwrite cargo test --test it docs` writes today's outputs back
//! into the files (then put the elisions back where timings show).
//!
//! Each page runs in a scratch directory that links the repository's inputs
//! (scenarios, models, sweeps, compare files, the invalid fixtures, the recordings), so the commands write
//! their `out/` there and never over a developer's results.

use std::path::{Path, PathBuf};

use crate::support::root;

/// What the commands in the docs read, linked into the scratch directory.
const INPUTS: [&str; 6] = ["scenarios", "models", "sweeps", "compares", "tests", "validation"];

fn link_inputs(work: &Path) {
    std::fs::create_dir_all(work).unwrap();
    for name in INPUTS {
        let link = work.join(name);
        if !link.exists() {
            std::os::unix::fs::symlink(root().join(name), link).unwrap();
        }
    }
}

/// Copies `page` into a fresh scratch directory beside a `<stem>.in` link
/// to a working directory with the inputs (trycmd runs a page's commands in
/// its `.in` directory); returns the copy.
fn stage(page: &str) -> PathBuf {
    let stem = page.trim_end_matches(".md").replace('/', "-");
    let dir = std::env::temp_dir().join(format!("scalesim-docs-{}-{stem}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let work = dir.join("work");
    link_inputs(&work);
    std::os::unix::fs::symlink(&work, dir.join(format!("{stem}.in"))).unwrap();
    let copy = dir.join(format!("{stem}.md"));
    std::fs::copy(root().join(page), &copy).unwrap();
    copy
}

fn check(page: &str) {
    let copy = stage(page);
    let cases = trycmd::TestCases::new();
    cases.register_bin("scalesim", PathBuf::from(env!("CARGO_BIN_EXE_scalesim")));
    // The docs quote lines of the output files with these.
    for tool in ["grep", "head"] {
        cases.register_bin(tool, on_path(tool));
    }
    cases.case(&copy);
    // Panics on a mismatch, leaving the scratch directory to look at.
    cases.run();
    write_back(page, &copy);
}

fn on_path(tool: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|d| d.join(tool)).find(|p| p.is_file()).unwrap_or_else(|| tool.into())
}

fn write_back(page: &str, copy: &Path) {
    // TRYCMD=overwrite updated the copy: carry it back to the repository.
    if std::env::var("TRYCMD").is_ok_and(|v| v == "overwrite") {
        std::fs::copy(copy, root().join(page)).unwrap();
    }
    let _ = std::fs::remove_dir_all(copy.parent().unwrap());
}

#[test]
fn readme() {
    check("README.md");
}

#[test]
fn docs_model() {
    check("docs/model.md");
}

#[test]
fn docs_scale_up_or_out() {
    check("docs/scale-up-or-out.md");
}

#[test]
fn docs_sweeps() {
    check("docs/sweeps.md");
}

#[test]
fn docs_report() {
    check("docs/report.md");
}

#[test]
fn docs_bring_your_own_service() {
    check("docs/bring-your-own-service.md");
}
