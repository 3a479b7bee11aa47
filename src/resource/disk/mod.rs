//! The disk kind (SPEC 17): `disk#N type=loop`, a loop device over a file.
//! Provision creates the file (sparse; a file that exists is taken as
//! is), start attaches it (`losetup --find --show`), stop detaches it;
//! the device is found again by its backing file (`losetup -j FILE`),
//! never by a name remembered. The file goes at purge only.
//!
//! `State` and `status` here serve the fs kind too (`resource::fs`).

mod created;
mod host;
pub mod paths;
pub mod status;

pub use host::{attached, device_of};

use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::Disk;
use crate::resource::{Context, Touched};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where a data resource stands on this host.
#[derive(Clone, Debug, PartialEq)]
pub enum State {
    Up,
    Down(String),
    Unknown(String),
}

fn need_root(rid: &str) -> Result<()> {
    if crate::host::is_superuser() {
        return Ok(());
    }
    Err(Error::Failed(format!(
        "{rid}: loop devices and mounts need root"
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
fn taken_as_is(ctx: &Context, d: &Disk) -> Result<()> {
    let rid = d.head.rid.as_str();
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
pub fn start(ctx: &Context, touched: &Touched, d: &Disk) -> Result<bool> {
    let rid = d.head.rid.as_str();
    need_root(rid)?;
    check_resolved(&format!("{rid}.file"), &d.file)?;
    let file = Path::new(&d.file);
    let exists = regular(file)?;
    if ctx.provision {
        if exists {
            taken_as_is(ctx, d)?;
        } else {
            host::create(ctx, d)?;
            if !ctx.dry_run {
                created::mark(ctx, d)?;
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
    host::attach(ctx, d)?;
    touched.mark(rid);
    Ok(true)
}

/// Detaches every loop device of the file (none: down already, fine);
/// a purge (`remove` and `ctx.purge`) removes the file after, when om's
/// record says om created it (else it says it leaves it).
pub fn stop(ctx: &Context, d: &Disk, remove: bool) -> Result<()> {
    let rid = d.head.rid.as_str();
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
            host::detach(ctx, d, &dev)?;
        }
    }
    if remove && ctx.purge && exists && !created::by_om(ctx, d) {
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
            created::forget(ctx, d);
        }
    }
    Ok(())
}

/// Up when a loop device is attached to the file.
pub fn state(d: &Disk) -> State {
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
