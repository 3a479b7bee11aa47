//! The cgroup slices om's `--cgroup-parent` makes docker create (cgroupfs
//! driver: `/opensvc.slice/[NS.slice/]NAME.slice/…`), removed when the
//! service's containers are gone, so that no service leaves its tree behind.

use crate::docker::argv::{cgroup_parent, CgroupDriver};
use crate::model::Service;
use crate::paths::SvcPath;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// `opensvc.slice/[NS.slice/]NAME.slice`, relative to a hierarchy's root.
pub fn service_slice(path: &SvcPath) -> PathBuf {
    let mut p = PathBuf::from("opensvc.slice");
    if !path.is_root_ns() {
        p.push(format!("{}.slice", path.namespace));
    }
    p.push(format!("{}.slice", path.name));
    p
}

/// Removes the service's slice in every hierarchy (the unified one, or
/// each v1 controller), deepest first. Returns the directories removed and
/// the ones that could not be (still in use, say).
/// `levels`: the service's own directories under its slice
/// (`container.slice`, `container.SUBSET.slice`, see `own_levels`).
pub fn remove_service_slices(path: &SvcPath, levels: &[String]) -> (Vec<PathBuf>, Vec<String>) {
    remove_under(Path::new(CGROUP_ROOT), &service_slice(path), levels)
}

/// The levels a service's `--cgroup-parent` puts under its slice.
pub fn own_levels(svc: &Service) -> Vec<String> {
    let mut levels = vec!["container.slice".to_string()];
    levels.extend(
        svc.subsets
            .iter()
            .map(|(s, _)| format!("container.{s}.slice")),
    );
    levels
}

/// The systemd units that are one resource's alone (the last level of its
/// `--cgroup-parent`); the levels above may be shared (`opensvc-svc1.slice`
/// is also the parent of namespace svc1's services).
pub fn leaf_units(svc: &Service) -> Vec<String> {
    svc.containers
        .iter()
        .map(|c| cgroup_parent(&svc.path, c, CgroupDriver::Systemd))
        .collect()
}

/// `opensvc.slice/NS.slice`: the slice of namespace NS, where its
/// services' slices are (and the slice of a root service named NS).
pub fn namespace_slice(ns: &str) -> PathBuf {
    Path::new("opensvc.slice").join(format!("{ns}.slice"))
}

/// Removes namespace `ns`'s slice in every hierarchy where it holds no
/// slice any more (after the purge of its last service; the caller checks
/// that no root service named `ns` has it as its own). Returns the
/// directories removed and the ones that could not be.
pub fn remove_namespace_slice(ns: &str) -> (Vec<PathBuf>, Vec<String>) {
    remove_if_empty(Path::new(CGROUP_ROOT), &namespace_slice(ns))
}

fn remove_if_empty(root: &Path, rel: &Path) -> (Vec<PathBuf>, Vec<String>) {
    let mut removed = Vec::new();
    let mut failed = Vec::new();
    for base in hierarchies(root) {
        let d = base.join(rel);
        // a slice of a service still there (or one starting) stays
        let empty = std::fs::read_dir(&d).is_ok_and(|mut entries| {
            !entries.any(|e| e.is_ok_and(|e| e.file_type().is_ok_and(|t| t.is_dir())))
        });
        if !empty || !d.is_dir() {
            continue;
        }
        match std::fs::remove_dir(&d) {
            Ok(()) => removed.push(d),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => failed.push(format!("{}: {e}", d.display())),
        }
    }
    (removed, failed)
}

/// The unified hierarchy's root, and v1's one per controller directory
/// (`cpu` is often a symlink to `cpu,cpuacct`: each real directory once).
fn hierarchies(root: &Path) -> Vec<PathBuf> {
    let mut bases = vec![root.to_path_buf()];
    if let Ok(entries) = std::fs::read_dir(root) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                bases.push(e.path());
            }
        }
    }
    bases
}

