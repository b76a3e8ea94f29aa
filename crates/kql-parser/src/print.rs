//! Prints a syntax tree back as canonical KQL text.
//!
//! The output parses back to the same tree (spans aside): parentheses are
//! added wherever precedence needs them, names that are keywords or not plain
//! identifiers are bracketed, and literals are written in a form the lexer
//! reads back exactly.

use crate::ast::Query;
use crate::ast::{
    BinaryOp, ColumnDecl, Expr, ExprKind, Ident, ListOp, Literal, NamedExpr, NullsOrder, Operator,
    OperatorKind, Param, ParamType, ParseKind, ParsePart, ScanOutput, ScanSpec, SortKey, SortOrder,
    Statement, StatementKind, StrOpKind, UnaryOp, Union,
};
use crate::expr::STR_OPS;
use crate::lexical::is_plain_ident;
use kql_common::time::{
    format_timespan, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MICROSECOND, TICKS_PER_MILLISECOND,
    TICKS_PER_MINUTE, TICKS_PER_SECOND,
};

/// Prints `query` as canonical KQL: one statement per line, a top-level
/// pipeline with one operator per line.
pub fn print(query: &Query) -> String {
    let mut out = String::new();
    for (i, s) in query.statements.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        statement(&mut out, s);
        if i + 1 < query.statements.len() {
            out.push(';');
        }
    }
    out
}

/// Words that must be bracketed when used as names.
const RESERVED: &[&str] = &[
    "and",
    "or",
    "by",
    "asc",
    "desc",
    "nulls",
    "first",
    "last",
    "from",
    "to",
    "step",
    "let",
    "print",
    "datatable",
    "range",
    "in",
    "between",
    "has_any",
    "has_all",
    "matches",
    "regex",
    "hint",
];

// Precedence levels, lowest first.
const P_PIPE: u8 = 0;
/// `print ...` and `range ...`: their last expression extends to the right.
const P_SOURCE: u8 = 1;
const P_OR: u8 = 2;
const P_AND: u8 = 3;
const P_CMP: u8 = 4;
const P_ADD: u8 = 5;
const P_MUL: u8 = 6;
const P_UNARY: u8 = 7;
const P_POSTFIX: u8 = 8;
const P_ATOM: u8 = 9;

fn statement(out: &mut String, s: &Statement) {
    match &s.kind {
        StatementKind::Let { name, value } => {
            out.push_str("let ");
            ident(out, name);
            out.push_str(" = ");
            pipeline(out, value);
        }
        StatementKind::Query(e) => pipeline(out, e),
        StatementKind::Function { name, def } => {
            out.push_str("let ");
            ident(out, name);
            out.push_str(" = ");
            if def.view {
                out.push_str("view ");
            }
            params(out, &def.params);
            out.push_str(" {\n");
            for st in &def.body {
                statement(out, st);
                out.push_str(";\n");
            }
            pipeline(out, &def.result);
            out.push_str("\n}");
        }
        StatementKind::DeclareParams(ps) => {
            out.push_str("declare query_parameters ");
            params(out, ps);
        }
        StatementKind::Set { name, value } => {
            out.push_str("set ");
            ident(out, name);
            if let Some(v) = value {
                out.push_str(" = ");
                pipeline(out, v);
            }
        }
    }
}

fn params(out: &mut String, ps: &[Param]) {
    out.push('(');
    sep_by(out, ps, ", ", |out, p| {
        ident(out, &p.name);
        out.push(':');
        match &p.ty {
            ParamType::Scalar(t) => out.push_str(t.name()),
            ParamType::Tabular(cols) if cols.is_empty() => out.push_str("(*)"),
            ParamType::Tabular(cols) => column_decls(out, cols),
        }
        if let Some(d) = &p.default {
            out.push_str(" = ");
            expr(out, d, P_OR);
        }
    });
    out.push(')');
}

/// Prints each of `items` with `each`, `sep` between them.
fn sep_by<T>(out: &mut String, items: &[T], sep: &str, mut each: impl FnMut(&mut String, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        each(out, item);
    }
}

