//! The eviction model, as Redis's `evict.c`: what an access writes into [`Entry::lru`]
//! (the LRU clock, or the LFU counter), and the eviction pool that picks the next victim
//! from sampled keys. Nothing here deletes keys or reads the allocator: the server's
//! `maxmemory` module drives it.
//!
//! # The approximations
//! Neither LRU nor LFU is exact, exactly as in Redis: each eviction samples
//! `maxmemory-samples` keys per database (consecutive buckets from a random one), scores
//! them, and merges them into a pool of the 16 best candidates seen so far; the best
//! candidate that still exists is evicted. The pool keeps good candidates across
//! evictions, which is what makes 5 samples come close to true LRU.
//!
//! # The LFU counter
//! In the entry's 32-bit `lru` field, as Redis lays it out in its 24-bit one: bits 8..24
//! are the minute (mod 65536) of the last decrement, bits 0..8 a logarithmic counter.
//! An access first decays the counter by one per `lfu-decay-time` minutes elapsed, then
//! increments it with probability `1 / ((counter - 5) * lfu-log-factor + 1)`; new keys
//! start at 5 so they are not evicted before they had a chance to be read.
//!
//! [`Entry::lru`]: super::db::Entry::lru

use super::db::{Entry, lru_clock};

/// A new key's LFU counter (Redis's `LFU_INIT_VAL`).
pub const LFU_INIT_VAL: u32 = 5;
/// Candidates kept by the eviction pool (Redis's `EVPOOL_SIZE`).
pub const POOL_SIZE: usize = 16;

/// How an access updates an entry's `lru` field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    /// An LFU `maxmemory-policy` is selected.
    pub lfu: bool,
    /// `lfu-log-factor`.
    pub log_factor: u64,
    /// `lfu-decay-time`, minutes.
    pub decay_time: u64,
}

impl AccessPolicy {
    /// The `lru` field of a key created at `now_ms`.
    pub fn initial(&self, now_ms: i64) -> u32 {
        if self.lfu {
            (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL
        } else {
            lru_clock(now_ms)
        }
    }

    /// The `lru` field after an access at `now_ms` (Redis's `updateLFU` or `LRU_CLOCK()`).
    /// `rng` is xorshift state for the probabilistic increment.
    pub fn touched(&self, lru: u32, now_ms: i64, rng: &mut u64) -> u32 {
        if !self.lfu {
            return lru_clock(now_ms);
        }
        let counter = self.lfu_counter(lru, now_ms);
        let counter = lfu_log_incr(counter, self.log_factor, next_unit(rng));
        (lfu_minutes(now_ms) << 8) | counter
    }

    /// The decayed LFU counter (OBJECT FREQ, Redis's `LFUDecrAndReturn`), without
    /// recording an access.
    pub fn lfu_counter(&self, lru: u32, now_ms: i64) -> u32 {
        let ldt = (lru >> 8) & 0xFFFF;
        let counter = lru & 0xFF;
        let periods = u64::from(lfu_elapsed(ldt, now_ms))
            .checked_div(self.decay_time)
            .unwrap_or(0);
        counter.saturating_sub(periods.min(255) as u32)
    }
}

/// Minutes of the unix time, mod 65536 (Redis's `LFUGetTimeInMinutes`).
fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms / 1000 / 60) & 0xFFFF) as u32
}

/// Minutes since `ldt`, across the 16-bit wrap (Redis's `LFUTimeElapsed`).
fn lfu_elapsed(ldt: u32, now_ms: i64) -> u32 {
    let now = lfu_minutes(now_ms);
    if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    }
}

/// Redis's `LFULogIncr`: `r` is uniform in [0, 1).
fn lfu_log_incr(counter: u32, log_factor: u64, r: f64) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if r < p { counter + 1 } else { counter }
}

/// A uniform draw in [0, 1) from xorshift state (reseeded if it is zero).
fn next_unit(s: &mut u64) -> f64 {
    if *s == 0 {
        *s = 0x9E37_79B9_7F4A_7C15;
    }
    let mut x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// What the pool ranks candidates by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Score {
    /// Idle time (allkeys-lru, volatile-lru).
    Lru,
    /// 255 minus the decayed counter (allkeys-lfu, volatile-lfu).
    Lfu,
    /// The nearest deadline first (volatile-ttl).
    Ttl,
}

impl Score {
    /// Higher is a better victim (Redis's `idle` in `evictionPoolPopulate`).
    pub fn of(self, e: &Entry, deadline: Option<i64>, access: &AccessPolicy, now_ms: i64) -> u64 {
        match self {
            Score::Lru => u64::from(lru_clock(now_ms).wrapping_sub(e.lru)) * 1000,
            Score::Lfu => 255 - u64::from(access.lfu_counter(e.lru, now_ms)),
            Score::Ttl => u64::MAX - deadline.unwrap_or(i64::MAX) as u64,
        }
    }
}

/// One candidate: its score, key and database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub score: u64,
    pub key: Vec<u8>,
    pub db: usize,
}

/// The best candidates seen so far, ordered by ascending score (Redis's
/// `EvictionPoolLRU`). Kept across evictions.
#[derive(Debug, Default)]
pub struct EvictionPool {
    slots: Vec<Candidate>,
    /// Key buffers of removed candidates, reused to avoid an allocation per candidate.
    spare: Vec<Vec<u8>>,
}

impl EvictionPool {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn clear(&mut self) {
        for c in self.slots.drain(..) {
            self.spare.push(c.key);
        }
    }

