//! Compares a query's result with an expectation and explains differences.
//!
//! Columns first (names in order, and types where the expectation gives
//! them), then rows: in order when the query defines one (`order by`,
//! `top`, `serialize`...), otherwise as a multiset. Cells compare by their
//! column's type: `real` within a relative tolerance, `datetime` and
//! `timespan` by value whatever their spelling, `dynamic` as JSON values,
//! `bool` ignoring case, everything else as text. Null and the empty string
//! are the same cell (CSV cannot tell them apart).

use crate::testing::expect::{ExpectedTable, Form};
use kql_common::KqlType;
use kql_eval::Table;
use std::collections::HashMap;
use std::fmt::Write as _;

/// The default relative tolerance for `real` cells.
pub const DEFAULT_TOLERANCE: f64 = 1e-9;

/// A result with every cell as text (null as the empty string).
#[derive(Clone, Debug, PartialEq)]
pub struct ActualTable {
    pub columns: Vec<(String, KqlType)>,
    pub rows: Vec<Vec<String>>,
}

impl ActualTable {
    /// The cells of `table` as every writer of `kql` prints them.
    pub fn from_table(table: &Table) -> ActualTable {
        let types = kql_io::kql_types(&table.schema);
        let columns: Vec<(String, KqlType)> = table
            .schema
            .fields()
            .iter()
            .zip(&types)
            .map(|(f, t)| (f.name().clone(), *t))
            .collect();
        let mut rows = Vec::with_capacity(table.num_rows());
        for batch in &table.batches {
            for r in 0..batch.num_rows() {
                let row = batch
                    .columns()
                    .iter()
                    .zip(&types)
                    .map(|(a, t)| kql_io::format_value(a.as_ref(), *t, r).unwrap_or_default())
                    .collect();
                rows.push(row);
            }
        }
        ActualTable { columns, rows }
    }

    /// The cells as the expectation's form can hold them: the text table
    /// cuts line breaks and padding, a Markdown table trims.
    pub fn as_written_in(&self, form: Form, table: &Table) -> ActualTable {
        match form {
            Form::Csv { .. } | Form::Json => self.clone(),
            Form::Markdown => ActualTable {
                columns: self.columns.clone(),
                rows: self
                    .rows
                    .iter()
                    .map(|r| r.iter().map(|c| c.trim().to_string()).collect())
                    .collect(),
            },
            Form::Rendered => {
                let text = render_table(table);
                match crate::testing::expect::parse_rendered(&text) {
                    Ok(mut ts) if ts.len() == 1 => {
                        let rows = ts.pop().map(|t| t.rows).unwrap_or_default();
                        ActualTable {
                            columns: self.columns.clone(),
                            rows,
                        }
                    }
                    _ => self.clone(),
                }
            }
        }
    }
}

/// The text table `kql` prints for `table`, without width limit or colour.
pub fn render_table(table: &Table) -> String {
    let opts = kql_io::TableOptions {
        max_col_width: None,
        footer: true,
        color: false,
        ascii: false,
    };
    let mut out = Vec::new();
    let _ = kql_io::write_result(
        &mut out,
        &table.schema,
        &table.batches,
        kql_io::OutputFormat::Table,
        &opts,
    );
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_real(s: &str) -> Option<f64> {
    match s.trim() {
        "NaN" | "nan" => Some(f64::NAN),
        "Infinity" | "inf" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
        t => t.parse().ok(),
    }
}

/// Whether an expected cell matches an actual cell of type `ty`.
pub fn cell_eq(expected: &str, actual: &str, ty: KqlType, tolerance: f64) -> bool {
    if expected == actual {
        return true;
    }
    if expected.is_empty() || actual.is_empty() {
        return false;
    }
    match ty {
        KqlType::Real | KqlType::Decimal => match (parse_real(expected), parse_real(actual)) {
            (Some(a), Some(b)) => {
                (a.is_nan() && b.is_nan())
                    || a == b
                    || (a - b).abs() <= tolerance * a.abs().max(b.abs())
            }
            _ => false,
        },
        KqlType::DateTime => match (
            kql_common::time::parse_datetime(expected),
            kql_common::time::parse_datetime(actual),
        ) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
        KqlType::TimeSpan => match (
            kql_common::time::parse_timespan(expected),
            kql_common::time::parse_timespan(actual),
        ) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
        KqlType::Dynamic => match (
            serde_json::from_str::<serde_json::Value>(expected),
            serde_json::from_str::<serde_json::Value>(actual),
        ) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        },
        KqlType::Bool => expected.eq_ignore_ascii_case(actual),
        KqlType::Guid => expected.eq_ignore_ascii_case(actual),
        KqlType::Int | KqlType::Long => {
            matches!((expected.trim().parse::<i64>(), actual.trim().parse::<i64>()), (Ok(a), Ok(b)) if a == b)
        }
        KqlType::String => false,
    }
}

