//! Series: functions over dynamic arrays of numbers, as `make-series`
//! builds them (element-wise arithmetic and math, comparisons, statistics,
//! filling missing values, filters, fitting and seasonality).
//!
//! Each kernel reads every row's array once, computes over plain `f64` /
//! `i64` vectors and writes the result's JSON text. Elements that are not
//! numbers are missing (null).

use crate::kernel::{bools, reals, strs};
use crate::typing::{sig, P};
use crate::{Arg, ArgInfo, Category, Ctx, Example, FunctionDef, Typed};
use arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, StringArray, StringBuilder};
use kql_common::KqlType::{self, Dynamic, Real};
use std::fmt::Write;
use std::sync::Arc;

const C: Category = Category::Series;

pub static FUNCTIONS: &[&FunctionDef] = &[
    &SERIES_ADD,
    &SERIES_SUBTRACT,
    &SERIES_MULTIPLY,
    &SERIES_DIVIDE,
    &SERIES_POW,
    &SERIES_GREATER,
    &SERIES_GREATER_EQUALS,
    &SERIES_LESS,
    &SERIES_LESS_EQUALS,
    &SERIES_EQUALS,
    &SERIES_NOT_EQUALS,
    &SERIES_ABS,
    &SERIES_SIGN,
    &SERIES_CEILING,
    &SERIES_FLOOR,
    &SERIES_EXP,
    &SERIES_LOG,
    &SERIES_SIN,
    &SERIES_COS,
    &SERIES_TAN,
    &SERIES_ASIN,
    &SERIES_ACOS,
    &SERIES_ATAN,
    &SERIES_SUM,
    &SERIES_PRODUCT,
    &SERIES_STATS_DYNAMIC,
    &SERIES_FILL_BACKWARD,
    &SERIES_FILL_FORWARD,
    &SERIES_FILL_CONST,
    &SERIES_FILL_LINEAR,
    &SERIES_FIR,
    &SERIES_IIR,
    &SERIES_DOT_PRODUCT,
    &SERIES_COSINE_SIMILARITY,
    &SERIES_PEARSON_CORRELATION,
    &SERIES_SEASONAL,
    &SERIES_FIT_LINE_DYNAMIC,
    &SERIES_FIT_2LINES_DYNAMIC,
    &SERIES_OUTLIERS,
    &SERIES_DECOMPOSE,
    &SERIES_DECOMPOSE_FORECAST,
    &SERIES_DECOMPOSE_ANOMALIES,
];

/// One element of a series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Num {
    I(i64),
    F(f64),
}

impl Num {
    fn f(self) -> f64 {
        match self {
            Num::I(x) => x as f64,
            Num::F(x) => x,
        }
    }
}

/// The elements of a JSON array (missing where not a number); `None` when
/// the text is not an array.
pub(crate) fn parse_series(text: &str) -> Option<Vec<Option<Num>>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let serde_json::Value::Array(items) = v else {
        return None;
    };
    Some(items.iter().map(num_of).collect())
}

fn num_of(v: &serde_json::Value) -> Option<Num> {
    match v {
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Some(Num::I(i)),
            None => n.as_f64().map(Num::F),
        },
        serde_json::Value::Bool(b) => Some(Num::I(i64::from(*b))),
        _ => None,
    }
}

/// An argument that is an array, or a number applied to every element.
enum Operand {
    Series(Vec<Option<Num>>),
    Scalar(Option<Num>),
}

impl Operand {
    fn parse(text: Option<&str>) -> Operand {
        let Some(text) = text else {
            return Operand::Scalar(None);
        };
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Array(items)) => {
                Operand::Series(items.iter().map(num_of).collect())
            }
            Ok(v) => Operand::Scalar(num_of(&v)),
            Err(_) => Operand::Scalar(None),
        }
    }

    fn len(&self) -> Option<usize> {
        match self {
            Operand::Series(v) => Some(v.len()),
            Operand::Scalar(_) => None,
        }
    }

    fn get(&self, i: usize) -> Option<Num> {
        match self {
            Operand::Series(v) => v.get(i).copied().flatten(),
            Operand::Scalar(x) => *x,
        }
    }
}

/// Row `i` of a dynamic argument as text (None when null).
fn text(a: &StringArray, i: usize) -> Option<&str> {
    if a.is_null(i) {
        None
    } else {
        Some(a.value(i)).filter(|s| !s.is_empty())
    }
}

fn write_f64(out: &mut String, x: f64) {
    match serde_json::Number::from_f64(x) {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.push_str("null"),
    }
}

fn write_num(out: &mut String, x: Option<Num>) {
    match x {
        Some(Num::I(i)) => {
            let _ = write!(out, "{i}");
        }
        Some(Num::F(f)) => write_f64(out, f),
        None => out.push_str("null"),
    }
}

fn write_array(out: &mut String, xs: &[Option<Num>]) {
    out.push('[');
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_num(out, *x);
    }
    out.push(']');
}

fn write_reals(out: &mut String, xs: &[f64]) {
    out.push('[');
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_f64(out, *x);
    }
    out.push(']');
}

/// A dynamic result per row: `f` gets the row index and writes the JSON
/// text, or returns false for null.
fn dyn_rows(len: usize, mut f: impl FnMut(usize, &mut String) -> bool) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(len, len * 16);
    let mut buf = String::new();
    for i in 0..len {
        buf.clear();
        if f(i, &mut buf) {
            b.append_value(&buf);
        } else {
            b.append_null();
        }
    }
    Arc::new(b.finish())
}

/// A real result per row.
fn real_rows(len: usize, f: impl FnMut(usize) -> Option<f64>) -> ArrayRef {
    let out: Float64Array = (0..len).map(f).collect();
    Arc::new(out)
}

/// Reads each row's series of argument `i` (rows with the same text as
/// the row before are parsed once).
struct Rows<'a> {
    a: &'a StringArray,
    last: Option<(usize, Option<Vec<Option<Num>>>)>,
}

impl<'a> Rows<'a> {
    fn new(args: &'a [Arg], i: usize) -> Result<Self, String> {
        Ok(Rows {
            a: strs(args, i)?,
            last: None,
        })
    }

    fn get(&mut self, i: usize) -> Option<&Vec<Option<Num>>> {
        let same = match &self.last {
            Some((j, _)) => text(self.a, *j) == text(self.a, i),
            None => false,
        };
        if !same {
            self.last = Some((i, text(self.a, i).and_then(parse_series)));
        }
        self.last.as_ref().and_then(|(_, v)| v.as_ref())
    }
}

fn one_series(name: &str, a: &[ArgInfo], ret: KqlType) -> Result<Typed, String> {
    sig(name, a, 1, &[P::Dyn], ret)
}

// ---------------------------------------------------------------- element-wise

/// Element-wise over two operands (arrays or numbers); the result is as
/// long as the longer array, null where either element is missing.
fn binary(ctx: &Ctx, args: &[Arg], f: fn(Num, Num) -> Option<Num>) -> Result<ArrayRef, String> {
    let (a, b) = (strs(args, 0)?, strs(args, 1)?);
    Ok(dyn_rows(ctx.len, |i, out| {
        let x = Operand::parse(text(a, i));
        let y = Operand::parse(text(b, i));
        let n = match (x.len(), y.len()) {
            (Some(m), Some(n)) => m.max(n),
            (Some(m), None) | (None, Some(m)) => m,
            (None, None) => return false,
        };
        let v: Vec<Option<Num>> = (0..n)
            .map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => f(p, q),
                _ => None,
            })
            .collect();
        write_array(out, &v);
        true
    }))
}

fn int_or_real(
    p: Num,
    q: Num,
    i: fn(i64, i64) -> Option<i64>,
    r: fn(f64, f64) -> f64,
) -> Option<Num> {
    match (p, q) {
        (Num::I(a), Num::I(b)) => match i(a, b) {
            Some(v) => Some(Num::I(v)),
            None => Some(Num::F(r(a as f64, b as f64))),
        },
        _ => Some(Num::F(r(p.f(), q.f()))),
    }
}

fn finite(x: f64) -> Option<Num> {
    x.is_finite().then_some(Num::F(x))
}

fn two_series(name: &str, a: &[ArgInfo]) -> Result<Typed, String> {
    sig(name, a, 2, &[P::Dyn, P::Dyn], Dynamic)
}

macro_rules! binary_fn {
    ($id:ident, $name:literal, $doc:literal, $f:expr, $ex:expr) => {
        static $id: FunctionDef = FunctionDef::new(
            $name,
            C,
            concat!($name, "(series1: dynamic, series2: dynamic): dynamic"),
            $doc,
            |a| two_series($name, a),
            |ctx, args| binary(ctx, args, $f),
        )
        .examples($ex);
    };
}

