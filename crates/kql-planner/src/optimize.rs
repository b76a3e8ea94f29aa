//! Plan rewrites that keep results identical and make execution cheaper:
//! adjacent filters merge into one, every node reads only the columns
//! something above it uses (so a wide table is narrowed right at the scan),
//! and rows are counted per computed string key by counting them per
//! combination of the key's input columns first.

use crate::functions::AggFunc;
use crate::plan::*;
use kql_common::{KqlType, Span};
use std::collections::{BTreeSet, HashMap};

/// Applies every rewrite.
pub fn optimize(plan: LogicalPlan) -> LogicalPlan {
    let plan = map_exprs(plan, &fold);
    let plan = merge_filters(plan);
    let all: BTreeSet<usize> = (0..plan.schema().len()).collect();
    count_before_computing(prune(plan, &all).0)
}

/// `summarize count() by K = f(a, b, ...)`, where a key is a string
/// computed from columns (`strcat(tolower(AccountName), "@", DeviceName)`)
/// and every aggregate is `count()`: the rows are counted per distinct
/// combination of the columns the keys read, the keys are computed once per
/// combination, and the counts are summed per key. Groups come out in the
/// same order (a key's first combination holds its first row), and a
/// string key is built once per combination instead of once per row.
fn count_before_computing(plan: LogicalPlan) -> LogicalPlan {
    map_inputs(plan, &count_before_computing, |plan| match plan {
        LogicalPlan::Aggregate(a) => match counted_per_combination(&a) {
            Some(p) => p,
            None => LogicalPlan::Aggregate(a),
        },
        other => other,
    })
}

/// The rewrite [`count_before_computing`] describes, when it applies.
fn counted_per_combination(a: &Aggregate) -> Option<LogicalPlan> {
    if a.keys.is_empty()
        || a.aggs.is_empty()
        || !a
            .aggs
            .iter()
            .all(|(_, e)| e.func == AggFunc::Count && e.args.is_empty())
    {
        return None;
    }
    // The keys as expressions over `source`: through a projection that
    // computes them (`extend K = ... | summarize by K`), or as written.
    let through_project = match a.input.as_ref() {
        LogicalPlan::Project(proj) => a
            .keys
            .iter()
            .map(|(_, k)| match &k.kind {
                PlanExprKind::Column { index, .. } => proj.exprs.get(*index).map(|(_, e)| e),
                _ => None,
            })
            .collect::<Option<Vec<&PlanExpr>>>()
            .map(|keys| (proj.input.as_ref(), keys)),
        _ => None,
    };
    let (source, key_exprs) = match through_project {
        Some(x) => x,
        None => (a.input.as_ref(), a.keys.iter().map(|(_, k)| k).collect()),
    };
    let computed_string =
        |e: &PlanExpr| e.ty == KqlType::String && !matches!(e.kind, PlanExprKind::Column { .. });
    let mut volatile = false;
    for e in &key_exprs {
        e.visit(&mut |x| {
            if let PlanExprKind::Call { func, .. } = &x.kind {
                volatile |= func.def().volatile;
            }
        });
    }
    if volatile || !key_exprs.iter().any(|e| computed_string(e)) {
        return None;
    }
    let mut used = BTreeSet::new();
    for e in &key_exprs {
        columns_of(e, &mut used);
    }
    let input_schema = source.schema();
    // Combinations of string and integer columns only: they group cheaply.
    if used.is_empty()
        || used.iter().any(|&c| {
            !input_schema.columns.get(c).is_some_and(|col| {
                matches!(
                    col.ty,
                    KqlType::String | KqlType::Long | KqlType::Int | KqlType::Bool
                )
            })
        })
    {
        return None;
    }
    let span = a.aggs[0].1.span;
    let column = |index: usize, name: &str, ty: KqlType| PlanExpr {
        kind: PlanExprKind::Column {
            index,
            name: name.to_string(),
        },
        ty,
        span,
    };
    let position: HashMap<usize, usize> = used.iter().enumerate().map(|(i, &c)| (c, i)).collect();
    let count_name = "count_";
    let inner = LogicalPlan::Aggregate(Aggregate {
        input: Box::new(source.clone()),
        keys: used
            .iter()
            .map(|&c| {
                let col = &input_schema.columns[c];
                (col.name.clone(), column(c, &col.name, col.ty))
            })
            .collect(),
        aggs: vec![(
            count_name.to_string(),
            AggExpr {
                func: AggFunc::Count,
                args: vec![],
                ty: KqlType::Long,
                span,
            },
        )],
    });
    let mut exprs: Vec<(String, PlanExpr)> = a
        .keys
        .iter()
        .zip(&key_exprs)
        .map(|((name, _), e)| {
            let mut e = (*e).clone();
            remap(&mut e, &position);
            (name.clone(), e)
        })
        .collect();
    exprs.push((
        count_name.to_string(),
        column(used.len(), count_name, KqlType::Long),
    ));
    let computed = LogicalPlan::Project(Project {
        input: Box::new(inner),
        exprs,
    });
    let nkeys = a.keys.len();
    Some(LogicalPlan::Aggregate(Aggregate {
        input: Box::new(computed),
        keys: a
            .keys
            .iter()
            .enumerate()
            .map(|(i, (name, k))| (name.clone(), column(i, name, k.ty)))
            .collect(),
        aggs: a
            .aggs
            .iter()
            .map(|(name, e)| {
                (
                    name.clone(),
                    AggExpr {
                        func: AggFunc::Sum,
                        args: vec![column(nkeys, count_name, KqlType::Long)],
                        ty: KqlType::Long,
                        span: e.span,
                    },
                )
            })
            .collect(),
    }))
}

