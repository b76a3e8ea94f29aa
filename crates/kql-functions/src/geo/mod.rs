//! Geospatial functions: geohash cells, distances, azimuths and angles on
//! Kusto's spherical Earth (radius 6,371,010 m; coordinates are WGS-84
//! longitude and latitude in degrees, longitude first, as in GeoJSON).
//! Invalid coordinates or cells give null (an empty string for functions
//! that return a cell token).

mod geohash;
mod h3;
mod s2cell;
mod shape;
mod sphere;
mod wkt;

use crate::kernel::{longs, reals, strs, sv};
use crate::typing::{sig, P};
use crate::{Arg, Category, Ctx, Example, FunctionDef};
use arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, StringBuilder};
use kql_common::KqlType;
use sphere::{valid_lat, valid_lon};
use std::fmt::Write;
use std::sync::{Arc, OnceLock};

const C: Category = Category::Geo;

/// Every geospatial function.
pub fn functions() -> &'static [&'static FunctionDef] {
    static ALL: OnceLock<Vec<&'static FunctionDef>> = OnceLock::new();
    ALL.get_or_init(|| [BASE, h3::FUNCTIONS].concat())
}
use KqlType::{Bool, Dynamic, Real, String as Str};

/// The functions of this module without the cell systems' own.
static BASE: &[&FunctionDef] = &[
    &GEO_POINT_TO_GEOHASH,
    &GEO_GEOHASH_TO_CENTRAL_POINT,
    &GEO_GEOHASH_TO_POLYGON,
    &GEO_GEOHASH_NEIGHBORS,
    &GEO_DISTANCE_2POINTS,
    &GEO_POINT_IN_CIRCLE,
    &GEO_AZIMUTH,
    &GEO_ANGLE,
    &GEO_POINT_IN_POLYGON,
    &GEO_POLYGON_AREA,
    &GEO_POLYGON_PERIMETER,
    &GEO_POLYGON_CENTROID,
    &GEO_LINE_LENGTH,
    &GEO_LINE_CENTROID,
    &GEO_DISTANCE_POINT_TO_LINE,
    &GEO_DISTANCE_POINT_TO_POLYGON,
    &GEO_POINT_TO_S2CELL,
    &GEO_S2CELL_TO_CENTRAL_POINT,
    &GEO_S2CELL_TO_POLYGON,
    &GEO_S2CELL_NEIGHBORS,
    &GEO_FROM_WKT,
    &GEO_CLOSEST_POINT_ON_LINE,
    &GEO_CLOSEST_POINT_ON_POLYGON,
    &GEO_LINE_INTERPOLATE_POINT,
    &GEO_LINE_LOCATE_POINT,
    &GEO_INTERSECTS_2LINES,
    &GEO_INTERSECTS_LINE_WITH_POLYGON,
    &GEO_INTERSECTS_2POLYGONS,
    &GEO_LINE_DENSIFY,
    &GEO_POLYGON_DENSIFY,
    &GEO_LINE_SIMPLIFY,
    &GEO_POLYGON_SIMPLIFY,
    &GEO_INTERSECTION_2LINES,
    &GEO_INTERSECTION_LINE_WITH_POLYGON,
    &GEO_UNION_LINES_ARRAY,
    &GEO_POINT_BUFFER,
    &GEO_POLYGON_TO_S2CELLS,
    &GEO_LINE_TO_S2CELLS,
];

/// Appends a number as JSON text (as `dynamic` values print numbers).
/// Whole numbers are written without a fraction, as Kusto writes them.
fn push_num(out: &mut String, v: f64) {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(out, "{}", v as i64);
        return;
    }
    match serde_json::Number::from_f64(v) {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.push_str("null"),
    }
}

/// Appends `[lon,lat]`.
fn push_coord(out: &mut String, lon: f64, lat: f64) {
    out.push('[');
    push_num(out, lon);
    out.push(',');
    push_num(out, lat);
    out.push(']');
}

/// Appends a GeoJSON point.
fn push_point(out: &mut String, lon: f64, lat: f64) {
    out.push_str(r#"{"type":"Point","coordinates":"#);
    push_coord(out, lon, lat);
    out.push('}');
}

/// Appends a GeoJSON polygon with one ring (closed by repeating its first
/// vertex).
fn push_ring_polygon(out: &mut String, ring: &[(f64, f64)]) {
    out.push_str(r#"{"type":"Polygon","coordinates":[["#);
    for (i, &(x, y)) in ring.iter().chain(ring.first()).enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_coord(out, x, y);
    }
    out.push_str("]]}");
}

/// The value of row `i` of a real argument, if valid.
fn real_at(a: &Float64Array, i: usize) -> Option<f64> {
    a.is_valid(i).then(|| a.value(i))
}

/// A point from two real arguments, when both are valid coordinates.
fn point_at(lon: &Float64Array, lat: &Float64Array, i: usize) -> Option<(f64, f64)> {
    let (x, y) = (real_at(lon, i)?, real_at(lat, i)?);
    (valid_lon(x) && valid_lat(y)).then_some((x, y))
}

/// The points of `n` (longitude, latitude) argument pairs.
fn point_args(args: &[Arg], n: usize) -> Result<Vec<(&Float64Array, &Float64Array)>, String> {
    (0..n)
        .map(|k| Ok((reals(args, 2 * k)?, reals(args, 2 * k + 1)?)))
        .collect()
}

/// A real per row from `n` points.
fn points_to_real(
    ctx: &Ctx,
    args: &[Arg],
    n: usize,
    f: impl Fn(&[(f64, f64)]) -> Option<f64>,
) -> Result<ArrayRef, String> {
    let cols = point_args(args, n)?;
    let mut pts = Vec::with_capacity(n);
    let out: Float64Array = (0..ctx.len)
        .map(|i| {
            pts.clear();
            for (lon, lat) in &cols {
                pts.push(point_at(lon, lat, i)?);
            }
            f(&pts)
        })
        .collect();
    Ok(Arc::new(out))
}

/// A dynamic (JSON text, or null when `f` returns false) per row of a
/// string argument.
fn str_to_geo(
    ctx: &Ctx,
    args: &[Arg],
    f: impl Fn(&str, &mut String) -> bool,
) -> Result<ArrayRef, String> {
    let a = strs(args, 0)?;
    let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 64);
    let mut buf = String::new();
    for i in 0..ctx.len {
        buf.clear();
        if f(sv(a, i), &mut buf) {
            b.append_value(&buf);
        } else {
            b.append_null();
        }
    }
    Ok(Arc::new(b.finish()))
}

static GEO_POINT_TO_GEOHASH: FunctionDef = FunctionDef::new(
    "geo_point_to_geohash",
    C,
    "geo_point_to_geohash(longitude: real, latitude: real, [accuracy: long]): string",
    "The geohash of a point, `accuracy` (1 to 18, default 5) characters long; an empty string for invalid coordinates or accuracy.",
    |a| sig("geo_point_to_geohash", a, 2, &[P::Real, P::Real, P::Long], Str),
    |ctx, args| {
        let (lon, lat) = (reals(args, 0)?, reals(args, 1)?);
        let acc = if args.len() > 2 { Some(longs(args, 2)?) } else { None };
        let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 8);
        let mut buf = String::new();
        for i in 0..ctx.len {
            buf.clear();
            let n = match acc {
                None => Some(5),
                Some(a) => a.is_valid(i).then(|| a.value(i)),
            };
            if let (Some(n), Some((x, y))) = (n, point_at(lon, lat, i)) {
                if (1..=geohash::MAX_ACCURACY).contains(&n) {
                    geohash::encode(x, y, n as usize, &mut buf);
                }
            }
            b.append_value(&buf);
        }
        Ok(Arc::new(b.finish()))
    },
)
.examples(&[Example {
    query: "print a = geo_point_to_geohash(139.806115, 35.554128, 12), b = geo_point_to_geohash(-122.303404, 47.570482), c = geo_point_to_geohash(200, 1, 8)",
    output: "a,b,c\nxn76m27ty9g4,c23n8,",
}]);

static GEO_GEOHASH_TO_CENTRAL_POINT: FunctionDef = FunctionDef::new(
    "geo_geohash_to_central_point",
    C,
    "geo_geohash_to_central_point(geohash: string): dynamic",
    "The center of a geohash cell as a GeoJSON point; null when the text is not a geohash.",
    |a| sig("geo_geohash_to_central_point", a, 1, &[P::Str], Dynamic),
    |ctx, args| {
        str_to_geo(ctx, args, |h, out| match geohash::decode(h) {
            Some([x0, y0, x1, y1]) => {
                push_point(out, (x0 + x1) / 2.0, (y0 + y1) / 2.0);
                true
            }
            None => false,
        })
    },
)
.examples(&[Example {
    query: "print p = geo_geohash_to_central_point('sunny'), bad = isnull(geo_geohash_to_central_point('a'))",
    output: "p,bad\n\"{\"\"type\"\":\"\"Point\"\",\"\"coordinates\"\":[42.47314453125,23.70849609375]}\",true",
}]);

