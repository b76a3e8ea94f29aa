//! Datetimes and timespans: the clock (`now`, `ago`), calendar parts,
//! period starts and ends, arithmetic by calendar unit, formatting and
//! construction, and time zone conversion (the IANA database, via
//! `chrono-tz`).

use crate::kernel::{longs, rows, rows_ok, val};
use crate::typing::{sig, P};
use crate::{Arg, Category, Ctx, Example, FunctionDef, Typed};
use arrow::array::{ArrayRef, Int64Array};
use kql_common::time::{
    civil_from_days, datetime_parts, days_from_civil, TICKS_PER_DAY, TICKS_PER_HOUR,
    TICKS_PER_MICROSECOND, TICKS_PER_MILLISECOND, TICKS_PER_MINUTE, TICKS_PER_SECOND,
};
use kql_common::{KqlType, ScalarValue};
use std::sync::Arc;

const C: Category = Category::DateTime;
use KqlType::{DateTime as Dt, Int, Long, String as Str, TimeSpan as Ts};

pub static FUNCTIONS: &[&FunctionDef] = &[
    &NOW,
    &AGO,
    &STARTOFDAY,
    &STARTOFWEEK,
    &STARTOFMONTH,
    &STARTOFYEAR,
    &ENDOFDAY,
    &ENDOFWEEK,
    &ENDOFMONTH,
    &ENDOFYEAR,
    &DATETIME_ADD,
    &DATETIME_DIFF,
    &DATETIME_PART,
    &DAYOFWEEK,
    &DAYOFMONTH,
    &DAYOFYEAR,
    &HOUROFDAY,
    &GETMONTH,
    &MONTHOFYEAR,
    &GETYEAR,
    &WEEK_OF_YEAR,
    &MAKE_DATETIME,
    &MAKE_TIMESPAN,
    &FORMAT_DATETIME,
    &FORMAT_TIMESPAN,
    &UNIX_S,
    &UNIX_MS,
    &UNIX_US,
    &UNIX_NS,
    &INGESTION_TIME,
    &DATETIME_LOCAL_TO_UTC,
    &DATETIME_UTC_TO_LOCAL,
];

static NOW: FunctionDef = FunctionDef::new(
    "now",
    C,
    "now([offset: timespan]): datetime",
    "The current UTC time plus an optional offset; the same for the whole query. `--now` or `set query_now = datetime(...)` pins it.",
    |a| sig("now", a, 0, &[P::TimeSpan], Dt),
    |ctx, args| {
        let off = if args.is_empty() { None } else { Some(longs(args, 0)?) };
        let out: Int64Array = (0..ctx.len)
            .map(|i| match off {
                None => Some(ctx.now),
                Some(o) => o.iter().nth(i).flatten().map(|x| ctx.now.wrapping_add(x)),
            })
            .collect();
        Ok(Arc::new(out))
    },
)
.examples(&[Example {
    query: "set query_now = datetime(2026-01-31 12:00);\nprint a = now(), b = now(-1d)",
    output: "a,b\n2026-01-31T12:00:00.0000000Z,2026-01-30T12:00:00.0000000Z",
}]);

static AGO: FunctionDef = FunctionDef::new(
    "ago",
    C,
    "ago(span: timespan): datetime",
    "now() minus the timespan.",
    |a| sig("ago", a, 1, &[P::TimeSpan], Dt),
    |ctx, args| {
        let now = ctx.now;
        Ok(Arc::new(
            longs(args, 0)?.unary::<_, arrow::datatypes::Int64Type>(|s| now.wrapping_sub(s)),
        ))
    },
)
.examples(&[Example {
    query: "set query_now = datetime(2026-01-31 12:00);\nprint ago(1h)",
    output: "print_0\n2026-01-31T11:00:00.0000000Z",
}]);

fn ymd(t: i64) -> (i64, u32, u32) {
    civil_from_days(t.div_euclid(TICKS_PER_DAY))
}

fn add_months(t: i64, months: i64) -> Option<i64> {
    let (y, m, d) = ymd(t);
    let tod = t.rem_euclid(TICKS_PER_DAY);
    let total = y * 12 + i64::from(m) - 1 + months;
    let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
    let dim = days_in_month(ny, nm);
    let days = days_from_civil(ny, nm, d.min(dim));
    days.checked_mul(TICKS_PER_DAY)?.checked_add(tod)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    let next = if m == 12 {
        days_from_civil(y + 1, 1, 1)
    } else {
        days_from_civil(y, m + 1, 1)
    };
    (next - days_from_civil(y, m, 1)) as u32
}

fn start_of(unit: char, t: i64, offset: i64) -> Option<i64> {
    let day = t.div_euclid(TICKS_PER_DAY);
    Some(match unit {
        'd' => (day + offset) * TICKS_PER_DAY,
        // Weeks start on Sunday; 1970-01-01 was a Thursday.
        'w' => (day - (day + 4).rem_euclid(7) + 7 * offset) * TICKS_PER_DAY,
        'm' => {
            let (y, m, _) = ymd(t);
            add_months(days_from_civil(y, m, 1) * TICKS_PER_DAY, offset)?
        }
        _ => {
            let (y, _, _) = ymd(t);
            days_from_civil(y + offset, 1, 1) * TICKS_PER_DAY
        }
    })
}

