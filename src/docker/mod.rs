//! The docker driver: argv builders (pure), inspect parsing (pure), the
//! queries om makes of the engine, and the container actions.

pub mod argv;
pub mod container;
pub mod inspect;

use crate::config::value::parse_duration;
use crate::error::{Error, Result};
use crate::process::{capture, Cmd};
use argv::CgroupDriver;
use inspect::{engine_unreachable, ContainerInfo};
use std::sync::OnceLock;
use std::time::Duration;

/// The bound of every docker call that has no keyword of its own (inspect,
/// info, start, rm, run -d): a docker that hangs is killed and reported.
/// `OM_DOCKER_TIMEOUT` (a duration) overrides the default 60s.
pub fn call_bound() -> Duration {
    static BOUND: OnceLock<Duration> = OnceLock::new();
    *BOUND.get_or_init(|| {
        std::env::var("OM_DOCKER_TIMEOUT")
            .ok()
            .and_then(|v| parse_duration(&v).ok())
            .unwrap_or(Duration::from_secs(60))
    })
}

fn engine_error(cmd: &Cmd, stderr_line: &str) -> Error {
    Error::Failed(format!("docker engine unreachable ({cmd}): {stderr_line}"))
}

/// One `docker container inspect` of all `names`; the ones that do not
/// exist are simply absent from the result.
pub fn inspect<S: AsRef<str>>(names: &[S]) -> Result<Vec<ContainerInfo>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let cmd = Cmd::docker(argv::inspect_argv(names));
    let out = capture(&cmd, call_bound())?;
    if !out.success() {
        let only_missing = out
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .all(|l| l.contains("No such container") || l.contains("No such object"));
        if !only_missing {
            if engine_unreachable(&out.stderr) {
                return Err(engine_error(&cmd, &out.error_line()));
            }
            return Err(Error::Failed(format!("{cmd}: {}", out.error_line())));
        }
    }
    inspect::parse(&out.stdout).map_err(Error::Failed)
}

/// The one container named `name`, if it exists.
pub fn inspect_one(name: &str) -> Result<Option<ContainerInfo>> {
    Ok(inspect(&[name])?.into_iter().next())
}

/// The engine's cgroup driver (asked once per action).
pub fn cgroup_driver() -> Result<CgroupDriver> {
    let cmd = Cmd::docker(argv::cgroup_driver_argv());
    let out = capture(&cmd, call_bound())?;
    if !out.success() {
        return Err(engine_error(&cmd, &out.error_line()));
    }
    Ok(match out.stdout.trim() {
        "systemd" => CgroupDriver::Systemd,
        _ => CgroupDriver::Cgroupfs,
    })
}

/// Whether the image is present locally.
pub fn image_present(image: &str) -> Result<bool> {
    let cmd = Cmd::docker(argv::image_inspect_argv(image));
    let out = capture(&cmd, call_bound())?;
    if out.success() {
        return Ok(true);
    }
    if engine_unreachable(&out.stderr) {
        return Err(engine_error(&cmd, &out.error_line()));
    }
    Ok(false)
}

/// The last lines of a container's output (stdout and stderr), for errors.
pub fn logs_tail(id: &str, lines: usize) -> String {
    let cmd = Cmd::docker(argv::logs_tail_argv(id, lines));
    match capture(&cmd, call_bound()) {
        Ok(out) => {
            let mut text = out.stdout;
            text.push_str(&out.stderr);
            text.trim_end().to_string()
        }
        Err(e) => e.to_string(),
    }
}
