//! Expected results: the forms a case can write them in, how each is read,
//! and how `--bless` writes them.
//!
//! - CSV (`NAME.expected.csv`, a ```` ```csv ```` block): a header row whose
//!   names may carry a type (`Timestamp:datetime`); cells are text, an empty
//!   cell is null or the empty string.
//! - JSON (`NAME.expected.json`, a ```` ```json ```` block): the object
//!   `kql --format json` prints, `{"columns":[{"name","type"}],"rows":[[...]]}`.
//! - A Markdown pipe table: names only, cells are text (`\|` for a pipe,
//!   `<br>` for a line break).
//! - The text table `kql` prints (`.kqltest` files, ```` ```output ````
//!   blocks): names, types, a rule, the rows and the `(N rows)` footer; one
//!   after the other for several result tables.
//!
//! Whatever the form, cells end up as text and are compared by the rules of
//! the column's type (see `compare`).

use crate::testing::compare::ActualTable;
use kql_common::KqlType;
use unicode_width::UnicodeWidthChar;

/// How an expectation was written, which is also how `--bless` rewrites it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// CSV; `typed` when the header carries `:type` suffixes.
    Csv {
        typed: bool,
    },
    Json,
    Markdown,
    /// The text table `kql` prints.
    Rendered,
}

/// One expected column: its name and, when the expectation says, its type.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: Option<KqlType>,
}

/// One expected result table, every cell as text (null as the empty string).
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectedTable {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
}

/// What a case expects its query to produce.
#[derive(Clone, Debug, PartialEq)]
pub enum Expected {
    /// Nothing written yet: a new case.
    Missing,
    /// Result tables (one, except in the text-table form).
    Tables {
        form: Form,
        tables: Vec<ExpectedTable>,
    },
    /// The query fails; the text is the diagnostics as `kql test` lists them.
    Error(String),
    /// The expectation could not be read.
    Invalid(String),
}

/// `Name:type` → the name and the type; a suffix that is no type name stays
/// part of the name.
fn split_typed(header: &str) -> (String, Option<KqlType>) {
    if let Some((name, ty)) = header.rsplit_once(':') {
        if let Some(t) = KqlType::from_name(ty.trim()) {
            return (name.trim().to_string(), Some(t));
        }
    }
    (header.trim().to_string(), None)
}

/// Reads an expected CSV (header row required).
pub fn parse_csv(text: &str) -> Result<(ExpectedTable, bool), String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = r.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(format!("bad CSV header: {e}")),
        None => return Err("the CSV has no header row".to_string()),
    };
    let columns: Vec<Column> = header
        .iter()
        .map(|h| {
            let (name, ty) = split_typed(h);
            Column { name, ty }
        })
        .collect();
    let typed = columns.iter().any(|c| c.ty.is_some());
    let mut rows = Vec::new();
    for (i, rec) in records.enumerate() {
        let rec = rec.map_err(|e| format!("bad CSV row {}: {e}", i + 1))?;
        if rec.len() != columns.len() {
            return Err(format!(
                "CSV row {} has {} cells but the header names {} columns",
                i + 1,
                rec.len(),
                columns.len()
            ));
        }
        rows.push(rec.iter().map(str::to_string).collect());
    }
    Ok((ExpectedTable { columns, rows }, typed))
}

/// The text of a JSON value as a cell: strings as themselves, null as the
/// empty string, anything else as compact JSON.
fn json_cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads an expected result in the `kql --format json` shape.
pub fn parse_json(text: &str) -> Result<ExpectedTable, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("bad JSON: {e}"))?;
    let shape = "expected {\"columns\":[{\"name\":...,\"type\":...}],\"rows\":[[...]]}";
    let cols = v
        .get("columns")
        .and_then(|c| c.as_array())
        .ok_or_else(|| format!("no `columns` array: {shape}"))?;
    let mut columns = Vec::with_capacity(cols.len());
    for c in cols {
        let name = c
            .get("name")
            .and_then(|n| n.as_str())
            .ok_or_else(|| format!("a column without a `name`: {shape}"))?;
        let ty = match c.get("type").and_then(|t| t.as_str()) {
            Some(t) => Some(
                KqlType::from_name(t)
                    .ok_or_else(|| format!("column `{name}`: unknown type `{t}`"))?,
            ),
            None => None,
        };
        columns.push(Column {
            name: name.to_string(),
            ty,
        });
    }
    let rows_v = v
        .get("rows")
        .and_then(|r| r.as_array())
        .ok_or_else(|| format!("no `rows` array: {shape}"))?;
    let mut rows = Vec::with_capacity(rows_v.len());
    for (i, r) in rows_v.iter().enumerate() {
        let cells = r
            .as_array()
            .ok_or_else(|| format!("row {} is not an array", i + 1))?;
        if cells.len() != columns.len() {
            return Err(format!(
                "row {} has {} cells but there are {} columns",
                i + 1,
                cells.len(),
                columns.len()
            ));
        }
        rows.push(cells.iter().map(json_cell).collect());
    }
    Ok(ExpectedTable { columns, rows })
}

