//! The service as far as a stop needs it, from a config that does not
//! validate (a hand edit, a rule om did not have when the file was
//! written): `stop` always works on a service whose config can be read
//! (SPEC 7). Only what finds and stops a container is read: its name, its
//! rm, its stop timeout and its order; a name that is not a docker name is
//! left out rather than guessed.

use super::eval::{default_container_name, EnvVars, Evaluator};
use super::ini::Document;
use super::keywords::{rid_index, CONTAINER_GROUP};
use super::operand;
use super::service::container_rids;
use crate::model::Container;
use crate::model::Service;
use crate::paths::SvcPath;
use crate::units::{parse_bool, parse_duration};

/// What the lenient reading found.
pub struct Lenient {
    /// `None` without a readable `id`.
    pub service: Option<Service>,
    /// Containers that could not be identified (one line each).
    pub problems: Vec<String>,
    /// What was read otherwise than written (a namespace cycle ignored).
    pub notes: Vec<String>,
}

/// The containers of `doc` as far as a stop needs them.
pub fn build(doc: &Document, path: &SvcPath, nodename: &str, env: &EnvVars) -> Lenient {
    let eval = Evaluator::new(doc, path, nodename, env);
    let mut problems = Vec::new();
    let Some(id) = eval.get("DEFAULT", "id").ok().flatten() else {
        return Lenient {
            service: None,
            problems: vec!["DEFAULT.id: missing or unreadable".into()],
            notes: Vec::new(),
        };
    };
    // The engine the containers are on. A stop needs only the socket,
    // which the path gives: a data dir set, however wrong its other
    // keywords, puts the containers on it.
    let daemon = match super::build::daemon_of(&eval) {
        Ok(d) => d,
        Err(e) => {
            problems.push(e);
            ["docker_data_dir", "container_data_dir"]
                .iter()
                .find_map(|k| {
                    eval.get("DEFAULT", k)
                        .ok()
                        .flatten()
                        .filter(|v| !v.is_empty())
                        .map(|v| (*k, v))
                })
                .map(|(key, data_dir)| crate::model::DaemonConfig {
                    key,
                    data_dir,
                    args: Vec::new(),
                    start_timeout: std::time::Duration::from_secs(30),
                })
        }
    };
    let mut containers = Vec::new();
    for rid in container_rids(doc) {
        let text = |key: &str| eval.get(rid, key).ok().flatten();
        let flag = |key: &str, default: bool| {
            text(key)
                .and_then(|v| parse_bool(&v).ok())
                .unwrap_or(default)
        };
        // A name that is set but does not evaluate is not guessed.
        let name = match eval.get(rid, "name") {
            Ok(Some(n)) => n,
            Ok(None) => default_container_name(path, rid),
            Err(e) => {
                problems.push(format!("{rid}.name: {e}: left alone"));
                continue;
            }
        };
        if let Err(e) = operand::container_name(&name) {
            problems.push(format!("{rid}.name: {e}: left alone"));
            continue;
        }
        let depends_on = ["netns", "pidns", "ipcns"]
            .iter()
            .filter_map(|k| text(k))
            .filter(|v| rid_index(v, CONTAINER_GROUP).is_some() && v != rid)
            .collect();
        let detach = flag("detach", true);
        containers.push(Container {
            head: crate::model::Head {
                rid: rid.into(),
                disable: flag("disable", false),
                optional: flag("optional", false),
                subset: text("subset").filter(|s| operand::subset(s).is_ok()),
                ..Default::default()
            },
            image: text("image").unwrap_or_default(),
            name,
            rm: flag("rm", false) || !detach,
            detach,
            stop_timeout: text("stop_timeout").and_then(|v| parse_duration(&v).ok()),
            depends_on,
            ..Container::default()
        });
    }
    // an ip resource's stop needs its holder and its link's name (om finds
    // its link by its marker): those read, the rest left as it is
    let holders: std::collections::HashSet<&str> =
        containers.iter().map(|c| c.head.rid.as_str()).collect();
    let ips = super::service::rids_of(doc, super::keywords::SectionKind::Ip)
        .into_iter()
        .filter_map(|rid| {
            let text = |key: &str| eval.get(rid, key).ok().flatten();
            let holder = text("netns").filter(|h| holders.contains(h.as_str()))?;
            let nsdev = text("nsdev").unwrap_or_else(|| "eth0".into());
            let ok = crate::resource::ip::check_link_name(&nsdev).is_ok();
            ok.then(|| crate::model::Ip {
                head: crate::model::Head {
                    rid: rid.into(),
                    disable: text("disable")
                        .and_then(|v| parse_bool(&v).ok())
                        .unwrap_or(false),
                    ..Default::default()
                },
                holder,
                ipname: text("ipname").unwrap_or_default(),
                nsdev,
                ..Default::default()
            })
        })
        .collect();
    // a stop acts on this node; a config that does not validate runs no
    // trigger and sets no limit
    let mut service = Service {
        rollback: false,
        containers,
        ips,
        daemon,
        ..Service::bare(path.clone(), id, nodename)
    };
    // A namespace cycle (the hand edit that brought us here, maybe) must
    // not stop the stop: then the order is plain reverse rid order.
    let mut notes = Vec::new();
    let all = service.resources();
    if let Err(e) = crate::action::plan::start_stages(&service, &all) {
        notes.push(format!("{e}: acting in rid order"));
        for c in &mut service.containers {
            c.depends_on.clear();
        }
    }
    Lenient {
        service: Some(service),
        problems,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_a_stop_needs_from_an_invalid_config() {
        let doc = Document::parse(
            "[DEFAULT]\nid = x\n[container#1]\nimage = --privileged\nrm = maybe\nsubset = ../../e\nstop_timeout = 3\n[container#2]\nname = --help\n[container#3]\nnetns = container#1\ncommand = {nope}\n",
        )
        .unwrap();
        let path = SvcPath::parse("s").unwrap();
        let Lenient {
            service, problems, ..
        } = build(&doc, &path, "n", EnvVars::NONE);
        let svc = service.unwrap();
        let rids: Vec<&str> = svc.containers.iter().map(|c| c.head.rid.as_str()).collect();
        assert_eq!(rids, ["container#1", "container#3"]);
        let c1 = &svc.containers[0];
        assert_eq!(
            (c1.name.as_str(), c1.rm, c1.head.subset.as_ref()),
            ("s.container.1", false, None)
        );
        assert_eq!(c1.stop_timeout, Some(std::time::Duration::from_secs(3)));
        assert_eq!(svc.containers[1].depends_on, ["container#1"]);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("container#2.name"), "{problems:?}");
    }

    #[test]
    fn a_namespace_cycle_does_not_stop_the_stop() {
        let doc = Document::parse(
            "[DEFAULT]\nid = x\n[container#1]\nnetns = container#2\n[container#2]\nnetns = container#1\n",
        )
        .unwrap();
        let path = SvcPath::parse("s").unwrap();
        let l = build(&doc, &path, "n", EnvVars::NONE);
        let svc = l.service.unwrap();
        assert!(l.problems.is_empty(), "{:?}", l.problems);
        assert!(l.notes[0].contains("cycle"), "{:?}", l.notes);
        let all = svc.resources();
        assert!(crate::action::plan::stop_stages(&svc, &all).is_ok());
    }
}
