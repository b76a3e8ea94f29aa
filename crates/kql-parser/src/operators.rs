//! Tabular operators after a `|`: `where`, `project`, `summarize`, ...

use crate::ast::{
    ColumnDecl, Expr, ExprKind, Ident, JoinKind, MakeSeries, MvExpandItem, NamedExpr, NullsOrder,
    Operator, OperatorKind, ParseKind, ParsePart, ScanDecl, ScanOutput, ScanSpec, ScanStep,
    SeriesRange, SortKey, SortOrder, Union,
};
use crate::error::{self, codes};
use crate::expr::lone_assign;
use crate::lexical::{lex, Tok, Token};
use crate::parser::{PResult, Parser};
use kql_common::{Diagnostic, KqlType, Span};

/// The operators the parser accepts.
pub(crate) const OPERATORS: &[&str] = &[
    "where",
    "filter",
    "project",
    "extend",
    "project-away",
    "project-keep",
    "project-rename",
    "project-reorder",
    "sort",
    "order",
    "take",
    "limit",
    "top",
    "count",
    "distinct",
    "summarize",
    "join",
    "lookup",
    "union",
    "mv-expand",
    "parse",
    "render",
    "evaluate",
    "invoke",
    "serialize",
    "getschema",
    "as",
    "sample",
    "parse-where",
    "mv-apply",
    "search",
    "partition",
    "top-nested",
    "make-series",
    "scan",
    "parse-kv",
    "project-by-names",
    "reduce",
    "facet",
];

/// Kusto operators that exist but are not supported here.
const UNSUPPORTED: &[&str] = &[
    "consume",
    "extend-schema",
    "externaldata",
    "find",
    "fork",
    "graph-mark-components",
    "graph-match",
    "graph-shortest-paths",
    "graph-to-table",
    "make-graph",
    "project-smart",
    "sample-distinct",
    "top-hitters",
];

