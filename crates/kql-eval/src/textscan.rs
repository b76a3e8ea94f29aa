//! Buffer-wide substring scans for `contains` and `has` (and their
//! prefix/suffix term variants) with a constant needle.
//!
//! Instead of searching each value on its own, the whole value buffer of a
//! string array is searched once: for case-insensitive operators the bytes
//! are ASCII-lower-cased block by block into a small scratch buffer that
//! stays in cache, and `memchr::memmem` finds the (lower-case) needle in it.
//! Each hit is mapped back to its row through the offsets array; a hit that
//! runs past the end of its value (into the next one) is not a match, and
//! term operators check the term boundaries around the hit. A row that
//! matches is skipped to its end, so each row costs at most one hit.
//!
//! Case-insensitive matching is exactly that of [`Matcher::matches`]: for
//! an ASCII needle, lower-casing the text with Unicode rules and searching
//! it finds the same matches as searching the ASCII-lower-cased bytes,
//! except in text holding one of the two characters whose lower case is
//! (or starts with) an ASCII letter: KELVIN SIGN (U+212A, `k`) and LATIN
//! CAPITAL LETTER I WITH DOT ABOVE (U+0130, `i` + U+0307). Rows holding
//! either are found while scanning and evaluated by the row-wise matcher.
//! A non-ASCII case-insensitive needle always uses the row-wise matcher.
//!
//! [`Matcher::matches`]: crate::strings::Matcher::matches

use arrow::array::{Array, BooleanArray, StringArray};
use arrow::buffer::BooleanBuffer;
use arrow::util::bit_util;
use kql_parser::ast::StrOpKind;
use memchr::memmem;

/// Bytes folded per block: small enough to stay in the first-level cache.
const BLOCK: usize = 16 * 1024;

/// UTF-8 of the non-ASCII characters whose Unicode lower case holds an
/// ASCII letter (KELVIN SIGN and LATIN CAPITAL LETTER I WITH DOT ABOVE).
const FOLDS_TO_ASCII: [&[u8]; 2] = ["\u{212A}".as_bytes(), "\u{0130}".as_bytes()];

/// What a hit must satisfy besides lying inside one value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Boundaries {
    /// The byte before the hit (if any) must not be a term character.
    pub start: bool,
    /// The byte after the hit (if any) must not be a term character.
    pub end: bool,
}

impl Boundaries {
    /// The boundaries operator `kind` needs around `needle` (`contains`
    /// needs none; a needle starting or ending with a non-term character
    /// brings its own boundary on that side).
    pub(crate) fn of(kind: StrOpKind, needle: &[u8]) -> Option<Boundaries> {
        let term = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        match kind {
            StrOpKind::Contains => Some(Boundaries {
                start: false,
                end: false,
            }),
            StrOpKind::Has | StrOpKind::HasPrefix | StrOpKind::HasSuffix => Some(Boundaries {
                start: kind != StrOpKind::HasSuffix && term(needle.first()),
                end: kind != StrOpKind::HasPrefix && term(needle.last()),
            }),
            _ => None,
        }
    }
}

/// How the text is searched.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mode {
    /// ASCII-lower-case the text before searching (`needle` must then be
    /// lower-case).
    pub fold: bool,
    /// Report the rows holding a character whose Unicode lower case holds
    /// an ASCII letter, for row-wise evaluation.
    pub special: bool,
}