/// Expressions separated by commas, each printed at precedence `p`.
fn exprs(out: &mut String, es: &[Expr], p: u8) {
    sep_by(out, es, ", ", |out, e| expr(out, e, p));
}

/// `(name:type, ...)`.
fn column_decls(out: &mut String, cols: &[ColumnDecl]) {
    out.push('(');
    sep_by(out, cols, ", ", column_decl);
    out.push(')');
}

/// `name:type`.
fn column_decl(out: &mut String, c: &ColumnDecl) {
    ident(out, &c.name);
    out.push(':');
    out.push_str(c.ty.name());
}

fn union_body(out: &mut String, u: &Union) {
    out.push_str("union ");
    if u.inner {
        out.push_str("kind=inner ");
    }
    if let Some(w) = &u.with_source {
        out.push_str("withsource=");
        ident(out, w);
        out.push(' ');
    }
    if u.fuzzy {
        out.push_str("isfuzzy=true ");
    }
    sep_by(out, &u.tables, ", ", |out, t| match &t.kind {
        ExprKind::Name(id) if id.name.contains('*') => patterns(out, "", std::slice::from_ref(id)),
        ExprKind::Name(id) => ident(out, id),
        _ => {
            out.push('(');
            expr(out, t, P_PIPE);
            out.push(')');
        }
    });
}

fn join_conditions(out: &mut String, on: &[Expr]) {
    out.push_str(" on ");
    exprs(out, on, P_OR);
}

fn right_table(out: &mut String, e: &Expr) {
    out.push('(');
    expr(out, e, P_PIPE);
    out.push(')');
}

/// A top-level pipeline: one operator per line.
fn pipeline(out: &mut String, e: &Expr) {
    let mut ops = Vec::new();
    let mut cur = e;
    while let ExprKind::Pipe { input, op } = &cur.kind {
        ops.push(op.as_ref());
        cur = input;
    }
    expr(out, cur, P_PIPE);
    for op in ops.iter().rev() {
        out.push_str("\n| ");
        operator(out, op);
    }
}

fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Pipe { .. } => P_PIPE,
        ExprKind::Print(_) | ExprKind::Range { .. } | ExprKind::Union(_) => P_SOURCE,
        ExprKind::Binary { op, .. } => binary_prec(*op),
        ExprKind::Between { .. } | ExprKind::InList { .. } => P_CMP,
        ExprKind::Unary { .. } => P_UNARY,
        ExprKind::Literal(Literal::Long(v)) if *v < 0 => P_UNARY,
        ExprKind::Literal(Literal::Real(v)) if v.is_sign_negative() && !v.is_nan() => P_UNARY,
        ExprKind::Literal(Literal::TimeSpan(v)) if *v < 0 => P_UNARY,
        ExprKind::Member { .. } | ExprKind::Index { .. } | ExprKind::Call { .. } => P_POSTFIX,
        ExprKind::NamedArg { .. } => P_PIPE,
        ExprKind::Literal(_)
        | ExprKind::Name(_)
        | ExprKind::Star
        | ExprKind::DataTable { .. }
        | ExprKind::ExternalData { .. } => P_ATOM,
    }
}

fn binary_prec(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => P_OR,
        BinaryOp::And => P_AND,
        BinaryOp::Add | BinaryOp::Sub => P_ADD,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => P_MUL,
        _ => P_CMP,
    }
}

fn binary_text(op: BinaryOp) -> String {
    match op {
        BinaryOp::Add => "+".into(),
        BinaryOp::Sub => "-".into(),
        BinaryOp::Mul => "*".into(),
        BinaryOp::Div => "/".into(),
        BinaryOp::Mod => "%".into(),
        BinaryOp::Eq => "==".into(),
        BinaryOp::NotEq => "!=".into(),
        BinaryOp::Lt => "<".into(),
        BinaryOp::Le => "<=".into(),
        BinaryOp::Gt => ">".into(),
        BinaryOp::Ge => ">=".into(),
        BinaryOp::And => "and".into(),
        BinaryOp::Or => "or".into(),
        BinaryOp::MatchesRegex => "matches regex".into(),
        BinaryOp::Str(s) => {
            if s.kind == StrOpKind::Equals {
                return if s.negated { "!~" } else { "=~" }.into();
            }
            let word = STR_OPS
                .iter()
                .find(|(_, k, cs)| *k == s.kind && *cs == s.case_sensitive)
                .map_or("contains", |(w, _, _)| w);
            if s.negated {
                format!("!{word}")
            } else {
                word.to_string()
            }
        }
    }
}

