//! The document check: every section and key of a `Document` known,
//! supported, well-typed and its references resolvable, then the typed
//! `Service` built (`build`) and checked as a whole. What `validate
//! config`, `create`, `set` and every load report.

use super::eval::{EnvVars, Evaluator};
use super::ini::Document;
use super::keywords::{
    close_matches, lookup, scopable, section_kind, subset_section, unscoped, SectionKind, Support,
    ValueType,
};
use super::read::{line, read, Mode};
use super::value::check;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::model::Service;
use crate::paths::{Roots, SvcPath};

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

    /// What `validate config` calls an error, and so what `create`, `set`
    /// and `deploy` refuse to write: what validates, validates.
    pub fn validate_errors(&self, roots: &Roots) -> Vec<String> {
        let mut errors = self.strict_errors();
        errors.extend(self.object_errors(roots));
        errors
    }

    /// For a config that builds, what is wrong with the secrets and configs
    /// it refers to (SPEC 13): a missing object or key, a `config.json`
    /// that is not a docker client config, a value no environment holds (a
    /// NUL, not text, over 128 KiB), two keys making one variable.
    pub fn object_errors(&self, roots: &Roots) -> Vec<String> {
        self.service
            .as_ref()
            .map(|svc| crate::objects::env::problems(svc, roots))
            .unwrap_or_default()
    }
}

/// Checks every section and key: known, supported, well-typed, references
/// resolvable; then that the typed service builds.
/// `nodename` is the node checked as (this one's, or a sync's sender's);
/// `host` gives the roots and the environment.
pub fn check_document(doc: &Document, path: &SvcPath, nodename: &str, host: &Host) -> Report {
    let mut report = Report::default();
    let eval = Evaluator::new(doc, path, nodename, &host.env);
    // the other nodes the scopes name, as written (few: one build each),
    // and the service's other nodes when it has scopes at all
    let mut others = check_sections(&eval, &mut report);
    report
        .warnings
        .extend(super::eval::env_overridden(doc, &host.env));
    if report.errors.is_empty() {
        read_whole(&eval, &mut report, &host.roots);
    }
    // A config with node scopes reads differently on each node: it is
    // checked as every node of the service would read it too (`@nodes`,
    // `@drpnodes`, and a node a later list change adds, so a hostile run
    // found: only the nodes a scope named were checked).
    let mut service_nodes: Vec<String> = Vec::new();
    if report.errors.is_empty() && doc.has_scopes() {
        if let Some(svc) = &report.service {
            for n in svc.all_nodes() {
                if !crate::nodename::is_local(n, nodename) && !others.contains(&n) {
                    service_nodes.push(n.to_string());
                }
            }
        }
    }
    if report.errors.is_empty() {
        others.extend(service_nodes.iter().map(String::as_str));
        report
            .errors
            .extend(check_as_others(doc, path, &others, &host.env));
    }
    report
}

/// Every section and key of the document (`eval`'s, read as its node):
/// the errors, unknown keywords and warnings go to `report`. The other
/// nodes the keys' scopes name are the answer.
fn check_sections<'d>(eval: &Evaluator<'d>, report: &mut Report) -> Vec<&'d str> {
    let doc: &'d Document = eval.doc;
    let mut others: Vec<&'d str> = Vec::new();
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
                "unknown section [{section}]: expected DEFAULT, env, container#N, ip#N or {}",
                subset_section("NAME")
            ));
            continue;
        };
        for (key, value) in doc.entries(section) {
            match check_chars(section, key, value).and_then(|()| check_scope(section, key)) {
                Ok(()) => check_key(eval, section, &kind, key, report),
                Err(e) => report.errors.push(line(&e)),
            }
            report
                .warnings
                .extend(comment_in_value(section, key, value));
            if let Some((_, node)) = key.split_once('@') {
                let other = !LIST_SCOPES.contains(&node)
                    && !crate::nodename::is_local(node, eval.nodename)
                    && super::operand::node(node).is_ok();
                if other && !others.contains(&node) {
                    others.push(node);
                }
            }
        }
        let driver = match kind {
            SectionKind::Container => Some(("a container", "docker")),
            SectionKind::Ip => Some(("an ip", "netns")),
            SectionKind::Disk => Some(("a disk", "loop")),
            SectionKind::Fs => Some(("an fs", "xfs")),
            _ => None,
        };
        if let Some((what, driver)) = driver.filter(|_| doc.get(section, "type").is_none()) {
            report.errors.push(format!(
                "[{section}] has no type: {what} resource needs {section}.type={driver}"
            ));
        }
    }
    others
}

