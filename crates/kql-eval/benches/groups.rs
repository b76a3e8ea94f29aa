//! Criterion benchmarks of grouping by a string key held plain and
//! dictionary-encoded: 1 M rows in batches of 64K rows, a key of 500
//! distinct values (one dictionary per four batches, as a Parquet row
//! group hands out), through the aggregation on one thread.
//!
//! ```text
//! cargo bench -p kql-eval --bench groups
//! ```

use arrow::array::{ArrayRef, DictionaryArray, Int32Array, Int64Array, StringArray};
use arrow::datatypes::{Field, Int32Type, Schema};
use arrow::record_batch::RecordBatch;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kql_common::KqlType;
use kql_eval::{Database, EvalContext, Table};
use kql_planner::LogicalPlan;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const ROWS: usize = 1 << 20;
const BATCH_ROWS: usize = 64 * 1024;
/// Batches sharing one dictionary.
const BATCHES_PER_DICTIONARY: usize = 4;
const KEYS: usize = 500;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        KqlType::String.field("DeviceName"),
        KqlType::Long.field("Size"),
    ]))
}

/// The table twice: the key column plain, and encoded.
fn tables() -> (Table, Table) {
    let names: Vec<String> = (0..KEYS)
        .map(|i| match i % 7 {
            0 => format!("wks-{i:04}.corp.contoso.com"),
            1 => format!("srv-ßüd-{i}"),
            _ => format!("laptop-{i:05}.contoso.local"),
        })
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut plain = Vec::new();
    let mut encoded = Vec::new();
    let mut values: ArrayRef = Arc::new(StringArray::from(Vec::<&str>::new()));
    for (b, at) in (0..ROWS).step_by(BATCH_ROWS).enumerate() {
        let n = BATCH_ROWS.min(ROWS - at);
        if b % BATCHES_PER_DICTIONARY == 0 {
            // A dictionary of the values in another order.
            let shift = rng.below(KEYS);
            let order: Vec<&str> = (0..KEYS)
                .map(|i| names[(i + shift) % KEYS].as_str())
                .collect();
            values = Arc::new(StringArray::from(order));
        }
        let keys: Vec<i32> = (0..n).map(|_| rng.below(KEYS) as i32).collect();
        let size: ArrayRef = Arc::new(Int64Array::from_iter_values(
            (0..n).map(|_| rng.below(10_000) as i64),
        ));
        let dict: ArrayRef = Arc::new(
            DictionaryArray::<Int32Type>::try_new(Int32Array::from(keys), values.clone())
                .expect("dictionary"),
        );
        let text = kql_eval::dict::plain(&dict).expect("plain");
        plain.push(RecordBatch::try_new(schema(), vec![text, size.clone()]).expect("batch"));
        let fields: Vec<Field> = vec![
            schema()
                .field(0)
                .clone()
                .with_data_type(dict.data_type().clone()),
            schema().field(1).clone(),
        ];
        encoded.push(
            RecordBatch::try_new(Arc::new(Schema::new(fields)), vec![dict, size]).expect("batch"),
        );
    }
    let table = |batches| Table {
        schema: schema(),
        batches,
    };
    (table(plain), table(encoded))
}

/// The aggregation of a query over `T` (no optimization: it reads the
/// table's batches as they are).
fn aggregation(query: &str) -> kql_planner::plan::Aggregate {
    let mut db = Database::new();
    db.insert(
        "T",
        Table {
            schema: schema(),
            batches: vec![],
        },
    );
    let ast = kql_parser::parse(query).expect("parses");
    let plan = kql_planner::plan_query(&ast, &db).expect("plans");
    match plan.results.into_iter().next() {
        Some(LogicalPlan::Aggregate(a)) => a,
        other => panic!("not an aggregation: {other:?}"),
    }
}

fn grouping(c: &mut Criterion) {
    let (plain, encoded) = tables();
    let ctx = EvalContext::at(0).with_threads(1);
    let mut g = c.benchmark_group("group_by_string");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(ROWS as u64));
    for (name, query) in [
        ("count", "T | summarize count() by DeviceName"),
        ("dcount", "T | summarize dcount(DeviceName)"),
        (
            "min_max_take_any",
            "T | summarize min(DeviceName), max(DeviceName), take_any(DeviceName)",
        ),
        (
            "count_two_keys",
            "T | summarize count() by DeviceName, Size % 4",
        ),
        (
            "count_string_and_real",
            "T | summarize count() by DeviceName, todouble(Size % 4)",
        ),
        ("distinct", "T | distinct DeviceName"),
    ] {
        let agg = aggregation(query);
        for (form, table) in [("plain", &plain), ("encoded", &encoded)] {
            g.bench_with_input(BenchmarkId::new(name, form), table, |b, t| {
                b.iter(|| black_box(kql_eval::aggregate::aggregate(&agg, t, &ctx).expect("runs")))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, grouping);
criterion_main!(benches);
