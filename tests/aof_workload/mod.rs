//! The random workloads of tests/aof_replay.rs: a seeded generator of commands over every
//! family (TTLs, random pops, float increments, blocking pops woken by a second client,
//! MULTI/EXEC, EVAL with writes, streams with consumer groups) and the driver that runs
//! them against a server. Replies are not checked here: the point is the data left behind.
//!
//! `AOF_REPLAY_TRACE=1` prints every command sent and its reply (to find the first command
//! whose replay differs).
#![allow(dead_code)]

use std::time::{Duration, Instant};

use crate::common::{Resp, RespClient, now_ms, parse};

fn trace() -> bool {
    std::env::var_os("AOF_REPLAY_TRACE").is_some()
}

pub fn upper(a: &[u8]) -> String {
    String::from_utf8_lossy(a).to_ascii_uppercase()
}

/// splitmix64: small, seedable, good enough to pick commands.
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len() as u64) as usize]
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
}

pub type Argv = Vec<Vec<u8>>;

pub fn argv(parts: &[&str]) -> Argv {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

const KINDS: &[&str] = &[
    "str", "list", "hash", "set", "zset", "geo", "bits", "hll", "x",
];

/// The driver: a main client, and a second one for commands that block until the main
/// client wakes them.
struct Workload<'a> {
    rng: Rng,
    a: &'a mut RespClient,
    b: &'a mut RespClient,
    db: usize,
    b_db: usize,
    /// Stream IDs seen in replies, to acknowledge, claim and delete.
    ids: Vec<String>,
    /// Counts of what ran, to check the workload exercised each path.
    blocked_served: usize,
    execs: usize,
    scripts: usize,
}

