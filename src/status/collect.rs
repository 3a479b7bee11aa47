//! Collecting the status of services: one `docker ps -a` per engine for
//! all the containers of all the selected services (and one inspect of the
//! unhealthy ones), the other nodes asked at the same time (SPEC 12).

use super::instance::{merge, service_in, View};
use super::{Remote, ServiceStatus};
use crate::config;
use crate::docker;
use crate::docker::current::Current;
use crate::docker::inspect::ContainerInfo;
use crate::error::{Error, Result};
use crate::fsutil::Under;
use crate::host::Host;
use crate::model::Service;
use crate::nodes::ask::{ask_nodes, NodeAnswer};
use crate::paths::SvcPath;
use crate::resource::ip;
use crate::state;
use std::collections::HashSet;

/// The status of each of `paths`; services whose config does not
/// load are reported and counted as failures. With `exits`, a stopped
/// container's exit code and time are asked too (in the one inspect, see
/// `engine_view`): what shows them wants them (`print status`, `ps`); an
/// exit code or a table of states does not (`status`, `ls`), and costs
/// one listing.
pub fn collect(
    ctx: &Host,
    paths: &[SvcPath],
    everywhere: bool,
    exits: bool,
) -> Result<(Vec<ServiceStatus>, bool)> {
    let nodes = if everywhere { Nodes::Ask } else { Nodes::Here };
    collect_with(ctx, paths, &nodes, exits).map(|c| (c.statuses, c.broken))
}

/// What the other nodes are for a collect: not asked (`--local`), asked
/// now, or the answers a caller got at its own pace (the watch asks them
/// at `--interval`, and reads this node's engines on every event).
pub enum Nodes<'a> {
    Here,
    Ask,
    Known(&'a [(String, NodeAnswer)]),
}

/// A collect's result, with what a watch follows: the engines read and
/// what marks the services' containers on each (their names, their
/// service ids: `com.opensvc.id` is `ID.RID`).
pub struct Collected {
    pub statuses: Vec<ServiceStatus>,
    pub broken: bool,
    pub engines: Vec<Marks>,
}

/// An engine of the services, and what marks their containers there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marks {
    pub engine: docker::Engine,
    pub names: Vec<String>,
    pub ids: Vec<String>,
}

/// `collect`, the other nodes as `nodes` says. `Known` answers that miss a
/// node the services now have are asked again, all of them.
pub fn collect_with(
    ctx: &Host,
    paths: &[SvcPath],
    nodes: &Nodes<'_>,
    exits: bool,
) -> Result<Collected> {
    // The host's engine lists its containers while the configs are read:
    // on a thousand services, the two take about as long (scripts/bench
    // (g)). Dropped unread when no service turns out to be on it.
    let host = docker::Engine::host(&ctx.docker);
    let host_listing = if paths.is_empty() {
        None
    } else {
        Some(docker::Listing::start(&host)?)
    };
    let (services, local, mut broken) = load_all(ctx, paths);
    // The other nodes are asked while this node's engines list (SPEC 12):
    // a status across nodes costs the slowest of them, not their sum.
    let (asked, known) = to_ask(ctx, nodes, &services);
    std::thread::scope(|scope| {
        let remote =
            (!asked.is_empty() && known.is_none()).then(|| scope.spawn(|| ask_nodes(ctx, &asked)));
        let engines = by_engine(ctx, &services);
        let (maps, unknown) = list_engines(ctx, &host, host_listing, &engines, exits, &mut broken)?;
        let pids = holder_pids(&engines, &maps);
        let both: Vec<_> = services
            .iter()
            .zip(&local)
            .filter(|(svc, _)| !unknown.contains(&docker::daemon::engine_of(svc, ctx)))
            .collect();
        let mut statuses = crate::parallel::map(&both, |(svc, (started, running))| {
            let engine = docker::daemon::engine_of(svc, ctx);
            let at = engines.iter().position(|(e, _)| *e == engine);
            let seen = at.and_then(|i| maps[i].as_ref());
            let none = Ok(Default::default());
            let ips = ip::observe(svc, seen, at.map_or(&none, |i| &pids[i]));
            let view = match seen {
                Some(cur) => View::Engine(cur),
                None => daemon_view(ctx, svc),
            };
            let syncs = crate::resource::sync::status::observe(ctx, svc);
            let volumes = volume_states(svc, &engine, seen.is_some());
            service_in(
                svc,
                &ctx.node,
                view,
                &ips,
                &syncs,
                &volumes,
                *started,
                running.as_deref(),
            )
        });
        if let Some(remote) = remote {
            let answers = remote
                .join()
                .map_err(|_| Error::Failed("asking the other nodes: lost".into()))?;
            merge_answers(ctx, &both, &mut statuses, &answers);
            // a signal during the calls is not the nodes' answer
            crate::interrupt::check()?;
        } else if let Some(answers) = known {
            merge_answers(ctx, &both, &mut statuses, answers);
        }
        // Pacemaker's view of the services it runs, in the tree across
        // nodes (print status): the exit code stays om's (SPEC 18)
        if !matches!(nodes, Nodes::Here) && exits {
            let services: Vec<&Service> = both.iter().map(|(svc, _)| *svc).collect();
            pacemaker_views(ctx, &services, &mut statuses);
        }
        Ok(Collected {
            statuses,
            broken,
            engines: marks(&engines),
        })
    })
}

