//! Geo commands (Redis 7.0's geo.c): points are members of a sorted set whose score is the
//! point's 52-bit geohash ([`crate::util::geohash`]), so a geo key is an ordinary sorted set
//! and GEOADD is ZADD with computed scores.
//!
//! A search (GEOSEARCH, GEORADIUS...) reads the score ranges of the centre cell and its
//! neighbours, in Redis's order, keeps the points inside the shape, and sorts them by
//! distance with the very sort Redis uses (see `geo/sort.rs`), so results, their order
//! (ties included) and every printed digit match Redis's:
//! - distances are `%.4f` in the requested unit (bulk strings in both protocols);
//! - coordinates are decoded from the stored score and printed with `%.17Lf` minus trailing
//!   zeros (bulk strings in RESP2, doubles in RESP3);
//! - WITHHASH is the integer score.
//!
//! Argument handling follows georadiusGeneric error for error: the source key's type is
//! checked first, then the fixed arguments, then the options in order (a FROMMEMBER on an
//! existing key is resolved as soon as it is read), then the option conflicts, and only
//! then a missing key gives its empty answer.

mod sort;

use super::Ctx;
use super::args;
use super::error::{CmdError, CmdResult};
use super::table::{Command, Group, cmd, flags::*};
use crate::config::notify::{GENERIC, ZSET};
use crate::protocol::Reply;
use crate::storage::Db;
use crate::storage::value::Value;
use crate::storage::zset::{Limits, ScoreRange, ZSet};
use crate::util::geohash::{
    self, LAT_MAX, LAT_MIN, LONG_MAX, LONG_MIN, Shape, ShapeKind, decode_score,
};

const G: Group = Group::Geo;

pub static COMMANDS: &[Command] = &[
    cmd("geoadd", -5, WRITE | DENYOOM, (1, 1, 1), G, geoadd),
    cmd("geodist", -4, READONLY, (1, 1, 1), G, geodist),
    cmd("geohash", -2, READONLY, (1, 1, 1), G, geohash),
    cmd("geopos", -2, READONLY, (1, 1, 1), G, geopos),
    cmd(
        "georadius",
        -6,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        G,
        georadius,
    ),
    cmd("georadius_ro", -6, READONLY, (1, 1, 1), G, georadius_ro),
    cmd(
        "georadiusbymember",
        -5,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        G,
        georadiusbymember,
    ),
    cmd(
        "georadiusbymember_ro",
        -5,
        READONLY,
        (1, 1, 1),
        G,
        georadiusbymember_ro,
    ),
    cmd("geosearch", -7, READONLY, (1, 1, 1), G, geosearch),
    cmd(
        "geosearchstore",
        -8,
        WRITE | DENYOOM,
        (1, 2, 1),
        G,
        geosearchstore,
    ),
];

// ---- shared helpers

/// strcasecmp of an argument read as a C string (up to its first NUL) with a keyword, as
/// Redis compares geo options and units.
fn kw(arg: &[u8], word: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(word.as_bytes())
}

/// The sorted set under `key` for a read (keyspace hit or miss), WRONGTYPE for others.
fn lookup_read<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a ZSet>, CmdError> {
    match db.lookup(key, now) {
        None => Ok(None),
        Some(e) => match &e.value {
            Value::ZSet(z) => Ok(Some(z)),
            _ => Err(CmdError::WrongType),
        },
    }
}

/// A longitude/latitude pair (extractLongLatOrReply).
fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), CmdError> {
    let lon = args::float(lon)?;
    let lat = args::float(lat)?;
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return Err(CmdError::msg(format!(
            "ERR invalid longitude,latitude pair {},{}",
            fmt_fixed(lon, 6),
            fmt_fixed(lat, 6)
        )));
    }
    Ok((lon, lat))
}

