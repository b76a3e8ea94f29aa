//! Lowering of `make-series`: a filter to the axis range, a hidden column
//! with each row's axis bin, `summarize` by the group keys and the bin,
//! then a [`MakeSeries`] node that arranges each group's bins into arrays.

use super::*;

/// The hidden column holding each row's axis bin.
const BIN: &str = "$series_bin";

/// The axis as the planner computes on it.
#[derive(Clone, Copy, PartialEq)]
enum Axis {
    /// datetime, timespan or whole numbers: 64-bit integers.
    Ticks(KqlType),
    Real,
}

impl Axis {
    fn ty(self) -> KqlType {
        match self {
            Axis::Ticks(t) => t,
            Axis::Real => KqlType::Real,
        }
    }

    /// The type of the step.
    fn step_ty(self) -> KqlType {
        match self {
            Axis::Ticks(KqlType::DateTime) => KqlType::TimeSpan,
            a => a.ty(),
        }
    }
}

impl Planner<'_> {
    pub(super) fn make_series(
        &mut self,
        input: LogicalPlan,
        m: &ast::MakeSeries,
        span: Span,
    ) -> R<LogicalPlan> {
        let schema = input.schema();
        let axis_ast = ast::Expr {
            kind: ExprKind::Name(m.axis.clone()),
            span: m.axis.span,
        };
        let axis_expr = self.expr(&axis_ast, &schema)?;
        let (start, stop, step, legacy) = match &m.range {
            ast::SeriesRange::FromTo { from, to, step } => {
                (from.as_ref(), to.as_ref(), step, false)
            }
            ast::SeriesRange::InRange { start, stop, step } => {
                (Some(start), Some(stop), step, true)
            }
        };
        let step_v = self.constant(step, &schema)?;
        let axis = match axis_expr.ty {
            KqlType::DateTime | KqlType::TimeSpan => Axis::Ticks(axis_expr.ty),
            KqlType::Int | KqlType::Long
                if matches!(step_v.kql_type(), KqlType::Int | KqlType::Long) =>
            {
                Axis::Ticks(KqlType::Long)
            }
            t if t.is_numeric() => Axis::Real,
            t => {
                return Err(err(
                    "kql::plan::bad_arguments",
                    format!(
                        "the axis of make-series must be a datetime, timespan or number, not {t}"
                    ),
                    m.axis.span,
                ))
            }
        };
        let step_v = self.series_bound(step, step_v, axis.step_ty(), "step")?;
        let positive = match step_v {
            ScalarValue::Real(x) => x > 0.0,
            ScalarValue::Long(x) | ScalarValue::TimeSpan(x) => x > 0,
            _ => false,
        };
        if !positive {
            return Err(err(
                "kql::plan::bad_arguments",
                "the step of make-series must be greater than zero",
                step.span,
            ));
        }
        // A bound is a constant, or an expression without columns that is
        // computed when the query runs (`ago(7d)`, `now()`).
        let mut bound = |e: Option<&ast::Expr>, what: &str| -> R<Option<PlanExpr>> {
            let Some(e) = e else {
                return Ok(None);
            };
            let pe = self.expr(e, &Schema::default())?;
            match pe.as_literal() {
                Some(v) => {
                    let v = self.series_bound(e, v.clone(), axis.ty(), what)?;
                    Ok(Some(PlanExpr::literal(v, e.span)))
                }
                None if legacy => Err(err(
                    "kql::plan::not_constant",
                    "the bounds of `in range(...)` must be constants",
                    e.span,
                )),
                None if pe.ty == axis.ty() => Ok(Some(pe)),
                None if pe.ty.is_numeric() && axis == Axis::Real => {
                    Ok(Some(pe.cast(KqlType::Real)))
                }
                None => Err(err(
                    "kql::plan::type_mismatch",
                    format!(
                        "the {what} of make-series must be a {}, not {}",
                        axis.ty(),
                        pe.ty
                    ),
                    e.span,
                )),
            }
        };
        let mut start_v = bound(start, "start")?;
        let mut end_v = bound(stop, "end")?;
        let lit = |e: &Option<PlanExpr>| e.as_ref().and_then(|e| e.as_literal().cloned());
        if legacy {
            // range(start, stop, step): bins counted from zero, stop inclusive.
            start_v = lit(&start_v).map(|v| PlanExpr::literal(floor_to(&v, &step_v, false), span));
            end_v = lit(&end_v).map(|v| PlanExpr::literal(floor_to(&v, &step_v, true), span));
        }
        if let (Some(s), Some(e)) = (lit(&start_v), lit(&end_v)) {
            let (s, e) = (&s, &e);
            let bins = bin_count(s, e, &step_v);
            if bins > MAX_SERIES_BINS {
                return Err(err(
                    "kql::plan::bad_arguments",
                    format!("make-series would build {bins} bins; at most {MAX_SERIES_BINS} are allowed"),
                    step.span,
                )
                .with_help("use a larger step or a shorter range"));
            }
        }

        // Rows inside the range, with their bin.
        let axis_cast = if axis_expr.ty == axis.ty() {
            axis_expr.clone()
        } else {
            PlanExpr::new(
                PlanExprKind::Cast {
                    expr: Box::new(axis_expr.clone()),
                    to: axis.ty(),
                },
                axis.ty(),
                axis_expr.span,
            )
        };
        let mut plan = input;
        let compare = |op: BinOp, v: &PlanExpr| {
            PlanExpr::new(
                PlanExprKind::Binary {
                    op,
                    left: Box::new(axis_cast.clone()),
                    right: Box::new(v.clone()),
                },
                KqlType::Bool,
                span,
            )
        };
        let mut conds = Vec::new();
        if let Some(s) = &start_v {
            conds.push(compare(BinOp::Ge, s));
        }
        if let Some(e) = &end_v {
            conds.push(compare(BinOp::Lt, e));
        }
        if let Some(predicate) = conds.into_iter().reduce(|a, b| {
            PlanExpr::new(
                PlanExprKind::Binary {
                    op: BinOp::And,
                    left: Box::new(a),
                    right: Box::new(b),
                },
                KqlType::Bool,
                span,
            )
        }) {
            plan = LogicalPlan::Filter(Filter {
                input: Box::new(plan),
                predicate,
            });
        }
        let origin = start_v.clone().unwrap_or_else(|| {
            PlanExpr::literal(
                match axis {
                    Axis::Ticks(t) => match t {
                        KqlType::DateTime => ScalarValue::DateTime(0),
                        KqlType::TimeSpan => ScalarValue::TimeSpan(0),
                        _ => ScalarValue::Long(0),
                    },
                    Axis::Real => ScalarValue::Real(0.0),
                },
                span,
            )
        });
        let bin_at = ScalarFunc::from_name("bin_at")
            .ok_or_else(|| err("kql::plan::internal", "bin_at is not registered", span))?;
        let bin = PlanExpr::new(
            PlanExprKind::Call {
                func: bin_at,
                args: vec![
                    axis_cast.clone(),
                    PlanExpr::literal(step_v.clone(), span),
                    origin,
                ],
            },
            axis.ty(),
            span,
        );
        let mut exprs = column_refs(&plan.schema());
        exprs.push((BIN.to_string(), bin));
        plan = LogicalPlan::Project(Project {
            input: Box::new(plan),
            exprs,
        });

        // summarize Aggs by Keys, $series_bin
        let mut aggs = Vec::new();
        for (a, _) in &m.aggs {
            let mut lifted = Vec::new();
            let _ = super::summarize::lift_aggs(&a.expr, &mut lifted, 0);
            if lifted.is_empty() {
                // A constant (`other = -1`): its value in every bin with rows.
                let mut a = a.clone();
                a.expr = ast::Expr {
                    kind: ExprKind::Call {
                        func: ast::Ident {
                            name: "take_any".to_string(),
                            span: a.expr.span,
                        },
                        args: vec![a.expr.clone()],
                    },
                    span: a.expr.span,
                };
                aggs.push(a);
            } else {
                aggs.push(a.clone());
            }
        }
        let mut by = m.by.clone();
        by.push(ast::NamedExpr {
            names: vec![ast::Ident {
                name: BIN.to_string(),
                span,
            }],
            expr: ast::Expr {
                kind: ExprKind::Name(ast::Ident {
                    name: BIN.to_string(),
                    span,
                }),
                span,
            },
            span,
        });
        let summarized = self.summarize(Box::new(plan), &aggs, &by)?;
        let out = summarized.schema();
        let groups = m.by.len();
        let nagg = out.len().saturating_sub(groups + 1);
        if nagg != m.aggs.len() {
            return Err(err(
                "kql::plan::bad_arguments",
                "each make-series aggregation must produce one column",
                span,
            )
            .with_help(
                "percentiles() and arg_max() give several columns; use one percentile() per column",
            ));
        }
        let mut defaults = Vec::new();
        for (i, (a, default)) in m.aggs.iter().enumerate() {
            let ty = out
                .columns
                .get(groups + 1 + i)
                .map_or(KqlType::Long, |c| c.ty);
            let v = match default {
                Some(d) => {
                    let v = self.constant(d, &schema)?;
                    match implicit_cast(&v, ty) {
                        Some(v) => v,
                        None => {
                            return Err(err(
                                "kql::plan::type_mismatch",
                                format!(
                                    "the default {} does not fit the aggregate's type {ty}",
                                    v.kql_type()
                                ),
                                d.span,
                            )
                            .with_secondary(a.span, "this aggregate"))
                        }
                    }
                }
                None => zero_of(ty),
            };
            defaults.push(v);
        }
        if let Some(c) = out
            .columns
            .iter()
            .enumerate()
            .find(|(i, c)| *i != groups && c.name == m.axis.name)
        {
            return Err(err(
                "kql::plan::duplicate_column",
                format!("column `{}` is produced twice", c.1.name),
                m.axis.span,
            )
            .with_help("give the aggregate or the group another name with `Name = ...`"));
        }
        Ok(LogicalPlan::MakeSeries(Box::new(MakeSeries {
            input: Box::new(summarized),
            groups,
            defaults,
            axis: m.axis.name.clone(),
            axis_ty: axis.ty(),
            start: start_v,
            end: end_v,
            step: step_v,
            nonempty: m.nonempty,
            span,
        })))
    }

    /// `v` (the constant at `e`) converted to the type `ty` of a bound of
    /// the axis.
    fn series_bound(
        &self,
        e: &ast::Expr,
        v: ScalarValue,
        ty: KqlType,
        what: &str,
    ) -> R<ScalarValue> {
        let from = v.kql_type();
        let fits = from == ty
            || (from.is_numeric()
                && ty.is_numeric()
                && (ty == KqlType::Real || !matches!(from, KqlType::Real | KqlType::Decimal)));
        match cast_scalar(&v, ty) {
            Some(c) if fits && !c.is_null() => Ok(c),
            _ => Err(err(
                "kql::plan::type_mismatch",
                format!("the {what} of make-series must be a {ty}, not {from}"),
                e.span,
            )),
        }
    }
}