/// Answers a caller got from the other nodes.
type Answers<'a> = &'a [(String, NodeAnswer)];

/// The nodes to ask for `services`, and the answers a caller already has
/// when they cover every one of them (then none is asked).
fn to_ask<'a>(
    ctx: &Host,
    nodes: &Nodes<'a>,
    services: &[Service],
) -> (Vec<(String, Vec<String>)>, Option<Answers<'a>>) {
    let asked = match nodes {
        Nodes::Here => Vec::new(),
        Nodes::Ask | Nodes::Known(_) => nodes_to_ask(ctx, services),
    };
    let known = match nodes {
        Nodes::Known(answers)
            if asked
                .iter()
                .all(|(n, _)| answers.iter().any(|(a, _)| a == n)) =>
        {
            Some(*answers)
        }
        _ => None,
    };
    (asked, known)
}

/// What marks each engine's containers of the services (see `Marks`).
fn marks(engines: &[(docker::Engine, Vec<&Service>)]) -> Vec<Marks> {
    engines
        .iter()
        .map(|(engine, members)| Marks {
            engine: engine.clone(),
            names: members
                .iter()
                .flat_map(|s| s.containers.iter().map(|c| c.name.clone()))
                .collect(),
            ids: members
                .iter()
                .map(|s| s.id.clone())
                .filter(|id| !id.is_empty())
                .collect(),
        })
        .collect()
}

/// Each status of a service Pacemaker runs gets Pacemaker's view (one
/// query for them all; none when no service is Pacemaker's). `services`
/// and `statuses` go together, in order.
fn pacemaker_views(ctx: &Host, services: &[&Service], statuses: &mut [ServiceStatus]) {
    let ha: Vec<usize> = (0..services.len().min(statuses.len()))
        .filter(|&i| crate::ha::is_pacemakers(services[i]))
        .collect();
    if ha.is_empty() {
        return;
    }
    let ids: Vec<String> = ha
        .iter()
        .map(|&i| crate::ha::cib::resource_id(&services[i].path))
        .collect();
    for (i, view) in ha.into_iter().zip(crate::ha::view::ask(ctx, &ids)) {
        statuses[i].pacemaker = Some(view);
    }
}

/// The other nodes' answers for the services of `paths`, asked as
/// `collect` asks them, for a caller that asks at its own pace (the
/// watch, at `--interval`): what the configs say is said by the collect
/// that uses the answers, not here.
pub fn ask_others(ctx: &Host, paths: &[SvcPath]) -> Vec<(String, NodeAnswer)> {
    let etc = Under::open(&ctx.roots.etc);
    let services: Vec<Service> = paths
        .iter()
        .filter_map(|p| {
            config::load_noting(p, ctx, &etc, &mut |_| {})
                .ok()
                .map(|(_, svc)| svc)
        })
        .collect();
    ask_nodes(ctx, &nodes_to_ask(ctx, &services))
}

/// What the engine holds under each volume resource's name (SPEC 17): one
/// inspect each, none when the service's private daemon does not run.
fn volume_states(
    svc: &Service,
    engine: &docker::Engine,
    listed: bool,
) -> Vec<crate::resource::volume::State> {
    use crate::resource::volume;
    svc.volumes
        .iter()
        .map(|v| {
            if listed {
                volume::state_of(&volume::seen(engine, &svc.id, v))
            } else {
                volume::State::Down("its docker daemon is not running".into())
            }
        })
        .collect()
}

/// om's own state of a service: whether it is expected started, and the
/// action that holds its lock.
type Local = (bool, Option<String>);

/// Each config read, checked and typed, with om's own state of the
/// service, on every CPU; what each says is said in the services' order.
/// The services that load, their state, and whether one did not.
fn load_all(ctx: &Host, paths: &[SvcPath]) -> (Vec<Service>, Vec<Local>, bool) {
    let (etc, var) = (Under::open(&ctx.roots.etc), Under::open(&ctx.roots.var));
    let loaded = crate::parallel::map(paths, |p| {
        let mut notes = Vec::new();
        let svc = config::load_noting(p, ctx, &etc, &mut |w| notes.push(w)).map(|(_, svc)| {
            let started = state::is_started(&svc.path, &var);
            let running = state::running_action(&svc.path, &var);
            (svc, started, running)
        });
        (notes, svc)
    });
    let mut services = Vec::new();
    let mut local = Vec::new();
    let mut broken = false;
    for (notes, svc) in loaded {
        for n in notes {
            crate::text::say(&n);
        }
        match svc {
            Ok((svc, started, running)) => {
                services.push(svc);
                local.push((started, running));
            }
            Err(e) => {
                crate::text::say(&e.to_string());
                broken = true;
            }
        }
    }
    (services, local, broken)
}

