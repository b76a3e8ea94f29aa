//! Evaluates typed plan expressions over a record batch, column at a time.

use crate::cast::cast_array;
use crate::dict;
use crate::error::{internal, runtime, EvalResult};
use crate::strings::{eval_pairwise, map_bool, Matcher};
use crate::value::{array_value, scalar_to_array, ColumnarValue};
use crate::EvalContext;
use arrow::array::{
    new_null_array, Array, ArrayRef, AsArray, BooleanArray, Datum, DictionaryArray, Float64Array,
    Int32Array, Int64Array, PrimitiveArray, Scalar,
};
use arrow::buffer::{BooleanBuffer, NullBuffer};
use arrow::compute::kernels::{boolean, cmp, numeric};
use arrow::datatypes::{DataType, Field, Float64Type, Int32Type, Int64Type, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use kql_common::{KqlType, ScalarValue};
use kql_planner::plan::BinOp;
use kql_planner::{PlanExpr, PlanExprKind};
use std::collections::HashSet;
use std::sync::Arc;

/// Evaluates `e` over every row of `batch`.
///
/// The result may be dictionary-encoded (see [`crate::dict`]) when `batch`
/// has dictionary-encoded columns: a bare reference to such a column is
/// that column as it is, and an expression that reads one such column and
/// nothing else runs once per distinct value of the column's dictionary
/// instead of once per row (`eval_encoded`; one that reads several such
/// columns and nothing else, once per combination of their keys,
/// `eval_combined`); its result is spread to the rows by the keys (a
/// string result stays encoded). Use [`eval_plain`] where a kernel needs
/// a plain array.
pub fn eval(e: &PlanExpr, batch: &RecordBatch, ctx: &EvalContext) -> EvalResult<ColumnarValue> {
    if !matches!(
        e.kind,
        PlanExprKind::Column { .. } | PlanExprKind::Literal(_)
    ) && dict::has_dictionary(batch)
    {
        if let Some(v) = eval_encoded(e, batch, ctx)? {
            return Ok(v);
        }
    }
    eval_node(e, batch, ctx)
}

/// [`eval`], with a dictionary-encoded result made plain: what every
/// kernel gets as its operand.
pub fn eval_plain(
    e: &PlanExpr,
    batch: &RecordBatch,
    ctx: &EvalContext,
) -> EvalResult<ColumnarValue> {
    Ok(match eval(e, batch, ctx)? {
        ColumnarValue::Array(a) if dict::is_dictionary(a.as_ref()) => {
            ColumnarValue::Array(dict::plain(&a)?)
        }
        v => v,
    })
}

/// `e` over a batch with dictionary-encoded columns, when it reads exactly
/// one column and that column is encoded (or several, all encoded:
/// [`eval_combined`]); `None` otherwise (the caller evaluates it as usual,
/// each operand made plain).
///
/// When the expression gives one value per input value (it calls no
/// volatile function such as `rand()`), and the dictionary has no more
/// values than the batch has rows, the expression runs over the
/// dictionary's values (a batch of one row per value) and the result is
/// spread to the rows by the keys: a string result (never null) becomes
/// the values of a dictionary with the column's keys; any other result is
/// gathered by the keys. Values no row uses are evaluated too, so if that
/// fails, or if the dictionary is larger than the batch, the column is
/// made plain and the expression evaluated row by row.
fn eval_encoded(
    e: &PlanExpr,
    batch: &RecordBatch,
    ctx: &EvalContext,
) -> EvalResult<Option<ColumnarValue>> {
    let columns = e.column_indices();
    if columns.len() > 1 {
        return eval_combined(e, batch, ctx, &columns);
    }
    let (Some(&index), 1) = (columns.first(), columns.len()) else {
        return Ok(None);
    };
    let Some(column) = batch.columns().get(index) else {
        return Ok(None);
    };
    if !dict::is_dictionary(column.as_ref()) {
        return Ok(None);
    }
    let n = batch.num_rows();
    if let Some(d) = dict::as_string_dictionary(column.as_ref()) {
        let distinct = d.values().len();
        if distinct > 0 && distinct <= n && per_value(e) {
            let values = values_batch(batch, &[(index, d.values().clone())], distinct)?;
            if let Ok(v) = eval_node(e, &values, ctx) {
                return Ok(Some(match v {
                    ColumnarValue::Scalar(s) => ColumnarValue::Scalar(s),
                    ColumnarValue::Array(a) => {
                        ColumnarValue::Array(spread(&a, distinct, d.keys(), e.ty)?)
                    }
                }));
            }
        }
    }
    let mut plain = batch.columns().to_vec();
    plain[index] = dict::plain(column)?;
    let plain = dict::with_columns(batch, plain)?;
    eval_node(e, &plain, ctx).map(Some)
}

/// Whether `e` gives the same result for the same input value wherever
/// the value stands: no call of a volatile function (`rand()`,
/// `new_guid()`).
fn per_value(e: &PlanExpr) -> bool {
    let mut ok = true;
    e.visit(&mut |x| {
        if let PlanExprKind::Call { func, .. } = &x.kind {
            ok &= !func.def().volatile;
        }
    });
    ok
}

/// `e` over a batch where every column it reads (several) is a
/// dictionary-encoded string column: when the expression gives one value
/// per input value, it runs once per distinct combination of the columns'
/// keys found in the batch, and the result is spread to the rows (a
/// string result as a dictionary over the combinations). `None` when that
/// does not apply, or fails (a combination's values may be evaluated in
/// another order than the rows'), or every row is a combination of its
/// own.
fn eval_combined(
    e: &PlanExpr,
    batch: &RecordBatch,
    ctx: &EvalContext,
    columns: &std::collections::BTreeSet<usize>,
) -> EvalResult<Option<ColumnarValue>> {
    let n = batch.num_rows();
    if n < 2 || !per_value(e) {
        return Ok(None);
    }
    let mut dicts = Vec::with_capacity(columns.len());
    for &i in columns {
        match batch.columns().get(i) {
            Some(c) => match dict::as_string_dictionary(c.as_ref()) {
                Some(d) if d.keys().null_count() == 0 => dicts.push((i, d)),
                _ => return Ok(None),
            },
            None => return Ok(None),
        }
    }
    // Each row's keys as one number (mixed radix: the dictionary sizes).
    let mut codes = vec![0u64; n];
    let mut radix: u64 = 1;
    for (_, d) in &dicts {
        let size = d.values().len().max(1) as u64;
        let Some(r) = radix.checked_mul(size) else {
            return Ok(None);
        };
        radix = r;
        for (c, &k) in codes.iter_mut().zip(d.keys().values().iter()) {
            *c = *c * size + k as u64;
        }
    }
    // The combinations in order of first appearance: each row's
    // combination, and the first row of each.
    let mut ids: Vec<i32> = Vec::with_capacity(n);
    let mut firsts: Vec<u32> = Vec::new();
    let mut intern = |slot: &mut u32, row: usize| {
        if *slot == u32::MAX {
            *slot = firsts.len() as u32;
            firsts.push(row as u32);
        }
        ids.push(*slot as i32);
    };
    if radix <= 2 * n as u64 {
        let mut table = vec![u32::MAX; radix as usize];
        for (row, &c) in codes.iter().enumerate() {
            if let Some(slot) = table.get_mut(c as usize) {
                intern(slot, row);
            }
        }
    } else {
        let mut table: hashbrown::HashMap<u64, u32, foldhash::fast::FixedState> =
            hashbrown::HashMap::with_capacity_and_hasher(1024, Default::default());
        for (row, &c) in codes.iter().enumerate() {
            intern(table.entry(c).or_insert(u32::MAX), row);
        }
    }
    let distinct = firsts.len();
    if ids.len() != n || distinct >= n {
        return Ok(None);
    }
    let firsts = arrow::array::UInt32Array::from(firsts);
    let mut values = Vec::with_capacity(dicts.len());
    for &(i, _) in &dicts {
        let taken =
            arrow::compute::take(batch.column(i).as_ref(), &firsts, None).map_err(arrow_err)?;
        values.push((i, dict::plain(&taken)?));
    }
    let values = values_batch(batch, &values, distinct)?;
    let Ok(v) = eval_node(e, &values, ctx) else {
        return Ok(None);
    };
    let keys = arrow::array::Int32Array::from(ids);
    Ok(Some(match v {
        ColumnarValue::Scalar(s) => ColumnarValue::Scalar(s),
        ColumnarValue::Array(a) => ColumnarValue::Array(spread(&a, distinct, &keys, e.ty)?),
    }))
}

/// A batch of `len` rows holding the given columns at their indices; the
/// other columns are all-null placeholders.
fn values_batch(
    batch: &RecordBatch,
    values: &[(usize, ArrayRef)],
    len: usize,
) -> EvalResult<RecordBatch> {
    let schema = batch.schema();
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (i, field) in schema.fields().iter().enumerate() {
        if let Some((_, v)) = values.iter().find(|(j, _)| *j == i) {
            fields.push(field.as_ref().clone().with_data_type(v.data_type().clone()));
            columns.push(v.clone());
        } else {
            fields.push(Field::new(field.name(), DataType::Null, true));
            columns.push(new_null_array(&DataType::Null, len));
        }
    }
    RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(len)),
    )
    .map_err(arrow_err)
}

