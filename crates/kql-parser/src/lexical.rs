//! The lexer: turns KQL text into tokens on demand, one at a time.
//!
//! The parser asks for the token at a byte offset; the lexer skips whitespace
//! and `//` comments first. Lexing lazily lets the parser read the raw text of
//! typed literals such as `datetime(2026-01-29T16:49:20Z)` and backtrack
//! cheaply by resetting an offset.

use crate::error::{self, codes};
use kql_common::{Diagnostic, Span};
use nom::bytes::complete::take_while;
use nom::IResult;

/// The kind of a token. Words (identifiers and keywords alike) are `Ident`;
/// the parser decides from context which words are keywords.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Ident,
    /// `['name']` or `["name"]`, holding the inner name.
    BracketIdent(String),
    /// A string literal, with escapes decoded.
    Str(String),
    /// A number; the parser reads its text from the span.
    Number(NumKind),
    Pipe,
    Semi,
    Comma,
    Dot,
    DotDot,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    /// `=`
    Assign,
    /// `==`
    EqEq,
    /// `!=`
    NotEq,
    /// `<>`
    LtGt,
    Lt,
    Le,
    Gt,
    Ge,
    /// `=~`
    EqTilde,
    /// `!~`
    BangTilde,
    Bang,
    Tilde,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Colon,
    Eof,
}

/// What kind of number a `Tok::Number` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumKind {
    /// Decimal digits only.
    Int,
    /// `0x1F`
    Hex,
    /// Has a fraction or an exponent.
    Real,
    /// A number followed by a unit (`2m`); the unit starts at this offset.
    TimeSpan { unit_start: usize },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub span: Span,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn ident_tail(s: &str) -> IResult<&str, &str> {
    take_while(|c: char| c.is_ascii_alphanumeric() || c == '_')(s)
}

fn digits(s: &str) -> IResult<&str, &str> {
    take_while(|c: char| c.is_ascii_digit())(s)
}

fn hex_digits(s: &str) -> IResult<&str, &str> {
    take_while(|c: char| c.is_ascii_hexdigit())(s)
}

/// Length of the prefix of `s` read by a nom scanner that cannot fail.
fn scan(s: &str, f: fn(&str) -> IResult<&str, &str>) -> usize {
    match f(s) {
        Ok((_, matched)) => matched.len(),
        Err(_) => 0,
    }
}

/// Skips whitespace and comments from `pos`; returns the offset of the next
/// token (or the end of the text).
pub(crate) fn skip_trivia(src: &str, mut pos: usize) -> usize {
    let b = src.as_bytes();
    loop {
        match b.get(pos) {
            Some(c) if c.is_ascii_whitespace() => pos += 1,
            Some(b'/') if b.get(pos + 1) == Some(&b'/') => {
                while let Some(&c) = b.get(pos) {
                    if c == b'\n' {
                        break;
                    }
                    pos += 1;
                }
            }
            _ => {
                // Non-ASCII whitespace (e.g. a no-break space pasted in).
                if let Some(ch) = src.get(pos..).and_then(|s| s.chars().next()) {
                    if !ch.is_ascii() && ch.is_whitespace() {
                        pos += ch.len_utf8();
                        continue;
                    }
                }
                return pos;
            }
        }
    }
}

