//! Scalar and tabular expressions, from the pipe down to primaries.
//!
//! Precedence, lowest first: `|`; `or`; `and`; comparisons and string
//! operators (left to right); `+ -`; `* / %`; unary `- +`; postfix `.name`,
//! `[index]`; primaries.

use crate::ast::{
    BinaryOp, ColumnDecl, Expr, ExprKind, Ident, ListOp, Literal, StrOp, StrOpKind, UnaryOp,
};
use crate::error::{self, codes};
use crate::lexical::{Tok, Token};
use crate::literal;
use crate::parser::{PResult, Parser, LEVEL_COST};
use kql_common::{Diagnostic, KqlType, Span};

/// A comparison-level operator.
enum CmpOp {
    Bin(BinaryOp),
    List(ListOp),
    Between { negated: bool },
}

/// String operator words: (word, kind, case-sensitive).
pub(crate) const STR_OPS: &[(&str, StrOpKind, bool)] = &[
    ("contains", StrOpKind::Contains, false),
    ("contains_cs", StrOpKind::Contains, true),
    ("startswith", StrOpKind::StartsWith, false),
    ("startswith_cs", StrOpKind::StartsWith, true),
    ("endswith", StrOpKind::EndsWith, false),
    ("endswith_cs", StrOpKind::EndsWith, true),
    ("has", StrOpKind::Has, false),
    ("has_cs", StrOpKind::Has, true),
    ("hasprefix", StrOpKind::HasPrefix, false),
    ("hasprefix_cs", StrOpKind::HasPrefix, true),
    ("hassuffix", StrOpKind::HasSuffix, false),
    ("hassuffix_cs", StrOpKind::HasSuffix, true),
];

/// Words that can never start an expression.
const NOT_AN_EXPRESSION: &[&str] = &[
    "and", "or", "between", "in", "has_any", "has_all", "matches", "by",
];

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr {
        span: left.span.to(right.span),
        kind: ExprKind::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        },
    }
}

