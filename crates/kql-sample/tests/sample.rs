//! Checks the committed sample tables against the generator and the incident story.

use std::collections::HashSet;
use std::path::PathBuf;

use kql_common::time::{parse_datetime, TICKS_PER_MINUTE};
use kql_sample::{generate, schema, Config, Table};

fn tables_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/tables")
}

fn sample() -> Vec<(Table, Vec<u8>)> {
    generate(&Config::default()).expect("generate the sample")
}

struct Parsed {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Parsed {
    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }
}

fn parse(bytes: &[u8]) -> Parsed {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let header = rdr
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = rdr
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect();
    Parsed { header, rows }
}

fn table(all: &[(Table, Vec<u8>)], t: Table) -> Parsed {
    let bytes = &all
        .iter()
        .find(|(x, _)| *x == t)
        .expect("table generated")
        .1;
    parse(bytes)
}

fn incident() -> i64 {
    parse_datetime("2026-01-29T16:49:20.4813094Z").expect("incident time")
}

fn ts(s: &str) -> i64 {
    parse_datetime(s).unwrap_or_else(|| panic!("bad datetime {s:?}"))
}

#[test]
fn committed_files_match_the_generator() {
    for (table, bytes) in sample() {
        let path = tables_dir().join(table.file_name());
        let committed =
            std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        assert!(
            committed == bytes,
            "{} differs from the generator output; regenerate with \
             `cargo run -p kql-sample -- --out testdata/tables`",
            path.display()
        );
    }
}

#[test]
fn generation_is_deterministic() {
    assert!(sample() == sample());
    let other = generate(&Config {
        seed: 7,
        rows: None,
    })
    .expect("generate");
    assert!(other != sample());
}

#[test]
fn headers_follow_the_portal_schema_and_values_parse() {
    for (table, bytes) in sample() {
        let parsed = parse(&bytes);
        let schema = schema::table(table.name()).expect("schema");
        let names: Vec<&str> = schema.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(parsed.header, names, "{} header", table.name());
        // The header line itself is unquoted.
        let first = bytes.split(|b| *b == b'\n').next().expect("header line");
        assert!(!first.contains(&b'"'));
        for row in &parsed.rows {
            assert_eq!(row.len(), names.len());
            for (v, c) in row.iter().zip(&schema.columns) {
                if v.is_empty() {
                    continue;
                }
                match c.kql_type.as_str() {
                    "datetime" => {
                        ts(v);
                        assert!(
                            v.ends_with('Z') && !v.contains(".0Z") && v.len() <= 28,
                            "{v}"
                        );
                        if let Some((_, frac)) = v.trim_end_matches('Z').split_once('.') {
                            assert!(!frac.ends_with('0') && frac.len() <= 7, "{v}");
                        }
                    }
                    "long" | "int" => {
                        v.parse::<i64>()
                            .unwrap_or_else(|_| panic!("{}: {v}", c.name));
                    }
                    "bool" => assert!(v == "true" || v == "false", "{}: {v}", c.name),
                    _ => {}
                }
                if c.name == "AdditionalFields" || c.name == "LoggedOnUsers" {
                    serde_json::from_str::<serde_json::Value>(v)
                        .unwrap_or_else(|e| panic!("{}: {v}: {e}", c.name));
                }
            }
        }
    }
}

#[test]
fn row_counts_are_in_range() {
    let all = sample();
    let count = |t| table(&all, t).rows.len();
    assert!((2_000..=4_000).contains(&count(Table::DeviceProcessEvents)));
    assert!((1_500..=3_000).contains(&count(Table::DeviceFileEvents)));
    assert!((1_500..=3_000).contains(&count(Table::DeviceNetworkEvents)));
    let info = table(&all, Table::DeviceInfo);
    let devices: HashSet<&str> = info
        .rows
        .iter()
        .map(|r| r[info.col("DeviceName")].as_str())
        .collect();
    assert!(devices.len() >= 10 && devices.contains("stefano-test"));
    assert!((devices.len() * 5..=devices.len() * 8).contains(&info.rows.len()));
    let total: usize = all.iter().map(|(_, b)| b.len()).sum();
    assert!(total < 6_300_000, "sample is {total} bytes");
}

