//! Layers only point down: every `crate::…` path (and every `super::` that
//! climbs to the crate root) in every file under `src/` names a module
//! listed before the file's own in the "Layers" list of `src/lib.rs`'s docs.
//! The order is read from those docs, so the docs and the check cannot drift.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::support::root;

/// The layer order stated in `src/lib.rs`: lines `//! N. [`name`]: …`.
fn stated_order(lib: &str) -> Vec<String> {
    lib.lines()
        .filter_map(|l| l.strip_prefix("//! "))
        .filter_map(|l| {
            let (n, rest) = l.split_once(". [`")?;
            n.parse::<u32>().ok()?;
            Some(rest.split_once('`')?.0.to_string())
        })
        .collect()
}

/// The modules `src/lib.rs` declares.
fn declared_modules(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix("pub ").or_else(|| l.strip_prefix("pub(crate) ")).unwrap_or(l);
            let l = l.strip_prefix("#[doc(hidden)] ").unwrap_or(l);
            Some(l.strip_prefix("mod ")?.strip_suffix(';')?.to_string())
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `src/policy/hpa/sources.rs` → policy, hpa, sources.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel.iter().skip(1).map(|s| s.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    let stem = last.strip_suffix(".rs").unwrap().to_string();
    if stem != "mod" {
        parts.push(stem);
    }
    parts
}

fn ident_at(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules named at `s` (just after `crate::`): `x::…` or a
/// group `{x::…, y, …}`.
fn named_tops(s: &str) -> Vec<String> {
    let Some(group) = s.strip_prefix('{') else { return vec![ident_at(s).to_string()] };
    let (mut depth, mut tops, mut start) = (0usize, Vec::new(), true);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => start = true,
            c if start && !c.is_whitespace() => {
                tops.push(ident_at(&group[i..]).to_string());
                start = false;
            }
            _ => {}
        }
    }
    tops
}

/// Every (line, top-level module) that the file at `rel` refers to through
/// `crate::` or a `super::` chain that climbs to the crate root. Comment
/// lines are skipped; inline `mod x {` blocks (rustfmt-formatted) add depth.
fn references(rel: &Path, text: &str) -> Vec<(usize, String)> {
    let file_mods = module_path(rel);
    let mut inline: Vec<usize> = Vec::new(); // indentation of each open inline mod
    let code: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (n, line) in code.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.starts_with("//") {
            continue;
        }
        if inline.last() == Some(&indent) && trimmed.starts_with('}') {
            inline.pop();
        }
        // The rest of the file from here, so a group split over lines is read whole.
        let rest_of_file = || code[n..].join("\n");
        let mut at = 0;
        while let Some(i) = line[at..].find("crate::") {
            let start = at + i;
            at = start + "crate::".len();
            if line[..start].ends_with('$') {
                continue;
            }
            for top in named_tops(&rest_of_file()[at..]) {
                found.push((n + 1, top));
            }
        }
        let mut at = 0;
        while let Some(i) = line[at..].find("super::") {
            let start = at + i;
            if start > 0 && line[..start].ends_with("::") {
                at = start + 1;
                continue;
            }
            let mut k = 0;
            let mut after = start;
            while line[after..].starts_with("super::") {
                k += 1;
                after += "super::".len();
            }
            at = after;
            if k >= file_mods.len() + inline.len() {
                for top in named_tops(&rest_of_file()[after..]) {
                    found.push((n + 1, top));
                }
            }
        }
        let opens_mod = {
            let t = trimmed.strip_prefix("pub ").or_else(|| trimmed.strip_prefix("pub(crate) ")).unwrap_or(trimmed);
            t.starts_with("mod ") && t.ends_with('{')
        };
        if opens_mod {
            inline.push(indent);
        }
    }
    found
}

