//! Simple conditions on a table's columns that a query hands to the table's
//! reader, so a reader that keeps statistics (Parquet row groups) can skip
//! parts of a file that cannot hold a matching row.

use crate::{KqlType, ScalarValue};
use std::cmp::Ordering;

/// How a column is compared with a constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanOp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl ScanOp {
    /// The operator with its operands swapped (`5 < x` is `x > 5`).
    pub fn flipped(self) -> ScanOp {
        match self {
            ScanOp::Eq => ScanOp::Eq,
            ScanOp::Lt => ScanOp::Gt,
            ScanOp::Le => ScanOp::Ge,
            ScanOp::Gt => ScanOp::Lt,
            ScanOp::Ge => ScanOp::Le,
        }
    }
}

/// `column op value`: a row can satisfy the query's filter only if this
/// holds for it. A null column value never satisfies it, except that a
/// missing `string` is `""` (strings are never null).
///
/// The query still applies its whole filter to the rows read, so a reader
/// may ignore predicates; it must only never skip a row that satisfies all
/// of them.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanPredicate {
    /// Index into the table's schema.
    pub column: usize,
    pub op: ScanOp,
    /// A non-null value of the column's KQL type.
    pub value: ScalarValue,
}

impl ScanPredicate {
    /// Whether any value in `min..=max` can satisfy the predicate (`true`
    /// when the bounds cannot be compared with the value).
    pub fn may_match_range(&self, min: &ScalarValue, max: &ScalarValue) -> bool {
        let (Some(lo), Some(hi)) = (compare(min, &self.value), compare(max, &self.value)) else {
            return true;
        };
        match self.op {
            ScanOp::Eq => lo != Ordering::Greater && hi != Ordering::Less,
            ScanOp::Lt => lo == Ordering::Less,
            ScanOp::Le => lo != Ordering::Greater,
            ScanOp::Gt => hi == Ordering::Greater,
            ScanOp::Ge => hi != Ordering::Less,
        }
    }

    /// Whether a single value satisfies the predicate (`None` when it cannot
    /// be compared).
    pub fn matches(&self, v: &ScalarValue) -> Option<bool> {
        let o = compare(v, &self.value)?;
        Some(match self.op {
            ScanOp::Eq => o == Ordering::Equal,
            ScanOp::Lt => o == Ordering::Less,
            ScanOp::Le => o != Ordering::Greater,
            ScanOp::Gt => o == Ordering::Greater,
            ScanOp::Ge => o != Ordering::Less,
        })
    }

    /// The types of column a predicate may be given for.
    pub fn supports(ty: KqlType) -> bool {
        matches!(
            ty,
            KqlType::Bool
                | KqlType::Int
                | KqlType::Long
                | KqlType::Real
                | KqlType::String
                | KqlType::DateTime
                | KqlType::TimeSpan
        )
    }
}

/// Orders two non-null values of the same type (strings by their UTF-8
/// bytes, as `==` and `<` on strings do).
fn compare(a: &ScalarValue, b: &ScalarValue) -> Option<Ordering> {
    use ScalarValue as V;
    match (a, b) {
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        (V::Long(x), V::Long(y))
        | (V::DateTime(x), V::DateTime(y))
        | (V::TimeSpan(x), V::TimeSpan(y)) => Some(x.cmp(y)),
        (V::Real(x), V::Real(y)) => x.partial_cmp(y),
        (V::String(x), V::String(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(op: ScanOp, v: i64) -> ScanPredicate {
        ScanPredicate {
            column: 0,
            op,
            value: ScalarValue::Long(v),
        }
    }

    #[test]
    fn ranges_are_kept_unless_no_value_can_match() {
        let (lo, hi) = (ScalarValue::Long(10), ScalarValue::Long(20));
        let keep = |op, v| p(op, v).may_match_range(&lo, &hi);
        assert!(keep(ScanOp::Eq, 10) && keep(ScanOp::Eq, 20) && keep(ScanOp::Eq, 15));
        assert!(!keep(ScanOp::Eq, 9) && !keep(ScanOp::Eq, 21));
        assert!(keep(ScanOp::Lt, 11) && !keep(ScanOp::Lt, 10));
        assert!(keep(ScanOp::Le, 10) && !keep(ScanOp::Le, 9));
        assert!(keep(ScanOp::Gt, 19) && !keep(ScanOp::Gt, 20));
        assert!(keep(ScanOp::Ge, 20) && !keep(ScanOp::Ge, 21));
        // Bounds of another type say nothing.
        assert!(p(ScanOp::Eq, 1).may_match_range(&ScalarValue::Real(5.0), &ScalarValue::Real(6.0)));
    }

    #[test]
    fn strings_compare_by_bytes() {
        let q = ScanPredicate {
            column: 0,
            op: ScanOp::Eq,
            value: ScalarValue::String("Zürich".into()),
        };
        let s = |x: &str| ScalarValue::String(x.into());
        assert!(q.may_match_range(&s("Zu"), &s("Zürichx")));
        // 'ü' sorts after 'z' by its UTF-8 bytes.
        assert!(!q.may_match_range(&s("Z"), &s("Zz")));
        assert!(!q.may_match_range(&s("a"), &s("z")));
        assert_eq!(q.matches(&s("Zürich")), Some(true));
        assert_eq!(ScanOp::Lt.flipped(), ScanOp::Gt);
    }
}
