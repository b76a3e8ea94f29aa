//! Executes KQL logical plans column-at-a-time over Arrow record batches.
//!
//! Scans, filters, projections, `parse` and `take` run as a pipeline over
//! the table source's batch stream ([`TableSource::stream`]), a window of
//! batches at a time (`stream.rs`); `summarize`, `count`, `distinct`,
//! `top` and the probe side of `join` consume that pipeline window by
//! window, keeping only their own state, and `take` stops reading once it
//! has its rows. Other operators
//! run over their whole input. Within a batch, every operator works on
//! whole arrays: filters evaluate their predicate into one boolean array
//! and apply it with Arrow's filter kernel, projections build each output
//! column with one kernel call, sorting and grouping use Arrow's sort and
//! row-format kernels.

pub mod activity;
pub mod aggregate;
pub mod cast;
pub mod dict;
pub mod error;
pub mod exec;
pub mod expr;
pub mod functions;
pub mod ip_lookup;
pub mod join;
pub mod mv_expand;
pub mod parallel;
pub mod parse;
pub mod parse_kv;
pub mod reduce;
pub mod rowops;
pub mod scan;
mod stream;
pub mod strings;
mod textscan;
mod topn;
pub mod union;
pub mod value;
pub mod window;

use arrow::datatypes::{Schema as ArrowSchema, SchemaRef};
use arrow::record_batch::RecordBatch;
use kql_common::Diagnostic;
use kql_common::KqlType;
use kql_common::ScanPredicate;
use kql_planner::{Catalog, Column, Schema};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

pub use exec::execute;
pub use scan::{RowTest, ScanOptions};

/// Rows of a table or a query result: an Arrow schema whose fields carry
/// their KQL types, and zero or more batches.
#[derive(Clone, Debug)]
pub struct Table {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

impl Table {
    /// Number of rows over all batches.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The KQL schema of the table (fields of types KQL cannot hold are
    /// shown as `dynamic`).
    pub fn kql_schema(&self) -> Schema {
        kql_schema_of(&self.schema)
    }
}

/// A table's rows as they are read: the schema, and the batches one after
/// another. Dropping it stops the reading (a source that decodes ahead
/// stops its workers).
pub struct BatchStream {
    pub schema: SchemaRef,
    pub batches: BatchIter,
}

/// The batches of a [`BatchStream`].
pub type BatchIter = Box<dyn Iterator<Item = error::EvalResult<RecordBatch>> + Send>;

impl BatchStream {
    /// The batches of a table already in memory.
    pub fn from_table(t: Table) -> Self {
        BatchStream {
            schema: t.schema,
            batches: Box::new(t.batches.into_iter().map(Ok)),
        }
    }

    /// Reads every batch into a table.
    pub fn collect(self) -> error::EvalResult<Table> {
        Ok(Table {
            schema: self.schema,
            batches: self.batches.collect::<error::EvalResult<Vec<_>>>()?,
        })
    }
}

impl std::fmt::Debug for BatchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchStream")
            .field("columns", &self.schema.fields().len())
            .finish()
    }
}

/// The first of a reader's diagnostics, with a note counting the others
/// (they are about the same data).
pub fn first_diagnostic(mut diags: Vec<Diagnostic>) -> Diagnostic {
    if diags.is_empty() {
        return error::internal("a table could not be read");
    }
    let mut d = diags.remove(0);
    if !diags.is_empty() {
        d = d.with_note(format!(
            "and {} more problems in the same data",
            diags.len()
        ));
    }
    d
}

/// Where `Scan` nodes read their tables from.
pub trait TableSource {
    /// The rows of a table; with `projection`, only those columns (indices
    /// into the table's schema, in that order).
    ///
    /// `predicates` are conditions every row the query keeps satisfies (a
    /// conjunction; column indices into the table's schema). A source may
    /// use them to skip rows it can tell fail one (Parquet row groups by
    /// their statistics) or ignore them: the query filters the rows again.
    fn table(
        &self,
        name: &str,
        projection: Option<&[usize]>,
        predicates: &[ScanPredicate],
    ) -> Result<Table, Vec<Diagnostic>>;

    /// The same rows as [`TableSource::table`], in the same order, read
    /// as the query pulls them, so a query that needs only some rows (`take`)
    /// or keeps only a summary of them (`summarize`) need not hold the whole
    /// table. By default the whole table is read first.
    fn stream(
        &self,
        name: &str,
        projection: Option<&[usize]>,
        predicates: &[ScanPredicate],
    ) -> Result<BatchStream, Vec<Diagnostic>> {
        self.table(name, projection, predicates)
            .map(BatchStream::from_table)
    }

