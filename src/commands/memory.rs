//! MEMORY USAGE/STATS/DOCTOR/PURGE/MALLOC-STATS/HELP, and the `# Memory` section of INFO.
//!
//! Both read [`Overhead`], the same breakdown Redis's `getMemoryOverheadData` makes: what
//! the allocator counts in total (`used_memory`), what the server spends on its own
//! structures (start-up allocations, client buffers, hash tables), the rest being the
//! dataset. The figures are what the counting allocator (`crate::alloc`) and jemalloc
//! report, so they are exact where Redis's are (allocator totals) and approximate where
//! Redis's are (the per-structure overheads).

use super::Ctx;
use super::args::is;
use super::error::{CmdError, CmdResult};
use super::table::{Command, Group, cmd, flags::*};
use crate::alloc::{self, ALLOCATOR_NAME, usable_size};
use crate::protocol::Reply;
use crate::server::{Client, ServerState};

const SV: Group = Group::Server;

/// MEMORY's subcommands; the container is declared with the server family.
pub static MEMORY: &[Command] = &[
    cmd("memory|doctor", 2, 0, (0, 0, 0), SV, doctor),
    cmd("memory|help", 2, LOADING | STALE, (0, 0, 0), SV, help),
    cmd("memory|malloc-stats", 2, 0, (0, 0, 0), SV, malloc_stats),
    cmd("memory|purge", 2, 0, (0, 0, 0), SV, purge),
    cmd("memory|stats", 2, 0, (0, 0, 0), SV, stats),
    cmd("memory|usage", -3, READONLY, (2, 2, 1), SV, usage),
];

/// Used memory and where it goes (Redis's `struct redisMemOverhead`).
#[derive(Debug, Default, Clone)]
pub struct Overhead {
    pub used: u64,
    pub peak: u64,
    pub startup: u64,
    pub rss: u64,
    pub clients_normal: u64,
    /// Per non-empty database: (index, main table, expires table).
    pub dbs: Vec<(usize, u64, u64)>,
    pub total: u64,
    pub keys: u64,
    pub dataset: u64,
    pub alloc: alloc::AllocatorStats,
}

impl Overhead {
    pub fn measure(srv: &ServerState, caller: &Client) -> Overhead {
        let rss = rss_bytes();
        // Without the counting allocator (the in-process tests) RSS stands in.
        let used = alloc::allocated().map_or(rss, |b| b as u64);
        let peak = alloc::update_peak()
            .map_or(srv.stats.mem_peak, |p| p as u64)
            .max(used);
        let startup = srv.mem_startup;
        let clients_normal = srv
            .clients
            .iter()
            .map(|(_, c)| client_bytes(c))
            .chain(std::iter::once(client_bytes(caller)))
            .sum::<u64>();
        let mut total = startup + clients_normal;
        let mut dbs = Vec::new();
        let mut keys = 0u64;
        for (i, db) in srv.dbs.iter().enumerate() {
            if db.is_empty() {
                continue;
            }
            let (main, expires) = db.overhead_bytes();
            dbs.push((i, main as u64, expires as u64));
            total += (main + expires) as u64;
            keys += db.len() as u64;
        }
        Overhead {
            used,
            peak,
            startup,
            rss,
            clients_normal,
            dbs,
            total,
            keys,
            dataset: used.saturating_sub(total),
            alloc: alloc::allocator_stats().unwrap_or_default(),
        }
    }

    /// Memory beyond what start-up allocated (at least 1, as Redis divides by it).
    fn net(&self) -> u64 {
        self.used.saturating_sub(self.startup).max(1)
    }

    fn dataset_perc(&self) -> f64 {
        self.dataset as f64 * 100.0 / self.net() as f64
    }

    fn peak_perc(&self) -> f64 {
        self.used as f64 * 100.0 / self.peak.max(1) as f64
    }

    fn bytes_per_key(&self) -> u64 {
        self.net().checked_div(self.keys).unwrap_or(0)
    }

