//! Geo commands, differential against a real Redis 7.0: a curated list (every command,
//! option and error; poles, the antimeridian, zero and huge radii, every unit, boxes of
//! many sizes, COUNT with and without ANY, ties in distance), then seeded random points
//! and searches, in RESP2 and RESP3, every reply compared byte for byte.

mod common;

use common::*;

const CURATED: &str = r#"
GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
GEOADD Sicily 12.758489 38.788135 edge1 17.241510 38.788135 edge2
ZRANGE Sicily 0 -1 WITHSCORES
OBJECT ENCODING Sicily
GEOPOS Sicily Palermo Catania nope edge1 edge2
GEOPOS Sicily
GEOPOS missing a b
GEOHASH Sicily Palermo Catania nope edge1 edge2
GEOHASH missing a
GEODIST Sicily Palermo Catania
GEODIST Sicily Palermo Catania m
GEODIST Sicily Palermo Catania KM
GEODIST Sicily Palermo Catania ft
GEODIST Sicily Palermo Catania Mi
GEODIST Sicily Palermo Catania yd
GEODIST Sicily Palermo Catania km extra
GEODIST Sicily Palermo nope
GEODIST Sicily Palermo Palermo
GEODIST missing a b
GEODIST missing a b parsec
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km DESC
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST WITHCOORD WITHHASH
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHHASH WITHCOORD WITHDIST ASC
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHCOORD
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km DESC WITHCOORD
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 100 100 km WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 0 0 m
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 20000 20000 km WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 40000 1 km WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 40000 km WITHDIST
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km WITHDIST
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 0 m WITHDIST
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 0 0 km WITHDIST
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 mi WITHDIST
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200000 ft WITHDIST
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200000 m WITHDIST
GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 200 km
GEOSEARCH Sicily FROMMEMBER Palermo FROMMEMBER Catania BYRADIUS 100 km WITHDIST
GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 1 1 BYRADIUS 100 km
GEOSEARCH Sicily FROMLONLAT 1 1 FROMMEMBER Palermo BYRADIUS 100 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 100 km BYBOX 1 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 km BYRADIUS 100 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 100 km BYRADIUS 300 km WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37
GEOSEARCH Sicily BYRADIUS 100 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 100
GEOSEARCH Sicily FROMLONLAT 15 BYRADIUS 100 km
GEOSEARCH Sicily FROMLONLAT 181 37 BYRADIUS 100 km
GEOSEARCH Sicily FROMLONLAT 15 86 BYRADIUS 100 km
GEOSEARCH Sicily FROMLONLAT x 37 BYRADIUS 100 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS x km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS -1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 parsec
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 x km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 -1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 parsec
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x -1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1 DESC
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 2 ANY
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1 ANY ASC
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1 ANY DESC
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 100
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 0
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT -1
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT x
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE dst
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km FOO
geosearch Sicily FROMLONLAT 15 37
GeoSearch Sicily FROMLONLAT 15 37
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST STORE
GEOSEARCH missing FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCH missing FROMMEMBER x BYRADIUS 200 km
GEOSEARCH missing FROMMEMBER x FROMLONLAT 1 2 BYRADIUS 200 km
GEOSEARCH missing FROMMEMBER x
GEOSEARCH missing FROMLONLAT 15 37 BYRADIUS 200 km ANY
GEOSEARCH missing FROMLONLAT 15 37 BYRADIUS -1 km
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km
ZRANGE dst 0 -1 WITHSCORES
OBJECT ENCODING dst
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST COUNT 1 DESC
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 mi STOREDIST
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHHASH STOREDIST
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE other
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 1 m
EXISTS dst
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCHSTORE dst missing FROMLONLAT 15 37 BYRADIUS 200 km
EXISTS dst
GEOSEARCHSTORE dst missing FROMLONLAT 15 37
SET str x
GEOSEARCHSTORE str Sicily FROMLONLAT 15 37 BYRADIUS 200 km
TYPE str
GEOSEARCHSTORE dst str FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCHSTORE Sicily Sicily FROMLONLAT 15 37 BYRADIUS 100 km
ZRANGE Sicily 0 -1 WITHSCORES
GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 12.758489 38.788135 edge1 17.241510 38.788135 edge2
GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD ASC
GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH DESC COUNT 1
GEORADIUS Sicily 15 37 200 km COUNT 1 ANY
GEORADIUS Sicily 15 37 200 km ANY
GEORADIUS Sicily 15 37 200 km STORE dst2
ZRANGE dst2 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STOREDIST dst2 ASC COUNT 2
ZRANGE dst2 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STORE dst2 STOREDIST dst3
ZRANGE dst3 0 -1 WITHSCORES
EXISTS dst2
GEORADIUS Sicily 15 37 200 km STORE dst2 WITHDIST
GEORADIUS Sicily 15 37 200 km STORE
GEORADIUS Sicily 15 37 200 km FROMMEMBER Palermo
GEORADIUS Sicily 15 37 200 km BYBOX 1 1 km
GEORADIUS Sicily 15 37 -200 km
GEORADIUS Sicily 15 37 x km
GEORADIUS Sicily 15 37 200 yd
GEORADIUS Sicily 195 37 200 km
GEORADIUS missing 15 37 200 km
GEORADIUS missing 15 37 200 km STORE dst2
EXISTS dst2
GEORADIUS missing 195 37 200 km
GEORADIUS str 15 37 200 km
GEORADIUS_RO Sicily 15 37 200 km WITHDIST ASC
GEORADIUS_RO Sicily 15 37 200 km STORE dst2
GEORADIUS_RO Sicily 15 37 200 km STOREDIST dst2
GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST WITHHASH ASC
GEORADIUSBYMEMBER Sicily Palermo 200 km WITHCOORD DESC COUNT 2
GEORADIUSBYMEMBER Sicily nope 200 km
GEORADIUSBYMEMBER Sicily nope -200 km
GEORADIUSBYMEMBER Sicily Palermo -200 km
GEORADIUSBYMEMBER Sicily Palermo 200 km STORE dst4
ZRANGE dst4 0 -1 WITHSCORES
GEORADIUSBYMEMBER Sicily Palermo 200 km STORE dst4 WITHCOORD
GEORADIUSBYMEMBER missing Palermo 200 km
GEORADIUSBYMEMBER missing Palermo -200 km
GEORADIUSBYMEMBER missing Palermo 200 parsec
GEORADIUSBYMEMBER missing Palermo 200 km STORE dst4
GEORADIUSBYMEMBER missing Palermo 200 km WITHDIST STORE dst4
GEORADIUSBYMEMBER missing Palermo 200 km FOO
EXISTS dst4
GEORADIUSBYMEMBER_RO Sicily Palermo 200 km ASC WITHDIST
GEORADIUSBYMEMBER_RO Sicily Palermo 200 km STORE x
GEORADIUSBYMEMBER str Palermo 200 km
GEOADD Sicily
GEOADD Sicily 1 2
GEOADD Sicily 1 2 a 3
GEOADD Sicily xx nx 1 1 a
GEOADD Sicily nx xx 1 1 a
GEOADD Sicily gt 1 1 a
GEOADD Sicily nx ch ch
GEOADD Sicily ch
GEOADD Sicily 181 91 a
GEOADD Sicily -181 0 a
GEOADD Sicily 0 -85.05112879 a
GEOADD Sicily 0 85.05112879 a
GEOADD Sicily inf 1 a
GEOADD Sicily -inf 1 a
GEOADD Sicily 1e400 1 a
GEOADD Sicily nan 1 a
GEOADD Sicily x 1 a
GEOADD Sicily 1 x a
GEOADD Sicily 1 1 a 2 x b
GEOADD Sicily 1 1 a 200 1 b
GEOADD Sicily 1e-320 -1e-320 tiny 0x10 0x1p3 hexa
GEOPOS Sicily tiny hexa a b
GEOADD Sicily NX 13.361389 38.115556 Palermo 1 1 nxnew
GEOADD Sicily XX 13.4 38.1 Palermo 1 1 xxnew
GEOADD Sicily XX CH 13.5 38.1 Palermo 1 1 xxnew
GEOADD Sicily CH 13.5 38.1 Palermo 13.6 38.1 Palermo
GEOADD Sicily CH NX 13.7 38.1 Palermo
GEOPOS Sicily Palermo nxnew xxnew
GEOADD str 1 1 a
GEOADD str 181 1 a
GEOPOS str a
GEOHASH str a
GEODIST str a b
GEODIST str a b parsec
GEOSEARCH str FROMLONLAT 1 1 BYRADIUS 1 km
GEOSEARCH str FROMLONLAT 1 1
GEOADD newkey XX 1 1 a
EXISTS newkey
GEOADD poles 0 85.05112878 np 0 -85.05112878 sp 180 85.05112878 ne -180 -85.05112878 sw 180 0 e180 -180 0 w180 179.9999 0.5 e1 -179.9999 0.5 w1 0 0 origin
ZRANGE poles 0 -1 WITHSCORES
GEOPOS poles np sp ne sw e180 w180 e1 w1 origin
GEOHASH poles np sp ne sw e180 w180 e1 w1 origin
GEODIST poles np sp km
GEODIST poles e180 w180
GEODIST poles e1 w1 km
GEODIST poles ne sw km
GEODIST poles origin e180 mi
GEOSEARCH poles FROMMEMBER e1 BYRADIUS 100 km WITHDIST ASC
GEOSEARCH poles FROMMEMBER e180 BYRADIUS 1 km WITHDIST ASC
GEOSEARCH poles FROMMEMBER w1 BYBOX 200 200 km WITHDIST ASC
GEOSEARCH poles FROMLONLAT 180 0 BYRADIUS 50 km WITHDIST ASC
GEOSEARCH poles FROMLONLAT -180 0.5 BYRADIUS 50 km WITHDIST ASC
GEOSEARCH poles FROMMEMBER np BYRADIUS 100 km WITHDIST ASC
GEOSEARCH poles FROMMEMBER np BYRADIUS 5000 km WITHDIST ASC
GEOSEARCH poles FROMMEMBER sp BYBOX 10000 10000 km WITHDIST ASC
GEOSEARCH poles FROMLONLAT 0 85 BYBOX 40000 100 km WITHDIST ASC
GEOSEARCH poles FROMLONLAT 90 -85 BYRADIUS 3000 km WITHDIST ASC
GEOSEARCH poles FROMLONLAT 0 0 BYRADIUS 20000 km WITHDIST ASC
GEOSEARCH poles FROMLONLAT 0 0 BYRADIUS 20038 km WITHDIST DESC
GEOSEARCH poles FROMLONLAT 0 0 BYRADIUS 1e10 m WITHDIST ASC
GEOSEARCH poles FROMLONLAT 0 0 BYRADIUS 1e300 m WITHDIST ASC
GEOSEARCH poles FROMLONLAT 0 0 BYRADIUS inf m WITHDIST ASC
GEOSEARCH poles FROMLONLAT 0 0 BYBOX inf inf m WITHDIST ASC
GEOSEARCH poles FROMLONLAT 0 0 BYBOX 1e300 1e300 km WITHDIST ASC
GEOSEARCH poles FROMLONLAT 0 0 BYRADIUS 0 m WITHDIST WITHHASH WITHCOORD
GEOSEARCH poles FROMLONLAT 0 0 BYRADIUS 1e-300 m WITHDIST
GEOSEARCH poles FROMLONLAT 0 0 BYRADIUS 20000 km COUNT 3 WITHDIST
GEOSEARCH poles FROMLONLAT 0 0 BYRADIUS 20000 km COUNT 3 DESC WITHDIST
GEOSEARCH poles FROMLONLAT 0 0 BYRADIUS 20000 km COUNT 3 ANY WITHDIST
GEOSEARCH poles FROMLONLAT 0 0 BYRADIUS 20000 km COUNT 3 ANY DESC WITHDIST
GEOSEARCH poles FROMLONLAT 0 0 BYRADIUS 20000 km COUNT 30 ANY WITHDIST
GEOSEARCH poles FROMLONLAT 180 0 BYRADIUS 20038 km WITHDIST ASC
GEOSEARCH poles FROMLONLAT 0 0 BYBOX 40075 1 km WITHDIST
GEORADIUS poles 0 0 20000 km WITHDIST
GEORADIUS poles 180 85.05112878 100 km WITHDIST
ZADD weird -5 neg 1.5 frac 4503599627370496 big 4503599627370495 max52 1e300 huge inf pinf -inf ninf 0 zero 9.3e18 above63 -9.3e18 below63
GEOPOS weird neg frac big max52 huge pinf ninf zero above63 below63
GEOHASH weird neg frac big max52 huge pinf ninf zero above63 below63
GEODIST weird neg frac
GEODIST weird big max52 km
GEODIST weird zero huge mi
GEOSEARCH weird FROMMEMBER zero BYRADIUS 100 km WITHDIST WITHHASH
GEOSEARCH weird FROMMEMBER frac BYRADIUS 100 km WITHDIST WITHHASH WITHCOORD
GEOSEARCH weird FROMMEMBER max52 BYRADIUS 100 km WITHDIST WITHHASH WITHCOORD
GEOSEARCH weird FROMMEMBER big BYRADIUS 100 km WITHDIST WITHHASH WITHCOORD
GEOSEARCH weird FROMLONLAT 180 85.05112878 BYRADIUS 100 km WITHDIST WITHHASH WITHCOORD
GEOADD ties 10 10 a 10 10 b 10 10 c 10.001 10 d 9.999 10 e 10 10.001 f 10 9.999 g 10 10 h 10.001 10.001 i 9.999 9.999 j
GEOSEARCH ties FROMLONLAT 10 10 BYRADIUS 1 km
GEOSEARCH ties FROMLONLAT 10 10 BYRADIUS 1 km ASC WITHDIST
GEOSEARCH ties FROMLONLAT 10 10 BYRADIUS 1 km DESC WITHDIST
GEOSEARCH ties FROMLONLAT 10 10 BYRADIUS 1 km ASC COUNT 3
GEOSEARCH ties FROMLONLAT 10 10 BYRADIUS 1 km ASC COUNT 5 WITHDIST
GEOSEARCH ties FROMLONLAT 10 10 BYRADIUS 1 km DESC COUNT 5 WITHDIST
GEOSEARCH ties FROMLONLAT 10 10 BYRADIUS 1 km DESC COUNT 9 WITHDIST
GEOSEARCH ties FROMLONLAT 10 10 BYRADIUS 1 km COUNT 4 ANY ASC
GEOSEARCHSTORE tdst ties FROMLONLAT 10 10 BYRADIUS 1 km COUNT 4 STOREDIST
ZRANGE tdst 0 -1 WITHSCORES
GEOSEARCH ties FROMLONLAT 10 10 BYBOX 0.2 0.2 km WITHDIST ASC
GEOSEARCH ties FROMLONLAT 10 10 BYBOX 0.3 0.1 km WITHDIST ASC
MULTI
GEOADD tx 1 1 a
GEOSEARCH tx FROMLONLAT 1 1 BYRADIUS 1 km WITHDIST
GEOPOS tx a
EXEC
GEOADD bin 1 1 "\x00\xff" 1 1 "" 1 1 "a b"
GEOSEARCH bin FROMLONLAT 1 1 BYRADIUS 1 m WITHDIST
GEOPOS bin "\x00\xff" ""
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 "km\x00x" WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km "withdist\x00x"
"#;

