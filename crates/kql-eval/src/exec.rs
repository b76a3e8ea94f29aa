//! Executes plan nodes, one function per node kind.

use crate::aggregate::aggregate_stream;
use crate::error::{runtime, EvalResult};
use crate::expr::{arrow_err, eval, eval_plain};
use crate::stream::Pipeline;
use crate::value::{scalars_to_array, ColumnarValue};
use crate::{arrow_schema_of, first_diagnostic, EvalContext, Table, TableSource};
use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, UInt32Array};
use arrow::compute::{concat_batches, lexsort_to_indices, take_record_batch};
use arrow::compute::{SortColumn, SortOptions};
use arrow::datatypes::UInt32Type;
use arrow::datatypes::{DataType, Field, Schema as ArrowSchema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use kql_common::{Diagnostic, KqlType, ScalarValue, ScanOp, ScanPredicate};
use kql_planner::plan::BinOp;
use kql_planner::plan::{Filter, Limit, Project, Range, Sort, Values};
use kql_planner::{LogicalPlan, PlanExpr, PlanExprKind};
use std::sync::Arc;

/// Largest number of rows `range` may produce.
const MAX_RANGE_ROWS: i64 = 100_000_000;

/// Runs `plan` to completion and returns its rows.
pub fn execute(plan: &LogicalPlan, data: &dyn TableSource, ctx: &EvalContext) -> EvalResult<Table> {
    ctx.check_cancelled()?;
    match plan {
        LogicalPlan::Scan(_)
        | LogicalPlan::Filter(_)
        | LogicalPlan::Project(_)
        | LogicalPlan::Parse(_)
        | LogicalPlan::Serialize(_) => open(plan, data, ctx)?.collect(),
        LogicalPlan::Values(v) => values(v),
        LogicalPlan::SingleRow => {
            let schema = arrow_schema_of(&plan.schema());
            let batch = RecordBatch::try_new_with_options(
                schema.clone(),
                vec![],
                &RecordBatchOptions::new().with_row_count(Some(1)),
            )
            .map_err(arrow_err)?;
            Ok(Table {
                schema,
                batches: vec![batch],
            })
        }
        LogicalPlan::Range(r) => range(r),
        LogicalPlan::Sort(s) => sort(s, None, data, ctx),
        LogicalPlan::Limit(l) => limit(l, data, ctx),
        LogicalPlan::Aggregate(a) => {
            aggregate_stream(a, open(&a.input, data, ctx)?.keep_encoded(), ctx)
        }
        LogicalPlan::Join(j) => {
            // The right side is built first; the left side streams.
            let right = execute(&j.right, data, ctx)?;
            let narrowed = narrowed_left(j, &right, data, ctx)?;
            let left = open(narrowed.as_ref().unwrap_or(&j.left), data, ctx)?;
            crate::join::join_stream(j, left, &right, false, ctx)
        }
        LogicalPlan::Union(u) => {
            let inputs = u
                .inputs
                .iter()
                .map(|p| execute(p, data, ctx))
                .collect::<EvalResult<Vec<Table>>>()?;
            crate::union::union(u, &inputs)
        }
        LogicalPlan::MvExpand(m) => {
            let input = execute(&m.input, data, ctx)?;
            crate::mv_expand::mv_expand(m, &input)
        }
        LogicalPlan::Partition(p) => {
            let input = execute(&p.input, data, ctx)?;
            crate::mv_expand::partition(p, &input, data, ctx)
        }
        LogicalPlan::MvApply(m) => {
            let input = execute(&m.input, data, ctx)?;
            crate::mv_expand::mv_apply(m, &input, data, ctx)
        }
        LogicalPlan::Window(w) => {
            let input = execute(&w.input, data, ctx)?;
            crate::window::window(w, &input, ctx)
        }
        LogicalPlan::MakeSeries(m) => {
            let input = execute(&m.input, data, ctx)?;
            crate::aggregate::make_series(m, &input, ctx)
        }
        LogicalPlan::RowOp(r) => {
            let input = execute(&r.input, data, ctx)?;
            crate::rowops::row_op(r, &input, data, ctx)
        }
    }
}

/// The rows of `plan` as a pipeline: scans, filters, projections, `parse`
/// and limits (not under a sort) stream from the table source a window at a
/// time; any other plan runs to completion and its table is the input.
pub(crate) fn open<'a>(
    plan: &'a LogicalPlan,
    data: &'a dyn TableSource,
    ctx: &'a EvalContext,
) -> EvalResult<Pipeline<'a>> {
    open_for(plan, data, ctx, false)
}

