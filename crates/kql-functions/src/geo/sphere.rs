//! Spherical geometry: the Earth model Kusto documents for its geospatial
//! functions (a sphere of radius 6,371,010 m, geodesic edges), points as
//! unit vectors, distances, azimuths, and closest points on arcs.

/// The Earth's radius in meters in Kusto's spherical model.
pub const EARTH_RADIUS: f64 = 6_371_010.0;

/// A point on the unit sphere.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct V3 {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

impl V3 {
    pub const fn new(x: f64, y: f64, z: f64) -> V3 {
        V3 { x, y, z }
    }

    pub fn dot(self, o: V3) -> f64 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }

    pub fn cross(self, o: V3) -> V3 {
        V3::new(
            self.y * o.z - self.z * o.y,
            self.z * o.x - self.x * o.z,
            self.x * o.y - self.y * o.x,
        )
    }

    pub fn add(self, o: V3) -> V3 {
        V3::new(self.x + o.x, self.y + o.y, self.z + o.z)
    }

    pub fn sub(self, o: V3) -> V3 {
        V3::new(self.x - o.x, self.y - o.y, self.z - o.z)
    }

    pub fn scale(self, k: f64) -> V3 {
        V3::new(self.x * k, self.y * k, self.z * k)
    }

    pub fn norm2(self) -> f64 {
        self.dot(self)
    }

    pub fn norm(self) -> f64 {
        self.norm2().sqrt()
    }

    /// The unit vector in the same direction (zero stays zero).
    pub fn normalize(self) -> V3 {
        let n = self.norm();
        if n == 0.0 {
            self
        } else {
            self.scale(1.0 / n)
        }
    }

    /// The angle between two unit vectors, in radians.
    pub fn angle(self, o: V3) -> f64 {
        self.cross(o).norm().atan2(self.dot(o))
    }

    /// The unit vector of longitude and latitude in degrees.
    pub fn from_lon_lat(lon: f64, lat: f64) -> V3 {
        let (lo, la) = (lon.to_radians(), lat.to_radians());
        V3::new(la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin())
    }

    /// Longitude and latitude in degrees.
    pub fn lon_lat(self) -> (f64, f64) {
        let lat = self.z.atan2((self.x * self.x + self.y * self.y).sqrt());
        let lon = self.y.atan2(self.x);
        (lon.to_degrees(), lat.to_degrees())
    }
}

/// Whether a longitude is valid: finite and in [-180, 180].
pub fn valid_lon(x: f64) -> bool {
    (-180.0..=180.0).contains(&x)
}

/// Whether a latitude is valid: finite and in [-90, 90].
pub fn valid_lat(y: f64) -> bool {
    (-90.0..=90.0).contains(&y)
}

/// The central angle between two points given in degrees (haversine).
pub fn central_angle(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dl = (lon2 - lon1).to_radians();
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * h.sqrt().min(1.0).asin()
}

/// The distance in meters between two points given in degrees.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    central_angle(lon1, lat1, lon2, lat2) * EARTH_RADIUS
}

/// The initial azimuth (clockwise from north, radians in [0, 2π)) of the
/// geodesic from the first point to the second; `None` for equal or
/// antipodal points, where it is undefined.
pub fn azimuth(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> Option<f64> {
    let (a, b) = (V3::from_lon_lat(lon1, lat1), V3::from_lon_lat(lon2, lat2));
    if a.cross(b).norm() < 1e-15 {
        return None;
    }
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dl = (lon2 - lon1).to_radians();
    let t = (dl.sin() * p2.cos()).atan2(p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos());
    let t = t.rem_euclid(std::f64::consts::TAU);
    Some(if t >= std::f64::consts::TAU { 0.0 } else { t })
}

/// The point of the arc `a`-`b` (shorter than 180°) closest to `p`.
pub fn closest_on_arc(p: V3, a: V3, b: V3) -> V3 {
    let n = a.cross(b);
    if n.norm2() == 0.0 {
        return a;
    }
    // The projection of p onto the arc's great circle.
    let q = p.sub(n.scale(p.dot(n) / n.norm2()));
    if q.norm2() > 0.0 {
        let q = q.normalize();
        // q lies on the arc when it is between a and b.
        if a.cross(q).dot(n) >= 0.0 && q.cross(b).dot(n) >= 0.0 {
            return q;
        }
    }
    if p.angle(a) <= p.angle(b) {
        a
    } else {
        b
    }
}

/// The angular distance from `p` to the arc `a`-`b`.
pub fn arc_distance(p: V3, a: V3, b: V3) -> f64 {
    p.angle(closest_on_arc(p, a, b))
}
