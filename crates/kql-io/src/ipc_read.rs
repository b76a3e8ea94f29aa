//! Arrow IPC files (Feather v2): memory-mapped, and decoded without copying
//! the column buffers; only the columns a query reads are decoded.

use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_ipc::reader::{read_footer_length, FileDecoder};
use arrow_ipc::{Block, MetadataVersion};
use arrow_schema::SchemaRef;
use std::path::Path;
use std::ptr::NonNull;
use std::sync::Arc;

/// A memory-mapped Arrow IPC file.
#[derive(Debug)]
pub(crate) struct IpcFile {
    buffer: Buffer,
    /// The file's own Arrow schema.
    pub(crate) schema: SchemaRef,
    version: MetadataVersion,
    dictionaries: Vec<Block>,
    batches: Vec<Block>,
}

/// Maps `path` and reads its footer. `Err` holds a message.
pub(crate) fn map(path: &Path) -> Result<IpcFile, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    if len < 16 {
        return Err("not an Arrow IPC file (too short)".into());
    }
    // SAFETY: the map is read-only; the files read this way are not
    // modified in place (kql replaces its cache files by renaming).
    let mmap = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| e.to_string())?;
    let ptr = NonNull::new(mmap.as_ptr().cast_mut()).ok_or("empty map")?;
    let size = mmap.len();
    // SAFETY: the pointer and length are the map's, and the map lives as
    // long as the buffer (it is the buffer's owner).
    let buffer = unsafe { Buffer::from_custom_allocation(ptr, size, Arc::new(mmap)) };
    decode_footer(buffer)
}

fn decode_footer(buffer: Buffer) -> Result<IpcFile, String> {
    let bytes = buffer.as_slice();
    if bytes.len() < 16 || !bytes.starts_with(b"ARROW1") {
        return Err("not an Arrow IPC file".into());
    }
    let trailer = bytes.len() - 10;
    let mut tail = [0u8; 10];
    tail.copy_from_slice(&bytes[trailer..]);
    let footer_len = read_footer_length(tail).map_err(|e| e.to_string())?;
    if footer_len > trailer {
        return Err("bad footer length".into());
    }
    let footer = arrow_ipc::root_as_footer(&bytes[trailer - footer_len..trailer])
        .map_err(|e| format!("bad footer: {e}"))?;
    let fb_schema = footer.schema().ok_or("no schema in footer")?;
    let schema =
        Arc::new(arrow_ipc::convert::try_fb_to_schema(fb_schema).map_err(|e| e.to_string())?);
    let version = footer.version();
    let dictionaries: Vec<Block> = footer
        .dictionaries()
        .map(|v| v.iter().copied().collect())
        .unwrap_or_default();
    let batches: Vec<Block> = footer
        .recordBatches()
        .map(|v| v.iter().copied().collect())
        .unwrap_or_default();
    for b in dictionaries.iter().chain(&batches) {
        block_range(b, bytes.len())?;
    }
    Ok(IpcFile {
        schema,
        version,
        dictionaries,
        batches,
        buffer,
    })
}

/// Where a block lies in a file of `len` bytes.
fn block_range(b: &Block, len: usize) -> Result<(usize, usize), String> {
    let off = usize::try_from(b.offset()).map_err(|_| "bad block offset")?;
    let meta = usize::try_from(b.metaDataLength()).map_err(|_| "bad block length")?;
    let body = usize::try_from(b.bodyLength()).map_err(|_| "bad block length")?;
    let end = off
        .checked_add(meta)
        .and_then(|x| x.checked_add(body))
        .ok_or("bad block length")?;
    if end > len {
        return Err("block beyond the end of the file".into());
    }
    Ok((off, end - off))
}

impl IpcFile {
    /// All record batches with only the columns `cols` (sorted, unique
    /// indices into the file's schema), in that order.
    pub(crate) fn read(&self, cols: &[usize]) -> Result<Vec<RecordBatch>, String> {
        let mut decoder =
            FileDecoder::new(self.schema.clone(), self.version).with_projection(cols.to_vec());
        let slice = |b: &Block| -> Result<Buffer, String> {
            let (off, len) = block_range(b, self.buffer.len())?;
            Ok(self.buffer.slice_with_length(off, len))
        };
        for b in &self.dictionaries {
            decoder
                .read_dictionary(b, &slice(b)?)
                .map_err(|e| e.to_string())?;
        }
        let mut out = Vec::with_capacity(self.batches.len());
        for b in &self.batches {
            if let Some(batch) = decoder
                .read_record_batch(b, &slice(b)?)
                .map_err(|e| e.to_string())?
            {
                out.push(batch);
            }
        }
        Ok(out)
    }
}

/// An Arrow IPC file opened as a table.
#[derive(Debug)]
pub(crate) struct IpcTable {
    file: IpcFile,
    origin: String,
    /// The KQL type of each column.
    types: Vec<kql_common::KqlType>,
}

/// Maps an Arrow IPC file and types its columns.
pub(crate) fn open(
    path: &Path,
    name: &str,
    origin: &str,
) -> Result<(SchemaRef, IpcTable), Vec<kql_common::Diagnostic>> {
    let read_failed = |e: String| {
        vec![kql_common::Diagnostic::error(
            crate::diag::READ_FAILED,
            format!("cannot read {}: {e}", path.display()),
        )]
    };
    let file = std::panic::catch_unwind(|| map(path))
        .unwrap_or_else(|_| Err("not a valid Arrow IPC file".into()))
        .map_err(read_failed)?;
    let (schema, types) = crate::parquet_read::kql_schema(name, &file.schema, origin)?;
    Ok((
        schema,
        IpcTable {
            file,
            origin: origin.to_string(),
            types,
        },
    ))
}

impl IpcTable {
    /// The columns `projection` names (all without one).
    pub(crate) fn read(
        &self,
        name: &str,
        schema: &SchemaRef,
        projection: Option<&[usize]>,
    ) -> Result<crate::LoadedTable, Vec<kql_common::Diagnostic>> {
        let fail = |e: String| {
            vec![kql_common::Diagnostic::error(
                crate::diag::READ_FAILED,
                format!("cannot read {}: {e}", self.origin),
            )]
        };
        let cols: Vec<usize> = match projection {
            Some(p) => p.to_vec(),
            None => (0..self.types.len()).collect(),
        };
        let out_schema = Arc::new(schema.project(&cols).map_err(|e| fail(e.to_string()))?);
        let (unique, positions) = crate::parquet_read::decode_plan(&cols);
        let raw = std::panic::catch_unwind(|| self.file.read(&unique))
            .unwrap_or_else(|_| Err("not a valid Arrow IPC file".into()))
            .map_err(fail)?;
        let mut batches = Vec::with_capacity(raw.len());
        for b in raw {
            let converted = b
                .columns()
                .iter()
                .zip(&unique)
                .map(|(a, &c)| {
                    crate::convert::to_kql(a, self.types[c])
                        .map_err(|e| fail(format!("column {}: {e}", schema.field(c).name())))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let arrays = positions.iter().map(|&p| converted[p].clone()).collect();
            batches.push(
                RecordBatch::try_new_with_options(
                    out_schema.clone(),
                    arrays,
                    &arrow_array::RecordBatchOptions::new().with_row_count(Some(b.num_rows())),
                )
                .map_err(|e| fail(e.to_string()))?,
            );
        }
        Ok(crate::LoadedTable {
            name: name.to_string(),
            schema: out_schema,
            batches,
        })
    }
}
