//! Runs the built `kql` binary as a user would and checks what it prints.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn kql(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kql"))
        .args(args)
        // Tests never fill the user's cache of parsed tables.
        .env("KQL_NO_CACHE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kql starts");
    {
        let mut input = child.stdin.take().expect("stdin is piped");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
    }
    child.wait_with_output().expect("kql finishes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 stderr")
}

const QUERY: &str = r#"datatable(Name:string, Size:long, When:datetime, Took:timespan, Extra:dynamic)
["a.zip", 10, datetime(2026-01-29T16:49:20.4813094Z), 2m, dynamic({"direction":"Out"}),
 "b, \"c\"", long(null), datetime(null), -1.5h, dynamic(null)]"#;

#[test]
fn execute_flag_prints_json() {
    let o = kql(&["--format", "json", "-e", QUERY], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        concat!(
            r#"{"columns":[{"name":"Name","type":"string"},{"name":"Size","type":"long"},{"name":"When","type":"datetime"},{"name":"Took","type":"timespan"},{"name":"Extra","type":"dynamic"}],"#,
            r#""rows":[["a.zip",10,"2026-01-29T16:49:20.4813094Z","00:02:00",{"direction":"Out"}],["b, \"c\"",null,null,"-01:30:00",null]]}"#,
            "\n"
        )
    );
}

#[test]
fn csv_format_quotes_like_an_export() {
    let o = kql(&["--format", "csv", "-e", QUERY], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "Name,Size,When,Took,Extra\n\
         a.zip,10,2026-01-29T16:49:20.4813094Z,00:02:00,\"{\"\"direction\"\":\"\"Out\"\"}\"\n\
         \"b, \"\"c\"\"\",,,-01:30:00,\n"
    );
}

#[test]
fn table_format_has_header_types_and_footer() {
    let o = kql(&["-e", "print x = 1, y = 'two'"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0].split('│').map(str::trim).collect::<Vec<_>>(),
        ["x", "y"]
    );
    assert_eq!(
        lines[1].split('│').map(str::trim).collect::<Vec<_>>(),
        ["long", "string"]
    );
    assert_eq!(
        lines[3].split('│').map(str::trim).collect::<Vec<_>>(),
        ["1", "two"]
    );
    assert_eq!(lines.last().copied(), Some("(1 row)"));
}

