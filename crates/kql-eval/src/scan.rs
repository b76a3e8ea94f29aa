//! What a scan may ask of a table source beyond columns and predicates:
//! string columns left dictionary-encoded, and a test of rows to run while
//! reading, so a source that decodes column by column (Parquet) decodes the
//! other columns only for the rows that pass.

use crate::error::{internal, EvalResult};
use crate::BatchStream;
use arrow::array::{ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions};
use arrow::buffer::BooleanBuffer;
use kql_common::Diagnostic;
use std::sync::Arc;

/// How a scan lets a table source hand its rows over.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// String columns may come dictionary-encoded where the source stores
    /// them so (see [`crate::dict`]).
    pub encoded: bool,
    /// Only the rows that pass this test are wanted.
    pub test: Option<RowTest>,
    /// The reader may stop after the first rows (a limit above): read as
    /// the rows are asked for, not ahead on every core.
    pub first_rows: bool,
}

/// Which rows of a batch holding some columns of a table pass.
pub type TestFn = dyn Fn(&RecordBatch) -> EvalResult<BooleanBuffer> + Send + Sync;

/// A test of a table's rows on some of its columns.
#[derive(Clone)]
pub struct RowTest {
    /// The table columns the test reads (indices into the table's schema),
    /// in the order the batch given to `test` holds them.
    pub columns: Vec<usize>,
    /// Which rows of a batch holding `columns` (named as the table's
    /// fields, string columns possibly dictionary-encoded) pass.
    pub test: Arc<TestFn>,
}

impl std::fmt::Debug for RowTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowTest")
            .field("columns", &self.columns)
            .finish()
    }
}

impl RowTest {
    /// The rows of `b` that pass, where `b` holds the test's columns at
    /// `positions` (in the test's order); `None` when no row does.
    pub fn keep(&self, b: &RecordBatch, positions: &[usize]) -> EvalResult<Option<RecordBatch>> {
        let schema = b.schema();
        let fields: Vec<_> = positions.iter().map(|&p| schema.field(p).clone()).collect();
        let columns: Vec<ArrayRef> = positions.iter().map(|&p| b.column(p).clone()).collect();
        let tested = RecordBatch::try_new_with_options(
            Arc::new(arrow::datatypes::Schema::new(fields)),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(b.num_rows())),
        )
        .map_err(|e| internal(e.to_string()))?;
        let pass = (self.test)(&tested)?;
        let n = pass.count_set_bits();
        if n == 0 {
            return Ok(None);
        }
        if n == b.num_rows() {
            return Ok(Some(b.clone()));
        }
        arrow::compute::filter_record_batch(b, &BooleanArray::new(pass, None))
            .map(Some)
            .map_err(|e| internal(e.to_string()))
    }

    /// The rows of a table's stream that pass, for a source that cannot
    /// run the test while reading: `read` reads the table's columns
    /// `projection` (all without one) as a stream; the test's columns are
    /// read along and dropped after the test.
    pub fn after(
        &self,
        projection: Option<&[usize]>,
        read: impl FnOnce(Option<&[usize]>) -> Result<BatchStream, Vec<Diagnostic>>,
    ) -> Result<BatchStream, Vec<Diagnostic>> {
        let (read_cols, positions, keep) = match projection {
            None => (None, self.columns.clone(), None),
            Some(p) => {
                let mut cols = p.to_vec();
                let positions = self
                    .columns
                    .iter()
                    .map(|c| match cols.iter().position(|x| x == c) {
                        Some(at) => at,
                        None => {
                            cols.push(*c);
                            cols.len() - 1
                        }
                    })
                    .collect();
                (Some(cols), positions, Some(p.len()))
            }
        };
        let stream = read(read_cols.as_deref())?;
        let schema = match keep {
            Some(n) => Arc::new(
                stream
                    .schema
                    .project(&(0..n).collect::<Vec<_>>())
                    .map_err(|e| vec![internal(e.to_string())])?,
            ),
            None => stream.schema.clone(),
        };
        let test = self.clone();
        let batches = stream.batches.filter_map(move |b| {
            let kept = b.and_then(|b| test.keep(&b, &positions));
            match kept {
                Ok(None) => None,
                Ok(Some(b)) => Some(match keep {
                    Some(n) => b
                        .project(&(0..n).collect::<Vec<_>>())
                        .map_err(|e| internal(e.to_string())),
                    None => Ok(b),
                }),
                Err(e) => Some(Err(e)),
            }
        });
        Ok(BatchStream {
            schema,
            batches: Box::new(batches),
        })
    }
}
