//! Math and bits: rounding (`bin`, `floor`, `round`), `abs`, logarithms and
//! powers, `min_of`/`max_of`, bitwise functions, `rand`.

use crate::kernel::{arg, longs, real_to_real, reals, rows_ok, val};
use crate::typing::{arity, common_of, sig, P};
use crate::{Arg, ArgInfo, Category, Ctx, Example, FunctionDef, Typed};
use arrow::array::{ArrayRef, AsArray, Float64Array, Int64Array};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use kql_common::{KqlType, ScalarValue};
use std::sync::Arc;

const C: Category = Category::Math;
use KqlType::{Bool, Long, Real};

pub static FUNCTIONS: &[&FunctionDef] = &[
    &BIN,
    &FLOOR,
    &BIN_AT,
    &BIN_AUTO,
    &ABS,
    &ROUND,
    &CEILING,
    &LOG,
    &LOG10,
    &LOG2,
    &EXP,
    &EXP2,
    &EXP10,
    &POW,
    &SQRT,
    &SIGN,
    &MIN_OF,
    &MAX_OF,
    &BINARY_AND,
    &BINARY_OR,
    &BINARY_XOR,
    &BINARY_NOT,
    &BINARY_SHIFT_LEFT,
    &BINARY_SHIFT_RIGHT,
    &BITSET_COUNT_ONES,
    &RAND,
    &PI,
    &ISNAN,
    &ISINF,
    &ISFINITE,
    &DEGREES,
    &RADIANS,
    &SIN,
    &COS,
    &TAN,
    &ASIN,
    &ACOS,
    &ATAN,
    &COT,
    &ATAN2,
];

fn bin_typing(name: &str, a: &[ArgInfo]) -> Result<Typed, String> {
    use KqlType::*;
    arity(name, a, 2, 2)?;
    let t = match (a[0].ty, a[1].ty) {
        (DateTime, TimeSpan) => DateTime,
        (TimeSpan, TimeSpan) => TimeSpan,
        (Int | Long, Int | Long) => Long,
        (x, y) if (x.is_numeric() || x == Dynamic) && (y.is_numeric() || y == Dynamic) => Real,
        (x, y) => {
            return Err(format!(
                "{name}() cannot round a {x} to a multiple of a {y}"
            ))
        }
    };
    let by = if t == DateTime { TimeSpan } else { t };
    Ok(Typed {
        ret: t,
        args: vec![t, by],
    })
}

/// Rounds down to a multiple of the size, counting from zero (the Unix
/// epoch for datetimes); a size of zero or less gives null.
fn bin_kernel(ctx: &Ctx, args: &[Arg]) -> Result<ArrayRef, String> {
    match ctx.out {
        KqlType::Real | KqlType::Decimal => {
            let (x, b) = (reals(args, 0)?, reals(args, 1)?);
            let r: Float64Array = x
                .iter()
                .zip(b.iter())
                .map(|(x, b)| match (x, b) {
                    (Some(x), Some(b)) if b > 0.0 => Some((x / b).floor() * b),
                    _ => None,
                })
                .collect();
            Ok(Arc::new(r))
        }
        _ => {
            let (x, b) = (longs(args, 0)?, longs(args, 1)?);
            let r: Int64Array = x
                .iter()
                .zip(b.iter())
                .map(|(x, b)| match (x, b) {
                    (Some(x), Some(b)) if b > 0 => Some(x - x.rem_euclid(b)),
                    _ => None,
                })
                .collect();
            Ok(Arc::new(r))
        }
    }
}

static BIN: FunctionDef = FunctionDef::new(
    "bin",
    C,
    "bin(value, roundTo)",
    "Rounds down to a multiple of roundTo (datetimes from the Unix epoch); null when roundTo is not positive.",
    |a| bin_typing("bin", a),
    bin_kernel,
)
.examples(&[Example {
    query: "print a = bin(4.5, 1), b = bin(17, 5), c = bin(datetime(1970-05-11 13:45:07), 1d), d = bin(time(16d), 7d)",
    output: "a,b,c,d\n4.0,15,1970-05-11T00:00:00.0000000Z,14.00:00:00",
}]);

static FLOOR: FunctionDef = FunctionDef::new(
    "floor",
    C,
    "floor(value, roundTo)",
    "Same as bin.",
    |a| bin_typing("floor", a),
    bin_kernel,
);

