//! Hash aggregation for `summarize`, `count` and `distinct`.
//!
//! Group keys are encoded with Arrow's row format and looked up in a hash
//! map; each aggregate keeps a typed state vector indexed by group and is
//! updated one input array at a time.

use crate::error::{internal, EvalResult};
use crate::expr::{arrow_err, eval};
use crate::{arrow_schema_of, EvalContext, Table};
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray,
    StringBuilder,
};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use arrow::row::{RowConverter, SortField};
use kql_common::KqlType;
use kql_planner::functions::AggFunc;
use kql_planner::plan::{AggExpr, Aggregate};
use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

/// Runs an aggregation over every batch of `input`.
pub fn aggregate(agg: &Aggregate, input: &Table, ctx: &EvalContext) -> EvalResult<Table> {
    let out_schema = arrow_schema_of(&kql_planner::LogicalPlan::Aggregate(agg.clone()).schema());
    let key_fields: Vec<SortField> = agg
        .keys
        .iter()
        .map(|(_, e)| SortField::new(e.ty.arrow_type()))
        .collect();
    let mut converter = if agg.keys.is_empty() {
        None
    } else {
        Some(RowConverter::new(key_fields).map_err(arrow_err)?)
    };
    let mut groups: HashMap<Box<[u8]>, u32> = HashMap::new();
    let mut group_rows = converter.as_ref().map(|c| c.empty_rows(0, 0));
    let mut ngroups: usize = if agg.keys.is_empty() { 1 } else { 0 };
    let mut accs: Vec<Acc> = agg.aggs.iter().map(|(_, a)| Acc::new(a)).collect();
    let mut ids: Vec<u32> = Vec::new();

    for batch in &input.batches {
        let n = batch.num_rows();
        if n == 0 {
            continue;
        }
        ids.clear();
        if let (Some(conv), Some(stored)) = (converter.as_mut(), group_rows.as_mut()) {
            let keys = agg
                .keys
                .iter()
                .map(|(_, e)| Ok(eval(e, batch, ctx)?.into_array(n)))
                .collect::<EvalResult<Vec<ArrayRef>>>()?;
            let rows = conv.convert_columns(&keys).map_err(arrow_err)?;
            for i in 0..n {
                let row = rows.row(i);
                let bytes = row.as_ref();
                let id = match groups.get(bytes) {
                    Some(&id) => id,
                    None => {
                        let id = u32::try_from(ngroups).map_err(|_| internal("too many groups"))?;
                        groups.insert(bytes.into(), id);
                        stored.push(row);
                        ngroups += 1;
                        id
                    }
                };
                ids.push(id);
            }
        } else {
            ids.resize(n, 0);
        }
        for (acc, (_, a)) in accs.iter_mut().zip(&agg.aggs) {
            let args = a
                .args
                .iter()
                .map(|e| Ok(eval(e, batch, ctx)?.into_array(n)))
                .collect::<EvalResult<Vec<ArrayRef>>>()?;
            acc.update(&ids, &args, ngroups)?;
        }
    }

    let mut columns: Vec<ArrayRef> = match (converter.as_ref(), group_rows) {
        (Some(conv), Some(stored)) => conv.convert_rows(&stored).map_err(arrow_err)?,
        _ => vec![],
    };
    for acc in accs {
        columns.push(acc.finish(ngroups)?);
    }
    let batch = RecordBatch::try_new_with_options(
        out_schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(ngroups)),
    )
    .map_err(arrow_err)?;
    Ok(Table {
        schema: out_schema,
        batches: vec![batch],
    })
}

/// Per-group state of one aggregate.
enum Acc {
    Count(Vec<i64>),
    CountIf(Vec<i64>),
    SumLong(Vec<Option<i64>>),
    SumReal(Vec<Option<f64>>),
    Avg(Vec<f64>, Vec<i64>),
    /// min/max/take_any over Int64-backed types.
    PickLong(Pick, Vec<Option<i64>>),
    PickInt(Pick, Vec<Option<i32>>),
    PickReal(Pick, Vec<Option<f64>>),
    PickBool(Pick, Vec<Option<bool>>),
    PickString(Pick, Vec<Option<String>>),
    DCount(Vec<HashSet<u64>>),
    /// An aggregate with no state: always null.
    Null(KqlType),
}

#[derive(Clone, Copy, PartialEq)]
enum Pick {
    Min,
    Max,
    First,
}

impl Pick {
    fn better<T: PartialOrd>(self, new: &T, old: &T) -> bool {
        match self {
            Pick::Min => new < old,
            Pick::Max => new > old,
            Pick::First => false,
        }
    }
}

