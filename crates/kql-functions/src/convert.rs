//! Conversions between KQL types with Kusto's rules, for constants
//! ([`cast_scalar`]) and whole Arrow arrays ([`cast_array`]): a value that
//! cannot be converted becomes null (or `""` for strings).

use arrow::array::{
    new_null_array, Array, ArrayRef, AsArray, BooleanArray, BooleanBuilder, Float64Array,
    Float64Builder, Int32Array, Int32Builder, Int64Array, Int64Builder, StringArray, StringBuilder,
};
use arrow::compute::kernels::cast::cast;
use arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type};
use kql_common::time::{
    format_datetime, format_timespan, parse_datetime, parse_timespan, write_datetime,
};
use kql_common::{KqlType, ScalarValue};
use std::fmt::Write;
use std::sync::Arc;

/// Converts a constant to another type, as `tolong()`, `tostring()`, ...
/// would; `None` when the planner should leave the conversion to run time.
pub fn cast_scalar(v: &ScalarValue, to: KqlType) -> Option<ScalarValue> {
    use ScalarValue as S;
    if v.kql_type() == to {
        return Some(v.clone());
    }
    if let S::Null(_) = v {
        return Some(S::Null(to));
    }
    Some(match (v, to) {
        (S::Int(i), KqlType::Long) => S::Long(i64::from(*i)),
        (S::Int(i), KqlType::Real | KqlType::Decimal) => S::Real(f64::from(*i)),
        (S::Long(i), KqlType::Real | KqlType::Decimal) => S::Real(*i as f64),
        (S::Long(i), KqlType::Int) => i32::try_from(*i).map_or(S::Null(KqlType::Int), S::Int),
        (S::Real(r), KqlType::Long) => {
            if r.is_finite() {
                S::Long(r.trunc() as i64)
            } else {
                S::Null(KqlType::Long)
            }
        }
        (S::Bool(b), KqlType::Long) => S::Long(i64::from(*b)),
        (S::Bool(b), KqlType::Int) => S::Int(i32::from(*b)),
        (S::Bool(b), KqlType::Real) => S::Real(if *b { 1.0 } else { 0.0 }),
        (_, KqlType::String) => S::String(scalar_to_string(v)),
        (S::String(s), KqlType::DateTime) => {
            parse_datetime(s).map_or(S::Null(KqlType::DateTime), S::DateTime)
        }
        (S::String(s), KqlType::TimeSpan) => {
            parse_timespan(s).map_or(S::Null(KqlType::TimeSpan), S::TimeSpan)
        }
        (S::String(s), KqlType::Long) => s
            .trim()
            .parse::<i64>()
            .map_or(S::Null(KqlType::Long), S::Long),
        (S::String(s), KqlType::Int) => s
            .trim()
            .parse::<i32>()
            .map_or(S::Null(KqlType::Int), S::Int),
        (S::String(s), KqlType::Real) => s
            .trim()
            .parse::<f64>()
            .map_or(S::Null(KqlType::Real), S::Real),
        (S::String(s), KqlType::Bool) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => S::Bool(true),
            "false" | "0" => S::Bool(false),
            _ => S::Null(KqlType::Bool),
        },
        (S::String(s), KqlType::Dynamic) => S::Dynamic(serde_json::Value::String(s.clone())),
        (S::Long(i), KqlType::Dynamic) => S::Dynamic(serde_json::Value::from(*i)),
        (S::Int(i), KqlType::Dynamic) => S::Dynamic(serde_json::Value::from(*i)),
        (S::Bool(b), KqlType::Dynamic) => S::Dynamic(serde_json::Value::Bool(*b)),
        (S::Real(r), KqlType::Dynamic) => serde_json::Number::from_f64(*r)
            .map_or(S::Null(KqlType::Dynamic), |n| {
                S::Dynamic(serde_json::Value::Number(n))
            }),
        (S::Dynamic(d), t) => match d {
            serde_json::Value::Null => S::Null(t),
            serde_json::Value::String(s) => cast_scalar(&S::String(s.clone()), t)?,
            serde_json::Value::Bool(b) => cast_scalar(&S::Bool(*b), t)?,
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    cast_scalar(&S::Long(i), t)?
                } else {
                    cast_scalar(&S::Real(n.as_f64()?), t)?
                }
            }
            _ => return None,
        },
        _ => return None,
    })
}

