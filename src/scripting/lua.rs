//! A thin layer over the raw Lua 5.1 C API ([`super::ffi`], Lua 5.1.5 as Redis embeds it): an owned state, and the few stack helpers the engine and the libraries
//! share.
//!
//! Why the raw API: Redis's scripting is written against it, and its observable behaviour
//! (table iteration order, number-to-string rules, where an error's position comes from,
//! errors that are Lua tables) follows from it. Writing the same calls reproduces it.
//!
//! ## Errors and `longjmp`
//! Lua raises errors with `longjmp`. A Rust function registered with Lua must therefore
//! raise only through [`raise`] / [`raise_error_table`] / [`raise_msg`], which take an owned
//! message, push it, drop every Rust value, and only then call `lua_error`, so no
//! destructor is ever skipped. Functions registered with Lua use only the `raw*` accessors
//! (which cannot run metamethods and so cannot raise) between those points.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;

use super::ffi;
use super::ffi::lua_State;

pub type CFn = unsafe extern "C-unwind" fn(*mut lua_State) -> c_int;

/// An owned Lua state, closed on drop.
pub struct State(*mut lua_State);

impl State {
    /// A new state with Lua's default allocator. None only if allocation fails.
    pub fn new() -> Option<State> {
        // SAFETY: luaL_newstate has no preconditions.
        let l = unsafe { ffi::luaL_newstate() };
        if l.is_null() { None } else { Some(State(l)) }
    }

    pub fn ptr(&self) -> *mut lua_State {
        self.0
    }

    /// Memory used by the state, in bytes (INFO used_memory_lua).
    pub fn memory(&self) -> u64 {
        // SAFETY: the state is open.
        unsafe {
            let kb = ffi::lua_gc(self.0, ffi::LUA_GCCOUNT, 0) as u64;
            let b = ffi::lua_gc(self.0, ffi::LUA_GCCOUNTB, 0) as u64;
            kb * 1024 + b
        }
    }
}

// SAFETY: a Lua state has no thread affinity; it is owned by ServerState, which moves to
// the server thread once and is then used by that thread alone (never shared).
unsafe impl Send for State {}

impl Drop for State {
    fn drop(&mut self) {
        // SAFETY: we own the state and nothing uses it after this.
        unsafe { ffi::lua_close(self.0) }
    }
}

/// The bytes of the string (or number, converted in place as Lua does) at `idx`.
///
/// # Safety
/// `l` must be a valid state; the slice lives as long as the value stays on the stack.
pub unsafe fn to_bytes<'a>(l: *mut lua_State, idx: c_int) -> Option<&'a [u8]> {
    let mut len = 0usize;
    // SAFETY: per the caller's contract.
    let p = unsafe { ffi::lua_tolstring(l, idx, &mut len) };
    if p.is_null() {
        None
    } else {
        // SAFETY: Lua guarantees `len` bytes at `p` while the value is referenced.
        Some(unsafe { std::slice::from_raw_parts(p as *const u8, len) })
    }
}

/// Push a byte string.
///
/// # Safety
/// `l` must be a valid state with room for one more slot.
pub unsafe fn push_bytes(l: *mut lua_State, b: &[u8]) {
    // SAFETY: per the caller's contract; Lua copies the bytes.
    unsafe { ffi::lua_pushlstring(l, b.as_ptr() as *const c_char, b.len()) }
}

/// `t[k] = v` with a string key and a value pushed by `push`, without metamethods.
///
/// # Safety
/// The value at `t` must be a table (given as an absolute or negative index before the push).
pub unsafe fn set_field(l: *mut lua_State, t: c_int, k: &str, push: impl FnOnce()) {
    // SAFETY: per the caller's contract.
    unsafe {
        let t = abs_index(l, t);
        push_bytes(l, k.as_bytes());
        push();
        ffi::lua_rawset(l, t);
    }
}