static GEO_GEOHASH_TO_POLYGON: FunctionDef = FunctionDef::new(
    "geo_geohash_to_polygon",
    C,
    "geo_geohash_to_polygon(geohash: string): dynamic",
    "The rectangle of a geohash cell as a GeoJSON polygon (counterclockwise from the south-west corner); null when the text is not a geohash.",
    |a| sig("geo_geohash_to_polygon", a, 1, &[P::Str], Dynamic),
    |ctx, args| {
        str_to_geo(ctx, args, |h, out| match geohash::decode(h) {
            Some([x0, y0, x1, y1]) => {
                push_ring_polygon(out, &[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]);
                true
            }
            None => false,
        })
    },
)
.examples(&[Example {
    query: "print p = geo_geohash_to_polygon('dr5ru')",
    output: "p\n\"{\"\"type\"\":\"\"Polygon\"\",\"\"coordinates\"\":[[[-74.00390625,40.7373046875],[-73.9599609375,40.7373046875],[-73.9599609375,40.78125],[-74.00390625,40.78125],[-74.00390625,40.7373046875]]]}\"",
}]);

static GEO_GEOHASH_NEIGHBORS: FunctionDef = FunctionDef::new(
    "geo_geohash_neighbors",
    C,
    "geo_geohash_neighbors(geohash: string): dynamic",
    "The geohashes of the same length around a geohash cell, as an array (fewer than 8 next to a pole); null when the text is not a geohash.",
    |a| sig("geo_geohash_neighbors", a, 1, &[P::Str], Dynamic),
    |ctx, args| {
        str_to_geo(ctx, args, |h, out| match geohash::neighbors(h) {
            Some(cells) => {
                out.push('[');
                for (i, c) in cells.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "\"{c}\"");
                }
                out.push(']');
                true
            }
            None => false,
        })
    },
)
.examples(&[Example {
    query: "print n = geo_geohash_neighbors('sunny')",
    output: "n\n\"[\"\"sunnt\"\",\"\"sunpj\"\",\"\"sunnx\"\",\"\"sunpn\"\",\"\"sunnv\"\",\"\"sunpp\"\",\"\"sunnz\"\",\"\"sunnw\"\"]\"",
}]);

static GEO_DISTANCE_2POINTS: FunctionDef = FunctionDef::new(
    "geo_distance_2points",
    C,
    "geo_distance_2points(p1_longitude: real, p1_latitude: real, p2_longitude: real, p2_latitude: real): real",
    "The shortest distance in meters between two points on Earth; null for invalid coordinates.",
    |a| sig("geo_distance_2points", a, 4, &[P::Real; 4], Real),
    |ctx, args| {
        points_to_real(ctx, args, 2, |p| {
            Some(sphere::distance(p[0].0, p[0].1, p[1].0, p[1].1))
        })
    },
)
.notes("The Earth is the sphere Kusto documents for its geospatial functions, of radius 6,371,010 m.")
.examples(&[Example {
    query: "print d = round(geo_distance_2points(-122.407628, 47.578557, -118.275287, 34.019056), 4), bad = geo_distance_2points(300, 1, 1, 1)",
    output: "d,bad\n1546754.352,",
}]);

static GEO_POINT_IN_CIRCLE: FunctionDef = FunctionDef::new(
    "geo_point_in_circle",
    C,
    "geo_point_in_circle(p_longitude: real, p_latitude: real, pc_longitude: real, pc_latitude: real, c_radius: real): bool",
    "Whether a point is within `c_radius` meters of the circle's center; null for invalid coordinates or a negative radius.",
    |a| sig("geo_point_in_circle", a, 5, &[P::Real; 5], Bool),
    |ctx, args| {
        let cols = point_args(args, 2)?;
        let r = reals(args, 4)?;
        let out: BooleanArray = (0..ctx.len)
            .map(|i| {
                let (x, y) = point_at(cols[0].0, cols[0].1, i)?;
                let (cx, cy) = point_at(cols[1].0, cols[1].1, i)?;
                let r = real_at(r, i).filter(|r| *r >= 0.0)?;
                Some(sphere::distance(x, y, cx, cy) <= r)
            })
            .collect();
        Ok(Arc::new(out))
    },
)
.examples(&[Example {
    query: "print a = geo_point_in_circle(-122.143564, 47.535677, -122.100896, 47.527351, 3500), b = geo_point_in_circle(-122.137575, 47.630683, -122.100896, 47.527351, 3500), c = geo_point_in_circle(1, 1, 1, 1, -1)",
    output: "a,b,c\ntrue,false,",
}]);

static GEO_AZIMUTH: FunctionDef = FunctionDef::new(
    "geo_azimuth",
    C,
    "geo_azimuth(p1_longitude: real, p1_latitude: real, p2_longitude: real, p2_latitude: real): real",
    "The clockwise angle in radians from true north to the line from the first point to the second, in [0, 2π); null for invalid coordinates or equal or antipodal points.",
    |a| sig("geo_azimuth", a, 4, &[P::Real; 4], Real),
    |ctx, args| {
        points_to_real(ctx, args, 2, |p| {
            sphere::azimuth(p[0].0, p[0].1, p[1].0, p[1].1)
        })
    },
)
.examples(&[Example {
    query: "print a = round(degrees(geo_azimuth(5, 10, 10, -40)), 6), same = isnull(geo_azimuth(5, 10, 5, 10))",
    output: "a,same\n175.015654,true",
}]);

static GEO_ANGLE: FunctionDef = FunctionDef::new(
    "geo_angle",
    C,
    "geo_angle(p1_longitude: real, p1_latitude: real, p2_longitude: real, p2_latitude: real, p3_longitude: real, p3_latitude: real): real",
    "The clockwise angle in radians, in [0, 2π), from the line [p1, p2] to the line [p2, p3]; null for invalid coordinates or when p2 equals (or is antipodal to) p1 or p3.",
    |a| sig("geo_angle", a, 6, &[P::Real; 6], Real),
    |ctx, args| {
        points_to_real(ctx, args, 3, |p| {
            let a = sphere::azimuth(p[1].0, p[1].1, p[0].0, p[0].1)?;
            let b = sphere::azimuth(p[1].0, p[1].1, p[2].0, p[2].1)?;
            let t = (b - a).rem_euclid(std::f64::consts::TAU);
            Some(if t >= std::f64::consts::TAU { 0.0 } else { t })
        })
    },
)
.examples(&[Example {
    query: "print a = round(degrees(geo_angle(0, 10, 0, 5, 3, -10)), 6), same = isnull(geo_angle(0, 10, 0, 10, 3, -10))",
    output: "a,same\n168.732543,true",
}]);

/// Parses the shape in row `i` of a dynamic argument, reusing the previous
/// row's shape when the text is the same (a constant shape is parsed once).
struct ShapeCache<'a, T> {
    col: &'a arrow::array::StringArray,
    parse: fn(&serde_json::Value) -> Option<T>,
    last: Option<(usize, Option<T>)>,
}

impl<'a, T> ShapeCache<'a, T> {
    fn new(
        args: &'a [Arg],
        i: usize,
        parse: fn(&serde_json::Value) -> Option<T>,
    ) -> Result<Self, String> {
        Ok(ShapeCache {
            col: strs(args, i)?,
            parse,
            last: None,
        })
    }

    fn get(&mut self, i: usize) -> Option<&T> {
        if self.col.is_null(i) {
            return None;
        }
        let same = match &self.last {
            Some((j, _)) => self.col.value(*j) == self.col.value(i),
            None => false,
        };
        if !same {
            let v = serde_json::from_str::<serde_json::Value>(self.col.value(i)).ok();
            self.last = Some((i, v.as_ref().and_then(self.parse)));
        }
        self.last.as_ref().and_then(|(_, s)| s.as_ref())
    }
}

/// A real per row from a shape argument (argument `k`).
fn shape_to_real<T>(
    ctx: &Ctx,
    args: &[Arg],
    k: usize,
    parse: fn(&serde_json::Value) -> Option<T>,
    f: impl Fn(&T) -> Option<f64>,
) -> Result<ArrayRef, String> {
    let mut cache = ShapeCache::new(args, k, parse)?;
    let out: Float64Array = (0..ctx.len).map(|i| cache.get(i).and_then(&f)).collect();
    Ok(Arc::new(out))
}

/// A dynamic point per row from a shape argument: the normalized direction
/// `f` returns (null when it is zero).
fn shape_to_point<T>(
    ctx: &Ctx,
    args: &[Arg],
    parse: fn(&serde_json::Value) -> Option<T>,
    f: impl Fn(&T) -> sphere::V3,
) -> Result<ArrayRef, String> {
    let mut cache = ShapeCache::new(args, 0, parse)?;
    let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 64);
    let mut buf = String::new();
    for i in 0..ctx.len {
        let v = cache.get(i).map(&f).filter(|v| v.norm2() > 0.0);
        match v {
            Some(v) => {
                buf.clear();
                let (lon, lat) = v.normalize().lon_lat();
                push_point(&mut buf, lon, lat);
                b.append_value(&buf);
            }
            None => b.append_null(),
        }
    }
    Ok(Arc::new(b.finish()))
}

/// A value per row from a point (arguments 0 and 1) and a shape (argument 2).
fn point_shape<T, R>(
    ctx: &Ctx,
    args: &[Arg],
    parse: fn(&serde_json::Value) -> Option<T>,
    f: impl Fn(sphere::V3, &T) -> Option<R>,
) -> Result<Vec<Option<R>>, String> {
    let (lon, lat) = (reals(args, 0)?, reals(args, 1)?);
    let mut cache = ShapeCache::new(args, 2, parse)?;
    Ok((0..ctx.len)
        .map(|i| {
            let (x, y) = point_at(lon, lat, i)?;
            let s = cache.get(i)?;
            f(sphere::V3::from_lon_lat(x, y), s)
        })
        .collect())
}

