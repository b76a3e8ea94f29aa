//! Logic and null handling: `not`, `isnull`, `isempty`, `iff`, `case`,
//! `coalesce`, `around`, `assert`.

use crate::kernel::{arg, bools, rows_ok};
use crate::typing::{arity, common_of, sig, P};
use crate::{ArgInfo, Category, Ctx, Example, FunctionDef, Typed};
use arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use arrow::buffer::BooleanBuffer;
use arrow::compute::kernels::zip::zip;
use kql_common::KqlType;
use std::sync::Arc;

const C: Category = Category::Logic;

pub static FUNCTIONS: &[&FunctionDef] = &[
    &NOT,
    &ISNULL,
    &ISNOTNULL,
    &ISEMPTY,
    &ISNOTEMPTY,
    &NOTEMPTY,
    &IFF,
    &IIF,
    &CASE,
    &COALESCE,
    &AROUND,
    &ASSERT,
];

static NOT: FunctionDef = FunctionDef::new(
    "not",
    C,
    "not(expr: bool): bool",
    "Reverses the value of a bool (null stays null).",
    |a| sig("not", a, 1, &[P::Bool], KqlType::Bool),
    |_, args| {
        Ok(Arc::new(
            arrow::compute::not(bools(args, 0)?).map_err(|e| e.to_string())?,
        ))
    },
)
.examples(&[Example {
    query: "print a = not(true), b = not(1 > 2)",
    output: "a,b\nfalse,true",
}]);

fn null_test(args: &[crate::Arg], want_null: bool) -> Result<ArrayRef, String> {
    let a = arg(args, 0)?;
    let arr = &a.array;
    let t = a.ty;
    let bits = BooleanBuffer::collect_bool(arr.len(), |i| {
        let null = match t {
            // Strings are never null in KQL.
            KqlType::String => false,
            KqlType::Dynamic => arr.is_null(i) || arr.as_string::<i32>().value(i) == "null",
            _ => arr.is_null(i),
        };
        null == want_null
    });
    Ok(Arc::new(BooleanArray::new(bits, None)))
}

fn empty_test(args: &[crate::Arg], want_empty: bool) -> Result<ArrayRef, String> {
    let a = arg(args, 0)?;
    let arr = &a.array;
    let t = a.ty;
    let bits = BooleanBuffer::collect_bool(arr.len(), |i| {
        let empty = arr.is_null(i)
            || match t {
                KqlType::String | KqlType::Guid => arr.as_string::<i32>().value(i).is_empty(),
                KqlType::Dynamic => matches!(arr.as_string::<i32>().value(i), "null" | "\"\""),
                _ => false,
            };
        empty == want_empty
    });
    Ok(Arc::new(BooleanArray::new(bits, None)))
}

static ISNULL: FunctionDef = FunctionDef::new(
    "isnull",
    C,
    "isnull(expr): bool",
    "Whether the value is null. Strings are never null: `isnull(\"\")` is false (use `isempty`).",
    |a| sig("isnull", a, 1, &[P::Any], KqlType::Bool),
    |_, args| null_test(args, true),
)
.examples(&[Example {
    query: "print a = isnull(long(null)), b = isnull(\"\"), c = isnull(dynamic(null)), d = isnull(parse_json('{\"x\":1}').y)",
    output: "a,b,c,d\ntrue,false,true,true",
}]);

static ISNOTNULL: FunctionDef = FunctionDef::new(
    "isnotnull",
    C,
    "isnotnull(expr): bool",
    "Whether the value is not null.",
    |a| sig("isnotnull", a, 1, &[P::Any], KqlType::Bool),
    |_, args| null_test(args, false),
)
.examples(&[Example {
    query: "print a = isnotnull(1), b = isnotnull(int(null))",
    output: "a,b\ntrue,false",
}]);

static ISEMPTY: FunctionDef = FunctionDef::new(
    "isempty",
    C,
    "isempty(expr): bool",
    "Whether the value is null or an empty string.",
    |a| sig("isempty", a, 1, &[P::Any], KqlType::Bool),
    |_, args| empty_test(args, true),
)
.examples(&[Example {
    query: "print a = isempty(\"\"), b = isempty(\"x\"), c = isempty(long(null)), d = isempty(0)",
    output: "a,b,c,d\ntrue,false,true,false",
}]);

static ISNOTEMPTY: FunctionDef = FunctionDef::new(
    "isnotempty",
    C,
    "isnotempty(expr): bool",
    "Whether the value is neither null nor an empty string.",
    |a| sig("isnotempty", a, 1, &[P::Any], KqlType::Bool),
    |_, args| empty_test(args, false),
)
.examples(&[Example {
    query: "print a = isnotempty(\"x\"), b = isnotempty(\"\"), c = isnotempty(parse_json('{\"k\":\"\"}').k)",
    output: "a,b,c\ntrue,false,false",
}]);

