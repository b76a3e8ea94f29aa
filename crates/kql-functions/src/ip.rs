//! IP address functions: IPv4 and IPv6 text with optional `/prefix`,
//! ranges, masks, comparisons, and finding addresses in text. Addresses are
//! parsed with the standard library; an IPv4 address used where IPv6 is
//! expected is the mapped address `::ffff:a.b.c.d` (prefix + 96).

use crate::kernel::{rows_ok, val};
use crate::typing::{arity, sig, P};
use crate::{ArgInfo, Category, Example, FunctionDef, Typed};
use kql_common::{KqlType, ScalarValue};
use serde_json::Value;
use std::net::{Ipv4Addr, Ipv6Addr};

const C: Category = Category::Ip;
use KqlType::{Bool, Dynamic, Long, String as Str};

pub static FUNCTIONS: &[&FunctionDef] = &[
    &IPV4_IS_PRIVATE,
    &IPV4_IS_IN_RANGE,
    &IPV4_IS_IN_ANY_RANGE,
    &IPV4_COMPARE,
    &IPV4_IS_MATCH,
    &PARSE_IPV4,
    &PARSE_IPV4_MASK,
    &FORMAT_IPV4,
    &FORMAT_IPV4_MASK,
    &IPV4_NETMASK_SUFFIX,
    &PARSE_IPV6,
    &PARSE_IPV6_MASK,
    &IPV6_COMPARE,
    &IPV6_IS_MATCH,
    &IPV6_IS_IN_RANGE,
    &IPV6_IS_IN_ANY_RANGE,
    &HAS_IPV4,
    &HAS_IPV4_PREFIX,
    &HAS_ANY_IPV4,
    &HAS_ANY_IPV4_PREFIX,
    &GEO_INFO_FROM_IP_ADDRESS,
    &IPV4_RANGE_TO_CIDR_LIST,
];

/// `a.b.c.d[/n]` (or a number) as the address and its prefix length.
pub fn parse_v4(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, p.trim().parse::<u32>().ok().filter(|p| *p <= 32)?),
        None => (s, 32),
    };
    let addr = match a.parse::<Ipv4Addr>() {
        Ok(ip) => u32::from(ip),
        Err(_) => a.parse::<u32>().ok()?,
    };
    Some((addr, p))
}

fn mask4(p: u32) -> u32 {
    if p == 0 {
        0
    } else {
        u32::MAX << (32 - p.min(32))
    }
}

/// IPv6 (or IPv4, mapped) text with an optional prefix.
pub fn parse_v6(s: &str) -> Option<(u128, u32)> {
    let s = s.trim();
    if let Some((a, p)) = parse_v4(s).filter(|_| !s.contains(':')) {
        let mapped = u128::from(Ipv4Addr::from(a).to_ipv6_mapped());
        return Some((mapped, p + 96));
    }
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, p.trim().parse::<u32>().ok().filter(|p| *p <= 128)?),
        None => (s, 128),
    };
    let ip = a.parse::<Ipv6Addr>().ok()?;
    let mut x = u128::from(ip);
    let mut p = p;
    // `::a.b.c.d` means the IPv4 address, as `::ffff:a.b.c.d` does, and its
    // prefix counts IPv4 bits.
    if a.contains('.') && x >> 32 == 0 {
        x |= 0xffff_u128 << 32;
        if s.contains('/') {
            p = (p + 96).min(128);
        }
    }
    Some((x, p))
}

fn mask6(p: u32) -> u128 {
    if p == 0 {
        0
    } else {
        u128::MAX << (128 - p.min(128))
    }
}

