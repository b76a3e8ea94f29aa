//! Calls the planner expands before typing them: functions of the whole
//! input row (`pack_all`, `bag_pack_columns`, `estimate_data_size`), of a
//! table's schema (`column_names_of`), and of request options
//! (`bin_auto`); and calls that give several columns (`array_sort_asc`
//! and `array_sort_desc` of several arrays).

use super::*;

impl Planner<'_> {
    /// The expanded call, or `None` if `func` is not one of these.
    pub(super) fn expanded_call(
        &mut self,
        func: &ast::Ident,
        args: &[ast::Expr],
        schema: &Schema,
        span: Span,
    ) -> Option<R<PlanExpr>> {
        let name = func.name.as_str();
        if !matches!(
            name,
            "pack_all" | "bag_pack_columns" | "column_names_of" | "estimate_data_size" | "bin_auto"
        ) {
            return None;
        }
        let f = ScalarFunc::from_name(name)?;
        Some(match name {
            "pack_all" => self.pack_all(f, args, schema, span),
            "bag_pack_columns" => self.bag_pack_columns(f, args, schema, span),
            "column_names_of" => self.column_names_of(f, args, span),
            "estimate_data_size" => self.estimate_data_size(f, args, schema, span),
            _ => self.bin_auto(f, args, schema, span),
        })
    }

    fn column_ref(schema: &Schema, index: usize) -> PlanExpr {
        let c = &schema.columns[index];
        PlanExpr::new(
            PlanExprKind::Column {
                index,
                name: c.name.clone(),
            },
            c.ty,
            Span::default(),
        )
    }

    fn key(name: &str, span: Span) -> PlanExpr {
        PlanExpr::literal(ScalarValue::String(name.to_string()), span)
    }

    /// `pack_all([ignore_null_empty])`: the flag, then each column's name
    /// and value.
    fn pack_all(
        &mut self,
        f: ScalarFunc,
        args: &[ast::Expr],
        schema: &Schema,
        span: Span,
    ) -> R<PlanExpr> {
        if args.len() > 1 {
            return Err(err(
                "kql::plan::bad_arguments",
                format!("pack_all() takes 0 or 1 arguments, got {}", args.len()),
                span,
            )
            .with_note(format!("signature: {}", f.def().signature)));
        }
        let flag = match args.first() {
            Some(a) => self.expr(a, schema)?,
            None => PlanExpr::literal(ScalarValue::Bool(false), span),
        };
        let mut pargs = vec![flag];
        for (i, c) in schema.columns.iter().enumerate() {
            pargs.push(Self::key(&c.name, span));
            pargs.push(Self::column_ref(schema, i));
        }
        self.typed_call(f, pargs, span)
    }

    /// The input columns that the arguments name (`*` for all of them).
    fn named_columns(
        &self,
        fname: &str,
        args: &[ast::Expr],
        schema: &Schema,
        star: bool,
        span: Span,
    ) -> R<Vec<usize>> {
        let mut out = Vec::new();
        if args.is_empty() {
            return Err(err(
                "kql::plan::bad_arguments",
                format!("{fname}() needs at least one column"),
                span,
            ));
        }
        for a in args {
            match &a.kind {
                ExprKind::Star if star => out.extend(0..schema.columns.len()),
                ExprKind::Name(id) => match schema.index_of(&id.name) {
                    Some(i) => out.push(i),
                    None => return Err(self.unknown_column(id, schema)),
                },
                _ => {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        format!(
                            "the arguments of {fname}() must be column names{}",
                            if star { " or `*`" } else { "" }
                        ),
                        a.span,
                    ))
                }
            }
        }
        Ok(out)
    }

    /// `bag_pack_columns(A, B)`: `bag_pack("A", A, "B", B)`.
    fn bag_pack_columns(
        &mut self,
        f: ScalarFunc,
        args: &[ast::Expr],
        schema: &Schema,
        span: Span,
    ) -> R<PlanExpr> {
        let cols = self.named_columns("bag_pack_columns", args, schema, false, span)?;
        let mut pargs = Vec::with_capacity(cols.len() * 2);
        for i in cols {
            pargs.push(Self::key(&schema.columns[i].name, span));
            pargs.push(Self::column_ref(schema, i));
        }
        self.typed_call(f, pargs, span)
    }

    /// `estimate_data_size(*)` or `estimate_data_size(A, B)`.
    fn estimate_data_size(
        &mut self,
        f: ScalarFunc,
        args: &[ast::Expr],
        schema: &Schema,
        span: Span,
    ) -> R<PlanExpr> {
        let cols = self.named_columns("estimate_data_size", args, schema, true, span)?;
        if cols.is_empty() {
            return Ok(PlanExpr::literal(ScalarValue::Long(0), span));
        }
        let pargs = cols
            .into_iter()
            .map(|i| Self::column_ref(schema, i))
            .collect();
        self.typed_call(f, pargs, span)
    }

    /// `column_names_of(T)`: the names of T's columns, as a constant.
    fn column_names_of(&mut self, f: ScalarFunc, args: &[ast::Expr], span: Span) -> R<PlanExpr> {
        let [t] = args else {
            return Err(err(
                "kql::plan::bad_arguments",
                format!("column_names_of() takes 1 argument, got {}", args.len()),
                span,
            ));
        };
        let plan = self.tabular(t)?;
        let names = plan
            .schema()
            .columns
            .iter()
            .map(|c| serde_json::Value::String(c.name.clone()))
            .collect();
        let lit = PlanExpr::literal(ScalarValue::Dynamic(serde_json::Value::Array(names)), span);
        self.typed_call(f, vec![lit], span)
    }

    /// `bin_auto(x)`: `bin_at(x, query_bin_auto_size, query_bin_auto_at)`.
    fn bin_auto(
        &mut self,
        f: ScalarFunc,
        args: &[ast::Expr],
        schema: &Schema,
        span: Span,
    ) -> R<PlanExpr> {
        let [x] = args else {
            return Err(err(
                "kql::plan::bad_arguments",
                format!("bin_auto() takes 1 argument, got {}", args.len()),
                span,
            ));
        };
        let Some(size) = self.bin_auto_size.clone() else {
            return Err(err(
                "kql::plan::bad_arguments",
                "bin_auto() needs the bin size from `set query_bin_auto_size = ...;`",
                span,
            )
            .with_help("e.g. `set query_bin_auto_size = 1h;` before the query"));
        };
        let x = self.expr(x, schema)?;
        let at = match &self.bin_auto_at {
            Some(v) => v.clone(),
            None => match x.ty {
                KqlType::DateTime => ScalarValue::DateTime(0),
                KqlType::TimeSpan => ScalarValue::TimeSpan(0),
                KqlType::Real | KqlType::Decimal => ScalarValue::Real(0.0),
                _ => ScalarValue::Long(0),
            },
        };
        let pargs = vec![
            x,
            PlanExpr::literal(size, span),
            PlanExpr::literal(at, span),
        ];
        self.typed_call(f, pargs, span)
    }
}

