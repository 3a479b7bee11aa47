//! The one typed reader of a config: a `Document`, read for one node by
//! its `Evaluator`, becomes the typed `Service`, each resource section read
//! by its kind's parser in `sections`, then the service's own keywords
//! (subsets, nodes, daemon, triggers, limits).
//!
//! It reads in one of two modes (`Mode`): the whole config, checked, for
//! everything that acts on it; or, for a stop, a purge and a delete of a
//! config that does not validate (a hand edit, a rule om did not have when
//! the file was written), what finds and stops its containers: `stop`
//! always works on a service whose config can be read (SPEC 7). A keyword
//! is read in its kind's parser, in both modes, and nowhere else.

use super::eval::Evaluator;
use super::keywords::{subset_name, subset_section, unscoped, SectionKind};
use super::operand;
use super::sections::container::Names;
use super::sections::{self, Rids, Section};
use super::service::{container_rids, rids_of};
use crate::error::{Error, Result};
use crate::model::{Container, DaemonConfig, Head, Ip, Limits, Service, Triggers, Volume};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

mod stop;

pub use stop::{container_name, ip_holder};

/// How much of a config the reader reads, and what stops it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every keyword, checked: the first problem is the error.
    Whole,
    /// What a stop (a purge, a delete) needs from a config with errors:
    /// the id, the engine, each container's name, rm, stop timeout, order
    /// and flags, each ip's holder and link. A value that does not read is
    /// its default; a container whose name does not read is left alone (a
    /// problem); an ip whose holder or link does not read is left out. A
    /// config that does not validate runs no trigger and sets no limit.
    Stop,
}

/// What the reader found.
pub struct Reading {
    pub service: Service,
    /// In `Mode::Stop`, what could not be read and matters: a container
    /// left alone, a daemon's keyword. None means every container of the
    /// config is identified (a delete needs that).
    pub problems: Vec<Error>,
    /// In `Mode::Stop`, what was read otherwise than written (a namespace
    /// cycle ignored).
    pub notes: Vec<String>,
}

/// Reads the config `eval` evaluates, in `mode`. `Mode::Whole` fails on
/// the first problem; `Mode::Stop` only without a readable id.
pub fn read(eval: &Evaluator, mode: Mode) -> Result<Reading> {
    match mode {
        Mode::Whole => Ok(Reading {
            service: whole(eval)?,
            problems: Vec::new(),
            notes: Vec::new(),
        }),
        Mode::Stop => stop::read(eval),
    }
}

/// The line a reader's error says (uncut: a check reports it whole).
pub fn line(e: &Error) -> String {
    match e {
        Error::Config { key, why } => format!("{key}: {why}"),
        Error::Failed(msg) => msg.clone(),
        other => other.to_string(),
    }
}

/// The service's own section.
fn service_section<'g, 'a>(eval: &'g Evaluator<'a>) -> Section<'g, 'a> {
    Section {
        eval,
        rid: "DEFAULT",
    }
}