binary_fn!(
    SERIES_ADD,
    "series_add",
    "Element-wise sum of two numeric arrays (or an array and a number); whole numbers stay whole. A missing or non-numeric element gives null.",
    |p, q| int_or_real(p, q, i64::checked_add, |a, b| a + b),
    &[Example {
        query: "print s = series_add(dynamic([1, 2, 4]), dynamic([4, 2.5, null]))",
        output: "s\n\"[5,4.5,null]\"",
    }]
);
binary_fn!(
    SERIES_SUBTRACT,
    "series_subtract",
    "Element-wise difference of two numeric arrays (or an array and a number).",
    |p, q| int_or_real(p, q, i64::checked_sub, |a, b| a - b),
    &[Example {
        query: "print s = series_subtract(dynamic([1, 2, 4]), dynamic([4, 2, 1]))",
        output: "s\n\"[-3,0,3]\"",
    }]
);
binary_fn!(
    SERIES_MULTIPLY,
    "series_multiply",
    "Element-wise product of two numeric arrays (or an array and a number).",
    |p, q| int_or_real(p, q, i64::checked_mul, |a, b| a * b),
    &[Example {
        query: "print s = series_multiply(dynamic([1, 2, 4]), 3)",
        output: "s\n\"[3,6,12]\"",
    }]
);
binary_fn!(
    SERIES_DIVIDE,
    "series_divide",
    "Element-wise quotient of two numeric arrays (or an array and a number), as reals; division by zero gives null.",
    |p, q| finite(p.f() / q.f()),
    &[Example {
        query: "print s = series_divide(dynamic([1, 2, 4]), dynamic([4, 2, 0]))",
        output: "s\n\"[0.25,1.0,null]\"",
    }]
);
binary_fn!(
    SERIES_POW,
    "series_pow",
    "Element-wise power of two numeric arrays (or an array and a number), as reals.",
    |p, q| finite(p.f().powf(q.f())),
    &[Example {
        query: "print s = series_pow(dynamic([1, 2, 3, 4]), dynamic([1, 2, 3, 0.5]))",
        output: "s\n\"[1.0,4.0,27.0,2.0]\"",
    }]
);

/// Element-wise comparison: a bool array.
fn compare(ctx: &Ctx, args: &[Arg], f: fn(f64, f64) -> bool) -> Result<ArrayRef, String> {
    let (a, b) = (strs(args, 0)?, strs(args, 1)?);
    Ok(dyn_rows(ctx.len, |i, out| {
        let x = Operand::parse(text(a, i));
        let y = Operand::parse(text(b, i));
        let n = match (x.len(), y.len()) {
            (Some(m), Some(n)) => m.max(n),
            (Some(m), None) | (None, Some(m)) => m,
            (None, None) => return false,
        };
        out.push('[');
        for k in 0..n {
            if k > 0 {
                out.push(',');
            }
            match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => out.push_str(if f(p.f(), q.f()) { "true" } else { "false" }),
                _ => out.push_str("null"),
            }
        }
        out.push(']');
        true
    }))
}

macro_rules! compare_fn {
    ($id:ident, $name:literal, $doc:literal, $f:expr, $out:literal) => {
        static $id: FunctionDef = FunctionDef::new(
            $name,
            C,
            concat!($name, "(series1: dynamic, series2: dynamic): dynamic"),
            $doc,
            |a| two_series($name, a),
            |ctx, args| compare(ctx, args, $f),
        )
        .examples(&[Example {
            query: concat!(
                "print s = ",
                $name,
                "(dynamic([1, 2, 4]), dynamic([4, 2, 1]))"
            ),
            output: $out,
        }]);
    };
}

compare_fn!(
    SERIES_GREATER,
    "series_greater",
    "Element-wise `>` of two numeric arrays (or an array and a number): an array of bools.",
    |a, b| a > b,
    "s\n\"[false,false,true]\""
);
compare_fn!(
    SERIES_GREATER_EQUALS,
    "series_greater_equals",
    "Element-wise `>=` of two numeric arrays (or an array and a number).",
    |a, b| a >= b,
    "s\n\"[false,true,true]\""
);
compare_fn!(
    SERIES_LESS,
    "series_less",
    "Element-wise `<` of two numeric arrays (or an array and a number).",
    |a, b| a < b,
    "s\n\"[true,false,false]\""
);
compare_fn!(
    SERIES_LESS_EQUALS,
    "series_less_equals",
    "Element-wise `<=` of two numeric arrays (or an array and a number).",
    |a, b| a <= b,
    "s\n\"[true,true,false]\""
);
compare_fn!(
    SERIES_EQUALS,
    "series_equals",
    "Element-wise `==` of two numeric arrays (or an array and a number).",
    |a, b| a == b,
    "s\n\"[false,true,false]\""
);
compare_fn!(
    SERIES_NOT_EQUALS,
    "series_not_equals",
    "Element-wise `!=` of two numeric arrays (or an array and a number).",
    |a, b| a != b,
    "s\n\"[true,false,true]\""
);

/// A function of each element.
fn unary(ctx: &Ctx, args: &[Arg], f: fn(Num) -> Option<Num>) -> Result<ArrayRef, String> {
    let mut rows = Rows::new(args, 0)?;
    Ok(dyn_rows(ctx.len, |i, out| match rows.get(i) {
        Some(v) => {
            let r: Vec<Option<Num>> = v.iter().map(|x| x.and_then(f)).collect();
            write_array(out, &r);
            true
        }
        None => false,
    }))
}

macro_rules! unary_fn {
    ($id:ident, $name:literal, $doc:literal, $f:expr, $q:literal, $out:literal) => {
        static $id: FunctionDef = FunctionDef::new(
            $name,
            C,
            concat!($name, "(series: dynamic): dynamic"),
            $doc,
            |a| one_series($name, a, Dynamic),
            |ctx, args| unary(ctx, args, $f),
        )
        .examples(&[Example {
            query: concat!("print s = ", $name, "(dynamic(", $q, "))"),
            output: $out,
        }]);
    };
}

unary_fn!(
    SERIES_ABS,
    "series_abs",
    "The absolute value of each element; whole numbers stay whole.",
    |x| match x {
        Num::I(i) => i.checked_abs().map(Num::I),
        Num::F(f) => Some(Num::F(f.abs())),
    },
    "[-6.5, 0, 8.2]",
    "s\n\"[6.5,0,8.2]\""
);
unary_fn!(
    SERIES_SIGN,
    "series_sign",
    "The sign of each element: -1, 0 or 1.",
    |x| match x {
        Num::I(i) => Some(Num::I(i.signum())),
        Num::F(0.0) => Some(Num::F(0.0)),
        Num::F(f) if f.is_nan() => None,
        Num::F(f) => Some(Num::F(f.signum())),
    },
    "[-6, 0, 8]",
    "s\n\"[-1,0,1]\""
);
unary_fn!(
    SERIES_CEILING,
    "series_ceiling",
    "The smallest whole number not below each element, as reals.",
    |x| finite(x.f().ceil()),
    "[-1.5, 1, 2.5]",
    "s\n\"[-1.0,1.0,3.0]\""
);
unary_fn!(
    SERIES_FLOOR,
    "series_floor",
    "The largest whole number not above each element, as reals.",
    |x| finite(x.f().floor()),
    "[-1.5, 1, 2.5]",
    "s\n\"[-2.0,1.0,2.0]\""
);
unary_fn!(
    SERIES_EXP,
    "series_exp",
    "e raised to each element.",
    |x| finite(x.f().exp()),
    "[0, 1]",
    "s\n\"[1.0,2.718281828459045]\""
);
unary_fn!(
    SERIES_LOG,
    "series_log",
    "The natural logarithm of each element; null for elements that are not positive.",
    |x| finite(x.f().ln()),
    "[1, 2, 0]",
    "s\n\"[0.0,0.6931471805599453,null]\""
);
unary_fn!(
    SERIES_SIN,
    "series_sin",
    "The sine of each element (radians).",
    |x| finite(x.f().sin()),
    "[0, 1]",
    "s\n\"[0.0,0.8414709848078965]\""
);
unary_fn!(
    SERIES_COS,
    "series_cos",
    "The cosine of each element (radians).",
    |x| finite(x.f().cos()),
    "[0, 1]",
    "s\n\"[1.0,0.5403023058681398]\""
);
unary_fn!(
    SERIES_TAN,
    "series_tan",
    "The tangent of each element (radians).",
    |x| finite(x.f().tan()),
    "[0, 1]",
    "s\n\"[0.0,1.5574077246549023]\""
);
unary_fn!(
    SERIES_ASIN,
    "series_asin",
    "The arc sine of each element; null outside [-1, 1].",
    |x| finite(x.f().asin()),
    "[0, 1]",
    "s\n\"[0.0,1.5707963267948966]\""
);
unary_fn!(
    SERIES_ACOS,
    "series_acos",
    "The arc cosine of each element; null outside [-1, 1].",
    |x| finite(x.f().acos()),
    "[-1, 0, 1]",
    "s\n\"[3.141592653589793,1.5707963267948966,0.0]\""
);
unary_fn!(
    SERIES_ATAN,
    "series_atan",
    "The arc tangent of each element.",
    |x| finite(x.f().atan()),
    "[-1, 0, 1]",
    "s\n\"[-0.7853981633974483,0.0,0.7853981633974483]\""
);

