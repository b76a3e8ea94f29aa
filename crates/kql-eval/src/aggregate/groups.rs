//! Group lookup for hash aggregation: maps the key values of each input row
//! to a dense group id.
//!
//! A single string key and a single integer-like key (long, int, bool,
//! datetime, timespan) have their own paths: the key bytes or value are
//! hashed directly and the table holds only group ids, so a row whose group
//! exists costs one hash and one comparison and no allocation. Several keys
//! that are each a string or integer-like get a dictionary per key column
//! (the column's distinct values, usually few, in a small table that stays
//! in cache), and a group is the tuple of its keys' dictionary ids. Other
//! key combinations go through Arrow's row format, stored in one byte
//! buffer (a string key enters the rows as its id in a dictionary of the
//! key's values, as for several keys).
//!
//! A string key column may come dictionary-encoded (see [`crate::dict`]):
//! then each dictionary value a row uses is looked up once, its id kept in
//! a table indexed by the value's position (kept for the next batch while
//! its dictionary is the same one), and each row costs one array index.
//!
//! Group ids are given in the order of each group's first row; partial
//! states built over later rows are merged with [`Groups::absorb`], which
//! keeps that order.

use crate::dict;
use crate::error::{internal, EvalResult};
use crate::expr::arrow_err;
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, DictionaryArray, Int64Array, StringArray, UInt32Array,
};
use arrow::datatypes::{DataType, Int32Type, Int64Type, UInt32Type};
use arrow::row::{RowConverter, Rows, SortField};
use foldhash::fast::FixedState;
use hashbrown::HashTable;
use std::borrow::Cow;
use std::hash::BuildHasher;
use std::sync::Arc;

/// Keys seen so far and their group ids.
pub(crate) enum Groups {
    /// No keys: every row is in group 0.
    Single,
    /// One `Utf8` key: a `string` (never null), or a `guid` or `dynamic`
    /// whose null is a group of its own.
    Str(Dict),
    /// One key stored as i64 (`ty` says which Arrow type to give back).
    Int { dict: IntDict, ty: DataType },
    /// Several string or integer-like keys: one dictionary per key, and
    /// the groups as tuples of dictionary ids.
    Tuples {
        dicts: Vec<Dict>,
        /// Per group: a tag (see [`tuple_hash`]) and its id.
        table: HashTable<(u64, u32)>,
        /// `dicts.len()` ids per group.
        tuples: Vec<u32>,
        /// With two keys: the group of each pair met, by position.
        pairs: Option<PairCache>,
    },
    /// Any other keys, encoded with Arrow's row format; a string key
    /// enters the rows as its id in a dictionary of its own (`strs`).
    Rows {
        conv: RowConverter,
        bytes: ByteGroups,
        stored: Rows,
        /// Per key: its dictionary when it is a string.
        strs: Vec<Option<Dict>>,
    },
}

/// Distinct byte strings in one buffer, with a table of their ids.
pub(crate) struct ByteGroups {
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
        let g = new_id(hashes.len())?;
        data.extend_from_slice(key);
        offsets.push(data.len());
        hashes.push(h);
        table.insert_unique(h, g, |&x| hashes.get(x as usize).copied().unwrap_or(0));
        Ok((g, true))
    }

    /// The id of `key` when it is here.
    fn find(&self, key: &[u8], hasher: &FixedState) -> Option<u32> {
        let h = hasher.hash_one(key);
        self.table
            .find(h, |&g| self.get(g as usize) == key)
            .copied()
    }

    /// A new id that no key finds (for null).
    fn unfindable(&mut self) -> EvalResult<u32> {
        let g = new_id(self.hashes.len())?;
        self.offsets.push(self.data.len());
        self.hashes.push(0);
        Ok(g)
    }

    /// The strings of `ids`, in that order (`null` for the id `null`).
    fn strings(&self, ids: impl Iterator<Item = u32>, null: Option<u32>) -> ArrayRef {
        let ids = UInt32Array::from_iter_values(ids);
        // Every value at once, checked as UTF-8 in one pass, then gathered.
        if let Some(all) = self.all_strings(null) {
            if let Ok(a) = arrow::compute::take(&all, &ids, None) {
                return a;
            }
        }
        let mut b = arrow::array::StringBuilder::with_capacity(self.len(), self.data.len());
        for &g in ids.values() {
            if Some(g) == null {
                b.append_null();
            } else {
                b.append_value(String::from_utf8_lossy(self.get(g as usize)));
            }
        }
        Arc::new(b.finish())
    }
}

impl ByteGroups {
    /// Every value, by id, as one string array (`null` for the id
    /// `null`); `None` when the values are not UTF-8 or too long for
    /// 32-bit offsets.
    fn all_strings(&self, null: Option<u32>) -> Option<ArrayRef> {
        let offsets = self
            .offsets
            .iter()
            .map(|&o| i32::try_from(o).ok())
            .collect::<Option<Vec<i32>>>()?;
        let offsets = arrow::buffer::OffsetBuffer::new(offsets.into());
        let nulls = null.map(|n| {
            arrow::buffer::NullBuffer::from_iter((0..self.len()).map(|g| g != n as usize))
        });
        let values = arrow::buffer::Buffer::from(self.data.as_slice());
        StringArray::try_new(offsets, values, nulls)
            .ok()
            .map(|a| Arc::new(a) as ArrayRef)
    }
}

/// The ids given to the values of the dictionary a key column was last
/// encoded with, by value position ([`UNSET`] for values no row has used
/// yet).
#[derive(Default)]
pub(crate) struct Memo {
    /// The dictionary's values (held, so that a later dictionary found at
    /// the same address is the same one).
    values: Option<ArrayRef>,
    ids: Vec<u32>,
}