fn period_kernel(ctx: &Ctx, args: &[Arg], unit: char, end: bool) -> Result<ArrayRef, String> {
    let t = longs(args, 0)?;
    let off = if args.len() > 1 {
        Some(longs(args, 1)?)
    } else {
        None
    };
    let out: Int64Array = (0..ctx.len)
        .map(|i| {
            let v = t.iter().nth(i).flatten()?;
            let o = match off {
                Some(o) => o.iter().nth(i).flatten()?,
                None => 0,
            };
            if end {
                start_of(unit, v, 0)
                    .and_then(|_| next_start(unit, v, o))
                    .map(|s| s - 1)
            } else {
                start_of(unit, v, o)
            }
        })
        .collect();
    Ok(Arc::new(out))
}

fn next_start(unit: char, t: i64, offset: i64) -> Option<i64> {
    start_of(unit, t, offset + 1)
}

macro_rules! period {
    ($id:ident, $name:literal, $unit:literal, $end:literal, $sig:literal, $doc:literal, $ex:expr) => {
        static $id: FunctionDef = FunctionDef::new(
            $name,
            C,
            $sig,
            $doc,
            |a| sig($name, a, 1, &[P::DateTime, P::Long], Dt),
            |ctx, args| period_kernel(ctx, args, $unit, $end),
        )
        .examples($ex);
    };
}

period!(STARTOFDAY, "startofday", 'd', false, "startofday(date: datetime, [offset: long]): datetime", "Midnight at the start of the day, moved by offset days.",
    &[Example { query: "print a = startofday(datetime(2017-01-01 10:10:17)), b = startofday(datetime(2017-01-01 10:10:17), -1)", output: "a,b\n2017-01-01T00:00:00.0000000Z,2016-12-31T00:00:00.0000000Z" }]);
period!(
    STARTOFWEEK,
    "startofweek",
    'w',
    false,
    "startofweek(date: datetime, [offset: long]): datetime",
    "The start of the week (Sunday), moved by offset weeks.",
    &[Example {
        query: "print startofweek(datetime(2017-01-04 10:10:17))",
        output: "print_0\n2017-01-01T00:00:00.0000000Z"
    }]
);
period!(STARTOFMONTH, "startofmonth", 'm', false, "startofmonth(date: datetime, [offset: long]): datetime", "The start of the month, moved by offset months.",
    &[Example { query: "print a = startofmonth(datetime(2017-01-14 10:10:17)), b = startofmonth(datetime(2017-01-14), 1)", output: "a,b\n2017-01-01T00:00:00.0000000Z,2017-02-01T00:00:00.0000000Z" }]);
period!(
    STARTOFYEAR,
    "startofyear",
    'y',
    false,
    "startofyear(date: datetime, [offset: long]): datetime",
    "The start of the year, moved by offset years.",
    &[Example {
        query: "print startofyear(datetime(2017-06-14 10:10:17))",
        output: "print_0\n2017-01-01T00:00:00.0000000Z"
    }]
);
period!(
    ENDOFDAY,
    "endofday",
    'd',
    true,
    "endofday(date: datetime, [offset: long]): datetime",
    "The last tick of the day, moved by offset days.",
    &[Example {
        query: "print endofday(datetime(2017-01-01 10:10:17))",
        output: "print_0\n2017-01-01T23:59:59.9999999Z"
    }]
);
period!(
    ENDOFWEEK,
    "endofweek",
    'w',
    true,
    "endofweek(date: datetime, [offset: long]): datetime",
    "The last tick of the week (Saturday), moved by offset weeks.",
    &[Example {
        query: "print endofweek(datetime(2017-01-01 10:10:17))",
        output: "print_0\n2017-01-07T23:59:59.9999999Z"
    }]
);
period!(
    ENDOFMONTH,
    "endofmonth",
    'm',
    true,
    "endofmonth(date: datetime, [offset: long]): datetime",
    "The last tick of the month, moved by offset months.",
    &[Example {
        query: "print endofmonth(datetime(2016-02-10))",
        output: "print_0\n2016-02-29T23:59:59.9999999Z"
    }]
);
period!(
    ENDOFYEAR,
    "endofyear",
    'y',
    true,
    "endofyear(date: datetime, [offset: long]): datetime",
    "The last tick of the year, moved by offset years.",
    &[Example {
        query: "print endofyear(datetime(2017-01-01 10:10:17))",
        output: "print_0\n2017-12-31T23:59:59.9999999Z"
    }]
);

