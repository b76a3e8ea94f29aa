//! Window functions (`row_number()`, `prev()`, `next()`, `row_cumsum()`)
//! in `extend`/`project`: each call is computed by a [`Window`] node over
//! the serialized input and read back as a column.

use super::*;

const WINDOW_FUNCS: &[&str] = &[
    "row_number",
    "prev",
    "next",
    "row_cumsum",
    "row_rank_dense",
    "row_rank_min",
    "row_window_session",
];
/// Prefix of the hidden columns holding window results.
pub(super) const WINDOW_PREFIX: &str = "__window_";

/// Replaces window function calls in `e` by names of hidden columns,
/// collecting the calls.
fn extract(e: &mut ast::Expr, found: &mut Vec<ast::Expr>) {
    if let ExprKind::Call { func, args } = &mut e.kind {
        if WINDOW_FUNCS.contains(&func.name.as_str()) {
            // Calls inside the arguments are computed first.
            args.iter_mut().for_each(|a| extract(a, found));
            let name = format!("{WINDOW_PREFIX}{}", found.len());
            let span = e.span;
            let call = std::mem::replace(
                e,
                ast::Expr {
                    kind: ExprKind::Name(ast::Ident { name, span }),
                    span,
                },
            );
            found.push(call);
            return;
        }
    }
    match &mut e.kind {
        ExprKind::Call { args, .. } => args.iter_mut().for_each(|a| extract(a, found)),
        ExprKind::Unary { expr, .. } | ExprKind::Member { expr, .. } => extract(expr, found),
        ExprKind::Binary { left, right, .. } => {
            extract(left, found);
            extract(right, found);
        }
        ExprKind::Between {
            expr, low, high, ..
        } => {
            extract(expr, found);
            extract(low, found);
            extract(high, found);
        }
        ExprKind::InList { expr, list, .. } => {
            extract(expr, found);
            list.iter_mut().for_each(|a| extract(a, found));
        }
        ExprKind::Index { expr, index } => {
            extract(expr, found);
            extract(index, found);
        }
        _ => {}
    }
}