    /// The rows of [`TableSource::stream`] that pass `options.test` (all
    /// without one), as `options` allows them to come (string columns
    /// dictionary-encoded, see [`dict`]). By default, the test runs on
    /// the batches [`TableSource::stream`] gives.
    fn stream_with(
        &self,
        name: &str,
        projection: Option<&[usize]>,
        predicates: &[ScanPredicate],
        options: &ScanOptions,
    ) -> Result<BatchStream, Vec<Diagnostic>> {
        match &options.test {
            None => self.stream(name, projection, predicates),
            Some(t) => t.after(projection, |p| self.stream(name, p, predicates)),
        }
    }

    /// Whether [`TableSource::stream_with`] runs a row test on `name`
    /// while reading, cheaper than testing the batches afterwards (false
    /// by default).
    fn runs_row_tests(&self, _name: &str) -> bool {
        false
    }

    /// Whether [`TableSource::rows_at`] reads rows of `name` by position
    /// without reading the rest of the table (false by default).
    fn reads_rows_at(&self, _name: &str) -> bool {
        false
    }

    /// The rows of a table at `positions` (ascending, distinct; positions
    /// in the order [`TableSource::stream`] yields the rows without
    /// predicates), of the columns `projection` names, in that order.
    /// `None` when the source cannot read rows by position.
    fn rows_at(
        &self,
        _name: &str,
        _projection: &[usize],
        _positions: &[u64],
    ) -> Option<Result<Table, Vec<Diagnostic>>> {
        None
    }

    /// The positions (as [`TableSource::rows_at`] takes them) of the first
    /// `k` rows of `name` sorted by its integer-like column `column`
    /// (descending when `descending`; nulls last; ties in table order), in
    /// that order, when the source finds them without reading the whole
    /// column (a Parquet file, from its statistics). `None` otherwise.
    fn top_positions(
        &self,
        _name: &str,
        _column: usize,
        _k: usize,
        _descending: bool,
    ) -> Option<Result<Vec<u64>, Vec<Diagnostic>>> {
        None
    }
}

/// Settings that hold for one whole query.
#[derive(Clone, Debug, Default)]
pub struct EvalContext {
    /// The value of `now()`, in ticks since the Unix epoch.
    pub now: i64,
    /// Set from outside (e.g. on Ctrl-C) to stop the query at the next
    /// batch boundary with `kql::eval::cancelled`.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Worker threads for operators that split their batches; 0 means one
    /// per core (see [`parallel::threads`]). Results do not depend on it.
    pub threads: usize,
}

impl EvalContext {
    /// A context whose `now()` is the given time.
    pub fn at(now: i64) -> Self {
        EvalContext {
            now,
            cancel: None,
            threads: 0,
        }
    }

    /// A context whose `now()` is the current time.
    pub fn at_current_time() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| (d.as_nanos() / 100) as i64)
            .unwrap_or(0);
        EvalContext::at(now)
    }

    /// The same context, stopped when `flag` is set.
    pub fn with_cancel(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// The same context, running on `n` worker threads (1: all on the
    /// calling thread).
    pub fn with_threads(mut self, n: usize) -> Self {
        self.threads = n;
        self
    }

    /// Fails with `kql::eval::cancelled` once the query has been cancelled,
    /// and with `kql::eval::memory_limit` once it has allocated more than
    /// its memory budget (see [`kql_common::memory`]). Operators call it at
    /// every batch boundary.
    pub fn check_cancelled(&self) -> Result<(), Diagnostic> {
        match &self.cancel {
            Some(flag) if flag.load(Ordering::Relaxed) => Err(Diagnostic::error(
                "kql::eval::cancelled",
                "the query was cancelled",
            )),
            _ => kql_common::memory::check(),
        }
    }
}

/// The Arrow schema of a KQL schema.
pub fn arrow_schema_of(schema: &Schema) -> SchemaRef {
    Arc::new(ArrowSchema::new(
        schema
            .columns
            .iter()
            .map(|c| c.ty.field(c.name.clone()))
            .collect::<Vec<_>>(),
    ))
}

/// Reads a table's rows when a query first needs them; with a projection,
/// only those columns; the predicates as in [`TableSource::table`].
pub type Loader =
    dyn Fn(Option<&[usize]>, &[ScanPredicate]) -> Result<Table, Vec<Diagnostic>> + Send + Sync;

/// Reads a table's rows as a [`BatchStream`]; the arguments as for
/// [`Loader`], and the [`ScanOptions`] as [`TableSource::stream_with`]
/// says (the loader runs the test).
pub type StreamLoader = dyn Fn(Option<&[usize]>, &[ScanPredicate], &ScanOptions) -> Result<BatchStream, Vec<Diagnostic>>
    + Send
    + Sync;

/// Reads the rows of a table at positions (see [`TableSource::rows_at`]).
pub type RowReader = dyn Fn(&[usize], &[u64]) -> Result<Table, Vec<Diagnostic>> + Send + Sync;

