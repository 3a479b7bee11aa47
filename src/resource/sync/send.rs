//! `om SVC sync update|full` (SPEC 17): each sync resource's `src` sent
//! to the `dst` of its target nodes, from the node where the service is
//! up, never from a disaster recovery node, never to a node that says the
//! service runs there (asked as the split-brain guard asks), each under
//! the resource's lock here and its lock there. After a success the time
//! is recorded here; the target records it as it ends its side.

use super::records;
use super::rsync::{send_cmd, Transfer};
use super::Mode;
use crate::action::log::service_log;
use crate::cli::{DataSyncArgs, DataSyncCommand, SyncTarget};
use crate::error::{fail, Error, Result};
use crate::host::Host;
use crate::logger::{Level, Logger};
use crate::model::sync::{SyncKind, Target};
use crate::model::{DataSync, Service};
use crate::nodename::is_local;
use crate::paths::SvcPath;
use std::time::Duration;

/// How long one rsync transfer may take (its own `--timeout` ends a
/// transfer where no data moves long before).
const TRANSFER_BOUND: Duration = Duration::from_secs(24 * 3600);

/// `om SEL sync update|full`, and its receiving sides (the rsync server,
/// the record of a success) that the sender runs on the target.
pub fn command(ctx: &Host, sel: &str, data: Option<&DataSyncCommand>) -> Result<()> {
    let Some(data) = data else {
        return Ok(());
    };
    let (mode, args) = match data {
        DataSyncCommand::Update(a) => (Mode::Update, a),
        DataSyncCommand::Full(a) => (Mode::Full, a),
    };
    if args.receive {
        return super::receive::serve(ctx, &SvcPath::parse(sel)?, args);
    }
    if !args.server.is_empty() {
        return Err(Error::Usage(
            "sync update|full: words after -- are the receiving side's".into(),
        ));
    }
    let paths = ctx.select(sel)?;
    crate::output::each(&paths, |path| send(ctx, path, mode, args))
}

/// The sync resources `--rid` names (a rid or the group), every enabled
/// one by default; a rid that is not one of them is a usage error.
fn chosen<'a>(svc: &'a Service, rids: &[String]) -> Result<Vec<&'a DataSync>> {
    if svc.syncs.is_empty() {
        return fail(format!("{}: no sync resource (sync#N) to send", svc.path));
    }
    let all: Vec<&str> = svc.syncs.iter().map(|s| s.head.rid.as_str()).collect();
    let mut out: Vec<&DataSync> = Vec::new();
    for rid in rids {
        let picked: Vec<&DataSync> = if rid == crate::config::keywords::SYNC_GROUP {
            svc.syncs.iter().collect()
        } else {
            let s = svc.sync(rid).ok_or_else(|| {
                Error::Usage(format!(
                    "{}: no sync resource {rid} (sync resources: {})",
                    svc.path,
                    all.join(", ")
                ))
            })?;
            vec![s]
        };
        for s in picked {
            if !out.iter().any(|o| o.head.rid == s.head.rid) {
                out.push(s);
            }
        }
    }
    if rids.is_empty() {
        out = svc.syncs.iter().collect();
    }
    Ok(out.into_iter().filter(|s| !s.head.disable).collect())
}