impl Planner<'_> {
    /// If `items` call window functions, returns the input extended with a
    /// [`Window`] node and the items rewritten to read its columns.
    pub(super) fn window_prepass(
        &mut self,
        input: LogicalPlan,
        items: &[ast::NamedExpr],
    ) -> R<(LogicalPlan, Option<Vec<ast::NamedExpr>>)> {
        if WINDOW_FUNCS.iter().any(|f| self.user_function(f).is_some()) {
            return Ok((input, None));
        }
        let mut items = items.to_vec();
        let mut found = Vec::new();
        for it in &mut items {
            extract(&mut it.expr, &mut found);
        }
        let Some(first) = found.first() else {
            return Ok((input, None));
        };
        if !input.is_ordered() {
            let name = match &first.kind {
                ExprKind::Call { func, .. } => func.name.clone(),
                _ => String::new(),
            };
            return Err(err(
                "kql::plan::not_serialized",
                format!(
                    "`{name}()` needs serialized input, and the rows here have no defined order"
                ),
                first.span,
            )
            .with_help("add `| serialize` or `| sort by ...` before this operator"));
        }
        // One node per call, so a call may read the results of the calls
        // nested in its arguments.
        let mut plan = input;
        for (k, call) in found.iter().enumerate() {
            let ExprKind::Call { func, args } = &call.kind else {
                continue;
            };
            let schema = plan.schema();
            let (f, ty) = self.window_func(&func.name, args, &schema, call.span)?;
            plan = LogicalPlan::Window(Window {
                input: Box::new(plan),
                funcs: vec![(format!("{WINDOW_PREFIX}{k}"), f, ty)],
            });
        }
        Ok((plan, Some(items)))
    }

    fn window_func(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        schema: &Schema,
        span: Span,
    ) -> R<(WindowFunc, KqlType)> {
        let bad = |msg: String| err("kql::plan::bad_arguments", msg, span);
        let mut pargs = Vec::new();
        for a in args {
            pargs.push(self.expr(a, schema)?);
        }
        let restart = |p: Option<PlanExpr>| -> R<Option<PlanExpr>> {
            match p {
                Some(r) if r.ty != KqlType::Bool => Err(bad(format!(
                    "the restart argument of {name}() must be a bool, not {}",
                    r.ty
                ))),
                other => Ok(other),
            }
        };
        let mut it = pargs.into_iter();
        match name {
            "row_number" => {
                if args.len() > 2 {
                    return Err(bad(format!(
                        "row_number takes 0 to 2 arguments, got {}",
                        args.len()
                    )));
                }
                let start = match it.next() {
                    None => 1,
                    Some(s) => match s.as_literal().and_then(|l| cast_scalar(l, KqlType::Long)) {
                        Some(ScalarValue::Long(v)) => v,
                        _ => {
                            return Err(bad("row_number's start must be a constant number".into()))
                        }
                    },
                };
                Ok((
                    WindowFunc::RowNumber {
                        start,
                        restart: restart(it.next())?,
                    },
                    KqlType::Long,
                ))
            }
            "prev" | "next" => {
                let Some(expr) = it.next() else {
                    return Err(bad(format!("{name} needs a column argument")));
                };
                let offset = match it.next() {
                    None => 1,
                    Some(o) => match o.as_literal().and_then(|l| cast_scalar(l, KqlType::Long)) {
                        Some(ScalarValue::Long(v)) => v,
                        _ => return Err(bad(format!("{name}'s offset must be a constant number"))),
                    },
                };
                let ty = expr.ty;
                let default = match it.next() {
                    None => None,
                    Some(d) if d.ty == ty || common_type(d.ty, ty) == Some(ty) => Some(d.cast(ty)),
                    Some(d) => {
                        return Err(bad(format!(
                            "{name}'s default must be a {ty} like its column, not {}",
                            d.ty
                        )))
                    }
                };
                if it.next().is_some() {
                    return Err(bad(format!("{name} takes 1 to 3 arguments")));
                }
                let offset = if name == "next" { -offset } else { offset };
                Ok((
                    WindowFunc::Shift {
                        expr,
                        offset,
                        default,
                    },
                    ty,
                ))
            }
            "row_rank_dense" | "row_rank_min" => {
                let Some(expr) = it.next() else {
                    return Err(bad(format!("{name} needs an argument")));
                };
                let restart = restart(it.next())?;
                if it.next().is_some() {
                    return Err(bad(format!("{name} takes 1 or 2 arguments")));
                }
                Ok((
                    WindowFunc::Rank {
                        expr,
                        dense: name == "row_rank_dense",
                        restart,
                    },
                    KqlType::Long,
                ))
            }
            "row_window_session" => {
                let (Some(expr), Some(first), Some(between)) = (it.next(), it.next(), it.next())
                else {
                    return Err(bad(
                        "row_window_session takes a datetime, two timespans and an optional restart"
                            .into(),
                    ));
                };
                let span_of = |e: &PlanExpr| match e.as_literal() {
                    Some(ScalarValue::TimeSpan(t)) => Some(*t),
                    _ => None,
                };
                if expr.ty != KqlType::DateTime {
                    return Err(bad(format!(
                        "row_window_session needs a datetime, not {}",
                        expr.ty
                    )));
                }
                let (Some(max_from_first), Some(max_between)) =
                    (span_of(&first), span_of(&between))
                else {
                    return Err(bad(
                        "row_window_session's distances must be constant timespans".into(),
                    ));
                };
                Ok((
                    WindowFunc::Session {
                        expr,
                        max_from_first,
                        max_between,
                        restart: restart(it.next())?,
                    },
                    KqlType::DateTime,
                ))
            }
            _ => {
                let Some(expr) = it.next() else {
                    return Err(bad("row_cumsum needs a numeric argument".into()));
                };
                let ty = expr.ty;
                if !matches!(ty, KqlType::Int | KqlType::Long | KqlType::Real) {
                    return Err(bad(format!(
                        "row_cumsum needs an int, long or real, not {ty}"
                    )));
                }
                Ok((
                    WindowFunc::CumSum {
                        expr,
                        restart: restart(it.next())?,
                    },
                    ty,
                ))
            }
        }
    }
}
