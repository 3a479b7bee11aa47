//! The outside world, read once: `main` turns the process environment into
//! this value and nothing below reads `std::env` (but the evaluator's
//! `{env.KEY}` overrides, which are the operator's own variables).

use crate::error::{Error, Result};
use crate::paths::Roots;
use crate::paths::{list_services, SvcPath};
use crate::selector::select;
use crate::units::parse_duration;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What every command needs to know about this host.
#[derive(Clone, Debug)]
pub struct Host {
    pub roots: Roots,
    pub node: String,
    /// `NO_COLOR` is set.
    pub no_color: bool,
    /// Warnings and errors on stderr are coloured: a terminal, and no
    /// `NO_COLOR`.
    pub stderr_color: bool,
    /// `$VISUAL`, else `$EDITOR`, when set and not blank.
    pub editor: Option<String>,
    /// How the other nodes are reached (`OM_RSH`).
    pub transport: crate::nodes::transport::Transport,
    /// Where `boot enable` writes its units (`OM_SYSTEMD_DIR`, else
    /// /etc/systemd/system).
    pub systemd_dir: PathBuf,
    /// `OSVC_NODENAME` as given (a boot unit keeps it).
    pub node_given: Option<String>,
    /// How docker is run.
    pub docker: DockerCli,
    /// The environment as `{env.KEY}` reads it.
    pub env: crate::config::eval::EnvVars,
    /// `--debug`: where D lines go (the node's name), else none.
    pub debug: Option<crate::debug::Trace>,
    /// How Pacemaker's tools are run (SPEC 18).
    pub pacemaker: PacemakerCli,
}

/// How Pacemaker's tools (cibadmin, crm_resource, crm_mon) are run:
/// `OM_PACEMAKER`, words put before each (`nsenter --net=/run/netns/c1`,
/// `ssh n1`: where the cluster answers; none by default), and whether om
/// runs under Pacemaker's agent (`OCF_RESOURCE_INSTANCE` set: its `--local`
/// actions are Pacemaker's own, not an operator's to warn).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PacemakerCli {
    pub wrap: Vec<String>,
    pub under_agent: bool,
}

/// How docker is run: `OM_DOCKER` (default `docker`), and the bound of
/// every docker call without a keyword of its own, `OM_DOCKER_TIMEOUT`
/// (default 60s).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DockerCli {
    pub program: String,
    pub bound: Duration,
    /// `DOCKER_HOST`, for a command that must name the engine itself.
    pub docker_host: Option<String>,
    /// The socket this docker CLI reaches, when om can tell (`cli_socket`):
    /// the container list is asked there, without a CLI (see docker/api.rs).
    pub socket: Option<PathBuf>,
    /// `--debug`: each docker call said in a D line.
    pub trace: Option<crate::debug::Trace>,
}

impl Default for DockerCli {
    /// `docker`, bound at 60 s, `DOCKER_HOST` unset.
    fn default() -> DockerCli {
        DockerCli {
            program: "docker".into(),
            bound: Duration::from_secs(60),
            docker_host: None,
            socket: None,
            trace: None,
        }
    }
}

impl Host {
    /// The editor's argv: `$VISUAL`, then `$EDITOR` (either may carry
    /// arguments), then `vi`.
    pub fn editor_argv(&self) -> Result<Vec<String>> {
        let raw = self.editor.clone().unwrap_or_else(|| "vi".into());
        let words = shell_words::split(&raw)
            .map_err(|e| Error::Usage(format!("$VISUAL/$EDITOR '{raw}': {e}")))?;
        if words.is_empty() {
            return Err(Error::Usage("$VISUAL/$EDITOR is empty".into()));
        }
        Ok(words)
    }

