//! Readers under a memory budget: they refuse what cannot fit, or stop
//! decoding once over it, with `kql::eval::memory_limit`.

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use kql_common::memory::{self, MEMORY_LIMIT};
use kql_common::{ScalarValue, ScanOp, ScanPredicate};
use std::path::PathBuf;
use std::sync::Arc;

// This test binary counts its allocations, as the `kql` command does.
#[global_allocator]
static COUNTING: memory::CountingAllocator = memory::CountingAllocator;

const ROWS: i64 = 200_000;

fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("kql-io-memory-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn write_parquet(path: &std::path::Path) {
    let names: StringArray = (0..ROWS)
        .map(|i| Some(format!("name-{i:08}-{}", "x".repeat((i % 40) as usize))))
        .collect();
    let sizes = Int64Array::from_iter_values(0..ROWS);
    let batch = RecordBatch::try_from_iter([
        ("Name", Arc::new(names) as ArrayRef),
        ("Size", Arc::new(sizes) as ArrayRef),
    ])
    .expect("batch");
    let file = std::fs::File::create(path).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    for start in (0..batch.num_rows()).step_by(20_000) {
        w.write(&batch.slice(start, 20_000)).expect("write");
    }
    w.close().expect("close");
}

#[test]
fn readers_stop_at_the_budget() {
    let dir = temp_dir();
    let pq = dir.join("Files.parquet");
    write_parquet(&pq);
    let csv = dir.join("Times.csv");
    let mut text = String::from("When [UTC]\n");
    for i in 0..ROWS {
        text.push_str(&format!("2026-01-01T00:00:{:02}Z\n", i % 60));
    }
    std::fs::write(&csv, text).expect("write csv");
    let parquet = kql_io::open_path(&pq).expect("open parquet").remove(0);
    let times = kql_io::open_path(&csv).expect("open csv").remove(0);
    assert!(parquet.is_lazy() && times.is_lazy());

    // Within a budget, everything reads.
    {
        let _budget = memory::enter(1 << 30);
        let t = parquet.load(None).expect("parquet fits");
        assert_eq!(
            t.batches.iter().map(|b| b.num_rows()).sum::<usize>(),
            200_000
        );
        let t = times.load(None).expect("csv fits");
        assert_eq!(
            t.batches.iter().map(|b| b.num_rows()).sum::<usize>(),
            200_000
        );
    }

    // Parquet: the columns' uncompressed size is more than the budget.
    {
        let _budget = memory::enter(1 << 20);
        let err = parquet.load(None).expect_err("over the budget");
        assert_eq!(err.len(), 1, "{err:?}");
        assert_eq!(err[0].code, MEMORY_LIMIT);
        assert!(
            err[0]
                .message
                .starts_with("reading 2 columns of Files.parquet needs about ")
                && err[0].message.ends_with("of its 1.0 MiB budget"),
            "{}",
            err[0].message
        );
    }

    // With a predicate checked while reading, the size is not known up
    // front: decoding stops at the first batch over the budget.
    {
        let _budget = memory::enter(1 << 20);
        let keep_all = ScanPredicate {
            column: 1,
            op: ScanOp::Ge,
            value: ScalarValue::Long(0),
        };
        let err = parquet
            .load_filtered(None, &[keep_all])
            .expect_err("over the budget");
        assert_eq!(err.len(), 1, "{err:?}");
        assert_eq!(err[0].code, MEMORY_LIMIT);
        assert!(
            err[0].message.starts_with("the query used ")
                && err[0]
                    .message
                    .ends_with("of memory, more than its 1.0 MiB budget"),
            "{}",
            err[0].message
        );
    }

    // CSV: the file itself does not fit.
    {
        let _budget = memory::enter(1 << 20);
        let err = times.load(None).expect_err("over the budget");
        assert_eq!(err.len(), 1, "{err:?}");
        assert_eq!(err[0].code, MEMORY_LIMIT);
        let size = std::fs::metadata(&csv).expect("size").len();
        let expected = format!(
            "reading {} needs about {} more memory",
            csv.display(),
            memory::format_size(size)
        );
        assert!(err[0].message.starts_with(&expected), "{}", err[0].message);
    }

    // Without a budget, reading works again.
    let t = parquet.load(Some(&[1])).expect("load");
    assert_eq!(
        t.batches.iter().map(|b| b.num_rows()).sum::<usize>(),
        200_000
    );
    let _ = std::fs::remove_dir_all(&dir);
}
