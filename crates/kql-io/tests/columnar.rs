//! Parquet and Arrow IPC files read as exactly what the same data read
//! from CSV gives (nulls, empty strings, non-ASCII text, several row groups
//! and batches), projections work, and row-group pruning by statistics
//! never drops a row that satisfies the predicates.

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, DictionaryArray, Float32Array, Int32Array,
    Int64Array, LargeStringArray, RecordBatch, StringArray, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampNanosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use arrow_select::concat::concat_batches;
use kql_common::{KqlType, ScalarValue, ScanOp, ScanPredicate};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kql-io-columnar-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

const ROWS: usize = 1_000;
/// 2026-01-01T00:00:00Z in 100 ns ticks.
const START: i64 = 17_671_968_000_000_000;

fn name(i: usize) -> Option<String> {
    match i % 6 {
        0 => None,
        1 => Some(String::new()),
        2 => Some(format!("Zürich-{}", i % 10)),
        3 => Some(format!("日本 {i}")),
        4 => Some("a, \"quoted\" name".to_string()),
        _ => Some(format!("host-{}", i % 13)),
    }
}

/// The same DeviceFileEvents rows as Arrow columns (Parquet's types) and as
/// CSV text. Timestamps ascend, so row groups cover disjoint time ranges.
fn rows() -> (RecordBatch, String) {
    let ts: Vec<Option<i64>> = (0..ROWS)
        .map(|i| (i % 97 != 5).then_some((START + i as i64 * 600_000_000 + 7) * 100))
        .collect();
    let names: Vec<Option<String>> = (0..ROWS).map(name).collect();
    let sizes: Vec<Option<i64>> = (0..ROWS)
        .map(|i| (i % 7 != 0).then_some(i as i64 * 13 - 400))
        .collect();
    let extra: Vec<Option<String>> = (0..ROWS)
        .map(|i| (i % 5 != 0).then(|| format!("{{\"n\":{i}}}")))
        .collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new(
            "Timestamp",
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            true,
        ),
        Field::new("DeviceName", DataType::Utf8, true),
        Field::new("FileSize", DataType::Int64, true),
        Field::new("AdditionalFields", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(TimestampNanosecondArray::from(ts.clone()).with_timezone("UTC")),
            Arc::new(StringArray::from(names.clone())),
            Arc::new(Int64Array::from(sizes.clone())),
            Arc::new(StringArray::from(extra.clone())),
        ],
    )
    .expect("batch");
    let mut csv = String::from("Timestamp,DeviceName,FileSize,AdditionalFields\n");
    for i in 0..ROWS {
        let t = ts[i].map_or(String::new(), |ns| {
            kql_common::time::format_datetime(ns / 100)
        });
        let q = |s: &Option<String>| match s {
            None => String::new(),
            Some(s) => format!("\"{}\"", s.replace('"', "\"\"")),
        };
        let size = sizes[i].map_or(String::new(), |v| v.to_string());
        let _ = writeln!(csv, "{t},{},{size},{}", q(&names[i]), q(&extra[i]));
    }
    (batch, csv)
}

fn write_parquet(path: &Path, batch: &RecordBatch, group_rows: usize) {
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(group_rows))
        .set_write_batch_size(17)
        .build();
    let file = std::fs::File::create(path).expect("create");
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).expect("writer");
    // Several writes, so batches do not line up with row groups.
    for start in (0..batch.num_rows()).step_by(333) {
        let len = 333.min(batch.num_rows() - start);
        w.write(&batch.slice(start, len)).expect("write");
    }
    w.close().expect("close");
}

fn write_ipc(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).expect("create");
    let mut w = arrow_ipc::writer::FileWriter::try_new(file, &batch.schema()).expect("writer");
    for start in (0..batch.num_rows()).step_by(400) {
        let len = 400.min(batch.num_rows() - start);
        w.write(&batch.slice(start, len)).expect("write");
    }
    w.finish().expect("finish");
}

fn whole(t: &kql_io::LoadedTable) -> RecordBatch {
    concat_batches(&t.schema, &t.batches).expect("concat")
}

