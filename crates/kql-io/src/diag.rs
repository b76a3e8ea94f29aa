//! Error codes of the loader and a collector that stops after a few errors.

use kql_common::{Diagnostic, KqlType};

/// A file could not be read (missing, unreadable, a folder that cannot be listed).
pub const READ_FAILED: &str = "kql::io::read_failed";
/// A file's extension is not one the loader reads.
pub const UNSUPPORTED_FILE: &str = "kql::io::unsupported_file";
/// A folder holds no loadable file.
pub const NO_TABLES: &str = "kql::io::no_tables";
/// A CSV record has the wrong number of fields, or is malformed.
pub const BAD_ROW: &str = "kql::io::bad_row";
/// A value does not parse as its column's type.
pub const BAD_VALUE: &str = "kql::io::bad_value";
/// A CSV file has no header row, or a JSON document has no columns.
pub const BAD_HEADER: &str = "kql::io::bad_header";
/// Text that is not UTF-8 (or UTF-16 with a byte-order mark).
pub const BAD_ENCODING: &str = "kql::io::bad_encoding";
/// A JSON document that is not valid JSON or not a shape the loader knows.
pub const BAD_JSON: &str = "kql::io::bad_json";

/// How many errors are collected from one file before loading stops.
pub(crate) const MAX_ERRORS: usize = 10;

/// Collects diagnostics up to [`MAX_ERRORS`].
#[derive(Default)]
pub(crate) struct Errors {
    pub(crate) list: Vec<Diagnostic>,
}

impl Errors {
    /// Adds a diagnostic; returns `true` when loading should stop.
    pub(crate) fn push(&mut self, d: Diagnostic) -> bool {
        if self.list.len() < MAX_ERRORS {
            self.list.push(d);
        }
        self.full()
    }

    pub(crate) fn full(&self) -> bool {
        self.list.len() >= MAX_ERRORS
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The collected errors, with a note on the last one if loading stopped early.
    pub(crate) fn into_vec(mut self) -> Vec<Diagnostic> {
        if self.full() {
            if let Some(last) = self.list.pop() {
                self.list
                    .push(last.with_note(format!("stopped reading after {MAX_ERRORS} errors")));
            }
        }
        self.list
    }
}

/// Shortens a value for an error message.
pub(crate) fn preview(v: &str) -> String {
    const MAX: usize = 60;
    if v.chars().count() <= MAX {
        v.to_string()
    } else {
        let mut s: String = v.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

/// `cannot read "abc" as long in column FileSize`, with where it is.
pub(crate) fn bad_value(value: &str, ty: KqlType, column: &str, location: &str) -> Diagnostic {
    Diagnostic::error(
        BAD_VALUE,
        format!(
            "cannot read {:?} as {} in column {}",
            preview(value),
            ty.name(),
            column
        ),
    )
    .with_note(format!("{location}, column {column}"))
    .with_help(type_help(ty))
}

fn type_help(ty: KqlType) -> String {
    match ty {
        KqlType::Bool => "bool values are written true or false".into(),
        KqlType::Int => "int values are whole numbers between -2147483648 and 2147483647".into(),
        KqlType::Long => "long values are whole numbers such as 7212".into(),
        KqlType::Real | KqlType::Decimal => {
            "real values are numbers such as 1.5, 2e-3 or NaN".into()
        }
        KqlType::DateTime => "datetime values are written like 2026-01-29T16:49:20.4813094Z".into(),
        KqlType::TimeSpan => "timespan values are written like 1.02:03:04.5 or 00:00:10".into(),
        KqlType::Guid => "guid values are written like 0a1b2c3d-0000-4000-8000-00000000abcd".into(),
        KqlType::String | KqlType::Dynamic => "any text is accepted here".into(),
    }
}
