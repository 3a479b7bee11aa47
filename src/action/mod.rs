//! One action on one instance of a service (SPEC 4.3, 12): the config read
//! once (`load`), the lock, the guard, the resources it selects, the
//! limits, the plan and its stages, what a purge removes. The commands
//! parse arguments and call `run`; an action across nodes (`nodes::across`)
//! calls `run::run_one` for its local step.

mod act;
pub mod delete;
pub mod delete_sections;
pub mod existing;
pub mod guard;
pub mod instance;
pub mod limits;
pub mod load;
pub mod log;
pub mod plan;
pub mod pull;
pub mod remove;
pub mod run;
pub mod select;
mod stages;

use crate::error::{Error, Result};
use crate::paths::SvcPath;
use crate::units::parse_duration;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Start,
    Stop,
    Restart,
    Provision,
    /// The provision of `deploy`: with `--force` on an existing service,
    /// containers created from another config are recreated (SPEC 3).
    Deploy,
    Unprovision,
    Purge,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Restart => "restart",
            Action::Provision => "provision",
            Action::Deploy => "deploy",
            Action::Unprovision => "unprovision",
            Action::Purge => "purge",
        }
    }

    /// An action that may start containers (the guard and the limits go
    /// before it, the secrets are read first).
    pub fn starts(self) -> bool {
        matches!(
            self,
            Action::Start | Action::Provision | Action::Deploy | Action::Restart
        )
    }

    /// An action that only stops or removes: it acts on what a config with
    /// errors still names (`config::load_for_stop`).
    pub fn stops(self) -> bool {
        matches!(self, Action::Stop | Action::Unprovision | Action::Purge)
    }
}

/// `--expect-id`: the service here must be the one the asking node has.
pub fn check_id(svc: &crate::model::Service, common: &crate::cli::CommonArgs) -> Result<()> {
    check_id_of(&svc.path, &svc.id, common)
}

/// `check_id` of the service at `path`, whose id here is `id`.
pub fn check_id_of(path: &SvcPath, id: &str, common: &crate::cli::CommonArgs) -> Result<()> {
    match &common.expect_id {
        Some(expect) if expect != id => Err(Error::Failed(format!(
            "{path}: the service here has id {id}, not {expect}: another service at this path, not acted on"
        ))),
        _ => Ok(()),
    }
}

/// `--waitlock`: how long an action waits for the lock another holds.
pub fn waitlock(s: &str) -> Result<Duration> {
    parse_duration(s).map_err(|e| Error::Usage(format!("--waitlock: {e}")))
}