/// Lexes the token that starts at or after `pos`.
pub(crate) fn lex(src: &str, pos: usize) -> Result<Token, Diagnostic> {
    let start = skip_trivia(src, pos);
    let b = src.as_bytes();
    let Some(&c) = b.get(start) else {
        return Ok(Token {
            kind: Tok::Eof,
            span: Span::new(src.len(), src.len()),
        });
    };
    let next = b.get(start + 1).copied();
    let tok = |kind: Tok, len: usize| {
        Ok(Token {
            kind,
            span: Span::new(start, start + len),
        })
    };
    match c {
        b'"' | b'\'' => lex_string(src, start, start),
        b'@' if matches!(next, Some(b'"' | b'\'')) => lex_string(src, start, start),
        b'`' if src.get(start..).is_some_and(|s| s.starts_with("```")) => {
            lex_string(src, start, start)
        }
        b'h' | b'H'
            if matches!(next, Some(b'"' | b'\''))
                || (next == Some(b'@') && matches!(b.get(start + 2), Some(b'"' | b'\''))) =>
        {
            lex_string(src, start, start + 1)
        }
        c if is_ident_start(c) => {
            let len = 1 + src.get(start + 1..).map_or(0, |s| scan(s, ident_tail));
            tok(Tok::Ident, len)
        }
        b'0'..=b'9' => lex_number(src, start),
        b'[' if matches!(next, Some(b'"' | b'\'')) => lex_bracket_ident(src, start),
        b'|' => tok(Tok::Pipe, 1),
        b';' => tok(Tok::Semi, 1),
        b',' => tok(Tok::Comma, 1),
        b'.' if next == Some(b'.') => tok(Tok::DotDot, 2),
        b'.' => tok(Tok::Dot, 1),
        b'(' => tok(Tok::LParen, 1),
        b')' => tok(Tok::RParen, 1),
        b'[' => tok(Tok::LBracket, 1),
        b']' => tok(Tok::RBracket, 1),
        b'{' => tok(Tok::LBrace, 1),
        b'}' => tok(Tok::RBrace, 1),
        b'=' if next == Some(b'=') => tok(Tok::EqEq, 2),
        b'=' if next == Some(b'~') => tok(Tok::EqTilde, 2),
        b'=' => tok(Tok::Assign, 1),
        b'!' if next == Some(b'=') => tok(Tok::NotEq, 2),
        b'!' if next == Some(b'~') => tok(Tok::BangTilde, 2),
        b'!' => tok(Tok::Bang, 1),
        b'<' if next == Some(b'=') => tok(Tok::Le, 2),
        b'<' if next == Some(b'>') => tok(Tok::LtGt, 2),
        b'<' => tok(Tok::Lt, 1),
        b'>' if next == Some(b'=') => tok(Tok::Ge, 2),
        b'>' => tok(Tok::Gt, 1),
        b'~' => tok(Tok::Tilde, 1),
        b'+' => tok(Tok::Plus, 1),
        b'-' => tok(Tok::Minus, 1),
        b'*' => tok(Tok::Star, 1),
        b'/' => tok(Tok::Slash, 1),
        b'%' => tok(Tok::Percent, 1),
        b':' => tok(Tok::Colon, 1),
        _ => {
            let ch = src
                .get(start..)
                .and_then(|s| s.chars().next())
                .unwrap_or('?');
            Err(Diagnostic::error(
                codes::UNEXPECTED_TOKEN,
                format!("unexpected character `{}`", ch.escape_default()),
            )
            .with_span(Span::new(start, start + ch.len_utf8()))
            .with_label("not valid in a query"))
        }
    }
}

fn lex_number(src: &str, start: usize) -> Result<Token, Diagnostic> {
    let b = src.as_bytes();
    let rest = src.get(start..).unwrap_or("");
    let mut end;
    let mut kind = NumKind::Int;
    if (rest.starts_with("0x") || rest.starts_with("0X"))
        && b.get(start + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        end = start + 2 + src.get(start + 2..).map_or(0, |s| scan(s, hex_digits));
        kind = NumKind::Hex;
    } else {
        end = start + scan(rest, digits);
        // A fraction, but not the `..` of a range.
        if b.get(end) == Some(&b'.') && b.get(end + 1).is_some_and(u8::is_ascii_digit) {
            end += 1 + src.get(end + 1..).map_or(0, |s| scan(s, digits));
            kind = NumKind::Real;
        }
        // An exponent: e, optional sign, digits.
        if matches!(b.get(end), Some(b'e' | b'E')) {
            let mut e = end + 1;
            if matches!(b.get(e), Some(b'+' | b'-')) {
                e += 1;
            }
            if b.get(e).is_some_and(u8::is_ascii_digit) {
                end = e + src.get(e..).map_or(0, |s| scan(s, digits));
                kind = NumKind::Real;
            }
        }
    }
    // A unit directly after the number makes it a timespan.
    if b.get(end).is_some_and(|&c| is_ident_start(c)) {
        let unit_start = end;
        let unit_end = end + src.get(end..).map_or(0, |s| scan(s, ident_tail));
        let unit = src.get(unit_start..unit_end).unwrap_or("");
        if kind != NumKind::Hex && kql_common::time::timespan_unit_ticks(unit).is_some() {
            return Ok(Token {
                kind: Tok::Number(NumKind::TimeSpan { unit_start }),
                span: Span::new(start, unit_end),
            });
        }
        return Err(Diagnostic::error(
            codes::INVALID_LITERAL,
            format!(
                "invalid number `{}`",
                src.get(start..unit_end).unwrap_or("")
            ),
        )
        .with_span(Span::new(start, unit_end))
        .with_label("not a number or a timespan")
        .with_help(
            "a timespan unit is one of d, h, m, s, ms, microsecond, tick (or their long forms)",
        ));
    }
    Ok(Token {
        kind: Tok::Number(kind),
        span: Span::new(start, end),
    })
}

