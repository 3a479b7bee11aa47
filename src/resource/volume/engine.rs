//! The volume kind's docker calls: the inspect that says what holds the
//! name, and the logged commands that make and remove it.

use super::{judge, Seen};
use crate::docker::argv::LABEL_ID;
use crate::docker::inspect::engine_unreachable;
use crate::docker::Engine;
use crate::error::{Error, Result};
use crate::model::Volume;
use crate::resource::context::Context;

/// What the engine holds under `v`'s name: one `docker volume inspect`.
/// Docker's "no such volume" is absence; any other failure (an engine
/// that does not answer) is an error, never taken for absence.
pub fn seen(engine: &Engine, svc_id: &str, v: &Volume) -> Result<Seen> {
    let cmd = engine.cmd([
        "volume",
        "inspect",
        "--format",
        "{{json .Labels}}",
        v.name.as_str(),
    ]);
    let out = crate::process::capture(&cmd, engine.bound())?;
    if out.status.code().is_none() {
        return Err(Error::call(
            &cmd,
            format!("docker was killed ({})", out.error_line()),
        ));
    }
    if !out.success() {
        if engine_unreachable(&out.stderr) {
            return Err(Error::engine(&cmd, out.error_line()));
        }
        if out.stderr.to_ascii_lowercase().contains("no such volume") {
            return Ok(Seen::Absent);
        }
        return Err(Error::call(&cmd, out.error_line()));
    }
    let labels: Option<std::collections::HashMap<String, String>> =
        serde_json::from_str(out.stdout.trim())
            .map_err(|e| Error::call(&cmd, format!("unreadable labels: {e}")))?;
    let label = labels
        .as_ref()
        .and_then(|l| l.get(LABEL_ID))
        .map(String::as_str);
    Ok(judge(svc_id, v, label))
}

/// Logs and runs one docker command of the resource; a non-zero exit is
/// an error naming it.
pub fn run(ctx: &Context, rid: &str, args: Vec<String>) -> Result<()> {
    let cmd = ctx.engine.cmd(args);
    let out =
        crate::logger::run_logged(ctx.log, rid, &cmd, ctx.engine.bound(), ctx.dry_run, false)?;
    if !out.success() {
        return Err(Error::Failed(format!("{cmd} failed: {}", out.error_line())));
    }
    Ok(())
}
