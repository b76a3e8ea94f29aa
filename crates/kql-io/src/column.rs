//! Column builders: parse cell text (or JSON values) into the Arrow layout of a KQL type.

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
};
use arrow_array::ArrayRef;
use kql_common::time::{days_from_civil, parse_datetime, parse_timespan, TICKS_PER_DAY};
use kql_common::time::{TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND};
use kql_common::KqlType;
use serde_json::Value;
use std::sync::Arc;

/// Rows per record batch.
pub(crate) const BATCH_ROWS: usize = 65_536;

/// The Arrow builder behind a column.
enum Builder {
    Bool(BooleanBuilder),
    Int(Int32Builder),
    Long(Int64Builder),
    Real(Float64Builder),
    Str(StringBuilder),
}

/// Builds one column of a declared KQL type, a batch at a time.
pub(crate) struct TypedColumn {
    pub(crate) ty: KqlType,
    builder: Builder,
    scratch: String,
}

fn new_builder(ty: KqlType, rows: usize) -> Builder {
    match ty {
        KqlType::Bool => Builder::Bool(BooleanBuilder::with_capacity(rows)),
        KqlType::Int => Builder::Int(Int32Builder::with_capacity(rows)),
        KqlType::Long | KqlType::DateTime | KqlType::TimeSpan => {
            Builder::Long(Int64Builder::with_capacity(rows))
        }
        KqlType::Real | KqlType::Decimal => Builder::Real(Float64Builder::with_capacity(rows)),
        KqlType::String | KqlType::Guid | KqlType::Dynamic => {
            Builder::Str(StringBuilder::with_capacity(rows, rows * 16))
        }
    }
}

impl TypedColumn {
    pub(crate) fn new(ty: KqlType, rows: usize) -> Self {
        TypedColumn {
            ty,
            builder: new_builder(ty, rows),
            scratch: String::new(),
        }
    }

    /// Appends a null (the empty string for `string` columns).
    pub(crate) fn push_null(&mut self) {
        match &mut self.builder {
            Builder::Bool(b) => b.append_null(),
            Builder::Int(b) => b.append_null(),
            Builder::Long(b) => b.append_null(),
            Builder::Real(b) => b.append_null(),
            Builder::Str(b) => {
                if self.ty == KqlType::String {
                    b.append_value("")
                } else {
                    b.append_null()
                }
            }
        }
    }

    /// Appends a value written as text. `Err(())` when the text is not a
    /// value of the column's type; nothing is appended then.
    pub(crate) fn push_text(&mut self, s: &str) -> Result<(), ()> {
        if self.ty == KqlType::String {
            if let Builder::Str(b) = &mut self.builder {
                b.append_value(s);
            }
            return Ok(());
        }
        let t = s.trim();
        if t.is_empty() {
            self.push_null();
            return Ok(());
        }
        match (&mut self.builder, self.ty) {
            (Builder::Bool(b), _) => b.append_value(parse_bool(t).ok_or(())?),
            (Builder::Int(b), _) => b.append_value(t.parse::<i32>().map_err(|_| ())?),
            (Builder::Long(b), KqlType::DateTime) => b.append_value(
                parse_datetime(t)
                    .or_else(|| parse_us_datetime(t))
                    .ok_or(())?,
            ),
            (Builder::Long(b), KqlType::TimeSpan) => b.append_value(parse_timespan(t).ok_or(())?),
            (Builder::Long(b), _) => b.append_value(t.parse::<i64>().map_err(|_| ())?),
            (Builder::Real(b), _) => b.append_value(parse_real(t).ok_or(())?),
            (Builder::Str(b), KqlType::Guid) => {
                if !is_guid(t) {
                    return Err(());
                }
                self.scratch.clear();
                self.scratch.push_str(t);
                self.scratch.make_ascii_lowercase();
                b.append_value(&self.scratch);
            }
            (Builder::Str(b), _) => {
                // dynamic: JSON text, normalised; other text is a JSON string
                match dynamic_from_text(t) {
                    Some(v) => b.append_value(v),
                    None => b.append_null(),
                }
            }
        }
        Ok(())
    }