/// Prints `e`, parenthesised if it binds more loosely than `min`.
fn expr(out: &mut String, e: &Expr, min: u8) {
    if prec(e) < min {
        out.push('(');
        expr(out, e, P_PIPE);
        out.push(')');
        return;
    }
    match &e.kind {
        ExprKind::Literal(l) => literal(out, l),
        ExprKind::Name(id) => ident(out, id),
        ExprKind::Star => out.push('*'),
        ExprKind::NamedArg { name, value } => {
            ident(out, name);
            out.push_str(" = ");
            expr(out, value, P_PIPE);
        }
        ExprKind::Call { func, args } => {
            ident(out, func);
            out.push('(');
            exprs(out, args, P_PIPE);
            out.push(')');
        }
        ExprKind::Unary { op, expr: inner } => {
            out.push(match op {
                UnaryOp::Neg => '-',
                UnaryOp::Plus => '+',
            });
            let mut s = String::new();
            expr(&mut s, inner, P_UNARY);
            if s.starts_with(['-', '+']) {
                out.push(' ');
            }
            out.push_str(&s);
        }
        ExprKind::Binary { op, left, right } => {
            let p = binary_prec(*op);
            expr(out, left, p);
            out.push(' ');
            out.push_str(&binary_text(*op));
            out.push(' ');
            expr(out, right, p + 1);
        }
        ExprKind::Between {
            expr: inner,
            low,
            high,
            negated,
        } => {
            expr(out, inner, P_CMP);
            out.push_str(if *negated {
                " !between ("
            } else {
                " between ("
            });
            expr(out, low, P_OR);
            out.push_str(" .. ");
            expr(out, high, P_OR);
            out.push(')');
        }
        ExprKind::InList {
            expr: inner,
            op,
            list,
        } => {
            expr(out, inner, P_CMP);
            out.push_str(match op {
                ListOp::In => " in (",
                ListOp::NotIn => " !in (",
                ListOp::InCi => " in~ (",
                ListOp::NotInCi => " !in~ (",
                ListOp::HasAny => " has_any (",
                ListOp::HasAll => " has_all (",
            });
            exprs(out, list, P_PIPE);
            out.push(')');
        }
        ExprKind::Member { expr: inner, name } => {
            expr(out, inner, P_POSTFIX);
            out.push('.');
            ident(out, name);
        }
        ExprKind::Index { expr: inner, index } => {
            expr(out, inner, P_POSTFIX);
            out.push('[');
            expr(out, index, P_PIPE);
            out.push(']');
        }
        ExprKind::Pipe { input, op } => {
            expr(out, input, P_PIPE);
            out.push_str(" | ");
            operator(out, op);
        }
        ExprKind::Print(items) => {
            out.push_str("print ");
            named_list(out, items);
        }
        ExprKind::DataTable { columns, values } => {
            out.push_str("datatable");
            column_decls(out, columns);
            out.push('[');
            exprs(out, values, P_OR);
            out.push(']');
        }
        ExprKind::Union(u) => union_body(out, u),
        ExprKind::ExternalData {
            columns,
            urls,
            props,
        } => {
            out.push_str("externaldata");
            column_decls(out, columns);
            out.push_str(" [");
            sep_by(out, urls, ", ", |out, u| {
                string(out, u);
            });
            out.push(']');
            if !props.is_empty() {
                out.push_str(" with (");
                sep_by(out, props, ", ", |out, (k, v)| {
                    out.push_str(k);
                    out.push('=');
                    string(out, v);
                });
                out.push(')');
            }
        }
        ExprKind::Range {
            name,
            from,
            to,
            step,
        } => {
            out.push_str("range ");
            ident(out, name);
            out.push_str(" from ");
            expr(out, from, P_OR);
            out.push_str(" to ");
            expr(out, to, P_OR);
            out.push_str(" step ");
            expr(out, step, P_OR);
        }
    }
}

