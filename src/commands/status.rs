//! `status` and `print status`: one `docker ps -a` for all the containers
//! of all the selected services (and one inspect of the unhealthy ones).

use super::Ctx;
use crate::cli::{Color, Format, PrintStatusArgs};
use crate::config;
use crate::docker;
use crate::docker::current::Current;
use crate::docker::inspect::ContainerInfo;
use crate::error::{Error, Result};
use crate::fsutil::Under;
use crate::model::Service;
use crate::resource::ip;
use crate::state;
use crate::status::{self, render::render, ServiceStatus};
use crate::transport::Reach;
use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;

/// The status of every selected service; services whose config does not
/// load are reported and counted as failures.
fn collect(ctx: &Ctx, selector: &str, everywhere: bool) -> Result<(Vec<ServiceStatus>, bool)> {
    let paths = ctx.select(selector)?;
    // The host's engine lists its containers while the configs are read:
    // on a thousand services, the two take about as long (scripts/bench
    // (g)). Dropped unread when no service turns out to be on it.
    let host = docker::Engine::host(&ctx.docker);
    let mut host_listing = if paths.is_empty() {
        None
    } else {
        Some(docker::Listing::start(&host)?)
    };
    // Each config read, checked and typed, with om's own state of the
    // service, on every CPU; what each says is said in the services' order.
    let (etc, var) = (Under::open(&ctx.roots.etc), Under::open(&ctx.roots.var));
    let loaded = crate::par::map(&paths, |p| {
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
    // The other nodes are asked while this node's engines list (SPEC 12):
    // a status across nodes costs the slowest of them, not their sum.
    let asked = if everywhere {
        nodes_to_ask(ctx, &services)
    } else {
        Vec::new()
    };
    std::thread::scope(|scope| {
        let remote = (!asked.is_empty()).then(|| scope.spawn(|| ask_nodes(ctx, &asked)));
        // The engines involved, each listed once, all at the same time: the
        // host's (started above), and each private daemon that runs; one that
        // does not run is not started by a status (SPEC 11).
        let mut engines: Vec<(docker::Engine, Vec<&Service>)> = Vec::new();
        for svc in &services {
            let engine = docker::daemon::engine_of(svc, ctx);
            match engines.iter_mut().find(|(e, _)| *e == engine) {
                Some((_, members)) => members.push(svc),
                None => engines.push((engine, vec![svc])),
            }
        }
        let mut listings = Vec::with_capacity(engines.len());
        for (engine, members) in &engines {
            let listing = if *engine == host {
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
        // A private daemon that fails its listing (stopped meanwhile, hung)
        // costs its own services their status, not the others'.
        let mut views: Vec<Option<Vec<ContainerInfo>>> = Vec::with_capacity(engines.len());
        let mut unknown: Vec<&docker::Engine> = Vec::new();
        for ((engine, members), listing) in engines.iter().zip(listings) {
            views.push(match listing.map(|l| engine_view(engine, members, l)) {
                Some(Ok(v)) => Some(v),
                Some(Err(e)) if *engine != host => {
                    crate::text::say(&e.to_string());
                    broken = true;
                    unknown.push(engine);
                    None
                }
                Some(Err(e)) => return Err(e),
                None => None,
            });
        }
        // each engine's containers, where every resource's is found as the
        // actions find it (renamed ones by their label)
        let maps: Vec<Option<Current>> = views
            .into_iter()
            .map(|v| v.map(Current::from_infos))
            .collect();
        // the processes of the ip resources' holders (SPEC 16): one
        // inspect per engine, for all its services
        let pids: Vec<ip::Pids> = engines
            .iter()
            .zip(&maps)
            .map(|((engine, members), map)| {
                let ids: Vec<&str> = map.as_ref().map_or(Vec::new(), |m| {
                    members.iter().flat_map(|s| ip::holder_ids(s, m)).collect()
                });
                ip::pids_of(engine, &ids)
            })
            .collect();
        let both: Vec<_> = services
            .iter()
            .zip(&local)
            .filter(|(svc, _)| !unknown.contains(&&docker::daemon::engine_of(svc, ctx)))
            .collect();
        let statuses = crate::par::map(&both, |(svc, (started, running))| {
            let engine = docker::daemon::engine_of(svc, ctx);
            let at = engines.iter().position(|(e, _)| *e == engine);
            let seen = at.and_then(|i| maps[i].as_ref());
            let none = Ok(Default::default());
            let ips = ip::observe(svc, seen, at.map_or(&none, |i| &pids[i]));
            let view = match seen {
                Some(cur) => status::View::Engine(cur),
                None => daemon_view(ctx, svc),
            };
            status::service_in(svc, &ctx.node, view, &ips, *started, running.as_deref())
        });
        let mut statuses = statuses;
        if let Some(remote) = remote {
            let answers = remote
                .join()
                .map_err(|_| Error::Failed("asking the other nodes: lost".into()))?;
            merge_answers(ctx, &both, &mut statuses, &answers);
            // a signal during the calls is not the nodes' answer
            crate::interrupt::check()?;
        }
        Ok((statuses, broken))
    })
}

/// Each other node of the services, with the paths it is asked for: once
/// for all the services it has (`om SEL print status --local --format
/// json` over the transport).
fn nodes_to_ask(ctx: &Ctx, services: &[Service]) -> Vec<(String, Vec<String>)> {
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
    ctx: &Ctx,
    services: &[(&Service, &(bool, Option<String>))],
    statuses: &mut [ServiceStatus],
    answers: &[(String, NodeAnswer)],
) {
    for ((svc, _), st) in services.iter().zip(statuses.iter_mut()) {
        let nodes = svc.all_nodes();
        let remote: Vec<(String, status::Remote)> = nodes
            .iter()
            .filter(|n| !crate::nodename::is_local(n, &ctx.node))
            .map(|n| {
                let got = match answers.iter().find(|(a, _)| a == n) {
                    // answered without it: it has no such service (see
                    // ask_nodes), as its om would say it
                    Some((_, Ok(map))) => match map.get(&svc.path.to_string()) {
                        Some((id, i)) if *id == svc.id => Ok(i.clone()),
                        Some((id, _)) => {
                            Err(format!("{n} has another service at {} (id {id})", svc.path))
                        }
                        None => Err(format!("om: service {} does not exist", svc.path)),
                    },
                    Some((_, Err(e))) => Err(e.to_string()),
                    None => Err("not asked".into()),
                };
                (n.to_string(), got)
            })
            .collect();
        status::merge(st, &nodes, remote);
    }
}

/// The view of a service whose private daemon does not run (not started
/// by a status, SPEC 11): down, unless a killed one left its containers
/// running (their shims live), which status never calls down.
fn daemon_view<'a>(ctx: &Ctx, svc: &Service) -> status::View<'a> {
    match docker::daemon::Daemon::of(svc, ctx) {
        Some(d) if d.left_containers_running() => status::View::DaemonLost,
        _ => status::View::DaemonDown,
    }
}

/// This node's instance of one service, from its engine (a private daemon
/// that does not run is not started: its resources are down).
pub fn local_status(ctx: &Ctx, svc: &Service) -> Result<ServiceStatus> {
    let started = state::is_started(&svc.path, &Under::paths(&ctx.roots.var));
    let running = state::running_action(&svc.path, &Under::paths(&ctx.roots.var));
    let down = docker::daemon::Daemon::of(svc, ctx).is_some_and(|d| d.running().is_none());
    if down {
        let ips = ip::observe(svc, None, &Ok(Default::default()));
        return Ok(status::service_in(
            svc,
            &ctx.node,
            daemon_view(ctx, svc),
            &ips,
            started,
            running.as_deref(),
        ));
    }
    let engine = docker::daemon::engine_of(svc, ctx);
    let listing = docker::Listing::start(&engine)?;
    let cur = Current::from_infos(engine_view(&engine, &[svc], listing)?);
    let ips = ip::observe_one(&engine, svc, &cur);
    Ok(status::service_in(
        svc,
        &ctx.node,
        status::View::Engine(&cur),
        &ips,
        started,
        running.as_deref(),
    ))
}

/// What each other node of a service says of it.
pub type Answers = Vec<(String, Word)>;

/// What another node says of a service.
pub enum Word {
    /// It may run there (see `InstanceStatus::runs`); `up`: all of it.
    Runs { up: bool },
    /// It does not.
    Not,
    /// The node has no such service (no config for the path): om runs
    /// nothing of it there, and can not start it there.
    Absent,
    /// The node can not tell, or says something om can not take as a
    /// word on this service (another id at the path, a start under way):
    /// why.
    Unknown(String),
}

/// The actions that, holding a node's lock, may start the service there.
const STARTING: [&str; 6] = [
    "start",
    "provision",
    "restart",
    "deploy",
    "takeover",
    "giveback",
];

/// What `node`'s answer says of `svc` (see `Word`).
pub fn word_of(node: &str, svc: &Service, answer: Option<&RemoteInstance>) -> Word {
    let Some((id, i)) = answer else {
        return Word::Absent;
    };
    if *id != svc.id {
        return Word::Unknown(format!(
            "{node} has another service at {} (id {id})",
            svc.path
        ));
    }
    if i.avail == status::Avail::Unknown {
        // its engine could not tell it
        return Word::Unknown(i.notice.clone());
    }
    if i.runs() {
        return Word::Runs {
            up: i.avail == status::Avail::Up,
        };
    }
    // down, but an action that may start it holds the lock there
    let notice_words: Vec<&str> = i.notice.split(", ").collect();
    if let Some(action) = STARTING.iter().find(|a| notice_words.contains(a)) {
        return Word::Unknown(format!("a {action} is under way on {node}"));
    }
    Word::Not
}

/// Every other node of `svc`, asked at the same time, and what each says
/// of it: the guard before a start and switch read it the same way.
pub fn other_nodes(ctx: &Ctx, svc: &Service) -> Result<Answers> {
    nodes_say(ctx, svc, |n| !crate::nodename::is_local(n, &ctx.node))
}

/// What the other nodes of `svc` that `which` picks say of it, asked at
/// the same time.
pub fn nodes_say(ctx: &Ctx, svc: &Service, which: impl Fn(&str) -> bool) -> Result<Answers> {
    let path = svc.path.to_string();
    let asked: Vec<(String, Vec<String>)> = svc
        .all_nodes()
        .into_iter()
        .filter(|n| !crate::nodename::is_local(n, &ctx.node) && which(n))
        .map(|n| (n.to_string(), vec![path.clone()]))
        .collect();
    if asked.is_empty() {
        return Ok(Vec::new());
    }
    // each call in the service's log (not on the terminal: a question)
    let log = super::service_log(ctx, &svc.path, true);
    for (node, _) in &asked {
        let sel = exact_glob(&path);
        log.svc(
            crate::logger::Level::Info,
            &ctx.transport.shown(node, &status_words(&sel)),
        );
    }
    let answers = ask_nodes(ctx, &asked);
    // a signal during the calls is not the nodes' answer
    crate::interrupt::check()?;
    Ok(answers
        .into_iter()
        .map(|(node, answer)| {
            let word = match answer {
                // a whole answer without the service: the node has no such
                // service (see ask_nodes)
                Ok(instances) => word_of(&node, svc, instances.get(&path)),
                Err(Reach::Refused(e)) if status::not_configured(&e, &path) => Word::Absent,
                Err(e) => Word::Unknown(e.to_string()),
            };
            (node, word)
        })
        .collect())
}

/// A service's id on a node, and its instance there.
pub type RemoteInstance = (String, status::InstanceStatus);

/// Each service's instance on a node, by path, or why the node said none.
pub type NodeAnswer = std::result::Result<HashMap<String, RemoteInstance>, Reach>;

/// Asks each node, all at the same time, for its instances of the paths
/// listed for it: `om SEL print status --local --format json`, each path
/// in SEL as a glob that matches it alone (`[s]vc1`): a path the node does
/// not have is then missing from a whole answer (exit 0) instead of
/// failing the answer for the others. A config that does not load there
/// still fails it (exit 1): no word on any.
pub fn ask_nodes(ctx: &Ctx, asked: &[(String, Vec<String>)]) -> Vec<(String, NodeAnswer)> {
    let (transport, bound) = (&ctx.transport, ctx.docker.bound);
    std::thread::scope(|s| {
        let calls: Vec<_> = asked
            .iter()
            .map(|(node, paths)| {
                s.spawn(move || {
                    let sel: Vec<String> = paths.iter().map(|p| exact_glob(p)).collect();
                    let sel = sel.join(",");
                    let got = transport
                        .query(node, &status_words(&sel), bound)
                        .and_then(|text| remote_instances(node, &text).map_err(Reach::Refused));
                    (node.clone(), got)
                })
            })
            .collect();
        calls
            .into_iter()
            .zip(asked)
            .map(|(c, (node, _))| {
                c.join().unwrap_or_else(|_| {
                    (
                        node.clone(),
                        Err(Reach::Unreachable("the call was lost".into())),
                    )
                })
            })
            .collect()
    })
}

/// What another node is asked: its instances of the services `sel` picks.
fn status_words(sel: &str) -> [&str; 6] {
    [sel, "print", "status", "--local", "--format", "json"]
}

/// A glob that matches `path` alone: its first character as a class (a
/// path starts with a letter or a digit, never a glob character).
fn exact_glob(path: &str) -> String {
    let mut chars = path.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphanumeric() => format!("[{c}]{}", chars.as_str()),
        _ => path.to_string(),
    }
}

/// A node's `print status --local --format json` stream: its instance of
/// each service, by path. Another status schema is an error naming both.
fn remote_instances(
    node: &str,
    text: &str,
) -> std::result::Result<HashMap<String, RemoteInstance>, String> {
    let mut out = HashMap::new();
    for doc in serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>() {
        let doc = doc.map_err(|e| format!("{node}: unreadable status: {e}"))?;
        let schema = doc
            .get("schema")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(1);
        if schema != u64::from(status::SCHEMA) {
            return Err(format!(
                "{node} runs om with status schema {schema}, this one {}",
                status::SCHEMA
            ));
        }
        let path = doc
            .get("path")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| format!("{node}: a status without a path"))?
            .to_string();
        let id = doc
            .get("id")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| format!("{node}: a status without an id"))?
            .to_string();
        let inst = doc
            .get("instances")
            .and_then(|i| i.get(0))
            .cloned()
            .ok_or_else(|| format!("{node}: a status without an instance"))?;
        let inst: status::InstanceStatus =
            serde_json::from_value(inst).map_err(|e| format!("{node}: unreadable status: {e}"))?;
        out.insert(path, (id, inst));
    }
    Ok(out)
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
/// asked about too: a container of it may still run.
fn engine_view(
    engine: &docker::Engine,
    services: &[&Service],
    listing: docker::Listing,
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
        .survey_listed(rows, &names, true, docker::Absence::Listed)?
        .into_iter()
        .filter(|i| wanted.contains(i.name.as_str()) || ours(i))
        .collect())
}

/// The exit code says the status; 4 says om could not tell (no such
/// service, a config that does not load, an engine or a query that did not
/// answer), never "down" (SPEC 3).
///
/// Across nodes (without `--local`) the code is the service's, as the
/// status tree's first line says it: up when one node runs it, whatever a
/// silent node; 4 only when this node's answer can not decide (down here,
/// and a node that did not answer may run it).
pub fn exit_status(ctx: &Ctx, selector: &str, local: bool) -> Result<()> {
    let (statuses, broken) = match collect(ctx, selector, !local) {
        Ok(r) => r,
        Err(e) if e.said() => return Err(Error::StatusUnknown),
        Err(e) => {
            crate::text::say(&e.to_string());
            return Err(Error::StatusUnknown);
        }
    };
    if broken {
        return Err(Error::StatusUnknown);
    }
    // Several services: the first one that is not up, in path order (as the
    // docker passthrough exits with the first non-zero code).
    match statuses.iter().map(|s| s.overall.code()).find(|c| *c != 0) {
        Some(code) => Err(Error::Status(code)),
        None => Ok(()),
    }
}

pub fn print(ctx: &Ctx, selector: &str, args: &PrintStatusArgs) -> Result<()> {
    let (statuses, broken) = collect(ctx, selector, !args.local)?;
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => !ctx.no_color && std::io::stdout().is_terminal(),
    };
    // Each service's text on every CPU, then written in order.
    let texts = crate::par::map(&statuses, |st| match args.format {
        Format::Text => Ok(render(st, color)),
        Format::Json => serde_json::to_string_pretty(st)
            .map(|doc| doc + "\n")
            .map_err(|e| Error::Failed(format!("json: {e}"))),
    });
    let mut out = String::new();
    for (i, text) in texts.into_iter().enumerate() {
        if i > 0 && args.format == Format::Text {
            out.push('\n');
        }
        out.push_str(&text?);
    }
    super::out(&out)?;
    if broken {
        return Err(Error::Said);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::exact_glob;
    use crate::paths::SvcPath;
    use crate::selector::select;

    #[test]
    fn a_path_asked_of_another_node_matches_itself_alone_and_may_be_missing() {
        let all: Vec<SvcPath> = ["svc1", "svc10", "ns1/svc/svc1", "xvc1"]
            .iter()
            .map(|p| SvcPath::parse(p).unwrap())
            .collect();
        let sel = ["svc1", "ns1/svc/svc1", "missing"]
            .map(exact_glob)
            .join(",");
        let got: Vec<String> = select(&sel, &all)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(got, ["ns1/svc/svc1", "svc1"]);
    }
}

#[cfg(test)]
mod word_tests {
    use super::{word_of, Word};
    use crate::model::Service;
    use crate::status::{Avail, InstanceStatus};

    fn svc() -> Service {
        Service {
            nodes: vec!["n1".into(), "n2".into()],
            ..Service::for_test("db1", Vec::new())
        }
    }

    fn inst(avail: Avail, notice: &str) -> InstanceStatus {
        InstanceStatus {
            node: "n2".into(),
            avail,
            overall: avail,
            notice: notice.into(),
            started: false,
            resources: Vec::new(),
        }
    }

    fn word(id: &str, avail: Avail, notice: &str) -> Word {
        word_of("n2", &svc(), Some(&(id.to_string(), inst(avail, notice))))
    }

    #[test]
    fn what_another_node_says_of_the_service() {
        assert!(matches!(
            word("id1", Avail::Up, "idle"),
            Word::Runs { up: true }
        ));
        assert!(matches!(word("id1", Avail::Down, "idle"), Word::Not));
        assert!(matches!(word_of("n2", &svc(), None), Word::Absent));
        // another service at the path is no word on this one
        let Word::Unknown(why) = word("id9", Avail::Up, "idle") else {
            panic!("another id")
        };
        assert_eq!(why, "n2 has another service at db1 (id id9)");
        // down, but a start holds the lock there: it may run in a moment
        let Word::Unknown(why) = word("id1", Avail::Down, "start") else {
            panic!("a start under way")
        };
        assert_eq!(why, "a start is under way on n2");
        assert!(matches!(
            word("id1", Avail::Down, "warn, provision, started"),
            Word::Unknown(_)
        ));
        // a stop under way is not a start
        assert!(matches!(word("id1", Avail::Down, "stop"), Word::Not));
        // its engine could not tell
        assert!(matches!(
            word("id1", Avail::Unknown, "docker engine unreachable"),
            Word::Unknown(_)
        ));
    }
}
