//! Encoding and hashing: base64, URL encoding, digests, `hash`, GUIDs, and
//! parsers of URLs, paths and command lines into dynamic values.

use crate::kernel::{rows, rows_ok, str_to_str, strs, val};
use crate::typing::{arity, sig, P};
use crate::{Category, Example, FunctionDef, Typed};
use base64::Engine;
use kql_common::{KqlType, ScalarValue};
use serde_json::{Map, Value};

const C: Category = Category::Encoding;
use KqlType::{Dynamic, Long, String as Str};

pub static FUNCTIONS: &[&FunctionDef] = &[
    &BASE64_ENCODE_TOSTRING,
    &BASE64_DECODE_TOSTRING,
    &BASE64_DECODE_TOARRAY,
    &BASE64_ENCODE_FROMARRAY,
    &BASE64_ENCODE_FROMGUID,
    &BASE64_DECODE_TOGUID,
    &URL_ENCODE,
    &URL_ENCODE_COMPONENT,
    &URL_DECODE,
    &HASH_SHA256,
    &HASH_SHA1,
    &HASH_MD5,
    &HASH,
    &HASH_XXHASH64,
    &NEW_GUID,
    &PARSE_URL,
    &PARSE_URLQUERY,
    &PARSE_PATH,
    &PARSE_COMMAND_LINE,
    &UNICODE_CODEPOINTS_FROM_STRING,
    &UNICODE_CODEPOINTS_TO_STRING,
];

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn b64_decode(s: &str) -> Option<Vec<u8>> {
    B64.decode(s.trim()).ok()
}

static BASE64_ENCODE_TOSTRING: FunctionDef = FunctionDef::new(
    "base64_encode_tostring",
    C,
    "base64_encode_tostring(s: string): string",
    "The base64 encoding of the string's UTF-8 bytes.",
    |a| sig("base64_encode_tostring", a, 1, &[P::StrS], Str),
    |_, args| {
        Ok(str_to_str(strs(args, 0)?, |s, out| {
            out.push_str(&B64.encode(s))
        }))
    },
)
.examples(&[Example {
    query: "print base64_encode_tostring(\"Kusto\")",
    output: "print_0\nS3VzdG8=",
}]);

static BASE64_DECODE_TOSTRING: FunctionDef = FunctionDef::new(
    "base64_decode_tostring",
    C,
    "base64_decode_tostring(s: string): string",
    "Decodes base64 into UTF-8 text; \"\" when the input is not base64 or the bytes are not UTF-8.",
    |a| sig("base64_decode_tostring", a, 1, &[P::StrS], Str),
    |_, args| {
        Ok(str_to_str(strs(args, 0)?, |s, out| {
            if let Some(t) = b64_decode(s).and_then(|b| String::from_utf8(b).ok()) {
                out.push_str(&t);
            }
        }))
    },
)
.examples(&[Example {
    query: "print a = base64_decode_tostring(\"S3VzdG8=\"), b = base64_decode_tostring(\"U3RyaW5n0KHR0tGA0L7Rh9C60LA=\")",
    output: "a,b\nKusto,",
}]);

static BASE64_DECODE_TOARRAY: FunctionDef = FunctionDef::new(
    "base64_decode_toarray",
    C,
    "base64_decode_toarray(s: string): dynamic",
    "Decodes base64 into an array of byte values; null when the input is not base64.",
    |a| sig("base64_decode_toarray", a, 1, &[P::StrS], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| match b64_decode(val::str(&r[0])) {
            Some(b) => ScalarValue::Dynamic(Value::Array(b.into_iter().map(Value::from).collect())),
            None => ScalarValue::Null(Dynamic),
        })
    },
)
.examples(&[Example {
    query: "print base64_decode_toarray(\"S3VzdG8=\")",
    output: "print_0\n\"[75,117,115,116,111]\"",
}]);

