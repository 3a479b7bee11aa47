//! A service's status on this node, merged from its config and what its
//! engine holds (`View`), and with the other nodes' instances (`merge`):
//! pure functions.

use super::{
    aggregate, not_configured, Avail, InstanceStatus, Remote, ResourceStatus, ServiceStatus,
    SubsetStatus, SCHEMA,
};
use crate::docker::current::Current;
use crate::model::Container;
use crate::model::Service;
use crate::resource::container::status::{ambiguous, daemon_down, daemon_lost, leftover, resource};
use crate::resource::ip::status::resource as ip_resource;
use std::collections::HashMap;

/// A container that exists while the container holding its namespace
/// (`netns`, `pidns`, `ipcns` = container#N) does not: its namespace is
/// gone with it (SPEC 14), said as a warning.
fn holders_gone(svc: &Service, cur: &Current, resources: &mut [ResourceStatus]) {
    if svc.containers.iter().all(|c| c.depends_on.is_empty()) {
        return;
    }
    // linear in the containers, however many join one holder
    let by_rid: HashMap<&str, &Container> = svc
        .containers
        .iter()
        .map(|c| (c.head.rid.as_str(), c))
        .collect();
    // found as status finds each resource (an ambiguous one is no word)
    let exists = |c: &Container| cur.find(svc, c).map(|i| i.is_some());
    for (c, r) in svc.containers.iter().zip(resources.iter_mut()) {
        if c.head.disable || !exists(c).unwrap_or(false) {
            continue;
        }
        for holder in &c.depends_on {
            let Some(h) = by_rid.get(holder.as_str()) else {
                continue;
            };
            if !exists(h).unwrap_or(true) {
                r.log.push(format!(
                    "warn: its namespace holder {holder} ({}) does not exist",
                    h.name
                ));
                if r.status == Avail::Up {
                    r.status = Avail::Warn;
                }
            }
        }
    }
}

#[cfg(test)]
pub fn service(
    svc: &Service,
    node: &str,
    infos: &[crate::docker::inspect::ContainerInfo],
    started: bool,
) -> ServiceStatus {
    let cur = Current::from_infos(infos.to_vec());
    service_in(svc, node, View::Engine(&cur), &[], &[], &[], started, None)
}

/// What a service's engine holds, for its status.
#[derive(Clone, Copy)]
pub enum View<'a> {
    /// What the engine lists, each resource's container found as the
    /// actions find it (`Current::find`).
    Engine(&'a Current),
    /// Its private daemon does not run: its resources are down.
    DaemonDown,
    /// Its private daemon does not run, but one was killed and left the
    /// containers it ran running (their containerd shims live): not known
    /// to be down, and counted as running by the other nodes' guards.
    DaemonLost,
}

/// One service's status; `cur` is built once for all the services of a
/// command, so the work stays linear in the number of containers.
/// `running`: the action that holds the service's lock now, if one does:
/// the notice says it instead of `idle`, and the resources get the `R` flag.
/// `cur`: what the service's engine holds, each resource's container found
/// as the actions find it (`Current::find`); `None` when its private
/// daemon does not run (its resources are down, and say so).
// Each kind observed on the host comes as its own slice (ips, syncs,
// volumes): one struct of them is the next step, once the kinds' status is
// gathered through `resource/` (README, Architecture: known debt).
#[allow(clippy::too_many_arguments)]
pub fn service_in(
    svc: &Service,
    node: &str,
    view: View,
    ips: &[crate::resource::ip::State],
    syncs: &[crate::resource::sync::status::Seen],
    volumes: &[crate::resource::volume::State],
    started: bool,
    running: Option<&str>,
) -> ServiceStatus {
    let mut resources = resources_in(svc, node, &view, ips, syncs, volumes, running);
    let avail = aggregate(&resources, false);
    let mut overall = aggregate(&resources, true);
    // A container down while the service is started says so on its line;
    // it raises an `up` overall to warn, but never softens a `down` one: a
    // service whose containers all crashed is down, exit 1, for a monitor.
    if started
        && running.is_none()
        && down_while_started(svc, &mut resources)
        && overall == Avail::Up
    {
        overall = Avail::Warn;
    }
    let mut notice = String::new();
    if overall == Avail::Warn {
        notice.push_str("warn, ");
    }
    notice.push_str(running.unwrap_or("idle"));
    if started {
        notice.push_str(", started");
    }
    let instance = InstanceStatus {
        node: node.to_string(),
        avail,
        overall,
        notice: notice.clone(),
        started,
        resources: resources.clone(),
    };
    ServiceStatus {
        schema: SCHEMA,
        path: svc.path.to_string(),
        id: svc.id.clone(),
        node: node.to_string(),
        avail,
        overall,
        notice,
        started,
        subsets: svc
            .subsets
            .iter()
            .map(|(name, parallel)| SubsetStatus {
                name: name.clone(),
                parallel: *parallel,
            })
            .collect(),
        resources,
        instances: vec![instance],
        split: None,
        pg: (!svc.limits.is_empty()).then(|| {
            svc.limits
                .set
                .iter()
                .map(|(k, v)| format!("{}={v}", k.trim_start_matches("pg_")))
                .collect::<Vec<_>>()
                .join(" ")
        }),
        pacemaker: None,
    }
}