/// Finds the positions of a table's first rows by a column (see
/// [`TableSource::top_positions`]): column, count, descending.
pub type TopFinder =
    dyn Fn(usize, usize, bool) -> Option<Result<Vec<u64>, Vec<Diagnostic>>> + Send + Sync;

/// One table of a [`Database`]: its schema, and its rows once read.
pub struct Entry {
    schema: SchemaRef,
    rows: OnceLock<Table>,
    loader: Option<Arc<Loader>>,
    streamer: Option<Arc<StreamLoader>>,
    row_reader: Option<Arc<RowReader>>,
    top_finder: Option<Arc<TopFinder>>,
    /// The streamer runs row tests while reading.
    tests_rows: bool,
}

impl Entry {
    /// The Arrow schema (fields carry their KQL types).
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The KQL schema.
    pub fn kql_schema(&self) -> Schema {
        kql_schema_of(&self.schema)
    }

    /// The number of rows, if they have been read.
    pub fn loaded_rows(&self) -> Option<usize> {
        self.rows.get().map(Table::num_rows)
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("columns", &self.schema.fields().len())
            .field("loaded", &self.rows.get().is_some())
            .finish()
    }
}

fn kql_schema_of(schema: &SchemaRef) -> Schema {
    Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| {
                Column::new(
                    f.name().clone(),
                    KqlType::of_field(f).unwrap_or(KqlType::Dynamic),
                )
            })
            .collect(),
    )
}

/// A set of named tables: the catalog for planning and the source for
/// execution. Tables may be registered with a loader and read on first use.
#[derive(Debug, Default)]
pub struct Database {
    tables: BTreeMap<String, Entry>,
    /// Keep a lazily read table in memory after its first use (read whole),
    /// instead of reading just the columns each query needs.
    pub keep_loaded: bool,
}

impl Database {
    pub fn new() -> Self {
        Database::default()
    }

    /// Adds or replaces a table whose rows are in memory.
    pub fn insert(&mut self, name: impl Into<String>, table: Table) {
        let rows = OnceLock::new();
        let schema = table.schema.clone();
        let _ = rows.set(table);
        self.tables.insert(
            name.into(),
            Entry {
                schema,
                rows,
                loader: None,
                streamer: None,
                row_reader: None,
                top_finder: None,
                tests_rows: false,
            },
        );
    }

    /// Adds or replaces a table that is read when a query first uses it.
    pub fn insert_lazy(&mut self, name: impl Into<String>, schema: SchemaRef, loader: Arc<Loader>) {
        self.tables.insert(
            name.into(),
            Entry {
                schema,
                rows: OnceLock::new(),
                loader: Some(loader),
                streamer: None,
                row_reader: None,
                top_finder: None,
                tests_rows: false,
            },
        );
    }

    /// Adds or replaces a table that is read when a query first uses it,
    /// whole by `loader` or batch by batch by `streamer` (both must give
    /// the same rows in the same batches).
    pub fn insert_streaming(
        &mut self,
        name: impl Into<String>,
        schema: SchemaRef,
        loader: Arc<Loader>,
        streamer: Arc<StreamLoader>,
    ) {
        self.tables.insert(
            name.into(),
            Entry {
                schema,
                rows: OnceLock::new(),
                loader: Some(loader),
                streamer: Some(streamer),
                row_reader: None,
                top_finder: None,
                tests_rows: false,
            },
        );
    }

    /// Lets queries read rows of the table `name` by position with
    /// `reader` (for a source that reads them without the rest of the
    /// table, such as a Parquet file); no effect on other names.
    pub fn set_row_reader(&mut self, name: &str, reader: Arc<RowReader>) {
        if let Some(e) = self.tables.get_mut(name) {
            e.row_reader = Some(reader);
        }
    }

    /// Lets queries find the positions of the first rows of the table
    /// `name` by a column with `finder` (see [`TableSource::top_positions`];
    /// used with its row reader); no effect on other names.
    pub fn set_top_finder(&mut self, name: &str, finder: Arc<TopFinder>) {
        if let Some(e) = self.tables.get_mut(name) {
            e.top_finder = Some(finder);
        }
    }

    /// Lets queries hand row tests of the table `name` to its streamer,
    /// which runs them while reading (as a Parquet file's reader does).
    pub fn set_runs_row_tests(&mut self, name: &str) {
        if let Some(e) = self.tables.get_mut(name) {
            e.tests_rows = true;
        }
    }

    /// A table's entry.
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.tables.get(name)
    }

    /// Tables in name order.
    pub fn tables(&self) -> impl Iterator<Item = (&String, &Entry)> {
        self.tables.iter()
    }
}

impl Catalog for Database {
    fn table_schema(&self, name: &str) -> Option<Schema> {
        self.tables.get(name).map(Entry::kql_schema)
    }

    fn table_names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }
}

