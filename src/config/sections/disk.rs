//! The disk kind's section (`[disk#N] type = loop|vg|lv`, SPEC 17) as a
//! `Disk`.

use super::{head, head_for_stop, Rids, Section};
use crate::error::Result;
use crate::model::disk::{check_lvm_name, parse_lv_size, parse_size, Disk, Driver, Loop, Lv, Vg};

/// An `[disk#N]` section: a loop disk's file is checked like a data dir
/// (absolute, never `/` or a system directory), its size parsed; a
/// volume group's name and physical volumes (device paths under `/dev`),
/// a logical volume's names and size.
pub(in crate::config) fn parse(sec: &Section, rids: &Rids) -> Result<Disk> {
    let driver = match sec.set("type")?.as_deref() {
        Some("loop") => Driver::Loop(loop_disk(sec)?),
        Some("vg") => Driver::Vg(vg(sec)?),
        Some("lv") => Driver::Lv(lv(sec)?),
        Some(other) => {
            return Err(sec.error(
                "type",
                format!("'{}' is not one of loop vg lv", other.escape_debug()),
            ))
        }
        None => return Err(sec.error("type", "missing (loop, vg or lv)")),
    };
    Ok(Disk {
        head: head(sec, rids)?,
        driver,
    })
}

fn loop_disk(sec: &Section) -> Result<Loop> {
    let file = sec
        .set("file")?
        .ok_or_else(|| sec.error("file", "missing (the loop device's backing file)"))?;
    check_path(&file).map_err(|why| sec.error("file", why))?;
    let size = sec
        .set("size")?
        .map(|v| {
            parse_size(&v)
                .and_then(|n| at_least_1m(&v, n))
                .map_err(|why| sec.error("size", why))
        })
        .transpose()?;
    Ok(Loop { file, size })
}

/// A name LVM takes, `key` of the section.
fn lvm_name(sec: &Section, key: &str, what: &str) -> Result<String> {
    let name = sec
        .set(key)?
        .ok_or_else(|| sec.error(key, format!("missing ({what})")))?;
    check_lvm_name(&name).map_err(|why| sec.error(key, why))?;
    Ok(name)
}

fn vg(sec: &Section) -> Result<Vg> {
    let name = lvm_name(sec, "name", "the volume group's name")?;
    let pvs = sec.words("pvs")?;
    for pv in &pvs {
        let dotted = pv.split('/').any(|c| c == "..");
        if !pv.starts_with("/dev/") || dotted {
            return Err(sec.error(
                "pvs",
                format!("'{}' is not a device path under /dev", pv.escape_debug()),
            ));
        }
    }
    Ok(Vg {
        name,
        pvs,
        options: sec.words("options")?,
    })
}

fn lv(sec: &Section) -> Result<Lv> {
    let vg = lvm_name(sec, "vg", "the volume group of the logical volume")?;
    let name = lvm_name(sec, "name", "the logical volume's name")?;
    let size = sec
        .set("size")?
        .map(|v| parse_lv_size(&v).map_err(|why| sec.error("size", why)))
        .transpose()?;
    Ok(Lv {
        vg,
        name,
        size,
        create_options: sec.words("create_options")?,
    })
}

/// A loop file smaller than 1 MiB holds no filesystem om formats.
fn at_least_1m(v: &str, n: u64) -> std::result::Result<u64, String> {
    if n < 1 << 20 {
        return Err(format!("'{}' is under 1m", v.escape_debug()));
    }
    Ok(n)
}

/// A disk as far as its stop needs it (a loop's file, a volume group's or
/// a logical volume's names), when it reads.
pub(in crate::config) fn for_stop(sec: &Section) -> Option<Disk> {
    let name = |key: &str| sec.readable(key).filter(|n| check_lvm_name(n).is_ok());
    let driver = match sec.readable("type").as_deref() {
        Some("loop") => Driver::Loop(Loop {
            file: sec.readable("file").filter(|f| check_path(f).is_ok())?,
            size: None,
        }),
        Some("vg") => Driver::Vg(Vg {
            name: name("name")?,
            ..Vg::default()
        }),
        Some("lv") => Driver::Lv(Lv {
            vg: name("vg")?,
            name: name("name")?,
            ..Lv::default()
        }),
        _ => return None,
    };
    Some(Disk {
        head: head_for_stop(sec),
        driver,
    })
}

/// A path om creates, attaches, formats or mounts: checked like a data dir
/// (SPEC 11): absolute, no `..`, never `/`, a system directory or
/// dockerd's default data root (this host's other engines: at start).
pub(in crate::config) fn check_path(path: &str) -> std::result::Result<(), String> {
    crate::docker::system_dirs::check_elsewhere(path)
        .map_err(|why| format!("'{}' {why}", path.escape_debug()))
}
