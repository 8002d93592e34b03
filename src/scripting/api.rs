//! The C functions scripts see: the `redis` table (call, pcall, log, setresp, sha1hex,
//! error_reply, status_reply, set_repl, replicate_commands, acl_check_cmd...),
//! `redis.register_function` for libraries, Redis's `pcall`, the deterministic
//! `math.random`, the error handler and the protected-global error. Texts are Redis 7.0's.
//!
//! Every function here follows [`super::lua`]'s rule: compute with Rust values in an inner
//! function, then raise (if needed) only after they are dropped.

use std::ffi::{CStr, c_int};

use super::convert;
use super::ffi::{self, lua_State};
use super::lua::{self, LuaError, get_field, push_bytes, raise, set_field, set_fn};
use super::{current, current_server, functions};
use crate::commands::table::{Command, find_subcommand, flags, table};
use crate::server::log::Level;

// ---------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------

/// Fill the `redis` table at `t` for scripts.
///
/// # Safety
/// `t` must be a table.
pub unsafe fn register_redis_api(l: *mut lua_State, t: c_int) {
    // SAFETY: per the caller's contract.
    unsafe {
        let t = lua::abs_index(l, t);
        set_fn(l, t, "call", redis_call);
        set_fn(l, t, "pcall", redis_pcall);
        register_log_and_version(l, t);
        set_fn(l, t, "setresp", set_resp);
        set_fn(l, t, "sha1hex", sha1hex);
        set_fn(l, t, "error_reply", error_reply);
        set_fn(l, t, "status_reply", status_reply);
        set_fn(l, t, "set_repl", set_repl);
        set_fn(l, t, "replicate_commands", replicate_commands);
        set_fn(l, t, "breakpoint", breakpoint);
        set_fn(l, t, "debug", debug);
        set_fn(l, t, "acl_check_cmd", acl_check_cmd);
        for (name, v) in [
            ("REPL_NONE", 0.0),
            ("REPL_AOF", 1.0),
            ("REPL_SLAVE", 2.0),
            ("REPL_REPLICA", 2.0),
            ("REPL_ALL", 3.0),
        ] {
            set_field(l, t, name, || ffi::lua_pushnumber(l, v));
        }
    }
}

/// `redis.log`, the LOG_* levels and the version fields (shared with the load-time API).
///
/// # Safety
/// `t` must be a table.
pub unsafe fn register_log_and_version(l: *mut lua_State, t: c_int) {
    // SAFETY: per the caller's contract.
    unsafe {
        let t = lua::abs_index(l, t);
        set_fn(l, t, "log", log);
        for (name, v) in [
            ("LOG_DEBUG", 0.0),
            ("LOG_VERBOSE", 1.0),
            ("LOG_NOTICE", 2.0),
            ("LOG_WARNING", 3.0),
        ] {
            set_field(l, t, name, || ffi::lua_pushnumber(l, v));
        }
        let version = crate::server::REDIS_VERSION;
        set_field(l, t, "REDIS_VERSION", || push_bytes(l, version.as_bytes()));
        let num = version.split('.').take(3).fold(0u32, |acc, p| {
            (acc << 8) | p.parse::<u32>().unwrap_or(0) & 0xff
        });
        set_field(l, t, "REDIS_VERSION_NUM", || {
            ffi::lua_pushnumber(l, num as f64)
        });
    }
}

// ---------------------------------------------------------------------------------------
// redis.call / redis.pcall
// ---------------------------------------------------------------------------------------

unsafe extern "C-unwind" fn redis_call(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe { generic_call(l, true) }
}

unsafe extern "C-unwind" fn redis_pcall(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe { generic_call(l, false) }
}

/// A failure before the command ran.
struct CallError {
    msg: String,
    /// Already counted in the error statistics (the command was rejected by scriptCall).
    counted: bool,
}

unsafe fn generic_call(l: *mut lua_State, raise_error: bool) -> c_int {
    // SAFETY: called by Lua; see the module comment about raising.
    unsafe {
        match call_inner(l) {
            Ok(()) => {
                if raise_error && is_error_table(l) {
                    ffi::lua_error(l);
                }
                1
            }
            Err(e) => {
                ffi::lua_settop(l, 0);
                lua::push_error_table(l, &e.msg);
                if e.counted {
                    set_field(l, -1, "ignore_error_stats_update", || {
                        ffi::lua_pushboolean(l, 1)
                    });
                }
                drop(e);
                if raise_error {
                    ffi::lua_error(l);
                }
                1
            }
        }
    }
}