// ---------------------------------------------------------------- reductions

/// The numeric elements of a series (missing ones left out).
fn values(v: &[Option<Num>]) -> Vec<f64> {
    v.iter().flatten().map(|x| x.f()).collect()
}

fn reduce(ctx: &Ctx, args: &[Arg], f: fn(&[f64]) -> Option<f64>) -> Result<ArrayRef, String> {
    let mut rows = Rows::new(args, 0)?;
    Ok(real_rows(ctx.len, |i| {
        rows.get(i).and_then(|v| f(&values(v)))
    }))
}

static SERIES_SUM: FunctionDef = FunctionDef::new(
    "series_sum",
    C,
    "series_sum(series: dynamic): real",
    "The sum of the numeric elements.",
    |a| one_series("series_sum", a, Real),
    |ctx, args| reduce(ctx, args, |v| Some(v.iter().sum())),
)
.examples(&[Example {
    query: "print s = series_sum(dynamic([1, 2, 3, 4]))",
    output: "s\n10.0",
}]);

static SERIES_PRODUCT: FunctionDef = FunctionDef::new(
    "series_product",
    C,
    "series_product(series: dynamic): real",
    "The product of the numeric elements.",
    |a| one_series("series_product", a, Real),
    |ctx, args| reduce(ctx, args, |v| Some(v.iter().product())),
)
.examples(&[Example {
    query: "print s = series_product(dynamic([1, 2, 3, 4]))",
    output: "s\n24.0",
}]);

/// min, min_idx, max, max_idx, avg, stdev, variance, sum, len of a series.
pub(crate) struct Stats {
    pub min: f64,
    pub min_idx: usize,
    pub max: f64,
    pub max_idx: usize,
    pub avg: f64,
    pub stdev: f64,
    pub variance: f64,
    pub sum: f64,
    pub len: usize,
}

