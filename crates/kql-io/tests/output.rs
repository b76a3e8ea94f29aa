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

/// The CSV text of a result.
fn csv_of(schema: &Schema, batches: &[RecordBatch]) -> String {
    let mut out = Vec::new();
    write_result(
        &mut out,
        schema,
        batches,
        OutputFormat::Csv,
        &TableOptions::default(),
    )
    .expect("writes");
    String::from_utf8(out).expect("utf-8")
}

/// Reads CSV text back into records of fields.
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    r.records()
        .map(|rec| rec.expect("valid CSV").iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn csv_fields_read_back_as_written_whatever_each_column_holds() {
    // Columns where no value needs quotes (written straight from the
    // array) beside columns where some do, nulls, empty strings, non-ASCII
    // text, and batches that are slices of larger arrays.
    let pieces = [
        "a", "Zürich", "", ",", "\"", "\n", "\r\n", "x y", "東京", "=1",
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut value = |plain_only: bool| -> Option<String> {
        if next(9) == 0 {
            return None;
        }
        let n = next(4);
        Some(
            (0..n)
                .map(|_| {
                    let p = pieces[next(pieces.len())];
                    if plain_only && needs_quoting(p) {
                        "b"
                    } else {
                        p
                    }
                })
                .collect(),
        )
    };
    let schema = Arc::new(Schema::new(vec![
        KqlType::String.field("Plain"),
        KqlType::String.field("Mixed"),
        KqlType::Long.field("N"),
    ]));
    let mut batches = Vec::new();
    let mut want: Vec<Vec<String>> = vec![vec!["Plain".into(), "Mixed".into(), "N".into()]];
    for (rows, skip) in [(50usize, 0usize), (0, 0), (200, 37), (1, 0), (90, 5)] {
        let plain: Vec<Option<String>> = (0..rows + skip).map(|_| value(true)).collect();
        let mixed: Vec<Option<String>> = (0..rows + skip).map(|_| value(false)).collect();
        let n: Vec<Option<i64>> = (0..rows + skip)
            .map(|i| (i % 7 != 0).then_some(i as i64 - 40))
            .collect();
        for i in skip..skip + rows {
            want.push(vec![
                plain[i].clone().unwrap_or_default(),
                mixed[i].clone().unwrap_or_default(),
                n[i].map(|v| v.to_string()).unwrap_or_default(),
            ]);
        }
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(plain)),
                Arc::new(StringArray::from(mixed)),
                Arc::new(Int64Array::from(n)),
            ],
        )
        .expect("batch");
        batches.push(batch.slice(skip, rows));
    }
    let text = csv_of(&schema, &batches);
    assert_eq!(read_csv(&text), want);
    // Fields are quoted only when they must be.
    let quote = |f: &String| {
        if needs_quoting(f) {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else {
            f.clone()
        }
    };
    let minimal: String = want
        .iter()
        .map(|r| r.iter().map(quote).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    assert_eq!(text, minimal);
}

fn needs_quoting(s: &str) -> bool {
    s.contains([',', '"', '\n', '\r'])
}

#[test]
fn csv_quotes_an_empty_field_that_is_its_records_only_one() {
    let schema = Arc::new(Schema::new(vec![KqlType::String.field("s")]));
    let col: ArrayRef = Arc::new(StringArray::from(vec![
        Some("a"),
        Some(""),
        None,
        Some("b,c"),
    ]));
    let batch = RecordBatch::try_new(schema.clone(), vec![col]).expect("batch");
    assert_eq!(csv_of(&schema, &[batch]), "s\na\n\"\"\n\"\"\n\"b,c\"\n");
}

#[test]
fn large_csv_results_come_out_in_order() {
    // Pieces of a large result are formatted on several threads; the text
    // is the rows in order, batch after batch.
    let schema = Arc::new(Schema::new(vec![
        KqlType::Long.field("N"),
        KqlType::String.field("S"),
    ]));
    let mut batches = Vec::new();
    let mut want = String::from("N,S\n");
    let mut n = 0i64;
    for rows in [30_000usize, 1, 0, 25_000, 9_000] {
        let ns: Vec<i64> = (0..rows as i64).map(|i| n + i).collect();
        let ss: Vec<String> = ns
            .iter()
            .map(|i| match i % 5 {
                0 => format!("a,{i}"),
                1 => String::new(),
                _ => format!("v{i}"),
            })
            .collect();
        for (i, s) in ns.iter().zip(&ss) {
            if s.contains(',') {
                want.push_str(&format!("{i},\"{s}\"\n"));
            } else {
                want.push_str(&format!("{i},{s}\n"));
            }
        }
        n += rows as i64;
        batches.push(
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from(ns)),
                    Arc::new(StringArray::from(ss)),
                ],
            )
            .expect("batch"),
        );
    }
    assert_eq!(csv_of(&schema, &batches), want);
}
