//! String functions.

use crate::kernel::{longs, rows, rows_ok, str_to_long, str_to_str, strs, sv, val};
use crate::typing::{check_regex, sig, sig_var, P};
use crate::{Arg, ArgInfo, Category, Ctx, Example, FunctionDef, Typed};
use arrow::array::{Array, ArrayRef, StringBuilder};
use kql_common::{KqlType, ScalarValue};
use serde_json::Value;
use std::sync::Arc;

const C: Category = Category::String;
use KqlType::{Bool, Dynamic, Long, String as Str};

pub static FUNCTIONS: &[&FunctionDef] = &[
    &TOLOWER,
    &TOUPPER,
    &STRLEN,
    &STRCAT,
    &STRCAT_DELIM,
    &SUBSTRING,
    &INDEXOF,
    &SPLIT,
    &REPLACE_STRING,
    &REPLACE_REGEX,
    &REPLACE,
    &EXTRACT,
    &EXTRACT_ALL,
    &COUNTOF,
    &TRIM,
    &TRIM_START,
    &TRIM_END,
    &REVERSE,
    &STRREP,
    &STRING_SIZE,
    &ISASCII,
    &ISUTF8,
    &STRCMP,
    &TRANSLATE,
    &HAS_ANY_INDEX,
    &HAS_ANY_OP,
    &HAS_ALL_OP,
    &MAKE_STRING,
    &REGEX_QUOTE,
    &INDEXOF_REGEX,
    &REPLACE_STRINGS,
    &FORMAT_BYTES,
    &PARSE_VERSION,
];

fn regex_at(args: &[Arg], i: usize) -> Result<regex::Regex, String> {
    let p = strs(args, i)?;
    let text = if p.is_empty() { "" } else { sv(p, 0) };
    regex::Regex::new(text).map_err(|e| format!("invalid regular expression: {e}"))
}

/// Compiles the pattern of row `i`, reusing the last one when unchanged.
struct RegexCache {
    last: Option<(String, regex::Regex)>,
}

impl RegexCache {
    fn new() -> Self {
        RegexCache { last: None }
    }
    fn get(&mut self, p: &str) -> Result<&regex::Regex, String> {
        let stale = !matches!(&self.last, Some((t, _)) if t == p);
        if stale {
            let re =
                regex::Regex::new(p).map_err(|e| format!("invalid regular expression: {e}"))?;
            self.last = Some((p.to_string(), re));
        }
        match &self.last {
            Some((_, re)) => Ok(re),
            None => Err("internal error: regex cache".into()),
        }
    }
}

static TOLOWER: FunctionDef = FunctionDef::new(
    "tolower",
    C,
    "tolower(s: string): string",
    "Converts a string to lower case (Unicode case mapping).",
    |a| sig("tolower", a, 1, &[P::Str], Str),
    |_, args| {
        let a = strs(args, 0)?;
        if let Some(lowered) = crate::kernel::ascii_bytes_map(a, |b| b.to_ascii_lowercase()) {
            return Ok(lowered);
        }
        Ok(str_to_str(a, |s, out| {
            if s.is_ascii() {
                out.push_str(s);
                out.make_ascii_lowercase();
            } else {
                out.push_str(&s.to_lowercase());
            }
        }))
    },
)
.examples(&[Example {
    query: "print tolower(\"Hello WORLD\")",
    output: "print_0\nhello world",
}]);

static TOUPPER: FunctionDef = FunctionDef::new(
    "toupper",
    C,
    "toupper(s: string): string",
    "Converts a string to upper case (Unicode case mapping).",
    |a| sig("toupper", a, 1, &[P::Str], Str),
    |_, args| {
        let a = strs(args, 0)?;
        if let Some(raised) = crate::kernel::ascii_bytes_map(a, |b| b.to_ascii_uppercase()) {
            return Ok(raised);
        }
        Ok(str_to_str(a, |s, out| {
            if s.is_ascii() {
                out.push_str(s);
                out.make_ascii_uppercase();
            } else {
                out.push_str(&s.to_uppercase());
            }
        }))
    },
)
.examples(&[Example {
    query: "print toupper(\"Hello\")",
    output: "print_0\nHELLO",
}]);

static STRLEN: FunctionDef = FunctionDef::new(
    "strlen",
    C,
    "strlen(s: string): long",
    "Number of Unicode characters in a string.",
    |a| sig("strlen", a, 1, &[P::StrS], Long),
    |_, args| {
        Ok(str_to_long(strs(args, 0)?, |s| {
            Some(s.chars().count() as i64)
        }))
    },
)
.examples(&[Example {
    query: "print a = strlen(\"hello\"), b = strlen(\"\"), c = strlen(\"héllo\")",
    output: "a,b,c\n5,0,5",
}]);

static STRCAT: FunctionDef = FunctionDef::new(
    "strcat",
    C,
    "strcat(arg1, arg2, ...): string",
    "Concatenates the string forms of 1 to 64 arguments.",
    |a| {
        crate::typing::arity("strcat", a, 1, 64)?;
        sig_var("strcat", a, 1, &[P::Str], Str)
    },
    |ctx, args| {
        let parts = (0..args.len())
            .map(|i| strs(args, i))
            .collect::<Result<Vec<_>, _>>()?;
        crate::kernel::concat_rows(&parts, ctx.len)
    },
)
.examples(&[Example {
    query: "print strcat(\"a\", 1, \"-\", true)",
    output: "print_0\na1-true",
}]);

