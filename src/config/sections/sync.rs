//! The sync kind's section (`[sync#N] type = rsync`, SPEC 17) as a
//! `DataSync`. A stop does not act on it: the stop mode reads none.

use super::{head, Rids, Section};
use crate::error::Result;
use crate::model::sync::{DataSync, SyncKind, Target, MAX_DELAY};

/// A `[sync#N]` section: its paths are checked here, where they are the
/// same on every node (the receiving node checks its `dst` again).
pub(in crate::config) fn parse(sec: &Section, rids: &Rids) -> Result<DataSync> {
    let kind = match sec.set("type")? {
        None => SyncKind::Rsync,
        Some(w) => SyncKind::parse(&w).ok_or_else(|| {
            let why = format!(
                "'{}' is not one of {}",
                w.escape_debug(),
                SyncKind::WORDS.join(", ")
            );
            sec.error("type", why)
        })?,
    };
    // a docker sync sends the service's images: no paths
    let (src, dst) = if kind == SyncKind::Docker {
        (Vec::new(), String::new())
    } else {
        paths(sec, kind)?
    };
    let words = sec.words("target")?;
    if words.is_empty() {
        return Err(sec.error("target", "missing (nodes, drpnodes or both)"));
    }
    let mut target = Vec::new();
    for w in &words {
        let t = Target::parse(w).ok_or_else(|| {
            let why = format!(
                "'{}' is not one of {}",
                w.escape_debug(),
                Target::WORDS.join(", ")
            );
            sec.error("target", why)
        })?;
        if !target.contains(&t) {
            target.push(t);
        }
    }
    let dstfs = sec.set("dstfs")?;
    if let Some(fs) = &dstfs {
        if !fs.starts_with('/') || fs.split('/').any(|c| c == "..") {
            let why = format!("'{}' is not an absolute path", fs.escape_debug());
            return Err(sec.error("dstfs", why));
        }
    }
    let bwlimit = sec.set("bwlimit")?;
    if let Some(b) = &bwlimit {
        check_bwlimit(b).map_err(|why| sec.error("bwlimit", why))?;
    }
    let max_delay = sec.duration("max_delay")?.unwrap_or(MAX_DELAY);
    if max_delay.is_zero() {
        return Err(sec.error("max_delay", "must be more than 0"));
    }
    Ok(DataSync {
        head: head(sec, rids)?,
        kind,
        src,
        dst,
        target,
        options: sec.words("options")?,
        reset_options: sec.flag("reset_options")?,
        dstfs,
        bwlimit,
        max_delay,
    })
}

/// `src` and `dst`: absolute paths, `dst` no system directory; a btrfs
/// sync sends one subvolume.
fn paths(sec: &Section, kind: SyncKind) -> Result<(Vec<String>, String)> {
    let src = sec.words("src")?;
    if src.is_empty() {
        return Err(sec.error("src", "missing (the paths to send)"));
    }
    for p in &src {
        if !p.starts_with('/') {
            let why = format!("'{}' is not an absolute path", p.escape_debug());
            return Err(sec.error("src", why));
        }
    }
    if kind == SyncKind::Btrfs {
        if src.len() != 1 {
            return Err(sec.error("src", "a btrfs sync sends one subvolume"));
        }
        crate::docker::system_dirs::static_check(&src[0])
            .map_err(|e| sec.error("src", format!("'{}' {e}", src[0].escape_debug())))?;
    }
    let dst = sec
        .set("dst")?
        .ok_or_else(|| sec.error("dst", "missing (where it goes on the target nodes)"))?;
    crate::docker::system_dirs::static_check(&dst)
        .map_err(|e| sec.error("dst", format!("'{}' {e}", dst.escape_debug())))?;
    Ok((src, dst))
}

/// rsync's `--bwlimit`: a number, in KiB/s, or with one of its units.
fn check_bwlimit(v: &str) -> std::result::Result<(), String> {
    let digits = v.trim_end_matches(|c: char| "kKmMgG".contains(c));
    let ok = v.len() - digits.len() <= 1
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().next().is_some_and(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{}' is not a bandwidth (KiB/s: 1000, or 1m)",
            v.escape_debug()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::check_bwlimit;

    #[test]
    fn a_bwlimit_is_rsync_s() {
        for ok in ["1000", "1m", "1.5M", "20k"] {
            assert!(check_bwlimit(ok).is_ok(), "{ok}");
        }
        for bad in ["", "m", "1mb", "-1", "1 m", "x"] {
            assert!(check_bwlimit(bad).is_err(), "{bad}");
        }
    }
}
