//! The recursive-descent parser's state, token helpers and statements.

use crate::ast::{FunctionDef, Ident, Param, ParamType, Query, Statement, StatementKind};
use crate::error::{self, codes};
use crate::lexical::{lex, Tok, Token};
use kql_common::{Diagnostic, Span};

pub(crate) type PResult<T> = Result<T, Diagnostic>;

/// Nesting budget. Each recursive level (a bracket, a unary operator, a
/// nested `dynamic` value) costs [`LEVEL_COST`]; each link of a left-nested
/// chain (`a + b + c`, `T | op | op`) costs one, so the syntax tree can never
/// get deep enough to overflow the stack when it is parsed, walked or dropped.
pub(crate) const MAX_DEPTH: usize = 512;
pub(crate) const LEVEL_COST: usize = 4;

pub(crate) struct Parser<'a> {
    pub src: &'a str,
    /// Offset just after the last consumed token.
    pub pos: usize,
    pub depth: usize,
    cache: Option<(usize, Token)>,
}

impl<'a> Parser<'a> {
    pub fn new(src: &'a str) -> Self {
        Parser {
            src,
            pos: 0,
            depth: 0,
            cache: None,
        }
    }

    /// The next token, without consuming it.
    pub fn peek(&mut self) -> PResult<Token> {
        if let Some((p, t)) = &self.cache {
            if *p == self.pos {
                return Ok(t.clone());
            }
        }
        let t = lex(self.src, self.pos)?;
        self.cache = Some((self.pos, t.clone()));
        Ok(t)
    }

    /// The token after the next one.
    pub fn peek2(&mut self) -> PResult<Token> {
        let t = self.peek()?;
        if t.kind == Tok::Eof {
            return Ok(t);
        }
        lex(self.src, t.span.end)
    }

    pub fn bump(&mut self) -> PResult<Token> {
        let t = self.peek()?;
        self.pos = t.span.end;
        Ok(t)
    }

    pub fn text(&self, span: Span) -> &'a str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    /// Whether `tok` is the word `word` (case-sensitive).
    pub fn is_word(&self, tok: &Token, word: &str) -> bool {
        tok.kind == Tok::Ident && self.text(tok.span) == word
    }

    /// Whether the next token is the word `word`.
    pub fn at_word(&mut self, word: &str) -> PResult<bool> {
        let t = self.peek()?;
        Ok(self.is_word(&t, word))
    }