fn format_v6(x: u128) -> String {
    let b = x.to_be_bytes();
    b.chunks(2)
        .map(|c| format!("{:02x}{:02x}", c[0], c.get(1).copied().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(":")
}

fn prefix_arg(r: &[ScalarValue], i: usize, max: u32) -> Option<Option<u32>> {
    match r.get(i) {
        None => Some(None),
        Some(v) => {
            let p = val::long(v)?;
            (0..=i64::from(max)).contains(&p).then_some(Some(p as u32))
        }
    }
}

fn cmp4(r: &[ScalarValue]) -> Option<i64> {
    let (a, pa) = parse_v4(val::str(&r[0]))?;
    let (b, pb) = parse_v4(val::str(&r[1]))?;
    let p = prefix_arg(r, 2, 32)?.unwrap_or(32).min(pa).min(pb);
    let m = mask4(p);
    Some((a & m).cmp(&(b & m)) as i64)
}

fn cmp6(r: &[ScalarValue]) -> Option<i64> {
    let (a, pa) = parse_v6(val::str(&r[0]))?;
    let (b, pb) = parse_v6(val::str(&r[1]))?;
    let explicit = prefix_arg(r, 2, 128)?;
    let p = explicit.unwrap_or(128).min(pa).min(pb);
    let m = mask6(p);
    Some((a & m).cmp(&(b & m)) as i64)
}

fn in_range4(ip: &str, range: &str) -> Option<bool> {
    let (a, _) = parse_v4(ip)?;
    let (r, p) = parse_v4(range)?;
    let m = mask4(p);
    Some(a & m == r & m)
}

fn in_range6(ip: &str, range: &str) -> Option<bool> {
    let (a, _) = parse_v6(ip)?;
    let (r, p) = parse_v6(range)?;
    let m = mask6(p);
    Some(a & m == r & m)
}

/// The string arguments from index 1 on, with dynamic arrays flattened.
fn list_args(r: &[ScalarValue]) -> Vec<String> {
    let mut out = Vec::new();
    for v in r.iter().skip(1) {
        match v {
            ScalarValue::Dynamic(Value::Array(a)) => {
                out.extend(a.iter().filter_map(|x| x.as_str().map(str::to_string)))
            }
            ScalarValue::Dynamic(Value::String(s)) | ScalarValue::String(s) => out.push(s.clone()),
            _ => {}
        }
    }
    out
}

fn list_typing(name: &str, a: &[ArgInfo]) -> Result<Typed, String> {
    arity(name, a, 2, 64)?;
    Ok(Typed {
        ret: Bool,
        args: a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                if i > 0 && x.ty == Dynamic {
                    Dynamic
                } else {
                    Str
                }
            })
            .collect(),
    })
}

fn bool_or_null(b: Option<bool>) -> ScalarValue {
    b.map_or(ScalarValue::Null(Bool), ScalarValue::Bool)
}

fn long_or_null(v: Option<i64>) -> ScalarValue {
    v.map_or(ScalarValue::Null(Long), ScalarValue::Long)
}

static IPV4_IS_PRIVATE: FunctionDef = FunctionDef::new(
    "ipv4_is_private",
    C,
    "ipv4_is_private(ip: string): bool",
    "Whether the IPv4 address is in a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16); null when it is not an IPv4 address.",
    |a| sig("ipv4_is_private", a, 1, &[P::StrS], Bool),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            bool_or_null(parse_v4(val::str(&r[0])).map(|(a, _)| {
                let ip = Ipv4Addr::from(a);
                ip.is_private()
            }))
        })
    },
)
.examples(&[Example {
    query: "print a = ipv4_is_private('10.1.2.3'), b = ipv4_is_private('192.168.1.1/24'), c = ipv4_is_private('127.0.0.1'), d = ipv4_is_private('172.32.0.1'), e = ipv4_is_private('x')",
    output: "a,b,c,d,e\ntrue,true,false,false,",
}]);

static IPV4_IS_IN_RANGE: FunctionDef = FunctionDef::new(
    "ipv4_is_in_range",
    C,
    "ipv4_is_in_range(ip: string, range: string): bool",
    "Whether the IPv4 address is in the range (an address with an optional /prefix).",
    |a| sig("ipv4_is_in_range", a, 2, &[P::StrS, P::StrS], Bool),
    |ctx, args| rows_ok(ctx, args, |r| bool_or_null(in_range4(val::str(&r[0]), val::str(&r[1])))),
)
.examples(&[Example {
    query: "print a = ipv4_is_in_range('192.168.1.1', '192.168.1.255/24'), b = ipv4_is_in_range('192.168.2.1', '192.168.1.0/24'), c = ipv4_is_in_range('10.0.0.1', '10.0.0.1')",
    output: "a,b,c\ntrue,false,true",
}]);