unsafe fn is_error_table(l: *mut lua_State) -> bool {
    // SAFETY: raw read of the value at the top.
    unsafe {
        if ffi::lua_type(l, -1) != ffi::LUA_TTABLE {
            return false;
        }
        let t = get_field(l, -1, "err");
        ffi::lua_pop(l, 1);
        t == ffi::LUA_TSTRING
    }
}

fn call_err(msg: &str) -> CallError {
    CallError {
        msg: msg.to_string(),
        counted: false,
    }
}

/// Resolve a command the way Redis's lookupCommand does for scripts: a container with a
/// subcommand argument resolves to the subcommand, or to nothing if it is unknown.
fn lookup(args: &[Vec<u8>]) -> Option<&'static Command> {
    let (_, cmd) = table().lookup(&args[0])?;
    if !cmd.subcommands.is_empty() && args.len() >= 2 {
        return find_subcommand(cmd, &args[1]);
    }
    Some(cmd)
}

/// Convert the arguments, check them as Redis's scriptCall does, run the command and push
/// its reply converted to Lua.
unsafe fn call_inner(l: *mut lua_State) -> Result<(), CallError> {
    // SAFETY: called by Lua during run_script (or not, which is reported).
    unsafe {
        let Some((srv, client)) = current() else {
            return Err(call_err(
                "redis.call/pcall can only be called inside a script invocation",
            ));
        };
        let argc = ffi::lua_gettop(l);
        if argc == 0 {
            return Err(call_err(
                "Please specify at least one argument for this redis lib call",
            ));
        }
        let mut args: Vec<Vec<u8>> = Vec::with_capacity(argc as usize);
        for j in 1..=argc {
            match ffi::lua_type(l, j) {
                ffi::LUA_TNUMBER => {
                    // Not Lua's %.14g, which loses precision.
                    args.push(lua::fmt_g(ffi::lua_tonumber(l, j), 17).into_bytes());
                }
                ffi::LUA_TSTRING => args.push(lua::to_bytes(l, j).unwrap_or(b"").to_vec()),
                _ => {
                    return Err(call_err(
                        "Lua redis lib command arguments must be strings or integers",
                    ));
                }
            }
        }
        ffi::lua_settop(l, 0);
        let rejected = |srv: &mut crate::server::ServerState, msg: &str| {
            crate::commands::count_error(srv, &lua::error_table_text(msg));
            CallError {
                msg: msg.to_string(),
                counted: true,
            }
        };
        let cmd = match lookup(&args) {
            Some(c) if c.arity_ok(args.len()) => c,
            Some(_) => {
                return Err(rejected(
                    srv,
                    "Wrong number of args calling Redis command from script",
                ));
            }
            None => return Err(rejected(srv, "Unknown Redis command called from script")),
        };
        if cmd.has(flags::NOSCRIPT) {
            return Err(rejected(
                srv,
                "This Redis command is not allowed from script",
            ));
        }
        // Out of memory when the script started: it may not begin writing (Redis's
        // scriptVerifyOOM); once it has written, it cannot be stopped half-way.
        let oom = srv.config.maxmemory > 0 && srv.eviction.oom_at_command_start;
        let Some(run) = srv.scripting.run.as_mut() else {
            return Err(call_err(
                "redis.call/pcall can only be called inside a script invocation",
            ));
        };
        if run.read_only && cmd.flags & (flags::WRITE | flags::MAY_REPLICATE) != 0 {
            return Err(rejected(
                srv,
                "Write commands are not allowed from read-only scripts.",
            ));
        }
        if oom && cmd.has(flags::DENYOOM) && !run.write_dirty {
            return Err(rejected(
                srv,
                "-OOM command not allowed when used memory > 'maxmemory'.",
            ));
        }
        if cmd.has(flags::WRITE) {
            run.write_dirty = true;
        }
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        client.reply.buf.clear();
        crate::commands::execute(srv, client, &argv);
        drop(argv);
        drop(args);
        let used = convert::resp_to_lua(l, &client.reply.buf);
        client.reply.buf.clear();
        if used.is_none() {
            ffi::lua_settop(l, 0);
            ffi::lua_pushnil(l);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The rest of the redis table
// ---------------------------------------------------------------------------------------

/// Raise Redis's error table for `msg` (luaPushError + luaError).
unsafe fn raise_table(l: *mut lua_State, msg: &str) -> ! {
    // SAFETY: per lua::raise; the owned copy is dropped inside.
    unsafe { raise(l, LuaError::Table(msg.to_string())) }
}

unsafe extern "C-unwind" fn log(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        let argc = ffi::lua_gettop(l);
        if argc < 2 {
            raise_table(l, "redis.log() requires two arguments or more.");
        }
        if ffi::lua_isnumber(l, 1) == 0 {
            raise_table(l, "First argument must be a number (log level).");
        }
        let level = ffi::lua_tonumber(l, 1) as i64;
        if !(0..=3).contains(&level) {
            raise_table(l, "Invalid debug level.");
        }
        let level = [Level::Debug, Level::Verbose, Level::Notice, Level::Warning][level as usize];
        if let Some(srv) = current_server() {
            if level < srv.log.level {
                return 0;
            }
            let mut msg = Vec::new();
            for j in 2..=argc {
                if let Some(s) = lua::to_bytes(l, j) {
                    if j != 2 {
                        msg.push(b' ');
                    }
                    msg.extend_from_slice(s);
                }
            }
            srv.log.log(level, &String::from_utf8_lossy(&msg));
        }
        0
    }
}

unsafe extern "C-unwind" fn set_resp(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        let Some((srv, client)) = current() else {
            raise_table(
                l,
                "redis.setresp can only be called inside a script invocation",
            );
        };
        if ffi::lua_gettop(l) != 1 {
            raise_table(l, "redis.setresp() requires one argument.");
        }
        let resp = ffi::lua_tonumber(l, 1) as i64;
        if resp != 2 && resp != 3 {
            raise_table(l, "RESP version must be 2 or 3.");
        }
        if let Some(run) = srv.scripting.run.as_mut() {
            run.resp3 = resp == 3;
        }
        client.reply.resp3 = resp == 3;
        0
    }
}

unsafe extern "C-unwind" fn sha1hex(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        if ffi::lua_gettop(l) != 1 {
            raise_table(l, "wrong number of arguments");
        }
        let digest = super::sha1_hex(lua::to_bytes(l, 1).unwrap_or(b""));
        push_bytes(l, &digest);
        1
    }
}