fn from_csv(dir: &Path, csv: &str) -> kql_io::LoadedTable {
    let p = dir.join("DeviceFileEvents.csv");
    std::fs::write(&p, csv).expect("write csv");
    kql_io::load_path(&p).expect("csv").remove(0)
}

#[test]
fn parquet_and_ipc_read_what_csv_reads() {
    let dir = temp_dir("same");
    let (batch, csv) = rows();
    let expected = from_csv(&dir, &csv);
    let pq_dir = dir.join("pq");
    std::fs::create_dir_all(&pq_dir).expect("dir");
    write_parquet(&pq_dir.join("DeviceFileEvents.parquet"), &batch, 128);
    let ipc = dir.join("DeviceFileEvents.arrow");
    write_ipc(&ipc, &batch);

    for path in [pq_dir.clone(), ipc] {
        let handles = kql_io::open_path(&path).expect("open");
        assert_eq!(handles.len(), 1);
        let h = &handles[0];
        assert_eq!(h.name, "DeviceFileEvents");
        assert!(h.is_lazy());
        assert_eq!(h.schema, expected.schema, "{}", path.display());
        let t = h.load(None).expect("load");
        assert_eq!(whole(&t), whole(&expected), "{}", path.display());
        assert!(t.batches.iter().all(|b| b.num_rows() <= 65_536));

        let proj = h.load(Some(&[3, 1, 1])).expect("projection");
        let e = whole(&expected);
        let p = whole(&proj);
        assert_eq!(p.num_columns(), 3);
        assert_eq!(p.column(0), e.column(3));
        assert_eq!(p.column(1), e.column(1));
        assert_eq!(p.column(2), e.column(1));
        assert_eq!(proj.schema.field(0).name(), "AdditionalFields");
    }
    // load_path reads Parquet too.
    let eager = kql_io::load_path(&pq_dir).expect("load").remove(0);
    assert_eq!(whole(&eager), whole(&expected));
}

/// The rows of `t` (all columns) that satisfy every predicate.
fn matching(t: &RecordBatch, preds: &[ScanPredicate]) -> Vec<usize> {
    (0..t.num_rows())
        .filter(|&i| {
            preds.iter().all(|p| {
                let col = t.column(p.column);
                let v = match p.value {
                    ScalarValue::DateTime(_) | ScalarValue::Long(_) if col.is_null(i) => {
                        return false
                    }
                    ScalarValue::DateTime(_) => {
                        ScalarValue::DateTime(col.as_primitive::<Int64Type>().value(i))
                    }
                    ScalarValue::Long(_) => {
                        ScalarValue::Long(col.as_primitive::<Int64Type>().value(i))
                    }
                    _ => ScalarValue::String(col.as_string::<i32>().value(i).to_string()),
                };
                p.matches(&v) == Some(true)
            })
        })
        .collect()
}

