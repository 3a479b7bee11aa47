//! `om ocf ACTION`: the OCF agent `ocf:om:svc` at work (SPEC 18). Each
//! action runs om's own commands on this node (`om PATH start --local
//! --force`, `stop --local`, `status --local`, `validate config`) as
//! children, with the resource's root, and `agent` turns their exits into
//! OCF codes. Their output goes to stderr, which Pacemaker logs.

use super::agent::{self, Action, Bounds, Params};
use crate::error::{Error, Result};
use crate::process::{capture, Cmd};
use crate::secret::Secret;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What `om ocf` got from its command line and environment.
pub struct Request {
    pub action: String,
    /// The process's `OCF_RESKEY_*` variables.
    pub vars: Vec<(String, String)>,
    /// The process's `OCF_ROOT`, for `install`.
    pub ocf_root: Option<PathBuf>,
    /// The docker call bound of om's host (OM_DOCKER_TIMEOUT).
    pub docker_bound: Duration,
    /// How the host's docker is run (None: the environment did not read).
    pub docker: Option<crate::host::DockerCli>,
}

/// Where Pacemaker looks for agents when OCF_ROOT is not set.
pub const OCF_ROOT: &str = "/usr/lib/ocf";

/// Runs the request: its OCF exit code (`install`: 0, or an error).
pub fn run(req: &Request) -> Result<u8> {
    if req.action == "install" {
        return install(req).map(|()| 0);
    }
    let om = std::env::current_exe()
        .map_err(|e| Error::Failed(format!("the path of om itself: {e}")))?;
    let action = Action::parse(&req.action);
    if action == Action::MetaData {
        crate::output::out(&agent::meta_data(
            &agent::timeouts(bounds(req.docker_bound)),
            &om.to_string_lossy(),
        ))?;
        return Ok(agent::SUCCESS);
    }
    if matches!(&action, Action::Other(w) if w == "usage" || w == "help") {
        crate::output::out("usage: ocf:om:svc {start|stop|monitor|validate-all|meta-data}\n")?;
        return Ok(agent::SUCCESS);
    }
    if let Action::Other(word) = &action {
        say(&format!(
            "{word}: not an action of this agent (start, stop, monitor, validate-all, meta-data)"
        ));
        return Ok(agent::ERR_UNIMPLEMENTED);
    }
    let params = match Params::from_vars(&req.vars) {
        Ok(p) => p,
        Err(e) => {
            say(&e);
            return Ok(agent::ERR_CONFIGURED);
        }
    };
    let Some(path) = params.path.clone() else {
        say("the parameter path is required (OCF_RESKEY_path): the om service's path");
        return Ok(agent::ERR_CONFIGURED);
    };
    let agent = Agent {
        om,
        path,
        params,
        docker: req.docker.clone(),
        deadline: Instant::now() + op_bound(req),
    };
    Ok(match action {
        Action::Start => agent.start(),
        Action::Stop => agent.stop(),
        Action::Monitor => agent.monitor(),
        Action::ValidateAll => agent.validate(),
        Action::MetaData | Action::Other(_) => agent::ERR_UNIMPLEMENTED,
    })
}

/// om's bounds: the docker call bound of this host, --waitlock's default,
/// docker_daemon_start_timeout's default (from the keyword table); 30 s
/// each should those defaults ever not parse (a unit test says they do).
fn bounds(docker: Duration) -> Bounds {
    let thirty = Duration::from_secs(30);
    Bounds {
        docker,
        lock: waitlock_default().unwrap_or(thirty),
        daemon_start: daemon_start_default().unwrap_or(thirty),
    }
}

fn waitlock_default() -> Option<Duration> {
    let cli = crate::cli::command();
    let arg = cli
        .find_subcommand("start")?
        .get_arguments()
        .find(|a| a.get_id() == "waitlock")?;
    let v = arg.get_default_values().first()?;
    crate::units::parse_duration(&v.to_string_lossy()).ok()
}

fn daemon_start_default() -> Option<Duration> {
    let kw = crate::config::keywords::KEYWORDS
        .iter()
        .find(|k| k.name == "docker_daemon_start_timeout")?;
    crate::units::parse_duration(kw.default?).ok()
}

/// How long one operation's om commands may take altogether: the
/// operation's timeout as Pacemaker passes it, less a second to answer;
/// else the default meta-data advertises.
fn op_bound(req: &Request) -> Duration {
    let t = agent::timeouts(bounds(req.docker_bound));
    let fallback = match Action::parse(&req.action) {
        Action::Start => t.start,
        Action::Stop => t.stop,
        Action::ValidateAll => t.validate,
        _ => t.monitor,
    };
    Params::from_vars(&req.vars)
        .ok()
        .and_then(|p| p.timeout_ms)
        .map_or(fallback, |ms| {
            Duration::from_millis(ms.saturating_sub(1000).max(1000))
        })
}