/// `Filter(Filter(x, a), b)` becomes `Filter(x, a and b)`: one selection
/// instead of two copies of every column.
fn merge_filters(plan: LogicalPlan) -> LogicalPlan {
    map_inputs(plan, &merge_filters, |plan| match plan {
        LogicalPlan::Filter(Filter { input, predicate }) => match *input {
            LogicalPlan::Filter(inner) => {
                let span = inner.predicate.span.to(predicate.span);
                LogicalPlan::Filter(Filter {
                    input: inner.input,
                    predicate: PlanExpr::new(
                        PlanExprKind::Binary {
                            op: BinOp::And,
                            left: Box::new(inner.predicate),
                            right: Box::new(predicate),
                        },
                        KqlType::Bool,
                        span,
                    ),
                })
            }
            other => LogicalPlan::Filter(Filter {
                input: Box::new(other),
                predicate,
            }),
        },
        other => other,
    })
}

/// Rebuilds `plan` with `f` applied to each input, then `post` to the node.
fn map_inputs(
    plan: LogicalPlan,
    f: &dyn Fn(LogicalPlan) -> LogicalPlan,
    post: impl Fn(LogicalPlan) -> LogicalPlan,
) -> LogicalPlan {
    let b = |p: Box<LogicalPlan>| Box::new(f(*p));
    let plan = match plan {
        LogicalPlan::Filter(x) => LogicalPlan::Filter(Filter {
            input: b(x.input),
            predicate: x.predicate,
        }),
        LogicalPlan::Project(x) => LogicalPlan::Project(Project {
            input: b(x.input),
            exprs: x.exprs,
        }),
        LogicalPlan::Sort(x) => LogicalPlan::Sort(Sort {
            input: b(x.input),
            keys: x.keys,
        }),
        LogicalPlan::Limit(x) => LogicalPlan::Limit(Limit {
            input: b(x.input),
            count: x.count,
        }),
        LogicalPlan::Aggregate(x) => LogicalPlan::Aggregate(Aggregate {
            input: b(x.input),
            keys: x.keys,
            aggs: x.aggs,
        }),
        LogicalPlan::Join(x) => LogicalPlan::Join(Join {
            left: b(x.left),
            right: b(x.right),
            ..x
        }),
        LogicalPlan::Union(x) => LogicalPlan::Union(Union {
            inputs: x.inputs.into_iter().map(f).collect(),
            ..x
        }),
        LogicalPlan::MvExpand(x) => LogicalPlan::MvExpand(MvExpand {
            input: b(x.input),
            ..x
        }),
        LogicalPlan::Serialize(x) => LogicalPlan::Serialize(b(x)),
        LogicalPlan::Window(x) => LogicalPlan::Window(Window {
            input: b(x.input),
            ..x
        }),
        LogicalPlan::Parse(x) => LogicalPlan::Parse(Parse {
            input: b(x.input),
            ..x
        }),
        LogicalPlan::MvApply(x) => LogicalPlan::MvApply(MvApply {
            input: b(x.input),
            ..x
        }),
        LogicalPlan::Partition(x) => LogicalPlan::Partition(Partition {
            input: b(x.input),
            ..x
        }),
        LogicalPlan::MakeSeries(x) => LogicalPlan::MakeSeries(Box::new(MakeSeries {
            input: b(x.input),
            ..*x
        })),
        LogicalPlan::RowOp(x) => LogicalPlan::RowOp(Box::new(crate::rowops::RowOp {
            input: b(x.input),
            ..*x
        })),
        leaf @ (LogicalPlan::Scan(_)
        | LogicalPlan::Values(_)
        | LogicalPlan::SingleRow
        | LogicalPlan::Range(_)) => leaf,
    };
    post(plan)
}

