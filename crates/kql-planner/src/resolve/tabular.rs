//! Lowering of the operators that combine or reshape tables: `join`,
//! `lookup`, `union`, `mv-expand`, `serialize`, `getschema`.

use super::*;

/// Kusto's rule for a clashing output name: append the smallest number
/// that makes it unique (`Key` → `Key1`, then `Key2`).
pub(super) fn unique_name(name: &str, used: &[String]) -> String {
    if !used.iter().any(|u| u == name) {
        return name.to_string();
    }
    let mut n = 1;
    loop {
        let candidate = format!("{name}{n}");
        if !used.contains(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

fn col_ref(schema: &Schema, index: usize, span: Span) -> PlanExpr {
    let c = &schema.columns[index];
    PlanExpr::new(
        PlanExprKind::Column {
            index,
            name: c.name.clone(),
        },
        c.ty,
        span,
    )
}

/// Which side `$left.X` / `$right.X` names, and the column.
fn side_column(e: &ast::Expr) -> Option<(bool, &ast::Ident)> {
    let ExprKind::Member { expr, name } = &e.kind else {
        return None;
    };
    let ExprKind::Name(side) = &expr.kind else {
        return None;
    };
    match side.name.as_str() {
        "$left" => Some((false, name)),
        "$right" => Some((true, name)),
        _ => None,
    }
}

impl Planner<'_> {
    /// `join` and `lookup`.
    pub(super) fn join(
        &mut self,
        left: LogicalPlan,
        kind: JoinKind,
        right: &ast::Expr,
        on: &[ast::Expr],
        lookup: bool,
    ) -> R<LogicalPlan> {
        let right = self.tabular(right)?;
        self.join_plans(left, kind, right, on, lookup)
    }

    /// `join` of two planned inputs.
    pub(super) fn join_plans(
        &mut self,
        left: LogicalPlan,
        kind: JoinKind,
        right: LogicalPlan,
        on: &[ast::Expr],
        lookup: bool,
    ) -> R<LogicalPlan> {
        let ls = left.schema();
        let rs = right.schema();
        let mut left_keys = Vec::new();
        let mut right_keys = Vec::new();
        // Right key columns that `lookup` leaves out of its output.
        let mut right_key_cols = Vec::new();
        for cond in on {
            let (li, ri, span) = match &cond.kind {
                ExprKind::Name(id) => {
                    let li = ls.index_of(&id.name).ok_or_else(|| {
                        self.unknown_column(id, &ls)
                            .with_note("a join key must be a column of both sides")
                    })?;
                    let ri = rs.index_of(&id.name).ok_or_else(|| {
                        self.unknown_column(id, &rs)
                            .with_label("not a column of the right side")
                            .with_note("a join key must be a column of both sides")
                    })?;
                    (li, ri, id.span)
                }
                ExprKind::Binary {
                    op: ast::BinaryOp::Eq,
                    left: a,
                    right: b,
                } => {
                    let (sa, sb) = (side_column(a), side_column(b));
                    let (l, r) =
                        match (sa, sb) {
                            (Some((false, l)), Some((true, r)))
                            | (Some((true, r)), Some((false, l))) => (l, r),
                            _ => return Err(err(
                                "kql::plan::bad_join_condition",
                                "a join condition compares a `$left` column with a `$right` column",
                                cond.span,
                            )
                            .with_help(
                                "write `$left.A == $right.B`, or a column name both sides have",
                            )),
                        };
                    let li = ls
                        .index_of(&l.name)
                        .ok_or_else(|| self.unknown_column(l, &ls))?;
                    let ri = rs
                        .index_of(&r.name)
                        .ok_or_else(|| self.unknown_column(r, &rs))?;
                    (li, ri, cond.span)
                }
                _ => {
                    return Err(err(
                        "kql::plan::bad_join_condition",
                        "unsupported join condition",
                        cond.span,
                    )
                    .with_help("write a column name both sides have, or `$left.A == $right.B`"))
                }
            };
            let (lt, rt) = (ls.columns[li].ty, rs.columns[ri].ty);
            let Some(t) =
                common_type(lt, rt).filter(|_| lt == rt || (lt.is_numeric() && rt.is_numeric()))
            else {
                return Err(err(
                    "kql::plan::type_mismatch",
                    format!(
                        "join keys have different types: `{}` is {lt} on the left, `{}` is {rt} on the right",
                        ls.columns[li].name, rs.columns[ri].name
                    ),
                    span,
                )
                .with_help("convert one side, e.g. `extend Key = tostring(Key)`"));
            };
            left_keys.push(col_ref(&ls, li, span).cast(t));
            right_keys.push(col_ref(&rs, ri, span).cast(t));
            right_key_cols.push(ri);
        }
        let mut output = Vec::new();
        let mut used: Vec<String> = Vec::new();
        let left_cols = !matches!(kind, JoinKind::RightSemi | JoinKind::RightAnti);
        let right_cols = !matches!(kind, JoinKind::LeftSemi | JoinKind::LeftAnti);
        if left_cols {
            for (i, c) in ls.columns.iter().enumerate() {
                used.push(c.name.clone());
                output.push(JoinOutput {
                    right: false,
                    index: i,
                    name: c.name.clone(),
                    ty: c.ty,
                });
            }
        }
        if right_cols {
            for (i, c) in rs.columns.iter().enumerate() {
                if lookup && right_key_cols.contains(&i) {
                    continue;
                }
                let name = unique_name(&c.name, &used);
                used.push(name.clone());
                output.push(JoinOutput {
                    right: true,
                    index: i,
                    name,
                    ty: c.ty,
                });
            }
        }
        Ok(LogicalPlan::Join(Join {
            left: Box::new(left),
            right: Box::new(right),
            kind,
            left_keys,
            right_keys,
            output,
        }))
    }

    /// `union` as a source (`first` is `None`) or after a pipe.
    pub(super) fn union(&mut self, first: Option<LogicalPlan>, u: &ast::Union) -> R<LogicalPlan> {
        let mut inputs: Vec<(String, LogicalPlan)> = Vec::new();
        if let Some(p) = first {
            inputs.push(("union_arg0".to_string(), p));
        }
        for t in &u.tables {
            match &t.kind {
                ExprKind::Name(id) if id.name.contains('*') => {
                    let mut names: Vec<String> = self
                        .catalog
                        .table_names()
                        .into_iter()
                        .filter(|n| wildcard_match(&id.name, n))
                        .collect();
                    names.sort();
                    for n in names {
                        if let Some(schema) = self.catalog.table_schema(&n) {
                            inputs.push((n.clone(), LogicalPlan::Scan(Scan { table: n, schema })));
                        }
                    }
                }
                ExprKind::Name(id) => match self.tabular(t) {
                    Ok(p) => inputs.push((id.name.clone(), p)),
                    Err(_) if u.fuzzy && !self.names_table(t) => {}
                    Err(e) => return Err(e),
                },
                _ => {
                    // `(T | as Name)` labels its rows `Name`.
                    let label = match &t.kind {
                        ExprKind::Pipe { op, .. } => match &op.kind {
                            OperatorKind::As(id) => Some(id.name.clone()),
                            _ => None,
                        },
                        _ => None,
                    };
                    let label = label.unwrap_or_else(|| format!("union_arg{}", inputs.len()));
                    inputs.push((label, self.tabular(t)?));
                }
            }
        }
        if inputs.is_empty() {
            let span = u.tables.first().map(|t| t.span).unwrap_or_default();
            return Err(err(
                "kql::plan::unknown_table",
                "union has no tables to read",
                span,
            )
            .with_help("no table matched the names or patterns"));
        }
        let schemas: Vec<Schema> = inputs.iter().map(|(_, p)| p.schema()).collect();
        // Each name with every type it has, in order of first appearance.
        let mut names: Vec<(String, Vec<KqlType>)> = Vec::new();
        for s in &schemas {
            for c in &s.columns {
                match names.iter_mut().find(|(n, _)| *n == c.name) {
                    Some((_, types)) => {
                        if !types.contains(&c.ty) {
                            types.push(c.ty);
                        }
                    }
                    None => names.push((c.name.clone(), vec![c.ty])),
                }
            }
        }
        let mut columns: Vec<(Column, String, KqlType)> = Vec::new();
        // Names of one type keep their name; a name with several types
        // becomes one column per type (`x_long`, `x_int`), numbered if that
        // clashes with another column (`x_long1`).
        let mut used: Vec<String> = names
            .iter()
            .filter(|(_, t)| t.len() == 1)
            .map(|(n, _)| n.clone())
            .collect();
        for (n, types) in &names {
            for t in types {
                let out = if types.len() > 1 {
                    let name = unique_name(&format!("{n}_{}", t.name()), &used);
                    used.push(name.clone());
                    name
                } else {
                    n.clone()
                };
                if u.inner
                    && !schemas
                        .iter()
                        .all(|s| s.columns.iter().any(|c| c.name == *n && c.ty == *t))
                {
                    continue;
                }
                columns.push((Column::new(out, *t), n.clone(), *t));
            }
        }
        let maps = schemas
            .iter()
            .map(|s| {
                columns
                    .iter()
                    .map(|(_, n, t)| s.columns.iter().position(|c| c.name == *n && c.ty == *t))
                    .collect()
            })
            .collect();
        let source = u.with_source.as_ref().map(|id| {
            (
                id.name.clone(),
                inputs.iter().map(|(l, _)| l.clone()).collect(),
            )
        });
        Ok(LogicalPlan::Union(Union {
            inputs: inputs.into_iter().map(|(_, p)| p).collect(),
            maps,
            schema: Schema::new(columns.into_iter().map(|(c, _, _)| c).collect()),
            source,
        }))
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn mv_expand(
        &mut self,
        input: LogicalPlan,
        items: &[ast::MvExpandItem],
        item_index: Option<&ast::Ident>,
        bag_as_array: bool,
        limit: Option<&ast::Expr>,
    ) -> R<LogicalPlan> {
        let schema = input.schema();
        let mut exprs = column_refs(&schema);
        let mut columns = Vec::new();
        let mut needs_project = false;
        let mut auto = 0;
        for it in items {
            let pe = self.expr(&it.item.expr, &schema)?;
            if pe.ty != KqlType::Dynamic {
                return Err(err(
                    "kql::plan::type_mismatch",
                    format!("mv-expand needs a dynamic array or bag, not a {}", pe.ty),
                    it.item.expr.span,
                )
                .with_help("convert it with parse_json(), or build an array with pack_array()"));
            }
            // Kusto's name for an unnamed expression: the column of a
            // one-argument call (`parse_json(a)` is `a`), else `Column1`...
            let implicit = match &pe.kind {
                PlanExprKind::Call { args, .. } if args.len() == 1 => match &args[0].kind {
                    PlanExprKind::Column { name, .. } => Some(name.clone()),
                    _ => None,
                },
                PlanExprKind::Cast { expr, .. } => match &expr.kind {
                    PlanExprKind::Column { name, .. } => Some(name.clone()),
                    _ => None,
                },
                _ => None,
            };
            let name = match (it.item.names.as_slice(), &pe.kind) {
                ([], PlanExprKind::Column { .. }) => None,
                ([n], _) => Some(n.name.clone()),
                ([], _) => Some(implicit.unwrap_or_else(|| {
                    auto += 1;
                    format!("Column{auto}")
                })),
                _ => return Err(multi_name_error(&it.item)),
            };
            let index = match (name, &pe.kind) {
                (None, PlanExprKind::Column { index, .. }) => *index,
                (Some(n), _) => {
                    needs_project = true;
                    match exprs.iter().position(|(m, _)| *m == n) {
                        Some(i) => {
                            exprs[i].1 = pe;
                            i
                        }
                        None => {
                            exprs.push((n, pe));
                            exprs.len() - 1
                        }
                    }
                }
                (None, _) => {
                    return Err(err(
                        "kql::plan::internal",
                        "mv-expand item without a name",
                        it.item.expr.span,
                    ))
                }
            };
            columns.push((index, it.to.unwrap_or(KqlType::Dynamic)));
        }
        let limit = match limit {
            Some(e) => Some(self.row_count(e, &schema)?),
            None => None,
        };
        let input = if needs_project {
            LogicalPlan::Project(Project {
                input: Box::new(input),
                exprs,
            })
        } else {
            input
        };
        Ok(LogicalPlan::MvExpand(MvExpand {
            input: Box::new(input),
            columns,
            item_index: item_index.map(|i| i.name.clone()),
            limit,
            bag_as_array,
        }))
    }

    /// `mv-apply`: the subquery is planned over a scan of the expanded rows.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn mv_apply(
        &mut self,
        input: LogicalPlan,
        items: &[ast::MvExpandItem],
        item_index: Option<&ast::Ident>,
        bag_as_array: bool,
        limit: Option<&ast::Expr>,
        ops: &[ast::Operator],
    ) -> R<LogicalPlan> {
        let in_schema = input.schema();
        let rows = LogicalPlan::Scan(Scan {
            table: MV_APPLY_ROWS.to_string(),
            schema: in_schema.clone(),
        });
        let LogicalPlan::MvExpand(expand) =
            self.mv_expand(rows, items, item_index, bag_as_array, limit)?
        else {
            return Err(err(
                "kql::plan::internal",
                "mv-apply expansion did not plan as mv-expand",
                ops.first().map(|o| o.span).unwrap_or_default(),
            ));
        };
        let mut sub = LogicalPlan::Scan(Scan {
            table: MV_APPLY_ROWS.to_string(),
            schema: LogicalPlan::MvExpand(expand.clone()).schema(),
        });
        for op in ops {
            sub = self.operator(sub, op)?;
        }
        let sub = crate::optimize::optimize(sub);
        let sub_schema = sub.schema();
        // A column expanded by its own name (`mv-apply Col on (...)`) is
        // replaced by the subquery's rows: it stays only if the subquery
        // returns it. One expanded under a new name (`x = Col`) is kept.
        let expanded: Vec<&str> = items
            .iter()
            .filter(|i| i.item.names.is_empty())
            .filter_map(|i| match &i.item.expr.kind {
                ast::ExprKind::Name(id) => Some(id.name.as_str()),
                _ => None,
            })
            .collect();
        let keep = in_schema
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                sub_schema.index_of(&c.name).is_none() && !expanded.contains(&c.name.as_str())
            })
            .map(|(i, _)| i)
            .collect();
        Ok(LogicalPlan::MvApply(MvApply {
            input: Box::new(input),
            expand,
            sub: Box::new(sub),
            keep,
        }))
    }

    /// `partition by Col (ops)` runs `ops` per group of rows (an
    /// [`MvApply`]-like node with the group as its rows); `partition by Col
    /// { query }` plans `query` once per value of `Col`, found by running
    /// the input now, and unions the results.
    pub(super) fn partition(
        &mut self,
        input: LogicalPlan,
        by: &ast::Ident,
        ops: &[ast::Operator],
        query: Option<&ast::Expr>,
        span: Span,
    ) -> R<LogicalPlan> {
        let schema = input.schema();
        let key = self.column_index(by, &schema)?;
        if let Some(q) = query {
            let rows = self.column_values_of(&input, key, span)?;
            let mut values: Vec<ScalarValue> = Vec::new();
            for v in rows {
                if !values.contains(&v) {
                    values.push(v);
                }
            }
            let saved = self.lets.clone();
            let mut plans = Vec::new();
            for v in values {
                self.lets.insert(
                    by.name.clone(),
                    Binding::Scalar(PlanExpr::literal(v, by.span)),
                );
                let p = self.tabular(q);
                self.lets = saved.clone();
                plans.push(p?);
            }
            let Some(first) = plans.first() else {
                return Ok(LogicalPlan::Values(Values {
                    schema: Schema::default(),
                    rows: vec![],
                }));
            };
            let out_schema = first.schema();
            let maps = plans
                .iter()
                .map(|p| {
                    let s = p.schema();
                    out_schema
                        .columns
                        .iter()
                        .map(|c| {
                            s.columns
                                .iter()
                                .position(|d| d.name == c.name && d.ty == c.ty)
                        })
                        .collect()
                })
                .collect();
            return Ok(LogicalPlan::Union(Union {
                inputs: plans,
                maps,
                schema: out_schema,
                source: None,
            }));
        }
        let mut sub = LogicalPlan::Scan(Scan {
            table: MV_APPLY_ROWS.to_string(),
            schema: schema.clone(),
        });
        for op in ops {
            sub = self.operator(sub, op)?;
        }
        let sub = crate::optimize::optimize(sub);
        Ok(LogicalPlan::Partition(Partition {
            input: Box::new(input),
            key,
            sub: Box::new(sub),
        }))
    }

    /// The values of one column of `input`, run now.
    pub(super) fn column_values_of(
        &mut self,
        input: &LogicalPlan,
        index: usize,
        span: Span,
    ) -> R<Vec<ScalarValue>> {
        let refs = column_refs(&input.schema());
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
                "this operator needs to run its input, which is not possible here",
                span,
            )),
        }
    }

    /// `getschema`: one row per input column.
    pub(super) fn getschema(&self, schema: &Schema) -> LogicalPlan {
        let out = Schema::new(vec![
            Column::new("ColumnName", KqlType::String),
            Column::new("ColumnOrdinal", KqlType::Long),
            Column::new("DataType", KqlType::String),
            Column::new("ColumnType", KqlType::String),
        ]);
        let rows = schema
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                vec![
                    ScalarValue::String(c.name.clone()),
                    ScalarValue::Long(i64::try_from(i).unwrap_or(i64::MAX)),
                    ScalarValue::String(dotnet_type(c.ty).to_string()),
                    ScalarValue::String(c.ty.name().to_string()),
                ]
            })
            .collect();
        LogicalPlan::Values(Values { schema: out, rows })
    }
}

/// The .NET type name `getschema` shows for a KQL type.
fn dotnet_type(t: KqlType) -> &'static str {
    match t {
        KqlType::Bool => "System.SByte",
        KqlType::Int => "System.Int32",
        KqlType::Long => "System.Int64",
        KqlType::Real => "System.Double",
        KqlType::Decimal => "System.Data.SqlTypes.SqlDecimal",
        KqlType::String => "System.String",
        KqlType::DateTime => "System.DateTime",
        KqlType::TimeSpan => "System.TimeSpan",
        KqlType::Guid => "System.Guid",
        KqlType::Dynamic => "System.Object",
    }
}
