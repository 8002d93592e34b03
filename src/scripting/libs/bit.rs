//! `bit`: LuaBitOp 1.0.2 as bundled with Redis. Numbers are reduced to 32 bits the way
//! LuaBitOp does (adding 2^52+2^51 and taking the low word, so 2^32+1 → 1 and 1.5 → 2),
//! results are signed 32-bit.

use std::ffi::c_int;

use super::{new_lib, run, type_error};
use crate::scripting::ffi::{self, lua_State};
use crate::scripting::lua;

/// LuaBitOp's barg.
unsafe fn barg(l: *mut lua_State, idx: c_int) -> Result<u32, String> {
    // SAFETY: called from a bit function.
    unsafe {
        let n = ffi::lua_tonumber(l, idx) + 6_755_399_441_055_744.0;
        let b = n.to_bits() as u32;
        if b == 0 && ffi::lua_isnumber(l, idx) == 0 {
            return Err(type_error(l, idx, "number"));
        }
        Ok(b)
    }
}

unsafe fn ret(l: *mut lua_State, b: u32) -> Result<c_int, String> {
    // SAFETY: one push.
    unsafe { ffi::lua_pushnumber(l, b as i32 as f64) };
    Ok(1)
}

macro_rules! unary {
    ($name:ident, $op:expr) => {
        unsafe extern "C-unwind" fn $name(l: *mut lua_State) -> c_int {
            // SAFETY: called by Lua.
            unsafe { run(l, || ret(l, $op(barg(l, 1)?))) }
        }
    };
}

macro_rules! fold {
    ($name:ident, $op:tt) => {
        unsafe extern "C-unwind" fn $name(l: *mut lua_State) -> c_int {
            // SAFETY: called by Lua.
            unsafe {
                run(l, || {
                    let mut b = barg(l, 1)?;
                    let mut i = ffi::lua_gettop(l);
                    while i > 1 {
                        b $op barg(l, i)?;
                        i -= 1;
                    }
                    ret(l, b)
                })
            }
        }
    };
}

macro_rules! shift {
    ($name:ident, $op:expr) => {
        unsafe extern "C-unwind" fn $name(l: *mut lua_State) -> c_int {
            // SAFETY: called by Lua.
            unsafe {
                run(l, || {
                    let b = barg(l, 1)?;
                    let n = barg(l, 2)? & 31;
                    ret(l, $op(b, n))
                })
            }
        }
    };
}

unary!(tobit, |b: u32| b);
unary!(bnot, |b: u32| !b);
unary!(bswap, |b: u32| b.swap_bytes());
fold!(band, &=);
fold!(bor, |=);
fold!(bxor, ^=);
shift!(lshift, |b: u32, n: u32| b << n);
shift!(rshift, |b: u32, n: u32| b >> n);
shift!(arshift, |b: u32, n: u32| ((b as i32) >> n) as u32);
shift!(rol, |b: u32, n: u32| b.rotate_left(n));
shift!(ror, |b: u32, n: u32| b.rotate_right(n));

unsafe extern "C-unwind" fn tohex(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        run(l, || {
            let mut b = barg(l, 1)?;
            let mut n: i32 = if ffi::lua_type(l, 2) == ffi::LUA_TNONE {
                8
            } else {
                barg(l, 2)? as i32
            };
            let mut digits: &[u8; 16] = b"0123456789abcdef";
            if n < 0 {
                n = n.wrapping_neg();
                digits = b"0123456789ABCDEF";
            }
            let n = (n as u32).min(8) as usize;
            let mut buf = [0u8; 8];
            for i in (0..n).rev() {
                buf[i] = digits[(b & 15) as usize];
                b >>= 4;
            }
            lua::push_bytes(l, &buf[..n]);
            Ok(1)
        })
    }
}

/// # Safety
/// `l` must be a state under construction.
pub unsafe fn open(l: *mut lua_State) {
    // SAFETY: per the caller's contract.
    unsafe {
        new_lib(
            l,
            "bit",
            &[
                ("tobit", tobit),
                ("bnot", bnot),
                ("band", band),
                ("bor", bor),
                ("bxor", bxor),
                ("lshift", lshift),
                ("rshift", rshift),
                ("arshift", arshift),
                ("rol", rol),
                ("ror", ror),
                ("bswap", bswap),
                ("tohex", tohex),
            ],
        );
        ffi::lua_pop(l, 1);
    }
}
