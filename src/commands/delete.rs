//! `delete`: the config and state go; containers are never left orphaned
//! silently.

use crate::action::delete::delete_here;
use crate::action::waitlock;
use crate::cli::DeleteArgs;
use crate::config::eval::Evaluator;
use crate::config::read;
use crate::config::{self, keywords::section_kind, keywords::SectionKind};
use crate::docker;
use crate::docker::current::Current;
use crate::error::{fail, Error, Result};
use crate::host::Host as Ctx;
use crate::output::each;
use crate::paths::SvcPath;
use crate::state;

pub fn delete(ctx: &Ctx, selector: &str, args: &DeleteArgs) -> Result<()> {
    let paths = ctx.select(selector)?;
    let wait = waitlock(&args.common.waitlock)?;
    each(&paths, |path| {
        if !args.rid.is_empty() {
            let _lock = state::lock(path, &ctx.roots, wait, &format!("om {path} delete"))?;
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

fn delete_sections(ctx: &Ctx, path: &SvcPath, rids: &[String], force: bool) -> Result<()> {
    let mut doc = config::read_document(path, &ctx.roots)?;
    if !force {
        // A section whose container exists would leave it orphaned. Names
        // come from the reader's stop mode (`config::read`), so a config
        // that does not validate (the reason to delete a section, often) is
        // checked too.
        let eval = Evaluator::new(&doc, path, &ctx.node, &ctx.env);
        let is = |r: &str, kind| doc.has_section(r) && section_kind(r) == Some(kind);
        let names: Vec<(&String, String)> = rids
            .iter()
            .filter(|r| is(r, SectionKind::Container))
            .map(|r| {
                let name = read::container_name(&eval, r).map_err(|e| {
                    Error::Failed(format!(
                        "{e}: can not check whether its container exists; --force to delete it anyway"
                    ))
                })?;
                Ok((r, name))
            })
            .collect::<Result<_>>()?;
        // Each found as every command finds a resource's container
        // (`Current`): by name, and by label (a container renamed behind
        // om's back still carries it).
        let label = |rid: &str| {
            doc.get("DEFAULT", "id")
                .map(|id| crate::docker::argv::container_id_label(id, rid))
                .unwrap_or_default()
        };
        // an ip section whose holder runs: its address may be up there,
        // and would stay out of om's reach
        let mut holders: Vec<(&String, String, String)> = Vec::new();
        for r in rids.iter().filter(|r| is(r, SectionKind::Ip)) {
            let holder = read::ip_holder(&eval, r).map_err(|e| {
                Error::Failed(format!(
                    "{e}: can not check whether its address is up; --force to delete it anyway"
                ))
            })?;
            if let Some((h, name)) = holder {
                holders.push((r, h, name));
            }
        }
        let mut name_refs: Vec<&str> = names.iter().map(|(_, n)| n.as_str()).collect();
        name_refs.extend(holders.iter().map(|(_, _, n)| n.as_str()));
        // the engine of the config as it is (a private daemon's, maybe)
        let engine = match read::daemon(&eval) {
            Ok(Some(_)) => {
                docker::Engine::private(&ctx.docker, &docker::daemon::socket_of(path, &ctx.roots))
            }
            Ok(None) => docker::Engine::host(&ctx.docker),
            Err(e) => {
                return fail(format!(
                    "{e}: can not check whether the containers exist; --force to delete anyway"
                ))
            }
        };
        let cur =
            Current::from_infos(engine.survey(&name_refs, false, docker::Absence::Confirmed)?);
        if !holders.is_empty() {
            // what the namespace holds, when the config loads; else a
            // holder that runs (or that om can not tell) is enough to refuse
            let loaded = config::load_quiet(path, ctx).ok();
            let ips = loaded
                .as_ref()
                .map(|svc| crate::resource::ip::observe_one(&engine, svc, &cur));
            for (rid, h, holder) in &holders {
                let up = match (&loaded, &ips) {
                    (Some(svc), Some(ips)) => svc.ips.iter().zip(ips).any(|(i, s)| {
                        i.head.rid == **rid && !matches!(s, crate::resource::ip::State::Down(_))
                    }),
                    _ => cur
                        .named(h, holder, &label(h))
                        .map_or(true, |i| i.is_some_and(|i| i.running)),
                };
                if up {
                    return fail(format!(
                        "{rid}: its address may be up in the namespace of {holder}: stop --rid {rid} first, or --force to leave it"
                    ));
                }
            }
        }
        let mut existing: Vec<String> = Vec::new();
        for (rid, name) in &names {
            if let Some(i) = cur.named(rid, name, &label(rid))? {
                existing.push(i.name.clone());
            }
        }
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
            Some(SectionKind::Container | SectionKind::Ip | SectionKind::Subset | SectionKind::Env)
        );
        if !removable || !doc.remove_section(rid) {
            let sections: Vec<&str> = doc.section_names().filter(|s| *s != "DEFAULT").collect();
            return Err(crate::error::Error::Usage(format!(
                "--rid {rid}: no such section (sections: {})",
                sections.join(", ")
            )));
        }
    }
    let report = config::check::check_document(&doc, path, &ctx.node, ctx);
    if let Some(first) = report.errors.first() {
        return fail(format!(
            "deleting {} leaves an invalid config: {first}",
            rids.join(", ")
        ));
    }
    config::save(path, &ctx.roots, &doc)
}
