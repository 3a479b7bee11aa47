//! om(1)'s own sections, after clap's: the commands, exit status, files,
//! environment, examples, and the choices where the spec is silent.

use super::para;
use clap_mangen::roff::{bold, roman, Inline, Roff};

/// The sections om(1) adds after clap's.
pub(super) fn om_sections(cli: &clap::Command) -> Roff {
    let mut r = Roff::new();
    commands_section(&mut r, cli);
    r.control("SH", ["EXIT STATUS"]);
    paras(&mut r, EXIT_STATUS);
    r.control("SH", ["FILES"]);
    paras(&mut r, FILES);
    r.text([roman(
        "Relative to /etc/opensvc, /var/lib/opensvc and /var/log/opensvc for root, ~/.opensvc/{etc,var,log} for other users, or $OSVC_ROOT_PATH/{etc,var,log}.",
    )]);
    r.control("SH", ["ENVIRONMENT"]);
    paras(&mut r, ENVIRONMENT);
    r.control("SH", ["EXAMPLES"]);
    paras(&mut r, EXAMPLES);
    choices(&mut r);
    r.control("SH", ["SEE ALSO"]);
    r.text([
        bold("om.conf"),
        roman("(5), "),
        bold("docker"),
        roman("(1)"),
    ]);
    r
}

/// COMMANDS: `om ls`, then each leaf command and what it does.
fn commands_section(r: &mut Roff, cli: &clap::Command) {
    r.control("SH", ["COMMANDS"]);
    para(
        r,
        "om ls [--format json]",
        "List the service paths, one per line.",
    );
    para(
        r,
        "om mon [--local] [--interval DURATION] [--format json]",
        "Watch every service's status tree, redrawn in place when something changes.",
    );
    para(
        r,
        "om ocf ACTION",
        "The OCF resource agent ocf:om:svc, as Pacemaker runs it (om-ocf(1)); om ocf install installs it.",
    );
    for sub in cli.get_subcommands() {
        let nested: Vec<&clap::Command> = sub.get_subcommands().collect();
        let leaves: Vec<(String, &clap::Command)> = if nested.is_empty() {
            vec![(sub.get_name().to_string(), sub)]
        } else {
            nested
                .into_iter()
                .map(|n| (format!("{} {}", sub.get_name(), n.get_name()), n))
                .collect()
        };
        for (words, cmd) in leaves {
            let about = cmd.get_about().map(ToString::to_string).unwrap_or_default();
            para(r, &format!("om SELECTOR {words}"), &about);
        }
    }
}

/// One tagged paragraph per row.
fn paras(r: &mut Roff, rows: &[(&str, &str)]) {
    for (tag, text) in rows {
        para(r, tag, text);
    }
}

const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "Success."),
    ("1", "Failure: an action, a check or a config problem; the reason is on stderr."),
    ("2", "Usage error: a bad option, a bad service path, a docker reference to a resource the service does not have."),
    ("status", "om SELECTOR status exits with the overall status: up 0, down 1, warn 2, n/a 3; 4 when om can not tell (no such service, a selector that matches nothing, a config that does not load, an engine, a query or a node that did not answer), with the reason on stderr. Each command's page (om-start(1), …) lists the codes it uses."),
    ("128+N", "An action interrupted by signal N (SIGINT, SIGTERM): the docker call running is killed and what the action started is rolled back."),
    ("docker, enter", "The docker command's exit code, 128+N when it was killed by signal N."),
];

const FILES: &[(&str, &str)] = &[
    ("etc/NAME.conf", "A service's config (INI, see om.conf(5)); etc/namespaces/NS/svc/NAME.conf outside the root namespace."),
    ("var/svc/NAME/", "State: the action lock (kept after delete and purge) and the 'started' expectation; var/namespaces/NS/svc/NAME/ outside the root namespace. Every file om writes is 0600 in 0700 directories."),
    ("log/NAME.log", "The action log, each line timestamped."),
];