fn project_table(t: &Table, cols: &[usize]) -> Result<Table, Vec<Diagnostic>> {
    let internal = |e: arrow::error::ArrowError| vec![error::internal(e.to_string())];
    Ok(Table {
        schema: Arc::new(t.schema.project(cols).map_err(internal)?),
        batches: t
            .batches
            .iter()
            .map(|b| b.project(cols))
            .collect::<Result<Vec<_>, _>>()
            .map_err(internal)?,
    })
}

impl TableSource for Database {
    fn stream(
        &self,
        name: &str,
        projection: Option<&[usize]>,
        predicates: &[ScanPredicate],
    ) -> Result<BatchStream, Vec<Diagnostic>> {
        self.stream_with(name, projection, predicates, &ScanOptions::default())
    }

    fn stream_with(
        &self,
        name: &str,
        projection: Option<&[usize]>,
        predicates: &[ScanPredicate],
        options: &ScanOptions,
    ) -> Result<BatchStream, Vec<Diagnostic>> {
        match self.tables.get(name) {
            Some(Entry {
                rows,
                streamer: Some(stream),
                ..
            }) if rows.get().is_none() && !self.keep_loaded => {
                stream(projection, predicates, options)
            }
            _ => {
                let read = |p: Option<&[usize]>| {
                    self.table(name, p, predicates).map(BatchStream::from_table)
                };
                match &options.test {
                    None => read(projection),
                    Some(t) => t.after(projection, read),
                }
            }
        }
    }

    fn runs_row_tests(&self, name: &str) -> bool {
        !self.keep_loaded
            && self
                .tables
                .get(name)
                .is_some_and(|e| e.tests_rows && e.streamer.is_some() && e.rows.get().is_none())
    }

    fn reads_rows_at(&self, name: &str) -> bool {
        self.tables
            .get(name)
            .is_some_and(|e| e.row_reader.is_some() && e.rows.get().is_none() && !self.keep_loaded)
    }

    fn rows_at(
        &self,
        name: &str,
        projection: &[usize],
        positions: &[u64],
    ) -> Option<Result<Table, Vec<Diagnostic>>> {
        if !self.reads_rows_at(name) {
            return None;
        }
        let read = self.tables.get(name)?.row_reader.as_ref()?;
        Some(read(projection, positions))
    }

    fn top_positions(
        &self,
        name: &str,
        column: usize,
        k: usize,
        descending: bool,
    ) -> Option<Result<Vec<u64>, Vec<Diagnostic>>> {
        if !self.reads_rows_at(name) {
            return None;
        }
        let find = self.tables.get(name)?.top_finder.as_ref()?;
        find(column, k, descending)
    }

    fn table(
        &self,
        name: &str,
        projection: Option<&[usize]>,
        predicates: &[ScanPredicate],
    ) -> Result<Table, Vec<Diagnostic>> {
        let Some(entry) = self.tables.get(name) else {
            return Err(vec![Diagnostic::error(
                "kql::eval::missing_table",
                format!("table `{name}` is not loaded"),
            )]);
        };
        let whole = match (entry.rows.get(), &entry.loader) {
            (Some(t), _) => t,
            (None, Some(load)) if !self.keep_loaded => return load(projection, predicates),
            (None, Some(load)) => {
                let t = load(None, &[])?;
                entry.rows.get_or_init(|| t)
            }
            (None, None) => {
                return Err(vec![error::internal(format!("table `{name}` has no rows"))])
            }
        };
        match projection {
            None => Ok(whole.clone()),
            Some(cols) => project_table(whole, cols),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kql_common::ScalarValue;
    use kql_planner::plan::Range;
    use kql_planner::LogicalPlan;

    fn range(to: i64) -> LogicalPlan {
        LogicalPlan::Range(Range {
            name: "x".into(),
            ty: KqlType::Long,
            start: ScalarValue::Long(1),
            stop: ScalarValue::Long(to),
            step: ScalarValue::Long(1),
        })
    }

    #[test]
    fn a_cancelled_query_stops_with_a_diagnostic() {
        let flag = Arc::new(AtomicBool::new(true));
        let ctx = EvalContext::at(0).with_cancel(flag.clone());
        let err = execute(&range(10), &Database::new(), &ctx).expect_err("cancelled");
        assert_eq!(err.code, "kql::eval::cancelled");
        flag.store(false, Ordering::Relaxed);
        let t = execute(&range(10), &Database::new(), &ctx).expect("runs");
        assert_eq!(t.num_rows(), 10);
    }

    #[test]
    fn range_streams_in_bounded_batches() {
        let t = execute(&range(200_000), &Database::new(), &EvalContext::at(0)).expect("runs");
        let sizes: Vec<usize> = t.batches.iter().map(RecordBatch::num_rows).collect();
        assert_eq!(sizes, vec![65_536, 65_536, 65_536, 3_392]);
    }
}