/// The rows of `arr` in which `needle` occurs inside the value with the
/// given boundaries, as a bitmap of `arr.len()` bits (bits under nulls are
/// unspecified), plus the rows that must be evaluated row-wise instead
/// (with `mode.special`), in ascending order.
pub(crate) fn scan(
    arr: &StringArray,
    needle: &[u8],
    finder: &memmem::Finder<'_>,
    mode: Mode,
    bounds: Boundaries,
) -> (Vec<u8>, Vec<usize>) {
    let n = arr.len();
    let mut bits = vec![0u8; n.div_ceil(8)];
    let mut special = Vec::new();
    let offs = arr.value_offsets();
    let data = arr.value_data();
    let m = needle.len();
    if n == 0 {
        return (bits, special);
    }
    if m == 0 {
        bits.fill(0xff);
        return (bits, special);
    }
    let start = offs[0] as usize;
    let end = offs[n] as usize;
    let mut rows = RowCursor { offs, row: 0 };
    let mut scratch: Vec<u8> = Vec::with_capacity(if mode.fold { BLOCK + m } else { 0 });
    // Text before this position has been checked for special characters.
    let mut checked = start;
    // Hits may start anywhere in [pos, blk_end) of the current block.
    let mut pos = start;
    while pos + m <= end {
        let blk_end = (pos + BLOCK).min(end);
        let view_end = (blk_end + m - 1).min(end);
        if mode.special && checked < view_end {
            // Every byte is checked once, also those of skipped rows.
            if !data[checked..view_end].is_ascii() {
                let tail = (view_end + 2).min(end);
                for pat in FOLDS_TO_ASCII {
                    for h in memmem::find_iter(&data[checked..tail], pat) {
                        if checked + h < view_end {
                            special.push(checked + h);
                        }
                    }
                }
            }
            checked = view_end;
        }
        let raw = &data[pos..view_end];
        let hay: &[u8] = if mode.fold {
            fold_ascii(raw, &mut scratch);
            &scratch
        } else {
            raw
        };
        // Absolute position from which the next hit is searched.
        let mut at = pos;
        while at < blk_end {
            let Some(h) = finder.find(&hay[at - pos..]) else {
                at = blk_end;
                break;
            };
            let p = at + h;
            if p >= blk_end {
                at = p;
                break;
            }
            let r = rows.find(p);
            let (rs, re) = (offs[r] as usize, offs[r + 1] as usize);
            if p + m > re {
                // Runs into the next value; so would any later hit here.
                at = re;
                continue;
            }
            let ok = (!bounds.start || p == rs || !data[p - 1].is_ascii_alphanumeric())
                && (!bounds.end || p + m == re || !data[p + m].is_ascii_alphanumeric());
            if ok {
                bit_util::set_bit(&mut bits, r);
                at = re;
            } else {
                at = p + 1;
            }
        }
        pos = at.max(blk_end);
    }
    if mode.special && checked < end && !data[checked..end].is_ascii() {
        for pat in FOLDS_TO_ASCII {
            special.extend(memmem::find_iter(&data[checked..end], pat).map(|h| checked + h));
        }
    }
    special.sort_unstable();
    let mut rows = RowCursor { offs, row: 0 };
    let mut special: Vec<usize> = special.into_iter().map(|p| rows.find(p)).collect();
    special.dedup();
    (bits, special)
}

/// Finds the row holding a byte position; positions asked for never
/// decrease, so the search gallops forward from the last row found.
struct RowCursor<'a> {
    offs: &'a [i32],
    row: usize,
}

impl RowCursor<'_> {
    /// The row `r` with `offs[r] <= p < offs[r + 1]` (`p` must lie before
    /// the end of the last value). Rows before the last one found are not
    /// searched.
    fn find(&mut self, p: usize) -> usize {
        let offs = self.offs;
        let n = offs.len() - 1;
        let after = |r: usize| offs[r + 1] as usize > p;
        let mut r = self.row;
        if !after(r) {
            // Gallop: find a row whose end lies past p, then bisect.
            let mut lo = r + 1;
            let mut step = 1;
            let mut hi = lo;
            while hi < n && !after(hi) {
                lo = hi + 1;
                hi = (hi + step).min(n - 1);
                step *= 2;
            }
            // The first row in [lo, hi] whose end lies past p.
            r = lo + offs[lo + 1..=hi + 1].partition_point(|&o| o as usize <= p);
        }
        self.row = r;
        r
    }
}

/// ASCII-lower-cases `src` into `dst`.
fn fold_ascii(src: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    dst.extend(
        src.iter()
            .map(|&b| b | (u8::from(b.wrapping_sub(b'A') < 26) << 5)),
    );
}

