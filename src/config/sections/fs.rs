//! The fs kind's section (`[fs#N] type = xfs|ext4|btrfs`, SPEC 17) as an
//! `Fs`.

use super::disk::check_path;
use super::{head, head_for_stop, Rids, Section};
use crate::config::keywords::{rid_index, DISK_GROUP};
use crate::error::Result;
use crate::model::{Dev, Fs, FsType};

/// An `[fs#N]` section: a `dev` that names a disk names one of the
/// service; `mnt` is checked like a data dir. Whether `dev` is a block
/// device is the host's to say, at start (the config may be written on
/// another node).
pub(in crate::config) fn parse(sec: &Section, rids: &Rids) -> Result<Fs> {
    let fstype = match sec.set("type")? {
        Some(v) => FsType::parse(&v).ok_or_else(|| {
            let why = format!(
                "'{}' is not one of {}",
                v.escape_debug(),
                FsType::WORDS.join(", ")
            );
            sec.error("type", why)
        })?,
        None => return Err(sec.error("type", "missing (xfs, ext4 or btrfs)")),
    };
    let dev = dev(sec)?;
    if let Dev::Disk(rid) = &dev {
        if !(rids.known)(rid) {
            return Err(sec.error("dev", format!("no resource {rid} in this service")));
        }
    }
    let mnt = sec
        .set("mnt")?
        .ok_or_else(|| sec.error("mnt", "missing (the mount point)"))?;
    check_path(&mnt).map_err(|why| sec.error("mnt", why))?;
    let perm = sec
        .set("perm")?
        .map(|v| {
            // octal digits only (`+777` parses, chmod reads it another way)
            Some(&v)
                .filter(|v| !v.is_empty() && v.bytes().all(|b| (b'0'..=b'7').contains(&b)))
                .and_then(|v| u32::from_str_radix(v, 8).ok())
                .filter(|p| *p <= 0o7777)
                .ok_or_else(|| {
                    sec.error(
                        "perm",
                        format!("'{}' is not an octal mode (0750)", v.escape_debug()),
                    )
                })
        })
        .transpose()?;
    let name = |key: &str| -> Result<Option<String>> {
        let v = sec.set(key)?;
        match v {
            // `.` is chown's old user.group separator: a user holds none
            Some(n)
                if n.starts_with('-')
                    || n.contains([':', ' ', '/'])
                    || (key == "user" && n.contains('.')) =>
            {
                Err(sec.error(
                    key,
                    format!("'{}' is not a name or an id", n.escape_debug()),
                ))
            }
            v => Ok(v),
        }
    };
    Ok(Fs {
        head: head(sec, rids)?,
        fstype,
        dev,
        mnt,
        mnt_opt: sec.set("mnt_opt")?,
        mkfs_opt: mkfs_opt(sec)?,
        user: name("user")?,
        group: name("group")?,
        perm,
    })
}

/// `mkfs_opt`: options only, each word one (`-Lname`, `--label=name`,
/// `-bsize=4096`: a value joined to its option), none that forces or that
/// names another device: mkfs formats the fs's `dev` and nothing else.
fn mkfs_opt(sec: &Section) -> Result<Vec<String>> {
    let words = sec.words("mkfs_opt")?;
    for w in &words {
        check_mkfs_word(w).map_err(|why| sec.error("mkfs_opt", why))?;
    }
    Ok(words)
}

