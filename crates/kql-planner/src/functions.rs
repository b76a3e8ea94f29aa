//! The scalar and aggregate functions the planner knows: names, arity and
//! result types. The evaluator holds one kernel per variant.

use kql_common::KqlType;

/// Documentation of one function, for help text and completion.
pub struct FunctionDoc {
    pub name: &'static str,
    pub signature: &'static str,
    pub summary: &'static str,
}

macro_rules! functions {
    ($enum:ident { $($variant:ident => $name:literal, $sig:literal, $doc:literal;)* }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $enum { $($variant),* }

        impl $enum {
            /// Every function of this kind.
            pub const ALL: &'static [$enum] = &[$($enum::$variant),*];

            /// The KQL name of the function.
            pub fn name(self) -> &'static str {
                match self { $($enum::$variant => $name),* }
            }

            /// Looks a function up by its KQL name (names are case-sensitive).
            pub fn from_name(name: &str) -> Option<$enum> {
                match name { $($name => Some($enum::$variant),)* _ => None }
            }

            /// The function's signature and one-line description.
            pub fn doc(self) -> FunctionDoc {
                match self { $($enum::$variant => FunctionDoc { name: $name, signature: $sig, summary: $doc }),* }
            }
        }
    };
}

functions!(ScalarFunc {
    Not => "not", "not(expr: bool): bool", "Reverses the value of a bool";
    IsNull => "isnull", "isnull(expr): bool", "Whether the value is null";
    IsNotNull => "isnotnull", "isnotnull(expr): bool", "Whether the value is not null";
    IsEmpty => "isempty", "isempty(expr): bool", "Whether the value is null or an empty string";
    IsNotEmpty => "isnotempty", "isnotempty(expr): bool", "Whether the value is neither null nor an empty string";
    ToLower => "tolower", "tolower(s: string): string", "Converts a string to lower case";
    ToUpper => "toupper", "toupper(s: string): string", "Converts a string to upper case";
    StrLen => "strlen", "strlen(s: string): long", "Number of characters in a string";
    StrCat => "strcat", "strcat(arg1, arg2, ...): string", "Concatenates the string forms of 1 to 64 arguments";
    Iff => "iff", "iff(condition: bool, then, else)", "The second argument when the condition is true, else the third";
    Iif => "iif", "iif(condition: bool, then, else)", "Same as iff";
    Ago => "ago", "ago(span: timespan): datetime", "now() minus the given timespan";
    Now => "now", "now([offset: timespan]): datetime", "The current UTC time, the same for the whole query";
    Bin => "bin", "bin(value, roundTo)", "Rounds down to a multiple of roundTo (datetimes from the Unix epoch)";
    Floor => "floor", "floor(value, roundTo)", "Same as bin";
    Abs => "abs", "abs(x)", "Absolute value";
    StartOfDay => "startofday", "startofday(date: datetime): datetime", "Midnight at the start of the date's day";
    ToStringFn => "tostring", "tostring(value): string", "Converts a value to its string form";
    ToLong => "tolong", "tolong(value): long", "Converts a value to long, null when it cannot";
    ToInt => "toint", "toint(value): int", "Converts a value to int, null when it cannot";
    ToReal => "toreal", "toreal(value): real", "Converts a value to real, null when it cannot";
    ToDouble => "todouble", "todouble(value): real", "Same as toreal";
    ToBool => "tobool", "tobool(value): bool", "Converts a value to bool, null when it cannot";
    ToDateTime => "todatetime", "todatetime(value): datetime", "Converts a value to datetime, null when it cannot";
    ToTimeSpan => "totimespan", "totimespan(value): timespan", "Converts a value to timespan, null when it cannot";
});

functions!(AggFunc {
    Count => "count", "count([expr]): long", "Number of rows in the group (with an argument: rows where it is not null)";
    CountIf => "countif", "countif(predicate: bool): long", "Number of rows for which the predicate is true";
    Sum => "sum", "sum(expr): long|real|timespan", "Sum over the group; nulls are skipped";
    Min => "min", "min(expr)", "Smallest non-null value in the group";
    Max => "max", "max(expr)", "Largest non-null value in the group";
    Avg => "avg", "avg(expr): real", "Mean of the non-null values in the group";
    DCount => "dcount", "dcount(expr): long", "Number of distinct non-null values in the group";
    TakeAny => "take_any", "take_any(expr)", "Any one value from the group (deterministic for a given input)";
    Any => "any", "any(expr)", "Same as take_any";
});

/// Names of the tabular operators the parser knows, for suggestions.
pub const OPERATOR_NAMES: &[&str] = &[
    "where",
    "filter",
    "project",
    "extend",
    "project-away",
    "project-keep",
    "project-rename",
    "project-reorder",
    "sort",
    "order",
    "take",
    "limit",
    "top",
    "count",
    "distinct",
    "summarize",
];

