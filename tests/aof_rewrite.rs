//! The AOF base file made of commands (`aof-use-rdb-preamble no`), over real processes:
//! the ferrokv binary and, when installed, Debian's redis-server 7.0.
//!
//! - Round trip: every type in every encoding (listpack and compressed quicklist lists,
//!   intset and hashtable sets, listpack and hashtable hashes, listpack and skiplist
//!   zsets with exact, infinite and random-bit scores, streams with groups, consumers,
//!   pending entries and deleted entries, binary keys and values, empty strings, TTLs,
//!   several databases, function libraries) is written, BGREWRITEAOF makes a command
//!   base, the server restarts on it and the whole dataset is compared; redis-server
//!   started on a copy of the directory loads the same base into the same dataset.
//! - Bytes: for a dataset whose iteration order is the same in both servers (one key per
//!   database, collections whose order does not depend on a hash seed), our base file is
//!   byte for byte the one Redis writes.
//!
//! Every wait has a generous deadline; nothing asserts how fast anything is.

mod common;
mod rdb_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Resp, RespClient};
use rdb_support::*;

const AOF: &[(&str, &str)] = &[("appendonly", "yes"), ("aof-use-rdb-preamble", "no")];

/// Small list nodes, compressed past the first and last: lists of a few dozen elements
/// have LZF-compressed inner nodes.
const SMALL_NODES: &[(&str, &str)] = &[
    ("list-compress-depth", "1"),
    ("list-max-listpack-size", "4"),
];

fn opts(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut v = AOF.to_vec();
    v.extend_from_slice(extra);
    v
}

/// BGREWRITEAOF and wait until that rewrite is done and succeeded.
fn rewrite(c: &mut RespClient) {
    let before: u64 = info_field(c, "persistence", "aof_rewrites")
        .parse()
        .expect("aof_rewrites");
    let r = c.val(&["BGREWRITEAOF"]);
    assert!(!r.is_error(), "{}: BGREWRITEAOF -> {r:?}", c.name);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = info_field(c, "persistence", "aof_rewrite_in_progress") == "0"
            && info_field(c, "persistence", "aof_rewrite_scheduled") == "0"
            && info_field(c, "persistence", "aof_rewrites")
                .parse::<u64>()
                .is_ok_and(|n| n > before);
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{}: rewrite not done in 30 s",
            c.name
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        info_field(c, "persistence", "aof_last_bgrewrite_status"),
        "ok",
        "{}",
        c.name
    );
}

/// The base file the manifest lists: `appendonly.aof.N.base.aof`, made of commands.
fn base_file(dir: &Path) -> PathBuf {
    let aofdir = dir.join("appendonlydir");
    let manifest =
        std::fs::read_to_string(aofdir.join("appendonly.aof.manifest")).expect("read the manifest");
    let line = manifest
        .lines()
        .find(|l| l.ends_with(" type b"))
        .unwrap_or_else(|| panic!("no base in the manifest:\n{manifest}"));
    let name = line
        .strip_prefix("file ")
        .and_then(|l| l.split(' ').next())
        .unwrap_or_else(|| panic!("manifest line {line:?}"));
    let seq = name
        .strip_prefix("appendonly.aof.")
        .and_then(|n| n.strip_suffix(".base.aof"))
        .unwrap_or_else(|| panic!("base {name} is not appendonly.aof.N.base.aof"));
    assert!(seq.parse::<u64>().is_ok(), "{name}");
    let path = aofdir.join(name);
    let bytes = file_bytes(&path);
    assert!(
        !bytes.starts_with(b"REDIS"),
        "{name} is an RDB, not commands"
    );
    path
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("dir entry");
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

/// Replace the number after each `"<field>",` with `*`.
fn mask_field(s: &str, field: &str) -> String {
    let pat = format!("\"{field}\",");
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(&pat) {
        out.push_str(&rest[..i + pat.len()]);
        rest = &rest[i + pat.len()..];
        let j = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        out.push('*');
        rest = &rest[j..];
    }
    out.push_str(rest);
    out
}

/// A consumer's seen time is the load time after any replay (Redis too): not compared.
fn no_seen_time(m: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    m.iter()
        .map(|(k, v)| (k.clone(), mask_field(v, "seen-time")))
        .collect()
}

/// Before/after a replay, besides encodings and seen times, a stream's node layout may
/// differ (entries are re-added one by one, so deleted ones no longer take room).
fn replay_view(m: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    loose(&no_seen_time(m))
        .into_iter()
        .map(|(k, v)| {
            let v = mask_field(&v, "radix-tree-keys");
            (k, mask_field(&v, "radix-tree-nodes"))
        })
        .collect()
}

/// FUNCTION LIST WITHCODE, libraries sorted by name (Redis lists them in dict order).
fn functions(c: &mut RespClient) -> String {
    let r = c.val(&["FUNCTION", "LIST", "WITHCODE"]);
    let mut libs: Vec<String> = r.array().iter().map(render).collect();
    libs.sort();
    libs.join("\n")
}

const LIB_A: &str =
    "#!lua name=liba\nredis.register_function('fa', function(keys, args) return 'a' end)";
const LIB_B: &str = "#!lua name=libb\nredis.register_function{function_name='fb', callback=function() return 2 end, flags={'no-writes'}}";

fn load_functions(c: &mut RespClient) {
    for lib in [LIB_A, LIB_B] {
        let r = c.val(&["FUNCTION", "LOAD", lib]);
        assert!(!r.is_error(), "FUNCTION LOAD -> {r:?}");
    }
}

/// A seeded xorshift.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A double from random bits (any exponent, subnormals included), never NaN.
    fn double(&mut self) -> f64 {
        loop {
            let d = f64::from_bits(self.next());
            if !d.is_nan() {
                return d;
            }
        }
    }
}

