//! The aggregate functions the planner knows (names, arity and result
//! types) and the tabular operator names. Scalar functions live in the
//! `kql-functions` registry; [`ScalarFunc`] is re-exported from there.

pub use kql_functions::ScalarFunc;

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
    Covariance => "covariance", "covariance(x, y): real", "Sample covariance of the rows where both values are not null";
    CovarianceIf => "covarianceif", "covarianceif(x, y, predicate): real", "covariance over the rows where the predicate is true";
    CovarianceP => "covariancep", "covariancep(x, y): real", "Population covariance of the rows where both values are not null";
    CovariancePIf => "covariancepif", "covariancepif(x, y, predicate): real", "covariancep over the rows where the predicate is true";
    PercentilesW => "percentilesw", "percentilesw(expr, weight, percent [, percent...])", "Weighted nearest-rank percentiles, one column per percent";
    PercentilesWArray => "percentilesw_array", "percentilesw_array(expr, weight, percent [, percent...]): dynamic", "The weighted nearest-rank percentiles as one array";
    BinaryAllAnd => "binary_all_and", "binary_all_and(expr: long): long", "Bitwise AND of the non-null values";
    BinaryAllOr => "binary_all_or", "binary_all_or(expr: long): long", "Bitwise OR of the non-null values";
    BinaryAllXor => "binary_all_xor", "binary_all_xor(expr: long): long", "Bitwise XOR of the non-null values";
    Hll => "hll", "hll(expr [, accuracy]): dynamic", "A HyperLogLog sketch of the distinct values, for dcount_hll() and hll_merge()";
    HllIf => "hll_if", "hll_if(expr, predicate [, accuracy]): dynamic", "hll over the rows where the predicate is true";
    HllMerge => "hll_merge", "hll_merge(hll [, accuracy]): dynamic", "The union of the group's hll() sketches";
    TDigest => "tdigest", "tdigest(expr [, weight]): dynamic", "A t-digest of the values, for percentile_tdigest() and rank_tdigest()";
    TDigestMerge => "tdigest_merge", "tdigest_merge(tdigest): dynamic", "The union of the group's tdigest() results";
    MergeTDigest => "merge_tdigest", "merge_tdigest(tdigest): dynamic", "Same as tdigest_merge";
    BuildSchema => "buildschema", "buildschema(expr: dynamic): dynamic", "The minimal schema that admits every dynamic value of the group";
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
    "make-series",
    "scan",
    "parse-kv",
    "project-by-names",
    "reduce",
    "facet",
];

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
            CovarianceIf => Covariance,
            CovariancePIf => CovarianceP,
            HllIf => Hll,
            MergeTDigest => TDigestMerge,
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
                | CovarianceIf
                | CovariancePIf
                | HllIf
        )
    }

    /// Whether the function reads a second value per row (`covariance`'s
    /// y, `percentilesw`'s weight).
    pub fn has_second_value(self) -> bool {
        use AggFunc::*;
        matches!(
            self.base(),
            Covariance | CovarianceP | PercentilesW | PercentilesWArray | TDigest
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