#[test]
fn row_group_pruning_keeps_every_matching_row() {
    let dir = temp_dir("prune");
    let (batch, csv) = rows();
    let full = whole(&from_csv(&dir, &csv));
    let path = dir.join("DeviceFileEvents.parquet");
    write_parquet(&path, &batch, 50);
    let h = kql_io::open_path(&path).expect("open").remove(0);
    let at = |minutes: i64| ScalarValue::DateTime(START + minutes * 600_000_000);
    let pred = |column, op, value| ScanPredicate { column, op, value };
    let s = |x: &str| ScalarValue::String(x.to_string());
    let cases: Vec<Vec<ScanPredicate>> = vec![
        vec![pred(0, ScanOp::Ge, at(100)), pred(0, ScanOp::Le, at(160))],
        vec![pred(0, ScanOp::Gt, at(999))],
        vec![pred(0, ScanOp::Lt, at(0))],
        vec![pred(0, ScanOp::Lt, ScalarValue::DateTime(START + 8))],
        vec![pred(0, ScanOp::Ge, at(5000))],
        vec![pred(1, ScanOp::Eq, s(""))],
        vec![pred(1, ScanOp::Eq, s("Zürich-2"))],
        vec![pred(1, ScanOp::Eq, s("nothing"))],
        vec![pred(1, ScanOp::Eq, s("日本 3"))],
        vec![pred(2, ScanOp::Eq, ScalarValue::Long(13 * 500 - 400))],
        vec![pred(2, ScanOp::Lt, ScalarValue::Long(-100))],
        vec![pred(0, ScanOp::Ge, at(300)), pred(1, ScanOp::Eq, s(""))],
    ];
    let mut pruned_some = false;
    for preds in cases {
        let got = whole(&h.load_filtered(None, &preds).expect("load"));
        let want = matching(&full, &preds);
        let have = matching(&got, &preds);
        assert_eq!(have.len(), want.len(), "{preds:?}");
        // The kept rows are the same rows, in order.
        for (a, b) in want.iter().zip(&have) {
            let row = |t: &RecordBatch, i: usize| {
                (0..t.num_columns())
                    .map(|c| t.column(c).slice(i, 1))
                    .collect::<Vec<ArrayRef>>()
            };
            assert_eq!(row(&full, *a), row(&got, *b));
        }
        pruned_some |= got.num_rows() < full.num_rows();
        // A projection with predicates on other columns works too.
        let proj = h.load_filtered(Some(&[2]), &preds).expect("projection");
        assert!(proj.num_rows() >= want.len(), "{preds:?}");
    }
    assert!(pruned_some, "statistics skip row groups");
    // Reading only the predicates' column, whole row groups are kept.
    let window = [pred(0, ScanOp::Ge, at(100)), pred(0, ScanOp::Le, at(149))];
    let only_time = h.load_filtered(Some(&[0]), &window).expect("load");
    assert_eq!(only_time.num_rows(), 50);
    // Reading other columns too, the rows that satisfy them (and, where
    // most rows of a group do, possibly the group's others).
    let both = whole(&h.load_filtered(None, &window).expect("load"));
    assert_eq!(matching(&both, &window).len(), 48);
    assert!(both.num_rows() <= 50);
}

#[test]
fn arrow_types_map_to_kql_types() {
    let dir = temp_dir("types");
    let n = 4;
    let dict: DictionaryArray<arrow_array::types::Int32Type> =
        vec![Some("x"), None, Some("y"), Some("x")]
            .into_iter()
            .collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new(
            "ms",
            DataType::Timestamp(TimeUnit::Millisecond, Some("+02:00".into())),
            true,
        ),
        Field::new("us", DataType::Timestamp(TimeUnit::Microsecond, None), true),
        Field::new("i32", DataType::Int32, true),
        Field::new("f32", DataType::Float32, true),
        Field::new("b", DataType::Boolean, true),
        Field::new("bin", DataType::Binary, true),
        Field::new("large", DataType::LargeUtf8, true),
        Field::new("dict", dict.data_type().clone(), true),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(
                TimestampMillisecondArray::from(vec![Some(1_000), None, Some(-1), Some(0)])
                    .with_timezone("+02:00"),
            ),
            Arc::new(TimestampMicrosecondArray::from(vec![
                Some(1),
                Some(2),
                None,
                Some(-3),
            ])),
            Arc::new(Int32Array::from(vec![
                Some(1),
                None,
                Some(-7),
                Some(i32::MAX),
            ])),
            Arc::new(Float32Array::from(vec![
                Some(0.5),
                None,
                Some(-2.0),
                Some(1e10),
            ])),
            Arc::new(BooleanArray::from(vec![
                Some(true),
                Some(false),
                None,
                Some(true),
            ])),
            Arc::new(BinaryArray::from(vec![
                Some(&b"ab"[..]),
                None,
                Some(&[0xff, b'c'][..]),
                Some(&b""[..]),
            ])),
            Arc::new(LargeStringArray::from(vec![
                Some("ä"),
                None,
                Some(""),
                Some("z"),
            ])),
            Arc::new(dict),
        ],
    )
    .expect("batch");
    let pq = dir.join("t.parquet");
    write_parquet(&pq, &batch, 2);
    let ipc = dir.join("t.feather");
    write_ipc(&ipc, &batch);
    for path in [pq, ipc] {
        let h = kql_io::open_path(&path).expect("open").remove(0);
        let types = kql_io::kql_types(&h.schema);
        assert_eq!(
            types,
            vec![
                KqlType::DateTime,
                KqlType::DateTime,
                KqlType::Int,
                KqlType::Real,
                KqlType::Bool,
                KqlType::String,
                KqlType::String,
                KqlType::String
            ],
            "{}",
            path.display()
        );
        let t = whole(&h.load(None).expect("load"));
        assert_eq!(t.num_rows(), n);
        let ticks = t.column(0).as_primitive::<Int64Type>();
        assert_eq!(
            ticks.iter().collect::<Vec<_>>(),
            vec![Some(10_000_000), None, Some(-10_000), Some(0)]
        );
        let us = t.column(1).as_primitive::<Int64Type>();
        assert_eq!(
            us.iter().collect::<Vec<_>>(),
            vec![Some(10), Some(20), None, Some(-30)]
        );
        let strings = |c: usize| {
            t.column(c)
                .as_string::<i32>()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect::<Vec<_>>()
        };
        let some = |v: &[&str]| v.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>();
        assert_eq!(strings(5), some(&["ab", "", "\u{fffd}c", ""]));
        assert_eq!(strings(6), some(&["ä", "", "", "z"]));
        assert_eq!(strings(7), some(&["x", "", "y", "x"]));
        assert_eq!(t.column(3).data_type(), &DataType::Float64);
        assert!(t.column(3).is_null(1));
    }
}