const POLYGON_RULES: &str = "A polygon is GeoJSON `{\"type\": \"Polygon\", \"coordinates\": [shell, hole, ...]}` or a `MultiPolygon` of such coordinate arrays; each ring is closed (its last vertex repeats the first), has at least three distinct vertices with valid coordinates, and bounds the smaller of the two regions it divides the sphere into; edges are geodesics. Shells whose vertices do not all fit in one hemisphere are not supported (null).";

static GEO_POINT_IN_POLYGON: FunctionDef = FunctionDef::new(
    "geo_point_in_polygon",
    C,
    "geo_point_in_polygon(longitude: real, latitude: real, polygon: dynamic): bool",
    "Whether a point is inside a polygon or multipolygon (inside a shell and outside its holes); null for invalid coordinates or an invalid polygon.",
    |a| sig("geo_point_in_polygon", a, 3, &[P::Real, P::Real, P::Dyn], Bool),
    |ctx, args| {
        let v = point_shape(ctx, args, shape::polygons, |p, ps| {
            Some(ps.iter().any(|poly| poly.contains(p)))
        })?;
        Ok(Arc::new(v.into_iter().collect::<BooleanArray>()))
    },
)
.notes(POLYGON_RULES)
.examples(&[Example {
    query: "let p = dynamic({\"type\":\"Polygon\",\"coordinates\":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[4,4],[4,6],[6,6],[6,4],[4,4]]]});\nprint a = geo_point_in_polygon(2, 2, p), hole = geo_point_in_polygon(5, 5, p), out = geo_point_in_polygon(12, 5, p), bad = geo_point_in_polygon(200, 1, p)",
    output: "a,hole,out,bad\ntrue,false,false,",
}]);

static GEO_POLYGON_AREA: FunctionDef = FunctionDef::new(
    "geo_polygon_area",
    C,
    "geo_polygon_area(polygon: dynamic): real",
    "The area of a polygon or multipolygon in square meters; null for an invalid polygon.",
    |a| sig("geo_polygon_area", a, 1, &[P::Dyn], Real),
    |ctx, args| {
        shape_to_real(ctx, args, 0, shape::polygons, |ps| {
            let r2 = sphere::EARTH_RADIUS * sphere::EARTH_RADIUS;
            Some(ps.iter().map(|p| p.area()).sum::<f64>() * r2)
        })
    },
)
.notes(POLYGON_RULES)
.examples(&[Example {
    query: "print a = round(geo_polygon_area(dynamic({\"type\":\"Polygon\",\"coordinates\":[[[-73.9495,40.7969],[-73.95807266235352,40.80068603561921],[-73.98201942443848,40.76825672305777],[-73.97317886352539,40.76455136505513],[-73.9495,40.7969]]]})), 2)",
    output: "a\n3475207.28",
}]);

static GEO_POLYGON_PERIMETER: FunctionDef = FunctionDef::new(
    "geo_polygon_perimeter",
    C,
    "geo_polygon_perimeter(polygon: dynamic): real",
    "The length in meters of the boundary (every ring) of a polygon or multipolygon; null for an invalid polygon.",
    |a| sig("geo_polygon_perimeter", a, 1, &[P::Dyn], Real),
    |ctx, args| {
        shape_to_real(ctx, args, 0, shape::polygons, |ps| {
            let rad: f64 = ps.iter().flat_map(|p| p.edges()).map(|(a, b)| a.angle(b)).sum();
            Some(rad * sphere::EARTH_RADIUS)
        })
    },
)
.notes(POLYGON_RULES)
.examples(&[Example {
    query: "print p = round(geo_polygon_perimeter(dynamic({\"type\":\"Polygon\",\"coordinates\":[[[-73.9495,40.7969],[-73.95807266235352,40.80068603561921],[-73.98201942443848,40.76825672305777],[-73.97317886352539,40.76455136505513],[-73.9495,40.7969]]]})), 2)",
    output: "p\n9930.3",
}]);

static GEO_POLYGON_CENTROID: FunctionDef = FunctionDef::new(
    "geo_polygon_centroid",
    C,
    "geo_polygon_centroid(polygon: dynamic): dynamic",
    "The centroid of a polygon or multipolygon on the sphere, as a GeoJSON point; null for an invalid polygon.",
    |a| sig("geo_polygon_centroid", a, 1, &[P::Dyn], Dynamic),
    |ctx, args| {
        shape_to_point(ctx, args, shape::polygons, |ps| {
            ps.iter()
                .fold(sphere::V3::new(0.0, 0.0, 0.0), |s, p| s.add(p.centroid_sum()))
        })
    },
)
.notes(POLYGON_RULES)
.examples(&[Example {
    query: "let c = geo_polygon_centroid(dynamic({\"type\":\"Polygon\",\"coordinates\":[[[-73.9495,40.7969],[-73.95807266235352,40.80068603561921],[-73.98201942443848,40.76825672305777],[-73.97317886352539,40.76455136505513],[-73.9495,40.7969]]]}));\nprint lng = round(todouble(c.coordinates[0]), 6), lat = round(todouble(c.coordinates[1]), 6)",
    output: "lng,lat\n-73.965736,40.782551",
}]);

static GEO_LINE_LENGTH: FunctionDef = FunctionDef::new(
    "geo_line_length",
    C,
    "geo_line_length(lineString: dynamic): real",
    "The length in meters of a GeoJSON `LineString` or `MultiLineString` (each line at least two valid vertices; edges are geodesics); null for an invalid line.",
    |a| sig("geo_line_length", a, 1, &[P::Dyn], Real),
    |ctx, args| {
        shape_to_real(ctx, args, 0, shape::lines, |l| {
            Some(l.edges().map(|(a, b)| a.angle(b)).sum::<f64>() * sphere::EARTH_RADIUS)
        })
    },
)
.examples(&[Example {
    query: "print l = round(geo_line_length(dynamic({\"type\":\"LineString\",\"coordinates\":[[-73.95807266235352,40.800426144169315],[-73.94966125488281,40.79691751000055],[-73.97317886352539,40.764486356930334]]})), 2), bad = isnull(geo_line_length(dynamic({\"type\":\"LineString\",\"coordinates\":[[1, 1]]})))",
    output: "l,bad\n4922.48,true",
}]);

static GEO_LINE_CENTROID: FunctionDef = FunctionDef::new(
    "geo_line_centroid",
    C,
    "geo_line_centroid(lineString: dynamic): dynamic",
    "The centroid of a `LineString` or `MultiLineString` on the sphere (its edges' midpoints weighted by length), as a GeoJSON point; null for an invalid line.",
    |a| sig("geo_line_centroid", a, 1, &[P::Dyn], Dynamic),
    |ctx, args| {
        shape_to_point(ctx, args, shape::lines, |l| {
            l.edges()
                .fold(sphere::V3::new(0.0, 0.0, 0.0), |s, (a, b)| s.add(shape::arc_centroid(a, b)))
        })
    },
)
.examples(&[Example {
    query: "let c = geo_line_centroid(dynamic({\"type\":\"LineString\",\"coordinates\":[[-73.95796, 40.80042], [-73.97317, 40.764486]]}));\nprint lng = round(todouble(c.coordinates[0]), 6), lat = round(todouble(c.coordinates[1]), 6)",
    output: "lng,lat\n-73.965567,40.782453",
}]);

static GEO_DISTANCE_POINT_TO_LINE: FunctionDef = FunctionDef::new(
    "geo_distance_point_to_line",
    C,
    "geo_distance_point_to_line(longitude: real, latitude: real, lineString: dynamic): real",
    "The shortest distance in meters from a point to a `LineString` or `MultiLineString`; null for invalid coordinates or an invalid line.",
    |a| sig("geo_distance_point_to_line", a, 3, &[P::Real, P::Real, P::Dyn], Real),
    |ctx, args| {
        let v = point_shape(ctx, args, shape::lines, |p, l| {
            l.edges()
                .map(|(a, b)| sphere::arc_distance(p, a, b))
                .reduce(f64::min)
                .map(|d| d * sphere::EARTH_RADIUS)
        })?;
        Ok(Arc::new(v.into_iter().collect::<Float64Array>()))
    },
)
.examples(&[Example {
    query: "print d = round(geo_distance_point_to_line(1, 1, dynamic({\"type\":\"LineString\",\"coordinates\":[[0,0],[2,0]]})), 1)",
    output: "d\n111195.1",
}]);

static GEO_DISTANCE_POINT_TO_POLYGON: FunctionDef = FunctionDef::new(
    "geo_distance_point_to_polygon",
    C,
    "geo_distance_point_to_polygon(longitude: real, latitude: real, polygon: dynamic): real",
    "The shortest distance in meters from a point to a polygon or multipolygon: 0 inside it; null for invalid coordinates or an invalid polygon.",
    |a| sig("geo_distance_point_to_polygon", a, 3, &[P::Real, P::Real, P::Dyn], Real),
    |ctx, args| {
        let v = point_shape(ctx, args, shape::polygons, |p, ps| {
            if ps.iter().any(|poly| poly.contains(p)) {
                return Some(0.0);
            }
            ps.iter()
                .flat_map(|poly| poly.edges())
                .map(|(a, b)| sphere::arc_distance(p, a, b))
                .reduce(f64::min)
                .map(|d| d * sphere::EARTH_RADIUS)
        })?;
        Ok(Arc::new(v.into_iter().collect::<Float64Array>()))
    },
)
.notes(POLYGON_RULES)
.examples(&[Example {
    query: "let p = dynamic({\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]});\nprint inside = geo_distance_point_to_polygon(0.5, 0.5, p), d = round(geo_distance_point_to_polygon(2, 0.5, p), 1)",
    output: "inside,d\n0.0,111190.9",
}]);

