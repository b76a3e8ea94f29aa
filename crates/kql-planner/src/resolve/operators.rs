//! Lowering of tabular operators (`where`, `project`, `summarize`, ...).

use super::*;

impl Planner<'_> {
    pub(super) fn operator(&mut self, input: LogicalPlan, op: &ast::Operator) -> R<LogicalPlan> {
        // Functions with several result columns (`series_stats(x)`) are
        // computed once into hidden columns and read back field by field.
        let (input, op) = match self.multi_prepass(input, op)? {
            (input, Some(op)) => {
                let out = self.operator(input, &op)?;
                return Ok(series::drop_hidden(out));
            }
            (input, None) => (input, op),
        };
        // Window functions run in a node of their own before the operator.
        if let OperatorKind::Extend(items) | OperatorKind::Project(items) = &op.kind {
            let (input, rewritten) = self.window_prepass(input, items)?;
            let Some(items) = rewritten else {
                return self.operator_inner(input, op);
            };
            let extend = matches!(op.kind, OperatorKind::Extend(_));
            let op = ast::Operator {
                kind: if extend {
                    OperatorKind::Extend(items)
                } else {
                    OperatorKind::Project(items)
                },
                span: op.span,
            };
            let out = self.operator_inner(input, &op)?;
            if !extend {
                return Ok(out);
            }
            // Drop the hidden window columns.
            let exprs = column_refs(&out.schema())
                .into_iter()
                .filter(|(n, _)| !n.starts_with(window::WINDOW_PREFIX))
                .collect();
            return Ok(LogicalPlan::Project(Project {
                input: Box::new(out),
                exprs,
            }));
        }
        self.operator_inner(input, op)
    }

    fn operator_inner(&mut self, input: LogicalPlan, op: &ast::Operator) -> R<LogicalPlan> {
        let schema = input.schema();
        let input = Box::new(input);
        match &op.kind {
            OperatorKind::Where(pred) => {
                let predicate = self.predicate(pred, &schema)?;
                // As in Kusto, a filter on the left columns of an
                // `innerunique` join applies before the left side's
                // duplicate keys are dropped.
                if let LogicalPlan::Join(j) = input.as_ref() {
                    let left_only = predicate.column_indices().iter().all(|&c| {
                        j.output.get(c).is_some_and(|o| {
                            !o.right && o.name == j.left.schema().columns[o.index].name
                        })
                    });
                    if j.kind == JoinKind::InnerUnique && left_only {
                        let mut j = j.clone();
                        let left_pred = self.predicate(pred, &j.left.schema())?;
                        j.left = Box::new(LogicalPlan::Filter(Filter {
                            input: j.left,
                            predicate: left_pred,
                        }));
                        return Ok(LogicalPlan::Join(j));
                    }
                }
                Ok(LogicalPlan::Filter(Filter { input, predicate }))
            }
            OperatorKind::Project(items) => {
                let mut exprs = Vec::new();
                // Names derived from an expression (not written, not a
                // plain column).
                let mut derived: Vec<String> = Vec::new();
                let mut auto = 0;
                for item in items {
                    let pe = self.expr(&item.expr, &schema)?;
                    if let Some(cols) = self.multi_columns(item, &pe, &schema)? {
                        exprs.extend(cols);
                        continue;
                    }
                    let mut name = self.item_name(item, &pe, &mut auto)?;
                    // A taken name gets a number (`project tostring(x), x`
                    // gives `x`, `x1`), unless both are written or plain
                    // columns (`project A, A` is an error).
                    let plain =
                        !item.names.is_empty() || matches!(item.expr.kind, ExprKind::Name(_));
                    if !plain || derived.contains(&name) {
                        let used: Vec<String> = exprs.iter().map(|(n, _)| n.clone()).collect();
                        name = tabular::unique_name(&name, &used);
                    }
                    if !plain {
                        derived.push(name.clone());
                    }
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
                    let cols = match self.multi_columns(item, &pe, &schema)? {
                        Some(cols) => cols,
                        None => vec![(self.item_name(item, &pe, &mut auto)?, pe)],
                    };
                    for (name, pe) in cols {
                        match exprs.iter_mut().find(|(n, _)| *n == name) {
                            Some(slot) => slot.1 = pe,
                            None => exprs.push((name, pe)),
                        }
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
                    // `distinct *` groups by every column, so none may be
                    // dynamic either (Kusto points at the `*`).
                    let span = cols.first().map_or(op.span, |c| c.span);
                    let keys = column_refs(&schema);
                    for (name, pe) in &keys {
                        summarize::dynamic_key(pe, span).map_err(|d| {
                            d.with_note(format!(
                                "`distinct *` groups by every column; `{name}` is dynamic"
                            ))
                        })?;
                    }
                    keys
                } else {
                    let mut keys = Vec::new();
                    let mut auto = 0;
                    for c in cols {
                        let pe = self.expr(c, &schema)?;
                        summarize::dynamic_key(&pe, c.span)?;
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
            OperatorKind::Summarize { aggs, by } => self.summarize(input, aggs, by),
            OperatorKind::Join { kind, right, on } => self.join(
                *input,
                kind.unwrap_or(JoinKind::InnerUnique),
                right,
                on,
                false,
            ),
            OperatorKind::Lookup { inner, right, on } => {
                let kind = if *inner {
                    JoinKind::Inner
                } else {
                    JoinKind::LeftOuter
                };
                self.join(*input, kind, right, on, true)
            }
            OperatorKind::Union(u) => self.union(Some(*input), u),
            OperatorKind::MvExpand {
                items,
                item_index,
                bag_as_array,
                limit,
            } => self.mv_expand(
                *input,
                items,
                item_index.as_ref(),
                *bag_as_array,
                limit.as_ref(),
            ),
            OperatorKind::MvApply {
                items,
                item_index,
                bag_as_array,
                limit,
                ops,
            } => self.mv_apply(
                *input,
                items,
                item_index.as_ref(),
                *bag_as_array,
                limit.as_ref(),
                ops,
            ),
            OperatorKind::Serialize(items) => {
                let serialized = LogicalPlan::Serialize(input);
                if items.is_empty() {
                    return Ok(serialized);
                }
                let extend = ast::Operator {
                    kind: OperatorKind::Extend(items.clone()),
                    span: op.span,
                };
                self.operator(serialized, &extend)
            }
            OperatorKind::Render { chart, .. } => {
                self.warnings.push(
                    Diagnostic::warning(
                        "kql::plan::render",
                        format!(
                            "`render {}` draws no chart here; the rows are shown as a table",
                            chart.name
                        ),
                    )
                    .with_span(op.span),
                );
                Ok(*input)
            }
            OperatorKind::GetSchema => Ok(self.getschema(&schema)),
            OperatorKind::TopNested(levels) => self.top_nested(*input, levels, op.span),
            OperatorKind::MakeSeries(m) => self.make_series(*input, m, op.span),
            OperatorKind::Partition { by, ops, query } => {
                self.partition(*input, by, ops, query.as_deref(), op.span)
            }
            OperatorKind::Search {
                case_sensitive,
                predicate,
            } => {
                let pred = search_predicate(predicate, &schema, *case_sensitive);
                let predicate = self.predicate(&pred, &schema)?;
                let filtered = LogicalPlan::Filter(Filter { input, predicate });
                if schema.index_of("$table").is_some() {
                    return Ok(filtered);
                }
                // The `$table` column names each row's table.
                let table = source_table(&filtered).unwrap_or_default();
                let mut exprs = vec![(
                    "$table".to_string(),
                    PlanExpr::literal(ScalarValue::String(table), op.span),
                )];
                exprs.extend(column_refs(&schema));
                Ok(LogicalPlan::Project(Project {
                    input: Box::new(filtered),
                    exprs,
                }))
            }
            OperatorKind::Sample(n) => {
                let count = self.row_count(n, &schema)?;
                Ok(LogicalPlan::Limit(Limit { input, count }))
            }
            OperatorKind::As(name) => {
                self.lets
                    .insert(name.name.clone(), Binding::Tabular((*input).clone()));
                Ok(*input)
            }
            OperatorKind::Invoke(call) => self.invoke(*input, call),
            OperatorKind::Evaluate {
                plugin,
                args,
                schema,
            } => self.evaluate(*input, plugin, args, schema.as_ref(), op.span),
            OperatorKind::Parse {
                kind,
                flags,
                filter,
                expr,
                parts,
            } => self.parse_op(*input, *kind, flags.as_deref(), *filter, expr, parts),
            OperatorKind::Scan(spec) => self.scan_op(*input, spec, op.span),
            OperatorKind::Facet { .. } => Err(err(
                "kql::plan::facet_not_last",
                "`facet` can only be the last operator of a query",
                op.span,
            )
            .with_help(
                "its result tables cannot be piped into other operators or bound with `let`",
            )),
            OperatorKind::Reduce {
                source,
                expr,
                params,
            } => self.reduce(*input, *source, expr, params),
            OperatorKind::ProjectByNames(items) => {
                let mut keep: Vec<usize> = Vec::new();
                for item in items {
                    for name in self.column_specifier(item, &schema)? {
                        for (i, c) in schema.columns.iter().enumerate() {
                            if wildcard_match(&name, &c.name) && !keep.contains(&i) {
                                keep.push(i);
                            }
                        }
                    }
                }
                let refs = column_refs(&schema);
                let exprs = keep.iter().map(|&i| refs[i].clone()).collect();
                Ok(LogicalPlan::Project(Project { input, exprs }))
            }
            OperatorKind::ParseKv { expr, keys, params } => {
                self.parse_kv(*input, expr, keys, params, op.span)
            }
        }
    }

    /// The result tables of a query statement: one, or for a `facet` at
    /// its end, one for the `with (...)` operators (if any) and one per
    /// column (`summarize count_Col = count() by Col`).
    pub(super) fn statement_results(&mut self, e: &ast::Expr) -> R<Vec<LogicalPlan>> {
        let ExprKind::Pipe { input, op } = &e.kind else {
            return Ok(vec![self.tabular(e)?]);
        };
        let OperatorKind::Facet { by, with } = &op.kind else {
            return Ok(vec![self.tabular(e)?]);
        };
        let source = self.tabular(input)?;
        let schema = source.schema();
        let mut out = Vec::new();
        if !with.is_empty() {
            let mut plan = source.clone();
            for o in with {
                plan = self.operator(plan, o)?;
            }
            out.push(plan);
        }
        for col in by {
            self.column_index(col, &schema)?;
            let count = ast::Expr {
                kind: ExprKind::Call {
                    func: ast::Ident {
                        name: "count".into(),
                        span: col.span,
                    },
                    args: vec![],
                },
                span: col.span,
            };
            let summarize = ast::Operator {
                kind: OperatorKind::Summarize {
                    aggs: vec![ast::NamedExpr {
                        names: vec![ast::Ident {
                            name: format!("count_{}", col.name),
                            span: col.span,
                        }],
                        expr: count,
                        span: col.span,
                    }],
                    by: vec![ast::NamedExpr {
                        names: vec![],
                        expr: ast::Expr {
                            kind: ExprKind::Name(col.clone()),
                            span: col.span,
                        },
                        span: col.span,
                    }],
                },
                span: op.span,
            };
            out.push(self.operator(source.clone(), &summarize)?);
        }
        Ok(out)
    }

    /// The names or patterns one argument of `project-by-names` stands
    /// for: a string, a dynamic array of strings, or `column_names_of(T)`.
    fn column_specifier(&mut self, e: &ast::Expr, schema: &Schema) -> R<Vec<String>> {
        if let ExprKind::Call { func, args } = &e.kind {
            if func.name == "column_names_of" {
                let [t] = args.as_slice() else {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        "column_names_of() takes one table",
                        e.span,
                    ));
                };
                let plan = self.tabular(t)?;
                // Exact names: escape nothing, wildcards never appear in
                // names that are matched literally below.
                return Ok(plan.schema().names().map(str::to_string).collect());
            }
        }
        let bad = || {
            err(
                "kql::plan::bad_arguments",
                "project-by-names takes column names: strings, dynamic arrays of strings, or column_names_of(T)",
                e.span,
            )
        };
        match self.expr(e, schema)?.kind {
            PlanExprKind::Literal(ScalarValue::String(s)) => Ok(vec![s]),
            PlanExprKind::Literal(ScalarValue::Dynamic(serde_json::Value::Array(a))) => Ok(a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()),
            PlanExprKind::Literal(ScalarValue::Dynamic(serde_json::Value::String(s))) => {
                Ok(vec![s])
            }
            PlanExprKind::Column { name, .. } => {
                Err(bad().with_help(format!("write the name as a string: \"{name}\"")))
            }
            _ => Err(bad()),
        }
    }

    pub(super) fn sort_key(&mut self, k: &ast::SortKey, schema: &Schema) -> R<SortKey> {
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

    pub(super) fn row_count(&mut self, e: &ast::Expr, schema: &Schema) -> R<usize> {
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
    pub(super) fn item_name(
        &self,
        item: &ast::NamedExpr,
        pe: &PlanExpr,
        auto: &mut usize,
    ) -> R<String> {
        Ok(match item.names.as_slice() {
            [n] => n.name.clone(),
            [] => match &pe.kind {
                PlanExprKind::Column { name, .. } => name.clone(),
                _ if series::derived_call_name(&item.expr).is_some() => {
                    series::derived_call_name(&item.expr).unwrap_or_default()
                }
                // `d.a` and `tostring(d.a)` are `d_a`, `strlen(s)` is
                // `strlen_s`, as Kusto names them.
                _ if summarize::derived_name(&item.expr).is_some() => {
                    summarize::derived_name(&item.expr).unwrap_or_default()
                }
                _ => {
                    *auto += 1;
                    format!("Column{auto}")
                }
            },
            _ => return Err(multi_name_error(item)),
        })
    }

    pub(super) fn column_index(&self, id: &ast::Ident, schema: &Schema) -> R<usize> {
        schema
            .index_of(&id.name)
            .ok_or_else(|| self.unknown_column(id, schema))
    }

    /// Columns named by a list that may hold `*` wildcards, in list order.
    pub(super) fn match_columns(&self, names: &[ast::Ident], schema: &Schema) -> R<Vec<usize>> {
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
}

/// Rewrites a `search` predicate: each string literal where a condition is
/// expected becomes "some string column has this term" (a term with `*` at
/// an end matches as a prefix, suffix or substring).
fn search_predicate(e: &ast::Expr, schema: &Schema, case_sensitive: bool) -> ast::Expr {
    let span = e.span;
    match &e.kind {
        ExprKind::Literal(ast::Literal::String(term)) => {
            let (kind, text) = match (term.starts_with('*'), term.ends_with('*') && term.len() > 1)
            {
                (true, true) => (StrOpKind::Contains, term.trim_matches('*')),
                (true, false) => (StrOpKind::HasSuffix, term.trim_start_matches('*')),
                (false, true) => (StrOpKind::HasPrefix, term.trim_end_matches('*')),
                (false, false) => (StrOpKind::Has, term.as_str()),
            };
            let tests = schema
                .columns
                .iter()
                .filter(|c| {
                    matches!(c.ty, KqlType::String | KqlType::Dynamic) && c.name != "$table"
                })
                .map(|c| ast::Expr {
                    span,
                    kind: ExprKind::Binary {
                        op: ast::BinaryOp::Str(StrOp {
                            kind,
                            negated: false,
                            case_sensitive,
                        }),
                        left: Box::new(ast::Expr {
                            span,
                            kind: ExprKind::Name(ast::Ident {
                                name: c.name.clone(),
                                span,
                            }),
                        }),
                        right: Box::new(ast::Expr {
                            span,
                            kind: ExprKind::Literal(ast::Literal::String(text.to_string())),
                        }),
                    },
                });
            balanced_or(tests.collect(), span)
        }
        ExprKind::Binary {
            op: op @ (ast::BinaryOp::And | ast::BinaryOp::Or),
            left,
            right,
        } => ast::Expr {
            span,
            kind: ExprKind::Binary {
                op: *op,
                left: Box::new(search_predicate(left, schema, case_sensitive)),
                right: Box::new(search_predicate(right, schema, case_sensitive)),
            },
        },
        ExprKind::Call { func, args } if func.name == "not" && args.len() == 1 => ast::Expr {
            span,
            kind: ExprKind::Call {
                func: func.clone(),
                args: args
                    .iter()
                    .map(|a| search_predicate(a, schema, case_sensitive))
                    .collect(),
            },
        },
        _ => e.clone(),
    }
}

/// `a or b or ...` as a balanced tree, so a search over a hundred columns
/// stays shallow.
fn balanced_or(mut tests: Vec<ast::Expr>, span: Span) -> ast::Expr {
    if tests.len() <= 1 {
        return tests.pop().unwrap_or(ast::Expr {
            span,
            kind: ExprKind::Literal(ast::Literal::Bool(false)),
        });
    }
    let right = tests.split_off(tests.len() / 2);
    ast::Expr {
        span,
        kind: ExprKind::Binary {
            op: ast::BinaryOp::Or,
            left: Box::new(balanced_or(tests, span)),
            right: Box::new(balanced_or(right, span)),
        },
    }
}

/// The table a plan reads, when it reads exactly one through row-wise
/// operators.
fn source_table(plan: &LogicalPlan) -> Option<String> {
    match plan {
        LogicalPlan::Scan(s) => Some(s.table.clone()),
        LogicalPlan::Filter(f) => source_table(&f.input),
        LogicalPlan::Project(p) => source_table(&p.input),
        LogicalPlan::Sort(s) => source_table(&s.input),
        LogicalPlan::Limit(l) => source_table(&l.input),
        _ => None,
    }
}
