//! Parquet files: the schema from the footer when the file is opened, and
//! on use only the columns a query reads, only from the row groups whose
//! statistics allow a matching row, decoded in parallel. Within those row
//! groups the columns of the pushed-down predicates (or of a row test) are
//! decoded first; a group none of whose rows satisfy them ends there, and
//! where few do, the other columns are decoded only for those rows (the
//! predicates' own columns are not decoded again). A stream may read the
//! string columns whose pages are all dictionary-encoded as dictionaries.

use crate::convert::{field_type, native_type, to_kql};
use crate::diag;
use crate::{mde, LoadedTable};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Datum, Int32Array, Int64Array, RecordBatch, Scalar, StringArray,
};
use arrow_buffer::BooleanBuffer;
use arrow_schema::{ArrowError, DataType, Schema, SchemaRef};
use kql_common::{Diagnostic, KqlType, ScalarValue, ScanOp, ScanPredicate};
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
};
use parquet::arrow::ProjectionMask;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows per decoded batch.
const BATCH_ROWS: usize = 65_536;

/// An opened Parquet file.
#[derive(Debug)]
pub(crate) struct ParquetFile {
    path: PathBuf,
    origin: String,
    meta: ArrowReaderMetadata,
    /// The KQL type of each top-level column.
    types: Vec<KqlType>,
    /// Which top-level columns are `string` columns whose pages are all
    /// dictionary-encoded in every row group: a stream that may hand
    /// strings over encoded reads them as dictionaries, without spelling
    /// out each row's value.
    encodable: Vec<bool>,
    /// The reader's metadata with those columns read as
    /// `Dictionary(Int32, Utf8)` (`None` when there are none).
    encoded_meta: Option<ArrowReaderMetadata>,
    /// Row groups decoded so far, over all reads.
    pub(crate) decoded: std::sync::atomic::AtomicUsize,
}

fn read_failed(path: &Path, e: impl std::fmt::Display) -> Vec<Diagnostic> {
    vec![Diagnostic::error(
        diag::READ_FAILED,
        format!("cannot read {}: {e}", path.display()),
    )]
}

/// Reads a Parquet file's footer: the table's schema in KQL types.
pub(crate) fn open(
    path: &Path,
    name: &str,
    origin: &str,
) -> Result<(SchemaRef, ParquetFile), Vec<Diagnostic>> {
    let file = std::fs::File::open(path).map_err(|e| read_failed(path, e))?;
    let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
        .map_err(|e| read_failed(path, e))?;
    let (schema, types) = kql_schema(name, meta.schema(), origin)?;
    let encodable = encodable_columns(&meta, &types);
    let encoded_meta = encoded_metadata(&meta, &encodable);
    Ok((
        schema,
        ParquetFile {
            path: path.to_path_buf(),
            origin: origin.to_string(),
            meta,
            types,
            encodable,
            encoded_meta,
            decoded: Default::default(),
        },
    ))
}