const ENVIRONMENT: &[(&str, &str)] = &[
    ("OSVC_ROOT_PATH", "Put etc, var and log under this directory."),
    ("OSVC_NODENAME", "The node name (default: the host name)."),
    ("OM_DOCKER", "The docker CLI to run (default: docker, found in PATH). Unset, om asks the container list itself on the socket the docker CLI would reach, when it can tell which (DOCKER_HOST=unix://PATH, or /var/run/docker.sock with no DOCKER_HOST and no context chosen), a request instead of a CLI run; set, even to docker, every query goes through the CLI (a wrapper sees them all)."),
    ("OM_DOCKER_TIMEOUT", "The bound of docker calls that have no keyword of their own (default 60s); a docker that does not answer in time is killed."),
    ("OM_RSH", "How om reaches another node: the command that replaces ssh -o BatchMode=yes in ssh -o BatchMode=yes NODE om … (shell words). om SELECTOR docker --node NODE adds ssh's -t before NODE when om has a terminal, so it must accept -t."),
    ("DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG", "Passed on to docker as they are: the engine and the client config docker uses."),
    ("NO_COLOR", "Never colour the status or the action lines."),
    ("VISUAL, EDITOR", "The editor of om SELECTOR edit config."),
    ("COMPLETE", "Set by the completion scripts: answer a shell completion request."),
];

const EXAMPLES: &[(&str, &str)] = &[
    ("echo '{\"container#1\": {\"type\": \"docker\", \"image\": \"nginx\"}}' | om svc1 deploy --config=-", "Create and start a one-container service."),
    ("om svc1 print status", "Show its status tree."),
    ("om svc1 docker inspect {container#1}", "Run docker on the service's container."),
    ("om svc1 docker --node n2 exec -it {container#1} sh", "The same on node n2 of the service, through ssh."),
    ("om svc1 set --kw container#1.rm=true", "Set a keyword in place."),
    ("om 'svc*' stop", "Stop every service whose name starts with svc."),
    ("om svc1 purge", "Stop and remove the containers, then delete the config."),
];

/// om(1)'s CHOICES section: `choices.md`, what om chose where the spec is
/// silent, a list of bullets on two levels (a line that starts neither
/// continues the bullet above), each bullet a paragraph.
fn choices(r: &mut Roff) {
    r.control("SH", ["CHOICES WHERE THE SPEC IS SILENT"]);
    let mut items: Vec<(usize, String)> = Vec::new();
    for line in include_str!("choices.md").lines() {
        if let Some(rest) = line.strip_prefix("- ") {
            items.push((0, rest.to_string()));
        } else if let Some(rest) = line.strip_prefix("  - ") {
            items.push((1, rest.to_string()));
        } else if let Some((_, text)) = items.last_mut().filter(|_| !line.trim().is_empty()) {
            text.push(' ');
            text.push_str(line.trim());
        }
    }
    let mut depth = 0;
    for (level, text) in items {
        if level > depth {
            r.control("RS", ["4"]);
        } else if level < depth {
            r.control("RE", []);
        }
        depth = level;
        r.control("PP", []);
        r.text(inline_markdown(&text));
    }
    if depth > 0 {
        r.control("RE", []);
    }
}

/// Markdown's `code` and **strong** as bold, the rest as is.
fn inline_markdown(text: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let (mut cur, mut code, mut strong) = (String::new(), false, false);
    let mut flush = |cur: &mut String, marked: bool| {
        if !cur.is_empty() {
            let t = std::mem::take(cur);
            out.push(if marked { bold(t) } else { roman(t) });
        }
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '`' {
            flush(&mut cur, code || strong);
            code = !code;
        } else if c == '*' && !code && chars.peek() == Some(&'*') {
            chars.next();
            flush(&mut cur, code || strong);
            strong = !strong;
        } else {
            cur.push(c);
        }
    }
    flush(&mut cur, code || strong);
    out
}
