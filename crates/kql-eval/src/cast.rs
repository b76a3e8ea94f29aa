//! Converting arrays between KQL types with Kusto's rules: a value that
//! cannot be converted becomes null (or `""` for strings).

use crate::error::{internal, EvalResult};
use crate::value::array_value;
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBuilder, Float64Array, Float64Builder,
    Int32Builder, Int64Array, Int64Builder, StringArray, StringBuilder,
};
use arrow::compute::kernels::cast::cast;
use arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type};
use kql_common::time::{parse_datetime, parse_timespan, write_datetime};
use kql_common::{KqlType, ScalarValue};
use kql_planner::cast::{cast_scalar, format_real, scalar_to_string};
use std::fmt::Write;
use std::sync::Arc;

/// Converts `array`, holding values of type `from`, to type `to`.
pub fn cast_array(array: &ArrayRef, from: KqlType, to: KqlType) -> EvalResult<ArrayRef> {
    use KqlType::*;
    if from == to {
        return Ok(array.clone());
    }
    let arrow_cast = |dt: &DataType| cast(array, dt).map_err(|e| internal(e.to_string()));
    Ok(match (from, to) {
        // Same physical layout: only the KQL meaning changes.
        (Long, DateTime | TimeSpan) | (DateTime | TimeSpan, Long) | (Guid, String) => array.clone(),
        (Int | Long | Bool, Long | Int | Real | Decimal) | (Real | Decimal, Real | Decimal) => {
            arrow_cast(&to.arrow_type())?
        }
        (Real | Decimal, Long | Int) => {
            let f = array.as_primitive::<Float64Type>();
            if to == Long {
                let mut b = Int64Builder::with_capacity(f.len());
                for v in f.iter() {
                    b.append_option(v.filter(|x| x.is_finite()).map(|x| x.trunc() as i64));
                }
                Arc::new(b.finish())
            } else {
                let mut b = Int32Builder::with_capacity(f.len());
                for v in f.iter() {
                    b.append_option(
                        v.filter(|x| x.is_finite() && x.abs() < 2.2e9)
                            .and_then(|x| i32::try_from(x.trunc() as i64).ok()),
                    );
                }
                Arc::new(b.finish())
            }
        }
        (_, String) => to_string_array(array, from)?,
        (String, _) => from_string_array(array.as_string::<i32>(), to)?,
        (Dynamic, Bool) => {
            let s = array.as_string::<i32>();
            let mut b = BooleanBuilder::with_capacity(s.len());
            for v in s.iter() {
                b.append_option(v.and_then(|t| match serde_json::from_str(t) {
                    Ok(serde_json::Value::Bool(x)) => Some(x),
                    Ok(serde_json::Value::String(x)) => match x.to_ascii_lowercase().as_str() {
                        "true" => Some(true),
                        "false" => Some(false),
                        _ => None,
                    },
                    Ok(serde_json::Value::Number(n)) => n.as_f64().map(|f| f != 0.0),
                    _ => None,
                }));
            }
            Arc::new(b.finish())
        }
        _ => {
            // General path: convert value by value through scalars.
            let n = array.len();
            let values: Vec<ScalarValue> = (0..n)
                .map(|i| {
                    let v = array_value(array.as_ref(), from, i);
                    cast_scalar(&v, to).unwrap_or(ScalarValue::Null(to))
                })
                .collect();
            crate::value::scalars_to_array(&values, to)?
        }
    })
}

