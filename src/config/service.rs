//! Raw, then typed: a `Document` (strings as read) becomes a validated
//! `Service` whose containers carry typed fields. Only this reaches the driver.

use super::eval::Evaluator;
use super::ini::Document;
use super::keywords::{close_matches, lookup, section_kind, Kind, SectionKind, Support};
use super::operand;
use super::sections::{self, bool_of, Getter, Section};
use super::value::{check, natural_key, parse_duration, split_words};
use crate::paths::{Roots, SvcPath};
use crate::resource::container::Container;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Service {
    pub path: SvcPath,
    pub id: String,
    pub rollback: bool,
    /// In natural rid order.
    pub containers: Vec<Container>,
    /// The ip resources (SPEC 16), in natural rid order.
    pub ips: Vec<crate::resource::ip::Ip>,
    /// `(subset name, parallel)`, in name order.
    pub subsets: Vec<(String, bool)>,
    /// The service's private docker daemon (`docker_data_dir`), if any.
    pub daemon: Option<DaemonConfig>,
    /// `nodes` (this node alone by default), then `drpnodes`.
    pub nodes: Vec<String>,
    pub drpnodes: Vec<String>,
    /// DEFAULT's triggers (around the service's actions), and the bound of
    /// every trigger.
    pub triggers: crate::resource::trigger::Triggers,
    pub trigger_timeout: Duration,
    /// The `pg_*` limits of the service's slice, and of each subset's.
    pub limits: crate::resource::limits::Limits,
    pub subset_limits: Vec<(String, crate::resource::limits::Limits)>,
}

impl Service {
    /// Whether `node` is one of `drpnodes` and not of `nodes`: a start
    /// there is an operator's decision (`--force`).
    pub fn drp_only(&self, node: &str) -> bool {
        let listed = |list: &[String]| {
            list.iter()
                .any(|n| n == node || crate::transport::is_local(n, node))
        };
        listed(&self.drpnodes) && !listed(&self.nodes)
    }

    /// Every node of the service, `nodes` then `drpnodes`, each once.
    pub fn all_nodes(&self) -> Vec<&str> {
        let mut all: Vec<&str> = Vec::new();
        for n in self.nodes.iter().chain(&self.drpnodes) {
            if !all.contains(&n.as_str()) {
                all.push(n);
            }
        }
        all
    }

    /// `name` (a `--to` or `--node` operand) as a node of the service: as
    /// the config lists it (its ssh host), or `local` itself when it names
    /// this node (its full name or its first label); None when it is not
    /// one of `nodes` or `drpnodes`.
    pub fn node_named(&self, name: &str, local: &str) -> Option<String> {
        use crate::transport::is_local;
        let here = is_local(name, local);
        let found = self
            .all_nodes()
            .into_iter()
            .find(|n| *n == name || is_local(n, name) || (here && is_local(n, local)))?;
        Some(if here { local } else { found }.to_string())
    }

    /// The usage error of a `--to` or `--node` that is not a node of the
    /// service, naming its nodes.
    pub fn not_a_node(&self, name: &str) -> String {
        let drpnodes = if self.drpnodes.is_empty() {
            "none".to_string()
        } else {
            self.drpnodes.join(" ")
        };
        format!(
            "{}: {name} is not a node of the service (nodes: {}; drpnodes: {drpnodes})",
            self.path,
            self.nodes.join(" ")
        )
    }
}

/// A private docker daemon as the config sets it (SPEC 11).
#[derive(Clone, Debug, PartialEq)]
pub struct DaemonConfig {
    /// `--data-root`: an absolute path.
    pub data_dir: String,
    /// `docker_daemon_args`, appended to the dockerd command line.
    pub args: Vec<String>,
    pub start_timeout: Duration,
}

