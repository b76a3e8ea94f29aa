//! Arrow columns from other writers (Parquet, Arrow IPC) in the Arrow
//! layout of KQL types: which KQL type a column gets, and the conversion.
//!
//! | Arrow type | KQL type |
//! |---|---|
//! | `bool` | `bool` |
//! | `int8`, `int16`, `int32`, `uint8`, `uint16` | `int` |
//! | `int64`, `uint32`, `uint64` (above 2^63-1: null) | `long` |
//! | `float16`, `float32`, `float64`, `decimal` | `real` |
//! | `utf8`, `large_utf8`, `utf8_view` | `string` (null → `""`) |
//! | `binary`, `large_binary`, `fixed_size_binary` | `string`: the bytes as UTF-8 text, invalid sequences replaced by U+FFFD |
//! | `timestamp` (any unit, any time zone), `date32`, `date64` | `datetime` (UTC ticks; finer than 100 ns is truncated towards the past) |
//! | `duration` | `timespan` |
//! | `dictionary` | the type of its values |
//!
//! A field that carries `kql.type` metadata (a file `kql` wrote) keeps
//! that type. A table named after a Defender table takes the types of its
//! schema for the columns it declares.

use crate::column::TypedColumn;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, DurationMicrosecondType, DurationMillisecondType,
    DurationNanosecondType, DurationSecondType, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, Int64Array, PrimitiveArray, StringArray};
use arrow_buffer::ArrowNativeType;
use arrow_schema::{DataType, TimeUnit};
use kql_common::time::{
    TICKS_PER_DAY, TICKS_PER_MICROSECOND, TICKS_PER_MILLISECOND, TICKS_PER_SECOND,
};
use kql_common::KqlType;
use std::sync::Arc;

/// The KQL type of a column of Arrow type `dt` (`None` for nested types).
pub(crate) fn native_type(dt: &DataType) -> Option<KqlType> {
    Some(match dt {
        DataType::Boolean => KqlType::Bool,
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16 => {
            KqlType::Int
        }
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => KqlType::Long,
        DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal32(_, _)
        | DataType::Decimal64(_, _)
        | DataType::Decimal128(_, _)
        | DataType::Decimal256(_, _) => KqlType::Real,
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Null
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => KqlType::String,
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => KqlType::DateTime,
        DataType::Duration(_) => KqlType::TimeSpan,
        DataType::Dictionary(_, v) => return native_type(v),
        _ => return None,
    })
}

/// The KQL type a field is read as: its `kql.type` metadata when that
/// matches its Arrow type, else the declared type, else its native type.
pub(crate) fn field_type(
    field: &arrow_schema::Field,
    declared: Option<KqlType>,
) -> Option<KqlType> {
    if let Some(t) = KqlType::of_field(field) {
        if field.metadata().contains_key("kql.type") && t.arrow_type() == *field.data_type() {
            return Some(t);
        }
    }
    let native = native_type(field.data_type())?;
    Some(declared.unwrap_or(native))
}

/// Converts a column to the Arrow layout of `to`. `Err` holds a message
/// (a value that is not a `to`, or an unsupported type).
pub(crate) fn to_kql(array: &ArrayRef, to: KqlType) -> Result<ArrayRef, String> {
    let cast = |a: &ArrayRef, dt: &DataType| {
        arrow_cast::cast::cast(a, dt).map_err(|e| format!("cannot convert to {}: {e}", to.name()))
    };
    if let DataType::Dictionary(_, v) = array.data_type() {
        let plain = cast(array, v)?;
        return to_kql(&plain, to);
    }
    let dt = array.data_type();
    if *dt == to.arrow_type() && to != KqlType::String {
        return Ok(array.clone());
    }
    match to {
        KqlType::String | KqlType::Dynamic | KqlType::Guid => {
            let text: ArrayRef = match dt {
                DataType::Utf8 => array.clone(),
                DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
                    let bin = cast(array, &DataType::BinaryView)?;
                    let bin = bin.as_binary_view();
                    Arc::new(
                        bin.iter()
                            .map(|v| v.map(|b| String::from_utf8_lossy(b).into_owned()))
                            .collect::<StringArray>(),
                    )
                }
                DataType::FixedSizeBinary(_) => {
                    let bin = array.as_fixed_size_binary();
                    Arc::new(
                        bin.iter()
                            .map(|v| v.map(|b| String::from_utf8_lossy(b).into_owned()))
                            .collect::<StringArray>(),
                    )
                }
                DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => {
                    let ticks = to_kql(array, KqlType::DateTime)?;
                    Arc::new(
                        ticks
                            .as_primitive::<Int64Type>()
                            .iter()
                            .map(|v| v.map(kql_common::time::format_datetime))
                            .collect::<StringArray>(),
                    )
                }
                _ => cast(array, &DataType::Utf8)?,
            };
            if to == KqlType::String && text.null_count() > 0 {
                return Ok(Arc::new(nulls_to_empty(text.as_string::<i32>())));
            }
            Ok(text)
        }
        KqlType::DateTime => match dt {
            DataType::Timestamp(unit, _) => Ok(ticks(array, *unit)),
            DataType::Date32 => Ok(Arc::new(map_i64(array.as_primitive::<Date32Type>(), |d| {
                i64::from(d).saturating_mul(TICKS_PER_DAY)
            }))),
            DataType::Date64 => Ok(Arc::new(map_i64(
                array.as_primitive::<Date64Type>(),
                |ms| ms.saturating_mul(TICKS_PER_MILLISECOND),
            ))),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => parse_text(array, to),
            _ => cast(array, &DataType::Int64),
        },
        KqlType::TimeSpan => match dt {
            DataType::Duration(unit) => Ok(ticks(array, *unit)),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => parse_text(array, to),
            _ => cast(array, &DataType::Int64),
        },
        KqlType::Bool | KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal => match dt
        {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => parse_text(array, to),
            _ => cast(array, &to.arrow_type()),
        },
    }
}

