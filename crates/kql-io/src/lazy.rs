//! Tables whose rows are read on first use, and a parallel reader for CSV
//! files whose column types are known from their header.
//!
//! Opening a CSV export of a known Defender table reads only its header: the
//! column types come from the MDE schema, so the planner can check a query
//! before any row is parsed, and a query reads only the tables (and, with a
//! projection, only the columns) it uses. The body is split into chunks at
//! record boundaries and the chunks are parsed on all cores.

use crate::cache::TableCache;
use crate::column::{TypedColumn, BATCH_ROWS};
use crate::csv_load::{column_names, decode_text, line_at};
use crate::diag::{self, Errors};
use crate::{mde, LoadedTable};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Schema, SchemaRef};
use kql_common::{Diagnostic, KqlType, ScanPredicate};
use std::path::PathBuf;
use std::sync::Arc;

/// Where a table's rows come from.
#[derive(Clone, Debug)]
enum Source {
    /// Already in memory.
    Loaded(LoadedTable),
    /// A delimited file with a known header, parsed on use.
    File {
        path: PathBuf,
        origin: String,
        delimiter: u8,
        cache: Option<Arc<TableCache>>,
    },
    /// A Parquet file, read by row groups on use.
    Parquet(Arc<crate::parquet_read::ParquetFile>),
    /// A memory-mapped Arrow IPC file.
    Ipc(Arc<crate::ipc_read::IpcTable>),
    /// Delimited text built into the binary.
    Static {
        bytes: &'static [u8],
        origin: String,
        delimiter: u8,
    },
}

/// A table that is known by name and schema, and read when it is used.
#[derive(Clone, Debug)]
pub struct TableHandle {
    pub name: String,
    pub schema: SchemaRef,
    source: Source,
}

impl TableHandle {
    /// A handle over rows already in memory.
    pub fn loaded(table: LoadedTable) -> Self {
        TableHandle {
            name: table.name.clone(),
            schema: table.schema.clone(),
            source: Source::Loaded(table),
        }
    }

    /// Whether reading the rows still has to happen.
    pub fn is_lazy(&self) -> bool {
        !matches!(self.source, Source::Loaded(_))
    }

    /// Reads the table's rows; with `projection`, only those columns (by
    /// index into [`TableHandle::schema`], in that order).
    pub fn load(&self, projection: Option<&[usize]>) -> Result<LoadedTable, Vec<Diagnostic>> {
        self.load_filtered(projection, &[])
    }

    /// Like [`TableHandle::load`]; the reader may also leave out rows that
    /// fail one of `predicates` (see [`ScanPredicate`]), so the caller
    /// must still filter the rows it gets.
    pub fn load_filtered(
        &self,
        projection: Option<&[usize]>,
        predicates: &[ScanPredicate],
    ) -> Result<LoadedTable, Vec<Diagnostic>> {
        match &self.source {
            Source::Parquet(f) => f.read(&self.name, &self.schema, projection, predicates),
            Source::Ipc(f) => f.read(&self.name, &self.schema, projection),
            Source::Loaded(t) => Ok(match projection {
                None => t.clone(),
                Some(cols) => project(t, cols)?,
            }),
            Source::File {
                path,
                origin,
                delimiter,
                cache: Some(cache),
            } if projection.is_none_or(|p| !p.is_empty()) => {
                self.read_cached(path, origin, *delimiter, cache, projection)
            }
            Source::File {
                path,
                origin,
                delimiter,
                ..
            } => {
                let bytes = read_whole(path)?;
                // Rows that fail a predicate are dropped as each batch is
                // parsed (a cache, when there is one, needs them all).
                read_typed(
                    &self.name,
                    &self.schema,
                    &bytes,
                    origin,
                    *delimiter,
                    projection,
                    predicates,
                )
            }
            Source::Static {
                bytes,
                origin,
                delimiter,
            } => read_typed(
                &self.name,
                &self.schema,
                bytes,
                origin,
                *delimiter,
                projection,
                &[],
            ),
        }
    }
}

impl TableHandle {
    /// The same rows as [`TableHandle::load_filtered`], in order, read as
    /// the caller pulls them: a Parquet file one row group at a time
    /// (decoded on all cores, ahead of the caller once it reads on); other
    /// sources are read whole first (the column cache and Arrow IPC files
    /// are memory-mapped, so their batches cost no memory of their own).
    ///
    /// `options` may ask for encoded string columns, or only the rows that
    /// pass a test (see [`crate::StreamOptions`]).
    pub fn stream_filtered(
        &self,
        projection: Option<&[usize]>,
        predicates: &[ScanPredicate],
        options: crate::StreamOptions<'_>,
    ) -> Result<crate::TableStream, Vec<Diagnostic>> {
        match &self.source {
            Source::Parquet(f) => f.stream(&self.schema, projection, predicates, options),
            _ if options.test.is_some() => Err(vec![Diagnostic::error(
                crate::diag::READ_FAILED,
                format!(
                    "{}: only Parquet files run row tests while reading",
                    self.name
                ),
            )]),
            _ => {
                let t = self.load_filtered(projection, predicates)?;
                Ok(crate::TableStream {
                    schema: t.schema,
                    batches: Box::new(t.batches.into_iter().map(Ok)),
                })
            }
        }
    }

