//! The libraries Redis bundles with its Lua: cjson, cmsgpack, bit (LuaBitOp) and struct,
//! implemented here in Rust over the C API with the same outputs and error texts.

pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod lstruct;

use super::ffi::lua_State;

/// Open every library as a global table.
///
/// # Safety
/// `l` must be a state under construction.
pub unsafe fn open_all(l: *mut lua_State) {
    // SAFETY: per the caller's contract.
    unsafe {
        cjson::open(l);
        lstruct::open(l);
        cmsgpack::open(l);
        bit::open(l);
    }
}

use std::ffi::{CStr, c_int};

use super::ffi;
use super::lua;

/// luaL_argerror's text: "bad argument #n to 'fname' (msg)" (without the position, which
/// [`lua::raise_msg`] adds).
///
/// # Safety
/// Must be called from a C function running in `l`.
pub unsafe fn arg_error(l: *mut lua_State, narg: c_int, extramsg: &str) -> String {
    // SAFETY: level 0 is the running C function.
    unsafe {
        let mut ar: ffi::lua_Debug = std::mem::zeroed();
        if ffi::lua_getstack(l, 0, &mut ar) == 0 {
            return format!("bad argument #{narg} ({extramsg})");
        }
        ffi::lua_getinfo(l, c"n".as_ptr(), &mut ar);
        let mut narg = narg;
        if !ar.namewhat.is_null() && CStr::from_ptr(ar.namewhat).to_bytes() == b"method" {
            narg -= 1;
            if narg == 0 {
                let name = cstr_or(ar.name, "?");
                return format!("calling '{name}' on bad self ({extramsg})");
            }
        }
        let name = cstr_or(ar.name, "?");
        format!("bad argument #{narg} to '{name}' ({extramsg})")
    }
}

unsafe fn cstr_or(p: *const std::ffi::c_char, default: &str) -> String {
    if p.is_null() {
        default.to_string()
    } else {
        // SAFETY: Lua's debug strings are NUL-terminated.
        unsafe { CStr::from_ptr(p).to_string_lossy().into_owned() }
    }
}

/// luaL_typerror's text.
///
/// # Safety
/// As [`arg_error`].
pub unsafe fn type_error(l: *mut lua_State, narg: c_int, tname: &str) -> String {
    // SAFETY: per the caller's contract.
    unsafe {
        let got = if ffi::lua_type(l, narg) == ffi::LUA_TNONE {
            "no value".to_string()
        } else {
            CStr::from_ptr(ffi::lua_typename(l, ffi::lua_type(l, narg)))
                .to_string_lossy()
                .into_owned()
        };
        arg_error(l, narg, &format!("{tname} expected, got {got}"))
    }
}

/// luaL_checknumber.
///
/// # Safety
/// As [`arg_error`].
pub unsafe fn check_number(l: *mut lua_State, narg: c_int) -> Result<f64, String> {
    // SAFETY: per the caller's contract.
    unsafe {
        let d = ffi::lua_tonumber(l, narg);
        if d == 0.0 && ffi::lua_isnumber(l, narg) == 0 {
            return Err(type_error(l, narg, "number"));
        }
        Ok(d)
    }
}

/// luaL_checkinteger.
///
/// # Safety
/// As [`arg_error`].
pub unsafe fn check_integer(l: *mut lua_State, narg: c_int) -> Result<i64, String> {
    // SAFETY: per the caller's contract.
    unsafe {
        let d = ffi::lua_tointeger(l, narg);
        if d == 0 && ffi::lua_isnumber(l, narg) == 0 {
            return Err(type_error(l, narg, "number"));
        }
        Ok(d as i64)
    }
}

/// luaL_optinteger.
///
/// # Safety
/// As [`arg_error`].
pub unsafe fn opt_integer(l: *mut lua_State, narg: c_int, def: i64) -> Result<i64, String> {
    // SAFETY: per the caller's contract.
    unsafe {
        if ffi::lua_type(l, narg) <= ffi::LUA_TNIL {
            Ok(def)
        } else {
            check_integer(l, narg)
        }
    }
}

/// luaL_checklstring (numbers are converted in place, as Lua does).
///
/// # Safety
/// As [`arg_error`]; the slice lives while the value stays on the stack.
pub unsafe fn check_bytes<'a>(l: *mut lua_State, narg: c_int) -> Result<&'a [u8], String> {
    // SAFETY: per the caller's contract.
    unsafe { lua::to_bytes(l, narg).ok_or_else(|| type_error(l, narg, "string")) }
}

/// Run a library function body and raise its error, if any, as luaL_error does.
///
/// # Safety
/// Must be the whole body of a C function registered with Lua.
pub unsafe fn run(l: *mut lua_State, f: impl FnOnce() -> Result<c_int, String>) -> c_int {
    let r = f();
    match r {
        Ok(n) => n,
        // SAFETY: nothing else is alive in this frame.
        Err(msg) => unsafe { lua::raise_msg(l, msg) },
    }
}

/// Create global table `name` with the given functions; leaves it on the stack.
///
/// # Safety
/// `l` must be a state under construction.
pub unsafe fn new_lib(l: *mut lua_State, name: &str, fns: &[(&str, lua::CFn)]) {
    // SAFETY: per the caller's contract.
    unsafe {
        ffi::lua_createtable(l, 0, fns.len() as c_int);
        for (n, f) in fns {
            lua::set_fn(l, -1, n, *f);
        }
        ffi::lua_pushvalue(l, -1);
        let mut k = name.as_bytes().to_vec();
        k.push(0);
        ffi::lua_setfield(
            l,
            ffi::LUA_GLOBALSINDEX,
            k.as_ptr() as *const std::ffi::c_char,
        );
    }
}