/// Meters per unit (extractUnitOrReply).
fn unit(arg: &[u8]) -> Result<f64, CmdError> {
    if kw(arg, "m") {
        Ok(1.0)
    } else if kw(arg, "km") {
        Ok(1000.0)
    } else if kw(arg, "ft") {
        Ok(0.3048)
    } else if kw(arg, "mi") {
        Ok(1609.34)
    } else {
        Err(CmdError::msg(
            "ERR unsupported unit provided. please use M, KM, FT, MI",
        ))
    }
}

/// A float with Redis's message for the argument it is (getDoubleFromObjectOrReply).
fn float_or(arg: &[u8], msg: &str) -> Result<f64, CmdError> {
    args::float(arg).map_err(|_| CmdError::msg(msg))
}

/// `<radius> <unit>` (extractDistanceOrReply): (radius, meters per unit).
fn radius_arg(a: &[&[u8]]) -> Result<(f64, f64), CmdError> {
    let r = float_or(a[0], "ERR need numeric radius")?;
    if r < 0.0 {
        return Err(CmdError::msg("ERR radius cannot be negative"));
    }
    Ok((r, unit(a[1])?))
}

/// `<width> <height> <unit>` (extractBoxOrReply): (width, height, meters per unit).
fn box_arg(a: &[&[u8]]) -> Result<(f64, f64, f64), CmdError> {
    let w = float_or(a[0], "ERR need numeric width")?;
    let h = float_or(a[1], "ERR need numeric height")?;
    if h < 0.0 || w < 0.0 {
        return Err(CmdError::msg("ERR height or width cannot be negative"));
    }
    Ok((w, h, unit(a[2])?))
}

