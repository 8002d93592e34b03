//! Geo commands over TCP, exact reply bytes, each test run on ferrokv and then on a real
//! Redis 7.0 when one is installed (the expectations are Redis's).

mod common;

use common::*;

fn sicily(c: &mut RespClient) {
    c.expect(
        &[
            "GEOADD",
            "Sicily",
            "13.361389",
            "38.115556",
            "Palermo",
            "15.087269",
            "37.502669",
            "Catania",
        ],
        int(2),
    );
}

#[test]
fn geoadd_stores_redis_scores_and_flags() {
    on_both(|c| {
        sicily(c);
        c.expect(&["ZSCORE", "Sicily", "Palermo"], bulk("3479099956230698"));
        c.expect(&["TYPE", "Sicily"], b"+zset\r\n");
        c.expect(&["OBJECT", "ENCODING", "Sicily"], bulk("listpack"));
        // CH counts the moved member, not the unchanged one.
        c.expect(
            &[
                "GEOADD",
                "Sicily",
                "CH",
                "13.361389",
                "38.115556",
                "Palermo",
                "13.5",
                "38",
                "Catania",
                "1",
                "1",
                "new",
            ],
            int(2),
        );
        c.expect(
            &["GEOADD", "Sicily", "NX", "1", "2", "new", "3", "4", "new2"],
            int(1),
        );
        c.expect(
            &["GEOADD", "Sicily", "XX", "1", "2", "new", "3", "4", "new3"],
            int(0),
        );
        c.expect(&["ZCARD", "Sicily"], int(4));
        c.expect(&["GEOADD", "nokey", "XX", "1", "2", "a"], int(0));
        c.expect(&["EXISTS", "nokey"], int(0));
        // Errors: shape first, then every point, then the key's type.
        c.expect(
            &["GEOADD", "Sicily", "1", "2", "a", "3"],
            err("ERR syntax error"),
        );
        c.expect(
            &["GEOADD", "Sicily", "xx", "nx", "1", "1", "a"],
            err("ERR syntax error"),
        );
        c.expect(
            &["GEOADD", "Sicily", "gt", "1", "1", "a"],
            err("ERR syntax error"),
        );
        c.expect(
            &["GEOADD", "Sicily", "1", "1", "a", "181", "91", "b"],
            err("ERR invalid longitude,latitude pair 181.000000,91.000000"),
        );
        c.expect(
            &["GEOADD", "Sicily", "0", "85.05112879", "a"],
            err("ERR invalid longitude,latitude pair 0.000000,85.051129"),
        );
        c.expect(
            &["GEOADD", "Sicily", "-inf", "0", "a"],
            err("ERR invalid longitude,latitude pair -inf,0.000000"),
        );
        c.expect(
            &["GEOADD", "Sicily", "1", "x", "a"],
            err("ERR value is not a valid float"),
        );
        c.expect(
            &["GEOADD", "Sicily", "nan", "1", "a"],
            err("ERR value is not a valid float"),
        );
        c.expect(&["ZCARD", "Sicily"], int(4));
        c.expect(&["SET", "str", "x"], OK);
        c.expect(
            &["GEOADD", "str", "1", "1", "a"],
            err("WRONGTYPE Operation against a key holding the wrong kind of value"),
        );
        c.expect(
            &["GEOADD", "str", "1", "100", "a"],
            err("ERR invalid longitude,latitude pair 1.000000,100.000000"),
        );
        c.expect(
            &["GEOADD", "Sicily"],
            err("ERR wrong number of arguments for 'geoadd' command"),
        );
    });
}