static BASE64_ENCODE_FROMARRAY: FunctionDef = FunctionDef::new(
    "base64_encode_fromarray",
    C,
    "base64_encode_fromarray(bytes: dynamic): string",
    "The base64 encoding of an array of byte values; \"\" when it is not such an array.",
    |a| sig("base64_encode_fromarray", a, 1, &[P::Dyn], Str),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let bytes: Option<Vec<u8>> = match val::json(&r[0]) {
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| v.as_u64().and_then(|x| u8::try_from(x).ok()))
                    .collect(),
                _ => None,
            };
            ScalarValue::String(bytes.map(|b| B64.encode(b)).unwrap_or_default())
        })
    },
)
.examples(&[Example {
    query: "print base64_encode_fromarray(dynamic([75, 117, 115, 116, 111]))",
    output: "print_0\nS3VzdG8=",
}]);

/// A GUID's 16 bytes in .NET order (the first three groups little-endian).
fn guid_bytes(g: &str) -> Option<Vec<u8>> {
    let hex: String = g.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    let b: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    let mut out = b.clone();
    out[0..4].copy_from_slice(&[b[3], b[2], b[1], b[0]]);
    out[4..6].copy_from_slice(&[b[5], b[4]]);
    out[6..8].copy_from_slice(&[b[7], b[6]]);
    Some(out)
}

fn guid_from_bytes(b: &[u8]) -> Option<String> {
    if b.len() != 16 {
        return None;
    }
    let o = [b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]];
    let mut all = o.to_vec();
    all.extend_from_slice(&b[8..]);
    let h: String = all.iter().map(|x| format!("{x:02x}")).collect();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

static BASE64_ENCODE_FROMGUID: FunctionDef = FunctionDef::new(
    "base64_encode_fromguid",
    C,
    "base64_encode_fromguid(g: guid): string",
    "The base64 encoding of a GUID's 16 bytes (in .NET byte order).",
    |a| sig("base64_encode_fromguid", a, 1, &[P::Str], Str),
    |_, args| {
        Ok(str_to_str(strs(args, 0)?, |s, out| {
            if let Some(b) = guid_bytes(s) {
                out.push_str(&B64.encode(b));
            }
        }))
    },
)
.examples(&[Example {
    query: "print base64_encode_fromguid(toguid(\"ae3133f2-6e22-49ae-b06a-16e6a9b212eb\"))",
    output: "print_0\n8jMxriJurkmwahbmqbIS6w==",
}]);

static BASE64_DECODE_TOGUID: FunctionDef = FunctionDef::new(
    "base64_decode_toguid",
    C,
    "base64_decode_toguid(s: string): guid",
    "Decodes base64 of 16 bytes into a GUID; null otherwise.",
    |a| sig("base64_decode_toguid", a, 1, &[P::StrS], KqlType::Guid),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            b64_decode(val::str(&r[0]))
                .and_then(|b| guid_from_bytes(&b))
                .map_or(ScalarValue::Null(KqlType::Guid), ScalarValue::Guid)
        })
    },
)
.examples(&[Example { query: "print base64_decode_toguid(base64_encode_fromguid(guid(ae3133f2-6e22-49ae-b06a-16e6a9b212eb)))", output: "print_0\nae3133f2-6e22-49ae-b06a-16e6a9b212eb" }]);

/// Percent-encodes everything but ASCII letters, digits and `-_.!*()`, with
/// lower-case hex; `space` is the given text.
fn url_enc(s: &str, space: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'*'
            | b'('
            | b')' => out.push(b as char),
            b' ' => out.push_str(space),
            _ => out.push_str(&format!("%{b:02x}")),
        }
    }
}

static URL_ENCODE: FunctionDef = FunctionDef::new(
    "url_encode",
    C,
    "url_encode(url: string): string",
    "Percent-encodes reserved characters (lower-case hex), spaces as `+`.",
    |a| sig("url_encode", a, 1, &[P::StrS], Str),
    |_, args| Ok(str_to_str(strs(args, 0)?, |s, out| url_enc(s, "+", out))),
)
.examples(&[Example {
    query: "print url_encode('https://www.bing.com/hello world')",
    output: "print_0\nhttps%3a%2f%2fwww.bing.com%2fhello+world",
}]);