    /// Whether [`TableHandle::stream_filtered`] takes a row test (only
    /// Parquet files do).
    pub fn runs_row_tests(&self) -> bool {
        matches!(self.source, Source::Parquet(_))
    }

    /// Whether [`TableHandle::rows_at`] reads rows by position without
    /// reading the others (only Parquet files can).
    pub fn reads_rows_at(&self) -> bool {
        matches!(self.source, Source::Parquet(_))
    }

    /// The rows at `positions` (ascending, distinct row numbers, in the
    /// order [`TableHandle::stream_filtered`] yields rows without
    /// predicates) of the columns `projection` names; `None` when
    /// [`TableHandle::reads_rows_at`] is false.
    pub fn rows_at(
        &self,
        projection: &[usize],
        positions: &[u64],
    ) -> Option<Result<LoadedTable, Vec<Diagnostic>>> {
        match &self.source {
            Source::Parquet(f) => Some(f.rows_at(&self.name, &self.schema, projection, positions)),
            _ => None,
        }
    }

    /// The positions (as [`TableHandle::rows_at`] takes them) of the first
    /// `k` rows sorted by the integer-like column `column` (descending when
    /// `descending`; nulls last; ties in table order), in that order, when
    /// the file's statistics narrow them to a few row groups (Parquet).
    pub fn top_positions(
        &self,
        column: usize,
        k: usize,
        descending: bool,
    ) -> Option<Result<Vec<u64>, Vec<Diagnostic>>> {
        match &self.source {
            Source::Parquet(f) => f.top_positions(&self.schema, column, k, descending),
            _ => None,
        }
    }

    /// How many Parquet row groups reads of this table have decoded so far
    /// (`None` for other sources).
    pub fn decoded_row_groups(&self) -> Option<usize> {
        match &self.source {
            Source::Parquet(f) => Some(f.decoded.load(std::sync::atomic::Ordering::Relaxed)),
            _ => None,
        }
    }

    /// Reads columns from the cache where it has them, parses the others
    /// and caches them.
    fn read_cached(
        &self,
        path: &std::path::Path,
        origin: &str,
        delimiter: u8,
        cache: &TableCache,
        projection: Option<&[usize]>,
    ) -> Result<LoadedTable, Vec<Diagnostic>> {
        let ncols = self.schema.fields().len();
        let cols: Vec<usize> = projection.map_or_else(|| (0..ncols).collect(), <[usize]>::to_vec);
        let (unique, positions) = crate::parquet_read::decode_plan(&cols);
        let mut found: Vec<Option<Vec<ArrayRef>>> = unique
            .iter()
            .map(|&c| cache.read_column(c, self.schema.field(c)))
            .collect();
        let missing: Vec<usize> = unique
            .iter()
            .zip(&found)
            .filter(|(_, f)| f.is_none())
            .map(|(c, _)| *c)
            .collect();
        let read = || read_whole(path);
        if !missing.is_empty() {
            let bytes = read()?;
            let parsed = read_typed(
                &self.name,
                &self.schema,
                &bytes,
                origin,
                delimiter,
                Some(&missing),
                &[],
            )?;
            let mut to_write = Vec::with_capacity(missing.len());
            for (k, &c) in missing.iter().enumerate() {
                let arrays: Vec<ArrayRef> =
                    parsed.batches.iter().map(|b| b.column(k).clone()).collect();
                to_write.push((c, self.schema.field(c).clone(), arrays.clone()));
                if let Ok(slot) = unique.binary_search(&c) {
                    found[slot] = Some(arrays);
                }
            }
            cache.write_columns(to_write);
        }
        let out_schema = Arc::new(self.schema.project(&cols).map_err(|e| {
            vec![Diagnostic::error(
                diag::READ_FAILED,
                format!("internal error while reading {}: {e}", self.name),
            )]
        })?);
        let columns: Vec<Vec<ArrayRef>> = positions
            .iter()
            .map(|&p| found.get(p).cloned().flatten().unwrap_or_default())
            .collect();
        match crate::cache::assemble(&out_schema, columns) {
            Some(batches) => Ok(LoadedTable {
                name: self.name.clone(),
                schema: out_schema,
                batches,
            }),
            // Cached columns of different lengths: parse them all again.
            None => read_typed(
                &self.name,
                &self.schema,
                &read()?,
                origin,
                delimiter,
                Some(&cols),
                &[],
            ),
        }
    }
}

