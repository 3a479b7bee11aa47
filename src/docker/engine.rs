//! The engine a service's containers run on, as a value: the host's
//! (`docker`), or a service's private daemon (`docker -H unix://SOCK`). It
//! builds every docker command, so the host arguments are on every logged
//! line and each line replays as is (STYLE.md, "the engine is a value").

use crate::process::Cmd;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Engine {
    /// The docker CLI (`OM_DOCKER`, else `docker`).
    program: String,
    /// A private daemon's socket; `None` for the host's engine.
    socket: Option<PathBuf>,
}

impl Engine {
    /// The host's engine: the docker CLI's own default (`DOCKER_HOST` and
    /// the CLI context apply, as for a plain `docker` command).
    pub fn host() -> Engine {
        Engine {
            program: crate::host::docker_cli().program.clone(),
            socket: None,
        }
    }

    /// A private daemon listening on `socket`.
    pub fn private(socket: &Path) -> Engine {
        Engine {
            program: crate::host::docker_cli().program.clone(),
            socket: Some(socket.to_path_buf()),
        }
    }

    /// A private daemon's socket; `None` for the host's engine.
    pub fn socket(&self) -> Option<&Path> {
        self.socket.as_deref()
    }

    /// `-H unix://SOCK` for a private daemon, nothing for the host's.
    pub fn host_args(&self) -> Vec<String> {
        match &self.socket {
            Some(s) => vec!["-H".into(), format!("unix://{}", s.display())],
            None => Vec::new(),
        }
    }

    /// The docker command `args` on this engine.
    pub fn cmd<S: Into<String>>(&self, args: impl IntoIterator<Item = S>) -> Cmd {
        let mut all = self.host_args();
        all.extend(args.into_iter().map(Into::into));
        Cmd::new(self.program.clone(), all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_engine_puts_its_socket_on_every_command() {
        let e = Engine::private(Path::new("/var/svc/a/docker.sock"));
        let cmd = e.cmd(["ps", "-a"]);
        assert_eq!(
            cmd.args,
            ["-H", "unix:///var/svc/a/docker.sock", "ps", "-a"]
        );
        assert_eq!(Engine::host().cmd(["ps"]).args, ["ps"]);
    }
}