static BIN_AT: FunctionDef = FunctionDef::new(
    "bin_at",
    C,
    "bin_at(value, bin_size, fixed_point)",
    "Rounds down to a multiple of bin_size counted from fixed_point.",
    |a| {
        arity("bin_at", a, 3, 3)?;
        let t = bin_typing("bin_at", &a[..2])?;
        Ok(Typed { ret: t.ret, args: vec![t.args[0], t.args[1], t.args[0]] })
    },
    |ctx, args| {
        rows_ok(ctx, args, |r| match ctx.out {
            KqlType::Real => match (val::real(&r[0]), val::real(&r[1]), val::real(&r[2])) {
                (Some(x), Some(b), Some(f)) if b > 0.0 => ScalarValue::Real(((x - f) / b).floor() * b + f),
                _ => ScalarValue::Null(Real),
            },
            t => match (val::long(&r[0]), val::long(&r[1]), val::long(&r[2])) {
                (Some(x), Some(b), Some(f)) if b > 0 => {
                    let v = (x - f).div_euclid(b) * b + f;
                    match t {
                        KqlType::DateTime => ScalarValue::DateTime(v),
                        KqlType::TimeSpan => ScalarValue::TimeSpan(v),
                        _ => ScalarValue::Long(v),
                    }
                }
                _ => ScalarValue::Null(t),
            },
        })
    },
)
.examples(&[Example {
    query: "print a = bin_at(6.5, 2.5, 7), b = bin_at(datetime(2017-05-15 10:20:00.0), 1d, datetime(1970-01-01 12:00:00.0))",
    output: "a,b\n4.5,2017-05-14T12:00:00.0000000Z",
}]);

static BIN_AUTO: FunctionDef = FunctionDef::new(
    "bin_auto",
    C,
    "bin_auto(value)",
    "Rounds down to a multiple of the query's `set query_bin_auto_size = ...`, counted from `set query_bin_auto_at = ...` (default 0, the Unix epoch for datetimes). Without query_bin_auto_size the call is an error.",
    // The planner passes the size and the fixed point after the value.
    |a| (BIN_AT.typing)(a),
    |ctx, args| (BIN_AT.kernel)(ctx, args),
)
.examples(&[Example {
    query: "set query_bin_auto_size = 1h;\nset query_bin_auto_at = datetime(2017-01-01 00:05);\nrange Timestamp from datetime(2017-01-01 00:05) to datetime(2017-01-01 02:00) step 1m\n| summarize count() by bin_auto(Timestamp)",
    output: "Timestamp,count_\n2017-01-01T00:05:00.0000000Z,60\n2017-01-01T01:05:00.0000000Z,56",
}]);

static ABS: FunctionDef = FunctionDef::new(
    "abs",
    C,
    "abs(x)",
    "Absolute value of a number or timespan.",
    |a| {
        arity("abs", a, 1, 1)?;
        let t = match a[0].ty {
            KqlType::Dynamic => Real,
            KqlType::Int => Long,
            t @ (Long | Real | KqlType::Decimal | KqlType::TimeSpan) => t,
            t => return Err(format!("abs() needs a number or timespan, not {t}")),
        };
        Ok(Typed {
            ret: t,
            args: vec![t],
        })
    },
    |ctx, args| {
        let a = &arg(args, 0)?.array;
        Ok(match ctx.out {
            KqlType::Int => Arc::new(
                a.as_primitive::<Int32Type>()
                    .unary::<_, Int32Type>(|x| x.wrapping_abs()),
            ),
            Real | KqlType::Decimal => Arc::new(
                a.as_primitive::<Float64Type>()
                    .unary::<_, Float64Type>(f64::abs),
            ),
            _ => Arc::new(
                a.as_primitive::<Int64Type>()
                    .unary::<_, Int64Type>(|x| x.wrapping_abs()),
            ),
        })
    },
)
.examples(&[Example {
    query: "print a = abs(-5), b = abs(-2.5), c = abs(-1h)",
    output: "a,b,c\n5,2.5,01:00:00",
}]);