static IPV4_IS_IN_ANY_RANGE: FunctionDef = FunctionDef::new(
    "ipv4_is_in_any_range",
    C,
    "ipv4_is_in_any_range(ip: string, range1, range2, ... | ranges: dynamic): bool",
    "Whether the IPv4 address is in any of the ranges.",
    |a| list_typing("ipv4_is_in_any_range", a),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let ip = val::str(&r[0]);
            if parse_v4(ip).is_none() {
                return ScalarValue::Null(Bool);
            }
            ScalarValue::Bool(list_args(r).iter().any(|x| in_range4(ip, x) == Some(true)))
        })
    },
)
.examples(&[Example {
    query: "print a = ipv4_is_in_any_range('192.168.1.6', '192.168.1.1/24', '10.0.0.1/8'), b = ipv4_is_in_any_range('1.1.1.1', dynamic(['10.0.0.0/8', '127.0.0.1/8']))",
    output: "a,b\ntrue,false",
}]);

static IPV4_COMPARE: FunctionDef = FunctionDef::new(
    "ipv4_compare",
    C,
    "ipv4_compare(ip1: string, ip2: string, [prefix: long]): long",
    "-1, 0 or 1 as ip1 is below, equal to or above ip2, comparing only the shortest of the prefixes given.",
    |a| sig("ipv4_compare", a, 2, &[P::StrS, P::StrS, P::Long], Long),
    |ctx, args| rows_ok(ctx, args, |r| long_or_null(cmp4(r))),
)
.examples(&[Example {
    query: "print a = ipv4_compare('192.168.1.1', '192.168.1.255/24'), b = ipv4_compare('192.168.1.1', '192.168.1.0', 31), c = ipv4_compare('10.0.0.1', '10.0.0.2')",
    output: "a,b,c\n0,0,-1",
}]);

static IPV4_IS_MATCH: FunctionDef = FunctionDef::new(
    "ipv4_is_match",
    C,
    "ipv4_is_match(ip1: string, ip2: string, [prefix: long]): bool",
    "Whether two IPv4 addresses are equal, comparing only the shortest of the prefixes given.",
    |a| sig("ipv4_is_match", a, 2, &[P::StrS, P::StrS, P::Long], Bool),
    |ctx, args| rows_ok(ctx, args, |r| bool_or_null(cmp4(r).map(|c| c == 0))),
)
.examples(&[Example {
    query: "print a = ipv4_is_match('192.168.1.1/24', '192.168.1.255'), b = ipv4_is_match('192.168.1.1', '192.168.1.255')",
    output: "a,b\ntrue,false",
}]);

static PARSE_IPV4: FunctionDef = FunctionDef::new(
    "parse_ipv4",
    C,
    "parse_ipv4(ip: string): long",
    "The IPv4 address as a number (masked by its /prefix); null when it is not an address.",
    |a| sig("parse_ipv4", a, 1, &[P::StrS], Long),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            long_or_null(parse_v4(val::str(&r[0])).map(|(a, p)| i64::from(a & mask4(p))))
        })
    },
)
.examples(&[Example {
    query: "print a = parse_ipv4('192.168.1.1'), b = parse_ipv4('192.168.1.1/24'), c = parse_ipv4('255.255.255.255/31'), d = parse_ipv4('1.2.3')",
    output: "a,b,c,d\n3232235777,3232235776,4294967294,",
}]);

