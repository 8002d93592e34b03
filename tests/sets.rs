//! Set commands over TCP, with exact reply bytes. Most tests run against ferrokv and then,
//! when it is installed, against a real redis-server too ([`on_both`]), so every
//! expectation here is also checked against Redis 7.0.
//!
//! The order of a `hashtable`-encoded set's members is unspecified (and differs between
//! the two servers): such replies are compared sorted ([`members`]). An `intset` replies in
//! ascending order, byte for byte.

mod common;

use common::*;

const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn arity(cmd: &str) -> Vec<u8> {
    err(&format!(
        "ERR wrong number of arguments for '{cmd}' command"
    ))
}

fn bulks(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(bulk).collect()
}

/// A RESP3 set reply.
fn set3(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("~{}\r\n", items.len()).into_bytes();
    for i in items {
        out.extend_from_slice(i);
    }
    out
}

/// The members of an array/set reply (or of SSCAN's second element), sorted.
fn sorted(v: &Resp) -> Vec<Vec<u8>> {
    let mut m: Vec<Vec<u8>> = v.array().iter().map(|r| r.bytes().to_vec()).collect();
    m.sort();
    m
}

/// Send a command whose reply is a collection of members; return them sorted.
fn members(c: &mut RespClient, args: &[&str]) -> Vec<Vec<u8>> {
    let v = c.val(args);
    assert!(!v.is_error(), "[{}] {args:?}: {v:?}", c.name);
    sorted(&v)
}

fn strs(items: &[&str]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = items.iter().map(|s| s.as_bytes().to_vec()).collect();
    v.sort();
    v
}

fn encoding(c: &mut RespClient, key: &str) -> Vec<u8> {
    c.val(&["OBJECT", "ENCODING", key]).bytes().to_vec()
}

/// Run SSCAN to completion; return every member seen (deduplicated, sorted) and the number
/// of calls.
fn sscan_all(c: &mut RespClient, key: &str, extra: &[&str]) -> (Vec<Vec<u8>>, usize) {
    let mut cursor = "0".to_string();
    let mut seen = std::collections::BTreeSet::new();
    for calls in 1..100_000 {
        let mut args = vec!["SSCAN", key, cursor.as_str()];
        args.extend_from_slice(extra);
        let v = c.val(&args);
        let parts = v.array();
        let next = String::from_utf8(parts[0].bytes().to_vec()).unwrap();
        for m in parts[1].array() {
            seen.insert(m.bytes().to_vec());
        }
        if next == "0" {
            return (seen.into_iter().collect(), calls);
        }
        cursor = next;
    }
    panic!("SSCAN did not finish");
}

#[test]
fn sadd_srem_scard_sismember() {
    on_both(|c| {
        c.expect(&["SADD", "s", "a", "b", "a"], int(2));
        c.expect(&["SADD", "s", "b", "c"], int(1));
        c.expect(&["SCARD", "s"], int(3));
        c.expect(&["SCARD", "nosuch"], int(0));
        c.expect(&["SISMEMBER", "s", "a"], int(1));
        c.expect(&["SISMEMBER", "s", "z"], int(0));
        c.expect(&["SISMEMBER", "nosuch", "a"], int(0));
        c.expect(&["SREM", "s", "a", "z", "a"], int(1));
        c.expect(&["SREM", "nosuch", "a"], int(0));
        assert_eq!(members(c, &["SMEMBERS", "s"]), strs(&["b", "c"]));
        // Removing the last member deletes the key at once.
        c.expect(&["SREM", "s", "b", "c", "d"], int(2));
        c.expect(&["EXISTS", "s"], int(0));
        c.expect(&["TYPE", "s"], b"+none\r\n");
        c.expect(&["SADD", "s"], arity("sadd"));
        c.expect(&["SREM", "s"], arity("srem"));
        c.expect(&["SCARD"], arity("scard"));
        c.expect(&["SISMEMBER", "s"], arity("sismember"));
        c.expect(&["SADD", "t", "x"], int(1));
        c.expect(&["TYPE", "t"], b"+set\r\n");
    });
}

#[test]
fn binary_and_empty_members() {
    on_both(|c| {
        let m1: &[u8] = b"\x00\xff\r\n";
        let long = vec![b'\x01'; 300];
        c.expect_b(&[b"SADD", b"s", m1, b"", &long], int(3));
        c.expect_b(&[b"SISMEMBER", b"s", m1], int(1));
        c.expect_b(&[b"SISMEMBER", b"s", b""], int(1));
        c.expect_b(&[b"SISMEMBER", b"s", &long], int(1));
        c.expect_b(&[b"SISMEMBER", b"s", b"\x00"], int(0));
        c.expect_b(&[b"SREM", b"s", b""], int(1));
        c.expect_b(&[b"SCARD", b"s"], int(2));
        let mut want = vec![m1.to_vec(), long.clone()];
        want.sort();
        assert_eq!(members(c, &["SMEMBERS", "s"]), want);
    });
}

