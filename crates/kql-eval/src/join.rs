//! Hash join (`join`, `lookup`): the right side's keys are interned as
//! groups (as `summarize` groups rows), the left side probes them, and the output
//! columns are gathered with one `take` per column (per left batch, on all
//! cores, a window of streamed left batches at a time, when the output
//! follows the left rows).

use crate::aggregate::groups::{Groups, MISSING};
use crate::error::{internal, EvalResult};
use crate::expr::{arrow_err, eval};
use crate::stream::Pipeline;
use crate::{arrow_schema_of, parallel, EvalContext, Table};
use arrow::array::{new_null_array, Array, ArrayRef, StringArray, UInt32Array};
use arrow::compute::{concat_batches, take};
use arrow::datatypes::DataType;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use kql_common::KqlType;
use kql_planner::plan::{Join, JoinKind, PlanExpr};
use kql_planner::LogicalPlan;

/// Joins two already computed inputs.
///
/// Joins whose output follows the left rows (`inner`, `leftouter`,
/// `leftsemi`, `leftanti`) probe each left batch on its own, on all cores,
/// and produce one output batch per left batch, in order; the others see
/// all left rows at once.
pub fn join(j: &Join, left: &Table, right: &Table, ctx: &EvalContext) -> EvalResult<Table> {
    join_stream(
        j,
        Pipeline::from_table(left.clone(), ctx),
        right,
        false,
        ctx,
    )
}

