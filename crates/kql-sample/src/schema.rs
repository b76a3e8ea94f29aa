//! The portal column lists of the MDE tables, read from the bundled schema file.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use crate::Error;

const SCHEMA_JSON: &str = include_str!("../../kql-io/schemas/mde-tables.json");

/// FNV-1a: column lookups happen for every field of every row, and the keys
/// are short trusted strings, so a simple fast hash beats SipHash here.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// One column: its name and KQL type name.
#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub kql_type: String,
}

/// The columns of one table, in portal order, with a name index.
#[derive(Debug)]
pub struct TableSchema {
    pub name: String,
    pub columns: Vec<Column>,
    index: FastMap<String, usize>,
}

impl TableSchema {
    /// Position of a column by name.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

fn parse_all() -> Result<HashMap<String, TableSchema>, String> {
    let root: serde_json::Value =
        serde_json::from_str(SCHEMA_JSON).map_err(|e| format!("schema JSON: {e}"))?;
    let tables = root
        .get("tables")
        .and_then(|t| t.as_object())
        .ok_or("schema JSON has no `tables` object")?;
    let mut out = HashMap::new();
    for (name, table) in tables {
        let cols = table
            .get("columns")
            .and_then(|c| c.as_array())
            .ok_or_else(|| format!("table {name} has no `columns`"))?;
        let mut columns = Vec::with_capacity(cols.len());
        for c in cols {
            let cname = c.get("name").and_then(|v| v.as_str());
            let ctype = c.get("type").and_then(|v| v.as_str());
            match (cname, ctype) {
                (Some(n), Some(t)) => columns.push(Column {
                    name: n.to_string(),
                    kql_type: t.to_string(),
                }),
                _ => return Err(format!("table {name}: malformed column entry")),
            }
        }
        let index = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        out.insert(
            name.clone(),
            TableSchema {
                name: name.clone(),
                columns,
                index,
            },
        );
    }
    Ok(out)
}

fn all() -> &'static Result<HashMap<String, TableSchema>, String> {
    static SCHEMAS: OnceLock<Result<HashMap<String, TableSchema>, String>> = OnceLock::new();
    SCHEMAS.get_or_init(parse_all)
}

/// The portal schema of `table`.
pub fn table(table: &str) -> Result<&'static TableSchema, Error> {
    match all() {
        Ok(map) => map
            .get(table)
            .ok_or_else(|| Error::Schema(format!("table {table} is not in the schema"))),
        Err(e) => Err(Error::Schema(e.clone())),
    }
}