fn unit_ticks(part: &str) -> Option<i64> {
    Some(match part {
        "week" | "weeks" => 7 * TICKS_PER_DAY,
        "day" | "days" => TICKS_PER_DAY,
        "hour" | "hours" => TICKS_PER_HOUR,
        "minute" | "minutes" => TICKS_PER_MINUTE,
        "second" | "seconds" => TICKS_PER_SECOND,
        "millisecond" | "milliseconds" => TICKS_PER_MILLISECOND,
        "microsecond" | "microseconds" => TICKS_PER_MICROSECOND,
        "nanosecond" | "nanoseconds" => 1,
        _ => return None,
    })
}

fn check_part(name: &str, a: &[crate::ArgInfo], parts: &[&str]) -> Result<(), String> {
    if let Some(ScalarValue::String(p)) = crate::constant(a, 0) {
        let p = p.to_ascii_lowercase();
        if !parts.contains(&p.as_str()) {
            return Err(format!(
                "{name}(): unknown period `{p}`; use one of {}",
                parts.join(", ")
            ));
        }
    }
    Ok(())
}

const ADD_PARTS: &[&str] = &[
    "year",
    "quarter",
    "month",
    "week",
    "day",
    "hour",
    "minute",
    "second",
    "millisecond",
    "microsecond",
    "nanosecond",
];

static DATETIME_ADD: FunctionDef = FunctionDef::new(
    "datetime_add",
    C,
    "datetime_add(period: string, amount: long, datetime: datetime): datetime",
    "The datetime moved by amount periods (year, quarter, month, week, day, hour, minute, second, millisecond, microsecond, nanosecond); month steps keep the day when it exists, else the month's last day.",
    |a| {
        check_part("datetime_add", a, ADD_PARTS)?;
        sig("datetime_add", a, 3, &[P::StrS, P::Long, P::DateTime], Dt)
    },
    |ctx, args| {
        rows(ctx, args, |r| {
            let part = val::str(&r[0]).to_ascii_lowercase();
            let (Some(n), ScalarValue::DateTime(t)) = (val::long(&r[1]), &r[2]) else {
                return Ok(ScalarValue::Null(Dt));
            };
            let out = match part.as_str() {
                "year" => add_months(*t, n.saturating_mul(12)),
                "quarter" => add_months(*t, n.saturating_mul(3)),
                "month" => add_months(*t, n),
                "nanosecond" => t.checked_add(n / 100),
                p => unit_ticks(p)
                    .ok_or_else(|| format!("datetime_add(): unknown period `{p}`"))?
                    .checked_mul(n)
                    .and_then(|d| t.checked_add(d)),
            };
            Ok(out.map_or(ScalarValue::Null(Dt), ScalarValue::DateTime))
        })
    },
)
.examples(&[Example {
    query: "print a = datetime_add('month', 1, datetime(2017-01-31)), b = datetime_add('day', -1, datetime(2017-03-01)), c = datetime_add('year', 1, datetime(2016-02-29))",
    output: "a,b,c\n2017-02-28T00:00:00.0000000Z,2017-02-28T00:00:00.0000000Z,2017-02-28T00:00:00.0000000Z",
}]);

static DATETIME_DIFF: FunctionDef = FunctionDef::new(
    "datetime_diff",
    C,
    "datetime_diff(period: string, datetime1: datetime, datetime2: datetime): long",
    "The number of period boundaries between datetime2 and datetime1 (datetime1 - datetime2).",
    |a| {
        check_part("datetime_diff", a, ADD_PARTS)?;
        sig("datetime_diff", a, 3, &[P::StrS, P::DateTime, P::DateTime], Long)
    },
    |ctx, args| {
        rows(ctx, args, |r| {
            let part = val::str(&r[0]).to_ascii_lowercase();
            let (ScalarValue::DateTime(a), ScalarValue::DateTime(b)) = (&r[1], &r[2]) else {
                return Ok(ScalarValue::Null(Long));
            };
            let months = |t: i64| {
                let (y, m, _) = ymd(t);
                y * 12 + i64::from(m) - 1
            };
            let v = match part.as_str() {
                "year" => ymd(*a).0 - ymd(*b).0,
                "quarter" => months(*a).div_euclid(3) - months(*b).div_euclid(3),
                "month" => months(*a) - months(*b),
                "week" => {
                    (start_of('w', *a, 0).unwrap_or(0) - start_of('w', *b, 0).unwrap_or(0))
                        / (7 * TICKS_PER_DAY)
                }
                "nanosecond" => (a - b).saturating_mul(100),
                p => {
                    let u = unit_ticks(p).ok_or_else(|| format!("datetime_diff(): unknown period `{p}`"))?;
                    a.div_euclid(u) - b.div_euclid(u)
                }
            };
            Ok(ScalarValue::Long(v))
        })
    },
)
.examples(&[Example {
    query: "print y = datetime_diff('year', datetime(2017-01-01), datetime(2000-12-31)), m = datetime_diff('month', datetime(2017-01-01), datetime(2016-12-31)), d = datetime_diff('day', datetime(2017-10-29 00:00), datetime(2017-09-30 23:59)), h = datetime_diff('hour', datetime(2017-10-31 01:00), datetime(2017-10-30 23:59)), w = datetime_diff('week', datetime(2017-10-29 00:00), datetime(2017-09-30 23:59))",
    output: "y,m,d,h,w\n17,1,29,2,5",
}]);

