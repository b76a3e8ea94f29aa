//! Name and type resolution: lowers the syntax tree into a logical plan.

use crate::cast::{cast_scalar, common_type, implicit_cast};
use crate::functions::{AggFunc, ScalarFunc, OPERATOR_NAMES};
use crate::plan::*;
use kql_common::suggest::did_you_mean;
use kql_common::time::parse_datetime;
use kql_common::{Diagnostic, KqlType, ScalarValue, Span};
use kql_parser::ast::{self, ExprKind, ListOp, OperatorKind, StatementKind, StrOp, StrOpKind};
use std::collections::HashMap;

/// What the planner needs to know about tables.
pub trait Catalog {
    /// The schema of a table, if there is one with this exact name.
    fn table_schema(&self, name: &str) -> Option<Schema>;
    /// Every table name, for suggestions.
    fn table_names(&self) -> Vec<String>;
}

/// The planned query: one plan per tabular statement, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedQuery {
    pub results: Vec<LogicalPlan>,
}

/// Resolves every statement of `query` against `catalog`.
pub fn plan_query(
    query: &ast::Query,
    catalog: &dyn Catalog,
) -> Result<PlannedQuery, Vec<Diagnostic>> {
    let mut planner = Planner {
        catalog,
        lets: HashMap::new(),
    };
    let mut results = Vec::new();
    let mut errors = Vec::new();
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
            StatementKind::Query(e) => match planner.tabular(e) {
                Ok(p) => results.push(p),
                Err(err) => errors.push(err),
            },
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
    Ok(PlannedQuery { results })
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
enum Binding {
    Scalar(PlanExpr),
    Tabular(LogicalPlan),
    /// The `let` itself failed; its error was already reported.
    Error,
}

struct Planner<'a> {
    catalog: &'a dyn Catalog,
    lets: HashMap<String, Binding>,
}

type R<T> = Result<T, Diagnostic>;

fn err(code: &'static str, msg: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::error(code, msg).with_span(span)
}

/// Whether an expression is tabular by its shape alone.
fn is_tabular_shape(e: &ast::Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Pipe { .. }
            | ExprKind::Print(_)
            | ExprKind::DataTable { .. }
            | ExprKind::Range { .. }
    )
}

