//! What a private daemon that is gone leaves, and om clears: the
//! containerd it started, the bind mount of its data root onto itself,
//! its exec root (kept while a containerd shim of it runs).

use super::Daemon;
use crate::procs::{alive, end};
use std::path::{Path, PathBuf};
use std::time::Duration;

impl Daemon {
    /// What a daemon that is gone leaves, cleared: the containerd it may
    /// have started under its exec root, the bind mount of its data root
    /// onto itself, and the exec root. One way for every path that ends
    /// with no daemon: one that exited or was stopped at its start, one
    /// stopped (or killed at the bound) after its last container.
    ///
    /// dockerd bind-mounts its data root onto itself (for mount
    /// propagation) when it is no mount point yet, and says so with an
    /// empty `unmount-on-shutdown` file in its exec root; it takes the
    /// mount back when it stops cleanly, and removes the file. A file
    /// still there means a dockerd that died (SIGKILL) and left the mount:
    /// om takes it back, as that dockerd would have (every killed daemon
    /// left a mount over its data dir, found under the test runs'
    /// temporary directories, issue 21).
    ///
    /// The exec root also holds containerd's record of the containers'
    /// shims: while a shim of it runs (a container a killed daemon left
    /// running), it stays, so that the next daemon finds them again.
    pub(super) fn forget_run(&self) {
        self.end_orphan_containerd();
        self.note_dockerd_mount();
        if self.mount_note().exists() {
            unmount_data_root(Path::new(&self.conf.data_dir));
            let _ = std::fs::remove_file(self.mount_note());
        }
        if !self.shims_run() {
            let _ = std::fs::remove_dir_all(&self.exec_root);
        }
    }

    /// Before a start over what a killed daemon left (`unclean`): its
    /// containerd ends, its exec root stays (the containers it left
    /// running are found again through it), and the mount it left is
    /// noted: the new dockerd finds its data root mounted already, keeps
    /// it and drops the `unmount-on-shutdown` file, so only om's note says
    /// that the mount is dockerd's to be taken back once no daemon runs.
    pub(super) fn take_over_run(&self) {
        self.end_orphan_containerd();
        self.note_dockerd_mount();
    }

    /// om's own note (in the state directory) that the data root's mount
    /// onto itself is dockerd's, made from dockerd's file when there is one.
    fn note_dockerd_mount(&self) {
        if self.exec_root.join("unmount-on-shutdown").exists() {
            let _ = crate::fsutil::write_atomic(&self.mount_note(), b"", &self.roots.trees());
        }
    }

    fn mount_note(&self) -> PathBuf {
        self.pid_file.with_file_name("docker.data-root-mount")
    }

    /// Whether a containerd shim of this daemon's containerd runs (its
    /// command line names the exec root, through its containerd address).
    pub(super) fn shims_run(&self) -> bool {
        let root = self.exec_root.to_string_lossy().into_owned();
        // unknown: the exec root is kept, never a guess
        crate::procs::all().is_none_or(|procs| {
            procs.iter().any(|p| {
                p.comm.starts_with("containerd-shim") && p.argv().iter().any(|w| w.contains(&root))
            })
        })
    }

    /// The containerd a killed daemon started (under its exec root) runs
    /// on and holds its store: a new daemon would wait on it until its
    /// start fails. It is ended first, found by its pid file and verified
    /// (a `containerd` whose command line names this exec root).
    pub(super) fn end_orphan_containerd(&self) {
        let dir = self.exec_root.join("containerd");
        let pid_file = dir.join("containerd.pid");
        let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok())
        else {
            return;
        };
        // a live containerd whose command line names this exec root
        let verified = || {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            comm.trim_end() == "containerd"
                && String::from_utf8_lossy(&cmdline).contains(&*dir.to_string_lossy())
                && alive(pid)
        };
        if verified() {
            end(pid, Duration::from_secs(10), verified);
        }
        // dockerd trusts any process under that pid (a zombie, a reused
        // pid) and then waits on it until its start times out.
        let _ = std::fs::remove_file(&pid_file);
    }
}

