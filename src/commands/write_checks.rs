//! What every config write checks before it writes, here and on a node
//! that receives the config: the private daemon on this host, and no
//! change under a running service (its engine, the nodes it runs on);
//! and what a service's engine holds of it, which delete asks too.

use super::Ctx;
use crate::config;
use crate::docker;
use crate::docker::current::Current;
use crate::error::{fail, Error, Result};
use crate::model::Container;
use crate::model::Service;
use crate::paths::SvcPath;
use std::collections::HashSet;

/// The private daemon's check (`docker::daemon::check_host`) for a config
/// about to be written: its warnings said, its error the command's.
pub fn daemon_checked(ctx: &Ctx, path: &SvcPath, svc: &Service) -> Result<()> {
    let warnings = crate::docker::daemon::check_host(svc, ctx)
        .map_err(|e| Error::Failed(format!("{path}: {e}")))?;
    for w in warnings {
        crate::text::say(&format!("{path}: warning: {w}"));
    }
    Ok(())
}

/// What a config write about to replace the service's config (`new`)
/// must not change under a running service, the config it has now read
/// once for both: its engine (`engine_kept`), and, when `synced` is given
/// (`sync::ever_synced`; given, so that this module, which the sync's
/// receiver calls, does not call the sync), its nodes (`nodes_kept`). A
/// service with no config yet changes nothing.
pub fn unmoved(
    ctx: &Ctx,
    path: &SvcPath,
    new: &Service,
    synced: Option<&dyn Fn(&str) -> bool>,
) -> Result<()> {
    let Ok((old, _)) = config::load_for_stop(path, ctx) else {
        return Ok(());
    };
    engine_kept(ctx, path, &old, new)?;
    match synced {
        Some(synced) => nodes_kept(ctx, path, &old, new, synced),
        None => Ok(()),
    }
}

/// A config write that moves the service to another engine (a private
/// daemon given, taken away, or its data dir changed) is refused while a
/// container of the service exists on the engine it has now: the
/// containers would run on out of om's reach (status `down` on the new
/// engine, a purge deleting the config while they run, a private daemon
/// left running with its socket gone). The engine now is asked as a
/// delete asks it (a private daemon started for that, stopped again when
/// idle); a failed query refuses too.
fn engine_kept(ctx: &Ctx, path: &SvcPath, old: &Service, new: &Service) -> Result<()> {
    let engine_of = |s: &Service| {
        s.daemon.as_ref().map(|d| {
            std::path::Path::new(&d.data_dir)
                .components()
                .collect::<std::path::PathBuf>()
        })
    };
    if engine_of(old) == engine_of(new) {
        return Ok(());
    }
    let log = super::service_log(ctx, path, true);
    let asked = ask_existing(ctx, old, &log)
        .map_err(|e| {
            Error::Failed(format!(
                "{path}: the change moves the service to another docker engine, and its engine now can not be asked what it holds ({e}): nothing written"
            ))
        })?;
    if asked.is_empty() {
        return Ok(());
    }
    fail(format!(
        "{path}: the change moves the service to another docker engine (docker_data_dir) while containers of the service exist on its engine now ({}): nothing written; unprovision it first (om {path} unprovision), then change it",
        asked.join(", ")
    ))
}

/// A config write that drops a node from `nodes`/`drpnodes` is refused
/// while the service may run there: the config no longer goes there, and
/// status and the guard stop asking it, so a start here would make a
/// second copy (a hostile run of issue 21). Each dropped node is asked
/// first: it runs the service, or can not tell and once had this config
/// (a sync either way), and the write is refused, naming it; one that says
/// the service does not run there, that has no such service, or that never
/// had the config from here nor sent it (a typo) is dropped.
fn nodes_kept(
    ctx: &Ctx,
    path: &SvcPath,
    old: &Service,
    new: &Service,
    synced: &dyn Fn(&str) -> bool,
) -> Result<()> {
    let kept = new.all_nodes();
    let dropped: Vec<String> = old
        .all_nodes()
        .into_iter()
        .filter(|n| !crate::nodename::is_local(n, &ctx.node) && !kept.contains(n))
        .map(String::from)
        .collect();
    if dropped.is_empty() {
        return Ok(());
    }
    let answers = super::status::nodes_say(ctx, old, |n| dropped.iter().any(|d| d == n))?;
    for (node, word) in answers {
        match word {
            super::status::Word::Runs { .. } => {
                return fail(format!(
                    "{path}: the change drops {node} from the service's nodes while it runs there: nothing written; stop it there first (om {path} stop), or switch it here"
                ))
            }
            // a node that never had this config (a typo, a node never
            // reached) never ran the service by it
            super::status::Word::Unknown(_) if !synced(&node) => {}
            super::status::Word::Unknown(why) => {
                return fail(format!(
                    "{path}: the change drops {node} from the service's nodes, and {node} can not tell whether it runs there ({why}): nothing written; drop it once it answers (a node gone for good: edit the config file by hand)"
                ))
            }
            super::status::Word::Not | super::status::Word::Absent => {}
        }
    }
    Ok(())
}

/// What the service's engine holds of it (`existing_containers`). A
/// private daemon that never ran holds nothing: it is not started (nor
/// its data dir made) to say so. One that does not run is started to be
/// asked (its containers are in its store), then stopped again when idle;
/// one that ran before is left as it was, whatever the caller then
/// refuses.
pub fn ask_existing(ctx: &Ctx, svc: &Service, log: &crate::logger::Logger) -> Result<Vec<String>> {
    let daemon = docker::daemon::Daemon::of(svc, ctx);
    if daemon.as_ref().is_some_and(|d| d.holds_nothing()) {
        return Ok(Vec::new());
    }
    let was_running = daemon.as_ref().is_some_and(|d| d.running().is_some());
    let engine = docker::daemon::engine_for(svc, ctx, log, false, true)?;
    let existing = existing_containers(svc, &engine);
    if let Some(d) = daemon.filter(|_| !was_running) {
        d.stop_if_idle(log, false)?;
    }
    existing
}

/// The service's containers that exist on the engine: those of its
/// resources (renamed ones included, found by their label), and any other
/// carrying its `com.opensvc.id` label (a resource the config no longer
/// names), said so. A config goes only when this is empty, whatever the
/// config says. A failed query is an error: nothing is deleted on the
/// strength of docker's silence.
pub fn existing_containers(svc: &Service, engine: &docker::Engine) -> Result<Vec<String>> {
    let all: Vec<&Container> = svc.containers.iter().collect();
    let current = Current::query(engine, &all)?;
    let mut names = current.existing(svc, &svc.containers)?;
    // a set: 10 000 containers are 10 000 lookups, not 10^8 comparisons
    let seen: HashSet<String> = names.iter().cloned().collect();
    for (_, c) in current.leftovers(svc) {
        if !seen.contains(&c.name) {
            names.push(format!(
                "{} (labelled {}={}, which the config does not name: docker rm it, or restore its section)",
                c.name,
                docker::argv::LABEL_ID,
                c.label(docker::argv::LABEL_ID).unwrap_or_default()
            ));
        }
    }
    Ok(names)
}