/// Push `{field = arg1}` or Redis's error table for a bad call (returned, not raised).
unsafe fn single_field_table(l: *mut lua_State, field: &str) -> c_int {
    // SAFETY: called from a C function registered with Lua.
    unsafe {
        if ffi::lua_gettop(l) != 1 || ffi::lua_type(l, -1) != ffi::LUA_TSTRING {
            lua::push_error_table(l, "wrong number or type of arguments");
            return 1;
        }
        ffi::lua_createtable(l, 0, 1);
        push_bytes(l, field.as_bytes());
        ffi::lua_pushvalue(l, -3);
        ffi::lua_rawset(l, -3);
        1
    }
}

unsafe extern "C-unwind" fn error_reply(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        if ffi::lua_gettop(l) != 1 || ffi::lua_type(l, -1) != ffi::LUA_TSTRING {
            lua::push_error_table(l, "wrong number or type of arguments");
            return 1;
        }
        let msg = String::from_utf8_lossy(lua::to_bytes(l, 1).unwrap_or(b"")).into_owned();
        let msg = if msg.starts_with('-') {
            msg
        } else {
            format!("-{msg}")
        };
        lua::push_error_table(l, &msg);
        1
    }
}

unsafe extern "C-unwind" fn status_reply(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe { single_field_table(l, "ok") }
}

unsafe extern "C-unwind" fn set_repl(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        if current_server().is_none() {
            raise_table(
                l,
                "redis.set_repl can only be called inside a script invocation",
            );
        }
        if ffi::lua_gettop(l) != 1 {
            raise_table(l, "redis.set_repl() requires two arguments.");
        }
        let flags = ffi::lua_tonumber(l, -1) as i64;
        if flags & !3 != 0 {
            raise_table(
                l,
                "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
            );
        }
        // Replication is not implemented: nothing to choose.
        0
    }
}

unsafe extern "C-unwind" fn replicate_commands(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        ffi::lua_pushboolean(l, 1);
        1
    }
}

/// No script debugger: as Redis when one is not active.
unsafe extern "C-unwind" fn breakpoint(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        ffi::lua_pushboolean(l, 0);
        1
    }
}

unsafe extern "C-unwind" fn debug(_l: *mut lua_State) -> c_int {
    0
}

