//! An action on this node's instance of a service: start, stop, restart,
//! provision, deploy, unprovision, purge. The lock, the config read under
//! it (`load`), the resources, the guard, the limits, the expectation;
//! how a start or a stop walks the plan, stage by stage, is in `stages`.

use super::guard::guard;
use super::limits::apply_limits;
use super::load::{under_lock, ConfigRead};
use super::log::action_log;
use super::remove::{remove_namespace_slice, remove_service, remove_slices};
use super::select::{select_resources, with_ips};
use super::stages::{restart_joiners, start_around, stop};
use super::{check_id, waitlock, Action};
use crate::cli::ActionArgs;
use crate::docker::daemon::Daemon;
use crate::docker::{current::Current, inspect::ContainerInfo};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::logger::{Level, Logger};
use crate::model::resource::containers;
use crate::model::Container;
use crate::model::Resource;
use crate::model::Service;
use crate::nodes::ask::Answers;
use crate::objects::env::Prepared;
use crate::output::each;
use crate::paths::SvcPath;
use crate::resource::trigger;
use crate::resource::{Context, Touched};
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

/// `filtered`: only some resources are acted on (`--rid`, `--tag`,
/// `--subset`), which says nothing of the service as a whole: the
/// `started` expectation is left as it was.
/// `complete`: every container resource of the config could be identified
/// (see `config::load_for_stop`); the cgroup slices go only then.
fn act(
    ctx: &Host,
    context: &Context,
    selected: &[Resource],
    kind: Action,
    filtered: bool,
    complete: bool,
) -> Result<()> {
    let svc = context.svc;
    let touched = Touched::default();
    let set_started = |started: bool| {
        if context.dry_run || filtered {
            Ok(())
        } else {
            state::set_started(&svc.path, &ctx.roots, started)
        }
    };
    let cur = context.current(&containers(selected))?;
    // the engine answered: from here a container of the service may run
    if kind.starts() && !context.dry_run {
        state::may_run(&svc.path, &ctx.roots)?;
    }
    // DEFAULT's triggers around the service's action (SPEC 14); the
    // resources' own around each of theirs, in start and stop below
    let around = |action: &str, f: &dyn Fn() -> Result<()>| {
        trigger::around(context, &svc.triggers, None, action, f)
    };
    // The expectation changes only when the action did what it says: a
    // stop that failed (a hung docker) leaves the service "started".
    match kind {
        Action::Start | Action::Provision | Action::Deploy => {
            let action = if kind == Action::Start {
                "start"
            } else {
                "provision"
            };
            say_leftovers(context, &cur);
            start_around(context, &touched, selected, &cur, action)?;
            restart_joiners(context, &touched)?;
            if kind == Action::Deploy && !context.dry_run && !touched.any() {
                context.log.svc(
                    Level::Info,
                    "every container matches the config: nothing to change",
                );
            }
            set_started(true)
        }
        Action::Stop => {
            around("stop", &|| stop(context, selected, &cur, false, "stop"))?;
            set_started(false)
        }
        Action::Unprovision | Action::Purge => {
            around("unprovision", &|| {
                stop(context, selected, &cur, true, "unprovision")
            })?;
            if !context.dry_run && !filtered && complete {
                remove_slices(context);
            }
            set_started(false)
        }
        Action::Restart => {
            around("stop", &|| stop(context, selected, &cur, false, "stop"))?;
            // the instance stopped only when all of it did (as OpenSVC says
            // it): a restart of some resources stopped only those
            if !filtered {
                context
                    .log
                    .svc(Level::Info, "instance stopped, ready for restart.");
            }
            // A dry run changed nothing: start from what the stop would leave.
            let after = if context.dry_run {
                Current::from_infos(as_if_stopped(&cur, svc, &containers(selected)))
            } else {
                context.current(&containers(selected))?
            };
            start_around(context, &touched, selected, &after, "start")?;
            restart_joiners(context, &touched)?;
            set_started(true)
        }
    }
}

/// Before a start, provision or deploy: each container carrying the
/// service's label for a rid the config does not name (a section deleted
/// with --force, a config replaced by one with fewer sections), said as a
/// warning naming it and its state. om leaves it as it is, as OpenSVC
/// leaves a resource removed from the config: it is no longer om's to stop,
/// yet status counts it and the guard of another node refuses to start
/// the service while it runs (see `status::leftover`).
fn say_leftovers(context: &Context, cur: &Current) {
    for (rid, i) in cur.leftovers(context.svc) {
        context.log.svc(
            Level::Warn,
            &format!(
                "{rid}: not in the config, its container {} is left {} (om does not manage it: docker rm -f it, or restore its section)",
                i.name, i.state
            ),
        );
    }
}

/// What the engine would hold after a stop: containers stopped, those of
/// `rm` resources gone.
fn as_if_stopped(cur: &Current, svc: &Service, selected: &[&Container]) -> Vec<ContainerInfo> {
    // the containers of the `rm` resources, found as the stop finds them
    let removed: std::collections::HashSet<&str> = selected
        .iter()
        .filter(|c| c.rm)
        .filter_map(|c| cur.find(svc, c).ok().flatten())
        .map(|i| i.id.as_str())
        .collect();
    cur.all()
        .iter()
        .filter(|i| !removed.contains(i.id.as_str()))
        .map(|i| ContainerInfo {
            running: false,
            state: "exited".into(),
            ..i.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dry_restart_starts_from_what_the_stop_would_leave() {
        let c = |rid: &str, name: &str, rm| Container {
            head: crate::model::Head {
                rid: rid.into(),
                ..Default::default()
            },
            name: name.into(),
            rm,
            ..Container::default()
        };
        let keep = c("container#1", "a", false);
        let gone = c("container#2", "b", true);
        let svc = Service::for_test("s", vec![keep.clone(), gone.clone()]);
        let info = |id: char, name: &str, rid: &str| ContainerInfo {
            id: id.to_string().repeat(64),
            name: name.into(),
            running: true,
            state: "running".into(),
            labels: [(
                crate::docker::argv::LABEL_ID.to_string(),
                crate::docker::argv::container_id_label(&svc.id, rid),
            )]
            .into(),
            ..ContainerInfo::default()
        };
        // the rm one renamed behind om's back: found by its label, gone too
        let cur = Current::from_infos(vec![
            info('a', "a", "container#1"),
            info('b', "b-moved", "container#2"),
        ]);
        let after = as_if_stopped(&cur, &svc, &[&keep, &gone]);
        assert_eq!(after.len(), 1);
        assert_eq!((after[0].name.as_str(), after[0].running), ("a", false));
    }
}
