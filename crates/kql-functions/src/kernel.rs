//! Helpers shared by the kernels: typed access to arguments and one-pass
//! builders over whole arrays.

use crate::convert::{array_value, scalars_to_array};
use crate::{Arg, Ctx};
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, StringArray, StringBuilder,
};
use arrow::datatypes::{Float64Type, Int64Type};
use kql_common::ScalarValue;
use std::sync::Arc;

pub fn arg(args: &[Arg], i: usize) -> Result<&Arg, String> {
    args.get(i)
        .ok_or_else(|| format!("internal error: missing argument {}", i + 1))
}

pub fn strs(args: &[Arg], i: usize) -> Result<&StringArray, String> {
    arg(args, i)?
        .array
        .as_string_opt::<i32>()
        .ok_or_else(|| format!("internal error: argument {} is not text", i + 1))
}

pub fn longs(args: &[Arg], i: usize) -> Result<&Int64Array, String> {
    arg(args, i)?
        .array
        .as_primitive_opt::<Int64Type>()
        .ok_or_else(|| format!("internal error: argument {} is not a long", i + 1))
}

pub fn reals(args: &[Arg], i: usize) -> Result<&Float64Array, String> {
    arg(args, i)?
        .array
        .as_primitive_opt::<Float64Type>()
        .ok_or_else(|| format!("internal error: argument {} is not a real", i + 1))
}

pub fn bools(args: &[Arg], i: usize) -> Result<&BooleanArray, String> {
    arg(args, i)?
        .array
        .as_boolean_opt()
        .ok_or_else(|| format!("internal error: argument {} is not a bool", i + 1))
}

/// The value of row `i` of a string argument (strings are never null).
pub fn sv(a: &StringArray, i: usize) -> &str {
    if a.is_null(i) {
        ""
    } else {
        a.value(i)
    }
}

/// A string per row; `f` appends the result to the buffer.
pub fn str_to_str(a: &StringArray, mut f: impl FnMut(&str, &mut String)) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(a.len(), a.value_data().len());
    let mut buf = String::new();
    for i in 0..a.len() {
        buf.clear();
        f(sv(a, i), &mut buf);
        b.append_value(&buf);
    }
    Arc::new(b.finish())
}

/// Concatenates, row by row, the values of `parts` (null as ""), each of
/// `n` rows: the result's bytes are sized once and every byte is copied
/// once, straight into the value buffer.
pub fn concat_rows(parts: &[&StringArray], n: usize) -> Result<ArrayRef, String> {
    let cap: usize = parts
        .iter()
        .map(|p| {
            let offs = p.value_offsets();
            match (offs.first(), offs.last()) {
                (Some(&a), Some(&b)) => (b - a).max(0) as usize,
                _ => 0,
            }
        })
        .sum();
    let mut data: Vec<u8> = Vec::with_capacity(cap);
    let mut offsets: Vec<i32> = Vec::with_capacity(n + 1);
    offsets.push(0);
    let too_long = || "the concatenated text is longer than 2 GiB".to_string();
    for row in 0..n {
        for p in parts {
            data.extend_from_slice(sv(p, row).as_bytes());
        }
        offsets.push(i32::try_from(data.len()).map_err(|_| too_long())?);
    }
    let out = StringArray::try_new(
        arrow::buffer::OffsetBuffer::new(offsets.into()),
        arrow::buffer::Buffer::from_vec(data),
        None,
    )
    .map_err(|e| e.to_string())?;
    Ok(Arc::new(out))
}

/// Maps every byte of a string array that is all ASCII and has no nulls
/// (`None` otherwise): the same offsets over new bytes, in one pass over
/// the value buffer. `f` must map ASCII to ASCII.
pub fn ascii_bytes_map(a: &StringArray, f: impl Fn(u8) -> u8) -> Option<ArrayRef> {
    if a.null_count() > 0 {
        return None;
    }
    let offs = a.value_offsets();
    let (start, end) = (*offs.first()? as usize, *offs.last()? as usize);
    let bytes = a.value_data().get(start..end)?;
    if !bytes.is_ascii() {
        return None;
    }
    let mapped: Vec<u8> = bytes.iter().map(|&b| f(b)).collect();
    let base = offs.first().copied().unwrap_or(0);
    let offsets: Vec<i32> = offs.iter().map(|&o| o - base).collect();
    let out = StringArray::try_new(
        arrow::buffer::OffsetBuffer::new(offsets.into()),
        arrow::buffer::Buffer::from_vec(mapped),
        None,
    )
    .ok()?;
    Some(Arc::new(out))
}

/// A dynamic (JSON text or null) per row from a string.
pub fn str_to_dyn(a: &StringArray, mut f: impl FnMut(&str, &mut String) -> bool) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(a.len(), a.value_data().len());
    let mut buf = String::new();
    for i in 0..a.len() {
        buf.clear();
        if a.is_valid(i) && f(a.value(i), &mut buf) {
            b.append_value(&buf);
        } else {
            b.append_null();
        }
    }
    Arc::new(b.finish())
}

