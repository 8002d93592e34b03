//! Hash commands over TCP, with exact reply bytes. Each test runs against ferrokv and then,
//! when it is installed, against a real redis-server too ([`on_both`]), so every
//! expectation written here is also checked against the source of truth.
//!
//! Replies of listpack-encoded hashes are in insertion order on both servers; replies of
//! hashtable-encoded hashes are compared sorted.

mod common;

use common::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT: &str = "ERR value is not an integer or out of range";

fn arity(cmd: &str) -> Vec<u8> {
    err(&format!(
        "ERR wrong number of arguments for '{cmd}' command"
    ))
}

fn bulks(items: &[&str]) -> Vec<u8> {
    array(&items.iter().map(bulk).collect::<Vec<_>>())
}

/// A parsed array reply's strings, sorted.
fn sorted_strings(c: &mut RespClient, args: &[&str]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = c
        .val(args)
        .array()
        .iter()
        .map(|x| x.bytes().to_vec())
        .collect();
    v.sort();
    v
}

/// HGETALL as sorted (field, value) pairs.
fn getall_pairs(c: &mut RespClient, key: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let v = c.val(&["HGETALL", key]);
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = match v {
        Resp::Map(m) => m
            .iter()
            .map(|(k, v)| (k.bytes().to_vec(), v.bytes().to_vec()))
            .collect(),
        Resp::Array(a) => a
            .chunks(2)
            .map(|p| (p[0].bytes().to_vec(), p[1].bytes().to_vec()))
            .collect(),
        other => panic!("HGETALL: {other:?}"),
    };
    pairs.sort();
    pairs
}

#[test]
fn hset_hget_basics() {
    on_both(|c| {
        c.expect(&["HSET", "h", "a", "1"], int(1));
        c.expect(&["HSET", "h", "a", "2", "b", "3"], int(1));
        c.expect(&["HSET", "h", "a", "2", "a", "4"], int(0));
        c.expect(&["HGET", "h", "a"], bulk("4"));
        c.expect(&["HGET", "h", "b"], bulk("3"));
        c.expect(&["HGET", "h", "zz"], NIL);
        c.expect(&["HGET", "nokey", "a"], NIL);
        c.expect(&["HSET", "h", "a"], arity("hset"));
        c.expect(&["HSET", "h", "a", "1", "b"], arity("hset"));
        c.expect(&["HSET", "h"], arity("hset"));
        c.expect(&["HGET", "h"], arity("hget"));
        c.expect(&["HMSET", "h", "c", "5", "d", "6"], OK);
        c.expect(&["HMSET", "h", "c", "5", "d"], arity("hmset"));
        c.expect(&["HMSET", "h", "c"], arity("hmset"));
        c.expect(&["HLEN", "h"], int(4));
        c.expect(&["HLEN", "nokey"], int(0));
        // Listpack order: insertion order, updates in place.
        c.expect(&["HKEYS", "h"], bulks(&["a", "b", "c", "d"]));
        c.expect(&["HVALS", "h"], bulks(&["4", "3", "5", "6"]));
        c.expect(
            &["HGETALL", "h"],
            bulks(&["a", "4", "b", "3", "c", "5", "d", "6"]),
        );
        c.expect(&["HKEYS", "nokey"], EMPTY_ARRAY);
        c.expect(&["HVALS", "nokey"], EMPTY_ARRAY);
        c.expect(&["HGETALL", "nokey"], EMPTY_ARRAY);
        c.expect(&["TYPE", "h"], b"+hash\r\n");
    });
}

#[test]
fn empty_and_binary_fields() {
    on_both(|c| {
        let f: &[u8] = b"\x00\xff\r\nfield";
        let v: &[u8] = b"va\x00lue\r\n$1";
        c.expect_b(&[b"HSET", b"h", f, v, b"", b""], int(2));
        c.expect_b(&[b"HGET", b"h", f], bulk(v));
        c.expect_b(&[b"HGET", b"h", b""], bulk(""));
        c.expect_b(&[b"HSTRLEN", b"h", f], int(v.len() as i64));
        c.expect_b(&[b"HEXISTS", b"h", b""], int(1));
        c.expect_b(&[b"HDEL", b"h", b""], int(1));
        c.expect_b(&[b"HKEYS", b"h"], array(&[bulk(f)]));
    });
}

#[test]
fn hmget_and_hexists() {
    on_both(|c| {
        c.expect(&["HSET", "h", "a", "1", "b", "x"], int(2));
        c.expect(
            &["HMGET", "h", "a", "zz", "b", "a"],
            array(&[bulk("1"), NIL.to_vec(), bulk("x"), bulk("1")]),
        );
        c.expect(
            &["HMGET", "nokey", "a", "b"],
            array(&[NIL.to_vec(), NIL.to_vec()]),
        );
        c.expect(&["HMGET", "h"], arity("hmget"));
        c.expect(&["HEXISTS", "h", "a"], int(1));
        c.expect(&["HEXISTS", "h", "zz"], int(0));
        c.expect(&["HEXISTS", "nokey", "a"], int(0));
        c.expect(&["HEXISTS", "h"], arity("hexists"));
    });
}