/// The rows' values of a result computed once per distinct value (or
/// combination) the `keys` point at: a string result without nulls as a
/// dictionary with these keys, any other result gathered by them.
fn spread(
    result: &ArrayRef,
    distinct: usize,
    keys: &Int32Array,
    ty: KqlType,
) -> EvalResult<ArrayRef> {
    if result.len() != distinct {
        return Err(internal(format!(
            "a result of {} rows for {distinct} distinct values",
            result.len()
        )));
    }
    if ty == KqlType::String && result.data_type() == &DataType::Utf8 && result.null_count() == 0 {
        let out = DictionaryArray::<Int32Type>::try_new(keys.clone(), result.clone())
            .map_err(arrow_err)?;
        return Ok(Arc::new(out));
    }
    arrow::compute::take(result.as_ref(), keys, None).map_err(arrow_err)
}

/// Evaluates `e` itself over `batch`; every operand through
/// [`eval_plain`].
fn eval_node(e: &PlanExpr, batch: &RecordBatch, ctx: &EvalContext) -> EvalResult<ColumnarValue> {
    let n = batch.num_rows();
    match &e.kind {
        PlanExprKind::Column { index, name } => batch
            .columns()
            .get(*index)
            .cloned()
            .map(ColumnarValue::Array)
            .ok_or_else(|| internal(format!("column {name} (#{index}) missing from batch"))),
        PlanExprKind::Literal(v) => Ok(ColumnarValue::Scalar(v.clone())),
        PlanExprKind::Binary { op, left, right } => {
            let l = eval_plain(left, batch, ctx)?;
            let r = eval_plain(right, batch, ctx)?;
            binary(*op, l, left.ty, r, right.ty, e, n)
        }
        PlanExprKind::StrOp { op, left, right } => {
            let l = eval_plain(left, batch, ctx)?;
            let r = eval_plain(right, batch, ctx)?;
            let scalar = is_scalar(&l) && is_scalar(&r);
            let la = l.into_array(if scalar { 1 } else { n });
            let la = la.as_string::<i32>();
            let out = match r {
                ColumnarValue::Scalar(s) => {
                    let needle = kql_planner::cast::scalar_to_string(&s);
                    Matcher::new(*op, &needle).eval(la)
                }
                ColumnarValue::Array(ra) => eval_pairwise(*op, la, ra.as_string::<i32>()),
            };
            Ok(finish(Arc::new(out), KqlType::Bool, scalar))
        }
        PlanExprKind::Regex { expr, pattern } => {
            let re = regex::Regex::new(pattern)
                .map_err(|err| runtime("kql::eval::invalid_regex", err.to_string(), e.span))?;
            let v = eval_plain(expr, batch, ctx)?;
            let scalar = is_scalar(&v);
            let a = v.into_array(if scalar { 1 } else { n });
            let out = map_bool(a.as_string::<i32>(), |s| re.is_match(s));
            Ok(finish(Arc::new(out), KqlType::Bool, scalar))
        }
        PlanExprKind::InList {
            expr,
            list,
            negated,
            case_insensitive,
        } => {
            let v = eval_plain(expr, batch, ctx)?;
            let scalar = is_scalar(&v);
            let a = v.into_array(if scalar { 1 } else { n });
            let out = in_list(&a, expr.ty, list, *case_insensitive)?;
            let out = if *negated {
                boolean::not(&out).map_err(arrow_err)?
            } else {
                out
            };
            Ok(finish(Arc::new(out), KqlType::Bool, scalar))
        }
        PlanExprKind::Between {
            expr,
            low,
            high,
            negated,
        } => {
            let x = eval_plain(expr, batch, ctx)?;
            let lo = eval_plain(low, batch, ctx)?;
            let hi = eval_plain(high, batch, ctx)?;
            let scalar = is_scalar(&x) && is_scalar(&lo) && is_scalar(&hi);
            let len = if scalar { 1 } else { n };
            let ge = compare(BinOp::Ge, &x, &lo, expr.ty, len)?;
            let le = compare(BinOp::Le, &x, &hi, expr.ty, len)?;
            let both = boolean::and_kleene(&ge, &le).map_err(arrow_err)?;
            let out = if *negated {
                boolean::not(&both).map_err(arrow_err)?
            } else {
                both
            };
            Ok(finish(Arc::new(out), KqlType::Bool, scalar))
        }
        PlanExprKind::Not(inner) => {
            let v = eval_plain(inner, batch, ctx)?;
            let scalar = is_scalar(&v);
            let a = v.into_array(if scalar { 1 } else { n });
            let out = boolean::not(a.as_boolean()).map_err(arrow_err)?;
            Ok(finish(Arc::new(out), KqlType::Bool, scalar))
        }
        PlanExprKind::Neg(inner) => {
            let v = eval_plain(inner, batch, ctx)?;
            let scalar = is_scalar(&v);
            let a = v.into_array(if scalar { 1 } else { n });
            let out = numeric::neg_wrapping(&a).map_err(arrow_err)?;
            Ok(finish(out, e.ty, scalar))
        }
        PlanExprKind::Cast { expr, to } => {
            let v = eval_plain(expr, batch, ctx)?;
            match v {
                ColumnarValue::Scalar(s) => {
                    let a = scalar_to_array(&s, 1);
                    let c = cast_array(&a, expr.ty, *to)?;
                    Ok(ColumnarValue::Scalar(array_value(c.as_ref(), *to, 0)))
                }
                ColumnarValue::Array(a) => Ok(ColumnarValue::Array(cast_array(&a, expr.ty, *to)?)),
            }
        }
        PlanExprKind::Call { func, args } => {
            let values = args
                .iter()
                .map(|a| eval_plain(a, batch, ctx))
                .collect::<EvalResult<Vec<_>>>()?;
            crate::functions::call(*func, args, values, e, n, ctx)
        }
    }
}

