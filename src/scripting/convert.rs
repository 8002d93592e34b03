//! Value conversions with Redis's rules.
//!
//! RESP → Lua (a command's reply inside `redis.call`): integer → number, bulk → string,
//! null bulk/array (RESP2) → false, array → table, status → `{ok=...}`, error →
//! `{err=...}`; RESP3: map → `{map={k=v}}`, set → `{set={k=true}}`, double →
//! `{double=n}`, null → nil, boolean → boolean, big number → `{big_number=s}`, verbatim →
//! `{verbatim_string={format=, string=}}`.
//!
//! Lua → RESP (a script's return value): number → integer (truncated as C's cast), string →
//! bulk, boolean → 1/null (or a RESP3 boolean after `redis.setresp(3)`), table → error /
//! status / double / big number / verbatim / map / set by its field, otherwise an array up
//! to the first nil; anything else → null.

use std::ffi::c_int;

use super::ffi::{self, lua_State};
use super::lua::{self, get_field, push_bytes, set_field};
use crate::protocol::Reply;

/// Push the Lua form of the single RESP reply at the start of `buf`. Returns the bytes it
/// used, or None if the reply is malformed (never for replies our encoder wrote).
///
/// # Safety
/// `l` must be a valid state.
pub unsafe fn resp_to_lua(l: *mut lua_State, buf: &[u8]) -> Option<usize> {
    // SAFETY: per the caller's contract.
    unsafe {
        if ffi::lua_checkstack(l, 5) == 0 {
            return None;
        }
        let (&kind, rest) = buf.split_first()?;
        let nl = rest.windows(2).position(|w| w == b"\r\n")?;
        let line = &rest[..nl];
        let mut used = 1 + nl + 2;
        match kind {
            b':' => {
                let n = parse_int(line)?;
                ffi::lua_pushnumber(l, n as f64);
            }
            b'$' => {
                let n = parse_int(line)?;
                if n < 0 {
                    ffi::lua_pushboolean(l, 0);
                } else {
                    let n = n as usize;
                    let data = buf.get(used..used + n)?;
                    push_bytes(l, data);
                    used += n + 2;
                }
            }
            b'+' => {
                ffi::lua_createtable(l, 0, 1);
                set_field(l, -1, "ok", || push_bytes(l, line));
            }
            b'-' => {
                // luaPushErrorBuff on "-<line>", then the flag that the error was already
                // counted by the command.
                let text = String::from_utf8_lossy(line);
                lua::push_error_table(l, &format!("-{text}"));
                set_field(l, -1, "ignore_error_stats_update", || {
                    ffi::lua_pushboolean(l, 1)
                });
            }
            b'*' | b'>' => {
                let n = parse_int(line)?;
                if n < 0 {
                    ffi::lua_pushboolean(l, 0);
                } else {
                    ffi::lua_createtable(l, n.min(1 << 20) as c_int, 0);
                    for i in 0..n {
                        used += resp_to_lua(l, &buf[used..])?;
                        ffi::lua_rawseti(l, -2, (i + 1) as c_int);
                    }
                }
            }
            b'%' => {
                let n = parse_int(line)?;
                ffi::lua_createtable(l, 0, 1);
                push_bytes(l, b"map");
                ffi::lua_createtable(l, 0, n.clamp(0, 1 << 20) as c_int);
                for _ in 0..n {
                    used += resp_to_lua(l, &buf[used..])?;
                    used += resp_to_lua(l, &buf[used..])?;
                    ffi::lua_rawset(l, -3);
                }
                ffi::lua_rawset(l, -3);
            }
            b'~' => {
                let n = parse_int(line)?;
                ffi::lua_createtable(l, 0, 1);
                push_bytes(l, b"set");
                ffi::lua_createtable(l, 0, n.clamp(0, 1 << 20) as c_int);
                for _ in 0..n {
                    used += resp_to_lua(l, &buf[used..])?;
                    ffi::lua_pushboolean(l, 1);
                    ffi::lua_rawset(l, -3);
                }
                ffi::lua_rawset(l, -3);
            }
            b'_' => ffi::lua_pushnil(l),
            b'#' => ffi::lua_pushboolean(l, (line == b"t") as c_int),
            b',' => {
                let d = parse_double(line)?;
                ffi::lua_createtable(l, 0, 1);
                set_field(l, -1, "double", || ffi::lua_pushnumber(l, d));
            }
            b'(' => {
                ffi::lua_createtable(l, 0, 1);
                set_field(l, -1, "big_number", || push_bytes(l, line));
            }
            b'=' => {
                let n = parse_int(line)? as usize;
                let data = buf.get(used..used + n)?;
                used += n + 2;
                let (format, text) = if data.len() >= 4 {
                    (&data[..3], &data[4..])
                } else {
                    (&b""[..], data)
                };
                ffi::lua_createtable(l, 0, 1);
                push_bytes(l, b"verbatim_string");
                ffi::lua_createtable(l, 0, 2);
                set_field(l, -1, "format", || push_bytes(l, format));
                set_field(l, -1, "string", || push_bytes(l, text));
                ffi::lua_rawset(l, -3);
            }
            _ => return None,
        }
        Some(used)
    }
}

