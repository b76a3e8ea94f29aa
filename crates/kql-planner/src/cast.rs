//! Type promotion and constant conversion rules.

use kql_common::time::{format_datetime, format_timespan, parse_datetime, parse_timespan};
use kql_common::{KqlType, ScalarValue};

/// The type two operands are promoted to for arithmetic or comparison:
/// `int` and `long` meet at `long`, any number and `real` at `real`.
/// A `dynamic` operand takes the other side's type.
pub fn common_type(a: KqlType, b: KqlType) -> Option<KqlType> {
    use KqlType::*;
    if a == b {
        return Some(a);
    }
    Some(match (a, b) {
        (Dynamic, t) | (t, Dynamic) => t,
        (Int, Long) | (Long, Int) => Long,
        (Decimal, x) | (x, Decimal) if x.is_numeric() => Real,
        (Real, x) | (x, Real) if x.is_numeric() => Real,
        (Guid, String) | (String, Guid) => String,
        _ => return None,
    })
}

/// Converts a constant where KQL converts implicitly (a `datatable` cell, an
/// `in` list element): the same type, a null, a number to another number
/// type, a `dynamic` scalar of a fitting kind, or anything to `dynamic`.
/// `None` when the value does not fit, e.g. the string `"x"` for a `long`.
pub fn implicit_cast(v: &ScalarValue, to: KqlType) -> Option<ScalarValue> {
    use ScalarValue as S;
    let from = v.kql_type();
    if from == to || to == KqlType::Dynamic || matches!(v, S::Null(_)) {
        return cast_scalar(v, to);
    }
    match v {
        _ if from.is_numeric() && to.is_numeric() => cast_scalar(v, to),
        S::Guid(_) if to == KqlType::String => cast_scalar(v, to),
        S::Dynamic(d) => {
            let fits = match d {
                serde_json::Value::Null => true,
                serde_json::Value::Bool(_) => to == KqlType::Bool,
                serde_json::Value::Number(_) => to.is_numeric(),
                serde_json::Value::String(_) => matches!(
                    to,
                    KqlType::String | KqlType::Guid | KqlType::DateTime | KqlType::TimeSpan
                ),
                _ => false,
            };
            if fits {
                cast_scalar(v, to).filter(|c| !matches!(c, S::Null(_)) || d.is_null())
            } else {
                None
            }
        }
        _ => None,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promotion() {
        assert_eq!(
            common_type(KqlType::Int, KqlType::Long),
            Some(KqlType::Long)
        );
        assert_eq!(
            common_type(KqlType::Long, KqlType::Real),
            Some(KqlType::Real)
        );
        assert_eq!(common_type(KqlType::String, KqlType::Long), None);
        assert_eq!(
            common_type(KqlType::Dynamic, KqlType::String),
            Some(KqlType::String)
        );
    }

    #[test]
    fn constant_casts() {
        assert_eq!(
            cast_scalar(&ScalarValue::Int(3), KqlType::Long),
            Some(ScalarValue::Long(3))
        );
        assert_eq!(
            cast_scalar(&ScalarValue::String("12".into()), KqlType::Long),
            Some(ScalarValue::Long(12))
        );
        assert_eq!(
            cast_scalar(&ScalarValue::String("x".into()), KqlType::Long),
            Some(ScalarValue::Null(KqlType::Long))
        );
        assert_eq!(
            scalar_to_string(&ScalarValue::Dynamic(serde_json::json!("Out"))),
            "Out"
        );
        assert_eq!(
            scalar_to_string(&ScalarValue::Dynamic(serde_json::json!({"a": 1}))),
            "{\"a\":1}"
        );
    }
}