/// Whether an ASCII needle holds an ASCII letter (else folding the text
/// changes nothing the search could see).
pub(crate) fn has_letters(needle: &[u8]) -> bool {
    needle.iter().any(u8::is_ascii_alphabetic)
}

/// `startswith` / `endswith` (and their case-sensitive forms) with an ASCII
/// needle: one comparison per row, straight on the value buffer.
pub(crate) fn affix(arr: &StringArray, needle: &[u8], suffix: bool, fold: bool) -> BooleanBuffer {
    let offs = arr.value_offsets();
    let data = arr.value_data();
    let m = needle.len();
    BooleanBuffer::collect_bool(arr.len(), |r| {
        let (s, e) = (offs[r] as usize, offs[r + 1] as usize);
        if e - s < m {
            return false;
        }
        let part = if suffix {
            &data[e - m..e]
        } else {
            &data[s..s + m]
        };
        if fold {
            part.eq_ignore_ascii_case(needle)
        } else {
            part == needle
        }
    })
}

/// A boolean array of `values`, with the nulls of `arr`, negated if asked.
pub(crate) fn finish(arr: &StringArray, values: BooleanBuffer, negated: bool) -> BooleanArray {
    let values = if negated { !&values } else { values };
    BooleanArray::new(values, arr.nulls().cloned())
}

#[cfg(test)]
mod tests {
    use crate::strings::Matcher;
    use arrow::array::{Array, StringArray};
    use kql_parser::ast::{StrOp, StrOpKind};

    /// A small deterministic generator (xorshift).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Pieces values are built from: needles in both cases, term
    /// separators, and non-ASCII text, including the characters whose lower
    /// case is ASCII (KELVIN SIGN, capital I with dot above).
    const PIECES: &[&str] = &[
        "a",
        "B",
        "x",
        "by",
        "PASS",
        "bypass",
        "Bypass",
        "UACBypass",
        "mimi",
        "KATZ",
        "mimikatz",
        "k",
        "K",
        "i",
        "I",
        " ",
        "-",
        ".",
        "\\",
        ".zip",
        ".ZIP",
        "setup",
        "0",
        "7",
        "é",
        "ß",
        "Σ",
        "\u{212A}",
        "\u{0130}",
        "straße",
        "ÄB",
        "äb",
        "🦀",
        "\"",
        "\u{212A}atz",
        "",
    ];

    const NEEDLES: &[&str] = &[
        "", "a", "k", "i", "K", "by", "bypass", "BYPASS", "mimikatz", "katz", "zip", ".zip", "-",
        "\\", "a b", "ss", "é", "äb", "ÄB", "\u{212A}", "pass by", "setup", "7",
    ];

    const KINDS: &[StrOpKind] = &[
        StrOpKind::Contains,
        StrOpKind::Has,
        StrOpKind::HasPrefix,
        StrOpKind::HasSuffix,
        StrOpKind::StartsWith,
        StrOpKind::EndsWith,
        StrOpKind::Equals,
    ];

    fn values(rng: &mut Rng, rows: usize, max_pieces: usize) -> Vec<Option<String>> {
        (0..rows)
            .map(|_| {
                if rng.below(17) == 0 {
                    return None;
                }
                let k = rng.below(max_pieces + 1);
                Some((0..k).map(|_| PIECES[rng.below(PIECES.len())]).collect())
            })
            .collect()
    }

