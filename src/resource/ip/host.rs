//! What an ip resource touches on the host (SPEC 16): the holder's
//! process and its namespace's links, the host's own links, and the
//! logged commands that change them. Root only: the links and the
//! namespaces are the kernel's.
//!
//! Every link om makes carries the resource's marker (its alias) from the
//! moment it exists: stop and status find om's link by it, never by what
//! `ipname` resolves to now, and a link a start cut short left behind is
//! known as this resource's (and removed) by the next start.

use super::{in_netns, ip_cmd, parse_addrs, Link};
use crate::error::{Error, Result};
use crate::model::{Container, Ip, Service};
use crate::process::{capture, Cmd};
use crate::resource::context::Context;
use std::path::Path;
use std::time::Duration;

/// The bound of one `ip` or `nsenter` command, and of the availability
/// check.
pub(super) const BOUND: Duration = Duration::from_secs(30);
pub(super) const PING_BOUND: Duration = Duration::from_secs(5);

fn holder<'s>(svc: &'s Service, ip: &Ip) -> Result<&'s Container> {
    svc.container(&ip.holder).ok_or_else(|| {
        Error::config(
            format!("{}.netns", ip.head.rid),
            format!("no resource {} in this service", ip.holder),
        )
    })
}

pub(super) fn need_root(ip: &Ip) -> Result<()> {
    if crate::host::is_superuser() {
        return Ok(());
    }
    Err(Error::Failed(format!(
        "{}: an address in a container's namespace needs root (links and namespaces are the kernel's)",
        ip.head.rid
    )))
}

/// The process of the holder's container, when it runs and is the
/// resource's own (its `com.opensvc.id` label). `None`: it does not run
/// (its namespace, and any address in it, went with it). The holder is
/// found as every action finds a container (`Current`: renamed behind
/// om's back, by its label), then inspected by its verified id for its
/// process.
pub(super) fn holder_pid(ctx: &Context, ip: &Ip) -> Result<Option<u32>> {
    let h = holder(ctx.svc, ip)?;
    if ctx.offline {
        return Ok(None);
    }
    let Some(found) = ctx.current(&[h])?.of(ctx.svc, h)? else {
        return Ok(None);
    };
    if !crate::resource::container::owns(ctx.svc, h, &found) {
        return Err(Error::Failed(format!(
            "its namespace holder {}: container {} is not om's: not entered",
            h.head.rid, found.name
        )));
    }
    let again = ctx.engine.inspect(&[&found.id])?;
    let Some(info) = again.into_iter().find(|i| i.id == found.id) else {
        return Ok(None);
    };
    Ok((info.running && info.pid != 0).then_some(info.pid))
}

/// The links of process `pid`'s network namespace, with their addresses
/// and aliases.
pub(super) fn links_in(pid: u32) -> Result<Vec<Link>> {
    let cmd = in_netns(pid, ip_cmd(["-j", "-d", "addr", "show"]));
    let out = capture(&cmd, BOUND)?;
    if !out.success() {
        return Err(Error::call(&cmd, out.error_line()));
    }
    parse_addrs(&out.stdout).map_err(|e| Error::call(&cmd, e))
}

/// The alias of a link of the host's namespace, when it exists.
pub(super) fn host_link(name: &str) -> Option<String> {
    let dir = Path::new("/sys/class/net").join(name);
    dir.exists().then(|| {
        std::fs::read_to_string(dir.join("ifalias"))
            .unwrap_or_default()
            .trim_end()
            .to_string()
    })
}

/// Whether a link of the host's namespace named as one of the resource's
/// is the resource's: its marker, or none yet (the kernel makes a link
/// before `ip link set … alias` marks it: a start cut short in between
/// leaves it so, and the name is the resource's own 48-bit hash).
pub(super) fn ours_on_host(name: &str, mark: &str) -> Option<bool> {
    host_link(name).map(|alias| alias.is_empty() || alias == mark)
}

/// The resource's links left in the host's namespace (a start cut short
/// before the move), removed; one of its names held by a link that is not
/// om's is an error.
pub(super) fn clear_host(ctx: &Context, ip: &Ip, host: &str, tmp: &str, mark: &str) -> Result<()> {
    for name in [host, tmp] {
        match ours_on_host(name, mark) {
            Some(true) => run_ok(ctx, ip, &ip_cmd(["link", "del", name]))?,
            Some(false) => {
                return Err(Error::Failed(format!(
                    "{}: a link {name} exists on the host and is not om's: not touched",
                    ip.head.rid
                )))
            }
            None => {}
        }
    }
    Ok(())
}

/// Runs one logged command; its failure is the caller's to word.
pub(super) fn run(ctx: &Context, ip: &Ip, cmd: &Cmd) -> Result<crate::process::Output> {
    crate::logger::run_logged(ctx.log, &ip.head.rid, cmd, BOUND, ctx.dry_run, true)
}

/// Runs one logged command; a failure is an error naming it.
pub(super) fn run_ok(ctx: &Context, ip: &Ip, cmd: &Cmd) -> Result<()> {
    let out = run(ctx, ip, cmd)?;
    if !out.success() {
        return Err(Error::Failed(format!("{cmd}: {}", out.error_line())));
    }
    Ok(())
}

/// The links of process `pid`'s namespace, or why they can not be read.
pub(super) fn namespace_links(pid: u32) -> Result<Vec<Link>> {
    if !crate::host::is_superuser() {
        return Err(Error::Failed(
            "reading a container's namespace needs root".into(),
        ));
    }
    links_in(pid)
}
