//! Expressions, filters and projections over dictionary-encoded string
//! columns give exactly what they give over the same columns held plain:
//! each expression is evaluated over a batch built both ways (`""`,
//! non-ASCII text, dictionary values no row uses, dictionaries larger than
//! the batch, sliced batches), and queries run through `execute` over a
//! source whose batches are encoded (one dictionary shared by every batch,
//! or a different one per batch) on one and two threads.

use arrow::array::{
    Array, ArrayRef, DictionaryArray, Int32Array, Int64Array, RecordBatch, StringArray,
};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Int32Type, Schema, SchemaRef};
use kql_common::KqlType;
use kql_eval::dict;
use kql_eval::expr::eval;
use kql_eval::{Database, EvalContext, Table, TableSource};
use kql_planner::{LogicalPlan, PlanExpr};
use std::collections::HashMap;
use std::sync::Arc;
use support::{Batches, Rng};

mod support;

const NAMES: &[&str] = &[
    "cmd.exe",
    "CMD.EXE",
    "",
    "Ä",
    "ä",
    "ß",
    "straße",
    "STRASSE",
    "powershell.exe",
    "PowerShell.EXE",
    "notepad",
    "日本.exe",
    "x",
];
const JSON: &[&str] = &[
    r#"{"a":"x","b":1}"#,
    r#"{"a":"Ä","b":[1,2]}"#,
    r#"{"b":null}"#,
    "not json",
    "",
    r#"{"a":"","b":"2"}"#,
    "[1,2,3]",
];
/// Values in every dictionary that no row uses (one is not a valid
/// regular expression, one not valid JSON).
const UNUSED: &[&str] = &["(", "unused", "{\"a\":", "ÄÖÜ"];

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        KqlType::String.field("A"),
        KqlType::String.field("B"),
        KqlType::String.field("C"),
        KqlType::Long.field("N"),
    ]))
}

/// `n` rows of test data, plain.
fn rows(n: usize, seed: u64) -> RecordBatch {
    let mut r = Rng(seed);
    let a: StringArray = (0..n).map(|_| Some(NAMES[r.below(NAMES.len())])).collect();
    let b: StringArray = (0..n).map(|_| Some(NAMES[r.below(NAMES.len())])).collect();
    let c: StringArray = (0..n).map(|_| Some(JSON[r.below(JSON.len())])).collect();
    let num: Int64Array = (0..n)
        .map(|_| match r.below(6) {
            0 => None,
            k => Some(k as i64 * 3 - 7),
        })
        .collect();
    let cols: Vec<ArrayRef> = vec![Arc::new(a), Arc::new(b), Arc::new(c), Arc::new(num)];
    RecordBatch::try_new(schema(), cols).expect("batch")
}

/// `column` (plain strings) dictionary-encoded over `values` (which must
/// hold every value of the column).
fn encode_with(column: &ArrayRef, values: &[String]) -> ArrayRef {
    let pos: HashMap<&str, i32> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (v.as_str(), i as i32))
        .collect();
    let s = column
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("plain strings");
    let keys: Int32Array = (0..s.len())
        .map(|i| Some(*pos.get(s.value(i)).expect("value in the dictionary")))
        .collect();
    let values = StringArray::from(values.iter().map(String::as_str).collect::<Vec<_>>());
    Arc::new(DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values)).expect("dictionary"))
}

/// The distinct values of a plain string column, in an order of their own
/// (the reverse of first appearance), then `extra`.
fn dictionary_of(column: &ArrayRef, extra: &[&str]) -> Vec<String> {
    let s = column
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("plain strings");
    let mut seen = Vec::<String>::new();
    for i in 0..s.len() {
        if !seen.iter().any(|v| v == s.value(i)) {
            seen.push(s.value(i).to_string());
        }
    }
    seen.reverse();
    seen.extend(extra.iter().map(|x| x.to_string()));
    seen
}