#[test]
fn every_import_points_down_the_stated_layers() {
    let lib = fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let order = stated_order(&lib);
    let declared = declared_modules(&lib);
    assert_eq!(
        order.iter().cloned().collect::<BTreeSet<_>>(),
        declared,
        "the Layers list in src/lib.rs must name every module lib.rs declares, once"
    );
    assert_eq!(order.len(), declared.len(), "a module is listed twice in src/lib.rs's Layers");
    let rank = |m: &str| order.iter().position(|o| o == m);

    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(root()).unwrap();
        let rel_s = rel.to_string_lossy().replace('\\', "/");
        let mods = module_path(rel);
        let Some(own) = mods.first().and_then(|m| rank(m)) else { continue }; // lib.rs, main.rs
        let text = fs::read_to_string(path).unwrap();
        for (line, top) in references(rel, &text) {
            let Some(theirs) = rank(&top) else {
                wrong.push(format!("{rel_s}:{line}: crate::{top} is not a module in src/lib.rs's Layers"));
                continue;
            };
            if theirs <= own || top == mods[0] {
                continue;
            }
            wrong.push(format!("{rel_s}:{line}: `{}` imports from `{top}`, a layer above it", mods[0]));
        }
    }
    assert!(wrong.is_empty(), "imports against the layer order of src/lib.rs:\n{}", wrong.join("\n"));
}

#[test]
fn references_are_read_from_crate_paths_groups_and_climbing_supers() {
    let text = "use crate::model::x;\n// use crate::tui::y;\nuse crate::{\n    output::Row,\n    policy::{a, b},\n};\nmod tests {\n    use super::super::super::sim::Sim;\n    use super::super::x;\n    use super::*;\n}\n";
    let got: Vec<String> = references(Path::new("src/scenario/foo.rs"), text).into_iter().map(|(_, t)| t).collect();
    assert_eq!(got, ["model", "output", "policy", "sim"]);
}

/// The lines of `text` outside test code: a `#[cfg(test)]` item (a `mod
/// tests { … }` block, rustfmt-formatted, or a `mod tests;`) is left out.
fn non_test_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        if line.trim() != "#[cfg(test)]" {
            out.push((n + 1, line));
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if lines.next().is_some_and(|(_, item)| item.trim_end().ends_with(';')) {
            continue; // `mod tests;`
        }
        for (_, item) in lines.by_ref() {
            if item.len() - item.trim_start().len() == indent && item.trim_start().starts_with('}') {
                break;
            }
        }
    }
    out
}

/// Where the crate's own code may panic on an `expect`: few places, each
/// saying on its line or the line above why it cannot fail. The data tier
/// is an `Option` checked once at dispatch, so none of them is about it.
#[test]
fn expects_are_few_and_each_says_why_it_cannot_fail() {
    const MAX_EXPECTS: usize = 19;
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files.sort();
    let (mut all, mut silent, mut data_tier) = (Vec::new(), Vec::new(), Vec::new());
    for path in files.iter().filter(|p| p.file_name().is_some_and(|n| n != "tests.rs")) {
        let rel = path.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/");
        let text = fs::read_to_string(path).unwrap();
        let lines = non_test_lines(&text);
        for (k, &(n, line)) in lines.iter().enumerate() {
            if line.trim_start().starts_with("//") || !line.contains(".expect(") {
                continue;
            }
            let at = format!("{rel}:{n}: {}", line.trim());
            let above = k.checked_sub(1).map_or("", |j| lines[j].1);
            if !line.contains("//") && !above.trim_start().starts_with("//") {
                silent.push(at.clone());
            }
            if line.contains("expect(\"data tier\")") {
                data_tier.push(at.clone());
            }
            all.push(at);
        }
    }
    assert!(data_tier.is_empty(), "the data tier is checked once at dispatch, not here:\n{}", data_tier.join("\n"));
    assert!(all.len() <= MAX_EXPECTS, "{} expects (at most {MAX_EXPECTS}):\n{}", all.len(), all.join("\n"));
    assert!(silent.is_empty(), "say on the line above why each cannot fail:\n{}", silent.join("\n"));
}

#[test]
fn test_code_is_left_out_of_the_count() {
    let text = "fn a() { x.expect(\"1\") }\n#[cfg(test)]\nmod tests {\n    use super::*;\n    fn b() { y.expect(\"2\") }\n}\nfn c() {}\n#[cfg(test)]\nmod more;\nfn d() {}\n";
    let kept: Vec<usize> = non_test_lines(text).into_iter().map(|(n, _)| n).collect();
    assert_eq!(kept, [1, 7, 10]);
}
