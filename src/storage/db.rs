//! One logical database (SELECT n): the key table, the expiry table, lazy expiry on access
//! and the sampling step of active expiry.
//!
//! As in Redis, keys with a TTL are also held in `expires` (key → deadline in unix ms), so
//! that active expiry can sample only volatile keys and a keyspace without TTLs pays one
//! lookup per access. Every read goes through [`Db::lookup`], which deletes a key whose
//! deadline has passed before anyone sees it.

use std::collections::{HashMap, VecDeque};

use super::dict::Dict;
use super::evict::AccessPolicy;
use super::keytable::{KeyRef, KeyTable};
use super::value::Value;

/// An owned key, for the tables that keep their own copy (expires, watched and blocking
/// keys). The main table stores keys inside its nodes ([`KeyTable`]).
pub type Key = Box<[u8]>;

/// Notification classes Db reports itself (same bits as `config::notify`).
pub const EVENT_EXPIRED: u32 = crate::config::notify::EXPIRED;
pub const EVENT_NEW: u32 = crate::config::notify::NEW;
pub const EVENT_KEY_MISS: u32 = crate::config::notify::KEY_MISS;

#[derive(Debug)]
pub struct Entry {
    pub value: Value,
    /// Under an LRU (or non-LFU) policy: the last access, in seconds of the LRU clock
    /// (OBJECT IDLETIME). Under an LFU policy: Redis's layout, the minute of the last
    /// decrement in bits 8..24 and the logarithmic access counter in bits 0..8 (OBJECT
    /// FREQ). Update it with [`Db::lookup`] / [`Db::lookup_write`], which know the policy.
    pub lru: u32,
}

/// A client waiting on a key: its slot in the client table and its id (the id guards
/// against a slot reused by a later connection).
pub type Waiter = (usize, u64);

#[derive(Default)]
pub struct Db {
    keys: KeyTable,
    /// Deadlines of the keys that have one. Its keys point into `keys`' nodes (no copy):
    /// an entry here is always removed before its key leaves `keys` (see [`KeyRef`]).
    expires: Dict<KeyRef, i64>,
    /// Clients blocked on each key, in the order they blocked (BLPOP, BZPOPMIN...).
    pub blocking_keys: HashMap<Key, VecDeque<Waiter>>,
    /// Keys with waiters that were created since the last time blocked clients were served.
    pub ready_keys: Vec<Key>,
    /// WATCHed keys: (modification version, number of watchers). Only watched keys are
    /// here, so touching an unwatched key costs one lookup in an (usually empty) map.
    watched: HashMap<Key, (u64, u32)>,
    /// Keys removed because their TTL passed (INFO `expired_keys`).
    pub expired: u64,
    pub hits: u64,
    pub misses: u64,
    /// Running estimate of the TTL left on volatile keys, ms (INFO keyspace `avg_ttl`).
    pub avg_ttl: i64,
    /// How an access updates [`Entry::lru`] (set from the config by the server).
    access: AccessPolicy,
    /// xorshift state for the LFU counter's probabilistic increment.
    lfu_rng: u64,
    /// Keyspace-notification classes that Db itself reports (expired, new, keymiss): the server
    /// sets it from `notify-keyspace-events` and drains `events` after each command.
    pub log_events: u32,
    pub events: Vec<(u32, &'static str, Key)>,
    /// Modifications since start (Redis's `server.dirty`, per database): every `touch`.
    /// Expiry does not count (as in Redis): it is not a change a client made.
    pub dirty: u64,
    /// When set (the server propagates writes to the AOF), keys removed by expiry are
    /// also listed in `expired_log`, to be recorded as deletions.
    pub log_expired: bool,
    pub expired_log: Vec<Key>,
    /// Nothing expires while the AOF is replayed (Redis's keyIsExpired during loading):
    /// a command replays against the keys that were alive when it first ran.
    pub expiry_paused: bool,
    /// Reads leave the LRU clock alone while a forked snapshot child runs: writing it
    /// would copy every page a read touches (Redis skips it then too).
    pub lru_frozen: bool,
}

/// The outcome of one active-expiry pass over a database.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExpireStats {
    pub sampled: usize,
    pub expired: usize,
}