static NOTEMPTY: FunctionDef = FunctionDef::new(
    "notempty",
    C,
    "notempty(expr): bool",
    "Same as isnotempty.",
    |a| sig("notempty", a, 1, &[P::Any], KqlType::Bool),
    |_, args| empty_test(args, false),
);

fn iff_typing(name: &str, a: &[ArgInfo]) -> Result<Typed, String> {
    arity(name, a, 3, 3)?;
    let c = crate::typing::params(name, &a[..1], 1, &[P::Bool], false)?;
    let t = common_of(name, &a[1..])?;
    Ok(Typed {
        ret: t,
        args: vec![c[0], t, t],
    })
}

fn iff_kernel(_: &Ctx, args: &[crate::Arg]) -> Result<ArrayRef, String> {
    let c = bools(args, 0)?;
    // A null condition counts as false.
    let cond = BooleanArray::new(
        BooleanBuffer::collect_bool(c.len(), |i| c.is_valid(i) && c.value(i)),
        None,
    );
    zip(&cond, &arg(args, 1)?.array, &arg(args, 2)?.array).map_err(|e| e.to_string())
}

static IFF: FunctionDef = FunctionDef::new(
    "iff",
    C,
    "iff(condition: bool, then, else)",
    "The second argument when the condition is true, else the third (a null condition counts as false).",
    |a| iff_typing("iff", a),
    iff_kernel,
)
.examples(&[Example {
    query: "print a = iff(2 > 1, \"yes\", \"no\"), b = iff(bool(null), 1, 2)",
    output: "a,b\nyes,2",
}]);

static IIF: FunctionDef = FunctionDef::new(
    "iif",
    C,
    "iif(condition: bool, then, else)",
    "Same as iff.",
    |a| iff_typing("iif", a),
    iff_kernel,
);

static CASE: FunctionDef = FunctionDef::new(
    "case",
    C,
    "case(predicate1, then1, [predicate2, then2, ...], else)",
    "The value after the first true predicate, else the last argument.",
    |a| {
        if a.len() < 3 || a.len() % 2 == 0 {
            return Err(format!(
                "case() takes pairs of predicate and value and a final else value (an odd number, at least 3), got {}",
                a.len()
            ));
        }
        let values: Vec<ArgInfo> = a
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == 1 || *i == a.len() - 1)
            .map(|(_, x)| *x)
            .collect();
        let t = common_of("case", &values)?;
        let mut args = Vec::new();
        for (i, x) in a.iter().enumerate() {
            if i % 2 == 0 && i != a.len() - 1 {
                if !matches!(x.ty, KqlType::Bool | KqlType::Dynamic) {
                    return Err(format!("argument {} of case() must be a bool predicate, not {}", i + 1, x.ty));
                }
                args.push(KqlType::Bool);
            } else {
                args.push(t);
            }
        }
        Ok(Typed { ret: t, args })
    },
    |_, args| {
        let last = arg(args, args.len().saturating_sub(1))?;
        let mut out = last.array.clone();
        // Apply pairs from the last to the first so the first true wins.
        let pairs = (args.len() - 1) / 2;
        for p in (0..pairs).rev() {
            let c = bools(args, 2 * p)?;
            let cond = BooleanArray::new(
                BooleanBuffer::collect_bool(c.len(), |i| c.is_valid(i) && c.value(i)),
                None,
            );
            out = zip(&cond, &arg(args, 2 * p + 1)?.array, &out).map_err(|e| e.to_string())?;
        }
        Ok(out)
    },
)
.examples(&[Example {
    query: "range n from 1 to 3 step 1 | extend size = case(n <= 1, \"small\", n <= 2, \"medium\", \"large\")",
    output: "n,size\n1,small\n2,medium\n3,large",
}]);

static COALESCE: FunctionDef = FunctionDef::new(
    "coalesce",
    C,
    "coalesce(arg1, arg2, ...)",
    "The first argument that is not null (for strings: not empty).",
    |a| {
        arity("coalesce", a, 1, 64)?;
        let t = common_of("coalesce", a)?;
        Ok(Typed {
            ret: t,
            args: vec![t; a.len()],
        })
    },
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            r.iter()
                .find(|v| match v {
                    kql_common::ScalarValue::Null(_) => false,
                    kql_common::ScalarValue::String(s) => !s.is_empty(),
                    _ => true,
                })
                .cloned()
                .unwrap_or(kql_common::ScalarValue::Null(ctx.out))
        })
    },
)
.examples(&[Example {
    query: "print a = coalesce(long(null), 5, 7), b = coalesce(\"\", \"x\")",
    output: "a,b\n5,x",
}]);