/// The typed service, read whole, and its checks as a whole.
fn read_whole(eval: &Evaluator, report: &mut Report, roots: &Roots) {
    let nodename = eval.nodename;
    match read(eval, Mode::Whole) {
        // the config of a service that does not run here (an operator's
        // copy, say): the guard refuses to start it here
        Ok(r)
            if !r
                .service
                .all_nodes()
                .iter()
                .any(|n| crate::nodename::is_local(n, nodename)) =>
        {
            report.warnings.push(format!(
                "DEFAULT.nodes: {nodename} is not a node of the service ({}): om starts nothing of it here",
                r.service.all_nodes().join(" ")
            ));
            finish(report, r.service, roots);
        }
        Ok(r) => finish(report, r.service, roots),
        Err(e) => report.errors.push(line(&e)),
    }
}

/// The most node names the scopes of one config may hold: the config is
/// built once more as each, which keeps its check linear in its size.
pub const MAX_SCOPED_NODES: usize = 64;

/// The service as each other node a scope names builds it (the same
/// build, an evaluator for that node name): what that node would refuse,
/// said here before the config goes there, `on NODE: …`. What only its
/// host can tell (its data dir's existence) stays its own check.
fn check_as_others(doc: &Document, path: &SvcPath, others: &[&str], env: &EnvVars) -> Vec<String> {
    if others.len() > MAX_SCOPED_NODES {
        return vec![format!(
            "a config with node scopes is checked as each node it names or runs on, {} here besides this one: at most {MAX_SCOPED_NODES}",
            others.len()
        )];
    }
    others
        .iter()
        .filter_map(|node| {
            let eval = Evaluator::new(doc, path, node, env);
            let built = read(&eval, Mode::Whole)
                .map_err(|e| line(&e))
                .and_then(|r| {
                    let svc = r.service;
                    let all = svc.resources();
                    crate::action::plan::start_stages(&svc, &all).map_err(|e| e.to_string())?;
                    match &svc.daemon {
                        Some(d) => crate::docker::system_dirs::check_elsewhere(&d.data_dir)
                            .map_err(|e| {
                                format!("DEFAULT.{}: '{}' {e}", d.key, d.data_dir.escape_debug())
                            }),
                        None => Ok(()),
                    }
                });
            built.err().map(|e| format!("on {node}: {e}"))
        })
        .collect()
}

/// The checks of a typed service: a namespace cycle (`netns =
/// container#2` both ways can not start), the daemon's socket.
fn finish(report: &mut Report, svc: Service, roots: &Roots) {
    report
        .warnings
        .extend(crate::action::plan::late_requirements(&svc));
    if let Some(cycle) = crate::action::plan::requirement_cycle(&svc) {
        report.warnings.push(format!(
            "start_requires: {cycle}: one of them can never start (started in rid order, each checked at its turn)"
        ));
    }
    for c in &svc.containers {
        let published = crate::docker::argv::published_without_network(c);
        if !published.is_empty() {
            report.warnings.push(format!(
                "{}.run_args: '{}' publishes nothing: the container has no network (netns = none, the default); set netns = bridge, or a docker network name, to give it one",
                c.head.rid,
                published.join(" ")
            ));
        }
    }
    let all = svc.resources();
    match crate::action::plan::start_stages(&svc, &all)
        .map_err(|e| e.to_string())
        .and_then(|_| crate::docker::socket::check_socket(&svc, roots).map_err(|e| e.to_string()))
    {
        Err(e) => report.errors.push(e),
        Ok(()) => report.service = Some(svc),
    }
}

/// A value that reads like `text   # words` (whitespace, then `#`): in an
/// om config `#` starts a comment only at the start of a line, so the
/// words are part of the value, which is rarely what was meant.
fn comment_in_value(section: &str, key: &str, value: &str) -> Option<String> {
    let at = value
        .char_indices()
        .zip(value.chars().skip(1))
        .find(|((_, c), next)| c.is_whitespace() && *next == '#')
        .map(|((i, c), _)| i + c.len_utf8())?;
    let tail = value[at..].lines().next().unwrap_or_default();
    Some(format!(
        "{section}.{key}: '{}' is part of the value: '#' starts a comment only at the start of a line",
        tail.escape_debug()
    ))
}

/// The scopes that name a node list rather than a node.
const LIST_SCOPES: [&str; 2] = ["nodes", "drpnodes"];