static STRCAT_DELIM: FunctionDef = FunctionDef::new(
    "strcat_delim",
    C,
    "strcat_delim(delimiter: string, arg1, arg2, ...): string",
    "Concatenates the string forms of 2 to 64 arguments with a delimiter between them.",
    |a| {
        crate::typing::arity("strcat_delim", a, 3, 65)?;
        sig_var("strcat_delim", a, 3, &[P::Str], Str)
    },
    |ctx, args| {
        let parts = (0..args.len())
            .map(|i| strs(args, i))
            .collect::<Result<Vec<_>, _>>()?;
        let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 16);
        let mut buf = String::new();
        for row in 0..ctx.len {
            buf.clear();
            for (k, p) in parts.iter().enumerate().skip(1) {
                if k > 1 {
                    buf.push_str(sv(parts[0], row));
                }
                buf.push_str(sv(p, row));
            }
            b.append_value(&buf);
        }
        Ok(Arc::new(b.finish()))
    },
)
.examples(&[Example {
    query: "print strcat_delim(\"-\", 1, \"b\", 3)",
    output: "print_0\n1-b-3",
}]);

/// The substring of `s` from character `start`, `len` characters long.
fn substr(s: &str, start: i64, len: Option<i64>) -> String {
    let (mut start, mut len) = (start, len);
    if start < 0 {
        if let Some(l) = len.as_mut() {
            *l += start;
        }
        start = 0;
    }
    let it = s.chars().skip(start as usize);
    match len {
        Some(l) if l <= 0 => String::new(),
        Some(l) => it.take(l as usize).collect(),
        None => it.collect(),
    }
}

static SUBSTRING: FunctionDef = FunctionDef::new(
    "substring",
    C,
    "substring(source: string, startingIndex: long, [length: long]): string",
    "Characters of the source from a zero-based index, optionally limited to a length.",
    |a| sig("substring", a, 2, &[P::Str, P::Long, P::Long], Str),
    |_, args| {
        let s = strs(args, 0)?;
        let st = longs(args, 1)?;
        let ln = if args.len() > 2 { Some(longs(args, 2)?) } else { None };
        let mut b = StringBuilder::with_capacity(s.len(), s.value_data().len());
        for i in 0..s.len() {
            if st.is_null(i) || ln.is_some_and(|l| l.is_null(i)) {
                b.append_value("");
                continue;
            }
            let len = ln.map(|l| l.value(i));
            b.append_value(substr(sv(s, i), st.value(i), len));
        }
        Ok(Arc::new(b.finish()))
    },
)
.examples(&[Example {
    query: "print a = substring(\"123456\", 1, 2), b = substring(\"123456\", 2), c = substring(\"ABCD\", 0, 10)",
    output: "a,b,c\n23,3456,ABCD",
}]);

static INDEXOF: FunctionDef = FunctionDef::new(
    "indexof",
    C,
    "indexof(source: string, lookup: string, [start: long, [length: long, [occurrence: long]]]): long",
    "Zero-based character index of the occurrence of lookup in source, or -1.",
    |a| sig("indexof", a, 2, &[P::Str, P::Str, P::Long, P::Long, P::Long], Long),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let s: Vec<char> = val::str(&r[0]).chars().collect();
            let needle: Vec<char> = val::str(&r[1]).chars().collect();
            let start = r.get(2).map_or(Some(0), val::long);
            let len = r.get(3).map_or(Some(-1), val::long);
            let occ = r.get(4).map_or(Some(1), val::long);
            let (Some(start), Some(len), Some(occ)) = (start, len, occ) else {
                return ScalarValue::Null(Long);
            };
            let n = s.len() as i64;
            let start = if start < 0 { n + start } else { start };
            if start < 0 || start > n || occ <= 0 || len < -1 {
                return ScalarValue::Null(Long);
            }
            // Each further occurrence is searched from just after the previous
            // one, over the same length (as Kusto does).
            let find = |from: i64| -> Option<i64> {
                let end = if len == -1 { n } else { (from + len).min(n) };
                let mut i = from;
                while i + needle.len() as i64 <= end {
                    let iu = i as usize;
                    if s[iu..iu + needle.len()] == needle[..] {
                        return Some(i);
                    }
                    i += 1;
                }
                None
            };
            let mut from = start;
            let mut found = -1;
            for _ in 0..occ {
                match find(from) {
                    Some(i) => {
                        found = i;
                        from = i + 1;
                    }
                    None => return ScalarValue::Long(-1),
                }
            }
            ScalarValue::Long(found)
        })
    },
)
.examples(&[Example {
    query: "print a = indexof(\"abcdefg\", \"cde\"), b = indexof(\"abcdefg\", \"cde\", 1, 4), c = indexof(\"abcdefg\", \"cde\", 3), d = indexof(\"abcdabc\", \"abc\", 0, -1, 2)",
    output: "a,b,c,d\n2,2,-1,4",
}]);

fn json_strings<'a>(it: impl Iterator<Item = &'a str>) -> String {
    Value::Array(it.map(|s| Value::String(s.to_string())).collect()).to_string()
}