/// The statistics of the numeric elements (sample variance); `None` when
/// there are none.
pub(crate) fn stats(v: &[Option<Num>], ignore_nonfinite: bool) -> Option<Stats> {
    let mut xs: Vec<(usize, f64)> = Vec::with_capacity(v.len());
    for (i, x) in v.iter().enumerate() {
        match x.map(Num::f) {
            Some(f) if f.is_finite() || !ignore_nonfinite => xs.push((i, f)),
            _ => {}
        }
    }
    let (&(i0, x0), _) = xs.split_first()?;
    let (mut min, mut min_idx, mut max, mut max_idx) = (x0, i0, x0, i0);
    for &(i, x) in &xs {
        if x < min {
            (min, min_idx) = (x, i);
        }
        if x > max {
            (max, max_idx) = (x, i);
        }
    }
    let n = xs.len() as f64;
    let sum: f64 = xs.iter().map(|p| p.1).sum();
    let avg = sum / n;
    let variance = if xs.len() > 1 {
        xs.iter().map(|p| (p.1 - avg).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    Some(Stats {
        min,
        min_idx,
        max,
        max_idx,
        avg,
        stdev: variance.sqrt(),
        variance,
        sum,
        len: xs.len(),
    })
}

static SERIES_STATS_DYNAMIC: FunctionDef = FunctionDef::new(
    "series_stats_dynamic",
    C,
    "series_stats_dynamic(series: dynamic [, ignore_nonfinite: bool]): dynamic",
    "A property bag of the statistics of the numeric elements: `min`, `min_idx`, `max`, `max_idx`, `avg`, `stdev`, `variance` (sample), `sum` and `len`. `series_stats(x)` gives the first seven as columns.",
    |a| sig("series_stats_dynamic", a, 1, &[P::Dyn, P::Bool], Dynamic),
    |ctx, args| {
        let mut rows = Rows::new(args, 0)?;
        let ignore = args.get(1).map(|_| bools(args, 1)).transpose()?;
        Ok(dyn_rows(ctx.len, |i, out| {
            let ig = ignore.is_some_and(|b| b.is_valid(i) && b.value(i));
            let Some(v) = rows.get(i) else {
                return false;
            };
            let Some(s) = stats(v, ig) else {
                return false;
            };
            out.push_str("{\"min\":");
            write_f64(out, s.min);
            let _ = write!(out, ",\"min_idx\":{},\"max\":", s.min_idx);
            write_f64(out, s.max);
            let _ = write!(out, ",\"max_idx\":{},\"avg\":", s.max_idx);
            write_f64(out, s.avg);
            out.push_str(",\"stdev\":");
            write_f64(out, s.stdev);
            out.push_str(",\"variance\":");
            write_f64(out, s.variance);
            out.push_str(",\"sum\":");
            write_f64(out, s.sum);
            let _ = write!(out, ",\"len\":{}}}", s.len);
            true
        }))
    },
)
.examples(&[Example {
    query: "print s = series_stats_dynamic(dynamic([4, 2, 6]))",
    output: "s\n\"{\"\"min\"\":2.0,\"\"min_idx\"\":1,\"\"max\"\":6.0,\"\"max_idx\"\":2,\"\"avg\"\":4.0,\"\"stdev\"\":2.0,\"\"variance\"\":4.0,\"\"sum\"\":12.0,\"\"len\"\":3}\"",
}]);

// ---------------------------------------------------------------- filling

/// Which elements are missing: null (and non-numbers), or those equal to
/// the placeholder argument at `i` when it is given and not null.
fn missing_marks(v: &[Option<Num>], placeholder: Option<f64>) -> Vec<bool> {
    v.iter()
        .map(|x| match (x, placeholder) {
            (None, _) => true,
            (Some(x), Some(p)) => x.f() == p,
            (Some(_), None) => false,
        })
        .collect()
}

fn placeholder(args: &[Arg], i: usize, row: usize) -> Result<Option<f64>, String> {
    if args.get(i).is_none() {
        return Ok(None);
    }
    let r = reals(args, i)?;
    Ok(r.is_valid(row).then(|| r.value(row)))
}

fn fill_direction(ctx: &Ctx, args: &[Arg], forward: bool) -> Result<ArrayRef, String> {
    let mut rows = Rows::new(args, 0)?;
    let mut result = Vec::new();
    for i in 0..ctx.len {
        let p = placeholder(args, 1, i)?;
        result.push(rows.get(i).map(|v| {
            let miss = missing_marks(v, p);
            let mut out: Vec<Option<Num>> = v.clone();
            let mut last: Option<Option<Num>> = None;
            let order: Box<dyn Iterator<Item = usize>> = if forward {
                Box::new(0..v.len())
            } else {
                Box::new((0..v.len()).rev())
            };
            for k in order {
                if miss.get(k).copied().unwrap_or(true) {
                    if let (Some(l), Some(o)) = (last, out.get_mut(k)) {
                        *o = l;
                    }
                } else {
                    last = Some(v.get(k).copied().flatten());
                }
            }
            out
        }));
    }
    Ok(dyn_rows(ctx.len, |i, out| match result.get(i) {
        Some(Some(v)) => {
            write_array(out, v);
            true
        }
        _ => false,
    }))
}

static SERIES_FILL_BACKWARD: FunctionDef = FunctionDef::new(
    "series_fill_backward",
    C,
    "series_fill_backward(series: dynamic [, missing_value_placeholder]): dynamic",
    "Replaces each missing element (null, or equal to the placeholder) with the next present one; trailing missing elements stay.",
    |a| sig("series_fill_backward", a, 1, &[P::Dyn, P::Real], Dynamic),
    |ctx, args| fill_direction(ctx, args, false),
)
.examples(&[Example {
    query: "print s = series_fill_backward(dynamic([111, null, 36, 41, null, null, 16, 61, 33, null, null]))",
    output: "s\n\"[111,36,36,41,16,16,16,61,33,null,null]\"",
}]);

static SERIES_FILL_FORWARD: FunctionDef = FunctionDef::new(
    "series_fill_forward",
    C,
    "series_fill_forward(series: dynamic [, missing_value_placeholder]): dynamic",
    "Replaces each missing element (null, or equal to the placeholder) with the previous present one; leading missing elements stay.",
    |a| sig("series_fill_forward", a, 1, &[P::Dyn, P::Real], Dynamic),
    |ctx, args| fill_direction(ctx, args, true),
)
.examples(&[Example {
    query: "print s = series_fill_forward(dynamic([null, null, 36, 41, null, null, 16, 61, 33, null, null]))",
    output: "s\n\"[null,null,36,41,41,41,16,61,33,33,33]\"",
}]);

static SERIES_FILL_CONST: FunctionDef = FunctionDef::new(
    "series_fill_const",
    C,
    "series_fill_const(series: dynamic, constant_value [, missing_value_placeholder]): dynamic",
    "Replaces each missing element (null, or equal to the placeholder) with the constant.",
    |a| sig("series_fill_const", a, 2, &[P::Dyn, P::Dyn, P::Real], Dynamic),
    |ctx, args| {
        let mut rows = Rows::new(args, 0)?;
        let c = strs(args, 1)?;
        let mut result = Vec::new();
        for i in 0..ctx.len {
            let p = placeholder(args, 2, i)?;
            let fill = text(c, i)
                .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
                .and_then(|v| num_of(&v));
            result.push(rows.get(i).map(|v| {
                let miss = missing_marks(v, p);
                v.iter()
                    .zip(miss)
                    .map(|(x, m)| if m { fill } else { *x })
                    .collect::<Vec<_>>()
            }));
        }
        Ok(dyn_rows(ctx.len, |i, out| match result.get(i) {
            Some(Some(v)) => {
                write_array(out, v);
                true
            }
            _ => false,
        }))
    },
)
.examples(&[Example {
    query: "print s = series_fill_const(dynamic([111, null, 36, 41, 23, null, 16, 61, 33, null, null]), 0.0)",
    output: "s\n\"[111,0.0,36,41,23,0.0,16,61,33,0.0,0.0]\"",
}]);

/// Linear interpolation of the missing elements of `v`.
fn fill_linear(
    v: &[Option<Num>],
    miss: &[bool],
    edges: bool,
    constant: Option<Num>,
) -> Vec<Option<Num>> {
    let present: Vec<usize> = (0..v.len())
        .filter(|&k| !miss.get(k).copied().unwrap_or(true))
        .collect();
    if present.is_empty() {
        return vec![Some(constant.unwrap_or(Num::F(0.0))); v.len()];
    }
    let ints = present
        .iter()
        .all(|&k| matches!(v.get(k), Some(Some(Num::I(_)))));
    let at = |k: usize| v.get(k).copied().flatten().map_or(f64::NAN, Num::f);
    let mut out: Vec<Option<Num>> = v.to_vec();
    for w in present.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (ya, yb) = (at(a), at(b));
        for k in a + 1..b {
            let y = ya + (yb - ya) * (k - a) as f64 / (b - a) as f64;
            if let Some(o) = out.get_mut(k) {
                *o = Some(if ints {
                    Num::I(y.trunc() as i64)
                } else {
                    Num::F(y)
                });
            }
        }
    }
    if edges {
        let (first, last) = (present[0], present[present.len() - 1]);
        let (head, tail) = (
            v.get(first).copied().flatten(),
            v.get(last).copied().flatten(),
        );
        for o in out.iter_mut().take(first) {
            *o = head;
        }
        for o in out.iter_mut().skip(last + 1) {
            *o = tail;
        }
    }
    out
}

static SERIES_FILL_LINEAR: FunctionDef = FunctionDef::new(
    "series_fill_linear",
    C,
    "series_fill_linear(series: dynamic [, missing_value_placeholder [, fill_edges: bool [, constant_value]]]): dynamic",
    "Fills missing elements (null, or equal to the placeholder) by linear interpolation between the present neighbours; with `fill_edges` (the default) leading and trailing missing elements take the nearest present value. An array of whole numbers gets whole (truncated) values. When no element is present, every element becomes `constant_value` (default 0).",
    |a| sig("series_fill_linear", a, 1, &[P::Dyn, P::Real, P::Bool, P::Dyn], Dynamic),
    |ctx, args| {
        let mut rows = Rows::new(args, 0)?;
        let edges = args.get(2).map(|_| bools(args, 2)).transpose()?;
        let constant = args.get(3).map(|_| strs(args, 3)).transpose()?;
        let mut result = Vec::new();
        for i in 0..ctx.len {
            let p = placeholder(args, 1, i)?;
            let e = edges.is_none_or(|b| !b.is_valid(i) || b.value(i));
            let c = constant
                .and_then(|c| text(c, i))
                .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
                .and_then(|v| num_of(&v));
            result.push(rows.get(i).map(|v| {
                let miss = missing_marks(v, p);
                fill_linear(v, &miss, e, c)
            }));
        }
        Ok(dyn_rows(ctx.len, |i, out| match result.get(i) {
            Some(Some(v)) => {
                write_array(out, v);
                true
            }
            _ => false,
        }))
    },
)
.examples(&[Example {
    query: "print a = series_fill_linear(dynamic([null, 111.0, null, 36.0, 41.0, null, null, 16.0])), b = series_fill_linear(dynamic([null, 1, null, 4]), real(null), false)",
    output: "a,b\n\"[111.0,111.0,73.5,36.0,41.0,32.666666666666664,24.333333333333332,16.0]\",\"[null,1,2,4]\"",
}]);

// ---------------------------------------------------------------- filters

/// The numeric elements of a constant coefficient array.
fn coefficients(a: &StringArray, i: usize) -> Option<Vec<f64>> {
    let v = parse_series(text(a, i)?)?;
    Some(v.iter().map(|x| x.map_or(0.0, Num::f)).collect())
}

static SERIES_FIR: FunctionDef = FunctionDef::new(
    "series_fir",
    C,
    "series_fir(series: dynamic, filter: dynamic [, normalize: bool [, center: bool]]): dynamic",
    "Applies a finite impulse response filter: each output element is the sum of the filter coefficients times the current and preceding elements (missing and out-of-range elements count as 0). `normalize` (default true unless a coefficient is negative) divides by the sum of the coefficients; `center` aligns the filter's middle with the current element instead of its end.",
    |a| sig("series_fir", a, 2, &[P::Dyn, P::Dyn, P::Bool, P::Bool], Dynamic),
    |ctx, args| {
        let mut rows = Rows::new(args, 0)?;
        let filt = strs(args, 1)?;
        let norm = args.get(2).map(|_| bools(args, 2)).transpose()?;
        let center = args.get(3).map(|_| bools(args, 3)).transpose()?;
        let flag = |b: Option<&BooleanArray>, i: usize| b.and_then(|b| b.is_valid(i).then(|| b.value(i)));
        let mut result = Vec::new();
        for i in 0..ctx.len {
            let (Some(v), Some(f)) = (rows.get(i).cloned(), coefficients(filt, i)) else {
                result.push(None);
                continue;
            };
            let negative = f.iter().any(|c| *c < 0.0);
            let normalize = flag(norm, i).unwrap_or(!negative);
            let total: f64 = f.iter().sum();
            if normalize && (negative || total == 0.0) {
                result.push(None);
                continue;
            }
            let scale = if normalize { total } else { 1.0 };
            let shift = if flag(center, i).unwrap_or(false) {
                (f.len().saturating_sub(1)) / 2
            } else {
                0
            };
            let x = |k: isize| -> f64 {
                usize::try_from(k)
                    .ok()
                    .and_then(|k| v.get(k).copied().flatten())
                    .map_or(0.0, Num::f)
            };
            let y: Vec<f64> = (0..v.len())
                .map(|n| {
                    let n = (n + shift) as isize;
                    f.iter()
                        .enumerate()
                        .map(|(j, c)| c * x(n - j as isize))
                        .sum::<f64>()
                        / scale
                })
                .collect();
            result.push(Some(y));
        }
        Ok(dyn_rows(ctx.len, |i, out| match result.get(i) {
            Some(Some(v)) => {
                write_reals(out, v);
                true
            }
            _ => false,
        }))
    },
)
.examples(&[Example {
    query: "print avg3 = series_fir(dynamic([3, 6, 9, 12]), dynamic([1, 1, 1])), diff = series_fir(dynamic([0, 2, 2, 5]), dynamic([1, -1]))",
    output: "avg3,diff\n\"[1.0,3.0,6.0,9.0]\",\"[0.0,2.0,0.0,3.0]\"",
}]);

static SERIES_IIR: FunctionDef = FunctionDef::new(
    "series_iir",
    C,
    "series_iir(series: dynamic, numerators: dynamic, denominators: dynamic): dynamic",
    "Applies an infinite impulse response filter: y[n] = (Σ b[k]·x[n-k] − Σ_{k≥1} a[k]·y[n-k]) / a[0], with b the numerators and a the denominators (missing elements count as 0).",
    |a| sig("series_iir", a, 3, &[P::Dyn, P::Dyn, P::Dyn], Dynamic),
    |ctx, args| {
        let mut rows = Rows::new(args, 0)?;
        let (bs, as_) = (strs(args, 1)?, strs(args, 2)?);
        Ok(dyn_rows(ctx.len, |i, out| {
            let (Some(v), Some(b), Some(a)) = (rows.get(i), coefficients(bs, i), coefficients(as_, i)) else {
                return false;
            };
            let Some(&a0) = a.first().filter(|a0| **a0 != 0.0) else {
                return false;
            };
            let x: Vec<f64> = v.iter().map(|e| e.map_or(0.0, Num::f)).collect();
            let mut y: Vec<f64> = Vec::with_capacity(x.len());
            for n in 0..x.len() {
                let mut acc = 0.0;
                for (k, bk) in b.iter().enumerate() {
                    if let Some(xv) = n.checked_sub(k).and_then(|j| x.get(j)) {
                        acc += bk * xv;
                    }
                }
                for (k, ak) in a.iter().enumerate().skip(1) {
                    if let Some(yv) = n.checked_sub(k).and_then(|j| y.get(j)) {
                        acc -= ak * yv;
                    }
                }
                y.push(acc / a0);
            }
            write_reals(out, &y);
            true
        }))
    },
)
.examples(&[Example {
    query: "print cumsum = series_iir(dynamic([1, 2, 3, 4]), dynamic([1]), dynamic([1, -1]))",
    output: "cumsum\n\"[1.0,3.0,6.0,10.0]\"",
}]);

// ---------------------------------------------------------------- two series

/// Both operands as reals of the same length (a number repeats); `None`
/// unless at least one is an array.
fn pair(a: &StringArray, b: &StringArray, i: usize) -> Option<(Vec<f64>, Vec<f64>)> {
    let x = Operand::parse(text(a, i));
    let y = Operand::parse(text(b, i));
    let n = match (x.len(), y.len()) {
        (Some(m), Some(n)) => m.min(n),
        (Some(m), None) | (None, Some(m)) => m,
        (None, None) => return None,
    };
    let g = |o: &Operand, k: usize| o.get(k).map_or(0.0, Num::f);
    Some((
        (0..n).map(|k| g(&x, k)).collect(),
        (0..n).map(|k| g(&y, k)).collect(),
    ))
}

static SERIES_DOT_PRODUCT: FunctionDef = FunctionDef::new(
    "series_dot_product",
    C,
    "series_dot_product(series1: dynamic, series2: dynamic): real",
    "The dot product of two numeric arrays (a number stands for an array of that value); missing elements count as 0.",
    |a| sig("series_dot_product", a, 2, &[P::Dyn, P::Dyn], Real),
    |ctx, args| {
        let (a, b) = (strs(args, 0)?, strs(args, 1)?);
        Ok(real_rows(ctx.len, |i| {
            let (x, y) = pair(a, b, i)?;
            Some(x.iter().zip(&y).map(|(p, q)| p * q).sum())
        }))
    },
)
.examples(&[Example {
    query: "print a = series_dot_product(dynamic([1, 2, 4]), dynamic([4, 2, 1])), b = series_dot_product(dynamic([1, 2, 4]), 2)",
    output: "a,b\n12.0,14.0",
}]);

static SERIES_COSINE_SIMILARITY: FunctionDef = FunctionDef::new(
    "series_cosine_similarity",
    C,
    "series_cosine_similarity(series1: dynamic, series2: dynamic [, magnitude1: real [, magnitude2: real]]): real",
    "The cosine of the angle between two numeric arrays of the same length: their dot product over the product of their magnitudes (given or computed).",
    |a| sig("series_cosine_similarity", a, 2, &[P::Dyn, P::Dyn, P::Real, P::Real], Real),
    |ctx, args| {
        let (a, b) = (strs(args, 0)?, strs(args, 1)?);
        let m1 = args.get(2).map(|_| reals(args, 2)).transpose()?;
        let m2 = args.get(3).map(|_| reals(args, 3)).transpose()?;
        let given = |m: Option<&Float64Array>, i: usize| m.and_then(|m| m.is_valid(i).then(|| m.value(i)));
        Ok(real_rows(ctx.len, |i| {
            let x = parse_series(text(a, i)?)?;
            let y = parse_series(text(b, i)?)?;
            if x.len() != y.len() {
                return None;
            }
            let x: Vec<f64> = x.iter().map(|e| e.map_or(0.0, Num::f)).collect();
            let y: Vec<f64> = y.iter().map(|e| e.map_or(0.0, Num::f)).collect();
            let dot: f64 = x.iter().zip(&y).map(|(p, q)| p * q).sum();
            let n1 = given(m1, i).unwrap_or_else(|| x.iter().map(|p| p * p).sum::<f64>().sqrt());
            let n2 = given(m2, i).unwrap_or_else(|| y.iter().map(|p| p * p).sum::<f64>().sqrt());
            Some(dot / (n1 * n2))
        }))
    },
)
.examples(&[Example {
    query: "print s = series_cosine_similarity(dynamic([0.1, 0.2, 0.1, 0.2]), dynamic([1, 2, 3, 4]))",
    output: "s\n0.9237604307034012",
}]);

static SERIES_PEARSON_CORRELATION: FunctionDef = FunctionDef::new(
    "series_pearson_correlation",
    C,
    "series_pearson_correlation(series1: dynamic, series2: dynamic): real",
    "The Pearson correlation coefficient of two numeric arrays of the same length.",
    |a| sig("series_pearson_correlation", a, 2, &[P::Dyn, P::Dyn], Real),
    |ctx, args| {
        let (a, b) = (strs(args, 0)?, strs(args, 1)?);
        Ok(real_rows(ctx.len, |i| {
            let x = parse_series(text(a, i)?)?;
            let y = parse_series(text(b, i)?)?;
            if x.len() != y.len() || x.is_empty() {
                return None;
            }
            let x: Vec<f64> = x.iter().map(|e| e.map_or(0.0, Num::f)).collect();
            let y: Vec<f64> = y.iter().map(|e| e.map_or(0.0, Num::f)).collect();
            let n = x.len() as f64;
            let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
            let cov: f64 = x.iter().zip(&y).map(|(p, q)| (p - mx) * (q - my)).sum();
            let vx: f64 = x.iter().map(|p| (p - mx).powi(2)).sum();
            let vy: f64 = y.iter().map(|q| (q - my).powi(2)).sum();
            let r = cov / (vx * vy).sqrt();
            r.is_finite().then_some(r)
        }))
    },
)
.examples(&[Example {
    query:
        "print r = series_pearson_correlation(dynamic([1, 2, 3, 4, 5]), dynamic([2, 4, 6, 8, 10]))",
    output: "r\n1.0",
}]);

// ---------------------------------------------------------------- seasonality and fitting

/// The median of `v` (the mean of the middle two for an even count).
fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    })
}

