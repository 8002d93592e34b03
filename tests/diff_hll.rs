//! HyperLogLog, differential against a real Redis 7.0: replies and the stored bytes (`GET`
//! of the key) must be identical, through the sparse encoding, its promotion to dense,
//! merges and corrupted values.

mod common;

use common::DiffPair;

const CURATED: &str = r#"
PFADD h
PFADD h
GET h
PFADD h a b c d e
GET h
PFCOUNT h
GET h
PFADD h a
PFCOUNT h missing
PFCOUNT missing
PFADD h2 x y z
PFMERGE h3 h h2 missing
GET h3
PFCOUNT h3
PFCOUNT h h2
SET s notanhll
PFADD s a
PFCOUNT s
PFMERGE s h
PFMERGE h s
OBJECT ENCODING s
SET n 42
PFADD n x
OBJECT ENCODING n
SET bad "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f"
PFCOUNT bad
PFADD bad x
SET bad2 "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80abc"
PFCOUNT bad2
SET bad3 "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x00"
PFCOUNT bad3
PFADD bad3 x
PFMERGE m bad3
LPUSHX nolist x
"#;

#[test]
fn curated_hll_commands_match_redis() {
    let Some(mut pair) = DiffPair::new() else {
        return;
    };
    let script: String = CURATED
        .lines()
        .filter(|l| !l.starts_with("LPUSHX"))
        .map(|l| format!("{l}\n"))
        .collect();
    pair.check_script(&script);
}

/// Grow HLLs element by element through sparse, promotion and dense; compare the reply of
/// every PFADD and, regularly, the full stored value and the estimate.
#[test]
fn growing_hlls_are_byte_identical() {
    let Some(mut pair) = DiffPair::new() else {
        return;
    };
    let s = |v: &str| v.as_bytes().to_vec();
    for (key, n, batch) in [("small", 300, 1), ("mid", 3000, 3), ("big", 30000, 50)] {
        let mut i = 0;
        while i < n {
            let mut cmd = vec![s("PFADD"), s(key)];
            for j in 0..batch {
                cmd.push(format!("el:{}:{}", key, i + j).into_bytes());
            }
            pair.check(&cmd, &format!("{key} at {i}"));
            i += batch;
            if i % (batch * 20) == 0 {
                pair.check(&[s("GET"), s(key)], &format!("GET {key} at {i}"));
                pair.check(&[s("PFCOUNT"), s(key)], &format!("PFCOUNT {key} at {i}"));
            }
        }
        pair.check(&[s("GET"), s(key)], key);
        pair.check(&[s("PFCOUNT"), s(key)], key);
        pair.check(&[s("GET"), s(key)], "after caching");
    }
    for cmd in [
        "PFMERGE u small mid",
        "GET u",
        "PFCOUNT u",
        "PFMERGE u big",
        "GET u",
        "PFCOUNT small mid big",
        "PFMERGE small2 small",
        "GET small2",
        "PFADD mid x",
        "PFMERGE mid small",
        "GET mid",
    ] {
        let args: Vec<Vec<u8>> = cmd.split(' ').map(s).collect();
        pair.check(&args, cmd);
    }
}