/// `t[k]` (raw) pushed on the stack; returns its type.
///
/// # Safety
/// The value at `t` must be a table.
pub unsafe fn get_field(l: *mut lua_State, t: c_int, k: &str) -> c_int {
    // SAFETY: per the caller's contract.
    unsafe {
        let t = abs_index(l, t);
        push_bytes(l, k.as_bytes());
        ffi::lua_rawget(l, t);
        ffi::lua_type(l, -1)
    }
}

/// A stack index that stays valid when values are pushed.
///
/// # Safety
/// `l` must be a valid state.
pub unsafe fn abs_index(l: *mut lua_State, idx: c_int) -> c_int {
    if idx > 0 || idx <= ffi::LUA_REGISTRYINDEX {
        idx
    } else {
        // SAFETY: per the caller's contract.
        unsafe { ffi::lua_gettop(l) + idx + 1 }
    }
}

/// Register a C function as field `name` of the table at `t`.
///
/// # Safety
/// The value at `t` must be a table.
pub unsafe fn set_fn(l: *mut lua_State, t: c_int, name: &str, f: CFn) {
    // SAFETY: per the caller's contract.
    unsafe { set_field(l, t, name, || ffi::lua_pushcclosure(l, f, 0)) }
}

/// `luaL_where(L, 1)`: "chunk:line: " of the Lua function that called the running C
/// function, or nothing when that is not a Lua function.
///
/// # Safety
/// `l` must be a valid state.
pub unsafe fn where_prefix(l: *mut lua_State) -> Vec<u8> {
    // SAFETY: lua_Debug is plain data; lua_getstack/lua_getinfo fill it.
    unsafe {
        let mut ar: ffi::lua_Debug = std::mem::zeroed();
        if ffi::lua_getstack(l, 1, &mut ar) != 0 {
            ffi::lua_getinfo(l, c"Sl".as_ptr(), &mut ar);
            if ar.currentline > 0 {
                let src = CStr::from_ptr(ar.short_src.as_ptr()).to_bytes();
                return format!("{}:{}: ", String::from_utf8_lossy(src), ar.currentline)
                    .into_bytes();
            }
        }
    }
    Vec::new()
}

/// An error to raise from a C function.
pub enum LuaError {
    /// `luaL_error`: a string error prefixed with the caller's position.
    Msg(String),
    /// A string error as given, no position.
    Plain(Vec<u8>),
    /// Redis's error table `{err = "CODE message"}` (luaPushError's format: a message
    /// starting with `-` carries its code, otherwise `ERR ` is added).
    Table(String),
}

/// Raise `err` in Lua. Never returns.
///
/// # Safety
/// Must be called from a C function running in `l`, with no Rust value that needs dropping
/// alive in the calling frames (see the module comment).
pub unsafe fn raise(l: *mut lua_State, err: LuaError) -> ! {
    // SAFETY: per the caller's contract; everything owned is dropped before lua_error.
    unsafe {
        match err {
            LuaError::Msg(m) => {
                let mut s = where_prefix(l);
                s.extend_from_slice(m.as_bytes());
                drop(m);
                push_bytes(l, &s);
                drop(s);
            }
            LuaError::Plain(m) => {
                push_bytes(l, &m);
                drop(m);
            }
            LuaError::Table(m) => {
                push_error_table(l, &m);
                drop(m);
            }
        }
        ffi::lua_error(l);
    }
    #[allow(unreachable_code)]
    {
        unreachable!("lua_error returned")
    }
}

/// `luaL_error(L, "%s", msg)`.
///
/// # Safety
/// As [`raise`].
pub unsafe fn raise_msg(l: *mut lua_State, msg: String) -> ! {
    // SAFETY: per the caller's contract.
    unsafe { raise(l, LuaError::Msg(msg)) }
}