/// A spelling of a cell that equal cells share (except `real`, which only
/// matches within the tolerance and is settled pairwise).
fn canonical(cell: &str, ty: KqlType) -> String {
    match ty {
        KqlType::DateTime => kql_common::time::parse_datetime(cell)
            .map_or_else(|| cell.to_string(), |t| t.to_string()),
        KqlType::TimeSpan => kql_common::time::parse_timespan(cell)
            .map_or_else(|| cell.to_string(), |t| t.to_string()),
        KqlType::Dynamic => serde_json::from_str::<serde_json::Value>(cell)
            .map_or_else(|_| cell.to_string(), |v| v.to_string()),
        KqlType::Bool | KqlType::Guid => cell.to_ascii_lowercase(),
        KqlType::Int | KqlType::Long => cell
            .trim()
            .parse::<i64>()
            .map_or_else(|_| cell.to_string(), |v| v.to_string()),
        _ => cell.to_string(),
    }
}

/// How rows are matched.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mode<'a> {
    /// Row order matters.
    pub ordered: bool,
    /// The expected rows need only be among the actual ones, and the
    /// expectation may name a subset of the columns.
    pub among_others: bool,
    pub tolerance: f64,
    /// ANSI colours in the explanation.
    pub color: bool,
    /// For ordered results, the result columns the query sorts by: rows
    /// equal on all of them may come in any order.
    pub ties: Option<&'a [usize]>,
}