/// For each top-level column, whether it is a `string` column stored as
/// one byte-array leaf whose data pages are dictionary-encoded in every
/// row group (by the footer's page encoding statistics; without them, no).
fn encodable_columns(meta: &ArrowReaderMetadata, types: &[KqlType]) -> Vec<bool> {
    use parquet::basic::{Encoding, Type as Physical};
    let pq = meta.parquet_schema();
    let fields = meta.schema().fields();
    (0..types.len())
        .map(|c| {
            if types[c] != KqlType::String
                || !matches!(
                    fields.get(c).map(|f| f.data_type()),
                    Some(DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
                )
            {
                return false;
            }
            let leaves: Vec<usize> = (0..pq.num_columns())
                .filter(|&l| pq.get_column_root_idx(l) == c)
                .collect();
            let [leaf] = leaves.as_slice() else {
                return false;
            };
            if pq.column(*leaf).physical_type() != Physical::BYTE_ARRAY {
                return false;
            }
            let groups = meta.metadata().row_groups();
            !groups.is_empty()
                && groups.iter().all(|g| {
                    let chunk = g.column(*leaf);
                    chunk.dictionary_page_offset().is_some()
                        && chunk.page_encoding_stats_mask().is_some_and(|m| {
                            m.is_only(Encoding::RLE_DICTIONARY)
                                || m.is_only(Encoding::PLAIN_DICTIONARY)
                        })
                })
        })
        .collect()
}

/// The reader's metadata with the `encodable` columns read as
/// dictionaries (`None` when no column is).
fn encoded_metadata(meta: &ArrowReaderMetadata, encodable: &[bool]) -> Option<ArrowReaderMetadata> {
    if !encodable.contains(&true) {
        return None;
    }
    let fields: Vec<arrow_schema::Field> = meta
        .schema()
        .fields()
        .iter()
        .zip(encodable)
        .map(|(f, &e)| {
            let f = f.as_ref().clone();
            if e {
                f.with_data_type(DataType::Dictionary(
                    Box::new(DataType::Int32),
                    Box::new(DataType::Utf8),
                ))
            } else {
                f
            }
        })
        .collect();
    let hint = Arc::new(Schema::new_with_metadata(
        fields,
        meta.schema().metadata().clone(),
    ));
    ArrowReaderMetadata::try_new(
        meta.metadata().clone(),
        ArrowReaderOptions::new().with_schema(hint),
    )
    .ok()
}

/// The KQL schema of a file's Arrow schema (types declared by the Defender
/// schema of a table of that name win over the file's own).
pub(crate) fn kql_schema(
    name: &str,
    schema: &Schema,
    origin: &str,
) -> Result<(SchemaRef, Vec<KqlType>), Vec<Diagnostic>> {
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let declared = mde::declared_types(name, &names);
    let mut fields = Vec::with_capacity(names.len());
    let mut types = Vec::with_capacity(names.len());
    let mut errors = Vec::new();
    for (f, d) in schema.fields().iter().zip(declared) {
        match field_type(f, d) {
            Some(t) => {
                fields.push(t.field(f.name().as_str()));
                types.push(t);
            }
            None => errors.push(
                Diagnostic::error(
                    diag::UNSUPPORTED_FILE,
                    format!(
                        "column {} of {origin} has type {}, which kql cannot read",
                        f.name(),
                        f.data_type()
                    ),
                )
                .with_help(
                    "columns of nested types (lists, structs, maps) are not supported; \
                     store them as JSON text to read them as dynamic",
                ),
            ),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((Arc::new(Schema::new(fields)), types))
}

/// The columns to decode (sorted, once each) and, for each requested
/// column, its position among them.
pub(crate) fn decode_plan(cols: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut unique = cols.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let positions = cols
        .iter()
        .map(|c| unique.binary_search(c).unwrap_or(0))
        .collect();
    (unique, positions)
}

/// What one read of a file decodes: the columns, the row groups and the
/// predicates checked while decoding.
struct ReadPlan {
    /// The schema of the batches read.
    out_schema: SchemaRef,
    /// The file columns decoded (sorted, once each) and their KQL types.
    unique: Vec<usize>,
    types: Vec<KqlType>,
    /// For each output column, its position in `unique`.
    positions: Vec<usize>,
    /// The row groups to read, in file order.
    groups: Vec<usize>,
    mask: ProjectionMask,
    row_filter: Option<PreFilter>,
    /// Read the encodable string columns as dictionaries.
    encoded: bool,
}

/// Row groups decoded ahead of the reader, per decoding thread.
const AHEAD_PER_THREAD: usize = 1;

impl ParquetFile {
    /// The rows of the columns `projection` names (all without one), from
    /// the row groups that may hold rows satisfying every predicate.
    pub(crate) fn read(
        &self,
        name: &str,
        schema: &SchemaRef,
        projection: Option<&[usize]>,
        predicates: &[ScanPredicate],
    ) -> Result<LoadedTable, Vec<Diagnostic>> {
        let plan = self.plan(schema, projection, predicates, false, None)?;
        let groups = &plan.groups;
        let threads = decode_threads().min(groups.len().max(1));
        // Contiguous runs of row groups, one per thread, keep the row order.
        let parts: Vec<Vec<usize>> = (0..threads)
            .map(|t| groups[groups.len() * t / threads..groups.len() * (t + 1) / threads].to_vec())
            .filter(|p| !p.is_empty())
            .collect();
        self.reserve(&plan, groups)?;
        let decode = |part: Vec<usize>| self.decode(&plan, schema, part);
        let results: Vec<Result<Vec<RecordBatch>, Vec<Diagnostic>>> = if parts.len() <= 1 {
            parts.into_iter().map(decode).collect()
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = parts
                    .into_iter()
                    .map(|p| {
                        let decode = &decode;
                        s.spawn(move || decode(p))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(read_failed(&self.path, "internal error while decoding"))
                        })
                    })
                    .collect()
            })
        };
        let mut batches = Vec::new();
        for r in results {
            batches.extend(r?);
        }
        Ok(LoadedTable {
            name: name.to_string(),
            schema: plan.out_schema,
            batches,
        })
    }

    /// The same rows as [`ParquetFile::read`], one row group at a time as
    /// the caller pulls them: threads decode the next row groups ahead (a
    /// bounded number), and the batches come out in file order. Dropping
    /// the stream stops the decoding.
    ///
    /// With `encoded`, the string columns whose pages are all
    /// dictionary-encoded come as `Dictionary(Int32, Utf8)` (keys and
    /// values never null; a missing string is a `""` value).
    pub(crate) fn stream(
        self: &Arc<Self>,
        schema: &SchemaRef,
        projection: Option<&[usize]>,
        predicates: &[ScanPredicate],
        options: crate::StreamOptions<'_>,
    ) -> Result<crate::TableStream, Vec<Diagnostic>> {
        let plan = Arc::new(self.plan(
            schema,
            projection,
            predicates,
            options.encoded,
            options.test,
        )?);
        let out_schema = plan.out_schema.clone();
        let threads = decode_threads().min(plan.groups.len());
        let batches: crate::BatchIter = if threads <= 1 {
            // One row group or one core: decode each when it is needed.
            let file = Arc::clone(self);
            let schema = schema.clone();
            let groups = plan.groups.clone();
            Box::new(
                groups
                    .into_iter()
                    .map(move |g| {
                        file.reserve(&plan, &[g])?;
                        file.decode(&plan, &schema, vec![g])
                    })
                    .flat_map(|r| match r {
                        Ok(batches) => batches.into_iter().map(Ok).collect::<Vec<_>>(),
                        Err(e) => vec![Err(e)],
                    }),
            )
        } else {
            Box::new(Prefetch::start(
                Arc::clone(self),
                plan,
                schema.clone(),
                threads,
                options.first_rows,
            ))
        };
        Ok(crate::TableStream {
            schema: out_schema,
            batches,
        })
    }

    /// The rows at `positions` (ascending, distinct; row numbers of the
    /// whole file) of the columns `projection` names: only the row groups
    /// holding them are read, and within them only the pages of those rows.
    pub(crate) fn rows_at(
        &self,
        name: &str,
        schema: &SchemaRef,
        projection: &[usize],
        positions: &[u64],
    ) -> Result<LoadedTable, Vec<Diagnostic>> {
        let plan = self.plan(schema, Some(projection), &[], false, None)?;
        let mut groups = Vec::new();
        let mut selectors = Vec::new();
        let mut next = positions.iter().copied().peekable();
        let mut start = 0u64;
        let mut last: Option<u64> = None;
        for (g, rg) in self.meta.metadata().row_groups().iter().enumerate() {
            let end = start + u64::try_from(rg.num_rows()).unwrap_or(0);
            let mut at = start;
            while let Some(p) = next.next_if(|&p| p < end) {
                if last.is_some_and(|l| p <= l) {
                    return Err(read_failed(&self.path, "row positions out of order"));
                }
                last = Some(p);
                if p > at {
                    selectors.push(RowSelector::skip((p - at) as usize));
                }
                selectors.push(RowSelector::select(1));
                at = p + 1;
            }
            if at > start {
                if end > at {
                    selectors.push(RowSelector::skip((end - at) as usize));
                }
                groups.push(g);
            }
            start = end;
        }
        if next.peek().is_some() {
            return Err(read_failed(&self.path, "row position past the end"));
        }
        let mut batches = Vec::new();
        if !groups.is_empty() {
            self.decoded
                .fetch_add(groups.len(), std::sync::atomic::Ordering::Relaxed);
            let file = std::fs::File::open(&self.path).map_err(|e| read_failed(&self.path, e))?;
            let selection = RowSelection::from(selectors);
            let reader = self.reader(
                &file,
                &groups,
                plan.mask.clone(),
                Some(selection),
                BATCH_ROWS,
                false,
            )?;
            for batch in reader {
                let batch = batch.map_err(|e| read_failed(&self.path, e))?;
                batches.push(self.convert(&plan, schema, &batch)?);
            }
        }
        Ok(LoadedTable {
            name: name.to_string(),
            schema: plan.out_schema,
            batches,
        })
    }

    /// The positions of the first `k` rows sorted by `column` (see
    /// `TableHandle::top_positions`). Every row group's maximum (minimum,
    /// ascending) is some row's value, so the `k`th largest of them bounds
    /// the `k`th value of the sort: only row groups reaching the bound are
    /// read, and only their rows reaching it are sorted. `None` when the
    /// column is not integer-like or the statistics cannot bound the rows.
    pub(crate) fn top_positions(
        &self,
        schema: &SchemaRef,
        column: usize,
        k: usize,
        descending: bool,
    ) -> Option<Result<Vec<u64>, Vec<Diagnostic>>> {
        let int = |v: &ScalarValue| match v {
            ScalarValue::Long(x) | ScalarValue::DateTime(x) | ScalarValue::TimeSpan(x) => Some(*x),
            ScalarValue::Int(x) => Some(i64::from(*x)),
            _ => None,
        };
        let ranges = self.ranges(column)?;
        let mut ends = Vec::with_capacity(ranges.len());
        for r in &ranges {
            if let Some((lo, hi)) = &r.bounds {
                ends.push(int(if descending { hi } else { lo })?);
            }
        }
        if k == 0 || ends.len() < k {
            return None;
        }
        ends.sort_unstable();
        let bound = if descending {
            ends[ends.len() - k]
        } else {
            ends[k - 1]
        };
        let reaches = |v: i64| if descending { v >= bound } else { v <= bound };
        let groups: Vec<usize> = ranges
            .iter()
            .enumerate()
            .filter(|(_, r)| match &r.bounds {
                Some((lo, hi)) => int(if descending { hi } else { lo }).is_none_or(reaches),
                None => !r.all_null,
            })
            .map(|(g, _)| g)
            .collect();
        Some(self.top_in_groups(schema, column, &groups, k, descending, reaches))
    }

    /// The first `k` rows by `column` among the rows of `groups` that
    /// `reaches` keeps (see [`ParquetFile::top_positions`]).
    fn top_in_groups(
        &self,
        schema: &SchemaRef,
        column: usize,
        groups: &[usize],
        k: usize,
        descending: bool,
        reaches: impl Fn(i64) -> bool,
    ) -> Result<Vec<u64>, Vec<Diagnostic>> {
        use arrow_array::cast::AsArray;
        let plan = self.plan(schema, Some(&[column]), &[], false, None)?;
        let mut starts = Vec::with_capacity(self.meta.metadata().num_row_groups());
        let mut at = 0u64;
        for rg in self.meta.metadata().row_groups() {
            starts.push(at);
            at += u64::try_from(rg.num_rows()).unwrap_or(0);
        }
        self.decoded
            .fetch_add(groups.len(), std::sync::atomic::Ordering::Relaxed);
        let file = std::fs::File::open(&self.path).map_err(|e| read_failed(&self.path, e))?;
        // By value (largest first when descending), then position.
        let order = |a: &(i64, u64), b: &(i64, u64)| {
            let by_value = if descending {
                b.0.cmp(&a.0)
            } else {
                a.0.cmp(&b.0)
            };
            by_value.then(a.1.cmp(&b.1))
        };
        let keep_best = |found: &mut Vec<(i64, u64)>| {
            if found.len() > k {
                found.select_nth_unstable_by(k - 1, order);
                found.truncate(k);
            }
        };
        let mut found: Vec<(i64, u64)> = Vec::new();
        for &g in groups {
            let mut pos = starts.get(g).copied().unwrap_or(0);
            let reader = self.reader(&file, &[g], plan.mask.clone(), None, BATCH_ROWS, false)?;
            for batch in reader {
                let batch = batch.map_err(|e| read_failed(&self.path, e))?;
                let batch = self.convert(&plan, schema, &batch)?;
                let col = batch.column(0);
                let mut take = |v: Option<i64>, p: u64| {
                    if let Some(v) = v.filter(|&v| reaches(v)) {
                        found.push((v, p));
                    }
                };
                if let Some(a) = col.as_primitive_opt::<arrow_array::types::Int64Type>() {
                    for (i, v) in a.iter().enumerate() {
                        take(v, pos + i as u64);
                    }
                } else if let Some(a) = col.as_primitive_opt::<arrow_array::types::Int32Type>() {
                    for (i, v) in a.iter().enumerate() {
                        take(v.map(i64::from), pos + i as u64);
                    }
                } else {
                    return Err(read_failed(
                        &self.path,
                        "internal error: not an integer column",
                    ));
                }
                pos += batch.num_rows() as u64;
                if found.len() > (4 * k).max(1 << 16) {
                    keep_best(&mut found);
                }
                kql_common::memory::check().map_err(|d| vec![d])?;
            }
        }
        keep_best(&mut found);
        found.sort_unstable_by(order);
        Ok(found.into_iter().map(|(_, p)| p).collect())
    }

    /// Fails when decoding the row groups `groups` as `plan` says would
    /// take the query past its memory budget: decoded columns take at least
    /// their uncompressed size (unknown when a filter is checked while
    /// reading, which keeps only some rows).
    fn reserve(&self, plan: &ReadPlan, groups: &[usize]) -> Result<(), Vec<Diagnostic>> {
        if plan.row_filter.is_some() {
            return Ok(());
        }
        let schema = self.meta.parquet_schema();
        let size: i64 = groups
            .iter()
            .flat_map(|&g| {
                self.meta
                    .metadata()
                    .row_group(g)
                    .columns()
                    .iter()
                    .enumerate()
            })
            .filter(|(leaf, _)| plan.unique.contains(&schema.get_column_root_idx(*leaf)))
            .map(|(_, c)| c.uncompressed_size())
            .sum();
        let what = format!("{} columns of {}", plan.unique.len(), self.origin);
        kql_common::memory::reserve(u64::try_from(size).unwrap_or(0), &what).map_err(|d| vec![d])
    }

    /// The read plan for a projection and predicates.
    fn plan(
        &self,
        schema: &SchemaRef,
        projection: Option<&[usize]>,
        predicates: &[ScanPredicate],
        encoded: bool,
        test: Option<&crate::RowTest>,
    ) -> Result<ReadPlan, Vec<Diagnostic>> {
        let ncols = self.types.len();
        let cols: Vec<usize> = match projection {
            Some(p) => p.to_vec(),
            None => (0..ncols).collect(),
        };
        let out_schema = Arc::new(
            schema
                .project(&cols)
                .map_err(|e| read_failed(&self.path, e))?,
        );
        let (unique, positions) = decode_plan(&cols);
        let groups = self.row_groups(predicates);
        let mask = ProjectionMask::roots(self.meta.parquet_schema(), unique.iter().copied());
        let types: Vec<KqlType> = unique.iter().map(|&c| self.types[c]).collect();
        let row_filter = match test {
            Some(t) => Some(self.tested_filter(t)),
            None => self.row_filter(predicates, &unique),
        };
        let encoded =
            encoded && self.encoded_meta.is_some() && unique.iter().any(|&c| self.encodable[c]);
        Ok(ReadPlan {
            out_schema,
            unique,
            types,
            positions,
            groups,
            mask,
            row_filter,
            encoded,
        })
    }

    /// Decodes the row groups `part` (in order) as `plan` says.
    fn decode(
        &self,
        plan: &ReadPlan,
        schema: &SchemaRef,
        part: Vec<usize>,
    ) -> Result<Vec<RecordBatch>, Vec<Diagnostic>> {
        self.decoded
            .fetch_add(part.len(), std::sync::atomic::Ordering::Relaxed);
        let file = std::fs::File::open(&self.path).map_err(|e| read_failed(&self.path, e))?;
        let mut out = Vec::new();
        match &plan.row_filter {
            None => {
                let reader = self.reader(
                    &file,
                    &part,
                    plan.mask.clone(),
                    None,
                    BATCH_ROWS,
                    plan.encoded,
                )?;
                for batch in reader {
                    let batch = batch.map_err(|e| read_failed(&self.path, e))?;
                    out.push(self.convert(plan, schema, &batch)?);
                    kql_common::memory::check().map_err(|d| vec![d])?;
                }
            }
            Some(f) => {
                for g in part {
                    self.filtered_group(plan, schema, &file, g, f, &mut out)?;
                    kql_common::memory::check().map_err(|d| vec![d])?;
                }
            }
        }
        Ok(out)
    }

    /// A reader of `columns` of the row groups `groups`, of the rows
    /// `selection` picks.
    fn reader(
        &self,
        file: &std::fs::File,
        groups: &[usize],
        columns: ProjectionMask,
        selection: Option<RowSelection>,
        batch_rows: usize,
        encoded: bool,
    ) -> Result<ParquetRecordBatchReader, Vec<Diagnostic>> {
        let file = file.try_clone().map_err(|e| read_failed(&self.path, e))?;
        let meta = match (&self.encoded_meta, encoded) {
            (Some(m), true) => m.clone(),
            _ => self.meta.clone(),
        };
        let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta)
            .with_projection(columns)
            .with_row_groups(groups.to_vec())
            .with_batch_size(batch_rows.max(1));
        if let Some(s) = selection {
            builder = builder.with_row_selection(s);
        }
        builder.build().map_err(|e| read_failed(&self.path, e))
    }

    /// All rows a reader yields, as one array per column.
    fn read_all(
        &self,
        reader: ParquetRecordBatchReader,
        ncols: usize,
    ) -> Result<Vec<ArrayRef>, Vec<Diagnostic>> {
        let mut parts: Vec<Vec<ArrayRef>> = vec![Vec::new(); ncols];
        for batch in reader {
            let batch = batch.map_err(|e| read_failed(&self.path, e))?;
            for (p, a) in parts.iter_mut().zip(batch.columns()) {
                p.push(a.clone());
            }
        }
        parts
            .into_iter()
            .map(|p| match p.as_slice() {
                [one] => Ok(one.clone()),
                _ => {
                    let refs: Vec<&dyn Array> = p.iter().map(|a| a.as_ref()).collect();
                    arrow_select::concat::concat(&refs).map_err(|e| read_failed(&self.path, e))
                }
            })
            .collect()
    }

    /// One row group when predicates were pushed down: their columns
    /// first, then the others, only for the matching rows when few match.
    fn filtered_group(
        &self,
        plan: &ReadPlan,
        schema: &SchemaRef,
        file: &std::fs::File,
        group: usize,
        f: &PreFilter,
        out: &mut Vec<RecordBatch>,
    ) -> Result<(), Vec<Diagnostic>> {
        let rows = usize::try_from(self.meta.metadata().row_group(group).num_rows()).unwrap_or(0);
        let pq_schema = self.meta.parquet_schema();
        let reader = self.reader(
            file,
            &[group],
            ProjectionMask::roots(pq_schema, f.columns.iter().copied()),
            None,
            rows,
            plan.encoded,
        )?;
        let raw = self.read_all(reader, f.columns.len())?;
        // A predicate column that does not convert checks nothing here; if
        // it is also read for the query, its conversion error is reported.
        let mut tested: Vec<Option<ArrayRef>> = Vec::with_capacity(raw.len());
        for ((a, &ty), &c) in raw.iter().zip(&f.types).zip(&f.columns) {
            match self.to_kql(plan, c, a, ty) {
                Ok(k) => tested.push(Some(k)),
                Err(e) if plan.unique.binary_search(&c).is_ok() || f.test.is_some() => {
                    return Err(self.bad_value(schema, c, e));
                }
                Err(_) => tested.push(None),
            }
        }
        let keep = match &f.test {
            Some((t, at)) => {
                let mut fields = Vec::with_capacity(at.len());
                let mut columns = Vec::with_capacity(at.len());
                for (&k, &c) in at.iter().zip(&t.columns) {
                    let Some(Some(a)) = tested.get(k) else {
                        return Err(read_failed(&self.path, "internal error while decoding"));
                    };
                    fields.push(
                        schema
                            .field(c)
                            .clone()
                            .with_data_type(a.data_type().clone()),
                    );
                    columns.push(a.clone());
                }
                let batch = RecordBatch::try_new_with_options(
                    Arc::new(Schema::new(fields)),
                    columns,
                    &arrow_array::RecordBatchOptions::new().with_row_count(Some(rows)),
                )
                .map_err(|e| read_failed(&self.path, e))?;
                (t.test)(&batch)?
            }
            None => f
                .keep(&tested, rows)
                .map_err(|e| read_failed(&self.path, e))?,
        };
        let matching = keep.count_set_bits();
        if matching == 0 {
            return Ok(());
        }
        let select = (matching as f64) < SELECT_BELOW * rows as f64;
        // A row test's result is exact: the rows that fail it go.
        let exact = f.test.is_some() && matching < rows;
        let keep = BooleanArray::new(keep, None);
        let rest: Vec<usize> = plan
            .unique
            .iter()
            .copied()
            .filter(|c| f.columns.binary_search(c).is_err())
            .collect();
        let rest_raw = if rest.is_empty() {
            Vec::new()
        } else {
            let reader = self.reader(
                file,
                &[group],
                ProjectionMask::roots(pq_schema, rest.iter().copied()),
                select.then(|| RowSelection::from_filters(std::slice::from_ref(&keep))),
                rows,
                plan.encoded,
            )?;
            self.read_all(reader, rest.len())?
        };
        let rest_kql = rest_raw
            .iter()
            .zip(&rest)
            .map(|(a, &c)| {
                self.to_kql(plan, c, a, self.types[c])
                    .map_err(|e| self.bad_value(schema, c, e))
            })
            .collect::<Result<Vec<ArrayRef>, _>>()?;
        // One filter for every column: its row positions (or runs) are
        // worked out once.
        let filter = (select || exact).then(|| {
            arrow_select::filter::FilterBuilder::new(&keep)
                .optimize()
                .build()
        });
        let filtered = |a: &ArrayRef| match &filter {
            Some(f) => f.filter(a).map_err(|e| read_failed(&self.path, e)),
            None => Ok(a.clone()),
        };
        let mut columns = Vec::with_capacity(plan.unique.len());
        let mut next_rest = rest_kql.into_iter();
        for &c in &plan.unique {
            match f.columns.binary_search(&c) {
                Ok(k) => {
                    let Some(Some(a)) = tested.get(k) else {
                        return Err(read_failed(&self.path, "internal error while decoding"));
                    };
                    columns.push(filtered(a)?);
                }
                Err(_) => match next_rest.next() {
                    Some(a) if exact && !select => columns.push(filtered(&a)?),
                    Some(a) => columns.push(a),
                    None => return Err(read_failed(&self.path, "internal error while decoding")),
                },
            }
        }
        let len = if select || exact { matching } else { rows };
        for start in (0..len).step_by(BATCH_ROWS) {
            let n = BATCH_ROWS.min(len - start);
            let sliced = columns.iter().map(|a| a.slice(start, n)).collect();
            out.push(self.assemble(plan, sliced, n)?);
        }
        Ok(())
    }

    fn bad_value(&self, schema: &SchemaRef, column: usize, e: String) -> Vec<Diagnostic> {
        vec![Diagnostic::error(
            diag::BAD_VALUE,
            format!(
                "column {} of {}: {e}",
                schema.field(column).name(),
                self.origin
            ),
        )]
    }

    /// A batch as the reader decoded it (`plan.unique` columns), in KQL
    /// layout and in the output's column order.
    fn convert(
        &self,
        plan: &ReadPlan,
        schema: &SchemaRef,
        batch: &RecordBatch,
    ) -> Result<RecordBatch, Vec<Diagnostic>> {
        let converted = batch
            .columns()
            .iter()
            .zip(&plan.types)
            .zip(&plan.unique)
            .map(|((a, &t), &c)| {
                self.to_kql(plan, c, a, t)
                    .map_err(|e| self.bad_value(schema, c, e))
            })
            .collect::<Result<Vec<ArrayRef>, _>>()?;
        self.assemble(plan, converted, batch.num_rows())
    }

    /// Column `c` of the file as the reader decoded it, in KQL layout
    /// (kept dictionary-encoded when the plan reads it so).
    fn to_kql(
        &self,
        plan: &ReadPlan,
        c: usize,
        a: &ArrayRef,
        ty: KqlType,
    ) -> Result<ArrayRef, String> {
        if plan.encoded && self.encodable[c] {
            if let Some(e) = crate::convert::encoded_string(a) {
                return Ok(e);
            }
        }
        to_kql(a, ty)
    }

    /// The output batch of the decoded columns (in `plan.unique` order).
    fn assemble(
        &self,
        plan: &ReadPlan,
        decoded: Vec<ArrayRef>,
        rows: usize,
    ) -> Result<RecordBatch, Vec<Diagnostic>> {
        let arrays: Vec<ArrayRef> = plan.positions.iter().map(|&p| decoded[p].clone()).collect();
        let schema = if plan.encoded {
            retyped(&plan.out_schema, &arrays)
        } else {
            plan.out_schema.clone()
        };
        RecordBatch::try_new_with_options(
            schema,
            arrays,
            &arrow_array::RecordBatchOptions::new().with_row_count(Some(rows)),
        )
        .map_err(|e| read_failed(&self.path, e))
    }

    /// The predicates a reader can check on their own columns before it
    /// decodes the others (`None` when there are none, or when every column
    /// to decode is one of theirs, so filtering first saves nothing).
    fn row_filter(&self, predicates: &[ScanPredicate], decoded: &[usize]) -> Option<PreFilter> {
        let usable: Vec<&ScanPredicate> = predicates
            .iter()
            .filter(|p| self.types.get(p.column).is_some_and(|&t| checkable(p, t)))
            .collect();
        let mut columns: Vec<usize> = usable.iter().map(|p| p.column).collect();
        columns.sort_unstable();
        columns.dedup();
        if columns.is_empty() || decoded.iter().all(|c| columns.binary_search(c).is_ok()) {
            return None;
        }
        let tests = usable
            .iter()
            .filter_map(|p| {
                let at = columns.binary_search(&p.column).ok()?;
                Some(ColumnTest {
                    at,
                    op: p.op,
                    value: literal(&p.value)?,
                })
            })
            .collect();
        let types = columns.iter().map(|&c| self.types[c]).collect();
        Some(PreFilter {
            columns,
            types,
            tests,
            test: None,
        })
    }

    /// The filter that runs a row test on its columns.
    fn tested_filter(&self, t: &crate::RowTest) -> PreFilter {
        let mut columns = t.columns.clone();
        columns.sort_unstable();
        columns.dedup();
        let at = t
            .columns
            .iter()
            .map(|c| columns.binary_search(c).unwrap_or(0))
            .collect();
        let types = columns.iter().map(|&c| self.types[c]).collect();
        PreFilter {
            columns,
            types,
            tests: Vec::new(),
            test: Some((t.clone(), at)),
        }
    }

    /// The row groups whose statistics do not rule out every predicate.
    pub(crate) fn row_groups(&self, predicates: &[ScanPredicate]) -> Vec<usize> {
        let groups = self.meta.metadata().row_groups();
        let mut keep = vec![true; groups.len()];
        for p in predicates {
            let Some(ranges) = self.ranges(p.column) else {
                continue;
            };
            for (k, r) in keep.iter_mut().zip(ranges) {
                if *k {
                    *k = r.may_match(p);
                }
            }
        }
        keep.iter()
            .enumerate()
            .filter(|(_, k)| **k)
            .map(|(i, _)| i)
            .collect()
    }

    /// What the statistics tell about a column's values in each row group
    /// (`None` when the column's statistics cannot be used).
    fn ranges(&self, column: usize) -> Option<Vec<GroupRange>> {
        let ty = *self.types.get(column)?;
        let field = self.meta.schema().fields().get(column)?;
        // Only where the conversion keeps the order of the values.
        let ordered = match field.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => ty == KqlType::String,
            DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_)
            | DataType::Dictionary(_, _)
            | DataType::Float16 => false,
            dt => native_type(dt) == Some(ty),
        };
        if !ordered {
            return None;
        }
        let conv = StatisticsConverter::try_new(
            field.name(),
            self.meta.schema(),
            self.meta.parquet_schema(),
        )
        .ok()?;
        let groups = self.meta.metadata().row_groups();
        let mins = conv.row_group_mins(groups.iter()).ok()?;
        let maxes = conv.row_group_maxes(groups.iter()).ok()?;
        let nulls = conv.row_group_null_counts(groups.iter()).ok()?;
        if mins.len() != groups.len() || maxes.len() != groups.len() || nulls.len() != groups.len()
        {
            return None;
        }
        let (kmins, kmaxes) = (to_kql(&mins, ty).ok()?, to_kql(&maxes, ty).ok()?);
        Some(
            groups
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    let null_count = (!nulls.is_null(i)).then(|| nulls.value(i));
                    let all_null =
                        null_count.is_some_and(|n| i64::try_from(n).ok() == Some(g.num_rows()));
                    let bounds = if mins.is_null(i) || maxes.is_null(i) {
                        None
                    } else {
                        scalar_at(&kmins, ty, i).zip(scalar_at(&kmaxes, ty, i))
                    };
                    GroupRange {
                        bounds,
                        all_null,
                        // A missing string reads as "".
                        empty_string: ty == KqlType::String && null_count != Some(0),
                    }
                })
                .collect(),
        )
    }
}