/// Send the same request to both servers; returns both replies.
fn both(pair: &mut DiffPair, args: &[Vec<u8>]) -> (Vec<u8>, Vec<u8>) {
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    (pair.ferro.cmd_b(&refs), pair.redis.cmd_b(&refs))
}

fn hello3(pair: &mut DiffPair) {
    let (f, r) = both(pair, &[b"HELLO".to_vec(), b"3".to_vec()]);
    assert!(f.starts_with(b"%") && r.starts_with(b"%"));
}

fn s(x: &str) -> Vec<u8> {
    x.as_bytes().to_vec()
}

fn run_curated(resp3: bool) {
    let Some(mut pair) = DiffPair::new() else {
        return;
    };
    if resp3 {
        hello3(&mut pair);
    }
    // Once with the default limits, once with every key a skiplist.
    for limit in ["128", "0"] {
        pair.check(&[s("FLUSHALL")], "flush");
        pair.check(
            &[
                s("CONFIG"),
                s("SET"),
                s("zset-max-listpack-entries"),
                s(limit),
            ],
            "config",
        );
        for (i, line) in CURATED.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            pair.check(
                &split_line(line),
                &format!("resp3={resp3} limit {limit} line {i}: {line}"),
            );
        }
    }
}

#[test]
fn curated_geo_commands_match_redis() {
    run_curated(false);
}