static PARSE_IPV4_MASK: FunctionDef = FunctionDef::new(
    "parse_ipv4_mask",
    C,
    "parse_ipv4_mask(ip: string, prefix: long): long",
    "The IPv4 address as a number, masked to the prefix.",
    |a| sig("parse_ipv4_mask", a, 2, &[P::StrS, P::Long], Long),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let (Some((a, p)), Some(Some(q))) = (parse_v4(val::str(&r[0])), prefix_arg(r, 1, 32))
            else {
                return ScalarValue::Null(Long);
            };
            ScalarValue::Long(i64::from(a & mask4(p.min(q))))
        })
    },
)
.examples(&[Example {
    query: "print parse_ipv4_mask('192.1.168.2', 10)",
    output: "print_0\n3221225472",
}]);

fn format4(r: &[ScalarValue], with_mask: bool) -> ScalarValue {
    let empty = ScalarValue::String(String::new());
    let Some((a, p)) = parse_v4(val::str(&r[0])) else {
        return empty;
    };
    let Some(q) = prefix_arg(r, 1, 32) else {
        return empty;
    };
    let p = p.min(q.unwrap_or(32));
    let ip = Ipv4Addr::from(a & mask4(p));
    ScalarValue::String(if with_mask {
        format!("{ip}/{p}")
    } else {
        ip.to_string()
    })
}

static FORMAT_IPV4: FunctionDef = FunctionDef::new(
    "format_ipv4",
    C,
    "format_ipv4(ip: string | long, [prefix: long]): string",
    "The IPv4 address as dotted text, masked to the prefix; \"\" when it cannot be parsed.",
    |a| sig("format_ipv4", a, 1, &[P::Str, P::Long], Str),
    |ctx, args| rows_ok(ctx, args, |r| format4(r, false)),
)
.examples(&[Example {
    query: "print a = format_ipv4('192.168.1.255', 24), b = format_ipv4(3232236031), c = format_ipv4('192.168.1.1/24', -1)",
    output: "a,b,c\n192.168.1.0,192.168.1.255,",
}]);

static FORMAT_IPV4_MASK: FunctionDef = FunctionDef::new(
    "format_ipv4_mask",
    C,
    "format_ipv4_mask(ip: string | long, [prefix: long]): string",
    "The IPv4 address masked to the prefix, as CIDR text (`a.b.c.d/n`).",
    |a| sig("format_ipv4_mask", a, 1, &[P::Str, P::Long], Str),
    |ctx, args| rows_ok(ctx, args, |r| format4(r, true)),
)
.examples(&[Example {
    query: "print a = format_ipv4_mask('192.168.1.255', 24), b = format_ipv4_mask('192.168.1.1/24', 32), c = format_ipv4_mask('10.0.0.1')",
    output: "a,b,c\n192.168.1.0/24,192.168.1.0/24,10.0.0.1/32",
}]);

static IPV4_NETMASK_SUFFIX: FunctionDef = FunctionDef::new(
    "ipv4_netmask_suffix",
    C,
    "ipv4_netmask_suffix(ip: string): long",
    "The prefix length of IPv4 CIDR text (32 without one).",
    |a| sig("ipv4_netmask_suffix", a, 1, &[P::StrS], Long),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            parse_v4(val::str(&r[0])).map_or(ScalarValue::Null(Long), |(_, p)| {
                ScalarValue::Long(i64::from(p))
            })
        })
    },
)
.examples(&[Example {
    query: "print a = ipv4_netmask_suffix('10.1.2.3'), b = ipv4_netmask_suffix('192.168.1.1/24')",
    output: "a,b\n32,24",
}]);

static PARSE_IPV6: FunctionDef = FunctionDef::new(
    "parse_ipv6",
    C,
    "parse_ipv6(ip: string): string",
    "The canonical IPv6 form (eight groups of four hex digits) of an IPv6 or IPv4 address, masked by its /prefix; \"\" when it is not an address.",
    |a| sig("parse_ipv6", a, 1, &[P::StrS], Str),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            ScalarValue::String(
                parse_v6(val::str(&r[0])).map_or(String::new(), |(a, p)| format_v6(a & mask6(p))),
            )
        })
    },
)
.examples(&[Example {
    query: "print a = parse_ipv6('192.168.255.255/24'), b = parse_ipv6('fe80::85d:e82c:9446:7994')",
    output: "a,b\n0000:0000:0000:0000:0000:ffff:c0a8:ff00,fe80:0000:0000:0000:085d:e82c:9446:7994",
}]);