static ROUND: FunctionDef = FunctionDef::new(
    "round",
    C,
    "round(number: real, [precision: long]): real",
    "Rounds to the given number of decimal places (halves away from zero).",
    |a| integral_keeps("round", a, 1, &[P::Real, P::Long]),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let p = r.get(1).map_or(Some(0), val::long);
            let v = match (val::real(&r[0]), p) {
                (Some(x), Some(p)) => {
                    let m = 10f64.powi(p.clamp(-300, 300) as i32);
                    Some((x * m).round() / m)
                }
                _ => None,
            };
            real_or_long(v, ctx.out)
        })
    },
)
.examples(&[Example {
    query:
        "print a = round(2.98765, 3), b = round(2.15, 1), c = round(1234.5678, -2), d = round(2.5)",
    output: "a,b,c,d\n2.988,2.2,1200.0,3.0",
}]);

macro_rules! unary_real {
    ($id:ident, $name:literal, $f:expr, $doc:literal, $ex:expr) => {
        static $id: FunctionDef = FunctionDef::new(
            $name,
            C,
            concat!($name, "(x: real): real"),
            $doc,
            |a| sig($name, a, 1, &[P::Real], Real),
            |_, args| Ok(real_to_real(reals(args, 0)?, $f)),
        )
        .examples($ex);
    };
}

static CEILING: FunctionDef = FunctionDef::new(
    "ceiling",
    C,
    "ceiling(x: real): real",
    "The smallest whole number not less than x (a whole-number argument keeps its type, as long).",
    |a| integral_keeps("ceiling", a, 1, &[P::Real]),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            real_or_long(val::real(&r[0]).map(f64::ceil), ctx.out)
        })
    },
)
.examples(&[Example {
    query: "print a = ceiling(-1.1), b = ceiling(0), c = ceiling(0.9)",
    output: "a,b,c\n-1.0,0,1.0",
}]);

/// A signature whose first argument is a number: `long` in and out for
/// whole numbers, `real` otherwise.
fn integral_keeps(name: &str, a: &[ArgInfo], min: usize, ps: &[P]) -> Result<Typed, String> {
    let mut t = sig(name, a, min, ps, Real)?;
    if matches!(a.first().map(|x| x.ty), Some(KqlType::Int | Long)) {
        t.ret = Long;
        t.args[0] = Long;
    }
    Ok(t)
}

fn real_or_long(v: Option<f64>, out: KqlType) -> ScalarValue {
    match (v, out) {
        (Some(x), Long) if x.is_finite() => ScalarValue::Long(x as i64),
        (Some(x), Real) => ScalarValue::Real(x),
        _ => ScalarValue::Null(out),
    }
}

unary_real!(
    LOG,
    "log",
    |x: f64| (x > 0.0).then(|| x.ln()),
    "Natural logarithm; null for values not greater than 0.",
    &[Example {
        query: "print a = log(1), b = log(0)",
        output: "a,b\n0.0,"
    }]
);
unary_real!(
    LOG10,
    "log10",
    |x: f64| (x > 0.0).then(|| x.log10()),
    "Base-10 logarithm; null for values not greater than 0.",
    &[Example {
        query: "print log10(100)",
        output: "print_0\n2.0"
    }]
);
unary_real!(
    LOG2,
    "log2",
    |x: f64| (x > 0.0).then(|| x.log2()),
    "Base-2 logarithm; null for values not greater than 0.",
    &[Example {
        query: "print log2(8)",
        output: "print_0\n3.0"
    }]
);
unary_real!(
    EXP,
    "exp",
    |x: f64| Some(x.exp()),
    "e to the power x.",
    &[Example {
        query: "print exp(0)",
        output: "print_0\n1.0"
    }]
);
unary_real!(
    EXP2,
    "exp2",
    |x: f64| Some(x.exp2()),
    "2 to the power x.",
    &[Example {
        query: "print exp2(3)",
        output: "print_0\n8.0"
    }]
);
unary_real!(
    EXP10,
    "exp10",
    |x: f64| Some(10f64.powf(x)),
    "10 to the power x.",
    &[Example {
        query: "print exp10(3)",
        output: "print_0\n1000.0"
    }]
);
unary_real!(
    SQRT,
    "sqrt",
    |x: f64| (x >= 0.0).then(|| x.sqrt()),
    "Square root; null for negative values.",
    &[Example {
        query: "print a = sqrt(16), b = sqrt(-1)",
        output: "a,b\n4.0,"
    }]
);
unary_real!(
    DEGREES,
    "degrees",
    |x: f64| Some(x.to_degrees()),
    "Radians to degrees.",
    &[Example {
        query: "print degrees(pi() / 2)",
        output: "print_0\n90.0"
    }]
);
unary_real!(
    RADIANS,
    "radians",
    |x: f64| Some(x.to_radians()),
    "Degrees to radians.",
    &[Example {
        query: "print radians(180) == pi()",
        output: "print_0\ntrue"
    }]
);