/// [`open`], for a consumer that may stop after the first rows when
/// `first_rows` (a limit above): sources then read as the rows are asked
/// for instead of reading ahead on every core.
fn open_for<'a>(
    plan: &'a LogicalPlan,
    data: &'a dyn TableSource,
    ctx: &'a EvalContext,
    first_rows: bool,
) -> EvalResult<Pipeline<'a>> {
    ctx.check_cancelled()?;
    match plan {
        LogicalPlan::Scan(s) => source(
            &s.table,
            None,
            &[],
            scan_options(None, first_rows),
            None,
            data,
            ctx,
        ),
        LogicalPlan::Filter(f) => filter(f, data, ctx, first_rows),
        LogicalPlan::Project(p) => match scan_columns(p) {
            // Only some columns of a table: read just those.
            Some((table, cols)) => read_columns(
                p,
                table,
                &cols,
                &[],
                scan_options(None, first_rows),
                data,
                ctx,
            ),
            None => project(p, data, ctx, first_rows),
        },
        LogicalPlan::Limit(l) if !matches!(l.input.as_ref(), LogicalPlan::Sort(_)) => {
            Ok(open_for(&l.input, data, ctx, true)?.limit(l.count))
        }
        LogicalPlan::Serialize(input) => open_for(input, data, ctx, first_rows),
        LogicalPlan::Join(j) => {
            // Read through a pipeline, the output may keep encoded left
            // columns (the pipeline spells them out for consumers that
            // do not take them).
            let right = execute(&j.right, data, ctx)?;
            let narrowed = narrowed_left(j, &right, data, ctx)?;
            let left = open(narrowed.as_ref().unwrap_or(&j.left), data, ctx)?;
            let t = crate::join::join_stream(j, left, &right, true, ctx)?;
            Ok(Pipeline::from_table(t, ctx))
        }
        LogicalPlan::Parse(p) => {
            // Row by row: each batch on its own.
            let input = open_for(&p.input, data, ctx, first_rows)?;
            let schema = arrow_schema_of(&plan.schema());
            Ok(input.then(
                schema,
                Box::new(move |b: &RecordBatch| {
                    let b = crate::dict::plain_batch(b)?;
                    let one = Table {
                        schema: b.schema(),
                        batches: vec![b],
                    };
                    let out = crate::parse::parse(p, &one, ctx)?;
                    Ok(out.batches.into_iter().find(|b| b.num_rows() > 0))
                }),
            ))
        }
        other => Ok(Pipeline::from_table(execute(other, data, ctx)?, ctx)),
    }
}

/// How the pipeline reads a table: string columns may come encoded.
fn scan_options(test: Option<crate::RowTest>, first_rows: bool) -> crate::ScanOptions {
    crate::ScanOptions {
        encoded: true,
        test,
        first_rows,
    }
}

/// A pipeline over a table's stream; with `schema`, the batches are
/// re-labelled with it (a projection's names for the columns it picks).
fn source<'a>(
    table: &str,
    cols: Option<&[usize]>,
    predicates: &[ScanPredicate],
    options: crate::ScanOptions,
    schema: Option<SchemaRef>,
    data: &dyn TableSource,
    ctx: &'a EvalContext,
) -> EvalResult<Pipeline<'a>> {
    let stream = data
        .stream_with(table, cols, predicates, &options)
        .map_err(first_diagnostic)?;
    Ok(match schema {
        None => Pipeline::new(stream.schema, stream.batches, ctx),
        Some(schema) => {
            let relabel = schema.clone();
            let batches = stream.batches.map(move |b| {
                let b = b?;
                RecordBatch::try_new_with_options(
                    crate::dict::retyped(&relabel, b.columns()),
                    b.columns().to_vec(),
                    &RecordBatchOptions::new().with_row_count(Some(b.num_rows())),
                )
                .map_err(arrow_err)
            });
            Pipeline::new(schema, Box::new(batches), ctx)
        }
    })
}

/// Reads the columns `cols` of `table` as the projection `p` names them,
/// passing `predicates` (on table columns) and `options` to the source.
fn read_columns<'a>(
    p: &Project,
    table: &str,
    cols: &[usize],
    predicates: &[ScanPredicate],
    options: crate::ScanOptions,
    data: &dyn TableSource,
    ctx: &'a EvalContext,
) -> EvalResult<Pipeline<'a>> {
    let schema = arrow_schema_of(&LogicalPlan::Project(p.clone()).schema());
    source(
        table,
        Some(cols),
        predicates,
        options,
        Some(schema),
        data,
        ctx,
    )
}

/// The filter as a test of the table's rows, on the table columns
/// `table_cols` its input columns are (its whole predicate, conjunct by
/// conjunct as [`filter_batch`] runs it).
fn row_test(f: &Filter, table_cols: &[usize], ctx: &EvalContext) -> crate::RowTest {
    let used: Vec<usize> = f.predicate.column_indices().into_iter().collect();
    let columns: Vec<usize> = used.iter().map(|&i| table_cols[i]).collect();
    let width = table_cols.len();
    let parts: Vec<kql_planner::PlanExpr> = f.predicate.conjuncts().into_iter().cloned().collect();
    let ctx = ctx.clone();
    let test = move |b: &RecordBatch| -> EvalResult<arrow::buffer::BooleanBuffer> {
        let n = b.num_rows();
        // The filter's input, with placeholders for the columns it does
        // not read.
        let mut fields = Vec::with_capacity(width);
        let mut columns = Vec::with_capacity(width);
        for i in 0..width {
            match used.binary_search(&i) {
                Ok(k) => {
                    fields.push(b.schema().field(k).clone());
                    columns.push(b.column(k).clone());
                }
                Err(_) => {
                    fields.push(arrow::datatypes::Field::new(
                        format!("unused{i}"),
                        arrow::datatypes::DataType::Null,
                        true,
                    ));
                    columns.push(arrow::array::new_null_array(
                        &arrow::datatypes::DataType::Null,
                        n,
                    ));
                }
            }
        }
        let wide = RecordBatch::try_new_with_options(
            Arc::new(arrow::datatypes::Schema::new(fields)),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(n)),
        )
        .map_err(arrow_err)?;
        let refs: Vec<&kql_planner::PlanExpr> = parts.iter().collect();
        Ok(match selection(&wide, &refs, &ctx)? {
            None => arrow::buffer::BooleanBuffer::new_set(n),
            Some(idx) => {
                let mut bits = arrow::array::BooleanBufferBuilder::new(n);
                bits.append_n(n, false);
                for &i in idx.values() {
                    bits.set_bit(i as usize, true);
                }
                bits.finish()
            }
        })
    };
    crate::RowTest {
        columns,
        test: Arc::new(test),
    }
}

