//! What an ip resource does on the host (SPEC 16): plumb its address into
//! its holder's network namespace at start, remove the link at stop, and
//! read whether it is there for status. Root only: the links and the
//! namespaces are the kernel's.

use super::{
    create_cmds, find, in_netns, ip_cmd, link_names, ns_cmds, parse_addrs, Found, Ip, Link, Mode,
};
use crate::config::service::Service;
use crate::docker::container::Exec;
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::process::{capture, Cmd};
use crate::resource::container::Container;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

/// The bound of one `ip` or `nsenter` command, and of the availability
/// check.
const BOUND: Duration = Duration::from_secs(30);
const PING_BOUND: Duration = Duration::from_secs(5);

fn failed(msg: String) -> Error {
    Error::Failed(msg)
}

fn holder<'s>(svc: &'s Service, ip: &Ip) -> Result<&'s Container> {
    svc.container(&ip.holder).ok_or_else(|| {
        failed(format!(
            "{}.netns: no resource {} in this service",
            ip.rid, ip.holder
        ))
    })
}

fn need_root(ip: &Ip) -> Result<()> {
    if crate::host::is_superuser() {
        return Ok(());
    }
    Err(failed(format!(
        "{}: an address in a container's namespace needs root (links and namespaces are the kernel's)",
        ip.rid
    )))
}

/// The process of the holder's container, when it runs and is the
/// resource's own (its `com.opensvc.id` label), from the inspect of its
/// verified id. `None`: it does not run (its namespace, and any address in
/// it, went with it).
fn holder_pid(exec: &Exec, ip: &Ip) -> Result<Option<u32>> {
    let h = holder(exec.svc, ip)?;
    let Some(info) = exec.current(&[h])?.of(exec.svc, h)? else {
        return Ok(None);
    };
    if !exec.owns(h, &info) {
        return Err(failed(format!(
            "its namespace holder {}: container {} is not om's: not entered",
            h.rid, info.name
        )));
    }
    if !info.running {
        return Ok(None);
    }
    let seen = exec.engine.inspect(&[&info.id])?;
    let pid = seen.iter().find(|i| i.id == info.id).map_or(0, |i| i.pid);
    Ok((pid != 0).then_some(pid))
}

/// The links of process `pid`'s network namespace, with their addresses.
fn links_in(pid: u32) -> Result<Vec<Link>> {
    let cmd = in_netns(pid, ip_cmd(["-j", "addr", "show"]));
    let out = capture(&cmd, BOUND)?;
    if !out.success() {
        return Err(failed(format!("{cmd}: {}", out.error_line())));
    }
    parse_addrs(&out.stdout).map_err(|e| failed(format!("{cmd}: {e}")))
}

fn link_exists(name: &str) -> bool {
    Path::new("/sys/class/net").join(name).exists()
}

/// Runs one logged command; its failure is the caller's to word.
fn run(exec: &Exec, ip: &Ip, cmd: &Cmd) -> Result<crate::process::Output> {
    crate::logger::run_logged(exec.log, &ip.rid, cmd, BOUND, exec.dry_run, true)
}

/// Whether `addr` answers on the network: an address that does is another
/// host's (or another service's), and is not taken.
fn check_available(addr: IpAddr) -> Result<()> {
    let cmd = Cmd::new("ping", ["-c", "1", "-W", "1", &addr.to_string()]);
    let out = capture(&cmd, PING_BOUND)
        .map_err(|e| failed(format!("checking {addr} availability: {e}")))?;
    if out.success() {
        return Err(failed(format!(
            "{addr} is already in use (it answers ping): not plumbed"
        )));
    }
    // 1: no answer; 2: no route to it (nothing on a link of this host
    // answers for it either)
    match out.status.code() {
        Some(1 | 2) => Ok(()),
        _ => Err(failed(format!(
            "checking {addr} availability: {cmd}: {}",
            out.error_line()
        ))),
    }
}

