//! Name and type resolution: lowers the syntax tree into a logical plan.

mod expand;
mod expr;
mod operators;
mod parse;
mod parse_kv;
mod plugins;
mod row_plugins;
mod scan;
mod series;
mod summarize;
mod tabular;
mod user;
mod window;

use crate::cast::{cast_scalar, common_type, implicit_cast};
use crate::functions::{AggFunc, ScalarFunc, OPERATOR_NAMES};
use crate::plan::*;
use kql_common::suggest::did_you_mean;
use kql_common::time::parse_datetime;
use kql_common::{Diagnostic, KqlType, ScalarValue, Span};
pub use kql_parser::ast::JoinKind;
use kql_parser::ast::{self, ExprKind, ListOp, OperatorKind, StatementKind, StrOp, StrOpKind};
use std::collections::HashMap;

/// What the planner needs to know about tables.
pub trait Catalog {
    /// The schema of a table, if there is one with this exact name.
    fn table_schema(&self, name: &str) -> Option<Schema>;
    /// Every table name, for suggestions.
    fn table_names(&self) -> Vec<String>;
    /// Runs a subquery (`toscalar(...)`, `x in (T | project y)`) and returns
    /// the values of its first column; `None` when this catalog cannot run
    /// queries.
    fn column_values(&self, _plan: &LogicalPlan) -> Option<Result<Vec<ScalarValue>, Diagnostic>> {
        None
    }
    /// `set query_now = ...` was read: subqueries run from here on see
    /// this `now()`.
    fn set_query_now(&self, _now: i64) {}
    /// Reads the rows of `externaldata` from `url` (a local path, a
    /// `file://` URL, or an http(s) URL looked up in a local cache);
    /// `None` when this catalog cannot read files.
    fn external_data(
        &self,
        _url: &str,
        _props: &[(String, String)],
        _schema: &Schema,
    ) -> Option<Result<Vec<Vec<ScalarValue>>, Diagnostic>> {
        None
    }
}

/// The planned query: one plan per tabular statement, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedQuery {
    pub results: Vec<LogicalPlan>,
    /// Things the user should know that do not stop the query (a `render`
    /// that draws nothing, a cloud-only function's stand-in).
    pub warnings: Vec<Diagnostic>,
    /// `set query_now = datetime(...)`: the value of `now()` for the query.
    pub query_now: Option<i64>,
}

