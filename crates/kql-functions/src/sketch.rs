//! Sketches: HyperLogLog (`hll()`, `dcount_hll()`, `hll_merge()`) and
//! t-digest (`tdigest()`, `percentile_tdigest()`, `rank_tdigest()`,
//! `merge_tdigest()`) values, held as `dynamic` property bags, and the
//! scalar functions over them.
//!
//! An HLL sketch keeps the exact set of 64-bit value hashes while it is
//! small (so `dcount_hll` then equals `dcount`), and HyperLogLog registers
//! once it grows past a quarter of the register count. A t-digest keeps
//! each distinct value with its weight up to [`TDIGEST_MAX`] centroids
//! (so percentiles then equal `percentile`'s nearest rank), and merges
//! neighbouring centroids beyond that.

use crate::kernel::{reals, strs};
use crate::typing::{sig_var, P};
use crate::{Arg, ArgInfo, Category, Ctx, Example, FunctionDef, Typed};
use arrow::array::{Array, ArrayRef, Float64Array, Int64Array, StringArray, StringBuilder};
use base64::Engine;
use kql_common::KqlType;
use serde_json::{json, Value};
use std::sync::Arc;

const C: Category = Category::Sketch;

pub static FUNCTIONS: &[&FunctionDef] = &[
    &DCOUNT_HLL,
    &HLL_MERGE,
    &MERGE_TDIGEST,
    &TDIGEST_MERGE,
    &PERCENTILE_TDIGEST,
    &PERCENTILES_ARRAY_TDIGEST,
    &RANK_TDIGEST,
    &DCOUNT_INTERSECT,
];

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The number of index bits of an HLL sketch for Kusto's accuracy levels
/// 0 to 4 (1 is the default).
pub fn hll_bits(accuracy: i64) -> u8 {
    match accuracy {
        0 => 12,
        2 => 16,
        3 => 17,
        4 => 18,
        _ => 14,
    }
}

/// A HyperLogLog sketch.
#[derive(Clone, Debug, PartialEq)]
pub enum Hll {
    /// The distinct hashes seen, while they are few.
    Sparse { p: u8, hashes: Vec<u64> },
    /// One register per index: the longest run of leading zeros + 1.
    Dense { p: u8, registers: Vec<u8> },
}

impl Hll {
    pub fn new(p: u8) -> Hll {
        Hll::Sparse {
            p,
            hashes: Vec::new(),
        }
    }

    fn p(&self) -> u8 {
        match self {
            Hll::Sparse { p, .. } | Hll::Dense { p, .. } => *p,
        }
    }

    /// Adds the hash of one value (mixed again, so that every bit of it
    /// is evenly distributed whatever hash the caller used).
    pub fn add(&mut self, h: u64) {
        let h = mix(h);
        match self {
            Hll::Sparse { p, hashes } => {
                if let Err(i) = hashes.binary_search(&h) {
                    hashes.insert(i, h);
                    if hashes.len() > (1usize << *p) / 4 {
                        self.densify();
                    }
                }
            }
            Hll::Dense { p, registers } => set_register(registers, *p, h),
        }
    }

    fn densify(&mut self) {
        if let Hll::Sparse { p, hashes } = self {
            let mut registers = vec![0u8; 1usize << *p];
            for &h in hashes.iter() {
                set_register(&mut registers, *p, h);
            }
            *self = Hll::Dense { p: *p, registers };
        }
    }

    /// The registers at `p` index bits (folding finer registers).
    fn dense_at(&self, p: u8) -> Vec<u8> {
        let mut out = vec![0u8; 1usize << p];
        match self {
            Hll::Sparse { hashes, .. } => {
                for &h in hashes {
                    set_register(&mut out, p, h);
                }
            }
            Hll::Dense { p: q, registers } => {
                let shift = q.saturating_sub(p);
                for (i, &r) in registers.iter().enumerate() {
                    if r == 0 {
                        continue;
                    }
                    let low = i & ((1usize << shift) - 1);
                    let rho = if shift == 0 {
                        r
                    } else if low != 0 {
                        // Leading zeros of the dropped index bits, + 1.
                        (low.leading_zeros() as u8).saturating_sub((usize::BITS as u8) - shift) + 1
                    } else {
                        shift.saturating_add(r)
                    };
                    if let Some(o) = out.get_mut(i >> shift) {
                        *o = (*o).max(rho);
                    }
                }
            }
        }
        out
    }

