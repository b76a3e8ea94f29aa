//! Kernels of the scalar functions (one arm per `ScalarFunc`).

use crate::error::{internal, EvalResult};
use crate::expr::{arrow_err, finish, is_scalar};
use crate::value::ColumnarValue;
use crate::EvalContext;
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, StringArray, StringBuilder,
};
use arrow::buffer::BooleanBuffer;
use arrow::compute::kernels::zip::zip;
use arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use kql_common::time::TICKS_PER_DAY;
use kql_common::{KqlType, ScalarValue};
use kql_planner::functions::ScalarFunc;
use kql_planner::PlanExpr;
use std::sync::Arc;

/// Calls `func` on evaluated arguments.
pub fn call(
    func: ScalarFunc,
    arg_exprs: &[PlanExpr],
    args: Vec<ColumnarValue>,
    e: &PlanExpr,
    n: usize,
    ctx: &EvalContext,
) -> EvalResult<ColumnarValue> {
    use ScalarFunc::*;
    let scalar = args.iter().all(is_scalar);
    let len = if scalar { 1 } else { n };
    let ty = |i: usize| arg_exprs.get(i).map_or(KqlType::Dynamic, |a| a.ty);
    let mut arrays: Vec<ArrayRef> = args.into_iter().map(|a| a.into_array(len)).collect();
    let arg = |arrays: &mut Vec<ArrayRef>, i: usize| -> EvalResult<ArrayRef> {
        arrays
            .get(i)
            .cloned()
            .ok_or_else(|| internal(format!("{}: missing argument {i}", func.name())))
    };
    let out: ArrayRef = match func {
        Not => Arc::new(arrow::compute::not(arg(&mut arrays, 0)?.as_boolean()).map_err(arrow_err)?),
        IsNull | IsNotNull => {
            let a = arg(&mut arrays, 0)?;
            let t = ty(0);
            let bits = BooleanBuffer::collect_bool(a.len(), |i| {
                let null = if t == KqlType::Dynamic {
                    a.is_null(i) || a.as_string::<i32>().value(i) == "null"
                } else {
                    // Strings are never null in KQL.
                    t != KqlType::String && a.is_null(i)
                };
                null == (func == IsNull)
            });
            Arc::new(BooleanArray::new(bits, None))
        }
        IsEmpty | IsNotEmpty => {
            let a = arg(&mut arrays, 0)?;
            let t = ty(0);
            let bits = BooleanBuffer::collect_bool(a.len(), |i| {
                let empty = a.is_null(i)
                    || match t {
                        KqlType::String | KqlType::Guid => a.as_string::<i32>().value(i).is_empty(),
                        KqlType::Dynamic => {
                            matches!(a.as_string::<i32>().value(i), "null" | "\"\"")
                        }
                        _ => false,
                    };
                empty == (func == IsEmpty)
            });
            Arc::new(BooleanArray::new(bits, None))
        }
        ToLower | ToUpper => {
            let a = arg(&mut arrays, 0)?;
            let s = strings(&a, ty(0))?;
            let mut b = StringBuilder::with_capacity(s.len(), s.value_data().len());
            for v in s.iter() {
                let v = v.unwrap_or("");
                if func == ToLower {
                    b.append_value(v.to_lowercase());
                } else {
                    b.append_value(v.to_uppercase());
                }
            }
            Arc::new(b.finish())
        }
        StrLen => {
            let a = arg(&mut arrays, 0)?;
            let s = strings(&a, ty(0))?;
            let out: Int64Array = s
                .iter()
                .map(|v| Some(v.map_or(0, |t| t.chars().count() as i64)))
                .collect();
            Arc::new(out)
        }
        StrCat => {
            let parts = arrays
                .iter()
                .enumerate()
                .map(|(i, a)| strings(a, ty(i)))
                .collect::<EvalResult<Vec<_>>>()?;
            let mut b = StringBuilder::with_capacity(len, len * 16);
            let mut buf = String::new();
            for row in 0..len {
                buf.clear();
                for p in &parts {
                    buf.push_str(p.value(row));
                }
                b.append_value(&buf);
            }
            Arc::new(b.finish())
        }
        Iff | Iif => {
            let c = arg(&mut arrays, 0)?;
            let t = arg(&mut arrays, 1)?;
            let f = arg(&mut arrays, 2)?;
            // A null condition counts as false.
            let cond = c.as_boolean();
            let cond = BooleanArray::new(
                BooleanBuffer::collect_bool(cond.len(), |i| cond.is_valid(i) && cond.value(i)),
                None,
            );
            zip(&cond, &t, &f).map_err(arrow_err)?
        }
        Now => {
            let offset = match arrays.first() {
                Some(a) => a.as_primitive::<Int64Type>().value(0),
                None => 0,
            };
            return Ok(ColumnarValue::Scalar(ScalarValue::DateTime(
                ctx.now.wrapping_add(offset),
            )));
        }
        Ago => {
            let a = arg(&mut arrays, 0)?;
            let now = ctx.now;
            let out: Int64Array = a
                .as_primitive::<Int64Type>()
                .unary(|span| now.wrapping_sub(span));
            Arc::new(out)
        }
        Bin | Floor => {
            let v = arg(&mut arrays, 0)?;
            let by = arg(&mut arrays, 1)?;
            bin(&v, &by, e.ty)?
        }
        Abs => {
            let a = arg(&mut arrays, 0)?;
            match e.ty {
                KqlType::Int => Arc::new(
                    a.as_primitive::<Int32Type>()
                        .unary::<_, Int32Type>(|x| x.wrapping_abs()),
                ),
                KqlType::Real | KqlType::Decimal => Arc::new(
                    a.as_primitive::<Float64Type>()
                        .unary::<_, Float64Type>(f64::abs),
                ),
                _ => Arc::new(
                    a.as_primitive::<Int64Type>()
                        .unary::<_, Int64Type>(|x| x.wrapping_abs()),
                ),
            }
        }
        StartOfDay => {
            let a = arg(&mut arrays, 0)?;
            Arc::new(
                a.as_primitive::<Int64Type>()
                    .unary::<_, Int64Type>(|t| t - t.rem_euclid(TICKS_PER_DAY)),
            )
        }
        ToStringFn | ToLong | ToInt | ToReal | ToDouble | ToBool | ToDateTime | ToTimeSpan => {
            return Err(internal("conversions are planned as casts"));
        }
    };
    Ok(finish(out, e.ty, scalar))
}

