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
