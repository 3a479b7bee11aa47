//! The disk kind (SPEC 17): `disk#N type=loop`, a loop device over a file.
//! Provision creates the file (sparse; a file that exists is taken as
//! is), start attaches it (`losetup --find --show`), stop detaches it;
//! the device is found again by its backing file (`losetup -j FILE`),
//! never by a name remembered. The file goes at purge only.
//! `type=vg` and `type=lv` (LVM) are in `vg` and `lv`, their commands in
//! `lvm`.
//!
//! `State` and `status` here serve the fs kind too (`resource::fs`).

mod created;
mod host;
pub mod lv;
pub mod lvm;
pub mod paths;
pub mod status;
pub mod vg;

pub use host::attached;

use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::disk::{Driver, Loop};
use crate::model::Disk;
use crate::resource::{Context, Touched};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The device the disk exposes now (a loop device, `/dev/VG/LV`); `None`
/// when none is attached (down). A failed query is an error, never
/// "down"; so is a volume group, which exposes none (an lv of it has one).
pub fn device_of(d: &Disk) -> Result<Option<String>> {
    match &d.driver {
        Driver::Loop(l) => host::device_of(l),
        Driver::Vg(v) => Err(Error::Failed(format!(
            "{} is volume group {}: no device (an lv of it has one)",
            d.head.rid, v.name
        ))),
        Driver::Lv(l) => Ok(Some(lv::device_of(l))),
    }
}

/// Starts the disk (see each driver); whether this call started it.
pub fn start(ctx: &Context, touched: &Touched, d: &Disk) -> Result<bool> {
    match &d.driver {
        Driver::Loop(l) => loop_start(ctx, touched, &d.head.rid, l),
        Driver::Vg(v) => vg::start(ctx, touched, &d.head.rid, v),
        Driver::Lv(l) => lv::start(ctx, touched, &d.head.rid, l),
    }
}

/// Stops the disk; `remove` with `ctx.purge`: its data goes too.
pub fn stop(ctx: &Context, d: &Disk, remove: bool) -> Result<()> {
    match &d.driver {
        Driver::Loop(l) => loop_stop(ctx, &d.head.rid, l, remove),
        Driver::Vg(v) => vg::stop(ctx, &d.head.rid, v, remove),
        Driver::Lv(l) => lv::stop(ctx, &d.head.rid, l, remove),
    }
}

/// Where the disk stands on this host, node `node` (whose tag a volume
/// group carries when taken here).
pub fn state(d: &Disk, node: &str) -> State {
    match &d.driver {
        Driver::Loop(l) => loop_state(l),
        Driver::Vg(v) => vg::state(v, node),
        Driver::Lv(l) => lv::state(l),
    }
}

/// Whether what the disk is made of exists (its file, its volume group,
/// its logical volume): the status's `P` flag when not. A query that
/// fails says nothing: not flagged.
pub fn provisioned(d: &Disk) -> bool {
    match &d.driver {
        // asked within a bound; no answer: not said to be missing
        Driver::Loop(l) => {
            let file = PathBuf::from(&l.file);
            within(ANSWER_BOUND, move || file.exists()).unwrap_or(true)
        }
        Driver::Vg(v) => lvm::vg(&v.name).map_or(true, |found| found.is_some()),
        Driver::Lv(l) => lvm::lv(&l.vg, &l.name).map_or(true, |found| found.is_some()),
    }
}

/// Where a data resource stands on this host.
#[derive(Clone, Debug, PartialEq)]
pub enum State {
    Up,
    Down(String),
    Unknown(String),
}

pub(super) fn need_root(rid: &str) -> Result<()> {
    if crate::host::is_superuser() {
        return Ok(());
    }
    Err(Error::Failed(format!(
        "{rid}: loop devices, volume groups and mounts need root"
    )))
}

/// How long a disk's file (or a path on the way to it) has to answer a
/// stat: a file on a hung mount does not hang a status or an action.
pub const ANSWER_BOUND: Duration = Duration::from_secs(5);

/// `f`'s answer, when it comes within `bound` (it runs in a thread, left
/// behind when it does not: a stat on a hung mount can not be cut short).
pub fn within<T: Send + 'static>(
    bound: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(bound).ok()
}

/// Why a path did not answer within `ANSWER_BOUND`.
fn no_answer(path: &str) -> String {
    format!(
        "{path} does not answer within {}s (a hung mount on the way?)",
        ANSWER_BOUND.as_secs()
    )
}

/// `path` with its links resolved (`system_dirs::real`), within
/// `ANSWER_BOUND`; no answer is an error, never the path as written.
pub fn real_within(key: &str, path: &str) -> Result<PathBuf> {
    let p = PathBuf::from(path);
    within(ANSWER_BOUND, move || crate::docker::system_dirs::real(&p))
        .ok_or_else(|| Error::config(key, no_answer(path)))
}

/// `path` (a disk's file, an fs's mount point; `key`: its keyword), its
/// links followed, checked again like a data dir (SPEC 11): a link on the
/// way must not take om to `/` or a system directory.
pub fn check_resolved(key: &str, path: &str) -> Result<()> {
    let real = real_within(key, path)?;
    let shown = real.to_string_lossy();
    crate::docker::system_dirs::static_check(&shown).map_err(|why| {
        Error::config(
            key,
            format!(
                "'{}' resolves to '{shown}', which {why}",
                path.escape_debug()
            ),
        )
    })
}

