//! What the evaluator's tests share: a table source holding one table as
//! batches, streamed as they are (dictionary-encoded columns included) and
//! read whole as plain batches, counting the batches streams hand out; and
//! a small deterministic random generator.

// Each test target uses its own part of this module.
#![allow(dead_code)]

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use kql_common::{Diagnostic, ScanPredicate};
use kql_eval::{dict, BatchStream, Table, TableSource};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// One table's batches.
pub struct Batches {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    /// Batches handed out by streams so far.
    pub pulled: Arc<AtomicUsize>,
}

impl Batches {
    pub fn new(schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        Batches {
            schema,
            batches,
            pulled: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The rows of `all` in batches of the given sizes, cycled.
    pub fn cut(
        all: &RecordBatch,
        sizes: &[usize],
        mut each: impl FnMut(RecordBatch) -> RecordBatch,
    ) -> Self {
        let n = all.num_rows();
        let mut out = Vec::new();
        let (mut at, mut k) = (0, 0);
        while at < n {
            let len = sizes[k % sizes.len()].min(n - at);
            out.push(each(all.slice(at, len)));
            at += len;
            k += 1;
        }
        Batches::new(all.schema(), out)
    }

    fn schema_of(&self, projection: Option<&[usize]>) -> SchemaRef {
        match projection {
            None => self.schema.clone(),
            Some(cols) => Arc::new(self.schema.project(cols).expect("project")),
        }
    }
}

fn project(b: &RecordBatch, projection: Option<&[usize]>) -> RecordBatch {
    match projection {
        None => b.clone(),
        Some(cols) => b.project(cols).expect("project"),
    }
}

impl TableSource for Batches {
    fn table(
        &self,
        _: &str,
        projection: Option<&[usize]>,
        _: &[ScanPredicate],
    ) -> Result<Table, Vec<Diagnostic>> {
        let batches = self
            .batches
            .iter()
            .map(|b| dict::plain_batch(&project(b, projection)).expect("plain"))
            .collect();
        Ok(Table {
            schema: self.schema_of(projection),
            batches,
        })
    }

    fn stream(
        &self,
        _: &str,
        projection: Option<&[usize]>,
        _: &[ScanPredicate],
    ) -> Result<BatchStream, Vec<Diagnostic>> {
        let projected: Vec<RecordBatch> = self
            .batches
            .iter()
            .map(|b| project(b, projection))
            .collect();
        let pulled = self.pulled.clone();
        Ok(BatchStream {
            schema: self.schema_of(projection),
            batches: Box::new(projected.into_iter().map(move |b| {
                pulled.fetch_add(1, Ordering::Relaxed);
                Ok(b)
            })),
        })
    }
}

/// A small deterministic generator (xorshift).
pub struct Rng(pub u64);

impl Rng {
    /// The next number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}
