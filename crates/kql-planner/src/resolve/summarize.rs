//! Lowering of `summarize`: aggregation calls, their result columns and
//! names, and expressions computed from aggregates.

use super::*;

/// One output column of `summarize` before naming is final.
struct OutCol {
    name: String,
    /// Named by the user (`Name = ...` or `(A, B) = ...`).
    explicit: bool,
    span: Span,
}

impl OutCol {
    /// The column a user `name` gives, else a `default` name (or the next
    /// automatic one) for the item at `span`.
    fn new(
        name: Option<&ast::Ident>,
        default: Option<String>,
        span: Span,
        namer: &mut Namer,
    ) -> OutCol {
        match name {
            Some(n) => OutCol {
                name: n.name.clone(),
                explicit: true,
                span: n.span,
            },
            None => OutCol {
                name: default.unwrap_or_else(|| namer.next_auto()),
                explicit: false,
                span,
            },
        }
    }

    /// The one column of a `by` key or a computed column: its given name,
    /// else the name Kusto derives from the expression.
    fn of_item(item: &ast::NamedExpr, namer: &mut Namer) -> R<OutCol> {
        match item.names.as_slice() {
            [] | [_] => Ok(OutCol::new(
                item.names.first(),
                derived_name(&item.expr),
                item.span,
                namer,
            )),
            _ => Err(multi_name_error(item)),
        }
    }
}

/// Hands out unique column names the way Kusto does: a derived name that is
/// already taken gets the smallest free numeric suffix (`count_1`, `x1`),
/// while two user-given names that clash are an error.
#[derive(Default)]
struct Namer {
    used: Vec<(String, bool)>,
    auto: usize,
}

impl Namer {
    fn next_auto(&mut self) -> String {
        self.auto += 1;
        format!("Column{}", self.auto)
    }

    /// A unique name for `col`; `fixed` names (user-given ones and group
    /// keys) clash with a user-given name instead of being renumbered.
    fn claim(&mut self, col: &OutCol, fixed: bool) -> R<String> {
        let clash = self.used.iter().find(|(n, _)| *n == col.name);
        let name = match clash {
            None => col.name.clone(),
            Some((_, true)) if col.explicit => {
                return Err(err(
                    "kql::plan::duplicate_column",
                    format!("column `{}` is produced twice", col.name),
                    col.span,
                )
                .with_help("give one of them another name with `Name = ...`"));
            }
            Some(_) => (1..)
                .map(|i| format!("{}{i}", col.name))
                .find(|c| !self.used.iter().any(|(n, _)| n == c))
                .unwrap_or_default(),
        };
        self.used.push((name.clone(), col.explicit || fixed));
        Ok(name)
    }
}

/// What one output column of `summarize` shows.
enum Out {
    /// The aggregate at this index, as it is.
    Direct(usize),
    /// An expression over aggregates (rewritten to refer to them by their
    /// internal names).
    Computed(ast::Expr),
}

/// Prefix of internal names for aggregates feeding a computed column (they
/// show in `--explain`); a plain KQL identifier cannot start with `$`.
const HIDDEN: &str = "$agg";

