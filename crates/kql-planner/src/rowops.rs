//! Plan nodes for operators that make one pass of their own over their
//! whole input (`scan`, `parse-kv`, `reduce`, ...). They share one
//! [`LogicalPlan::RowOp`](crate::LogicalPlan::RowOp) variant: each keeps
//! every input column, and computes its output schema here.

use crate::plan::{Column, PlanExpr, Schema};
use kql_common::{KqlType, ScalarValue};
pub use kql_parser::ast::ScanOutput;

/// An operator over its input's rows; see [`RowOpKind`].
#[derive(Clone, Debug, PartialEq)]
pub struct RowOp {
    pub input: Box<crate::LogicalPlan>,
    pub kind: RowOpKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RowOpKind {
    /// `scan`: matches rows against a sequence of steps.
    Scan(ScanPlan),
    /// `parse-kv`: extracts the values of listed keys from a string.
    ParseKv(ParseKvPlan),
    /// `reduce`: groups strings by the patterns of their frequent terms.
    Reduce(ReducePlan),
    /// `evaluate rows_near(cond, before [, after])`: the rows near a row
    /// where `cond` holds.
    RowsNear {
        condition: PlanExpr,
        before: usize,
        after: usize,
    },
    /// `evaluate ipv4_lookup(...)` / `ipv6_lookup(...)`.
    IpLookup(IpLookupPlan),
    /// `evaluate sliding_window_counts(...)`, `activity_counts_metrics(...)`,
    /// `active_users_count(...)`, `rolling_percentile(...)`.
    Activity(ActivityPlan),
}

/// The time-window plugins: per time bin (and per combination of the
/// dimension columns), counts over the rows' ids or values.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityPlan {
    pub kind: ActivityKind,
    /// The id (as a string), or the value of `rolling_percentile`.
    pub id: PlanExpr,
    /// The timeline: ticks (datetime, timespan) or a long.
    pub time: PlanExpr,
    /// The name of the output's timeline column (the input column's).
    pub time_name: String,
    /// Dimension columns: output name and expression.
    pub dims: Vec<(String, PlanExpr)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ActivityKind {
    /// Per bin `b` from `start` to `end`: `Count` and `dcount` of the rows
    /// in `[b + bin - lookback, b + bin)`.
    SlidingWindowCounts {
        start: i64,
        end: i64,
        lookback: i64,
        bin: i64,
    },
    /// Per window from `start` to `end`: `count`, `dcount`, `new_dcount`
    /// (ids not seen in earlier windows) and `aggregated_dcount`.
    ActivityCountsMetrics { start: i64, end: i64, window: i64 },
    /// Per bin: `dcount` of the ids with an active appearance in it (one
    /// seen in at least `active_periods` distinct periods within
    /// `(t - lookback, t]`).
    ActiveUsersCount {
        start: i64,
        end: i64,
        lookback: i64,
        period: i64,
        active_periods: i64,
        bin: i64,
    },
    /// Per bin of `bin` from the first to the last: the `percentile` of the
    /// values in that bin and the `lookback - 1` bins before it (nearest
    /// rank); the result has `result` as name and type.
    RollingPercentile {
        percentile: f64,
        bin: i64,
        lookback: i64,
        result: String,
        ty: KqlType,
    },
}

/// `evaluate ipv4_lookup(Table, key, lookup_key [, return_unmatched])`:
/// joins each row with the rows of the lookup table whose network (an
/// address with an optional `/prefix`) contains the row's address.
#[derive(Clone, Debug, PartialEq)]
pub struct IpLookupPlan {
    pub lookup: Box<crate::LogicalPlan>,
    /// The address of each input row (a string expression).
    pub key: PlanExpr,
    /// The lookup table's network column.
    pub lookup_key: usize,
    /// Keep input rows without a match (with empty lookup columns).
    pub return_unmatched: bool,
    /// IPv6 (`ipv6_lookup`) rather than IPv4.
    pub v6: bool,
    /// The output names of the lookup table's columns (renamed where the
    /// input has the name already).
    pub lookup_names: Vec<String>,
    /// The lookup columns come first (as `ipv6_lookup`'s documentation
    /// shows), instead of after the input's.
    pub lookup_first: bool,
}

/// `reduce by expr`: see `kql-eval`'s `reduce.rs` for the algorithm.
#[derive(Clone, Debug, PartialEq)]
pub struct ReducePlan {
    /// The string to reduce.
    pub expr: PlanExpr,
    /// A term is frequent when it occurs in more than `threshold` of the
    /// rows (and so is a pattern).
    pub threshold: f64,
    /// `characters=`: the characters that separate terms (dropped from
    /// patterns); by default every character that is not an ASCII letter
    /// or digit separates terms (and is kept).
    pub characters: Option<String>,
    /// `kind=source`: append `Pattern` to each input row instead of
    /// one row per pattern.
    pub source: bool,
}

/// `parse-kv`: the string, the keys (appended as columns of their types)
/// and how pairs are found.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseKvPlan {
    pub expr: PlanExpr,
    pub keys: Vec<(String, KqlType)>,
    pub mode: KvMode,
}

#[derive(Clone, Debug, PartialEq)]
pub enum KvMode {
    /// `pair_delimiter` and `kv_delimiter` given.
    Delimited {
        pair: String,
        kv: String,
        /// Opening and closing quote characters.
        quotes: Vec<(char, char)>,
        escapes: Vec<char>,
        /// An unquoted value runs up to the next key, not the next pair
        /// delimiter.
        greedy: bool,
    },
    /// No delimiters: any character that is not alphanumeric separates a
    /// key from its value.
    Free {
        quotes: Vec<(char, char)>,
        escapes: Vec<char>,
    },
    /// `regex=`: a pattern whose two groups are a key and its value.
    Regex(String),
}