fn say(msg: &str) {
    crate::text::say(&format!("ocf:om:svc: {msg}"));
}

/// The most an om cut at the operation's end is given to end well.
const GRACE: Duration = Duration::from_secs(10);

struct Agent {
    om: PathBuf,
    path: String,
    params: Params,
    docker: Option<crate::host::DockerCli>,
    /// When the operation's time is up: each om command gets what is left.
    deadline: Instant,
}

impl Agent {
    /// What is left of the operation's time (a second at least, so that a
    /// late command still says why it was cut).
    fn left(&self) -> Duration {
        self.deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_secs(1))
    }

    /// `om ARGS` with the resource's root, its output passed to stderr:
    /// its exit code; None, said, for a call that could not run or was cut
    /// at the operation's timeout (no exit of om's: never "down").
    fn om(&self, args: &[&str]) -> Option<u8> {
        let mut cmd = Cmd::new(self.om.to_string_lossy(), args.iter().copied());
        if let Some(root) = &self.params.root {
            cmd.env
                .push(("OSVC_ROOT_PATH".into(), Secret::new(root.clone())));
        }
        // cut at the operation's end, om is told to stop (SIGTERM: it ends
        // its docker calls and rolls back what it started) a grace before
        // it, and killed only then: a SIGKILL first would leave its calls
        // running in their own groups, a container started after
        // Pacemaker took the start for failed
        let left = self.left();
        let grace = (left / 4).min(GRACE);
        match crate::process::capture_terminated(&cmd, left - grace, grace) {
            Ok(out) => {
                let text = format!("{}{}", out.stdout, out.stderr);
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    crate::text::say_raw(line);
                }
                Some(crate::process::exit_code(out.status))
            }
            Err(e) => {
                say(&format!("{cmd}: {e}"));
                None
            }
        }
    }

    fn status(&self) -> Option<u8> {
        self.om(&[&self.path, "status", "--local"])
    }

    /// Whether om holds the service on this node (`om ls`): None when om
    /// could not say.
    fn configured(&self) -> Option<bool> {
        let mut cmd = Cmd::new(self.om.to_string_lossy(), ["ls"]);
        if let Some(root) = &self.params.root {
            cmd.env
                .push(("OSVC_ROOT_PATH".into(), Secret::new(root.clone())));
        }
        let out = capture(&cmd, self.left()).ok().filter(|o| o.success())?;
        let want = crate::paths::SvcPath::parse(&self.path).ok()?.to_string();
        Some(out.stdout.lines().any(|l| l.trim() == want))
    }

    /// How many running containers of the host's engine carry the
    /// service's path label (`com.opensvc.path`).
    fn running_by_label(&self) -> Result<usize> {
        let cli = self
            .docker
            .as_ref()
            .ok_or_else(|| Error::Failed("the engine can not be asked".into()))?;
        let want = crate::paths::SvcPath::parse(&self.path)?.to_string();
        let engine = crate::docker::Engine::host(cli);
        // the engine's filter: the listing om keeps has no path label; a
        // silent answer is docker's "none" here, where there was no
        // question before (the stop said 0 without asking)
        let filter = format!("label={}={want}", crate::docker::argv::LABEL_PATH);
        let cmd = engine.cmd([
            "ps",
            "--no-trunc",
            "--filter",
            &filter,
            "--filter",
            "status=running",
            "--format",
            "{{.ID}}",
        ]);
        let out = capture(&cmd, cli.bound)?;
        if !out.success() {
            return Err(Error::call(&cmd, out.error_line()));
        }
        Ok(out.stdout.lines().filter(|l| !l.trim().is_empty()).count())
    }

    fn monitor(&self) -> u8 {
        let status = self.status();
        let code = agent::monitor_code(status);
        // Unknown: a service that this node does not hold at all can not
        // run here (a probe says so); any other unknown stays a failure.
        if status == Some(4) && self.configured() == Some(false) {
            say(&format!("{}: no such service on this node", self.path));
            return if self.params.is_probe() {
                agent::NOT_RUNNING
            } else {
                agent::ERR_INSTALLED
            };
        }
        code
    }

    fn start(&self) -> u8 {
        let v = self.validate();
        if v != agent::SUCCESS {
            return v;
        }
        let started = self.om(&[&self.path, "start", "--local", "--force"]);
        agent::start_code(started, agent::monitor_code(self.status()))
    }

    fn stop(&self) -> u8 {
        if self.configured() == Some(false) {
            // no config here (deleted with --force, another root): the
            // engine's word on its containers, by their path label
            return match self.running_by_label() {
                Ok(0) => {
                    say(&format!(
                        "{}: no such service on this node, and no container of it runs here",
                        self.path
                    ));
                    agent::SUCCESS
                }
                Ok(n) => {
                    say(&format!(
                        "{}: no config of it on this node, but {n} running container(s) labelled with its path: not stopped",
                        self.path
                    ));
                    agent::ERR_GENERIC
                }
                Err(e) => {
                    say(&format!(
                        "{}: no config of it on this node, and {e}",
                        self.path
                    ));
                    agent::ERR_GENERIC
                }
            };
        }
        let stopped = self.om(&[&self.path, "stop", "--local"]);
        agent::stop_code(stopped, self.status())
    }

    /// The config loads (6 otherwise), then the fencing rule (6).
    fn validate(&self) -> u8 {
        match self.om(&[&self.path, "validate", "config"]) {
            Some(0) => {}
            // not held here is this node's (its config not synced yet, a
            // root not set): 5, which keeps the other nodes; 6 (a config
            // wrong everywhere) would ban the service from all of them
            Some(_) if self.configured() == Some(false) => {
                say(&format!("{}: no such service on this node", self.path));
                return agent::ERR_INSTALLED;
            }
            Some(_) => {
                say(&format!(
                    "{}: the service's config does not validate here",
                    self.path
                ));
                return agent::ERR_CONFIGURED;
            }
            // cut, or om could not run: no word on the config
            None => return agent::ERR_GENERIC,
        }
        if self.params.allow_no_fencing {
            return agent::SUCCESS;
        }
        let stonith = match stonith_enabled(self.left()) {
            Ok(v) => v,
            Err(e) => {
                say(&format!("can not tell whether fencing is on: {e}"));
                return agent::ERR_GENERIC;
            }
        };
        match agent::fencing_check(stonith.as_deref(), false) {
            Ok(()) => agent::SUCCESS,
            Err(e) => {
                say(&e);
                agent::ERR_CONFIGURED
            }
        }
    }
}

