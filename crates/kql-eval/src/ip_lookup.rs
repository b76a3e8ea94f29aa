//! `evaluate ipv4_lookup(...)` / `ipv6_lookup(...)`: the lookup table's
//! networks are indexed by prefix length, so each input address is looked
//! up once per distinct prefix length.

use crate::error::EvalResult;
use crate::expr::{arrow_err, eval_plain};
use crate::{arrow_schema_of, EvalContext, Table};
use arrow::array::{Array, ArrayRef, AsArray, UInt32Array};
use arrow::compute::concat_batches;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use kql_planner::rowops::{IpLookupPlan, RowOp};
use std::collections::{BTreeMap, HashMap};

/// An address (or network, `address/prefix`) as bits, and its prefix
/// length.
fn parse(s: &str, v6: bool) -> Option<(u128, u32)> {
    let s = s.trim();
    let width = if v6 { 128 } else { 32 };
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, p.trim().parse::<u32>().ok().filter(|p| *p <= width)?),
        None => (s, width),
    };
    let bits = if v6 {
        u128::from(a.trim().parse::<std::net::Ipv6Addr>().ok()?)
    } else {
        u128::from(u32::from(a.trim().parse::<std::net::Ipv4Addr>().ok()?))
    };
    Some((bits, p))
}

fn mask(x: u128, p: u32, width: u32) -> u128 {
    if p == 0 {
        0
    } else {
        let m = (u128::MAX >> (128 - width)) & !((1u128 << (width - p.min(width))) - 1);
        x & m
    }
}

pub fn ip_lookup(
    r: &RowOp,
    p: &IpLookupPlan,
    input: &Table,
    lookup: &Table,
    ctx: &EvalContext,
) -> EvalResult<Table> {
    let width = if p.v6 { 128 } else { 32 };
    let lk = concat_batches(&lookup.schema, &lookup.batches).map_err(arrow_err)?;
    // prefix length -> masked network -> lookup rows
    let mut index: BTreeMap<u32, HashMap<u128, Vec<u32>>> = BTreeMap::new();
    if let Some(col) = lk.columns().get(p.lookup_key) {
        let nets = col.as_string::<i32>();
        for i in 0..nets.len() {
            if nets.is_valid(i) {
                if let Some((a, pl)) = parse(nets.value(i), p.v6) {
                    index
                        .entry(pl)
                        .or_default()
                        .entry(mask(a, pl, width))
                        .or_default()
                        .push(i as u32);
                }
            }
        }
    }
    let batch = concat_batches(&input.schema, &input.batches).map_err(arrow_err)?;
    let n = batch.num_rows();
    let keys = eval_plain(&p.key, &batch, ctx)?.into_array(n);
    let keys = keys.as_string::<i32>();
    let mut left: Vec<u32> = Vec::new();
    let mut right: Vec<Option<u32>> = Vec::new();
    for i in 0..n {
        let before = left.len();
        if keys.is_valid(i) {
            if let Some((a, ap)) = parse(keys.value(i), p.v6) {
                // Networks that contain the address (or its network).
                for (&pl, nets) in index.range(..=ap) {
                    if let Some(rows) = nets.get(&mask(a, pl, width)) {
                        for &j in rows {
                            left.push(i as u32);
                            right.push(Some(j));
                        }
                    }
                }
            }
        }
        if left.len() == before && p.return_unmatched {
            left.push(i as u32);
            right.push(None);
        }
    }
    let li = UInt32Array::from(left);
    let ri = UInt32Array::from(right);
    let in_schema = r.input.schema();
    let lk_schema = p.lookup.schema();
    let mut in_cols: Vec<ArrayRef> = Vec::new();
    for (c, col) in in_schema.columns.iter().zip(batch.columns()) {
        in_cols.push(crate::join::gather(col, &li, c.ty)?);
    }
    let mut lk_cols: Vec<ArrayRef> = Vec::new();
    for (c, col) in lk_schema.columns.iter().zip(lk.columns()) {
        lk_cols.push(crate::join::gather(col, &ri, c.ty)?);
    }
    let columns = if p.lookup_first {
        lk_cols.into_iter().chain(in_cols).collect()
    } else {
        in_cols.into_iter().chain(lk_cols).collect()
    };
    let schema = arrow_schema_of(&r.schema());
    let out = RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(li.len())),
    )
    .map_err(arrow_err)?;
    Ok(Table {
        schema,
        batches: vec![out],
    })
}
