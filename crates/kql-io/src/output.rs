//! Writes query results as an aligned text table, CSV or JSON.

use crate::format::{cell, write_cell, write_real, Cell};
use arrow_array::{Array, RecordBatch, StringArray};
use arrow_schema::Schema;
use kql_common::KqlType;
use std::io::{self, Write};
use unicode_width::UnicodeWidthChar;

/// How [`write_result`] prints a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// An aligned text table for people.
    Table,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// One JSON object: `{"columns":[{"name","type"}],"rows":[[...]]}`.
    Json,
}

impl OutputFormat {
    /// Parses `table`, `csv` or `json` (any case).
    pub fn from_name(name: &str) -> Option<OutputFormat> {
        match name.to_ascii_lowercase().as_str() {
            "table" | "text" => Some(OutputFormat::Table),
            "csv" => Some(OutputFormat::Csv),
            "json" => Some(OutputFormat::Json),
            _ => None,
        }
    }
}

/// Options of the text table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableOptions {
    /// Cells wider than this many display columns are cut and end in `…`.
    pub max_col_width: Option<usize>,
    /// Print `(N rows)` after the table.
    pub footer: bool,
    /// Bold names, dim types and rules (ANSI escapes).
    pub color: bool,
    /// Draw rules with `-`, `|` and `+` instead of box-drawing characters.
    pub ascii: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            max_col_width: Some(60),
            footer: true,
            color: false,
            ascii: false,
        }
    }
}

fn column_types(schema: &Schema) -> Vec<KqlType> {
    schema
        .fields()
        .iter()
        .map(|f| KqlType::of_field(f).unwrap_or(KqlType::String))
        .collect()
}

/// Writes `batches` (all of schema `schema`) to `out` in `format`.
pub fn write_result(
    out: &mut dyn Write,
    schema: &Schema,
    batches: &[RecordBatch],
    format: OutputFormat,
    opts: &TableOptions,
) -> io::Result<()> {
    match format {
        OutputFormat::Table => write_table(out, schema, batches, opts),
        OutputFormat::Csv => write_csv(out, schema, batches),
        OutputFormat::Json => write_json(out, schema, batches),
    }
}

/// Iterates the (column arrays, row count) of each batch, tolerating batches
/// with fewer columns than the schema.
fn columns_of(batch: &RecordBatch, n: usize) -> Vec<Option<&dyn Array>> {
    (0..n)
        .map(|i| {
            if i < batch.num_columns() {
                Some(batch.column(i).as_ref())
            } else {
                None
            }
        })
        .collect()
}

/// Writes RFC 4180 CSV a batch at a time: each column is turned into its
/// fields first (a string column that needs no quotes anywhere is used as
/// it is), then the rows are laid out from them. Fields are quoted only when
/// they hold a comma, a quote or a line break, or when an empty field is a
/// record's only one.
fn write_csv(out: &mut dyn Write, schema: &Schema, batches: &[RecordBatch]) -> io::Result<()> {
    let types = column_types(schema);
    let single = types.len() == 1;
    let mut head: Vec<u8> = Vec::new();
    for (i, f) in schema.fields().iter().enumerate() {
        if i > 0 {
            head.push(b',');
        }
        push_field(&mut head, f.name().as_bytes(), single);
    }
    head.push(b'\n');
    out.write_all(&head)?;
    // Pieces of at most CSV_PIECE rows, formatted on all cores a window at
    // a time and written in order.
    let pieces: Vec<RecordBatch> = batches
        .iter()
        .flat_map(|b| {
            (0..b.num_rows())
                .step_by(CSV_PIECE)
                .map(move |at| b.slice(at, CSV_PIECE.min(b.num_rows() - at)))
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rows: usize = pieces.iter().map(RecordBatch::num_rows).sum();
    if threads <= 1 || rows < 2 * CSV_PIECE {
        for piece in &pieces {
            out.write_all(&csv_rows(piece, &types, single))?;
        }
        return out.flush();
    }
    for window in pieces.chunks(4 * threads) {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut done: Vec<(usize, Vec<u8>)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads.min(window.len()))
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(piece) = window.get(i) else { break };
                            mine.push((i, csv_rows(piece, &types, single)));
                        }
                        mine
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_default())
                .collect()
        });
        if done.len() != window.len() {
            return Err(io::Error::other("a CSV formatting thread failed"));
        }
        done.sort_unstable_by_key(|(i, _)| *i);
        for (_, text) in done {
            out.write_all(&text)?;
        }
    }
    out.flush()
}

/// Rows per piece of a CSV result formatted at once.
const CSV_PIECE: usize = 4096;

/// The CSV records of a batch's rows: each column is turned into its fields
/// first, then the rows are laid out from them.
fn csv_rows(batch: &RecordBatch, types: &[KqlType], single: bool) -> Vec<u8> {
    let mut scratch = String::new();
    let cols = columns_of(batch, types.len());
    let fields: Vec<Fields<'_>> = cols
        .iter()
        .zip(types)
        .map(|(c, &ty)| Fields::of(*c, ty, batch.num_rows(), single, &mut scratch))
        .collect();
    let mut buf = Vec::new();
    for row in 0..batch.num_rows() {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            f.push(row, &mut buf);
        }
        buf.push(b'\n');
    }
    buf
}

