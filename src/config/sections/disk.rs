//! The disk kind's section (`[disk#N] type = loop`, SPEC 17) as a `Disk`.

use super::{head, head_for_stop, Rids, Section};
use crate::error::Result;
use crate::model::disk::{parse_size, Disk};

/// An `[disk#N]` section: its file is checked like a data dir (absolute,
/// never `/` or a system directory), its size parsed.
pub(in crate::config) fn parse(sec: &Section, rids: &Rids) -> Result<Disk> {
    match sec.set("type")?.as_deref() {
        Some("loop") => {}
        Some(other) => {
            return Err(sec.error(
                "type",
                format!("'{}' is not one of loop", other.escape_debug()),
            ))
        }
        None => return Err(sec.error("type", "missing (loop)")),
    }
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
    Ok(Disk {
        head: head(sec, rids)?,
        file,
        size,
    })
}

/// A loop file smaller than 1 MiB holds no filesystem om formats.
fn at_least_1m(v: &str, n: u64) -> std::result::Result<u64, String> {
    if n < 1 << 20 {
        return Err(format!("'{}' is under 1m", v.escape_debug()));
    }
    Ok(n)
}

/// A disk as far as its stop needs it (its file), when it reads.
pub(in crate::config) fn for_stop(sec: &Section) -> Option<Disk> {
    let file = sec.readable("file").filter(|f| check_path(f).is_ok())?;
    Some(Disk {
        head: head_for_stop(sec),
        file,
        size: None,
    })
}

/// A path om creates, attaches, formats or mounts: checked like a data dir
/// (SPEC 11): absolute, no `..`, never `/`, a system directory or
/// dockerd's default data root (this host's other engines: at start).
pub(in crate::config) fn check_path(path: &str) -> std::result::Result<(), String> {
    crate::docker::system_dirs::check_elsewhere(path)
        .map_err(|why| format!("'{}' {why}", path.escape_debug()))
}