static GEO_POINT_TO_S2CELL: FunctionDef = FunctionDef::new(
    "geo_point_to_s2cell",
    C,
    "geo_point_to_s2cell(longitude: real, latitude: real, [level: long]): string",
    "The S2 cell token of a point at `level` (0 to 30, default 11); an empty string for invalid coordinates or level.",
    |a| sig("geo_point_to_s2cell", a, 2, &[P::Real, P::Real, P::Long], Str),
    |ctx, args| {
        let (lon, lat) = (reals(args, 0)?, reals(args, 1)?);
        let lvl = if args.len() > 2 { Some(longs(args, 2)?) } else { None };
        let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 8);
        for i in 0..ctx.len {
            let n = match lvl {
                None => Some(11),
                Some(a) => a.is_valid(i).then(|| a.value(i)),
            };
            match (n.filter(|n| (0..=s2cell::MAX_LEVEL).contains(n)), point_at(lon, lat, i)) {
                (Some(n), Some((x, y))) => b.append_value(s2cell::token(s2cell::from_lon_lat(x, y, n))),
                _ => b.append_value(""),
            }
        }
        Ok(Arc::new(b.finish()))
    },
)
.examples(&[Example {
    query: "print a = geo_point_to_s2cell(-80.195829, 25.802215, 8), b = geo_point_to_s2cell(10.1234, 53), c = geo_point_to_s2cell(1, 1, 35)",
    output: "a,b,c\n88d9b,47b1ccc,",
}]);

static GEO_S2CELL_TO_CENTRAL_POINT: FunctionDef = FunctionDef::new(
    "geo_s2cell_to_central_point",
    C,
    "geo_s2cell_to_central_point(s2cell: string): dynamic",
    "The center of an S2 cell as a GeoJSON point; null for an invalid cell token.",
    |a| sig("geo_s2cell_to_central_point", a, 1, &[P::Str], Dynamic),
    |ctx, args| {
        str_to_geo(ctx, args, |t, out| match s2cell::parse_token(t) {
            Some(id) => {
                let (x, y) = s2cell::center(id);
                push_point(out, x, y);
                true
            }
            None => false,
        })
    },
)
.examples(&[Example {
    query: "let p = geo_s2cell_to_central_point('1234567');\nprint lng = round(todouble(p.coordinates[0]), 6), lat = round(todouble(p.coordinates[1]), 6), bad = isnull(geo_s2cell_to_central_point('a'))",
    output: "lng,lat,bad\n9.868307,27.468393,true",
}]);

static GEO_S2CELL_TO_POLYGON: FunctionDef = FunctionDef::new(
    "geo_s2cell_to_polygon",
    C,
    "geo_s2cell_to_polygon(s2cell: string): dynamic",
    "The four corners of an S2 cell as a GeoJSON polygon (its edges are geodesics); null for an invalid cell token.",
    |a| sig("geo_s2cell_to_polygon", a, 1, &[P::Str], Dynamic),
    |ctx, args| {
        str_to_geo(ctx, args, |t, out| match s2cell::parse_token(t) {
            Some(id) => {
                push_ring_polygon(out, &s2cell::vertices(id));
                true
            }
            None => false,
        })
    },
)
.examples(&[Example {
    query: "let p = geo_s2cell_to_polygon('89c259');\nprint lng = round(todouble(p.coordinates[0][0][0]), 6), lat = round(todouble(p.coordinates[0][0][1]), 6)",
    output: "lng,lat\n-74.030012,40.801268",
}]);

static GEO_S2CELL_NEIGHBORS: FunctionDef = FunctionDef::new(
    "geo_s2cell_neighbors",
    C,
    "geo_s2cell_neighbors(s2cell: string): dynamic",
    "The S2 cells of the same level around an S2 cell (edge and corner neighbors), as an array; null for an invalid cell token.",
    |a| sig("geo_s2cell_neighbors", a, 1, &[P::Str], Dynamic),
    |ctx, args| {
        str_to_geo(ctx, args, |t, out| match s2cell::parse_token(t) {
            Some(id) => {
                out.push('[');
                for (n, c) in s2cell::neighbors(id).into_iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "\"{}\"", s2cell::token(c));
                }
                out.push(']');
                true
            }
            None => false,
        })
    },
)
.examples(&[Example {
    query: "print n = geo_s2cell_neighbors('89c259')",
    output: "n\n\"[\"\"89c2f9\"\",\"\"89c251\"\",\"\"89c257\"\",\"\"89c25f\"\",\"\"89c2f7\"\",\"\"89c25b\"\",\"\"89c2f5\"\",\"\"89c25d\"\"]\"",
}]);

static GEO_FROM_WKT: FunctionDef = FunctionDef::new(
    "geo_from_wkt",
    C,
    "geo_from_wkt(wkt: string): dynamic",
    "The GeoJSON geometry of a well-known text (WKT) `POINT`, `LINESTRING`, `POLYGON`, `MULTIPOINT`, `MULTILINESTRING`, `MULTIPOLYGON` or `GEOMETRYCOLLECTION` (two dimensions, longitude first); null when the text is not one or a coordinate is invalid.",
    |a| sig("geo_from_wkt", a, 1, &[P::Str], Dynamic),
    |ctx, args| str_to_geo(ctx, args, |t, out| wkt::to_geojson(t, out).is_some()),
)
.examples(&[Example {
    query: "print a = geo_from_wkt('LINESTRING (1 2, 3 4)'), bad = isnull(geo_from_wkt('LINESTRING'))",
    output: "a,bad\n\"{\"\"type\"\":\"\"LineString\"\",\"\"coordinates\"\":[[1,2],[3,4]]}\",true",
}]);

/// A dynamic point per row (null when `f` gives nothing).
fn points_to_dyn(v: Vec<Option<sphere::V3>>) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(v.len(), v.len() * 48);
    let mut buf = String::new();
    for p in v {
        match p {
            Some(p) => {
                buf.clear();
                let (x, y) = p.lon_lat();
                push_point(&mut buf, x, y);
                b.append_value(&buf);
            }
            None => b.append_null(),
        }
    }
    Arc::new(b.finish())
}

/// The point of `lines` closest to `p`.
fn closest_on_edges(
    p: sphere::V3,
    edges: impl Iterator<Item = (sphere::V3, sphere::V3)>,
) -> Option<sphere::V3> {
    edges
        .map(|(a, b)| sphere::closest_on_arc(p, a, b))
        .min_by(|x, y| p.angle(*x).total_cmp(&p.angle(*y)))
}

static GEO_CLOSEST_POINT_ON_LINE: FunctionDef = FunctionDef::new(
    "geo_closest_point_on_line",
    C,
    "geo_closest_point_on_line(longitude: real, latitude: real, lineString: dynamic): dynamic",
    "The point of a `LineString` or `MultiLineString` closest to the given point, as a GeoJSON point; null for invalid coordinates or an invalid line.",
    |a| sig("geo_closest_point_on_line", a, 3, &[P::Real, P::Real, P::Dyn], Dynamic),
    |ctx, args| {
        let v = point_shape(ctx, args, shape::lines, |p, l| closest_on_edges(p, l.edges()))?;
        Ok(points_to_dyn(v))
    },
)
.examples(&[Example {
    query: "print p = geo_closest_point_on_line(1, 5, dynamic({\"type\":\"LineString\",\"coordinates\":[[0,0],[2,0]]}))",
    output: "p\n\"{\"\"type\"\":\"\"Point\"\",\"\"coordinates\"\":[1,0]}\"",
}]);

static GEO_CLOSEST_POINT_ON_POLYGON: FunctionDef = FunctionDef::new(
    "geo_closest_point_on_polygon",
    C,
    "geo_closest_point_on_polygon(longitude: real, latitude: real, polygon: dynamic): dynamic",
    "The point of a polygon or multipolygon closest to the given point (the point itself when it is inside), as a GeoJSON point; null for invalid coordinates or an invalid polygon.",
    |a| sig("geo_closest_point_on_polygon", a, 3, &[P::Real, P::Real, P::Dyn], Dynamic),
    |ctx, args| {
        let v = point_shape(ctx, args, shape::polygons, |p, ps| {
            if ps.iter().any(|poly| poly.contains(p)) {
                return Some(p);
            }
            closest_on_edges(p, ps.iter().flat_map(|poly| poly.edges()))
        })?;
        Ok(points_to_dyn(v))
    },
)
.notes(POLYGON_RULES)
.examples(&[Example {
    query: "let p = dynamic({\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]});\nprint inside = geo_closest_point_on_polygon(0.5, 0.5, p), lat = round(todouble(geo_closest_point_on_polygon(0.5, -3, p).coordinates[1]), 9)",
    output: "inside,lat\n\"{\"\"type\"\":\"\"Point\"\",\"\"coordinates\"\":[0.5,0.5]}\",0.0",
}]);

