//! Executes KQL logical plans column-at-a-time over Arrow record batches.
//!
//! Every operator works on whole `RecordBatch`es: filters evaluate their
//! predicate into one boolean array and apply it with Arrow's filter kernel,
//! projections build each output column with one kernel call, sorting and
//! grouping use Arrow's sort and row-format kernels.

pub mod aggregate;
pub mod cast;
pub mod error;
pub mod exec;
pub mod expr;
pub mod functions;
pub mod join;
pub mod mv_expand;
pub mod parse;
pub mod strings;
pub mod union;
pub mod value;
pub mod window;

use arrow::datatypes::{Schema as ArrowSchema, SchemaRef};
use arrow::record_batch::RecordBatch;
use kql_common::KqlType;
use kql_planner::{Catalog, Column, Schema};
use std::collections::BTreeMap;
use std::sync::Arc;

pub use exec::execute;

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
        Schema::new(
            self.schema
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
}

/// Where `Scan` nodes read their tables from.
pub trait TableSource {
    fn table(&self, name: &str) -> Option<Table>;
}

/// Settings that hold for one whole query.
#[derive(Clone, Debug)]
pub struct EvalContext {
    /// The value of `now()`, in ticks since the Unix epoch.
    pub now: i64,
}

impl EvalContext {
    /// A context whose `now()` is the current time.
    pub fn at_current_time() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| (d.as_nanos() / 100) as i64)
            .unwrap_or(0);
        EvalContext { now }
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

/// An in-memory set of named tables: the catalog for planning and the
/// source for execution.
#[derive(Clone, Debug, Default)]
pub struct Database {
    tables: BTreeMap<String, Table>,
}

impl Database {
    pub fn new() -> Self {
        Database::default()
    }

    /// Adds or replaces a table.
    pub fn insert(&mut self, name: impl Into<String>, table: Table) {
        self.tables.insert(name.into(), table);
    }

    pub fn get(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// Tables in name order.
    pub fn tables(&self) -> impl Iterator<Item = (&String, &Table)> {
        self.tables.iter()
    }
}

impl Catalog for Database {
    fn table_schema(&self, name: &str) -> Option<Schema> {
        self.tables.get(name).map(Table::kql_schema)
    }

    fn table_names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }
}

impl TableSource for Database {
    fn table(&self, name: &str) -> Option<Table> {
        self.tables.get(name).cloned()
    }
}