/// Applies `f` to every expression of every node.
fn map_exprs(plan: LogicalPlan, f: &dyn Fn(PlanExpr) -> PlanExpr) -> LogicalPlan {
    map_inputs(plan, &|p| map_exprs(p, f), |node| map_own_exprs(node, f))
}

/// Applies `f` to the expressions of `plan`'s own node (not its inputs').
fn map_own_exprs(plan: LogicalPlan, f: &dyn Fn(PlanExpr) -> PlanExpr) -> LogicalPlan {
    match plan {
        LogicalPlan::Filter(x) => LogicalPlan::Filter(Filter {
            predicate: f(x.predicate),
            ..x
        }),
        LogicalPlan::Project(x) => LogicalPlan::Project(Project {
            exprs: x.exprs.into_iter().map(|(n, e)| (n, f(e))).collect(),
            ..x
        }),
        LogicalPlan::Sort(x) => LogicalPlan::Sort(Sort {
            keys: x
                .keys
                .into_iter()
                .map(|k| SortKey {
                    expr: f(k.expr),
                    ..k
                })
                .collect(),
            ..x
        }),
        LogicalPlan::Aggregate(x) => LogicalPlan::Aggregate(Aggregate {
            keys: x.keys.into_iter().map(|(n, e)| (n, f(e))).collect(),
            aggs: x
                .aggs
                .into_iter()
                .map(|(n, a)| {
                    (
                        n,
                        AggExpr {
                            args: a.args.into_iter().map(f).collect(),
                            ..a
                        },
                    )
                })
                .collect(),
            ..x
        }),
        LogicalPlan::Join(x) => LogicalPlan::Join(Join {
            left_keys: x.left_keys.into_iter().map(f).collect(),
            right_keys: x.right_keys.into_iter().map(f).collect(),
            ..x
        }),
        LogicalPlan::Parse(x) => LogicalPlan::Parse(Parse {
            expr: f(x.expr),
            ..x
        }),
        LogicalPlan::Window(x) => LogicalPlan::Window(Window {
            funcs: x
                .funcs
                .into_iter()
                .map(|(n, w, t)| (n, map_window(w, f), t))
                .collect(),
            ..x
        }),
        LogicalPlan::MakeSeries(x) => {
            let x = *x;
            LogicalPlan::MakeSeries(Box::new(MakeSeries {
                start: x.start.map(f),
                end: x.end.map(f),
                ..x
            }))
        }
        other => other,
    }
}

fn map_window(w: WindowFunc, f: &dyn Fn(PlanExpr) -> PlanExpr) -> WindowFunc {
    match w {
        WindowFunc::RowNumber { start, restart } => WindowFunc::RowNumber {
            start,
            restart: restart.map(f),
        },
        WindowFunc::Shift {
            expr,
            offset,
            default,
        } => WindowFunc::Shift {
            expr: f(expr),
            offset,
            default: default.map(f),
        },
        WindowFunc::CumSum { expr, restart } => WindowFunc::CumSum {
            expr: f(expr),
            restart: restart.map(f),
        },
        WindowFunc::Rank {
            expr,
            dense,
            restart,
        } => WindowFunc::Rank {
            expr: f(expr),
            dense,
            restart: restart.map(f),
        },
        WindowFunc::Session {
            expr,
            max_from_first,
            max_between,
            restart,
        } => WindowFunc::Session {
            expr: f(expr),
            max_from_first,
            max_between,
            restart: restart.map(f),
        },
    }
}