/// The autocorrelation of `x` at lag `p`: the Pearson correlation of the
/// series with itself shifted by `p`.
fn autocorrelation(x: &[f64], p: usize) -> f64 {
    let n = x.len().saturating_sub(p);
    if n < 2 {
        return 0.0;
    }
    let (a, b) = (&x[..n], &x[p..p + n]);
    let k = n as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / k, b.iter().sum::<f64>() / k);
    let cov: f64 = a.iter().zip(b).map(|(p, q)| (p - ma) * (q - mb)).sum();
    let va: f64 = a.iter().map(|p| (p - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|q| (q - mb).powi(2)).sum();
    let r = cov / (va * vb).sqrt();
    if r.is_finite() {
        r
    } else {
        0.0
    }
}

/// The most significant period of `x`: after removing its linear trend,
/// the lag from 4 (the shortest period Kusto detects) to a quarter of the length with the highest
/// autocorrelation, if it reaches `threshold`.
fn detect_period(x: &[f64], threshold: f64) -> Option<usize> {
    // A trend correlates with itself at every lag: take it out first.
    let detrended: Vec<f64> = match fit_line(x) {
        Some(l) => x.iter().zip(&l.fit).map(|(v, f)| v - f).collect(),
        None => return None,
    };
    let x = detrended.as_slice();
    let mut best: Option<(usize, f64)> = None;
    for p in 4..=x.len() / 4 {
        let r = autocorrelation(x, p);
        if r >= threshold && best.is_none_or(|(_, b)| r > b + 1e-9) {
            best = Some((p, r));
        }
    }
    best.map(|(p, _)| p)
}