static URL_ENCODE_COMPONENT: FunctionDef = FunctionDef::new(
    "url_encode_component",
    C,
    "url_encode_component(url: string): string",
    "Percent-encodes reserved characters (lower-case hex), spaces as `%20`.",
    |a| sig("url_encode_component", a, 1, &[P::StrS], Str),
    |_, args| Ok(str_to_str(strs(args, 0)?, |s, out| url_enc(s, "%20", out))),
)
.examples(&[Example {
    query: "print url_encode_component('https://www.bing.com/hello world/')",
    output: "print_0\nhttps%3a%2f%2fwww.bing.com%2fhello%20world%2f",
}]);

static URL_DECODE: FunctionDef = FunctionDef::new(
    "url_decode",
    C,
    "url_decode(encoded: string): string",
    "Decodes percent-encoding and `+` as a space.",
    |a| sig("url_decode", a, 1, &[P::StrS], Str),
    |_, args| {
        Ok(str_to_str(strs(args, 0)?, |s, out| {
            let plus = s.replace('+', " ");
            out.push_str(&percent_encoding::percent_decode_str(&plus).decode_utf8_lossy());
        }))
    },
)
.examples(&[Example {
    query: "print url_decode('https%3a%2f%2fwww.bing.com%2fhello+world')",
    output: "print_0\nhttps://www.bing.com/hello world",
}]);

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

macro_rules! digest {
    ($id:ident, $name:literal, $hasher:ty, $doc:literal, $ex:expr) => {
        static $id: FunctionDef = FunctionDef::new(
            $name,
            C,
            concat!($name, "(source): string"),
            $doc,
            |a| sig($name, a, 1, &[P::Str], Str),
            |_, args| {
                use sha2::Digest;
                Ok(str_to_str(strs(args, 0)?, |s, out| {
                    out.push_str(&hex(&<$hasher>::digest(s.as_bytes())))
                }))
            },
        )
        .examples($ex);
    };
}

digest!(HASH_SHA256, "hash_sha256", sha2::Sha256, "SHA-256 of the value's string form, as lower-case hex.",
    &[Example { query: "print h1 = hash_sha256(\"World\"), h2 = hash_sha256(datetime(2020-01-01))", output: "h1,h2\n78ae647dc5544d227130a0682a51e30bc7777fbb6d8a8f17007463a3ecd1d524,ba666752dc1a20eb750b0eb64e780cc4c968bc9fb8813461c1d7e750f302d71d" }]);
digest!(
    HASH_SHA1,
    "hash_sha1",
    sha1::Sha1,
    "SHA-1 of the value's string form, as lower-case hex.",
    &[Example {
        query: "print hash_sha1(\"World\")",
        output: "print_0\n70c07ec18ef89c5309bbb0937f3a6342411e1fdd"
    }]
);
digest!(
    HASH_MD5,
    "hash_md5",
    md5::Md5,
    "MD5 of the value's string form, as lower-case hex.",
    &[Example {
        query: "print h1 = hash_md5(\"World\"), h2 = hash_md5(datetime(2020-01-01))",
        output: "h1,h2\nf5a7924e621e84c9280a9a27e1bcb7f6,786c530672d1f8db31fee25ea8a9390b"
    }]
);

/// xxHash64 (seed 0) of a value: strings over their UTF-8 bytes, numbers and
/// datetimes over their 8 little-endian bytes.
fn xxhash(v: &ScalarValue) -> Option<u64> {
    use xxhash_rust::xxh64::xxh64;
    Some(match v {
        ScalarValue::Null(_) => return None,
        ScalarValue::String(s) | ScalarValue::Guid(s) => xxh64(s.as_bytes(), 0),
        ScalarValue::Long(x) | ScalarValue::TimeSpan(x) => xxh64(&x.to_le_bytes(), 0),
        // Kusto hashes .NET ticks (from 0001-01-01).
        ScalarValue::DateTime(x) => xxh64(&(x + 621_355_968_000_000_000).to_le_bytes(), 0),
        ScalarValue::Int(x) => xxh64(&i64::from(*x).to_le_bytes(), 0),
        ScalarValue::Real(r) => xxh64(&r.to_le_bytes(), 0),
        ScalarValue::Bool(b) => xxh64(&[u8::from(*b)], 0),
        ScalarValue::Dynamic(d) => xxh64(d.to_string().as_bytes(), 0),
    })
}

