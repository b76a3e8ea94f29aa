//! `kql test` as a user runs it: discovery, each case format, comparison
//! rules, failure explanations, `--bless`, `--now`, assertions, JUnit output
//! and exit codes. Each test works in a folder of its own under the system
//! temporary folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kql_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kql"));
    c.current_dir(dir).args(args).env_remove("KQL_BLESS");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("kql runs")
}

fn kql(args: &[&str]) -> Output {
    kql_in(&repo(), args, &[])
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A temporary folder, removed when the test ends.
struct Workspace(PathBuf);

impl std::ops::Deref for Workspace {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh folder with a small `tables/Events.csv` fixture.
fn workspace(name: &str) -> Workspace {
    let dir = std::env::temp_dir().join(format!("kql-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tables")).expect("mkdir");
    write(
        &dir,
        "tables/Events.csv",
        "When,Host,Kind,Bytes,Score\n\
         2026-01-30T10:00:00Z,web01,upload,100,0.5\n\
         2026-01-30T11:00:00Z,web01,download,250,0.25\n\
         2026-01-30T12:00:00Z,db01,upload,300,0.1\n\
         2026-01-29T12:00:00Z,db01,download,50,0.3\n",
    );
    Workspace(dir)
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).expect("read")
}

#[test]
fn the_fixtures_and_the_hunt_write_up_pass() {
    let o = kql(&["test", "testdata/kqltest", "--jobs", "2"]);
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("11 passed, 0 failed"), "{}", out(&o));
    for f in [
        "cases.kqltest",
        "failed-signins.kql",
        "risky-first.kql",
        "sign-in-hunt.md",
        "password-spray.yaml",
    ] {
        assert!(out(&o).contains(f), "{f} was not run:\n{}", out(&o));
    }
    let o = kql(&["test", "docs/hunts"]);
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("5 passed, 0 failed"), "{}", out(&o));
    // Every document under docs/ with query blocks, the function reference too.
    let o = kql(&["test", "docs/"]);
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
}

