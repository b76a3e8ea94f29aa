//! `parse_xml`: XML text to a dynamic value, as Kusto converts it (element
//! names are keys, attributes `@name`, text `#text`, repeated elements
//! arrays; declarations, comments and processing instructions are skipped).

use crate::kernel::{str_to_dyn, strs};
use crate::typing::{sig, P};
use crate::{Category, Example, FunctionDef};
use kql_common::KqlType;
use serde_json::{Map, Value};

/// Inputs longer than this give null, as in Kusto.
const MAX_LEN: usize = 1 << 20;
/// Elements nested deeper than this make the input invalid (keeps the
/// recursion bounded).
const MAX_DEPTH: usize = 256;

struct Reader<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.i..]
    }

    fn skip_ws(&mut self) {
        let r = self.rest();
        self.i += r.len() - r.trim_start().len();
    }

    /// Skips `<?...?>`, `<!--...-->` and `<!DOCTYPE ...>`; `None` if one is
    /// not closed.
    fn skip_misc(&mut self) -> Option<bool> {
        let r = self.rest();
        let end = if r.starts_with("<?") {
            r.find("?>")? + 2
        } else if r.starts_with("<!--") {
            r.find("-->")? + 3
        } else if r.starts_with("<!") && !r.starts_with("<![CDATA[") {
            r.find('>')? + 1
        } else {
            return Some(false);
        };
        self.i += end;
        Some(true)
    }

    fn name(&mut self) -> Option<&'a str> {
        let r = self.rest();
        let n = r
            .find(|c: char| c.is_whitespace() || matches!(c, '>' | '/' | '=' | '<'))
            .unwrap_or(r.len());
        if n == 0 {
            return None;
        }
        self.i += n;
        Some(&r[..n])
    }

    /// One element starting at `<`.
    fn element(&mut self, depth: usize) -> Option<(String, Value)> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        let name = self.name()?.to_string();
        let mut obj = Map::new();
        loop {
            self.skip_ws();
            let r = self.rest();
            if r.starts_with("/>") {
                self.i += 2;
                return Some((name, finish(obj, String::new())));
            }
            if r.starts_with('>') {
                self.i += 1;
                break;
            }
            let attr = self.name()?;
            self.skip_ws();
            if !self.rest().starts_with('=') {
                return None;
            }
            self.i += 1;
            self.skip_ws();
            let q = self.rest().chars().next()?;
            if q != '"' && q != '\'' {
                return None;
            }
            self.i += 1;
            let end = self.rest().find(q)?;
            let v = unescape(&self.rest()[..end])?;
            self.i += end + 1;
            obj.insert(format!("@{attr}"), Value::String(v));
        }
        let mut text = String::new();
        loop {
            let r = self.rest();
            let lt = r.find('<')?;
            text.push_str(&unescape(&r[..lt])?);
            self.i += lt;
            let r = self.rest();
            if let Some(body) = r.strip_prefix("<![CDATA[") {
                let end = body.find("]]>")?;
                text.push_str(&body[..end]);
                self.i += 9 + end + 3;
            } else if let Some(after) = r.strip_prefix("</") {
                let end = after.find('>')?;
                if after[..end].trim() != name {
                    return None;
                }
                self.i += 2 + end + 1;
                return Some((name, finish(obj, text)));
            } else if self.skip_misc()? {
            } else {
                let (k, v) = self.element(depth + 1)?;
                match obj.get_mut(&k) {
                    Some(Value::Array(a)) => a.push(v),
                    Some(prev) => {
                        let first = prev.take();
                        *prev = Value::Array(vec![first, v]);
                    }
                    None => {
                        obj.insert(k, v);
                    }
                }
            }
        }
    }
}

/// An element's value: null when empty, its text when it has only text,
/// else its attributes and children with the text as `#text`.
fn finish(mut obj: Map<String, Value>, text: String) -> Value {
    let text = text.trim();
    if obj.is_empty() {
        return if text.is_empty() {
            Value::Null
        } else {
            Value::String(text.to_string())
        };
    }
    if !text.is_empty() {
        obj.insert("#text".into(), Value::String(text.to_string()));
    }
    Value::Object(obj)
}