/// Keys beyond `curated()`: exact and random-bit scores in both zset encodings, binary
/// data in every type, a stream with a pending entry whose entry was deleted, db 1.
fn extra_data() -> Vec<String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut v: Vec<String> = [
        "ZADD zset:precise 0.1 a 0.30000000000000004 b 1e-320 c -1.7976931348623157e308 d 123456789.123456789 e inf f -inf g 5e-324 h",
        "SET \"bin\\x00key\\xff\" \"\\x00\\x01\\xfe\\xff\\r\\n\"",
        "RPUSH \"list:\\x00\" \"\\x00\" \"\" \"\\xff\\xfe\" 17",
        "SADD \"set:\\xff\" \"\\x00\" \"a\\r\\nb\" \"\"",
        "HSET \"hash:\\x00\" \"\\x00f\" \"\\xffv\" \"\" \"\"",
        "ZADD \"zset:\\x00\" 1 \"\\x00\" 2 \"\"",
        "XADD \"stream:\\x00\" 7-7 \"\\x00f\" \"\\xffv\"",
        "XADD stream:dangling 1-1 a 1",
        "XADD stream:dangling 1-2 a 2",
        "XGROUP CREATE stream:dangling g 0",
        "XREADGROUP GROUP g c1 STREAMS stream:dangling >",
        "XDEL stream:dangling 1-1",
        "XGROUP CREATE stream:nogroupsleft g 0 MKSTREAM",
        "XGROUP CREATECONSUMER stream:nogroupsleft g idle",
        "SELECT 1",
        "SET db1:str ''",
        "PEXPIREAT db1:str 4102444800999",
        "SELECT 0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // A big skiplist and a listpack of random-bit doubles: each must come back exactly.
    let big: Vec<String> = (0..300)
        .map(|i| format!("{:e} r{i}", rng.double()))
        .collect();
    v.push(format!("ZADD zset:randbits {}", big.join(" ")));
    let small: Vec<String> = (0..40)
        .map(|i| format!("{:e} s{i}", rng.double()))
        .collect();
    v.push(format!("ZADD zset:randbits-lp {}", small.join(" ")));
    // A list long enough for many compressed nodes, integers and strings mixed.
    let items: Vec<String> = (0..500)
        .map(|i| {
            if i % 3 == 0 {
                (i as i64 * 1_000_003 - 7).to_string()
            } else {
                format!("item-{i}-{}", "q".repeat(i % 40))
            }
        })
        .collect();
    v.push(format!("RPUSH list:compressed {}", items.join(" ")));
    v
}