fn hash_typing(name: &str, a: &[crate::ArgInfo]) -> Result<Typed, String> {
    arity(name, a, 1, 2)?;
    let mut t = crate::typing::params(name, a, 1, &[P::Any, P::Long], false)?;
    t.truncate(a.len());
    Ok(Typed { ret: Long, args: t })
}

fn hash_kernel(ctx: &crate::Ctx, args: &[crate::Arg]) -> Result<arrow::array::ArrayRef, String> {
    rows(ctx, args, |r| {
        let Some(h) = xxhash(&r[0]) else {
            return Ok(ScalarValue::Null(Long));
        };
        let h = h as i64;
        Ok(match r.get(1) {
            None => ScalarValue::Long(h),
            Some(m) => match val::long(m) {
                Some(m) if m > 0 => ScalarValue::Long((h as u64 % m as u64) as i64),
                _ => {
                    return Err(format!(
                        "{}(): the modulo must be a positive number",
                        "hash"
                    ))
                }
            },
        })
    })
}

static HASH: FunctionDef = FunctionDef::new(
    "hash",
    C,
    "hash(source, [mod: long]): long",
    "xxHash64 of the value, optionally modulo mod.",
    |a| hash_typing("hash", a),
    hash_kernel,
)
.examples(&[Example {
    query:
        "print a = hash(\"World\"), b = hash(\"World\", 100), c = hash(datetime(\"2015-01-01\"))",
    output: "a,b,c\n1846988464401551951,51,1380966698541616202",
}]);

static HASH_XXHASH64: FunctionDef = FunctionDef::new(
    "hash_xxhash64",
    C,
    "hash_xxhash64(source, [mod: long]): long",
    "Same as hash.",
    |a| hash_typing("hash_xxhash64", a),
    hash_kernel,
)
.examples(&[Example {
    query: "print hash_xxhash64(\"World\")",
    output: "print_0\n1846988464401551951",
}]);

static NEW_GUID: FunctionDef = FunctionDef::new(
    "new_guid",
    C,
    "new_guid(): guid",
    "A random (version 4) GUID.",
    |a| sig("new_guid", a, 0, &[], KqlType::Guid),
    |ctx, _| {
        let mut state = crate::math::seed();
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let mut b = arrow::array::StringBuilder::with_capacity(ctx.len, ctx.len * 36);
        for _ in 0..ctx.len {
            let (hi, lo) = (next(), next());
            let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x4000;
            let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
            let h = format!("{hi:016x}{lo:016x}");
            b.append_value(format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            ));
        }
        Ok(std::sync::Arc::new(b.finish()))
    },
)
.volatile()
.notes("Not reproducible: each call gives a new value.");

fn query_params(q: &str) -> Map<String, Value> {
    let mut m = Map::new();
    for part in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let dec = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        m.insert(dec(k), Value::String(dec(v)));
    }
    m
}

fn parse_url_bag(u: &str) -> Option<Value> {
    let (scheme, rest) = u.split_once("://")?;
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (auth, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match auth.rsplit_once('@') {
        Some((u, h)) => (u, h),
        None => ("", auth),
    };
    let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (host, port) = if hostport.starts_with('[') {
        match hostport.find(']') {
            Some(i) => (&hostport[..=i], hostport[i + 1..].trim_start_matches(':')),
            None => (hostport, ""),
        }
    } else {
        hostport.split_once(':').unwrap_or((hostport, ""))
    };
    let mut m = Map::new();
    m.insert("Scheme".into(), Value::String(scheme.into()));
    m.insert("Host".into(), Value::String(host.into()));
    m.insert("Port".into(), Value::String(port.into()));
    m.insert("Path".into(), Value::String(path.into()));
    m.insert("Username".into(), Value::String(user.into()));
    m.insert("Password".into(), Value::String(pass.into()));
    m.insert(
        "Query Parameters".into(),
        Value::Object(query_params(query)),
    );
    m.insert("Fragment".into(), Value::String(fragment.into()));
    Some(Value::Object(m))
}

static PARSE_URL: FunctionDef = FunctionDef::new(
    "parse_url",
    C,
    "parse_url(url: string): dynamic",
    "The parts of an absolute URL: Scheme, Host, Port, Path, Username, Password, Query Parameters (a bag) and Fragment; an empty bag when it is not one.",
    |a| sig("parse_url", a, 1, &[P::StrS], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            ScalarValue::Dynamic(parse_url_bag(val::str(&r[0])).unwrap_or(Value::Object(Map::new())))
        })
    },
)
.examples(&[Example {
    query: "print u = parse_url(\"scheme://username:password@host:1234/this/is/a/path?k1=v1&k2=v2#fragment\") | project host = tostring(u.Host), port = tostring(u.Port), path = tostring(u.Path), k2 = tostring(u[\"Query Parameters\"].k2), frag = tostring(u.Fragment)",
    output: "host,port,path,k2,frag\nhost,1234,/this/is/a/path,v2,fragment",
}]);