#[cfg(test)]
impl Service {
    /// A service for unit tests: `path`, id `id1`, `containers`, on node
    /// n1 alone; no subset, daemon, trigger or limit (struct update sets
    /// what a test needs).
    pub fn for_test(path: &str, containers: Vec<Container>) -> Service {
        Service {
            path: SvcPath::parse(path).unwrap(),
            id: "id1".into(),
            rollback: true,
            containers,
            ips: Vec::new(),
            subsets: Vec::new(),
            daemon: None,
            nodes: vec!["n1".into()],
            drpnodes: Vec::new(),
            triggers: Default::default(),
            trigger_timeout: crate::resource::trigger::TIMEOUT,
            limits: Default::default(),
            subset_limits: Vec::new(),
        }
    }
}

impl Service {
    /// Every resource, kind by kind (containers, then ips), each in
    /// natural rid order.
    pub fn resources(&self) -> Vec<crate::resource::Res<'_>> {
        use crate::resource::Res;
        let containers = self.containers.iter().map(Res::Container);
        containers.chain(self.ips.iter().map(Res::Ip)).collect()
    }

    /// The container resource `rid`.
    pub fn container(&self, rid: &str) -> Option<&Container> {
        self.containers.iter().find(|c| c.rid == rid)
    }

    /// The rids, for "no such resource" messages: `container#1, container#2`.
    pub fn rid_list(&self) -> String {
        let rids: Vec<&str> = self
            .resources()
            .iter()
            .map(|r| r.head().rid.as_str())
            .collect();
        if rids.is_empty() {
            "none".into()
        } else {
            rids.join(", ")
        }
    }
}

/// The container resources of a config, in natural rid order.
pub fn container_rids(doc: &Document) -> Vec<&str> {
    rids_of(doc, SectionKind::Container)
}

/// The resources of one kind in a config, in natural rid order.
pub fn rids_of(doc: &Document, kind: SectionKind) -> Vec<&str> {
    let mut rids: Vec<&str> = doc
        .section_names()
        .filter(|s| section_kind(s).as_ref() == Some(&kind))
        .collect();
    rids.sort_by_key(|r| natural_key(r));
    rids
}

/// What `validate config` finds, and the typed service when there is no error.
#[derive(Debug, Default)]
pub struct Report {
    pub errors: Vec<String>,
    /// Unknown keywords and sections (a hand edit): errors for `create`,
    /// `set` and `validate config`, warnings for everything else, so an
    /// action and status still run (and `stop` always works).
    pub unknown: Vec<String>,
    pub warnings: Vec<String>,
    pub service: Option<Service>,
}

impl Report {
    /// The errors of a command that refuses unknown keywords.
    pub fn strict_errors(&self) -> Vec<String> {
        // The unknown keyword first: it is often why a required one is missing.
        self.unknown.iter().chain(&self.errors).cloned().collect()
    }
}

/// The key without its node scope: `image@deb1` → `image`.
pub fn unscoped(key: &str) -> &str {
    key.split_once('@').map_or(key, |(k, _)| k)
}

/// Checks every section and key: known, supported, well-typed, references
/// resolvable; then that the typed service builds.
pub fn check_document(doc: &Document, path: &SvcPath, nodename: &str, roots: &Roots) -> Report {
    let mut report = Report::default();
    let eval = Evaluator::new(doc, path, nodename);
    for section in doc.section_names() {
        if section.contains(char::is_control) {
            let shown = section.escape_debug();
            report
                .errors
                .push(format!("[{shown}]: a name with a control character"));
            continue;
        }
        let Some(kind) = section_kind(section) else {
            report.unknown.push(format!(
                "unknown section [{section}]: expected DEFAULT, env, container#N, ip#N or subset#container:NAME"
            ));
            continue;
        };
        for (key, value) in doc.entries(section) {
            match check_chars(section, key, value) {
                Ok(()) => check_key(&eval, section, &kind, key, &mut report),
                Err(e) => report.errors.push(e),
            }
        }
        if kind == SectionKind::Container && doc.get(section, "type").is_none() {
            report.errors.push(format!(
                "[{section}] has no type: a container resource needs {section}.type=docker"
            ));
        }
        if kind == SectionKind::Ip && doc.get(section, "type").is_none() {
            report.errors.push(format!(
                "[{section}] has no type: an ip resource needs {section}.type=netns"
            ));
        }
    }
    if report.errors.is_empty() {
        match build_with(&eval, doc, path) {
            // the config of a service that does not run here (an
            // operator's copy, say): the guard refuses to start it here
            Ok(svc)
                if !svc
                    .all_nodes()
                    .iter()
                    .any(|n| crate::transport::is_local(n, nodename)) =>
            {
                report.warnings.push(format!(
                    "DEFAULT.nodes: {nodename} is not a node of the service ({}): om starts nothing of it here",
                    svc.all_nodes().join(" ")
                ));
                finish(&mut report, svc, roots);
            }
            Ok(svc) => finish(&mut report, svc, roots),
            Err(e) => report.errors.push(e),
        }
    }
    report
}