impl Planner<'_> {
    pub(super) fn summarize(
        &mut self,
        input: Box<LogicalPlan>,
        aggs: &[ast::NamedExpr],
        by: &[ast::NamedExpr],
    ) -> R<LogicalPlan> {
        let schema = input.schema();
        let mut namer = Namer::default();
        let mut keys = Vec::new();
        let mut key_names = Vec::new();
        for item in by {
            let pe = self.expr(&item.expr, &schema)?;
            dynamic_key(&pe, item.expr.span)?;
            let col = OutCol::of_item(item, &mut namer)?;
            let name = namer.claim(&col, true)?;
            if let ExprKind::Name(id) = &item.expr.kind {
                key_names.push(id.name.clone());
            }
            key_names.push(name.clone());
            keys.push((name, pe));
        }

        // Every aggregate computed, and what each output column shows.
        let mut computed: Vec<(String, AggExpr)> = Vec::new();
        let mut outputs: Vec<(String, Out)> = Vec::new();
        for item in aggs {
            if let Some((func, f, args)) = agg_call(&item.expr) {
                let cols = self.agg_columns(f, func, args, item.expr.span, &schema, &key_names)?;
                if item.names.len() > cols.len() {
                    let extra = item.names.get(cols.len()).map_or(item.span, |n| n.span);
                    return Err(err(
                        "kql::plan::too_many_names",
                        format!(
                            "`{}` produces {} column{}, but {} names are given",
                            func.name,
                            cols.len(),
                            if cols.len() == 1 { "" } else { "s" },
                            item.names.len()
                        ),
                        extra,
                    ));
                }
                for (i, (default, agg)) in cols.into_iter().enumerate() {
                    let col = OutCol::new(item.names.get(i), default, item.span, &mut namer);
                    let name = namer.claim(&col, false)?;
                    outputs.push((name, Out::Direct(computed.len())));
                    computed.push((format!("{HIDDEN}{}", computed.len()), agg));
                }
            } else {
                let mut lifted = Vec::new();
                let rewritten = lift_aggs(&item.expr, &mut lifted, computed.len());
                if lifted.is_empty() {
                    if let ExprKind::Call { func, .. } = &item.expr.kind {
                        if ScalarFunc::from_name(&func.name).is_none() {
                            let names = AggFunc::ALL.iter().map(|f| f.name());
                            return Err(err(
                                "kql::plan::unknown_function",
                                format!("unknown aggregation function `{}`", func.name),
                                func.span,
                            )
                            .with_suggestion(did_you_mean(&func.name, names)));
                        }
                    }
                    return Err(err(
                        "kql::plan::not_aggregate",
                        "summarize needs an aggregation function call here",
                        item.expr.span,
                    )
                    .with_help("e.g. `count()`, `dcount(DeviceName)`, `max(Timestamp)`"));
                }
                for call in &lifted {
                    let Some((func, f, args)) = agg_call(call) else {
                        continue;
                    };
                    let mut cols =
                        self.agg_columns(f, func, args, call.span, &schema, &key_names)?;
                    if cols.len() != 1 {
                        return Err(err(
                            "kql::plan::unsupported",
                            format!("`{}` with several result columns cannot be used inside an expression", func.name),
                            call.span,
                        ));
                    }
                    if let Some((_, agg)) = cols.pop() {
                        computed.push((format!("{HIDDEN}{}", computed.len()), agg));
                    }
                }
                let col = OutCol::of_item(item, &mut namer)?;
                let name = namer.claim(&col, false)?;
                outputs.push((name, Out::Computed(rewritten)));
            }
        }

        if outputs.iter().all(|(_, o)| matches!(o, Out::Direct(_))) {
            let aggs = outputs
                .into_iter()
                .zip(computed)
                .map(|((name, _), (_, agg))| (name, agg))
                .collect();
            return Ok(LogicalPlan::Aggregate(Aggregate { input, keys, aggs }));
        }

        // Some columns compute on aggregates: aggregate under internal
        // names, then project the final columns.
        let nkeys = keys.len();
        let agg_plan = LogicalPlan::Aggregate(Aggregate {
            input,
            keys,
            aggs: computed,
        });
        let agg_schema = agg_plan.schema();
        let mut exprs = column_refs(&agg_schema);
        exprs.truncate(nkeys);
        for (name, out) in outputs {
            match out {
                Out::Direct(i) => {
                    let index = nkeys + i;
                    let ty = agg_schema
                        .columns
                        .get(index)
                        .map_or(KqlType::Long, |c| c.ty);
                    exprs.push((
                        name,
                        PlanExpr {
                            kind: PlanExprKind::Column {
                                index,
                                name: format!("{HIDDEN}{i}"),
                            },
                            ty,
                            span: Span::default(),
                        },
                    ));
                }
                Out::Computed(e) => {
                    let pe = self.expr(&e, &agg_schema)?;
                    exprs.push((name, pe));
                }
            }
        }
        Ok(LogicalPlan::Project(Project {
            input: Box::new(agg_plan),
            exprs,
        }))
    }

    /// The result columns of one aggregation call: a derived name (None
    /// when Kusto numbers it `ColumnN`) and the aggregate.
    fn agg_columns(
        &mut self,
        f: AggFunc,
        func: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        schema: &Schema,
        key_names: &[String],
    ) -> R<Vec<(Option<String>, AggExpr)>> {
        use AggFunc::*;
        let fname = func.name.as_str();
        let bad = |m: String| err("kql::plan::bad_arguments", m, span);
        let arity = |min: usize, max: usize| -> R<()> {
            if args.len() < min || args.len() > max {
                let want = if min == max {
                    format!("{min}")
                } else if max == usize::MAX {
                    format!("at least {min}")
                } else {
                    format!("{min} to {max}")
                };
                return Err(bad(format!(
                    "{fname}() takes {want} argument{}, got {}",
                    if want == "1" { "" } else { "s" },
                    args.len()
                )));
            }
            Ok(())
        };
        let col = args.first().and_then(derived_name);
        let col_or_empty = col.clone().unwrap_or_default();
        let single = |name: String, pargs: Vec<PlanExpr>, ty: KqlType| {
            vec![(
                Some(name),
                AggExpr {
                    func: f,
                    args: pargs,
                    ty,
                    span,
                },
            )]
        };
        let pred = f.has_predicate();
        match f.base() {
            Count => {
                if f == Count {
                    arity(0, 1)?;
                    // count(expr) counts rows like count() (null values
                    // included, as Kusto documents); the argument is only
                    // checked.
                    if let Some(a) = args.first().filter(|a| a.kind != ExprKind::Star) {
                        self.expr(a, schema)?;
                    }
                    let name = match args.first().map(|a| &a.kind) {
                        Some(ExprKind::Star) | None => "count_".to_string(),
                        Some(_) => format!("count_{col_or_empty}"),
                    };
                    return Ok(single(name, vec![], KqlType::Long));
                }
                arity(1, 1)?;
                let p = self.predicate_arg(args, 0, fname, schema)?;
                Ok(single(
                    format!("countif_{col_or_empty}"),
                    vec![p],
                    KqlType::Long,
                ))
            }
            DCount => {
                let (min, max) = match f {
                    DCount => (1, 2),
                    DCountIf => (2, 3),
                    CountDistinct => (1, 1),
                    _ => (2, 2),
                };
                arity(min, max)?;
                let v = self.value_arg(args, 0, fname, schema)?;
                let mut pargs = vec![v];
                if pred {
                    pargs.push(self.predicate_arg(args, 1, fname, schema)?);
                }
                if let Some(acc) = args.get(usize::from(pred) + 1) {
                    match self.constant(acc, schema)? {
                        ScalarValue::Long(0..=4) | ScalarValue::Int(0..=4) => {}
                        _ => {
                            return Err(err(
                                "kql::plan::bad_arguments",
                                format!("the accuracy of {fname}() is a constant from 0 to 4"),
                                acc.span,
                            ))
                        }
                    }
                }
                Ok(single(
                    format!("{fname}_{col_or_empty}"),
                    pargs,
                    KqlType::Long,
                ))
            }
            Sum | Avg | Stdev | StdevP | Variance | VarianceP => {
                arity(1 + usize::from(pred), 1 + usize::from(pred))?;
                let v = self.value_arg(args, 0, fname, schema)?;
                let ty = match (f.base(), v.ty) {
                    (Sum, KqlType::Int | KqlType::Long) => KqlType::Long,
                    (Sum, KqlType::Real | KqlType::Decimal) => KqlType::Real,
                    (Sum, KqlType::TimeSpan) => KqlType::TimeSpan,
                    (Sum, t) => {
                        return Err(bad(format!(
                            "{fname}() needs a number or timespan, not {t}"
                        )))
                    }
                    (_, t) if t.is_numeric() => KqlType::Real,
                    (_, t) => return Err(bad(format!("{fname}() needs a number, not {t}"))),
                };
                let mut pargs = vec![v];
                if pred {
                    pargs.push(self.predicate_arg(args, 1, fname, schema)?);
                }
                Ok(single(format!("{fname}_{col_or_empty}"), pargs, ty))
            }
            Min | Max => {
                arity(1 + usize::from(pred), 1 + usize::from(pred))?;
                let v = self.value_arg(args, 0, fname, schema)?;
                if v.ty == KqlType::Dynamic {
                    return Err(bad(format!(
                        "{fname}() needs an orderable value (number, string, bool, datetime or timespan), not dynamic"
                    )));
                }
                let ty = v.ty;
                let mut pargs = vec![v];
                if pred {
                    pargs.push(self.predicate_arg(args, 1, fname, schema)?);
                }
                Ok(single(format!("{fname}_{col_or_empty}"), pargs, ty))
            }
            TakeAny if f == TakeAnyIf => {
                arity(2, 2)?;
                let v = self.value_arg(args, 0, fname, schema)?;
                let ty = v.ty;
                let p = self.predicate_arg(args, 1, fname, schema)?;
                let name = col;
                Ok(vec![(
                    name,
                    AggExpr {
                        func: f,
                        args: vec![v, p],
                        ty,
                        span,
                    },
                )])
            }
            TakeAny => {
                arity(1, usize::MAX)?;
                if let [a] = args {
                    if a.kind != ExprKind::Star {
                        let v = self.expr(a, schema)?;
                        let ty = v.ty;
                        let name = match (&col, f) {
                            (Some(c), TakeAny) => c.clone(),
                            (None, TakeAny) => "any_arg0".to_string(),
                            _ => format!("any_{col_or_empty}"),
                        };
                        return Ok(single(name, vec![v], ty));
                    }
                }
                // Several values: all from the same (first) row.
                let first = PlanExpr {
                    kind: PlanExprKind::Literal(ScalarValue::Bool(true)),
                    ty: KqlType::Bool,
                    span,
                };
                // `*` stands for the columns other than the group keys.
                let rets = self.returned(args, 0, schema, key_names, |i, a| match a {
                    Some(n) => Some(n.to_string()),
                    None => Some(format!("any_arg{i}")),
                })?;
                Ok(rets
                    .into_iter()
                    .map(|(name, e)| {
                        let ty = e.ty;
                        (
                            name,
                            AggExpr {
                                func: ArgMin,
                                args: vec![first.clone(), e],
                                ty,
                                span,
                            },
                        )
                    })
                    .collect())
            }
            ArgMax | ArgMin => {
                arity(2, usize::MAX)?;
                let legacy = matches!(f, ArgMaxLegacy | ArgMinLegacy);
                let prefix = if f.base() == ArgMax { "max" } else { "min" };
                let by = self.value_arg(args, 0, fname, schema)?;
                if by.ty == KqlType::Dynamic {
                    return Err(bad(format!(
                        "the first argument of {fname}() must be orderable, not dynamic"
                    )));
                }
                let by_name = match (&col, legacy) {
                    (Some(c), false) => c.clone(),
                    _ => format!("{prefix}_{col_or_empty}"),
                };
                let mut skip: Vec<String> = key_names.to_vec();
                if let Some(ExprKind::Name(id)) = args.first().map(|a| &a.kind) {
                    skip.push(id.name.clone());
                }
                let base_name = col_or_empty.clone();
                let rets = self.returned(args, 1, schema, &skip, |i, a| match (a, legacy) {
                    (Some(n), false) => Some(n.to_string()),
                    (Some(n), true) => Some(format!("{prefix}_{base_name}_{n}")),
                    (None, _) => Some(format!("{prefix}_{base_name}_arg{i}")),
                })?;
                let func = f.base();
                let mut out = vec![(
                    Some(by_name),
                    AggExpr {
                        func,
                        args: vec![by.clone(), by.clone()],
                        ty: by.ty,
                        span,
                    },
                )];
                for (name, e) in rets {
                    let ty = e.ty;
                    out.push((
                        name,
                        AggExpr {
                            func,
                            args: vec![by.clone(), e],
                            ty,
                            span,
                        },
                    ));
                }
                Ok(out)
            }
            MakeSet | MakeList | MakeListWithNulls | MakeBag => {
                let n = 1 + usize::from(pred);
                arity(n, n + 1)?;
                let v = self.value_arg(args, 0, fname, schema)?;
                if f.base() == MakeBag && v.ty != KqlType::Dynamic {
                    return Err(bad(format!(
                        "{fname}() needs a dynamic property bag, not {}",
                        v.ty
                    )));
                }
                let mut pargs = vec![v];
                if pred {
                    pargs.push(self.predicate_arg(args, 1, fname, schema)?);
                }
                if let Some(limit) = args.get(n) {
                    match self.constant(limit, schema)? {
                        ScalarValue::Long(x) if x > 0 => pargs.push(lit_long(x, limit.span)),
                        ScalarValue::Int(x) if x > 0 => pargs.push(lit_long(x.into(), limit.span)),
                        _ => {
                            return Err(err(
                                "kql::plan::bad_arguments",
                                format!("the limit of {fname}() is a positive whole number"),
                                limit.span,
                            ))
                        }
                    }
                }
                let stem = match f.base() {
                    MakeSet => "set",
                    MakeBag => "bag",
                    _ => "list",
                };
                Ok(single(
                    format!("{stem}_{col_or_empty}"),
                    pargs,
                    KqlType::Dynamic,
                ))
            }
            Covariance | CovarianceP => {
                let n = 2 + usize::from(pred);
                arity(n, n)?;
                let x = self.value_arg(args, 0, fname, schema)?;
                let y = self.value_arg(args, 1, fname, schema)?;
                for v in [&x, &y] {
                    if !v.ty.is_numeric() {
                        return Err(bad(format!("{fname}() needs numbers, not {}", v.ty)));
                    }
                }
                let ycol = args.get(1).and_then(derived_name).unwrap_or_default();
                let mut pargs = vec![x, y];
                if pred {
                    pargs.push(self.predicate_arg(args, 2, fname, schema)?);
                }
                Ok(single(
                    format!("{fname}_{col_or_empty}_{ycol}"),
                    pargs,
                    KqlType::Real,
                ))
            }
            BinaryAllAnd | BinaryAllOr | BinaryAllXor => {
                arity(1, 1)?;
                let v = self.value_arg(args, 0, fname, schema)?;
                if !matches!(v.ty, KqlType::Long | KqlType::Int) {
                    return Err(bad(format!("{fname}() needs a long, not {}", v.ty)));
                }
                Ok(single(
                    format!("{fname}_{col_or_empty}"),
                    vec![v],
                    KqlType::Long,
                ))
            }
            Percentile | PercentilesArray | PercentilesW | PercentilesWArray => {
                let weighted = matches!(f, PercentilesW | PercentilesWArray);
                let first_percent = 1 + usize::from(weighted);
                if f == Percentile {
                    arity(2, 2)?;
                } else {
                    arity(first_percent + 1, usize::MAX)?;
                }
                let v = self.value_arg(args, 0, fname, schema)?;
                let w = if weighted {
                    let w = self.value_arg(args, 1, fname, schema)?;
                    if !matches!(w.ty, KqlType::Long | KqlType::Int) {
                        return Err(bad(format!(
                            "the weight of {fname}() must be a whole number, not {}",
                            w.ty
                        )));
                    }
                    Some(w)
                } else {
                    None
                };
                let ty = match v.ty {
                    KqlType::Int | KqlType::Long => KqlType::Long,
                    KqlType::Real | KqlType::Decimal => KqlType::Real,
                    KqlType::DateTime => KqlType::DateTime,
                    KqlType::TimeSpan => KqlType::TimeSpan,
                    t => {
                        return Err(bad(format!(
                            "{fname}() needs a number, datetime or timespan, not {t}"
                        )))
                    }
                };
                let mut percents = Vec::new();
                for a in args.iter().skip(first_percent) {
                    let ps = match self.constant(a, schema)? {
                        ScalarValue::Long(x) => vec![x as f64],
                        ScalarValue::Int(x) => vec![x.into()],
                        ScalarValue::Real(x) => vec![x],
                        // percentiles_array(x, dynamic([5, 95]))
                        ScalarValue::Dynamic(serde_json::Value::Array(xs))
                            if matches!(f, PercentilesArray | PercentilesWArray) =>
                        {
                            xs.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()
                        }
                        _ => vec![f64::NAN],
                    };
                    for p in ps {
                        if !(0.0..=100.0).contains(&p) {
                            return Err(err(
                                "kql::plan::bad_arguments",
                                "a percentile is a constant number from 0 to 100",
                                a.span,
                            ));
                        }
                        percents.push((p, a.span));
                    }
                }
                let lit = |p: f64, span: Span| PlanExpr {
                    kind: PlanExprKind::Literal(ScalarValue::Real(p)),
                    ty: KqlType::Real,
                    span,
                };
                let lead: Vec<PlanExpr> = std::iter::once(v.clone()).chain(w).collect();
                if matches!(f, PercentilesArray | PercentilesWArray) {
                    let mut pargs = lead;
                    pargs.extend(percents.iter().map(|&(p, s)| lit(p, s)));
                    // Kusto names the weighted form in the singular.
                    let stem = if weighted {
                        "percentile"
                    } else {
                        "percentiles"
                    };
                    return Ok(single(
                        format!("{stem}_{col_or_empty}"),
                        pargs,
                        KqlType::Dynamic,
                    ));
                }
                Ok(percents
                    .into_iter()
                    .map(|(p, s)| {
                        (
                            Some(format!("percentile_{col_or_empty}_{}", percent_suffix(p))),
                            AggExpr {
                                func: if weighted { PercentilesW } else { Percentile },
                                args: lead.iter().cloned().chain([lit(p, s)]).collect(),
                                ty,
                                span,
                            },
                        )
                    })
                    .collect())
            }
            Hll | HllMerge => {
                let n = 1 + usize::from(pred);
                arity(n, n + 1)?;
                let v = self.value_arg(args, 0, fname, schema)?;
                if f == HllMerge && v.ty != KqlType::Dynamic {
                    return Err(bad(format!(
                        "{fname}() needs an hll() sketch, not {}",
                        v.ty
                    )));
                }
                let mut pargs = vec![v];
                if pred {
                    pargs.push(self.predicate_arg(args, 1, fname, schema)?);
                }
                if let Some(acc) = args.get(n) {
                    match self.constant(acc, schema)? {
                        ScalarValue::Long(x @ 0..=4) => pargs.push(lit_long(x, acc.span)),
                        ScalarValue::Int(x @ 0..=4) => pargs.push(lit_long(x.into(), acc.span)),
                        _ => {
                            return Err(err(
                                "kql::plan::bad_arguments",
                                format!("the accuracy of {fname}() is a constant from 0 to 4"),
                                acc.span,
                            ))
                        }
                    }
                }
                Ok(single(
                    format!("{fname}_{col_or_empty}"),
                    pargs,
                    KqlType::Dynamic,
                ))
            }
            TDigest => {
                arity(1, 2)?;
                let v = self.value_arg(args, 0, fname, schema)?;
                if !(v.ty.is_numeric() || matches!(v.ty, KqlType::DateTime | KqlType::TimeSpan)) {
                    return Err(bad(format!(
                        "{fname}() needs a number, datetime or timespan, not {}",
                        v.ty
                    )));
                }
                let w = match args.get(1) {
                    Some(_) => {
                        let w = self.value_arg(args, 1, fname, schema)?;
                        if !w.ty.is_numeric() {
                            return Err(bad(format!(
                                "the weight of {fname}() must be a number, not {}",
                                w.ty
                            )));
                        }
                        w
                    }
                    None => lit_long(1, span),
                };
                Ok(single(
                    format!("{fname}_{col_or_empty}"),
                    vec![v, w],
                    KqlType::Dynamic,
                ))
            }
            TDigestMerge | BuildSchema => {
                arity(1, 1)?;
                let v = self.value_arg(args, 0, fname, schema)?;
                let (needs, stem) = if f == TDigestMerge {
                    ("a tdigest() result", "merge_tdigests")
                } else {
                    ("a dynamic value", "schema")
                };
                if v.ty != KqlType::Dynamic {
                    return Err(bad(format!("{fname}() needs {needs}, not {}", v.ty)));
                }
                Ok(single(
                    format!("{stem}_{col_or_empty}"),
                    vec![v],
                    KqlType::Dynamic,
                ))
            }
            _ => Err(err(
                "kql::plan::unsupported",
                format!("the aggregation function `{fname}` is not supported yet"),
                func.span,
            )),
        }
    }

    /// The value argument at `i`; `*` is not a value.
    fn value_arg(
        &mut self,
        args: &[ast::Expr],
        i: usize,
        fname: &str,
        schema: &Schema,
    ) -> R<PlanExpr> {
        let Some(a) = args.get(i) else {
            return Err(err(
                "kql::plan::bad_arguments",
                format!("{fname}() is missing an argument"),
                Span::default(),
            ));
        };
        if a.kind == ExprKind::Star {
            return Err(err(
                "kql::plan::bad_arguments",
                format!("`*` is not a value here; {fname}() needs an expression"),
                a.span,
            ));
        }
        self.expr(a, schema)
    }

    /// The predicate argument at `i`, which must be a bool.
    fn predicate_arg(
        &mut self,
        args: &[ast::Expr],
        i: usize,
        fname: &str,
        schema: &Schema,
    ) -> R<PlanExpr> {
        let p = self.value_arg(args, i, fname, schema)?;
        if p.ty != KqlType::Bool {
            return Err(err(
                "kql::plan::bad_arguments",
                format!("the predicate of {fname}() must be a bool, not {}", p.ty),
                p.span,
            ));
        }
        Ok(p)
    }

    /// The columns returned by `arg_max`/`arg_min`/`take_any` from
    /// `args[from..]`: `*` stands for every input column not named in
    /// `skip` or elsewhere in the list. `name` gets the argument index and
    /// the column name, if the argument is a plain column.
    fn returned(
        &mut self,
        args: &[ast::Expr],
        from: usize,
        schema: &Schema,
        skip: &[String],
        name: impl Fn(usize, Option<&str>) -> Option<String>,
    ) -> R<Vec<(Option<String>, PlanExpr)>> {
        let mut skip = skip.to_vec();
        for a in args.iter().skip(from) {
            if let ExprKind::Name(id) = &a.kind {
                skip.push(id.name.clone());
            }
        }
        let mut out = Vec::new();
        let mut star_done = false;
        for (i, a) in args.iter().enumerate().skip(from) {
            if a.kind == ExprKind::Star {
                if star_done {
                    continue;
                }
                star_done = true;
                for (idx, c) in schema.columns.iter().enumerate() {
                    if skip.contains(&c.name) {
                        continue;
                    }
                    out.push((
                        name(i, Some(&c.name)),
                        PlanExpr {
                            kind: PlanExprKind::Column {
                                index: idx,
                                name: c.name.clone(),
                            },
                            ty: c.ty,
                            span: a.span,
                        },
                    ));
                }
                continue;
            }
            let e = self.expr(a, schema)?;
            let derived = derived_name(a);
            out.push((name(i, derived.as_deref()), e));
        }
        Ok(out)
    }
}

