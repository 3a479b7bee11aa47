//! The stop of an ip resource: its links (by their marker) removed from
//! the holder's namespace and from the host's.

use super::host::{clear_host, holder_pid, links_in, need_root, ours_on_host, run, run_ok};
use super::{find, in_netns, ip_cmd, link_names, marker};
use crate::error::Result;
use crate::logger::Level;
use crate::model::Ip;
use crate::resource::context::Context;

/// Stops the resource: its links (by their marker) removed from the
/// holder's namespace, a veth's host end with them, and any left in the
/// host's namespace by a start cut short (a rollback after a signal comes
/// here). A holder that does not run has no namespace left: nothing else
/// to do, as any user.
pub fn stop(ctx: &Context, ip: &Ip) -> Result<()> {
    stop_in_namespace(ctx, ip)?;
    if ctx.dry_run {
        return Ok(());
    }
    let (host, tmp) = link_names(&ctx.svc.id, &ip.head.rid);
    let mark = marker(&ctx.svc.id, &ip.head.rid);
    if ours_on_host(&host, &mark).is_some() || ours_on_host(&tmp, &mark).is_some() {
        need_root(ip)?;
        clear_host(ctx, ip, &host, &tmp, &mark)?;
    }
    Ok(())
}

fn stop_in_namespace(ctx: &Context, ip: &Ip) -> Result<()> {
    let rid = ip.head.rid.as_str();
    let pid = match holder_pid(ctx, ip) {
        Ok(Some(pid)) => pid,
        Ok(None) => {
            ctx.log.res(
                rid,
                Level::Info,
                &format!(
                    "its namespace holder {} is not running: the address went with its namespace",
                    ip.holder
                ),
            );
            return Ok(());
        }
        Err(e) if ctx.dry_run => {
            ctx.log.res(rid, Level::Info, &e.to_string());
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    if ctx.dry_run {
        let del = in_netns(pid, ip_cmd(["link", "del", "dev", &ip.nsdev]));
        return run(ctx, ip, &del).map(|_| ());
    }
    need_root(ip)?;
    let mark = marker(&ctx.svc.id, rid);
    let links = links_in(pid)?;
    let ours = find(&links, &ip.nsdev, &mark).ours;
    if ours.is_empty() {
        ctx.log.res(
            rid,
            Level::Info,
            &format!("{} is already down on {}", ip.ipname, ip.nsdev),
        );
        return Ok(());
    }
    for l in ours {
        run_ok(
            ctx,
            ip,
            &in_netns(pid, ip_cmd(["link", "del", "dev", &l.name])),
        )?;
    }
    Ok(())
}
