//! Golden tests: every `.kqltest` file under `testdata/queries` and every
//! `.kql` file under `testdata/hunt` is run by the `kql test` runner
//! (`kql_cli::testing`) over the sample tables in `testdata/tables`, and
//! its result compared with the expectation checked in beside it.
//!
//! `UPDATE_EXPECT=1 cargo test -p kql-cli --test golden` rewrites the
//! expectations of failing cases from the actual output (`kql test --bless`).

use kql_cli::testing::{self, discover, report, Options, Status};
use std::path::{Path, PathBuf};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn update() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v != "0")
}

/// Runs every case under `dir` (`testdata/kql-test.conf` pins `now()` to
/// 2026-01-31T12:00:00Z) and fails with every explanation when a case does
/// not pass.
fn run_dir(dir: &Path, min_cases: usize) {
    let cases = discover::discover(&[dir.to_path_buf()]).expect("the folder exists");
    assert!(
        cases.len() >= min_cases,
        "found only {} cases in {}",
        cases.len(),
        dir.display()
    );
    let opts = Options {
        bless: update(),
        now: None,
        data: Vec::new(),
        jobs: 2,
        color: false,
        external_data: None,
        max_memory: None,
    };
    let outcomes = testing::run(cases, &opts, |_| {});
    let failures: Vec<String> = outcomes
        .iter()
        .filter(|o| !matches!(o.status, Status::Passed | Status::Blessed))
        .map(|o| report::progress_line(o, false))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        outcomes.len(),
        failures.join("\n")
    );
}

#[test]
fn kqltest_files() {
    run_dir(&testdata().join("queries"), 1);
}

/// The exfiltration hunt: each `NAME.kql` under `testdata/hunt` with its full
/// result in `NAME.expected.csv`.
#[test]
fn hunt_queries() {
    run_dir(&testdata().join("hunt"), 3);
}