/// Resolves every statement of `query` against `catalog`.
pub fn plan_query(
    query: &ast::Query,
    catalog: &dyn Catalog,
) -> Result<PlannedQuery, Vec<Diagnostic>> {
    let mut planner = Planner {
        catalog,
        lets: HashMap::new(),
        warnings: Vec::new(),
        depth: 0,
        calling: Vec::new(),
        bin_auto_size: None,
        bin_auto_at: None,
    };
    let mut results = Vec::new();
    let mut errors = Vec::new();
    let mut query_now = None;
    for stmt in &query.statements {
        match &stmt.kind {
            StatementKind::Let { name, value } => match planner.let_binding(value) {
                Ok(b) => {
                    planner.lets.insert(name.name.clone(), b);
                }
                Err(e) => {
                    errors.push(e);
                    // Bind a placeholder so later uses do not cascade.
                    planner.lets.insert(name.name.clone(), Binding::Error);
                }
            },
            StatementKind::Set { name, value } => match planner.set_option(name, value.as_ref()) {
                Ok(Some(now)) => {
                    query_now = Some(now);
                    catalog.set_query_now(now);
                }
                Ok(None) => {}
                Err(e) => errors.push(e),
            },
            StatementKind::Query(e) => match planner.statement_results(e) {
                Ok(p) => results.extend(p),
                Err(err) => errors.push(err),
            },
            StatementKind::Function { name, def } => {
                planner.lets.insert(
                    name.name.clone(),
                    Binding::Function(std::rc::Rc::new(def.clone())),
                );
            }
            StatementKind::DeclareParams(params) => {
                for p in params {
                    let binding = match (&p.default, &p.ty) {
                        (Some(d), ast::ParamType::Scalar(t)) => {
                            match planner.expr(d, &Schema::default()) {
                                Ok(v) => Binding::Scalar(v.cast(*t)),
                                Err(e) => {
                                    errors.push(e);
                                    Binding::Error
                                }
                            }
                        }
                        _ => {
                            errors.push(
                                err(
                                    "kql::plan::missing_parameter",
                                    format!("query parameter `{}` has no value", p.name.name),
                                    p.span,
                                )
                                .with_help("give it a default: `declare query_parameters (Name: string = \"value\");`"),
                            );
                            Binding::Error
                        }
                    };
                    planner.lets.insert(p.name.name.clone(), binding);
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if results.is_empty() {
        let end = query.span.end;
        return Err(vec![Diagnostic::error(
            "kql::plan::no_query",
            "the query has no tabular expression to run",
        )
        .with_span(Span::new(end, end))
        .with_help(
            "end the query with a tabular expression, e.g. `DeviceInfo | take 10`",
        )]);
    }
    Ok(PlannedQuery {
        results,
        warnings: planner.warnings,
        query_now,
    })
}

/// The name used in messages for a string operator.
pub fn str_op_name(op: StrOp) -> String {
    let base = match op.kind {
        StrOpKind::Equals => return if op.negated { "!~" } else { "=~" }.to_string(),
        StrOpKind::Contains => "contains",
        StrOpKind::StartsWith => "startswith",
        StrOpKind::EndsWith => "endswith",
        StrOpKind::Has => "has",
        StrOpKind::HasPrefix => "hasprefix",
        StrOpKind::HasSuffix => "hassuffix",
    };
    format!(
        "{}{base}{}",
        if op.negated { "!" } else { "" },
        if op.case_sensitive { "_cs" } else { "" }
    )
}

#[derive(Clone)]
pub(super) enum Binding {
    Scalar(PlanExpr),
    Tabular(LogicalPlan),
    /// A user-defined function or view.
    Function(std::rc::Rc<ast::FunctionDef>),
    /// The `let` itself failed; its error was already reported.
    Error,
}

pub(super) struct Planner<'a> {
    pub(super) catalog: &'a dyn Catalog,
    pub(super) lets: HashMap<String, Binding>,
    pub(super) warnings: Vec<Diagnostic>,
    /// How many user-defined function calls are being planned.
    pub(super) depth: usize,
    /// The user-defined functions being planned, innermost last.
    pub(super) calling: Vec<String>,
    /// `set query_bin_auto_size = ...`: the bin size of `bin_auto()`.
    pub(super) bin_auto_size: Option<ScalarValue>,
    /// `set query_bin_auto_at = ...`: the fixed point of `bin_auto()`.
    pub(super) bin_auto_at: Option<ScalarValue>,
}

pub(super) type R<T> = Result<T, Diagnostic>;

pub(super) fn err(code: &'static str, msg: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::error(code, msg).with_span(span)
}

/// Whether an expression is tabular by its shape alone.
pub(super) fn is_tabular_shape(e: &ast::Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Pipe { .. }
            | ExprKind::Print(_)
            | ExprKind::DataTable { .. }
            | ExprKind::Range { .. }
            | ExprKind::Union(_)
            | ExprKind::ExternalData { .. }
    )
}

impl Planner<'_> {
    pub(super) fn let_binding(&mut self, value: &ast::Expr) -> R<Binding> {
        if let ExprKind::Call { func, args } = &value.kind {
            if let Some(def) = self.user_function(&func.name) {
                return self.call_function(func, &def, args, None, &Schema::default(), value.span);
            }
        }
        if let ExprKind::Name(id) = &value.kind {
            if let Some(def) = self.user_function(&id.name) {
                // `let g = f;` names the same function.
                return Ok(Binding::Function(def));
            }
        }
        if is_tabular_shape(value) || self.names_table(value) {
            return Ok(Binding::Tabular(self.tabular(value)?));
        }
        Ok(Binding::Scalar(self.expr(value, &Schema::default())?))
    }

    /// Whether the expression is a bare name of a table or tabular `let`.
    pub(super) fn names_table(&self, e: &ast::Expr) -> bool {
        match &e.kind {
            ExprKind::Name(id) => match self.lets.get(&id.name) {
                Some(Binding::Tabular(_)) => true,
                Some(Binding::Function(f)) => f.params.iter().all(|p| p.default.is_some()),
                Some(_) => false,
                None => self.catalog.table_schema(&id.name).is_some(),
            },
            ExprKind::Call { func, args } if func.name == "materialize" => args.len() == 1,
            _ => false,
        }
    }

    pub(super) fn unknown_table(&self, id: &ast::Ident) -> Diagnostic {
        let mut names = self.catalog.table_names();
        names.extend(
            self.lets
                .iter()
                .filter(|(_, b)| matches!(b, Binding::Tabular(_)))
                .map(|(n, _)| n.clone()),
        );
        let suggestion = did_you_mean(&id.name, names.iter().map(String::as_str));
        let mut d = err(
            "kql::plan::unknown_table",
            format!("unknown table `{}`", id.name),
            id.span,
        )
        .with_label("no table or tabular let with this name");
        d = match suggestion {
            Some(s) => d.with_help(format!("did you mean {s}?")),
            None => {
                names.sort();
                let list: Vec<&str> = names.iter().take(12).map(String::as_str).collect();
                d.with_help(format!("known tables: {}", list.join(", ")))
            }
        };
        d
    }

    /// Plans a tabular expression.
    pub(super) fn tabular(&mut self, e: &ast::Expr) -> R<LogicalPlan> {
        if let Some(r) = self.tabular_call(e) {
            return r;
        }
        match &e.kind {
            ExprKind::Name(id) => match self.lets.get(&id.name) {
                Some(Binding::Tabular(p)) => Ok(p.clone()),
                Some(Binding::Error) => Err(err(
                    "kql::plan::bad_let",
                    format!("`{}` could not be planned (see the earlier error)", id.name),
                    id.span,
                )),
                Some(Binding::Scalar(_)) => Err(err(
                    "kql::plan::not_tabular",
                    format!("`{}` is a scalar value, not a table", id.name),
                    id.span,
                )
                .with_help("a query must start with a table, e.g. `DeviceProcessEvents | ...`")),
                Some(Binding::Function(_)) => Err(err(
                    "kql::plan::not_tabular",
                    format!("`{}` is a function; call it with its arguments", id.name),
                    id.span,
                )),
                None => match self.catalog.table_schema(&id.name) {
                    Some(schema) => Ok(LogicalPlan::Scan(Scan {
                        table: id.name.clone(),
                        schema,
                    })),
                    None => Err(self.unknown_table(id)),
                },
            },
            ExprKind::Pipe { input, op } => {
                let input = self.tabular(input)?;
                self.operator(input, op)
            }
            ExprKind::Print(items) => {
                let input = LogicalPlan::SingleRow;
                let schema = Schema::default();
                let mut exprs = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let pe = self.expr(&item.expr, &schema)?;
                    if let Some(cols) = self.multi_columns(item, &pe, &schema)? {
                        exprs.extend(cols);
                        continue;
                    }
                    let name = match item.names.as_slice() {
                        [] => format!("print_{i}"),
                        [n] => n.name.clone(),
                        _ => return Err(multi_name_error(item)),
                    };
                    exprs.push((name, pe));
                }
                check_unique(&exprs, items.iter().map(|i| i.span))?;
                Ok(LogicalPlan::Project(Project {
                    input: Box::new(input),
                    exprs,
                }))
            }
            ExprKind::DataTable { columns, values } => {
                let schema = Schema::new(
                    columns
                        .iter()
                        .map(|c| Column::new(c.name.name.clone(), c.ty))
                        .collect(),
                );
                if columns.is_empty() {
                    return Err(err(
                        "kql::plan::bad_datatable",
                        "datatable needs at least one column",
                        e.span,
                    ));
                }
                if values.len() % columns.len() != 0 {
                    return Err(err(
                        "kql::plan::bad_datatable",
                        format!(
                            "datatable has {} values, not a multiple of its {} columns",
                            values.len(),
                            columns.len()
                        ),
                        e.span,
                    ));
                }
                let empty = Schema::default();
                let mut rows = Vec::new();
                for chunk in values.chunks(columns.len()) {
                    let mut row = Vec::new();
                    for (v, col) in chunk.iter().zip(columns) {
                        let pe = self.expr(v, &empty)?;
                        let value = pe.as_literal().and_then(|l| implicit_cast(l, col.ty));
                        match value {
                            Some(value) if value.kql_type() == col.ty => row.push(value),
                            _ => {
                                return Err(err(
                                    "kql::plan::type_mismatch",
                                    format!(
                                        "value of type {} does not fit column `{}` of type {}",
                                        pe.ty, col.name.name, col.ty
                                    ),
                                    v.span,
                                ))
                            }
                        }
                    }
                    rows.push(row);
                }
                Ok(LogicalPlan::Values(Values { schema, rows }))
            }
            ExprKind::Range {
                name,
                from,
                to,
                step,
            } => {
                let empty = Schema::default();
                let f = self.constant(from, &empty)?;
                let t = self.constant(to, &empty)?;
                let s = self.constant(step, &empty)?;
                let ty = match (f.kql_type(), t.kql_type()) {
                    (KqlType::DateTime, KqlType::DateTime) => KqlType::DateTime,
                    (KqlType::TimeSpan, KqlType::TimeSpan) => KqlType::TimeSpan,
                    (a, b) => common_type(a, b)
                        .filter(|t| t.is_numeric())
                        .ok_or_else(|| {
                            err(
                                "kql::plan::type_mismatch",
                                format!("range bounds must be numbers, datetimes or timespans, not {a} and {b}"),
                                from.span.to(to.span),
                            )
                        })?,
                };
                let step_ty = if ty == KqlType::DateTime {
                    KqlType::TimeSpan
                } else {
                    ty
                };
                let cast = |v: &ScalarValue, t: KqlType, span: Span| {
                    cast_scalar(v, t).ok_or_else(|| {
                        err(
                            "kql::plan::type_mismatch",
                            format!("expected a {t} here, found {}", v.kql_type()),
                            span,
                        )
                    })
                };
                Ok(LogicalPlan::Range(Range {
                    name: name.name.clone(),
                    ty,
                    start: cast(&f, ty, from.span)?,
                    stop: cast(&t, ty, to.span)?,
                    step: cast(&s, step_ty, step.span)?,
                }))
            }
            ExprKind::Call { func, args } if func.name == "materialize" && args.len() == 1 => {
                self.tabular(&args[0])
            }
            ExprKind::Union(u) => self.union(None, u),
            ExprKind::ExternalData {
                columns,
                urls,
                props,
            } => self.external_data(columns, urls, props, e.span),
            _ => Err(
                err("kql::plan::not_tabular", "expected a table here", e.span)
                    .with_help("a query starts with a table name, `print`, `datatable` or `range`"),
            ),
        }
    }

    pub(super) fn constant(&mut self, e: &ast::Expr, schema: &Schema) -> R<ScalarValue> {
        // Arithmetic on constants (`24 * 10 - 1`) folds to one.
        let pe = crate::optimize::fold(self.expr(e, schema)?);
        match pe.kind {
            PlanExprKind::Literal(v) => Ok(v),
            _ => Err(err(
                "kql::plan::not_constant",
                "expected a constant value here",
                e.span,
            )),
        }
    }
}