/// The expressions of a window function.
fn window_exprs(w: &mut WindowFunc) -> Vec<&mut PlanExpr> {
    match w {
        WindowFunc::RowNumber { restart, .. } => restart.iter_mut().collect(),
        WindowFunc::Shift { expr, default, .. } => {
            let mut v = vec![expr];
            v.extend(default.iter_mut());
            v
        }
        WindowFunc::CumSum { expr, restart }
        | WindowFunc::Rank { expr, restart, .. }
        | WindowFunc::Session { expr, restart, .. } => {
            let mut v = vec![expr];
            v.extend(restart.iter_mut());
            v
        }
    }
}

/// Folds arithmetic on constants (`IncidentTime - 2m` becomes one
/// datetime), bottom-up. Only exact, error-free cases are folded; anything
/// else is left for the evaluator.
pub(crate) fn fold(e: PlanExpr) -> PlanExpr {
    use kql_common::ScalarValue as S;
    let PlanExpr { kind, ty, span } = e;
    let kind = match kind {
        PlanExprKind::Binary { op, left, right } => {
            let (l, r) = (fold(*left), fold(*right));
            let folded = match (op, l.as_literal(), r.as_literal()) {
                (BinOp::Add, Some(S::DateTime(a)), Some(S::TimeSpan(b)))
                | (BinOp::Add, Some(S::TimeSpan(b)), Some(S::DateTime(a))) => {
                    a.checked_add(*b).map(S::DateTime)
                }
                (BinOp::Sub, Some(S::DateTime(a)), Some(S::TimeSpan(b))) => {
                    a.checked_sub(*b).map(S::DateTime)
                }
                (BinOp::Sub, Some(S::DateTime(a)), Some(S::DateTime(b))) => {
                    a.checked_sub(*b).map(S::TimeSpan)
                }
                (BinOp::Add, Some(S::TimeSpan(a)), Some(S::TimeSpan(b))) => {
                    a.checked_add(*b).map(S::TimeSpan)
                }
                (BinOp::Sub, Some(S::TimeSpan(a)), Some(S::TimeSpan(b))) => {
                    a.checked_sub(*b).map(S::TimeSpan)
                }
                (BinOp::Add, Some(S::Long(a)), Some(S::Long(b))) => a.checked_add(*b).map(S::Long),
                (BinOp::Sub, Some(S::Long(a)), Some(S::Long(b))) => a.checked_sub(*b).map(S::Long),
                (BinOp::Mul, Some(S::Long(a)), Some(S::Long(b))) => a.checked_mul(*b).map(S::Long),
                _ => None,
            };
            match folded {
                Some(v) if v.kql_type() == ty => PlanExprKind::Literal(v),
                _ => PlanExprKind::Binary {
                    op,
                    left: Box::new(l),
                    right: Box::new(r),
                },
            }
        }
        PlanExprKind::StrOp { op, left, right } => PlanExprKind::StrOp {
            op,
            left: Box::new(fold(*left)),
            right: Box::new(fold(*right)),
        },
        PlanExprKind::Between {
            expr,
            low,
            high,
            negated,
        } => PlanExprKind::Between {
            expr: Box::new(fold(*expr)),
            low: Box::new(fold(*low)),
            high: Box::new(fold(*high)),
            negated,
        },
        PlanExprKind::Not(x) => PlanExprKind::Not(Box::new(fold(*x))),
        PlanExprKind::Neg(x) => PlanExprKind::Neg(Box::new(fold(*x))),
        PlanExprKind::Cast { expr, to } => PlanExprKind::Cast {
            expr: Box::new(fold(*expr)),
            to,
        },
        PlanExprKind::Regex { expr, pattern } => PlanExprKind::Regex {
            expr: Box::new(fold(*expr)),
            pattern,
        },
        PlanExprKind::InList {
            expr,
            list,
            negated,
            case_insensitive,
        } => PlanExprKind::InList {
            expr: Box::new(fold(*expr)),
            list,
            negated,
            case_insensitive,
        },
        PlanExprKind::Call { func, args } => PlanExprKind::Call {
            func,
            args: args.into_iter().map(fold).collect(),
        },
        other => other,
    };
    PlanExpr { kind, ty, span }
}