/// Predicates checked while reading, on their columns in KQL layout (so a
/// missing string is `""` and times are 100 ns ticks, as the query's own
/// filter sees them).
#[derive(Clone)]
struct PreFilter {
    /// The table columns the predicates read, sorted, once each.
    columns: Vec<usize>,
    /// Their KQL types.
    types: Vec<KqlType>,
    tests: Vec<ColumnTest>,
    /// A row test instead of `tests`, and for each of its columns, where
    /// `columns` holds it. Its result is exact: only the rows that pass
    /// are read.
    test: Option<(crate::RowTest, Vec<usize>)>,
}

/// `columns[at] op value`.
#[derive(Clone)]
struct ColumnTest {
    at: usize,
    op: ScanOp,
    value: Scalar<ArrayRef>,
}

impl PreFilter {
    /// Which of `rows` rows satisfy every test, given the predicates'
    /// columns in KQL layout (`None` for a column that did not convert:
    /// its tests keep every row).
    fn keep(&self, columns: &[Option<ArrayRef>], rows: usize) -> Result<BooleanBuffer, ArrowError> {
        let mut acc = BooleanBuffer::new_set(rows);
        for t in &self.tests {
            let Some(Some(converted)) = columns.get(t.at) else {
                continue;
            };
            acc = &acc & &satisfies(converted, t.op, &t.value)?;
        }
        Ok(acc)
    }
}