static PARSE_IPV6_MASK: FunctionDef = FunctionDef::new(
    "parse_ipv6_mask",
    C,
    "parse_ipv6_mask(ip: string, prefix: long): string",
    "The canonical IPv6 form masked to the prefix (an IPv4 address's own prefix counts from bit 96).",
    |a| sig("parse_ipv6_mask", a, 2, &[P::StrS, P::Long], Str),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let (Some((a, p)), Some(Some(q))) = (parse_v6(val::str(&r[0])), prefix_arg(r, 1, 128)) else {
                return ScalarValue::String(String::new());
            };
            ScalarValue::String(format_v6(a & mask6(p.min(q))))
        })
    },
)
.examples(&[Example {
    query: "print a = parse_ipv6_mask('192.168.255.255', 120), b = parse_ipv6_mask('fe80::85d:e82c:9446:7994/120', 124)",
    output: "a,b\n0000:0000:0000:0000:0000:ffff:c0a8:ff00,fe80:0000:0000:0000:085d:e82c:9446:7900",
}]);

static IPV6_COMPARE: FunctionDef = FunctionDef::new(
    "ipv6_compare",
    C,
    "ipv6_compare(ip1: string, ip2: string, [prefix: long]): long",
    "-1, 0 or 1 comparing two IPv6 (or IPv4) addresses over the shortest prefix given.",
    |a| sig("ipv6_compare", a, 2, &[P::StrS, P::StrS, P::Long], Long),
    |ctx, args| rows_ok(ctx, args, |r| long_or_null(cmp6(r))),
)
.examples(&[Example {
    query: "print a = ipv6_compare('fe80::85d:e82c:9446:7994/120', 'fe80::85d:e82c:9446:7998'), b = ipv6_compare('192.168.1.1', '192.168.1.0', 31), c = ipv6_compare('::1', '::2')",
    output: "a,b,c\n0,0,-1",
}]);

static IPV6_IS_MATCH: FunctionDef = FunctionDef::new(
    "ipv6_is_match",
    C,
    "ipv6_is_match(ip1: string, ip2: string, [prefix: long]): bool",
    "Whether two IPv6 (or IPv4) addresses are equal over the shortest prefix given.",
    |a| sig("ipv6_is_match", a, 2, &[P::StrS, P::StrS, P::Long], Bool),
    |ctx, args| rows_ok(ctx, args, |r| bool_or_null(cmp6(r).map(|c| c == 0))),
)
.examples(&[Example {
    query: "print a = ipv6_is_match('fe80::85d:e82c:9446:7994', 'fe80::85d:e82c:9446:7995', 127), b = ipv6_is_match('::1', '::2')",
    output: "a,b\ntrue,false",
}]);

static IPV6_IS_IN_RANGE: FunctionDef = FunctionDef::new(
    "ipv6_is_in_range",
    C,
    "ipv6_is_in_range(ip: string, range: string): bool",
    "Whether the IPv6 (or IPv4) address is in the range.",
    |a| sig("ipv6_is_in_range", a, 2, &[P::StrS, P::StrS], Bool),
    |ctx, args| rows_ok(ctx, args, |r| bool_or_null(in_range6(val::str(&r[0]), val::str(&r[1])))),
)
.examples(&[Example {
    query: "print a = ipv6_is_in_range('a5e:f127:8a9d:146d:e102:b5d3:c755:abcd', 'a5e:f127:8a9d:146d:e102:b5d3:c755:0000/112'), b = ipv6_is_in_range('a5e:f127:8a9d:146d:e102:b5d3:c755:abcd', '0:0:0:0:0:ffff:c0a8:ac/60')",
    output: "a,b\ntrue,false",
}]);

