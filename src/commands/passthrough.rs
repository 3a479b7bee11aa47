//! `om SELECTOR docker ARGS…` (SPEC 6): docker with the terminal inherited
//! and its exit code passed through; with `--node N`, the same on node N of
//! the service through its transport (SPEC 12).

use crate::action::log::service_log;
use crate::config;
use crate::docker;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::logger::Level;
use crate::model::Service;
use crate::nodename::is_local;
use crate::nodes::transport::Transport;
use crate::process::{capture, inherit, Cmd};
use crate::substitute::substitute;
use std::io::IsTerminal;

/// ssh's own failures exit 255 (and so does a remote command that exits
/// 255: the two can not be told apart, so the code is passed through as is).
const SSH_FAILED: u8 = 255;

/// Where one service's docker runs.
enum Run {
    /// Here, with its references substituted.
    Here(Service, Vec<String>),
    /// On another node of the service, as its config names it: the om
    /// there substitutes, against its own config.
    There(Service, String),
}

pub fn docker(ctx: &Host, selector: &str, node: Option<&str>, args: &[String]) -> Result<()> {
    let paths = ctx.select(selector)?;
    // Every service checked first (its references, the node among its
    // nodes): a bad one runs nothing.
    let mut runs = Vec::with_capacity(paths.len());
    for path in &paths {
        let (_, svc) = config::load(path, ctx)?;
        let there = match node {
            Some(n) => {
                let n = svc
                    .node_named(n, &ctx.node)
                    .ok_or_else(|| Error::Usage(svc.not_a_node(n)))?;
                (!is_local(&n, &ctx.node)).then_some(n)
            }
            None => None,
        };
        runs.push(match there {
            Some(n) => Run::There(svc, n),
            None => {
                let argv = substitute(args, &svc)?;
                Run::Here(svc, argv)
            }
        });
    }
    // A terminal there when om has one (docker exec -it); without one on
    // both ends, ssh -t would only warn.
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    // Each here on its service's engine (a private daemon is started for
    // it), each there through the transport.
    let mut cmds: Vec<(Cmd, Option<(String, String)>)> = Vec::with_capacity(runs.len());
    for run in runs {
        match run {
            Run::Here(svc, argv) => {
                let log = service_log(ctx, &svc.path, false);
                let engine = docker::daemon::engine_for(&svc, ctx, &log, false, true)?;
                cmds.push((engine.cmd(argv), None));
            }
            Run::There(svc, node) => {
                let path = svc.path.to_string();
                let cmd = remote_cmd(&ctx.transport, &node, &path, args, tty)?;
                // in the action log only: stderr is docker's
                let log = service_log(ctx, &svc.path, true);
                log.svc(Level::Info, &cmd.to_string());
                cmds.push((cmd, Some((path, node))));
            }
        }
    }
    let mut first_failure = 0;
    for (cmd, remote) in &cmds {
        let code = inherit(cmd)?;
        if let (SSH_FAILED, Some((path, node))) = (code, remote) {
            crate::text::say(&format!(
                "{path}: docker on {node}: ssh exited {SSH_FAILED}: {node} is unreachable, or docker there exited {SSH_FAILED}"
            ));
        }
        if first_failure == 0 {
            first_failure = code;
        }
    }
    match first_failure {
        0 => Ok(()),
        code => Err(Error::Child(code)),
    }
}

/// `om PATH docker -- ARGS…` on `node`: the ARGS as given (the om there
/// substitutes them), after `--` so that none is taken for an option of
/// that om (`--node` included).
fn remote_cmd(
    transport: &Transport,
    node: &str,
    path: &str,
    args: &[String],
    tty: bool,
) -> Result<Cmd> {
    let mut words = vec![path, "docker", "--"];
    words.extend(args.iter().map(String::as_str));
    transport.om_cmd_tty(node, &words, tty)
}

/// `docker exec -it NAME /bin/bash`, or `/bin/sh` where the image has no
/// bash. `-t` only when stdin is a terminal, so `enter` also works in a pipe.
pub fn enter(ctx: &Host, selector: &str, rid: Option<&str>) -> Result<()> {
    let paths = ctx.select(selector)?;
    let [path] = paths.as_slice() else {
        return Err(Error::Usage(format!(
            "enter needs exactly one service, '{selector}' selects {}",
            paths.len()
        )));
    };
    let (_, svc) = config::load(path, ctx)?;
    let c = match (rid, svc.containers.as_slice()) {
        (Some(rid), _) => svc
            .containers
            .iter()
            .find(|c| c.head.rid == rid)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--rid {rid}: no such resource in {path} (its rids: {})",
                    svc.rid_list()
                ))
            })?,
        // one container: that one, as `docker compose exec` needs no more
        (None, [only]) => only,
        (None, []) => return Err(Error::Usage(format!("enter: {path} has no container"))),
        (None, several) => {
            let rids: Vec<&str> = several.iter().map(|c| c.head.rid.as_str()).collect();
            return Err(Error::Usage(format!(
                "enter: {path} has {} containers, say which with --rid ({})",
                several.len(),
                rids.join(", ")
            )));
        }
    };
    let rid = c.head.rid.as_str();
    let log = service_log(ctx, path, false);
    let engine = docker::daemon::engine_for(&svc, ctx, &log, false, true)?;
    // found as every action finds it (renamed behind om's back: by its
    // label), and entered by its id
    let id = match docker::current::Current::query(&engine, &[c])?.of(&svc, c)? {
        Some(info)
            if info.label(docker::argv::LABEL_ID)
                != Some(&docker::argv::container_id_label(&svc.id, rid)) =>
        {
            return Err(Error::Failed(format!(
                "{path}: container {} of {rid}: name in use by a container om does not manage",
                c.name
            )))
        }
        Some(info) if info.running => info.id,
        _ => {
            return Err(Error::Failed(format!(
                "{path}: container {} of {rid} is not running",
                c.name
            )))
        }
    };
    let has_bash = capture(
        &engine.cmd(["exec", id.as_str(), "/bin/bash", "-c", "true"]),
        engine.bound(),
    )?
    .success();
    let shell = if has_bash { "/bin/bash" } else { "/bin/sh" };
    let mut args = vec!["exec", "-i"];
    if std::io::stdin().is_terminal() {
        args.push("-t");
    }
    args.extend([id.as_str(), shell]);
    match inherit(&engine.cmd(args))? {
        0 => Ok(()),
        code => Err(Error::Child(code)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_call_is_the_same_passthrough_there_unsubstituted() {
        let args = ["exec", "-it", "{container#1}", "sh", "-c", "exit 7"].map(String::from);
        let cmd = remote_cmd(&Transport::default(), "n2", "ns1/svc/web", &args, true).unwrap();
        assert_eq!(cmd.program, "ssh");
        assert_eq!(
            cmd.args,
            [
                "-o",
                "BatchMode=yes",
                "-t",
                "n2",
                "om",
                "ns1/svc/web",
                "docker",
                "--",
                "exec",
                "-it",
                "'{container#1}'",
                "sh",
                "-c",
                "'exit 7'"
            ]
        );
        let cmd = remote_cmd(
            &Transport::default(),
            "n2",
            "web",
            &["ps".to_string()],
            false,
        )
        .unwrap();
        assert_eq!(
            cmd.to_string(),
            "ssh -o BatchMode=yes n2 om web docker -- ps"
        );
    }
}
