//! GeoJSON shapes (lines, polygons) read from `dynamic` values, with the
//! validity rules Kusto documents, and the measures computed on them:
//! containment, area, perimeter, length, centroids and distances.
//!
//! Edges are geodesics on the sphere. A polygon's rings are projected
//! gnomonically around the shell's center (which maps geodesics to straight
//! lines exactly) to test containment; a shell whose vertices do not fit
//! in one open hemisphere is not supported and gives null.

use super::sphere::{valid_lat, valid_lon, V3};
use serde_json::Value;

/// A linear ring without its closing vertex.
pub type Ring = Vec<V3>;

/// A polygon: a shell and its holes, with the projection used for
/// containment tests.
pub struct Polygon {
    pub rings: Vec<Ring>,
    center: V3,
    e1: V3,
    e2: V3,
    /// The projected rings.
    flat: Vec<Vec<(f64, f64)>>,
}

/// A line or several lines.
pub struct Lines(pub Vec<Vec<V3>>);

fn coord(v: &Value) -> Option<V3> {
    let a = v.as_array()?;
    if a.len() != 2 {
        return None;
    }
    let (x, y) = (a[0].as_f64()?, a[1].as_f64()?);
    (valid_lon(x) && valid_lat(y)).then(|| V3::from_lon_lat(x, y))
}

fn coords(v: &Value) -> Option<Vec<V3>> {
    v.as_array()?.iter().map(coord).collect()
}

/// A line: at least two vertices.
fn line(v: &Value) -> Option<Vec<V3>> {
    let pts = coords(v)?;
    (pts.len() >= 2).then_some(pts)
}

/// A ring: closed, at least three distinct vertices besides the closing one.
fn ring(v: &Value) -> Option<Ring> {
    let mut pts = coords(v)?;
    if pts.len() < 4 || pts.first() != pts.last() {
        return None;
    }
    pts.pop();
    pts.dedup();
    while pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    let mut distinct: Vec<V3> = Vec::with_capacity(pts.len());
    for p in &pts {
        if !distinct.contains(p) {
            distinct.push(*p);
        }
    }
    (distinct.len() >= 3).then_some(pts)
}

fn polygon(v: &Value) -> Option<Polygon> {
    // A polygon wrapped in one more array (as `pack_array(p.coordinates)`
    // builds) is read as the polygon itself.
    let v = match v.as_array().map(Vec::as_slice) {
        Some([inner]) if inner.pointer("/0/0").is_some_and(Value::is_array) => inner,
        _ => v,
    };
    let rings: Vec<Ring> = v.as_array()?.iter().map(ring).collect::<Option<_>>()?;
    let shell = rings.first()?;
    let center = shell
        .iter()
        .fold(V3::new(0.0, 0.0, 0.0), |s, p| s.add(*p))
        .normalize();
    if center.norm2() == 0.0 || rings.iter().flatten().any(|p| p.dot(center) <= 1e-9) {
        return None;
    }
    let axis = if center.z.abs() < 0.9 {
        V3::new(0.0, 0.0, 1.0)
    } else {
        V3::new(1.0, 0.0, 0.0)
    };
    let e1 = axis.cross(center).normalize();
    let e2 = center.cross(e1);
    let mut p = Polygon {
        rings,
        center,
        e1,
        e2,
        flat: Vec::new(),
    };
    p.flat = p
        .rings
        .iter()
        .map(|r| r.iter().map(|v| p.project(*v)).collect())
        .collect();
    Some(p)
}

impl Polygon {
    fn project(&self, v: V3) -> (f64, f64) {
        let d = v.dot(self.center);
        (v.dot(self.e1) / d, v.dot(self.e2) / d)
    }

    /// Whether the point is inside the shell and outside every hole.
    pub fn contains(&self, p: V3) -> bool {
        if p.dot(self.center) <= 0.0 {
            return false;
        }
        let q = self.project(p);
        let mut flat = self.flat.iter();
        flat.next().is_some_and(|s| in_ring(s, q)) && !flat.any(|h| in_ring(h, q))
    }

    /// The area in steradians (the smaller side of each ring).
    pub fn area(&self) -> f64 {
        let mut rings = self.rings.iter().map(|r| ring_area(r));
        let shell = rings.next().unwrap_or(0.0);
        (shell - rings.sum::<f64>()).max(0.0)
    }

