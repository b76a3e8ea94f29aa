//! H3 cells (Uber's hexagonal grid) through the `h3o` crate: tokens are
//! the lower-case hexadecimal cell index.

use super::{point_at, push_coord};
use crate::kernel::{longs, reals, strs, sv};
use crate::typing::{sig, P};
use crate::{Arg, Category, Ctx, Example, FunctionDef};
use arrow::array::{Array, ArrayRef, Int64Array, StringBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use kql_common::KqlType;
use std::fmt::Write;
use std::sync::Arc;

const C: Category = Category::Geo;
use KqlType::{Dynamic, Long, String as Str};

pub static FUNCTIONS: &[&FunctionDef] = &[
    &GEO_POINT_TO_H3CELL,
    &GEO_H3CELL_TO_CENTRAL_POINT,
    &GEO_H3CELL_TO_POLYGON,
    &GEO_H3CELL_LEVEL,
    &GEO_H3CELL_PARENT,
    &GEO_H3CELL_CHILDREN,
    &GEO_H3CELL_NEIGHBORS,
    &GEO_H3CELL_RINGS,
];

fn cell(s: &str) -> Option<CellIndex> {
    if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    s.parse().ok()
}

fn resolution(v: i64) -> Option<Resolution> {
    u8::try_from(v)
        .ok()
        .and_then(|r| Resolution::try_from(r).ok())
}

/// The optional long argument `k` in row `i`: `Some(None)` when absent,
/// `None` when null.
fn opt_long(args: &[Arg], k: usize, i: usize) -> Result<Option<Option<i64>>, String> {
    if args.len() <= k {
        return Ok(Some(None));
    }
    let a = longs(args, k)?;
    Ok(a.is_valid(i).then(|| Some(a.value(i))))
}

/// A string (empty when `f` gives nothing) per row of a cell argument.
fn cell_to_str(
    ctx: &Ctx,
    args: &[Arg],
    f: impl Fn(CellIndex, usize) -> Result<Option<CellIndex>, String>,
) -> Result<ArrayRef, String> {
    let a = strs(args, 0)?;
    let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 15);
    for i in 0..ctx.len {
        match cell(sv(a, i)) {
            Some(c) => match f(c, i)? {
                Some(r) => b.append_value(r.to_string()),
                None => b.append_value(""),
            },
            None => b.append_value(""),
        }
    }
    Ok(Arc::new(b.finish()))
}

/// A dynamic (null when `f` returns false) per row of a cell argument.
fn cell_to_dyn(
    ctx: &Ctx,
    args: &[Arg],
    f: impl Fn(CellIndex, usize, &mut String) -> Result<bool, String>,
) -> Result<ArrayRef, String> {
    let a = strs(args, 0)?;
    let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 64);
    let mut buf = String::new();
    for i in 0..ctx.len {
        buf.clear();
        match cell(sv(a, i)) {
            Some(c) if f(c, i, &mut buf)? => b.append_value(&buf),
            _ => b.append_null(),
        }
    }
    Ok(Arc::new(b.finish()))
}

fn push_cells(out: &mut String, cells: impl Iterator<Item = CellIndex>) {
    out.push('[');
    for (n, c) in cells.enumerate() {
        if n > 0 {
            out.push(',');
        }
        let _ = write!(out, "\"{c}\"");
    }
    out.push(']');
}

static GEO_POINT_TO_H3CELL: FunctionDef = FunctionDef::new(
    "geo_point_to_h3cell",
    C,
    "geo_point_to_h3cell(longitude: real, latitude: real, [resolution: long]): string",
    "The H3 cell token of a point at `resolution` (0 to 15, default 6); an empty string for invalid coordinates or resolution.",
    |a| sig("geo_point_to_h3cell", a, 2, &[P::Real, P::Real, P::Long], Str),
    |ctx, args| {
        let (lon, lat) = (reals(args, 0)?, reals(args, 1)?);
        let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 15);
        for i in 0..ctx.len {
            let res = opt_long(args, 2, i)?.map(|r| r.unwrap_or(6)).and_then(resolution);
            let ll = point_at(lon, lat, i).and_then(|(x, y)| LatLng::new(y, x).ok());
            match (res, ll) {
                (Some(r), Some(ll)) => b.append_value(ll.to_cell(r).to_string()),
                _ => b.append_value(""),
            }
        }
        Ok(Arc::new(b.finish()))
    },
)
.examples(&[Example {
    query: "print a = geo_point_to_h3cell(-74.04450446039874, 40.689250859314974, 6), b = geo_point_to_h3cell(1, 1, 16)",
    output: "a,b\n862a1072fffffff,",
}]);