/// Zero of a numeric type; null for the others.
fn zero_of(ty: KqlType) -> ScalarValue {
    match ty {
        KqlType::Int => ScalarValue::Int(0),
        KqlType::Long => ScalarValue::Long(0),
        KqlType::Real | KqlType::Decimal => ScalarValue::Real(0.0),
        KqlType::TimeSpan => ScalarValue::TimeSpan(0),
        t => ScalarValue::Null(t),
    }
}

/// `v` rounded down to a multiple of `step` (plus one step when `next`).
fn floor_to(v: &ScalarValue, step: &ScalarValue, next: bool) -> ScalarValue {
    let n = i64::from(next);
    match (v, step) {
        (ScalarValue::Real(x), ScalarValue::Real(s)) => {
            ScalarValue::Real(((x / s).floor() + n as f64) * s)
        }
        (ScalarValue::DateTime(x), ScalarValue::TimeSpan(s)) => {
            ScalarValue::DateTime(x - x.rem_euclid(*s) + n * s)
        }
        (ScalarValue::TimeSpan(x), ScalarValue::TimeSpan(s)) => {
            ScalarValue::TimeSpan(x - x.rem_euclid(*s) + n * s)
        }
        (ScalarValue::Long(x), ScalarValue::Long(s)) => {
            ScalarValue::Long(x - x.rem_euclid(*s) + n * s)
        }
        (v, _) => v.clone(),
    }
}

