//! An action on this node's instance of a service: start, stop, restart,
//! provision, deploy, unprovision, purge. The lock, the config read under
//! it (`load`), the resources, the guard, the limits; what each action
//! does to the resources, and the expectation it leaves, is in `act`; how
//! a start or a stop walks the plan, stage by stage, is in `stages`.

use super::act::act;
use super::guard::guard;
use super::limits::apply_limits;
use super::load::{under_lock, ConfigRead};
use super::log::action_log;
use super::remove::{remove_namespace_slice, remove_service};
use super::select::{select_resources, with_ips};
use super::{check_id, waitlock, Action};
use crate::cli::ActionArgs;
use crate::docker::daemon::Daemon;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::logger::{Level, Logger};
use crate::model::resource::containers;
use crate::model::Resource;
use crate::model::Service;
use crate::nodes::ask::Answers;
use crate::objects::env::Prepared;
use crate::output::each;
use crate::paths::SvcPath;
use crate::resource::Context;
use crate::state;

pub fn check_filters(kind: Action, args: &ActionArgs) -> Result<()> {
    let filtered = !(args.rid.is_empty() && args.tag.is_empty() && args.subset.is_empty());
    if kind == Action::Purge && filtered {
        return Err(Error::Usage(
            "purge removes the whole service: --rid, --tag and --subset do not apply (unprovision takes them)".into(),
        ));
    }
    Ok(())
}

/// The action on this node's instance of each service.
pub fn run_paths(ctx: &Host, paths: &[SvcPath], kind: Action, args: &ActionArgs) -> Result<()> {
    check_filters(kind, args)?;
    each(paths, |path| run_one(ctx, path, kind, args, None, None))
}

/// Only some resources are acted on (`--rid`, `--tag`, `--subset`).
fn filtered(args: &ActionArgs) -> bool {
    !(args.rid.is_empty() && args.tag.is_empty() && args.subset.is_empty())
}

/// The action on this node's instance of one service, under its lock.
/// `read`: the config this action read already (see `load`: acted on when
/// the file is still the one read). `asked`: what the other nodes said,
/// when the caller asked them already (the guard before a start asks them
/// otherwise).
pub fn run_one(
    ctx: &Host,
    path: &SvcPath,
    kind: Action,
    args: &ActionArgs,
    read: Option<&ConfigRead>,
    asked: Option<Answers>,
) -> Result<()> {
    let wait = waitlock(&args.common.waitlock)?;
    let _lock = if args.dry_run {
        None
    } else {
        Some(state::lock(
            path,
            &ctx.roots,
            wait,
            &format!("om {path} {}", kind.name()),
            ctx.debug.as_ref(),
        )?)
    };
    let (svc, complete) = under_lock(ctx, path, kind, read)?;
    check_id(&svc, &args.common)?;
    let log = action_log(ctx, path, args.common.quiet, kind.name(), args.dry_run)?;
    // an operator's --local on a service Pacemaker runs (not the agent's)
    let by_hand = args.common.local && !ctx.pacemaker.under_agent;
    if by_hand && crate::ha::is_pacemakers(&svc) && (kind.starts() || kind == Action::Stop) {
        log.svc(
            Level::Warn,
            &format!(
                "orchestrate = ha: Pacemaker runs this service and may undo this {} here (om {path} {} without --local asks Pacemaker)",
                kind.name(),
                kind.name()
            ),
        );
    }
    let mut selected = selection(&svc, kind, args, &log)?;
    // secrets, configs and registry credentials read before anything
    // (a node asked, a daemon started, a container run): SPEC 13
    let prepared = if kind.starts() {
        crate::objects::env::prepare(&svc, &containers(&selected), &ctx.roots, args.dry_run)?
    } else {
        Prepared::default()
    };
    // the guard's refusal, when the standby resources start all the same
    let mut refused = None;
    let standby_args;
    let mut args = args;
    if kind.starts() {
        if let Err(e) = guard(ctx, &svc, args.force, &log, asked) {
            (selected, refused) = standby_only(selected, e, &log)?;
            // as if --rid named them: the service is not started here
            standby_args = ActionArgs {
                rid: selected.iter().map(|r| r.head().rid.to_string()).collect(),
                ..args.clone()
            };
            args = &standby_args;
        }
    }
    let daemon = Daemon::of(&svc, ctx);
    // A private daemon that does not run holds no running container: a
    // stop has nothing to do on it, and does not start it for that.
    // (One killed behind om's back may have left them running: it is
    // started again for the stop.)
    let down = daemon.as_ref().is_some_and(|d| d.running().is_none());
    if kind == Action::Stop && down && daemon.as_ref().is_some_and(|d| !d.unclean()) {
        return stopped_with_its_daemon(ctx, &svc, args, &log);
    }
    let engine = crate::docker::daemon::engine_for(&svc, ctx, &log, args.dry_run, true)?;
    let mut context = exec_for(&svc, engine, &log, kind, args, down, prepared);
    context.roots = Some(ctx.roots.clone());
    let acted = act_checked(ctx, &context, &selected, kind, args, complete);
    end(ctx, &context, daemon.as_ref(), kind, args, acted)?;
    refused.map_or(Ok(()), Err)
}