impl Memo {
    /// Makes the table that of `values`: kept when they are the values it
    /// was built for, new (every id unset) otherwise.
    fn follow(&mut self, values: &ArrayRef) {
        if let Some(old) = &self.values {
            if same_values(old, values) {
                return;
            }
        }
        self.values = Some(values.clone());
        self.ids.clear();
        self.ids.resize(values.len(), UNSET);
    }
}

/// Whether two dictionaries' value arrays are one and the same: the same
/// array, or the same bytes at the same addresses (a reader hands out the
/// same values for every batch of one dictionary; `a` is held, so its
/// memory cannot be another's).
pub(super) fn same_values(a: &ArrayRef, b: &ArrayRef) -> bool {
    if Arc::ptr_eq(a, b) {
        return true;
    }
    let (Some(x), Some(y)) = (a.as_string_opt::<i32>(), b.as_string_opt::<i32>()) else {
        return false;
    };
    x.len() == y.len()
        && x.value_offsets().as_ptr() == y.value_offsets().as_ptr()
        && x.value_data().as_ptr() == y.value_data().as_ptr()
        && x.value_data().len() == y.value_data().len()
        && x.nulls() == y.nulls()
}

/// A key column as a string dictionary whose keys and values are never
/// null, when it is one (others are made plain first).
fn encoded(arr: &ArrayRef) -> Option<&DictionaryArray<Int32Type>> {
    let d = dict::as_string_dictionary(arr.as_ref())?;
    (d.keys().null_count() == 0 && d.values().null_count() == 0).then_some(d)
}

/// A key column in plain form unless [`encoded`] takes it.
fn plain_key(arr: &ArrayRef) -> EvalResult<Cow<'_, ArrayRef>> {
    if dict::is_dictionary(arr.as_ref()) {
        Ok(Cow::Owned(dict::plain(arr)?))
    } else {
        Ok(Cow::Borrowed(arr))
    }
}

/// The position of a dictionary key.
fn key_index(k: i32, len: usize) -> EvalResult<usize> {
    usize::try_from(k)
        .ok()
        .filter(|&k| k < len)
        .ok_or_else(|| internal("dictionary key out of range"))
}

/// Distinct integer values (and null), with a table of their ids.
pub(crate) struct IntDict {
    table: HashTable<u32>,
    values: Vec<i64>,
    valid: Vec<bool>,
    null_id: Option<u32>,
}

impl IntDict {
    fn new() -> Self {
        IntDict {
            table: HashTable::new(),
            values: Vec::new(),
            valid: Vec::new(),
            null_id: None,
        }
    }

    fn len(&self) -> usize {
        self.valid.len()
    }

    /// The id of a value (`None`: null).
    fn id(&mut self, v: Option<i64>, hasher: &FixedState) -> EvalResult<u32> {
        let IntDict {
            table,
            values,
            valid,
            null_id,
        } = self;
        let Some(v) = v else {
            if let Some(g) = *null_id {
                return Ok(g);
            }
            let g = new_id(valid.len())?;
            values.push(0);
            valid.push(false);
            *null_id = Some(g);
            return Ok(g);
        };
        let h = hasher.hash_one(v);
        let found = table.find(h, |&g| values.get(g as usize) == Some(&v));
        if let Some(&g) = found {
            return Ok(g);
        }
        let g = new_id(valid.len())?;
        values.push(v);
        valid.push(true);
        table.insert_unique(h, g, |&x| {
            hasher.hash_one(values.get(x as usize).copied().unwrap_or(0))
        });
        Ok(g)
    }

    /// The id of a value that is here (`None`: null).
    fn find(&self, v: Option<i64>, hasher: &FixedState) -> Option<u32> {
        let Some(v) = v else {
            return self.null_id;
        };
        let h = hasher.hash_one(v);
        self.table
            .find(h, |&g| self.values.get(g as usize) == Some(&v))
            .copied()
    }

    /// Appends the id of each of a column's values to `ids` ([`MISSING`]
    /// for values that are not here).
    fn probe(&self, arr: &ArrayRef, ids: &mut Vec<u32>) -> EvalResult<()> {
        let hasher = FixedState::with_seed(SEED);
        let a = as_i64(arr)?;
        let has_nulls = a.null_count() > 0;
        for (i, &v) in a.values().iter().enumerate() {
            let v = (!has_nulls || a.is_valid(i)).then_some(v);
            ids.push(self.find(v, &hasher).unwrap_or(MISSING));
        }
        Ok(())
    }

    /// Appends the ids of a column's values to `ids`.
    fn assign(&mut self, arr: &ArrayRef, ids: &mut Vec<u32>) -> EvalResult<()> {
        let hasher = FixedState::with_seed(SEED);
        let cast;
        let a: &Int64Array = if arr.data_type() == &DataType::Int64 {
            arr.as_primitive::<Int64Type>()
        } else {
            cast = arrow::compute::kernels::cast::cast(arr, &DataType::Int64).map_err(arrow_err)?;
            cast.as_primitive::<Int64Type>()
        };
        let has_nulls = a.null_count() > 0;
        for (i, &v) in a.values().iter().enumerate() {
            let v = (!has_nulls || a.is_valid(i)).then_some(v);
            ids.push(self.id(v, &hasher)?);
        }
        Ok(())
    }

    /// The values of `ids` as an array of type `ty`.
    fn values_of(&self, ids: impl Iterator<Item = u32>, ty: &DataType) -> EvalResult<ArrayRef> {
        let a: Int64Array = ids
            .map(|g| {
                let g = g as usize;
                match (self.valid.get(g), self.values.get(g)) {
                    (Some(true), Some(&v)) => Some(v),
                    _ => None,
                }
            })
            .collect();
        let a: ArrayRef = Arc::new(a);
        Ok(match ty {
            DataType::Int64 => a,
            DataType::Boolean => {
                let b: BooleanArray = a
                    .as_primitive::<Int64Type>()
                    .iter()
                    .map(|v| v.map(|x| x != 0))
                    .collect();
                Arc::new(b)
            }
            t => arrow::compute::kernels::cast::cast(&a, t).map_err(arrow_err)?,
        })
    }

