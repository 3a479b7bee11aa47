//! `delete`: the config and state go; containers are never left orphaned
//! silently.

use super::{each, waitlock, Ctx};
use crate::cli::DeleteArgs;
use crate::config::eval::{default_container_name, Evaluator};
use crate::config::service::Container;
use crate::config::{self, keywords::section_kind, keywords::SectionKind};
use crate::docker;
use crate::error::{fail, Context, Result};
use crate::paths::SvcPath;
use crate::state;

pub fn delete(ctx: &Ctx, selector: &str, args: &DeleteArgs) -> Result<()> {
    let paths = ctx.select(selector)?;
    let wait = waitlock(&args.common.waitlock)?;
    each(&paths, |path| {
        let _lock = state::lock(path, &ctx.roots, wait, &format!("om {path} delete"))?;
        if !args.rid.is_empty() {
            return delete_sections(ctx, path, &args.rid, args.force);
        }
        if !args.force {
            let (_, svc) = config::load(path, &ctx.roots, &ctx.node)?;
            let existing = existing_containers(&svc.containers)?;
            if !existing.is_empty() {
                return fail(format!(
                    "containers of the service exist ({}): use purge to remove them too, or --force to leave them",
                    existing.join(", ")
                ));
            }
        }
        remove_service(ctx, path)
    })
}

/// The names of those containers that exist on the engine (one inspect).
pub fn existing_containers(containers: &[Container]) -> Result<Vec<String>> {
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    Ok(docker::inspect(&names)?
        .into_iter()
        .map(|i| i.name)
        .collect())
}

/// Removes the config file and the state directory (the log stays).
pub fn remove_service(ctx: &Ctx, path: &SvcPath) -> Result<()> {
    let file = path.conf_file(&ctx.roots);
    std::fs::remove_file(&file).context(|| format!("remove {}", file.display()))?;
    let dir = state::dir(path, &ctx.roots);
    // The lock file inside is still held by this process: removing the
    // directory entry is fine on Linux.
    match std::fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            fail(format!("remove {}: {e}", dir.display()))
        }
        _ => Ok(()),
    }
}

fn delete_sections(ctx: &Ctx, path: &SvcPath, rids: &[String], force: bool) -> Result<()> {
    let mut doc = config::read_document(path, &ctx.roots)?;
    if !force {
        // A section whose container exists would leave it orphaned. Names
        // come from the raw document, so a config that does not validate
        // (the reason to delete a section, often) is checked too.
        let eval = Evaluator::new(&doc, path, &ctx.node);
        let names: Vec<String> = rids
            .iter()
            .filter(|r| doc.has_section(r) && section_kind(r) == Some(SectionKind::Container))
            .map(|r| {
                eval.get(r, "name")
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| default_container_name(path, r))
            })
            .collect();
        let existing: Vec<String> = docker::inspect(&names)?
            .into_iter()
            .map(|i| i.name)
            .collect();
        if !existing.is_empty() {
            return fail(format!(
                "container {} exists: unprovision --rid first, or --force to leave it",
                existing.join(", ")
            ));
        }
    }
    for rid in rids {
        let removable = matches!(
            section_kind(rid),
            Some(SectionKind::Container | SectionKind::Subset | SectionKind::Env)
        );
        if !removable || !doc.remove_section(rid) {
            let sections: Vec<&str> = doc.section_names().filter(|s| *s != "DEFAULT").collect();
            return fail(format!(
                "--rid {rid}: no such section (sections: {})",
                sections.join(", ")
            ));
        }
    }
    let report = config::service::check_document(&doc, path, &ctx.node);
    if let Some(first) = report.errors.first() {
        return fail(format!(
            "deleting {} leaves an invalid config: {first}",
            rids.join(", ")
        ));
    }
    config::save(path, &ctx.roots, &doc)
}
