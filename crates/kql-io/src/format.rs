//! Formats single values of Arrow arrays as text, the same way for every writer.

use arrow_array::{
    Array, BooleanArray, Float32Array, Float64Array, Int16Array, Int32Array, Int64Array, Int8Array,
    LargeStringArray, StringArray, StringViewArray, UInt16Array, UInt32Array, UInt64Array,
    UInt8Array,
};
use kql_common::time::{format_timespan, write_datetime};
use kql_common::KqlType;
use std::fmt::Write;

/// One physical value read from an Arrow array.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Cell<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Real(f64),
    Str(&'a str),
    /// An Arrow type that KQL does not hold.
    Unsupported,
}

macro_rules! try_prim {
    ($arr:expr, $row:expr, $t:ty, $variant:ident, $conv:ty) => {
        if let Some(a) = $arr.as_any().downcast_ref::<$t>() {
            return Cell::$variant(<$conv>::from(a.value($row)));
        }
    };
}

/// Reads row `row` of `array` (null, or out of range, is [`Cell::Null`]).
pub(crate) fn cell(array: &dyn Array, row: usize) -> Cell<'_> {
    if row >= array.len() || array.is_null(row) {
        return Cell::Null;
    }
    if let Some(a) = array.as_any().downcast_ref::<StringArray>() {
        return Cell::Str(a.value(row));
    }
    try_prim!(array, row, Int64Array, Int, i64);
    try_prim!(array, row, Float64Array, Real, f64);
    if let Some(a) = array.as_any().downcast_ref::<BooleanArray>() {
        return Cell::Bool(a.value(row));
    }
    try_prim!(array, row, Int32Array, Int, i64);
    try_prim!(array, row, Int16Array, Int, i64);
    try_prim!(array, row, Int8Array, Int, i64);
    try_prim!(array, row, UInt8Array, UInt, u64);
    try_prim!(array, row, UInt16Array, UInt, u64);
    try_prim!(array, row, UInt32Array, UInt, u64);
    try_prim!(array, row, UInt64Array, UInt, u64);
    try_prim!(array, row, Float32Array, Real, f64);
    if let Some(a) = array.as_any().downcast_ref::<LargeStringArray>() {
        return Cell::Str(a.value(row));
    }
    if let Some(a) = array.as_any().downcast_ref::<StringViewArray>() {
        return Cell::Str(a.value(row));
    }
    Cell::Unsupported
}

/// Appends a real the way Kusto and JSON readers expect: shortest
/// round-trip digits (`15.0`, `0.1`, `1e+20`), `NaN`, `Infinity`, `-Infinity`.
pub(crate) fn write_real(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else if let Some(n) = serde_json::Number::from_f64(f) {
        let _ = write!(out, "{n}");
    }
}

/// Appends the text of a cell of the given KQL type; `false` for null.
pub(crate) fn write_cell(out: &mut String, c: Cell<'_>, ty: KqlType) -> bool {
    match (c, ty) {
        (Cell::Null, _) => return false,
        (Cell::Int(t), KqlType::DateTime) => write_datetime(out, t),
        (Cell::Int(t), KqlType::TimeSpan) => out.push_str(&format_timespan(t)),
        (Cell::Int(i), KqlType::Real | KqlType::Decimal) => write_real(out, i as f64),
        (Cell::Int(i), _) => {
            let _ = write!(out, "{i}");
        }
        (Cell::UInt(i), _) => {
            let _ = write!(out, "{i}");
        }
        (Cell::Real(f), _) => write_real(out, f),
        (Cell::Bool(b), _) => out.push_str(if b { "true" } else { "false" }),
        // A dynamic string is printed as its text, without JSON quotes, as
        // Kusto does (values inside arrays and bags keep theirs).
        (Cell::Str(s), KqlType::Dynamic) if s.starts_with('"') => {
            match serde_json::from_str::<String>(s) {
                Ok(text) => out.push_str(&text),
                Err(_) => out.push_str(s),
            }
        }
        (Cell::Str(s), _) => out.push_str(s),
        (Cell::Unsupported, _) => out.push_str("<unsupported>"),
    }
    true
}

/// Appends the text of `array[row]` read as `kql_type`; `false` for null.
pub fn write_value(out: &mut String, array: &dyn Array, kql_type: KqlType, row: usize) -> bool {
    write_cell(out, cell(array, row), kql_type)
}

/// The text of `array[row]` read as `kql_type`, as every writer prints it:
/// datetimes as `2026-01-29T16:49:20.4813094Z`, timespans as
/// `[-][d.]hh:mm:ss[.fffffff]`, reals in shortest round-trip form (`NaN`,
/// `Infinity`, `-Infinity` for the special values), bools as `true`/`false`,
/// dynamic values as their compact JSON text (but a dynamic string as its
/// text, without quotes). `None` for null.
pub fn format_value(array: &dyn Array, kql_type: KqlType, row: usize) -> Option<String> {
    let mut s = String::new();
    write_value(&mut s, array, kql_type, row).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals() {
        let a = Float64Array::from(vec![
            Some(15.0),
            Some(0.1),
            Some(f64::NAN),
            Some(f64::NEG_INFINITY),
            None,
            Some(1e20),
            Some(-2.5e-7),
        ]);
        let got: Vec<_> = (0..7).map(|i| format_value(&a, KqlType::Real, i)).collect();
        let want = [
            Some("15.0"),
            Some("0.1"),
            Some("NaN"),
            Some("-Infinity"),
            None,
            Some("1e+20"),
            Some("-2.5e-7"),
        ];
        assert_eq!(got, want.map(|s| s.map(String::from)));
        assert_eq!(format_value(&a, KqlType::Real, 99), None);
    }

    #[test]
    fn times() {
        let t = kql_common::time::parse_datetime("2026-01-29T16:49:20.4813094Z").unwrap_or(0);
        let a = Int64Array::from(vec![t + 1, -15_000_000]);
        assert_eq!(
            format_value(&a, KqlType::DateTime, 0).as_deref(),
            Some("2026-01-29T16:49:20.4813095Z")
        );
        assert_eq!(
            format_value(&a, KqlType::TimeSpan, 1).as_deref(),
            Some("-00:00:01.5000000")
        );
        assert_eq!(
            format_value(&a, KqlType::Long, 1).as_deref(),
            Some("-15000000")
        );
    }
}
