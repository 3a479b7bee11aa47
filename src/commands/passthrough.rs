//! `om SELECTOR docker ARGS…` (SPEC 6): docker with the terminal inherited
//! and its exit code passed through.

use super::Ctx;
use crate::config;
use crate::docker;
use crate::error::{Error, Result};
use crate::process::{capture, inherit};
use crate::substitute::substitute;
use std::io::IsTerminal;

pub fn docker(ctx: &Ctx, selector: &str, args: &[String]) -> Result<()> {
    let paths = ctx.select(selector)?;
    // Substitute for every service first: a bad reference runs nothing.
    let mut cmds = Vec::with_capacity(paths.len());
    let mut services = Vec::with_capacity(paths.len());
    for path in &paths {
        let (_, svc) = config::load(path, &ctx.roots, &ctx.node)?;
        let argv = substitute(args, &svc).map_err(Error::Usage)?;
        services.push((svc, argv));
    }
    // Each on its service's engine: a private daemon is started for it.
    for (svc, argv) in services {
        let log = super::service_log(ctx, &svc.path, false);
        let engine = docker::daemon::engine_for(&svc, &ctx.roots, &log, false, true)?;
        cmds.push(engine.cmd(argv));
    }
    let mut first_failure = 0;
    for cmd in &cmds {
        let code = inherit(cmd)?;
        if first_failure == 0 {
            first_failure = code;
        }
    }
    match first_failure {
        0 => Ok(()),
        code => Err(Error::Child(code)),
    }
}

/// `docker exec -it NAME /bin/bash`, or `/bin/sh` where the image has no
/// bash. `-t` only when stdin is a terminal, so `enter` also works in a pipe.
pub fn enter(ctx: &Ctx, selector: &str, rid: &str) -> Result<()> {
    let paths = ctx.select(selector)?;
    let [path] = paths.as_slice() else {
        return Err(Error::Usage(format!(
            "enter needs exactly one service, '{selector}' selects {}",
            paths.len()
        )));
    };
    let (_, svc) = config::load(path, &ctx.roots, &ctx.node)?;
    let log = super::service_log(ctx, path, false);
    let engine = docker::daemon::engine_for(&svc, &ctx.roots, &log, false, true)?;
    let c = svc
        .containers
        .iter()
        .find(|c| c.rid == rid)
        .ok_or_else(|| {
            Error::Usage(format!(
                "--rid {rid}: no such resource in {path} (its rids: {})",
                svc.rid_list()
            ))
        })?;
    match engine.inspect_one(&c.name)? {
        Some(info) if info.running => {}
        _ => {
            return Err(Error::Failed(format!(
                "{path}: container {} of {rid} is not running",
                c.name
            )))
        }
    }
    let has_bash = capture(
        &engine.cmd(["exec", c.name.as_str(), "/bin/bash", "-c", "true"]),
        docker::call_bound(),
    )?
    .success();
    let shell = if has_bash { "/bin/bash" } else { "/bin/sh" };
    let mut args = vec!["exec", "-i"];
    if std::io::stdin().is_terminal() {
        args.push("-t");
    }
    args.extend([c.name.as_str(), shell]);
    match inherit(&engine.cmd(args))? {
        0 => Ok(()),
        code => Err(Error::Child(code)),
    }
}