/// `a` with every null as `""`. Readers leave null slots empty, so this
/// usually only drops the validity bitmap; otherwise the valid values are
/// copied once.
/// A dictionary-encoded string column in KQL layout, kept encoded:
/// `Dictionary(Int32, Utf8)` whose keys and values are never null (a null
/// row points at a `""` value, added when the dictionary has none), so it
/// means what [`to_kql`] would make of it. `None` for anything else.
pub(crate) fn encoded_string(array: &ArrayRef) -> Option<ArrayRef> {
    let dict = array.as_dictionary_opt::<arrow_array::types::Int32Type>()?;
    let values = dict.values().as_string_opt::<i32>()?;
    let values = if values.null_count() > 0 {
        nulls_to_empty(values)
    } else {
        values.clone()
    };
    if dict.keys().null_count() == 0 {
        let keys = dict.keys().clone();
        // SAFETY: the keys index `values`, which has the same length as
        // the dictionary's own values.
        return Some(Arc::new(unsafe {
            arrow_array::DictionaryArray::<arrow_array::types::Int32Type>::new_unchecked(
                keys,
                Arc::new(values),
            )
        }));
    }
    let (values, empty) = match (0..values.len()).find(|&i| values.value(i).is_empty()) {
        Some(i) => (values, i),
        None => {
            let mut b = arrow_array::builder::StringBuilder::with_capacity(
                values.len() + 1,
                values.value_data().len(),
            );
            for v in values.iter() {
                b.append_value(v.unwrap_or(""));
            }
            b.append_value("");
            let n = values.len();
            (b.finish(), n)
        }
    };
    let empty = i32::try_from(empty).ok()?;
    let keys = dict.keys();
    let filled: arrow_array::Int32Array = keys.iter().map(|k| Some(k.unwrap_or(empty))).collect();
    arrow_array::DictionaryArray::<arrow_array::types::Int32Type>::try_new(filled, Arc::new(values))
        .ok()
        .map(|d| Arc::new(d) as ArrayRef)
}

pub(crate) fn nulls_to_empty(a: &StringArray) -> StringArray {
    let Some(nulls) = a.nulls() else {
        return a.clone();
    };
    let offsets = a.value_offsets();
    let mut null_slots_empty = true;
    for i in 0..a.len() {
        null_slots_empty &= nulls.is_valid(i) | (offsets[i] == offsets[i + 1]);
    }
    if null_slots_empty {
        // SAFETY: the offsets and bytes of a valid array, whose valid
        // slots are UTF-8; the null slots become valid as empty strings.
        return unsafe {
            StringArray::new_unchecked(a.offsets().clone(), a.values().clone(), None)
        };
    }
    let values = a.values().as_slice();
    let mut out_offsets = Vec::with_capacity(a.len() + 1);
    let mut out_values = Vec::with_capacity(values.len());
    out_offsets.push(0i32);
    for (i, w) in offsets.windows(2).enumerate() {
        if nulls.is_valid(i) {
            out_values.extend_from_slice(&values[w[0].as_usize()..w[1].as_usize()]);
        }
        // No longer than the input's values, so it fits.
        out_offsets.push(i32::try_from(out_values.len()).unwrap_or(i32::MAX));
    }
    // SAFETY: the valid slots' bytes, copied whole, so each is UTF-8; the
    // offsets rise from 0 to the length of the bytes.
    unsafe {
        StringArray::new_unchecked(
            arrow_buffer::OffsetBuffer::new_unchecked(out_offsets.into()),
            out_values.into(),
            None,
        )
    }
}

