//! `top N by ...` (and `sort ... | take N`) without sorting every row.
//!
//! Each batch keeps only its own first `N` rows in sort order (on all cores;
//! one integer key runs through a bounded heap, other keys through Arrow's
//! partial sort), and only those candidate rows are copied. After each
//! window of input batches the candidates are sorted together with the
//! best `N` rows so far, and only the best `N` are kept. Rows with equal keys keep their input order,
//! as in the full sort: the row's position in the input is the last key.

use crate::error::EvalResult;
use crate::expr::{arrow_err, eval_plain};
use crate::stream::Pipeline;
use crate::{parallel, EvalContext, Table};
use arrow::array::{Array, ArrayRef, AsArray, UInt32Array, UInt64Array};
use arrow::compute::{concat_batches, lexsort_to_indices, take_record_batch};
use arrow::compute::{SortColumn, SortOptions};
use arrow::datatypes::{DataType, Int32Type, Int64Type};
use arrow::record_batch::RecordBatch;
use kql_planner::plan::{Sort, SortKey};
use std::collections::BinaryHeap;
use std::sync::Arc;

/// Whether `top` keeps candidates as it reads (for a small `k`; a large
/// one sorts every row).
pub(crate) fn streams(k: usize) -> bool {
    k <= 10_000
}

/// The first `k` rows of `input` in the order of `s.keys`.
///
/// The input is read a window at a time; the candidates of the window's
/// batches join the best `k` rows kept so far, and only the best `k` of
/// them are kept (with their input positions, which break ties), so the
/// memory held is bounded by `k` and one window.
pub(crate) fn top(s: &Sort, input: Pipeline<'_>, k: usize, ctx: &EvalContext) -> EvalResult<Table> {
    top_with_positions(s, input, k, ctx).map(|(t, _)| t)
}

/// [`top`], with the input position of each row of the result.
pub(crate) fn top_with_positions(
    s: &Sort,
    mut input: Pipeline<'_>,
    k: usize,
    ctx: &EvalContext,
) -> EvalResult<(Table, Vec<u64>)> {
    let schema = input.schema.clone();
    let mut kept: Option<(RecordBatch, Vec<u64>)> = None;
    let mut at = 0u64;
    while let Some(window) = input.next_window()? {
        let batches = parallel::morsels(&window);
        drop(window);
        let mut starts = Vec::with_capacity(batches.len());
        for b in &batches {
            starts.push(at);
            at += b.num_rows() as u64;
        }
        let rows = batches.iter().map(RecordBatch::num_rows).sum();
        let par = parallel::worth_it(ctx, batches.len(), rows);
        let parts = parallel::map(ctx, batches.len(), par, |i| {
            candidates(&s.keys, &batches[i], starts[i], k, ctx)
        });
        let mut picked = Vec::with_capacity(parts.len() + 1);
        let mut positions: Vec<u64> = Vec::new();
        if let Some((batch, pos)) = kept.take() {
            picked.push(batch);
            positions.extend(pos);
        }
        for p in parts {
            let (batch, pos) = p?;
            if batch.num_rows() > 0 {
                picked.push(batch);
                positions.extend(pos);
            }
        }
        let all = concat_batches(&schema, &picked).map_err(arrow_err)?;
        kept = Some(if all.num_rows() > k {
            best(s, &all, positions, k, ctx)?
        } else {
            (all, positions)
        });
    }
    let Some((all, positions)) = kept.filter(|(b, _)| b.num_rows() > 0) else {
        return Ok((
            Table {
                schema,
                batches: vec![],
            },
            vec![],
        ));
    };
    let (sorted, positions) = best(s, &all, positions, k, ctx)?;
    Ok((
        Table {
            schema,
            batches: vec![sorted],
        },
        positions,
    ))
}

