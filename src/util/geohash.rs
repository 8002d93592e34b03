//! Redis's geohash: the 52-bit interleaved encoding stored as a sorted-set score, its
//! decoding, the neighbouring cells, and the nine-cell cover of a search area (Redis's
//! geohash.c and geohash_helper.c, same algorithms and the same floating-point steps, so
//! scores, decoded coordinates and distances are bit-for-bit Redis's).
//!
//! A hash of `step` bits per axis holds the latitude cell in the even bit positions and the
//! longitude cell in the odd ones. Scores use 26 steps (52 bits) over longitude
//! [-180, 180] and latitude [-85.05112878, 85.05112878] (the Web Mercator limits), so a
//! score is an integer below 2^52 and exact in an f64.
//!
//! Nothing here knows of sorted sets or commands.

/// Bits per axis of a stored score.
pub const STEP_MAX: u8 = 26;
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
/// Redis's Earth radius (quadratic mean radius of WGS-84), in meters.
pub const EARTH_RADIUS_M: f64 = 6372797.560856;
/// Half the Equator in Web Mercator meters (the search step estimate starts from it).
const MERCATOR_MAX: f64 = 20037726.37;
/// Degrees to radians, computed as Redis's `M_PI / 180.0`.
const D_R: f64 = std::f64::consts::PI / 180.0;

fn deg_rad(ang: f64) -> f64 {
    ang * D_R
}

fn rad_deg(ang: f64) -> f64 {
    ang / D_R
}

/// A cell: `step` bits per axis, interleaved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HashBits {
    pub bits: u64,
    pub step: u8,
}

impl HashBits {
    /// A cell cleared from the search (Redis's `HASHISZERO`).
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The hash left-aligned to 52 bits: the lowest score inside the cell.
    pub fn align52(&self) -> u64 {
        self.bits << 52u32.saturating_sub(2 * u32::from(self.step))
    }

    /// Scores `[min, max)` of every point inside the cell: the prefix, and the next prefix.
    pub fn score_range(&self) -> (u64, u64) {
        let next = HashBits {
            bits: self.bits.wrapping_add(1),
            step: self.step,
        };
        (self.align52(), next.align52())
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The coordinate ranges of stored scores.
pub const WGS84_LONG: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
pub const WGS84_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// The rectangle a cell covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub hash: HashBits,
    pub longitude: Range,
    pub latitude: Range,
}

/// Spread the 32 bits of `v` over the even bit positions of a u64.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gather the even bit positions of `v` into a u32 (the inverse of [`spread`]).
fn gather(v: u64) -> u64 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF
}

/// `lat` in the even bits, `lon` in the odd bits.
fn interleave(lat: u32, lon: u32) -> u64 {
    spread(lat) | (spread(lon) << 1)
}

/// (latitude cell, longitude cell) of interleaved bits.
fn deinterleave(bits: u64) -> (u32, u32) {
    (gather(bits) as u32, gather(bits >> 1) as u32)
}

/// Encode a point in the given ranges with `step` bits per axis (geohashEncode). `None`
/// outside the Web Mercator limits or the ranges, or for a step outside 1..=32.
pub fn encode(
    long_range: Range,
    lat_range: Range,
    lon: f64,
    lat: f64,
    step: u8,
) -> Option<HashBits> {
    if step == 0 || step > 32 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || lon < long_range.min || lon > long_range.max {
        return None;
    }
    let cells = (1u64 << step) as f64;
    let lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min) * cells;
    let long_offset = (lon - long_range.min) / (long_range.max - long_range.min) * cells;
    // At the top of a range the offset is 2^step itself: Redis keeps that bit too.
    Some(HashBits {
        bits: interleave(lat_offset as u32, long_offset as u32),
        step,
    })
}

/// Encode a point as stored (26 steps over the WGS-84 ranges).
pub fn encode_wgs84(lon: f64, lat: f64) -> Option<HashBits> {
    encode(WGS84_LONG, WGS84_LAT, lon, lat, STEP_MAX)
}

