//! `disk#N type=vg` (SPEC 17): an LVM volume group, taken by the node
//! that tags it with its name. Provision makes it of its `pvs`
//! (`pvcreate`, `vgcreate`), refusing a device that is mounted, holds a
//! filesystem or belongs to another volume group (never reformatted).
//! Start takes it: this node's tag added (`vgchange --addtag`), then
//! activated (`vgchange -ay`); stop deactivates it (`vgchange -an`) and
//! drops this node's tag, even when it is down. A volume group another
//! node's tag is on is refused unless `--force` (which drops that tag):
//! fail-closed, as the split-brain guard. Purge removes it
//! (`vgremove -f`, `pvremove` of the devices provision made physical
//! volumes) only when om's provision created it (its record, `created`):
//! a volume group taken as is is left, said.

use super::lvm::{self, cmd};
use super::State;
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::disk::Vg;
use crate::resource::{Context, Touched};

/// Provision (`ctx.provision`) makes the volume group when LVM lists none
/// of its name; then takes it. Whether this call took it.
pub fn start(ctx: &Context, touched: &Touched, rid: &str, v: &Vg) -> Result<bool> {
    super::need_root(rid)?;
    let node = ctx.log.node();
    let mut seen = lvm::vg(&v.name)?;
    if ctx.provision {
        match &seen {
            Some(_) => ctx.log.res(
                rid,
                Level::Info,
                &format!("volume group {} exists: taken as is", v.name),
            ),
            None => {
                let made = create(ctx, rid, v)?;
                if ctx.dry_run {
                    return Ok(false);
                }
                let record: Vec<&str> = std::iter::once(v.name.as_str()).chain(made).collect();
                super::created::mark(ctx, rid, &record.join("\n"))?;
                seen = lvm::vg(&v.name)?;
            }
        }
    }
    let Some(seen) = seen else {
        return Err(Error::Failed(format!(
            "volume group {} does not exist (om {} provision creates it)",
            v.name, ctx.svc.path
        )));
    };
    let others: Vec<&String> = seen.tags.iter().filter(|t| **t != node).collect();
    if !others.is_empty() && !ctx.force {
        return Err(Error::Failed(format!(
            "volume group {} carries {}'s tag: taken there, not started here (stop it there first, or --force to take it)",
            v.name,
            others.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    for other in others {
        ctx.log.res(
            rid,
            Level::Warn,
            &format!(
                "volume group {} carries {other}'s tag: dropped (--force)",
                v.name
            ),
        );
        lvm::run(ctx, rid, &cmd("vgchange", &["--deltag", other, &v.name]))?;
    }
    let took = !seen.tags.iter().any(|t| t == node);
    if took {
        lvm::run(ctx, rid, &cmd("vgchange", &["--addtag", node, &v.name]))?;
        touched.mark(rid);
    }
    lvm::run(ctx, rid, &cmd("vgchange", &["-ay", &v.name]))?;
    Ok(took)
}

/// `pvcreate` of each device that is not a physical volume yet, then
/// `vgcreate [options] NAME PVS`; each device checked first. The devices
/// it made physical volumes.
fn create<'a>(ctx: &Context, rid: &str, v: &'a Vg) -> Result<Vec<&'a str>> {
    if v.pvs.is_empty() {
        return Err(Error::config(
            format!("{rid}.pvs"),
            format!("missing: provision makes volume group {} of them", v.name),
        ));
    }
    let mounts = crate::resource::fs::mounts::table()?;
    let mut blank = Vec::new();
    for pv in &v.pvs {
        let refuse = |why: String| Error::config(format!("{rid}.pvs"), format!("'{pv}' {why}"));
        use std::os::unix::fs::FileTypeExt;
        match std::fs::metadata(pv) {
            Ok(m) if m.file_type().is_block_device() => {}
            Ok(_) => return Err(refuse("is not a block device".into())),
            Err(e) => return Err(refuse(format!("can not be read: {e}"))),
        }
        if let Some(m) = mounts
            .iter()
            .find(|m| crate::resource::fs::mounts::is_of(m, pv))
        {
            return Err(refuse(format!(
                "is mounted on {}: not made a physical volume",
                m.mnt.display()
            )));
        }
        match lvm::pv_vg(pv)? {
            Some(vg) if !vg.is_empty() => {
                return Err(refuse(format!("belongs to volume group {vg}: not taken")))
            }
            Some(_) => ctx.log.res(
                rid,
                Level::Info,
                &format!("{pv} is a physical volume of no volume group: taken as is"),
            ),
            None => {
                let found = crate::resource::fs::signatures(pv)?;
                if !found.is_empty() {
                    return Err(refuse(format!(
                        "has {}: never reformatted",
                        found.join(" ")
                    )));
                }
                blank.push(pv.as_str());
            }
        }
    }
    if !blank.is_empty() {
        lvm::run(ctx, rid, &cmd("pvcreate", &blank))?;
    }
    let mut args: Vec<&str> = v.options.iter().map(String::as_str).collect();
    args.push(&v.name);
    args.extend(v.pvs.iter().map(String::as_str));
    lvm::run(ctx, rid, &cmd("vgcreate", &args))?;
    Ok(blank)
}

/// Deactivates the volume group and drops this node's tag (a volume group
/// LVM does not list: down, fine); a purge (`remove` and `ctx.purge`)
/// removes it and its physical volumes' labels.
pub fn stop(ctx: &Context, rid: &str, v: &Vg, remove: bool) -> Result<()> {
    super::need_root(rid)?;
    let node = ctx.log.node();
    let Some(seen) = lvm::vg(&v.name)? else {
        ctx.log.res(
            rid,
            Level::Info,
            &format!("volume group {} does not exist: down", v.name),
        );
        return Ok(());
    };
    lvm::run(ctx, rid, &cmd("vgchange", &["-an", &v.name]))?;
    if seen.tags.iter().any(|t| t == node) {
        lvm::run(ctx, rid, &cmd("vgchange", &["--deltag", node, &v.name]))?;
    }
    if remove && ctx.purge {
        purge(ctx, rid, v)?;
    }
    Ok(())
}

/// `vgremove -f` and `pvremove` of what om's provision created (its
/// record); a volume group it found is left, said.
fn purge(ctx: &Context, rid: &str, v: &Vg) -> Result<()> {
    let record = super::created::recorded(ctx, rid).unwrap_or_default();
    let mut lines = record.lines();
    if lines.next() != Some(v.name.as_str()) {
        ctx.log.res(
            rid,
            Level::Info,
            &format!(
                "volume group {}: om did not create it (taken as is at provision): left in place",
                v.name
            ),
        );
        return Ok(());
    }
    let made: Vec<&str> = lines.filter(|pv| v.pvs.iter().any(|p| p == pv)).collect();
    lvm::run(ctx, rid, &cmd("vgremove", &["-f", &v.name]))?;
    if !made.is_empty() {
        lvm::run(ctx, rid, &cmd("pvremove", &made))?;
    }
    if !ctx.dry_run {
        super::created::forget(ctx, rid);
    }
    Ok(())
}

/// Up when this node's tag is on the volume group and none of its logical
/// volumes is known inactive (LVM that can not tell, without
/// device-mapper, is not asked more); down otherwise, naming another
/// node's tag.
pub fn state(v: &Vg, node: &str) -> State {
    let seen = match lvm::vg(&v.name) {
        Ok(Some(s)) => s,
        Ok(None) => return State::Down(format!("volume group {} does not exist", v.name)),
        Err(e) => return State::Unknown(e.to_string()),
    };
    let others: Vec<&str> = seen
        .tags
        .iter()
        .map(String::as_str)
        .filter(|t| *t != node)
        .collect();
    if !seen.tags.iter().any(|t| t == node) {
        return State::Down(match others.is_empty() {
            true => format!("volume group {} is not tagged by {node}", v.name),
            false => format!(
                "volume group {} carries {}'s tag (taken there)",
                v.name,
                others.join(", ")
            ),
        });
    }
    if !others.is_empty() {
        return State::Unknown(format!(
            "volume group {} carries {node}'s tag and {}'s",
            v.name,
            others.join(", ")
        ));
    }
    match lvm::lvs_of(&v.name) {
        Ok(lvs) => match lvs.iter().find(|(_, s)| s.active() == Some(false)) {
            Some((lv, _)) => State::Down(format!(
                "volume group {} is tagged by {node}, its logical volume {lv} is not active",
                v.name
            )),
            None => State::Up,
        },
        Err(e) => State::Unknown(e.to_string()),
    }
}
