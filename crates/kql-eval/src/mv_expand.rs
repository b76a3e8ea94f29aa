//! `mv-expand`: one output row per element of dynamic arrays or bags,
//! expanding several columns in parallel.

use crate::error::EvalResult;
use crate::expr::arrow_err;
use crate::join::gather;
use crate::value::scalars_to_array;
use crate::{arrow_schema_of, Table};
use crate::{EvalContext, TableSource};
use arrow::array::{Array, ArrayRef, AsArray, Int64Array, UInt32Array};
use arrow::compute::concat_batches;
use arrow::compute::take_record_batch;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use arrow::row::{RowConverter, SortField};
use kql_common::{KqlType, ScalarValue};
use kql_planner::cast::implicit_cast;
use kql_planner::plan::{MvApply, MvExpand, Partition, MV_APPLY_ROWS};
use kql_planner::LogicalPlan;
use serde_json::Value;
use std::sync::Arc;

/// The elements one dynamic value expands to: a null value gives one null
/// element, an empty array or bag none.
fn elements(text: Option<&str>, bag_as_array: bool) -> Vec<Value> {
    let Some(text) = text else {
        return vec![Value::Null];
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(a)) => a,
        Ok(Value::Object(o)) => o
            .into_iter()
            .map(|(k, v)| {
                if bag_as_array {
                    Value::Array(vec![Value::String(k), v])
                } else {
                    let mut m = serde_json::Map::new();
                    m.insert(k, v);
                    Value::Object(m)
                }
            })
            .collect(),
        Ok(other) => vec![other],
        Err(_) => vec![Value::String(text.to_string())],
    }
}

pub fn mv_expand(m: &MvExpand, input: &Table) -> EvalResult<Table> {
    let schema = arrow_schema_of(&LogicalPlan::MvExpand(m.clone()).schema());
    let batch = concat_batches(&input.schema, &input.batches).map_err(arrow_err)?;
    let n = batch.num_rows();
    let expanded: Vec<Option<&arrow::array::StringArray>> = m
        .columns
        .iter()
        .map(|(i, _)| {
            batch
                .columns()
                .get(*i)
                .and_then(|c| c.as_string_opt::<i32>())
        })
        .collect();
    let mut rows: Vec<u32> = Vec::new();
    let mut item_index: Vec<i64> = Vec::new();
    let mut values: Vec<Vec<ScalarValue>> = vec![Vec::new(); m.columns.len()];
    for r in 0..n {
        let elems: Vec<Vec<Value>> = expanded
            .iter()
            .map(|a| match a {
                Some(a) if a.is_valid(r) => elements(Some(a.value(r)), m.bag_as_array),
                _ => elements(None, m.bag_as_array),
            })
            .collect();
        let mut count = elems.iter().map(Vec::len).max().unwrap_or(0);
        if let Some(l) = m.limit {
            count = count.min(l);
        }
        for k in 0..count {
            rows.push(r as u32);
            item_index.push(k as i64);
            for ((out, el), (_, ty)) in values.iter_mut().zip(&elems).zip(&m.columns) {
                let v = el.get(k).cloned().unwrap_or(Value::Null);
                out.push(to_scalar(v, *ty));
            }
        }
    }
    let idx = UInt32Array::from(rows);
    let in_schema = m.input.schema();
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (i, col) in batch.columns().iter().enumerate() {
        let ty = in_schema
            .columns
            .get(i)
            .map(|c| c.ty)
            .unwrap_or(KqlType::Dynamic);
        match m.columns.iter().position(|(c, _)| *c == i) {
            Some(k) => {
                let out_ty = m.columns[k].1;
                columns.push(scalars_to_array(&values[k], out_ty)?);
            }
            None => columns.push(gather(col, &idx, ty)?),
        }
    }
    if m.item_index.is_some() {
        columns.push(Arc::new(Int64Array::from(item_index)) as ArrayRef);
    }
    let len = idx.len();
    let out = RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(len)),
    )
    .map_err(arrow_err)?;
    Ok(Table {
        schema,
        batches: vec![out],
    })
}

/// Serves the rows of one `mv-apply` expansion, and every other table from
/// the query's source.
struct ApplyRows<'a> {
    rows: Table,
    data: &'a dyn TableSource,
}

impl TableSource for ApplyRows<'_> {
    fn table(
        &self,
        name: &str,
        projection: Option<&[usize]>,
        predicates: &[kql_common::ScanPredicate],
    ) -> Result<Table, Vec<kql_common::Diagnostic>> {
        if name != MV_APPLY_ROWS {
            return self.data.table(name, projection, predicates);
        }
        match projection {
            None => Ok(self.rows.clone()),
            Some(cols) => crate::project_table(&self.rows, cols),
        }
    }
}

