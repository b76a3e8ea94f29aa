//! Memory accounting: a counting global allocator and per-query memory budgets.
//!
//! [`CountingAllocator`] wraps the system allocator and keeps the bytes
//! currently allocated and their high-water mark in atomics; a program
//! installs it with `#[global_allocator]` (the `kql` command does). Without
//! it nothing is counted and every budget check passes.
//!
//! A query runs under a [`BudgetGuard`] ([`enter`]): from then on, the bytes
//! allocated beyond what the process held when it started are the query's
//! usage. The evaluator and the readers call [`check`] at their batch
//! boundaries (where they also check for cancellation), and [`reserve`]
//! before reading something whose size they know; both fail with
//! `kql::eval::memory_limit` once the usage (or the usage the read would
//! add) passes the budget, so the query stops with a diagnostic instead of
//! being killed by the operating system. The usage is the process's: queries
//! running at the same time in one process (`kql test` jobs) count each
//! other's allocations. Memory-mapped files (cached CSV columns, Arrow IPC
//! files) are not allocations and do not count.

use crate::Diagnostic;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

/// The code of the diagnostic a query over its budget fails with.
pub const MEMORY_LIMIT: &str = "kql::eval::memory_limit";

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting the bytes it hands out.
pub struct CountingAllocator;

fn grew(n: usize) {
    let now = ALLOCATED.fetch_add(n, Relaxed).wrapping_add(n);
    if now > PEAK.load(Relaxed) {
        PEAK.fetch_max(now, Relaxed);
    }
}

fn shrank(n: usize) {
    ALLOCATED.fetch_sub(n, Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counters only observe sizes.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            let old = layout.size();
            if new_size >= old {
                grew(new_size - old);
            } else {
                shrank(old - new_size);
            }
        }
        p
    }
}

/// Bytes allocated now (0 when [`CountingAllocator`] is not installed).
pub fn allocated() -> usize {
    ALLOCATED.load(Relaxed)
}

/// The most bytes allocated at once since the process started or the
/// last [`enter`].
pub fn peak() -> usize {
    PEAK.load(Relaxed).max(allocated())
}

/// A running query's budget.
struct Active {
    id: u64,
    /// Bytes allocated when the query started.
    base: usize,
    limit: usize,
}

static ACTIVE: Mutex<Vec<Active>> = Mutex::new(Vec::new());
/// The allocation count at which the tightest active budget is passed
/// (`usize::MAX` when no query has one), so that [`check`] costs two atomic
/// loads.
static TRIP_AT: AtomicUsize = AtomicUsize::new(usize::MAX);
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn active() -> std::sync::MutexGuard<'static, Vec<Active>> {
    ACTIVE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn retrip(list: &[Active]) {
    let at = list
        .iter()
        .map(|a| a.base.saturating_add(a.limit))
        .min()
        .unwrap_or(usize::MAX);
    TRIP_AT.store(at, Relaxed);
}

/// Ends a query's budget when dropped.
#[must_use = "the budget holds only while the guard lives"]
pub struct BudgetGuard {
    id: u64,
}

impl Drop for BudgetGuard {
    fn drop(&mut self) {
        let mut list = active();
        list.retain(|a| a.id != self.id);
        retrip(&list);
    }
}

/// Starts a budget of `limit` bytes for the allocations from now on, until
/// the guard is dropped.
pub fn enter(limit: u64) -> BudgetGuard {
    let id = NEXT_ID.fetch_add(1, Relaxed);
    let base = allocated();
    // The high-water mark from here on is this query's.
    PEAK.store(base, Relaxed);
    let mut list = active();
    list.push(Active {
        id,
        base,
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
    });
    retrip(&list);
    BudgetGuard { id }
}

/// Fails with `kql::eval::memory_limit` when a running query has allocated
/// more than its budget since it started (at any moment, not only now).
pub fn check() -> Result<(), Diagnostic> {
    let trip = TRIP_AT.load(Relaxed);
    if trip == usize::MAX {
        return Ok(());
    }
    let high = peak();
    if high <= trip {
        return Ok(());
    }
    over(high, 0, None)
}

/// Fails with `kql::eval::memory_limit` when allocating `bytes` more (to
/// read `what`) would take a running query past its budget; call it before
/// reading data whose size is known.
pub fn reserve(bytes: u64, what: &str) -> Result<(), Diagnostic> {
    let trip = TRIP_AT.load(Relaxed);
    if trip == usize::MAX {
        return Ok(());
    }
    let bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
    if peak().saturating_add(bytes) <= trip {
        return Ok(());
    }
    over(allocated(), bytes, Some(what))
}

