//! Opening a typed CSV lazily and reading it in parallel chunks gives
//! exactly what reading it eagerly gives, for whole tables and projections,
//! and reports bad values at the right line.

use arrow_array::RecordBatch;
use arrow_select::concat::concat_batches;
use std::fmt::Write;
use std::path::PathBuf;

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kql-io-lazy-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A DeviceFileEvents export big enough to be split, with quoted fields
/// holding commas, quotes and line breaks.
fn export(rows: usize) -> String {
    let mut s = String::from("Timestamp,DeviceName,FileName,FileSize,AdditionalFields\n");
    for i in 0..rows {
        let name = match i % 4 {
            0 => format!("file{i}.zip"),
            1 => format!("\"a, \"\"quoted\"\" name {i}\""),
            2 => format!("\"two\nlines {i}\""),
            _ => String::new(),
        };
        let size = if i % 7 == 0 {
            String::new()
        } else {
            (i * 13).to_string()
        };
        let _ = writeln!(
            s,
            "2026-01-29T16:{:02}:{:02}.{:07}Z,host-{},{name},{size},\"{{\"\"n\"\":{i}}}\"",
            (i / 60) % 60,
            i % 60,
            i % 10_000_000,
            i % 12
        );
    }
    s
}

fn all(batches: &[RecordBatch], schema: &arrow_schema::SchemaRef) -> RecordBatch {
    concat_batches(schema, batches).expect("concat")
}

#[test]
fn lazy_parallel_reading_matches_eager_reading() {
    let dir = temp_dir("same");
    let path = dir.join("DeviceFileEvents.csv");
    std::fs::write(&path, export(150_000)).expect("write");
    assert!(std::fs::metadata(&path).expect("meta").len() > 8 << 20);

    let eager = kql_io::load_path(&path).expect("eager").remove(0);
    let handles = kql_io::open_path(&path).expect("open");
    assert_eq!(handles.len(), 1);
    let h = &handles[0];
    assert!(h.is_lazy(), "a typed export is opened without reading it");
    assert_eq!(h.schema, eager.schema);

    let lazy = h.load(None).expect("lazy");
    assert_eq!(lazy.num_rows(), 150_000);
    assert_eq!(
        all(&lazy.batches, &lazy.schema),
        all(&eager.batches, &eager.schema)
    );

    let proj = h.load(Some(&[3, 0])).expect("projection");
    let expected = all(&eager.batches, &eager.schema)
        .project(&[3, 0])
        .expect("project");
    assert_eq!(all(&proj.batches, &proj.schema), expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_value_deep_in_the_file_names_its_line() {
    let dir = temp_dir("bad");
    let path = dir.join("DeviceFileEvents.csv");
    let mut text = export(120_000);
    // Line numbers count the header and the extra line of each two-line name.
    text.push_str("2026-01-29T17:00:00Z,host-x,bad.zip,notanumber,{}\n");
    let expected_line = 1 + 120_000 + 120_000 / 4 + 1;
    std::fs::write(&path, text).expect("write");
    let h = kql_io::open_path(&path).expect("open").remove(0);
    let errors = h.load(None).expect_err("the bad value is reported");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code, "kql::io::bad_value");
    assert!(
        errors[0]
            .notes
            .iter()
            .any(|n| n.contains(&format!("line {expected_line}"))),
        "{:?}",
        errors[0]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_untyped_csv_is_read_at_once() {
    let dir = temp_dir("untyped");
    let path = dir.join("Logins.csv");
    std::fs::write(&path, "User,N\nalice,1\n").expect("write");
    let h = kql_io::open_path(&path).expect("open").remove(0);
    assert!(!h.is_lazy());
    assert_eq!(h.load(None).expect("rows").num_rows(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
