//! `switch [--to N]`, `takeover` and `giveback` (SPEC 12): a failover
//! service moves between its nodes. Stop where it runs, check it is down
//! there, then start on the target. Each step takes its node's own lock
//! (this node's for a local step, the remote om's for a remote one); the
//! target's start passes its split-brain guard, so a switch cut in the
//! middle leaves the service where it was or where it was going, never on
//! both, and a second switch or start finishes the job.
//!
//! A start on the target that does not happen (it failed, or its ssh
//! session was cut) puts the service back where it ran (`back`): an
//! OpenSVC user expects a switch never to leave a service down on every
//! node while a node that ran it is there. Of the two ways to get there
//! (a remote step that outlives its session and reports later, or this),
//! this is the one om can keep without a daemon: the remote om dies with
//! its session (`--lifeline`, src/nodes/transport.rs), rolling back what it
//! started, and nothing is left running that nobody watches.

use super::across::survey;
use super::ask::{Answers, Word};
use crate::action::instance::{Attempt, Instance};
use crate::action::load::ConfigRead;
use crate::action::log::service_log;
use crate::action::Action;
use crate::cli::ActionArgs;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::logger::Level;
use crate::model::Service;
use crate::nodename::is_local;
use crate::output::each;

/// Where the switch goes.
pub enum Target {
    /// `--to N`, or the next node of `nodes` after the current one.
    To(Option<String>),
    /// `takeover`: this node.
    Here,
    /// `giveback`: the first node of `nodes`.
    First,
}

pub fn switch(ctx: &Host, selector: &str, target: &Target, args: &ActionArgs) -> Result<()> {
    if !(args.rid.is_empty() && args.tag.is_empty() && args.subset.is_empty()) {
        return Err(Error::Usage(
            "a switch moves the whole service: --rid, --tag and --subset do not apply".into(),
        ));
    }
    let paths = ctx.select(selector)?;
    // One ssh connection per node for the whole switch: it asks the
    // target, then starts there (and may stop there, or start back here):
    // a connection each was the switch's cost over the same moves by hand
    // (scripts/bench q). Ended with the switch (`Shared`'s drop).
    let shared = Shared::open(ctx);
    let ctx = shared.as_ref().map_or(ctx, |s| &s.host);
    each(&paths, |path| {
        // read once: the local steps act on it (see `action::load`)
        let read = ConfigRead::of(path, ctx)?;
        let svc = read.load()?;
        if let Some(s) = &shared {
            s.met(&svc);
        }
        if crate::ha::is_pacemakers(&svc) {
            // where Pacemaker runs it, as om's switch reads it; a drp
            // node is refused there, with Pacemaker's reason
            return crate::ha::route::switch(ctx, &svc, args, |on| {
                target_node(ctx, &svc, target, on, true)
            });
        }
        let read = Some(&read);
        let log = service_log(ctx, path, args.common.quiet);
        // Every node asked once, this one's engine at the same time, before
        // anything stops: where it runs, and whether the target can start
        // it. The start's guard asks again (the stop may have taken
        // minutes); a remote target's is made to go on past a node it can
        // not reach itself: this node reached it.
        let (here, asked) = survey(ctx, &svc)?;
        let mut on = where_it_runs(&svc, &asked, args.force)?;
        if here {
            on.insert(0, ctx.node.clone());
        }
        let to = target_node(ctx, &svc, target, &on, args.force)?;
        if on.len() == 1 && is_local(&on[0], &to) {
            log.svc(Level::Info, &format!("already started on {to}"));
            return Ok(());
        }
        // a target that can not start it: said before anything stops
        able_target(path, &to, &asked)?;
        // a stop that stopped, and failed on the way (its log full, say)
        let mut unrecorded: Vec<String> = Vec::new();
        for node in on.iter().filter(|n| !is_local(n, &to)) {
            log.svc(Level::Info, &format!("stop on {node}"));
            // Down there, in docker's own words, before the start: a stop
            // (here or there) succeeds only once docker says each container
            // is down (its `wait for down status`).
            if let Err(e) = run_on(ctx, &svc, read, node, Action::Stop, args, true) {
                unrecorded.push(down_anyway(ctx, &svc, node, e.error())?);
            }
        }
        log.svc(Level::Info, &format!("start on {to}"));
        let started = run_on(ctx, &svc, read, &to, Action::Start, args, true);
        // where it ran (a split brain forced through: the first of them)
        let from = on.iter().find(|n| !is_local(n, &to));
        match (started, from) {
            (Ok(()), _) if unrecorded.is_empty() => Ok(()),
            (Ok(()), _) => Err(Error::Failed(format!(
                "{path}: switched to {to}; {}",
                unrecorded.join("; ")
            ))),
            (Err(e), Some(from)) => back(ctx, &svc, read, &to, from, e, args),
            (Err(e), None) => Err(e.error()),
        }
    })
}

