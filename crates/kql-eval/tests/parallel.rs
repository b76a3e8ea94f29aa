//! Queries give the same rows, in the same order, on one thread and on
//! several: filters, projections, aggregations (merged partial states) and
//! `top` over a table of many batches, one larger than a morsel.

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use arrow::compute::concat_batches;
use arrow::record_batch::RecordBatch;
use kql_common::KqlType;
use kql_eval::{Database, EvalContext, Table};
use std::sync::Arc;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const NAMES: &[&str] = &["alpha", "Beta", "gamma", "", "délta", "EPSILON", "zeta"];
const WORDS: &[&str] = &[
    "powershell",
    "-ExecutionPolicy",
    "Bypass",
    "UACBypass",
    "mimikatz",
    "MimiKatz.exe",
    "C:\\Users\\x",
    "-enc",
    "straße",
    "\u{212A}",
    "run",
    " ",
    "cmd.exe",
    "/c",
];

fn batch(rng: &mut Rng, rows: usize, start_row: usize) -> Vec<ArrayRef> {
    let ts: Int64Array = (0..rows)
        .map(|i| Some(((start_row + i) as i64) * 6_000_000_000 / 7))
        .collect();
    let name: StringArray = (0..rows)
        .map(|_| Some(NAMES[rng.below(NAMES.len() as u64) as usize]))
        .collect();
    let cmd: StringArray = (0..rows)
        .map(|_| {
            let k = rng.below(6);
            Some(
                (0..k)
                    .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })
        .collect();
    let size: Int64Array = (0..rows)
        .map(|_| match rng.below(13) {
            0 => None,
            1 => Some(i64::MIN),
            _ => Some(rng.below(5000) as i64 - 100),
        })
        .collect();
    let score: Float64Array = (0..rows)
        .map(|_| (rng.below(9) != 0).then(|| rng.below(1_000_000) as f64 / 7.0))
        .collect();
    let flag: BooleanArray = (0..rows)
        .map(|_| match rng.below(5) {
            0 => None,
            x => Some(x % 2 == 0),
        })
        .collect();
    vec![
        Arc::new(ts),
        Arc::new(name),
        Arc::new(cmd),
        Arc::new(size),
        Arc::new(score),
        Arc::new(flag),
    ]
}

fn database() -> Database {
    let schema = Arc::new(arrow::datatypes::Schema::new(vec![
        KqlType::DateTime.field("Timestamp"),
        KqlType::String.field("Name"),
        KqlType::String.field("Cmd"),
        KqlType::Long.field("Size"),
        KqlType::Real.field("Score"),
        KqlType::Bool.field("Flag"),
    ]));
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut batches = Vec::new();
    let mut at = 0;
    // One batch is larger than a morsel; one is empty; one has one row.
    for rows in [40_000, 1, 0, 100_000, 20_000, 3_000] {
        let cols = batch(&mut rng, rows, at);
        at += rows;
        batches.push(RecordBatch::try_new(schema.clone(), cols).expect("batch"));
    }
    let mut db = Database::new();
    db.insert("T", Table { schema, batches });
    db
}

fn run(db: &Database, query: &str, threads: usize) -> RecordBatch {
    let ast = kql_parser::parse(query).expect("parses");
    let planned = kql_planner::plan_query(&ast, db).expect("plans");
    let plan =
        kql_planner::optimize::optimize(planned.results.into_iter().next().expect("one result"));
    let ctx = EvalContext::at(0).with_threads(threads);
    let t = kql_eval::execute(&plan, db, &ctx).expect("runs");
    concat_batches(&t.schema, &t.batches).expect("concat")
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let db = database();
    let queries = [
        r#"T | where Cmd contains "mimikatz" | project Timestamp, Name, Cmd"#,
        r#"T | where Cmd has "bypass" and Size > 100 | extend k = strcat(tolower(Name), "@x")"#,
        r#"T | where Cmd startswith "run" or Name endswith "A" | project Name, Size"#,
        r#"T | where Cmd !has "bypass" | where Name =~ "BETA" | count"#,
        "T | summarize count(), sum(Size), dcount(Name), min(Cmd), max(Timestamp), \
         take_any(Name), min(Score), max(Flag), binary_all_or(Size) by Name",
        "T | summarize count(), sum(Score), avg(Size), make_set(Name) by Name",
        "T | summarize count(), dcount(Cmd) by bin(Timestamp, 1h)",
        "T | summarize count() by Name, Flag",
        "T | summarize count(), max(Score) by Size",
        "T | summarize count() by Flag",
        "T | summarize count() by Score",
        // Most rows start a group: per-thread states, put back in
        // first-row order.
        "T | summarize count(), sum(Size), max(Timestamp), dcount(Name) by Cmd",
        "T | summarize count(), min(Name) by Size, Name",
        "T | summarize count() by Cmd, Size | count",
        "T | summarize count() by Timestamp",
        "T | distinct Name, Cmd",
        "T | distinct Name, Cmd | count",
        "T | summarize count(), dcount(Size)",
        r#"T | where Name == "nobody" | summarize count(), sum(Size)"#,
        "T | summarize arg_max(Size, Name), count() by Flag",
        "T | top 7 by Size desc",
        "T | top 5 by Score asc",
        "T | top 9 by Name",
        "T | top 4 by Timestamp desc",
        "T | order by Size asc nulls first | take 11",
        "T | order by Size desc nulls first | take 11",
        "T | order by Name desc, Size asc | take 3",
        "T | join kind=inner (T | summarize c = count() by Name) on Name \
         | summarize count(), sum(c) by Name",
        "T | join kind=leftouter (T | where Size > 4000 | summarize m = max(Size) by Name, Flag) \
         on Name, Flag | summarize count(), max(m) by Name, Flag",
        r#"T | join kind=leftsemi (T | where Cmd has "mimikatz" | distinct Name) on Name | count"#,
        r#"T | join kind=leftanti (T | where Cmd has "mimikatz" | distinct Name) on Name"#,
        r#"T | where Name in~ ("beta", "DÉLTA", "", "zeta") and Cmd != "run" | project Name, Cmd"#,
        "T | join kind=inner (T | where Size > 4800 | summarize n = count() by Name, Cmd, Score) \
         on Name, Cmd, Score | summarize count(), sum(n) by Name, Cmd",
        "T | join kind=inner (T | where Size > 4900 | summarize n = count() by Name, Size) \
         on Name, Size | project Name, Size, n",
    ];
    for q in queries {
        let one = run(&db, q, 1);
        for threads in [2, 3] {
            let many = run(&db, q, threads);
            assert_eq!(one, many, "{q} on {threads} threads");
        }
    }
}

#[test]
fn top_is_the_head_of_the_full_sort() {
    let db = database();
    for (top, sort) in [
        (
            "T | top 25 by Size desc",
            "T | order by Size desc | take 200000",
        ),
        (
            "T | top 10 by Score",
            "T | order by Score desc | take 200000",
        ),
        (
            "T | order by Name asc, Timestamp desc | take 6",
            "T | order by Name asc, Timestamp desc | take 200000",
        ),
    ] {
        let t = run(&db, top, 2);
        let s = run(&db, sort, 1);
        assert_eq!(t, s.slice(0, t.num_rows()), "{top}");
    }
}