    pub fn from_env() -> Result<Host> {
        let var = |k: &str| std::env::var_os(k).map(|v| v.to_string_lossy().into_owned());
        let node_given = one_line("OSVC_NODENAME")?.map(|v| v.to_string_lossy().into_owned());
        // what a remote node takes (an ssh host, a --from): set, it is one
        if let Some(n) = &node_given {
            crate::config::operand::node(n)
                .map_err(|e| Error::Usage(format!("OSVC_NODENAME: {e}")))?;
        }
        let roots = match one_line("OSVC_ROOT_PATH")? {
            Some(dir) if dir.is_empty() => {
                return Err(Error::Usage(
                    "OSVC_ROOT_PATH is set but empty: unset it, or name a directory".into(),
                ))
            }
            Some(dir) => Roots::under(Path::new(&dir)),
            None if is_superuser() => Roots::system(),
            None => {
                let home = std::env::var_os("HOME").unwrap_or_else(|| "/".into());
                Roots::under(&Path::new(&home).join(".opensvc"))
            }
        };
        let docker = docker_cli(&var)?;
        // OM_RSH replaces `ssh -o BatchMode=yes` to reach another node
        let transport = match var("OM_RSH").filter(|v| !v.trim().is_empty()) {
            None => crate::nodes::transport::Transport::default(),
            Some(v) => crate::nodes::transport::Transport::new(
                shell_words::split(&v).map_err(|e| Error::Usage(format!("OM_RSH: {e}")))?,
            )?,
        };
        let pacemaker = PacemakerCli {
            wrap: match var("OM_PACEMAKER").filter(|v| !v.trim().is_empty()) {
                None => Vec::new(),
                Some(v) => pacemaker_wrap(&v)?,
            },
            under_agent: std::env::var_os("OCF_RESOURCE_INSTANCE").is_some(),
        };
        let no_color = std::env::var_os("NO_COLOR").is_some();
        let stderr_color = !no_color && std::io::IsTerminal::is_terminal(&std::io::stderr());
        Ok(Host {
            roots,
            node: nodename(node_given.clone()),
            node_given: node_given.filter(|n| !n.is_empty()),
            systemd_dir: var("OM_SYSTEMD_DIR")
                .filter(|d| !d.is_empty())
                .map_or_else(|| "/etc/systemd/system".into(), Into::into),
            no_color,
            stderr_color,
            editor: ["VISUAL", "EDITOR"]
                .iter()
                .find_map(|k| var(k).filter(|s| !s.trim().is_empty())),
            transport,
            docker,
            env: crate::config::eval::EnvVars::new(std::env::vars_os()),
            debug: None,
            pacemaker,
        })
    }

    /// `--debug`: D lines on stderr from here on, for what this host
    /// does (its lock waits, its config reads) and the calls its engine
    /// and its transport make.
    pub fn set_debug(&mut self) {
        let trace = crate::debug::Trace::new(&self.node);
        self.docker.trace = Some(trace.clone());
        self.transport.trace = Some(trace.clone());
        self.debug = Some(trace);
    }

    /// A host for unit tests: `roots`, node `node`, the defaults else.
    #[cfg(test)]
    pub fn for_test(roots: Roots, node: &str) -> Host {
        Host {
            roots,
            node: node.into(),
            no_color: true,
            stderr_color: false,
            editor: None,
            transport: crate::nodes::transport::Transport::default(),
            systemd_dir: "/nonexistent/systemd".into(),
            node_given: None,
            docker: DockerCli::default(),
            env: crate::config::eval::EnvVars::default(),
            debug: None,
            pacemaker: PacemakerCli::default(),
        }
    }

    /// The services a selector picks among those configured, at least
    /// one: a selector that picks none (a typo in a glob) is an error, so
    /// that no action does nothing in silence and no `status` reads "up".
    pub fn select(&self, selector: &str) -> Result<Vec<SvcPath>> {
        let paths = self.matching(selector)?;
        if paths.is_empty() {
            return Err(Error::Failed(format!("no service matches '{selector}'")));
        }
        Ok(paths)
    }