/// The CSV fields of one column of a batch.
enum Fields<'a> {
    /// String values that need no quotes, read from the array; a null is
    /// an empty field.
    Plain(&'a StringArray),
    /// Formatted and quoted fields, back to back, and where each ends.
    Formatted { data: Vec<u8>, ends: Vec<usize> },
    /// A column the batch lacks: empty fields.
    Empty,
}

impl<'a> Fields<'a> {
    fn of(
        array: Option<&'a dyn Array>,
        ty: KqlType,
        rows: usize,
        single: bool,
        scratch: &mut String,
    ) -> Fields<'a> {
        let Some(array) = array else {
            return Fields::Empty;
        };
        if ty != KqlType::Dynamic && !single {
            if let Some(a) = array.as_any().downcast_ref::<StringArray>() {
                let offsets = a.value_offsets();
                let first = offsets.first().map_or(0, |&o| o as usize);
                let last = offsets.last().map_or(0, |&o| o as usize);
                let text = a.value_data().get(first..last).unwrap_or_default();
                if !needs_quotes(text) {
                    return Fields::Plain(a);
                }
            }
        }
        let mut data = Vec::new();
        let mut ends = Vec::with_capacity(rows);
        for row in 0..rows.min(array.len()) {
            scratch.clear();
            write_cell(scratch, cell(array, row), ty);
            push_field(&mut data, scratch.as_bytes(), single);
            ends.push(data.len());
        }
        Fields::Formatted { data, ends }
    }

    fn push(&self, row: usize, out: &mut Vec<u8>) {
        match self {
            Fields::Plain(a) => {
                if a.is_valid(row) {
                    out.extend_from_slice(a.value(row).as_bytes());
                }
            }
            Fields::Formatted { data, ends } => {
                let start = match row.checked_sub(1) {
                    Some(r) => ends.get(r).copied().unwrap_or(data.len()),
                    None => 0,
                };
                let end = ends.get(row).copied().unwrap_or(start);
                out.extend_from_slice(data.get(start..end).unwrap_or_default());
            }
            Fields::Empty => {}
        }
    }
}

/// Whether a CSV field holding `text` must be quoted.
fn needs_quotes(text: &[u8]) -> bool {
    memchr::memchr3(b',', b'"', b'\n', text).is_some() || memchr::memchr(b'\r', text).is_some()
}

/// Appends one CSV field, quoted (quotes doubled) when it must be; `single`
/// says the field is its record's only one, where an empty field is quoted
/// so the record isn't read as a blank line.
fn push_field(out: &mut Vec<u8>, text: &[u8], single: bool) {
    if !(needs_quotes(text) || (single && text.is_empty())) {
        out.extend_from_slice(text);
        return;
    }
    out.push(b'"');
    for part in text.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(part);
        if part.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

fn json_string(buf: &mut Vec<u8>, s: &str) -> io::Result<()> {
    serde_json::to_writer(buf, s).map_err(io::Error::other)
}

fn write_json(out: &mut dyn Write, schema: &Schema, batches: &[RecordBatch]) -> io::Result<()> {
    let types = column_types(schema);
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    buf.extend_from_slice(b"{\"columns\":[");
    for (i, f) in schema.fields().iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"name\":");
        json_string(&mut buf, f.name())?;
        buf.extend_from_slice(b",\"type\":\"");
        buf.extend_from_slice(types[i].name().as_bytes());
        buf.extend_from_slice(b"\"}");
    }
    buf.extend_from_slice(b"],\"rows\":[");
    let mut first_row = true;
    let mut text = String::new();
    for batch in batches {
        let cols = columns_of(batch, types.len());
        for row in 0..batch.num_rows() {
            if !first_row {
                buf.push(b',');
            }
            first_row = false;
            buf.push(b'[');
            for (i, c) in cols.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                let v = c.map_or(Cell::Null, |a| cell(a, row));
                write_json_value(&mut buf, &mut text, v, types[i])?;
            }
            buf.push(b']');
            if buf.len() > (1 << 16) {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
    }
    buf.extend_from_slice(b"]}\n");
    out.write_all(&buf)?;
    out.flush()
}

