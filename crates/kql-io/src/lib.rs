//! Loads tables from CSV and JSON files and writes query results as text, CSV or JSON.
//!
//! Loading turns each file into a [`LoadedTable`] of Arrow record batches laid
//! out as [`KqlType`] prescribes. Column types come from the known MDE
//! schemas ([`mde`]) when a file is named after an MDE table, and are
//! otherwise inferred from the values. Problems are reported as
//! [`Diagnostic`]s with codes `kql::io::…` (see [`codes`]).
//!
//! Writing goes through [`write_result`]; every format prints single values
//! with [`format_value`].

mod cache;
mod column;
mod convert;
mod csv_load;
mod diag;
mod format;
mod ipc_read;
mod json_load;
mod lazy;
pub mod mde;
mod output;
mod parquet_read;
mod records;

pub use cache::finish_writes as finish_cache_writes;
pub use format::{format_value, write_value};
pub use lazy::TableHandle;
pub use mde::{ColumnInfo, Variant};
pub use output::{write_result, OutputFormat, TableOptions};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use kql_common::{Diagnostic, KqlType};
use std::path::{Path, PathBuf};

/// The error codes of this crate.
pub mod codes {
    pub use crate::diag::{
        BAD_ENCODING, BAD_HEADER, BAD_JSON, BAD_ROW, BAD_VALUE, NO_TABLES, READ_FAILED,
        UNSUPPORTED_FILE,
    };
}

mod bundled {
    //! The sample tables embedded at build time.
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

/// The batches of a [`TableStream`], in order.
pub type BatchIter = Box<dyn Iterator<Item = Result<RecordBatch, Vec<Diagnostic>>> + Send>;

/// A table's rows as they are read (see [`TableHandle::stream_filtered`]).
pub struct TableStream {
    pub schema: SchemaRef,
    pub batches: BatchIter,
}

/// A test of a table's rows on some of its columns, which a Parquet
/// reader runs on each row group's `columns` before it decodes the others
/// (then only for the rows that pass).
#[derive(Clone)]
pub struct RowTest {
    /// The table columns the test reads (indices into the table's
    /// schema), in the order the batch given to `test` holds them.
    pub columns: Vec<usize>,
    /// Which rows of a batch holding `columns` pass (string columns
    /// possibly dictionary-encoded, their fields typed so).
    pub test: std::sync::Arc<RowTestFn>,
}

/// How [`TableHandle::stream_filtered`] hands rows out.
#[derive(Clone, Copy, Default)]
pub struct StreamOptions<'a> {
    /// A string column may come dictionary-encoded (`Dictionary(Int32,
    /// Utf8)`, keys and values never null) where the file stores it so
    /// (Parquet): such a column means what its plain form would, and its
    /// field in each batch's schema is typed so.
    pub encoded: bool,
    /// Only the rows that pass this test (Parquet files only, see
    /// [`TableHandle::runs_row_tests`]).
    pub test: Option<&'a RowTest>,
    /// The caller may stop after the first rows: decode row groups as they
    /// are asked for (and a little ahead) instead of on every core from the
    /// start.
    pub first_rows: bool,
}

/// The function of a [`RowTest`].
pub type RowTestFn =
    dyn Fn(&RecordBatch) -> Result<arrow_buffer::BooleanBuffer, Vec<Diagnostic>> + Send + Sync;

/// A table read from a file.
#[derive(Clone, Debug)]
pub struct LoadedTable {
    /// The table name (the file stem).
    pub name: String,
    pub schema: SchemaRef,
    /// Up to 65,536 rows each; none for a table without rows.
    pub batches: Vec<RecordBatch>,
}

impl LoadedTable {
    /// The number of rows in all batches.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}

/// The kinds of file the loader reads, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum FileKind {
    Csv,
    Tsv,
    Json,
    Parquet,
    /// Arrow IPC (Feather v2).
    Ipc,
}

const SUPPORTED_FILES: &str = "tables are read from .csv, .tsv, .json, .jsonl, .ndjson, .parquet and Arrow IPC (.arrow, .feather, .ipc) files";

