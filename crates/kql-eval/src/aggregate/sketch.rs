//! Per-group state of the sketch aggregates (`hll`, `hll_if`, `hll_merge`,
//! `tdigest`, `tdigest_merge`) and of `buildschema`.
//!
//! `hll` hashes values exactly as `dcount` does, so `dcount_hll(hll(x))`
//! equals `dcount(x)` while the sketch is sparse.

use super::SKIP;
use crate::error::{internal, EvalResult};
use crate::expr::arrow_err;
use arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use foldhash::fast::FixedState;
use kql_common::KqlType;
use kql_common::ScalarValue;
use kql_functions::sketch::{hll_bits, Hll, TDigest};
use kql_planner::functions::AggFunc;
use kql_planner::plan::{AggExpr, PlanExpr, PlanExprKind};
use std::hash::BuildHasher;
use std::sync::Arc;

/// The seed `dcount` hashes with; `hll` uses the same.
pub(super) const DCOUNT_SEED: u64 = 0x6463_6f75_6e74;

pub(super) enum SketchAcc {
    Hll {
        p: u8,
        sketches: Vec<Option<Hll>>,
    },
    HllMerge {
        sketches: Vec<Option<Hll>>,
    },
    TDigest {
        ty: KqlType,
        digests: Vec<Option<TDigest>>,
    },
    TDigestMerge {
        digests: Vec<Option<TDigest>>,
    },
    BuildSchema {
        schemas: Vec<Option<Schema>>,
    },
}

fn grow<T>(v: &mut Vec<Option<T>>, n: usize) {
    while v.len() < n {
        v.push(None);
    }
}

/// The hash `dcount` gives a string.
pub(super) fn str_hash(s: &str) -> u64 {
    FixedState::with_seed(DCOUNT_SEED).hash_one(s.as_bytes())
}

/// Calls `f(group, hash)` for every non-null value of `a` in a group, with
/// the hash `dcount` uses.
pub(super) fn value_hashes(
    a: &ArrayRef,
    ids: &[u32],
    mut f: impl FnMut(u32, u64),
) -> EvalResult<()> {
    let hasher = FixedState::with_seed(DCOUNT_SEED);
    if let Some(d) = crate::dict::as_string_dictionary(a.as_ref()) {
        if d.keys().null_count() > 0 || d.values().null_count() > 0 {
            return value_hashes(&crate::dict::plain(a)?, ids, f);
        }
        // Each value hashed once (when there are fewer values than rows),
        // each row's hash picked by its key.
        let values = d.values().as_string::<i32>();
        let len = values.len();
        let keys = d.keys().values();
        let hashes: Vec<u64> = if len <= keys.len() {
            (0..len)
                .map(|k| hasher.hash_one(values.value(k).as_bytes()))
                .collect()
        } else {
            Vec::new()
        };
        for (&k, &g) in keys.iter().zip(ids) {
            if g == SKIP {
                continue;
            }
            let k = usize::try_from(k)
                .ok()
                .filter(|&k| k < len)
                .ok_or_else(|| internal("dictionary key out of range"))?;
            let h = match hashes.get(k) {
                Some(&h) => h,
                None => hasher.hash_one(values.value(k).as_bytes()),
            };
            f(g, h);
        }
        return Ok(());
    }
    match a.data_type() {
        DataType::Utf8 => {
            let s = a.as_string::<i32>();
            for (i, &g) in ids.iter().enumerate() {
                if g != SKIP && s.is_valid(i) {
                    f(g, hasher.hash_one(s.value(i).as_bytes()));
                }
            }
        }
        DataType::Float64 => {
            let x = a.as_primitive::<Float64Type>();
            for (i, &g) in ids.iter().enumerate() {
                if g != SKIP && x.is_valid(i) {
                    let v = x.value(i);
                    let bits = if v == 0.0 { 0 } else { v.to_bits() };
                    f(g, hasher.hash_one(bits));
                }
            }
        }
        _ => {
            let c = arrow::compute::kernels::cast::cast(a, &DataType::Int64).map_err(arrow_err)?;
            let l = c.as_primitive::<Int64Type>();
            for (i, &g) in ids.iter().enumerate() {
                if g != SKIP && l.is_valid(i) {
                    f(g, hasher.hash_one(l.value(i)));
                }
            }
        }
    }
    Ok(())
}

fn to_f64(a: &ArrayRef) -> EvalResult<arrow::array::Float64Array> {
    let c = arrow::compute::kernels::cast::cast(a, &DataType::Float64).map_err(arrow_err)?;
    Ok(c.as_primitive::<Float64Type>().clone())
}