static SPLIT: FunctionDef = FunctionDef::new(
    "split",
    C,
    "split(source: string, delimiter: string, [requestedIndex: long]): dynamic",
    "Splits a string on a delimiter into a dynamic array of strings; with an index, an array holding only that part (empty when out of range).",
    |a| sig("split", a, 2, &[P::Str, P::StrS, P::Long], Dynamic),
    |ctx, args| {
        let s = strs(args, 0)?;
        let d = strs(args, 1)?;
        let idx = if args.len() > 2 { Some(longs(args, 2)?) } else { None };
        let mut b = StringBuilder::with_capacity(ctx.len, s.value_data().len() * 2);
        for i in 0..ctx.len {
            let text = sv(s, i);
            let delim = sv(d, i);
            let parts: Vec<&str> = if delim.is_empty() {
                vec![text]
            } else {
                text.split(delim).collect()
            };
            match idx {
                None => b.append_value(json_strings(parts.into_iter())),
                Some(ix) if ix.is_null(i) => b.append_null(),
                Some(ix) => {
                    let k = ix.value(i);
                    let part = usize::try_from(k).ok().and_then(|k| parts.get(k).copied());
                    b.append_value(json_strings(part.into_iter()));
                }
            }
        }
        Ok(Arc::new(b.finish()))
    },
)
.examples(&[Example {
    query: "print a = split(\"aa_bb\", \"_\"), b = split(\"aaa_bbb_ccc\", \"_\", 1), c = split(\"\", \"_\"), d = split(\"a__b\", \"_\")",
    output: "a,b,c,d\n\"[\"\"aa\"\",\"\"bb\"\"]\",\"[\"\"bbb\"\"]\",\"[\"\"\"\"]\",\"[\"\"a\"\",\"\"\"\",\"\"b\"\"]\"",
}]);

static REPLACE_STRING: FunctionDef = FunctionDef::new(
    "replace_string",
    C,
    "replace_string(text: string, lookup: string, rewrite: string): string",
    "Replaces every occurrence of lookup (case-sensitive, not a regex) with rewrite.",
    |a| sig("replace_string", a, 3, &[P::StrS, P::StrS, P::StrS], Str),
    |ctx, args| {
        let (t, l, r) = (strs(args, 0)?, strs(args, 1)?, strs(args, 2)?);
        let mut b = StringBuilder::with_capacity(ctx.len, t.value_data().len());
        for i in 0..ctx.len {
            let lookup = sv(l, i);
            if lookup.is_empty() {
                b.append_value(sv(t, i));
            } else {
                b.append_value(sv(t, i).replace(lookup, sv(r, i)));
            }
        }
        Ok(Arc::new(b.finish()))
    },
)
.examples(&[Example {
    query:
        "print replace_string(\"A magic trick can turn a cat into a dog\", \"cat\", \"hamster\")",
    output: "print_0\nA magic trick can turn a hamster into a dog",
}]);

/// Kusto's rewrite syntax uses `\1` for groups; Rust's regex uses `${1}`.
fn rewrite_syntax(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    let mut it = r.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' if it.peek().is_some_and(|d| d.is_ascii_digit()) => {
                let mut n = String::new();
                while let Some(d) = it.peek().copied().filter(char::is_ascii_digit) {
                    n.push(d);
                    it.next();
                }
                out.push_str("${");
                out.push_str(&n);
                out.push('}');
            }
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

fn replace_regex_typing(name: &str, a: &[ArgInfo]) -> Result<Typed, String> {
    check_regex(name, a, 1)?;
    sig(name, a, 3, &[P::StrS, P::StrS, P::StrS], Str)
}

fn replace_regex_kernel(ctx: &Ctx, args: &[Arg]) -> Result<ArrayRef, String> {
    let (t, l, r) = (strs(args, 0)?, strs(args, 1)?, strs(args, 2)?);
    let mut cache = RegexCache::new();
    let mut b = StringBuilder::with_capacity(ctx.len, t.value_data().len());
    for i in 0..ctx.len {
        let re = cache.get(sv(l, i))?;
        let rw = rewrite_syntax(sv(r, i));
        b.append_value(re.replace_all(sv(t, i), rw.as_str()));
    }
    Ok(Arc::new(b.finish()))
}

static REPLACE_REGEX: FunctionDef = FunctionDef::new(
    "replace_regex",
    C,
    "replace_regex(source: string, lookup_regex: string, rewrite_pattern: string): string",
    "Replaces every match of a regular expression; `\\1`... in the rewrite refer to capture groups.",
    |a| replace_regex_typing("replace_regex", a),
    replace_regex_kernel,
)
.examples(&[Example { query: "print replace_regex(\"The price is 100 dollars\", @\"(\\d+) dollars\", @\"$\\1\")", output: "print_0\nThe price is $100" }]);

static REPLACE: FunctionDef = FunctionDef::new(
    "replace",
    C,
    "replace(regex: string, rewrite: string, source: string): string",
    "Deprecated form of replace_regex, with the source last.",
    |a| {
        check_regex("replace", a, 0)?;
        sig("replace", a, 3, &[P::StrS, P::StrS, P::StrS], Str)
    },
    |ctx, args| {
        let (re, rw, t) = (strs(args, 0)?, strs(args, 1)?, strs(args, 2)?);
        let mut cache = RegexCache::new();
        let mut b = StringBuilder::with_capacity(ctx.len, t.value_data().len());
        for i in 0..ctx.len {
            let r = cache.get(sv(re, i))?;
            b.append_value(r.replace_all(sv(t, i), rewrite_syntax(sv(rw, i)).as_str()));
        }
        Ok(Arc::new(b.finish()))
    },
)
.examples(&[Example {
    query: "print replace(@\"is (\\w+)\", @\"was \\1\", \"this is it\")",
    output: "print_0\nthwas is it",
}]);