fn operator(out: &mut String, op: &Operator) {
    match &op.kind {
        OperatorKind::Where(e) => {
            out.push_str("where ");
            expr(out, e, P_OR);
        }
        OperatorKind::Project(items) => {
            out.push_str("project ");
            named_list(out, items);
        }
        OperatorKind::Extend(items) => {
            out.push_str("extend ");
            named_list(out, items);
        }
        OperatorKind::ProjectAway(ids) => patterns(out, "project-away ", ids),
        OperatorKind::ProjectKeep(ids) => patterns(out, "project-keep ", ids),
        OperatorKind::ProjectReorder(items) => {
            let ids: Vec<Ident> = items.iter().map(|(id, _)| id.clone()).collect();
            let orders: Vec<Option<SortOrder>> = items.iter().map(|(_, o)| *o).collect();
            patterns_with_order(out, "project-reorder ", &ids, &orders);
        }
        OperatorKind::ProjectRename(pairs) => {
            out.push_str("project-rename ");
            sep_by(out, pairs, ", ", |out, (new, old)| {
                ident(out, new);
                out.push_str(" = ");
                ident(out, old);
            });
        }
        OperatorKind::Sort(keys) => {
            out.push_str("sort by ");
            sep_by(out, keys, ", ", sort_key);
        }
        OperatorKind::Take(e) => {
            out.push_str("take ");
            expr(out, e, P_OR);
        }
        OperatorKind::Top { count, by } => {
            out.push_str("top ");
            expr(out, count, P_OR);
            out.push_str(" by ");
            sort_key(out, by);
        }
        OperatorKind::Count => out.push_str("count"),
        OperatorKind::Distinct(cols) => {
            out.push_str("distinct ");
            exprs(out, cols, P_OR);
        }
        OperatorKind::Summarize { aggs, by } => {
            out.push_str("summarize");
            if !aggs.is_empty() {
                out.push(' ');
                named_list(out, aggs);
            }
            if !by.is_empty() {
                out.push_str(" by ");
                named_list(out, by);
            }
        }
        other => operator_more(out, other),
    }
}

