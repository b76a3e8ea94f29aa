//! A test case as the runner sees it, whatever file it came from.

use crate::testing::directive::Directives;
use crate::testing::expect::Expected;
use std::ops::Range;
use std::path::PathBuf;

/// One query to run and what it should give.
#[derive(Clone, Debug)]
pub struct Case {
    /// The file the case comes from.
    pub file: PathBuf,
    /// The 1-based line where the query (or its block) starts.
    pub line: usize,
    /// The 1-based line of the query's first line, for error reports.
    pub query_line: usize,
    /// A short name: the block title, the step heading, the rule name.
    pub name: String,
    pub query: String,
    pub expected: Expected,
    /// File-wide and case directives, merged.
    pub directives: Directives,
    /// Where `--bless` writes the expectation.
    pub target: Target,
}

/// Where a case's expectation lives, for `--bless`.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A file of its own (`NAME.expected.csv` or `.json`).
    File(PathBuf),
    /// A byte range of the case file, replaced by the new expectation.
    Span { range: Range<usize>, style: Style },
}

/// How a span is rewritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// The text under a `.kqltest` block's `----` line.
    KqlTest,
    /// A `.kqltest` block without `----`: insert it and the text.
    KqlTestNew,
    /// A Markdown pipe table.
    MdTable,
    /// A fenced Markdown block: ```` ```csv ````, ```` ```json ```` or ```` ```output ````.
    MdFence,
    /// A fenced Markdown block without an info string (CSV or a text table).
    MdBareFence,
    /// A Markdown step without an expectation: insert a table after it.
    MdNew,
}

/// A line of a text with the byte offsets of its start and of its end
/// (after the line break).
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
}

/// The lines of `text` with their offsets.
pub fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for raw in text.split_inclusive('\n') {
        let end = start + raw.len();
        let t = raw.strip_suffix('\n').unwrap_or(raw);
        let t = t.strip_suffix('\r').unwrap_or(t);
        out.push(Line {
            text: t,
            start,
            end,
        });
        start = end;
    }
    out
}
