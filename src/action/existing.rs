//! What a service's engine still holds of it: a purge ends only when it
//! holds nothing, and a delete, or a config write that moves the service
//! to another engine, is refused while it holds something.

use crate::docker;
use crate::docker::current::Current;
use crate::error::Result;
use crate::host::Host;
use crate::model::Container;
use crate::model::Service;
use std::collections::HashSet;

/// What the service's engine holds of it (`existing_containers`). A
/// private daemon that never ran holds nothing: it is not started (nor
/// its data dir made) to say so. One that does not run is started to be
/// asked (its containers are in its store), then stopped again when idle;
/// one that ran before is left as it was, whatever the caller then
/// refuses.
pub fn ask_existing(ctx: &Host, svc: &Service, log: &crate::logger::Logger) -> Result<Vec<String>> {
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