#[test]
fn wrong_type_everywhere() {
    on_both(|c| {
        c.expect(&["SET", "str", "v"], OK);
        c.expect(&["SADD", "s", "1"], int(1));
        let wt = err(WRONGTYPE);
        for args in [
            &["SADD", "str", "a"][..],
            &["SREM", "str", "a"],
            &["SCARD", "str"],
            &["SISMEMBER", "str", "a"],
            &["SMISMEMBER", "str", "a"],
            &["SMEMBERS", "str"],
            &["SPOP", "str"],
            &["SPOP", "str", "2"],
            &["SRANDMEMBER", "str"],
            &["SRANDMEMBER", "str", "2"],
            &["SSCAN", "str", "0"],
            &["SINTER", "s", "str"],
            &["SINTER", "nosuch", "str"],
            &["SINTERCARD", "2", "nosuch", "str"],
            &["SINTERSTORE", "d", "nosuch", "str"],
            &["SUNION", "nosuch", "str"],
            &["SUNIONSTORE", "d", "s", "str"],
            &["SDIFF", "nosuch", "str"],
            &["SDIFF", "str", "nosuch"],
            &["SDIFFSTORE", "d", "s", "str"],
            &["SMOVE", "str", "s", "a"],
            &["SMOVE", "s", "str", "1"],
        ] {
            c.expect(args, &wt);
        }
        // The failed STOREs did not touch the destination; the failed SMOVE kept its member.
        c.expect(&["EXISTS", "d"], int(0));
        c.expect(&["SISMEMBER", "s", "1"], int(1));
        c.expect(&["GET", "str"], bulk("v"));
        // A missing source wins over a destination of the wrong type.
        c.expect(&["SMOVE", "nosuch", "str", "a"], int(0));
        // A STORE overwrites a destination of any type.
        c.expect(&["SUNIONSTORE", "str", "s"], int(1));
        c.expect(&["TYPE", "str"], b"+set\r\n");
    });
}

#[test]
fn smismember() {
    on_both(|c| {
        c.expect(&["SADD", "s", "a", "1"], int(2));
        c.expect(
            &["SMISMEMBER", "s", "a", "b", "1", "a"],
            array(&[int(1), int(0), int(1), int(1)]),
        );
        c.expect(
            &["SMISMEMBER", "nosuch", "a", "b"],
            array(&[int(0), int(0)]),
        );
        c.expect(&["SMISMEMBER", "s"], arity("smismember"));
        c.val(&["HELLO", "3"]);
        // An array of integers in RESP3 too.
        c.expect(&["SMISMEMBER", "s", "a", "x"], array(&[int(1), int(0)]));
    });
}

#[test]
fn intset_encoding_and_conversions() {
    on_both(|c| {
        c.expect(
            &[
                "SADD",
                "i",
                "3",
                "-1",
                "2",
                "9223372036854775807",
                "-9223372036854775808",
            ],
            int(5),
        );
        assert_eq!(encoding(c, "i"), b"intset");
        // An intset replies in ascending numeric order, byte for byte.
        c.expect(
            &["SMEMBERS", "i"],
            array(&bulks(&[
                "-9223372036854775808",
                "-1",
                "2",
                "3",
                "9223372036854775807",
            ])),
        );
        c.expect(&["SISMEMBER", "i", "03"], int(0));
        c.expect(&["SISMEMBER", "i", "+3"], int(0));
        c.expect(&["SISMEMBER", "i", "3"], int(1));
        // Non-canonical numbers are strings: the set converts, and never back.
        c.expect(&["SADD", "i", "007"], int(1));
        assert_eq!(encoding(c, "i"), b"hashtable");
        c.expect(&["SREM", "i", "007"], int(1));
        assert_eq!(encoding(c, "i"), b"hashtable");
        c.expect(&["SISMEMBER", "i", "3"], int(1));
        // The first member decides the new key's encoding.
        for (m, enc) in [
            ("12", "intset"),
            ("-0", "hashtable"),
            ("+1", "hashtable"),
            ("1.5", "hashtable"),
            ("9223372036854775808", "hashtable"),
            ("", "hashtable"),
            (" 1", "hashtable"),
        ] {
            c.val(&["DEL", "k"]);
            c.expect(&["SADD", "k", m], int(1));
            assert_eq!(encoding(c, "k"), enc.as_bytes(), "first member {m:?}");
        }
        c.expect(&["SADD", "mixed", "a", "1"], int(2));
        assert_eq!(encoding(c, "mixed"), b"hashtable");
    });
}

#[test]
fn intset_size_limit() {
    on_both_with(&[("set-max-intset-entries", "4")], |c| {
        c.expect(&["SADD", "s", "1", "2", "3", "4"], int(4));
        assert_eq!(encoding(c, "s"), b"intset");
        c.expect(&["SADD", "s", "5"], int(1));
        assert_eq!(encoding(c, "s"), b"hashtable");
        c.expect(&["SREM", "s", "5", "4"], int(2));
        assert_eq!(encoding(c, "s"), b"hashtable");
        // Computed sets follow the same rule.
        c.expect(&["SADD", "a", "1", "2", "3"], int(3));
        c.expect(&["SADD", "b", "3", "4", "5"], int(3));
        c.expect(&["SUNIONSTORE", "u", "a", "b"], int(5));
        assert_eq!(encoding(c, "u"), b"hashtable");
        c.expect(&["SINTERSTORE", "n", "a", "b"], int(1));
        assert_eq!(encoding(c, "n"), b"intset");
        c.expect(&["CONFIG", "SET", "set-max-intset-entries", "512"], OK);
        c.expect(&["SUNIONSTORE", "u", "a", "b"], int(5));
        assert_eq!(encoding(c, "u"), b"intset");
    });
    // The default limit is 512.
    on_both(|c| {
        let mut args: Vec<String> = vec!["SADD".into(), "s".into()];
        args.extend((0..512).map(|i| i.to_string()));
        let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        c.expect(&refs, int(512));
        assert_eq!(encoding(c, "s"), b"intset");
        c.expect(&["SADD", "s", "512"], int(1));
        assert_eq!(encoding(c, "s"), b"hashtable");
        c.expect(&["SCARD", "s"], int(513));
    });
}

