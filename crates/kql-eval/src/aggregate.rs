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
/// runs of batches: the first run updates the running state on one thread
/// while the others are aggregated into partial states on theirs, which
/// are then merged in input order, so groups keep the order of their first
/// row and every value is what one pass would compute. Aggregates whose
/// partial states cannot be merged exactly (floating-point sums, ordered
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
