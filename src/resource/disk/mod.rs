//! The disk kind (SPEC 17): `disk#N type=loop`, a loop device over a file.
//! Provision creates the file (sparse; a file that exists is taken as
//! is), start attaches it (`losetup --find --show`), stop detaches it;
//! the device is found again by its backing file (`losetup -j FILE`),
//! never by a name remembered. The file goes at purge only.
//! `type=vg` and `type=lv` (LVM) are in `vg` and `lv`, their commands in
//! `lvm`.
//!
//! `State` and `status` here serve the fs kind too (`resource::fs`).

mod host;
pub mod lv;
pub mod lvm;
pub mod status;
pub mod vg;

pub use host::attached;

use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::disk::{Driver, Loop};
use crate::model::Disk;
use crate::resource::{Context, Touched};
use std::path::Path;

/// The device the disk exposes now (a loop device, `/dev/VG/LV`), or why
/// none; a volume group exposes none.
pub fn device_of(d: &Disk) -> std::result::Result<String, String> {
    match &d.driver {
        Driver::Loop(l) => host::device_of(&d.head.rid, l),
        Driver::Vg(v) => Err(format!(
            "{} is volume group {}: no device (an lv of it has one)",
            d.head.rid, v.name
        )),
        Driver::Lv(l) => Ok(lv::device_of(l)),
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

/// Where the disk stands on this host.
pub fn state(d: &Disk) -> State {
    match &d.driver {
        Driver::Loop(l) => loop_state(l),
        Driver::Vg(v) => vg::state(v, &crate::host::this_node()),
        Driver::Lv(l) => lv::state(l),
    }
}

/// Whether what the disk is made of exists (its file, its volume group,
/// its logical volume): the status's `P` flag when not. A query that
/// fails says nothing: not flagged.
pub fn provisioned(d: &Disk) -> bool {
    match &d.driver {
        Driver::Loop(l) => Path::new(&l.file).exists(),
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

/// `path` (a disk's file, an fs's mount point; `key`: its keyword), its
/// links followed, checked again like a data dir (SPEC 11): a link on the
/// way must not take om to `/` or a system directory.
pub fn check_resolved(key: &str, path: &str) -> Result<()> {
    let real = crate::docker::system_dirs::real(Path::new(path));
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
/// is never taken for one).
fn regular(file: &Path) -> Result<bool> {
    match std::fs::symlink_metadata(file) {
        Ok(m) if m.file_type().is_file() => Ok(true),
        Ok(_) => Err(Error::Failed(format!(
            "{} is not a regular file: not used",
            file.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::Failed(crate::fsutil::io_fault(file, &e))),
    }
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
            ctx.log
                .res(rid, Level::Info, &format!("{} exists: taken as is", d.file));
        } else {
            host::create(ctx, rid, d)?;
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
/// a purge (`remove` and `ctx.purge`) removes the file after.
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
    if remove && ctx.purge && exists {
        ctx.log.res(
            rid,
            Level::Info,
            &format!("rm {}", crate::process::quote(&d.file)),
        );
        if !ctx.dry_run {
            std::fs::remove_file(&d.file)
                .map_err(|e| Error::Failed(crate::fsutil::io_fault(Path::new(&d.file), &e)))?;
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
