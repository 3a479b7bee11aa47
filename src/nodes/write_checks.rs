//! What every config write checks before it writes, here and on a node
//! that receives the config: the private daemon on this host, and no
//! change under a running service (its engine, the nodes it runs on). What a service's engine holds of it is
//! `action::existing`.

use super::ask::{nodes_say, Word};
use crate::action::existing::ask_existing;
use crate::action::log::service_log;
use crate::config;
use crate::error::{fail, Error, Result};
use crate::host::Host;
use crate::model::Service;
use crate::paths::SvcPath;

/// Why nobody edits `DEFAULT.id`.
pub const ID_IS_FIXED: &str =
    "DEFAULT.id is set at create and never changed: the service's containers carry it in their labels";

/// The private daemon's check (`docker::daemon::check_host`) for a config
/// about to be written: its warnings said, its error the command's.
pub fn daemon_checked(ctx: &Host, path: &SvcPath, svc: &Service) -> Result<()> {
    let warnings = crate::docker::daemon::check_host(svc, ctx)
        .map_err(|e| Error::Failed(format!("{path}: {e}")))?;
    for w in warnings {
        crate::text::say(&format!("{path}: warning: {w}"));
    }
    Ok(())
}

/// What a config write about to replace the service's config (`new`)
/// must not change under a running service, the config it has now read
/// once for both: its engine (`engine_kept`), and, when `synced` is given
/// (`sync::ever_synced`; given, so that this module, which the sync's
/// receiver calls, does not call the sync), its nodes (`nodes_kept`). A
/// service with no config yet changes nothing.
pub fn unmoved(
    ctx: &Host,
    path: &SvcPath,
    new: &Service,
    synced: Option<&dyn Fn(&str) -> bool>,
) -> Result<()> {
    let Ok((old, _)) = config::load_for_stop(path, ctx) else {
        return Ok(());
    };
    engine_kept(ctx, path, &old, new)?;
    match synced {
        Some(synced) => nodes_kept(ctx, path, &old, new, synced),
        None => Ok(()),
    }
}

/// A config write that moves the service to another engine (a private
/// daemon given, taken away, or its data dir changed) is refused while a
/// container of the service exists on the engine it has now: the
/// containers would run on out of om's reach (status `down` on the new
/// engine, a purge deleting the config while they run, a private daemon
/// left running with its socket gone). The engine now is asked as a
/// delete asks it (a private daemon started for that, stopped again when
/// idle); a failed query refuses too.
fn engine_kept(ctx: &Host, path: &SvcPath, old: &Service, new: &Service) -> Result<()> {
    let engine_of = |s: &Service| {
        s.daemon.as_ref().map(|d| {
            std::path::Path::new(&d.data_dir)
                .components()
                .collect::<std::path::PathBuf>()
        })
    };
    if engine_of(old) == engine_of(new) {
        return Ok(());
    }
    let log = service_log(ctx, path, true);
    let asked = ask_existing(ctx, old, &log)
        .map_err(|e| {
            Error::Failed(format!(
                "{path}: the change moves the service to another docker engine, and its engine now can not be asked what it holds ({e}): nothing written"
            ))
        })?;
    if asked.is_empty() {
        return Ok(());
    }
    fail(format!(
        "{path}: the change moves the service to another docker engine (docker_data_dir) while containers of the service exist on its engine now ({}): nothing written; unprovision it first (om {path} unprovision), then change it",
        asked.join(", ")
    ))
}

/// A config write that drops a node from `nodes`/`drpnodes` is refused
/// while the service may run there: the config no longer goes there, and
/// status and the guard stop asking it, so a start here would make a
/// second copy (a hostile run of issue 21). Each dropped node is asked
/// first: it runs the service, or can not tell and once had this config
/// (a sync either way), and the write is refused, naming it; one that says
/// the service does not run there, that has no such service, or that never
/// had the config from here nor sent it (a typo) is dropped.
fn nodes_kept(
    ctx: &Host,
    path: &SvcPath,
    old: &Service,
    new: &Service,
    synced: &dyn Fn(&str) -> bool,
) -> Result<()> {
    let kept = new.all_nodes();
    let dropped: Vec<String> = old
        .all_nodes()
        .into_iter()
        .filter(|n| !crate::nodename::is_local(n, &ctx.node) && !kept.contains(n))
        .map(String::from)
        .collect();
    if dropped.is_empty() {
        return Ok(());
    }
    let answers = nodes_say(ctx, old, |n| dropped.iter().any(|d| d == n))?;
    for (node, word) in answers {
        match word {
            Word::Runs { .. } => {
                return fail(format!(
                    "{path}: the change drops {node} from the service's nodes while it runs there: nothing written; stop it there first (om {path} stop), or switch it here"
                ))
            }
            // a node that never had this config (a typo, a node never
            // reached) never ran the service by it
            Word::Unknown(_) if !synced(&node) => {}
            Word::Unknown(why) => {
                return fail(format!(
                    "{path}: the change drops {node} from the service's nodes, and {node} can not tell whether it runs there ({why}): nothing written; drop it once it answers (a node gone for good: edit the config file by hand)"
                ))
            }
            Word::Not | Word::Absent => {}
        }
    }
    Ok(())
}
