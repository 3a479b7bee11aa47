//! What a loop disk runs on the host: `losetup`, each change a logged line
//! that replays, and the file's creation.

use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::disk::Loop;
use crate::process::{capture, Cmd};
use crate::resource::Context;
use std::time::Duration;

/// The bound of one `losetup`.
const BOUND: Duration = Duration::from_secs(30);

pub(super) fn attach_cmd(file: &str) -> Cmd {
    Cmd::new("losetup", ["--find", "--show", file])
}

/// The loop devices attached to `file` (`losetup -j FILE`: the kernel
/// matches the file itself, not its name), as `/dev/loopN`. A failed
/// query is an error, never "none".
pub fn attached(file: &str) -> Result<Vec<String>> {
    let cmd = Cmd::new("losetup", ["-j", file]);
    let out = capture(&cmd, BOUND)?;
    if !out.success() {
        return Err(Error::call(&cmd, out.error_line()));
    }
    Ok(parse_j(&out.stdout))
}

/// `/dev/loop3: [2049]:1234 (/srv/f)` lines → `/dev/loop3`.
fn parse_j(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.split_once(": ").map(|(dev, _)| dev.to_string()))
        .filter(|d| d.starts_with("/dev/"))
        .collect()
}

/// The device the loop file exposes now: its first loop device, `None`
/// when none is attached (down); a failed query is an error, never "down".
pub(super) fn device_of(l: &Loop) -> Result<Option<String>> {
    Ok(attached(&l.file)?.into_iter().next())
}

/// The file, sparse, of the disk's size, created new (never over a file
/// that appeared meanwhile); its directory made when missing.
pub(super) fn create(ctx: &Context, rid: &str, d: &Loop) -> Result<()> {
    let Some(size) = d.size else {
        return Err(Error::config(
            format!("{rid}.size"),
            format!("missing: provision creates {} of that size", d.file),
        ));
    };
    ctx.log.res(
        rid,
        Level::Info,
        &Cmd::new("truncate", ["-s", &size.to_string(), &d.file]).to_string(),
    );
    if ctx.dry_run {
        return Ok(());
    }
    let path = std::path::Path::new(&d.file);
    let fault =
        |p: &std::path::Path, e: std::io::Error| Error::Failed(crate::fsutil::io_fault(p, &e));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fault(dir, e))?;
    }
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| fault(path, e))?;
    // a file that did not get its size is none of provision's: it goes,
    // or the next provision would take it as is
    f.set_len(size).map_err(|e| {
        let _ = std::fs::remove_file(path);
        fault(path, e)
    })
}

pub(super) fn attach(ctx: &Context, rid: &str, d: &Loop) -> Result<()> {
    let cmd = attach_cmd(&d.file);
    let out = crate::logger::run_logged(ctx.log, rid, &cmd, BOUND, ctx.dry_run, true)?;
    if !out.success() {
        return Err(Error::Failed(format!("{cmd}: {}", out.error_line())));
    }
    Ok(())
}

pub(super) fn detach(ctx: &Context, rid: &str, d: &Loop, dev: &str) -> Result<()> {
    let cmd = Cmd::new("losetup", ["-d", dev]);
    let out = crate::logger::run_logged(ctx.log, rid, &cmd, BOUND, ctx.dry_run, true)?;
    if !out.success() {
        return Err(Error::Failed(format!("{cmd}: {}", out.error_line())));
    }
    if ctx.dry_run {
        return Ok(());
    }
    // `losetup -d` of a device something still holds open (a filesystem
    // being released, a probe) only marks it to go when closed, and exits
    // 0: the stop is done once the kernel no longer lists it, as a
    // container's stop is done once it is down
    let deadline = std::time::Instant::now() + DETACHED_WITHIN;
    loop {
        if !attached(&d.file)?.iter().any(|a| a == dev) {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            let elsewhere = crate::resource::fs::mounts::other_namespaces_holding(dev);
            let who = if elsewhere.is_empty() {
                "something holds it open".to_string()
            } else {
                format!(
                    "mounted in another mount namespace, made while it was mounted here: {}",
                    elsewhere.join(", ")
                )
            };
            return Err(Error::Failed(format!(
                "{cmd}: {dev} still attached to {} after {}s: {who}",
                d.file,
                DETACHED_WITHIN.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How long a detached device may take to leave the kernel's list.
const DETACHED_WITHIN: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    #[test]
    fn losetup_j_lines() {
        let out = "/dev/loop3: [2049]:1234 (/srv/a: b)\n/dev/loop10: [0042]:7 (/srv/a: b)\n";
        assert_eq!(super::parse_j(out), ["/dev/loop3", "/dev/loop10"]);
        assert!(super::parse_j("").is_empty());
    }
}
