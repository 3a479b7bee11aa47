//! The record that om created a disk's file (at provision), in the
//! service's state directory: a purge removes only a file om created; one
//! it found ("taken as is") is left where it is, said.

use crate::error::{IoContext, Result};
use crate::model::Disk;
use crate::paths::Roots;
use crate::resource::Context;
use std::path::PathBuf;

fn record(roots: &Roots, ctx: &Context, d: &Disk) -> PathBuf {
    crate::state::dir(&ctx.svc.path, roots).join(format!("{}.created", d.head.rid))
}

/// Records that om created `d.file` (its path, as it was named).
pub(super) fn mark(ctx: &Context, d: &Disk) -> Result<()> {
    let Some(roots) = &ctx.roots else {
        return Ok(());
    };
    let file = record(roots, ctx, d);
    crate::fsutil::write_atomic(&file, d.file.as_bytes(), &roots.trees()).at("write", &file)
}

/// Whether om's record says it created `d.file` (a record of another
/// path, or none: no).
pub(super) fn by_om(ctx: &Context, d: &Disk) -> bool {
    let Some(roots) = &ctx.roots else {
        return false;
    };
    crate::fsutil::read_regular_within(&record(roots, ctx, d), 4096)
        .is_ok_and(|recorded| recorded == d.file)
}

/// The record gone with the file.
pub(super) fn forget(ctx: &Context, d: &Disk) {
    if let Some(roots) = &ctx.roots {
        let _ = std::fs::remove_file(record(roots, ctx, d));
    }
}