fn lit_long(x: i64, span: Span) -> PlanExpr {
    PlanExpr {
        kind: PlanExprKind::Literal(ScalarValue::Long(x)),
        ty: KqlType::Long,
        span,
    }
}

/// The percent as Kusto writes it in a column name: `50`, `99_9`.
fn percent_suffix(p: f64) -> String {
    let s = format!("{p}");
    s.replace(['.', '-'], "_")
}

/// `e` as a call to an aggregation function.
fn agg_call(e: &ast::Expr) -> Option<(&ast::Ident, AggFunc, &[ast::Expr])> {
    match &e.kind {
        ExprKind::Call { func, args } => {
            AggFunc::from_name(&func.name).map(|f| (func, f, args.as_slice()))
        }
        _ => None,
    }
}

/// Functions whose result Kusto names after the column in their first
/// argument (`summarize by bin(T, 1h)` gives `T`, `max(todouble(x))` gives
/// `max_x`), as Kusto's own analyzer reports them.
const NAME_KEEPING: &[&str] = &[
    "tostring",
    "toint",
    "tolong",
    "toreal",
    "todouble",
    "tobool",
    "toboolean",
    "todatetime",
    "totimespan",
    "totime",
    "todecimal",
    "toguid",
    "todynamic",
    "toobject",
    "parse_json",
    "tohex",
    "split",
    "bin",
    "bin_at",
    "bin_auto",
    "floor",
    "round",
    "ceiling",
    "abs",
    "sqrt",
    "exp",
    "log",
    "startofday",
    "format_datetime",
    "format_timespan",
];