#[test]
fn smove() {
    on_both(|c| {
        c.expect(&["SADD", "src", "a", "b", "1"], int(3));
        c.expect(&["SADD", "dst", "x"], int(1));
        c.expect(&["SMOVE", "src", "dst", "a"], int(1));
        c.expect(&["SMOVE", "src", "dst", "a"], int(0));
        c.expect(&["SMOVE", "src", "dst", "zz"], int(0));
        c.expect(&["SISMEMBER", "dst", "a"], int(1));
        // Already in the destination: still moved (removed from the source), reply 1.
        c.expect(&["SADD", "src", "x"], int(1));
        c.expect(&["SMOVE", "src", "dst", "x"], int(1));
        c.expect(&["SISMEMBER", "src", "x"], int(0));
        // Same key: 1 if a member, 0 otherwise; nothing changes.
        c.expect(&["SMOVE", "src", "src", "b"], int(1));
        c.expect(&["SMOVE", "src", "src", "nope"], int(0));
        c.expect(&["SCARD", "src"], int(2));
        // The destination is created with the encoding of the moved member.
        c.expect(&["SMOVE", "src", "new", "1"], int(1));
        assert_eq!(encoding(c, "new"), b"intset");
        // Moving the last member deletes the source.
        c.expect(&["SMOVE", "src", "new", "b"], int(1));
        c.expect(&["EXISTS", "src"], int(0));
        assert_eq!(encoding(c, "new"), b"hashtable");
        c.expect(&["SMOVE", "nosuch", "new", "b"], int(0));
        c.expect(&["SMOVE", "a", "b"], arity("smove"));
    });
}

#[test]
fn smembers_and_resp3_shapes() {
    on_both(|c| {
        c.expect(&["SMEMBERS", "nosuch"], EMPTY_ARRAY);
        c.expect(&["SADD", "i", "3", "1", "2"], int(3));
        c.expect(&["SMEMBERS", "i"], array(&bulks(&["1", "2", "3"])));
        c.val(&["HELLO", "3"]);
        c.expect(&["SMEMBERS", "nosuch"], b"~0\r\n");
        c.expect(&["SMEMBERS", "i"], set3(&bulks(&["1", "2", "3"])));
        c.expect(&["SINTER", "i", "i"], set3(&bulks(&["1", "2", "3"])));
        c.expect(&["SUNION", "i", "nosuch"], set3(&bulks(&["1", "2", "3"])));
        c.expect(&["SDIFF", "i", "nosuch"], set3(&bulks(&["1", "2", "3"])));
        c.expect(&["SINTER", "i", "nosuch"], b"~0\r\n");
        c.expect(&["SPOP", "nosuch"], NIL3);
        c.expect(&["SPOP", "nosuch", "2"], b"~0\r\n");
        c.expect(&["SPOP", "i", "0"], b"~0\r\n");
        c.expect(&["SRANDMEMBER", "nosuch"], NIL3);
        c.expect(&["SRANDMEMBER", "nosuch", "2"], EMPTY_ARRAY);
        c.expect(&["SRANDMEMBER", "i", "0"], EMPTY_ARRAY);
        // SRANDMEMBER with a count is an array, SPOP with a count a set.
        c.expect(&["SRANDMEMBER", "i", "5"], array(&bulks(&["1", "2", "3"])));
        c.expect(&["SPOP", "i", "5"], set3(&bulks(&["1", "2", "3"])));
        c.expect(&["EXISTS", "i"], int(0));
        c.expect(&["SMEMBERS"], arity("smembers"));
        c.expect(&["SMEMBERS", "a", "b"], arity("smembers"));
    });
}

#[test]
fn spop_single() {
    on_both(|c| {
        c.expect(&["SPOP", "nosuch"], NIL);
        c.expect(&["SADD", "s", "a", "b", "c"], int(3));
        let mut popped = Vec::new();
        for _ in 0..3 {
            popped.push(c.val(&["SPOP", "s"]).bytes().to_vec());
        }
        popped.sort();
        assert_eq!(popped, strs(&["a", "b", "c"]));
        c.expect(&["EXISTS", "s"], int(0));
        c.expect(&["SPOP", "s"], NIL);
        c.expect(&["SADD", "i", "7"], int(1));
        c.expect(&["SPOP", "i"], bulk("7"));
        c.expect(&["EXISTS", "i"], int(0));
        c.expect(&["SPOP"], arity("spop"));
        c.expect(&["SPOP", "s", "1", "2"], err(SYNTAX));
    });
}

