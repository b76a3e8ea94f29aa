//! `reduce`: groups strings by their frequent terms, after the clustering
//! of event-log lines by Risto Vaarandi ("A Data Clustering Algorithm for
//! Mining Patterns From Event Logs"), which Kusto's documentation cites.
//!
//! Each string splits into terms; a term at a position is *frequent* when
//! more than `threshold` of the rows have it there. A row's frequent terms
//! are its cluster key; keys shared by more than `threshold` of the rows are
//! patterns (the row's text with every other term replaced by `*`), and all
//! remaining rows count as `others`.

use crate::error::EvalResult;
use crate::expr::{arrow_err, eval_plain};
use crate::{arrow_schema_of, EvalContext, Table};
use arrow::array::{Array, ArrayRef, AsArray, Int64Array, StringArray};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use kql_planner::rowops::{ReducePlan, RowOp};
use std::collections::HashMap;
use std::sync::Arc;

/// A piece of a string: a term, or the separators between terms.
enum Piece<'a> {
    Term(&'a str),
    Sep(&'a str),
}

fn split<'a>(s: &'a str, characters: Option<&str>) -> Vec<Piece<'a>> {
    let is_sep = |c: char| match characters {
        Some(set) => set.contains(c),
        None => !c.is_ascii_alphanumeric(),
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_sep = None;
    for (i, c) in s.char_indices() {
        let sep = is_sep(c);
        match in_sep {
            Some(prev) if prev != sep => {
                out.push(piece(&s[start..i], prev));
                start = i;
            }
            _ => {}
        }
        in_sep = Some(sep);
    }
    if let Some(sep) = in_sep {
        out.push(piece(&s[start..], sep));
    }
    out
}

/// The terms of a split string, in order.
fn terms<'a>(ps: &[Piece<'a>]) -> Vec<&'a str> {
    ps.iter()
        .filter_map(|x| match x {
            Piece::Term(t) => Some(*t),
            Piece::Sep(_) => None,
        })
        .collect()
}

fn piece(s: &str, sep: bool) -> Piece<'_> {
    if sep {
        Piece::Sep(s)
    } else {
        Piece::Term(s)
    }
}

/// Runs `reduce` over all rows of `input`.
pub fn reduce(r: &RowOp, p: &ReducePlan, input: &Table, ctx: &EvalContext) -> EvalResult<Table> {
    let schema = arrow_schema_of(&r.schema());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(input.batches.len());
    for b in &input.batches {
        ctx.check_cancelled()?;
        arrays.push(eval_plain(&p.expr, b, ctx)?.into_array(b.num_rows()));
    }
    let texts: Vec<&str> = arrays
        .iter()
        .flat_map(|a| {
            let s = a.as_string::<i32>();
            (0..s.len()).map(move |i| if s.is_valid(i) { s.value(i) } else { "" })
        })
        .collect();
    let n = texts.len();
    let support = p.threshold * n as f64;
    let chars = p.characters.as_deref();
    let pieces: Vec<Vec<Piece>> = texts.iter().map(|t| split(t, chars)).collect();
    let mut freq: HashMap<(usize, &str), usize> = HashMap::new();
    for ps in &pieces {
        for (pos, t) in terms(ps).into_iter().enumerate() {
            *freq.entry((pos, t)).or_default() += 1;
        }
    }
    let frequent = |pos: usize, t: &str| freq.get(&(pos, t)).is_some_and(|&c| c as f64 > support);
    // Each row's cluster key, and each key's count and first row.
    let keys: Vec<Vec<(usize, &str)>> = pieces
        .iter()
        .map(|ps| {
            terms(ps)
                .into_iter()
                .enumerate()
                .filter(|(pos, t)| frequent(*pos, t))
                .collect()
        })
        .collect();
    let mut clusters: HashMap<&[(usize, &str)], (usize, usize)> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        if !k.is_empty() {
            let e = clusters.entry(k.as_slice()).or_insert((0, i));
            e.0 += 1;
        }
    }
    let pattern_of = |i: usize| -> String {
        let mut out = String::new();
        let mut pos = 0;
        for x in &pieces[i] {
            match x {
                Piece::Term(t) => {
                    if frequent(pos, t) {
                        out.push_str(t);
                    } else if !out.ends_with('*') {
                        out.push('*');
                    }
                    pos += 1;
                }
                Piece::Sep(s) if chars.is_none() => out.push_str(s),
                Piece::Sep(_) => {}
            }
        }
        out
    };
    // Patterns: clusters above the threshold, by count then first row.
    let mut found: Vec<(usize, usize)> = clusters
        .values()
        .copied()
        .filter(|(c, _)| *c as f64 > support)
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let is_pattern = |k: &[(usize, &str)]| {
        clusters
            .get(k)
            .is_some_and(|(c, _)| !k.is_empty() && *c as f64 > support)
    };
    let columns: Vec<ArrayRef> = if p.source {
        let first: HashMap<&[(usize, &str)], usize> = found
            .iter()
            .map(|&(_, i)| (keys[i].as_slice(), i))
            .collect();
        let patterns: Vec<String> = keys
            .iter()
            .map(|k| match first.get(k.as_slice()) {
                Some(&i) if is_pattern(k) => pattern_of(i),
                _ => "others".to_string(),
            })
            .collect();
        let batch =
            arrow::compute::concat_batches(&input.schema, &input.batches).map_err(arrow_err)?;
        let mut cols = batch.columns().to_vec();
        cols.push(Arc::new(StringArray::from_iter_values(patterns)));
        cols
    } else {
        let mut pat = Vec::new();
        let mut count = Vec::new();
        let mut rep = Vec::new();
        for &(c, i) in &found {
            pat.push(pattern_of(i));
            count.push(c as i64);
            rep.push(texts[i].to_string());
        }
        let others = n - found.iter().map(|(c, _)| c).sum::<usize>();
        if others > 0 {
            pat.push("others".to_string());
            count.push(others as i64);
            rep.push(String::new());
        }
        vec![
            Arc::new(StringArray::from_iter_values(pat)),
            Arc::new(Int64Array::from(count)),
            Arc::new(StringArray::from_iter_values(rep)),
        ]
    };
    let rows = columns.first().map_or(0, |c| c.len());
    let batch = RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .map_err(arrow_err)?;
    Ok(Table {
        schema,
        batches: vec![batch],
    })
}
