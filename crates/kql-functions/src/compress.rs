//! Compression and punycode: gzip and zlib to and from base64 text, and
//! punycode (RFC 3492) for single labels and whole domain names.

use crate::kernel::{str_to_str, strs};
use crate::typing::{sig, P};
use crate::{Category, Example, FunctionDef};
use base64::Engine;
use kql_common::KqlType;
use std::io::{Read, Write};

const C: Category = Category::Encoding;
use KqlType::String as Str;

pub static FUNCTIONS: &[&FunctionDef] = &[
    &GZIP_COMPRESS,
    &GZIP_DECOMPRESS,
    &ZLIB_COMPRESS,
    &ZLIB_DECOMPRESS,
    &PUNYCODE_FROM_STRING,
    &PUNYCODE_TO_STRING,
    &PUNYCODE_DOMAIN_FROM_STRING,
    &PUNYCODE_DOMAIN_TO_STRING,
];

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Raw deflate of `data` at the fastest level; a single stored block when
/// compressing does not make the data smaller (as Kusto's output shows for
/// short inputs).
fn deflate(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    let packed = enc.write_all(data).and_then(|_| enc.finish()).ok();
    match packed {
        Some(p) if p.len() < data.len() => p,
        _ => stored(data),
    }
}

/// `data` as stored deflate blocks (at most 65535 bytes each).
fn stored(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 5 * (data.len() / 65535 + 1));
    let mut chunks = data.chunks(65535).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(c) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let n = c.len() as u16;
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&(!n).to_le_bytes());
        out.extend_from_slice(c);
    }
    out
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

/// The gzip member of `data`: a header with no name and no time, the
/// deflate stream, the CRC-32 and the length.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend(deflate(data));
    let mut crc = flate2::Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// The zlib stream of `data` (fastest-level header, deflate, Adler-32).
pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    out.extend(deflate(data));
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn decompress_b64(s: &str, gzip: bool) -> Option<String> {
    let bytes = B64.decode(s.trim()).ok()?;
    let mut text = Vec::new();
    if gzip {
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut text)
            .ok()?;
    } else {
        flate2::read::ZlibDecoder::new(bytes.as_slice())
            .read_to_end(&mut text)
            .ok()?;
    }
    String::from_utf8(text).ok()
}

static GZIP_COMPRESS: FunctionDef = FunctionDef::new(
    "gzip_compress_to_base64_string",
    C,
    "gzip_compress_to_base64_string(s: string): string",
    "The gzip compression of the string's UTF-8 bytes, encoded as base64.",
    |a| sig("gzip_compress_to_base64_string", a, 1, &[P::StrS], Str),
    |_, args| {
        Ok(str_to_str(strs(args, 0)?, |s, out| {
            out.push_str(&B64.encode(gzip(s.as_bytes())))
        }))
    },
)
.notes("Short inputs that do not shrink are stored uncompressed, as Kusto does; longer inputs may compress to different (equally valid) bytes than Kusto's.")
.examples(&[Example {
    query: "print res = gzip_compress_to_base64_string(\"1234567890qwertyuiop\")",
    output: "res\nH4sIAAAAAAAA/wEUAOv/MTIzNDU2Nzg5MHF3ZXJ0eXVpb3A6m7f2FAAAAA==",
}]);

static GZIP_DECOMPRESS: FunctionDef = FunctionDef::new(
    "gzip_decompress_from_base64_string",
    C,
    "gzip_decompress_from_base64_string(s: string): string",
    "Decodes base64 and decompresses the gzip data into UTF-8 text; \"\" when the input is not base64 of gzip data or the text is not UTF-8.",
    |a| sig("gzip_decompress_from_base64_string", a, 1, &[P::StrS], Str),
    |_, args| {
        Ok(str_to_str(strs(args, 0)?, |s, out| {
            if let Some(t) = decompress_b64(s, true) {
                out.push_str(&t);
            }
        }))
    },
)
.examples(&[Example {
    query: "print a = gzip_decompress_from_base64_string(\"H4sIAAAAAAAA/wEUAOv/MTIzNDU2Nzg5MHF3ZXJ0eXVpb3A6m7f2FAAAAA==\"), b = gzip_decompress_from_base64_string(\"x0x0x0\"), c = gzip_decompress_from_base64_string(gzip_compress_to_base64_string(strrep(\"abc\", 10)))",
    output: "a,b,c\n1234567890qwertyuiop,,abcabcabcabcabcabcabcabcabcabc",
}]);

