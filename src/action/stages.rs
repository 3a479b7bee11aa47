//! How an action walks the plan: stage after stage (`run_stage`, in
//! parallel where the stage allows), each resource's requirements and
//! triggers around it; a failed start rolled back; the containers that
//! join a restarted namespace holder restarted into its new namespace.

use super::plan::{start_stages, stop_stages, Stage};
use crate::docker::{container::Exec, current::Current};
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::resource::containers;
use crate::model::Container;
use crate::model::Resource;
use crate::model::Service;
use crate::resource::ip::run as ip;
use crate::resource::trigger;

fn stages_or_fail<'a>(
    r: std::result::Result<Vec<Stage<'a>>, String>,
    svc: &Service,
) -> Result<Vec<Stage<'a>>> {
    r.map_err(|e| Error::Failed(format!("{}: {e}", svc.path)))
}

/// Starts stage after stage. The first failure of a non-optional resource
/// ends the action; with `rollback`, what this action started is stopped
/// again, in reverse.
fn start(exec: &Exec, selected: &[Resource], cur: &Current, action: &str) -> Result<()> {
    let stages = stages_or_fail(start_stages(exec.svc, selected), exec.svc)?;
    let mut started: Vec<Resource> = Vec::new();
    let tctx = trigger_ctx(exec);
    for stage in &stages {
        let results: Vec<(Resource, Result<bool>)> = run_stage(stage, |r| {
            check_requires(exec, &r.head().start_requires, "start")?;
            trigger::around(
                &tctx,
                &r.head().triggers,
                Some(&r.head().rid),
                action,
                || match r {
                    Resource::Container(c) => exec.start(c, cur.of(exec.svc, c)?),
                    Resource::Ip(i) => start_ip(exec, i),
                },
            )
        });
        let mut failed: Vec<Resource> = Vec::new();
        for (c, r) in results {
            match r {
                Ok(true) => started.push(c),
                Ok(false) => {}
                // An interruption ends the action, optional resource or not.
                Err(e) if c.head().optional && !matches!(e, Error::Interrupted(_)) => exec.log.res(
                    &c.head().rid,
                    Level::Warn,
                    &format!("{e} (optional resource, going on)"),
                ),
                Err(e) => {
                    exec.log.res(&c.head().rid, Level::Error, &e.to_string());
                    failed.push(c);
                }
            }
        }
        if !failed.is_empty() {
            if exec.svc.rollback && !exec.dry_run {
                rollback(exec, &started, &failed);
            } else if !exec.dry_run {
                // no rollback: still, a link a signal stopped half-made
                // does not stay
                let _undo = crate::interrupt::finishing();
                remove_cut_short(exec, &failed);
            }
            return Err(Error::Said);
        }
    }
    Ok(())
}

