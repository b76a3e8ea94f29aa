//! Parses KQL text into a syntax tree with source spans.
//!
//! [`parse`] turns a query into an [`ast::Query`]; [`print`] turns a tree back
//! into canonical KQL text; [`is_incomplete`] tells a REPL whether to keep
//! reading lines; [`tokens`] classifies text for highlighting.

pub mod ast;
mod error;
mod expr;
mod lexical;
mod literal;
mod operators;
mod parser;
mod print;

pub use error::codes;
pub use lexical::{tokens, TokenKind};
pub use print::print;

use kql_common::Diagnostic;
use lexical::{lex, Tok};

/// Parses a whole query. On failure returns at least one diagnostic, each
/// with a span inside `source`.
pub fn parse(source: &str) -> Result<ast::Query, Vec<Diagnostic>> {
    parser::Parser::new(source).query().map_err(|d| vec![d])
}

/// For the REPL: true if `source` is an unfinished query (open bracket or
/// string, trailing `|`, a trailing `let ...;` with nothing after it, empty),
/// i.e. the user should keep typing.
pub fn is_incomplete(source: &str) -> bool {
    let mut pos = 0;
    let mut brackets: Vec<Tok> = Vec::new();
    let mut last: Option<Tok> = None;
    // Whether the current statement starts with `let`, and whether the last
    // non-empty statement did.
    let mut stmt_is_let: Option<bool> = None;
    let mut last_stmt_was_let = false;
    loop {
        let t = match lex(source, pos) {
            Ok(t) => t,
            Err(d) => return d.code == codes::UNTERMINATED_STRING,
        };
        pos = t.span.end;
        match &t.kind {
            Tok::Eof => break,
            Tok::LParen | Tok::LBracket | Tok::LBrace => brackets.push(t.kind.clone()),
            Tok::RParen | Tok::RBracket | Tok::RBrace => {
                brackets.pop();
            }
            Tok::Semi if brackets.is_empty() => {
                if let Some(is_let) = stmt_is_let.take() {
                    last_stmt_was_let = is_let;
                }
                last = Some(Tok::Semi);
                continue;
            }
            _ => {}
        }
        if stmt_is_let.is_none() {
            let word = source.get(t.span.start..t.span.end).unwrap_or("");
            stmt_is_let = Some(t.kind == Tok::Ident && word == "let");
        }
        last = Some(t.kind);
    }
    match last {
        None => true,
        _ if !brackets.is_empty() => true,
        Some(Tok::Pipe) => true,
        Some(Tok::Semi) => stmt_is_let.is_none() && last_stmt_was_let,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ast::{ExprKind, Literal, OperatorKind, StatementKind};

    const HUNT_1: &str = r#"DeviceFileEvents
| where FileName endswith "zip" and FileName != "VMAgentLogs.zip"
| order by Timestamp desc"#;

    const HUNT_2: &str = r#"let IncidentTime = datetime(2026-01-29T16:49:20.4813094Z);
DeviceProcessEvents
| where DeviceName == "stefano-test"
| where Timestamp between ((IncidentTime - 2m) .. (IncidentTime + 2m))
| order by Timestamp desc
| project Timestamp, DeviceName, ActionType, FileName, FolderPath, ProcessVersionInfoOriginalFileName, ProcessCommandLine"#;

    const HUNT_3: &str = r#"let IncidentTime = datetime(2026-01-29T16:49:20.4813094Z);
DeviceNetworkEvents
| where DeviceName == "stefano-test"
| where Timestamp between ((IncidentTime - 2m) .. (IncidentTime + 2m))
| where AdditionalFields contains "Out"
| order by Timestamp desc"#;

    #[test]
    fn hunt_queries_parse() {
        for q in [HUNT_1, HUNT_2, HUNT_3] {
            let parsed = parse(q);
            assert!(parsed.is_ok(), "{q}: {parsed:?}");
        }
    }

    #[test]
    fn hunt_query_shape() {
        let q = parse(HUNT_2).expect("parses");
        assert_eq!(q.statements.len(), 2);
        let StatementKind::Let { name, value } = &q.statements[0].kind else {
            panic!("expected let");
        };
        assert_eq!(name.name, "IncidentTime");
        assert_eq!(
            value.kind,
            ExprKind::Literal(Literal::DateTime("2026-01-29T16:49:20.4813094Z".into()))
        );
        let StatementKind::Query(e) = &q.statements[1].kind else {
            panic!("expected query");
        };
        let ExprKind::Pipe { op, .. } = &e.kind else {
            panic!("expected pipe");
        };
        assert!(matches!(op.kind, OperatorKind::Project(ref cols) if cols.len() == 7));
        assert_eq!(&HUNT_2[op.span.start..op.span.start + 7], "project");
        assert_eq!(op.span.end, HUNT_2.len());
    }
}