/// Compares one expected table with the actual one; `Err` explains the
/// difference.
pub fn compare(exp: &ExpectedTable, act: &ActualTable, mode: Mode<'_>) -> Result<(), String> {
    // Which actual column each expected column is.
    let idx: Vec<usize> = if mode.among_others {
        let mut v = Vec::with_capacity(exp.columns.len());
        for c in &exp.columns {
            match act.columns.iter().position(|(n, _)| *n == c.name) {
                Some(i) => v.push(i),
                None => {
                    let names: Vec<&str> = act.columns.iter().map(|(n, _)| n.as_str()).collect();
                    let mut msg = format!(
                        "the result has no column `{}`; its columns are: {}",
                        c.name,
                        names.join(", ")
                    );
                    if let Some(s) =
                        kql_common::suggest::did_you_mean(&c.name, names.iter().copied())
                    {
                        let _ = write!(msg, " (did you mean `{s}`?)");
                    }
                    return Err(msg);
                }
            }
        }
        v
    } else {
        let same = exp.columns.len() == act.columns.len()
            && exp
                .columns
                .iter()
                .zip(&act.columns)
                .all(|(e, a)| e.name == a.0);
        if !same {
            return Err(column_diff(exp, act));
        }
        (0..exp.columns.len()).collect()
    };
    for (e, &i) in exp.columns.iter().zip(&idx) {
        if let (Some(t), Some((n, at))) = (e.ty, act.columns.get(i)) {
            if t != *at {
                return Err(format!(
                    "column `{n}` has type {} but {} was expected",
                    at.name(),
                    t.name()
                ));
            }
        }
    }
    let types: Vec<KqlType> = idx
        .iter()
        .map(|&i| act.columns.get(i).map_or(KqlType::String, |c| c.1))
        .collect();
    let project = |r: &Vec<String>| -> Vec<String> {
        idx.iter()
            .map(|&i| r.get(i).cloned().unwrap_or_default())
            .collect()
    };
    let act_rows: Vec<Vec<String>> = act.rows.iter().map(project).collect();
    let names: Vec<String> = exp.columns.iter().map(|c| c.name.clone()).collect();
    let row_eq = |e: &[String], a: &[String]| {
        e.len() == a.len()
            && e.iter()
                .zip(a)
                .zip(&types)
                .all(|((x, y), t)| cell_eq(x, y, *t, mode.tolerance))
    };
    if mode.ordered && !mode.among_others {
        let n = exp.rows.len().max(act_rows.len());
        let mut shown = Vec::new();
        let mut first = None;
        for i in 0..n {
            let (e, a) = (exp.rows.get(i), act_rows.get(i));
            let equal = matches!((e, a), (Some(e), Some(a)) if row_eq(e, a));
            if !equal {
                first.get_or_insert(i);
                if shown.len() < 10 {
                    shown.push((i, e.cloned(), a.cloned()));
                }
            }
        }
        let Some(first) = first else { return Ok(()) };
        if let Some(keys) = mode.ties {
            if ties_only(&exp.rows, &act_rows, keys, &row_eq) {
                return Ok(());
            }
        }
        let mut msg = format!(
            "rows differ from row {} on (in order: the query defines the order); expected {} rows, got {}\n",
            first + 1,
            exp.rows.len(),
            act_rows.len()
        );
        let pairs: Vec<DiffRow> = shown
            .into_iter()
            .map(|(i, e, a)| DiffRow {
                label: format!("row {}", i + 1),
                expected: e,
                actual: a,
            })
            .collect();
        msg.push_str(&diff_table(&names, &types, &pairs, mode));
        return Err(msg);
    }
    // Multiset: match equal rows by their canonical spelling, then settle
    // what is left pairwise (reals within the tolerance).
    let key = |r: &[String]| -> Option<Vec<String>> {
        if types
            .iter()
            .any(|t| matches!(t, KqlType::Real | KqlType::Decimal))
        {
            return None;
        }
        Some(
            r.iter()
                .zip(&types)
                .map(|(c, t)| canonical(c, *t))
                .collect(),
        )
    };
    let mut pool: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
    let mut left_act: Vec<bool> = vec![true; act_rows.len()];
    let mut missing: Vec<usize> = Vec::new();
    for (i, r) in act_rows.iter().enumerate() {
        if let Some(k) = key(r) {
            pool.entry(k).or_default().push(i);
        }
    }
    for (i, e) in exp.rows.iter().enumerate() {
        let hit = key(e).and_then(|k| pool.get_mut(&k).and_then(Vec::pop));
        match hit {
            Some(j) => {
                if let Some(l) = left_act.get_mut(j) {
                    *l = false;
                }
            }
            None => missing.push(i),
        }
    }
    let mut still_missing = Vec::new();
    for i in missing {
        let Some(e) = exp.rows.get(i) else { continue };
        let found = (0..act_rows.len()).find(|&j| {
            left_act.get(j).copied().unwrap_or(false)
                && act_rows.get(j).is_some_and(|a| row_eq(e, a))
        });
        match found {
            Some(j) => {
                if let Some(l) = left_act.get_mut(j) {
                    *l = false;
                }
            }
            None => still_missing.push(i),
        }
    }
    let extra: Vec<usize> = if mode.among_others {
        Vec::new()
    } else {
        (0..act_rows.len())
            .filter(|&j| left_act.get(j).copied().unwrap_or(false))
            .collect()
    };
    if still_missing.is_empty() && extra.is_empty() {
        return Ok(());
    }
    let how = if mode.among_others {
        "the expected rows must be among the result's rows"
    } else {
        "rows compared as a multiset: the query does not define an order"
    };
    let mut msg = format!(
        "{} expected row{} missing, {} unexpected row{} ({how}); expected {} rows, got {}\n",
        still_missing.len(),
        if still_missing.len() == 1 { "" } else { "s" },
        extra.len(),
        if extra.len() == 1 { "" } else { "s" },
        exp.rows.len(),
        act_rows.len()
    );
    // Pair each missing row with the most similar unexpected (or, for
    // among-others, any remaining) row so the differing cells stand out.
    let candidates: Vec<usize> = if mode.among_others {
        (0..act_rows.len()).collect()
    } else {
        extra.clone()
    };
    let mut used = vec![false; act_rows.len()];
    let mut pairs = Vec::new();
    for &i in still_missing.iter().take(10) {
        let Some(e) = exp.rows.get(i) else { continue };
        let best = candidates
            .iter()
            .filter(|&&j| !used.get(j).copied().unwrap_or(true))
            .filter_map(|&j| act_rows.get(j).map(|a| (j, a)))
            .map(|(j, a)| {
                let same = e
                    .iter()
                    .zip(a)
                    .zip(&types)
                    .filter(|((x, y), t)| cell_eq(x, y, **t, mode.tolerance))
                    .count();
                (same, j)
            })
            .filter(|(same, _)| *same > 0)
            .max_by_key(|(same, j)| (*same, std::cmp::Reverse(*j)));
        let actual = best.and_then(|(_, j)| {
            if let Some(u) = used.get_mut(j) {
                *u = true;
            }
            act_rows.get(j).cloned()
        });
        pairs.push(DiffRow {
            label: format!("expected row {}", i + 1),
            expected: Some(e.clone()),
            actual,
        });
    }
    if !mode.among_others {
        for &j in extra
            .iter()
            .filter(|&&j| !used.get(j).copied().unwrap_or(true))
            .take(10)
        {
            pairs.push(DiffRow {
                label: format!("result row {}", j + 1),
                expected: None,
                actual: act_rows.get(j).cloned(),
            });
        }
    }
    msg.push_str(&diff_table(&names, &types, &pairs, mode));
    if still_missing.len() > 10 || extra.len() > 10 {
        msg.push_str("  (only the first 10 of each are shown)\n");
    }
    Err(msg)
}

