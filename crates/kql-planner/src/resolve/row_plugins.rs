//! `evaluate` plugins that run as a [`RowOp`] node: `rows_near`,
//! `ipv4_lookup`, `ipv6_lookup`.

use super::*;
use crate::rowops::{IpLookupPlan, RowOp, RowOpKind};
use tabular::unique_name;

impl Planner<'_> {
    /// A constant whole number ≥ 0 argument.
    fn count_arg(&mut self, e: &ast::Expr, what: &str) -> R<usize> {
        match self.constant(e, &Schema::default())? {
            ScalarValue::Long(n) if n >= 0 => Ok(n as usize),
            ScalarValue::Int(n) if n >= 0 => Ok(n as usize),
            _ => Err(err(
                "kql::plan::bad_arguments",
                format!("{what} must be a constant whole number of at least 0"),
                e.span,
            )),
        }
    }

    /// `evaluate rows_near(Condition, NumRows [, RowsAfter])`
    pub(super) fn rows_near(
        &mut self,
        input: LogicalPlan,
        args: &[ast::NamedExpr],
        span: Span,
    ) -> R<LogicalPlan> {
        if !input.is_ordered() {
            return Err(err(
                "kql::plan::not_serialized",
                "rows_near needs rows in a defined order",
                span,
            )
            .with_help("add `| serialize` or `| sort by ...` before `evaluate rows_near(...)`"));
        }
        let (cond, before, after) = match args {
            [c, n] => (c, n, None),
            [c, n, a] => (c, n, Some(a)),
            _ => {
                return Err(err(
                    "kql::plan::bad_arguments",
                    "rows_near takes a condition, a number of rows, and optionally a number of rows after",
                    span,
                ))
            }
        };
        let schema = input.schema();
        let condition = self.predicate(&cond.expr, &schema)?;
        let before = self.count_arg(&before.expr, "the number of rows")?;
        let after = match after {
            Some(a) => self.count_arg(&a.expr, "the number of rows after")?,
            None => before,
        };
        Ok(LogicalPlan::RowOp(RowOp {
            input: Box::new(input),
            kind: RowOpKind::RowsNear {
                condition,
                before,
                after,
            },
        }))
    }

    /// `evaluate ipv4_lookup(LookupTable, SourceKey, LookupKey
    /// [, return_unmatched])` and `ipv6_lookup(...)`.
    pub(super) fn ip_lookup(
        &mut self,
        input: LogicalPlan,
        args: &[ast::NamedExpr],
        v6: bool,
        span: Span,
    ) -> R<LogicalPlan> {
        let name = if v6 { "ipv6_lookup" } else { "ipv4_lookup" };
        let usage = || {
            err(
                "kql::plan::bad_arguments",
                format!("{name} takes a lookup table, the input's address column, the lookup table's network column, and optionally return_unmatched"),
                span,
            )
        };
        let mut positional = Vec::new();
        let mut unmatched: Option<&ast::Expr> = None;
        for a in args {
            match a.names.as_slice() {
                [] => positional.push(&a.expr),
                [n] if n.name == "return_unmatched" => unmatched = Some(&a.expr),
                [n] => {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        format!("{name} has no argument `{}`", n.name),
                        n.span,
                    ))
                }
                _ => return Err(multi_name_error(a)),
            }
        }
        let (table, key, lookup_key) = match positional.as_slice() {
            [t, k, l] => (*t, *k, *l),
            [t, k, l, u] if unmatched.is_none() => {
                unmatched = Some(*u);
                (*t, *k, *l)
            }
            _ => return Err(usage()),
        };
        let return_unmatched = match unmatched {
            None => false,
            Some(e) => match self.constant(e, &Schema::default())? {
                ScalarValue::Bool(b) => b,
                _ => {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        "return_unmatched must be true or false",
                        e.span,
                    ))
                }
            },
        };
        let lookup = self.tabular(table)?;
        let ls = lookup.schema();
        let schema = input.schema();
        let key_pe = self.expr(key, &schema)?;
        if !matches!(key_pe.ty, KqlType::String | KqlType::Dynamic) {
            return Err(err(
                "kql::plan::type_mismatch",
                format!("{name} needs addresses as strings, this is {}", key_pe.ty),
                key.span,
            ));
        }
        let ExprKind::Name(lk) = &lookup_key.kind else {
            return Err(err(
                "kql::plan::bad_arguments",
                format!("{name}'s third argument is a column of the lookup table"),
                lookup_key.span,
            ));
        };
        let lookup_key = self.column_index(lk, &ls)?;
        if ls.columns[lookup_key].ty != KqlType::String {
            return Err(err(
                "kql::plan::type_mismatch",
                format!(
                    "the lookup table's networks must be strings, `{}` is {}",
                    lk.name, ls.columns[lookup_key].ty
                ),
                lk.span,
            ));
        }
        let mut used: Vec<String> = schema.names().map(str::to_string).collect();
        let lookup_names = ls
            .columns
            .iter()
            .map(|c| {
                let n = unique_name(&c.name, &used);
                used.push(n.clone());
                n
            })
            .collect();
        Ok(LogicalPlan::RowOp(RowOp {
            input: Box::new(input),
            kind: RowOpKind::IpLookup(IpLookupPlan {
                lookup: Box::new(lookup),
                key: key_pe.cast(KqlType::String),
                lookup_key,
                return_unmatched,
                v6,
                lookup_names,
                lookup_first: v6,
            }),
        }))
    }
}