fn parse_int(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

fn parse_double(b: &[u8]) -> Option<f64> {
    match b {
        b"inf" => Some(f64::INFINITY),
        b"-inf" => Some(f64::NEG_INFINITY),
        b"nan" | b"-nan" => Some(f64::NAN),
        _ => std::str::from_utf8(b).ok()?.parse().ok(),
    }
}

/// Write the Lua value at the top of the stack to `out`, and pop it. `script_resp3` is the
/// protocol the script chose with `redis.setresp` (it decides how booleans map).
///
/// # Safety
/// `l` must be a valid state with a value on the stack.
pub unsafe fn lua_to_reply(l: *mut lua_State, out: &mut Reply, script_resp3: bool) {
    // SAFETY: per the caller's contract; raw accesses only.
    unsafe {
        if ffi::lua_checkstack(l, 4) == 0 {
            out.error("ERR reached lua stack limit");
            ffi::lua_pop(l, 1);
            return;
        }
        match ffi::lua_type(l, -1) {
            ffi::LUA_TSTRING => out.bulk(lua::to_bytes(l, -1).unwrap_or(b"")),
            ffi::LUA_TBOOLEAN => {
                let b = ffi::lua_toboolean(l, -1) != 0;
                if script_resp3 {
                    out.boolean(b);
                } else if b {
                    out.int(1);
                } else {
                    out.null();
                }
            }
            ffi::LUA_TNUMBER => out.int(lua::c_double_to_i64(ffi::lua_tonumber(l, -1))),
            ffi::LUA_TTABLE => {
                table_to_reply(l, out, script_resp3);
                return;
            }
            _ => out.null(),
        }
        ffi::lua_pop(l, 1);
    }
}

/// Replace CR and LF by spaces (status and big number replies must stay on one line).
fn one_line(b: &[u8]) -> Vec<u8> {
    b.iter()
        .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c })
        .collect()
}