/// A node scope names a node: `KEY@nodes`, `KEY@drpnodes`, or `KEY@NODE`,
/// NODE one node name as the `nodes` keyword takes it (`KEY@` names
/// none, `KEY@a@b`, `KEY@*` or `KEY@../x` no node either); and only a
/// keyword whose value may differ between nodes takes one (the id names
/// the service's containers, the node lists say where it runs: the same
/// on every node).
fn check_scope(section: &str, key: &str) -> Result<()> {
    let Some((name, scope)) = key.split_once('@') else {
        return Ok(());
    };
    let bad = |why: String| Error::config(format!("{section}.{key}"), why);
    let forms = format!("{name}@NODE, {name}@nodes or {name}@drpnodes");
    if scope.is_empty() {
        return Err(bad(format!("an empty node scope ({forms})")));
    }
    if !LIST_SCOPES.contains(&scope) {
        super::operand::node(scope).map_err(|e| bad(format!("the scope {e} ({forms})")))?;
    }
    if !scopable(section, name) {
        return Err(bad(format!(
            "{section}.{name} is the same on every node: it takes no node scope"
        )));
    }
    Ok(())
}

/// Why `value` can not be stored at `section.key`, if it can not: a NUL or
/// control character never can (tab aside), a newline only in a keyword
/// that spans lines (word lists, free text, `[env]` and unknown keys).
pub fn check_chars(section: &str, key: &str, value: &str) -> Result<()> {
    if section.contains(char::is_control) || key.contains(char::is_control) {
        let shown = format!("{section}.{key}").escape_debug().to_string();
        return Err(Error::config(shown, "a name with a control character"));
    }
    let bad = |why: String| Error::config(format!("{section}.{key}"), why);
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n'))
    {
        return Err(bad(format!(
            "holds the control character U+{:04X}",
            u32::from(c)
        )));
    }
    let one_line = section_kind(section)
        .and_then(|kind| lookup(&kind, unscoped(key)))
        .is_some_and(|kw| {
            kw.support != Support::Ignored && !matches!(kw.kind, ValueType::Words | ValueType::Text)
        });
    if one_line && value.contains('\n') {
        return Err(bad("holds a newline, but takes one line".into()));
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
                report.errors.push(line(&e));
            } else if let Err(e) = check(kw.kind, &v) {
                report.errors.push(format!("{section}.{key}: {e}"));
            }
        }
        Err(e) => report.errors.push(format!("{section}.{key}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Report {
        let doc = Document::parse(text).unwrap();
        check_document(
            &doc,
            &SvcPath::parse("svc").unwrap(),
            "n1",
            &Host::for_test(Roots::under(std::path::Path::new("/o")), "n1"),
        )
    }

    fn errors(text: &str) -> Vec<String> {
        check(text).errors
    }

    #[test]
    fn an_empty_node_scope_is_an_error_naming_the_key() {
        let e = errors("[container#1]\ntype = docker\nimage = a\nimage@ = b\n");
        assert_eq!(
            e,
            ["container#1.image@: an empty node scope (image@NODE, image@nodes or image@drpnodes)"]
        );
        let e = errors("[env]\nA@ = 1\n");
        assert!(e[0].starts_with("env.A@: an empty node scope"), "{e:?}");
        let e =
            errors("[DEFAULT]\nid = x\n[container#1]\ntype = docker\nimage = a\nimage@n1 = b\n");
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn a_node_scope_names_one_node_and_a_keyword_that_may_differ() {
        let base = "[DEFAULT]\nid = x\n[container#1]\ntype = docker\nimage = a\n";
        for key in [
            "image@@n2",
            "image@n2@n3",
            "image@ n2",
            "image@*",
            "image@-n",
            "image@../x",
        ] {
            let e = errors(&format!("{base}{key} = b\n"));
            assert_eq!(e.len(), 1, "{key}: {e:?}");
            assert!(
                e[0].starts_with(&format!("container#1.{key}: the scope '"))
                    && e[0].contains("is not a node name"),
                "{e:?}"
            );
        }
        for key in [
            "image@n2",
            "image@n2.example.com",
            "image@nodes",
            "image@drpnodes",
        ] {
            assert_eq!(
                errors(&format!("{base}{key} = b\n")),
                Vec::<String>::new(),
                "{key}"
            );
        }
        for key in ["id@n1", "id@n2", "nodes@n2", "drpnodes@nodes"] {
            let e = errors(&base.replace("id = x\n", &format!("id = x\n{key} = y\n")));
            let name = key.split('@').next().unwrap();
            assert_eq!(
                e,
                [format!("DEFAULT.{key}: DEFAULT.{name} is the same on every node: it takes no node scope")]
            );
        }
        // a scoped id a hand edit slipped in is never read
        let text = base.replace("id = x\n", "id@n1 = other\nid = x\nnodes@n1 = n9\n");
        let doc = Document::parse(&text).unwrap();
        let path = SvcPath::parse("svc").unwrap();
        let env = EnvVars::default();
        let eval = Evaluator::new(&doc, &path, "n1", &env);
        assert_eq!(eval.get("DEFAULT", "id").unwrap().as_deref(), Some("x"));
        assert_eq!(eval.get("DEFAULT", "nodes").unwrap(), None);
        let l = read(&eval, Mode::Stop).unwrap();
        assert_eq!(l.service.id, "x");
    }

    #[test]
    fn values_scoped_to_other_nodes_are_built_as_those_nodes() {
        let base = "[DEFAULT]\nid = 0123abcd-0000\nnodes = n1 n2 n3\n[container#1]\ntype = docker\nimage = a\n";
        let with =
            |extra: &str| errors(&base.replace("[container#1]", &format!("{extra}[container#1]")));
        assert_eq!(
            with("docker_data_dir@n2 = /\n"),
            ["on n2: DEFAULT.docker_data_dir: '/' is a system directory (/)"]
        );
        assert_eq!(
            with("docker_data_dir@n3 = /etc/x\ndocker_data_dir@n2.b.c = /srv/d/../x\n"),
            [
                "on n3: DEFAULT.docker_data_dir: '/etc/x' is inside a system directory (/etc)",
                "on n2.b.c: DEFAULT.docker_data_dir: '/srv/d/../x' holds '..': name the directory itself",
            ]
        );
        assert_eq!(
            with("docker_data_dir@n2 = /srv/om/x\ndocker_daemon_args@n2 = --data-root=/\n").len(),
            1
        );
        assert!(
            with("docker_data_dir@n2 = /srv/om/x\ndocker_daemon_args@n2 = -p/x\n")[0]
                .starts_with("on n2: DEFAULT.docker_daemon_args: ")
        );
        // this node's scope is this node's build; a list scope is every
        // node's; a good value elsewhere is fine
        assert_eq!(
            with("docker_data_dir@n1 = /\n"),
            ["DEFAULT.docker_data_dir: '/' is a system directory (/)"]
        );
        assert_eq!(
            with("docker_data_dir@n2 = /srv/om/n2\n"),
            Vec::<String>::new()
        );
        // a scoped container value, through a reference
        assert_eq!(
            errors(&format!("{base}image@n2 = {{env.i}}\n[env]\ni = --privileged\n"))[0],
            "on n2: container#1.image: '--privileged' is not a docker image reference (e.g. nginx, nginx:1.25, registry:5000/team/app)"
        );
        // too many nodes named: said, not checked
        let many: String = (0..=MAX_SCOPED_NODES)
            .map(|i| format!("comment@m{i} = x\n"))
            .collect();
        let e = with(&many);
        assert_eq!(e.len(), 1, "{e:?}");
        // the 65 a scope names, and the service's n2 and n3
        assert!(e[0].contains(", 67 here besides this one"), "{e:?}");
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
    fn a_hash_after_whitespace_in_a_value_is_warned() {
        let w = |v: &str| comment_in_value("env", "k", v);
        assert_eq!(
            w("a   # b c").as_deref(),
            Some("env.k: '# b c' is part of the value: '#' starts a comment only at the start of a line")
        );
        assert!(w("a\t#b").is_some());
        assert!(w("a\n  # b").is_some());
        for quiet in ["a#b", "#a", "{{.Name}}", "a b", ""] {
            assert_eq!(w(quiet), None, "{quiet}");
        }
    }

    #[test]
    fn publishing_under_no_network_is_warned_with_how_to_give_one() {
        let warned = |netns: &str, run_args: &str| {
            let text = format!(
                "[DEFAULT]\nid = x\n[container#1]\ntype = docker\nimage = nginx\n{netns}run_args = {run_args}\n"
            );
            let r = check(&text);
            assert!(r.errors.is_empty(), "{:?}", r.errors);
            r.warnings
                .into_iter()
                .filter(|w| w.contains("publishes nothing"))
                .collect::<Vec<_>>()
        };
        for (args, words) in [
            ("-p 80:80", "-p 80:80"),
            ("-p80:80", "-p80:80"),
            ("--publish=80:80", "--publish=80:80"),
            (
                "--publish 80:80 -e A=1 -p 443:443",
                "--publish 80:80 -p 443:443",
            ),
            ("-P", "-P"),
        ] {
            let w = warned("", args);
            assert_eq!(w.len(), 1, "{args}: {w:?}");
            assert!(
                w[0].starts_with(&format!(
                    "container#1.run_args: '{words}' publishes nothing"
                )),
                "{}",
                w[0]
            );
            assert!(w[0].contains("netns = bridge"), "{}", w[0]);
            assert_eq!(warned("netns = none\n", args).len(), 1, "{args}");
            // a network, from the config or from run_args: nothing to say
            assert!(warned("netns = bridge\n", args).is_empty(), "{args}");
            assert!(
                warned("", &format!("--net=bridge {args}")).is_empty(),
                "{args}"
            );
        }
        assert!(warned("", "-e P=1 --pid=host").is_empty());
    }

    #[test]
    fn ip_sections_name_what_is_wrong() {
        let base =
            "[DEFAULT]\nid = x\n[container#1]\ntype = docker\nimage = a\n[ip#1]\ntype = netns\n";
        let ok = "netns = container#1\nipname = 192.0.2.10\nnetmask = 24\nipdev = br0\n";
        let two = format!(
            "{base}{ok}[ip#2]\ntype = netns\n{}",
            ok.replace(".10", ".11")
        );
        // an ip has no limits: a pg_* there is unknown, and only that
        let report = check(&format!("{base}{ok}pg_cpus = zz\n"));
        assert_eq!(report.errors, Vec::<String>::new());
        assert_eq!(report.unknown, ["ip#1.pg_cpus: unknown keyword"]);
        // a disabled holder disables its addresses
        let svc = check(&format!(
            "{}{ok}",
            base.replace("image = a\n", "image = a\ndisable = true\n")
        ))
        .service
        .unwrap();
        assert!(svc.ips[0].head.disable);
        // requirements both ways: a warning, and the service builds
        let report = check(&format!(
            "{base}{ok}start_requires = container#1\n[container#2]\ntype = docker\nimage = a\n"
        ));
        assert!(report.service.is_some());
        let report = check(&format!(
            "{}{ok}start_requires = container#1\n",
            base.replace("image = a\n", "image = a\nstart_requires = ip#1\n")
        ));
        assert!(report.service.is_some(), "{:?}", report.errors);
        assert!(
            report.warnings[0].starts_with("start_requires: dependency cycle"),
            "{:?}",
            report.warnings
        );
        assert_eq!(
            errors(&two),
            ["ip#2.nsdev: eth0 is also ip#1's in the namespace of container#1"]
        );
        assert_eq!(
            errors(&format!("{two}nsdev = eth1\n")),
            Vec::<String>::new()
        );
        assert_eq!(errors(&format!("{base}{ok}")), Vec::<String>::new());
        let with = |from: &str, to: &str| errors(&format!("{base}{}", ok.replace(from, to)));
        let cases = [
            ("container#1", "container#9", "ip#1.netns: no resource container#9 in this service"),
            ("container#1", "host", "ip#1.netns: 'host' is not a container of the service (container#N)"),
            ("192.0.2.10", "not_an_address!", "ip#1.ipname: 'not_an_address!' is neither an address nor a host name"),
            ("= 24", "= 33", "ip#1.netmask: /33 is longer than an address of 192.0.2.10's family (/32)"),
            ("= 24", "= lots", "ip#1.netmask: 'lots' is not a prefix length (1 to 128) or a dotted mask (255.255.255.0)"),
            ("= 24", "= 0", "ip#1.netmask: '0' is a /0 mask, which puts every address on the pod's link"),
            ("192.0.2.10", "0.0.0.0", "ip#1.ipname: 0.0.0.0 is the unspecified address"),
            ("192.0.2.10", "127.0.0.1", "ip#1.ipname: 127.0.0.1 is a loopback address"),
            ("192.0.2.10", "224.0.0.1", "ip#1.ipname: 224.0.0.1 is a multicast address"),
            ("192.0.2.10", "192.0.2.255", "ip#1.ipname: 192.0.2.255 is the broadcast address of 192.0.2.0/24"),
            ("= 24", "= 24\ngateway = 192.0.3.1", "ip#1.gateway: 192.0.3.1 is outside the address's prefix (192.0.2.10/24)"),
            ("= 24", "= 24\ngateway = 192.0.2.10", "ip#1.gateway: 192.0.2.10 is the address itself (192.0.2.10)"),
            ("192.0.2.10", "db1.example.com\ngateway = ::", "ip#1.gateway: :: is the unspecified address"),
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
        let report = check(&format!("{base}{ok}gateway = 192.0.2.1\nmode = macvlan\n"));
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
        let report = check(&text);
        assert_eq!(report.errors, Vec::<String>::new());
        assert_eq!(report.service.unwrap().containers.len(), 3_000);
    }
}
