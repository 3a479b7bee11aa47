//! `delete --rid`: sections go from the config, never while a container
//! they name exists, nor an ip section while its address may be up, nor
//! a disk section while its file is attached or an fs section while its
//! mount point holds a mount (that container, address or data would be
//! left out of om's reach); `--force`
//! leaves them. The config left must still validate.

use crate::config::eval::Evaluator;
use crate::config::ini::Document;
use crate::config::read;
use crate::config::{self, keywords::section_kind, keywords::SectionKind};
use crate::docker::current::Current;
use crate::docker::{self, Engine};
use crate::error::{fail, Error, Result};
use crate::host::Host;
use crate::paths::SvcPath;

/// An ip section to delete, its holder's rid and container name.
type Holder<'a> = (&'a String, String, String);

pub fn delete_sections(host: &Host, path: &SvcPath, rids: &[String], force: bool) -> Result<()> {
    let mut doc = config::read_document(path, &host.roots)?;
    if !force {
        refuse_while_in_use(host, path, &doc, rids)?;
    }
    for rid in rids {
        let removable = matches!(
            section_kind(rid),
            Some(
                SectionKind::Container
                    | SectionKind::Ip
                    | SectionKind::Subset
                    | SectionKind::Env
                    | SectionKind::Disk
                    | SectionKind::Fs
                    | SectionKind::Sync
            )
        );
        if !removable || !doc.remove_section(rid) {
            let sections: Vec<&str> = doc.section_names().filter(|s| *s != "DEFAULT").collect();
            return Err(Error::Usage(format!(
                "--rid {rid}: no such section (sections: {})",
                sections.join(", ")
            )));
        }
    }
    let report = config::check::check_document(&doc, path, &host.node, host);
    if let Some(first) = report.errors.first() {
        return fail(format!(
            "deleting {} leaves an invalid config: {first}",
            rids.join(", ")
        ));
    }
    config::save(path, &host.roots, &doc)
}

/// Refuses when a container the sections name exists, or an address they
/// hold may be up. Names come from the reader's stop mode
/// (`config::read`), so a config that does not validate (the reason to
/// delete a section, often) is checked too.
fn refuse_while_in_use(host: &Host, path: &SvcPath, doc: &Document, rids: &[String]) -> Result<()> {
    let eval = Evaluator::new(doc, path, &host.node, &host.env);
    let is = |r: &str, kind| doc.has_section(r) && section_kind(r) == Some(kind);
    for r in rids {
        if is(r, SectionKind::Disk) || is(r, SectionKind::Fs) {
            refuse_data_up(&eval, r)?;
        }
    }
    let mut names: Vec<(&String, String)> = Vec::new();
    for r in rids.iter().filter(|r| is(r, SectionKind::Container)) {
        let name = read::container_name(&eval, r).map_err(|e| {
            Error::Failed(format!(
                "{e}: can not check whether its container exists; --force to delete it anyway"
            ))
        })?;
        names.push((r, name));
    }
    // an ip section whose holder runs: its address may be up there
    let mut holders: Vec<Holder> = Vec::new();
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
    let engine = engine_as_written(host, path, &eval)?;
    let cur = Current::from_infos(engine.survey(&name_refs, false, docker::Absence::Confirmed)?);
    // Each found as every command finds a resource's container
    // (`Current`): by name, and by label (a container renamed behind om's
    // back still carries it).
    let label = |rid: &str| {
        doc.get("DEFAULT", "id")
            .map(|id| crate::docker::argv::container_id_label(id, rid))
            .unwrap_or_default()
    };
    refuse_addresses_up(host, path, &engine, &cur, &holders, &label)?;
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
    Ok(())
}

/// Refuses the delete of a disk section whose file is attached, or of an
/// fs section whose mount point holds a mount (the data would be left out
/// of om's reach); one om can not check is refused too.
fn refuse_data_up(eval: &Evaluator, rid: &str) -> Result<()> {
    let key = if section_kind(rid) == Some(SectionKind::Disk) {
        "file"
    } else {
        "mnt"
    };
    let cannot = |why: String| {
        fail(format!(
            "{rid}.{key}: {why}: can not check whether it is in use; --force to delete it anyway"
        ))
    };
    let value = match eval.get(rid, key) {
        Ok(Some(v)) => v,
        Ok(None) => return Ok(()),
        Err(e) => return cannot(e.to_string()),
    };
    let in_use = if key == "file" {
        match crate::resource::disk::attached(&value) {
            Ok(devs) => devs.first().map(|d| format!("{value} is attached to {d}")),
            // a file that is not there is attached to nothing
            Err(_) if !std::path::Path::new(&value).exists() => None,
            Err(e) => return cannot(e.to_string()),
        }
    } else {
        match crate::resource::fs::mounts::table() {
            Ok(t) => crate::resource::fs::mounts::on(&t, std::path::Path::new(&value))
                .map(|m| format!("{} is mounted on {value}", m.source)),
            Err(e) => return cannot(e.to_string()),
        }
    };
    match in_use {
        Some(why) => fail(format!(
            "{rid}: {why}: stop --rid {rid} first, or --force to leave it"
        )),
        None => Ok(()),
    }
}

/// The engine of the config as it is (a private daemon's, maybe).
fn engine_as_written(host: &Host, path: &SvcPath, eval: &Evaluator) -> Result<Engine> {
    match read::daemon(eval) {
        Ok(Some(_)) => Ok(Engine::private(
            &host.docker,
            &docker::daemon::socket_of(path, &host.roots),
        )),
        Ok(None) => Ok(Engine::host(&host.docker)),
        Err(e) => fail(format!(
            "{e}: can not check whether the containers exist; --force to delete anyway"
        )),
    }
}

/// Refuses when the address of an ip section to delete may be up: what
/// the namespace holds, when the config loads; else a holder that runs
/// (or that om can not tell) is enough.
fn refuse_addresses_up(
    host: &Host,
    path: &SvcPath,
    engine: &Engine,
    cur: &Current,
    holders: &[Holder],
    label: &dyn Fn(&str) -> String,
) -> Result<()> {
    if holders.is_empty() {
        return Ok(());
    }
    let loaded = config::load_quiet(path, host).ok();
    let ips = loaded
        .as_ref()
        .map(|svc| crate::resource::ip::observe_one(engine, svc, cur));
    for (rid, h, holder) in holders {
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
    Ok(())
}