static POW: FunctionDef = FunctionDef::new(
    "pow",
    C,
    "pow(base: real, exponent: real): real",
    "base to the power exponent.",
    |a| sig("pow", a, 2, &[P::Real, P::Real], Real),
    |_, args| {
        let (b, e) = (reals(args, 0)?, reals(args, 1)?);
        let out: Float64Array = b
            .iter()
            .zip(e.iter())
            .map(|(b, e)| Some(b?.powf(e?)))
            .collect();
        Ok(Arc::new(out))
    },
)
.examples(&[Example {
    query: "print a = pow(2, 3), b = pow(4, 0.5)",
    output: "a,b\n8.0,2.0",
}]);

static SIGN: FunctionDef = FunctionDef::new(
    "sign",
    C,
    "sign(x: real): real",
    "-1, 0 or 1 by the sign of x.",
    |a| sig("sign", a, 1, &[P::Real], Real),
    |_, args| {
        Ok(real_to_real(reals(args, 0)?, |x| {
            Some(if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            })
        }))
    },
)
.examples(&[Example {
    query: "print a = sign(-42), b = sign(0), c = sign(11.2)",
    output: "a,b,c\n-1.0,0.0,1.0",
}]);

fn extreme_typing(name: &str, a: &[ArgInfo]) -> Result<Typed, String> {
    arity(name, a, 2, 64)?;
    let t = common_of(name, a)?;
    Ok(Typed {
        ret: t,
        args: vec![t; a.len()],
    })
}

fn extreme(ctx: &Ctx, args: &[Arg], max: bool) -> Result<ArrayRef, String> {
    rows_ok(ctx, args, |r| {
        let mut best: Option<&ScalarValue> = None;
        for v in r.iter().filter(|v| !matches!(v, ScalarValue::Null(_))) {
            best = match best {
                None => Some(v),
                Some(b) => {
                    let better = match (v, b) {
                        (ScalarValue::Real(x), ScalarValue::Real(y)) => {
                            if max {
                                x > y
                            } else {
                                x < y
                            }
                        }
                        (ScalarValue::String(x), ScalarValue::String(y)) => {
                            if max {
                                x > y
                            } else {
                                x < y
                            }
                        }
                        _ => match (val::long(v), val::long(b)) {
                            (Some(x), Some(y)) => {
                                if max {
                                    x > y
                                } else {
                                    x < y
                                }
                            }
                            _ => false,
                        },
                    };
                    Some(if better { v } else { b })
                }
            };
        }
        best.cloned().unwrap_or(ScalarValue::Null(ctx.out))
    })
}

static MIN_OF: FunctionDef = FunctionDef::new(
    "min_of",
    C,
    "min_of(arg1, arg2, ...)",
    "The smallest of the arguments (nulls are ignored).",
    |a| extreme_typing("min_of", a),
    |ctx, args| extreme(ctx, args, false),
)
.examples(&[Example {
    query: "print a = min_of(10, 1, -3, 17), b = min_of(long(null), 2)",
    output: "a,b\n-3,2",
}]);

static MAX_OF: FunctionDef = FunctionDef::new(
    "max_of",
    C,
    "max_of(arg1, arg2, ...)",
    "The largest of the arguments (nulls are ignored).",
    |a| extreme_typing("max_of", a),
    |ctx, args| extreme(ctx, args, true),
)
.examples(&[Example {
    query:
        "print a = max_of(10, 1, -3, 17), b = max_of(datetime(2020-01-01), datetime(2021-01-01))",
    output: "a,b\n17,2021-01-01T00:00:00.0000000Z",
}]);

