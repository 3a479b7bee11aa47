//! `[sync#N] type = btrfs` (SPEC 17), the agent's flow (opensvc
//! drivers/resource/sync/btrfs): the `src` subvolume's read-only snapshot
//! `NAME@tosend` (NAME: src's last component) in `.om-sync/` beside src,
//! sent with `btrfs send [-p NAME@sent] NAME@tosend | ssh NODE om …
//! --receive -- receive`, the receiving om running `btrfs receive` into
//! `.om-sync/` beside its own config's `dst` (the pipe built by
//! `process::pipe`, argv only). Incremental when both sides have
//! `NAME@sent` from the last success (the receiver's read-only, received
//! from the sender's: its Received UUID is the sender's UUID), full
//! otherwise. After a success each side drops its `@sent` and renames
//! `@tosend` to `@sent` (the parent of the next send); the receiver
//! replaces `dst` by a read-write snapshot of it. What an interrupted
//! send left (a partial `@tosend` on either side) is removed by the next
//! sync before it sends.

use super::docker::why;
use super::Mode;
use crate::error::{fail, Error, Result};
use crate::logger::{Level, Logger};
use crate::model::{DataSync, Service};
use crate::process::{capture, Cmd};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a btrfs command other than the transfer may take.
const BOUND: Duration = Duration::from_secs(300);
/// How long a send and receive may take.
const TRANSFER_BOUND: Duration = Duration::from_secs(24 * 3600);
/// The snapshots' directory, beside src on the sender, beside dst on a
/// receiver (on the same filesystem: a snapshot stays in its filesystem).
pub const SNAP_DIR: &str = ".om-sync";

/// What `btrfs subvolume show` says of a subvolume.
#[derive(Debug, Default, PartialEq)]
struct Subvol {
    uuid: String,
    /// `-` when it was not received.
    received_uuid: String,
    readonly: bool,
}

fn parse_show(text: &str) -> Option<Subvol> {
    let mut out = Subvol::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.trim() {
            "UUID" => out.uuid = v.to_string(),
            "Received UUID" => out.received_uuid = v.to_string(),
            "Flags" => out.readonly = v.split_whitespace().any(|w| w == "readonly"),
            _ => {}
        }
    }
    (!out.uuid.is_empty()).then_some(out)
}

/// The subvolume at `p`; None when nothing is there; an error when
/// something is there that btrfs does not show as a subvolume.
fn show(p: &Path) -> Result<Option<Subvol>> {
    match std::fs::symlink_metadata(p) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read", p.to_path_buf(), e)),
        Ok(_) => {}
    }
    let cmd = Cmd::new("btrfs", ["subvolume".into(), "show".into(), word(p)]);
    let out = capture(&cmd, BOUND)?;
    match (out.success(), parse_show(&out.stdout)) {
        (true, Some(s)) => Ok(Some(s)),
        _ => fail(format!(
            "{} is not a btrfs subvolume ({})",
            p.display(),
            out.error_line()
        )),
    }
}

/// Whether a subvolume is at `p`, as `show(p)?.is_some()` says it, from
/// `lstat` and `statfs` rather than a `btrfs subvolume show` run (~15 ms
/// each, up to seven a sync): a subvolume's root is the directory of
/// inode 256 on a btrfs filesystem (btrfs-progs' own test). None there:
/// false; something else there: an error.
fn present(p: &Path) -> Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let meta = match std::fs::symlink_metadata(p) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io("read", p.to_path_buf(), e)),
        Ok(m) => m,
    };
    if meta.is_dir() && meta.ino() == FIRST_FREE_OBJECTID && on_btrfs(p)? {
        return Ok(true);
    }
    fail(format!("{} is not a btrfs subvolume", p.display()))
}

/// The inode of a btrfs subvolume's root directory.
const FIRST_FREE_OBJECTID: u64 = 256;
/// `statfs`'s `f_type` of a btrfs filesystem.
const BTRFS_SUPER_MAGIC: i64 = 0x9123_683E;