/// Every keyword, checked, in the order their errors are said.
fn whole(eval: &Evaluator) -> Result<Service> {
    let doc = eval.doc;
    let service = service_section(eval);
    let id = service
        .value("id")?
        .ok_or_else(|| Error::config("DEFAULT.id", "missing"))?
        .into_owned();
    let rollback = service.flag("rollback")?;
    let container_rids = container_rids(doc);
    let names = container_names(eval, &container_rids)?;
    let ip_rids = rids_of(doc, SectionKind::Ip);
    let disk_rids = rids_of(doc, SectionKind::Disk);
    let fs_rids = rids_of(doc, SectionKind::Fs);
    let volume_rids = rids_of(doc, SectionKind::Volume);
    let data_rids = || {
        disk_rids
            .iter()
            .chain(&fs_rids)
            .chain(&volume_rids)
            .copied()
    };
    let ip_set: HashSet<&str> = ip_rids.iter().copied().chain(data_rids()).collect();
    let known = |r: &str| names.contains_key(r) || ip_set.contains(r);
    let all = || {
        let mut every: Vec<&str> = names
            .keys()
            .copied()
            .chain(ip_rids.iter().copied())
            .chain(data_rids())
            .collect();
        every.sort_unstable();
        every.join(" ")
    };
    let rids = Rids {
        known: &known,
        all: &all,
    };
    let containers = container_rids
        .iter()
        .map(|rid| container(eval, rid, &names, &rids))
        .collect::<Result<Vec<_>>>()?;
    let ips = ips(eval, &ip_rids, &names, &rids, &containers)?;
    let data = data(eval, &disk_rids, &fs_rids, &volume_rids, &rids)?;
    let data_heads: Vec<&Head> = data
        .disks
        .iter()
        .map(|d| &d.head)
        .chain(data.fss.iter().map(|f| &f.head))
        .chain(data.volumes.iter().map(|v| &v.head))
        .collect();
    let subsets = subsets(eval, &containers, &ips, &data_heads)?;
    let daemon = daemon(eval)?;
    let (nodes, drpnodes) = node_lists(eval)?;
    let ha = ha(eval)?;
    let subset_limits = subset_limits(eval, &subsets)?;
    let trigger_timeout = service
        .duration("trigger_timeout")?
        .unwrap_or(crate::model::trigger::TIMEOUT);
    Ok(Service {
        path: eval.path.clone(),
        id,
        rollback,
        containers,
        ips,
        disks: data.disks,
        fss: data.fss,
        syncs: data.syncs,
        volumes: data.volumes,
        subsets,
        daemon,
        nodes,
        drpnodes,
        ha,
        triggers: triggers(eval, "DEFAULT")?,
        trigger_timeout,
        limits: limits(eval, "DEFAULT")?,
        subset_limits,
        index: Default::default(),
    })
}

/// Each container's name, by rid.
fn container_names<'a>(eval: &Evaluator, container_rids: &[&'a str]) -> Result<Names<'a>> {
    container_rids
        .iter()
        .map(|rid| {
            // never None: the evaluator gives the computed default
            let name = Section { eval, rid }.value("name")?;
            Ok((*rid, name.unwrap_or_default().into_owned()))
        })
        .collect()
}

/// The data kinds' sections (SPEC 17), each kind in rid order.
struct Data {
    disks: Vec<crate::model::Disk>,
    fss: Vec<crate::model::Fs>,
    syncs: Vec<crate::model::DataSync>,
    volumes: Vec<crate::model::Volume>,
}

fn data(
    eval: &Evaluator,
    disk_rids: &[&str],
    fs_rids: &[&str],
    volume_rids: &[&str],
    rids: &Rids,
) -> Result<Data> {
    let disks = disk_rids
        .iter()
        .map(|rid| {
            let mut d = sections::disk::parse(&Section { eval, rid }, rids)?;
            extras(eval, rid, &mut d.head, false)?;
            Ok(d)
        })
        .collect::<Result<Vec<_>>>()?;
    let fss = fs_rids
        .iter()
        .map(|rid| {
            let mut f = sections::fs::parse(&Section { eval, rid }, rids)?;
            extras(eval, rid, &mut f.head, false)?;
            Ok(f)
        })
        .collect::<Result<Vec<_>>>()?;
    let syncs = rids_of(eval.doc, SectionKind::Sync)
        .iter()
        .map(|rid| sections::sync::parse(&Section { eval, rid }, rids))
        .collect::<Result<Vec<_>>>()?;
    let volumes = volumes(eval, volume_rids, rids)?;
    Ok(Data {
        disks,
        fss,
        syncs,
        volumes,
    })
}

/// The limits of each subset that sets some.
fn subset_limits(
    eval: &Evaluator,
    subsets: &[(String, bool)],
) -> Result<Vec<(String, crate::model::Limits)>> {
    Ok(subsets
        .iter()
        .map(|(name, _)| Ok((name.clone(), limits(eval, &subset_section(name))?)))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|(_, l)| !l.is_empty())
        .collect())
}