/// ISO 8601 week number.
fn iso_week(t: i64) -> i64 {
    let day = t.div_euclid(TICKS_PER_DAY);
    let wd = (day + 3).rem_euclid(7); // Monday = 0
    let thursday = day - wd + 3;
    let (y, _, _) = civil_from_days(thursday);
    (thursday - days_from_civil(y, 1, 1)) / 7 + 1
}

fn part_of(part: &str, t: i64) -> Option<i64> {
    let (y, mo, d, h, mi, s, frac) = datetime_parts(t);
    Some(match part {
        "year" => y,
        "quarter" => i64::from((mo - 1) / 3 + 1),
        "month" => i64::from(mo),
        "week_of_year" | "weekofyear" | "week" => iso_week(t),
        "day" => i64::from(d),
        "dayofyear" => t.div_euclid(TICKS_PER_DAY) - days_from_civil(y, 1, 1) + 1,
        "hour" => i64::from(h),
        "minute" => i64::from(mi),
        "second" => i64::from(s),
        "millisecond" => frac / TICKS_PER_MILLISECOND,
        "microsecond" => frac / TICKS_PER_MICROSECOND,
        "nanosecond" => frac * 100,
        _ => return None,
    })
}

static DATETIME_PART: FunctionDef = FunctionDef::new(
    "datetime_part",
    C,
    "datetime_part(part: string, datetime: datetime): int",
    "One part of a datetime: year, quarter, month, week_of_year (ISO 8601), day, dayofyear, hour, minute, second, millisecond, microsecond, nanosecond.",
    |a| {
        check_part("datetime_part", a, &["year", "quarter", "month", "week_of_year", "weekofyear", "week", "day", "dayofyear", "hour", "minute", "second", "millisecond", "microsecond", "nanosecond"])?;
        sig("datetime_part", a, 2, &[P::StrS, P::DateTime], Int)
    },
    |ctx, args| {
        rows(ctx, args, |r| {
            let p = val::str(&r[0]).to_ascii_lowercase();
            let ScalarValue::DateTime(t) = r[1] else {
                return Ok(ScalarValue::Null(Int));
            };
            let v = part_of(&p, t).ok_or_else(|| format!("datetime_part(): unknown part `{p}`"))?;
            Ok(ScalarValue::Int(v as i32))
        })
    },
)
.examples(&[Example {
    query: "let d = datetime(2017-10-30 01:02:03.7654321);\nprint y = datetime_part(\"year\", d), q = datetime_part(\"quarter\", d), w = datetime_part(\"week_of_year\", d), doy = datetime_part(\"dayOfYear\", d), ms = datetime_part(\"millisecond\", d)",
    output: "y,q,w,doy,ms\n2017,4,44,303,765",
}]);

fn simple_part(ctx: &Ctx, args: &[Arg], part: &'static str) -> Result<ArrayRef, String> {
    let t = longs(args, 0)?;
    let _ = ctx;
    let out: arrow::array::Int32Array = t
        .iter()
        .map(|v| v.and_then(|v| part_of(part, v)).map(|x| x as i32))
        .collect();
    Ok(Arc::new(out))
}

macro_rules! part_fn {
    ($id:ident, $name:literal, $part:literal, $doc:literal, $ex:expr) => {
        static $id: FunctionDef = FunctionDef::new(
            $name,
            C,
            concat!($name, "(date: datetime): int"),
            $doc,
            |a| sig($name, a, 1, &[P::DateTime], Int),
            |ctx, args| simple_part(ctx, args, $part),
        )
        .examples($ex);
    };
}

part_fn!(
    DAYOFMONTH,
    "dayofmonth",
    "day",
    "Day of the month (1 to 31).",
    &[Example {
        query: "print dayofmonth(datetime(2015-12-14))",
        output: "print_0\n14"
    }]
);
part_fn!(
    DAYOFYEAR,
    "dayofyear",
    "dayofyear",
    "Day of the year (1 to 366).",
    &[Example {
        query: "print dayofyear(datetime(2015-12-14))",
        output: "print_0\n348"
    }]
);
part_fn!(
    HOUROFDAY,
    "hourofday",
    "hour",
    "Hour of the day (0 to 23).",
    &[Example {
        query: "print hourofday(datetime(2015-12-14 18:54:00))",
        output: "print_0\n18"
    }]
);
part_fn!(
    GETMONTH,
    "getmonth",
    "month",
    "Month of the year (1 to 12).",
    &[Example {
        query: "print getmonth(datetime(2015-10-12))",
        output: "print_0\n10"
    }]
);
part_fn!(
    MONTHOFYEAR,
    "monthofyear",
    "month",
    "Same as getmonth.",
    &[]
);
part_fn!(
    GETYEAR,
    "getyear",
    "year",
    "The year of a datetime.",
    &[Example {
        query: "print getyear(datetime(2015-10-12))",
        output: "print_0\n2015"
    }]
);
part_fn!(
    WEEK_OF_YEAR,
    "week_of_year",
    "week_of_year",
    "ISO 8601 week number (1 to 53).",
    &[Example {
        query:
            "print a = week_of_year(datetime(2020-12-31)), b = week_of_year(datetime(2021-01-01))",
        output: "a,b\n53,53"
    }]
);