/// Time values of `unit` as 100 ns ticks (rounded towards the past).
fn ticks(array: &ArrayRef, unit: TimeUnit) -> ArrayRef {
    let out: Int64Array = match (array.data_type(), unit) {
        (DataType::Timestamp(..), TimeUnit::Second) => {
            map_i64(array.as_primitive::<TimestampSecondType>(), |v| {
                v.saturating_mul(TICKS_PER_SECOND)
            })
        }
        (DataType::Timestamp(..), TimeUnit::Millisecond) => {
            map_i64(array.as_primitive::<TimestampMillisecondType>(), |v| {
                v.saturating_mul(TICKS_PER_MILLISECOND)
            })
        }
        (DataType::Timestamp(..), TimeUnit::Microsecond) => {
            map_i64(array.as_primitive::<TimestampMicrosecondType>(), |v| {
                v.saturating_mul(TICKS_PER_MICROSECOND)
            })
        }
        (DataType::Timestamp(..), TimeUnit::Nanosecond) => {
            map_i64(array.as_primitive::<TimestampNanosecondType>(), |v| {
                v.div_euclid(100)
            })
        }
        (_, TimeUnit::Second) => map_i64(array.as_primitive::<DurationSecondType>(), |v| {
            v.saturating_mul(TICKS_PER_SECOND)
        }),
        (_, TimeUnit::Millisecond) => {
            map_i64(array.as_primitive::<DurationMillisecondType>(), |v| {
                v.saturating_mul(TICKS_PER_MILLISECOND)
            })
        }
        (_, TimeUnit::Microsecond) => {
            map_i64(array.as_primitive::<DurationMicrosecondType>(), |v| {
                v.saturating_mul(TICKS_PER_MICROSECOND)
            })
        }
        (_, TimeUnit::Nanosecond) => map_i64(array.as_primitive::<DurationNanosecondType>(), |v| {
            v.div_euclid(100)
        }),
    };
    Arc::new(out)
}

fn map_i64<T: ArrowPrimitiveType>(
    a: &PrimitiveArray<T>,
    f: impl Fn(T::Native) -> i64,
) -> Int64Array {
    a.unary::<_, Int64Type>(f)
}

/// Text values parsed as `to`, as a CSV cell would be.
fn parse_text(array: &ArrayRef, to: KqlType) -> Result<ArrayRef, String> {
    let text = arrow_cast::cast::cast(array, &DataType::Utf8).map_err(|e| e.to_string())?;
    let text = text.as_string::<i32>();
    let mut col = TypedColumn::new(to, text.len());
    for v in text.iter() {
        match v {
            None => col.push_null(),
            Some(s) => col
                .push_text(s)
                .map_err(|()| format!("`{s}` is not a {}", to.name()))?,
        }
    }
    Ok(col.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer};

    fn strings(a: &StringArray) -> Vec<Option<&str>> {
        a.iter().collect()
    }

    #[test]
    fn nulls_become_empty_strings_whatever_null_slots_hold() {
        // Null slots holding bytes (allowed by the format): "ab" at 1, "ü" at 3.
        let offsets = OffsetBuffer::new(vec![0, 1, 3, 6, 8, 8].into());
        let values = Buffer::from("xabжyü".as_bytes());
        let nulls = NullBuffer::from(vec![true, false, true, false, true]);
        let a = StringArray::new(offsets, values, Some(nulls));
        let out = nulls_to_empty(&a);
        assert_eq!(out.null_count(), 0);
        assert_eq!(
            strings(&out),
            vec![Some("x"), Some(""), Some("жy"), Some(""), Some("")]
        );
        // Empty null slots (what readers write): the same bytes, no copy.
        let b = StringArray::from(vec![Some("日本"), None, Some(""), None, Some("z")]);
        let out = nulls_to_empty(&b);
        assert_eq!(out.null_count(), 0);
        assert_eq!(out.values().as_ptr(), b.values().as_ptr());
        assert_eq!(
            strings(&out),
            vec![Some("日本"), Some(""), Some(""), Some(""), Some("z")]
        );
        // Slices keep their offsets.
        let s = b.slice(1, 3);
        assert_eq!(
            strings(&nulls_to_empty(&s)),
            vec![Some(""), Some(""), Some("")]
        );
        let no_nulls = StringArray::from(vec!["a", "b"]);
        assert_eq!(
            strings(&nulls_to_empty(&no_nulls)),
            vec![Some("a"), Some("b")]
        );
    }
}
