//! Every way the Parquet reader decodes a row group returns what plain
//! decoding gives: files written with and without dictionary encoding
//! (and with dictionaries that overflow into plain pages), small pages and
//! row groups, nulls, empty strings and non-ASCII text, read whole, by
//! projection, and with predicates that keep few, most, all or no rows.

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{
    Array, ArrayRef, Int64Array, RecordBatch, StringArray, TimestampNanosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use kql_common::{KqlType, ScalarValue, ScanOp, ScanPredicate};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kql-io-pqpaths-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

const ROWS: usize = 3_000;

/// A small deterministic generator.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

const ACTIONS: [&str; 4] = ["ConnectionSuccess", "Ünïcode ✓", "日本", "Failed"];

/// The table as the file stores it: times in nanoseconds (some before
/// 1970, some not a multiple of 100), strings with nulls.
struct Source {
    ts: Vec<Option<i64>>,
    action: Vec<Option<String>>,
    url: Vec<Option<String>>,
    port: Vec<Option<i64>>,
    extra: Vec<Option<String>>,
}

fn source() -> Source {
    let mut r = Lcg(42);
    let mut s = Source {
        ts: vec![],
        action: vec![],
        url: vec![],
        port: vec![],
        extra: vec![],
    };
    for i in 0..ROWS {
        let t = (i as i64 - 200) * 1_000_000_007 + (r.next() % 1000) as i64;
        s.ts.push((i % 101 != 3).then_some(t));
        let a = match r.next() % 100 {
            0..=69 => Some(ACTIONS[0].to_string()),
            70..=74 => None,
            75..=79 => Some(String::new()),
            80..=84 => Some(ACTIONS[1].to_string()),
            85..=89 => Some(ACTIONS[2].to_string()),
            _ => Some(ACTIONS[3].to_string()),
        };
        s.action.push(a);
        // Mostly distinct long values: dictionaries overflow into plain pages.
        let u = match i % 17 {
            0 => None,
            1 => Some(String::new()),
            2 => Some(format!("https://例え.jp/{}", r.next())),
            _ => Some(format!(
                "https://host-{}.example.com/path/{i}",
                r.next() % 5000
            )),
        };
        s.url.push(u);
        s.port
            .push((i % 13 != 0).then(|| (r.next() % 70_000) as i64 - 5_000));
        s.extra.push(
            r.next()
                .is_multiple_of(10)
                .then(|| format!("{{\"d\":\"{}\"}}", i % 3)),
        );
    }
    s
}

fn batch(s: &Source) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new(
            "Timestamp",
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            true,
        ),
        Field::new("ActionType", DataType::Utf8, true),
        Field::new("RemoteUrl", DataType::Utf8, true),
        Field::new("RemotePort", DataType::Int64, true),
        Field::new("AdditionalFields", DataType::Utf8, true),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(TimestampNanosecondArray::from(s.ts.clone()).with_timezone("UTC")),
        Arc::new(StringArray::from(s.action.clone())),
        Arc::new(StringArray::from(s.url.clone())),
        Arc::new(Int64Array::from(s.port.clone())),
        Arc::new(StringArray::from(s.extra.clone())),
    ];
    RecordBatch::try_new(schema, cols).expect("batch")
}

/// One cell as text: `null` for a null, strings quoted.
type Row = Vec<String>;

/// The rows as `kql` must read them: times in 100 ns ticks rounded
/// towards the past, missing strings as `""`.
fn expected(s: &Source) -> Vec<Row> {
    let q = |v: &Option<String>| quote(v.as_deref().unwrap_or_default());
    let n = |v: Option<i64>| v.map_or("null".to_string(), |x| x.to_string());
    (0..ROWS)
        .map(|i| {
            vec![
                n(s.ts[i].map(|t| t.div_euclid(100))),
                q(&s.action[i]),
                q(&s.url[i]),
                n(s.port[i]),
                q(&s.extra[i]),
            ]
        })
        .collect()
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("quote")
}

fn cell(a: &ArrayRef, i: usize) -> String {
    if a.is_null(i) {
        // Strings are never null in KQL layout.
        assert_ne!(a.data_type(), &DataType::Utf8, "a null string");
        return "null".to_string();
    }
    match a.data_type() {
        DataType::Int64 => a.as_primitive::<Int64Type>().value(i).to_string(),
        DataType::Utf8 => quote(a.as_string::<i32>().value(i)),
        dt => panic!("unexpected type {dt}"),
    }
}

fn rows_of(t: &kql_io::LoadedTable) -> Vec<Row> {
    let mut out = Vec::new();
    for b in &t.batches {
        for i in 0..b.num_rows() {
            out.push(b.columns().iter().map(|c| cell(c, i)).collect());
        }
    }
    out
}

fn project(rows: &[Row], cols: &[usize]) -> Vec<Row> {
    rows.iter()
        .map(|r| cols.iter().map(|&c| r[c].clone()).collect())
        .collect()
}

/// Whether `row` (all columns, as text) satisfies `p`.
fn satisfies(row: &Row, p: &ScanPredicate) -> bool {
    let v = &row[p.column];
    let value = match p.value {
        ScalarValue::String(_) => {
            ScalarValue::String(serde_json::from_str::<String>(v).expect("quoted"))
        }
        _ if v == "null" => return false,
        ScalarValue::DateTime(_) => ScalarValue::DateTime(v.parse().expect("ticks")),
        _ => ScalarValue::Long(v.parse().expect("long")),
    };
    p.matches(&value) == Some(true)
}

