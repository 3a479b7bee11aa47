//! The waits of a start: until the container runs, then until it is
//! operational (healthy, when it has a health check), within its
//! `start_timeout`.

use super::operational;
use super::progress::Progress;
use crate::docker::inspect::ContainerInfo;
use crate::error::{Error, Result};
use crate::model::Container;
use crate::resource::context::Context;
use crate::units::humanize;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(100);
const LOG_TAIL_LINES: usize = 5;

/// Polls the container by its verified id until it runs.
pub(super) fn wait_up(
    ctx: &Context,
    c: &Container,
    id: &str,
    deadline: Instant,
) -> Result<ContainerInfo> {
    let mut progress = Progress::new(ctx.log, &c.head.rid, "wait for up status", c.start_timeout);
    loop {
        let info = inspect_id(ctx, c, id)?;
        if info.running {
            progress.done();
            return Ok(info);
        }
        progress.tick(&format!("state {}", info.state));
        if matches!(info.state.as_str(), "exited" | "dead") {
            return Err(exited(ctx, c, &info));
        }
        if Instant::now() >= deadline {
            return Err(Error::Failed(format!(
                "container {} not up after {} (start_timeout), state {}",
                c.name,
                humanize(c.start_timeout),
                info.state
            )));
        }
        crate::interrupt::sleep(POLL)?;
    }
}

/// The container with this id; gone is an error of the start.
fn inspect_id(ctx: &Context, c: &Container, id: &str) -> Result<ContainerInfo> {
    ctx.engine
        .inspect(&[id])?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or_else(|| Error::Failed(format!("container {} disappeared while starting", c.name)))
}

fn exited(ctx: &Context, c: &Container, info: &ContainerInfo) -> Error {
    let tail = ctx.engine.logs_tail(&info.id, LOG_TAIL_LINES);
    let mut msg = format!(
        "container {} exited with code {} while starting",
        c.name, info.exit_code
    );
    if !tail.is_empty() {
        msg.push_str(&format!("; last log lines:\n{tail}"));
    }
    Error::Failed(msg)
}

/// With a health check (image or run_args), wait until healthy.
pub(super) fn wait_operational(
    ctx: &Context,
    c: &Container,
    info: ContainerInfo,
    deadline: Instant,
) -> Result<()> {
    let mut progress = Progress::new(
        ctx.log,
        &c.head.rid,
        "wait for container operational",
        c.start_timeout,
    );
    let mut info = info;
    loop {
        progress.tick(&format!(
            "health {}",
            info.health.as_deref().unwrap_or("none")
        ));
        match info.health.as_deref() {
            _ if operational(&info) => {
                progress.done();
                return Ok(());
            }
            _ if !info.running => return Err(exited(ctx, c, &info)),
            Some(health) if Instant::now() >= deadline => {
                return Err(Error::Failed(format!(
                    "container {} not healthy after {} (start_timeout), health {health}",
                    c.name,
                    humanize(c.start_timeout)
                )))
            }
            _ => {}
        }
        crate::interrupt::sleep(POLL)?;
        info = inspect_id(ctx, c, &info.id)?;
    }
}