static PARSE_URLQUERY: FunctionDef = FunctionDef::new(
    "parse_urlquery",
    C,
    "parse_urlquery(query: string): dynamic",
    "The parameters of a URL query string, as {\"Query Parameters\": {...}}.",
    |a| sig("parse_urlquery", a, 1, &[P::StrS], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let q = val::str(&r[0]);
            let q = q.split_once('?').map_or(q, |(_, x)| x);
            ScalarValue::Dynamic(serde_json::json!({ "Query Parameters": Value::Object(query_params(q)) }))
        })
    },
)
.examples(&[Example {
    query: "print parse_urlquery(\"k1=v1&k2=v2&k3=v3\")",
    output: "print_0\n\"{\"\"Query Parameters\"\":{\"\"k1\"\":\"\"v1\"\",\"\"k2\"\":\"\"v2\"\",\"\"k3\"\":\"\"v3\"\"}}\"",
}]);

fn parse_path_bag(p: &str) -> Value {
    let mut s = p;
    let mut scheme = "";
    if let Some((a, b)) = p.split_once("://") {
        if a.chars().all(|c| c.is_ascii_alphanumeric()) && !a.is_empty() {
            scheme = a;
            s = b;
        }
    }
    let is_sep = |c: char| c == '\\' || c == '/';
    let root = if s.len() >= 2 && s.as_bytes()[1] == b':' && s.as_bytes()[0].is_ascii_alphabetic() {
        &s[..2]
    } else {
        ""
    };
    let (dir, file) = match s.rfind(is_sep) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => ("", s),
    };
    // An alternate data stream follows a colon in the file name.
    let (file, ads) = match file.find(':') {
        Some(i) => (&file[..i], &file[i + 1..]),
        None => (file, ""),
    };
    let dir_name = dir.rsplit(is_sep).next().unwrap_or("");
    let ext = file.rsplit_once('.').map_or("", |(_, e)| e);
    serde_json::json!({
        "Scheme": scheme,
        "RootPath": root,
        "DirectoryPath": dir,
        "DirectoryName": dir_name,
        "Filename": file,
        "Extension": ext,
        "AlternateDataStreamName": ads,
    })
}

static PARSE_PATH: FunctionDef = FunctionDef::new(
    "parse_path",
    C,
    "parse_path(path: string): dynamic",
    "The parts of a file path: Scheme, RootPath, DirectoryPath, DirectoryName, Filename, Extension, AlternateDataStreamName.",
    |a| sig("parse_path", a, 1, &[P::StrS], Dynamic),
    |ctx, args| rows_ok(ctx, args, |r| ScalarValue::Dynamic(parse_path_bag(val::str(&r[0])))),
)
.examples(&[Example {
    query: "print p = parse_path(@\"C:\\temp\\file.txt\") | project dir = tostring(p.DirectoryPath), name = tostring(p.DirectoryName), file = tostring(p.Filename), ext = tostring(p.Extension), root = tostring(p.RootPath)",
    output: "dir,name,file,ext,root\nC:\\temp,temp,file.txt,txt,C:",
}]);