/// Everything, written to ferrokv, rewritten, reloaded by ferrokv and by redis-server.
#[test]
fn command_base_round_trips_every_type_through_both_servers() {
    let dir = TempDir::new("aofrw-round");
    let o = opts(SMALL_NODES);
    let mut p = spawn(Kind::Ferrokv, dir.path(), &o);
    p.ready();
    let mut c = p.client();
    run(&mut c, &curated());
    run(&mut c, &extra_data());
    run(&mut c, &random_workload(11, 1500));
    load_functions(&mut c);
    assert_eq!(
        render(&c.val(&["OBJECT", "ENCODING", "zset:randbits"])),
        "\"skiplist\""
    );
    assert_eq!(
        render(&c.val(&["OBJECT", "ENCODING", "zset:randbits-lp"])),
        "\"listpack\""
    );
    let dbs = &[0, 1, 2, 3, 15];
    let before = describe(&mut c, dbs);
    let funcs = functions(&mut c);
    assert!(before.len() > 60, "{}", before.len());
    rewrite(&mut c);
    let base = base_file(dir.path());
    // Nothing was written since: what comes back comes from the base alone.
    let incr = std::fs::read_dir(dir.path().join("appendonlydir"))
        .expect("read appendonlydir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".incr.aof"))
        .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
        .sum::<u64>();
    assert_eq!(incr, 0, "incremental files should be empty");
    let text = file_bytes(&base);
    assert!(text.starts_with(b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n"));
    p.shutdown(&["NOSAVE"]);

    // ferrokv restarted on its own base.
    let mut p = spawn(Kind::Ferrokv, dir.path(), &o);
    p.ready();
    let mut c = p.client();
    let after = describe(&mut c, dbs);
    assert_eq!(functions(&mut c), funcs);
    assert_eq!(render(&c.val(&["FCALL", "fa", "0"])), "\"a\"");
    // A pending entry whose stream entry was deleted is dropped by the replay (XCLAIM
    // of a missing entry does nothing), as in Redis: that key alone differs.
    let dangling = "db0 \"stream:dangling\"".to_string();
    let (mut b, mut a) = (replay_view(&before), replay_view(&after));
    let (bd, ad) = (b.remove(&dangling), a.remove(&dangling));
    diff(
        &b,
        &a,
        "ferrokv before the rewrite vs after reloading its base",
    );
    let (bd, ad) = (bd.expect("dangling before"), ad.expect("dangling after"));
    assert!(bd.contains("\"pel-count\",2"), "{bd}");
    assert!(
        ad.contains("\"pel-count\",1") && !ad.contains("\"pel-count\",2"),
        "{ad}"
    );
    assert_eq!(
        render(&c.val(&["XPENDING", "stream:dangling", "g", "-", "+", "10"]))
            .replace(|ch: char| ch.is_ascii_digit(), ""),
        "[[\"-\",\"c\",,]]"
    );
    p.shutdown(&["NOSAVE"]);

    // redis-server on a copy of the same directory loads our base to the same dataset.
    if !redis_available() {
        return;
    }
    let copy = TempDir::new("aofrw-round-redis");
    copy_dir(
        &dir.path().join("appendonlydir"),
        &copy.path().join("appendonlydir"),
    );
    let mut r = spawn(Kind::Redis, copy.path(), &o);
    r.ready();
    let mut rc = r.client();
    let in_redis = describe(&mut rc, dbs);
    diff(
        &no_seen_time(&after),
        &no_seen_time(&in_redis),
        "ferrokv vs redis-server, both loaded from our base",
    );
    assert_eq!(functions(&mut rc), funcs);
    let log = r.log_text();
    assert!(log.contains("DB loaded from base file"), "{log}");
    r.shutdown(&["NOSAVE"]);
}

/// One key per database, each of a kind whose iteration order both servers share.
fn deterministic_data() -> Vec<String> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut v = Vec::new();
    let db = |v: &mut Vec<String>, n: usize, lines: &[String]| {
        v.push(format!("SELECT {n}"));
        v.extend_from_slice(lines);
    };
    db(
        &mut v,
        0,
        &["SET \"bin\\x00key\\xff\" \"val\\x00\\r\\n\\xfe\"".into()],
    );
    db(
        &mut v,
        1,
        &[
            "SET counter -12345".into(),
            "PEXPIREAT counter 4102444800000".into(),
        ],
    );
    // Compressed quicklist nodes (both servers run with SMALL_NODES), over two RPUSHes.
    let items: Vec<String> = (0..150)
        .map(|i| {
            if i % 3 == 0 {
                (i as i64 * 7919 - 500).to_string()
            } else {
                format!("item-{i}-{}", "p".repeat(i % 20))
            }
        })
        .collect();
    db(&mut v, 2, &[format!("RPUSH list {}", items.join(" "))]);
    // An intset of 100: ascending, two SADDs.
    let ints: Vec<String> = (0..100)
        .map(|i| (i as i64 * 37 - 500).to_string())
        .collect();
    db(&mut v, 3, &[format!("SADD intset {}", ints.join(" "))]);
    // A listpack hash of 100 fields: insertion order, two HMSETs.
    let fields: Vec<String> = (0..100)
        .map(|i| {
            if i % 4 == 0 {
                format!("f{i} {}", i * 1000)
            } else {
                format!("f{i} v{i}")
            }
        })
        .collect();
    db(&mut v, 4, &[format!("HSET hash {}", fields.join(" "))]);
    // A listpack zset of 100 with exact, infinite and random-bit scores.
    let mut members: Vec<String> = [
        "0.1 a",
        "inf b",
        "-inf c",
        "5e-324 d",
        "1.7976931348623157e308 e",
        "-0.0 f",
        "123456789012345678 g",
        "3 h",
        "2.5 i",
        "1e-5 j",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    members.extend((0..90).map(|i| format!("{:e} m{i}", rng.double())));
    db(&mut v, 5, &[format!("ZADD zset {}", members.join(" "))]);
    // A stream: same-fields and other entries, deletions, groups, consumers, and pending
    // entries with fixed delivery times (XCLAIM ... TIME, not XREADGROUP's clock).
    db(
        &mut v,
        6,
        &[
            "XADD s 1-1 a 1 b 2".into(),
            "XADD s 1-2 a 3 b 4".into(),
            "XADD s 1-3 c x".into(),
            "XADD s 2-0 a 5 b 6".into(),
            "XADD s 3-0 \"\\x00\" \"\" n -17".into(),
            "XDEL s 1-2".into(),
            "XGROUP CREATE s g1 0".into(),
            "XGROUP CREATE s g2 1-3 ENTRIESREAD 2".into(),
            "XGROUP CREATE s g0 $".into(),
            "XCLAIM s g1 alice 0 1-1 TIME 1700000000000 RETRYCOUNT 2 FORCE JUSTID".into(),
            "XCLAIM s g1 alice 0 2-0 TIME 1700000000500 RETRYCOUNT 1 FORCE JUSTID".into(),
            "XCLAIM s g1 bob 0 1-3 TIME 1700000000001 RETRYCOUNT 5 FORCE JUSTID".into(),
            "XGROUP CREATECONSUMER s g2 carol".into(),
            "PEXPIREAT s 4102444800001".into(),
        ],
    );
    // An empty stream that had an entry, with a group.
    db(
        &mut v,
        7,
        &[
            "XADD e 5-5 a b".into(),
            "XDEL e 5-5".into(),
            "XGROUP CREATE e g 0".into(),
        ],
    );
    // Hashtable hash, skiplist zset and hashtable set of one item each: one order.
    db(&mut v, 8, &[format!("HSET h f {}", "x".repeat(100))]);
    db(&mut v, 9, &[format!("ZADD z 1.5 {}", "M".repeat(80))]);
    db(&mut v, 10, &["SADD s only-member".into()]);
    db(
        &mut v,
        11,
        &[
            "SET empty ''".into(),
            "PEXPIREAT empty 4102444800123".into(),
        ],
    );
    db(&mut v, 12, &["PFADD hll a b c d e".into()]);
    db(
        &mut v,
        13,
        &["APPEND raw hello".into(), "APPEND raw 12345".into()],
    );
    db(&mut v, 14, &[format!("SET big {}", "b".repeat(100_000))]);
    // One entry of 70 field/value pairs (XADD is never split).
    let pairs: Vec<String> = (0..70).map(|i| format!("k{i} {}", i * 3)).collect();
    db(&mut v, 15, &[format!("XADD wide 9-9 {}", pairs.join(" "))]);
    v.push("SELECT 0".into());
    v
}

/// Split a command file into argument vectors, for a readable report of a difference.
fn commands(b: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    let line = |i: &mut usize| -> Option<usize> {
        let at = b[*i..].windows(2).position(|w| w == b"\r\n")?;
        let n = std::str::from_utf8(&b[*i + 1..*i + at])
            .ok()?
            .parse()
            .ok()?;
        *i += at + 2;
        Some(n)
    };
    while i < b.len() {
        if b[i] == b'#' {
            let at = b[i..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .unwrap_or(b.len() - i);
            out.push(String::from_utf8_lossy(&b[i..i + at]).into_owned());
            i += at + 2;
            continue;
        }
        let Some(argc) = line(&mut i) else {
            out.push(format!("<unparsable at {i}>"));
            break;
        };
        let mut args = Vec::new();
        for _ in 0..argc {
            let Some(len) = line(&mut i) else {
                break;
            };
            let end = (i + len).min(b.len());
            args.push(esc(&b[i..end]));
            i = end + 2;
        }
        out.push(args.join(" "));
    }
    out
}

fn first_difference(ours: &[u8], theirs: &[u8]) -> String {
    let (a, b) = (commands(ours), commands(theirs));
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        if x != y {
            return format!(
                "command {i} differs:\n  ferrokv: {}\n  redis:   {}",
                trim(x),
                trim(y)
            );
        }
    }
    format!("{} commands vs {}", a.len(), b.len())
}

/// Our base file is byte for byte Redis's for the same deterministic dataset; a second
/// rewrite after reloading it writes the same bytes again.
#[test]
fn command_base_is_byte_identical_to_redis() {
    let o = opts(SMALL_NODES);
    let data = deterministic_data();
    let dir = TempDir::new("aofrw-bytes");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &o);
    p.ready();
    let mut c = p.client();
    c.val(&["FUNCTION", "LOAD", LIB_A]);
    run(&mut c, &data);
    assert_eq!(render(&c.val(&["SELECT", "2"])), "+OK");
    assert!(
        info_field(&mut c, "persistence", "aof_enabled") == "1" && c.int(&["LLEN", "list"]) == 150
    );
    c.val(&["SELECT", "0"]);
    rewrite(&mut c);
    let ours = file_bytes(&base_file(dir.path()));
    p.shutdown(&["NOSAVE"]);

    // Reloaded and rewritten again: the same file.
    let mut p = spawn(Kind::Ferrokv, dir.path(), &o);
    p.ready();
    let mut c = p.client();
    rewrite(&mut c);
    let again = file_bytes(&base_file(dir.path()));
    assert!(
        again == ours,
        "second rewrite differs: {}",
        first_difference(&again, &ours)
    );
    p.shutdown(&["NOSAVE"]);

    if !redis_available() {
        return;
    }
    let rdir = TempDir::new("aofrw-bytes-redis");
    let mut r = spawn(Kind::Redis, rdir.path(), &o);
    r.ready();
    let mut rc = r.client();
    rc.val(&["FUNCTION", "LOAD", LIB_A]);
    run(&mut rc, &data);
    rewrite(&mut rc);
    let theirs = file_bytes(&base_file(rdir.path()));
    r.shutdown(&["NOSAVE"]);
    assert!(
        ours == theirs,
        "base files differ ({} vs {} bytes): {}",
        ours.len(),
        theirs.len(),
        first_difference(&ours, &theirs)
    );
}

/// With `aof-timestamp-enabled` the base opens with a `#TS:` annotation, which both
/// servers skip when loading.
#[test]
fn timestamp_annotation_opens_the_base_and_is_skipped_on_load() {
    let o = opts(&[("aof-timestamp-enabled", "yes")]);
    let dir = TempDir::new("aofrw-ts");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &o);
    p.ready();
    let mut c = p.client();
    run(
        &mut c,
        &[
            "SET k v".to_string(),
            "RPUSH l a b".to_string(),
            "SELECT 5".to_string(),
            "SADD s x".to_string(),
        ],
    );
    rewrite(&mut c);
    let base = file_bytes(&base_file(dir.path()));
    let first = commands(&base);
    assert!(first[0].starts_with("#TS:"), "{first:?}");
    let secs: i64 = first[0][4..].parse().expect("#TS:<unix seconds>");
    assert!((secs - common::now_ms() / 1000).abs() < 600, "{secs}");
    let want = describe(&mut c, &[0, 5]);
    p.shutdown(&["NOSAVE"]);

    let mut p = spawn(Kind::Ferrokv, dir.path(), &o);
    p.ready();
    diff(&want, &describe(&mut p.client(), &[0, 5]), "ferrokv reload");
    p.shutdown(&["NOSAVE"]);
    if !redis_available() {
        return;
    }
    let copy = TempDir::new("aofrw-ts-redis");
    copy_dir(
        &dir.path().join("appendonlydir"),
        &copy.path().join("appendonlydir"),
    );
    let mut r = spawn(Kind::Redis, copy.path(), &o);
    r.ready();
    diff(
        &want,
        &describe(&mut r.client(), &[0, 5]),
        "redis-server load",
    );
    r.shutdown(&["NOSAVE"]);
}

/// The base of an empty dataset is empty (no SELECT), and loads as nothing.
#[test]
fn empty_dataset_gives_an_empty_base() {
    let dir = TempDir::new("aofrw-empty");
    let mut p = spawn(Kind::Ferrokv, dir.path(), AOF);
    p.ready();
    let mut c = p.client();
    run(&mut c, &["SET k v".to_string(), "DEL k".to_string()]);
    rewrite(&mut c);
    assert_eq!(file_bytes(&base_file(dir.path())), b"");
    assert!(matches!(c.val(&["DBSIZE"]), Resp::Int(0)));
    p.shutdown(&["NOSAVE"]);
    let mut p = spawn(Kind::Ferrokv, dir.path(), AOF);
    p.ready();
    assert!(matches!(p.client().val(&["DBSIZE"]), Resp::Int(0)));
    p.shutdown(&["NOSAVE"]);
}
