//! The volume kind's section (`[volume#N]`, SPEC 17) as a `Volume`: whole
//! (`parse`), or as far as a stop needs it (`for_stop`).

use super::{head, Rids, Section};
use crate::config::keywords::{rid_index, VOLUME_GROUP};
use crate::error::Result;
use crate::model::Volume;
use crate::paths::SvcPath;

/// A `[volume#N]` section: its name one docker takes, its options
/// `KEY=VALUE` words.
pub(in crate::config) fn parse(sec: &Section, path: &SvcPath, rids: &Rids) -> Result<Volume> {
    let name = match sec.set("name")? {
        Some(n) => n,
        None => default_name(path, sec.rid),
    };
    check_name(&name).map_err(|e| sec.error("name", e))?;
    let driver = sec.set("driver")?;
    if let Some(d) = &driver {
        if d.starts_with('-') || d.chars().any(char::is_whitespace) {
            let why = format!("'{}' is not a driver name", d.escape_debug());
            return Err(sec.error("driver", why));
        }
    }
    let options = sec.words("options")?;
    for o in &options {
        if o.split_once('=').is_none_or(|(k, _)| k.is_empty()) {
            let why = format!("'{}' is not KEY=VALUE", o.escape_debug());
            return Err(sec.error("options", why));
        }
    }
    Ok(Volume {
        head: head(sec, rids)?,
        name,
        driver,
        options,
    })
}

/// A volume as far as its stop needs it (a purge removes it): none when
/// its name does not read.
pub(in crate::config) fn for_stop(sec: &Section, path: &SvcPath) -> Option<Volume> {
    let name = match sec.readable("name").filter(|n| !n.is_empty()) {
        Some(n) => n,
        None => default_name(path, sec.rid),
    };
    check_name(&name).ok()?;
    Some(Volume {
        head: super::head_for_stop(sec),
        name,
        ..Default::default()
    })
}

/// OpenSVC's `{name}-vol-{rindex}`; `NS..NAME-vol-N` outside the root
/// namespace, as the containers' names.
pub fn default_name(path: &SvcPath, rid: &str) -> String {
    let index = rid_index(rid, VOLUME_GROUP).unwrap_or(rid);
    if path.is_root_ns() {
        format!("{}-vol-{index}", path.name)
    } else {
        format!("{}..{}-vol-{index}", path.namespace, path.name)
    }
}

/// A name docker takes for a volume (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`), never
/// a path (a host directory is a bind mount, not a volume).
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if first_ok && rest_ok && name.len() >= 2 {
        Ok(())
    } else {
        Err(format!(
            "'{}' is not a docker volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)",
            name.escape_debug()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names_docker_takes() {
        for ok in ["reg-data", "a1", "x.y_z-0"] {
            assert_eq!(check_name(ok), Ok(()), "{ok}");
        }
        for bad in ["", "a", "-x", "/srv/data", "a b", "../x", "é1"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        let p = SvcPath::parse("reg").unwrap();
        assert_eq!(default_name(&p, "volume#1"), "reg-vol-1");
        let p = SvcPath::parse("ns1/svc/reg").unwrap();
        assert_eq!(default_name(&p, "volume#db"), "ns1..reg-vol-db");
    }
}