fn remove_under(root: &Path, rel: &Path, levels: &[String]) -> (Vec<PathBuf>, Vec<String>) {
    let bases = hierarchies(root);
    let mut removed = Vec::new();
    let mut failed = Vec::new();
    // One wait for all: a cgroup kept busy (a process left behind by a
    // killed engine) keeps its twins of every controller busy too.
    let deadline = Instant::now() + Duration::from_millis(500);
    for base in bases {
        let top = base.join(rel);
        if !top.is_dir() {
            continue;
        }
        // Only the service's own levels and below: `opensvc.slice/ns1.slice`
        // is both a root service named ns1 and the namespace ns1, whose
        // services' slices are not ours.
        let mut dirs = Vec::new();
        for level in levels {
            let d = top.join(level);
            if d.is_dir() {
                collect_dirs(&d, &mut dirs);
            }
        }
        // Children before parents; a parent of a directory that stays
        // stays too, without waiting on it.
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        let mut kept: Vec<PathBuf> = Vec::new();
        for d in dirs {
            if kept.iter().any(|k| k.starts_with(&d)) {
                continue;
            }
            match rmdir_retry(&d, deadline) {
                Ok(()) => removed.push(d),
                Err(e) => {
                    failed.push(format!("{}: {e}", d.display()));
                    kept.push(d);
                }
            }
        }
        // The service's slice itself, once nothing is left under it (a
        // namespace of the same name may hold slices there: no wait).
        let empty = std::fs::read_dir(&top).is_ok_and(|mut entries| {
            !entries.any(|e| e.is_ok_and(|e| e.file_type().is_ok_and(|t| t.is_dir())))
        });
        if empty && kept.is_empty() {
            match std::fs::remove_dir(&top) {
                Ok(()) => removed.push(top),
                Err(e) => failed.push(format!("{}: {e}", top.display())),
            }
        }
    }
    (removed, failed)
}

fn collect_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    out.push(dir.to_path_buf());
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                collect_dirs(&e.path(), out);
            }
        }
    }
}

/// The engine empties a container's cgroup right after `docker rm`, but
/// the kernel may still be tearing it down: retry a busy directory briefly
/// (a signal ends the wait), up to `deadline`.
fn rmdir_retry(dir: &Path, deadline: Instant) -> std::io::Result<()> {
    loop {
        match std::fs::remove_dir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) && Instant::now() < deadline => {
                if crate::interrupt::sleep(Duration::from_millis(50)).is_err() {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_paths() {
        assert_eq!(
            service_slice(&SvcPath::parse("svc1").unwrap()),
            Path::new("opensvc.slice/svc1.slice")
        );
        assert_eq!(
            service_slice(&SvcPath::parse("ns1/svc/a").unwrap()),
            Path::new("opensvc.slice/ns1.slice/a.slice")
        );
    }

    #[test]
    fn removes_the_tree_in_every_hierarchy() {
        let root = tempfile::tempdir().unwrap();
        let p = SvcPath::parse("svc1").unwrap();
        for base in ["", "cpu,cpuacct", "memory"] {
            let d = root
                .path()
                .join(base)
                .join(service_slice(&p))
                .join("container.slice/container.1.slice");
            std::fs::create_dir_all(&d).unwrap();
        }
        let other = root.path().join("opensvc.slice/other.slice");
        std::fs::create_dir_all(&other).unwrap();
        // a namespace svc1's service under a root service svc1's slice
        let ns_child = root.path().join("opensvc.slice/svc1.slice/a.slice");
        std::fs::create_dir_all(&ns_child).unwrap();
        let levels = vec!["container.slice".to_string()];
        let (removed, failed) = remove_under(root.path(), &service_slice(&p), &levels);
        // the unified root's svc1.slice stays, without a word: it holds the
        // namespace's a.slice
        assert!(failed.is_empty(), "{failed:?}");
        assert_eq!(removed.len(), 8);
        assert!(root.path().join("opensvc.slice/svc1.slice").exists());
        assert!(!root.path().join("memory/opensvc.slice/svc1.slice").exists());
        assert!(ns_child.exists());
        assert!(other.exists());
    }

    #[test]
    fn a_namespace_slice_goes_only_empty() {
        let root = tempfile::tempdir().unwrap();
        let ns = namespace_slice("ns1");
        for base in ["", "memory", "cpu,cpuacct"] {
            std::fs::create_dir_all(root.path().join(base).join(&ns)).unwrap();
        }
        // a service's slice still in the memory hierarchy
        let busy = root.path().join("memory").join(&ns).join("b.slice");
        std::fs::create_dir_all(&busy).unwrap();
        let (removed, failed) = remove_if_empty(root.path(), &ns);
        assert!(failed.is_empty(), "{failed:?}");
        let mut removed = removed;
        removed.sort();
        assert_eq!(
            removed,
            [
                root.path().join("cpu,cpuacct").join(&ns),
                root.path().join(&ns)
            ]
        );
        assert!(busy.exists());
    }
}