#[test]
fn a_wrong_cell_fails_with_a_diff_pointing_at_it() {
    let dir = workspace("diff");
    write(
        &dir,
        "q.kql",
        "Events | where Kind == \"upload\" | order by When asc | project Host, Bytes",
    );
    write(
        &dir,
        "q.expected.csv",
        "Host:string,Bytes:long\nweb01,100\ndb01,301\n",
    );
    let o = kql_in(&dir, &["test"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let s = out(&o);
    assert!(s.contains("FAIL"), "{s}");
    assert!(
        s.contains("rows differ from row 2 on (in order: the query defines the order)"),
        "{s}"
    );
    assert!(s.contains("exp │ db01 │ 301"), "{s}");
    assert!(s.contains("got │ db01 │ 300"), "{s}");
    // The carets stand under the differing cell.
    let got = s.lines().find(|l| l.contains("got │")).unwrap_or_default();
    let carets = s
        .lines()
        .find(|l| l.trim_start().starts_with('^'))
        .unwrap_or_default();
    assert_eq!(
        carets.find('^').map(|i| carets[..i].chars().count()),
        got.find("300").map(|i| got[..i].chars().count()),
        "{s}"
    );
    assert!(s.contains("0 passed, 1 failed"), "{s}");
}

#[test]
fn rows_compare_as_a_multiset_unless_the_query_orders_them() {
    let dir = workspace("order");
    // No order by: any order of the same rows passes.
    write(
        &dir,
        "any.kql",
        "Events | where Kind == \"upload\" | project Host",
    );
    write(&dir, "any.expected.csv", "Host\ndb01\nweb01\n");
    // order by: the order is part of the result.
    write(
        &dir,
        "sorted.kql",
        "Events | where Kind == \"upload\" | order by Host asc | project Host",
    );
    write(&dir, "sorted.expected.csv", "Host\nweb01\ndb01\n");
    // Rows tied on the sort key have no defined order among themselves.
    write(
        &dir,
        "ties.kql",
        "Events | order by Kind asc | project Kind, Host",
    );
    write(
        &dir,
        "ties.expected.csv",
        "Kind,Host\ndownload,db01\ndownload,web01\nupload,db01\nupload,web01\n",
    );
    // A duplicate counts.
    write(&dir, "dup.kql", "Events | project Host");
    write(
        &dir,
        "dup.expected.csv",
        "Host\nweb01\nweb01\ndb01\nweb01\n",
    );
    let o = kql_in(&dir, &["test"], &[]);
    let s = out(&o);
    assert!(s.contains("PASS    ./any.kql"), "{s}");
    assert!(s.contains("PASS    ./ties.kql"), "{s}");
    assert!(s.contains("FAIL    ./sorted.kql"), "{s}");
    assert!(s.contains("FAIL    ./dup.kql"), "{s}");
    assert!(
        s.contains("1 expected row missing, 1 unexpected row (rows compared as a multiset"),
        "{s}"
    );
}

#[test]
fn types_reals_and_datetimes_compare_by_value() {
    let dir = workspace("types");
    write(
        &dir,
        "a.kql",
        "Events | summarize Avg = avg(Score), First = min(When) by Host",
    );
    // Reals within the relative tolerance; datetimes in another spelling.
    write(
        &dir,
        "a.expected.json",
        r#"{"columns":[{"name":"Host","type":"string"},{"name":"Avg","type":"real"},{"name":"First","type":"datetime"}],
"rows":[["web01",0.37500000000001,"2026-01-30 10:00"],["db01",0.2,"2026-01-29T12:00:00.0000000Z"]]}"#,
    );
    write(&dir, "b.kql", "Events | count");
    write(&dir, "b.expected.csv", "Count:int\n4\n");
    let o = kql_in(&dir, &["test"], &[]);
    let s = out(&o);
    assert!(s.contains("PASS    ./a.kql"), "{s}");
    assert!(
        s.contains("column `Count` has type long but int was expected"),
        "{s}"
    );
}

#[test]
fn new_cases_are_reported_and_bless_records_them() {
    let dir = workspace("bless");
    write(
        &dir,
        "new.kql",
        "Events | summarize Total = sum(Bytes) by Kind",
    );
    write(
        &dir,
        "hunt.md",
        "# Hunt\n\n```kql\nEvents | where Bytes > 200 | project Host, Bytes\n```\n\nText after.\n",
    );
    write(&dir, "more.kqltest", "=== count\nEvents | count\n");
    let o = kql_in(&dir, &["test"], &[]);
    assert_eq!(o.status.code(), Some(1), "new cases are not a pass");
    let s = out(&o);
    assert!(s.contains("NEW     ./new.kql"), "{s}");
    assert!(
        s.contains("0 passed, 3 failed (3 without expectation: run with --bless to record them)"),
        "{s}"
    );

    let o = kql_in(&dir, &["test", "--bless"], &[]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("3 blessed"), "{}", out(&o));
    assert_eq!(
        read(&dir, "new.expected.csv"),
        "Kind:string,Total:long\nupload,400\ndownload,300\n"
    );
    assert_eq!(
        read(&dir, "hunt.md"),
        "# Hunt\n\n```kql\nEvents | where Bytes > 200 | project Host, Bytes\n```\n\n\
         | Host  | Bytes |\n| ----- | ----: |\n| web01 |   250 |\n| db01  |   300 |\n\nText after.\n"
    );
    assert_eq!(
        read(&dir, "more.kqltest"),
        "=== count\nEvents | count\n----\nCount\n long\n─────\n    4\n(1 row)\n"
    );
    let o = kql_in(&dir, &["test"], &[]);
    assert!(o.status.success(), "blessed cases pass: {}", out(&o));

    // A changed result: KQL_BLESS=1 rewrites the failing expectation.
    write(
        &dir,
        "new.kql",
        "Events | summarize Total = sum(Bytes) by Kind | where Kind == \"upload\"",
    );
    let o = kql_in(&dir, &["test"], &[("KQL_BLESS", "1")]);
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(
        read(&dir, "new.expected.csv"),
        "Kind:string,Total:long\nupload,400\n"
    );
}

#[test]
fn assertions_beyond_equality() {
    let dir = workspace("assert");
    write(
        &dir,
        "none.kql",
        "// kql-test: expect no rows\nEvents | where Bytes > 1000",
    );
    write(
        &dir,
        "none-fails.kql",
        "// kql-test: expect no rows\nEvents | where Bytes > 200",
    );
    write(
        &dir,
        "least.kql",
        "// kql-test: expect at least 2 rows\nEvents | where Kind == \"upload\"",
    );
    write(
        &dir,
        "least-fails.kql",
        "// kql-test: expect at least 5 rows\nEvents",
    );
    write(
        &dir,
        "among.md",
        "```kql\nEvents | order by When asc\n```\n<!-- kql-test: expect among others -->\n\n| Host | Bytes |\n|---|---|\n| db01 | 300 |\n\n\
         ```kql\nEvents\n```\n<!-- kql-test: expect among others -->\n\n| Host | Bytes |\n|---|---|\n| db01 | 999 |\n",
    );
    let o = kql_in(&dir, &["test", "--jobs", "1"], &[]);
    let s = out(&o);
    assert!(s.contains("PASS    ./none.kql"), "{s}");
    assert!(s.contains("expected no rows, got 2"), "{s}");
    assert!(s.contains("PASS    ./least.kql"), "{s}");
    assert!(s.contains("expected at least 5 rows, got 4"), "{s}");
    assert!(s.contains("PASS    ./among.md:1"), "{s}");
    assert!(s.contains("1 expected row missing, 0 unexpected rows (the expected rows must be among the result's rows)"), "{s}");
    assert!(s.contains("3 passed, 3 failed"), "{s}");
    // Blessing leaves assertion cases alone.
    let before = read(&dir, "among.md");
    let _ = kql_in(&dir, &["test", "--bless"], &[]);
    assert_eq!(read(&dir, "among.md"), before);
}

#[test]
fn now_pins_ago_from_the_flag_or_a_directive() {
    let dir = workspace("now");
    write(
        &dir,
        "recent.kql",
        "Events | where When > ago(1d) | project Host",
    );
    write(&dir, "recent.expected.csv", "Host\nweb01\nweb01\ndb01\n");
    let o = kql_in(&dir, &["test", "--now", "2026-01-31T00:00:00Z"], &[]);
    assert!(o.status.success(), "{}", out(&o));
    let o = kql_in(&dir, &["test", "--now", "2026-01-31T12:00:00Z"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    write(
        &dir,
        "recent.kql",
        "// kql-test: now 2026-01-31T00:00:00Z\nEvents | where When > ago(1d) | project Host",
    );
    let o = kql_in(&dir, &["test", "--now", "2026-02-28T00:00:00Z"], &[]);
    assert!(
        o.status.success(),
        "the directive wins over the flag: {}",
        out(&o)
    );
    let o = kql_in(&dir, &["test", "--now", "yesterday"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("--now `yesterday` is not a datetime"),
        "{}",
        err(&o)
    );
    write(&dir, "bad.kql", "// kql-test: now soon\nEvents");
    let o = kql_in(&dir, &["test", "bad.kql"], &[]);
    assert!(out(&o).contains("bad directive"), "{}", out(&o));
}

#[test]
fn a_query_that_fails_to_plan_is_a_failure_with_its_report() {
    let dir = workspace("errors");
    write(&dir, "typo.kql", "Events\n| where Hots == \"web01\"");
    write(&dir, "syntax.kql", "Events | where (");
    write(
        &dir,
        "fine.kql",
        "// kql-test: expect at least 1 row\nEvents",
    );
    let o = kql_in(&dir, &["test"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let s = out(&o);
    assert!(s.contains("kql::plan::unknown_column"), "{s}");
    assert!(
        s.contains("./typo.kql:2:9"),
        "the report points into the file: {s}"
    );
    assert!(s.contains("did you mean"), "{s}");
    assert!(s.contains("kql::parse::"), "{s}");
    assert!(s.contains("1 passed, 2 failed"), "{s}");
}

#[test]
fn junit_xml_for_ci() {
    let dir = workspace("junit");
    write(&dir, "ok.kql", "// kql-test: expect at least 1 row\nEvents");
    write(&dir, "bad.kql", "Events | project Host");
    write(&dir, "bad.expected.csv", "Host\n<web01> & \"db01\"\n");
    let o = kql_in(&dir, &["test", "--format", "junit"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let x = out(&o);
    assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kql test\" tests=\"2\" failures=\"1\""), "{x}");
    assert_eq!(x.matches("<testcase ").count(), 2, "{x}");
    assert_eq!(
        x.matches("<failure message=\"1 expected row missing, 4 unexpected rows")
            .count(),
        1,
        "{x}"
    );
    assert!(x.contains("&lt;web01&gt; &amp; &quot;db01&quot;"), "{x}");
    assert!(x.trim_end().ends_with("</testsuites>"), "{x}");
    assert!(
        err(&o).contains("1 passed, 1 failed"),
        "progress goes to stderr: {}",
        err(&o)
    );
}

#[test]
fn discovery_skips_fixtures_and_hidden_folders_and_reports_bad_paths() {
    let dir = workspace("discover");
    write(&dir, ".hidden/x.kql", "Events");
    write(&dir, "notes.md", "# Notes\n\n```sh\nls\n```\n");
    write(&dir, "ci.yml", "on: push\njobs: {}\n");
    write(
        &dir,
        "rules/r.yaml",
        "name: Big upload\nquery: |\n  Events\n  | where Bytes >= 300\n  | project Host\n",
    );
    write(&dir, "rules/r.expected.csv", "Host\ndb01\n");
    write(
        &dir,
        "other.csl",
        "// kql-test: expect at least 1 row\nEvents",
    );
    write(&dir, "two.kql", "Events");
    write(&dir, "two.expected.csv", "x\n");
    write(&dir, "two.expected.json", "{}");
    let o = kql_in(&dir, &["test"], &[]);
    let s = out(&o);
    assert!(s.contains("PASS    ./rules/r.yaml:3 Big upload"), "{s}");
    assert!(
        s.contains("both ./two.expected.csv and ./two.expected.json exist"),
        "{s}"
    );
    assert!(
        !s.contains("hidden") && !s.contains("notes.md") && !s.contains("ci.yml"),
        "{s}"
    );
    assert!(s.contains("PASS    ./other.csl:"), "{s}");
    assert!(s.contains("2 passed, 1 failed"), "{s}");
    let o = kql_in(&dir, &["test", "nowhere"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("nowhere: no such file or folder"),
        "{}",
        err(&o)
    );
}

#[test]
fn data_replaces_the_nearest_tables_folder() {
    let dir = workspace("data");
    write(&dir, "other/Events.csv", "Host\nsolo\n");
    write(&dir, "q.kql", "Events | project Host");
    write(&dir, "q.expected.csv", "Host\nsolo\n");
    let o = kql_in(&dir, &["test", "--data", "other"], &[]);
    assert!(o.status.success(), "{}", out(&o));
    let o = kql_in(&dir, &["test"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
}

#[test]
fn parallel_runs_report_in_a_stable_order() {
    let a = kql(&["test", "testdata/kqltest", "--jobs", "1"]);
    let b = kql(&["test", "testdata/kqltest", "--jobs", "4"]);
    let names = |o: &Output| -> Vec<String> {
        out(o)
            .lines()
            .filter(|l| l.starts_with("PASS") || l.starts_with("FAIL"))
            .map(|l| l.rsplit_once(" (").map_or(l, |(x, _)| x).to_string())
            .collect()
    };
    assert_eq!(names(&a), names(&b));
    assert_eq!(names(&a).len(), 11);
    // --filter picks cases by file, line or name.
    let o = kql(&["test", "testdata/kqltest", "-k", "SIGN-IN-HUNT.md"]);
    assert!(out(&o).contains("4 passed, 0 failed"), "{}", out(&o));
    let o = kql(&["test", "testdata/kqltest", "--filter", "newest"]);
    assert!(out(&o).contains("1 passed, 0 failed"), "{}", out(&o));
}

/// `kql-test.conf` pins the clock for a folder, a case's own directive wins,
/// `ignore` keeps files out, and `externaldata` paths start at the case file.
#[test]
fn folder_settings_and_case_relative_externaldata() {
    let ws = workspace("settings");
    write(&ws, "kql-test.conf", "# suite settings\nignore drafts\n");
    write(&ws, "hunts/kql-test.conf", "now 2026-01-31T12:00:00Z\n");
    write(&ws, "hunts/clock.kql", "print t = now()\n");
    write(
        &ws,
        "hunts/clock.expected.csv",
        "t\n2026-01-31T12:00:00.0000000Z\n",
    );
    write(
        &ws,
        "hunts/own.kql",
        "// kql-test: now 2020-02-29T10:00:00Z\nprint t = ago(1h)\n",
    );
    write(
        &ws,
        "hunts/own.expected.csv",
        "t\n2020-02-29T09:00:00.0000000Z\n",
    );
    write(&ws, "hunts/lists/iocs.csv", "1.2.3.4\n5.6.7.8\n");
    write(
        &ws,
        "hunts/iocs.kql",
        "externaldata (Ip: string) [\"lists/iocs.csv\"] | count\n",
    );
    write(&ws, "hunts/iocs.expected.csv", "Count\n2\n");
    write(&ws, "drafts/broken.kql", "this is not KQL |");
    let o = kql_in(&ws, &["test", "."], &[]);
    let stdout = out(&o);
    assert!(o.status.success(), "{stdout}\n{}", err(&o));
    assert!(stdout.contains("3 passed, 0 failed"), "{stdout}");
    assert!(!stdout.contains("broken"), "{stdout}");

    // Run from elsewhere, the settings and paths still hold.
    let o = kql_in(&repo(), &["test", ws.to_str().expect("utf-8 path")], &[]);
    assert!(out(&o).contains("3 passed, 0 failed"), "{}", out(&o));

    // A bad settings line fails the cases below it, naming the file and line.
    write(&ws, "hunts/kql-test.conf", "now someday\n");
    let o = kql_in(&ws, &["test", "hunts/clock.kql"], &[]);
    assert!(!o.status.success());
    assert!(out(&o).contains("kql-test.conf:1:"), "{}", out(&o));
}
