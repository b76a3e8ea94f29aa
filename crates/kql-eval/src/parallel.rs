//! Runs per-batch work on all cores, keeping results in input order.
//!
//! Operators whose batches are independent (filters, projections, the
//! partial states of an aggregation, the candidates of `top`) hand their
//! batches to [`map`], which runs them on scoped threads that take the next
//! batch as they finish one; results come back in batch order, so the
//! output is the same as running them one after another.

use crate::EvalContext;
use arrow::record_batch::RecordBatch;

/// Rows per unit of parallel work: large batches are sliced (without
/// copying) into pieces of this size so both cores get work.
pub const MORSEL_ROWS: usize = 65_536;

/// Less than this many rows in all are processed on the calling thread:
/// starting threads would cost more than it saves.
const MIN_PARALLEL_ROWS: usize = 16_384;

/// Worker threads to use for a query: `ctx.threads` when set, else the
/// number of cores (or `KQL_THREADS` when set).
pub fn threads(ctx: &EvalContext) -> usize {
    if ctx.threads > 0 {
        return ctx.threads;
    }
    static AUTO: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *AUTO.get_or_init(|| {
        std::env::var("KQL_THREADS")
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    })
}

/// Whether work over `rows` rows in `units` pieces is worth spreading.
pub fn worth_it(ctx: &EvalContext, units: usize, rows: usize) -> bool {
    threads(ctx) > 1 && units > 1 && rows >= MIN_PARALLEL_ROWS
}

/// `f(0), f(1), ..., f(n - 1)`, computed on up to `threads(ctx)` threads
/// (on the calling thread alone when `parallel` is false), in index order.
pub fn map<R: Send>(
    ctx: &EvalContext,
    n: usize,
    parallel: bool,
    f: impl Fn(usize) -> R + Sync,
) -> Vec<R> {
    let workers = threads(ctx).min(n);
    if !parallel || workers <= 1 {
        return (0..n).map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if i >= n {
                break;
            }
            done.push((i, f(i)));
        }
        done
    };
    let mut parts: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..workers).map(|_| s.spawn(work)).collect();
        let mut all = work();
        for h in handles {
            match h.join() {
                Ok(part) => all.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    parts.sort_unstable_by_key(|(i, _)| *i);
    parts.into_iter().map(|(_, r)| r).collect()
}

/// The batches cut into pieces of at most [`MORSEL_ROWS`] rows (slices
/// share the batches' buffers), in order; empty batches are dropped.
pub fn morsels(batches: &[RecordBatch]) -> Vec<RecordBatch> {
    let mut out = Vec::with_capacity(batches.len());
    for b in batches {
        let n = b.num_rows();
        if n <= MORSEL_ROWS {
            if n > 0 {
                out.push(b.clone());
            }
            continue;
        }
        let mut at = 0;
        while at < n {
            let len = MORSEL_ROWS.min(n - at);
            out.push(b.slice(at, len));
            at += len;
        }
    }
    out
}

/// Splits `0..n` items of the given sizes into at most `parts` contiguous
/// ranges of about equal total size (for work that must see its items in
/// order, such as partial aggregation).
pub fn ranges(sizes: &[usize], parts: usize) -> Vec<std::ops::Range<usize>> {
    let total: usize = sizes.iter().sum();
    let parts = parts.max(1).min(sizes.len().max(1));
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    let mut acc = 0;
    for (i, &s) in sizes.iter().enumerate() {
        acc += s;
        let k = out.len() + 1;
        // Close the range once it holds its share of the rows.
        if k < parts && acc * parts >= total * k {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < sizes.len() || out.is_empty() {
        out.push(start..sizes.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_index_order() {
        let ctx = EvalContext {
            threads: 4,
            ..EvalContext::default()
        };
        let out = map(&ctx, 100, true, |i| i * 2);
        assert_eq!(out, (0..100).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(map(&ctx, 0, true, |i| i), Vec::<usize>::new());
    }

    #[test]
    fn ranges_are_contiguous_and_balanced() {
        assert_eq!(ranges(&[10, 10, 10, 10], 2), vec![0..2, 2..4]);
        assert_eq!(ranges(&[30, 5, 5], 2), vec![0..1, 1..3]);
        assert_eq!(ranges(&[5], 4), vec![0..1]);
        assert_eq!(ranges(&[], 2), vec![0..0]);
        let r = ranges(&[1; 10], 3);
        assert_eq!(r.len(), 3);
        assert_eq!(r.first().map(|r| r.start), Some(0));
        assert_eq!(r.last().map(|r| r.end), Some(10));
        assert!(r.windows(2).all(|w| w[0].end == w[1].start));
    }
}