/// Whether `file` exists as a regular file (a link, a directory, a device
/// is never taken for one); asked within `ANSWER_BOUND`.
fn regular(file: &Path) -> Result<bool> {
    let owned = file.to_path_buf();
    let Some(meta) = within(ANSWER_BOUND, move || std::fs::symlink_metadata(owned)) else {
        return Err(Error::Failed(no_answer(&file.display().to_string())));
    };
    match meta {
        Ok(m) if m.file_type().is_file() => Ok(true),
        Ok(_) => Err(Error::Failed(format!(
            "{} is not a regular file: not used",
            file.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::Failed(crate::fsutil::io_fault(file, &e))),
    }
}

/// A file that exists is taken as is (om neither grows nor shrinks it):
/// smaller than `size`, said; empty, refused (no disk, a provision's
/// leftover).
fn taken_as_is(ctx: &Context, rid: &str, d: &Loop) -> Result<()> {
    let len = std::fs::metadata(&d.file)
        .map_err(|e| Error::Failed(crate::fsutil::io_fault(Path::new(&d.file), &e)))?
        .len();
    if len == 0 {
        return Err(Error::Failed(format!(
            "{rid}: {} exists and is empty: not a disk (remove it for provision to create it)",
            d.file
        )));
    }
    match d.size {
        Some(size) if len < size => ctx.log.res(
            rid,
            Level::Warn,
            &format!(
                "{} exists: taken as is ({len} bytes, less than size {size}: not grown)",
                d.file
            ),
        ),
        _ => ctx
            .log
            .res(rid, Level::Info, &format!("{} exists: taken as is", d.file)),
    }
    Ok(())
}

/// Provision (`ctx.provision`): the file, created sparse at `size` when it
/// does not exist, never over one that does. Then the file attached, when
/// no loop device is attached to it already (up: nothing done). Whether
/// this call attached it.
fn loop_start(ctx: &Context, touched: &Touched, rid: &str, d: &Loop) -> Result<bool> {
    need_root(rid)?;
    check_resolved(&format!("{rid}.file"), &d.file)?;
    let file = Path::new(&d.file);
    let exists = regular(file)?;
    if ctx.provision {
        if exists {
            taken_as_is(ctx, rid, d)?;
        } else {
            host::create(ctx, rid, d)?;
            if !ctx.dry_run {
                created::mark(ctx, rid, &d.file)?;
            }
        }
    } else if !exists {
        return Err(Error::Failed(format!(
            "{} does not exist (om {} provision creates it)",
            d.file, ctx.svc.path
        )));
    }
    if ctx.dry_run && !exists {
        ctx.log
            .res(rid, Level::Info, &host::attach_cmd(&d.file).to_string());
        return Ok(false);
    }
    if let Some(dev) = attached(&d.file)?.first() {
        ctx.log.res(
            rid,
            Level::Info,
            &format!("{dev} is attached to {}: up", d.file),
        );
        return Ok(false);
    }
    host::attach(ctx, rid, d)?;
    touched.mark(rid);
    Ok(true)
}

/// Detaches every loop device of the file (none: down already, fine);
/// a purge (`remove` and `ctx.purge`) removes the file after, when om's
/// record says om created it (else it says it leaves it).
fn loop_stop(ctx: &Context, rid: &str, d: &Loop, remove: bool) -> Result<()> {
    need_root(rid)?;
    let exists = regular(Path::new(&d.file))?;
    if exists {
        let devs = attached(&d.file)?;
        if devs.is_empty() {
            ctx.log.res(
                rid,
                Level::Info,
                &format!("{} is attached to no loop device: down", d.file),
            );
        }
        for dev in devs {
            host::detach(ctx, rid, d, &dev)?;
        }
    }
    if remove && ctx.purge && exists && !created::by_om(ctx, rid, &d.file) {
        ctx.log.res(
            rid,
            Level::Info,
            &format!(
                "{}: om did not create it (taken as is at provision): left in place",
                d.file
            ),
        );
    } else if remove && ctx.purge && exists {
        ctx.log.res(
            rid,
            Level::Info,
            &format!("rm {}", crate::process::quote(&d.file)),
        );
        if !ctx.dry_run {
            std::fs::remove_file(&d.file)
                .map_err(|e| Error::Failed(crate::fsutil::io_fault(Path::new(&d.file), &e)))?;
            created::forget(ctx, rid);
        }
    }
    Ok(())
}

/// Up when a loop device is attached to the file.
fn loop_state(d: &Loop) -> State {
    match regular(Path::new(&d.file)) {
        Ok(false) => return State::Down(format!("{} does not exist", d.file)),
        Err(e) => return State::Unknown(e.to_string()),
        Ok(true) => {}
    }
    match attached(&d.file) {
        Ok(devs) if devs.is_empty() => State::Down(format!("{} is not attached", d.file)),
        Ok(_) => State::Up,
        Err(e) => State::Unknown(e.to_string()),
    }
}
