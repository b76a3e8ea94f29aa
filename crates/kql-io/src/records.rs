//! A quick splitter for delimited records in their plain form: fields that
//! are either unquoted (no quote, carriage return or line feed inside) or
//! wholly quoted (quotes inside doubled), records ending in `\n`, `\r\n` or
//! the end of the text.
//!
//! Anything else (a blank line, a lone `\r`, a quote inside an unquoted
//! field, text after a closing quote, an unclosed quote) is left to the
//! general reader, which the caller runs from that record on; for records
//! in the plain form, both give the same fields.

/// One field of a record: `start..end` in the text (without the quotes of
/// a quoted field), and whether it holds doubled quotes to undo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Field {
    pub start: usize,
    pub end: usize,
    pub escaped: bool,
}

/// Splits the record that starts at `pos` of `text` into `fields` and
/// returns where the next record starts, or `None` when the record is not
/// in the plain form (or `pos` is at the end of `text`).
pub(crate) fn split_record(
    text: &[u8],
    pos: usize,
    delimiter: u8,
    fields: &mut Vec<Field>,
) -> Option<usize> {
    fields.clear();
    let n = text.len();
    match text.get(pos) {
        None | Some(b'\n' | b'\r') => return None,
        Some(_) => {}
    }
    if delimiter == b'"' || delimiter == b'\n' || delimiter == b'\r' {
        return None;
    }
    let mut i = pos;
    loop {
        if text.get(i) == Some(&b'"') {
            let start = i + 1;
            let mut j = start;
            let mut escaped = false;
            let end = loop {
                let q = j + memchr::memchr(b'"', text.get(j..)?)?;
                if text.get(q + 1) == Some(&b'"') {
                    escaped = true;
                    j = q + 2;
                } else {
                    break q;
                }
            };
            fields.push(Field {
                start,
                end,
                escaped,
            });
            i = end + 1;
        } else {
            let rest = text.get(i..)?;
            let end = memchr::memchr3(delimiter, b'\n', b'\r', rest).map_or(n, |r| i + r);
            if memchr::memchr(b'"', &text[i..end]).is_some() {
                return None;
            }
            fields.push(Field {
                start: i,
                end,
                escaped: false,
            });
            i = end;
        }
        match text.get(i) {
            None => return Some(n),
            Some(&c) if c == delimiter => i += 1,
            Some(b'\n') => return Some(i + 1),
            Some(b'\r') if text.get(i + 1) == Some(&b'\n') => return Some(i + 2),
            Some(_) => return None,
        }
    }
}

/// The bytes of `field`, with doubled quotes undone (into `scratch`).
pub(crate) fn field_bytes<'a>(text: &'a [u8], field: Field, scratch: &'a mut Vec<u8>) -> &'a [u8] {
    let raw = &text[field.start..field.end];
    if !field.escaped {
        return raw;
    }
    scratch.clear();
    let mut rest = raw;
    while let Some(q) = memchr::memchr(b'"', rest) {
        scratch.extend_from_slice(&rest[..=q]);
        // A quote inside a quoted field of the plain form is always doubled.
        rest = rest.get(q + 2..).unwrap_or_default();
    }
    scratch.extend_from_slice(rest);
    scratch
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The records of `text` as the general reader reads them, as long as
    /// the quick splitter agrees they are in the plain form; the rest as the
    /// general reader reads it.
    type Records = Vec<Vec<Vec<u8>>>;

    fn both(text: &[u8]) -> (Records, Records) {
        let mut general = Vec::new();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut rec = csv::ByteRecord::new();
        while reader.read_byte_record(&mut rec).unwrap_or(false) {
            general.push(rec.iter().map(<[u8]>::to_vec).collect::<Vec<_>>());
        }
        let mut quick = Vec::new();
        let mut fields = Vec::new();
        let mut scratch = Vec::new();
        let mut pos = 0;
        while let Some(next) = split_record(text, pos, b',', &mut fields) {
            quick.push(
                fields
                    .iter()
                    .map(|f| field_bytes(text, *f, &mut scratch).to_vec())
                    .collect::<Vec<_>>(),
            );
            pos = next;
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&text[pos..]);
        while reader.read_byte_record(&mut rec).unwrap_or(false) {
            quick.push(rec.iter().map(<[u8]>::to_vec).collect::<Vec<_>>());
        }
        (quick, general)
    }

    #[test]
    fn quick_split_equals_the_general_reader() {
        let cases: &[&[u8]] = &[
            b"a,b,c\n1,2,3\n",
            b"a,b,c\r\n1,2,3\r\n",
            b"a,b,c\n1,2,3",
            b"\"a\",\"b,c\",\"d\"\"e\"\n\"x\ny\",,\"\"\n",
            b"\"\"\"\",\"a\"\"\"\"b\",\"\"\"x\"\"\"\n",
            b"a,,\n,,\n",
            b"a,b\n\nc,d\n",
            b"a,b\n\n",
            b"a,b\rc,d\n",
            b"a,b\"c,d\n1,2\n",
            b"\"a\"b,c\n1,2\n",
            b"\"a,b\n",
            b"a,b,\n",
            "é,\"ü\"\"ö\",日本\n".as_bytes(),
            b"\xff\xfe,\"\xc3\",x\n",
            b"a,\"b\r\nc\"\r\nd,e\r\n",
            b"1,2\n3\n4,5,6\n",
            b",\n",
            b"\"\"\n",
            b"x\r",
        ];
        for case in cases {
            let (quick, general) = both(case);
            assert_eq!(quick, general, "{}", String::from_utf8_lossy(case));
        }
    }

    #[test]
    fn plain_records_are_split_quickly() {
        let text = b"\"a\"\"b\",c,\"d\ne\"\r\nx,,\"\"\n";
        let mut fields = Vec::new();
        let next = split_record(text, 0, b',', &mut fields).expect("plain");
        assert_eq!(fields.len(), 3);
        assert!(fields[0].escaped && !fields[1].escaped && !fields[2].escaped);
        assert_eq!(&text[next..], b"x,,\"\"\n");
        assert_eq!(
            split_record(text, next, b',', &mut fields),
            Some(text.len())
        );
        assert_eq!(fields.len(), 3);
        // Not plain: left to the general reader.
        for odd in [&b"a\"b,c\n"[..], b"\"a\"b\n", b"\n", b"\"open", b"a\rb\n"] {
            assert_eq!(split_record(odd, 0, b',', &mut fields), None, "{odd:?}");
        }
        let tabbed = b"a\t\"b\tc\"\n";
        assert_eq!(
            split_record(tabbed, 0, b'\t', &mut fields),
            Some(tabbed.len())
        );
        assert_eq!(fields.len(), 2);
    }
}
