//! Group lookup for hash aggregation: maps the key values of each input row
//! to a dense group id.
//!
//! A single string key and a single integer-like key (long, int, bool,
//! datetime, timespan) have their own paths: the key bytes or value are
//! hashed directly and the table holds only group ids, so a row whose group
//! exists costs one hash and one comparison and no allocation. Other key
//! combinations go through Arrow's row format, stored in one byte buffer.

use crate::error::{internal, EvalResult};
use crate::expr::arrow_err;
use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, StringArray};
#[cfg(test)]
use arrow::datatypes::Int32Type;
use arrow::datatypes::{DataType, Int64Type};
use arrow::row::{RowConverter, Rows, SortField};
use foldhash::fast::FixedState;
use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::sync::Arc;

/// Keys seen so far and their group ids.
pub(super) enum Groups {
    /// No keys: every row is in group 0.
    Single,
    /// One string key (strings are never null).
    Str(ByteGroups),
    /// One key stored as i64 (`types` says which Arrow type to give back).
    Int {
        table: HashTable<u32>,
        values: Vec<i64>,
        null_group: Option<u32>,
        valid: Vec<bool>,
        ty: DataType,
    },
    /// Any other keys, encoded with Arrow's row format.
    Rows {
        conv: RowConverter,
        bytes: ByteGroups,
        stored: Rows,
    },
}

/// Distinct byte strings in one buffer, with a table of their ids.
pub(super) struct ByteGroups {
    table: HashTable<u32>,
    offsets: Vec<usize>,
    data: Vec<u8>,
    hashes: Vec<u64>,
}

impl ByteGroups {
    fn new() -> Self {
        ByteGroups {
            table: HashTable::new(),
            offsets: vec![0],
            data: Vec::new(),
            hashes: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.hashes.len()
    }

    fn get(&self, g: usize) -> &[u8] {
        match (self.offsets.get(g), self.offsets.get(g + 1)) {
            (Some(&a), Some(&b)) => self.data.get(a..b).unwrap_or_default(),
            _ => &[],
        }
    }

    /// The id of `key`, and whether it is new.
    fn intern(&mut self, key: &[u8], hasher: &FixedState) -> EvalResult<(u32, bool)> {
        let h = hasher.hash_one(key);
        let ByteGroups {
            table,
            offsets,
            data,
            hashes,
        } = self;
        let found = table.find(h, |&g| {
            let g = g as usize;
            match (offsets.get(g), offsets.get(g + 1)) {
                (Some(&a), Some(&b)) => data.get(a..b) == Some(key),
                _ => false,
            }
        });
        if let Some(&g) = found {
            return Ok((g, false));
        }
        let g = u32::try_from(hashes.len()).map_err(|_| internal("too many groups"))?;
        data.extend_from_slice(key);
        offsets.push(data.len());
        hashes.push(h);
        table.insert_unique(h, g, |&x| hashes.get(x as usize).copied().unwrap_or(0));
        Ok((g, true))
    }
}

const SEED: u64 = 0x6b71_6c5f_6167_6721;

impl Groups {
    /// The lookup structure for keys of these Arrow types.
    pub(super) fn new(types: &[DataType]) -> EvalResult<Groups> {
        Ok(match types {
            [] => Groups::Single,
            [DataType::Utf8] => Groups::Str(ByteGroups::new()),
            [t @ (DataType::Int64 | DataType::Int32 | DataType::Boolean)] => Groups::Int {
                table: HashTable::new(),
                values: Vec::new(),
                null_group: None,
                valid: Vec::new(),
                ty: t.clone(),
            },
            _ => {
                let conv =
                    RowConverter::new(types.iter().map(|t| SortField::new(t.clone())).collect())
                        .map_err(arrow_err)?;
                let stored = conv.empty_rows(0, 0);
                Groups::Rows {
                    conv,
                    bytes: ByteGroups::new(),
                    stored,
                }
            }
        })
    }

    /// Number of groups so far.
    pub(super) fn len(&self) -> usize {
        match self {
            Groups::Single => 1,
            Groups::Str(b) => b.len(),
            Groups::Int { valid, .. } => valid.len(),
            Groups::Rows { bytes, .. } => bytes.len(),
        }
    }