#[test]
fn file_flag_runs_a_query_file() {
    let dir = std::env::temp_dir().join(format!("kql-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("hunt.kql");
    std::fs::write(
        &path,
        "// a comment\nrange x from 1 to 3 step 1\n| summarize s = sum(x)\n",
    )
    .expect("write query");
    let o = kql(
        &["--format", "csv", "-f", path.to_str().expect("utf-8 path")],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "s\n6\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn standard_input_is_a_query() {
    let o = kql(&["--format", "csv"], Some("print a = 'from stdin'\n"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "a\nfrom stdin\n");
}

#[test]
fn data_flag_loads_a_csv_and_infers_types() {
    let dir = std::env::temp_dir().join(format!("kql-cli-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("Logins.csv");
    std::fs::write(
        &path,
        "User,Count,When\nalice,3,2026-01-29T10:00:00Z\nbob,5,2026-01-29T11:00:00Z\n",
    )
    .expect("write csv");
    let o = kql(
        &[
            "--data",
            path.to_str().expect("utf-8 path"),
            "--format",
            "json",
            "-e",
            "Logins | where Count > 3 | project User, When",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "{\"columns\":[{\"name\":\"User\",\"type\":\"string\"},{\"name\":\"When\",\"type\":\"datetime\"}],\"rows\":[[\"bob\",\"2026-01-29T11:00:00.0000000Z\"]]}\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn now_flag_pins_the_clock() {
    let o = kql(
        &[
            "--now",
            "2026-01-30T00:00:00Z",
            "--format",
            "csv",
            "-e",
            "print a = ago(1d)",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "a\n2026-01-29T00:00:00.0000000Z\n");
}

#[test]
fn a_bad_query_fails_with_a_pointed_diagnostic() {
    let o = kql(&["-e", "print x = 1 | wher x > 1"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    let err = stderr(&o);
    assert!(err.contains("kql::parse::unknown_operator"), "{err}");
    assert!(err.contains("unknown operator `wher`"), "{err}");
    assert!(err.contains("did you mean where?"), "{err}");
    assert!(err.contains("print x = 1 | wher x > 1"), "{err}");
}

#[test]
fn an_unknown_column_fails_at_plan_time() {
    let o = kql(
        &[
            "-e",
            "datatable(DeviceName:string)['x'] | project DeviceNam",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("kql::plan::unknown_column"), "{err}");
    assert!(err.contains("did you mean DeviceName?"), "{err}");
}

#[test]
fn a_missing_data_file_is_an_io_error() {
    let o = kql(&["--data", "/nonexistent/Nope.csv", "-e", "print 1"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("kql::io::"), "{}", stderr(&o));
}

#[test]
fn explain_prints_the_plan() {
    let o = kql(
        &[
            "--explain",
            "-e",
            "range x from 1 to 3 step 1 | where x > 1 | take 1",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "Limit: 1  -> (x:long)\n  Filter: (x > 1)  -> (x:long)\n    Range: x from 1 to 3 step 1  -> (x:long)\n"
    );
}

#[test]
fn contains_works_on_a_dynamic_sentinel_column() {
    let dir = std::env::temp_dir().join(format!("kql-cli-sentinel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("DeviceNetworkEvents.csv"),
        "TenantId,TimeGenerated,Timestamp,DeviceName,RemoteUrl,AdditionalFields\n\
         t1,2026-01-29T16:48:02Z,2026-01-29T16:48:02Z,stefano-test,www.7-zip.org,\"{\"\"direction\"\":\"\"Out\"\"}\"\n\
         t1,2026-01-29T16:48:03Z,2026-01-29T16:48:03Z,stefano-test,,\"{\"\"direction\"\":\"\"In\"\"}\"\n\
         t1,2026-01-29T16:48:04Z,2026-01-29T16:48:04Z,stefano-test,,\n",
    )
    .expect("write csv");
    let o = kql(
        &[
            "--data",
            dir.to_str().expect("utf-8 path"),
            "--format",
            "json",
            "-e",
            "DeviceNetworkEvents | where AdditionalFields contains \"Out\" | project RemoteUrl, AdditionalFields",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "{\"columns\":[{\"name\":\"RemoteUrl\",\"type\":\"string\"},{\"name\":\"AdditionalFields\",\"type\":\"dynamic\"}],\"rows\":[[\"www.7-zip.org\",{\"direction\":\"Out\"}]]}\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn render_keeps_the_rows_and_warns_on_stderr() {
    let o = kql(
        &[
            "--format",
            "csv",
            "-e",
            "range x from 1 to 2 step 1 | render timechart",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "x\n1\n2\n");
    let err = stderr(&o);
    assert!(err.contains("kql::plan::render"), "{err}");
    assert!(err.contains("render timechart"), "{err}");
}

#[test]
fn file_profile_stand_in_warns_on_stderr() {
    let o = kql(
        &[
            "--format",
            "csv",
            "-e",
            "print SHA1 = 'x' | invoke FileProfile() | project SHA1, GlobalPrevalence",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "SHA1,GlobalPrevalence\nx,\n");
    assert!(stderr(&o).contains("kql::plan::cloud_function"));
}

#[test]
fn externaldata_reads_http_urls_from_the_cache_folder() {
    let dir = std::env::temp_dir().join(format!("kql-external-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the cache folder");
    std::fs::write(dir.join("list.txt"), "1.2.3.4\n5.6.7.8\n").expect("write the cached file");
    let query = r#"externaldata (Ip: string) ["https://example.com/feeds/list.txt?token=x"] with (format="txt") | count"#;
    let dir_arg = dir.display().to_string();
    let o = kql(
        &["--format", "csv", "--external-data", &dir_arg, "-e", query],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "Count\n2\n");
    let o = kql(&["--format", "csv", "-e", query], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--external-data"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Defender export in a fresh folder; the query counts rows per device.
fn cache_fixture(tag: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("kql-cli-cache-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut csv = String::from("Timestamp,DeviceName,FileName\n");
    for i in 0..300 {
        csv.push_str(&format!(
            "2026-01-29T16:{:02}:00Z,host-{},f{i}.exe\n",
            i % 60,
            i % 3
        ));
    }
    std::fs::write(dir.join("DeviceFileEvents.csv"), csv).expect("write");
    (
        dir,
        "DeviceFileEvents | summarize n = count() by DeviceName | sort by DeviceName asc".into(),
    )
}

fn run_cached(dir: &std::path::Path, query: &str, extra: &[&str], env: &[(&str, &str)]) -> String {
    let data = dir.join("DeviceFileEvents.csv");
    let cache = dir.join("cache");
    let mut c = Command::new(env!("CARGO_BIN_EXE_kql"));
    c.args(["--format", "csv", "--data"])
        .arg(&data)
        .args(extra)
        .args(["-e", query])
        .env_remove("KQL_NO_CACHE")
        .env("KQL_CACHE_DIR", &cache);
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("kql runs");
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn csv_tables_are_cached_unless_told_not_to() {
    let (dir, query) = cache_fixture("flag");
    let expected = "DeviceName,n\nhost-0,100\nhost-1,100\nhost-2,100\n";
    let cache = dir.join("cache");
    assert_eq!(run_cached(&dir, &query, &["--no-cache"], &[]), expected);
    assert!(!cache.exists(), "--no-cache writes nothing");
    assert_eq!(
        run_cached(&dir, &query, &[], &[("KQL_NO_CACHE", "1")]),
        expected
    );
    assert!(!cache.exists(), "KQL_NO_CACHE writes nothing");
    assert_eq!(run_cached(&dir, &query, &[], &[]), expected);
    assert!(cache.exists(), "the first run fills the cache");
    // A cache hit gives the same answer; so does a changed file, re-read.
    assert_eq!(run_cached(&dir, &query, &[], &[]), expected);
    std::fs::write(
        dir.join("DeviceFileEvents.csv"),
        "Timestamp,DeviceName,FileName\n2026-01-29T16:00:00Z,host-9,x.exe\n",
    )
    .expect("rewrite");
    assert_eq!(
        run_cached(&dir, &query, &[], &[]),
        "DeviceName,n\nhost-9,1\n"
    );
}

/// Runs `kql` with `KQL_MAX_MEMORY` set as given (or unset).
fn kql_with_budget(args: &[&str], env_budget: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kql"));
    cmd.args(args).env("KQL_NO_CACHE", "1");
    match env_budget {
        Some(b) => cmd.env("KQL_MAX_MEMORY", b),
        None => cmd.env_remove("KQL_MAX_MEMORY"),
    };
    cmd.stdin(Stdio::null()).output().expect("kql runs")
}

/// A query that holds half a million generated strings at once.
const HUNGRY: &str = r#"range x from 1 to 500000 step 1
| extend s = strcat("row", x)
| summarize l = make_list(s)
| project n = array_length(l)"#;

fn assert_over_budget(o: &Output, budget: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(stdout(o).is_empty(), "{}", stdout(o));
    assert!(err.contains("kql::eval::memory_limit"), "{err}");
    assert!(err.contains("the query used "), "{err}");
    assert!(
        err.contains(&format!("of memory, more than its {budget} budget")),
        "{err}"
    );
    assert!(
        err.contains("raise") && err.contains("--max-memory"),
        "{err}"
    );
}

#[test]
fn a_query_over_its_memory_budget_stops_with_a_diagnostic() {
    let o = kql_with_budget(&["--max-memory", "8MiB", "-e", HUNGRY], None);
    assert_over_budget(&o, "8.0 MiB");
    // The environment variable sets the same budget; the flag wins over it.
    let o = kql_with_budget(&["-e", HUNGRY], Some("6MB"));
    assert_over_budget(&o, "5.7 MiB");
    let o = kql_with_budget(&["--max-memory", "1GiB", "-e", HUNGRY], Some("6MB"));
    assert!(o.status.success(), "{}", stderr(&o));
    // Without a budget (or with room) the same query runs.
    for budget in [None, Some("1.5G")] {
        let o = kql_with_budget(&["--format", "csv", "-e", HUNGRY], budget);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), "n\n500000\n");
    }
}

#[test]
fn kql_test_holds_each_case_to_the_budget() {
    let dir = std::env::temp_dir().join(format!("kql-cli-budget-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("hungry.kql"), HUNGRY).expect("write case");
    std::fs::write(dir.join("hungry.expected.csv"), "n\n500000\n").expect("write expectation");
    let dir_arg = dir.display().to_string();
    let o = kql_with_budget(&["test", "--max-memory", "8MiB", &dir_arg], None);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("kql::eval::memory_limit"),
        "{}",
        stdout(&o)
    );
    let o = kql_with_budget(&["test", &dir_arg], None);
    assert!(o.status.success(), "{}", stdout(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_memory_size_is_a_usage_error() {
    for (args, env, says) in [
        (vec!["--max-memory", "12XB"], None, "unknown unit `XB`"),
        (vec!["--max-memory", "lots"], None, "is not a memory size"),
        (vec!["--max-memory", "0"], None, "less than one byte"),
        (vec![], Some("-1G"), "is not a memory size"),
        (
            vec!["test", "--max-memory", "1.2.3G"],
            None,
            "is not a memory size",
        ),
    ] {
        let mut all = args.clone();
        if all.first() != Some(&"test") {
            all.extend(["-e", "print 1"]);
        }
        let o = kql_with_budget(&all, env);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("--max-memory <SIZE>"), "{err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