/// The diagnostic for the first active budget that `high + extra` bytes
/// allocated pass.
fn over(high: usize, extra: usize, what: Option<&str>) -> Result<(), Diagnostic> {
    let list = active();
    let Some(a) = list
        .iter()
        .find(|a| high.saturating_add(extra) > a.base.saturating_add(a.limit))
    else {
        return Ok(());
    };
    let used = high.saturating_sub(a.base);
    let message = match what {
        Some(what) => format!(
            "reading {what} needs about {} more memory, but the query already uses {} of its {} budget",
            format_size(extra as u64),
            format_size(used as u64),
            format_size(a.limit as u64)
        ),
        None => format!(
            "the query used {} of memory, more than its {} budget",
            format_size(used as u64),
            format_size(a.limit as u64)
        ),
    };
    Err(Diagnostic::error(MEMORY_LIMIT, message).with_help(
        "read less: project only the columns you need and filter right after the table; or raise the budget with --max-memory (or KQL_MAX_MEMORY)",
    ))
}

/// A byte count for people: `512 B`, `1.5 KiB`, `612.3 MiB`, `2.0 GiB`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Parses a memory size: a number (decimals allowed) and an optional unit.
/// `B` or none: bytes; `K`, `M`, `G`, `T` and `KiB`, `MiB`, `GiB`, `TiB`:
/// powers of 1024; `KB`, `MB`, `GB`, `TB`: powers of 1000. Units ignore
/// case and may follow a space: `512MB`, `2GiB`, `1.5G`, `800 m`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit = unit.trim();
    let example = "write a number and a unit, like 512MB, 2GiB or 1.5G";
    if number.is_empty() || number == "." {
        return Err(format!("`{text}` is not a memory size: {example}"));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a memory size: {example}"))?;
    let multiplier: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        _ => {
            return Err(format!(
                "`{text}` has an unknown unit `{unit}`: use B, K/KiB, M/MiB, G/GiB, T/TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000)"
            ))
        }
    };
    let bytes = (value * multiplier).floor();
    if bytes < 1.0 {
        return Err(format!(
            "`{text}` is less than one byte: a query needs some memory"
        ));
    }
    if bytes >= u64::MAX as f64 {
        return Err(format!("`{text}` is too large"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("512B"), Ok(512));
        assert_eq!(parse_size("512MB"), Ok(512_000_000));
        assert_eq!(parse_size("512mb"), Ok(512_000_000));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("2gib"), Ok(2 << 30));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("800 M"), Ok(800 << 20));
        assert_eq!(parse_size(" 64k "), Ok(64 << 10));
        assert_eq!(parse_size("1KB"), Ok(1000));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert_eq!(parse_size("0.5KiB"), Ok(512));
    }

    #[test]
    fn bad_sizes_say_what_is_wrong() {
        for (text, says) in [
            ("", "is not a memory size"),
            ("MB", "is not a memory size"),
            ("-5MB", "is not a memory size"),
            ("1.2.3G", "is not a memory size"),
            (".", "is not a memory size"),
            ("12XB", "unknown unit `XB`"),
            ("5 meg", "unknown unit `meg`"),
            ("0", "less than one byte"),
            ("0.1B", "less than one byte"),
            ("99999999999T", "too large"),
        ] {
            let err = parse_size(text).expect_err(text);
            assert!(err.contains(says), "{text}: {err}");
        }
        assert!(parse_size("12XB")
            .expect_err("unit")
            .contains("KB, MB, GB, TB"));
    }

    #[test]
    fn sizes_print_in_binary_units() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(512 << 20), "512.0 MiB");
        assert_eq!(format_size(3 << 29), "1.5 GiB");
    }

    /// Budgets are process-wide: the tests that set one run one at a time.
    static SERIAL: Mutex<()> = Mutex::new(());

    #[test]
    fn without_a_budget_every_check_passes() {
        let _serial = SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        assert!(allocated() > 0, "the test binary counts its allocations");
        let big = vec![1u8; 4 << 20];
        assert!(check().is_ok());
        assert!(reserve(u64::MAX, "everything").is_ok());
        drop(big);
    }

    #[test]
    fn a_budget_counts_what_was_allocated_since_it_started() {
        let _serial = SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Held before the budget starts: not the query's.
        let before = vec![1u8; 8 << 20];
        let guard = enter(2 << 20);
        assert!(check().is_ok());
        let small = vec![1u8; 1 << 20];
        assert!(check().is_ok());
        let err = reserve(4 << 20, "table T").expect_err("would pass the budget");
        assert_eq!(err.code, MEMORY_LIMIT);
        assert!(
            err.message.starts_with(
                "reading table T needs about 4.0 MiB more memory, but the query already uses 1."
            ) && err.message.ends_with("of its 2.0 MiB budget"),
            "{}",
            err.message
        );
        let big = vec![1u8; 3 << 20];
        let err = check().expect_err("over the budget");
        assert_eq!(err.code, MEMORY_LIMIT);
        assert!(
            err.message.starts_with("the query used 4.")
                && err
                    .message
                    .ends_with("of memory, more than its 2.0 MiB budget"),
            "{}",
            err.message
        );
        assert!(err
            .help
            .as_deref()
            .is_some_and(|h| h.contains("--max-memory")));
        // Freed again, the high-water mark still says the query went over.
        drop(big);
        assert!(check().is_err());
        drop(guard);
        assert!(check().is_ok());
        // A new budget starts from what is held now.
        let guard = enter(2 << 20);
        assert!(check().is_ok());
        drop(guard);
        drop((small, before));
    }
}