impl Db {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn volatile_len(&self) -> usize {
        self.expires.len()
    }

    /// Delete `key` if its deadline has passed. Returns true when it was expired.
    fn expire_if_needed(&mut self, key: &[u8], now: i64) -> bool {
        if self.expires.is_empty() || self.expiry_paused {
            return false;
        }
        match self.expires.get(key) {
            Some(&when) if when <= now => {
                self.expires.remove(key);
                self.keys.remove(key);
                self.expired += 1;
                self.touch_watchers(key);
                if self.log_expired {
                    self.expired_log.push(key.into());
                }
                self.log_event(EVENT_EXPIRED, "expired", key);
                true
            }
            _ => false,
        }
    }

    /// The live entry under `key`, counting a keyspace hit or miss and recording the
    /// access (LRU clock or LFU counter).
    pub fn lookup(&mut self, key: &[u8], now: i64) -> Option<&mut Entry> {
        self.expire_if_needed(key, now);
        let Db {
            keys,
            access,
            lfu_rng,
            ..
        } = self;
        match keys.get_mut(key) {
            Some(e) => {
                self.hits += 1;
                if !self.lru_frozen {
                    e.lru = access.touched(e.lru, now, lfu_rng);
                }
                Some(e)
            }
            None => {
                // Field by field: `self.keys` is still borrowed for the hit arm.
                self.misses += 1;
                if self.log_events & EVENT_KEY_MISS != 0 {
                    self.events.push((EVENT_KEY_MISS, "keymiss", key.into()));
                }
                None
            }
        }
    }

    /// The live entry under `key` for a command that writes it (Redis's
    /// `lookupKeyWrite`): the access is recorded, no hit or miss is counted.
    pub fn lookup_write(&mut self, key: &[u8], now: i64) -> Option<&mut Entry> {
        self.expire_if_needed(key, now);
        let Db {
            keys,
            access,
            lfu_rng,
            ..
        } = self;
        let e = keys.get_mut(key)?;
        if !self.lru_frozen {
            e.lru = access.touched(e.lru, now, lfu_rng);
        }
        Some(e)
    }

    /// Set how accesses update [`Entry::lru`] (the server calls this when
    /// `maxmemory-policy`, `lfu-log-factor` or `lfu-decay-time` change).
    pub fn set_access_policy(&mut self, access: AccessPolicy) {
        self.access = access;
    }

    pub fn access_policy(&self) -> AccessPolicy {
        self.access
    }

    /// Give a key the access history a dump carried (RDB `IDLE`/`FREQ`, RESTORE
    /// IDLETIME/FREQ), as Redis's `objectSetLRUOrLFU`: the frequency under an LFU policy,
    /// the idle time otherwise; the other one is ignored.
    pub fn restore_access(
        &mut self,
        key: &[u8],
        idle_secs: Option<u64>,
        freq: Option<u8>,
        now: i64,
    ) {
        let lfu = self.access.lfu;
        let Some(e) = self.keys.get_mut(key) else {
            return;
        };
        match (lfu, freq, idle_secs) {
            (true, Some(f), _) => e.lru = (self.access.initial(now) & !0xFF) | u32::from(f),
            (false, _, Some(secs)) => {
                e.lru = lru_clock(now).wrapping_sub(secs.min(u64::from(u32::MAX)) as u32)
            }
            _ => {}
        }
    }

    /// The `lru` field of a key created now.
    fn new_lru(&self, now: i64) -> u32 {
        self.access.initial(now)
    }

    /// A read lookup found nothing: a keyspace miss and, when `notify` (Redis's lookups
    /// without `LOOKUP_NONOTIFY`), a `keymiss` event.
    pub fn miss(&mut self, key: &[u8], notify: bool) {
        self.misses += 1;
        if notify {
            self.log_event(EVENT_KEY_MISS, "keymiss", key);
        }
    }

    /// Like [`Db::lookup`] but without stats or LRU update (TYPE-free internal checks,
    /// OBJECT, TTL do not count as accesses in Redis).
    pub fn peek(&mut self, key: &[u8], now: i64) -> Option<&mut Entry> {
        self.expire_if_needed(key, now);
        self.keys.get_mut(key)
    }