/// Spherical interpolation from `a` to `b` by fraction `t` of the arc.
fn slerp(a: sphere::V3, b: sphere::V3, t: f64) -> sphere::V3 {
    let w = a.angle(b);
    if w == 0.0 {
        return a;
    }
    let (s, k0, k1) = (w.sin(), ((1.0 - t) * w).sin(), (t * w).sin());
    a.scale(k0 / s).add(b.scale(k1 / s)).normalize()
}

static GEO_LINE_INTERPOLATE_POINT: FunctionDef = FunctionDef::new(
    "geo_line_interpolate_point",
    C,
    "geo_line_interpolate_point(lineString: dynamic, fraction: real): dynamic",
    "The point at `fraction` (0 to 1) of a `LineString`'s length from its start, as a GeoJSON point; null for an invalid line or fraction.",
    |a| sig("geo_line_interpolate_point", a, 2, &[P::Dyn, P::Real], Dynamic),
    |ctx, args| {
        let f = reals(args, 1)?;
        let mut cache = ShapeCache::new(args, 0, shape::line_string)?;
        let v = (0..ctx.len)
            .map(|i| {
                let t = real_at(f, i).filter(|t| (0.0..=1.0).contains(t))?;
                let line = cache.get(i)?;
                let total: f64 = line.windows(2).map(|w| w[0].angle(w[1])).sum();
                let mut left = t * total;
                for w in line.windows(2) {
                    let len = w[0].angle(w[1]);
                    if left <= len && len > 0.0 {
                        return Some(slerp(w[0], w[1], left / len));
                    }
                    left -= len;
                }
                line.last().copied()
            })
            .collect();
        Ok(points_to_dyn(v))
    },
)
.examples(&[Example {
    query: "print p = geo_line_interpolate_point(dynamic({\"type\":\"LineString\",\"coordinates\":[[0,0],[0,10]]}), 0.5)",
    output: "p\n\"{\"\"type\"\":\"\"Point\"\",\"\"coordinates\"\":[0,5]}\"",
}]);

static GEO_LINE_LOCATE_POINT: FunctionDef = FunctionDef::new(
    "geo_line_locate_point",
    C,
    "geo_line_locate_point(lineString: dynamic, longitude: real, latitude: real): real",
    "The fraction (0 to 1) of a `LineString`'s length from its start to the line's point closest to the given point; null for an invalid line or coordinates.",
    |a| sig("geo_line_locate_point", a, 3, &[P::Dyn, P::Real, P::Real], Real),
    |ctx, args| {
        let (lon, lat) = (reals(args, 1)?, reals(args, 2)?);
        let mut cache = ShapeCache::new(args, 0, shape::line_string)?;
        let out: Float64Array = (0..ctx.len)
            .map(|i| {
                let (x, y) = point_at(lon, lat, i)?;
                let p = sphere::V3::from_lon_lat(x, y);
                let line = cache.get(i)?;
                let mut best = (f64::INFINITY, 0.0);
                let mut walked = 0.0;
                for w in line.windows(2) {
                    let q = sphere::closest_on_arc(p, w[0], w[1]);
                    let d = p.angle(q);
                    if d < best.0 {
                        best = (d, walked + w[0].angle(q));
                    }
                    walked += w[0].angle(w[1]);
                }
                Some(if walked > 0.0 { best.1 / walked } else { 0.0 })
            })
            .collect();
        Ok(Arc::new(out))
    },
)
.examples(&[Example {
    query: "print f = round(geo_line_locate_point(dynamic({\"type\":\"LineString\",\"coordinates\":[[0,0],[0,10]]}), 1, 2.5), 6)",
    output: "f\n0.250038",
}]);

/// Reads both shapes of a two-shape predicate and applies `f`.
fn two_shapes<A, B>(
    ctx: &Ctx,
    args: &[Arg],
    pa: fn(&serde_json::Value) -> Option<A>,
    pb: fn(&serde_json::Value) -> Option<B>,
    f: impl Fn(&A, &B) -> bool,
) -> Result<ArrayRef, String> {
    let mut ca = ShapeCache::new(args, 0, pa)?;
    let mut cb = ShapeCache::new(args, 1, pb)?;
    let out: BooleanArray = (0..ctx.len)
        .map(|i| {
            let a = ca.get(i)?;
            let b = cb.get(i)?;
            Some(f(a, b))
        })
        .collect();
    Ok(Arc::new(out))
}

static GEO_INTERSECTS_2LINES: FunctionDef = FunctionDef::new(
    "geo_intersects_2lines",
    C,
    "geo_intersects_2lines(lineString1: dynamic, lineString2: dynamic): bool",
    "Whether two lines (`LineString` or `MultiLineString`) intersect; null when either is invalid.",
    |a| sig("geo_intersects_2lines", a, 2, &[P::Dyn, P::Dyn], Bool),
    |ctx, args| {
        two_shapes(ctx, args, shape::lines, shape::lines, |a, b| {
            a.edges().any(|(p, q)| b.edges().any(|(r, s)| shape::arcs_cross(p, q, r, s)))
        })
    },
)
.examples(&[Example {
    query: "print a = geo_intersects_2lines(dynamic({\"type\":\"LineString\",\"coordinates\":[[0,0],[2,2]]}), dynamic({\"type\":\"LineString\",\"coordinates\":[[0,2],[2,0]]})), b = geo_intersects_2lines(dynamic({\"type\":\"LineString\",\"coordinates\":[[0,0],[2,2]]}), dynamic({\"type\":\"LineString\",\"coordinates\":[[5,5],[6,5]]}))",
    output: "a,b\ntrue,false",
}]);

/// Whether a line and polygons share a point.
fn line_meets_polygons(l: &shape::Lines, ps: &[shape::Polygon]) -> bool {
    l.0.iter()
        .flatten()
        .any(|v| ps.iter().any(|p| p.contains(*v)))
        || l.edges().any(|(a, b)| {
            ps.iter()
                .flat_map(|p| p.edges())
                .any(|(c, d)| shape::arcs_cross(a, b, c, d))
        })
}

static GEO_INTERSECTS_LINE_WITH_POLYGON: FunctionDef = FunctionDef::new(
    "geo_intersects_line_with_polygon",
    C,
    "geo_intersects_line_with_polygon(lineString: dynamic, polygon: dynamic): bool",
    "Whether a line (`LineString` or `MultiLineString`) and a polygon or multipolygon intersect; null when either is invalid.",
    |a| sig("geo_intersects_line_with_polygon", a, 2, &[P::Dyn, P::Dyn], Bool),
    |ctx, args| two_shapes(ctx, args, shape::lines, shape::polygons, |l, ps| line_meets_polygons(l, ps)),
)
.notes(POLYGON_RULES)
.examples(&[Example {
    query: "let p = dynamic({\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]});\nprint a = geo_intersects_line_with_polygon(dynamic({\"type\":\"LineString\",\"coordinates\":[[-1,0.5],[2,0.5]]}), p), b = geo_intersects_line_with_polygon(dynamic({\"type\":\"LineString\",\"coordinates\":[[-1,2],[2,2]]}), p)",
    output: "a,b\ntrue,false",
}]);

static GEO_INTERSECTS_2POLYGONS: FunctionDef = FunctionDef::new(
    "geo_intersects_2polygons",
    C,
    "geo_intersects_2polygons(polygon1: dynamic, polygon2: dynamic): bool",
    "Whether two polygons or multipolygons intersect; null when either is invalid.",
    |a| sig("geo_intersects_2polygons", a, 2, &[P::Dyn, P::Dyn], Bool),
    |ctx, args| {
        two_shapes(ctx, args, shape::polygons, shape::polygons, |a, b| {
            let inside = |xs: &[shape::Polygon], ys: &[shape::Polygon]| {
                xs.iter()
                    .flat_map(|p| p.rings.iter().flatten())
                    .any(|v| ys.iter().any(|q| q.contains(*v)))
            };
            inside(a, b)
                || inside(b, a)
                || a.iter().flat_map(|p| p.edges()).any(|(p, q)| {
                    b.iter()
                        .flat_map(|x| x.edges())
                        .any(|(r, s)| shape::arcs_cross(p, q, r, s))
                })
        })
    },
)
.notes(POLYGON_RULES)
.examples(&[Example {
    query: "let p = dynamic({\"type\":\"Polygon\",\"coordinates\":[[[0,0],[2,0],[2,2],[0,2],[0,0]]]});\nprint a = geo_intersects_2polygons(p, dynamic({\"type\":\"Polygon\",\"coordinates\":[[[1,1],[3,1],[3,3],[1,3],[1,1]]]})), b = geo_intersects_2polygons(p, dynamic({\"type\":\"Polygon\",\"coordinates\":[[[5,5],[6,5],[6,6],[5,6],[5,5]]]}))",
    output: "a,b\ntrue,false",
}]);

/// The densify tolerance argument (meters, 0.1 to 10,000; default 10).
fn tolerance(args: &[Arg], i: usize) -> Result<Option<f64>, String> {
    if args.len() < 2 {
        return Ok(Some(10.0));
    }
    Ok(real_at(reals(args, 1)?, i).filter(|t| (0.1..=10_000.0).contains(t)))
}

