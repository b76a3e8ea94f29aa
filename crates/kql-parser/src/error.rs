//! Diagnostic codes and builders for parse errors.

use crate::lexical::{Tok, Token};
use kql_common::{Diagnostic, Span};

/// Stable diagnostic codes of the parser.
pub mod codes {
    pub const UNEXPECTED_TOKEN: &str = "kql::parse::unexpected_token";
    pub const UNTERMINATED_STRING: &str = "kql::parse::unterminated_string";
    pub const UNCLOSED_BRACKET: &str = "kql::parse::unclosed_bracket";
    pub const INVALID_LITERAL: &str = "kql::parse::invalid_literal";
    pub const UNKNOWN_OPERATOR: &str = "kql::parse::unknown_operator";
    pub const EXPECTED_EXPRESSION: &str = "kql::parse::expected_expression";
    pub const EMPTY_QUERY: &str = "kql::parse::empty_query";
    pub const TOO_DEEP: &str = "kql::parse::too_deep";
}

/// How a token is named in messages: "`where`", "end of input", ...
pub(crate) fn describe(src: &str, tok: &Token) -> String {
    let text = src.get(tok.span.start..tok.span.end).unwrap_or("");
    match &tok.kind {
        Tok::Eof => "end of input".to_string(),
        Tok::Str(_) => "string literal".to_string(),
        Tok::Number(_) => format!("number `{text}`"),
        Tok::BracketIdent(_) => format!("name `{text}`"),
        _ => format!("`{text}`"),
    }
}

/// `unexpected X, expected Y` at the token.
pub(crate) fn unexpected(src: &str, tok: &Token, expected: &str) -> Diagnostic {
    let found = describe(src, tok);
    Diagnostic::error(
        codes::UNEXPECTED_TOKEN,
        format!("unexpected {found}, expected {expected}"),
    )
    .with_span(tok.span)
    .with_label(format!("expected {expected}"))
}

/// A missing expression where one is required.
pub(crate) fn expected_expression(src: &str, tok: &Token, context: &str) -> Diagnostic {
    let found = describe(src, tok);
    let message = if context.is_empty() {
        format!("expected an expression, found {found}")
    } else {
        format!("expected an expression {context}, found {found}")
    };
    Diagnostic::error(codes::EXPECTED_EXPRESSION, message)
        .with_span(tok.span)
        .with_label("expected an expression here")
}

/// A literal that is malformed.
pub(crate) fn invalid_literal(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(codes::INVALID_LITERAL, message).with_span(span)
}

/// A bracket that is never closed: reported at the opening bracket.
pub(crate) fn unclosed(open: Span, open_text: &str, eof: Span) -> Diagnostic {
    Diagnostic::error(codes::UNCLOSED_BRACKET, format!("unclosed `{open_text}`"))
        .with_span(open)
        .with_label(format!("this `{open_text}` is never closed"))
        .with_secondary(eof, "input ends here")
}

/// The nesting limit was reached.
pub(crate) fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::error(codes::TOO_DEEP, "query is nested too deeply")
        .with_span(span)
        .with_label("nesting limit reached here")
        .with_help("split the query with `let` statements")
}

/// A state the parser should never reach; reported rather than panicking.
pub(crate) fn internal(span: Span) -> Diagnostic {
    Diagnostic::error(codes::UNEXPECTED_TOKEN, "unexpected input").with_span(span)
}