    /// The services `selector` matches, none at all included: for a
    /// document that lists what matched (`print status`, which other
    /// nodes' om ask with paths this node may not have).
    pub fn matching(&self, selector: &str) -> Result<Vec<SvcPath>> {
        select(selector, &list_services(&self.roots)?)
    }
}

/// The variable `name`, refused when it holds a control character: a
/// newline in a node name or a root is never meant, and would reach a
/// unit file, a log line or a remote command line as a line of its own.
fn one_line(name: &str) -> Result<Option<std::ffi::OsString>> {
    let Some(v) = std::env::var_os(name) else {
        return Ok(None);
    };
    match v.to_string_lossy().chars().find(|c| c.is_control()) {
        None => Ok(Some(v)),
        Some(c) => Err(Error::Usage(format!(
            "{name}: '{}' holds a control character ({}), which no node name or path needs",
            v.to_string_lossy().escape_debug(),
            c.escape_debug()
        ))),
    }
}

pub fn is_superuser() -> bool {
    crate::fsutil::euid() == 0
}

/// `OSVC_NODENAME`, else the host name.
fn nodename(over: Option<String>) -> String {
    over.filter(|n| !n.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "localhost".into())
}

/// How docker is run, from the environment (`var` reads a variable).
fn docker_cli(var: &dyn Fn(&str) -> Option<String>) -> Result<DockerCli> {
    let bound = match var("OM_DOCKER_TIMEOUT").filter(|v| !v.is_empty()) {
        None => Duration::from_secs(60),
        Some(v) => match parse_duration(&v) {
            Ok(d) if !d.is_zero() => d,
            Ok(_) => {
                return Err(Error::Usage(
                    "OM_DOCKER_TIMEOUT: must be more than 0".into(),
                ))
            }
            Err(e) => return Err(Error::Usage(format!("OM_DOCKER_TIMEOUT: {e}"))),
        },
    };
    let program = var("OM_DOCKER")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "docker".into());
    let docker_host = var("DOCKER_HOST").filter(|s| !s.is_empty());
    let socket = cli_socket(
        var("OM_DOCKER").as_deref(),
        docker_host.as_deref(),
        var("DOCKER_CONTEXT").as_deref(),
        &docker_cli_config(),
    );
    let docker = DockerCli {
        program,
        bound,
        docker_host,
        socket,
        trace: None,
    };
    Ok(docker)
}

/// `OM_PACEMAKER`'s words. A remote shell is refused: ssh joins the
/// words after it into one shell line on the other node, where a CIB's
/// `<…>` is a redirection and a `$(…)` in a value runs.
fn pacemaker_wrap(v: &str) -> Result<Vec<String>> {
    let words = shell_words::split(v).map_err(|e| Error::Usage(format!("OM_PACEMAKER: {e}")))?;
    let first = words
        .first()
        .and_then(|w| Path::new(w).file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if matches!(first, "ssh" | "rsh" | "dbclient") {
        return Err(Error::Usage(format!(
            "OM_PACEMAKER: {first} hands Pacemaker's tools a shell line on the other node, not their arguments: run om on a cluster node, or name a wrapper that keeps them as given (nsenter, sudo, env)"
        )));
    }
    Ok(words)
}

/// docker's own default engine on Linux, with no `DOCKER_HOST` and no
/// context chosen.
const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// The docker CLI's config file as read (`$DOCKER_CONFIG/config.json`,
/// else `~/.docker/config.json`): `Ok(None)` when there is none. Without
/// HOME the CLI looks in the passwd entry's home, which om does not read:
/// an error, so the CLI decides (an agent under a service manager often
/// runs without HOME).
fn docker_cli_config() -> std::io::Result<Option<String>> {
    let dir = match std::env::var_os("DOCKER_CONFIG").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(h) => Path::new(&h).join(".docker"),
            None => return Err(std::io::Error::other("HOME is not set")),
        },
    };
    match std::fs::read_to_string(dir.join("config.json")) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The unix socket a plain `docker` command reaches, when om can tell it
