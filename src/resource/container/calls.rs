//! The container kind's docker calls: each logged as a line that replays,
//! a non-zero exit an error naming its docker command.

use crate::error::{Error, Result};
use crate::model::Container;
use crate::process::{Cmd, Output};
use crate::resource::context::Context;
use std::time::Duration;

/// Logs and runs one docker command; a non-zero exit is an error.
pub(super) fn run(ctx: &Context, rid: &str, args: Vec<String>, bound: Duration) -> Result<Output> {
    run_shown(ctx, rid, args, bound, true)
}

/// `show_stdout`: log docker's stdout after `output:` (not for
/// `docker rm`, whose stdout only echoes the name).
pub(super) fn run_shown(
    ctx: &Context,
    rid: &str,
    args: Vec<String>,
    bound: Duration,
    show_stdout: bool,
) -> Result<Output> {
    let verb = args.first().cloned().unwrap_or_else(|| "docker".into());
    run_cmd(ctx, rid, ctx.engine.cmd(args), &verb, bound, show_stdout)
}

/// `docker run` of `c`: its credentials, and the variables it takes from
/// secrets and configs in docker's environment.
pub(super) fn run_container(
    ctx: &Context,
    c: &Container,
    args: Vec<String>,
    bound: Duration,
) -> Result<Output> {
    let mut cmd = ctx.engine_with_creds(c).cmd(args);
    cmd.env = ctx.env_of(&c.head.rid).to_vec();
    run_cmd(ctx, &c.head.rid, cmd, "run", bound, true)
}

/// Logs and runs a docker command built by the caller (`verb`: its
/// docker command, for the error).
pub(super) fn run_cmd(
    ctx: &Context,
    rid: &str,
    cmd: Cmd,
    verb: &str,
    bound: Duration,
    show_stdout: bool,
) -> Result<Output> {
    let out = crate::logger::run_logged(ctx.log, rid, &cmd, bound, ctx.dry_run, show_stdout)?;
    if !out.success() {
        return Err(Error::Failed(format!(
            "docker {verb} failed: {}",
            out.error_line()
        )));
    }
    Ok(out)
}
