//! Bitmap commands, differential against a real Redis 7.0: a curated list of edge cases
//! and seeded random workloads, every reply compared byte for byte.

mod common;

use common::DiffPair;

const CURATED: &str = r#"
SETBIT b 7 1
SETBIT b 7 0
SETBIT b 100 1
GETBIT b 100
GETBIT b 101
GETBIT missing 0
GETBIT b 99999999
SETBIT b -1 1
SETBIT b 4294967296 1
SETBIT b 1 2
SETBIT b 1 -1
SETBIT b abc 1
SETBIT b 1 x
GET b
OBJECT ENCODING b
SET s foobar
BITCOUNT s
BITCOUNT s 0 0
BITCOUNT s 1 1
BITCOUNT s 1 1 BIT
BITCOUNT s 5 30 BIT
BITCOUNT s 5 30 bit
BITCOUNT s -2 -1
BITCOUNT s -1 -2
BITCOUNT s 0 -1 BYTE
BITCOUNT s 0
BITCOUNT s 0 1 FOO
BITCOUNT s a b
BITCOUNT missing 0 1
BITCOUNT missing
BITCOUNT s 0 1 BIT extra
SET p "\xff\xf0\x00"
BITPOS p 0
BITPOS p 1
BITPOS p 2
BITPOS p 1 1
BITPOS p 0 1 1
BITPOS p 0 0 -1
BITPOS p 1 2 -1 BYTE
BITPOS p 1 7 15 BIT
BITPOS p 0 7 15 BIT
BITPOS p 0 0 100 BIT
BITPOS p 1 0 1 FOO
BITPOS p 1 -100 -90
BITPOS missing 0
BITPOS missing 1
SET ones "\xff\xff"
BITPOS ones 0
BITPOS ones 0 0
BITPOS ones 0 0 -1
BITPOS ones 0 1 BIT
SET e ""
BITPOS e 0
BITPOS e 1
BITCOUNT e
SET a1 "abc"
SET a2 "\x01\x02\x03\x04\x05"
BITOP AND dst a1 a2
GET dst
BITOP OR dst a1 a2
GET dst
BITOP XOR dst a1 a2 missing
GET dst
BITOP NOT dst a2
GET dst
BITOP NOT dst a1 a2
BITOP FOO dst a1
BITOP AND dst missing missing2
EXISTS dst
BITOP AND dst
BITFIELD bf SET i8 0 100 GET i8 0 INCRBY i8 0 100 GET u4 0
BITFIELD bf OVERFLOW SAT INCRBY i8 0 100 OVERFLOW FAIL INCRBY i8 0 1 OVERFLOW WRAP INCRBY i8 0 1
BITFIELD bf SET u63 #1 123456789 GET u63 #1 GET i64 0 GET i1 5
BITFIELD bf SET u64 0 1
BITFIELD bf SET i65 0 1
BITFIELD bf SET i0 0 1
BITFIELD bf SET x8 0 1
BITFIELD bf GET i8 -1
BITFIELD bf GET i8 #-1
BITFIELD bf OVERFLOW BAD GET i8 0
BITFIELD bf FOO
BITFIELD bf GET i8
BITFIELD bf SET i8 0 notanumber
BITFIELD bf INCRBY u2 100 1 INCRBY u2 100 1 INCRBY u2 100 1 INCRBY u2 100 1
BITFIELD bf OVERFLOW SAT INCRBY u2 102 5 INCRBY u2 102 -9 OVERFLOW FAIL INCRBY u2 102 -1
BITFIELD bf SET i64 0 -9223372036854775808 INCRBY i64 0 -1 OVERFLOW SAT INCRBY i64 0 -1
BITFIELD bf
BITFIELD missing GET u8 0 GET i16 3
EXISTS missing
BITFIELD_RO bf GET u8 0 GET i3 2
BITFIELD_RO bf SET u8 0 1
BITFIELD_RO bf INCRBY u8 0 1
BITFIELD_RO missing GET u8 0
GET bf
OBJECT ENCODING bf
SET n 12345
SETBIT n 0 1
GET n
OBJECT ENCODING n
SET n2 12345
GETBIT n2 2
BITCOUNT n2
BITPOS n2 1
BITFIELD n2 GET u8 0
"#;

