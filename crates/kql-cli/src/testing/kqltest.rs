//! `.kqltest` files: several cases, each `=== title`, the query, a `----`
//! line and the expected output: the text table(s) `kql` prints, or the
//! diagnostics as `error CODE at START..END `TEXT`: MESSAGE` lines with
//! their `help:` lines. Lines before the first `===` may hold file-wide
//! directives.

use crate::testing::case::{lines, Case, Style, Target};
use crate::testing::directive::Directives;
use crate::testing::expect::{parse_rendered, Expected, Form};
use std::path::Path;

/// Reads the expected text of a block.
pub fn expected_from_text(text: &str) -> Expected {
    // Keep the first line's indentation: numeric names are right-aligned.
    let t = text.trim_end().trim_start_matches(['\n', '\r']);
    if t.trim().is_empty() {
        Expected::Missing
    } else if t.trim_start().starts_with("error ") {
        Expected::Error(t.trim_start().to_string() + "\n")
    } else {
        match parse_rendered(t) {
            Ok(tables) => Expected::Tables {
                form: Form::Rendered,
                tables,
            },
            Err(e) => Expected::Invalid(e),
        }
    }
}

/// The cases of a `.kqltest` file.
pub fn cases(path: &Path, text: &str) -> Vec<Case> {
    let ls = lines(text);
    let mut file_dirs = Directives::default();
    let starts: Vec<usize> = ls
        .iter()
        .enumerate()
        .filter(|(_, l)| l.text.starts_with("=== "))
        .map(|(i, _)| i)
        .collect();
    for l in ls.iter().take(starts.first().copied().unwrap_or(ls.len())) {
        file_dirs.read_line(l.text);
    }
    let mut out = Vec::new();
    for (b, &s) in starts.iter().enumerate() {
        let end = starts.get(b + 1).copied().unwrap_or(ls.len());
        let block = ls.get(s..end).unwrap_or_default();
        let Some(head) = block.first() else { continue };
        let title = head.text.get(4..).unwrap_or_default().trim().to_string();
        let sep = block.iter().position(|l| l.text == "----");
        let query_lines = block.get(1..sep.unwrap_or(block.len())).unwrap_or_default();
        let query = query_lines
            .iter()
            .map(|l| l.text)
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string();
        let mut dirs = Directives::default();
        for l in query_lines {
            dirs.read_line(l.text);
        }
        let (expected, target) = match sep {
            Some(sep) => {
                let exp = block.get(sep + 1..).unwrap_or_default();
                let last = exp.iter().rposition(|l| !l.text.trim().is_empty());
                let from = exp
                    .first()
                    .map_or(block.get(sep).map_or(text.len(), |l| l.end), |l| l.start);
                let to = last.and_then(|i| exp.get(i)).map_or(from, |l| l.end);
                let body = text.get(from..to).unwrap_or_default();
                (
                    expected_from_text(body),
                    Target::Span {
                        range: from..to,
                        style: Style::KqlTest,
                    },
                )
            }
            None => {
                let last = query_lines.iter().rposition(|l| !l.text.trim().is_empty());
                let at = last
                    .and_then(|i| query_lines.get(i))
                    .map_or(head.end, |l| l.end);
                (
                    Expected::Missing,
                    Target::Span {
                        range: at..at,
                        style: Style::KqlTestNew,
                    },
                )
            }
        };
        out.push(Case {
            file: path.to_path_buf(),
            line: s + 1,
            query_line: s
                + 2
                + query_lines
                    .iter()
                    .take_while(|l| l.text.trim().is_empty())
                    .count(),
            name: title,
            query,
            expected,
            directives: file_dirs.merged(&dirs),
            target,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_titles_and_spans() {
        let text = "// kql-test: now 2026-01-31\n\n=== one\nprint 1\n----\nerror kql::x at 0..1 `p`: no\n\n=== two\nprint 2\n// kql-test: expect no rows\n\n=== three\nprint 3\n----\n";
        let cs = cases(Path::new("t.kqltest"), text);
        assert_eq!(cs.len(), 3);
        assert_eq!(cs[0].name, "one");
        assert_eq!(cs[0].line, 3);
        assert_eq!(
            cs[0].expected,
            Expected::Error("error kql::x at 0..1 `p`: no\n".into())
        );
        assert!(
            cs[0].directives.now.is_some(),
            "file directives apply to every case"
        );
        let Target::Span { range, style } = &cs[0].target else {
            panic!("span")
        };
        assert_eq!(*style, Style::KqlTest);
        assert_eq!(&text[range.clone()], "error kql::x at 0..1 `p`: no\n");
        assert_eq!(cs[1].expected, Expected::Missing);
        assert!(cs[1].directives.no_rows);
        let Target::Span { range, style } = &cs[1].target else {
            panic!("span")
        };
        assert_eq!(*style, Style::KqlTestNew);
        assert_eq!(&text[..range.start], "// kql-test: now 2026-01-31\n\n=== one\nprint 1\n----\nerror kql::x at 0..1 `p`: no\n\n=== two\nprint 2\n// kql-test: expect no rows\n");
        assert_eq!(cs[2].expected, Expected::Missing);
        assert_eq!(cs[2].query, "print 3");
    }
}