pub(crate) fn is_scalar(v: &ColumnarValue) -> bool {
    matches!(v, ColumnarValue::Scalar(_))
}

/// Wraps a kernel's output: a one-row result of all-scalar inputs becomes a
/// scalar again.
pub(crate) fn finish(a: ArrayRef, ty: KqlType, scalar: bool) -> ColumnarValue {
    if scalar {
        ColumnarValue::Scalar(array_value(a.as_ref(), ty, 0))
    } else {
        ColumnarValue::Array(a)
    }
}

pub(crate) fn arrow_err(e: arrow::error::ArrowError) -> kql_common::Diagnostic {
    internal(e.to_string())
}

/// An Arrow datum for a value: the array itself, or a one-row scalar.
fn datum(v: &ColumnarValue, len: usize) -> Box<dyn Datum> {
    match v {
        ColumnarValue::Array(a) if a.len() == len => Box::new(a.clone()),
        ColumnarValue::Array(a) => Box::new(a.clone()),
        ColumnarValue::Scalar(s) => {
            if len == 1 {
                Box::new(scalar_to_array(s, 1))
            } else {
                Box::new(Scalar::new(scalar_to_array(s, 1)))
            }
        }
    }
}

fn compare(
    op: BinOp,
    l: &ColumnarValue,
    r: &ColumnarValue,
    _ty: KqlType,
    len: usize,
) -> EvalResult<BooleanArray> {
    let out = compare_raw(op, l, r, len)?;
    if matches!(op, BinOp::Eq | BinOp::NotEq) {
        return Ok(eq_with_one_null(out, l, r, len, op == BinOp::NotEq));
    }
    Ok(out)
}