/// A service left started (its last action a start) whose container is
/// down (exited, crashed, removed behind om's back) is not what was
/// meant: each such resource says so (a `warn:` line, with the command
/// that brings it back), and the instance's `overall` is `warn`, so
/// `status` exits 2 (SPEC 3) and the notice reads `warn, …, started`; its
/// `avail` stays what its resources are (down when all are). Optional and
/// disabled resources, and containers the config does not name, are not
/// meant to run: they say nothing. Not while an action runs (it is the
/// one changing them). Whether one was said.
fn down_while_started(svc: &Service, resources: &mut [ResourceStatus]) -> bool {
    let mut said = false;
    for r in resources.iter_mut() {
        if r.status == Avail::Down && r.container.is_some() && !r.optional && !r.leftover {
            r.log.push(format!(
                "warn: down while the service is started (om {} start brings it back)",
                svc.path
            ));
            said = true;
        }
    }
    said
}

/// Each resource's status on this node: the containers, then the ip
/// resources (`ips`: what `ip::observe` saw, in `svc.ips` order),
/// flagged `R` while an action runs, then the containers of the service
/// the config does not name.
fn resources_in(
    svc: &Service,
    node: &str,
    view: &View,
    ips: &[crate::resource::ip::State],
    syncs: &[crate::resource::sync::status::Seen],
    volumes: &[crate::resource::volume::State],
    running: Option<&str>,
) -> Vec<ResourceStatus> {
    let cur = match *view {
        View::Engine(cur) => Some(cur),
        View::DaemonDown | View::DaemonLost => None,
    };
    let mut resources: Vec<ResourceStatus> = svc
        .containers
        .iter()
        .map(|c| match cur.map(|cur| cur.find(svc, c)) {
            Some(Ok(info)) => resource(svc, c, info),
            Some(Err(e)) => ambiguous(svc, c, &e),
            None if matches!(view, View::DaemonLost) => daemon_lost(svc, c),
            None => daemon_down(svc, c),
        })
        .collect();
    // the ip resources after the containers (`ips`: what `ip::observe`
    // saw, in `svc.ips` order)
    resources.extend(
        svc.ips
            .iter()
            .zip(ips)
            .map(|(i, seen)| ip_resource(i, seen)),
    );
    // the data resources (SPEC 17): the host's, not the engine's
    resources.extend(svc.disks.iter().map(|d| {
        crate::resource::disk::status::resource(d, &crate::resource::disk::state(d, node))
    }));
    resources.extend(svc.fss.iter().map(|f| crate::resource::fs::status(svc, f)));
    // the volumes after them (`volumes`: what `volume::seen` said, in
    // `svc.volumes` order)
    resources.extend(
        svc.volumes
            .iter()
            .zip(volumes)
            .map(|(v, seen)| crate::resource::volume::status::resource(v, seen)),
    );
    // the sync resources (`syncs`: their records, in `svc.syncs` order),
    // whose status depends on whether the service is up here (the sender)
    let up_here = aggregate(&resources, false) == Avail::Up;
    resources.extend(
        svc.syncs
            .iter()
            .zip(syncs)
            .map(|(s, seen)| crate::resource::sync::status::resource(s, seen, up_here)),
    );
    if running.is_some() {
        for r in &mut resources {
            r.flags.replace_range(0..1, "R");
        }
    }
    // the standby resources (SPEC 17): said, and flagged S as OpenSVC does
    let standby: std::collections::HashSet<&str> = svc
        .resources()
        .iter()
        .filter(|r| r.head().standby)
        .map(|r| r.head().rid.as_str())
        .collect();
    for r in resources
        .iter_mut()
        .filter(|r| standby.contains(r.rid.as_str()))
    {
        r.standby = true;
        r.flags.replace_range(6..7, "S");
    }
    if let Some(cur) = cur {
        holders_gone(svc, cur, &mut resources);
        // last, the containers of the service the config does not name
        resources.extend(
            cur.leftovers(svc)
                .into_iter()
                .map(|(rid, i)| leftover(rid, i)),
        );
    }
    resources
}

