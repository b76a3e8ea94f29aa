//! Geohash: interleaved longitude/latitude bisections written in base 32.

const BASE32: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// The longest geohash Kusto computes.
pub const MAX_ACCURACY: i64 = 18;

/// The geohash of a point with `len` characters (1..=18).
pub fn encode(lon: f64, lat: f64, len: usize, out: &mut String) {
    let (mut lo, mut la) = ((-180.0f64, 180.0f64), (-90.0f64, 90.0f64));
    let mut even = true;
    for _ in 0..len {
        let mut v = 0usize;
        for _ in 0..5 {
            let (r, c) = if even { (&mut lo, lon) } else { (&mut la, lat) };
            let m = (r.0 + r.1) / 2.0;
            if c >= m {
                v = v * 2 + 1;
                r.0 = m;
            } else {
                v *= 2;
                r.1 = m;
            }
            even = !even;
        }
        out.push(char::from(BASE32[v]));
    }
}

/// The cell of a geohash: (min lon, min lat, max lon, max lat); `None` when
/// the text is not a geohash (empty, too long, or a character outside the
/// alphabet).
pub fn decode(h: &str) -> Option<[f64; 4]> {
    if h.is_empty() || h.len() > MAX_ACCURACY as usize {
        return None;
    }
    let (mut lo, mut la) = ([-180.0f64, 180.0f64], [-90.0f64, 90.0f64]);
    let mut even = true;
    for c in h.bytes() {
        let v = BASE32.iter().position(|&b| b == c)?;
        for bit in (0..5).rev() {
            let r = if even { &mut lo } else { &mut la };
            let m = (r[0] + r[1]) / 2.0;
            if (v >> bit) & 1 == 1 {
                r[0] = m;
            } else {
                r[1] = m;
            }
            even = !even;
        }
    }
    Some([lo[0], la[0], lo[1], la[1]])
}

/// The geohashes of the same length around `h`, in Kusto's order
/// (south-west, north-west, south-east, north, west, north-east, east,
/// south); cells beyond a pole are left out and longitudes wrap around.
pub fn neighbors(h: &str) -> Option<Vec<String>> {
    let [x0, y0, x1, y1] = decode(h)?;
    let (w, ht) = (x1 - x0, y1 - y0);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let mut out = Vec::with_capacity(8);
    for (dx, dy) in [
        (-1.0, -1.0),
        (-1.0, 1.0),
        (1.0, -1.0),
        (0.0, 1.0),
        (-1.0, 0.0),
        (1.0, 1.0),
        (1.0, 0.0),
        (0.0, -1.0),
    ] {
        let y = cy + dy * ht;
        if !(-90.0..=90.0).contains(&y) {
            continue;
        }
        let mut x = cx + dx * w;
        if x > 180.0 {
            x -= 360.0;
        } else if x < -180.0 {
            x += 360.0;
        }
        let mut s = String::with_capacity(h.len());
        encode(x, y, h.len(), &mut s);
        if s != h && !out.contains(&s) {
            out.push(s);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut s = String::new();
        encode(139.806115, 35.554128, 12, &mut s);
        assert_eq!(s, "xn76m27ty9g4");
        let [x0, y0, x1, y1] = decode("sunny").expect("valid");
        assert_eq!((x0 + x1) / 2.0, 42.47314453125);
        assert_eq!((y0 + y1) / 2.0, 23.70849609375);
        assert!(decode("a").is_none());
        assert_eq!(
            neighbors("sunny").expect("valid"),
            ["sunnt", "sunpj", "sunnx", "sunpn", "sunnv", "sunpp", "sunnz", "sunnw"]
        );
        // At the pole there is nothing further north.
        assert_eq!(neighbors("s").expect("valid").len(), 8);
        assert_eq!(neighbors("b").expect("valid").len(), 5);
    }
}
