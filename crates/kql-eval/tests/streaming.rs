//! Queries over a table source that streams its batches give exactly the
//! rows of the same queries over the whole table held as one batch
//! (filters, projections, `summarize`, `count`, `top`, `take`, joins),
//! whatever the batch boundaries (empty batches, batches larger than a
//! morsel) and the number of threads; and `take` stops pulling batches
//! once it has its rows.

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use arrow::compute::concat_batches;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use kql_common::KqlType;
use kql_eval::{Database, EvalContext, Table, TableSource};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use support::Batches;

mod support;

const NAMES: &[&str] = &["alpha", "Beta", "", "délta", "EPSILON", "日本"];

fn schema() -> SchemaRef {
    Arc::new(arrow::datatypes::Schema::new(vec![
        KqlType::DateTime.field("Timestamp"),
        KqlType::String.field("Name"),
        KqlType::String.field("Cmd"),
        KqlType::Long.field("Size"),
        KqlType::Real.field("Score"),
        KqlType::Bool.field("Flag"),
    ]))
}

/// `rows` rows of test data as one batch.
fn rows(rows: usize) -> RecordBatch {
    let mut x = 0x1234_5678_9abc_def1u64;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let ts: Int64Array = (0..rows).map(|i| Some(i as i64 * 3_000_000_000)).collect();
    let name: StringArray = (0..rows)
        .map(|_| Some(NAMES[next(NAMES.len() as u64) as usize]))
        .collect();
    let cmd: StringArray = (0..rows)
        .map(|i| {
            Some(match next(5) {
                0 => format!("powershell -ExecutionPolicy Bypass {i}"),
                1 => "mimikatz.exe".to_string(),
                2 => String::new(),
                3 => format!("straße {}", i % 17),
                _ => "cmd.exe /c run".to_string(),
            })
        })
        .collect();
    let size: Int64Array = (0..rows)
        .map(|_| match next(11) {
            0 => None,
            _ => Some(next(5000) as i64 - 100),
        })
        .collect();
    let score: Float64Array = (0..rows)
        .map(|_| (next(7) != 0).then(|| next(100_000) as f64 / 3.0))
        .collect();
    let flag: BooleanArray = (0..rows)
        .map(|_| match next(4) {
            0 => None,
            k => Some(k == 1),
        })
        .collect();
    let cols: Vec<ArrayRef> = vec![
        Arc::new(ts),
        Arc::new(name),
        Arc::new(cmd),
        Arc::new(size),
        Arc::new(score),
        Arc::new(flag),
    ];
    RecordBatch::try_new(schema(), cols).expect("batch")
}

fn plan(query: &str) -> kql_planner::LogicalPlan {
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
    kql_planner::optimize::optimize(planned.results.into_iter().next().expect("one result"))
}

fn run(source: &dyn TableSource, query: &str, threads: usize) -> RecordBatch {
    let ctx = EvalContext::at(0).with_threads(threads);
    let t = kql_eval::execute(&plan(query), source, &ctx).expect("runs");
    concat_batches(&t.schema, &t.batches).expect("concat")
}