static EXTRACT: FunctionDef = FunctionDef::new(
    "extract",
    C,
    "extract(regex: string, captureGroup: long, source: string, [typeof(T)]): string",
    "The text of a capture group (0: the whole match) of the first match, or \"\" when there is none.",
    |a| {
        check_regex("extract", a, 0)?;
        if a.len() == 4 {
            return Err("the fourth argument of extract() must be a type: typeof(long), typeof(int), ...".into());
        }
        sig("extract", a, 3, &[P::StrS, P::Long, P::StrS], Str)
    },
    |ctx, args| {
        let (re, g, s) = (strs(args, 0)?, longs(args, 1)?, strs(args, 2)?);
        let mut cache = RegexCache::new();
        let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 8);
        for i in 0..ctx.len {
            let r = cache.get(sv(re, i))?;
            let group = usize::try_from(g.value(i)).ok();
            if g.is_null(i) || group.is_none_or(|k| k >= r.captures_len()) {
                return Err(format!(
                    "extract(): capture group {} does not exist in the regular expression",
                    g.value(i)
                ));
            }
            let text = group
                .and_then(|k| r.captures(sv(s, i)).and_then(|c| c.get(k)))
                .map_or("", |m| m.as_str());
            b.append_value(text);
        }
        Ok(Arc::new(b.finish()))
    },
)
.examples(&[Example {
    query: "print a = extract(\"x=([0-9.]+)\", 1, \"hello x=45.6|wo\"), b = extract(@\"(\\d+)-(\\d+)\", 2, \"a 12-34\"), c = extract(\"z\", 0, \"abc\")",
    output: "a,b,c\n45.6,34,",
}]);

static EXTRACT_ALL: FunctionDef = FunctionDef::new(
    "extract_all",
    C,
    "extract_all(regex: string, [captureGroups: dynamic,] source: string): dynamic",
    "Every match of a regular expression: an array of strings for zero or one capture group, of arrays for several; null when nothing matches.",
    |a| {
        check_regex("extract_all", a, 0)?;
        if a.len() == 3 {
            sig("extract_all", a, 3, &[P::StrS, P::Dyn, P::StrS], Dynamic)
        } else {
            sig("extract_all", a, 2, &[P::Str, P::Str], Dynamic)
        }
    },
    |ctx, args| {
        let mut cache = RegexCache::new();
        rows(ctx, args, |r| {
            let re = cache.get(val::str(&r[0]))?;
            let src = val::str(&r[r.len() - 1]);
            let groups: Option<Vec<usize>> = if r.len() == 3 {
                match val::json(&r[1]) {
                    Some(Value::Array(a)) => Some(
                        a.iter()
                            .filter_map(|v| v.as_u64().map(|x| x as usize))
                            .collect(),
                    ),
                    _ => None,
                }
            } else {
                None
            };
            let ncap = re.captures_len() - 1;
            let mut out = Vec::new();
            for c in re.captures_iter(src) {
                let get = |k: usize| Value::String(c.get(k).map_or("", |m| m.as_str()).to_string());
                let item = match &groups {
                    Some(gs) if gs.len() == 1 => get(gs[0]),
                    Some(gs) => Value::Array(gs.iter().map(|&k| get(k)).collect()),
                    None if ncap == 0 => get(0),
                    None if ncap == 1 => get(1),
                    None => Value::Array((1..=ncap).map(get).collect()),
                };
                out.push(item);
            }
            Ok(if out.is_empty() {
                ScalarValue::Null(Dynamic)
            } else {
                ScalarValue::Dynamic(Value::Array(out))
            })
        })
    },
)
.examples(&[Example {
    query: "print a = extract_all(@\"(\\d+)\", \"a1b22c333\"), b = extract_all(@\"(\\w)(\\d)\", \"a1 b2\")",
    output: "a,b\n\"[\"\"1\"\",\"\"22\"\",\"\"333\"\"]\",\"[[\"\"a\"\",\"\"1\"\"],[\"\"b\"\",\"\"2\"\"]]\"",
}]);

static COUNTOF: FunctionDef = FunctionDef::new(
    "countof",
    C,
    "countof(source: string, search: string, [kind: string]): long",
    "Number of occurrences of search in source: plain matches may overlap; with kind \"regex\", non-overlapping regex matches.",
    |a| {
        if let Some(ScalarValue::String(k)) = crate::constant(a, 2) {
            if k != "normal" && k != "regex" {
                return Err(format!("countof(): kind must be \"normal\" or \"regex\", not {k:?}"));
            }
            if k == "regex" {
                check_regex("countof", a, 1)?;
            }
        }
        sig("countof", a, 2, &[P::StrS, P::StrS, P::StrS], Long)
    },
    |ctx, args| {
        let mut cache = RegexCache::new();
        rows(ctx, args, |r| {
            let s = val::str(&r[0]);
            let needle = val::str(&r[1]);
            let regex = r.get(2).is_some_and(|k| val::str(k) == "regex");
            if regex {
                let re = cache.get(needle)?;
                return Ok(ScalarValue::Long(re.find_iter(s).count() as i64));
            }
            if needle.is_empty() {
                return Ok(ScalarValue::Long(0));
            }
            let mut n = 0;
            let mut from = 0;
            while let Some(k) = s.get(from..).and_then(|t| t.find(needle)) {
                n += 1;
                from += k + needle.chars().next().map_or(1, char::len_utf8);
            }
            Ok(ScalarValue::Long(n))
        })
    },
)
.examples(&[Example {
    query: "print a = countof(\"aaa\", \"a\"), b = countof(\"aaaa\", \"aa\"), c = countof(\"aaaa\", \"aa\", \"regex\"), d = countof(\"ababa\", \"ab\", \"normal\")",
    output: "a,b,c,d\n3,3,2,2",
}]);