#[test]
fn damaged_files_are_errors_not_crashes() {
    let dir = temp_dir("bad");
    let (batch, _) = rows();
    let pq = dir.join("t.parquet");
    write_parquet(&pq, &batch, 100);
    let ipc = dir.join("t.arrow");
    write_ipc(&ipc, &batch);
    for path in [pq, ipc] {
        let bytes = std::fs::read(&path).expect("read");
        for cut in [0, 7, bytes.len() / 2, bytes.len() - 3] {
            let bad = dir.join(format!(
                "cut{cut}.{}",
                path.extension().and_then(|e| e.to_str()).unwrap_or("")
            ));
            std::fs::write(&bad, &bytes[..cut]).expect("write");
            if let Ok(mut h) = kql_io::open_path(&bad) {
                // A file cut after its footer was read still fails cleanly.
                let _ = h.remove(0).load(None);
            }
            // Flipped bytes in the middle.
            let mut flipped = bytes.clone();
            for b in flipped.iter_mut().skip(bytes.len() / 3).take(64) {
                *b ^= 0x5a;
            }
            std::fs::write(&bad, &flipped).expect("write");
            if let Ok(mut h) = kql_io::open_path(&bad) {
                let _ = h.remove(0).load(None);
            }
        }
    }
}

#[test]
fn predicates_checked_while_reading_keep_exactly_the_matching_rows() {
    let dir = temp_dir("rowfilter");
    let (batch, csv) = rows();
    let full = whole(&from_csv(&dir, &csv));
    let path = dir.join("DeviceFileEvents.parquet");
    write_parquet(&path, &batch, 64);
    let h = kql_io::open_path(&path).expect("open").remove(0);
    // Row i's time, exactly (the file holds it in nanoseconds).
    let tick = |i: i64| START + i * 600_000_000 + 7;
    let dt = ScalarValue::DateTime;
    let long = ScalarValue::Long;
    let pred = |column, op, value| ScanPredicate { column, op, value };
    let s = |x: &str| ScalarValue::String(x.to_string());
    let between = |column, lo, hi| vec![pred(column, ScanOp::Ge, lo), pred(column, ScanOp::Le, hi)];
    let cases: Vec<Vec<ScanPredicate>> = vec![
        vec![pred(1, ScanOp::Eq, s(""))],
        vec![pred(1, ScanOp::Eq, s("Zürich-2"))],
        vec![pred(1, ScanOp::Eq, s("日本 3"))],
        vec![pred(1, ScanOp::Eq, s("nothing"))],
        vec![pred(1, ScanOp::Lt, s("host"))],
        vec![pred(1, ScanOp::Gt, s("Zürich"))],
        vec![pred(1, ScanOp::Le, s(""))],
        vec![pred(0, ScanOp::Ge, dt(tick(100)))],
        vec![pred(0, ScanOp::Gt, dt(tick(100)))],
        vec![pred(0, ScanOp::Lt, dt(tick(100)))],
        vec![pred(0, ScanOp::Le, dt(tick(100) - 1))],
        vec![pred(0, ScanOp::Eq, dt(tick(300)))],
        vec![pred(0, ScanOp::Eq, dt(tick(300) + 1))],
        between(0, dt(tick(90)), dt(tick(410))),
        between(0, dt(tick(90) + 1), dt(tick(410) - 1)),
        vec![pred(2, ScanOp::Eq, long(13 * 500 - 400))],
        vec![pred(2, ScanOp::Lt, long(-100))],
        vec![pred(2, ScanOp::Ge, long(0))],
        between(2, long(13 * 200 - 400), long(13 * 700 - 400)),
        vec![
            pred(0, ScanOp::Ge, dt(tick(250))),
            pred(1, ScanOp::Eq, s("")),
            pred(2, ScanOp::Gt, long(0)),
        ],
        vec![pred(2, ScanOp::Gt, long(i64::MAX))],
    ];
    let row = |t: &RecordBatch, i: usize, cols: &[usize]| {
        cols.iter()
            .map(|&c| t.column(c).slice(i, 1))
            .collect::<Vec<ArrayRef>>()
    };
    for preds in cases {
        let want = matching(&full, &preds);
        // Other columns are decoded only for the rows that pass where few
        // do, so the result holds the matching rows, in order, and where
        // most rows of a row group pass, that group's others too.
        let all = whole(&h.load_filtered(None, &[]).expect("load"));
        for cols in [vec![0, 1, 2, 3], vec![3], vec![3, 1, 0, 3]] {
            let got = whole(&h.load_filtered(Some(&cols), &preds).expect("load"));
            let local: Vec<usize> = (0..cols.len()).collect();
            // Every row is a row of the table, in order.
            let mut next = 0;
            for k in 0..got.num_rows() {
                let r = row(&got, k, &local);
                while next < all.num_rows() && row(&all, next, &cols) != r {
                    next += 1;
                }
                assert!(next < all.num_rows(), "{preds:?} {cols:?} row {k}");
                next += 1;
            }
            assert!(got.num_rows() >= want.len(), "{preds:?} {cols:?}");
            if cols == [0, 1, 2, 3] {
                let have = matching(&got, &preds);
                assert_eq!(have.len(), want.len(), "{preds:?}");
                for (&k, &i) in have.iter().zip(&want) {
                    assert_eq!(
                        row(&full, i, &cols),
                        row(&got, k, &local),
                        "{preds:?} row {i}"
                    );
                }
            }
        }
        // Reading only the predicates' columns keeps every matching row.
        let own: Vec<usize> = preds.iter().map(|p| p.column).collect();
        let got = whole(&h.load_filtered(Some(&own), &preds).expect("load"));
        assert!(got.num_rows() >= want.len(), "{preds:?}");
    }
}