#[test]
fn geoadd_converts_to_skiplist_like_zadd() {
    on_both(|c| {
        let mut args: Vec<String> = vec!["GEOADD".into(), "big".into()];
        for i in 0..129 {
            args.push(format!("{}", i as f64 * 0.01));
            args.push("45".into());
            args.push(format!("p{i}"));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        c.expect(&refs[..2 + 128 * 3], int(128));
        c.expect(&["OBJECT", "ENCODING", "big"], bulk("listpack"));
        c.expect(&refs, int(1));
        c.expect(&["OBJECT", "ENCODING", "big"], bulk("skiplist"));
        let long = "m".repeat(65);
        c.expect(&["GEOADD", "long", "1", "1", &long], int(1));
        c.expect(&["OBJECT", "ENCODING", "long"], bulk("skiplist"));
    });
}

#[test]
fn geopos_geohash_geodist() {
    on_both(|c| {
        sicily(c);
        c.expect(
            &["GEOADD", "Sicily", "1", "2", "new", "3", "4", "new2"],
            int(2),
        );
        c.expect(
            &["GEOPOS", "Sicily", "Palermo", "nope"],
            b"*2\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*-1\r\n",
        );
        c.expect(&["GEOPOS", "Sicily"], EMPTY_ARRAY);
        c.expect(&["GEOPOS", "missing", "a", "b"], b"*2\r\n*-1\r\n*-1\r\n");
        c.expect(
            &["GEOHASH", "Sicily", "Palermo", "new", "new2", "nope"],
            b"*4\r\n$11\r\nsqc8b49rny0\r\n$11\r\ns02equ04ve0\r\n$11\r\ns0dnu20t9j0\r\n$-1\r\n",
        );
        c.expect(&["GEOHASH", "missing", "a"], b"*1\r\n$-1\r\n");
        c.expect(
            &["GEODIST", "Sicily", "Palermo", "Catania"],
            bulk("166274.1516"),
        );
        c.expect(
            &["GEODIST", "Sicily", "Palermo", "new"],
            bulk("4210109.3736"),
        );
        c.expect(
            &["GEODIST", "Sicily", "Palermo", "new", "km"],
            bulk("4210.1094"),
        );
        c.expect(
            &["GEODIST", "Sicily", "Palermo", "new", "FT"],
            bulk("13812694.7952"),
        );
        c.expect(
            &["GEODIST", "Sicily", "Palermo", "new", "mi"],
            bulk("2616.0472"),
        );
        c.expect(&["GEODIST", "Sicily", "Palermo", "Palermo"], bulk("0.0000"));
        c.expect(&["GEODIST", "Sicily", "Palermo", "nope"], NIL);
        c.expect(&["GEODIST", "missing", "a", "b"], NIL);
        c.expect(
            &["GEODIST", "missing", "a", "b", "yd"],
            err("ERR unsupported unit provided. please use M, KM, FT, MI"),
        );
        c.expect(
            &["GEODIST", "Sicily", "a", "b", "km", "x"],
            err("ERR syntax error"),
        );
        // Scores that no GEOADD wrote still decode, as in Redis.
        c.expect(&["ZADD", "weird", "-5", "neg", "1e300", "huge"], int(2));
        c.expect(
            &["GEOPOS", "weird", "neg", "huge"],
            b"*2\r\n*2\r\n$3\r\n180\r\n$19\r\n85.0511287799999991\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112751263942528\r\n",
        );
        // RESP3: coordinates are doubles, distances stay bulk strings.
        c.cmd(&["HELLO", "3"]);
        c.expect(
            &["GEOPOS", "Sicily", "Palermo", "nope"],
            b"*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n",
        );
        c.expect(
            &["GEODIST", "Sicily", "Palermo", "new", "km"],
            bulk("4210.1094"),
        );
        c.expect(&["GEODIST", "Sicily", "Palermo", "nope"], NIL3);
        c.expect(&["GEOHASH", "Sicily", "nope"], b"*1\r\n_\r\n");
    });
}

#[test]
fn searches_reply_like_redis() {
    on_both(|c| {
        sicily(c);
        c.expect(&["GEOADD", "Sicily", "CH", "13.5", "38", "Catania"], int(1));
        let full: &[u8] = b"*2\r\n*4\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n:3479099956230698\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*4\r\n$7\r\nCatania\r\n$7\r\n17.6793\r\n:3479097324432493\r\n*2\r\n$20\r\n13.50000053644180298\r\n$19\r\n38.0000009925631943\r\n";
        c.expect(
            &[
                "GEOSEARCH",
                "Sicily",
                "FROMMEMBER",
                "Palermo",
                "BYRADIUS",
                "100",
                "km",
                "ASC",
                "WITHCOORD",
                "WITHDIST",
                "WITHHASH",
            ],
            full,
        );
        c.expect(
            &["GEORADIUSBYMEMBER", "Sicily", "Palermo", "100", "km", "ASC"],
            b"*2\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n",
        );
        c.expect(
            &["GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC", "WITHDIST"],
            b"*2\r\n*2\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n*2\r\n$7\r\nCatania\r\n$8\r\n172.8860\r\n",
        );
        c.expect(
            &[
                "GEORADIUS_RO",
                "Sicily",
                "15",
                "37",
                "200",
                "km",
                "COUNT",
                "1",
            ],
            b"*1\r\n$7\r\nCatania\r\n",
        );
        c.expect(
            &[
                "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km",
                "ASC", "WITHDIST",
            ],
            b"*2\r\n*2\r\n$7\r\nCatania\r\n$8\r\n172.8860\r\n*2\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n",
        );
        c.expect(
            &[
                "GEOSEARCH",
                "Sicily",
                "FROMLONLAT",
                "15",
                "37",
                "BYRADIUS",
                "1",
                "m",
            ],
            EMPTY_ARRAY,
        );
        c.expect(
            &[
                "GEOSEARCH",
                "missing",
                "FROMLONLAT",
                "15",
                "37",
                "BYRADIUS",
                "1",
                "m",
            ],
            EMPTY_ARRAY,
        );
        c.cmd(&["HELLO", "3"]);
        c.expect(
            &[
                "GEOSEARCH", "Sicily", "FROMLONLAT", "13.361389", "38.115556", "BYRADIUS", "1",
                "km", "WITHCOORD", "WITHDIST",
            ],
            b"*1\r\n*3\r\n$7\r\nPalermo\r\n$6\r\n0.0001\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n",
        );
    });
}

#[test]
fn ties_follow_redis_sorts() {
    on_both(|c| {
        c.expect(
            &[
                "GEOADD", "ties", "10", "10", "a", "10", "10", "b", "10", "10", "c", "10.001",
                "10", "d", "9.999", "10", "e", "10", "10.001", "f", "10", "9.999", "g", "10", "10",
                "h", "10.001", "10.001", "i", "9.999", "9.999", "j",
            ],
            int(10),
        );
        // Every result: a stable merge sort keeps the walk's order among equals.
        c.expect(
            &[
                "GEOSEARCH",
                "ties",
                "FROMLONLAT",
                "10",
                "10",
                "BYRADIUS",
                "1",
                "km",
                "ASC",
            ],
            array(&["a", "b", "c", "h", "d", "e", "f", "g", "i", "j"].map(bulk)),
        );
        // COUNT: Redis's partial quicksort reorders equals.
        c.expect(
            &[
                "GEOSEARCH",
                "ties",
                "FROMLONLAT",
                "10",
                "10",
                "BYRADIUS",
                "1",
                "km",
                "ASC",
                "COUNT",
                "3",
            ],
            array(&["b", "h", "c"].map(bulk)),
        );
        // ANY stops at the first points found, in the walk's order.
        c.expect(
            &[
                "GEOSEARCH",
                "ties",
                "FROMLONLAT",
                "10",
                "10",
                "BYRADIUS",
                "1",
                "km",
                "COUNT",
                "2",
                "ANY",
            ],
            array(&["j", "g"].map(bulk)),
        );
    });
}

#[test]
fn store_forms() {
    on_both(|c| {
        sicily(c);
        let store = [
            "GEOSEARCHSTORE",
            "dst",
            "Sicily",
            "FROMLONLAT",
            "15",
            "37",
            "BYBOX",
            "400",
            "400",
            "km",
            "ASC",
        ];
        c.expect(&store, int(2));
        c.expect(
            &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
            b"*4\r\n$7\r\nPalermo\r\n$16\r\n3479099956230698\r\n$7\r\nCatania\r\n$16\r\n3479447370796909\r\n",
        );
        let mut dist = store.to_vec();
        dist.push("STOREDIST");
        c.expect(&dist, int(2));
        c.expect(
            &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
            b"*4\r\n$7\r\nCatania\r\n$18\r\n56.441257870158204\r\n$7\r\nPalermo\r\n$18\r\n190.44242984775784\r\n",
        );
        c.expect(&["EXPIRE", "dst", "100"], int(1));
        c.expect(
            &[
                "GEORADIUS",
                "Sicily",
                "15",
                "37",
                "200",
                "km",
                "COUNT",
                "1",
                "STOREDIST",
                "dst",
            ],
            int(1),
        );
        // The destination is replaced, its TTL dropped.
        c.expect(&["TTL", "dst"], int(-1));
        c.expect(
            &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
            b"*2\r\n$7\r\nCatania\r\n$18\r\n56.441257870158204\r\n",
        );
        c.expect(
            &[
                "GEORADIUSBYMEMBER",
                "Sicily",
                "Palermo",
                "10",
                "km",
                "STORE",
                "dst",
            ],
            int(1),
        );
        c.expect(&["ZRANGE", "dst", "0", "-1"], array(&[bulk("Palermo")]));
        // Nothing found, or no source: the destination is deleted.
        c.expect(
            &["GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "dst"],
            int(0),
        );
        c.expect(&["EXISTS", "dst"], int(0));
        c.expect(&["SET", "dst", "x"], OK);
        c.expect(
            &[
                "GEOSEARCHSTORE",
                "dst",
                "missing",
                "FROMMEMBER",
                "x",
                "BYRADIUS",
                "1",
                "km",
            ],
            int(0),
        );
        c.expect(&["EXISTS", "dst"], int(0));
        c.expect(
            &["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst", "WITHDIST"],
            err("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
        );
        c.expect(
            &[
                "GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
                "km", "WITHHASH",
            ],
            err("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
        );
        c.expect(
            &[
                "GEORADIUS_RO",
                "Sicily",
                "15",
                "37",
                "200",
                "km",
                "STORE",
                "dst",
            ],
            err("ERR syntax error"),
        );
        c.expect(
            &[
                "GEOSEARCH",
                "Sicily",
                "FROMLONLAT",
                "15",
                "37",
                "BYRADIUS",
                "1",
                "km",
                "STOREDIST",
            ],
            err("ERR syntax error"),
        );
    });
}

#[test]
fn search_errors_in_redis_order() {
    on_both(|c| {
        sicily(c);
        c.expect(&["SET", "str", "x"], OK);
        let cases: &[(&[&str], &str)] = &[
            (
                &[
                    "GEOSEARCH",
                    "str",
                    "FROMLONLAT",
                    "1",
                    "x",
                    "BYRADIUS",
                    "-1",
                    "km",
                ],
                "WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "15",
                    "37",
                    "WITHDIST",
                    "ASC",
                ],
                "ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH",
            ),
            (
                &[
                    "geosearch",
                    "Sicily",
                    "BYRADIUS",
                    "1",
                    "km",
                    "ASC",
                    "WITHDIST",
                ],
                "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMMEMBER",
                    "nope",
                    "FOO",
                    "BAR",
                    "BAZ",
                ],
                "ERR could not decode requested zset member",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMMEMBER",
                    "Palermo",
                    "FROMLONLAT",
                    "1",
                    "1",
                ],
                "ERR syntax error",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "1",
                    "1",
                    "BYRADIUS",
                    "-1",
                    "km",
                ],
                "ERR radius cannot be negative",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "1",
                    "1",
                    "BYRADIUS",
                    "x",
                    "km",
                ],
                "ERR need numeric radius",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "1",
                    "1",
                    "BYBOX",
                    "1",
                    "x",
                    "km",
                ],
                "ERR need numeric height",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "1",
                    "1",
                    "BYBOX",
                    "-1",
                    "1",
                    "km",
                ],
                "ERR height or width cannot be negative",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "1",
                    "1",
                    "BYBOX",
                    "1",
                    "1",
                    "yd",
                ],
                "ERR unsupported unit provided. please use M, KM, FT, MI",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "1",
                    "1",
                    "BYRADIUS",
                    "1",
                    "km",
                    "COUNT",
                    "0",
                ],
                "ERR COUNT must be > 0",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "1",
                    "1",
                    "BYRADIUS",
                    "1",
                    "km",
                    "COUNT",
                    "x",
                ],
                "ERR value is not an integer or out of range",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "1",
                    "1",
                    "BYRADIUS",
                    "1",
                    "km",
                    "ANY",
                ],
                "ERR the ANY argument requires COUNT argument",
            ),
            (
                &["GEORADIUS", "Sicily", "200", "37", "1", "km"],
                "ERR invalid longitude,latitude pair 200.000000,37.000000",
            ),
            (
                &["GEORADIUSBYMEMBER", "Sicily", "nope", "1", "km"],
                "ERR could not decode requested zset member",
            ),
            (
                &[
                    "GEORADIUS",
                    "Sicily",
                    "15",
                    "37",
                    "1",
                    "km",
                    "BYBOX",
                    "1",
                    "1",
                    "km",
                ],
                "ERR syntax error",
            ),
        ];
        for (args, msg) in cases {
            c.expect(args, err(msg));
        }
        // With no key, BYMEMBER does not read its radius, but still checks its options.
        c.expect(
            &["GEORADIUSBYMEMBER", "missing", "m", "-1", "km"],
            EMPTY_ARRAY,
        );
        c.expect(
            &["GEORADIUSBYMEMBER", "missing", "m", "1", "km", "FOO"],
            err("ERR syntax error"),
        );
    });
}