/// True when `exp` and `act` differ only in the order of rows that are
/// equal on the sort keys `keys` (runs of such rows match as multisets).
fn ties_only(
    exp: &[Vec<String>],
    act: &[Vec<String>],
    keys: &[usize],
    row_eq: &dyn Fn(&[String], &[String]) -> bool,
) -> bool {
    if exp.len() != act.len() || keys.is_empty() {
        return false;
    }
    let key = |r: &[String]| -> Vec<String> {
        keys.iter()
            .map(|&k| r.get(k).cloned().unwrap_or_default())
            .collect()
    };
    let mut start = 0;
    while start < act.len() {
        let Some(first) = act.get(start) else { break };
        let k = key(first);
        let mut end = start + 1;
        while act.get(end).is_some_and(|r| key(r) == k) {
            end += 1;
        }
        let (Some(e_run), Some(a_run)) = (exp.get(start..end), act.get(start..end)) else {
            return false;
        };
        let mut used = vec![false; a_run.len()];
        for e in e_run {
            let hit = (0..a_run.len()).find(|&j| {
                !used.get(j).copied().unwrap_or(true) && a_run.get(j).is_some_and(|a| row_eq(e, a))
            });
            match hit.and_then(|j| used.get_mut(j)) {
                Some(u) => *u = true,
                None => return false,
            }
        }
        start = end;
    }
    true
}

fn column_list(cols: impl Iterator<Item = (String, Option<KqlType>)>) -> String {
    cols.map(|(n, t)| match t {
        Some(t) => format!("{n}:{}", t.name()),
        None => n,
    })
    .collect::<Vec<_>>()
    .join(", ")
}

fn column_diff(exp: &ExpectedTable, act: &ActualTable) -> String {
    let at = exp
        .columns
        .iter()
        .zip(&act.columns)
        .position(|(e, a)| e.name != a.0)
        .unwrap_or(exp.columns.len().min(act.columns.len()));
    let what = match (exp.columns.get(at), act.columns.get(at)) {
        (Some(e), Some(a)) => format!("column {} is `{}`, expected `{}`", at + 1, a.0, e.name),
        (Some(e), None) => format!("the result lacks column `{}`", e.name),
        (None, Some(a)) => format!("the result has an extra column `{}`", a.0),
        (None, None) => String::new(),
    };
    format!(
        "columns differ: {what}\n  expected: {}\n  actual:   {}\n",
        column_list(exp.columns.iter().map(|c| (c.name.clone(), c.ty))),
        column_list(act.columns.iter().map(|(n, t)| (n.clone(), Some(*t))))
    )
}

/// An expected row and the actual row shown beside it.
struct DiffRow {
    label: String,
    expected: Option<Vec<String>>,
    actual: Option<Vec<String>>,
}

