//! Pipelines of per-batch steps over a stream of batches.
//!
//! A [`Pipeline`] pulls batches from its input (a table source's
//! [`crate::BatchStream`], another pipeline, or a table already computed) a
//! window at a time, cuts them into morsels of at most
//! [`parallel::MORSEL_ROWS`] rows, and runs its stateless steps (filters,
//! projections) over the window's morsels with [`parallel::map`], which
//! keeps their order. Only a window of batches is held at once, so an
//! operator that consumes the pipeline batch by batch (`summarize`, `top`,
//! `take`) needs memory for its own state and one window, not the table;
//! and a pipeline with a row limit stops pulling once it has the rows.
//! The batches it yields are the ones the same steps would produce over
//! the whole input at once.
//!
//! A source may hand string columns over dictionary-encoded
//! (`crate::dict`). A pipeline yields them so only to a consumer that
//! asked for it ([`Pipeline::keep_encoded`]); every other consumer gets
//! plain batches.

use crate::error::EvalResult;
use crate::{dict, parallel, EvalContext, Table};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use std::collections::VecDeque;

/// One stateless step: a batch in, the batch it becomes out (`None` when
/// no row is left).
pub(crate) type Step<'a> = Box<dyn Fn(&RecordBatch) -> EvalResult<Option<RecordBatch>> + Sync + 'a>;

/// The batches a pipeline reads.
pub(crate) type Input<'a> = Box<dyn Iterator<Item = EvalResult<RecordBatch>> + 'a>;

/// Morsels per window and worker thread.
const WINDOW_PER_THREAD: usize = 2;

/// Batches flowing from an input through stateless steps, optionally
/// stopping after a number of rows.
pub(crate) struct Pipeline<'a> {
    /// The schema of the batches the pipeline yields.
    pub(crate) schema: SchemaRef,
    input: Input<'a>,
    /// A batch of the input not yet cut into morsels entirely.
    pending: Option<RecordBatch>,
    steps: Vec<Step<'a>>,
    /// Rows still to yield, when limited.
    remaining: Option<usize>,
    /// Morsels the next limited window pulls (grows up to the full window,
    /// so a small limit reads little).
    limited_window: usize,
    ctx: &'a EvalContext,
    out: VecDeque<RecordBatch>,
    exhausted: bool,
    /// Yield dictionary-encoded columns as they are.
    keep_encoded: bool,
}

impl<'a> Pipeline<'a> {
    /// A pipeline over `input`, whose batches have schema `schema`.
    pub(crate) fn new(schema: SchemaRef, input: Input<'a>, ctx: &'a EvalContext) -> Self {
        Pipeline {
            schema,
            input,
            pending: None,
            steps: Vec::new(),
            remaining: None,
            limited_window: 1,
            ctx,
            out: VecDeque::new(),
            exhausted: false,
            keep_encoded: false,
        }
    }

    /// Yields dictionary-encoded string columns as the source or the steps
    /// produce them, for a consumer that works on them (see `crate::dict`).
    pub(crate) fn keep_encoded(mut self) -> Self {
        self.keep_encoded = true;
        self
    }

    /// A pipeline over a table already in memory.
    pub(crate) fn from_table(t: Table, ctx: &'a EvalContext) -> Self {
        Pipeline::new(t.schema, Box::new(t.batches.into_iter().map(Ok)), ctx)
    }

    /// Adds a step whose output batches have schema `schema`. After a row
    /// limit, the limited pipeline becomes the input of a new one (the
    /// step must see only the rows the limit keeps).
    pub(crate) fn then(self, schema: SchemaRef, step: Step<'a>) -> Self {
        let mut p = if self.remaining.is_some() {
            let ctx = self.ctx;
            let keep_encoded = self.keep_encoded;
            let mut inner = self;
            inner.keep_encoded = true;
            let mut outer = Pipeline::new(inner.schema.clone(), Box::new(inner), ctx);
            outer.keep_encoded = keep_encoded;
            outer
        } else {
            self
        };
        p.schema = schema;
        p.steps.push(step);
        p
    }

    /// Stops after `n` rows (or fewer, if already limited to fewer).
    pub(crate) fn limit(mut self, n: usize) -> Self {
        self.remaining = Some(self.remaining.map_or(n, |r| r.min(n)));
        self
    }