/// The bytes of a file, once the memory budget allows holding them:
/// memory-mapped (the pages come from the page cache without a copy), or
/// read when the file cannot be mapped.
fn read_whole(path: &std::path::Path) -> Result<FileBytes, Vec<Diagnostic>> {
    let failed = |e: std::io::Error| {
        vec![Diagnostic::error(
            diag::READ_FAILED,
            format!("cannot read {}: {e}", path.display()),
        )]
    };
    let size = std::fs::metadata(path).map_err(failed)?.len();
    kql_common::memory::reserve(size, &path.display().to_string()).map_err(|d| vec![d])?;
    let file = std::fs::File::open(path).map_err(failed)?;
    if size > 0 {
        // SAFETY: the map is only read, and lives as long as the returned
        // value; like every reader of a file that another process may
        // change meanwhile, a query over a file rewritten while it runs
        // may see parts of both versions.
        if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
            return Ok(FileBytes::Mapped(map));
        }
    }
    std::fs::read(path).map(FileBytes::Read).map_err(failed)
}

/// A whole file's bytes.
enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Read(v) => v,
        }
    }
}

fn project(t: &LoadedTable, cols: &[usize]) -> Result<LoadedTable, Vec<Diagnostic>> {
    let internal = |e: arrow_schema::ArrowError| {
        vec![Diagnostic::error(
            diag::READ_FAILED,
            format!("internal error while projecting {}: {e}", t.name),
        )]
    };
    let schema = Arc::new(t.schema.project(cols).map_err(internal)?);
    let batches = t
        .batches
        .iter()
        .map(|b| b.project(cols))
        .collect::<Result<Vec<_>, _>>()
        .map_err(internal)?;
    Ok(LoadedTable {
        name: t.name.clone(),
        schema,
        batches,
    })
}

/// The schema of delimited text whose every column is typed by the header
/// alone (a known MDE table, or `[UTC]` datetime columns), else `None`.
fn typed_header(name: &str, bytes: &[u8], delimiter: u8) -> Option<SchemaRef> {
    let text = decode_text(bytes, name).ok()?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .from_reader(text.as_ref());
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).ok()? {
        return None;
    }
    let raw: Vec<String> = record
        .iter()
        .map(|f| std::str::from_utf8(f).map(str::to_string))
        .collect::<Result<_, _>>()
        .ok()?;
    let (names, utc) = column_names(&raw);
    let declared = mde::declared_types(name, &names);
    let mut fields = Vec::with_capacity(names.len());
    for ((n, d), u) in names.iter().zip(&declared).zip(&utc) {
        let ty = if *u { KqlType::DateTime } else { (*d)? };
        fields.push(ty.field(n.as_str()));
    }
    Some(Arc::new(Schema::new(fields)))
}

