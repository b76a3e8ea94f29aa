//! S2 cells: the six cube faces of the sphere, each cut into a quadtree of
//! cells numbered along a Hilbert curve. A cell's token is its 64-bit id in
//! hexadecimal without trailing zeros.

use super::sphere::V3;

/// The finest level.
pub const MAX_LEVEL: i64 = 30;
const MAX_SIZE: i64 = 1 << MAX_LEVEL;

const SWAP: usize = 1;
const INVERT: usize = 2;
/// Hilbert position of each (i bit, j bit) per orientation.
const IJ_TO_POS: [[u64; 4]; 4] = [[0, 1, 3, 2], [0, 3, 1, 2], [2, 3, 1, 0], [2, 1, 3, 0]];
/// (i bit, j bit) of each Hilbert position per orientation.
const POS_TO_IJ: [[usize; 4]; 4] = [[0, 1, 3, 2], [0, 2, 3, 1], [3, 2, 0, 1], [3, 1, 0, 2]];
const POS_TO_ORIENTATION: [usize; 4] = [SWAP, 0, 0, INVERT + SWAP];

/// The face of a point and its (u, v) coordinates on it.
fn face_uv(p: V3) -> (usize, f64, f64) {
    let (ax, ay, az) = (p.x.abs(), p.y.abs(), p.z.abs());
    let axis = if ax >= ay && ax >= az {
        0
    } else if ay >= az {
        1
    } else {
        2
    };
    let c = [p.x, p.y, p.z][axis];
    let face = if c < 0.0 { axis + 3 } else { axis };
    let (u, v) = match face {
        0 => (p.y / p.x, p.z / p.x),
        1 => (-p.x / p.y, p.z / p.y),
        2 => (-p.x / p.z, -p.y / p.z),
        3 => (p.z / p.x, p.y / p.x),
        4 => (p.z / p.y, -p.x / p.y),
        _ => (-p.y / p.z, -p.x / p.z),
    };
    (face, u, v)
}

fn face_uv_to_xyz(face: usize, u: f64, v: f64) -> V3 {
    match face {
        0 => V3::new(1.0, u, v),
        1 => V3::new(-u, 1.0, v),
        2 => V3::new(-u, -v, 1.0),
        3 => V3::new(-1.0, -v, -u),
        4 => V3::new(v, -1.0, -u),
        _ => V3::new(v, u, -1.0),
    }
}

fn uv_to_st(u: f64) -> f64 {
    if u >= 0.0 {
        0.5 * (1.0 + 3.0 * u).sqrt()
    } else {
        1.0 - 0.5 * (1.0 - 3.0 * u).sqrt()
    }
}

fn st_to_uv(s: f64) -> f64 {
    if s >= 0.5 {
        (4.0 * s * s - 1.0) / 3.0
    } else {
        (1.0 - 4.0 * (1.0 - s) * (1.0 - s)) / 3.0
    }
}

fn st_to_ij(s: f64) -> i64 {
    ((MAX_SIZE as f64 * s).floor() as i64).clamp(0, MAX_SIZE - 1)
}

/// The leaf cell id of face coordinates.
fn from_face_ij(face: usize, i: i64, j: i64) -> u64 {
    let mut id: u64 = face as u64;
    let mut orientation = face & SWAP;
    for b in (0..MAX_LEVEL).rev() {
        let ij = ((((i >> b) & 1) << 1) | ((j >> b) & 1)) as usize;
        let pos = IJ_TO_POS[orientation][ij];
        id = (id << 2) | pos;
        orientation ^= POS_TO_ORIENTATION[pos as usize];
    }
    (id << 1) | 1
}

/// The leaf cell id just across a face edge, for neighbors.
fn from_face_ij_wrap(face: usize, i: i64, j: i64) -> u64 {
    let i = i.clamp(-1, MAX_SIZE);
    let j = j.clamp(-1, MAX_SIZE);
    let scale = 1.0 / MAX_SIZE as f64;
    let limit = 1.0 + f64::EPSILON;
    let u = (scale * (2 * (i - MAX_SIZE / 2) + 1) as f64).clamp(-limit, limit);
    let v = (scale * (2 * (j - MAX_SIZE / 2) + 1) as f64).clamp(-limit, limit);
    let (f, u, v) = face_uv(face_uv_to_xyz(face, u, v));
    from_face_ij(f, st_to_ij(0.5 * (u + 1.0)), st_to_ij(0.5 * (v + 1.0)))
}

fn lsb_for_level(level: i64) -> u64 {
    1u64 << (2 * (MAX_LEVEL - level))
}

/// The ancestor of a cell at `level`.
fn parent(id: u64, level: i64) -> u64 {
    let lsb = lsb_for_level(level);
    (id & lsb.wrapping_neg()) | lsb
}

/// The level of a valid cell id.
fn level(id: u64) -> i64 {
    MAX_LEVEL - i64::from(id.trailing_zeros() / 2)
}

/// The cell id of a token, if valid.
pub fn parse_token(t: &str) -> Option<u64> {
    if t.is_empty() || t.len() > 16 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let v = u64::from_str_radix(t, 16).ok()?;
    let id = v << (4 * (16 - t.len()));
    let valid = id != 0 && (id >> 61) < 6 && id.trailing_zeros().is_multiple_of(2);
    valid.then_some(id)
}