/// Splits a Windows command line the way `CommandLineToArgvW` does.
pub fn windows_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let n = chars.len();
    loop {
        while i < n && (chars[i] == ' ' || chars[i] == '\t') {
            i += 1;
        }
        if i >= n {
            break;
        }
        let mut cur = String::new();
        let mut quoted = false;
        while i < n {
            let c = chars[i];
            if (c == ' ' || c == '\t') && !quoted {
                break;
            }
            if c == '\\' {
                let mut k = 0;
                while i < n && chars[i] == '\\' {
                    k += 1;
                    i += 1;
                }
                if i < n && chars[i] == '"' {
                    cur.extend(std::iter::repeat_n('\\', k / 2));
                    if k % 2 == 1 {
                        cur.push('"');
                        i += 1;
                    }
                } else {
                    cur.extend(std::iter::repeat_n('\\', k));
                }
                continue;
            }
            if c == '"' {
                if quoted && i + 1 < n && chars[i + 1] == '"' {
                    cur.push('"');
                    i += 2;
                    continue;
                }
                quoted = !quoted;
                i += 1;
                continue;
            }
            cur.push(c);
            i += 1;
        }
        out.push(cur);
    }
    out
}

static PARSE_COMMAND_LINE: FunctionDef = FunctionDef::new(
    "parse_command_line",
    C,
    "parse_command_line(command_line: string, parser: string): dynamic",
    "The arguments of a command line as a dynamic array; the parser must be \"windows\" (CommandLineToArgvW rules).",
    |a| {
        if let Some(ScalarValue::String(p)) = crate::constant(a, 1) {
            if !p.eq_ignore_ascii_case("windows") {
                return Err(format!("parse_command_line(): unknown parser {p:?}; the only parser is \"windows\""));
            }
        }
        sig("parse_command_line", a, 2, &[P::Str, P::StrS], Dynamic)
    },
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            ScalarValue::Dynamic(Value::Array(
                windows_args(val::str(&r[0])).into_iter().map(Value::String).collect(),
            ))
        })
    },
)
.examples(&[Example {
    query: "print parse_command_line(@'echo \"hello world!\" print$ \"a\\\"b\" c\\\\d', \"windows\")",
    output: "print_0\n\"[\"\"echo\"\",\"\"hello world!\"\",\"\"print$\"\",\"\"a\\\"\"b\"\",\"\"c\\\\\\\\d\"\"]\"",
}]);

static UNICODE_CODEPOINTS_FROM_STRING: FunctionDef = FunctionDef::new(
    "unicode_codepoints_from_string",
    C,
    "unicode_codepoints_from_string(s: string): dynamic",
    "The Unicode code points of the string's characters.",
    |a| sig("unicode_codepoints_from_string", a, 1, &[P::Str], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            ScalarValue::Dynamic(Value::Array(
                val::str(&r[0])
                    .chars()
                    .map(|c| Value::from(c as u32))
                    .collect(),
            ))
        })
    },
)
.examples(&[Example {
    query: "print unicode_codepoints_from_string(\"⒦⒰⒮⒯⒪\")",
    output: "print_0\n\"[9382,9392,9390,9391,9386]\"",
}]);

static UNICODE_CODEPOINTS_TO_STRING: FunctionDef = FunctionDef::new(
    "unicode_codepoints_to_string",
    C,
    "unicode_codepoints_to_string(codepoints...): string",
    "The string made of the given code points (numbers or arrays of numbers).",
    |a| {
        arity("unicode_codepoints_to_string", a, 1, 64)?;
        Ok(Typed { ret: Str, args: a.iter().map(|x| if x.ty == Dynamic { Dynamic } else { Long }).collect() })
    },
    |ctx, args| {
        rows(ctx, args, |r| {
            let mut out = String::new();
            for v in r {
                let cps: Vec<i64> = match v {
                    ScalarValue::Dynamic(Value::Array(a)) => a.iter().map(|x| x.as_i64().unwrap_or(-1)).collect(),
                    other => val::long(other).into_iter().collect(),
                };
                for cp in cps {
                    out.push(u32::try_from(cp).ok().and_then(char::from_u32).ok_or_else(|| {
                        format!("unicode_codepoints_to_string(): {cp} is not a valid code point")
                    })?);
                }
            }
            Ok(ScalarValue::String(out))
        })
    },
)
.examples(&[Example { query: "print a = unicode_codepoints_to_string(75, 117, 115, 116, 111), b = unicode_codepoints_to_string(dynamic([75, 117]), 115)", output: "a,b\nKusto,Kus" }]);