/// The first bytes of a file, enough to hold its header row.
fn head_of(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 16];
    let mut filled = 0;
    loop {
        let n = f.read(&mut buf[filled..])?;
        filled += n;
        if n == 0 || buf[..filled].contains(&b'\n') {
            break;
        }
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// Opens a delimited file: lazily when its header types every column, else
/// by reading it whole now (types are then inferred from the values).
pub(crate) fn open_delimited(
    path: &std::path::Path,
    name: &str,
    origin: &str,
    delimiter: u8,
    options: &crate::OpenOptions,
) -> Result<TableHandle, Vec<Diagnostic>> {
    let read_err = |e: std::io::Error| {
        vec![Diagnostic::error(
            diag::READ_FAILED,
            format!("cannot read {}: {e}", path.display()),
        )]
    };
    let head = head_of(path).map_err(read_err)?;
    if let Some(schema) = typed_header(name, &head, delimiter) {
        let cache = options
            .cache_dir
            .as_deref()
            .and_then(|root| TableCache::new(root, path, &schema, delimiter))
            .map(Arc::new);
        return Ok(TableHandle {
            name: name.to_string(),
            schema,
            source: Source::File {
                path: path.to_path_buf(),
                origin: origin.to_string(),
                delimiter,
                cache,
            },
        });
    }
    let bytes = std::fs::read(path).map_err(read_err)?;
    crate::csv_load::load_delimited(name, &bytes, origin, delimiter).map(TableHandle::loaded)
}

/// Opens a Parquet file (reads its footer).
pub(crate) fn open_parquet(
    path: &std::path::Path,
    name: &str,
    origin: &str,
) -> Result<TableHandle, Vec<Diagnostic>> {
    let (schema, file) = crate::parquet_read::open(path, name, origin)?;
    Ok(TableHandle {
        name: name.to_string(),
        schema,
        source: Source::Parquet(Arc::new(file)),
    })
}

/// Opens an Arrow IPC file (maps it and reads its footer).
pub(crate) fn open_ipc(
    path: &std::path::Path,
    name: &str,
    origin: &str,
) -> Result<TableHandle, Vec<Diagnostic>> {
    let (schema, file) = crate::ipc_read::open(path, name, origin)?;
    Ok(TableHandle {
        name: name.to_string(),
        schema,
        source: Source::Ipc(Arc::new(file)),
    })
}

/// Opens CSV text built into the binary (see [`open_delimited`]).
pub(crate) fn open_static(
    name: &str,
    bytes: &'static [u8],
    origin: &str,
) -> Result<TableHandle, Vec<Diagnostic>> {
    if let Some(schema) = typed_header(name, bytes, b',') {
        return Ok(TableHandle {
            name: name.to_string(),
            schema,
            source: Source::Static {
                bytes,
                origin: origin.to_string(),
                delimiter: b',',
            },
        });
    }
    crate::csv_load::load_delimited(name, bytes, origin, b',').map(TableHandle::loaded)
}

/// Splits `body` into about `parts` pieces that each end at a record
/// boundary (a line break outside quotes). The quotes before each cut are
/// counted on all cores, a stretch of the body each.
fn split_records(body: &[u8], parts: usize) -> Vec<(usize, usize)> {
    let targets: Vec<usize> = (1..parts).map(|i| body.len() * i / parts).collect();
    // Quotes in each stretch between consecutive targets.
    let counts: Vec<usize> = std::thread::scope(|s| {
        let handles: Vec<_> = targets
            .iter()
            .enumerate()
            .map(|(k, &t)| {
                let from = if k == 0 { 0 } else { targets[k - 1] };
                let stretch = &body[from..t];
                s.spawn(move || memchr::memchr_iter(b'"', stretch).count())
            })
            .collect();
        handles
            .into_iter()
            .zip(&targets)
            .enumerate()
            .map(|(k, (h, &t))| {
                h.join().unwrap_or_else(|_| {
                    let from = if k == 0 { 0 } else { targets[k - 1] };
                    memchr::memchr_iter(b'"', &body[from..t]).count()
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    let mut quotes_before = 0usize; // quotes in body[..target]
    for (&target, &count) in targets.iter().zip(&counts) {
        quotes_before += count;
        if target <= start {
            continue;
        }
        // Walk to the first line break after `target` outside quotes.
        let mut in_quotes = quotes_before % 2 == 1;
        let mut cut = None;
        for (off, &c) in body[target..].iter().enumerate() {
            match c {
                b'"' => in_quotes = !in_quotes,
                b'\n' if !in_quotes => {
                    cut = Some(target + off + 1);
                    break;
                }
                _ => {}
            }
        }
        let Some(cut) = cut else { break };
        out.push((start, cut));
        start = cut;
    }
    if start < body.len() {
        out.push((start, body.len()));
    }
    out
}

/// Parses delimited text of a known schema, in parallel chunks.
/// Parses the columns `projection` names (all without one) of a delimited
/// text, on all cores; a batch's rows that fail one of `predicates` are
/// dropped as soon as it is parsed.
#[allow(clippy::too_many_arguments)]
fn read_typed(
    name: &str,
    schema: &SchemaRef,
    bytes: &[u8],
    origin: &str,
    delimiter: u8,
    projection: Option<&[usize]>,
    predicates: &[ScanPredicate],
) -> Result<LoadedTable, Vec<Diagnostic>> {
    let text = decode_text(bytes, origin).map_err(|d| vec![d])?;
    let text: &[u8] = text.as_ref();
    // Skip the header record.
    let header_end = {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(delimiter)
            .from_reader(text);
        let mut record = csv::ByteRecord::new();
        let _ = reader.read_byte_record(&mut record);
        usize::try_from(reader.position().byte())
            .unwrap_or(text.len())
            .min(text.len())
    };
    let ncols = schema.fields().len();
    let cols: Vec<usize> = match projection {
        Some(p) => p.to_vec(),
        None => (0..ncols).collect(),
    };
    let out_schema = Arc::new(schema.project(&cols).map_err(|e| {
        vec![Diagnostic::error(
            diag::READ_FAILED,
            format!("internal error while reading {name}: {e}"),
        )]
    })?);
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let types: Vec<KqlType> = out_schema
        .fields()
        .iter()
        .map(|f| KqlType::of_field(f).unwrap_or(KqlType::String))
        .collect();
    let filter = BatchFilter::new(predicates, &cols, &types);
    let body = &text[header_end..];
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let parts = if body.len() < (8 << 20) { 1 } else { threads };
    let chunks = split_records(body, parts);
    let results: Vec<(Vec<Vec<ArrayRef>>, Errors)> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|&(a, b)| {
                let chunk = &body[a..b];
                let ctx = ChunkCtx {
                    text,
                    offset: header_end + a,
                    origin,
                    delimiter,
                    ncols,
                    cols: &cols,
                    types: &types,
                    names: &names,
                    filter: filter.as_ref(),
                };
                s.spawn(move || parse_chunk(chunk, &ctx))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    let mut e = Errors::default();
                    e.push(Diagnostic::error(
                        diag::READ_FAILED,
                        format!("internal error while reading {origin}"),
                    ));
                    (Vec::new(), e)
                })
            })
            .collect()
    });
    let mut errors = Errors::default();
    let mut batches = Vec::new();
    let over_budget = results.iter().find_map(|(_, errs)| {
        errs.list
            .iter()
            .find(|d| d.code == kql_common::memory::MEMORY_LIMIT)
    });
    if let Some(d) = over_budget {
        return Err(vec![d.clone()]);
    }
    for (cols_batches, errs) in results {
        for d in errs.list {
            if errors.push(d) {
                break;
            }
        }
        for arrays in cols_batches {
            let n = arrays.first().map_or(0, |a| a.len());
            let batch = RecordBatch::try_new_with_options(
                out_schema.clone(),
                arrays,
                &arrow_array::RecordBatchOptions::new().with_row_count(Some(n)),
            )
            .map_err(|e| {
                vec![Diagnostic::error(
                    diag::READ_FAILED,
                    format!("internal error while building table {name}: {e}"),
                )]
            })?;
            batches.push(batch);
        }
    }
    if !errors.is_empty() {
        return Err(errors.into_vec());
    }
    Ok(LoadedTable {
        name: name.to_string(),
        schema: out_schema,
        batches,
    })
}

struct ChunkCtx<'a> {
    /// The whole text, for line numbers in messages.
    text: &'a [u8],
    /// Where the chunk starts in `text`.
    offset: usize,
    origin: &'a str,
    delimiter: u8,
    ncols: usize,
    /// The file columns to keep, in output order.
    cols: &'a [usize],
    types: &'a [KqlType],
    names: &'a [String],
    /// Drops the rows of each parsed batch that fail it.
    filter: Option<&'a BatchFilter>,
}

/// Predicates of the form `column op constant`, checked on each parsed
/// batch (a reader may leave out rows that fail them; the query's own
/// filter still runs).
struct BatchFilter {
    /// (output slot, op, value in KQL layout)
    tests: Vec<(usize, kql_common::ScanOp, arrow_array::Scalar<ArrayRef>)>,
}

impl BatchFilter {
    /// The predicates on columns among `cols` (of the KQL types `types`)
    /// that can be checked; `None` when there are none.
    fn new(predicates: &[ScanPredicate], cols: &[usize], types: &[KqlType]) -> Option<BatchFilter> {
        let tests: Vec<_> = predicates
            .iter()
            .filter_map(|p| {
                let slot = cols.iter().position(|&c| c == p.column)?;
                if !crate::parquet_read::checkable(p, *types.get(slot)?) {
                    return None;
                }
                Some((slot, p.op, crate::parquet_read::literal(&p.value)?))
            })
            .collect();
        (!tests.is_empty()).then_some(BatchFilter { tests })
    }

    /// The rows of `arrays` that pass every test (all of them when a test
    /// cannot run).
    fn apply(&self, arrays: Vec<ArrayRef>) -> Vec<ArrayRef> {
        let rows = arrays.first().map_or(0, |a| a.len());
        let mut keep = arrow_buffer::BooleanBuffer::new_set(rows);
        for (slot, op, value) in &self.tests {
            let Some(column) = arrays.get(*slot) else {
                return arrays;
            };
            match crate::parquet_read::satisfies(column, *op, value) {
                Ok(hit) => keep = &keep & &hit,
                Err(_) => return arrays,
            }
        }
        if keep.count_set_bits() == rows {
            return arrays;
        }
        let keep = arrow_array::BooleanArray::new(keep, None);
        let filter = arrow_select::filter::FilterBuilder::new(&keep)
            .optimize()
            .build();
        let filtered: Result<Vec<ArrayRef>, _> = arrays.iter().map(|a| filter.filter(a)).collect();
        filtered.unwrap_or(arrays)
    }
}

impl ChunkCtx<'_> {
    /// The line of the record that starts at `pos` in the chunk.
    fn line(&self, pos: u64) -> u64 {
        line_at(self.text, pos + self.offset as u64)
    }
}