fn file_kind(path: &Path) -> Option<FileKind> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "csv" => FileKind::Csv,
        "tsv" | "tab" => FileKind::Tsv,
        "json" | "jsonl" | "ndjson" => FileKind::Json,
        "parquet" | "parq" => FileKind::Parquet,
        "arrow" | "feather" | "ipc" => FileKind::Ipc,
        _ => return None,
    })
}

fn load_file(path: &Path, kind: FileKind) -> Result<LoadedTable, Vec<Diagnostic>> {
    let origin = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let name = path
        .file_stem()
        .map_or_else(|| origin.clone(), |n| n.to_string_lossy().into_owned());
    if matches!(kind, FileKind::Parquet | FileKind::Ipc) {
        return open_file(path, kind)?.load(None);
    }
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Diagnostic::error(
            codes::READ_FAILED,
            format!("cannot read {}: {e}", path.display()),
        )]
    })?;
    match kind {
        FileKind::Csv => load_csv_bytes(&name, &bytes, &origin),
        FileKind::Tsv => csv_load::load_delimited(&name, &bytes, &origin, b'\t'),
        FileKind::Json => load_json_bytes(&name, &bytes, &origin),
        FileKind::Parquet | FileKind::Ipc => open_file(path, kind)?.load(None),
    }
}

/// The loadable files named by `path`: the file itself, or every file of
/// a folder with a known extension (non-recursive, in name order).
fn files_at(path: &Path) -> Result<Vec<(std::path::PathBuf, FileKind)>, Vec<Diagnostic>> {
    let meta = std::fs::metadata(path).map_err(|e| {
        vec![Diagnostic::error(
            codes::READ_FAILED,
            format!("cannot read {}: {e}", path.display()),
        )]
    })?;
    if !meta.is_dir() {
        return match file_kind(path) {
            Some(kind) => Ok(vec![(path.to_path_buf(), kind)]),
            None => Err(vec![Diagnostic::error(
                codes::UNSUPPORTED_FILE,
                format!("cannot load {}: unsupported file type", path.display()),
            )
            .with_help(SUPPORTED_FILES)]),
        };
    }
    let entries = std::fs::read_dir(path).map_err(|e| {
        vec![Diagnostic::error(
            codes::READ_FAILED,
            format!("cannot list {}: {e}", path.display()),
        )]
    })?;
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter_map(|p| file_kind(&p).map(|k| (p, k)))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(vec![Diagnostic::error(
            codes::NO_TABLES,
            format!("no tables in {}", path.display()),
        )
        .with_help(SUPPORTED_FILES)]);
    }
    Ok(files)
}

