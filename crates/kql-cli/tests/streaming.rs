//! Queries over a Parquet file of many row groups read it as a stream:
//! `take` decodes only the first row groups, and every query gives the same
//! rows as over the table read whole.

use arrow::array::{Int64Array, StringArray};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use kql_cli::Session;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::sync::Arc;

const ROWS: usize = 6_400;

/// A file of 64 row groups of 100 rows.
fn write_file(dir: &std::path::Path) -> std::path::PathBuf {
    let schema = Arc::new(Schema::new(vec![
        Field::new("DeviceName", DataType::Utf8, true),
        Field::new("FileSize", DataType::Int64, true),
    ]));
    let names: StringArray = (0..ROWS)
        .map(|i| match i % 5 {
            0 => None,
            1 => Some(String::new()),
            2 => Some(format!("zürich-{}", i % 7)),
            _ => Some(format!("host-{}", i % 11)),
        })
        .collect();
    let sizes: Int64Array = (0..ROWS)
        .map(|i| (i % 9 != 0).then_some(i as i64 * 7 % 1000))
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(names), Arc::new(sizes)])
        .expect("batch");
    write_parquet(&dir.join("DeviceFileEvents.parquet"), &batch, 100)
}

/// Writes `batch` as a Parquet file of row groups of `group_rows` rows.
fn write_parquet(
    path: &std::path::Path,
    batch: &RecordBatch,
    group_rows: usize,
) -> std::path::PathBuf {
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(group_rows))
        .build();
    let file = std::fs::File::create(path).expect("create");
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).expect("writer");
    w.write(batch).expect("write");
    w.close().expect("close");
    path.to_path_buf()
}

fn rows(session: &Session, query: &str) -> RecordBatch {
    let t = session.run(query).expect("runs").remove(0);
    concat_batches(&t.schema, &t.batches).expect("concat")
}

#[test]
fn take_over_parquet_decodes_only_the_first_row_groups() {
    let dir = std::env::temp_dir().join(format!("kql-cli-streaming-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = write_file(&dir);
    let handles = kql_io::open_path(&path).expect("open");
    let handle = handles[0].clone();
    let streamed = Session::from_handles(handles, false);
    let whole = Session::from_handles(kql_io::open_path(&path).expect("open"), true);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);

    let decoded = || handle.decoded_row_groups().expect("parquet");
    for query in [
        "DeviceFileEvents | take 10",
        "DeviceFileEvents | project FileSize | take 150",
        "DeviceFileEvents | where FileSize > 100 | take 20",
    ] {
        let before = decoded();
        let out = rows(&streamed, query);
        let read = decoded() - before;
        assert!(
            read >= 1 && read <= 2 + 2 * threads,
            "{query}: {read} row groups decoded"
        );
        if query.ends_with("| take 10") {
            // Decoding follows demand: the first row group holds the rows.
            assert_eq!(read, 1, "{query}");
        }
        assert_eq!(out, rows(&whole, query), "{query}");
    }
    for query in [
        "DeviceFileEvents | summarize count(), sum(FileSize) by DeviceName",
        "DeviceFileEvents | where DeviceName != \"\" | count",
        // The key is every column read: nothing to read later.
        "DeviceFileEvents | top 5 by FileSize desc | project FileSize",
        "DeviceFileEvents | sort by DeviceName asc, FileSize desc | take 30",
    ] {
        let before = decoded();
        let out = rows(&streamed, query);
        assert_eq!(decoded() - before, 64, "{query}");
        assert_eq!(out, rows(&whole, query), "{query}");
    }
    // `top` reads the key columns of every row group, then the other
    // columns only of the row groups holding the rows it keeps. Ties (six
    // rows have FileSize 999) keep their input order; nulls sort as Kusto's
    // defaults say.
    for (query, kept) in [
        ("DeviceFileEvents | top 4 by FileSize asc", 4),
        // More rows than row groups: the statistics bound nothing.
        ("DeviceFileEvents | top 70 by FileSize desc", 70),
        ("DeviceFileEvents | top 3 by FileSize desc nulls first", 3),
        ("DeviceFileEvents | sort by DeviceName desc | take 30", 30),
        ("DeviceFileEvents | top 6 by strlen(DeviceName) desc", 6),
    ] {
        let before = decoded();
        let out = rows(&streamed, query);
        let read = decoded() - before;
        assert!(
            read > 64 && read <= 64 + kept,
            "{query}: {read} row groups decoded"
        );
        assert_eq!(out.num_rows(), kept, "{query}");
        assert_eq!(out, rows(&whole, query), "{query}");
    }
    // By one integer column, nulls last: the row groups' statistics bound
    // the rows kept (each row group's largest value is some row's), so only
    // the row groups that reach the bound are read, then those holding the
    // rows kept.
    for (query, kept) in [
        ("DeviceFileEvents | top 5 by FileSize desc", 5),
        ("DeviceFileEvents | top 20 by FileSize desc", 20),
        ("DeviceFileEvents | top 3 by FileSize asc nulls last", 3),
        ("DeviceFileEvents | sort by FileSize desc | take 12", 12),
    ] {
        let before = decoded();
        let out = rows(&streamed, query);
        let read = decoded() - before;
        assert!(read < 64, "{query}: {read} row groups decoded");
        assert_eq!(out.num_rows(), kept, "{query}");
        assert_eq!(out, rows(&whole, query), "{query}");
    }
}

/// A process-events file: string columns the writer dictionary-encodes
/// (with nulls, `""` and non-ASCII values), a long, and row groups of
/// `group_rows` rows.
fn write_processes(dir: &std::path::Path, group_rows: usize) -> std::path::PathBuf {
    const N: usize = 3_000;
    let schema = Arc::new(Schema::new(vec![
        Field::new("DeviceName", DataType::Utf8, true),
        Field::new("FileName", DataType::Utf8, true),
        Field::new("ProcessVersionInfoOriginalFileName", DataType::Utf8, true),
        Field::new("ProcessCommandLine", DataType::Utf8, true),
        Field::new("ProcessId", DataType::Int64, true),
    ]));
    let files = [
        "cmd.exe",
        "CMD.EXE",
        "powershell.exe",
        "Äpfel.exe",
        "",
        "setup.scr",
    ];
    let device: StringArray = (0..N)
        .map(|i| (i % 13 != 0).then(|| format!("host-{}", i % 17)))
        .collect();
    let file: StringArray = (0..N)
        .map(|i| (i % 11 != 3).then(|| files[i % files.len()].to_string()))
        .collect();
    let original: StringArray = (0..N)
        .map(|i| (i % 7 != 2).then(|| files[(i / 2) % files.len()].to_string()))
        .collect();
    let cmd: StringArray = (0..N)
        .map(|i| match i % 9 {
            0 => None,
            1 => Some(format!("powershell -ExecutionPolicy Bypass -n {i}")),
            2 => Some(format!("cmd /c copy C:\\Users\\ü{} x", i % 5)),
            3 => Some("UACBypass.exe".to_string()),
            _ => Some(format!("run {}", i % 23)),
        })
        .collect();
    let pid: Int64Array = (0..N)
        .map(|i| (i % 19 != 0).then_some(i as i64 % 400))
        .collect();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(device),
            Arc::new(file),
            Arc::new(original),
            Arc::new(cmd),
            Arc::new(pid),
        ],
    )
    .expect("batch");
    write_parquet(&dir.join("DeviceProcessEvents.parquet"), &batch, group_rows)
}