fn shorten(s: &str, max: usize) -> String {
    let s = s.replace('\n', "⏎");
    if s.chars().count() <= max {
        s
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Expected and actual rows one above the other, aligned, with `^^^` under
/// the cells that differ (and those cells highlighted in colour).
fn diff_table(names: &[String], types: &[KqlType], pairs: &[DiffRow], mode: Mode) -> String {
    const MAX: usize = 40;
    let n = names.len();
    let mut widths: Vec<usize> = names
        .iter()
        .map(|s| shorten(s, MAX).chars().count())
        .collect();
    for p in pairs {
        for r in [&p.expected, &p.actual].into_iter().flatten() {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(shorten(c, MAX).chars().count());
            }
        }
    }
    let (red, green, hl, reset) = if mode.color {
        ("\x1b[31m", "\x1b[32m", "\x1b[1;7m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    let mut out = String::new();
    let line = |out: &mut String, tag: &str, cells: &[String], diff: &[bool], color: &str| {
        let _ = write!(out, "  {color}{tag}{reset} │");
        for i in 0..n {
            let c = shorten(cells.get(i).map_or("", String::as_str), MAX);
            let w = widths.get(i).copied().unwrap_or(0);
            let pad = " ".repeat(w.saturating_sub(c.chars().count()));
            if diff.get(i).copied().unwrap_or(false) {
                let _ = write!(out, " {hl}{c}{reset}{pad} │");
            } else {
                let _ = write!(out, " {c}{pad} │");
            }
        }
        out.push('\n');
    };
    let none = vec![false; n];
    line(&mut out, "   ", names, &none, "");
    for p in pairs {
        let diff: Vec<bool> = match (&p.expected, &p.actual) {
            (Some(e), Some(a)) => (0..n)
                .map(|i| {
                    let (x, y) = (e.get(i), a.get(i));
                    !matches!((x, y), (Some(x), Some(y)) if cell_eq(x, y, types.get(i).copied().unwrap_or(KqlType::String), mode.tolerance))
                })
                .collect(),
            _ => none.clone(),
        };
        let _ = writeln!(out, "  {}", p.label);
        if let Some(e) = &p.expected {
            line(&mut out, "exp", e, &diff, red);
        } else {
            let _ = writeln!(out, "  {red}exp{reset} │ (no such row expected)");
        }
        if let Some(a) = &p.actual {
            line(&mut out, "got", a, &diff, green);
            if diff.iter().any(|d| *d) {
                let mut carets = String::from("       ");
                for i in 0..n {
                    let w = widths.get(i).copied().unwrap_or(0);
                    let mark = if diff.get(i).copied().unwrap_or(false) {
                        '^'
                    } else {
                        ' '
                    };
                    carets.push(' ');
                    carets.extend(std::iter::repeat_n(mark, w));
                    carets.push_str("  ");
                }
                let _ = writeln!(out, "{}", carets.trim_end());
            }
        } else {
            let _ = writeln!(out, "  {green}got{reset} │ (no matching row in the result)");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::expect::Column;

    fn exp(cols: &[(&str, Option<KqlType>)], rows: &[&[&str]]) -> ExpectedTable {
        ExpectedTable {
            columns: cols
                .iter()
                .map(|(n, t)| Column {
                    name: n.to_string(),
                    ty: *t,
                })
                .collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect(),
        }
    }

    fn act(cols: &[(&str, KqlType)], rows: &[&[&str]]) -> ActualTable {
        ActualTable {
            columns: cols.iter().map(|(n, t)| (n.to_string(), *t)).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect(),
        }
    }

    const M: Mode = Mode {
        ordered: false,
        among_others: false,
        tolerance: DEFAULT_TOLERANCE,
        color: false,
        ties: None,
    };

    #[test]
    fn rows_tied_on_the_sort_keys_may_come_in_any_order() {
        let a = act(
            &[("K", KqlType::Long), ("V", KqlType::String)],
            &[&["2", "a"], &["1", "b"], &["1", "c"], &["0", "d"]],
        );
        let e = exp(
            &[("K", None), ("V", None)],
            &[&["2", "a"], &["1", "c"], &["1", "b"], &["0", "d"]],
        );
        let keys = [0usize];
        let tied = Mode {
            ordered: true,
            ties: Some(&keys),
            ..M
        };
        assert_eq!(compare(&e, &a, tied), Ok(()));
        let strict = Mode { ordered: true, ..M };
        assert!(
            compare(&e, &a, strict).is_err(),
            "without the keys the order is strict"
        );
        let e = exp(
            &[("K", None), ("V", None)],
            &[&["1", "b"], &["2", "a"], &["1", "c"], &["0", "d"]],
        );
        assert!(
            compare(&e, &a, tied).is_err(),
            "rows of different keys keep their order"
        );
    }

    #[test]
    fn cells_compare_by_type() {
        assert!(cell_eq("0.30000000000000004", "0.3", KqlType::Real, 1e-9));
        assert!(!cell_eq("0.31", "0.3", KqlType::Real, 1e-9));
        assert!(cell_eq("NaN", "NaN", KqlType::Real, 1e-9));
        assert!(cell_eq(
            "2026-01-29 16:49:20",
            "2026-01-29T16:49:20Z",
            KqlType::DateTime,
            0.0
        ));
        assert!(cell_eq(
            "{\"a\": 1, \"b\": [2]}",
            "{\"a\":1,\"b\":[2]}",
            KqlType::Dynamic,
            0.0
        ));
        assert!(cell_eq(
            "{\"a\":1,\"b\":2}",
            "{\"b\":2,\"a\":1}",
            KqlType::Dynamic,
            0.0
        ));
        assert!(!cell_eq("[1,2]", "[2,1]", KqlType::Dynamic, 0.0));
        assert!(cell_eq("True", "true", KqlType::Bool, 0.0));
        assert!(
            !cell_eq("Abc", "abc", KqlType::String, 0.0),
            "strings are case-sensitive"
        );
        assert!(!cell_eq("", "0", KqlType::Long, 0.0), "null is not zero");
        assert!(cell_eq("00:02:00", "00:02:00", KqlType::TimeSpan, 0.0));
    }

    #[test]
    fn multiset_ignores_order_and_counts_duplicates() {
        let a = act(&[("A", KqlType::Long)], &[&["1"], &["2"], &["2"]]);
        let e = exp(&[("A", Some(KqlType::Long))], &[&["2"], &["1"], &["2"]]);
        assert_eq!(compare(&e, &a, M), Ok(()));
        let e = exp(&[("A", None)], &[&["2"], &["1"], &["1"]]);
        let err = compare(&e, &a, M).expect_err("duplicates count");
        assert!(
            err.starts_with("1 expected row missing, 1 unexpected row"),
            "{err}"
        );
    }

    #[test]
    fn ordered_comparison_points_at_the_first_difference() {
        let a = act(
            &[("A", KqlType::Long), ("B", KqlType::String)],
            &[&["1", "x"], &["2", "y"]],
        );
        let e = exp(&[("A", None), ("B", None)], &[&["2", "y"], &["1", "x"]]);
        assert_eq!(compare(&e, &a, M), Ok(()), "unordered passes");
        let ordered = Mode { ordered: true, ..M };
        let err = compare(&e, &a, ordered).expect_err("order matters");
        assert!(err.contains("from row 1 on"), "{err}");
        assert!(err.contains("^"), "{err}");
    }

    #[test]
    fn columns_and_types() {
        let a = act(&[("A", KqlType::Long)], &[&["1"]]);
        let err = compare(&exp(&[("B", None)], &[&["1"]]), &a, M).expect_err("names");
        assert!(err.contains("column 1 is `A`, expected `B`"), "{err}");
        let err = compare(&exp(&[("A", Some(KqlType::Int))], &[&["1"]]), &a, M).expect_err("types");
        assert!(err.contains("has type long but int was expected"), "{err}");
    }

    #[test]
    fn among_others_takes_a_subset_of_rows_and_columns() {
        let a = act(
            &[("A", KqlType::Long), ("B", KqlType::String)],
            &[&["1", "x"], &["2", "y"], &["3", "z"]],
        );
        let m = Mode {
            among_others: true,
            ..M
        };
        assert_eq!(
            compare(&exp(&[("B", None)], &[&["z"], &["x"]]), &a, m),
            Ok(())
        );
        let err = compare(&exp(&[("B", None)], &[&["w"]]), &a, m).expect_err("missing row");
        assert!(
            err.starts_with("1 expected row missing, 0 unexpected"),
            "{err}"
        );
        let err = compare(&exp(&[("b", None)], &[]), &a, m).expect_err("missing column");
        assert!(err.contains("did you mean `B`"), "{err}");
    }

    #[test]
    fn reals_match_within_the_tolerance_in_a_multiset() {
        let a = act(
            &[("R", KqlType::Real)],
            &[&["0.1"], &["0.30000000000000004"]],
        );
        let e = exp(&[("R", None)], &[&["0.3"], &["0.1"]]);
        assert_eq!(compare(&e, &a, M), Ok(()));
    }
}