/// Whether `part` is `whole` with some rows left out (order kept).
fn is_subsequence(part: &[Row], whole: &[Row]) -> bool {
    let mut it = whole.iter();
    part.iter().all(|r| it.any(|w| w == r))
}

fn write(path: &Path, b: &RecordBatch, dictionary: bool, page_rows: usize) {
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(700))
        .set_dictionary_enabled(dictionary)
        .set_dictionary_page_size_limit(1024)
        .set_data_page_row_count_limit(page_rows)
        .set_write_batch_size(50)
        .build();
    let file = std::fs::File::create(path).expect("create");
    let mut w = ArrowWriter::try_new(file, b.schema(), Some(props)).expect("writer");
    for start in (0..b.num_rows()).step_by(1000) {
        w.write(&b.slice(start, 1000.min(b.num_rows() - start)))
            .expect("write");
    }
    w.close().expect("close");
}

#[test]
fn every_decoding_path_reads_what_plain_decoding_reads() {
    let dir = temp_dir("paths");
    let src = source();
    let b = batch(&src);
    let want_all = expected(&src);
    let pred = |column, op, value| ScanPredicate { column, op, value };
    let s = |x: &str| ScalarValue::String(x.to_string());
    let dt = |i: i64| ScalarValue::DateTime((i - 200) * 10_000_000);
    let cases: Vec<Vec<ScanPredicate>> = vec![
        // Most rows.
        vec![pred(1, ScanOp::Eq, s(ACTIONS[0]))],
        // Few rows, non-ASCII.
        vec![pred(1, ScanOp::Eq, s(ACTIONS[2]))],
        vec![pred(1, ScanOp::Eq, s(ACTIONS[1]))],
        // Missing and empty strings.
        vec![pred(1, ScanOp::Eq, s(""))],
        // None.
        vec![pred(1, ScanOp::Eq, s("nothing"))],
        // All (every string is at least "").
        vec![pred(1, ScanOp::Ge, s(""))],
        vec![pred(1, ScanOp::Gt, s("ConnectionSuccess"))],
        vec![pred(0, ScanOp::Lt, dt(100))],
        vec![pred(0, ScanOp::Ge, dt(1000)), pred(0, ScanOp::Lt, dt(1010))],
        vec![pred(3, ScanOp::Ge, ScalarValue::Long(0))],
        vec![pred(3, ScanOp::Lt, ScalarValue::Long(0))],
        vec![
            pred(1, ScanOp::Eq, s(ACTIONS[0])),
            pred(3, ScanOp::Lt, ScalarValue::Long(30_000)),
            pred(0, ScanOp::Ge, dt(500)),
        ],
        vec![pred(2, ScanOp::Eq, s(""))],
        vec![pred(4, ScanOp::Eq, s(""))],
    ];
    let projections: Vec<Vec<usize>> = vec![
        vec![0, 1, 2, 3, 4],
        vec![4, 2, 1, 3, 0, 1],
        vec![1, 2],
        vec![2],
        vec![3, 0],
        vec![1],
    ];
    for dictionary in [true, false] {
        for page_rows in [64, 20_000] {
            let what = format!("dictionary {dictionary}, {page_rows} rows a page");
            let path = dir.join(format!(
                "DeviceNetworkEvents-{dictionary}-{page_rows}.parquet"
            ));
            write(&path, &b, dictionary, page_rows);
            let h = kql_io::open_path(&path).expect("open").remove(0);
            assert_eq!(
                kql_io::kql_types(&h.schema),
                vec![
                    KqlType::DateTime,
                    KqlType::String,
                    KqlType::String,
                    KqlType::Long,
                    KqlType::String
                ]
            );
            let all = h.load(None).expect("load");
            assert_eq!(rows_of(&all), want_all, "{what}");
            for preds in &cases {
                let matching: Vec<Row> = want_all
                    .iter()
                    .filter(|r| preds.iter().all(|p| satisfies(r, p)))
                    .cloned()
                    .collect();
                for cols in &projections {
                    let got = rows_of(&h.load_filtered(Some(cols), preds).expect("load"));
                    let whole = project(&want_all, cols);
                    // Rows of the table, in order, and at least the matching ones.
                    assert!(
                        is_subsequence(&got, &whole),
                        "{what} {preds:?} {cols:?}: not rows of the table"
                    );
                    assert!(got.len() >= matching.len(), "{what} {preds:?} {cols:?}");
                    // Where the predicates' columns are read, exactly the
                    // matching rows satisfy them.
                    let at: Option<Vec<usize>> = preds
                        .iter()
                        .map(|p| cols.iter().position(|&c| c == p.column))
                        .collect();
                    if let Some(at) = at {
                        let local: Vec<ScanPredicate> = preds
                            .iter()
                            .zip(&at)
                            .map(|(p, &k)| ScanPredicate {
                                column: k,
                                ..p.clone()
                            })
                            .collect();
                        let kept: Vec<Row> = got
                            .iter()
                            .filter(|r| local.iter().all(|p| satisfies(r, p)))
                            .cloned()
                            .collect();
                        assert_eq!(kept, project(&matching, cols), "{what} {preds:?} {cols:?}");
                    }
                }
            }
        }
    }
}