/// The addresses of a holder restarted here (a holder that joins another's
/// namespace, `ipcns = container#1`, say): they went with its old
/// namespace, and are plumbed into the new one before the containers that
/// join it are restarted (the next round). An optional one's failure is
/// a warning.
fn replumb(exec: &Exec, holder: &Container) -> Result<()> {
    let ips = exec.svc.ips.iter();
    for i in ips.filter(|i| !i.head.disable && i.holder == holder.head.rid.as_str()) {
        exec.log.res(
            &i.head.rid,
            Level::Info,
            "its namespace holder was started again: plumbing the address into the new namespace",
        );
        match start_ip(exec, i) {
            Ok(_) => {}
            Err(e) if i.head.optional && !matches!(e, Error::Interrupted(_)) => exec.log.res(
                &i.head.rid,
                Level::Warn,
                &format!("{e} (optional resource, going on)"),
            ),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// An ip resource's start (SPEC 16), marked as this action's when it
/// plumbed the address.
fn start_ip(exec: &Exec, i: &crate::model::Ip) -> Result<bool> {
    let plumbed = ip::start(exec, i)?;
    if plumbed {
        exec.touch_rid(&i.head.rid);
    }
    Ok(plumbed)
}

/// The running containers whose namespace holder (`netns`, `pidns`,
/// `ipcns` = container#N) this action started again: they still sit in
/// the namespace that died with the holder's old container, so each is
/// restarted after it (SPEC 14), and so on down a chain of holders.
/// (`deploy --force` recreates them itself.)
pub(super) fn restart_joiners(exec: &Exec) -> Result<()> {
    // (what deploy recreated is touched: skipped here)
    if exec.dry_run {
        return Ok(());
    }
    let svc = exec.svc;
    // each round restarts those whose holder was touched; a chain is as
    // long as the service has containers
    if svc.containers.iter().all(|c| c.depends_on.is_empty()) {
        return Ok(());
    }
    for _ in 0..svc.containers.len() {
        let touched = exec.touched_rids();
        let joiners: Vec<&Container> = svc
            .containers
            .iter()
            .filter(|c| !c.head.disable && !touched.contains(c.head.rid.as_str()))
            .filter(|c| c.depends_on.iter().any(|d| touched.contains(d)))
            .collect();
        if joiners.is_empty() {
            return Ok(());
        }
        let cur = exec.current(&joiners)?;
        let mut any = false;
        for c in joiners {
            let info = cur.of(svc, c)?;
            if !info.as_ref().is_some_and(|i| i.running) {
                // down: its next start joins the holder's new namespace
                exec.touch(c);
                continue;
            }
            exec.log.res(
                &c.head.rid,
                Level::Info,
                "its namespace holder was started again: restarting it into the new namespace",
            );
            exec.stop(c, info, false)?;
            let now = exec.current(&[c])?.of(svc, c)?;
            exec.start(c, now)?;
            exec.touch(c);
            replumb(exec, c)?;
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
fn check_requires(exec: &Exec, reqs: &[crate::model::Require], action: &str) -> Result<()> {
    if reqs.is_empty() || exec.dry_run {
        return Ok(());
    }
    let svc = exec.svc;
    let needed: Vec<&Container> = reqs.iter().filter_map(|r| svc.container(&r.rid)).collect();
    let cur = exec.current(&needed)?;
    for r in reqs {
        let now = match (svc.container(&r.rid), svc.ip(&r.rid)) {
            (Some(x), _) => {
                let info = cur.of(svc, x)?;
                crate::status::resource(svc, x, info.as_ref()).status
            }
            (None, Some(i)) => crate::status::ip_resource(i, &ip::seen(exec, i)).status,
            (None, None) => continue,
        };
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
    exec: &Exec,
    selected: &[Resource],
    cur: &Current,
    action: &str,
) -> Result<()> {
    let tctx = trigger_ctx(exec);
    let svc = exec.svc;
    trigger::before(&tctx, &svc.triggers, None, action)?;
    exec.know_images(&containers(selected), cur)?;
    start(exec, selected, cur, action)?;
    trigger::after(&tctx, &svc.triggers, None, action)
        .inspect_err(|_| roll_back_started(exec, selected))
}

/// What a start that then failed started, stopped again.
fn roll_back_started(exec: &Exec, selected: &[Resource]) {
    if !exec.svc.rollback || exec.dry_run {
        return;
    }
    // from its first docker call (a signal may have cut the trigger)
    let _rollback = crate::interrupt::finishing();
    let rids = exec.touched_rids();
    let touched: Vec<&Container> = containers(selected)
        .into_iter()
        .filter(|c| rids.contains(c.head.rid.as_str()))
        .collect();
    // those still running: a start that failed on a resource rolled back
    // already, and finds none
    let Ok(cur) = exec.current(&touched) else {
        return;
    };
    let running: std::collections::HashSet<&str> = touched
        .into_iter()
        .filter(|c| {
            cur.of(exec.svc, c)
                .ok()
                .flatten()
                .is_some_and(|i| i.running)
        })
        .map(|c| c.head.rid.as_str())
        .collect();
    // and the addresses this start plumbed (into a holder that ran before
    // it, say), all in the plan's order: rollback stops them in reverse
    let back: Vec<Resource> = selected
        .iter()
        .copied()
        .filter(|r| match r {
            Resource::Container(c) => running.contains(c.head.rid.as_str()),
            Resource::Ip(i) => rids.contains(i.head.rid.as_str()),
        })
        .collect();
    let Ok(stages) = start_stages(exec.svc, &back) else {
        return;
    };
    let started: Vec<Resource> = stages.into_iter().flat_map(|s| s.members).collect();
    if !started.is_empty() {
        rollback(exec, &started, &[]);
    }
}

/// What a trigger of this action runs with.
pub(super) fn trigger_ctx<'a>(exec: &'a Exec) -> trigger::Context<'a> {
    trigger::Context {
        svc: exec.svc,
        log: exec.log,
        dry_run: exec.dry_run,
        timeout: exec.svc.trigger_timeout,
    }
}

/// Stops what this action started, in reverse, and the failed resources'
/// own containers left running (up but never healthy, say). A failed
/// resource's container that is not ours, or not running, is left alone.
/// The failed ip resources whose link a signal stopped half-made (any
/// other failure undid its own).
fn cut_short_ips<'a>(exec: &Exec, failed: &[Resource<'a>]) -> Vec<&'a crate::model::Ip> {
    failed
        .iter()
        .filter_map(|r| match r {
            Resource::Ip(i) if exec.cut_short(&i.head.rid) => Some(*i),
            _ => None,
        })
        .collect()
}

/// Their links removed, as a stop does.
fn remove_cut_short(exec: &Exec, failed: &[Resource]) {
    for i in cut_short_ips(exec, failed) {
        match ip::stop(exec, i) {
            Ok(()) => exec.plumbing(&i.head.rid, false),
            Err(e) => exec
                .log
                .res(&i.head.rid, Level::Error, &format!("rollback: {e}")),
        }
    }
}

fn rollback(exec: &Exec, started: &[Resource], failed: &[Resource]) {
    // A signal that stopped the start must not stop its rollback, nor one
    // that comes during it (the end of the lifeline, say): a rollback
    // that has begun finishes; a second signal of a kind ends om at once.
    let _rollback = crate::interrupt::finishing();
    let all: Vec<Resource> = started.iter().chain(failed).copied().collect();
    let cur = match exec.current(&containers(&all)) {
        Ok(cur) => cur,
        Err(e) => {
            exec.log
                .svc(Level::Error, &format!("rollback impossible: {e}"));
            return;
        }
    };
    // a failed ip undid its own link, unless a signal stopped it
    let cut_short: Vec<&crate::model::Ip> = cut_short_ips(exec, failed);
    let stray = containers(failed)
        .into_iter()
        .filter(|c| exec.touched(c))
        .filter(|c| {
            cur.of(exec.svc, c)
                .ok()
                .flatten()
                .is_some_and(|i| i.running && exec.owns(c, &i))
        });
    let targets: Vec<Resource> = stray
        .map(Resource::Container)
        .chain(started.iter().rev().copied())
        .collect();
    if targets.is_empty() && cut_short.is_empty() {
        return;
    }
    exec.log.svc(Level::Info, "rollback");
    remove_cut_short(exec, failed);
    for r in targets {
        let stopped = match r {
            Resource::Container(c) => cur.of(exec.svc, c).and_then(|i| exec.stop(c, i, false)),
            Resource::Ip(i) => ip::stop(exec, i),
        };
        if let Err(e) = stopped {
            exec.log
                .res(&r.head().rid, Level::Error, &format!("rollback: {e}"));
        }
    }
}

/// Stops in the reverse of the start order; the first failure of a
/// non-optional resource is reported and ends the action.
pub(super) fn stop(
    exec: &Exec,
    selected: &[Resource],
    cur: &Current,
    remove: bool,
    action: &str,
) -> Result<()> {
    let stages = stages_or_fail(stop_stages(exec.svc, selected), exec.svc)?;
    let mut failed = false;
    let tctx = trigger_ctx(exec);
    for stage in &stages {
        let results = run_stage(stage, |r| {
            check_requires(exec, &r.head().stop_requires, "stop")?;
            trigger::around(
                &tctx,
                &r.head().triggers,
                Some(&r.head().rid),
                action,
                || match r {
                    Resource::Container(c) => exec.stop(c, cur.of(exec.svc, c)?, remove),
                    Resource::Ip(i) => ip::stop(exec, i),
                },
            )
        });
        for (c, r) in results {
            if let Err(e) = r {
                let fatal = !c.head().optional || matches!(e, Error::Interrupted(_));
                let level = if fatal { Level::Error } else { Level::Warn };
                exec.log.res(&c.head().rid, level, &e.to_string());
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
