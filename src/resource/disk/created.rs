//! The record that om created a disk's file (at provision), in the
//! service's state directory: a purge removes only a file om created; one
//! it found ("taken as is") is left where it is, said.

use crate::error::{IoContext, Result};
use crate::model::disk::Loop;
use crate::paths::Roots;
use crate::resource::Context;
use std::path::PathBuf;

fn record(roots: &Roots, ctx: &Context, rid: &str) -> PathBuf {
    crate::state::dir(&ctx.svc.path, roots).join(format!("{rid}.created"))
}

/// Records that om created `d.file` (its path, as it was named).
pub(super) fn mark(ctx: &Context, rid: &str, d: &Loop) -> Result<()> {
    let Some(roots) = &ctx.roots else {
        return Ok(());
    };
    let file = record(roots, ctx, rid);
    crate::fsutil::write_atomic(&file, d.file.as_bytes(), &roots.trees()).at("write", &file)
}

/// Whether om's record says it created `d.file` (a record of another
/// path, or none: no).
pub(super) fn by_om(ctx: &Context, rid: &str, d: &Loop) -> bool {
    let Some(roots) = &ctx.roots else {
        return false;
    };
    crate::fsutil::read_regular_within(&record(roots, ctx, rid), 4096)
        .is_ok_and(|recorded| recorded == d.file)
}

/// The record gone with the file.
pub(super) fn forget(ctx: &Context, rid: &str) {
    if let Some(roots) = &ctx.roots {
        let _ = std::fs::remove_file(record(roots, ctx, rid));
    }
}