fn write_json_value(
    buf: &mut Vec<u8>,
    text: &mut String,
    v: Cell<'_>,
    ty: KqlType,
) -> io::Result<()> {
    text.clear();
    match (v, ty) {
        (Cell::Null, _) => buf.extend_from_slice(b"null"),
        (Cell::Bool(b), _) => buf.extend_from_slice(if b { b"true" } else { b"false" }),
        (Cell::Real(f), _) => {
            write_real(text, f);
            if f.is_finite() {
                buf.extend_from_slice(text.as_bytes());
            } else {
                json_string(buf, text)?;
            }
        }
        (Cell::Int(_), KqlType::DateTime | KqlType::TimeSpan) | (Cell::Unsupported, _) => {
            write_cell(text, v, ty);
            json_string(buf, text)?;
        }
        (Cell::Int(_) | Cell::UInt(_), _) => {
            write_cell(text, v, ty);
            buf.extend_from_slice(text.as_bytes());
        }
        (Cell::Str(s), KqlType::Dynamic) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(j) => serde_json::to_writer(&mut *buf, &j).map_err(io::Error::other)?,
            Err(_) => json_string(buf, s)?,
        },
        (Cell::Str(s), _) => json_string(buf, s)?,
    }
    Ok(())
}

/// Makes a cell printable on one line: newlines become `⏎`, tabs a space,
/// other control characters their Unicode control pictures (so data cannot
/// send escape sequences to the terminal).
fn sanitize(s: &str, out: &mut String) {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('⏎');
            }
            '\n' => out.push('⏎'),
            '\t' => out.push(' '),
            c if (c as u32) < 0x20 => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('�')),
            '\u{7f}' => out.push('␡'),
            c if ('\u{80}'..='\u{9f}').contains(&c) => out.push('�'),
            c => out.push(c),
        }
    }
}

fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

fn display_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Cuts `s` to at most `max` display columns, ending in `…` when cut.
fn truncate(s: String, max: Option<usize>) -> String {
    let Some(max) = max else { return s };
    let max = max.max(1);
    if display_width(&s) <= max {
        return s;
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = char_width(c);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

fn pad(out: &mut String, s: &str, width: usize, right: bool, last: bool) {
    let fill = width.saturating_sub(display_width(s));
    if right {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(s);
    } else {
        out.push_str(s);
        if !last {
            out.extend(std::iter::repeat_n(' ', fill));
        }
    }
}

fn write_table(
    out: &mut dyn Write,
    schema: &Schema,
    batches: &[RecordBatch],
    opts: &TableOptions,
) -> io::Result<()> {
    let types = column_types(schema);
    let n = types.len();
    let total: usize = batches.iter().map(|b| b.num_rows()).sum();
    let (bar, rule, cross) = if opts.ascii {
        (" | ", '-', "-+-")
    } else {
        (" │ ", '─', "─┼─")
    };
    let (bold, dim, reset) = if opts.color {
        ("\x1b[1m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "")
    };
    if n > 0 {
        let names: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| {
                let mut s = String::new();
                sanitize(f.name(), &mut s);
                truncate(s, opts.max_col_width)
            })
            .collect();
        let tnames: Vec<String> = types
            .iter()
            .map(|t| truncate(t.name().to_string(), opts.max_col_width))
            .collect();
        let right: Vec<bool> = types.iter().map(|t| t.is_numeric()).collect();
        let mut rows: Vec<Vec<String>> = Vec::with_capacity(total);
        let mut raw = String::new();
        for batch in batches {
            let cols = columns_of(batch, n);
            for row in 0..batch.num_rows() {
                let mut r = Vec::with_capacity(n);
                for (i, c) in cols.iter().enumerate() {
                    raw.clear();
                    if let Some(a) = c {
                        write_cell(&mut raw, cell(*a, row), types[i]);
                    }
                    let mut s = String::with_capacity(raw.len());
                    sanitize(&raw, &mut s);
                    r.push(truncate(s, opts.max_col_width));
                }
                rows.push(r);
            }
        }
        let mut widths: Vec<usize> = (0..n)
            .map(|i| display_width(&names[i]).max(display_width(&tnames[i])))
            .collect();
        for r in &rows {
            for (i, s) in r.iter().enumerate() {
                widths[i] = widths[i].max(display_width(s));
            }
        }
        let line = |cells: &[String], style: &str| -> String {
            let mut s = String::new();
            for i in 0..n {
                if i > 0 {
                    s.push_str(dim);
                    s.push_str(bar);
                    s.push_str(reset);
                }
                s.push_str(style);
                pad(&mut s, &cells[i], widths[i], right[i], i + 1 == n);
                if !style.is_empty() {
                    s.push_str(reset);
                }
            }
            let trimmed = s.trim_end_matches(' ').len();
            s.truncate(trimmed);
            s.push('\n');
            s
        };
        out.write_all(line(&names, bold).as_bytes())?;
        out.write_all(line(&tnames, dim).as_bytes())?;
        let mut sep = String::new();
        sep.push_str(dim);
        for (i, w) in widths.iter().enumerate() {
            if i > 0 {
                sep.push_str(cross);
            }
            sep.extend(std::iter::repeat_n(rule, *w));
        }
        sep.push_str(reset);
        sep.push('\n');
        out.write_all(sep.as_bytes())?;
        for r in &rows {
            out.write_all(line(r, "").as_bytes())?;
        }
    }
    if opts.footer {
        let noun = if total == 1 { "row" } else { "rows" };
        writeln!(out, "{dim}({total} {noun}){reset}")?;
    }
    out.flush()
}
