//! The build: a checked `Document` becomes the typed `Service` (raw, then
//! typed), each resource section read by its kind's parser in `sections`,
//! then the service's own keywords (subsets, nodes, daemon, triggers,
//! limits).

use super::eval::Evaluator;
use super::ini::Document;
use super::keywords::unscoped;
use super::keywords::{subset_name, subset_section, SectionKind};
use super::operand;
use super::sections::{self, bool_of, Getter, Section};
use super::service::{container_rids, rids_of};
use crate::model::{DaemonConfig, Service};
use crate::paths::SvcPath;
use crate::units::{parse_duration, split_words};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// Builds the typed service; the first problem found is the error.
/// `build` with the evaluator the checks already used: its cache keeps
/// every value expanded once.
pub(super) fn build_with(
    eval: &Evaluator,
    doc: &Document,
    path: &SvcPath,
) -> Result<Service, String> {
    let get = |section: &str, key: &str| -> Result<Option<Cow<str>>, String> {
        eval.value(section, key)
            .map_err(|e| format!("{section}.{key}: {e}"))
    };
    let id = get("DEFAULT", "id")?
        .ok_or("DEFAULT.id: missing")?
        .into_owned();
    let rollback = bool_of(get("DEFAULT", "rollback")?.as_deref(), "DEFAULT.rollback")?;
    let rids = container_rids(doc);
    let names: HashMap<&str, String> = rids
        .iter()
        .map(|rid| {
            Ok((
                *rid,
                // never None: the evaluator gives the computed default
                get(rid, "name")?.unwrap_or_default().into_owned(),
            ))
        })
        .collect::<Result<_, String>>()?;
    let ip_rids = rids_of(doc, SectionKind::Ip);
    let ip_set: std::collections::HashSet<&str> = ip_rids.iter().copied().collect();
    let known = |r: &str| names.contains_key(r) || ip_set.contains(r);
    let all_rids = || {
        let mut r: Vec<&str> = names
            .keys()
            .copied()
            .chain(ip_rids.iter().copied())
            .collect();
        r.sort_unstable();
        r.join(" ")
    };
    // a section's triggers and (a container's) limits, read when it sets
    // some (a config of many containers does not look up the keywords they
    // do not set); the ip kind has no limits: a pg_* there is an unknown
    // keyword, warned about and ignored
    let extras = |rid: &str, head: &mut crate::model::Head, limited: bool| -> Result<(), String> {
        let keys: Vec<&str> = doc.entries(rid).map(|(k, _)| unscoped(k)).collect();
        let trigger_words = ["_start", "_stop", "provision"];
        if keys
            .iter()
            .any(|k| trigger_words.iter().any(|w| k.contains(w)))
        {
            head.triggers = triggers(eval, rid)?;
        }
        if limited && keys.iter().any(|k| k.starts_with("pg_")) {
            head.limits =
                crate::model::Limits::parse(rid, |k| Ok(get(rid, k)?.map(Cow::into_owned)))?;
        }
        Ok(())
    };
    let containers = rids
        .iter()
        .map(|rid| {
            // what the section holds, read once: the keywords it does not
            // set are not looked up (a config of many containers)
            let keys: Vec<&str> = doc.entries(rid).map(|(k, _)| unscoped(k)).collect();
            let netns_set = keys.contains(&"netns");
            let sec = Section { get: &get, rid };
            let mut c = sections::container::parse(&sec, &names, netns_set, &known, &all_rids)?;
            extras(rid, &mut c.head, true)?;
            Ok(c)
        })
        .collect::<Result<Vec<_>, String>>()?;
    let disabled: std::collections::HashSet<&str> = containers
        .iter()
        .filter(|c| c.head.disable)
        .map(|c| c.head.rid.as_str())
        .collect();
    let ips = ip_rids
        .iter()
        .map(|rid| {
            let sec = Section { get: &get, rid };
            let mut i = sections::ip::parse(&sec, &names, &known, &all_rids)?;
            extras(rid, &mut i.head, false)?;
            // a disabled holder holds no namespace: its addresses are
            // disabled with it
            i.head.disable |= disabled.contains(i.holder.as_str());
            Ok(i)
        })
        .collect::<Result<Vec<_>, String>>()?;
    // one link of a name in a namespace
    let mut nsdevs: HashMap<(&str, &str), &str> = HashMap::new();
    for i in &ips {
        if let Some(other) = nsdevs.insert((&i.holder, &i.nsdev), &i.head.rid) {
            return Err(format!(
                "{}.nsdev: {} is also {other}'s in the namespace of {}",
                i.head.rid, i.nsdev, i.holder
            ));
        }
    }
    let mut subsets: BTreeMap<String, bool> = doc
        .section_names()
        .filter_map(subset_name)
        .map(|name| {
            let section = subset_section(name);
            operand::subset(name).map_err(|e| format!("[{section}]: {e}"))?;
            let parallel = bool_of(get(&section, "parallel")?.as_deref(), &section)?;
            Ok((name.to_string(), parallel))
        })
        .collect::<Result<_, String>>()?;
    let heads = containers.iter().map(|c| &c.head);
    for h in heads.chain(ips.iter().map(|i| &i.head)) {
        if let Some(s) = &h.subset {
            subsets.entry(s.clone()).or_insert(false);
        }
    }
    let subsets: Vec<(String, bool)> = subsets.into_iter().collect();
    let daemon = daemon_config(&get)?;
    let node_list = |key: &str| -> Result<Vec<String>, String> {
        let words = match get("DEFAULT", key)? {
            Some(v) => split_words(&v).map_err(|e| format!("DEFAULT.{key}: {e}"))?,
            None => Vec::new(),
        };
        for w in &words {
            operand::node(w).map_err(|e| format!("DEFAULT.{key}: {e}"))?;
        }
        Ok(words)
    };
    let mut nodes = node_list("nodes")?;
    let drpnodes = node_list("drpnodes")?;
    if nodes.is_empty() {
        // this node alone by default; with drpnodes, the primary nodes
        // must be said (a drp node would take itself for one)
        if !drpnodes.is_empty() {
            return Err("DEFAULT.nodes: required when drpnodes is set".into());
        }
        nodes.push(eval.nodename.to_string());
    }
    let subset_limits = subsets
        .iter()
        .map(|(name, _)| {
            let section = subset_section(name);
            crate::model::Limits::parse(&section, |k| Ok(get(&section, k)?.map(Cow::into_owned)))
                .map(|l| (name.clone(), l))
        })
        .collect::<Result<Vec<_>, String>>()?
        .into_iter()
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let trigger_timeout = get("DEFAULT", "trigger_timeout")?
        .map(|v| parse_duration(&v).map_err(|e| format!("DEFAULT.trigger_timeout: {e}")))
        .transpose()?
        .unwrap_or(crate::model::trigger::TIMEOUT);
    Ok(Service {
        path: path.clone(),
        id,
        rollback,
        containers,
        ips,
        subsets,
        daemon,
        nodes,
        drpnodes,
        triggers: triggers(eval, "DEFAULT")?,
        trigger_timeout,
        limits: crate::model::Limits::parse("DEFAULT", |k| {
            Ok(get("DEFAULT", k)?.map(Cow::into_owned))
        })?,
        subset_limits,
        index: Default::default(),
    })
}

