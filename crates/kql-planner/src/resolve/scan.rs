//! `scan`: steps matched in sequence over the serialized input, each with a
//! condition and assignments to declared columns. See [`ScanPlan`] for how
//! the steps' expressions read the current row and the matched state.

use super::*;
use crate::rowops::{RowOp, RowOpKind, ScanPlan, ScanStepPlan};

/// Replaces `Step.Column` (a step name, then a column) by the name of the
/// environment column that holds it.
fn rewrite_step_refs(e: &mut ast::Expr, steps: &[String], shadow: &Schema) {
    if let ExprKind::Member { expr, name } = &e.kind {
        if let ExprKind::Name(id) = &expr.kind {
            if steps.contains(&id.name) && shadow.index_of(&id.name).is_none() {
                let span = e.span;
                e.kind = ExprKind::Name(ast::Ident {
                    name: format!("{}.{}", id.name, name.name),
                    span,
                });
                return;
            }
        }
    }
    let go = |x: &mut ast::Expr| rewrite_step_refs(x, steps, shadow);
    match &mut e.kind {
        ExprKind::Call { args, .. } => args.iter_mut().for_each(go),
        ExprKind::Unary { expr, .. } | ExprKind::Member { expr, .. } => go(expr),
        ExprKind::Binary { left, right, .. } => {
            go(left);
            go(right);
        }
        ExprKind::Between {
            expr, low, high, ..
        } => {
            go(expr);
            go(low);
            go(high);
        }
        ExprKind::InList { expr, list, .. } => {
            go(expr);
            list.iter_mut().for_each(go);
        }
        ExprKind::Index { expr, index } => {
            go(expr);
            go(index);
        }
        _ => {}
    }
}

impl Planner<'_> {
    pub(super) fn scan_op(
        &mut self,
        input: LogicalPlan,
        spec: &ast::ScanSpec,
        span: Span,
    ) -> R<LogicalPlan> {
        let schema = input.schema();
        let mut declared: Vec<(String, KqlType, ScalarValue)> = Vec::new();
        for d in &spec.declare {
            if schema.index_of(&d.name.name).is_some()
                || declared.iter().any(|(n, _, _)| *n == d.name.name)
            {
                return Err(err(
                    "kql::plan::duplicate_column",
                    format!("a column named `{}` already exists", d.name.name),
                    d.name.span,
                )
                .with_help("declare a column with a new name"));
            }
            let default = match &d.default {
                None => user::null_of(d.ty),
                Some(e) => {
                    let v = self.constant(e, &Schema::default())?;
                    match v {
                        ScalarValue::Null(_) => user::null_of(d.ty),
                        v => implicit_cast(&v, d.ty).ok_or_else(|| {
                            err(
                                "kql::plan::type_mismatch",
                                format!(
                                    "the default value of `{}` is not of type {}",
                                    d.name.name, d.ty
                                ),
                                e.span,
                            )
                        })?,
                    }
                }
            };
            declared.push((d.name.name.clone(), d.ty, default));
        }
        if let Some(m) = &spec.match_id {
            if schema.index_of(&m.name).is_some() || declared.iter().any(|(n, _, _)| *n == m.name) {
                return Err(err(
                    "kql::plan::duplicate_column",
                    format!("a column named `{}` already exists", m.name),
                    m.span,
                ));
            }
        }
        let mut step_names: Vec<String> = Vec::new();
        for s in &spec.steps {
            if step_names.contains(&s.name.name) {
                return Err(err(
                    "kql::plan::duplicate_step",
                    format!("there is already a step named `{}`", s.name.name),
                    s.name.span,
                )
                .with_help("step names must be unique"));
            }
            step_names.push(s.name.name.clone());
        }
        // The environment: the row, then each step's row of the state.
        let env = ScanPlan {
            declared: declared.clone(),
            steps: step_names
                .iter()
                .map(|n| ScanStepPlan {
                    name: n.clone(),
                    output: ast::ScanOutput::All,
                    condition: PlanExpr::literal(ScalarValue::Bool(true), span),
                    assignments: Vec::new(),
                })
                .collect(),
            match_id: None,
        }
        .env_schema(&schema);
        let mut steps = Vec::new();
        for s in &spec.steps {
            let mut cond = s.condition.clone();
            rewrite_step_refs(&mut cond, &step_names, &schema);
            let condition = self.predicate(&cond, &env)?;
            let mut assignments: Vec<(usize, PlanExpr)> = Vec::new();
            for (col, value) in &s.assignments {
                let Some(k) = declared.iter().position(|(n, _, _)| *n == col.name) else {
                    let d = err(
                        "kql::plan::not_declared",
                        format!("`{}` is not a declared column of this scan", col.name),
                        col.span,
                    );
                    return Err(if schema.index_of(&col.name).is_some() {
                        d.with_help("steps can assign only the columns of `declare (...)`")
                    } else {
                        d.with_help(format!(
                            "declare it first: `scan declare ({}: type) with (...)`",
                            col.name
                        ))
                    });
                };
                if assignments.iter().any(|(i, _)| *i == k) {
                    return Err(err(
                        "kql::plan::duplicate_column",
                        format!("`{}` is assigned twice in this step", col.name),
                        col.span,
                    ));
                }
                let mut v = value.clone();
                rewrite_step_refs(&mut v, &step_names, &schema);
                let pe = self.expr(&v, &env)?;
                let ty = declared[k].1;
                let pe = if pe.ty == ty || pe.ty == KqlType::Dynamic || ty == KqlType::Dynamic {
                    pe.cast(ty)
                } else {
                    match common_type(pe.ty, ty) {
                        Some(_) => pe.cast(ty),
                        None => {
                            return Err(err(
                                "kql::plan::type_mismatch",
                                format!(
                                    "`{}` is declared as {ty} but is assigned a value of type {}",
                                    col.name, pe.ty
                                ),
                                value.span,
                            ))
                        }
                    }
                };
                assignments.push((k, pe));
            }
            steps.push(ScanStepPlan {
                name: s.name.name.clone(),
                output: s.output,
                condition,
                assignments,
            });
        }
        Ok(LogicalPlan::RowOp(Box::new(RowOp {
            input: Box::new(input),
            kind: RowOpKind::Scan(ScanPlan {
                declared,
                steps,
                match_id: spec.match_id.as_ref().map(|m| m.name.clone()),
            }),
        })))
    }
}