/// The text `tostring()` gives for a value: strings as they are, datetimes
/// in ISO form with seven fraction digits, timespans as `[d.]hh:mm:ss`,
/// dynamic strings without quotes and other dynamic values as JSON, and
/// nulls as the empty string.
pub fn scalar_to_string(v: &ScalarValue) -> String {
    use ScalarValue as S;
    match v {
        S::Null(_) => String::new(),
        S::Bool(b) => b.to_string(),
        S::Int(i) => i.to_string(),
        S::Long(i) => i.to_string(),
        S::Real(r) => format_real(*r),
        S::String(s) | S::Guid(s) => s.clone(),
        S::DateTime(t) => format_datetime(*t),
        S::TimeSpan(t) => format_timespan(*t),
        S::Dynamic(serde_json::Value::String(s)) => s.clone(),
        S::Dynamic(serde_json::Value::Null) => String::new(),
        S::Dynamic(d) => d.to_string(),
    }
}

/// Formats a real the way Kusto prints one: shortest round-trip digits,
/// `NaN`, `Infinity`, `-Infinity`.
pub fn format_real(r: f64) -> String {
    if r.is_nan() {
        "NaN".to_string()
    } else if r.is_infinite() {
        if r > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        format!("{r}")
    }
}

/// Converts `array`, holding values of type `from`, to type `to`.
pub fn cast_array(array: &ArrayRef, from: KqlType, to: KqlType) -> Result<ArrayRef, String> {
    use KqlType::*;
    if from == to {
        return Ok(array.clone());
    }
    let arrow_cast = |dt: &DataType| cast(array, dt).map_err(|e| e.to_string());
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
            scalars_to_array(&values, to)?
        }
    })
}

/// The `tostring()` text of every value; nulls become `""`.
pub fn to_string_array(array: &ArrayRef, from: KqlType) -> Result<ArrayRef, String> {
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
                    Some(t) if t.starts_with('"') => b.append_value(crate::json::to_plain(t)),
                    Some("null") | None => b.append_value(""),
                    Some(t) => b.append_value(t),
                }
            }
        }
    }
    Ok(Arc::new(b.finish()))
}

