//! Golden tests: `testdata/parser/ok/*.kql` against `*.ast` dumps and
//! `testdata/parser/err/*.kql` against `*.diag` files. Run with
//! `UPDATE_EXPECT=1` to rewrite the expected files.

use kql_common::Diagnostic;
use kql_parser::ast::{
    BinaryOp, Expr, ExprKind, Ident, ListOp, Literal, NamedExpr, NullsOrder, Operator,
    OperatorKind, Query, SortKey, SortOrder, Statement, StatementKind, StrOpKind, UnaryOp,
};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// A compact S-expression dump of a query, without spans. Top-level and
/// nested pipelines are flattened to `(pipeline source | op | op)`.
fn dump(q: &Query) -> String {
    let mut out = String::new();
    for s in &q.statements {
        match &s.kind {
            StatementKind::Let { name, value } => {
                let _ = write!(out, "(let {} ", ident(name));
                expr(&mut out, value, 1);
                out.push_str(")\n");
            }
            StatementKind::Query(e) => {
                out.push_str("(query ");
                expr(&mut out, e, 1);
                out.push_str(")\n");
            }
            StatementKind::Function { .. } | StatementKind::DeclareParams(_) => {
                let one = Query {
                    statements: vec![s.clone()],
                    span: s.span,
                };
                let _ = writeln!(out, "(statement {:?})", kql_parser::print(&one));
            }
            StatementKind::Set { name, value } => {
                let _ = write!(out, "(set {}", ident(name));
                if let Some(v) = value {
                    out.push(' ');
                    expr(&mut out, v, 1);
                }
                out.push_str(")\n");
            }
        }
    }
    out
}

fn ident(id: &Ident) -> String {
    let plain = !id.name.is_empty()
        && id
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '*' || c == '$' || c == '-');
    if plain {
        id.name.clone()
    } else {
        format!("[{:?}]", id.name)
    }
}

fn indent(out: &mut String, level: usize) {
    out.push('\n');
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn binop(op: BinaryOp) -> String {
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
        BinaryOp::MatchesRegex => "matches-regex".into(),
        BinaryOp::Str(s) => {
            let kind = match s.kind {
                StrOpKind::Equals => "equals",
                StrOpKind::Contains => "contains",
                StrOpKind::StartsWith => "startswith",
                StrOpKind::EndsWith => "endswith",
                StrOpKind::Has => "has",
                StrOpKind::HasPrefix => "hasprefix",
                StrOpKind::HasSuffix => "hassuffix",
            };
            format!(
                "{}{}{}",
                if s.negated { "!" } else { "" },
                kind,
                if s.case_sensitive { "_cs" } else { "_ci" }
            )
        }
    }
}

fn literal(out: &mut String, l: &Literal) {
    let _ = match l {
        Literal::Bool(b) => write!(out, "(bool {b})"),
        Literal::Long(v) => write!(out, "(long {v})"),
        Literal::Int(v) => write!(out, "(int {v})"),
        Literal::Real(v) => write!(out, "(real {v:?})"),
        Literal::String(s) => write!(out, "(string {s:?})"),
        Literal::DateTime(s) => write!(out, "(datetime {s:?})"),
        Literal::TimeSpan(t) => write!(out, "(timespan {t})"),
        Literal::Guid(s) => write!(out, "(guid {s:?})"),
        Literal::Dynamic(v) => write!(out, "(dynamic {v})"),
        Literal::Null(t) => write!(out, "(null {t})"),
    };
}

fn list(out: &mut String, items: &[Expr], level: usize) {
    for e in items {
        out.push(' ');
        expr(out, e, level);
    }
}

fn named(out: &mut String, items: &[NamedExpr], level: usize) {
    for n in items {
        out.push(' ');
        match n.names.as_slice() {
            [] => expr(out, &n.expr, level),
            names => {
                let names: Vec<String> = names.iter().map(ident).collect();
                if names.len() == 1 {
                    let _ = write!(out, "(= {} ", names.join(" "));
                } else {
                    let _ = write!(out, "(= ({}) ", names.join(" "));
                }
                expr(out, &n.expr, level);
                out.push(')');
            }
        }
    }
}

fn key(out: &mut String, k: &SortKey, level: usize) {
    out.push_str("(key ");
    expr(out, &k.expr, level);
    match k.order {
        Some(SortOrder::Asc) => out.push_str(" asc"),
        Some(SortOrder::Desc) => out.push_str(" desc"),
        None => {}
    }
    match k.nulls {
        Some(NullsOrder::First) => out.push_str(" nulls-first"),
        Some(NullsOrder::Last) => out.push_str(" nulls-last"),
        None => {}
    }
    out.push(')');
}

/// Canonical text of a syntax node that has no S-expression form here.
fn printed(e: Expr) -> String {
    let span = e.span;
    let q = Query {
        statements: vec![Statement {
            kind: StatementKind::Query(e),
            span,
        }],
        span,
    };
    format!("(printed {:?})", kql_parser::print(&q))
}

