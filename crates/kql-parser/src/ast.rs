//! The KQL syntax tree. Every node carries the span of its source text.
//!
//! The tree uses KQL's own vocabulary (`where`, `project`, `summarize`). It is
//! purely syntactic: names are not resolved and types are not checked. A
//! tabular pipeline is an expression too (`ExprKind::Pipe`), as in Kusto's own
//! grammar, so `let T = DeviceInfo | take 5;` and `let n = 5;` parse alike and
//! the planner decides which is which.

use kql_common::{KqlType, Span};

/// A whole query: statements separated by `;`.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub statements: Vec<Statement>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub kind: StatementKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StatementKind {
    /// `let Name = Expr`
    Let { name: Ident, value: Expr },
    /// A query expression, usually tabular (`T | where ...`).
    Query(Expr),
    /// `let f = (a: long, b: string = "x") { body }` or
    /// `let V = view () { body }`.
    Function { name: Ident, def: FunctionDef },
    /// `declare query_parameters (Name: type = default, ...)`
    DeclareParams(Vec<Param>),
    /// `set option [= value]`: a request property such as `query_now`.
    Set { name: Ident, value: Option<Expr> },
}

/// A user-defined function: its parameters and body.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDef {
    pub params: Vec<Param>,
    /// The `let` statements of the body, then its result expression.
    pub body: Vec<Statement>,
    pub result: Box<Expr>,
    /// `view () { ... }`: usable as a bare table name.
    pub view: bool,
    pub span: Span,
}

/// One parameter of a function.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: ParamType,
    pub default: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ParamType {
    Scalar(KqlType),
    /// `T: (*)` or `T: (A: long, ...)`: a table with at least these columns.
    Tabular(Vec<ColumnDecl>),
}

/// A name: a plain identifier or a bracketed one (`['my name']`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// A column, `let` name or table name.
    Name(Ident),
    /// `*` where a function accepts it (`count(*)`, `arg_max(T, *)`).
    Star,
    /// `f(args)`, including `not(x)`, `count()`, `bin(t, 1h)`, `ago(1d)`.
    Call {
        func: Ident,
        args: Vec<Expr>,
    },
    /// `name = value` as an argument of a call (`f(c = 7, a = 12)`): the
    /// value of the parameter with that name. Only valid directly inside
    /// `Call::args`.
    NamedArg {
        name: Ident,
        value: Box<Expr>,
    },
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `x between (low .. high)` and `x !between (low .. high)`.
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    /// `x in (a, b)`, `x !in (...)`, `x in~ (...)`, `x has_any (...)`,
    /// `x has_all (...)`. A list element may be a tabular expression.
    InList {
        expr: Box<Expr>,
        op: ListOp,
        list: Vec<Expr>,
    },
    /// `d.Name`
    Member {
        expr: Box<Expr>,
        name: Ident,
    },
    /// `d["Name"]`, `d[0]`, `d[-1]`
    Index {
        expr: Box<Expr>,
        index: Box<Expr>,
    },
    /// `input | operator`
    Pipe {
        input: Box<Expr>,
        op: Box<Operator>,
    },
    /// `print a = 1, 2` (a tabular source)
    Print(Vec<NamedExpr>),
    /// `datatable (A: long, B: string) [1, "x", 2, "y"]`
    DataTable {
        columns: Vec<ColumnDecl>,
        values: Vec<Expr>,
    },
    /// `union T1, (T2 | ...), Device*` as a source.
    Union(Union),
    /// `externaldata (A: string) [ "url" ] with (format = "csv")`
    ExternalData {
        columns: Vec<ColumnDecl>,
        urls: Vec<String>,
        /// The `with (...)` properties, names lower-cased.
        props: Vec<(String, String)>,
    },
    /// `range x from 1 to 10 step 1`
    Range {
        name: Ident,
        from: Box<Expr>,
        to: Box<Expr>,
        step: Box<Expr>,
    },
}

