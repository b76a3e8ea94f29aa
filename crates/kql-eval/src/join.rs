//! Hash join (`join`, `lookup`): keys are encoded with Arrow's row format,
//! the right side is hashed, the left side probes it, and the output
//! columns are gathered with one `take` per column (per left batch, on all
//! cores, a window of streamed left batches at a time, when the output
//! follows the left rows).

use crate::error::EvalResult;
use crate::expr::{arrow_err, eval};
use crate::stream::Pipeline;
use crate::{arrow_schema_of, parallel, EvalContext, Table};
use arrow::array::{new_null_array, Array, ArrayRef, StringArray, UInt32Array};
use arrow::compute::{concat_batches, take};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use arrow::row::{RowConverter, Rows, SortField};
use foldhash::fast::FixedState;
use kql_common::KqlType;
use kql_planner::plan::{Join, JoinKind, PlanExpr};
use kql_planner::LogicalPlan;
use std::collections::HashMap;

/// Rows of the right side by their encoded key.
type KeyMap<'a, V> = hashbrown::HashMap<&'a [u8], V, FixedState>;

/// Joins two already computed inputs.
///
/// Joins whose output follows the left rows (`inner`, `leftouter`,
/// `leftsemi`, `leftanti`) probe each left batch on its own, on all cores,
/// and produce one output batch per left batch, in order; the others see
/// all left rows at once.
pub fn join(j: &Join, left: &Table, right: &Table, ctx: &EvalContext) -> EvalResult<Table> {
    join_stream(j, Pipeline::from_table(left.clone(), ctx), right, ctx)
}