/// The checks of a typed service: a namespace cycle (`netns =
/// container#2` both ways can not start), the daemon's socket.
fn finish(report: &mut Report, svc: Service, roots: &Roots) {
    let all = svc.resources();
    match crate::plan::start_stages(&svc, &all)
        .and_then(|_| crate::docker::daemon::check_socket(&svc, roots))
    {
        Err(e) => report.errors.push(e),
        Ok(()) => report.service = Some(svc),
    }
}

/// Why `value` can not be stored at `section.key`, if it can not: a NUL or
/// control character never can (tab aside), a newline only in a keyword
/// that spans lines (word lists, free text, `[env]` and unknown keys).
pub fn check_chars(section: &str, key: &str, value: &str) -> Result<(), String> {
    if section.contains(char::is_control) || key.contains(char::is_control) {
        return Err(format!(
            "{}: a name with a control character",
            format!("{section}.{key}").escape_debug()
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n'))
    {
        return Err(format!(
            "{section}.{key}: holds the control character U+{:04X}",
            u32::from(c)
        ));
    }
    let one_line = section_kind(section)
        .and_then(|kind| lookup(&kind, unscoped(key)))
        .is_some_and(|kw| {
            kw.support != Support::Ignored && !matches!(kw.kind, Kind::Words | Kind::Text)
        });
    if one_line && value.contains('\n') {
        return Err(format!(
            "{section}.{key}: holds a newline, but takes one line"
        ));
    }
    Ok(())
}

fn check_key(eval: &Evaluator, section: &str, kind: &SectionKind, key: &str, report: &mut Report) {
    let name = unscoped(key);
    if *kind == SectionKind::Env {
        if let Err(e) =
            eval.expand_key(section, key, eval.doc.get(section, key).unwrap_or_default())
        {
            report.errors.push(format!("{section}.{key}: {e}"));
        }
        return;
    }
    let Some(kw) = lookup(kind, name) else {
        let close = close_matches(kind, name);
        let hint = if close.is_empty() {
            String::new()
        } else {
            format!(" (did you mean {}?)", close.join(", "))
        };
        report
            .unknown
            .push(format!("{section}.{name}: unknown keyword{hint}"));
        return;
    };
    if kw.support == Support::Ignored {
        report.warnings.push(format!(
            "{section}.{name}: not supported by om, kept and ignored: {}",
            kw.help
        ));
        return;
    }
    let raw = eval.doc.get(section, key).unwrap_or_default();
    match eval.expand_key(section, key, raw) {
        Ok(v) => {
            // a reference may bring in what the value itself does not hold
            if let Err(e) = check_chars(section, key, &v) {
                report.errors.push(e);
            } else if let Err(e) = check(kw.kind, &v) {
                report.errors.push(format!("{section}.{key}: {e}"));
            }
        }
        Err(e) => report.errors.push(format!("{section}.{key}: {e}")),
    }
}

/// Builds the typed service; the first problem found is the error.
/// `build` with the evaluator the checks already used: its cache keeps
/// every value expanded once.
fn build_with(eval: &Evaluator, doc: &Document, path: &SvcPath) -> Result<Service, String> {
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
    let known = |r: &str| names.contains_key(r) || ip_rids.contains(&r);
    let all_rids = || {
        let mut r: Vec<&str> = names
            .keys()
            .copied()
            .chain(ip_rids.iter().copied())
            .collect();
        r.sort_unstable();
        r.join(" ")
    };
    // a section's triggers and limits, read when it sets some (a config
    // of many containers does not look up the keywords they do not set)
    let extras = |rid: &str, head: &mut crate::resource::Head| -> Result<(), String> {
        let keys: Vec<&str> = doc.entries(rid).map(|(k, _)| unscoped(k)).collect();
        let trigger_words = ["_start", "_stop", "provision"];
        if keys
            .iter()
            .any(|k| trigger_words.iter().any(|w| k.contains(w)))
        {
            head.triggers = triggers(eval, rid)?;
        }
        if keys.iter().any(|k| k.starts_with("pg_")) {
            head.limits = crate::resource::limits::Limits::parse(rid, |k| {
                Ok(get(rid, k)?.map(Cow::into_owned))
            })?;
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
            extras(rid, &mut c.head)?;
            Ok(c)
        })
        .collect::<Result<Vec<_>, String>>()?;
    let ips = ip_rids
        .iter()
        .map(|rid| {
            let sec = Section { get: &get, rid };
            let mut i = sections::ip::parse(&sec, &names, &known, &all_rids)?;
            extras(rid, &mut i.head)?;
            Ok(i)
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut subsets: BTreeMap<String, bool> = doc
        .section_names()
        .filter_map(|s| s.strip_prefix("subset#container:"))
        .map(|name| {
            operand::subset(name).map_err(|e| format!("[subset#container:{name}]: {e}"))?;
            let section = format!("subset#container:{name}");
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
            let section = format!("subset#container:{name}");
            crate::resource::limits::Limits::parse(&section, |k| {
                Ok(get(&section, k)?.map(Cow::into_owned))
            })
            .map(|l| (name.clone(), l))
        })
        .collect::<Result<Vec<_>, String>>()?
        .into_iter()
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let trigger_timeout = get("DEFAULT", "trigger_timeout")?
        .map(|v| parse_duration(&v).map_err(|e| format!("DEFAULT.trigger_timeout: {e}")))
        .transpose()?
        .unwrap_or(crate::resource::trigger::TIMEOUT);
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
        limits: crate::resource::limits::Limits::parse("DEFAULT", |k| {
            Ok(get("DEFAULT", k)?.map(Cow::into_owned))
        })?,
        subset_limits,
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
    let bad = |why: &str| {
        Err(format!(
            "DEFAULT.{key}: '{}' {why}",
            data_dir.escape_debug()
        ))
    };
    if !data_dir.starts_with('/') {
        return bad("is not an absolute path");
    }
    if data_dir.split('/').any(|p| p == "..") {
        return bad("holds '..'");
    }
    let args = match get("DEFAULT", "docker_daemon_args")? {
        Some(v) => split_words(&v).map_err(|e| format!("DEFAULT.docker_daemon_args: {e}"))?,
        None => Vec::new(),
    };
    let start_timeout = get("DEFAULT", "docker_daemon_start_timeout")?
        .map(|v| {
            parse_duration(&v).map_err(|e| format!("DEFAULT.docker_daemon_start_timeout: {e}"))
        })
        .transpose()?
        .unwrap_or(Duration::from_secs(30));
    Ok(Some(DaemonConfig {
        data_dir,
        args,
        start_timeout,
    }))
}

/// A section's triggers, as written for this node (its scoping applied,
/// no reference expanded: see `resource::trigger`), each checked to be a
/// command.
fn triggers(eval: &Evaluator, section: &str) -> Result<crate::resource::trigger::Triggers, String> {
    let mut list = Vec::new();
    for kw in crate::resource::trigger::keywords() {
        let Some(text) = eval.raw(section, &kw).filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        crate::resource::trigger::command(&text).map_err(|e| format!("{section}.{kw}: {e}"))?;
        list.push((kw, text.into_owned()));
    }
    Ok(crate::resource::trigger::Triggers { list })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        let doc = Document::parse(text).unwrap();
        check_document(
            &doc,
            &SvcPath::parse("svc").unwrap(),
            "n1",
            &Roots::under(std::path::Path::new("/o")),
        )
        .errors
    }

    #[test]
    fn control_characters_in_values_are_errors_naming_the_key() {
        let base = "[DEFAULT]\nid = x\n[container#1]\ntype = docker\n";
        assert_eq!(
            errors(&format!("{base}image = a\0b\n")),
            ["container#1.image: holds the control character U+0000"]
        );
        assert_eq!(
            errors(&format!("{base}image = a\n  b\n")),
            ["container#1.image: holds a newline, but takes one line"]
        );
        assert_eq!(
            errors(&format!("{base}image = {{env.k}}\n[env]\nk = a\n  b\n")),
            ["container#1.image: holds a newline, but takes one line"]
        );
        assert_eq!(
            errors(&format!("{base}image = a\n[env]\nk\u{1b} = 1\n")),
            ["env.k\\u{1b}: a name with a control character"]
        );
        // tabs anywhere; newlines in word lists, free text and [env]
        let ok = format!(
            "{base}image = a\ncommand = sh\t-x\n  -c\ncomment = a\tb\n  b\n[env]\nk = 1\n  2\n"
        );
        assert_eq!(errors(&ok), Vec::<String>::new());
    }

    #[test]
    fn ip_sections_name_what_is_wrong() {
        let base =
            "[DEFAULT]\nid = x\n[container#1]\ntype = docker\nimage = a\n[ip#1]\ntype = netns\n";
        let ok = "netns = container#1\nipname = 192.0.2.10\nnetmask = 24\nipdev = br0\n";
        assert_eq!(errors(&format!("{base}{ok}")), Vec::<String>::new());
        let with = |from: &str, to: &str| errors(&format!("{base}{}", ok.replace(from, to)));
        let cases = [
            ("container#1", "container#9", "ip#1.netns: no resource container#9 in this service"),
            ("container#1", "host", "ip#1.netns: 'host' is not a container of the service (container#N)"),
            ("192.0.2.10", "not_an_address!", "ip#1.ipname: 'not_an_address!' is neither an address nor a host name"),
            ("= 24", "= 33", "ip#1.netmask: /33 is longer than an address of 192.0.2.10's family (/32)"),
            ("= 24", "= lots", "ip#1.netmask: 'lots' is not a prefix length (0 to 128) or a dotted mask (255.255.255.0)"),
            ("br0", "a/b", "ip#1.ipdev: 'a/b' is not a link name (1 to 15 characters, no '/', ':' or space)"),
        ];
        for (from, to, want) in cases {
            assert_eq!(with(from, to), [want], "{to}");
        }
        assert_eq!(
            errors(&format!("{base}{ok}mode = vxlan\n")),
            ["ip#1.mode: 'vxlan' is not one of: bridge, macvlan, ipvlan-l2, ipvlan-l3"]
        );
        assert_eq!(
            errors(&format!("{base}{ok}start_requires = container#7\n")),
            ["ip#1.start_requires: 'container#7': no such resource container#7 (rids: container#1 ip#1)"]
        );
        let doc =
            Document::parse(&format!("{base}{ok}gateway = 192.0.2.1\nmode = macvlan\n")).unwrap();
        let report = check_document(
            &doc,
            &SvcPath::parse("svc").unwrap(),
            "n1",
            &Roots::under(std::path::Path::new("/o")),
        );
        let svc = report.service.unwrap();
        assert_eq!(
            svc.ips[0].label(),
            "netns macvlan 192.0.2.10/24 eth0@container#1"
        );
    }

    #[test]
    fn thousands_of_containers_in_a_namespace_chain_check() {
        let mut text = String::from("[DEFAULT]\nid = x\n");
        for i in 1..=3_000 {
            let join = if i > 1 {
                format!("netns = container#{}\n", i - 1)
            } else {
                String::new()
            };
            text.push_str(&format!(
                "[container#{i}]\ntype = docker\nimage = a\n{join}"
            ));
        }
        let doc = Document::parse(&text).unwrap();
        let report = check_document(
            &doc,
            &SvcPath::parse("svc").unwrap(),
            "n1",
            &Roots::under(std::path::Path::new("/o")),
        );
        assert_eq!(report.errors, Vec::<String>::new());
        assert_eq!(report.service.unwrap().containers.len(), 3_000);
    }
}
