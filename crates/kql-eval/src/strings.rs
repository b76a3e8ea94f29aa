//! String-operator kernels: one pass over a string array's buffers.
//!
//! Case-insensitive operators fold ASCII letters with a fast byte path and
//! fall back to Unicode lower-casing (`str::to_lowercase`) when either side
//! has non-ASCII text. Over arrays, `contains` and the term operators search
//! the whole value buffer at once ([`crate::textscan`]).

use crate::textscan;
use arrow::array::{Array, BooleanArray, StringArray};
use arrow::buffer::{BooleanBuffer, NullBuffer};
use kql_parser::ast::{StrOp, StrOpKind};
use memchr::memmem;

/// Applies `pred` to every value of `arr`, keeping the array's nulls.
pub fn map_bool(arr: &StringArray, mut pred: impl FnMut(&str) -> bool) -> BooleanArray {
    let values = BooleanBuffer::collect_bool(arr.len(), |i| pred(arr.value(i)));
    BooleanArray::new(values, arr.nulls().cloned())
}

/// Applies `pred` pairwise to two arrays of the same length.
pub fn map_bool2(
    a: &StringArray,
    b: &StringArray,
    mut pred: impl FnMut(&str, &str) -> bool,
) -> BooleanArray {
    let values = BooleanBuffer::collect_bool(a.len(), |i| pred(a.value(i), b.value(i)));
    BooleanArray::new(values, NullBuffer::union(a.nulls(), b.nulls()))
}

