//! Columnar values: a whole Arrow array, or one scalar standing for every row.

use arrow::array::{
    new_null_array, Array, ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array,
    StringArray,
};
use kql_common::{KqlType, ScalarValue};
use std::sync::Arc;

/// The result of evaluating an expression over a batch.
#[derive(Clone, Debug)]
pub enum ColumnarValue {
    Array(ArrayRef),
    Scalar(ScalarValue),
}

impl ColumnarValue {
    /// The value as an array of `len` rows (a scalar is repeated).
    pub fn into_array(self, len: usize) -> ArrayRef {
        match self {
            ColumnarValue::Array(a) => a,
            ColumnarValue::Scalar(s) => scalar_to_array(&s, len),
        }
    }
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
pub fn scalars_to_array(values: &[ScalarValue], ty: KqlType) -> crate::error::EvalResult<ArrayRef> {
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
