//! Golden tests: every `.kqltest` file under `testdata/queries` and every
//! `.kql` file under `testdata/hunt` is run against the bundled tables and
//! its output compared with the expectation checked in beside it.
//!
//! `UPDATE_EXPECT=1 cargo test -p kql-cli --test golden` rewrites the
//! expectations from the actual output.

use kql_cli::Session;
use kql_io::{OutputFormat, TableOptions};
use std::path::{Path, PathBuf};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn update() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v != "0")
}

/// Runs one query and renders what a user would see: each result table, or
/// each diagnostic as `error CODE at START..END: MESSAGE` plus its help.
fn run(session: &Session, query: &str) -> String {
    let opts = TableOptions {
        max_col_width: None,
        footer: true,
        color: false,
        ascii: false,
    };
    match session.run(query) {
        Ok(tables) => {
            let mut out = Vec::new();
            for t in tables {
                kql_io::write_result(&mut out, &t.schema, &t.batches, OutputFormat::Table, &opts)
                    .expect("writing to memory");
            }
            String::from_utf8(out).expect("utf-8 output")
        }
        Err(diags) => {
            let mut out = String::new();
            for d in diags {
                let at = d
                    .span
                    .map(|s| format!(" at {}..{} `{}`", s.start, s.end, &query[s.start..s.end]))
                    .unwrap_or_default();
                out.push_str(&format!("error {}{at}: {}\n", d.code, d.message));
                if let Some(h) = &d.help {
                    out.push_str(&format!("help: {h}\n"));
                }
            }
            out
        }
    }
}

fn session() -> Session {
    let mut s = Session::bundled().expect("bundled tables load");
    // A fixed clock so now() and ago() are reproducible.
    s.now = kql_common::time::parse_datetime("2026-01-31T12:00:00Z");
    s
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// One block of a `.kqltest` file.
struct Case {
    title: String,
    query: String,
    expected: String,
}

/// Parses a `.kqltest` file: blocks that start with `=== title`, then the
/// query, a `----` line, and the expected output up to the next block.
/// A block being read: title, query lines, expected lines once `----` is seen.
type Partial<'a> = Option<(String, Vec<&'a str>, Option<Vec<&'a str>>)>;

fn parse_kqltest(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut cur: Partial = None;
    let flush = |cur: &mut Partial, cases: &mut Vec<Case>| {
        if let Some((title, q, e)) = cur.take() {
            let mut expected = e.unwrap_or_default().join("\n");
            while expected.ends_with("\n\n")
                || (expected.ends_with('\n') && expected.trim().is_empty())
            {
                expected.pop();
            }
            let expected = expected.trim_end().to_string() + "\n";
            cases.push(Case {
                title,
                query: q.join("\n").trim().to_string(),
                expected,
            });
        }
    };
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("=== ") {
            flush(&mut cur, &mut cases);
            cur = Some((title.trim().to_string(), Vec::new(), None));
        } else if let Some((_, q, e)) = cur.as_mut() {
            match e {
                None if line == "----" => *e = Some(Vec::new()),
                None => q.push(line),
                Some(e) => e.push(line),
            }
        }
    }
    flush(&mut cur, &mut cases);
    cases
}

#[test]
fn kqltest_files() {
    let session = session();
    let dir = testdata().join("queries");
    let mut failures = Vec::new();
    let mut count = 0;
    for path in files(&dir, "kqltest") {
        let text = std::fs::read_to_string(&path).expect("readable test file");
        let cases = parse_kqltest(&text);
        assert!(!cases.is_empty(), "{} has no cases", path.display());
        let mut rewritten = String::new();
        for case in &cases {
            count += 1;
            let actual = run(&session, &case.query);
            if update() {
                if !rewritten.is_empty() {
                    rewritten.push('\n');
                }
                rewritten.push_str(&format!(
                    "=== {}\n{}\n----\n{}\n",
                    case.title,
                    case.query,
                    actual.trim_end()
                ));
            } else if actual.trim_end() != case.expected.trim_end() {
                failures.push(format!(
                    "{} / {}\n--- query\n{}\n--- expected\n{}--- actual\n{}",
                    path.display(),
                    case.title,
                    case.query,
                    case.expected,
                    actual
                ));
            }
        }
        if update() {
            std::fs::write(&path, rewritten).expect("rewrite test file");
        }
    }
    assert!(count > 0, "no .kqltest cases found in {}", dir.display());
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Runs a query and renders its results as CSV, the way an export looks.
fn run_csv(session: &Session, query: &str) -> String {
    match session.run(query) {
        Ok(tables) => {
            let mut out = Vec::new();
            for t in tables {
                kql_io::write_result(
                    &mut out,
                    &t.schema,
                    &t.batches,
                    OutputFormat::Csv,
                    &TableOptions::default(),
                )
                .expect("writing to memory");
            }
            String::from_utf8(out).expect("utf-8 output")
        }
        Err(_) => run(session, query),
    }
}

/// The exfiltration hunt: each `NAME.kql` under `testdata/hunt` with its full
/// result in `NAME.expected.csv`.
#[test]
fn hunt_queries() {
    let session = session();
    let dir = testdata().join("hunt");
    let queries = files(&dir, "kql");
    assert!(queries.len() >= 3, "the hunt queries are missing");
    let mut failures = Vec::new();
    for q in queries {
        let query = std::fs::read_to_string(&q).expect("readable query");
        let actual = run_csv(&session, &query);
        let expected_path = q.with_extension("expected.csv");
        if update() {
            std::fs::write(&expected_path, &actual).expect("write expectation");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{}\n--- expected\n{expected}--- actual\n{actual}",
                q.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