impl SketchAcc {
    /// The state of a sketch aggregate, or None for other functions.
    pub(super) fn new(a: &AggExpr, params: &[PlanExpr]) -> Option<SketchAcc> {
        let accuracy = params.first().and_then(|e| match &e.kind {
            PlanExprKind::Literal(ScalarValue::Long(x)) => Some(*x),
            _ => None,
        });
        Some(match a.func.base() {
            AggFunc::Hll => SketchAcc::Hll {
                p: hll_bits(accuracy.unwrap_or(1)),
                sketches: vec![],
            },
            AggFunc::HllMerge => SketchAcc::HllMerge { sketches: vec![] },
            AggFunc::TDigest => SketchAcc::TDigest {
                ty: match a.args.first().map_or(KqlType::Real, |e| e.ty) {
                    KqlType::Int | KqlType::Long => KqlType::Long,
                    KqlType::DateTime => KqlType::DateTime,
                    KqlType::TimeSpan => KqlType::TimeSpan,
                    _ => KqlType::Real,
                },
                digests: vec![],
            },
            AggFunc::TDigestMerge => SketchAcc::TDigestMerge { digests: vec![] },
            AggFunc::BuildSchema => SketchAcc::BuildSchema { schemas: vec![] },
            _ => return None,
        })
    }

    /// Whether [`SketchAcc::update`] takes a dictionary-encoded argument
    /// as it is.
    pub(super) fn takes_dictionary(&self) -> bool {
        matches!(self, SketchAcc::Hll { .. })
    }