fn streamed(
    h: &kql_io::TableHandle,
    cols: Option<&[usize]>,
    preds: &[ScanPredicate],
) -> RecordBatch {
    let s = h
        .stream_filtered(cols, preds, kql_io::StreamOptions::default())
        .expect("stream");
    let batches: Vec<RecordBatch> = s.batches.map(|b| b.expect("batch")).collect();
    concat_batches(&s.schema, &batches).expect("concat")
}

#[test]
fn a_parquet_stream_reads_what_a_whole_read_reads() {
    let dir = temp_dir("stream");
    let (batch, _) = rows();
    let at = |minutes: i64| ScalarValue::DateTime(START + minutes * 600_000_000);
    let pred = |column, op, value| ScanPredicate { column, op, value };
    // One row group, several, and row groups smaller than a write.
    for group_rows in [1_000, 130, 7] {
        let path = dir.join(format!("DeviceFileEvents-{group_rows}.parquet"));
        write_parquet(&path, &batch, group_rows);
        let h = kql_io::open_path(&path).expect("open").remove(0);
        let cases: Vec<(Option<Vec<usize>>, Vec<ScanPredicate>)> = vec![
            (None, vec![]),
            (Some(vec![2, 0, 2]), vec![]),
            (
                None,
                vec![pred(0, ScanOp::Ge, at(100)), pred(0, ScanOp::Le, at(460))],
            ),
            (Some(vec![1]), vec![pred(0, ScanOp::Gt, at(5000))]),
            (
                Some(vec![3, 1]),
                vec![pred(1, ScanOp::Eq, ScalarValue::String(String::new()))],
            ),
        ];
        for (cols, preds) in cases {
            let want = whole(&h.load_filtered(cols.as_deref(), &preds).expect("load"));
            let got = streamed(&h, cols.as_deref(), &preds);
            assert_eq!(got, want, "{group_rows} rows per group, {cols:?} {preds:?}");
        }
    }
}