/// The filter's input when it reads a table directly (a scan, or a
/// projection that only picks a scan's columns), with the simple conjuncts
/// of the filter (`column op constant`) as predicates on the table's
/// columns, for the source to skip what cannot match; and, where the
/// source runs row tests while reading, the whole predicate as a row test
/// (then `true`: the rows read are the filter's result).
fn filtered_scan<'a>(
    f: &Filter,
    data: &dyn TableSource,
    ctx: &'a EvalContext,
    first_rows: bool,
) -> Option<(EvalResult<Pipeline<'a>>, bool)> {
    let (table, cols, project) = match f.input.as_ref() {
        LogicalPlan::Scan(s) => (s.table.as_str(), None, None),
        LogicalPlan::Project(p) => {
            let (table, cols) = scan_columns(p)?;
            (table, Some(cols), Some(p))
        }
        _ => return None,
    };
    let table_cols = match &cols {
        Some(c) => c.clone(),
        None => (0..f.input.schema().columns.len()).collect(),
    };
    let mut predicates = Vec::new();
    for part in f.predicate.conjuncts() {
        for (input_col, op, value) in simple_comparisons(part) {
            let column = *table_cols.get(input_col)?;
            predicates.push(ScanPredicate { column, op, value });
        }
    }
    let test = data
        .runs_row_tests(table)
        .then(|| row_test(f, &table_cols, ctx));
    if test.is_none() && predicates.is_empty() {
        return None;
    }
    let tested = test.is_some();
    let options = scan_options(test, first_rows);
    let scan = match (project, &cols) {
        (Some(p), Some(cols)) => read_columns(p, table, cols, &predicates, options, data, ctx),
        _ => source(table, None, &predicates, options, None, data, ctx),
    };
    Some((scan, tested))
}

/// `column op constant` (either way round, or `column between (a .. b)`)
/// over a column and a non-null constant of the same type, as (input
/// column, op, constant); nothing for other expressions.
fn simple_comparisons(e: &PlanExpr) -> Vec<(usize, ScanOp, ScalarValue)> {
    let column_of = |x: &PlanExpr| match &x.kind {
        PlanExprKind::Column { index, .. } if ScanPredicate::supports(x.ty) => Some(*index),
        _ => None,
    };
    let constant = |x: &PlanExpr, ty: KqlType| {
        x.as_literal()
            .filter(|v| !matches!(v, ScalarValue::Null(_)) && v.kql_type() == ty && x.ty == ty)
            .cloned()
    };
    match &e.kind {
        PlanExprKind::Binary { op, left, right } => {
            let op = match op {
                BinOp::Eq => ScanOp::Eq,
                BinOp::Lt => ScanOp::Lt,
                BinOp::Le => ScanOp::Le,
                BinOp::Gt => ScanOp::Gt,
                BinOp::Ge => ScanOp::Ge,
                _ => return vec![],
            };
            if let (Some(c), Some(v)) = (column_of(left), constant(right, left.ty)) {
                return vec![(c, op, v)];
            }
            if let (Some(c), Some(v)) = (column_of(right), constant(left, right.ty)) {
                return vec![(c, op.flipped(), v)];
            }
            vec![]
        }
        PlanExprKind::Between {
            expr,
            low,
            high,
            negated: false,
        } => {
            let Some(c) = column_of(expr) else {
                return vec![];
            };
            let mut out = Vec::new();
            if let Some(v) = constant(low, expr.ty) {
                out.push((c, ScanOp::Ge, v));
            }
            if let Some(v) = constant(high, expr.ty) {
                out.push((c, ScanOp::Le, v));
            }
            out
        }
        _ => vec![],
    }
}

/// When a projection only picks columns of a table scan, the table and the
/// column indices it picks.
/// Most distinct right-side values of a join key that [`narrowed_left`]
/// lists in a test of the left rows.
const MAX_JOIN_KEY_VALUES: usize = 4096;