/// The `tostring()` text of every value; nulls become `""`.
pub fn to_string_array(array: &ArrayRef, from: KqlType) -> EvalResult<ArrayRef> {
    let n = array.len();
    let mut b = StringBuilder::with_capacity(n, n * 8);
    let mut buf = String::new();
    match from {
        KqlType::DateTime | KqlType::TimeSpan | KqlType::Long => {
            let a: &Int64Array = array.as_primitive::<Int64Type>();
            for v in a.iter() {
                buf.clear();
                if let Some(v) = v {
                    match from {
                        KqlType::DateTime => write_datetime(&mut buf, v),
                        KqlType::TimeSpan => buf.push_str(&kql_common::time::format_timespan(v)),
                        _ => {
                            let _ = write!(buf, "{v}");
                        }
                    }
                }
                b.append_value(&buf);
            }
        }
        KqlType::Int => {
            for v in array.as_primitive::<Int32Type>().iter() {
                buf.clear();
                if let Some(v) = v {
                    let _ = write!(buf, "{v}");
                }
                b.append_value(&buf);
            }
        }
        KqlType::Real | KqlType::Decimal => {
            let a: &Float64Array = array.as_primitive::<Float64Type>();
            for v in a.iter() {
                b.append_value(v.map(format_real).unwrap_or_default());
            }
        }
        KqlType::Bool => {
            let a: &BooleanArray = array.as_boolean();
            for v in a.iter() {
                b.append_value(match v {
                    Some(true) => "true",
                    Some(false) => "false",
                    None => "",
                });
            }
        }
        KqlType::String | KqlType::Guid => {
            let a: &StringArray = array.as_string::<i32>();
            for v in a.iter() {
                b.append_value(v.unwrap_or(""));
            }
        }
        KqlType::Dynamic => {
            let a: &StringArray = array.as_string::<i32>();
            for v in a.iter() {
                match v {
                    // A JSON string converts without its quotes.
                    Some(t) if t.starts_with('"') => match serde_json::from_str(t) {
                        Ok(val) => b.append_value(scalar_to_string(&ScalarValue::Dynamic(val))),
                        Err(_) => b.append_value(t),
                    },
                    Some("null") | None => b.append_value(""),
                    Some(t) => b.append_value(t),
                }
            }
        }
    }
    Ok(Arc::new(b.finish()))
}

fn from_string_array(s: &StringArray, to: KqlType) -> EvalResult<ArrayRef> {
    let n = s.len();
    Ok(match to {
        KqlType::Long | KqlType::DateTime | KqlType::TimeSpan => {
            let mut b = Int64Builder::with_capacity(n);
            for v in s.iter() {
                b.append_option(v.and_then(|t| match to {
                    KqlType::Long => t.trim().parse::<i64>().ok(),
                    KqlType::DateTime => parse_datetime(t),
                    _ => parse_timespan(t),
                }));
            }
            Arc::new(b.finish())
        }
        KqlType::Int => {
            let mut b = Int32Builder::with_capacity(n);
            for v in s.iter() {
                b.append_option(v.and_then(|t| t.trim().parse::<i32>().ok()));
            }
            Arc::new(b.finish())
        }
        KqlType::Real | KqlType::Decimal => {
            let mut b = Float64Builder::with_capacity(n);
            for v in s.iter() {
                b.append_option(v.and_then(|t| parse_real(t.trim())));
            }
            Arc::new(b.finish())
        }
        KqlType::Bool => {
            let mut b = BooleanBuilder::with_capacity(n);
            for v in s.iter() {
                b.append_option(
                    v.and_then(|t| match t.trim().to_ascii_lowercase().as_str() {
                        "true" | "1" => Some(true),
                        "false" | "0" => Some(false),
                        _ => None,
                    }),
                );
            }
            Arc::new(b.finish())
        }
        KqlType::Guid => {
            let mut b = StringBuilder::with_capacity(n, n * 36);
            for v in s.iter() {
                match v.map(str::trim) {
                    Some(t) if is_guid(t) => b.append_value(t.to_ascii_lowercase()),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        KqlType::Dynamic => {
            let mut b = StringBuilder::with_capacity(n, n * 8);
            for v in s.iter() {
                match v {
                    Some(t) => b.append_value(serde_json::Value::String(t.to_string()).to_string()),
                    None => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        KqlType::String => Arc::new(s.clone()),
    })
}

fn parse_real(t: &str) -> Option<f64> {
    match t {
        "NaN" | "nan" => Some(f64::NAN),
        "Infinity" | "inf" | "+inf" => Some(f64::INFINITY),
        "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ => t.parse::<f64>().ok(),
    }
}

fn is_guid(t: &str) -> bool {
    t.len() == 36
        && t.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}