/// `b` with its string columns encoded: over `shared` values when given
/// (one dictionary for several batches), else over the batch's own
/// distinct values and the unused ones.
fn encode(b: &RecordBatch, shared: Option<&[Vec<String>]>) -> RecordBatch {
    let columns: Vec<ArrayRef> = b
        .columns()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if c.data_type() != &DataType::Utf8 {
                return c.clone();
            }
            let values = match shared {
                Some(s) => s[i].clone(),
                None => dictionary_of(c, UNUSED),
            };
            encode_with(c, &values)
        })
        .collect();
    dict::with_columns(b, columns).expect("encoded batch")
}

/// Dictionaries holding every value of `b`'s string columns (and more).
fn shared_dictionaries(b: &RecordBatch) -> Vec<Vec<String>> {
    b.columns()
        .iter()
        .map(|c| {
            if c.data_type() == &DataType::Utf8 {
                dictionary_of(c, UNUSED)
            } else {
                vec![]
            }
        })
        .collect()
}

fn database() -> Database {
    let mut db = Database::new();
    db.insert(
        "T",
        Table {
            schema: schema(),
            batches: vec![],
        },
    );
    db
}

fn plan(query: &str) -> LogicalPlan {
    let ast = kql_parser::parse(query).expect("parses");
    let planned = kql_planner::plan_query(&ast, &database()).expect("plans");
    planned.results.into_iter().next().expect("one result")
}

/// The typed expression `x` over `T`'s columns.
fn expression(x: &str) -> PlanExpr {
    match plan(&format!("T | project r = {x}")) {
        LogicalPlan::Project(p) => p.exprs.into_iter().next().expect("one column").1,
        other => panic!("{x}: not a projection: {other:?}"),
    }
}

const EXPRESSIONS: &[&str] = &[
    "A",
    r#"A == "cmd.exe""#,
    r#"A != "Ä""#,
    r#""straße" == A"#,
    r#"A =~ "CMD.EXE""#,
    r#"A =~ "ä""#,
    r#"A !~ "straße""#,
    r#"A in ("cmd.exe", "", "Ä")"#,
    r#"A in~ ("CMD.exe", "ß", "STRASSE", "ä")"#,
    r#"A !in~ ("cmd.exe", "ä")"#,
    r#"A !in ("x", "")"#,
    r#"A has "exe""#,
    r#"A !has "EXE""#,
    r#"A contains "ra""#,
    r#"A contains_cs "ra""#,
    r#"A startswith "c""#,
    r#"A endswith "E""#,
    r#"A hasprefix "power""#,
    r#"A matches regex @"^[a-z]+\.""#,
    "tolower(A)",
    "toupper(A)",
    "strlen(A)",
    "-strlen(A)",
    "reverse(A)",
    r#"replace_string(A, "e", "3")"#,
    "substring(A, 1, 2)",
    r#"countof(A, "e")"#,
    r#"split(A, ".")"#,
    "hash(A)",
    "tostring(strlen(A))",
    "toint(strlen(A)) + 1",
    "strcat(A, B)",
    r#"strcat(tolower(A), "@", tolower(B))"#,
    r#"strcat(A, "|", C)"#,
    r#"iff(A == "", "empty", A)"#,
    r#"iff(A has "exe", strlen(A), -1)"#,
    r#"case(A == "x", 1, A startswith "c", 2, 3)"#,
    r#"not(A has "exe")"#,
    "parse_json(C)",
    "parse_json(C).a",
    "parse_json(C).b",
    "tostring(parse_json(C).a)",
    r#"tostring(parse_json(C).a) == "Ä""#,
    "isempty(A)",
    "isnotempty(A)",
    r#"extract(@"([a-z]+)\.", 1, A)"#,
    r#"extract(@"(\w)", 1, A)"#,
    // A column as the pattern: an unused dictionary value is not a regex.
    r#"extract(A, 0, "cmd.exe straße")"#,
    "A == B",
    "A != B",
    "A =~ B",
    "A !~ B",
    "A has B",
    "extract(A, 0, B)",
    r#"iff(A == "", B, A)"#,
    r#"strcat(A, "/", B, "/", C)"#,
    "strlen(A) + strlen(B)",
    "tolower(A) == tolower(B)",
    r#"A != "" and N > 5"#,
    "N + strlen(A)",
    "strlen(A) > N",
    r#"iff(isnull(N), A, B)"#,
    // Volatile: evaluated row by row.
    r#"iff(rand() < 2.0, A, "")"#,
    r#"strcat(A, tostring(rand(1)))"#,
    "N * 2",
];