/// Splits one Markdown table line into its cells (`\|` is a literal pipe).
fn md_cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cur.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        cells.push(cur);
    }
    cells
        .into_iter()
        .map(|c| {
            let c = c.trim();
            // A cell written as inline code stands for the text inside.
            let c = match c.strip_prefix('`').and_then(|x| x.strip_suffix('`')) {
                Some(inner) if !inner.contains('`') => inner,
                _ => c,
            };
            c.replace("<br>", "\n")
        })
        .collect()
}

/// True for a Markdown table delimiter row such as `|---|:--:|`.
pub fn is_md_delimiter(line: &str) -> bool {
    let cells = md_cells(line);
    !cells.is_empty()
        && cells.iter().all(|c| {
            let c = c.trim();
            let c = c.strip_prefix(':').unwrap_or(c);
            let c = c.strip_suffix(':').unwrap_or(c);
            !c.is_empty() && c.chars().all(|ch| ch == '-')
        })
}

/// Reads a Markdown pipe table (header, delimiter row, rows).
pub fn parse_md_table(lines: &[&str]) -> Result<ExpectedTable, String> {
    let (Some(header), Some(delim)) = (lines.first(), lines.get(1)) else {
        return Err("a table needs a header row and a delimiter row".to_string());
    };
    if !is_md_delimiter(delim) {
        return Err("the second table line must be a delimiter row like |---|---|".to_string());
    }
    let columns: Vec<Column> = md_cells(header)
        .iter()
        .map(|h| {
            let (name, ty) = split_typed(h);
            Column { name, ty }
        })
        .collect();
    let mut rows = Vec::new();
    for (i, l) in lines.iter().skip(2).enumerate() {
        let cells = md_cells(l);
        if cells.len() != columns.len() {
            return Err(format!(
                "table row {} has {} cells but the header names {} columns",
                i + 1,
                cells.len(),
                columns.len()
            ));
        }
        rows.push(cells);
    }
    Ok(ExpectedTable { columns, rows })
}

/// `(3 rows)` / `(1 row)` → the count.
fn footer_count(line: &str) -> Option<usize> {
    let t = line.trim();
    let inner = t.strip_prefix('(')?.strip_suffix(')')?;
    let (n, noun) = inner.split_once(' ')?;
    matches!(noun, "row" | "rows").then_some(())?;
    n.parse().ok()
}

/// Cuts a text-table line into cells at the column widths given by the rule.
fn cut(line: &str, widths: &[usize]) -> Result<Vec<String>, String> {
    let mut cells = Vec::with_capacity(widths.len());
    let mut chars = line.chars().peekable();
    for (i, w) in widths.iter().enumerate() {
        let mut cell = String::new();
        let mut col = 0;
        let last = i + 1 == widths.len();
        while let Some(&c) = chars.peek() {
            if !last && col >= *w {
                break;
            }
            col += c.width().unwrap_or(0);
            cell.push(c);
            chars.next();
        }
        if !last {
            let sep: String = chars.by_ref().take(3).collect();
            let bar = sep.trim();
            if !(sep.is_empty() || (sep.starts_with(' ') && (bar == "│" || bar == "|"))) {
                return Err(format!("`{line}` does not line up with the header"));
            }
        }
        cells.push(cell.trim().to_string());
    }
    Ok(cells)
}