#[test]
fn incident_zip_is_the_newest_non_vmagent_zip() {
    let all = sample();
    let f = table(&all, Table::DeviceFileEvents);
    let (name, time, init, dev) = (
        f.col("FileName"),
        f.col("Timestamp"),
        f.col("InitiatingProcessFileName"),
        f.col("DeviceName"),
    );
    let mut zips: Vec<&Vec<String>> = f
        .rows
        .iter()
        .filter(|r| r[name].to_lowercase().ends_with("zip") && r[name] != "VMAgentLogs.zip")
        .collect();
    assert!(zips.len() >= 10, "other legitimate zips exist");
    zips.sort_by_key(|r| std::cmp::Reverse(ts(&r[time])));
    let top = zips[0];
    assert_eq!(top[time], "2026-01-29T16:49:20.4813094Z");
    assert_eq!(top[name], "employeedata.zip");
    assert_eq!(top[init], "7z.exe");
    assert_eq!(top[dev], "stefano-test");
    assert!(ts(&zips[1][time]) < incident());
    // VMAgentLogs.zip is written repeatedly, also after the incident and on
    // the incident machine, so the exclusion matters.
    let vm: Vec<&Vec<String>> = f
        .rows
        .iter()
        .filter(|r| r[name] == "VMAgentLogs.zip")
        .collect();
    assert!(vm.len() > 20);
    assert!(vm
        .iter()
        .any(|r| ts(&r[time]) > incident() && r[dev] == "stefano-test"));
    // Nothing uploads the archive.
    for (t, bytes) in &all {
        if *t == Table::DeviceNetworkEvents {
            let text = String::from_utf8_lossy(bytes).to_lowercase();
            assert!(!text.contains("employeedata"));
        }
    }
}

fn window_rows(p: &Parsed) -> Vec<&Vec<String>> {
    let (dev, time) = (p.col("DeviceName"), p.col("Timestamp"));
    let (lo, hi) = (
        incident() - 2 * TICKS_PER_MINUTE,
        incident() + 2 * TICKS_PER_MINUTE,
    );
    p.rows
        .iter()
        .filter(|r| r[dev] == "stefano-test" && (lo..=hi).contains(&ts(&r[time])))
        .collect()
}

#[test]
fn incident_processes_are_in_the_window() {
    let all = sample();
    let p = table(&all, Table::DeviceProcessEvents);
    let rows = window_rows(&p);
    assert!((5..=15).contains(&rows.len()), "{} rows", rows.len());
    let (file, cmd, orig) = (
        p.col("FileName"),
        p.col("ProcessCommandLine"),
        p.col("ProcessVersionInfoOriginalFileName"),
    );
    assert!(rows.iter().any(|r| r[file] == "powershell.exe"
        && r[cmd].contains("exfiltratedata.ps1")
        && r[orig] == "PowerShell.EXE"));
    assert!(rows
        .iter()
        .any(|r| r[file] == "7z.exe" && r[cmd].contains("employeedata.zip")));
    assert!(rows
        .iter()
        .any(|r| r[file] == "7z2408-x64.exe" && r[cmd].ends_with("/S")));
}

#[test]
fn only_the_downloads_are_outbound_in_the_window() {
    let all = sample();
    let n = table(&all, Table::DeviceNetworkEvents);
    let rows = window_rows(&n);
    let af = n.col("AdditionalFields");
    let out: Vec<&&Vec<String>> = rows
        .iter()
        .filter(|r| r[af].to_lowercase().contains("out"))
        .collect();
    assert!(rows.len() > out.len(), "the filter must remove something");
    let urls: HashSet<&str> = out.iter().map(|r| r[n.col("RemoteUrl")].as_str()).collect();
    assert_eq!(out.len(), 2);
    assert_eq!(
        urls,
        HashSet::from(["raw.githubusercontent.com", "www.7-zip.org"])
    );
    for r in &out {
        assert_eq!(r[n.col("ActionType")], "ConnectionSuccess");
        assert_eq!(r[n.col("RemotePort")], "443");
        assert_eq!(r[n.col("InitiatingProcessFileName")], "powershell.exe");
    }
    // Elsewhere "Out" is common.
    let elsewhere = n
        .rows
        .iter()
        .filter(|r| r[af].to_lowercase().contains("out"))
        .count();
    assert!(elsewhere > 50);
}

#[test]
fn scale_mode_streams_the_requested_rows() {
    let config = Config {
        seed: kql_sample::DEFAULT_SEED,
        rows: Some(20_000),
    };
    let mut buf = Vec::new();
    let n = kql_sample::write_table(&config, Table::DeviceNetworkEvents, &mut buf).expect("write");
    assert_eq!(n, 20_000);
    let p = parse(&buf);
    assert_eq!(p.rows.len(), 20_000);
    let out = window_rows(&p)
        .into_iter()
        .filter(|r| r[p.col("AdditionalFields")].to_lowercase().contains("out"))
        .count();
    assert_eq!(out, 2);
    let time = p.col("Timestamp");
    assert!(p
        .rows
        .windows(2)
        .all(|w| ts(&w[0][time]) <= ts(&w[1][time])));
}
