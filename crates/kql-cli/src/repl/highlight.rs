//! Syntax highlighting from the lexer's tokens, with table and column names
//! known to the catalog set apart.

use kql_parser::TokenKind;
use std::collections::HashSet;

const RESET: &str = "\x1b[0m";
const KEYWORD: &str = "\x1b[1;35m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[33m";
const COMMENT: &str = "\x1b[2;37m";
const TABLE: &str = "\x1b[1;36m";
const COLUMN: &str = "\x1b[36m";
const FUNCTION: &str = "\x1b[34m";
const ERROR: &str = "\x1b[4;31m";

/// Names the highlighter knows.
#[derive(Default, Clone)]
pub struct Names {
    pub tables: HashSet<String>,
    pub columns: HashSet<String>,
}

/// The words that start typed literals, coloured like literals.
const LITERAL_WORDS: &[&str] = &[
    "datetime", "timespan", "time", "dynamic", "guid", "bool", "int", "long", "real", "double",
    "decimal", "string", "true", "false",
];

/// Returns `line` with ANSI colours around its tokens.
pub fn highlight(line: &str, names: &Names) -> String {
    let mut out = String::with_capacity(line.len() * 2);
    let mut pos = 0;
    let toks = kql_parser::tokens(line);
    for (i, (kind, span)) in toks.iter().enumerate() {
        let (start, end) = (span.start.min(line.len()), span.end.min(line.len()));
        if start < pos || !line.is_char_boundary(start) || !line.is_char_boundary(end) {
            continue;
        }
        out.push_str(&line[pos..start]);
        let text = &line[start..end];
        let next_is_paren = toks
            .get(i + 1)
            .is_some_and(|(_, s)| line.get(s.start..s.end) == Some("("));
        // `datetime(...)`, `timespan(...)`, `guid(...)`: the whole literal
        // is one colour, whatever the lexer makes of its inside.
        if *kind == TokenKind::Identifier
            && next_is_paren
            && matches!(text, "datetime" | "timespan" | "time" | "guid")
        {
            if let Some(close) = line[end..].find(')').map(|c| end + c + 1) {
                out.push_str(NUMBER);
                out.push_str(&line[start..close]);
                out.push_str(RESET);
                pos = close;
                continue;
            }
        }
        let color = match kind {
            TokenKind::Keyword => Some(KEYWORD),
            TokenKind::String => Some(STRING),
            TokenKind::Number => Some(NUMBER),
            TokenKind::Comment => Some(COMMENT),
            TokenKind::Error => Some(ERROR),
            TokenKind::Identifier if LITERAL_WORDS.contains(&text) => Some(NUMBER),
            TokenKind::Identifier if names.tables.contains(text) => Some(TABLE),
            TokenKind::Identifier if next_is_paren => Some(FUNCTION),
            TokenKind::Identifier if names.columns.contains(text) => Some(COLUMN),
            _ => None,
        };
        match color {
            Some(c) => {
                out.push_str(c);
                out.push_str(text);
                out.push_str(RESET);
            }
            None => out.push_str(text),
        }
        pos = end;
    }
    out.push_str(&line[pos.min(line.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            tables: ["DeviceInfo".to_string()].into_iter().collect(),
            columns: ["DeviceName".to_string()].into_iter().collect(),
        }
    }

    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut in_esc = false;
        for c in s.chars() {
            match (in_esc, c) {
                (false, '\x1b') => in_esc = true,
                (true, 'm') => in_esc = false,
                (true, _) => {}
                (false, c) => out.push(c),
            }
        }
        out
    }

    #[test]
    fn colours_each_kind_and_keeps_the_text() {
        let line = "DeviceInfo | where DeviceName == \"x\" and tolower(A) > 1 // note";
        let h = highlight(line, &names());
        assert_eq!(strip(&h), line);
        assert!(h.contains(&format!("{TABLE}DeviceInfo{RESET}")), "{h:?}");
        assert!(h.contains(&format!("{KEYWORD}where{RESET}")), "{h:?}");
        assert!(h.contains(&format!("{COLUMN}DeviceName{RESET}")), "{h:?}");
        assert!(h.contains(&format!("{STRING}\"x\"{RESET}")), "{h:?}");
        assert!(h.contains(&format!("{FUNCTION}tolower{RESET}")), "{h:?}");
        assert!(h.contains(&format!("{NUMBER}1{RESET}")), "{h:?}");
        assert!(h.contains(&format!("{COMMENT}// note{RESET}")), "{h:?}");
    }

    #[test]
    fn literals_and_unfinished_strings() {
        let h = highlight("print datetime(2026-01-29), 2m, \"open", &Names::default());
        assert!(
            h.contains(&format!("{NUMBER}datetime(2026-01-29){RESET}")),
            "{h:?}"
        );
        let h = highlight(
            "let t = datetime(2026-01-29T16:49:20.4813094Z);",
            &Names::default(),
        );
        assert!(
            h.contains(&format!(
                "{NUMBER}datetime(2026-01-29T16:49:20.4813094Z){RESET}"
            )),
            "{h:?}"
        );
        assert!(!h.contains(ERROR), "{h:?}");
        let h = highlight("print datetime(2026-01-29), 2m, \"open", &Names::default());
        assert!(h.contains(&format!("{NUMBER}2m{RESET}")), "{h:?}");
        assert_eq!(strip(&h), "print datetime(2026-01-29), 2m, \"open");
    }
}