    /// Appends a JSON value. `Err(())` when it is not a value of the column's type.
    pub(crate) fn push_json(&mut self, v: Option<&Value>) -> Result<(), ()> {
        let v = match v {
            None | Some(Value::Null) => {
                self.push_null();
                return Ok(());
            }
            Some(v) => v,
        };
        match (self.ty, v) {
            (_, Value::String(s)) if self.ty != KqlType::Dynamic => self.push_text(s),
            (KqlType::String, other) => self.push_text(&other.to_string()),
            (KqlType::Dynamic, Value::String(s)) => {
                let t = s.trim_start();
                let parsed = if t.starts_with('{') || t.starts_with('[') {
                    serde_json::from_str::<Value>(s).ok()
                } else {
                    None
                };
                let text = match parsed {
                    Some(p) => p.to_string(),
                    None => v.to_string(),
                };
                self.push_str_raw(&text);
                Ok(())
            }
            (KqlType::Dynamic, other) => {
                let text = other.to_string();
                self.push_str_raw(&text);
                Ok(())
            }
            (KqlType::Bool, Value::Bool(b)) => {
                if let Builder::Bool(x) = &mut self.builder {
                    x.append_value(*b);
                }
                Ok(())
            }
            (KqlType::Int, Value::Number(n)) => {
                let i = json_integer(n)
                    .and_then(|i| i32::try_from(i).ok())
                    .ok_or(())?;
                if let Builder::Int(x) = &mut self.builder {
                    x.append_value(i);
                }
                Ok(())
            }
            (KqlType::Long, Value::Number(n)) => {
                let i = json_integer(n).ok_or(())?;
                if let Builder::Long(x) = &mut self.builder {
                    x.append_value(i);
                }
                Ok(())
            }
            (KqlType::Real | KqlType::Decimal, Value::Number(n)) => {
                let f = n.as_f64().ok_or(())?;
                if let Builder::Real(x) = &mut self.builder {
                    x.append_value(f);
                }
                Ok(())
            }
            _ => Err(()),
        }
    }

    fn push_str_raw(&mut self, s: &str) {
        if let Builder::Str(b) = &mut self.builder {
            if s == "null" && self.ty == KqlType::Dynamic {
                b.append_null();
            } else {
                b.append_value(s);
            }
        }
    }

    /// Finishes the rows pushed so far into an array and starts a new one,
    /// sized like the one just finished (so the next batch does not grow its
    /// buffers by repeated doubling).
    pub(crate) fn finish(&mut self) -> ArrayRef {
        match &mut self.builder {
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Long(b) => Arc::new(b.finish()),
            Builder::Real(b) => Arc::new(b.finish()),
            Builder::Str(b) => {
                let rows = arrow_array::builder::ArrayBuilder::len(b);
                let bytes = b.values_slice().len();
                let done = b.finish();
                *b = StringBuilder::with_capacity(rows.max(1024), bytes + bytes / 8);
                Arc::new(done)
            }
        }
    }
}

/// An integral JSON number as i64 (also `5.0`).
fn json_integer(n: &serde_json::Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let f = n.as_f64()?;
    (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64)
}

/// `true`/`false` in any case; also `1`/`0`.
pub(crate) fn parse_bool(t: &str) -> Option<bool> {
    if t.eq_ignore_ascii_case("true") || t == "1" {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") || t == "0" {
        Some(false)
    } else {
        None
    }
}

/// A real number, including `NaN`, `Infinity` and `-Infinity`.
pub(crate) fn parse_real(t: &str) -> Option<f64> {
    t.parse::<f64>().ok()
}