/// Parses one chunk into batches of the kept columns: records in the
/// plain form (see [`crate::records`]) are split quickly; from the first
/// record that is not, the general reader takes the rest of the chunk.
fn parse_chunk(chunk: &[u8], ctx: &ChunkCtx) -> (Vec<Vec<ArrayRef>>, Errors) {
    let mut slot_of: Vec<Option<usize>> = vec![None; ctx.ncols];
    for (slot, &c) in ctx.cols.iter().enumerate() {
        if let Some(s @ None) = slot_of.get_mut(c) {
            *s = Some(slot);
        }
    }
    // The kept file columns in file order, each with its builder.
    let kept: Vec<(usize, usize)> = slot_of
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.map(|s| (i, s)))
        .collect();
    // A column asked for twice is read once and copied.
    let mut st = ChunkState {
        builders: ctx
            .types
            .iter()
            .map(|t| TypedColumn::new(*t, BATCH_ROWS))
            .collect(),
        errors: Errors::default(),
        batches: Vec::new(),
        rows: 0,
    };
    // Every field of text that is UTF-8 as a whole is UTF-8 too: fields
    // begin and end at ASCII delimiters, quotes and line breaks, and
    // undoing doubled quotes drops ASCII quotes only.
    let utf8 = chunk.is_ascii() || std::str::from_utf8(chunk).is_ok();
    let mut fields = Vec::with_capacity(ctx.ncols);
    let mut scratch = Vec::new();
    let mut pos = 0usize;
    while let Some(next) = crate::records::split_record(chunk, pos, ctx.delimiter, &mut fields) {
        if fields.len() != ctx.ncols {
            break;
        }
        let mut stop = false;
        for &(i, slot) in &kept {
            let bytes = crate::records::field_bytes(chunk, fields[i], &mut scratch);
            match st.push_field(bytes, utf8, i, slot, pos as u64, ctx) {
                Ok(()) => {}
                Err(FieldError::Value(s)) => stop = s,
                Err(FieldError::Encoding(s)) => {
                    stop = s;
                    break;
                }
            }
        }
        if stop || !st.end_record(ctx) {
            return st.done(ctx);
        }
        pos = next;
    }
    if pos < chunk.len() {
        general_records(&chunk[pos..], pos as u64, &slot_of, &mut st, ctx);
    }
    st.done(ctx)
}