#[test]
fn hsetnx() {
    on_both(|c| {
        c.expect(&["HSETNX", "h", "a", "1"], int(1));
        c.expect(&["HSETNX", "h", "a", "2"], int(0));
        c.expect(&["HGET", "h", "a"], bulk("1"));
        c.expect(&["HSETNX", "h", "a"], arity("hsetnx"));
        c.expect(&["HSETNX", "h", "a", "1", "x"], arity("hsetnx"));
        // A long value for a field that exists is not written, and does not convert.
        let long = "x".repeat(100);
        c.expect(&["HSETNX", "h", "a", &long], int(0));
        c.expect(&["OBJECT", "ENCODING", "h"], bulk("listpack"));
        c.expect(&["HSETNX", "h", "b", &long], int(1));
        c.expect(&["OBJECT", "ENCODING", "h"], bulk("hashtable"));
    });
}

#[test]
fn hdel_deletes_the_key_when_empty() {
    on_both(|c| {
        c.expect(&["HSET", "h", "a", "1", "b", "2", "c", "3"], int(3));
        c.expect(&["HDEL", "h", "a", "zz", "a"], int(1));
        c.expect(&["HDEL", "h", "b", "c", "d"], int(2));
        c.expect(&["EXISTS", "h"], int(0));
        c.expect(&["HDEL", "h", "a"], int(0));
        c.expect(&["HDEL", "h"], arity("hdel"));
        // The same for a hashtable.
        let long = "y".repeat(70);
        c.expect(&["HSET", "t", "a", &long, "b", "1"], int(2));
        c.expect(&["OBJECT", "ENCODING", "t"], bulk("hashtable"));
        c.expect(&["HDEL", "t", "a", "b"], int(2));
        c.expect(&["EXISTS", "t"], int(0));
        c.expect(&["HSET", "t", "a", "1"], int(1));
        c.expect(&["OBJECT", "ENCODING", "t"], bulk("listpack"));
    });
}

#[test]
fn hstrlen() {
    on_both(|c| {
        c.expect(
            &[
                "HSET",
                "h",
                "s",
                "hello",
                "n",
                "-12345",
                "z",
                "0",
                "big",
                "99999999999999999999",
            ],
            int(4),
        );
        c.expect(&["HSTRLEN", "h", "s"], int(5));
        c.expect(&["HSTRLEN", "h", "n"], int(6));
        c.expect(&["HSTRLEN", "h", "z"], int(1));
        c.expect(&["HSTRLEN", "h", "big"], int(20));
        c.expect(&["HSTRLEN", "h", "zz"], int(0));
        c.expect(&["HSTRLEN", "nokey", "a"], int(0));
        c.expect(&["HSTRLEN", "h"], arity("hstrlen"));
    });
}

#[test]
fn wrong_type_everywhere() {
    on_both(|c| {
        c.expect(&["SET", "s", "v"], OK);
        for cmd in [
            &["HSET", "s", "a", "1"][..],
            &["HSETNX", "s", "a", "1"],
            &["HMSET", "s", "a", "1"],
            &["HGET", "s", "a"],
            &["HMGET", "s", "a"],
            &["HDEL", "s", "a"],
            &["HLEN", "s"],
            &["HSTRLEN", "s", "a"],
            &["HEXISTS", "s", "a"],
            &["HKEYS", "s"],
            &["HVALS", "s"],
            &["HGETALL", "s"],
            &["HINCRBY", "s", "a", "1"],
            &["HINCRBYFLOAT", "s", "a", "1"],
            &["HRANDFIELD", "s"],
            &["HRANDFIELD", "s", "2"],
            &["HRANDFIELD", "s", "0"],
            &["HSCAN", "s", "0"],
        ] {
            c.expect(cmd, err(WRONGTYPE));
        }
        c.expect(&["GET", "s"], bulk("v"));
        // Argument errors found before the key is looked at win over WRONGTYPE.
        c.expect(&["HINCRBY", "s", "a", "x"], err(NOT_INT));
        c.expect(
            &["HINCRBYFLOAT", "s", "a", "x"],
            err("ERR value is not a valid float"),
        );
        c.expect(
            &["HINCRBYFLOAT", "s", "a", "inf"],
            err("ERR value is NaN or Infinity"),
        );
        c.expect(&["HRANDFIELD", "s", "x"], err(NOT_INT));
        c.expect(&["HRANDFIELD", "s", "1", "foo"], err("ERR syntax error"));
        c.expect(&["HSCAN", "s", "x"], err("ERR invalid cursor"));
        c.expect(&["HSET", "s", "a"], arity("hset"));
        // A hash key is the wrong type for string commands.
        c.expect(&["HSET", "h", "a", "1"], int(1));
        c.expect(&["GET", "h"], err(WRONGTYPE));
        c.expect(&["APPEND", "h", "x"], err(WRONGTYPE));
    });
}