    /// The entry under `key` with no expiry check, stats or LRU update: for commands that
    /// read several keys at once (SINTER, SUNION...) after looking each one up, which did
    /// the expiry and the accounting.
    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.keys.get(key)
    }

    pub fn exists(&mut self, key: &[u8], now: i64) -> bool {
        self.expire_if_needed(key, now);
        self.keys.contains_key(key)
    }

    /// Store `value` under `key`. The key's TTL is removed unless `keep_ttl`.
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool, now: i64) {
        self.touch(key);
        let lru = self.new_lru(now);
        let Db {
            keys,
            access,
            lfu_rng,
            ..
        } = self;
        if let Some(e) = keys.get_mut(key) {
            e.value = value;
            // An overwrite is an access; under LFU the key keeps its counter, as Redis's
            // dbOverwrite keeps the old object's.
            e.lru = if access.lfu {
                access.touched(e.lru, now, lfu_rng)
            } else {
                lru
            };
            if !keep_ttl && !self.expires.is_empty() {
                self.expires.remove(key);
            }
        } else {
            self.signal_ready(key);
            self.log_event(EVENT_NEW, "new", key);
            self.keys.insert(key, Entry { value, lru });
        }
    }

    /// An existing key received data its waiters may want (XADD to a stream, XGROUP
    /// DESTROY): they get a chance to be served, as on creation (Redis's
    /// `signalKeyAsReady` called by the command itself).
    pub fn signal_key_ready(&mut self, key: &[u8]) {
        self.signal_ready(key);
    }

    /// A key was created: clients blocked on it get a chance to be served (Redis's
    /// `signalKeyAsReady`, called from `dbAdd`).
    fn signal_ready(&mut self, key: &[u8]) {
        if !self.blocking_keys.is_empty()
            && self.blocking_keys.contains_key(key)
            && !self.ready_keys.iter().any(|k| &**k == key)
        {
            self.ready_keys.push(key.into());
        }
    }

    /// Insert a key known to be absent (after a lookup said so) with an optional deadline.
    pub fn insert(&mut self, key: Key, value: Value, expire_at: Option<i64>, now: i64) {
        self.signal_ready(&key);
        self.touch(&key);
        self.log_event(EVENT_NEW, "new", &key);
        let lru = self.new_lru(now);
        self.keys.insert(&key, Entry { value, lru });
        if let Some(when) = expire_at
            && let Some(k) = self.keys.key_ref(&key)
        {
            self.expires.insert(k, when);
        }
    }

    pub fn delete(&mut self, key: &[u8]) -> bool {
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        let existed = self.keys.remove(key).is_some();
        if existed {
            self.touch(key);
            // Redis's `signalDeletedKeyAsReady`: XREADGROUP waiters on a deleted stream are
            // released with an error; other waiters just wait on.
            self.signal_ready(key);
        }
        existed
    }

    /// Remove and return the entry with its deadline (RENAME, MOVE).
    pub fn take(&mut self, key: &[u8], now: i64) -> Option<(Key, Entry, Option<i64>)> {
        self.expire_if_needed(key, now);
        // The deadline first: its key points into the node that removing the entry frees.
        let when = self.expires.remove(key).map(|(_, w)| w);
        let e = self.keys.remove(key)?;
        self.touch(key);
        Some((key.into(), e, when))
    }

    /// Deadline of a key known to exist, in unix ms.
    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        self.expires.get(key).copied()
    }

    /// Set the deadline of a key that exists. Returns false when the key is absent.
    pub fn set_expire(&mut self, key: &[u8], when: i64) -> bool {
        let Some(k) = self.keys.key_ref(key) else {
            return false;
        };
        self.expires.insert(k, when);
        self.touch(key);
        true
    }

    /// Remove the deadline; true when there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        let had = self.expires.remove(key).is_some();
        if had {
            self.touch(key);
        }
        had
    }

    /// Empty the database (FLUSHDB). Watched keys that existed count as modified.
    pub fn clear(&mut self) {
        self.touch_existing();
        // Deadlines first: their keys point into the main table's nodes.
        self.expires.clear();
        self.keys.clear();
        self.avg_ttl = 0;
    }

    fn log_event(&mut self, class: u32, event: &'static str, key: &[u8]) {
        if self.log_events & class != 0 {
            self.events.push((class, event, key.into()));
        }
    }

    /// Pre-size an empty database for `keys` keys and `expires` deadlines (an RDB file's
    /// RESIZEDB), so that loading does not rehash as it grows.
    pub fn reserve_empty(&mut self, keys: usize, expires: usize) {
        if self.keys.is_empty() {
            self.keys = KeyTable::with_capacity(keys);
        }
        if self.expires.is_empty() {
            self.expires = Dict::with_capacity(expires);
        }
    }

    /// Take the keys and deadlines of `other` (a snapshot loaded off-thread), replacing
    /// this database's, while keeping its statistics, counters, watchers and waiters.
    pub fn adopt_keyspace(&mut self, other: Db) {
        self.touch_existing();
        // Deadlines first: the old ones point into the old key table's nodes.
        self.expires = other.expires;
        self.keys = other.keys;
        self.avg_ttl = 0;
        self.touch_existing();
        self.signal_existing_blocking_keys();
    }

    /// Record that `key` was modified, for WATCH (Redis's `touchWatchedKey`). Db's own
    /// mutators call this; handlers that change a value in place call it themselves.
    pub fn touch(&mut self, key: &[u8]) {
        self.dirty += 1;
        self.touch_watchers(key);
    }

    /// Bump `key`'s WATCH version without counting a change (expiry).
    fn touch_watchers(&mut self, key: &[u8]) {
        if !self.watched.is_empty()
            && let Some(w) = self.watched.get_mut(key)
        {
            w.0 += 1;
        }
    }

    /// Touch every watched key that exists (FLUSHDB/FLUSHALL, SWAPDB).
    pub fn touch_existing(&mut self) {
        let Db { watched, keys, .. } = self;
        for (k, w) in watched.iter_mut() {
            if keys.contains_key(k) {
                w.0 += 1;
            }
        }
    }

    /// Start watching `key`; returns its current modification version.
    pub fn watch(&mut self, key: &[u8]) -> u64 {
        let w = self.watched.entry(key.into()).or_insert((0, 0));
        w.1 += 1;
        w.0
    }

    pub fn unwatch(&mut self, key: &[u8]) {
        if let Some(w) = self.watched.get_mut(key) {
            w.1 -= 1;
            if w.1 == 0 {
                self.watched.remove(key);
            }
        }
    }

    pub fn watch_version(&self, key: &[u8]) -> u64 {
        self.watched.get(key).map_or(0, |w| w.0)
    }

    /// SWAPDB exchanges the data but not who waits on or watches which database index:
    /// give the watch and blocking registries back to their index.
    pub fn swap_data(a: &mut Db, b: &mut Db) {
        std::mem::swap(a, b);
        std::mem::swap(&mut a.watched, &mut b.watched);
        std::mem::swap(&mut a.blocking_keys, &mut b.blocking_keys);
        std::mem::swap(&mut a.ready_keys, &mut b.ready_keys);
    }

    /// After SWAPDB: keys clients wait on that now exist become ready.
    pub fn signal_existing_blocking_keys(&mut self) {
        let Db {
            blocking_keys,
            keys,
            ready_keys,
            ..
        } = self;
        for k in blocking_keys.keys() {
            if keys.contains_key(k) && !ready_keys.contains(k) {
                ready_keys.push(k.clone());
            }
        }
    }

    /// Every key (KEYS); expired ones are filtered by the caller's `now`.
    pub fn keys_iter(&self) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.keys.iter()
    }

    pub fn is_expired(&self, key: &[u8], now: i64) -> bool {
        matches!(self.expires.get(key), Some(&w) if w <= now)
    }

    /// One SCAN step over the key table.
    pub fn scan<F: FnMut(&[u8], &Entry)>(&self, cursor: u64, f: F) -> u64 {
        self.keys.scan(cursor, f)
    }

    /// A random live key (RANDOMKEY). Gives up after many expired picks, as Redis does.
    pub fn random_key(&mut self, now: i64, rand: &mut impl FnMut() -> u64) -> Option<Key> {
        for _ in 0..100 {
            let key: Key = self.keys.random_entry(rand)?.0.into();
            if !self.expire_if_needed(&key, now) {
                return Some(key);
            }
        }
        None
    }

    /// One active-expiry pass: sample up to `samples` volatile keys and delete the expired.
    pub fn expire_sample(
        &mut self,
        samples: usize,
        now: i64,
        rand: &mut impl FnMut() -> u64,
    ) -> ExpireStats {
        if self.expires.is_empty() {
            self.avg_ttl = 0;
            return ExpireStats::default();
        }
        if self.expiry_paused {
            return ExpireStats::default();
        }
        let mut picked = Vec::with_capacity(samples);
        self.expires.sample(samples, rand, &mut picked);
        let sampled = picked.len();
        // Redis's running average of the sampled keys' remaining TTL.
        let live: Vec<i64> = picked
            .iter()
            .map(|(_, w)| **w - now)
            .filter(|t| *t > 0)
            .collect();
        if !live.is_empty() {
            let avg = live.iter().sum::<i64>() / live.len() as i64;
            self.avg_ttl = if self.avg_ttl == 0 {
                avg
            } else {
                (self.avg_ttl / 50) * 49 + avg / 50
            };
        }
        let dead: Vec<Key> = picked
            .into_iter()
            .filter(|(_, w)| **w <= now)
            .map(|(k, _)| Key::from(k.as_bytes()))
            .collect();
        for k in &dead {
            self.expires.remove(&**k);
            self.keys.remove(k);
            self.touch_watchers(k);
            if self.log_expired {
                self.expired_log.push(k.clone());
            }
            self.log_event(EVENT_EXPIRED, "expired", k);
        }
        self.expired += dead.len() as u64;
        ExpireStats {
            sampled,
            expired: dead.len(),
        }
    }

    /// Calls `f` with up to `count` keys sampled from consecutive buckets of the main
    /// table, or of the expires table when `volatile` (with their deadline): the eviction
    /// pool's input, Redis's `dictGetSomeKeys`.
    pub fn sample_for_eviction(
        &self,
        volatile: bool,
        count: usize,
        rand: &mut impl FnMut() -> u64,
        mut f: impl FnMut(&[u8], &Entry, Option<i64>),
    ) {
        if volatile {
            let mut picked = Vec::with_capacity(count);
            self.expires.sample(count, rand, &mut picked);
            for (k, when) in picked {
                if let Some(e) = self.keys.get(k.as_bytes()) {
                    f(k.as_bytes(), e, Some(*when));
                }
            }
        } else {
            let mut picked = Vec::with_capacity(count);
            self.keys.sample(count, rand, &mut picked);
            for (k, e) in picked {
                f(k, e, None);
            }
        }
    }

    /// A random key of the main table, or of the expires table when `volatile`, without
    /// expiry checks (the random eviction policies).
    pub fn random_key_raw(&self, volatile: bool, rand: &mut impl FnMut() -> u64) -> Option<Key> {
        if volatile {
            self.expires
                .random_entry(rand)
                .map(|(k, _)| k.as_bytes().into())
        } else {
            self.keys.random_entry(rand).map(|(k, _)| k.into())
        }
    }

    /// Whether `key` exists, ignoring expiry (the eviction pool checks its candidates
    /// with it).
    pub fn contains_raw(&self, key: &[u8], volatile: bool) -> bool {
        if volatile {
            self.expires.contains_key(key)
        } else {
            self.keys.contains_key(key)
        }
    }

    /// Bytes `key` and its value take (MEMORY USAGE): its node in the main table and
    /// what the value holds on the heap.
    pub fn memory_usage(&self, key: &[u8]) -> Option<usize> {
        let e = self.keys.get(key)?;
        Some(KeyTable::<foldhash::fast::RandomState>::node_size(key.len()) + e.value.heap_bytes())
    }

    /// Bytes of the main table's own structure (buckets and node headers) and of the
    /// expires table (buckets and nodes): MEMORY STATS
    /// `overhead.hashtable.main` / `.expires`. O(1), as INFO calls it.
    pub fn overhead_bytes(&self) -> (usize, usize) {
        (self.keys.overhead_bytes(), self.expires.table_bytes())
    }

    /// Incremental rehash and shrink work from the cron.
    pub fn rehash_steps(&mut self, steps: usize) {
        self.keys.shrink_if_needed();
        self.expires.shrink_if_needed();
        self.keys.rehash_steps(steps);
        self.expires.rehash_steps(steps);
    }
}

