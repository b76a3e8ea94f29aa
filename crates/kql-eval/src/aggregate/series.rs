//! `make-series`: turns the rows of an aggregation by group keys and axis
//! bin into one row per group, each aggregate an array over the axis bins
//! (bins without rows hold the aggregate's default).

use super::groups::Groups;
use super::state::{json_item, json_long, json_real};
use crate::error::{internal, runtime, EvalResult};
use crate::expr::arrow_err;
use crate::expr::eval;
use crate::value::{array_value, scalars_to_array};
use crate::{arrow_schema_of, EvalContext, Table};
use arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use kql_common::{KqlType, ScalarValue};
use kql_planner::plan::{MakeSeries, PlanExpr, MAX_SERIES_BINS};
use kql_planner::LogicalPlan;
use std::sync::Arc;

/// The bins of the axis: integers (datetime, timespan, long) or reals.
enum Bins {
    Int(Vec<Option<i64>>),
    Real(Vec<Option<f64>>),
}

/// Builds the series from the aggregated `input` (group keys, bin,
/// aggregates).
pub fn make_series(m: &MakeSeries, input: &Table, ctx: &EvalContext) -> EvalResult<Table> {
    let start = m.start.as_ref().map(|e| bound(e, ctx)).transpose()?;
    let end = m.end.as_ref().map(|e| bound(e, ctx)).transpose()?;
    let out_schema = arrow_schema_of(&LogicalPlan::MakeSeries(Box::new(m.clone())).schema());
    let batch = concat_batches(&input.schema, &input.batches).map_err(arrow_err)?;
    let rows = batch.num_rows();
    let in_schema = m.input.schema();
    let bin_col = batch
        .columns()
        .get(m.groups)
        .ok_or_else(|| internal("make-series input has no bin column"))?;
    let bins = match bin_col.data_type() {
        DataType::Float64 => Bins::Real(bin_col.as_primitive::<Float64Type>().iter().collect()),
        DataType::Int64 => Bins::Int(bin_col.as_primitive::<Int64Type>().iter().collect()),
        t => return Err(internal(format!("make-series bins of type {t}"))),
    };

    // The range of bins: the given bounds, or those of the data.
    let (first, count) = match &bins {
        Bins::Int(v) => {
            let lo = v.iter().flatten().min().copied();
            let hi = v.iter().flatten().max().copied();
            let step = int_of(&m.step)?;
            let start = match &start {
                Some(s) => int_or_null(s)?,
                None => lo,
            };
            let end = match &end {
                Some(e) => int_or_null(e)?,
                None => hi.map(|h| h.saturating_add(step)),
            };
            let count = match (start, end) {
                (Some(s), Some(e)) if e > s => {
                    let span = i128::from(e) - i128::from(s);
                    let step = i128::from(step);
                    ((span + step - 1) / step).min(i128::from(i64::MAX)) as i64
                }
                _ => 0,
            };
            (ScalarValue::Long(start.unwrap_or(0)), count)
        }
        Bins::Real(v) => {
            let lo = v.iter().flatten().copied().reduce(f64::min);
            let hi = v.iter().flatten().copied().reduce(f64::max);
            let step = real_of(&m.step)?;
            let start = match &start {
                Some(ScalarValue::Null(_)) => None,
                Some(s) => Some(real_of(s)?),
                None => lo,
            };
            let end = match &end {
                Some(ScalarValue::Null(_)) => None,
                Some(e) => Some(real_of(e)?),
                None => hi.map(|h| h + step),
            };
            let count = match (start, end) {
                (Some(s), Some(e)) if e > s => ((e - s) / step).ceil().min(i64::MAX as f64) as i64,
                _ => 0,
            };
            (ScalarValue::Real(start.unwrap_or(0.0)), count)
        }
    };
    if count > MAX_SERIES_BINS {
        return Err(runtime(
            "kql::eval::too_many_bins",
            format!("make-series would build {count} bins; at most {MAX_SERIES_BINS} are allowed"),
            m.span,
        )
        .with_help("use a larger step, or give `from` and `to`"));
    }
    let count = usize::try_from(count).unwrap_or(0);

    // Each row's group and bin index.
    let key_types: Vec<DataType> = batch
        .columns()
        .iter()
        .take(m.groups)
        .map(|c| c.data_type().clone())
        .collect();
    let mut groups = Groups::new(&key_types)?;
    let mut ids = Vec::new();
    let keys: Vec<ArrayRef> = batch.columns().iter().take(m.groups).cloned().collect();
    groups.assign(&keys, rows, &mut ids)?;
    let ngroups = if rows == 0 { 0 } else { groups.len() };
    let index = |i: usize| -> Option<usize> {
        let k = match (&bins, &first) {
            (Bins::Int(v), ScalarValue::Long(s)) => {
                let step = int_of(&m.step).ok()?;
                let d = i128::from((*v.get(i)?)?) - i128::from(*s);
                if d < 0 {
                    return None;
                }
                i64::try_from(d / i128::from(step)).ok()?
            }
            (Bins::Real(v), ScalarValue::Real(s)) => {
                let step = real_of(&m.step).ok()?;
                let k = (((*v.get(i)?)? - s) / step).round();
                if k.is_nan() || k < 0.0 {
                    return None;
                }
                k as i64
            }
            _ => return None,
        };
        usize::try_from(k).ok().filter(|&k| k < count)
    };
    // slots[group * count + bin]: the row of that bin, if any.
    let mut slots: Vec<Option<u32>> = vec![None; ngroups * count];
    for (i, &g) in ids.iter().enumerate() {
        if let Some(k) = index(i) {
            if let Some(s) = slots.get_mut(g as usize * count + k) {
                *s = Some(i as u32);
            }
        }
    }

    let out_rows = if ngroups == 0 && m.nonempty {
        1
    } else {
        ngroups
    };
    let mut columns: Vec<ArrayRef> = if ngroups == 0 {
        in_schema
            .columns
            .iter()
            .take(m.groups)
            .map(|c| scalars_to_array(&vec![ScalarValue::Null(c.ty); out_rows], c.ty))
            .collect::<EvalResult<_>>()?
    } else {
        groups.finish()?
    };
    for (a, default) in m.defaults.iter().enumerate() {
        let col = m.groups + 1 + a;
        let values = batch
            .columns()
            .get(col)
            .ok_or_else(|| internal("make-series aggregate column missing"))?;
        let ty = in_schema.columns.get(col).map_or(KqlType::Long, |c| c.ty);
        let default_json = {
            let d = scalars_to_array(std::slice::from_ref(default), ty)?;
            let mut s = String::new();
            if !json_item(&d, ty, 0, &mut s) {
                s = "null".to_string();
            }
            s
        };
        let mut b = StringBuilder::with_capacity(out_rows, out_rows * count * 4);
        let mut text = String::new();
        for g in 0..out_rows {
            text.clear();
            text.push('[');
            for k in 0..count {
                if k > 0 {
                    text.push(',');
                }
                match slots.get(g * count + k).copied().flatten() {
                    Some(row) => {
                        if !json_item(values, ty, row as usize, &mut text) {
                            text.push_str("null");
                        }
                    }
                    None => text.push_str(&default_json),
                }
            }
            text.push(']');
            b.append_value(&text);
        }
        columns.push(Arc::new(b.finish()));
    }

    // The axis: the same array on every row.
    let mut axis = String::from("[");
    for k in 0..count {
        if k > 0 {
            axis.push(',');
        }
        match &first {
            ScalarValue::Long(s) => {
                let step = int_of(&m.step)?;
                json_long(
                    m.axis_ty,
                    s.saturating_add(step.saturating_mul(k as i64)),
                    &mut axis,
                );
            }
            ScalarValue::Real(s) => json_real(s + real_of(&m.step)? * k as f64, &mut axis),
            _ => {}
        }
    }
    axis.push(']');
    let mut b = StringBuilder::with_capacity(out_rows, out_rows * axis.len());
    for _ in 0..out_rows {
        b.append_value(&axis);
    }
    columns.push(Arc::new(b.finish()));

    let batch = RecordBatch::try_new_with_options(
        out_schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(out_rows)),
    )
    .map_err(arrow_err)?;
    Ok(Table {
        schema: out_schema,
        batches: vec![batch],
    })
}