/// without running one: `DOCKER_HOST=unix://PATH`, or docker's default
/// socket when neither `DOCKER_HOST`, `DOCKER_CONTEXT` nor the CLI
/// config's `currentContext` chooses another engine. `None` (every query
/// through the CLI) when `OM_DOCKER` is set, even to `docker` (a wrapper
/// sees every call), when a context or a non-unix host
/// is chosen, and when the CLI config can not be read: the CLI decides
/// what om can not.
pub fn cli_socket(
    om_docker: Option<&str>,
    docker_host: Option<&str>,
    docker_context: Option<&str>,
    config: &std::io::Result<Option<String>>,
) -> Option<PathBuf> {
    if om_docker.is_some_and(|p| !p.is_empty()) {
        return None;
    }
    // both set: the CLI's call (it warns, or refuses)
    if docker_context.is_some_and(|c| !c.is_empty() && c != "default") {
        return None;
    }
    if let Some(host) = docker_host {
        // DOCKER_HOST wins over the config's context, as for the CLI
        return host
            .strip_prefix("unix://")
            .filter(|p| p.starts_with('/'))
            .map(PathBuf::from);
    }
    let current = match config {
        Ok(None) => None,
        Ok(Some(text)) => {
            let doc: serde_json::Value = serde_json::from_str(text).ok()?;
            match doc.get("currentContext") {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(c)) => Some(c.clone()),
                Some(_) => return None,
            }
        }
        Err(_) => return None,
    };
    match current.as_deref() {
        None | Some("" | "default") => Some(PathBuf::from(DEFAULT_SOCKET)),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sock(
        om: Option<&str>,
        host: Option<&str>,
        ctx: Option<&str>,
        config: std::io::Result<Option<String>>,
    ) -> Option<String> {
        cli_socket(om, host, ctx, &config).map(|p| p.display().to_string())
    }

    #[test]
    fn the_cli_s_socket_is_known_only_when_nothing_chooses_another_engine() {
        let none = || Ok(None);
        let d = Some(DEFAULT_SOCKET.to_string());
        assert_eq!(sock(None, None, None, none()), d);
        assert_eq!(sock(None, None, Some("default"), none()), d);
        let cfg = |t: &str| Ok(Some(t.to_string()));
        assert_eq!(sock(None, None, None, cfg(r#"{"auths":{}}"#)), d);
        assert_eq!(
            sock(None, None, None, cfg(r#"{"currentContext":"default"}"#)),
            d
        );
        // a context, a wrapper, a remote or unreadable config: the CLI decides
        assert_eq!(
            sock(None, None, None, cfg(r#"{"currentContext":"rootless"}"#)),
            None
        );
        assert_eq!(sock(None, None, Some("remote"), none()), None);
        assert_eq!(sock(Some("/opt/wrap"), None, None, none()), None);
        assert_eq!(sock(None, Some("tcp://10.0.0.1:2375"), None, none()), None);
        assert_eq!(sock(None, Some("ssh://n2"), None, none()), None);
        assert_eq!(sock(None, None, None, cfg("{not json")), None);
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(sock(None, None, None, Err(denied)), None);
        // DOCKER_HOST names the socket, whatever the config's context
        assert_eq!(
            sock(
                None,
                Some("unix:///run/n2/docker.sock"),
                None,
                cfg(r#"{"currentContext":"x"}"#)
            ),
            Some("/run/n2/docker.sock".into())
        );
        assert_eq!(sock(None, Some("unix://relative"), None, none()), None);
        assert!(pacemaker_wrap("ssh n1").is_err());
        assert!(pacemaker_wrap("/usr/bin/ssh -F x n1").is_err());
        assert_eq!(pacemaker_wrap("nsenter -t 1 -n").unwrap().len(), 4);
        assert_eq!(
            sock(None, Some("unix:///s"), Some("remote"), none()),
            None,
            "both set: the CLI's call"
        );
    }
}