/// How many bins of `step` start in `[start, end)`.
fn bin_count(start: &ScalarValue, end: &ScalarValue, step: &ScalarValue) -> i64 {
    let ticks = |v: &ScalarValue| match v {
        ScalarValue::DateTime(x) | ScalarValue::TimeSpan(x) | ScalarValue::Long(x) => {
            Some(*x as f64)
        }
        ScalarValue::Real(x) => Some(*x),
        _ => None,
    };
    match (ticks(start), ticks(end), ticks(step)) {
        (Some(s), Some(e), Some(t)) if e > s && t > 0.0 => {
            ((e - s) / t).ceil().min(i64::MAX as f64) as i64
        }
        _ => 0,
    }
}

/// Prefix of the hidden columns holding the bags of functions with several
/// result columns.
const MULTI_PREFIX: &str = "$multi";

/// A function whose result is several columns: the function computing
/// them as one property bag, and each field with its type.
struct MultiColumn {
    name: &'static str,
    bag: &'static str,
    fields: &'static [(&'static str, KqlType)],
}

const DECOMPOSE_FIELDS: &[(&str, KqlType)] = &[
    ("baseline", KqlType::Dynamic),
    ("seasonal", KqlType::Dynamic),
    ("trend", KqlType::Dynamic),
    ("residual", KqlType::Dynamic),
];

