//! Typing rules: the argument checks shared by the functions' signatures.

use kql_common::{KqlType, ScalarValue};

/// What the planner knows about one argument of a call.
#[derive(Clone, Copy, Debug)]
pub struct ArgInfo<'a> {
    pub ty: KqlType,
    /// The value, when the argument is a constant.
    pub value: Option<&'a ScalarValue>,
}

/// The outcome of typing a call: the result type and the type each
/// argument is converted to before the kernel runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Typed {
    pub ret: KqlType,
    pub args: Vec<KqlType>,
}

/// The kind of value a parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum P {
    /// Any value, converted to its string form.
    Str,
    /// A string (or a dynamic value or GUID, as text): Kusto rejects
    /// numbers, bools, datetimes and timespans here (`strlen(12)`).
    StrS,
    /// A whole number (int, long, real truncated, dynamic), as long.
    Long,
    /// A number, as real.
    Real,
    Bool,
    DateTime,
    TimeSpan,
    /// Any value, as dynamic.
    Dyn,
    /// Any value, kept as it is.
    Any,
}

impl P {
    fn name(self) -> &'static str {
        match self {
            P::Str | P::StrS => "string",
            P::Long => "long",
            P::Real => "real",
            P::Bool => "bool",
            P::DateTime => "datetime",
            P::TimeSpan => "timespan",
            P::Dyn => "dynamic",
            P::Any => "any value",
        }
    }

    /// The argument type the parameter converts `t` to, or `None`.
    fn accept(self, t: KqlType) -> Option<KqlType> {
        use KqlType::*;
        match self {
            P::Str => Some(String),
            P::StrS if matches!(t, String | Dynamic | Guid) => Some(String),
            P::Long if t.is_numeric() || matches!(t, Dynamic | Bool) => Some(Long),
            P::Real if t.is_numeric() || matches!(t, Dynamic | Bool) => Some(Real),
            P::Bool if matches!(t, Bool | Dynamic) => Some(Bool),
            P::DateTime if matches!(t, DateTime | Dynamic) => Some(DateTime),
            P::TimeSpan if matches!(t, TimeSpan | Dynamic) => Some(TimeSpan),
            P::Dyn => Some(Dynamic),
            P::Any => Some(t),
            _ => None,
        }
    }
}

/// Checks the number of arguments against `min..=max`.
pub fn arity(name: &str, args: &[ArgInfo], min: usize, max: usize) -> Result<(), String> {
    let n = args.len();
    if n >= min && n <= max {
        return Ok(());
    }
    Err(if min == max {
        format!(
            "{name}() takes {min} argument{}, got {n}",
            if min == 1 { "" } else { "s" }
        )
    } else if max == usize::MAX {
        format!(
            "{name}() takes at least {min} argument{}, got {n}",
            if min == 1 { "" } else { "s" }
        )
    } else {
        format!("{name}() takes {min} to {max} arguments, got {n}")
    })
}

/// Checks a call against parameter kinds: the first `min` are required, the
/// rest optional; with `repeat`, the last kind repeats without limit.
pub fn params(
    name: &str,
    args: &[ArgInfo],
    min: usize,
    ps: &[P],
    repeat: bool,
) -> Result<Vec<KqlType>, String> {
    let max = if repeat { usize::MAX } else { ps.len() };
    arity(name, args, min, max)?;
    let mut out = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        let p = ps.get(i).or(ps.last()).copied().unwrap_or(P::Any);
        match p.accept(a.ty) {
            Some(t) => out.push(t),
            None => {
                return Err(format!(
                    "argument {} of {name}() must be {}, not {}",
                    i + 1,
                    p.name(),
                    a.ty
                ))
            }
        }
    }
    Ok(out)
}

/// A fixed signature: parameter kinds and a result type.
pub fn sig(
    name: &str,
    args: &[ArgInfo],
    min: usize,
    ps: &[P],
    ret: KqlType,
) -> Result<Typed, String> {
    Ok(Typed {
        ret,
        args: params(name, args, min, ps, false)?,
    })
}

/// Like [`sig`] with the last parameter kind repeating.
pub fn sig_var(
    name: &str,
    args: &[ArgInfo],
    min: usize,
    ps: &[P],
    ret: KqlType,
) -> Result<Typed, String> {
    Ok(Typed {
        ret,
        args: params(name, args, min, ps, true)?,
    })
}

/// The type values of `a` and `b` share (numbers widen to the wider one,
/// dynamic takes the other side's type), as the planner's promotion does.
pub fn common(a: KqlType, b: KqlType) -> Option<KqlType> {
    use KqlType::*;
    if a == b {
        return Some(a);
    }
    Some(match (a, b) {
        (Dynamic, t) | (t, Dynamic) => t,
        (Int, Long) | (Long, Int) => Long,
        (Decimal, x) | (x, Decimal) if x.is_numeric() => Real,
        (Real, x) | (x, Real) if x.is_numeric() => Real,
        (Guid, String) | (String, Guid) => String,
        _ => return None,
    })
}

/// The common type of several arguments (nulls of any type fit anything).
pub fn common_of(name: &str, args: &[ArgInfo]) -> Result<KqlType, String> {
    let mut t: Option<KqlType> = None;
    for a in args {
        if matches!(a.value, Some(ScalarValue::Null(_))) && t.is_some() {
            continue;
        }
        t = Some(match t {
            None => a.ty,
            Some(c) => common(c, a.ty).ok_or_else(|| {
                format!("{name}() arguments have different types: {c} and {}", a.ty)
            })?,
        });
    }
    Ok(t.unwrap_or(KqlType::Dynamic))
}

/// A regular expression given as a constant argument, checked at plan time.
pub fn check_regex(name: &str, args: &[ArgInfo], i: usize) -> Result<(), String> {
    if let Some(ScalarValue::String(p)) = args.get(i).and_then(|a| a.value) {
        if let Err(e) = regex::Regex::new(p) {
            return Err(format!(
                "invalid regular expression in {name}(): {}",
                e.to_string().lines().last().unwrap_or("")
            ));
        }
    }
    Ok(())
}