#[test]
fn hincrby() {
    on_both(|c| {
        c.expect(&["HINCRBY", "h", "n", "5"], int(5));
        c.expect(&["HINCRBY", "h", "n", "-10"], int(-5));
        c.expect(&["HGET", "h", "n"], bulk("-5"));
        c.expect(
            &[
                "HSET",
                "h",
                "s",
                "abc",
                "sp",
                " 1",
                "f",
                "1.5",
                "big",
                "9223372036854775807",
            ],
            int(4),
        );
        c.expect(
            &["HINCRBY", "h", "s", "1"],
            err("ERR hash value is not an integer"),
        );
        c.expect(
            &["HINCRBY", "h", "sp", "1"],
            err("ERR hash value is not an integer"),
        );
        c.expect(
            &["HINCRBY", "h", "f", "1"],
            err("ERR hash value is not an integer"),
        );
        c.expect(
            &["HINCRBY", "h", "big", "1"],
            err("ERR increment or decrement would overflow"),
        );
        c.expect(&["HINCRBY", "h", "big", "0"], int(i64::MAX));
        c.expect(
            &["HINCRBY", "h", "n", "-9223372036854775808"],
            err("ERR increment or decrement would overflow"),
        );
        c.expect(
            &["HINCRBY", "h", "m", "-9223372036854775808"],
            int(i64::MIN),
        );
        c.expect(
            &["HINCRBY", "h", "m", "-1"],
            err("ERR increment or decrement would overflow"),
        );
        c.expect(&["HINCRBY", "h", "n", "1.5"], err(NOT_INT));
        c.expect(&["HINCRBY", "h", "n", "9223372036854775808"], err(NOT_INT));
        c.expect(&["HINCRBY", "h", "n", ""], err(NOT_INT));
        c.expect(&["HINCRBY", "h", "n"], arity("hincrby"));
        // A failed increment on a missing key does not create it.
        c.expect(&["HINCRBY", "new", "n", "x"], err(NOT_INT));
        c.expect(&["EXISTS", "new"], int(0));
        c.expect(&["HINCRBY", "new", "n", "0"], int(0));
        c.expect(&["EXISTS", "new"], int(1));
    });
}

#[test]
fn hincrbyfloat() {
    on_both(|c| {
        c.expect(&["HINCRBYFLOAT", "h", "f", "1.5"], bulk("1.5"));
        c.expect(&["HINCRBYFLOAT", "h", "f", "0.1"], bulk("1.6"));
        c.expect(&["HINCRBYFLOAT", "h", "f", "-1.6"], bulk("0"));
        c.expect(&["HINCRBYFLOAT", "h", "f", "5.0e3"], bulk("5000"));
        // 1e400 is finite as a long double: a 401-digit integer.
        c.expect(&["HINCRBYFLOAT", "h", "f", "-5000"], bulk("0"));
        let r = c.cmd(&["HINCRBYFLOAT", "h", "f", "1e400"]);
        assert_eq!(parse(&r).bytes().len(), 401);
        c.expect(
            &["HINCRBYFLOAT", "h", "f", "1e5000"],
            err("ERR value is not a valid float"),
        );
        c.expect(
            &["HINCRBYFLOAT", "h", "f", "-inf"],
            err("ERR value is NaN or Infinity"),
        );
        c.expect(
            &["HINCRBYFLOAT", "h", "f", "nan"],
            err("ERR value is not a valid float"),
        );
        c.expect(
            &["HINCRBYFLOAT", "h", "f", "abc"],
            err("ERR value is not a valid float"),
        );
        c.expect(&["HSET", "h", "s", "abc", "i", "10"], int(2));
        c.expect(
            &["HINCRBYFLOAT", "h", "s", "1"],
            err("ERR hash value is not a float"),
        );
        c.expect(&["HINCRBYFLOAT", "h", "i", "0.5"], bulk("10.5"));
        c.expect(&["HINCRBYFLOAT", "h", "i", "-0.5"], bulk("10"));
        c.expect(&["HINCRBYFLOAT", "h", "f"], arity("hincrbyfloat"));
        // A computed value longer than hash-max-listpack-value converts the hash.
        c.expect(&["HSET", "g", "a", "1"], int(1));
        c.expect(&["OBJECT", "ENCODING", "g"], bulk("listpack"));
        let r = c.cmd(&["HINCRBYFLOAT", "g", "b", "1e100"]);
        assert_eq!(parse(&r).bytes().len(), 100);
        c.expect(&["OBJECT", "ENCODING", "g"], bulk("hashtable"));
    });
}