static IPV6_IS_IN_ANY_RANGE: FunctionDef = FunctionDef::new(
    "ipv6_is_in_any_range",
    C,
    "ipv6_is_in_any_range(ip: string, range1, ... | ranges: dynamic): bool",
    "Whether the IPv6 (or IPv4) address is in any of the ranges.",
    |a| list_typing("ipv6_is_in_any_range", a),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let ip = val::str(&r[0]);
            if parse_v6(ip).is_none() {
                return ScalarValue::Null(Bool);
            }
            ScalarValue::Bool(list_args(r).iter().any(|x| in_range6(ip, x) == Some(true)))
        })
    },
)
.examples(&[Example {
    query: "print ipv6_is_in_any_range('a5e:f127:8a9d:146d:e102:b5d3:c755:abcd', dynamic(['a5e:f127:8a9d:146d:e102:b5d3:c755:f6cd/112', '::1']))",
    output: "print_0\ntrue",
}]);

/// The runs of `[A-Za-z0-9.]` in text that are valid IPv4 addresses.
fn ipv4_tokens(s: &str) -> Vec<&str> {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .filter(|t| t.split('.').count() == 4 && t.parse::<Ipv4Addr>().is_ok())
        .collect()
}

fn has_ips(r: &[ScalarValue], prefix: bool) -> ScalarValue {
    let toks = ipv4_tokens(val::str(&r[0]));
    let wanted = list_args(r);
    ScalarValue::Bool(wanted.iter().any(|w| {
        if prefix {
            // A prefix is whole octets ending with a dot, or a full address.
            let ok = (w.ends_with('.')
                && w.trim_end_matches('.')
                    .split('.')
                    .all(|o| o.parse::<u8>().is_ok()))
                || w.parse::<Ipv4Addr>().is_ok();
            ok && toks.iter().any(|t| t.starts_with(w.as_str()))
        } else {
            w.parse::<Ipv4Addr>().is_ok() && toks.iter().any(|t| t == w)
        }
    }))
}

static HAS_IPV4: FunctionDef = FunctionDef::new(
    "has_ipv4",
    C,
    "has_ipv4(source: string, ip: string): bool",
    "Whether the text holds the IPv4 address as a separate token (not touching letters, digits or dots).",
    |a| sig("has_ipv4", a, 2, &[P::StrS, P::StrS], Bool),
    |ctx, args| rows_ok(ctx, args, |r| has_ips(r, false)),
)
.examples(&[Example {
    query: "print a = has_ipv4('05:04:54 127.0.0.1 GET /favicon.ico 404', '127.0.0.1'), b = has_ipv4('05:04:54127.0.0.1 GET', '127.0.0.1'), c = has_ipv4('x 127.0.0.256 y', '127.0.0.256')",
    output: "a,b,c\ntrue,false,false",
}]);

static HAS_IPV4_PREFIX: FunctionDef = FunctionDef::new(
    "has_ipv4_prefix",
    C,
    "has_ipv4_prefix(source: string, ip_prefix: string): bool",
    "Whether the text holds an IPv4 address (as a separate token) starting with the prefix (whole octets ending with a dot).",
    |a| sig("has_ipv4_prefix", a, 2, &[P::StrS, P::StrS], Bool),
    |ctx, args| rows_ok(ctx, args, |r| has_ips(r, true)),
)
.examples(&[Example {
    query: "print a = has_ipv4_prefix('05:04:54 127.0.0.1 GET', '127.0.'), b = has_ipv4_prefix('05:04:54 127.0.0.1 GET', '127.0')",
    output: "a,b\ntrue,false",
}]);

static HAS_ANY_IPV4: FunctionDef = FunctionDef::new(
    "has_any_ipv4",
    C,
    "has_any_ipv4(source: string, ip1, ip2, ... | ips: dynamic): bool",
    "Whether the text holds any of the IPv4 addresses as a separate token.",
    |a| list_typing("has_any_ipv4", a),
    |ctx, args| rows_ok(ctx, args, |r| has_ips(r, false)),
)
.examples(&[Example {
    query: "print a = has_any_ipv4('05:04:54 127.0.0.1 GET', dynamic(['127.0.0.1', '127.0.0.2'])), b = has_any_ipv4('05:04:54 127.0.0.1 GET', '10.0.0.1', '10.0.0.2')",
    output: "a,b\ntrue,false",
}]);