static DAYOFWEEK: FunctionDef = FunctionDef::new(
    "dayofweek",
    C,
    "dayofweek(date: datetime): timespan",
    "Days since the preceding Sunday, as a timespan (0.00:00:00 for Sunday).",
    |a| sig("dayofweek", a, 1, &[P::DateTime], Ts),
    |_, args| {
        Ok(Arc::new(
            longs(args, 0)?.unary::<_, arrow::datatypes::Int64Type>(|t| {
                (t.div_euclid(TICKS_PER_DAY) + 4).rem_euclid(7) * TICKS_PER_DAY
            }),
        ))
    },
)
.examples(&[Example {
    query:
        "print a = dayofweek(datetime(1947-11-30 10:00:05)), b = dayofweek(datetime(1970-05-11))",
    output: "a,b\n00:00:00,1.00:00:00",
}]);

static MAKE_DATETIME: FunctionDef = FunctionDef::new(
    "make_datetime",
    C,
    "make_datetime(year, month, day, [hour, minute, second]): datetime",
    "A datetime from its parts (second may have a fraction); null when the parts are not a valid date.",
    |a| {
        crate::typing::arity("make_datetime", a, 3, 6)?;
        let mut t = crate::typing::params("make_datetime", a, 3, &[P::Long, P::Long, P::Long, P::Long, P::Long, P::Real], false)?;
        t.truncate(a.len());
        Ok(Typed { ret: Dt, args: t })
    },
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let g = |i: usize| r.get(i).map_or(Some(0), val::long);
            let (Some(y), Some(mo), Some(d), Some(h), Some(mi)) = (g(0), g(1), g(2), g(3), g(4)) else {
                return ScalarValue::Null(Dt);
            };
            let s = r.get(5).map_or(Some(0.0), val::real);
            let Some(s) = s else { return ScalarValue::Null(Dt) };
            let ok = (1..=9999).contains(&y)
                && (1..=12).contains(&mo)
                && d >= 1
                && d <= i64::from(days_in_month(y, mo as u32))
                && (0..24).contains(&h)
                && (0..60).contains(&mi)
                && (0.0..60.0).contains(&s);
            if !ok {
                return ScalarValue::Null(Dt);
            }
            let days = days_from_civil(y, mo as u32, d as u32);
            ScalarValue::DateTime(
                days * TICKS_PER_DAY + h * TICKS_PER_HOUR + mi * TICKS_PER_MINUTE
                    + (s * TICKS_PER_SECOND as f64).round() as i64,
            )
        })
    },
)
.examples(&[Example { query: "print a = make_datetime(2017, 10, 01, 12, 10, 1.5), b = make_datetime(2017, 2, 30)", output: "a,b\n2017-10-01T12:10:01.5000000Z," }]);

static MAKE_TIMESPAN: FunctionDef = FunctionDef::new(
    "make_timespan",
    C,
    "make_timespan(hour, minute) | make_timespan(hour, minute, second) | make_timespan(day, hour, minute, second): timespan",
    "A timespan from its parts (second may have a fraction).",
    |a| {
        crate::typing::arity("make_timespan", a, 2, 4)?;
        let mut ps = vec![P::Long; a.len()];
        if a.len() >= 3 {
            ps[a.len() - 1] = P::Real;
        }
        Ok(Typed { ret: Ts, args: crate::typing::params("make_timespan", a, 2, &ps, false)? })
    },
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let n = r.len();
            let secs = if n >= 3 { val::real(&r[n - 1]) } else { Some(0.0) };
            let ints: Vec<Option<i64>> = r[..if n >= 3 { n - 1 } else { n }].iter().map(val::long).collect();
            let (Some(secs), true) = (secs, ints.iter().all(Option::is_some)) else {
                return ScalarValue::Null(Ts);
            };
            let ints: Vec<i64> = ints.into_iter().flatten().collect();
            let (d, h, m) = match ints.as_slice() {
                [h, m] => (0, *h, *m),
                [d, h, m] => (*d, *h, *m),
                _ => (0, 0, 0),
            };
            ScalarValue::TimeSpan(
                d * TICKS_PER_DAY + h * TICKS_PER_HOUR + m * TICKS_PER_MINUTE
                    + (secs * TICKS_PER_SECOND as f64).round() as i64,
            )
        })
    },
)
.examples(&[Example { query: "print a = make_timespan(1, 12, 30, 55.2), b = make_timespan(2, 30)", output: "a,b\n1.12:30:55.2000000,02:30:00" }]);