/// The private daemon a config sets, read leniently (for a stop on a config
/// that does not validate otherwise).
pub fn daemon_of(eval: &Evaluator) -> Result<Option<DaemonConfig>, String> {
    let get = |section: &str, key: &str| -> Result<Option<Cow<str>>, String> {
        eval.value(section, key)
            .map_err(|e| format!("{section}.{key}: {e}"))
    };
    daemon_config(&get)
}

/// `docker_data_dir` (or its alias) and the daemon keywords.
fn daemon_config(get: &Getter) -> Result<Option<DaemonConfig>, String> {
    let dir = get("DEFAULT", "docker_data_dir")?.filter(|v| !v.is_empty());
    let alias = get("DEFAULT", "container_data_dir")?.filter(|v| !v.is_empty());
    let (key, data_dir) = match (dir, alias) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(
                "DEFAULT.docker_data_dir and DEFAULT.container_data_dir: set one of them (the second is an alias)".into(),
            )
        }
        (Some(d), None) => ("docker_data_dir", d.into_owned()),
        (None, Some(d)) => ("container_data_dir", d.into_owned()),
    };
    // what holds on every node (this host's own checks are
    // `docker::daemon::check_host`'s)
    crate::docker::system_dirs::static_check(&data_dir)
        .map_err(|why| format!("DEFAULT.{key}: '{}' {why}", data_dir.escape_debug()))?;
    let args = match get("DEFAULT", "docker_daemon_args")? {
        Some(v) => split_words(&v).map_err(|e| format!("DEFAULT.docker_daemon_args: {e}"))?,
        None => Vec::new(),
    };
    crate::docker::daemon_args::check_own_flags(&args).map_err(|e| e.to_string())?;
    let start_timeout = get("DEFAULT", "docker_daemon_start_timeout")?
        .map(|v| {
            parse_duration(&v).map_err(|e| format!("DEFAULT.docker_daemon_start_timeout: {e}"))
        })
        .transpose()?
        .unwrap_or(Duration::from_secs(30));
    Ok(Some(DaemonConfig {
        key,
        data_dir,
        args,
        start_timeout,
    }))
}

/// A section's triggers, as written for this node (its scoping applied,
/// no reference expanded: see `resource::trigger`), each checked to be a
/// command.
fn triggers(eval: &Evaluator, section: &str) -> Result<crate::model::Triggers, String> {
    let mut list = Vec::new();
    for kw in crate::model::trigger::keywords() {
        let Some(text) = eval.raw(section, &kw).filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        crate::resource::trigger::command(&text).map_err(|e| format!("{section}.{kw}: {e}"))?;
        list.push((kw, text.into_owned()));
    }
    Ok(crate::model::Triggers { list })
}