/// A target that can not start the service (no config there, or no
/// answer from it): the switch's error, before anything stops.
fn able_target(path: &crate::paths::SvcPath, to: &str, asked: &Answers) -> Result<()> {
    match asked.iter().find(|(n, _)| *n == to).map(|(_, w)| w) {
        Some(Word::Absent) => Err(Error::Failed(format!(
            "{path}: {to} has no config of the service: not switched there (om {path} sync first)"
        ))),
        Some(Word::Unknown(why)) => Err(Error::Failed(format!(
            "{path}: {to} can not be asked ({why}): not switched there"
        ))),
        _ => Ok(()),
    }
}

/// The host of a switch whose ssh calls share a connection per node (see
/// `Transport::shared`), the directory of its control sockets (private,
/// removed with it), and the nodes met, whose connections it ends.
struct Shared {
    host: Host,
    dir: std::path::PathBuf,
    nodes: std::cell::RefCell<Vec<String>>,
}

impl Shared {
    /// None when the directory can not be made (each call then has its
    /// own connection, as before) or the transport is not ssh.
    fn open(ctx: &Host) -> Option<Shared> {
        // short: a control socket's path must fit a unix socket's (~100
        // bytes, ssh's temporary suffix included), whatever TMPDIR is
        use std::os::unix::fs::DirBuilderExt;
        let dir = std::path::Path::new("/tmp").join(format!(
            "om-ssh.{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        ));
        // made here, 0700, never one that was there (a planted socket
        // would be a master of someone else's)
        std::fs::DirBuilder::new().mode(0o700).create(&dir).ok()?;
        let transport = ctx.transport.shared(&dir);
        if transport == ctx.transport {
            let _ = std::fs::remove_dir(&dir);
            return None;
        }
        let mut host = ctx.clone();
        host.transport = transport;
        Some(Shared {
            host,
            dir,
            nodes: std::cell::RefCell::new(Vec::new()),
        })
    }

    fn met(&self, svc: &Service) {
        let mut nodes = self.nodes.borrow_mut();
        for n in svc.all_nodes() {
            if !nodes.iter().any(|m| m == n) {
                nodes.push(n.to_string());
            }
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.host.transport.end_shared(&self.nodes.borrow());
        // the masters remove their sockets as they exit; what is left is
        // this switch's own directory
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A stop on `node` that failed (`why`): the switch goes on when docker
/// says the service is down there all the same (a stop that stopped but
/// could not keep its whole log, say: SPEC 7, a stop always works), and
/// says why the stop failed (returned, for the switch's own error). Any
/// other answer, or none, is the stop's error: it may run there.
fn down_anyway(ctx: &Host, svc: &Service, node: &str, why: Error) -> Result<String> {
    let inst = Instance::on(ctx, svc, node);
    match inst.word(ctx) {
        Word::Not => {
            let said = format!(
                "the stop on {} failed ({why}), though docker says the service is down there",
                inst.node
            );
            service_log(ctx, &svc.path, false).svc(Level::Warn, &format!("{said}: going on"));
            Ok(said)
        }
        _ => Err(why),
    }
}

/// The start on `to` failed (`why`) or was cut: back to `from`, where the
/// service ran. First a stop on `to`: it takes `to`'s lock, so it waits
/// (up to `--waitlock`) for a cut om there to end its rollback, then
/// stops what is left, and docker says it is down there. A stop that
/// fails with docker saying it is down there all the same goes on
/// (`down_anyway`); a start that ran nothing on `to` (its om refused the
/// command line) needs no stop. Only then the start on `from`, through
/// its guard (no `--force`). A `to` that can not be stopped (gone with
/// the session) may run it: nothing starts, and the error says so.
/// Either way the switch failed: an error, naming where the service is.
/// The same when a signal cut the start: this is the switch's rollback,
/// and a rollback that has begun finishes (`interrupt::finishing`).
fn back(
    ctx: &Host,
    svc: &Service,
    read: Option<&ConfigRead>,
    to: &str,
    from: &str,
    why: Attempt,
    args: &ActionArgs,
) -> Result<()> {
    let path = &svc.path;
    let log = service_log(ctx, path, args.common.quiet);
    // A signal that cut the start (SIGINT, SIGTERM, a hangup) must not
    // stop this, nor one that comes during it: om exits 128+N after it.
    // A second signal of a kind still ends om at once.
    let _rollback = crate::interrupt::finishing();
    let why = match why {
        Attempt::Unrun(why) => {
            log.svc(
                Level::Warn,
                &format!("the start on {to} ran nothing there ({why}): start again on {from}"),
            );
            why
        }
        Attempt::Ran(why) => {
            log.svc(
                Level::Warn,
                &format!(
                    "the start on {to} did not happen ({why}): stop there, then start again on {from}"
                ),
            );
            if let Err(e) = run_on(ctx, svc, read, to, Action::Stop, args, false) {
                if let Err(e) = down_anyway(ctx, svc, to, e.error()) {
                    return Err(Error::Failed(format!(
                        "{why}; the stop on {to} failed too ({e}): not started again on {from}, it may run on {to}: om {path} switch once {to} answers"
                    )));
                }
            }
            why
        }
    };
    log.svc(Level::Info, &format!("start again on {from}"));
    match run_on(ctx, svc, read, from, Action::Start, args, false) {
        Ok(()) => Err(Error::Failed(format!(
            "{why}: not switched, started again on {from}"
        ))),
        Err(e) => Err(Error::Failed(format!(
            "{why}; the start again on {from} failed too ({}): down on {to} and {from}",
            e.error()
        ))),
    }
}

/// The other nodes where the service is up. A node that can not tell
/// stops the switch (it may run there) unless `--force`.
fn where_it_runs(svc: &Service, asked: &Answers, force: bool) -> Result<Vec<String>> {
    let path = svc.path.to_string();
    let mut on = Vec::new();
    for (node, word) in asked {
        match word {
            Word::Runs { .. } => on.push(node.clone()),
            Word::Not | Word::Absent => {}
            Word::Unknown(e) if !force => {
                return Err(Error::Failed(format!(
                    "{path}: {node} can not tell whether the service runs there ({e}): --force to switch anyway"
                )))
            }
            Word::Unknown(_) => {}
        }
    }
    Ok(on)
}

fn target_node(
    ctx: &Host,
    svc: &Service,
    target: &Target,
    on: &[String],
    force: bool,
) -> Result<String> {
    let path = &svc.path;
    let to = match target {
        Target::Here => ctx.node.clone(),
        Target::First => svc
            .nodes
            .first()
            .cloned()
            .unwrap_or_else(|| ctx.node.clone()),
        Target::To(Some(n)) => n.clone(),
        // the next node of `nodes` after the current one
        Target::To(None) => {
            let current = on.first().map_or(ctx.node.as_str(), String::as_str);
            let at = svc
                .nodes
                .iter()
                .position(|n| is_local(n, current) || n == current);
            let next = at.map_or(0, |i| (i + 1) % svc.nodes.len().max(1));
            svc.nodes
                .get(next)
                .cloned()
                .unwrap_or_else(|| ctx.node.clone())
        }
    };
    // the name as the config lists it (its ssh host), this node's own
    let to = svc
        .node_named(&to, &ctx.node)
        .ok_or_else(|| Error::Usage(svc.not_a_node(&to)))?;
    // A disaster recovery start is an operator's decision: said before
    // anything stops.
    if svc.drp_only(&to) && !force {
        return Err(Error::Failed(format!(
            "{path}: {to} is a disaster recovery node of the service (drpnodes): a switch there is an operator's decision, made with --force"
        )));
    }
    Ok(to)
}

/// `kind` of the service on `node`: in process here, `om PATH VERB --local`
/// there (its lines streamed as they come; they carry their node). The
/// switch's remote start gets `--force` (`forced`): the switch reached
/// every node before it stopped anything. Back's start does not: it goes
/// through its guard.
fn run_on(
    ctx: &Host,
    svc: &Service,
    read: Option<&ConfigRead>,
    node: &str,
    kind: Action,
    args: &ActionArgs,
    forced: bool,
) -> std::result::Result<(), Attempt> {
    let inst = Instance::on(ctx, svc, node).reading(read);
    if inst.is_here() || kind != Action::Start || !forced {
        return inst.attempt(ctx, kind, args);
    }
    let mut args = args.clone();
    args.force = true;
    inst.attempt(ctx, kind, &args)
}
