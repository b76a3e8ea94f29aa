//! `evaluate` plugins. `bag_unpack` and `pivot` produce columns that depend
//! on the data, so their input is run once while planning to find them;
//! the plugin then lowers to ordinary plan nodes.

use super::*;

fn name_expr(name: &str, span: Span) -> ast::Expr {
    ast::Expr {
        kind: ExprKind::Name(ast::Ident {
            name: name.to_string(),
            span,
        }),
        span,
    }
}

fn string_expr(s: &str, span: Span) -> ast::Expr {
    ast::Expr {
        kind: ExprKind::Literal(ast::Literal::String(s.to_string())),
        span,
    }
}

impl Planner<'_> {
    pub(super) fn evaluate(
        &mut self,
        input: LogicalPlan,
        plugin: &ast::Ident,
        args: &[ast::NamedExpr],
        schema: Option<&(bool, Vec<ast::ColumnDecl>)>,
        span: Span,
    ) -> R<LogicalPlan> {
        match plugin.name.as_str() {
            "bag_unpack" => self.bag_unpack(input, args, schema, span),
            "pivot" => self.pivot(input, args, span),
            "dcount_intersect" => self.dcount_intersect(input, args, span),
            "rows_near" => self.rows_near(input, args, span),
            "schema_merge" => self.schema_merge(input, args, span),
            "sliding_window_counts"
            | "activity_counts_metrics"
            | "active_users_count"
            | "rolling_percentile" => self.activity(input, &plugin.name, args, span),
            "ipv4_lookup" => self.ip_lookup(input, args, false, span),
            "ipv6_lookup" => self.ip_lookup(input, args, true, span),
            other => Err(err(
                "kql::plan::unsupported",
                format!("the `{other}` plugin of `evaluate` is not supported yet"),
                plugin.span,
            )
            .with_note(
                "supported plugins: bag_unpack, pivot, dcount_intersect, rows_near, ipv4_lookup, ipv6_lookup, schema_merge, sliding_window_counts, activity_counts_metrics, active_users_count, rolling_percentile",
            )),
        }
    }

    /// The values of one column of `input`, run now.
    fn column_of(&mut self, input: &LogicalPlan, index: usize, span: Span) -> R<Vec<ScalarValue>> {
        let schema = input.schema();
        let refs = column_refs(&schema);
        let Some(col) = refs.get(index).cloned() else {
            return Err(err("kql::plan::internal", "column out of range", span));
        };
        let plan = LogicalPlan::Project(Project {
            input: Box::new(input.clone()),
            exprs: vec![col],
        });
        match self.catalog.column_values(&plan) {
            Some(Ok(v)) => Ok(v),
            Some(Err(d)) if d.span.is_some() => Err(d),
            Some(Err(d)) => Err(d.with_span(span)),
            None => Err(err(
                "kql::plan::unsupported",
                "this plugin needs to run its input, which is not possible here",
                span,
            )),
        }
    }

    /// `evaluate schema_merge([PreserveOrder])`: merges the schemas (as
    /// `getschema` makes them) in its input into one. A column that has
    /// different ordinals in different schemas is an error row (ordinal
    /// -1) when the order is preserved.
    fn schema_merge(
        &mut self,
        input: LogicalPlan,
        args: &[ast::NamedExpr],
        span: Span,
    ) -> R<LogicalPlan> {
        let mut preserve = true;
        match args {
            [] => {}
            [a] if a.names.len() <= 1
                && a.names.first().is_none_or(|n| n.name == "PreserveOrder") =>
            {
                match self.constant(&a.expr, &Schema::default())? {
                    ScalarValue::Bool(b) => preserve = b,
                    _ => {
                        return Err(err(
                            "kql::plan::bad_arguments",
                            "PreserveOrder must be true or false",
                            a.expr.span,
                        ))
                    }
                }
            }
            _ => {
                return Err(err(
                    "kql::plan::bad_arguments",
                    "schema_merge takes one optional argument, PreserveOrder",
                    span,
                ))
            }
        }
        let schema = input.schema();
        let mut cols = Vec::new();
        for (name, ty) in [
            ("ColumnName", KqlType::String),
            ("ColumnOrdinal", KqlType::Long),
            ("DataType", KqlType::String),
            ("ColumnType", KqlType::String),
        ] {
            match schema.index_of(name) {
                Some(i) if schema.columns[i].ty == ty => cols.push(i),
                _ => {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        format!("schema_merge needs schemas as getschema makes them: a {ty} column `{name}`"),
                        span,
                    )
                    .with_help("union the `T | getschema` of each table"))
                }
            }
        }
        let mut values = Vec::new();
        for &c in &cols {
            values.push(self.column_of(&input, c, span)?);
        }
        let text = |v: &ScalarValue| match v {
            ScalarValue::String(s) => s.clone(),
            _ => String::new(),
        };
        // name -> (ordinals seen, DataType, ColumnType), in first-seen order.
        let mut merged: Vec<(String, Vec<i64>, String, String)> = Vec::new();
        let [names, ords, types, kinds] = values.as_slice() else {
            return Err(err("kql::plan::internal", "schema columns missing", span));
        };
        for (((n, o), t), k) in names.iter().zip(ords).zip(types).zip(kinds) {
            let name = text(n);
            let ord = match o {
                ScalarValue::Long(o) => *o,
                _ => -1,
            };
            match merged.iter_mut().find(|m| m.0 == name) {
                Some(m) => m.1.push(ord),
                None => merged.push((name, vec![ord], text(t), text(k))),
            }
        }
        let key = |m: &(String, Vec<i64>, String, String)| m.1.iter().copied().max().unwrap_or(-1);
        let mut rows: Vec<Vec<ScalarValue>> = Vec::new();
        if preserve {
            let (mut ok, bad): (Vec<_>, Vec<_>) = merged
                .into_iter()
                .partition(|m| m.1.iter().all(|o| *o == m.1[0]));
            ok.sort_by_key(|m| m.1[0]);
            for m in ok {
                rows.push(vec![
                    ScalarValue::String(m.0),
                    ScalarValue::Long(m.1[0]),
                    ScalarValue::String(m.2),
                    ScalarValue::String(m.3),
                ]);
            }
            for m in bad {
                rows.push(vec![
                    ScalarValue::String(m.0),
                    ScalarValue::Long(-1),
                    ScalarValue::String(
                        "ERROR(unknown CSL type:ERROR(columns are out of order))".into(),
                    ),
                    ScalarValue::String("ERROR(columns are out of order)".into()),
                ]);
            }
        } else {
            merged.sort_by_key(key);
            for (i, m) in merged.into_iter().enumerate() {
                rows.push(vec![
                    ScalarValue::String(m.0),
                    ScalarValue::Long(i as i64),
                    ScalarValue::String(m.2),
                    ScalarValue::String(m.3),
                ]);
            }
        }
        Ok(LogicalPlan::Values(Values {
            schema: Schema::new(vec![
                Column::new("ColumnName", KqlType::String),
                Column::new("ColumnOrdinal", KqlType::Long),
                Column::new("DataType", KqlType::String),
                Column::new("ColumnType", KqlType::String),
            ]),
            rows,
        }))
    }

    /// `evaluate bag_unpack(Column [, Prefix] [, columnsConflict=...]
    /// [, ignoredProperties=dynamic([...])]) [: (schema)]`
    fn bag_unpack(
        &mut self,
        input: LogicalPlan,
        args: &[ast::NamedExpr],
        out_schema: Option<&(bool, Vec<ast::ColumnDecl>)>,
        span: Span,
    ) -> R<LogicalPlan> {
        let schema = input.schema();
        let mut positional = Vec::new();
        let mut conflict = "error".to_string();
        let mut ignored: Vec<String> = Vec::new();
        for a in args {
            match a.names.as_slice() {
                [] => positional.push(&a.expr),
                [n] => {
                    let v = self.constant(&a.expr, &Schema::default())?;
                    match (n.name.as_str(), v) {
                        ("columnsConflict", ScalarValue::String(s)) => conflict = s,
                        ("ignoredProperties", ScalarValue::Dynamic(serde_json::Value::Array(a))) => {
                            ignored = a
                                .into_iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect()
                        }
                        ("OutputColumnPrefix", ScalarValue::String(s)) => {
                            positional.push(&a.expr);
                            let _ = s;
                        }
                        (other, _) => {
                            return Err(err(
                                "kql::plan::bad_arguments",
                                format!("bag_unpack has no argument `{other}` of this type"),
                                a.span,
                            )
                            .with_help("arguments: column, prefix, columnsConflict='error'|'replace_source'|'keep_source', ignoredProperties=dynamic([...])"))
                        }
                    }
                }
                _ => return Err(multi_name_error(a)),
            }
        }
        let Some(col_expr) = positional.first() else {
            return Err(err(
                "kql::plan::bad_arguments",
                "bag_unpack needs the dynamic column to unpack",
                span,
            ));
        };
        let ExprKind::Name(col_id) = &col_expr.kind else {
            return Err(err(
                "kql::plan::bad_arguments",
                "bag_unpack's first argument must be a column",
                col_expr.span,
            ));
        };
        let col = self.column_index(col_id, &schema)?;
        if schema.columns[col].ty != KqlType::Dynamic {
            return Err(err(
                "kql::plan::type_mismatch",
                format!(
                    "bag_unpack needs a dynamic column, not {}",
                    schema.columns[col].ty
                ),
                col_expr.span,
            ));
        }
        let prefix = match positional.get(1) {
            Some(p) => match self.constant(p, &Schema::default())? {
                ScalarValue::String(s) => s,
                _ => {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        "bag_unpack's prefix must be a string",
                        p.span,
                    ))
                }
            },
            None => String::new(),
        };
        if !matches!(
            conflict.as_str(),
            "error" | "replace_source" | "keep_source"
        ) {
            return Err(err(
                "kql::plan::bad_arguments",
                format!("unknown columnsConflict `{conflict}`"),
                span,
            )
            .with_help("use 'error', 'replace_source' or 'keep_source'"));
        }
        // The properties, in name order.
        let mut keys: Vec<String> = match out_schema {
            Some((_, cols)) => cols.iter().map(|c| c.name.name.clone()).collect(),
            None => {
                let mut keys = std::collections::BTreeSet::new();
                for v in self.column_of(&input, col, span)? {
                    if let ScalarValue::Dynamic(serde_json::Value::Object(o)) = v {
                        keys.extend(o.keys().cloned());
                    }
                }
                keys.into_iter().map(|k| format!("{prefix}{k}")).collect()
            }
        };
        keys.retain(|k| !ignored.iter().any(|i| format!("{prefix}{i}") == *k));
        let bag_name = schema.columns[col].name.clone();
        let mut exprs: Vec<(String, PlanExpr)> = column_refs(&schema)
            .into_iter()
            .filter(|(n, _)| *n != bag_name)
            .collect();
        if let Some((false, _)) = out_schema {
            exprs.clear();
        }
        for k in &keys {
            let prop = k.strip_prefix(&prefix).unwrap_or(k);
            let access = ast::Expr {
                kind: ExprKind::Index {
                    expr: Box::new(name_expr(&bag_name, span)),
                    index: Box::new(string_expr(prop, span)),
                },
                span,
            };
            let mut value = self.expr(&access, &schema)?;
            if let Some((_, cols)) = out_schema {
                if let Some(c) = cols.iter().find(|c| c.name.name == *k) {
                    value = value.cast(c.ty);
                }
            }
            match exprs.iter().position(|(n, _)| n == k) {
                Some(i) => {
                    match conflict.as_str() {
                        "replace_source" => exprs[i].1 = value,
                        "keep_source" => {}
                        _ => return Err(err(
                            "kql::plan::duplicate_column",
                            format!(
                                "bag_unpack: property `{k}` clashes with the column of that name"
                            ),
                            span,
                        )
                        .with_help(
                            "add columnsConflict='replace_source' or 'keep_source', or a prefix",
                        )),
                    }
                }
                None => exprs.push((k.clone(), value)),
            }
        }
        Ok(LogicalPlan::Project(Project {
            input: Box::new(input),
            exprs,
        }))
    }

    /// `evaluate pivot(PivotColumn [, agg(col)] [, GroupColumn, ...])`: one
    /// column per distinct value of `PivotColumn`, grouped by the other
    /// columns (or the ones listed).
    fn pivot(&mut self, input: LogicalPlan, args: &[ast::NamedExpr], span: Span) -> R<LogicalPlan> {
        let schema = input.schema();
        let Some(first) = args.first() else {
            return Err(err(
                "kql::plan::bad_arguments",
                "pivot needs the column whose values become columns",
                span,
            ));
        };
        let ExprKind::Name(pivot_id) = &first.expr.kind else {
            return Err(err(
                "kql::plan::bad_arguments",
                "pivot's first argument must be a column",
                first.span,
            ));
        };
        let pivot = self.column_index(pivot_id, &schema)?;
        let (agg, rest) = match args.get(1).map(|a| &a.expr.kind) {
            Some(ExprKind::Call { func, args: fargs }) => {
                (Some((func.clone(), fargs.clone())), &args[2..])
            }
            _ => (None, args.get(1..).unwrap_or(&[])),
        };
        let mut by: Vec<ast::NamedExpr> = Vec::new();
        if rest.is_empty() {
            let agg_cols: Vec<String> = agg
                .as_ref()
                .map(|(_, a)| {
                    a.iter()
                        .filter_map(|e| match &e.kind {
                            ExprKind::Name(id) => Some(id.name.clone()),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            for (i, c) in schema.columns.iter().enumerate() {
                if i != pivot && !agg_cols.contains(&c.name) {
                    by.push(ast::NamedExpr {
                        names: vec![],
                        expr: name_expr(&c.name, span),
                        span,
                    });
                }
            }
        } else {
            by = rest.to_vec();
        }
        let mut values: Vec<String> = Vec::new();
        for v in self.column_of(&input, pivot, span)? {
            let text = match v {
                ScalarValue::String(s) => s,
                ScalarValue::Null(_) => String::new(),
                other => match cast_scalar(&other, KqlType::String) {
                    Some(ScalarValue::String(s)) => s,
                    _ => continue,
                },
            };
            if !values.contains(&text) {
                values.push(text);
            }
        }
        values.sort();
        let mut aggs = Vec::new();
        for v in &values {
            // PivotColumn's text equals the value.
            let cond = ast::Expr {
                kind: ExprKind::Binary {
                    op: ast::BinaryOp::Eq,
                    left: Box::new(ast::Expr {
                        kind: ExprKind::Call {
                            func: ast::Ident {
                                name: "tostring".into(),
                                span,
                            },
                            args: vec![name_expr(&pivot_id.name, span)],
                        },
                        span,
                    }),
                    right: Box::new(string_expr(v, span)),
                },
                span,
            };
            let call = match &agg {
                None => ast::ExprKind::Call {
                    func: ast::Ident {
                        name: "countif".into(),
                        span,
                    },
                    args: vec![cond],
                },
                Some((f, fargs)) => {
                    let name = match f.name.as_str() {
                        "count" => "countif".to_string(),
                        "take_any" | "any" => "take_anyif".to_string(),
                        "make_list" => "make_list_if".to_string(),
                        "make_set" => "make_set_if".to_string(),
                        "make_bag" => "make_bag_if".to_string(),
                        n => format!("{n}if"),
                    };
                    let mut a: Vec<ast::Expr> = fargs
                        .iter()
                        .filter(|e| e.kind != ExprKind::Star)
                        .cloned()
                        .collect();
                    a.push(cond);
                    ast::ExprKind::Call {
                        func: ast::Ident { name, span: f.span },
                        args: a,
                    }
                }
            };
            aggs.push(ast::NamedExpr {
                names: vec![ast::Ident {
                    name: v.clone(),
                    span,
                }],
                expr: ast::Expr { kind: call, span },
                span,
            });
        }
        if aggs.is_empty() {
            return Err(err(
                "kql::plan::unsupported",
                "pivot over an empty input has no columns to make",
                span,
            ));
        }
        let op = ast::Operator {
            kind: OperatorKind::Summarize { aggs, by },
            span,
        };
        self.operator(input, &op)
    }
}

fn ident(name: &str, span: Span) -> ast::Ident {
    ast::Ident {
        name: name.to_string(),
        span,
    }
}

fn op(kind: OperatorKind, span: Span) -> ast::Operator {
    ast::Operator { kind, span }
}

impl Planner<'_> {
    /// `top-nested`: level i is `summarize Agg_i by Key_1..Key_i`, keeping the
    /// top N_i rows within each level-(i-1) group (a sort and a restarting
    /// row_number); the levels are then joined on their common keys.
    pub(super) fn top_nested(
        &mut self,
        input: LogicalPlan,
        levels: &[ast::TopNestedLevel],
        span: Span,
    ) -> R<LogicalPlan> {
        let mut keys: Vec<ast::NamedExpr> = Vec::new();
        let mut names: Vec<(String, String)> = Vec::new();
        let mut result: Option<LogicalPlan> = None;
        // After a level with `others`, its others rows have no children.
        let mut outer = false;
        for (i, l) in levels.iter().enumerate() {
            let key_name = match (l.key.names.as_slice(), &l.key.expr.kind) {
                ([n], _) => n.name.clone(),
                ([], ExprKind::Name(id)) => id.name.clone(),
                ([], _) => format!("Column{}", i + 1),
                _ => return Err(multi_name_error(&l.key)),
            };
            let agg_name = match l.agg.names.as_slice() {
                [n] => n.name.clone(),
                [] => format!("aggregated_{key_name}"),
                _ => return Err(multi_name_error(&l.agg)),
            };
            keys.push(ast::NamedExpr {
                names: vec![ident(&key_name, l.key.span)],
                expr: l.key.expr.clone(),
                span: l.key.span,
            });
            let summarize = op(
                OperatorKind::Summarize {
                    aggs: vec![ast::NamedExpr {
                        names: vec![ident(&agg_name, l.agg.span)],
                        expr: l.agg.expr.clone(),
                        span: l.agg.span,
                    }],
                    by: keys.clone(),
                },
                span,
            );
            let mut level = self.operator(input.clone(), &summarize)?;
            if let Some(count) = &l.count {
                let desc = !matches!(l.order, Some(ast::SortOrder::Asc));
                let mut sort_keys: Vec<ast::SortKey> = names
                    .iter()
                    .map(|(k, _)| ast::SortKey {
                        expr: name_expr(k, span),
                        order: Some(ast::SortOrder::Asc),
                        nulls: None,
                        span,
                    })
                    .collect();
                sort_keys.push(ast::SortKey {
                    expr: name_expr(&agg_name, span),
                    order: Some(if desc {
                        ast::SortOrder::Desc
                    } else {
                        ast::SortOrder::Asc
                    }),
                    nulls: None,
                    span,
                });
                level = self.operator(level, &op(OperatorKind::Sort(sort_keys), span))?;
                // Restart the numbering when any parent key changes.
                let restart = names
                    .iter()
                    .map(|(k, _)| ast::Expr {
                        span,
                        kind: ExprKind::Binary {
                            op: ast::BinaryOp::NotEq,
                            left: Box::new(name_expr(k, span)),
                            right: Box::new(ast::Expr {
                                span,
                                kind: ExprKind::Call {
                                    func: ident("prev", span),
                                    args: vec![name_expr(k, span)],
                                },
                            }),
                        },
                    })
                    .reduce(|a, b| ast::Expr {
                        span,
                        kind: ExprKind::Binary {
                            op: ast::BinaryOp::Or,
                            left: Box::new(a),
                            right: Box::new(b),
                        },
                    });
                let mut args = vec![ast::Expr {
                    span,
                    kind: ExprKind::Literal(ast::Literal::Long(1)),
                }];
                args.extend(restart);
                let rn = "$top_nested_rank";
                level = self.operator(
                    level,
                    &op(
                        OperatorKind::Extend(vec![ast::NamedExpr {
                            names: vec![ident(rn, span)],
                            expr: ast::Expr {
                                span,
                                kind: ExprKind::Call {
                                    func: ident("row_number", span),
                                    args,
                                },
                            },
                            span,
                        }]),
                        span,
                    ),
                )?;
                let ranked = level.clone();
                let rank_test = |op: ast::BinaryOp| {
                    OperatorKind::Where(ast::Expr {
                        span,
                        kind: ExprKind::Binary {
                            op,
                            left: Box::new(name_expr(rn, span)),
                            right: Box::new(count.clone()),
                        },
                    })
                };
                level = self.operator(level, &op(rank_test(ast::BinaryOp::Le), span))?;
                level = self.operator(
                    level,
                    &op(OperatorKind::ProjectAway(vec![ident(rn, span)]), span),
                )?;
                if let Some(other) = &l.others {
                    // The groups past the top N, aggregated again from
                    // their input rows per parent group.
                    let rest = self.operator(ranked, &op(rank_test(ast::BinaryOp::Gt), span))?;
                    let key_names: Vec<ast::Expr> = keys
                        .iter()
                        .filter_map(|k| k.names.first().map(|n| name_expr(&n.name, span)))
                        .collect();
                    let rest = self.operator(
                        rest,
                        &op(
                            OperatorKind::Project(
                                key_names
                                    .iter()
                                    .map(|e| ast::NamedExpr {
                                        names: vec![],
                                        expr: e.clone(),
                                        span,
                                    })
                                    .collect(),
                            ),
                            span,
                        ),
                    )?;
                    let rows = self
                        .operator(input.clone(), &op(OperatorKind::Extend(keys.clone()), span))?;
                    let rows = self.join_plans(rows, JoinKind::Inner, rest, &key_names, false)?;
                    let agg_item = ast::NamedExpr {
                        names: vec![ident(&agg_name, l.agg.span)],
                        expr: l.agg.expr.clone(),
                        span: l.agg.span,
                    };
                    let others = self.operator(
                        rows,
                        &op(
                            OperatorKind::Summarize {
                                aggs: vec![agg_item],
                                by: keys[..keys.len() - 1].to_vec(),
                            },
                            span,
                        ),
                    )?;
                    let ls = level.schema();
                    let os = others.schema();
                    let key_ty = ls.columns.get(i).map_or(KqlType::String, |c| c.ty);
                    let value = self.expr(other, &Schema::default())?;
                    let value = if value.ty == key_ty {
                        value
                    } else if common_type(value.ty, key_ty).is_some() {
                        value.cast(key_ty)
                    } else {
                        return Err(err(
                            "kql::plan::type_mismatch",
                            format!(
                                "the `others` value is {}, but the level's values are {key_ty}",
                                value.ty
                            ),
                            other.span,
                        ));
                    };
                    // Parent keys, this level's key, the aggregate.
                    let orefs = column_refs(&os);
                    let mut exprs: Vec<(String, PlanExpr)> = orefs[..i].to_vec();
                    exprs.push((key_name.clone(), value));
                    exprs.extend(orefs.get(i).cloned());
                    let others = LogicalPlan::Project(Project {
                        input: Box::new(others),
                        exprs,
                    });
                    let n = ls.len();
                    level = LogicalPlan::Union(Union {
                        inputs: vec![level, others],
                        maps: vec![(0..n).map(Some).collect(), (0..n).map(Some).collect()],
                        schema: ls,
                        source: None,
                    });
                }
            }
            names.push((key_name.clone(), agg_name.clone()));
            outer |= l.others.is_some() && l.count.is_some();
            result = Some(match result {
                None => level,
                Some(prev) => {
                    let on: Vec<ast::Expr> = names[..names.len() - 1]
                        .iter()
                        .map(|(k, _)| name_expr(k, span))
                        .collect();
                    let kind = if outer {
                        JoinKind::LeftOuter
                    } else {
                        JoinKind::Inner
                    };
                    let joined = self.join_plans(prev, kind, level, &on, false)?;
                    let js = joined.schema();
                    let refs = column_refs(&js);
                    // Left: k1, a1, ... ; then this level's key and aggregate
                    // (the last two columns of the right side).
                    let n = refs.len();
                    let mut exprs: Vec<(String, PlanExpr)> =
                        refs.iter().take(2 * i).cloned().collect();
                    exprs.extend(refs.iter().skip(n.saturating_sub(2)).cloned());
                    if let Some(e) = exprs.get_mut(2 * i) {
                        e.0 = key_name.clone();
                    }
                    if let Some(e) = exprs.get_mut(2 * i + 1) {
                        e.0 = agg_name.clone();
                    }
                    LogicalPlan::Project(Project {
                        input: Box::new(joined),
                        exprs,
                    })
                }
            });
        }
        result.ok_or_else(|| err("kql::plan::bad_arguments", "top-nested needs a level", span))
    }
}
