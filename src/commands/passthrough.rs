//! `om SELECTOR docker ARGS…` (SPEC 6): docker with the terminal inherited
//! and its exit code passed through.

use super::Ctx;
use crate::config;
use crate::error::{Error, Result};
use crate::process::{inherit, Cmd};
use crate::substitute::substitute;

pub fn docker(ctx: &Ctx, selector: &str, args: &[String]) -> Result<()> {
    let paths = ctx.select(selector)?;
    // Substitute for every service first: a bad reference runs nothing.
    let mut cmds = Vec::with_capacity(paths.len());
    for path in &paths {
        let (_, svc) = config::load(path, &ctx.roots, &ctx.node)?;
        cmds.push(Cmd::docker(substitute(args, &svc).map_err(Error::Usage)?));
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