    pub(super) fn update(
        &mut self,
        ids: &[u32],
        value: Option<&ArrayRef>,
        second: Option<&ArrayRef>,
        ngroups: usize,
    ) -> EvalResult<()> {
        let a = value.ok_or_else(|| internal("aggregate argument missing"))?;
        match self {
            SketchAcc::Hll { p, sketches } => {
                grow(sketches, ngroups);
                let p = *p;
                value_hashes(a, ids, |g, h| {
                    if let Some(s) = sketches.get_mut(g as usize) {
                        s.get_or_insert_with(|| Hll::new(p)).add(h);
                    }
                })?;
            }
            SketchAcc::HllMerge { sketches } => {
                grow(sketches, ngroups);
                let s = a.as_string::<i32>();
                for (i, &g) in ids.iter().enumerate() {
                    if g == SKIP || !s.is_valid(i) {
                        continue;
                    }
                    let (Some(h), Some(slot)) =
                        (Hll::from_json(s.value(i)), sketches.get_mut(g as usize))
                    else {
                        continue;
                    };
                    match slot {
                        Some(acc) => acc.merge(&h),
                        None => *slot = Some(h),
                    }
                }
            }
            SketchAcc::TDigest { ty, digests } => {
                grow(digests, ngroups);
                let x = to_f64(a)?;
                let w = match second {
                    Some(w) => Some(to_f64(w)?),
                    None => None,
                };
                for (i, &g) in ids.iter().enumerate() {
                    if g == SKIP || !x.is_valid(i) {
                        continue;
                    }
                    let weight = match &w {
                        Some(w) if w.is_valid(i) => w.value(i),
                        Some(_) => continue,
                        None => 1.0,
                    };
                    if let Some(slot) = digests.get_mut(g as usize) {
                        slot.get_or_insert_with(|| TDigest::new(*ty))
                            .push(x.value(i), weight);
                    }
                }
                for d in digests.iter_mut().flatten() {
                    d.compress();
                }
            }
            SketchAcc::TDigestMerge { digests } => {
                grow(digests, ngroups);
                let s = a.as_string::<i32>();
                for (i, &g) in ids.iter().enumerate() {
                    if g == SKIP || !s.is_valid(i) {
                        continue;
                    }
                    let (Some(t), Some(slot)) =
                        (TDigest::from_json(s.value(i)), digests.get_mut(g as usize))
                    else {
                        continue;
                    };
                    match slot {
                        Some(acc) => acc.merge(&t),
                        None => *slot = Some(t),
                    }
                }
            }
            SketchAcc::BuildSchema { schemas } => {
                grow(schemas, ngroups);
                let s = a.as_string::<i32>();
                for (i, &g) in ids.iter().enumerate() {
                    if g == SKIP || !s.is_valid(i) {
                        continue;
                    }
                    let Ok(v) = serde_json::from_str::<serde_json::Value>(s.value(i)) else {
                        continue;
                    };
                    if let Some(slot) = schemas.get_mut(g as usize) {
                        slot.get_or_insert_with(Schema::default).add(&v);
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn finish(self, n: usize) -> EvalResult<ArrayRef> {
        let mut b = StringBuilder::with_capacity(n, n * 32);
        let mut put = |s: Option<String>| match s {
            Some(s) if !s.is_empty() => b.append_value(s),
            _ => b.append_null(),
        };
        match self {
            SketchAcc::Hll { sketches, .. } | SketchAcc::HllMerge { sketches } => {
                for g in 0..n {
                    put(sketches.get(g).and_then(|s| s.as_ref()).map(Hll::to_json));
                }
            }
            SketchAcc::TDigest { digests, .. } | SketchAcc::TDigestMerge { digests } => {
                for g in 0..n {
                    put(digests
                        .get(g)
                        .and_then(|s| s.as_ref())
                        .map(TDigest::to_json));
                }
            }
            SketchAcc::BuildSchema { schemas } => {
                for g in 0..n {
                    put(schemas.get(g).and_then(|s| s.as_ref()).map(|s| {
                        let mut out = String::new();
                        s.write(&mut out);
                        out
                    }));
                }
            }
        }
        Ok(Arc::new(b.finish()))
    }
}

/// The schema of dynamic values: the alternatives seen, in order of first
/// appearance (type names, and at most one property bag, in which arrays
/// are the key `` `indexer` ``).
#[derive(Default)]
pub(super) struct Schema {
    types: Vec<&'static str>,
    bag: Option<Vec<(String, Schema)>>,
    /// Whether the bag came before the first type name (for the order).
    bag_first: bool,
}

impl Schema {
    fn add(&mut self, v: &serde_json::Value) {
        use serde_json::Value as V;
        let ty = match v {
            V::Null => return,
            V::Bool(_) => "bool",
            V::Number(n) if n.is_i64() || n.is_u64() => "long",
            V::Number(_) => "double",
            V::String(_) => "string",
            V::Array(items) => {
                let bag = self.bag_mut();
                let slot = field(bag, "`indexer`");
                for item in items {
                    slot.add(item);
                }
                return;
            }
            V::Object(map) => {
                let bag = self.bag_mut();
                for (k, item) in map {
                    field(bag, k).add(item);
                }
                return;
            }
        };
        if !self.types.contains(&ty) {
            self.types.push(ty);
        }
    }

    fn bag_mut(&mut self) -> &mut Vec<(String, Schema)> {
        if self.bag.is_none() {
            self.bag_first = self.types.is_empty();
        }
        self.bag.get_or_insert_with(Vec::new)
    }

    fn write(&self, out: &mut String) {
        let count = self.types.len() + usize::from(self.bag.is_some());
        if count > 1 {
            out.push('[');
        }
        let mut first = true;
        let mut sep = |out: &mut String| {
            if !first {
                out.push(',');
            }
            first = false;
        };
        if self.bag_first {
            if let Some(bag) = &self.bag {
                sep(out);
                write_bag(bag, out);
            }
        }
        for t in &self.types {
            sep(out);
            out.push('"');
            out.push_str(t);
            out.push('"');
        }
        if !self.bag_first {
            if let Some(bag) = &self.bag {
                sep(out);
                write_bag(bag, out);
            }
        }
        if count > 1 {
            out.push(']');
        }
    }
}

fn field<'a>(bag: &'a mut Vec<(String, Schema)>, key: &str) -> &'a mut Schema {
    let i = match bag.iter().position(|(k, _)| k == key) {
        Some(i) => i,
        None => {
            bag.push((key.to_string(), Schema::default()));
            bag.len() - 1
        }
    };
    &mut bag[i].1
}

fn write_bag(bag: &[(String, Schema)], out: &mut String) {
    out.push('{');
    for (i, (k, s)) in bag.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::Value::String(k.clone()).to_string());
        out.push(':');
        if s.types.is_empty() && s.bag.is_none() {
            out.push_str("null");
        } else {
            s.write(out);
        }
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_merge_alternatives_in_order() {
        let mut s = Schema::default();
        for v in [
            r#"{"x":1, "y":3.5}"#,
            r#"{"x":"somevalue", "z":[1, 2, 3]}"#,
            r#"{"y":{"w":"zzz"}, "t":["aa", "bb"], "z":["foo"]}"#,
        ] {
            s.add(&serde_json::from_str(v).unwrap_or_default());
        }
        let mut out = String::new();
        s.write(&mut out);
        assert_eq!(
            out,
            r#"{"x":["long","string"],"y":["double",{"w":"string"}],"z":{"`indexer`":["long","string"]},"t":{"`indexer`":"string"}}"#
        );
    }
}
