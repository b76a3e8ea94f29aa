//! KQL `datetime` and `timespan` values: 100 ns ticks, parsed from and
//! formatted to text.
//!
//! A `datetime` is a count of ticks since 1970-01-01T00:00:00Z; the range
//! Kusto allows (years 0001 to 9999) fits easily in an `i64`.

/// Ticks in one microsecond, millisecond, second, minute, hour and day.
pub const TICKS_PER_MICROSECOND: i64 = 10;
pub const TICKS_PER_MILLISECOND: i64 = 10_000;
pub const TICKS_PER_SECOND: i64 = 10_000_000;
pub const TICKS_PER_MINUTE: i64 = 60 * TICKS_PER_SECOND;
pub const TICKS_PER_HOUR: i64 = 60 * TICKS_PER_MINUTE;
pub const TICKS_PER_DAY: i64 = 24 * TICKS_PER_HOUR;

/// Days from 1970-01-01 to the given proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day count from 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Splits a datetime into its parts: (year, month, day, hour, minute,
/// second, ticks within the second).
pub fn datetime_parts(ticks: i64) -> (i64, u32, u32, u32, u32, u32, i64) {
    let days = ticks.div_euclid(TICKS_PER_DAY);
    let rem = ticks.rem_euclid(TICKS_PER_DAY);
    let (y, mo, d) = civil_from_days(days);
    let secs = rem / TICKS_PER_SECOND;
    (
        y,
        mo,
        d,
        (secs / 3600) as u32,
        ((secs / 60) % 60) as u32,
        (secs % 60) as u32,
        rem % TICKS_PER_SECOND,
    )
}

/// Formats a datetime the way Kusto returns it: `2026-01-29T16:49:20.4813094Z`,
/// always with seven fraction digits.
pub fn format_datetime(ticks: i64) -> String {
    let mut s = String::with_capacity(28);
    write_datetime(&mut s, ticks);
    s
}

/// Appends [`format_datetime`]'s text to `out`.
pub fn write_datetime(out: &mut String, ticks: i64) {
    use std::fmt::Write;
    let (y, mo, d, h, mi, s, frac) = datetime_parts(ticks);
    let year = match u32::try_from(y) {
        Ok(year) if year <= 9999 => year,
        _ => {
            let _ = write!(
                out,
                "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:07}Z"
            );
            return;
        }
    };
    // Digits straight into a buffer: this runs for every datetime a result
    // prints.
    let mut b = *b"0000-00-00T00:00:00.0000000Z";
    let mut put = |at: usize, width: usize, mut v: u64| {
        for i in (at..at + width).rev() {
            if let Some(c) = b.get_mut(i) {
                *c = b'0' + (v % 10) as u8;
            }
            v /= 10;
        }
    };
    put(0, 4, u64::from(year));
    put(5, 2, u64::from(mo));
    put(8, 2, u64::from(d));
    put(11, 2, u64::from(h));
    put(14, 2, u64::from(mi));
    put(17, 2, u64::from(s));
    put(20, 7, frac.unsigned_abs());
    out.push_str(std::str::from_utf8(&b).unwrap_or_default());
}

/// Formats a timespan as Kusto does: `[-][d.]hh:mm:ss[.fffffff]`.
pub fn format_timespan(ticks: i64) -> String {
    let mut out = String::new();
    let neg = ticks < 0;
    let t = ticks.unsigned_abs();
    let day = TICKS_PER_DAY as u64;
    let days = t / day;
    let rem = t % day;
    let secs = rem / TICKS_PER_SECOND as u64;
    let frac = rem % TICKS_PER_SECOND as u64;
    if neg {
        out.push('-');
    }
    if days > 0 {
        out.push_str(&format!("{days}."));
    }
    out.push_str(&format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    ));
    if frac > 0 {
        out.push_str(&format!(".{frac:07}"));
    }
    out
}

/// A tiny cursor over ASCII text.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// Reads between `min` and `max` digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<(i64, usize)> {
        let start = self.i;
        let mut v: i64 = 0;
        while self.i - start < max {
            match self.peek() {
                Some(c @ b'0'..=b'9') => {
                    v = v * 10 + i64::from(c - b'0');
                    self.i += 1;
                }
                _ => break,
            }
        }
        let n = self.i - start;
        (n >= min).then_some((v, n))
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
}