#[test]
fn curated_geo_commands_match_redis_resp3() {
    run_curated(true);
}

// ---- random workloads

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const KEYS: &[&str] = &["g1", "g2", "g3"];
const DSTS: &[&str] = &["d1", "d2", "g3"];
/// Cluster centres: points gather around them so searches find something; two sit on the
/// antimeridian and near the poles.
const CENTRES: &[(f64, f64)] = &[
    (13.36, 38.11),
    (-73.98, 40.75),
    (179.9, -16.5),
    (-179.95, 65.0),
    (0.0, 0.0),
    (25.0, 84.9),
    (-60.0, -84.9),
];

fn coord(x: f64, decimals: u64) -> String {
    format!("{x:.*}", decimals as usize)
}

/// A point near a cluster centre (or anywhere), with a random number of decimals; a few
/// are repeated exactly so that distances tie.
fn point(rng: &mut Rng) -> (String, String) {
    if rng.chance(10) {
        return (
            rng.pick(&["10", "-0.5", "179.999999"]).to_string(),
            rng.pick(&["10", "45.123", "-85.05112878"]).to_string(),
        );
    }
    let (lon, lat) = if rng.chance(15) {
        (rng.unit() * 360.0 - 180.0, rng.unit() * 170.1 - 85.05)
    } else {
        let (cx, cy) = CENTRES[rng.below(CENTRES.len() as u64) as usize];
        let spread = [0.001, 0.05, 1.0, 5.0][rng.below(4) as usize];
        let lon = cx + (rng.unit() * 2.0 - 1.0) * spread;
        let lat = cy + (rng.unit() * 2.0 - 1.0) * spread;
        // Wrap across the antimeridian, stay within the Mercator limits.
        let lon = if lon > 180.0 {
            lon - 360.0
        } else if lon < -180.0 {
            lon + 360.0
        } else {
            lon
        };
        (lon, lat.clamp(-85.05112878, 85.05112878))
    };
    let d = rng.below(9);
    (coord(lon, d), coord(lat, d))
}