fn grow<T: Clone>(v: &mut Vec<T>, n: usize, fill: T) {
    if v.len() < n {
        v.resize(n, fill);
    }
}

impl Acc {
    fn new(a: &AggExpr) -> Acc {
        let arg_ty = a.args.first().map_or(KqlType::Long, |e| e.ty);
        let pick = match a.func {
            AggFunc::Min => Some(Pick::Min),
            AggFunc::Max => Some(Pick::Max),
            AggFunc::TakeAny | AggFunc::Any => Some(Pick::First),
            _ => None,
        };
        if let Some(p) = pick {
            return match arg_ty {
                KqlType::Long | KqlType::DateTime | KqlType::TimeSpan => Acc::PickLong(p, vec![]),
                KqlType::Int => Acc::PickInt(p, vec![]),
                KqlType::Real | KqlType::Decimal => Acc::PickReal(p, vec![]),
                KqlType::Bool => Acc::PickBool(p, vec![]),
                _ => Acc::PickString(p, vec![]),
            };
        }
        match a.func {
            AggFunc::Count => Acc::Count(vec![]),
            AggFunc::CountIf => Acc::CountIf(vec![]),
            AggFunc::Sum if a.ty == KqlType::Real => Acc::SumReal(vec![]),
            AggFunc::Sum => Acc::SumLong(vec![]),
            AggFunc::Avg => Acc::Avg(vec![], vec![]),
            AggFunc::DCount => Acc::DCount(vec![]),
            _ => Acc::Null(a.ty),
        }
    }

    fn update(&mut self, ids: &[u32], args: &[ArrayRef], ngroups: usize) -> EvalResult<()> {
        let arg = |i: usize| -> EvalResult<&ArrayRef> {
            args.get(i)
                .ok_or_else(|| internal("aggregate argument missing"))
        };
        match self {
            Acc::Count(c) => {
                grow(c, ngroups, 0);
                match args.first() {
                    Some(a) if a.null_count() > 0 => {
                        for (i, &g) in ids.iter().enumerate() {
                            if a.is_valid(i) {
                                c[g as usize] += 1;
                            }
                        }
                    }
                    _ => {
                        for &g in ids {
                            c[g as usize] += 1;
                        }
                    }
                }
            }
            Acc::CountIf(c) => {
                grow(c, ngroups, 0);
                let b: &BooleanArray = arg(0)?.as_boolean();
                for (i, &g) in ids.iter().enumerate() {
                    if b.is_valid(i) && b.value(i) {
                        c[g as usize] += 1;
                    }
                }
            }
            Acc::SumLong(s) => {
                grow(s, ngroups, None);
                let a = arg(0)?;
                let a = to_i64(a)?;
                for (i, &g) in ids.iter().enumerate() {
                    if a.is_valid(i) {
                        let slot = &mut s[g as usize];
                        *slot = Some(slot.unwrap_or(0).wrapping_add(a.value(i)));
                    }
                }
            }
            Acc::SumReal(s) => {
                grow(s, ngroups, None);
                let a = to_f64(arg(0)?)?;
                for (i, &g) in ids.iter().enumerate() {
                    if a.is_valid(i) {
                        let slot = &mut s[g as usize];
                        *slot = Some(slot.unwrap_or(0.0) + a.value(i));
                    }
                }
            }
            Acc::Avg(sum, cnt) => {
                grow(sum, ngroups, 0.0);
                grow(cnt, ngroups, 0);
                let a = to_f64(arg(0)?)?;
                for (i, &g) in ids.iter().enumerate() {
                    if a.is_valid(i) {
                        sum[g as usize] += a.value(i);
                        cnt[g as usize] += 1;
                    }
                }
            }
            Acc::PickLong(p, v) => {
                grow(v, ngroups, None);
                let a = arg(0)?.as_primitive::<Int64Type>();
                pick_update(*p, v, ids, |i| a.is_valid(i).then(|| a.value(i)));
            }
            Acc::PickInt(p, v) => {
                grow(v, ngroups, None);
                let a = arg(0)?.as_primitive::<Int32Type>();
                pick_update(*p, v, ids, |i| a.is_valid(i).then(|| a.value(i)));
            }
            Acc::PickReal(p, v) => {
                grow(v, ngroups, None);
                let a = arg(0)?.as_primitive::<Float64Type>();
                pick_update(*p, v, ids, |i| {
                    a.is_valid(i).then(|| a.value(i)).filter(|x| !x.is_nan())
                });
            }
            Acc::PickBool(p, v) => {
                grow(v, ngroups, None);
                let a = arg(0)?.as_boolean();
                pick_update(*p, v, ids, |i| a.is_valid(i).then(|| a.value(i)));
            }
            Acc::PickString(p, v) => {
                grow(v, ngroups, None);
                let a: &StringArray = arg(0)?.as_string::<i32>();
                for (i, &g) in ids.iter().enumerate() {
                    if !a.is_valid(i) {
                        continue;
                    }
                    let x = a.value(i);
                    let slot = &mut v[g as usize];
                    let replace = match slot {
                        None => true,
                        Some(old) => p.better(&x, &old.as_str()),
                    };
                    if replace {
                        *slot = Some(x.to_string());
                    }
                }
            }
            Acc::DCount(sets) => {
                grow(sets, ngroups, HashSet::new());
                let a = arg(0)?;
                let conv = RowConverter::new(vec![SortField::new(a.data_type().clone())])
                    .map_err(arrow_err)?;
                let rows = conv
                    .convert_columns(std::slice::from_ref(a))
                    .map_err(arrow_err)?;
                for (i, &g) in ids.iter().enumerate() {
                    if a.is_valid(i) {
                        let mut h = DefaultHasher::new();
                        rows.row(i).as_ref().hash(&mut h);
                        sets[g as usize].insert(h.finish());
                    }
                }
            }
            Acc::Null(_) => {}
        }
        Ok(())
    }