/// Joins the left rows as they stream in with an already computed right
/// side: a join whose output follows the left rows probes the left
/// batches a window at a time, so the left side is never held whole.
///
/// With `encoded`, left columns that come dictionary-encoded may stay so
/// in the output (for a consumer that reads it through a pipeline).
pub(crate) fn join_stream(
    j: &Join,
    left: Pipeline<'_>,
    right: &Table,
    encoded: bool,
    ctx: &EvalContext,
) -> EvalResult<Table> {
    if matches!(
        j.kind,
        JoinKind::Inner | JoinKind::LeftOuter | JoinKind::LeftSemi | JoinKind::LeftAnti
    ) {
        // The left keys are probed, and the output gathered, from
        // encoded columns as they come.
        return join_by_batch(j, left.keep_encoded(), right, encoded, ctx);
    }
    let left = &left.collect()?;
    let schema = arrow_schema_of(&LogicalPlan::Join(j.clone()).schema());
    let lb = concat_batches(&left.schema, &left.batches).map_err(arrow_err)?;
    let rb = concat_batches(&right.schema, &right.batches).map_err(arrow_err)?;
    let index = RightIndex::build(j, &rb, ctx)?;
    let lgroups = index.probe(&j.left_keys, &lb, ctx)?;

    let mut li: Vec<Option<u32>> = Vec::new();
    let mut ri: Vec<Option<u32>> = Vec::new();
    let mut right_matched = vec![false; rb.num_rows()];
    // innerunique: only the first left row of each key takes part.
    let mut seen_left = vec![false; index.groups.len()];
    for (l, &g) in lgroups.iter().enumerate() {
        let matches = index.rows_of(g);
        match j.kind {
            JoinKind::InnerUnique => {
                let Some(seen) = seen_left.get_mut(g as usize) else {
                    continue;
                };
                if std::mem::replace(seen, true) {
                    continue;
                }
                for &r in matches {
                    li.push(Some(l as u32));
                    ri.push(Some(r));
                }
            }
            JoinKind::Inner | JoinKind::LeftOuter | JoinKind::FullOuter | JoinKind::RightOuter => {
                if !matches.is_empty() {
                    for &r in matches {
                        li.push(Some(l as u32));
                        ri.push(Some(r));
                        right_matched[r as usize] = true;
                    }
                } else if matches!(j.kind, JoinKind::LeftOuter | JoinKind::FullOuter) {
                    li.push(Some(l as u32));
                    ri.push(None);
                }
            }
            JoinKind::LeftSemi => {
                if !matches.is_empty() {
                    li.push(Some(l as u32));
                }
            }
            JoinKind::LeftAnti => {
                if matches.is_empty() {
                    li.push(Some(l as u32));
                }
            }
            JoinKind::RightSemi | JoinKind::RightAnti => {
                for &r in matches {
                    right_matched[r as usize] = true;
                }
            }
        }
    }
    match j.kind {
        JoinKind::RightOuter | JoinKind::FullOuter => {
            for (r, m) in right_matched.iter().enumerate() {
                if !m {
                    li.push(None);
                    ri.push(Some(r as u32));
                }
            }
        }
        JoinKind::RightSemi | JoinKind::RightAnti => {
            let want = j.kind == JoinKind::RightSemi;
            for (r, m) in right_matched.iter().enumerate() {
                if *m == want {
                    ri.push(Some(r as u32));
                }
            }
        }
        _ => {}
    }
    let rows = li.len().max(ri.len());
    let lidx = UInt32Array::from(li);
    let ridx = UInt32Array::from(ri);
    let columns = j
        .output
        .iter()
        .map(|o| {
            let (batch, idx) = if o.right { (&rb, &ridx) } else { (&lb, &lidx) };
            match batch.columns().get(o.index) {
                Some(col) => gather(col, idx, o.ty),
                None => Ok(new_null_array(&o.ty.arrow_type(), rows)),
            }
        })
        .collect::<EvalResult<Vec<ArrayRef>>>()?;
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

/// A join whose output rows follow the left rows, one left batch at a time.
fn join_by_batch(
    j: &Join,
    mut left: Pipeline<'_>,
    right: &Table,
    encoded: bool,
    ctx: &EvalContext,
) -> EvalResult<Table> {
    let schema = arrow_schema_of(&LogicalPlan::Join(j.clone()).schema());
    let rb = concat_batches(&right.schema, &right.batches).map_err(arrow_err)?;
    let index = RightIndex::build(j, &rb, ctx)?;
    let probe = |lb: &RecordBatch| {
        ctx.check_cancelled()?;
        let lgroups = index.probe(&j.left_keys, lb, ctx)?;
        let mut li: Vec<u32> = Vec::new();
        let mut ri: Vec<Option<u32>> = Vec::new();
        for (l, &g) in lgroups.iter().enumerate() {
            let matches = index.rows_of(g);
            match j.kind {
                JoinKind::Inner | JoinKind::LeftOuter if !matches.is_empty() => {
                    for &r in matches {
                        li.push(l as u32);
                        ri.push(Some(r));
                    }
                }
                JoinKind::LeftOuter => {
                    li.push(l as u32);
                    ri.push(None);
                }
                JoinKind::LeftSemi if !matches.is_empty() => li.push(l as u32),
                JoinKind::LeftAnti if matches.is_empty() => li.push(l as u32),
                _ => {}
            }
        }
        let rows = li.len();
        let lidx = UInt32Array::from(li);
        let ridx = UInt32Array::from(ri);
        let columns = j
            .output
            .iter()
            .map(|o| {
                let (batch, idx) = if o.right { (&rb, &ridx) } else { (lb, &lidx) };
                match batch.columns().get(o.index) {
                    // Every left index is a row: no null key appears.
                    Some(col)
                        if encoded && !o.right && crate::dict::is_dictionary(col.as_ref()) =>
                    {
                        take(col.as_ref(), idx, None).map_err(arrow_err)
                    }
                    // A right string column, when every output row has a
                    // right row: encoded over the right side's column, the
                    // keys being the right rows.
                    Some(col)
                        if encoded
                            && o.right
                            && o.ty == KqlType::String
                            && col.data_type() == &arrow::datatypes::DataType::Utf8
                            && col.null_count() == 0
                            && ridx.null_count() == 0 =>
                    {
                        right_encoded(col, &ridx)
                    }
                    Some(col) => gather(col, idx, o.ty),
                    None => Ok(new_null_array(&o.ty.arrow_type(), rows)),
                }
            })
            .collect::<EvalResult<Vec<ArrayRef>>>()?;
        RecordBatch::try_new_with_options(
            crate::dict::retyped(&schema, &columns),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )
        .map_err(arrow_err)
    };
    let mut batches = Vec::new();
    while let Some(window) = left.next_window()? {
        let morsels = parallel::morsels(&window);
        let rows = morsels.iter().map(RecordBatch::num_rows).sum();
        let par = parallel::worth_it(ctx, morsels.len(), rows);
        for b in parallel::map(ctx, morsels.len(), par, |i| probe(&morsels[i])) {
            let b = b?;
            if b.num_rows() > 0 {
                batches.push(b);
            }
        }
    }
    Ok(Table { schema, batches })
}

/// The right side's rows by key.
///
/// The keys are interned with the grouping structure of `summarize`
/// ([`Groups`]: one string or integer key hashed directly, several through
/// a dictionary per key, others in Arrow's row format), so a left row
/// costs one lookup and no allocation. The rows of each key are kept in
/// input order, all in one vector.
struct RightIndex {
    groups: Groups,
    types: Vec<DataType>,
    /// The rows of key group `g` are `rows[starts[g]..starts[g + 1]]`.
    starts: Vec<u32>,
    rows: Vec<u32>,
}

impl RightIndex {
    fn build(j: &Join, rb: &RecordBatch, ctx: &EvalContext) -> EvalResult<RightIndex> {
        let types: Vec<DataType> = j.left_keys.iter().map(|k| k.ty.arrow_type()).collect();
        let (arrays, valid) = key_arrays(&j.right_keys, &types, rb, ctx)?;
        RightIndex::of_arrays(types, &arrays, &valid)
    }

    /// The index of rows whose key columns (of Arrow types `types`) are
    /// `arrays`; rows that are not `valid` are left out.
    fn of_arrays(
        types: Vec<DataType>,
        arrays: &[ArrayRef],
        valid: &[bool],
    ) -> EvalResult<RightIndex> {
        let n = valid.len();
        let mut groups = Groups::new(&types)?;
        let mut ids = Vec::with_capacity(n);
        groups.assign(arrays, n, &mut ids)?;
        let ng = groups.len();
        let mut starts = vec![0u32; ng + 1];
        for (&g, &ok) in ids.iter().zip(valid) {
            if ok {
                if let Some(c) = starts.get_mut(g as usize + 1) {
                    *c += 1;
                }
            }
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut rows = vec![0u32; starts.last().copied().unwrap_or(0) as usize];
        for (r, (&g, &ok)) in ids.iter().zip(valid).enumerate() {
            if !ok {
                continue;
            }
            if let Some(at) = next.get_mut(g as usize) {
                if let Some(slot) = rows.get_mut(*at as usize) {
                    *slot = r as u32;
                }
                *at += 1;
            }
        }
        Ok(RightIndex {
            groups,
            types,
            starts,
            rows,
        })
    }

    /// The key group of each row of `batch` (keys `keys`), [`MISSING`] for
    /// rows that match no right row.
    fn probe(
        &self,
        keys: &[PlanExpr],
        batch: &RecordBatch,
        ctx: &EvalContext,
    ) -> EvalResult<Vec<u32>> {
        let (arrays, valid) = key_arrays(keys, &self.types, batch, ctx)?;
        self.probe_arrays(&arrays, &valid)
    }

    /// The key group of each row whose key columns are `arrays`.
    fn probe_arrays(&self, arrays: &[ArrayRef], valid: &[bool]) -> EvalResult<Vec<u32>> {
        let mut ids = Vec::with_capacity(valid.len());
        self.groups.probe(arrays, valid.len(), &mut ids)?;
        for (g, ok) in ids.iter_mut().zip(valid) {
            if !ok {
                *g = MISSING;
            }
        }
        Ok(ids)
    }

    /// The right rows of key group `g`, in input order (none for
    /// [`MISSING`]).
    fn rows_of(&self, g: u32) -> &[u32] {
        let g = g as usize;
        match (self.starts.get(g), self.starts.get(g + 1)) {
            (Some(&a), Some(&b)) => self.rows.get(a as usize..b as usize).unwrap_or_default(),
            _ => &[],
        }
    }
}

/// The key columns of every row (of the Arrow types `types`), and whether
/// each row's keys are all non-null: a row with a null key matches nothing.
fn key_arrays(
    keys: &[PlanExpr],
    types: &[DataType],
    batch: &RecordBatch,
    ctx: &EvalContext,
) -> EvalResult<(Vec<ArrayRef>, Vec<bool>)> {
    let n = batch.num_rows();
    // Encoded string keys stay encoded: the group table looks each
    // dictionary value up once.
    let arrays = keys
        .iter()
        .map(|k| Ok(eval(k, batch, ctx)?.into_array(n)))
        .collect::<EvalResult<Vec<ArrayRef>>>()?;
    let value_type = |a: &ArrayRef| match a.data_type() {
        DataType::Dictionary(_, v) => v.as_ref().clone(),
        t => t.clone(),
    };
    if arrays.len() != types.len() || arrays.iter().zip(types).any(|(a, t)| &value_type(a) != t) {
        return Err(internal("join keys of different types"));
    }
    let mut valid = vec![true; n];
    for a in &arrays {
        if a.null_count() > 0 {
            for (i, v) in valid.iter_mut().enumerate() {
                if a.is_null(i) {
                    *v = false;
                }
            }
        }
    }
    Ok((arrays, valid))
}

/// The rows `idx` (none null) of a plain string column, encoded over the
/// column itself.
fn right_encoded(col: &ArrayRef, idx: &UInt32Array) -> EvalResult<ArrayRef> {
    let keys = arrow::array::Int32Array::from_iter_values(
        idx.values()
            .iter()
            .map(|&i| i32::try_from(i).unwrap_or(i32::MAX)),
    );
    arrow::array::DictionaryArray::<arrow::datatypes::Int32Type>::try_new(keys, col.clone())
        .map(|d| std::sync::Arc::new(d) as ArrayRef)
        .map_err(arrow_err)
}

/// `take` with null indices for missing rows; a missing string is `""`.
pub(crate) fn gather(col: &ArrayRef, idx: &UInt32Array, ty: KqlType) -> EvalResult<ArrayRef> {
    let out = take(col.as_ref(), idx, None).map_err(arrow_err)?;
    // An encoded column is gathered by its keys, then spelled out for
    // just the rows taken.
    let out = crate::dict::plain(&out)?;
    Ok(non_null_strings(out, ty))
}

/// Replaces nulls in a `string` column by `""` (KQL strings are never null).
pub(crate) fn non_null_strings(a: ArrayRef, ty: KqlType) -> ArrayRef {
    if ty != KqlType::String || a.null_count() == 0 {
        return a;
    }
    let Some(s) = a.as_any().downcast_ref::<StringArray>() else {
        return a;
    };
    let filled: StringArray = s.iter().map(|v| Some(v.unwrap_or(""))).collect();
    std::sync::Arc::new(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int64Array};
    use std::sync::Arc;

    fn validity(arrays: &[ArrayRef]) -> Vec<bool> {
        let n = arrays.first().map_or(0, |a| a.len());
        (0..n)
            .map(|i| arrays.iter().all(|a| a.is_valid(i)))
            .collect()
    }

    /// The right rows each left row matches, by comparing every pair.
    fn nested_loop(left: &[ArrayRef], right: &[ArrayRef]) -> Vec<Vec<u32>> {
        let (lv, rv) = (validity(left), validity(right));
        let equal = |l: usize, r: usize| {
            left.iter().zip(right).all(|(a, b)| {
                let (x, y) = (a.slice(l, 1), b.slice(r, 1));
                x.as_ref() == y.as_ref()
            })
        };
        (0..lv.len())
            .map(|l| {
                (0..rv.len())
                    .filter(|&r| lv[l] && rv[r] && equal(l, r))
                    .map(|r| r as u32)
                    .collect()
            })
            .collect()
    }

    fn strings(v: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    /// The index's matches equal those of comparing every pair, for one
    /// string key (nulls, empty strings, case and non-ASCII variants), one
    /// integer key, several keys, and keys in Arrow's row format.
    #[test]
    fn index_matches_equal_nested_loop_matches() {
        let sr = strings(&[
            Some("a"),
            Some(""),
            None,
            Some("A"),
            Some("straße"),
            Some("a"),
            Some("\u{212A}"),
        ]);
        let sl = strings(&[
            Some("a"),
            Some("b"),
            None,
            Some(""),
            Some("STRASSE"),
            Some("straße"),
            Some("K"),
            Some("\u{212A}"),
        ]);
        let lr: ArrayRef = Arc::new(Int64Array::from(vec![
            Some(1),
            Some(0),
            Some(0),
            None,
            Some(1),
            Some(1),
            Some(2),
        ]));
        let ll: ArrayRef = Arc::new(Int64Array::from(vec![
            Some(1),
            None,
            Some(0),
            Some(0),
            Some(3),
            Some(1),
            Some(2),
            Some(2),
        ]));
        let fr: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(1.0),
            Some(0.5),
            None,
            Some(1.0),
            Some(2.0),
            Some(1.0),
            Some(0.0),
        ]));
        let fl: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(1.0),
            Some(0.5),
            Some(1.0),
            None,
            Some(2.0),
            Some(1.0),
            Some(0.0),
            Some(0.0),
        ]));
        let cases: Vec<(Vec<ArrayRef>, Vec<ArrayRef>)> = vec![
            (vec![sr.clone()], vec![sl.clone()]),
            (vec![lr.clone()], vec![ll.clone()]),
            (vec![sr.clone(), lr.clone()], vec![sl.clone(), ll.clone()]),
            (vec![lr, sr.clone()], vec![ll, sl.clone()]),
            (vec![sr, fr], vec![sl, fl]),
        ];
        for (right, left) in cases {
            let types: Vec<DataType> = right.iter().map(|a| a.data_type().clone()).collect();
            let index =
                RightIndex::of_arrays(types.clone(), &right, &validity(&right)).expect("index");
            let groups = index.probe_arrays(&left, &validity(&left)).expect("probe");
            let got: Vec<Vec<u32>> = groups.iter().map(|&g| index.rows_of(g).to_vec()).collect();
            assert_eq!(got, nested_loop(&left, &right), "{types:?}");
        }
    }
}