/// `['name']`: a bracketed name when a lone string sits between the
/// brackets, else a plain `[` (as in `d["key"]` or `dynamic(["a", "b"])`,
/// where the parser reads a one-string bracket back as an index or array).
fn lex_bracket_ident(src: &str, start: usize) -> Result<Token, Diagnostic> {
    let plain = Token {
        kind: Tok::LBracket,
        span: Span::new(start, start + 1),
    };
    let s = lex_string(src, start + 1, start + 1)?;
    let Tok::Str(name) = s.kind else {
        return Ok(plain);
    };
    let close = skip_trivia(src, s.span.end);
    if src.as_bytes().get(close) != Some(&b']') {
        return Ok(plain);
    }
    Ok(Token {
        kind: Tok::BracketIdent(name),
        span: Span::new(start, close + 1),
    })
}

/// Lexes a string literal whose token starts at `start` and whose quote (or
/// `@`, or opening backticks) is at `at` (after an `h` obfuscation prefix).
fn lex_string(src: &str, start: usize, at: usize) -> Result<Token, Diagnostic> {
    let b = src.as_bytes();
    let unterminated = |quote_at: usize| {
        Diagnostic::error(codes::UNTERMINATED_STRING, "unterminated string literal")
            .with_span(Span::new(quote_at, quote_at + 1))
            .with_label("this string is never closed")
    };
    let mut out = String::new();
    // Multi-line string: ```...```
    if src.get(at..).is_some_and(|s| s.starts_with("```")) {
        let body_start = at + 3;
        let rest = src.get(body_start..).unwrap_or("");
        let Some(close) = rest.find("```") else {
            return Err(unterminated(at));
        };
        out.push_str(rest.get(..close).unwrap_or(""));
        return Ok(Token {
            kind: Tok::Str(out),
            span: Span::new(start, body_start + close + 3),
        });
    }
    let verbatim = b.get(at) == Some(&b'@');
    let qpos = if verbatim { at + 1 } else { at };
    let Some(&quote) = b.get(qpos) else {
        return Err(error::internal(Span::new(start, start)));
    };
    let mut i = qpos + 1;
    loop {
        let Some(ch) = src.get(i..).and_then(|s| s.chars().next()) else {
            return Err(unterminated(qpos));
        };
        match ch {
            '\n' | '\r' => return Err(unterminated(qpos)),
            c if c as u32 == u32::from(quote) => {
                if verbatim && b.get(i + 1) == Some(&quote) {
                    out.push(c);
                    i += 2;
                    continue;
                }
                i += 1;
                break;
            }
            '\\' if !verbatim => {
                let esc_start = i;
                let Some(e) = src.get(i + 1..).and_then(|s| s.chars().next()) else {
                    return Err(unterminated(qpos));
                };
                i += 1 + e.len_utf8();
                match e {
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    '\'' => out.push('\''),
                    '/' => out.push('/'),
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    '0' => out.push('\0'),
                    'u' => {
                        let (c, len) = unicode_escape(src, i, esc_start)?;
                        out.push(c);
                        i += len;
                    }
                    '\n' | '\r' => return Err(unterminated(qpos)),
                    other => {
                        return Err(Diagnostic::error(
                            codes::INVALID_LITERAL,
                            format!("unknown escape sequence `\\{}`", other.escape_default()),
                        )
                        .with_span(Span::new(esc_start, i))
                        .with_help("use \\\\ for a backslash, or a verbatim string @\"...\""))
                    }
                }
            }
            c => {
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    Ok(Token {
        kind: Tok::Str(out),
        span: Span::new(start, i),
    })
}

/// Reads the `XXXX` of a `\uXXXX` escape at `i` (and a following low
/// surrogate when `XXXX` is a high one). Returns the char and bytes read.
fn unicode_escape(src: &str, i: usize, esc_start: usize) -> Result<(char, usize), Diagnostic> {
    let bad = |end: usize| {
        Diagnostic::error(codes::INVALID_LITERAL, "invalid unicode escape")
            .with_span(Span::new(esc_start, end.max(esc_start)))
            .with_help("write \\u followed by four hex digits, e.g. \\u00e9")
    };
    let hex4 = |at: usize| -> Option<u32> {
        let h = src.get(at..at + 4)?;
        if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(h, 16).ok()
    };
    let hi = hex4(i).ok_or_else(|| bad((i + 4).min(src.len())))?;
    if (0xD800..0xDC00).contains(&hi) {
        if src.get(i + 4..i + 6) == Some("\\u") {
            if let Some(lo) = hex4(i + 6) {
                if (0xDC00..0xE000).contains(&lo) {
                    let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return char::from_u32(cp)
                        .map(|c| (c, 10))
                        .ok_or_else(|| bad(i + 10));
                }
            }
        }
        return Err(bad(i + 4));
    }
    char::from_u32(hi).map(|c| (c, 4)).ok_or_else(|| bad(i + 4))
}

/// Whether `word` is a plain identifier (no quoting needed, ignoring keywords).
pub(crate) fn is_plain_ident(word: &str) -> bool {
    let b = word.as_bytes();
    match b.split_first() {
        Some((&c, rest)) => is_ident_start(c) && rest.iter().all(|&c| is_ident_char(c)),
        None => false,
    }
}

/// A token class for syntax highlighting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A word with a fixed meaning (`where`, `and`, `by`, `contains`, ...).
    Keyword,
    /// Any other word: a table, column, function or `let` name.
    Identifier,
    /// A string literal.
    String,
    /// A number or timespan literal.
    Number,
    /// An operator symbol (`==`, `+`, `|`, ...).
    Operator,
    /// Brackets, commas, semicolons.
    Punctuation,
    /// A `//` comment.
    Comment,
    /// Text the lexer cannot read (an unterminated string, a stray `#`).
    Error,
}

/// Words highlighted as keywords.
const KEYWORDS: &[&str] = &[
    "let",
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
    "by",
    "asc",
    "desc",
    "nulls",
    "first",
    "last",
    "take",
    "limit",
    "top",
    "count",
    "distinct",
    "summarize",
    "print",
    "datatable",
    "range",
    "from",
    "to",
    "step",
    "and",
    "or",
    "in",
    "between",
    "has_any",
    "has_all",
    "matches",
    "regex",
    "true",
    "false",
    "null",
    "contains",
    "contains_cs",
    "startswith",
    "startswith_cs",
    "endswith",
    "endswith_cs",
    "has",
    "has_cs",
    "hasprefix",
    "hasprefix_cs",
    "hassuffix",
    "hassuffix_cs",
];

/// Classifies the tokens of `source` for highlighting. Never fails: text the
/// lexer cannot read is reported as [`TokenKind::Error`] up to the end of its
/// line, and lexing resumes after it. Comments are included.
pub fn tokens(source: &str) -> Vec<(TokenKind, Span)> {
    let mut out = Vec::new();
    let b = source.as_bytes();
    let mut pos = 0;
    loop {
        // Report comments between tokens.
        let mut p = pos;
        loop {
            let q = skip_ws(source, p);
            if b.get(q) == Some(&b'/') && b.get(q + 1) == Some(&b'/') {
                let end = source
                    .get(q..)
                    .and_then(|s| s.find('\n'))
                    .map_or(source.len(), |n| q + n);
                out.push((TokenKind::Comment, Span::new(q, end)));
                p = end;
            } else {
                break;
            }
        }
        match lex(source, p) {
            Ok(Token { kind: Tok::Eof, .. }) => break,
            Ok(t) => {
                let kind = match &t.kind {
                    Tok::Ident => {
                        let word = source.get(t.span.start..t.span.end).unwrap_or("");
                        if KEYWORDS.contains(&word) {
                            TokenKind::Keyword
                        } else {
                            TokenKind::Identifier
                        }
                    }
                    Tok::BracketIdent(_) => TokenKind::Identifier,
                    Tok::Str(_) => TokenKind::String,
                    Tok::Number(_) => TokenKind::Number,
                    Tok::LParen
                    | Tok::RParen
                    | Tok::LBracket
                    | Tok::RBracket
                    | Tok::LBrace
                    | Tok::RBrace
                    | Tok::Comma
                    | Tok::Semi
                    | Tok::Colon => TokenKind::Punctuation,
                    _ => TokenKind::Operator,
                };
                pos = t.span.end;
                out.push((kind, t.span));
            }
            Err(d) => {
                let start = d.span.map_or(p, |s| s.start).max(skip_trivia(source, p));
                let end = source
                    .get(start..)
                    .and_then(|s| s.find('\n'))
                    .map_or(source.len(), |n| start + n)
                    .max(start + 1)
                    .min(source.len());
                out.push((TokenKind::Error, Span::new(start, end)));
                if end <= pos {
                    break;
                }
                pos = end;
                // Stay on a char boundary.
                while pos < source.len() && !source.is_char_boundary(pos) {
                    pos += 1;
                }
            }
        }
    }
    out
}

fn skip_ws(src: &str, mut pos: usize) -> usize {
    while let Some(ch) = src.get(pos..).and_then(|s| s.chars().next()) {
        if ch.is_whitespace() {
            pos += ch.len_utf8();
        } else {
            break;
        }
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        let mut out = Vec::new();
        let mut pos = 0;
        loop {
            let t = lex(src, pos).expect("lexes");
            if t.kind == Tok::Eof {
                return out;
            }
            pos = t.span.end;
            out.push(t.kind);
        }
    }

    #[test]
    fn numbers_and_timespans() {
        assert_eq!(
            kinds("1 1.5 0x1F 1e3"),
            vec![
                Tok::Number(NumKind::Int),
                Tok::Number(NumKind::Real),
                Tok::Number(NumKind::Hex),
                Tok::Number(NumKind::Real),
            ]
        );
        assert_eq!(
            kinds("2m"),
            vec![Tok::Number(NumKind::TimeSpan { unit_start: 1 })]
        );
        assert_eq!(
            kinds("1..5"),
            vec![
                Tok::Number(NumKind::Int),
                Tok::DotDot,
                Tok::Number(NumKind::Int),
            ]
        );
        assert!(lex("12abc", 0).is_err());
    }

    #[test]
    fn strings() {
        assert_eq!(kinds(r#""a\"b\n""#), vec![Tok::Str("a\"b\n".into())]);
        assert_eq!(kinds(r#"@"c:\x""y""#), vec![Tok::Str("c:\\x\"y".into())]);
        assert_eq!(kinds("h'secret'"), vec![Tok::Str("secret".into())]);
        assert_eq!(
            kinds(r#""\u00e9\ud83d\ude00""#),
            vec![Tok::Str("é😀".into())]
        );
        assert_eq!(kinds("['a b']"), vec![Tok::BracketIdent("a b".into())]);
        assert_eq!(kinds("[\"a\", 1]")[0], Tok::LBracket);
        let e = lex("\"abc", 0).expect_err("unterminated");
        assert_eq!(e.code, codes::UNTERMINATED_STRING);
    }

    #[test]
    fn comments_are_skipped() {
        assert_eq!(kinds("a // x\n b"), vec![Tok::Ident, Tok::Ident]);
    }

    #[test]
    fn highlight_tokens() {
        let t = tokens("T | where x == \"a\" // c");
        let k: Vec<TokenKind> = t.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            k,
            vec![
                TokenKind::Identifier,
                TokenKind::Operator,
                TokenKind::Keyword,
                TokenKind::Identifier,
                TokenKind::Operator,
                TokenKind::String,
                TokenKind::Comment,
            ]
        );
        let t = tokens("x \"abc\ny #");
        assert!(t.iter().any(|(k, _)| *k == TokenKind::Error));
    }
}
