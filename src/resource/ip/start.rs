//! The start of an ip resource: its address plumbed on `nsdev` in its
//! holder's network namespace, once it is known free.

use super::commands::NS_LINK_CMDS;
use super::host::{
    clear_host, holder_pid, host_link, links_in, namespace_links, need_root, ours_on_host, run,
    run_ok, PING_BOUND,
};
use super::{create_cmds, find, in_netns, ip_cmd, link_names, marker, ns_cmds, up_in};
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::{Ip, Mode};
use crate::process::{capture, Cmd};
use crate::resource::context::Context;
use crate::resource::touched::Touched;
use std::net::IpAddr;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

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
        .map_err(|e| Error::Failed(format!("checking {addr} availability: {e}")))?;
    if out.success() {
        return Err(Error::Failed(format!(
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
        _ => Err(Error::Failed(format!(
            "checking {addr} availability: {cmd}: {}",
            out.error_line()
        ))),
    }
}

/// The start's first step, "ip checks" (SPEC 17, OpenSVC's start order):
/// before any volume, disk or filesystem starts, the address of an ip
/// resource that is not up yet must not answer on the network, so that a
/// start bound to fail on a taken address fails before it mounts
/// anything. An address already up in its holder's namespace is this
/// service's: not checked. The plumbing (`start`) checks again, later.
pub fn check(ctx: &Context, ip: &Ip) -> Result<()> {
    let rid = ip.head.rid.as_str();
    let addr = ip.resolve()?;
    super::check_address(addr, ip.prefix, ip.gateway)
        .map_err(|(key, why)| Error::config(format!("{rid}.{key}"), why.to_string()))?;
    if ctx.dry_run {
        return Ok(());
    }
    need_root(ip)?;
    if let Some(pid) = holder_pid(ctx, ip)? {
        let names = Names::of(ctx, rid);
        if up_in(&find(&links_in(pid)?, &ip.nsdev, &names.mark), ip) == Ok(true) {
            return Ok(());
        }
    }
    ctx.log
        .res(rid, Level::Info, &format!("ip check: {addr} availability"));
    check_available(addr)
}

/// Starts the resource: its address on `nsdev` in the holder's namespace.
/// Returns whether this call plumbed it (then it is marked as this
/// action's, for a rollback).
pub fn start(ctx: &Context, touched: &Touched, ip: &Ip) -> Result<bool> {
    let rid = ip.head.rid.as_str();
    let addr = ip.resolve()?;
    super::check_address(addr, ip.prefix, ip.gateway)
        .map_err(|(key, why)| Error::config(format!("{rid}.{key}"), why.to_string()))?;
    let names = Names::of(ctx, rid);
    if ctx.dry_run {
        return dry_start(ctx, ip, addr, &names);
    }
    need_root(ip)?;
    let pid = holder_pid(ctx, ip)?.ok_or_else(|| {
        Error::Failed(format!("its namespace holder {} is not running", ip.holder))
    })?;
    let links = links_in(pid)?;
    let found = find(&links, &ip.nsdev, &names.mark);
    if up_in(&found, ip) == Ok(true) {
        ctx.log.res(
            rid,
            Level::Info,
            &format!("{} is already up on {}", ip.ipname, ip.nsdev),
        );
        return Ok(false);
    }
    check_links(ip, found.nsdev_other)?;
    // its own links of an earlier start cut short, or of another address
    // (ipname changed): they go first
    for l in &found.ours {
        run_ok(
            ctx,
            ip,
            &in_netns(pid, ip_cmd(["link", "del", "dev", &l.name])),
        )?;
    }
    clear_host(ctx, ip, &names.host, &names.tmp, &names.mark)?;
    ctx.log
        .res(rid, Level::Info, &format!("checking {addr} availability"));
    check_available(addr)?;
    // whatever stops the start once the link may exist (a refusal, a
    // bound) removes what it made; a signal leaves that to the rollback,
    // once every resource of the stage has stopped (see `stop`)
    touched.half_made(rid, true);
    if let Err(e) = plumb(ctx, ip, &names, pid, addr) {
        if !matches!(e, Error::Interrupted(_)) {
            undo(ctx, ip, &names, pid);
            touched.half_made(rid, false);
        }
        return Err(e);
    }
    touched.half_made(rid, false);
    announce(ctx, ip, pid, addr);
    touched.mark(rid);
    Ok(true)
}

/// The names of the resource's links and their marker.
struct Names {
    host: String,
    tmp: String,
    mark: String,
}

impl Names {
    fn of(ctx: &Context, rid: &str) -> Names {
        let (host, tmp) = link_names(&ctx.svc.id, rid);
        let mark = marker(&ctx.svc.id, rid);
        Names { host, tmp, mark }
    }
}

/// The links the start needs, as the config names them: `nsdev` free in
/// the namespace (`nsdev_other`: another link holds the name), `ipdev`
/// on the host, a bridge in mode bridge.
fn check_links(ip: &Ip, nsdev_other: bool) -> Result<()> {
    let key = |k: &str| format!("{}.{k}", ip.head.rid);
    if nsdev_other {
        return Err(Error::config(
            key("nsdev"),
            format!(
                "{} exists in the namespace of {} and is not om's: not touched",
                ip.nsdev, ip.holder
            ),
        ));
    }
    if host_link(&ip.ipdev).is_none() {
        return Err(Error::config(
            key("ipdev"),
            format!("no such link {}", ip.ipdev),
        ));
    }
    let bridge = Path::new("/sys/class/net").join(&ip.ipdev).join("bridge");
    if ip.mode == Mode::Bridge && !bridge.exists() {
        return Err(Error::config(
            key("ipdev"),
            format!("{} is not a bridge (mode = bridge)", ip.ipdev),
        ));
    }
    Ok(())
}

/// The link made, moved into the namespace of process `pid`, renamed,
/// given the address (once no other host answers for it) and the route.
fn plumb(ctx: &Context, ip: &Ip, names: &Names, pid: u32, addr: IpAddr) -> Result<()> {
    let create = create_cmds(ip, &names.host, &names.tmp, pid, &names.mark);
    // the link's creation: the kernel's word on the mode
    let out = run(ctx, ip, &create[0])?;
    if !out.success() {
        return Err(Error::config(
            format!("{}.mode", ip.head.rid),
            format!("{}: {}", ip.mode.as_str(), out.error_line()),
        ));
    }
    for cmd in &create[1..] {
        run_ok(ctx, ip, cmd)?;
    }
    for (i, cmd) in ns_cmds(ip, &names.tmp, pid, addr).iter().enumerate() {
        if i == NS_LINK_CMDS {
            detect_duplicate(ctx, ip, pid, addr)?;
        }
        run_ok(ctx, ip, cmd)?;
    }
    wait_dad(ip, pid, addr)
}

/// A dry run's start: the commands a start would run into the holder's
/// namespace as it is now, or what it would do once the holder runs.
fn dry_start(ctx: &Context, ip: &Ip, addr: IpAddr, names: &Names) -> Result<bool> {
    let rid = ip.head.rid.as_str();
    let Some(pid) = holder_pid(ctx, ip).ok().flatten() else {
        ctx.log.res(
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
        if up_in(&find(&links, &ip.nsdev, &names.mark), ip) == Ok(true) {
            ctx.log.res(
                rid,
                Level::Info,
                &format!("{} is already up on {}", ip.ipname, ip.nsdev),
            );
            return Ok(false);
        }
    }
    ctx.log
        .res(rid, Level::Info, &format!("checking {addr} availability"));
    for cmd in create_cmds(ip, &names.host, &names.tmp, pid, &names.mark)
        .iter()
        .chain(&ns_cmds(ip, &names.tmp, pid, addr))
    {
        run(ctx, ip, cmd)?;
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
fn detect_duplicate(ctx: &Context, ip: &Ip, pid: u32, addr: IpAddr) -> Result<()> {
    if !addr.is_ipv4() || !arping() {
        return Ok(());
    }
    let cmd = super::dad_cmd(ip, pid, addr);
    let out = run(ctx, ip, &cmd)?;
    match out.status.code() {
        Some(0) => Ok(()),
        Some(1) => Err(Error::Failed(format!(
            "{addr} is already in use (a host answers arp for it on the link of {}): not plumbed",
            ip.ipdev
        ))),
        _ => Err(Error::Failed(format!(
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
                return Err(Error::Failed(format!(
                    "{addr} is already in use (IPv6 duplicate address detection on the link of {}): not plumbed",
                    ip.ipdev
                )))
            }
            Some((_, false)) if std::time::Instant::now() >= end => {
                return Err(Error::Failed(format!(
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
fn announce(ctx: &Context, ip: &Ip, pid: u32, addr: IpAddr) {
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
    match run(ctx, ip, &cmd) {
        Ok(out) if out.success() => {}
        Ok(out) => ctx.log.res(
            &ip.head.rid,
            Level::Warn,
            &format!("gratuitous arp: {}", out.error_line()),
        ),
        Err(e) => ctx
            .log
            .res(&ip.head.rid, Level::Warn, &format!("gratuitous arp: {e}")),
    }
}

/// What a failed start made, removed: its links (by their names and
/// marker), wherever they are now.
fn undo(ctx: &Context, ip: &Ip, names: &Names, pid: u32) {
    let mut cmds = Vec::new();
    // a veth pair goes with either end
    for name in [&names.host, &names.tmp] {
        if ours_on_host(name, &names.mark) == Some(true) {
            cmds.push(ip_cmd(["link", "del", name.as_str()]));
        }
    }
    match links_in(pid) {
        Ok(links) => cmds.extend(
            find(&links, &ip.nsdev, &names.mark)
                .ours
                .iter()
                .map(|l| in_netns(pid, ip_cmd(["link", "del", "dev", &l.name]))),
        ),
        Err(e) => ctx
            .log
            .res(&ip.head.rid, Level::Warn, &format!("undo: {e}")),
    }
    for cmd in cmds {
        if let Err(e) = run_ok(ctx, ip, &cmd) {
            ctx.log
                .res(&ip.head.rid, Level::Warn, &format!("undo: {e}"));
        }
    }
}