/// Formats with .NET-style custom format tokens.
fn format_with(fmt: &str, parts: [i64; 7], tokens_for_timespan: bool) -> String {
    // parts: year, month, day, hour(0-23), minute, second, fraction ticks
    let [y, mo, d, h, mi, s, frac] = parts;
    let b: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let mut n = 1;
        while i + n < b.len() && b[i + n] == c {
            n += 1;
        }
        match c {
            'y' if !tokens_for_timespan => {
                if n <= 2 {
                    out.push_str(&format!("{:0w$}", y % 100, w = n));
                } else {
                    out.push_str(&format!("{y:0n$}"));
                }
            }
            'M' if !tokens_for_timespan => out.push_str(&format!("{mo:0n$}", n = n.min(2))),
            'd' => out.push_str(&format!("{d:0n$}")),
            'H' => out.push_str(&format!("{h:0n$}", n = n.min(2))),
            'h' if !tokens_for_timespan => {
                let h12 = if h % 12 == 0 { 12 } else { h % 12 };
                out.push_str(&format!("{h12:0n$}", n = n.min(2)));
            }
            'h' => out.push_str(&format!("{h:0n$}", n = n.min(2))),
            'm' => out.push_str(&format!("{mi:0n$}", n = n.min(2))),
            's' => out.push_str(&format!("{s:0n$}", n = n.min(2))),
            'f' | 'F' => {
                let digits = format!("{frac:07}");
                let take = n.min(7);
                let mut t = digits[..take].to_string();
                if c == 'F' {
                    t = t.trim_end_matches('0').to_string();
                    if t.is_empty() && out.ends_with('.') {
                        out.pop();
                    }
                }
                out.push_str(&t);
            }
            't' if !tokens_for_timespan => {
                let ampm = if h < 12 { "AM" } else { "PM" };
                out.push_str(if n == 1 { &ampm[..1] } else { ampm });
            }
            '\\' if i + 1 < b.len() => {
                out.push(b[i + 1]);
                i += 2;
                continue;
            }
            '\'' | '"' => {
                let close = b[i + 1..].iter().position(|x| *x == c).map(|k| k + i + 1);
                if let Some(close) = close {
                    out.extend(&b[i + 1..close]);
                    i = close + 1;
                    continue;
                }
            }
            other => {
                for _ in 0..n {
                    out.push(other);
                }
            }
        }
        i += n;
    }
    out
}

static FORMAT_DATETIME: FunctionDef = FunctionDef::new(
    "format_datetime",
    C,
    "format_datetime(date: datetime, format: string): string",
    "Formats a datetime with a format such as \"yyyy-MM-dd [HH:mm:ss.fff]\" (d, dd, M, MM, yy, yyyy, h, hh, H, HH, m, mm, s, ss, f... up to 7, F..., tt).",
    |a| sig("format_datetime", a, 2, &[P::DateTime, P::StrS], Str),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let ScalarValue::DateTime(t) = r[0] else {
                return ScalarValue::String(String::new());
            };
            let (y, mo, d, h, mi, s, frac) = datetime_parts(t);
            ScalarValue::String(format_with(
                val::str(&r[1]),
                [y, i64::from(mo), i64::from(d), i64::from(h), i64::from(mi), i64::from(s), frac],
                false,
            ))
        })
    },
)
.examples(&[Example {
    query: "let dt = datetime(2017-01-29 09:00:05.1234567);\nprint a = format_datetime(dt, \"yy-MM-dd [HH:mm:ss]\"), b = format_datetime(dt, \"yyyy-M-dd [H:mm:ss.fff]\"), c = format_datetime(dt, \"hh:mm tt\")",
    output: "a,b,c\n17-01-29 [09:00:05],2017-1-29 [9:00:05.123],09:00 AM",
}]);

static FORMAT_TIMESPAN: FunctionDef = FunctionDef::new(
    "format_timespan",
    C,
    "format_timespan(span: timespan, format: string): string",
    "Formats a timespan with a format such as \"d.hh:mm:ss.fff\" (d..., h, hh, H, HH, m, mm, s, ss, f..., F...).",
    |a| sig("format_timespan", a, 2, &[P::TimeSpan, P::StrS], Str),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let ScalarValue::TimeSpan(t) = r[0] else {
                return ScalarValue::String(String::new());
            };
            let neg = t < 0;
            let t = t.unsigned_abs() as i64;
            let parts = [
                0,
                0,
                t / TICKS_PER_DAY,
                (t % TICKS_PER_DAY) / TICKS_PER_HOUR,
                (t % TICKS_PER_HOUR) / TICKS_PER_MINUTE,
                (t % TICKS_PER_MINUTE) / TICKS_PER_SECOND,
                t % TICKS_PER_SECOND,
            ];
            let s = format_with(val::str(&r[1]), parts, true);
            ScalarValue::String(if neg { format!("-{s}") } else { s })
        })
    },
)
.examples(&[Example {
    query: "let t = time(29.09:00:05.12345);\nprint a = format_timespan(t, 'dd.hh:mm:ss:FF'), b = format_timespan(t, 'ddd.h:mm:ss [fffffff]')",
    output: "a,b\n29.09:00:05:12,029.9:00:05 [1234500]",
}]);

