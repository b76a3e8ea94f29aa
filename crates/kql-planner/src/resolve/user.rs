//! User-defined functions and views (`let f = (x: long) { ... }`), `invoke`,
//! and the operators that are recognized but not supported yet.

use super::*;
use std::rc::Rc;

/// How deeply function calls may nest (a function calling itself would
/// otherwise never finish planning).
const MAX_CALL_DEPTH: usize = 16;

impl Planner<'_> {
    /// The function bound to `name`, if `name` is a user-defined function.
    pub(super) fn user_function(&self, name: &str) -> Option<Rc<ast::FunctionDef>> {
        match self.lets.get(name) {
            Some(Binding::Function(f)) => Some(f.clone()),
            _ => None,
        }
    }

    /// Calls a user-defined function: binds the arguments (`first` is the
    /// piped input of `invoke`), plans the body in its own scope and returns
    /// its value. `schema` is the caller's row, for scalar arguments.
    pub(super) fn call_function(
        &mut self,
        name: &ast::Ident,
        def: &ast::FunctionDef,
        args: &[ast::Expr],
        first: Option<LogicalPlan>,
        schema: &Schema,
        span: Span,
    ) -> R<Binding> {
        if self.depth >= MAX_CALL_DEPTH || self.calling.contains(&name.name) {
            return Err(err(
                "kql::plan::recursion",
                format!("calls of `{}` nest too deeply", name.name),
                span,
            )
            .with_note("functions may not call themselves"));
        }
        let given = args.len() + usize::from(first.is_some());
        let required = def.params.iter().filter(|p| p.default.is_none()).count();
        let named = args
            .iter()
            .any(|a| matches!(a.kind, ExprKind::NamedArg { .. }));
        if !named && (given > def.params.len() || given < required) {
            return Err(err(
                "kql::plan::bad_arguments",
                format!(
                    "`{}` takes {} argument{}, got {given}",
                    name.name,
                    if required == def.params.len() {
                        required.to_string()
                    } else {
                        format!("{required} to {}", def.params.len())
                    },
                    if def.params.len() == 1 { "" } else { "s" }
                ),
                span,
            ));
        }
        // Bind every argument in the caller's scope first.
        let names: Vec<&str> = def.params.iter().map(|p| p.name.name.as_str()).collect();
        let slots =
            expr::assign_args(&name.name, &names, args, usize::from(first.is_some()), span)?;
        let mut bound: Vec<(String, Binding)> = Vec::new();
        let mut first = first;
        for (p, slot) in def.params.iter().zip(slots) {
            let binding = if let Some(input) = first.take() {
                if !matches!(p.ty, ast::ParamType::Tabular(_)) {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        format!(
                            "`invoke {}` needs a function whose first parameter is a table",
                            name.name
                        ),
                        span,
                    ));
                }
                self.check_tabular_param(p, &input, span)?;
                Binding::Tabular(input)
            } else if let Some(a) = slot {
                match &p.ty {
                    ast::ParamType::Tabular(_) => {
                        let plan = self.tabular(a)?;
                        self.check_tabular_param(p, &plan, a.span)?;
                        Binding::Tabular(plan)
                    }
                    ast::ParamType::Scalar(t) => {
                        let v = self.expr(a, schema)?;
                        Binding::Scalar(self.param_value(v, *t, a.span)?)
                    }
                }
            } else if let (Some(d), ast::ParamType::Scalar(t)) = (&p.default, &p.ty) {
                let v = self.expr(d, &Schema::default())?;
                Binding::Scalar(self.param_value(v, *t, d.span)?)
            } else {
                return Err(err(
                    "kql::plan::bad_arguments",
                    format!("missing argument `{}` of `{}`", p.name.name, name.name),
                    span,
                ));
            };
            bound.push((p.name.name.clone(), binding));
        }
        let saved = self.lets.clone();
        for (n, b) in bound {
            self.lets.insert(n, b);
        }
        // The body sees its parameters and lets, not the caller's columns:
        // hide their names (arguments refer to them by position).
        let hidden = Schema::new(
            schema
                .columns
                .iter()
                .map(|c| Column::new(format!("\u{1}{}", c.name), c.ty))
                .collect(),
        );
        self.depth += 1;
        self.calling.push(name.name.clone());
        let result = self.function_body(def, &hidden);
        self.calling.pop();
        self.depth -= 1;
        self.lets = saved;
        result
    }

    fn function_body(&mut self, def: &ast::FunctionDef, schema: &Schema) -> R<Binding> {
        for st in &def.body {
            match &st.kind {
                StatementKind::Let { name, value } => {
                    let b = self.let_binding(value)?;
                    self.lets.insert(name.name.clone(), b);
                }
                StatementKind::Function { name, def } => {
                    self.lets
                        .insert(name.name.clone(), Binding::Function(Rc::new(def.clone())));
                }
                StatementKind::Query(_)
                | StatementKind::DeclareParams(_)
                | StatementKind::Set { .. } => {}
            }
        }
        let result = def.result.as_ref();
        if is_tabular_shape(result) || self.names_table(result) {
            return Ok(Binding::Tabular(self.tabular(result)?));
        }
        Ok(Binding::Scalar(self.expr(result, schema)?))
    }

    fn param_value(&self, v: PlanExpr, t: KqlType, span: Span) -> R<PlanExpr> {
        if v.ty == t || common_type(v.ty, t) == Some(t) || v.ty == KqlType::Dynamic {
            return Ok(v.cast(t));
        }
        if let Some(l) = v.as_literal().and_then(|l| implicit_cast(l, t)) {
            return Ok(PlanExpr::literal(l, span));
        }
        Err(err(
            "kql::plan::type_mismatch",
            format!("expected a {t} argument, found {}", v.ty),
            span,
        ))
    }

    /// A table argument must have the columns its parameter declares.
    fn check_tabular_param(&self, p: &ast::Param, plan: &LogicalPlan, span: Span) -> R<()> {
        let ast::ParamType::Tabular(cols) = &p.ty else {
            return Ok(());
        };
        let schema = plan.schema();
        for c in cols {
            if !schema.columns.iter().any(|s| s.name == c.name.name) {
                return Err(err(
                    "kql::plan::bad_arguments",
                    format!(
                        "the table passed as `{}` has no column `{}`",
                        p.name.name, c.name.name
                    ),
                    span,
                ));
            }
        }
        Ok(())
    }

    /// A call of a user-defined function as a table (`f(1)`, or a view's
    /// bare name), or `None` if `e` is not one.
    pub(super) fn tabular_call(&mut self, e: &ast::Expr) -> Option<R<LogicalPlan>> {
        let (name, args) = match &e.kind {
            ExprKind::Call { func, args } => (func, args.as_slice()),
            ExprKind::Name(id) => (id, &[][..]),
            _ => return None,
        };
        let def = self.user_function(&name.name)?;
        if matches!(e.kind, ExprKind::Name(_)) && !def.params.iter().all(|p| p.default.is_some()) {
            return None;
        }
        Some(
            match self.call_function(name, &def, args, None, &Schema::default(), e.span) {
                Ok(Binding::Tabular(p)) => Ok(p),
                Ok(_) => Err(err(
                    "kql::plan::not_tabular",
                    format!("`{}` returns a scalar value, not a table", name.name),
                    e.span,
                )),
                Err(d) => Err(d),
            },
        )
    }

    /// A call of a user-defined function as a value, or `None` if `func` is
    /// not one.
    pub(crate) fn scalar_call(
        &mut self,
        func: &ast::Ident,
        args: &[ast::Expr],
        schema: &Schema,
        span: Span,
    ) -> Option<R<PlanExpr>> {
        if func.name == "toscalar" && self.user_function("toscalar").is_none() {
            return Some(self.toscalar(args, span));
        }
        let def = self.user_function(&func.name)?;
        Some(
            match self.call_function(func, &def, args, None, schema, span) {
                Ok(Binding::Scalar(mut v)) => {
                    v.span = span;
                    Ok(v)
                }
                Ok(_) => Err(err(
                    "kql::plan::not_scalar",
                    format!("`{}` returns a table, not a value", func.name),
                    span,
                )
                .with_help("use it as a table, or wrap it in toscalar()")),
                Err(d) => Err(d),
            },
        )
    }

    /// `toscalar(T | ...)`: the first column of the first row, run while
    /// planning.
    fn toscalar(&mut self, args: &[ast::Expr], span: Span) -> R<PlanExpr> {
        let [arg] = args else {
            return Err(err(
                "kql::plan::bad_arguments",
                format!("toscalar takes 1 argument, got {}", args.len()),
                span,
            ));
        };
        if !(is_tabular_shape(arg) || self.names_table(arg) || self.returns_table(arg)) {
            // `toscalar(2)`: a scalar is its own value.
            let mut v = self.expr(arg, &Schema::default())?;
            v.span = span;
            return Ok(v);
        }
        let (ty, values) = self.subquery(arg)?;
        let v = values.into_iter().next().unwrap_or_else(|| null_of(ty));
        Ok(PlanExpr::literal(v, span).cast(ty))
    }

    /// Whether `e` calls a user-defined function that returns a table.
    fn returns_table(&self, e: &ast::Expr) -> bool {
        let ExprKind::Call { func, .. } = &e.kind else {
            return false;
        };
        self.user_function(&func.name).is_some_and(|f| {
            is_tabular_shape(&f.result) || matches!(&f.result.kind, ExprKind::Name(_))
        })
    }

    /// Plans and runs a tabular expression used as a value; returns the type
    /// and values of its first column.
    pub(crate) fn subquery(&mut self, e: &ast::Expr) -> R<(KqlType, Vec<ScalarValue>)> {
        let plan = self.tabular(e)?;
        let schema = plan.schema();
        let Some(first) = schema.columns.first() else {
            return Err(err(
                "kql::plan::no_columns",
                "the subquery has no columns",
                e.span,
            ));
        };
        let ty = first.ty;
        match self.catalog.column_values(&plan) {
            Some(Ok(values)) => Ok((ty, values)),
            Some(Err(d)) if d.span.is_some() => Err(d),
            Some(Err(d)) => Err(d.with_span(e.span)),
            None => Err(err(
                "kql::plan::unsupported",
                "subqueries cannot run here",
                e.span,
            )),
        }
    }

    /// `externaldata (...) [url]`: rows read while planning, as literal
    /// values.
    pub(super) fn external_data(
        &mut self,
        columns: &[ast::ColumnDecl],
        urls: &[String],
        props: &[(String, String)],
        span: Span,
    ) -> R<LogicalPlan> {
        let schema = Schema::new(
            columns
                .iter()
                .map(|c| Column::new(c.name.name.clone(), c.ty))
                .collect(),
        );
        let mut rows = Vec::new();
        for url in urls {
            match self.catalog.external_data(url, props, &schema) {
                Some(Ok(mut r)) => rows.append(&mut r),
                Some(Err(d)) if d.span.is_some() => return Err(d),
                Some(Err(d)) => return Err(d.with_span(span)),
                None => {
                    return Err(err(
                        "kql::plan::unsupported",
                        "externaldata cannot read files here",
                        span,
                    ))
                }
            }
        }
        Ok(LogicalPlan::Values(Values { schema, rows }))
    }

    /// `T | invoke f(args)`
    pub(super) fn invoke(&mut self, input: LogicalPlan, call: &ast::Expr) -> R<LogicalPlan> {
        let (func, args) = match &call.kind {
            ExprKind::Call { func, args } => (func, args.as_slice()),
            ExprKind::Name(id) => (id, &[][..]),
            _ => {
                return Err(err(
                    "kql::plan::bad_invoke",
                    "invoke needs a function call",
                    call.span,
                )
                .with_help("e.g. `invoke MyFunction()`"))
            }
        };
        if let Some(def) = self.user_function(&func.name) {
            return match self.call_function(
                func,
                &def,
                args,
                Some(input),
                &Schema::default(),
                call.span,
            )? {
                Binding::Tabular(p) => Ok(p),
                _ => Err(err(
                    "kql::plan::not_tabular",
                    format!("`{}` does not return a table", func.name),
                    call.span,
                )),
            };
        }
        if let Some(columns) = cloud_function_columns(&func.name) {
            return Ok(self.cloud_stand_in(input, &func.name, columns, call.span));
        }
        Err(err(
            "kql::plan::unknown_function",
            format!("unknown function `{}`", func.name),
            func.span,
        )
        .with_help("define it first: `let f = (T: (*)) { T | ... };`"))
    }

    /// A Defender-only function: its documented columns are added, all null.
    fn cloud_stand_in(
        &mut self,
        input: LogicalPlan,
        name: &str,
        columns: &[(&str, KqlType)],
        span: Span,
    ) -> LogicalPlan {
        self.warnings.push(
            Diagnostic::warning(
                "kql::plan::cloud_function",
                format!(
                    "`{name}()` needs Microsoft Defender's cloud data; its columns are added with null values"
                ),
            )
            .with_span(span),
        );
        let schema = input.schema();
        let mut exprs = column_refs(&schema);
        for (n, t) in columns {
            if schema.index_of(n).is_none() {
                exprs.push((n.to_string(), PlanExpr::literal(null_of(*t), span)));
            }
        }
        LogicalPlan::Project(Project {
            input: Box::new(input),
            exprs,
        })
    }
}

