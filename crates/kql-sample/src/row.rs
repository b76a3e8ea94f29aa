//! Building rows column by column and writing them in the portal's CSV export format.

use std::fmt::Write as _;
use std::io::Write;

use kql_common::time;

use crate::schema::TableSchema;
use crate::Error;

/// A datetime as the portal export writes it: ISO 8601 UTC, up to seven
/// fraction digits with trailing zeros dropped (`2026-01-29T16:49:20.4813094Z`,
/// `2026-01-29T16:49:20Z`).
pub fn export_datetime(ticks: i64) -> String {
    let mut s = String::with_capacity(28);
    push_export_datetime(&mut s, ticks);
    s
}

fn push_export_datetime(out: &mut String, ticks: i64) {
    let start = out.len();
    time::write_datetime(out, ticks);
    // `write_datetime` always ends in `.fffffffZ`.
    if out.ends_with('Z') {
        out.pop();
        while out.len() > start && out.ends_with('0') {
            out.pop();
        }
        if out.ends_with('.') {
            out.pop();
        }
        out.push('Z');
    }
}

/// One finished row: its event time, a tie-breaking sequence number and the
/// field texts packed into one string.
#[derive(Clone, Debug)]
pub struct Rec {
    pub ticks: i64,
    pub seq: u64,
    text: String,
    ends: Vec<u32>,
}

impl Rec {
    /// The field texts in column order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        let mut start = 0usize;
        self.ends.iter().map(move |&e| {
            let e = e as usize;
            let f = &self.text[start..e];
            start = e;
            f
        })
    }

    /// The text of the field at `i`.
    pub fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends.get(i).map_or(start, |&e| e as usize);
        &self.text[start..end]
    }
}

const CACHE_SLOTS: usize = 512;

/// A row under construction: every column starts empty (null).
pub struct RowBuf {
    schema: &'static TableSchema,
    fields: Vec<String>,
    seq: u64,
    /// Column positions cached by the address of the (literal) name:
    /// `(address, length, position or -1)`.
    cache: Vec<(usize, usize, i32)>,
}

impl RowBuf {
    /// An empty row for `schema`.
    pub fn new(schema: &'static TableSchema) -> Self {
        RowBuf {
            schema,
            fields: vec![String::new(); schema.columns.len()],
            seq: 0,
            cache: vec![(0, 0, -1); CACHE_SLOTS],
        }
    }

    /// The table this row belongs to.
    pub fn schema(&self) -> &'static TableSchema {
        self.schema
    }

    fn position(&mut self, col: &str) -> Option<usize> {
        let addr = col.as_ptr() as usize;
        let key = (addr ^ (addr >> 9) ^ col.len()) % CACHE_SLOTS;
        let (a, l, pos) = self.cache[key];
        if a == addr && l == col.len() {
            match usize::try_from(pos) {
                // Names are literals; the check guards against a reused heap address.
                Ok(p) if self.schema.columns[p].name == col => return Some(p),
                Err(_) => return None,
                Ok(_) => {}
            }
        }
        let found = self.schema.position(col);
        self.cache[key] = (addr, col.len(), found.map_or(-1, |p| p as i32));
        found
    }

    fn slot(&mut self, col: &str) -> Option<&mut String> {
        let i = self.position(col)?;
        let f = &mut self.fields[i];
        f.clear();
        Some(f)
    }

    /// Sets a string column (ignored when the table has no such column).
    pub fn s(&mut self, col: &str, v: &str) {
        if let Some(f) = self.slot(col) {
            f.push_str(v);
        }
    }

    /// Sets an integer column.
    pub fn n(&mut self, col: &str, v: i64) {
        if let Some(f) = self.slot(col) {
            let _ = write!(f, "{v}");
        }
    }

    /// Sets a datetime column.
    pub fn dt(&mut self, col: &str, ticks: i64) {
        if let Some(f) = self.slot(col) {
            push_export_datetime(f, ticks);
        }
    }

    /// Sets a bool column (`true` / `false`).
    pub fn b(&mut self, col: &str, v: bool) {
        if let Some(f) = self.slot(col) {
            f.push_str(if v { "true" } else { "false" });
        }
    }

    /// Finishes the row with event time `ticks` (also written to `Timestamp`),
    /// returning it and leaving the builder empty.
    pub fn finish(&mut self, ticks: i64) -> Rec {
        self.dt("Timestamp", ticks);
        let total: usize = self.fields.iter().map(String::len).sum();
        let mut text = String::with_capacity(total);
        let mut ends = Vec::with_capacity(self.fields.len());
        for f in &mut self.fields {
            text.push_str(f);
            ends.push(text.len() as u32);
            f.clear();
        }
        self.seq += 1;
        Rec {
            ticks,
            seq: self.seq,
            text,
            ends,
        }
    }
}

/// Writes rows as the portal export does: header of column names, RFC 4180
/// quoting only where needed, `\n` line ends.
pub struct TableWriter<W: Write> {
    csv: csv::Writer<W>,
    pub rows: u64,
}

impl<W: Write> TableWriter<W> {
    /// A writer that has already written the header of `schema`.
    pub fn new(schema: &TableSchema, out: W) -> Result<Self, Error> {
        let mut csv = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Necessary)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(out);
        csv.write_record(schema.columns.iter().map(|c| c.name.as_str()))?;
        Ok(TableWriter { csv, rows: 0 })
    }

    /// Appends one row.
    pub fn write(&mut self, rec: &Rec) -> Result<(), Error> {
        self.csv.write_record(rec.fields())?;
        self.rows += 1;
        Ok(())
    }

    /// Flushes buffered output.
    pub fn finish(mut self) -> Result<u64, Error> {
        self.csv.flush()?;
        Ok(self.rows)
    }
}