/// Which values of `column` (in KQL layout) satisfy `op value`; a null
/// satisfies none (strings are never null in KQL layout).
pub(crate) fn satisfies(
    column: &ArrayRef,
    op: ScanOp,
    value: &Scalar<ArrayRef>,
) -> Result<BooleanBuffer, ArrowError> {
    let lhs: &dyn Datum = column;
    let r = match op {
        ScanOp::Eq => arrow_ord::cmp::eq(lhs, value),
        ScanOp::Lt => arrow_ord::cmp::lt(lhs, value),
        ScanOp::Le => arrow_ord::cmp::lt_eq(lhs, value),
        ScanOp::Gt => arrow_ord::cmp::gt(lhs, value),
        ScanOp::Ge => arrow_ord::cmp::gt_eq(lhs, value),
    }?;
    Ok(match r.nulls() {
        Some(n) => r.values() & n.inner(),
        None => r.values().clone(),
    })
}

/// Below this share of a row group's rows satisfying the predicates, the
/// other columns are decoded for those rows only; above it, for every row
/// (skipping rows costs more than it saves when few are skipped, and the
/// query's own filter drops them anyway).
const SELECT_BELOW: f64 = 0.5;

/// Whether `p` can be checked on its column, of KQL type `ty`, with
/// [`satisfies`].
pub(crate) fn checkable(p: &ScanPredicate, ty: KqlType) -> bool {
    p.value.kql_type() == ty
        && matches!(
            ty,
            KqlType::Bool
                | KqlType::Int
                | KqlType::Long
                | KqlType::DateTime
                | KqlType::TimeSpan
                | KqlType::String
        )
}