/// The engines involved, each once, with the services on it.
fn by_engine<'a>(ctx: &Host, services: &'a [Service]) -> Vec<(docker::Engine, Vec<&'a Service>)> {
    let mut engines: Vec<(docker::Engine, Vec<&Service>)> = Vec::new();
    for svc in services {
        let engine = docker::daemon::engine_of(svc, ctx);
        match engines.iter_mut().find(|(e, _)| *e == engine) {
            Some((_, members)) => members.push(svc),
            None => engines.push((engine, vec![svc])),
        }
    }
    engines
}

/// Each engine's containers, where every resource's is found as the
/// actions find it (renamed ones by their label), all listed at the same
/// time: the host's (`host_listing`, started before), and each private
/// daemon that runs; one that does not run is not started by a status
/// (SPEC 11), its map is none. A private daemon that fails its listing
/// (stopped meanwhile, hung) costs its own services their status, not the
/// others': it is said, `broken`, and among the engines returned.
fn list_engines(
    ctx: &Host,
    host: &docker::Engine,
    mut host_listing: Option<docker::Listing>,
    engines: &[(docker::Engine, Vec<&Service>)],
    exits: bool,
    broken: &mut bool,
) -> Result<(Vec<Option<Current>>, Vec<docker::Engine>)> {
    let mut listings = Vec::with_capacity(engines.len());
    for (engine, members) in engines {
        let listing = if engine == host {
            host_listing.take().map(Ok)
        } else {
            let runs = members
                .first()
                .and_then(|s| docker::daemon::Daemon::of(s, ctx))
                .is_some_and(|d| d.running().is_some());
            runs.then(|| docker::Listing::start(engine))
        };
        listings.push(listing.transpose()?);
    }
    let mut maps: Vec<Option<Current>> = Vec::with_capacity(engines.len());
    let mut unknown: Vec<docker::Engine> = Vec::new();
    for ((engine, members), listing) in engines.iter().zip(listings) {
        maps.push(
            match listing.map(|l| engine_view(engine, members, l, exits)) {
                Some(Ok(v)) => Some(Current::from_infos(v)),
                Some(Err(e)) if engine != host => {
                    crate::text::say(&e.to_string());
                    *broken = true;
                    unknown.push(engine.clone());
                    None
                }
                Some(Err(e)) => return Err(e),
                None => None,
            },
        );
    }
    Ok((maps, unknown))
}

/// The processes of the ip resources' holders (SPEC 16): one inspect per
/// engine, for all its services.
fn holder_pids(
    engines: &[(docker::Engine, Vec<&Service>)],
    maps: &[Option<Current>],
) -> Vec<ip::Pids> {
    engines
        .iter()
        .zip(maps)
        .map(|((engine, members), map)| {
            let ids: Vec<&str> = map.as_ref().map_or(Vec::new(), |m| {
                members.iter().flat_map(|s| ip::holder_ids(s, m)).collect()
            });
            ip::pids_of(engine, &ids)
        })
        .collect()
}

/// Each other node of the services, with the paths it is asked for: once
/// for all the services it has (`om SEL print status --local --format
/// json` over the transport).
fn nodes_to_ask(ctx: &Host, services: &[Service]) -> Vec<(String, Vec<String>)> {
    let mut asked: Vec<(String, Vec<String>)> = Vec::new();
    for svc in services {
        for node in svc.all_nodes() {
            if crate::nodename::is_local(node, &ctx.node) {
                continue;
            }
            let path = svc.path.to_string();
            match asked.iter_mut().find(|(n, _)| n == node) {
                Some((_, paths)) => paths.push(path),
                None => asked.push((node.to_string(), vec![path])),
            }
        }
    }
    asked
}

/// The other nodes' instances merged into each service's status.
fn merge_answers(
    ctx: &Host,
    services: &[(&Service, &Local)],
    statuses: &mut [ServiceStatus],
    answers: &[(String, NodeAnswer)],
) {
    for ((svc, _), st) in services.iter().zip(statuses.iter_mut()) {
        let nodes = svc.all_nodes();
        let remote: Vec<(String, Remote)> = nodes
            .iter()
            .filter(|n| !crate::nodename::is_local(n, &ctx.node))
            .map(|n| {
                let got = match answers.iter().find(|(a, _)| a == n) {
                    // answered without it: it has no such service (see
                    // ask_nodes), as its om would say it
                    Some((_, Ok(map))) => match map.get(&svc.path.to_string()) {
                        Some((id, i)) if *id == svc.id => Remote::Said(i.clone()),
                        Some((id, _)) => Remote::Silent(format!(
                            "{n} has another service at {} (id {id})",
                            svc.path
                        )),
                        None => Remote::Silent(format!("om: service {} does not exist", svc.path)),
                    },
                    Some((_, Err(e))) => Remote::Silent(e.to_string()),
                    None => Remote::Silent("not asked".into()),
                };
                (n.to_string(), got)
            })
            .collect();
        merge(st, &nodes, remote);
    }
}