fn operator_more(out: &mut String, op: &OperatorKind) {
    match op {
        OperatorKind::Join { kind, right, on } => {
            out.push_str("join ");
            if let Some(k) = kind {
                out.push_str("kind=");
                out.push_str(k.name());
                out.push(' ');
            }
            right_table(out, right);
            join_conditions(out, on);
        }
        OperatorKind::Lookup { inner, right, on } => {
            out.push_str("lookup ");
            if *inner {
                out.push_str("kind=inner ");
            }
            right_table(out, right);
            join_conditions(out, on);
        }
        OperatorKind::Union(u) => union_body(out, u),
        OperatorKind::MvApply {
            items,
            item_index,
            bag_as_array,
            limit,
            ops,
        } => {
            let expand = OperatorKind::MvExpand {
                items: items.clone(),
                item_index: item_index.clone(),
                bag_as_array: *bag_as_array,
                limit: limit.clone(),
            };
            let mut head = String::new();
            operator_more(&mut head, &expand);
            out.push_str("mv-apply");
            out.push_str(head.strip_prefix("mv-expand").unwrap_or(&head));
            out.push_str(" on (");
            sep_by(out, ops, " | ", operator);
            out.push(')');
        }
        OperatorKind::MvExpand {
            items,
            item_index,
            bag_as_array,
            limit,
        } => {
            out.push_str("mv-expand ");
            if *bag_as_array {
                out.push_str("kind=array ");
            }
            if let Some(i) = item_index {
                out.push_str("with_itemindex=");
                ident(out, i);
                out.push(' ');
            }
            sep_by(out, items, ", ", |out, it| {
                named_list(out, std::slice::from_ref(&it.item));
                if let Some(t) = it.to {
                    out.push_str(" to typeof(");
                    out.push_str(t.name());
                    out.push(')');
                }
            });
            if let Some(l) = limit {
                out.push_str(" limit ");
                expr(out, l, P_OR);
            }
        }
        OperatorKind::Parse {
            kind,
            flags,
            filter,
            expr: e,
            parts,
        } => {
            out.push_str(if *filter { "parse-where " } else { "parse " });
            match kind {
                ParseKind::Simple => {}
                ParseKind::Regex => out.push_str("kind=regex "),
                ParseKind::Relaxed => out.push_str("kind=relaxed "),
            }
            if let Some(f) = flags {
                out.push_str("flags=");
                out.push_str(f);
                out.push(' ');
            }
            expr(out, e, P_OR);
            out.push_str(" with");
            for p in parts {
                out.push(' ');
                match p {
                    ParsePart::Text(t) => string(out, t),
                    ParsePart::Star => out.push('*'),
                    ParsePart::Column(id, ty) => {
                        ident(out, id);
                        if let Some(t) = ty {
                            out.push(':');
                            out.push_str(t.name());
                        }
                    }
                }
            }
        }
        OperatorKind::Render { chart, props } => {
            out.push_str("render ");
            ident(out, chart);
            if !props.is_empty() {
                out.push(' ');
                out.push_str(props);
            }
        }
        OperatorKind::Evaluate {
            plugin,
            args,
            schema,
        } => {
            out.push_str("evaluate ");
            ident(out, plugin);
            out.push('(');
            named_list(out, args);
            out.push(')');
            if let Some((star, cols)) = schema {
                out.push_str(" : (");
                if *star {
                    out.push('*');
                    if !cols.is_empty() {
                        out.push_str(", ");
                    }
                }
                sep_by(out, cols, ", ", column_decl);
                out.push(')');
            }
        }
        OperatorKind::Invoke(e) => {
            out.push_str("invoke ");
            expr(out, e, P_OR);
        }
        OperatorKind::Serialize(items) => {
            out.push_str("serialize");
            if !items.is_empty() {
                out.push(' ');
                named_list(out, items);
            }
        }
        OperatorKind::Search {
            case_sensitive,
            predicate,
        } => {
            out.push_str("search ");
            if *case_sensitive {
                out.push_str("kind=case_sensitive ");
            }
            expr(out, predicate, P_OR);
        }
        OperatorKind::Partition { by, ops, query } => {
            out.push_str("partition by ");
            ident(out, by);
            match query {
                Some(q) => {
                    out.push_str(" { ");
                    expr(out, q, P_PIPE);
                    out.push_str(" }");
                }
                None => {
                    out.push_str(" (");
                    sep_by(out, ops, " | ", operator);
                    out.push(')');
                }
            }
        }
        OperatorKind::TopNested(levels) => {
            sep_by(out, levels, ", ", |out, l| {
                out.push_str("top-nested ");
                if let Some(c) = &l.count {
                    expr(out, c, P_OR);
                    out.push(' ');
                }
                out.push_str("of ");
                named_list(out, std::slice::from_ref(&l.key));
                if let Some(o) = &l.others {
                    out.push_str(" with others = ");
                    expr(out, o, P_OR);
                }
                out.push_str(" by ");
                named_list(out, std::slice::from_ref(&l.agg));
                match l.order {
                    Some(SortOrder::Asc) => out.push_str(" asc"),
                    Some(SortOrder::Desc) => out.push_str(" desc"),
                    None => {}
                }
            });
        }
        OperatorKind::MakeSeries(m) => make_series(out, m),
        OperatorKind::GetSchema => out.push_str("getschema"),
        OperatorKind::As(id) => {
            out.push_str("as ");
            ident(out, id);
        }
        OperatorKind::Sample(e) => {
            out.push_str("sample ");
            expr(out, e, P_OR);
        }
        OperatorKind::Scan(spec) => scan(out, spec),
        OperatorKind::Facet { by, with } => {
            out.push_str("facet by ");
            sep_by(out, by, ", ", ident);
            if !with.is_empty() {
                out.push_str(" with (");
                sep_by(out, with, " | ", operator);
                out.push(')');
            }
        }
        OperatorKind::Reduce {
            source,
            expr: e,
            params,
        } => {
            out.push_str(if *source {
                "reduce kind=source by "
            } else {
                "reduce by "
            });
            expr(out, e, P_OR);
            for (i, (n, v)) in params.iter().enumerate() {
                out.push_str(if i == 0 { " with " } else { ", " });
                ident(out, n);
                out.push_str(" = ");
                expr(out, v, P_OR);
            }
        }
        OperatorKind::ProjectByNames(items) => {
            out.push_str("project-by-names ");
            exprs(out, items, P_OR);
        }
        OperatorKind::ParseKv {
            expr: e,
            keys,
            params,
        } => {
            out.push_str("parse-kv ");
            expr(out, e, P_OR);
            out.push_str(" as ");
            column_decls(out, keys);
            if !params.is_empty() {
                out.push_str(" with (");
                sep_by(out, params, ", ", |out, (n, v)| {
                    ident(out, n);
                    out.push_str(" = ");
                    expr(out, v, P_OR);
                });
                out.push(')');
            }
        }
        _ => {}
    }
}