/// `printf("%.Nf")`, including glibc's spelling of infinities and NaNs.
fn fmt_fixed(v: f64, decimals: usize) -> String {
    if v.is_nan() {
        return if v.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    format!("{v:.decimals$}")
}

/// `%.4f` of `v`: a fast path for the usual magnitudes, exact formatting otherwise.
fn fmt_4f(v: f64) -> String {
    // Below 2^43 the product is within 2^-10 of v * 10^4, so rounding it to an integer
    // gives the exactly rounded result unless it sits almost on a half.
    let scaled = v.abs() * 10_000.0;
    if v.is_finite() && scaled < (1u64 << 43) as f64 {
        let whole = scaled.floor();
        let frac = scaled - whole;
        if (frac - 0.5).abs() > 1.0 / 256.0 {
            let n = whole as u64 + u64::from(frac > 0.5);
            let sign = if v.is_sign_negative() { "-" } else { "" };
            return format!("{sign}{}.{:04}", n / 10_000, n % 10_000);
        }
    }
    fmt_fixed(v, 4)
}

/// A distance as Redis prints it (addReplyDoubleDistance: `%.4f`, a bulk string).
fn reply_distance(reply: &mut Reply, d: f64) {
    reply.bulk(fmt_4f(d).as_bytes());
}

/// A coordinate as Redis prints it (addReplyHumanLongDouble: `%.17Lf` without trailing
/// zeros; a bulk string in RESP2, a double in RESP3).
fn reply_coord(reply: &mut Reply, v: f64) {
    let mut s = fmt_fixed(v, 17);
    if v.is_finite() && s.contains('.') {
        let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(trimmed);
    }
    if s == "-0" {
        s = "0".to_string();
    }
    if reply.resp3 {
        reply.raw(b",");
        reply.raw(s.as_bytes());
        reply.raw(b"\r\n");
    } else {
        reply.bulk(s.as_bytes());
    }
}

// ---- GEOADD

/// GEOADD key [NX|XX] [CH] lon lat member ...: validated here, then run as the ZADD it
/// stands for (as Redis does), so flags, replies and events are ZADD's.
fn geoadd(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let mut opts: Vec<&'static [u8]> = Vec::new();
    let (mut nx, mut xx) = (false, false);
    let mut first = 2;
    while first < a.len() {
        let o = a[first];
        if kw(o, "nx") {
            nx = true;
            opts.push(b"nx");
        } else if kw(o, "xx") {
            xx = true;
            opts.push(b"xx");
        } else if kw(o, "ch") {
            opts.push(b"ch");
        } else {
            break;
        }
        first += 1;
    }
    // Redis 7.0 reports NX with XX as a plain syntax error here.
    if !(a.len() - first).is_multiple_of(3) || (xx && nx) {
        return Err(CmdError::Syntax);
    }
    let mut scores: Vec<Vec<u8>> = Vec::with_capacity((a.len() - first) / 3);
    for t in a[first..].chunks_exact(3) {
        let (lon, lat) = lon_lat(t[0], t[1])?;
        let score = geohash::score_of(lon, lat).unwrap_or(0);
        scores.push(score.to_string().into_bytes());
    }
    let mut zadd: Vec<&[u8]> = Vec::with_capacity(2 + opts.len() + 2 * scores.len());
    zadd.push(b"zadd");
    zadd.push(a[1]);
    zadd.extend(opts);
    for (t, score) in a[first..].chunks_exact(3).zip(&scores) {
        zadd.push(score);
        zadd.push(t[2]);
    }
    super::zsets::zadd(ctx, &zadd)
}

// ---- GEOPOS / GEOHASH / GEODIST

fn geopos(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let z = lookup_read(db, a[1], now)?;
    reply.array(a.len() - 2);
    for m in &a[2..] {
        match z.and_then(|z| z.score(m)) {
            None => reply.null_array(),
            Some(score) => {
                let (lon, lat) = decode_score(score);
                reply.array(2);
                reply_coord(reply, lon);
                reply_coord(reply, lat);
            }
        }
    }
    Ok(())
}

fn geohash(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let z = lookup_read(db, a[1], now)?;
    reply.array(a.len() - 2);
    for m in &a[2..] {
        match z.and_then(|z| z.score(m)) {
            None => reply.null(),
            Some(score) => reply.bulk(&geohash::standard_geohash(score)),
        }
    }
    Ok(())
}

fn geodist(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let to_meter = match a.len() {
        5 => unit(a[4])?,
        n if n > 5 => return Err(CmdError::Syntax),
        _ => 1.0,
    };
    let (db, reply, now) = ctx.db_and_reply();
    let Some(z) = lookup_read(db, a[1], now)? else {
        reply.null();
        return Ok(());
    };
    let (Some(s1), Some(s2)) = (z.score(a[2]), z.score(a[3])) else {
        reply.null();
        return Ok(());
    };
    let (lon1, lat1) = decode_score(s1);
    let (lon2, lat2) = decode_score(s2);
    reply_distance(reply, geohash::distance(lon1, lat1, lon2, lat2) / to_meter);
    Ok(())
}

// ---- searches

/// Which command form is searching (Redis's RADIUS_* / GEOSEARCH flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// GEORADIUS[_RO] key lon lat radius unit ...
    Coords { store: bool },
    /// GEORADIUSBYMEMBER[_RO] key member radius unit ...
    Member { store: bool },
    /// GEOSEARCH key ...
    Search,
    /// GEOSEARCHSTORE dst key ...
    SearchStore,
}

impl Form {
    fn is_search(self) -> bool {
        matches!(self, Form::Search | Form::SearchStore)
    }

    /// Whether STORE/STOREDIST <key> are accepted.
    fn takes_store_key(self) -> bool {
        matches!(
            self,
            Form::Coords { store: true } | Form::Member { store: true }
        )
    }
}

fn georadius(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    search_generic(ctx, a, 1, Form::Coords { store: true })
}

fn georadius_ro(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    search_generic(ctx, a, 1, Form::Coords { store: false })
}

fn georadiusbymember(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    search_generic(ctx, a, 1, Form::Member { store: true })
}

fn georadiusbymember_ro(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    search_generic(ctx, a, 1, Form::Member { store: false })
}

fn geosearch(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    search_generic(ctx, a, 1, Form::Search)
}