const QUERIES: &[&str] = &[
    "T",
    r#"T | where Cmd contains "mimikatz" | project Timestamp, Name, Cmd"#,
    r#"T | where Cmd has "bypass" and Size > 100 | extend k = strcat(tolower(Name), "@x")"#,
    "T | where Size between (10 .. 400) | project-away Cmd | project-rename N = Name",
    "T | project Name, Size | where Name != \"\" | extend s2 = Size * 2 | project s2, Name",
    r#"T | where Name == "nobody""#,
    "T | summarize count(), sum(Size), dcount(Name), min(Cmd), max(Timestamp), take_any(Name) by Name",
    "T | summarize count(), sum(Score), avg(Size), make_list(Size) by Name",
    "T | summarize arg_max(Size, Cmd), arg_min(Timestamp, Name), count() by Flag",
    "T | summarize count() by bin(Timestamp, 1h)",
    "T | where Flag | summarize count(), max(Score)",
    r#"T | where Name == "nobody" | summarize count(), sum(Size)"#,
    "T | distinct Name, Flag",
    "T | count",
    r#"T | where Cmd has "bypass" | count"#,
    "T | top 7 by Size desc",
    "T | top 5 by Score asc nulls first",
    "T | order by Name asc, Timestamp desc | take 9",
    "T | order by Size asc nulls first | take 11",
    "T | where Size > 4000 | top 3000 by Cmd",
    "T | take 10",
    "T | take 70000",
    "T | where Flag == false | take 25",
    "T | take 100 | where Size > 100 | take 5",
    "T | where Size > 10 | take 1000 | summarize count(), sum(Size) by Name",
    "T | take 0",
    r#"T | parse Cmd with * "straße " n:long | project Name, n | summarize count(), sum(n) by Name"#,
    r#"T | parse-where Cmd with "powershell -ExecutionPolicy " mode " " n:int | take 500"#,
    r#"T | where Flag | parse kind=regex Cmd with @"(\w+)\.exe" exe:string | project exe, Size"#,
    "T | join kind=inner (T | summarize c = count() by Name) on Name | summarize count(), sum(c) by Name",
    "T | join kind=leftsemi (T | where Cmd has \"mimikatz\" | distinct Name) on Name | count",
    "T | where Size > 2000 | join kind=leftouter (T | where Size > 4900 | summarize m = max(Score) by Name, Flag) on Name, Flag | project Timestamp, Name, m",
    "T | join kind=leftanti (T | where Cmd has \"mimikatz\" | distinct Name) on Name | take 100",
    "T | where Size < 0 | join kind=fullouter (T | where Size > 4990 | project Name, S = Size) on Name",
    "T | where Size < 10 | join (T | where Size > 4990 | project Name, S = Size) on Name",
];

#[test]
fn streamed_results_equal_the_whole_table_results() {
    let all = rows(150_000);
    let mut whole = Database::new();
    whole.insert(
        "T",
        Table {
            schema: schema(),
            batches: vec![all.clone()],
        },
    );
    // Batches of one row, empty ones, batches larger than a morsel.
    let layouts: &[&[usize]] = &[&[70_000, 0, 1, 30_000], &[4_096], &[0, 100_000, 0, 7]];
    for q in QUERIES {
        let want = run(&whole, q, 1);
        for sizes in layouts {
            let source = Batches::cut(&all, sizes, |b| b);
            for threads in [1, 2, 3] {
                assert_eq!(
                    run(&source, q, threads),
                    want,
                    "{q} over {sizes:?} on {threads} threads"
                );
            }
        }
    }
}

#[test]
fn take_stops_pulling_batches_once_it_has_its_rows() {
    let all = rows(200_000);
    for (query, most) in [
        ("T | take 10", 1),
        ("T | project Name, Size | take 10", 1),
        ("T | take 2500", 3),
        // A filter keeping about half the rows: one window at first.
        ("T | where Flag == true | take 10", 2),
        // About 500 of each 1,000 rows pass: windows of 1, 2 and 4 batches.
        ("T | where Flag == false | project Name | take 3000", 8),
    ] {
        for threads in [1, 2] {
            let source = Batches::cut(&all, &[1_000], |b| b);
            let out = run(&source, query, threads);
            assert!(out.num_rows() > 0, "{query}");
            let pulled = source.pulled.load(Ordering::Relaxed);
            assert!(
                pulled <= most,
                "{query}: {pulled} batches pulled on {threads} threads"
            );
        }
    }
    // Without a limit, every batch is read.
    let source = Batches::cut(&all, &[1_000], |b| b);
    run(&source, "T | where Flag == true | count", 2);
    assert_eq!(source.pulled.load(Ordering::Relaxed), 200);
}