fn around_typing(a: &[ArgInfo]) -> Result<Typed, String> {
    use KqlType::*;
    arity("around", a, 3, 3)?;
    let (v, c) = match (a[0].ty, a[1].ty) {
        (DateTime, DateTime | Dynamic) | (Dynamic, DateTime) => (DateTime, TimeSpan),
        (TimeSpan, TimeSpan | Dynamic) | (Dynamic, TimeSpan) => (TimeSpan, TimeSpan),
        (x, y) if (x.is_numeric() || x == Dynamic) && (y.is_numeric() || y == Dynamic) => {
            (Real, Real)
        }
        (x, y) => {
            return Err(format!(
                "around() needs a value and a center of the same kind (numbers, datetimes or timespans), not {x} and {y}"
            ))
        }
    };
    let d = a[2].ty;
    let ok = match c {
        TimeSpan => matches!(d, TimeSpan | Dynamic),
        _ => d.is_numeric() || d == Dynamic,
    };
    if !ok {
        return Err(format!("argument 3 of around() must be {c}, not {d}"));
    }
    Ok(Typed {
        ret: Bool,
        args: vec![v, v, c],
    })
}

static AROUND: FunctionDef = FunctionDef::new(
    "around",
    C,
    "around(value, center, delta): bool",
    "Whether value is within [center - delta, center + delta]; numbers, datetimes (with a timespan delta) or timespans. Null when any argument is null.",
    around_typing,
    |ctx, args| {
        use kql_common::ScalarValue as S;
        rows_ok(ctx, args, |r| match (&r[0], &r[1], &r[2]) {
            (S::Real(v), S::Real(c), S::Real(d)) => S::Bool(*v >= c - d && *v <= c + d),
            (S::DateTime(v) | S::TimeSpan(v), S::DateTime(c) | S::TimeSpan(c), S::TimeSpan(d)) => {
                S::Bool(*v >= c.saturating_sub(*d) && *v <= c.saturating_add(*d))
            }
            _ => S::Null(KqlType::Bool),
        })
    },
)
.examples(&[
    Example {
        query: "range dt from datetime(2021-01-01 01:00) to datetime(2021-01-01 02:00) step 1min\n| where around(dt, datetime(2021-01-01 01:30), 1min)",
        output: "dt\n2021-01-01T01:29:00.0000000Z\n2021-01-01T01:30:00.0000000Z\n2021-01-01T01:31:00.0000000Z",
    },
    Example {
        query: "print a = around(100, 105, 5), b = around(1.5, 1, 0.4), c = around(2h, 1h, 30m), d = around(int(null), 1, 1)",
        output: "a,b,c,d\ntrue,false,false,",
    },
]);

/// The message of a failed assertion starts with this, so the planner can
/// report it under its own code.
pub const ASSERT_FAILED: &str = "assertion failed: ";

fn assert_typing(a: &[ArgInfo]) -> Result<Typed, String> {
    let t = sig("assert", a, 2, &[P::Bool, P::Str], KqlType::Bool)?;
    let message = match a[1].value {
        Some(kql_common::ScalarValue::String(m)) => m.clone(),
        _ => return Err("the message of assert() must be a constant string".into()),
    };
    match a[0].value {
        Some(kql_common::ScalarValue::Bool(true)) => Ok(t),
        Some(kql_common::ScalarValue::Bool(false)) => Err(format!("{ASSERT_FAILED}{message}")),
        Some(_) => Err(format!("{ASSERT_FAILED}{message} (the condition is null)")),
        None => Err(
            "the condition of assert() must be known while planning (a constant, or an expression of constants and function parameters)".into(),
        ),
    }
}

static ASSERT: FunctionDef = FunctionDef::new(
    "assert",
    C,
    "assert(condition: bool, message: string): bool",
    "Checks a condition while the query is planned: true when it holds; otherwise the query fails with the message. The condition must be constant (typically built from a user-defined function's parameters).",
    assert_typing,
    |_, args| Ok(arg(args, 0)?.array.clone()),
)
.examples(&[Example {
    query: "let checkLength = (len: long, s: string) {\n    assert(len > 0, \"Length must be greater than zero\") and strlen(s) > len\n};\ndatatable(input: string) ['123', '4567']\n| where checkLength(len = 3, input)",
    output: "input\n4567",
}]);
