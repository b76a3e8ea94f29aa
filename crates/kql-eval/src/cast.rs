//! Converting arrays between KQL types with Kusto's rules: a value that
//! cannot be converted becomes null (or `""` for strings). The conversions
//! live in `kql_functions::convert`; these wrap their errors as diagnostics.

use crate::error::{internal, EvalResult};
use arrow::array::ArrayRef;
use kql_common::KqlType;

/// Converts `array`, holding values of type `from`, to type `to`.
pub fn cast_array(array: &ArrayRef, from: KqlType, to: KqlType) -> EvalResult<ArrayRef> {
    kql_functions::convert::cast_array(array, from, to).map_err(internal)
}

/// The `tostring()` text of every value; nulls become `""`.
pub fn to_string_array(array: &ArrayRef, from: KqlType) -> EvalResult<ArrayRef> {
    kql_functions::convert::to_string_array(array, from).map_err(internal)
}