    fn check(arr: &StringArray, what: &str) {
        for &kind in KINDS {
            for negated in [false, true] {
                for case_sensitive in [false, true] {
                    let op = StrOp {
                        kind,
                        negated,
                        case_sensitive,
                    };
                    for needle in NEEDLES {
                        let m = Matcher::new(op, needle);
                        let fast = m.eval(arr);
                        let slow = m.eval_rowwise(arr);
                        assert_eq!(fast.nulls(), slow.nulls());
                        for r in 0..arr.len() {
                            if arr.is_valid(r) {
                                assert_eq!(
                                    fast.value(r),
                                    slow.value(r),
                                    "{what}: {kind:?} neg={negated} cs={case_sensitive} \
                                     needle {needle:?} on {:?}",
                                    arr.value(r)
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn buffer_kernels_agree_with_the_rowwise_matcher() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..40 {
            let rows = 1 + rng.below(60);
            let arr = StringArray::from(values(&mut rng, rows, 6));
            check(&arr, &format!("round {round}"));
            // A slice starts inside the buffer, at a non-zero offset.
            if rows > 3 {
                let s = arr.slice(2, rows - 3);
                check(&s, &format!("round {round}, sliced"));
            }
        }
    }

    #[test]
    fn matches_spanning_two_values_do_not_count() {
        // The buffer reads "...mimi|katz..." and "by|pass".
        let arr = StringArray::from(vec!["run mimi", "katz now", "by", "pass", "Bypass", ""]);
        let op = |kind| StrOp {
            kind,
            negated: false,
            case_sensitive: false,
        };
        let r = Matcher::new(op(StrOpKind::Contains), "mimikatz").eval(&arr);
        assert_eq!(r.true_count(), 0);
        let r = Matcher::new(op(StrOpKind::Has), "bypass").eval(&arr);
        let got: Vec<bool> = (0..arr.len()).map(|i| r.value(i)).collect();
        assert_eq!(got, vec![false, false, false, false, true, false]);
        let r = Matcher::new(op(StrOpKind::Contains), "").eval(&arr);
        assert_eq!(r.true_count(), arr.len());
    }

    #[test]
    fn long_values_cross_the_scan_blocks() {
        // Values of a few kilobytes put needles across the 16 KiB blocks
        // the scan folds at a time, and across value boundaries.
        let mut rng = Rng(42);
        let mut vals = values(&mut rng, 400, 300);
        // A value made of one long run ends right at a block edge.
        vals.push(Some("x".repeat(super::BLOCK - 3) + "mimiKATZ"));
        vals.push(Some("katz".to_string()));
        let arr = StringArray::from(vals);
        assert!(arr.value_data().len() > 4 * super::BLOCK);
        check(&arr, "long values");
    }

    #[test]
    fn command_lines_sliced_at_many_offsets() {
        // Longer values in the shape of process command lines, needles in
        // upper case, KELVIN SIGN and dotted capital I among them, empty
        // values and nulls; the array is searched whole and as slices
        // starting at many offsets.
        let words = [
            "powershell.exe",
            "-ExecutionPolicy",
            "Bypass",
            "UACBypass",
            "C:\\Users\\Public\\MIMIKATZ.exe",
            "mimi\u{212A}atz",
            "\u{0130}nvoke",
            "-enc",
            "SQBFAFgA",
            "--type=renderer",
            "straße",
            "7z.exe",
            "a.ZIP",
        ];
        let mut rng = Rng(99);
        let vals: Vec<Option<String>> = (0..300)
            .map(|_| match rng.below(20) {
                0 => None,
                1 => Some(String::new()),
                _ => {
                    let k = 1 + rng.below(12);
                    Some(
                        (0..k)
                            .map(|_| words[rng.below(words.len())])
                            .collect::<Vec<_>>()
                            .join(if rng.below(2) == 0 { " " } else { "" }),
                    )
                }
            })
            .collect();
        let arr = StringArray::from(vals);
        check(&arr, "command lines");
        for start in [1, 7, 63, 64, 65, 150] {
            let s = arr.slice(start, arr.len() - start - 3);
            check(&s, &format!("command lines from {start}"));
        }
    }

    #[test]
    fn only_two_characters_fold_to_ascii() {
        // The buffer scan relies on this: every other non-ASCII character
        // lower-cases to non-ASCII characters only.
        let special: Vec<char> = (0..=char::MAX as u32)
            .filter_map(char::from_u32)
            .filter(|c| !c.is_ascii() && c.to_lowercase().any(|l| l.is_ascii()))
            .collect();
        assert_eq!(special, vec!['\u{0130}', '\u{212A}']);
    }
}
