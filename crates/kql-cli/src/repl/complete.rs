//! Context-aware completion: what may be typed at the cursor.
//!
//! The rules, from the text before the cursor:
//! - at the start of a statement: tables, `let` names and statement words;
//! - right after `|`: the tabular operators;
//! - after `.load `: nothing here (file names come from rustyline);
//! - anywhere else: the columns in scope at that point of the pipeline
//!   (found by planning the query up to the last `|`), then functions.

use crate::Session;
use kql_planner::functions::OPERATOR_NAMES;

/// One completion: the text to insert and what to show in the menu.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub replacement: String,
    pub display: String,
}

/// Where the word being completed starts, and the candidates for it.
pub fn complete(session: &Session, line: &str, pos: usize) -> (usize, Vec<Candidate>) {
    let pos = floor_char_boundary(line, pos);
    let before = &line[..pos];
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == '-')
        .last()
        .map_or(pos, |(i, _)| i);
    let word = &before[start..];
    let head = before[..start].trim_end();
    let context = context_of(head);
    let mut names: Vec<(String, String)> = Vec::new();
    match context {
        Context::Operator => {
            for op in OPERATOR_NAMES {
                names.push((op.to_string(), op.to_string()));
            }
        }
        Context::StatementStart => {
            for (t, _) in session.db.tables() {
                names.push((t.clone(), t.clone()));
            }
            for kw in ["let", "print", "datatable", "range"] {
                names.push((kw.to_string(), kw.to_string()));
            }
        }
        Context::Expression { pipeline_prefix } => {
            for c in columns_in_scope(session, &pipeline_prefix) {
                names.push((c.clone(), c));
            }
            for f in kql_functions::all().iter().filter(|f| !f.hidden) {
                names.push((format!("{}(", f.name), f.signature.to_string()));
            }
            for f in kql_planner::functions::AggFunc::ALL {
                let d = f.doc();
                names.push((format!("{}(", d.name), d.signature.to_string()));
            }
        }
    }
    // Names bound by `let` earlier in the entry.
    for name in let_names(&before[..start]) {
        names.push((name.clone(), name));
    }
    let lower = word.to_lowercase();
    let mut out: Vec<Candidate> = names
        .into_iter()
        .filter(|(n, _)| n.to_lowercase().starts_with(&lower))
        .map(|(replacement, display)| Candidate {
            replacement,
            display,
        })
        .collect();
    out.dedup();
    (start, out)
}

enum Context {
    StatementStart,
    Operator,
    /// An expression inside the pipeline whose input is `pipeline_prefix`.
    Expression {
        pipeline_prefix: String,
    },
}

/// Decides the context from the text before the word being completed.
fn context_of(head: &str) -> Context {
    if head.is_empty() || head.ends_with(';') {
        return Context::StatementStart;
    }
    if head.ends_with('|') {
        return Context::Operator;
    }
    // The pipeline input is everything before the last top-level `|`.
    match last_pipe(head) {
        Some(i) => Context::Expression {
            pipeline_prefix: head[..i].to_string(),
        },
        None => Context::Expression {
            pipeline_prefix: String::new(),
        },
    }
}

/// The names bound by `let NAME = ...` statements in `text`.
fn let_names(text: &str) -> Vec<String> {
    let toks = kql_parser::tokens(text);
    toks.windows(2)
        .filter(|w| text.get(w[0].1.start..w[0].1.end) == Some("let"))
        .filter_map(|w| text.get(w[1].1.start..w[1].1.end))
        .map(str::to_string)
        .collect()
}

/// The byte offset of the last `|` outside strings and comments.
fn last_pipe(text: &str) -> Option<usize> {
    kql_parser::tokens(text)
        .into_iter()
        .filter(|(k, s)| {
            *k == kql_parser::TokenKind::Operator && text.get(s.start..s.end) == Some("|")
        })
        .map(|(_, s)| s.start)
        .next_back()
}

/// The columns of the pipeline `prefix` (which may start with `let`
/// statements), or every column of every table when it does not plan.
fn columns_in_scope(session: &Session, prefix: &str) -> Vec<String> {
    if !prefix.trim().is_empty() {
        if let Ok(plans) = session.plan(prefix) {
            if let Some(p) = plans.last() {
                return p.schema().columns.into_iter().map(|c| c.name).collect();
            }
        }
    }
    let mut all: Vec<String> = session
        .db
        .tables()
        .flat_map(|(_, t)| t.kql_schema().columns.into_iter().map(|c| c.name))
        .collect();
    all.sort();
    all.dedup();
    all
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session::bundled().expect("bundled tables")
    }

    fn names(line: &str) -> Vec<String> {
        let s = session();
        complete(&s, line, line.len())
            .1
            .into_iter()
            .map(|c| c.replacement)
            .collect()
    }

    #[test]
    fn tables_at_the_start() {
        assert_eq!(names("DeviceP"), vec!["DeviceProcessEvents".to_string()]);
        let all = names("");
        assert!(all.contains(&"DeviceInfo".to_string()));
        assert!(all.contains(&"let".to_string()));
    }

    #[test]
    fn operators_after_a_pipe() {
        let got = names("DeviceInfo | pro");
        assert!(got.contains(&"project".to_string()), "{got:?}");
        assert!(got.contains(&"project-away".to_string()), "{got:?}");
        assert!(!got.contains(&"where".to_string()));
    }

    #[test]
    fn columns_of_the_input_in_an_expression() {
        let got = names("DeviceProcessEvents | where DeviceN");
        assert_eq!(got, vec!["DeviceName".to_string()]);
    }

    #[test]
    fn columns_follow_the_pipeline() {
        let got = names("DeviceProcessEvents | project Host = DeviceName, FileName | where Hos");
        assert_eq!(got, vec!["Host".to_string()]);
        let got = names("DeviceProcessEvents | summarize n = count() by DeviceName | where n");
        assert!(got.contains(&"n".to_string()), "{got:?}");
        assert!(!got.iter().any(|c| c == "FileName"));
    }

    #[test]
    fn functions_with_their_signature() {
        let s = session();
        let (start, got) = complete(&s, "print x = tolo", 14);
        assert_eq!(start, 10);
        let tolower = got
            .iter()
            .find(|c| c.replacement == "tolower(")
            .expect("tolower is offered");
        assert_eq!(tolower.display, "tolower(s: string): string");
    }

    #[test]
    fn let_names_are_offered() {
        let got = names("let IncidentTime = now(); let Hosts = DeviceInfo | take 1;\nDeviceProcessEvents | where Timestamp > Inc");
        assert_eq!(got, vec!["IncidentTime".to_string()]);
        let got = names("let Hosts = DeviceInfo | take 1;\nHo");
        assert_eq!(got, vec!["Hosts".to_string()]);
    }

    #[test]
    fn the_replacement_starts_at_the_word() {
        let s = session();
        let line = "DeviceInfo | where OSPl";
        let (start, _) = complete(&s, line, line.len());
        assert_eq!(&line[start..], "OSPl");
    }
}
