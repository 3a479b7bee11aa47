//! The engine a service's containers run on, as a value: the host's
//! (`docker`), or a service's private daemon (`docker -H unix://SOCK`). It
//! builds every docker command, so the host arguments are on every logged
//! line and each line replays as is (STYLE.md, "the engine is a value").

use crate::host::DockerCli;
use crate::process::Cmd;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Engine {
    /// The docker CLI (`OM_DOCKER`, else `docker`), the bound of its calls
    /// and `DOCKER_HOST`, as the host read them.
    cli: DockerCli,
    /// A private daemon's socket; `None` for the host's engine.
    socket: Option<PathBuf>,
    /// `docker --config DIR`: a service's registry credentials, for its
    /// pulls and runs only (SPEC 13).
    config: Option<PathBuf>,
}

/// What a docker CLI that can not be found is said with.
pub const DOCKER_MISSING: &str = " (is the docker CLI installed and in PATH?)";

impl Engine {
    /// The host's engine: the docker CLI's own default (`DOCKER_HOST` and
    /// the CLI context apply, as for a plain `docker` command).
    pub fn host(cli: &DockerCli) -> Engine {
        Engine {
            cli: cli.clone(),
            socket: None,
            config: None,
        }
    }

    /// A private daemon listening on `socket`.
    pub fn private(cli: &DockerCli, socket: &Path) -> Engine {
        Engine {
            cli: cli.clone(),
            socket: Some(socket.to_path_buf()),
            config: None,
        }
    }

    /// The bound of every docker call that has no keyword of its own
    /// (inspect, info, start, rm, run -d): a docker that hangs is killed
    /// and reported.
    pub fn bound(&self) -> Duration {
        self.cli.bound
    }

    /// A private daemon's socket; `None` for the host's engine.
    pub fn socket(&self) -> Option<&Path> {
        self.socket.as_deref()
    }

    /// The host's engine's socket, when om can tell which one its docker
    /// CLI reaches (`host::cli_socket`); `None` for a private daemon.
    pub fn host_socket(&self) -> Option<&Path> {
        match self.socket {
            Some(_) => None,
            None => self.cli.socket.as_deref(),
        }
    }

    /// `--debug`'s trace of this engine's calls.
    pub fn trace(&self) -> Option<&crate::debug::Trace> {
        self.cli.trace.as_ref()
    }

    /// The same engine, its commands run with `docker --config DIR`.
    pub fn with_config(&self, dir: &Path) -> Engine {
        Engine {
            config: Some(dir.to_path_buf()),
            ..self.clone()
        }
    }

    /// `-H unix://SOCK` for a private daemon, nothing for the host's. With
    /// `--config DIR`, the engine is named explicitly too (`DOCKER_HOST`,
    /// else docker's default socket): the docker context of the operator's
    /// own config is not read from DIR.
    pub fn host_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(dir) = &self.config {
            args.push("--config".into());
            args.push(dir.display().to_string());
        }
        match (&self.socket, &self.config) {
            (Some(s), _) => {
                args.push("-H".into());
                args.push(format!("unix://{}", s.display()));
            }
            (None, Some(_)) => {
                args.push("-H".into());
                args.push(
                    self.cli
                        .docker_host
                        .clone()
                        .unwrap_or_else(|| "unix:///var/run/docker.sock".into()),
                );
            }
            (None, None) => {}
        }
        args
    }

    /// The docker command `args` on this engine.
    pub fn cmd<S: Into<String>>(&self, args: impl IntoIterator<Item = S>) -> Cmd {
        let mut all = self.host_args();
        all.extend(args.into_iter().map(Into::into));
        Cmd::new(self.cli.program.clone(), all)
            .not_found_hint(DOCKER_MISSING)
            .traced(self.cli.trace.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_engine_puts_its_socket_on_every_command() {
        let cli = DockerCli::default();
        let e = Engine::private(&cli, Path::new("/var/svc/a/docker.sock"));
        let cmd = e.cmd(["ps", "-a"]);
        assert_eq!(
            cmd.args,
            ["-H", "unix:///var/svc/a/docker.sock", "ps", "-a"]
        );
        assert_eq!(Engine::host(&cli).cmd(["ps"]).args, ["ps"]);
    }
}