impl Parser<'_> {
    /// An expression that may be a pipeline (`T | where x`).
    pub fn expr_pipe(&mut self, ctx: &str) -> PResult<Expr> {
        self.enter(LEVEL_COST)?;
        let saved = self.depth;
        let mut e = self.expr(ctx)?;
        while self.peek()?.kind == Tok::Pipe {
            let pipe = self.bump()?;
            self.enter(1)?;
            let op = self.operator(&pipe)?;
            e = Expr {
                span: e.span.to(op.span),
                kind: ExprKind::Pipe {
                    input: Box::new(e),
                    op: Box::new(op),
                },
            };
        }
        self.depth = saved;
        self.leave(LEVEL_COST);
        Ok(e)
    }

    /// A scalar (or source) expression without a top-level pipe.
    pub fn expr(&mut self, ctx: &str) -> PResult<Expr> {
        let saved = self.depth;
        let mut left = self.and_expr(ctx)?;
        while self.eat_word("or")? {
            self.enter(1)?;
            let right = self.and_expr("after `or`")?;
            left = binary(BinaryOp::Or, left, right);
        }
        self.depth = saved;
        Ok(left)
    }

    fn and_expr(&mut self, ctx: &str) -> PResult<Expr> {
        let saved = self.depth;
        let mut left = self.cmp_expr(ctx)?;
        while self.eat_word("and")? {
            self.enter(1)?;
            let right = self.cmp_expr("after `and`")?;
            left = binary(BinaryOp::And, left, right);
        }
        self.depth = saved;
        Ok(left)
    }

    /// Reads a comparison-level operator if one is next, returning it, its
    /// span and the offset after it. Consumes nothing.
    fn peek_cmp_op(&mut self) -> PResult<Option<(CmpOp, Span)>> {
        let t = self.peek()?;
        let one = |op: BinaryOp| Ok(Some((CmpOp::Bin(op), t.span)));
        match t.kind {
            Tok::EqEq => return one(BinaryOp::Eq),
            Tok::NotEq | Tok::LtGt => return one(BinaryOp::NotEq),
            Tok::Lt => return one(BinaryOp::Lt),
            Tok::Le => return one(BinaryOp::Le),
            Tok::Gt => return one(BinaryOp::Gt),
            Tok::Ge => return one(BinaryOp::Ge),
            Tok::EqTilde | Tok::BangTilde => {
                return one(BinaryOp::Str(StrOp {
                    kind: StrOpKind::Equals,
                    negated: t.kind == Tok::BangTilde,
                    case_sensitive: false,
                }))
            }
            _ => {}
        }
        // `!` directly followed by a word: a negated operator.
        let (negated, word_tok) = match t.kind {
            Tok::Ident => (false, t.clone()),
            Tok::Bang => {
                let w = self.peek2()?;
                if w.kind != Tok::Ident || w.span.start != t.span.end {
                    return Ok(None);
                }
                (true, w)
            }
            _ => return Ok(None),
        };
        let word = self.text(word_tok.span);
        let span = t.span.to(word_tok.span);
        if let Some((_, kind, cs)) = STR_OPS.iter().find(|(w, _, _)| *w == word) {
            return Ok(Some((
                CmpOp::Bin(BinaryOp::Str(StrOp {
                    kind: *kind,
                    negated,
                    case_sensitive: *cs,
                })),
                span,
            )));
        }
        match word {
            "in" => {
                let after = crate::lexical::lex(self.src, word_tok.span.end)?;
                let ci = after.kind == Tok::Tilde && after.span.start == word_tok.span.end;
                let op = match (negated, ci) {
                    (false, false) => ListOp::In,
                    (true, false) => ListOp::NotIn,
                    (false, true) => ListOp::InCi,
                    (true, true) => ListOp::NotInCi,
                };
                let span = if ci { span.to(after.span) } else { span };
                Ok(Some((CmpOp::List(op), span)))
            }
            "has_any" if !negated => Ok(Some((CmpOp::List(ListOp::HasAny), span))),
            "has_all" if !negated => Ok(Some((CmpOp::List(ListOp::HasAll), span))),
            "between" => Ok(Some((CmpOp::Between { negated }, span))),
            "matches" if !negated => {
                let after = crate::lexical::lex(self.src, word_tok.span.end)?;
                if self.is_word(&after, "regex") {
                    Ok(Some((
                        CmpOp::Bin(BinaryOp::MatchesRegex),
                        span.to(after.span),
                    )))
                } else {
                    Err(error::unexpected(
                        self.src,
                        &after,
                        "`regex` after `matches`",
                    ))
                }
            }
            _ => Ok(None),
        }
    }

    fn cmp_expr(&mut self, ctx: &str) -> PResult<Expr> {
        let saved = self.depth;
        let mut left = self.add_expr(ctx)?;
        while let Some((op, op_span)) = self.peek_cmp_op()? {
            self.pos = op_span.end;
            self.enter(1)?;
            let op_text = self.text(op_span).to_string();
            let after = format!("after `{op_text}`");
            left = match op {
                CmpOp::Bin(op) => {
                    let right = self.add_expr(&after)?;
                    binary(op, left, right)
                }
                CmpOp::List(op) => {
                    let open = self.expect(&Tok::LParen, &format!("`(` {after}"))?;
                    let list = self.comma_separated(|p| p.expr_pipe("in a list"))?;
                    let close = self.close(&Tok::RParen, &open)?;
                    Expr {
                        span: left.span.to(close.span),
                        kind: ExprKind::InList {
                            expr: Box::new(left),
                            op,
                            list,
                        },
                    }
                }
                CmpOp::Between { negated } => {
                    let open = self.expect(&Tok::LParen, &format!("`(` {after}"))?;
                    let low = self.expr("as the lower bound")?;
                    let dots = self.peek()?;
                    if dots.kind != Tok::DotDot {
                        return Err(error::unexpected(self.src, &dots, "`..`")
                            .with_help("write a range as `between (low .. high)`"));
                    }
                    self.bump()?;
                    let high = self.expr("as the upper bound")?;
                    let close = self.close(&Tok::RParen, &open)?;
                    Expr {
                        span: left.span.to(close.span),
                        kind: ExprKind::Between {
                            expr: Box::new(left),
                            low: Box::new(low),
                            high: Box::new(high),
                            negated,
                        },
                    }
                }
            };
        }
        self.depth = saved;
        Ok(left)
    }

    fn add_expr(&mut self, ctx: &str) -> PResult<Expr> {
        let saved = self.depth;
        let mut left = self.mul_expr(ctx)?;
        loop {
            let op = match self.peek()?.kind {
                Tok::Plus => BinaryOp::Add,
                Tok::Minus => BinaryOp::Sub,
                _ => break,
            };
            let t = self.bump()?;
            self.enter(1)?;
            let right = self.mul_expr(&format!("after `{}`", self.text(t.span)))?;
            left = binary(op, left, right);
        }
        self.depth = saved;
        Ok(left)
    }

    fn mul_expr(&mut self, ctx: &str) -> PResult<Expr> {
        let saved = self.depth;
        let mut left = self.unary(ctx)?;
        loop {
            let op = match self.peek()?.kind {
                Tok::Star => BinaryOp::Mul,
                Tok::Slash => BinaryOp::Div,
                Tok::Percent => BinaryOp::Mod,
                _ => break,
            };
            let t = self.bump()?;
            self.enter(1)?;
            let right = self.unary(&format!("after `{}`", self.text(t.span)))?;
            left = binary(op, left, right);
        }
        self.depth = saved;
        Ok(left)
    }

    fn unary(&mut self, ctx: &str) -> PResult<Expr> {
        let t = self.peek()?;
        let op = match t.kind {
            Tok::Minus => UnaryOp::Neg,
            Tok::Plus => UnaryOp::Plus,
            _ => return self.postfix(ctx),
        };
        self.bump()?;
        // `-1`, `-2m`: a negative literal (so that i64::MIN can be written).
        let next = self.peek()?;
        if let (UnaryOp::Neg, Tok::Number(kind)) = (op, &next.kind) {
            let after = crate::lexical::lex(self.src, next.span.end)?;
            // Not when a postfix operator binds to the number first.
            if !matches!(after.kind, Tok::Dot | Tok::LBracket) {
                self.bump()?;
                let lit = literal::number(self.src, *kind, next.span, true)?;
                return Ok(Expr {
                    kind: ExprKind::Literal(lit),
                    span: t.span.to(next.span),
                });
            }
        }
        self.enter(LEVEL_COST)?;
        let operand = self.unary(&format!("after `{}`", self.text(t.span)))?;
        self.leave(LEVEL_COST);
        Ok(Expr {
            span: t.span.to(operand.span),
            kind: ExprKind::Unary {
                op,
                expr: Box::new(operand),
            },
        })
    }

    fn postfix(&mut self, ctx: &str) -> PResult<Expr> {
        let saved = self.depth;
        let mut e = self.primary(ctx)?;
        loop {
            let t = self.peek()?;
            match t.kind {
                Tok::Dot => {
                    self.bump()?;
                    self.enter(1)?;
                    // `d.[expr]` is the same as `d[expr]`.
                    let open = self.peek()?;
                    if open.kind == Tok::LBracket {
                        self.bump()?;
                        let index = self.expr_pipe("as an index")?;
                        let close = self.close(&Tok::RBracket, &open)?;
                        e = Expr {
                            span: e.span.to(close.span),
                            kind: ExprKind::Index {
                                expr: Box::new(e),
                                index: Box::new(index),
                            },
                        };
                        continue;
                    }
                    let name = self.ident("a property name after `.`")?;
                    e = Expr {
                        span: e.span.to(name.span),
                        kind: ExprKind::Member {
                            expr: Box::new(e),
                            name,
                        },
                    };
                }
                Tok::LBracket => {
                    self.bump()?;
                    self.enter(1)?;
                    let index = self.expr_pipe("as an index")?;
                    let close = self.close(&Tok::RBracket, &t)?;
                    e = Expr {
                        span: e.span.to(close.span),
                        kind: ExprKind::Index {
                            expr: Box::new(e),
                            index: Box::new(index),
                        },
                    };
                }
                // `d["key"]` lexes as a bracketed name; here it is an index.
                Tok::BracketIdent(key) => {
                    self.bump()?;
                    self.enter(1)?;
                    let index = Expr {
                        kind: ExprKind::Literal(Literal::String(key)),
                        span: self.bracket_inner_span(t.span),
                    };
                    e = Expr {
                        span: e.span.to(t.span),
                        kind: ExprKind::Index {
                            expr: Box::new(e),
                            index: Box::new(index),
                        },
                    };
                }
                _ => break,
            }
        }
        self.depth = saved;
        Ok(e)
    }

    /// The span of the string inside a bracketed-name token.
    pub fn bracket_inner_span(&self, span: Span) -> Span {
        match crate::lexical::lex(self.src, span.start + 1) {
            Ok(t) => t.span,
            Err(_) => span,
        }
    }

    fn primary(&mut self, ctx: &str) -> PResult<Expr> {
        let t = self.peek()?;
        match &t.kind {
            Tok::Number(kind) => {
                self.bump()?;
                let lit = literal::number(self.src, *kind, t.span, false)?;
                Ok(Expr {
                    kind: ExprKind::Literal(lit),
                    span: t.span,
                })
            }
            Tok::Str(s) => {
                self.bump()?;
                let mut s = s.clone();
                let mut span = t.span;
                // Adjacent string literals concatenate.
                while let Tok::Str(more) = self.peek()?.kind {
                    let n = self.bump()?;
                    s.push_str(&more);
                    span = span.to(n.span);
                }
                Ok(Expr {
                    kind: ExprKind::Literal(Literal::String(s)),
                    span,
                })
            }
            Tok::LParen => {
                self.bump()?;
                let inner = self.expr_pipe("inside `(`")?;
                self.close(&Tok::RParen, &t)?;
                Ok(inner)
            }
            Tok::BracketIdent(name) => {
                self.bump()?;
                Ok(Expr {
                    kind: ExprKind::Name(Ident {
                        name: name.clone(),
                        span: t.span,
                    }),
                    span: t.span,
                })
            }
            Tok::Ident => self.word(t, ctx),
            _ => {
                let mut d = error::expected_expression(self.src, &t, ctx);
                if t.kind == Tok::Assign {
                    d = d.with_help("use == to compare values");
                }
                Err(d)
            }
        }
    }

    /// A primary that starts with a word.
    fn word(&mut self, t: Token, ctx: &str) -> PResult<Expr> {
        let word = self.text(t.span);
        if word.eq_ignore_ascii_case("true") || word.eq_ignore_ascii_case("false") {
            self.bump()?;
            return Ok(Expr {
                kind: ExprKind::Literal(Literal::Bool(word.eq_ignore_ascii_case("true"))),
                span: t.span,
            });
        }
        if NOT_AN_EXPRESSION.contains(&word) || STR_OPS.iter().any(|(w, _, _)| *w == word) {
            return Err(
                error::expected_expression(self.src, &t, ctx).with_note(format!(
                    "`{word}` is a keyword; write ['{word}'] for a column of that name"
                )),
            );
        }
        let next = self.peek2()?;
        match word {
            "print" => return self.print_source(t),
            "datatable" if next.kind == Tok::LParen => return self.datatable(t),
            "externaldata" if next.kind == Tok::LParen => return self.external_data(t),
            "search"
                if matches!(next.kind, Tok::Str(_) | Tok::Ident | Tok::LParen)
                    && !matches!(self.text(next.span), "and" | "or") =>
            {
                return self.search_source(t)
            }
            "union"
                if matches!(
                    next.kind,
                    Tok::Ident | Tok::BracketIdent(_) | Tok::LParen | Tok::Star
                ) =>
            {
                self.bump()?;
                let u = self.union_body()?;
                return Ok(Expr {
                    span: self.span_from(t.span.start),
                    kind: ExprKind::Union(u),
                });
            }
            "range" if next.kind == Tok::Ident => {
                let third = crate::lexical::lex(self.src, next.span.end)?;
                if self.is_word(&third, "from") {
                    return self.range(t);
                }
            }
            _ => {}
        }
        if next.kind == Tok::LParen {
            if let Some(lit) = self.typed_literal(&t, &next)? {
                return Ok(lit);
            }
            return self.call(t);
        }
        self.bump()?;
        Ok(Expr {
            kind: ExprKind::Name(Ident {
                name: word.to_string(),
                span: t.span,
            }),
            span: t.span,
        })
    }

    fn call(&mut self, name: Token) -> PResult<Expr> {
        self.bump()?;
        let func = Ident {
            name: self.text(name.span).to_string(),
            span: name.span,
        };
        let open = self.bump()?;
        let mut args = Vec::new();
        if self.peek()?.kind != Tok::RParen {
            loop {
                let a = self.peek()?;
                let star =
                    a.kind == Tok::Star && matches!(self.peek2()?.kind, Tok::Comma | Tok::RParen);
                let named = matches!(a.kind, Tok::Ident | Tok::BracketIdent(_))
                    && self.peek2()?.kind == Tok::Assign;
                if star {
                    self.bump()?;
                    args.push(Expr {
                        kind: ExprKind::Star,
                        span: a.span,
                    });
                } else if named {
                    let name = self.ident("a parameter name")?;
                    self.bump()?;
                    let ctx = format!("as the value of `{}` in `{}`", name.name, func.name);
                    let value = self.expr_pipe(&ctx)?;
                    args.push(Expr {
                        span: name.span.to(value.span),
                        kind: ExprKind::NamedArg {
                            name,
                            value: Box::new(value),
                        },
                    });
                } else {
                    let ctx = format!("as an argument of `{}`", func.name);
                    args.push(self.expr_pipe(&ctx)?);
                }
                if self.eat(&Tok::Comma)?.is_none() {
                    break;
                }
            }
        }
        let close = self.close(&Tok::RParen, &open)?;
        Ok(Expr {
            span: name.span.to(close.span),
            kind: ExprKind::Call { func, args },
        })
    }

    /// `print a = 1, 2`
    fn print_source(&mut self, kw: Token) -> PResult<Expr> {
        self.bump()?;
        let items = self.named_exprs("after `print`")?;
        Ok(Expr {
            span: self.span_from(kw.span.start),
            kind: ExprKind::Print(items),
        })
    }

    /// `datatable (A: long, B: string) [1, "x", 2, "y"]`
    fn datatable(&mut self, kw: Token) -> PResult<Expr> {
        self.bump()?;
        let open = self.bump()?;
        let mut columns = Vec::new();
        loop {
            let name = self.ident("a column name")?;
            self.expect(&Tok::Colon, "`:` and a type")?;
            let ty_tok = self.peek()?;
            let ty_name = self.text(ty_tok.span);
            let ty = match (ty_tok.kind == Tok::Ident)
                .then(|| KqlType::from_name(ty_name))
                .flatten()
            {
                Some(ty) => ty,
                None => {
                    let names = KqlType::ALL.iter().map(|t| t.name());
                    let suggestion = kql_common::suggest::did_you_mean(ty_name, names);
                    return Err(error::unexpected(self.src, &ty_tok, "a type name")
                        .with_suggestion(suggestion));
                }
            };
            self.bump()?;
            columns.push(ColumnDecl {
                span: name.span.to(ty_tok.span),
                name,
                ty,
            });
            if self.eat(&Tok::Comma)?.is_none() {
                break;
            }
        }
        self.close(&Tok::RParen, &open)?;
        let open = self.peek()?;
        if let Tok::BracketIdent(s) = open.kind {
            // `["x"]`: a single string value.
            self.bump()?;
            let value = Expr {
                kind: ExprKind::Literal(Literal::String(s)),
                span: self.bracket_inner_span(open.span),
            };
            return Ok(Expr {
                span: self.span_from(kw.span.start),
                kind: ExprKind::DataTable {
                    columns,
                    values: vec![value],
                },
            });
        }
        let open = self.expect(&Tok::LBracket, "`[` and the values")?;
        let mut values = Vec::new();
        while self.peek()?.kind != Tok::RBracket {
            values.push(self.expr("as a datatable value")?);
            if self.eat(&Tok::Comma)?.is_none() {
                break;
            }
        }
        self.close(&Tok::RBracket, &open)?;
        Ok(Expr {
            span: self.span_from(kw.span.start),
            kind: ExprKind::DataTable { columns, values },
        })
    }

    /// `range x from 1 to 10 step 1`
    fn range(&mut self, kw: Token) -> PResult<Expr> {
        self.bump()?;
        let name = self.ident("a column name")?;
        self.expect_word("from")?;
        let from = self.expr("after `from`")?;
        self.expect_word("to")?;
        let to = self.expr("after `to`")?;
        self.expect_word("step")?;
        let step = self.expr("after `step`")?;
        Ok(Expr {
            span: self.span_from(kw.span.start),
            kind: ExprKind::Range {
                name,
                from: Box::new(from),
                to: Box::new(to),
                step: Box::new(step),
            },
        })
    }
}

/// An error for a `=` where a comparison was meant.
pub(crate) fn lone_assign(src: &str, t: &Token) -> Diagnostic {
    Diagnostic::error(
        codes::UNEXPECTED_TOKEN,
        format!(
            "unexpected {}, expected a comparison operator",
            error::describe(src, t)
        ),
    )
    .with_span(t.span)
    .with_label("`=` assigns; it does not compare")
    .with_help("use == to compare values")
}
