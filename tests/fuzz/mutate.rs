//! Inputs made by mutating valid ones: a few edits — a word from the
//! target's dictionary inserted or swapped in for a token, a span deleted,
//! a line repeated or dropped, the text cut short — applied to a seed file
//! that parses. Most results are nearly valid, which is where parsers and
//! validators break.

use proptest::prelude::*;
use proptest::sample::{Index, select};

/// Words every target may splice in: extreme and malformed values and
/// the characters that structure TOML, CSV and YAML.
pub const COMMON: &[&str] = &[
    "0",
    "-1",
    "-0",
    "0.0",
    "1e308",
    "-1e308",
    "1e-300",
    "nan",
    "inf",
    "-inf",
    "NaN",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "0x10",
    "1_000",
    "\"\"",
    "\"x\"",
    "''",
    "[",
    "]",
    "{",
    "}",
    "[]",
    "{}",
    "=",
    ",",
    ":",
    "- ",
    "#",
    "\n",
    "\r\n",
    "\t",
    " ",
    "\"",
    "\\",
    "\u{feff}",
    "é",
    "\0",
    "true",
    "false",
    "null",
    "~",
    "&a",
    "*a",
    "!!str",
    "---",
    "...",
    "1s",
    "0s",
    "-1s",
    "1ms",
    "1ns",
    "1m",
    "1h",
    "5d",
    "\"1s\"",
    "\"-1s\"",
    "\"0s\"",
    "\"nan\"",
    "\"1e308s\"",
];

#[derive(Clone, Debug)]
enum Edit {
    Insert(Index, &'static str),
    Replace(Index, &'static str),
    Delete(Index, usize),
    RepeatLine(Index),
    DropLine(Index),
    Truncate(Index),
}

fn boundary(s: &str, i: Index) -> usize {
    let mut at = i.index(s.len() + 1);
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn line_span(s: &str, at: usize) -> (usize, usize) {
    let start = s[..at].rfind('\n').map_or(0, |p| p + 1);
    let end = s[at..].find('\n').map_or(s.len(), |p| at + p + 1);
    (start, end)
}

fn apply(mut s: String, edit: &Edit) -> String {
    let token = |c: char| c.is_alphanumeric() || "._-+".contains(c);
    match edit {
        Edit::Insert(i, w) => {
            let at = boundary(&s, *i);
            s.insert_str(at, w);
        }
        Edit::Replace(i, w) => {
            let at = boundary(&s, *i);
            let start = s[..at].rfind(|c| !token(c)).map_or(0, |p| p + s[p..].chars().next().unwrap().len_utf8());
            let end = s[at..].find(|c| !token(c)).map_or(s.len(), |p| at + p);
            s.replace_range(start..end, w);
        }
        Edit::Delete(i, n) => {
            let at = boundary(&s, *i);
            let mut end = (at + n).min(s.len());
            while !s.is_char_boundary(end) {
                end += 1;
            }
            s.replace_range(at..end, "");
        }
        Edit::RepeatLine(i) => {
            let (a, b) = line_span(&s, boundary(&s, *i));
            let line = s[a..b].to_string();
            s.insert_str(b, &line);
        }
        Edit::DropLine(i) => {
            let (a, b) = line_span(&s, boundary(&s, *i));
            s.replace_range(a..b, "");
        }
        Edit::Truncate(i) => {
            let at = boundary(&s, *i);
            s.truncate(at);
        }
    }
    s
}

fn edit(words: &'static [&'static str]) -> impl Strategy<Value = Edit> {
    let word = select(words);
    prop_oneof![
        4 => (any::<Index>(), word.clone()).prop_map(|(i, w)| Edit::Insert(i, w)),
        6 => (any::<Index>(), word).prop_map(|(i, w)| Edit::Replace(i, w)),
        2 => (any::<Index>(), 1usize..24).prop_map(|(i, n)| Edit::Delete(i, n)),
        1 => any::<Index>().prop_map(Edit::RepeatLine),
        1 => any::<Index>().prop_map(Edit::DropLine),
        1 => any::<Index>().prop_map(Edit::Truncate),
    ]
}

/// One of `seeds`, with one to four edits using `words`.
pub fn mutated(seeds: &'static [&'static str], words: &'static [&'static str]) -> impl Strategy<Value = String> {
    (select(seeds), prop::collection::vec(edit(words), 1..5))
        .prop_map(|(seed, edits)| edits.iter().fold(seed.to_string(), apply))
}

/// `COMMON` and a target's own words, leaked once into one list.
pub fn words(own: &[&'static str]) -> &'static [&'static str] {
    let mut all: Vec<&'static str> = COMMON.to_vec();
    all.extend_from_slice(own);
    Box::leak(all.into_boxed_slice())
}
