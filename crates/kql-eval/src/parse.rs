//! `parse` and `parse-where`: one compiled regex per query, one match per
//! row, the captured groups converted to the columns' types.

use crate::error::{runtime, EvalResult};
use crate::expr::{arrow_err, eval_plain};
use crate::value::scalars_to_array;
use crate::{arrow_schema_of, EvalContext, Table};
use arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use arrow::compute::filter_record_batch;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use kql_common::{KqlType, ScalarValue};
use kql_planner::cast::cast_scalar;
use kql_planner::plan::Parse;
use kql_planner::LogicalPlan;

/// A captured text as a value of `ty`; `None` if it does not convert.
fn convert(text: &str, ty: KqlType) -> Option<ScalarValue> {
    if ty == KqlType::String {
        return Some(ScalarValue::String(text.to_string()));
    }
    let v = cast_scalar(&ScalarValue::String(text.trim().to_string()), ty)?;
    if matches!(v, ScalarValue::Null(_)) {
        return None;
    }
    Some(v)
}

fn null(ty: KqlType) -> ScalarValue {
    match ty {
        KqlType::String => ScalarValue::String(String::new()),
        t => ScalarValue::Null(t),
    }
}

pub fn parse(p: &Parse, input: &Table, ctx: &EvalContext) -> EvalResult<Table> {
    let schema = arrow_schema_of(&LogicalPlan::Parse(p.clone()).schema());
    let re = regex::Regex::new(&p.regex)
        .map_err(|e| runtime("kql::eval::invalid_regex", e.to_string(), p.expr.span))?;
    let names: Vec<String> = (0..p.columns.len()).map(|i| format!("c{i}")).collect();
    let replaced = p.replaced();
    let mut out = Vec::with_capacity(input.batches.len());
    for batch in &input.batches {
        let n = batch.num_rows();
        let text = eval_plain(&p.expr, batch, ctx)?.into_array(n);
        let text = text.as_string_opt::<i32>().ok_or_else(|| {
            runtime(
                "kql::eval::internal",
                "parse input is not a string",
                p.expr.span,
            )
        })?;
        let mut values: Vec<Vec<ScalarValue>> = vec![Vec::with_capacity(n); p.columns.len()];
        let mut matched = Vec::with_capacity(n);
        for i in 0..n {
            let caps = if text.is_valid(i) {
                re.captures(text.value(i))
            } else {
                None
            };
            let mut row: Vec<Option<ScalarValue>> = match &caps {
                Some(c) => p
                    .columns
                    .iter()
                    .zip(&names)
                    .map(|((_, ty), g)| c.name(g).and_then(|m| convert(m.as_str(), *ty)))
                    .collect(),
                None => vec![None; p.columns.len()],
            };
            let ok = caps.is_some() && (!p.strict || row.iter().all(Option::is_some));
            if !ok && p.strict {
                row.iter_mut().for_each(|v| *v = None);
            }
            matched.push(ok);
            for ((col, v), (_, ty)) in values.iter_mut().zip(row).zip(&p.columns) {
                col.push(v.unwrap_or_else(|| null(*ty)));
            }
        }
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        for ((vals, (_, ty)), r) in values.iter().zip(&p.columns).zip(&replaced) {
            let a = scalars_to_array(vals, *ty)?;
            match r.and_then(|i| columns.get_mut(i)) {
                Some(slot) => *slot = a,
                None => columns.push(a),
            }
        }
        let b = RecordBatch::try_new_with_options(
            schema.clone(),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(n)),
        )
        .map_err(arrow_err)?;
        let b = if p.filter {
            filter_record_batch(&b, &BooleanArray::from(matched)).map_err(arrow_err)?
        } else {
            b
        };
        out.push(b);
    }
    Ok(Table {
        schema,
        batches: out,
    })
}