unsafe extern "C-unwind" fn acl_check_cmd(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        let argc = ffi::lua_gettop(l);
        let mut args: Vec<Vec<u8>> = Vec::new();
        let mut bad_type = false;
        for j in 1..=argc {
            match ffi::lua_type(l, j) {
                ffi::LUA_TNUMBER | ffi::LUA_TSTRING => {
                    args.push(lua::to_bytes(l, j).unwrap_or(b"").to_vec())
                }
                _ => bad_type = true,
            }
        }
        let known = !args.is_empty() && !bad_type && lookup(&args).is_some();
        drop(args);
        if argc == 0 {
            raise_table(
                l,
                "Please specify at least one argument for this redis lib call",
            );
        }
        if bad_type {
            raise_table(
                l,
                "Lua redis lib command arguments must be strings or integers",
            );
        }
        if !known {
            raise_table(l, "Invalid command passed to redis.acl_check_cmd()");
        }
        // Only the default user exists, and it may run everything.
        ffi::lua_pushboolean(l, 1);
        1
    }
}

// ---------------------------------------------------------------------------------------
// Base library replacements and handlers
// ---------------------------------------------------------------------------------------

/// Redis 7.0's `pcall`: as Lua's, but an error that is a Redis error table is returned as
/// its `err` string.
///
/// # Safety
/// Only called by Lua, as a C function of the state it was registered in.
pub unsafe extern "C-unwind" fn lua_pcall_wrapper(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua; lua_pcall catches every error of the callee.
    unsafe {
        let argc = ffi::lua_gettop(l);
        if argc == 0 {
            // Redis's wrapper then calls its own `true` placeholder.
            ffi::lua_pushboolean(l, 0);
            push_bytes(l, b"attempt to call a boolean value");
            return 2;
        }
        ffi::lua_pushboolean(l, 1);
        ffi::lua_insert(l, 1);
        if ffi::lua_pcall(l, argc - 1, ffi::LUA_MULTRET, 0) != 0 {
            ffi::lua_remove(l, 1);
            if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
                get_field(l, -1, "err");
                if ffi::lua_isstring(l, -1) != 0 {
                    ffi::lua_replace(l, -2);
                } else {
                    ffi::lua_pop(l, 1);
                }
            }
            ffi::lua_pushboolean(l, 0);
            ffi::lua_insert(l, 1);
        }
        ffi::lua_gettop(l)
    }
}

/// Redis's `__redis__err__handler`: turn any error into an error table and record where
/// it happened (the Lua caller when the error came from a C function).
///
/// # Safety
/// Only called by Lua, as a C function of the state it was registered in.
pub unsafe extern "C-unwind" fn error_handler(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua as a message handler with the error at index 1.
    unsafe {
        ffi::lua_settop(l, 1);
        let mut ar: ffi::lua_Debug = std::mem::zeroed();
        let mut found = ffi::lua_getstack(l, 1, &mut ar) != 0;
        if found {
            ffi::lua_getinfo(l, c"nSl".as_ptr(), &mut ar);
            if !ar.what.is_null() && CStr::from_ptr(ar.what).to_bytes() == b"C" {
                found = ffi::lua_getstack(l, 2, &mut ar) != 0;
                if found {
                    ffi::lua_getinfo(l, c"nSl".as_ptr(), &mut ar);
                }
            }
        }
        if ffi::lua_type(l, 1) != ffi::LUA_TTABLE {
            let msg = match ffi::lua_type(l, 1) {
                ffi::LUA_TNIL => b"nil".to_vec(),
                ffi::LUA_TBOOLEAN => {
                    if ffi::lua_toboolean(l, 1) != 0 {
                        b"true".to_vec()
                    } else {
                        b"false".to_vec()
                    }
                }
                _ => match lua::to_bytes(l, 1) {
                    Some(b) => b.to_vec(),
                    None => format!(
                        "{}: {:p}",
                        CStr::from_ptr(ffi::lua_typename(l, ffi::lua_type(l, 1))).to_string_lossy(),
                        ffi::lua_topointer(l, 1)
                    )
                    .into_bytes(),
                },
            };
            ffi::lua_createtable(l, 0, 3);
            let mut full = b"ERR ".to_vec();
            full.extend_from_slice(&msg);
            set_field(l, -1, "err", || push_bytes(l, &full));
            ffi::lua_replace(l, 1);
        }
        if found && ffi::lua_isreadonlytable(l, 1) == 0 {
            let source = CStr::from_ptr(ar.source).to_bytes().to_vec();
            set_field(l, 1, "source", || push_bytes(l, &source));
            set_field(l, 1, "line", || {
                ffi::lua_pushnumber(l, ar.currentline as f64)
            });
        }
        1
    }
}

/// `__index` of protected globals: reading an undefined global is an error.
///
/// # Safety
/// Only called by Lua, as a C function of the state it was registered in.
pub unsafe extern "C-unwind" fn protected_table_error(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua as a metamethod (table, key).
    unsafe {
        let name = lua::to_bytes(l, 2)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_else(|| "?".into());
        lua::raise_msg(
            l,
            format!("Script attempted to access nonexistent global variable '{name}'"),
        )
    }
}

