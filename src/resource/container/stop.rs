//! The stop of a container resource: `docker stop` by its verified id,
//! `docker rm` of its name when it still is that container, then the wait
//! for down status, which `docker stop` itself is: it exits 0 only once
//! the container no longer runs (docker waits for its exit, and kills it
//! at the grace time), and a container docker stopped is not restarted by
//! its restart policy. So no query follows it (an inspect cost one docker
//! call per container, a fifth of a stop: scripts/bench l and m).

use super::calls::{run, run_shown};
use super::check_owned;
use super::progress::Progress;
use crate::docker::argv;
use crate::docker::inspect::ContainerInfo;
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::Container;
use crate::resource::context::Context;
use std::time::Duration;

/// Docker's own default grace time of `docker stop`.
const DOCKER_STOP_DEFAULT: Duration = Duration::from_secs(10);

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
        // down: `docker stop` said so by its exit (see the module's doc)
        Progress::new(ctx.log, &c.head.rid, "wait for down status", bound).done();
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