    fn allocator_frag(&self) -> (f64, i64) {
        ratio(self.alloc.active, self.alloc.allocated)
    }

    fn allocator_rss(&self) -> (f64, i64) {
        ratio(self.alloc.resident, self.alloc.active)
    }

    fn rss_overhead(&self) -> (f64, i64) {
        ratio(self.rss as usize, self.alloc.resident)
    }

    fn fragmentation(&self) -> (f64, i64) {
        ratio(self.rss as usize, self.used as usize)
    }
}

/// `a / b` and `a - b` as Redis reports them (0 when unknown).
fn ratio(a: usize, b: usize) -> (f64, i64) {
    if b == 0 {
        return (0.0, 0);
    }
    (a as f64 / b as f64, a as i64 - b as i64)
}

/// What a client holds: its struct, query buffer and reply buffer.
fn client_bytes(c: &Client) -> u64 {
    (usable_size(std::mem::size_of::<Client>())
        + usable_size(c.qbuf.capacity())
        + usable_size(c.reply.buf.capacity())) as u64
}

/// Resident set size of the process, from /proc.
pub fn rss_bytes() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = s
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * if page > 0 { page as u64 } else { 4096 }
}

fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages > 0 && size > 0 {
        pages as u64 * size as u64
    } else {
        0
    }
}

/// Redis's `bytesToHuman`.
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    const K: f64 = 1024.0;
    if b < K {
        format!("{bytes}B")
    } else if b < K * K {
        format!("{:.2}K", b / K)
    } else if b < K * K * K {
        format!("{:.2}M", b / K / K)
    } else if b < K * K * K * K {
        format!("{:.2}G", b / K / K / K)
    } else if b < K * K * K * K * K {
        format!("{:.2}T", b / K / K / K / K)
    } else {
        format!("{:.2}P", b / K / K / K / K / K)
    }
}

/// The body of INFO's `# Memory` section, fields in Redis 7.0's order.
pub fn info_memory(srv: &ServerState, caller: &Client) -> String {
    let o = Overhead::measure(srv, caller);
    let sys = total_system_memory();
    let (afrag, afrag_b) = o.allocator_frag();
    let (arss, arss_b) = o.allocator_rss();
    let (rss_over, rss_over_b) = o.rss_overhead();
    let (frag, frag_b) = o.fragmentation();
    let max = srv.config.maxmemory;
    let mut s = String::with_capacity(2048);
    let mut f = |name: &str, v: String| {
        s.push_str(name);
        s.push(':');
        s.push_str(&v);
        s.push_str("\r\n");
    };
    f("used_memory", o.used.to_string());
    f("used_memory_human", human(o.used));
    f("used_memory_rss", o.rss.to_string());
    f("used_memory_rss_human", human(o.rss));
    f("used_memory_peak", o.peak.to_string());
    f("used_memory_peak_human", human(o.peak));
    f("used_memory_peak_perc", format!("{:.2}%", o.peak_perc()));
    f("used_memory_overhead", o.total.to_string());
    f("used_memory_startup", o.startup.to_string());
    f("used_memory_dataset", o.dataset.to_string());
    f(
        "used_memory_dataset_perc",
        format!("{:.2}%", o.dataset_perc()),
    );
    f("allocator_allocated", o.alloc.allocated.to_string());
    f("allocator_active", o.alloc.active.to_string());
    f("allocator_resident", o.alloc.resident.to_string());
    f("total_system_memory", sys.to_string());
    f("total_system_memory_human", human(sys));
    f("used_memory_lua", "0".into());
    f("used_memory_vm_eval", "0".into());
    f("used_memory_lua_human", human(0));
    f("used_memory_scripts_eval", "0".into());
    f("number_of_cached_scripts", "0".into());
    f("number_of_functions", "0".into());
    f("number_of_libraries", "0".into());
    f("used_memory_vm_functions", "0".into());
    f("used_memory_vm_total", "0".into());
    f("used_memory_vm_total_human", human(0));
    f("used_memory_functions", "0".into());
    f("used_memory_scripts", "0".into());
    f("used_memory_scripts_human", human(0));
    f("maxmemory", max.to_string());
    f("maxmemory_human", human(max));
    f("maxmemory_policy", srv.config.maxmemory_policy.to_string());
    f("allocator_frag_ratio", format!("{afrag:.2}"));
    f("allocator_frag_bytes", afrag_b.to_string());
    f("allocator_rss_ratio", format!("{arss:.2}"));
    f("allocator_rss_bytes", arss_b.to_string());
    f("rss_overhead_ratio", format!("{rss_over:.2}"));
    f("rss_overhead_bytes", rss_over_b.to_string());
    f("mem_fragmentation_ratio", format!("{frag:.2}"));
    f("mem_fragmentation_bytes", frag_b.to_string());
    f("mem_not_counted_for_evict", "0".into());
    f("mem_replication_backlog", "0".into());
    f("mem_total_replication_buffers", "0".into());
    f("mem_clients_slaves", "0".into());
    f("mem_clients_normal", o.clients_normal.to_string());
    f("mem_cluster_links", "0".into());
    f("mem_aof_buffer", "0".into());
    f("mem_allocator", ALLOCATOR_NAME.into());
    f("active_defrag_running", "0".into());
    f("lazyfree_pending_objects", "0".into());
    f("lazyfreed_objects", "0".into());
    s
}