#[test]
fn spop_count_cases() {
    on_both(|c| {
        let positive = err("ERR value is out of range, must be positive");
        c.expect(&["SPOP", "s", "-1"], &positive);
        c.expect(&["SPOP", "s", "abc"], &positive);
        c.expect(&["SPOP", "s", "1.5"], &positive);
        c.expect(&["SPOP", "nosuch", "3"], EMPTY_ARRAY);
        // Count >= size: everything (ascending when the members are small integers, as
        // SUNION builds it), and the key is gone.
        c.expect(&["SADD", "h", "5", "x", "3", "1"], int(4));
        c.expect(&["SREM", "h", "x"], int(1));
        assert_eq!(encoding(c, "h"), b"hashtable");
        c.expect(&["SPOP", "h", "3"], array(&bulks(&["1", "3", "5"])));
        c.expect(&["EXISTS", "h"], int(0));
        c.expect(&["SADD", "s", "a", "b"], int(2));
        assert_eq!(members(c, &["SPOP", "s", "100"]), strs(&["a", "b"]));
        c.expect(&["EXISTS", "s"], int(0));
        c.expect(&["SADD", "s", "a", "b"], int(2));
        c.expect(&["SPOP", "s", "0"], EMPTY_ARRAY);
        c.expect(&["SCARD", "s"], int(2));

        // Few popped (remaining * 5 > count): random members, removed one by one.
        let all: Vec<String> = (0..100).map(|i| format!("m{i}")).collect();
        let mut args: Vec<&str> = vec!["SADD", "big"];
        args.extend(all.iter().map(|s| s.as_str()));
        c.expect(&args, int(100));
        let popped = members(c, &["SPOP", "big", "10"]);
        assert_eq!(popped.len(), 10);
        popped.windows(2).for_each(|w| assert_ne!(w[0], w[1]));
        c.expect(&["SCARD", "big"], int(90));
        for p in &popped {
            c.expect_b(&[b"SISMEMBER", b"big", p], int(0));
        }
        // Most popped (remaining * 5 <= count): the set is rebuilt from what stays.
        let popped2 = members(c, &["SPOP", "big", "80"]);
        assert_eq!(popped2.len(), 80);
        c.expect(&["SCARD", "big"], int(10));
        for p in &popped2 {
            assert!(!popped.contains(p));
            c.expect_b(&[b"SISMEMBER", b"big", p], int(0));
        }
        let rest = members(c, &["SMEMBERS", "big"]);
        let mut union: Vec<Vec<u8>> = popped
            .iter()
            .chain(&popped2)
            .chain(&rest)
            .cloned()
            .collect();
        union.sort();
        union.dedup();
        assert_eq!(union.len(), 100);
    });
}

#[test]
fn spop_rebuild_returns_to_intset() {
    // Redis's "rebuild" strategy builds the remaining set anew: a hashtable whose
    // remaining members are all integers becomes an intset again.
    on_both(|c| {
        c.expect(
            &[
                "SADD", "s", "a", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
            ],
            int(11),
        );
        c.expect(&["SREM", "s", "a"], int(1));
        assert_eq!(encoding(c, "s"), b"hashtable");
        let popped = members(c, &["SPOP", "s", "9"]);
        assert_eq!(popped.len(), 9);
        c.expect(&["SCARD", "s"], int(1));
        assert_eq!(encoding(c, "s"), b"intset");
        // A TTL survives the rebuild.
        c.expect(&["SADD", "t", "a", "b", "c", "d", "e", "f", "1"], int(7));
        c.expect(&["EXPIRE", "t", "1000"], int(1));
        assert_eq!(members(c, &["SPOP", "t", "6"]).len(), 6);
        c.expect(&["SCARD", "t"], int(1));
        let ttl = c.int(&["TTL", "t"]);
        assert!(ttl > 0 && ttl <= 1000, "TTL {ttl}");
    });
}

#[test]
fn srandmember_cases() {
    on_both(|c| {
        c.expect(&["SRANDMEMBER", "nosuch"], NIL);
        c.expect(&["SRANDMEMBER", "nosuch", "5"], EMPTY_ARRAY);
        c.expect(&["SRANDMEMBER", "nosuch", "-5"], EMPTY_ARRAY);
        c.expect(&["SRANDMEMBER", "s", "abc"], err(NOT_INT));
        c.expect(&["SRANDMEMBER", "s", "9223372036854775808"], err(NOT_INT));
        c.expect(
            &["SRANDMEMBER", "s", "-9223372036854775808"],
            err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
        );
        c.expect(&["SRANDMEMBER", "s", "1", "2"], err(SYNTAX));
        c.expect(&["SRANDMEMBER"], arity("srandmember"));

        c.expect(&["SADD", "one", "x"], int(1));
        c.expect(&["SRANDMEMBER", "one"], bulk("x"));
        c.expect(
            &["SRANDMEMBER", "one", "-3"],
            array(&bulks(&["x", "x", "x"])),
        );
        c.expect(&["SRANDMEMBER", "one", "1"], array(&bulks(&["x"])));
        c.expect(&["SRANDMEMBER", "one", "0"], EMPTY_ARRAY);

        let all: Vec<String> = (0..60).map(|i| format!("m{i}")).collect();
        let mut args: Vec<&str> = vec!["SADD", "s"];
        args.extend(all.iter().map(|s| s.as_str()));
        c.expect(&args, int(60));
        let mut want: Vec<Vec<u8>> = all.iter().map(|s| s.as_bytes().to_vec()).collect();
        want.sort();
        // count >= size: the whole set.
        assert_eq!(members(c, &["SRANDMEMBER", "s", "60"]), want);
        assert_eq!(members(c, &["SRANDMEMBER", "s", "1000"]), want);
        // Distinct members, both strategies (count * 3 > size, and not).
        for count in [59usize, 30, 21, 20, 5, 2] {
            let got = members(c, &["SRANDMEMBER", "s", &count.to_string()]);
            assert_eq!(got.len(), count);
            let mut d = got.clone();
            d.dedup();
            assert_eq!(d.len(), count, "distinct");
            assert!(got.iter().all(|m| want.contains(m)));
        }
        // Negative: exactly |count| picks, repetitions allowed.
        let got = members(c, &["SRANDMEMBER", "s", "-200"]);
        assert_eq!(got.len(), 200);
        assert!(got.iter().all(|m| want.contains(m)));
        // Nothing was removed.
        c.expect(&["SCARD", "s"], int(60));
        // An intset answers ascending when the whole set is asked for.
        c.expect(&["SADD", "i", "3", "1", "2"], int(3));
        c.expect(&["SRANDMEMBER", "i", "3"], array(&bulks(&["1", "2", "3"])));
    });
}

