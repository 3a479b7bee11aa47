//! `Mode::Stop`: what finds and stops the containers of a config that does
//! not validate, and the names a stop and a delete find them by.

use super::{daemon, Reading};
use crate::config::eval::{default_container_name, Evaluator};
use crate::config::keywords::{rid_index, SectionKind, CONTAINER_GROUP};
use crate::config::operand;
use crate::config::sections::{self, container::Names, Section};
use crate::config::service::{container_rids, rids_of};
use crate::error::{Error, Result};
use crate::model::{DaemonConfig, Service};
use std::time::Duration;

/// The name of the container `rid` as the config gives it, checked to be
/// one docker takes (never an operand it would read as an option): what a
/// stop and a delete find a container of a config with errors by.
pub fn container_name(eval: &Evaluator, rid: &str) -> Result<String> {
    let name = eval
        .get(rid, "name")
        .map_err(|e| Error::config(format!("{rid}.name"), e.to_string()))?
        .unwrap_or_else(|| default_container_name(eval.path, rid));
    operand::container_name(&name)
        .map_err(|e| Error::config(format!("{rid}.name"), e.to_string()))?;
    Ok(name)
}

/// The container an `[ip#N]` holds its address in (`netns`), and that
/// container's name: what a delete of the section must find stopped.
pub fn ip_holder(eval: &Evaluator, rid: &str) -> Result<Option<(String, String)>> {
    let bad = |why: String| Error::config(format!("{rid}.netns"), why);
    let Some(holder) = eval.get(rid, "netns").map_err(|e| bad(e.to_string()))? else {
        return Ok(None);
    };
    if rid_index(&holder, CONTAINER_GROUP).is_none() {
        return Err(bad(format!(
            "'{}' is not container#N",
            holder.escape_debug()
        )));
    }
    let name = match container_name(eval, &holder) {
        Ok(name) => name,
        Err(Error::Config { why, .. }) => return Err(bad(why)),
        Err(e) => return Err(e),
    };
    Ok(Some((holder, name)))
}