/// Applies `open` to every file at `path`, collecting all errors.
fn each_file<T>(
    path: &Path,
    open: impl Fn(&Path, FileKind) -> Result<T, Vec<Diagnostic>>,
) -> Result<Vec<T>, Vec<Diagnostic>> {
    let files = files_at(path)?;
    let mut out = Vec::with_capacity(files.len());
    let mut errors = Vec::new();
    for (p, k) in files {
        match open(&p, k) {
            Ok(t) => out.push(t),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Loads one file (CSV, TSV, JSON lines, JSON array or a query API response,
/// Parquet, Arrow IPC;
/// table name = file stem) or every such file in a folder (non-recursive,
/// in name order; files with other extensions are skipped).
pub fn load_path(path: &Path) -> Result<Vec<LoadedTable>, Vec<Diagnostic>> {
    each_file(path, load_file)
}

/// How [`open_path_with`] opens files.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// Where parsed CSV/TSV columns are cached (see [`default_cache_dir`]);
    /// `None` parses every time.
    pub cache_dir: Option<PathBuf>,
}

/// The folder for cached tables: `$KQL_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/kql/tables`, else `~/.cache/kql/tables`; `None` when
/// `$KQL_NO_CACHE` is set (to anything but `0` or nothing) or no home
/// folder is known.
pub fn default_cache_dir() -> Option<PathBuf> {
    let set = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if set("KQL_NO_CACHE").is_some_and(|v| v != "0") {
        return None;
    }
    if let Some(d) = set("KQL_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = set("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return Some(d.join("kql").join("tables"));
    }
    set("HOME").map(|h| PathBuf::from(h).join(".cache").join("kql").join("tables"))
}

fn open_file(path: &Path, kind: FileKind) -> Result<TableHandle, Vec<Diagnostic>> {
    open_file_with(path, kind, &OpenOptions::default())
}

fn open_file_with(
    path: &Path,
    kind: FileKind,
    options: &OpenOptions,
) -> Result<TableHandle, Vec<Diagnostic>> {
    let origin = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let name = path
        .file_stem()
        .map_or_else(|| origin.clone(), |n| n.to_string_lossy().into_owned());
    match kind {
        FileKind::Csv => lazy::open_delimited(path, &name, &origin, b',', options),
        FileKind::Tsv => lazy::open_delimited(path, &name, &origin, b'\t', options),
        FileKind::Json => load_file(path, kind).map(TableHandle::loaded),
        FileKind::Parquet => lazy::open_parquet(path, &name, &origin),
        FileKind::Ipc => lazy::open_ipc(path, &name, &origin),
    }
}

/// Like [`load_path`], but a CSV or TSV file whose header types every
/// column (an export of a known Defender table) is only opened: its rows
/// are read when [`TableHandle::load`] is called, and then in parallel.
/// Other files are read now.
pub fn open_path(path: &Path) -> Result<Vec<TableHandle>, Vec<Diagnostic>> {
    each_file(path, open_file)
}

/// Like [`open_path`]; with a cache folder, the columns read from a typed
/// CSV/TSV file are kept there as Arrow IPC files, and later reads of the
/// unchanged file map them instead of parsing the text.
pub fn open_path_with(
    path: &Path,
    options: &OpenOptions,
) -> Result<Vec<TableHandle>, Vec<Diagnostic>> {
    each_file(path, |p, k| open_file_with(p, k, options))
}

/// The sample tables embedded in the binary, opened without reading their
/// rows (see [`open_path`]), in name order.
pub fn bundled_handles() -> Result<Vec<TableHandle>, Vec<Diagnostic>> {
    let mut tables = Vec::new();
    let mut errors = Vec::new();
    for (name, bytes) in bundled::BUNDLED {
        match lazy::open_static(name, bytes, &format!("{name}.csv")) {
            Ok(t) => tables.push(t),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(tables)
    } else {
        Err(errors)
    }
}

/// Loads CSV text (header row required). `origin` names the file in messages.
pub fn load_csv_bytes(
    name: &str,
    bytes: &[u8],
    origin: &str,
) -> Result<LoadedTable, Vec<Diagnostic>> {
    csv_load::load_delimited(name, bytes, origin, b',')
}

/// Loads JSON lines, a JSON array of objects, or a Log Analytics or Defender
/// query API response. `origin` names the file in messages.
pub fn load_json_bytes(
    name: &str,
    bytes: &[u8],
    origin: &str,
) -> Result<LoadedTable, Vec<Diagnostic>> {
    json_load::load_json(name, bytes, origin)
}

/// The names of the sample tables embedded in the binary, in name order.
pub fn bundled_table_names() -> Vec<&'static str> {
    bundled::BUNDLED.iter().map(|(n, _)| *n).collect()
}

/// Loads the sample tables embedded in the binary (MDE exports, typed by the
/// MDE schemas), in name order.
pub fn bundled_tables() -> Result<Vec<LoadedTable>, Vec<Diagnostic>> {
    let mut tables = Vec::new();
    let mut errors = Vec::new();
    for (name, bytes) in bundled::BUNDLED {
        match load_csv_bytes(name, bytes, &format!("{name}.csv")) {
            Ok(t) => tables.push(t),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(tables)
    } else {
        Err(errors)
    }
}

/// The KQL type of every column of a schema (`string` for Arrow types KQL does not hold).
pub fn kql_types(schema: &arrow_schema::Schema) -> Vec<KqlType> {
    schema
        .fields()
        .iter()
        .map(|f| KqlType::of_field(f).unwrap_or(KqlType::String))
        .collect()
}