    /// Interns every value of `other` in its order; the id here of each
    /// of its ids.
    fn absorb(&mut self, other: &IntDict) -> EvalResult<Vec<u32>> {
        let hasher = FixedState::with_seed(SEED);
        other
            .values
            .iter()
            .zip(&other.valid)
            .map(|(&v, &ok)| self.id(ok.then_some(v), &hasher))
            .collect()
    }
}

/// The distinct values of one key column among several.
pub(crate) enum Dict {
    Str {
        bytes: ByteGroups,
        null: Option<u32>,
        memo: Memo,
    },
    Int {
        dict: IntDict,
        ty: DataType,
    },
}

impl Dict {
    /// Number of distinct values (null included).
    fn len(&self) -> usize {
        match self {
            Dict::Str { bytes, .. } => bytes.len(),
            Dict::Int { dict, .. } => dict.len(),
        }
    }

    fn new(ty: &DataType) -> Option<Dict> {
        match ty {
            DataType::Utf8 => Some(Dict::Str {
                bytes: ByteGroups::new(),
                null: None,
                memo: Memo::default(),
            }),
            DataType::Int64 | DataType::Int32 | DataType::Boolean => Some(Dict::Int {
                dict: IntDict::new(),
                ty: ty.clone(),
            }),
            _ => None,
        }
    }

    /// Appends the ids of a column's values to `ids`.
    fn assign(&mut self, arr: &ArrayRef, ids: &mut Vec<u32>) -> EvalResult<()> {
        match self {
            Dict::Str { bytes, memo, .. } if encoded(arr).is_some() => {
                let d = encoded(arr).ok_or_else(|| internal("dictionary expected"))?;
                assign_encoded(bytes, memo, d, ids)?;
            }
            Dict::Str { bytes, null, .. } => {
                let hasher = FixedState::with_seed(SEED);
                let arr = plain_key(arr)?;
                let a: &StringArray = arr.as_string::<i32>();
                let offs = a.value_offsets();
                let data = a.value_data();
                let has_nulls = a.null_count() > 0;
                for (i, w) in offs.windows(2).enumerate() {
                    if has_nulls && a.is_null(i) {
                        let g = match *null {
                            Some(g) => g,
                            None => {
                                let g = bytes.unfindable()?;
                                *null = Some(g);
                                g
                            }
                        };
                        ids.push(g);
                        continue;
                    }
                    let (s, e) = match w {
                        [s, e] => (*s as usize, *e as usize),
                        _ => (0, 0),
                    };
                    let key = data.get(s..e).unwrap_or_default();
                    ids.push(bytes.intern(key, &hasher)?.0);
                }
            }
            Dict::Int { dict, .. } => dict.assign(arr, ids)?,
        }
        Ok(())
    }

    /// Appends the id of each of a column's values to `ids` ([`MISSING`]
    /// for values that are not here).
    fn probe(&self, arr: &ArrayRef, ids: &mut Vec<u32>) -> EvalResult<()> {
        match self {
            Dict::Str { bytes, .. } if encoded(arr).is_some() => {
                let d = encoded(arr).ok_or_else(|| internal("dictionary expected"))?;
                probe_encoded(bytes, d, ids)
            }
            Dict::Str { bytes, null, .. } => {
                let hasher = FixedState::with_seed(SEED);
                let arr = plain_key(arr)?;
                let a: &StringArray = arr.as_string::<i32>();
                let has_nulls = a.null_count() > 0;
                for (i, key) in str_values(a).enumerate() {
                    let id = if has_nulls && a.is_null(i) {
                        *null
                    } else {
                        bytes.find(key, &hasher)
                    };
                    ids.push(id.unwrap_or(MISSING));
                }
                Ok(())
            }
            Dict::Int { dict, .. } => dict.probe(arr, ids),
        }
    }

    fn values_of(&self, ids: impl Iterator<Item = u32>) -> EvalResult<ArrayRef> {
        match self {
            Dict::Str { bytes, null, .. } => Ok(bytes.strings(ids, *null)),
            Dict::Int { dict, ty } => dict.values_of(ids, ty),
        }
    }

    fn absorb(&mut self, other: &Dict) -> EvalResult<Vec<u32>> {
        let hasher = FixedState::with_seed(SEED);
        match (self, other) {
            (
                Dict::Str { bytes, null, .. },
                Dict::Str {
                    bytes: theirs,
                    null: their_null,
                    ..
                },
            ) => (0..theirs.len())
                .map(|g| {
                    if Some(g as u32) == *their_null {
                        match *null {
                            Some(n) => Ok(n),
                            None => {
                                let n = bytes.unfindable()?;
                                *null = Some(n);
                                Ok(n)
                            }
                        }
                    } else {
                        Ok(bytes.intern(theirs.get(g), &hasher)?.0)
                    }
                })
                .collect(),
            (Dict::Int { dict, .. }, Dict::Int { dict: theirs, .. }) => dict.absorb(theirs),
            _ => Err(internal("partial aggregates of different key kinds")),
        }
    }
}

/// Appends the ids of a dictionary-encoded column's values to `ids`,
/// interning each value the first time a row uses it (so ids are given in
/// the order of first rows, as for the plain column).
fn assign_encoded(
    bytes: &mut ByteGroups,
    memo: &mut Memo,
    d: &DictionaryArray<Int32Type>,
    ids: &mut Vec<u32>,
) -> EvalResult<()> {
    let hasher = FixedState::with_seed(SEED);
    memo.follow(d.values());
    let values = d.values().as_string::<i32>();
    let table = memo.ids.as_mut_slice();
    let len = table.len();
    ids.reserve(d.len());
    for &k in d.keys().values() {
        let k = key_index(k, len)?;
        let id = match table.get(k).copied() {
            Some(UNSET) | None => {
                let id = bytes.intern(values.value(k).as_bytes(), &hasher)?.0;
                if let Some(slot) = table.get_mut(k) {
                    *slot = id;
                }
                id
            }
            Some(id) => id,
        };
        ids.push(id);
    }
    Ok(())
}