    /// Fills `ids` with the group of each of the `n` rows whose keys are
    /// `keys`.
    pub(super) fn assign(
        &mut self,
        keys: &[ArrayRef],
        n: usize,
        ids: &mut Vec<u32>,
    ) -> EvalResult<()> {
        ids.clear();
        let hasher = FixedState::with_seed(SEED);
        match self {
            Groups::Single => ids.resize(n, 0),
            Groups::Str(groups) => {
                let a: &StringArray = first(keys)?.as_string::<i32>();
                let offs = a.value_offsets();
                let data = a.value_data();
                for w in offs.windows(2) {
                    let (s, e) = match w {
                        [s, e] => (*s as usize, *e as usize),
                        _ => (0, 0),
                    };
                    let key = data.get(s..e).unwrap_or_default();
                    ids.push(groups.intern(key, &hasher)?.0);
                }
            }
            Groups::Int {
                table,
                values,
                null_group,
                valid,
                ..
            } => {
                let arr = first(keys)?;
                let cast;
                let a: &Int64Array = if arr.data_type() == &DataType::Int64 {
                    arr.as_primitive::<Int64Type>()
                } else {
                    cast = arrow::compute::kernels::cast::cast(arr, &DataType::Int64)
                        .map_err(arrow_err)?;
                    cast.as_primitive::<Int64Type>()
                };
                let has_nulls = a.null_count() > 0;
                for (i, &v) in a.values().iter().enumerate() {
                    if has_nulls && a.is_null(i) {
                        let g = match *null_group {
                            Some(g) => g,
                            None => {
                                let g = new_id(valid.len())?;
                                values.push(0);
                                valid.push(false);
                                *null_group = Some(g);
                                g
                            }
                        };
                        ids.push(g);
                        continue;
                    }
                    let h = hasher.hash_one(v);
                    let found = table.find(h, |&g| {
                        values.get(g as usize) == Some(&v) && Some(g) != *null_group
                    });
                    let g = match found {
                        Some(&g) => g,
                        None => {
                            let g = new_id(valid.len())?;
                            values.push(v);
                            valid.push(true);
                            table.insert_unique(h, g, |&x| {
                                hasher.hash_one(values.get(x as usize).copied().unwrap_or(0))
                            });
                            g
                        }
                    };
                    ids.push(g);
                }
            }
            Groups::Rows {
                conv,
                bytes,
                stored,
            } => {
                let rows = conv.convert_columns(keys).map_err(arrow_err)?;
                for i in 0..n {
                    let row = rows.row(i);
                    let (g, new) = bytes.intern(row.as_ref(), &hasher)?;
                    if new {
                        stored.push(row);
                    }
                    ids.push(g);
                }
            }
        }
        Ok(())
    }

    /// Adds the groups of `other` (built for the same key types over later
    /// rows) that are new here, in `other`'s order, and returns the id here
    /// of each of `other`'s groups.
    pub(super) fn absorb(&mut self, other: Groups) -> EvalResult<Vec<u32>> {
        let hasher = FixedState::with_seed(SEED);
        let mut ids = Vec::with_capacity(other.len());
        match (self, other) {
            (Groups::Single, Groups::Single) => ids.push(0),
            (Groups::Str(mine), Groups::Str(theirs)) => {
                for g in 0..theirs.len() {
                    ids.push(mine.intern(theirs.get(g), &hasher)?.0);
                }
            }
            (
                Groups::Int {
                    table,
                    values,
                    null_group,
                    valid,
                    ..
                },
                Groups::Int {
                    values: their_values,
                    valid: their_valid,
                    ..
                },
            ) => {
                for (&v, &ok) in their_values.iter().zip(&their_valid) {
                    if !ok {
                        let g = match *null_group {
                            Some(g) => g,
                            None => {
                                let g = new_id(valid.len())?;
                                values.push(0);
                                valid.push(false);
                                *null_group = Some(g);
                                g
                            }
                        };
                        ids.push(g);
                        continue;
                    }
                    let h = hasher.hash_one(v);
                    let found = table.find(h, |&g| {
                        values.get(g as usize) == Some(&v) && Some(g) != *null_group
                    });
                    let g = match found {
                        Some(&g) => g,
                        None => {
                            let g = new_id(valid.len())?;
                            values.push(v);
                            valid.push(true);
                            table.insert_unique(h, g, |&x| {
                                hasher.hash_one(values.get(x as usize).copied().unwrap_or(0))
                            });
                            g
                        }
                    };
                    ids.push(g);
                }
            }
            (
                Groups::Rows {
                    conv,
                    bytes,
                    stored,
                },
                Groups::Rows {
                    conv: their_conv,
                    stored: their_rows,
                    ..
                },
            ) => {
                // Rows of another converter are re-encoded with this one.
                let keys = their_conv.convert_rows(&their_rows).map_err(arrow_err)?;
                let rows = conv.convert_columns(&keys).map_err(arrow_err)?;
                for row in rows.iter() {
                    let (g, new) = bytes.intern(row.as_ref(), &hasher)?;
                    if new {
                        stored.push(row);
                    }
                    ids.push(g);
                }
            }
            _ => return Err(internal("partial aggregates of different key kinds")),
        }
        Ok(ids)
    }