impl Parser<'_> {
    /// The operator after `pipe`.
    pub fn operator(&mut self, pipe: &Token) -> PResult<Operator> {
        let t = self.peek()?;
        if t.kind != Tok::Ident {
            return Err(error::unexpected(self.src, &t, "an operator after `|`")
                .with_secondary(pipe.span, "after this `|`")
                .with_help(format!("operators include {}", OPERATORS.join(", "))));
        }
        // Join hyphenated names: `project-away`, `mv-expand`.
        self.bump()?;
        let mut end = t.span.end;
        loop {
            let dash = self.peek()?;
            if dash.kind != Tok::Minus || dash.span.start != end {
                break;
            }
            let w = lex(self.src, dash.span.end)?;
            if w.kind != Tok::Ident || w.span.start != dash.span.end {
                break;
            }
            end = w.span.end;
            self.pos = end;
        }
        let name_span = Span::new(t.span.start, end);
        let name = self.text(name_span);
        let start = t.span.start;
        let kind = match name {
            "where" | "filter" => {
                let pred = self.expr(&format!("after `{name}`"))?;
                let next = self.peek()?;
                if next.kind == Tok::Assign {
                    return Err(lone_assign(self.src, &next));
                }
                OperatorKind::Where(pred)
            }
            "project" => OperatorKind::Project(self.named_exprs("after `project`")?),
            "extend" => OperatorKind::Extend(self.named_exprs("after `extend`")?),
            "project-away" => OperatorKind::ProjectAway(self.column_names()?),
            "project-keep" => OperatorKind::ProjectKeep(self.column_names()?),
            "project-reorder" => OperatorKind::ProjectReorder(self.column_patterns(true)?),
            "project-rename" => {
                let pairs = self.comma_separated(|p| {
                    let new = p.ident("a new column name")?;
                    p.expect(&Tok::Assign, "`=` (project-rename New = Old)")?;
                    let old = p.ident("an existing column name")?;
                    Ok((new, old))
                })?;
                OperatorKind::ProjectRename(pairs)
            }
            "sort" | "order" => {
                self.skip_params()?;
                self.expect_word("by")?;
                let keys = self.comma_separated(|p| p.sort_key())?;
                OperatorKind::Sort(keys)
            }
            "take" | "limit" => {
                self.skip_params()?;
                OperatorKind::Take(self.expr(&format!("after `{name}`"))?)
            }
            "top" => {
                self.skip_params()?;
                let count = self.expr("after `top`")?;
                self.expect_word("by")?;
                let by = self.sort_key()?;
                OperatorKind::Top { count, by }
            }
            "count" => OperatorKind::Count,
            "distinct" => {
                self.skip_params()?;
                if let Some(star) = self.eat(&Tok::Star)? {
                    OperatorKind::Distinct(vec![Expr {
                        kind: ExprKind::Star,
                        span: star.span,
                    }])
                } else {
                    let cols = self.comma_separated(|p| p.expr("after `distinct`"))?;
                    OperatorKind::Distinct(cols)
                }
            }
            "summarize" => {
                self.skip_params()?;
                let aggs = if self.at_word("by")? {
                    Vec::new()
                } else {
                    self.named_exprs("after `summarize`")?
                };
                let by = if self.eat_word("by")? {
                    self.named_exprs("after `by`")?
                } else {
                    Vec::new()
                };
                OperatorKind::Summarize { aggs, by }
            }
            "make-series" => OperatorKind::MakeSeries(Box::new(self.make_series()?)),
            "join" => {
                let mut kind = None;
                let params = self.operator_params(&["kind"])?;
                for (k, v) in &params {
                    if k.name == "kind" {
                        kind = Some(JoinKind::from_name(&v.name).ok_or_else(|| {
                            unknown_kind(
                                "join kind",
                                v,
                                "join kinds: innerunique, inner, leftouter, rightouter, \
                                 fullouter, leftsemi, leftanti, rightsemi, rightanti",
                            )
                        })?);
                    }
                }
                let right = self.right_table("join")?;
                let on = self.join_conditions()?;
                OperatorKind::Join {
                    kind,
                    right: Box::new(right),
                    on,
                }
            }
            "lookup" => {
                let mut inner = false;
                for (k, v) in self.operator_params(&["kind"])? {
                    if k.name == "kind" {
                        inner = match v.name.as_str() {
                            "inner" => true,
                            "leftouter" => false,
                            _ => {
                                return Err(unknown_kind(
                                    "lookup kind",
                                    &v,
                                    "lookup kinds: leftouter (the default), inner",
                                ))
                            }
                        };
                    }
                }
                let right = self.right_table("lookup")?;
                let on = self.join_conditions()?;
                OperatorKind::Lookup {
                    inner,
                    right: Box::new(right),
                    on,
                }
            }
            "union" => OperatorKind::Union(self.union_body()?),
            "mv-apply" => {
                let (items, item_index, bag_as_array, limit) = self.expand_items()?;
                self.expect_word("on")?;
                let open = self.expect(&Tok::LParen, "`(` and the subquery")?;
                let mut ops = vec![self.operator(&open)?];
                while let Some(pipe) = self.eat(&Tok::Pipe)? {
                    ops.push(self.operator(&pipe)?);
                }
                self.close(&Tok::RParen, &open)?;
                OperatorKind::MvApply {
                    items,
                    item_index,
                    bag_as_array,
                    limit,
                    ops,
                }
            }
            "mv-expand" => {
                let (items, item_index, bag_as_array, limit) = self.expand_items()?;
                OperatorKind::MvExpand {
                    items,
                    item_index,
                    bag_as_array,
                    limit,
                }
            }
            "parse" | "parse-where" => {
                let mut kind = ParseKind::Simple;
                let mut flags = None;
                for (k, v) in self.operator_params(&["kind", "flags"])? {
                    if k.name == "flags" {
                        flags = Some(v.name.clone());
                    } else if k.name == "kind" {
                        kind = match v.name.as_str() {
                            "simple" => ParseKind::Simple,
                            "regex" => ParseKind::Regex,
                            "relaxed" => ParseKind::Relaxed,
                            _ => {
                                return Err(Diagnostic::error(
                                    codes::UNEXPECTED_TOKEN,
                                    format!("unknown parse kind `{}`", v.name),
                                )
                                .with_span(v.span)
                                .with_help("parse kinds: simple, regex, relaxed"))
                            }
                        };
                    }
                }
                let expr = self.expr("after `parse`")?;
                self.expect_word("with")?;
                OperatorKind::Parse {
                    kind,
                    flags,
                    filter: name == "parse-where",
                    expr,
                    parts: self.parse_pattern()?,
                }
            }
            "render" => {
                let chart = self.ident("a chart type")?;
                let props_start = self.pos;
                // The properties do not change the data: keep their text.
                let mut depth = 0usize;
                loop {
                    let t = self.peek()?;
                    match t.kind {
                        Tok::Eof => break,
                        Tok::Pipe | Tok::Semi if depth == 0 => break,
                        Tok::LParen => depth += 1,
                        Tok::RParen if depth == 0 => break,
                        Tok::RParen => depth -= 1,
                        _ => {}
                    }
                    self.bump()?;
                }
                let props = self.src.get(props_start..self.pos).unwrap_or("").trim();
                OperatorKind::Render {
                    chart,
                    props: props.to_string(),
                }
            }
            "evaluate" => {
                self.skip_params()?;
                let plugin = self.ident("a plugin name after `evaluate`")?;
                let open = self.expect(&Tok::LParen, "`(` and the plugin's arguments")?;
                let mut args = Vec::new();
                if self.peek()?.kind != Tok::RParen {
                    args = self.named_exprs(&format!("as an argument of `{}`", plugin.name))?;
                }
                self.close(&Tok::RParen, &open)?;
                let schema = if self.eat(&Tok::Colon)?.is_some() {
                    let open = self.expect(&Tok::LParen, "`(` and the output schema")?;
                    let star = self.eat(&Tok::Star)?.is_some();
                    if star && self.eat(&Tok::Comma)?.is_none() {
                        self.close(&Tok::RParen, &open)?;
                        Some((true, Vec::new()))
                    } else {
                        Some((star, self.column_decls(&open)?))
                    }
                } else {
                    None
                };
                OperatorKind::Evaluate {
                    plugin,
                    args,
                    schema,
                }
            }
            "invoke" => OperatorKind::Invoke(self.expr("after `invoke`")?),
            "serialize" => {
                let t = self.peek()?;
                if matches!(t.kind, Tok::Ident | Tok::BracketIdent(_))
                    && self.peek2()?.kind == Tok::Assign
                {
                    OperatorKind::Serialize(self.named_exprs("after `serialize`")?)
                } else {
                    OperatorKind::Serialize(Vec::new())
                }
            }
            "search" => self.search_op()?,
            "top-nested" => {
                let mut levels = Vec::new();
                loop {
                    let count = if self.at_word("of")? {
                        None
                    } else {
                        Some(self.expr("after `top-nested`")?)
                    };
                    self.expect_word("of")?;
                    let key = self.named_expr("after `of`")?;
                    let others = if self.eat_word("with")? {
                        self.expect_word("others")?;
                        self.expect(&Tok::Assign, "`=`")?;
                        Some(self.expr("after `others =`")?)
                    } else {
                        None
                    };
                    self.expect_word("by")?;
                    let agg = self.named_expr("after `by`")?;
                    let order = if self.eat_word("asc")? {
                        Some(SortOrder::Asc)
                    } else if self.eat_word("desc")? {
                        Some(SortOrder::Desc)
                    } else {
                        None
                    };
                    levels.push(crate::ast::TopNestedLevel {
                        count,
                        key,
                        others,
                        agg,
                        order,
                    });
                    // `, top-nested` continues; the words are adjacent.
                    let t = self.peek()?;
                    let next = lex(self.src, t.span.end)?;
                    let dash = lex(self.src, next.span.end)?;
                    let continues = t.kind == Tok::Comma
                        && self.is_word(&next, "top")
                        && dash.kind == Tok::Minus
                        && dash.span.start == next.span.end;
                    if continues {
                        self.bump()?;
                        self.expect_word("top")?;
                        self.expect(&Tok::Minus, "`-`")?;
                        self.expect_word("nested")?;
                        continue;
                    }
                    break;
                }
                OperatorKind::TopNested(levels)
            }
            "partition" => {
                self.skip_params()?;
                self.expect_word("by")?;
                let by = self.ident("a column name after `by`")?;
                let open = self.peek()?;
                if open.kind == Tok::LBrace {
                    self.bump()?;
                    let q = self.expr_pipe("inside `{`")?;
                    self.close(&Tok::RBrace, &open)?;
                    OperatorKind::Partition {
                        by,
                        ops: Vec::new(),
                        query: Some(Box::new(q)),
                    }
                } else {
                    let open = self.expect(&Tok::LParen, "`(` and the operators")?;
                    let mut ops = vec![self.operator(&open)?];
                    while let Some(pipe) = self.eat(&Tok::Pipe)? {
                        ops.push(self.operator(&pipe)?);
                    }
                    self.close(&Tok::RParen, &open)?;
                    OperatorKind::Partition {
                        by,
                        ops,
                        query: None,
                    }
                }
            }
            "getschema" => OperatorKind::GetSchema,
            "as" => {
                self.skip_params()?;
                OperatorKind::As(self.ident("a name after `as`")?)
            }
            "sample" => {
                self.skip_params()?;
                OperatorKind::Sample(self.expr("after `sample`")?)
            }
            "scan" => OperatorKind::Scan(self.scan_op()?),
            "facet" => {
                self.expect_word("by")?;
                let by = self.comma_separated(|p| p.ident("a column name"))?;
                let mut with = Vec::new();
                if self.eat_word("with")? {
                    let open = self.expect(&Tok::LParen, "`(` and the operators")?;
                    with.push(self.operator(&open)?);
                    while let Some(pipe) = self.eat(&Tok::Pipe)? {
                        with.push(self.operator(&pipe)?);
                    }
                    self.close(&Tok::RParen, &open)?;
                }
                OperatorKind::Facet { by, with }
            }
            "reduce" => {
                let mut source = false;
                for (k, v) in self.operator_params(&["kind"])? {
                    if k.name == "kind" {
                        if v.name != "source" {
                            return Err(unknown_kind(
                                "reduce kind",
                                &v,
                                "the only kind is `source`",
                            ));
                        }
                        source = true;
                    }
                }
                self.expect_word("by")?;
                let expr = self.expr("after `by`")?;
                let params = if self.eat_word("with")? {
                    self.name_values("`threshold` or `characters`", "the parameter's value")?
                } else {
                    Vec::new()
                };
                OperatorKind::Reduce {
                    source,
                    expr,
                    params,
                }
            }
            "project-by-names" => {
                let items = self.comma_separated(|p| p.expr("after `project-by-names`"))?;
                OperatorKind::ProjectByNames(items)
            }
            "parse-kv" => {
                let expr = self.expr("after `parse-kv`")?;
                self.expect_word("as")?;
                let open = self.expect(&Tok::LParen, "`(` and the keys to extract")?;
                let keys = self.column_decls(&open)?;
                let mut params = Vec::new();
                if self.eat_word("with")? {
                    let open = self.expect(&Tok::LParen, "`(` and the parameters")?;
                    if self.peek()?.kind != Tok::RParen {
                        params = self.name_values("a parameter name", "the parameter's value")?;
                    }
                    self.close(&Tok::RParen, &open)?;
                }
                OperatorKind::ParseKv { expr, keys, params }
            }
            _ => return Err(self.unknown_operator(name, name_span)),
        };
        Ok(Operator {
            kind,
            span: self.span_from(start),
        })
    }

    /// The body of `make-series` after the operator name.
    fn make_series(&mut self) -> PResult<MakeSeries> {
        let mut nonempty = false;
        for (k, v) in self.operator_params(&["kind"])? {
            if k.name == "kind" {
                nonempty = match v.name.as_str() {
                    "nonempty" => true,
                    _ => {
                        return Err(unknown_kind(
                            "make-series kind",
                            &v,
                            "the only make-series kind is `nonempty`",
                        ))
                    }
                };
            }
        }
        let aggs = self.comma_separated(|p| {
            let agg = p.named_expr("after `make-series`")?;
            let default = if p.at_word("default")? && p.peek2()?.kind == Tok::Assign {
                p.bump()?;
                p.bump()?;
                Some(p.expr("after `default =`")?)
            } else {
                None
            };
            Ok((agg, default))
        })?;
        self.expect_word("on")?;
        let axis = self.ident("the axis column after `on`")?;
        let range = if self.eat_word("in")? {
            self.expect_word("range")?;
            let open = self.expect(&Tok::LParen, "`(` and range(start, stop, step)")?;
            let start = self.expr("as the start of the range")?;
            self.expect(&Tok::Comma, "`,` and the stop of the range")?;
            let stop = self.expr("as the stop of the range")?;
            self.expect(&Tok::Comma, "`,` and the step of the range")?;
            let step = self.expr("as the step of the range")?;
            self.close(&Tok::RParen, &open)?;
            SeriesRange::InRange { start, stop, step }
        } else {
            let from = if self.eat_word("from")? {
                Some(self.expr("after `from`")?)
            } else {
                None
            };
            let to = if self.eat_word("to")? {
                Some(self.expr("after `to`")?)
            } else {
                None
            };
            self.expect_word("step")?;
            let step = self.expr("after `step`")?;
            SeriesRange::FromTo { from, to, step }
        };
        let by = if self.eat_word("by")? {
            self.named_exprs("after `by`")?
        } else {
            Vec::new()
        };
        Ok(MakeSeries {
            nonempty,
            aggs,
            axis,
            range,
            by,
        })
    }

    fn unknown_operator(&self, name: &str, span: Span) -> Diagnostic {
        if UNSUPPORTED.contains(&name) {
            return Diagnostic::error(
                codes::UNKNOWN_OPERATOR,
                format!("the `{name}` operator is not supported"),
            )
            .with_span(span)
            .with_label("not supported")
            .with_help(format!("supported operators: {}", OPERATORS.join(", ")));
        }
        let suggestion = kql_common::suggest::did_you_mean(name, OPERATORS.iter().copied());
        let d = Diagnostic::error(
            codes::UNKNOWN_OPERATOR,
            format!("unknown operator `{name}`"),
        )
        .with_span(span)
        .with_label("not a tabular operator");
        if suggestion.is_some() {
            d.with_suggestion(suggestion)
        } else {
            d.with_help(format!("operators include {}", OPERATORS.join(", ")))
        }
    }

    /// `name=value` parameters before an operator's arguments (`kind=inner`,
    /// `withsource=T`, `hint.strategy=shuffle`). Hints are dropped.
    pub(crate) fn operator_params(&mut self, known: &[&str]) -> PResult<Vec<(Ident, Ident)>> {
        let mut out = Vec::new();
        loop {
            self.skip_params()?;
            let t = self.peek()?;
            if t.kind != Tok::Ident
                || self.peek2()?.kind != Tok::Assign
                || !known.contains(&self.text(t.span))
            {
                return Ok(out);
            }
            let name = self.ident("a parameter name")?;
            self.bump()?;
            let v = self.peek()?;
            let value = match v.kind {
                Tok::Ident | Tok::Number(_) => {
                    self.bump()?;
                    Ident {
                        name: self.text(v.span).to_string(),
                        span: v.span,
                    }
                }
                Tok::Str(s) | Tok::BracketIdent(s) => {
                    self.bump()?;
                    Ident {
                        name: s,
                        span: v.span,
                    }
                }
                _ => return Err(error::unexpected(self.src, &v, "a parameter value")),
            };
            out.push((name, value));
        }
    }

    /// The clauses of `scan` after the operator's name.
    fn scan_op(&mut self) -> PResult<ScanSpec> {
        let mut match_id = None;
        for (k, v) in self.operator_params(&["with_match_id"])? {
            if k.name == "with_match_id" {
                match_id = Some(v);
            }
        }
        let mut declare = Vec::new();
        if self.eat_word("declare")? {
            let open = self.expect(&Tok::LParen, "`(` and the declared columns")?;
            loop {
                let name = self.ident("a column name")?;
                self.expect(&Tok::Colon, "`:` and a type")?;
                let ty = self.type_name()?;
                let default = if self.eat(&Tok::Assign)?.is_some() {
                    Some(self.expr("as the column's default value")?)
                } else {
                    None
                };
                declare.push(ScanDecl {
                    span: self.span_from(name.span.start),
                    name,
                    ty,
                    default,
                });
                if self.eat(&Tok::Comma)?.is_none() {
                    break;
                }
            }
            self.close(&Tok::RParen, &open)?;
        }
        self.expect_word("with")?;
        let open = self.expect(&Tok::LParen, "`(` and the steps")?;
        let mut steps = Vec::new();
        while self.peek()?.kind != Tok::RParen {
            let kw = self.expect_word("step")?;
            let name = self.ident("a step name")?;
            let mut output = ScanOutput::All;
            if self.at_word("output")? && self.peek2()?.kind == Tok::Assign {
                self.bump()?;
                self.bump()?;
                let v = self.ident("`all`, `last` or `none`")?;
                output = match v.name.as_str() {
                    "all" => ScanOutput::All,
                    "last" => ScanOutput::Last,
                    "none" => ScanOutput::None,
                    _ => {
                        return Err(Diagnostic::error(
                            codes::UNEXPECTED_TOKEN,
                            format!("unknown step output `{}`", v.name),
                        )
                        .with_span(v.span)
                        .with_label("not an output kind")
                        .with_help("a step's output is `all` (the default), `last` or `none`"))
                    }
                };
            }
            self.expect(&Tok::Colon, "`:` and the step's condition")?;
            let condition = self.expr("as the step's condition")?;
            let mut assignments = Vec::new();
            let t = self.peek()?;
            if t.kind == Tok::Assign {
                let gt = lex(self.src, t.span.end)?;
                if gt.kind != Tok::Gt || gt.span.start != t.span.end {
                    return Err(lone_assign(self.src, &t));
                }
                self.bump()?;
                self.bump()?;
                assignments = self.name_values("a declared column name", "the assigned value")?;
            }
            self.expect(&Tok::Semi, "`;` after the step")?;
            steps.push(ScanStep {
                span: self.span_from(kw.span.start),
                name,
                output,
                condition,
                assignments,
            });
        }
        self.close(&Tok::RParen, &open)?;
        if steps.is_empty() {
            return Err(Diagnostic::error(
                codes::UNEXPECTED_TOKEN,
                "`scan` needs at least one step",
            )
            .with_span(open.span)
            .with_label("no `step` here")
            .with_help("e.g. `scan with (step s1: true;)`"));
        }
        Ok(ScanSpec {
            match_id,
            declare,
            steps,
        })
    }

    /// `search [kind=...] predicate` after a pipe.
    fn search_op(&mut self) -> PResult<OperatorKind> {
        let mut case_sensitive = false;
        for (k, v) in self.operator_params(&["kind"])? {
            if k.name == "kind" {
                case_sensitive = v.name == "case_sensitive";
            }
        }
        Ok(OperatorKind::Search {
            case_sensitive,
            predicate: self.expr("after `search`")?,
        })
    }

    /// `search [kind=...] [in (T, ...)] predicate` as a source: a union of
    /// the tables (all of them without `in`) with a `$table` column, then
    /// the search.
    pub(crate) fn search_source(&mut self, kw: Token) -> PResult<Expr> {
        self.bump()?;
        let mut case_sensitive = false;
        for (k, v) in self.operator_params(&["kind"])? {
            if k.name == "kind" {
                case_sensitive = v.name == "case_sensitive";
            }
        }
        let mut tables = Vec::new();
        if self.eat_word("in")? {
            let open = self.expect(&Tok::LParen, "`(` and the tables")?;
            loop {
                let id = self.name_pattern()?;
                tables.push(Expr {
                    span: id.span,
                    kind: ExprKind::Name(id),
                });
                if self.eat(&Tok::Comma)?.is_none() {
                    break;
                }
            }
            self.close(&Tok::RParen, &open)?;
        } else {
            tables.push(Expr {
                span: kw.span,
                kind: ExprKind::Name(Ident {
                    name: "*".to_string(),
                    span: kw.span,
                }),
            });
        }
        let predicate = self.expr("after `search`")?;
        let span = self.span_from(kw.span.start);
        let union = Expr {
            span: kw.span,
            kind: ExprKind::Union(Union {
                inner: false,
                with_source: Some(Ident {
                    name: "$table".to_string(),
                    span: kw.span,
                }),
                fuzzy: false,
                tables,
            }),
        };
        Ok(Expr {
            span,
            kind: ExprKind::Pipe {
                input: Box::new(union),
                op: Box::new(Operator {
                    kind: OperatorKind::Search {
                        case_sensitive,
                        predicate,
                    },
                    span,
                }),
            },
        })
    }

    /// The parameters, items and limit of `mv-expand` and `mv-apply`.
    #[allow(clippy::type_complexity)]
    fn expand_items(&mut self) -> PResult<(Vec<MvExpandItem>, Option<Ident>, bool, Option<Expr>)> {
        let mut item_index = None;
        let mut bag_as_array = false;
        for (k, v) in self.operator_params(&["with_itemindex", "kind", "bagexpansion"])? {
            match k.name.as_str() {
                "with_itemindex" => item_index = Some(v),
                "kind" | "bagexpansion" => bag_as_array = v.name == "array",
                _ => {}
            }
        }
        let items = self.comma_separated(|p| {
            let item = p.named_expr("after `mv-expand`")?;
            let to = if p.eat_word("to")? {
                p.expect_word("typeof")?;
                let open = p.expect(&Tok::LParen, "`(`")?;
                let ty = p.type_name()?;
                p.close(&Tok::RParen, &open)?;
                Some(ty)
            } else {
                None
            };
            Ok(MvExpandItem { item, to })
        })?;
        let limit = if self.eat_word("limit")? {
            Some(self.expr("after `limit`")?)
        } else {
            None
        };
        Ok((items, item_index, bag_as_array, limit))
    }

    /// The right side of `join`/`lookup`: `(expr)` or a table name.
    fn right_table(&mut self, op: &str) -> PResult<Expr> {
        let t = self.peek()?;
        if t.kind == Tok::LParen {
            self.bump()?;
            let e = self.expr_pipe(&format!("inside `{op} (`"))?;
            self.close(&Tok::RParen, &t)?;
            return Ok(e);
        }
        let id = self.ident(&format!("a table or `(` after `{op}`"))?;
        Ok(Expr {
            span: id.span,
            kind: ExprKind::Name(id),
        })
    }

    /// `on A, $left.B == $right.C and ...`: conditions, split at commas and
    /// top-level `and`s.
    fn join_conditions(&mut self) -> PResult<Vec<Expr>> {
        self.expect_word("on")?;
        let mut out = Vec::new();
        loop {
            let e = self.expr("after `on`")?;
            split_and(e, &mut out);
            if self.eat(&Tok::Comma)?.is_none() {
                return Ok(out);
            }
        }
    }

    /// `[kind=...] [withsource=N] [isfuzzy=true] T, (expr), Pat*`
    pub(crate) fn union_body(&mut self) -> PResult<Union> {
        let mut u = Union {
            inner: false,
            with_source: None,
            fuzzy: false,
            tables: Vec::new(),
        };
        for (k, v) in self.operator_params(&["kind", "withsource", "isfuzzy"])? {
            match k.name.as_str() {
                "kind" => u.inner = v.name == "inner",
                "withsource" => u.with_source = Some(v),
                "isfuzzy" => u.fuzzy = v.name == "true",
                _ => {}
            }
        }
        loop {
            let t = self.peek()?;
            if t.kind == Tok::LParen {
                self.bump()?;
                let e = self.expr_pipe("inside `union (`")?;
                self.close(&Tok::RParen, &t)?;
                u.tables.push(e);
            } else {
                let id = self.name_pattern()?;
                u.tables.push(Expr {
                    span: id.span,
                    kind: ExprKind::Name(id),
                });
            }
            if self.eat(&Tok::Comma)?.is_none() {
                return Ok(u);
            }
        }
    }

    /// `externaldata (A: string, ...) [ "url", ... ] [with (name = value, ...)]`
    pub(crate) fn external_data(&mut self, kw: Token) -> PResult<Expr> {
        self.bump()?;
        let open = self.expect(&Tok::LParen, "`(` and the columns")?;
        let columns = self.column_decls(&open)?;
        let mut urls = Vec::new();
        let t = self.peek()?;
        if let Tok::BracketIdent(s) = t.kind {
            // `["url"]` lexes as one bracketed name.
            self.bump()?;
            urls.push(s);
        } else {
            let open = self.expect(&Tok::LBracket, "`[` and the data URLs")?;
            while let Tok::Str(s) = self.peek()?.kind {
                self.bump()?;
                urls.push(s);
                if self.eat(&Tok::Comma)?.is_none() {
                    break;
                }
            }
            self.close(&Tok::RBracket, &open)?;
        }
        let mut props = Vec::new();
        if self.eat_word("with")? {
            let open = self.expect(&Tok::LParen, "`(` and the properties")?;
            while self.peek()?.kind != Tok::RParen {
                let name = self.ident("a property name")?;
                self.expect(&Tok::Assign, "`=`")?;
                let v = self.bump()?;
                let value = match v.kind {
                    Tok::Str(s) => s,
                    Tok::Ident | Tok::Number(_) => self.text(v.span).to_string(),
                    _ => return Err(error::unexpected(self.src, &v, "a property value")),
                };
                props.push((name.name.to_ascii_lowercase(), value));
                if self.eat(&Tok::Comma)?.is_none() {
                    break;
                }
            }
            self.close(&Tok::RParen, &open)?;
        }
        Ok(Expr {
            span: self.span_from(kw.span.start),
            kind: ExprKind::ExternalData {
                columns,
                urls,
                props,
            },
        })
    }

    /// A type name (`long`, `string`, ...).
    pub(crate) fn type_name(&mut self) -> PResult<KqlType> {
        let t = self.peek()?;
        let name = self.text(t.span);
        match (t.kind == Tok::Ident)
            .then(|| KqlType::from_name(name))
            .flatten()
        {
            Some(ty) => {
                self.bump()?;
                Ok(ty)
            }
            None => {
                let names = KqlType::ALL.iter().map(|t| t.name());
                let suggestion = kql_common::suggest::did_you_mean(name, names);
                Err(error::unexpected(self.src, &t, "a type name").with_suggestion(suggestion))
            }
        }
    }

    /// `name = value, ...`: `name` and `value` say what each part is, for
    /// messages.
    fn name_values(&mut self, name: &str, value: &str) -> PResult<Vec<(Ident, Expr)>> {
        let eq = format!("`=` and {value}");
        let as_value = format!("as {value}");
        self.comma_separated(|p| {
            let n = p.ident(name)?;
            p.expect(&Tok::Assign, &eq)?;
            Ok((n, p.expr(&as_value)?))
        })
    }

    /// `(A: long, B: string)` after the `(` was consumed, through the `)`.
    pub(crate) fn column_decls(&mut self, open: &Token) -> PResult<Vec<ColumnDecl>> {
        let mut columns = Vec::new();
        if self.peek()?.kind != Tok::RParen {
            columns = self.comma_separated(|p| {
                let name = p.ident("a column name")?;
                p.expect(&Tok::Colon, "`:` and a type")?;
                let ty = p.type_name()?;
                Ok(ColumnDecl {
                    span: p.span_from(name.span.start),
                    name,
                    ty,
                })
            })?;
        }
        self.close(&Tok::RParen, open)?;
        Ok(columns)
    }

    /// The pattern after `parse ... with`: string literals, `*` and column
    /// names with optional types.
    fn parse_pattern(&mut self) -> PResult<Vec<ParsePart>> {
        let mut parts = Vec::new();
        loop {
            let t = self.peek()?;
            match &t.kind {
                Tok::Str(s) => {
                    self.bump()?;
                    parts.push(ParsePart::Text(s.clone()));
                }
                Tok::Star => {
                    self.bump()?;
                    parts.push(ParsePart::Star);
                }
                Tok::Ident | Tok::BracketIdent(_) => {
                    let id = self.ident("a column name")?;
                    let ty = if self.eat(&Tok::Colon)?.is_some() {
                        Some(self.type_name()?)
                    } else {
                        None
                    };
                    parts.push(ParsePart::Column(id, ty));
                }
                _ => break,
            }
        }
        if parts.is_empty() {
            let t = self.peek()?;
            return Err(error::unexpected(
                self.src,
                &t,
                "a pattern of strings and column names",
            ));
        }
        Ok(parts)
    }

    /// Skips query parameters such as `hint.strategy=shuffle`.
    fn skip_params(&mut self) -> PResult<()> {
        loop {
            let t = self.peek()?;
            if t.kind != Tok::Ident {
                return Ok(());
            }
            let word = self.text(t.span);
            // `hint.name = value`
            let dot = lex(self.src, t.span.end)?;
            if word != "hint" || dot.kind != Tok::Dot {
                return Ok(());
            }
            let n = lex(self.src, dot.span.end)?;
            if n.kind != Tok::Ident {
                return Ok(());
            }
            let after = lex(self.src, n.span.end)?;
            if after.kind != Tok::Assign {
                return Ok(());
            }
            let value = lex(self.src, after.span.end)?;
            match value.kind {
                Tok::Ident | Tok::Number(_) | Tok::Str(_) => self.pos = value.span.end,
                _ => return Err(error::unexpected(self.src, &value, "a parameter value")),
            }
        }
    }

    /// `expr [asc|desc] [nulls first|nulls last]`
    fn sort_key(&mut self) -> PResult<SortKey> {
        let expr = self.expr("as a sort key")?;
        let start = expr.span.start;
        let order = if self.eat_word("asc")? {
            Some(SortOrder::Asc)
        } else if self.eat_word("desc")? {
            Some(SortOrder::Desc)
        } else {
            None
        };
        let nulls = if self.eat_word("nulls")? {
            let t = self.peek()?;
            if self.is_word(&t, "first") {
                self.bump()?;
                Some(NullsOrder::First)
            } else if self.is_word(&t, "last") {
                self.bump()?;
                Some(NullsOrder::Last)
            } else {
                return Err(error::unexpected(self.src, &t, "`first` or `last`"));
            }
        } else {
            None
        };
        Ok(SortKey {
            expr,
            order,
            nulls,
            span: self.span_from(start),
        })
    }

    /// `Name = expr`, `(A, B) = expr` or `expr`, separated by commas.
    pub fn named_exprs(&mut self, ctx: &str) -> PResult<Vec<NamedExpr>> {
        self.comma_separated(|p| p.named_expr(ctx))
    }

    pub(crate) fn named_expr(&mut self, ctx: &str) -> PResult<NamedExpr> {
        let t = self.peek()?;
        let start = t.span.start;
        let mut names = Vec::new();
        match t.kind {
            Tok::Ident | Tok::BracketIdent(_) if self.peek2()?.kind == Tok::Assign => {
                names.push(self.ident("a name")?);
                self.bump()?;
            }
            Tok::LParen => {
                let saved = self.pos;
                match self.name_tuple()? {
                    Some(n) => names = n,
                    None => self.pos = saved,
                }
            }
            _ => {}
        }
        let ctx = if names.is_empty() {
            ctx.to_string()
        } else {
            "after `=`".to_string()
        };
        let expr = self.expr(&ctx)?;
        Ok(NamedExpr {
            names,
            expr,
            span: self.span_from(start),
        })
    }

    /// `(A, B) =`, or `None` if the text is not that.
    fn name_tuple(&mut self) -> PResult<Option<Vec<Ident>>> {
        self.bump()?;
        let mut names = Vec::new();
        loop {
            if !matches!(self.peek()?.kind, Tok::Ident | Tok::BracketIdent(_)) {
                return Ok(None);
            }
            names.push(self.ident("a name")?);
            let t = self.bump()?;
            match t.kind {
                Tok::Comma => continue,
                Tok::RParen => break,
                _ => return Ok(None),
            }
        }
        if self.eat(&Tok::Assign)?.is_none() {
            return Ok(None);
        }
        Ok(Some(names))
    }

    /// Column names that may hold `*` wildcards (`Device*`, `*Id`).
    /// Names or `*` patterns without an order.
    fn column_names(&mut self) -> PResult<Vec<Ident>> {
        Ok(self
            .column_patterns(false)?
            .into_iter()
            .map(|(id, _)| id)
            .collect())
    }

    fn column_patterns(&mut self, allow_order: bool) -> PResult<Vec<(Ident, Option<SortOrder>)>> {
        self.comma_separated(|p| {
            let ident = p.name_pattern()?;
            let mut order = None;
            if allow_order {
                if p.eat_word("asc")? {
                    order = Some(SortOrder::Asc);
                } else if p.eat_word("desc")? {
                    order = Some(SortOrder::Desc);
                }
            }
            Ok((ident, order))
        })
    }

    /// A name that may hold `*` wildcards (`Device*`, `*Id`).
    fn name_pattern(&mut self) -> PResult<Ident> {
        let t = self.peek()?;
        Ok(match t.kind {
            Tok::BracketIdent(_) => self.ident("a column name")?,
            Tok::Ident | Tok::Star => {
                let start = t.span.start;
                let mut end = t.span.end;
                self.bump()?;
                loop {
                    let n = self.peek()?;
                    let joins = n.span.start == end
                        && matches!(n.kind, Tok::Ident | Tok::Star | Tok::Number(_));
                    if !joins {
                        break;
                    }
                    self.bump()?;
                    end = n.span.end;
                }
                let span = Span::new(start, end);
                Ident {
                    name: self.text(span).to_string(),
                    span,
                }
            }
            _ => return Err(error::unexpected(self.src, &t, "a name")),
        })
    }
}

/// Splits `a and b and c` into its operands.
fn split_and(e: Expr, out: &mut Vec<Expr>) {
    match e.kind {
        ExprKind::Binary {
            op: crate::ast::BinaryOp::And,
            left,
            right,
        } => {
            split_and(*left, out);
            split_and(*right, out);
        }
        kind => out.push(Expr { kind, span: e.span }),
    }
}

/// `unknown join kind `x``: an operator parameter's value `v` is not one of
/// the `what`s.
fn unknown_kind(what: &str, v: &Ident, help: &str) -> Diagnostic {
    Diagnostic::error(
        codes::UNEXPECTED_TOKEN,
        format!("unknown {what} `{}`", v.name),
    )
    .with_span(v.span)
    .with_label(format!("not a {what}"))
    .with_help(help)
}
