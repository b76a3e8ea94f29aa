//! Known MDE (Defender XDR advanced hunting) table schemas, portal and Sentinel variants.

use arrow_schema::{Schema, SchemaRef};
use kql_common::KqlType;
use serde_json::Value;
use std::sync::{Arc, OnceLock};

/// Which copy of a table's schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The Defender portal (advanced hunting) schema, with `Timestamp`.
    Portal,
    /// The Microsoft Sentinel / Log Analytics copy, with `TimeGenerated`,
    /// `TenantId` and other workspace columns.
    Sentinel,
}

/// One column of a known table.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnInfo {
    pub name: &'static str,
    pub kql_type: KqlType,
    pub description: &'static str,
}

struct TableDef {
    name: String,
    description: String,
    portal: Vec<(String, KqlType, String)>,
    sentinel: Vec<(String, KqlType, String)>,
}

const SCHEMAS_JSON: &str = include_str!("../schemas/mde-tables.json");

fn tables() -> &'static [TableDef] {
    static TABLES: OnceLock<Vec<TableDef>> = OnceLock::new();
    TABLES.get_or_init(|| parse_schemas(SCHEMAS_JSON))
}

fn parse_columns(v: Option<&Value>) -> Vec<(String, KqlType, String)> {
    let Some(Value::Array(cols)) = v else {
        return Vec::new();
    };
    cols.iter()
        .filter_map(|c| {
            let name = c.get("name")?.as_str()?;
            let ty = KqlType::from_name(c.get("type")?.as_str()?)?;
            let desc = c.get("description").and_then(Value::as_str).unwrap_or("");
            Some((name.to_string(), ty, desc.to_string()))
        })
        .collect()
}

fn parse_schemas(text: &str) -> Vec<TableDef> {
    let Ok(root) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let Some(Value::Object(tables)) = root.get("tables") else {
        return Vec::new();
    };
    tables
        .iter()
        .map(|(name, t)| TableDef {
            name: name.clone(),
            description: t
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            portal: parse_columns(t.get("columns")),
            sentinel: parse_columns(t.get("sentinel_columns")),
        })
        .collect()
}

fn find(table: &str) -> Option<&'static TableDef> {
    tables().iter().find(|t| t.name == table)
}

fn variant_columns(t: &'static TableDef, variant: Variant) -> &'static [(String, KqlType, String)] {
    match variant {
        Variant::Portal => &t.portal,
        Variant::Sentinel => &t.sentinel,
    }
}

/// The names of the known tables, in the order of the schema file.
pub fn table_names() -> Vec<&'static str> {
    tables().iter().map(|t| t.name.as_str()).collect()
}

/// A one-line description of a known table.
pub fn description(table: &str) -> Option<&'static str> {
    find(table).map(|t| t.description.as_str())
}

/// The columns of a known table in one variant, in documentation order.
pub fn columns(table: &str, variant: Variant) -> Option<Vec<ColumnInfo>> {
    let t = find(table)?;
    Some(
        variant_columns(t, variant)
            .iter()
            .map(|(n, ty, d)| ColumnInfo {
                name: n.as_str(),
                kql_type: *ty,
                description: d.as_str(),
            })
            .collect(),
    )
}

/// The Arrow schema of a known table in one variant (fields tagged with KQL types).
pub fn schema(table: &str, variant: Variant) -> Option<SchemaRef> {
    let t = find(table)?;
    let fields: Vec<_> = variant_columns(t, variant)
        .iter()
        .map(|(n, ty, _)| ty.field(n.as_str()))
        .collect();
    Some(Arc::new(Schema::new(fields)))
}

/// The declared type of each column of a file named after a known table.
///
/// The portal variant is used when it has every column, else the Sentinel
/// variant when it has every column, else whichever has more of them.
/// Columns the chosen variant lacks are `None` (their type is inferred).
pub(crate) fn declared_types(table: &str, names: &[String]) -> Vec<Option<KqlType>> {
    let Some(t) = find(table) else {
        return vec![None; names.len()];
    };
    let lookup = |cols: &[(String, KqlType, String)], n: &str| {
        cols.iter().find(|(c, _, _)| c == n).map(|(_, ty, _)| *ty)
    };
    let count = |cols: &[(String, KqlType, String)]| {
        names.iter().filter(|n| lookup(cols, n).is_some()).count()
    };
    let cols = if count(&t.portal) >= count(&t.sentinel) {
        &t.portal
    } else {
        &t.sentinel
    };
    names.iter().map(|n| lookup(cols, n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_load() {
        let names = table_names();
        assert_eq!(names.len(), 14);
        assert_eq!(names[0], "DeviceProcessEvents");
        let cols = columns("DeviceProcessEvents", Variant::Portal).unwrap_or_default();
        assert_eq!(cols.len(), 68);
        assert_eq!(cols[0].name, "Timestamp");
        assert_eq!(cols[0].kql_type, KqlType::DateTime);
        let sentinel = columns("DeviceProcessEvents", Variant::Sentinel).unwrap_or_default();
        assert_eq!(sentinel.len(), 75);
        assert!(columns("NoSuchTable", Variant::Portal).is_none());
    }

    #[test]
    fn variants_are_chosen_by_columns() {
        let names: Vec<String> = ["TimeGenerated", "AdditionalFields", "FileSize", "Extra"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let t = declared_types("DeviceFileEvents", &names);
        assert_eq!(
            t,
            vec![
                Some(KqlType::DateTime),
                Some(KqlType::Dynamic),
                Some(KqlType::Long),
                None
            ]
        );
        let names: Vec<String> = ["Timestamp", "AdditionalFields"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let t = declared_types("DeviceFileEvents", &names);
        assert_eq!(t, vec![Some(KqlType::DateTime), Some(KqlType::String)]);
    }
}