/// `stonith-enabled` as the CIB holds it, read with Pacemaker's own tool:
/// None when it is not set (crm_attribute says so with 105, "no such
/// object"); any other failure is an error, never "fencing on" nor "off".
fn stonith_enabled(bound: Duration) -> Result<Option<String>> {
    let cmd = Cmd::new(
        "crm_attribute",
        [
            "--type",
            "crm_config",
            "--name",
            "stonith-enabled",
            "--query",
            "--quiet",
        ],
    )
    .not_found_hint(" (pacemaker-cli-utils)");
    let out = capture(&cmd, bound)?;
    match crate::process::exit_code(out.status) {
        0 if !out.stdout.trim().is_empty() => Ok(Some(out.stdout.trim().to_string())),
        105 => Ok(None),
        _ => Err(Error::Failed(format!("{cmd}: {}", out.error_line()))),
    }
}

/// `om ocf install`: the agent into `$OCF_ROOT/resource.d/om/svc` (OCF_ROOT
/// must exist: Pacemaker's or resource-agents' package makes it), mode
/// 0755, replaced atomically, with this om's path as its default `om`.
fn install(req: &Request) -> Result<()> {
    let root = req
        .ocf_root
        .clone()
        .unwrap_or_else(|| PathBuf::from(OCF_ROOT));
    if !root.is_dir() {
        return Err(Error::Failed(format!(
            "{}: no OCF directory (install pacemaker or resource-agents, or set OCF_ROOT)",
            root.display()
        )));
    }
    let om = std::env::current_exe()
        .map_err(|e| Error::Failed(format!("the path of om itself: {e}")))?;
    let dir = root.join("resource.d").join("om");
    let file = dir.join("svc");
    write_agent(&dir, &file, &agent::agent_script(&om.to_string_lossy()))
        .map_err(|e| Error::Failed(format!("{}: {e}", file.display())))?;
    crate::output::out(&format!("installed {} (ocf:om:svc)\n", file.display()))
}

fn write_agent(dir: &Path, file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)?;
    let tmp = dir.join(format!(".svc.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o755)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        // whatever the umask: Pacemaker's daemons and ocf-tester's nobody run it
        f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        f.sync_all()?;
        std::fs::rename(&tmp, file)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bounds are found where om keeps them (--waitlock's default,
    /// the keyword table), not taken from the fallbacks.
    #[test]
    fn the_bounds_are_om_s_own() {
        assert_eq!(waitlock_default(), Some(Duration::from_secs(30)));
        assert_eq!(daemon_start_default(), Some(Duration::from_secs(30)));
        assert_eq!(
            bounds(Duration::from_secs(7)).docker,
            Duration::from_secs(7)
        );
    }
}