    /// The union of two sketches (at the coarser of their precisions).
    pub fn merge(&mut self, other: &Hll) {
        let p = self.p().min(other.p());
        match (&mut *self, other) {
            (Hll::Sparse { p: a, hashes }, Hll::Sparse { p: b, hashes: more }) if *a == *b => {
                let mut all: Vec<u64> = hashes.iter().chain(more).copied().collect();
                all.sort_unstable();
                all.dedup();
                *hashes = all;
                if hashes.len() > (1usize << p) / 4 {
                    self.densify();
                }
            }
            _ => {
                let mut mine = self.dense_at(p);
                for (m, o) in mine.iter_mut().zip(other.dense_at(p)) {
                    *m = (*m).max(o);
                }
                *self = Hll::Dense { p, registers: mine };
            }
        }
    }

    /// The estimated number of distinct values.
    pub fn estimate(&self) -> i64 {
        match self {
            Hll::Sparse { hashes, .. } => hashes.len() as i64,
            Hll::Dense { registers, .. } => {
                let m = registers.len() as f64;
                let alpha = 0.7213 / (1.0 + 1.079 / m);
                let sum: f64 = registers.iter().map(|&r| 2f64.powi(-i32::from(r))).sum();
                let raw = alpha * m * m / sum;
                let zeros = registers.iter().filter(|&&r| r == 0).count();
                let e = if raw <= 2.5 * m && zeros > 0 {
                    m * (m / zeros as f64).ln()
                } else {
                    raw
                };
                e.round() as i64
            }
        }
    }

    pub fn to_json(&self) -> String {
        let v = match self {
            Hll::Sparse { p, hashes } => {
                let bytes: Vec<u8> = hashes.iter().flat_map(|h| h.to_le_bytes()).collect();
                json!({"hll": {"p": p, "sparse": B64.encode(bytes)}})
            }
            Hll::Dense { p, registers } => {
                json!({"hll": {"p": p, "dense": B64.encode(registers)}})
            }
        };
        v.to_string()
    }

    pub fn from_json(text: &str) -> Option<Hll> {
        let v: Value = serde_json::from_str(text).ok()?;
        let h = v.get("hll")?;
        let p = u8::try_from(h.get("p")?.as_u64()?)
            .ok()
            .filter(|p| (4..=18).contains(p))?;
        if let Some(s) = h.get("sparse").and_then(Value::as_str) {
            let bytes = B64.decode(s).ok()?;
            let mut hashes: Vec<u64> = bytes
                .chunks_exact(8)
                .map(|c| {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(c);
                    u64::from_le_bytes(b)
                })
                .collect();
            hashes.sort_unstable();
            hashes.dedup();
            return Some(Hll::Sparse { p, hashes });
        }
        let registers = B64.decode(h.get("dense")?.as_str()?).ok()?;
        (registers.len() == 1usize << p).then_some(Hll::Dense { p, registers })
    }
}

/// The splitmix64 finalizer: a bijection that spreads every input bit over
/// the whole word.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn set_register(registers: &mut [u8], p: u8, h: u64) {
    let idx = (h >> (64 - u32::from(p))) as usize;
    let rest = h << p;
    let rho = (rest.leading_zeros().min(64 - u32::from(p)) + 1) as u8;
    if let Some(r) = registers.get_mut(idx) {
        *r = (*r).max(rho);
    }
}

/// Most centroids a t-digest keeps before merging neighbours.
pub const TDIGEST_MAX: usize = 5000;

/// A t-digest: centroids (mean, weight) sorted by mean, and the KQL type
/// of the values it summarizes.
#[derive(Clone, Debug, PartialEq)]
pub struct TDigest {
    pub ty: KqlType,
    pub centroids: Vec<(f64, f64)>,
}

impl TDigest {
    pub fn new(ty: KqlType) -> TDigest {
        TDigest {
            ty,
            centroids: Vec::new(),
        }
    }

    /// Adds values with weights; call [`TDigest::compress`] after a batch.
    pub fn push(&mut self, x: f64, w: f64) {
        if w > 0.0 && x.is_finite() {
            self.centroids.push((x, w));
        }
    }