/// Push Redis's error table for `msg` (luaPushErrorBuff): `-CODE text` keeps its code,
/// anything else gets `ERR `; trailing CR/LF are trimmed.
///
/// # Safety
/// `l` must be a valid state with room for three slots.
pub unsafe fn push_error_table(l: *mut lua_State, msg: &str) {
    let full = error_table_text(msg);
    // SAFETY: per the caller's contract.
    unsafe {
        ffi::lua_createtable(l, 0, 1);
        set_field(l, -1, "err", || push_bytes(l, full.as_bytes()));
    }
}

/// The text of luaPushErrorBuff's `err` field for `msg`.
pub fn error_table_text(msg: &str) -> String {
    let (code, text) = match msg.strip_prefix('-') {
        Some(rest) => match rest.split_once(' ') {
            Some((code, text)) => (code, text),
            None => ("ERR", rest),
        },
        None => ("ERR", msg),
    };
    let text = text.trim_matches(|c| c == '\r' || c == '\n');
    format!("{code} {text}")
}

/// Store a light pointer in the registry under `key`.
///
/// # Safety
/// `l` must be a valid state.
pub unsafe fn registry_set_ptr(l: *mut lua_State, key: &str, p: *mut c_void) {
    // SAFETY: per the caller's contract.
    unsafe {
        set_field(l, ffi::LUA_REGISTRYINDEX, key, || {
            if p.is_null() {
                ffi::lua_pushnil(l)
            } else {
                ffi::lua_pushlightuserdata(l, p)
            }
        })
    }
}

/// Read a light pointer stored with [`registry_set_ptr`] (null when absent).
///
/// # Safety
/// `l` must be a valid state.
pub unsafe fn registry_get_ptr(l: *mut lua_State, key: &str) -> *mut c_void {
    // SAFETY: per the caller's contract.
    unsafe {
        get_field(l, ffi::LUA_REGISTRYINDEX, key);
        let p = ffi::lua_touserdata(l, -1);
        ffi::lua_pop(l, 1);
        if p.is_null() { ptr::null_mut() } else { p }
    }
}

/// Lua's `tostring` for numbers (`%.14g`), used where Redis relies on Lua's formatting.
pub fn fmt_lua_number(n: f64) -> String {
    fmt_g(n, 14)
}

/// C's `%.<prec>g` for a double.
pub fn fmt_g(n: f64, prec: usize) -> String {
    let mut buf = [0u8; 64];
    let fmt = format!("%.{prec}g\0");
    // SAFETY: the buffer is large enough for any %.Ng of a double with N <= 17 and snprintf
    // never writes past the given size.
    let len = unsafe {
        libc::snprintf(
            buf.as_mut_ptr() as *mut c_char,
            buf.len(),
            fmt.as_ptr() as *const c_char,
            n,
        )
    };
    let len = (len.max(0) as usize).min(buf.len() - 1);
    String::from_utf8_lossy(&buf[..len]).into_owned()
}

/// `(long long)d` as C on x86-64 computes it: out-of-range and NaN give i64::MIN.
pub fn c_double_to_i64(d: f64) -> i64 {
    // 2^63 is exactly representable; [-2^63, 2^63) is the range that converts.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if !(-TWO_63..TWO_63).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_table_text_rules() {
        assert_eq!(error_table_text("boom"), "ERR boom");
        assert_eq!(error_table_text("-WRONGTYPE x y\r\n"), "WRONGTYPE x y");
        assert_eq!(error_table_text("-NOCODE"), "ERR NOCODE");
    }

    #[test]
    fn number_formats() {
        assert_eq!(fmt_lua_number(0.1 + 0.2), "0.3");
        assert_eq!(fmt_lua_number(1e300), "1e+300");
        assert_eq!(fmt_g(0.1, 17), "0.10000000000000001");
        assert_eq!(c_double_to_i64(1e20), i64::MIN);
        assert_eq!(c_double_to_i64(f64::NAN), i64::MIN);
        assert_eq!(c_double_to_i64(-3.99), -3);
    }
}