/// The first `k` rows of `all` (whose rows are at input `positions`), in
/// order, with their positions.
fn best(
    s: &Sort,
    all: &RecordBatch,
    positions: Vec<u64>,
    k: usize,
    ctx: &EvalContext,
) -> EvalResult<(RecordBatch, Vec<u64>)> {
    let mut columns = sort_columns(&s.keys, all, ctx)?;
    let positions = Arc::new(UInt64Array::from(positions));
    columns.push(SortColumn {
        values: positions.clone(),
        options: Some(SortOptions {
            descending: false,
            nulls_first: false,
        }),
    });
    let indices = lexsort_to_indices(&columns, Some(k)).map_err(arrow_err)?;
    let sorted = take_record_batch(all, &indices).map_err(arrow_err)?;
    let kept = arrow::compute::take(positions.as_ref(), &indices, None).map_err(arrow_err)?;
    let kept = kept
        .as_primitive::<arrow::datatypes::UInt64Type>()
        .values()
        .to_vec();
    Ok((sorted, kept))
}

fn sort_columns(
    keys: &[SortKey],
    batch: &RecordBatch,
    ctx: &EvalContext,
) -> EvalResult<Vec<SortColumn>> {
    let n = batch.num_rows();
    keys.iter()
        .map(|k| {
            Ok(SortColumn {
                values: eval_plain(&k.expr, batch, ctx)?.into_array(n),
                options: Some(SortOptions {
                    descending: k.descending,
                    nulls_first: k.nulls_first,
                }),
            })
        })
        .collect()
}

/// The first `k` rows of one batch (whose first row is input row
/// `start`), with their input positions.
fn candidates(
    keys: &[SortKey],
    batch: &RecordBatch,
    start: u64,
    k: usize,
    ctx: &EvalContext,
) -> EvalResult<(RecordBatch, Vec<u64>)> {
    ctx.check_cancelled()?;
    let n = batch.num_rows();
    let mut columns = sort_columns(keys, batch, ctx)?;
    let idx: Vec<u32> = match columns.as_slice() {
        [one] if k < n => match heap_top(one, k) {
            Some(idx) => idx,
            None => partial_sort(&mut columns, n, k)?,
        },
        _ => partial_sort(&mut columns, n, k)?,
    };
    let positions = idx.iter().map(|&i| start + u64::from(i)).collect();
    let taken = take_record_batch(batch, &UInt32Array::from(idx)).map_err(arrow_err)?;
    Ok((taken, positions))
}

fn partial_sort(columns: &mut Vec<SortColumn>, n: usize, k: usize) -> EvalResult<Vec<u32>> {
    columns.push(SortColumn {
        values: Arc::new(UInt32Array::from_iter_values(0..n as u32)),
        options: Some(SortOptions {
            descending: false,
            nulls_first: false,
        }),
    });
    let idx = lexsort_to_indices(columns, Some(k.min(n))).map_err(arrow_err)?;
    Ok(idx.values().to_vec())
}