#[test]
fn srandmember_distribution_covers_all() {
    let s = start_server();
    let mut c = s.client();
    for (key, prefix) in [("ints", ""), ("strs", "m"), ("big", "long-member-")] {
        let n = if key == "big" { 300 } else { 20 };
        let all: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
        let mut args: Vec<&str> = vec!["SADD", key];
        args.extend(all.iter().map(|s| s.as_str()));
        c.expect(&args, int(n as i64));
        let got = members(
            &mut c,
            &["SRANDMEMBER", key, &(-(n as i64) * 50).to_string()],
        );
        let mut distinct = got.clone();
        distinct.dedup();
        assert_eq!(distinct.len(), n, "{key}: every member comes up");
        for m in &distinct {
            let hits = got.iter().filter(|g| *g == m).count();
            // Chained buckets make selection only roughly fair (as in Redis): a member in a
            // long chain comes up a few times less often. Pin gross skews only.
            assert!(hits > 3, "{key}: {m:?} came up {hits} times of ~50");
        }
    }
}

#[test]
fn sinter_family() {
    on_both(|c| {
        c.expect(&["SADD", "a", "1", "2", "3", "4", "x"], int(5));
        c.expect(&["SADD", "b", "2", "3", "4", "5"], int(4));
        c.expect(&["SADD", "c", "3", "4", "6"], int(3));
        // The smallest set (an intset) drives the order: ascending.
        c.expect(&["SINTER", "a", "b", "c"], array(&bulks(&["3", "4"])));
        c.expect(&["SINTER", "b", "b"], array(&bulks(&["2", "3", "4", "5"])));
        c.expect(&["SINTER", "a", "nosuch"], EMPTY_ARRAY);
        assert_eq!(
            members(c, &["SINTER", "a"]),
            strs(&["1", "2", "3", "4", "x"])
        );
        c.expect(&["SINTERCARD", "3", "a", "b", "c"], int(2));
        c.expect(&["SINTERCARD", "2", "a", "b"], int(3));
        c.expect(&["SINTERCARD", "2", "a", "b", "LIMIT", "2"], int(2));
        c.expect(&["SINTERCARD", "2", "a", "b", "limit", "0"], int(3));
        c.expect(&["SINTERCARD", "2", "a", "b", "LIMIT", "100"], int(3));
        c.expect(
            &["SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "4"],
            int(4),
        );
        c.expect(&["SINTERCARD", "2", "a", "nosuch"], int(0));
        c.expect(&["SINTERCARD", "1", "nosuch"], int(0));
        c.expect(&["SINTERSTORE", "d", "a", "b"], int(3));
        c.expect(&["SMEMBERS", "d"], array(&bulks(&["2", "3", "4"])));
        assert_eq!(encoding(c, "d"), b"intset");
        c.expect(&["SADD", "y", "x", "1"], int(2));
        c.expect(&["SINTERSTORE", "d", "a", "y"], int(2));
        assert_eq!(encoding(c, "d"), b"hashtable");
        // An empty result deletes the destination.
        c.expect(&["SINTERSTORE", "d", "a", "nosuch"], int(0));
        c.expect(&["EXISTS", "d"], int(0));
        c.expect(&["SET", "d", "v"], OK);
        c.expect(&["SINTERSTORE", "d", "b", "y"], int(0));
        c.expect(&["EXISTS", "d"], int(0));
        // The destination may be a source.
        c.expect(&["SINTERSTORE", "a", "a", "b"], int(3));
        c.expect(&["SMEMBERS", "a"], array(&bulks(&["2", "3", "4"])));
        c.expect(&["SINTER"], arity("sinter"));
        c.expect(&["SINTERSTORE", "d"], arity("sinterstore"));
        c.expect(&["SINTERCARD", "1"], arity("sintercard"));
    });
}

#[test]
fn sintercard_errors() {
    on_both(|c| {
        let numkeys = err("ERR numkeys should be greater than 0");
        c.expect(&["SINTERCARD", "0", "a"], &numkeys);
        c.expect(&["SINTERCARD", "-1", "a"], &numkeys);
        c.expect(&["SINTERCARD", "abc", "a"], &numkeys);
        c.expect(&["SINTERCARD", "99999999999999999999", "a"], &numkeys);
        c.expect(
            &["SINTERCARD", "3", "a", "b"],
            err("ERR Number of keys can't be greater than number of args"),
        );
        let limit = err("ERR LIMIT can't be negative");
        c.expect(&["SINTERCARD", "1", "a", "LIMIT", "-1"], &limit);
        c.expect(&["SINTERCARD", "1", "a", "LIMIT", "x"], &limit);
        c.expect(&["SINTERCARD", "1", "a", "LIMIT"], err(SYNTAX));
        c.expect(&["SINTERCARD", "1", "a", "b"], err(SYNTAX));
        c.expect(&["SINTERCARD", "1", "a", "LIMIT", "1", "junk"], err(SYNTAX));
        // Options are checked before the keys.
        c.expect(&["SET", "str", "v"], OK);
        c.expect(&["SINTERCARD", "1", "str", "LIMIT", "-1"], &limit);
        c.expect(&["SINTERCARD", "1", "str"], err(WRONGTYPE));
    });
}

#[test]
fn sunion_sdiff_family() {
    on_both(|c| {
        c.expect(&["SADD", "a", "1", "2", "3"], int(3));
        c.expect(&["SADD", "b", "3", "4"], int(2));
        c.expect(&["SADD", "h", "2", "x"], int(2));
        // Integer results come out of an intset: ascending.
        c.expect(&["SUNION", "b", "a"], array(&bulks(&["1", "2", "3", "4"])));
        c.expect(&["SUNION", "nosuch"], EMPTY_ARRAY);
        c.expect(&["SDIFF", "a", "b"], array(&bulks(&["1", "2"])));
        c.expect(&["SDIFF", "a", "h", "b"], array(&bulks(&["1"])));
        c.expect(&["SDIFF", "nosuch", "a"], EMPTY_ARRAY);
        c.expect(&["SDIFF", "a", "a"], EMPTY_ARRAY);
        c.expect(&["SDIFF", "a", "nosuch"], array(&bulks(&["1", "2", "3"])));
        assert_eq!(
            members(c, &["SUNION", "a", "h"]),
            strs(&["1", "2", "3", "x"])
        );
        assert_eq!(members(c, &["SDIFF", "h", "a"]), strs(&["x"]));
        c.expect(&["SUNIONSTORE", "u", "a", "b", "nosuch"], int(4));
        assert_eq!(encoding(c, "u"), b"intset");
        c.expect(&["SUNIONSTORE", "u", "a", "h"], int(4));
        assert_eq!(encoding(c, "u"), b"hashtable");
        c.expect(&["SDIFFSTORE", "d", "h", "a"], int(1));
        assert_eq!(encoding(c, "d"), b"hashtable");
        c.expect(&["SDIFFSTORE", "d", "a", "h"], int(2));
        assert_eq!(encoding(c, "d"), b"intset");
        c.expect(&["SDIFFSTORE", "d", "a", "a"], int(0));
        c.expect(&["EXISTS", "d"], int(0));
        c.expect(&["SUNIONSTORE", "d", "nosuch"], int(0));
        c.expect(&["EXISTS", "d"], int(0));
        // The destination may be a source.
        c.expect(&["SUNIONSTORE", "a", "a", "b"], int(4));
        c.expect(&["SDIFFSTORE", "a", "a", "b"], int(2));
        c.expect(&["SMEMBERS", "a"], array(&bulks(&["1", "2"])));
        c.expect(&["SUNION"], arity("sunion"));
        c.expect(&["SDIFFSTORE", "d"], arity("sdiffstore"));
    });
}

#[test]
fn sdiff_algorithm_choice_shows_in_the_encoding() {
    // Redis picks SDIFF's algorithm by cost. The second one adds the whole first set and
    // then removes, so removing its only string member leaves a hashtable, where the first
    // algorithm (used when there are fewer sets to subtract) gives an intset.
    on_both(|c| {
        c.expect(
            &[
                "SADD", "a", "1", "2", "3", "4", "5", "6", "7", "8", "9", "x",
            ],
            int(10),
        );
        c.expect(&["SADD", "b", "x"], int(1));
        c.expect(&["SADD", "c", "y"], int(1));
        c.expect(&["SDIFFSTORE", "d1", "a", "b"], int(9));
        assert_eq!(encoding(c, "d1"), b"intset");
        c.expect(&["SDIFFSTORE", "d2", "a", "b", "c"], int(9));
        assert_eq!(encoding(c, "d2"), b"hashtable");
    });
}

#[test]
fn store_replaces_destination_and_its_ttl() {
    on_both(|c| {
        c.expect(&["SADD", "a", "1", "2"], int(2));
        for cmd in ["SUNIONSTORE", "SINTERSTORE", "SDIFFSTORE"] {
            c.expect(&["SADD", "d", "old"], int(1));
            c.expect(&["EXPIRE", "d", "100"], int(1));
            c.expect(&[cmd, "d", "a"], int(2));
            c.expect(&["TTL", "d"], int(-1));
            c.expect(&["SISMEMBER", "d", "old"], int(0));
            c.expect(&["DEL", "d"], int(1));
        }
    });
}

#[test]
fn expired_keys_are_missing() {
    on_both(|c| {
        c.expect(&["SADD", "s", "a"], int(1));
        c.expect(&["SADD", "t", "a", "b"], int(2));
        c.expect(&["PEXPIRE", "s", "1"], int(1));
        std::thread::sleep(std::time::Duration::from_millis(20));
        c.expect(&["SCARD", "s"], int(0));
        c.expect(&["SUNIONSTORE", "u", "s", "t"], int(2));
        c.expect(&["SINTER", "s", "t"], EMPTY_ARRAY);
        c.expect(&["SMOVE", "s", "t", "a"], int(0));
        c.expect(&["EXISTS", "s"], int(0));
    });
}

#[test]
fn sscan() {
    on_both(|c| {
        c.expect(
            &["SSCAN", "nosuch", "0"],
            array(&[bulk("0"), EMPTY_ARRAY.to_vec()]),
        );
        // Bad options on a missing key still answer the empty scan.
        c.expect(
            &["SSCAN", "nosuch", "0", "junk"],
            array(&[bulk("0"), EMPTY_ARRAY.to_vec()]),
        );
        c.expect(&["SSCAN", "nosuch", "x"], err("ERR invalid cursor"));
        c.expect(&["SADD", "i", "3", "1", "2", "10", "-4"], int(5));
        // An intset is returned whole, ascending, cursor 0, whatever COUNT says.
        c.expect(
            &["SSCAN", "i", "0", "COUNT", "1"],
            array(&[bulk("0"), array(&bulks(&["-4", "1", "2", "3", "10"]))]),
        );
        c.expect(
            &["SSCAN", "i", "0", "MATCH", "1*"],
            array(&[bulk("0"), array(&bulks(&["1", "10"]))]),
        );
        c.expect(&["SSCAN", "i", "0", "COUNT", "0"], err(SYNTAX));
        c.expect(&["SSCAN", "i", "0", "COUNT", "x"], err(NOT_INT));
        c.expect(&["SSCAN", "i", "0", "MATCH"], err(SYNTAX));
        c.expect(&["SSCAN", "i", "0", "TYPE", "set"], err(SYNTAX));
        c.expect(&["SSCAN", "i", "0", "BOGUS", "1"], err(SYNTAX));
        c.expect(&["SSCAN", "i"], arity("sscan"));
        c.expect(&["SADD", "h", "a", "b", "ab", "c"], int(4));
        let (all, _) = sscan_all(c, "h", &[]);
        assert_eq!(all, strs(&["a", "ab", "b", "c"]));
        let (matched, _) = sscan_all(c, "h", &["MATCH", "a*", "COUNT", "1"]);
        assert_eq!(matched, strs(&["a", "ab"]));
    });
}

#[test]
fn sscan_large_set_guarantee() {
    on_both(|c| {
        let n = 3000;
        for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
            let ms: Vec<String> = chunk.iter().map(|i| format!("member:{i}")).collect();
            let mut args: Vec<&str> = vec!["SADD", "big"];
            args.extend(ms.iter().map(|s| s.as_str()));
            c.expect(&args, int(chunk.len() as i64));
        }
        let (all, calls) = sscan_all(c, "big", &["COUNT", "100"]);
        assert_eq!(all.len(), n);
        assert!(calls > 5, "a big set is scanned in steps ({calls} calls)");
        // Members present during the whole scan are returned even while the set shrinks
        // and grows between calls.
        let mut cursor = "0".to_string();
        let mut seen = std::collections::BTreeSet::new();
        let mut step = 0;
        loop {
            let v = c.val(&["SSCAN", "big", &cursor, "COUNT", "50"]);
            let parts = v.array();
            for m in parts[1].array() {
                seen.insert(m.bytes().to_vec());
            }
            cursor = String::from_utf8(parts[0].bytes().to_vec()).unwrap();
            step += 1;
            if step == 5 {
                let ms: Vec<String> = (1500..n).map(|i| format!("member:{i}")).collect();
                let mut args: Vec<&str> = vec!["SREM", "big"];
                args.extend(ms.iter().map(|s| s.as_str()));
                c.val(&args);
            }
            if step == 10 {
                let ms: Vec<String> = (5000..9000).map(|i| format!("member:{i}")).collect();
                let mut args: Vec<&str> = vec!["SADD", "big"];
                args.extend(ms.iter().map(|s| s.as_str()));
                c.val(&args);
            }
            if cursor == "0" {
                break;
            }
        }
        for i in 0..1500 {
            assert!(
                seen.contains(format!("member:{i}").as_bytes()),
                "member:{i} missed"
            );
        }
    });
}