const MULTI_COLUMN: &[MultiColumn] = &[
    MultiColumn {
        name: "series_stats",
        bag: "series_stats_dynamic",
        fields: &[
            ("min", KqlType::Real),
            ("min_idx", KqlType::Long),
            ("max", KqlType::Real),
            ("max_idx", KqlType::Long),
            ("avg", KqlType::Real),
            ("stdev", KqlType::Real),
            ("variance", KqlType::Real),
        ],
    },
    MultiColumn {
        name: "series_fit_2lines",
        bag: "series_fit_2lines_dynamic",
        fields: &[
            ("rsquare", KqlType::Real),
            ("split_idx", KqlType::Long),
            ("variance", KqlType::Real),
            ("rvariance", KqlType::Real),
            ("line_fit", KqlType::Dynamic),
            ("right_rsquare", KqlType::Real),
            ("right_slope", KqlType::Real),
            ("right_interception", KqlType::Real),
            ("right_variance", KqlType::Real),
            ("right_rvariance", KqlType::Real),
            ("left_rsquare", KqlType::Real),
            ("left_slope", KqlType::Real),
            ("left_interception", KqlType::Real),
            ("left_variance", KqlType::Real),
            ("left_rvariance", KqlType::Real),
        ],
    },
    MultiColumn {
        name: "series_decompose",
        bag: "$series_decompose",
        fields: DECOMPOSE_FIELDS,
    },
    MultiColumn {
        name: "series_decompose_forecast",
        bag: "$series_decompose_forecast",
        fields: DECOMPOSE_FIELDS,
    },
    MultiColumn {
        name: "series_decompose_anomalies",
        bag: "$series_decompose_anomalies",
        fields: &[
            ("ad_flag", KqlType::Dynamic),
            ("ad_score", KqlType::Dynamic),
            ("baseline", KqlType::Dynamic),
        ],
    },
    MultiColumn {
        name: "series_fit_line",
        bag: "series_fit_line_dynamic",
        fields: &[
            ("rsquare", KqlType::Real),
            ("slope", KqlType::Real),
            ("variance", KqlType::Real),
            ("rvariance", KqlType::Real),
            ("interception", KqlType::Real),
            ("line_fit", KqlType::Dynamic),
        ],
    },
];

/// `input` without the hidden columns of [`MULTI_PREFIX`].
pub(super) fn drop_hidden(plan: LogicalPlan) -> LogicalPlan {
    let schema = plan.schema();
    if !schema.names().any(|n| n.starts_with(MULTI_PREFIX)) {
        return plan;
    }
    let exprs = column_refs(&schema)
        .into_iter()
        .filter(|(n, _)| !n.starts_with(MULTI_PREFIX))
        .collect();
    LogicalPlan::Project(Project {
        input: Box::new(plan),
        exprs,
    })
}