/// A literal value as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Bool(bool),
    /// An integer literal: `long` unless it only fits elsewhere.
    Long(i64),
    /// `int(5)`
    Int(i32),
    Real(f64),
    String(String),
    /// The text inside `datetime(...)`, to be parsed by the planner.
    DateTime(String),
    /// A timespan in 100 ns ticks (`2m`, `1.5h`, `time(1.02:03:04)`).
    TimeSpan(i64),
    /// The text inside `guid(...)`.
    Guid(String),
    /// `dynamic(...)`: the JSON value (KQL literals inside are converted:
    /// a datetime becomes its ISO text, a timespan its `hh:mm:ss` text).
    Dynamic(serde_json::Value),
    /// A typed null: `long(null)`, `datetime(null)`, `dynamic(null)`, ...
    Null(KqlType),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Plus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    /// `==`
    Eq,
    /// `!=` and `<>`
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    /// A string operator (`=~`, `contains`, `!has_cs`, `startswith`, ...).
    Str(StrOp),
    /// `matches regex`
    MatchesRegex,
}

/// A string operator: its kind, whether it is negated (`!`), and whether it
/// is case-sensitive (`_cs`, or `==`-style).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrOp {
    pub kind: StrOpKind,
    pub negated: bool,
    pub case_sensitive: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrOpKind {
    /// `=~` (case-insensitive) / `!~`
    Equals,
    Contains,
    StartsWith,
    EndsWith,
    Has,
    HasPrefix,
    HasSuffix,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListOp {
    In,
    NotIn,
    /// `in~`
    InCi,
    /// `!in~`
    NotInCi,
    HasAny,
    HasAll,
}

/// `Name = expr`, `(A, B) = expr` or a bare `expr` in `project`, `extend`,
/// `summarize`, `print`.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedExpr {
    /// Empty when the expression is unnamed.
    pub names: Vec<Ident>,
    pub expr: Expr,
    pub span: Span,
}

/// The body of `make-series`.
#[derive(Clone, Debug, PartialEq)]
pub struct MakeSeries {
    /// `kind=nonempty`: an empty input still gives one row of defaults.
    pub nonempty: bool,
    /// Each aggregate with its `default = V` value.
    pub aggs: Vec<(NamedExpr, Option<Expr>)>,
    /// The axis column.
    pub axis: Ident,
    pub range: SeriesRange,
    pub by: Vec<NamedExpr>,
}

/// The axis range of `make-series`.
#[derive(Clone, Debug, PartialEq)]
pub enum SeriesRange {
    /// `[from start] [to end] step step` (`end` exclusive).
    FromTo {
        from: Option<Expr>,
        to: Option<Expr>,
        step: Expr,
    },
    /// `in range(start, stop, step)` (`stop` inclusive, bins from zero).
    InRange { start: Expr, stop: Expr, step: Expr },
}

/// The parameters and tables of `union`.
#[derive(Clone, Debug, PartialEq)]
pub struct Union {
    /// `kind=inner` (only common columns) rather than the default `outer`.
    pub inner: bool,
    /// `withsource=Name`: a column holding each row's source table.
    pub with_source: Option<Ident>,
    /// `isfuzzy=true`: missing tables are skipped.
    pub fuzzy: bool,
    /// Tables: names (which may hold `*`) or parenthesized expressions.
    pub tables: Vec<Expr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    InnerUnique,
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
    LeftSemi,
    LeftAnti,
    RightSemi,
    RightAnti,
}