/// The rectangle of a cell (geohashDecode). `None` for a cleared cell.
pub fn decode(long_range: Range, lat_range: Range, hash: HashBits) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let (ilat, ilon) = deinterleave(hash.bits);
    let cells = (1u64 << hash.step.min(63)) as f64;
    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = long_range.max - long_range.min;
    // The +1 is 32-bit arithmetic in Redis (it wraps for a cell index of 2^32 - 1).
    let edge = |i: u32| f64::from(i) * 1.0 / cells;
    Some(Area {
        hash,
        latitude: Range {
            min: lat_range.min + edge(ilat) * lat_scale,
            max: lat_range.min + edge(ilat.wrapping_add(1)) * lat_scale,
        },
        longitude: Range {
            min: long_range.min + edge(ilon) * long_scale,
            max: long_range.min + edge(ilon.wrapping_add(1)) * long_scale,
        },
    })
}

/// The centre of a cell, clamped to the Web Mercator limits (geohashDecodeAreaToLongLat).
pub fn area_center(area: &Area) -> (f64, f64) {
    let lon = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// x86-64's conversion of a double to `uint64_t` as GCC emits it (what Redis's
/// `(uint64_t)score` does): values from 2^63 up go through a subtraction; anything the
/// signed conversion cannot represent (NaN, too large, below -2^63) gives 2^63.
fn c_double_to_u64(d: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    let signed = |x: f64| -> u64 {
        if x.is_nan() || !(-TWO63..TWO63).contains(&x) {
            1u64 << 63
        } else {
            x as i64 as u64
        }
    };
    if d >= TWO63 {
        signed(d - TWO63) ^ (1u64 << 63)
    } else {
        signed(d)
    }
}

/// The (longitude, latitude) a score stands for (Redis's decodeGeohash): the centre of
/// its 26-step cell. Any score decodes, as in Redis, even one that no GEOADD wrote.
pub fn decode_score(score: f64) -> (f64, f64) {
    let hash = HashBits {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    };
    match decode(WGS84_LONG, WGS84_LAT, hash) {
        Some(area) => area_center(&area),
        None => (0.0, 0.0),
    }
}

/// The score GEOADD stores for a point inside the limits.
pub fn score_of(lon: f64, lat: f64) -> Option<u64> {
    encode_wgs84(lon, lat).map(|h| h.align52())
}

/// The standard 11-character base-32 geohash of a score (GEOHASH): decoded, re-encoded
/// with the standard latitude range [-90, 90], the 11th character always `0`.
pub fn standard_geohash(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = decode_score(score);
    let bits = encode(
        WGS84_LONG,
        Range {
            min: -90.0,
            max: 90.0,
        },
        lon,
        lat,
        STEP_MAX,
    )
    .map_or(0, |h| h.bits);
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().take(10).enumerate() {
        let idx = (bits >> (52 - (i + 1) * 5)) & 0x1f;
        *c = ALPHABET[idx as usize];
    }
    out
}

/// The eight cells around one, wrapping around each axis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Neighbors {
    pub north: HashBits,
    pub east: HashBits,
    pub west: HashBits,
    pub south: HashBits,
    pub north_east: HashBits,
    pub south_east: HashBits,
    pub north_west: HashBits,
    pub south_west: HashBits,
}

/// Mask of one axis's bits within a `step`-bit hash: `pattern` is 0x55.. (latitude, even
/// positions) or 0xaa.. (longitude, odd positions).
fn axis_mask(pattern: u64, step: u8) -> u64 {
    let shift = 64 - 2 * u32::from(step.clamp(1, 32));
    pattern >> shift
}

/// Move one cell along an axis (geohash_move_x/_y): the axis's bits are incremented or
/// decremented as one number, carries skipping the other axis's positions.
fn move_axis(hash: &mut HashBits, d: i8, axis: u64, other: u64) {
    if d == 0 {
        return;
    }
    let mut v = hash.bits & axis;
    let keep = hash.bits & other;
    // All of the other axis's positions set, so a carry runs through them.
    let filler = axis_mask(other, hash.step);
    if d > 0 {
        v = v.wrapping_add(filler.wrapping_add(1));
    } else {
        v |= filler;
        v = v.wrapping_sub(filler.wrapping_add(1));
    }
    v &= axis_mask(axis, hash.step);
    hash.bits = v | keep;
}

