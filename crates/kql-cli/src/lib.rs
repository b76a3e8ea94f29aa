//! The `kql` command: runs KQL queries over local tables, once or at a
//! prompt, and renders results and diagnostics for people.
//!
//! [`Session`] ties the stages together (parse → plan → execute) over a
//! [`kql_eval::Database`]; `main.rs` only handles arguments and I/O.

pub mod external;
pub mod render;
pub mod repl;
pub mod testing;

use kql_common::Diagnostic;
use kql_eval::{Database, EvalContext, Table};
use kql_io::LoadedTable;
use kql_planner::LogicalPlan;

/// Loaded tables plus the settings that shape how queries run.
pub struct Session {
    pub db: Database,
    /// `now()` for every query, or `None` for the wall clock.
    pub now: Option<i64>,
    /// Where `externaldata` finds the files of http(s) URLs.
    pub external_data: Option<std::path::PathBuf>,
    /// The folder that relative `externaldata` paths start from (the
    /// current folder when `None`).
    pub base_dir: Option<std::path::PathBuf>,
    /// Set (e.g. by a Ctrl-C handler) to stop the running query.
    pub cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The memory budget of each query in bytes (`--max-memory`): a query
    /// that allocates more stops with `kql::eval::memory_limit`. Counted
    /// only where `kql_common::memory::CountingAllocator` is the global
    /// allocator (the `kql` command).
    pub max_memory: Option<u64>,
    /// Warnings from planning the last query (see [`Session::take_warnings`]).
    warnings: std::cell::RefCell<Vec<Diagnostic>>,
}

/// Where a failure happened, for the exit code and the report.
#[derive(Debug)]
pub struct QueryError {
    pub diagnostics: Vec<Diagnostic>,
}

impl Session {
    /// A session over the given tables.
    pub fn new(tables: Vec<LoadedTable>) -> Self {
        let mut db = Database::new();
        for t in tables {
            db.insert(
                t.name,
                Table {
                    schema: t.schema,
                    batches: t.batches,
                },
            );
        }
        Session {
            db,
            now: None,
            external_data: None,
            base_dir: None,
            warnings: Default::default(),
            cancel: Default::default(),
            max_memory: None,
        }
    }

    /// A session over opened tables, each read when a query first uses it.
    /// With `keep_loaded`, a table read once stays in memory (for the
    /// prompt and test runs); otherwise each query reads just the columns it
    /// needs (for one-shot runs over large exports).
    pub fn from_handles(handles: Vec<kql_io::TableHandle>, keep_loaded: bool) -> Self {
        let mut db = Database::new();
        db.keep_loaded = keep_loaded;
        for h in handles {
            let name = h.name.clone();
            let schema = h.schema.clone();
            let handle = std::sync::Arc::new(h);
            let streamed = handle.clone();
            let by_position = handle.reads_rows_at().then(|| handle.clone());
            let tests_rows = handle.runs_row_tests();
            let table_name = name.clone();
            db.insert_streaming(
                name,
                schema,
                std::sync::Arc::new(move |projection: Option<&[usize]>, predicates: &[_]| {
                    handle.load_filtered(projection, predicates).map(|t| Table {
                        schema: t.schema,
                        batches: t.batches,
                    })
                }),
                std::sync::Arc::new(
                    move |projection: Option<&[usize]>,
                          predicates: &[_],
                          options: &kql_eval::ScanOptions| {
                        let read =
                            |projection: Option<&[usize]>, test: Option<&kql_io::RowTest>| {
                                streamed
                                    .stream_filtered(
                                        projection,
                                        predicates,
                                        kql_io::StreamOptions {
                                            encoded: options.encoded,
                                            test,
                                            first_rows: options.first_rows,
                                        },
                                    )
                                    .map(|t| kql_eval::BatchStream {
                                        schema: t.schema,
                                        batches: Box::new(
                                            t.batches
                                                .map(|b| b.map_err(kql_eval::first_diagnostic)),
                                        ),
                                    })
                            };
                        match &options.test {
                            None => read(projection, None),
                            // Parquet runs the test while decoding; other
                            // files are tested after reading.
                            Some(t) if streamed.runs_row_tests() => {
                                let test = t.test.clone();
                                let io_test = kql_io::RowTest {
                                    columns: t.columns.clone(),
                                    test: std::sync::Arc::new(
                                        move |b: &arrow::record_batch::RecordBatch| {
                                            test(b).map_err(|d| vec![d])
                                        },
                                    ),
                                };
                                read(projection, Some(&io_test))
                            }
                            Some(t) => t.after(projection, |p| read(p, None)),
                        }
                    },
                ),
            );
            if tests_rows {
                db.set_runs_row_tests(&table_name);
            }
            if let Some(h) = by_position {
                let finder = h.clone();
                db.set_top_finder(
                    &table_name,
                    std::sync::Arc::new(move |column, k, descending| {
                        finder.top_positions(column, k, descending)
                    }),
                );
                db.set_row_reader(
                    &table_name,
                    std::sync::Arc::new(move |projection: &[usize], positions: &[u64]| {
                        match h.rows_at(projection, positions) {
                            Some(r) => r.map(|t| Table {
                                schema: t.schema,
                                batches: t.batches,
                            }),
                            None => Err(vec![kql_eval::error::internal(
                                "rows by position from a source that cannot read them",
                            )]),
                        }
                    }),
                );
            }
        }
        Session {
            db,
            now: None,
            external_data: None,
            base_dir: None,
            warnings: Default::default(),
            cancel: Default::default(),
            max_memory: None,
        }
    }