#[test]
fn commands_are_declared_in_the_geo_category() {
    on_both(|c| {
        let r = c.val(&["COMMAND", "INFO", "geosearchstore", "georadius_ro"]);
        let cmds = r.array();
        assert_eq!(cmds.len(), 2);
        let head = |v: &Resp| -> Vec<Resp> { v.array()[..7].to_vec() };
        let names =
            |v: &[&str]| Resp::Array(v.iter().map(|s| Resp::Simple(s.to_string())).collect());
        assert_eq!(
            head(&cmds[0]),
            vec![
                Resp::Bulk(b"geosearchstore".to_vec()),
                Resp::Int(-8),
                names(&["write", "denyoom"]),
                Resp::Int(1),
                Resp::Int(2),
                Resp::Int(1),
                names(&["@write", "@geo", "@slow"]),
            ]
        );
        assert_eq!(
            head(&cmds[1]),
            vec![
                Resp::Bulk(b"georadius_ro".to_vec()),
                Resp::Int(-6),
                names(&["readonly"]),
                Resp::Int(1),
                Resp::Int(1),
                Resp::Int(1),
                names(&["@read", "@geo", "@slow"]),
            ]
        );
    });
}

#[test]
fn keyspace_events_are_zsets() {
    on_both(|c| {
        c.expect(&["CONFIG", "SET", "notify-keyspace-events", "KEA"], OK);
        let mut sub = RespClient::connect(c.port);
        sub.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
        c.expect(&["GEOADD", "g", "1", "1", "a"], int(1));
        c.expect(
            &[
                "GEOSEARCHSTORE",
                "d",
                "g",
                "FROMLONLAT",
                "1",
                "1",
                "BYRADIUS",
                "1",
                "km",
            ],
            int(1),
        );
        c.expect(
            &["GEORADIUS", "g", "1", "1", "1", "km", "STORE", "d"],
            int(1),
        );
        c.expect(
            &[
                "GEOSEARCHSTORE",
                "d",
                "g",
                "FROMLONLAT",
                "50",
                "1",
                "BYRADIUS",
                "1",
                "km",
            ],
            int(0),
        );
        let mut events = Vec::new();
        for _ in 0..4 {
            let m = sub.read_value();
            let a = m.array();
            events.push(format!(
                "{} {}",
                String::from_utf8_lossy(a[2].bytes()),
                String::from_utf8_lossy(a[3].bytes())
            ));
        }
        assert_eq!(
            events,
            [
                "__keyevent@0__:zadd g",
                "__keyevent@0__:geosearchstore d",
                "__keyevent@0__:georadiusstore d",
                "__keyevent@0__:del d",
            ]
        );
    });
}