// ---------------------------------------------------------------------------------------
// math.random: Redis's lrand48 so scripts see the same sequence on every server
// ---------------------------------------------------------------------------------------

/// lrand48's initial state (as if seeded with the classic 0x1234ABCD330E).
pub const RAND48_INIT: u64 = 0x1234_ABCD_330E;
const RAND48_MASK: u64 = (1 << 48) - 1;

fn rand48_next(state: &mut u64) -> i32 {
    *state = (state.wrapping_mul(0x5_DEEC_E66D).wrapping_add(0xB)) & RAND48_MASK;
    (*state >> 17) as i32
}

fn rand48_seed(state: &mut u64, seed: i32) {
    *state = (((seed as u32) as u64) << 16 | 0x330E) & RAND48_MASK;
}

unsafe fn rand_state<'a>() -> Option<&'a mut u64> {
    // SAFETY: see current_server.
    unsafe { current_server().map(|s| &mut s.scripting.rand48) }
}

///
/// # Safety
/// Only called by Lua, as a C function of the state it was registered in.
pub unsafe extern "C-unwind" fn math_random(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        let mut fallback = RAND48_INIT;
        let st = rand_state().unwrap_or(&mut fallback);
        let v = rand48_next(st) as i64 % i32::MAX as i64;
        let r = v as f64 / i32::MAX as f64;
        match ffi::lua_gettop(l) {
            0 => ffi::lua_pushnumber(l, r),
            1 => {
                let Some(u) = check_int(l, 1, "random") else {
                    return 0;
                };
                if u < 1 {
                    lua::raise_msg(l, "bad argument #1 to 'random' (interval is empty)".into());
                }
                ffi::lua_pushnumber(l, (r * u as f64).floor() + 1.0);
            }
            2 => {
                let (Some(lo), Some(up)) = (check_int(l, 1, "random"), check_int(l, 2, "random"))
                else {
                    return 0;
                };
                if lo > up {
                    lua::raise_msg(l, "bad argument #2 to 'random' (interval is empty)".into());
                }
                ffi::lua_pushnumber(l, (r * (up - lo + 1) as f64).floor() + lo as f64);
            }
            _ => lua::raise_msg(l, "wrong number of arguments".into()),
        }
        1
    }
}

///
/// # Safety
/// Only called by Lua, as a C function of the state it was registered in.
pub unsafe extern "C-unwind" fn math_randomseed(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        let Some(seed) = check_int(l, 1, "randomseed") else {
            return 0;
        };
        if let Some(st) = rand_state() {
            rand48_seed(st, seed as i32);
        }
        0
    }
}

/// luaL_checkint: the argument as an int, or a raised "bad argument" error.
unsafe fn check_int(l: *mut lua_State, arg: c_int, fname: &str) -> Option<i64> {
    // SAFETY: called from a C function registered with Lua.
    unsafe {
        if ffi::lua_isnumber(l, arg) == 0 {
            let got = if ffi::lua_type(l, arg) == ffi::LUA_TNONE {
                "no value".to_string()
            } else {
                CStr::from_ptr(ffi::lua_typename(l, ffi::lua_type(l, arg)))
                    .to_string_lossy()
                    .into_owned()
            };
            lua::raise_msg(
                l,
                format!("bad argument #{arg} to '{fname}' (number expected, got {got})"),
            );
        }
        Some(ffi::lua_tointeger(l, arg) as i32 as i64)
    }
}

// ---------------------------------------------------------------------------------------
// redis.register_function (FUNCTION LOAD only)
// ---------------------------------------------------------------------------------------

///
/// # Safety
/// Only called by Lua, as a C function of the state it was registered in.
pub unsafe extern "C-unwind" fn register_function(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua while a library loads.
    unsafe {
        match functions::register_function_inner(l) {
            Ok(()) => 0,
            Err(msg) => raise(l, LuaError::Table(msg)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rand48_matches_redis() {
        // Redis 7.0: math.randomseed(1); math.random(1000), math.random(1000) → 42, 455.
        let mut st = RAND48_INIT;
        rand48_seed(&mut st, 1);
        let mut draw = |u: f64| {
            let v = rand48_next(&mut st) as i64 % i32::MAX as i64;
            ((v as f64 / i32::MAX as f64) * u).floor() + 1.0
        };
        assert_eq!(draw(1000.0), 42.0);
        assert_eq!(draw(1000.0), 455.0);
    }
}
