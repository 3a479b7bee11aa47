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
/// sender, dst on a receiver): (dir, NAME@sent, NAME@tosend).
fn snaps(s: &DataSync, base: &str) -> Result<(PathBuf, PathBuf, PathBuf)> {
    let src = Path::new(s.src.first().map_or("", String::as_str));
    let name = src
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Failed(format!("{}.src: no subvolume name", s.head.rid)))?;
    let dir = Path::new(base)
        .parent()
        .ok_or_else(|| Error::Failed(format!("{base}: no parent directory")))?
        .join(SNAP_DIR);
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
    if show(tosend)?.is_some() {
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
    if show(sent)?.is_some() {
        delete(log, rid, sent)?;
    }
    std::fs::rename(tosend, sent).map_err(|e| Error::io("rename", tosend.to_path_buf(), e))
}

/// The receiving side's words after `--`: `state` (what it has of the
/// last sync: `UUID` its `@sent` was received from, or `none`),
/// `receive` (`btrfs receive` from stdin, then `dst` made from it).
pub fn receiver_words_ok(words: &[String]) -> std::result::Result<(), String> {
    match words {
        [w] if w == "state" || w == "receive" => Ok(()),
        _ => Err(format!(
            "not a btrfs sync's receiving side ({})",
            words.join(" ")
        )),
    }
}

/// The receiving side, this node's checks passed and its lock held:
/// whether it received (the success to record).
pub fn receive(s: &DataSync, words: &[String], log: &Logger) -> Result<bool> {
    let rid = s.head.rid.as_str();
    let (dir, sent, tosend) = snaps(s, &s.dst)?;
    let dst = Path::new(&s.dst);
    // dst is replaced by each success: only a subvolume, or nothing
    if let Err(e) = show(dst) {
        return fail(format!("{rid}.dst: {e}"));
    }
    if words.first().map(String::as_str) == Some("state") {
        // a copy turned read-write, or not received, is no parent
        let parent = show(&sent)?.filter(|v| v.readonly && v.received_uuid != "-");
        println!(
            "{}",
            parent.map_or_else(|| "none".to_string(), |v| v.received_uuid)
        );
        return Ok(false);
    }
    prepare(log, rid, &dir, &tosend)?;
    let cmd = Cmd::new("btrfs", ["receive".to_string(), word(&dir)]);
    let code = crate::process::inherit(&cmd)?;
    if code != 0 {
        // the partial subvolume goes now (the next sync would remove it)
        let _ = show(&tosend).map(|v| v.map(|_| delete(log, rid, &tosend)));
        return Err(Error::Child(code));
    }
    rotate(log, rid, &sent, &tosend)?;
    if show(dst)?.is_some() {
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
    receiver: &dyn Fn(&str) -> Result<Cmd>,
    log: &Logger,
) -> Result<()> {
    let path = &svc.path;
    let rid = s.head.rid.as_str();
    let src_word = s.src.first().map_or("", String::as_str);
    let src = Path::new(src_word);
    match show(src) {
        Ok(Some(_)) => {}
        Ok(None) => return fail(format!("{path}: {rid}.src: {src_word} does not exist")),
        Err(e) => return fail(format!("{path}: {rid}.src: {e}")),
    }
    let (dir, sent, tosend) = snaps(s, src_word)?;
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
    // incremental when the receiver's @sent was received from ours
    let parent = match (mode, show(&sent)?) {
        (Mode::Update, Some(mine)) => {
            let ask = receiver("state")?;
            log.res(rid, Level::Info, &ask.to_string());
            let out = capture(&ask, BOUND)?;
            if !out.success() {
                return fail(format!(
                    "{path}: {rid} to {node}: what {node} has of the last sync: {}",
                    why(&out)
                ));
            }
            match out.stdout.trim() {
                u if u == mine.uuid => Some(sent.clone()),
                "none" => None,
                u if is_uuid(u) => None,
                u => {
                    return fail(format!(
                        "{path}: {rid} to {node}: not a subvolume's UUID: {}",
                        u.escape_debug()
                    ))
                }
            }
        }
        _ => None,
    };
    let mut args = vec!["send".to_string()];
    match &parent {
        Some(p) => args.extend(["-p".to_string(), word(p)]),
        None => log.res(
            rid,
            Level::Info,
            &format!("full send to {node}: no common snapshot of the last sync"),
        ),
    }
    args.push(word(&tosend));
    let send = Cmd::new("btrfs", args);
    let recv = receiver("receive")?;
    log.res(rid, Level::Info, &format!("{send} | {recv}"));
    let (left, right) = crate::process::pipe(&send, &recv, TRANSFER_BOUND)?;
    for line in right.stderr.lines().filter(|l| !l.trim().is_empty()) {
        let level = if right.success() {
            Level::Info
        } else {
            Level::Warn
        };
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
            why(&right)
        ));
    }
    rotate(log, rid, &sent, &tosend)
}

fn is_uuid(w: &str) -> bool {
    w.len() == 36 && w.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

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
