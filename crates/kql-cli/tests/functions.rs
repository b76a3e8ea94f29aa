//! The scalar function registry's own tests: every documented example runs
//! and must give its documented output, and `docs/functions.md` must match
//! what the registry generates.
//!
//! `UPDATE_EXPECT=1 cargo test -p kql-cli --test functions` rewrites
//! `docs/functions.md`.

use kql_cli::Session;
use kql_io::{OutputFormat, TableOptions};
use std::path::Path;

fn run_csv(session: &Session, query: &str) -> String {
    let opts = TableOptions {
        max_col_width: None,
        footer: false,
        color: false,
        ascii: false,
    };
    match session.run(query) {
        Ok(tables) => {
            let mut out = Vec::new();
            for t in tables {
                kql_io::write_result(&mut out, &t.schema, &t.batches, OutputFormat::Csv, &opts)
                    .expect("writing to memory");
            }
            String::from_utf8(out).expect("utf-8 output")
        }
        Err(diags) => diags
            .iter()
            .map(|d| format!("error {}: {}\n", d.code, d.message))
            .collect(),
    }
}

#[test]
fn examples_give_their_documented_output() {
    let mut session = Session::new(vec![]);
    session.now = kql_common::time::parse_datetime("2026-01-31T12:00:00Z");
    let mut failures = Vec::new();
    let mut count = 0;
    for f in kql_functions::all() {
        for ex in f.examples {
            count += 1;
            let got = run_csv(&session, ex.query);
            let got = got.trim_end().replace("\r\n", "\n");
            if got != ex.output.trim_end() {
                failures.push(format!(
                    "{}: {}\n  expected:\n{}\n  got:\n{}\n",
                    f.name, ex.query, ex.output, got
                ));
            }
        }
    }
    assert!(count > 100, "only {count} examples");
    assert!(
        failures.is_empty(),
        "{} of {count} examples failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_function_is_documented() {
    for f in kql_functions::all() {
        assert!(!f.summary.is_empty(), "{} has no summary", f.name);
        assert!(
            f.signature.contains(f.name.trim_start_matches('$')) || f.hidden,
            "{}",
            f.name
        );
    }
}

#[test]
fn functions_md_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/functions.md");
    let want = kql_functions::markdown();
    if std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v != "0") {
        std::fs::write(&path, &want).expect("write docs/functions.md");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/functions.md is stale: run UPDATE_EXPECT=1 cargo test -p kql-cli --test functions"
    );
}