#[test]
fn encoding_conversions() {
    on_both(|c| {
        // Entries: at most hash-max-listpack-entries fields stay a listpack.
        c.expect(&["CONFIG", "SET", "hash-max-listpack-entries", "4"], OK);
        c.expect(
            &["HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"],
            int(4),
        );
        c.expect(&["OBJECT", "ENCODING", "h"], bulk("listpack"));
        c.expect(&["HSET", "h", "e", "5"], int(1));
        c.expect(&["OBJECT", "ENCODING", "h"], bulk("hashtable"));
        // Never converted back.
        c.expect(&["HDEL", "h", "a", "b", "c", "d"], int(4));
        c.expect(&["OBJECT", "ENCODING", "h"], bulk("hashtable"));
        c.expect(&["HGETALL", "h"], bulks(&["e", "5"]));
        // Value and field lengths: 64 bytes is fine, 65 converts.
        c.expect(&["CONFIG", "SET", "hash-max-listpack-entries", "512"], OK);
        let v64 = "v".repeat(64);
        let v65 = "v".repeat(65);
        c.expect(&["HSET", "v", "a", &v64, &v64, "1"], int(2));
        c.expect(&["OBJECT", "ENCODING", "v"], bulk("listpack"));
        c.expect(&["HSET", "v", "b", &v65], int(1));
        c.expect(&["OBJECT", "ENCODING", "v"], bulk("hashtable"));
        c.expect(&["HSET", "w", &v65, "1"], int(1));
        c.expect(&["OBJECT", "ENCODING", "w"], bulk("hashtable"));
        // HINCRBY with a long field name.
        c.expect(&["HSET", "x", "a", "1"], int(1));
        c.expect(&["HINCRBY", "x", &v65, "1"], int(1));
        c.expect(&["OBJECT", "ENCODING", "x"], bulk("hashtable"));
        // hash-max-listpack-entries 0: every hash is a hashtable.
        c.expect(&["CONFIG", "SET", "hash-max-listpack-entries", "0"], OK);
        c.expect(&["HSET", "z", "a", "1"], int(1));
        c.expect(&["OBJECT", "ENCODING", "z"], bulk("hashtable"));
        c.expect(&["CONFIG", "SET", "hash-max-listpack-entries", "512"], OK);
    });
}