/// A start the split-brain guard refused (`refusal`): its standby
/// resources start all the same, on any node (SPEC 17: they never say the
/// service runs here, see `InstanceStatus::runs`), and the refusal is the
/// action's error once they did; without any, the refusal alone.
fn standby_only<'a>(
    selected: Vec<Resource<'a>>,
    refusal: Error,
    log: &Logger,
) -> Result<(Vec<Resource<'a>>, Option<Error>)> {
    let standby: Vec<Resource> = selected.into_iter().filter(|r| r.head().standby).collect();
    if standby.is_empty() || !matches!(refusal, Error::Failed(_)) {
        return Err(refusal);
    }
    log.svc(
        Level::Warn,
        &format!(
            "{}: its standby resources start all the same ({})",
            crate::config::read::line(&refusal),
            standby
                .iter()
                .map(|r| r.head().rid.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    Ok((standby, Some(refusal)))
}

/// The resources of the action: purge leaves nothing behind, disabled
/// resources included; every other action its selection, with the ip
/// resources of its containers.
fn selection<'a>(
    svc: &'a Service,
    kind: Action,
    args: &ActionArgs,
    log: &Logger,
) -> Result<Vec<Resource<'a>>> {
    if kind == Action::Purge {
        return Ok(svc.resources());
    }
    let mut selected = select_resources(svc, args)?;
    for rid in with_ips(svc, &mut selected) {
        log.svc(
            Level::Info,
            &format!("add rid {rid} to satisfy dependencies"),
        );
    }
    // a stop keeps the standby resources up, unless --force (SPEC 17)
    if matches!(kind, Action::Stop | Action::Restart) && !args.force {
        selected.retain(|r| {
            let standby = r.head().standby;
            if standby {
                log.res(
                    &r.head().rid,
                    Level::Info,
                    "standby: kept up (stop --force stops it)",
                );
            }
            !standby
        });
    }
    Ok(selected)
}

/// A stop of a service whose private daemon does not run (and stopped
/// cleanly): no container runs, the service is stopped.
fn stopped_with_its_daemon(
    ctx: &Host,
    svc: &Service,
    args: &ActionArgs,
    log: &Logger,
) -> Result<()> {
    log.svc(
        Level::Info,
        "docker daemon is not running: no container to stop",
    );
    if !args.dry_run && !filtered(args) {
        state::set_started(&svc.path, &ctx.roots, false)?;
    }
    log.kept()
}

/// What the action's docker commands need: a dry run on a down daemon
/// sees no container (it starts none), a deploy converges.
fn exec_for<'a>(
    svc: &'a Service,
    engine: crate::docker::Engine,
    log: &'a Logger,
    kind: Action,
    args: &ActionArgs,
    down: bool,
    prepared: Prepared,
) -> Context<'a> {
    let mut context = Context::new(svc, engine, log, args.dry_run);
    // a dry run starts no daemon: from its down engine, nothing exists
    context.offline = args.dry_run && down;
    if context.offline {
        log.svc(
            Level::Info,
            "docker daemon is not running: the dry run can not see its containers, it shows a start from none",
        );
    }
    context.converge = kind == Action::Deploy;
    context.provision = matches!(kind, Action::Provision | Action::Deploy);
    context.purge = kind == Action::Purge;
    context.force = args.force;
    context.use_prepared(prepared);
    context
}

/// The action itself (the slices' limits before any container runs in
/// them), the credentials forgotten after, and for a purge docker's word
/// that nothing is left: whether the service goes (`end`).
fn act_checked(
    ctx: &Host,
    context: &Context,
    selected: &[Resource],
    kind: Action,
    args: &ActionArgs,
    complete: bool,
) -> Result<bool> {
    let acted = if kind.starts() {
        // the data resources' paths, checked like data dirs (SPEC 17)
        crate::resource::disk::paths::check_host(context.svc, ctx)
            .and_then(|()| apply_limits(context, &containers(selected), &ctx.roots))
    } else {
        Ok(())
    }
    .and_then(|()| act(ctx, context, selected, kind, filtered(args), complete));
    // the credentials served this action alone
    if kind.starts() && !args.dry_run {
        crate::objects::env::forget_creds(context.svc, &ctx.roots);
    }
    acted.and_then(|()| purged(context, kind, args.dry_run, complete))
}

/// purge: docker's word that nothing is left, asked while the engine still
/// answers (a private daemon goes after): true when the service goes.
fn purged(context: &Context, kind: Action, dry_run: bool, complete: bool) -> Result<bool> {
    let path = &context.svc.path;
    if kind != Action::Purge || dry_run {
        return Ok(false);
    }
    if !complete {
        return Err(Error::Failed(format!(
            "{path}: some containers of the config can not be identified: config kept"
        )));
    }
    let left = super::existing::existing_containers(context.svc, &context.engine)?;
    if !left.is_empty() {
        return Err(Error::Failed(format!(
            "{path}: containers still exist ({}): config kept",
            left.join(", ")
        )));
    }
    Ok(true)
}

/// After the action, whatever became of it: the private daemon goes when
/// the action leaves none of its containers running (SPEC 11); a purged
/// service's config and state, and its namespace's slice. Every success
/// ends here: one whose record lost a line is none.
fn end(
    ctx: &Host,
    context: &Context,
    daemon: Option<&Daemon>,
    kind: Action,
    args: &ActionArgs,
    acted: Result<bool>,
) -> Result<()> {
    if let (Some(d), true) = (daemon, kind.stops()) {
        let stopped = d.stop_if_idle(context.log, args.dry_run);
        if acted.is_ok() {
            stopped?;
        }
    }
    if acted? {
        remove_service(ctx, &context.svc.path)?;
        remove_namespace_slice(ctx, context);
    }
    context.log.kept()
}
