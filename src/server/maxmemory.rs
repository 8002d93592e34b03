//! `maxmemory`: keeping used memory under the limit by evicting keys (Redis's
//! `performEvictions`), and telling the command layer when it cannot.
//!
//! Before each command (see [`crate::commands::execute`]), when `maxmemory` is set and the
//! allocator's count ([`crate::alloc::allocated`]) is over it, keys are evicted by
//! `maxmemory-policy` until the excess is freed. What was freed is measured, not
//! estimated: the count before and after each deletion. Everything allocated counts,
//! client reply and query buffers included, as in Redis (which only leaves out replica
//! buffers and the AOF buffer, neither of which exists here yet).
//!
//! A pass stops after `maxmemory-eviction-tenacity`'s time budget (checked every 16
//! keys), leaving [`Eviction::running`] set: the event loop then keeps evicting between
//! iterations until done, so one command never stalls the server. When nothing can be
//! evicted (`noeviction`, or a volatile policy with no key left that has a TTL) the result
//! is [`Evict::Fail`] and commands flagged `denyoom` are refused with `-OOM`; reads and
//! deletes keep working.

use std::time::Instant;

use super::{Client, ServerState, notify};
use crate::config::MaxmemoryPolicy;
use crate::storage::db::Key;
use crate::storage::evict::{AccessPolicy, EvictionPool, Score, time_limit_us};

/// How often (in evicted keys) a pass checks its time budget, as Redis.
const KEYS_PER_TIME_CHECK: u64 = 16;

/// The outcome of [`perform_evictions`] (Redis's `EVICT_OK/RUNNING/FAIL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evict {
    /// Under the limit (or no limit).
    Ok,
    /// Over the limit; the pass ran out of time and the event loop carries on.
    Running,
    /// Over the limit and nothing (more) can be evicted.
    Fail,
}

/// Eviction state kept across passes.
#[derive(Debug, Default)]
pub struct Eviction {
    pub pool: EvictionPool,
    /// A pass ran out of time: the event loop should continue it.
    pub running: bool,
    /// Where the random policies start looking (Redis's `next_db`).
    next_db: usize,
    /// Since when used memory has been over the limit (INFO
    /// `current_eviction_exceeded_time`).
    exceeded_since: Option<Instant>,
    /// Milliseconds spent over the limit in earlier episodes.
    pub total_exceeded_ms: u64,
    /// The last client command found memory over the limit with nothing to evict
    /// (Redis's `pre_command_oom_state`): a script it runs may not start writing.
    pub oom_at_command_start: bool,
}

impl Eviction {
    /// Milliseconds of the current episode over the limit, if any.
    pub fn current_exceeded_ms(&self) -> u64 {
        self.exceeded_since
            .map_or(0, |t| t.elapsed().as_millis() as u64)
    }

    fn set_exceeded(&mut self, over: bool) {
        match (over, self.exceeded_since) {
            (true, None) => self.exceeded_since = Some(Instant::now()),
            (false, Some(t)) => {
                self.total_exceeded_ms += t.elapsed().as_millis() as u64;
                self.exceeded_since = None;
            }
            _ => {}
        }
    }
}

/// The access policy the databases need for the current configuration.
pub fn access_policy(srv: &ServerState) -> AccessPolicy {
    AccessPolicy {
        lfu: srv.config.maxmemory_policy.is_lfu(),
        log_factor: srv.config.lfu_log_factor,
        decay_time: srv.config.lfu_decay_time,
    }
}

/// Give every database the access policy of the configuration (at start-up and after
/// CONFIG SET of `maxmemory-policy`, `lfu-log-factor` or `lfu-decay-time`).
pub fn apply_access_policy(srv: &mut ServerState) {
    let p = access_policy(srv);
    for db in srv.dbs.iter_mut() {
        db.set_access_policy(p);
    }
    // Scores in the pool were computed under the old policy.
    srv.eviction.pool.clear();
}

/// Bytes over `maxmemory` right now: `None` when there is no limit or no accounting.
pub fn excess(srv: &ServerState) -> Option<u64> {
    let max = srv.config.maxmemory;
    if max == 0 {
        return None;
    }
    let used = crate::alloc::allocated()? as u64;
    Some(used.saturating_sub(max))
}