impl ScalarFunc {
    /// Checks arity and argument types and returns the result type; the error
    /// is a message for a diagnostic.
    pub fn return_type(self, args: &[KqlType]) -> Result<KqlType, std::string::String> {
        use KqlType::*;
        use ScalarFunc::*;
        let arity = |min: usize, max: usize| -> Result<(), std::string::String> {
            if args.len() < min || args.len() > max {
                Err(if min == max {
                    format!(
                        "{}() takes {min} argument{}, got {}",
                        self.name(),
                        if min == 1 { "" } else { "s" },
                        args.len()
                    )
                } else {
                    format!(
                        "{}() takes {min} to {max} arguments, got {}",
                        self.name(),
                        args.len()
                    )
                })
            } else {
                Ok(())
            }
        };
        let want = |i: usize, ok: &[KqlType]| -> Result<(), std::string::String> {
            match args.get(i) {
                Some(t) if ok.contains(t) || *t == Dynamic => Ok(()),
                Some(t) => Err(format!(
                    "argument {} of {}() must be {}, not {t}",
                    i + 1,
                    self.name(),
                    ok.iter().map(|t| t.name()).collect::<Vec<_>>().join(" or ")
                )),
                None => Ok(()),
            }
        };
        Ok(match self {
            Not => {
                arity(1, 1)?;
                want(0, &[Bool])?;
                Bool
            }
            IsNull | IsNotNull | IsEmpty | IsNotEmpty => {
                arity(1, 1)?;
                Bool
            }
            ToLower | ToUpper => {
                arity(1, 1)?;
                String
            }
            StrLen => {
                arity(1, 1)?;
                Long
            }
            StrCat => {
                arity(1, 64)?;
                String
            }
            Iff | Iif => {
                arity(3, 3)?;
                want(0, &[Bool])?;
                crate::cast::common_type(args[1], args[2]).ok_or_else(|| {
                    format!(
                        "{}() branches have different types: {} and {}",
                        self.name(),
                        args[1],
                        args[2]
                    )
                })?
            }
            Ago => {
                arity(1, 1)?;
                want(0, &[TimeSpan])?;
                DateTime
            }
            Now => {
                arity(0, 1)?;
                want(0, &[TimeSpan])?;
                DateTime
            }
            Bin | Floor => {
                arity(2, 2)?;
                match (args[0], args[1]) {
                    (DateTime, TimeSpan) => DateTime,
                    (TimeSpan, TimeSpan) => TimeSpan,
                    (Int | Long, Int | Long) => Long,
                    (a, b) if a.is_numeric() && b.is_numeric() => Real,
                    (a, b) => {
                        return Err(format!(
                            "{}() cannot round a {a} to a multiple of a {b}",
                            self.name()
                        ))
                    }
                }
            }
            Abs => {
                arity(1, 1)?;
                match args[0] {
                    t @ (Int | Long | Real | Decimal | TimeSpan) => t,
                    t => return Err(format!("abs() needs a number or timespan, not {t}")),
                }
            }
            StartOfDay => {
                arity(1, 1)?;
                want(0, &[DateTime])?;
                DateTime
            }
            ToStringFn => {
                arity(1, 1)?;
                String
            }
            ToLong => {
                arity(1, 1)?;
                Long
            }
            ToInt => {
                arity(1, 1)?;
                Int
            }
            ToReal | ToDouble => {
                arity(1, 1)?;
                Real
            }
            ToBool => {
                arity(1, 1)?;
                Bool
            }
            ToDateTime => {
                arity(1, 1)?;
                DateTime
            }
            ToTimeSpan => {
                arity(1, 1)?;
                TimeSpan
            }
        })
    }
}

impl AggFunc {
    /// Checks arity and argument types and returns the result type.
    pub fn return_type(self, args: &[KqlType]) -> Result<KqlType, std::string::String> {
        use AggFunc::*;
        use KqlType::*;
        let n = args.len();
        let arity = |want: usize| -> Result<(), std::string::String> {
            if n == want {
                Ok(())
            } else {
                Err(format!(
                    "{}() takes {want} argument{}, got {n}",
                    self.name(),
                    if want == 1 { "" } else { "s" }
                ))
            }
        };
        Ok(match self {
            Count => {
                if n > 1 {
                    return Err(format!("count() takes 0 or 1 arguments, got {n}"));
                }
                Long
            }
            CountIf => {
                arity(1)?;
                if args[0] != Bool {
                    return Err(format!("countif() needs a bool predicate, not {}", args[0]));
                }
                Long
            }
            Sum => {
                arity(1)?;
                match args[0] {
                    Int | Long | Bool => Long,
                    Real | Decimal => Real,
                    TimeSpan => TimeSpan,
                    t => return Err(format!("sum() needs a number or timespan, not {t}")),
                }
            }
            Avg => {
                arity(1)?;
                match args[0] {
                    t if t.is_numeric() => Real,
                    t => return Err(format!("avg() needs a number, not {t}")),
                }
            }
            Min | Max | TakeAny | Any => {
                arity(1)?;
                args[0]
            }
            DCount => {
                if !(1..=2).contains(&n) {
                    return Err(format!("dcount() takes 1 or 2 arguments, got {n}"));
                }
                Long
            }
        })
    }
}
