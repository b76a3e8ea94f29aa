//! Reads CSV (and tab-separated) text into Arrow record batches.

use crate::column::{cand, narrow_text, resolve, TypedColumn, BATCH_ROWS};
use crate::diag::{self, Errors};
use crate::{mde, LoadedTable};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::Schema;
use kql_common::{Diagnostic, KqlType};
use std::borrow::Cow;
use std::sync::Arc;

/// Strips a UTF-8 byte-order mark, or transcodes UTF-16 text that starts with one.
#[allow(clippy::result_large_err)]
pub(crate) fn decode_text<'a>(bytes: &'a [u8], origin: &str) -> Result<Cow<'a, [u8]>, Diagnostic> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Ok(Cow::Borrowed(rest));
    }
    let le = bytes.starts_with(b"\xFF\xFE");
    if le || bytes.starts_with(b"\xFE\xFF") {
        let units = bytes[2..].chunks(2).map(|c| {
            let pair = [c[0], c.get(1).copied().unwrap_or(0)];
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        });
        let mut s = String::with_capacity(bytes.len() / 2);
        for c in char::decode_utf16(units) {
            match c {
                Ok(c) => s.push(c),
                Err(_) => {
                    return Err(Diagnostic::error(
                        diag::BAD_ENCODING,
                        format!("{origin} is not valid UTF-16 text"),
                    )
                    .with_help("save the file as UTF-8"))
                }
            }
        }
        return Ok(Cow::Owned(s.into_bytes()));
    }
    Ok(Cow::Borrowed(bytes))
}

/// The 1-based line of the record that starts at byte `pos` (line ends
/// before it belong to the previous record).
pub(crate) fn line_at(text: &[u8], pos: u64) -> u64 {
    let mut b = usize::try_from(pos).unwrap_or(usize::MAX).min(text.len());
    while b < text.len() && (text[b] == b'\r' || text[b] == b'\n') {
        b += 1;
    }
    1 + text[..b].iter().filter(|c| **c == b'\n').count() as u64
}

/// A column while the file is read: either of a known type, or staged as
/// text until all its values have been seen.
enum Col {
    Typed(TypedColumn),
    Infer {
        data: String,
        ends: Vec<usize>,
        mask: u8,
        seen: bool,
    },
}

/// Turns header names into unique column names: strips the ` [UTC]` suffix of
/// Log Analytics exports (such columns are datetimes), names blank headers
/// `ColumnN` and renames repeated names `Name1`, `Name2`, ...
pub(crate) fn column_names(raw: &[String]) -> (Vec<String>, Vec<bool>) {
    let mut names: Vec<String> = Vec::with_capacity(raw.len());
    let mut utc = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let mut n = r.trim();
        let mut is_utc = false;
        if let Some(stripped) = n.strip_suffix("[UTC]") {
            n = stripped.trim_end();
            is_utc = true;
        }
        let base = if n.is_empty() {
            format!("Column{}", i + 1)
        } else {
            n.to_string()
        };
        let mut name = base.clone();
        let mut k = 1;
        while names.contains(&name) {
            name = format!("{base}{k}");
            k += 1;
        }
        names.push(name);
        utc.push(is_utc);
    }
    (names, utc)
}