/// The join's left input with a test that each of its keys is one of the
/// right side's values of that key, when the left input is a table read
/// that runs row tests (a scan, or a filter or projection of one), the join
/// keeps no left row without a match (`inner`, `innerunique`, `leftsemi`,
/// `rightsemi`) and the right side has few values of a string or `long`
/// key (and no nulls). The test runs while the left table is read, so rows
/// that cannot match are dropped before the rest of their columns are
/// decoded. A left row that fails it has no match, so the join's result is
/// the same.
fn narrowed_left(
    j: &kql_planner::plan::Join,
    right: &Table,
    data: &dyn TableSource,
    ctx: &EvalContext,
) -> EvalResult<Option<LogicalPlan>> {
    use kql_planner::plan::JoinKind;
    if !matches!(
        j.kind,
        JoinKind::Inner | JoinKind::InnerUnique | JoinKind::LeftSemi | JoinKind::RightSemi
    ) {
        return Ok(None);
    }
    let (input, existing) = match j.left.as_ref() {
        LogicalPlan::Filter(f) => (&f.input, Some(&f.predicate)),
        _ => (&j.left, None),
    };
    let table = match input.as_ref() {
        LogicalPlan::Scan(s) => s.table.as_str(),
        LogicalPlan::Project(p) => match scan_columns(p) {
            Some((table, _)) => table,
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    if !data.runs_row_tests(table) {
        return Ok(None);
    }
    let mut tests = Vec::new();
    for (l, r) in j.left_keys.iter().zip(&j.right_keys) {
        if let Some(list) = key_values(r, right, ctx)? {
            let span = l.span;
            let kind = PlanExprKind::InList {
                expr: Box::new(l.clone()),
                list,
                negated: false,
                case_insensitive: false,
            };
            tests.push(PlanExpr::new(kind, KqlType::Bool, span));
        }
    }
    let Some(predicate) = existing.cloned().into_iter().chain(tests).reduce(|a, b| {
        let span = a.span;
        let kind = PlanExprKind::Binary {
            op: BinOp::And,
            left: Box::new(a),
            right: Box::new(b),
        };
        PlanExpr::new(kind, KqlType::Bool, span)
    }) else {
        return Ok(None);
    };
    if existing == Some(&predicate) {
        return Ok(None);
    }
    Ok(Some(LogicalPlan::Filter(Filter {
        input: input.clone(),
        predicate,
    })))
}

/// The distinct values of a string or `long` join key over `table`, when
/// there are at most [`MAX_JOIN_KEY_VALUES`] of them and no nulls.
fn key_values(
    key: &PlanExpr,
    table: &Table,
    ctx: &EvalContext,
) -> EvalResult<Option<Vec<ScalarValue>>> {
    if !matches!(key.ty, KqlType::String | KqlType::Long) {
        return Ok(None);
    }
    let mut strings: std::collections::HashSet<String> = Default::default();
    let mut longs: std::collections::HashSet<i64> = Default::default();
    for batch in &table.batches {
        let n = batch.num_rows();
        if n == 0 {
            continue;
        }
        let a = crate::dict::plain(&eval(key, batch, ctx)?.into_array(n))?;
        if a.null_count() > 0 {
            return Ok(None);
        }
        // Stops at the first value past the limit, so a large right side
        // costs no more than the limit.
        if let Some(s) = a.as_string_opt::<i32>() {
            for v in s.iter().flatten() {
                if !strings.contains(v) {
                    if strings.len() == MAX_JOIN_KEY_VALUES {
                        return Ok(None);
                    }
                    strings.insert(v.to_string());
                }
            }
        } else if let Some(x) = a.as_primitive_opt::<arrow::datatypes::Int64Type>() {
            for &v in x.values() {
                if longs.insert(v) && longs.len() > MAX_JOIN_KEY_VALUES {
                    return Ok(None);
                }
            }
        } else {
            return Ok(None);
        }
    }
    // A fixed order, so a plan prints the same each time.
    Ok(Some(match key.ty {
        KqlType::String => {
            let mut v: Vec<String> = strings.into_iter().collect();
            v.sort_unstable();
            v.into_iter().map(ScalarValue::String).collect()
        }
        _ => {
            let mut v: Vec<i64> = longs.into_iter().collect();
            v.sort_unstable();
            v.into_iter().map(ScalarValue::Long).collect()
        }
    }))
}

fn scan_columns(p: &Project) -> Option<(&str, Vec<usize>)> {
    let LogicalPlan::Scan(scan) = p.input.as_ref() else {
        return None;
    };
    let cols = p
        .exprs
        .iter()
        .map(|(_, e)| match &e.kind {
            kql_planner::PlanExprKind::Column { index, .. } => Some(*index),
            _ => None,
        })
        .collect::<Option<Vec<usize>>>()?;
    Some((scan.table.as_str(), cols))
}

fn values(v: &Values) -> EvalResult<Table> {
    let schema = arrow_schema_of(&v.schema);
    let columns = v
        .schema
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let col: Vec<ScalarValue> = v
                .rows
                .iter()
                .map(|r| r.get(i).cloned().unwrap_or(ScalarValue::Null(c.ty)))
                .collect();
            scalars_to_array(&col, c.ty)
        })
        .collect::<EvalResult<Vec<ArrayRef>>>()?;
    let batch = RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(v.rows.len())),
    )
    .map_err(arrow_err)?;
    Ok(Table {
        schema,
        batches: vec![batch],
    })
}