static HAS_ANY_IPV4_PREFIX: FunctionDef = FunctionDef::new(
    "has_any_ipv4_prefix",
    C,
    "has_any_ipv4_prefix(source: string, prefix1, ... | prefixes: dynamic): bool",
    "Whether the text holds an IPv4 address starting with any of the prefixes.",
    |a| list_typing("has_any_ipv4_prefix", a),
    |ctx, args| rows_ok(ctx, args, |r| has_ips(r, true)),
)
.examples(&[Example {
    query: "print has_any_ipv4_prefix('05:04:54 127.0.0.1 GET', '127.0.', '192.168.')",
    output: "print_0\ntrue",
}]);

static GEO_INFO_FROM_IP_ADDRESS: FunctionDef = FunctionDef::new(
    "geo_info_from_ip_address",
    C,
    "geo_info_from_ip_address(ip: string): dynamic",
    "Geolocation of an IP address: a bag with country, state, city, latitude and longitude.",
    |a| sig("geo_info_from_ip_address", a, 1, &[P::StrS], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            if parse_v6(val::str(&r[0])).is_none() {
                return ScalarValue::Null(Dynamic);
            }
            ScalarValue::Dynamic(serde_json::json!({
                "country": "", "state": "", "city": "", "latitude": null, "longitude": null
            }))
        })
    },
)
.notes("Kusto looks addresses up in a cloud geolocation database, which is not available locally: kql returns the documented property bag with empty values (null for invalid addresses) and warns when a query uses the function.");

/// The smallest list of CIDR blocks that covers `start..=end` exactly.
fn range_to_cidrs(start: u32, end: u32) -> Vec<String> {
    let mut out = Vec::new();
    let (mut lo, hi) = (u64::from(start), u64::from(end));
    while lo <= hi {
        // The largest block aligned at `lo` that stays within the range.
        let mut size = if lo == 0 {
            1u64 << 32
        } else {
            1u64 << lo.trailing_zeros().min(32)
        };
        while lo + size - 1 > hi {
            size >>= 1;
        }
        let prefix = 32 - size.trailing_zeros();
        out.push(format!("{}/{prefix}", Ipv4Addr::from(lo as u32)));
        lo += size;
    }
    out
}

static IPV4_RANGE_TO_CIDR_LIST: FunctionDef = FunctionDef::new(
    "ipv4_range_to_cidr_list",
    C,
    "ipv4_range_to_cidr_list(start: string, end: string): dynamic",
    "The IPv4 range from start to end (both included) as an array of CIDR blocks; an empty array when start is after end, null when an address is not valid.",
    |a| sig("ipv4_range_to_cidr_list", a, 2, &[P::StrS, P::StrS], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let addr = |i: usize| val::str(&r[i]).trim().parse::<Ipv4Addr>().ok().map(u32::from);
            match (addr(0), addr(1)) {
                (Some(a), Some(b)) if a <= b => ScalarValue::Dynamic(Value::Array(
                    range_to_cidrs(a, b).into_iter().map(Value::String).collect(),
                )),
                (Some(_), Some(_)) => ScalarValue::Dynamic(Value::Array(Vec::new())),
                _ => ScalarValue::Null(Dynamic),
            }
        })
    },
)
.examples(&[Example {
    query: "print a = ipv4_range_to_cidr_list(\"1.1.128.0\", \"1.1.140.255\"), b = ipv4_range_to_cidr_list(\"10.0.0.1\", \"10.0.0.1\"), c = ipv4_range_to_cidr_list(\"0.0.0.0\", \"255.255.255.255\"), d = ipv4_range_to_cidr_list(\"1.2.3\", \"1.2.3.4\")",
    output: "a,b,c,d\n\"[\"\"1.1.128.0/21\"\",\"\"1.1.136.0/22\"\",\"\"1.1.140.0/24\"\"]\",\"[\"\"10.0.0.1/32\"\"]\",\"[\"\"0.0.0.0/0\"\"]\",",
}]);