impl Workload<'_> {
    /// A key of `kind`; now and then one of another kind (WRONGTYPE paths).
    fn key(&mut self, kind: &str) -> String {
        let kind = if self.rng.chance(3) {
            self.rng.pick(KINDS)
        } else {
            kind
        };
        format!("{kind}:{}", self.rng.below(5))
    }

    /// A key of exactly `kind` (blocking commands must be woken by a push of their type).
    fn strict_key(&mut self, kind: &str) -> String {
        format!("{kind}:{}", self.rng.below(5))
    }

    /// A key to wait on: mostly one that only the wake-ups write (so it is empty and the
    /// command really waits), sometimes an ordinary one (served at once).
    fn wait_key(&mut self, kind: &str) -> String {
        if self.rng.chance(75) {
            format!("wait-{kind}:{}", self.rng.below(3))
        } else {
            self.strict_key(kind)
        }
    }

    fn member(&mut self) -> String {
        if self.rng.chance(40) {
            self.rng.range(-20, 200).to_string()
        } else {
            format!("m{}", self.rng.below(60))
        }
    }

    fn value(&mut self) -> String {
        match self.rng.below(4) {
            0 => self.rng.range(-1000, 1000).to_string(),
            1 => format!("{}.{}", self.rng.range(-50, 50), self.rng.below(1000)),
            2 => "x".repeat(self.rng.below(70) as usize),
            _ => format!("v{}", self.rng.below(100)),
        }
    }

    fn float(&mut self) -> String {
        format!("{}.{:03}", self.rng.range(-10, 10), self.rng.below(1000))
    }

    /// An expire in the future (long enough to outlive the test), or now and then one
    /// already past.
    fn ttl_opt(&mut self) -> Vec<String> {
        let now = now_ms();
        let past = self.rng.chance(8);
        match self.rng.below(4) {
            0 if past => vec!["EXAT".into(), "1".into()],
            0 => vec!["EX".into(), self.rng.range(1000, 100_000).to_string()],
            1 => vec![
                "PX".into(),
                self.rng.range(1_000_000, 90_000_000).to_string(),
            ],
            2 => vec![
                "EXAT".into(),
                (now / 1000 + self.rng.range(1000, 100_000)).to_string(),
            ],
            _ if past => vec!["PXAT".into(), (now - 5000).to_string()],
            _ => vec![
                "PXAT".into(),
                (now + self.rng.range(1_000_000, 90_000_000)).to_string(),
            ],
        }
    }

    fn stream_id(&mut self) -> String {
        if self.ids.is_empty() || self.rng.chance(5) {
            return "0-1".into();
        }
        let i = self.rng.below(self.ids.len() as u64) as usize;
        self.ids[i].clone()
    }

    fn group(&mut self) -> String {
        format!("g{}", self.rng.below(2))
    }

    fn consumer(&mut self) -> String {
        format!("c{}", self.rng.below(4))
    }

    fn string_cmd(&mut self) -> Argv {
        let k = self.key("str");
        let v = self.value();
        let c: Vec<String> = match self.rng.below(16) {
            0..=2 => {
                let mut c = vec!["SET".into(), k, v];
                if self.rng.chance(50) {
                    c.extend(self.ttl_opt());
                } else if self.rng.chance(20) {
                    c.push("KEEPTTL".into());
                }
                if self.rng.chance(20) {
                    c.push(self.rng.pick(&["NX", "XX"]).into());
                }
                if self.rng.chance(20) {
                    c.push("GET".into());
                }
                c
            }
            3 => vec![
                "SETEX".into(),
                k,
                self.rng.range(1000, 100_000).to_string(),
                v,
            ],
            4 => vec![
                "PSETEX".into(),
                k,
                self.rng.range(1_000_000, 90_000_000).to_string(),
                v,
            ],
            5 => vec!["GETSET".into(), k, v],
            6 => vec!["GETDEL".into(), k],
            7 => {
                let mut c = vec!["GETEX".into(), k];
                if self.rng.chance(25) {
                    c.push("PERSIST".into());
                } else {
                    c.extend(self.ttl_opt());
                }
                c
            }
            8 => {
                let k2 = self.key("str");
                let name = if self.rng.chance(70) {
                    "MSET"
                } else {
                    "MSETNX"
                };
                vec![name.into(), k, v, k2, self.value()]
            }
            9 => vec!["APPEND".into(), k, v],
            10 => vec!["INCRBY".into(), k, self.rng.range(-100, 100).to_string()],
            11 | 12 => vec!["INCRBYFLOAT".into(), k, self.float()],
            13 => vec![
                "SETRANGE".into(),
                k,
                self.rng.below(20).to_string(),
                self.value(),
            ],
            14 => vec!["SETNX".into(), k, v],
            _ => vec!["DECR".into(), k],
        };
        c.into_iter().map(String::into_bytes).collect()
    }

    fn keys_cmd(&mut self) -> Argv {
        let kind = self.rng.pick(KINDS);
        let k = self.key(kind);
        let k2 = self.key(kind);
        let now = now_ms();
        let flag = |rng: &mut Rng| -> Option<&'static str> {
            rng.chance(30).then(|| rng.pick(&["NX", "XX", "GT", "LT"]))
        };
        let mut c: Vec<String> = match self.rng.below(14) {
            0 => vec!["DEL".into(), k, k2],
            1 => vec!["UNLINK".into(), k],
            2 => vec!["RENAME".into(), k, k2],
            3 => vec!["RENAMENX".into(), k, k2],
            4 => vec!["MOVE".into(), k, self.rng.below(3).to_string()],
            5 => {
                let mut c = vec!["COPY".into(), k, k2];
                if self.rng.chance(50) {
                    c.extend(["DB".into(), self.rng.below(3).to_string()]);
                }
                if self.rng.chance(50) {
                    c.push("REPLACE".into());
                }
                c
            }
            6 | 7 => {
                let secs = if self.rng.chance(8) {
                    -1
                } else {
                    self.rng.range(1000, 100_000)
                };
                vec!["EXPIRE".into(), k, secs.to_string()]
            }
            8 => vec![
                "PEXPIRE".into(),
                k,
                self.rng.range(1_000_000, 90_000_000).to_string(),
            ],
            9 => {
                let at = if self.rng.chance(8) {
                    now / 1000 - 10
                } else {
                    now / 1000 + self.rng.range(1000, 100_000)
                };
                vec!["EXPIREAT".into(), k, at.to_string()]
            }
            10 => vec![
                "PEXPIREAT".into(),
                k,
                (now + self.rng.range(1_000_000, 90_000_000)).to_string(),
            ],
            11 => vec!["PERSIST".into(), k],
            12 if self.rng.chance(10) => vec!["SWAPDB".into(), "1".into(), "2".into()],
            _ => vec!["EXISTS".into(), k],
        };
        if c[0].contains("EXPIRE")
            && let Some(f) = flag(&mut self.rng)
        {
            c.push(f.into());
        }
        c.into_iter().map(String::into_bytes).collect()
    }

    fn list_cmd(&mut self) -> Argv {
        let k = self.key("list");
        let k2 = self.key("list");
        let side = self.rng.pick(&["LEFT", "RIGHT"]);
        let side2 = self.rng.pick(&["LEFT", "RIGHT"]);
        let c: Vec<String> = match self.rng.below(16) {
            0..=2 => {
                let mut c = vec![self.rng.pick(&["LPUSH", "RPUSH"]).to_string(), k];
                for _ in 0..self.rng.range(1, 5) {
                    c.push(self.member());
                }
                c
            }
            3 => vec![
                self.rng.pick(&["LPUSHX", "RPUSHX"]).into(),
                k,
                self.member(),
            ],
            4 => {
                let mut c = vec![self.rng.pick(&["LPOP", "RPOP"]).to_string(), k];
                if self.rng.chance(40) {
                    c.push(self.rng.range(1, 4).to_string());
                }
                c
            }
            5 => vec![
                "LSET".into(),
                k,
                self.rng.range(-3, 3).to_string(),
                self.member(),
            ],
            6 => vec![
                "LINSERT".into(),
                k,
                self.rng.pick(&["BEFORE", "AFTER"]).into(),
                self.member(),
                self.member(),
            ],
            7 => vec![
                "LREM".into(),
                k,
                self.rng.range(-2, 2).to_string(),
                self.member(),
            ],
            8 => vec![
                "LTRIM".into(),
                k,
                self.rng.range(0, 2).to_string(),
                self.rng.range(-3, 10).to_string(),
            ],
            9 => vec!["LMOVE".into(), k, k2, side.into(), side2.into()],
            10 => vec!["RPOPLPUSH".into(), k, k2],
            11 => vec![
                "LMPOP".into(),
                "2".into(),
                k,
                k2,
                side.into(),
                "COUNT".into(),
                self.rng.range(1, 4).to_string(),
            ],
            // Blocking forms with data (or inside MULTI): served at once or nil.
            12 => vec![
                self.rng.pick(&["BLPOP", "BRPOP"]).into(),
                k,
                k2,
                "0.01".into(),
            ],
            13 => vec![
                "BLMOVE".into(),
                k,
                k2,
                side.into(),
                side2.into(),
                "0.01".into(),
            ],
            14 => vec![
                "BLMPOP".into(),
                "0.01".into(),
                "2".into(),
                k,
                k2,
                side.into(),
                "COUNT".into(),
                "2".into(),
            ],
            _ => {
                let src = {
                    let kind = self.rng.pick(&["list", "set", "zset"]);
                    self.key(kind)
                };
                let mut c = vec!["SORT".into(), src];
                if self.rng.chance(60) {
                    c.extend(["BY".into(), "str:*".into()]);
                }
                if self.rng.chance(60) {
                    c.push("ALPHA".into());
                }
                if self.rng.chance(30) {
                    c.extend(["LIMIT".into(), "1".into(), "5".into()]);
                }
                c.extend(["STORE".into(), k]);
                c
            }
        };
        c.into_iter().map(String::into_bytes).collect()
    }

    fn hash_cmd(&mut self) -> Argv {
        let k = self.key("hash");
        let f = format!("f{}", self.rng.below(12));
        let c: Vec<String> = match self.rng.below(7) {
            0 | 1 => {
                let v = self.value();
                let f2 = format!("f{}", self.rng.below(12));
                let v2 = self.value();
                vec!["HSET".into(), k, f, v, f2, v2]
            }
            2 => vec!["HSETNX".into(), k, f, self.value()],
            3 => vec!["HDEL".into(), k, f],
            4 => vec!["HINCRBY".into(), k, f, self.rng.range(-9, 9).to_string()],
            5 => vec!["HINCRBYFLOAT".into(), k, f, self.float()],
            _ => vec![
                "HMSET".into(),
                k,
                f,
                "x".repeat(self.rng.below(80) as usize),
            ],
        };
        c.into_iter().map(String::into_bytes).collect()
    }

    fn set_cmd(&mut self) -> Argv {
        let k = self.key("set");
        let k2 = self.key("set");
        let c: Vec<String> = match self.rng.below(10) {
            0..=2 => {
                let mut c = vec!["SADD".into(), k];
                let n = if self.rng.chance(15) { 40 } else { 3 };
                for _ in 0..n {
                    c.push(self.member());
                }
                c
            }
            3 => vec!["SREM".into(), k, self.member(), self.member()],
            4 => vec!["SMOVE".into(), k, k2, self.member()],
            5 | 6 => vec!["SPOP".into(), k],
            7 => vec!["SPOP".into(), k, self.rng.range(0, 45).to_string()],
            8 => vec!["SRANDMEMBER".into(), k, "3".into()],
            _ => vec![
                self.rng
                    .pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])
                    .into(),
                self.key("set"),
                k,
                k2,
            ],
        };
        c.into_iter().map(String::into_bytes).collect()
    }

    fn zset_cmd(&mut self) -> Argv {
        let k = self.key("zset");
        let k2 = self.key("zset");
        let mm = self.rng.pick(&["MIN", "MAX"]);
        let c: Vec<String> = match self.rng.below(14) {
            0..=2 => {
                let mut c = vec!["ZADD".into(), k];
                if self.rng.chance(20) {
                    c.push(self.rng.pick(&["NX", "XX", "GT", "LT", "CH"]).into());
                }
                for _ in 0..self.rng.range(1, 4) {
                    c.push(self.float());
                    c.push(self.member());
                }
                c
            }
            3 => vec!["ZINCRBY".into(), k, self.float(), self.member()],
            4 => vec!["ZREM".into(), k, self.member()],
            5 => {
                let mut c = vec![self.rng.pick(&["ZPOPMIN", "ZPOPMAX"]).to_string(), k];
                if self.rng.chance(50) {
                    c.push(self.rng.range(1, 3).to_string());
                }
                c
            }
            6 => vec![
                "ZMPOP".into(),
                "2".into(),
                k,
                k2,
                mm.into(),
                "COUNT".into(),
                self.rng.range(1, 3).to_string(),
            ],
            7 => vec![
                self.rng.pick(&["BZPOPMIN", "BZPOPMAX"]).into(),
                k,
                k2,
                "0.01".into(),
            ],
            8 => vec!["BZMPOP".into(), "0.01".into(), "1".into(), k, mm.into()],
            9 => vec!["ZREMRANGEBYSCORE".into(), k, "-1".into(), "1".into()],
            10 => vec!["ZREMRANGEBYRANK".into(), k, "0".into(), "0".into()],
            11 => vec![
                self.rng
                    .pick(&["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"])
                    .into(),
                self.key("zset"),
                "2".into(),
                k,
                k2,
            ],
            12 => vec![
                "ZRANGESTORE".into(),
                self.key("zset"),
                k,
                "0".into(),
                "2".into(),
            ],
            _ => vec!["ZREMRANGEBYLEX".into(), k, "[m1".into(), "[m3".into()],
        };
        c.into_iter().map(String::into_bytes).collect()
    }

    fn misc_cmd(&mut self) -> Argv {
        let c: Vec<String> = match self.rng.below(9) {
            0 | 1 => {
                let lon = format!("{}.{}", self.rng.range(-20, 20), self.rng.below(100));
                let lat = format!("{}.{}", self.rng.range(-20, 20), self.rng.below(100));
                vec!["GEOADD".into(), self.key("geo"), lon, lat, self.member()]
            }
            2 => {
                let mut c = vec![
                    "GEOSEARCHSTORE".into(),
                    self.key("zset"),
                    self.key("geo"),
                    "FROMLONLAT".into(),
                    "0".into(),
                    "0".into(),
                    "BYRADIUS".into(),
                    "3000".into(),
                    "km".into(),
                ];
                if self.rng.chance(50) {
                    c.extend(["COUNT".into(), "3".into()]);
                    if self.rng.chance(50) {
                        c.push("ANY".into());
                    }
                }
                if self.rng.chance(50) {
                    c.push("STOREDIST".into());
                }
                c
            }
            3 => vec![
                "GEORADIUS".into(),
                self.key("geo"),
                "1".into(),
                "1".into(),
                "2000".into(),
                "km".into(),
                "STORE".into(),
                self.key("zset"),
            ],
            4 => vec![
                "SETBIT".into(),
                self.key("bits"),
                self.rng.below(200).to_string(),
                self.rng.below(2).to_string(),
            ],
            5 => vec![
                "BITOP".into(),
                self.rng.pick(&["AND", "OR", "XOR"]).into(),
                self.key("bits"),
                self.key("bits"),
                self.key("bits"),
            ],
            6 => vec![
                "BITFIELD".into(),
                self.key("bits"),
                "INCRBY".into(),
                "i5".into(),
                self.rng.below(40).to_string(),
                self.rng.range(-20, 20).to_string(),
            ],
            7 => {
                let mut c = vec!["PFADD".into(), self.key("hll")];
                for _ in 0..self.rng.range(1, 5) {
                    c.push(self.member());
                }
                c
            }
            _ => {
                if self.rng.chance(50) {
                    vec!["PFCOUNT".into(), self.key("hll")]
                } else {
                    vec![
                        "PFMERGE".into(),
                        self.key("hll"),
                        self.key("hll"),
                        self.key("hll"),
                    ]
                }
            }
        };
        c.into_iter().map(String::into_bytes).collect()
    }

    fn stream_cmd(&mut self) -> Argv {
        let k = self.key("x");
        let g = self.group();
        let cons = self.consumer();
        let c: Vec<String> = match self.rng.below(20) {
            0..=4 => {
                let mut c = vec!["XADD".into(), k];
                if self.rng.chance(10) {
                    c.push("NOMKSTREAM".into());
                }
                if self.rng.chance(35) {
                    if self.rng.chance(70) {
                        c.push("MAXLEN".into());
                        c.push(self.rng.pick(&["~", "=", "~"]).into());
                        c.push(self.rng.range(2, 30).to_string());
                    } else {
                        c.push("MINID".into());
                        c.push("~".into());
                        c.push(self.stream_id());
                    }
                    if c.iter().any(|a| a == "~") && self.rng.chance(30) {
                        c.extend(["LIMIT".into(), self.rng.range(1, 200).to_string()]);
                    }
                }
                c.push(if self.rng.chance(10) {
                    format!("{}-*", now_ms())
                } else {
                    "*".into()
                });
                c.extend(["f".into(), self.value()]);
                if self.rng.chance(30) {
                    c.extend(["g".into(), self.value()]);
                }
                c
            }
            5 => vec![
                "XTRIM".into(),
                k,
                "MAXLEN".into(),
                self.rng.pick(&["~", "="]).into(),
                self.rng.range(0, 40).to_string(),
            ],
            6 => vec!["XDEL".into(), k, self.stream_id()],
            7 => {
                let mut c = vec![
                    "XGROUP".into(),
                    "CREATE".into(),
                    k,
                    g,
                    self.rng.pick(&["$", "0"]).into(),
                ];
                if self.rng.chance(50) {
                    c.push("MKSTREAM".into());
                }
                c
            }
            8 => vec![
                "XGROUP".into(),
                "SETID".into(),
                k,
                g,
                self.rng.pick(&["$", "0"]).into(),
            ],
            9 => vec!["XGROUP".into(), "CREATECONSUMER".into(), k, g, cons],
            10 if self.rng.chance(20) => vec!["XGROUP".into(), "DELCONSUMER".into(), k, g, cons],
            10..=13 => {
                let mut c = vec!["XREADGROUP".into(), "GROUP".into(), g, cons];
                if self.rng.chance(60) {
                    c.extend(["COUNT".into(), self.rng.range(1, 4).to_string()]);
                }
                if self.rng.chance(15) {
                    c.push("NOACK".into());
                }
                let from = if self.rng.chance(70) { ">" } else { "0" };
                c.extend(["STREAMS".into(), k, from.into()]);
                c
            }
            14 => vec!["XACK".into(), k, g, self.stream_id(), self.stream_id()],
            15 | 16 => {
                let mut c = vec![
                    "XCLAIM".into(),
                    k,
                    g,
                    cons,
                    self.rng.pick(&["0", "1", "50"]).into(),
                    self.stream_id(),
                    self.stream_id(),
                ];
                match self.rng.below(4) {
                    0 => c.extend(["IDLE".into(), self.rng.range(0, 5000).to_string()]),
                    1 => c.extend(["TIME".into(), (now_ms() - 3000).to_string()]),
                    _ => {}
                }
                if self.rng.chance(30) {
                    c.extend(["RETRYCOUNT".into(), self.rng.range(0, 9).to_string()]);
                }
                if self.rng.chance(30) {
                    c.push("FORCE".into());
                }
                if self.rng.chance(30) {
                    c.push("JUSTID".into());
                }
                if self.rng.chance(15) {
                    c.extend(["LASTID".into(), self.stream_id()]);
                }
                c
            }
            17 => {
                let mut c = vec![
                    "XAUTOCLAIM".into(),
                    k,
                    g,
                    cons,
                    self.rng.pick(&["0", "1", "20"]).into(),
                    "0".into(),
                    "COUNT".into(),
                    self.rng.range(1, 5).to_string(),
                ];
                if self.rng.chance(30) {
                    c.push("JUSTID".into());
                }
                c
            }
            18 if self.rng.chance(10) => vec!["XGROUP".into(), "DESTROY".into(), k, g],
            _ => vec!["XLEN".into(), k],
        };
        c.into_iter().map(String::into_bytes).collect()
    }

    /// One command that never waits (blocking forms time out in 10 ms at worst).
    fn command(&mut self) -> Argv {
        match self.rng.below(100) {
            0..=13 => self.string_cmd(),
            14..=25 => self.keys_cmd(),
            26..=39 => self.list_cmd(),
            40..=47 => self.hash_cmd(),
            48..=59 => self.set_cmd(),
            60..=71 => self.zset_cmd(),
            72..=79 => self.misc_cmd(),
            _ => self.stream_cmd(),
        }
    }

    fn run_a(&mut self, argv: &Argv) -> Resp {
        let refs: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
        let r = parse(&self.a.cmd_b(&refs));
        if trace() {
            eprintln!(
                "A{} {} -> {:?}",
                self.db,
                String::from_utf8_lossy(&refs.join(&b' ')),
                r
            );
        }
        // Remember stream IDs handed out, to refer to them later.
        if upper(&argv[0]) == "XADD"
            && let Resp::Bulk(id) = &r
        {
            self.ids.push(String::from_utf8_lossy(id).into_owned());
            if self.ids.len() > 40 {
                self.ids.remove(0);
            }
        }
        r
    }

    fn multi(&mut self) {
        assert_eq!(self.a.cmd(&["MULTI"]), b"+OK\r\n");
        for _ in 0..self.rng.range(2, 5) {
            let c = self.command();
            let r = self.run_a(&c);
            // A command with bad arguments is refused while queueing (EXECABORT later).
            assert!(
                matches!(&r, Resp::Simple(s) if s == "QUEUED") || r.is_error(),
                "{r:?}"
            );
        }
        let r = self.a.val(&["EXEC"]);
        if matches!(r, Resp::Array(_)) {
            self.execs += 1;
        }
    }

    fn script(&mut self) {
        const SCRIPTS: &[&str] = &[
            "redis.pcall('SPOP', KEYS[1]); redis.pcall('SPOP', KEYS[1], 2); return redis.pcall('INCRBYFLOAT', KEYS[2], ARGV[1])",
            "redis.pcall('EXPIRE', KEYS[1], 5000); return redis.pcall('SET', KEYS[2], ARGV[1], 'EX', 7000)",
            "return redis.pcall('XADD', KEYS[3], '*', 'f', ARGV[1])",
            "redis.pcall('LMPOP', 1, KEYS[4], 'LEFT', 'COUNT', 2); return redis.pcall('BLPOP', KEYS[4], 0)",
            "local m = redis.pcall('SRANDMEMBER', KEYS[1]); if type(m) == 'string' then redis.pcall('SADD', KEYS[5], m) end; return redis.pcall('HINCRBYFLOAT', KEYS[6], 'f', ARGV[1])",
            "redis.pcall('XREADGROUP', 'GROUP', 'g0', 'c0', 'COUNT', 2, 'STREAMS', KEYS[3], '>'); return redis.pcall('XAUTOCLAIM', KEYS[3], 'g0', 'c1', 0, 0)",
            "redis.pcall('ZADD', KEYS[7], 'INCR', ARGV[1], 'm1'); return redis.pcall('BZPOPMIN', KEYS[7], 0)",
        ];
        let s = self.rng.pick(SCRIPTS).to_string();
        let keys = [
            self.strict_key("set"),
            self.strict_key("str"),
            self.strict_key("x"),
            self.strict_key("list"),
            self.strict_key("set"),
            self.strict_key("hash"),
            self.strict_key("zset"),
        ];
        let f = self.float();
        let mut c = vec!["EVAL".to_string(), s, keys.len().to_string()];
        c.extend(keys);
        c.push(f);
        let argv: Argv = c.into_iter().map(String::into_bytes).collect();
        let r = self.run_a(&argv);
        if !r.is_error() {
            self.scripts += 1;
        }
    }

    fn restore(&mut self) {
        let src = {
            let kind = self.rng.pick(KINDS);
            self.key(kind)
        };
        let Resp::Bulk(payload) = self.a.val(&["DUMP", &src]) else {
            return;
        };
        let dst = {
            let kind = self.rng.pick(KINDS);
            self.key(kind)
        };
        let now = now_ms();
        let (ttl, abs) = match self.rng.below(4) {
            0 => (0, false),
            1 => (now + self.rng.range(1_000_000, 90_000_000), true),
            2 if self.rng.chance(20) => (1, true),
            _ => (self.rng.range(1_000_000, 90_000_000), false),
        };
        let ttl = ttl.to_string();
        let mut argv: Vec<&[u8]> = vec![b"RESTORE", dst.as_bytes(), ttl.as_bytes(), &payload];
        argv.push(b"REPLACE");
        if abs {
            argv.push(b"ABSTTL");
        }
        let r = parse(&self.a.cmd_b(&argv));
        assert!(!r.is_error(), "RESTORE: {r:?}");
    }

    /// The second client waits in a blocking command; the main client wakes it with data.
    fn blocked(&mut self) {
        if self.b_db != self.db {
            assert_eq!(self.b.cmd(&["SELECT", &self.db.to_string()]), b"+OK\r\n");
            self.b_db = self.db;
        }
        let l1 = self.wait_key("list");
        let l2 = self.wait_key("list");
        let z1 = self.wait_key("zset");
        let z2 = self.wait_key("zset");
        let x = self.strict_key("x");
        let side = self.rng.pick(&["LEFT", "RIGHT"]);
        let (wait, wake): (Vec<String>, Vec<String>) = match self.rng.below(9) {
            0 => (
                vec!["BLPOP".into(), l1.clone(), l2.clone(), "5".into()],
                vec!["RPUSH".into(), l2, "w1".into(), "w2".into()],
            ),
            1 => (
                vec!["BRPOP".into(), l1.clone(), l2, "5".into()],
                vec!["LPUSH".into(), l1, "w3".into()],
            ),
            2 => (
                vec![
                    "BLMOVE".into(),
                    l1.clone(),
                    l2,
                    side.into(),
                    "LEFT".into(),
                    "5".into(),
                ],
                vec!["RPUSH".into(), l1, "w4".into(), "w5".into()],
            ),
            3 => (
                vec!["BRPOPLPUSH".into(), l1.clone(), l2, "5".into()],
                vec!["RPUSH".into(), l1, "w6".into()],
            ),
            4 => (
                vec![
                    "BLMPOP".into(),
                    "5".into(),
                    "2".into(),
                    l1,
                    l2.clone(),
                    side.into(),
                    "COUNT".into(),
                    "2".into(),
                ],
                vec!["RPUSH".into(), l2, "w7".into(), "w8".into(), "w9".into()],
            ),
            5 => (
                vec!["BZPOPMIN".into(), z1.clone(), z2, "5".into()],
                vec!["ZADD".into(), z1, "1.5".into(), "zw1".into()],
            ),
            6 => (
                vec![
                    "BZMPOP".into(),
                    "5".into(),
                    "2".into(),
                    z1,
                    z2.clone(),
                    "MAX".into(),
                    "COUNT".into(),
                    "2".into(),
                ],
                vec![
                    "ZADD".into(),
                    z2,
                    "1".into(),
                    "zw2".into(),
                    "2".into(),
                    "zw3".into(),
                ],
            ),
            7 => (
                vec!["BZPOPMAX".into(), z1.clone(), "5".into()],
                vec!["ZADD".into(), z1, "3".into(), "zw4".into()],
            ),
            _ => {
                // The group must exist, or the read fails at once.
                let g = self.group();
                let mk: Argv = argv(&["XGROUP", "CREATE", &x, &g, "$", "MKSTREAM"]);
                self.run_a(&mk);
                let cons = self.consumer();
                let mut wait = vec![
                    "XREADGROUP".into(),
                    "GROUP".into(),
                    g,
                    cons,
                    "BLOCK".into(),
                    "5000".into(),
                ];
                if self.rng.chance(20) {
                    wait.push("NOACK".into());
                }
                wait.extend(["STREAMS".into(), x.clone(), ">".into()]);
                (
                    wait,
                    vec!["XADD".into(), x, "*".into(), "w".into(), "1".into()],
                )
            }
        };
        let wait: Argv = wait.into_iter().map(String::into_bytes).collect();
        let refs: Vec<&[u8]> = wait.iter().map(|a| a.as_slice()).collect();
        self.b.send(&refs);
        if trace() {
            eprintln!(
                "B{} {}",
                self.db,
                String::from_utf8_lossy(&refs.join(&b' '))
            );
        }
        // Either it is served at once, or it blocks (seen in INFO): then wake it.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if self.b.try_read_reply(Duration::from_millis(1)).is_some() {
                return;
            }
            let info = self.a.val(&["INFO", "clients"]);
            if String::from_utf8_lossy(info.bytes()).contains("blocked_clients:1") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the second client neither blocked nor replied"
            );
        }
        let wake: Argv = wake.into_iter().map(String::into_bytes).collect();
        self.run_a(&wake);
        let r = parse(&self.b.read_reply());
        if !matches!(r, Resp::Nil | Resp::Error(_)) {
            self.blocked_served += 1;
        }
    }

    fn step(&mut self) {
        match self.rng.below(100) {
            0..=2 => {
                self.db = self.rng.below(3) as usize;
                assert_eq!(self.a.cmd(&["SELECT", &self.db.to_string()]), b"+OK\r\n");
            }
            3..=6 => self.multi(),
            7..=9 => self.script(),
            10..=14 => self.blocked(),
            15..=16 => self.restore(),
            _ => {
                let c = self.command();
                self.run_a(&c);
            }
        }
    }
}

/// Run `n` random steps with `seed` against the server at `port`.
pub fn run_workload(port: u16, seed: u64, n: usize) -> (usize, usize, usize) {
    let mut a = RespClient::connect(port);
    let mut b = RespClient::connect(port);
    let mut w = Workload {
        rng: Rng(seed),
        a: &mut a,
        b: &mut b,
        db: 0,
        b_db: 0,
        ids: Vec::new(),
        blocked_served: 0,
        execs: 0,
        scripts: 0,
    };
    for _ in 0..n {
        w.step();
    }
    (w.blocked_served, w.execs, w.scripts)
}
