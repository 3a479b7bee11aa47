//! A service's state directory: the action lock and the local expectation
//! (`started`) that the status notice shows.

use crate::debug::{self, Trace};
use crate::error::{Error, IoContext, Result};
use crate::fsutil::Under;
use crate::paths::{Roots, SvcPath};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const STARTED: &str = "started";
const LOCK: &str = "lock";
/// Holds the id of a service om made (`create`, `deploy`) and has run no
/// container of since: om's own record that no container carries its
/// label on this node, so that a delete needs no engine's answer for it.
const NEVER_RAN: &str = "never_ran";

pub fn dir(path: &SvcPath, roots: &Roots) -> PathBuf {
    path.var_dir(roots)
}

/// Whether the last action left the service started; `var` is the var
/// tree (see `fsutil::Under`).
pub fn is_started(path: &SvcPath, var: &Under) -> bool {
    var.size(&path.var_rel().join(STARTED)).is_some()
}

pub fn set_started(path: &SvcPath, roots: &Roots, started: bool) -> Result<()> {
    let d = dir(path, roots);
    let file = d.join(STARTED);
    if started {
        crate::fsutil::write_atomic(&file, b"", &roots.trees()).at("write", &file)
    } else {
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("remove", file, e)),
            _ => Ok(()),
        }
    }
}

/// Records that om made the service whose id is `id` and ran no
/// container of it yet (see `never_ran`).
pub fn mark_never_ran(path: &SvcPath, roots: &Roots, id: &str) -> Result<()> {
    let file = dir(path, roots).join(NEVER_RAN);
    crate::fsutil::write_atomic(&file, id.as_bytes(), &roots.trees()).at("write", &file)
}

/// Whether om made the service with this id on this node and never ran a
/// container of it: only its own record says so (a config placed by hand,
/// received from another node, or made before om kept the record, may
/// have containers: it says no).
pub fn never_ran(path: &SvcPath, roots: &Roots, id: &str) -> bool {
    crate::fsutil::read_regular_within(&dir(path, roots).join(NEVER_RAN), 4096)
        .is_ok_and(|recorded| recorded == id)
}

/// Before an action that may run a container of the service: the record
/// that none ever ran goes first (if it can not go, nothing runs).
pub fn may_run(path: &SvcPath, roots: &Roots) -> Result<()> {
    let file = dir(path, roots).join(NEVER_RAN);
    match std::fs::remove_file(&file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("remove", file, e)),
        _ => Ok(()),
    }
}

/// Removes the state of a deleted service, all but its lock file: an
/// action waiting on the lock must still be excluded when it gets it; the
/// lock goes when its holder releases it (see `Lock`).
pub fn clear(path: &SvcPath, roots: &Roots) -> Result<()> {
    let d = dir(path, roots);
    let entries = match std::fs::read_dir(&d) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("read", d, e)),
    };
    for entry in entries {
        let entry = entry.at("read", &d)?;
        if entry.file_name() == LOCK {
            continue;
        }
        let p = entry.path();
        let r = if entry.file_type().is_ok_and(|t| t.is_dir()) {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        r.at("remove", &p)?;
    }
    Ok(())
}

/// The action running on the service now, from its lock: held by another
/// process, it names the action it was taken for (`pid N (om PATH start)`
/// → `start`). Never waits, never creates the lock file.
pub fn running_action(path: &SvcPath, var: &Under) -> Option<String> {
    let lock_rel = path.var_rel().join(LOCK);
    // A holder writes who it is into the file and empties it when done: an
    // empty lock is free (one stat, no open, for most services of a status).
    if var.size(&lock_rel).is_none_or(|len| len == 0) {
        return None;
    }
    let lock_path = var.path(&lock_rel);
    // Never a lock of our own, not even a shared one for a moment: an
    // action started meanwhile with --waitlock 0 would fail on it. The
    // holder's pid says whether it still runs (a killed one leaves text).
    let holder = std::fs::read_to_string(&lock_path).ok()?;
    let pid: u32 = holder
        .strip_prefix("pid ")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
        return None;
    }
    let action = holder
        .rsplit_once('(')
        .and_then(|(_, what)| what.trim_end().strip_suffix(')'))
        .and_then(|what| what.split_whitespace().nth(2))
        .unwrap_or("action");
    Some(action.to_string())
}