fn densify_kernel(ctx: &Ctx, args: &[Arg], polygon: bool) -> Result<ArrayRef, String> {
    reshape_kernel(ctx, args, polygon, tolerance, shape::densify)
}

/// A shape per row rewritten by `f` with the tolerance `tol` reads.
fn reshape_kernel(
    ctx: &Ctx,
    args: &[Arg],
    polygon: bool,
    tol: fn(&[Arg], usize) -> Result<Option<f64>, String>,
    f: fn(&serde_json::Value, bool, f64, &mut String) -> Option<()>,
) -> Result<ArrayRef, String> {
    let a = strs(args, 0)?;
    let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 64);
    let mut buf = String::new();
    for i in 0..ctx.len {
        buf.clear();
        let ok = match (tol(args, i)?, a.is_valid(i)) {
            (Some(t), true) => serde_json::from_str::<serde_json::Value>(a.value(i))
                .ok()
                .is_some_and(|v| f(&v, polygon, t, &mut buf).is_some()),
            _ => false,
        };
        if ok {
            b.append_value(&buf);
        } else {
            b.append_null();
        }
    }
    Ok(Arc::new(b.finish()))
}

const DENSIFY_NOTES: &str = "Each edge is split in halves (by longitude and latitude) until every piece's midpoint is within `tolerance` meters of the geodesic edge, so that the shape drawn with straight lines on a map follows the geodesic edges.";

static GEO_LINE_DENSIFY: FunctionDef = FunctionDef::new(
    "geo_line_densify",
    C,
    "geo_line_densify(lineString: dynamic, [tolerance: real]): dynamic",
    "A `LineString` or `MultiLineString` with vertices added so that its planar edges stay within `tolerance` meters (0.1 to 10,000, default 10) of the geodesic ones; null for an invalid line or tolerance.",
    |a| sig("geo_line_densify", a, 1, &[P::Dyn, P::Real], Dynamic),
    |ctx, args| densify_kernel(ctx, args, false),
)
.notes(DENSIFY_NOTES)
.examples(&[Example {
    query: "print l = geo_line_densify(dynamic({\"type\":\"LineString\",\"coordinates\":[[10,10],[11,10]]}))",
    output: "l\n\"{\"\"type\"\":\"\"LineString\"\",\"\"coordinates\"\":[[10,10],[10.25,10],[10.5,10],[10.75,10],[11,10]]}\"",
}]);

static GEO_POLYGON_DENSIFY: FunctionDef = FunctionDef::new(
    "geo_polygon_densify",
    C,
    "geo_polygon_densify(polygon: dynamic, [tolerance: real]): dynamic",
    "A polygon or multipolygon with vertices added so that its planar edges stay within `tolerance` meters (0.1 to 10,000, default 10) of the geodesic ones; null for an invalid polygon or tolerance.",
    |a| sig("geo_polygon_densify", a, 1, &[P::Dyn, P::Real], Dynamic),
    |ctx, args| densify_kernel(ctx, args, true),
)
.notes(DENSIFY_NOTES)
.examples(&[Example {
    query: "print n = array_length(geo_polygon_densify(dynamic({\"type\":\"Polygon\",\"coordinates\":[[[10,10],[11,10],[11,11],[10,11],[10,10]]]})).coordinates[0])",
    output: "n\n11",
}]);

/// The simplify tolerance argument (meters, 0 to 7,800,000; default 10).
fn simplify_tolerance(args: &[Arg], i: usize) -> Result<Option<f64>, String> {
    if args.len() < 2 {
        return Ok(Some(10.0));
    }
    Ok(real_at(reals(args, 1)?, i).filter(|t| (0.0..7_800_000.0).contains(t)))
}

const SIMPLIFY_NOTES: &str = "Douglas-Peucker on the sphere: a vertex is dropped when it is within `tolerance` meters of the simplified edge that replaces it (a ring is split at its first vertex and the vertex farthest from it). A line shorter than the tolerance, or a polygon whose shell collapses, vanishes (null); a collapsing hole is dropped.";

static GEO_LINE_SIMPLIFY: FunctionDef = FunctionDef::new(
    "geo_line_simplify",
    C,
    "geo_line_simplify(lineString: dynamic, [tolerance: real]): dynamic",
    "A `LineString` or `MultiLineString` with nearly straight chains of edges replaced by single edges, within `tolerance` meters (0 to 7,800,000, default 10); null for an invalid line or tolerance, or a line that vanishes.",
    |a| sig("geo_line_simplify", a, 1, &[P::Dyn, P::Real], Dynamic),
    |ctx, args| reshape_kernel(ctx, args, false, simplify_tolerance, shape::simplify),
)
.notes(SIMPLIFY_NOTES)
.examples(&[Example {
    query: "print l = geo_line_simplify(dynamic({\"type\":\"LineString\",\"coordinates\":[[0,0],[0.5,0.00001],[1,0]]})), gone = isnull(geo_line_simplify(dynamic({\"type\":\"LineString\",\"coordinates\":[[1.1,1.1],[1.2,1.2]]}), 100000))",
    output: "l,gone\n\"{\"\"type\"\":\"\"LineString\"\",\"\"coordinates\"\":[[0,0],[1,0]]}\",true",
}]);

static GEO_POLYGON_SIMPLIFY: FunctionDef = FunctionDef::new(
    "geo_polygon_simplify",
    C,
    "geo_polygon_simplify(polygon: dynamic, [tolerance: real]): dynamic",
    "A polygon or multipolygon with nearly straight chains of edges replaced by single edges, within `tolerance` meters (0 to 7,800,000, default 10); null for an invalid polygon or tolerance, or a polygon that vanishes.",
    |a| sig("geo_polygon_simplify", a, 1, &[P::Dyn, P::Real], Dynamic),
    |ctx, args| reshape_kernel(ctx, args, true, simplify_tolerance, shape::simplify),
)
.notes(SIMPLIFY_NOTES)
.examples(&[Example {
    query: "print p = geo_polygon_simplify(dynamic({\"type\":\"Polygon\",\"coordinates\":[[[0,0],[0.5,0.00001],[1,0],[1,1],[0,1],[0,0]]]}))",
    output: "p\n\"{\"\"type\"\":\"\"Polygon\"\",\"\"coordinates\"\":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}\"",
}]);

/// Points and polylines, written as the simplest GeoJSON geometry that
/// holds them (an empty `GeometryCollection` when there is nothing).
#[derive(Default)]
struct Pieces {
    points: Vec<sphere::V3>,
    chains: Vec<Vec<sphere::V3>>,
}

impl Pieces {
    const EPS: f64 = 1e-12;

    fn add_point(&mut self, p: sphere::V3) {
        let near = |q: &sphere::V3| p.angle(*q) < Self::EPS;
        if !self.points.iter().any(near) && !self.chains.iter().flatten().any(near) {
            self.points.push(p);
        }
    }

    /// Adds a segment, extending the last chain when it starts where that
    /// chain ends.
    fn add_segment(&mut self, a: sphere::V3, b: sphere::V3) {
        match self.chains.last_mut() {
            Some(c) if c.last().is_some_and(|l| l.angle(a) < Self::EPS) => c.push(b),
            _ => self.chains.push(vec![a, b]),
        }
    }