/// The seasonal component of `x` for period `p`: the median of the values
/// at each position of the period.
fn seasonal(x: &[f64], p: usize) -> Vec<f64> {
    let medians: Vec<f64> = (0..p)
        .map(|k| {
            let mut v: Vec<f64> = x.iter().skip(k).step_by(p).copied().collect();
            median(&mut v).unwrap_or(0.0)
        })
        .collect();
    (0..x.len()).map(|i| medians[i % p]).collect()
}

static SERIES_SEASONAL: FunctionDef = FunctionDef::new(
    "series_seasonal",
    C,
    "series_seasonal(series: dynamic [, period: long]): dynamic",
    "The seasonal component of a series: for each position within the period, the median of the values at that position across the periods. With no period (or -1), the period is the lag from 4 to a quarter of the length whose autocorrelation (after removing the linear trend) is highest and at least 0.7; when there is none, the result is all zeros.",
    |a| sig("series_seasonal", a, 1, &[P::Dyn, P::Long], Dynamic),
    |ctx, args| {
        let mut rows = Rows::new(args, 0)?;
        let period = args.get(1).map(|_| crate::kernel::longs(args, 1)).transpose()?;
        Ok(dyn_rows(ctx.len, |i, out| {
            let Some(v) = rows.get(i) else {
                return false;
            };
            let x: Vec<f64> = v.iter().map(|e| e.map_or(0.0, Num::f)).collect();
            let p = match period.and_then(|p| p.is_valid(i).then(|| p.value(i))) {
                Some(p) if p > 0 => usize::try_from(p).ok(),
                _ => detect_period(&x, 0.7),
            };
            let s = match p {
                Some(p) if p <= x.len() => seasonal(&x, p),
                _ => vec![0.0; x.len()],
            };
            write_reals(out, &s);
            true
        }))
    },
)
.examples(&[Example {
    query: "print a = series_seasonal(dynamic([1, 3, 5, 2, 4, 6, 1, 3, 5, 2, 4, 6]), 3), b = series_seasonal(dynamic([8, 12, 14, 12, 10, 10, 12, 14, 12, 10, 10, 12, 14, 12, 10, 10, 12, 14, 12, 10]))",
    output: "a,b\n\"[1.5,3.5,5.5,1.5,3.5,5.5,1.5,3.5,5.5,1.5,3.5,5.5]\",\"[10.0,12.0,14.0,12.0,10.0,10.0,12.0,14.0,12.0,10.0,10.0,12.0,14.0,12.0,10.0,10.0,12.0,14.0,12.0,10.0]\"",
}]);

/// A least-squares line through the points (1, y1), (2, y2), ...
pub(crate) struct Line {
    pub rsquare: f64,
    pub slope: f64,
    pub variance: f64,
    pub rvariance: f64,
    pub interception: f64,
    pub fit: Vec<f64>,
}

/// Fits a line to `y` (x = 1, 2, ...); variances are sample variances.
pub(crate) fn fit_line(y: &[f64]) -> Option<Line> {
    let n = y.len();
    if n == 0 {
        return None;
    }
    let k = n as f64;
    let xs: Vec<f64> = (1..=n).map(|i| i as f64).collect();
    let (mx, my) = (xs.iter().sum::<f64>() / k, y.iter().sum::<f64>() / k);
    let sxy: f64 = xs.iter().zip(y).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let interception = my - slope * mx;
    let fit: Vec<f64> = xs.iter().map(|x| slope * x + interception).collect();
    let ss_tot: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
    let ss_res: f64 = y.iter().zip(&fit).map(|(v, f)| (v - f).powi(2)).sum();
    let denom = if n > 1 { k - 1.0 } else { 1.0 };
    let rsquare = if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else {
        1.0
    };
    Some(Line {
        rsquare,
        slope,
        variance: ss_tot / denom,
        rvariance: ss_res / denom,
        interception,
        fit,
    })
}

static SERIES_FIT_LINE_DYNAMIC: FunctionDef = FunctionDef::new(
    "series_fit_line_dynamic",
    C,
    "series_fit_line_dynamic(series: dynamic): dynamic",
    "Fits a straight line to the series (x = 1, 2, ...) by least squares: a property bag of `rsquare`, `slope`, `variance`, `rvariance` (residual variance), `interception` and `line_fit` (the line's values). `series_fit_line(x)` gives the same as columns.",
    |a| one_series("series_fit_line_dynamic", a, Dynamic),
    |ctx, args| {
        let mut rows = Rows::new(args, 0)?;
        Ok(dyn_rows(ctx.len, |i, out| {
            let Some(v) = rows.get(i) else {
                return false;
            };
            let y: Vec<f64> = v.iter().map(|e| e.map_or(0.0, Num::f)).collect();
            let Some(l) = fit_line(&y) else {
                return false;
            };
            out.push_str("{\"rsquare\":");
            write_f64(out, l.rsquare);
            out.push_str(",\"slope\":");
            write_f64(out, l.slope);
            out.push_str(",\"variance\":");
            write_f64(out, l.variance);
            out.push_str(",\"rvariance\":");
            write_f64(out, l.rvariance);
            out.push_str(",\"interception\":");
            write_f64(out, l.interception);
            out.push_str(",\"line_fit\":");
            write_reals(out, &l.fit);
            out.push('}');
            true
        }))
    },
)
.examples(&[Example {
    query: "print f = series_fit_line_dynamic(dynamic([1, 3, 5, 7]))",
    output: "f\n\"{\"\"rsquare\"\":1.0,\"\"slope\"\":2.0,\"\"variance\"\":6.666666666666667,\"\"rvariance\"\":0.0,\"\"interception\"\":-1.0,\"\"line_fit\"\":[1.0,3.0,5.0,7.0]}\"",
}]);

/// The fields of a line fit as JSON members (after `{` or `,`).
fn write_line(out: &mut String, prefix: &str, l: &Line) {
    for (k, v) in [
        ("rsquare", l.rsquare),
        ("slope", l.slope),
        ("interception", l.interception),
        ("variance", l.variance),
        ("rvariance", l.rvariance),
    ] {
        let _ = write!(out, ",\"{prefix}{k}\":");
        write_f64(out, v);
    }
}

/// The best split of `y` into two fitted lines: (split index, left, right,
/// total r-square, residual variance, fitted values).
fn fit_2lines(y: &[f64]) -> Option<(usize, Line, Line, f64, f64, Vec<f64>)> {
    let n = y.len();
    if n < 4 {
        return None;
    }
    let k = n as f64;
    let my = y.iter().sum::<f64>() / k;
    let ss_tot: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
    let mut best: Option<(usize, Line, Line, f64)> = None;
    for split in 2..=n - 2 {
        let (Some(l), Some(r)) = (fit_line(&y[..split]), fit_line(&y[split..])) else {
            continue;
        };
        let res: f64 = y[..split]
            .iter()
            .zip(&l.fit)
            .chain(y[split..].iter().zip(&r.fit))
            .map(|(v, f)| (v - f).powi(2))
            .sum();
        if best.as_ref().is_none_or(|b| res < b.3) {
            best = Some((split, l, r, res));
        }
    }
    let (split, l, r, res) = best?;
    let rsquare = if ss_tot > 0.0 {
        1.0 - res / ss_tot
    } else {
        1.0
    };
    let fit: Vec<f64> = l.fit.iter().chain(&r.fit).copied().collect();
    Some((split, l, r, rsquare, res / (k - 1.0), fit))
}