/// The null value of a type (the empty string for `string`).
pub(super) fn null_of(t: KqlType) -> ScalarValue {
    match t {
        KqlType::String => ScalarValue::String(String::new()),
        t => ScalarValue::Null(t),
    }
}

/// The columns that Defender-only functions add, per their documentation.
fn cloud_function_columns(name: &str) -> Option<&'static [(&'static str, KqlType)]> {
    use KqlType::*;
    match name {
        // FileProfile(): file details from Defender's global file intelligence.
        "FileProfile" => Some(&[
            ("SHA1", String),
            ("SHA256", String),
            ("MD5", String),
            ("FileSize", Long),
            ("GlobalPrevalence", Long),
            ("GlobalFirstSeen", DateTime),
            ("GlobalLastSeen", DateTime),
            ("Signer", String),
            ("Issuer", String),
            ("SignerHash", String),
            ("IsCertificateValid", Bool),
            ("IsRootSignerMicrosoft", Bool),
            ("SignatureState", String),
            ("IsExecutable", Bool),
            ("ThreatName", String),
            ("Publisher", String),
            ("SoftwareName", String),
        ]),
        // DeviceFromIP(): the devices that had an IP address at a time.
        "DeviceFromIP" => Some(&[("IP", String), ("DeviceId", String)]),
        _ => None,
    }
}