#[test]
fn large_sets() {
    let s = start_server();
    let mut c = s.client();
    let n = 20_000;
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let ms: Vec<String> = chunk.iter().map(|i| format!("m{i}")).collect();
        let mut args: Vec<&str> = vec!["SADD", "big"];
        args.extend(ms.iter().map(|s| s.as_str()));
        c.expect(&args, int(1000));
        let ints: Vec<String> = chunk.iter().map(|i| (i * 2).to_string()).collect();
        let mut args: Vec<&str> = vec!["SADD", "ints"];
        args.extend(ints.iter().map(|s| s.as_str()));
        c.expect(&args, int(1000));
    }
    c.expect(&["SCARD", "big"], int(n as i64));
    assert_eq!(encoding(&mut c, "ints"), b"hashtable");
    c.expect(&["SISMEMBER", "big", "m19999"], int(1));
    c.expect(&["SINTERCARD", "2", "big", "ints"], int(0));
    c.expect(&["SUNIONSTORE", "u", "big", "ints"], int(2 * n as i64));
    c.expect(&["SDIFFSTORE", "d", "u", "ints"], int(n as i64));
    c.expect(&["SINTERCARD", "2", "d", "big", "LIMIT", "10"], int(10));
    let v = c.val(&["SMEMBERS", "d"]);
    assert_eq!(v.array().len(), n);
    // Pop nearly all (the rebuild strategy), then the rest.
    assert_eq!(c.val(&["SPOP", "big", "19990"]).array().len(), 19990);
    c.expect(&["SCARD", "big"], int(10));
    assert_eq!(c.val(&["SPOP", "big", "10"]).array().len(), 10);
    c.expect(&["EXISTS", "big"], int(0));
    // Remove all one by one: the table shrinks as it empties.
    for i in 0..n {
        c.expect(&["SREM", "d", &format!("m{i}")], int(1));
    }
    c.expect(&["EXISTS", "d"], int(0));
}