pub(super) fn column_refs(schema: &Schema) -> Vec<(String, PlanExpr)> {
    schema
        .columns
        .iter()
        .enumerate()
        .map(|(index, c)| {
            (
                c.name.clone(),
                PlanExpr::new(
                    PlanExprKind::Column {
                        index,
                        name: c.name.clone(),
                    },
                    c.ty,
                    Span::default(),
                ),
            )
        })
        .collect()
}

pub(super) fn multi_name_error(item: &ast::NamedExpr) -> Diagnostic {
    err(
        "kql::plan::unsupported",
        "assigning one expression to several names is not supported yet",
        item.span,
    )
}

pub(super) fn check_unique(
    exprs: &[(String, PlanExpr)],
    spans: impl Iterator<Item = Span>,
) -> R<()> {
    let spans: Vec<Span> = spans.collect();
    for (i, (n, _)) in exprs.iter().enumerate() {
        if exprs[..i].iter().any(|(m, _)| m == n) {
            let span = spans.get(i).copied().unwrap_or_default();
            return Err(err(
                "kql::plan::duplicate_column",
                format!("column `{n}` appears twice in the output"),
                span,
            )
            .with_help("give one of them another name with `Name = ...`"));
        }
    }
    Ok(())
}

/// Matches a column name against a pattern with `*` wildcards.
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(x) => x,
        None => return pattern == name,
    };
    let Some(mut remaining) = name.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for part in middle {
        match remaining.find(part) {
            Some(i) => remaining = &remaining[i + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

/// Suggestions for a mistyped operator name.
pub fn suggest_operator(name: &str) -> Option<String> {
    did_you_mean(name, OPERATOR_NAMES.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn wildcards() {
        assert!(wildcard_match("Device*", "DeviceName"));
        assert!(wildcard_match("*Name", "DeviceName"));
        assert!(wildcard_match("D*N*e", "DeviceName"));
        assert!(!wildcard_match("Device*", "FileName"));
        assert!(wildcard_match("*", "x"));
    }
}