#[test]
fn filters_run_while_reading_parquet_keep_what_a_whole_read_keeps() {
    let dir = std::env::temp_dir().join(format!("kql-cli-row-tests-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    // Many row groups, and two.
    let many = write_processes(&dir, 256);
    let few_dir = dir.join("few");
    std::fs::create_dir_all(&few_dir).expect("dir");
    let few = write_processes(&few_dir, 2_000);
    for path in [many, few] {
        check_row_tests(&path);
    }
}

fn check_row_tests(path: &std::path::Path) {
    let streamed = Session::from_handles(kql_io::open_path(path).expect("open"), false);
    let whole = Session::from_handles(kql_io::open_path(path).expect("open"), true);
    for query in [
        "DeviceProcessEvents | where ProcessVersionInfoOriginalFileName in~ (\"cmd.exe\", \"Äpfel.exe\") | where FileName !~ ProcessVersionInfoOriginalFileName | project DeviceName, FileName, ProcessCommandLine",
        "DeviceProcessEvents | where FileName == \"\" | count",
        "DeviceProcessEvents | where FileName =~ \"CMD.exe\" and ProcessId > 100",
        "DeviceProcessEvents | where ProcessCommandLine contains \"bypass\" | project ProcessId, DeviceName",
        "DeviceProcessEvents | where ProcessCommandLine has \"bypass\" | summarize count() by FileName",
        "DeviceProcessEvents | where ProcessCommandLine startswith @\"cmd /c copy C:\\Users\\\" | where FileName startswith \"setup\" or FileName endswith \".exe\" | summarize n = count() by FileName | order by n desc, FileName asc",
        "DeviceProcessEvents | where DeviceName in (\"host-3\", \"host-4\") | where isnotempty(FileName) | take 7",
        "DeviceProcessEvents | where strlen(FileName) > 7 | extend L = tolower(FileName) | project L, ProcessId",
        "DeviceProcessEvents | where true",
        "DeviceProcessEvents | where 1 == 2",
        "DeviceProcessEvents | where ProcessId == 17 | project ProcessCommandLine",
        "DeviceProcessEvents | project FileName, ProcessId | where FileName has \"exe\" and ProcessId < 30",
        "DeviceProcessEvents | where FileName matches regex \"^[a-z]+\\\\.exe$\" | count",
        "DeviceProcessEvents | where ProcessVersionInfoOriginalFileName !in~ (\"\", \"cmd.exe\") | summarize dcount(DeviceName), count() by ProcessVersionInfoOriginalFileName",
        // Joins: the left rows are tested against the right side's keys
        // while they are read.
        "DeviceProcessEvents | join kind=inner (DeviceProcessEvents | where FileName in~ (\"cmd.exe\", \"Äpfel.exe\") | summarize n = count() by DeviceName, FileName) on DeviceName, FileName | project DeviceName, FileName, ProcessId, n",
        "DeviceProcessEvents | where ProcessId > 50 | join (DeviceProcessEvents | where ProcessCommandLine has \"bypass\" | distinct FileName) on FileName",
        "DeviceProcessEvents | join kind=leftsemi (DeviceProcessEvents | where ProcessId < 20 | distinct ProcessId) on ProcessId | count",
        "DeviceProcessEvents | join kind=inner (DeviceProcessEvents | where FileName == \"\" | project ProcessId, F2 = FileName) on ProcessId | summarize count() by FileName, F2",
        "DeviceProcessEvents | where FileName == \"cmd.exe\" | join kind=rightsemi (DeviceProcessEvents | summarize by DeviceName) on DeviceName",
        "DeviceProcessEvents | project DeviceName, FileName | join kind=inner (DeviceProcessEvents | where ProcessId == 17 | project D = DeviceName, P = ProcessId) on $left.DeviceName == $right.D | summarize count() by DeviceName, FileName, P",
        "DeviceProcessEvents | join kind=leftanti (DeviceProcessEvents | where ProcessId == 17 | project DeviceName) on DeviceName | count",
        "DeviceProcessEvents | join kind=inner (DeviceProcessEvents | where 1 == 2 | project DeviceName) on DeviceName | count",
    ] {
        assert_eq!(rows(&streamed, query), rows(&whole, query), "{query}");
    }
}

/// A typed CSV export (the MDE process-events columns it has) of
/// `rows` rows: datetimes, strings with quotes and commas, `""`, and longs
/// with empty fields.
fn write_csv_processes(path: &std::path::Path, rows: usize) {
    use std::fmt::Write;
    let mut text = String::from("Timestamp,DeviceName,ActionType,FileName,ProcessId\n");
    for i in 0..rows {
        let day = 1 + (i * 7 / rows.max(1)) % 28;
        let ts = format!(
            "2026-01-{day:02}T{:02}:{:02}:{:02}.{:07}Z",
            i % 24,
            i % 60,
            (i * 7) % 60,
            i % 9_999_999
        );
        let device = match i % 6 {
            0 => String::new(),
            1 => "\"host, \"\"quoted\"\"\"".to_string(),
            _ => format!("host-{}", i % 13),
        };
        let action = ["ProcessCreated", "OpenProcess", ""][i % 3];
        let file = ["cmd.exe", "Äpfel.exe", "powershell.exe"][i % 3];
        let pid = if i % 10 == 0 {
            String::new()
        } else {
            (i % 500).to_string()
        };
        let _ = writeln!(text, "{ts},{device},{action},{file},{pid}");
    }
    std::fs::write(path, text).expect("write csv");
}

#[test]
fn csv_rows_failing_a_simple_predicate_are_dropped_while_parsing() {
    let dir = std::env::temp_dir().join(format!("kql-cli-csv-filter-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("DeviceProcessEvents.csv");
    // Several parsed batches (of 65,536 rows) and several chunks.
    write_csv_processes(&path, 150_000);
    // Without a cache, the reader checks `column op constant` conjuncts on
    // each batch it parses; read whole, it does not.
    let streamed = Session::from_handles(kql_io::open_path(&path).expect("open"), false);
    let whole = Session::from_handles(kql_io::open_path(&path).expect("open"), true);
    for query in [
        "DeviceProcessEvents | where Timestamp >= datetime(2026-01-03) and Timestamp < datetime(2026-01-04) | count",
        "DeviceProcessEvents | where Timestamp between (datetime(2026-01-02) .. datetime(2026-01-05)) | where ActionType == \"ProcessCreated\" | project Timestamp, DeviceName, FileName, ProcessId",
        "DeviceProcessEvents | where ProcessId > 480 | summarize count() by DeviceName",
        "DeviceProcessEvents | where ProcessId == 7 | where DeviceName == \"host, \\\"quoted\\\"\" | take 5",
        "DeviceProcessEvents | where ActionType == \"\" and FileName =~ \"ÄPFEL.exe\" | count",
        "DeviceProcessEvents | where Timestamp < datetime(2025-01-01) | count",
        "DeviceProcessEvents | where DeviceName == \"\" | summarize min(Timestamp), max(ProcessId)",
    ] {
        let got = rows(&streamed, query);
        assert_eq!(got, rows(&whole, query), "{query}");
    }
    let n = rows(
        &streamed,
        "DeviceProcessEvents | where Timestamp >= datetime(2026-01-03) and Timestamp < datetime(2026-01-04) | count",
    );
    let count = n
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .expect("long")
        .value(0);
    assert!(count > 0 && count < 150_000, "{count}");
    let _ = std::fs::remove_dir_all(&dir);
}
