//! `cjson`: Lua CJSON 2.1.0 as bundled with Redis (encode, decode, null and the config
//! functions), with its defaults: numbers printed with `%.14g`, `/` escaped, tables whose
//! keys are all positive integers encoded as arrays unless excessively sparse (error),
//! nesting limited to 1000 both ways, JSON `null` decoded to `cjson.null` (a NULL light
//! userdata), invalid numbers (hex, inf, nan) accepted when decoding. Object key order is
//! Lua's table order, the same as Redis since it is the same Lua.

use std::cell::Cell;
use std::ffi::{CStr, c_int};

use super::{arg_error, check_bytes, new_lib, run};
use crate::scripting::ffi::{self, lua_State};
use crate::scripting::lua;

#[derive(Clone, Copy)]
struct Config {
    sparse_convert: bool,
    sparse_ratio: i64,
    sparse_safe: i64,
    encode_max_depth: i64,
    decode_max_depth: i64,
    /// 0: error on NaN/Inf, 1: allow ("nan"), 2: encode as null.
    encode_invalid_numbers: i64,
    decode_invalid_numbers: bool,
    keep_buffer: bool,
    precision: i64,
}

const DEFAULT: Config = Config {
    sparse_convert: false,
    sparse_ratio: 2,
    sparse_safe: 10,
    encode_max_depth: 1000,
    decode_max_depth: 1000,
    encode_invalid_numbers: 0,
    decode_invalid_numbers: true,
    keep_buffer: true,
    precision: 14,
};

thread_local! {
    /// One configuration per server thread (Redis keeps one per Lua state; scripts cannot
    /// tell the difference unless they change it).
    static CONFIG: Cell<Config> = const { Cell::new(DEFAULT) };
}

fn cfg() -> Config {
    CONFIG.with(|c| c.get())
}

// ---------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------

fn escape(c: u8) -> Option<&'static str> {
    const CTRL: [&str; 32] = [
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b", "\\t", "\\n", "\\u000b", "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010", "\\u0011",
        "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019",
        "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
    ];
    match c {
        0..=31 => Some(CTRL[c as usize]),
        b'"' => Some("\\\""),
        b'\\' => Some("\\\\"),
        b'/' => Some("\\/"),
        127 => Some("\\u007f"),
        _ => None,
    }
}

fn append_string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match escape(c) {
            Some(e) => out.extend_from_slice(e.as_bytes()),
            None => out.push(c),
        }
    }
    out.push(b'"');
}

unsafe fn type_name(l: *mut lua_State, idx: c_int) -> String {
    // SAFETY: valid index.
    unsafe {
        CStr::from_ptr(ffi::lua_typename(l, ffi::lua_type(l, idx)))
            .to_string_lossy()
            .into_owned()
    }
}

unsafe fn exception(l: *mut lua_State, idx: c_int, reason: &str) -> String {
    // SAFETY: valid index.
    unsafe { format!("Cannot serialise {}: {reason}", type_name(l, idx)) }
}

unsafe fn append_number(
    l: *mut lua_State,
    c: &Config,
    out: &mut Vec<u8>,
    idx: c_int,
) -> Result<(), String> {
    // SAFETY: valid index.
    unsafe {
        let n = ffi::lua_tonumber(l, idx);
        match c.encode_invalid_numbers {
            0 if !n.is_finite() => return Err(exception(l, idx, "must not be NaN or Inf")),
            1 if n.is_nan() => {
                out.extend_from_slice(b"nan");
                return Ok(());
            }
            0 | 1 => {}
            _ if !n.is_finite() => {
                out.extend_from_slice(b"null");
                return Ok(());
            }
            _ => {}
        }
        out.extend_from_slice(lua::fmt_g(n, c.precision as usize).as_bytes());
        Ok(())
    }
}

/// -1 for an object, else the array length (lua_array_length).
unsafe fn array_length(l: *mut lua_State, c: &Config) -> Result<i64, String> {
    // SAFETY: the table is at -1.
    unsafe {
        let (mut max, mut items) = (0i64, 0i64);
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            if ffi::lua_type(l, -2) == ffi::LUA_TNUMBER {
                let k = ffi::lua_tonumber(l, -2);
                if k != 0.0 && k.floor() == k && k >= 1.0 {
                    if k > max as f64 {
                        max = k as i64;
                    }
                    items += 1;
                    ffi::lua_pop(l, 1);
                    continue;
                }
            }
            ffi::lua_pop(l, 2);
            return Ok(-1);
        }
        if c.sparse_ratio > 0 && max > items * c.sparse_ratio && max > c.sparse_safe {
            if !c.sparse_convert {
                return Err(exception(l, -1, "excessively sparse array"));
            }
            return Ok(-1);
        }
        Ok(max)
    }
}

