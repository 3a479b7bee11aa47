//! The fs kind (SPEC 17): `fs#N type=xfs|ext4|btrfs`, a filesystem on a
//! block device (a path, or the device a disk resource of the service
//! exposes) mounted on `mnt`. Provision formats a device that has no
//! signature at all (blkid), never one that has; start mounts; stop
//! unmounts only the mount the mount table says is this device's on
//! `mnt`, and when it is busy says who holds it, retries within a bound,
//! then fails: om kills nothing. Status reads the mount table and checks
//! that the mount point answers within a bound.

mod host;
pub(crate) use host::signatures;
pub mod mounts;

use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::{Dev, Fs, Service};
use crate::resource::disk::{status::line, State};
use crate::resource::{Context, Touched};
use crate::status::ResourceStatus;
use std::path::Path;
use std::time::Duration;

/// How long a busy mount is retried before the stop fails.
pub const UMOUNT_BOUND: Duration = Duration::from_secs(5);
/// How long the mount point has to answer a stat.
pub const ANSWER_BOUND: Duration = Duration::from_secs(5);

/// The device of `f` now: its path, or the device its disk exposes
/// (`None`: the disk exposes none, it is down). A query that fails (no
/// `losetup`, a disk not in the service) is an error, never "down": a
/// mount is never judged foreign from silence.
pub fn device(svc: &Service, f: &Fs) -> Result<Option<String>> {
    match &f.dev {
        Dev::Path(p) => Ok(Some(p.clone())),
        Dev::Disk(rid) => match svc.disk(rid) {
            Some(d) => crate::resource::disk::device_of(d)
                .map_err(|e| Error::Failed(format!("{}: the device of {rid}: {e}", f.head.rid))),
            None => Err(Error::Failed(format!(
                "{}: no resource {rid} in this service",
                f.head.rid
            ))),
        },
    }
}

fn need_root(rid: &str) -> Result<()> {
    if crate::host::is_superuser() {
        return Ok(());
    }
    Err(Error::Failed(format!("{rid}: mounts need root")))
}

/// Checks `dev` is a block device: the one-line error names the keyword.
fn block_device(f: &Fs, dev: &str) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(dev) {
        Ok(m) if m.file_type().is_block_device() => Ok(()),
        Ok(_) => Err(Error::config(
            format!("{}.dev", f.head.rid),
            format!("'{}' is not a block device", dev.escape_debug()),
        )),
        Err(e) => Err(Error::config(
            format!("{}.dev", f.head.rid),
            format!("'{}': {e}", dev.escape_debug()),
        )),
    }
}

/// Provision (`ctx.provision`) formats a device with no signature; then
/// the mount point is made when missing, and the device mounted there
/// (mounted there already: up, nothing done); the owner and mode applied.
/// Whether this call mounted it.
pub fn start(ctx: &Context, touched: &Touched, f: &Fs) -> Result<bool> {
    let rid = f.head.rid.as_str();
    need_root(rid)?;
    crate::resource::disk::check_resolved(&format!("{rid}.mnt"), &f.mnt)?;
    let dev = match device(ctx.svc, f)? {
        Some(dev) => dev,
        // a dry run attached nothing: its lines name the disk
        None if ctx.dry_run => f.dev.to_string(),
        None => {
            return Err(Error::Failed(format!(
                "{rid}: {} exposes no device (down)",
                f.dev
            )))
        }
    };
    if !ctx.dry_run {
        block_device(f, &dev)?;
    }
    let table = mounts::table()?;
    mounted_elsewhere(f, &dev, &table)?;
    if ctx.provision {
        host::format_if_blank(ctx, f, &dev)?;
    }
    host::mount_point(ctx, f)?;
    let mnt = Path::new(&f.mnt);
    if let Some(m) = mounts::on(&table, mnt) {
        if !mounts::is_of(&m, &dev) {
            return Err(Error::Failed(format!(
                "{}: {} is mounted there, not {dev}: not mounted over",
                f.mnt, m.source
            )));
        }
        ctx.log.res(
            rid,
            Level::Info,
            &format!("{dev} is mounted on {}: up", f.mnt),
        );
        host::owner(ctx, f)?;
        return Ok(false);
    }
    host::mount(ctx, f, &dev)?;
    touched.mark(rid);
    // the owner and mode go to the mount om made, never to what the
    // directory shows when that mount is not there
    if !ctx.dry_run && !mounts::on(&mounts::table()?, mnt).is_some_and(|m| mounts::is_of(&m, &dev))
    {
        return Err(Error::Failed(format!(
            "{rid}: {dev} is not on {} after its mount: owner and mode left as they are",
            f.mnt
        )));
    }
    host::owner(ctx, f)?;
    Ok(true)
}