fn scan(out: &mut String, spec: &ScanSpec) {
    out.push_str("scan ");
    if let Some(m) = &spec.match_id {
        out.push_str("with_match_id=");
        ident(out, m);
        out.push(' ');
    }
    if !spec.declare.is_empty() {
        out.push_str("declare (");
        sep_by(out, &spec.declare, ", ", |out, d| {
            ident(out, &d.name);
            out.push(':');
            out.push_str(d.ty.name());
            if let Some(v) = &d.default {
                out.push_str(" = ");
                expr(out, v, P_OR);
            }
        });
        out.push_str(") ");
    }
    out.push_str("with (");
    for s in &spec.steps {
        out.push_str(" step ");
        ident(out, &s.name);
        match s.output {
            ScanOutput::All => {}
            ScanOutput::Last => out.push_str(" output=last"),
            ScanOutput::None => out.push_str(" output=none"),
        }
        out.push_str(": ");
        expr(out, &s.condition, P_OR);
        for (i, (c, v)) in s.assignments.iter().enumerate() {
            out.push_str(if i == 0 { " => " } else { ", " });
            ident(out, c);
            out.push_str(" = ");
            expr(out, v, P_OR);
        }
        out.push(';');
    }
    out.push_str(" )");
}

fn sort_key(out: &mut String, k: &SortKey) {
    expr(out, &k.expr, P_OR);
    match k.order {
        Some(SortOrder::Asc) => out.push_str(" asc"),
        Some(SortOrder::Desc) => out.push_str(" desc"),
        None => {}
    }
    match k.nulls {
        Some(NullsOrder::First) => out.push_str(" nulls first"),
        Some(NullsOrder::Last) => out.push_str(" nulls last"),
        None => {}
    }
}

fn named_list(out: &mut String, items: &[NamedExpr]) {
    sep_by(out, items, ", ", |out, item| {
        match item.names.as_slice() {
            [] => {}
            [one] => {
                ident(out, one);
                out.push_str(" = ");
            }
            many => {
                out.push('(');
                for (j, n) in many.iter().enumerate() {
                    if j > 0 {
                        out.push_str(", ");
                    }
                    ident(out, n);
                }
                out.push_str(") = ");
            }
        }
        // A bare tuple-like `(a, b)` never occurs: the expression is scalar.
        expr(out, &item.expr, P_OR);
    });
}

fn patterns(out: &mut String, head: &str, ids: &[Ident]) {
    patterns_with_order(out, head, ids, &[]);
}

fn patterns_with_order(out: &mut String, head: &str, ids: &[Ident], orders: &[Option<SortOrder>]) {
    out.push_str(head);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let plain_pattern = id.name.contains('*')
            && id
                .name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'*')
            && !id.name.starts_with(|c: char| c.is_ascii_digit());
        if plain_pattern {
            out.push_str(&id.name);
        } else {
            ident(out, id);
        }
        match orders.get(i).copied().flatten() {
            Some(SortOrder::Asc) => out.push_str(" asc"),
            Some(SortOrder::Desc) => out.push_str(" desc"),
            None => {}
        }
    }
}

fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name)
        || STR_OPS.iter().any(|(w, _, _)| *w == name)
        || name.eq_ignore_ascii_case("true")
        || name.eq_ignore_ascii_case("false")
}