/// Reads the text table(s) `kql` prints.
pub fn parse_rendered(text: &str) -> Result<Vec<ExpectedTable>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut tables = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(line) = lines.get(i) else { break };
        if line.trim().is_empty() {
            i += 1;
            continue;
        }
        if let Some(n) = footer_count(line) {
            // A result without columns prints only its footer.
            tables.push(ExpectedTable {
                columns: Vec::new(),
                rows: vec![Vec::new(); n],
            });
            i += 1;
            continue;
        }
        let (Some(types), Some(rule)) = (lines.get(i + 1), lines.get(i + 2)) else {
            return Err(format!(
                "`{line}`: a table needs a line of names, a line of types and a rule"
            ));
        };
        let widths: Vec<usize> = if rule.contains('┼') || rule.contains('─') {
            rule.split("─┼─").map(|s| s.chars().count()).collect()
        } else {
            rule.split("-+-").map(|s| s.chars().count()).collect()
        };
        if !rule.chars().all(|c| matches!(c, '─' | '┼' | '-' | '+')) || rule.is_empty() {
            return Err(format!("`{rule}` should be the rule under the types"));
        }
        let names = cut(line, &widths)?;
        let tys = cut(types, &widths)?;
        let mut columns = Vec::with_capacity(names.len());
        for (n, t) in names.into_iter().zip(tys) {
            let ty = KqlType::from_name(&t)
                .ok_or_else(|| format!("column `{n}`: unknown type `{t}`"))?;
            columns.push(Column {
                name: n,
                ty: Some(ty),
            });
        }
        i += 3;
        let mut rows = Vec::new();
        loop {
            let Some(l) = lines.get(i) else {
                return Err("a table is missing its `(N rows)` footer".to_string());
            };
            i += 1;
            if footer_count(l) == Some(rows.len()) {
                break;
            }
            rows.push(cut(l, &widths)?);
        }
        tables.push(ExpectedTable { columns, rows });
    }
    Ok(tables)
}