/// The batch with every dictionary-encoded column cast to its values'
/// type (and the field retyped to match).
fn spelled_out(b: &RecordBatch) -> RecordBatch {
    let columns: Vec<ArrayRef> = b
        .columns()
        .iter()
        .map(|c| match c.data_type() {
            DataType::Dictionary(_, v) => arrow_cast::cast(c, v).expect("cast"),
            _ => c.clone(),
        })
        .collect();
    let fields: Vec<Field> = b
        .schema()
        .fields()
        .iter()
        .zip(&columns)
        .map(|(f, c)| f.as_ref().clone().with_data_type(c.data_type().clone()))
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("batch")
}

#[test]
fn an_encoded_stream_means_what_a_plain_one_reads() {
    let dir = temp_dir("encoded");
    let (batch, _) = rows();
    let pred = |column, op, value| ScanPredicate { column, op, value };
    let s = |x: &str| ScalarValue::String(x.to_string());
    for group_rows in [1_000, 130, 7] {
        let path = dir.join(format!("DeviceFileEvents-{group_rows}.parquet"));
        write_parquet(&path, &batch, group_rows);
        let h = kql_io::open_path(&path).expect("open").remove(0);
        let cases: Vec<(Option<Vec<usize>>, Vec<ScanPredicate>)> = vec![
            (None, vec![]),
            (Some(vec![1, 2, 1]), vec![]),
            (Some(vec![3, 1]), vec![pred(1, ScanOp::Eq, s(""))]),
            (Some(vec![2, 1]), vec![pred(1, ScanOp::Eq, s("Zürich-2"))]),
            (Some(vec![0, 2]), vec![pred(1, ScanOp::Lt, s("host"))]),
            (Some(vec![1, 2]), vec![pred(1, ScanOp::Ge, s("日本"))]),
            (Some(vec![2]), vec![pred(1, ScanOp::Le, s(""))]),
        ];
        for (cols, preds) in cases {
            let plain = h
                .stream_filtered(cols.as_deref(), &preds, kql_io::StreamOptions::default())
                .expect("stream");
            let want: Vec<RecordBatch> = plain.batches.map(|b| b.expect("batch")).collect();
            let encoded = h
                .stream_filtered(
                    cols.as_deref(),
                    &preds,
                    kql_io::StreamOptions {
                        encoded: true,
                        ..Default::default()
                    },
                )
                .expect("stream");
            assert_eq!(encoded.schema, plain.schema);
            let got: Vec<RecordBatch> = encoded.batches.map(|b| b.expect("batch")).collect();
            assert_eq!(got.len(), want.len(), "{group_rows} {cols:?} {preds:?}");
            for (g, w) in got.iter().zip(&want) {
                // The string column comes encoded, without null keys or
                // values, and means what the plain read gives.
                for c in g.columns() {
                    if let Some(d) = c.as_dictionary_opt::<arrow_array::types::Int32Type>() {
                        assert_eq!(d.keys().null_count(), 0);
                        assert_eq!(d.values().null_count(), 0);
                    }
                }
                assert_eq!(&spelled_out(g), w, "{group_rows} {cols:?} {preds:?}");
            }
            if cols.as_ref().is_some_and(|c| c.contains(&1)) && !got.is_empty() {
                assert!(
                    got.iter().any(|b| b
                        .columns()
                        .iter()
                        .any(|c| matches!(c.data_type(), DataType::Dictionary(_, _)))),
                    "{group_rows} {cols:?}: DeviceName should come encoded"
                );
            }
        }
    }
}