macro_rules! unix {
    ($id:ident, $name:literal, $ticks:expr, $unit:literal, $ex:expr) => {
        static $id: FunctionDef = FunctionDef::new(
            $name,
            C,
            concat!($name, "(value: real): datetime"),
            concat!("The datetime a number of ", $unit, " after 1970-01-01."),
            |a| sig($name, a, 1, &[P::Real], Dt),
            |ctx, args| {
                rows_ok(ctx, args, |r| match val::real(&r[0]) {
                    Some(x) if x.is_finite() => {
                        let t = x * $ticks;
                        if t.abs() < 9.2e18 {
                            ScalarValue::DateTime(t.round() as i64)
                        } else {
                            ScalarValue::Null(Dt)
                        }
                    }
                    _ => ScalarValue::Null(Dt),
                })
            },
        )
        .examples($ex);
    };
}

unix!(
    UNIX_S,
    "unixtime_seconds_todatetime",
    1e7,
    "seconds",
    &[Example {
        query: "print unixtime_seconds_todatetime(1546300800)",
        output: "print_0\n2019-01-01T00:00:00.0000000Z"
    }]
);
unix!(
    UNIX_MS,
    "unixtime_milliseconds_todatetime",
    1e4,
    "milliseconds",
    &[Example {
        query: "print unixtime_milliseconds_todatetime(1546300800000)",
        output: "print_0\n2019-01-01T00:00:00.0000000Z"
    }]
);
unix!(
    UNIX_US,
    "unixtime_microseconds_todatetime",
    10.0,
    "microseconds",
    &[Example {
        query: "print unixtime_microseconds_todatetime(1546300800000000)",
        output: "print_0\n2019-01-01T00:00:00.0000000Z"
    }]
);
unix!(
    UNIX_NS,
    "unixtime_nanoseconds_todatetime",
    0.01,
    "nanoseconds",
    &[Example {
        query: "print unixtime_nanoseconds_todatetime(1546300800000000000)",
        output: "print_0\n2019-01-01T00:00:00.0000000Z"
    }]
);

static INGESTION_TIME: FunctionDef = FunctionDef::new(
    "ingestion_time",
    C,
    "ingestion_time(): datetime",
    "When the row was ingested.",
    |a| sig("ingestion_time", a, 0, &[], Dt),
    |ctx, _| Ok(arrow::array::new_null_array(&arrow::datatypes::DataType::Int64, ctx.len)),
)
.notes("Local tables have no ingestion time: the result is the table's `$IngestionTime` or `IngestionTime` column when it has one, else null.");

/// A tick count as a naive date and time (the same wall-clock reading).
fn naive(ticks: i64) -> Option<chrono::NaiveDateTime> {
    let secs = ticks.div_euclid(TICKS_PER_SECOND);
    let nanos = (ticks.rem_euclid(TICKS_PER_SECOND) * 100) as u32;
    chrono::DateTime::from_timestamp(secs, nanos).map(|d| d.naive_utc())
}

/// The offset of `tz` from UTC at the instant `utc` (ticks).
fn offset_at(tz: chrono_tz::Tz, utc: i64) -> Option<i64> {
    use chrono::{Offset, TimeZone};
    let n = naive(utc)?;
    let secs = tz.offset_from_utc_datetime(&n).fix().local_minus_utc();
    Some(i64::from(secs) * TICKS_PER_SECOND)
}

/// The UTC instant of a wall-clock reading in `tz`. A reading that occurs
/// twice (clocks going back) is taken as standard time, the later instant;
/// one skipped by clocks going forward is read with the offset in force
/// after the change (as Kusto does: 02:00 on the morning Brussels moves to
/// summer time is 00:00 UTC).
fn local_to_utc(tz: chrono_tz::Tz, local: i64) -> Option<i64> {
    use chrono::{LocalResult, Offset, TimeZone};
    let n = naive(local)?;
    let off = match tz.offset_from_local_datetime(&n) {
        LocalResult::Single(o) => i64::from(o.fix().local_minus_utc()) * TICKS_PER_SECOND,
        LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.fix().local_minus_utc(), b.fix().local_minus_utc());
            i64::from(a.min(b)) * TICKS_PER_SECOND
        }
        LocalResult::None => {
            let before = offset_at(tz, local.checked_sub(TICKS_PER_DAY)?)?;
            let after = offset_at(tz, local.checked_add(TICKS_PER_DAY)?)?;
            before.max(after)
        }
    };
    local.checked_sub(off)
}

