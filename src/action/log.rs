//! The loggers of an action on a service: its lines on stderr and in the
//! service's log file.

use crate::error::Result;
use crate::host::Host;
use crate::logger::Logger;
use crate::paths::SvcPath;

/// The action logger of one service: its lines on stderr (only warnings
/// and errors with `--quiet`) and in its log file.
pub fn service_log(ctx: &Host, path: &SvcPath, quiet: bool) -> Logger {
    Logger::new(
        &ctx.node,
        &path.to_string(),
        Some(&path.log_file(&ctx.roots)),
        &ctx.roots.trees(),
    )
    .quiet(quiet)
    .color(ctx.stderr_color)
}

/// The log of an action on one service, which records it (see `logger`):
/// none that can be written, no action, but for a stop (SPEC 7: a stop
/// always works), which runs and fails. A dry run runs nothing: its log
/// is kept when it can be, as a read-only command's.
pub fn action_log(
    ctx: &Host,
    path: &SvcPath,
    quiet: bool,
    what: &str,
    dry_run: bool,
) -> Result<Logger> {
    if dry_run {
        return Ok(service_log(ctx, path, quiet));
    }
    let file = path.log_file(&ctx.roots);
    let anyway = what == super::Action::Stop.name();
    Ok(Logger::for_action(
        &ctx.node,
        &path.to_string(),
        &file,
        &ctx.roots.trees(),
        what,
        anyway,
    )?
    .quiet(quiet)
    .color(ctx.stderr_color))
}