fn on_btrfs(p: &Path) -> Result<bool> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(p.as_os_str().as_bytes())
        .map_err(|_| Error::Failed(format!("{}: a NUL in the path", p.display())))?;
    let mut st = std::mem::MaybeUninit::<libc::statfs>::zeroed();
    // SAFETY: `c` is a valid C string and `st` a buffer of the right type,
    // which statfs fills on success (read only then).
    let rc = unsafe { libc::statfs(c.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return Err(Error::io(
            "statfs",
            p.to_path_buf(),
            std::io::Error::last_os_error(),
        ));
    }
    // SAFETY: statfs returned 0, so it filled `st`.
    let st = unsafe { st.assume_init() };
    #[allow(clippy::unnecessary_cast)]
    Ok(st.f_type as i64 == BTRFS_SUPER_MAGIC)
}

fn word(p: &Path) -> String {
    p.display().to_string()
}

/// Runs a btrfs command, its failure an error naming it.
fn run(log: &Logger, rid: &str, args: &[String]) -> Result<()> {
    let cmd = Cmd::new("btrfs", args.iter().cloned());
    log.res(rid, Level::Info, &cmd.to_string());
    let out = capture(&cmd, BOUND)?;
    if !out.success() {
        return fail(format!("{cmd}: {}", out.error_line()));
    }
    Ok(())
}

fn delete(log: &Logger, rid: &str, p: &Path) -> Result<()> {
    run(log, rid, &["subvolume".into(), "delete".into(), word(p)])
}

/// The snapshot directory and names of `s` beside `base` (src on the
/// sender, dst on a receiver): (dir, NAME@sent, NAME@tosend), NAME the
/// src's name, the service's `id` and the rid (`data.ID.sync#1`): two
/// services, or two syncs, beside the same directory never share one.
/// Both sides compute it from their own config (the id is the same on
/// every node, the receiver checks it).
fn snaps(s: &DataSync, id: &str, base: &str) -> Result<(PathBuf, PathBuf, PathBuf)> {
    let src = Path::new(s.src.first().map_or("", String::as_str));
    let name = src
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Failed(format!("{}.src: no subvolume name", s.head.rid)))?;
    let dir = Path::new(base)
        .parent()
        .ok_or_else(|| Error::Failed(format!("{base}: no parent directory")))?
        .join(SNAP_DIR);
    let name = format!("{name}.{id}.{}", s.head.rid);
    Ok((
        dir.clone(),
        dir.join(format!("{name}@sent")),
        dir.join(format!("{name}@tosend")),
    ))
}

/// `@tosend` (what an interrupted sync left) removed, the snapshot
/// directory made.
fn prepare(log: &Logger, rid: &str, dir: &Path, tosend: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir.to_path_buf(), e))?;
    if present(tosend)? {
        log.res(
            rid,
            Level::Info,
            &format!("removing {}, left by an interrupted sync", tosend.display()),
        );
        delete(log, rid, tosend)?;
    }
    Ok(())
}

/// After a success: `@sent` dropped, `@tosend` renamed `@sent`.
fn rotate(log: &Logger, rid: &str, sent: &Path, tosend: &Path) -> Result<()> {
    if present(sent)? {
        delete(log, rid, sent)?;
    }
    std::fs::rename(tosend, sent).map_err(|e| Error::io("rename", tosend.to_path_buf(), e))
}

/// The receiving side's words after `--`: `receive` (a full stream),
/// `receive PARENT_UUID` (an incremental one, from the sender's `@sent`
/// of that UUID: refused, `NO_PARENT`, unless this node's `@sent` is
/// read-only and was received from it).
pub fn receiver_words_ok(words: &[String]) -> std::result::Result<(), String> {
    match words {
        [w] if w == "receive" => Ok(()),
        [w, u] if w == "receive" && is_uuid(u) => Ok(()),
        _ => Err(format!(
            "not a btrfs sync's receiving side ({})",
            words.join(" ")
        )),
    }
}

/// What a receiver says when it has no copy an incremental stream can
/// apply to: the sender sends in full.
const NO_PARENT: &str = "no common snapshot of the last sync here";

