//! Reads JSON lines, JSON arrays of objects, and the Log Analytics and
//! Defender query API response shapes into Arrow record batches.

use crate::column::{JsonInference, TypedColumn, BATCH_ROWS};
use crate::csv_load::{build_table, decode_text};
use crate::diag::{self, Errors};
use crate::{mde, LoadedTable};
use arrow_array::ArrayRef;
use kql_common::{Diagnostic, KqlType};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The rows of a document, as objects keyed by column name or as arrays in column order.
enum Rows {
    Objects(Vec<Map<String, Value>>),
    Arrays(Vec<Vec<Value>>),
}

/// Where each row came from, for messages.
enum Origins {
    /// 1-based line numbers (JSON lines).
    Lines(Vec<usize>),
    /// Rows numbered from 1 within an array.
    Records,
}

fn bad_json(origin: &str, msg: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        diag::BAD_JSON,
        format!("cannot read {origin} as JSON: {msg}"),
    )
    .with_help(
        "expected JSON lines (one object per line), an array of objects, or a query API response",
    )
}

/// Maps a type name from a query API schema (KQL or .NET names) to a KQL type.
fn api_type(name: &str) -> Option<KqlType> {
    let lower = name.to_ascii_lowercase();
    let l = lower.strip_prefix("system.").unwrap_or(&lower);
    KqlType::from_name(l).or(match l {
        "sbyte" | "int16" | "byte" | "uint16" => Some(KqlType::Int),
        "uint32" | "uint64" => Some(KqlType::Long),
        "single" | "float" => Some(KqlType::Real),
        "object" | "jobject" | "jarray" => Some(KqlType::Dynamic),
        "datetimeoffset" => Some(KqlType::DateTime),
        _ => None,
    })
}

fn str_field<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| v.get(*k).and_then(Value::as_str))
}

/// Loads a JSON document.
pub(crate) fn load_json(
    name: &str,
    bytes: &[u8],
    origin: &str,
) -> Result<LoadedTable, Vec<Diagnostic>> {
    let text = decode_text(bytes, origin).map_err(|d| vec![d])?;
    let text: &[u8] = text.as_ref();
    let first = text.iter().position(|b| !b.is_ascii_whitespace());
    let Some(first) = first else {
        return Err(vec![Diagnostic::error(
            diag::BAD_HEADER,
            format!("{origin} is empty: no rows and no columns"),
        )]);
    };
    let mut declared: Vec<(String, Option<KqlType>)> = Vec::new();
    let (rows, origins) = if text[first] == b'[' {
        let v: Value = serde_json::from_slice(text).map_err(|e| vec![bad_json(origin, e)])?;
        let Value::Array(items) = v else {
            return Err(vec![bad_json(origin, "expected an array")]);
        };
        (
            objects(items, origin, |i| format!("record {}", i + 1))?,
            Origins::Records,
        )
    } else {
        let mut values = Vec::new();
        let mut lines = Vec::new();
        let mut line = 1usize;
        let mut pos = 0usize;
        let mut stream = serde_json::Deserializer::from_slice(text).into_iter::<Value>();
        loop {
            let item = stream.next();
            let end = stream.byte_offset();
            let Some(item) = item else { break };
            let v = item.map_err(|e| vec![bad_json(origin, e)])?;
            // the value starts at the first non-blank byte after the previous one
            let seg = &text[pos..end];
            let lead = seg
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(0);
            line += seg[..lead].iter().filter(|b| **b == b'\n').count();
            lines.push(line);
            line += seg[lead..].iter().filter(|b| **b == b'\n').count();
            pos = end;
            values.push(v);
        }
        if values.len() == 1 {
            if let Some(shape) = api_shape(&values[0], origin)? {
                let (cols, rows) = shape;
                declared = cols;
                values.clear();
                (rows, Origins::Records)
            } else {
                (
                    objects(values, origin, |i| format!("line {}", lines[i]))?,
                    Origins::Lines(lines),
                )
            }
        } else {
            let l2 = lines.clone();
            (
                objects(values, origin, |i| format!("line {}", l2[i]))?,
                Origins::Lines(lines),
            )
        }
    };
    build_json_table(name, origin, declared, rows, origins)
}

fn objects(
    items: Vec<Value>,
    origin: &str,
    at: impl Fn(usize) -> String,
) -> Result<Rows, Vec<Diagnostic>> {
    let mut out = Vec::with_capacity(items.len());
    for (i, v) in items.into_iter().enumerate() {
        match v {
            Value::Object(m) => out.push(m),
            _ => {
                return Err(vec![bad_json(
                    origin,
                    format!("{} is not an object", at(i)),
                )
                .with_note(format!("{origin}, {}", at(i)))])
            }
        }
    }
    Ok(Rows::Objects(out))
}

type Declared = Vec<(String, Option<KqlType>)>;