#[test]
fn a_parquet_stream_decodes_only_what_is_pulled_and_a_bounded_lead() {
    let dir = temp_dir("lead");
    let (batch, _) = rows();
    let path = dir.join("DeviceFileEvents.parquet");
    // 100 row groups of 10 rows.
    write_parquet(&path, &batch, 10);
    let h = kql_io::open_path(&path).expect("open").remove(0);
    assert_eq!(h.decoded_row_groups(), Some(0));
    let mut s = h
        .stream_filtered(
            Some(&[1, 2]),
            &[],
            kql_io::StreamOptions {
                first_rows: true,
                ..Default::default()
            },
        )
        .expect("stream");
    let first = s.batches.next().expect("a batch").expect("decoded");
    assert_eq!(first.num_rows(), 10);
    drop(s);
    // Only the first row group: decoding follows demand.
    assert_eq!(h.decoded_row_groups(), Some(1));
    // Reading to the end decodes every row group, once.
    let before = h.decoded_row_groups().expect("parquet");
    let all = streamed(&h, None, &[]);
    assert_eq!(all.num_rows(), ROWS);
    assert_eq!(h.decoded_row_groups(), Some(before + 100));
}

#[test]
fn rows_by_position_are_the_rows_of_a_whole_read() {
    let dir = temp_dir("rows-at");
    let (batch, _) = rows();
    let n = batch.num_rows() as u64;
    for group_rows in [1_000, 130, 7] {
        let path = dir.join(format!("DeviceFileEvents-{group_rows}.parquet"));
        write_parquet(&path, &batch, group_rows);
        let h = kql_io::open_path(&path).expect("open").remove(0);
        assert!(h.reads_rows_at());
        for cols in [vec![0, 1, 2, 3], vec![3, 1, 3]] {
            let all = whole(&h.load_filtered(Some(&cols), &[]).expect("load"));
            for positions in [
                vec![],
                vec![0],
                vec![n - 1],
                vec![0, 1, 2, 6, 7, 8, 129, 130, 131, n - 1],
                (0..n).step_by(3).collect::<Vec<_>>(),
            ] {
                let got = whole(
                    &h.rows_at(&cols, &positions)
                        .expect("parquet")
                        .expect("read"),
                );
                let idx = arrow_array::UInt64Array::from(positions.clone());
                let want = arrow_select::take::take_record_batch(&all, &idx).expect("take");
                assert_eq!(
                    got, want,
                    "{group_rows} rows per group, {cols:?} {positions:?}"
                );
            }
            // Positions out of order or past the end are errors, not panics.
            assert!(h.rows_at(&cols, &[5, 2]).expect("parquet").is_err());
            assert!(h.rows_at(&cols, &[n]).expect("parquet").is_err());
        }
    }
    // Other sources do not read rows by position.
    let csv = dir.join("DeviceFileEvents.csv");
    std::fs::write(&csv, "DeviceName\nalpha\n").expect("write");
    let h = kql_io::open_path(&csv).expect("open").remove(0);
    assert!(!h.reads_rows_at());
    assert!(h.rows_at(&[0], &[0]).is_none());
}