fn range(r: &Range) -> EvalResult<Table> {
    let schema = arrow_schema_of(&LogicalPlan::Range(r.clone()).schema());
    let too_many = || {
        Diagnostic::error(
            "kql::eval::range_too_large",
            format!("range would produce more than {MAX_RANGE_ROWS} rows"),
        )
    };
    let column: ArrayRef = match (&r.start, &r.stop, &r.step) {
        (ScalarValue::Real(a), ScalarValue::Real(b), ScalarValue::Real(s)) => {
            let count = if *s == 0.0 || (b - a) / s < 0.0 || !((b - a) / s).is_finite() {
                0.0
            } else {
                ((b - a) / s).floor() + 1.0
            };
            if count > MAX_RANGE_ROWS as f64 {
                return Err(too_many());
            }
            Arc::new(Float64Array::from_iter_values(
                (0..count as i64).map(|i| a + s * i as f64),
            ))
        }
        (a, b, s) => {
            let get = |v: &ScalarValue| match v {
                ScalarValue::Long(x) | ScalarValue::DateTime(x) | ScalarValue::TimeSpan(x) => {
                    Some(*x)
                }
                ScalarValue::Int(x) => Some(i64::from(*x)),
                _ => None,
            };
            match (get(a), get(b), get(s)) {
                (Some(a), Some(b), Some(s)) if s != 0 && (b - a).signum() * s.signum() >= 0 => {
                    let count = (b - a) / s + 1;
                    if count > MAX_RANGE_ROWS {
                        return Err(too_many());
                    }
                    Arc::new(Int64Array::from_iter_values((0..count).map(|i| a + s * i)))
                }
                _ => Arc::new(Int64Array::from(Vec::<i64>::new())),
            }
        }
    };
    let column = if r.ty == KqlType::Int {
        arrow::compute::kernels::cast::cast(&column, &arrow::datatypes::DataType::Int32)
            .map_err(arrow_err)?
    } else {
        column
    };
    let batch = RecordBatch::try_new(schema.clone(), vec![column]).map_err(arrow_err)?;
    // Batches of a bounded size, like a table's, so later steps stream.
    const BATCH: usize = 65_536;
    let n = batch.num_rows();
    let batches = (0..n.div_ceil(BATCH))
        .map(|i| batch.slice(i * BATCH, BATCH.min(n - i * BATCH)))
        .collect();
    Ok(Table { schema, batches })
}

/// Keeps the rows where every conjunct of the predicate is true.
///
/// The conjuncts run in the order written. After the first, each one is
/// evaluated only on the rows still selected, over just the columns it
/// reads, so a cheap selective test up front spares the later ones most of
/// the work; the surviving rows are copied once at the end.
fn filter<'a>(
    f: &'a Filter,
    data: &'a dyn TableSource,
    ctx: &'a EvalContext,
    first_rows: bool,
) -> EvalResult<Pipeline<'a>> {
    let input = match filtered_scan(f, data, ctx, first_rows) {
        // The source runs the whole filter.
        Some((scan, true)) => return scan,
        Some((scan, false)) => scan?,
        None => open_for(&f.input, data, ctx, first_rows)?,
    };
    let parts = f.predicate.conjuncts();
    let schema = input.schema.clone();
    Ok(input.then(
        schema,
        Box::new(move |b: &RecordBatch| filter_batch(b, &parts, ctx)),
    ))
}

/// The rows of one batch that pass every conjunct (`None` if none does).
/// Dictionary-encoded columns stay encoded (only their keys are taken), so
/// the output batch's schema is typed as its columns are.
fn filter_batch(
    batch: &RecordBatch,
    parts: &[&kql_planner::PlanExpr],
    ctx: &EvalContext,
) -> EvalResult<Option<RecordBatch>> {
    ctx.check_cancelled()?;
    let n = batch.num_rows();
    Ok(match selection(batch, parts, ctx)? {
        None => Some(batch.clone()),
        Some(idx) if idx.len() == n => Some(batch.clone()),
        Some(idx) if idx.is_empty() => None,
        Some(idx) => Some(take_record_batch(batch, &idx).map_err(arrow_err)?),
    })
}

/// The rows of one batch that pass every conjunct (`None`: all of them).
fn selection(
    batch: &RecordBatch,
    parts: &[&kql_planner::PlanExpr],
    ctx: &EvalContext,
) -> EvalResult<Option<UInt32Array>> {
    let n = batch.num_rows();
    // None: every row is still selected.
    let mut selected: Option<UInt32Array> = None;
    for part in parts {
        let (view, len) = match &selected {
            None => (batch.clone(), n),
            Some(idx) => (narrow(batch, idx, &part.column_indices())?, idx.len()),
        };
        let mask = match eval(part, &view, ctx)? {
            ColumnarValue::Scalar(ScalarValue::Bool(true)) => continue,
            ColumnarValue::Scalar(_) => BooleanArray::from(vec![false; len]),
            ColumnarValue::Array(a) => a
                .as_boolean_opt()
                .ok_or_else(|| {
                    crate::error::internal(format!("a predicate of type {}", a.data_type()))
                })?
                .clone(),
        };
        let hits = mask_indices(&mask);
        selected = Some(match &selected {
            None => hits,
            Some(prev) => {
                let taken = arrow::compute::take(prev, &hits, None).map_err(arrow_err)?;
                taken.as_primitive::<UInt32Type>().clone()
            }
        });
        if selected.as_ref().is_some_and(|s| s.is_empty()) {
            break;
        }
    }
    Ok(selected)
}