/// The LRU clock: seconds, wrapping in 32 bits.
pub fn lru_clock(now_ms: i64) -> u32 {
    (now_ms / 1000) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::value::Str;

    #[test]
    fn lazy_expiry_hides_and_deletes() {
        let mut db = Db::new();
        db.insert(b"k".as_slice().into(), Value::string(b"v"), Some(1000), 0);
        assert!(db.lookup(b"k", 999).is_some());
        assert!(db.lookup(b"k", 1000).is_none());
        assert_eq!(db.len(), 0);
        assert_eq!(db.volatile_len(), 0);
        assert_eq!(db.expired, 1);
    }

    #[test]
    fn read_misses_log_keymiss_only_when_enabled() {
        let mut db = Db::new();
        assert!(db.lookup(b"a", 0).is_none());
        assert!(db.events.is_empty());
        db.log_events = EVENT_KEY_MISS | EVENT_EXPIRED;
        db.insert(b"k".as_slice().into(), Value::string(b"v"), Some(10), 0);
        assert!(db.lookup(b"k", 5).is_some());
        assert!(db.lookup(b"k", 10).is_none());
        db.miss(b"quiet", false);
        let logged: Vec<(&str, &[u8])> = db.events.iter().map(|(_, e, k)| (*e, &**k)).collect();
        assert_eq!(
            logged,
            [("expired", b"k".as_slice()), ("keymiss", b"k".as_slice())]
        );
        assert_eq!(db.misses, 3);
    }

    #[test]
    fn set_clears_ttl_unless_kept() {
        let mut db = Db::new();
        db.insert(b"k".as_slice().into(), Value::string(b"v"), Some(1000), 0);
        db.set(b"k", Value::string(b"w"), true, 0);
        assert_eq!(db.expire_of(b"k"), Some(1000));
        db.set(b"k", Value::string(b"x"), false, 0);
        assert_eq!(db.expire_of(b"k"), None);
    }

    #[test]
    fn accesses_follow_the_policy() {
        let now = 1_700_000_000_000;
        let mut db = Db::new();
        db.insert(b"k".as_slice().into(), Value::string(b"v"), None, now);
        assert_eq!(db.get(b"k").map(|e| e.lru), Some(lru_clock(now)));
        db.lookup_write(b"k", now + 5000);
        assert_eq!(db.get(b"k").map(|e| e.lru), Some(lru_clock(now + 5000)));
        assert_eq!((db.hits, db.misses), (0, 0), "a write lookup is not a hit");
        let lfu = AccessPolicy {
            lfu: true,
            log_factor: 10,
            decay_time: 1,
        };
        db.set_access_policy(lfu);
        db.insert(b"f".as_slice().into(), Value::string(b"v"), None, now);
        let freq = |db: &Db| lfu.lfu_counter(db.get(b"f").map_or(0, |e| e.lru), now);
        assert_eq!(freq(&db), 5);
        for _ in 0..50 {
            db.lookup(b"f", now);
        }
        let f = freq(&db);
        assert!(f > 5);
        // An overwrite keeps (and bumps) the counter, as Redis's dbOverwrite.
        db.set(b"f", Value::string(b"w"), false, now);
        assert!(freq(&db) >= f);
    }

    /// Every way a key and its deadline come and go, against a plain model: the expires
    /// table points into the main table's nodes, so an order mistake here is a
    /// use-after-free (run it under valgrind to see one).
    #[test]
    fn keys_and_deadlines_match_a_model() {
        use std::collections::HashMap;
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        let mut rand = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut db = Db::new();
        let mut model: HashMap<Vec<u8>, (i64, Option<i64>)> = HashMap::new();
        let mut now = 1_000i64;
        for step in 0..20_000u64 {
            let r = rand();
            let k = format!("key:{:02}", r % 97).into_bytes();
            let v = (step % 1000) as i64;
            // Drop what the model says has expired; commands look a key up (lazy
            // expiry) before they change it, so do that too.
            model.retain(|_, (_, w)| w.is_none_or(|w| w > now));
            db.exists(&k, now);
            match (r >> 8) % 11 {
                0 | 1 => {
                    let ttl = ((r >> 16) % 3 == 0).then(|| now + 1 + (r >> 20) as i64 % 50);
                    if !db.exists(&k, now) {
                        db.insert(k.clone().into(), Value::Str(Str::Int(v)), ttl, now);
                        model.insert(k, (v, ttl));
                    }
                }
                2 => {
                    let keep = (r >> 16) % 2 == 0;
                    db.set(&k, Value::Str(Str::Int(v)), keep, now);
                    let old_ttl = model.get(&k).and_then(|e| e.1);
                    model.insert(k, (v, if keep { old_ttl } else { None }));
                }
                3 => assert_eq!(db.delete(&k), model.remove(&k).is_some()),
                4 => {
                    let got = db.take(&k, now).map(|(key, e, w)| (key, e.value, w));
                    match model.remove(&k) {
                        Some((mv, mw)) => {
                            let (key, value, w) = got.expect("take of a live key");
                            assert_eq!((&*key, w), (&k[..], mw));
                            assert_eq!(value, Value::Str(Str::Int(mv)));
                            // Put it back under another name, as RENAME does.
                            let other = [&k[..], b"-r"].concat();
                            db.delete(&other);
                            model.remove(&other);
                            db.insert(other.clone().into(), value, w, now);
                            model.insert(other, (mv, mw));
                        }
                        None => assert!(got.is_none()),
                    }
                }
                5 => {
                    let w = now + 1 + (r >> 16) as i64 % 40;
                    let live = db.exists(&k, now);
                    assert_eq!(db.set_expire(&k, w), live);
                    if let Some(e) = model.get_mut(&k) {
                        e.1 = Some(w);
                    }
                }
                6 => {
                    let had = db.exists(&k, now) && db.persist(&k);
                    let m = model.get_mut(&k).is_some_and(|e| e.1.take().is_some());
                    assert_eq!(had, m);
                }
                7 => {
                    db.expire_sample(20, now, &mut rand);
                }
                8 => {
                    db.rehash_steps(5);
                    now += (r >> 16) as i64 % 5;
                }
                9 if step % 500 == 0 => {
                    db.clear();
                    model.clear();
                }
                _ => {
                    let got = db.lookup(&k, now).map(|e| e.value.clone());
                    assert_eq!(got, model.get(&k).map(|e| Value::Str(Str::Int(e.0))));
                }
            }
            if step % 1000 == 0 {
                for (k, (_, w)) in &model {
                    assert!(db.exists(k, now));
                    assert_eq!(db.expire_of(k), *w);
                }
                let live: Vec<Vec<u8>> = db
                    .keys_iter()
                    .map(|(k, _)| k.to_vec())
                    .filter(|k| !db.is_expired(k, now))
                    .collect();
                assert_eq!(live.len(), model.len());
                let volatile = live.iter().filter(|k| db.expire_of(k).is_some()).count();
                assert_eq!(volatile, model.values().filter(|e| e.1.is_some()).count());
            }
        }
    }

    #[test]
    fn active_expiry_sampling_removes_expired() {
        let mut db = Db::new();
        for i in 0..100u32 {
            let when = if i % 2 == 0 { 10 } else { 1_000_000 };
            db.insert(
                i.to_string().into_bytes().into(),
                Value::string(b"v"),
                Some(when),
                0,
            );
        }
        let mut s = 88172645463325252u64;
        let mut rand = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for _ in 0..200 {
            db.expire_sample(20, 100, &mut rand);
        }
        assert_eq!(db.len(), 50);
        assert_eq!(db.expired, 50);
    }
}