/// A predicate's value as a one-element array in KQL layout.
pub(crate) fn literal(v: &ScalarValue) -> Option<Scalar<ArrayRef>> {
    let a: ArrayRef = match v {
        ScalarValue::Bool(b) => Arc::new(BooleanArray::from(vec![*b])),
        ScalarValue::Int(x) => Arc::new(Int32Array::from(vec![*x])),
        ScalarValue::Long(x) | ScalarValue::DateTime(x) | ScalarValue::TimeSpan(x) => {
            Arc::new(Int64Array::from(vec![*x]))
        }
        ScalarValue::String(s) => Arc::new(StringArray::from(vec![s.as_str()])),
        _ => return None,
    };
    Some(Scalar::new(a))
}

/// One column's values in one row group, as far as its statistics tell.
struct GroupRange {
    /// The smallest and largest non-null value.
    bounds: Option<(ScalarValue, ScalarValue)>,
    all_null: bool,
    /// The group may hold `""` outside `bounds` (a null string).
    empty_string: bool,
}

impl GroupRange {
    fn may_match(&self, p: &ScanPredicate) -> bool {
        if self.empty_string && p.matches(&ScalarValue::String(String::new())) != Some(false) {
            return true;
        }
        if self.all_null {
            return false;
        }
        match &self.bounds {
            Some((lo, hi)) => p.may_match_range(lo, hi),
            None => true,
        }
    }
}

