//! What an ip resource does on the host (SPEC 16): plumb its address into
//! its holder's network namespace at start, remove its link at stop, and
//! read whether it is there for status. Root only: the links and the
//! namespaces are the kernel's.
//!
//! Every link om makes carries the resource's marker (its alias) from the
//! moment it exists: stop and status find om's link by it, never by what
//! `ipname` resolves to now, and a link a start cut short left behind is
//! known as this resource's (and removed) by the next start.

use super::{
    create_cmds, find, in_netns, ip_cmd, link_names, marker, ns_cmds, parse_addrs, up_in, Ip, Link,
    Mode,
};
use crate::docker::container::Exec;
use crate::docker::current::Current;
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::Container;
use crate::model::Service;
use crate::process::{capture, Cmd};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::OnceLock;
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
            ip.head.rid, ip.holder
        ))
    })
}

fn need_root(ip: &Ip) -> Result<()> {
    if crate::host::is_superuser() {
        return Ok(());
    }
    Err(failed(format!(
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
fn holder_pid(exec: &Exec, ip: &Ip) -> Result<Option<u32>> {
    let h = holder(exec.svc, ip)?;
    if exec.offline {
        return Ok(None);
    }
    let Some(found) = exec.current(&[h])?.of(exec.svc, h)? else {
        return Ok(None);
    };
    if !exec.owns(h, &found) {
        return Err(failed(format!(
            "its namespace holder {}: container {} is not om's: not entered",
            h.head.rid, found.name
        )));
    }
    let again = exec.engine.inspect(&[&found.id])?;
    let Some(info) = again.into_iter().find(|i| i.id == found.id) else {
        return Ok(None);
    };
    Ok((info.running && info.pid != 0).then_some(info.pid))
}

/// The links of process `pid`'s network namespace, with their addresses
/// and aliases.
fn links_in(pid: u32) -> Result<Vec<Link>> {
    let cmd = in_netns(pid, ip_cmd(["-j", "-d", "addr", "show"]));
    let out = capture(&cmd, BOUND)?;
    if !out.success() {
        return Err(failed(format!("{cmd}: {}", out.error_line())));
    }
    parse_addrs(&out.stdout).map_err(|e| failed(format!("{cmd}: {e}")))
}

/// The alias of a link of the host's namespace, when it exists.
fn host_link(name: &str) -> Option<String> {
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
fn ours_on_host(name: &str, mark: &str) -> Option<bool> {
    host_link(name).map(|alias| alias.is_empty() || alias == mark)
}

/// The resource's links left in the host's namespace (a start cut short
/// before the move), removed; one of its names held by a link that is not
/// om's is an error.
fn clear_host(exec: &Exec, ip: &Ip, host: &str, tmp: &str, mark: &str) -> Result<()> {
    for name in [host, tmp] {
        match ours_on_host(name, mark) {
            Some(true) => run_ok(exec, ip, &ip_cmd(["link", "del", name]))?,
            Some(false) => {
                return Err(failed(format!(
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
fn run(exec: &Exec, ip: &Ip, cmd: &Cmd) -> Result<crate::process::Output> {
    crate::logger::run_logged(exec.log, &ip.head.rid, cmd, BOUND, exec.dry_run, true)
}

/// Runs one logged command; a failure is an error naming it.
fn run_ok(exec: &Exec, ip: &Ip, cmd: &Cmd) -> Result<()> {
    let out = run(exec, ip, cmd)?;
    if !out.success() {
        return Err(failed(format!("{cmd}: {}", out.error_line())));
    }
    Ok(())
}

/// `cmd` with the C locale: its messages are read (ping's "unreachable").
fn c_locale(mut cmd: Cmd) -> Cmd {
    cmd.env
        .push(("LC_ALL".into(), crate::secret::Secret::new("C".into())));
    cmd
}

/// Whether `addr` answers on the network: an address that does is another
/// host's (or another service's), and is not taken.
fn check_available(addr: IpAddr) -> Result<()> {
    let cmd = c_locale(Cmd::new("ping", ["-c", "1", "-W", "1", &addr.to_string()]));
    let out = capture(&cmd, PING_BOUND)
        .map_err(|e| failed(format!("checking {addr} availability: {e}")))?;
    if out.success() {
        return Err(failed(format!(
            "{addr} is already in use (it answers ping): not plumbed"
        )));
    }
    // 1: no answer. 2 is any error: only "no route to it" says nothing
    // of this host's links answers for it either
    let unreachable = ["unreachable", "No route to host"]
        .iter()
        .any(|w| out.stderr.contains(w));
    match out.status.code() {
        Some(1) => Ok(()),
        Some(2) if unreachable => Ok(()),
        _ => Err(failed(format!(
            "checking {addr} availability: {cmd}: {}",
            out.error_line()
        ))),
    }
}

/// Starts the resource: its address on `nsdev` in the holder's namespace.
/// Returns whether this call plumbed it (for a rollback).
pub fn start(exec: &Exec, ip: &Ip) -> Result<bool> {
    let rid = ip.head.rid.as_str();
    let addr = ip.resolve().map_err(failed)?;
    super::check_address(addr, ip.prefix, ip.gateway)
        .map_err(|(key, why)| failed(format!("{rid}.{key}: {why}")))?;
    let (host, tmp) = link_names(&exec.svc.id, rid);
    let mark = marker(&exec.svc.id, rid);
    if exec.dry_run {
        return dry_start(exec, ip, addr, &host, &tmp, &mark);
    }
    need_root(ip)?;
    let pid = holder_pid(exec, ip)?
        .ok_or_else(|| failed(format!("its namespace holder {} is not running", ip.holder)))?;
    let links = links_in(pid)?;
    let found = find(&links, &ip.nsdev, &mark);
    if up_in(&found, ip) == Ok(true) {
        exec.log.res(
            rid,
            Level::Info,
            &format!("{} is already up on {}", ip.ipname, ip.nsdev),
        );
        return Ok(false);
    }
    if found.nsdev_other {
        return Err(failed(format!(
            "{rid}.nsdev: {} exists in the namespace of {} and is not om's: not touched",
            ip.nsdev, ip.holder
        )));
    }
    if host_link(&ip.ipdev).is_none() {
        return Err(failed(format!("{rid}.ipdev: no such link {}", ip.ipdev)));
    }
    let bridge = Path::new("/sys/class/net").join(&ip.ipdev).join("bridge");
    if ip.mode == Mode::Bridge && !bridge.exists() {
        return Err(failed(format!(
            "{rid}.ipdev: {} is not a bridge (mode = bridge)",
            ip.ipdev
        )));
    }
    // its own links of an earlier start cut short, or of another address
    // (ipname changed): they go first
    for l in &found.ours {
        run_ok(
            exec,
            ip,
            &in_netns(pid, ip_cmd(["link", "del", "dev", &l.name])),
        )?;
    }
    clear_host(exec, ip, &host, &tmp, &mark)?;
    exec.log
        .res(rid, Level::Info, &format!("checking {addr} availability"));
    check_available(addr)?;
    let create = create_cmds(ip, &host, &tmp, pid, &mark);
    // whatever stops the start once the link may exist (a refusal, a
    // bound) removes what it made; a signal leaves that to the rollback,
    // once every resource of the stage has stopped (see `stop`)
    let rest = || -> Result<()> {
        // the link's creation: the kernel's word on the mode
        let out = run(exec, ip, &create[0])?;
        if !out.success() {
            return Err(failed(format!(
                "{rid}.mode: {}: {}",
                ip.mode.as_str(),
                out.error_line()
            )));
        }
        for cmd in &create[1..] {
            run_ok(exec, ip, cmd)?;
        }
        for (i, cmd) in ns_cmds(ip, &tmp, pid, addr).iter().enumerate() {
            if i == super::NS_LINK_CMDS {
                detect_duplicate(exec, ip, pid, addr)?;
            }
            run_ok(exec, ip, cmd)?;
        }
        Ok(())
    };
    let rest = || rest().and_then(|()| wait_dad(ip, pid, addr));
    exec.plumbing(rid, true);
    if let Err(e) = rest() {
        if !matches!(e, Error::Interrupted(_)) {
            undo(exec, ip, &host, &tmp, pid, &mark);
            exec.plumbing(rid, false);
        }
        return Err(e);
    }
    exec.plumbing(rid, false);
    announce(exec, ip, pid, addr);
    Ok(true)
}

/// A dry run's start: the commands a start would run into the holder's
/// namespace as it is now, or what it would do once the holder runs.
fn dry_start(
    exec: &Exec,
    ip: &Ip,
    addr: IpAddr,
    host: &str,
    tmp: &str,
    mark: &str,
) -> Result<bool> {
    let rid = ip.head.rid.as_str();
    let Some(pid) = holder_pid(exec, ip).ok().flatten() else {
        exec.log.res(
            rid,
            Level::Info,
            &format!(
                "{addr}/{} on {} in the namespace of {}, once it runs",
                ip.prefix, ip.nsdev, ip.holder
            ),
        );
        return Ok(false);
    };
    if let Ok(links) = namespace_links(pid) {
        if up_in(&find(&links, &ip.nsdev, mark), ip) == Ok(true) {
            exec.log.res(
                rid,
                Level::Info,
                &format!("{} is already up on {}", ip.ipname, ip.nsdev),
            );
            return Ok(false);
        }
    }
    exec.log
        .res(rid, Level::Info, &format!("checking {addr} availability"));
    for cmd in create_cmds(ip, host, tmp, pid, mark)
        .iter()
        .chain(&ns_cmds(ip, tmp, pid, addr))
    {
        run(exec, ip, cmd)?;
    }
    Ok(false)
}

/// Whether the `arping` on the PATH is iputils' (its `-D` exits 1 when
/// the address is taken, `-I` names the link): another arping (Debian's
/// `arping` package) reads those options otherwise, and is not used.
fn arping() -> bool {
    static IPUTILS: OnceLock<bool> = OnceLock::new();
    *IPUTILS.get_or_init(|| {
        capture(&Cmd::new("arping", ["-V"]), PING_BOUND)
            .is_ok_and(|out| format!("{}{}", out.stdout, out.stderr).contains("iputils"))
    })
}

/// The address asked for on the link, before it is set (see `dad_cmd`).
fn detect_duplicate(exec: &Exec, ip: &Ip, pid: u32, addr: IpAddr) -> Result<()> {
    if !addr.is_ipv4() || !arping() {
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

/// The kernel's duplicate address detection of an IPv6 address, waited
/// for (about a second): an address another host holds is refused there
/// (`dadfailed`), where ping from the host may not reach (a macvlan
/// sibling).
fn wait_dad(ip: &Ip, pid: u32, addr: IpAddr) -> Result<()> {
    if addr.is_ipv4() {
        return Ok(());
    }
    let end = std::time::Instant::now() + DAD_BOUND;
    loop {
        let links = links_in(pid)?;
        let link = links.iter().find(|l| l.name == ip.nsdev);
        match link.and_then(|l| l.pending.iter().find(|(a, _)| *a == addr)) {
            None => return Ok(()),
            Some((_, true)) => {
                return Err(failed(format!(
                    "{addr} is already in use (IPv6 duplicate address detection on the link of {}): not plumbed",
                    ip.ipdev
                )))
            }
            Some((_, false)) if std::time::Instant::now() >= end => {
                return Err(failed(format!(
                    "{addr}: still tentative after {}: its duplicate address detection did not end",
                    crate::units::humanize(DAD_BOUND)
                )))
            }
            Some((_, false)) => crate::interrupt::sleep(Duration::from_millis(100))?,
        }
    }
}

/// How long IPv6 duplicate address detection may take (the kernel's is
/// one probe a second by default).
const DAD_BOUND: Duration = Duration::from_secs(5);

/// A gratuitous ARP, with iputils' `arping`: the neighbours learn the
/// address's new link at once. A failure is a warning.
fn announce(exec: &Exec, ip: &Ip, pid: u32, addr: IpAddr) {
    if !addr.is_ipv4() || !arping() {
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
            &ip.head.rid,
            Level::Warn,
            &format!("gratuitous arp: {}", out.error_line()),
        ),
        Err(e) => exec
            .log
            .res(&ip.head.rid, Level::Warn, &format!("gratuitous arp: {e}")),
    }
}

/// What a failed start made, removed: its links (by their names and
/// marker), wherever they are now.
fn undo(exec: &Exec, ip: &Ip, host: &str, tmp: &str, pid: u32, mark: &str) {
    let mut cmds = Vec::new();
    // a veth pair goes with either end
    for name in [host, tmp] {
        if ours_on_host(name, mark) == Some(true) {
            cmds.push(ip_cmd(["link", "del", name]));
        }
    }
    match links_in(pid) {
        Ok(links) => cmds.extend(
            find(&links, &ip.nsdev, mark)
                .ours
                .iter()
                .map(|l| in_netns(pid, ip_cmd(["link", "del", "dev", &l.name]))),
        ),
        Err(e) => exec
            .log
            .res(&ip.head.rid, Level::Warn, &format!("undo: {e}")),
    }
    for cmd in cmds {
        if let Err(e) = run_ok(exec, ip, &cmd) {
            exec.log
                .res(&ip.head.rid, Level::Warn, &format!("undo: {e}"));
        }
    }
}

/// Stops the resource: its links (by their marker) removed from the
/// holder's namespace, a veth's host end with them, and any left in the
/// host's namespace by a start cut short (a rollback after a signal comes
/// here). A holder that does not run has no namespace left: nothing else
/// to do, as any user.
pub fn stop(exec: &Exec, ip: &Ip) -> Result<()> {
    remove(exec, ip)
}

fn remove(exec: &Exec, ip: &Ip) -> Result<()> {
    stop_in_namespace(exec, ip)?;
    if exec.dry_run {
        return Ok(());
    }
    let (host, tmp) = link_names(&exec.svc.id, &ip.head.rid);
    let mark = marker(&exec.svc.id, &ip.head.rid);
    if ours_on_host(&host, &mark).is_some() || ours_on_host(&tmp, &mark).is_some() {
        need_root(ip)?;
        clear_host(exec, ip, &host, &tmp, &mark)?;
    }
    Ok(())
}

fn stop_in_namespace(exec: &Exec, ip: &Ip) -> Result<()> {
    let rid = ip.head.rid.as_str();
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
    if exec.dry_run {
        let del = in_netns(pid, ip_cmd(["link", "del", "dev", &ip.nsdev]));
        return run(exec, ip, &del).map(|_| ());
    }
    need_root(ip)?;
    let mark = marker(&exec.svc.id, rid);
    let links = links_in(pid)?;
    let ours = find(&links, &ip.nsdev, &mark).ours;
    if ours.is_empty() {
        exec.log.res(
            rid,
            Level::Info,
            &format!("{} is already down on {}", ip.ipname, ip.nsdev),
        );
        return Ok(());
    }
    for l in ours {
        run_ok(
            exec,
            ip,
            &in_netns(pid, ip_cmd(["link", "del", "dev", &l.name])),
        )?;
    }
    Ok(())
}

/// Where an ip resource stands, for status and requirements.
#[derive(Clone, Debug, PartialEq)]
pub enum Seen {
    Up,
    /// Not there, and why (`info: …`).
    Down(String),
    /// Could not be read, or is not what the config says, and why (`warn:
    /// …`): never taken for down.
    Unknown(String),
}

/// The resource now, as an action sees it.
pub fn seen(exec: &Exec, ip: &Ip) -> Seen {
    match holder_pid(exec, ip) {
        Ok(Some(pid)) => read_links(exec.svc, ip, &namespace_links(pid)),
        Ok(None) => Seen::Down(format!("its namespace holder {} is not running", ip.holder)),
        Err(e) => Seen::Unknown(e.to_string()),
    }
}

/// The links of process `pid`'s namespace, or why they can not be read.
fn namespace_links(pid: u32) -> std::result::Result<Vec<Link>, String> {
    if !crate::host::is_superuser() {
        return Err("reading a container's namespace needs root".into());
    }
    links_in(pid).map_err(|e| e.to_string())
}

fn read_links(svc: &Service, ip: &Ip, links: &std::result::Result<Vec<Link>, String>) -> Seen {
    let links = match links {
        Ok(l) => l,
        Err(e) => return Seen::Unknown(e.clone()),
    };
    let found = find(links, &ip.nsdev, &marker(&svc.id, &ip.head.rid));
    match up_in(&found, ip) {
        Ok(true) => Seen::Up,
        Ok(false) => Seen::Down(format!("{} is not on {}", ip.ipname, ip.nsdev)),
        Err(e) => Seen::Unknown(e),
    }
}

/// The running holders (their container ids) of the service's ip
/// resources, from what the engine listed: what status inspects (once per
/// engine, for all its services) for their processes.
pub fn holder_ids<'a>(svc: &Service, cur: &'a Current) -> Vec<&'a str> {
    svc.ips
        .iter()
        .filter_map(|ip| running_holder(svc, ip, cur).ok().flatten())
        .map(|i| i.id.as_str())
        .collect()
}

/// The holder's container when it runs and is om's, found as status and
/// the actions find every container (`Current::find`: renamed behind om's
/// back, by its label); several carrying its label: why om can not tell.
fn running_holder<'a>(
    svc: &Service,
    ip: &Ip,
    cur: &'a Current,
) -> std::result::Result<Option<&'a crate::docker::inspect::ContainerInfo>, String> {
    let Some(h) = svc.container(&ip.holder) else {
        return Ok(None);
    };
    let Some(info) = cur.find(svc, h).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let want = crate::docker::argv::container_id_label(&svc.id, &h.head.rid);
    let ours = info.label(crate::docker::argv::LABEL_ID) == Some(want.as_str());
    Ok((ours && info.running).then_some(info))
}

/// The processes of running containers, by id (`inspect`'s word), or why
/// they could not be asked.
pub type Pids = std::result::Result<HashMap<String, u32>, String>;

/// The processes of `ids`, from one inspect of them all.
pub fn pids_of(engine: &crate::docker::Engine, ids: &[&str]) -> Pids {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    engine
        .inspect(&ids)
        .map(|infos| infos.into_iter().map(|i| (i.id, i.pid)).collect())
        .map_err(|e| e.to_string())
}

/// `observe` for one service alone: its holders' processes from one
/// inspect (`print status` of many services asks once per engine).
pub fn observe_one(engine: &crate::docker::Engine, svc: &Service, cur: &Current) -> Vec<Seen> {
    observe(svc, Some(cur), &pids_of(engine, &holder_ids(svc, cur)))
}

/// The service's ip resources for status, in `svc.ips` order, from what
/// the engine listed (`cur`; `None`: its private daemon does not run)
/// and the holders' processes (`pids`, see `holder_ids`). Each namespace
/// is read once, however many addresses it has; no name is resolved.
pub fn observe(svc: &Service, cur: Option<&Current>, pids: &Pids) -> Vec<Seen> {
    if svc.ips.is_empty() {
        return Vec::new();
    }
    let Some(cur) = cur else {
        return vec![Seen::Down("docker daemon is not running".into()); svc.ips.len()];
    };
    let pids = match pids {
        Ok(p) => p,
        Err(e) => return vec![Seen::Unknown(e.clone()); svc.ips.len()],
    };
    let mut links: HashMap<u32, std::result::Result<Vec<Link>, String>> = HashMap::new();
    svc.ips
        .iter()
        .map(|ip| {
            if ip.head.disable {
                return Seen::Down(String::new());
            }
            let not_running =
                || Seen::Down(format!("its namespace holder {} is not running", ip.holder));
            let h = match running_holder(svc, ip, cur) {
                Ok(Some(h)) => h,
                Ok(None) => return not_running(),
                Err(why) => return Seen::Unknown(why),
            };
            match pids.get(&h.id) {
                Some(&pid) if pid != 0 => {
                    let l = links.entry(pid).or_insert_with(|| namespace_links(pid));
                    read_links(svc, ip, l)
                }
                _ => not_running(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::argv::LABEL_ID;
    use crate::docker::inspect::ContainerInfo;

    /// A service whose ip#1 is in container#1's namespace, and container#1
    /// running under `name` with `label`.
    fn seen(name: &str, label: &str) -> (Service, Current) {
        let mut svc = Service::for_test(
            "s",
            vec![Container {
                name: "s.container.1".into(),
                ..Container::for_test("container#1")
            }],
        );
        svc.ips.push(Ip {
            head: crate::model::Head {
                rid: "ip#1".into(),
                ..Default::default()
            },
            holder: "container#1".into(),
            ..Ip::default()
        });
        let cur = Current::from_infos(vec![ContainerInfo {
            id: "a".repeat(64),
            name: name.into(),
            running: true,
            state: "running".into(),
            labels: [(LABEL_ID.to_string(), label.to_string())].into(),
            ..ContainerInfo::default()
        }]);
        (svc, cur)
    }

    #[test]
    fn the_holder_is_found_as_every_container_is() {
        // renamed behind om's back: still the holder
        let (svc, cur) = seen("moved", "id1.container#1");
        assert_eq!(holder_ids(&svc, &cur), ["a".repeat(64)]);
        // not om's under the name: no holder of ours runs
        let (svc, cur) = seen("s.container.1", "someone.else");
        assert!(holder_ids(&svc, &cur).is_empty());
        let got = observe(&svc, Some(&cur), &Ok(HashMap::new()));
        assert!(matches!(&got[0], Seen::Down(why) if why.contains("not running")));
    }
}