unsafe fn append_data(
    l: *mut lua_State,
    c: &Config,
    depth: i64,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    // SAFETY: the value is at -1; balanced stack use.
    unsafe {
        match ffi::lua_type(l, -1) {
            ffi::LUA_TSTRING => append_string(out, lua::to_bytes(l, -1).unwrap_or(b"")),
            ffi::LUA_TNUMBER => append_number(l, c, out, -1)?,
            ffi::LUA_TBOOLEAN => {
                if ffi::lua_toboolean(l, -1) != 0 {
                    out.extend_from_slice(b"true");
                } else {
                    out.extend_from_slice(b"false");
                }
            }
            ffi::LUA_TTABLE => {
                let depth = depth + 1;
                if depth > c.encode_max_depth || ffi::lua_checkstack(l, 3) == 0 {
                    return Err(format!("Cannot serialise, excessive nesting ({depth})"));
                }
                let len = array_length(l, c)?;
                if len > 0 {
                    out.push(b'[');
                    for i in 1..=len {
                        if i > 1 {
                            out.push(b',');
                        }
                        ffi::lua_rawgeti(l, -1, i as c_int);
                        append_data(l, c, depth, out)?;
                        ffi::lua_pop(l, 1);
                    }
                    out.push(b']');
                } else {
                    append_object(l, c, depth, out)?;
                }
            }
            ffi::LUA_TNIL => out.extend_from_slice(b"null"),
            ffi::LUA_TLIGHTUSERDATA if ffi::lua_touserdata(l, -1).is_null() => {
                out.extend_from_slice(b"null")
            }
            _ => return Err(exception(l, -1, "type not supported")),
        }
        Ok(())
    }
}

unsafe fn append_object(
    l: *mut lua_State,
    c: &Config,
    depth: i64,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    // SAFETY: the table is at -1.
    unsafe {
        out.push(b'{');
        let mut comma = false;
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            if comma {
                out.push(b',');
            }
            comma = true;
            match ffi::lua_type(l, -2) {
                ffi::LUA_TNUMBER => {
                    out.push(b'"');
                    append_number(l, c, out, -2)?;
                    out.extend_from_slice(b"\":");
                }
                ffi::LUA_TSTRING => {
                    append_string(out, lua::to_bytes(l, -2).unwrap_or(b""));
                    out.push(b':');
                }
                _ => return Err(exception(l, -2, "table key must be a number or string")),
            }
            append_data(l, c, depth, out)?;
            ffi::lua_pop(l, 1);
        }
        out.push(b'}');
        Ok(())
    }
}

unsafe extern "C-unwind" fn encode(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        run(l, || {
            if ffi::lua_gettop(l) != 1 {
                return Err(arg_error(l, 1, "expected 1 argument"));
            }
            let c = cfg();
            let mut out = Vec::new();
            append_data(l, &c, 0, &mut out)?;
            lua::push_bytes(l, &out);
            Ok(1)
        })
    }
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Tok {
    fn name(&self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str(_) => "T_STRING",
            Tok::Num(_) => "T_NUMBER",
            Tok::Bool(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(e) => e,
        }
    }
}

struct Parser<'a> {
    /// The input up to its first NUL (CJSON parses a C string).
    data: &'a [u8],
    pos: usize,
    depth: i64,
    cfg: Config,
}