/// Loads delimited text; `delimiter` is `b','` for CSV.
pub(crate) fn load_delimited(
    name: &str,
    bytes: &[u8],
    origin: &str,
    delimiter: u8,
) -> Result<LoadedTable, Vec<Diagnostic>> {
    let text = decode_text(bytes, origin).map_err(|d| vec![d])?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .delimiter(delimiter)
        .buffer_capacity(1 << 16)
        .from_reader(text.as_ref());
    let mut record = csv::ByteRecord::new();

    // header
    let header_ok = reader.read_byte_record(&mut record).map_err(|e| {
        vec![Diagnostic::error(
            diag::BAD_HEADER,
            format!("cannot read the header row of {origin}: {e}"),
        )]
    })?;
    if !header_ok {
        return Err(vec![Diagnostic::error(
            diag::BAD_HEADER,
            format!("{origin} is empty: a header row with the column names is required"),
        )]);
    }
    let mut raw = Vec::with_capacity(record.len());
    for f in record.iter() {
        match std::str::from_utf8(f) {
            Ok(s) => raw.push(s.to_string()),
            Err(_) => {
                return Err(vec![Diagnostic::error(
                    diag::BAD_ENCODING,
                    format!("the header row of {origin} is not UTF-8 text"),
                )
                .with_help("save the file as UTF-8")])
            }
        }
    }
    let (names, utc) = column_names(&raw);
    let declared = mde::declared_types(name, &names);
    let mut cols: Vec<Col> = names
        .iter()
        .zip(&declared)
        .zip(&utc)
        .map(|((_, d), u)| match (d, u) {
            (_, true) => Col::Typed(TypedColumn::new(KqlType::DateTime, BATCH_ROWS)),
            (Some(t), false) => Col::Typed(TypedColumn::new(*t, BATCH_ROWS)),
            (None, false) => Col::Infer {
                data: String::new(),
                ends: Vec::new(),
                mask: cand::ALL,
                seen: false,
            },
        })
        .collect();

    let mut errors = Errors::default();
    let mut batches: Vec<Vec<Option<ArrayRef>>> = Vec::new();
    let mut in_batch = 0usize;
    let finish = |cols: &mut Vec<Col>| -> Vec<Option<ArrayRef>> {
        cols.iter_mut()
            .map(|c| match c {
                Col::Typed(t) => Some(t.finish()),
                Col::Infer { .. } => None,
            })
            .collect()
    };

    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let stop = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        pos,
                        expected_len,
                        len,
                    } => {
                        let line = pos.as_ref().map_or(0, |p| line_at(&text, p.byte()));
                        errors.push(
                            Diagnostic::error(
                                diag::BAD_ROW,
                                format!(
                                    "expected {expected_len} fields but found {len} in line {line} of {origin}"
                                ),
                            )
                            .with_note(format!("{origin}, line {line}"))
                            .with_help(
                                "every row needs as many fields as the header; quote fields that contain the delimiter",
                            ),
                        )
                    }
                    csv::ErrorKind::Io(io) => {
                        errors.push(Diagnostic::error(
                            diag::READ_FAILED,
                            format!("cannot read {origin}: {io}"),
                        ));
                        true
                    }
                    _ => errors.push(Diagnostic::error(
                        diag::BAD_ROW,
                        format!("malformed CSV in {origin}: {e}"),
                    )),
                };
                if stop {
                    break;
                }
                continue;
            }
        }
        let pos = record.position().map_or(0, |p| p.byte());
        let line = || line_at(&text, pos);
        let mut stop = false;
        for (i, (field, col)) in record.iter().zip(cols.iter_mut()).enumerate() {
            let s = match std::str::from_utf8(field) {
                Ok(s) => s,
                Err(_) => {
                    let line = line();
                    errors.push(
                        Diagnostic::error(
                            diag::BAD_ENCODING,
                            format!(
                                "{origin} is not UTF-8 text (line {line}, column {})",
                                names[i]
                            ),
                        )
                        .with_note(format!("{origin}, line {line}, column {}", names[i]))
                        .with_help("save the file as UTF-8"),
                    );
                    stop = true;
                    break;
                }
            };
            match col {
                Col::Typed(t) => {
                    if t.push_text(s).is_err() {
                        t.push_null();
                        stop = errors.push(diag::bad_value(
                            s,
                            t.ty,
                            &names[i],
                            &format!("{origin}, line {}", line()),
                        ));
                    }
                }
                Col::Infer {
                    data,
                    ends,
                    mask,
                    seen,
                } => {
                    data.push_str(s);
                    ends.push(data.len());
                    let v = s.trim();
                    if !v.is_empty() {
                        *seen = true;
                        if *mask != 0 {
                            *mask = narrow_text(*mask, v);
                        }
                    }
                }
            }
        }
        if stop {
            break;
        }
        in_batch += 1;
        if in_batch == BATCH_ROWS {
            batches.push(finish(&mut cols));
            in_batch = 0;
        }
    }
    if !errors.is_empty() {
        return Err(errors.into_vec());
    }
    if in_batch > 0 {
        batches.push(finish(&mut cols));
    }

    // resolve inferred columns and cut them into the same batches
    let mut types = Vec::with_capacity(cols.len());
    for (ci, col) in cols.iter().enumerate() {
        match col {
            Col::Typed(t) => types.push(t.ty),
            Col::Infer {
                data,
                ends,
                mask,
                seen,
            } => {
                let ty = resolve(*mask, *seen);
                types.push(ty);
                let mut start = 0usize;
                for (bi, chunk) in ends.chunks(BATCH_ROWS).enumerate() {
                    let mut tc = TypedColumn::new(ty, chunk.len());
                    for &end in chunk {
                        let v = data.get(start..end).unwrap_or("");
                        if tc.push_text(v).is_err() {
                            tc.push_null();
                        }
                        start = end;
                    }
                    if let Some(b) = batches.get_mut(bi) {
                        b[ci] = Some(tc.finish());
                    }
                }
            }
        }
    }
    build_table(name, &names, &types, batches)
}

/// Assembles the schema and record batches of a table.
pub(crate) fn build_table(
    name: &str,
    names: &[String],
    types: &[KqlType],
    batches: Vec<Vec<Option<ArrayRef>>>,
) -> Result<LoadedTable, Vec<Diagnostic>> {
    let fields: Vec<_> = names
        .iter()
        .zip(types)
        .map(|(n, t)| t.field(n.as_str()))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let mut out = Vec::with_capacity(batches.len());
    for b in batches {
        let arrays: Vec<ArrayRef> = b.into_iter().flatten().collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| {
            vec![Diagnostic::error(
                diag::READ_FAILED,
                format!("internal error while building table {name}: {e}"),
            )]
        })?;
        out.push(batch);
    }
    Ok(LoadedTable {
        name: name.to_string(),
        schema,
        batches: out,
    })
}
