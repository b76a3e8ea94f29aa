//! Per-group state of the aggregation functions, updated one argument array
//! at a time.

use super::SKIP;
use crate::dict;
use crate::error::{internal, EvalResult};
use crate::expr::arrow_err;
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, DictionaryArray, Float64Array, Int32Array, Int64Array,
    StringArray, StringBuilder,
};
use arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type};
use foldhash::fast::FixedState;
use kql_common::time::{format_timespan, write_datetime};
use kql_common::{KqlType, ScalarValue};
use kql_planner::functions::{AggFunc, EmptyValue};
use kql_planner::plan::{AggExpr, PlanExpr, PlanExprKind};
use std::fmt::Write;
use std::sync::Arc;

type HashSet<T> = hashbrown::HashSet<T, FixedState>;

/// Default maximum number of elements of `make_set`/`make_list`/`make_bag`.
const MAX_ITEMS: usize = 1_048_576;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Pick {
    Min,
    Max,
    /// The first non-null value (non-empty for strings).
    First,
}

impl Pick {
    fn better<T: PartialOrd + ?Sized>(self, new: &T, old: &T) -> bool {
        match self {
            Pick::Min => new < old,
            Pick::Max => new > old,
            Pick::First => false,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Collect {
    Set,
    List,
    ListWithNulls,
    Bag,
}

/// The state of one aggregate over all groups.
pub(super) enum Acc {
    Count(Vec<i64>),
    SumLong(Vec<i64>),
    SumReal(Vec<f64>),
    Avg(Vec<f64>, Vec<i64>),
    /// Welford's running count, mean and sum of squared deviations.
    Moments {
        n: Vec<f64>,
        mean: Vec<f64>,
        m2: Vec<f64>,
        sample: bool,
        root: bool,
    },
    PickLong(Pick, Vec<Option<i64>>),
    PickInt(Pick, Vec<Option<i32>>),
    PickReal(Pick, Vec<Option<f64>>),
    PickBool(Pick, Vec<Option<bool>>),
    PickString(Pick, Vec<Option<String>>, Box<Scratch>),
    /// Exact distinct count of 64-bit value hashes.
    DCount(Vec<HashSet<u64>>, Box<Seen>),
    Collect {
        kind: Collect,
        ty: KqlType,
        limit: usize,
        items: Vec<Vec<String>>,
        seen: Vec<HashSet<String>>,
        bags: Vec<serde_json::Map<String, serde_json::Value>>,
    },
    /// Values with their weights (1 unless weighted), per group.
    Percentile {
        ty: KqlType,
        percents: Vec<f64>,
        /// One dynamic array instead of a value (`percentiles_array`).
        array: bool,
        weighted: bool,
        longs: Vec<Vec<(i64, i64)>>,
        reals: Vec<Vec<(f64, i64)>>,
    },
    /// Running co-moment of two values.
    Covariance {
        n: Vec<f64>,
        mx: Vec<f64>,
        my: Vec<f64>,
        c: Vec<f64>,
        sample: bool,
    },
    BitAll(BitOp, Vec<Option<i64>>),
    /// `hll`, `tdigest`, their merges and `buildschema`.
    Sketch(Box<super::sketch::SketchAcc>),
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum BitOp {
    And,
    Or,
    Xor,
}

/// Words of [`Seen`]'s bits per batch, at most (1 MiB).
const SEEN_WORDS: usize = 1 << 17;

/// Per-batch working space of `dcount` over a dictionary-encoded argument:
/// for each group the batch's rows reach, a bit per dictionary value, so
/// each value's hash is added to a group's set once per batch.
#[derive(Default)]
pub(super) struct Seen {
    /// Per group: the position of its bits in `bits` (in bit rows of the
    /// dictionary's length), or `u32::MAX`.
    at: Vec<u32>,
    bits: Vec<u64>,
    touched: Vec<u32>,
}

impl Seen {
    /// Adds the hashes of the values of `d` at the rows of `ids` to the
    /// sets of their groups; false (nothing added) when `d` has nulls.
    fn distinct_encoded(
        &mut self,
        sets: &mut [HashSet<u64>],
        ids: &[u32],
        d: &DictionaryArray<Int32Type>,
    ) -> EvalResult<bool> {
        if d.keys().null_count() > 0 || d.values().null_count() > 0 {
            return Ok(false);
        }
        let values = d.values().as_string::<i32>();
        let len = values.len();
        let keys = d.keys().values();
        let mut hashes: Vec<u64> = Vec::new();
        if len <= keys.len() {
            hashes = (0..len)
                .map(|k| super::sketch::str_hash(values.value(k)))
                .collect();
        }
        let hash = |k: usize| match hashes.get(k) {
            Some(&h) => h,
            None => super::sketch::str_hash(values.value(k)),
        };
        let words = len.div_ceil(64).max(1);
        let Seen { at, bits, touched } = self;
        if at.len() < sets.len() {
            at.resize(sets.len(), u32::MAX);
        }
        for (&k, &g) in keys.iter().zip(ids) {
            if g == SKIP {
                continue;
            }
            let k = usize::try_from(k)
                .ok()
                .filter(|&k| k < len)
                .ok_or_else(|| internal("dictionary key out of range"))?;
            let (Some(row), Some(set)) = (at.get_mut(g as usize), sets.get_mut(g as usize)) else {
                continue;
            };
            if *row == u32::MAX {
                if bits.len() + words > SEEN_WORDS {
                    // Too many groups in this batch: the set alone.
                    set.insert(hash(k));
                    continue;
                }
                *row = (bits.len() / words) as u32;
                bits.resize(bits.len() + words, 0);
                touched.push(g);
            }
            let word = *row as usize * words + k / 64;
            let bit = 1u64 << (k % 64);
            if let Some(w) = bits.get_mut(word) {
                if *w & bit == 0 {
                    *w |= bit;
                    set.insert(hash(k));
                }
            }
        }
        for g in touched.drain(..) {
            if let Some(row) = at.get_mut(g as usize) {
                *row = u32::MAX;
            }
        }
        bits.clear();
        Ok(true)
    }
}

/// Per-batch working space of a string pick over a dictionary-encoded
/// argument.
#[derive(Default)]
pub(super) struct Scratch {
    /// Per group: the position of the best dictionary value among the
    /// batch's rows so far, or -1.
    best: Vec<i32>,
    /// The groups whose `best` is set.
    touched: Vec<u32>,
    /// The dictionary values `ranks` were computed for.
    ranked: Option<ArrayRef>,
    /// Per dictionary value: its rank, lower being better (equal values,
    /// equal ranks).
    ranks: Vec<u32>,
}

impl Scratch {
    /// Ranks the values of a dictionary for pick `p` (kept while the
    /// dictionary is the same one).
    fn rank(&mut self, p: Pick, values: &ArrayRef) {
        if let Some(old) = &self.ranked {
            if super::groups::same_values(old, values) {
                return;
            }
        }
        let s = values.as_string::<i32>();
        let len = s.len();
        self.ranks.clear();
        self.ranks.resize(len, 0);
        if p == Pick::First {
            // Non-empty strings first.
            for (k, r) in self.ranks.iter_mut().enumerate() {
                *r = u32::from(s.value(k).is_empty());
            }
        } else {
            let mut order: Vec<usize> = (0..len).collect();
            order.sort_unstable_by(|&a, &b| s.value(a).cmp(s.value(b)));
            let mut rank = 0u32;
            let mut prev: Option<&str> = None;
            for &k in &order {
                let x = s.value(k);
                if prev.is_some_and(|q| q != x) {
                    rank += 1;
                }
                prev = Some(x);
                if let Some(r) = self.ranks.get_mut(k) {
                    *r = rank;
                }
            }
            if p == Pick::Max {
                for r in &mut self.ranks {
                    *r = rank - *r;
                }
            }
        }
        self.ranked = Some(values.clone());
    }
}

fn grow<T: Clone>(v: &mut Vec<T>, n: usize, fill: T) {
    if v.len() < n {
        v.resize(n, fill);
    }
}

fn grow_with<T>(v: &mut Vec<T>, n: usize, f: impl Fn() -> T) {
    while v.len() < n {
        v.push(f());
    }
}

fn literal_f64(e: &PlanExpr) -> Option<f64> {
    match &e.kind {
        PlanExprKind::Literal(ScalarValue::Real(x)) => Some(*x),
        PlanExprKind::Literal(ScalarValue::Long(x)) => Some(*x as f64),
        PlanExprKind::Literal(ScalarValue::Int(x)) => Some((*x).into()),
        _ => None,
    }
}

impl Acc {
    /// The state for `a`; `params` are its constant arguments (limit,
    /// percents).
    pub(super) fn new(a: &AggExpr, params: &[PlanExpr]) -> EvalResult<Acc> {
        use AggFunc::*;
        if let Some(sketch) = super::sketch::SketchAcc::new(a, params) {
            return Ok(Acc::Sketch(Box::new(sketch)));
        }
        let arg_ty = a.args.first().map_or(KqlType::Long, |e| e.ty);
        let pick = |p: Pick| match arg_ty {
            KqlType::Long | KqlType::DateTime | KqlType::TimeSpan => Acc::PickLong(p, vec![]),
            KqlType::Int => Acc::PickInt(p, vec![]),
            KqlType::Real | KqlType::Decimal => Acc::PickReal(p, vec![]),
            KqlType::Bool => Acc::PickBool(p, vec![]),
            _ => Acc::PickString(p, vec![], Box::default()),
        };
        let limit = params
            .first()
            .and_then(literal_f64)
            .map_or(MAX_ITEMS, |x| x.clamp(0.0, MAX_ITEMS as f64) as usize);
        let collect = |kind| Acc::Collect {
            kind,
            ty: arg_ty,
            limit,
            items: vec![],
            seen: vec![],
            bags: vec![],
        };
        Ok(match a.func.base() {
            Count => Acc::Count(vec![]),
            Sum if a.ty == KqlType::Real => Acc::SumReal(vec![]),
            Sum => Acc::SumLong(vec![]),
            Avg => Acc::Avg(vec![], vec![]),
            f @ (Stdev | StdevP | Variance | VarianceP) => Acc::Moments {
                n: vec![],
                mean: vec![],
                m2: vec![],
                sample: matches!(f, Stdev | Variance),
                root: matches!(f, Stdev | StdevP),
            },
            Min => pick(Pick::Min),
            Max => pick(Pick::Max),
            TakeAny => pick(Pick::First),
            DCount => Acc::DCount(vec![], Box::default()),
            MakeSet => collect(Collect::Set),
            MakeList => collect(Collect::List),
            MakeListWithNulls => collect(Collect::ListWithNulls),
            MakeBag => collect(Collect::Bag),
            f @ (Percentile | PercentilesArray | PercentilesW | PercentilesWArray) => {
                Acc::Percentile {
                    ty: arg_ty,
                    percents: params.iter().filter_map(literal_f64).collect(),
                    array: matches!(f, PercentilesArray | PercentilesWArray),
                    weighted: matches!(f, PercentilesW | PercentilesWArray),
                    longs: vec![],
                    reals: vec![],
                }
            }
            f @ (Covariance | CovarianceP) => Acc::Covariance {
                n: vec![],
                mx: vec![],
                my: vec![],
                c: vec![],
                sample: f == Covariance,
            },
            BinaryAllAnd => Acc::BitAll(BitOp::And, vec![]),
            BinaryAllOr => Acc::BitAll(BitOp::Or, vec![]),
            BinaryAllXor => Acc::BitAll(BitOp::Xor, vec![]),
            f => return Err(internal(format!("no aggregate state for {}", f.name()))),
        })
    }

    /// Adds the rows of one batch: `ids` holds each row's group (or
    /// [`SKIP`]), `value` the argument array.
    pub(super) fn update(
        &mut self,
        ids: &[u32],
        value: Option<&ArrayRef>,
        second: Option<&ArrayRef>,
        ngroups: usize,
    ) -> EvalResult<()> {
        // Only some states read a dictionary-encoded argument as it is;
        // the others get its plain form.
        let plain_value;
        let value = match value {
            Some(v) if dict::is_dictionary(v.as_ref()) && !self.takes_dictionary() => {
                plain_value = dict::plain(v)?;
                Some(&plain_value)
            }
            v => v,
        };
        let plain_second;
        let second = match second {
            Some(v) if dict::is_dictionary(v.as_ref()) => {
                plain_second = dict::plain(v)?;
                Some(&plain_second)
            }
            v => v,
        };
        let arg = || value.ok_or_else(|| internal("aggregate argument missing"));
        let arg2 = || second.ok_or_else(|| internal("aggregate argument missing"));
        match self {
            Acc::Count(c) => {
                grow(c, ngroups, 0);
                for &g in ids {
                    if let Some(x) = c.get_mut(g as usize) {
                        *x += 1;
                    }
                }
            }
            Acc::SumLong(s) => {
                grow(s, ngroups, 0);
                let a = to_i64(arg()?)?;
                let vals = a.values();
                for (i, &g) in ids.iter().enumerate() {
                    if g != SKIP && a.is_valid(i) {
                        if let (Some(slot), Some(&v)) = (s.get_mut(g as usize), vals.get(i)) {
                            *slot = slot.wrapping_add(v);
                        }
                    }
                }
            }
            Acc::SumReal(s) => {
                grow(s, ngroups, 0.0);
                let a = to_f64(arg()?)?;
                let vals = a.values();
                for (i, &g) in ids.iter().enumerate() {
                    if g != SKIP && a.is_valid(i) {
                        if let (Some(slot), Some(&v)) = (s.get_mut(g as usize), vals.get(i)) {
                            *slot += v;
                        }
                    }
                }
            }
            Acc::Avg(sum, cnt) => {
                grow(sum, ngroups, 0.0);
                grow(cnt, ngroups, 0);
                let a = to_f64(arg()?)?;
                for (i, &g) in ids.iter().enumerate() {
                    if g != SKIP && a.is_valid(i) {
                        if let (Some(s), Some(c)) =
                            (sum.get_mut(g as usize), cnt.get_mut(g as usize))
                        {
                            *s += a.value(i);
                            *c += 1;
                        }
                    }
                }
            }
            Acc::Moments { n, mean, m2, .. } => {
                grow(n, ngroups, 0.0);
                grow(mean, ngroups, 0.0);
                grow(m2, ngroups, 0.0);
                let a = to_f64(arg()?)?;
                for (i, &g) in ids.iter().enumerate() {
                    if g == SKIP || !a.is_valid(i) {
                        continue;
                    }
                    let g = g as usize;
                    if let (Some(n), Some(mean), Some(m2)) =
                        (n.get_mut(g), mean.get_mut(g), m2.get_mut(g))
                    {
                        let x = a.value(i);
                        *n += 1.0;
                        let d = x - *mean;
                        *mean += d / *n;
                        *m2 += d * (x - *mean);
                    }
                }
            }
            Acc::PickLong(p, v) => {
                grow(v, ngroups, None);
                let a = to_i64(arg()?)?;
                pick_update(*p, v, ids, |i| a.is_valid(i).then(|| a.value(i)));
            }
            Acc::PickInt(p, v) => {
                grow(v, ngroups, None);
                let a = arg()?.as_primitive::<Int32Type>();
                pick_update(*p, v, ids, |i| a.is_valid(i).then(|| a.value(i)));
            }
            Acc::PickReal(p, v) => {
                grow(v, ngroups, None);
                let a = to_f64(arg()?)?;
                pick_update(*p, v, ids, |i| {
                    a.is_valid(i).then(|| a.value(i)).filter(|x| !x.is_nan())
                });
            }
            Acc::PickBool(p, v) => {
                grow(v, ngroups, None);
                let a = arg()?.as_boolean();
                pick_update(*p, v, ids, |i| a.is_valid(i).then(|| a.value(i)));
            }
            Acc::PickString(p, v, scratch) => {
                grow(v, ngroups, None);
                let a = arg()?;
                if let Some(d) = dict::as_string_dictionary(a.as_ref()) {
                    return pick_encoded(*p, v, scratch, ids, d, a);
                }
                let a: &StringArray = a.as_string::<i32>();
                for (i, &g) in ids.iter().enumerate() {
                    if g == SKIP || !a.is_valid(i) {
                        continue;
                    }
                    let x = a.value(i);
                    let Some(slot) = v.get_mut(g as usize) else {
                        continue;
                    };
                    if replaces(*p, x, slot.as_deref()) {
                        *slot = Some(x.to_string());
                    }
                }
            }
            Acc::DCount(sets, seen) => {
                grow_with(sets, ngroups, HashSet::default);
                let a = arg()?;
                if let Some(d) = dict::as_string_dictionary(a.as_ref()) {
                    if seen.distinct_encoded(sets, ids, d)? {
                        return Ok(());
                    }
                }
                // The same hashes as `hll()`, so the two agree.
                super::sketch::value_hashes(a, ids, |g, h| {
                    if let Some(s) = sets.get_mut(g as usize) {
                        s.insert(h);
                    }
                })?;
            }
            Acc::Collect {
                kind,
                ty,
                limit,
                items,
                seen,
                bags,
            } => {
                let a = arg()?;
                let mut buf = String::new();
                match kind {
                    Collect::Bag => {
                        grow_with(bags, ngroups, serde_json::Map::new);
                        let s = a.as_string::<i32>();
                        for (i, &g) in ids.iter().enumerate() {
                            if g == SKIP || !s.is_valid(i) {
                                continue;
                            }
                            let Some(bag) = bags.get_mut(g as usize) else {
                                continue;
                            };
                            if let Ok(serde_json::Value::Object(m)) =
                                serde_json::from_str(s.value(i))
                            {
                                for (k, v) in m {
                                    if bag.len() >= *limit {
                                        break;
                                    }
                                    bag.entry(k).or_insert(v);
                                }
                            }
                        }
                    }
                    _ => {
                        grow_with(items, ngroups, Vec::new);
                        if *kind == Collect::Set {
                            grow_with(seen, ngroups, HashSet::default);
                        }
                        for (i, &g) in ids.iter().enumerate() {
                            if g == SKIP {
                                continue;
                            }
                            let Some(list) = items.get_mut(g as usize) else {
                                continue;
                            };
                            if list.len() >= *limit {
                                continue;
                            }
                            buf.clear();
                            let valid = json_item(a, *ty, i, &mut buf);
                            match kind {
                                Collect::ListWithNulls if !valid => list.push("null".into()),
                                _ if !valid => {}
                                Collect::Set => {
                                    let Some(set) = seen.get_mut(g as usize) else {
                                        continue;
                                    };
                                    let mut add = |x: &str| {
                                        if list.len() < *limit && !set.contains(x) {
                                            set.insert(x.to_string());
                                            list.push(x.to_string());
                                        }
                                    };
                                    // Arrays in a dynamic column are flattened
                                    // into the set.
                                    let parsed = if *ty == KqlType::Dynamic && buf.starts_with('[')
                                    {
                                        serde_json::from_str(&buf).ok()
                                    } else {
                                        None
                                    };
                                    match parsed {
                                        Some(serde_json::Value::Array(xs)) => {
                                            xs.iter().for_each(|x| add(&x.to_string()))
                                        }
                                        _ => add(&buf),
                                    }
                                }
                                _ => list.push(buf.clone()),
                            }
                        }
                    }
                }
            }
            Acc::Percentile {
                ty,
                weighted,
                longs,
                reals,
                ..
            } => {
                let a = arg()?;
                let w = if *weighted {
                    Some(to_i64(arg2()?)?)
                } else {
                    None
                };
                let weight = |i: usize| match &w {
                    None => Some(1),
                    Some(w) => w.is_valid(i).then(|| w.value(i)).filter(|&x| x > 0),
                };
                if matches!(ty, KqlType::Real | KqlType::Decimal) {
                    grow_with(reals, ngroups, Vec::new);
                    let f = to_f64(a)?;
                    for (i, &g) in ids.iter().enumerate() {
                        if g != SKIP && f.is_valid(i) && !f.value(i).is_nan() {
                            if let (Some(v), Some(wt)) = (reals.get_mut(g as usize), weight(i)) {
                                v.push((f.value(i), wt));
                            }
                        }
                    }
                } else {
                    grow_with(longs, ngroups, Vec::new);
                    let l = to_i64(a)?;
                    for (i, &g) in ids.iter().enumerate() {
                        if g != SKIP && l.is_valid(i) {
                            if let (Some(v), Some(wt)) = (longs.get_mut(g as usize), weight(i)) {
                                v.push((l.value(i), wt));
                            }
                        }
                    }
                }
            }
            Acc::Covariance { n, mx, my, c, .. } => {
                for v in [&mut *n, &mut *mx, &mut *my, &mut *c] {
                    grow(v, ngroups, 0.0);
                }
                let x = to_f64(arg()?)?;
                let y = to_f64(arg2()?)?;
                for (i, &g) in ids.iter().enumerate() {
                    if g == SKIP || !x.is_valid(i) || !y.is_valid(i) {
                        continue;
                    }
                    let g = g as usize;
                    if let (Some(n), Some(mx), Some(my), Some(c)) =
                        (n.get_mut(g), mx.get_mut(g), my.get_mut(g), c.get_mut(g))
                    {
                        let (xv, yv) = (x.value(i), y.value(i));
                        *n += 1.0;
                        let dx = xv - *mx;
                        *mx += dx / *n;
                        *my += (yv - *my) / *n;
                        *c += dx * (yv - *my);
                    }
                }
            }
            Acc::Sketch(sk) => sk.update(ids, value, second, ngroups)?,
            Acc::BitAll(op, v) => {
                grow(v, ngroups, None);
                let a = to_i64(arg()?)?;
                for (i, &g) in ids.iter().enumerate() {
                    if g == SKIP || !a.is_valid(i) {
                        continue;
                    }
                    if let Some(slot) = v.get_mut(g as usize) {
                        let x = a.value(i);
                        *slot = Some(match (*slot, *op) {
                            (None, _) => x,
                            (Some(o), BitOp::And) => o & x,
                            (Some(o), BitOp::Or) => o | x,
                            (Some(o), BitOp::Xor) => o ^ x,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether [`Acc::merge`] can combine two partial states of this
    /// aggregate into exactly the state one pass over all rows would give
    /// (not so for floating-point sums, whose rounding depends on the order
    /// of additions, nor for order-dependent collections).
    /// Whether [`Acc::update`] reads a dictionary-encoded argument as it
    /// is (the others are given its plain form).
    fn takes_dictionary(&self) -> bool {
        match self {
            Acc::DCount(..) | Acc::PickString(..) => true,
            Acc::Sketch(sk) => sk.takes_dictionary(),
            _ => false,
        }
    }

    pub(super) fn mergeable(&self) -> bool {
        matches!(
            self,
            Acc::Count(_)
                | Acc::SumLong(_)
                | Acc::PickLong(..)
                | Acc::PickInt(..)
                | Acc::PickReal(..)
                | Acc::PickBool(..)
                | Acc::PickString(..)
                | Acc::DCount(..)
                | Acc::BitAll(..)
        )
    }

    /// Whether merging gives the same state whichever of two partial states
    /// covers the earlier rows (not so for `take_any`, which keeps the
    /// first value).
    pub(super) fn order_free(&self) -> bool {
        self.mergeable()
            && !matches!(
                self,
                Acc::PickLong(Pick::First, _)
                    | Acc::PickInt(Pick::First, _)
                    | Acc::PickReal(Pick::First, _)
                    | Acc::PickBool(Pick::First, _)
                    | Acc::PickString(Pick::First, ..)
            )
    }

    /// Adds `other`, the state of the same aggregate over later rows, whose
    /// group `g` is group `map[g]` here (`ngroups` in all).
    pub(super) fn merge(&mut self, other: Acc, map: &[u32], ngroups: usize) -> EvalResult<()> {
        fn each<T>(mine: &mut [T], theirs: Vec<T>, map: &[u32], mut f: impl FnMut(&mut T, T)) {
            for (x, &g) in theirs.into_iter().zip(map) {
                if let Some(slot) = mine.get_mut(g as usize) {
                    f(slot, x);
                }
            }
        }
        fn pick<T: PartialOrd>(p: Pick, slot: &mut Option<T>, x: Option<T>) {
            if let Some(x) = x {
                match slot {
                    None => *slot = Some(x),
                    Some(old) if p.better(&x, old) => *slot = Some(x),
                    _ => {}
                }
            }
        }
        match (self, other) {
            (Acc::Count(a), Acc::Count(b)) => {
                grow(a, ngroups, 0);
                each(a, b, map, |x, y| *x += y);
            }
            (Acc::SumLong(a), Acc::SumLong(b)) => {
                grow(a, ngroups, 0);
                each(a, b, map, |x, y| *x = x.wrapping_add(y));
            }
            (Acc::PickLong(p, a), Acc::PickLong(_, b)) => {
                grow(a, ngroups, None);
                each(a, b, map, |x, y| pick(*p, x, y));
            }
            (Acc::PickInt(p, a), Acc::PickInt(_, b)) => {
                grow(a, ngroups, None);
                each(a, b, map, |x, y| pick(*p, x, y));
            }
            (Acc::PickReal(p, a), Acc::PickReal(_, b)) => {
                grow(a, ngroups, None);
                each(a, b, map, |x, y| pick(*p, x, y));
            }
            (Acc::PickBool(p, a), Acc::PickBool(_, b)) => {
                grow(a, ngroups, None);
                each(a, b, map, |x, y| pick(*p, x, y));
            }
            (Acc::PickString(p, a, _), Acc::PickString(_, b, _)) => {
                grow(a, ngroups, None);
                let p = *p;
                each(a, b, map, |slot, x| {
                    let Some(x) = x else { return };
                    if replaces(p, &x, slot.as_deref()) {
                        *slot = Some(x);
                    }
                });
            }
            (Acc::DCount(a, _), Acc::DCount(b, _)) => {
                grow_with(a, ngroups, HashSet::default);
                each(a, b, map, |x, y| {
                    if x.is_empty() {
                        *x = y;
                    } else {
                        x.extend(y);
                    }
                });
            }
            (Acc::BitAll(op, a), Acc::BitAll(_, b)) => {
                grow(a, ngroups, None);
                let op = *op;
                each(a, b, map, |slot, y| {
                    let Some(y) = y else { return };
                    *slot = Some(match (*slot, op) {
                        (None, _) => y,
                        (Some(o), BitOp::And) => o & y,
                        (Some(o), BitOp::Or) => o | y,
                        (Some(o), BitOp::Xor) => o ^ y,
                    });
                });
            }
            _ => return Err(internal("these aggregate states cannot be merged")),
        }
        Ok(())
    }

    /// The result column for `n` groups.
    pub(super) fn finish(self, n: usize) -> EvalResult<ArrayRef> {
        fn pad<T: Clone>(mut v: Vec<T>, n: usize, fill: T) -> Vec<T> {
            v.resize(n, fill);
            v
        }
        Ok(match self {
            Acc::Count(c) | Acc::SumLong(c) => Arc::new(Int64Array::from(pad(c, n, 0))),
            Acc::SumReal(s) => Arc::new(Float64Array::from(pad(s, n, 0.0))),
            Acc::Avg(sum, cnt) => {
                let sum = pad(sum, n, 0.0);
                let cnt = pad(cnt, n, 0);
                let v: Float64Array = sum
                    .iter()
                    .zip(&cnt)
                    .map(|(s, &c)| Some(if c > 0 { s / c as f64 } else { f64::NAN }))
                    .collect();
                Arc::new(v)
            }
            Acc::Moments {
                n: cnt,
                m2,
                sample,
                root,
                ..
            } => {
                let cnt = pad(cnt, n, 0.0);
                let m2 = pad(m2, n, 0.0);
                let v: Float64Array = cnt
                    .iter()
                    .zip(&m2)
                    .map(|(&c, &m)| {
                        let d = if sample { c - 1.0 } else { c };
                        let var = if d > 0.0 { (m / d).max(0.0) } else { 0.0 };
                        Some(if root { var.sqrt() } else { var })
                    })
                    .collect();
                Arc::new(v)
            }
            Acc::PickLong(_, v) => Arc::new(Int64Array::from(pad(v, n, None))),
            Acc::PickInt(_, v) => Arc::new(Int32Array::from(pad(v, n, None))),
            Acc::PickReal(_, v) => Arc::new(Float64Array::from(pad(v, n, None))),
            Acc::PickBool(_, v) => Arc::new(BooleanArray::from(pad(v, n, None))),
            Acc::PickString(_, v, _) => {
                let mut b = StringBuilder::with_capacity(n, n * 8);
                for s in pad(v, n, None) {
                    b.append_option(s);
                }
                Arc::new(b.finish())
            }
            Acc::DCount(sets, _) => {
                let mut v: Vec<i64> = sets.iter().map(|s| s.len() as i64).collect();
                v.resize(n, 0);
                Arc::new(Int64Array::from(v))
            }
            Acc::Collect {
                kind, items, bags, ..
            } => {
                let mut b = StringBuilder::with_capacity(n, n * 16);
                if kind == Collect::Bag {
                    for g in 0..n {
                        match bags.get(g) {
                            Some(m) if !m.is_empty() => {
                                b.append_value(serde_json::Value::Object(m.clone()).to_string())
                            }
                            // Kusto documents `[]` for make_bag of nothing.
                            _ => b.append_value(empty_text(AggFunc::MakeBag)),
                        }
                    }
                } else {
                    let mut s = String::new();
                    for g in 0..n {
                        s.clear();
                        s.push('[');
                        for (i, x) in items.get(g).into_iter().flatten().enumerate() {
                            if i > 0 {
                                s.push(',');
                            }
                            s.push_str(x);
                        }
                        s.push(']');
                        b.append_value(&s);
                    }
                }
                Arc::new(b.finish())
            }
            Acc::Covariance {
                n: cnt, c, sample, ..
            } => {
                let cnt = pad(cnt, n, 0.0);
                let c = pad(c, n, 0.0);
                let v: Float64Array = cnt
                    .iter()
                    .zip(&c)
                    .map(|(&k, &c)| {
                        let d = if sample { k - 1.0 } else { k };
                        (d > 0.0).then(|| c / d)
                    })
                    .collect();
                Arc::new(v)
            }
            Acc::BitAll(_, v) => Arc::new(Int64Array::from(pad(v, n, None))),
            Acc::Sketch(sk) => sk.finish(n)?,
            Acc::Percentile {
                ty,
                percents,
                array,
                mut longs,
                mut reals,
                ..
            } => {
                longs.resize_with(n, Vec::new);
                reals.resize_with(n, Vec::new);
                let real = matches!(ty, KqlType::Real | KqlType::Decimal);
                if array {
                    let mut b = StringBuilder::with_capacity(n, n * 16);
                    for g in 0..n {
                        let mut out = Vec::new();
                        for &p in &percents {
                            let mut s = String::new();
                            if real {
                                let v = reals.get_mut(g).map(|v| nearest_rank_f64(v, p));
                                match v.flatten() {
                                    Some(x) => json_real(x, &mut s),
                                    None => s.push_str("null"),
                                }
                            } else {
                                match longs.get_mut(g).and_then(|v| nearest_rank(v, p)) {
                                    Some(x) => json_long(ty, x, &mut s),
                                    None => s.push_str("null"),
                                }
                            }
                            out.push(s);
                        }
                        b.append_value(format!("[{}]", out.join(",")));
                    }
                    Arc::new(b.finish())
                } else {
                    let p = percents.first().copied().unwrap_or(50.0);
                    if real {
                        let v: Float64Array =
                            reals.iter_mut().map(|v| nearest_rank_f64(v, p)).collect();
                        Arc::new(v)
                    } else {
                        let v: Int64Array = longs.iter_mut().map(|v| nearest_rank(v, p)).collect();
                        Arc::new(v)
                    }
                }
            }
        })
    }
}

/// The text of an empty result of a collecting aggregate.
fn empty_text(f: AggFunc) -> &'static str {
    match f.empty_value() {
        EmptyValue::EmptyBag => "{}",
        _ => "[]",
    }
}

/// The weighted nearest-rank percentile of `v` (sorted by value): the
/// smallest value at which the running weight reaches `p`% of the total
/// (the smallest value for `p` = 0).
fn ranked<T: Copy>(v: &[(T, i64)], p: f64) -> Option<T> {
    let total: i64 = v.iter().map(|&(_, w)| w).sum();
    if total <= 0 {
        return None;
    }
    let want = ((p / 100.0 * total as f64).ceil() as i64).clamp(1, total);
    let mut seen = 0;
    for &(x, w) in v {
        seen += w;
        if seen >= want {
            return Some(x);
        }
    }
    v.last().map(|&(x, _)| x)
}

fn nearest_rank(v: &mut [(i64, i64)], p: f64) -> Option<i64> {
    v.sort_unstable_by_key(|&(x, _)| x);
    ranked(v, p)
}

fn nearest_rank_f64(v: &mut [(f64, i64)], p: f64) -> Option<f64> {
    v.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    ranked(v, p)
}

/// Whether string pick `p` replaces `old` (None: nothing yet) by `x`.
fn replaces(p: Pick, x: &str, old: Option<&str>) -> bool {
    match old {
        None => true,
        // take_any prefers a non-empty string.
        Some(old) if p == Pick::First => old.is_empty() && !x.is_empty(),
        Some(old) => p.better(x, old),
    }
}

/// A string pick over a dictionary-encoded argument: each group's best
/// value among the batch's rows is found by comparing dictionary values
/// (rows holding the group's current best value cost no comparison), then
/// offered to the group's pick once.
fn pick_encoded(
    p: Pick,
    v: &mut [Option<String>],
    scratch: &mut Scratch,
    ids: &[u32],
    d: &DictionaryArray<Int32Type>,
    a: &ArrayRef,
) -> EvalResult<()> {
    if d.keys().null_count() > 0 || d.values().null_count() > 0 {
        // Nulls (which the contract rules out): the plain form, row by row.
        let plain = dict::plain(a)?;
        let s: &StringArray = plain.as_string::<i32>();
        for (i, &g) in ids.iter().enumerate() {
            if g == SKIP || !s.is_valid(i) {
                continue;
            }
            let x = s.value(i);
            if let Some(slot) = v.get_mut(g as usize) {
                if replaces(p, x, slot.as_deref()) {
                    *slot = Some(x.to_string());
                }
            }
        }
        return Ok(());
    }
    let values = d.values().as_string::<i32>();
    let len = values.len();
    let keys = d.keys().values();
    // Values ranked once (kept for the next batches of the dictionary),
    // unless there are more of them than rows.
    let ranked = len <= keys.len();
    if ranked {
        scratch.rank(p, d.values());
    }
    let Scratch {
        best,
        touched,
        ranks,
        ..
    } = scratch;
    if best.len() < v.len() {
        best.resize(v.len(), -1);
    }
    for (&k, &g) in keys.iter().zip(ids) {
        if g == SKIP {
            continue;
        }
        let ku = usize::try_from(k)
            .ok()
            .filter(|&k| k < len)
            .ok_or_else(|| internal("dictionary key out of range"))?;
        let Some(b) = best.get_mut(g as usize) else {
            continue;
        };
        if *b == k {
            continue;
        }
        if *b < 0 {
            *b = k;
            touched.push(g);
            continue;
        }
        let bu = *b as usize;
        let better = if ranked {
            matches!((ranks.get(ku), ranks.get(bu)), (Some(x), Some(y)) if x < y)
        } else {
            replaces(p, values.value(ku), Some(values.value(bu)))
        };
        if better {
            *b = k;
        }
    }
    for g in touched.drain(..) {
        let g = g as usize;
        let (Some(b), Some(slot)) = (best.get_mut(g), v.get_mut(g)) else {
            continue;
        };
        let x = values.value(*b as usize);
        *b = -1;
        if replaces(p, x, slot.as_deref()) {
            *slot = Some(x.to_string());
        }
    }
    Ok(())
}

fn pick_update<T: PartialOrd + Copy>(
    p: Pick,
    v: &mut [Option<T>],
    ids: &[u32],
    get: impl Fn(usize) -> Option<T>,
) {
    for (i, &g) in ids.iter().enumerate() {
        if g == SKIP {
            continue;
        }
        if let Some(x) = get(i) {
            if let Some(slot) = v.get_mut(g as usize) {
                match slot {
                    None => *slot = Some(x),
                    Some(old) if p.better(&x, old) => *slot = Some(x),
                    _ => {}
                }
            }
        }
    }
}

pub(super) fn json_real(x: f64, out: &mut String) {
    match serde_json::Number::from_f64(x) {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.push_str("null"),
    }
}

pub(super) fn json_long(ty: KqlType, x: i64, out: &mut String) {
    match ty {
        KqlType::DateTime => {
            out.push('"');
            write_datetime(out, x);
            out.push('"');
        }
        KqlType::TimeSpan => {
            out.push('"');
            out.push_str(&format_timespan(x));
            out.push('"');
        }
        _ => {
            let _ = write!(out, "{x}");
        }
    }
}

/// Appends the JSON form of value `i` of `a` (of KQL type `ty`) to `out`;
/// false when the value is null.
pub(super) fn json_item(a: &ArrayRef, ty: KqlType, i: usize, out: &mut String) -> bool {
    if !a.is_valid(i) {
        return false;
    }
    match a.data_type() {
        DataType::Int64 => json_long(ty, a.as_primitive::<Int64Type>().value(i), out),
        DataType::Int32 => {
            let _ = write!(out, "{}", a.as_primitive::<Int32Type>().value(i));
        }
        DataType::Float64 => json_real(a.as_primitive::<Float64Type>().value(i), out),
        DataType::Boolean => out.push_str(if a.as_boolean().value(i) {
            "true"
        } else {
            "false"
        }),
        DataType::Utf8 => {
            let s = a.as_string::<i32>().value(i);
            if ty == KqlType::Dynamic {
                if s.is_empty() {
                    return false;
                }
                out.push_str(s);
            } else {
                out.push_str(&serde_json::Value::String(s.to_string()).to_string());
            }
        }
        _ => return false,
    }
    true
}

fn to_i64(a: &ArrayRef) -> EvalResult<Int64Array> {
    if a.data_type() == &DataType::Int64 {
        return Ok(a.as_primitive::<Int64Type>().clone());
    }
    let c = arrow::compute::kernels::cast::cast(a, &DataType::Int64).map_err(arrow_err)?;
    Ok(c.as_primitive::<Int64Type>().clone())
}

fn to_f64(a: &ArrayRef) -> EvalResult<Float64Array> {
    if a.data_type() == &DataType::Float64 {
        return Ok(a.as_primitive::<Float64Type>().clone());
    }
    let c = arrow::compute::kernels::cast::cast(a, &DataType::Float64).map_err(arrow_err)?;
    Ok(c.as_primitive::<Float64Type>().clone())
}

/// Keys of the row picked per group by `arg_max`/`arg_min`.
enum Best {
    Long(Vec<Option<i64>>),
    Real(Vec<Option<f64>>),
    Str(Vec<Option<String>>),
    Bool(Vec<Option<bool>>),
}

/// Picks, per group, the row where `by` is largest (or smallest): the first
/// such row, or the group's first row when `by` is null everywhere.
pub(super) struct Selector {
    pub(super) max: bool,
    pub(super) by: PlanExpr,
    best: Best,
    /// (batch among the non-empty ones, row) of each group's pick.
    winners: Vec<Option<(usize, usize)>>,
}

impl Selector {
    pub(super) fn new(max: bool, by: PlanExpr) -> Selector {
        let best = match by.ty.arrow_type() {
            DataType::Int64 | DataType::Int32 => Best::Long(vec![]),
            DataType::Float64 => Best::Real(vec![]),
            DataType::Boolean => Best::Bool(vec![]),
            _ => Best::Str(vec![]),
        };
        Selector {
            max,
            by,
            best,
            winners: vec![],
        }
    }

    pub(super) fn winner(&self, g: usize) -> Option<(usize, usize)> {
        self.winners.get(g).copied().flatten()
    }

    pub(super) fn update(
        &mut self,
        batch: usize,
        ids: &[u32],
        by: &ArrayRef,
        ngroups: usize,
    ) -> EvalResult<()> {
        grow(&mut self.winners, ngroups, None);
        let pick = if self.max { Pick::Max } else { Pick::Min };
        let winners = &mut self.winners;
        match &mut self.best {
            Best::Long(v) => {
                grow(v, ngroups, None);
                let a = to_i64(by)?;
                select(pick, winners, v, batch, ids, |i| {
                    a.is_valid(i).then(|| a.value(i))
                });
            }
            Best::Real(v) => {
                grow(v, ngroups, None);
                let a = to_f64(by)?;
                select(pick, winners, v, batch, ids, |i| {
                    a.is_valid(i).then(|| a.value(i)).filter(|x| !x.is_nan())
                });
            }
            Best::Bool(v) => {
                grow(v, ngroups, None);
                let a = by.as_boolean();
                select(pick, winners, v, batch, ids, |i| {
                    a.is_valid(i).then(|| a.value(i))
                });
            }
            Best::Str(v) => {
                grow(v, ngroups, None);
                let a = by.as_string::<i32>();
                for (i, &g) in ids.iter().enumerate() {
                    let g = g as usize;
                    let x = a.is_valid(i).then(|| a.value(i));
                    let (Some(w), Some(best)) = (winners.get_mut(g), v.get_mut(g)) else {
                        continue;
                    };
                    let replace = match (&w, x, &best) {
                        (None, _, _) => true,
                        (Some(_), Some(x), None) => {
                            let _ = x;
                            true
                        }
                        (Some(_), Some(x), Some(old)) => pick.better(x, old.as_str()),
                        (Some(_), None, _) => false,
                    };
                    if replace {
                        *w = Some((batch, i));
                        *best = x.map(str::to_string);
                    }
                }
            }
        }
        Ok(())
    }
}

fn select<T: PartialOrd + Copy>(
    pick: Pick,
    winners: &mut [Option<(usize, usize)>],
    best: &mut [Option<T>],
    batch: usize,
    ids: &[u32],
    get: impl Fn(usize) -> Option<T>,
) {
    for (i, &g) in ids.iter().enumerate() {
        let g = g as usize;
        let (Some(w), Some(b)) = (winners.get_mut(g), best.get_mut(g)) else {
            continue;
        };
        let x = get(i);
        let replace = match (&w, x, &b) {
            (None, _, _) => true,
            (Some(_), Some(_), None) => true,
            (Some(_), Some(x), Some(old)) => pick.better(&x, old),
            (Some(_), None, _) => false,
        };
        if replace {
            *w = Some((batch, i));
            *b = x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_follows_kusto_definition() {
        let mut v: Vec<(i64, i64)> = (1..=10).rev().map(|x| (x, 1)).collect();
        assert_eq!(nearest_rank(&mut v, 0.0), Some(1));
        assert_eq!(nearest_rank(&mut v, 10.0), Some(1));
        assert_eq!(nearest_rank(&mut v, 11.0), Some(2));
        assert_eq!(nearest_rank(&mut v, 50.0), Some(5));
        assert_eq!(nearest_rank(&mut v, 100.0), Some(10));
        assert_eq!(nearest_rank(&mut [], 50.0), None);
        assert_eq!(nearest_rank_f64(&mut [(2.5, 1), (1.5, 1)], 50.0), Some(1.5));
        // Weighted: 10 x8, 20 x6, 30 x3, 40 x1.
        let mut w = vec![(40, 1), (10, 8), (30, 3), (20, 6)];
        assert_eq!(nearest_rank(&mut w, 50.0), Some(20));
        assert_eq!(nearest_rank(&mut w, 75.0), Some(20));
        assert_eq!(nearest_rank(&mut w, 99.9), Some(40));
    }

    #[test]
    fn json_items_by_type() {
        let mut s = String::new();
        json_long(KqlType::TimeSpan, 36_000_000_000, &mut s);
        assert_eq!(s, "\"01:00:00\"");
        s.clear();
        json_real(5.0, &mut s);
        assert_eq!(s, "5.0");
        s.clear();
        json_real(f64::NAN, &mut s);
        assert_eq!(s, "null");
        let a: ArrayRef = Arc::new(StringArray::from(vec!["a\"b"]));
        s.clear();
        assert!(json_item(&a, KqlType::String, 0, &mut s));
        assert_eq!(s, "\"a\\\"b\"");
    }

    fn agg(func: AggFunc, ty: KqlType) -> AggExpr {
        let arg = PlanExpr {
            kind: PlanExprKind::Literal(ScalarValue::String(String::new())),
            ty: KqlType::String,
            span: Default::default(),
        };
        AggExpr {
            func,
            args: vec![arg],
            ty,
            span: Default::default(),
        }
    }

    /// dcount, min, max and take_any of a dictionary-encoded argument give
    /// what they give for its plain form: skipped rows, "" and non-ASCII
    /// values, repeated dictionary values, batches reaching more groups
    /// than `dcount`'s per-batch bits hold.
    #[test]
    fn encoded_arguments_give_the_plain_results() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        // (dictionary values, rows, groups).
        let words: Vec<String> = (0..20_000).map(|i| format!("w{i}ß")).collect();
        let big: Vec<&str> = words.iter().map(String::as_str).collect();
        let cases: Vec<(Vec<&str>, usize, usize)> = vec![
            (vec!["b", "", "ä", "a", "b", "日本"], 3_000, 7),
            (vec!["", "z"], 50, 3),
            (vec![""], 10, 2),
            (big, 40_000, 1_500),
            // More values than rows.
            (vec!["q", "", "é", "a", "zz", "q"], 4, 3),
        ];
        let funcs = [
            (AggFunc::DCount, KqlType::Long),
            (AggFunc::Min, KqlType::String),
            (AggFunc::Max, KqlType::String),
            (AggFunc::TakeAny, KqlType::String),
        ];
        for (func, ty) in funcs {
            let a = agg(func, ty);
            let mut plain = Acc::new(&a, &[]).expect("acc");
            let mut encoded = Acc::new(&a, &[]).expect("acc");
            let mut ngroups = 0;
            for (values, rows, groups) in &cases {
                ngroups = ngroups.max(*groups);
                let values: ArrayRef = Arc::new(StringArray::from(values.clone()));
                // Two batches of each dictionary.
                for _ in 0..2 {
                    let keys: Vec<i32> = (0..*rows).map(|_| next(values.len()) as i32).collect();
                    let ids: Vec<u32> = (0..*rows)
                        .map(|_| match next(10) {
                            0 => SKIP,
                            _ => next(*groups) as u32,
                        })
                        .collect();
                    let d: ArrayRef = Arc::new(
                        DictionaryArray::<Int32Type>::try_new(
                            Int32Array::from(keys),
                            values.clone(),
                        )
                        .expect("dictionary"),
                    );
                    let p = dict::plain(&d).expect("plain");
                    plain.update(&ids, Some(&p), None, ngroups).expect("update");
                    encoded
                        .update(&ids, Some(&d), None, ngroups)
                        .expect("update");
                }
            }
            let want = plain.finish(ngroups).expect("finish");
            let got = encoded.finish(ngroups).expect("finish");
            assert_eq!(got.as_ref(), want.as_ref(), "{}", func.name());
        }
    }

    #[test]
    fn skipped_rows_are_not_counted() {
        let expr = PlanExpr {
            kind: PlanExprKind::Literal(ScalarValue::Long(1)),
            ty: KqlType::Long,
            span: Default::default(),
        };
        let agg = AggExpr {
            func: AggFunc::SumIf,
            args: vec![expr],
            ty: KqlType::Long,
            span: Default::default(),
        };
        let mut acc = Acc::new(&agg, &[]).expect("acc");
        let v: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), Some(2), None, Some(4)]));
        acc.update(&[0, SKIP, 1, 0], Some(&v), None, 3)
            .expect("update");
        let out = acc.finish(3).expect("finish");
        let out = out.as_primitive::<Int64Type>();
        // Group 1 has only a null and group 2 nothing: both sum to 0.
        assert_eq!(out.values().to_vec(), vec![5, 0, 0]);
    }
}