/// The validity of a value as a bitmap; `None` when every row is valid.
fn validity(v: &ColumnarValue, len: usize) -> Option<BooleanBuffer> {
    match v {
        ColumnarValue::Array(a) => a.nulls().map(|n| n.inner().clone()),
        ColumnarValue::Scalar(s) if s.is_null() => Some(BooleanBuffer::new_unset(len)),
        ColumnarValue::Scalar(_) => None,
    }
}

/// Kusto's `==`/`!=` with nulls: when exactly one side is null the values
/// differ (`==` is false, `!=` true); only null against null stays null.
fn eq_with_one_null(
    out: BooleanArray,
    l: &ColumnarValue,
    r: &ColumnarValue,
    len: usize,
    not_equal: bool,
) -> BooleanArray {
    let (lv, rv) = (validity(l, len), validity(r, len));
    if lv.is_none() && rv.is_none() {
        return out;
    }
    let lv = lv.unwrap_or_else(|| BooleanBuffer::new_set(len));
    let rv = rv.unwrap_or_else(|| BooleanBuffer::new_set(len));
    let both = &lv & &rv;
    let one_null = &lv ^ &rv;
    let mut values = out.values() & &both;
    if not_equal {
        values = &values | &one_null;
    }
    let valid = &lv | &rv;
    BooleanArray::new(values, Some(NullBuffer::new(valid)))
}

