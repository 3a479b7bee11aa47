//! The directories a private daemon's data dir may never be, hold or be
//! inside, and the rules that hold for a data dir on every node (pure:
//! the build checks each node's value by them). A leaf: the host-side
//! check (`data_dir`) builds on it, and the config reader calls it
//! without importing the daemon's code.

use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Why a data dir breaks a rule of every node (`static_check`,
/// `check_elsewhere`): said after the key and the value, which the caller
/// names (`DEFAULT.docker_data_dir: '/usr' is a system directory (/usr)`).
#[derive(Debug, PartialEq)]
pub enum DataDirRule {
    NotAbsolute,
    DotDot,
    /// A system directory, as `Guarded::refuses` says it.
    System(String),
    Home,
    DefaultRoot,
}

impl fmt::Display for DataDirRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataDirRule::NotAbsolute => f.write_str("is not an absolute path"),
            DataDirRule::DotDot => f.write_str("holds '..': name the directory itself"),
            DataDirRule::System(why) => f.write_str(why),
            DataDirRule::Home => f.write_str("is a user's home directory"),
            DataDirRule::DefaultRoot => write!(
                f,
                "is, holds or is inside dockerd's default data root ({DEFAULT_ROOT})"
            ),
        }
    }
}

/// Directories a data dir may not be nor hold: dockerd would take them
/// over (or, for the parents of system trees, everything under them).
pub(super) const SYSTEM: &[&str] = &[
    "/",
    "/tmp",
    "/var",
    "/home",
    "/opt",
    "/srv",
    "/mnt",
    "/media",
    "/var/lib",
    "/var/tmp",
    "/var/opt",
    "/var/local",
    "/var/backups",
];

/// Trees a data dir may not be, hold, nor be inside: the system's own
/// (kernel views, programs, libraries, configuration, runtime state,
/// root's home, the package managers' and systemd's state, logs, spools)
/// and the private daemons' exec roots (under /run). An empty directory
/// there (a `/var/lib/private`, a `/run/user/0`) is no less the system's.
pub(super) const TREES: &[&str] = &[
    "/boot",
    "/dev",
    "/proc",
    "/sys",
    "/etc",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/run",
    "/root",
    "/snap",
    "/var/run",
    "/var/lock",
    "/var/log",
    "/var/cache",
    "/var/spool",
    "/var/mail",
    "/var/snap",
    "/var/lib/private",
    "/var/lib/misc",
    "/var/lib/systemd",
    "/var/lib/dpkg",
    "/var/lib/apt",
    "/var/lib/opensvc",
    "/lost+found",
    // other engines' stores (dockerd's own are found as data roots)
    "/var/lib/containerd",
    "/var/lib/containers",
    "/var/lib/kubelet",
];

/// dockerd's data root when nothing sets it.
pub(super) const DEFAULT_ROOT: &str = "/var/lib/docker";

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Rule {
    /// refused when the data dir is it or holds it
    Is,
    /// refused when the data dir is it, holds it or is inside it
    Tree,
}

/// A directory a data dir is compared with, and what to call it.
pub(super) struct Guarded {
    pub(super) path: PathBuf,
    rule: Rule,
    what: String,
}

impl Guarded {
    pub(super) fn new(path: impl Into<PathBuf>, rule: Rule, what: impl Into<String>) -> Guarded {
        Guarded {
            path: real(&path.into()),
            rule,
            what: what.into(),
        }
    }

    /// A system directory as named, its links not followed: what every
    /// node refuses alike.
    pub(super) fn system(path: &str, rule: Rule) -> Guarded {
        Guarded {
            path: path.into(),
            rule,
            what: "a system directory".into(),
        }
    }

    /// Why `dir` (a real path) may not be a data dir, by this one.
    pub(super) fn refuses(&self, dir: &Path, ino: Option<(u64, u64)>) -> Option<String> {
        let p = self.path.display();
        let what = &self.what;
        if dir == self.path {
            Some(format!("is {what} ({p})"))
        } else if self.path.starts_with(dir) {
            Some(format!("holds {what} ({p})"))
        } else if self.rule == Rule::Tree && dir.starts_with(&self.path) {
            Some(format!("is inside {what} ({p})"))
        } else if ino.is_some() && ino == inode(&self.path) {
            Some(format!("is {what} ({p}), mounted or linked there"))
        } else {
            None
        }
    }
}

/// The rules of a data dir that hold on every node, whatever its host
/// (the build applies them to the value of each node a scope names): an
/// absolute path, no '..', no system directory (as named: this host's
/// links are `check`'s), no user's home directory. Pure: no I/O.
pub fn static_check(data_dir: &str) -> Result<(), DataDirRule> {
    let raw = Path::new(data_dir);
    if !raw.is_absolute() {
        return Err(DataDirRule::NotAbsolute);
    }
    if raw
        .components()
        .any(|c| c == std::path::Component::ParentDir)
    {
        return Err(DataDirRule::DotDot);
    }
    let dir: PathBuf = raw.components().collect();
    let listed: Vec<Guarded> = SYSTEM
        .iter()
        .map(|d| Guarded::system(d, Rule::Is))
        .chain(TREES.iter().map(|d| Guarded::system(d, Rule::Tree)))
        .collect();
    // what it is before what it holds or is in: '/' is a system directory
    let why = listed
        .iter()
        .find(|g| g.path == dir)
        .or_else(|| listed.iter().find(|g| g.refuses(&dir, None).is_some()));
    if let Some(why) = why.and_then(|g| g.refuses(&dir, None)) {
        return Err(DataDirRule::System(why));
    }
    if dir.parent() == Some(Path::new("/home")) {
        return Err(DataDirRule::Home);
    }
    Ok(())
}

/// The rules a data dir meant for another node is checked by here: the
/// static ones, and dockerd's default data root (the one engine root om
/// can name without asking that node's engine; that node checks its own
/// engines before its daemon starts).
pub fn check_elsewhere(data_dir: &str) -> Result<(), DataDirRule> {
    static_check(data_dir)?;
    let dir: PathBuf = Path::new(data_dir).components().collect();
    let default = Path::new(DEFAULT_ROOT);
    if dir == default || dir.starts_with(default) || default.starts_with(&dir) {
        return Err(DataDirRule::DefaultRoot);
    }
    Ok(())
}

/// `p` with its symbolic links resolved as far as it exists.
pub fn real(p: &Path) -> PathBuf {
    let mut base: PathBuf = p.components().collect();
    let mut rest = Vec::new();
    loop {
        if let Ok(c) = std::fs::canonicalize(&base) {
            return rest.iter().rev().fold(c, |acc, r| acc.join(r));
        }
        match (base.file_name().map(ToOwned::to_owned), base.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                base = parent.to_path_buf();
            }
            _ => return p.components().collect(),
        }
    }
}

pub(super) fn inode(p: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}
