//! Writing results as a text table, CSV and JSON, and CSV round trips.

use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::Schema;
use kql_common::time::{parse_datetime, parse_timespan};
use kql_common::KqlType;
use kql_io::{load_csv_bytes, write_result, OutputFormat, TableOptions};
use std::sync::Arc;

fn sample() -> (Arc<Schema>, Vec<RecordBatch>) {
    let schema = Arc::new(Schema::new(vec![
        KqlType::DateTime.field("Timestamp"),
        KqlType::String.field("Name"),
        KqlType::Long.field("Size"),
        KqlType::Real.field("Score"),
        KqlType::TimeSpan.field("Took"),
        KqlType::Dynamic.field("Extra"),
        KqlType::Bool.field("Ok"),
    ]));
    let ts = |s: &str| parse_datetime(s).expect("datetime");
    let sp = |s: &str| parse_timespan(s).expect("timespan");
    let cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![
            Some(ts("2026-01-29T16:49:20.4813094Z")),
            None,
            Some(ts("2024-02-29")),
        ])),
        Arc::new(StringArray::from(vec![
            "powershell.exe",
            "Zürich 東京",
            "a \"quoted\", multi\nline",
        ])),
        Arc::new(Int64Array::from(vec![Some(7212), Some(-5), None])),
        Arc::new(Float64Array::from(vec![
            Some(15.0),
            Some(f64::NAN),
            Some(0.125),
        ])),
        Arc::new(Int64Array::from(vec![
            Some(sp("-00:00:01.5")),
            Some(sp("1.02:03:04")),
            None,
        ])),
        Arc::new(StringArray::from(vec![
            Some(r#"{"a":[1,2],"b":"x"}"#),
            None,
            Some("[]"),
        ])),
        Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])),
    ];
    let batch = RecordBatch::try_new(schema.clone(), cols).expect("batch");
    (schema, vec![batch])
}