pub fn str_to_long(a: &StringArray, f: impl Fn(&str) -> Option<i64>) -> ArrayRef {
    let out: Int64Array = (0..a.len()).map(|i| f(sv(a, i))).collect();
    Arc::new(out)
}

pub fn str_to_bool(a: &StringArray, f: impl Fn(&str) -> Option<bool>) -> ArrayRef {
    let out: BooleanArray = (0..a.len()).map(|i| f(sv(a, i))).collect();
    Arc::new(out)
}

pub fn long_to_long(a: &Int64Array, f: impl Fn(i64) -> Option<i64>) -> ArrayRef {
    let out: Int64Array = a.iter().map(|v| v.and_then(&f)).collect();
    Arc::new(out)
}

pub fn real_to_real(a: &Float64Array, f: impl Fn(f64) -> Option<f64>) -> ArrayRef {
    let out: Float64Array = a.iter().map(|v| v.and_then(&f)).collect();
    Arc::new(out)
}

/// The general path: one call per row over scalar values. For functions
/// that are rare in queries or build structured values anyway.
pub fn rows(
    ctx: &Ctx,
    args: &[Arg],
    mut f: impl FnMut(&[ScalarValue]) -> Result<ScalarValue, String>,
) -> Result<ArrayRef, String> {
    let mut out = Vec::with_capacity(ctx.len);
    let mut row = Vec::with_capacity(args.len());
    for i in 0..ctx.len {
        row.clear();
        for a in args {
            row.push(array_value(a.array.as_ref(), a.ty, i));
        }
        out.push(f(&row)?);
    }
    scalars_to_array(&out, ctx.out)
}

/// Like [`rows`] for infallible functions.
pub fn rows_ok(
    ctx: &Ctx,
    args: &[Arg],
    mut f: impl FnMut(&[ScalarValue]) -> ScalarValue,
) -> Result<ArrayRef, String> {
    rows(ctx, args, |r| Ok(f(r)))
}

/// Helpers to read scalar values in row functions.
pub mod val {
    use kql_common::ScalarValue as S;

    pub fn str(v: &S) -> &str {
        match v {
            S::String(s) | S::Guid(s) => s,
            _ => "",
        }
    }

    pub fn long(v: &S) -> Option<i64> {
        match v {
            S::Long(x) | S::DateTime(x) | S::TimeSpan(x) => Some(*x),
            S::Int(x) => Some(i64::from(*x)),
            S::Real(r) if r.is_finite() => Some(r.trunc() as i64),
            S::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    pub fn real(v: &S) -> Option<f64> {
        match v {
            S::Long(x) => Some(*x as f64),
            S::Int(x) => Some(f64::from(*x)),
            S::Real(r) => Some(*r),
            _ => None,
        }
    }

    pub fn json(v: &S) -> Option<&serde_json::Value> {
        match v {
            S::Dynamic(d) if !d.is_null() => Some(d),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_rows_equals_appending_each_row() {
        let a = StringArray::from(vec![
            Some("Hello"),
            None,
            Some(""),
            Some("straße"),
            Some("x"),
        ]);
        let b = StringArray::from(vec![Some("@"), Some("@"), Some("@"), Some("@"), Some("@")]);
        let c = StringArray::from(vec![None, Some("ü\u{212A}"), Some(""), Some("DEV-1"), None]);
        let whole = StringArray::from(vec!["zero", "one", "two", "three", "four", "five", "six"]);
        // A slice starts inside its buffer.
        let sliced = whole.slice(2, 5);
        let parts = [&a, &b, &c, &sliced];
        let got = concat_rows(&parts, 5).expect("concat");
        let mut want = StringBuilder::new();
        for row in 0..5 {
            let mut buf = String::new();
            for p in &parts {
                buf.push_str(sv(p, row));
            }
            want.append_value(&buf);
        }
        assert_eq!(got.as_ref(), &want.finish() as &dyn Array);
        let none = concat_rows(&[], 3).expect("concat");
        assert_eq!(
            none.as_ref(),
            &StringArray::from(vec!["", "", ""]) as &dyn Array
        );
    }

    #[test]
    fn ascii_bytes_map_equals_the_row_path() {
        let a = StringArray::from(vec!["Hello", "", "WORLD 7!", "mIxEd"]);
        let row = str_to_str(&a, |s, out| {
            out.push_str(s);
            out.make_ascii_lowercase();
        });
        let whole = ascii_bytes_map(&a, |b| b.to_ascii_lowercase()).expect("ascii");
        assert_eq!(whole.as_ref(), row.as_ref());
        // A slice starts inside the buffer.
        let s = a.slice(1, 3);
        let row = str_to_str(&s, |v, out| out.push_str(&v.to_uppercase()));
        let whole = ascii_bytes_map(&s, |b| b.to_ascii_uppercase()).expect("ascii");
        assert_eq!(whole.as_ref(), row.as_ref());
        // Nulls and non-ASCII text take the row path.
        assert!(ascii_bytes_map(&StringArray::from(vec![Some("a"), None]), |b| b).is_none());
        assert!(ascii_bytes_map(&StringArray::from(vec!["Ä"]), |b| b).is_none());
    }
}