static SERIES_FIT_2LINES_DYNAMIC: FunctionDef = FunctionDef::new(
    "series_fit_2lines_dynamic",
    C,
    "series_fit_2lines_dynamic(series: dynamic): dynamic",
    "Fits two lines to the series, split where the total squared residual is smallest (each part at least two points; the left part is the elements before `split_idx`, each part fitted as by series_fit_line): a property bag of `rsquare`, `split_idx`, `variance`, `rvariance`, `line_fit` and the `left_`/`right_` `rsquare`, `slope`, `interception`, `variance` and `rvariance`. `series_fit_2lines(x)` gives the same as columns.",
    |a| one_series("series_fit_2lines_dynamic", a, Dynamic),
    |ctx, args| {
        let mut rows = Rows::new(args, 0)?;
        Ok(dyn_rows(ctx.len, |i, out| {
            let Some(v) = rows.get(i) else {
                return false;
            };
            let y: Vec<f64> = v.iter().map(|e| e.map_or(0.0, Num::f)).collect();
            let Some((split, l, r, rsquare, rvariance, fit)) = fit_2lines(&y) else {
                return false;
            };
            let variance = fit_line(&y).map_or(0.0, |f| f.variance);
            out.push_str("{\"rsquare\":");
            write_f64(out, rsquare);
            let _ = write!(out, ",\"split_idx\":{split},\"variance\":");
            write_f64(out, variance);
            out.push_str(",\"rvariance\":");
            write_f64(out, rvariance);
            out.push_str(",\"line_fit\":");
            write_reals(out, &fit);
            write_line(out, "right_", &r);
            write_line(out, "left_", &l);
            out.push('}');
            true
        }))
    },
)
.examples(&[Example {
    query: "print f = series_fit_2lines_dynamic(dynamic([1, 2, 3, 4, 4, 3, 2, 1]))",
    output: "f\n\"{\"\"rsquare\"\":1.0,\"\"split_idx\"\":4,\"\"variance\"\":1.4285714285714286,\"\"rvariance\"\":0.0,\"\"line_fit\"\":[1.0,2.0,3.0,4.0,4.0,3.0,2.0,1.0],\"\"right_rsquare\"\":1.0,\"\"right_slope\"\":-1.0,\"\"right_interception\"\":5.0,\"\"right_variance\"\":1.6666666666666667,\"\"right_rvariance\"\":0.0,\"\"left_rsquare\"\":1.0,\"\"left_slope\"\":1.0,\"\"left_interception\"\":0.0,\"\"left_variance\"\":1.6666666666666667,\"\"left_rvariance\"\":0.0}\"",
}]);

/// The `p`th percentile of sorted values, interpolating linearly.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = (p / 100.0).clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let (a, b) = (sorted[lo], sorted[hi.min(sorted.len() - 1)]);
    a + (b - a) * (pos - lo as f64)
}

/// Tukey outlier scores: how many inter-quantile ranges each value lies
/// above the upper quantile (positive) or below the lower one (negative);
/// 0 inside the range and for missing values.
fn outlier_scores(x: &[Option<f64>], low: f64, high: f64) -> Vec<f64> {
    let mut sorted: Vec<f64> = x.iter().flatten().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let (q1, q3) = (quantile(&sorted, low), quantile(&sorted, high));
    let iqr = q3 - q1;
    x.iter()
        .map(|v| match v {
            Some(v) if *v > q3 && iqr > 0.0 => (v - q3) / iqr,
            Some(v) if *v < q1 && iqr > 0.0 => (v - q1) / iqr,
            _ => 0.0,
        })
        .collect()
}

/// The quantile range of an outlier method (`tukey`: 25/75, `ctukey`:
/// the given range, 10/90 by default).
fn outlier_range(kind: &str, low: Option<f64>, high: Option<f64>) -> Option<(f64, f64)> {
    match kind {
        "tukey" => Some((25.0, 75.0)),
        "ctukey" | "" => Some((low.unwrap_or(10.0), high.unwrap_or(90.0))),
        _ => None,
    }
}

static SERIES_OUTLIERS: FunctionDef = FunctionDef::new(
    "series_outliers",
    C,
    "series_outliers(series: dynamic [, kind: string [, ignore_val [, min_percentile [, max_percentile]]]]): dynamic",
    "Tukey's fences: for each element, how many inter-quantile ranges it lies above the upper quantile or (negative) below the lower one, 0 inside; above 1.5 or below -1.5 marks an anomaly. `kind` `tukey` uses the 25th and 75th percentiles, `ctukey` (the default) the given ones (10 and 90 by default). Missing elements and those equal to `ignore_val` score 0 and are left out of the quantiles (linearly interpolated).",
    |a| sig("series_outliers", a, 1, &[P::Dyn, P::Str, P::Real, P::Real, P::Real], Dynamic),
    |ctx, args| {
        let mut rows = Rows::new(args, 0)?;
        let kind = args.get(1).map(|_| strs(args, 1)).transpose()?;
        let opt = |i: usize, row: usize| -> Result<Option<f64>, String> { placeholder(args, i, row) };
        let mut result = Vec::with_capacity(ctx.len);
        for i in 0..ctx.len {
            let k = kind.map_or("ctukey", |k| crate::kernel::sv(k, i));
            let Some(range) = outlier_range(k, opt(3, i)?, opt(4, i)?) else {
                return Err(format!("series_outliers(): unknown kind `{k}` (tukey or ctukey)"));
            };
            if !(2.0..=98.0).contains(&range.0) || !(2.0..=98.0).contains(&range.1) || range.0 >= range.1 {
                return Err("series_outliers(): the percentiles must lie in [2, 98], the minimum below the maximum".to_string());
            }
            let ignore = opt(2, i)?;
            result.push(rows.get(i).map(|v| {
                let x: Vec<Option<f64>> = v
                    .iter()
                    .map(|e| e.map(Num::f).filter(|f| Some(*f) != ignore))
                    .collect();
                outlier_scores(&x, range.0, range.1)
            }));
        }
        Ok(dyn_rows(ctx.len, |i, out| match result.get(i) {
            Some(Some(v)) => {
                write_reals(out, v);
                true
            }
            _ => false,
        }))
    },
)
.examples(&[Example {
    query: "print s = series_outliers(dynamic([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 50]), 'tukey')",
    output: "s\n\"[-0.5,-0.3,-0.1,0.0,0.0,0.0,0.0,0.0,0.1,0.3,8.3]\"",
}]);

/// The components of a decomposition.
struct Decomposition {
    baseline: Vec<f64>,
    seasonal: Vec<f64>,
    trend: Vec<f64>,
    residual: Vec<f64>,
}

/// series_decompose's steps: the seasonal component (median per phase of
/// the learning points), the trend of the deseasonalized learning points
/// (`avg`, `linefit` or `none`), baseline = seasonal + trend, residual =
/// x - baseline. The last `test` points are left out of the learning.
fn decompose(
    x: &[f64],
    period: i64,
    trend: &str,
    test: usize,
    threshold: f64,
) -> Result<Decomposition, String> {
    let n = x.len();
    let learn = &x[..n.saturating_sub(test)];
    let p = match period {
        p if p < 0 => detect_period(learn, threshold),
        0 => None,
        p => usize::try_from(p).ok(),
    };
    let seasonal: Vec<f64> = match p {
        Some(p) if p > 0 && p <= learn.len() => {
            let s = seasonal(learn, p);
            (0..n)
                .map(|i| s.get(i % p).copied().unwrap_or(0.0))
                .collect()
        }
        _ => vec![0.0; n],
    };
    let deseason: Vec<f64> = learn.iter().zip(&seasonal).map(|(a, b)| a - b).collect();
    let trend: Vec<f64> = match trend {
        "avg" => {
            let m = if deseason.is_empty() {
                0.0
            } else {
                deseason.iter().sum::<f64>() / deseason.len() as f64
            };
            vec![m; n]
        }
        "linefit" => match fit_line(&deseason) {
            Some(l) => (1..=n)
                .map(|i| l.slope * i as f64 + l.interception)
                .collect(),
            None => vec![0.0; n],
        },
        "none" => vec![0.0; n],
        t => return Err(format!("unknown trend `{t}` (avg, linefit or none)")),
    };
    let baseline: Vec<f64> = seasonal.iter().zip(&trend).map(|(a, b)| a + b).collect();
    let residual: Vec<f64> = x.iter().zip(&baseline).map(|(a, b)| a - b).collect();
    Ok(Decomposition {
        baseline,
        seasonal,
        trend,
        residual,
    })
}

fn long_arg(args: &[Arg], i: usize, row: usize, default: i64) -> Result<i64, String> {
    if args.get(i).is_none() {
        return Ok(default);
    }
    let a = crate::kernel::longs(args, i)?;
    Ok(if a.is_valid(row) {
        a.value(row)
    } else {
        default
    })
}

fn real_arg(args: &[Arg], i: usize, row: usize, default: f64) -> Result<f64, String> {
    Ok(placeholder(args, i, row)?.unwrap_or(default))
}