    /// The integral of position over the polygon (its centroid direction
    /// scaled by its area).
    pub fn centroid_sum(&self) -> V3 {
        let mut out = V3::new(0.0, 0.0, 0.0);
        for (i, r) in self.rings.iter().enumerate() {
            let mut s = V3::new(0.0, 0.0, 0.0);
            for k in 1..r.len().saturating_sub(1) {
                s = s.add(triangle_centroid(r[0], r[k], r[k + 1]));
            }
            // Orient each ring as the smaller region it bounds: shells
            // count positively, holes negatively.
            let signed = signed_ring_area(r);
            let s = if signed < 0.0 { s.scale(-1.0) } else { s };
            out = if i == 0 { out.add(s) } else { out.sub(s) };
        }
        out
    }

    /// The edges of every ring, closing edges included.
    pub fn edges(&self) -> impl Iterator<Item = (V3, V3)> + '_ {
        self.rings.iter().flat_map(|r| {
            r.iter()
                .zip(r.iter().cycle().skip(1))
                .map(|(a, b)| (*a, *b))
        })
    }
}

/// Even-odd test of a point against a planar ring.
fn in_ring(ring: &[(f64, f64)], (x, y): (f64, f64)) -> bool {
    let mut inside = false;
    let n = ring.len();
    for i in 0..n {
        let (x1, y1) = ring[i];
        let (x2, y2) = ring[(i + 1) % n];
        if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
            inside = !inside;
        }
    }
    inside
}

/// The signed area of the triangle `a, b, c` (positive counterclockwise).
fn signed_triangle_area(a: V3, b: V3, c: V3) -> f64 {
    2.0 * a
        .dot(b.cross(c))
        .atan2(1.0 + a.dot(b) + b.dot(c) + c.dot(a))
}

fn signed_ring_area(r: &[V3]) -> f64 {
    let o = r[0];
    (1..r.len().saturating_sub(1))
        .map(|k| signed_triangle_area(o, r[k], r[k + 1]))
        .sum()
}

/// The area of the smaller region a ring bounds.
fn ring_area(r: &[V3]) -> f64 {
    let a = signed_ring_area(r).abs();
    a.min(4.0 * std::f64::consts::PI - a)
}

/// The integral of position over a spherical triangle.
fn triangle_centroid(a: V3, b: V3, c: V3) -> V3 {
    let ratio = |s: f64| if s == 0.0 { 1.0 } else { s / s.sin() };
    let ra = ratio(b.angle(c));
    let rb = ratio(c.angle(a));
    let rc = ratio(a.angle(b));
    let x = V3::new(a.x, b.x - a.x, c.x - a.x);
    let y = V3::new(a.y, b.y - a.y, c.y - a.y);
    let z = V3::new(a.z, b.z - a.z, c.z - a.z);
    let r = V3::new(ra, rb - ra, rc - ra);
    V3::new(y.cross(z).dot(r), z.cross(x).dot(r), x.cross(y).dot(r)).scale(0.5)
}

/// The integral of position over an arc (its midpoint direction scaled by
/// its length).
pub fn arc_centroid(a: V3, b: V3) -> V3 {
    let sum = a.add(b);
    let cos2 = sum.norm2();
    if cos2 == 0.0 {
        return V3::new(0.0, 0.0, 0.0);
    }
    sum.scale((a.sub(b).norm2() / cos2).sqrt())
}

fn kind(v: &Value) -> Option<&str> {
    v.get("type")?.as_str()
}

/// A Polygon or MultiPolygon.
pub fn polygons(v: &Value) -> Option<Vec<Polygon>> {
    let c = v.get("coordinates")?;
    match kind(v)? {
        "Polygon" => Some(vec![polygon(c)?]),
        "MultiPolygon" => {
            let ps: Vec<Polygon> = c.as_array()?.iter().map(polygon).collect::<Option<_>>()?;
            (!ps.is_empty()).then_some(ps)
        }
        _ => None,
    }
}

/// A LineString or MultiLineString.
pub fn lines(v: &Value) -> Option<Lines> {
    let c = v.get("coordinates")?;
    match kind(v)? {
        "LineString" => Some(Lines(vec![line(c)?])),
        "MultiLineString" => {
            let ls: Vec<Vec<V3>> = c.as_array()?.iter().map(line).collect::<Option<_>>()?;
            (!ls.is_empty()).then_some(Lines(ls))
        }
        _ => None,
    }
}

impl Lines {
    pub fn edges(&self) -> impl Iterator<Item = (V3, V3)> + '_ {
        self.0
            .iter()
            .flat_map(|l| l.windows(2).map(|w| (w[0], w[1])))
    }
}