    fn write(&self, out: &mut String) {
        let coords = |out: &mut String, pts: &[sphere::V3]| {
            out.push('[');
            for (n, p) in pts.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                let (x, y) = p.lon_lat();
                push_coord(out, x, y);
            }
            out.push(']');
        };
        let points: Vec<sphere::V3> = self
            .points
            .iter()
            .filter(|p| {
                !self.chains.iter().any(|c| {
                    c.windows(2)
                        .any(|w| sphere::arc_distance(**p, w[0], w[1]) < Self::EPS)
                })
            })
            .copied()
            .collect();
        let geo_points = |out: &mut String| match points.as_slice() {
            [p] => {
                let (x, y) = p.lon_lat();
                push_point(out, x, y);
            }
            ps => {
                out.push_str(r#"{"type":"MultiPoint","coordinates":"#);
                coords(out, ps);
                out.push('}');
            }
        };
        let geo_lines = |out: &mut String| match self.chains.as_slice() {
            [c] => {
                out.push_str(r#"{"type":"LineString","coordinates":"#);
                coords(out, c);
                out.push('}');
            }
            cs => {
                out.push_str(r#"{"type":"MultiLineString","coordinates":["#);
                for (n, c) in cs.iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    coords(out, c);
                }
                out.push_str("]}");
            }
        };
        match (points.is_empty(), self.chains.is_empty()) {
            (true, true) => out.push_str(r#"{"type":"GeometryCollection","geometries":[]}"#),
            (false, true) => geo_points(out),
            (true, false) => geo_lines(out),
            (false, false) => {
                out.push_str(r#"{"type":"GeometryCollection","geometries":["#);
                geo_points(out);
                out.push(',');
                geo_lines(out);
                out.push_str("]}");
            }
        }
    }
}

/// A dynamic geometry per row from two shapes.
fn two_shapes_geo<A, B>(
    ctx: &Ctx,
    args: &[Arg],
    pa: fn(&serde_json::Value) -> Option<A>,
    pb: fn(&serde_json::Value) -> Option<B>,
    f: impl Fn(&A, &B) -> Pieces,
) -> Result<ArrayRef, String> {
    let mut ca = ShapeCache::new(args, 0, pa)?;
    let mut cb = ShapeCache::new(args, 1, pb)?;
    let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 64);
    let mut buf = String::new();
    for i in 0..ctx.len {
        match (ca.get(i), cb.get(i)) {
            (Some(x), Some(y)) => {
                buf.clear();
                f(x, y).write(&mut buf);
                b.append_value(&buf);
            }
            _ => b.append_null(),
        }
    }
    Ok(Arc::new(b.finish()))
}

static GEO_INTERSECTION_2LINES: FunctionDef = FunctionDef::new(
    "geo_intersection_2lines",
    C,
    "geo_intersection_2lines(lineString1: dynamic, lineString2: dynamic): dynamic",
    "The intersection of two lines (`LineString` or `MultiLineString`): the crossing points and shared stretches as GeoJSON (`Point`, `MultiPoint`, `LineString`, `MultiLineString`, or a `GeometryCollection`, empty when they do not meet); null when either line is invalid.",
    |a| sig("geo_intersection_2lines", a, 2, &[P::Dyn, P::Dyn], Dynamic),
    |ctx, args| {
        two_shapes_geo(ctx, args, shape::lines, shape::lines, |l1, l2| {
            let mut out = Pieces::default();
            for (a, b) in l1.edges() {
                for (c, d) in l2.edges() {
                    if let Some((lo, hi)) = shape::overlap(a, b, c, d) {
                        let (p, q) = (shape::along_arc(a, b, lo), shape::along_arc(a, b, hi));
                        if hi - lo > Pieces::EPS {
                            out.add_segment(p, q);
                        } else {
                            out.add_point(p);
                        }
                    } else if let Some(x) = shape::crossing(a, b, c, d) {
                        out.add_point(x);
                    }
                }
            }
            out
        })
    },
)
.examples(&[Example {
    query: "print a = geo_intersection_2lines(dynamic({\"type\":\"LineString\",\"coordinates\":[[0,-1],[0,1]]}), dynamic({\"type\":\"LineString\",\"coordinates\":[[-1,0],[1,0]]})), b = geo_intersection_2lines(dynamic({\"type\":\"LineString\",\"coordinates\":[[1,1],[2,2]]}), dynamic({\"type\":\"LineString\",\"coordinates\":[[3,3],[4,4]]}))",
    output: "a,b\n\"{\"\"type\"\":\"\"Point\"\",\"\"coordinates\"\":[0,0]}\",\"{\"\"type\"\":\"\"GeometryCollection\"\",\"\"geometries\"\":[]}\"",
}]);

static GEO_INTERSECTION_LINE_WITH_POLYGON: FunctionDef = FunctionDef::new(
    "geo_intersection_line_with_polygon",
    C,
    "geo_intersection_line_with_polygon(lineString: dynamic, polygon: dynamic): dynamic",
    "The parts of a line (`LineString` or `MultiLineString`) inside a polygon or multipolygon, as a GeoJSON `LineString` or `MultiLineString` (an empty `GeometryCollection` when there are none); null when either is invalid.",
    |a| sig("geo_intersection_line_with_polygon", a, 2, &[P::Dyn, P::Dyn], Dynamic),
    |ctx, args| {
        two_shapes_geo(ctx, args, shape::lines, shape::polygons, |l, ps| {
            let mut out = Pieces::default();
            let inside = |p: sphere::V3| ps.iter().any(|q| q.contains(p));
            for line in &l.0 {
                let mut open = false;
                for w in line.windows(2) {
                    let (a, b) = (w[0], w[1]);
                    let len = a.angle(b);
                    let mut cuts = vec![0.0, len];
                    for (c, d) in ps.iter().flat_map(|p| p.edges()) {
                        if let Some(x) = shape::crossing(a, b, c, d) {
                            cuts.push(a.angle(x));
                        }
                    }
                    cuts.sort_by(f64::total_cmp);
                    cuts.dedup_by(|x, y| (*x - *y).abs() < Pieces::EPS);
                    for c in cuts.windows(2) {
                        let m = shape::along_arc(a, b, (c[0] + c[1]) / 2.0);
                        if inside(m) {
                            let (p, q) = (shape::along_arc(a, b, c[0]), shape::along_arc(a, b, c[1]));
                            if !open {
                                out.chains.push(vec![p]);
                                open = true;
                            }
                            if let Some(ch) = out.chains.last_mut() {
                                ch.push(q);
                            }
                        } else {
                            open = false;
                        }
                    }
                }
            }
            out
        })
    },
)
.notes(POLYGON_RULES)
.examples(&[Example {
    query: "let p = dynamic({\"type\":\"Polygon\",\"coordinates\":[[[0,-1],[2,-1],[2,1],[0,1],[0,-1]]]});\nprint a = geo_intersection_line_with_polygon(dynamic({\"type\":\"LineString\",\"coordinates\":[[-1,0],[1,0]]}), p)",
    output: "a\n\"{\"\"type\"\":\"\"LineString\"\",\"\"coordinates\"\":[[0,0],[1,0]]}\"",
}]);

/// The union of lines: their distinct edges (either direction counts once)
/// joined into as few chains as possible.
fn union_lines(lines: &[shape::Lines]) -> Pieces {
    let mut edges: Vec<(sphere::V3, sphere::V3)> = Vec::new();
    for (a, b) in lines.iter().flat_map(|l| l.edges()) {
        if a != b
            && !edges
                .iter()
                .any(|&(c, d)| (a == c && b == d) || (a == d && b == c))
        {
            edges.push((a, b));
        }
    }
    let degree = |p: sphere::V3, es: &[(sphere::V3, sphere::V3)]| {
        es.iter().filter(|&&(c, d)| c == p || d == p).count()
    };
    let mut out = Pieces::default();
    while !edges.is_empty() {
        // Start at a chain end (a vertex not joining exactly two edges) when
        // there is one, so that open chains are not cut in the middle.
        let start = edges
            .iter()
            .flat_map(|&(a, b)| [a, b])
            .find(|p| degree(*p, &edges) != 2)
            .unwrap_or(edges[0].0);
        let mut chain = vec![start];
        let mut at = start;
        while let Some(k) = edges.iter().position(|&(c, d)| c == at || d == at) {
            let (c, d) = edges.swap_remove(k);
            at = if c == at { d } else { c };
            chain.push(at);
        }
        out.chains.push(chain);
    }
    out
}

static GEO_UNION_LINES_ARRAY: FunctionDef = FunctionDef::new(
    "geo_union_lines_array",
    C,
    "geo_union_lines_array(lineStrings: dynamic): dynamic",
    "The union of an array of lines (`LineString` or `MultiLineString`): their distinct edges joined into a GeoJSON `LineString` or `MultiLineString` (an empty `GeometryCollection` for an empty array); null when any line is invalid.",
    |a| sig("geo_union_lines_array", a, 1, &[P::Dyn], Dynamic),
    |ctx, args| {
        fn parse(v: &serde_json::Value) -> Option<Vec<shape::Lines>> {
            v.as_array()?.iter().map(shape::lines).collect()
        }
        let mut cache = ShapeCache::new(args, 0, parse)?;
        let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 64);
        let mut buf = String::new();
        for i in 0..ctx.len {
            match cache.get(i) {
                Some(ls) => {
                    buf.clear();
                    union_lines(ls).write(&mut buf);
                    b.append_value(&buf);
                }
                None => b.append_null(),
            }
        }
        Ok(Arc::new(b.finish()))
    },
)
.notes("Edges are merged when they join the same two vertices; edges that overlap without sharing vertices are kept as they are.")
.examples(&[Example {
    query: "let u = geo_union_lines_array(dynamic([{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,0],[2,0]]}, {\"type\":\"LineString\",\"coordinates\":[[1,0],[2,0],[3,0]]}]));\nprint t = tostring(u.type), n = array_length(u.coordinates)",
    output: "t,n\nLineString,4",
}]);

/// The vertices (longitude, latitude), counterclockwise, of a polygon
/// around the circle of `radius` meters about a point whose edges stay
/// outside the circle and within `tol` meters of it; `None` when the radius
/// or tolerance is invalid.
fn circle_polygon(lon: f64, lat: f64, radius: f64, tol: f64) -> Option<Vec<(f64, f64)>> {
    use std::f64::consts::{FRAC_PI_2, PI, TAU};
    let positive = |x: f64| x.is_finite() && x > 0.0;
    if !positive(radius) || !positive(tol) || tol < radius * 1e-6 {
        return None;
    }
    let tol = tol.min(radius * 0.999);
    let rho = radius / sphere::EARTH_RADIUS;
    if rho >= FRAC_PI_2 {
        return None;
    }
    // With n vertices at angular radius rv, the edge midpoints are at
    // atan(tan(rv) cos(π/n)) = rho.
    let mut n = 8usize;
    let vertex_radius = |n: usize| (rho.tan() / (PI / n as f64).cos()).atan();
    while (vertex_radius(n) - rho) * sphere::EARTH_RADIUS > tol && n < 1 << 16 {
        n *= 2;
    }
    let rv = vertex_radius(n);
    if rv.is_nan() || rv >= FRAC_PI_2 {
        return None;
    }
    let (phi, lam) = (lat.to_radians(), lon.to_radians());
    Some(
        (0..n)
            .map(|k| {
                let theta = -TAU * k as f64 / n as f64;
                let lat2 = (phi.sin() * rv.cos() + phi.cos() * rv.sin() * theta.cos()).asin();
                let lon2 = lam
                    + (theta.sin() * rv.sin() * phi.cos()).atan2(rv.cos() - phi.sin() * lat2.sin());
                let lon2 = (lon2.to_degrees() + 540.0).rem_euclid(360.0) - 180.0;
                (lon2, lat2.to_degrees())
            })
            .collect(),
    )
}

static GEO_POINT_BUFFER: FunctionDef = FunctionDef::new(
    "geo_point_buffer",
    C,
    "geo_point_buffer(longitude: real, latitude: real, radius: real, [tolerance: real]): dynamic",
    "A GeoJSON polygon containing every point within `radius` meters of the point, deviating from the circle by at most `tolerance` meters (default 10; at least 0.0001% of the radius; a tolerance above the radius is lowered below it); null for invalid coordinates, a radius that is not positive, or an invalid tolerance.",
    |a| sig("geo_point_buffer", a, 3, &[P::Real, P::Real, P::Real, P::Real], Dynamic),
    |ctx, args| {
        let (lon, lat, r) = (reals(args, 0)?, reals(args, 1)?, reals(args, 2)?);
        let tol = if args.len() > 3 { Some(reals(args, 3)?) } else { None };
        let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 256);
        let mut buf = String::new();
        for i in 0..ctx.len {
            let t = match tol {
                None => Some(10.0),
                Some(t) => real_at(t, i),
            };
            let ring = point_at(lon, lat, i)
                .zip(real_at(r, i).zip(t))
                .and_then(|((x, y), (r, t))| circle_polygon(x, y, r, t));
            match ring {
                Some(ring) => {
                    buf.clear();
                    push_ring_polygon(&mut buf, &ring);
                    b.append_value(&buf);
                }
                None => b.append_null(),
            }
        }
        Ok(Arc::new(b.finish()))
    },
)
.notes("The polygon's vertices are evenly spaced around the circle, slightly outside it, so that its geodesic edges enclose the whole circle.")
.examples(&[Example {
    query: "let b = geo_point_buffer(-115.1745008278, 36.1497251277, 20000);\nprint inside = geo_point_in_polygon(-115.1745008278, 36.3, b), outside = geo_point_in_polygon(-115.1745008278, 36.4, b), bad = isnull(geo_point_buffer(10, 10, -1))",
    output: "inside,outside,bad\ntrue,false,true",
}]);