/// The service across its nodes (SPEC 12): `instances` in the order of
/// `nodes` then `drpnodes` (this node's where its name is, first when it
/// is in neither); the service is up when exactly one instance is up,
/// down when none is, warn when several are (a split brain) or one warns.
/// A node that did not answer shows `unknown` with the reason.
pub fn merge(st: &mut ServiceStatus, order: &[&str], remote: Vec<(String, Remote)>) {
    let local = st.instances.drain(..).next();
    let mut all: Vec<InstanceStatus> = Vec::new();
    let mut remote = remote;
    // this node's instance where the list names it (full name or first label)
    let here = |node: &str, l: &InstanceStatus| crate::nodename::is_local(node, &l.node);
    if let Some(l) = &local {
        if !order.iter().any(|n| here(n, l)) {
            all.push(l.clone());
        }
    }
    for node in order {
        if let Some(l) = local.as_ref().filter(|l| here(node, l)) {
            all.push(l.clone());
        } else if let Some(i) = remote.iter().position(|(n, _)| n == node) {
            let (node, got) = remote.remove(i);
            all.push(match got {
                Remote::Said(i) => i,
                Remote::Silent(why) => InstanceStatus {
                    node,
                    avail: Avail::Unknown,
                    overall: Avail::Unknown,
                    notice: why,
                    started: false,
                    resources: Vec::new(),
                },
            });
        }
    }
    // where it runs (up, or a container of it alive: a warn counts)
    let up: Vec<&str> = all
        .iter()
        .filter(|i| i.runs())
        .map(|i| i.node.as_str())
        .collect();
    // a node that says it has no such service runs nothing of it: it is
    // not silent (its line still says what it answered)
    let path = st.path.clone();
    let absent = |i: &InstanceStatus| i.avail == Avail::Unknown && not_configured(&i.notice, &path);
    let service = |pick: fn(&InstanceStatus) -> Avail| {
        let known: Vec<Avail> = all
            .iter()
            .filter(|i| !absent(i))
            .map(pick)
            .filter(|a| *a != Avail::Unknown)
            .collect();
        let asked = all.iter().filter(|i| !absent(i)).count();
        if up.len() > 1 || known.contains(&Avail::Warn) {
            Avail::Warn
        } else if up.len() == 1 {
            Avail::Up
        } else if known.len() < asked {
            // up nowhere that answered, and a node that did not: not "down"
            Avail::Unknown
        } else if known.iter().all(|a| *a == Avail::NotApplicable) && !known.is_empty() {
            Avail::NotApplicable
        } else {
            Avail::Down
        }
    };
    st.avail = service(|i| i.avail);
    st.overall = service(|i| i.overall);
    st.split = (up.len() > 1).then(|| format!("warn: up on {}", up.join(" and ")));
    st.instances = all;
}
