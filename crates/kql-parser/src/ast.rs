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
    /// `distinct A, B` or `distinct *` (empty list)
    Distinct(Vec<Expr>),
    /// `summarize aggs by keys`
    Summarize {
        aggs: Vec<NamedExpr>,
        by: Vec<NamedExpr>,
    },
}