fn trim_kernel(ctx: &Ctx, args: &[Arg], start: bool, end: bool) -> Result<ArrayRef, String> {
    let p = regex_at(args, 0)?.as_str().to_string();
    let lead = regex::Regex::new(&format!("^(?:{p})+")).map_err(|e| e.to_string())?;
    let trail = regex::Regex::new(&format!("(?:{p})+$")).map_err(|e| e.to_string())?;
    let s = strs(args, 1)?;
    let mut b = StringBuilder::with_capacity(ctx.len, s.value_data().len());
    for i in 0..ctx.len {
        let mut t = sv(s, i);
        if start {
            if let Some(m) = lead.find(t) {
                t = &t[m.end()..];
            }
        }
        if end {
            if let Some(m) = trail.find(t) {
                t = &t[..m.start()];
            }
        }
        b.append_value(t);
    }
    Ok(Arc::new(b.finish()))
}

static TRIM: FunctionDef = FunctionDef::new(
    "trim",
    C,
    "trim(regex: string, source: string): string",
    "Removes leading and trailing matches of a regular expression.",
    |a| {
        check_regex("trim", a, 0)?;
        sig("trim", a, 2, &[P::StrS, P::StrS], Str)
    },
    |ctx, args| trim_kernel(ctx, args, true, true),
)
.examples(&[Example {
    query: "print a = trim(\"--\", \"--https://x.com--\"), b = trim(@\"\\s\", \"  hi  \")",
    output: "a,b\nhttps://x.com,hi",
}]);

static TRIM_START: FunctionDef = FunctionDef::new(
    "trim_start",
    C,
    "trim_start(regex: string, source: string): string",
    "Removes leading matches of a regular expression.",
    |a| {
        check_regex("trim_start", a, 0)?;
        sig("trim_start", a, 2, &[P::StrS, P::StrS], Str)
    },
    |ctx, args| trim_kernel(ctx, args, true, false),
)
.examples(&[Example {
    query: "print trim_start(\"x\", \"xxabcxx\")",
    output: "print_0\nabcxx",
}]);

static TRIM_END: FunctionDef = FunctionDef::new(
    "trim_end",
    C,
    "trim_end(regex: string, source: string): string",
    "Removes trailing matches of a regular expression.",
    |a| {
        check_regex("trim_end", a, 0)?;
        sig("trim_end", a, 2, &[P::StrS, P::StrS], Str)
    },
    |ctx, args| trim_kernel(ctx, args, false, true),
)
.examples(&[Example {
    query: "print trim_end(@\"[\\d]+\", \"abc123\")",
    output: "print_0\nabc",
}]);

static REVERSE: FunctionDef = FunctionDef::new(
    "reverse",
    C,
    "reverse(value: string): string",
    "The characters of the string form of the value in reverse order.",
    |a| sig("reverse", a, 1, &[P::Str], Str),
    |_, args| {
        Ok(str_to_str(strs(args, 0)?, |s, out| {
            out.extend(s.chars().rev())
        }))
    },
)
.examples(&[Example {
    query: "print reverse(\"ABC\")",
    output: "print_0\nCBA",
}]);

static STRREP: FunctionDef = FunctionDef::new(
    "strrep",
    C,
    "strrep(value: string, multiplier: long, [delimiter: string]): string",
    "The string repeated multiplier times (1 to 1024), with an optional delimiter between copies.",
    |a| sig("strrep", a, 2, &[P::Str, P::Long, P::Str], Str),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let s = val::str(&r[0]);
            let n = val::long(&r[1]).unwrap_or(0).clamp(0, 1024) as usize;
            let d = r.get(2).map_or("", val::str);
            ScalarValue::String(vec![s; n].join(d))
        })
    },
)
.examples(&[Example {
    query: "print a = strrep(\"ABC\", 2), b = strrep(\"ab\", 3, \"-\")",
    output: "a,b\nABCABC,ab-ab-ab",
}]);

static STRING_SIZE: FunctionDef = FunctionDef::new(
    "string_size",
    C,
    "string_size(source: string): long",
    "Size of the string in bytes (UTF-8).",
    |a| sig("string_size", a, 1, &[P::StrS], Long),
    |_, args| Ok(str_to_long(strs(args, 0)?, |s| Some(s.len() as i64))),
)
.examples(&[Example {
    query: "print a = string_size(\"hello\"), b = string_size(\"⒦⒰⒮⒯⒪\")",
    output: "a,b\n5,15",
}]);

static ISASCII: FunctionDef = FunctionDef::new(
    "isascii",
    C,
    "isascii(value: string): bool",
    "Whether every character is ASCII.",
    |a| sig("isascii", a, 1, &[P::Str], Bool),
    |_, args| {
        Ok(crate::kernel::str_to_bool(strs(args, 0)?, |s| {
            Some(s.is_ascii())
        }))
    },
)
.examples(&[Example {
    query: "print a = isascii(\"abc\"), b = isascii(\"héllo\")",
    output: "a,b\ntrue,false",
}]);

static ISUTF8: FunctionDef = FunctionDef::new(
    "isutf8",
    C,
    "isutf8(value: string): bool",
    "Whether the string is valid UTF-8 (always true for loaded text, which is decoded as UTF-8).",
    |a| sig("isutf8", a, 1, &[P::Str], Bool),
    |_, args| Ok(crate::kernel::str_to_bool(strs(args, 0)?, |_| Some(true))),
);