fn member(rng: &mut Rng) -> Vec<u8> {
    format!("m{}", rng.below(60)).into_bytes()
}

fn unit(rng: &mut Rng) -> &'static str {
    rng.pick(&["m", "km", "ft", "mi", "KM"])
}

/// A distance in meters, expressed in `unit`.
fn amount(rng: &mut Rng, unit: &str) -> String {
    let meters = match rng.below(10) {
        0 => 0.0,
        1 => 5e6 + rng.unit() * 2e7,
        2 => 10.0 + rng.unit() * 1000.0,
        _ => 1000.0 + rng.unit() * 600_000.0,
    };
    let per = match unit.to_ascii_lowercase().as_str() {
        "km" => 1000.0,
        "ft" => 0.3048,
        "mi" => 1609.34,
        _ => 1.0,
    };
    coord(meters / per, rng.below(4))
}

fn options(rng: &mut Rng, out: &mut Vec<Vec<u8>>, with: bool) {
    let mut opts: Vec<Vec<Vec<u8>>> = Vec::new();
    if with {
        for o in ["WITHDIST", "WITHCOORD", "WITHHASH"] {
            if rng.chance(35) {
                opts.push(vec![s(o)]);
            }
        }
    }
    if rng.chance(60) {
        opts.push(vec![s(rng.pick(&["ASC", "DESC"]))]);
    }
    if rng.chance(50) {
        let n = [1, 2, 3, 5, 10, 40][rng.below(6) as usize];
        let mut c = vec![s("COUNT"), n.to_string().into_bytes()];
        if rng.chance(30) {
            c.push(s("ANY"));
        }
        opts.push(c);
    }
    // Options in any order.
    while !opts.is_empty() {
        let i = rng.below(opts.len() as u64) as usize;
        out.extend(opts.swap_remove(i));
    }
}

