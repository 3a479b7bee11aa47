//! The host's processes as /proc shows them (name, command line), for the
//! questions om asks of them: which dockerd runs on which data root and
//! socket, whether a daemon's containerd shims still live; and the end of
//! a process that is not om's child (a daemon, its containerd).

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How often `end` looks whether its process is gone.
const POLL: Duration = Duration::from_millis(200);

/// A process: its pid and name (`comm`), its command line read on demand.
pub struct Proc {
    pub pid: u32,
    pub comm: String,
    dir: PathBuf,
}

impl Proc {
    /// Its command line's words (lossy UTF-8); none when it can not be
    /// read (gone meanwhile).
    pub fn argv(&self) -> Vec<String> {
        std::fs::read(self.dir.join("cmdline"))
            .map(|c| {
                c.split(|b| *b == 0)
                    .map(|w| String::from_utf8_lossy(w).into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The processes running now; `None` when /proc can not be listed (the
/// caller says what that means: never "none").
pub fn all() -> Option<Vec<Proc>> {
    let entries = std::fs::read_dir("/proc").ok()?;
    Some(
        entries
            .flatten()
            .filter_map(|e| {
                let pid = e.file_name().to_str()?.parse().ok()?;
                let comm = std::fs::read_to_string(e.path().join("comm")).ok()?;
                Some(Proc {
                    pid,
                    comm: comm.trim_end().to_string(),
                    dir: e.path(),
                })
            })
            .collect(),
    )
}

/// SIGTERM, up to `grace`, then SIGKILL; whether it ended in time.
/// `still` says the pid is still the process meant (checked again right
/// before each signal: not om's child, its pid may be reused once reaped).
pub fn end(pid: u32, grace: Duration, still: impl Fn() -> bool) -> bool {
    if still() {
        signal(pid, libc::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    while alive(pid) {
        if Instant::now() >= deadline {
            if still() {
                signal(pid, libc::SIGKILL);
                // gone before om says so (a kill is not instant)
                let gone_by = Instant::now() + Duration::from_secs(2);
                while alive(pid) && Instant::now() < gone_by {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            return false;
        }
        std::thread::sleep(POLL);
    }
    true
}

/// Whether `pid` runs (a zombie does not).
pub fn alive(pid: u32) -> bool {
    // a zombie (our own child, not yet reaped) is not alive
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Sends `sig` to `pid`, never to init or a process group.
fn signal(pid: u32, sig: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        if pid > 1 {
            // SAFETY: kill(2) takes plain integers and touches no memory of ours.
            unsafe {
                libc::kill(pid, sig);
            }
        }
    }
}
