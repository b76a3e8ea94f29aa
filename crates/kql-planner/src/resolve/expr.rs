//! Resolution and typing of scalar expressions.

use super::*;

impl Planner<'_> {
    pub(super) fn unknown_column(&self, id: &ast::Ident, schema: &Schema) -> Diagnostic {
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

    pub(super) fn predicate(&mut self, e: &ast::Expr, schema: &Schema) -> R<PlanExpr> {
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
    pub(super) fn expr(&mut self, e: &ast::Expr, schema: &Schema) -> R<PlanExpr> {
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
                    Some(Binding::Function(_)) => Err(err(
                        "kql::plan::not_scalar",
                        format!("`{}` is a function; call it with its arguments", id.name),
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
            ExprKind::NamedArg { name, .. } => Err(err(
                "kql::plan::named_argument",
                format!("the named argument `{}` is not allowed here", name.name),
                span,
            )
            .with_help("named arguments (`name = value`) are for user-defined functions and functions whose parameters have names in their signature")),
            ExprKind::Call { func, args } => match self.scalar_call(func, args, schema, span) {
                Some(r) => r,
                None => self.call(func, args, schema, span),
            },
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
                        return self.has_list(*op == ListOp::HasAll, x, list, schema, span)
                    }
                };
                let target = if ci { KqlType::String } else { x.ty };
                let mut values = Vec::new();
                for item in list {
                    let elems = if is_tabular_shape(item) || self.names_table(item) {
                        self.subquery(item)?.1
                    } else {
                        let v = self.constant(item, schema)?;
                        match v {
                            ScalarValue::Dynamic(serde_json::Value::Array(a)) => {
                                a.into_iter().map(ScalarValue::Dynamic).collect()
                            }
                            other => vec![other],
                        }
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
            ExprKind::Member { .. } | ExprKind::Index { .. } => self.access(e, schema),
            ExprKind::Pipe { .. }
            | ExprKind::Union(_)
            | ExprKind::ExternalData { .. }
            | ExprKind::Print(_)
            | ExprKind::DataTable { .. }
            | ExprKind::Range { .. } => Err(err(
                "kql::plan::not_scalar",
                "a tabular expression cannot be used as a value here",
                span,
            )),
        }
    }

    pub(super) fn call(
        &mut self,
        func: &ast::Ident,
        args: &[ast::Expr],
        schema: &Schema,
        span: Span,
    ) -> R<PlanExpr> {
        if let Some(r) = self.expanded_call(func, args, schema, span) {
            return r;
        }
        // `datetime(2025, 6, 14)`: a datetime from its parts, as make_datetime.
        let parts = func.name == "datetime" && (3..=6).contains(&args.len());
        let lookup = if parts {
            "make_datetime"
        } else {
            func.name.as_str()
        };
        let Some(f) = ScalarFunc::from_name(lookup) else {
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
            if func.name == "column_ifexists" {
                return self.column_ifexists(args, schema, span);
            }
            let lower = func.name.to_ascii_lowercase();
            let mut d = err(
                "kql::plan::unknown_function",
                format!("unknown function `{}`", func.name),
                func.span,
            );
            if lower != func.name && ScalarFunc::from_name(&lower).is_some() {
                d = d.with_help(format!("function names are case-sensitive: `{lower}`"));
            } else {
                d = d.with_suggestion(did_you_mean(
                    &func.name,
                    kql_functions::names().chain(["column_ifexists"]),
                ));
            }
            return Err(d);
        };
        if f.is("ingestion_time") {
            for name in ["$IngestionTime", "IngestionTime"] {
                if let Some(index) = schema.index_of(name) {
                    if schema.columns[index].ty == KqlType::DateTime {
                        return Ok(PlanExpr::new(
                            PlanExprKind::Column {
                                index,
                                name: name.to_string(),
                            },
                            KqlType::DateTime,
                            span,
                        ));
                    }
                }
            }
        }
        let reordered;
        let args = if args
            .iter()
            .any(|a| matches!(a.kind, ExprKind::NamedArg { .. }))
        {
            reordered = self.builtin_named_args(f, func, args, span)?;
            reordered.as_slice()
        } else {
            args
        };
        // `extract(..., typeof(T))` and `extract_json(..., typeof(T))`: the
        // text found, converted to T.
        let (args, convert_to) = match trailing_type(f, args) {
            Some(t) => (&args[..args.len() - 1], Some(t)),
            None => (args, None),
        };
        let mut pargs = Vec::with_capacity(args.len());
        for a in args {
            pargs.push(self.expr(a, schema)?);
        }
        let call = self.typed_call(f, pargs, span)?;
        Ok(match convert_to {
            Some(t) => call.cast(t),
            None => call,
        })
    }

    /// The arguments of a built-in call with named arguments, in the order
    /// of the parameters in the function's signature.
    fn builtin_named_args(
        &mut self,
        f: ScalarFunc,
        func: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> R<Vec<ast::Expr>> {
        let names = signature_params(f.def().signature);
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let slots = assign_args(&func.name, &refs, args, 0, span)?;
        let last = slots.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
        let mut out = Vec::with_capacity(last);
        for (i, s) in slots.iter().take(last).enumerate() {
            match s {
                Some(e) => out.push((*e).clone()),
                None => {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        format!(
                            "argument `{}` of {}() must be given when a later argument is",
                            refs[i], func.name
                        ),
                        span,
                    )
                    .with_note(format!("signature: {}", f.def().signature)))
                }
            }
        }
        Ok(out)
    }

    /// Types a call through the function registry and converts its
    /// arguments to the types the kernel expects.
    pub(super) fn typed_call(
        &mut self,
        f: ScalarFunc,
        mut pargs: Vec<PlanExpr>,
        span: Span,
    ) -> R<PlanExpr> {
        if f.is("assert") {
            // The condition must be known while planning: evaluate
            // comparisons and logic over constants here.
            if let Some(c) = pargs.first_mut() {
                if let Some(b) = const_bool(c) {
                    *c = PlanExpr::literal(ScalarValue::Bool(b), c.span);
                }
            }
        }
        let infos: Vec<kql_functions::ArgInfo> = pargs
            .iter()
            .map(|a| kql_functions::ArgInfo {
                ty: a.ty,
                value: a.as_literal(),
            })
            .collect();
        let typed = f.typing(&infos).map_err(|m| {
            if let Some(msg) = m.strip_prefix(kql_functions::ASSERT_FAILED) {
                return err("kql::plan::assertion_failed", msg.to_string(), span);
            }
            // "argument N of f() ...": point at that argument.
            let at = m
                .strip_prefix("argument ")
                .and_then(|r| r.split_once(' '))
                .and_then(|(n, _)| n.parse::<usize>().ok())
                .and_then(|n| pargs.get(n.wrapping_sub(1)))
                .map(|a| a.span)
                .filter(|s| s.start < s.end && span.start <= s.start && s.end <= span.end)
                .unwrap_or(span);
            err("kql::plan::bad_arguments", m, at)
                .with_note(format!("signature: {}", f.def().signature))
        })?;
        if f.is("geo_info_from_ip_address") {
            self.warnings.push(
                Diagnostic::warning(
                    "kql::plan::local_stand_in",
                    "geo_info_from_ip_address() needs Kusto's geolocation database; here it returns the property bag with empty values",
                )
                .with_span(span),
            );
        }
        let args: Vec<PlanExpr> = pargs
            .into_iter()
            .zip(typed.args.iter().copied())
            .map(|(a, t)| a.cast(t))
            .collect();
        if let Some(v) = fold_call(f, &args, typed.ret) {
            return Ok(PlanExpr::literal(v, span));
        }
        Ok(PlanExpr::new(
            PlanExprKind::Call { func: f, args },
            typed.ret,
            span,
        ))
    }

    /// `x has_any (a, b, ...)` and `has_all`: the terms are constants
    /// (dynamic arrays are flattened) and become one dynamic array argument.
    fn has_list(
        &mut self,
        all: bool,
        x: PlanExpr,
        list: &[ast::Expr],
        schema: &Schema,
        span: Span,
    ) -> R<PlanExpr> {
        let mut terms = Vec::new();
        for item in list {
            if is_tabular_shape(item) || self.names_table(item) {
                return Err(err(
                    "kql::plan::unsupported",
                    format!(
                        "`{}` over a subquery is not supported yet",
                        if all { "has_all" } else { "has_any" }
                    ),
                    item.span,
                )
                .with_help("put the terms in a dynamic array: let terms = dynamic([...]);"));
            }
            match self.constant(item, schema)? {
                ScalarValue::Dynamic(serde_json::Value::Array(a)) => terms.extend(a),
                ScalarValue::Null(_) => {}
                v => terms.push(serde_json::Value::String(crate::cast::scalar_to_string(&v))),
            }
        }
        let name = if all { "$has_all" } else { "$has_any" };
        let f = ScalarFunc::internal(name)
            .ok_or_else(|| err("kql::plan::internal", "missing has_any function", span))?;
        let lst = PlanExpr::literal(ScalarValue::Dynamic(serde_json::Value::Array(terms)), span);
        self.typed_call(f, vec![x, lst], span)
    }

    /// `column_ifexists(name, default)`: the column when the input has it,
    /// else the default.
    fn column_ifexists(&mut self, args: &[ast::Expr], schema: &Schema, span: Span) -> R<PlanExpr> {
        let [name, default] = args else {
            return Err(err(
                "kql::plan::bad_arguments",
                format!("column_ifexists() takes 2 arguments, got {}", args.len()),
                span,
            ));
        };
        let name_v = self.constant(name, schema)?;
        let ScalarValue::String(col) = name_v else {
            return Err(err(
                "kql::plan::not_constant",
                "the first argument of column_ifexists() must be a constant string",
                name.span,
            ));
        };
        let d = self.expr(default, schema)?;
        match schema.index_of(&col) {
            Some(index) => Ok(PlanExpr::new(
                PlanExprKind::Column { index, name: col },
                schema.columns[index].ty,
                span,
            )),
            None => Ok(d),
        }
    }

    /// `d.Name`, `d["Name"]`, `d[0]`: property access and indexing on a
    /// dynamic value; the result is dynamic.
    fn access(&mut self, e: &ast::Expr, schema: &Schema) -> R<PlanExpr> {
        let span = e.span;
        let (base, key) = match &e.kind {
            ExprKind::Member { expr, name } => (
                expr,
                PlanExpr::literal(ScalarValue::String(name.name.clone()), name.span),
            ),
            ExprKind::Index { expr, index } => (expr, self.expr(index, schema)?),
            _ => return Err(err("kql::plan::internal", "not an access", span)),
        };
        let b = self.expr(base, schema)?;
        if b.ty != KqlType::Dynamic {
            return Err(err(
                "kql::plan::type_mismatch",
                format!(
                    "property access and indexing need a dynamic value, this is {}",
                    b.ty
                ),
                base.span,
            )
            .with_help("convert JSON text first, e.g. parse_json(Column).Name"));
        }
        let member = matches!(key.as_literal(), Some(ScalarValue::String(_)));
        let name = if member { "$member" } else { "$index" };
        let f = ScalarFunc::internal(name)
            .ok_or_else(|| err("kql::plan::internal", "missing access function", span))?;
        if !member
            && !matches!(
                key.ty,
                KqlType::Int | KqlType::Long | KqlType::String | KqlType::Dynamic
            )
        {
            return Err(err(
                "kql::plan::type_mismatch",
                format!(
                    "an index must be a whole number or a string, this is {}",
                    key.ty
                ),
                key.span,
            ));
        }
        self.typed_call(f, vec![b, key], span)
    }

    pub(super) fn binary(
        &mut self,
        op: ast::BinaryOp,
        l: PlanExpr,
        r: PlanExpr,
        span: Span,
    ) -> R<PlanExpr> {
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
                        // Integer arithmetic is done in long, even on two ints.
                        let t = match common_type(a, b).unwrap_or(Real) {
                            Int => Long,
                            t => t,
                        };
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
pub(super) fn undyn(e: PlanExpr, other: KqlType) -> PlanExpr {
    if e.ty == KqlType::Dynamic && other != KqlType::Dynamic {
        e.cast(other)
    } else {
        e
    }
}

/// Whether values of the type have an order (`<`, `between`, sorting).
pub(super) fn comparable(t: KqlType) -> bool {
    !matches!(t, KqlType::Dynamic | KqlType::Bool)
}

pub(super) fn negate(v: &ScalarValue) -> Option<ScalarValue> {
    Some(match v {
        ScalarValue::Int(i) => ScalarValue::Int(i.checked_neg()?),
        ScalarValue::Long(i) => ScalarValue::Long(i.checked_neg()?),
        ScalarValue::Real(r) => ScalarValue::Real(-r),
        ScalarValue::TimeSpan(t) => ScalarValue::TimeSpan(t.checked_neg()?),
        ScalarValue::Null(t) => ScalarValue::Null(*t),
        _ => return None,
    })
}

pub(super) fn literal(l: &ast::Literal, span: Span) -> R<ScalarValue> {
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

impl Planner<'_> {
    /// `set option [= value]`. `query_now` pins `now()`; options that only
    /// shape how Kusto returns results (truncation limits) are accepted and
    /// have no effect locally.
    pub(super) fn set_option(
        &mut self,
        name: &ast::Ident,
        value: Option<&ast::Expr>,
    ) -> R<Option<i64>> {
        const NO_EFFECT: &[&str] = &[
            "notruncation",
            "truncationmaxrecords",
            "truncationmaxsize",
            "querytrace",
            "query_results_cache_max_age",
        ];
        match name.name.as_str() {
            "query_now" => {
                let Some(e) = value else {
                    return Err(err(
                        "kql::plan::bad_set",
                        "`set query_now` needs a value: set query_now = datetime(...)",
                        name.span,
                    ));
                };
                match self.constant(e, &Schema::default())? {
                    ScalarValue::DateTime(t) => Ok(Some(t)),
                    v => Err(err(
                        "kql::plan::bad_set",
                        format!("query_now must be a datetime, not {}", v.kql_type()),
                        e.span,
                    )),
                }
            }
            "query_bin_auto_size" | "query_bin_auto_at" => {
                let Some(e) = value else {
                    return Err(err(
                        "kql::plan::bad_set",
                        format!("`set {}` needs a value", name.name),
                        name.span,
                    ));
                };
                let v = self.constant(e, &Schema::default())?;
                let ok = match v {
                    ScalarValue::Int(_) | ScalarValue::Long(_) | ScalarValue::Real(_) => true,
                    ScalarValue::TimeSpan(_) => true,
                    ScalarValue::DateTime(_) => name.name == "query_bin_auto_at",
                    _ => false,
                };
                if !ok {
                    return Err(err(
                        "kql::plan::bad_set",
                        format!(
                            "{} must be a number or a timespan{}, not {}",
                            name.name,
                            if name.name == "query_bin_auto_at" { " or a datetime" } else { "" },
                            v.kql_type()
                        ),
                        e.span,
                    ));
                }
                if name.name == "query_bin_auto_size" {
                    self.bin_auto_size = Some(v);
                } else {
                    self.bin_auto_at = Some(v);
                }
                Ok(None)
            }
            n if NO_EFFECT.contains(&n) => Ok(None),
            n => Err(err(
                "kql::plan::unsupported",
                format!("the request option `{n}` is not supported"),
                name.span,
            )
            .with_help("supported: set query_now = datetime(...), set query_bin_auto_size / query_bin_auto_at = ...; truncation options are accepted and ignored")),
        }
    }
}

/// The type named by a final `typeof(T)` argument of the functions that
/// take one (`extract`, `extract_json`, `percentile_tdigest`).
fn trailing_type(f: ScalarFunc, args: &[ast::Expr]) -> Option<KqlType> {
    let n = if f.is("extract") {
        4
    } else if f.is("extract_json") || f.is("extractjson") || f.is("percentile_tdigest") {
        3
    } else {
        return None;
    };
    if args.len() != n {
        return None;
    }
    let ExprKind::Call { func, args: targs } = &args.last()?.kind else {
        return None;
    };
    if func.name != "typeof" {
        return None;
    }
    match targs.as_slice() {
        [ast::Expr {
            kind: ExprKind::Name(id),
            ..
        }] => KqlType::from_name(&id.name),
        _ => None,
    }
}

/// The value of a call whose arguments are all constants, computed while
/// planning (so it can stand where a constant is needed, such as a
/// `datatable` cell). Calls that read the clock or are random are left to
/// run time, and so is any call whose kernel reports an error.
fn fold_call(f: ScalarFunc, args: &[PlanExpr], ret: KqlType) -> Option<ScalarValue> {
    let def = f.def();
    if def.volatile || def.hidden || matches!(f.name(), "now" | "ago" | "ingestion_time") {
        return None;
    }
    let mut arrays = Vec::with_capacity(args.len());
    for a in args {
        let v = a.as_literal()?;
        arrays.push(kql_functions::Arg {
            array: kql_functions::convert::scalar_to_array(v, 1),
            ty: a.ty,
        });
    }
    let ctx = kql_functions::Ctx {
        len: 1,
        out: ret,
        now: 0,
    };
    let out = kql_functions::invoke(f, &ctx, &arrays).ok()?;
    Some(kql_functions::convert::array_value(out.as_ref(), ret, 0))
}

/// The parameter names in a registry signature such as
/// `hash(source, [mod: long]): long` (optional brackets, types and `...`
/// dropped; for several forms, the first).
pub(super) fn signature_params(sig: &str) -> Vec<String> {
    let Some(open) = sig.find('(') else {
        return Vec::new();
    };
    let mut depth = 0usize;
    let mut end = sig.len();
    for (i, c) in sig[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    end = open + i;
                    break;
                }
            }
            _ => {}
        }
    }
    let inner = &sig[open + 1..end];
    let first_form = inner.split(" | ").next().unwrap_or("");
    first_form
        .split(',')
        .map(|p| {
            let p = p.trim().trim_start_matches('[').trim_end_matches(']');
            p.split(':')
                .next()
                .unwrap_or("")
                .trim()
                .trim_end_matches("...")
                .to_string()
        })
        .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .collect()
}