fn operator(out: &mut String, op: &Operator, level: usize) {
    let idents = |ids: &[Ident]| ids.iter().map(ident).collect::<Vec<_>>().join(" ");
    match &op.kind {
        OperatorKind::Join { .. }
        | OperatorKind::Lookup { .. }
        | OperatorKind::Union(_)
        | OperatorKind::MvExpand { .. }
        | OperatorKind::MvApply { .. }
        | OperatorKind::Parse { .. }
        | OperatorKind::Render { .. }
        | OperatorKind::Evaluate { .. }
        | OperatorKind::Invoke(_)
        | OperatorKind::Serialize(_)
        | OperatorKind::GetSchema
        | OperatorKind::Search { .. }
        | OperatorKind::Partition { .. }
        | OperatorKind::TopNested(_)
        | OperatorKind::MakeSeries(_)
        | OperatorKind::As(_)
        | OperatorKind::Sample(_)
        | OperatorKind::Scan(_)
        | OperatorKind::Facet { .. }
        | OperatorKind::Reduce { .. }
        | OperatorKind::ProjectByNames(_)
        | OperatorKind::ParseKv { .. } => {
            let input = Expr {
                kind: ExprKind::Name(Ident {
                    name: "_".into(),
                    span: op.span,
                }),
                span: op.span,
            };
            out.push_str(&printed(Expr {
                kind: ExprKind::Pipe {
                    input: Box::new(input),
                    op: Box::new(op.clone()),
                },
                span: op.span,
            }));
            return;
        }
        OperatorKind::Where(e) => {
            out.push_str("(where ");
            expr(out, e, level);
        }
        OperatorKind::Project(items) => {
            out.push_str("(project");
            named(out, items, level);
        }
        OperatorKind::Extend(items) => {
            out.push_str("(extend");
            named(out, items, level);
        }
        OperatorKind::ProjectAway(ids) => {
            let _ = write!(out, "(project-away {}", idents(ids));
        }
        OperatorKind::ProjectKeep(ids) => {
            let _ = write!(out, "(project-keep {}", idents(ids));
        }
        OperatorKind::ProjectReorder(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|(id, order)| match order {
                    Some(o) => format!("{} {o:?}", ident(id)),
                    None => ident(id),
                })
                .collect();
            let _ = write!(out, "(project-reorder {}", parts.join(" "));
        }
        OperatorKind::ProjectRename(pairs) => {
            out.push_str("(project-rename");
            for (n, o) in pairs {
                let _ = write!(out, " ({} {})", ident(n), ident(o));
            }
        }
        OperatorKind::Sort(keys) => {
            out.push_str("(sort");
            for k in keys {
                out.push(' ');
                key(out, k, level);
            }
        }
        OperatorKind::Take(e) => {
            out.push_str("(take ");
            expr(out, e, level);
        }
        OperatorKind::Top { count, by } => {
            out.push_str("(top ");
            expr(out, count, level);
            out.push(' ');
            key(out, by, level);
        }
        OperatorKind::Count => out.push_str("(count"),
        OperatorKind::Distinct(cols) => {
            out.push_str("(distinct");
            list(out, cols, level);
        }
        OperatorKind::Summarize { aggs, by } => {
            out.push_str("(summarize (aggs");
            named(out, aggs, level);
            out.push_str(") (by");
            named(out, by, level);
            out.push(')');
        }
    }
    out.push(')');
}

