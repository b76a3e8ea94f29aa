//! Criterion benchmarks of expressions over string columns held plain and
//! dictionary-encoded: one million rows of a column of 500 distinct values
//! and one of 200 (a few of them per value of the first), in batches of
//! 64K rows (a pipeline's morsels) sharing one dictionary per column.
//!
//! ```text
//! cargo bench -p kql-eval --bench dictionary
//! ```

use arrow::array::{ArrayRef, DictionaryArray, Int32Array, StringArray};
use arrow::datatypes::{Int32Type, Schema};
use arrow::record_batch::RecordBatch;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kql_common::KqlType;
use kql_eval::{Database, EvalContext, Table};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const ROWS: usize = 1 << 20;
const BATCH_ROWS: usize = 64 * 1024;
const DISTINCT: usize = 500;
const DISTINCT_Y: usize = 200;

/// The column's distinct values: file paths of 30 to 60 bytes, some
/// upper case, some non-ASCII.
fn values() -> Vec<String> {
    (0..DISTINCT)
        .map(|i| match i % 5 {
            0 => format!(r"C:\Windows\System32\svchost{i}.exe"),
            1 => format!(r"C:\PROGRAM FILES\VENDOR{i}\UPDATER.EXE"),
            2 => format!(r"C:\Users\jürgen\AppData\Local\Temp\setup-{i}.tmp"),
            3 => format!("powershell{i}.exe"),
            _ => format!(r"D:\Tools\straße\tool{i}.exe"),
        })
        .collect()
}

/// The rows as batches, plain and encoded (the same rows).
fn batches() -> (Vec<RecordBatch>, Vec<RecordBatch>) {
    let values = values();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let keys: Vec<i32> = (0..ROWS)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % DISTINCT as u64) as i32
        })
        .collect();
    let users: Vec<String> = (0..DISTINCT_Y).map(|i| format!("User{i}")).collect();
    let user_keys: Vec<i32> = keys
        .iter()
        .map(|&k| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((k as u64 * 7 + x % 4) % DISTINCT_Y as u64) as i32
        })
        .collect();
    let (x_plain, x_encoded) = column(&values, keys);
    let (y_plain, y_encoded) = column(&users, user_keys);
    let cut = |columns: [&ArrayRef; 2]| -> Vec<RecordBatch> {
        let schema = Arc::new(Schema::new(
            ["X", "Y"]
                .iter()
                .zip(columns)
                .map(|(name, c)| {
                    KqlType::String
                        .field(*name)
                        .with_data_type(c.data_type().clone())
                })
                .collect::<Vec<_>>(),
        ));
        (0..ROWS)
            .step_by(BATCH_ROWS)
            .map(|at| {
                let len = BATCH_ROWS.min(ROWS - at);
                let cols = columns.iter().map(|c| c.slice(at, len)).collect();
                RecordBatch::try_new(schema.clone(), cols).expect("batch")
            })
            .collect()
    };
    (cut([&x_plain, &y_plain]), cut([&x_encoded, &y_encoded]))
}

/// A column of `values[keys[i]]`, plain and encoded.
fn column(values: &[String], keys: Vec<i32>) -> (ArrayRef, ArrayRef) {
    let plain: ArrayRef = Arc::new(StringArray::from(
        keys.iter()
            .map(|&k| values[k as usize].as_str())
            .collect::<Vec<_>>(),
    ));
    let dict_values = Arc::new(StringArray::from(
        values.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let encoded: ArrayRef = Arc::new(
        DictionaryArray::<Int32Type>::try_new(Int32Array::from(keys), dict_values)
            .expect("dictionary"),
    );
    (plain, encoded)
}

fn expression(x: &str) -> kql_planner::PlanExpr {
    let mut db = Database::new();
    db.insert(
        "T",
        Table {
            schema: Arc::new(Schema::new(vec![
                KqlType::String.field("X"),
                KqlType::String.field("Y"),
            ])),
            batches: vec![],
        },
    );
    let ast = kql_parser::parse(&format!("T | project r = {x}")).expect("parses");
    let planned = kql_planner::plan_query(&ast, &db).expect("plans");
    match planned.results.into_iter().next().expect("result") {
        kql_planner::LogicalPlan::Project(p) => p.exprs.into_iter().next().expect("column").1,
        _ => panic!("not a projection"),
    }
}

fn expressions(c: &mut Criterion) {
    let (plain, encoded) = batches();
    let ctx = EvalContext::at(0);
    let mut g = c.benchmark_group("dictionary");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(ROWS as u64));
    for x in [
        r#"X in~ ("powershell3.exe", "C:\\WINDOWS\\SYSTEM32\\SVCHOST0.EXE", "d:\\tools\\STRASSE\\tool4.exe")"#,
        "tolower(X)",
        r#"strcat(tolower(Y), "@", tolower(X))"#,
    ] {
        let e = expression(x);
        for (name, input) in [("plain", &plain), ("encoded", &encoded)] {
            g.bench_function(BenchmarkId::new(name, x), |b| {
                b.iter(|| {
                    let mut rows = 0;
                    for batch in input {
                        let v = kql_eval::expr::eval(&e, black_box(batch), &ctx).expect("eval");
                        rows += v.into_array(batch.num_rows()).len();
                    }
                    black_box(rows)
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, expressions);
criterion_main!(benches);