/// What went wrong with one field; `true` when reading should stop.
enum FieldError {
    /// Not a value of the column's type (a null was pushed instead).
    Value(bool),
    /// Not UTF-8 text (the rest of the record is skipped).
    Encoding(bool),
}

/// The builders and errors of one chunk while it is parsed.
struct ChunkState {
    builders: Vec<TypedColumn>,
    errors: Errors,
    batches: Vec<Vec<ArrayRef>>,
    rows: usize,
}

impl ChunkState {
    /// Pushes field `i` (kept in `slot`) of the record that starts at
    /// `pos` in the chunk; `utf8` when `field` is known to be UTF-8.
    fn push_field(
        &mut self,
        field: &[u8],
        utf8: bool,
        i: usize,
        slot: usize,
        pos: u64,
        ctx: &ChunkCtx,
    ) -> Result<(), FieldError> {
        let checked = if utf8 {
            // SAFETY: the caller has checked that `field` is UTF-8.
            Ok(unsafe { std::str::from_utf8_unchecked(field) })
        } else {
            std::str::from_utf8(field)
        };
        let Ok(s) = checked else {
            let l = ctx.line(pos);
            return Err(FieldError::Encoding(
                self.errors.push(
                    Diagnostic::error(
                        diag::BAD_ENCODING,
                        format!(
                            "{} is not UTF-8 text (line {l}, column {})",
                            ctx.origin, ctx.names[i]
                        ),
                    )
                    .with_help("save the file as UTF-8"),
                ),
            ));
        };
        let b = &mut self.builders[slot];
        if b.push_text(s).is_err() {
            b.push_null();
            let ty = b.ty;
            return Err(FieldError::Value(self.errors.push(diag::bad_value(
                s,
                ty,
                &ctx.names[i],
                &format!("{}, line {}", ctx.origin, ctx.line(pos)),
            ))));
        }
        Ok(())
    }

    /// Counts a finished record; `false` when reading should stop.
    fn end_record(&mut self, ctx: &ChunkCtx) -> bool {
        self.rows += 1;
        if self.rows == BATCH_ROWS {
            self.push_batch(ctx);
            self.rows = 0;
            if let Err(d) = kql_common::memory::check() {
                self.errors.push(d);
                return false;
            }
        }
        true
    }

