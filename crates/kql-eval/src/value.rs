//! Columnar values: a whole Arrow array, or one scalar standing for every row.

use arrow::array::ArrayRef;
use kql_common::{KqlType, ScalarValue};

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

pub use kql_functions::convert::{array_value, scalar_to_array};

/// Builds an array of KQL type `ty` from scalars (nulls where a value has
/// another type).
pub fn scalars_to_array(values: &[ScalarValue], ty: KqlType) -> crate::error::EvalResult<ArrayRef> {
    kql_functions::convert::scalars_to_array(values, ty).map_err(crate::error::internal)
}