/// Appends the id of each of a dictionary-encoded column's values to
/// `ids` ([`MISSING`] for values that are not here), looking each value
/// up once.
fn probe_encoded(
    bytes: &ByteGroups,
    d: &DictionaryArray<Int32Type>,
    ids: &mut Vec<u32>,
) -> EvalResult<()> {
    let hasher = FixedState::with_seed(SEED);
    let values = d.values().as_string::<i32>();
    let keys = d.keys().values();
    let len = values.len();
    let find = |k: usize| {
        bytes
            .find(values.value(k).as_bytes(), &hasher)
            .unwrap_or(MISSING)
    };
    if len > keys.len().saturating_mul(4) {
        // More values than rows: no table, each row looks its value up.
        for &k in keys {
            ids.push(find(key_index(k, len)?));
        }
        return Ok(());
    }
    let mut table = vec![UNSET; len];
    for &k in keys {
        let k = key_index(k, len)?;
        let id = match table.get(k).copied() {
            Some(UNSET) | None => {
                let id = find(k);
                if let Some(slot) = table.get_mut(k) {
                    *slot = id;
                }
                id
            }
            Some(id) => id,
        };
        ids.push(id);
    }
    Ok(())
}

/// Most cells a [`PairCache`] has (4 bytes each); past that, pairs are
/// only hashed.
const MAX_PAIR_CELLS: usize = 1 << 21;

/// The group of each pair of per-key ids met so far, in a table indexed by
/// the two ids (a row whose pair is there costs one array index, no hash),
/// in front of the hashed tuples; [`UNSET`] for pairs not met yet.
#[derive(Default)]
pub(crate) struct PairCache {
    cells: Vec<u32>,
    /// Cells per first id: `1 << shift`.
    shift: u32,
    /// Ids of the first key the cells cover.
    rows: usize,
}

impl PairCache {
    /// Makes the table cover ids below `n0` and `n1` (emptied when it
    /// grows); false when that would take more than [`MAX_PAIR_CELLS`].
    fn cover(&mut self, n0: usize, n1: usize) -> bool {
        if n0 <= self.rows && n1 <= 1 << self.shift && !self.cells.is_empty() {
            return true;
        }
        let rows = n0.max(self.rows).max(16).next_power_of_two();
        let width = n1.max(1 << self.shift).max(16).next_power_of_two();
        if rows.saturating_mul(width) > MAX_PAIR_CELLS {
            return false;
        }
        self.shift = width.trailing_zeros();
        self.rows = rows;
        self.cells.clear();
        self.cells.resize(rows * width, UNSET);
        true
    }

    /// The group of the pair `(a, b)`, from the table or else from `find`
    /// (which gives it an id when new).
    fn id(
        &mut self,
        a: u32,
        b: u32,
        find: impl FnOnce(&[u32]) -> EvalResult<u32>,
    ) -> EvalResult<u32> {
        let (a, b) = (a as usize, b as usize);
        if a >= self.rows || b >> self.shift != 0 {
            return find(&[a as u32, b as u32]);
        }
        let cell = (a << self.shift) | b;
        if let Some(&g) = self.cells.get(cell) {
            if g != UNSET {
                return Ok(g);
            }
        }
        let g = find(&[a as u32, b as u32])?;
        if let Some(slot) = self.cells.get_mut(cell) {
            *slot = g;
        }
        Ok(g)
    }
}

/// The hash of a tuple of dictionary ids, and the tag its table entry
/// holds: up to two ids are packed into the tag itself, so the entry alone
/// decides equality; longer tuples are tagged with their hash, and equal
/// tags are confirmed against the stored tuple.
fn tuple_hash(key: &[u32], hasher: &FixedState) -> (u64, u64) {
    match key {
        [] => (hasher.hash_one(0u64), 0),
        [a] => {
            let t = u64::from(*a);
            (hasher.hash_one(t), t)
        }
        [a, b] => {
            let t = (u64::from(*a) << 32) | u64::from(*b);
            (hasher.hash_one(t), t)
        }
        _ => {
            let folded = key.iter().fold(0u64, |acc, &x| {
                (acc.rotate_left(32) ^ u64::from(x)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            });
            let h = hasher.hash_one(folded);
            (h, h)
        }
    }
}

/// The hash of a table entry's tuple (for growing the table).
fn entry_hash(tag: u64, k: usize, hasher: &FixedState) -> u64 {
    if k <= 2 {
        hasher.hash_one(tag)
    } else {
        tag
    }
}

/// Whether the table entry `(tag, g)` holds `key`.
fn entry_is(entry: &(u64, u32), tag: u64, tuples: &[u32], key: &[u32]) -> bool {
    let (t, g) = *entry;
    if t != tag {
        return false;
    }
    let k = key.len();
    if k <= 2 {
        return true;
    }
    // An element-wise loop: the tuples are short, a call to `memcmp`
    // would cost more than comparing.
    let at = g as usize * k;
    match tuples.get(at..at + k) {
        Some(t) => t.iter().zip(key).all(|(a, b)| a == b),
        None => false,
    }
}

/// The group of a tuple of dictionary ids, adding it if new.
fn tuple_id(
    table: &mut HashTable<(u64, u32)>,
    tuples: &mut Vec<u32>,
    key: &[u32],
    hasher: &FixedState,
) -> EvalResult<u32> {
    let k = key.len();
    let (h, tag) = tuple_hash(key, hasher);
    if let Some(&(_, g)) = table.find(h, |e| entry_is(e, tag, tuples, key)) {
        return Ok(g);
    }
    let g = new_id(tuples.len() / k.max(1))?;
    tuples.extend_from_slice(key);
    table.insert_unique(h, (tag, g), |&(t, _)| entry_hash(t, k, hasher));
    Ok(g)
}

const SEED: u64 = 0x6b71_6c5f_6167_6721;

/// The id [`Groups::probe`] gives a row whose keys are in no group.
pub(crate) const MISSING: u32 = u32::MAX;

/// A dictionary value's id not looked up yet (no group has it).
const UNSET: u32 = u32::MAX - 1;

/// The values of a string array as byte slices (a null's slot reads as
/// whatever its offsets span, normally nothing).
fn str_values(a: &StringArray) -> impl Iterator<Item = &[u8]> + '_ {
    let data = a.value_data();
    a.value_offsets().windows(2).map(move |w| match w {
        [s, e] => data.get(*s as usize..*e as usize).unwrap_or_default(),
        _ => &[],
    })
}

