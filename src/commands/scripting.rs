//! Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT LOAD/EXISTS/FLUSH/KILL/
//! DEBUG/HELP, FCALL, FCALL_RO and FUNCTION LOAD/LIST/DELETE/FLUSH/DUMP/RESTORE/STATS/KILL/
//! HELP. Argument checks and replies live here; running scripts is [`crate::scripting`].

use super::Ctx;
use super::args::is;
use super::error::{CmdError, CmdResult};
use super::table::{Command, Group, cmd, container, flags::*};
use crate::scripting::functions::{Functions, RestorePolicy, fcall};
use crate::scripting::{self, sflags};
use crate::util::glob::glob_match;

const S: Group = Group::Scripting;
const EVAL_FLAGS: u32 = NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE | MOVABLE_KEYS;

pub static COMMANDS: &[Command] = &[
    cmd("eval", -3, EVAL_FLAGS, (0, 0, 0), S, eval),
    cmd("evalsha", -3, EVAL_FLAGS, (0, 0, 0), S, evalsha),
    cmd("eval_ro", -3, EVAL_FLAGS | READONLY, (0, 0, 0), S, eval_ro),
    cmd(
        "evalsha_ro",
        -3,
        EVAL_FLAGS | READONLY,
        (0, 0, 0),
        S,
        evalsha_ro,
    ),
    cmd("fcall", -3, EVAL_FLAGS, (0, 0, 0), S, fcall_cmd),
    cmd(
        "fcall_ro",
        -3,
        EVAL_FLAGS | READONLY,
        (0, 0, 0),
        S,
        fcall_ro,
    ),
    container("script", -2, 0, S, SCRIPT_SUBCOMMANDS),
    container("function", -2, 0, S, FUNCTION_SUBCOMMANDS),
];

static SCRIPT_SUBCOMMANDS: &[Command] = &[
    cmd("script|debug", 3, NOSCRIPT, (0, 0, 0), S, script_debug),
    cmd("script|exists", -3, NOSCRIPT, (0, 0, 0), S, script_exists),
    cmd("script|flush", -2, NOSCRIPT, (0, 0, 0), S, script_flush),
    cmd("script|help", 2, LOADING | STALE, (0, 0, 0), S, script_help),
    cmd(
        "script|kill",
        2,
        NOSCRIPT | ALLOW_BUSY,
        (0, 0, 0),
        S,
        script_kill,
    ),
    cmd(
        "script|load",
        3,
        NOSCRIPT | STALE,
        (0, 0, 0),
        S,
        script_load,
    ),
];

static FUNCTION_SUBCOMMANDS: &[Command] = &[
    cmd(
        "function|delete",
        3,
        WRITE | NOSCRIPT,
        (0, 0, 0),
        S,
        function_delete,
    ),
    cmd("function|dump", 2, NOSCRIPT, (0, 0, 0), S, function_dump),
    cmd(
        "function|flush",
        -2,
        WRITE | NOSCRIPT,
        (0, 0, 0),
        S,
        function_flush,
    ),
    cmd(
        "function|help",
        2,
        LOADING | STALE,
        (0, 0, 0),
        S,
        function_help,
    ),
    cmd(
        "function|kill",
        2,
        NOSCRIPT | ALLOW_BUSY,
        (0, 0, 0),
        S,
        function_kill,
    ),
    cmd("function|list", -2, NOSCRIPT, (0, 0, 0), S, function_list),
    cmd(
        "function|load",
        -3,
        WRITE | DENYOOM | NOSCRIPT,
        (0, 0, 0),
        S,
        function_load,
    ),
    cmd(
        "function|restore",
        -3,
        WRITE | DENYOOM | NOSCRIPT,
        (0, 0, 0),
        S,
        function_restore,
    ),
    cmd(
        "function|stats",
        2,
        NOSCRIPT | ALLOW_BUSY,
        (0, 0, 0),
        S,
        function_stats,
    ),
];

