//! `ferrokv-server [config-file] [--name value ...]`, like `redis-server`.

use std::process::ExitCode;

use ferrokv::config::Config;
use ferrokv::server::Server;

#[global_allocator]
static GLOBAL: ferrokv::alloc::Counting = ferrokv::alloc::Counting;

fn main() -> ExitCode {
    ferrokv::alloc::activate();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-v" || a == "--version") {
        println!(
            "ferrokv v={} (Redis {} compatible)",
            ferrokv::server::FERROKV_VERSION,
            ferrokv::server::REDIS_VERSION
        );
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("\n{e}");
            return ExitCode::from(1);
        }
    };
    raise_open_files_limit(config.maxclients as u64 + 32);
    // Redis chdirs into `dir`; the config module resolved it to an absolute path.
    if let Err(e) = std::env::set_current_dir(&config.dir) {
        eprintln!("# Can't chdir to '{}': {e}", config.dir.display());
        return ExitCode::from(1);
    }
    let mut server = match Server::bind(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("# {e}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = server.handle_signals() {
        eprintln!("# Failed to install signal handlers: {e}");
        return ExitCode::from(1);
    }
    let port = server.port();
    server.state.log.notice(&format!(
        "ferrokv {} (Redis {} compatible) started, pid={}, port={}",
        ferrokv::server::FERROKV_VERSION,
        ferrokv::server::REDIS_VERSION,
        std::process::id(),
        port
    ));
    // Load `dir/dbfilename`: a small file before the first client is served, a large one
    // on a thread while clients get -LOADING.
    // With the AOF on, it is the source of truth and the RDB file is not read (as Redis).
    let loaded = if server.state.config.appendonly {
        ferrokv::persistence::aof::start(&mut server.state).inspect_err(|e| {
            server.state.log.warning(e);
        })
    } else {
        ferrokv::persistence::load_at_startup(&mut server.state, 200)
    };
    if let Err(e) = loaded {
        eprintln!("# {e}");
        return ExitCode::from(1);
    }
    match server.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("# Event loop failed: {e}");
            ExitCode::from(1)
        }
    }
}

/// Raise RLIMIT_NOFILE so `maxclients` connections fit, as Redis does at start-up.
fn raise_open_files_limit(wanted: u64) {
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return;
        }
        if lim.rlim_cur >= wanted {
            return;
        }
        let target = wanted.min(lim.rlim_max);
        lim.rlim_cur = target;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
    }
}
