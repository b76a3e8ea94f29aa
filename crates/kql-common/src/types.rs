//! KQL scalar types and how each is laid out in Arrow.

use arrow_schema::{DataType, Field};
use std::collections::HashMap;
use std::fmt;

/// A KQL scalar type.
///
/// Physical layout in Arrow (one place defines it: [`KqlType::arrow_type`]):
///
/// | KQL        | Arrow     | notes                                             |
/// |------------|-----------|---------------------------------------------------|
/// | `bool`     | Boolean   |                                                   |
/// | `int`      | Int32     |                                                   |
/// | `long`     | Int64     |                                                   |
/// | `real`     | Float64   | `decimal` is held as `real` too                   |
/// | `string`   | Utf8      | KQL strings are never null: a missing one is `""` |
/// | `datetime` | Int64     | 100 ns ticks since 1970-01-01T00:00:00Z           |
/// | `timespan` | Int64     | 100 ns ticks                                      |
/// | `guid`     | Utf8      | lower-case `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` |
/// | `dynamic`  | Utf8      | compact JSON text of the value                    |
///
/// Because several KQL types share an Arrow type, every Arrow field carries
/// its KQL type in the field metadata under [`KQL_TYPE_KEY`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KqlType {
    Bool,
    Int,
    Long,
    Real,
    Decimal,
    String,
    DateTime,
    TimeSpan,
    Guid,
    Dynamic,
}

/// Field-metadata key holding the KQL type name.
pub const KQL_TYPE_KEY: &str = "kql.type";

impl KqlType {
    /// Every type, in the order the docs list them.
    pub const ALL: [KqlType; 10] = [
        KqlType::Bool,
        KqlType::DateTime,
        KqlType::Decimal,
        KqlType::Dynamic,
        KqlType::Guid,
        KqlType::Int,
        KqlType::Long,
        KqlType::Real,
        KqlType::String,
        KqlType::TimeSpan,
    ];

    /// The canonical KQL name (`long`, `datetime`, ...).
    pub fn name(self) -> &'static str {
        match self {
            KqlType::Bool => "bool",
            KqlType::Int => "int",
            KqlType::Long => "long",
            KqlType::Real => "real",
            KqlType::Decimal => "decimal",
            KqlType::String => "string",
            KqlType::DateTime => "datetime",
            KqlType::TimeSpan => "timespan",
            KqlType::Guid => "guid",
            KqlType::Dynamic => "dynamic",
        }
    }

    /// Parses a type name as written in KQL, including the documented aliases
    /// (`boolean`, `double`, `date`, `time`, `int64`, `uniqueid`, ...).
    pub fn from_name(name: &str) -> Option<KqlType> {
        Some(match name {
            "bool" | "boolean" => KqlType::Bool,
            "int" | "int32" => KqlType::Int,
            "long" | "int64" => KqlType::Long,
            "real" | "double" => KqlType::Real,
            "decimal" => KqlType::Decimal,
            "string" => KqlType::String,
            "datetime" | "date" => KqlType::DateTime,
            "timespan" | "time" => KqlType::TimeSpan,
            "guid" | "uuid" | "uniqueid" => KqlType::Guid,
            "dynamic" => KqlType::Dynamic,
            _ => return None,
        })
    }

    /// The Arrow type that holds values of this KQL type.
    pub fn arrow_type(self) -> DataType {
        match self {
            KqlType::Bool => DataType::Boolean,
            KqlType::Int => DataType::Int32,
            KqlType::Long | KqlType::DateTime | KqlType::TimeSpan => DataType::Int64,
            KqlType::Real | KqlType::Decimal => DataType::Float64,
            KqlType::String | KqlType::Guid | KqlType::Dynamic => DataType::Utf8,
        }
    }

    /// An Arrow field of this type, tagged with the KQL type name.
    pub fn field(self, name: impl Into<String>) -> Field {
        Field::new(name, self.arrow_type(), true).with_metadata(HashMap::from([(
            KQL_TYPE_KEY.to_string(),
            self.name().to_string(),
        )]))
    }

    /// The KQL type of an Arrow field: its metadata tag, or else the natural
    /// KQL type of its Arrow type. `None` for Arrow types KQL cannot hold.
    pub fn of_field(field: &Field) -> Option<KqlType> {
        if let Some(t) = field
            .metadata()
            .get(KQL_TYPE_KEY)
            .and_then(|n| KqlType::from_name(n))
        {
            return Some(t);
        }
        Some(match field.data_type() {
            DataType::Boolean => KqlType::Bool,
            DataType::Int8 | DataType::Int16 | DataType::Int32 => KqlType::Int,
            DataType::Int64 | DataType::UInt8 | DataType::UInt16 | DataType::UInt32 => {
                KqlType::Long
            }
            DataType::Float16 | DataType::Float32 | DataType::Float64 => KqlType::Real,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => KqlType::String,
            DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => KqlType::DateTime,
            DataType::Duration(_) => KqlType::TimeSpan,
            _ => return None,
        })
    }

    /// Whether the type is `int`, `long`, `real` or `decimal`.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal
        )
    }

    /// Whether values of the type are held in an Int64 array.
    pub fn is_int64(self) -> bool {
        matches!(self, KqlType::Long | KqlType::DateTime | KqlType::TimeSpan)
    }
}

impl fmt::Display for KqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in KqlType::ALL {
            assert_eq!(KqlType::from_name(t.name()), Some(t));
        }
        assert_eq!(KqlType::from_name("boolean"), Some(KqlType::Bool));
        assert_eq!(KqlType::from_name("double"), Some(KqlType::Real));
        assert_eq!(KqlType::from_name("Long"), None);
    }

    #[test]
    fn field_metadata_keeps_the_kql_type() {
        let f = KqlType::DateTime.field("Timestamp");
        assert_eq!(f.data_type(), &DataType::Int64);
        assert_eq!(KqlType::of_field(&f), Some(KqlType::DateTime));
        let plain = Field::new("x", DataType::Int64, true);
        assert_eq!(KqlType::of_field(&plain), Some(KqlType::Long));
    }
}