static STRCMP: FunctionDef = FunctionDef::new(
    "strcmp",
    C,
    "strcmp(string1: string, string2: string): long",
    "-1, 0 or 1 as string1 sorts before, equal to or after string2 (ordinal).",
    |a| sig("strcmp", a, 2, &[P::Str, P::Str], Long),
    |ctx, args| {
        let (a, b) = (strs(args, 0)?, strs(args, 1)?);
        let out: arrow::array::Int64Array = (0..ctx.len)
            .map(|i| Some(sv(a, i).cmp(sv(b, i)) as i64))
            .collect();
        Ok(Arc::new(out))
    },
)
.examples(&[Example { query: "print a = strcmp(\"ABC\", \"ABC\"), b = strcmp(\"abc\", \"ABC\"), c = strcmp(\"ABC\", \"abc\")", output: "a,b,c\n0,1,-1" }]);

static TRANSLATE: FunctionDef = FunctionDef::new(
    "translate",
    C,
    "translate(searchList: string, replacementList: string, source: string): string",
    "Replaces each character of searchList with the character at the same place in replacementList (its last character when shorter; removed when it is empty).",
    |a| sig("translate", a, 3, &[P::StrS, P::StrS, P::StrS], Str),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let from: Vec<char> = val::str(&r[0]).chars().collect();
            let to: Vec<char> = val::str(&r[1]).chars().collect();
            let out = val::str(&r[2])
                .chars()
                .filter_map(|c| match from.iter().position(|f| *f == c) {
                    None => Some(c),
                    Some(_) if to.is_empty() => None,
                    Some(k) => to.get(k).or(to.last()).copied(),
                })
                .collect();
            ScalarValue::String(out)
        })
    },
)
.examples(&[Example { query: "print a = translate(\"abc\", \"x\", \"abc\"), b = translate(\"abc\", \"\", \"abcd\"), c = translate(\"krasp\", \"otsku\", \"spark\")", output: "a,b,c\nxxx,d,kusto" }]);

/// Terms are maximal runs of ASCII letters and digits.
fn is_term_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

/// Whether `needle` (already lower-case) occurs in `hay` as a term: with a
/// term boundary on each side where the needle starts or ends with a term
/// character (an ASCII letter or digit). Case-insensitive.
pub fn has_folded(hay: &str, needle: &str) -> bool {
    let n = needle.as_bytes();
    if n.is_empty() {
        return true;
    }
    let folded;
    let h: &[u8] = if hay.is_ascii() {
        hay.as_bytes()
    } else {
        folded = hay.to_lowercase();
        folded.as_bytes()
    };
    if h.len() < n.len() {
        return false;
    }
    let need_start = is_term_byte(n[0]);
    let need_end = n.last().is_some_and(|&c| is_term_byte(c));
    let first = n[0];
    let upper = first.to_ascii_uppercase();
    let last_start = h.len() - n.len();
    let mut from = 0;
    while from <= last_start {
        let Some(off) = memchr::memchr2(first, upper, &h[from..=last_start]) else {
            return false;
        };
        let i = from + off;
        let end = i + n.len();
        let cut_start = need_start && i > 0 && is_term_byte(h[i - 1]);
        let cut_end = need_end && end < h.len() && is_term_byte(h[end]);
        if !cut_start && !cut_end && h[i..end].eq_ignore_ascii_case(n) {
            return true;
        }
        from = i + 1;
    }
    false
}

/// `has` on one pair of strings, case-insensitive.
pub fn has_term(hay: &str, needle: &str) -> bool {
    has_folded(hay, &needle.to_lowercase())
}

/// The terms of a constant list argument, lower-cased.
fn folded_terms(args: &[Arg], i: usize) -> Result<Vec<String>, String> {
    let d = strs(args, i)?;
    if d.is_empty() || d.is_null(0) {
        return Ok(vec![]);
    }
    let v: Value = serde_json::from_str(d.value(0)).map_err(|e| e.to_string())?;
    let items = match v {
        Value::Array(a) => a,
        other => vec![other],
    };
    Ok(items
        .iter()
        .filter(|x| !x.is_null())
        .map(|x| crate::convert::scalar_to_string(&ScalarValue::Dynamic(x.clone())).to_lowercase())
        .collect())
}

fn has_list_kernel(ctx: &Ctx, args: &[Arg], all: bool) -> Result<ArrayRef, String> {
    let s = strs(args, 0)?;
    let terms = folded_terms(args, 1)?;
    let out: arrow::array::BooleanArray = (0..ctx.len)
        .map(|i| {
            let h = sv(s, i);
            Some(if all {
                terms.iter().all(|t| has_folded(h, t))
            } else {
                terms.iter().any(|t| has_folded(h, t))
            })
        })
        .collect();
    Ok(Arc::new(out))
}

/// `x has_any (a, b, ...)`: the list is a constant dynamic array.
static HAS_ANY_OP: FunctionDef = FunctionDef::new(
    "$has_any",
    C,
    "x has_any (term, ...)",
    "Whether the text has any of the terms.",
    |a| sig("$has_any", a, 2, &[P::Str, P::Dyn], Bool),
    |ctx, args| has_list_kernel(ctx, args, false),
)
.hidden();

/// `x has_all (a, b, ...)`.
static HAS_ALL_OP: FunctionDef = FunctionDef::new(
    "$has_all",
    C,
    "x has_all (term, ...)",
    "Whether the text has every one of the terms.",
    |a| sig("$has_all", a, 2, &[P::Str, P::Dyn], Bool),
    |ctx, args| has_list_kernel(ctx, args, true),
)
.hidden();

