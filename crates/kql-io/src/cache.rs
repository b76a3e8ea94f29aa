//! A cache of parsed CSV/TSV columns as Arrow IPC files, so a repeat query
//! over the same export reads memory-mapped Arrow instead of parsing text.
//!
//! Each file gets a folder under the cache root named by a hash of its
//! canonical path; each column a query has read gets one IPC file there
//! (`c<index>.arrow`, one field). Every column file carries a stamp in its
//! schema metadata: the canonical path, size and modification time of the
//! source, the kql version and a hash of the table schema. A column file
//! whose stamp differs (the source changed) is ignored and rewritten; one
//! that cannot be read (damaged) is ignored. Files are written to a
//! temporary name and renamed into place, so a reader never sees half a
//! file. Writing is best effort: a failure only means the next run parses
//! again. Columns are written on a background thread while the query runs;
//! [`finish_writes`] waits for them (the command calls it before exiting).

use crate::ipc_read;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema, SchemaRef};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const STAMP_KEY: &str = "kql.cache.stamp";

/// Cache writes still running.
static PENDING: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>> =
    std::sync::Mutex::new(Vec::new());

/// Waits until every cache file started so far is written.
pub fn finish_writes() {
    let handles = PENDING
        .lock()
        .map(|mut p| std::mem::take(&mut *p))
        .unwrap_or_default();
    for h in handles {
        let _ = h.join();
    }
}

/// Where one source file's columns are cached.
#[derive(Clone, Debug)]
pub(crate) struct TableCache {
    dir: PathBuf,
    stamp: String,
}

/// 64-bit FNV-1a: stable across builds and platforms.
fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl TableCache {
    /// The cache of `source` (a delimited file typed as `schema`) under
    /// `root`; `None` when the file cannot be identified.
    pub(crate) fn new(root: &Path, source: &Path, schema: &Schema, delimiter: u8) -> Option<Self> {
        let canonical = std::fs::canonicalize(source).ok()?;
        let meta = std::fs::metadata(&canonical).ok()?;
        let mtime = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos();
        let mut schema_text = String::new();
        for f in schema.fields() {
            let ty = kql_common::KqlType::of_field(f).map_or("?", |t| t.name());
            schema_text.push_str(&format!("{}:{ty};", f.name()));
        }
        let path_text = canonical.to_string_lossy();
        let stamp = format!(
            "kql {}\n{path_text}\n{} bytes\nmodified {mtime}\ndelimiter {delimiter}\nschema {:016x}",
            env!("CARGO_PKG_VERSION"),
            meta.len(),
            fnv(schema_text.as_bytes()),
        );
        let name = canonical
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let dir = root.join(format!("{name}-{:016x}", fnv(path_text.as_bytes())));
        Some(TableCache { dir, stamp })
    }

    fn column_path(&self, column: usize) -> PathBuf {
        self.dir.join(format!("c{column}.arrow"))
    }

    /// The cached batches of one column, if a current, readable copy exists
    /// and holds a column of `field`'s type.
    pub(crate) fn read_column(&self, column: usize, field: &Field) -> Option<Vec<ArrayRef>> {
        let path = self.column_path(column);
        if !path.is_file() {
            return None;
        }
        std::panic::catch_unwind(|| {
            let file = ipc_read::map(&path).ok()?;
            if file.schema.metadata().get(STAMP_KEY) != Some(&self.stamp)
                || file.schema.fields().len() != 1
                || file.schema.field(0).name() != field.name()
                || file.schema.field(0).data_type() != field.data_type()
            {
                return None;
            }
            let batches = file.read(&[0]).ok()?;
            Some(batches.iter().map(|b| b.column(0).clone()).collect())
        })
        .ok()
        .flatten()
    }

    /// Stores columns' batches on a background thread (best effort); see
    /// [`finish_writes`].
    pub(crate) fn write_columns(&self, columns: Vec<(usize, Field, Vec<ArrayRef>)>) {
        let me = self.clone();
        let handle = std::thread::spawn(move || {
            for (c, field, arrays) in columns {
                let _ = me.try_write(c, &field, &arrays);
            }
        });
        if let Ok(mut pending) = PENDING.lock() {
            pending.push(handle);
        }
    }

    fn try_write(&self, column: usize, field: &Field, arrays: &[ArrayRef]) -> Option<()> {
        std::fs::create_dir_all(&self.dir).ok()?;
        let schema = Arc::new(Schema::new_with_metadata(
            vec![field.clone()],
            HashMap::from([(STAMP_KEY.to_string(), self.stamp.clone())]),
        ));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let tmp = self
            .dir
            .join(format!(".c{column}.{}.{nanos}.tmp", std::process::id()));
        let written = (|| {
            let file = std::fs::File::create(&tmp).ok()?;
            let mut w = arrow_ipc::writer::FileWriter::try_new(
                std::io::BufWriter::with_capacity(1 << 20, file),
                &schema,
            )
            .ok()?;
            for a in arrays {
                let batch = RecordBatch::try_new(schema.clone(), vec![a.clone()]).ok()?;
                w.write(&batch).ok()?;
            }
            w.finish().ok()?;
            // No fsync: a killed process loses nothing written, and the
            // rename makes the file appear whole or not at all. (After a
            // power loss a damaged file fails to decode and is ignored.)
            w.into_inner().ok()?.into_inner().ok()?;
            std::fs::rename(&tmp, self.column_path(column)).ok()
        })();
        if written.is_none() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }
}

