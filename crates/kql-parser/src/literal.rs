//! Literals: numbers, timespans, typed literals (`datetime(...)`,
//! `long(null)`, ...) and `dynamic(...)` JSON-like values.

use crate::ast::{Expr, ExprKind, Literal};
use crate::error::{self, codes};
use crate::lexical::{lex, skip_trivia, NumKind, Tok, Token};
use crate::parser::{PResult, Parser, LEVEL_COST};
use kql_common::time::{format_datetime, format_timespan, parse_datetime, parse_timespan};
use kql_common::{Diagnostic, KqlType, Span};
use serde_json::Value;

/// The value of a number token (negated when `neg`).
pub(crate) fn number(src: &str, kind: NumKind, span: Span, neg: bool) -> PResult<Literal> {
    let text = src.get(span.start..span.end).unwrap_or("");
    let sign = if neg { "-" } else { "" };
    let bad = |what: &str| error::invalid_literal(span, format!("{what}: `{sign}{text}`"));
    match kind {
        NumKind::Int => format!("{sign}{text}")
            .parse::<i64>()
            .map(Literal::Long)
            .map_err(|_| {
                bad("integer literal out of range").with_help(
                    "a long holds -9223372036854775808 to 9223372036854775807; write a real (e.g. 1e20) for larger numbers",
                )
            }),
        NumKind::Hex => {
            let digits = text.get(2..).unwrap_or("");
            let v = u64::from_str_radix(digits, 16)
                .map_err(|_| bad("hexadecimal literal out of range"))?;
            // Hex literals are two's complement bit patterns.
            let v = v as i64;
            Ok(Literal::Long(if neg { v.wrapping_neg() } else { v }))
        }
        NumKind::Real => format!("{sign}{text}")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Literal::Real)
            .ok_or_else(|| bad("invalid real literal")),
        NumKind::TimeSpan { unit_start } => {
            let num = src.get(span.start..unit_start).unwrap_or("");
            let unit = src.get(unit_start..span.end).unwrap_or("");
            let n: f64 = num.parse().map_err(|_| bad("invalid timespan literal"))?;
            let per = kql_common::time::timespan_unit_ticks(unit)
                .ok_or_else(|| bad("invalid timespan unit in"))?;
            let v = (n * per).round();
            if !v.is_finite() || v.abs() >= 9.2e18 {
                return Err(bad("timespan literal out of range"));
            }
            let v = v as i64;
            Ok(Literal::TimeSpan(if neg { -v } else { v }))
        }
    }
}

/// The type named by a typed-literal word, if the word is one.
fn literal_type(word: &str) -> Option<KqlType> {
    KqlType::from_name(word)
}

/// Converts a literal to its `dynamic` JSON form.
fn to_json(lit: Literal, span: Span) -> PResult<Value> {
    Ok(match lit {
        Literal::Bool(b) => Value::Bool(b),
        Literal::Long(v) => Value::from(v),
        Literal::Int(v) => Value::from(v),
        Literal::Real(v) => serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| {
                error::invalid_literal(span, "a dynamic value cannot hold nan or infinity")
            })?,
        Literal::String(s) | Literal::Guid(s) => Value::String(s),
        Literal::DateTime(raw) => {
            let ticks = parse_datetime(&raw)
                .ok_or_else(|| error::invalid_literal(span, format!("invalid datetime `{raw}`")))?;
            Value::String(format_datetime(ticks))
        }
        Literal::TimeSpan(t) => Value::String(format_timespan(t)),
        Literal::Dynamic(v) => v,
        Literal::Null(_) => Value::Null,
    })
}

/// Whether `s` looks like a number (optionally signed) for `long(...)` and
/// friends.
fn numeric_text(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    body.bytes()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == b'.')
        && body
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
}