static HAS_ANY_INDEX: FunctionDef = FunctionDef::new(
    "has_any_index",
    C,
    "has_any_index(source: string, values: dynamic): long",
    "Index of the first element of values that `source has element` holds for, or -1.",
    |a| sig("has_any_index", a, 2, &[P::StrS, P::Dyn], Long),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let s = val::str(&r[0]);
            match val::json(&r[1]) {
                Some(Value::Array(items)) => {
                    let k = items.iter().position(|v| {
                        let t = crate::convert::scalar_to_string(&ScalarValue::Dynamic(v.clone()));
                        has_term(s, &t)
                    });
                    ScalarValue::Long(k.map_or(-1, |k| k as i64))
                }
                _ => ScalarValue::Long(-1),
            }
        })
    },
)
.examples(&[Example { query: "print a = has_any_index(\"this is an example\", dynamic(['this', 'example'])), b = has_any_index(\"this is an example\", dynamic(['not', 'found'])), c = has_any_index(\"this is an example\", dynamic(['x', 'is']))", output: "a,b,c\n0,-1,1" }]);

static MAKE_STRING: FunctionDef = FunctionDef::new(
    "make_string",
    C,
    "make_string(arg1, ...): string",
    "The string made of the given Unicode code points (numbers, or dynamic arrays of numbers).",
    |a| {
        crate::typing::arity("make_string", a, 1, 64)?;
        Ok(Typed {
            ret: Str,
            args: a
                .iter()
                .map(|x| if x.ty == Dynamic { Dynamic } else { Long })
                .collect(),
        })
    },
    |ctx, args| {
        rows(ctx, args, |r| {
            let mut out = String::new();
            let mut push = |cp: i64| -> Result<(), String> {
                let c = u32::try_from(cp)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| {
                        format!("make_string(): {cp} is not a valid Unicode code point")
                    })?;
                out.push(c);
                Ok(())
            };
            for v in r {
                match v {
                    ScalarValue::Dynamic(Value::Array(a)) => {
                        for x in a {
                            push(x.as_i64().unwrap_or(-1))?;
                        }
                    }
                    other => {
                        if let Some(x) = val::long(other) {
                            push(x)?;
                        }
                    }
                }
            }
            Ok(ScalarValue::String(out))
        })
    },
)
.examples(&[Example {
    query:
        "print a = make_string(75, 117, 115, 116, 111), b = make_string(dynamic([75, 117]), 115)",
    output: "a,b\nKusto,Kus",
}]);

static REGEX_QUOTE: FunctionDef = FunctionDef::new(
    "regex_quote",
    C,
    "regex_quote(value: string): string",
    "The value with regular-expression special characters escaped.",
    |a| sig("regex_quote", a, 1, &[P::Str], Str),
    |_, args| {
        Ok(str_to_str(strs(args, 0)?, |s, out| {
            out.push_str(&regex::escape(s))
        }))
    },
)
.examples(&[Example {
    query: "print regex_quote(\"abc.*\")",
    output: "print_0\nabc\\.\\*",
}]);

static INDEXOF_REGEX: FunctionDef = FunctionDef::new(
    "indexof_regex",
    C,
    "indexof_regex(source: string, regex: string, [start: long, [length: long, [occurrence: long]]]): long",
    "Zero-based character index of the occurrence of a regular expression (matches do not overlap), or -1; null for a negative start.",
    |a| {
        check_regex("indexof_regex", a, 1)?;
        sig("indexof_regex", a, 2, &[P::Str, P::Str, P::Long, P::Long, P::Long], Long)
    },
    |ctx, args| {
        let mut cache = RegexCache::new();
        rows(ctx, args, |r| {
            let s = val::str(&r[0]);
            let re = cache.get(val::str(&r[1]))?;
            let start = r.get(2).map_or(Some(0), val::long);
            let len = r.get(3).map_or(Some(-1), val::long);
            let occ = r.get(4).map_or(Some(1), val::long);
            let (Some(start), Some(len), Some(occ)) = (start, len, occ) else {
                return Ok(ScalarValue::Null(Long));
            };
            let offsets: Vec<usize> = s.char_indices().map(|(b, _)| b).chain([s.len()]).collect();
            let n = offsets.len() as i64 - 1;
            if start < 0 || start > n || occ <= 0 || len < -1 {
                return Ok(ScalarValue::Null(Long));
            }
            let end = if len == -1 { n } else { (start + len).min(n) };
            let (bs, be) = (offsets[start as usize], offsets[end as usize]);
            let Some(hay) = s.get(bs..be) else {
                return Ok(ScalarValue::Null(Long));
            };
            let found = re.find_iter(hay).nth((occ - 1) as usize);
            Ok(ScalarValue::Long(found.map_or(-1, |m| {
                s[..bs + m.start()].chars().count() as i64
            })))
        })
    },
)
.examples(&[Example {
    query: "print a = indexof_regex(\"abcabc\", \"a.c\"), b = indexof_regex(\"abcabc\", \"x\")",
    output: "a,b\n0,-1",
}]);

