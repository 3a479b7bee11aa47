//! The stop of a container resource: `docker stop` by its verified id,
//! `docker rm` of its name when it still is that container, then a wait
//! until docker says it is down.

use super::calls::{run, run_shown};
use super::check_owned;
use super::progress::Progress;
use crate::docker::argv;
use crate::docker::inspect::ContainerInfo;
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::Container;
use crate::resource::context::Context;
use crate::units::humanize;
use std::time::{Duration, Instant};

/// Docker's own default grace time of `docker stop`.
const DOCKER_STOP_DEFAULT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(100);

/// Stops the resource; `remove` (unprovision) removes it whatever `rm` says.
pub fn stop(
    ctx: &Context,
    c: &Container,
    current: Option<ContainerInfo>,
    remove: bool,
) -> Result<()> {
    let Some(info) = current else {
        ctx.log.res(&c.head.rid, Level::Info, "already stopped");
        return Ok(());
    };
    check_owned(ctx, c, &info)?;
    let active = info.running || matches!(info.state.as_str(), "paused" | "restarting");
    let bound = c.stop_timeout.unwrap_or(DOCKER_STOP_DEFAULT) + ctx.engine.bound();
    if active {
        run(
            ctx,
            &c.head.rid,
            argv::stop_argv(&info.id, c.stop_timeout),
            bound,
        )?;
    } else {
        ctx.log.res(&c.head.rid, Level::Info, "already stopped");
    }
    let removed = remove || c.rm;
    if removed {
        rm(ctx, c, &info)?;
    }
    if active && !ctx.dry_run {
        wait_down(ctx, c, &info, bound)?;
    }
    Ok(())
}

/// `docker rm NAME` of the container om verified as the resource's,
/// after checking that NAME still is that container: a long stop gives
/// time for another to take the name.
pub(super) fn rm(ctx: &Context, c: &Container, verified: &ContainerInfo) -> Result<()> {
    if !ctx.dry_run {
        match ctx.engine.inspect_one(&verified.name)? {
            Some(now) if now.id == verified.id => {}
            Some(now) => {
                return Err(Error::Failed(format!(
                    "container {}: the name now belongs to {}, not {} that om stopped: not removed",
                    verified.name,
                    now.short_id(),
                    verified.short_id()
                )))
            }
            None => {
                ctx.log.res(&c.head.rid, Level::Info, "already removed");
                return Ok(());
            }
        }
    }
    run_shown(
        ctx,
        &c.head.rid,
        argv::rm_argv(&verified.name),
        ctx.engine.bound(),
        false,
    )
    .map(drop)
}

fn wait_down(
    ctx: &Context,
    c: &Container,
    verified: &ContainerInfo,
    bound: Duration,
) -> Result<()> {
    let mut progress = Progress::new(ctx.log, &c.head.rid, "wait for down status", bound);
    let deadline = Instant::now() + bound;
    loop {
        // By id: the name may have been taken by another since.
        let now = ctx.engine.inspect(&[&verified.id])?.into_iter().next();
        if now.as_ref().is_none_or(|i| !i.running) {
            progress.done();
            return Ok(());
        }
        progress.tick("state running");
        if Instant::now() >= deadline {
            return Err(Error::Failed(format!(
                "container {} still running after {}",
                c.name,
                humanize(bound)
            )));
        }
        crate::interrupt::sleep(POLL)?;
    }
}
