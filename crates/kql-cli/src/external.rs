//! Rows for `externaldata`: read from a local file, a `file://` URL, or for
//! http(s) URLs from a local cache folder (`--external-data DIR`, the file
//! named by the URL's last path segment). Nothing is fetched from the
//! network. A relative path starts from the session's base folder (for
//! `kql test`, the folder of the case file), else from the current folder.

use kql_common::{Diagnostic, KqlType, ScalarValue};
use kql_planner::cast::{cast_scalar, implicit_cast};
use kql_planner::Schema;
use std::path::{Path, PathBuf};

const CODE: &str = "kql::plan::external_data";

/// The file that holds the data of `url`.
fn resolve(url: &str, cache: Option<&Path>, base: Option<&Path>) -> Result<PathBuf, Diagnostic> {
    let lower = url.to_ascii_lowercase();
    let local = |path: &str| match base {
        Some(b) if Path::new(path).is_relative() => b.join(path),
        _ => PathBuf::from(path),
    };
    if let Some(path) = url.strip_prefix("file://") {
        return Ok(local(path));
    }
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let no_query = url.split(['?', '#']).next().unwrap_or(url);
        let name = no_query
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string();
        let help = format!(
            "download it yourself and run kql with --external-data DIR, where DIR holds it as `{name}`"
        );
        let Some(dir) = cache else {
            return Err(Diagnostic::error(
                CODE,
                format!("externaldata cannot fetch {url}: kql never reads from the network"),
            )
            .with_help(help));
        };
        let path = dir.join(&name);
        if !path.is_file() {
            return Err(Diagnostic::error(
                CODE,
                format!(
                    "externaldata: {url} is not in the local cache ({} does not exist)",
                    path.display()
                ),
            )
            .with_help(help));
        }
        return Ok(path);
    }
    Ok(local(url))
}

/// Reads the rows of `url` as values of `schema`'s columns.
pub fn read(
    url: &str,
    props: &[(String, String)],
    schema: &Schema,
    cache: Option<&Path>,
    base: Option<&Path>,
) -> Result<Vec<Vec<ScalarValue>>, Diagnostic> {
    let path = resolve(url, cache, base)?;
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Diagnostic::error(
            CODE,
            format!("externaldata cannot read {}: {e}", path.display()),
        )
    })?;
    let prop = |name: &str| {
        props
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let format = prop("format").unwrap_or_else(|| {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "tsv" => "tsv".to_string(),
            "json" | "jsonl" | "ndjson" => "multijson".to_string(),
            "txt" => "txt".to_string(),
            _ => "csv".to_string(),
        }
    });
    let skip_first = prop("ignorefirstrecord").is_some_and(|v| v == "true");
    let records: Vec<Vec<String>> = match format.as_str() {
        "csv" => delimited(&text, ','),
        "tsv" | "tsve" => delimited(&text, '\t'),
        "psv" => delimited(&text, '|'),
        "scsv" => delimited(&text, ';'),
        "txt" | "raw" => text.lines().map(|l| vec![l.to_string()]).collect(),
        "json" | "multijson" | "singlejson" => return json_rows(&text, schema, &path),
        other => {
            return Err(Diagnostic::error(
                CODE,
                format!("externaldata format `{other}` is not supported"),
            )
            .with_help("formats: csv, tsv, psv, scsv, txt, json, multijson"))
        }
    };
    let mut rows = Vec::with_capacity(records.len());
    for rec in records.into_iter().skip(usize::from(skip_first)) {
        if rec.len() == 1 && rec[0].is_empty() {
            continue;
        }
        let row = schema
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| text_value(rec.get(i).map(String::as_str).unwrap_or(""), c.ty))
            .collect();
        rows.push(row);
    }
    Ok(rows)
}