    /// Sorts, merges equal values and, beyond [`TDIGEST_MAX`] centroids,
    /// merges neighbours while the merged weight stays within the t-digest
    /// size bound for its quantile.
    pub fn compress(&mut self) {
        self.centroids.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut out: Vec<(f64, f64)> = Vec::with_capacity(self.centroids.len());
        for &(x, w) in &self.centroids {
            match out.last_mut() {
                Some(last) if last.0 == x => last.1 += w,
                _ => out.push((x, w)),
            }
        }
        if out.len() > TDIGEST_MAX {
            // The k1 scale of the t-digest paper: a merged centroid may span
            // at most one unit of k(q) = δ/(2π)·asin(2q−1), which allows
            // about δ/2 centroids, small ones near the tails.
            let total: f64 = out.iter().map(|c| c.1).sum();
            let delta = TDIGEST_MAX as f64;
            let k = |q: f64| {
                delta / (2.0 * std::f64::consts::PI) * (2.0 * q.clamp(0.0, 1.0) - 1.0).asin()
            };
            let mut merged: Vec<(f64, f64)> = Vec::with_capacity(TDIGEST_MAX);
            // The weight before the last merged centroid.
            let mut before = 0.0;
            for (x, w) in out {
                if let Some(last) = merged.last_mut() {
                    let q0 = before / total;
                    let q1 = (before + last.1 + w) / total;
                    if k(q1) - k(q0) <= 1.0 {
                        let nw = last.1 + w;
                        last.0 += (x - last.0) * w / nw;
                        last.1 = nw;
                        continue;
                    }
                    before += last.1;
                }
                merged.push((x, w));
            }
            out = merged;
        }
        self.centroids = out;
    }

    pub fn merge(&mut self, other: &TDigest) {
        if self.centroids.is_empty() {
            self.ty = other.ty;
        }
        self.centroids.extend_from_slice(&other.centroids);
        self.compress();
    }

    /// The nearest-rank percentile: the first centroid whose cumulative
    /// weight reaches `p`% of the total.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        let total: f64 = self.centroids.iter().map(|c| c.1).sum();
        if total <= 0.0 {
            return None;
        }
        let want = (p / 100.0 * total).ceil().clamp(1.0, total);
        let mut seen = 0.0;
        for &(x, w) in &self.centroids {
            seen += w;
            if seen >= want - 1e-9 {
                return Some(x);
            }
        }
        self.centroids.last().map(|c| c.0)
    }

    /// The weight of the values not greater than `v`.
    pub fn rank(&self, v: f64) -> f64 {
        self.centroids
            .iter()
            .take_while(|c| c.0 <= v)
            .map(|c| c.1)
            .sum()
    }

    pub fn to_json(&self) -> String {
        let c: Vec<Value> = self.centroids.iter().map(|&(x, w)| json!([x, w])).collect();
        json!({"tdigest": {"type": self.ty.name(), "centroids": c}}).to_string()
    }

    pub fn from_json(text: &str) -> Option<TDigest> {
        let v: Value = serde_json::from_str(text).ok()?;
        let t = v.get("tdigest")?;
        let ty = KqlType::from_name(t.get("type")?.as_str()?)?;
        let centroids = t
            .get("centroids")?
            .as_array()?
            .iter()
            .map(|c| Some((c.get(0)?.as_f64()?, c.get(1)?.as_f64()?)))
            .collect::<Option<Vec<_>>>()?;
        Some(TDigest { ty, centroids })
    }

    /// A value of the digest's type as JSON (datetimes and timespans as
    /// text, whole numbers without a fraction).
    pub fn value_json(&self, x: f64) -> String {
        match self.ty {
            KqlType::Long | KqlType::Int => format!("{}", x.round() as i64),
            KqlType::DateTime => {
                let mut s = String::from("\"");
                kql_common::time::write_datetime(&mut s, x.round() as i64);
                s.push('"');
                s
            }
            KqlType::TimeSpan => format!(
                "\"{}\"",
                kql_common::time::format_timespan(x.round() as i64)
            ),
            _ => serde_json::Number::from_f64(x).map_or("null".to_string(), |n| n.to_string()),
        }
    }
}

fn text(a: &StringArray, i: usize) -> Option<&str> {
    if a.is_null(i) {
        None
    } else {
        Some(a.value(i))
    }
}

fn dyn_out(len: usize, mut f: impl FnMut(usize) -> Option<String>) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(len, len * 32);
    for i in 0..len {
        match f(i) {
            Some(s) => b.append_value(s),
            None => b.append_null(),
        }
    }
    Arc::new(b.finish())
}