fn ident(name: &str, span: Span) -> ast::Ident {
    ast::Ident {
        name: name.to_string(),
        span,
    }
}

fn call(name: &str, args: Vec<ast::Expr>, span: Span) -> ast::Expr {
    ast::Expr {
        kind: ExprKind::Call {
            func: ident(name, span),
            args,
        },
        span,
    }
}

impl Planner<'_> {
    /// When an `extend`/`project` item calls a function with several result
    /// columns, returns the input extended with a hidden column per such
    /// call (its result bag) and the operator with each of those items
    /// replaced by one item per field.
    pub(super) fn multi_prepass(
        &mut self,
        input: LogicalPlan,
        op: &ast::Operator,
    ) -> R<(LogicalPlan, Option<ast::Operator>)> {
        let items = match &op.kind {
            OperatorKind::Extend(items) | OperatorKind::Project(items) => items,
            _ => return Ok((input, None)),
        };
        fn multi(
            item: &ast::NamedExpr,
        ) -> Option<(&'static MultiColumn, &ast::Ident, &[ast::Expr])> {
            match &item.expr.kind {
                ExprKind::Call { func, args } => MULTI_COLUMN
                    .iter()
                    .find(|m| m.name == func.name)
                    .map(|m| (m, func, args.as_slice())),
                _ => None,
            }
        }
        for item in items {
            let inner = match &item.expr.kind {
                ExprKind::Call { args, .. } if multi(item).is_some() => {
                    args.iter().find_map(nested_multi)
                }
                _ => nested_multi(&item.expr),
            };
            if let Some((name, span)) = inner {
                if self.user_function(name).is_none() {
                    return Err(err(
                        "kql::plan::unsupported",
                        format!("`{name}` returns several columns, so it cannot be part of an expression"),
                        span,
                    )
                    .with_help(format!("use it alone: `extend {name}(...)`, then the columns it adds")));
                }
            }
        }
        if !items.iter().any(|i| multi(i).is_some()) || self.user_function("series_stats").is_some()
        {
            return Ok((input, None));
        }
        let schema = input.schema();
        let mut hidden = column_refs(&schema);
        let mut rewritten = Vec::new();
        for item in items {
            let Some((m, func, args)) = multi(item) else {
                rewritten.push(item.clone());
                continue;
            };
            if item.names.len() > m.fields.len() {
                return Err(err(
                    "kql::plan::too_many_names",
                    format!(
                        "`{}` produces {} columns, but {} names are given",
                        m.name,
                        m.fields.len(),
                        item.names.len()
                    ),
                    item.span,
                ));
            }
            let col = format!("{MULTI_PREFIX}{}", hidden.len());
            let bag = match ScalarFunc::internal(m.bag) {
                Some(f) if m.bag.starts_with('$') => {
                    let mut pargs = Vec::with_capacity(args.len());
                    for a in args {
                        pargs.push(self.expr(a, &schema)?);
                    }
                    self.typed_call(f, pargs, item.expr.span)
                        .map_err(|e| e.with_note(format!("in a call of {}", m.name)))?
                }
                _ => self.expr(&call(m.bag, args.to_vec(), item.expr.span), &schema)?,
            };
            hidden.push((col.clone(), bag));
            let stem = match args.first().map(|a| &a.kind) {
                Some(ExprKind::Name(id)) => id.name.clone(),
                _ => String::new(),
            };
            let span = item.expr.span;
            for (k, (field, ty)) in m.fields.iter().enumerate() {
                let member = ast::Expr {
                    kind: ExprKind::Member {
                        expr: Box::new(ast::Expr {
                            kind: ExprKind::Name(ident(&col, span)),
                            span,
                        }),
                        name: ident(field, span),
                    },
                    span,
                };
                let conv = match ty {
                    KqlType::Long => "tolong",
                    KqlType::Real => "todouble",
                    _ => "todynamic",
                };
                let name = match item.names.get(k) {
                    Some(n) => n.clone(),
                    None => ident(&format!("{}_{stem}_{field}", func.name), func.span),
                };
                rewritten.push(ast::NamedExpr {
                    names: vec![name],
                    expr: call(conv, vec![member], span),
                    span: item.span,
                });
            }
        }
        let kind = match &op.kind {
            OperatorKind::Extend(_) => OperatorKind::Extend(rewritten),
            _ => OperatorKind::Project(rewritten),
        };
        Ok((
            LogicalPlan::Project(Project {
                input: Box::new(input),
                exprs: hidden,
            }),
            Some(ast::Operator {
                kind,
                span: op.span,
            }),
        ))
    }
}