impl Parser<'_> {
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    /// Next token and its (0-based) index.
    fn next(&mut self) -> (Tok, usize) {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let index = self.pos;
        let ch = self.at(self.pos);
        let single = match ch {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(t) = single {
            self.pos += 1;
            return (t, index);
        }
        match ch {
            0 => (Tok::End, index),
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => {
                if !self.cfg.decode_invalid_numbers && self.invalid_number() {
                    return (Tok::Error("invalid number"), self.pos);
                }
                self.number()
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' => {
                let rest = &self.data[self.pos..];
                if rest.starts_with(b"true") {
                    self.pos += 4;
                    (Tok::Bool(true), index)
                } else if rest.starts_with(b"false") {
                    self.pos += 5;
                    (Tok::Bool(false), index)
                } else if rest.starts_with(b"null") {
                    self.pos += 4;
                    (Tok::Null, index)
                } else if self.cfg.decode_invalid_numbers && self.invalid_number() {
                    self.number()
                } else {
                    (Tok::Error("invalid token"), self.pos)
                }
            }
            _ => (Tok::Error("invalid token"), index),
        }
    }

    /// Numbers that are not valid JSON (hex, inf, nan, leading zeros, leading +).
    fn invalid_number(&self) -> bool {
        let mut p = self.pos;
        if self.at(p) == b'+' {
            return true;
        }
        if self.at(p) == b'-' {
            p += 1;
        }
        if self.at(p) == b'0' {
            let c2 = self.at(p + 1);
            return (c2 | 0x20) == b'x' || c2.is_ascii_digit();
        } else if self.at(p) <= b'9' {
            return false;
        }
        let rest = &self.data[p.min(self.data.len())..];
        let starts = |w: &[u8]| rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(w);
        starts(b"inf") || starts(b"nan")
    }

    fn number(&mut self) -> (Tok, usize) {
        let index = self.pos;
        // strtod consumes a prefix of this span (digits, signs, dots, exponents, hex, inf).
        let span = self.data[self.pos..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
            .count();
        let mut buf = self.data[self.pos..self.pos + span].to_vec();
        buf.push(0);
        let mut end: *mut std::ffi::c_char = std::ptr::null_mut();
        // SAFETY: buf is NUL-terminated; strtod stops at or before the NUL.
        let (v, used) = unsafe {
            let start = buf.as_ptr() as *const std::ffi::c_char;
            let v = libc::strtod(start, &mut end);
            (v, end.offset_from(start).max(0) as usize)
        };
        if used == 0 {
            return (Tok::Error("invalid number"), index);
        }
        self.pos += used;
        (Tok::Num(v), index)
    }

    fn string(&mut self) -> (Tok, usize) {
        let index = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let ch = self.at(self.pos);
            if ch == b'"' {
                break;
            }
            if ch == 0 {
                return (Tok::Error("unexpected end of string"), self.pos);
            }
            if ch == b'\\' {
                let esc = match self.at(self.pos + 1) {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 8,
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'f' => 12,
                    b'r' => b'\r',
                    b'u' => {
                        if self.unicode_escape(&mut out) {
                            continue;
                        }
                        return (Tok::Error("invalid unicode escape code"), self.pos);
                    }
                    _ => return (Tok::Error("invalid escape code"), self.pos),
                };
                out.push(esc);
                self.pos += 2;
                continue;
            }
            out.push(ch);
            self.pos += 1;
        }
        self.pos += 1;
        let _ = index;
        (Tok::Str(out), index)
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let mut v = 0u32;
        for i in 0..4 {
            let d = (self.at(at + i) as char).to_digit(16)?;
            v = (v << 4) | d;
        }
        Some(v)
    }

    fn unicode_escape(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(mut cp) = self.hex4(self.pos + 2) else {
            return false;
        };
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            if cp & 0x400 != 0 {
                return false;
            }
            if self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
                return false;
            }
            let Some(low) = self.hex4(self.pos + 8) else {
                return false;
            };
            if low & 0xFC00 != 0xDC00 {
                return false;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        // CJSON's codepoint_to_utf8 (it also encodes lone low surrogates).
        if cp <= 0x7F {
            out.push(cp as u8);
        } else if cp <= 0x7FF {
            out.push(0xC0 | (cp >> 6) as u8);
            out.push(0x80 | (cp & 0x3F) as u8);
        } else if cp <= 0xFFFF {
            out.push(0xE0 | (cp >> 12) as u8);
            out.push(0x80 | ((cp >> 6) & 0x3F) as u8);
            out.push(0x80 | (cp & 0x3F) as u8);
        } else if cp <= 0x1F_FFFF {
            out.push(0xF0 | (cp >> 18) as u8);
            out.push(0x80 | ((cp >> 12) & 0x3F) as u8);
            out.push(0x80 | ((cp >> 6) & 0x3F) as u8);
            out.push(0x80 | (cp & 0x3F) as u8);
        } else {
            return false;
        }
        self.pos += len;
        true
    }

    fn parse_error(expected: &str, tok: &(Tok, usize)) -> String {
        format!(
            "Expected {expected} but found {} at character {}",
            tok.0.name(),
            tok.1 + 1
        )
    }

    fn descend(&mut self, l: *mut lua_State, slots: c_int) -> Result<(), String> {
        self.depth += 1;
        // SAFETY: valid state.
        if self.depth <= self.cfg.decode_max_depth && unsafe { ffi::lua_checkstack(l, slots) } != 0
        {
            return Ok(());
        }
        Err(format!(
            "Found too many nested data structures ({}) at character {}",
            self.depth, self.pos
        ))
    }

    unsafe fn value(&mut self, l: *mut lua_State, tok: (Tok, usize)) -> Result<(), String> {
        // SAFETY: pushes onto a checked stack.
        unsafe {
            match tok.0 {
                Tok::Str(s) => lua::push_bytes(l, &s),
                Tok::Num(n) => ffi::lua_pushnumber(l, n),
                Tok::Bool(b) => ffi::lua_pushboolean(l, b as c_int),
                Tok::ObjBegin => self.object(l)?,
                Tok::ArrBegin => self.array(l)?,
                Tok::Null => ffi::lua_pushlightuserdata(l, std::ptr::null_mut()),
                _ => return Err(Self::parse_error("value", &tok)),
            }
            Ok(())
        }
    }

    unsafe fn object(&mut self, l: *mut lua_State) -> Result<(), String> {
        // SAFETY: as value().
        unsafe {
            self.descend(l, 3)?;
            ffi::lua_createtable(l, 0, 0);
            let mut tok = self.next();
            if tok.0 == Tok::ObjEnd {
                self.depth -= 1;
                return Ok(());
            }
            loop {
                let Tok::Str(key) = &tok.0 else {
                    return Err(Self::parse_error("object key string", &tok));
                };
                lua::push_bytes(l, key);
                let t = self.next();
                if t.0 != Tok::Colon {
                    return Err(Self::parse_error("colon", &t));
                }
                let v = self.next();
                self.value(l, v)?;
                ffi::lua_rawset(l, -3);
                let t = self.next();
                if t.0 == Tok::ObjEnd {
                    self.depth -= 1;
                    return Ok(());
                }
                if t.0 != Tok::Comma {
                    return Err(Self::parse_error("comma or object end", &t));
                }
                tok = self.next();
            }
        }
    }

    unsafe fn array(&mut self, l: *mut lua_State) -> Result<(), String> {
        // SAFETY: as value().
        unsafe {
            self.descend(l, 2)?;
            ffi::lua_createtable(l, 0, 0);
            let mut tok = self.next();
            if tok.0 == Tok::ArrEnd {
                self.depth -= 1;
                return Ok(());
            }
            let mut i: c_int = 1;
            loop {
                self.value(l, tok)?;
                ffi::lua_rawseti(l, -2, i);
                i = i.wrapping_add(1);
                let t = self.next();
                if t.0 == Tok::ArrEnd {
                    self.depth -= 1;
                    return Ok(());
                }
                if t.0 != Tok::Comma {
                    return Err(Self::parse_error("comma or array end", &t));
                }
                tok = self.next();
            }
        }
    }
}