/// The positions of the true (non-null) values of a mask.
fn mask_indices(mask: &BooleanArray) -> UInt32Array {
    let values = match mask.nulls() {
        Some(nulls) => mask.values() & nulls.inner(),
        None => mask.values().clone(),
    };
    UInt32Array::from_iter_values(values.set_indices().map(|i| i as u32))
}

/// The selected rows of `batch`, with real values only in the columns in
/// `used` (the others become all-null placeholders of the right length).
fn narrow(
    batch: &RecordBatch,
    idx: &UInt32Array,
    used: &std::collections::BTreeSet<usize>,
) -> EvalResult<RecordBatch> {
    let schema = batch.schema();
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (i, (field, col)) in schema.fields().iter().zip(batch.columns()).enumerate() {
        if used.contains(&i) {
            fields.push(field.as_ref().clone());
            columns.push(arrow::compute::take(col, idx, None).map_err(arrow_err)?);
        } else {
            fields.push(arrow::datatypes::Field::new(
                field.name(),
                arrow::datatypes::DataType::Null,
                true,
            ));
            columns.push(arrow::array::new_null_array(
                &arrow::datatypes::DataType::Null,
                idx.len(),
            ));
        }
    }
    RecordBatch::try_new_with_options(
        Arc::new(arrow::datatypes::Schema::new(fields)),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(idx.len())),
    )
    .map_err(arrow_err)
}

fn project<'a>(
    p: &'a Project,
    data: &'a dyn TableSource,
    ctx: &'a EvalContext,
    first_rows: bool,
) -> EvalResult<Pipeline<'a>> {
    let input = open_for(&p.input, data, ctx, first_rows)?;
    let schema = arrow_schema_of(&LogicalPlan::Project(p.clone()).schema());
    let out = schema.clone();
    Ok(input.then(
        schema,
        Box::new(move |b: &RecordBatch| project_batch(p, b, &out, ctx).map(Some)),
    ))
}

/// The projection's columns over one batch. A column may come out
/// dictionary-encoded (a reference to such a column, or an expression of
/// it alone, see [`eval`]); its field is then typed so, keeping the
/// schema's name and metadata.
fn project_batch(
    p: &Project,
    batch: &RecordBatch,
    schema: &arrow::datatypes::SchemaRef,
    ctx: &EvalContext,
) -> EvalResult<RecordBatch> {
    ctx.check_cancelled()?;
    let n = batch.num_rows();
    let columns = p
        .exprs
        .iter()
        .map(|(_, e)| Ok(eval(e, batch, ctx)?.into_array(n)))
        .collect::<EvalResult<Vec<ArrayRef>>>()?;
    RecordBatch::try_new_with_options(
        crate::dict::retyped(schema, &columns),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(n)),
    )
    .map_err(|e| {
        runtime(
            "kql::eval::internal",
            e.to_string(),
            p.exprs.first().map(|(_, e)| e.span).unwrap_or_default(),
        )
    })
}

/// Sorts all rows; with `limit`, only the first `limit` rows are produced.
fn sort(
    s: &Sort,
    limit: Option<usize>,
    data: &dyn TableSource,
    ctx: &EvalContext,
) -> EvalResult<Table> {
    if let Some(k) = limit {
        if crate::topn::streams(k) {
            if let Some(t) = late_top(s, k, data, ctx)? {
                return Ok(t);
            }
            return crate::topn::top(s, open(&s.input, data, ctx)?, k, ctx);
        }
    }
    let input = execute(&s.input, data, ctx)?;
    let batch = concat_batches(&input.schema, &input.batches).map_err(arrow_err)?;
    let n = batch.num_rows();
    if n == 0 {
        return Ok(Table {
            schema: input.schema,
            batches: vec![],
        });
    }
    let columns = s
        .keys
        .iter()
        .map(|k| {
            Ok(SortColumn {
                values: eval_plain(&k.expr, &batch, ctx)?.into_array(n),
                options: Some(SortOptions {
                    descending: k.descending,
                    nulls_first: k.nulls_first,
                }),
            })
        })
        .collect::<EvalResult<Vec<_>>>()?;
    // The row position as a last key makes the sort stable: rows with
    // equal keys keep their input order, so `top` and `sort` give the same
    // answer for the same input.
    let mut columns = columns;
    columns.push(SortColumn {
        values: Arc::new(UInt32Array::from_iter_values(0..n as u32)),
        options: Some(SortOptions {
            descending: false,
            nulls_first: false,
        }),
    });
    let indices = lexsort_to_indices(&columns, limit).map_err(arrow_err)?;
    let sorted = take_record_batch(&batch, &indices).map_err(arrow_err)?;
    Ok(Table {
        schema: input.schema,
        batches: vec![sorted],
    })
}