#[test]
fn default_listpack_limit_is_512_entries() {
    on_both(|c| {
        let mut args: Vec<String> = vec!["HSET".into(), "h".into()];
        for i in 0..512 {
            args.push(format!("f{i}"));
            args.push(i.to_string());
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        c.expect(&refs, int(512));
        c.expect(&["OBJECT", "ENCODING", "h"], bulk("listpack"));
        c.expect(&["HSET", "h", "one-more", "x"], int(1));
        c.expect(&["OBJECT", "ENCODING", "h"], bulk("hashtable"));
        c.expect(&["HLEN", "h"], int(513));
        c.expect(&["HGET", "h", "f511"], bulk("511"));
    });
}

#[test]
fn hashtable_contents_survive_conversion() {
    on_both(|c| {
        c.expect(&["CONFIG", "SET", "hash-max-listpack-entries", "8"], OK);
        for i in 0..100 {
            let (f, v) = (format!("field:{i}"), format!("{}", i * 7 - 300));
            c.expect(&["HSET", "h", &f, &v], int(1));
        }
        c.expect(&["OBJECT", "ENCODING", "h"], bulk("hashtable"));
        c.expect(&["HLEN", "h"], int(100));
        let pairs = getall_pairs(c, "h");
        assert_eq!(pairs.len(), 100);
        for (f, v) in &pairs {
            let i: i64 = std::str::from_utf8(&f[6..]).unwrap().parse().unwrap();
            assert_eq!(v, (i * 7 - 300).to_string().as_bytes());
        }
        let mut keys = sorted_strings(c, &["HKEYS", "h"]);
        keys.dedup();
        assert_eq!(keys.len(), 100);
        assert_eq!(sorted_strings(c, &["HVALS", "h"]).len(), 100);
        c.expect(&["CONFIG", "SET", "hash-max-listpack-entries", "512"], OK);
    });
}

#[test]
fn resp3_shapes() {
    on_both(|c| {
        let _ = c.cmd(&["HELLO", "3"]);
        c.expect(&["HSET", "h", "a", "1", "b", "2"], int(2));
        c.expect(
            &["HGETALL", "h"],
            b"%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
        );
        c.expect(&["HGETALL", "nokey"], b"%0\r\n");
        c.expect(&["HKEYS", "nokey"], EMPTY_ARRAY);
        c.expect(&["HGET", "h", "zz"], NIL3);
        c.expect(&["HMGET", "h", "a", "zz"], b"*2\r\n$1\r\n1\r\n_\r\n");
        c.expect(&["HEXISTS", "h", "a"], int(1));
        c.expect(&["HINCRBYFLOAT", "h", "a", "0.5"], bulk("1.5"));
        c.expect(&["HRANDFIELD", "nokey"], NIL3);
        c.expect(&["HRANDFIELD", "nokey", "3", "WITHVALUES"], EMPTY_ARRAY);
        // WITHVALUES: an array of [field, value] pairs in RESP3, flat in RESP2.
        c.expect(&["HDEL", "h", "b"], int(1));
        c.expect(
            &["HRANDFIELD", "h", "1", "WITHVALUES"],
            b"*1\r\n*2\r\n$1\r\na\r\n$3\r\n1.5\r\n",
        );
        c.expect(
            &["HRANDFIELD", "h", "-2", "WITHVALUES"],
            b"*2\r\n*2\r\n$1\r\na\r\n$3\r\n1.5\r\n*2\r\n$1\r\na\r\n$3\r\n1.5\r\n",
        );
        c.expect(
            &["HRANDFIELD", "h", "5", "withvalues"],
            b"*1\r\n*2\r\n$1\r\na\r\n$3\r\n1.5\r\n",
        );
        c.expect(
            &["HSCAN", "h", "0"],
            b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$3\r\n1.5\r\n",
        );
    });
}

#[test]
fn hrandfield_arguments_and_single_field_hashes() {
    on_both(|c| {
        c.expect(&["HRANDFIELD", "nokey"], NIL);
        c.expect(&["HRANDFIELD", "nokey", "5"], EMPTY_ARRAY);
        c.expect(&["HRANDFIELD", "nokey", "-5", "WITHVALUES"], EMPTY_ARRAY);
        c.expect(&["HRANDFIELD", "nokey", "x"], err(NOT_INT));
        c.expect(
            &["HRANDFIELD", "nokey", "1", "foo"],
            err("ERR syntax error"),
        );
        c.expect(
            &["HRANDFIELD", "nokey", "1", "withvalues", "x"],
            err("ERR syntax error"),
        );
        c.expect(
            &["HRANDFIELD", "nokey", "-9223372036854775808"],
            err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
        );
        c.expect(
            &["HRANDFIELD", "nokey", "4611686018427387904", "WITHVALUES"],
            err("ERR value is out of range"),
        );
        c.expect(
            &["HRANDFIELD", "nokey", "-4611686018427387904", "WITHVALUES"],
            err("ERR value is out of range"),
        );
        c.expect(
            &["HRANDFIELD", "nokey", "4611686018427387903", "WITHVALUES"],
            EMPTY_ARRAY,
        );
        c.expect(&["HRANDFIELD"], arity("hrandfield"));
        c.expect(&["HSET", "h", "f", "v"], int(1));
        c.expect(&["HRANDFIELD", "h"], bulk("f"));
        c.expect(&["HRANDFIELD", "h", "0"], EMPTY_ARRAY);
        c.expect(&["HRANDFIELD", "h", "0", "WITHVALUES"], EMPTY_ARRAY);
        c.expect(&["HRANDFIELD", "h", "1"], bulks(&["f"]));
        c.expect(&["HRANDFIELD", "h", "3"], bulks(&["f"]));
        c.expect(&["HRANDFIELD", "h", "-3"], bulks(&["f", "f", "f"]));
        c.expect(&["HRANDFIELD", "h", "2", "WITHVALUES"], bulks(&["f", "v"]));
        c.expect(
            &["HRANDFIELD", "h", "-2", "withvalues"],
            bulks(&["f", "v", "f", "v"]),
        );
    });
}

/// HRANDFIELD's selection rules on both encodings: positive counts give distinct fields
/// (all of them when the count reaches the size), negative counts give exactly |count|
/// draws, values match their fields.
#[test]
fn hrandfield_selection_rules() {
    on_both(|c| {
        for (key, entries) in [("lp", "512"), ("ht", "0")] {
            c.expect(&["CONFIG", "SET", "hash-max-listpack-entries", entries], OK);
            for i in 0..50 {
                c.expect(&["HSET", key, &format!("f{i}"), &format!("v{i}")], int(1));
            }
            for count in [1i64, 2, 10, 16, 17, 30, 49, 50, 51, 1000, -1, -5, -100] {
                let n = count.to_string();
                let fields = c.val(&["HRANDFIELD", key, &n]);
                let fields: Vec<Vec<u8>> =
                    fields.array().iter().map(|f| f.bytes().to_vec()).collect();
                let expect_len = if count < 0 { -count } else { count.min(50) } as usize;
                assert_eq!(fields.len(), expect_len, "HRANDFIELD {key} {count}");
                if count > 0 {
                    let mut d = fields.clone();
                    d.sort();
                    d.dedup();
                    assert_eq!(
                        d.len(),
                        fields.len(),
                        "distinct for HRANDFIELD {key} {count}"
                    );
                }
                for f in &fields {
                    assert!(f.starts_with(b"f"));
                }
                let pairs = c.val(&["HRANDFIELD", key, &n, "WITHVALUES"]);
                let flat = pairs.array();
                assert_eq!(flat.len(), 2 * expect_len);
                for p in flat.chunks(2) {
                    assert_eq!(&p[0].bytes()[1..], &p[1].bytes()[1..]);
                }
            }
            // Every field turns up eventually.
            let draws = c.val(&["HRANDFIELD", key, "-2000"]);
            let mut seen: Vec<Vec<u8>> = draws.array().iter().map(|f| f.bytes().to_vec()).collect();
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), 50);
        }
        c.expect(&["OBJECT", "ENCODING", "lp"], bulk("listpack"));
        c.expect(&["OBJECT", "ENCODING", "ht"], bulk("hashtable"));
        c.expect(&["CONFIG", "SET", "hash-max-listpack-entries", "512"], OK);
    });
}