/// Why `word` is not a `mkfs_opt` om passes on. A word of letters after
/// one `-` is read as flags (`-qf`), so a label holding an `f` is written
/// `--label=…` or not given here.
fn check_mkfs_word(word: &str) -> std::result::Result<(), String> {
    let shown = word.escape_debug();
    if !word.starts_with('-') || word == "-" || word == "--" {
        return Err(format!(
            "'{shown}' is not an option (a value goes with its option in one word: -Lname, -bsize=4096)"
        ));
    }
    let flags = word
        .strip_prefix('-')
        .filter(|w| !w.starts_with('-') && w.chars().all(|c| c.is_ascii_alphabetic()));
    if word.starts_with("--force") || flags.is_some_and(|w| w.contains(['f', 'F'])) {
        return Err(format!(
            "'{shown}' forces mkfs: om formats only a device without a filesystem"
        ));
    }
    let lower = word.to_ascii_lowercase();
    if lower.contains("/dev")
        || ["logdev=", "rtdev=", "device="]
            .iter()
            .any(|k| lower.contains(k))
    {
        return Err(format!(
            "'{shown}' names another device: mkfs writes only to the fs's dev"
        ));
    }
    Ok(())
}

/// An fs as far as its stop needs it (its device and mount point), when
/// they read.
pub(in crate::config) fn for_stop(sec: &Section) -> Option<Fs> {
    let mnt = sec.readable("mnt").filter(|m| check_path(m).is_ok())?;
    let fstype = sec.readable("type").and_then(|t| FsType::parse(&t))?;
    Some(Fs {
        head: head_for_stop(sec),
        fstype,
        dev: dev(sec).ok()?,
        mnt,
        ..Default::default()
    })
}

/// `dev`: OpenSVC's reference to a disk's device
/// (`{disk#1.exposed_devs[0]}`), a disk's rid, or an absolute path (that
/// it is a block device is checked at start, on the host).
fn dev(sec: &Section) -> Result<Dev> {
    let raw = sec.eval.raw(sec.rid, "dev").map(|v| v.trim().to_string());
    let Some(raw) = raw.filter(|v| !v.is_empty()) else {
        return Err(sec.error("dev", "missing (a block device, or disk#N)"));
    };
    if let Some(rid) = disk_of(&raw) {
        return Ok(Dev::Disk(rid.to_string()));
    }
    let path = sec.set("dev")?.unwrap_or_default();
    if !path.starts_with('/') || path.split('/').any(|c| c == "..") {
        return Err(sec.error(
            "dev",
            format!(
                "'{}' is not an absolute device path nor disk#N",
                path.escape_debug()
            ),
        ));
    }
    Ok(Dev::Path(path))
}

/// The disk rid `dev` names: `disk#1` or `{disk#1.exposed_devs[0]}`.
pub fn disk_of(dev: &str) -> Option<&str> {
    let rid = dev
        .strip_prefix('{')
        .and_then(|v| v.strip_suffix(".exposed_devs[0]}"))
        .unwrap_or(dev);
    rid_index(rid, DISK_GROUP).map(|_| rid)
}

#[cfg(test)]
mod tests {
    use super::{check_mkfs_word, disk_of};

    #[test]
    fn mkfs_opt_words_are_options_that_neither_force_nor_name_a_device() {
        for ok in [
            "-q",
            "-Lmydata",
            "--label=fast",
            "-bsize=4096",
            "-m0",
            "-K",
            "-Ohas_journal",
        ] {
            assert_eq!(check_mkfs_word(ok), Ok(()), "{ok}");
        }
        for bad in [
            "/dev/loop2",
            "loop2",
            "-",
            "--",
            "-f",
            "-F",
            "-qf",
            "--force",
            "--force=yes",
            "-llogdev=/x",
            "-lLOGDEV=x",
            "-rrtdev=x",
            "-Jdevice=UUID=1",
            "--journal=/dev/vdb",
            "-d/dev/vdb",
        ] {
            assert!(check_mkfs_word(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dev_names_a_disk_as_opensvc_writes_it_or_by_rid() {
        assert_eq!(disk_of("{disk#1.exposed_devs[0]}"), Some("disk#1"));
        assert_eq!(disk_of("disk#db"), Some("disk#db"));
        for path in [
            "/dev/vdb",
            "{disk#1.exposed_devs[1]}",
            "{disk#.exposed_devs[0]}",
            "disk#",
            "{fs#1.exposed_devs[0]}",
        ] {
            assert_eq!(disk_of(path), None, "{path}");
        }
    }
}
