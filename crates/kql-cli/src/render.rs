//! Renders diagnostics as miette reports pointing into the query text.

use kql_common::{Diagnostic, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use std::fmt;

/// A diagnostic together with the source text it points into.
#[derive(Debug)]
pub struct Report {
    diag: Diagnostic,
    help: Option<String>,
    src: NamedSource<String>,
}

impl Report {
    pub fn new(diag: Diagnostic, source_name: &str, source: &str) -> Self {
        let mut help = diag.help.clone();
        for note in &diag.notes {
            help = Some(match help {
                Some(h) => format!("{h}\nnote: {note}"),
                None => format!("note: {note}"),
            });
        }
        let len = source.len();
        let mut diag = diag;
        // Keep spans inside the text so a bad span can never break rendering.
        if let Some(s) = diag.span.as_mut() {
            s.start = s.start.min(len);
            s.end = s.end.clamp(s.start, len);
        }
        for l in &mut diag.secondary {
            l.span.start = l.span.start.min(len);
            l.span.end = l.span.end.clamp(l.span.start, len);
        }
        Report {
            diag,
            help,
            src: NamedSource::new(source_name, source.to_string()),
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diag.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        if self.diag.span.is_some() {
            Some(&self.src)
        } else {
            None
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.diag.span?;
        let primary = LabeledSpan::new_primary_with_span(
            Some(
                self.diag
                    .label
                    .clone()
                    .unwrap_or_else(|| self.diag.message.clone()),
            ),
            SourceSpan::new(span.start.into(), span.len()),
        );
        let rest = self.diag.secondary.iter().map(|l| {
            LabeledSpan::new_with_span(
                Some(l.message.clone()),
                SourceSpan::new(l.span.start.into(), l.span.len()),
            )
        });
        Some(Box::new(std::iter::once(primary).chain(rest)))
    }
}

/// Renders a diagnostic to text; `color` adds ANSI styling.
pub fn render(diag: &Diagnostic, source_name: &str, source: &str, color: bool) -> String {
    let report = Report::new(diag.clone(), source_name, source);
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("error[{}]: {}\n", diag.code, diag.message);
    }
    out
}