/// A `[container#N]`, with its triggers and limits.
fn container(eval: &Evaluator, rid: &str, names: &Names, rids: &Rids) -> Result<Container> {
    // what the section holds, read once: the keywords it does not set are
    // not looked up (a config of many containers)
    let netns_set = eval.doc.entries(rid).any(|(k, _)| unscoped(k) == "netns");
    let sec = Section { eval, rid };
    let mut c = sections::container::parse(&sec, names, netns_set, rids)?;
    extras(eval, rid, &mut c.head, true)?;
    Ok(c)
}

/// The `[ip#N]` sections, with their triggers; one link of a name in a
/// namespace.
fn ips(
    eval: &Evaluator,
    ip_rids: &[&str],
    names: &Names,
    rids: &Rids,
    containers: &[Container],
) -> Result<Vec<Ip>> {
    let disabled: HashSet<&str> = containers
        .iter()
        .filter(|c| c.head.disable)
        .map(|c| c.head.rid.as_str())
        .collect();
    let ips = ip_rids
        .iter()
        .map(|rid| {
            let mut i = sections::ip::parse(&Section { eval, rid }, names, rids)?;
            extras(eval, rid, &mut i.head, false)?;
            // a disabled holder holds no namespace: its addresses are
            // disabled with it
            i.head.disable |= disabled.contains(i.holder.as_str());
            Ok(i)
        })
        .collect::<Result<Vec<_>>>()?;
    let mut nsdevs: HashMap<(&str, &str), &str> = HashMap::new();
    for i in &ips {
        if let Some(other) = nsdevs.insert((&i.holder, &i.nsdev), &i.head.rid) {
            let why = format!(
                "{} is also {other}'s in the namespace of {}",
                i.nsdev, i.holder
            );
            return Err(Error::config(format!("{}.nsdev", i.head.rid), why));
        }
    }
    Ok(ips)
}

/// The `[volume#N]` sections, with their triggers; one resource per
/// docker volume name.
fn volumes(eval: &Evaluator, volume_rids: &[&str], rids: &Rids) -> Result<Vec<Volume>> {
    let mut names: HashMap<String, &str> = HashMap::new();
    volume_rids
        .iter()
        .map(|rid| {
            let mut v = sections::volume::parse(&Section { eval, rid }, eval.path, rids)?;
            extras(eval, rid, &mut v.head, false)?;
            if let Some(other) = names.insert(v.name.clone(), rid) {
                let why = format!("{} is also {other}'s", v.name);
                return Err(Error::config(format!("{rid}.name"), why));
            }
            Ok(v)
        })
        .collect()
}

/// A section's triggers and (a container's) limits, read when it sets some
/// (a config of many containers does not look up the keywords they do not
/// set); the ip kind has no limits: a pg_* there is an unknown keyword,
/// warned about and ignored.
fn extras(eval: &Evaluator, rid: &str, head: &mut Head, limited: bool) -> Result<()> {
    let keys: Vec<&str> = eval.doc.entries(rid).map(|(k, _)| unscoped(k)).collect();
    let trigger_words = ["_start", "_stop", "provision"];
    if keys
        .iter()
        .any(|k| trigger_words.iter().any(|w| k.contains(w)))
    {
        head.triggers = triggers(eval, rid)?;
    }
    if limited && keys.iter().any(|k| k.starts_with("pg_")) {
        head.limits = limits(eval, rid)?;
    }
    Ok(())
}