fn dyn_args(name: &str, a: &[ArgInfo], ret: KqlType) -> Result<Typed, String> {
    sig_var(name, a, 1, &[P::Dyn], ret)
}

static DCOUNT_HLL: FunctionDef = FunctionDef::new(
    "dcount_hll",
    C,
    "dcount_hll(hll: dynamic): long",
    "The distinct count estimated from an `hll()` or `hll_merge()` sketch; it equals `dcount()` while the sketch holds few values.",
    |a| sig_var("dcount_hll", a, 1, &[P::Dyn], KqlType::Long).and_then(|t| {
        if t.args.len() == 1 {
            Ok(t)
        } else {
            Err("dcount_hll() takes 1 argument".to_string())
        }
    }),
    |ctx, args| {
        let h = strs(args, 0)?;
        let out: Int64Array = (0..ctx.len)
            .map(|i| text(h, i).and_then(Hll::from_json).map(|s| s.estimate()))
            .collect();
        Ok(Arc::new(out))
    },
)
.examples(&[Example {
    query: "range x from 1 to 10 step 1\n| summarize h = hll(x)\n| project d = dcount_hll(h)",
    output: "d\n10",
}]);

fn hll_merge_kernel(ctx: &Ctx, args: &[Arg]) -> Result<ArrayRef, String> {
    let cols = (0..args.len())
        .map(|i| strs(args, i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(dyn_out(ctx.len, |i| {
        let mut acc: Option<Hll> = None;
        for c in &cols {
            let Some(h) = text(c, i).and_then(Hll::from_json) else {
                continue;
            };
            match &mut acc {
                Some(a) => a.merge(&h),
                None => acc = Some(h),
            }
        }
        acc.map(|h| h.to_json())
    }))
}

static HLL_MERGE: FunctionDef = FunctionDef::new(
    "hll_merge",
    C,
    "hll_merge(hll1: dynamic, hll2: dynamic, ...): dynamic",
    "The union of `hll()` sketches (null ones are left out). As an aggregation, `hll_merge(h)` merges the sketches of a group.",
    |a| dyn_args("hll_merge", a, KqlType::Dynamic),
    hll_merge_kernel,
)
.examples(&[Example {
    query: "range x from 1 to 10 step 1\n| summarize a = hll(x), b = hll(x + 5)\n| project d = dcount_hll(hll_merge(a, b))",
    output: "d\n15",
}]);

fn tdigest_merge_kernel(ctx: &Ctx, args: &[Arg]) -> Result<ArrayRef, String> {
    let cols = (0..args.len())
        .map(|i| strs(args, i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(dyn_out(ctx.len, |i| {
        let mut acc: Option<TDigest> = None;
        for c in &cols {
            let Some(t) = text(c, i).and_then(TDigest::from_json) else {
                continue;
            };
            match &mut acc {
                Some(a) => a.merge(&t),
                None => acc = Some(t),
            }
        }
        acc.map(|t| t.to_json())
    }))
}

static MERGE_TDIGEST: FunctionDef = FunctionDef::new(
    "merge_tdigest",
    C,
    "merge_tdigest(tdigest1: dynamic, tdigest2: dynamic, ...): dynamic",
    "The union of `tdigest()` results (null ones are left out). As an aggregation, `merge_tdigest(t)` merges the digests of a group.",
    |a| dyn_args("merge_tdigest", a, KqlType::Dynamic),
    tdigest_merge_kernel,
)
.examples(&[Example {
    query: "range x from 1 to 10 step 1\n| summarize a = tdigest(x), b = tdigest(x + 10)\n| project p = percentile_tdigest(merge_tdigest(a, b), 100, typeof(long))",
    output: "p\n20",
}]);

static TDIGEST_MERGE: FunctionDef = FunctionDef::new(
    "tdigest_merge",
    C,
    "tdigest_merge(tdigest1: dynamic, tdigest2: dynamic, ...): dynamic",
    "Same as merge_tdigest.",
    |a| dyn_args("tdigest_merge", a, KqlType::Dynamic),
    tdigest_merge_kernel,
);

/// The percents of a call: numbers, or one dynamic array of numbers.
fn percents(args: &[Arg], from: usize, row: usize) -> Result<Vec<f64>, String> {
    let mut out = Vec::new();
    for (k, a) in args.iter().enumerate().skip(from) {
        if a.ty == KqlType::Dynamic {
            let s = strs(args, k)?;
            if let Some(Value::Array(xs)) = text(s, row).and_then(|t| serde_json::from_str(t).ok())
            {
                out.extend(xs.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)));
            }
        } else {
            let r = reals(args, k)?;
            out.push(if r.is_valid(row) {
                r.value(row)
            } else {
                f64::NAN
            });
        }
    }
    Ok(out)
}

static PERCENTILE_TDIGEST: FunctionDef = FunctionDef::new(
    "percentile_tdigest",
    C,
    "percentile_tdigest(tdigest: dynamic, percentile: real [, typeof(T)]): dynamic",
    "The nearest-rank percentile estimated from a `tdigest()` result, as a dynamic value of the digest's type, or of type T with `typeof(T)`.",
    |a| sig_var("percentile_tdigest", a, 2, &[P::Dyn, P::Real], KqlType::Dynamic).and_then(|t| {
        if t.args.len() == 2 {
            Ok(t)
        } else {
            Err("percentile_tdigest() takes a digest, a percentile and an optional typeof(T)".to_string())
        }
    }),
    |ctx, args| {
        let d = strs(args, 0)?;
        let p = reals(args, 1)?;
        Ok(dyn_out(ctx.len, |i| {
            let t = text(d, i).and_then(TDigest::from_json)?;
            let p = p.is_valid(i).then(|| p.value(i))?;
            t.percentile(p).map(|x| t.value_json(x))
        }))
    },
)
.examples(&[Example {
    query: "datatable(V: real, W: long)[1.0, 1, 2.0, 2]\n| summarize t = tdigest(V, W)\n| project p50 = percentile_tdigest(t, 50), p0 = percentile_tdigest(t, 0, typeof(long))",
    output: "p50,p0\n2.0,1",
}]);

static PERCENTILES_ARRAY_TDIGEST: FunctionDef = FunctionDef::new(
    "percentiles_array_tdigest",
    C,
    "percentiles_array_tdigest(tdigest: dynamic, percentile1 [, percentile2, ...]): dynamic",
    "The nearest-rank percentiles estimated from a `tdigest()` result, as one array; the percentiles may also be given as one dynamic array.",
    |a| {
        let t = sig_var("percentiles_array_tdigest", a, 2, &[P::Dyn, P::Any], KqlType::Dynamic)?;
        let mut args = vec![KqlType::Dynamic];
        for x in a.iter().skip(1) {
            args.push(match x.ty {
                KqlType::Dynamic => KqlType::Dynamic,
                t if t.is_numeric() => KqlType::Real,
                t => return Err(format!("a percentile of percentiles_array_tdigest() must be a number, not {t}")),
            });
        }
        Ok(Typed { ret: t.ret, args })
    },
    |ctx, args| {
        let d = strs(args, 0)?;
        let mut out = Vec::with_capacity(ctx.len);
        for i in 0..ctx.len {
            let ps = percents(args, 1, i)?;
            out.push(text(d, i).and_then(TDigest::from_json).map(|t| {
                let items: Vec<String> = ps
                    .iter()
                    .map(|&p| t.percentile(p).map_or("null".to_string(), |x| t.value_json(x)))
                    .collect();
                format!("[{}]", items.join(","))
            }));
        }
        Ok(dyn_out(ctx.len, |i| out.get(i).cloned().flatten()))
    },
)
.examples(&[Example {
    query: "range x from 1 to 100 step 1\n| summarize t = tdigest(x)\n| project p = percentiles_array_tdigest(t, 5, 50, 95)",
    output: "p\n\"[5,50,95]\"",
}]);

static RANK_TDIGEST: FunctionDef = FunctionDef::new(
    "rank_tdigest",
    C,
    "rank_tdigest(tdigest: dynamic, value): real",
    "The estimated number of values in the digest that are smaller than or equal to the value.",
    |a| {
        crate::typing::arity("rank_tdigest", a, 2, 2)?;
        let v = match a[1].ty {
            t if t.is_numeric() || t == KqlType::Dynamic => KqlType::Real,
            KqlType::DateTime => KqlType::DateTime,
            KqlType::TimeSpan => KqlType::TimeSpan,
            t => return Err(format!("rank_tdigest() ranks a number, datetime or timespan, not {t}")),
        };
        Ok(Typed {
            ret: KqlType::Real,
            args: vec![KqlType::Dynamic, v],
        })
    },
    |ctx, args| {
        let d = strs(args, 0)?;
        let v = crate::kernel::arg(args, 1)?;
        let value = |i: usize| -> Option<f64> {
            if v.array.is_null(i) {
                return None;
            }
            match v.ty {
                KqlType::Real => reals(args, 1).ok().map(|r| r.value(i)),
                _ => crate::kernel::longs(args, 1).ok().map(|r| r.value(i) as f64),
            }
        };
        let out: Float64Array = (0..ctx.len)
            .map(|i| Some(text(d, i).and_then(TDigest::from_json)?.rank(value(i)?)))
            .collect();
        Ok(Arc::new(out))
    },
)
.examples(&[Example {
    query: "range x from 1 to 1000 step 1\n| summarize t = tdigest(x)\n| project r = rank_tdigest(t, 685)",
    output: "r\n685.0",
}]);

/// The estimated size of the intersection of sketches, by inclusion and
/// exclusion over the unions of every non-empty subset.
pub fn intersection(sketches: &[Hll]) -> i64 {
    let k = sketches.len();
    let mut total: i64 = 0;
    for mask in 1u32..(1u32 << k) {
        let mut union: Option<Hll> = None;
        for (j, s) in sketches.iter().enumerate() {
            if mask & (1 << j) != 0 {
                match &mut union {
                    Some(u) => u.merge(s),
                    None => union = Some(s.clone()),
                }
            }
        }
        let n = union.map_or(0, |u| u.estimate());
        if mask.count_ones() % 2 == 1 {
            total += n;
        } else {
            total -= n;
        }
    }
    total.max(0)
}

static DCOUNT_INTERSECT: FunctionDef = FunctionDef::new(
    "$dcount_intersect",
    C,
    "$dcount_intersect(hll1, hll2, ...): long",
    "The distinct count of the intersection of sketches (the `dcount_intersect` plugin).",
    |a| dyn_args("$dcount_intersect", a, KqlType::Long),
    |ctx, args| {
        let cols = (0..args.len())
            .map(|i| strs(args, i))
            .collect::<Result<Vec<_>, _>>()?;
        let out: Int64Array = (0..ctx.len)
            .map(|i| {
                let sketches = cols
                    .iter()
                    .map(|c| text(c, i).and_then(Hll::from_json))
                    .collect::<Option<Vec<Hll>>>()?;
                Some(intersection(&sketches))
            })
            .collect();
        Ok(Arc::new(out))
    },
)
.hidden();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_sketches_count_exactly_and_round_trip() {
        let mut h = Hll::new(14);
        for i in 0..100 {
            h.add(i % 40);
        }
        assert_eq!(h.estimate(), 40);
        assert_eq!(Hll::from_json(&h.to_json()), Some(h));
    }

    #[test]
    fn dense_sketches_estimate_within_a_few_percent() {
        let mut h = Hll::new(12);
        for i in 0..200_000 {
            h.add(i);
        }
        assert!(matches!(h, Hll::Dense { .. }));
        let e = h.estimate() as f64;
        assert!((e - 200_000.0).abs() / 200_000.0 < 0.05, "{e}");
        // Folding to fewer registers keeps the estimate close.
        let mut coarse = Hll::new(10);
        coarse.merge(&h);
        let c = coarse.estimate() as f64;
        assert!((c - 200_000.0).abs() / 200_000.0 < 0.1, "{c}");
    }

    #[test]
    fn digests_give_nearest_rank_percentiles() {
        let mut t = TDigest::new(KqlType::Long);
        for i in 1..=1000 {
            t.push(f64::from(i), 1.0);
        }
        t.compress();
        assert_eq!(t.percentile(50.0), Some(500.0));
        assert_eq!(t.rank(685.0), 685.0);
        let back = TDigest::from_json(&t.to_json());
        assert_eq!(back.map(|b| b.centroids.len()), Some(1000));
    }

    #[test]
    fn large_digests_are_compressed() {
        let mut t = TDigest::new(KqlType::Real);
        for i in 0..100_000 {
            t.push(f64::from(i), 1.0);
        }
        t.compress();
        assert!(t.centroids.len() <= TDIGEST_MAX, "{}", t.centroids.len());
        let p = t.percentile(90.0).unwrap_or_default();
        assert!((p - 90_000.0).abs() < 500.0, "{p}");
    }
}