/// Starts the resource: its address on `nsdev` in the holder's namespace.
/// Returns whether this call plumbed it (for a rollback).
pub fn start(exec: &Exec, ip: &Ip) -> Result<bool> {
    let rid = ip.rid.as_str();
    let addr = ip.resolve().map_err(failed)?;
    super::check_prefix(addr, ip.prefix).map_err(|e| failed(format!("{rid}.netmask: {e}")))?;
    let (host, tmp) = link_names(&exec.svc.id, rid);
    if exec.dry_run {
        match holder_pid(exec, ip).ok().flatten() {
            Some(pid) if read(ip, pid) == Seen::Up => exec.log.res(
                rid,
                Level::Info,
                &format!("{addr} is already up on {}", ip.nsdev),
            ),
            Some(pid) => {
                exec.log
                    .res(rid, Level::Info, &format!("checking {addr} availability"));
                for cmd in create_cmds(ip, &host, &tmp, pid)
                    .iter()
                    .chain(&ns_cmds(ip, &tmp, pid, addr))
                {
                    run(exec, ip, cmd)?;
                }
            }
            None => exec.log.res(
                rid,
                Level::Info,
                &format!(
                    "{addr}/{} on {} in the namespace of {}, once it runs",
                    ip.prefix, ip.nsdev, ip.holder
                ),
            ),
        }
        return Ok(false);
    }
    need_root(ip)?;
    let pid = holder_pid(exec, ip)?
        .ok_or_else(|| failed(format!("its namespace holder {} is not running", ip.holder)))?;
    match find(&links_in(pid)?, &ip.nsdev, addr) {
        Found::Up => {
            exec.log.res(
                rid,
                Level::Info,
                &format!("{addr} is already up on {}", ip.nsdev),
            );
            return Ok(false);
        }
        Found::NsdevOther => {
            return Err(failed(format!(
                "{rid}.nsdev: {} exists in the namespace of {} without {addr}: not touched",
                ip.nsdev, ip.holder
            )))
        }
        Found::Absent => {}
    }
    if !link_exists(&ip.ipdev) {
        return Err(failed(format!("{rid}.ipdev: no such link {}", ip.ipdev)));
    }
    if ip.mode == Mode::Bridge
        && !Path::new("/sys/class/net")
            .join(&ip.ipdev)
            .join("bridge")
            .exists()
    {
        return Err(failed(format!(
            "{rid}.ipdev: {} is not a bridge (mode = bridge)",
            ip.ipdev
        )));
    }
    exec.log
        .res(rid, Level::Info, &format!("checking {addr} availability"));
    check_available(addr)?;
    // links a start cut short left: named after this resource, they are its
    for name in [&host, &tmp] {
        if link_exists(name) {
            run(exec, ip, &ip_cmd(["link", "del", name.as_str()]))?;
        }
    }
    for (i, cmd) in create_cmds(ip, &host, &tmp, pid).iter().enumerate() {
        let out = run(exec, ip, cmd)?;
        if !out.success() {
            // the first command creates the link: nothing to undo before it
            if i > 0 {
                undo(exec, ip, &host, &tmp, pid, false);
            }
            return Err(failed(if i == 0 {
                format!("{rid}.mode: {}: {}", ip.mode.as_str(), out.error_line())
            } else {
                format!("{cmd}: {}", out.error_line())
            }));
        }
    }
    for (i, cmd) in ns_cmds(ip, &tmp, pid, addr).iter().enumerate() {
        if i == super::NS_LINK_CMDS {
            if let Err(e) = detect_duplicate(exec, ip, pid, addr) {
                undo(exec, ip, &host, &tmp, pid, true);
                return Err(e);
            }
        }
        let out = run(exec, ip, cmd)?;
        if !out.success() {
            // the first command renames the link nsdev
            undo(exec, ip, &host, &tmp, pid, i > 0);
            return Err(failed(format!("{cmd}: {}", out.error_line())));
        }
    }
    announce(exec, ip, pid, addr);
    Ok(true)
}