#[test]
fn hscan_listpack_returns_everything_at_once() {
    on_both(|c| {
        c.expect(
            &["HSET", "h", "a", "1", "b", "2", "c", "3", "ab", "4"],
            int(4),
        );
        let all = bulks(&["a", "1", "b", "2", "c", "3", "ab", "4"]);
        let scan = |items: Vec<u8>| {
            let mut out = b"*2\r\n$1\r\n0\r\n".to_vec();
            out.extend_from_slice(&items);
            out
        };
        c.expect(&["HSCAN", "h", "0"], scan(all.clone()));
        // Any cursor: a listpack is always reported whole with cursor 0.
        c.expect(&["HSCAN", "h", "12345"], scan(all.clone()));
        c.expect(&["HSCAN", "h", "0", "COUNT", "1"], scan(all.clone()));
        c.expect(
            &["HSCAN", "h", "0", "MATCH", "a*"],
            scan(bulks(&["a", "1", "ab", "4"])),
        );
        c.expect(&["HSCAN", "h", "0", "MATCH", "*"], scan(all.clone()));
        c.expect(
            &["HSCAN", "h", "0", "match", "zz*", "count", "100"],
            scan(bulks(&[])),
        );
        c.expect(&["HSCAN", "nokey", "0"], b"*2\r\n$1\r\n0\r\n*0\r\n");
        // Errors: cursor first, then the key, then the options.
        c.expect(&["HSCAN", "h", "x"], err("ERR invalid cursor"));
        c.expect(&["HSCAN", "nokey", "x"], err("ERR invalid cursor"));
        c.expect(&["HSCAN", "h", "0", "COUNT", "0"], err("ERR syntax error"));
        c.expect(&["HSCAN", "h", "0", "COUNT", "x"], err(NOT_INT));
        c.expect(&["HSCAN", "h", "0", "COUNT"], err("ERR syntax error"));
        c.expect(
            &["HSCAN", "h", "0", "TYPE", "string"],
            err("ERR syntax error"),
        );
        c.expect(&["HSCAN", "h", "0", "NOVALUES"], err("ERR syntax error"));
        c.expect(
            &["HSCAN", "nokey", "0", "COUNT", "0"],
            b"*2\r\n$1\r\n0\r\n*0\r\n",
        );
        c.expect(&["HSCAN", "h"], arity("hscan"));
    });
}

/// HSCAN over a hashtable: run to completion, every field exactly as stored, each at least
/// once, with MATCH applied to fields.
#[test]
fn hscan_hashtable_visits_every_field() {
    on_both(|c| {
        c.expect(&["CONFIG", "SET", "hash-max-listpack-entries", "0"], OK);
        for i in 0..300 {
            c.expect(&["HSET", "h", &format!("f{i}"), &format!("v{i}")], int(1));
        }
        for (pattern, count, expected) in
            [("*", "10", 300), ("f1*", "7", 111), ("nomatch", "50", 0)]
        {
            let mut cursor = "0".to_string();
            let mut seen = std::collections::BTreeMap::new();
            for _ in 0..10_000 {
                let v = c.val(&["HSCAN", "h", &cursor, "MATCH", pattern, "COUNT", count]);
                let parts = v.array();
                let items = parts[1].array();
                assert_eq!(items.len() % 2, 0);
                for p in items.chunks(2) {
                    assert_eq!(&p[0].bytes()[1..], &p[1].bytes()[1..]);
                    seen.insert(p[0].bytes().to_vec(), ());
                }
                cursor = String::from_utf8(parts[0].bytes().to_vec()).unwrap();
                if cursor == "0" {
                    break;
                }
            }
            assert_eq!(cursor, "0");
            assert_eq!(seen.len(), expected, "pattern {pattern}");
        }
        c.expect(&["CONFIG", "SET", "hash-max-listpack-entries", "512"], OK);
    });
}