fn compare_raw(
    op: BinOp,
    l: &ColumnarValue,
    r: &ColumnarValue,
    len: usize,
) -> EvalResult<BooleanArray> {
    if let Some(out) = str_eq_constant(op, l, r, len) {
        return Ok(out);
    }
    let (ld, rd) = (datum(l, len), datum(r, len));
    let (ld, rd) = (ld.as_ref(), rd.as_ref());
    let out = match op {
        BinOp::Eq => cmp::eq(ld, rd),
        BinOp::NotEq => cmp::neq(ld, rd),
        BinOp::Lt => cmp::lt(ld, rd),
        BinOp::Le => cmp::lt_eq(ld, rd),
        BinOp::Gt => cmp::gt(ld, rd),
        BinOp::Ge => cmp::gt_eq(ld, rd),
        _ => return Err(internal(format!("{} is not a comparison", op.symbol()))),
    };
    out.map_err(arrow_err)
}

/// `==` / `!=` of a string column and a constant string, as Arrow's
/// comparison kernels compute it (bytes equal; null where the column is
/// null), in one pass over the offsets: the bytes are compared only when
/// the lengths are equal. `None` for other operands.
fn str_eq_constant(
    op: BinOp,
    l: &ColumnarValue,
    r: &ColumnarValue,
    len: usize,
) -> Option<BooleanArray> {
    if !matches!(op, BinOp::Eq | BinOp::NotEq) {
        return None;
    }
    let (arr, s) = match (l, r) {
        (ColumnarValue::Array(a), ColumnarValue::Scalar(s))
        | (ColumnarValue::Scalar(s), ColumnarValue::Array(a)) => (a, s),
        _ => return None,
    };
    if arr.len() != len || arr.data_type() != &DataType::Utf8 || s.is_null() {
        return None;
    }
    let constant = scalar_to_array(s, 1);
    if constant.data_type() != &DataType::Utf8 || constant.is_null(0) {
        return None;
    }
    let needle = constant.as_string::<i32>().value(0).as_bytes();
    let a = arr.as_string::<i32>();
    let offs = a.value_offsets();
    let data = a.value_data();
    let negated = op == BinOp::NotEq;
    let values = BooleanBuffer::collect_bool(len, |i| {
        let (start, end) = (offs[i] as usize, offs[i + 1] as usize);
        (end - start == needle.len() && data.get(start..end) == Some(needle)) != negated
    });
    Some(BooleanArray::new(values, a.nulls().cloned()))
}

