//! Markdown hunt write-ups: every ```` ```kql ```` (or ```` ```kusto ````)
//! block is a step. Its expectation is the first Markdown table or
//! ```` ```csv ````, ```` ```json ```` or ```` ```output ```` block after it,
//! before the next query block or heading. `<!-- kql-test: ... -->`
//! comments before the first query block apply to the whole document; after
//! a query block, to that step.

use crate::testing::case::{lines, Case, Line, Style, Target};
use crate::testing::directive::Directives;
use crate::testing::expect::{
    is_md_delimiter, parse_csv, parse_json, parse_md_table, Expected, Form,
};
use crate::testing::kqltest::expected_from_text;
use std::path::Path;

/// A piece of the document that matters to the runner.
enum Item<'a> {
    Query {
        line: usize,
        code: String,
        end: usize,
    },
    Fence {
        info: String,
        body: String,
        start: usize,
        end: usize,
    },
    Table {
        lines: Vec<&'a str>,
        start: usize,
        end: usize,
    },
    Heading(String),
    Directive(&'a str),
}

fn fence_open(t: &str) -> Option<(char, usize, &str)> {
    let s = t.trim_start();
    if t.len() - s.len() > 3 {
        return None;
    }
    let c = s.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = s.chars().take_while(|x| *x == c).count();
    (n >= 3).then(|| (c, n, s.get(n..).unwrap_or_default().trim()))
}

fn items<'a>(ls: &[Line<'a>]) -> Vec<Item<'a>> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(l) = ls.get(i) {
        if let Some((c, n, info)) = fence_open(l.text) {
            let mut j = i + 1;
            let mut body = Vec::new();
            let mut end = ls.last().map_or(l.end, |x| x.end);
            while let Some(m) = ls.get(j) {
                let s = m.text.trim();
                if s.len() >= n && s.chars().all(|x| x == c) {
                    end = m.end;
                    break;
                }
                body.push(m.text);
                j += 1;
            }
            let word = info
                .split(|ch: char| ch.is_whitespace() || ch == '{' || ch == ',')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let mut code = body.join("\n");
            code.push('\n');
            if word == "kql" || word == "kusto" {
                out.push(Item::Query {
                    line: i + 1,
                    code,
                    end,
                });
            } else {
                out.push(Item::Fence {
                    info: word,
                    body: code,
                    start: l.start,
                    end,
                });
            }
            i = j + 1;
            continue;
        }
        let t = l.text.trim_start();
        if t.starts_with('|') && ls.get(i + 1).is_some_and(|n| is_md_delimiter(n.text)) {
            let mut j = i;
            let mut tl = Vec::new();
            let mut end = l.end;
            while let Some(m) = ls.get(j).filter(|m| m.text.trim_start().starts_with('|')) {
                tl.push(m.text);
                end = m.end;
                j += 1;
            }
            out.push(Item::Table {
                lines: tl,
                start: l.start,
                end,
            });
            i = j;
            continue;
        }
        if t.starts_with('#') {
            out.push(Item::Heading(t.trim_start_matches('#').trim().to_string()));
        } else if crate::testing::directive::directive_text(t).is_some() && t.starts_with("<!--") {
            out.push(Item::Directive(t));
        }
        i += 1;
    }
    out
}

/// True when the document holds at least one query block.
pub fn has_queries(text: &str) -> bool {
    items(&lines(text))
        .iter()
        .any(|i| matches!(i, Item::Query { .. }))
}

