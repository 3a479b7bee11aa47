//! The action itself on the selected resources of an instance whose engine
//! answered: what a start, stop, restart, provision, deploy, unprovision or
//! purge walks (its stages are in `stages`), and the `started` expectation
//! it leaves.

use super::remove::remove_slices;
use super::stages::{restart_joiners, start_around, stop};
use super::Action;
use crate::docker::{current::Current, inspect::ContainerInfo};
use crate::error::Result;
use crate::host::Host;
use crate::logger::Level;
use crate::model::resource::containers;
use crate::model::Container;
use crate::model::Resource;
use crate::model::Service;
use crate::resource::trigger;
use crate::resource::{Context, Touched};
use crate::state;

/// `filtered`: only some resources are acted on (`--rid`, `--tag`,
/// `--subset`), which says nothing of the service as a whole: the
/// `started` expectation is left as it was.
/// `complete`: every container resource of the config could be identified
/// (see `config::load_for_stop`); the cgroup slices go only then.
pub(super) fn act(
    ctx: &Host,
    context: &Context,
    selected: &[Resource],
    kind: Action,
    filtered: bool,
    complete: bool,
) -> Result<()> {
    let svc = context.svc;
    let cur = context.current(&containers(selected))?;
    // the engine answered: from here a container of the service may run
    if kind.starts() && !context.dry_run {
        state::may_run(&svc.path, &ctx.roots)?;
    }
    // The expectation changes only when the action did what it says: a
    // stop that failed (a hung docker) leaves the service "started".
    let started = match kind {
        Action::Start | Action::Provision | Action::Deploy => {
            start(context, selected, &cur, kind)?;
            true
        }
        Action::Stop => {
            around_service(context, "stop", &|| {
                stop(context, selected, &cur, false, "stop")
            })?;
            false
        }
        Action::Unprovision | Action::Purge => {
            unprovision(context, selected, &cur, !filtered && complete)?;
            false
        }
        Action::Restart => {
            restart(context, selected, &cur, filtered)?;
            true
        }
    };
    if context.dry_run || filtered {
        Ok(())
    } else {
        state::set_started(&svc.path, &ctx.roots, started)
    }
}

/// DEFAULT's triggers around the service's action (SPEC 14); the
/// resources' own around each of theirs, in start and stop.
fn around_service(context: &Context, action: &str, f: &dyn Fn() -> Result<()>) -> Result<()> {
    trigger::around(context, &context.svc.triggers, None, action, f)
}

/// start, provision, deploy: the leftovers said, the stages started, the
/// joiners of what changed restarted.
fn start(context: &Context, selected: &[Resource], cur: &Current, kind: Action) -> Result<()> {
    let touched = Touched::default();
    let action = if kind == Action::Start {
        "start"
    } else {
        "provision"
    };
    say_leftovers(context, cur);
    start_around(context, &touched, selected, cur, action)?;
    restart_joiners(context, &touched)?;
    if kind == Action::Deploy && !context.dry_run && !touched.any() {
        context.log.svc(
            Level::Info,
            "every container matches the config: nothing to change",
        );
    }
    Ok(())
}

/// unprovision, purge: the stages stopped and removed; the cgroup slices
/// too when `whole` (every resource acted on, every container identified).
fn unprovision(context: &Context, selected: &[Resource], cur: &Current, whole: bool) -> Result<()> {
    around_service(context, "unprovision", &|| {
        stop(context, selected, cur, true, "unprovision")
    })?;
    if !context.dry_run && whole {
        remove_slices(context);
    }
    Ok(())
}

/// restart: a stop, then a start from what the stop left.
fn restart(context: &Context, selected: &[Resource], cur: &Current, filtered: bool) -> Result<()> {
    around_service(context, "stop", &|| {
        stop(context, selected, cur, false, "stop")
    })?;
    // the instance stopped only when all of it did (as OpenSVC says
    // it): a restart of some resources stopped only those
    if !filtered {
        context
            .log
            .svc(Level::Info, "instance stopped, ready for restart.");
    }
    // A dry run changed nothing: start from what the stop would leave.
    let after = if context.dry_run {
        Current::from_infos(as_if_stopped(cur, context.svc, &containers(selected)))
    } else {
        context.current(&containers(selected))?
    };
    let touched = Touched::default();
    start_around(context, &touched, selected, &after, "start")?;
    restart_joiners(context, &touched)
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