/// Evict until used memory is under `maxmemory`, within the tenacity time budget. `me` is
/// the client whose command is about to run (it is out of the client table), so that it
/// too receives `evicted` notifications it subscribed to.
pub fn perform_evictions(srv: &mut ServerState, mut me: Option<&mut Client>) -> Evict {
    let Some(to_free) = excess(srv) else {
        srv.eviction.running = false;
        srv.eviction.set_exceeded(false);
        return Evict::Ok;
    };
    if to_free == 0 {
        srv.eviction.running = false;
        srv.eviction.set_exceeded(false);
        return Evict::Ok;
    }
    srv.eviction.set_exceeded(true);
    if srv.config.maxmemory_policy == MaxmemoryPolicy::NoEviction {
        srv.eviction.running = false;
        return Evict::Fail;
    }
    let start = Instant::now();
    let limit = time_limit_us(srv.config.maxmemory_eviction_tenacity);
    let mut freed = 0u64;
    let mut keys = 0u64;
    while freed < to_free {
        let Some((db, key)) = pick_victim(srv) else {
            srv.eviction.running = false;
            return Evict::Fail;
        };
        let before = crate::alloc::allocated().unwrap_or(0) as u64;
        // Deleting touches WATCHers, as Redis's signalModifiedKey.
        srv.dbs[db].delete(&key);
        let lazy = srv.config.lazyfree_lazy_eviction;
        crate::server::propagate::deletion(srv, db, &key, lazy);
        notify::event(
            srv,
            me.as_deref_mut(),
            db,
            crate::config::notify::EVICTED,
            "evicted",
            &key,
        );
        let after = crate::alloc::allocated().unwrap_or(0) as u64;
        freed += before.saturating_sub(after);
        srv.stats.evicted_keys += 1;
        keys += 1;
        if keys.is_multiple_of(KEYS_PER_TIME_CHECK)
            && limit.is_some_and(|l| start.elapsed().as_micros() as u64 > l)
        {
            srv.eviction.running = true;
            return Evict::Running;
        }
    }
    srv.eviction.running = false;
    if excess(srv) == Some(0) {
        srv.eviction.set_exceeded(false);
    }
    Evict::Ok
}

/// The next key to evict under the configured policy, as (database, key).
fn pick_victim(srv: &mut ServerState) -> Option<(usize, Key)> {
    let policy = srv.config.maxmemory_policy;
    let volatile = policy.is_volatile();
    let samples = srv.config.maxmemory_samples.max(1);
    let now = srv.now_ms;
    let ServerState {
        dbs, rng, eviction, ..
    } = srv;
    let mut rand = || rng.next_u64();
    let score = match policy {
        MaxmemoryPolicy::AllkeysRandom | MaxmemoryPolicy::VolatileRandom => {
            let n = dbs.len();
            for _ in 0..n {
                eviction.next_db = (eviction.next_db + 1) % n;
                let i = eviction.next_db;
                if let Some(k) = dbs[i].random_key_raw(volatile, &mut rand) {
                    return Some((i, k));
                }
            }
            return None;
        }
        MaxmemoryPolicy::AllkeysLru | MaxmemoryPolicy::VolatileLru => Score::Lru,
        MaxmemoryPolicy::AllkeysLfu | MaxmemoryPolicy::VolatileLfu => Score::Lfu,
        MaxmemoryPolicy::VolatileTtl => Score::Ttl,
        MaxmemoryPolicy::NoEviction => return None,
    };
    loop {
        let mut total = 0;
        for (i, db) in dbs.iter().enumerate() {
            let size = if volatile {
                db.volatile_len()
            } else {
                db.len()
            };
            if size == 0 {
                continue;
            }
            total += size;
            let access = db.access_policy();
            let pool = &mut eviction.pool;
            db.sample_for_eviction(volatile, samples, &mut rand, |k, e, deadline| {
                pool.offer(score.of(e, deadline, &access, now), k, i);
            });
        }
        if total == 0 {
            return None;
        }
        // Best first; candidates deleted since they were pooled are skipped.
        while let Some(c) = eviction.pool.pop_best() {
            let alive = dbs
                .get(c.db)
                .is_some_and(|d| d.contains_raw(&c.key, volatile));
            if alive {
                let key: Key = c.key.as_slice().into();
                let db = c.db;
                eviction.pool.recycle(c);
                return Some((db, key));
            }
            eviction.pool.recycle(c);
        }
    }
}

/// After CONFIG SET maxmemory: warn when the new limit is under current use, then evict
/// right away (Redis's `updateMaxmemory`).
pub fn on_maxmemory_changed(srv: &mut ServerState) {
    let max = srv.config.maxmemory;
    if let Some(used) = crate::alloc::allocated()
        && max > 0
        && (used as u64) > max
    {
        srv.log.warning(&format!(
            "WARNING: the new maxmemory value set via CONFIG SET ({max}) is smaller than the current memory usage ({used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy."
        ));
    }
    perform_evictions(srv, None);
}