impl Planner<'_> {
    fn let_binding(&mut self, value: &ast::Expr) -> R<Binding> {
        if is_tabular_shape(value) || self.names_table(value) {
            return Ok(Binding::Tabular(self.tabular(value)?));
        }
        Ok(Binding::Scalar(self.expr(value, &Schema::default())?))
    }

    /// Whether the expression is a bare name of a table or tabular `let`.
    fn names_table(&self, e: &ast::Expr) -> bool {
        match &e.kind {
            ExprKind::Name(id) => match self.lets.get(&id.name) {
                Some(Binding::Tabular(_)) => true,
                Some(_) => false,
                None => self.catalog.table_schema(&id.name).is_some(),
            },
            ExprKind::Call { func, args } if func.name == "materialize" => args.len() == 1,
            _ => false,
        }
    }

    fn unknown_table(&self, id: &ast::Ident) -> Diagnostic {
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
    fn tabular(&mut self, e: &ast::Expr) -> R<LogicalPlan> {
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
            _ => Err(
                err("kql::plan::not_tabular", "expected a table here", e.span)
                    .with_help("a query starts with a table name, `print`, `datatable` or `range`"),
            ),
        }
    }

    fn constant(&mut self, e: &ast::Expr, schema: &Schema) -> R<ScalarValue> {
        let pe = self.expr(e, schema)?;
        match pe.kind {
            PlanExprKind::Literal(v) => Ok(v),
            _ => Err(err(
                "kql::plan::not_constant",
                "expected a constant value here",
                e.span,
            )),
        }
    }

    fn operator(&mut self, input: LogicalPlan, op: &ast::Operator) -> R<LogicalPlan> {
        let schema = input.schema();
        let input = Box::new(input);
        match &op.kind {
            OperatorKind::Where(pred) => {
                let predicate = self.predicate(pred, &schema)?;
                Ok(LogicalPlan::Filter(Filter { input, predicate }))
            }
            OperatorKind::Project(items) => {
                let mut exprs = Vec::new();
                let mut auto = 0;
                for item in items {
                    let pe = self.expr(&item.expr, &schema)?;
                    let name = self.item_name(item, &pe, &mut auto)?;
                    exprs.push((name, pe));
                }
                check_unique(&exprs, items.iter().map(|i| i.span))?;
                Ok(LogicalPlan::Project(Project { input, exprs }))
            }
            OperatorKind::Extend(items) => {
                let mut exprs: Vec<(String, PlanExpr)> = column_refs(&schema);
                let mut auto = 0;
                for item in items {
                    let pe = self.expr(&item.expr, &schema)?;
                    let name = self.item_name(item, &pe, &mut auto)?;
                    match exprs.iter_mut().find(|(n, _)| *n == name) {
                        Some(slot) => slot.1 = pe,
                        None => exprs.push((name, pe)),
                    }
                }
                Ok(LogicalPlan::Project(Project { input, exprs }))
            }
            OperatorKind::ProjectAway(names) => {
                let drop = self.match_columns(names, &schema)?;
                let exprs = column_refs(&schema)
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| !drop.contains(i))
                    .map(|(_, c)| c)
                    .collect();
                Ok(LogicalPlan::Project(Project { input, exprs }))
            }
            OperatorKind::ProjectKeep(names) => {
                let keep = self.match_columns(names, &schema)?;
                let exprs = column_refs(&schema)
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| keep.contains(i))
                    .map(|(_, c)| c)
                    .collect();
                Ok(LogicalPlan::Project(Project { input, exprs }))
            }
            OperatorKind::ProjectRename(pairs) => {
                let mut exprs = column_refs(&schema);
                for (new, old) in pairs {
                    let idx = self.column_index(old, &schema)?;
                    exprs[idx].0 = new.name.clone();
                }
                check_unique(&exprs, pairs.iter().map(|(n, _)| n.span))?;
                Ok(LogicalPlan::Project(Project { input, exprs }))
            }
            OperatorKind::ProjectReorder(items) => {
                let mut first: Vec<usize> = Vec::new();
                for (id, order) in items {
                    let mut matched = self.match_columns(std::slice::from_ref(id), &schema)?;
                    match order {
                        Some(ast::SortOrder::Asc) => matched
                            .sort_by(|a, b| schema.columns[*a].name.cmp(&schema.columns[*b].name)),
                        Some(ast::SortOrder::Desc) => matched
                            .sort_by(|a, b| schema.columns[*b].name.cmp(&schema.columns[*a].name)),
                        None => {}
                    }
                    for i in matched {
                        if !first.contains(&i) {
                            first.push(i);
                        }
                    }
                }
                let refs = column_refs(&schema);
                let mut exprs: Vec<(String, PlanExpr)> =
                    first.iter().map(|&i| refs[i].clone()).collect();
                exprs.extend(
                    refs.iter()
                        .enumerate()
                        .filter(|(i, _)| !first.contains(i))
                        .map(|(_, c)| c.clone()),
                );
                Ok(LogicalPlan::Project(Project { input, exprs }))
            }
            OperatorKind::Sort(keys) => {
                let keys = keys
                    .iter()
                    .map(|k| self.sort_key(k, &schema))
                    .collect::<R<Vec<_>>>()?;
                Ok(LogicalPlan::Sort(Sort { input, keys }))
            }
            OperatorKind::Take(n) => {
                let count = self.row_count(n, &schema)?;
                Ok(LogicalPlan::Limit(Limit { input, count }))
            }
            OperatorKind::Top { count, by } => {
                let count = self.row_count(count, &schema)?;
                let key = self.sort_key(by, &schema)?;
                Ok(LogicalPlan::Limit(Limit {
                    input: Box::new(LogicalPlan::Sort(Sort {
                        input,
                        keys: vec![key],
                    })),
                    count,
                }))
            }
            OperatorKind::Count => Ok(LogicalPlan::Aggregate(Aggregate {
                input,
                keys: vec![],
                aggs: vec![(
                    "Count".to_string(),
                    AggExpr {
                        func: AggFunc::Count,
                        args: vec![],
                        ty: KqlType::Long,
                        span: op.span,
                    },
                )],
            })),
            OperatorKind::Distinct(cols) => {
                let keys = if cols.is_empty()
                    || matches!(cols.as_slice(), [c] if c.kind == ExprKind::Star)
                {
                    column_refs(&schema)
                } else {
                    let mut keys = Vec::new();
                    let mut auto = 0;
                    for c in cols {
                        let pe = self.expr(c, &schema)?;
                        let name = match &pe.kind {
                            PlanExprKind::Column { name, .. } => name.clone(),
                            _ => {
                                auto += 1;
                                format!("Column{auto}")
                            }
                        };
                        keys.push((name, pe));
                    }
                    keys
                };
                Ok(LogicalPlan::Aggregate(Aggregate {
                    input,
                    keys,
                    aggs: vec![],
                }))
            }
            OperatorKind::Summarize { aggs, by } => {
                let mut keys = Vec::new();
                let mut auto = 0;
                for item in by {
                    let pe = self.expr(&item.expr, &schema)?;
                    let name = match item.names.as_slice() {
                        [n] => n.name.clone(),
                        [] => match key_column_name(&pe) {
                            Some(n) => n,
                            None => {
                                auto += 1;
                                format!("Column{auto}")
                            }
                        },
                        _ => return Err(multi_name_error(item)),
                    };
                    keys.push((name, pe));
                }
                let mut out_aggs = Vec::new();
                for item in aggs {
                    let agg = self.aggregate(&item.expr, &schema)?;
                    let name = match item.names.as_slice() {
                        [n] => n.name.clone(),
                        [] => agg_default_name(&agg),
                        _ => return Err(multi_name_error(item)),
                    };
                    out_aggs.push((name, agg));
                }
                let mut all: Vec<(String, Span)> = keys
                    .iter()
                    .zip(by)
                    .map(|((n, _), i)| (n.clone(), i.span))
                    .collect();
                all.extend(
                    out_aggs
                        .iter()
                        .zip(aggs)
                        .map(|((n, _), i)| (n.clone(), i.span)),
                );
                for (i, (n, span)) in all.iter().enumerate() {
                    if all[..i].iter().any(|(m, _)| m == n) {
                        return Err(err(
                            "kql::plan::duplicate_column",
                            format!("column `{n}` is produced twice"),
                            *span,
                        )
                        .with_help("give one of them another name with `Name = ...`"));
                    }
                }
                Ok(LogicalPlan::Aggregate(Aggregate {
                    input,
                    keys,
                    aggs: out_aggs,
                }))
            }
        }
    }

    fn aggregate(&mut self, e: &ast::Expr, schema: &Schema) -> R<AggExpr> {
        let ExprKind::Call { func, args } = &e.kind else {
            return Err(err(
                "kql::plan::not_aggregate",
                "summarize needs an aggregation function call here",
                e.span,
            )
            .with_help("e.g. `count()`, `dcount(DeviceName)`, `max(Timestamp)`"));
        };
        let Some(f) = AggFunc::from_name(&func.name) else {
            let names = AggFunc::ALL.iter().map(|f| f.name());
            return Err(err(
                "kql::plan::unknown_function",
                format!("unknown aggregation function `{}`", func.name),
                func.span,
            )
            .with_suggestion(did_you_mean(&func.name, names)));
        };
        let mut pargs = Vec::new();
        for a in args {
            if a.kind == ExprKind::Star && f == AggFunc::Count {
                continue;
            }
            pargs.push(self.expr(a, schema)?);
        }
        let types: Vec<KqlType> = pargs.iter().map(|a| a.ty).collect();
        let ty = f
            .return_type(&types)
            .map_err(|m| err("kql::plan::bad_arguments", m, e.span))?;
        Ok(AggExpr {
            func: f,
            args: pargs,
            ty,
            span: e.span,
        })
    }

    fn sort_key(&mut self, k: &ast::SortKey, schema: &Schema) -> R<SortKey> {
        let expr = self.expr(&k.expr, schema)?;
        let descending = !matches!(k.order, Some(ast::SortOrder::Asc));
        let nulls_first = match k.nulls {
            Some(ast::NullsOrder::First) => true,
            Some(ast::NullsOrder::Last) => false,
            None => !descending,
        };
        Ok(SortKey {
            expr,
            descending,
            nulls_first,
        })
    }

    fn row_count(&mut self, e: &ast::Expr, schema: &Schema) -> R<usize> {
        let v = self.expr(e, schema)?;
        match v.as_literal().and_then(|l| cast_scalar(l, KqlType::Long)) {
            Some(ScalarValue::Long(n)) if n >= 0 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => Err(err(
                "kql::plan::bad_row_count",
                "expected a non-negative whole number of rows",
                e.span,
            )),
        }
    }

    /// The output name of a `project`/`extend` item.
    fn item_name(&self, item: &ast::NamedExpr, pe: &PlanExpr, auto: &mut usize) -> R<String> {
        Ok(match item.names.as_slice() {
            [n] => n.name.clone(),
            [] => match &pe.kind {
                PlanExprKind::Column { name, .. } => name.clone(),
                _ => {
                    *auto += 1;
                    format!("Column{auto}")
                }
            },
            _ => return Err(multi_name_error(item)),
        })
    }

    fn column_index(&self, id: &ast::Ident, schema: &Schema) -> R<usize> {
        schema
            .index_of(&id.name)
            .ok_or_else(|| self.unknown_column(id, schema))
    }

    /// Columns named by a list that may hold `*` wildcards, in list order.
    fn match_columns(&self, names: &[ast::Ident], schema: &Schema) -> R<Vec<usize>> {
        let mut out: Vec<usize> = Vec::new();
        for id in names {
            if id.name.contains('*') {
                for (i, c) in schema.columns.iter().enumerate() {
                    if wildcard_match(&id.name, &c.name) && !out.contains(&i) {
                        out.push(i);
                    }
                }
            } else {
                let i = self.column_index(id, schema)?;
                if !out.contains(&i) {
                    out.push(i);
                }
            }
        }
        Ok(out)
    }

    fn unknown_column(&self, id: &ast::Ident, schema: &Schema) -> Diagnostic {
        let scalars: Vec<&str> = self
            .lets
            .iter()
            .filter(|(_, b)| matches!(b, Binding::Scalar(_)))
            .map(|(n, _)| n.as_str())
            .collect();
        let suggestion = did_you_mean(&id.name, schema.names().chain(scalars.iter().copied()));
        let mut d = err(
            "kql::plan::unknown_column",
            format!("unknown column or variable `{}`", id.name),
            id.span,
        )
        .with_label("not a column of the input here");
        if let Some(s) = suggestion {
            d = d.with_help(format!("did you mean {s}?"));
        } else if self.catalog.table_schema(&id.name).is_some() {
            d = d.with_help(format!(
                "`{}` is a table; use it at the start of a query or in a subquery",
                id.name
            ));
        }
        d
    }

    fn predicate(&mut self, e: &ast::Expr, schema: &Schema) -> R<PlanExpr> {
        let pe = self.expr(e, schema)?;
        match pe.ty {
            KqlType::Bool => Ok(pe),
            KqlType::Dynamic => Ok(pe.cast(KqlType::Bool)),
            t => Err(err(
                "kql::plan::type_mismatch",
                format!("a filter needs a bool expression, this is {t}"),
                e.span,
            )
            .with_help(if matches!(e.kind, ExprKind::Name(_)) {
                "compare the value, e.g. `where Column == \"value\"`"
            } else {
                "use a comparison such as ==, contains or between"
            })),
        }
    }

    /// Resolves a scalar expression against the columns of `schema`.
    fn expr(&mut self, e: &ast::Expr, schema: &Schema) -> R<PlanExpr> {
        let span = e.span;
        match &e.kind {
            ExprKind::Literal(l) => Ok(PlanExpr::literal(literal(l, span)?, span)),
            ExprKind::Name(id) => {
                if let Some(index) = schema.index_of(&id.name) {
                    return Ok(PlanExpr::new(
                        PlanExprKind::Column {
                            index,
                            name: id.name.clone(),
                        },
                        schema.columns[index].ty,
                        span,
                    ));
                }
                match self.lets.get(&id.name) {
                    Some(Binding::Scalar(v)) => {
                        let mut v = v.clone();
                        v.span = span;
                        Ok(v)
                    }
                    Some(Binding::Tabular(_)) => Err(err(
                        "kql::plan::not_scalar",
                        format!("`{}` is a table, not a value", id.name),
                        span,
                    )),
                    Some(Binding::Error) => Err(err(
                        "kql::plan::bad_let",
                        format!("`{}` could not be planned (see the earlier error)", id.name),
                        span,
                    )),
                    None => Err(self.unknown_column(id, schema)),
                }
            }
            ExprKind::Star => Err(err(
                "kql::plan::unexpected_star",
                "`*` is not allowed here",
                span,
            )),
            ExprKind::Call { func, args } => self.call(func, args, schema, span),
            ExprKind::Unary { op, expr } => {
                let inner = self.expr(expr, schema)?;
                if !(inner.ty.is_numeric() || inner.ty == KqlType::TimeSpan) {
                    return Err(err(
                        "kql::plan::type_mismatch",
                        format!("cannot negate a {}", inner.ty),
                        span,
                    ));
                }
                Ok(match op {
                    ast::UnaryOp::Plus => inner,
                    ast::UnaryOp::Neg => {
                        let ty = inner.ty;
                        if let Some(v) = inner.as_literal().and_then(negate) {
                            return Ok(PlanExpr::literal(v, span));
                        }
                        PlanExpr::new(PlanExprKind::Neg(Box::new(inner)), ty, span)
                    }
                })
            }
            ExprKind::Binary { op, left, right } => {
                let l = self.expr(left, schema)?;
                let r = self.expr(right, schema)?;
                self.binary(*op, l, r, span)
            }
            ExprKind::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let x = self.expr(expr, schema)?;
                let lo = self.expr(low, schema)?;
                let mut hi = self.expr(high, schema)?;
                if x.ty == KqlType::DateTime
                    && lo.ty == KqlType::DateTime
                    && hi.ty == KqlType::TimeSpan
                {
                    // `between (start .. 1d)`: the upper bound is start + span.
                    hi = self.binary(ast::BinaryOp::Add, lo.clone(), hi, high.span)?;
                }
                let t = [lo.ty, hi.ty].iter().try_fold(x.ty, |acc, t| {
                    common_type(acc, *t).filter(|c| comparable(*c))
                });
                let Some(t) = t else {
                    return Err(err(
                        "kql::plan::type_mismatch",
                        format!(
                            "between needs bounds of the same kind as the value: {} between ({} .. {})",
                            x.ty, lo.ty, hi.ty
                        ),
                        span,
                    ));
                };
                Ok(PlanExpr::new(
                    PlanExprKind::Between {
                        expr: Box::new(x.cast(t)),
                        low: Box::new(lo.cast(t)),
                        high: Box::new(hi.cast(t)),
                        negated: *negated,
                    },
                    KqlType::Bool,
                    span,
                ))
            }
            ExprKind::InList { expr, op, list } => {
                let x = self.expr(expr, schema)?;
                let (negated, ci) = match op {
                    ListOp::In => (false, false),
                    ListOp::NotIn => (true, false),
                    ListOp::InCi => (false, true),
                    ListOp::NotInCi => (true, true),
                    ListOp::HasAny | ListOp::HasAll => {
                        return Err(err(
                            "kql::plan::unsupported",
                            "has_any and has_all are not supported yet",
                            span,
                        ))
                    }
                };
                let target = if ci { KqlType::String } else { x.ty };
                let mut values = Vec::new();
                for item in list {
                    if is_tabular_shape(item) || self.names_table(item) {
                        return Err(err(
                            "kql::plan::unsupported",
                            "`in` over a subquery is not supported yet",
                            item.span,
                        ));
                    }
                    let v = self.constant(item, schema)?;
                    let elems = match v {
                        ScalarValue::Dynamic(serde_json::Value::Array(a)) => {
                            a.into_iter().map(ScalarValue::Dynamic).collect()
                        }
                        other => vec![other],
                    };
                    for el in elems {
                        match implicit_cast(&el, target) {
                            Some(c) if c.kql_type() == target => values.push(c),
                            _ => {
                                return Err(err(
                                    "kql::plan::type_mismatch",
                                    format!(
                                        "list value of type {} cannot be compared with {}",
                                        el.kql_type(),
                                        x.ty
                                    ),
                                    item.span,
                                ))
                            }
                        }
                    }
                }
                Ok(PlanExpr::new(
                    PlanExprKind::InList {
                        expr: Box::new(x.cast(target)),
                        list: values,
                        negated,
                        case_insensitive: ci,
                    },
                    KqlType::Bool,
                    span,
                ))
            }
            ExprKind::Member { .. } | ExprKind::Index { .. } => Err(err(
                "kql::plan::unsupported",
                "dynamic property access is not supported yet",
                span,
            )),
            ExprKind::Pipe { .. }
            | ExprKind::Print(_)
            | ExprKind::DataTable { .. }
            | ExprKind::Range { .. } => Err(err(
                "kql::plan::not_scalar",
                "a tabular expression cannot be used as a value here",
                span,
            )),
        }
    }

    fn call(
        &mut self,
        func: &ast::Ident,
        args: &[ast::Expr],
        schema: &Schema,
        span: Span,
    ) -> R<PlanExpr> {
        let Some(f) = ScalarFunc::from_name(&func.name) else {
            if AggFunc::from_name(&func.name).is_some() {
                return Err(err(
                    "kql::plan::aggregate_outside_summarize",
                    format!(
                        "`{}` is an aggregation function, usable only in summarize",
                        func.name
                    ),
                    func.span,
                ));
            }
            let names = ScalarFunc::ALL.iter().map(|f| f.name());
            return Err(err(
                "kql::plan::unknown_function",
                format!("unknown function `{}`", func.name),
                func.span,
            )
            .with_suggestion(did_you_mean(&func.name, names)));
        };
        let mut pargs = Vec::with_capacity(args.len());
        for a in args {
            pargs.push(self.expr(a, schema)?);
        }
        let types: Vec<KqlType> = pargs.iter().map(|a| a.ty).collect();
        let ty = f
            .return_type(&types)
            .map_err(|m| err("kql::plan::bad_arguments", m, span))?;
        use ScalarFunc::*;
        let conversion = match f {
            ToStringFn => Some(KqlType::String),
            ToLong => Some(KqlType::Long),
            ToInt => Some(KqlType::Int),
            ToReal | ToDouble => Some(KqlType::Real),
            ToBool => Some(KqlType::Bool),
            ToDateTime => Some(KqlType::DateTime),
            ToTimeSpan => Some(KqlType::TimeSpan),
            _ => None,
        };
        if let Some(to) = conversion {
            let mut arg = pargs.remove(0);
            arg.span = span;
            return Ok(arg.cast(to));
        }
        let pargs = match f {
            Iff | Iif => {
                let mut it = pargs.into_iter();
                let c = it.next();
                let rest: Vec<PlanExpr> = it.map(|a| a.cast(ty)).collect();
                c.into_iter().chain(rest).collect()
            }
            Bin | Floor if ty == KqlType::Long || ty == KqlType::Real => {
                pargs.into_iter().map(|a| a.cast(ty)).collect()
            }
            _ => pargs,
        };
        Ok(PlanExpr::new(
            PlanExprKind::Call {
                func: f,
                args: pargs,
            },
            ty,
            span,
        ))
    }

    fn binary(&mut self, op: ast::BinaryOp, l: PlanExpr, r: PlanExpr, span: Span) -> R<PlanExpr> {
        use ast::BinaryOp as B;
        use KqlType::*;
        let mismatch = |what: &str, l: &PlanExpr, r: &PlanExpr| {
            err(
                "kql::plan::type_mismatch",
                format!("cannot {what} {} and {}", l.ty, r.ty),
                span,
            )
            .with_secondary(l.span, format!("this is {}", l.ty))
            .with_secondary(r.span, format!("this is {}", r.ty))
        };
        let bool_operand = |e: PlanExpr| -> R<PlanExpr> {
            match e.ty {
                Bool => Ok(e),
                Dynamic => Ok(e.cast(Bool)),
                t => Err(err(
                    "kql::plan::type_mismatch",
                    format!("`and`/`or` need bool operands, this is {t}"),
                    e.span,
                )),
            }
        };
        let mk = |op: BinOp, l: PlanExpr, r: PlanExpr, ty: KqlType| {
            PlanExpr::new(
                PlanExprKind::Binary {
                    op,
                    left: Box::new(l),
                    right: Box::new(r),
                },
                ty,
                span,
            )
        };
        match op {
            B::And | B::Or => {
                let l = bool_operand(l)?;
                let r = bool_operand(r)?;
                Ok(mk(
                    if op == B::And { BinOp::And } else { BinOp::Or },
                    l,
                    r,
                    Bool,
                ))
            }
            B::Eq | B::NotEq | B::Lt | B::Le | B::Gt | B::Ge => {
                let bop = match op {
                    B::Eq => BinOp::Eq,
                    B::NotEq => BinOp::NotEq,
                    B::Lt => BinOp::Lt,
                    B::Le => BinOp::Le,
                    B::Gt => BinOp::Gt,
                    _ => BinOp::Ge,
                };
                let t = common_type(l.ty, r.ty)
                    .filter(|t| comparable(*t) || matches!(bop, BinOp::Eq | BinOp::NotEq))
                    .ok_or_else(|| mismatch("compare", &l, &r))?;
                Ok(mk(bop, l.cast(t), r.cast(t), Bool))
            }
            B::Add | B::Sub | B::Mul | B::Div | B::Mod => {
                let bop = match op {
                    B::Add => BinOp::Add,
                    B::Sub => BinOp::Sub,
                    B::Mul => BinOp::Mul,
                    B::Div => BinOp::Div,
                    _ => BinOp::Mod,
                };
                let (lt, rt) = (l.ty, r.ty);
                let (l, r) = (undyn(l, rt), undyn(r, lt));
                let ty = match (bop, l.ty, r.ty) {
                    (_, a, b) if a.is_numeric() && b.is_numeric() => {
                        let t = common_type(a, b).unwrap_or(Real);
                        return Ok(mk(bop, l.cast(t), r.cast(t), t));
                    }
                    (BinOp::Sub, DateTime, DateTime) => TimeSpan,
                    (BinOp::Add | BinOp::Sub, DateTime, TimeSpan) => DateTime,
                    (BinOp::Add, TimeSpan, DateTime) => DateTime,
                    (BinOp::Add | BinOp::Sub, TimeSpan, TimeSpan) => TimeSpan,
                    (BinOp::Mod, TimeSpan, TimeSpan) => TimeSpan,
                    (BinOp::Div, TimeSpan, TimeSpan) => Real,
                    (BinOp::Mul, TimeSpan, n) | (BinOp::Mul, n, TimeSpan) if n.is_numeric() => {
                        TimeSpan
                    }
                    (BinOp::Div, TimeSpan, n) if n.is_numeric() => TimeSpan,
                    _ => {
                        let what = match bop {
                            BinOp::Add => "add",
                            BinOp::Sub => "subtract",
                            BinOp::Mul => "multiply",
                            BinOp::Div => "divide",
                            _ => "take the remainder of",
                        };
                        return Err(mismatch(what, &l, &r));
                    }
                };
                Ok(mk(bop, l, r, ty))
            }
            B::Str(sop) => {
                let l = l.cast(String);
                let r = r.cast(String);
                Ok(PlanExpr::new(
                    PlanExprKind::StrOp {
                        op: sop,
                        left: Box::new(l),
                        right: Box::new(r),
                    },
                    Bool,
                    span,
                ))
            }
            B::MatchesRegex => {
                let pattern = match r.as_literal() {
                    Some(ScalarValue::String(s)) => s.clone(),
                    _ => {
                        return Err(err(
                            "kql::plan::not_constant",
                            "the pattern of `matches regex` must be a constant string",
                            r.span,
                        ))
                    }
                };
                if let Err(e) = regex::Regex::new(&pattern) {
                    return Err(err(
                        "kql::plan::invalid_regex",
                        "invalid regular expression",
                        r.span,
                    )
                    .with_note(e.to_string()));
                }
                Ok(PlanExpr::new(
                    PlanExprKind::Regex {
                        expr: Box::new(l.cast(String)),
                        pattern,
                    },
                    Bool,
                    span,
                ))
            }
        }
    }
}

