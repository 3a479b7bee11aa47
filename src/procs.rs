//! The host's processes as /proc shows them (name, command line), for the
//! questions om asks of them: which dockerd runs on which data root and
//! socket, whether a daemon's containerd shims still live.

use std::path::PathBuf;

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
