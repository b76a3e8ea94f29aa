//! Conversions: `tostring`, `tolong`, `toint`, `toreal`, `tobool`,
//! `todatetime`, `totimespan`, `todecimal`, `toguid`, `tohex`.
//! A value that cannot be converted gives null (`""` for `tostring`).

use crate::convert::cast_array;
use crate::kernel::{arg, rows_ok, val};
use crate::typing::{sig, P};
use crate::{Arg, Category, Ctx, Example, FunctionDef};
use arrow::array::ArrayRef;
use kql_common::{KqlType, ScalarValue};

const C: Category = Category::Conversion;

pub static FUNCTIONS: &[&FunctionDef] = &[
    &TOSTRING,
    &TOLONG,
    &TOINT,
    &TOREAL,
    &TODOUBLE,
    &TOBOOL,
    &TOBOOLEAN,
    &TODATETIME,
    &TOTIMESPAN,
    &TOTIME,
    &TODECIMAL,
    &TOGUID,
    &TOHEX,
];

fn cast_kernel(ctx: &Ctx, args: &[Arg]) -> Result<ArrayRef, String> {
    let a = arg(args, 0)?;
    cast_array(&a.array, a.ty, ctx.out)
}

macro_rules! conv {
    ($id:ident, $name:literal, $ty:expr, $sig:literal, $doc:literal) => {
        static $id: FunctionDef = FunctionDef::new(
            $name,
            C,
            $sig,
            $doc,
            |a| sig($name, a, 1, &[P::Any], $ty),
            cast_kernel,
        );
    };
}

conv!(
    TOLONG,
    "tolong",
    KqlType::Long,
    "tolong(value): long",
    "Converts to long; null when the value cannot be converted (reals are truncated)."
);
conv!(
    TOINT,
    "toint",
    KqlType::Int,
    "toint(value): int",
    "Converts to int; null when the value cannot be converted or does not fit."
);
conv!(
    TOREAL,
    "toreal",
    KqlType::Real,
    "toreal(value): real",
    "Converts to real; null when the value cannot be converted."
);
conv!(
    TODOUBLE,
    "todouble",
    KqlType::Real,
    "todouble(value): real",
    "Same as toreal."
);
conv!(
    TODECIMAL,
    "todecimal",
    KqlType::Decimal,
    "todecimal(value): decimal",
    "Converts to decimal (held as a 64-bit real locally); null when the value cannot be converted."
);
conv!(
    TOBOOL,
    "tobool",
    KqlType::Bool,
    "tobool(value): bool",
    "Converts to bool: `true`/`false` (any case) and numbers (non-zero is true); null otherwise."
);
conv!(
    TOBOOLEAN,
    "toboolean",
    KqlType::Bool,
    "toboolean(value): bool",
    "Same as tobool."
);
conv!(
    TODATETIME,
    "todatetime",
    KqlType::DateTime,
    "todatetime(value): datetime",
    "Converts to datetime; null when the value cannot be converted."
);
conv!(
    TOTIMESPAN,
    "totimespan",
    KqlType::TimeSpan,
    "totimespan(value): timespan",
    "Converts to timespan; null when the value cannot be converted."
);
conv!(
    TOTIME,
    "totime",
    KqlType::TimeSpan,
    "totime(value): timespan",
    "Same as totimespan."
);
conv!(
    TOGUID,
    "toguid",
    KqlType::Guid,
    "toguid(value): guid",
    "Converts to guid; null when the value cannot be converted."
);

static TOSTRING: FunctionDef = FunctionDef::new(
    "tostring",
    C,
    "tostring(value): string",
    "Converts a value to its string form: null gives \"\", a dynamic string gives its text without quotes, other dynamic values give compact JSON.",
    |a| sig("tostring", a, 1, &[P::Any], KqlType::String),
    cast_kernel,
)
.examples(&[
    Example {
        query: "print a = tostring(123), b = tostring(parse_json('{\"k\":\"v\"}').k), c = tostring(dynamic([1,2])), d = tostring(long(null))",
        output: "a,b,c,d\n123,v,\"[1,2]\",",
    },
    Example {
        query: "print tostring(datetime(2026-01-31 12:00)), tostring(1.5), tostring(90m)",
        output: "print_0,print_1,print_2\n2026-01-31T12:00:00.0000000Z,1.5,01:30:00",
    },
]);

static TOHEX: FunctionDef = FunctionDef::new(
    "tohex",
    C,
    "tohex(value: long, [minLength: long]): string",
    "Hexadecimal text of an integer (two's complement for negatives), left-padded with zeros to minLength.",
    |a| sig("tohex", a, 1, &[P::Long, P::Long], KqlType::String),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let Some(v) = r.first().and_then(val::long) else {
                return ScalarValue::String(String::new());
            };
            let min = r.get(1).and_then(val::long).unwrap_or(0).clamp(0, 64) as usize;
            // Kusto prints 32-bit values for numbers that fit in an int.
            let s = if i32::try_from(v).is_ok() && v < 0 {
                format!("{:x}", v as i32)
            } else {
                format!("{v:x}")
            };
            ScalarValue::String(format!("{s:0>min$}"))
        })
    },
)
.examples(&[Example {
    query: "print a = tohex(256), b = tohex(-546), c = tohex(48879, 8)",
    output: "a,b,c\n100,fffffdde,0000beef",
}]);