fn random_op(rng: &mut Rng) -> Vec<Vec<u8>> {
    let key = s(rng.pick(KEYS));
    match rng.below(20) {
        0..=4 => {
            let mut op = vec![s("GEOADD"), key];
            if rng.chance(15) {
                op.push(s(rng.pick(&["NX", "XX", "CH"])));
            }
            for _ in 0..1 + rng.below(6) {
                let (lon, lat) = point(rng);
                op.push(lon.into_bytes());
                op.push(lat.into_bytes());
                op.push(member(rng));
            }
            op
        }
        5 => {
            let mut op = vec![s("GEOPOS"), key];
            for _ in 0..1 + rng.below(4) {
                op.push(member(rng));
            }
            op
        }
        6 => {
            let mut op = vec![s("GEOHASH"), key];
            for _ in 0..1 + rng.below(4) {
                op.push(member(rng));
            }
            op
        }
        7 => {
            let mut op = vec![s("GEODIST"), key, member(rng), member(rng)];
            if rng.chance(70) {
                op.push(s(unit(rng)));
            }
            op
        }
        8 => vec![s("ZREM"), key, member(rng)],
        9..=13 => {
            let store = rng.chance(20);
            let mut op = if store {
                vec![s("GEOSEARCHSTORE"), s(rng.pick(DSTS)), key]
            } else {
                vec![s("GEOSEARCH"), key]
            };
            if rng.chance(50) {
                op.push(s("FROMMEMBER"));
                op.push(member(rng));
            } else {
                let (lon, lat) = point(rng);
                op.extend([s("FROMLONLAT"), lon.into_bytes(), lat.into_bytes()]);
            }
            let u = unit(rng);
            if rng.chance(50) {
                op.extend([s("BYRADIUS"), amount(rng, u).into_bytes(), s(u)]);
            } else {
                op.extend([
                    s("BYBOX"),
                    amount(rng, u).into_bytes(),
                    amount(rng, u).into_bytes(),
                    s(u),
                ]);
            }
            options(rng, &mut op, !store);
            if store && rng.chance(50) {
                op.push(s("STOREDIST"));
            }
            op
        }
        14..=15 => {
            let u = unit(rng);
            let (lon, lat) = point(rng);
            let mut op = vec![
                s(rng.pick(&["GEORADIUS", "GEORADIUS_RO"])),
                key,
                lon.into_bytes(),
                lat.into_bytes(),
                amount(rng, u).into_bytes(),
                s(u),
            ];
            let store = op[0] == b"GEORADIUS" && rng.chance(20);
            options(rng, &mut op, !store);
            if store {
                op.push(s(rng.pick(&["STORE", "STOREDIST"])));
                op.push(s(rng.pick(DSTS)));
            }
            op
        }
        16..=17 => {
            let u = unit(rng);
            let mut op = vec![
                s(rng.pick(&["GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"])),
                key,
                member(rng),
                amount(rng, u).into_bytes(),
                s(u),
            ];
            let store = op[0] == b"GEORADIUSBYMEMBER" && rng.chance(20);
            options(rng, &mut op, !store);
            if store {
                op.push(s(rng.pick(&["STORE", "STOREDIST"])));
                op.push(s(rng.pick(DSTS)));
            }
            op
        }
        18 => vec![
            s("ZRANGE"),
            s(rng.pick(DSTS)),
            s("0"),
            s("-1"),
            s("WITHSCORES"),
        ],
        _ => vec![s("OBJECT"), s("ENCODING"), s(rng.pick(DSTS))],
    }
}