    /// A session over the sample tables built into the binary (read when
    /// first used).
    pub fn bundled() -> Result<Self, Vec<Diagnostic>> {
        Ok(Session::from_handles(kql_io::bundled_handles()?, true))
    }

    /// Reads a whole table (from memory, or from its file the first time).
    pub fn table(&self, name: &str) -> Result<Table, Vec<Diagnostic>> {
        use kql_eval::TableSource;
        self.db.table(name, None, &[])
    }

    /// Parses and plans a query without running it.
    pub fn plan(&self, text: &str) -> Result<Vec<LogicalPlan>, Vec<Diagnostic>> {
        Ok(self.plan_with_now(text)?.0)
    }

    /// Plans a query; also returns `now()` as pinned by `set query_now`.
    fn plan_with_now(
        &self,
        text: &str,
    ) -> Result<(Vec<LogicalPlan>, Option<i64>), Vec<Diagnostic>> {
        let ast = kql_parser::parse(text)?;
        let catalog = PlanCatalog {
            db: &self.db,
            ctx: std::cell::RefCell::new(self.context()),
            external: self.external_data.as_deref(),
            base: self.base_dir.as_deref(),
        };
        let planned = kql_planner::plan_query(&ast, &catalog)?;
        *self.warnings.borrow_mut() = planned.warnings;
        let plans = planned
            .results
            .into_iter()
            .map(kql_planner::optimize::optimize)
            .collect();
        Ok((plans, planned.query_now))
    }

    fn context(&self) -> EvalContext {
        match self.now {
            Some(now) => EvalContext::at(now),
            None => EvalContext::at_current_time(),
        }
        .with_cancel(self.cancel.clone())
    }

    /// The warnings of the last planned query (a `render` that draws no
    /// chart, a cloud-only function's stand-in), emptying the list.
    pub fn take_warnings(&self) -> Vec<Diagnostic> {
        std::mem::take(&mut *self.warnings.borrow_mut())
    }

    /// Runs a query and returns one table per tabular statement.
    ///
    /// A panic inside any stage is a bug; it is caught here and reported as
    /// a `kql::eval::internal` diagnostic instead of ending the process.
    pub fn run(&self, text: &str) -> Result<Vec<Table>, Vec<Diagnostic>> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_inner(text))) {
            Ok(r) => r,
            Err(payload) => {
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_string());
                Err(vec![Diagnostic::error(
                    "kql::eval::internal",
                    format!("internal error: {what}"),
                )
                .with_help(
                    "this is a bug in kql; please report it with the query",
                )])
            }
        }
    }

    fn run_inner(&self, text: &str) -> Result<Vec<Table>, Vec<Diagnostic>> {
        // Planning runs subqueries, so the budget starts before it.
        let _budget = self.max_memory.map(kql_common::memory::enter);
        let (plans, query_now) = self.plan_with_now(text)?;
        self.cancel
            .store(false, std::sync::atomic::Ordering::Relaxed);
        let ctx = match query_now {
            Some(now) => EvalContext::at(now).with_cancel(self.cancel.clone()),
            None => self.context(),
        };
        plans
            .iter()
            .map(|p| kql_eval::execute(p, &self.db, &ctx).map_err(|d| vec![d]))
            .collect()
    }
}

/// The tables as the planner sees them, plus what it needs to run while
/// planning: subqueries (`toscalar`, `in (T | ...)`) and `externaldata`.
struct PlanCatalog<'a> {
    db: &'a Database,
    /// The context subqueries run in (`set query_now` changes its `now`).
    ctx: std::cell::RefCell<EvalContext>,
    external: Option<&'a std::path::Path>,
    base: Option<&'a std::path::Path>,
}

impl kql_planner::Catalog for PlanCatalog<'_> {
    fn table_schema(&self, name: &str) -> Option<kql_planner::Schema> {
        self.db.table_schema(name)
    }

    fn table_names(&self) -> Vec<String> {
        self.db.table_names()
    }

    fn column_values(
        &self,
        plan: &LogicalPlan,
    ) -> Option<Result<Vec<kql_common::ScalarValue>, Diagnostic>> {
        let plan = kql_planner::optimize::optimize(plan.clone());
        let ty = plan
            .schema()
            .columns
            .first()
            .map_or(kql_common::KqlType::Dynamic, |c| c.ty);
        let ctx = self.ctx.borrow().clone();
        Some(kql_eval::execute(&plan, self.db, &ctx).map(|t| {
            let mut out = Vec::with_capacity(t.num_rows());
            for b in &t.batches {
                if let Some(col) = b.columns().first() {
                    for i in 0..b.num_rows() {
                        out.push(kql_eval::value::array_value(col.as_ref(), ty, i));
                    }
                }
            }
            out
        }))
    }

    fn set_query_now(&self, now: i64) {
        self.ctx.borrow_mut().now = now;
    }

    fn external_data(
        &self,
        url: &str,
        props: &[(String, String)],
        schema: &kql_planner::Schema,
    ) -> Option<Result<Vec<Vec<kql_common::ScalarValue>>, Diagnostic>> {
        Some(external::read(url, props, schema, self.external, self.base))
    }
}