static ZLIB_COMPRESS: FunctionDef = FunctionDef::new(
    "zlib_compress_to_base64_string",
    C,
    "zlib_compress_to_base64_string(s: string): string",
    "The zlib compression of the string's UTF-8 bytes, encoded as base64.",
    |a| sig("zlib_compress_to_base64_string", a, 1, &[P::StrS], Str),
    |_, args| {
        Ok(str_to_str(strs(args, 0)?, |s, out| {
            out.push_str(&B64.encode(zlib(s.as_bytes())))
        }))
    },
)
.notes("Short inputs that do not shrink are stored uncompressed, as Kusto does; longer inputs may compress to different (equally valid) bytes than Kusto's.")
.examples(&[Example {
    query: "print zcomp = zlib_compress_to_base64_string(\"1234567890qwertyuiop\")",
    output: "zcomp\neAEBFADr/zEyMzQ1Njc4OTBxd2VydHl1aW9wOAkGdw==",
}]);

static ZLIB_DECOMPRESS: FunctionDef = FunctionDef::new(
    "zlib_decompress_from_base64_string",
    C,
    "zlib_decompress_from_base64_string(s: string): string",
    "Decodes base64 and decompresses the zlib data into UTF-8 text; \"\" when the input is not base64 of zlib data or the text is not UTF-8.",
    |a| sig("zlib_decompress_from_base64_string", a, 1, &[P::StrS], Str),
    |_, args| {
        Ok(str_to_str(strs(args, 0)?, |s, out| {
            if let Some(t) = decompress_b64(s, false) {
                out.push_str(&t);
            }
        }))
    },
)
.examples(&[Example {
    query: "print a = zlib_decompress_from_base64_string(\"eJwLSS0uUSguKcrMS1cwNDIGACxqBQ4=\"), b = zlib_decompress_from_base64_string(\"x0x0x0\")",
    output: "a,b\nTest string 123,",
}]);

// Punycode parameters (RFC 3492, section 5).
const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

fn adapt(mut delta: u32, points: u32, first: bool) -> u32 {
    delta /= if first { DAMP } else { 2 };
    delta += delta / points;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
}

fn digit_char(d: u32) -> char {
    // 0..25 are a..z, 26..35 are 0..9.
    match d {
        0..=25 => char::from(b'a' + d as u8),
        _ => char::from(b'0' + (d - 26) as u8),
    }
}

fn char_digit(c: u8) -> Option<u32> {
    match c {
        b'a'..=b'z' => Some(u32::from(c - b'a')),
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 26),
        _ => None,
    }
}