impl JoinKind {
    pub fn from_name(name: &str) -> Option<JoinKind> {
        Some(match name {
            "innerunique" => JoinKind::InnerUnique,
            "inner" => JoinKind::Inner,
            "leftouter" => JoinKind::LeftOuter,
            "rightouter" => JoinKind::RightOuter,
            "fullouter" | "outer" => JoinKind::FullOuter,
            "leftsemi" | "semi" => JoinKind::LeftSemi,
            "leftanti" | "anti" | "leftantisemi" => JoinKind::LeftAnti,
            "rightsemi" => JoinKind::RightSemi,
            "rightanti" | "rightantisemi" => JoinKind::RightAnti,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            JoinKind::InnerUnique => "innerunique",
            JoinKind::Inner => "inner",
            JoinKind::LeftOuter => "leftouter",
            JoinKind::RightOuter => "rightouter",
            JoinKind::FullOuter => "fullouter",
            JoinKind::LeftSemi => "leftsemi",
            JoinKind::LeftAnti => "leftanti",
            JoinKind::RightSemi => "rightsemi",
            JoinKind::RightAnti => "rightanti",
        }
    }
}

/// One level of `top-nested`.
#[derive(Clone, Debug, PartialEq)]
pub struct TopNestedLevel {
    pub count: Option<Expr>,
    pub key: NamedExpr,
    /// `with others = expr`
    pub others: Option<Expr>,
    pub agg: NamedExpr,
    pub order: Option<SortOrder>,
}

/// One piece of a `parse` pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum ParsePart {
    /// A string literal to match.
    Text(String),
    /// `*`: skip any text.
    Star,
    /// A column to extract, with an optional type (`Name: long`).
    Column(Ident, Option<KqlType>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseKind {
    Simple,
    Regex,
    Relaxed,
}

/// `Name = expr [to typeof(type)]` in `mv-expand`.
#[derive(Clone, Debug, PartialEq)]
pub struct MvExpandItem {
    pub item: NamedExpr,
    pub to: Option<KqlType>,
}

/// `Name: type` in `datatable`.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDecl {
    pub name: Ident,
    pub ty: KqlType,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NullsOrder {
    First,
    Last,
}

/// One key of `sort by` / `order by` / `top ... by`.
#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    /// `None` when not written (Kusto's default is `desc`).
    pub order: Option<SortOrder>,
    /// `None` when not written (default: nulls first for `asc`, last for `desc`).
    pub nulls: Option<NullsOrder>,
    pub span: Span,
}

/// A tabular operator after a `|`.
#[derive(Clone, Debug, PartialEq)]
pub struct Operator {
    pub kind: OperatorKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OperatorKind {
    /// `where predicate` (also `filter`)
    Where(Expr),
    /// `project A, B = expr, ...`
    Project(Vec<NamedExpr>),
    /// `extend A = expr, ...`
    Extend(Vec<NamedExpr>),
    /// `project-away A, B*` (names may hold `*` wildcards)
    ProjectAway(Vec<Ident>),
    /// `project-keep A, B*`
    ProjectKeep(Vec<Ident>),
    /// `project-rename New = Old, ...`
    ProjectRename(Vec<(Ident, Ident)>),
    /// `project-reorder A, B* asc`: each name or pattern with an optional
    /// order for the columns it matches.
    ProjectReorder(Vec<(Ident, Option<SortOrder>)>),
    /// `sort by ...` / `order by ...`
    Sort(Vec<SortKey>),
    /// `take n` / `limit n`
    Take(Expr),
    /// `top n by key`
    Top { count: Expr, by: SortKey },
    /// `count`
    Count,
    /// `distinct A, B` or `distinct *` (one [`ExprKind::Star`])
    Distinct(Vec<Expr>),
    /// `make-series [kind=nonempty] [Name =] Agg [default = V], ... on Axis
    /// (from S to E step T | in range(S, E, T)) [by keys]`
    MakeSeries(Box<MakeSeries>),
    /// `summarize aggs by keys`
    Summarize {
        aggs: Vec<NamedExpr>,
        by: Vec<NamedExpr>,
    },
    /// `join kind=K (Right) on A, $left.B == $right.C`. Each condition is a
    /// column name or an equality of `$left.X` and `$right.Y`.
    Join {
        kind: Option<JoinKind>,
        right: Box<Expr>,
        on: Vec<Expr>,
    },
    /// `lookup kind=K (Right) on ...` (`kind` is `leftouter` or `inner`).
    Lookup {
        inner: bool,
        right: Box<Expr>,
        on: Vec<Expr>,
    },
    /// `union T2, T3` after a pipe: the input is the first table.
    Union(Union),
    /// `mv-expand [with_itemindex=I] A, B to typeof(long) [limit n]`
    MvExpand {
        items: Vec<MvExpandItem>,
        item_index: Option<Ident>,
        /// `kind=array`: bags expand to `[key, value]` pairs.
        bag_as_array: bool,
        limit: Option<Expr>,
    },
    /// `mv-apply [with_itemindex=I] A, B to typeof(long) [limit n] on
    /// (subquery)`: the subquery is a pipeline without a source, run on
    /// each input row's expansion.
    MvApply {
        items: Vec<MvExpandItem>,
        item_index: Option<Ident>,
        bag_as_array: bool,
        limit: Option<Expr>,
        ops: Vec<Operator>,
    },
    /// `parse [kind=...] [flags=...] expr with * "text" Col: type ...`, or
    /// `parse-where` (which drops the rows that do not match).
    Parse {
        kind: ParseKind,
        /// Regex flags for `kind=regex` (`U`, `i`, `m`, `s`).
        flags: Option<String>,
        filter: bool,
        expr: Expr,
        parts: Vec<ParsePart>,
    },
    /// `render chart [with (...)]`: the chart name and the text of its
    /// properties.
    Render { chart: Ident, props: String },
    /// `evaluate plugin(args) [: (schema)]`; arguments may be named
    /// (`columnsConflict = 'keep_source'`).
    Evaluate {
        plugin: Ident,
        args: Vec<NamedExpr>,
        /// `: (*, Name: type, ...)`: the output schema; `true` when it
        /// holds `*` (the other input columns).
        schema: Option<(bool, Vec<ColumnDecl>)>,
    },
    /// `invoke f(args)`: the input becomes the first argument.
    Invoke(Expr),
    /// `serialize [Name = expr, ...]`
    Serialize(Vec<NamedExpr>),
    /// `search [kind=case_sensitive] predicate`: a string literal in the
    /// predicate matches rows where any string column has that term. (The
    /// source form `search in (T1, T2) ...` parses as a `union` with a
    /// `$table` column piped into this.)
    Search {
        case_sensitive: bool,
        predicate: Expr,
    },
    /// `partition by Col (operators)`: the operators run on each group of
    /// rows with one value of `Col`; or `partition by Col { query }`: the
    /// query runs once per value, with `Col` bound to it.
    Partition {
        by: Ident,
        ops: Vec<Operator>,
        query: Option<Box<Expr>>,
    },
    /// `top-nested [N] of Key by Agg [asc|desc], top-nested ...`
    TopNested(Vec<TopNestedLevel>),
    /// `getschema`
    GetSchema,
    /// `as Name`
    As(Ident),
    /// `sample n`
    Sample(Expr),
    /// `scan [with_match_id=Name] [declare (Col: type [= default], ...)]
    /// with (step Name [output=all|last|none]: Condition [=> Col = expr,
    /// ...]; ...)`
    Scan(ScanSpec),
    /// `facet by A, B [with (operators)]`: one result table per column
    /// (and one for the operators); only as a query's last operator.
    Facet { by: Vec<Ident>, with: Vec<Operator> },
    /// `reduce [kind=source] by expr [with threshold = x, characters = "s"]`
    Reduce {
        source: bool,
        expr: Expr,
        params: Vec<(Ident, Expr)>,
    },
    /// `project-by-names "Name", "C*", dynamic([...]), column_names_of(T)`
    ProjectByNames(Vec<Expr>),
    /// `parse-kv expr as (Key: type, ...) [with (name = value, ...)]`
    ParseKv {
        expr: Expr,
        keys: Vec<ColumnDecl>,
        /// The `with (...)` parameters (`pair_delimiter`, `kv_delimiter`,
        /// `quote`, `escape`, `greedy`, `regex`), in order.
        params: Vec<(Ident, Expr)>,
    },
}

/// The clauses of `scan`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanSpec {
    /// `with_match_id=Name`
    pub match_id: Option<Ident>,
    /// `declare (Name: type [= default], ...)`
    pub declare: Vec<ScanDecl>,
    pub steps: Vec<ScanStep>,
}

/// `Name: type [= default]` in `scan ... declare (...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanDecl {
    pub name: Ident,
    pub ty: KqlType,
    pub default: Option<Expr>,
    pub span: Span,
}

/// Which matches of a `scan` step produce output rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanOutput {
    All,
    Last,
    None,
}

/// `step Name [output=...]: Condition [=> Col = expr, ...];`
#[derive(Clone, Debug, PartialEq)]
pub struct ScanStep {
    pub name: Ident,
    pub output: ScanOutput,
    pub condition: Expr,
    pub assignments: Vec<(Ident, Expr)>,
    pub span: Span,
}