/// EVAL's numkeys: checked before anything else, as Redis does.
fn numkeys(a: &[&[u8]]) -> Result<usize, CmdError> {
    let n = crate::util::numbers::parse_i64(a[2]).ok_or(CmdError::NotInteger)?;
    if n > a.len() as i64 - 3 {
        return Err(CmdError::msg(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if n < 0 {
        return Err(CmdError::msg("ERR Number of keys can't be negative"));
    }
    Ok(n as usize)
}

fn eval_generic(ctx: &mut Ctx, a: &[&[u8]], by_sha: bool, ro: bool) -> CmdResult {
    // The script's writes record themselves (effects replication), as in Redis 7.0.
    ctx.no_propagate();
    let n = numkeys(a)?;
    let sha = if by_sha {
        let mut sha = [0u8; 40];
        if a[1].len() != 40 {
            return Err(noscript());
        }
        sha.copy_from_slice(a[1]);
        sha.make_ascii_lowercase();
        if ctx.srv.scripting.eval_script(&sha).is_none() {
            return Err(noscript());
        }
        sha
    } else {
        ctx.srv.scripting.load_eval(a[1])?
    };
    let (keys, args) = (&a[3..3 + n], &a[3 + n..]);
    scripting::run_eval(ctx.srv, ctx.client, &sha, keys, args, a, ro)
}

fn noscript() -> CmdError {
    CmdError::msg("NOSCRIPT No matching script. Please use EVAL.")
}

fn eval(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    eval_generic(ctx, a, false, false)
}

fn evalsha(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    eval_generic(ctx, a, true, false)
}

fn eval_ro(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    eval_generic(ctx, a, false, true)
}

fn evalsha_ro(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    eval_generic(ctx, a, true, true)
}

fn fcall_cmd(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    ctx.no_propagate();
    fcall(ctx.srv, ctx.client, a, false)
}

fn fcall_ro(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    ctx.no_propagate();
    fcall(ctx.srv, ctx.client, a, true)
}

// ---------------------------------------------------------------------------------------
// SCRIPT
// ---------------------------------------------------------------------------------------

fn script_load(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let sha = ctx.srv.scripting.load_eval(a[2])?;
    ctx.reply().bulk(&sha);
    Ok(())
}

fn script_exists(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let found: Vec<bool> = a[2..]
        .iter()
        .map(|s| {
            if s.len() != 40 {
                return false;
            }
            let mut sha = [0u8; 40];
            sha.copy_from_slice(s);
            sha.make_ascii_lowercase();
            ctx.srv.scripting.eval_script(&sha).is_some()
        })
        .collect();
    let r = ctx.reply();
    r.array(found.len());
    for f in found {
        r.int(f as i64);
    }
    Ok(())
}

/// `[ASYNC|SYNC]` of SCRIPT FLUSH / FUNCTION FLUSH (both flush at once: scripts are small).
fn flush_mode(a: &[&[u8]], err: &str) -> CmdResult {
    match a.len() {
        2 => Ok(()),
        3 if is(a[2], "sync") || is(a[2], "async") => Ok(()),
        _ => Err(CmdError::msg(err)),
    }
}

fn script_flush(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    flush_mode(a, "ERR SCRIPT FLUSH only support SYNC|ASYNC option")?;
    ctx.srv.scripting.flush_eval();
    ctx.reply().ok();
    Ok(())
}

fn script_kill(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    scripting::kill(&mut ctx.srv.scripting, true)?;
    ctx.reply().ok();
    Ok(())
}

fn script_debug(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    if is(a[2], "no") {
        ctx.reply().ok();
        Ok(())
    } else if is(a[2], "yes") || is(a[2], "sync") {
        Err(CmdError::msg("ERR The Lua debugger is not supported"))
    } else {
        Err(CmdError::msg("ERR Use SCRIPT DEBUG YES/SYNC/NO"))
    }
}

fn help(ctx: &mut Ctx, lines: &[&str]) -> CmdResult {
    let r = ctx.reply();
    r.array(lines.len());
    for l in lines {
        r.simple(l);
    }
    Ok(())
}

fn script_help(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    help(
        ctx,
        &[
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
            "HELP",
            "    Prints this help.",
        ],
    )
}

// ---------------------------------------------------------------------------------------
// FUNCTION
// ---------------------------------------------------------------------------------------

fn function_load(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    // Options before the code (the last argument): only REPLACE, repeatable.
    let mut replace = false;
    for opt in &a[2..a.len() - 1] {
        if !is(opt, "replace") {
            return Err(CmdError::msg(format!(
                "ERR Unknown option given: {}",
                String::from_utf8_lossy(opt)
            )));
        }
        replace = true;
    }
    let code = a[a.len() - 1];
    let name = Functions::load(ctx.srv, ctx.client, code, replace)?;
    // Libraries are part of the data the AOF must rebuild.
    ctx.force_propagate();
    ctx.reply().bulk(name.as_bytes());
    Ok(())
}

fn function_delete(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    ctx.srv.scripting.functions.delete(a[2])?;
    ctx.force_propagate();
    ctx.reply().ok();
    Ok(())
}

fn function_flush(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    flush_mode(a, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option")?;
    ctx.srv.scripting.functions.flush();
    ctx.force_propagate();
    ctx.reply().ok();
    Ok(())
}

fn function_kill(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    scripting::kill(&mut ctx.srv.scripting, false)?;
    ctx.reply().ok();
    Ok(())
}

fn function_dump(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let payload = ctx.srv.scripting.functions.dump();
    ctx.reply().bulk(&payload);
    Ok(())
}

fn function_restore(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let policy = match a.len() {
        3 => RestorePolicy::Append,
        4 if is(a[3], "append") => RestorePolicy::Append,
        4 if is(a[3], "replace") => RestorePolicy::Replace,
        4 if is(a[3], "flush") => RestorePolicy::Flush,
        _ => {
            return Err(CmdError::msg(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ));
        }
    };
    Functions::restore(ctx.srv, ctx.client, a[2], policy)?;
    ctx.force_propagate();
    ctx.reply().ok();
    Ok(())
}

fn function_list(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (mut with_code, mut pattern): (bool, Option<&[u8]>) = (false, None);
    let mut i = 2;
    while i < a.len() {
        if !with_code && is(a[i], "withcode") {
            with_code = true;
        } else if pattern.is_none() && is(a[i], "libraryname") {
            if i + 1 >= a.len() {
                return Err(CmdError::msg("ERR library name argument was not given"));
            }
            i += 1;
            pattern = Some(a[i]);
        } else {
            return Err(CmdError::msg(format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(a[i])
            )));
        }
        i += 1;
    }
    let f = &ctx.srv.scripting.functions;
    let libs: Vec<_> = f
        .libs
        .values()
        .filter(|l| pattern.is_none_or(|p| glob_match(p, l.name.as_bytes(), true)))
        .collect();
    let r = &mut ctx.client.reply;
    r.array(libs.len());
    for lib in libs {
        r.map(if with_code { 4 } else { 3 });
        r.bulk(b"library_name");
        r.bulk(lib.name.as_bytes());
        r.bulk(b"engine");
        r.bulk(b"LUA");
        r.bulk(b"functions");
        r.array(lib.functions.len());
        for func in &lib.functions {
            r.map(3);
            r.bulk(b"name");
            r.bulk(func.name.as_bytes());
            r.bulk(b"description");
            match &func.description {
                Some(d) => r.bulk(d),
                None => r.null(),
            }
            r.bulk(b"flags");
            let names: Vec<&str> = sflags::NAMES
                .iter()
                .filter(|(bit, _)| func.flags & bit != 0)
                .map(|(_, n)| *n)
                .collect();
            r.set(names.len());
            for n in names {
                r.simple(n);
            }
        }
        if with_code {
            r.bulk(b"library_code");
            r.bulk(&lib.code);
        }
    }
    Ok(())
}

fn function_stats(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let sc = &ctx.srv.scripting;
    if sc.run.as_ref().is_some_and(|run| run.is_eval) {
        return Err(CmdError::msg(scripting::busy_error(sc)));
    }
    let r = &mut ctx.client.reply;
    r.map(2);
    r.bulk(b"running_script");
    // An EVAL script shows as nothing running: FUNCTION STATS is about functions.
    match sc.run.as_ref().filter(|run| !run.is_eval) {
        Some(run) => {
            r.map(3);
            r.bulk(b"name");
            r.bulk(run.name.as_bytes());
            r.bulk(b"command");
            r.array(run.argv.len());
            for arg in &run.argv {
                r.bulk(arg);
            }
            r.bulk(b"duration_ms");
            r.int(run.start.elapsed().as_millis() as i64);
        }
        None => r.null(),
    }
    r.bulk(b"engines");
    r.map(1);
    r.bulk(b"LUA");
    r.map(2);
    r.bulk(b"libraries_count");
    r.int(sc.functions.libs.len() as i64);
    r.bulk(b"functions_count");
    r.int(sc.functions.function_count() as i64);
    Ok(())
}

fn function_help(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    help(
        ctx,
        &[
            "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
            "HELP",
            "    Prints this help.",
        ],
    )
}