/// Replaces the five named entities and numeric character references.
fn unescape(s: &str) -> Option<String> {
    if !s.contains('&') {
        return Some(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        let after = &rest[p + 1..];
        let end = after.find(';')?;
        let ent = &after[..end];
        let c = match ent {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let n = if let Some(h) = ent.strip_prefix("#x").or_else(|| ent.strip_prefix("#X")) {
                    u32::from_str_radix(h, 16).ok()?
                } else {
                    ent.strip_prefix('#')?.parse::<u32>().ok()?
                };
                char::from_u32(n)?
            }
        };
        out.push(c);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The dynamic value of an XML document, or `None` if it is not
/// well-formed (one root element, matching tags, quoted attributes).
pub fn parse_xml(s: &str) -> Option<Value> {
    if s.len() > MAX_LEN {
        return None;
    }
    let mut r = Reader {
        s: s.trim_start_matches('\u{feff}'),
        i: 0,
    };
    loop {
        r.skip_ws();
        if !r.skip_misc()? {
            break;
        }
    }
    if !r.rest().starts_with('<') {
        return None;
    }
    let (name, v) = r.element(0)?;
    loop {
        r.skip_ws();
        if !r.skip_misc()? {
            break;
        }
    }
    if !r.rest().is_empty() {
        return None;
    }
    let mut m = Map::new();
    m.insert(name, v);
    Some(Value::Object(m))
}

pub static PARSE_XML: FunctionDef = FunctionDef::new(
    "parse_xml",
    Category::Dynamic,
    "parse_xml(xml: string): dynamic",
    "Converts XML text to a dynamic value: `<e/>` is `{\"e\": null}`, `<e>text</e>` is `{\"e\": \"text\"}`, attributes are `@name` properties, text beside attributes or children is `#text`, repeated child elements make an array. Declarations, comments and processing instructions are skipped; CDATA is text. Null when the text is not well-formed XML (or longer than 1 MB).",
    |a| sig("parse_xml", a, 1, &[P::StrS], KqlType::Dynamic),
    |_, args| {
        Ok(str_to_dyn(strs(args, 0)?, |s, out| match parse_xml(s) {
            Some(v) => {
                out.push_str(&v.to_string());
                true
            }
            None => false,
        }))
    },
)
.examples(&[
    Example {
        query: "print d = parse_xml(\"<?xml version=\\\"1.0\\\"?><duration><value>118.0</value><min>100.0</min></duration>\")\n| extend v = d.duration.value, m = d[\"duration\"][\"min\"]",
        output: "d,v,m\n\"{\"\"duration\"\":{\"\"value\"\":\"\"118.0\"\",\"\"min\"\":\"\"100.0\"\"}}\",118.0,100.0",
    },
    Example {
        query: "print a = parse_xml(\"<e/>\"), b = parse_xml(\"<e name='value'>text</e>\"), c = parse_xml(\"<e> <a>x</a> <a>y &amp; z</a> <b/> </e>\"), d = parse_xml(\"<e><a></e>\")",
        output: "a,b,c,d\n\"{\"\"e\"\":null}\",\"{\"\"e\"\":{\"\"@name\"\":\"\"value\"\",\"\"#text\"\":\"\"text\"\"}}\",\"{\"\"e\"\":{\"\"a\"\":[\"\"x\"\",\"\"y & z\"\"],\"\"b\"\":null}}\",",
    },
]);

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<String> {
        parse_xml(s).map(|v| v.to_string())
    }

    #[test]
    fn documented_conversions() {
        assert_eq!(p("<e/>").as_deref(), Some(r#"{"e":null}"#));
        assert_eq!(p("<e>text</e>").as_deref(), Some(r#"{"e":"text"}"#));
        assert_eq!(
            p(r#"<e name="value" />"#).as_deref(),
            Some(r#"{"e":{"@name":"value"}}"#)
        );
        assert_eq!(
            p("<e> <a>text</a> <b>text</b> </e>").as_deref(),
            Some(r#"{"e":{"a":"text","b":"text"}}"#)
        );
        assert_eq!(
            p("<e> text <a>text</a> </e>").as_deref(),
            Some(r##"{"e":{"a":"text","#text":"text"}}"##)
        );
        assert_eq!(
            p("<!-- c --><e><![CDATA[<raw>]]>&#65;&#x42;</e>").as_deref(),
            Some(r#"{"e":"<raw>AB"}"#)
        );
    }

    #[test]
    fn malformed_is_none() {
        for bad in [
            "",
            "text",
            "<e>",
            "<e></f>",
            "<e a=1/>",
            "<a/><b/>",
            "<e>&bogus;</e>",
            "<e><!-- </e>",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
        let deep = "<a>".repeat(1000) + &"</a>".repeat(1000);
        assert_eq!(p(&deep), None);
    }
}
