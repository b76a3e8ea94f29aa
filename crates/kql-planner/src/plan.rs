//! The logical plan: relational operators over typed, resolved expressions.

use crate::functions::{AggFunc, ScalarFunc};
use kql_common::{KqlType, ScalarValue, Span};
use kql_parser::ast::StrOp;
use std::fmt;

/// A column of a plan's output: its name and KQL type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: KqlType,
}

impl Column {
    pub fn new(name: impl Into<String>, ty: KqlType) -> Self {
        Column {
            name: name.into(),
            ty,
        }
    }
}

/// The ordered columns a plan produces.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Schema {
    pub columns: Vec<Column>,
}

impl Schema {
    pub fn new(columns: Vec<Column>) -> Self {
        Schema { columns }
    }

    /// The index of the column with exactly this name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }

    pub fn len(&self) -> usize {
        self.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
}

/// A node of the logical plan. Each node computes its output schema when it
/// is built (see [`LogicalPlan::schema`]).
#[derive(Clone, Debug, PartialEq)]
pub enum LogicalPlan {
    /// Reads a table from the catalog.
    Scan(Scan),
    /// Literal rows (`datatable`).
    Values(Values),
    /// One row with no columns (the input of `print`).
    SingleRow,
    /// `range`: one column counting from `start` to `stop` by `step`.
    Range(Range),
    /// Keeps the rows for which the predicate is true (`where`).
    Filter(Filter),
    /// Computes output columns from input rows (`project`, `extend`, renames).
    Project(Project),
    /// Orders rows (`sort`, `order`, and `top` before a limit).
    Sort(Sort),
    /// Keeps the first rows (`take`, `limit`, `top`).
    Limit(Limit),
    /// Groups rows and computes aggregates (`summarize`, `count`, `distinct`).
    Aggregate(Aggregate),
    /// Matches rows of two inputs on equal keys (`join`, `lookup`).
    Join(Join),
    /// Concatenates inputs, aligning columns by name (`union`).
    Union(Union),
    /// Turns each element of dynamic arrays or bags into its own row
    /// (`mv-expand`).
    MvExpand(MvExpand),
    /// Runs a subquery on each input row's `mv-expand` (`mv-apply`).
    MvApply(MvApply),
    /// Runs a subquery on each group of rows with one key value
    /// (`partition by Col (...)`).
    Partition(Partition),
    /// Marks its input's row order as meaningful (`serialize`), so that
    /// window functions may run over it.
    Serialize(Box<LogicalPlan>),
    /// Extracts columns from a string with a regular expression (`parse`,
    /// `parse-where`).
    Parse(Parse),
    /// Appends columns computed over the ordered rows (`row_number()`,
    /// `prev()`, `next()`, `row_cumsum()`).
    Window(Window),
    /// Arranges aggregates per axis bin into one array per group
    /// (`make-series`).
    MakeSeries(Box<MakeSeries>),
    /// An operator with a pass of its own over all its input rows (`scan`,
    /// ...); see [`crate::rowops`].
    RowOp(Box<crate::rowops::RowOp>),
}

pub use kql_parser::ast::JoinKind;

/// One output column of a join: a column of the left or right input.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinOutput {
    pub right: bool,
    pub index: usize,
    pub name: String,
    pub ty: KqlType,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Join {
    pub left: Box<LogicalPlan>,
    pub right: Box<LogicalPlan>,
    pub kind: JoinKind,
    /// Key expressions over the left input, of the same types as
    /// `right_keys`.
    pub left_keys: Vec<PlanExpr>,
    pub right_keys: Vec<PlanExpr>,
    pub output: Vec<JoinOutput>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Union {
    pub inputs: Vec<LogicalPlan>,
    /// For each input, for each output column, the input column it reads
    /// (`None`: the input has no such column and the value is null).
    pub maps: Vec<Vec<Option<usize>>>,
    /// The output columns (without the source column).
    pub schema: Schema,
    /// `withsource=Name`: the column name and each input's label.
    pub source: Option<(String, Vec<String>)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MvExpand {
    pub input: Box<LogicalPlan>,
    /// The expanded columns (indices into the input) and their output types.
    pub columns: Vec<(usize, KqlType)>,
    /// `with_itemindex=Name`: a `long` column appended with each element's
    /// position.
    pub item_index: Option<String>,
    /// At most this many rows per input row.
    pub limit: Option<usize>,
    /// Bags expand to `[key, value]` arrays instead of one-key bags.
    pub bag_as_array: bool,
}

/// A function evaluated over serialized rows.
#[derive(Clone, Debug, PartialEq)]
pub enum WindowFunc {
    /// `row_number(start, restart)`
    RowNumber {
        start: i64,
        restart: Option<PlanExpr>,
    },
    /// `prev(expr, offset, default)` (negative offset: `next`)
    Shift {
        expr: PlanExpr,
        offset: i64,
        default: Option<PlanExpr>,
    },
    /// `row_cumsum(expr, restart)`
    CumSum {
        expr: PlanExpr,
        restart: Option<PlanExpr>,
    },
    /// `row_rank_dense(expr, restart)` (`dense`) and `row_rank_min(...)`.
    Rank {
        expr: PlanExpr,
        dense: bool,
        restart: Option<PlanExpr>,
    },
    /// `row_window_session(expr, max_from_first, max_between, restart)`:
    /// the first value of the row's session.
    Session {
        expr: PlanExpr,
        max_from_first: i64,
        max_between: i64,
        restart: Option<PlanExpr>,
    },
}

/// The table name under which an `mv-apply` subquery reads its rows.
pub const MV_APPLY_ROWS: &str = "$mv_apply_rows";

#[derive(Clone, Debug, PartialEq)]
pub struct MvApply {
    pub input: Box<LogicalPlan>,
    /// The expansion of one input row; its input is a scan of
    /// [`MV_APPLY_ROWS`] with the input's schema.
    pub expand: MvExpand,
    /// The subquery, over a scan of [`MV_APPLY_ROWS`] with the expansion's
    /// schema.
    pub sub: Box<LogicalPlan>,
    /// Input columns kept in front of the subquery's columns.
    pub keep: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Partition {
    pub input: Box<LogicalPlan>,
    /// The input column whose values define the groups.
    pub key: usize,
    /// The subquery, over a scan of [`MV_APPLY_ROWS`] with the input's
    /// schema.
    pub sub: Box<LogicalPlan>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Parse {
    pub input: Box<LogicalPlan>,
    /// The string to parse.
    pub expr: PlanExpr,
    /// The pattern, with a group `c0`, `c1`, ... per column.
    pub regex: String,
    /// The extracted columns, appended to (or replacing) the input's.
    pub columns: Vec<(String, KqlType)>,
    /// `simple`/`regex`: a value that does not convert fails the whole row
    /// (every column null); `relaxed`: only that column is null.
    pub strict: bool,
    /// `parse-where`: rows that do not match are dropped.
    pub filter: bool,
}

impl Parse {
    /// For each extracted column, the input column it replaces, if any.
    pub fn replaced(&self) -> Vec<Option<usize>> {
        let schema = self.input.schema();
        self.columns
            .iter()
            .map(|(n, _)| schema.index_of(n))
            .collect()
    }
}

/// `make-series`: the input aggregates by the group keys and then the bin
/// of the axis; this node turns each group's rows into arrays over the
/// axis, filling bins without rows with each aggregate's default.
#[derive(Clone, Debug, PartialEq)]
pub struct MakeSeries {
    /// Columns: the `groups` group keys, the axis bin, then the aggregates.
    pub input: Box<LogicalPlan>,
    pub groups: usize,
    /// The value of each aggregate in bins without rows.
    pub defaults: Vec<ScalarValue>,
    /// The name of the axis column of the output.
    pub axis: String,
    /// The type of the axis (datetime, timespan, long or real).
    pub axis_ty: KqlType,
    /// The first bin (an expression without columns, such as `ago(7d)`);
    /// when None, the smallest bin with data.
    pub start: Option<PlanExpr>,
    /// The exclusive end; when None, the end of the largest bin with data.
    pub end: Option<PlanExpr>,
    pub step: ScalarValue,
    /// `kind=nonempty`: an empty input still gives one row of defaults.
    pub nonempty: bool,
    /// The operator, for errors found while running.
    pub span: Span,
}

/// Largest number of bins `make-series` builds per series (2^20).
pub const MAX_SERIES_BINS: i64 = 1 << 20;

#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub input: Box<LogicalPlan>,
    pub funcs: Vec<(String, WindowFunc, KqlType)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scan {
    pub table: String,
    pub schema: Schema,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Values {
    pub schema: Schema,
    pub rows: Vec<Vec<ScalarValue>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    pub name: String,
    pub ty: KqlType,
    pub start: ScalarValue,
    pub stop: ScalarValue,
    pub step: ScalarValue,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub input: Box<LogicalPlan>,
    pub predicate: PlanExpr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Project {
    pub input: Box<LogicalPlan>,
    pub exprs: Vec<(String, PlanExpr)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    pub expr: PlanExpr,
    pub descending: bool,
    pub nulls_first: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Sort {
    pub input: Box<LogicalPlan>,
    pub keys: Vec<SortKey>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Limit {
    pub input: Box<LogicalPlan>,
    pub count: usize,
}

/// One aggregate: a function over argument expressions evaluated per row.
#[derive(Clone, Debug, PartialEq)]
pub struct AggExpr {
    pub func: AggFunc,
    pub args: Vec<PlanExpr>,
    pub ty: KqlType,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    pub input: Box<LogicalPlan>,
    pub keys: Vec<(String, PlanExpr)>,
    pub aggs: Vec<(String, AggExpr)>,
}

impl LogicalPlan {
    /// The columns this node produces.
    pub fn schema(&self) -> Schema {
        match self {
            LogicalPlan::Scan(s) => s.schema.clone(),
            LogicalPlan::Values(v) => v.schema.clone(),
            LogicalPlan::SingleRow => Schema::default(),
            LogicalPlan::Range(r) => Schema::new(vec![Column::new(r.name.clone(), r.ty)]),
            LogicalPlan::Filter(f) => f.input.schema(),
            LogicalPlan::Project(p) => Schema::new(
                p.exprs
                    .iter()
                    .map(|(n, e)| Column::new(n.clone(), e.ty))
                    .collect(),
            ),
            LogicalPlan::Sort(s) => s.input.schema(),
            LogicalPlan::Limit(l) => l.input.schema(),
            LogicalPlan::Aggregate(a) => Schema::new(
                a.keys
                    .iter()
                    .map(|(n, e)| Column::new(n.clone(), e.ty))
                    .chain(a.aggs.iter().map(|(n, e)| Column::new(n.clone(), e.ty)))
                    .collect(),
            ),
            LogicalPlan::Join(j) => Schema::new(
                j.output
                    .iter()
                    .map(|o| Column::new(o.name.clone(), o.ty))
                    .collect(),
            ),
            LogicalPlan::Union(u) => {
                let mut s = u.schema.clone();
                if let Some((name, _)) = &u.source {
                    s.columns
                        .insert(0, Column::new(name.clone(), KqlType::String));
                }
                s
            }
            LogicalPlan::MvExpand(m) => {
                let mut s = m.input.schema();
                for (i, ty) in &m.columns {
                    if let Some(c) = s.columns.get_mut(*i) {
                        c.ty = *ty;
                    }
                }
                if let Some(n) = &m.item_index {
                    s.columns.push(Column::new(n.clone(), KqlType::Long));
                }
                s
            }
            LogicalPlan::Serialize(input) => input.schema(),
            LogicalPlan::Partition(p) => p.sub.schema(),
            LogicalPlan::MvApply(m) => {
                let input = m.input.schema();
                let mut cols: Vec<Column> = m
                    .keep
                    .iter()
                    .filter_map(|&i| input.columns.get(i).cloned())
                    .collect();
                cols.extend(m.sub.schema().columns);
                Schema::new(cols)
            }
            LogicalPlan::Parse(p) => {
                let mut s = p.input.schema();
                for ((n, ty), r) in p.columns.iter().zip(p.replaced()) {
                    match r.and_then(|i| s.columns.get_mut(i)) {
                        Some(c) => c.ty = *ty,
                        None => s.columns.push(Column::new(n.clone(), *ty)),
                    }
                }
                s
            }
            LogicalPlan::Window(w) => {
                let mut s = w.input.schema();
                for (n, _, ty) in &w.funcs {
                    s.columns.push(Column::new(n.clone(), *ty));
                }
                s
            }
            LogicalPlan::MakeSeries(m) => {
                let input = m.input.schema();
                let mut cols: Vec<Column> = input.columns.iter().take(m.groups).cloned().collect();
                cols.extend(
                    input
                        .columns
                        .iter()
                        .skip(m.groups + 1)
                        .map(|c| Column::new(c.name.clone(), KqlType::Dynamic)),
                );
                cols.push(Column::new(m.axis.clone(), KqlType::Dynamic));
                Schema::new(cols)
            }
            LogicalPlan::RowOp(r) => r.schema(),
        }
    }

    /// The plans this node reads.
    pub fn inputs(&self) -> Vec<&LogicalPlan> {
        match self {
            LogicalPlan::Scan(_)
            | LogicalPlan::Values(_)
            | LogicalPlan::SingleRow
            | LogicalPlan::Range(_) => vec![],
            LogicalPlan::Filter(f) => vec![&f.input],
            LogicalPlan::Project(p) => vec![&p.input],
            LogicalPlan::Sort(s) => vec![&s.input],
            LogicalPlan::Limit(l) => vec![&l.input],
            LogicalPlan::Aggregate(a) => vec![&a.input],
            LogicalPlan::Join(j) => vec![&j.left, &j.right],
            LogicalPlan::Union(u) => u.inputs.iter().collect(),
            LogicalPlan::MvExpand(m) => vec![&m.input],
            LogicalPlan::Serialize(input) => vec![input],
            LogicalPlan::Parse(p) => vec![&p.input],
            LogicalPlan::MvApply(m) => vec![&m.input],
            LogicalPlan::Partition(p) => vec![&p.input],
            LogicalPlan::Window(w) => vec![&w.input],
            LogicalPlan::MakeSeries(m) => vec![&m.input],
            LogicalPlan::RowOp(r) => vec![&r.input],
        }
    }

    /// Whether the order of this node's output rows is defined (sort, top,
    /// range, print), as opposed to an unordered multiset.
    pub fn is_ordered(&self) -> bool {
        match self {
            LogicalPlan::Sort(_) | LogicalPlan::Range(_) | LogicalPlan::SingleRow => true,
            LogicalPlan::Serialize(_) => true,
            LogicalPlan::Scan(_)
            | LogicalPlan::Values(_)
            | LogicalPlan::Aggregate(_)
            | LogicalPlan::Join(_)
            | LogicalPlan::Union(_) => false,
            LogicalPlan::MvExpand(m) => m.input.is_ordered(),
            LogicalPlan::Window(w) => w.input.is_ordered(),
            LogicalPlan::RowOp(r) => r.is_ordered(),
            LogicalPlan::Parse(p) => p.input.is_ordered(),
            LogicalPlan::MvApply(m) => m.input.is_ordered(),
            LogicalPlan::Partition(_) | LogicalPlan::MakeSeries(_) => false,
            LogicalPlan::Filter(f) => f.input.is_ordered(),
            LogicalPlan::Project(p) => p.input.is_ordered(),
            LogicalPlan::Limit(l) => l.input.is_ordered(),
        }
    }

    /// An indented, one-node-per-line description of the plan (`explain`).
    pub fn explain(&self) -> String {
        let mut out = String::new();
        self.explain_into(&mut out, 0);
        out
    }

    fn explain_into(&self, out: &mut String, depth: usize) {
        use std::fmt::Write;
        let pad = "  ".repeat(depth);
        let schema = self.schema();
        let line = match self {
            LogicalPlan::Scan(s) => format!("Scan: {}", s.table),
            LogicalPlan::Values(v) => format!("Values: {} rows", v.rows.len()),
            LogicalPlan::SingleRow => "SingleRow".to_string(),
            LogicalPlan::Range(r) => format!(
                "Range: {} from {} to {} step {}",
                r.name,
                ScalarDisplay(&r.start),
                ScalarDisplay(&r.stop),
                ScalarDisplay(&r.step)
            ),
            LogicalPlan::Filter(f) => format!("Filter: {}", f.predicate),
            LogicalPlan::Project(p) => {
                let items: Vec<String> = p
                    .exprs
                    .iter()
                    .map(|(n, e)| match &e.kind {
                        PlanExprKind::Column { name: c, .. } if c == n => n.clone(),
                        _ => format!("{n} = {e}"),
                    })
                    .collect();
                format!("Project: {}", items.join(", "))
            }
            LogicalPlan::Sort(s) => {
                let keys: Vec<String> = s
                    .keys
                    .iter()
                    .map(|k| {
                        format!(
                            "{} {} nulls {}",
                            k.expr,
                            if k.descending { "desc" } else { "asc" },
                            if k.nulls_first { "first" } else { "last" }
                        )
                    })
                    .collect();
                format!("Sort: {}", keys.join(", "))
            }
            LogicalPlan::Limit(l) => format!("Limit: {}", l.count),
            LogicalPlan::Aggregate(a) => {
                let keys: Vec<String> = a.keys.iter().map(|(n, e)| format!("{n} = {e}")).collect();
                let aggs: Vec<String> = a
                    .aggs
                    .iter()
                    .map(|(n, e)| {
                        let args: Vec<String> = e.args.iter().map(|a| a.to_string()).collect();
                        format!("{n} = {}({})", e.func.name(), args.join(", "))
                    })
                    .collect();
                format!("Aggregate: [{}] by [{}]", aggs.join(", "), keys.join(", "))
            }
            LogicalPlan::Join(j) => {
                let keys: Vec<String> = j
                    .left_keys
                    .iter()
                    .zip(&j.right_keys)
                    .map(|(l, r)| format!("{l} == {r}"))
                    .collect();
                format!("Join: {} on {}", j.kind.name(), keys.join(", "))
            }
            LogicalPlan::Union(u) => format!("Union: {} inputs", u.inputs.len()),
            LogicalPlan::MvExpand(m) => {
                let cols: Vec<String> = m
                    .columns
                    .iter()
                    .map(|(i, t)| format!("#{i} to {t}"))
                    .collect();
                format!("MvExpand: {}", cols.join(", "))
            }
            LogicalPlan::Serialize(_) => "Serialize".to_string(),
            LogicalPlan::Partition(p) => format!(
                "Partition: by #{}; per group: {}",
                p.key,
                p.sub.explain().trim_end().replace('\n', "; ")
            ),
            LogicalPlan::MvApply(m) => format!(
                "MvApply: {} columns expanded; per row: {}",
                m.expand.columns.len(),
                m.sub.explain().trim_end().replace('\n', "; ")
            ),
            LogicalPlan::Parse(p) => format!("Parse: {} with /{}/", p.expr, p.regex),
            LogicalPlan::Window(w) => {
                let names: Vec<&str> = w.funcs.iter().map(|(n, _, _)| n.as_str()).collect();
                format!("Window: {}", names.join(", "))
            }
            LogicalPlan::MakeSeries(m) => {
                let bound = |v: &Option<PlanExpr>| match v {
                    Some(v) => v.to_string(),
                    None => "(data)".to_string(),
                };
                format!(
                    "MakeSeries: {} from {} to {} step {}{}",
                    m.axis,
                    bound(&m.start),
                    bound(&m.end),
                    ScalarDisplay(&m.step),
                    if m.nonempty { " nonempty" } else { "" }
                )
            }
            LogicalPlan::RowOp(r) => r.explain(),
        };
        let cols: Vec<String> = schema
            .columns
            .iter()
            .map(|c| format!("{}:{}", c.name, c.ty))
            .collect();
        let cols = if cols.len() > 8 {
            format!("{} columns", cols.len())
        } else {
            cols.join(", ")
        };
        let _ = writeln!(out, "{pad}{line}  -> ({cols})");
        for input in self.inputs() {
            input.explain_into(out, depth + 1);
        }
    }
}

/// A resolved, typed scalar expression with the span of its source text.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanExpr {
    pub kind: PlanExprKind,
    pub ty: KqlType,
    pub span: Span,
}

/// Arithmetic, comparison and logical operators after type resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Eq => "==",
            BinOp::NotEq => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum PlanExprKind {
    /// The input column at this index; `name` is kept for display.
    Column {
        index: usize,
        name: String,
    },
    Literal(ScalarValue),
    /// Both operands already have the types the operator needs (the planner
    /// inserts casts).
    Binary {
        op: BinOp,
        left: Box<PlanExpr>,
        right: Box<PlanExpr>,
    },
    /// A string operator; both operands are strings.
    StrOp {
        op: StrOp,
        left: Box<PlanExpr>,
        right: Box<PlanExpr>,
    },
    /// `x matches regex pattern` with a constant pattern.
    Regex {
        expr: Box<PlanExpr>,
        pattern: String,
    },
    /// `x in (...)` and its variants over constant values of the operand's
    /// type.
    InList {
        expr: Box<PlanExpr>,
        list: Vec<ScalarValue>,
        negated: bool,
        case_insensitive: bool,
    },
    /// `low <= x and x <= high` (inclusive), or its negation.
    Between {
        expr: Box<PlanExpr>,
        low: Box<PlanExpr>,
        high: Box<PlanExpr>,
        negated: bool,
    },
    Not(Box<PlanExpr>),
    Neg(Box<PlanExpr>),
    Call {
        func: ScalarFunc,
        args: Vec<PlanExpr>,
    },
    Cast {
        expr: Box<PlanExpr>,
        to: KqlType,
    },
}

impl PlanExpr {
    pub fn new(kind: PlanExprKind, ty: KqlType, span: Span) -> Self {
        PlanExpr { kind, ty, span }
    }

    pub fn literal(value: ScalarValue, span: Span) -> Self {
        let ty = value.kql_type();
        PlanExpr::new(PlanExprKind::Literal(value), ty, span)
    }

    /// The input column indices the expression reads.
    pub fn column_indices(&self) -> std::collections::BTreeSet<usize> {
        let mut out = std::collections::BTreeSet::new();
        self.visit(&mut |e| {
            if let PlanExprKind::Column { index, .. } = &e.kind {
                out.insert(*index);
            }
        });
        out
    }

    /// Calls `f` on this expression and every expression inside it.
    pub fn visit(&self, f: &mut dyn FnMut(&PlanExpr)) {
        f(self);
        match &self.kind {
            PlanExprKind::Column { .. } | PlanExprKind::Literal(_) => {}
            PlanExprKind::Binary { left, right, .. } | PlanExprKind::StrOp { left, right, .. } => {
                left.visit(f);
                right.visit(f);
            }
            PlanExprKind::Regex { expr, .. }
            | PlanExprKind::InList { expr, .. }
            | PlanExprKind::Not(expr)
            | PlanExprKind::Neg(expr)
            | PlanExprKind::Cast { expr, .. } => expr.visit(f),
            PlanExprKind::Between {
                expr, low, high, ..
            } => {
                expr.visit(f);
                low.visit(f);
                high.visit(f);
            }
            PlanExprKind::Call { args, .. } => args.iter().for_each(|a| a.visit(f)),
        }
    }

    /// The operands of a chain of `and`s (the expression itself otherwise).
    pub fn conjuncts(&self) -> Vec<&PlanExpr> {
        match &self.kind {
            PlanExprKind::Binary {
                op: BinOp::And,
                left,
                right,
            } => {
                let mut v = left.conjuncts();
                v.extend(right.conjuncts());
                v
            }
            _ => vec![self],
        }
    }

    /// The constant value, when the expression is a literal.
    pub fn as_literal(&self) -> Option<&ScalarValue> {
        match &self.kind {
            PlanExprKind::Literal(v) => Some(v),
            _ => None,
        }
    }

    /// Wraps the expression in a cast unless it already has type `to`.
    pub fn cast(self, to: KqlType) -> PlanExpr {
        if self.ty == to {
            return self;
        }
        let span = self.span;
        if let PlanExprKind::Literal(v) = &self.kind {
            if let Some(c) = crate::cast::cast_scalar(v, to) {
                return PlanExpr::literal(c, span);
            }
        }
        PlanExpr::new(
            PlanExprKind::Cast {
                expr: Box::new(self),
                to,
            },
            to,
            span,
        )
    }
}

struct ScalarDisplay<'a>(&'a ScalarValue);

impl fmt::Display for ScalarDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use kql_common::time::{format_datetime, format_timespan};
        match self.0 {
            ScalarValue::Null(t) => write!(f, "{t}(null)"),
            ScalarValue::Bool(b) => write!(f, "{b}"),
            ScalarValue::Int(v) => write!(f, "int({v})"),
            ScalarValue::Long(v) => write!(f, "{v}"),
            ScalarValue::Real(v) => write!(f, "real({v})"),
            ScalarValue::String(s) => write!(f, "{s:?}"),
            ScalarValue::DateTime(t) => write!(f, "datetime({})", format_datetime(*t)),
            ScalarValue::TimeSpan(t) => write!(f, "timespan({})", format_timespan(*t)),
            ScalarValue::Guid(g) => write!(f, "guid({g})"),
            ScalarValue::Dynamic(v) => write!(f, "dynamic({v})"),
        }
    }
}

impl fmt::Display for PlanExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            PlanExprKind::Column { name, .. } => write!(f, "{name}"),
            PlanExprKind::Literal(v) => write!(f, "{}", ScalarDisplay(v)),
            PlanExprKind::Binary { op, left, right } => {
                write!(f, "({left} {} {right})", op.symbol())
            }
            PlanExprKind::StrOp { op, left, right } => {
                write!(f, "({left} {} {right})", crate::resolve::str_op_name(*op))
            }
            PlanExprKind::Regex { expr, pattern } => {
                write!(f, "({expr} matches regex {pattern:?})")
            }
            PlanExprKind::InList {
                expr,
                list,
                negated,
                case_insensitive,
            } => {
                let items: Vec<String> =
                    list.iter().map(|v| ScalarDisplay(v).to_string()).collect();
                write!(
                    f,
                    "({expr} {}in{} ({}))",
                    if *negated { "!" } else { "" },
                    if *case_insensitive { "~" } else { "" },
                    items.join(", ")
                )
            }
            PlanExprKind::Between {
                expr,
                low,
                high,
                negated,
            } => write!(
                f,
                "({expr} {}between ({low} .. {high}))",
                if *negated { "!" } else { "" }
            ),
            PlanExprKind::Not(e) => write!(f, "not({e})"),
            PlanExprKind::Neg(e) => write!(f, "-{e}"),
            PlanExprKind::Call { func, args } => {
                let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
                write!(f, "{}({})", func.name(), args.join(", "))
            }
            PlanExprKind::Cast { expr, to } => write!(f, "to{to}({expr})"),
        }
    }
}