fn run_workload(resp3: bool) {
    let Some(mut pair) = DiffPair::new() else {
        return;
    };
    if resp3 {
        hello3(&mut pair);
    }
    // DIFF_GEO_SOAK=N runs N seeds instead of 4 (a longer one-off check).
    let seeds = std::env::var("DIFF_GEO_SOAK")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(4);
    for seed in 1..=seeds {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        pair.check(&[s("FLUSHALL")], "flush");
        let entries = ["128", "16", "0", "128"][((seed - 1) % 4) as usize];
        pair.check(
            &[
                s("CONFIG"),
                s("SET"),
                s("zset-max-listpack-entries"),
                s(entries),
            ],
            "config",
        );
        let mut errors = 0;
        let mut hits = 0;
        for i in 0..1500 {
            let op = random_op(&mut rng);
            let ctx = format!("resp3={resp3} seed {seed} op {i}");
            let (f, r) = both(&mut pair, &op);
            assert_eq!(
                show(&f),
                show(&r),
                "{ctx}: {:?}",
                op.iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect::<Vec<_>>()
            );
            errors += r.starts_with(b"-") as usize;
            // Searches that found something, so the workload is known to bite.
            let search = op[0].starts_with(b"GEORADIUS") || op[0].starts_with(b"GEOSEARCH");
            if search && !r.starts_with(b"-") && r != b"*0\r\n" && r != b":0\r\n" {
                hits += 1;
            }
        }
        for k in ["g1", "g2", "g3", "d1", "d2"] {
            pair.check(
                &[s("ZRANGE"), s(k), s("0"), s("-1"), s("WITHSCORES")],
                "final",
            );
            pair.check(&[s("OBJECT"), s("ENCODING"), s(k)], "final encoding");
        }
        assert!(
            errors < 300,
            "seed {seed}: {errors} of 1500 ops were errors"
        );
        assert!(hits > 150, "seed {seed}: only {hits} searches found points");
    }
}