/// The SCAN guarantee holds while the hash grows and shrinks between calls: every field
/// present for the whole scan is returned.
#[test]
fn hscan_guarantee_under_resizes() {
    let s = start_server_with(&[("hash-max-listpack-entries", "0")]);
    let mut c = s.client();
    for i in 0..200 {
        c.expect(&["HSET", "h", &format!("stable{i}"), "1"], int(1));
    }
    let mut cursor = "0".to_string();
    let mut seen = std::collections::HashSet::new();
    let mut step = 0;
    loop {
        let v = c.val(&["HSCAN", "h", &cursor, "COUNT", "5"]);
        let parts = v.array();
        for p in parts[1].array().chunks(2) {
            seen.insert(p[0].bytes().to_vec());
        }
        cursor = String::from_utf8(parts[0].bytes().to_vec()).unwrap();
        if cursor == "0" {
            break;
        }
        step += 1;
        // Grow a lot, then shrink back, in turns.
        if step % 2 == 1 {
            for j in 0..500 {
                c.send(&[b"HSET", b"h", format!("tmp{step}:{j}").as_bytes(), b"1"]);
            }
            for _ in 0..500 {
                c.read_reply();
            }
        } else {
            for j in 0..500 {
                c.send(&[b"HDEL", b"h", format!("tmp{}:{j}", step - 1).as_bytes()]);
            }
            for _ in 0..500 {
                c.read_reply();
            }
        }
        assert!(step < 10_000);
    }
    for i in 0..200 {
        assert!(
            seen.contains(format!("stable{i}").as_bytes()),
            "stable{i} missed"
        );
    }
}

