//! `delete` on this node: the config and state go, never while a container
//! of the service exists on its engine (issue 21), nor while its engine
//! can not say, unless om's own record says no container of it ever ran
//! here (issue 23: `state::never_ran`).

use super::existing::ask_existing;
use super::log::service_log;
use super::remove::remove_service;
use crate::cli::DeleteArgs;
use crate::config;
use crate::docker;
use crate::error::{fail, Error, Result};
use crate::host::Host;
use crate::model::Service;
use crate::paths::SvcPath;
use crate::state;

/// This node's config and state.
pub fn delete_here(
    ctx: &Host,
    path: &SvcPath,
    args: &DeleteArgs,
    wait: std::time::Duration,
) -> Result<()> {
    let _lock = state::lock(
        path,
        &ctx.roots,
        wait,
        &format!("om {path} delete"),
        ctx.debug.as_ref(),
    )?;
    check_expected_id(ctx, path, args)?;
    // Never while a container of the service exists on its engine,
    // --force or not (issue 21): a config gone is a container out of
    // om's reach; nor while its engine can not be asked. --force only
    // goes past a config that does not identify all its containers
    // (those carrying its label are still found by it).
    let loaded = config::load_for_stop(path, ctx);
    let (svc, complete) = match loaded {
        Ok(l) => l,
        Err(e) if args.force => {
            crate::text::say(&format!(
                "{path}: warning: {e}: deleted without asking its engine (--force)"
            ));
            return remove_service(ctx, path);
        }
        Err(e) => return Err(e),
    };
    if !complete && !args.force {
        return fail(
            "some containers of the config can not be identified: fix the config (edit config), or --force to delete it once no container carries its label",
        );
    }
    refuse_while_containers_exist(ctx, path, args, &svc)?;
    stop_private_daemon(ctx, path, args)?;
    remove_service(ctx, path)
}

/// Another node's delete: only the service it has (a config that does not
/// load still has its id).
fn check_expected_id(ctx: &Host, path: &SvcPath, args: &DeleteArgs) -> Result<()> {
    if args.common.expect_id.is_some() {
        let doc = config::read_document(path, &ctx.roots)?;
        super::check_id_of(
            path,
            doc.get("DEFAULT", "id").unwrap_or("(none)"),
            &args.common,
        )?;
    }
    Ok(())
}

/// Refuses while the engine says a container of the service exists, or
/// can not say whether one does.
fn refuse_while_containers_exist(
    ctx: &Host,
    path: &SvcPath,
    args: &DeleteArgs,
    svc: &Service,
) -> Result<()> {
    let log = service_log(ctx, path, args.common.quiet);
    match ask_existing(ctx, svc, &log) {
        Ok(existing) if !existing.is_empty() => fail(format!(
            "containers of the service exist ({}): use purge to remove them too (a config is never deleted while a container of the service exists)",
            existing.join(", ")
        )),
        Ok(_) => Ok(()),
        // an engine that can not be reached (its socket refuses the
        // user, it does not run): om's own record that no container
        // of it ever ran here (it made the service's id and ran none
        // since) stands in for its answer, so a user who can not reach
        // the engine still deletes what never ran. Never for an
        // answer om could not read.
        Err(e @ Error::Engine { .. }) if state::never_ran(path, &ctx.roots, &svc.id) => {
            crate::text::say(&format!(
                "{path}: warning: {e}: deleted without its engine's answer: om made this service here and never ran a container of it"
            ));
            Ok(())
        }
        // never from silence, --force or not: a container of it may
        // exist there
        Err(e) => fail(format!(
            "{e}: its engine can not say whether a container of the service exists: the config stays (remove the file by hand once you know none does)"
        )),
    }
}

/// The daemon's socket and pid file go with the state: a daemon left
/// running would be out of om's reach, its containers too.
fn stop_private_daemon(ctx: &Host, path: &SvcPath, args: &DeleteArgs) -> Result<()> {
    if let Ok((svc, _)) = config::load_for_stop(path, ctx) {
        if let Some(d) = docker::daemon::Daemon::of(&svc, ctx) {
            let log = service_log(ctx, path, args.common.quiet);
            d.stop_if_idle(&log, false)?;
            if let Some(pid) = d.running() {
                return fail(format!(
                    "its docker daemon (pid {pid}) still runs containers: stop or purge the service first (delete would leave them out of reach)"
                ));
            }
        }
    }
    Ok(())
}