/// Whether `t` is `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hex digits.
pub(crate) fn is_guid(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The compact JSON text of a dynamic value written as text: JSON is
/// normalised, anything else becomes a JSON string. `None` for JSON `null`.
pub(crate) fn dynamic_from_text(t: &str) -> Option<String> {
    match serde_json::from_str::<Value>(t) {
        Ok(Value::Null) => None,
        Ok(v) => Some(v.to_string()),
        Err(_) => Some(Value::String(t.to_string()).to_string()),
    }
}

/// Parses the US display form of the Azure portal's Log Analytics export:
/// `2/25/2025, 9:19:25.391 AM` (comma, seconds, fraction and AM/PM optional).
pub(crate) fn parse_us_datetime(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    let mut i = 0;
    let num = |i: &mut usize, min: usize, max: usize| -> Option<i64> {
        let start = *i;
        let mut v = 0i64;
        while *i < b.len() && *i - start < max && b[*i].is_ascii_digit() {
            v = v * 10 + i64::from(b[*i] - b'0');
            *i += 1;
        }
        (*i - start >= min).then_some(v)
    };
    let eat = |i: &mut usize, c: u8| -> bool {
        if b.get(*i) == Some(&c) {
            *i += 1;
            true
        } else {
            false
        }
    };
    let mo = num(&mut i, 1, 2)?;
    if !eat(&mut i, b'/') {
        return None;
    }
    let d = num(&mut i, 1, 2)?;
    if !eat(&mut i, b'/') {
        return None;
    }
    let y = num(&mut i, 4, 4)?;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    // reject days past the end of the month by round-tripping
    let days = days_from_civil(y, mo as u32, d as u32);
    if kql_common::time::civil_from_days(days) != (y, mo as u32, d as u32) {
        return None;
    }
    let mut ticks = days * TICKS_PER_DAY;
    eat(&mut i, b',');
    while eat(&mut i, b' ') {}
    if i == b.len() {
        return Some(ticks);
    }
    let mut h = num(&mut i, 1, 2)?;
    if !eat(&mut i, b':') {
        return None;
    }
    let mi = num(&mut i, 2, 2)?;
    let mut s = 0;
    let mut frac = 0;
    if eat(&mut i, b':') {
        s = num(&mut i, 2, 2)?;
        if eat(&mut i, b'.') {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start < 7 {
                    frac = frac * 10 + i64::from(b[i] - b'0');
                }
                i += 1;
            }
            let n = i - start;
            if n == 0 {
                return None;
            }
            for _ in n.min(7)..7 {
                frac *= 10;
            }
        }
    }
    while eat(&mut i, b' ') {}
    let rest = &t[i..];
    if rest.eq_ignore_ascii_case("AM") || rest.eq_ignore_ascii_case("PM") {
        if !(1..=12).contains(&h) {
            return None;
        }
        let pm = rest.eq_ignore_ascii_case("PM");
        h = match (h, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    } else if !rest.is_empty() {
        return None;
    }
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    ticks += h * TICKS_PER_HOUR + mi * TICKS_PER_MINUTE + s * TICKS_PER_SECOND + frac;
    Some(ticks)
}

/// Candidate types still possible for an inferred column (bit set).
pub(crate) mod cand {
    pub const BOOL: u8 = 1;
    pub const LONG: u8 = 2;
    pub const REAL: u8 = 4;
    pub const DATETIME: u8 = 8;
    pub const GUID: u8 = 16;
    pub const DYNAMIC: u8 = 32;
    pub const ALL: u8 = 63;
}

/// Whether `t` is a plain decimal number: optional sign, digits without a
/// leading zero (so `007` stays text), optional fraction and exponent.
fn numeric_shape(t: &str) -> Option<bool /*integral*/> {
    let b = t.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i = 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_len = i - int_start;
    if int_len > 1 && b[int_start] == b'0' {
        return None;
    }
    if i == b.len() {
        return (int_len > 0).then_some(true);
    }
    let mut frac_len = 0;
    if b[i] == b'.' {
        i += 1;
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_len = i - s;
    }
    if int_len + frac_len == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return None;
        }
    }
    (i == b.len()).then_some(false)
}

/// Narrows the candidate set `mask` by one non-empty text value.
pub(crate) fn narrow_text(mask: u8, t: &str) -> u8 {
    let mut m = mask;
    let first = t.as_bytes().first().copied().unwrap_or(b' ');
    if m & cand::BOOL != 0 && !(t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false")) {
        m &= !cand::BOOL;
    }
    if m & (cand::LONG | cand::REAL) != 0 {
        match numeric_shape(t) {
            Some(true) => {
                if t.parse::<i64>().is_err() {
                    m &= !cand::LONG;
                }
            }
            Some(false) => m &= !cand::LONG,
            None => m &= !(cand::LONG | cand::REAL),
        }
    }
    if m & cand::DATETIME != 0 && (!first.is_ascii_digit() || parse_datetime(t).is_none()) {
        m &= !cand::DATETIME;
    }
    if m & cand::GUID != 0 && !is_guid(t) {
        m &= !cand::GUID;
    }
    if m & cand::DYNAMIC != 0
        && !((first == b'{' || first == b'[') && serde_json::from_str::<Value>(t).is_ok())
    {
        m &= !cand::DYNAMIC;
    }
    m
}

/// The type an inferred column gets from its remaining candidates.
pub(crate) fn resolve(mask: u8, seen_any: bool) -> KqlType {
    if !seen_any {
        return KqlType::String;
    }
    for (bit, ty) in [
        (cand::BOOL, KqlType::Bool),
        (cand::LONG, KqlType::Long),
        (cand::REAL, KqlType::Real),
        (cand::DATETIME, KqlType::DateTime),
        (cand::GUID, KqlType::Guid),
        (cand::DYNAMIC, KqlType::Dynamic),
    ] {
        if mask & bit != 0 {
            return ty;
        }
    }
    KqlType::String
}

