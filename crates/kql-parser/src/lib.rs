//! Parses KQL text into a syntax tree with source spans.
//!
//! [`parse`] turns a query into an [`ast::Query`]; [`print`] turns a tree back
//! into canonical KQL text; [`is_incomplete`] tells a REPL whether to keep
//! reading lines; [`tokens`] classifies text for highlighting.

// Parse errors are returned once and end parsing, so their size does not
// matter on the success path; they stay unboxed for simplicity.
#![allow(clippy::result_large_err)]

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

/// Stack for the parsing thread: enough for the deepest nesting the parser
/// accepts even in an unoptimised build.
const PARSE_STACK: usize = 64 * 1024 * 1024;

/// Parses a whole query. On failure returns at least one diagnostic, each
/// with a span inside `source`.
///
/// Parsing runs on its own thread with a large stack, so that the nesting the
/// parser allows (see the `too_deep` error) never depends on the caller's
/// stack size.
pub fn parse(source: &str) -> Result<ast::Query, Vec<Diagnostic>> {
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("kql-parse".into())
            .stack_size(PARSE_STACK)
            .spawn_scoped(scope, || parse_here(source))
            .map(|handle| handle.join())
    });
    match outcome {
        Ok(Ok(result)) => result,
        // The parser does not panic; if it ever did, report it as an error.
        Ok(Err(_)) => Err(vec![Diagnostic::error(
            codes::UNEXPECTED_TOKEN,
            "internal parser error",
        )
        .with_span(kql_common::Span::new(0, source.len()))]),
        // No thread available: parse on the caller's stack.
        Err(_) => parse_here(source),
    }
}