    fn done(mut self, ctx: &ChunkCtx) -> (Vec<Vec<ArrayRef>>, Errors) {
        if self.rows > 0 {
            self.push_batch(ctx);
        }
        (self.batches, self.errors)
    }

    /// Finishes the batch being built (leaving it out when the filter
    /// drops all its rows).
    fn push_batch(&mut self, ctx: &ChunkCtx) {
        let arrays = finish(&mut self.builders, ctx);
        if ctx.filter.is_none() || arrays.first().is_some_and(|a| !a.is_empty()) {
            self.batches.push(arrays);
        }
    }
}

/// Reads `text` (which starts at byte `base` of the chunk) with the general
/// CSV reader.
fn general_records(
    text: &[u8],
    base: u64,
    slot_of: &[Option<usize>],
    st: &mut ChunkState,
    ctx: &ChunkCtx,
) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(ctx.delimiter)
        .buffer_capacity(1 << 16)
        .from_reader(text);
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                if st.errors.push(Diagnostic::error(
                    diag::BAD_ROW,
                    format!("malformed CSV in {}: {e}", ctx.origin),
                )) {
                    break;
                }
                continue;
            }
        }
        let pos = base + record.position().map_or(0, |p| p.byte());
        if record.len() != ctx.ncols {
            // A blank line at the very end is not a record.
            if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) {
                continue;
            }
            let l = ctx.line(pos);
            if st.errors.push(
                Diagnostic::error(
                    diag::BAD_ROW,
                    format!(
                        "expected {} fields but found {} in line {l} of {}",
                        ctx.ncols,
                        record.len(),
                        ctx.origin
                    ),
                )
                .with_note(format!("{}, line {l}", ctx.origin))
                .with_help(
                    "every row needs as many fields as the header; quote fields that contain the delimiter",
                ),
            ) {
                break;
            }
            continue;
        }
        let mut stop = false;
        for (i, field) in record.iter().enumerate() {
            let Some(slot) = slot_of.get(i).copied().flatten() else {
                continue;
            };
            match st.push_field(field, false, i, slot, pos, ctx) {
                Ok(()) => {}
                Err(FieldError::Value(s)) => stop = s,
                Err(FieldError::Encoding(s)) => {
                    stop = s;
                    break;
                }
            }
        }
        if stop || !st.end_record(ctx) {
            break;
        }
    }
}