/// Takes back the bind mount of `data` onto itself that a dead dockerd
/// left: only when `data` is a mount point whose source is that same
/// directory (its mountinfo root is its own path), never another mount
/// (a file system the operator mounted there stays). Lazily when busy
/// (a container's file system still mounted under it): the directory and
/// its files are the same with or without that mount.
fn unmount_data_root(data: &Path) {
    // as mountinfo names it: no trailing '/', no '//' or '.'
    let data: PathBuf = data.components().collect();
    let data = data.as_path();
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    if !self_bind_mounted(&info, data) {
        return;
    }
    let Ok(c) = std::ffi::CString::new(data.as_os_str().as_encoded_bytes()) else {
        return;
    };
    // SAFETY: a NUL-terminated path; umount2 only reads it.
    if unsafe { libc::umount2(c.as_ptr(), 0) } != 0 {
        // SAFETY: as above.
        unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
    }
}

/// Whether mountinfo text `info` has `dir` mounted onto itself: its last
/// mount at `dir` is of the same file system (major:minor) as the mount
/// `dir` sits on, and its root within that file system is the path of
/// `dir` there: a bind mount of the directory onto itself, as dockerd
/// makes. (The fields escape space, tab, newline and backslash as octal.)
fn self_bind_mounted(info: &str, dir: &Path) -> bool {
    struct Mount<'a> {
        dev: &'a str,
        root: &'a str,
        point: &'a str,
    }
    let mounts: Vec<Mount> = info
        .lines()
        .filter_map(|line| {
            let mut f = line.split(' ').skip(2);
            Some(Mount {
                dev: f.next()?,
                root: f.next()?,
                point: f.next()?,
            })
        })
        .collect();
    let want = escape_mountinfo(&dir.to_string_lossy());
    // the last mount at `dir` is what a path lookup sees; the one below it
    // (an earlier one at `dir`, or the longest mount point above `dir`)
    // is the file system the directory itself is on
    let Some(top) = mounts.iter().rposition(|m| m.point == want) else {
        return false;
    };
    let under = |m: &Mount| {
        m.point == want
            || m.point == "/"
            || want
                .strip_prefix(m.point)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    let Some(below) = mounts[..top]
        .iter()
        .filter(|m| under(m))
        .max_by_key(|m| m.point.len())
    else {
        return false;
    };
    let rel = if below.point == "/" {
        want.as_str()
    } else {
        &want[below.point.len()..]
    };
    let expected = if below.root == "/" {
        rel.to_string()
    } else if rel.is_empty() {
        below.root.to_string()
    } else {
        format!("{}{rel}", below.root)
    };
    let m = &mounts[top];
    m.dev == below.dev && m.root == expected
}

fn escape_mountinfo(path: &str) -> String {
    path.replace('\\', "\\134")
        .replace(' ', "\\040")
        .replace('\t', "\\011")
        .replace('\n', "\\012")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_root_mounted_onto_itself_is_told_from_other_mounts() {
        let dir = Path::new("/tmp/t 1/data");
        // dockerd's bind of its data root onto itself, on the root fs
        let root_fs = "21 1 254:0 / / rw - ext4 /dev/vda rw\n";
        let own = "90 21 254:0 /tmp/t\\0401/data /tmp/t\\0401/data rw - ext4 /dev/vda rw\n";
        assert!(self_bind_mounted(&format!("{root_fs}{own}"), dir));
        // the same on a tmpfs mounted at /tmp (its root is the path in it)
        let tmp = "30 21 0:40 / /tmp rw - tmpfs tmpfs rw\n";
        let own_tmp = "91 30 0:40 /t\\0401/data /tmp/t\\0401/data rw - tmpfs tmpfs rw\n";
        assert!(self_bind_mounted(&format!("{root_fs}{tmp}{own_tmp}"), dir));
        // another directory bound there, or another file system: not it
        let other = "92 21 254:0 /srv/x /tmp/t\\0401/data rw - ext4 /dev/vda rw\n";
        assert!(!self_bind_mounted(&format!("{root_fs}{other}"), dir));
        let fs = "93 21 7:0 / /tmp/t\\0401/data rw - xfs /dev/loop0 rw\n";
        assert!(!self_bind_mounted(&format!("{root_fs}{fs}"), dir));
        assert!(!self_bind_mounted(root_fs, dir));
        // a prefix of the name is no parent
        let near = "94 21 254:0 /tmp/t\\0401/dat /tmp/t\\0401/dat rw - ext4 /dev/vda rw\n";
        assert!(!self_bind_mounted(&format!("{root_fs}{near}"), dir));
    }
}