const LON_BITS: u64 = 0xaaaa_aaaa_aaaa_aaaa;
const LAT_BITS: u64 = 0x5555_5555_5555_5555;

fn moved(hash: HashBits, dx: i8, dy: i8) -> HashBits {
    let mut h = hash;
    move_axis(&mut h, dx, LON_BITS, LAT_BITS);
    move_axis(&mut h, dy, LAT_BITS, LON_BITS);
    h
}

/// The eight neighbours of a cell (geohashNeighbors).
pub fn neighbors(hash: HashBits) -> Neighbors {
    Neighbors {
        east: moved(hash, 1, 0),
        west: moved(hash, -1, 0),
        south: moved(hash, 0, -1),
        north: moved(hash, 0, 1),
        north_west: moved(hash, -1, 1),
        north_east: moved(hash, 1, 1),
        south_east: moved(hash, 1, -1),
        south_west: moved(hash, -1, -1),
    }
}

/// Steps per axis whose cells are about as large as the search radius
/// (geohashEstimateStepsByRadius), one or two fewer near the poles.
pub fn estimate_steps_by_radius(range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// What a search covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShapeKind {
    /// Radius, in the shape's unit.
    Circle { radius: f64 },
    /// Full width and height, in the shape's unit.
    Box { width: f64, height: f64 },
}

/// A search area: its kind, its centre (longitude, latitude) and the unit's size in
/// meters (Redis's GeoShape).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub kind: ShapeKind,
    pub lon: f64,
    pub lat: f64,
    pub conversion: f64,
}

