//! Hash aggregation for `summarize`, `count` and `distinct`.
//!
//! Each input batch is mapped to dense group ids (see [`groups`]), then every
//! aggregate updates its typed per-group state from whole argument arrays.
//! Key and argument columns may be plain or dictionary-encoded strings
//! ([`crate::dict`]), batch by batch; the results are the same.
//! `arg_max`/`arg_min` (and `take_any` of several values) pick one row per
//! group; the columns they return are gathered from that row at the end.

pub(crate) mod groups;
mod series;
mod sketch;
mod state;

pub use series::make_series;

use crate::dict;
use crate::error::{internal, EvalResult};
use crate::expr::{arrow_err, eval};
use crate::stream::Pipeline;
use crate::{arrow_schema_of, EvalContext, Table};
use arrow::array::{new_null_array, Array, ArrayRef, AsArray};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use groups::Groups;
use kql_planner::functions::AggFunc;
use kql_planner::plan::{AggExpr, Aggregate, PlanExpr};
use state::{Acc, Selector};

/// Marks a row that an aggregate skips (its predicate is not true).
const SKIP: u32 = u32::MAX;

/// How one output aggregate is computed.
enum Slot {
    Acc {
        acc: Box<Acc>,
        /// Argument positions evaluated per batch (constants are read by the
        /// accumulator when it is built).
        value: Option<PlanExpr>,
        /// `covariance`'s y, `percentilesw`'s weight.
        second: Option<PlanExpr>,
        predicate: Option<PlanExpr>,
    },
    /// A column of the row picked by selector `sel`.
    Picked {
        sel: usize,
        expr: PlanExpr,
        arrays: Vec<ArrayRef>,
    },
}

/// The state of an aggregation over some of its input batches.
struct Partial {
    groups: Groups,
    selectors: Vec<Selector>,
    slots: Vec<Slot>,
    /// Non-empty batches seen so far (row pickers name a row by the
    /// batch's number among them).
    seen: usize,
}

/// Runs an aggregation over every batch of `input`.
pub fn aggregate(agg: &Aggregate, input: &Table, ctx: &EvalContext) -> EvalResult<Table> {
    aggregate_stream(
        agg,
        Pipeline::from_table(input.clone(), ctx).keep_encoded(),
        ctx,
    )
}

/// Runs an aggregation over the batches of a pipeline, a window at a time,
/// so only the aggregation's state and one window of input are held.
///
/// With several cores and enough rows, each window is cut into contiguous
/// runs of batches, one per thread. When every aggregate merges the same in
/// any order, each thread keeps its own state across windows and the states
/// are merged once at the end ([`aggregate_per_thread`]). Otherwise (as for
/// `take_any`) the first run updates the running state while the others
/// are aggregated into partial states, merged into it in input order after
/// each window. Either way groups keep the order of their first row and
/// every value is what one pass would compute. Aggregates whose partial
/// states cannot be merged exactly (floating-point sums, ordered
/// collections, row pickers) run in one pass.
pub(crate) fn aggregate_stream(
    agg: &Aggregate,
    mut input: Pipeline<'_>,
    ctx: &EvalContext,
) -> EvalResult<Table> {
    let out_schema = arrow_schema_of(&kql_planner::LogicalPlan::Aggregate(agg.clone()).schema());
    let mut state = new_partial(agg)?;
    let mergeable = state.selectors.is_empty()
        && state.slots.iter().all(|s| match s {
            Slot::Acc { acc, .. } => acc.mergeable(),
            Slot::Picked { .. } => false,
        });
    let threads = crate::parallel::threads(ctx);
    let order_free = mergeable
        && state.slots.iter().all(|s| match s {
            Slot::Acc { acc, .. } => acc.order_free(),
            Slot::Picked { .. } => false,
        });
    if order_free && threads > 1 {
        let (columns, ngroups) = aggregate_per_thread(agg, state, input, ctx, threads)?;
        return table_of(out_schema, columns, ngroups);
    }
    while let Some(window) = input.next_window()? {
        let batches = crate::parallel::morsels(&window);
        drop(window);
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        if !(mergeable && crate::parallel::worth_it(ctx, batches.len(), rows)) {
            update(agg, &mut state, &batches, ctx)?;
            continue;
        }
        let sizes: Vec<usize> = batches.iter().map(RecordBatch::num_rows).collect();
        let ranges = crate::parallel::ranges(&sizes, threads);
        let running = std::sync::Mutex::new(&mut state);
        let parts = crate::parallel::map(ctx, ranges.len(), true, |i| {
            let range = ranges.get(i).cloned().unwrap_or_default();
            let batches = batches.get(range).unwrap_or_default();
            if i == 0 {
                let mut guard = running
                    .lock()
                    .map_err(|_| internal("aggregate state poisoned"))?;
                update(agg, &mut guard, batches, ctx)?;
                return Ok(None);
            }
            let mut part = new_partial(agg)?;
            update(agg, &mut part, batches, ctx)?;
            Ok(Some(part))
        });
        for part in parts {
            let Some(part) = part? else {
                continue;
            };
            ctx.check_cancelled()?;
            let map = state.groups.absorb(part.groups)?;
            let ngroups = state.groups.len();
            for (mine, theirs) in state.slots.iter_mut().zip(part.slots) {
                if let (Slot::Acc { acc, .. }, Slot::Acc { acc: other, .. }) = (mine, theirs) {
                    acc.merge(*other, &map, ngroups)?;
                }
            }
        }
    }
    let Partial {
        groups,
        selectors,
        slots,
        ..
    } = state;
    let ngroups = groups.len();
    let columns = columns_of(groups, &selectors, slots)?;
    table_of(out_schema, columns, ngroups)
}

