//! Runtime errors (`kql::eval::…`).

use kql_common::{Diagnostic, Span};

pub type EvalResult<T> = Result<T, Diagnostic>;

/// An error that means a bug in kql, not in the query.
pub fn internal(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::error(
        "kql::eval::internal",
        format!("internal error: {}", msg.into()),
    )
    .with_help("this is a bug in kql; please report it with the query")
}

/// A runtime error at a place in the query.
pub fn runtime(code: &'static str, msg: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::error(code, msg).with_span(span)
}