/// `top` over columns of a table whose source reads rows by position
/// (a Parquet file): only the sort keys' columns are read for every row,
/// the best `k` rows are found among them, and the other columns are read
/// for just those rows. `None` when that does not apply.
fn late_top(
    s: &Sort,
    k: usize,
    data: &dyn TableSource,
    ctx: &EvalContext,
) -> EvalResult<Option<Table>> {
    let (table, cols) = match s.input.as_ref() {
        LogicalPlan::Project(p) => match scan_columns(p) {
            Some(found) => found,
            None => return Ok(None),
        },
        LogicalPlan::Scan(scan) => (scan.table.as_str(), (0..s.input.schema().len()).collect()),
        _ => return Ok(None),
    };
    let mut used = std::collections::BTreeSet::new();
    for key in &s.keys {
        used.extend(key.expr.column_indices());
    }
    if used.len() >= cols.len() || !data.reads_rows_at(table) {
        return Ok(None);
    }
    let used: Vec<usize> = used.into_iter().collect();
    let schema = arrow_schema_of(&s.input.schema());
    // One integer-like column, nulls last: the source may find the rows
    // from its statistics without reading the whole column.
    let found = match s.keys.as_slice() {
        [key] if !key.nulls_first => match &key.expr.kind {
            PlanExprKind::Column { index, .. } => match cols.get(*index) {
                Some(&c) => data.top_positions(table, c, k, key.descending),
                None => None,
            },
            _ => None,
        },
        _ => None,
    };
    let positions = match found {
        Some(found) => found.map_err(first_diagnostic)?,
        None => key_positions(s, table, &cols, &used, &schema, k, data, ctx)?,
    };
    if positions.is_empty() {
        return Ok(Some(Table {
            schema,
            batches: vec![],
        }));
    }
    let mut sorted = positions.clone();
    sorted.sort_unstable();
    let Some(rows) = data.rows_at(table, &cols, &sorted) else {
        return Ok(None);
    };
    let rows = rows.map_err(first_diagnostic)?;
    let all = concat_batches(&rows.schema, &rows.batches).map_err(arrow_err)?;
    if all.num_rows() != sorted.len() {
        return Err(crate::error::internal(format!(
            "{} rows read by position, {} asked for",
            all.num_rows(),
            sorted.len()
        )));
    }
    // Back into the order of the sort.
    let order = UInt32Array::from_iter_values(
        positions
            .iter()
            .map(|p| sorted.binary_search(p).unwrap_or_else(|i| i) as u32),
    );
    let picked = take_record_batch(&all, &order).map_err(arrow_err)?;
    let batch = RecordBatch::try_new_with_options(
        schema.clone(),
        picked.columns().to_vec(),
        &RecordBatchOptions::new().with_row_count(Some(picked.num_rows())),
    )
    .map_err(arrow_err)?;
    Ok(Some(Table {
        schema,
        batches: vec![batch],
    }))
}

/// The positions of the first `k` rows of the sort `s` over `table`
/// (whose projection reads the table columns `cols`), from a stream of the
/// key columns (`used`, positions in the projection) alone.
#[allow(clippy::too_many_arguments)]
fn key_positions(
    s: &Sort,
    table: &str,
    cols: &[usize],
    used: &[usize],
    schema: &SchemaRef,
    k: usize,
    data: &dyn TableSource,
    ctx: &EvalContext,
) -> EvalResult<Vec<u64>> {
    // Batches as wide as the projection: the keys' columns, and columns of
    // nulls (which cost nothing) in place of the others, so the keys read
    // the same column positions as over the whole rows.
    let narrow = Arc::new(ArrowSchema::new(
        schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| match used.binary_search(&i) {
                Ok(_) => f.as_ref().clone(),
                Err(_) => Field::new(f.name(), DataType::Null, true),
            })
            .collect::<Vec<_>>(),
    ));
    let key_cols: Vec<usize> = used.iter().map(|&i| cols[i]).collect();
    let stream = data
        .stream(table, Some(&key_cols), &[])
        .map_err(first_diagnostic)?;
    let wide = narrow.clone();
    let batches = stream.batches.map(move |b| {
        let b = b?;
        let n = b.num_rows();
        let mut keys = b.columns().iter();
        let columns = wide
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Null => Ok(arrow::array::new_null_array(&DataType::Null, n)),
                _ => keys
                    .next()
                    .cloned()
                    .ok_or_else(|| crate::error::internal("a key column is missing")),
            })
            .collect::<EvalResult<Vec<ArrayRef>>>()?;
        RecordBatch::try_new_with_options(
            wide.clone(),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(n)),
        )
        .map_err(arrow_err)
    });
    let input = Pipeline::new(narrow, Box::new(batches), ctx);
    let (_, positions) = crate::topn::top_with_positions(s, input, k, ctx)?;
    Ok(positions)
}

