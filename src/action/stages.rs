//! How an action walks the plan: stage after stage (`run_stage`, in
//! parallel where the stage allows), each resource's requirements and
//! triggers around it; a failed start rolled back; the containers that
//! join a restarted namespace holder restarted into its new namespace.

use super::plan::{start_stages, stop_stages, Stage};
use crate::docker::current::Current;
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::resource::containers;
use crate::model::Container;
use crate::model::Resource;
use crate::model::Service;
use crate::resource::{self, trigger, Context, Touched};

fn stages_or_fail<'a>(
    r: std::result::Result<Vec<Stage<'a>>, super::plan::Cycle>,
    svc: &Service,
) -> Result<Vec<Stage<'a>>> {
    r.map_err(|e| Error::Failed(format!("{}: {e}", svc.path)))
}

/// Starts stage after stage. The first failure of a non-optional resource
/// ends the action; with `rollback`, what this action started is stopped
/// again, in reverse.
fn start(
    ctx: &Context,
    touched: &Touched,
    selected: &[Resource],
    cur: &Current,
    action: &str,
) -> Result<()> {
    let stages = stages_or_fail(start_stages(ctx.svc, selected), ctx.svc)?;
    ip_checks(ctx, selected)?;
    let mut started: Vec<Resource> = Vec::new();
    for stage in &stages {
        let results: Vec<(Resource, Result<bool>)> = run_stage(stage, |r| {
            check_requires(ctx, &r.head().start_requires, "start")?;
            trigger::around(ctx, &r.head().triggers, Some(&r.head().rid), action, || {
                resource::start(ctx, touched, r, cur)
            })
        });
        let mut failed: Vec<Resource> = Vec::new();
        for (c, r) in results {
            match r {
                Ok(true) => started.push(c),
                Ok(false) => {}
                // An interruption ends the action, optional resource or not.
                Err(e) if c.head().optional && !matches!(e, Error::Interrupted(_)) => ctx.log.res(
                    &c.head().rid,
                    Level::Warn,
                    &format!("{e} (optional resource, going on)"),
                ),
                Err(e) => {
                    ctx.log.res(&c.head().rid, Level::Error, &e.to_string());
                    failed.push(c);
                }
            }
        }
        if !failed.is_empty() {
            if ctx.svc.rollback && !ctx.dry_run {
                rollback(ctx, touched, &started, &failed);
            } else if !ctx.dry_run {
                // no rollback: still, a link a signal stopped half-made
                // does not stay
                let _undo = crate::interrupt::finishing();
                undo_cut_short(ctx, touched, &failed);
            }
            return Err(Error::Said);
        }
    }
    Ok(())
}

/// The start order's first step (SPEC 17): every ip resource of the start
/// checks that its address is free before volumes, disks and filesystems
/// start; a taken one ends the start with nothing started (an optional
/// one's is a warning).
fn ip_checks(ctx: &Context, selected: &[Resource]) -> Result<()> {
    let mut failed = false;
    for r in selected {
        let Resource::Ip(ip) = r else { continue };
        let rid = &ip.head.rid;
        match resource::ip::check(ctx, ip) {
            Ok(()) => {}
            Err(e) if ip.head.optional && !matches!(e, Error::Interrupted(_)) => ctx.log.res(
                rid,
                Level::Warn,
                &format!("{e} (optional resource, going on)"),
            ),
            Err(e) => {
                ctx.log.res(rid, Level::Error, &e.to_string());
                failed = true;
            }
        }
    }
    if failed {
        return Err(Error::Said);
    }
    Ok(())
}