fn expr(out: &mut String, e: &Expr, level: usize) {
    match &e.kind {
        ExprKind::Union(_) | ExprKind::ExternalData { .. } => out.push_str(&printed(e.clone())),
        ExprKind::Literal(l) => literal(out, l),
        ExprKind::Name(id) => out.push_str(&ident(id)),
        ExprKind::Star => out.push('*'),
        ExprKind::NamedArg { name, value } => {
            let _ = write!(out, "(named {} ", ident(name));
            expr(out, value, level);
            out.push(')');
        }
        ExprKind::Call { func, args } => {
            let _ = write!(out, "(call {}", ident(func));
            list(out, args, level);
            out.push(')');
        }
        ExprKind::Unary { op, expr: inner } => {
            out.push_str(match op {
                UnaryOp::Neg => "(neg ",
                UnaryOp::Plus => "(plus ",
            });
            expr(out, inner, level);
            out.push(')');
        }
        ExprKind::Binary { op, left, right } => {
            let _ = write!(out, "({} ", binop(*op));
            expr(out, left, level);
            out.push(' ');
            expr(out, right, level);
            out.push(')');
        }
        ExprKind::Between {
            expr: inner,
            low,
            high,
            negated,
        } => {
            out.push_str(if *negated { "(!between " } else { "(between " });
            expr(out, inner, level);
            out.push(' ');
            expr(out, low, level);
            out.push(' ');
            expr(out, high, level);
            out.push(')');
        }
        ExprKind::InList {
            expr: inner,
            op,
            list: items,
        } => {
            let name = match op {
                ListOp::In => "in",
                ListOp::NotIn => "!in",
                ListOp::InCi => "in~",
                ListOp::NotInCi => "!in~",
                ListOp::HasAny => "has_any",
                ListOp::HasAll => "has_all",
            };
            let _ = write!(out, "({name} ");
            expr(out, inner, level);
            out.push_str(" (list");
            list(out, items, level);
            out.push_str("))");
        }
        ExprKind::Member { expr: inner, name } => {
            out.push_str("(. ");
            expr(out, inner, level);
            let _ = write!(out, " {})", ident(name));
        }
        ExprKind::Index { expr: inner, index } => {
            out.push_str("([] ");
            expr(out, inner, level);
            out.push(' ');
            expr(out, index, level);
            out.push(')');
        }
        ExprKind::Pipe { .. } => {
            let mut ops = Vec::new();
            let mut cur = e;
            while let ExprKind::Pipe { input, op } = &cur.kind {
                ops.push(op.as_ref());
                cur = input;
            }
            out.push_str("(pipeline ");
            expr(out, cur, level + 1);
            for op in ops.iter().rev() {
                indent(out, level);
                out.push_str("| ");
                operator(out, op, level + 1);
            }
            out.push(')');
        }
        ExprKind::Print(items) => {
            out.push_str("(print");
            named(out, items, level);
            out.push(')');
        }
        ExprKind::DataTable { columns, values } => {
            out.push_str("(datatable (");
            let cols: Vec<String> = columns
                .iter()
                .map(|c| format!("({} {})", ident(&c.name), c.ty))
                .collect();
            out.push_str(&cols.join(" "));
            out.push(')');
            list(out, values, level);
            out.push(')');
        }
        ExprKind::Range {
            name,
            from,
            to,
            step,
        } => {
            let _ = write!(out, "(range {} ", ident(name));
            expr(out, from, level);
            out.push(' ');
            expr(out, to, level);
            out.push(' ');
            expr(out, step, level);
            out.push(')');
        }
    }
}

fn diag_text(src: &str, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let _ = writeln!(out, "code: {}", d.code);
        let _ = writeln!(out, "message: {}", d.message);
        if let Some(s) = d.span {
            let text = src
                .get(s.start..s.end)
                .unwrap_or("<not on a char boundary>");
            let _ = writeln!(out, "span: {}..{} {:?}", s.start, s.end, text);
        }
        if let Some(l) = &d.label {
            let _ = writeln!(out, "label: {l}");
        }
        for l in &d.secondary {
            let _ = writeln!(
                out,
                "secondary: {}..{} {}",
                l.span.start, l.span.end, l.message
            );
        }
        for n in &d.notes {
            let _ = writeln!(out, "note: {n}");
        }
        if let Some(h) = &d.help {
            let _ = writeln!(out, "help: {h}");
        }
    }
    out
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/parser")
}

fn kql_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("testdata directory exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "kql"))
        .collect();
    files.sort();
    files
}

/// Compares `actual` with the file at `path` (or rewrites it).
fn check(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(path, actual).expect("writes expected file");
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(expected) => failures.push(format!(
            "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        )),
        Err(_) => failures.push(format!(
            "{}: missing (run with UPDATE_EXPECT=1)\n--- actual\n{actual}",
            path.display()
        )),
    }
}

#[test]
fn ok_cases() {
    let files = kql_files(&testdata().join("ok"));
    assert!(files.len() >= 20, "only {} ok cases", files.len());
    let mut failures = Vec::new();
    for f in files {
        let src = std::fs::read_to_string(&f).expect("reads test input");
        let q = match kql_parser::parse(&src) {
            Ok(q) => q,
            Err(d) => {
                failures.push(format!("{}: {}", f.display(), diag_text(&src, &d)));
                continue;
            }
        };
        let tree = dump(&q);
        // Round trip: the printed query parses to the same tree, and
        // printing that tree gives the same text.
        let printed = kql_parser::print(&q);
        match kql_parser::parse(&printed) {
            Ok(again) => {
                if dump(&again) != tree {
                    failures.push(format!(
                        "{}: printed text parses differently:\n{printed}\n{}",
                        f.display(),
                        dump(&again)
                    ));
                }
                let reprinted = kql_parser::print(&again);
                if reprinted != printed {
                    failures.push(format!(
                        "{}: printing is not stable:\n{printed}\n---\n{reprinted}",
                        f.display()
                    ));
                }
            }
            Err(d) => failures.push(format!(
                "{}: printed text does not parse:\n{printed}\n{}",
                f.display(),
                diag_text(&printed, &d)
            )),
        }
        let actual = format!("{tree}---\n{printed}\n");
        check(&f.with_extension("ast"), &actual, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn err_cases() {
    let files = kql_files(&testdata().join("err"));
    assert!(files.len() >= 15, "only {} error cases", files.len());
    let mut failures = Vec::new();
    for f in files {
        let src = std::fs::read_to_string(&f).expect("reads test input");
        match kql_parser::parse(&src) {
            Ok(q) => failures.push(format!(
                "{}: parsed but should fail:\n{}",
                f.display(),
                dump(&q)
            )),
            Err(d) => check(
                &f.with_extension("diag"),
                &diag_text(&src, &d),
                &mut failures,
            ),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
