//! The time-window plugins (`sliding_window_counts`,
//! `activity_counts_metrics`, `active_users_count`, `rolling_percentile`):
//! one pass groups the rows by their dimension values, then each group's
//! (time, id) pairs are counted per bin.

use crate::error::EvalResult;
use crate::expr::{arrow_err, eval_plain};
use crate::{arrow_schema_of, EvalContext, Table};
use arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, UInt32Array};
use arrow::compute::concat_batches;
use arrow::datatypes::{Float64Type, Int64Type};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use kql_common::KqlType;
use kql_planner::rowops::{ActivityKind, ActivityPlan, RowOp};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// The start of the bin of `t` for bins of `size` aligned on `origin`.
fn bin_at(t: i64, size: i64, origin: i64) -> i64 {
    origin + (t - origin).div_euclid(size) * size
}

/// One output row: the group's first input row, the bin, the values.
struct Out {
    row: u32,
    bin: i64,
    values: Vec<f64>,
}

pub fn activity(
    r: &RowOp,
    p: &ActivityPlan,
    input: &Table,
    ctx: &EvalContext,
) -> EvalResult<Table> {
    let batch = concat_batches(&input.schema, &input.batches).map_err(arrow_err)?;
    let n = batch.num_rows();
    let time = eval_plain(&p.time, &batch, ctx)?.into_array(n);
    let time = time.as_primitive::<Int64Type>();
    let id = eval_plain(&p.id, &batch, ctx)?.into_array(n);
    // Groups by the dimension values' text.
    let mut dim_text: Vec<ArrayRef> = Vec::new();
    for (_, e) in &p.dims {
        let a = eval_plain(e, &batch, ctx)?.into_array(n);
        dim_text.push(crate::cast::to_string_array(&a, e.ty)?);
    }
    let mut groups: Vec<(u32, Vec<usize>)> = Vec::new();
    let mut by_key: HashMap<Vec<String>, usize> = HashMap::new();
    for i in 0..n {
        if time.is_null(i) || id.is_null(i) {
            continue;
        }
        let key: Vec<String> = dim_text
            .iter()
            .map(|a| a.as_string::<i32>().value(i).to_string())
            .collect();
        let g = *by_key.entry(key).or_insert_with(|| {
            groups.push((i as u32, Vec::new()));
            groups.len() - 1
        });
        groups[g].1.push(i);
    }
    let ids = id.as_string_opt::<i32>();
    let vals = id.as_primitive_opt::<Float64Type>();
    let id_of = |i: usize| ids.map_or("", |s| s.value(i));
    let mut out: Vec<Out> = Vec::new();
    for (first, rows) in &groups {
        ctx.check_cancelled()?;
        let push = |out: &mut Vec<Out>, bin: i64, values: Vec<f64>| {
            out.push(Out {
                row: *first,
                bin,
                values,
            })
        };
        match &p.kind {
            ActivityKind::SlidingWindowCounts {
                start,
                end,
                lookback,
                bin,
            } => {
                let mut b = *start;
                while b <= *end {
                    let (lo, hi) = (b + bin - lookback, b + bin);
                    let mut count = 0;
                    let mut distinct = HashSet::new();
                    for &i in rows {
                        let t = time.value(i);
                        if t >= lo && t < hi {
                            count += 1;
                            distinct.insert(id_of(i));
                        }
                    }
                    push(&mut out, b, vec![count as f64, distinct.len() as f64]);
                    b += bin;
                }
            }
            ActivityKind::ActivityCountsMetrics { start, end, window } => {
                let mut per_bin: BTreeMap<i64, (usize, HashSet<&str>)> = BTreeMap::new();
                for &i in rows {
                    let t = time.value(i);
                    if t < *start || t > *end {
                        continue;
                    }
                    let e = per_bin.entry(bin_at(t, *window, *start)).or_default();
                    e.0 += 1;
                    e.1.insert(id_of(i));
                }
                let mut seen: HashSet<&str> = HashSet::new();
                let mut b = *start;
                while b <= *end {
                    let (count, ids) = per_bin.remove(&b).unwrap_or_default();
                    let new = ids.iter().filter(|x| !seen.contains(*x)).count();
                    seen.extend(ids.iter().copied());
                    push(
                        &mut out,
                        b,
                        vec![
                            count as f64,
                            ids.len() as f64,
                            new as f64,
                            seen.len() as f64,
                        ],
                    );
                    b += window;
                }
            }
            ActivityKind::ActiveUsersCount {
                start,
                end,
                lookback,
                period,
                active_periods,
                bin,
            } => {
                // Each id's appearance times, sorted.
                let mut times: HashMap<&str, Vec<i64>> = HashMap::new();
                for &i in rows {
                    times.entry(id_of(i)).or_default().push(time.value(i));
                }
                let mut per_bin: BTreeMap<i64, BTreeSet<&str>> = BTreeMap::new();
                for (who, ts) in &mut times {
                    ts.sort_unstable();
                    for &t in ts.iter() {
                        if t < *start || t > *end {
                            continue;
                        }
                        let periods: HashSet<i64> = ts
                            .iter()
                            .filter(|&&u| u > t - lookback && u <= t)
                            .map(|&u| u.div_euclid(*period))
                            .collect();
                        if periods.len() as i64 >= *active_periods {
                            per_bin
                                .entry(bin_at(t, *bin, *start))
                                .or_default()
                                .insert(who);
                        }
                    }
                }
                for (b, who) in per_bin {
                    push(&mut out, b, vec![who.len() as f64]);
                }
            }
            ActivityKind::RollingPercentile {
                percentile,
                bin,
                lookback,
                ..
            } => {
                let mut per_bin: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
                for &i in rows {
                    if let Some(v) = vals.filter(|v| v.is_valid(i)).map(|v| v.value(i)) {
                        per_bin
                            .entry(time.value(i).div_euclid(*bin) * bin)
                            .or_default()
                            .push(v);
                    }
                }
                let (Some(&lo), Some(&hi)) = (per_bin.keys().next(), per_bin.keys().next_back())
                else {
                    continue;
                };
                let mut b = lo;
                while b <= hi {
                    let mut window: Vec<f64> = per_bin
                        .range(b - (lookback - 1) * bin..=b)
                        .flat_map(|(_, v)| v.iter().copied())
                        .collect();
                    if !window.is_empty() {
                        window.sort_by(f64::total_cmp);
                        let rank = (percentile / 100.0 * window.len() as f64).ceil() as usize;
                        let v = window[rank.clamp(1, window.len()) - 1];
                        push(&mut out, b, vec![v]);
                    }
                    b += bin;
                }
            }
        }
    }
    let schema_k = r.schema();
    let schema = arrow_schema_of(&schema_k);
    let rows = UInt32Array::from_iter_values(out.iter().map(|o| o.row));
    let mut columns: Vec<ArrayRef> = vec![Arc::new(Int64Array::from_iter_values(
        out.iter().map(|o| o.bin),
    ))];
    for (_, e) in &p.dims {
        let a = eval_plain(e, &batch, ctx)?.into_array(n);
        columns.push(crate::join::gather(&a, &rows, e.ty)?);
    }
    let n_values = schema_k.len() - 1 - p.dims.len();
    for k in 0..n_values {
        let ty = schema_k.columns[1 + p.dims.len() + k].ty;
        let v: ArrayRef = Arc::new(Float64Array::from_iter_values(
            out.iter().map(|o| o.values.get(k).copied().unwrap_or(0.0)),
        ));
        columns.push(if ty == KqlType::Real {
            v
        } else {
            crate::cast::cast_array(&v, KqlType::Real, ty)?
        });
    }
    let batch = RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(out.len())),
    )
    .map_err(arrow_err)?;
    Ok(Table {
        schema,
        batches: vec![batch],
    })
}