fn usage(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    // SAMPLES is accepted for compatibility; sizes here are exact, not sampled.
    let mut i = 3;
    while i < a.len() {
        if is(a[i], "samples") && i + 1 < a.len() {
            let n = super::args::int(a[i + 1])?;
            if n < 0 {
                return Err(CmdError::Syntax);
            }
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let db = &ctx.srv.dbs[ctx.client.db];
    // As Redis: a plain table lookup, without expiry or keyspace statistics.
    match db.memory_usage(a[2]) {
        Some(n) => ctx.client.reply.int(n as i64),
        None => ctx.client.reply.null(),
    }
    Ok(())
}

/// Redis's floats print through a C `float`: keep that precision.
fn float(r: &mut Reply, v: f64) {
    r.double(f64::from(v as f32));
}

fn stats(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let o = Overhead::measure(ctx.srv, ctx.client);
    let r = &mut ctx.client.reply;
    r.map(28 + o.dbs.len() - 1);
    let int = |r: &mut Reply, k: &str, v: i64| {
        r.bulk_str(k);
        r.int(v);
    };
    int(r, "peak.allocated", o.peak as i64);
    int(r, "total.allocated", o.used as i64);
    int(r, "startup.allocated", o.startup as i64);
    int(r, "replication.backlog", 0);
    int(r, "clients.slaves", 0);
    int(r, "clients.normal", o.clients_normal as i64);
    int(r, "cluster.links", 0);
    int(r, "aof.buffer", 0);
    int(r, "lua.caches", 0);
    int(r, "functions.caches", 0);
    for &(i, main, expires) in &o.dbs {
        r.bulk_str(&format!("db.{i}"));
        r.map(3);
        int(r, "overhead.hashtable.main", main as i64);
        int(r, "overhead.hashtable.expires", expires as i64);
        int(r, "overhead.hashtable.slot-to-keys", 0);
    }
    int(r, "overhead.total", o.total as i64);
    int(r, "keys.count", o.keys as i64);
    int(r, "keys.bytes-per-key", o.bytes_per_key() as i64);
    int(r, "dataset.bytes", o.dataset as i64);
    r.bulk_str("dataset.percentage");
    float(r, o.dataset_perc());
    r.bulk_str("peak.percentage");
    float(r, o.peak_perc());
    int(r, "allocator.allocated", o.alloc.allocated as i64);
    int(r, "allocator.active", o.alloc.active as i64);
    int(r, "allocator.resident", o.alloc.resident as i64);
    let pairs = [
        ("allocator-fragmentation", o.allocator_frag()),
        ("allocator-rss", o.allocator_rss()),
        ("rss-overhead", o.rss_overhead()),
    ];
    for (name, (ratio, bytes)) in pairs {
        r.bulk_str(&format!("{name}.ratio"));
        float(r, ratio);
        int(r, &format!("{name}.bytes"), bytes);
    }
    let (frag, frag_b) = o.fragmentation();
    r.bulk_str("fragmentation");
    float(r, frag);
    int(r, "fragmentation.bytes", frag_b);
    Ok(())
}

fn doctor(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let o = Overhead::measure(ctx.srv, ctx.client);
    let clients = ctx.srv.clients.count.max(1) as u64;
    let text = doctor_report(&o, clients);
    ctx.client.reply.verbatim("txt", text.as_bytes());
    Ok(())
}

/// Redis's `getMemoryDoctorReport`, with its thresholds and words.
fn doctor_report(o: &Overhead, clients: u64) -> String {
    const MB10: i64 = 10 << 20;
    if o.used < 5 * 1024 * 1024 {
        return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n".into();
    }
    let mut issues: Vec<String> = Vec::new();
    if o.peak as f64 / o.used as f64 > 1.5 {
        issues.push(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n".into());
    }
    let (frag, frag_b) = o.fragmentation();
    if frag > 1.4 && frag_b > MB10 {
        issues.push(format!(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"{ALLOCATOR_NAME}\".\n\n"));
    }
    let (afrag, afrag_b) = o.allocator_frag();
    if afrag > 1.1 && afrag_b > MB10 {
        issues.push(" * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n".into());
    }
    let (arss, arss_b) = o.allocator_rss();
    if arss > 1.1 && arss_b > MB10 {
        issues.push(" * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n".into());
    }
    let (prss, prss_b) = o.rss_overhead();
    if prss > 1.1 && prss_b > MB10 {
        issues.push(" * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n".into());
    }
    if o.clients_normal / clients > 1024 * 200 {
        issues.push(" * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n".into());
    }
    if issues.is_empty() {
        return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n".into();
    }
    let mut s =
        String::from("Sam, I detected a few issues in this Redis instance memory implants:\n\n");
    for i in issues {
        s.push_str(&i);
    }
    s.push_str("I'm here to keep you safe, Sam. I want to help you.\n");
    s
}

fn malloc_stats(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let text = alloc::malloc_stats();
    ctx.client.reply.verbatim("txt", text.as_bytes());
    Ok(())
}

fn purge(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    // Redis replies OK whether or not the allocator supports purging.
    alloc::purge();
    ctx.client.reply.ok();
    Ok(())
}

fn help(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let lines = [
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    ];
    super::server::reply_help(ctx.reply(), &lines);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes_as_redis() {
        assert_eq!(human(0), "0B");
        assert_eq!(human(1023), "1023B");
        assert_eq!(human(914_568), "893.13K");
        assert_eq!(human(12_107_776), "11.55M");
        assert_eq!(human(25_276_063_744), "23.54G");
    }

    #[test]
    fn doctor_reports_as_redis() {
        let small = Overhead {
            used: 1 << 20,
            ..Default::default()
        };
        assert!(doctor_report(&small, 1).starts_with("Hi Sam, this instance is empty"));
        let fine = Overhead {
            used: 100 << 20,
            peak: 100 << 20,
            rss: 100 << 20,
            ..Default::default()
        };
        assert!(doctor_report(&fine, 1).starts_with("Hi Sam, I can't find any memory issue"));
        let peaked = Overhead {
            peak: 400 << 20,
            ..fine
        };
        let r = doctor_report(&peaked, 1);
        assert!(r.starts_with("Sam, I detected a few issues"));
        assert!(r.contains(" * Peak memory:"));
        assert!(r.ends_with("I want to help you.\n"));
    }
}