fn bin_long(ctx: &Ctx, args: &[Arg], f: fn(i64, i64) -> Option<i64>) -> Result<ArrayRef, String> {
    let _ = ctx;
    let (a, b) = (longs(args, 0)?, longs(args, 1)?);
    let out: Int64Array = a.iter().zip(b.iter()).map(|(x, y)| f(x?, y?)).collect();
    Ok(Arc::new(out))
}

macro_rules! bitop {
    ($id:ident, $name:literal, $f:expr, $doc:literal, $ex:expr) => {
        static $id: FunctionDef = FunctionDef::new(
            $name,
            C,
            concat!($name, "(a: long, b: long): long"),
            $doc,
            |a| sig($name, a, 2, &[P::Long, P::Long], Long),
            |ctx, args| bin_long(ctx, args, $f),
        )
        .examples($ex);
    };
}

bitop!(
    BINARY_AND,
    "binary_and",
    |a, b| Some(a & b),
    "Bitwise and.",
    &[Example {
        query: "print binary_and(6, 3)",
        output: "print_0\n2"
    }]
);
bitop!(
    BINARY_OR,
    "binary_or",
    |a, b| Some(a | b),
    "Bitwise or.",
    &[Example {
        query: "print binary_or(6, 3)",
        output: "print_0\n7"
    }]
);
bitop!(
    BINARY_XOR,
    "binary_xor",
    |a, b| Some(a ^ b),
    "Bitwise exclusive or.",
    &[Example {
        query: "print binary_xor(6, 3)",
        output: "print_0\n5"
    }]
);
bitop!(
    BINARY_SHIFT_LEFT,
    "binary_shift_left",
    |a, b| (0..64).contains(&b).then(|| a.wrapping_shl(b as u32)),
    "a shifted left by b bits; null when b is negative or 64 or more.",
    &[Example {
        query: "print binary_shift_left(1, 4)",
        output: "print_0\n16"
    }]
);
bitop!(
    BINARY_SHIFT_RIGHT,
    "binary_shift_right",
    |a, b| (0..64).contains(&b).then(|| a >> b),
    "a shifted right by b bits (sign-extending); null when b is negative or 64 or more.",
    &[Example {
        query: "print binary_shift_right(16, 2)",
        output: "print_0\n4"
    }]
);

static BINARY_NOT: FunctionDef = FunctionDef::new(
    "binary_not",
    C,
    "binary_not(a: long): long",
    "Bitwise not.",
    |a| sig("binary_not", a, 1, &[P::Long], Long),
    |_, args| Ok(crate::kernel::long_to_long(longs(args, 0)?, |x| Some(!x))),
)
.examples(&[Example {
    query: "print binary_not(100)",
    output: "print_0\n-101",
}]);

static BITSET_COUNT_ONES: FunctionDef = FunctionDef::new(
    "bitset_count_ones",
    C,
    "bitset_count_ones(a: long): long",
    "Number of set bits in the 64-bit value.",
    |a| sig("bitset_count_ones", a, 1, &[P::Long], Long),
    |_, args| {
        Ok(crate::kernel::long_to_long(longs(args, 0)?, |x| {
            Some(i64::from(x.count_ones()))
        }))
    },
)
.examples(&[Example {
    query: "print bitset_count_ones(42)",
    output: "print_0\n3",
}]);

/// A per-query pseudo-random sequence seeded from the clock.
fn next_random(state: &mut u64) -> f64 {
    // splitmix64
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

pub(crate) fn seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(42)
}

static RAND: FunctionDef = FunctionDef::new(
    "rand",
    C,
    "rand([range: long]): real | long",
    "A random real in [0, 1), or with a range, a random long in [0, range).",
    |a| {
        arity("rand", a, 0, 1)?;
        if a.is_empty() {
            Ok(Typed {
                ret: Real,
                args: vec![],
            })
        } else {
            sig("rand", a, 1, &[P::Long], Long)
        }
    },
    |ctx, args| {
        let mut s = seed();
        if args.is_empty() {
            let out: Float64Array = (0..ctx.len).map(|_| Some(next_random(&mut s))).collect();
            return Ok(Arc::new(out));
        }
        let n = longs(args, 0)?;
        let out: Int64Array = n
            .iter()
            .map(|r| {
                r.filter(|r| *r > 0)
                    .map(|r| (next_random(&mut s) * r as f64) as i64)
            })
            .collect();
        Ok(Arc::new(out))
    },
)
.volatile()
.notes("Not reproducible: each query draws new values.");