fn geosearchstore(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    search_generic(ctx, a, 2, Form::SearchStore)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A parsed search request.
struct Request<'a> {
    center: Option<(f64, f64)>,
    kind: Option<ShapeKind>,
    conversion: f64,
    withdist: bool,
    withhash: bool,
    withcoord: bool,
    sort: Sort,
    any: bool,
    /// 0: no limit.
    count: i64,
    store: Option<&'a [u8]>,
    storedist: bool,
}

/// The position of a member (longLatFromMember).
fn member_pos(z: &ZSet, member: &[u8]) -> Result<(f64, f64), CmdError> {
    z.score(member)
        .map(decode_score)
        .ok_or_else(|| CmdError::msg("ERR could not decode requested zset member"))
}

/// Read the arguments of any search form; `z` is the source set, if it exists.
fn parse_request<'a>(
    a: &[&'a [u8]],
    form: Form,
    z: Option<&ZSet>,
) -> Result<Request<'a>, CmdError> {
    let mut req = Request {
        center: None,
        kind: None,
        conversion: 0.0,
        withdist: false,
        withhash: false,
        withcoord: false,
        sort: Sort::None,
        any: false,
        count: 0,
        store: None,
        storedist: false,
    };
    let base = match form {
        Form::Coords { .. } => {
            req.center = Some(lon_lat(a[2], a[3])?);
            let (radius, conv) = radius_arg(&a[4..6])?;
            req.kind = Some(ShapeKind::Circle { radius });
            req.conversion = conv;
            6
        }
        Form::Member { .. } => {
            // With no key, the options are still read (for the reply's shape and errors).
            if let Some(z) = z {
                req.center = Some(member_pos(z, a[2])?);
                let (radius, conv) = radius_arg(&a[3..5])?;
                req.kind = Some(ShapeKind::Circle { radius });
                req.conversion = conv;
            }
            5
        }
        Form::Search => 2,
        Form::SearchStore => {
            req.store = Some(a[1]);
            3
        }
    };
    let search = form.is_search();
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let rest = &a[base..];
    let remaining = rest.len();
    let mut i = 0;
    while i < remaining {
        let o = rest[i];
        if kw(o, "withdist") {
            req.withdist = true;
        } else if kw(o, "withhash") {
            req.withhash = true;
        } else if kw(o, "withcoord") {
            req.withcoord = true;
        } else if kw(o, "any") {
            req.any = true;
        } else if kw(o, "asc") {
            req.sort = Sort::Asc;
        } else if kw(o, "desc") {
            req.sort = Sort::Desc;
        } else if kw(o, "count") && i + 1 < remaining {
            req.count = args::int(rest[i + 1])?;
            if req.count <= 0 {
                return Err(CmdError::msg("ERR COUNT must be > 0"));
            }
            i += 1;
        } else if kw(o, "store") && i + 1 < remaining && form.takes_store_key() {
            req.store = Some(rest[i + 1]);
            req.storedist = false;
            i += 1;
        } else if kw(o, "storedist") && i + 1 < remaining && form.takes_store_key() {
            req.store = Some(rest[i + 1]);
            req.storedist = true;
            i += 1;
        } else if kw(o, "storedist") && form == Form::SearchStore {
            req.storedist = true;
        } else if kw(o, "frommember") && i + 1 < remaining && search && !fromloc {
            if let Some(z) = z {
                req.center = Some(member_pos(z, rest[i + 1])?);
            }
            frommember = true;
            i += 1;
        } else if kw(o, "fromlonlat") && i + 2 < remaining && search && !frommember {
            req.center = Some(lon_lat(rest[i + 1], rest[i + 2])?);
            fromloc = true;
            i += 2;
        } else if kw(o, "byradius") && i + 2 < remaining && search && !bybox {
            let (radius, conv) = radius_arg(&rest[i + 1..i + 3])?;
            req.kind = Some(ShapeKind::Circle { radius });
            req.conversion = conv;
            byradius = true;
            i += 2;
        } else if kw(o, "bybox") && i + 3 < remaining && search && !byradius {
            let (width, height, conv) = box_arg(&rest[i + 1..i + 4])?;
            req.kind = Some(ShapeKind::Box { width, height });
            req.conversion = conv;
            bybox = true;
            i += 3;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if req.store.is_some() && (req.withdist || req.withhash || req.withcoord) {
        let who = if form == Form::SearchStore {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(CmdError::msg(format!(
            "ERR {who} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(a[0]);
    if search && !(frommember || fromloc) {
        return Err(CmdError::msg(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if search && !(byradius || bybox) {
        return Err(CmdError::msg(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if req.any && req.count == 0 {
        return Err(CmdError::msg(
            "ERR the ANY argument requires COUNT argument",
        ));
    }
    Ok(req)
}

/// A point found by a search.
#[derive(Debug, Clone)]
struct Point {
    lon: f64,
    lat: f64,
    /// Meters.
    dist: f64,
    score: f64,
    member: Vec<u8>,
}

/// The points of `z` inside `shape`, cell by cell in Redis's order, each cell in score
/// order; with `limit` > 0 the walk stops once that many were found (ANY).
fn points_within(z: &ZSet, shape: &Shape, limit: usize) -> Vec<Point> {
    let mut out = Vec::new();
    for cell in shape.cover().cells() {
        if limit > 0 && out.len() >= limit {
            break;
        }
        let (min, max) = cell.score_range();
        let range = ScoreRange {
            min: min as f64,
            max: max as f64,
            minex: false,
            maxex: true,
        };
        let Some((first, last)) = z.score_range(&range) else {
            continue;
        };
        for (m, score) in z.iter_from(first, false).take(last - first + 1) {
            let (lon, lat) = decode_score(score);
            if let Some(dist) = shape.distance_if_within(lon, lat) {
                out.push(Point {
                    lon,
                    lat,
                    dist,
                    score,
                    member: m.to_vec(),
                });
            }
            if limit > 0 && out.len() >= limit {
                break;
            }
        }
    }
    out
}

/// Redis's comparators (sort_gp_asc / sort_gp_desc).
fn cmp_asc(a: &Point, b: &Point) -> i32 {
    if a.dist > b.dist {
        1
    } else if a.dist == b.dist {
        0
    } else {
        -1
    }
}

fn cmp_desc(a: &Point, b: &Point) -> i32 {
    -cmp_asc(a, b)
}

/// georadiusGeneric: every search form. `src` is the index of the source key.
fn search_generic(ctx: &mut Ctx, a: &[&[u8]], src: usize, form: Form) -> CmdResult {
    let limits = Limits {
        entries: ctx.srv.config.zset_max_listpack_entries,
        value: ctx.srv.config.zset_max_listpack_value,
    };
    let (db, reply, now) = ctx.db_and_reply();
    let z = lookup_read(db, a[src], now)?;
    let req = parse_request(a, form, z)?;
    let Some(z) = z else {
        match req.store {
            Some(dst) => {
                let deleted = db.delete(dst);
                if deleted {
                    ctx.notify(GENERIC, "del", dst);
                }
                ctx.reply().int(0);
            }
            None => reply.array(0),
        }
        return Ok(());
    };
    // Parsing succeeded on an existing key, so the centre and the shape are known.
    let (Some((lon, lat)), Some(kind)) = (req.center, req.kind) else {
        return Err(CmdError::Syntax);
    };
    let shape = Shape {
        kind,
        lon,
        lat,
        conversion: req.conversion,
    };
    let mut sort = req.sort;
    // COUNT without an order returns the nearest, unless ANY asked for the first found.
    if req.count != 0 && sort == Sort::None && !req.any {
        sort = Sort::Asc;
    }
    let limit = if req.any { req.count as usize } else { 0 };
    let mut points = points_within(z, &shape, limit);
    if points.is_empty() && req.store.is_none() {
        reply.array(0);
        return Ok(());
    }
    let found = points.len();
    let returned = if req.count == 0 || (found as i64) < req.count {
        found
    } else {
        req.count as usize
    };
    if sort != Sort::None {
        let cmp = if sort == Sort::Asc { cmp_asc } else { cmp_desc };
        if returned == found {
            sort::merge_sort(&mut points, &cmp);
        } else {
            sort::partial_sort(&mut points, &cmp, 0, returned - 1);
        }
    }
    points.truncate(returned);
    for p in &mut points {
        p.dist /= shape.conversion;
    }
    match req.store {
        None => reply_points(reply, &points, &req),
        Some(dst) => {
            let n = points.len();
            if n == 0 {
                if db.delete(dst) {
                    ctx.notify(GENERIC, "del", dst);
                }
            } else {
                let mut items: Vec<(Vec<u8>, f64)> = points
                    .into_iter()
                    .map(|p| {
                        let s = if req.storedist { p.dist } else { p.score };
                        (p.member, s)
                    })
                    .collect();
                items.sort_by(|x, y| {
                    x.1.partial_cmp(&y.1)
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then_with(|| x.0.cmp(&y.0))
                });
                let zset = ZSet::from_sorted(items, limits);
                db.set(dst, Value::ZSet(Box::new(zset)), false, now);
                // Redis counts one change per stored point; the write above counted one.
                db.dirty += n as u64 - 1;
                let event = if form.is_search() {
                    "geosearchstore"
                } else {
                    "georadiusstore"
                };
                ctx.notify(ZSET, event, dst);
            }
            ctx.reply().int(n as i64);
        }
    }
    Ok(())
}

/// The reply of a search: members, or [member, dist?, hash?, [lon, lat]?] arrays.
fn reply_points(reply: &mut Reply, points: &[Point], req: &Request) {
    let extra = req.withdist as usize + req.withhash as usize + req.withcoord as usize;
    reply.array(points.len());
    for p in points {
        if extra > 0 {
            reply.array(extra + 1);
        }
        reply.bulk(&p.member);
        if req.withdist {
            reply_distance(reply, p.dist);
        }
        if req.withhash {
            reply.int(p.score as i64);
        }
        if req.withcoord {
            reply.array(2);
            reply_coord(reply, p.lon);
            reply_coord(reply, p.lat);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_formatting_matches_printf() {
        assert_eq!(fmt_fixed(181.0, 6), "181.000000");
        assert_eq!(fmt_fixed(f64::INFINITY, 6), "inf");
        assert_eq!(fmt_fixed(f64::NEG_INFINITY, 4), "-inf");
        assert_eq!(fmt_fixed(-f64::NAN.abs(), 4), "-nan");
        // Exact ties round to even, as glibc's printf.
        assert_eq!(fmt_fixed(0.03125, 4), "0.0312");
        assert_eq!(fmt_fixed(0.09375, 4), "0.0938");
        let mut r = Reply::new();
        reply_coord(&mut r, 13.361389338970184);
        assert_eq!(r.buf, b"$20\r\n13.36138933897018433\r\n");
        let mut r = Reply::new();
        r.resp3 = true;
        reply_coord(&mut r, -0.0);
        reply_coord(&mut r, 180.0);
        assert_eq!(r.buf, b",0\r\n,180\r\n");
    }

    #[test]
    fn fast_distance_format_is_exact() {
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for i in 0..200_000 {
            let v = match i % 4 {
                0 => (next() >> 11) as f64 / (1u64 << 53) as f64 * 2e7,
                1 => (next() % 100_000_000) as f64 / 1e4 + 0.00005,
                2 => (next() % 1_000_000) as f64 / 32.0,
                _ => f64::from_bits(next() >> 2),
            };
            assert_eq!(fmt_4f(v), fmt_fixed(v, 4), "{v:e}");
            assert_eq!(fmt_4f(-v), fmt_fixed(-v, 4), "{v:e}");
        }
        assert_eq!(fmt_4f(-0.0), "-0.0000");
        assert_eq!(fmt_4f(0.0), "0.0000");
    }

    #[test]
    fn keywords_are_c_strings() {
        assert!(kw(b"KM", "km"));
        assert!(kw(b"km\0junk", "km"));
        assert!(!kw(b"kmx", "km"));
    }
}