/// Reads `.fffffff` (any number of digits; beyond seven are dropped) as ticks.
fn fraction(c: &mut Cur) -> Option<i64> {
    let start = c.i;
    let mut ticks = 0i64;
    while let Some(d @ b'0'..=b'9') = c.peek() {
        if c.i - start < 7 {
            ticks = ticks * 10 + i64::from(d - b'0');
        }
        c.i += 1;
    }
    let n = c.i - start;
    if n == 0 {
        return None;
    }
    for _ in n..7 {
        ticks *= 10;
    }
    Some(ticks)
}

/// Parses the ISO 8601 forms Kusto accepts for `datetime(...)` and in data:
/// `2026-01-29`, `2026-01-29T16:49`, `2026-01-29 16:49:20`,
/// `2026-01-29T16:49:20.4813094Z`, with an optional `Z` or `±hh:mm` offset
/// (converted to UTC). Also `2026/01/29`, and the other forms Kusto
/// accepts (see [`parse_datetime_other`]). Returns ticks since the Unix
/// epoch.
pub fn parse_datetime(text: &str) -> Option<i64> {
    parse_iso(text).or_else(|| parse_datetime_other(text.trim()))
}

fn parse_iso(text: &str) -> Option<i64> {
    let t = text.trim();
    let mut c = Cur {
        b: t.as_bytes(),
        i: 0,
    };
    let (y, _) = c.digits(4, 4)?;
    let sep = c.peek()?;
    if sep != b'-' && sep != b'/' {
        return None;
    }
    c.i += 1;
    let (mo, _) = c.digits(1, 2)?;
    if !c.eat(sep) {
        return None;
    }
    let (d, _) = c.digits(1, 2)?;
    if !(1..=12).contains(&mo) || d < 1 || d > i64::from(days_in_month(y, mo as u32)) {
        return None;
    }
    let mut ticks = days_from_civil(y, mo as u32, d as u32) * TICKS_PER_DAY;
    if c.done() {
        return Some(ticks);
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    while c.eat(b' ') {}
    let (h, _) = c.digits(1, 2)?;
    if !c.eat(b':') {
        return None;
    }
    let (mi, _) = c.digits(2, 2)?;
    let mut s = 0;
    if c.eat(b':') {
        s = c.digits(2, 2)?.0;
        if c.eat(b'.') || c.eat(b',') {
            ticks += fraction(&mut c)?;
        }
    }
    if h > 24 || mi > 59 || s > 60 || (h == 24 && (mi > 0 || s > 0)) {
        return None;
    }
    ticks += h * TICKS_PER_HOUR + mi * TICKS_PER_MINUTE + s * TICKS_PER_SECOND;
    while c.eat(b' ') {}
    if c.eat(b'Z') || c.eat(b'z') {
    } else if let Some(sign @ (b'+' | b'-')) = c.peek() {
        c.i += 1;
        let (oh, _) = c.digits(2, 2)?;
        c.eat(b':');
        let om = c.digits(2, 2).map_or(0, |(v, _)| v);
        let off = oh * TICKS_PER_HOUR + om * TICKS_PER_MINUTE;
        ticks += if sign == b'+' { -off } else { off };
    } else if t[c.i..].eq_ignore_ascii_case("utc") || t[c.i..].eq_ignore_ascii_case("gmt") {
        c.i = t.len();
    }
    c.done().then_some(ticks)
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A month name (three letters or in full, any case) as 1..=12.
fn month_of(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    let i = MONTHS.iter().position(|m| w.starts_with(m))?;
    const FULL: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    (w.len() == 3 || w == FULL[i] || (i == 8 && w == "sept")).then_some(i as u32 + 1)
}

/// A two-digit year as .NET reads it: 00..49 is 2000..2049, 50..99 is
/// 1950..1999.
fn full_year(y: i64, digits: usize) -> i64 {
    match digits {
        2 if y < 50 => 2000 + y,
        2 => 1900 + y,
        _ => y,
    }
}

/// `H:mm[:ss[.fffffff]]` then an optional `AM`/`PM` and zone (`GMT`,
/// `UTC`, `UT`, `Z` or `±hh[:]mm`), as ticks from midnight UTC.
fn time_of_day(c: &mut Cur, t: &str) -> Option<i64> {
    let (mut h, _) = c.digits(1, 2)?;
    if !c.eat(b':') {
        return None;
    }
    let (mi, _) = c.digits(2, 2)?;
    let mut s = 0;
    let mut frac = 0;
    if c.eat(b':') {
        s = c.digits(2, 2)?.0;
        if c.eat(b'.') {
            frac = fraction(c)?;
        }
    }
    while c.eat(b' ') {}
    let rest = t[c.i..].to_ascii_lowercase();
    if rest.starts_with("am") || rest.starts_with("pm") {
        if !(1..=12).contains(&h) {
            return None;
        }
        let pm = rest.starts_with("pm");
        h = match (h, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
        c.i += 2;
        while c.eat(b' ') {}
    }
    if h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let mut ticks = h * TICKS_PER_HOUR + mi * TICKS_PER_MINUTE + s * TICKS_PER_SECOND + frac;
    let rest = t[c.i..].to_ascii_lowercase();
    if rest.is_empty() {
        return Some(ticks);
    }
    if ["gmt", "utc", "ut", "z"].contains(&rest.as_str()) {
        c.i = t.len();
        return Some(ticks);
    }
    if let Some(sign @ (b'+' | b'-')) = c.peek() {
        c.i += 1;
        let (oh, _) = c.digits(2, 2)?;
        c.eat(b':');
        let (om, _) = c.digits(2, 2)?;
        let off = oh * TICKS_PER_HOUR + om * TICKS_PER_MINUTE;
        ticks += if sign == b'+' { -off } else { off };
        return c.done().then_some(ticks);
    }
    None
}

/// The non-ISO forms Kusto reads (`todatetime()` and `datetime(...)`):
///
/// - US month/day/year (four-digit year): `12-02-2022`,
///   `02/17/2016 08:40:00`, `2/17/2016 8:40 PM`;
/// - RFC 822 and RFC 850, with or without the weekday and zone:
///   `Sat, 8 Nov 14 15:05:02 GMT`, `8 Nov 2014 15:05`,
///   `Saturday, 08-Nov-14 15:05:02 GMT`;
/// - sortable with a zone name: `2014-11-08 15:05:25 GMT`.
///
/// A time of day is `H:mm[:ss[.fffffff]]`, optionally with `AM`/`PM`; a
/// zone is `GMT`, `UTC`, `UT`, `Z` or `±hh:mm`. Two-digit years are
/// 1950..2049.
pub fn parse_datetime_other(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    let mut c = Cur { b, i: 0 };
    // The sortable form with a zone name.
    if let Some(p) = t.rfind(' ') {
        let zone = t[p + 1..].to_ascii_lowercase();
        if ["gmt", "utc", "ut"].contains(&zone.as_str()) && b.first()?.is_ascii_digit() {
            if let Some(v) = parse_iso(&t[..p]) {
                return Some(v);
            }
        }
    }
    // An optional weekday name and comma.
    let first_alpha = b.first()?.is_ascii_alphabetic();
    if first_alpha {
        let end = t.find(',')?;
        let day = t[..end].to_ascii_lowercase();
        if !WEEKDAYS.iter().any(|w| day.starts_with(w)) {
            return None;
        }
        c.i = end + 1;
        while c.eat(b' ') {}
    }
    let (a, _) = c.digits(1, 2)?;
    let sep = c.peek()?;
    let (y, mo, d);
    if (sep == b'/' || sep == b'-') && c.b.get(c.i + 1).is_some_and(u8::is_ascii_digit) {
        // Month, day, year.
        if first_alpha {
            return None;
        }
        c.i += 1;
        let (dd, _) = c.digits(1, 2)?;
        if !c.eat(sep) {
            return None;
        }
        let (yy, _) = c.digits(4, 4)?;
        (y, mo, d) = (yy, a, dd);
    } else {
        // Day, month name, year.
        if sep != b' ' && sep != b'-' {
            return None;
        }
        c.i += 1;
        let start = c.i;
        while c.peek().is_some_and(|x| x.is_ascii_alphabetic()) {
            c.i += 1;
        }
        let m = month_of(&t[start..c.i])?;
        if !c.eat(sep) {
            return None;
        }
        let (yy, n) = c.digits(2, 4)?;
        if n == 3 {
            return None;
        }
        (y, mo, d) = (full_year(yy, n), i64::from(m), a);
    }
    if !(1..=12).contains(&mo) || d < 1 || d > i64::from(days_in_month(y, mo as u32)) {
        return None;
    }
    let day = days_from_civil(y, mo as u32, d as u32) * TICKS_PER_DAY;
    if c.done() {
        return Some(day);
    }
    if !c.eat(b' ') {
        return None;
    }
    while c.eat(b' ') {}
    Some(day + time_of_day(&mut c, t)?)
}

/// Parses a timespan written `[-][d.]hh:mm[:ss[.fffffff]]` (as in `time(...)`
/// and in data), or a number with a unit as in a KQL literal (`2m`, `1.5h`,
/// `100ms`, `7d`, `10tick`, `3 seconds`). A bare number means days.
pub fn parse_timespan(text: &str) -> Option<i64> {
    let t = text.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, t),
    };
    let ticks = if body.contains(':') {
        parse_clock(body)?
    } else {
        parse_unit_timespan(body)?
    };
    Some(if neg { -ticks } else { ticks })
}

fn parse_clock(body: &str) -> Option<i64> {
    let mut c = Cur {
        b: body.as_bytes(),
        i: 0,
    };
    let (first, _) = c.digits(1, 10)?;
    let (days, h) = if c.eat(b'.') {
        (first, c.digits(1, 2)?.0)
    } else {
        (0, first)
    };
    if !c.eat(b':') {
        return None;
    }
    let (mi, _) = c.digits(1, 2)?;
    let mut ticks = days * TICKS_PER_DAY + h * TICKS_PER_HOUR + mi * TICKS_PER_MINUTE;
    if c.eat(b':') {
        let (s, _) = c.digits(1, 2)?;
        ticks += s * TICKS_PER_SECOND;
        if c.eat(b'.') {
            ticks += fraction(&mut c)?;
        }
    }
    (c.done() && mi < 60).then_some(ticks)
}

/// The number of ticks in one unit of a timespan literal, by suffix.
pub fn timespan_unit_ticks(unit: &str) -> Option<f64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "d" | "day" | "days" => TICKS_PER_DAY as f64,
        "h" | "hr" | "hrs" | "hour" | "hours" => TICKS_PER_HOUR as f64,
        "m" | "min" | "minute" | "minutes" => TICKS_PER_MINUTE as f64,
        "s" | "sec" | "second" | "seconds" => TICKS_PER_SECOND as f64,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => TICKS_PER_MILLISECOND as f64,
        "microsecond" | "microseconds" => TICKS_PER_MICROSECOND as f64,
        "tick" | "ticks" => 1.0,
        _ => return None,
    })
}