/// The action lock of one service, held until dropped.
///
/// A service's lock file goes with the service: released while the
/// service has no config (deleted, purged, never created), the holder
/// unlinks it, and its directory when empty, before it unlocks. A waiter
/// blocked on the unlinked file gets it next, sees that its path no longer
/// names it, and takes the lock again from the path (a new file, or the
/// one a later arrival made): two actions never hold the same path's lock,
/// and the waiter then finds the service gone and says so.
pub struct Lock {
    file: File,
    /// The lock file and the config whose absence lets it go.
    gone_with: Option<(PathBuf, PathBuf)>,
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some((lock_path, conf)) = &self.gone_with {
            let absent = matches!(std::fs::symlink_metadata(conf),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound);
            // Held, so the path is this file (every unlink is its holder's).
            if absent && std::fs::remove_file(lock_path).is_ok() {
                if let Some(dir) = lock_path.parent() {
                    // only when empty; a waiter that made it meanwhile opens again
                    let _ = std::fs::remove_dir(dir);
                }
            }
        }
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// Waits for the exclusive lock of `file` until `deadline`, trying again
/// every `poll`: false when the deadline came first. The lock is the
/// standard library's, flock(2) on Linux, as fs2's was before it: an om of
/// an older version and this one exclude each other. A signal ends the
/// wait with its error (`interrupt::sleep`). The one wait for a lock file,
/// for a service's action lock and a private daemon's.
pub fn wait_for_lock(file: &File, deadline: Instant, poll: Duration) -> Result<bool> {
    loop {
        if file.try_lock().is_ok() {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        crate::interrupt::sleep(poll)?;
    }
}

/// Takes the service's action lock, waiting up to `wait`; the error says who
/// holds it (the holder writes its pid and command line into the lock file).
/// With `--debug` (`trace`), D lines say the lock asked for and how long
/// it was waited for.
pub fn lock(
    path: &SvcPath,
    roots: &Roots,
    wait: Duration,
    what: &str,
    trace: Option<&Trace>,
) -> Result<Lock> {
    let lock_path = dir(path, roots).join(LOCK);
    let mut lock = lock_at(
        roots,
        &lock_path,
        &format!("service {path}"),
        wait,
        what,
        trace.map(|t| t.of(&path.to_string())).as_ref(),
    )?;
    lock.gone_with = Some((lock_path, path.conf_file(roots)));
    Ok(lock)
}

/// The lock at `lock_path` (in om's trees `roots`), of `whose` (for the
/// message), waiting up to `wait`.
pub fn lock_at(
    roots: &Roots,
    lock_path: &std::path::Path,
    whose: &str,
    wait: Duration,
    what: &str,
    trace: Option<&Trace>,
) -> Result<Lock> {
    let since = Instant::now();
    let deadline = since + wait;
    debug::line(trace, || {
        format!(
            "acquire action lock {} (timeout {}, {what})",
            lock_path.display(),
            crate::units::humanize(wait)
        )
    });
    // Each turn is a lock file released by removal (see `Lock`) or a
    // directory removed between its creation and the open: a few at most.
    let mut turns = 0;
    let mut file = loop {
        turns += 1;
        let mut file = match crate::fsutil::open_rw(lock_path, &roots.trees()) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && turns < 100 => continue,
            opened => opened.at("open", lock_path)?,
        };
        // Ctrl-C while waiting for the lock ends the wait at once.
        if !wait_for_lock(&file, deadline, Duration::from_millis(50))? {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let holder = if holder.is_empty() {
                "another om process"
            } else {
                holder
            };
            debug::line(trace, || {
                format!(
                    "action lock not acquired: held by {holder}, waited {}",
                    debug::ms(since.elapsed())
                )
            });
            return Err(Error::Locked {
                whose: whose.to_string(),
                holder: holder.to_string(),
                waited: wait,
            });
        }
        if names(lock_path, &file) {
            break file;
        }
        if turns >= 100 {
            return Err(Error::Failed(format!(
                "{whose}: its lock file {} keeps being replaced",
                lock_path.display()
            )));
        }
    };
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(file, "pid {} ({what})", std::process::id());
    let _ = file.flush();
    debug::line(trace, || {
        format!(
            "action lock acquired, waited {}",
            debug::ms(since.elapsed())
        )
    });
    Ok(Lock {
        file,
        gone_with: None,
    })
}

/// Whether `path` still names the open `file` (not unlinked, not replaced).
fn names(path: &std::path::Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(held), Ok(now)) => held.dev() == now.dev() && held.ino() == now.ino(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_waits_then_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let roots = Roots::under(dir.path());
        let p = SvcPath::parse("svc1").unwrap();
        let held = lock(&p, &roots, Duration::from_secs(1), "om svc1 start", None).unwrap();
        let t = Instant::now();
        let err = lock(&p, &roots, Duration::from_millis(200), "om svc1 stop", None)
            .err()
            .unwrap()
            .to_string();
        assert!(t.elapsed() >= Duration::from_millis(200));
        assert!(err.contains("om svc1 start"), "{err}");
        assert!(err.contains(&std::process::id().to_string()), "{err}");
        drop(held);
        assert!(lock(&p, &roots, Duration::ZERO, "again", None).is_ok());
    }