    /// The key columns of the groups, in group id order.
    pub(super) fn finish(self) -> EvalResult<Vec<ArrayRef>> {
        Ok(match self {
            Groups::Single => vec![],
            Groups::Str(b) => {
                let n = b.len();
                let mut builder = arrow::array::StringBuilder::with_capacity(n, b.data.len());
                for g in 0..n {
                    builder.append_value(String::from_utf8_lossy(b.get(g)));
                }
                vec![Arc::new(builder.finish())]
            }
            Groups::Int {
                values, valid, ty, ..
            } => {
                let a: ArrayRef = Arc::new(Int64Array::new(
                    values.into(),
                    Some(arrow::buffer::NullBuffer::from(valid)),
                ));
                let a = match ty {
                    DataType::Int64 => a,
                    DataType::Boolean => {
                        let b: BooleanArray = a
                            .as_primitive::<Int64Type>()
                            .iter()
                            .map(|v| v.map(|x| x != 0))
                            .collect();
                        Arc::new(b)
                    }
                    t => arrow::compute::kernels::cast::cast(&a, &t).map_err(arrow_err)?,
                };
                vec![a]
            }
            Groups::Rows { conv, stored, .. } => conv.convert_rows(&stored).map_err(arrow_err)?,
        })
    }
}

fn new_id(n: usize) -> EvalResult<u32> {
    u32::try_from(n).map_err(|_| internal("too many groups"))
}

fn first(keys: &[ArrayRef]) -> EvalResult<&ArrayRef> {
    keys.first().ok_or_else(|| internal("group key missing"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int32Array};

    fn ids_of(groups: &mut Groups, keys: Vec<ArrayRef>) -> Vec<u32> {
        let n = keys.first().map_or(0, |k| k.len());
        let mut ids = Vec::new();
        groups.assign(&keys, n, &mut ids).expect("assign");
        ids
    }

    #[test]
    fn string_keys_get_dense_ids_across_batches() {
        let mut g = Groups::new(&[DataType::Utf8]).expect("groups");
        let a: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "a", ""]));
        assert_eq!(ids_of(&mut g, vec![a]), vec![0, 1, 0, 2]);
        let b: ArrayRef = Arc::new(StringArray::from(vec!["", "c", "b"]));
        assert_eq!(ids_of(&mut g, vec![b]), vec![2, 3, 1]);
        let keys = g.finish().expect("finish");
        let k = keys.first().expect("key").as_string::<i32>();
        let v: Vec<&str> = k.iter().map(|x| x.unwrap_or("?")).collect();
        assert_eq!(v, vec!["a", "b", "", "c"]);
    }

    #[test]
    fn integer_keys_keep_null_apart_from_zero() {
        let mut g = Groups::new(&[DataType::Int32]).expect("groups");
        let a: ArrayRef = Arc::new(Int32Array::from(vec![
            Some(0),
            None,
            Some(0),
            Some(7),
            None,
        ]));
        assert_eq!(ids_of(&mut g, vec![a]), vec![0, 1, 0, 2, 1]);
        let keys = g.finish().expect("finish");
        let k = keys.first().expect("key");
        assert_eq!(k.data_type(), &DataType::Int32);
        let k = k.as_primitive::<Int32Type>();
        assert_eq!(k.iter().collect::<Vec<_>>(), vec![Some(0), None, Some(7)]);
    }

    #[test]
    fn several_keys_use_rows() {
        let mut g = Groups::new(&[DataType::Utf8, DataType::Float64]).expect("groups");
        let s: ArrayRef = Arc::new(StringArray::from(vec!["a", "a", "b", "a"]));
        let f: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 2.0, 1.0, 1.0]));
        assert_eq!(ids_of(&mut g, vec![s, f]), vec![0, 1, 2, 0]);
        assert_eq!(g.len(), 3);
        assert_eq!(g.finish().expect("finish").len(), 2);
    }

    #[test]
    fn no_keys_is_one_group() {
        let mut g = Groups::new(&[]).expect("groups");
        let mut ids = Vec::new();
        g.assign(&[], 3, &mut ids).expect("assign");
        assert_eq!(ids, vec![0, 0, 0]);
        assert_eq!(g.len(), 1);
    }
}