/// Writes a result as CSV; with `typed`, the header names carry their types.
pub fn write_csv(t: &ActualTable, typed: bool) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let header: Vec<String> = t
        .columns
        .iter()
        .map(|(n, ty)| {
            if typed {
                format!("{n}:{}", ty.name())
            } else {
                n.clone()
            }
        })
        .collect();
    let _ = w.write_record(&header);
    for r in &t.rows {
        let _ = w.write_record(r);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A cell as a JSON value of its column's type.
fn json_value(cell: &str, ty: KqlType) -> serde_json::Value {
    use serde_json::Value;
    if cell.is_empty() && ty != KqlType::String {
        return Value::Null;
    }
    match ty {
        KqlType::Bool => Value::Bool(cell == "true"),
        KqlType::Int | KqlType::Long => cell
            .parse::<i64>()
            .map_or_else(|_| Value::String(cell.to_string()), Value::from),
        KqlType::Real | KqlType::Decimal => serde_json::from_str::<serde_json::Number>(cell)
            .map_or_else(|_| Value::String(cell.to_string()), Value::Number),
        KqlType::Dynamic => {
            serde_json::from_str(cell).unwrap_or_else(|_| Value::String(cell.to_string()))
        }
        _ => Value::String(cell.to_string()),
    }
}

/// Writes a result in the `--format json` shape, one row per line.
pub fn write_json(t: &ActualTable) -> String {
    let cols: Vec<serde_json::Value> = t
        .columns
        .iter()
        .map(|(n, ty)| serde_json::json!({"name": n, "type": ty.name()}))
        .collect();
    let mut out = format!(
        "{{\"columns\":{},\n\"rows\":[",
        serde_json::Value::Array(cols)
    );
    for (i, r) in t.rows.iter().enumerate() {
        let row: Vec<serde_json::Value> = r
            .iter()
            .zip(&t.columns)
            .map(|(c, (_, ty))| json_value(c, *ty))
            .collect();
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&serde_json::Value::Array(row).to_string());
    }
    out.push_str("\n]}\n");
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

/// Writes a result as a Markdown pipe table, columns padded for reading.
pub fn write_md(t: &ActualTable) -> String {
    let head: Vec<String> = t.columns.iter().map(|(n, _)| md_escape(n)).collect();
    let body: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| r.iter().map(|c| md_escape(c)).collect())
        .collect();
    let width = |s: &str| s.chars().map(|c| c.width().unwrap_or(0)).sum::<usize>();
    let mut widths: Vec<usize> = head.iter().map(|h| width(h).max(3)).collect();
    for r in &body {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(width(c));
        }
    }
    let numeric: Vec<bool> = t.columns.iter().map(|(_, ty)| ty.is_numeric()).collect();
    let line = |cells: &[String]| {
        let mut s = String::from("|");
        for ((c, w), num) in cells.iter().zip(&widths).zip(&numeric) {
            let fill = " ".repeat(w.saturating_sub(width(c)));
            if *num {
                s.push_str(&format!(" {fill}{c} |"));
            } else {
                s.push_str(&format!(" {c}{fill} |"));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(&head);
    out.push('|');
    for (w, num) in widths.iter().zip(&numeric) {
        let dashes = "-".repeat(*w);
        if *num {
            out.push_str(&format!(" {}: |", &dashes[1..]));
        } else {
            out.push_str(&format!(" {dashes} |"));
        }
    }
    out.push('\n');
    for r in &body {
        out.push_str(&line(r));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_and_without_types() {
        let (t, typed) = parse_csv("A:long,B,C:nonsense\n1,x,y\n").expect("csv");
        assert!(typed);
        assert_eq!(
            t.columns[0],
            Column {
                name: "A".into(),
                ty: Some(KqlType::Long)
            }
        );
        assert_eq!(t.columns[1].ty, None);
        assert_eq!(
            t.columns[2].name, "C:nonsense",
            "an unknown suffix stays in the name"
        );
        assert_eq!(t.rows, vec![vec!["1", "x", "y"]]);
        assert!(parse_csv("A,B\n1\n").is_err(), "ragged rows are an error");
        assert!(parse_csv("").is_err());
    }

    #[test]
    fn json_form() {
        let t = parse_json(r#"{"columns":[{"name":"A","type":"long"},{"name":"D","type":"dynamic"},{"name":"S"}],"rows":[[1,{"a":[1]},null]]}"#)
            .expect("json");
        assert_eq!(t.columns[1].ty, Some(KqlType::Dynamic));
        assert_eq!(t.columns[2].ty, None);
        assert_eq!(t.rows, vec![vec!["1", r#"{"a":[1]}"#, ""]]);
        assert!(parse_json(r#"{"columns":[{"name":"A","type":"long"}],"rows":[[1,2]]}"#).is_err());
        assert!(parse_json(r#"[1]"#).is_err());
    }

    #[test]
    fn markdown_tables() {
        let t = parse_md_table(&[
            "| A | B:long |",
            "|---|--:|",
            "| x \\| y | 2 |",
            "|a<br>b|3|",
            "| `7z.exe` | 4 |",
        ])
        .expect("table");
        assert_eq!(
            t.columns[1],
            Column {
                name: "B".into(),
                ty: Some(KqlType::Long)
            }
        );
        assert_eq!(
            t.rows,
            vec![vec!["x | y", "2"], vec!["a\nb", "3"], vec!["7z.exe", "4"]]
        );
        assert!(parse_md_table(&["| A |", "| x |"]).is_err());
        assert!(parse_md_table(&["| A | B |", "|---|---|", "| 1 |"]).is_err());
    }

    #[test]
    fn rendered_tables() {
        // Widths come from the rule (6, 7, 7), so a cell may hold ` │ `.
        let text = "\
B      │ Renamed │ Column1
string │    long │    real
───────┼─────────┼────────
a │ b  │       1 │     2.5
       │       2 │
(2 rows)
   A
long
────

(1 row)
";
        let ts = parse_rendered(text).expect("tables");
        assert_eq!(ts.len(), 2);
        assert_eq!(
            ts[0].rows,
            vec![vec!["a │ b", "1", "2.5"], vec!["", "2", ""]]
        );
        assert_eq!(ts[0].columns[2].ty, Some(KqlType::Real));
        assert_eq!(ts[1].rows, vec![vec![""]]);
        assert!(
            parse_rendered("A\nlong\n──\n1\n").is_err(),
            "footer required"
        );
        assert!(parse_rendered("A │ B\nlong │ long\n──┼──\n1x2345\n(1 row)\n").is_err());
    }
}