/// The token of a cell id.
pub fn token(id: u64) -> String {
    if id == 0 {
        return "X".to_string();
    }
    let s = format!("{id:016x}");
    s.trim_end_matches('0').to_string()
}

/// The cell at `level` containing a point given in degrees.
pub fn from_lon_lat(lon: f64, lat: f64, lvl: i64) -> u64 {
    let (face, u, v) = face_uv(V3::from_lon_lat(lon, lat));
    let leaf = from_face_ij(face, st_to_ij(uv_to_st(u)), st_to_ij(uv_to_st(v)));
    parent(leaf, lvl)
}

/// The face and the (i, j) of a cell's lower-left leaf.
fn to_face_ij(id: u64) -> (usize, i64, i64) {
    let face = (id >> 61) as usize;
    let mut orientation = face & SWAP;
    let (mut i, mut j) = (0i64, 0i64);
    for k in 0..MAX_LEVEL {
        let pos = ((id >> (59 - 2 * k)) & 3) as usize;
        let ij = POS_TO_IJ[orientation][pos];
        i = (i << 1) | (ij >> 1) as i64;
        j = (j << 1) | (ij & 1) as i64;
        orientation ^= POS_TO_ORIENTATION[pos];
    }
    let size = 1i64 << (MAX_LEVEL - level(id));
    (face, i & !(size - 1), j & !(size - 1))
}

/// The (u, v) bounds of a cell: (face, u0, v0, u1, v1).
fn uv_bounds(id: u64) -> (usize, f64, f64, f64, f64) {
    let (face, i, j) = to_face_ij(id);
    let size = 1i64 << (MAX_LEVEL - level(id));
    let st = |x: i64| x as f64 / MAX_SIZE as f64;
    (
        face,
        st_to_uv(st(i)),
        st_to_uv(st(j)),
        st_to_uv(st(i + size)),
        st_to_uv(st(j + size)),
    )
}

/// The center of a cell (longitude, latitude).
pub fn center(id: u64) -> (f64, f64) {
    let (face, i, j) = to_face_ij(id);
    let size = 1i64 << (MAX_LEVEL - level(id));
    let st = |x: i64| (x as f64 + size as f64 / 2.0) / MAX_SIZE as f64;
    face_uv_to_xyz(face, st_to_uv(st(i)), st_to_uv(st(j)))
        .normalize()
        .lon_lat()
}

/// The corners of a cell (longitude, latitude), counterclockwise.
pub fn vertices(id: u64) -> [(f64, f64); 4] {
    let (face, u0, v0, u1, v1) = uv_bounds(id);
    [(u0, v0), (u1, v0), (u1, v1), (u0, v1)]
        .map(|(u, v)| face_uv_to_xyz(face, u, v).normalize().lon_lat())
}

/// The cells of the same level around a cell: the edge and corner
/// neighbors, in S2's order.
pub fn neighbors(id: u64) -> Vec<u64> {
    let lvl = level(id);
    let (face, i, j) = to_face_ij(id);
    let size = 1i64 << (MAX_LEVEL - lvl);
    let at = |i: i64, j: i64, same: bool| {
        let leaf = if same {
            from_face_ij(face, i, j)
        } else {
            from_face_ij_wrap(face, i, j)
        };
        parent(leaf, lvl)
    };
    let mut out = Vec::with_capacity(8);
    let mut k = -size;
    loop {
        let same_face = if k < 0 {
            j + k >= 0
        } else if k >= size {
            j + k < MAX_SIZE
        } else {
            out.push(at(i + k, j - size, j - size >= 0));
            out.push(at(i + k, j + size, j + size < MAX_SIZE));
            true
        };
        out.push(at(i - size, j + k, same_face && i - size >= 0));
        out.push(at(i + size, j + k, same_face && i + size < MAX_SIZE));
        if k >= size {
            break;
        }
        k += size;
    }
    let mut uniq: Vec<u64> = Vec::with_capacity(8);
    for n in out {
        if n != id && !uniq.contains(&n) {
            uniq.push(n);
        }
    }
    uniq
}

/// The corners of a cell as unit vectors, counterclockwise.
pub fn corner_vectors(id: u64) -> [V3; 4] {
    let (face, u0, v0, u1, v1) = uv_bounds(id);
    [(u0, v0), (u1, v0), (u1, v1), (u0, v1)].map(|(u, v)| face_uv_to_xyz(face, u, v).normalize())
}

/// The cell at `level` containing a unit vector.
pub fn from_point(p: V3, lvl: i64) -> u64 {
    let (face, u, v) = face_uv(p);
    parent(
        from_face_ij(face, st_to_ij(uv_to_st(u)), st_to_ij(uv_to_st(v))),
        lvl,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(token(from_lon_lat(-80.195829, 25.802215, 8)), "88d9b");
        let id = parse_token("89c259").expect("valid");
        assert_eq!(token(id), "89c259");
        assert_eq!(level(id), 10);
        assert!(parse_token("a").is_none());
        let (lon, lat) = center(parse_token("1234567").expect("valid"));
        assert!((lon - 9.86830731850408).abs() < 1e-9 && (lat - 27.468392925827604).abs() < 1e-9);
    }
}