/// Recognises `{"tables":[{"name","columns","rows"}]}` (Log Analytics) and
/// `{"Schema":[{"Name","Type"}],"Results":[{..}]}` (Defender, any case).
fn api_shape(v: &Value, origin: &str) -> Result<Option<(Declared, Rows)>, Vec<Diagnostic>> {
    let Value::Object(obj) = v else {
        return Ok(None);
    };
    if let Some(Value::Array(tables)) = obj.get("tables") {
        let Some(t) = tables
            .iter()
            .find(|t| t.get("name").and_then(Value::as_str) == Some("PrimaryResult"))
            .or_else(|| tables.first())
        else {
            return Err(vec![bad_json(origin, "the response holds no table")]);
        };
        let cols = match t.get("columns") {
            Some(Value::Array(c)) => c,
            _ => return Err(vec![bad_json(origin, "the table has no \"columns\" list")]),
        };
        let declared: Declared = cols
            .iter()
            .map(|c| {
                let n = str_field(c, &["name", "ColumnName"])
                    .unwrap_or("")
                    .to_string();
                let ty = str_field(c, &["type", "ColumnType", "DataType"]).and_then(api_type);
                (n, ty)
            })
            .collect();
        let mut rows = Vec::new();
        if let Some(Value::Array(rs)) = t.get("rows").or_else(|| t.get("Rows")) {
            for (i, r) in rs.iter().enumerate() {
                match r {
                    Value::Array(a) if a.len() == declared.len() => rows.push(a.clone()),
                    Value::Array(a) => {
                        return Err(vec![Diagnostic::error(
                            diag::BAD_ROW,
                            format!(
                                "expected {} values but found {} in row {} of {origin}",
                                declared.len(),
                                a.len(),
                                i + 1
                            ),
                        )
                        .with_note(format!("{origin}, record {}", i + 1))])
                    }
                    _ => {
                        return Err(vec![bad_json(
                            origin,
                            format!("row {} is not an array", i + 1),
                        )])
                    }
                }
            }
        }
        return Ok(Some((declared, Rows::Arrays(rows))));
    }
    let schema = obj.get("Schema").or_else(|| obj.get("schema"));
    let results = obj.get("Results").or_else(|| obj.get("results"));
    if let (Some(Value::Array(schema)), Some(Value::Array(results))) = (schema, results) {
        let declared: Declared = schema
            .iter()
            .map(|c| {
                let n = str_field(c, &["Name", "name"]).unwrap_or("").to_string();
                let ty = str_field(c, &["Type", "type"]).and_then(api_type);
                (n, ty)
            })
            .collect();
        let rows = objects(results.clone(), origin, |i| format!("record {}", i + 1))?;
        return Ok(Some((declared, rows)));
    }
    Ok(None)
}

fn build_json_table(
    name: &str,
    origin: &str,
    declared: Declared,
    rows: Rows,
    origins: Origins,
) -> Result<LoadedTable, Vec<Diagnostic>> {
    // columns: the declared ones, then every other key in first-seen order
    let mut names: Vec<String> = declared.iter().map(|(n, _)| n.clone()).collect();
    let mut types: Vec<Option<KqlType>> = declared.iter().map(|(_, t)| *t).collect();
    let mut index: HashMap<String, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect();
    if let Rows::Objects(objs) = &rows {
        for o in objs {
            for k in o.keys() {
                if !index.contains_key(k) {
                    index.insert(k.clone(), names.len());
                    names.push(k.clone());
                    types.push(None);
                }
            }
        }
    }
    if names.is_empty() {
        return Err(vec![Diagnostic::error(
            diag::BAD_HEADER,
            format!("{origin} has no columns"),
        )]);
    }
    if declared.is_empty() {
        types = mde::declared_types(name, &names);
    }
    let n_rows = match &rows {
        Rows::Objects(o) => o.len(),
        Rows::Arrays(a) => a.len(),
    };
    let get = |r: usize, c: usize| -> Option<&Value> {
        match &rows {
            Rows::Objects(o) => o.get(r).and_then(|m| m.get(&names[c])),
            Rows::Arrays(a) => a.get(r).and_then(|row| row.get(c)),
        }
    };
    let location = |r: usize| match &origins {
        Origins::Lines(l) => format!("{origin}, line {}", l.get(r).copied().unwrap_or(0)),
        Origins::Records => format!("{origin}, record {}", r + 1),
    };
    let n_batches = n_rows.div_ceil(BATCH_ROWS);
    let mut batches: Vec<Vec<Option<ArrayRef>>> = vec![Vec::with_capacity(names.len()); n_batches];
    let mut final_types = Vec::with_capacity(names.len());
    let mut errors = Errors::default();
    for c in 0..names.len() {
        let ty = match types[c] {
            Some(t) => t,
            None => {
                let mut inf = JsonInference::default();
                for r in 0..n_rows {
                    if let Some(v) = get(r, c) {
                        inf.add(v);
                    }
                }
                inf.resolve()
            }
        };
        final_types.push(ty);
        for (b, batch) in batches.iter_mut().enumerate() {
            let start = b * BATCH_ROWS;
            let end = (start + BATCH_ROWS).min(n_rows);
            let mut col = TypedColumn::new(ty, end - start);
            for r in start..end {
                let v = get(r, c);
                if col.push_json(v).is_err() {
                    col.push_null();
                    let text = match v {
                        Some(Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                        None => String::new(),
                    };
                    if errors.push(diag::bad_value(&text, ty, &names[c], &location(r))) {
                        return Err(errors.into_vec());
                    }
                }
            }
            batch.push(Some(col.finish()));
        }
    }
    if !errors.is_empty() {
        return Err(errors.into_vec());
    }
    build_table(name, &names, &final_types, batches)
}
