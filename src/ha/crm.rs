//! Pacemaker's own tools, as commands: `cibadmin`, `crm_resource`,
//! `crm_mon`, each behind the host's `OM_PACEMAKER` words (where the
//! cluster answers). Every call is bounded, and a call that fails or says
//! nothing is an error naming it: never a conclusion.

use crate::error::{Error, Result};
use crate::host::Host;
use crate::process::{capture, Cmd, Output};
use std::time::Duration;

/// The bound of a query or a CIB write.
pub const BOUND: Duration = Duration::from_secs(30);

/// `program args…` as this host runs Pacemaker's tools.
pub fn cmd(ctx: &Host, program: &str, args: &[&str]) -> Cmd {
    let wrap = &ctx.pacemaker.wrap;
    let (prog, mut argv) = match wrap.split_first() {
        Some((first, rest)) => (first.clone(), rest.to_vec()),
        None => (program.to_string(), Vec::new()),
    };
    if !wrap.is_empty() {
        argv.push(program.to_string());
    }
    argv.extend(args.iter().map(ToString::to_string));
    Cmd::new(prog, argv)
        .not_found_hint(" (are Pacemaker's tools, pacemaker-cli-utils, installed and in PATH?)")
        .traced(ctx.debug.as_ref())
}

/// Runs `cmd` within `bound`; a non-zero exit is an error with its line.
pub fn run(cmd: &Cmd, bound: Duration) -> Result<Output> {
    let out = capture(cmd, bound)?;
    if !out.success() {
        return Err(Error::call(cmd, out.error_line()));
    }
    Ok(out)
}

/// Runs `cmd`; exit 105 (ENXIO: cibadmin's "no such object") is None.
pub fn query(cmd: &Cmd) -> Result<Option<String>> {
    let out = capture(cmd, BOUND)?;
    match crate::process::exit_code(out.status) {
        0 if out.stdout.trim().is_empty() => Err(Error::call(cmd, "an empty answer")),
        0 => Ok(Some(out.stdout)),
        105 => Ok(None),
        _ => Err(Error::call(cmd, out.error_line())),
    }
}

/// `crm_resource --wait`: until the cluster has done what it decided, at
/// most `timeout`.
pub fn wait(ctx: &Host, timeout: Duration) -> Cmd {
    cmd(
        ctx,
        "crm_resource",
        &[
            "--wait",
            "--timeout",
            &format!("{}s", timeout.as_secs().max(1)),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrapper_words_come_first() {
        let mut ctx = Host::for_test(crate::paths::Roots::system(), "n1");
        let c = cmd(&ctx, "crm_mon", &["--output-as=xml"]);
        assert_eq!(
            (c.program.as_str(), c.args.clone()),
            ("crm_mon", vec!["--output-as=xml".to_string()])
        );
        ctx.pacemaker.wrap = vec!["nsenter".into(), "--net=/run/netns/c1".into()];
        let c = cmd(&ctx, "crm_mon", &["--output-as=xml"]);
        assert_eq!(
            c.to_string(),
            "nsenter --net=/run/netns/c1 crm_mon --output-as=xml"
        );
    }
}
