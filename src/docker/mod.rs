//! The docker driver: argv builders (pure), inspect parsing (pure), the
//! queries om makes of the engine, and the container actions.

pub mod argv;
pub mod container;
pub mod inspect;

use crate::error::{Error, Result};
use crate::process::{capture, Cmd};
use argv::CgroupDriver;
use inspect::{engine_unreachable, ContainerInfo};
use std::time::Duration;

/// The bound of a query (inspect, info, ps): an engine that does not answer
/// in this time is reported, not waited for.
pub const QUERY_BOUND: Duration = Duration::from_secs(30);

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
    let out = capture(&cmd, QUERY_BOUND)?;
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
    let out = capture(&cmd, QUERY_BOUND)?;
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
    let out = capture(&cmd, QUERY_BOUND)?;
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
    match capture(&cmd, QUERY_BOUND) {
        Ok(out) => {
            let mut text = out.stdout;
            text.push_str(&out.stderr);
            text.trim_end().to_string()
        }
        Err(e) => e.to_string(),
    }
}