impl Shape {
    /// The bounding box [min lon, min lat, max lon, max lat] (geohashBoundingBox): the
    /// longitude span is taken at the edge nearer the pole, which is the wider one.
    pub fn bounding_box(&self) -> [f64; 4] {
        let (half_h, half_w) = match self.kind {
            ShapeKind::Circle { radius } => (radius, radius),
            ShapeKind::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.conversion * half_h;
        let width = self.conversion * half_w;
        let lat_delta = rad_deg(height / EARTH_RADIUS_M);
        let long_delta_top = rad_deg(width / EARTH_RADIUS_M / deg_rad(self.lat + lat_delta).cos());
        let long_delta_bottom =
            rad_deg(width / EARTH_RADIUS_M / deg_rad(self.lat - lat_delta).cos());
        let long_delta = if self.lat < 0.0 {
            long_delta_bottom
        } else {
            long_delta_top
        };
        [
            self.lon - long_delta,
            self.lat - lat_delta,
            self.lon + long_delta,
            self.lat + lat_delta,
        ]
    }

    /// Whether a point lies inside, and its distance from the centre in meters
    /// (geohashGetDistanceIfInRadius / geohashGetDistanceIfInRectangle of Redis 7.0).
    pub fn distance_if_within(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.kind {
            ShapeKind::Circle { radius } => {
                let d = distance(self.lon, self.lat, lon, lat);
                // `>` as Redis: a NaN distance (antipodes) counts as inside.
                if d > radius * self.conversion {
                    return None;
                }
                Some(d)
            }
            ShapeKind::Box { width, height } => {
                let (w, h) = (width * self.conversion, height * self.conversion);
                let lon_distance = distance(lon, lat, self.lon, lat);
                let lat_distance = distance(lon, lat, lon, self.lat);
                if lon_distance > w / 2.0 || lat_distance > h / 2.0 {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }

    /// The centre cell and the neighbours worth searching
    /// (geohashCalculateAreasByShapeWGS84): cells about the size of the area, one step
    /// coarser if a side neighbour does not reach the bounding box, and the neighbours
    /// entirely outside the bounding box cleared.
    pub fn cover(&self) -> Cover {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounding_box();
        let radius_meters = match self.kind {
            ShapeKind::Circle { radius } => radius,
            ShapeKind::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        } * self.conversion;
        let mut steps = estimate_steps_by_radius(radius_meters, self.lat);
        let cell = |steps: u8| {
            let hash =
                encode(WGS84_LONG, WGS84_LAT, self.lon, self.lat, steps).unwrap_or(HashBits {
                    bits: 0,
                    step: steps,
                });
            let area = decode(WGS84_LONG, WGS84_LAT, hash);
            (hash, neighbors(hash), area)
        };
        let (mut hash, mut nb, mut area) = cell(steps);
        let dec = |h: HashBits| decode(WGS84_LONG, WGS84_LAT, h);
        let decrease = dec(nb.north).is_some_and(|a| a.latitude.max < max_lat)
            || dec(nb.south).is_some_and(|a| a.latitude.min > min_lat)
            || dec(nb.east).is_some_and(|a| a.longitude.max < max_lon)
            || dec(nb.west).is_some_and(|a| a.longitude.min > min_lon);
        if steps > 1 && decrease {
            steps -= 1;
            (hash, nb, area) = cell(steps);
        }
        if steps >= 2
            && let Some(area) = area
        {
            let zero = HashBits::default();
            if area.latitude.min < min_lat {
                nb.south = zero;
                nb.south_west = zero;
                nb.south_east = zero;
            }
            if area.latitude.max > max_lat {
                nb.north = zero;
                nb.north_east = zero;
                nb.north_west = zero;
            }
            if area.longitude.min < min_lon {
                nb.west = zero;
                nb.south_west = zero;
                nb.north_west = zero;
            }
            if area.longitude.max > max_lon {
                nb.east = zero;
                nb.south_east = zero;
                nb.north_east = zero;
            }
        }
        Cover {
            hash,
            neighbors: nb,
        }
    }
}

/// The cells a search reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cover {
    pub hash: HashBits,
    pub neighbors: Neighbors,
}

impl Cover {
    /// The cells in Redis's search order (centre, N, S, E, W, NE, NW, SE, SW), cleared ones
    /// and repeats of the cell just searched left out (at one step, neighbours coincide).
    pub fn cells(&self) -> Vec<HashBits> {
        let n = &self.neighbors;
        let all = [
            self.hash,
            n.north,
            n.south,
            n.east,
            n.west,
            n.north_east,
            n.north_west,
            n.south_east,
            n.south_west,
        ];
        let mut out: Vec<HashBits> = Vec::with_capacity(9);
        // Redis compares with the last cell it processed, never with the centre (index 0).
        let mut last: Option<HashBits> = None;
        for (i, h) in all.into_iter().enumerate() {
            if h.is_zero() {
                continue;
            }
            if last.is_some_and(|l| l == h) {
                continue;
            }
            out.push(h);
            if i > 0 {
                last = Some(h);
            }
        }
        out
    }
}

/// Great-circle distance in meters by the haversine formula (Redis 7.0's
/// geohashGetDistance).
pub fn distance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64) -> f64 {
    let lat1r = deg_rad(lat1d);
    let lon1r = deg_rad(lon1d);
    let lat2r = deg_rad(lat2d);
    let lon2r = deg_rad(lon2d);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let v = ((lon2r - lon1r) / 2.0).sin();
    2.0 * EARTH_RADIUS_M * (u * u + lat1r.cos() * lat2r.cos() * v * v).sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_redis() {
        // GEOADD k 13.361389 38.115556 Palermo 15.087269 37.502669 Catania on Redis 7.0.
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
        assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909));
        assert_eq!(score_of(181.0, 0.0), None);
        assert_eq!(score_of(0.0, 85.06), None);
        let (lon, lat) = decode_score(3479099956230698.0);
        assert_eq!(format!("{lon:.17}"), "13.36138933897018433");
        assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
        assert_eq!(&standard_geohash(3479099956230698.0), b"sqc8b49rny0");
        assert_eq!(&standard_geohash(3479447370796909.0), b"sqdtr74hyu0");
    }

