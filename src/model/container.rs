//! The container kind (STYLE.md, "resources are kinds"): a container
//! resource is the common head plus what a `docker run` needs. Its section
//! is read in `config::sections::container`; its actions are in
//! `resource::container`.

use super::env_ref::EnvRef;
use super::head::Head;
use std::time::Duration;

/// A container resource: the head every resource has (its rid, flags,
/// requirements, triggers and limits: `model::Head`, its `head` field), and
/// what the container kind adds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Container {
    pub head: Head,
    pub image: String,
    /// The container name.
    pub name: String,
    pub command: Vec<String>,
    pub entrypoint: Vec<String>,
    pub run_args: Vec<String>,
    pub hostname: Option<String>,
    /// Set explicitly (docker's value: `none`, `host`, `container:NAME`, a network).
    pub netns: Option<String>,
    pub pidns: Option<String>,
    pub ipcns: Option<String>,
    pub utsns: Option<String>,
    pub userns: Option<String>,
    pub privileged: bool,
    pub interactive: bool,
    pub tty: bool,
    pub init: bool,
    pub read_only: bool,
    pub user: Option<String>,
    pub cwd: Option<String>,
    pub environment: Vec<String>,
    pub volume_mounts: Vec<String>,
    pub devices: Vec<String>,
    pub rm: bool,
    pub detach: bool,
    pub pull_always: bool,
    pub start_timeout: Duration,
    pub stop_timeout: Option<Duration>,
    pub pull_timeout: Duration,
    /// Rids this one shares a namespace with: they start before it.
    pub depends_on: Vec<String>,
    /// `secrets_environment` then `configs_environment` (SPEC 13).
    pub env_refs: Vec<EnvRef>,
    /// `registry_creds` (the container's, else DEFAULT's): a secret of the
    /// service's namespace with a `config.json`.
    pub registry_creds: Option<String>,
}

#[cfg(test)]
impl Container {
    /// A container resource for unit tests: its rid set, the rest default.
    pub fn for_test(rid: &str) -> Container {
        Container {
            head: Head {
                rid: rid.into(),
                ..Default::default()
            },
            ..Container::default()
        }
    }
}