/// Whether `arping` (iputils) is on the PATH: the duplicate address
/// detection and the gratuitous ARP need it (IPv4 only).
fn arping() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("arping").is_file()))
}

/// The address asked for on the link, before it is set (see `dad_cmd`).
fn detect_duplicate(exec: &Exec, ip: &Ip, pid: u32, addr: IpAddr) -> Result<()> {
    if !arping() || !addr.is_ipv4() {
        return Ok(());
    }
    let cmd = super::dad_cmd(ip, pid, addr);
    let out = run(exec, ip, &cmd)?;
    match out.status.code() {
        Some(0) => Ok(()),
        Some(1) => Err(failed(format!(
            "{addr} is already in use (a host answers arp for it on the link of {}): not plumbed",
            ip.ipdev
        ))),
        _ => Err(failed(format!(
            "checking {addr} availability: {cmd}: {}",
            out.error_line()
        ))),
    }
}

/// A gratuitous ARP, when `arping` (iputils) is there: the neighbours
/// learn the address's new link at once. A failure is a warning.
fn announce(exec: &Exec, ip: &Ip, pid: u32, addr: IpAddr) {
    if !arping() || !addr.is_ipv4() {
        return;
    }
    let cmd = in_netns(
        pid,
        Cmd::new(
            "arping",
            ["-U", "-c", "1", "-I", &ip.nsdev, &addr.to_string()],
        ),
    );
    match run(exec, ip, &cmd) {
        Ok(out) if out.success() => {}
        Ok(out) => exec.log.res(
            &ip.rid,
            Level::Warn,
            &format!("gratuitous arp: {}", out.error_line()),
        ),
        Err(e) => exec
            .log
            .res(&ip.rid, Level::Warn, &format!("gratuitous arp: {e}")),
    }
}

/// What a failed start created, removed: the link, wherever it is now.
fn undo(exec: &Exec, ip: &Ip, host: &str, tmp: &str, pid: u32, renamed: bool) {
    let mut cmds = Vec::new();
    // a veth pair goes with either end
    if link_exists(host) {
        cmds.push(ip_cmd(["link", "del", host]));
    } else if link_exists(tmp) {
        cmds.push(ip_cmd(["link", "del", tmp]));
    } else {
        let name = if renamed { ip.nsdev.as_str() } else { tmp };
        cmds.push(in_netns(pid, ip_cmd(["link", "del", name])));
    }
    for cmd in cmds {
        if let Err(e) = run(exec, ip, &cmd) {
            exec.log.res(&ip.rid, Level::Warn, &format!("undo: {e}"));
        }
    }
}

