//! Executes plan nodes, one function per node kind.

use crate::aggregate::aggregate;
use crate::error::{runtime, EvalResult};
use crate::expr::{arrow_err, eval};
use crate::value::{scalars_to_array, ColumnarValue};
use crate::{arrow_schema_of, EvalContext, Table, TableSource};
use arrow::array::{ArrayRef, AsArray, Float64Array, Int64Array};
use arrow::compute::{concat_batches, filter_record_batch, lexsort_to_indices, take_record_batch};
use arrow::compute::{SortColumn, SortOptions};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use kql_common::{Diagnostic, KqlType, ScalarValue};
use kql_planner::plan::{Filter, Limit, Project, Range, Sort, Values};
use kql_planner::LogicalPlan;
use std::sync::Arc;

/// Largest number of rows `range` may produce.
const MAX_RANGE_ROWS: i64 = 100_000_000;

/// Runs `plan` to completion and returns its rows.
pub fn execute(plan: &LogicalPlan, data: &dyn TableSource, ctx: &EvalContext) -> EvalResult<Table> {
    match plan {
        LogicalPlan::Scan(s) => data.table(&s.table).ok_or_else(|| {
            Diagnostic::error(
                "kql::eval::missing_table",
                format!("table `{}` is not loaded", s.table),
            )
        }),
        LogicalPlan::Values(v) => values(v),
        LogicalPlan::SingleRow => {
            let schema = arrow_schema_of(&plan.schema());
            let batch = RecordBatch::try_new_with_options(
                schema.clone(),
                vec![],
                &RecordBatchOptions::new().with_row_count(Some(1)),
            )
            .map_err(arrow_err)?;
            Ok(Table {
                schema,
                batches: vec![batch],
            })
        }
        LogicalPlan::Range(r) => range(r),
        LogicalPlan::Filter(f) => filter(f, data, ctx),
        LogicalPlan::Project(p) => project(p, data, ctx),
        LogicalPlan::Sort(s) => sort(s, None, data, ctx),
        LogicalPlan::Limit(l) => limit(l, data, ctx),
        LogicalPlan::Aggregate(a) => {
            let input = execute(&a.input, data, ctx)?;
            aggregate(a, &input, ctx)
        }
    }
}

fn values(v: &Values) -> EvalResult<Table> {
    let schema = arrow_schema_of(&v.schema);
    let columns = v
        .schema
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let col: Vec<ScalarValue> = v
                .rows
                .iter()
                .map(|r| r.get(i).cloned().unwrap_or(ScalarValue::Null(c.ty)))
                .collect();
            scalars_to_array(&col, c.ty)
        })
        .collect::<EvalResult<Vec<ArrayRef>>>()?;
    let batch = RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(v.rows.len())),
    )
    .map_err(arrow_err)?;
    Ok(Table {
        schema,
        batches: vec![batch],
    })
}

fn range(r: &Range) -> EvalResult<Table> {
    let schema = arrow_schema_of(&LogicalPlan::Range(r.clone()).schema());
    let too_many = || {
        Diagnostic::error(
            "kql::eval::range_too_large",
            format!("range would produce more than {MAX_RANGE_ROWS} rows"),
        )
    };
    let column: ArrayRef = match (&r.start, &r.stop, &r.step) {
        (ScalarValue::Real(a), ScalarValue::Real(b), ScalarValue::Real(s)) => {
            let count = if *s == 0.0 || (b - a) / s < 0.0 || !((b - a) / s).is_finite() {
                0.0
            } else {
                ((b - a) / s).floor() + 1.0
            };
            if count > MAX_RANGE_ROWS as f64 {
                return Err(too_many());
            }
            Arc::new(Float64Array::from_iter_values(
                (0..count as i64).map(|i| a + s * i as f64),
            ))
        }
        (a, b, s) => {
            let get = |v: &ScalarValue| match v {
                ScalarValue::Long(x) | ScalarValue::DateTime(x) | ScalarValue::TimeSpan(x) => {
                    Some(*x)
                }
                ScalarValue::Int(x) => Some(i64::from(*x)),
                _ => None,
            };
            match (get(a), get(b), get(s)) {
                (Some(a), Some(b), Some(s)) if s != 0 && (b - a).signum() * s.signum() >= 0 => {
                    let count = (b - a) / s + 1;
                    if count > MAX_RANGE_ROWS {
                        return Err(too_many());
                    }
                    Arc::new(Int64Array::from_iter_values((0..count).map(|i| a + s * i)))
                }
                _ => Arc::new(Int64Array::from(Vec::<i64>::new())),
            }
        }
    };
    let column = if r.ty == KqlType::Int {
        arrow::compute::kernels::cast::cast(&column, &arrow::datatypes::DataType::Int32)
            .map_err(arrow_err)?
    } else {
        column
    };
    let batch = RecordBatch::try_new(schema.clone(), vec![column]).map_err(arrow_err)?;
    Ok(Table {
        schema,
        batches: vec![batch],
    })
}

