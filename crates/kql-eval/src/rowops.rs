//! Operators with a pass of their own over all input rows
//! ([`kql_planner::rowops`]): `scan`, ...

use crate::error::EvalResult;
use crate::expr::{arrow_err, eval_plain};
use crate::value::ColumnarValue;
use crate::{arrow_schema_of, EvalContext, Table};
use arrow::array::{new_null_array, Array, ArrayRef, AsArray, Int64Array, UInt32Array};
use arrow::compute::{concat, concat_batches};
use arrow::datatypes::{DataType, Field, Schema as ArrowSchema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use kql_common::ScalarValue;
use kql_functions::convert::scalar_to_array;
use kql_planner::rowops::{RowOp, RowOpKind, ScanOutput, ScanPlan};
use kql_planner::PlanExpr;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Runs `r` over its (already computed) input.
pub fn row_op(
    r: &RowOp,
    input: &Table,
    data: &dyn crate::TableSource,
    ctx: &EvalContext,
) -> EvalResult<Table> {
    match &r.kind {
        RowOpKind::RowsNear {
            condition,
            before,
            after,
        } => rows_near(r, condition, *before, *after, input, ctx),
        RowOpKind::Activity(p) => crate::activity::activity(r, p, input, ctx),
        RowOpKind::IpLookup(p) => {
            let lookup = crate::execute(&p.lookup, data, ctx)?;
            crate::ip_lookup::ip_lookup(r, p, input, &lookup, ctx)
        }
        RowOpKind::Scan(p) => scan(r, p, input, ctx),
        RowOpKind::ParseKv(p) => crate::parse_kv::parse_kv(r, p, input, ctx),
        RowOpKind::Reduce(p) => crate::reduce::reduce(r, p, input, ctx),
    }
}

/// One row of a step's state, or of the output: a 1-row array per column
/// of the row (input columns, then declared ones).
type Row = Vec<ArrayRef>;

/// The state of one step: the rows of the steps up to it, the match id,
/// and (for `output=last`) the row still to be written.
struct StepState {
    rows: Vec<Row>,
    id: i64,
    pending: Option<(usize, Row)>,
}

/// Rows produced so far: input row index, declared values, match id.
#[derive(Default)]
struct Output {
    index: Vec<u32>,
    declared: Vec<Row>,
    ids: Vec<i64>,
}

impl Output {
    fn push(&mut self, i: usize, row: &Row, n_in: usize, id: i64) {
        self.index.push(i as u32);
        self.declared.push(row[n_in..].to_vec());
        self.ids.push(id);
    }
}

/// Builds the 1-row batches the steps' expressions run on, materializing
/// only the environment columns some expression reads.
struct Env {
    schema: SchemaRef,
    used: Vec<bool>,
    width: usize,
    null: ArrayRef,
}

impl Env {
    fn batch(&self, cur: &Row, state: Option<&StepState>, empty: &Row) -> EvalResult<RecordBatch> {
        let cols: Vec<ArrayRef> = self
            .used
            .iter()
            .enumerate()
            .map(|(i, &u)| {
                if !u {
                    return self.null.clone();
                }
                let (block, c) = (i / self.width, i % self.width);
                if block == 0 {
                    return cur[c].clone();
                }
                match state.and_then(|s| s.rows.get(block - 1)) {
                    Some(r) => r[c].clone(),
                    None => empty[c].clone(),
                }
            })
            .collect();
        RecordBatch::try_new_with_options(
            self.schema.clone(),
            cols,
            &RecordBatchOptions::new().with_row_count(Some(1)),
        )
        .map_err(arrow_err)
    }
}

fn is_true(v: ColumnarValue) -> bool {
    match v {
        ColumnarValue::Scalar(ScalarValue::Bool(b)) => b,
        ColumnarValue::Scalar(_) => false,
        ColumnarValue::Array(a) => {
            a.len() == 1 && a.is_valid(0) && matches!(a.data_type(), DataType::Boolean) && {
                a.as_boolean().value(0)
            }
        }
    }
}

fn columns_of(e: &PlanExpr, out: &mut BTreeSet<usize>) {
    out.extend(e.column_indices());
}

fn scan(r: &RowOp, p: &ScanPlan, input: &Table, ctx: &EvalContext) -> EvalResult<Table> {
    let in_schema = r.input.schema();
    let n_in = in_schema.len();
    let row_cols = p.row_columns(&in_schema);
    let width = row_cols.len();
    let env_schema = p.env_schema(&in_schema);
    let mut used = BTreeSet::new();
    for s in &p.steps {
        columns_of(&s.condition, &mut used);
        for (_, e) in &s.assignments {
            columns_of(e, &mut used);
        }
    }
    let full = arrow_schema_of(&env_schema);
    let fields: Vec<Field> = full
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if used.contains(&i) {
                f.as_ref().clone()
            } else {
                Field::new(f.name(), DataType::Null, true)
            }
        })
        .collect();
    let env = Env {
        schema: Arc::new(ArrowSchema::new(fields)),
        used: (0..env_schema.len()).map(|i| used.contains(&i)).collect(),
        width,
        null: new_null_array(&DataType::Null, 1),
    };
    let defaults: Row = p
        .declared
        .iter()
        .map(|(_, _, v)| scalar_to_array(v, 1))
        .collect();
    // A step's row in an empty state: null input values, default
    // declared values.
    let mut empty: Row = row_cols[..n_in]
        .iter()
        .map(|c| scalar_to_array(&ScalarValue::Null(c.ty), 1))
        .collect();
    empty.extend(defaults.iter().cloned());

    let batch = concat_batches(&input.schema, &input.batches).map_err(arrow_err)?;
    let n_steps = p.steps.len();
    let mut states: Vec<Option<StepState>> = (0..n_steps).map(|_| None).collect();
    let mut out = Output::default();
    let mut next_id = 0i64;
    let assign = |k: usize, cur: &Row, b: &RecordBatch| -> EvalResult<Row> {
        let mut row = cur.clone();
        for (d, e) in &p.steps[k].assignments {
            row[n_in + d] = eval_plain(e, b, ctx)?.into_array(1);
        }
        Ok(row)
    };
    let flush = |st: &mut StepState, out: &mut Output| {
        if let Some((i, row)) = st.pending.take() {
            out.push(i, &row, n_in, st.id);
        }
    };
    for i in 0..batch.num_rows() {
        if i % 4096 == 0 {
            ctx.check_cancelled()?;
        }
        let mut cur: Row = batch.columns().iter().map(|c| c.slice(i, 1)).collect();
        cur.extend(defaults.iter().cloned());
        for k in (0..n_steps).rev() {
            let step = &p.steps[k];
            // Check 1: the previous step's sequence moves on to this step.
            if k > 0 && states[k - 1].is_some() {
                let b = env.batch(&cur, states[k - 1].as_ref(), &empty)?;
                if is_true(eval_plain(&step.condition, &b, ctx)?) {
                    let row = assign(k, &cur, &b)?;
                    let Some(mut prev) = states[k - 1].take() else {
                        continue;
                    };
                    flush(&mut prev, &mut out);
                    if let Some(mut old) = states[k].take() {
                        flush(&mut old, &mut out);
                    }
                    let mut st = StepState {
                        rows: prev.rows,
                        id: prev.id,
                        pending: None,
                    };
                    st.rows.push(row.clone());
                    emit(step.output, &mut st, &mut out, i, row, n_in);
                    states[k] = Some(st);
                    continue;
                }
            }
            // Check 2: the step's own sequence (or a new one at the first
            // step) matches again.
            if states[k].is_some() || k == 0 {
                let b = env.batch(&cur, states[k].as_ref(), &empty)?;
                if is_true(eval_plain(&step.condition, &b, ctx)?) {
                    let row = assign(k, &cur, &b)?;
                    let st = match states[k].take() {
                        Some(mut st) => {
                            if let Some(last) = st.rows.last_mut() {
                                *last = row.clone();
                            }
                            st
                        }
                        None => {
                            next_id += 1;
                            StepState {
                                rows: vec![row.clone()],
                                id: next_id - 1,
                                pending: None,
                            }
                        }
                    };
                    let mut st = st;
                    emit(step.output, &mut st, &mut out, i, row, n_in);
                    states[k] = Some(st);
                }
            }
        }
    }
    for st in states.iter_mut().flatten() {
        flush(st, &mut out);
    }
    // Output rows in input order (a pending `last` row may have been
    // written after later rows).
    let mut order: Vec<usize> = (0..out.index.len()).collect();
    order.sort_by_key(|&j| out.index[j]);
    let schema = arrow_schema_of(&r.schema());
    let idx = UInt32Array::from_iter_values(order.iter().map(|&j| out.index[j]));
    let mut columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(|c| arrow::compute::take(c, &idx, None).map_err(arrow_err))
        .collect::<EvalResult<_>>()?;
    for d in 0..p.declared.len() {
        let parts: Vec<&dyn Array> = order.iter().map(|&j| out.declared[j][d].as_ref()).collect();
        columns.push(if parts.is_empty() {
            new_null_array(&p.declared[d].1.arrow_type(), 0)
        } else {
            concat(&parts).map_err(arrow_err)?
        });
    }
    if p.match_id.is_some() {
        columns.push(Arc::new(Int64Array::from_iter_values(
            order.iter().map(|&j| out.ids[j]),
        )));
    }
    let rows = idx.len();
    let out_batch = RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .map_err(arrow_err)?;
    Ok(Table {
        schema,
        batches: vec![out_batch],
    })
}