/// The column name Kusto derives from an expression: a plain column, a
/// dynamic path (`d.a[0]` is `d_a_0`), or one of those inside a
/// [`NAME_KEEPING`] function; `strlen(s)` is `strlen_s`.
/// Kusto does not group by `dynamic` values (`summarize ... by d`,
/// `distinct d`).
pub(super) fn dynamic_key(pe: &PlanExpr, span: Span) -> R<()> {
    if pe.ty == KqlType::Dynamic {
        return Err(err(
            "kql::plan::dynamic_key",
            "a dynamic value cannot be a grouping key",
            span,
        )
        .with_label("this is dynamic")
        .with_help("convert it: `tostring(...)`, `tolong(...)`, ..."));
    }
    Ok(())
}

pub(super) fn derived_name(e: &ast::Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(id) => Some(id.name.clone()),
        ExprKind::Member { expr, name } => Some(format!("{}_{}", derived_name(expr)?, name.name)),
        ExprKind::Index { expr, index } => {
            let part = match &index.kind {
                ExprKind::Literal(ast::Literal::String(s)) => s.clone(),
                ExprKind::Literal(ast::Literal::Long(n)) => n.to_string(),
                ExprKind::Literal(ast::Literal::Int(n)) => n.to_string(),
                _ => return None,
            };
            Some(format!("{}_{part}", derived_name(expr)?))
        }
        ExprKind::Call { func, args } => {
            if let Some(f) = AggFunc::from_name(&func.name) {
                return inner_agg_name(f, args);
            }
            let inner = args.first().and_then(derived_name)?;
            if func.name == "strlen" {
                Some(format!("strlen_{inner}"))
            } else if NAME_KEEPING.contains(&func.name.as_str()) {
                Some(inner)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The default name of a one-column aggregate call used inside an
/// expression (`tostring(count())` is `count_`, `round(avg(x), 2)` is
/// `avg_x`); None where Kusto numbers the column instead.
fn inner_agg_name(f: AggFunc, args: &[ast::Expr]) -> Option<String> {
    use AggFunc::*;
    let col = args.first().and_then(derived_name).unwrap_or_default();
    let fname = f.name();
    Some(match f.base() {
        Count if f == Count => match args.first().map(|a| &a.kind) {
            None | Some(ExprKind::Star) => "count_".to_string(),
            Some(_) => format!("count_{col}"),
        },
        TakeAny | ArgMax | ArgMin | Percentile | PercentilesArray | PercentilesW
        | PercentilesWArray => return None,
        MakeSet => format!("set_{col}"),
        MakeList | MakeListWithNulls => format!("list_{col}"),
        MakeBag => format!("bag_{col}"),
        TDigestMerge => format!("merge_tdigests_{col}"),
        BuildSchema => format!("schema_{col}"),
        Covariance | CovarianceP => {
            let y = args.get(1).and_then(derived_name).unwrap_or_default();
            format!("{fname}_{col}_{y}")
        }
        _ => format!("{fname}_{col}"),
    })
}

/// Replaces every aggregation call inside `e` by a reference to an internal
/// column, numbered from `next`, and collects the calls.
pub(super) fn lift_aggs(e: &ast::Expr, out: &mut Vec<ast::Expr>, next: usize) -> ast::Expr {
    if agg_call(e).is_some() {
        let name = format!("{HIDDEN}{}", next + out.len());
        out.push(e.clone());
        return ast::Expr {
            kind: ExprKind::Name(ast::Ident { name, span: e.span }),
            span: e.span,
        };
    }
    let mut e = e.clone();
    let mut go = |x: &mut ast::Expr| {
        let n = lift_aggs(x, out, next);
        *x = n;
    };
    match &mut e.kind {
        ExprKind::Call { args, .. } => args.iter_mut().for_each(&mut go),
        ExprKind::Unary { expr, .. } => go(expr),
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
            list.iter_mut().for_each(&mut go);
        }
        ExprKind::Member { expr, .. } => go(expr),
        ExprKind::Index { expr, index } => {
            go(expr);
            go(index);
        }
        _ => {}
    }
    e
}
