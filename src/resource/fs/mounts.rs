//! The mount table as the kernel says it (`/proc/self/mountinfo`), and
//! the processes that hold a mount (a `/proc` scan: their cwd, root, open
//! files and mapped files). Pure parsing here, tested; the reads are
//! bounded by the kernel's files.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// One mount: where, what (the source as mount says it, the device
/// numbers), of what type.
#[derive(Clone, Debug, PartialEq)]
pub struct Mount {
    pub mnt: PathBuf,
    pub source: String,
    pub fstype: String,
    /// `major:minor` of the filesystem (btrfs: an anonymous one).
    pub devno: String,
}

/// mountinfo's octal escapes (`\040` for a space) undone.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 4 <= b.len() {
            let oct = &b[i + 1..i + 4];
            if oct.iter().all(|c| (b'0'..=b'7').contains(c)) {
                let v = oct.iter().fold(0u32, |a, c| a * 8 + u32::from(c - b'0'));
                if let Ok(v) = u8::try_from(v) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The lines of a mountinfo file.
pub fn parse(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            let f: Vec<&str> = left.split(' ').collect();
            let r: Vec<&str> = right.split(' ').collect();
            Some(Mount {
                devno: (*f.get(2)?).to_string(),
                mnt: PathBuf::from(unescape(f.get(4)?)),
                fstype: (*r.first()?).to_string(),
                source: unescape(r.get(1)?),
            })
        })
        .collect()
}

/// This process's mount table; a read that fails is an error.
pub fn table() -> Result<Vec<Mount>> {
    let file = Path::new("/proc/self/mountinfo");
    std::fs::read_to_string(file)
        .map(|t| parse(&t))
        .map_err(|e| Error::Failed(crate::fsutil::io_fault(file, &e)))
}

/// `mnt` as the mount table writes it: its directory's links resolved
/// (`/srv/lnk/m` with `lnk -> real` is mounted on `/srv/real/m`), its last
/// word as is (a mount point is never a link, and a stat of a hung mount
/// would hang).
pub fn resolved(mnt: &Path) -> PathBuf {
    match (mnt.parent(), mnt.file_name()) {
        (Some(dir), Some(name)) => crate::docker::system_dirs::real(dir).join(name),
        _ => mnt.to_path_buf(),
    }
}

/// The mount on `mnt`, found at its resolved path (the last one: what the
/// path shows).
pub fn on(table: &[Mount], mnt: &Path) -> Option<Mount> {
    let mnt = resolved(mnt);
    table.iter().rev().find(|m| m.mnt == mnt).cloned()
}

/// Whether mount `m` is of device `dev`: by name (the link resolved) or
/// by its device numbers.
pub fn is_of(m: &Mount, dev: &str) -> bool {
    if m.source == dev {
        return true;
    }
    let canon = |p: &str| std::fs::canonicalize(p).ok();
    if canon(&m.source).is_some_and(|s| Some(s) == canon(dev)) {
        return true;
    }
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dev).is_ok_and(|md| {
        let rdev = md.rdev();
        let (maj, min) = (libc_major(rdev), libc_minor(rdev));
        m.devno == format!("{maj}:{min}")
    })
}

fn libc_major(d: u64) -> u64 {
    ((d >> 32) & 0xffff_f000) | ((d >> 8) & 0xfff)
}

fn libc_minor(d: u64) -> u64 {
    ((d >> 12) & 0xffff_ff00) | (d & 0xff)
}

/// The processes of `/proc`: each pid and its directory (none when
/// `/proc` does not read: these are diagnostics, said on a failure path).
fn processes() -> impl Iterator<Item = (u32, PathBuf)> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flat_map(|d| d.flatten())
        .filter_map(|e| {
            let pid = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((pid, e.path()))
        })
}

/// The processes that hold anything at or under `mnt`: `pid (comm)`, in
/// pid order.
pub fn holders(mnt: &Path) -> Vec<String> {
    let mnt = resolved(mnt);
    let mnt = mnt.as_path();
    let under = |p: &Path| p == mnt || p.starts_with(mnt);
    let mut out: Vec<(u32, String)> = Vec::new();
    for (pid, dir) in processes() {
        let link = |name: &str| std::fs::read_link(dir.join(name)).ok();
        let mut held = ["cwd", "root", "exe"]
            .iter()
            .filter_map(|n| link(n))
            .any(|p| under(&p));
        if !held {
            held = std::fs::read_dir(dir.join("fd"))
                .map(|fds| {
                    fds.flatten()
                        .filter_map(|f| std::fs::read_link(f.path()).ok())
                        .any(|p| under(&p))
                })
                .unwrap_or(false);
        }
        if !held {
            held = std::fs::read_to_string(dir.join("maps")).is_ok_and(|m| {
                m.lines()
                    .filter_map(|l| l.split_whitespace().nth(5))
                    .any(|p| under(Path::new(p)))
            });
        }
        if held {
            let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            out.push((pid, comm.trim().to_string()));
        }
    }
    out.sort();
    out.into_iter()
        .map(|(pid, comm)| format!("{pid} ({comm})"))
        .collect()
}

/// The mount namespaces other than this one where `dev` is mounted, one
/// process of each: `pid (comm) at MNT`. A namespace made while the
/// device was mounted keeps its copy (a private mount, which no umount
/// here reaches) and the device busy: what an operator must be told.
pub fn other_namespaces_holding(dev: &str) -> Vec<String> {
    let mine = std::fs::read_link("/proc/self/ns/mnt").ok();
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<(u32, String)> = Vec::new();
    for (pid, dir) in processes() {
        let Ok(ns) = std::fs::read_link(dir.join("ns/mnt")) else {
            continue;
        };
        if Some(&ns) == mine.as_ref() || !seen.insert(ns) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(dir.join("mountinfo")) else {
            continue;
        };
        if let Some(m) = parse(&text).into_iter().find(|m| is_of(m, dev)) {
            let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            out.push((pid, format!("{} at {}", comm.trim(), m.mnt.display())));
        }
    }
    out.sort();
    out.into_iter()
        .map(|(pid, what)| format!("{pid} ({what})"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_lines() {
        let text = "36 35 98:0 /mnt1 /mnt/a\\040b rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n\
                    40 22 0:52 / /srv/x rw,relatime shared:5 - btrfs /dev/loop3 rw,space_cache=v2\n\
                    bad line\n";
        let got = parse(text);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].mnt, Path::new("/mnt/a b"));
        assert_eq!(got[0].source, "/dev/root");
        assert_eq!(got[0].devno, "98:0");
        assert_eq!(got[1].fstype, "btrfs");
        assert_eq!(
            on(&got, Path::new("/srv/x")).map(|m| m.source),
            Some("/dev/loop3".into())
        );
        assert!(on(&got, Path::new("/srv")).is_none());
        assert_eq!(unescape("a\\134b\\011"), "a\\b\t");
    }
}