/// The most cells a covering may have.
const MAX_COVERING: usize = 65_536;

/// Whether an S2 cell and polygons share a point.
fn cell_meets(id: u64, ps: &[shape::Polygon]) -> bool {
    let c = s2cell::corner_vectors(id);
    let edges = [(c[0], c[1]), (c[1], c[2]), (c[2], c[3]), (c[3], c[0])];
    let in_cell = |p: sphere::V3| edges.iter().all(|(a, b)| a.cross(*b).dot(p) >= 0.0);
    c.iter().any(|v| ps.iter().any(|p| p.contains(*v)))
        || ps
            .iter()
            .flat_map(|p| p.rings.iter().flatten())
            .any(|v| in_cell(*v))
        || ps
            .iter()
            .flat_map(|p| p.edges())
            .any(|(a, b)| edges.iter().any(|(x, y)| shape::arcs_cross(a, b, *x, *y)))
}

/// The cells of one level that meet the polygons, sorted by id; `None`
/// when there are more than [`MAX_COVERING`].
fn s2_covering(ps: &[shape::Polygon], level: i64) -> Option<Vec<u64>> {
    let seeds: Vec<sphere::V3> = ps
        .iter()
        .flat_map(|p| p.rings.iter().flatten())
        .copied()
        .collect();
    flood_cells(&seeds, level, |id| cell_meets(id, ps))
}

/// The cells of one level reachable from the seeds' cells through cells
/// that `meets` accepts, sorted by id; `None` when there are more than
/// [`MAX_COVERING`].
fn flood_cells(seeds: &[sphere::V3], level: i64, meets: impl Fn(u64) -> bool) -> Option<Vec<u64>> {
    use std::collections::HashSet;
    let mut seen: HashSet<u64> = HashSet::new();
    let mut todo: Vec<u64> = Vec::new();
    let mut out = Vec::new();
    for v in seeds {
        let id = s2cell::from_point(*v, level);
        if seen.insert(id) {
            todo.push(id);
        }
    }
    while let Some(id) = todo.pop() {
        if !meets(id) {
            continue;
        }
        out.push(id);
        if out.len() > MAX_COVERING {
            return None;
        }
        for n in s2cell::neighbors(id) {
            if seen.insert(n) {
                todo.push(n);
            }
        }
    }
    out.sort_unstable();
    Some(out)
}

static GEO_POLYGON_TO_S2CELLS: FunctionDef = FunctionDef::new(
    "geo_polygon_to_s2cells",
    C,
    "geo_polygon_to_s2cells(polygon: dynamic, [level: long]): dynamic",
    "The tokens of the S2 cells of `level` (0 to 30, default 11) that cover a polygon or multipolygon (every cell that meets it), sorted by cell id; null for an invalid polygon or level, or when more than 65,536 cells are needed.",
    |a| sig("geo_polygon_to_s2cells", a, 1, &[P::Dyn, P::Long], Dynamic),
    |ctx, args| {
        let lvl = if args.len() > 1 { Some(longs(args, 1)?) } else { None };
        let mut cache = ShapeCache::new(args, 0, shape::polygons)?;
        let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 64);
        let mut buf = String::new();
        for i in 0..ctx.len {
            let level = match lvl {
                None => Some(11),
                Some(a) => a.is_valid(i).then(|| a.value(i)),
            }
            .filter(|l| (0..=s2cell::MAX_LEVEL).contains(l));
            let cells = level.and_then(|l| cache.get(i).and_then(|ps| s2_covering(ps, l)));
            match cells {
                Some(cells) => {
                    buf.clear();
                    push_tokens(&mut buf, &cells);
                    b.append_value(&buf);
                }
                None => b.append_null(),
            }
        }
        Ok(Arc::new(b.finish()))
    },
)
.notes(POLYGON_RULES)
.examples(&[Example {
    query: "let p = dynamic({\"type\":\"Polygon\",\"coordinates\":[[[0,0],[0,50],[100,50],[0,0]]]});\nprint n = array_length(geo_polygon_to_s2cells(p, 5)), too_many = isnull(geo_polygon_to_s2cells(p, 30))",
    output: "n,too_many\n286,true",
}]);

fn push_tokens(out: &mut String, cells: &[u64]) {
    out.push('[');
    for (n, c) in cells.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        let _ = write!(out, "\"{}\"", s2cell::token(*c));
    }
    out.push(']');
}

/// Whether an S2 cell and lines share a point.
fn cell_meets_lines(id: u64, l: &shape::Lines) -> bool {
    let c = s2cell::corner_vectors(id);
    let edges = [(c[0], c[1]), (c[1], c[2]), (c[2], c[3]), (c[3], c[0])];
    let in_cell = |p: sphere::V3| edges.iter().all(|(a, b)| a.cross(*b).dot(p) >= 0.0);
    l.0.iter().flatten().any(|v| in_cell(*v))
        || l.edges()
            .any(|(a, b)| edges.iter().any(|(x, y)| shape::arcs_cross(a, b, *x, *y)))
}

static GEO_LINE_TO_S2CELLS: FunctionDef = FunctionDef::new(
    "geo_line_to_s2cells",
    C,
    "geo_line_to_s2cells(lineString: dynamic, [level: long]): dynamic",
    "The tokens of the S2 cells of `level` (0 to 30, default 11) that cover a `LineString` or `MultiLineString` (every cell it passes through), sorted by cell id; null for an invalid line or level, or when more than 65,536 cells are needed.",
    |a| sig("geo_line_to_s2cells", a, 1, &[P::Dyn, P::Long], Dynamic),
    |ctx, args| {
        let lvl = if args.len() > 1 { Some(longs(args, 1)?) } else { None };
        let mut cache = ShapeCache::new(args, 0, shape::lines)?;
        let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 64);
        let mut buf = String::new();
        for i in 0..ctx.len {
            let level = match lvl {
                None => Some(11),
                Some(a) => a.is_valid(i).then(|| a.value(i)),
            }
            .filter(|l| (0..=s2cell::MAX_LEVEL).contains(l));
            let cells = level.and_then(|lv| {
                cache.get(i).and_then(|l| {
                    let seeds: Vec<sphere::V3> = l.0.iter().flatten().copied().collect();
                    flood_cells(&seeds, lv, |id| cell_meets_lines(id, l))
                })
            });
            match cells {
                Some(cells) => {
                    buf.clear();
                    push_tokens(&mut buf, &cells);
                    b.append_value(&buf);
                }
                None => b.append_null(),
            }
        }
        Ok(Arc::new(b.finish()))
    },
)
.examples(&[Example {
    query: "print c = geo_line_to_s2cells(dynamic({\"type\":\"LineString\",\"coordinates\":[[-73.95,40.75],[-73.94,40.76]]}), 8), bad = isnull(geo_line_to_s2cells(dynamic({\"type\":\"LineString\",\"coordinates\":[[[0,0],[0,0]]]})))",
    output: "c,bad\n\"[\"\"89c25\"\"]\",true",
}]);