fn ctx() -> EvalContext {
    EvalContext::at(0)
}

/// The result of `e` over `b`, as a plain array of `b`'s length.
fn evaluate(e: &PlanExpr, b: &RecordBatch) -> ArrayRef {
    let v = eval(e, b, &ctx()).expect("evaluates");
    v.into_array(b.num_rows())
}

/// Checks every expression over `plain` and `encoded` (the same rows).
fn check_batch(plain: &RecordBatch, encoded: &RecordBatch, what: &str) {
    assert!(dict::has_dictionary(encoded));
    let n = plain.num_rows();
    for x in EXPRESSIONS {
        let e = expression(x);
        let want = evaluate(&e, plain);
        let got = evaluate(&e, encoded);
        assert_eq!(got.len(), n, "{x} over {what}");
        if dict::is_dictionary(got.as_ref()) {
            let d = dict::as_string_dictionary(got.as_ref()).expect("string dictionary");
            assert_eq!(d.values().null_count(), 0, "{x} over {what}");
            assert_eq!(d.keys().null_count(), 0, "{x} over {what}");
            assert_eq!(e.ty, KqlType::String, "{x} over {what}");
        }
        let got = dict::plain(&got).expect("plain");
        assert_eq!(got.as_ref(), want.as_ref(), "{x} over {what}");
    }
}

#[test]
fn expressions_over_encoded_columns_equal_the_plain_results() {
    let plain = rows(700, 7);
    check_batch(&plain, &encode(&plain, None), "700 rows");
    let shared = shared_dictionaries(&plain);
    check_batch(
        &plain,
        &encode(&plain, Some(&shared)),
        "a shared dictionary",
    );
    // Slices: keys that start past zero, values shared with the whole.
    let whole = encode(&plain, Some(&shared));
    for (at, len) in [(0, 1), (5, 40), (650, 50)] {
        check_batch(
            &plain.slice(at, len),
            &whole.slice(at, len),
            &format!("rows {at}..{}", at + len),
        );
    }
    // Fewer rows than dictionary values: evaluated row by row.
    let small = rows(6, 99);
    let big = encode(&small, Some(&shared_dictionaries(&plain)));
    check_batch(&small, &big, "6 rows, a larger dictionary");
    // No rows at all.
    check_batch(&plain.slice(0, 0), &whole.slice(0, 0), "no rows");
}

#[test]
fn expressions_of_one_encoded_column_run_once_per_value() {
    let plain = rows(500, 3);
    let encoded = encode(&plain, None);
    // A string result keeps the column's keys, with new values.
    for x in [
        "tolower(A)",
        "A",
        r#"strcat(A, "!")"#,
        r#"iff(A == "", "e", A)"#,
    ] {
        let got = evaluate(&expression(x), &encoded);
        let d = dict::as_string_dictionary(got.as_ref()).expect("encoded result");
        let a = dict::as_string_dictionary(encoded.column(0).as_ref()).expect("encoded A");
        assert_eq!(d.keys(), a.keys(), "{x}");
        assert_eq!(d.values().len(), a.values().len(), "{x}");
    }
    // Several encoded columns: once per combination of their values in
    // the batch.
    for x in ["strcat(A, B)", r#"strcat(tolower(A), "@", tolower(B))"#] {
        let got = evaluate(&expression(x), &encoded);
        let d = dict::as_string_dictionary(got.as_ref()).expect("encoded result");
        assert!(d.values().len() <= NAMES.len() * NAMES.len(), "{x}");
    }
    // Other results are plain; an encoded column with a plain one, or a
    // volatile function, or a larger dictionary than rows: plain too.
    for x in [
        r#"A in~ ("CMD.exe", "ß")"#,
        "strlen(A)",
        "A == B",
        "strcat(A, tostring(N))",
        r#"strcat(A, tostring(rand(1)))"#,
        r#"strcat(A, B, tostring(rand(1)))"#,
    ] {
        let got = evaluate(&expression(x), &encoded);
        assert!(!dict::is_dictionary(got.as_ref()), "{x}");
    }
    let small = rows(4, 5);
    let big = encode(&small, Some(&shared_dictionaries(&plain)));
    let got = evaluate(&expression("tolower(A)"), &big);
    assert!(!dict::is_dictionary(got.as_ref()));
}