/// The result columns of a finished state: the groups' key columns, then
/// each aggregate's column.
fn columns_of(
    groups: Groups,
    selectors: &[Selector],
    slots: Vec<Slot>,
) -> EvalResult<Vec<ArrayRef>> {
    let ngroups = groups.len();
    let mut columns = groups.finish()?;
    for slot in slots {
        match slot {
            Slot::Acc { acc, .. } => columns.push(acc.finish(ngroups)?),
            Slot::Picked { sel, expr, arrays } => {
                let sel = selectors
                    .get(sel)
                    .ok_or_else(|| internal("aggregate selector missing"))?;
                columns.push(gather(sel, &expr, &arrays, ngroups)?);
            }
        }
    }
    Ok(columns)
}

/// The result table of `ngroups` rows.
fn table_of(
    out_schema: arrow::datatypes::SchemaRef,
    columns: Vec<ArrayRef>,
    ngroups: usize,
) -> EvalResult<Table> {
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

/// One thread's share of an aggregation, kept across windows, and the
/// stamp of each of its groups: the window, the thread's range in it and
/// the group's id here, which orders groups by their first row over all
/// threads.
struct Stamped {
    partial: Partial,
    stamps: Vec<u64>,
}

/// Runs an aggregation whose states merge the same in any order with one
/// state per thread, kept across windows: thread `i` aggregates the `i`th
/// run of every window into its own state, and the states are merged once
/// at the end (instead of merging a partial state into the running one
/// after every window, which costs as much as the rows themselves when
/// most rows start a group). Groups are put back in the order of their
/// first row, so the result is the one pass's. Returns the result columns
/// and the number of groups.
fn aggregate_per_thread(
    agg: &Aggregate,
    first: Partial,
    mut input: Pipeline<'_>,
    ctx: &EvalContext,
    threads: usize,
) -> EvalResult<(Vec<ArrayRef>, usize)> {
    let mut parts = vec![first];
    for _ in 1..threads {
        parts.push(new_partial(agg)?);
    }
    let parts: Vec<std::sync::Mutex<Stamped>> = parts
        .into_iter()
        .map(|partial| {
            // Groups that exist before any row (the one group of a
            // summarize without keys) come first.
            let stamps = vec![0; partial.groups.len()];
            std::sync::Mutex::new(Stamped { partial, stamps })
        })
        .collect();
    let mut window_no: u64 = 0;
    while let Some(window) = input.next_window()? {
        window_no += 1;
        let batches = crate::parallel::morsels(&window);
        drop(window);
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let sizes: Vec<usize> = batches.iter().map(RecordBatch::num_rows).collect();
        let parallel = crate::parallel::worth_it(ctx, batches.len(), rows);
        let ranges = if parallel {
            crate::parallel::ranges(&sizes, threads)
        } else {
            std::iter::once(0..batches.len()).collect()
        };
        let done = crate::parallel::map(ctx, ranges.len(), parallel, |i| {
            let range = ranges.get(i).cloned().unwrap_or_default();
            let batches = batches.get(range).unwrap_or_default();
            let mut guard = parts
                .get(i)
                .ok_or_else(|| internal("aggregate state missing"))?
                .lock()
                .map_err(|_| internal("aggregate state poisoned"))?;
            let Stamped { partial, stamps } = &mut *guard;
            let before = partial.groups.len();
            update(agg, partial, batches, ctx)?;
            let stamp = (window_no << 40) | ((i as u64) << 32);
            stamps.extend((before..partial.groups.len()).map(|g| stamp | g as u64));
            Ok(())
        });
        for d in done {
            d?;
        }
    }
    let mut parts = parts
        .into_iter()
        .map(|m| {
            m.into_inner()
                .map_err(|_| internal("aggregate state poisoned"))
        })
        .collect::<EvalResult<Vec<Stamped>>>()?
        .into_iter();
    let Some(mut base) = parts.next() else {
        return Err(internal("aggregate state missing"));
    };
    for part in parts {
        ctx.check_cancelled()?;
        let map = base.partial.groups.absorb(part.partial.groups)?;
        let ngroups = base.partial.groups.len();
        base.stamps.resize(ngroups, u64::MAX);
        for (&g, &stamp) in map.iter().zip(&part.stamps) {
            if let Some(mine) = base.stamps.get_mut(g as usize) {
                *mine = (*mine).min(stamp);
            }
        }
        for (mine, theirs) in base.partial.slots.iter_mut().zip(part.partial.slots) {
            if let (Slot::Acc { acc, .. }, Slot::Acc { acc: other, .. }) = (mine, theirs) {
                acc.merge(*other, &map, ngroups)?;
            }
        }
    }
    let ngroups = base.partial.groups.len();
    let mut columns = columns_of(base.partial.groups, &[], base.partial.slots)?;
    if !base.stamps.is_sorted() {
        // First-row order: a permutation of the group ids.
        let mut order: Vec<u32> = (0..ngroups as u32).collect();
        order.sort_unstable_by_key(|&g| base.stamps.get(g as usize).copied());
        let order = arrow::array::UInt32Array::from(order);
        columns = columns
            .iter()
            .map(|c| arrow::compute::take(c, &order, None).map_err(arrow_err))
            .collect::<EvalResult<_>>()?;
    }
    Ok((columns, ngroups))
}

/// An empty state for `agg`.
fn new_partial(agg: &Aggregate) -> EvalResult<Partial> {
    let key_types: Vec<_> = agg.keys.iter().map(|(_, e)| e.ty.arrow_type()).collect();
    let groups = Groups::new(&key_types)?;
    let mut selectors: Vec<Selector> = Vec::new();
    let mut slots: Vec<Slot> = Vec::new();
    for (_, a) in &agg.aggs {
        slots.push(slot(a, &mut selectors)?);
    }
    Ok(Partial {
        groups,
        selectors,
        slots,
        seen: 0,
    })
}

/// Adds the rows of `batches` to a state, in order.
fn update(
    agg: &Aggregate,
    state: &mut Partial,
    batches: &[RecordBatch],
    ctx: &EvalContext,
) -> EvalResult<()> {
    let Partial {
        groups,
        selectors,
        slots,
        seen,
    } = state;
    let mut ids: Vec<u32> = Vec::new();
    let mut masked: Vec<u32> = Vec::new();
    for batch in batches {
        ctx.check_cancelled()?;
        let n = batch.num_rows();
        if n == 0 {
            continue;
        }
        let keys = agg
            .keys
            .iter()
            .map(|(_, e)| Ok(eval(e, batch, ctx)?.into_array(n)))
            .collect::<EvalResult<Vec<ArrayRef>>>()?;
        groups.assign(&keys, n, &mut ids)?;
        let ngroups = groups.len();
        for sel in selectors.iter_mut() {
            let by = dict::plain(&eval(&sel.by, batch, ctx)?.into_array(n))?;
            sel.update(*seen, &ids, &by, ngroups)?;
        }
        for slot in slots.iter_mut() {
            match slot {
                Slot::Acc {
                    acc,
                    value,
                    second,
                    predicate,
                } => {
                    let v = match value {
                        Some(e) => Some(eval(e, batch, ctx)?.into_array(n)),
                        None => None,
                    };
                    let v2 = match second {
                        Some(e) => Some(eval(e, batch, ctx)?.into_array(n)),
                        None => None,
                    };
                    let rows: &[u32] = match predicate {
                        Some(p) => {
                            let p = eval(p, batch, ctx)?.into_array(n);
                            let p = p.as_boolean();
                            masked.clear();
                            masked.extend(ids.iter().enumerate().map(|(i, &g)| {
                                if p.is_valid(i) && p.value(i) {
                                    g
                                } else {
                                    SKIP
                                }
                            }));
                            &masked
                        }
                        None => &ids,
                    };
                    acc.update(rows, v.as_ref(), v2.as_ref(), ngroups)?;
                }
                Slot::Picked { expr, arrays, .. } => {
                    arrays.push(dict::plain(&eval(expr, batch, ctx)?.into_array(n))?);
                }
            }
        }
        *seen += 1;
    }
    Ok(())
}

/// The evaluation slot of one aggregate; row-picking aggregates with the
/// same function and `by` expression share one selector.
fn slot(a: &AggExpr, selectors: &mut Vec<Selector>) -> EvalResult<Slot> {
    let base = a.func.base();
    if matches!(base, AggFunc::ArgMax | AggFunc::ArgMin) {
        let (by, expr) = match a.args.as_slice() {
            [by, expr] => (by, expr),
            _ => return Err(internal("arg_max/arg_min needs two arguments")),
        };
        let max = base == AggFunc::ArgMax;
        let sel = match selectors.iter().position(|s| s.max == max && s.by == *by) {
            Some(i) => i,
            None => {
                selectors.push(Selector::new(max, by.clone()));
                selectors.len() - 1
            }
        };
        return Ok(Slot::Picked {
            sel,
            expr: expr.clone(),
            arrays: Vec::new(),
        });
    }
    let value = if base == AggFunc::Count {
        None
    } else {
        a.args.first().cloned()
    };
    let second = if a.func.has_second_value() {
        Some(
            a.args
                .get(1)
                .cloned()
                .ok_or_else(|| internal("aggregate argument missing"))?,
        )
    } else {
        None
    };
    let predicate = if a.func.has_predicate() {
        let i = usize::from(base != AggFunc::Count) + usize::from(second.is_some());
        Some(
            a.args
                .get(i)
                .cloned()
                .ok_or_else(|| internal("aggregate predicate missing"))?,
        )
    } else {
        None
    };
    let params_from = usize::from(value.is_some())
        + usize::from(second.is_some())
        + usize::from(predicate.is_some());
    let params = a.args.get(params_from..).unwrap_or_default();
    Ok(Slot::Acc {
        acc: Box::new(Acc::new(a, params)?),
        value,
        second,
        predicate,
    })
}

/// The values of `expr` at the row each group picked.
fn gather(
    sel: &Selector,
    expr: &PlanExpr,
    arrays: &[ArrayRef],
    ngroups: usize,
) -> EvalResult<ArrayRef> {
    let null = new_null_array(&expr.ty.arrow_type(), 1);
    let mut refs: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
    refs.push(null.as_ref());
    let none = (arrays.len(), 0);
    let indices: Vec<(usize, usize)> = (0..ngroups)
        .map(|g| sel.winner(g).unwrap_or(none))
        .collect();
    arrow::compute::interleave(&refs, &indices).map_err(arrow_err)
}
