//! Parquet files: the schema from the footer when the file is opened, and
//! on use only the columns a query reads, only from the row groups whose
//! statistics allow a matching row, decoded in parallel. Within those row
//! groups the columns of the pushed-down predicates are decoded first, and
//! the other columns only for the rows that satisfy them.

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
    ArrowPredicateFn, ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
    RowFilter,
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
    Ok((
        schema,
        ParquetFile {
            path: path.to_path_buf(),
            origin: origin.to_string(),
            meta,
            types,
        },
    ))
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
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
            .min(groups.len().max(1));
        // Contiguous runs of row groups, one per thread, keep the row order.
        let parts: Vec<Vec<usize>> = (0..threads)
            .map(|t| groups[groups.len() * t / threads..groups.len() * (t + 1) / threads].to_vec())
            .filter(|p| !p.is_empty())
            .collect();
        let row_filter = self.row_filter(predicates, &unique);
        if row_filter.is_none() {
            // Decoded columns take at least their uncompressed size: refuse
            // up front what the memory budget cannot hold.
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
                .filter(|(leaf, _)| unique.contains(&schema.get_column_root_idx(*leaf)))
                .map(|(_, c)| c.uncompressed_size())
                .sum();
            let what = format!("{} columns of {}", unique.len(), self.origin);
            kql_common::memory::reserve(u64::try_from(size).unwrap_or(0), &what)
                .map_err(|d| vec![d])?;
        }
        let decode = |part: Vec<usize>| -> Result<Vec<RecordBatch>, Vec<Diagnostic>> {
            let file = std::fs::File::open(&self.path).map_err(|e| read_failed(&self.path, e))?;
            let mut builder =
                ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.meta.clone())
                    .with_projection(mask.clone())
                    .with_row_groups(part)
                    .with_batch_size(BATCH_ROWS);
            if let Some(f) = &row_filter {
                builder = builder.with_row_filter(f.build(self.meta.parquet_schema()));
            }
            let reader = builder.build().map_err(|e| read_failed(&self.path, e))?;
            let mut out = Vec::new();
            for batch in reader {
                let batch = batch.map_err(|e| read_failed(&self.path, e))?;
                let converted = batch
                    .columns()
                    .iter()
                    .zip(&types)
                    .zip(&unique)
                    .map(|((a, t), &c)| {
                        to_kql(a, *t).map_err(|e| {
                            vec![Diagnostic::error(
                                diag::BAD_VALUE,
                                format!(
                                    "column {} of {}: {e}",
                                    schema.field(c).name(),
                                    self.origin
                                ),
                            )]
                        })
                    })
                    .collect::<Result<Vec<ArrayRef>, _>>()?;
                let arrays = positions.iter().map(|&p| converted[p].clone()).collect();
                out.push(
                    RecordBatch::try_new_with_options(
                        out_schema.clone(),
                        arrays,
                        &arrow_array::RecordBatchOptions::new()
                            .with_row_count(Some(batch.num_rows())),
                    )
                    .map_err(|e| read_failed(&self.path, e))?,
                );
                kql_common::memory::check().map_err(|d| vec![d])?;
            }
            Ok(out)
        };
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
            schema: out_schema,
            batches,
        })
    }

    /// The predicates a reader can check on their own columns before it
    /// decodes the others (`None` when there are none, or when every column
    /// to decode is one of theirs, so filtering first saves nothing).
    fn row_filter(&self, predicates: &[ScanPredicate], decoded: &[usize]) -> Option<PreFilter> {
        let usable: Vec<&ScanPredicate> = predicates
            .iter()
            .filter(|p| {
                self.types.get(p.column).is_some_and(|&t| {
                    p.value.kql_type() == t
                        && matches!(
                            t,
                            KqlType::Bool
                                | KqlType::Int
                                | KqlType::Long
                                | KqlType::DateTime
                                | KqlType::TimeSpan
                                | KqlType::String
                        )
                })
            })
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
        })
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
}

/// `columns[at] op value`.
#[derive(Clone)]
struct ColumnTest {
    at: usize,
    op: ScanOp,
    value: Scalar<ArrayRef>,
}

impl PreFilter {
    /// The row filter of one reader.
    fn build(&self, schema: &parquet::schema::types::SchemaDescriptor) -> RowFilter {
        let mask = ProjectionMask::roots(schema, self.columns.iter().copied());
        let this = self.clone();
        let f = ArrowPredicateFn::new(mask, move |batch: RecordBatch| this.keep(&batch));
        RowFilter::new(vec![Box::new(f)])
    }

    /// Which rows of `batch` (the predicates' columns as the file stores
    /// them) satisfy every test. A column that does not convert keeps every
    /// row: the full read reports the error.
    fn keep(&self, batch: &RecordBatch) -> Result<BooleanArray, ArrowError> {
        let rows = batch.num_rows();
        let mut kql: Vec<Option<ArrayRef>> = vec![None; self.columns.len()];
        let mut acc = BooleanBuffer::new_set(rows);
        for t in &self.tests {
            let (Some(col), Some(&ty)) = (batch.columns().get(t.at), self.types.get(t.at)) else {
                continue;
            };
            let converted = match &kql[t.at] {
                Some(a) => a.clone(),
                None => match to_kql(col, ty) {
                    Ok(a) => {
                        kql[t.at] = Some(a.clone());
                        a
                    }
                    Err(_) => continue,
                },
            };
            let lhs: &dyn Datum = &converted;
            let r = match t.op {
                ScanOp::Eq => arrow_ord::cmp::eq(lhs, &t.value),
                ScanOp::Lt => arrow_ord::cmp::lt(lhs, &t.value),
                ScanOp::Le => arrow_ord::cmp::lt_eq(lhs, &t.value),
                ScanOp::Gt => arrow_ord::cmp::gt(lhs, &t.value),
                ScanOp::Ge => arrow_ord::cmp::gt_eq(lhs, &t.value),
            }?;
            // A null value satisfies no predicate (strings are never null
            // in KQL layout).
            let hit = match r.nulls() {
                Some(n) => r.values() & n.inner(),
                None => r.values().clone(),
            };
            acc = &acc & &hit;
        }
        Ok(BooleanArray::new(acc, None))
    }
}

/// A predicate's value as a one-element array in KQL layout.
fn literal(v: &ScalarValue) -> Option<Scalar<ArrayRef>> {
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
