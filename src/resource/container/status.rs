//! The container kind's part of the status (SPEC 4): a resource from its
//! config and its container as `Current::find` found it, and the cases
//! where om could not take it for absent (ambiguous, its daemon down or
//! lost), or a container the config no longer names (a leftover).

use crate::docker::argv::{container_id_label, LABEL_ID};
use crate::docker::inspect::{same_image, ContainerInfo};
use crate::model::Container;
use crate::model::Service;
use crate::status::{alive, Avail, ContainerState, ResourceStatus};

/// One resource, from its config and its container as `Current::find`
/// found it: under its name, or renamed behind om's back (still the
/// resource, with a warning naming its name), or a container that is not
/// om's squatting its name.
pub fn resource(svc: &Service, c: &Container, info: Option<&ContainerInfo>) -> ResourceStatus {
    let mut log = Vec::new();
    let want = container_id_label(&svc.id, &c.head.rid);
    if let Some(i) = info.filter(|i| i.name != c.name && i.label(LABEL_ID) == Some(&want)) {
        log.push(format!("warn: renamed behind om's back: {}", i.name));
    }
    let status = if c.head.disable || !c.detach {
        Avail::NotApplicable
    } else {
        match info {
            None => {
                log.push("info: can not find container id".to_string());
                Avail::Down
            }
            Some(i) => found_avail(svc, c, i, &want, &mut log),
        }
    };
    let provisioned = info.is_some();
    let flag = |on: bool, ch: char| if on { ch } else { '.' };
    let flags: String = [
        '.',
        '.',
        flag(c.head.disable, 'D'),
        flag(c.head.optional, 'O'),
        '.',
        flag(!provisioned && c.detach, 'P'),
        '.',
        '.',
    ]
    .iter()
    .collect();
    ResourceStatus {
        rid: c.head.rid.to_string(),
        status,
        flags,
        label: format!("docker container {}@{}", c.name, c.image),
        log,
        disabled: c.head.disable,
        optional: c.head.optional,
        standby: false,
        provisioned,
        subset: c.head.subset.clone(),
        // docker's name of it (a renamed one's), else the configured one
        container: Some(info.map_or_else(
            || ContainerState::unseen(&c.name, &c.image, "absent"),
            ContainerState::seen,
        )),
        leftover: false,
    }
}

/// The avail of a container resource whose container docker found: ours
/// (its label), alive, on the configured image and config, healthy.
fn found_avail(
    svc: &Service,
    c: &Container,
    i: &ContainerInfo,
    want: &str,
    log: &mut Vec<String>,
) -> Avail {
    if i.label(LABEL_ID) != Some(want) {
        log.push(format!(
            "warn: name {} in use by a container om does not manage",
            c.name
        ));
        Avail::Warn
    } else if matches!(i.state.as_str(), "paused" | "restarting") {
        log.push(format!("warn: container is {}", i.state));
        Avail::Warn
    } else if i.running && !i.image.is_empty() && !same_image(&i.image, &c.image) {
        log.push(format!(
            "warn: running image {} differs from the configured {}",
            i.image, c.image
        ));
        Avail::Warn
    } else if i.running && super::drifted(svc, c, i) {
        log.push("warn: config changed since the container was created".to_string());
        Avail::Warn
    } else if i.running && i.health.as_deref() == Some("unhealthy") {
        // The last check's output says why (SPEC 4.4).
        log.push(match i.health_output.as_deref() {
            Some(out) => format!("warn: unhealthy: {}", last_line(out)),
            None => "warn: unhealthy".to_string(),
        });
        Avail::Warn
    } else if i.running {
        if i.health.as_deref() == Some("starting") {
            log.push("info: health starting".to_string());
        }
        Avail::Up
    } else {
        Avail::Down
    }
}

/// A container carrying the service's `com.opensvc.id` label for `rid`, a
/// resource its config does not name (`Current::leftovers`: a section
/// deleted with --force, a config replaced by one with fewer sections):
/// not om's to act on, yet the service's. Alive (running, paused,
/// restarting), it is `warn`, so the instance is never `down` while it
/// runs, and `InstanceStatus::runs` counts it (no other node starts the
/// service on the strength of a `down`); stopped, it is `n/a` (it runs
/// nothing, and the service's availability is its resources'), its line
/// still naming it.
pub fn leftover(rid: &str, i: &ContainerInfo) -> ResourceStatus {
    let alive = alive(&i.state);
    ResourceStatus {
        rid: rid.to_string(),
        status: if alive { Avail::Warn } else { Avail::NotApplicable },
        flags: "........".into(),
        label: format!("docker container {}@{}", i.name, i.image),
        log: vec![format!(
            "warn: {} container {} carries {LABEL_ID}={}, a resource the config does not name: docker rm it, or restore its section",
            i.state,
            i.name,
            i.label(LABEL_ID).unwrap_or_default()
        )],
        disabled: false,
        optional: false,
        standby: false,
        provisioned: true,
        subset: None,
        container: Some(ContainerState::seen(i)),
        leftover: true,
    }
}

/// A resource whose container om can not tell (several carry its label):
/// a warning saying why, provisioned, and its state `ambiguous`, which
/// counts as alive (`InstanceStatus::runs`): no other node starts the
/// service on the strength of it.
pub fn ambiguous(svc: &Service, c: &Container, why: &crate::error::Error) -> ResourceStatus {
    let mut r = unseen(svc, c, "ambiguous");
    r.log = vec![format!("warn: {why}")];
    if r.status != Avail::NotApplicable {
        r.status = Avail::Warn;
    }
    r.provisioned = true;
    r
}

/// A resource whose container om could not take for absent: no `P` flag
/// (not provisioned is not known), its container's state `state`.
pub fn unseen(svc: &Service, c: &Container, state: &str) -> ResourceStatus {
    let mut r = resource(svc, c, None);
    r.flags = r
        .flags
        .chars()
        .enumerate()
        .map(|(i, ch)| if i == 5 { '.' } else { ch })
        .collect();
    if let Some(c) = &mut r.container {
        c.state = state.into();
    }
    r
}

/// A resource of a service whose private daemon does not run: down (no
/// container of it can run), and whether it exists is not known (no `P`).
pub fn daemon_down(svc: &Service, c: &Container) -> ResourceStatus {
    let mut r = unseen(svc, c, "unknown");
    if r.status != Avail::NotApplicable {
        r.log = vec!["info: docker daemon is not running".into()];
    }
    r
}

/// A resource of a service whose private daemon was killed and left
/// containers running: `warn`, its container's state `orphaned` (alive to
/// `runs`: no other node starts the service over it), and what to do.
pub fn daemon_lost(svc: &Service, c: &Container) -> ResourceStatus {
    let mut r = daemon_down(svc, c);
    if r.status != Avail::NotApplicable {
        r.status = Avail::Warn;
        r.log = vec![
            "warn: docker daemon is not running, but one was killed and may have left containers running (containerd shims of it live): start or stop reaches them".into(),
        ];
        if let Some(c) = &mut r.container {
            c.state = "orphaned".into();
        }
    }
    r
}

/// The last non-empty line of a health check's output, for a status line.
fn last_line(out: &str) -> &str {
    out.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}
