//! Type promotion and constant conversion rules.

use kql_common::{KqlType, ScalarValue};
pub use kql_functions::convert::{cast_scalar, format_real, scalar_to_string};

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