/// Assigns a call's arguments to parameters: a `name = value` argument
/// goes to the parameter of that name, a positional one to the parameter
/// at its own position (counting from `offset`). Returns each parameter's
/// argument.
pub(super) fn assign_args<'a>(
    func: &str,
    names: &[&str],
    args: &'a [ast::Expr],
    offset: usize,
    span: Span,
) -> R<Vec<Option<&'a ast::Expr>>> {
    let mut slots: Vec<Option<&ast::Expr>> = vec![None; names.len()];
    for (k, a) in args.iter().enumerate() {
        let pos = offset + k;
        match &a.kind {
            ExprKind::NamedArg { name, value } => {
                let Some(i) = names.iter().position(|n| *n == name.name) else {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        format!("`{func}` has no parameter named `{}`", name.name),
                        name.span,
                    )
                    .with_suggestion(did_you_mean(&name.name, names.iter().copied()))
                    .with_note(format!("its parameters: {}", names.join(", "))));
                };
                if slots[i].is_some() {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        format!("the parameter `{}` of `{func}` is given twice", name.name),
                        a.span,
                    ));
                }
                slots[i] = Some(value);
            }
            _ => {
                if pos >= names.len() {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        format!(
                            "`{func}` takes at most {} argument{}, got {}",
                            names.len() - offset,
                            if names.len() - offset == 1 { "" } else { "s" },
                            args.len()
                        ),
                        span,
                    ));
                }
                if slots[pos].is_some() {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        format!(
                            "the parameter `{}` of `{func}` is given twice (by name, and by position here)",
                            names[pos]
                        ),
                        a.span,
                    ));
                }
                slots[pos] = Some(a);
            }
        }
    }
    Ok(slots)
}