/// A field's text as a value of type `ty` (null when it does not parse).
fn text_value(s: &str, ty: KqlType) -> ScalarValue {
    if ty == KqlType::String {
        return ScalarValue::String(s.to_string());
    }
    if s.trim().is_empty() {
        return ScalarValue::Null(ty);
    }
    if ty == KqlType::Dynamic {
        return serde_json::from_str(s)
            .map(ScalarValue::Dynamic)
            .unwrap_or_else(|_| ScalarValue::Dynamic(serde_json::Value::String(s.to_string())));
    }
    cast_scalar(&ScalarValue::String(s.trim().to_string()), ty).unwrap_or(ScalarValue::Null(ty))
}

/// Splits delimited text into records, with `"` quoting (`""` inside quotes
/// is one quote; quoted fields may span lines).
fn delimited(text: &str, sep: char) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rec = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            c if c == sep => rec.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                rec.push(std::mem::take(&mut field));
                out.push(std::mem::take(&mut rec));
            }
            c => field.push(c),
        }
    }
    if !field.is_empty() || !rec.is_empty() {
        rec.push(field);
        out.push(rec);
    }
    out
}

/// JSON objects (one per line, or one array of them), fields by column name.
fn json_rows(
    text: &str,
    schema: &Schema,
    path: &Path,
) -> Result<Vec<Vec<ScalarValue>>, Diagnostic> {
    let bad = |e: serde_json::Error| {
        Diagnostic::error(
            CODE,
            format!("externaldata: {} is not valid JSON: {e}", path.display()),
        )
    };
    let objects: Vec<serde_json::Value> = if text.trim_start().starts_with('[') {
        match serde_json::from_str(text).map_err(bad)? {
            serde_json::Value::Array(a) => a,
            other => vec![other],
        }
    } else {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(bad))
            .collect::<Result<_, _>>()?
    };
    Ok(objects
        .into_iter()
        .map(|o| {
            schema
                .columns
                .iter()
                .map(|c| {
                    let v = o.get(&c.name).cloned().unwrap_or(serde_json::Value::Null);
                    match (&v, c.ty) {
                        (serde_json::Value::Null, KqlType::String) => {
                            ScalarValue::String(String::new())
                        }
                        (serde_json::Value::Null, t) => ScalarValue::Null(t),
                        (_, KqlType::Dynamic) => ScalarValue::Dynamic(v),
                        (serde_json::Value::String(s), t) => text_value(s, t),
                        (_, t) => implicit_cast(&ScalarValue::Dynamic(v.clone()), t)
                            .unwrap_or(ScalarValue::Null(t)),
                    }
                })
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_lines() {
        let r = delimited("a,\"b,c\"\n\"x\"\"y\",2\n", ',');
        assert_eq!(r, vec![vec!["a", "b,c"], vec!["x\"y", "2"]]);
    }

    #[test]
    fn http_urls_need_the_cache() {
        let Err(e) = resolve("https://example.com/iocs/list.csv?x=1", None, None) else {
            panic!("an http URL without a cache must fail");
        };
        assert!(e.message.contains("https://example.com/iocs/list.csv?x=1"));
        assert!(e.help.unwrap_or_default().contains("`list.csv`"));
        assert_eq!(
            resolve("file:///tmp/a.csv", None, None).ok(),
            Some(PathBuf::from("/tmp/a.csv"))
        );
    }

    #[test]
    fn relative_paths_start_at_the_base_folder() {
        let base = Path::new("/cases/hunts");
        assert_eq!(
            resolve("iocs.csv", None, Some(base)).ok(),
            Some(PathBuf::from("/cases/hunts/iocs.csv"))
        );
        assert_eq!(
            resolve("file://../lists/a.csv", None, Some(base)).ok(),
            Some(PathBuf::from("/cases/hunts/../lists/a.csv"))
        );
        // Absolute paths and the current folder without a base are kept.
        assert_eq!(
            resolve("/data/a.csv", None, Some(base)).ok(),
            Some(PathBuf::from("/data/a.csv"))
        );
        assert_eq!(
            resolve("a.csv", None, None).ok(),
            Some(PathBuf::from("a.csv"))
        );
    }
}