/// The argument as a string array (non-strings converted as `tostring`).
fn strings(a: &ArrayRef, t: KqlType) -> EvalResult<StringArray> {
    let s = crate::cast::to_string_array(a, t)?;
    Ok(s.as_string::<i32>().clone())
}

/// `bin(value, size)`: rounds down to a multiple of `size`, counting from
/// zero (the Unix epoch for datetimes). A size of zero or less gives null.
fn bin(v: &ArrayRef, by: &ArrayRef, out: KqlType) -> EvalResult<ArrayRef> {
    match out {
        KqlType::Real | KqlType::Decimal => {
            let x = v.as_primitive::<Float64Type>();
            let b = by.as_primitive::<Float64Type>();
            let r: arrow::array::Float64Array = x
                .iter()
                .zip(b.iter())
                .map(|(x, b)| match (x, b) {
                    (Some(x), Some(b)) if b > 0.0 => Some((x / b).floor() * b),
                    _ => None,
                })
                .collect();
            Ok(Arc::new(r))
        }
        _ => {
            let x = v.as_primitive::<Int64Type>();
            let b = by.as_primitive::<Int64Type>();
            let r: Int64Array = x
                .iter()
                .zip(b.iter())
                .map(|(x, b)| match (x, b) {
                    (Some(x), Some(b)) if b > 0 => Some(x - x.rem_euclid(b)),
                    _ => None,
                })
                .collect();
            Ok(Arc::new(r))
        }
    }
}