/// A single `LineString`.
pub fn line_string(v: &Value) -> Option<Vec<V3>> {
    (kind(v)? == "LineString").then_some(())?;
    line(v.get("coordinates")?)
}

/// Whether the arcs `a`-`b` and `c`-`d` (each shorter than 180°) share a
/// point.
pub fn arcs_cross(a: V3, b: V3, c: V3, d: V3) -> bool {
    let n1 = a.cross(b);
    let n2 = c.cross(d);
    let (sc, sd) = (n1.dot(c), n1.dot(d));
    let (sa, sb) = (n2.dot(a), n2.dot(b));
    if sc * sd > 0.0 || sa * sb > 0.0 {
        return false;
    }
    let x = n1.cross(n2);
    if x.norm2() == 0.0 {
        // On one great circle: they meet when an endpoint lies on the other arc.
        let on = |p: V3, s: V3, e: V3| (s.angle(p) + p.angle(e) - s.angle(e)).abs() < 1e-12;
        return on(c, a, b) || on(d, a, b) || on(a, c, d) || on(b, c, d);
    }
    let x = if x.dot(a.add(b)) < 0.0 {
        x.scale(-1.0)
    } else {
        x
    };
    x.dot(c.add(d)) >= 0.0
}

/// The midpoint of two coordinates by longitude and latitude.
fn mid(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0)
}

/// Appends the points strictly between `a` and `b` that keep every planar
/// piece within `tol` radians of the geodesic arc.
fn split(a: (f64, f64), b: (f64, f64), tol: f64, depth: u32, out: &mut Vec<(f64, f64)>) {
    let m = mid(a, b);
    let (va, vb) = (V3::from_lon_lat(a.0, a.1), V3::from_lon_lat(b.0, b.1));
    let d = super::sphere::arc_distance(V3::from_lon_lat(m.0, m.1), va, vb);
    if d <= tol || depth >= 20 {
        return;
    }
    split(a, m, tol, depth + 1, out);
    out.push(m);
    split(m, b, tol, depth + 1, out);
}

/// A densified coordinate array: `[[x, y], ...]`, the input's own numbers
/// kept as written.
fn densify_coords(v: &Value, tol: f64, min: usize, out: &mut String) -> Option<()> {
    let pts = v.as_array()?;
    if pts.len() < min {
        return None;
    }
    let mut prev: Option<(f64, f64)> = None;
    out.push('[');
    let mut added = Vec::new();
    for (i, p) in pts.iter().enumerate() {
        let a = p.as_array()?;
        if a.len() != 2 {
            return None;
        }
        let (x, y) = (a[0].as_f64()?, a[1].as_f64()?);
        if !(valid_lon(x) && valid_lat(y)) {
            return None;
        }
        if let Some(q) = prev {
            added.clear();
            split(q, (x, y), tol, 0, &mut added);
            for &(mx, my) in &added {
                out.push(',');
                super::push_coord(out, mx, my);
            }
        }
        if i > 0 {
            out.push(',');
        }
        out.push_str(&p.to_string());
        prev = Some((x, y));
    }
    out.push(']');
    Some(())
}

fn densify_list(
    v: &Value,
    out: &mut String,
    f: impl Fn(&Value, &mut String) -> Option<()>,
) -> Option<()> {
    let items = v.as_array()?;
    if items.is_empty() {
        return None;
    }
    out.push('[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        f(x, out)?;
    }
    out.push(']');
    Some(())
}