fn render(format: OutputFormat, opts: &TableOptions) -> String {
    let (schema, batches) = sample();
    let mut out = Vec::new();
    write_result(&mut out, &schema, &batches, format, opts).expect("writes");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn table() {
    let want = "\
Timestamp                    │ Name                   │ Size │ Score │ Took              │ Extra               │ Ok
datetime                     │ string                 │ long │  real │ timespan          │ dynamic             │ bool
─────────────────────────────┼────────────────────────┼──────┼───────┼───────────────────┼─────────────────────┼──────
2026-01-29T16:49:20.4813094Z │ powershell.exe         │ 7212 │  15.0 │ -00:00:01.5000000 │ {\"a\":[1,2],\"b\":\"x\"} │ true
                             │ Zürich 東京            │   -5 │   NaN │ 1.02:03:04        │                     │
2024-02-29T00:00:00.0000000Z │ a \"quoted\", multi⏎line │      │ 0.125 │                   │ []                  │ false
(3 rows)
";
    assert_eq!(render(OutputFormat::Table, &TableOptions::default()), want);
}

#[test]
fn table_truncated_ascii_without_footer() {
    let opts = TableOptions {
        max_col_width: Some(8),
        ascii: true,
        footer: false,
        ..Default::default()
    };
    let want = "\
Timesta… | Name     | Size | Score | Took     | Extra    | Ok
datetime | string   | long |  real | timespan | dynamic  | bool
---------+----------+------+-------+----------+----------+------
2026-01… | powersh… | 7212 |  15.0 | -00:00:… | {\"a\":[1… | true
         | Zürich … |   -5 |   NaN | 1.02:03… |          |
2024-02… | a \"quot… |      | 0.125 |          | []       | false
";
    assert_eq!(render(OutputFormat::Table, &opts), want);
}

#[test]
fn table_footer_counts_and_escapes() {
    let schema = Arc::new(Schema::new(vec![KqlType::String.field("s")]));
    let one = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(StringArray::from(vec!["\u{1b}[31mred\ttab"])) as ArrayRef],
    )
    .expect("batch");
    let mut out = Vec::new();
    write_result(
        &mut out,
        &schema,
        &[one],
        OutputFormat::Table,
        &TableOptions::default(),
    )
    .expect("writes");
    assert_eq!(
        String::from_utf8(out).expect("utf-8"),
        "s\nstring\n────────────\n␛[31mred tab\n(1 row)\n"
    );
    let mut out = Vec::new();
    write_result(
        &mut out,
        &schema,
        &[],
        OutputFormat::Table,
        &TableOptions::default(),
    )
    .expect("writes");
    assert_eq!(
        String::from_utf8(out).expect("utf-8"),
        "s\nstring\n──────\n(0 rows)\n"
    );
}

#[test]
fn table_color_uses_ansi_only_when_asked() {
    let opts = TableOptions {
        color: true,
        ..Default::default()
    };
    let text = render(OutputFormat::Table, &opts);
    assert!(text.starts_with("\u{1b}[1mTimestamp"));
    assert!(!render(OutputFormat::Table, &TableOptions::default()).contains('\u{1b}'));
}

#[test]
fn csv() {
    let want = "\
Timestamp,Name,Size,Score,Took,Extra,Ok
2026-01-29T16:49:20.4813094Z,powershell.exe,7212,15.0,-00:00:01.5000000,\"{\"\"a\"\":[1,2],\"\"b\"\":\"\"x\"\"}\",true
,Zürich 東京,-5,NaN,1.02:03:04,,
2024-02-29T00:00:00.0000000Z,\"a \"\"quoted\"\", multi
line\",,0.125,,[],false
";
    assert_eq!(render(OutputFormat::Csv, &TableOptions::default()), want);
}

#[test]
fn json() {
    let want = concat!(
        r#"{"columns":[{"name":"Timestamp","type":"datetime"},{"name":"Name","type":"string"},"#,
        r#"{"name":"Size","type":"long"},{"name":"Score","type":"real"},{"name":"Took","type":"timespan"},"#,
        r#"{"name":"Extra","type":"dynamic"},{"name":"Ok","type":"bool"}],"rows":["#,
        r#"["2026-01-29T16:49:20.4813094Z","powershell.exe",7212,15.0,"-00:00:01.5000000",{"a":[1,2],"b":"x"},true],"#,
        r#"[null,"Zürich 東京",-5,"NaN","1.02:03:04",null,null],"#,
        r#"["2024-02-29T00:00:00.0000000Z","a \"quoted\", multi\nline",null,0.125,null,[],false]]}"#,
        "\n"
    );
    let got = render(OutputFormat::Json, &TableOptions::default());
    assert_eq!(got, want);
    let v: serde_json::Value = serde_json::from_str(&got).expect("valid JSON");
    assert_eq!(v["rows"][0][5]["a"][1], 2);
}

#[test]
fn csv_round_trip_of_an_export() {
    let export = "\
Timestamp,DeviceName,ProcessCommandLine,FileSize,AdditionalFields,Tag
2023-10-18T14:37:28.2012261Z,ws-01,\"\"\"MsMpEng.exe\"\"\",7212,\"{\"\"direction\"\":\"\"Out\"\",\"\"query\"\":\"\"a.b\"\"}\",x
2023-10-18T13:43:57.551828Z,ws-02,\"cmd /c echo a,b\",,{},
";
    let t = load_csv_bytes(
        "DeviceProcessEvents",
        export.as_bytes(),
        "DeviceProcessEvents.csv",
    )
    .expect("loads");
    let mut out = Vec::new();
    write_result(
        &mut out,
        &t.schema,
        &t.batches,
        OutputFormat::Csv,
        &TableOptions::default(),
    )
    .expect("writes");
    // the only change: datetimes are printed with all seven fraction digits
    let want = export.replace("57.551828Z", "57.5518280Z");
    assert_eq!(String::from_utf8(out).expect("utf-8"), want);
}

#[test]
fn csv_round_trip_of_the_fixture_is_exact() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/DeviceProcessEvents.csv"
    );
    let text = std::fs::read_to_string(path).expect("fixture");
    let t = load_csv_bytes("DeviceProcessEvents", text.as_bytes(), "f.csv").expect("loads");
    let mut out = Vec::new();
    write_result(
        &mut out,
        &t.schema,
        &t.batches,
        OutputFormat::Csv,
        &TableOptions::default(),
    )
    .expect("writes");
    assert_eq!(String::from_utf8(out).expect("utf-8"), text);
}

#[test]
fn dynamic_strings_print_without_quotes_except_in_json() {
    let schema = Arc::new(Schema::new(vec![KqlType::Dynamic.field("d")]));
    let col: ArrayRef = Arc::new(StringArray::from(vec![
        Some(r#""plain""#),
        Some(r#""say \"hi\"""#),
        Some(r#"["x"]"#),
        None,
    ]));
    let batch = RecordBatch::try_new(schema.clone(), vec![col]).expect("batch");
    let write = |format| {
        let mut out = Vec::new();
        write_result(
            &mut out,
            &schema,
            std::slice::from_ref(&batch),
            format,
            &TableOptions::default(),
        )
        .expect("writes");
        String::from_utf8(out).expect("utf-8")
    };
    assert_eq!(
        write(OutputFormat::Csv),
        "d\nplain\n\"say \"\"hi\"\"\"\n\"[\"\"x\"\"]\"\n\"\"\n"
    );
    assert_eq!(
        write(OutputFormat::Json),
        "{\"columns\":[{\"name\":\"d\",\"type\":\"dynamic\"}],\"rows\":[[\"plain\"],[\"say \\\"hi\\\"\"],[[\"x\"]],[null]]}\n"
    );
    let table = write(OutputFormat::Table);
    assert!(table.contains("\nplain"), "{table}");
    assert!(table.contains("\nsay \"hi\""), "{table}");
    assert!(table.contains("\n[\"x\"]"), "{table}");
}
