//! A new container for the resource: `docker run -d`, or an init job run
//! to completion and removed.

use super::calls::{run, run_container};
use super::owns;
use crate::docker::argv::{self, RunCtx};
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::Container;
use crate::resource::context::Context;

/// `docker run` (or a foreground run to completion for an init job);
/// the new container's id.
pub(super) fn create(ctx: &Context, c: &Container) -> Result<String> {
    let env_names: Vec<String> = ctx
        .env_of(&c.head.rid)
        .iter()
        .map(|(k, _)| k.clone())
        .collect();
    let run_ctx = RunCtx {
        path: &ctx.svc.path,
        svc_id: &ctx.svc.id,
        driver: ctx.driver()?,
        env_names: &env_names,
    };
    for dropped in argv::filter_run_args(c).1 {
        ctx.log.res(
            &c.head.rid,
            Level::Warn,
            &format!("run_args: '{dropped}' dropped, om sets this itself"),
        );
    }
    if !c.detach {
        // An init job: to completion, then removed.
        let result = run_container(ctx, c, argv::run_argv(c, &run_ctx), c.start_timeout);
        if !ctx.dry_run {
            remove_job(ctx, c);
        }
        return result.map(|_| String::new());
    }
    let out = run_container(ctx, c, argv::run_argv(c, &run_ctx), ctx.engine.bound())?;
    if ctx.dry_run {
        return Ok(String::new());
    }
    // `docker run -d` prints the new container's id (last, after what a
    // wrapper may say): the waits follow it, not the name.
    let printed = out.stdout.lines().rev().find(|l| !l.trim().is_empty());
    if let Some(id) = printed
        .map(str::trim)
        .filter(|l| crate::docker::inspect::is_full_id(l))
    {
        return Ok(id.to_string());
    }
    match ctx.engine.inspect_one(&c.name)? {
        Some(info) if owns(ctx.svc, c, &info) => Ok(info.id),
        _ => Err(Error::Failed(format!(
            "docker run printed no container id for {}, and none of ours has the name",
            c.name
        ))),
    }
}

/// `docker rm -f NAME` of a finished (or killed) init job, only when
/// NAME is still this resource's: a `docker run` that failed on a name
/// conflict must not remove the other container.
fn remove_job(ctx: &Context, c: &Container) {
    match ctx.engine.inspect_one(&c.name) {
        Ok(Some(info)) if owns(ctx.svc, c, &info) => {
            // -f: a job killed at its bound may still be running
            let _ = run(
                ctx,
                &c.head.rid,
                argv::rm_force_argv(&c.name),
                ctx.engine.bound(),
            );
        }
        Ok(Some(_)) => ctx.log.res(
            &c.head.rid,
            Level::Warn,
            &format!("{}: not this resource's container, left alone", c.name),
        ),
        Ok(None) => {}
        Err(e) => ctx.log.res(
            &c.head.rid,
            Level::Warn,
            &format!("init job not removed: {e}"),
        ),
    }
}