/// `scan`. Conditions and assignments read an *environment* of
/// `(1 + steps) * width` columns, where `width` is the number of input
/// columns plus declared columns: first the current row (declared columns
/// at their defaults), then for each step `j` the values that step `j`'s
/// row holds in the state being matched against (`StepName.Column`).
#[derive(Clone, Debug, PartialEq)]
pub struct ScanPlan {
    /// Declared columns: name, type and default value.
    pub declared: Vec<(String, KqlType, ScalarValue)>,
    pub steps: Vec<ScanStepPlan>,
    /// `with_match_id=Name`: a `long` column with each output row's match.
    pub match_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScanStepPlan {
    pub name: String,
    pub output: ScanOutput,
    pub condition: PlanExpr,
    /// Declared column index and the value assigned to it.
    pub assignments: Vec<(usize, PlanExpr)>,
}

impl ScanPlan {
    /// The columns of one row: the input's, then the declared ones.
    pub fn row_columns(&self, input: &Schema) -> Vec<Column> {
        let mut row = input.columns.clone();
        row.extend(
            self.declared
                .iter()
                .map(|(n, t, _)| Column::new(n.clone(), *t)),
        );
        row
    }

    /// The environment the steps' expressions read (see [`ScanPlan`]).
    pub fn env_schema(&self, input: &Schema) -> Schema {
        let row = self.row_columns(input);
        let mut env = row.clone();
        for s in &self.steps {
            env.extend(
                row.iter()
                    .map(|c| Column::new(format!("{}.{}", s.name, c.name), c.ty)),
            );
        }
        Schema::new(env)
    }
}

impl RowOp {
    /// The columns this node produces.
    pub fn schema(&self) -> Schema {
        let mut s = self.input.schema();
        match &self.kind {
            RowOpKind::Scan(p) => {
                for (n, t, _) in &p.declared {
                    s.columns.push(Column::new(n.clone(), *t));
                }
                if let Some(m) = &p.match_id {
                    s.columns.push(Column::new(m.clone(), KqlType::Long));
                }
            }
            RowOpKind::ParseKv(p) => {
                for (n, t) in &p.keys {
                    s.columns.push(Column::new(n.clone(), *t));
                }
            }
            RowOpKind::Reduce(p) if p.source => {
                s.columns.push(Column::new("Pattern", KqlType::String));
            }
            RowOpKind::RowsNear { .. } => {}
            RowOpKind::Activity(p) => {
                let mut cols = vec![Column::new(p.time_name.clone(), p.time.ty)];
                cols.extend(p.dims.iter().map(|(n, e)| Column::new(n.clone(), e.ty)));
                let long = |n: &str| Column::new(n, KqlType::Long);
                match &p.kind {
                    ActivityKind::SlidingWindowCounts { .. } => {
                        cols.extend([long("Count"), long("dcount")])
                    }
                    ActivityKind::ActivityCountsMetrics { .. } => cols.extend([
                        long("count"),
                        long("dcount"),
                        long("new_dcount"),
                        long("aggregated_dcount"),
                    ]),
                    ActivityKind::ActiveUsersCount { .. } => cols.push(long("dcount")),
                    ActivityKind::RollingPercentile { result, ty, .. } => {
                        cols.push(Column::new(result.clone(), *ty))
                    }
                }
                s = Schema::new(cols);
            }
            RowOpKind::IpLookup(p) => {
                let cols: Vec<Column> = p
                    .lookup
                    .schema()
                    .columns
                    .into_iter()
                    .zip(&p.lookup_names)
                    .map(|(c, n)| Column::new(n.clone(), c.ty))
                    .collect();
                if p.lookup_first {
                    let mut all = cols;
                    all.append(&mut s.columns);
                    s.columns = all;
                } else {
                    s.columns.extend(cols);
                }
            }
            RowOpKind::Reduce(_) => {
                s = Schema::new(vec![
                    Column::new("Pattern", KqlType::String),
                    Column::new("Count", KqlType::Long),
                    Column::new("Representative", KqlType::String),
                ]);
            }
        }
        s
    }

    /// Whether the output rows keep a defined order.
    pub fn is_ordered(&self) -> bool {
        match &self.kind {
            RowOpKind::Scan(_) | RowOpKind::ParseKv(_) => self.input.is_ordered(),
            RowOpKind::Reduce(p) => p.source && self.input.is_ordered(),
            RowOpKind::RowsNear { .. } => self.input.is_ordered(),
            RowOpKind::IpLookup(_) | RowOpKind::Activity(_) => false,
        }
    }

    /// The one-line description for `explain`.
    pub fn explain(&self) -> String {
        match &self.kind {
            RowOpKind::Scan(p) => {
                let steps: Vec<String> = p
                    .steps
                    .iter()
                    .map(|s| format!("{}: {}", s.name, s.condition))
                    .collect();
                format!("ScanSteps: {}", steps.join("; "))
            }
            RowOpKind::ParseKv(p) => {
                let keys: Vec<&str> = p.keys.iter().map(|(n, _)| n.as_str()).collect();
                format!("ParseKv: {} as ({})", p.expr, keys.join(", "))
            }
            RowOpKind::Reduce(p) => format!("Reduce: by {} threshold {}", p.expr, p.threshold),
            RowOpKind::RowsNear {
                condition,
                before,
                after,
            } => format!("RowsNear: {condition}, {before} before, {after} after"),
            RowOpKind::Activity(p) => format!("Activity: {:?}", p.kind),
            RowOpKind::IpLookup(p) => format!(
                "IpLookup: {} in {} network #{}",
                p.key,
                if p.v6 { "IPv6" } else { "IPv4" },
                p.lookup_key
            ),
        }
    }
}