/// `Mode::Stop`: what finds and stops the containers.
pub(super) fn read(eval: &Evaluator) -> Result<Reading> {
    let Some(id) = eval.get("DEFAULT", "id").ok().flatten() else {
        return Err(Error::config("DEFAULT.id", "missing or unreadable"));
    };
    let mut problems = Vec::new();
    let daemon = daemon_for_stop(eval, &mut problems);
    let mut containers = Vec::new();
    let mut names = Names::new();
    for rid in container_rids(eval.doc) {
        match container_name(eval, rid) {
            Ok(name) => {
                names.insert(rid, name.clone());
                containers.push(sections::container::for_stop(&Section { eval, rid }, name));
            }
            Err(Error::Config { key, why }) => {
                problems.push(Error::config(key, format!("{why}: left alone")));
            }
            Err(e) => problems.push(e),
        }
    }
    let ips = rids_of(eval.doc, SectionKind::Ip)
        .into_iter()
        .filter_map(|rid| sections::ip::for_stop(&Section { eval, rid }, &names))
        .collect();
    let disks = rids_of(eval.doc, SectionKind::Disk)
        .into_iter()
        .filter_map(|rid| sections::disk::for_stop(&Section { eval, rid }))
        .collect();
    let fss = rids_of(eval.doc, SectionKind::Fs)
        .into_iter()
        .filter_map(|rid| sections::fs::for_stop(&Section { eval, rid }))
        .collect();
    let volumes = rids_of(eval.doc, SectionKind::Volume)
        .into_iter()
        .filter_map(|rid| sections::volume::for_stop(&Section { eval, rid }, eval.path))
        .collect();
    // a stop acts on this node
    let mut service = Service {
        rollback: false,
        containers,
        ips,
        disks,
        fss,
        volumes,
        daemon,
        ..Service::bare(eval.path.clone(), id, eval.nodename)
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
    Ok(Reading {
        service,
        problems,
        notes,
    })
}

/// The engine the containers are on, for a stop. A stop needs only the
/// socket, which the path gives: a data dir set, however wrong its other
/// keywords (a problem), puts the containers on it.
fn daemon_for_stop(eval: &Evaluator, problems: &mut Vec<Error>) -> Option<DaemonConfig> {
    match daemon(eval) {
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
                .map(|(key, data_dir)| DaemonConfig {
                    key,
                    data_dir,
                    args: Vec::new(),
                    start_timeout: Duration::from_secs(30),
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::eval::EnvVars;
    use crate::config::ini::Document;
    use crate::config::read::{line, read, Mode};
    use crate::paths::SvcPath;

    fn for_stop_of(text: &str) -> Reading {
        let doc = Document::parse(text).unwrap();
        let path = SvcPath::parse("s").unwrap();
        read(&Evaluator::new(&doc, &path, "n", EnvVars::NONE), Mode::Stop).unwrap()
    }

    #[test]
    fn reads_what_a_stop_needs_from_an_invalid_config() {
        let Reading {
            service: svc,
            problems,
            ..
        } = for_stop_of(
            "[DEFAULT]\nid = x\n[container#1]\nimage = --privileged\nrm = maybe\nsubset = ../../e\nstop_timeout = 3\n[container#2]\nname = --help\n[container#3]\nnetns = container#1\ncommand = {nope}\n",
        );
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
        assert!(
            line(&problems[0]).contains("container#2.name"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_namespace_cycle_does_not_stop_the_stop() {
        let reading = for_stop_of(
            "[DEFAULT]\nid = x\n[container#1]\nnetns = container#2\n[container#2]\nnetns = container#1\n",
        );
        assert!(reading.problems.is_empty(), "{:?}", reading.problems);
        assert!(reading.notes[0].contains("cycle"), "{:?}", reading.notes);
        let all = reading.service.resources();
        assert!(crate::action::plan::stop_stages(&reading.service, &all).is_ok());
    }

    fn eval_of<'a>(doc: &'a Document, path: &'a SvcPath) -> Evaluator<'a> {
        Evaluator::new(doc, path, "n", EnvVars::NONE)
    }

    #[test]
    fn an_ip_holder_is_read_as_this_node_reads_it() {
        let path = SvcPath::parse("s").unwrap();
        let holder = |ip: &str| {
            let doc = Document::parse(&format!(
                "[DEFAULT]\nid = x\n[container#1]\n[container#2]\nname = --help\n[env]\nh = container#1\n[ip#1]\n{ip}"
            ))
            .unwrap();
            ip_holder(&eval_of(&doc, &path), "ip#1").map_err(|e| line(&e))
        };
        let one = Some(("container#1".to_string(), "s.container.1".to_string()));
        // this node's scope and a reference, as a stop and a start read them
        assert_eq!(
            holder("netns = container#9\nnetns@n = container#1\n"),
            Ok(one.clone())
        );
        assert_eq!(holder("netns = {env.h}\n"), Ok(one));
        assert_eq!(holder("ipname = a\n"), Ok(None));
        assert_eq!(
            holder("netns = host\n"),
            Err("ip#1.netns: 'host' is not container#N".to_string())
        );
        let e = holder("netns = container#2\n").unwrap_err();
        assert!(
            e.starts_with("ip#1.netns: '--help' is not a docker container name"),
            "{e}"
        );
        let e = holder("netns = {nope}\n").unwrap_err();
        assert_eq!(e, "ip#1.netns: unknown reference {nope}");
    }

    #[test]
    fn both_modes_read_the_same_names_and_a_stop_keeps_what_does_not_read_at_its_default() {
        let text = "[DEFAULT]\nid = x\nnodes = n\n[env]\nn = web\n[container#1]\ntype = docker\nimage = a\nname = {env.n}\nname@n = {env.n}-here\n[container#2]\ntype = docker\nimage = a\n";
        let doc = Document::parse(text).unwrap();
        let path = SvcPath::parse("s").unwrap();
        let eval = eval_of(&doc, &path);
        let names = |svc: &Service| -> Vec<String> {
            svc.containers.iter().map(|c| c.name.clone()).collect()
        };
        let whole = read(&eval, Mode::Whole).unwrap().service;
        let stop = read(&eval, Mode::Stop).unwrap().service;
        assert_eq!(names(&whole), ["web-here", "s.container.2"]);
        assert_eq!(names(&stop), names(&whole));
        assert_eq!(container_name(&eval, "container#1").unwrap(), "web-here");
        // a detach that does not read is detach's default (true): the
        // container is not taken for one docker removes
        let r = for_stop_of("[DEFAULT]\nid = x\n[container#1]\ndetach = {nope}\n");
        let c = &r.service.containers[0];
        assert_eq!((c.detach, c.rm), (true, false));
    }
}