fn filter(f: &Filter, data: &dyn TableSource, ctx: &EvalContext) -> EvalResult<Table> {
    let input = execute(&f.input, data, ctx)?;
    let mut out = Vec::with_capacity(input.batches.len());
    for batch in &input.batches {
        match eval(&f.predicate, batch, ctx)? {
            ColumnarValue::Scalar(ScalarValue::Bool(true)) => out.push(batch.clone()),
            ColumnarValue::Scalar(_) => {}
            ColumnarValue::Array(mask) => {
                let kept = filter_record_batch(batch, mask.as_boolean()).map_err(arrow_err)?;
                if kept.num_rows() > 0 {
                    out.push(kept);
                }
            }
        }
    }
    Ok(Table {
        schema: input.schema,
        batches: out,
    })
}

fn project(p: &Project, data: &dyn TableSource, ctx: &EvalContext) -> EvalResult<Table> {
    let input = execute(&p.input, data, ctx)?;
    let schema = arrow_schema_of(&LogicalPlan::Project(p.clone()).schema());
    let mut out = Vec::with_capacity(input.batches.len());
    for batch in &input.batches {
        let n = batch.num_rows();
        let columns = p
            .exprs
            .iter()
            .map(|(_, e)| Ok(eval(e, batch, ctx)?.into_array(n)))
            .collect::<EvalResult<Vec<ArrayRef>>>()?;
        let b = RecordBatch::try_new_with_options(
            schema.clone(),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(n)),
        )
        .map_err(|e| {
            runtime(
                "kql::eval::internal",
                e.to_string(),
                p.exprs.first().map(|(_, e)| e.span).unwrap_or_default(),
            )
        })?;
        out.push(b);
    }
    Ok(Table {
        schema,
        batches: out,
    })
}

/// Sorts all rows; with `limit`, only the first `limit` rows are produced.
fn sort(
    s: &Sort,
    limit: Option<usize>,
    data: &dyn TableSource,
    ctx: &EvalContext,
) -> EvalResult<Table> {
    let input = execute(&s.input, data, ctx)?;
    let batch = concat_batches(&input.schema, &input.batches).map_err(arrow_err)?;
    let n = batch.num_rows();
    if n == 0 {
        return Ok(Table {
            schema: input.schema,
            batches: vec![],
        });
    }
    let columns = s
        .keys
        .iter()
        .map(|k| {
            Ok(SortColumn {
                values: eval(&k.expr, &batch, ctx)?.into_array(n),
                options: Some(SortOptions {
                    descending: k.descending,
                    nulls_first: k.nulls_first,
                }),
            })
        })
        .collect::<EvalResult<Vec<_>>>()?;
    let indices = lexsort_to_indices(&columns, limit).map_err(arrow_err)?;
    let sorted = take_record_batch(&batch, &indices).map_err(arrow_err)?;
    Ok(Table {
        schema: input.schema,
        batches: vec![sorted],
    })
}

fn limit(l: &Limit, data: &dyn TableSource, ctx: &EvalContext) -> EvalResult<Table> {
    let input = match l.input.as_ref() {
        LogicalPlan::Sort(s) => sort(s, Some(l.count), data, ctx)?,
        other => execute(other, data, ctx)?,
    };
    let mut remaining = l.count;
    let mut out = Vec::new();
    for batch in &input.batches {
        if remaining == 0 {
            break;
        }
        let take = remaining.min(batch.num_rows());
        out.push(batch.slice(0, take));
        remaining -= take;
    }
    Ok(Table {
        schema: input.schema,
        batches: out,
    })
}