/// The addresses of a holder restarted here (a holder that joins another's
/// namespace, `ipcns = container#1`, say): they went with its old
/// namespace, and are plumbed into the new one before the containers that
/// join it are restarted (the next round). An optional one's failure is
/// a warning.
fn replumb(ctx: &Context, touched: &Touched, holder: &Container, cur: &Current) -> Result<()> {
    let ips = ctx.svc.ips.iter();
    for i in ips.filter(|i| !i.head.disable && i.holder == holder.head.rid.as_str()) {
        ctx.log.res(
            &i.head.rid,
            Level::Info,
            "its namespace holder was started again: plumbing the address into the new namespace",
        );
        match resource::start(ctx, touched, Resource::Ip(i), cur) {
            Ok(_) => {}
            Err(e) if i.head.optional && !matches!(e, Error::Interrupted(_)) => ctx.log.res(
                &i.head.rid,
                Level::Warn,
                &format!("{e} (optional resource, going on)"),
            ),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The running containers whose namespace holder (`netns`, `pidns`,
/// `ipcns` = container#N) this action started again: they still sit in
/// the namespace that died with the holder's old container, so each is
/// restarted after it (SPEC 14), and so on down a chain of holders.
/// (`deploy --force` recreates them itself.)
pub(super) fn restart_joiners(ctx: &Context, touched: &Touched) -> Result<()> {
    // (what deploy recreated is touched: skipped here)
    if ctx.dry_run {
        return Ok(());
    }
    let svc = ctx.svc;
    // each round restarts those whose holder was touched; a chain is as
    // long as the service has containers
    if svc.containers.iter().all(|c| c.depends_on.is_empty()) {
        return Ok(());
    }
    for _ in 0..svc.containers.len() {
        let done = touched.rids();
        let joiners: Vec<&Container> = svc
            .containers
            .iter()
            .filter(|c| !c.head.disable && !done.contains(c.head.rid.as_str()))
            .filter(|c| c.depends_on.iter().any(|d| done.contains(d)))
            .collect();
        if joiners.is_empty() {
            return Ok(());
        }
        let cur = ctx.current(&joiners)?;
        let mut any = false;
        for c in joiners {
            if !cur.of(svc, c)?.is_some_and(|i| i.running) {
                // down: its next start joins the holder's new namespace
                touched.mark(&c.head.rid);
                continue;
            }
            ctx.log.res(
                &c.head.rid,
                Level::Info,
                "its namespace holder was started again: restarting it into the new namespace",
            );
            resource::stop(ctx, Resource::Container(c), &cur, false)?;
            let now = ctx.current(&[c])?;
            resource::start(ctx, touched, Resource::Container(c), &now)?;
            touched.mark(&c.head.rid);
            replumb(ctx, touched, c, &now)?;
            any = true;
        }
        if !any {
            return Ok(());
        }
    }
    Ok(())
}

/// `start_requires` or `stop_requires` of a resource, checked at its turn
/// (SPEC 14): each named resource must be in one of its states now, as
/// docker says it (a dry run, which changed nothing, checks nothing).
fn check_requires(ctx: &Context, reqs: &[crate::model::Require], action: &str) -> Result<()> {
    if reqs.is_empty() || ctx.dry_run {
        return Ok(());
    }
    let svc = ctx.svc;
    let needed: Vec<&Container> = reqs.iter().filter_map(|r| svc.container(&r.rid)).collect();
    let cur = ctx.current(&needed)?;
    for r in reqs {
        let Some(named) = resource::named(svc, &r.rid) else {
            continue;
        };
        let now = resource::status(ctx, named, &cur)?.status;
        if !r.states.iter().any(|s| s == now.as_str()) {
            return Err(Error::Failed(format!(
                "{action} requires {} {}, it is {now}",
                r.rid,
                r.states.join(" or ")
            )));
        }
    }
    Ok(())
}

/// A start with DEFAULT's triggers around it. A failed blocking post
/// trigger, once the containers started, rolls back what the start
/// started (with `rollback`), as a failed resource's start does.
pub(super) fn start_around(
    ctx: &Context,
    touched: &Touched,
    selected: &[Resource],
    cur: &Current,
    action: &str,
) -> Result<()> {
    let svc = ctx.svc;
    trigger::before(ctx, &svc.triggers, None, action)?;
    resource::container::know_images(ctx, &containers(selected), cur)?;
    start(ctx, touched, selected, cur, action)?;
    trigger::after(ctx, &svc.triggers, None, action)
        .inspect_err(|_| roll_back_started(ctx, touched, selected))
}

/// What a start that then failed started, stopped again.
fn roll_back_started(ctx: &Context, touched: &Touched, selected: &[Resource]) {
    if !ctx.svc.rollback || ctx.dry_run {
        return;
    }
    // from its first docker call (a signal may have cut the trigger)
    let _rollback = crate::interrupt::finishing();
    let ran: Vec<&Container> = containers(selected)
        .into_iter()
        .filter(|c| touched.contains(&c.head.rid))
        .collect();
    // those still up: a start that failed on a resource rolled back
    // already, and finds none; all in the plan's order: rollback stops
    // them in reverse
    let Ok(cur) = ctx.current(&ran) else {
        return;
    };
    let back: Vec<Resource> = selected
        .iter()
        .copied()
        .filter(|r| resource::started_and_up(ctx, touched, *r, &cur))
        .collect();
    let Ok(stages) = start_stages(ctx.svc, &back) else {
        return;
    };
    let started: Vec<Resource> = stages.into_iter().flat_map(|s| s.members).collect();
    if !started.is_empty() {
        rollback(ctx, touched, &started, &[]);
    }
}

/// What a signal left half-made of the failed resources (any other
/// failure undid its own), removed as a stop does.
fn undo_cut_short(ctx: &Context, touched: &Touched, failed: &[Resource]) {
    for r in failed {
        if let Err(e) = resource::undo_cut_short(ctx, touched, *r) {
            ctx.log
                .res(&r.head().rid, Level::Error, &format!("rollback: {e}"));
        }
    }
}

/// Stops what this action started, in reverse, and what the failed
/// resources left up (a container up but never healthy, say; never one
/// that is not ours, or not running).
fn rollback(ctx: &Context, touched: &Touched, started: &[Resource], failed: &[Resource]) {
    // A signal that stopped the start must not stop its rollback, nor one
    // that comes during it (the end of the lifeline, say): a rollback
    // that has begun finishes; a second signal of a kind ends om at once.
    let _rollback = crate::interrupt::finishing();
    let all: Vec<Resource> = started.iter().chain(failed).copied().collect();
    let cur = match ctx.current(&containers(&all)) {
        Ok(cur) => cur,
        Err(e) => {
            ctx.log
                .svc(Level::Error, &format!("rollback impossible: {e}"));
            return;
        }
    };
    let cut_short = failed.iter().any(|r| touched.cut_short(&r.head().rid));
    // a standby resource stays up, as a stop keeps it (SPEC 17)
    let targets: Vec<Resource> = failed
        .iter()
        .copied()
        .filter(|r| resource::left_running(ctx, touched, *r, &cur))
        .chain(started.iter().rev().copied())
        .filter(|r| !r.head().standby)
        .collect();
    if targets.is_empty() && !cut_short {
        return;
    }
    ctx.log.svc(Level::Info, "rollback");
    undo_cut_short(ctx, touched, failed);
    for r in targets {
        if let Err(e) = resource::stop(ctx, r, &cur, false) {
            ctx.log
                .res(&r.head().rid, Level::Error, &format!("rollback: {e}"));
        }
    }
}

/// Stops in the reverse of the start order; the first failure of a
/// non-optional resource is reported and ends the action.
pub(super) fn stop(
    ctx: &Context,
    selected: &[Resource],
    cur: &Current,
    remove: bool,
    action: &str,
) -> Result<()> {
    let stages = stages_or_fail(stop_stages(ctx.svc, selected), ctx.svc)?;
    let mut failed = false;
    for stage in &stages {
        let results = run_stage(stage, |r| {
            check_requires(ctx, &r.head().stop_requires, "stop")?;
            trigger::around(ctx, &r.head().triggers, Some(&r.head().rid), action, || {
                resource::stop(ctx, r, cur, remove)
            })
        });
        for (c, r) in results {
            if let Err(e) = r {
                let fatal = !c.head().optional || matches!(e, Error::Interrupted(_));
                let level = if fatal { Level::Error } else { Level::Warn };
                ctx.log.res(&c.head().rid, level, &e.to_string());
                failed |= fatal;
            }
        }
        if failed {
            return Err(Error::Said);
        }
    }
    Ok(())
}

/// Runs `f` on the stage's members, one after the other or all at once.
fn run_stage<'a, T: Send>(
    stage: &Stage<'a>,
    f: impl Fn(Resource<'a>) -> Result<T> + Sync,
) -> Vec<(Resource<'a>, Result<T>)> {
    if !stage.parallel || stage.members.len() < 2 {
        let mut out = Vec::new();
        for c in &stage.members {
            let r = f(*c);
            let failed = match &r {
                Err(Error::Interrupted(_)) => true,
                Err(_) => !c.head().optional,
                Ok(_) => false,
            };
            out.push((*c, r));
            if failed {
                break;
            }
        }
        return out;
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = stage
            .members
            .iter()
            .map(|c| (*c, s.spawn(|| f(*c))))
            .collect();
        handles
            .into_iter()
            .map(|(c, h)| {
                let r = h
                    .join()
                    .unwrap_or_else(|_| Err(Error::Failed("worker thread panicked".into())));
                (c, r)
            })
            .collect()
    })
}