/// The punycode encoding of `input` (without the `xn--` prefix).
pub fn punycode_encode(input: &str) -> Option<String> {
    let cps: Vec<u32> = input.chars().map(u32::from).collect();
    let mut out: String = input.chars().filter(char::is_ascii).collect();
    let basic = out.chars().count() as u32;
    let mut h = basic;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    let total = cps.len() as u32;
    while h < total {
        let m = cps.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(h + 1)?)?;
        n = m;
        for &c in &cps {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit_char(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit_char(q));
                bias = adapt(delta, h + 1, h == basic);
                delta = 0;
                h += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    Some(out)
}

/// Decodes punycode (without the `xn--` prefix); `None` when it is not valid.
pub fn punycode_decode(input: &str) -> Option<String> {
    if !input.is_ascii() {
        return None;
    }
    let (basic, rest) = match input.rfind('-') {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => ("", input),
    };
    let mut out: Vec<char> = basic.chars().collect();
    let (mut n, mut i, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    let bytes = rest.as_bytes();
    let mut pos = 0;
    while pos < bytes.len() {
        let old_i = i;
        let mut w = 1u32;
        let mut k = BASE;
        loop {
            let d = char_digit(*bytes.get(pos)?)?;
            pos += 1;
            i = i.checked_add(d.checked_mul(w)?)?;
            let t = if k <= bias {
                T_MIN
            } else if k >= bias + T_MAX {
                T_MAX
            } else {
                k - bias
            };
            if d < t {
                break;
            }
            w = w.checked_mul(BASE - t)?;
            k += BASE;
        }
        let len = out.len() as u32 + 1;
        bias = adapt(i - old_i, len, old_i == 0);
        n = n.checked_add(i / len)?;
        i %= len;
        out.insert(i as usize, char::from_u32(n)?);
        i += 1;
    }
    Some(out.into_iter().collect())
}

/// Splits a domain name on `.` and the ideographic and full-width dots.
fn labels(domain: &str) -> impl Iterator<Item = &str> {
    domain.split(['.', '\u{3002}', '\u{FF0E}', '\u{FF61}'])
}

fn domain_to_punycode(domain: &str) -> Option<String> {
    let mut out = Vec::new();
    for l in labels(domain) {
        if l.is_ascii() {
            out.push(l.to_string());
        } else {
            out.push(format!("xn--{}", punycode_encode(l)?));
        }
    }
    Some(out.join("."))
}

fn domain_from_punycode(domain: &str) -> Option<String> {
    let mut out = Vec::new();
    for l in labels(domain) {
        match l.get(..4) {
            Some(p) if p.eq_ignore_ascii_case("xn--") => out.push(punycode_decode(&l[4..])?),
            _ => out.push(l.to_string()),
        }
    }
    Some(out.join("."))
}

static PUNYCODE_FROM_STRING: FunctionDef = FunctionDef::new(
    "punycode_from_string",
    C,
    "punycode_from_string(s: string): string",
    "The punycode encoding of the string (without the `xn--` prefix); \"\" when it cannot be encoded.",
    |a| sig("punycode_from_string", a, 1, &[P::StrS], Str),
    |_, args| {
        Ok(str_to_str(strs(args, 0)?, |s, out| {
            if let Some(t) = punycode_encode(s) {
                out.push_str(&t);
            }
        }))
    },
)
.examples(&[Example {
    query: "print a = punycode_from_string('académie-française'), b = punycode_from_string('艺术'), c = punycode_from_string('abc')",
    output: "a,b,c\nacadmie-franaise-npb1a,cqv902d,abc-",
}]);

static PUNYCODE_TO_STRING: FunctionDef = FunctionDef::new(
    "punycode_to_string",
    C,
    "punycode_to_string(s: string): string",
    "Decodes punycode (without the `xn--` prefix); \"\" when the input is not valid punycode.",
    |a| sig("punycode_to_string", a, 1, &[P::StrS], Str),
    |_, args| {
        Ok(str_to_str(strs(args, 0)?, |s, out| {
            if let Some(t) = punycode_decode(s) {
                out.push_str(&t);
            }
        }))
    },
)
.examples(&[Example {
    query: "print a = punycode_to_string('acadmie-franaise-npb1a'), b = punycode_to_string('cqv902d'), c = punycode_to_string('ü')",
    output: "a,b,c\nacadémie-française,艺术,",
}]);

static PUNYCODE_DOMAIN_FROM_STRING: FunctionDef = FunctionDef::new(
    "punycode_domain_from_string",
    C,
    "punycode_domain_from_string(domain: string): string",
    "Decodes every `xn--` label of a domain name from punycode; \"\" when a label is not valid punycode.",
    |a| sig("punycode_domain_from_string", a, 1, &[P::StrS], Str),
    |_, args| {
        Ok(str_to_str(strs(args, 0)?, |s, out| {
            if let Some(t) = domain_from_punycode(s) {
                out.push_str(&t);
            }
        }))
    },
)
.examples(&[Example {
    query: "datatable(encoded: string) [\"xn--Ge-mia.Bulg.edu\", \"xn--Lin-8na.Celtchair.org\", \"xn--Ry-lja8c.xn--Jng-uta63a.xn--Bng-9ka.com\"]\n| extend domain = punycode_domain_from_string(encoded)",
    output: "encoded,domain\nxn--Ge-mia.Bulg.edu,Gáe.Bulg.edu\nxn--Lin-8na.Celtchair.org,Lúin.Celtchair.org\nxn--Ry-lja8c.xn--Jng-uta63a.xn--Bng-9ka.com,Rúyì.Jīngū.Bàng.com",
}]);

static PUNYCODE_DOMAIN_TO_STRING: FunctionDef = FunctionDef::new(
    "punycode_domain_to_string",
    C,
    "punycode_domain_to_string(domain: string): string",
    "Encodes every label of a domain name that is not plain ASCII as `xn--` and its punycode; the ideographic and full-width dots separate labels too.",
    |a| sig("punycode_domain_to_string", a, 1, &[P::StrS], Str),
    |_, args| {
        Ok(str_to_str(strs(args, 0)?, |s, out| {
            if let Some(t) = domain_to_punycode(s) {
                out.push_str(&t);
            }
        }))
    },
)
.examples(&[Example {
    query: "datatable(domain: string) ['Lê Lợi。Thuận Thiên。com', 'Riðill｡Skáldskaparmál｡org', \"Kaledvoulc'h.Artorījos.edu\"]\n| extend str = punycode_domain_to_string(domain)",
    output: "domain,str\nLê Lợi。Thuận Thiên。com,xn--L Li-gpa4517b.xn--Thun Thin-s4a7194f.com\nRiðill｡Skáldskaparmál｡org,xn--Riill-jta.xn--Skldskaparml-dbbj.org\nKaledvoulc'h.Artorījos.edu,Kaledvoulc'h.xn--Artorjos-ejb.edu",
}]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punycode_round_trips_rfc_samples() {
        // RFC 3492 section 7.1 (A) Arabic (Egyptian) and (L) Japanese.
        let arabic = "\u{0644}\u{064A}\u{0647}\u{0645}\u{0627}\u{0628}\u{062A}\u{0643}\u{0644}\u{0645}\u{0648}\u{0634}\u{0639}\u{0631}\u{0628}\u{064A}\u{061F}";
        assert_eq!(
            punycode_encode(arabic).as_deref(),
            Some("egbpdaj6bu4bxfgehfvwxn")
        );
        assert_eq!(
            punycode_decode("egbpdaj6bu4bxfgehfvwxn").as_deref(),
            Some(arabic)
        );
        assert_eq!(
            punycode_encode("3年B組金八先生").as_deref(),
            Some("3B-ww4c5e180e575a65lsy2b")
        );
        assert_eq!(punycode_decode("").as_deref(), Some(""));
        assert_eq!(punycode_decode("a-!"), None);
        assert_eq!(punycode_decode("99999999999"), None);
    }

    #[test]
    fn compressed_output_decompresses() {
        let long = "abc".repeat(1000);
        let g = B64.encode(gzip(long.as_bytes()));
        assert!(g.len() < long.len());
        assert_eq!(decompress_b64(&g, true).as_deref(), Some(long.as_str()));
        let z = B64.encode(zlib(long.as_bytes()));
        assert_eq!(decompress_b64(&z, false).as_deref(), Some(long.as_str()));
        assert_eq!(
            decompress_b64(&B64.encode(gzip(b"")), true).as_deref(),
            Some("")
        );
        assert_eq!(decompress_b64(&z, true), None);
    }
}
