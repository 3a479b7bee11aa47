//! Triggers (SPEC 14): `pre_`, `blocking_pre_`, `post_`, `blocking_post_`
//! × `start`, `stop`, `provision`, `unprovision`, on DEFAULT (around the
//! service's action) and on a container section (around its resource's).
//! They run in OpenSVC's order: pre, blocking_pre, the action, post,
//! blocking_post. A failed blocking trigger fails the action (a start rolls
//! back); a failed non-blocking one is a warning.
//!
//! A command is shell-split and run as an argv, unless it holds `|`, `&&`
//! or `;`: then `/bin/sh -c` runs it, the operator's own shell code and the
//! one place om uses a shell. Its text is the keyword's as written: no
//! `{reference}` is expanded into it, so no value from elsewhere reaches the
//! shell; the `OPENSVC_*` variables say what it runs for.

use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::Service;
use crate::process::{stream, Cmd};
use crate::resource::context::Context;
use crate::secret::Secret;
use std::fmt;
use std::time::Duration;

use crate::model::trigger::{keyword, Triggers, When};

/// Why a trigger's text is not a command (the caller names the keyword).
#[derive(Debug, PartialEq)]
pub enum CommandError {
    /// Words that do not split (an unclosed quote).
    Unsplit(shell_words::ParseError),
    /// No word at all.
    Empty,
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Unsplit(e) => e.fmt(f),
            CommandError::Empty => f.write_str("empty command"),
        }
    }
}

/// The command of a trigger: an argv, or `/bin/sh -c TEXT` when the text
/// holds `|`, `&&` or `;`. Why not, when it can not be split.
pub fn command(text: &str) -> std::result::Result<Cmd, CommandError> {
    if text.contains('|') || text.contains("&&") || text.contains(';') {
        return Ok(Cmd::new("/bin/sh", ["-c", text]));
    }
    let words = shell_words::split(text).map_err(CommandError::Unsplit)?;
    let (program, args) = words.split_first().ok_or(CommandError::Empty)?;
    Ok(Cmd::new(program.clone(), args.iter().cloned()))
}

/// Runs the `when` trigger of `action` of a section (`rid`: a container's;
/// `None`: DEFAULT's), if it has one, within the service's
/// `trigger_timeout`. A failure is an error when it is blocking, a
/// warning when not.
pub fn run(
    ctx: &Context,
    triggers: &Triggers,
    rid: Option<&str>,
    when: When,
    action: &str,
) -> Result<()> {
    let Some(text) = triggers.get(when, action) else {
        return Ok(());
    };
    let kw = keyword(when, action);
    let say = |level: Level, msg: &str| match rid {
        Some(r) => ctx.log.res(r, level, msg),
        None => ctx.log.svc(level, msg),
    };
    let failed = |why: String| -> Result<()> {
        let msg = format!("{kw}: {why}");
        if when.blocking() {
            say(Level::Error, &msg);
            Err(Error::Failed(format!(
                "{}{kw} failed",
                rid.map(|r| format!("{r}.")).unwrap_or_default()
            )))
        } else {
            say(Level::Warn, &format!("{msg} (not blocking, going on)"));
            Ok(())
        }
    };
    let mut cmd = match command(text) {
        Ok(c) => c,
        Err(e) => return failed(e.to_string()),
    };
    cmd.env = variables(ctx.svc, action, rid);
    say(Level::Info, &format!("{kw}: {cmd}"));
    if ctx.dry_run {
        return Ok(());
    }
    let out = match streamed(&cmd, ctx.svc.trigger_timeout, &say) {
        Ok(out) => out,
        Err(e @ Error::Interrupted(_)) => return Err(e),
        Err(e) => return failed(e.to_string()),
    };
    if out.success() {
        Ok(())
    } else {
        failed(format!(
            "exit code {}",
            crate::process::exit_code(out.status)
        ))
    }
}

/// The `OPENSVC_*` variables: what a trigger runs for.
fn variables(svc: &Service, action: &str, rid: Option<&str>) -> Vec<(String, Secret)> {
    [
        ("OPENSVC_SVCPATH", svc.path.to_string()),
        ("OPENSVC_SVCNAME", svc.path.name.clone()),
        ("OPENSVC_NAMESPACE", svc.path.namespace.clone()),
        ("OPENSVC_ID", svc.id.clone()),
        ("OPENSVC_ACTION", action.to_string()),
        ("OPENSVC_RID", rid.unwrap_or("").to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Secret::new(v)))
    .collect()
}

/// Runs `cmd`, its stdout said line by line after `output:`, then its
/// stderr (its last MiB: process::stream keeps no more of it), as
/// information when it succeeded, as warnings when not.
fn streamed(
    cmd: &Cmd,
    timeout: Duration,
    say: &dyn Fn(Level, &str),
) -> Result<crate::process::Output> {
    let mut first = true;
    let out = stream(cmd, timeout, |line| {
        if first {
            say(Level::Info, "output:");
            first = false;
        }
        say(Level::Info, line);
    })?;
    let level = if out.success() {
        Level::Info
    } else {
        Level::Warn
    };
    for line in out.stderr.lines().filter(|l| !l.trim().is_empty()) {
        say(level, line);
    }
    Ok(out)
}

/// `f`, the action of a section, with its triggers around it in OpenSVC's
/// order: pre, blocking_pre, the action, post, blocking_post.
pub fn around<T>(
    ctx: &Context,
    triggers: &Triggers,
    rid: Option<&str>,
    action: &str,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    before(ctx, triggers, rid, action)?;
    let out = f()?;
    after(ctx, triggers, rid, action)?;
    Ok(out)
}

/// The pre and blocking_pre triggers of `action`.
pub fn before(ctx: &Context, triggers: &Triggers, rid: Option<&str>, action: &str) -> Result<()> {
    run(ctx, triggers, rid, When::Pre, action)?;
    run(ctx, triggers, rid, When::BlockingPre, action)
}

/// The post and blocking_post triggers of `action`.
pub fn after(ctx: &Context, triggers: &Triggers, rid: Option<&str>, action: &str) -> Result<()> {
    run(ctx, triggers, rid, When::Post, action)?;
    run(ctx, triggers, rid, When::BlockingPost, action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trigger_is_an_argv_unless_it_is_shell_code() {
        let c = command("/usr/local/bin/move-ip 'eth0 1' --to=x").unwrap();
        assert_eq!(c.program, "/usr/local/bin/move-ip");
        assert_eq!(c.args, ["eth0 1", "--to=x"]);
        for shell in ["a | b", "a && b", "a; b"] {
            let c = command(shell).unwrap();
            assert_eq!(
                (c.program.as_str(), c.args.as_slice()),
                ("/bin/sh", &["-c".to_string(), shell.to_string()][..])
            );
        }
        // `$X` and backquotes of an argv reach the program as they are
        let c = command("echo $HOME `id`").unwrap();
        assert_eq!(c.args, ["$HOME", "`id`"]);
        assert!(command("echo 'unclosed").is_err());
        let says = |text: &str| command(text).unwrap_err().to_string();
        assert_eq!(says("echo 'unclosed"), "missing closing quote");
        assert_eq!(says("  "), "empty command");
        assert_eq!(command(""), Err(CommandError::Empty));
    }
}