/// An integer-like array as i64 values.
fn as_i64(arr: &ArrayRef) -> EvalResult<Int64Array> {
    if arr.data_type() == &DataType::Int64 {
        return Ok(arr.as_primitive::<Int64Type>().clone());
    }
    let cast = arrow::compute::kernels::cast::cast(arr, &DataType::Int64).map_err(arrow_err)?;
    Ok(cast.as_primitive::<Int64Type>().clone())
}

/// The group of a tuple of dictionary ids when there is one.
fn find_tuple(
    table: &HashTable<(u64, u32)>,
    tuples: &[u32],
    key: &[u32],
    hasher: &FixedState,
) -> Option<u32> {
    let (h, tag) = tuple_hash(key, hasher);
    table
        .find(h, |e| entry_is(e, tag, tuples, key))
        .map(|&(_, g)| g)
}

impl Groups {
    /// The lookup structure for keys of these Arrow types.
    /// A dictionary-encoded type stands for its values' type (batches may
    /// hold a key column plain or encoded).
    pub(crate) fn new(types: &[DataType]) -> EvalResult<Groups> {
        let types: Vec<DataType> = types
            .iter()
            .map(|t| match t {
                DataType::Dictionary(_, v) => v.as_ref().clone(),
                t => t.clone(),
            })
            .collect();
        Ok(match types.as_slice() {
            [] => Groups::Single,
            [DataType::Utf8] => Groups::Str(Dict::Str {
                bytes: ByteGroups::new(),
                null: None,
                memo: Memo::default(),
            }),
            [t @ (DataType::Int64 | DataType::Int32 | DataType::Boolean)] => Groups::Int {
                dict: IntDict::new(),
                ty: t.clone(),
            },
            _ => {
                if let Some(dicts) = types.iter().map(Dict::new).collect::<Option<Vec<_>>>() {
                    let pairs = (dicts.len() == 2).then(PairCache::default);
                    return Ok(Groups::Tuples {
                        dicts,
                        table: HashTable::new(),
                        tuples: Vec::new(),
                        pairs,
                    });
                }
                let strs: Vec<Option<Dict>> = types
                    .iter()
                    .map(|t| match t {
                        DataType::Utf8 => Dict::new(t),
                        _ => None,
                    })
                    .collect();
                let fields = types
                    .iter()
                    .zip(&strs)
                    .map(|(t, s)| match s {
                        Some(_) => SortField::new(DataType::UInt32),
                        None => SortField::new(t.clone()),
                    })
                    .collect();
                let conv = RowConverter::new(fields).map_err(arrow_err)?;
                let stored = conv.empty_rows(0, 0);
                Groups::Rows {
                    conv,
                    bytes: ByteGroups::new(),
                    stored,
                    strs,
                }
            }
        })
    }

    /// Number of groups so far.
    pub(crate) fn len(&self) -> usize {
        match self {
            Groups::Single => 1,
            Groups::Str(d) => d.len(),
            Groups::Int { dict, .. } => dict.len(),
            Groups::Tuples { dicts, tuples, .. } => tuples.len() / dicts.len().max(1),
            Groups::Rows { bytes, .. } => bytes.len(),
        }
    }