/// The input columns an expression reads.
fn columns_of(e: &PlanExpr, out: &mut BTreeSet<usize>) {
    out.extend(e.column_indices());
}

fn remap(e: &mut PlanExpr, map: &HashMap<usize, usize>) {
    match &mut e.kind {
        PlanExprKind::Column { index, .. } => {
            if let Some(&n) = map.get(index) {
                *index = n;
            }
        }
        PlanExprKind::Literal(_) => {}
        PlanExprKind::Binary { left, right, .. } | PlanExprKind::StrOp { left, right, .. } => {
            remap(left, map);
            remap(right, map);
        }
        PlanExprKind::Regex { expr, .. }
        | PlanExprKind::InList { expr, .. }
        | PlanExprKind::Not(expr)
        | PlanExprKind::Neg(expr)
        | PlanExprKind::Cast { expr, .. } => remap(expr, map),
        PlanExprKind::Between {
            expr, low, high, ..
        } => {
            remap(expr, map);
            remap(low, map);
            remap(high, map);
        }
        PlanExprKind::Call { args, .. } => args.iter_mut().for_each(|a| remap(a, map)),
    }
}

fn identity(n: usize) -> HashMap<usize, usize> {
    (0..n).map(|i| (i, i)).collect()
}

/// Rewrites `plan` so that it produces at least the columns in `needed`
/// (indices into its original output). Returns the new plan and where each
/// kept original column now sits in its output.
fn prune(plan: LogicalPlan, needed: &BTreeSet<usize>) -> (LogicalPlan, HashMap<usize, usize>) {
    match plan {
        LogicalPlan::Scan(scan) => {
            let n = scan.schema.len();
            if needed.len() == n {
                return (LogicalPlan::Scan(scan), identity(n));
            }
            let exprs: Vec<(String, PlanExpr)> = needed
                .iter()
                .filter_map(|&i| scan.schema.columns.get(i).map(|c| (i, c)))
                .map(|(i, c)| {
                    (
                        c.name.clone(),
                        PlanExpr::new(
                            PlanExprKind::Column {
                                index: i,
                                name: c.name.clone(),
                            },
                            c.ty,
                            Span::default(),
                        ),
                    )
                })
                .collect();
            let map = needed
                .iter()
                .enumerate()
                .map(|(new, &old)| (old, new))
                .collect();
            (
                LogicalPlan::Project(Project {
                    input: Box::new(LogicalPlan::Scan(scan)),
                    exprs,
                }),
                map,
            )
        }
        LogicalPlan::Filter(Filter {
            input,
            mut predicate,
        }) => {
            let mut want = needed.clone();
            columns_of(&predicate, &mut want);
            let (input, map) = prune(*input, &want);
            remap(&mut predicate, &map);
            (
                LogicalPlan::Filter(Filter {
                    input: Box::new(input),
                    predicate,
                }),
                map,
            )
        }
        LogicalPlan::Sort(Sort { input, mut keys }) => {
            let mut want = needed.clone();
            for k in &keys {
                columns_of(&k.expr, &mut want);
            }
            let (input, map) = prune(*input, &want);
            for k in &mut keys {
                remap(&mut k.expr, &map);
            }
            (
                LogicalPlan::Sort(Sort {
                    input: Box::new(input),
                    keys,
                }),
                map,
            )
        }
        LogicalPlan::Limit(Limit { input, count }) => {
            let (input, map) = prune(*input, needed);
            (
                LogicalPlan::Limit(Limit {
                    input: Box::new(input),
                    count,
                }),
                map,
            )
        }
        LogicalPlan::Project(Project { input, exprs }) => {
            let kept: Vec<(usize, (String, PlanExpr))> = exprs
                .into_iter()
                .enumerate()
                .filter(|(i, _)| needed.contains(i))
                .collect();
            let mut want = BTreeSet::new();
            for (_, (_, e)) in &kept {
                columns_of(e, &mut want);
            }
            let (input, child_map) = prune(*input, &want);
            let mut map = HashMap::new();
            let mut exprs = Vec::with_capacity(kept.len());
            for (new, (old, (name, mut e))) in kept.into_iter().enumerate() {
                remap(&mut e, &child_map);
                map.insert(old, new);
                exprs.push((name, e));
            }
            (
                LogicalPlan::Project(Project {
                    input: Box::new(input),
                    exprs,
                }),
                map,
            )
        }
        LogicalPlan::Aggregate(Aggregate {
            input,
            mut keys,
            mut aggs,
        }) => {
            let n = keys.len() + aggs.len();
            let mut want = BTreeSet::new();
            for (_, e) in &keys {
                columns_of(e, &mut want);
            }
            for (_, a) in &aggs {
                for e in &a.args {
                    columns_of(e, &mut want);
                }
            }
            let (input, child_map) = prune(*input, &want);
            for (_, e) in &mut keys {
                remap(e, &child_map);
            }
            for (_, a) in &mut aggs {
                for e in &mut a.args {
                    remap(e, &child_map);
                }
            }
            (
                LogicalPlan::Aggregate(Aggregate {
                    input: Box::new(input),
                    keys,
                    aggs,
                }),
                identity(n),
            )
        }
        leaf @ (LogicalPlan::Values(_) | LogicalPlan::SingleRow | LogicalPlan::Range(_)) => {
            let n = leaf.schema().len();
            (leaf, identity(n))
        }
        LogicalPlan::Join(mut j) => {
            let output: Vec<(usize, JoinOutput)> = std::mem::take(&mut j.output)
                .into_iter()
                .enumerate()
                .filter(|(i, _)| needed.contains(i))
                .collect();
            let mut want_l = BTreeSet::new();
            let mut want_r = BTreeSet::new();
            for k in &j.left_keys {
                columns_of(k, &mut want_l);
            }
            for k in &j.right_keys {
                columns_of(k, &mut want_r);
            }
            for (_, o) in &output {
                if o.right {
                    want_r.insert(o.index);
                } else {
                    want_l.insert(o.index);
                }
            }
            let (left, lmap) = prune(*j.left, &want_l);
            let (right, rmap) = prune(*j.right, &want_r);
            for k in &mut j.left_keys {
                remap(k, &lmap);
            }
            for k in &mut j.right_keys {
                remap(k, &rmap);
            }
            let mut map = HashMap::new();
            let mut out = Vec::with_capacity(output.len());
            for (new, (old, mut o)) in output.into_iter().enumerate() {
                let m = if o.right { &rmap } else { &lmap };
                if let Some(&n) = m.get(&o.index) {
                    o.index = n;
                }
                map.insert(old, new);
                out.push(o);
            }
            j.output = out;
            j.left = Box::new(left);
            j.right = Box::new(right);
            (LogicalPlan::Join(j), map)
        }
        LogicalPlan::Union(mut u) => {
            let offset = usize::from(u.source.is_some());
            let keep: Vec<usize> = (0..u.schema.len())
                .filter(|i| needed.contains(&(i + offset)))
                .collect();
            let mut inputs = Vec::with_capacity(u.inputs.len());
            let mut maps = Vec::with_capacity(u.inputs.len());
            for (input, m) in std::mem::take(&mut u.inputs).into_iter().zip(&u.maps) {
                let want: BTreeSet<usize> = keep
                    .iter()
                    .filter_map(|&i| m.get(i).copied().flatten())
                    .collect();
                let (p, cmap) = prune(input, &want);
                maps.push(
                    keep.iter()
                        .map(|&i| {
                            m.get(i)
                                .copied()
                                .flatten()
                                .and_then(|c| cmap.get(&c).copied())
                        })
                        .collect(),
                );
                inputs.push(p);
            }
            let mut map = HashMap::new();
            if offset == 1 {
                map.insert(0, 0);
            }
            for (new, &old) in keep.iter().enumerate() {
                map.insert(old + offset, new + offset);
            }
            u.schema = Schema::new(
                keep.iter()
                    .filter_map(|&i| u.schema.columns.get(i).cloned())
                    .collect(),
            );
            u.inputs = inputs;
            u.maps = maps;
            (LogicalPlan::Union(u), map)
        }
        LogicalPlan::MvExpand(mut m) => {
            let n_in = m.input.schema().len();
            let mut want: BTreeSet<usize> = needed.iter().copied().filter(|&i| i < n_in).collect();
            want.extend(m.columns.iter().map(|(i, _)| *i));
            let (input, cmap) = prune(*m.input, &want);
            let child_len = input.schema().len();
            for (i, _) in &mut m.columns {
                if let Some(&n) = cmap.get(i) {
                    *i = n;
                }
            }
            let mut map = cmap;
            if m.item_index.is_some() {
                map.insert(n_in, child_len);
            }
            m.input = Box::new(input);
            (LogicalPlan::MvExpand(m), map)
        }
        LogicalPlan::Serialize(input) => {
            let (input, map) = prune(*input, needed);
            (LogicalPlan::Serialize(Box::new(input)), map)
        }
        LogicalPlan::Partition(mut p) => {
            // The subquery reads the input's columns by position.
            let n_in = p.input.schema().len();
            let all: BTreeSet<usize> = (0..n_in).collect();
            let (input, _) = prune(*p.input, &all);
            p.input = Box::new(input);
            let n = p.sub.schema().len();
            (LogicalPlan::Partition(p), identity(n))
        }
        LogicalPlan::MakeSeries(mut m) => {
            // Every aggregate is an output column.
            let n_in = m.input.schema().len();
            let all: BTreeSet<usize> = (0..n_in).collect();
            let (input, _) = prune(*m.input, &all);
            m.input = Box::new(input);
            let n = LogicalPlan::MakeSeries(m.clone()).schema().len();
            (LogicalPlan::MakeSeries(m), identity(n))
        }
        LogicalPlan::MvApply(mut m) => {
            // The expansion and the subquery read the input's columns by
            // position: keep them all.
            let n_in = m.input.schema().len();
            let all: BTreeSet<usize> = (0..n_in).collect();
            let (input, _) = prune(*m.input, &all);
            m.input = Box::new(input);
            let n = LogicalPlan::MvApply(m.clone()).schema().len();
            (LogicalPlan::MvApply(m), identity(n))
        }
        LogicalPlan::Parse(mut p) => {
            // Keep every input column: the output positions of the parsed
            // columns depend on the input schema.
            let n_in = p.input.schema().len();
            let all: BTreeSet<usize> = (0..n_in).collect();
            let (input, cmap) = prune(*p.input, &all);
            remap(&mut p.expr, &cmap);
            p.input = Box::new(input);
            let n = LogicalPlan::Parse(p.clone()).schema().len();
            (LogicalPlan::Parse(p), identity(n))
        }
        LogicalPlan::Window(mut w) => {
            let n_in = w.input.schema().len();
            let mut want: BTreeSet<usize> = needed.iter().copied().filter(|&i| i < n_in).collect();
            for (_, f, _) in &mut w.funcs {
                for e in window_exprs(f) {
                    columns_of(e, &mut want);
                }
            }
            let (input, cmap) = prune(*w.input, &want);
            let child_len = input.schema().len();
            for (_, f, _) in &mut w.funcs {
                for e in window_exprs(f) {
                    remap(e, &cmap);
                }
            }
            let mut map = cmap;
            for k in 0..w.funcs.len() {
                map.insert(n_in + k, child_len + k);
            }
            w.input = Box::new(input);
            (LogicalPlan::Window(w), map)
        }
        LogicalPlan::RowOp(mut r) => {
            // The node reads its input's columns by position: keep them all.
            let n_in = r.input.schema().len();
            let all: BTreeSet<usize> = (0..n_in).collect();
            let (input, _) = prune(*r.input, &all);
            r.input = Box::new(input);
            let n = r.schema().len();
            (LogicalPlan::RowOp(r), identity(n))
        }
    }
}