/// The value of a bool expression over constants (comparisons of numbers,
/// strings, datetimes and timespans, `and`, `or`, `not`), or `None`.
fn const_bool(e: &PlanExpr) -> Option<bool> {
    use std::cmp::Ordering;
    use ScalarValue as S;
    fn num(v: &S) -> Option<f64> {
        match v {
            S::Int(x) => Some(f64::from(*x)),
            S::Long(x) => Some(*x as f64),
            S::Real(x) => Some(*x),
            _ => None,
        }
    }
    fn cmp(l: &PlanExpr, r: &PlanExpr) -> Option<Ordering> {
        let (a, b) = (literal_of(l)?, literal_of(r)?);
        match (a, b) {
            (S::String(x), S::String(y)) => Some(x.cmp(y)),
            (S::DateTime(x), S::DateTime(y)) | (S::TimeSpan(x), S::TimeSpan(y)) => Some(x.cmp(y)),
            (S::Bool(x), S::Bool(y)) => Some(x.cmp(y)),
            (x, y) => num(x)?.partial_cmp(&num(y)?),
        }
    }
    fn literal_of(e: &PlanExpr) -> Option<&S> {
        match &e.kind {
            PlanExprKind::Cast { expr, .. } => literal_of(expr),
            _ => e.as_literal(),
        }
    }
    match &e.kind {
        PlanExprKind::Literal(S::Bool(b)) => Some(*b),
        PlanExprKind::Not(x) => const_bool(x).map(|b| !b),
        PlanExprKind::Binary { op, left, right } => match op {
            BinOp::And => Some(const_bool(left)? && const_bool(right)?),
            BinOp::Or => Some(const_bool(left)? || const_bool(right)?),
            BinOp::Eq => cmp(left, right).map(|o| o == Ordering::Equal),
            BinOp::NotEq => cmp(left, right).map(|o| o != Ordering::Equal),
            BinOp::Lt => cmp(left, right).map(|o| o == Ordering::Less),
            BinOp::Le => cmp(left, right).map(|o| o != Ordering::Greater),
            BinOp::Gt => cmp(left, right).map(|o| o == Ordering::Greater),
            BinOp::Ge => cmp(left, right).map(|o| o != Ordering::Less),
            _ => None,
        },
        _ => None,
    }
}