/// The positions of the first `k` rows by one integer key (`None` for
/// other key types), in ascending position order.
///
/// Each value is mapped to a `u64` whose unsigned order is the requested
/// order (nulls first or last as asked); a max-heap holds the `k` smallest
/// `(key, position)` pairs seen, so most rows cost one comparison with its
/// top.
fn heap_top(col: &SortColumn, k: usize) -> Option<Vec<u32>> {
    let opts = col.options.unwrap_or_default();
    let a: &ArrayRef = &col.values;
    let n = a.len();
    let widened: Vec<i64>;
    let vals: &[i64] = match a.data_type() {
        DataType::Int64 => a.as_primitive::<Int64Type>().values(),
        DataType::Int32 => {
            widened = a
                .as_primitive::<Int32Type>()
                .values()
                .iter()
                .map(|&x| i64::from(x))
                .collect();
            &widened
        }
        _ => return None,
    };
    let nulls = a.logical_nulls();
    let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
    if k == 0 {
        return Some(vec![]);
    }
    // Values in 1..=u64::MAX - 1 (order-preserving), nulls at 0 or MAX.
    let value_key = |x: i64| {
        let u = (x as u64) ^ (1 << 63);
        let u = if opts.descending { !u } else { u };
        u.clamp(1, u64::MAX - 1)
    };
    // Clamping merges i64::MIN with i64::MIN + 1 (and MAX with MAX - 1),
    // so ties there are broken below by the full comparison.
    let exact = |i: usize| -> (u8, i128) {
        let null_rank = if is_null(i) {
            if opts.nulls_first {
                0
            } else {
                2
            }
        } else {
            1
        };
        // The value under a null slot is arbitrary: nulls tie, and their
        // positions order them.
        let v = if null_rank == 1 {
            i128::from(vals[i])
        } else {
            0
        };
        (null_rank, if opts.descending { -v } else { v })
    };
    let key = |i: usize| -> u64 {
        if is_null(i) {
            if opts.nulls_first {
                0
            } else {
                u64::MAX
            }
        } else {
            value_key(vals[i])
        }
    };
    let mut heap: BinaryHeap<(u64, (u8, i128), u32)> = BinaryHeap::with_capacity(k + 1);
    for i in 0..n {
        let kk = key(i);
        if heap.len() < k {
            heap.push((kk, exact(i), i as u32));
            continue;
        }
        let Some(&(top, _, _)) = heap.peek() else {
            continue;
        };
        // A later row with an equal key comes after the heap's rows.
        if kk > top {
            continue;
        }
        let e = exact(i);
        let cand = (kk, e, i as u32);
        if heap.peek().is_some_and(|t| cand < *t) {
            heap.pop();
            heap.push(cand);
        }
    }
    let mut idx: Vec<u32> = heap.into_iter().map(|(_, _, i)| i).collect();
    idx.sort_unstable();
    Some(idx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;

    fn full_sort_first(a: &ArrayRef, opts: SortOptions, k: usize) -> Vec<u32> {
        let n = a.len();
        let cols = vec![
            SortColumn {
                values: a.clone(),
                options: Some(opts),
            },
            SortColumn {
                values: Arc::new(UInt32Array::from_iter_values(0..n as u32)),
                options: None,
            },
        ];
        let idx = lexsort_to_indices(&cols, None).expect("sort");
        let mut v: Vec<u32> = idx.values().iter().take(k).copied().collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn heap_matches_a_full_stable_sort() {
        let mut x = 7u64;
        let mut vals = Vec::new();
        for i in 0..3000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            vals.push(match i % 11 {
                0 => None,
                1 => Some(i64::MIN),
                2 => Some(i64::MAX),
                3 => Some(i64::MIN + 1),
                _ => Some((x % 50) as i64 - 25),
            });
        }
        let clean = Int64Array::from(vals);
        // The same column with arbitrary values under its null slots (as a
        // Parquet reader may leave them): nulls still tie.
        let garbage: Vec<i64> = (0..clean.len())
            .map(|i| match clean.is_null(i) {
                true => 1_000 - i as i64,
                false => clean.value(i),
            })
            .collect();
        let dirty = Int64Array::new(garbage.into(), clean.nulls().cloned());
        for a in [Arc::new(clean) as ArrayRef, Arc::new(dirty) as ArrayRef] {
            check_heap(&a);
        }
    }

    fn check_heap(a: &ArrayRef) {
        for descending in [false, true] {
            for nulls_first in [false, true] {
                let opts = SortOptions {
                    descending,
                    nulls_first,
                };
                for k in [1, 5, 10, 300, 2999, 3000] {
                    let col = SortColumn {
                        values: a.clone(),
                        options: Some(opts),
                    };
                    assert_eq!(
                        heap_top(&col, k),
                        Some(full_sort_first(a, opts, k)),
                        "{opts:?} k={k}"
                    );
                }
            }
        }
    }
}