/// The column name Kusto gives a call of a sketch function in `project` or
/// `extend` without a name: `dcount_hll(h)` is `dcount_hll_h`,
/// `percentile_tdigest(t, 50)` is `percentile_tdigest_t`, and the merges
/// have fixed names.
pub(super) fn derived_call_name(e: &ast::Expr) -> Option<String> {
    let ExprKind::Call { func, args } = &e.kind else {
        return None;
    };
    let arg = || match args.first().map(|a| &a.kind) {
        Some(ExprKind::Name(id)) => id.name.clone(),
        _ => String::new(),
    };
    Some(match func.name.as_str() {
        "dcount_hll" | "percentile_tdigest" => format!("{}_{}", func.name, arg()),
        "percentiles_array_tdigest" => format!("percentile_tdigest_{}", arg()),
        "hll_merge" => "hll_merged_result".to_string(),
        "merge_tdigest" | "tdigest_merge" => "tdigests_merge_result".to_string(),
        _ => return None,
    })
}

impl Planner<'_> {
    /// `evaluate dcount_intersect(hll1, hll2, ...)`: the input with columns
    /// `s0`, `s1`, ...: the distinct count of the first sketch, of the
    /// intersection of the first two, and so on.
    pub(super) fn dcount_intersect(
        &mut self,
        input: LogicalPlan,
        args: &[ast::NamedExpr],
        span: Span,
    ) -> R<LogicalPlan> {
        if !(2..=16).contains(&args.len()) {
            return Err(err(
                "kql::plan::bad_arguments",
                format!(
                    "dcount_intersect takes 2 to 16 hll() sketches, got {}",
                    args.len()
                ),
                span,
            ));
        }
        let schema = input.schema();
        let mut sketches = Vec::new();
        for a in args {
            let e = self.expr(&a.expr, &schema)?;
            if e.ty != KqlType::Dynamic {
                return Err(err(
                    "kql::plan::type_mismatch",
                    format!(
                        "dcount_intersect needs hll() sketches (dynamic), not {}",
                        e.ty
                    ),
                    a.expr.span,
                ));
            }
            sketches.push(e);
        }
        let f = ScalarFunc::internal("$dcount_intersect")
            .ok_or_else(|| err("kql::plan::internal", "missing $dcount_intersect", span))?;
        let mut exprs = column_refs(&schema);
        for k in 1..=sketches.len() {
            let name = format!("s{}", k - 1);
            if schema.index_of(&name).is_some() {
                return Err(err(
                    "kql::plan::duplicate_column",
                    format!("dcount_intersect adds column `{name}`, which the input already has"),
                    span,
                )
                .with_help("rename the input column first"));
            }
            let call = PlanExpr::new(
                PlanExprKind::Call {
                    func: f,
                    args: sketches.iter().take(k).cloned().collect(),
                },
                KqlType::Long,
                span,
            );
            exprs.push((name, call));
        }
        Ok(LogicalPlan::Project(Project {
            input: Box::new(input),
            exprs,
        }))
    }
}

/// A call of a function with several result columns inside `e`.
fn nested_multi(e: &ast::Expr) -> Option<(&'static str, Span)> {
    match &e.kind {
        ExprKind::Call { func, args } => {
            if let Some(m) = MULTI_COLUMN.iter().find(|m| m.name == func.name) {
                return Some((m.name, func.span));
            }
            args.iter().find_map(nested_multi)
        }
        ExprKind::Unary { expr, .. } | ExprKind::Member { expr, .. } => nested_multi(expr),
        ExprKind::Binary { left, right, .. } => nested_multi(left).or_else(|| nested_multi(right)),
        ExprKind::Index { expr, index } => nested_multi(expr).or_else(|| nested_multi(index)),
        _ => None,
    }
}