/// A dynamic operand of arithmetic takes the other side's type.
fn undyn(e: PlanExpr, other: KqlType) -> PlanExpr {
    if e.ty == KqlType::Dynamic && other != KqlType::Dynamic {
        e.cast(other)
    } else {
        e
    }
}

/// Whether values of the type have an order (`<`, `between`, sorting).
fn comparable(t: KqlType) -> bool {
    !matches!(t, KqlType::Dynamic | KqlType::Bool)
}

fn negate(v: &ScalarValue) -> Option<ScalarValue> {
    Some(match v {
        ScalarValue::Int(i) => ScalarValue::Int(i.checked_neg()?),
        ScalarValue::Long(i) => ScalarValue::Long(i.checked_neg()?),
        ScalarValue::Real(r) => ScalarValue::Real(-r),
        ScalarValue::TimeSpan(t) => ScalarValue::TimeSpan(t.checked_neg()?),
        ScalarValue::Null(t) => ScalarValue::Null(*t),
        _ => return None,
    })
}

fn literal(l: &ast::Literal, span: Span) -> R<ScalarValue> {
    use ast::Literal as L;
    Ok(match l {
        L::Bool(b) => ScalarValue::Bool(*b),
        L::Long(i) => ScalarValue::Long(*i),
        L::Int(i) => ScalarValue::Int(*i),
        L::Real(r) => ScalarValue::Real(*r),
        L::String(s) => ScalarValue::String(s.clone()),
        L::DateTime(text) => match parse_datetime(text) {
            Some(t) => ScalarValue::DateTime(t),
            None => {
                return Err(err(
                    "kql::plan::invalid_datetime",
                    format!("`{text}` is not a valid datetime"),
                    span,
                )
                .with_help("write an ISO 8601 date, e.g. datetime(2026-01-29T16:49:20.4813094Z) or datetime(2026-01-29)"))
            }
        },
        L::TimeSpan(t) => ScalarValue::TimeSpan(*t),
        L::Guid(g) => {
            let ok = g.len() == 36
                && g.char_indices().all(|(i, c)| {
                    if matches!(i, 8 | 13 | 18 | 23) {
                        c == '-'
                    } else {
                        c.is_ascii_hexdigit()
                    }
                });
            if !ok {
                return Err(err(
                    "kql::plan::invalid_guid",
                    format!("`{g}` is not a valid guid"),
                    span,
                ));
            }
            ScalarValue::Guid(g.to_ascii_lowercase())
        }
        L::Dynamic(v) => ScalarValue::Dynamic(v.clone()),
        L::Null(t) => ScalarValue::Null(*t),
    })
}