fn limit(l: &Limit, data: &dyn TableSource, ctx: &EvalContext) -> EvalResult<Table> {
    let input = match l.input.as_ref() {
        LogicalPlan::Sort(s) => sort(s, Some(l.count), data, ctx)?,
        _ => {
            return open_for(&l.input, data, ctx, true)?
                .limit(l.count)
                .collect()
        }
    };
    let mut remaining = l.count;
    let mut out = Vec::new();
    for batch in &input.batches {
        if remaining == 0 {
            break;
        }
        let take = remaining.min(batch.num_rows());
        out.push(batch.slice(0, take));
        remaining -= take;
    }
    Ok(Table {
        schema: input.schema,
        batches: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kql_common::Span;
    use kql_planner::plan::Scan;
    use kql_planner::{Column, Schema};
    use std::cell::RefCell;

    /// A projection and the predicates passed with it.
    type Request = (Option<Vec<usize>>, Vec<ScanPredicate>);

    /// A table source that records what it was asked for.
    struct Recorder {
        table: Table,
        asked: RefCell<Vec<Request>>,
    }

    impl TableSource for Recorder {
        fn table(
            &self,
            _: &str,
            projection: Option<&[usize]>,
            predicates: &[ScanPredicate],
        ) -> Result<Table, Vec<Diagnostic>> {
            self.asked
                .borrow_mut()
                .push((projection.map(<[usize]>::to_vec), predicates.to_vec()));
            match projection {
                None => Ok(self.table.clone()),
                Some(cols) => crate::project_table(&self.table, cols),
            }
        }
    }

    fn col(index: usize, ty: KqlType) -> PlanExpr {
        PlanExpr::new(
            PlanExprKind::Column {
                index,
                name: format!("c{index}"),
            },
            ty,
            Span::default(),
        )
    }

    fn lit(v: ScalarValue) -> PlanExpr {
        PlanExpr::literal(v, Span::default())
    }

    fn bin(op: BinOp, l: PlanExpr, r: PlanExpr) -> PlanExpr {
        PlanExpr::new(
            PlanExprKind::Binary {
                op,
                left: Box::new(l),
                right: Box::new(r),
            },
            KqlType::Bool,
            Span::default(),
        )
    }

    #[test]
    fn simple_conjuncts_reach_the_source_as_predicates_on_table_columns() {
        let schema = Schema::new(vec![
            Column::new("s", KqlType::String),
            Column::new("t", KqlType::DateTime),
            Column::new("n", KqlType::Long),
        ]);
        let table = Table {
            schema: arrow_schema_of(&schema),
            batches: vec![RecordBatch::try_new(
                arrow_schema_of(&schema),
                vec![
                    Arc::new(arrow::array::StringArray::from(vec!["a", "b", "c"])),
                    Arc::new(Int64Array::from(vec![10, 20, 30])),
                    Arc::new(Int64Array::from(vec![1, 2, 3])),
                ],
            )
            .expect("batch")],
        };
        let scan = LogicalPlan::Scan(Scan {
            table: "T".into(),
            schema,
        });
        // Project t, s (table columns 1 and 0) then filter on them.
        let project = LogicalPlan::Project(Project {
            input: Box::new(scan),
            exprs: vec![
                ("t".into(), col(1, KqlType::DateTime)),
                ("s".into(), col(0, KqlType::String)),
            ],
        });
        let between = PlanExpr::new(
            PlanExprKind::Between {
                expr: Box::new(col(0, KqlType::DateTime)),
                low: Box::new(lit(ScalarValue::DateTime(15))),
                high: Box::new(lit(ScalarValue::DateTime(30))),
                negated: false,
            },
            KqlType::Bool,
            Span::default(),
        );
        let predicate = bin(
            BinOp::And,
            between,
            bin(
                BinOp::And,
                // Constant first: flipped.
                bin(
                    BinOp::NotEq,
                    col(1, KqlType::String),
                    lit(ScalarValue::String("x".into())),
                ),
                bin(
                    BinOp::Gt,
                    lit(ScalarValue::String("c".into())),
                    col(1, KqlType::String),
                ),
            ),
        );
        let plan = LogicalPlan::Filter(Filter {
            input: Box::new(project),
            predicate,
        });
        let source = Recorder {
            table,
            asked: RefCell::new(vec![]),
        };
        let out = execute(&plan, &source, &EvalContext::at(0)).expect("runs");
        assert_eq!(out.num_rows(), 1);
        let asked = source.asked.borrow();
        assert_eq!(asked.len(), 1);
        assert_eq!(asked[0].0, Some(vec![1, 0]));
        assert_eq!(
            asked[0].1,
            vec![
                ScanPredicate {
                    column: 1,
                    op: ScanOp::Ge,
                    value: ScalarValue::DateTime(15)
                },
                ScanPredicate {
                    column: 1,
                    op: ScanOp::Le,
                    value: ScalarValue::DateTime(30)
                },
                ScanPredicate {
                    column: 0,
                    op: ScanOp::Lt,
                    value: ScalarValue::String("c".into())
                },
            ]
        );
    }
}