unsafe extern "C-unwind" fn decode(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        run(l, || {
            if ffi::lua_gettop(l) != 1 {
                return Err(arg_error(l, 1, "expected 1 argument"));
            }
            let data = check_bytes(l, 1)?;
            if data.len() >= 2 && (data[0] == 0 || data[1] == 0) {
                return Err("JSON parser does not support UTF-16 or UTF-32".into());
            }
            let end = data.iter().position(|&c| c == 0).unwrap_or(data.len());
            let mut p = Parser {
                data: &data[..end],
                pos: 0,
                depth: 0,
                cfg: cfg(),
            };
            let tok = p.next();
            p.value(l, tok)?;
            let tok = p.next();
            if tok.0 != Tok::End {
                return Err(Parser::parse_error("the end", &tok));
            }
            Ok(1)
        })
    }
}

// ---------------------------------------------------------------------------------------
// Configuration functions
// ---------------------------------------------------------------------------------------

/// An optional integer setting in `[min, max]` at `arg` (CJSON's json_integer_option).
unsafe fn int_option(
    l: *mut lua_State,
    arg: c_int,
    min: i64,
    max: i64,
) -> Result<Option<i64>, String> {
    // SAFETY: called from a config function.
    unsafe {
        if ffi::lua_type(l, arg) <= ffi::LUA_TNIL {
            return Ok(None);
        }
        let v = super::check_integer(l, arg)?;
        if !(min..=max).contains(&v) {
            return Err(arg_error(
                l,
                arg,
                &format!("expected integer between {min} and {max}"),
            ));
        }
        Ok(Some(v))
    }
}