fn parse_here(source: &str) -> Result<ast::Query, Vec<Diagnostic>> {
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
            Err(d) if d.code == codes::UNTERMINATED_STRING => return true,
            Err(_) => {
                // Text the lexer cannot split on its own (such as the inside
                // of `datetime(2026-01-29T16:49:20Z)`) is skipped a character
                // at a time; only brackets and statement ends matter here.
                let step = source
                    .get(pos..)
                    .and_then(|r| r.chars().next())
                    .map_or(1, char::len_utf8);
                pos += step;
                if pos >= source.len() {
                    break;
                }
                continue;
            }
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

#[cfg(test)]
mod robustness {
    use super::*;
    use ast::{ExprKind, OperatorKind, StatementKind};

    const VALID: &[&str] = &[
        "DeviceFileEvents\n| where FileName endswith \"zip\" and FileName != \"VMAgentLogs.zip\"\n| order by Timestamp desc",
        "let t = datetime(2026-01-29T16:49:20.4813094Z);\nT | where Timestamp between ((t - 2m) .. (t + 2m)) | project A, B = A * 2",
        "T | summarize Count = count(), arg_max(Timestamp, *) by DeviceName, bin(Timestamp, 1h) | top 3 by Count desc nulls last",
        "print dynamic({\"a\": [1, 'x', datetime(2026-01-01), 2m, -3.5e2]}), @'v''s', h\"x\", 0x1F, real(-inf), guid(74be27de-1e4e-49d9-b579-fe0b331d3642)",
        "datatable (A:long, B:string) [1, \"x\", -2, 'y'] | where B in~ (\"X\") and A !between (1 .. 2) | distinct *",
        "range x from 1 to 10 step 2 | extend d = x.y[0], e = ['a b'] // comment\n| project-away A*, B | project-rename C = D",
        "T | where x has_any (U | project y) and z !contains_cs \"q\" and w matches regex \"a+\" | sort by a asc nulls first, b",
    ];

    fn check_spans(src: &str) {
        match parse(src) {
            Ok(q) => {
                assert!(q.span.end <= src.len(), "query span outside {src:?}");
            }
            Err(diags) => {
                assert!(!diags.is_empty(), "no diagnostics for {src:?}");
                for d in diags {
                    let span = d.span.expect("every parse error has a span");
                    assert!(
                        span.start <= span.end && span.end <= src.len(),
                        "span {span:?} outside {src:?}"
                    );
                    assert!(src.is_char_boundary(span.start) && src.is_char_boundary(span.end));
                    assert!(!d.message.ends_with('.'), "message ends with a period");
                    assert!(d.message.starts_with(|c: char| !c.is_uppercase()));
                }
            }
        }
        let _ = is_incomplete(src);
        let _ = tokens(src);
    }

    #[test]
    fn every_prefix_parses_or_fails_cleanly() {
        for q in VALID {
            assert!(parse(q).is_ok(), "{q}: {:?}", parse(q));
            for (i, _) in q.char_indices() {
                check_spans(&q[..i]);
                check_spans(&q[i..]);
            }
        }
    }

    #[test]
    fn random_bytes_do_not_panic() {
        // A small deterministic generator, mixing query characters and noise.
        let alphabet: Vec<char> = "abcTwhere|()[]{}\"'@h.,;:=!~<>+-*/%0123456789 \n\t\\#$_xyzdmsé→"
            .chars()
            .collect();
        let words = [
            "where ",
            "project ",
            "| ",
            "summarize ",
            " by ",
            "in~ ",
            "!between ",
            "datetime(",
            "dynamic(",
            "[",
            "\"",
            "..",
            " and ",
            "contains_cs ",
            "let ",
            ";",
            "print ",
            "range ",
            "datatable(",
            "2m",
            "-",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let len = (next() % 40) as usize;
            let mut s = String::new();
            for _ in 0..len {
                let r = next();
                if r % 3 == 0 {
                    s.push_str(words[(r / 3) as usize % words.len()]);
                } else {
                    s.push(alphabet[(r / 3) as usize % alphabet.len()]);
                }
            }
            check_spans(&s);
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        for src in [
            format!("print {}1{}", "(".repeat(100_000), ")".repeat(100_000)),
            format!("print {}1", "-".repeat(100_000)),
            format!("print {}", vec!["1"; 100_000].join(" + ")),
            format!("T{}", " | take 1".repeat(100_000)),
            format!(
                "print dynamic({}1{})",
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
            format!("print f({}1{})", "g(".repeat(100_000), ")".repeat(100_000)),
            format!("print x{}", ".y".repeat(100_000)),
        ] {
            let e = parse(&src).expect_err("too deep");
            assert_eq!(e[0].code, codes::TOO_DEEP);
        }
        // Reasonable nesting is fine.
        let ok = format!("print {}1{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&ok).is_ok());
        let ok = format!("T{}", " | take 1".repeat(300));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn spans_point_at_source_text() {
        let src = "T\n| where  Name   contains \"x\" // c\n| project-away Dev*";
        let q = parse(src).expect("parses");
        let StatementKind::Query(e) = &q.statements[0].kind else {
            panic!("expected a query");
        };
        assert_eq!(&src[e.span.start..e.span.end], &src[..src.len()]);
        let ExprKind::Pipe { input, op } = &e.kind else {
            panic!("expected a pipe");
        };
        assert_eq!(&src[op.span.start..op.span.end], "project-away Dev*");
        let ExprKind::Pipe { op: where_op, .. } = &input.kind else {
            panic!("expected a pipe");
        };
        assert_eq!(
            &src[where_op.span.start..where_op.span.end],
            "where  Name   contains \"x\""
        );
        let OperatorKind::Where(pred) = &where_op.kind else {
            panic!("expected where");
        };
        assert_eq!(
            &src[pred.span.start..pred.span.end],
            "Name   contains \"x\""
        );
        let ExprKind::Binary { left, right, .. } = &pred.kind else {
            panic!("expected a binary expression");
        };
        assert_eq!(&src[left.span.start..left.span.end], "Name");
        assert_eq!(&src[right.span.start..right.span.end], "\"x\"");
    }

    #[test]
    fn incomplete_input() {
        for s in [
            "",
            "   // just a comment",
            "T |",
            "T | where x == \"abc",
            "T | where (a",
            "let x = 5;",
            "let x = 5; let y = 6;\n",
            "print dynamic([1,",
            "T\n| where x in (1,\n",
            "let x = 5;\n// a comment",
            "T | where x == @'multi",
        ] {
            assert!(is_incomplete(s), "{s:?} should be incomplete");
        }
        for s in [
            "T",
            "T | take 5",
            "T | take 5;",
            "let x = 5; T",
            "T | where x == \"a|\"",
            "T | where a)",
            "T | wher x",
        ] {
            assert!(!is_incomplete(s), "{s:?} should be complete");
        }
    }

    #[test]
    fn typed_literal_words_are_not_reserved() {
        let q = parse("T | extend a = long(x), b = datetime(y), datetime = 1, c = long")
            .expect("parses");
        let printed = print(&q);
        assert_eq!(
            printed,
            "T\n| extend a = long(x), b = datetime(y), datetime = 1, c = long"
        );
    }

    #[test]
    fn string_operator_words_are_whole_words() {
        let q = parse("T | where hasprefix_x == 1 and a hasprefix \"b\"").expect("parses");
        assert_eq!(
            print(&q),
            "T\n| where hasprefix_x == 1 and a hasprefix \"b\""
        );
    }
}