/// Whether the text at `i` starts with a weekday name followed by a comma
/// (an RFC 822 datetime).
fn weekday_first(src: &str, i: usize) -> bool {
    let rest = src.get(i..).unwrap_or("").trim_start();
    let word: String = rest
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_lowercase();
    let days = [
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    days.contains(&word.as_str()) && rest[word.len()..].starts_with(',')
}

fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

impl Parser<'_> {
    /// Tries to read `name(...)` as a typed literal. Returns `None` (having
    /// consumed nothing) when it is an ordinary call such as `long(x)`.
    pub fn typed_literal(&mut self, name: &Token, open: &Token) -> PResult<Option<Expr>> {
        let word = self.text(name.span);
        let Some(ty) = literal_type(word) else {
            return Ok(None);
        };
        if ty == KqlType::Dynamic {
            return self.dynamic(name, open).map(Some);
        }
        // Find the raw text up to the closing `)`, skipping strings.
        let b = self.src.as_bytes();
        let mut i = open.span.end;
        let mut quoted: Option<(String, Span)> = None;
        let close = loop {
            match b.get(i) {
                None => {
                    return Err(error::unclosed(
                        open.span,
                        "(",
                        Span::new(self.src.len(), self.src.len()),
                    ))
                }
                Some(b')') => break i,
                // `datetime(Sat, 8 Nov 14 15:05:02 GMT)` has a comma after
                // the weekday; other commas make it a call.
                Some(b',') if ty == KqlType::DateTime && weekday_first(self.src, open.span.end) => {
                    i += 1
                }
                Some(b'(' | b'\n' | b',' | b'|') => return Ok(None),
                Some(b'"' | b'\'') => {
                    let t = lex(self.src, i)?;
                    match t.kind {
                        Tok::Str(s) if quoted.is_none() => quoted = Some((s, t.span)),
                        _ => return Ok(None),
                    }
                    i = t.span.end;
                }
                Some(_) => i += 1,
            }
        };
        let raw_start = skip_trivia(self.src, open.span.end);
        let raw = self.src.get(open.span.end..close).unwrap_or("").trim();
        let span = name.span.to(Span::new(close, close + 1));
        let inner = Span::new(raw_start, raw_start + raw.len());
        if let Some((_, qspan)) = &quoted {
            // Only a lone string inside the parentheses.
            if qspan.start != raw_start || qspan.end != inner.end {
                return Ok(None);
            }
        }
        let lit = if raw == "null" {
            Some(Literal::Null(ty))
        } else {
            self.typed_value(ty, word, raw, quoted.map(|(s, _)| s), inner)?
        };
        let Some(lit) = lit else {
            return Ok(None);
        };
        self.pos = close + 1;
        Ok(Some(Expr {
            kind: ExprKind::Literal(lit),
            span,
        }))
    }

    /// The literal for the text inside `word(...)`, `None` if it is not one.
    fn typed_value(
        &self,
        ty: KqlType,
        word: &str,
        raw: &str,
        quoted: Option<String>,
        inner: Span,
    ) -> PResult<Option<Literal>> {
        let starts_digit = raw.bytes().next().is_some_and(|c| c.is_ascii_digit());
        let invalid = |what: &str, help: &str| -> Diagnostic {
            error::invalid_literal(inner, format!("invalid {what} literal `{raw}`"))
                .with_label(format!("not a valid {what}"))
                .with_help(help.to_string())
        };
        Ok(match ty {
            KqlType::DateTime => {
                let text = match (&quoted, starts_digit) {
                    (Some(q), _) => q.trim().to_string(),
                    // `datetime(2017 - 08 - 01)`: as Kusto's formatter
                    // writes it.
                    (None, true) if parse_datetime(raw).is_none() => raw.replace(" - ", "-"),
                    (None, true) => raw.to_string(),
                    // `datetime(Sat, 8 Nov 14 15:05:02 GMT)`
                    (None, false) if parse_datetime(raw).is_some() => raw.to_string(),
                    (None, false) => return Ok(None),
                };
                if parse_datetime(&text).is_none() {
                    return Err(invalid(
                        "datetime",
                        "write a datetime as datetime(2026-01-29T16:49:20Z) or datetime(2026-01-29)",
                    ));
                }
                Some(Literal::DateTime(text))
            }
            KqlType::TimeSpan => {
                let text = match &quoted {
                    Some(q) => q.trim().to_string(),
                    None => {
                        let body = raw.strip_prefix('-').unwrap_or(raw).trim_start();
                        if !body
                            .bytes()
                            .next()
                            .is_some_and(|c| c.is_ascii_digit() || c == b'.')
                        {
                            return Ok(None);
                        }
                        raw.to_string()
                    }
                };
                match parse_timespan(&text) {
                    Some(t) => Some(Literal::TimeSpan(t)),
                    None => {
                        return Err(invalid(
                            "timespan",
                            "write a timespan as timespan(1.02:03:04), time(2h) or time(30s)",
                        ))
                    }
                }
            }
            KqlType::Guid => {
                let text = quoted.as_deref().unwrap_or(raw).trim();
                if is_guid(text) {
                    Some(Literal::Guid(text.to_string()))
                } else if quoted.is_some() || starts_digit {
                    return Err(invalid(
                        "guid",
                        "write a guid as guid(74be27de-1e4e-49d9-b579-fe0b331d3642)",
                    ));
                } else {
                    None
                }
            }
            KqlType::Bool => match raw.to_ascii_lowercase().as_str() {
                "true" => Some(Literal::Bool(true)),
                "false" => Some(Literal::Bool(false)),
                _ => None,
            },
            KqlType::Int | KqlType::Long => {
                if !numeric_text(raw) {
                    return Ok(None);
                }
                let v: i64 = raw
                    .strip_prefix('+')
                    .unwrap_or(raw)
                    .parse()
                    .map_err(|_| invalid(word, "write a whole number"))?;
                if ty == KqlType::Int {
                    let v = i32::try_from(v)
                        .map_err(|_| invalid(word, "an int holds -2147483648 to 2147483647"))?;
                    Some(Literal::Int(v))
                } else {
                    Some(Literal::Long(v))
                }
            }
            KqlType::Real | KqlType::Decimal => {
                let lower = raw.to_ascii_lowercase();
                match lower.as_str() {
                    "nan" => Some(Literal::Real(f64::NAN)),
                    "inf" | "+inf" => Some(Literal::Real(f64::INFINITY)),
                    "-inf" => Some(Literal::Real(f64::NEG_INFINITY)),
                    _ if numeric_text(raw) => {
                        let v: f64 = raw
                            .parse()
                            .map_err(|_| invalid(word, "write a number such as 1.5 or 1e3"))?;
                        Some(Literal::Real(v))
                    }
                    _ => None,
                }
            }
            KqlType::String => quoted.map(Literal::String),
            KqlType::Dynamic => None,
        })
    }

    /// `dynamic(...)`: `name` and `open` are the `dynamic` and `(` tokens.
    fn dynamic(&mut self, name: &Token, open: &Token) -> PResult<Expr> {
        self.bump()?;
        self.bump()?;
        let t = self.peek()?;
        if self.is_word(&t, "null") && self.peek2()?.kind == Tok::RParen {
            self.bump()?;
            let close = self.bump()?;
            return Ok(Expr {
                kind: ExprKind::Literal(Literal::Null(KqlType::Dynamic)),
                span: name.span.to(close.span),
            });
        }
        let v = self.json_value()?;
        let close = self.close(&Tok::RParen, open)?;
        Ok(Expr {
            kind: ExprKind::Literal(Literal::Dynamic(v)),
            span: name.span.to(close.span),
        })
    }

    fn json_value(&mut self) -> PResult<Value> {
        self.enter(LEVEL_COST)?;
        let v = self.json_value_inner()?;
        self.leave(LEVEL_COST);
        Ok(v)
    }

    fn json_value_inner(&mut self) -> PResult<Value> {
        let t = self.peek()?;
        match &t.kind {
            Tok::LBracket => {
                self.bump()?;
                let mut items = Vec::new();
                while self.peek()?.kind != Tok::RBracket {
                    items.push(self.json_value()?);
                    if self.eat(&Tok::Comma)?.is_none() {
                        break;
                    }
                }
                self.close(&Tok::RBracket, &t)?;
                Ok(Value::Array(items))
            }
            Tok::LBrace => {
                self.bump()?;
                let mut map = serde_json::Map::new();
                while self.peek()?.kind != Tok::RBrace {
                    let k = self.peek()?;
                    let key = match &k.kind {
                        Tok::Str(s) => s.clone(),
                        Tok::Ident => self.text(k.span).to_string(),
                        _ => {
                            return Err(error::unexpected(self.src, &k, "a property name")
                                .with_help("write a property bag as {\"name\": value}"))
                        }
                    };
                    self.bump()?;
                    self.expect(&Tok::Colon, "`:`")?;
                    let v = self.json_value()?;
                    map.insert(key, v);
                    if self.eat(&Tok::Comma)?.is_none() {
                        break;
                    }
                }
                self.close(&Tok::RBrace, &t)?;
                Ok(Value::Object(map))
            }
            Tok::Str(s) => {
                self.bump()?;
                Ok(Value::String(s.clone()))
            }
            // `["a"]` lexes as a bracketed name; here it is an array.
            Tok::BracketIdent(s) => {
                self.bump()?;
                Ok(Value::Array(vec![Value::String(s.clone())]))
            }
            Tok::Number(kind) => {
                self.bump()?;
                to_json(number(self.src, *kind, t.span, false)?, t.span)
            }
            Tok::Minus | Tok::Plus => {
                self.bump()?;
                let n = self.peek()?;
                let Tok::Number(kind) = n.kind else {
                    return Err(error::unexpected(self.src, &n, "a number"));
                };
                self.bump()?;
                let span = t.span.to(n.span);
                to_json(number(self.src, kind, n.span, t.kind == Tok::Minus)?, span)
            }
            Tok::Ident => {
                let word = self.text(t.span);
                match word {
                    "null" => {
                        self.bump()?;
                        return Ok(Value::Null);
                    }
                    w if w.eq_ignore_ascii_case("true") => {
                        self.bump()?;
                        return Ok(Value::Bool(true));
                    }
                    w if w.eq_ignore_ascii_case("false") => {
                        self.bump()?;
                        return Ok(Value::Bool(false));
                    }
                    _ => {}
                }
                let next = self.peek2()?;
                if next.kind == Tok::LParen {
                    if let Some(e) = self.typed_literal(&t, &next)? {
                        if let ExprKind::Literal(lit) = e.kind {
                            return to_json(lit, e.span);
                        }
                    }
                }
                Err(self.bad_json(&t))
            }
            _ => Err(self.bad_json(&t)),
        }
    }

    fn bad_json(&self, t: &Token) -> Diagnostic {
        Diagnostic::error(
            codes::INVALID_LITERAL,
            format!(
                "unexpected {} in a dynamic literal",
                error::describe(self.src, t)
            ),
        )
        .with_span(t.span)
        .with_label("expected a value")
        .with_help("a dynamic literal holds JSON: arrays, {\"key\": value} bags, strings, numbers, true, false, null or typed literals")
    }
}