#[test]
fn srandmember_huge_negative_count_is_bounded() {
    // With an output buffer hard limit, the reply stops and the client is disconnected
    // instead of the server building a reply of 9 * 10^18 elements.
    let s = start_server_with(&[("client-output-buffer-limit", "normal 1mb 0 0")]);
    let mut c = s.client();
    c.expect(&["SADD", "s", "a"], int(1));
    c.send(&[b"SRANDMEMBER", b"s", b"-9223372036854775807"]);
    // Part of the reply may arrive before the connection closes: drain until EOF.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut received = 0usize;
    let closed = loop {
        use std::io::Read;
        let mut chunk = [0u8; 64 * 1024];
        match c.stream.read(&mut chunk) {
            Ok(0) => break true,
            Ok(n) => received += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(e) => panic!("no EOF after {received} bytes: {e}"),
        }
        if std::time::Instant::now() > deadline {
            break false;
        }
    };
    assert!(closed, "still open after {received} bytes");
    assert!(received < 64 * 1024 * 1024, "{received} bytes");
    let mut c2 = s.client();
    c2.expect(&["SCARD", "s"], int(1));
}

#[test]
fn command_info_metadata() {
    on_both(|c| {
        for (name, arity, first, last) in [
            ("sadd", -3, 1, 1),
            ("smove", 4, 1, 2),
            ("sintercard", -3, 0, 0),
            ("sinterstore", -3, 1, -1),
            ("sscan", -3, 1, 1),
        ] {
            let v = c.val(&["COMMAND", "INFO", name]);
            let info = v.array()[0].array();
            assert_eq!(info[1], Resp::Int(arity), "{name}");
            assert_eq!(info[3], Resp::Int(first), "{name}");
            assert_eq!(info[4], Resp::Int(last), "{name}");
        }
        let v = c.val(&["COMMAND", "GETKEYS", "SINTERSTORE", "d", "a", "b"]);
        assert_eq!(sorted(&v), strs(&["a", "b", "d"]));
    });
}