fn binary(
    op: BinOp,
    l: ColumnarValue,
    lt: KqlType,
    r: ColumnarValue,
    rt: KqlType,
    e: &PlanExpr,
    n: usize,
) -> EvalResult<ColumnarValue> {
    let scalar = is_scalar(&l) && is_scalar(&r);
    let len = if scalar { 1 } else { n };
    match op {
        BinOp::And | BinOp::Or => {
            let la = l.into_array(len);
            let ra = r.into_array(len);
            let out = if op == BinOp::And {
                boolean::and_kleene(la.as_boolean(), ra.as_boolean())
            } else {
                boolean::or_kleene(la.as_boolean(), ra.as_boolean())
            }
            .map_err(arrow_err)?;
            Ok(finish(Arc::new(out), KqlType::Bool, scalar))
        }
        BinOp::Eq | BinOp::NotEq | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let out = compare(op, &l, &r, lt, len)?;
            Ok(finish(Arc::new(out), KqlType::Bool, scalar))
        }
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
            let out = arithmetic(op, l, lt, r, rt, e.ty, len)?;
            Ok(finish(out, e.ty, scalar))
        }
    }
}

fn to_f64(v: ColumnarValue, t: KqlType, len: usize) -> EvalResult<ArrayRef> {
    let a = v.into_array(len);
    match t {
        KqlType::Real | KqlType::Decimal => Ok(a),
        _ => arrow::compute::kernels::cast::cast(&a, &arrow::datatypes::DataType::Float64)
            .map_err(arrow_err),
    }
}

fn arithmetic(
    op: BinOp,
    l: ColumnarValue,
    lt: KqlType,
    r: ColumnarValue,
    rt: KqlType,
    out_ty: KqlType,
    len: usize,
) -> EvalResult<ArrayRef> {
    use KqlType::*;
    // Timespan scaled by a number, and timespan ratios, go through reals.
    let via_real = (op == BinOp::Mul && (lt == TimeSpan) != (rt == TimeSpan))
        || (op == BinOp::Div && lt == TimeSpan);
    if via_real {
        let la = to_f64(l, lt, len)?;
        let ra = to_f64(r, rt, len)?;
        let f = match op {
            BinOp::Mul => numeric::mul(&la, &ra),
            _ => numeric::div(&la, &ra),
        }
        .map_err(arrow_err)?;
        if out_ty == Real {
            return Ok(f);
        }
        let f = f.as_primitive::<Float64Type>();
        let out: Int64Array = f.unary_opt(|x| x.is_finite().then(|| x.round() as i64));
        return Ok(Arc::new(out));
    }
    let is_int = !matches!(out_ty, Real | Decimal) && !matches!(lt, Real | Decimal);
    if is_int && matches!(op, BinOp::Div | BinOp::Mod) {
        // Integer division: truncates; division by zero gives null.
        let la = l.into_array(len);
        let ra = r.into_array(len);
        return int_div(&la, &ra, op == BinOp::Mod);
    }
    if op == BinOp::Mod && matches!(out_ty, Real | Decimal) {
        // Kusto's modulo is never negative: 0 <= x % d < |d|.
        let la = to_f64(l, lt, len)?;
        let ra = to_f64(r, rt, len)?;
        let (a, b) = (
            la.as_primitive::<Float64Type>(),
            ra.as_primitive::<Float64Type>(),
        );
        let out: Float64Array = a
            .iter()
            .zip(b.iter())
            .map(|(x, y)| Some(x?.rem_euclid(y?)))
            .collect();
        return Ok(Arc::new(out));
    }
    let (ld, rd) = (datum(&l, len), datum(&r, len));
    let (ld, rd) = (ld.as_ref(), rd.as_ref());
    match op {
        BinOp::Add => numeric::add_wrapping(ld, rd),
        BinOp::Sub => numeric::sub_wrapping(ld, rd),
        BinOp::Mul => numeric::mul_wrapping(ld, rd),
        BinOp::Div => numeric::div(ld, rd),
        _ => numeric::rem(ld, rd),
    }
    .map_err(arrow_err)
}

fn int_div(la: &ArrayRef, ra: &ArrayRef, rem: bool) -> EvalResult<ArrayRef> {
    fn go<T: arrow::datatypes::ArrowPrimitiveType>(
        a: &PrimitiveArray<T>,
        b: &PrimitiveArray<T>,
        f: impl Fn(T::Native, T::Native) -> Option<T::Native>,
    ) -> PrimitiveArray<T> {
        a.iter()
            .zip(b.iter())
            .map(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => f(x, y),
                _ => None,
            })
            .collect()
    }
    if let (Some(a), Some(b)) = (
        la.as_primitive_opt::<Int64Type>(),
        ra.as_primitive_opt::<Int64Type>(),
    ) {
        let out = go(a, b, |x, y| {
            if rem {
                x.checked_rem_euclid(y)
            } else {
                x.checked_div(y)
            }
        });
        return Ok(Arc::new(out));
    }
    if let (Some(a), Some(b)) = (
        la.as_primitive_opt::<Int32Type>(),
        ra.as_primitive_opt::<Int32Type>(),
    ) {
        let out = go(a, b, |x, y| {
            if rem {
                x.checked_rem_euclid(y)
            } else {
                x.checked_div(y)
            }
        });
        return Ok(Arc::new(out));
    }
    Err(internal("integer division of non-integer arrays"))
}