fn column_refs(schema: &Schema) -> Vec<(String, PlanExpr)> {
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

/// The name of a `summarize ... by` key that is not named explicitly: the
/// column itself, or the column inside `bin()`/`floor()`.
fn key_column_name(pe: &PlanExpr) -> Option<String> {
    match &pe.kind {
        PlanExprKind::Column { name, .. } => Some(name.clone()),
        PlanExprKind::Call {
            func: ScalarFunc::Bin | ScalarFunc::Floor,
            args,
        } => args.first().and_then(key_column_name),
        PlanExprKind::Cast { expr, .. } => key_column_name(expr),
        _ => None,
    }
}

/// Kusto's default name of an aggregate column: `count_`, `dcount_FileName`,
/// `max_Timestamp`, `countif_`.
fn agg_default_name(agg: &AggExpr) -> String {
    let col = match agg.args.first().map(|a| &a.kind) {
        Some(PlanExprKind::Column { name, .. }) => name.as_str(),
        _ => "",
    };
    let fname = match agg.func {
        AggFunc::TakeAny => "take_any",
        AggFunc::Any => "any",
        f => f.name(),
    };
    format!("{fname}_{col}")
}

fn multi_name_error(item: &ast::NamedExpr) -> Diagnostic {
    err(
        "kql::plan::unsupported",
        "assigning one expression to several names is not supported yet",
        item.span,
    )
}

fn check_unique(exprs: &[(String, PlanExpr)], spans: impl Iterator<Item = Span>) -> R<()> {
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
    fn wildcards() {
        assert!(wildcard_match("Device*", "DeviceName"));
        assert!(wildcard_match("*Name", "DeviceName"));
        assert!(wildcard_match("D*N*e", "DeviceName"));
        assert!(!wildcard_match("Device*", "FileName"));
        assert!(wildcard_match("*", "x"));
    }
}
