//! Well-known text (WKT) geometries read into GeoJSON text: POINT,
//! LINESTRING, POLYGON, their MULTI forms and GEOMETRYCOLLECTION, in two
//! dimensions (longitude first).

use super::push_coord;
use super::sphere::{valid_lat, valid_lon};

/// Reads the body of one geometry kind.
type Body = for<'a, 'b, 'c> fn(&'a mut Parser<'b>, &'c mut String) -> Option<()>;

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn word(&mut self) -> String {
        self.ws();
        let start = self.pos;
        while self.s.get(self.pos).is_some_and(u8::is_ascii_alphabetic) {
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.pos]).to_ascii_uppercase()
    }

    fn number(&mut self) -> Option<f64> {
        self.ws();
        let start = self.pos;
        while self
            .s
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.pos += 1;
        }
        std::str::from_utf8(&self.s[start..self.pos])
            .ok()?
            .parse()
            .ok()
    }

    /// `x y`, a valid coordinate.
    fn coord(&mut self, out: &mut String) -> Option<()> {
        let x = self.number()?;
        let y = self.number()?;
        (valid_lon(x) && valid_lat(y)).then(|| push_coord(out, x, y))
    }

    /// `(x y, x y, ...)` with at least `min` coordinates.
    fn coords(&mut self, out: &mut String, min: usize) -> Option<()> {
        if !self.eat(b'(') {
            return None;
        }
        out.push('[');
        let mut n = 0;
        loop {
            if n > 0 {
                out.push(',');
            }
            // MULTIPOINT also allows `((x y), (x y))`.
            if self.eat(b'(') {
                self.coord(out)?;
                if !self.eat(b')') {
                    return None;
                }
            } else {
                self.coord(out)?;
            }
            n += 1;
            if !self.eat(b',') {
                break;
            }
        }
        out.push(']');
        (self.eat(b')') && n >= min).then_some(())
    }

    /// `(<item>, <item>, ...)`.
    fn list(
        &mut self,
        out: &mut String,
        item: impl Fn(&mut Self, &mut String) -> Option<()>,
    ) -> Option<()> {
        if !self.eat(b'(') {
            return None;
        }
        out.push('[');
        let mut first = true;
        loop {
            if !first {
                out.push(',');
            }
            first = false;
            item(self, out)?;
            if !self.eat(b',') {
                break;
            }
        }
        out.push(']');
        self.eat(b')').then_some(())
    }

    fn polygon(&mut self, out: &mut String) -> Option<()> {
        self.list(out, |p, o| p.coords(o, 4))
    }

    fn geometry(&mut self, out: &mut String) -> Option<()> {
        let kind = self.word();
        let (name, body): (&str, Body) = match kind.as_str() {
            "POINT" => ("Point", |p, o| {
                if !p.eat(b'(') {
                    return None;
                }
                p.coord(o)?;
                p.eat(b')').then_some(())
            }),
            "LINESTRING" => ("LineString", |p, o| p.coords(o, 2)),
            "POLYGON" => ("Polygon", |p, o| p.polygon(o)),
            "MULTIPOINT" => ("MultiPoint", |p, o| p.coords(o, 1)),
            "MULTILINESTRING" => ("MultiLineString", |p, o| p.list(o, |p, o| p.coords(o, 2))),
            "MULTIPOLYGON" => ("MultiPolygon", |p, o| p.list(o, |p, o| p.polygon(o))),
            "GEOMETRYCOLLECTION" => {
                out.push_str(r#"{"type":"GeometryCollection","geometries":"#);
                self.list(out, Self::geometry)?;
                out.push('}');
                return Some(());
            }
            _ => return None,
        };
        out.push_str(r#"{"type":""#);
        out.push_str(name);
        out.push_str(r#"","coordinates":"#);
        body(self, out)?;
        out.push('}');
        Some(())
    }
}

/// Appends the GeoJSON of a WKT geometry; `None` when the text is not one.
pub fn to_geojson(s: &str, out: &mut String) -> Option<()> {
    let mut p = Parser {
        s: s.as_bytes(),
        pos: 0,
    };
    p.geometry(out)?;
    p.ws();
    (p.pos == p.s.len()).then_some(())
}