/// Puts columns read separately (each a list of arrays) into batches of
/// `schema`. When their batch boundaries differ, all columns are cut where
/// the first one's batches end. `None` if the columns differ in length.
pub(crate) fn assemble(
    schema: &SchemaRef,
    columns: Vec<Vec<ArrayRef>>,
) -> Option<Vec<RecordBatch>> {
    let lens = |c: &Vec<ArrayRef>| c.iter().map(|a| a.len()).collect::<Vec<_>>();
    let Some(first) = columns.first() else {
        return Some(vec![]);
    };
    let bounds = lens(first);
    let total: usize = bounds.iter().sum();
    let mut aligned: Vec<Vec<ArrayRef>> = Vec::with_capacity(columns.len());
    for c in &columns {
        if lens(c) == bounds {
            aligned.push(c.clone());
            continue;
        }
        if lens(c).iter().sum::<usize>() != total {
            return None;
        }
        let refs: Vec<&dyn Array> = c.iter().map(|a| a.as_ref()).collect();
        let whole = arrow_select::concat::concat(&refs).ok()?;
        let mut at = 0;
        let mut pieces = Vec::with_capacity(bounds.len());
        for &n in &bounds {
            pieces.push(whole.slice(at, n));
            at += n;
        }
        aligned.push(pieces);
    }
    let mut out = Vec::with_capacity(bounds.len());
    for (i, &n) in bounds.iter().enumerate() {
        let arrays = aligned.iter().map(|c| c[i].clone()).collect();
        out.push(
            RecordBatch::try_new_with_options(
                schema.clone(),
                arrays,
                &arrow_array::RecordBatchOptions::new().with_row_count(Some(n)),
            )
            .ok()?,
        );
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Int64Array;
    use kql_common::KqlType;

    fn longs(v: &[i64]) -> ArrayRef {
        Arc::new(Int64Array::from(v.to_vec()))
    }

    #[test]
    fn columns_with_other_batch_boundaries_are_realigned() {
        let schema = Arc::new(Schema::new(vec![
            KqlType::Long.field("a"),
            KqlType::Long.field("b"),
        ]));
        let a = vec![longs(&[1, 2, 3]), longs(&[4, 5])];
        let b = vec![longs(&[10]), longs(&[20, 30, 40, 50])];
        let out = assemble(&schema, vec![a, b]).expect("same length");
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].column(1).as_ref(), longs(&[10, 20, 30]).as_ref());
        assert_eq!(out[1].column(1).as_ref(), longs(&[40, 50]).as_ref());
        let short = vec![longs(&[1])];
        assert!(assemble(&schema, vec![vec![longs(&[1, 2])], short]).is_none());
    }
}