/// `mv-apply`: for each input row, expands it, runs the subquery over the
/// expansion and prefixes the results with the row's kept columns.
pub fn mv_apply(
    m: &MvApply,
    input: &Table,
    data: &dyn TableSource,
    ctx: &EvalContext,
) -> EvalResult<Table> {
    let schema = arrow_schema_of(&LogicalPlan::MvApply(m.clone()).schema());
    let batch = concat_batches(&input.schema, &input.batches).map_err(arrow_err)?;
    let in_schema = m.input.schema();
    let mut row_ids: Vec<u32> = Vec::new();
    let mut results: Vec<RecordBatch> = Vec::new();
    let mut sub_schema = None;
    for r in 0..batch.num_rows() {
        let one = Table {
            schema: input.schema.clone(),
            batches: vec![batch.slice(r, 1)],
        };
        // The expansion's own input (a scan of the row, maybe extended
        // with `Name = expr` items).
        let pre = crate::exec::execute(&m.expand.input, &ApplyRows { rows: one, data }, ctx)?;
        let expanded = mv_expand(&m.expand, &pre)?;
        let source = ApplyRows {
            rows: expanded,
            data,
        };
        let out = crate::exec::execute(&m.sub, &source, ctx)?;
        sub_schema = Some(out.schema.clone());
        for b in out.batches {
            row_ids.extend(std::iter::repeat_n(r as u32, b.num_rows()));
            results.push(b);
        }
    }
    let sub_schema = match sub_schema {
        Some(s) => s,
        None => arrow_schema_of(&m.sub.schema()),
    };
    let sub = concat_batches(&sub_schema, &results).map_err(arrow_err)?;
    let idx = UInt32Array::from(row_ids);
    let mut columns = Vec::with_capacity(schema.fields().len());
    for &k in &m.keep {
        let ty = in_schema
            .columns
            .get(k)
            .map(|c| c.ty)
            .unwrap_or(KqlType::Dynamic);
        let col = batch
            .columns()
            .get(k)
            .ok_or_else(|| crate::error::internal("mv-apply column out of range"))?;
        columns.push(gather(col, &idx, ty)?);
    }
    columns.extend(sub.columns().iter().cloned());
    let len = idx.len();
    let out = RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(len)),
    )
    .map_err(arrow_err)?;
    Ok(Table {
        schema,
        batches: vec![out],
    })
}

/// `partition by Col (...)`: groups the rows by the key (in order of first
/// appearance), runs the subquery on each group and concatenates the
/// results.
pub fn partition(
    p: &Partition,
    input: &Table,
    data: &dyn TableSource,
    ctx: &EvalContext,
) -> EvalResult<Table> {
    let schema = arrow_schema_of(&p.sub.schema());
    let batch = concat_batches(&input.schema, &input.batches).map_err(arrow_err)?;
    let key = batch
        .columns()
        .get(p.key)
        .ok_or_else(|| crate::error::internal("partition key out of range"))?;
    let conv =
        RowConverter::new(vec![SortField::new(key.data_type().clone())]).map_err(arrow_err)?;
    let rows = conv
        .convert_columns(std::slice::from_ref(key))
        .map_err(arrow_err)?;
    let mut groups: Vec<Vec<u32>> = Vec::new();
    let mut index: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
    for i in 0..batch.num_rows() {
        let g = *index.entry(rows.row(i).data()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        if let Some(v) = groups.get_mut(g) {
            v.push(i as u32);
        }
    }
    let mut out = Vec::new();
    for g in groups {
        let part = take_record_batch(&batch, &UInt32Array::from(g)).map_err(arrow_err)?;
        let source = ApplyRows {
            rows: Table {
                schema: input.schema.clone(),
                batches: vec![part],
            },
            data,
        };
        let t = crate::exec::execute(&p.sub, &source, ctx)?;
        for b in t.batches {
            out.push(
                RecordBatch::try_new_with_options(
                    schema.clone(),
                    b.columns().to_vec(),
                    &RecordBatchOptions::new().with_row_count(Some(b.num_rows())),
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

/// An element as a value of the target type (null if it does not conform).
fn to_scalar(v: Value, ty: KqlType) -> ScalarValue {
    if v.is_null() {
        return match ty {
            KqlType::String => ScalarValue::String(String::new()),
            t => ScalarValue::Null(t),
        };
    }
    if ty == KqlType::Dynamic {
        return ScalarValue::Dynamic(v);
    }
    implicit_cast(&ScalarValue::Dynamic(v), ty).unwrap_or(match ty {
        KqlType::String => ScalarValue::String(String::new()),
        t => ScalarValue::Null(t),
    })
}