/// The value at `i` of a column in KQL layout (`None` when null).
fn scalar_at(a: &ArrayRef, ty: KqlType, i: usize) -> Option<ScalarValue> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int32Type, Int64Type};
    if a.is_null(i) {
        return None;
    }
    Some(match ty {
        KqlType::Bool => ScalarValue::Bool(a.as_boolean().value(i)),
        KqlType::Int => ScalarValue::Int(a.as_primitive::<Int32Type>().value(i)),
        KqlType::Long => ScalarValue::Long(a.as_primitive::<Int64Type>().value(i)),
        KqlType::DateTime => ScalarValue::DateTime(a.as_primitive::<Int64Type>().value(i)),
        KqlType::TimeSpan => ScalarValue::TimeSpan(a.as_primitive::<Int64Type>().value(i)),
        KqlType::Real => ScalarValue::Real(a.as_primitive::<Float64Type>().value(i)),
        KqlType::String => ScalarValue::String(a.as_string::<i32>().value(i).to_string()),
        _ => return None,
    })
}

/// `schema` with each field typed as its column in `columns` is (names and
/// metadata kept).
fn retyped(schema: &SchemaRef, columns: &[ArrayRef]) -> SchemaRef {
    if schema
        .fields()
        .iter()
        .zip(columns)
        .all(|(f, c)| f.data_type() == c.data_type())
    {
        return schema.clone();
    }
    let fields: Vec<arrow_schema::Field> = schema
        .fields()
        .iter()
        .zip(columns)
        .map(|(f, c)| f.as_ref().clone().with_data_type(c.data_type().clone()))
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// Threads that decode row groups.
fn decode_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
}