/// Kusto's terms are maximal runs of ASCII letters and digits; every other
/// character (punctuation, spaces, any non-ASCII character) separates terms.
fn is_term_char(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

/// A compiled string operator with a constant right-hand side.
pub struct Matcher {
    op: StrOp,
    needle: String,
    /// Lower-cased needle, for case-insensitive operators.
    folded: String,
    ascii: bool,
    finder: memmem::Finder<'static>,
}

impl Matcher {
    pub fn new(op: StrOp, needle: &str) -> Self {
        let folded = if op.case_sensitive {
            needle.to_string()
        } else {
            needle.to_lowercase()
        };
        let finder = memmem::Finder::new(folded.as_bytes()).into_owned();
        Matcher {
            op,
            needle: needle.to_string(),
            ascii: needle.is_ascii(),
            folded,
            finder,
        }
    }

    /// Whether `hay` satisfies the operator (before negation).
    pub fn matches(&self, hay: &str) -> bool {
        let cs = self.op.case_sensitive;
        let n = self.needle.as_bytes();
        let h = hay.as_bytes();
        match self.op.kind {
            StrOpKind::Equals => {
                if cs {
                    h == n
                } else if self.ascii && hay.is_ascii() {
                    h.eq_ignore_ascii_case(n)
                } else {
                    hay.to_lowercase() == self.folded
                }
            }
            StrOpKind::StartsWith => {
                if cs {
                    h.starts_with(n)
                } else if self.ascii {
                    h.len() >= n.len() && h[..n.len()].eq_ignore_ascii_case(n)
                } else {
                    hay.to_lowercase().starts_with(&self.folded)
                }
            }
            StrOpKind::EndsWith => {
                if cs {
                    h.ends_with(n)
                } else if self.ascii {
                    h.len() >= n.len() && h[h.len() - n.len()..].eq_ignore_ascii_case(n)
                } else {
                    hay.to_lowercase().ends_with(&self.folded)
                }
            }
            StrOpKind::Contains => {
                if cs {
                    self.finder.find(h).is_some()
                } else if self.ascii && hay.is_ascii() {
                    contains_ascii_ci(h, self.folded.as_bytes())
                } else {
                    hay.to_lowercase().contains(&self.folded)
                }
            }
            StrOpKind::Has | StrOpKind::HasPrefix | StrOpKind::HasSuffix => {
                let (hay_f, needle_f);
                let (hb, nb): (&[u8], &[u8]) = if cs {
                    (h, n)
                } else if self.ascii && hay.is_ascii() {
                    return term_match_ascii_ci(h, self.folded.as_bytes(), self.op.kind);
                } else {
                    hay_f = hay.to_lowercase();
                    needle_f = self.folded.as_bytes();
                    (hay_f.as_bytes(), needle_f)
                };
                term_match(hb, nb, self.op.kind, |a, b| a == b)
            }
        }
    }

    /// Evaluates the operator (with its negation) over an array.
    ///
    /// `contains` and the term operators search the whole value buffer at
    /// once (see [`crate::textscan`]); `startswith`, `endswith` and `==`
    /// compare on the buffer directly. The result is always that of
    /// [`Matcher::eval_rowwise`].
    pub fn eval(&self, arr: &StringArray) -> BooleanArray {
        match self.eval_buffer(arr) {
            Some(values) => textscan::finish(arr, values, self.op.negated),
            None => self.eval_rowwise(arr),
        }
    }

    /// Evaluates the operator (with its negation) one value at a time with
    /// [`Matcher::matches`]: the reference for the buffer-wide kernels.
    pub fn eval_rowwise(&self, arr: &StringArray) -> BooleanArray {
        let neg = self.op.negated;
        map_bool(arr, |s| self.matches(s) != neg)
    }

    /// The operator (before negation) over the whole buffer of `arr`, when
    /// a buffer-wide kernel applies.
    fn eval_buffer(&self, arr: &StringArray) -> Option<BooleanBuffer> {
        let cs = self.op.case_sensitive;
        if !cs && !self.ascii {
            return None;
        }
        // Case-sensitive: the needle itself; else its ASCII lower case.
        let needle = self.folded.as_bytes();
        let n = arr.len();
        match self.op.kind {
            StrOpKind::StartsWith | StrOpKind::EndsWith => Some(textscan::affix(
                arr,
                needle,
                self.op.kind == StrOpKind::EndsWith,
                !cs,
            )),
            StrOpKind::Equals => {
                let offs = arr.value_offsets();
                let data = arr.value_data();
                let m = needle.len();
                Some(BooleanBuffer::collect_bool(n, |r| {
                    let v = &data[offs[r] as usize..offs[r + 1] as usize];
                    if cs {
                        v == needle
                    } else if v.len() == m {
                        // Equal lengths: a non-ASCII value cannot fold to
                        // the ASCII needle.
                        v.eq_ignore_ascii_case(needle)
                    } else {
                        // Longer non-ASCII values may (KELVIN SIGN).
                        v.len() > m && !v.is_ascii() && self.matches(arr.value(r))
                    }
                }))
            }
            kind => {
                let bounds = textscan::Boundaries::of(kind, needle)?;
                let mode = textscan::Mode {
                    fold: !cs && textscan::has_letters(needle),
                    special: !cs,
                };
                let (mut bits, special) = textscan::scan(arr, needle, &self.finder, mode, bounds);
                for r in special {
                    if self.matches(arr.value(r)) {
                        arrow::util::bit_util::set_bit(&mut bits, r);
                    } else {
                        arrow::util::bit_util::unset_bit(&mut bits, r);
                    }
                }
                Some(BooleanBuffer::new(bits.into(), 0, n))
            }
        }
    }
}

/// Evaluates a string operator row by row when both sides are arrays.
pub fn eval_pairwise(op: StrOp, a: &StringArray, b: &StringArray) -> BooleanArray {
    let neg = op.negated;
    if op.kind == StrOpKind::Equals {
        let cs = op.case_sensitive;
        return map_bool2(a, b, |x, y| equals_pair(cs, x, y) != neg);
    }
    map_bool2(a, b, |x, y| Matcher::new(op, y).matches(x) != neg)
}

/// `x == y` / `x =~ y` of two values, as [`Matcher::matches`] decides it.
fn equals_pair(cs: bool, x: &str, y: &str) -> bool {
    if cs {
        return x == y;
    }
    if x.len() == y.len() && x.as_bytes().eq_ignore_ascii_case(y.as_bytes()) {
        // Equal but for the case of ASCII letters: so are the lower cases.
        return true;
    }
    if x.is_ascii() && y.is_ascii() {
        return false;
    }
    x.to_lowercase() == y.to_lowercase()
}

/// Case-insensitive ASCII substring search; `needle` is lower-case.
fn contains_ascii_ci(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    if hay.len() < needle.len() {
        return false;
    }
    let last_start = hay.len() - needle.len();
    let upper = first.to_ascii_uppercase();
    let mut from = 0;
    while from <= last_start {
        match memchr::memchr2(first, upper, &hay[from..=last_start]) {
            Some(off) => {
                let i = from + off;
                if hay[i..i + needle.len()].eq_ignore_ascii_case(needle) {
                    return true;
                }
                from = i + 1;
            }
            None => return false,
        }
    }
    false
}

fn term_match_ascii_ci(hay: &[u8], needle: &[u8], kind: StrOpKind) -> bool {
    term_match(hay, needle, kind, |a, b| a.eq_ignore_ascii_case(b))
}

/// Term matching for `has`, `hasprefix` and `hassuffix`.
///
/// A term is a maximal run of ASCII alphanumeric characters. `has` is true when
/// the needle occurs in the text with a term boundary on both sides (a
/// needle that starts or ends with a non-alphanumeric character brings its
/// own boundary on that side); `hasprefix` needs the boundary only at the
/// start, `hassuffix` only at the end. An empty needle matches everything.
fn term_match(
    hay: &[u8],
    needle: &[u8],
    kind: StrOpKind,
    eq: impl Fn(&[u8], &[u8]) -> bool,
) -> bool {
    if needle.is_empty() {
        return true;
    }
    if hay.len() < needle.len() {
        return false;
    }
    let need_start = matches!(kind, StrOpKind::Has | StrOpKind::HasPrefix)
        && needle.first().is_some_and(|&c| is_term_char(c));
    let need_end = matches!(kind, StrOpKind::Has | StrOpKind::HasSuffix)
        && needle.last().is_some_and(|&c| is_term_char(c));
    for i in 0..=hay.len() - needle.len() {
        if need_start && i > 0 && is_term_char(hay[i - 1]) {
            continue;
        }
        let end = i + needle.len();
        if need_end && end < hay.len() && is_term_char(hay[end]) {
            continue;
        }
        if eq(&hay[i..end], needle) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(kind: StrOpKind, negated: bool, case_sensitive: bool) -> StrOp {
        StrOp {
            kind,
            negated,
            case_sensitive,
        }
    }

    fn m(kind: StrOpKind, cs: bool, needle: &str, hay: &str) -> bool {
        Matcher::new(op(kind, false, cs), needle).matches(hay)
    }

    #[test]
    fn contains_folds_case_unless_cs() {
        assert!(m(
            StrOpKind::Contains,
            false,
            "Out",
            "{\"direction\":\"out\"}"
        ));
        assert!(m(StrOpKind::Contains, false, "OUT", "timeout"));
        assert!(!m(StrOpKind::Contains, true, "Out", "timeout"));
        assert!(m(StrOpKind::Contains, false, "", "anything"));
        assert!(m(StrOpKind::Contains, false, "ÄB", "xäbx"));
    }

    #[test]
    fn prefix_suffix_equals() {
        assert!(m(StrOpKind::EndsWith, false, "zip", "Archive.ZIP"));
        assert!(!m(StrOpKind::EndsWith, true, "zip", "Archive.ZIP"));
        assert!(m(StrOpKind::StartsWith, false, "power", "PowerShell.exe"));
        assert!(m(
            StrOpKind::Equals,
            false,
            "powershell.exe",
            "POWERSHELL.EXE"
        ));
        assert!(!m(StrOpKind::Equals, false, "powershell", "powershell.exe"));
    }

    #[test]
    fn has_is_term_matching() {
        assert!(m(
            StrOpKind::Has,
            false,
            "bypass",
            "-ExecutionPolicy Bypass -File x"
        ));
        assert!(!m(StrOpKind::Has, false, "bypass", "UACBypass"));
        assert!(!m(StrOpKind::Has, false, "bypass", "Bypassed"));
        assert!(m(StrOpKind::HasPrefix, false, "bypass", "Bypassed"));
        assert!(m(StrOpKind::HasSuffix, false, "bypass", "UACBypass"));
        assert!(m(StrOpKind::Has, false, "7z.exe", "run 7z.exe a"));
        assert!(!m(StrOpKind::Has, true, "Bypass", "bypass"));
        // Needles with punctuation need a boundary only at alphanumeric ends.
        assert!(m(StrOpKind::Has, false, ".exe", "7z.exe"));
        assert!(m(StrOpKind::Has, false, "-enc", "powershell -Enc SQBFAFgA"));
        assert!(!m(
            StrOpKind::Has,
            false,
            "-enc",
            "powershell -EncodedCommand x"
        ));
        // Short needles are still whole terms.
        assert!(m(StrOpKind::Has, false, "ab", "x ab y"));
        assert!(!m(StrOpKind::Has, false, "ab", "abc"));
        // Non-ASCII characters separate terms.
        assert!(m(StrOpKind::Has, false, "stra", "straße"));
        assert!(m(StrOpKind::Has, false, "kusto", "Kusto©2026"));
    }

    #[test]
    fn arrays_keep_nulls_and_negate() {
        let arr = StringArray::from(vec![Some("a.zip"), None, Some("b.txt")]);
        let r = Matcher::new(op(StrOpKind::EndsWith, true, false), "zip").eval(&arr);
        assert_eq!(r, BooleanArray::from(vec![Some(false), None, Some(true)]));
    }
}