    /// Consumes the word `word` if it is next.
    pub fn eat_word(&mut self, word: &str) -> PResult<bool> {
        if self.at_word(word)? {
            self.bump()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Consumes a token of kind `kind` if it is next.
    pub fn eat(&mut self, kind: &Tok) -> PResult<Option<Token>> {
        let t = self.peek()?;
        if &t.kind == kind {
            self.bump()?;
            Ok(Some(t))
        } else {
            Ok(None)
        }
    }

    /// One or more items separated by commas, each parsed by `item`.
    pub fn comma_separated<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        let mut items = vec![item(self)?];
        while self.eat(&Tok::Comma)?.is_some() {
            items.push(item(self)?);
        }
        Ok(items)
    }

    /// Consumes a token of kind `kind` or fails, naming `expected`.
    pub fn expect(&mut self, kind: &Tok, expected: &str) -> PResult<Token> {
        let t = self.peek()?;
        if &t.kind == kind {
            self.bump()
        } else {
            Err(error::unexpected(self.src, &t, expected))
        }
    }

    /// Consumes the word `word` or fails.
    pub fn expect_word(&mut self, word: &str) -> PResult<Token> {
        let t = self.peek()?;
        if self.is_word(&t, word) {
            self.bump()
        } else {
            Err(error::unexpected(self.src, &t, &format!("`{word}`")))
        }
    }

    /// Consumes the closing bracket matching `open`; an end of input is
    /// reported as an unclosed bracket at `open`.
    pub fn close(&mut self, kind: &Tok, open: &Token) -> PResult<Token> {
        let t = self.peek()?;
        if &t.kind == kind {
            return self.bump();
        }
        let open_text = self.text(open.span);
        let close_text = match kind {
            Tok::RParen => ")",
            Tok::RBracket => "]",
            _ => "}",
        };
        if t.kind == Tok::Eof {
            return Err(error::unclosed(open.span, open_text, t.span));
        }
        Err(error::unexpected(self.src, &t, &format!("`{close_text}`"))
            .with_secondary(open.span, format!("to close the `{open_text}` opened here")))
    }

    /// An identifier or bracketed name.
    pub fn ident(&mut self, what: &str) -> PResult<Ident> {
        let t = self.peek()?;
        match t.kind {
            Tok::Ident => {
                self.bump()?;
                Ok(Ident {
                    name: self.text(t.span).to_string(),
                    span: t.span,
                })
            }
            Tok::BracketIdent(name) => {
                self.bump()?;
                Ok(Ident { name, span: t.span })
            }
            _ => Err(error::unexpected(self.src, &t, what)),
        }
    }

    /// Enters a nested level, failing past the nesting budget.
    pub fn enter(&mut self, cost: usize) -> PResult<()> {
        self.depth += cost;
        if self.depth > MAX_DEPTH {
            let span = match self.peek() {
                Ok(t) => t.span,
                Err(_) => Span::new(self.pos, self.pos),
            };
            return Err(error::too_deep(span));
        }
        Ok(())
    }

    pub fn leave(&mut self, cost: usize) {
        self.depth = self.depth.saturating_sub(cost);
    }

    /// Span from `start` to the end of the last consumed token.
    pub fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.pos.max(start))
    }

    /// The whole query: statements separated by `;`.
    pub fn query(&mut self) -> PResult<Query> {
        let mut statements = Vec::new();
        loop {
            let t = self.peek()?;
            match t.kind {
                Tok::Eof => break,
                Tok::Semi => {
                    self.bump()?;
                    continue;
                }
                _ => {}
            }
            statements.push(self.statement()?);
            let t = self.peek()?;
            match t.kind {
                Tok::Eof => break,
                Tok::Semi => {
                    self.bump()?;
                }
                Tok::Assign => {
                    return Err(error::unexpected(self.src, &t, "`|`, `;` or end of input")
                        .with_help("use == to compare values"))
                }
                Tok::RParen | Tok::RBracket | Tok::RBrace => {
                    return Err(Diagnostic::error(
                        codes::UNEXPECTED_TOKEN,
                        format!(
                            "unexpected {}, with no matching opening bracket",
                            error::describe(self.src, &t)
                        ),
                    )
                    .with_span(t.span)
                    .with_label("unmatched closing bracket"))
                }
                Tok::Bang => {
                    return Err(error::unexpected(self.src, &t, "`|`, `;` or end of input")
                        .with_help(
                            "write negated operators without a space: !contains, !in, !between",
                        ))
                }
                _ => return Err(error::unexpected(self.src, &t, "`|`, `;` or end of input")),
            }
        }
        let (Some(first), Some(last)) = (statements.first(), statements.last()) else {
            return Err(Diagnostic::error(codes::EMPTY_QUERY, "the query is empty")
                .with_span(Span::new(self.src.len(), self.src.len()))
                .with_help("write a table name, e.g. DeviceProcessEvents | take 10"));
        };
        let span = first.span.to(last.span);
        Ok(Query { statements, span })
    }

    /// Whether a function definition starts here: `(x: long) {`,
    /// `() {`, or `view (`.
    fn at_function_definition(&mut self) -> PResult<bool> {
        let open = self.peek()?;
        if self.is_word(&open, "view") {
            return Ok(lex(self.src, open.span.end)?.kind == Tok::LParen);
        }
        if open.kind != Tok::LParen {
            return Ok(false);
        }
        let a = lex(self.src, open.span.end)?;
        let b = lex(self.src, a.span.end)?;
        Ok(matches!(
            (&a.kind, &b.kind),
            (Tok::Ident | Tok::BracketIdent(_), Tok::Colon) | (Tok::RParen, Tok::LBrace)
        ))
    }

    /// `[view] (params) { statements; result }`
    fn function_definition(&mut self) -> PResult<FunctionDef> {
        let start = self.peek()?.span.start;
        let view = self.eat_word("view")?;
        let open = self.expect(&Tok::LParen, "`(` and the parameters")?;
        let params = self.params(&open)?;
        let brace = self.expect(&Tok::LBrace, "`{` and the function body")?;
        let mut body = Vec::new();
        let mut result = None;
        loop {
            let t = self.peek()?;
            match t.kind {
                Tok::RBrace => break,
                Tok::Semi => {
                    self.bump()?;
                    continue;
                }
                Tok::Eof => return Err(error::unclosed(brace.span, "{", t.span)),
                _ => {}
            }
            if result.is_some() {
                return Err(error::unexpected(
                    self.src,
                    &t,
                    "`}` after the function result",
                ));
            }
            let st = self.statement()?;
            match st.kind {
                StatementKind::Query(e) => result = Some(e),
                _ => body.push(st),
            }
        }
        let close = self.close(&Tok::RBrace, &brace)?;
        let Some(result) = result else {
            return Err(Diagnostic::error(
                codes::UNEXPECTED_TOKEN,
                "the function body has no result expression",
            )
            .with_span(brace.span.to(close.span))
            .with_label("empty body")
            .with_help("end the body with an expression, e.g. `{ T | take 10 }`"));
        };
        Ok(FunctionDef {
            params,
            body,
            result: Box::new(result),
            view,
            span: self.span_from(start),
        })
    }

    /// `name: type [= default], T: (*), U: (A: long)` through the `)`.
    fn params(&mut self, open: &Token) -> PResult<Vec<Param>> {
        let mut params = Vec::new();
        while self.peek()?.kind != Tok::RParen {
            let name = self.ident("a parameter name")?;
            self.expect(&Tok::Colon, "`:` and the parameter type")?;
            let t = self.peek()?;
            let ty = if t.kind == Tok::LParen {
                self.bump()?;
                if self.peek()?.kind == Tok::Star {
                    self.bump()?;
                    self.close(&Tok::RParen, &t)?;
                    ParamType::Tabular(Vec::new())
                } else {
                    ParamType::Tabular(self.column_decls(&t)?)
                }
            } else {
                ParamType::Scalar(self.type_name()?)
            };
            let default = if self.eat(&Tok::Assign)?.is_some() {
                Some(self.expr("as a default value")?)
            } else {
                None
            };
            params.push(Param {
                span: self.span_from(name.span.start),
                name,
                ty,
                default,
            });
            if self.eat(&Tok::Comma)?.is_none() {
                break;
            }
        }
        self.close(&Tok::RParen, open)?;
        Ok(params)
    }

    fn statement(&mut self) -> PResult<Statement> {
        let t = self.peek()?;
        if self.is_word(&t, "let") {
            let next = self.peek2()?;
            if matches!(next.kind, Tok::Ident | Tok::BracketIdent(_)) {
                self.bump()?;
                let name = self.ident("a name")?;
                let eq = self.peek()?;
                if eq.kind != Tok::Assign {
                    let mut d = error::unexpected(self.src, &eq, "`=`");
                    if eq.kind == Tok::EqEq {
                        d = d.with_help("a let statement is written `let Name = value`");
                    }
                    return Err(d);
                }
                self.bump()?;
                if self.at_function_definition()? {
                    let def = self.function_definition()?;
                    return Ok(Statement {
                        span: self.span_from(t.span.start),
                        kind: StatementKind::Function { name, def },
                    });
                }
                let value = self.expr_pipe("after `=`")?;
                return Ok(Statement {
                    span: self.span_from(t.span.start),
                    kind: StatementKind::Let { name, value },
                });
            }
            if matches!(next.kind, Tok::Eof | Tok::Semi | Tok::Assign) {
                return Err(error::unexpected(self.src, &next, "a name after `let`"));
            }
        }
        let second = self.peek2()?;
        if self.is_word(&t, "declare") && self.is_word(&second, "query_parameters") {
            self.bump()?;
            self.bump()?;
            let open = self.expect(&Tok::LParen, "`(` and the parameters")?;
            let params = self.params(&open)?;
            return Ok(Statement {
                span: self.span_from(t.span.start),
                kind: StatementKind::DeclareParams(params),
            });
        }
        if self.is_word(&t, "set") {
            let next = self.peek2()?;
            if matches!(next.kind, Tok::Ident) {
                let after = lex(self.src, next.span.end)?;
                if matches!(after.kind, Tok::Assign | Tok::Semi | Tok::Eof) {
                    self.bump()?;
                    let name = self.ident("an option name")?;
                    let value = if after.kind == Tok::Assign {
                        self.bump()?;
                        Some(self.expr_pipe("after `=`")?)
                    } else {
                        None
                    };
                    return Ok(Statement {
                        span: self.span_from(t.span.start),
                        kind: StatementKind::Set { name, value },
                    });
                }
            }
        }
        let e = self.expr_pipe("")?;
        Ok(Statement {
            span: e.span,
            kind: StatementKind::Query(e),
        })
    }
}