/// Infers the type of a JSON column from its values.
#[derive(Default)]
pub(crate) struct JsonInference {
    bools: bool,
    ints: bool,
    floats: bool,
    complex: bool,
    strings: bool,
    string_mask: u8,
}

impl JsonInference {
    pub(crate) fn add(&mut self, v: &Value) {
        match v {
            Value::Null => {}
            Value::Bool(_) => self.bools = true,
            Value::Number(n) => {
                if n.is_f64() {
                    self.floats = true
                } else if n.as_i64().is_some() {
                    self.ints = true
                } else {
                    self.floats = true
                }
            }
            Value::String(s) => {
                if !self.strings {
                    self.strings = true;
                    self.string_mask = cand::DATETIME | cand::GUID;
                }
                if !s.is_empty() && self.string_mask != 0 {
                    self.string_mask = narrow_text(self.string_mask, s);
                }
            }
            Value::Array(_) | Value::Object(_) => self.complex = true,
        }
    }

    pub(crate) fn resolve(&self) -> KqlType {
        let kinds = [
            self.bools,
            self.ints || self.floats,
            self.strings,
            self.complex,
        ]
        .iter()
        .filter(|k| **k)
        .count();
        if kinds == 0 {
            return KqlType::String;
        }
        if kinds > 1 {
            return KqlType::Dynamic;
        }
        if self.bools {
            KqlType::Bool
        } else if self.floats {
            KqlType::Real
        } else if self.ints {
            KqlType::Long
        } else if self.complex {
            KqlType::Dynamic
        } else if self.string_mask & cand::DATETIME != 0 {
            KqlType::DateTime
        } else if self.string_mask & cand::GUID != 0 {
            KqlType::Guid
        } else {
            KqlType::String
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kql_common::time::format_datetime;

    #[test]
    fn us_datetimes() {
        let t = parse_us_datetime("2/25/2025, 9:19:25.391 AM").map(format_datetime);
        assert_eq!(t.as_deref(), Some("2025-02-25T09:19:25.3910000Z"));
        let t = parse_us_datetime("12/1/2024, 12:00:00.000 AM").map(format_datetime);
        assert_eq!(t.as_deref(), Some("2024-12-01T00:00:00.0000000Z"));
        let t = parse_us_datetime("12/1/2024, 12:05:01 PM").map(format_datetime);
        assert_eq!(t.as_deref(), Some("2024-12-01T12:05:01.0000000Z"));
        let t = parse_us_datetime("1/2/2024 11:05 PM").map(format_datetime);
        assert_eq!(t.as_deref(), Some("2024-01-02T23:05:00.0000000Z"));
        assert_eq!(parse_us_datetime("2/30/2025, 9:19:25 AM"), None);
        assert_eq!(parse_us_datetime("2/3/2025, 13:19:25 PM"), None);
        assert_eq!(parse_us_datetime("2025-02-03"), None);
    }

    #[test]
    fn inference_narrows() {
        let m = narrow_text(cand::ALL, "42");
        assert_eq!(resolve(m, true), KqlType::Long);
        let m = narrow_text(m, "4.5");
        assert_eq!(resolve(m, true), KqlType::Real);
        let m = narrow_text(m, "x");
        assert_eq!(resolve(m, true), KqlType::String);
        assert_eq!(
            resolve(narrow_text(cand::ALL, "007"), true),
            KqlType::String
        );
        assert_eq!(resolve(narrow_text(cand::ALL, "True"), true), KqlType::Bool);
        assert_eq!(resolve(narrow_text(cand::ALL, "1e3"), true), KqlType::Real);
        assert_eq!(
            resolve(narrow_text(cand::ALL, "NaN"), true),
            KqlType::String
        );
        assert_eq!(
            resolve(narrow_text(cand::ALL, "99999999999999999999"), true),
            KqlType::Real
        );
        assert_eq!(
            resolve(narrow_text(cand::ALL, "2026-01-29T16:49:20.4813094Z"), true),
            KqlType::DateTime
        );
        assert_eq!(
            resolve(
                narrow_text(cand::ALL, "0A1B2C3D-0000-4000-8000-00000000ABCD"),
                true
            ),
            KqlType::Guid
        );
        assert_eq!(
            resolve(narrow_text(cand::ALL, "{\"a\":1}"), true),
            KqlType::Dynamic
        );
        assert_eq!(
            resolve(narrow_text(cand::ALL, "{\"a\":"), true),
            KqlType::String
        );
        assert_eq!(resolve(cand::ALL, false), KqlType::String);
    }
}
