//! The one write path for files om keeps (configs, logs, state, locks):
//! they may hold config values, so files are 0600 in 0700 directories,
//! never opened through a symlink, and replaced atomically.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

const FILE_MODE: u32 = 0o600;
const DIR_MODE: u32 = 0o700;

/// The trees om owns (`etc`, `var`, `log`: `Roots::trees`), which a write
/// is told of: only directories inside them are ever narrowed, and a root
/// itself only when it is not a top-level directory (`OSVC_ROOT_PATH=/`
/// makes `/etc` a root: om never changes the mode of `/etc`). A write
/// elsewhere (a data dir, a unit file) is told `NOT_OURS`.
pub type Owned<'a> = &'a [&'a Path];

/// No tree of om's: no existing directory is narrowed.
pub const NOT_OURS: Owned<'static> = &[];

/// Creates `dir` (and its parents) 0700. An existing directory of om's
/// trees (`owned`) is narrowed to 0700 when an older om left it open.
pub fn private_dir(dir: &Path, owned: Owned) -> io::Result<()> {
    let existed = std::fs::symlink_metadata(dir).is_ok();
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)?;
    let top_level = |r: &Path| r.parent().is_none_or(|p| p == Path::new("/"));
    let inside = owned
        .iter()
        .any(|r| dir.starts_with(r) && (dir != *r || !top_level(r)));
    if existed && inside {
        narrow_dir(dir)?;
    }
    Ok(())
}

/// Takes group and other bits away from a directory om owns (never
/// through a symlink).
fn narrow_dir(path: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() && too_open(&meta) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(DIR_MODE))?;
    }
    Ok(())
}

/// Open to group or others, and ours to narrow.
fn too_open(meta: &std::fs::Metadata) -> bool {
    meta.mode() & 0o077 != 0 && meta.uid() == euid()
}

/// The user om acts as: the owner of what it creates.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and can not fail.
    unsafe { libc::geteuid() }
}

/// Whether directory `dir` holds no entry (its listing's error as is).
pub fn is_empty_dir(dir: &Path) -> std::io::Result<bool> {
    Ok(std::fs::read_dir(dir)?.next().is_none())
}

fn options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    o
}

/// Opens `file` for appending (a log), creating it 0600 in a 0700 directory.
pub fn open_append(file: &Path, owned: Owned) -> io::Result<File> {
    if let Some(dir) = file.parent() {
        private_dir(dir, owned)?;
    }
    let f = options().create(true).append(true).open(file)?;
    narrow_open(&f)?;
    Ok(f)
}

/// Opens `file` for reading and writing (a lock), creating it 0600.
pub fn open_rw(file: &Path, owned: Owned) -> io::Result<File> {
    if let Some(dir) = file.parent() {
        private_dir(dir, owned)?;
    }
    let f = options()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(file)?;
    narrow_open(&f)?;
    Ok(f)
}