/// Joins the left rows as they stream in with an already computed right
/// side: a join whose output follows the left rows probes the left
/// batches a window at a time, so the left side is never held whole.
pub(crate) fn join_stream(
    j: &Join,
    left: Pipeline<'_>,
    right: &Table,
    ctx: &EvalContext,
) -> EvalResult<Table> {
    if matches!(
        j.kind,
        JoinKind::Inner | JoinKind::LeftOuter | JoinKind::LeftSemi | JoinKind::LeftAnti
    ) {
        return join_by_batch(j, left, right, ctx);
    }
    let left = &left.collect()?;
    let schema = arrow_schema_of(&LogicalPlan::Join(j.clone()).schema());
    let lb = concat_batches(&left.schema, &left.batches).map_err(arrow_err)?;
    let rb = concat_batches(&right.schema, &right.batches).map_err(arrow_err)?;
    let fields: Vec<SortField> = j
        .left_keys
        .iter()
        .map(|k| SortField::new(k.ty.arrow_type()))
        .collect();
    let conv = RowConverter::new(fields).map_err(arrow_err)?;
    let (lrows, lvalid) = key_rows(&conv, &j.left_keys, &lb, ctx)?;
    let (rrows, rvalid) = key_rows(&conv, &j.right_keys, &rb, ctx)?;

    // Right rows by key, in input order.
    let mut table: HashMap<&[u8], Vec<u32>> = HashMap::new();
    for (i, ok) in rvalid.iter().enumerate() {
        if *ok {
            table.entry(rrows.row(i).data()).or_default().push(i as u32);
        }
    }

    let mut li: Vec<Option<u32>> = Vec::new();
    let mut ri: Vec<Option<u32>> = Vec::new();
    let mut right_matched = vec![false; rb.num_rows()];
    // innerunique: only the first left row of each key takes part.
    let mut seen_left: HashMap<&[u8], ()> = HashMap::new();
    for (l, ok) in lvalid.iter().enumerate() {
        let key = lrows.row(l);
        let matches = if *ok { table.get(key.data()) } else { None };
        match j.kind {
            JoinKind::InnerUnique => {
                if !*ok || seen_left.insert(key.data(), ()).is_some() {
                    continue;
                }
                for &r in matches.into_iter().flatten() {
                    li.push(Some(l as u32));
                    ri.push(Some(r));
                }
            }
            JoinKind::Inner | JoinKind::LeftOuter | JoinKind::FullOuter | JoinKind::RightOuter => {
                match matches {
                    Some(rs) => {
                        for &r in rs {
                            li.push(Some(l as u32));
                            ri.push(Some(r));
                            right_matched[r as usize] = true;
                        }
                    }
                    None if matches!(j.kind, JoinKind::LeftOuter | JoinKind::FullOuter) => {
                        li.push(Some(l as u32));
                        ri.push(None);
                    }
                    None => {}
                }
            }
            JoinKind::LeftSemi => {
                if matches.is_some() {
                    li.push(Some(l as u32));
                }
            }
            JoinKind::LeftAnti => {
                if matches.is_none() {
                    li.push(Some(l as u32));
                }
            }
            JoinKind::RightSemi | JoinKind::RightAnti => {
                for &r in matches.into_iter().flatten() {
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
    ctx: &EvalContext,
) -> EvalResult<Table> {
    let schema = arrow_schema_of(&LogicalPlan::Join(j.clone()).schema());
    let rb = concat_batches(&right.schema, &right.batches).map_err(arrow_err)?;
    let fields: Vec<SortField> = j
        .left_keys
        .iter()
        .map(|k| SortField::new(k.ty.arrow_type()))
        .collect();
    let conv = RowConverter::new(fields).map_err(arrow_err)?;
    let (rrows, rvalid) = key_rows(&conv, &j.right_keys, &rb, ctx)?;
    // Right rows by key, in input order.
    let mut table: KeyMap<Vec<u32>> = KeyMap::with_hasher(FixedState::with_seed(0x6a6f_696e));
    for (i, ok) in rvalid.iter().enumerate() {
        if *ok {
            table.entry(rrows.row(i).data()).or_default().push(i as u32);
        }
    }
    let probe = |lb: &RecordBatch| {
        ctx.check_cancelled()?;
        let (lrows, lvalid) = key_rows(&conv, &j.left_keys, lb, ctx)?;
        let mut li: Vec<u32> = Vec::new();
        let mut ri: Vec<Option<u32>> = Vec::new();
        for (l, ok) in lvalid.iter().enumerate() {
            let matches = if *ok {
                table.get(lrows.row(l).data())
            } else {
                None
            };
            match (j.kind, matches) {
                (JoinKind::Inner | JoinKind::LeftOuter, Some(rs)) => {
                    for &r in rs {
                        li.push(l as u32);
                        ri.push(Some(r));
                    }
                }
                (JoinKind::LeftOuter, None) => {
                    li.push(l as u32);
                    ri.push(None);
                }
                (JoinKind::LeftSemi, Some(_)) | (JoinKind::LeftAnti, None) => li.push(l as u32),
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
                    Some(col) => gather(col, idx, o.ty),
                    None => Ok(new_null_array(&o.ty.arrow_type(), rows)),
                }
            })
            .collect::<EvalResult<Vec<ArrayRef>>>()?;
        RecordBatch::try_new_with_options(
            schema.clone(),
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

/// Encodes the key columns of every row; a row with a null key matches
/// nothing.
fn key_rows(
    conv: &RowConverter,
    keys: &[PlanExpr],
    batch: &RecordBatch,
    ctx: &EvalContext,
) -> EvalResult<(Rows, Vec<bool>)> {
    let n = batch.num_rows();
    let arrays = keys
        .iter()
        .map(|k| Ok(eval(k, batch, ctx)?.into_array(n)))
        .collect::<EvalResult<Vec<ArrayRef>>>()?;
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
    let rows = conv.convert_columns(&arrays).map_err(arrow_err)?;
    Ok((rows, valid))
}

/// `take` with null indices for missing rows; a missing string is `""`.
pub(crate) fn gather(col: &ArrayRef, idx: &UInt32Array, ty: KqlType) -> EvalResult<ArrayRef> {
    let out = take(col.as_ref(), idx, None).map_err(arrow_err)?;
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