impl Planner<'_> {
    /// The columns of a `print`/`extend`/`project` item whose expression
    /// gives several: `array_sort_asc(a, b)` is one column per array,
    /// named `a_sorted`, `b_sorted` (or by `(x, y) = ...`). `None` for an
    /// ordinary item.
    pub(super) fn multi_columns(
        &mut self,
        item: &ast::NamedExpr,
        pe: &PlanExpr,
        schema: &Schema,
    ) -> R<Option<Vec<(String, PlanExpr)>>> {
        let ExprKind::Call { func, args } = &item.expr.kind else {
            return Ok(None);
        };
        if !matches!(func.name.as_str(), "array_sort_asc" | "array_sort_desc")
            || args.len() < 2
            || item.names.len() == 1
            || self.user_function(&func.name).is_some()
        {
            return Ok(None);
        }
        let mut types = Vec::with_capacity(args.len());
        for a in args {
            types.push(self.expr(a, schema)?.ty);
        }
        let n = kql_functions::sorted_array_count(&types);
        if n < 2 {
            return Ok(None);
        }
        let names: Vec<String> = if item.names.is_empty() {
            args.iter()
                .take(n)
                .enumerate()
                .map(|(k, a)| match &a.kind {
                    ExprKind::Name(id) => format!("{}_sorted", id.name),
                    _ => format!("array{}_sorted", k + 1),
                })
                .collect()
        } else if item.names.len() == n {
            item.names.iter().map(|i| i.name.clone()).collect()
        } else {
            return Err(err(
                "kql::plan::too_many_names",
                format!(
                    "{}() of {n} arrays gives {n} columns, but {} names are given",
                    func.name,
                    item.names.len()
                ),
                item.span,
            ));
        };
        let index = ScalarFunc::internal("$index")
            .ok_or_else(|| err("kql::plan::internal", "missing $index function", item.span))?;
        let mut out = Vec::with_capacity(n);
        for (k, name) in names.into_iter().enumerate() {
            let at = PlanExpr::literal(ScalarValue::Long(k as i64), item.span);
            out.push((
                name,
                self.typed_call(index, vec![pe.clone(), at], item.span)?,
            ));
        }
        Ok(Some(out))
    }
}