fn time_zone(name: &str) -> Option<chrono_tz::Tz> {
    name.trim().parse::<chrono_tz::Tz>().ok()
}

fn tz_typing(name: &str, a: &[crate::ArgInfo]) -> Result<Typed, String> {
    let t = sig(name, a, 2, &[P::DateTime, P::StrS], Dt)?;
    if let Some(ScalarValue::String(z)) = crate::constant(a, 1) {
        if time_zone(z).is_none() {
            return Err(format!(
                "{name}(): unknown time zone '{z}' (use an IANA name such as 'Europe/Paris' or 'US/Pacific')"
            ));
        }
    }
    Ok(t)
}

fn tz_kernel(ctx: &Ctx, args: &[Arg], to_utc: bool) -> Result<ArrayRef, String> {
    rows_ok(ctx, args, |r| {
        let out = match (&r[0], time_zone(val::str(&r[1]))) {
            (ScalarValue::DateTime(t), Some(tz)) => {
                if to_utc {
                    local_to_utc(tz, *t)
                } else {
                    offset_at(tz, *t).and_then(|o| t.checked_add(o))
                }
            }
            _ => None,
        };
        out.map_or(ScalarValue::Null(Dt), ScalarValue::DateTime)
    })
}

static DATETIME_LOCAL_TO_UTC: FunctionDef = FunctionDef::new(
    "datetime_local_to_utc",
    C,
    "datetime_local_to_utc(local: datetime, timezone: string): datetime",
    "The UTC datetime of a wall-clock time in the time zone (an IANA name). A time that occurs twice when clocks go back is taken as standard time; one skipped when clocks go forward is read with the new offset. Null for an unknown time zone.",
    |a| tz_typing("datetime_local_to_utc", a),
    |ctx, args| tz_kernel(ctx, args, true),
)
.examples(&[
    Example {
        query: "datatable(local_dt: datetime, tz: string) [datetime(2020-02-02 20:02:20), 'US/Pacific', datetime(2020-02-02 20:02:20), 'America/Chicago', datetime(2020-02-02 20:02:20), 'Europe/Paris', datetime(2020-02-02 20:02:20), 'Mars/Olympus']\n| extend utc_dt = datetime_local_to_utc(local_dt, tz)",
        output: "local_dt,tz,utc_dt\n2020-02-02T20:02:20.0000000Z,US/Pacific,2020-02-03T04:02:20.0000000Z\n2020-02-02T20:02:20.0000000Z,America/Chicago,2020-02-03T02:02:20.0000000Z\n2020-02-02T20:02:20.0000000Z,Europe/Paris,2020-02-02T19:02:20.0000000Z\n2020-02-02T20:02:20.0000000Z,Mars/Olympus,",
    },
    Example {
        query: "range Local from datetime(2022-03-27 01:00) to datetime(2022-03-27 04:00) step 1h\n| extend UTC = datetime_local_to_utc(Local, 'Europe/Brussels')\n| extend BackToLocal = datetime_utc_to_local(UTC, 'Europe/Brussels')\n| extend diff = Local - BackToLocal",
        output: "Local,UTC,BackToLocal,diff\n2022-03-27T01:00:00.0000000Z,2022-03-27T00:00:00.0000000Z,2022-03-27T01:00:00.0000000Z,00:00:00\n2022-03-27T02:00:00.0000000Z,2022-03-27T00:00:00.0000000Z,2022-03-27T01:00:00.0000000Z,01:00:00\n2022-03-27T03:00:00.0000000Z,2022-03-27T01:00:00.0000000Z,2022-03-27T03:00:00.0000000Z,00:00:00\n2022-03-27T04:00:00.0000000Z,2022-03-27T02:00:00.0000000Z,2022-03-27T04:00:00.0000000Z,00:00:00",
    },
    Example {
        query: "print a = datetime_local_to_utc(datetime(2022-10-30 02:30), 'Europe/Brussels'), b = datetime_local_to_utc(datetime(null), 'UTC')",
        output: "a,b\n2022-10-30T01:30:00.0000000Z,",
    },
]);

static DATETIME_UTC_TO_LOCAL: FunctionDef = FunctionDef::new(
    "datetime_utc_to_local",
    C,
    "datetime_utc_to_local(utc: datetime, timezone: string): datetime",
    "The wall-clock time in the time zone (an IANA name) at a UTC datetime. Null for an unknown time zone.",
    |a| tz_typing("datetime_utc_to_local", a),
    |ctx, args| tz_kernel(ctx, args, false),
)
.examples(&[Example {
    query: "print a = datetime_utc_to_local(datetime(2020-07-01 12:00), 'Asia/Kolkata'), b = datetime_utc_to_local(datetime(2020-01-01 12:00), 'America/New_York')",
    output: "a,b\n2020-07-01T17:30:00.0000000Z,2020-01-01T07:00:00.0000000Z",
}]);
