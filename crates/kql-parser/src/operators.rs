//! Tabular operators after a `|`: `where`, `project`, `summarize`, ...

use crate::ast::{Ident, NamedExpr, NullsOrder, Operator, OperatorKind, SortKey, SortOrder};
use crate::error::{self, codes};
use crate::expr::lone_assign;
use crate::lexical::{lex, Tok, Token};
use crate::parser::{PResult, Parser};
use kql_common::{Diagnostic, Span};

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
];

/// Kusto operators that exist but are not supported here.
const UNSUPPORTED: &[&str] = &[
    "as",
    "consume",
    "evaluate",
    "extend-schema",
    "externaldata",
    "facet",
    "find",
    "fork",
    "getschema",
    "invoke",
    "join",
    "lookup",
    "make-series",
    "mv-apply",
    "mv-expand",
    "parse",
    "parse-kv",
    "parse-where",
    "partition",
    "project-smart",
    "reduce",
    "render",
    "sample",
    "sample-distinct",
    "scan",
    "search",
    "serialize",
    "top-hitters",
    "top-nested",
    "union",
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
                let mut pairs = Vec::new();
                loop {
                    let new = self.ident("a new column name")?;
                    self.expect(&Tok::Assign, "`=` (project-rename New = Old)")?;
                    let old = self.ident("an existing column name")?;
                    pairs.push((new, old));
                    if self.eat(&Tok::Comma)?.is_none() {
                        break;
                    }
                }
                OperatorKind::ProjectRename(pairs)
            }
            "sort" | "order" => {
                self.skip_params()?;
                self.expect_word("by")?;
                let mut keys = Vec::new();
                loop {
                    keys.push(self.sort_key()?);
                    if self.eat(&Tok::Comma)?.is_none() {
                        break;
                    }
                }
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
                if self.eat(&Tok::Star)?.is_some() {
                    OperatorKind::Distinct(Vec::new())
                } else {
                    let mut cols = Vec::new();
                    loop {
                        cols.push(self.expr("after `distinct`")?);
                        if self.eat(&Tok::Comma)?.is_none() {
                            break;
                        }
                    }
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
            _ => return Err(self.unknown_operator(name, name_span)),
        };
        Ok(Operator {
            kind,
            span: self.span_from(start),
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
        let mut out = Vec::new();
        loop {
            out.push(self.named_expr(ctx)?);
            if self.eat(&Tok::Comma)?.is_none() {
                return Ok(out);
            }
        }
    }

    fn named_expr(&mut self, ctx: &str) -> PResult<NamedExpr> {
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
        let mut out = Vec::new();
        loop {
            let t = self.peek()?;
            let ident = match t.kind {
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
                _ => return Err(error::unexpected(self.src, &t, "a column name")),
            };
            let mut order = None;
            if allow_order {
                if self.eat_word("asc")? {
                    order = Some(SortOrder::Asc);
                } else if self.eat_word("desc")? {
                    order = Some(SortOrder::Desc);
                }
            }
            out.push((ident, order));
            if self.eat(&Tok::Comma)?.is_none() {
                return Ok(out);
            }
        }
    }
}