/// The finished batch of the kept columns, without the rows the context's
/// filter drops.
fn finish(builders: &mut [TypedColumn], ctx: &ChunkCtx) -> Vec<ArrayRef> {
    let arrays: Vec<ArrayRef> = builders.iter_mut().map(TypedColumn::finish).collect();
    // Output slots that repeat an earlier column share its array.
    let out = ctx
        .cols
        .iter()
        .enumerate()
        .map(|(slot, c)| {
            let first = ctx.cols.iter().position(|x| x == c).unwrap_or(slot);
            arrays[first].clone()
        })
        .collect();
    match ctx.filter {
        Some(f) => f.apply(out),
        None => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `text` (a body without header) as one chunk, quickly and with
    /// the general reader only, and returns both as comparable text.
    fn quick_and_general(text: &[u8], types: &[KqlType], cols: &[usize]) -> (String, String) {
        let names: Vec<String> = (0..types.len()).map(|i| format!("c{i}")).collect();
        let kept: Vec<KqlType> = cols.iter().map(|&c| types[c]).collect();
        let ctx = ChunkCtx {
            text,
            offset: 0,
            origin: "t.csv",
            delimiter: b',',
            ncols: types.len(),
            cols,
            types: &kept,
            names: &names,
            filter: None,
        };
        let show = |(batches, errors): (Vec<Vec<ArrayRef>>, Errors)| {
            let mut out = String::new();
            for b in batches {
                for a in b {
                    out.push_str(&format!("{a:?}\n"));
                }
            }
            for d in errors.into_vec() {
                out.push_str(&format!(
                    "{} {} {:?} {:?}\n",
                    d.code, d.message, d.notes, d.help
                ));
            }
            out
        };
        let quick = show(parse_chunk(text, &ctx));
        let mut slot_of: Vec<Option<usize>> = vec![None; ctx.ncols];
        for (slot, &c) in cols.iter().enumerate() {
            if let Some(s @ None) = slot_of.get_mut(c) {
                *s = Some(slot);
            }
        }
        let mut st = ChunkState {
            builders: kept
                .iter()
                .map(|t| TypedColumn::new(*t, BATCH_ROWS))
                .collect(),
            errors: Errors::default(),
            batches: Vec::new(),
            rows: 0,
        };
        general_records(text, 0, &slot_of, &mut st, &ctx);
        (quick, show(st.done(&ctx)))
    }

    #[test]
    fn quick_records_read_like_the_general_reader() {
        use KqlType::*;
        let types = [DateTime, String, Long, Real, Bool, Dynamic, Guid, TimeSpan];
        let good = "2026-01-29T16:00:00.1234567Z,\"a, \"\"q\"\"\",5,1.5,true,\"{\"\"a\"\":1}\",6F9619FF-8B86-D011-B42D-00C04FC964FF,01:02:03\n\
             2026-01-29 16:00:00,\"two\nlines\",,,,,,\n\
             2026-01-29T16:00:00+02:00,ünï 日本,-7,NaN,False,[1, 2],,1.00:00:00\r\n\
             1/29/2026 4:00 PM,\"\",9,1e3,0,\"\"\"x\"\"\",,\n\
             2026-01-29,plain,1,2,1,x,,-00:00:01.5";
        let odd_rows: [&[u8]; 16] = [
            b"",
            b"\n",
            b"\n\n",
            b"2026-01-29,a,1,2,1,x,,\n\n2026-01-30,b,1,2,1,x,,\n",
            b"2026-01-29,a,1\n",
            b"2026-01-29,a,1,2,1,x,,,extra\n",
            b"2026-01-29,a,notanumber,2,1,x,,\n",
            b"notadate,a,1,2,1,x,,\n",
            b"2026-01-29,a,1,2,1,x,not-a-guid,\n",
            b"2026-01-29,a\"b,1,2,1,x,,\n",
            b"2026-01-29,\"a\"b,1,2,1,x,,\n",
            b"2026-01-29,a,1,2,1,x,,\rnext,b,1,2,1,x,,\n",
            b"2026-01-29,\xff\xfe,1,2,1,x,,\n",
            b"2026-01-29,\"\xc3\",1,2,1,x,,\n",
            b"2026-01-29,\xc3\xbc,1,\xff,1,x,,\n",
            b"2026-01-29,\"unclosed,1,2,1,x,,\n",
        ];
        let all: Vec<usize> = (0..types.len()).collect();
        let some = [5, 1, 2, 1];
        let mut texts: Vec<Vec<u8>> = vec![good.as_bytes().to_vec()];
        for odd in odd_rows {
            for at in [0, 1, 3] {
                let lines: Vec<&str> = good.split_inclusive('\n').collect();
                let mut t = lines[..at].concat().into_bytes();
                t.extend_from_slice(odd);
                t.extend_from_slice(lines[at..].concat().as_bytes());
                texts.push(t);
            }
        }
        // Many errors: the reader stops after the tenth.
        let mut many = Vec::new();
        for i in 0..30 {
            many.extend_from_slice(format!("x{i},a,b,c,d,e,f,g\n").as_bytes());
        }
        texts.push(many);
        for t in &texts {
            for cols in [&all[..], &some[..], &[][..]] {
                let (quick, general) = quick_and_general(t, &types, cols);
                assert_eq!(
                    quick,
                    general,
                    "{:?} {cols:?}",
                    std::string::String::from_utf8_lossy(t)
                );
            }
        }
    }

    #[test]
    fn quick_records_fill_several_batches() {
        let mut text = String::new();
        for i in 0..(BATCH_ROWS + 100) {
            text.push_str(&format!("\"{i}\",\"v\"\"{i}\"\n"));
        }
        text.push_str("bad,row,x\n1,2\n");
        let (quick, general) =
            quick_and_general(text.as_bytes(), &[KqlType::Long, KqlType::String], &[1, 0]);
        assert_eq!(quick, general);
        assert!(
            quick.contains("expected 2 fields but found 3 in line 65637"),
            "{}",
            &quick[quick.len() - 400..]
        );
    }

    #[test]
    fn splits_only_outside_quotes() {
        let body = b"a,\"x\ny\",1\nb,\"p\nq\",2\nc,z,3\n";
        for parts in 1..8 {
            let chunks = split_records(body, parts);
            let joined: Vec<u8> = chunks
                .iter()
                .flat_map(|&(a, b)| body[a..b].to_vec())
                .collect();
            assert_eq!(joined, body.to_vec(), "parts={parts}");
            for &(a, b) in &chunks {
                let piece = &body[a..b];
                assert_eq!(
                    memchr::memchr_iter(b'"', piece).count() % 2,
                    0,
                    "{parts}: {piece:?}"
                );
                assert!(piece.ends_with(b"\n"));
            }
        }
    }
}