static GEO_H3CELL_TO_CENTRAL_POINT: FunctionDef = FunctionDef::new(
    "geo_h3cell_to_central_point",
    C,
    "geo_h3cell_to_central_point(h3cell: string): dynamic",
    "The center of an H3 cell as a GeoJSON point; null for an invalid cell token.",
    |a| sig("geo_h3cell_to_central_point", a, 1, &[P::Str], Dynamic),
    |ctx, args| {
        cell_to_dyn(ctx, args, |c, _, out| {
            let ll = LatLng::from(c);
            super::push_point(out, ll.lng(), ll.lat());
            Ok(true)
        })
    },
)
.examples(&[Example {
    query: "let p = geo_h3cell_to_central_point('862a1072fffffff');\nprint lng = round(todouble(p.coordinates[0]), 6), lat = round(todouble(p.coordinates[1]), 6), bad = isnull(geo_h3cell_to_central_point('1'))",
    output: "lng,lat,bad\n-74.016008,40.704168,true",
}]);

static GEO_H3CELL_TO_POLYGON: FunctionDef = FunctionDef::new(
    "geo_h3cell_to_polygon",
    C,
    "geo_h3cell_to_polygon(h3cell: string): dynamic",
    "The boundary of an H3 cell as a GeoJSON polygon; null for an invalid cell token.",
    |a| sig("geo_h3cell_to_polygon", a, 1, &[P::Str], Dynamic),
    |ctx, args| {
        cell_to_dyn(ctx, args, |c, _, out| {
            let b = c.boundary();
            out.push_str(r#"{"type":"Polygon","coordinates":[["#);
            for (n, ll) in b.iter().chain(b.iter().take(1)).enumerate() {
                if n > 0 {
                    out.push(',');
                }
                push_coord(out, ll.lng(), ll.lat());
            }
            out.push_str("]]}");
            Ok(true)
        })
    },
)
.examples(&[Example {
    query: "print n = array_length(geo_h3cell_to_polygon('862a1072fffffff').coordinates[0])",
    output: "n\n7",
}]);

static GEO_H3CELL_LEVEL: FunctionDef = FunctionDef::new(
    "geo_h3cell_level",
    C,
    "geo_h3cell_level(h3cell: string): long",
    "The resolution (0 to 15) of an H3 cell; null for an invalid cell token.",
    |a| sig("geo_h3cell_level", a, 1, &[P::Str], Long),
    |ctx, args| {
        let a = strs(args, 0)?;
        let out: Int64Array = (0..ctx.len)
            .map(|i| cell(sv(a, i)).map(|c| i64::from(u8::from(c.resolution()))))
            .collect();
        Ok(Arc::new(out))
    },
)
.examples(&[Example {
    query: "print a = geo_h3cell_level('862a1072fffffff'), b = isnull(geo_h3cell_level('abc'))",
    output: "a,b\n6,true",
}]);

static GEO_H3CELL_PARENT: FunctionDef = FunctionDef::new(
    "geo_h3cell_parent",
    C,
    "geo_h3cell_parent(h3cell: string, [resolution: long]): string",
    "The H3 cell containing `h3cell` at `resolution` (default: one level up); an empty string for an invalid cell or a resolution finer than the cell's.",
    |a| sig("geo_h3cell_parent", a, 1, &[P::Str, P::Long], Str),
    |ctx, args| {
        cell_to_str(ctx, args, |c, i| {
            let level = i64::from(u8::from(c.resolution()));
            let Some(r) = opt_long(args, 1, i)? else {
                return Ok(None);
            };
            let r = r.unwrap_or(level - 1);
            Ok((r <= level).then(|| resolution(r)).flatten().and_then(|r| c.parent(r)))
        })
    },
)
.examples(&[Example {
    query: "print a = geo_h3cell_parent('862a1072fffffff'), b = geo_h3cell_parent('862a1072fffffff', 1), c = geo_h3cell_parent('862a1072fffffff', 15)",
    output: "a,b,c\n852a1073fffffff,812a3ffffffffff,",
}]);

static GEO_H3CELL_CHILDREN: FunctionDef = FunctionDef::new(
    "geo_h3cell_children",
    C,
    "geo_h3cell_children(h3cell: string, [resolution: long]): dynamic",
    "The H3 cells inside `h3cell` at `resolution` (default: one level down; at most 5 levels down), as an array; null for an invalid cell or resolution.",
    |a| sig("geo_h3cell_children", a, 1, &[P::Str, P::Long], Dynamic),
    |ctx, args| {
        cell_to_dyn(ctx, args, |c, i, out| {
            let level = i64::from(u8::from(c.resolution()));
            let Some(r) = opt_long(args, 1, i)? else {
                return Ok(false);
            };
            let r = r.unwrap_or(level + 1);
            match resolution(r).filter(|_| r >= level && r - level <= 5) {
                Some(res) => {
                    push_cells(out, c.children(res));
                    Ok(true)
                }
                None => Ok(false),
            }
        })
    },
)
.examples(&[Example {
    query: "print c = geo_h3cell_children('862a1072fffffff'), n = array_length(geo_h3cell_children('862a1072fffffff', 9))",
    output: "c,n\n\"[\"\"872a10728ffffff\"\",\"\"872a10729ffffff\"\",\"\"872a1072affffff\"\",\"\"872a1072bffffff\"\",\"\"872a1072cffffff\"\",\"\"872a1072dffffff\"\",\"\"872a1072effffff\"\"]\",343",
}]);

static GEO_H3CELL_NEIGHBORS: FunctionDef = FunctionDef::new(
    "geo_h3cell_neighbors",
    C,
    "geo_h3cell_neighbors(h3cell: string): dynamic",
    "The H3 cells around `h3cell` (6, or 5 around a pentagon), as an array; null for an invalid cell token.",
    |a| sig("geo_h3cell_neighbors", a, 1, &[P::Str], Dynamic),
    |ctx, args| {
        cell_to_dyn(ctx, args, |c, _, out| {
            let cells: Vec<CellIndex> = c.grid_disk(1);
            push_cells(out, cells.into_iter().filter(|n| *n != c));
            Ok(true)
        })
    },
)
.examples(&[Example {
    query: "print n = geo_h3cell_neighbors('862a1072fffffff')",
    output: "n\n\"[\"\"862a10727ffffff\"\",\"\"862a10707ffffff\"\",\"\"862a1070fffffff\"\",\"\"862a10777ffffff\"\",\"\"862a100dfffffff\"\",\"\"862a100d7ffffff\"\"]\"",
}]);

static GEO_H3CELL_RINGS: FunctionDef = FunctionDef::new(
    "geo_h3cell_rings",
    C,
    "geo_h3cell_rings(h3cell: string, distance: long): dynamic",
    "The rings of H3 cells around `h3cell` up to `distance` (0 to 142): an array whose first element is `[h3cell]`, then the cells at distance 1, and so on; null for an invalid cell or distance.",
    |a| sig("geo_h3cell_rings", a, 2, &[P::Str, P::Long], Dynamic),
    |ctx, args| {
        cell_to_dyn(ctx, args, |c, i, out| {
            let Some(Some(k)) = opt_long(args, 1, i)? else {
                return Ok(false);
            };
            let Ok(k) = u32::try_from(k) else {
                return Ok(false);
            };
            if k > 142 {
                return Ok(false);
            }
            let mut rings: Vec<Vec<CellIndex>> = vec![Vec::new(); k as usize + 1];
            let disk: Vec<(CellIndex, u32)> = c.grid_disk_distances(k);
            for (cell, d) in disk {
                if let Some(r) = rings.get_mut(d as usize) {
                    r.push(cell);
                }
            }
            out.push('[');
            for (n, r) in rings.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                push_cells(out, r.into_iter());
            }
            out.push(']');
            Ok(true)
        })
    },
)
.examples(&[Example {
    query: "print r = geo_h3cell_rings('861f8894fffffff', 1)",
    output: "r\n\"[[\"\"861f8894fffffff\"\"],[\"\"861f88947ffffff\"\",\"\"861f8895fffffff\"\",\"\"861f88867ffffff\"\",\"\"861f8d497ffffff\"\",\"\"861f8d4b7ffffff\"\",\"\"861f8896fffffff\"\"]]\"",
}]);
