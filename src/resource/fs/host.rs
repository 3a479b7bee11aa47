//! What an fs runs on the host: `blkid`, `mkfs.TYPE`, `mount`, `umount`,
//! `chown`, `chmod`, each a logged line that replays.

use super::mounts;
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::Fs;
use crate::process::{capture, Cmd};
use crate::resource::Context;
use std::path::Path;
use std::time::{Duration, Instant};

/// The bound of one command (mkfs included).
const BOUND: Duration = Duration::from_secs(120);

fn run_ok(ctx: &Context, f: &Fs, cmd: &Cmd) -> Result<()> {
    run_shown(ctx, f, cmd, true)
}

/// `show`: its output lines logged (not mkfs's progress bars).
fn run_shown(ctx: &Context, f: &Fs, cmd: &Cmd, show: bool) -> Result<()> {
    let out = crate::logger::run_logged(ctx.log, &f.head.rid, cmd, BOUND, ctx.dry_run, show)?;
    if !out.success() {
        return Err(Error::Failed(format!("{cmd}: {}", out.error_line())));
    }
    Ok(())
}

/// What `blkid -p` finds on `dev` (`TYPE=xfs`, `PTTYPE=dos`…), empty
/// when nothing (its exit 2); any other failure is an error, never "blank".
pub(crate) fn signatures(dev: &str) -> Result<Vec<String>> {
    let cmd = Cmd::new("blkid", ["-p", "-o", "export", dev]);
    let out = capture(&cmd, BOUND)?;
    match out.status.code() {
        Some(0) => Ok(out
            .stdout
            .lines()
            .filter(|l| l.contains("TYPE="))
            .map(String::from)
            .collect()),
        Some(2) => Ok(Vec::new()),
        _ => Err(Error::call(&cmd, out.error_line())),
    }
}

/// `mkfs.TYPE [mkfs_opt] DEV`, only when `blkid` finds nothing on it.
pub(super) fn format_if_blank(ctx: &Context, f: &Fs, dev: &str) -> Result<()> {
    let rid = f.head.rid.as_str();
    if ctx.dry_run && !Path::new(dev).exists() {
        // the disk a dry run would attach: blank, as provision made it
        ctx.log.res(rid, Level::Info, &mkfs(f, dev).to_string());
        return Ok(());
    }
    let found = signatures(dev)?;
    if !found.is_empty() {
        ctx.log.res(
            rid,
            Level::Info,
            &format!("{dev} has {}: not formatted", found.join(" ")),
        );
        return Ok(());
    }
    run_shown(ctx, f, &mkfs(f, dev), false)
}

fn mkfs(f: &Fs, dev: &str) -> Cmd {
    let mut args: Vec<String> = f.mkfs_opt.clone();
    args.push(dev.to_string());
    Cmd::new(format!("mkfs.{}", f.fstype.as_str()), args)
}

/// The mount point: a directory (made when missing), never a link.
pub(super) fn mount_point(ctx: &Context, f: &Fs) -> Result<()> {
    let mnt = Path::new(&f.mnt);
    match std::fs::symlink_metadata(mnt) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::config(
            format!("{}.mnt", f.head.rid),
            format!("'{}' is not a directory", f.mnt.escape_debug()),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            ctx.log.res(
                &f.head.rid,
                Level::Info,
                &Cmd::new("mkdir", ["-p", f.mnt.as_str()]).to_string(),
            );
            if ctx.dry_run {
                return Ok(());
            }
            std::fs::create_dir_all(mnt)
                .map_err(|e| Error::Failed(crate::fsutil::io_fault(mnt, &e)))
        }
        Err(e) => Err(Error::Failed(crate::fsutil::io_fault(mnt, &e))),
    }
}

pub(super) fn mount(ctx: &Context, f: &Fs, dev: &str) -> Result<()> {
    let mut args = vec!["-t".to_string(), f.fstype.as_str().to_string()];
    if let Some(o) = &f.mnt_opt {
        args.extend(["-o".to_string(), o.clone()]);
    }
    args.extend([dev.to_string(), f.mnt.clone()]);
    run_ok(ctx, f, &Cmd::new("mount", args))
}

/// `chown USER[:GROUP]` (or `chgrp GROUP`) and `chmod PERM` on the mount
/// point, when the config sets them.
pub(super) fn owner(ctx: &Context, f: &Fs) -> Result<()> {
    match (&f.user, &f.group) {
        (Some(u), Some(g)) => run_ok(
            ctx,
            f,
            &Cmd::new("chown", [format!("{u}:{g}"), f.mnt.clone()]),
        )?,
        (Some(u), None) => run_ok(ctx, f, &Cmd::new("chown", [u.clone(), f.mnt.clone()]))?,
        (None, Some(g)) => run_ok(ctx, f, &Cmd::new("chgrp", [g.clone(), f.mnt.clone()]))?,
        (None, None) => {}
    }
    if let Some(p) = f.perm {
        run_ok(
            ctx,
            f,
            &Cmd::new("chmod", [format!("{p:o}"), f.mnt.clone()]),
        )?;
    }
    Ok(())
}

/// `umount MNT`; busy: the holders said, retried every half second up to
/// `UMOUNT_BOUND`, then an error naming them (nothing is killed).
pub(super) fn umount(ctx: &Context, f: &Fs) -> Result<()> {
    let rid = f.head.rid.as_str();
    let cmd = Cmd::new("umount", [f.mnt.as_str()]);
    let out = crate::logger::run_logged(ctx.log, rid, &cmd, BOUND, ctx.dry_run, true)?;
    if out.success() {
        return Ok(());
    }
    let mnt = Path::new(&f.mnt);
    let deadline = Instant::now() + super::UMOUNT_BOUND;
    let mut said = false;
    let mut last = out.error_line();
    loop {
        let held = mounts::holders(mnt);
        if !said {
            let who = if held.is_empty() {
                "no process found".to_string()
            } else {
                held.join(", ")
            };
            ctx.log.res(
                rid,
                Level::Warn,
                &format!(
                    "{} is busy ({last}), held by {who}: retrying for {}s",
                    f.mnt,
                    super::UMOUNT_BOUND.as_secs()
                ),
            );
            said = true;
        }
        if Instant::now() >= deadline {
            let who = if held.is_empty() {
                "no process found".to_string()
            } else {
                held.join(", ")
            };
            return Err(Error::Failed(format!(
                "{cmd}: {} is busy, held by {who}: not unmounted after {}s (om kills nothing)",
                f.mnt,
                super::UMOUNT_BOUND.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(500));
        // gone meanwhile (unmounted by hand): done
        if mounts::on(&mounts::table()?, mnt).is_none() {
            return Ok(());
        }
        let again = capture(&cmd, BOUND)?;
        if again.success() {
            ctx.log.res(rid, Level::Info, &format!("{cmd}: done"));
            return Ok(());
        }
        last = again.error_line();
    }
}

/// Whether a stat of `mnt` returns within `bound` (a hung mount does not
/// hang the status: the stat runs in a thread left behind).
pub(super) fn answers(mnt: &Path, bound: Duration) -> bool {
    let (tx, rx) = std::sync::mpsc::channel();
    let mnt = mnt.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::metadata(&mnt).is_ok());
    });
    rx.recv_timeout(bound).unwrap_or(false)
}