fn str_arg<'a>(args: &'a [Arg], i: usize, row: usize, default: &'a str) -> Result<&'a str, String> {
    if args.get(i).is_none() {
        return Ok(default);
    }
    Ok(crate::kernel::sv(strs(args, i)?, row))
}

fn write_decomposition(out: &mut String, d: &Decomposition) {
    for (k, (name, v)) in [
        ("baseline", &d.baseline),
        ("seasonal", &d.seasonal),
        ("trend", &d.trend),
        ("residual", &d.residual),
    ]
    .into_iter()
    .enumerate()
    {
        out.push(if k == 0 { '{' } else { ',' });
        let _ = write!(out, "\"{name}\":");
        write_reals(out, v);
    }
    out.push('}');
}

/// The learning points of a series (missing ones as 0).
fn reals_of(v: &[Option<Num>]) -> Vec<f64> {
    v.iter().map(|e| e.map_or(0.0, Num::f)).collect()
}

static SERIES_DECOMPOSE: FunctionDef = FunctionDef::new(
    "$series_decompose",
    C,
    "series_decompose(series: dynamic [, seasonality: long [, trend: string [, test_points: long [, seasonality_threshold: real]]]])",
    "Decomposes a series into baseline, seasonal, trend and residual columns (the `series_decompose` columns).",
    |a| sig("series_decompose", a, 1, &[P::Dyn, P::Long, P::Str, P::Long, P::Real], Dynamic),
    |ctx, args| {
        let mut rows = Rows::new(args, 0)?;
        let mut out_rows = Vec::with_capacity(ctx.len);
        for i in 0..ctx.len {
            let (period, trend) = (long_arg(args, 1, i, -1)?, str_arg(args, 2, i, "avg")?);
            let (test, threshold) = (long_arg(args, 3, i, 0)?, real_arg(args, 4, i, 0.6)?);
            out_rows.push(match rows.get(i) {
                Some(v) => Some(decompose(&reals_of(v), period, trend, usize::try_from(test).unwrap_or(0), threshold)?),
                None => None,
            });
        }
        Ok(dyn_rows(ctx.len, |i, out| match out_rows.get(i) {
            Some(Some(d)) => {
                write_decomposition(out, d);
                true
            }
            _ => false,
        }))
    },
)
.hidden();

static SERIES_DECOMPOSE_FORECAST: FunctionDef = FunctionDef::new(
    "$series_decompose_forecast",
    C,
    "series_decompose_forecast(series: dynamic, points: long [, seasonality: long [, trend: string [, seasonality_threshold: real]]])",
    "series_decompose with the last `points` points left out of the learning and `linefit` as the default trend.",
    |a| sig("series_decompose_forecast", a, 2, &[P::Dyn, P::Long, P::Long, P::Str, P::Real], Dynamic),
    |ctx, args| {
        let mut rows = Rows::new(args, 0)?;
        let mut out_rows = Vec::with_capacity(ctx.len);
        for i in 0..ctx.len {
            let test = long_arg(args, 1, i, 0)?;
            let (period, trend) = (long_arg(args, 2, i, -1)?, str_arg(args, 3, i, "linefit")?);
            let threshold = real_arg(args, 4, i, 0.6)?;
            out_rows.push(match rows.get(i) {
                Some(v) => Some(decompose(&reals_of(v), period, trend, usize::try_from(test).unwrap_or(0), threshold)?),
                None => None,
            });
        }
        Ok(dyn_rows(ctx.len, |i, out| match out_rows.get(i) {
            Some(Some(d)) => {
                write_decomposition(out, d);
                true
            }
            _ => false,
        }))
    },
)
.hidden();

static SERIES_DECOMPOSE_ANOMALIES: FunctionDef = FunctionDef::new(
    "$series_decompose_anomalies",
    C,
    "series_decompose_anomalies(series: dynamic [, threshold: real [, seasonality: long [, trend: string [, test_points: long [, method: string [, seasonality_threshold: real]]]]]])",
    "Anomalies of the residual of series_decompose (`linefit` trend by default), scored by series_outliers (`ctukey` by default): ad_flag is 1 above the threshold (1.5), -1 below its negative, else 0.",
    |a| sig("series_decompose_anomalies", a, 1, &[P::Dyn, P::Real, P::Long, P::Str, P::Long, P::Str, P::Real], Dynamic),
    |ctx, args| {
        let mut rows = Rows::new(args, 0)?;
        let mut out_rows = Vec::with_capacity(ctx.len);
        for i in 0..ctx.len {
            let threshold = real_arg(args, 1, i, 1.5)?;
            let (period, trend) = (long_arg(args, 2, i, -1)?, str_arg(args, 3, i, "linefit")?);
            let test = long_arg(args, 4, i, 0)?;
            let method = str_arg(args, 5, i, "ctukey")?;
            let season = real_arg(args, 6, i, 0.6)?;
            let Some(range) = outlier_range(method, None, None) else {
                return Err(format!("series_decompose_anomalies(): unknown method `{method}` (tukey or ctukey)"));
            };
            out_rows.push(match rows.get(i) {
                Some(v) => {
                    let d = decompose(&reals_of(v), period, trend, usize::try_from(test).unwrap_or(0), season)?;
                    let res: Vec<Option<f64>> = d.residual.iter().map(|r| Some(*r)).collect();
                    let score = outlier_scores(&res, range.0, range.1);
                    let flag: Vec<f64> = score
                        .iter()
                        .map(|s| if *s > threshold { 1.0 } else if *s < -threshold { -1.0 } else { 0.0 })
                        .collect();
                    Some((flag, score, d.baseline))
                }
                None => None,
            });
        }
        Ok(dyn_rows(ctx.len, |i, out| match out_rows.get(i) {
            Some(Some((flag, score, baseline))) => {
                out.push('[');
                for (k, f) in flag.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{}", *f as i64);
                }
                out.push(']');
                let flags = std::mem::take(out);
                out.push_str("{\"ad_flag\":");
                out.push_str(&flags);
                out.push_str(",\"ad_score\":");
                write_reals(out, score);
                out.push_str(",\"baseline\":");
                write_reals(out, baseline);
                out.push('}');
                true
            }
            _ => false,
        }))
    },
)
.hidden();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_fill_truncates_whole_numbers() {
        let v = parse_series("[null,111,null,36,41,null,null,16]").unwrap_or_default();
        let miss = missing_marks(&v, None);
        let out = fill_linear(&v, &miss, true, None);
        let mut s = String::new();
        write_array(&mut s, &out);
        assert_eq!(s, "[111,111,73,36,41,32,24,16]");
    }

    #[test]
    fn periods_are_found_by_autocorrelation() {
        let x = [
            8., 12., 14., 12., 10., 10., 12., 14., 12., 10., 10., 12., 14., 12., 10., 10., 12.,
            14., 12., 10.,
        ];
        assert_eq!(detect_period(&x, 0.7), Some(5));
        // Too short for two lags of a quarter of its length.
        assert_eq!(detect_period(&[1., 5., 2., 8., 3., 9., 4.], 0.7), None);
        let noise = [
            5., 1., 4., 1., 5., 9., 2., 6., 5., 3., 5., 8., 9., 7., 9., 3.,
        ];
        assert_eq!(detect_period(&noise, 0.7), None);
    }

    #[test]
    fn stats_use_the_sample_variance() {
        let v = parse_series("[23, 46, 23, 87, 4, 8, 3, 75, 2, 56, 13, 75, 32, 16, 29]")
            .unwrap_or_default();
        let s = stats(&v, false).map(|s| (s.min_idx, s.max_idx, s.avg, s.variance));
        assert_eq!(s.map(|s| (s.0, s.1, s.2)), Some((8, 3, 32.8)));
        assert!(s.is_some_and(|s| (s.3 - 812.457_142_857_142_9).abs() < 1e-9));
    }

    #[test]
    fn fitted_line_matches_the_documented_example() {
        let y = [2., 5., 6., 8., 11., 15., 17., 18., 25., 26., 30., 30.];
        let l = fit_line(&y).map(|l| (l.rsquare, l.slope, l.variance, l.rvariance, l.interception));
        let Some((r, s, v, rv, b)) = l else {
            panic!("no line");
        };
        assert!((r - 0.982).abs() < 1e-3, "{r}");
        assert!((s - 2.730).abs() < 1e-3, "{s}");
        assert!((v - 98.628).abs() < 1e-3, "{v}");
        assert!((rv - 1.686).abs() < 1e-3, "{rv}");
        assert!((b + 1.666).abs() < 1e-3, "{b}");
    }
}