    /// Fills `ids` with the group of each of the `n` rows whose keys are
    /// `keys`.
    pub(crate) fn assign(
        &mut self,
        keys: &[ArrayRef],
        n: usize,
        ids: &mut Vec<u32>,
    ) -> EvalResult<()> {
        ids.clear();
        let hasher = FixedState::with_seed(SEED);
        match self {
            Groups::Single => ids.resize(n, 0),
            Groups::Str(dict) => dict.assign(first(keys)?, ids)?,
            Groups::Int { dict, .. } => dict.assign(first(keys)?, ids)?,
            Groups::Tuples {
                dicts,
                table,
                tuples,
                pairs,
            } => {
                let k = dicts.len();
                // Column by column: the dictionary ids of every row.
                let mut cols: Vec<Vec<u32>> = Vec::with_capacity(k);
                for (dict, arr) in dicts.iter_mut().zip(keys) {
                    let mut col = Vec::with_capacity(n);
                    dict.assign(arr, &mut col)?;
                    cols.push(col);
                }
                if let (Some(cache), [d0, d1], [c0, c1]) =
                    (pairs.as_mut(), dicts.as_slice(), cols.as_slice())
                {
                    if cache.cover(d0.len(), d1.len()) {
                        for (&a, &b) in c0.iter().zip(c1) {
                            ids.push(cache.id(a, b, |key| tuple_id(table, tuples, key, &hasher))?);
                        }
                        return Ok(());
                    }
                    *pairs = None;
                }
                let mut key = vec![0u32; k];
                for i in 0..n {
                    for (slot, col) in key.iter_mut().zip(&cols) {
                        *slot = col.get(i).copied().unwrap_or(0);
                    }
                    ids.push(tuple_id(table, tuples, &key, &hasher)?);
                }
            }
            Groups::Rows {
                conv,
                bytes,
                stored,
                strs,
            } => {
                let keys = row_keys(strs, keys, n)?;
                let rows = conv.convert_columns(&keys).map_err(arrow_err)?;
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

    /// Fills `ids` with the group of each of the `n` rows whose keys are
    /// `keys`, or [`MISSING`] when no group has them; adds no group.
    /// Null keys find the group of null keys.
    pub(crate) fn probe(&self, keys: &[ArrayRef], n: usize, ids: &mut Vec<u32>) -> EvalResult<()> {
        ids.clear();
        let hasher = FixedState::with_seed(SEED);
        match self {
            Groups::Single => ids.resize(n, 0),
            Groups::Str(dict) => dict.probe(first(keys)?, ids)?,
            Groups::Int { dict, .. } => dict.probe(first(keys)?, ids)?,
            Groups::Tuples {
                dicts,
                table,
                tuples,
                ..
            } => {
                let k = dicts.len();
                let mut cols: Vec<Vec<u32>> = Vec::with_capacity(k);
                for (dict, arr) in dicts.iter().zip(keys) {
                    let mut col = Vec::with_capacity(n);
                    dict.probe(arr, &mut col)?;
                    cols.push(col);
                }
                let mut key = vec![0u32; k];
                'rows: for i in 0..n {
                    for (slot, col) in key.iter_mut().zip(&cols) {
                        let id = col.get(i).copied().unwrap_or(MISSING);
                        if id == MISSING {
                            ids.push(MISSING);
                            continue 'rows;
                        }
                        *slot = id;
                    }
                    ids.push(find_tuple(table, tuples, &key, &hasher).unwrap_or(MISSING));
                }
            }
            Groups::Rows {
                conv, bytes, strs, ..
            } => {
                // A row whose string is in no group is in none.
                let mut missing = vec![false; n];
                let mut cols = Vec::with_capacity(keys.len());
                for (arr, s) in keys.iter().zip(strs) {
                    match s {
                        Some(dict) => {
                            let mut col = Vec::with_capacity(n);
                            dict.probe(arr, &mut col)?;
                            for (m, &id) in missing.iter_mut().zip(&col) {
                                *m |= id == MISSING;
                            }
                            cols.push(Arc::new(UInt32Array::from(col)) as ArrayRef);
                        }
                        None => cols.push(dict::plain(arr)?),
                    }
                }
                let rows = conv.convert_columns(&cols).map_err(arrow_err)?;
                ids.extend((0..n).map(|i| {
                    if missing.get(i).copied().unwrap_or(true) {
                        MISSING
                    } else {
                        bytes.find(rows.row(i).as_ref(), &hasher).unwrap_or(MISSING)
                    }
                }));
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
            (Groups::Str(mine), Groups::Str(theirs)) => ids = mine.absorb(&theirs)?,
            (Groups::Int { dict, .. }, Groups::Int { dict: theirs, .. }) => {
                ids = dict.absorb(&theirs)?;
            }
            (
                Groups::Tuples {
                    dicts,
                    table,
                    tuples,
                    ..
                },
                Groups::Tuples {
                    dicts: their_dicts,
                    tuples: their_tuples,
                    ..
                },
            ) => {
                let maps = dicts
                    .iter_mut()
                    .zip(&their_dicts)
                    .map(|(d, t)| d.absorb(t))
                    .collect::<EvalResult<Vec<_>>>()?;
                let k = dicts.len();
                let mut key = vec![0u32; k];
                for theirs in their_tuples.chunks_exact(k.max(1)) {
                    for ((slot, &t), map) in key.iter_mut().zip(theirs).zip(&maps) {
                        *slot = map.get(t as usize).copied().unwrap_or(0);
                    }
                    ids.push(tuple_id(table, tuples, &key, &hasher)?);
                }
            }
            (
                Groups::Rows {
                    conv,
                    bytes,
                    stored,
                    strs,
                },
                Groups::Rows {
                    conv: their_conv,
                    stored: their_rows,
                    strs: their_strs,
                    ..
                },
            ) => {
                // Rows of another converter are re-encoded with this one,
                // their string ids mapped to the ids here.
                let mut keys = their_conv.convert_rows(&their_rows).map_err(arrow_err)?;
                for ((key, mine), theirs) in keys.iter_mut().zip(strs.iter_mut()).zip(&their_strs) {
                    if let (Some(mine), Some(theirs)) = (mine, theirs) {
                        let map = mine.absorb(theirs)?;
                        let mapped: UInt32Array = key
                            .as_primitive::<UInt32Type>()
                            .values()
                            .iter()
                            .map(|&t| map.get(t as usize).copied().unwrap_or(0))
                            .collect();
                        *key = Arc::new(mapped);
                    }
                }
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
            Groups::Str(d) => vec![d.values_of(0..d.len() as u32)?],
            Groups::Int { dict, ty } => vec![dict.values_of(0..dict.len() as u32, &ty)?],
            Groups::Tuples { dicts, tuples, .. } => {
                let k = dicts.len();
                dicts
                    .iter()
                    .enumerate()
                    .map(|(j, d)| d.values_of(tuples.iter().skip(j).step_by(k.max(1)).copied()))
                    .collect::<EvalResult<Vec<_>>>()?
            }
            Groups::Rows {
                conv, stored, strs, ..
            } => {
                let mut keys = conv.convert_rows(&stored).map_err(arrow_err)?;
                for (key, s) in keys.iter_mut().zip(&strs) {
                    if let Some(dict) = s {
                        let ids = key.as_primitive::<UInt32Type>().values().iter().copied();
                        *key = dict.values_of(ids)?;
                    }
                }
                keys
            }
        })
    }
}

fn new_id(n: usize) -> EvalResult<u32> {
    u32::try_from(n)
        .ok()
        .filter(|&g| g < UNSET)
        .ok_or_else(|| internal("too many groups"))
}

/// The columns a row-format group's converter takes: string keys as
/// their ids in their dictionaries (given ids as needed), the others plain.
fn row_keys(strs: &mut [Option<Dict>], keys: &[ArrayRef], n: usize) -> EvalResult<Vec<ArrayRef>> {
    keys.iter()
        .zip(strs)
        .map(|(arr, s)| match s {
            Some(dict) => {
                let mut col = Vec::with_capacity(n);
                dict.assign(arr, &mut col)?;
                Ok(Arc::new(UInt32Array::from(col)) as ArrayRef)
            }
            None => dict::plain(arr),
        })
        .collect()
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
    fn one_nullable_string_key_keeps_null_apart_from_empty() {
        // A guid (or dynamic) key is Utf8 and may be null; a null value's
        // bytes are empty, like those of "".
        let mut g = Groups::new(&[DataType::Utf8]).expect("groups");
        let a: ArrayRef = Arc::new(StringArray::from(vec![Some(""), None, Some("x"), None]));
        assert_eq!(ids_of(&mut g, vec![a]), vec![0, 1, 2, 1]);
        // A partial state over later rows, with its own null group, merges
        // into the same groups.
        let mut later = Groups::new(&[DataType::Utf8]).expect("groups");
        let b: ArrayRef = Arc::new(StringArray::from(vec![None, Some("y"), Some("")]));
        assert_eq!(ids_of(&mut later, vec![b]), vec![0, 1, 2]);
        assert_eq!(g.absorb(later).expect("absorb"), vec![1, 3, 0]);
        let keys = g.finish().expect("finish");
        let k = keys.first().expect("key").as_string::<i32>();
        let got: Vec<Option<&str>> = k.iter().collect();
        assert_eq!(got, vec![Some(""), None, Some("x"), Some("y")]);
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

    #[test]
    fn several_string_and_integer_keys_use_dictionaries() {
        let types = [DataType::Utf8, DataType::Int64, DataType::Boolean];
        let mut g = Groups::new(&types).expect("groups");
        assert!(matches!(g, Groups::Tuples { .. }));
        let s: ArrayRef = Arc::new(StringArray::from(vec![
            Some("a"),
            None,
            Some(""),
            Some("a"),
            Some("a"),
        ]));
        let l: ArrayRef = Arc::new(Int64Array::from(vec![
            Some(1),
            Some(1),
            Some(1),
            None,
            Some(1),
        ]));
        let b: ArrayRef = Arc::new(BooleanArray::from(vec![
            Some(true),
            Some(true),
            Some(true),
            Some(true),
            Some(true),
        ]));
        assert_eq!(ids_of(&mut g, vec![s, l, b]), vec![0, 1, 2, 3, 0]);
        let keys = g.finish().expect("finish");
        let s = keys[0].as_string::<i32>();
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![Some("a"), None, Some(""), Some("a")]
        );
        let l = keys[1].as_primitive::<Int64Type>();
        assert_eq!(
            l.iter().collect::<Vec<_>>(),
            vec![Some(1), Some(1), Some(1), None]
        );
        assert_eq!(keys[2].as_boolean().true_count(), 4);
    }

    fn encode(values: &ArrayRef, keys: &[i32]) -> ArrayRef {
        Arc::new(
            DictionaryArray::<Int32Type>::try_new(Int32Array::from(keys.to_vec()), values.clone())
                .expect("dictionary"),
        )
    }

    /// Dictionary-encoded key columns get the ids their plain forms get,
    /// whether the next batch reuses the dictionary, brings another one or
    /// is plain; values no row uses make no group; the keys given back are
    /// plain.
    #[test]
    fn encoded_keys_get_the_ids_of_plain_ones() {
        let d1: ArrayRef = Arc::new(StringArray::from(vec!["x", "", "unused", "ä", "x"]));
        let d2: ArrayRef = Arc::new(StringArray::from(vec!["日本", "ä", "never", ""]));
        let batches: Vec<(ArrayRef, Int64Array)> = vec![
            (
                encode(&d1, &[3, 0, 3, 4, 1]),
                Int64Array::from(vec![1, 1, 2, 1, 1]),
            ),
            (encode(&d1, &[1, 1, 0]), Int64Array::from(vec![1, 2, 1])),
            (
                encode(&d1, &[3, 0, 1, 4, 0]).slice(1, 3),
                Int64Array::from(vec![2, 2, 2]),
            ),
            (encode(&d2, &[0, 3, 1]), Int64Array::from(vec![1, 1, 2])),
            (
                Arc::new(StringArray::from(vec!["z", "ä"])),
                Int64Array::from(vec![1, 2]),
            ),
            (encode(&d1, &[4, 3]), Int64Array::from(vec![3, 1])),
        ];
        let plain: Vec<(ArrayRef, Int64Array)> = batches
            .iter()
            .map(|(s, l)| (dict::plain(s).expect("plain"), l.clone()))
            .collect();
        let types: &[&[DataType]] = &[
            &[DataType::Utf8],
            &[DataType::Utf8, DataType::Int64],
            &[DataType::Utf8, DataType::Float64],
            &[dict::dictionary_type()],
        ];
        for types in types {
            let keys = |s: &ArrayRef, l: &Int64Array| -> Vec<ArrayRef> {
                let l: ArrayRef = Arc::new(l.clone());
                match types.len() {
                    1 => vec![s.clone()],
                    _ if types[1] == DataType::Float64 => vec![
                        s.clone(),
                        arrow::compute::cast(&l, &DataType::Float64).expect("cast"),
                    ],
                    _ => vec![s.clone(), l],
                }
            };
            let mut want = Groups::new(types).expect("groups");
            let mut got = Groups::new(types).expect("groups");
            let mut want_ids = Vec::new();
            let mut got_ids = Vec::new();
            for ((s, l), (ps, pl)) in batches.iter().zip(&plain) {
                want_ids.extend(ids_of(&mut want, keys(ps, pl)));
                got_ids.extend(ids_of(&mut got, keys(s, l)));
            }
            assert_eq!(got_ids, want_ids, "{types:?}");
            // Probing finds the same groups, and none for unknown values.
            for ((s, l), (ps, pl)) in batches.iter().zip(&plain) {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                got.probe(&keys(s, l), s.len(), &mut a).expect("probe");
                want.probe(&keys(ps, pl), ps.len(), &mut b).expect("probe");
                assert_eq!(a, b, "{types:?}");
            }
            let unknown = encode(&d2, &[2, 0, 2]);
            let mut a = Vec::new();
            got.probe(&keys(&unknown, &Int64Array::from(vec![1, 1, 1])), 3, &mut a)
                .expect("probe");
            assert_eq!(a.iter().filter(|&&g| g == MISSING).count(), 2, "{types:?}");
            let want = want.finish().expect("finish");
            let got = got.finish().expect("finish");
            assert_eq!(got.len(), want.len());
            for (x, y) in got.iter().zip(&want) {
                assert_eq!(x.as_ref(), y.as_ref(), "{types:?}");
                assert_eq!(x.data_type(), y.data_type());
            }
        }
    }

    /// Two keys: groups in order of first appearance while the table of
    /// pairs grows batch by batch, and once it would be too large.
    #[test]
    fn pairs_of_keys_get_first_appearance_ids() {
        for (spread, batches) in [(40i64, 6), (3_000, 3)] {
            let mut g = Groups::new(&[DataType::Int64, DataType::Int64]).expect("groups");
            let mut seen: std::collections::HashMap<(i64, i64), u32> = Default::default();
            let mut x = 0x9e37_79b9_7f4a_7c15u64;
            for b in 0..batches {
                // Each batch reaches further: the per-key ids grow.
                let lim = spread * (b + 1);
                let mut next = || {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % lim as u64) as i64
                };
                let pairs: Vec<(i64, i64)> = (0..5_000).map(|_| (next(), next() % 50)).collect();
                let want: Vec<u32> = pairs
                    .iter()
                    .map(|p| {
                        let n = seen.len() as u32;
                        *seen.entry(*p).or_insert(n)
                    })
                    .collect();
                let a: ArrayRef = Arc::new(Int64Array::from_iter_values(pairs.iter().map(|p| p.0)));
                let c: ArrayRef = Arc::new(Int64Array::from_iter_values(pairs.iter().map(|p| p.1)));
                assert_eq!(ids_of(&mut g, vec![a, c]), want, "{spread} {b}");
            }
            assert_eq!(g.len(), seen.len());
        }
        // Too many pairs for the table: hashed, same ids.
        let mut g = Groups::new(&[DataType::Int64, DataType::Int64]).expect("groups");
        let a: ArrayRef = Arc::new(Int64Array::from_iter_values(0..5_000));
        let b: ArrayRef = Arc::new(Int64Array::from_iter_values((0..5_000).rev()));
        let want: Vec<u32> = (0..5_000).collect();
        assert_eq!(ids_of(&mut g, vec![a.clone(), b.clone()]), want);
        assert_eq!(ids_of(&mut g, vec![a, b]), want);
        assert!(matches!(g, Groups::Tuples { pairs: None, .. }));
    }

    /// Partial groups over two halves, absorbed in order, equal the groups
    /// of one pass, for every kind of key.
    #[test]
    fn absorbing_keeps_first_appearance_order() {
        let strings = |v: &[Option<&str>]| -> ArrayRef { Arc::new(StringArray::from(v.to_vec())) };
        let longs = |v: &[Option<i64>]| -> ArrayRef { Arc::new(Int64Array::from(v.to_vec())) };
        let floats = |v: &[f64]| -> ArrayRef { Arc::new(Float64Array::from(v.to_vec())) };
        let s1 = [Some("x"), Some("y"), Some("x"), None];
        let s2 = [Some("z"), None, Some("y"), Some("w")];
        let l1 = [Some(1), None, Some(1), Some(2)];
        let l2 = [Some(2), Some(3), None, Some(1)];
        let cases: Vec<(Vec<DataType>, Vec<ArrayRef>, Vec<ArrayRef>)> = vec![
            (vec![], vec![], vec![]),
            (vec![DataType::Utf8], vec![strings(&s1)], vec![strings(&s2)]),
            (vec![DataType::Int64], vec![longs(&l1)], vec![longs(&l2)]),
            (
                vec![DataType::Utf8, DataType::Int64],
                vec![strings(&s1), longs(&l1)],
                vec![strings(&s2), longs(&l2)],
            ),
            (
                vec![DataType::Utf8, DataType::Float64],
                vec![strings(&s1), floats(&[1.0, 2.0, 1.0, 2.0])],
                vec![strings(&s2), floats(&[2.0, 1.0, 2.0, 1.0])],
            ),
        ];
        for (types, a, b) in cases {
            let mut one = Groups::new(&types).expect("groups");
            let mut ids = Vec::new();
            one.assign(&a, 4, &mut ids).expect("assign");
            let mut whole = ids.clone();
            one.assign(&b, 4, &mut ids).expect("assign");
            whole.extend(&ids);

            let mut first = Groups::new(&types).expect("groups");
            let mut second = Groups::new(&types).expect("groups");
            let mut ids1 = Vec::new();
            let mut ids2 = Vec::new();
            first.assign(&a, 4, &mut ids1).expect("assign");
            second.assign(&b, 4, &mut ids2).expect("assign");
            let map = first.absorb(second).expect("absorb");
            let merged: Vec<u32> = ids1
                .iter()
                .copied()
                .chain(ids2.iter().map(|&g| map[g as usize]))
                .collect();
            assert_eq!(merged, whole, "{types:?}");
            assert_eq!(first.len(), one.len());
            let k1 = first.finish().expect("finish");
            let k2 = one.finish().expect("finish");
            assert_eq!(k1.len(), k2.len());
            for (x, y) in k1.iter().zip(&k2) {
                assert_eq!(x.as_ref(), y.as_ref(), "{types:?}");
            }
        }
    }
}
