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
        Ok(LogicalPlan::RowOp(Box::new(RowOp {
            input: Box::new(input),
            kind: RowOpKind::RowsNear {
                condition,
                before,
                after,
            },
        })))
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
        Ok(LogicalPlan::RowOp(Box::new(RowOp {
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
        })))
    }
}

impl Planner<'_> {
    /// A constant datetime, timespan or long argument, as ticks.
    fn ticks_arg(&mut self, e: &ast::Expr, what: &str) -> R<i64> {
        match self.constant(e, &Schema::default())? {
            ScalarValue::DateTime(t) | ScalarValue::TimeSpan(t) | ScalarValue::Long(t) => Ok(t),
            ScalarValue::Int(t) => Ok(i64::from(t)),
            _ => Err(err(
                "kql::plan::bad_arguments",
                format!("{what} must be a constant datetime, timespan or number"),
                e.span,
            )),
        }
    }

    /// `sliding_window_counts`, `activity_counts_metrics`,
    /// `active_users_count` and `rolling_percentile`.
    pub(super) fn activity(
        &mut self,
        input: LogicalPlan,
        name: &str,
        args: &[ast::NamedExpr],
        span: Span,
    ) -> R<LogicalPlan> {
        use crate::rowops::{ActivityKind, ActivityPlan};
        let schema = input.schema();
        let (fixed, usage) = match name {
            "sliding_window_counts" => (6, "IdColumn, TimelineColumn, Start, End, LookbackWindow, Bin [, dim1, ...]"),
            "activity_counts_metrics" => (5, "IdColumn, TimelineColumn, Start, End, Window [, dim1, ...]"),
            "active_users_count" => (8, "IdColumn, TimelineColumn, Start, End, LookbackWindow, Period, ActivePeriodsCount, Bin [, dim1, ...]"),
            _ => (5, "ValueColumn, Percentile, IndexColumn, BinSize, BinsToLookback [, dim1, ...]"),
        };
        if args.len() < fixed || args.iter().any(|a| !a.names.is_empty()) {
            return Err(err(
                "kql::plan::bad_arguments",
                format!("{name} takes {usage}"),
                span,
            ));
        }
        let a: Vec<&ast::Expr> = args.iter().map(|a| &a.expr).collect();
        let rolling = name == "rolling_percentile";
        let (id_e, time_e) = if rolling { (a[0], a[2]) } else { (a[0], a[1]) };
        let id = self.expr(id_e, &schema)?;
        let time = self.expr(time_e, &schema)?;
        if !matches!(
            time.ty,
            KqlType::DateTime | KqlType::TimeSpan | KqlType::Long | KqlType::Int
        ) {
            return Err(err(
                "kql::plan::type_mismatch",
                format!(
                    "the timeline must be a datetime, timespan or whole number, this is {}",
                    time.ty
                ),
                time_e.span,
            ));
        }
        let time = if time.ty == KqlType::Int {
            time.cast(KqlType::Long)
        } else {
            time
        };
        let time_name = match &time_e.kind {
            ExprKind::Name(n) => n.name.clone(),
            _ => "Timestamp".to_string(),
        };
        let mut dims = Vec::new();
        for d in &a[fixed..] {
            let pe = self.expr(d, &schema)?;
            let ExprKind::Name(n) = &d.kind else {
                return Err(err(
                    "kql::plan::bad_arguments",
                    "a dimension must be a column",
                    d.span,
                ));
            };
            dims.push((n.name.clone(), pe));
        }
        let positive = |v: i64, e: &ast::Expr, what: &str| {
            if v > 0 {
                Ok(v)
            } else {
                Err(err(
                    "kql::plan::bad_arguments",
                    format!("{what} must be greater than zero"),
                    e.span,
                ))
            }
        };
        let (kind, id) = match name {
            "sliding_window_counts" => {
                let (start, end) = (self.ticks_arg(a[2], "Start")?, self.ticks_arg(a[3], "End")?);
                let lookback = self.ticks_arg(a[4], "LookbackWindow")?;
                let bin = self.ticks_arg(a[5], "Bin")?;
                (
                    ActivityKind::SlidingWindowCounts {
                        start,
                        end,
                        lookback: positive(lookback, a[4], "LookbackWindow")?,
                        bin: positive(bin, a[5], "Bin")?,
                    },
                    id.cast(KqlType::String),
                )
            }
            "activity_counts_metrics" => {
                let (start, end) = (self.ticks_arg(a[2], "Start")?, self.ticks_arg(a[3], "End")?);
                let window = self.ticks_arg(a[4], "Window")?;
                (
                    ActivityKind::ActivityCountsMetrics {
                        start,
                        end,
                        window: positive(window, a[4], "Window")?,
                    },
                    id.cast(KqlType::String),
                )
            }
            "active_users_count" => {
                let (start, end) = (self.ticks_arg(a[2], "Start")?, self.ticks_arg(a[3], "End")?);
                let lookback = self.ticks_arg(a[4], "LookbackWindow")?;
                let period = self.ticks_arg(a[5], "Period")?;
                let active_periods = self.ticks_arg(a[6], "ActivePeriodsCount")?;
                let bin = self.ticks_arg(a[7], "Bin")?;
                (
                    ActivityKind::ActiveUsersCount {
                        start,
                        end,
                        lookback: positive(lookback, a[4], "LookbackWindow")?,
                        period: positive(period, a[5], "Period")?,
                        active_periods,
                        bin: positive(bin, a[7], "Bin")?,
                    },
                    id.cast(KqlType::String),
                )
            }
            _ => {
                if !matches!(
                    id.ty,
                    KqlType::Long | KqlType::Int | KqlType::Real | KqlType::Decimal
                ) {
                    return Err(err(
                        "kql::plan::type_mismatch",
                        format!("rolling_percentile needs numeric values, this is {}", id.ty),
                        id_e.span,
                    ));
                }
                let percentile = match self.constant(a[1], &Schema::default())? {
                    ScalarValue::Long(p) if (0..=100).contains(&p) => p as f64,
                    ScalarValue::Int(p) if (0..=100).contains(&p) => f64::from(p),
                    ScalarValue::Real(p) if (0.0..=100.0).contains(&p) => p,
                    _ => {
                        return Err(err(
                            "kql::plan::bad_arguments",
                            "the percentile must be a constant between 0 and 100",
                            a[1].span,
                        ))
                    }
                };
                let bin = self.ticks_arg(a[3], "BinSize")?;
                let lookback = self.ticks_arg(a[4], "BinsToLookback")?;
                let value_name = match &id_e.kind {
                    ExprKind::Name(n) => n.name.clone(),
                    _ => "value".to_string(),
                };
                let pct = kql_common::ScalarValue::Real(percentile);
                let pct_text = match pct {
                    ScalarValue::Real(p) if p.fract() == 0.0 => format!("{}", p as i64),
                    ScalarValue::Real(p) => format!("{p}").replace('.', "_"),
                    _ => String::new(),
                };
                let ty = id.ty;
                (
                    ActivityKind::RollingPercentile {
                        percentile,
                        bin: positive(bin, a[3], "BinSize")?,
                        lookback: positive(lookback, a[4], "BinsToLookback")?,
                        result: format!("rolling_{lookback}_percentile_{value_name}_{pct_text}"),
                        ty,
                    },
                    id.cast(KqlType::Real),
                )
            }
        };
        Ok(LogicalPlan::RowOp(Box::new(RowOp {
            input: Box::new(input),
            kind: RowOpKind::Activity(ActivityPlan {
                kind,
                id,
                time,
                time_name,
                dims,
            }),
        })))
    }
}