    #[test]
    fn interleave_round_trips() {
        let mut s = 0x1234_5678_9abc_def1u64;
        for _ in 0..1000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let (a, b) = (s as u32, (s >> 32) as u32);
            assert_eq!(deinterleave(interleave(a, b)), (a, b));
            // Bit by bit: latitude bit i at 2i, longitude bit i at 2i+1.
            let v = interleave(a, b);
            for i in 0..32 {
                assert_eq!((v >> (2 * i)) & 1, u64::from((a >> i) & 1));
                assert_eq!((v >> (2 * i + 1)) & 1, u64::from((b >> i) & 1));
            }
        }
    }

    #[test]
    fn neighbours_move_one_cell_and_wrap() {
        for step in [1u8, 2, 5, 26] {
            let cells = 1u32 << step;
            for (ilat, ilon) in [(0, 0), (cells - 1, cells - 1), (3 % cells, 1 % cells)] {
                let h = HashBits {
                    bits: interleave(ilat, ilon),
                    step,
                };
                let n = neighbors(h);
                let at = |dx: i64, dy: i64| HashBits {
                    bits: interleave(
                        (ilat as i64 + dy).rem_euclid(cells as i64) as u32,
                        (ilon as i64 + dx).rem_euclid(cells as i64) as u32,
                    ),
                    step,
                };
                assert_eq!(n.east, at(1, 0));
                assert_eq!(n.west, at(-1, 0));
                assert_eq!(n.north, at(0, 1));
                assert_eq!(n.south, at(0, -1));
                assert_eq!(n.north_east, at(1, 1));
                assert_eq!(n.north_west, at(-1, 1));
                assert_eq!(n.south_east, at(1, -1));
                assert_eq!(n.south_west, at(-1, -1));
            }
        }
    }

    #[test]
    fn double_to_u64_like_x86() {
        assert_eq!(c_double_to_u64(5.9), 5);
        assert_eq!(c_double_to_u64(-5.5), (-5i64) as u64);
        assert_eq!(c_double_to_u64(f64::INFINITY), 0);
        assert_eq!(c_double_to_u64(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(c_double_to_u64(1e19), 10_000_000_000_000_000_000);
        assert_eq!(c_double_to_u64(1e30), 0);
    }

    #[test]
    fn steps_and_cover() {
        assert_eq!(estimate_steps_by_radius(0.0, 0.0), 26);
        assert_eq!(estimate_steps_by_radius(f64::INFINITY, 0.0), 1);
        let s1 = estimate_steps_by_radius(1000.0, 10.0);
        assert_eq!(estimate_steps_by_radius(1000.0, 70.0), s1 - 1);
        assert_eq!(estimate_steps_by_radius(1000.0, -85.0), s1 - 2);
        // A huge radius searches one step: the neighbours coincide and are read once.
        let shape = Shape {
            kind: ShapeKind::Circle { radius: 1e7 },
            lon: 0.0,
            lat: 0.0,
            conversion: 1.0,
        };
        let cells = shape.cover().cells();
        assert!(cells.len() <= 4 && cells.iter().all(|c| c.step == 1));
        // Every cell of a small search is distinct.
        let shape = Shape {
            kind: ShapeKind::Box {
                width: 10.0,
                height: 20.0,
            },
            lon: 13.0,
            lat: 38.0,
            conversion: 1000.0,
        };
        let cells = shape.cover().cells();
        let mut dedup = cells.clone();
        dedup.sort_by_key(|h| h.bits);
        dedup.dedup();
        assert_eq!(dedup.len(), cells.len());
    }

    #[test]
    fn distance_is_haversine() {
        let (a, b) = (
            decode_score(3479099956230698.0),
            decode_score(3479447370796909.0),
        );
        let d = distance(a.0, a.1, b.0, b.1);
        assert_eq!(format!("{:.4}", d), "166274.1516");
        assert_eq!(distance(1.0, 2.0, 1.0, 2.0), 0.0);
    }
}