/// The subsets: their sections (with `parallel`), then those the resources
/// name.
fn subsets(
    eval: &Evaluator,
    containers: &[Container],
    ips: &[Ip],
    data: &[&Head],
) -> Result<Vec<(String, bool)>> {
    let mut subsets: BTreeMap<String, bool> = eval
        .doc
        .section_names()
        .filter_map(subset_name)
        .map(|name| {
            let section = subset_section(name);
            operand::subset(name)
                .map_err(|e| Error::config(format!("[{section}]"), e.to_string()))?;
            let parallel = Section {
                eval,
                rid: &section,
            }
            .value("parallel")?;
            let parallel = parallel.as_deref().map_or(Ok(false), |v| {
                crate::units::parse_bool(v).map_err(|e| Error::config(section.clone(), e))
            })?;
            Ok((name.to_string(), parallel))
        })
        .collect::<Result<_>>()?;
    let heads = containers.iter().map(|c| &c.head);
    for h in heads
        .chain(ips.iter().map(|i| &i.head))
        .chain(data.iter().copied())
    {
        if let Some(s) = &h.subset {
            subsets.entry(s.clone()).or_insert(false);
        }
    }
    Ok(subsets.into_iter().collect())
}

/// `nodes` (this node alone by default) and `drpnodes`.
fn node_lists(eval: &Evaluator) -> Result<(Vec<String>, Vec<String>)> {
    let service = service_section(eval);
    let list = |key: &str| -> Result<Vec<String>> {
        let words = service.words(key)?;
        for w in &words {
            operand::node(w).map_err(|e| service.error(key, e))?;
        }
        Ok(words)
    };
    let mut nodes = list("nodes")?;
    let drpnodes = list("drpnodes")?;
    if nodes.is_empty() {
        // with drpnodes, the primary nodes must be said (a drp node would
        // take itself for one)
        if !drpnodes.is_empty() {
            return Err(Error::config(
                "DEFAULT.nodes",
                "required when drpnodes is set",
            ));
        }
        nodes.push(eval.nodename.to_string());
    }
    Ok((nodes, drpnodes))
}

/// `orchestrate = ha` and its settings (SPEC 18); None for `no`.
fn ha(eval: &Evaluator) -> Result<Option<crate::model::Ha>> {
    let service = service_section(eval);
    // read (and checked) whatever orchestrate says: a bad value waits for no one
    let threshold = service.value("migration_threshold")?.unwrap_or_default();
    let migration_threshold = match threshold.trim() {
        "INFINITY" | "infinity" => None,
        n => match n.parse::<u32>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                return Err(service.error(
                    "migration_threshold",
                    format!("'{n}': a number of failures (1 or more) or INFINITY"),
                ))
            }
        },
    };
    let failure_timeout = service.duration("failure_timeout")?.unwrap_or_default();
    if service.value("orchestrate")?.as_deref() != Some("ha") {
        return Ok(None);
    }
    Ok(Some(crate::model::Ha {
        migration_threshold,
        failure_timeout,
    }))
}

/// The private daemon a config sets: `docker_data_dir` (or its alias) and
/// the daemon keywords.
pub fn daemon(eval: &Evaluator) -> Result<Option<DaemonConfig>> {
    let service = service_section(eval);
    let (key, data_dir) = match (
        service.set("docker_data_dir")?,
        service.set("container_data_dir")?,
    ) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(Error::config(
                "DEFAULT.docker_data_dir and DEFAULT.container_data_dir",
                "set one of them (the second is an alias)",
            ))
        }
        (Some(d), None) => ("docker_data_dir", d),
        (None, Some(d)) => ("container_data_dir", d),
    };
    // what holds on every node (this host's own checks are
    // `docker::daemon::check_host`'s)
    crate::docker::system_dirs::static_check(&data_dir)
        .map_err(|why| service.error(key, format!("'{}' {why}", data_dir.escape_debug())))?;
    let args = service.words("docker_daemon_args")?;
    crate::docker::daemon_args::check_own_flags(&args)?;
    let start_timeout = service
        .duration("docker_daemon_start_timeout")?
        .unwrap_or(Duration::from_secs(30));
    Ok(Some(DaemonConfig {
        key,
        data_dir,
        args,
        start_timeout,
    }))
}

/// A section's `pg_*` limits.
fn limits(eval: &Evaluator, section: &str) -> Result<Limits> {
    Limits::parse(section, |k| {
        eval.get(section, k)
            .map_err(|e| Error::config(format!("{section}.{k}"), e.to_string()))
    })
}