/// Stops the resource: the link of its address removed from the holder's
/// namespace (a veth's host end goes with it). A holder that does not run
/// has no namespace left: nothing to do.
pub fn stop(exec: &Exec, ip: &Ip) -> Result<()> {
    let rid = ip.rid.as_str();
    if !exec.dry_run {
        need_root(ip)?;
    }
    let pid = match holder_pid(exec, ip) {
        Ok(Some(pid)) => pid,
        Ok(None) => {
            exec.log.res(
                rid,
                Level::Info,
                &format!(
                    "its namespace holder {} is not running: the address went with its namespace",
                    ip.holder
                ),
            );
            return Ok(());
        }
        Err(e) if exec.dry_run => {
            exec.log.res(rid, Level::Info, &e.to_string());
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let del = in_netns(pid, ip_cmd(["link", "del", "dev", &ip.nsdev]));
    if exec.dry_run {
        run(exec, ip, &del)?;
        return Ok(());
    }
    let addr = ip.resolve().map_err(failed)?;
    if find(&links_in(pid)?, &ip.nsdev, addr) != Found::Up {
        exec.log.res(
            rid,
            Level::Info,
            &format!("{addr} is already down on {}", ip.nsdev),
        );
        return Ok(());
    }
    let out = run(exec, ip, &del)?;
    if !out.success() {
        return Err(failed(format!("{del}: {}", out.error_line())));
    }
    Ok(())
}

/// Where an ip resource stands, for status and requirements.
#[derive(Clone, Debug, PartialEq)]
pub enum Seen {
    Up,
    /// Not there, and why (`info: …`).
    Down(String),
    /// Could not be read, and why (`warn: …`): never taken for down.
    Unknown(String),
}

/// The resource now, as an action sees it.
pub fn seen(exec: &Exec, ip: &Ip) -> Seen {
    let pid = match holder_pid(exec, ip) {
        Ok(Some(pid)) => pid,
        Ok(None) => {
            return Seen::Down(format!("its namespace holder {} is not running", ip.holder))
        }
        Err(e) => return Seen::Unknown(e.to_string()),
    };
    read(ip, pid)
}

fn read(ip: &Ip, pid: u32) -> Seen {
    read_links(ip, &namespace_links(pid))
}

/// The links of process `pid`'s namespace, or why they can not be read.
fn namespace_links(pid: u32) -> std::result::Result<Vec<Link>, String> {
    if !crate::host::is_superuser() {
        return Err("reading a container's namespace needs root".into());
    }
    links_in(pid).map_err(|e| e.to_string())
}

fn read_links(ip: &Ip, links: &std::result::Result<Vec<Link>, String>) -> Seen {
    let addr = match ip.resolve() {
        Ok(a) => a,
        Err(e) => return Seen::Unknown(e),
    };
    match links {
        Ok(links) => match find(links, &ip.nsdev, addr) {
            Found::Up => Seen::Up,
            _ => Seen::Down(format!("{addr} is not on {}", ip.nsdev)),
        },
        Err(e) => Seen::Unknown(e.clone()),
    }
}

/// The service's ip resources for status, in `svc.ips` order: the holders
/// that run, from `by_name` (what the engine listed; `None`: its private
/// daemon does not run), their processes from one inspect of them all.
pub fn observe(
    engine: &crate::docker::Engine,
    svc: &Service,
    by_name: Option<&crate::status::ByName>,
) -> Vec<Seen> {
    if svc.ips.is_empty() {
        return Vec::new();
    }
    let Some(map) = by_name else {
        return vec![Seen::Down("docker daemon is not running".into()); svc.ips.len()];
    };
    let want = |h: &Container| crate::docker::argv::container_id_label(&svc.id, &h.rid);
    // the running holder of each ip, when it is ours
    let holders: Vec<Option<&crate::docker::inspect::ContainerInfo>> = svc
        .ips
        .iter()
        .map(|ip| {
            let h = svc.container(&ip.holder)?;
            let info = map.get(h.name.as_str())?;
            let ours = info.label(crate::docker::argv::LABEL_ID) == Some(want(h).as_str());
            (ours && info.running).then_some(*info)
        })
        .collect();
    let mut ids: Vec<&str> = holders.iter().flatten().map(|i| i.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let pids: std::collections::HashMap<String, u32> = match engine.inspect(&ids) {
        Ok(infos) => infos.into_iter().map(|i| (i.id, i.pid)).collect(),
        Err(e) => return vec![Seen::Unknown(e.to_string()); svc.ips.len()],
    };
    // each namespace read once, however many addresses it has
    let mut links: std::collections::HashMap<u32, std::result::Result<Vec<Link>, String>> =
        std::collections::HashMap::new();
    svc.ips
        .iter()
        .zip(holders)
        .map(|(ip, h)| {
            if ip.disable {
                return Seen::Down(String::new());
            }
            let Some(h) = h else {
                return Seen::Down(format!("its namespace holder {} is not running", ip.holder));
            };
            match pids.get(&h.id) {
                Some(&pid) if pid != 0 => {
                    read_links(ip, links.entry(pid).or_insert_with(|| namespace_links(pid)))
                }
                _ => Seen::Down(format!("its namespace holder {} is not running", ip.holder)),
            }
        })
        .collect()
}