#[test]
fn big_values_and_many_fields() {
    on_both(|c| {
        let big = "b".repeat(100_000);
        c.expect(&["HSET", "h", "big", &big], int(1));
        c.expect(&["HGET", "h", "big"], bulk(&big));
        c.expect(&["HSTRLEN", "h", "big"], int(100_000));
        let mut args: Vec<String> = vec!["HSET".into(), "m".into()];
        for i in 0..5000 {
            args.push(format!("field:{i}"));
            args.push(format!("value:{i}"));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        c.expect(&refs, int(5000));
        c.expect(&["HLEN", "m"], int(5000));
        c.expect(&["HGET", "m", "field:4999"], bulk("value:4999"));
        let mut del: Vec<String> = vec!["HDEL".into(), "m".into()];
        for i in 0..4999 {
            del.push(format!("field:{i}"));
        }
        let refs: Vec<&str> = del.iter().map(String::as_str).collect();
        c.expect(&refs, int(4999));
        c.expect(&["HGETALL", "m"], bulks(&["field:4999", "value:4999"]));
        c.expect(&["OBJECT", "ENCODING", "m"], bulk("hashtable"));
    });
}

#[test]
fn integer_looking_fields_and_values_round_trip() {
    on_both(|c| {
        // Listpack stores these as integers: their text must come back unchanged, and
        // non-canonical forms must stay distinct strings.
        c.expect(
            &[
                "HSET",
                "h",
                "1",
                "-1",
                "01",
                "+1",
                "-0",
                "0",
                "9223372036854775808",
                "-9223372036854775808",
            ],
            int(4),
        );
        c.expect(
            &["HGETALL", "h"],
            bulks(&[
                "1",
                "-1",
                "01",
                "+1",
                "-0",
                "0",
                "9223372036854775808",
                "-9223372036854775808",
            ]),
        );
        c.expect(&["HGET", "h", "01"], bulk("+1"));
        c.expect(&["HGET", "h", "1"], bulk("-1"));
        c.expect(&["HEXISTS", "h", "+1"], int(0));
        c.expect(&["HINCRBY", "h", "-0", "1"], int(1));
        c.expect(
            &["HINCRBY", "h", "01", "1"],
            err("ERR hash value is not an integer"),
        );
        c.expect(
            &["HINCRBY", "h", "9223372036854775808", "1"],
            int(-9223372036854775807),
        );
        c.expect(
            &["HINCRBY", "h", "9223372036854775808", "-2"],
            err("ERR increment or decrement would overflow"),
        );
    });
}

#[test]
fn keyspace_hits_and_misses() {
    let s = start_server();
    let mut c = s.client();
    c.expect(&["HSET", "h", "a", "1"], int(1));
    c.expect(&["CONFIG", "RESETSTAT"], OK);
    c.cmd(&["HGET", "h", "a"]);
    c.cmd(&["HGET", "nokey", "a"]);
    c.cmd(&["HSET", "h", "b", "2"]);
    c.cmd(&["HDEL", "nokey", "b"]);
    let info = c.val(&["INFO", "stats"]);
    let text = String::from_utf8_lossy(info.bytes()).into_owned();
    assert!(text.contains("keyspace_hits:1\r\n"), "{text}");
    assert!(text.contains("keyspace_misses:1\r\n"), "{text}");
}

#[test]
fn expired_hash_is_gone() {
    let s = start_server();
    let mut c = s.client();
    c.expect(&["HSET", "h", "a", "1"], int(1));
    c.expect(&["PEXPIRE", "h", "1"], int(1));
    assert!(wait_until(std::time::Duration::from_secs(5), || c
        .cmd(&["HLEN", "h"])
        == int(0)));
    c.expect(&["HSETNX", "h", "a", "2"], int(1));
    c.expect(&["TTL", "h"], int(-1));
}

/// Hash writes count as modifications for WATCH; writes that change nothing (HSETNX of an
/// existing field, HDEL of missing fields) do not.
#[test]
fn watch_sees_hash_writes() {
    on_both(|c| {
        let mut other = RespClient::connect(c.port);
        c.expect(&["HSET", "h", "a", "1"], int(1));
        let run = |c: &mut RespClient, other: &mut RespClient, write: &[&str]| -> Vec<u8> {
            c.expect(&["WATCH", "h"], OK);
            other.cmd(write);
            c.expect(&["MULTI"], OK);
            c.expect(&["HGET", "h", "a"], b"+QUEUED\r\n");
            c.cmd(&["EXEC"])
        };
        let aborted = b"*-1\r\n".to_vec();
        assert_eq!(run(c, &mut other, &["HSET", "h", "a", "1"]), aborted);
        assert_eq!(run(c, &mut other, &["HINCRBY", "h", "n", "1"]), aborted);
        assert_eq!(
            run(c, &mut other, &["HINCRBYFLOAT", "h", "n", "1"]),
            aborted
        );
        assert_eq!(run(c, &mut other, &["HDEL", "h", "n"]), aborted);
        assert_eq!(run(c, &mut other, &["HSETNX", "h", "b", "1"]), aborted);
        assert_eq!(run(c, &mut other, &["HMSET", "h", "b", "1"]), aborted);
        let ok = array(&[bulk("1")]);
        assert_eq!(run(c, &mut other, &["HSETNX", "h", "a", "2"]), ok);
        assert_eq!(run(c, &mut other, &["HDEL", "h", "zz"]), ok);
        assert_eq!(run(c, &mut other, &["HGET", "h", "a"]), ok);
        assert_eq!(run(c, &mut other, &["HINCRBY", "h", "a", "x"]), ok);
    });
}

/// Keyspace notifications of hash writes, in Redis's order and names.
#[test]
fn keyspace_notifications() {
    on_both(|c| {
        c.expect(&["CONFIG", "SET", "notify-keyspace-events", "KEA"], OK);
        let mut sub = RespClient::connect(c.port);
        sub.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
        let script: &[&[&str]] = &[
            &["HSET", "h", "a", "1"],
            &["HSET", "h", "a", "1"],
            &["HMSET", "h", "b", "2"],
            &["HSETNX", "h", "a", "9"],
            &["HSETNX", "h", "c", "3"],
            &["HINCRBY", "h", "n", "1"],
            &["HINCRBY", "h", "a", "x"],
            &["HINCRBYFLOAT", "h", "f", "1.5"],
            &["HDEL", "h", "zz"],
            &["HDEL", "h", "a", "b"],
            &["HDEL", "h", "c", "n", "f"],
            &["HGET", "h", "a"],
            &["HSET", "marker", "x", "1"],
        ];
        for cmd in script {
            c.cmd(cmd);
        }
        let mut events = Vec::new();
        loop {
            let v = sub.read_value();
            let items = v.array();
            let event = String::from_utf8_lossy(items[2].bytes()).into_owned();
            let key = String::from_utf8_lossy(items[3].bytes()).into_owned();
            if key == "marker" {
                break;
            }
            events.push(format!(
                "{}:{key}",
                event.trim_start_matches("__keyevent@0__:")
            ));
        }
        assert_eq!(
            events,
            [
                "hset:h",
                "hset:h",
                "hset:h",
                "hset:h",
                "hincrby:h",
                "hincrbyfloat:h",
                "hdel:h",
                "hdel:h",
                "del:h"
            ],
            "[{}]",
            c.name
        );
    });
}
