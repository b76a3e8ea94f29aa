//! Finds test cases under the given paths.
//!
//! Folders are walked recursively in name order, skipping hidden folders,
//! `target`, `node_modules`, fixture folders named `tables` and what a
//! `kql-test.conf` ignores (see [`settings`](crate::testing::settings)). A file is a
//! case file when it is a `.kqltest` file, a `.kql` (`.kusto`, `.csl`) file, a Markdown file
//! with a ```` ```kql ```` block, or a YAML file with a top-level `query:`.
//! Each case's directives apply on top of its folder's settings.

use crate::testing::case::{Case, Target};
use crate::testing::directive::Directives;
use crate::testing::expect::{parse_csv, parse_json, Expected, Form};
use crate::testing::settings::SettingsCache;
use crate::testing::{kqltest, markdown, yaml};
use std::path::{Path, PathBuf};

/// The kinds of case file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    KqlTest,
    Kql,
    Markdown,
    Yaml,
}

fn kind(path: &Path) -> Option<Kind> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "kqltest" => Kind::KqlTest,
        "kql" | "kusto" | "csl" => Kind::Kql,
        "md" | "markdown" => Kind::Markdown,
        "yaml" | "yml" => Kind::Yaml,
        _ => return None,
    })
}

fn walk(dir: &Path, cache: &mut SettingsCache, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let here = cache.for_dir(dir);
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if here.ignores(&p) {
            continue;
        }
        if p.is_dir() {
            if name.starts_with('.')
                || matches!(name.as_str(), "target" | "node_modules" | "tables")
            {
                continue;
            }
            walk(&p, cache, out);
        } else if kind(&p).is_some() {
            out.push(p);
        }
    }
}

/// Every case under `paths`; a path that does not exist is an error.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Case>, String> {
    let mut files = Vec::new();
    let mut cache = SettingsCache::default();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut cache, &mut files);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            return Err(format!("{}: no such file or folder", p.display()));
        }
    }
    let mut cases = Vec::new();
    for f in files {
        let folder = cache.for_dir(f.parent().unwrap_or(Path::new(".")));
        cases.extend(cases_of(&f).into_iter().map(|mut c| {
            c.directives = folder.directives.merged(&c.directives);
            c
        }));
    }
    Ok(cases)
}

/// A case that reports a problem with its file.
fn broken(path: &Path, why: String) -> Case {
    Case {
        file: path.to_path_buf(),
        line: 1,
        query_line: 1,
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        query: String::new(),
        expected: Expected::Invalid(why),
        directives: Directives::default(),
        target: Target::File(path.to_path_buf()),
    }
}

/// The cases of one file (none when it is not a case file after all).
pub fn cases_of(path: &Path) -> Vec<Case> {
    let Some(k) = kind(path) else {
        return vec![broken(
            path,
            "not a case file (.kql, .kqltest, .md, .yaml)".into(),
        )];
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return vec![broken(path, format!("cannot read it: {e}"))],
    };
    match k {
        Kind::KqlTest => {
            let cs = kqltest::cases(path, &text);
            if cs.is_empty() {
                vec![broken(
                    path,
                    "no cases: each starts with a `=== title` line".into(),
                )]
            } else {
                cs
            }
        }
        Kind::Markdown => markdown::cases(path, &text),
        Kind::Kql => {
            let first = 1 + text.lines().take_while(|l| l.trim().is_empty()).count();
            vec![single(path, text.trim().to_string(), &text, None, first)]
        }
        Kind::Yaml => match yaml::top_level(&text, "query") {
            Some(q) => {
                let name = yaml::top_level(&text, "name");
                let at = text
                    .lines()
                    .position(|l| l.starts_with("query:"))
                    .map_or(1, |i| {
                        let inline = text.lines().nth(i).is_some_and(|l| {
                            !matches!(
                                l.get(6..).map(str::trim).and_then(|r| r.chars().next()),
                                Some('|' | '>')
                            )
                        });
                        if inline {
                            i + 1
                        } else {
                            i + 2
                        }
                    });
                vec![single(path, q.trim().to_string(), &text, name, at)]
            }
            None => Vec::new(),
        },
    }
}

/// A `.kql` or YAML case: one query, its expectation in
/// `NAME.expected.csv` or `NAME.expected.json` beside it.
fn single(path: &Path, query: String, text: &str, name: Option<String>, query_line: usize) -> Case {
    let mut dirs = Directives::default();
    for l in text.lines() {
        dirs.read_line(l);
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let csv = path.with_file_name(format!("{stem}.expected.csv"));
    let json = path.with_file_name(format!("{stem}.expected.json"));
    let (expected, target) = match (csv.is_file(), json.is_file()) {
        (true, true) => (
            Expected::Invalid(format!(
                "both {} and {} exist; keep one",
                csv.display(),
                json.display()
            )),
            csv,
        ),
        (true, false) => (read_expected(&csv, false), csv),
        (false, true) => (read_expected(&json, true), json),
        (false, false) => (Expected::Missing, csv),
    };
    Case {
        file: path.to_path_buf(),
        line: query_line,
        query_line,
        name: name.unwrap_or(stem),
        query,
        expected,
        directives: dirs,
        target: Target::File(target),
    }
}

fn read_expected(path: &Path, json: bool) -> Expected {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return Expected::Invalid(format!("cannot read {}: {e}", path.display())),
    };
    let parsed = if json {
        parse_json(&text).map(|t| (Form::Json, t))
    } else {
        parse_csv(&text).map(|(t, typed)| (Form::Csv { typed }, t))
    };
    match parsed {
        Ok((form, t)) => Expected::Tables {
            form,
            tables: vec![t],
        },
        Err(e) => Expected::Invalid(format!("{}: {e}", path.display())),
    }
}