/// `all` in batches of the given sizes (cycled), their string columns
/// encoded with one dictionary for all batches (`shared`) or one each.
fn encoded_source(all: &RecordBatch, sizes: &[usize], shared: bool) -> Batches {
    let dictionaries = shared_dictionaries(all);
    Batches::cut(all, sizes, |b| {
        if shared {
            encode(&b, Some(&dictionaries))
        } else {
            encode(&b, None)
        }
    })
}

/// The query's rows, every batch made plain, and how many of its output
/// batches had an encoded column.
fn run(source: &dyn TableSource, query: &str, threads: usize) -> (RecordBatch, usize) {
    let ctx = EvalContext::at(0).with_threads(threads);
    let p = kql_planner::optimize::optimize(plan(query));
    let t = kql_eval::execute(&p, source, &ctx).expect("runs");
    let mut encoded = 0;
    let mut batches = Vec::new();
    for b in &t.batches {
        // Names and metadata are the result schema's; only types differ.
        let (got, want) = (b.schema(), &t.schema);
        assert_eq!(got.fields().len(), want.fields().len(), "{query}");
        for (g, w) in got.fields().iter().zip(want.fields()) {
            assert_eq!(g.name(), w.name(), "{query}");
            assert_eq!(g.metadata(), w.metadata(), "{query}");
            if g.data_type() != w.data_type() {
                assert_eq!(g.data_type(), &dict::dictionary_type(), "{query}");
                assert_eq!(w.data_type(), &DataType::Utf8, "{query}");
            }
        }
        encoded += usize::from(dict::has_dictionary(b));
        batches.push(dict::plain_batch(b).expect("plain"));
    }
    let all = concat_batches(&t.schema, &batches).expect("concat");
    (all, encoded)
}

const QUERIES: &[&str] = &[
    "T",
    r#"T | where A in~ ("CMD.exe", "ß", "straße")"#,
    r#"T | where A =~ "cmd.exe" and N > 0 | project A, B, N"#,
    r#"T | where A has "exe" and B !~ "ä" and tolower(B) != "x""#,
    r#"T | where A !~ B | project B, A"#,
    r#"T | where A != "" | extend l = tolower(A), u = toupper(B), k = strcat(tolower(A), "@", tolower(B)), s = strlen(A)"#,
    r#"T | extend v = tostring(parse_json(C).a), j = parse_json(C).b | where isnotempty(v)"#,
    "T | project-rename X = A | project-away C",
    "T | project B, N | where B startswith \"p\"",
    r#"T | where isempty(A) or A matches regex @"^[a-z]+\.exe$""#,
    r#"T | extend e = extract(@"([a-z]+)\.", 1, A) | where e != """#,
    r#"T | parse A with x "." y | project x, y, B"#,
    r#"T | where A contains "ra" | take 7"#,
    r#"T | where A !in ("x", "") | project A, i = iff(A == "Ä", "yes", A), N"#,
    // Joins probe encoded left keys and gather encoded left columns.
    r#"T | join kind=inner (T | where N > 3 | summarize c = count() by A) on A"#,
    r#"T | join kind=leftouter (T | where A startswith "c" | summarize c = count() by B) on B"#,
    r#"T | join kind=leftsemi (T | where N < 2 | distinct A, B) on A, B"#,
    r#"T | join kind=leftanti (T | where A == "Ä" | distinct B) on B"#,
    r#"T | join kind=inner (T | summarize m = max(N) by A) on $left.B == $right.A"#,
    r#"T | lookup (T | summarize n = count() by A) on A"#,
    // A join read through a pipeline hands encoded left columns on.
    r#"T | join kind=inner (T | where N > 3 | summarize c = count() by A) on A | summarize n = count(), d = dcount(N), m = max(B) by A, c"#,
    r#"T | join kind=leftouter (T | summarize c = count() by B) on B | where A != "" | project A, B, c, l = tolower(A)"#,
    r#"T | join kind=inner (T | distinct A) on A | sort by A asc, N asc | take 9"#,
    // Right string columns come encoded over the right side when every
    // output row has a right row.
    r#"T | join kind=inner (T | where N < 5 | distinct A, B) on A | summarize n = count(), m = min(B1), d = dcount(B1) by B1, A"#,
    r#"T | join kind=leftouter (T | where N > 8 | distinct A, C) on A | summarize count() by C1, tolower(C1)"#,
];

