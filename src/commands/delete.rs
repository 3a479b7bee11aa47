//! `delete`: the config and state go; containers are never left orphaned
//! silently.

use crate::action::delete::delete_here;
use crate::action::delete_sections::delete_sections;
use crate::action::waitlock;
use crate::cli::DeleteArgs;
use crate::config;
use crate::error::Result;
use crate::host::Host;
use crate::output::each;
use crate::state;

pub fn delete(ctx: &Host, selector: &str, args: &DeleteArgs) -> Result<()> {
    let paths = ctx.select(selector)?;
    let wait = waitlock(&args.common.waitlock)?;
    each(&paths, |path| {
        if !args.rid.is_empty() {
            let _lock = state::lock(
                path,
                &ctx.roots,
                wait,
                &format!("om {path} delete"),
                ctx.debug.as_ref(),
            )?;
            let base = crate::nodes::sync::base(ctx, path);
            delete_sections(ctx, path, &args.rid, args.force)?;
            return crate::nodes::sync::after_write(ctx, path, &args.common, base);
        }
        // without --local, on every node of the service (SPEC 12)
        match config::load_quiet(path, ctx) {
            Ok(svc) if !args.common.local && crate::nodes::across::has_others(ctx, &svc) => {
                crate::nodes::across::delete_everywhere(
                    ctx,
                    &svc,
                    args.force,
                    args.common.quiet,
                    || delete_here(ctx, path, args, wait),
                )
            }
            _ => delete_here(ctx, path, args, wait),
        }
    })
}
