//! `cmsgpack`: lua-cmsgpack 0.4.0 as bundled with Redis (pack, unpack, unpack_one,
//! unpack_limit). Integral numbers use the smallest integer encoding, others float32 when
//! exact, else float64; tables whose keys are exactly 1..n are arrays, others maps; tables
//! nested 16 deep are encoded as nil (against cycles).

use std::ffi::c_int;

use super::{arg_error, check_bytes, check_integer, new_lib, opt_integer, run};
use crate::scripting::ffi::{self, lua_State};
use crate::scripting::lua;

const MAX_NESTING: i32 = 16;

fn encode_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_number(out: &mut Vec<u8>, n: f64) {
    // IS_INT64_EQUIVALENT: (int64_t)x == x and not infinite.
    if !n.is_infinite() && lua::c_double_to_i64(n) as f64 == n {
        encode_int(out, lua::c_double_to_i64(n));
    } else {
        let f = n as f32;
        if f as f64 == n {
            out.push(0xca);
            out.extend_from_slice(&f.to_be_bytes());
        } else {
            out.push(0xcb);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

fn encode_bytes(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

fn encode_header(out: &mut Vec<u8>, n: usize, fix: u8, b16: u8, b32: u8) {
    if n <= 15 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// Keys exactly 1..n (table_is_an_array).
unsafe fn is_array(l: *mut lua_State) -> bool {
    // SAFETY: the table is at -1.
    unsafe {
        let top = ffi::lua_gettop(l);
        let (mut count, mut max) = (0i64, 0i64);
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            ffi::lua_pop(l, 1);
            let n = ffi::lua_tonumber(l, -1);
            let int_like = !n.is_infinite() && (n as i32) as f64 == n;
            if ffi::lua_type(l, -1) != ffi::LUA_TNUMBER || n <= 0.0 || !int_like {
                ffi::lua_settop(l, top);
                return false;
            }
            max = max.max(n as i64);
            count += 1;
        }
        ffi::lua_settop(l, top);
        max == count
    }
}

/// Encode the value at -1 and pop it.
unsafe fn encode_value(l: *mut lua_State, out: &mut Vec<u8>, level: i32) {
    // SAFETY: a value is at -1; stack checked before pushes.
    unsafe {
        let mut t = ffi::lua_type(l, -1);
        if t == ffi::LUA_TTABLE && level == MAX_NESTING {
            t = ffi::LUA_TNIL;
        }
        match t {
            ffi::LUA_TSTRING => encode_bytes(out, lua::to_bytes(l, -1).unwrap_or(b"")),
            ffi::LUA_TBOOLEAN => out.push(if ffi::lua_toboolean(l, -1) != 0 {
                0xc3
            } else {
                0xc2
            }),
            ffi::LUA_TNUMBER => encode_number(out, ffi::lua_tonumber(l, -1)),
            ffi::LUA_TTABLE => {
                ffi::lua_checkstack(l, 3);
                if is_array(l) {
                    let len = ffi::lua_objlen(l, -1);
                    encode_header(out, len, 0x90, 0xdc, 0xdd);
                    for j in 1..=len {
                        ffi::lua_rawgeti(l, -1, j as c_int);
                        encode_value(l, out, level + 1);
                    }
                } else {
                    let mut len = 0;
                    ffi::lua_pushnil(l);
                    while ffi::lua_next(l, -2) != 0 {
                        ffi::lua_pop(l, 1);
                        len += 1;
                    }
                    encode_header(out, len, 0x80, 0xde, 0xdf);
                    ffi::lua_pushnil(l);
                    while ffi::lua_next(l, -2) != 0 {
                        ffi::lua_pushvalue(l, -2);
                        encode_value(l, out, level + 1); // key
                        encode_value(l, out, level + 1); // value
                    }
                }
            }
            _ => out.push(0xc0),
        }
        ffi::lua_pop(l, 1);
    }
}

unsafe extern "C-unwind" fn pack(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        run(l, || {
            let nargs = ffi::lua_gettop(l);
            if nargs == 0 {
                return Err(arg_error(l, 0, "MessagePack pack needs input."));
            }
            if ffi::lua_checkstack(l, nargs) == 0 {
                return Err(arg_error(l, 0, "Too many arguments for MessagePack pack."));
            }
            let mut out = Vec::new();
            for i in 1..=nargs {
                ffi::lua_pushvalue(l, i);
                encode_value(l, &mut out, 0);
            }
            lua::push_bytes(l, &out);
            Ok(1)
        })
    }
}

enum DecodeError {
    Eof,
    BadFormat,
    Stack,
}

struct Cursor<'a> {
    p: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn need(&self, n: usize) -> Result<(), DecodeError> {
        if self.p.len() - self.pos < n {
            Err(DecodeError::Eof)
        } else {
            Ok(())
        }
    }

    fn be(&self, at: usize, n: usize) -> u64 {
        self.p[self.pos + at..self.pos + at + n]
            .iter()
            .fold(0u64, |a, &b| (a << 8) | b as u64)
    }
}

unsafe fn decode_value(l: *mut lua_State, c: &mut Cursor) -> Result<(), DecodeError> {
    // SAFETY: pushes onto a checked stack.
    unsafe {
        c.need(1)?;
        if ffi::lua_checkstack(l, 1) == 0 {
            return Err(DecodeError::Stack);
        }
        let b = c.p[c.pos];
        match b {
            0xcc..=0xcf => {
                let n = 1 << (b - 0xcc);
                c.need(1 + n)?;
                ffi::lua_pushnumber(l, c.be(1, n) as f64);
                c.pos += 1 + n;
            }
            0xd0..=0xd3 => {
                let n = 1 << (b - 0xd0);
                c.need(1 + n)?;
                let raw = c.be(1, n);
                let shift = 64 - 8 * n as u32;
                let v = ((raw << shift) as i64) >> shift;
                ffi::lua_pushnumber(l, v as f64);
                c.pos += 1 + n;
            }
            0xc0 => {
                ffi::lua_pushnil(l);
                c.pos += 1;
            }
            0xc2 | 0xc3 => {
                ffi::lua_pushboolean(l, (b == 0xc3) as c_int);
                c.pos += 1;
            }
            0xca => {
                c.need(5)?;
                ffi::lua_pushnumber(l, f32::from_bits(c.be(1, 4) as u32) as f64);
                c.pos += 5;
            }
            0xcb => {
                c.need(9)?;
                ffi::lua_pushnumber(l, f64::from_bits(c.be(1, 8)));
                c.pos += 9;
            }
            0xd9..=0xdb => {
                let n = 1 << (b - 0xd9);
                c.need(1 + n)?;
                let len = c.be(1, n) as usize;
                c.need(1 + n + len)?;
                let start = c.pos + 1 + n;
                lua::push_bytes(l, &c.p[start..start + len]);
                c.pos = start + len;
            }
            0xdc | 0xdd => {
                let n = if b == 0xdc { 2 } else { 4 };
                c.need(1 + n)?;
                let len = c.be(1, n) as usize;
                c.pos += 1 + n;
                decode_array(l, c, len)?;
            }
            0xde | 0xdf => {
                let n = if b == 0xde { 2 } else { 4 };
                c.need(1 + n)?;
                let len = c.be(1, n) as usize;
                c.pos += 1 + n;
                decode_map(l, c, len)?;
            }
            _ if b & 0x80 == 0 => {
                ffi::lua_pushnumber(l, b as f64);
                c.pos += 1;
            }
            _ if b & 0xe0 == 0xe0 => {
                ffi::lua_pushnumber(l, b as i8 as f64);
                c.pos += 1;
            }
            _ if b & 0xe0 == 0xa0 => {
                let len = (b & 0x1f) as usize;
                c.need(1 + len)?;
                lua::push_bytes(l, &c.p[c.pos + 1..c.pos + 1 + len]);
                c.pos += 1 + len;
            }
            _ if b & 0xf0 == 0x90 => {
                c.pos += 1;
                decode_array(l, c, (b & 0xf) as usize)?;
            }
            _ if b & 0xf0 == 0x80 => {
                c.pos += 1;
                decode_map(l, c, (b & 0xf) as usize)?;
            }
            _ => return Err(DecodeError::BadFormat),
        }
        Ok(())
    }
}

unsafe fn decode_array(l: *mut lua_State, c: &mut Cursor, len: usize) -> Result<(), DecodeError> {
    // SAFETY: as decode_value.
    unsafe {
        ffi::lua_createtable(l, 0, 0);
        if ffi::lua_checkstack(l, 2) == 0 {
            return Err(DecodeError::Stack);
        }
        for i in 1..=len {
            ffi::lua_pushnumber(l, i as f64);
            decode_value(l, c)?;
            ffi::lua_rawset(l, -3);
        }
        Ok(())
    }
}

unsafe fn decode_map(l: *mut lua_State, c: &mut Cursor, len: usize) -> Result<(), DecodeError> {
    // SAFETY: as decode_value.
    unsafe {
        ffi::lua_createtable(l, 0, 0);
        if ffi::lua_checkstack(l, 2) == 0 {
            return Err(DecodeError::Stack);
        }
        for _ in 0..len {
            decode_value(l, c)?;
            decode_value(l, c)?;
            if ffi::lua_type(l, -2) == ffi::LUA_TNIL {
                // A nil key cannot be stored (Lua would raise); drop the pair.
                ffi::lua_pop(l, 2);
            } else {
                ffi::lua_rawset(l, -3);
            }
        }
        Ok(())
    }
}

/// mp_unpack_full: decode up to `limit` values from `offset` (0/0: everything, and no
/// offset result).
unsafe fn unpack_full(l: *mut lua_State, limit: i64, offset: i64) -> Result<c_int, String> {
    // SAFETY: the string stays at index 1 while values are pushed above it.
    unsafe {
        let data = check_bytes(l, 1)?;
        let len = data.len();
        let decode_all = limit == 0 && offset == 0;
        if offset < 0 || limit < 0 {
            return Err(format!(
                "Invalid request to unpack with offset of {} and limit of {}.",
                offset as i32, len as i32
            ));
        } else if offset as u64 > len as u64 {
            return Err(format!(
                "Start offset {} greater than input length {}.",
                offset as i32, len as i32
            ));
        }
        let limit = if decode_all { i32::MAX as i64 } else { limit };
        let mut c = Cursor {
            p: data,
            pos: offset as usize,
        };
        let mut cnt: c_int = 0;
        while c.pos < len && (cnt as i64) < limit {
            match decode_value(l, &mut c) {
                Ok(()) => {}
                Err(DecodeError::Eof) => return Err("Missing bytes in input.".into()),
                Err(DecodeError::BadFormat) => return Err("Bad data format in input.".into()),
                Err(DecodeError::Stack) => {
                    return Err("stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)".into());
                }
            }
            cnt += 1;
        }
        if !decode_all {
            ffi::lua_checkstack(l, 1);
            let next = if c.pos == len { -1 } else { c.pos as isize };
            ffi::lua_pushinteger(l, next);
            ffi::lua_insert(l, 2);
            cnt += 1;
        }
        Ok(cnt)
    }
}

unsafe extern "C-unwind" fn unpack(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe { run(l, || unpack_full(l, 0, 0)) }
}

unsafe extern "C-unwind" fn unpack_one(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        run(l, || {
            let offset = opt_integer(l, 2, 0)?;
            ffi::lua_settop(l, 1.min(ffi::lua_gettop(l)));
            unpack_full(l, 1, offset)
        })
    }
}

unsafe extern "C-unwind" fn unpack_limit(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        run(l, || {
            let limit = check_integer(l, 2)?;
            let offset = opt_integer(l, 3, 0)?;
            ffi::lua_settop(l, 1.min(ffi::lua_gettop(l)));
            unpack_full(l, limit, offset)
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
            "cmsgpack",
            &[
                ("pack", pack),
                ("unpack", unpack),
                ("unpack_one", unpack_one),
                ("unpack_limit", unpack_limit),
            ],
        );
        lua::set_field(l, -1, "_NAME", || lua::push_bytes(l, b"cmsgpack"));
        lua::set_field(l, -1, "_VERSION", || {
            lua::push_bytes(l, b"lua-cmsgpack 0.4.0")
        });
        lua::set_field(l, -1, "_COPYRIGHT", || {
            lua::push_bytes(l, b"Copyright (C) 2012, Salvatore Sanfilippo")
        });
        lua::set_field(l, -1, "_DESCRIPTION", || {
            lua::push_bytes(l, b"MessagePack C implementation for Lua")
        });
        ffi::lua_pop(l, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_encodings() {
        let enc = |n| {
            let mut o = Vec::new();
            encode_number(&mut o, n);
            o
        };
        assert_eq!(enc(1.0), [1]);
        assert_eq!(enc(-1.0), [0xff]);
        assert_eq!(enc(200.0), [0xcc, 200]);
        assert_eq!(enc(-200.0), [0xd1, 0xff, 0x38]);
        assert_eq!(enc(1.5), [0xca, 0x3f, 0xc0, 0, 0]);
    }
}