#[test]
fn watch_sees_set_changes_only() {
    // A command that changes a set aborts a transaction WATCHing it; one that changes
    // nothing does not (Redis's signalModifiedKey calls in t_set.c).
    on_both(|c| {
        let mut other = RespClient::connect(c.port);
        let cases: &[(&[&str], &[&str], bool)] = &[
            (&["SADD", "k", "a", "b", "1"], &["SADD", "k", "a"], false),
            (&["SADD", "k", "a", "b", "1"], &["SADD", "k", "z"], true),
            (&["SADD", "k", "a", "b", "1"], &["SREM", "k", "zz"], false),
            (&["SADD", "k", "a", "b", "1"], &["SREM", "k", "a"], true),
            (&["SADD", "k", "a", "b", "1"], &["SPOP", "k", "0"], false),
            (&["SADD", "k", "a", "b", "1"], &["SPOP", "k"], true),
            (&["SADD", "k", "a", "b", "1"], &["SPOP", "k", "2"], true),
            (&["SADD", "k", "a", "b", "1"], &["SPOP", "k", "5"], true),
            (
                &["SADD", "k", "a", "b", "1"],
                &["SRANDMEMBER", "k", "-5"],
                false,
            ),
            (
                &["SADD", "k", "a", "b", "1"],
                &["SMOVE", "k", "k", "a"],
                false,
            ),
            // The member was already in the destination: only the source changed.
            (
                &["SADD", "k", "a", "b", "1"],
                &["SMOVE", "o", "k", "a"],
                false,
            ),
            (
                &["SADD", "k", "a", "b", "1"],
                &["SMOVE", "o", "k", "x"],
                true,
            ),
            (
                &["SADD", "k", "a", "b", "1"],
                &["SMOVE", "o", "k", "nope"],
                false,
            ),
            (
                &["SADD", "k", "a", "b", "1"],
                &["SMOVE", "k", "o", "b"],
                true,
            ),
            (
                &["SADD", "k", "a", "b", "1"],
                &["SINTERSTORE", "k", "o", "nosuch"],
                true,
            ),
            (
                &["SADD", "k", "a", "b", "1"],
                &["SUNIONSTORE", "x", "k"],
                false,
            ),
            (&["DEL", "k"], &["SDIFFSTORE", "k", "nosuch"], false),
        ];
        for (setup, change, aborts) in cases {
            c.val(&["FLUSHALL"]);
            c.val(&["SADD", "o", "a", "x"]);
            c.val(setup);
            c.expect(&["WATCH", "k"], OK);
            other.val(change);
            c.expect(&["MULTI"], OK);
            c.expect(&["PING"], b"+QUEUED\r\n");
            let got = c.cmd(&["EXEC"]);
            let want: &[u8] = if *aborts {
                b"*-1\r\n"
            } else {
                b"*1\r\n+PONG\r\n"
            };
            assert_eq!(
                show(&got),
                show(want),
                "[{}] {change:?} after {setup:?}",
                c.name
            );
        }
    });
}