    /// Whether the pipeline runs steps of its own (its batches are then
    /// morsels; without steps, the input's batches pass unchanged).
    fn has_steps(&self) -> bool {
        !self.steps.is_empty()
    }

    /// The next morsel of the input (`None` at its end).
    fn next_morsel(&mut self) -> EvalResult<Option<RecordBatch>> {
        loop {
            if let Some(b) = self.pending.take() {
                let n = b.num_rows();
                if !self.has_steps() {
                    return Ok(Some(b));
                }
                if n > parallel::MORSEL_ROWS {
                    self.pending = Some(b.slice(parallel::MORSEL_ROWS, n - parallel::MORSEL_ROWS));
                    return Ok(Some(b.slice(0, parallel::MORSEL_ROWS)));
                }
                if n > 0 {
                    return Ok(Some(b));
                }
            }
            match self.input.next() {
                None => return Ok(None),
                Some(b) => self.pending = Some(b?),
            }
        }
    }

    /// Runs the next window of the input through the steps, in order, and
    /// returns what comes out (possibly nothing); `None` once the input
    /// (or the row limit) is exhausted.
    pub(crate) fn next_window(&mut self) -> EvalResult<Option<Vec<RecordBatch>>> {
        if self.exhausted || self.remaining == Some(0) {
            self.exhausted = true;
            return Ok(None);
        }
        self.ctx.check_cancelled()?;
        let full = WINDOW_PER_THREAD * parallel::threads(self.ctx).max(1);
        let size = if self.remaining.is_some() {
            let s = self.limited_window.min(full);
            self.limited_window = (s * 2).min(full);
            s
        } else {
            full
        };
        let mut window = Vec::with_capacity(size);
        while window.len() < size {
            match self.next_morsel()? {
                Some(b) => window.push(b),
                None => {
                    self.exhausted = true;
                    break;
                }
            }
        }
        if window.is_empty() {
            return Ok(None);
        }
        let keep_encoded = self.keep_encoded;
        let mut out = if self.steps.is_empty()
            && (keep_encoded || !window.iter().any(dict::has_dictionary))
        {
            window
        } else {
            let rows = window.iter().map(RecordBatch::num_rows).sum();
            let par = parallel::worth_it(self.ctx, window.len(), rows);
            let steps = &self.steps;
            let done = parallel::map(self.ctx, window.len(), par, |i| {
                // The steps take encoded columns as they come.
                let mut b = Some(window[i].clone());
                for step in steps {
                    b = match b {
                        Some(x) => step(&x)?,
                        None => break,
                    };
                }
                match b {
                    Some(x) if !keep_encoded => Ok(Some(dict::plain_batch(&x)?)),
                    b => Ok(b),
                }
            });
            let mut out = Vec::with_capacity(done.len());
            for b in done {
                out.extend(b?);
            }
            out
        };
        if let Some(remaining) = &mut self.remaining {
            let mut kept = Vec::with_capacity(out.len());
            for b in out {
                if *remaining == 0 {
                    break;
                }
                let take = (*remaining).min(b.num_rows());
                kept.push(if take == b.num_rows() {
                    b
                } else {
                    b.slice(0, take)
                });
                *remaining -= take;
            }
            out = kept;
            if *remaining == 0 {
                self.exhausted = true;
            }
        }
        Ok(Some(out))
    }

    /// Reads the whole pipeline into a table.
    pub(crate) fn collect(mut self) -> EvalResult<Table> {
        let mut batches: Vec<RecordBatch> = self.out.drain(..).collect();
        while let Some(w) = self.next_window()? {
            batches.extend(w);
        }
        Ok(Table {
            schema: self.schema,
            batches,
        })
    }
}

impl Iterator for Pipeline<'_> {
    type Item = EvalResult<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(b) = self.out.pop_front() {
                return Some(Ok(b));
            }
            match self.next_window() {
                Ok(Some(w)) => self.out.extend(w),
                Ok(None) => return None,
                Err(e) => {
                    self.exhausted = true;
                    return Some(Err(e));
                }
            }
        }
    }
}
