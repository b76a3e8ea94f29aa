//! `summarize`, `count` and `distinct` over batches whose string columns are
//! dictionary-encoded give exactly the rows (values and order) of the same
//! queries over the plain batches, on one thread or several: dictionaries
//! shared by consecutive batches, a different dictionary in the next batch,
//! the same values in another array, dictionary values no row uses,
//! repeated values, "" and non-ASCII values, plain and encoded batches
//! mixed, batches larger than a morsel.

use arrow::array::{
    Array, ArrayRef, DictionaryArray, Float64Array, Int32Array, Int64Array, StringArray,
};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use kql_common::KqlType;
use kql_eval::{Database, EvalContext, Table, TableSource};
use std::sync::Arc;
use support::{Batches, Rng};

mod support;

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        KqlType::String.field("Name"),
        KqlType::String.field("Cmd"),
        KqlType::Long.field("Size"),
        KqlType::Real.field("Score"),
    ]))
}

/// How a batch holds a string column.
#[derive(Clone)]
enum Enc {
    Plain,
    /// Encoded with these values (which hold every value the rows use).
    Dict(ArrayRef),
}

fn values(v: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

/// `rows` as a column held as `enc` says.
fn column(rows: &[&str], enc: &Enc) -> ArrayRef {
    match enc {
        Enc::Plain => Arc::new(StringArray::from(rows.to_vec())),
        Enc::Dict(values) => {
            let v = values
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("string values");
            let keys: Int32Array = rows
                .iter()
                .map(|r| {
                    let k = (0..v.len())
                        .position(|i| v.value(i) == *r)
                        .expect("value in the dictionary");
                    Some(k as i32)
                })
                .collect();
            Arc::new(DictionaryArray::<Int32Type>::try_new(keys, values.clone()).expect("dict"))
        }
    }
}

const NAMES: &[&str] = &["alpha", "Beta", "", "délta", "日本", "zeta", "Ä"];
const CMDS: &[&str] = &[
    "cmd.exe /c run",
    "mimikatz.exe",
    "",
    "straße 1",
    "powershell",
    "ß",
];

/// The test batches, string columns encoded as each batch says, and the
/// same batches with every column plain.
fn batches() -> (Vec<RecordBatch>, Vec<RecordBatch>) {
    // Dictionaries hold values no row uses ("unused...") and, in `d2`, a
    // repeated value; "late" is in `d1` but used by the rows of one late
    // batch only, "ω" only in a later dictionary.
    let d1 = values(&[
        "zeta", "", "unused-1", "Ä", "日本", "late", "alpha", "Beta", "délta",
    ]);
    let d1_copy = values(&[
        "zeta", "", "unused-1", "Ä", "日本", "late", "alpha", "Beta", "délta",
    ]);
    let d2 = values(&[
        "alpha", "ω", "zeta", "unused-2", "", "délta", "alpha", "Beta", "日本", "Ä",
    ]);
    let c1 = values(&[
        "powershell",
        "ß",
        "",
        "mimikatz.exe",
        "never",
        "cmd.exe /c run",
        "straße 1",
    ]);
    let c2 = values(&[
        "straße 1",
        "mimikatz.exe",
        "cmd.exe /c run",
        "",
        "powershell",
        "ß",
        "nie",
    ]);
    let dict = |d: &ArrayRef| Enc::Dict(d.clone());
    // (rows, Name, Cmd, Name values used).
    let layout: Vec<(usize, Enc, Enc, Vec<&str>)> = vec![
        (3_000, dict(&d1), dict(&c1), NAMES.to_vec()),
        (70_000, dict(&d1), dict(&c1), NAMES.to_vec()),
        (0, dict(&d1), Enc::Plain, NAMES.to_vec()),
        (20_000, dict(&d1), Enc::Plain, NAMES.to_vec()),
        (1, dict(&d2), dict(&c1), vec!["ω"]),
        (15_000, dict(&d2), dict(&c2), [NAMES, &["ω"]].concat()),
        (9_000, Enc::Plain, Enc::Plain, NAMES.to_vec()),
        (
            30_000,
            dict(&d1_copy),
            dict(&c2),
            [NAMES, &["late"]].concat(),
        ),
        (500, dict(&d1), dict(&c1), vec!["", "Ä"]),
        (40_000, Enc::Plain, dict(&c1), NAMES.to_vec()),
        (7, dict(&d2), dict(&c2), vec!["alpha"]),
    ];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut encoded = Vec::new();
    let mut plain = Vec::new();
    for (rows, name_enc, cmd_enc, pool) in layout {
        let names: Vec<&str> = (0..rows).map(|_| pool[rng.below(pool.len())]).collect();
        let cmds: Vec<&str> = (0..rows).map(|_| CMDS[rng.below(CMDS.len())]).collect();
        let size: Int64Array = (0..rows)
            .map(|_| match rng.below(13) {
                0 => None,
                _ => Some(rng.below(5_000) as i64 - 100),
            })
            .collect();
        let score: Float64Array = (0..rows)
            .map(|_| (rng.below(9) != 0).then(|| rng.below(10_000) as f64 / 4.0))
            .collect();
        let size: ArrayRef = Arc::new(size);
        let score: ArrayRef = Arc::new(score);
        let cols = vec![
            column(&names, &name_enc),
            column(&cmds, &cmd_enc),
            size.clone(),
            score.clone(),
        ];
        encoded.push(batch(cols));
        let cols = vec![
            column(&names, &Enc::Plain),
            column(&cmds, &Enc::Plain),
            size,
            score,
        ];
        plain.push(batch(cols));
    }
    (encoded, plain)
}

/// A batch of `columns` under the table's fields, each typed as its
/// column is (an encoded column keeps its name and `kql.type`).
fn batch(columns: Vec<ArrayRef>) -> RecordBatch {
    let fields: Vec<Field> = schema()
        .fields()
        .iter()
        .zip(&columns)
        .map(|(f, c)| f.as_ref().clone().with_data_type(c.data_type().clone()))
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("batch")
}

fn plan(query: &str, optimized: bool) -> kql_planner::LogicalPlan {
    let mut db = Database::new();
    db.insert(
        "T",
        Table {
            schema: schema(),
            batches: vec![],
        },
    );
    let ast = kql_parser::parse(query).expect("parses");
    let planned = kql_planner::plan_query(&ast, &db).expect("plans");
    let plan = planned.results.into_iter().next().expect("one result");
    if optimized {
        kql_planner::optimize::optimize(plan)
    } else {
        // The aggregation reads the scan's batches as they are (an
        // optimized plan picks the columns it reads at the scan).
        plan
    }
}

fn run(source: &dyn TableSource, query: &str, threads: usize) -> RecordBatch {
    run_plan(source, query, threads, true)
}

fn run_plan(source: &dyn TableSource, query: &str, threads: usize, optimized: bool) -> RecordBatch {
    let ctx = EvalContext::at(0).with_threads(threads);
    let t = kql_eval::execute(&plan(query, optimized), source, &ctx).expect("runs");
    concat_batches(&t.schema, &t.batches).expect("concat")
}

const QUERIES: &[&str] = &[
    "T | summarize count(), dcount(Name), min(Name), max(Name), take_any(Name), sum(Size) by Name",
    "T | summarize count(), dcount(Cmd), min(Cmd), max(Cmd), take_any(Cmd), sum(Size) by Name",
    "T | summarize c = count(), d = dcount(Name), lo = min(Cmd), hi = max(Name), a = take_any(Cmd), s = sum(Size) by Name, Cmd, Size",
    "T | summarize count(), dcount(Cmd), max(Name) by Cmd, Name",
    "T | summarize count(), max(Score), min(Name) by Name, bin(Score, 100.0)",
    "T | summarize count() by Cmd",
    "T | summarize count(), dcount(Name), count_distinct(Cmd), min(Name), max(Cmd), take_any(Name)",
    "T | summarize dcountif(Name, Size > 100), maxif(Cmd, Size > 2000), minif(Name, Size < 50), take_anyif(Name, Size > 4000), countif(Size > 10) by Cmd",
    "T | summarize make_set(Name), make_list(Cmd, 50), arg_max(Size, Name), arg_min(Name, Cmd) by Cmd",
    "T | summarize h = hll(Name), t = tdigest(Size), p = percentile(Size, 50) by Name | extend d = dcount_hll(h) | project-away h, t",
    "T | summarize arg_min(Name, Cmd), count() by Size",
    "T | distinct Name",
    "T | distinct Name, Cmd",
    "T | distinct Cmd, Size, Name",
    "T | distinct Name, Score",
    "T | count",
    // Keys and arguments computed from encoded columns, rows filtered on
    // them first.
    "T | summarize count(), dcount(toupper(Name)), max(tolower(Cmd)) by tolower(Name)",
    "T | extend L = strcat(Name, \"/\") | summarize count(), min(L), take_any(L) by L, Size % 3",
    r#"T | where Name != "" and Cmd != "ß" | summarize count(), max(Cmd), dcount(Name) by Name"#,
    r#"T | where Cmd has "exe" | distinct Name, Cmd"#,
    "T | project N = Name, C = Cmd | summarize count(), dcount(C) by N",
];

#[test]
fn encoded_batches_group_as_plain_ones() {
    let (encoded, plain) = batches();
    assert!(encoded.iter().any(kql_eval::dict::has_dictionary));
    let encoded = Batches::new(schema(), encoded);
    let plain = Batches::new(schema(), plain);
    for q in QUERIES {
        let want = run(&plain, q, 1);
        assert!(want.num_rows() > 0, "{q}");
        assert!(
            want.schema()
                .fields()
                .iter()
                .all(|f| !matches!(f.data_type(), DataType::Dictionary(..))),
            "{q}"
        );
        for threads in [1, 2] {
            assert_eq!(
                run(&plain, q, threads),
                want,
                "{q}: plain on {threads} threads"
            );
            assert_eq!(
                run(&encoded, q, threads),
                want,
                "{q}: encoded on {threads} threads"
            );
            assert_eq!(
                run_plan(&encoded, q, threads, false),
                want,
                "{q}: encoded on {threads} threads, not optimized"
            );
        }
    }
}