/// `rows_near`: every row within `before` rows before or `after` rows
/// after a row where the condition is true, in order.
fn rows_near(
    r: &RowOp,
    condition: &PlanExpr,
    before: usize,
    after: usize,
    input: &Table,
    ctx: &EvalContext,
) -> EvalResult<Table> {
    let batch = concat_batches(&input.schema, &input.batches).map_err(arrow_err)?;
    let n = batch.num_rows();
    let hits = eval_plain(condition, &batch, ctx)?.into_array(n);
    let hits = hits.as_boolean();
    // Each row is kept when a hit is within reach: sweep once, tracking
    // the last hit seen and looking ahead `before` rows.
    let mut keep = vec![false; n];
    let mut until = 0usize; // rows before this index are covered by hits
    for i in 0..n {
        if hits.is_valid(i) && hits.value(i) {
            let from = i.saturating_sub(before).max(until.min(i));
            let to = (i + after + 1).min(n);
            for k in keep.iter_mut().take(to).skip(from) {
                *k = true;
            }
            until = to;
        }
    }
    let idx = UInt32Array::from_iter_values(
        keep.iter()
            .enumerate()
            .filter(|(_, k)| **k)
            .map(|(i, _)| i as u32),
    );
    let schema = arrow_schema_of(&r.schema());
    let out = arrow::compute::take_record_batch(&batch, &idx).map_err(arrow_err)?;
    let out = RecordBatch::try_new_with_options(
        schema.clone(),
        out.columns().to_vec(),
        &RecordBatchOptions::new().with_row_count(Some(idx.len())),
    )
    .map_err(arrow_err)?;
    Ok(Table {
        schema,
        batches: vec![out],
    })
}

/// Writes a step's matched row according to its `output` kind.
fn emit(kind: ScanOutput, st: &mut StepState, out: &mut Output, i: usize, row: Row, n_in: usize) {
    match kind {
        ScanOutput::All => out.push(i, &row, n_in, st.id),
        ScanOutput::Last => st.pending = Some((i, row)),
        ScanOutput::None => {}
    }
}