/// A section's triggers, as written for this node (its scoping applied,
/// no reference expanded: see `resource::trigger`), each checked to be a
/// command.
fn triggers(eval: &Evaluator, section: &str) -> Result<Triggers> {
    let mut list = Vec::new();
    for kw in crate::model::trigger::keywords() {
        let Some(command) = eval.raw(section, &kw).filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        crate::resource::trigger::command(&command)
            .map_err(|e| Error::config(format!("{section}.{kw}"), e.to_string()))?;
        list.push((kw, command.into_owned()));
    }
    Ok(Triggers { list })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::eval::EnvVars;
    use crate::config::ini::Document;
    use crate::paths::SvcPath;

    /// `standby` (SPEC 17) is read per node, as any scoped keyword: on
    /// the drp nodes, on one node, everywhere; a stop reads it too.
    #[test]
    fn standby_is_read_for_this_node() {
        let doc = Document::parse(
            "[DEFAULT]\nid = x\nnodes = n1 n2\ndrpnodes = n3\n\
             [container#1]\ntype = docker\nimage = a\nstandby@drpnodes = true\n\
             [container#2]\ntype = docker\nimage = a\nstandby@n2 = true\n\
             [volume#1]\nstandby = true\n",
        )
        .unwrap();
        let path = SvcPath::parse("s").unwrap();
        for (node, want) in [
            ("n1", [false, false, true]),
            ("n2", [false, true, true]),
            ("n3", [true, false, true]),
        ] {
            for mode in [Mode::Whole, Mode::Stop] {
                let svc = read(&Evaluator::new(&doc, &path, node, EnvVars::NONE), mode)
                    .unwrap()
                    .service;
                let got: Vec<bool> = svc.resources().iter().map(|r| r.head().standby).collect();
                // volumes first, then the containers
                assert_eq!(got, [want[2], want[0], want[1]], "{node} {mode:?}");
            }
        }
        let doc = Document::parse("[DEFAULT]\nid = x\n[volume#1]\nstandby = maybe\n").unwrap();
        let e = read(
            &Evaluator::new(&doc, &path, "n1", EnvVars::NONE),
            Mode::Whole,
        )
        .err()
        .expect("an error");
        assert!(line(&e).starts_with("volume#1.standby: "), "{}", line(&e));
    }

    /// A volume's bad keywords, each refused naming it (SPEC 17).
    #[test]
    fn a_volumes_bad_keywords_are_refused_naming_them() {
        let path = SvcPath::parse("s").unwrap();
        let err = |sections: &str| {
            let doc = Document::parse(&format!("[DEFAULT]\nid = x\n{sections}")).unwrap();
            read(
                &Evaluator::new(&doc, &path, "n1", EnvVars::NONE),
                Mode::Whole,
            )
            .err()
            .map(|e| line(&e))
        };
        for (sections, want) in [
            (
                "[volume#1]\nname = /srv/data\n",
                "volume#1.name: '/srv/data' is not a docker volume name",
            ),
            (
                "[volume#1]\nname = -x\n",
                "volume#1.name: '-x' is not a docker volume name",
            ),
            (
                "[volume#1]\noptions = size\n",
                "volume#1.options: 'size' is not KEY=VALUE",
            ),
            (
                "[volume#1]\noptions = =1\n",
                "volume#1.options: '=1' is not KEY=VALUE",
            ),
            (
                "[volume#1]\ndriver = --rm\n",
                "volume#1.driver: '--rm' is not a driver name",
            ),
            (
                "[volume#1]\nname = v1\n[volume#2]\nname = v1\n",
                "volume#2.name: v1 is also volume#1's",
            ),
            (
                "[volume#1]\nstart_requires = volume#9\n",
                "volume#1.start_requires: 'volume#9': no such resource",
            ),
        ] {
            let got = err(sections).unwrap_or_default();
            assert!(got.starts_with(want), "{sections}: {got}");
        }
        assert_eq!(err("[volume#1]\n[volume#2]\nname = reg-data\n"), None);
    }
}