/// The value of a bound expression (it has no columns).
fn bound(e: &PlanExpr, ctx: &EvalContext) -> EvalResult<ScalarValue> {
    if let Some(v) = e.as_literal() {
        return Ok(v.clone());
    }
    let batch = RecordBatch::try_new_with_options(
        Arc::new(arrow::datatypes::Schema::empty()),
        vec![],
        &RecordBatchOptions::new().with_row_count(Some(1)),
    )
    .map_err(arrow_err)?;
    let a = eval(e, &batch, ctx)?.into_array(1);
    Ok(array_value(a.as_ref(), e.ty, 0))
}

/// A whole-number bound; None for null (as if not given).
fn int_or_null(v: &ScalarValue) -> EvalResult<Option<i64>> {
    match v {
        ScalarValue::Null(_) => Ok(None),
        v => int_of(v).map(Some),
    }
}

fn int_of(v: &ScalarValue) -> EvalResult<i64> {
    match v {
        ScalarValue::Long(x) | ScalarValue::DateTime(x) | ScalarValue::TimeSpan(x) => Ok(*x),
        ScalarValue::Int(x) => Ok(i64::from(*x)),
        _ => Err(internal("make-series bound is not a whole number")),
    }
}

fn real_of(v: &ScalarValue) -> EvalResult<f64> {
    match v {
        ScalarValue::Real(x) => Ok(*x),
        ScalarValue::Long(x) => Ok(*x as f64),
        _ => Err(internal("make-series bound is not a number")),
    }
}
