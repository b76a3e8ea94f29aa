//! A small scanner over JSON text, so property access and indexing on
//! dynamic values (stored as compact JSON text) find one value without
//! building a `serde_json::Value` for the whole document.

use std::borrow::Cow;

fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The end (exclusive) of the string starting at the quote at `i`, and
/// whether it holds escapes.
fn skip_string(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let mut j = i + 1;
    let mut escaped = false;
    loop {
        let rest = b.get(j..)?;
        let k = memchr::memchr2(b'"', b'\\', rest)?;
        j += k;
        if b[j] == b'\\' {
            escaped = true;
            j += 2;
        } else {
            return Some((j + 1, escaped));
        }
    }
}

/// The end (exclusive) of the JSON value starting at `i` (no leading
/// whitespace). Checks structure loosely: enough to find boundaries in
/// valid JSON and to fail on most invalid text.
pub fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => skip_string(b, i).map(|(e, _)| e),
        b'{' | b'[' => {
            let close = if b[i] == b'{' { b'}' } else { b']' };
            let object = close == b'}';
            let mut j = ws(b, i + 1);
            if b.get(j) == Some(&close) {
                return Some(j + 1);
            }
            loop {
                if object {
                    if b.get(j) != Some(&b'"') {
                        return None;
                    }
                    j = ws(b, skip_string(b, j)?.0);
                    if b.get(j) != Some(&b':') {
                        return None;
                    }
                    j = ws(b, j + 1);
                }
                j = ws(b, skip_value(b, j)?);
                match b.get(j)? {
                    b',' => j = ws(b, j + 1),
                    c if *c == close => return Some(j + 1),
                    _ => return None,
                }
            }
        }
        b't' => b.get(i..i + 4).filter(|s| *s == b"true").map(|_| i + 4),
        b'f' => b.get(i..i + 5).filter(|s| *s == b"false").map(|_| i + 5),
        b'n' => b.get(i..i + 4).filter(|s| *s == b"null").map(|_| i + 4),
        b'-' | b'0'..=b'9' => skip_number(b, i),
        _ => None,
    }
}

/// The end of a JSON number starting at `i`:
/// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn skip_number(b: &[u8], i: usize) -> Option<usize> {
    let digits = |mut j: usize| -> (usize, usize) {
        let start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        (j, j - start)
    };
    let mut j = i;
    if b.get(j) == Some(&b'-') {
        j += 1;
    }
    match b.get(j)? {
        b'0' => j += 1,
        b'1'..=b'9' => j = digits(j).0,
        _ => return None,
    }
    if b.get(j) == Some(&b'.') {
        let (k, n) = digits(j + 1);
        if n == 0 {
            return None;
        }
        j = k;
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        j += 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let (k, n) = digits(j);
        if n == 0 {
            return None;
        }
        j = k;
    }
    Some(j)
}

/// The value of top-level property `key` of the JSON object `text`.
pub fn member<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let b = text.as_bytes();
    let mut j = ws(b, 0);
    if b.get(j) != Some(&b'{') {
        return None;
    }
    j = ws(b, j + 1);
    if b.get(j) == Some(&b'}') {
        return None;
    }
    loop {
        if b.get(j) != Some(&b'"') {
            return None;
        }
        let (kend, escaped) = skip_string(b, j)?;
        let raw = text.get(j + 1..kend - 1)?;
        let matches = if escaped {
            serde_json::from_str::<String>(text.get(j..kend)?).ok()? == key
        } else {
            raw == key
        };
        j = ws(b, kend);
        if b.get(j) != Some(&b':') {
            return None;
        }
        j = ws(b, j + 1);
        let vend = skip_value(b, j)?;
        if matches {
            return text.get(j..vend);
        }
        j = ws(b, vend);
        match b.get(j)? {
            b',' => j = ws(b, j + 1),
            _ => return None,
        }
    }
}

/// The spans of the elements of the JSON array `text`.
pub fn elements(text: &str) -> Option<Vec<&str>> {
    let b = text.as_bytes();
    let mut j = ws(b, 0);
    if b.get(j) != Some(&b'[') {
        return None;
    }
    let mut out = Vec::new();
    j = ws(b, j + 1);
    if b.get(j) == Some(&b']') {
        return Some(out);
    }
    loop {
        let end = skip_value(b, j)?;
        out.push(text.get(j..end)?);
        j = ws(b, end);
        match b.get(j)? {
            b',' => j = ws(b, j + 1),
            b']' => return Some(out),
            _ => return None,
        }
    }
}