static PI: FunctionDef = FunctionDef::new(
    "pi",
    C,
    "pi(): real",
    "The constant π.",
    |a| sig("pi", a, 0, &[], Real),
    |ctx, _| {
        Ok(Arc::new(Float64Array::from(vec![
            std::f64::consts::PI;
            ctx.len
        ])))
    },
)
.examples(&[Example {
    query: "print pi()",
    output: "print_0\n3.141592653589793",
}]);

macro_rules! realtest {
    ($id:ident, $name:literal, $f:expr, $doc:literal, $ex:expr) => {
        static $id: FunctionDef = FunctionDef::new(
            $name,
            C,
            concat!($name, "(x: real): bool"),
            $doc,
            |a| sig($name, a, 1, &[P::Real], Bool),
            |_, args| {
                let out: arrow::array::BooleanArray =
                    reals(args, 0)?.iter().map(|x| x.map($f)).collect();
                Ok(Arc::new(out))
            },
        )
        .examples($ex);
    };
}

realtest!(
    ISNAN,
    "isnan",
    |x: f64| x.is_nan(),
    "Whether x is NaN.",
    &[Example {
        query: "print a = isnan(real(nan)), b = isnan(1.0)",
        output: "a,b\ntrue,false"
    }]
);
realtest!(
    ISINF,
    "isinf",
    |x: f64| x.is_infinite(),
    "Whether x is infinite.",
    &[Example {
        query: "print a = isinf(real(+inf)), b = isinf(1.0)",
        output: "a,b\ntrue,false"
    }]
);
realtest!(
    ISFINITE,
    "isfinite",
    |x: f64| x.is_finite(),
    "Whether x is finite.",
    &[Example {
        query: "print a = isfinite(1.0), b = isfinite(real(nan))",
        output: "a,b\ntrue,false"
    }]
);

unary_real!(
    SIN,
    "sin",
    |x: f64| Some(x.sin()),
    "Sine of an angle in radians.",
    &[Example {
        query: "print sin(0)",
        output: "print_0\n0.0"
    }]
);
unary_real!(
    COS,
    "cos",
    |x: f64| Some(x.cos()),
    "Cosine of an angle in radians.",
    &[Example {
        query: "print cos(0)",
        output: "print_0\n1.0"
    }]
);
unary_real!(
    TAN,
    "tan",
    |x: f64| Some(x.tan()),
    "Tangent of an angle in radians.",
    &[Example {
        query: "print tan(0)",
        output: "print_0\n0.0"
    }]
);
unary_real!(
    ASIN,
    "asin",
    |x: f64| Some(x.asin()),
    "Arc sine, in radians.",
    &[Example {
        query: "print asin(0)",
        output: "print_0\n0.0"
    }]
);
unary_real!(
    ACOS,
    "acos",
    |x: f64| Some(x.acos()),
    "Arc cosine, in radians.",
    &[Example {
        query: "print acos(1)",
        output: "print_0\n0.0"
    }]
);
unary_real!(
    ATAN,
    "atan",
    |x: f64| Some(x.atan()),
    "Arc tangent, in radians.",
    &[Example {
        query: "print atan(0)",
        output: "print_0\n0.0"
    }]
);
unary_real!(
    COT,
    "cot",
    |x: f64| Some(1.0 / x.tan()),
    "Cotangent of an angle in radians.",
    &[]
);

static ATAN2: FunctionDef = FunctionDef::new(
    "atan2",
    C,
    "atan2(y: real, x: real): real",
    "The angle in radians between the positive x axis and the point (x, y).",
    |a| sig("atan2", a, 2, &[P::Real, P::Real], Real),
    |_, args| {
        let (y, x) = (reals(args, 0)?, reals(args, 1)?);
        let out: Float64Array = y
            .iter()
            .zip(x.iter())
            .map(|(y, x)| Some(y?.atan2(x?)))
            .collect();
        Ok(Arc::new(out))
    },
)
.examples(&[Example {
    query: "print a = atan2(1, 1) == pi() / 4, b = atan2(0, -1) == pi()",
    output: "a,b\ntrue,true",
}]);