fn send(ctx: &Host, path: &SvcPath, mode: Mode, args: &DataSyncArgs) -> Result<()> {
    let (_, svc) = crate::config::load(path, ctx)?;
    let syncs = chosen(&svc, &args.rid)?;
    let here = ctx.node.as_str();
    let log = service_log(ctx, path, args.quiet);
    // a disaster recovery node receives, it never sends (the agent's rule)
    if svc.drpnodes.iter().any(|n| is_local(n, here)) {
        return fail(format!(
            "{path}: {here} is a disaster recovery node of the service (drpnodes): a sync goes from the node where the service runs, not from here"
        ));
    }
    // sent from where the service is up: its data is the one in use
    let st = crate::status::collect::local_status(ctx, &svc)?;
    if st.avail != crate::status::Avail::Up {
        return fail(format!(
            "{path}: the service is not up on {here} ({}): a sync goes from the node where it runs",
            st.avail.as_str()
        ));
    }
    let only = args.target.map(|t| match t {
        SyncTarget::Nodes => Target::Nodes,
        SyncTarget::Drpnodes => Target::Drpnodes,
    });
    let targets_of = |s: &DataSync| -> Vec<String> {
        s.target_nodes(&svc, only)
            .into_iter()
            .filter(|n| !is_local(n, here))
            .map(String::from)
            .collect()
    };
    let every: Vec<String> = syncs.iter().flat_map(|s| targets_of(s)).collect();
    if every.is_empty() {
        log.svc(Level::Info, "no target node to sync to");
        return Ok(());
    }
    let mut refused: Vec<String> = Vec::new();
    for s in syncs {
        let what = format!(
            "om {path} sync {} --rid {}",
            mode.as_str(),
            s.head.rid.as_str()
        );
        let _lock = records::lock(
            ctx,
            path,
            s,
            crate::action::waitlock(&args.waitlock)?,
            &what,
        )?;
        // the receiving om refuses a node that says the service runs
        // there (see `receive`): the question rides on the transfer
        for node in targets_of(s) {
            match transfer(ctx, &svc, s, mode, &node, args, &log) {
                Ok(()) => {}
                Err(Error::Interrupted(n)) => return Err(Error::Interrupted(n)),
                Err(e) => refused.push(e.to_string()),
            }
        }
    }
    if refused.is_empty() {
        Ok(())
    } else {
        fail(refused.join("; "))
    }
}

/// One rsync of `s` to `node`, then the time of the success recorded
/// here and there.
fn transfer(
    ctx: &Host,
    svc: &Service,
    s: &DataSync,
    mode: Mode,
    node: &str,
    args: &DataSyncArgs,
    log: &Logger,
) -> Result<()> {
    let path = svc.path.to_string();
    if s.kind != SyncKind::Rsync {
        let receiver = |words: &[&str]| {
            let args = receiver_args(&path, s, mode, &ctx.node, &args.waitlock, &svc.id, words);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            ctx.transport.om_cmd(node, &args)
        };
        match s.kind {
            SyncKind::Docker => {
                super::docker::transfer(ctx, svc, s, mode, node, &receiver, log)?;
            }
            SyncKind::Btrfs | SyncKind::Rsync => {
                super::btrfs::transfer(svc, s, mode, node, &receiver, log)?;
            }
        }
        return records::write(&svc.path, &ctx.roots, s, node, records::now(), None);
    }
    let cmd = send_cmd(
        s,
        mode,
        &Transfer {
            here: &ctx.node,
            node,
            path: &path,
            rsh: ctx.transport.rsh(),
            waitlock: &args.waitlock,
            id: &svc.id,
        },
    );
    let rid = s.head.rid.as_str();
    log.res(rid, Level::Info, &cmd.to_string());
    let out = crate::process::stream(&cmd, TRANSFER_BOUND, |line| {
        log.res(rid, Level::Info, line);
    })?;
    // rsync's and the receiving om's words (the latter with their node's
    // prefix)
    let level = if out.success() {
        Level::Info
    } else {
        Level::Warn
    };
    for line in out.stderr.lines().filter(|l| !l.trim().is_empty()) {
        log.res(rid, level, line);
    }
    if !out.success() {
        // the receiving om's own refusal, when it said one
        let own = out
            .stderr
            .lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix("om: "))
            .map(String::from);
        return fail(match own {
            Some(why) => format!("{path}: {rid} to {node}: {why}"),
            None => format!(
                "{path}: {rid} to {node}: rsync failed ({})",
                out.error_line()
            ),
        });
    }
    records::write(&svc.path, &ctx.roots, s, node, records::now(), None)?;
    Ok(())
}

/// The receiving om's words for a sync of `s` from `here` (its checks,
/// its lock), `words` after `--` saying what it does there.
pub fn receiver_args(
    path: &str,
    s: &DataSync,
    mode: Mode,
    here: &str,
    waitlock: &str,
    id: &str,
    words: &[&str],
) -> Vec<String> {
    let mut out: Vec<String> = [
        path,
        "sync",
        mode.as_str(),
        "--receive",
        "--from",
        here,
        "--rid",
        s.head.rid.as_str(),
        "--waitlock",
        waitlock,
        "--expect-id",
        id,
        "--",
    ]
    .map(String::from)
    .to_vec();
    out.extend(words.iter().map(ToString::to_string));
    out
}
