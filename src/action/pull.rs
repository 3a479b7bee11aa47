//! `pull`: the images of the selected resources, without the lock (nothing
//! of the service changes).

use super::log::action_log;
use super::select::select_resources;
use crate::cli::ActionArgs;
use crate::config;
use crate::docker::inspect::same_image;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::logger::Level;
use crate::model::resource::containers;
use crate::model::Container;
use crate::output::each;
use crate::paths::SvcPath;
use crate::resource::Context;

/// `pull`: the distinct images of the selected resources, each pulled
/// within its resource's `pull_timeout` (no lock: nothing of the service
/// changes).
pub fn pull(ctx: &Host, selector: &str, args: &ActionArgs) -> Result<()> {
    pull_paths(ctx, &ctx.select(selector)?, args)
}

pub fn pull_paths(ctx: &Host, paths: &[SvcPath], args: &ActionArgs) -> Result<()> {
    each(paths, |path| {
        let (_, svc) = config::load(path, ctx)?;
        super::check_id(&svc, &args.common)?;
        let log = action_log(ctx, path, args.common.quiet, "pull", args.dry_run)?;
        let selected = containers(&select_resources(&svc, args)?);
        let prepared = crate::objects::env::prepare(&svc, &selected, &ctx.roots, args.dry_run)?;
        let engine = crate::docker::daemon::engine_for(&svc, ctx, &log, args.dry_run, true)?;
        let mut context = Context::new(&svc, engine, &log, args.dry_run);
        context.use_prepared(prepared);
        let pulled = pull_each(&context, &selected);
        if !args.dry_run {
            crate::objects::env::forget_creds(&svc, &ctx.roots);
        }
        pulled.and_then(|()| log.kept())
    })
}

/// Each distinct image of `selected` pulled once.
fn pull_each(context: &Context, selected: &[&Container]) -> Result<()> {
    let mut seen: Vec<&str> = Vec::new();
    for c in selected {
        if !seen.iter().any(|s| same_image(s, &c.image)) {
            seen.push(&c.image);
            crate::resource::container::pull(context, c)
                .inspect_err(|e| context.log.res(&c.head.rid, Level::Error, &e.to_string()))
                .map_err(|_| Error::Said)?;
        }
    }
    Ok(())
}