/// The steps of a Markdown write-up.
pub fn cases(path: &Path, text: &str) -> Vec<Case> {
    let ls = lines(text);
    let its = items(&ls);
    let mut file_dirs = Directives::default();
    let mut heading = String::new();
    let mut out: Vec<Case> = Vec::new();
    // The step being filled: its case and whether its region is still open.
    let mut open = false;
    let mut step = 0;
    for it in &its {
        match it {
            Item::Query { line, code, end } => {
                step += 1;
                let mut dirs = Directives::default();
                for l in code.lines() {
                    dirs.read_line(l);
                }
                let name = if heading.is_empty() || out.iter().any(|c| c.name == heading) {
                    format!("step {step}")
                } else {
                    heading.clone()
                };
                out.push(Case {
                    file: path.to_path_buf(),
                    line: *line,
                    query_line: line + 1 + code.lines().take_while(|l| l.trim().is_empty()).count(),
                    name,
                    query: code.trim().to_string(),
                    expected: Expected::Missing,
                    directives: dirs,
                    target: Target::Span {
                        range: *end..*end,
                        style: Style::MdNew,
                    },
                });
                open = true;
            }
            Item::Heading(h) => {
                heading = h.clone();
                open = false;
            }
            Item::Directive(t) => match out.last_mut() {
                Some(c) => {
                    c.directives.read_line(t);
                }
                None => {
                    file_dirs.read_line(t);
                }
            },
            Item::Fence {
                info,
                body,
                start,
                end,
            } if open => {
                let expected = match info.as_str() {
                    "csv" => match parse_csv(body) {
                        Ok((t, typed)) => Expected::Tables {
                            form: Form::Csv { typed },
                            tables: vec![t],
                        },
                        Err(e) => Expected::Invalid(e),
                    },
                    "json" => match parse_json(body) {
                        Ok(t) => Expected::Tables {
                            form: Form::Json,
                            tables: vec![t],
                        },
                        Err(e) => Expected::Invalid(e),
                    },
                    "output" => expected_from_text(body),
                    // A bare block: the text table `kql` prints, or CSV.
                    "" => match expected_from_text(body) {
                        Expected::Invalid(_) => match parse_csv(body) {
                            Ok((t, typed)) => Expected::Tables {
                                form: Form::Csv { typed },
                                tables: vec![t],
                            },
                            Err(e) => Expected::Invalid(e),
                        },
                        e => e,
                    },
                    _ => continue,
                };
                let style = if info.is_empty() {
                    Style::MdBareFence
                } else {
                    Style::MdFence
                };
                if let Some(c) = out.last_mut() {
                    c.expected = expected;
                    c.target = Target::Span {
                        range: *start..*end,
                        style,
                    };
                }
                open = false;
            }
            Item::Table { lines, start, end } if open => {
                let expected = match parse_md_table(lines) {
                    Ok(t) => Expected::Tables {
                        form: Form::Markdown,
                        tables: vec![t],
                    },
                    Err(e) => Expected::Invalid(e),
                };
                if let Some(c) = out.last_mut() {
                    c.expected = expected;
                    c.target = Target::Span {
                        range: *start..*end,
                        style: Style::MdTable,
                    };
                }
                open = false;
            }
            Item::Fence { .. } | Item::Table { .. } => {}
        }
    }
    for c in &mut out {
        c.directives = file_dirs.merged(&c.directives);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::expect::Form;

    const DOC: &str = "\
# Hunt
<!-- kql-test: now 2026-01-31 -->

## First

```kql
print A = 1
```

Prose in between.

| A |
|--:|
| 1 |

## Second

```kusto
print B = 2
```
<!-- kql-test: expect at least 1 row -->

## Third

```kql
print C = 3
```

```csv
C:long
3
```

```kql
print D = 4
```
";

    #[test]
    fn steps_and_their_expectations() {
        let cs = cases(Path::new("h.md"), DOC);
        assert_eq!(cs.len(), 4);
        assert_eq!(cs[0].name, "First");
        assert_eq!(cs[0].line, 6);
        assert_eq!(cs[0].query, "print A = 1");
        assert!(matches!(
            cs[0].expected,
            Expected::Tables {
                form: Form::Markdown,
                ..
            }
        ));
        assert!(cs.iter().all(|c| c.directives.now.is_some()));
        assert_eq!(cs[1].expected, Expected::Missing);
        assert_eq!(cs[1].directives.at_least, Some(1));
        assert!(cs[0].directives.at_least.is_none());
        assert!(matches!(
            cs[2].expected,
            Expected::Tables {
                form: Form::Csv { typed: true },
                ..
            }
        ));
        assert_eq!(cs[3].expected, Expected::Missing);
        let Target::Span { range, style } = &cs[0].target else {
            panic!("span")
        };
        assert_eq!(*style, Style::MdTable);
        assert_eq!(&DOC[range.clone()], "| A |\n|--:|\n| 1 |\n");
        let Target::Span { range, style } = &cs[3].target else {
            panic!("span")
        };
        assert_eq!(*style, Style::MdNew);
        assert_eq!(range.start, DOC.len());
    }

    #[test]
    fn a_bare_block_holds_csv_or_a_text_table() {
        let doc = "```kql\nprint a = 1\n```\n\n```\na\n1\n```\n```kql\nprint a = 1\n```\n```\n   a\nlong\n────\n   1\n(1 row)\n```\n";
        let cs = cases(Path::new("h.md"), doc);
        assert!(matches!(
            cs[0].expected,
            Expected::Tables {
                form: Form::Csv { typed: false },
                ..
            }
        ));
        assert!(matches!(
            cs[1].expected,
            Expected::Tables {
                form: Form::Rendered,
                ..
            }
        ));
        assert!(matches!(
            cs[1].target,
            Target::Span {
                style: Style::MdBareFence,
                ..
            }
        ));
    }

    #[test]
    fn a_heading_ends_the_step() {
        let doc = "```kql\nprint 1\n```\n## Next\n| A |\n|---|\n| 1 |\n";
        let cs = cases(Path::new("h.md"), doc);
        assert_eq!(cs[0].expected, Expected::Missing);
        assert!(!has_queries("# none\n```sh\nls\n```\n"));
    }
}