fn parse_unit_timespan(body: &str) -> Option<i64> {
    let split = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (num, unit) = body.split_at(split);
    let n: f64 = num.parse().ok()?;
    let unit = unit.trim();
    let per = if unit.is_empty() {
        TICKS_PER_DAY as f64
    } else {
        timespan_unit_ticks(unit)?
    };
    let v = (n * per).round();
    (v.is_finite() && v.abs() < 9.2e18).then_some(v as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_datetime_forms() {
        let d = |s: &str| parse_datetime(s).map(format_datetime);
        let want = |s: &str| Some(s.to_string());
        assert_eq!(d("12-02-2022"), want("2022-12-02T00:00:00.0000000Z"));
        assert_eq!(
            d("02/17/2016 08:40:00"),
            want("2016-02-17T08:40:00.0000000Z")
        );
        assert_eq!(d("2/17/2016 8:40"), want("2016-02-17T08:40:00.0000000Z"));
        assert_eq!(
            d("2/17/2016 8:40:01.5 PM"),
            want("2016-02-17T20:40:01.5000000Z")
        );
        assert_eq!(
            d("2/17/2016 12:05 AM"),
            want("2016-02-17T00:05:00.0000000Z")
        );
        assert_eq!(
            d("Sat, 8 Nov 14 15:05:02 GMT"),
            want("2014-11-08T15:05:02.0000000Z")
        );
        assert_eq!(
            d("Sat, 8 Nov 14 15:05"),
            want("2014-11-08T15:05:00.0000000Z")
        );
        assert_eq!(
            d("8 Nov 14 15:05 GMT"),
            want("2014-11-08T15:05:00.0000000Z")
        );
        assert_eq!(
            d("8 November 2014 15:05:02 +01:00"),
            want("2014-11-08T14:05:02.0000000Z")
        );
        assert_eq!(
            d("Saturday, 08-Nov-14 15:05:02 GMT"),
            want("2014-11-08T15:05:02.0000000Z")
        );
        assert_eq!(d("08-Nov-14 15:05"), want("2014-11-08T15:05:00.0000000Z"));
        assert_eq!(d("08-Nov-99 15:05"), want("1999-11-08T15:05:00.0000000Z"));
        assert_eq!(
            d("2014-11-08 15:05:25 GMT"),
            want("2014-11-08T15:05:25.0000000Z")
        );
        assert_eq!(
            d("2014-11-08T15:05 GMT"),
            want("2014-11-08T15:05:00.0000000Z")
        );
        // Rejected: impossible dates and times, unknown names, stray text.
        for bad in [
            "13/01/2020",
            "02/30/2020",
            "2/17/16 25:00",
            "2/17/2016 13:00 PM",
            "Foo, 8 Nov 14 15:05",
            "8 Nob 14 15:05",
            "8 Nov 14 15:05 XYZ",
            "2/17/2016 8",
            "2/17/201",
            "2/17/16",
            "12-02-2022x",
            "Sat 8 Nov 14",
            "",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn datetime_round_trip() {
        let t = parse_datetime("2026-01-29T16:49:20.4813094Z").expect("parses");
        assert_eq!(format_datetime(t), "2026-01-29T16:49:20.4813094Z");
        assert_eq!(parse_datetime("1970-01-01"), Some(0));
        assert_eq!(
            format_datetime(parse_datetime("2017-01-01 00:00:00.0000000").expect("parses")),
            "2017-01-01T00:00:00.0000000Z"
        );
        assert_eq!(
            format_datetime(parse_datetime("0001-01-01").expect("parses")),
            "0001-01-01T00:00:00.0000000Z"
        );
        assert_eq!(
            format_datetime(parse_datetime("2023-10-18T13:43:57.551828Z").expect("parses")),
            "2023-10-18T13:43:57.5518280Z"
        );
        assert_eq!(
            format_datetime(parse_datetime("2026-01-29T18:00:00+02:00").expect("parses")),
            "2026-01-29T16:00:00.0000000Z"
        );
    }

    #[test]
    fn datetime_digits_match_the_formatted_parts() {
        let mut t: i64 = -123_456_789_012_345_678;
        for _ in 0..20_000 {
            let (y, mo, d, h, mi, s, frac) = datetime_parts(t);
            let want = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:07}Z");
            assert_eq!(format_datetime(t), want, "{t}");
            t = t.wrapping_add(13_579_246_801_357);
        }
        for t in [
            0,
            -1,
            1,
            i64::MAX,
            i64::MIN + TICKS_PER_DAY,
            2_650_467_743_999_999_999,
        ] {
            let (y, mo, d, h, mi, s, frac) = datetime_parts(t);
            let want = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:07}Z");
            assert_eq!(format_datetime(t), want, "{t}");
        }
    }

    #[test]
    fn bad_datetimes_are_rejected() {
        for s in [
            "",
            "2026",
            "2026-13-01",
            "2026-02-30",
            "2026-01-29X",
            "yesterday",
        ] {
            assert_eq!(parse_datetime(s), None, "{s}");
        }
    }

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("2m"), Some(2 * TICKS_PER_MINUTE));
        assert_eq!(parse_timespan("1.5h"), Some(90 * TICKS_PER_MINUTE));
        assert_eq!(parse_timespan("100ms"), Some(100 * TICKS_PER_MILLISECOND));
        assert_eq!(parse_timespan("7d"), Some(7 * TICKS_PER_DAY));
        assert_eq!(
            parse_timespan("1.02:03:04"),
            Some(TICKS_PER_DAY + 2 * TICKS_PER_HOUR + 3 * TICKS_PER_MINUTE + 4 * TICKS_PER_SECOND)
        );
        assert_eq!(parse_timespan("-00:00:01.5"), Some(-15_000_000));
        assert_eq!(format_timespan(2 * TICKS_PER_MINUTE), "00:02:00");
        assert_eq!(format_timespan(-12 * TICKS_PER_HOUR), "-12:00:00");
        assert_eq!(
            format_timespan(
                TICKS_PER_DAY
                    + 12 * TICKS_PER_HOUR
                    + 30 * TICKS_PER_MINUTE
                    + 55 * TICKS_PER_SECOND
                    + 1_230_000
            ),
            "1.12:30:55.1230000"
        );
    }
}