/// Element `i` of the JSON array `text`; a negative index counts from the end.
pub fn index(text: &str, i: i64) -> Option<&str> {
    if i >= 0 {
        // Walk without collecting.
        let b = text.as_bytes();
        let mut j = ws(b, 0);
        if b.get(j) != Some(&b'[') {
            return None;
        }
        j = ws(b, j + 1);
        if b.get(j) == Some(&b']') {
            return None;
        }
        let mut k = 0i64;
        loop {
            let end = skip_value(b, j)?;
            if k == i {
                return text.get(j..end);
            }
            k += 1;
            j = ws(b, end);
            match b.get(j)? {
                b',' => j = ws(b, j + 1),
                _ => return None,
            }
        }
    }
    let els = elements(text)?;
    let k = els.len() as i64 + i;
    usize::try_from(k).ok().and_then(|k| els.get(k).copied())
}

/// Whether `text` is one complete JSON value with no whitespace outside
/// strings (the stored form of dynamic values).
pub fn is_compact(text: &str) -> bool {
    let b = text.as_bytes();
    if skip_value(b, 0) != Some(b.len()) {
        return false;
    }
    // Whitespace outside strings?
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => match skip_string(b, i) {
                Some((e, _)) => i = e,
                None => return false,
            },
            b' ' | b'\t' | b'\n' | b'\r' => return false,
            _ => i += 1,
        }
    }
    true
}

/// The stored (compact) form of JSON text, or `None` when it is not JSON.
pub fn normalize(text: &str) -> Option<Cow<'_, str>> {
    if is_compact(text) {
        return Some(Cow::Borrowed(text));
    }
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .map(|v| Cow::Owned(v.to_string()))
}

/// The text of a JSON string value without quotes and escapes; other JSON
/// values as they are; `null` as the empty string (Kusto's `tostring`).
pub fn to_plain(text: &str) -> Cow<'_, str> {
    if text.starts_with('"') {
        if !text.contains('\\') && text.len() >= 2 {
            return Cow::Borrowed(&text[1..text.len() - 1]);
        }
        match serde_json::from_str::<String>(text) {
            Ok(s) => Cow::Owned(s),
            Err(_) => Cow::Borrowed(text),
        }
    } else if text == "null" {
        Cow::Borrowed("")
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members() {
        let t = r#"{"a":1,"b":{"c":[1,2,"x,}"]},"d\"q":"v","e":"s"}"#;
        assert_eq!(member(t, "a"), Some("1"));
        assert_eq!(member(t, "b"), Some(r#"{"c":[1,2,"x,}"]}"#));
        assert_eq!(member(t, "d\"q"), Some("\"v\""));
        assert_eq!(member(t, "e"), Some("\"s\""));
        assert_eq!(member(t, "z"), None);
        assert_eq!(member("[1]", "a"), None);
        assert_eq!(member("{ \"a\" : 2 }", "a"), Some("2"));
    }

    #[test]
    fn indexes() {
        assert_eq!(index("[1,[2,3],\"x\"]", 1), Some("[2,3]"));
        assert_eq!(index("[1,[2,3],\"x\"]", -1), Some("\"x\""));
        assert_eq!(index("[1]", 3), None);
        assert_eq!(index("[1]", -2), None);
        assert_eq!(index("[]", 0), None);
    }

    #[test]
    fn compact_and_plain() {
        assert!(is_compact(r#"{"a":"b c"}"#));
        assert!(!is_compact(r#"{"a": 1}"#));
        assert!(!is_compact(r#"{"a":1"#));
        assert_eq!(normalize(r#"{"a": 1}"#).as_deref(), Some(r#"{"a":1}"#));
        assert_eq!(normalize("abc"), None);
        assert_eq!(normalize("1."), None);
        assert_eq!(normalize("01"), None);
        assert_eq!(normalize("-1.5e+3").as_deref(), Some("-1.5e+3"));
        assert_eq!(
            normalize(r#"{"u":"www.x.com","n":1.25}"#).as_deref(),
            Some(r#"{"u":"www.x.com","n":1.25}"#)
        );
        assert_eq!(to_plain("\"a\\\"b\""), "a\"b");
        assert_eq!(to_plain("\"ab\""), "ab");
        assert_eq!(to_plain("null"), "");
    }
}
