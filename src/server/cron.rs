//! Periodic work, run `hz` times per second from the event loop (Redis's `serverCron`):
//! active expiry, incremental rehashing, idle-client timeouts, query-buffer trimming and
//! the instantaneous ops/sec sample. Each part has a time budget so the loop keeps serving.

use std::time::{Duration, Instant};

use super::ServerState;

/// Keys sampled per database per active-expiry round (Redis: 20 at effort 1).
const EXPIRE_SAMPLES: usize = 20;
/// Keep sampling while more than this percentage of sampled keys were expired.
const EXPIRE_STALE_PERC: usize = 10;

pub fn tick(state: &mut ServerState) {
    state.refresh_clock();
    active_expire(state);
    if !crate::persistence::fork_active(state) {
        rehash(state);
    }
    clients_cron(state);
    sample_ops(state);
    crate::persistence::cron(state);
    if let Some(peak) = crate::alloc::update_peak() {
        state.stats.mem_peak = peak as u64;
    }
}

/// Delete expired keys that nobody reads, spending at most 25% of a cron period.
fn active_expire(state: &mut ServerState) {
    let hz = state.config.hz.clamp(1, 500) as u64;
    let budget = Duration::from_micros(1_000_000 / hz / 4);
    let start = Instant::now();
    let now = state.now_ms;
    let ServerState {
        dbs, rng, stats, ..
    } = state;
    let mut rand = || rng.next_u64();
    let mut sampled_total = 0usize;
    let mut expired_total = 0usize;
    'dbs: for db in dbs.iter_mut() {
        loop {
            let s = db.expire_sample(EXPIRE_SAMPLES, now, &mut rand);
            sampled_total += s.sampled;
            expired_total += s.expired;
            if s.sampled == 0 || s.expired * 100 / s.sampled <= EXPIRE_STALE_PERC {
                break;
            }
            if start.elapsed() > budget {
                break 'dbs;
            }
        }
    }
    if sampled_total > 0 {
        let perc = expired_total as f64 / sampled_total as f64;
        stats.expired_stale_perc = perc * 0.05 + stats.expired_stale_perc * 0.95;
    }
    stats.expire_cycle_cpu_ms += start.elapsed().as_millis() as u64;
}

/// About 1 ms of incremental rehashing across databases, as Redis's activerehashing.
fn rehash(state: &mut ServerState) {
    let start = Instant::now();
    for db in state.dbs.iter_mut() {
        db.rehash_steps(100);
        if start.elapsed() > Duration::from_millis(1) {
            break;
        }
    }
}

fn clients_cron(state: &mut ServerState) {
    let now = state.now_ms;
    let timeout_ms = state.config.timeout as i64 * 1000;
    let limit = state.config.client_output_buffer_limit[crate::config::OBUF_NORMAL];
    for (_, c) in state.clients.iter_mut() {
        // A client that stopped reading is not served, so its soft limit is timed here.
        if c.pending_output() > 0 && c.over_output_limit(&limit, now) {
            state.stats.client_output_limit_disconnections += 1;
            c.close_asap = true;
            continue;
        }
        if timeout_ms > 0 && now - c.last_interaction_ms > timeout_ms {
            c.close_asap = true;
            continue;
        }
        // Give back a large query buffer once the client is idle.
        if !c.decoder.in_progress() {
            c.qbuf.shrink_if_idle(32 * 1024);
        }
        c.qbuf_peak = c.qbuf.capacity();
    }
}

fn sample_ops(state: &mut ServerState) {
    let (t0, n0) = state.stats.ops_sample;
    let now = state.now_ms;
    if now - t0 >= 100 {
        let n = state.stats.commands_processed;
        if t0 > 0 {
            let rate = (n - n0) as f64 * 1000.0 / (now - t0) as f64;
            state.stats.instantaneous_ops = rate;
        }
        state.stats.ops_sample = (now, n);
    }
}
