//! Single KQL values, used for literals, constants and `let` scalars.

use crate::types::KqlType;

/// One KQL value. `Null(t)` is the null of type `t`.
#[derive(Clone, Debug, PartialEq)]
pub enum ScalarValue {
    Null(KqlType),
    Bool(bool),
    Int(i32),
    Long(i64),
    Real(f64),
    String(String),
    /// 100 ns ticks since the Unix epoch.
    DateTime(i64),
    /// 100 ns ticks.
    TimeSpan(i64),
    /// Lower-case hyphenated text.
    Guid(String),
    Dynamic(serde_json::Value),
}

impl ScalarValue {
    /// The KQL type of the value.
    pub fn kql_type(&self) -> KqlType {
        match self {
            ScalarValue::Null(t) => *t,
            ScalarValue::Bool(_) => KqlType::Bool,
            ScalarValue::Int(_) => KqlType::Int,
            ScalarValue::Long(_) => KqlType::Long,
            ScalarValue::Real(_) => KqlType::Real,
            ScalarValue::String(_) => KqlType::String,
            ScalarValue::DateTime(_) => KqlType::DateTime,
            ScalarValue::TimeSpan(_) => KqlType::TimeSpan,
            ScalarValue::Guid(_) => KqlType::Guid,
            ScalarValue::Dynamic(_) => KqlType::Dynamic,
        }
    }

    /// Whether the value is null. A string is never null; a dynamic `null`
    /// is null.
    pub fn is_null(&self) -> bool {
        match self {
            ScalarValue::Null(t) => *t != KqlType::String,
            ScalarValue::Dynamic(v) => v.is_null(),
            _ => false,
        }
    }
}
