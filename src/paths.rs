//! Service paths (`NAME`, `NS/svc/NAME`) and where their files live.

use crate::error::{Error, Result};
use crate::fsutil::read_dir_found;
use std::fmt;
use std::path::{Path, PathBuf};

/// The three trees om writes to: `etc` (configs), `var` (state, locks), `log`.
#[derive(Clone, Debug)]
pub struct Roots {
    pub etc: PathBuf,
    pub var: PathBuf,
    pub log: PathBuf,
}

impl Roots {
    /// Where root keeps everything without `OSVC_ROOT_PATH`.
    pub fn system() -> Roots {
        Roots {
            etc: "/etc/opensvc".into(),
            var: "/var/lib/opensvc".into(),
            log: "/var/log/opensvc".into(),
        }
    }

    /// The trees om owns, whose directories it may narrow (see
    /// `fsutil::Owned`).
    pub fn trees(&self) -> [&Path; 3] {
        [&self.etc, &self.var, &self.log]
    }

    pub fn under(dir: &Path) -> Roots {
        Roots {
            etc: dir.join("etc"),
            var: dir.join("var"),
            log: dir.join("log"),
        }
    }
}

/// A validated service path. The namespace `root` is the one without a prefix.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SvcPath {
    pub namespace: String,
    pub name: String,
}

/// Paths sort as they print (`a`, `b`, `ns1/svc/c`), as `om ls` lists them.
impl Ord for SvcPath {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.to_string().cmp(&other.to_string())
    }
}

impl PartialOrd for SvcPath {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

pub const ROOT_NS: &str = "root";

impl SvcPath {
    pub fn parse(s: &str) -> Result<SvcPath> {
        let bad = |why: &str| Error::Usage(format!("invalid service path '{s}': {why}"));
        let parts: Vec<&str> = s.split('/').collect();
        let (namespace, name) = match parts.as_slice() {
            [name] => (ROOT_NS, *name),
            [ns, "svc", name] => (*ns, *name),
            [_, kind, _] => {
                return Err(bad(&format!("kind '{kind}' is not supported, only 'svc'")))
            }
            _ => return Err(bad("expected NAME or NAMESPACE/svc/NAME")),
        };
        check_name(namespace).map_err(|why| bad(&format!("namespace {why}")))?;
        check_name(name).map_err(|why| bad(&format!("name {why}")))?;
        Ok(SvcPath {
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
    }

    pub fn is_root_ns(&self) -> bool {
        self.namespace == ROOT_NS
    }

    /// The directory part under `etc`, `var` and `log`: empty for root.
    fn rel_dir(&self) -> PathBuf {
        if self.is_root_ns() {
            PathBuf::new()
        } else {
            Path::new("namespaces").join(&self.namespace).join("svc")
        }
    }

    pub fn conf_file(&self, roots: &Roots) -> PathBuf {
        roots.etc.join(self.conf_rel())
    }

    /// The config file under `etc`.
    pub fn conf_rel(&self) -> PathBuf {
        self.rel_dir().join(format!("{}.conf", self.name))
    }

    pub fn var_dir(&self, roots: &Roots) -> PathBuf {
        roots.var.join(self.var_rel())
    }

    /// The state directory under `var`.
    pub fn var_rel(&self) -> PathBuf {
        if self.is_root_ns() {
            Path::new("svc").join(&self.name)
        } else {
            self.rel_dir().join(&self.name)
        }
    }

    pub fn log_file(&self, roots: &Roots) -> PathBuf {
        roots
            .log
            .join(self.rel_dir())
            .join(format!("{}.log", self.name))
    }
}

impl fmt::Display for SvcPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root_ns() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}/svc/{}", self.namespace, self.name)
        }
    }
}

/// Why a text is not a name (`check_name`); the caller says whose.
#[derive(Debug, PartialEq)]
pub enum NameError {
    Empty,
    TooLong(String),
    FirstNotLetter(String),
    BadChar(String, char),
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => f.write_str("is empty"),
            NameError::TooLong(s) => write!(f, "'{s}' is longer than 63 characters"),
            NameError::FirstNotLetter(s) => write!(f, "'{s}' must start with a lowercase letter"),
            NameError::BadChar(s, c) => {
                write!(f, "'{s}' has '{c}': use lowercase letters, digits and '-'")
            }
        }
    }
}

/// A name or namespace: 1-63 chars of `[a-z0-9-]`, starting with a letter.
/// Returns why it is not one.
pub fn check_name(s: &str) -> std::result::Result<(), NameError> {
    if s.is_empty() {
        return Err(NameError::Empty);
    }
    if s.len() > 63 {
        return Err(NameError::TooLong(s.to_string()));
    }
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(NameError::FirstNotLetter(s.to_string()));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(NameError::BadChar(s.to_string(), c));
    }
    Ok(())
}

/// Every service with a config file under `etc`, sorted. A directory that
/// can not be read is an error: its services are not "none".
pub fn list_services(roots: &Roots) -> Result<Vec<SvcPath>> {
    let mut out = Vec::new();
    collect_confs(&roots.etc, None, &mut out)?;
    for ns in crate::fsutil::subdirs_found(&roots.etc.join("namespaces"))? {
        let ns_name = ns.file_name().to_string_lossy().into_owned();
        if check_name(&ns_name).is_ok() {
            collect_confs(&ns.path().join("svc"), Some(&ns_name), &mut out)?;
        }
    }
    out.sort();
    Ok(out)
}

fn collect_confs(dir: &Path, ns: Option<&str>, out: &mut Vec<SvcPath>) -> Result<()> {
    for entry in read_dir_found(dir)? {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(name) = file.strip_suffix(".conf") else {
            continue;
        };
        // Whatever sits at a config path (a directory, a FIFO) is listed:
        // reading it then says what is wrong, the same for every command.
        if check_name(name).is_ok() {
            out.push(SvcPath {
                namespace: ns.unwrap_or(ROOT_NS).to_string(),
                name: name.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_root_and_namespaced_paths() {
        let p = SvcPath::parse("svc1").unwrap();
        assert_eq!((p.namespace.as_str(), p.name.as_str()), ("root", "svc1"));
        let p = SvcPath::parse("ns1/svc/web-2").unwrap();
        assert_eq!(p.to_string(), "ns1/svc/web-2");
        assert_eq!(SvcPath::parse("root/svc/a").unwrap().to_string(), "a");
    }

    #[test]
    fn refuses_bad_paths() {
        for bad in [
            "", "..", "../x", "a/b/c/d", "svc_1", "Svc", "x..y", "1abc", "a/b", "ns/vol/x",
        ] {
            assert!(SvcPath::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(SvcPath::parse(&"a".repeat(64)).is_err());
        assert!(SvcPath::parse(&"a".repeat(63)).is_ok());
    }

    #[test]
    fn files_live_where_opensvc_puts_them() {
        let roots = Roots::under(Path::new("/r"));
        let p = SvcPath::parse("svc1").unwrap();
        assert_eq!(p.conf_file(&roots), Path::new("/r/etc/svc1.conf"));
        assert_eq!(p.var_dir(&roots), Path::new("/r/var/svc/svc1"));
        assert_eq!(p.log_file(&roots), Path::new("/r/log/svc1.log"));
        let p = SvcPath::parse("ns1/svc/a").unwrap();
        assert_eq!(
            p.conf_file(&roots),
            Path::new("/r/etc/namespaces/ns1/svc/a.conf")
        );
        assert_eq!(p.var_dir(&roots), Path::new("/r/var/namespaces/ns1/svc/a"));
    }
}
