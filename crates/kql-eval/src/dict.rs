//! Dictionary-encoded string columns: what they mean and how to turn them
//! into plain ones.
//!
//! A `string` column read from a file whose pages are dictionary-encoded
//! (Parquet) may reach the evaluator as `Dictionary(Int32, Utf8)`: a small
//! array of distinct values and, per row, the position of its value. Such
//! an array means exactly what [`plain`] turns it into. Keys are never null
//! (a missing string is `""`, like everywhere else in KQL layout); the
//! values are never null either. The batch's field for such a column has
//! the dictionary type, the column's name and its `kql.type` metadata.
//! An expression of such columns may give an encoded column too (see
//! [`crate::expr::eval`]): its values need not be distinct (`tolower` of
//! `"A"` and `"a"`) and some may be used by no row, so a consumer must not
//! take a value's position for the value itself.
//!
//! Only the operators that know how to work on the encoded form see it
//! (filters and projections of a pipeline, grouping); every other operator
//! gets plain batches from its input ([`plain_batch`]).

use crate::error::{internal, EvalResult};
use arrow::array::{Array, ArrayRef, AsArray, DictionaryArray, RecordBatch, RecordBatchOptions};
use arrow::datatypes::{DataType, Field, Int32Type, Schema};
use std::sync::Arc;

/// The data type of a dictionary-encoded string column.
pub fn dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// Whether `a` is dictionary-encoded.
pub fn is_dictionary(a: &dyn Array) -> bool {
    matches!(a.data_type(), DataType::Dictionary(_, _))
}

/// Whether any column of `b` is dictionary-encoded.
pub fn has_dictionary(b: &RecordBatch) -> bool {
    b.columns().iter().any(|c| is_dictionary(c.as_ref()))
}

/// The array as a `Dictionary(Int32, Utf8)`, when it is one.
pub fn as_string_dictionary(a: &dyn Array) -> Option<&DictionaryArray<Int32Type>> {
    let d = a.as_dictionary_opt::<Int32Type>()?;
    (d.values().data_type() == &DataType::Utf8).then_some(d)
}

/// The plain array a dictionary-encoded one stands for (any other array
/// as it is).
pub fn plain(a: &ArrayRef) -> EvalResult<ArrayRef> {
    match a.data_type() {
        DataType::Dictionary(_, value) => {
            arrow::compute::cast(a, value).map_err(|e| internal(e.to_string()))
        }
        _ => Ok(a.clone()),
    }
}

/// The batch with every dictionary-encoded column made plain (the batch
/// itself when it has none).
pub fn plain_batch(b: &RecordBatch) -> EvalResult<RecordBatch> {
    if !has_dictionary(b) {
        return Ok(b.clone());
    }
    let columns = b
        .columns()
        .iter()
        .map(plain)
        .collect::<EvalResult<Vec<_>>>()?;
    with_columns(b, columns)
}

/// A batch of `b`'s fields (names, metadata) holding `columns`, each
/// field typed as its new column is.
pub fn with_columns(b: &RecordBatch, columns: Vec<ArrayRef>) -> EvalResult<RecordBatch> {
    let schema = b.schema();
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .zip(&columns)
        .map(|(f, c)| {
            if f.data_type() == c.data_type() {
                f.as_ref().clone()
            } else {
                f.as_ref().clone().with_data_type(c.data_type().clone())
            }
        })
        .collect();
    RecordBatch::try_new_with_options(
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(b.num_rows())),
    )
    .map_err(|e| internal(e.to_string()))
}

/// `schema`'s fields typed as `columns` are (a dictionary-encoded column
/// keeps its field's name and metadata): the schema of a batch that holds
/// `columns` under `schema`'s names.
pub fn retyped(
    schema: &arrow::datatypes::SchemaRef,
    columns: &[ArrayRef],
) -> arrow::datatypes::SchemaRef {
    if schema
        .fields()
        .iter()
        .zip(columns)
        .all(|(f, c)| f.data_type() == c.data_type())
    {
        return schema.clone();
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .zip(columns)
        .map(|(f, c)| f.as_ref().clone().with_data_type(c.data_type().clone()))
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, StringArray};

    fn encoded() -> ArrayRef {
        let values = StringArray::from(vec!["b", "", "Ä"]);
        let keys = Int32Array::from(vec![0, 2, 1, 0, 2]);
        Arc::new(DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values)).expect("dictionary"))
    }

    #[test]
    fn plain_spells_out_every_row() {
        let p = plain(&encoded()).expect("plain");
        let s = p.as_string::<i32>();
        let got: Vec<&str> = (0..s.len()).map(|i| s.value(i)).collect();
        assert_eq!(got, ["b", "Ä", "", "b", "Ä"]);
        assert_eq!(s.null_count(), 0);
    }

    #[test]
    fn plain_batch_retypes_only_encoded_fields() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("s", dictionary_type(), false),
            Field::new("n", DataType::Int32, false),
        ]));
        let n: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 3, 4, 5]));
        let b = RecordBatch::try_new(schema, vec![encoded(), n]).expect("batch");
        assert!(has_dictionary(&b));
        let p = plain_batch(&b).expect("plain batch");
        assert!(!has_dictionary(&p));
        assert_eq!(p.schema().field(0).data_type(), &DataType::Utf8);
        assert_eq!(p.schema().field(0).name(), "s");
        assert_eq!(p.schema().field(1).data_type(), &DataType::Int32);
        assert_eq!(p.num_rows(), 5);
    }
}
