//! Forked children (BGSAVE, AOF rewrite): reaping without blocking and stopping them,
//! shared by both kinds as Redis's childinfo/`checkChildrenDone`.

/// How a child ended.
#[derive(Debug)]
pub enum Exit {
    /// Exit status 0.
    Success,
    /// Another exit status.
    Failed,
    /// Killed by this signal (SIGUSR1 is how the server itself stops a child).
    Signaled(i32),
    /// waitpid failed.
    WaitError(std::io::Error),
}

/// Reap child `pid` if it has ended (`waitpid(WNOHANG)`); `None` while it runs.
pub fn try_reap(pid: i32) -> Option<Exit> {
    let mut status = 0i32;
    // SAFETY: waitpid writes the status into our local.
    let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    if r == 0 {
        return None;
    }
    if r < 0 {
        return Some(Exit::WaitError(std::io::Error::last_os_error()));
    }
    Some(
        if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
            Exit::Success
        } else if libc::WIFSIGNALED(status) {
            Exit::Signaled(libc::WTERMSIG(status))
        } else {
            Exit::Failed
        },
    )
}

/// Stop child `pid` with SIGUSR1 and wait for it.
pub fn kill_and_reap(pid: i32) {
    // SAFETY: signalling and reaping our own child.
    unsafe {
        libc::kill(pid, libc::SIGUSR1);
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
    }
}
