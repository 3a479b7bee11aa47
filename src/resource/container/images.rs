//! Which images the engine has, asked once per action for the starts to
//! come (kept in the action's context).

use crate::docker::current::Current;
use crate::error::Result;
use crate::model::Container;
use crate::resource::context::Context;

/// Asks the engine, in one `docker image inspect`, which of the images
/// of `containers` it has, for the starts to come: those without a
/// container (`cur`), or whose `rm` container a start recreates, and
/// that do not pull at each start. Each distinct image once, whatever
/// the number of containers.
pub fn know_images(ctx: &Context, containers: &[&Container], cur: &Current) -> Result<()> {
    if ctx.offline {
        return Ok(());
    }
    let wanted: Vec<&str> = containers
        .iter()
        .filter(|c| !c.pull_always && ctx.image_known(&c.image).is_none())
        .filter(|c| match cur.find(ctx.svc, c) {
            Ok(None) => true,
            Ok(Some(i)) => c.rm && !i.running,
            Err(_) => false,
        })
        .map(|c| c.image.as_str())
        .collect();
    ctx.note_images(ctx.engine.images_present(&wanted)?);
    Ok(())
}

/// Whether `image` is present locally, as `know_images` found it, else
/// asked now (and kept for the rest of the action).
pub(super) fn image_present(ctx: &Context, image: &str) -> Result<bool> {
    if let Some(known) = ctx.image_known(image) {
        return Ok(known);
    }
    let found = ctx.engine.images_present(&[image])?;
    let present = found.get(image).copied().unwrap_or(false);
    ctx.note_images(found);
    Ok(present)
}