fn ident(out: &mut String, id: &Ident) {
    if is_plain_ident(&id.name) && !is_reserved(&id.name) {
        out.push_str(&id.name);
    } else {
        out.push_str("['");
        for c in id.name.chars() {
            escape_char(out, c, '\'');
        }
        out.push_str("']");
    }
}

fn escape_char(out: &mut String, c: char, quote: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        c if c == quote => {
            out.push('\\');
            out.push(c);
        }
        c if c.is_control() => {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
        c => out.push(c),
    }
}

fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        escape_char(out, c, '"');
    }
    out.push('"');
}

/// `word(text)`, quoting `text` unless it is plainly safe.
fn typed_text(out: &mut String, word: &str, text: &str) {
    out.push_str(word);
    out.push('(');
    let safe = !text.is_empty()
        && text.trim() == text
        && text
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b":.+-/ ".contains(&c))
        && text != "null";
    if safe {
        out.push_str(text);
    } else {
        string(out, text);
    }
    out.push(')');
}

fn timespan(out: &mut String, ticks: i64) {
    if ticks == 0 {
        out.push_str("0s");
        return;
    }
    let units: [(i64, &str); 7] = [
        (TICKS_PER_DAY, "d"),
        (TICKS_PER_HOUR, "h"),
        (TICKS_PER_MINUTE, "m"),
        (TICKS_PER_SECOND, "s"),
        (TICKS_PER_MILLISECOND, "ms"),
        (TICKS_PER_MICROSECOND, "microsecond"),
        (1, "tick"),
    ];
    for (per, unit) in units {
        if ticks % per == 0 {
            out.push_str(&format!("{}{unit}", ticks / per));
            return;
        }
    }
    // Unreachable: every tick count is a multiple of one tick.
    out.push_str(&format!("time({})", format_timespan(ticks)));
}

fn literal(out: &mut String, l: &Literal) {
    match l {
        Literal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Literal::Long(v) => out.push_str(&v.to_string()),
        Literal::Int(v) => out.push_str(&format!("int({v})")),
        Literal::Real(v) => {
            if v.is_nan() {
                out.push_str("real(nan)");
            } else if v.is_infinite() {
                out.push_str(if *v > 0.0 { "real(+inf)" } else { "real(-inf)" });
            } else {
                out.push_str(&format!("{v:?}"));
            }
        }
        Literal::String(s) => string(out, s),
        Literal::DateTime(raw) => typed_text(out, "datetime", raw),
        Literal::TimeSpan(t) => timespan(out, *t),
        Literal::Guid(g) => typed_text(out, "guid", g),
        Literal::Dynamic(v) => {
            out.push_str("dynamic(");
            out.push_str(&v.to_string());
            out.push(')');
        }
        Literal::Null(t) => {
            out.push_str(t.name());
            out.push_str("(null)");
        }
    }
}

fn make_series(out: &mut String, m: &crate::ast::MakeSeries) {
    out.push_str("make-series ");
    if m.nonempty {
        out.push_str("kind=nonempty ");
    }
    sep_by(out, &m.aggs, ", ", |out, (agg, default)| {
        named_list(out, std::slice::from_ref(agg));
        if let Some(d) = default {
            out.push_str(" default = ");
            expr(out, d, P_OR);
        }
    });
    out.push_str(" on ");
    ident(out, &m.axis);
    match &m.range {
        crate::ast::SeriesRange::FromTo { from, to, step } => {
            if let Some(f) = from {
                out.push_str(" from ");
                expr(out, f, P_OR);
            }
            if let Some(t) = to {
                out.push_str(" to ");
                expr(out, t, P_OR);
            }
            out.push_str(" step ");
            expr(out, step, P_OR);
        }
        crate::ast::SeriesRange::InRange { start, stop, step } => {
            out.push_str(" in range(");
            expr(out, start, P_OR);
            out.push_str(", ");
            expr(out, stop, P_OR);
            out.push_str(", ");
            expr(out, step, P_OR);
            out.push(')');
        }
    }
    if !m.by.is_empty() {
        out.push_str(" by ");
        named_list(out, &m.by);
    }
}