/// The decoded row groups of one read, by their number in the read.
type Decoded = Result<Vec<RecordBatch>, Vec<Diagnostic>>;

/// What the decoding threads of a [`Prefetch`] share with the reader.
#[derive(Default)]
struct Progress {
    /// The next row group (by number in the read) a thread may claim.
    claimed: usize,
    /// Row groups before this one may be claimed.
    allowed: usize,
    /// Set when the reader is dropped.
    stop: bool,
}

/// Row groups decoded by threads ahead of the reader, handed out in file
/// order. A reader that reads every row has one row group decoding on each
/// thread from the start. For one that may stop after the first rows
/// (`take`), decoding follows demand: a row group is decoded once the
/// reader asks for it or for one shortly before it; the lead grows by one
/// row group with each row group asked for, up to [`AHEAD_PER_THREAD`] per
/// thread. So a `take` that the first row group satisfies has had only
/// that one decoded, and a reader that reads on keeps all threads busy.
struct Prefetch {
    progress: Arc<(std::sync::Mutex<Progress>, std::sync::Condvar)>,
    results: std::sync::mpsc::Receiver<(usize, Decoded)>,
    /// Row groups decoded out of order, waiting for their turn.
    early: std::collections::BTreeMap<usize, Decoded>,
    /// The batches of the row group being read.
    current: std::collections::VecDeque<RecordBatch>,
    next: usize,
    total: usize,
    /// The most row groups decoded ahead of the one asked for.
    ahead: usize,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Prefetch {
    fn start(
        file: Arc<ParquetFile>,
        plan: Arc<ReadPlan>,
        schema: SchemaRef,
        threads: usize,
        first_rows: bool,
    ) -> Self {
        let total = plan.groups.len();
        let ahead = AHEAD_PER_THREAD * threads;
        // A reader that reads every row has a row group decoding on every
        // thread from the start.
        let start = Progress {
            allowed: if first_rows { 0 } else { threads },
            ..Progress::default()
        };
        let progress = Arc::new((std::sync::Mutex::new(start), std::sync::Condvar::new()));
        let (tx, results) = std::sync::mpsc::channel();
        let workers = (0..threads)
            .map(|_| {
                let (file, plan, schema) = (file.clone(), plan.clone(), schema.clone());
                let (progress, tx) = (progress.clone(), tx.clone());
                std::thread::spawn(move || loop {
                    let i = {
                        let (lock, wake) = &*progress;
                        let Ok(mut p) = lock.lock() else { return };
                        loop {
                            if p.stop || p.claimed >= total {
                                return;
                            }
                            if p.claimed < p.allowed {
                                break;
                            }
                            p = match wake.wait(p) {
                                Ok(p) => p,
                                Err(_) => return,
                            };
                        }
                        p.claimed += 1;
                        p.claimed - 1
                    };
                    let group = plan.groups[i];
                    let decoded = file
                        .reserve(&plan, &[group])
                        .and_then(|()| file.decode(&plan, &schema, vec![group]));
                    if tx.send((i, decoded)).is_err() {
                        return;
                    }
                })
            })
            .collect();
        Prefetch {
            progress,
            results,
            early: Default::default(),
            current: Default::default(),
            next: 0,
            total,
            ahead,
            workers,
        }
    }

    /// The next row group's batches, in order (`None` after the last).
    fn next_group(&mut self) -> Option<Decoded> {
        if self.next >= self.total {
            return None;
        }
        {
            let (lock, wake) = &*self.progress;
            if let Ok(mut p) = lock.lock() {
                let allowed = self.next + 1 + self.next.min(self.ahead);
                p.allowed = p.allowed.max(allowed);
            }
            wake.notify_all();
        }
        let decoded = loop {
            if let Some(d) = self.early.remove(&self.next) {
                break d;
            }
            match self.results.recv() {
                Ok((i, d)) if i == self.next => break d,
                Ok((i, d)) => {
                    self.early.insert(i, d);
                }
                Err(_) => {
                    break Err(vec![Diagnostic::error(
                        diag::READ_FAILED,
                        "internal error while decoding a Parquet file",
                    )])
                }
            }
        };
        self.next += 1;
        Some(decoded)
    }
}

impl Iterator for Prefetch {
    type Item = Result<RecordBatch, Vec<Diagnostic>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(b) = self.current.pop_front() {
                return Some(Ok(b));
            }
            match self.next_group()? {
                Ok(batches) => self.current.extend(batches),
                Err(e) => {
                    // Nothing after an error.
                    self.next = self.total;
                    return Some(Err(e));
                }
            }
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        let (lock, wake) = &*self.progress;
        if let Ok(mut p) = lock.lock() {
            p.stop = true;
        }
        wake.notify_all();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}