/// The table case of [`lua_to_reply`]; pops the table.
unsafe fn table_to_reply(l: *mut lua_State, out: &mut Reply, script_resp3: bool) {
    // SAFETY: the table is at -1; raw accesses only; the stack is balanced per branch.
    unsafe {
        if get_field(l, -1, "err") == ffi::LUA_TSTRING {
            let msg = lua::to_bytes(l, -1).unwrap_or(b"");
            out.error(&String::from_utf8_lossy(msg));
            ffi::lua_pop(l, 2);
            return;
        }
        ffi::lua_pop(l, 1);
        if get_field(l, -1, "ok") == ffi::LUA_TSTRING {
            out.simple_bytes(&one_line(lua::to_bytes(l, -1).unwrap_or(b"")));
            ffi::lua_pop(l, 2);
            return;
        }
        ffi::lua_pop(l, 1);
        if get_field(l, -1, "double") == ffi::LUA_TNUMBER {
            out.double(ffi::lua_tonumber(l, -1));
            ffi::lua_pop(l, 2);
            return;
        }
        ffi::lua_pop(l, 1);
        if get_field(l, -1, "big_number") == ffi::LUA_TSTRING {
            out.big_number(&one_line(lua::to_bytes(l, -1).unwrap_or(b"")));
            ffi::lua_pop(l, 2);
            return;
        }
        ffi::lua_pop(l, 1);
        if get_field(l, -1, "verbatim_string") == ffi::LUA_TTABLE {
            if get_field(l, -1, "format") == ffi::LUA_TSTRING {
                if get_field(l, -2, "string") == ffi::LUA_TSTRING {
                    let format =
                        String::from_utf8_lossy(lua::to_bytes(l, -2).unwrap_or(b"")).into_owned();
                    out.verbatim(&format, lua::to_bytes(l, -1).unwrap_or(b""));
                    ffi::lua_pop(l, 4);
                    return;
                }
                ffi::lua_pop(l, 1);
            }
            ffi::lua_pop(l, 1);
        }
        ffi::lua_pop(l, 1);
        if get_field(l, -1, "map") == ffi::LUA_TTABLE {
            let n = count_pairs(l);
            out.map(n);
            ffi::lua_pushnil(l);
            while ffi::lua_next(l, -2) != 0 {
                ffi::lua_pushvalue(l, -2);
                lua_to_reply(l, out, script_resp3); // key
                lua_to_reply(l, out, script_resp3); // value
            }
            ffi::lua_pop(l, 2);
            return;
        }
        ffi::lua_pop(l, 1);
        if get_field(l, -1, "set") == ffi::LUA_TTABLE {
            let n = count_pairs(l);
            out.set(n);
            ffi::lua_pushnil(l);
            while ffi::lua_next(l, -2) != 0 {
                ffi::lua_pop(l, 1);
                ffi::lua_pushvalue(l, -1);
                lua_to_reply(l, out, script_resp3);
            }
            ffi::lua_pop(l, 2);
            return;
        }
        ffi::lua_pop(l, 1);
        // An array: elements 1.. up to the first nil.
        let mut n = 0;
        loop {
            ffi::lua_rawgeti(l, -1, n + 1);
            let nil = ffi::lua_type(l, -1) == ffi::LUA_TNIL;
            ffi::lua_pop(l, 1);
            if nil {
                break;
            }
            n += 1;
        }
        out.array(n as usize);
        for i in 1..=n {
            ffi::lua_rawgeti(l, -1, i);
            lua_to_reply(l, out, script_resp3);
        }
        ffi::lua_pop(l, 1);
    }
}

/// Number of pairs in the table at -1.
unsafe fn count_pairs(l: *mut lua_State) -> usize {
    let mut n = 0;
    // SAFETY: the table is at -1.
    unsafe {
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            ffi::lua_pop(l, 1);
            n += 1;
        }
    }
    n
}

/// The error reply for a failed script, from the error value at the top of the stack
/// (luaCallFunction): a Redis error table gives `<err> script: <name>, on <source>:<line>.`
/// Returns the text and whether the error was already counted in the error statistics.
///
/// # Safety
/// `l` must be a valid state with the error value on top.
pub unsafe fn error_reply_text(l: *mut lua_State, name: &str) -> (String, bool) {
    // SAFETY: raw reads of the error table.
    unsafe {
        if ffi::lua_type(l, -1) != ffi::LUA_TTABLE {
            let msg = lua::to_bytes(l, -1)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_else(|| "execution failure".into());
            let msg: String = msg.chars().take(100).collect();
            return (format!("ERR Error running script {name}, {msg}"), false);
        }
        let msg = if ffi::lua_isstring(l, {
            get_field(l, -1, "err");
            -1
        }) != 0
        {
            String::from_utf8_lossy(lua::to_bytes(l, -1).unwrap_or(b"")).into_owned()
        } else {
            // Redis 7.0.15 crashes on an error table without a message; say something.
            "ERR unknown error".to_string()
        };
        ffi::lua_pop(l, 1);
        let source = if get_field(l, -1, "source") == ffi::LUA_TSTRING {
            Some(String::from_utf8_lossy(lua::to_bytes(l, -1).unwrap_or(b"")).into_owned())
        } else {
            None
        };
        ffi::lua_pop(l, 1);
        let line = if ffi::lua_isnumber(l, {
            get_field(l, -1, "line");
            -1
        }) != 0
        {
            Some(lua::c_double_to_i64(ffi::lua_tonumber(l, -1)))
        } else {
            None
        };
        ffi::lua_pop(l, 1);
        get_field(l, -1, "ignore_error_stats_update");
        let counted = ffi::lua_toboolean(l, -1) != 0;
        ffi::lua_pop(l, 1);
        let text = match (source, line) {
            (Some(src), Some(line)) => format!("{msg} script: {name}, on {src}:{line}."),
            _ => msg,
        };
        (text, counted)
    }
}
