//! `union`: concatenates its inputs' batches, aligning columns by name and
//! filling the columns an input lacks with nulls.

use crate::error::EvalResult;
use crate::expr::arrow_err;
use crate::join::non_null_strings;
use crate::{arrow_schema_of, Table};
use arrow::array::{new_null_array, ArrayRef, StringArray};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use kql_planner::plan::Union;
use kql_planner::LogicalPlan;
use std::sync::Arc;

/// Combines the already computed inputs of `u`, in input order.
pub fn union(u: &Union, inputs: &[Table]) -> EvalResult<Table> {
    let schema = arrow_schema_of(&LogicalPlan::Union(u.clone()).schema());
    let mut out = Vec::new();
    for (k, (t, map)) in inputs.iter().zip(&u.maps).enumerate() {
        for b in &t.batches {
            let n = b.num_rows();
            let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
            if let Some((_, labels)) = &u.source {
                let label = labels.get(k).map(String::as_str).unwrap_or("");
                columns.push(Arc::new(StringArray::from(vec![label; n])));
            }
            for (c, m) in u.schema.columns.iter().zip(map) {
                let col = match m.and_then(|i| b.columns().get(i)) {
                    Some(a) => a.clone(),
                    None => non_null_strings(new_null_array(&c.ty.arrow_type(), n), c.ty),
                };
                columns.push(col);
            }
            out.push(
                RecordBatch::try_new_with_options(
                    schema.clone(),
                    columns,
                    &RecordBatchOptions::new().with_row_count(Some(n)),
                )
                .map_err(arrow_err)?,
            );
        }
    }
    Ok(Table {
        schema,
        batches: out,
    })
}