/// The receiving side, this node's checks passed and its lock held:
/// whether it received (the success to record).
pub fn receive(s: &DataSync, id: &str, words: &[String], log: &Logger) -> Result<bool> {
    let rid = s.head.rid.as_str();
    let (dir, sent, tosend) = snaps(s, id, &s.dst)?;
    let dst = Path::new(&s.dst);
    // dst is replaced by each success: only a subvolume, or nothing
    if let Err(e) = present(dst) {
        return fail(format!("{rid}.dst: {e}"));
    }
    if let Some(uuid) = words.get(1) {
        // a copy turned read-write, or not received from the sender's
        // parent, is no parent
        let parent = show(&sent)?;
        if !parent.is_some_and(|v| v.readonly && v.received_uuid == *uuid) {
            return fail(format!("{rid}: {NO_PARENT} ({})", sent.display()));
        }
    }
    prepare(log, rid, &dir, &tosend)?;
    // the stream's paths are the sender's words: `--chroot` confines
    // them to the snapshot directory (without it a `../` in a stream
    // writes anywhere on this host), `-e` ends at the first stream's end
    let cmd = Cmd::new(
        "btrfs",
        ["receive".into(), "-e".into(), "--chroot".into(), word(&dir)],
    );
    let code = crate::process::inherit(&cmd)?;
    if code != 0 {
        // the partial subvolume goes now (the next sync would remove it)
        if present(&tosend).unwrap_or(false) {
            let _ = delete(log, rid, &tosend);
        }
        return Err(Error::Child(code));
    }
    // a receive that ends well says nothing of what the stream made:
    // @sent, then dst, are replaced only by a snapshot received as such
    let made = match show(&tosend) {
        Ok(Some(v)) if v.readonly && v.received_uuid != "-" => Ok(()),
        Ok(Some(_)) => {
            delete(log, rid, &tosend)?;
            Err("a subvolume not received read-only".to_string())
        }
        Ok(None) => Err("nothing".to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(what) = made {
        return fail(format!(
            "{rid}: the stream made no snapshot {} here ({what}): {} kept",
            tosend.display(),
            dst.display()
        ));
    }
    rotate(log, rid, &sent, &tosend)?;
    if present(dst)? {
        delete(log, rid, dst)?;
    }
    run(
        log,
        rid,
        &[
            "subvolume".into(),
            "snapshot".into(),
            word(&sent),
            word(dst),
        ],
    )?;
    Ok(true)
}

/// One btrfs sync of `s` to `node`, the receiving om's `--receive`
/// command for a word from `receiver`.
pub fn transfer(
    svc: &Service,
    s: &DataSync,
    mode: Mode,
    node: &str,
    receiver: &dyn Fn(&[&str]) -> Result<Cmd>,
    log: &Logger,
) -> Result<()> {
    let path = &svc.path;
    let rid = s.head.rid.as_str();
    let src_word = s.src.first().map_or("", String::as_str);
    let src = Path::new(src_word);
    match present(src) {
        Ok(true) => {}
        Ok(false) => return fail(format!("{path}: {rid}.src: {src_word} does not exist")),
        Err(e) => return fail(format!("{path}: {rid}.src: {e}")),
    }
    let (dir, sent, tosend) = snaps(s, &svc.id, src_word)?;
    prepare(log, rid, &dir, &tosend)?;
    run(
        log,
        rid,
        &[
            "subvolume".into(),
            "snapshot".into(),
            "-r".into(),
            word(src),
            word(&tosend),
        ],
    )?;
    // incremental from our @sent, unless the receiver says it has no
    // copy received from it: then in full
    let mine = match mode {
        Mode::Update => show(&sent)?,
        Mode::Full => None,
    };
    let mut sent_ok = false;
    if let Some(mine) = &mine {
        let (left, right) = send_to(&tosend, Some((&sent, &mine.uuid)), receiver, log, rid)?;
        if right.success() || !right.stderr.contains(NO_PARENT) {
            outcome(path, rid, node, &left, &right, log)?;
            sent_ok = true;
        }
    }
    if !sent_ok {
        log.res(
            rid,
            Level::Info,
            &format!("full send to {node}: no common snapshot of the last sync"),
        );
        let (left, right) = send_to(&tosend, None, receiver, log, rid)?;
        outcome(path, rid, node, &left, &right, log)?;
    }
    rotate(log, rid, &sent, &tosend)
}

/// `btrfs send [-p PARENT] TOSEND | RECEIVER receive [PARENT_UUID]`.
fn send_to(
    tosend: &Path,
    parent: Option<(&Path, &str)>,
    receiver: &dyn Fn(&[&str]) -> Result<Cmd>,
    log: &Logger,
    rid: &str,
) -> Result<(crate::process::Output, crate::process::Output)> {
    let mut args = vec!["send".to_string()];
    let mut words = vec!["receive"];
    if let Some((p, uuid)) = parent {
        args.extend(["-p".to_string(), word(p)]);
        words.push(uuid);
    }
    args.push(word(tosend));
    let send = Cmd::new("btrfs", args);
    let recv = receiver(&words)?;
    log.res(rid, Level::Info, &format!("{send} | {recv}"));
    crate::process::pipe(&send, &recv, TRANSFER_BOUND)
}

/// A send's outcome: the receiver's lines logged, a failure said.
fn outcome(
    path: &crate::paths::SvcPath,
    rid: &str,
    node: &str,
    left: &crate::process::Output,
    right: &crate::process::Output,
    log: &Logger,
) -> Result<()> {
    let level = if right.success() {
        Level::Info
    } else {
        Level::Warn
    };
    for line in right.stderr.lines().filter(|l| !l.trim().is_empty()) {
        log.res(rid, level, line);
    }
    if !left.success() {
        return fail(format!(
            "{path}: {rid} to {node}: btrfs send failed here: {}",
            left.error_line()
        ));
    }
    if !right.success() {
        return fail(format!(
            "{path}: {rid} to {node}: btrfs receive there failed: {}",
            why(right)
        ));
    }
    Ok(())
}

fn is_uuid(w: &str) -> bool {
    w.len() == 36 && w.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

#[cfg(test)]
mod tests {

    #[test]
    fn present_says_absent_and_refuses_what_is_no_subvolume() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!present(&dir.path().join("none")).unwrap());
        std::fs::create_dir(dir.path().join("plain")).unwrap();
        let err = present(&dir.path().join("plain")).unwrap_err();
        assert!(
            err.to_string().contains("is not a btrfs subvolume"),
            "{err}"
        );
    }

    use super::*;

    #[test]
    fn snapshot_names_are_the_service_s_and_the_resource_s() {
        let sync = |rid: &str| DataSync {
            head: crate::model::Head {
                rid: rid.into(),
                ..Default::default()
            },
            src: vec!["/a/data".into()],
            dst: "/b/data".into(),
            ..Default::default()
        };
        let (dir, sent, tosend) = snaps(&sync("sync#1"), "ID1", "/b/data").unwrap();
        assert_eq!(dir, Path::new("/b/.om-sync"));
        assert_eq!(sent, Path::new("/b/.om-sync/data.ID1.sync#1@sent"));
        assert_eq!(tosend, Path::new("/b/.om-sync/data.ID1.sync#1@tosend"));
        // another service, another sync of the same: other snapshots
        let other = snaps(&sync("sync#1"), "ID2", "/b/data").unwrap();
        let again = snaps(&sync("sync#2"), "ID1", "/b/data").unwrap();
        for (_, s, t) in [other, again] {
            assert!(s != sent && t != tosend, "{}", s.display());
        }
    }

    #[test]
    fn btrfs_subvolume_show_is_read() {
        let text = "a@sent\n\tName: \t\t\ta@sent\n\tUUID: \t\t\t0d4bd6c2-7e0a-5c4c-9a3d-1a2b3c4d5e6f\n\tParent UUID: \t\t-\n\tReceived UUID: \t\t5a4bd6c2-7e0a-5c4c-9a3d-1a2b3c4d5e6f\n\tFlags: \t\t\treadonly\n";
        let v = parse_show(text).unwrap();
        assert_eq!(v.uuid, "0d4bd6c2-7e0a-5c4c-9a3d-1a2b3c4d5e6f");
        assert_eq!(v.received_uuid, "5a4bd6c2-7e0a-5c4c-9a3d-1a2b3c4d5e6f");
        assert!(v.readonly);
        assert!(is_uuid(&v.uuid));
        assert!(parse_show("ERROR: not a subvolume").is_none());
    }
}