    /// Offer a sampled key. It enters if the pool has room or if it beats the worst
    /// candidate (which then leaves), as in `evictionPoolPopulate`. A key already in the
    /// pool is re-ranked with its new score instead of appearing twice.
    pub fn offer(&mut self, score: u64, key: &[u8], db: usize) {
        if let Some(i) = self.slots.iter().position(|c| c.db == db && c.key == key) {
            let old = self.slots.remove(i);
            self.spare.push(old.key);
        }
        let k = self.slots.partition_point(|c| c.score < score);
        if self.slots.len() == POOL_SIZE {
            if k == 0 {
                return;
            }
            let dropped = self.slots.remove(0);
            self.spare.push(dropped.key);
            self.insert_at(k - 1, score, key, db);
        } else {
            self.insert_at(k, score, key, db);
        }
    }

    fn insert_at(&mut self, at: usize, score: u64, key: &[u8], db: usize) {
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(key);
        // Do not let a huge key's buffer linger.
        self.spare.truncate(POOL_SIZE);
        self.slots.insert(
            at,
            Candidate {
                score,
                key: buf,
                db,
            },
        );
    }

    /// Remove and return the best candidate (highest score).
    pub fn pop_best(&mut self) -> Option<Candidate> {
        self.slots.pop()
    }

    /// Give a popped candidate's key buffer back for reuse.
    pub fn recycle(&mut self, c: Candidate) {
        if self.spare.len() < POOL_SIZE {
            self.spare.push(c.key);
        }
    }

    pub fn candidates(&self) -> &[Candidate] {
        &self.slots
    }
}

/// `maxmemory-eviction-tenacity` → how long one eviction pass may run before the rest is
/// left to the event loop (Redis's `evictionTimeLimitUs`): 50 µs a step up to 10 (the
/// default: 500 µs), then 15% more a step, unlimited at 100.
pub fn time_limit_us(tenacity: u32) -> Option<u64> {
    if tenacity <= 10 {
        Some(50 * u64::from(tenacity))
    } else if tenacity < 100 {
        Some((500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::value::Value;

    const LFU: AccessPolicy = AccessPolicy {
        lfu: true,
        log_factor: 10,
        decay_time: 1,
    };

    #[test]
    fn lfu_counter_grows_logarithmically() {
        let now = 1_700_000_000_000;
        let mut rng = 42;
        let mut lru = LFU.initial(now);
        assert_eq!(LFU.lfu_counter(lru, now), LFU_INIT_VAL);
        for _ in 0..100 {
            lru = LFU.touched(lru, now, &mut rng);
        }
        let c100 = LFU.lfu_counter(lru, now);
        for _ in 0..10_000 {
            lru = LFU.touched(lru, now, &mut rng);
        }
        let c10k = LFU.lfu_counter(lru, now);
        // Redis's table for lfu-log-factor 10: ~10 after 100 hits, ~18 after 1k,
        // ~142 after 100k: slow, logarithmic growth.
        assert!((8..=16).contains(&c100), "after 100 hits: {c100}");
        assert!(c10k > c100 && c10k < 100, "after 10k hits: {c10k}");
    }

    #[test]
    fn lfu_counter_decays_one_per_period() {
        let now = 1_700_000_000_000;
        let lru = (lfu_minutes(now) << 8) | 20;
        assert_eq!(LFU.lfu_counter(lru, now + 60_000 * 3), 17);
        assert_eq!(LFU.lfu_counter(lru, now + 60_000 * 300), 0);
        let no_decay = AccessPolicy {
            decay_time: 0,
            ..LFU
        };
        assert_eq!(no_decay.lfu_counter(lru, now + 60_000 * 300), 20);
    }

    #[test]
    fn lru_policy_stores_the_clock() {
        let p = AccessPolicy::default();
        let mut rng = 1;
        assert_eq!(p.touched(0, 5_000, &mut rng), 5);
        assert_eq!(p.initial(7_000), 7);
    }

    #[test]
    fn pool_keeps_the_best_sixteen_in_order() {
        let mut pool = EvictionPool::default();
        for i in 0..100u64 {
            // Scores in a scrambled order.
            let s = (i * 37) % 100;
            pool.offer(s, format!("k{s}").as_bytes(), 0);
        }
        assert_eq!(pool.len(), POOL_SIZE);
        let scores: Vec<u64> = pool.candidates().iter().map(|c| c.score).collect();
        assert_eq!(scores, (84..100).collect::<Vec<_>>());
        let best = pool.pop_best().unwrap();
        assert_eq!((best.score, best.key.as_slice()), (99, &b"k99"[..]));
        // Re-offering a key re-ranks it.
        pool.offer(1000, b"k84", 0);
        assert_eq!(pool.len(), POOL_SIZE - 1);
        assert_eq!(pool.pop_best().unwrap().key, b"k84");
    }

    #[test]
    fn scores_rank_victims() {
        let now = 100_000_000;
        let acc = AccessPolicy::default();
        let old = Entry {
            value: Value::string(b"v"),
            lru: lru_clock(now - 50_000),
        };
        let new = Entry {
            value: Value::string(b"v"),
            lru: lru_clock(now),
        };
        assert!(Score::Lru.of(&old, None, &acc, now) > Score::Lru.of(&new, None, &acc, now));
        assert!(
            Score::Ttl.of(&new, Some(10), &acc, now) > Score::Ttl.of(&new, Some(20), &acc, now)
        );
    }

    #[test]
    fn tenacity_limits() {
        assert_eq!(time_limit_us(0), Some(0));
        assert_eq!(time_limit_us(10), Some(500));
        assert_eq!(time_limit_us(11), Some(575));
        assert_eq!(time_limit_us(100), None);
    }
}