#[test]
fn filters_and_projections_over_encoded_batches_equal_the_plain_results() {
    let all = rows(20_000, 11);
    let mut whole = Database::new();
    whole.insert(
        "T",
        Table {
            schema: schema(),
            batches: vec![all.clone()],
        },
    );
    // Batches of one row (smaller than their dictionary), empty ones, and
    // batches of several thousand rows.
    let layouts: &[&[usize]] = &[&[5_000, 1, 0, 3], &[777], &[0, 12_000, 2]];
    for q in QUERIES {
        let (want, _) = run(&whole, q, 1);
        let mut encoded = 0;
        for sizes in layouts {
            for shared in [true, false] {
                let source = encoded_source(&all, sizes, shared);
                for threads in [1, 2] {
                    let (got, e) = run(&source, q, threads);
                    assert_eq!(
                        got, want,
                        "{q} over {sizes:?} (shared: {shared}) on {threads} threads"
                    );
                    encoded += e;
                }
            }
        }
        // The steps ran over the encoded batches; a query's result is
        // plain (only operators that asked for encoded columns see them).
        assert_eq!(encoded, 0, "{q}");
    }
}

/// Counting per computed string key first counts per combination of the
/// key's columns: the optimized plan does so, and gives exactly the rows
/// (and row order) of the plan as written, plain or encoded.
#[test]
fn counts_per_computed_key_equal_the_direct_count() {
    let all = rows(20_000, 5);
    let mut whole = Database::new();
    whole.insert(
        "T",
        Table {
            schema: schema(),
            batches: vec![all.clone()],
        },
    );
    let cases = [
        (
            r#"T | extend K = strcat(tolower(A), "@", B) | summarize n = count() by K"#,
            true,
        ),
        (
            r#"T | summarize c = count(), d = count() by K = toupper(A)"#,
            true,
        ),
        (
            r#"T | summarize count() by K = strcat(A, "/", tostring(N)), B"#,
            true,
        ),
        (
            r#"T | extend K = iff(N > 5, A, B) | summarize count() by K | order by count_ desc, K asc"#,
            true,
        ),
        (
            r#"T | where N != 3 | summarize n = count() by substring(B, 0, 2), L = strlen(A)"#,
            true,
        ),
        // Not counts only, or no computed string key: planned as written.
        (
            r#"T | summarize n = count(), m = max(N) by K = tolower(A)"#,
            false,
        ),
        (r#"T | summarize n = count() by K = N % 7"#, false),
        (r#"T | summarize n = count() by A"#, false),
    ];
    let ctx = EvalContext::at(0).with_threads(2);
    for (q, rewritten) in cases {
        let direct = plan(q);
        let optimized = kql_planner::optimize::optimize(direct.clone());
        assert_eq!(
            format!("{optimized:?}").contains("Sum"),
            rewritten,
            "{q}: {optimized:?}"
        );
        let t = kql_eval::execute(&direct, &whole, &ctx).expect("runs");
        let want = concat_batches(&t.schema, &t.batches).expect("concat");
        let (got, _) = run(&whole, q, 2);
        assert_eq!(got, want, "{q}");
        for sizes in [&[5_000usize, 1, 0, 3][..], &[777]] {
            let source = encoded_source(&all, sizes, false);
            let (got, _) = run(&source, q, 1);
            assert_eq!(got, want, "{q} over {sizes:?}");
        }
    }
}