/// The view of a service whose private daemon does not run (not started
/// by a status, SPEC 11): down, unless a killed one left its containers
/// running (their shims live), which status never calls down.
fn daemon_view<'a>(ctx: &Host, svc: &Service) -> View<'a> {
    match docker::daemon::Daemon::of(svc, ctx) {
        Some(d) if d.left_containers_running() => View::DaemonLost,
        _ => View::DaemonDown,
    }
}

/// This node's instance of one service, from its engine (a private daemon
/// that does not run is not started: its resources are down).
pub fn local_status(ctx: &Host, svc: &Service) -> Result<ServiceStatus> {
    let started = state::is_started(&svc.path, &Under::paths(&ctx.roots.var));
    let running = state::running_action(&svc.path, &Under::paths(&ctx.roots.var));
    let down = docker::daemon::Daemon::of(svc, ctx).is_some_and(|d| d.running().is_none());
    if down {
        let ips = ip::observe(svc, None, &Ok(Default::default()));
        let syncs = crate::resource::sync::status::observe(ctx, svc);
        let engine = docker::daemon::engine_of(svc, ctx);
        return Ok(service_in(
            svc,
            &ctx.node,
            daemon_view(ctx, svc),
            &ips,
            &syncs,
            &volume_states(svc, &engine, false),
            started,
            running.as_deref(),
        ));
    }
    let engine = docker::daemon::engine_of(svc, ctx);
    let listing = docker::Listing::start(&engine)?;
    // what runs is all it is asked for: no inspect of the stopped ones
    let cur = Current::from_infos(engine_view(&engine, &[svc], listing, false)?);
    let ips = ip::observe_one(&engine, svc, &cur);
    let syncs = crate::resource::sync::status::observe(ctx, svc);
    Ok(service_in(
        svc,
        &ctx.node,
        View::Engine(&cur),
        &ips,
        &syncs,
        &volume_states(svc, &engine, true),
        started,
        running.as_deref(),
    ))
}

/// What the engine has for the services' containers (see
/// `docker::survey`): under their names, and every container carrying a
/// `com.opensvc.id` label of one of the services, under any name and for
/// any rid (renamed behind om's back: `Current::find` tells which is a
/// resource's; a rid the config does not name: `Current::leftovers`).
/// One `docker ps -a` (every container, so a foreign one squatting a name
/// shows too), and one inspect only when a detail is needed: the check
/// output of unhealthy ones, or docker's word on the names when the list
/// came back empty. At most two docker calls, whatever the number of
/// services (SPEC 4.4). A service whose config names no container is
/// asked about too: a container of it may still run. With `exits`, the
/// stopped containers are in that one inspect too: a down container says
/// its exit code and when it stopped (`status`, `ls` and the guard's
/// `local_status`, which show neither, do without).
fn engine_view(
    engine: &docker::Engine,
    services: &[&Service],
    listing: docker::Listing,
    exits: bool,
) -> Result<Vec<ContainerInfo>> {
    let mut names: Vec<&str> = services
        .iter()
        .flat_map(|s| s.containers.iter().map(|c| c.name.as_str()))
        .collect();
    let ids: HashSet<&str> = services
        .iter()
        .map(|s| s.id.as_str())
        .filter(|id| !id.is_empty())
        .collect();
    if names.is_empty() && ids.is_empty() {
        return Ok(Vec::new());
    }
    let ours = |i: &ContainerInfo| {
        i.label(docker::argv::LABEL_ID)
            .and_then(docker::argv::service_and_rid)
            .is_some_and(|(id, _)| ids.contains(id))
    };
    let absence = listing.absence(docker::Absence::Listed);
    let rows = listing.rows()?;
    // those under other names are the services' too (their health check
    // output)
    let renamed: Vec<String> = rows
        .iter()
        .filter(|i| ours(i))
        .map(|i| i.name.clone())
        .collect();
    names.extend(renamed.iter().map(String::as_str));
    let wanted: HashSet<&str> = names.iter().copied().collect();
    Ok(engine
        .survey_listed(rows, &names, true, exits, absence)?
        .into_iter()
        .filter(|i| wanted.contains(i.name.as_str()) || ours(i))
        .collect())
}