/// An optional boolean-ish setting (CJSON's json_enum_option with off/on/true/false).
unsafe fn bool_option(l: *mut lua_State, arg: c_int) -> Result<Option<i64>, String> {
    // SAFETY: called from a config function.
    unsafe {
        match ffi::lua_type(l, arg) {
            t if t <= ffi::LUA_TNIL => Ok(None),
            ffi::LUA_TBOOLEAN => Ok(Some(ffi::lua_toboolean(l, arg) as i64)),
            _ => match lua::to_bytes(l, arg) {
                Some(b"off") => Ok(Some(0)),
                Some(b"on") => Ok(Some(1)),
                Some(b"null") => Ok(Some(2)),
                Some(o) => {
                    let o = String::from_utf8_lossy(o).into_owned();
                    Err(arg_error(l, arg, &format!("invalid option '{o}'")))
                }
                None => Err(super::type_error(l, arg, "string")),
            },
        }
    }
}

unsafe fn push_bool_setting(l: *mut lua_State, v: i64) {
    // SAFETY: one push.
    unsafe {
        if v == 2 {
            lua::push_bytes(l, b"null");
        } else {
            ffi::lua_pushboolean(l, (v != 0) as c_int);
        }
    }
}

unsafe extern "C-unwind" fn cfg_sparse_array(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        run(l, || {
            let mut c = cfg();
            if let Some(v) = bool_option(l, 1)? {
                c.sparse_convert = v != 0;
            }
            if let Some(v) = int_option(l, 2, 0, i32::MAX as i64)? {
                c.sparse_ratio = v;
            }
            if let Some(v) = int_option(l, 3, 0, i32::MAX as i64)? {
                c.sparse_safe = v;
            }
            CONFIG.with(|x| x.set(c));
            ffi::lua_pushboolean(l, c.sparse_convert as c_int);
            ffi::lua_pushinteger(l, c.sparse_ratio as isize);
            ffi::lua_pushinteger(l, c.sparse_safe as isize);
            Ok(3)
        })
    }
}

macro_rules! int_setting {
    ($name:ident, $field:ident, $min:expr, $max:expr) => {
        unsafe extern "C-unwind" fn $name(l: *mut lua_State) -> c_int {
            // SAFETY: called by Lua.
            unsafe {
                run(l, || {
                    let mut c = cfg();
                    if let Some(v) = int_option(l, 1, $min, $max)? {
                        c.$field = v;
                    }
                    CONFIG.with(|x| x.set(c));
                    ffi::lua_pushinteger(l, c.$field as isize);
                    Ok(1)
                })
            }
        }
    };
}

int_setting!(cfg_encode_max_depth, encode_max_depth, 1, i32::MAX as i64);
int_setting!(cfg_decode_max_depth, decode_max_depth, 1, i32::MAX as i64);
int_setting!(cfg_precision, precision, 1, 14);

unsafe extern "C-unwind" fn cfg_keep_buffer(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        run(l, || {
            let mut c = cfg();
            if let Some(v) = bool_option(l, 1)? {
                c.keep_buffer = v != 0;
            }
            CONFIG.with(|x| x.set(c));
            ffi::lua_pushboolean(l, c.keep_buffer as c_int);
            Ok(1)
        })
    }
}

unsafe extern "C-unwind" fn cfg_encode_invalid(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        run(l, || {
            let mut c = cfg();
            if let Some(v) = bool_option(l, 1)? {
                c.encode_invalid_numbers = v;
            }
            CONFIG.with(|x| x.set(c));
            push_bool_setting(l, c.encode_invalid_numbers);
            Ok(1)
        })
    }
}

unsafe extern "C-unwind" fn cfg_decode_invalid(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        run(l, || {
            let mut c = cfg();
            if let Some(v) = bool_option(l, 1)? {
                c.decode_invalid_numbers = v != 0;
            }
            CONFIG.with(|x| x.set(c));
            ffi::lua_pushboolean(l, c.decode_invalid_numbers as c_int);
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
            "cjson",
            &[
                ("encode", encode),
                ("decode", decode),
                ("encode_sparse_array", cfg_sparse_array),
                ("encode_max_depth", cfg_encode_max_depth),
                ("decode_max_depth", cfg_decode_max_depth),
                ("encode_number_precision", cfg_precision),
                ("encode_keep_buffer", cfg_keep_buffer),
                ("encode_invalid_numbers", cfg_encode_invalid),
                ("decode_invalid_numbers", cfg_decode_invalid),
            ],
        );
        lua::set_field(l, -1, "null", || {
            ffi::lua_pushlightuserdata(l, std::ptr::null_mut())
        });
        lua::set_field(l, -1, "_NAME", || lua::push_bytes(l, b"cjson"));
        lua::set_field(l, -1, "_VERSION", || lua::push_bytes(l, b"2.1.0"));
        ffi::lua_pop(l, 1);
    }
}