#[test]
fn random_geo_workloads_match_redis() {
    run_workload(false);
}

#[test]
fn random_geo_workloads_match_redis_resp3() {
    run_workload(true);
}

/// Large sets: thousands of points with many exact duplicates, searched with COUNT values
/// around the partial sort's thresholds (7, 40), so tie orders of both sorts are compared
/// on big inputs; and the stored results in both encodings.
#[test]
fn large_sets_and_partial_sorts_match_redis() {
    let Some(mut pair) = DiffPair::new() else {
        return;
    };
    let mut rng = Rng(0x05EE_D6E0);
    for (key, n) in [("big", 3000u64), ("mid", 200)] {
        let mut op = vec![s("GEOADD"), s(key)];
        for i in 0..n {
            let (lon, lat) = if rng.chance(30) {
                // A few hundred distinct spots, each shared by several members.
                let spot = rng.below(40) as f64;
                (
                    format!("{:.4}", 2.0 + spot * 0.01),
                    format!("{:.4}", 48.0 + (spot * 7.0 % 40.0) * 0.01),
                )
            } else {
                (
                    format!("{:.6}", 2.0 + rng.unit() * 0.5),
                    format!("{:.6}", 48.0 + rng.unit() * 0.5),
                )
            };
            op.extend([
                lon.into_bytes(),
                lat.into_bytes(),
                format!("p{i}").into_bytes(),
            ]);
        }
        pair.check(&op, "load");
    }
    let mut plenty = 0;
    for i in 0..300 {
        let key = if i % 3 == 0 { "mid" } else { "big" };
        let mut op = vec![
            s("GEOSEARCH"),
            s(key),
            s("FROMLONLAT"),
            format!("{:.5}", 2.0 + rng.unit() * 0.5).into_bytes(),
            format!("{:.5}", 48.0 + rng.unit() * 0.5).into_bytes(),
        ];
        if rng.chance(50) {
            op.extend([
                s("BYRADIUS"),
                format!("{}", 1 + rng.below(60)).into_bytes(),
                s("km"),
            ]);
        } else {
            op.extend([
                s("BYBOX"),
                format!("{}", 1 + rng.below(80)).into_bytes(),
                format!("{}", 1 + rng.below(80)).into_bytes(),
                s("km"),
            ]);
        }
        let count = [1, 3, 6, 7, 8, 39, 40, 41, 42, 100, 500, 2999][rng.below(12) as usize];
        op.extend([s("COUNT"), count.to_string().into_bytes()]);
        if rng.chance(20) {
            op.push(s("ANY"));
        }
        if rng.chance(70) {
            op.push(s(rng.pick(&["ASC", "DESC"])));
        }
        if rng.chance(25) {
            let mut store = vec![s("GEOSEARCHSTORE"), s("dst")];
            store.extend(op[1..].iter().cloned());
            if rng.chance(50) {
                store.push(s("STOREDIST"));
            }
            pair.check(&store, &format!("store {i}"));
            pair.check(
                &[s("ZRANGE"), s("dst"), s("0"), s("-1"), s("WITHSCORES")],
                &format!("stored {i}"),
            );
            pair.check(&[s("OBJECT"), s("ENCODING"), s("dst")], "stored encoding");
        } else {
            op.push(s("WITHDIST"));
            let (f, r) = both(&mut pair, &op);
            assert_eq!(show(&f), show(&r), "search {i}");
            if r.starts_with(b"*") && !r.starts_with(b"*0") && !r.starts_with(b"*1\r") {
                plenty += 1;
            }
        }
    }
    assert!(plenty > 100, "only {plenty} searches found several points");
}
