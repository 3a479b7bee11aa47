//! `disk#N type=lv` (SPEC 17): a logical volume `vg/name` of a volume
//! group (a `disk#N type=vg` of the service starts before it). Provision
//! creates it when LVM lists none of that name (`lvcreate -n NAME -l
//! 100%FREE|-L 1g [create_options] VG`), start activates it (`lvchange
//! -ay`), stop deactivates it (`lvchange -an`); its device is
//! `/dev/VG/NAME`, an fs's `dev`. Purge removes it (`lvremove -f`) only
//! when om's provision created it (its record, `created`): one taken as
//! is is left, said.

use super::lvm::{self, cmd};
use super::State;
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::disk::{Lv, LvSize};
use crate::resource::{Context, Touched};

/// `lvcreate`'s size: `-l 100%FREE` (extents) or `-L 1g` (the largest
/// exact unit of 1024's powers, lowercase: LVM reads them so).
fn size_args(size: &LvSize) -> [String; 2] {
    match size {
        LvSize::Extents(e) => ["-l".into(), e.clone()],
        LvSize::Bytes(n) => {
            let unit = [(40, "t"), (30, "g"), (20, "m"), (10, "k")]
                .into_iter()
                .find(|(shift, _)| n % (1u64 << shift) == 0);
            [
                "-L".into(),
                match unit {
                    Some((shift, u)) => format!("{}{u}", n >> shift),
                    None => format!("{n}b"),
                },
            ]
        }
    }
}

/// `lvcreate -n NAME SIZE [create_options] VG`.
pub(super) fn create_cmd(l: &Lv, size: &LvSize) -> crate::process::Cmd {
    let mut args: Vec<String> = vec!["-n".into(), l.name.clone()];
    args.extend(size_args(size));
    args.extend(l.create_options.iter().cloned());
    args.push(l.vg.clone());
    cmd("lvcreate", &args)
}

fn path(l: &Lv) -> String {
    format!("{}/{}", l.vg, l.name)
}

/// Provision (`ctx.provision`) creates the logical volume when LVM lists
/// none; then it is activated, unless it is active. Whether this call
/// activated it.
pub fn start(ctx: &Context, touched: &Touched, rid: &str, l: &Lv) -> Result<bool> {
    super::need_root(rid)?;
    let mut seen = lvm::lv(&l.vg, &l.name)?;
    if ctx.provision {
        match &seen {
            Some(_) => ctx.log.res(
                rid,
                Level::Info,
                &format!("logical volume {} exists: taken as is", path(l)),
            ),
            None => {
                let Some(size) = &l.size else {
                    return Err(Error::config(
                        format!("{rid}.size"),
                        format!("missing: provision creates {} of that size", path(l)),
                    ));
                };
                lvm::run(ctx, rid, &create_cmd(l, size))?;
                if ctx.dry_run {
                    return Ok(false);
                }
                super::created::mark(ctx, rid, &path(l))?;
                seen = lvm::lv(&l.vg, &l.name)?;
            }
        }
    }
    let Some(seen) = seen else {
        return Err(Error::Failed(format!(
            "logical volume {} does not exist (om {} provision creates it)",
            path(l),
            ctx.svc.path
        )));
    };
    if seen.active() == Some(true) {
        ctx.log
            .res(rid, Level::Info, &format!("{} is active: up", path(l)));
        return Ok(false);
    }
    lvm::run(ctx, rid, &cmd("lvchange", &["-ay", &path(l)]))?;
    touched.mark(rid);
    Ok(true)
}

/// Deactivates the logical volume (one LVM does not list: down, fine); a
/// purge (`remove` and `ctx.purge`) removes it.
pub fn stop(ctx: &Context, rid: &str, l: &Lv, remove: bool) -> Result<()> {
    super::need_root(rid)?;
    if lvm::lv(&l.vg, &l.name)?.is_none() {
        ctx.log.res(
            rid,
            Level::Info,
            &format!("logical volume {} does not exist: down", path(l)),
        );
        return Ok(());
    }
    lvm::run(ctx, rid, &cmd("lvchange", &["-an", &path(l)]))?;
    if remove && ctx.purge {
        if super::created::by_om(ctx, rid, &path(l)) {
            lvm::run(ctx, rid, &cmd("lvremove", &["-f", &path(l)]))?;
            if !ctx.dry_run {
                super::created::forget(ctx, rid);
            }
        } else {
            ctx.log.res(
                rid,
                Level::Info,
                &format!(
                    "logical volume {}: om did not create it (taken as is at provision): left in place",
                    path(l)
                ),
            );
        }
    }
    Ok(())
}

/// From `lvs`: up when active, down when not or when it does not exist,
/// unknown when LVM can not tell (no device-mapper).
pub fn state(l: &Lv) -> State {
    match lvm::lv(&l.vg, &l.name) {
        Ok(None) => State::Down(format!("logical volume {} does not exist", path(l))),
        Ok(Some(seen)) => match seen.active() {
            Some(true) => State::Up,
            Some(false) => State::Down(format!("logical volume {} is not active", path(l))),
            None => State::Unknown(format!(
                "lvs can not tell whether {} is active (lv_attr {}: no device-mapper?)",
                path(l),
                seen.attr
            )),
        },
        Err(e) => State::Unknown(e.to_string()),
    }
}

/// `/dev/VG/NAME`: known from the names alone (an fs on it checks, at
/// its start, that it is a block device: an active logical volume).
pub(super) fn device_of(l: &Lv) -> String {
    l.device()
}

#[cfg(test)]
mod tests {
    use super::size_args;
    use crate::model::disk::LvSize;

    #[test]
    fn lv_sizes_as_lvcreate_takes_them() {
        let s = |v: LvSize| size_args(&v).join(" ");
        assert_eq!(s(LvSize::Extents("100%FREE".into())), "-l 100%FREE");
        assert_eq!(s(LvSize::Bytes(1 << 30)), "-L 1g");
        assert_eq!(s(LvSize::Bytes(100 << 20)), "-L 100m");
        assert_eq!(s(LvSize::Bytes(1536 << 20)), "-L 1536m");
        assert_eq!(s(LvSize::Bytes(4097)), "-L 4097b");
    }
}