    /// The lock of a service without a config goes at its release; a
    /// waiter blocked on the removed file takes the lock again from the
    /// path, still excluding a third, and leaves nothing either.
    #[test]
    fn the_lock_of_a_gone_service_goes_and_its_waiter_relocks() {
        let dir = tempfile::tempdir().unwrap();
        let roots = Roots::under(dir.path());
        for p in ["svc1", "ns1/svc/a"].map(|p| SvcPath::parse(p).unwrap()) {
            let state = super::dir(&p, &roots);
            let held = lock(&p, &roots, Duration::ZERO, "om svc1 purge", None).unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            let waiter = {
                let (p, roots) = (p.clone(), roots.clone());
                std::thread::spawn(move || {
                    let got =
                        lock(&p, &roots, Duration::from_secs(10), "om svc1 start", None).unwrap();
                    // excluded while the waiter holds the lock anew
                    let third = lock(&p, &roots, Duration::ZERO, "om svc1 stop", None);
                    tx.send(third.is_err()).unwrap();
                    drop(got);
                })
            };
            // the waiter is blocked on the file the release removes
            std::thread::sleep(Duration::from_millis(300));
            drop(held);
            assert!(rx.recv().unwrap(), "a third action got the lock alongside");
            waiter.join().unwrap();
            assert!(!state.exists(), "{} left behind", state.display());
            // a service with a config keeps its lock
            let conf = p.conf_file(&roots);
            std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
            std::fs::write(&conf, "").unwrap();
            drop(lock(&p, &roots, Duration::ZERO, "om svc1 start", None).unwrap());
            assert!(state.join(LOCK).exists());
        }
    }

    /// The var tree both ways: opened once, and by full paths.
    fn vars(roots: &Roots) -> [Under; 2] {
        std::fs::create_dir_all(&roots.var).unwrap();
        [Under::open(&roots.var), Under::paths(&roots.var)]
    }

    #[test]
    fn the_running_action_is_read_from_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let roots = Roots::under(dir.path());
        for p in ["svc1", "ns1/svc/a"].map(|p| SvcPath::parse(p).unwrap()) {
            for var in vars(&roots) {
                assert_eq!(running_action(&p, &var), None);
                let held = lock(&p, &roots, Duration::ZERO, "om svc1 start", None).unwrap();
                // flock: another open file description sees it held
                assert_eq!(running_action(&p, &var).as_deref(), Some("start"));
                drop(held);
                assert_eq!(running_action(&p, &var), None);
            }
        }
    }

    #[test]
    fn a_lock_waits_until_its_holder_lets_go_or_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("l");
        let open = || crate::fsutil::open_rw(&file, crate::fsutil::NOT_OURS).unwrap();
        let (held, other) = (open(), open());
        assert!(wait_for_lock(&held, Instant::now(), Duration::from_millis(1)).unwrap());
        // another open file description waits to its deadline, and fails
        let t = Instant::now();
        let soon = t + Duration::from_millis(120);
        assert!(!wait_for_lock(&other, soon, Duration::from_millis(10)).unwrap());
        assert!(t.elapsed() >= Duration::from_millis(120));
        // and takes it once the holder is gone
        let far = Instant::now() + Duration::from_secs(5);
        let waiter =
            std::thread::spawn(move || wait_for_lock(&other, far, Duration::from_millis(10)));
        std::thread::sleep(Duration::from_millis(50));
        drop(held);
        assert!(waiter.join().unwrap().unwrap());
    }

    #[test]
    fn started_flag() {
        let dir = tempfile::tempdir().unwrap();
        let roots = Roots::under(dir.path());
        for p in ["svc1", "ns1/svc/a"].map(|p| SvcPath::parse(p).unwrap()) {
            for var in vars(&roots) {
                assert!(!is_started(&p, &var));
                set_started(&p, &roots, true).unwrap();
                assert!(is_started(&p, &var));
                set_started(&p, &roots, false).unwrap();
                set_started(&p, &roots, false).unwrap();
                assert!(!is_started(&p, &var));
            }
        }
    }
}