    fn finish(self, n: usize) -> EvalResult<ArrayRef> {
        fn pad<T: Clone>(mut v: Vec<T>, n: usize, fill: T) -> Vec<T> {
            v.resize(n, fill);
            v
        }
        Ok(match self {
            Acc::Count(c) | Acc::CountIf(c) => Arc::new(Int64Array::from(pad(c, n, 0))),
            Acc::SumLong(s) => Arc::new(Int64Array::from(pad(s, n, None))),
            Acc::SumReal(s) => Arc::new(Float64Array::from(pad(s, n, None))),
            Acc::Avg(sum, cnt) => {
                let sum = pad(sum, n, 0.0);
                let cnt = pad(cnt, n, 0);
                let v: Float64Array = sum
                    .iter()
                    .zip(&cnt)
                    .map(|(s, &c)| (c > 0).then(|| s / c as f64))
                    .collect();
                Arc::new(v)
            }
            Acc::PickLong(_, v) => Arc::new(Int64Array::from(pad(v, n, None))),
            Acc::PickInt(_, v) => Arc::new(Int32Array::from(pad(v, n, None))),
            Acc::PickReal(_, v) => Arc::new(Float64Array::from(pad(v, n, None))),
            Acc::PickBool(_, v) => Arc::new(BooleanArray::from(pad(v, n, None))),
            Acc::PickString(_, v) => {
                let v = pad(v, n, None);
                let mut b = StringBuilder::with_capacity(n, n * 8);
                for s in v {
                    b.append_option(s);
                }
                Arc::new(b.finish())
            }
            Acc::DCount(sets) => {
                let v: Vec<i64> = pad(sets, n, HashSet::new())
                    .iter()
                    .map(|s| s.len() as i64)
                    .collect();
                Arc::new(Int64Array::from(v))
            }
            Acc::Null(t) => arrow::array::new_null_array(&t.arrow_type(), n),
        })
    }
}

fn pick_update<T: PartialOrd + Copy>(
    p: Pick,
    v: &mut [Option<T>],
    ids: &[u32],
    get: impl Fn(usize) -> Option<T>,
) {
    for (i, &g) in ids.iter().enumerate() {
        if let Some(x) = get(i) {
            let slot = &mut v[g as usize];
            match slot {
                None => *slot = Some(x),
                Some(old) if p.better(&x, old) => *slot = Some(x),
                _ => {}
            }
        }
    }
}

fn to_i64(a: &ArrayRef) -> EvalResult<Int64Array> {
    let c = arrow::compute::kernels::cast::cast(a, &arrow::datatypes::DataType::Int64)
        .map_err(arrow_err)?;
    Ok(c.as_primitive::<Int64Type>().clone())
}

fn to_f64(a: &ArrayRef) -> EvalResult<Float64Array> {
    let c = arrow::compute::kernels::cast::cast(a, &arrow::datatypes::DataType::Float64)
        .map_err(arrow_err)?;
    Ok(c.as_primitive::<Float64Type>().clone())
}