/// `x in (list)`: one hash-set probe per row.
fn in_list(a: &ArrayRef, ty: KqlType, list: &[ScalarValue], ci: bool) -> EvalResult<BooleanArray> {
    let nulls = a.nulls().cloned();
    let n = a.len();
    let values = match ty {
        KqlType::String | KqlType::Guid | KqlType::Dynamic => {
            let strings: Vec<String> = list
                .iter()
                .map(|v| {
                    let s = kql_planner::cast::scalar_to_string(v);
                    if ci {
                        s.to_lowercase()
                    } else {
                        s
                    }
                })
                .collect();
            let set: HashSet<&str> = strings.iter().map(String::as_str).collect();
            let s = a.as_string::<i32>();
            let mut buf = String::new();
            // A short list of ASCII values: compare in place, by length
            // first. A value equal to one of them but for ASCII case is
            // ASCII itself; other non-ASCII values take the general path.
            let ascii_list = ci && strings.len() <= 16 && strings.iter().all(|x| x.is_ascii());
            // The listed values by length. Lower-casing turns a character
            // into ASCII only one for one, and a character takes at most
            // four bytes, so a value shorter than every listed one or four
            // times longer than the longest cannot fold to one of them.
            let max_len = strings.iter().map(String::len).max().unwrap_or(0);
            let min_len = strings.iter().map(String::len).min().unwrap_or(0);
            let mut by_len: Vec<Vec<&[u8]>> = vec![Vec::new(); max_len + 1];
            for x in &strings {
                if let Some(slot) = by_len.get_mut(x.len()) {
                    slot.push(x.as_bytes());
                }
            }
            BooleanBuffer::collect_bool(n, |i| {
                let v = s.value(i);
                if ascii_list {
                    let vb = v.as_bytes();
                    let hit = by_len
                        .get(vb.len())
                        .is_some_and(|xs| xs.iter().any(|x| x.eq_ignore_ascii_case(vb)));
                    hit || (vb.len() >= min_len
                        && vb.len() <= 4 * max_len
                        && !v.is_ascii()
                        && set.contains(v.to_lowercase().as_str()))
                } else if ci {
                    if v.is_ascii() {
                        buf.clear();
                        buf.push_str(v);
                        buf.make_ascii_lowercase();
                        set.contains(buf.as_str())
                    } else {
                        set.contains(v.to_lowercase().as_str())
                    }
                } else {
                    set.contains(v)
                }
            })
        }
        KqlType::Long | KqlType::DateTime | KqlType::TimeSpan => {
            let set: HashSet<i64> = list
                .iter()
                .filter_map(|v| match v {
                    ScalarValue::Long(x) | ScalarValue::DateTime(x) | ScalarValue::TimeSpan(x) => {
                        Some(*x)
                    }
                    _ => None,
                })
                .collect();
            let p = a.as_primitive::<Int64Type>();
            let vals = p.values();
            BooleanBuffer::collect_bool(n, |i| set.contains(&vals[i]))
        }
        KqlType::Int => {
            let set: HashSet<i32> = list
                .iter()
                .filter_map(|v| match v {
                    ScalarValue::Int(x) => Some(*x),
                    _ => None,
                })
                .collect();
            let p = a.as_primitive::<Int32Type>();
            let vals = p.values();
            BooleanBuffer::collect_bool(n, |i| set.contains(&vals[i]))
        }
        KqlType::Real | KqlType::Decimal => {
            let set: Vec<f64> = list
                .iter()
                .filter_map(|v| match v {
                    ScalarValue::Real(x) => Some(*x),
                    _ => None,
                })
                .collect();
            let p: &Float64Array = a.as_primitive::<Float64Type>();
            let vals = p.values();
            BooleanBuffer::collect_bool(n, |i| set.contains(&vals[i]))
        }
        KqlType::Bool => {
            let set: Vec<bool> = list
                .iter()
                .filter_map(|v| match v {
                    ScalarValue::Bool(x) => Some(*x),
                    _ => None,
                })
                .collect();
            let b = a.as_boolean();
            BooleanBuffer::collect_bool(n, |i| set.contains(&b.value(i)))
        }
    };
    Ok(BooleanArray::new(
        values,
        nulls.filter(|nb: &NullBuffer| nb.null_count() > 0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::StringArray;

    #[test]
    fn string_equality_with_a_constant_matches_the_comparison_kernel() {
        let values: ArrayRef = Arc::new(StringArray::from(vec![
            Some("ConnectionSuccess"),
            Some("connectionsuccess"),
            Some("ConnectionSucces"),
            Some("ConnectionSuccess "),
            Some(""),
            None,
            Some("straße"),
            Some("ConnectionSuccess"),
        ]));
        for needle in ["ConnectionSuccess", "", "straße", "absent"] {
            let constant = ScalarValue::String(needle.to_string());
            for op in [BinOp::Eq, BinOp::NotEq] {
                for (l, r) in [
                    (
                        ColumnarValue::Array(values.clone()),
                        ColumnarValue::Scalar(constant.clone()),
                    ),
                    (
                        ColumnarValue::Scalar(constant.clone()),
                        ColumnarValue::Array(values.clone()),
                    ),
                ] {
                    let fast = str_eq_constant(op, &l, &r, values.len()).expect("fast path");
                    let (ld, rd) = (datum(&l, values.len()), datum(&r, values.len()));
                    let kernel = if op == BinOp::Eq {
                        cmp::eq(ld.as_ref(), rd.as_ref())
                    } else {
                        cmp::neq(ld.as_ref(), rd.as_ref())
                    }
                    .expect("kernel");
                    assert_eq!(fast, kernel, "{needle:?}");
                    assert_eq!(fast.null_count(), 1);
                }
            }
        }
        // A sliced column (offsets not starting at zero) too.
        let sliced = values.slice(2, 5);
        let l = ColumnarValue::Array(sliced.clone());
        let r = ColumnarValue::Scalar(ScalarValue::String("".to_string()));
        let fast = str_eq_constant(BinOp::Eq, &l, &r, sliced.len()).expect("fast path");
        let (ld, rd) = (datum(&l, sliced.len()), datum(&r, sliced.len()));
        assert_eq!(fast, cmp::eq(ld.as_ref(), rd.as_ref()).expect("kernel"));
    }

    #[test]
    fn in_list_case_insensitive_short_ascii_lists_match_the_general_path() {
        let values: ArrayRef = Arc::new(StringArray::from(vec![
            Some("cmd.exe"),
            Some("CMD.EXE"),
            Some("cmd.ex"),
            Some(""),
            None,
            Some("\u{212A}ernel"),
            Some("Kernel"),
            Some("straße"),
            Some("PowerShell.exe"),
            Some("\u{212A}\u{212A}\u{212A}\u{212A}\u{212A}\u{212A}"),
            Some("c\u{212A}d.exe"),
            Some("éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé"),
            Some("x"),
        ]));
        let short = ["cmd.exe", "kernel", "", "powershell.exe", "kkkkkk"];
        let list: Vec<ScalarValue> = short
            .iter()
            .map(|s| ScalarValue::String((*s).to_string()))
            .collect();
        // More than 16 values take the general (hash set) path.
        let mut long = list.clone();
        long.extend((0..20).map(|i| ScalarValue::String(format!("zz{i}"))));
        let fast = in_list(&values, KqlType::String, &list, true).expect("in");
        let general = in_list(&values, KqlType::String, &long, true).expect("in");
        assert_eq!(fast, general);
        let got: Vec<Option<bool>> = fast.iter().collect();
        assert_eq!(
            got,
            vec![
                Some(true),
                Some(true),
                Some(false),
                Some(true),
                None,
                Some(true),
                Some(true),
                Some(false),
                Some(true),
                Some(true),
                Some(false),
                Some(false),
                Some(false)
            ]
        );
    }
}