#[test]
fn curated_bitmap_commands_match_redis() {
    let Some(mut pair) = DiffPair::new() else {
        return;
    };
    pair.check_script(CURATED);
}

/// xorshift64*, fixed seeds: the same workload every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
}

fn random_op(rng: &mut Rng) -> Vec<Vec<u8>> {
    let keys = ["k1", "k2", "k3", "k4"];
    let key = || keys[0].to_string();
    let _ = key;
    let k = |rng: &mut Rng| {
        keys[rng.below(keys.len() as u64) as usize]
            .as_bytes()
            .to_vec()
    };
    let n = |v: i64| v.to_string().into_bytes();
    let s = |v: &str| v.as_bytes().to_vec();
    match rng.below(9) {
        0 => vec![s("SETBIT"), k(rng), n(rng.int(-2, 300)), n(rng.int(0, 1))],
        1 => vec![s("GETBIT"), k(rng), n(rng.int(-1, 300))],
        2 => {
            let mut v = vec![s("BITCOUNT"), k(rng)];
            if rng.below(4) > 0 {
                v.push(n(rng.int(-50, 50)));
                v.push(n(rng.int(-50, 50)));
                if rng.below(2) == 0 {
                    v.push(s(["BIT", "BYTE", "bit"][rng.below(3) as usize]));
                }
            }
            v
        }
        3 => {
            let mut v = vec![s("BITPOS"), k(rng), n(rng.int(0, 1))];
            if rng.below(3) > 0 {
                v.push(n(rng.int(-50, 50)));
                if rng.below(2) == 0 {
                    v.push(n(rng.int(-50, 50)));
                    if rng.below(2) == 0 {
                        v.push(s(["BIT", "BYTE"][rng.below(2) as usize]));
                    }
                }
            }
            v
        }
        4 => {
            let op = ["AND", "OR", "XOR", "NOT"][rng.below(4) as usize];
            let mut v = vec![s("BITOP"), s(op), k(rng), k(rng)];
            if op != "NOT" {
                for _ in 0..rng.below(3) {
                    v.push(k(rng));
                }
            }
            v
        }
        5 | 6 => {
            let mut v = vec![
                s(if rng.below(5) == 0 {
                    "BITFIELD_RO"
                } else {
                    "BITFIELD"
                }),
                k(rng),
            ];
            for _ in 0..rng.int(1, 4) {
                let signed = rng.below(2) == 0;
                let bits = if signed {
                    rng.int(1, 64)
                } else {
                    rng.int(1, 63)
                };
                let ty = format!("{}{}", if signed { "i" } else { "u" }, bits).into_bytes();
                let off = if rng.below(4) == 0 {
                    format!("#{}", rng.int(0, 5)).into_bytes()
                } else {
                    n(rng.int(0, 200))
                };
                match rng.below(4) {
                    0 => v.extend([s("GET"), ty, off]),
                    1 => v.extend([s("SET"), ty, off, n(rng.next() as i64 >> rng.below(64))]),
                    2 => v.extend([
                        s("INCRBY"),
                        ty,
                        off,
                        n((rng.next() as i64) >> rng.below(64)),
                    ]),
                    _ => v.extend([
                        s("OVERFLOW"),
                        s(["WRAP", "SAT", "FAIL"][rng.below(3) as usize]),
                    ]),
                }
            }
            v
        }
        7 => vec![s("GET"), k(rng)],
        _ => {
            let len = rng.below(12) as usize;
            let val: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            vec![s("SET"), k(rng), val]
        }
    }
}

#[test]
fn random_bitmap_workloads_match_redis() {
    let Some(mut pair) = DiffPair::new() else {
        return;
    };
    for seed in 1..=4u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        pair.check(&[b"FLUSHALL".to_vec()], "flush");
        let mut errors = 0;
        for i in 0..1500 {
            let op = random_op(&mut rng);
            errors += pair.check(&op, &format!("seed {seed} op {i}")) as usize;
        }
        // The workload must mostly exercise successful paths, not only error texts.
        assert!(
            errors < 500,
            "seed {seed}: {errors} of 1500 ops were errors"
        );
    }
}