fn narrow_open(f: &File) -> io::Result<()> {
    if too_open(&f.metadata()?) {
        f.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(())
}

/// Writes atomically: an exclusively created temp file with an
/// unpredictable name in the same directory, fsync, rename. A reader or a
/// crash sees the old file or the new one, never half of one; a planted
/// symlink is never followed. Temp files that writers killed before their
/// rename left behind are removed first.
pub fn write_atomic(file: &Path, bytes: &[u8], owned: Owned) -> io::Result<()> {
    replace(file, bytes, owned, true)
}

/// `write_atomic` without the two fsyncs (~8 ms each on a busy disk), for
/// a record whose loss in a power cut is read as its absence, on the
/// side that warns (a sync's time of success: "never synced"). A crash
/// of om still leaves the old file or the new one.
pub fn write_atomic_unsynced(file: &Path, bytes: &[u8], owned: Owned) -> io::Result<()> {
    replace(file, bytes, owned, false)
}

fn replace(file: &Path, bytes: &[u8], owned: Owned, durable: bool) -> io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    private_dir(dir, owned)?;
    let base = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    remove_stale_temps(dir, &base);
    let tmp = dir.join(format!(
        ".{base}.{}.{}.tmp",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| -> io::Result<()> {
        let mut f = options().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        std::fs::rename(&tmp, file)?;
        if durable {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The one rule for "is it there": only `NotFound` says that a file or
/// directory is absent (`Ok(None)`); any other error (permission denied
/// above all) is an error naming the path, never "does not exist".
pub fn found<T>(path: &Path, r: io::Result<T>) -> crate::error::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(crate::error::Error::io(crate::error::REACH, path, e)),
    }
}

/// What an I/O error on `path` says: `PATH: permission denied` when the
/// user may not reach it, `PATH: ERROR` else (`Error::Io` without a verb).
pub fn io_fault(path: &Path, e: &io::Error) -> String {
    crate::error::io_line(crate::error::REACH, path, e)
}

/// The entries of `dir`; none when it does not exist, an error when it
/// can not be read (never taken for empty).
pub fn read_dir_found(dir: &Path) -> crate::error::Result<Vec<std::fs::DirEntry>> {
    let Some(entries) = found(dir, std::fs::read_dir(dir))? else {
        return Ok(Vec::new());
    };
    entries
        .map(|e| e.map_err(|e| crate::error::Error::io(crate::error::REACH, dir, e)))
        .collect()
}

/// The directories in `dir` (`read_dir_found`, less the entries that are
/// something else: a stray file among the namespaces is none).
pub fn subdirs_found(dir: &Path) -> crate::error::Result<Vec<std::fs::DirEntry>> {
    let mut entries = read_dir_found(dir)?;
    entries.retain(|e| e.file_type().map_or(true, |t| t.is_dir() || t.is_symlink()));
    Ok(entries)
}

/// `.NAME.PID.RANDOM.tmp` files whose writer is dead.
fn remove_stale_temps(dir: &Path, base: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{base}.");
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".tmp"))
        else {
            continue;
        };
        let Some(pid) = rest.split('.').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A regular file at `file`, or an error saying what is there instead (a
/// FIFO would block a reader forever, a directory is no config).
pub fn check_regular(file: &Path) -> io::Result<()> {
    regular(&std::fs::metadata(file)?)
}

/// The text of a regular file. Opened without blocking (a FIFO would block
/// the open), then checked on the open handle: one stat, and no window
/// between the check and the read.
pub fn read_regular(file: &Path) -> io::Result<String> {
    read_regular_within(file, u64::MAX)
}

/// `read_regular`, reading no more than `max` + 1 bytes: a longer file is
/// an error (`over N MiB`, `InvalidData`).
pub fn read_regular_within(file: &Path, max: u64) -> io::Result<String> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(file)?;
    read_open(f, max)
}

/// `over N MiB`: the error of a source past its bound `max`.
pub fn over(max: u64) -> String {
    format!("over {} MiB", max >> 20)
}

/// The bytes of `src`, a file or `-` (stdin), for the option `flag`
/// (`--config`, `--from`): reading stops after `max` + 1 bytes (a source
/// may be endless, /dev/zero), and more than `max` is an error naming the
/// option, the source and the bound.
pub fn read_source(flag: &str, src: &str, max: u64) -> crate::error::Result<Vec<u8>> {
    use crate::error::Context;
    use std::io::Read;
    let mut bytes = Vec::new();
    if src == "-" {
        std::io::stdin()
            .take(max.saturating_add(1))
            .read_to_end(&mut bytes)
            .context(|| format!("{flag} -: reading stdin"))?;
    } else {
        File::open(src)
            .and_then(|f| f.take(max.saturating_add(1)).read_to_end(&mut bytes))
            .context(|| format!("{flag} {src}"))?;
    }
    if bytes.len() as u64 > max {
        return Err(crate::error::Error::Failed(format!(
            "{flag} {src}: {}",
            over(max)
        )));
    }
    Ok(bytes)
}

fn read_open(mut f: File, max: u64) -> io::Result<String> {
    use std::io::Read;
    let meta = f.metadata()?;
    regular(&meta)?;
    let size = meta.len().min(max);
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    // Through `Read for &mut File`'s generic path: File's own
    // read_to_end would stat the file again for a size we already have.
    Read::by_ref(&mut f)
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(io::ErrorKind::InvalidData, over(max)));
    }
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// A directory opened once, under which many files are then reached by a
/// short path walk each: status of a thousand services opens a thousand
/// configs and stats two thousand state files, and walking the whole path
/// each time was most of the kernel's share of it. When the directory can
/// not be opened, the full paths are used.
pub struct Under {
    root: PathBuf,
    fd: Option<std::os::fd::OwnedFd>,
}

impl Under {
    pub fn open(root: &Path) -> Under {
        let fd = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(root)
            .ok()
            .map(std::os::fd::OwnedFd::from);
        Under {
            root: root.to_path_buf(),
            fd,
        }
    }

    /// Full paths only (one file to read: no directory to open first).
    pub fn paths(root: &Path) -> Under {
        Under {
            root: root.to_path_buf(),
            fd: None,
        }
    }

    pub fn path(&self, rel: &Path) -> PathBuf {
        self.root.join(rel)
    }

    fn at(&self, rel: &Path) -> Option<(std::os::fd::RawFd, std::ffi::CString)> {
        use std::os::fd::AsRawFd;
        use std::os::unix::ffi::OsStrExt;
        let fd = self.fd.as_ref()?.as_raw_fd();
        // an absolute `rel` would leave the directory: the full path then
        let c = std::ffi::CString::new(rel.as_os_str().as_bytes()).ok()?;
        (!rel.is_absolute()).then_some((fd, c))
    }

    /// `read_regular_within` of `rel` under the directory.
    pub fn read_regular_within(&self, rel: &Path, max: u64) -> io::Result<String> {
        let Some((dir, c)) = self.at(rel) else {
            return read_regular_within(&self.path(rel), max);
        };
        // SAFETY: a valid directory fd and a NUL-terminated path; the
        // returned fd, when valid, is ours alone.
        let fd = unsafe {
            libc::openat(
                dir,
                c.as_ptr(),
                libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd was just opened and is owned by nothing else.
        let f = unsafe { <File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
        read_open(f, max)
    }

    /// The size of the file at `rel` (symlinks followed), `None` when
    /// there is none, like `std::fs::metadata(...).map(|m| m.len())`.
    pub fn size(&self, rel: &Path) -> Option<u64> {
        let Some((dir, c)) = self.at(rel) else {
            return std::fs::metadata(self.path(rel)).ok().map(|m| m.len());
        };
        // SAFETY: stat is plain data, filled in by fstatat on success.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: a valid directory fd, a NUL-terminated path, a stat buffer.
        let rc = unsafe { libc::fstatat(dir, c.as_ptr(), &mut st, 0) };
        (rc == 0).then(|| u64::try_from(st.st_size).unwrap_or(0))
    }
}

fn regular(meta: &std::fs::Metadata) -> io::Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    let what = if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    };
    Err(io::Error::other(format!("it is {what}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().mode() & 0o777
    }

    #[test]
    fn only_not_found_is_absent() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        assert!(found(&missing, std::fs::read_dir(&missing))
            .unwrap()
            .is_none());
        assert!(read_dir_found(&missing).unwrap().is_empty());
        let denied: io::Result<()> = Err(io::Error::from(io::ErrorKind::PermissionDenied));
        let e = found(Path::new("/r/etc"), denied).unwrap_err().to_string();
        assert_eq!(e, "/r/etc: permission denied");
        let other: io::Result<()> = Err(io::Error::from_raw_os_error(libc::ENOTDIR));
        let e = found(Path::new("/r/etc"), other).unwrap_err().to_string();
        assert!(e.starts_with("/r/etc: Not a directory"), "{e}");
        // a file where a directory of services should be is no empty one
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        assert!(read_dir_found(&file).is_err());
        // and no namespace among the namespaces
        std::fs::create_dir(dir.path().join("ns1")).unwrap();
        let names: Vec<_> = subdirs_found(dir.path())
            .unwrap()
            .iter()
            .map(std::fs::DirEntry::file_name)
            .collect();
        assert_eq!(names, ["ns1"]);
    }

    #[test]
    fn files_and_dirs_are_private() {
        let root = tempfile::tempdir().unwrap();
        let log = root.path().join("log/ns/a.log");
        open_append(&log, NOT_OURS)
            .unwrap()
            .write_all(b"x")
            .unwrap();
        assert_eq!(mode(&log), 0o600);
        assert_eq!(mode(log.parent().unwrap()), 0o700);
        let conf = root.path().join("etc/a.conf");
        write_atomic(&conf, b"[DEFAULT]\n", NOT_OURS).unwrap();
        assert_eq!(mode(&conf), 0o600);
        // an older, open file is narrowed
        std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
        open_append(&log, NOT_OURS).unwrap();
        assert_eq!(mode(&log), 0o600);
        // an existing directory outside om's trees keeps its mode
        let shared = root.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
        open_append(&shared.join("x.log"), NOT_OURS).unwrap();
        assert_eq!(mode(&shared), 0o755);
    }

    #[test]
    fn only_directories_of_om_s_trees_are_narrowed() {
        let root = tempfile::tempdir().unwrap();
        let (log, shared) = (root.path().join("log"), root.path().join("shared"));
        for d in [&log, &shared] {
            std::fs::create_dir(d).unwrap();
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let owned: &[&Path] = &[&log];
        open_append(&log.join("a.log"), owned).unwrap();
        assert_eq!(mode(&log), 0o700);
        write_atomic(&shared.join("x"), b"x", owned).unwrap();
        assert_eq!(mode(&shared), 0o755);
    }

    #[test]
    fn symlinks_are_never_followed() {
        let root = tempfile::tempdir().unwrap();
        let victim = root.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let log = root.path().join("a.log");
        std::os::unix::fs::symlink(&victim, &log).unwrap();
        assert!(open_append(&log, NOT_OURS).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    }

    #[test]
    fn stale_temps_of_dead_writers_go() {
        let root = tempfile::tempdir().unwrap();
        let conf = root.path().join("a.conf");
        // pid 0x7fffffff is never alive; our own pid is
        let dead = root.path().join(".a.conf.2147483647.abc.tmp");
        let other = root.path().join(".b.conf.2147483647.abc.tmp");
        std::fs::write(&dead, "x").unwrap();
        std::fs::write(&other, "x").unwrap();
        write_atomic(&conf, b"new", NOT_OURS).unwrap();
        assert!(!dead.exists());
        assert!(other.exists(), "another file's temp is not ours to remove");
        let left: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
    }

    #[test]
    fn fifos_and_dirs_are_not_config_files() {
        let root = tempfile::tempdir().unwrap();
        let fifo = root.path().join("f");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(check_regular(&fifo)
            .unwrap_err()
            .to_string()
            .contains("not a regular file"));
        assert!(check_regular(root.path())
            .unwrap_err()
            .to_string()
            .contains("a directory"));
        // read without blocking on the FIFO
        assert!(read_regular(&fifo)
            .unwrap_err()
            .to_string()
            .contains("not a regular file"));
        assert!(read_regular(root.path())
            .unwrap_err()
            .to_string()
            .contains("a directory"));
        let f = root.path().join("c");
        std::fs::write(&f, "[DEFAULT]\n").unwrap();
        assert_eq!(read_regular(&f).unwrap(), "[DEFAULT]\n");
        // the same under a directory opened once, and by full paths
        std::fs::create_dir(root.path().join("d")).unwrap();
        for under in [Under::open(root.path()), Under::paths(root.path())] {
            assert_eq!(
                under.read_regular_within(Path::new("c"), u64::MAX).unwrap(),
                "[DEFAULT]\n"
            );
            assert_eq!(under.size(Path::new("c")), Some(10));
            assert_eq!(under.size(Path::new("none")), None);
            let fifo_err = under
                .read_regular_within(Path::new("f"), u64::MAX)
                .unwrap_err();
            assert!(fifo_err.to_string().contains("not a regular file"));
            let dir_err = under
                .read_regular_within(Path::new("d"), u64::MAX)
                .unwrap_err();
            assert!(dir_err.to_string().contains("a directory"));
            let missing = under
                .read_regular_within(Path::new("none"), u64::MAX)
                .unwrap_err();
            assert_eq!(missing.kind(), io::ErrorKind::NotFound);
            // a bound: the file at it is read, one byte more is refused
            assert!(under.read_regular_within(Path::new("c"), 10).is_ok());
            let err = under.read_regular_within(Path::new("c"), 9).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        }
    }

    #[test]
    fn a_source_is_read_to_its_bound_and_one_byte() {
        let big = 3 << 20;
        assert_eq!(
            read_source("--config", "/dev/zero", 1 << 20)
                .unwrap_err()
                .to_string(),
            "--config /dev/zero: over 1 MiB"
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c");
        std::fs::write(&f, vec![b'#'; big]).unwrap();
        let src = f.to_str().unwrap();
        assert_eq!(read_source("--from", src, big as u64).unwrap().len(), big);
        assert!(read_source("--from", src, big as u64 - 1).is_err());
        let missing = read_source("--config", "/nonexistent/x", 1)
            .unwrap_err()
            .to_string();
        assert!(
            missing.starts_with("--config /nonexistent/x: "),
            "{missing}"
        );
    }
}