/// Refuses a device mounted anywhere but on this fs's own mount point
/// (SPEC 17: never a device that holds a filesystem om did not make for
/// this service): where it is mounted said, nothing mounted, owned or
/// moded. A dry run says it too.
fn mounted_elsewhere(f: &Fs, dev: &str, table: &[mounts::Mount]) -> Result<()> {
    let own = mounts::resolved(Path::new(&f.mnt));
    let mut at: Vec<String> = table
        .iter()
        .filter(|m| m.mnt != own && mounts::is_of(m, dev))
        .map(|m| m.mnt.display().to_string())
        .collect();
    at.dedup();
    if at.is_empty() {
        return Ok(());
    }
    Err(Error::config(
        format!("{}.dev", f.head.rid),
        format!(
            "{dev} is mounted on {}, not only on {}: not mounted again",
            at.join(", "),
            f.mnt
        ),
    ))
}

/// Unmounts the device from `mnt`, only when the mount table says it is
/// this resource's device there (not mounted: down, fine; another's
/// mount: left, said). Busy: who holds it said, retried up to
/// `UMOUNT_BOUND`, then an error naming them.
pub fn stop(ctx: &Context, f: &Fs) -> Result<()> {
    let rid = f.head.rid.as_str();
    need_root(rid)?;
    let mnt = Path::new(&f.mnt);
    let Some(m) = mounts::on(&mounts::table()?, mnt) else {
        ctx.log
            .res(rid, Level::Info, &format!("{} is not mounted: down", f.mnt));
        return Ok(());
    };
    // a device that can not be told: an error, the mount left as it is
    let ours = device(ctx.svc, f)
        .map_err(|e| Error::Failed(format!("{e}: {} left mounted", f.mnt)))?
        .is_some_and(|dev| mounts::is_of(&m, &dev));
    if !ours {
        ctx.log.res(
            rid,
            Level::Warn,
            &format!(
                "{} holds {}, not this resource's device {}: not its mount, left mounted",
                f.mnt, m.source, f.dev
            ),
        );
        return Ok(());
    }
    host::umount(ctx, f)
}

/// Up when the mount table shows the device on `mnt` and the mount point
/// answers a stat within `ANSWER_BOUND`.
pub fn state(svc: &Service, f: &Fs) -> State {
    let table = match mounts::table() {
        Ok(t) => t,
        Err(e) => return State::Unknown(e.to_string()),
    };
    let Some(m) = mounts::on(&table, Path::new(&f.mnt)) else {
        return State::Down(format!("{} is not mounted", f.mnt));
    };
    match device(svc, f) {
        Ok(Some(dev)) if mounts::is_of(&m, &dev) => {}
        Ok(_) => {
            return State::Down(format!(
                "{} holds {}, not this resource's device",
                f.mnt, m.source
            ))
        }
        Err(e) => return State::Unknown(e.to_string()),
    }
    if host::answers(Path::new(&f.mnt), ANSWER_BOUND) {
        State::Up
    } else {
        State::Unknown(format!(
            "{} does not answer within {}s",
            f.mnt,
            ANSWER_BOUND.as_secs()
        ))
    }
}

/// Its status line: `xfs /dev/loop3@/srv/x`.
pub fn status(svc: &Service, f: &Fs) -> ResourceStatus {
    let dev = device(svc, f)
        .ok()
        .flatten()
        .unwrap_or_else(|| f.dev.to_string());
    line(&f.head, f.label(&dev), &state(svc, f), true)
}
