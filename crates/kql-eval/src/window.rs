//! Window functions over serialized rows: `row_number()`, `prev()`,
//! `next()`, `row_cumsum()`, each computed in one pass over the rows.

use crate::error::{internal, EvalResult};
use crate::expr::{arrow_err, eval_plain};
use crate::join::non_null_strings;
use crate::{arrow_schema_of, EvalContext, Table};
use arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int32Array, Int64Array, UInt32Array};
use arrow::compute::{concat_batches, take};
use arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use arrow::row::{RowConverter, SortField};
use kql_planner::plan::{PlanExpr, Window, WindowFunc};
use kql_planner::LogicalPlan;
use std::sync::Arc;

pub fn window(w: &Window, input: &Table, ctx: &EvalContext) -> EvalResult<Table> {
    let schema = arrow_schema_of(&LogicalPlan::Window(w.clone()).schema());
    let batch = concat_batches(&input.schema, &input.batches).map_err(arrow_err)?;
    let n = batch.num_rows();
    let arr =
        |e: &PlanExpr| -> EvalResult<ArrayRef> { Ok(eval_plain(e, &batch, ctx)?.into_array(n)) };
    let restarts = |e: &Option<PlanExpr>| -> EvalResult<Vec<bool>> {
        let mut out = vec![false; n];
        if let Some(e) = e {
            let a = arr(e)?;
            let b = a
                .as_boolean_opt()
                .ok_or_else(|| internal("restart is not a bool"))?;
            for (i, o) in out.iter_mut().enumerate() {
                *o = b.is_valid(i) && b.value(i);
            }
        }
        Ok(out)
    };
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    for (_, f, ty) in &w.funcs {
        let col: ArrayRef = match f {
            WindowFunc::RowNumber { start, restart } => {
                let r = restarts(restart)?;
                let mut cur = *start - 1;
                let mut v = Vec::with_capacity(n);
                for flag in r {
                    cur = if flag { *start } else { cur + 1 };
                    v.push(cur);
                }
                Arc::new(Int64Array::from(v))
            }
            WindowFunc::Shift {
                expr,
                offset,
                default,
            } => {
                let a = arr(expr)?;
                let idx: UInt32Array = (0..n as i64)
                    .map(|i| {
                        let j = i - offset;
                        (0..n as i64).contains(&j).then_some(j as u32)
                    })
                    .collect();
                let shifted = take(a.as_ref(), &idx, None).map_err(arrow_err)?;
                match default {
                    Some(d) => {
                        let d = arr(d)?;
                        let mask: arrow::array::BooleanArray =
                            idx.iter().map(|i| Some(i.is_some())).collect();
                        arrow::compute::kernels::zip::zip(&mask, &shifted, &d).map_err(arrow_err)?
                    }
                    None => non_null_strings(shifted, *ty),
                }
            }
            WindowFunc::CumSum { expr, restart } => {
                let a = arr(expr)?;
                let r = restarts(restart)?;
                match a.data_type() {
                    DataType::Int64 => {
                        let p = a.as_primitive::<Int64Type>();
                        let mut acc = 0i64;
                        let v: Int64Array = (0..n)
                            .map(|i| {
                                if r[i] {
                                    acc = 0;
                                }
                                if p.is_valid(i) {
                                    acc = acc.wrapping_add(p.value(i));
                                }
                                Some(acc)
                            })
                            .collect();
                        Arc::new(v)
                    }
                    DataType::Int32 => {
                        let p = a.as_primitive::<Int32Type>();
                        let mut acc = 0i32;
                        let v: Int32Array = (0..n)
                            .map(|i| {
                                if r[i] {
                                    acc = 0;
                                }
                                if p.is_valid(i) {
                                    acc = acc.wrapping_add(p.value(i));
                                }
                                Some(acc)
                            })
                            .collect();
                        Arc::new(v)
                    }
                    DataType::Float64 => {
                        let p = a.as_primitive::<Float64Type>();
                        let mut acc = 0f64;
                        let v: Float64Array = (0..n)
                            .map(|i| {
                                if r[i] {
                                    acc = 0.0;
                                }
                                if p.is_valid(i) {
                                    acc += p.value(i);
                                }
                                Some(acc)
                            })
                            .collect();
                        Arc::new(v)
                    }
                    other => return Err(internal(format!("row_cumsum over {other}"))),
                }
            }
            WindowFunc::Rank {
                expr,
                dense,
                restart,
            } => {
                let a = arr(expr)?;
                let r = restarts(restart)?;
                let conv = RowConverter::new(vec![SortField::new(a.data_type().clone())])
                    .map_err(arrow_err)?;
                let rows = conv.convert_columns(&[a]).map_err(arrow_err)?;
                let mut v = Vec::with_capacity(n);
                let (mut rank, mut pos) = (0i64, 0i64);
                for (i, &restart) in r.iter().enumerate() {
                    let changed = i == 0 || restart || rows.row(i) != rows.row(i - 1);
                    if i == 0 || restart {
                        pos = 0;
                        rank = 0;
                    }
                    pos += 1;
                    if changed {
                        rank = if *dense { rank + 1 } else { pos };
                    }
                    v.push(rank);
                }
                Arc::new(Int64Array::from(v))
            }
            WindowFunc::Session {
                expr,
                max_from_first,
                max_between,
                restart,
            } => {
                let a = arr(expr)?;
                let r = restarts(restart)?;
                let p = a
                    .as_primitive_opt::<Int64Type>()
                    .ok_or_else(|| internal("row_window_session over a non-datetime"))?;
                let mut start: Option<i64> = None;
                let mut last: Option<i64> = None;
                let v: Int64Array = (0..n)
                    .map(|i| {
                        if !p.is_valid(i) {
                            return None;
                        }
                        let t = p.value(i);
                        let new = match (start, last) {
                            (Some(s), Some(l)) => {
                                r[i] || t - s > *max_from_first || t - l > *max_between
                            }
                            _ => true,
                        };
                        if new {
                            start = Some(t);
                        }
                        last = Some(t);
                        start
                    })
                    .collect();
                Arc::new(v)
            }
        };
        columns.push(col);
    }
    let out = RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(n)),
    )
    .map_err(arrow_err)?;
    Ok(Table {
        schema,
        batches: vec![out],
    })
}