static REPLACE_STRINGS: FunctionDef = FunctionDef::new(
    "replace_strings",
    C,
    "replace_strings(text: string, lookups: dynamic, rewrites: dynamic): string",
    "Replaces several strings at once: earlier lookups win where matches overlap, and replaced text is not searched again.",
    |a| sig("replace_strings", a, 3, &[P::StrS, P::Dyn, P::Dyn], Str),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let text = val::str(&r[0]);
            let list = |v: &ScalarValue| -> Vec<String> {
                match val::json(v) {
                    Some(Value::Array(a)) => a
                        .iter()
                        .map(|x| crate::convert::scalar_to_string(&ScalarValue::Dynamic(x.clone())))
                        .collect(),
                    _ => vec![],
                }
            };
            let lookups = list(&r[1]);
            // A rewrite that is not a string leaves its matches as they are.
            let rewrites: Vec<Option<String>> = match val::json(&r[2]) {
                Some(Value::Array(a)) => a.iter().map(|x| x.as_str().map(str::to_string)).collect(),
                _ => vec![],
            };
            // Claimed byte ranges of the original text and their rewrites.
            let mut claims: Vec<(usize, usize, &str)> = Vec::new();
            for (k, l) in lookups.iter().enumerate() {
                if l.is_empty() {
                    continue;
                }
                let rw = match rewrites.get(k) {
                    Some(Some(s)) => s.as_str(),
                    Some(None) => l.as_str(),
                    None => "",
                };
                let mut from = 0;
                while let Some(off) = text.get(from..).and_then(|t| t.find(l.as_str())) {
                    let (s, e) = (from + off, from + off + l.len());
                    if claims.iter().all(|(cs, ce, _)| e <= *cs || s >= *ce) {
                        claims.push((s, e, rw));
                        from = e;
                    } else {
                        from = s + l.chars().next().map_or(1, char::len_utf8);
                    }
                }
            }
            claims.sort_by_key(|c| c.0);
            let mut out = String::with_capacity(text.len());
            let mut pos = 0;
            for (s, e, rw) in claims {
                out.push_str(&text[pos..s]);
                out.push_str(rw);
                pos = e;
            }
            out.push_str(&text[pos..]);
            ScalarValue::String(out)
        })
    },
)
.examples(&[Example {
    query: "let m = \"This is an example\";\nprint a = replace_strings(m, dynamic(['This', 'is']), dynamic(['This', 'was'])), b = replace_strings(m, dynamic(['is', 'This']), dynamic(['was', 'This'])), c = replace_strings(\"a cat and a dog\", dynamic(['cat', 'dog']), dynamic(['dog', 'pigeon']))",
    output: "a,b,c\nThis was an example,Thwas was an example,a dog and a pigeon",
}]);

static FORMAT_BYTES: FunctionDef = FunctionDef::new(
    "format_bytes",
    C,
    "format_bytes(size: long, [precision: long, [units: string]]): string",
    "A size in bytes as text with a unit (Bytes, KB, MB, GB, TB, PB; powers of 1024), rounded to precision decimals (0 by default); the unit is chosen unless given.",
    |a| sig("format_bytes", a, 1, &[P::Real, P::Long, P::StrS], Str),
    |ctx, args| {
        rows(ctx, args, |r| {
            const UNITS: [&str; 6] = ["Bytes", "KB", "MB", "GB", "TB", "PB"];
            let Some(v) = val::real(&r[0]) else {
                return Ok(ScalarValue::String(String::new()));
            };
            let prec = r.get(1).and_then(val::long).unwrap_or(0).clamp(0, 15) as usize;
            let unit = match r.get(2).map(val::str).filter(|u| !u.is_empty()) {
                Some(u) => UNITS
                    .iter()
                    .position(|x| x.eq_ignore_ascii_case(u))
                    .ok_or_else(|| format!("format_bytes(): unknown unit {u:?}; use one of {}", UNITS.join(", ")))?,
                None => {
                    let mut k = 0;
                    while k + 1 < UNITS.len() && v.abs() >= 1024f64.powi(k as i32 + 1) {
                        k += 1;
                    }
                    k
                }
            };
            let x = v / 1024f64.powi(unit as i32);
            Ok(ScalarValue::String(format!("{x:.prec$} {}", UNITS[unit])))
        })
    },
)
.examples(&[Example {
    query: "print v1 = format_bytes(564), v2 = format_bytes(10332, 1), v3 = format_bytes(20010332), v4 = format_bytes(20010332, 2), v5 = format_bytes(20010332, 0, \"KB\")",
    output: "v1,v2,v3,v4,v5\n564 Bytes,10.1 KB,19 MB,19.08 MB,19541 KB",
}]);

/// A version of up to four dot-separated parts of up to eight digits each,
/// as one comparable number: the parts are the base-10^8 digits, the first
/// the most significant, missing trailing parts 0.
fn parse_version(s: &str) -> Option<f64> {
    let s = s.trim();
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut v = 0f64;
    for i in 0..4 {
        let n = match parts.get(i) {
            Some(p) if !p.is_empty() && p.len() <= 8 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u32>().ok()?
            }
            Some(_) => return None,
            None => 0,
        };
        v = v * 1e8 + f64::from(n);
    }
    Some(v)
}

static PARSE_VERSION: FunctionDef = FunctionDef::new(
    "parse_version",
    C,
    "parse_version(version: string): decimal",
    "A version string of one to four dot-separated parts (each up to eight digits) as a comparable decimal: the parts are digits in base 10^8, missing trailing parts are 0. Null when the string is not such a version.",
    |a| sig("parse_version", a, 1, &[P::StrS], KqlType::Decimal),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            parse_version(val::str(&r[0]))
                .map_or(ScalarValue::Null(KqlType::Decimal), ScalarValue::Real)
        })
    },
)
.notes("Kusto's decimal has 28 significant digits; here a decimal is a 64-bit float, so versions that differ only beyond about 16 significant digits (for example 1.0.0.1 and 1.0.0.2) compare equal.")
.examples(&[Example {
    query: "datatable(v: string) [\"0.0.0.5\", \"0.0.7.0\", \"0.2\", \"1\", \"1.2.3.4.5\", \"1.x\", \"123456789\"]\n| extend parsed = parse_version(v), needs_update = parse_version(v) < parse_version(\"1.0.0.0\")",
    output: "v,parsed,needs_update\n0.0.0.5,5.0,true\n0.0.7.0,700000000.0,true\n0.2,2e+16,true\n1,1e+24,false\n1.2.3.4.5,,\n1.x,,\n123456789,,",
}]);