fn from_string_array(s: &StringArray, to: KqlType) -> Result<ArrayRef, String> {
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
                    Some(t) => match guid_text(t) {
                        Some(g) => b.append_value(g),
                        None => b.append_null(),
                    },
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

/// The canonical (lower-case, hyphenated) form of GUID text: 32 hex digits,
/// optionally hyphenated and in braces or parentheses.
pub fn guid_text(t: &str) -> Option<String> {
    let t = t.trim();
    let t = t
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .or_else(|| t.strip_prefix('(').and_then(|x| x.strip_suffix(')')))
        .unwrap_or(t);
    if is_guid(t) {
        return Some(t.to_ascii_lowercase());
    }
    let hex: String = t.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let h = hex.to_ascii_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
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

/// Repeats a scalar `len` times in an array of its KQL type's layout.
pub fn scalar_to_array(s: &ScalarValue, len: usize) -> ArrayRef {
    use ScalarValue as S;
    match s {
        S::Null(KqlType::String) => Arc::new(StringArray::from(vec![""; len])),
        S::Null(t) => new_null_array(&t.arrow_type(), len),
        S::Bool(b) => Arc::new(BooleanArray::from(vec![*b; len])),
        S::Int(i) => Arc::new(Int32Array::from(vec![*i; len])),
        S::Long(i) | S::DateTime(i) | S::TimeSpan(i) => Arc::new(Int64Array::from(vec![*i; len])),
        S::Real(r) => Arc::new(Float64Array::from(vec![*r; len])),
        S::String(v) | S::Guid(v) => Arc::new(StringArray::from(vec![v.as_str(); len])),
        S::Dynamic(v) => {
            if v.is_null() {
                new_null_array(&KqlType::Dynamic.arrow_type(), len)
            } else {
                let text = v.to_string();
                Arc::new(StringArray::from(vec![text.as_str(); len]))
            }
        }
    }
}

/// Reads row `i` of an array holding values of KQL type `ty`.
pub fn array_value(array: &dyn Array, ty: KqlType, i: usize) -> ScalarValue {
    use ScalarValue as S;
    if array.is_null(i) {
        return S::Null(ty);
    }
    let any = array.as_any();
    match ty {
        KqlType::Bool => any
            .downcast_ref::<BooleanArray>()
            .map_or(S::Null(ty), |a| S::Bool(a.value(i))),
        KqlType::Int => any
            .downcast_ref::<Int32Array>()
            .map_or(S::Null(ty), |a| S::Int(a.value(i))),
        KqlType::Long | KqlType::DateTime | KqlType::TimeSpan => {
            match any.downcast_ref::<Int64Array>() {
                Some(a) => {
                    let v = a.value(i);
                    match ty {
                        KqlType::Long => S::Long(v),
                        KqlType::DateTime => S::DateTime(v),
                        _ => S::TimeSpan(v),
                    }
                }
                None => S::Null(ty),
            }
        }
        KqlType::Real | KqlType::Decimal => any
            .downcast_ref::<Float64Array>()
            .map_or(S::Null(ty), |a| S::Real(a.value(i))),
        KqlType::String | KqlType::Guid | KqlType::Dynamic => {
            match any.downcast_ref::<StringArray>() {
                Some(a) => {
                    let v = a.value(i);
                    match ty {
                        KqlType::String => S::String(v.to_string()),
                        KqlType::Guid => S::Guid(v.to_string()),
                        _ => serde_json::from_str(v).map_or(S::Null(ty), S::Dynamic),
                    }
                }
                None => S::Null(ty),
            }
        }
    }
}

/// Builds an array of KQL type `ty` from scalars (nulls where a value has
/// another type).
pub fn scalars_to_array(values: &[ScalarValue], ty: KqlType) -> Result<ArrayRef, String> {
    use arrow::array::{BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder};
    use ScalarValue as S;
    Ok(match ty {
        KqlType::Bool => {
            let mut b = BooleanBuilder::with_capacity(values.len());
            for v in values {
                b.append_option(match v {
                    S::Bool(x) => Some(*x),
                    _ => None,
                });
            }
            Arc::new(b.finish())
        }
        KqlType::Int => {
            let mut b = Int32Builder::with_capacity(values.len());
            for v in values {
                b.append_option(match v {
                    S::Int(x) => Some(*x),
                    _ => None,
                });
            }
            Arc::new(b.finish())
        }
        KqlType::Long | KqlType::DateTime | KqlType::TimeSpan => {
            let mut b = Int64Builder::with_capacity(values.len());
            for v in values {
                b.append_option(match v {
                    S::Long(x) | S::DateTime(x) | S::TimeSpan(x) => Some(*x),
                    _ => None,
                });
            }
            Arc::new(b.finish())
        }
        KqlType::Real | KqlType::Decimal => {
            let mut b = Float64Builder::with_capacity(values.len());
            for v in values {
                b.append_option(match v {
                    S::Real(x) => Some(*x),
                    _ => None,
                });
            }
            Arc::new(b.finish())
        }
        KqlType::String | KqlType::Guid | KqlType::Dynamic => {
            let mut b = StringBuilder::with_capacity(values.len(), values.len() * 8);
            for v in values {
                match v {
                    S::String(x) | S::Guid(x) => b.append_value(x),
                    S::Dynamic(d) if !d.is_null() => b.append_value(d.to_string()),
                    _ if ty == KqlType::String => b.append_value(""),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
    })
}