/// Appends the densified GeoJSON of a line (or, with `polygon`, a polygon);
/// `tol` is in meters.
pub fn densify(v: &Value, polygon: bool, tol: f64, out: &mut String) -> Option<()> {
    let tol = tol / super::sphere::EARTH_RADIUS;
    let c = v.get("coordinates")?;
    let k = kind(v)?;
    // Validate with the shape rules first.
    if polygon {
        polygons(v)?;
    } else {
        lines(v)?;
    }
    out.push_str(r#"{"type":""#);
    out.push_str(k);
    out.push_str(r#"","coordinates":"#);
    let ring = |r: &Value, o: &mut String| densify_coords(r, tol, 4, o);
    let poly = |p: &Value, o: &mut String| densify_list(p, o, ring);
    match k {
        "LineString" => densify_coords(c, tol, 2, out)?,
        "MultiLineString" => densify_list(c, out, |l, o| densify_coords(l, tol, 2, o))?,
        "Polygon" => poly(c, out)?,
        "MultiPolygon" => densify_list(c, out, poly)?,
        _ => return None,
    }
    out.push('}');
    Some(())
}

/// Douglas-Peucker on the sphere: the indexes of `pts[lo..=hi]` to keep so
/// that every dropped vertex is within `tol` radians of the kept edges.
fn dp(pts: &[V3], lo: usize, hi: usize, tol: f64, keep: &mut Vec<usize>) {
    if hi <= lo + 1 {
        return;
    }
    let (mut far, mut fd) = (lo, -1.0);
    for (k, p) in pts.iter().enumerate().take(hi).skip(lo + 1) {
        let d = super::sphere::arc_distance(*p, pts[lo], pts[hi]);
        if d > fd {
            (far, fd) = (k, d);
        }
    }
    if fd > tol {
        dp(pts, lo, far, tol, keep);
        keep.push(far);
        dp(pts, far, hi, tol, keep);
    }
}

/// The vertices of a line kept by simplification (indexes, in order).
fn simplify_line(pts: &[V3], tol: f64) -> Vec<usize> {
    let mut keep = vec![0];
    dp(pts, 0, pts.len() - 1, tol, &mut keep);
    keep.push(pts.len() - 1);
    keep
}

/// The vertices of a closed ring (without its closing vertex) kept by
/// simplification: split at the vertex farthest from the first.
fn simplify_ring(pts: &[V3], tol: f64) -> Vec<usize> {
    let far = (1..pts.len())
        .max_by(|a, b| pts[0].angle(pts[*a]).total_cmp(&pts[0].angle(pts[*b])))
        .unwrap_or(0);
    let mut closed = pts.to_vec();
    closed.push(pts[0]);
    let mut keep = vec![0];
    dp(&closed, 0, far, tol, &mut keep);
    if far > 0 {
        keep.push(far);
    }
    dp(&closed, far, pts.len(), tol, &mut keep);
    keep
}

/// Writes `[[x, y], ...]` of the kept vertices of a coordinate array (the
/// input's own numbers), closing the ring when asked.
fn write_kept(v: &Value, keep: &[usize], close: bool, out: &mut String) -> Option<()> {
    let a = v.as_array()?;
    out.push('[');
    for (n, k) in keep
        .iter()
        .chain(keep.first().filter(|_| close))
        .enumerate()
    {
        if n > 0 {
            out.push(',');
        }
        out.push_str(&a.get(*k)?.to_string());
    }
    out.push(']');
    Some(())
}

/// Appends the simplified GeoJSON of a line (or, with `polygon`, a
/// polygon); `tol` is in meters. `None` when the shape is invalid or
/// vanishes at this tolerance.
pub fn simplify(v: &Value, polygon: bool, tol: f64, out: &mut String) -> Option<()> {
    let tol = tol / super::sphere::EARTH_RADIUS;
    let c = v.get("coordinates")?;
    let k = kind(v)?;
    out.push_str(r#"{"type":""#);
    out.push_str(k);
    out.push_str(r#"","coordinates":"#);
    let line_out = |raw: &Value, pts: &[V3], o: &mut String| -> Option<()> {
        let keep = simplify_line(pts, tol);
        let len: f64 = keep.windows(2).map(|w| pts[w[0]].angle(pts[w[1]])).sum();
        (len >= tol).then_some(())?;
        write_kept(raw, &keep, false, o)
    };
    let poly_out = |raw: &Value, p: &Polygon, o: &mut String| -> Option<()> {
        o.push('[');
        let raws = raw.as_array()?;
        let raws = match raws.as_slice() {
            [inner] if inner.pointer("/0/0").is_some_and(Value::is_array) => inner.as_array()?,
            _ => raws,
        };
        for (n, (r, pts)) in raws.iter().zip(&p.rings).enumerate() {
            // Rings were read without their closing vertex and consecutive
            // duplicates; simplify the raw ring's own vertices.
            let all = coords(r)?;
            let open = &all[..all.len() - 1];
            let keep = simplify_ring(open, tol);
            let per: f64 = keep
                .iter()
                .zip(keep.iter().cycle().skip(1))
                .map(|(a, b)| open[*a].angle(open[*b]))
                .sum();
            if keep.len() < 3 || per < 3.0 * tol || pts.len() < 3 {
                if n == 0 {
                    return None;
                }
                continue;
            }
            if n > 0 {
                o.push(',');
            }
            write_kept(r, &keep, true, o)?;
        }
        o.push(']');
        Some(())
    };
    if polygon {
        let ps = polygons(v)?;
        match k {
            "Polygon" => poly_out(c, ps.first()?, out)?,
            _ => {
                out.push('[');
                for (n, (raw, p)) in c.as_array()?.iter().zip(&ps).enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    poly_out(raw, p, out)?;
                }
                out.push(']');
            }
        }
    } else {
        let ls = lines(v)?;
        match k {
            "LineString" => line_out(c, ls.0.first()?, out)?,
            _ => {
                out.push('[');
                for (n, (raw, l)) in c.as_array()?.iter().zip(&ls.0).enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    line_out(raw, l, out)?;
                }
                out.push(']');
            }
        }
    }
    out.push('}');
    Some(())
}

/// The point where arcs `a`-`b` and `c`-`d` cross, when they cross at one
/// point (not when they lie on one great circle).
pub fn crossing(a: V3, b: V3, c: V3, d: V3) -> Option<V3> {
    let x = a.cross(b).cross(c.cross(d));
    if x.norm2() < 1e-30 || !arcs_cross(a, b, c, d) {
        return None;
    }
    let x = x.normalize();
    Some(if x.dot(a.add(b)) < 0.0 {
        x.scale(-1.0)
    } else {
        x
    })
}

/// The common part of arcs `a`-`b` and `c`-`d` lying on one great circle,
/// as angles along `a`-`b` from `a`.
pub fn overlap(a: V3, b: V3, c: V3, d: V3) -> Option<(f64, f64)> {
    let n = a.cross(b);
    if n.norm2() == 0.0 {
        return None;
    }
    let n = n.normalize();
    if n.dot(c).abs() > 1e-12 || n.dot(d).abs() > 1e-12 {
        return None;
    }
    // Signed angle from a along the direction of a-b.
    let along = |p: V3| a.cross(p).dot(n).atan2(a.dot(p));
    let len = a.angle(b);
    let (tc, td) = (along(c), along(d));
    let (lo, hi) = (tc.min(td).max(0.0), tc.max(td).min(len));
    (hi >= lo).then_some((lo, hi))
}

/// The point at angle `t` along the arc from `a` towards `b`.
pub fn along_arc(a: V3, b: V3, t: f64) -> V3 {
    let n = a.cross(b).normalize();
    let dir = n.cross(a);
    a.scale(t.cos()).add(dir.scale(t.sin())).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: &str) -> Value {
        serde_json::from_str(s).expect("valid json")
    }

    #[test]
    fn polygon_rules_and_containment() {
        let p = polygons(&json(
            r#"{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[4,4],[4,6],[6,6],[6,4],[4,4]]]}"#,
        ))
        .expect("valid polygon");
        assert!(p[0].contains(V3::from_lon_lat(2.0, 2.0)));
        assert!(!p[0].contains(V3::from_lon_lat(5.0, 5.0)));
        assert!(!p[0].contains(V3::from_lon_lat(-170.0, -5.0)));
        // Two distinct vertices, an open ring, a bad coordinate.
        for bad in [
            r#"{"type":"Polygon","coordinates":[[[0,0],[10,10],[10,10],[0,0]]]}"#,
            r#"{"type":"Polygon","coordinates":[[[0,0],[10,10],[10,0],[1,1]]]}"#,
            r#"{"type":"Polygon","coordinates":[[[0,0],[10,100],[10,0],[0,0]]]}"#,
            r#"{"type":"Polygon"}"#,
        ] {
            assert!(polygons(&json(bad)).is_none(), "{bad}");
        }
    }

    #[test]
    fn arcs() {
        let v = |x, y| V3::from_lon_lat(x, y);
        assert!(arcs_cross(
            v(0.0, -1.0),
            v(0.0, 1.0),
            v(-1.0, 0.0),
            v(1.0, 0.0)
        ));
        assert!(!arcs_cross(
            v(0.0, -1.0),
            v(0.0, 1.0),
            v(2.0, 0.0),
            v(3.0, 0.0)
        ));
        // The antipodal crossing of the great circles is not on the arcs.
        assert!(!arcs_cross(
            v(179.0, -1.0),
            v(179.0, 1.0),
            v(-1.0, 0.0),
            v(1.0, 0.0)
        ));
        let x = crossing(v(0.0, -1.0), v(0.0, 1.0), v(-1.0, 0.0), v(1.0, 0.0)).expect("crosses");
        assert!(x.angle(v(0.0, 0.0)) < 1e-12);
    }
}
