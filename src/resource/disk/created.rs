//! The record that om created a disk (at provision: a loop file, a
//! volume group and the physical volumes it made, a logical volume), in
//! the service's state directory: a purge removes only what om created;
//! what it found ("taken as is") is left where it is, said.

use crate::error::{IoContext, Result};
use crate::paths::Roots;
use crate::resource::Context;
use std::path::PathBuf;

fn record(roots: &Roots, ctx: &Context, rid: &str) -> PathBuf {
    crate::state::dir(&ctx.svc.path, roots).join(format!("{rid}.created"))
}

/// Records that om created `what` (a file's path as it was named, a
/// volume group's name and its new physical volumes, one a line).
pub(super) fn mark(ctx: &Context, rid: &str, what: &str) -> Result<()> {
    let Some(roots) = &ctx.roots else {
        return Ok(());
    };
    let file = record(roots, ctx, rid);
    crate::fsutil::write_atomic(&file, what.as_bytes(), &roots.trees()).at("write", &file)
}

/// Whether om's record says it created `what` (a record of another
/// path, or none: no).
pub(super) fn by_om(ctx: &Context, rid: &str, what: &str) -> bool {
    recorded(ctx, rid).is_some_and(|r| r == what)
}

/// What om's record of `rid` says it created (none: nothing).
pub(super) fn recorded(ctx: &Context, rid: &str) -> Option<String> {
    let roots = ctx.roots.as_ref()?;
    crate::fsutil::read_regular_within(&record(roots, ctx, rid), 4096).ok()
}

/// The record gone with the file.
pub(super) fn forget(ctx: &Context, rid: &str) {
    if let Some(roots) = &ctx.roots {
        let _ = std::fs::remove_file(record(roots, ctx, rid));
    }
}
