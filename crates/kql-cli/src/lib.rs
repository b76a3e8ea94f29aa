//! The `kql` command: runs KQL queries over local tables, once or at a
//! prompt, and renders results and diagnostics for people.
//!
//! [`Session`] ties the stages together (parse → plan → execute) over a
//! [`kql_eval::Database`]; `main.rs` only handles arguments and I/O.

pub mod render;
pub mod repl;

use kql_common::Diagnostic;
use kql_eval::{Database, EvalContext, Table};
use kql_io::LoadedTable;
use kql_planner::LogicalPlan;

/// Loaded tables plus the settings that shape how queries run.
pub struct Session {
    pub db: Database,
    /// `now()` for every query, or `None` for the wall clock.
    pub now: Option<i64>,
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
            warnings: Default::default(),
        }
    }

    /// A session over the sample tables built into the binary.
    pub fn bundled() -> Result<Self, Vec<Diagnostic>> {
        Ok(Session::new(kql_io::bundled_tables()?))
    }

    /// Parses and plans a query without running it.
    pub fn plan(&self, text: &str) -> Result<Vec<LogicalPlan>, Vec<Diagnostic>> {
        let ast = kql_parser::parse(text)?;
        let planned = kql_planner::plan_query(&ast, &self.db)?;
        *self.warnings.borrow_mut() = planned.warnings;
        Ok(planned
            .results
            .into_iter()
            .map(kql_planner::optimize::optimize)
            .collect())
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
        let plans = self.plan(text)?;
        let ctx = match self.now {
            Some(now) => EvalContext { now },
            None => EvalContext::at_current_time(),
        };
        plans
            .iter()
            .map(|p| kql_eval::execute(p, &self.db, &ctx).map_err(|d| vec![d]))
            .collect()
    }
}
