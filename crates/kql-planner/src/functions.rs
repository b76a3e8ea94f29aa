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
    Count => "count", "count(): long", "Number of rows in the group";
    CountIf => "countif", "countif(predicate: bool): long", "Number of rows for which the predicate is true";
    DCount => "dcount", "dcount(expr [, accuracy]): long", "Number of distinct non-null values in the group (exact)";
    DCountIf => "dcountif", "dcountif(expr, predicate [, accuracy]): long", "dcount over the rows where the predicate is true";
    CountDistinct => "count_distinct", "count_distinct(expr): long", "Number of distinct non-null values in the group";
    CountDistinctIf => "count_distinctif", "count_distinctif(expr, predicate): long", "count_distinct over the rows where the predicate is true";
    Sum => "sum", "sum(expr): long|real|timespan", "Sum of the non-null values; 0 when there are none";
    SumIf => "sumif", "sumif(expr, predicate): long|real|timespan", "sum over the rows where the predicate is true";
    Avg => "avg", "avg(expr): real", "Mean of the non-null values (NaN when there are none)";
    AvgIf => "avgif", "avgif(expr, predicate): real", "avg over the rows where the predicate is true";
    Min => "min", "min(expr)", "Smallest non-null value in the group";
    MinIf => "minif", "minif(expr, predicate)", "min over the rows where the predicate is true";
    Max => "max", "max(expr)", "Largest non-null value in the group";
    MaxIf => "maxif", "maxif(expr, predicate)", "max over the rows where the predicate is true";
    TakeAny => "take_any", "take_any(expr [, expr...] | *)", "The values of one row of the group; the first non-null value for a single expression (deterministic)";
    Any => "any", "any(expr [, expr...] | *)", "Same as take_any (deprecated name)";
    TakeAnyIf => "take_anyif", "take_anyif(expr, predicate)", "take_any over the rows where the predicate is true";
    ArgMax => "arg_max", "arg_max(by, * | expr [, ...])", "The values of the row with the largest `by` value (the first such row)";
    ArgMin => "arg_min", "arg_min(by, * | expr [, ...])", "The values of the row with the smallest `by` value (the first such row)";
    ArgMaxLegacy => "argmax", "argmax(by, * | expr [, ...])", "Deprecated form of arg_max, with max_-prefixed column names";
    ArgMinLegacy => "argmin", "argmin(by, * | expr [, ...])", "Deprecated form of arg_min, with min_-prefixed column names";
    MakeSet => "make_set", "make_set(expr [, limit]): dynamic", "Array of the distinct non-null values, in order of first appearance; arrays are flattened";
    MakeSetIf => "make_set_if", "make_set_if(expr, predicate [, limit]): dynamic", "make_set over the rows where the predicate is true";
    MakeSetLegacy => "makeset", "makeset(expr [, limit]): dynamic", "Same as make_set (deprecated name)";
    MakeList => "make_list", "make_list(expr [, limit]): dynamic", "Array of the non-null values, in input order";
    MakeListIf => "make_list_if", "make_list_if(expr, predicate [, limit]): dynamic", "make_list over the rows where the predicate is true";
    MakeListLegacy => "makelist", "makelist(expr [, limit]): dynamic", "Same as make_list (deprecated name)";
    MakeListWithNulls => "make_list_with_nulls", "make_list_with_nulls(expr [, limit]): dynamic", "Array of all values including nulls, in input order";
    MakeBag => "make_bag", "make_bag(bag [, limit]): dynamic", "Property bag merging every bag in the group (the first value of a key wins)";
    MakeBagIf => "make_bag_if", "make_bag_if(bag, predicate [, limit]): dynamic", "make_bag over the rows where the predicate is true";
    Percentile => "percentile", "percentile(expr, percent)", "Nearest-rank percentile of the non-null values (exact)";
    Percentiles => "percentiles", "percentiles(expr, percent [, percent...])", "One nearest-rank percentile column per percent";
    PercentilesArray => "percentiles_array", "percentiles_array(expr, percent [, percent...]): dynamic", "The nearest-rank percentiles as one array";
    Stdev => "stdev", "stdev(expr): real", "Sample standard deviation of the non-null values";
    StdevIf => "stdevif", "stdevif(expr, predicate): real", "stdev over the rows where the predicate is true";
    StdevP => "stdevp", "stdevp(expr): real", "Population standard deviation of the non-null values";
    Variance => "variance", "variance(expr): real", "Sample variance of the non-null values";
    VarianceIf => "varianceif", "varianceif(expr, predicate): real", "variance over the rows where the predicate is true";
    VarianceP => "variancep", "variancep(expr): real", "Population variance of the non-null values";
    VariancePIf => "variancepif", "variancepif(expr, predicate): real", "variancep over the rows where the predicate is true";
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
    /// The function computed, with deprecated names mapped to their
    /// current form and the `if` variants to the plain one.
    pub fn base(self) -> AggFunc {
        use AggFunc::*;
        match self {
            CountIf => Count,
            DCountIf | CountDistinct | CountDistinctIf => DCount,
            SumIf => Sum,
            AvgIf => Avg,
            MinIf => Min,
            MaxIf => Max,
            Any | TakeAnyIf => TakeAny,
            ArgMaxLegacy => ArgMax,
            ArgMinLegacy => ArgMin,
            MakeSetIf | MakeSetLegacy => MakeSet,
            MakeListIf | MakeListLegacy => MakeList,
            MakeBagIf => MakeBag,
            Percentiles => Percentile,
            StdevIf => Stdev,
            VarianceIf => Variance,
            VariancePIf => VarianceP,
            f => f,
        }
    }

    /// Whether the function takes a predicate after its value argument
    /// (`countif`, `sumif`, `make_set_if`, ...).
    pub fn has_predicate(self) -> bool {
        use AggFunc::*;
        matches!(
            self,
            CountIf
                | DCountIf
                | CountDistinctIf
                | SumIf
                | AvgIf
                | MinIf
                | MaxIf
                | TakeAnyIf
                | MakeSetIf
                | MakeListIf
                | MakeBagIf
                | StdevIf
                | VarianceIf
                | VariancePIf
        )
    }

    /// The value when the group has no (non-null) input: Kusto's default
    /// values of aggregations.
    pub fn empty_value(self) -> EmptyValue {
        use AggFunc::*;
        match self.base() {
            Count | DCount | Sum | Stdev | StdevP | Variance | VarianceP => EmptyValue::Zero,
            // Kusto documents an empty array for make_bag too.
            MakeSet | MakeList | MakeListWithNulls | MakeBag => EmptyValue::EmptyArray,
            Avg => EmptyValue::NaN,
            _ => EmptyValue::Null,
        }
    }
}

/// What an aggregate returns for a group without input values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmptyValue {
    Zero,
    NaN,
    EmptyArray,
    EmptyBag,
    Null,
}
