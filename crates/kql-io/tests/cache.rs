//! The cache of parsed CSV columns: a cached read returns exactly what
//! parsing returns, for whole tables and projections; a changed file is
//! parsed again; a damaged cache file is ignored.

use arrow_array::RecordBatch;
use arrow_select::concat::concat_batches;
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kql-io-cache-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn export(rows: usize, salt: usize) -> String {
    let mut s = String::from("Timestamp,DeviceName,FileName,FileSize,AdditionalFields\n");
    for i in 0..rows {
        let name = match i % 5 {
            0 => format!("file{i}.zip"),
            1 => format!("\"a, \"\"quoted\"\" name {i}\""),
            2 => format!("\"two\nlines {i}\""),
            3 => format!("Zürich 日本 {}", i + salt),
            _ => String::new(),
        };
        let size = if i % 7 == 0 {
            String::new()
        } else {
            (i * 13 + salt).to_string()
        };
        let extra = if i % 3 == 0 {
            String::new()
        } else {
            format!("\"{{\"\"n\"\":{i}}}\"")
        };
        let _ = writeln!(
            s,
            "2026-01-29T16:{:02}:{:02}.{:07}Z,host-{},{name},{size},{extra}",
            (i / 60) % 60,
            i % 60,
            i % 10_000_000,
            i % 12
        );
    }
    s
}

fn whole(t: &kql_io::LoadedTable) -> RecordBatch {
    concat_batches(&t.schema, &t.batches).expect("concat")
}

fn open(path: &Path, cache: &Path) -> kql_io::TableHandle {
    let options = kql_io::OpenOptions {
        cache_dir: Some(cache.to_path_buf()),
    };
    let mut h = kql_io::open_path_with(path, &options).expect("open");
    assert_eq!(h.len(), 1);
    h.remove(0)
}

fn parsed(path: &Path, projection: Option<&[usize]>) -> RecordBatch {
    let h = kql_io::open_path(path).expect("open").remove(0);
    whole(&h.load(projection).expect("load"))
}

fn cached_columns(cache: &Path) -> Vec<String> {
    let mut out = Vec::new();
    kql_io::finish_cache_writes();
    for d in std::fs::read_dir(cache).expect("cache dir").flatten() {
        for f in std::fs::read_dir(d.path()).expect("table dir").flatten() {
            out.push(f.file_name().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

#[test]
fn cached_columns_read_back_exactly() {
    let dir = temp_dir("hit");
    let cache = dir.join("cache");
    let path = dir.join("DeviceFileEvents.csv");
    std::fs::write(&path, export(3_000, 0)).expect("write");

    // A projection parses and caches just its columns.
    let first = open(&path, &cache).load(Some(&[3, 0, 3])).expect("miss");
    kql_io::finish_cache_writes();
    assert_eq!(whole(&first), parsed(&path, Some(&[3, 0, 3])));
    assert_eq!(cached_columns(&cache), vec!["c0.arrow", "c3.arrow"]);

    // The whole table: two columns from the cache, three parsed.
    let h = open(&path, &cache);
    let all = h.load(None).expect("partly cached");
    kql_io::finish_cache_writes();
    assert_eq!(whole(&all), parsed(&path, None));
    assert_eq!(all.schema, h.schema);
    assert_eq!(cached_columns(&cache).len(), 5);

    // Every column cached: the text is not read at all any more.
    let h = open(&path, &cache);
    let expected = parsed(&path, None);
    let moved = dir.join("moved.csv");
    std::fs::rename(&path, &moved).expect("move away");
    let hit = h.load(None).expect("from the cache alone");
    kql_io::finish_cache_writes();
    assert_eq!(whole(&hit), expected);
    let proj = h.load(Some(&[4, 1])).expect("projection from the cache");
    kql_io::finish_cache_writes();
    assert_eq!(whole(&proj), {
        let e = expected.project(&[4, 1]).expect("project");
        RecordBatch::try_new(proj.schema.clone(), e.columns().to_vec()).expect("batch")
    });
    std::fs::rename(&moved, &path).expect("move back");
}

#[test]
fn a_changed_file_is_parsed_again() {
    let dir = temp_dir("changed");
    let cache = dir.join("cache");
    let path = dir.join("DeviceFileEvents.csv");
    std::fs::write(&path, export(500, 0)).expect("write");
    let before = open(&path, &cache).load(None).expect("load");
    kql_io::finish_cache_writes();
    assert_eq!(whole(&before), parsed(&path, None));

    std::fs::write(&path, export(700, 5)).expect("rewrite");
    let after = open(&path, &cache).load(None).expect("load");
    kql_io::finish_cache_writes();
    assert_eq!(after.num_rows(), 700);
    assert_eq!(whole(&after), parsed(&path, None));
    // The stale columns were replaced, not added to.
    assert_eq!(cached_columns(&cache).len(), 5);
    let again = open(&path, &cache).load(None).expect("load");
    kql_io::finish_cache_writes();
    assert_eq!(whole(&again), parsed(&path, None));
}

#[test]
fn damaged_cache_files_are_ignored() {
    let dir = temp_dir("damaged");
    let cache = dir.join("cache");
    let path = dir.join("DeviceFileEvents.csv");
    std::fs::write(&path, export(800, 1)).expect("write");
    let expected = parsed(&path, None);
    open(&path, &cache).load(None).expect("fill");
    kql_io::finish_cache_writes();
    let table_dir = std::fs::read_dir(&cache)
        .expect("cache")
        .flatten()
        .next()
        .expect("a table folder")
        .path();
    let c2 = table_dir.join("c2.arrow");
    let good = std::fs::read(&c2).expect("read");
    let mut damaged: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"ARROW1 not really".to_vec(),
        good[..good.len() / 2].to_vec(),
        good[..good.len() - 1].to_vec(),
    ];
    let mut flipped = good.clone();
    for b in flipped.iter_mut().skip(good.len() - 80).take(60) {
        *b ^= 0xa5;
    }
    damaged.push(flipped);
    for bytes in damaged {
        std::fs::write(&c2, &bytes).expect("damage");
        let t = open(&path, &cache).load(None).expect("re-parsed");
        kql_io::finish_cache_writes();
        assert_eq!(whole(&t), expected);
    }
    // Another column's file in its place is ignored as well.
    std::fs::copy(table_dir.join("c1.arrow"), &c2).expect("copy");
    let t = open(&path, &cache).load(None).expect("re-parsed");
    kql_io::finish_cache_writes();
    assert_eq!(whole(&t), expected);
}
