//! om's actions across the nodes of a service Pacemaker runs (SPEC 18):
//! they ask Pacemaker instead of acting, so that the two never fight.
//! `start`/`stop` set the resource's target role, `restart` is
//! Pacemaker's, `switch`/`takeover`/`giveback` move it (a constraint that
//! stays until cleared: the command is said); each waits until the
//! cluster has done it, and says where the service runs then.
//! `provision` and `deploy` start the service: Pacemaker's to do, refused
//! here; `unprovision` and `purge` go on as om's once Pacemaker has it
//! stopped. The one place that routes: `nodes::across` and
//! `nodes::switch` call it first.

use super::crm;
use super::view::{ask_one, View};
use crate::action::log::service_log;
use crate::action::Action;
use crate::cli::ActionArgs;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::logger::{Level, Logger};
use crate::model::Service;
use crate::process::Cmd;
use std::time::Duration;

/// What an action across nodes does for a service.
pub enum Route {
    /// Pacemaker did it (or refused it): the result.
    Done(Result<()>),
    /// om acts as for any service.
    Om,
}

/// The commands an action asks of Pacemaker, before its wait. Pure: the
/// route's whole decision, unit-tested.
pub fn asks(ctx: &Host, rsc: &str, kind: Action) -> Option<Vec<Cmd>> {
    let role = |r: &str| {
        crm::cmd(
            ctx,
            "crm_resource",
            &[
                "--resource",
                rsc,
                "--meta",
                "--set-parameter",
                "target-role",
                "--parameter-value",
                r,
            ],
        )
    };
    match kind {
        Action::Start => Some(vec![role("Started")]),
        Action::Stop => Some(vec![role("Stopped")]),
        Action::Restart => Some(vec![crm::cmd(
            ctx,
            "crm_resource",
            &["--restart", "--resource", rsc],
        )]),
        _ => None,
    }
}

/// The move to `node`, and the command that clears it.
pub fn move_to(ctx: &Host, rsc: &str, node: &str) -> (Cmd, Cmd) {
    (
        crm::cmd(
            ctx,
            "crm_resource",
            &["--move", "--resource", rsc, "--node", node],
        ),
        crm::cmd(ctx, "crm_resource", &["--clear", "--resource", rsc]),
    )
}

/// How long om waits for Pacemaker: the start's or the stop's timeout, as
/// the primitive has them, and a margin.
fn patience(ctx: &Host, svc: &Service) -> Duration {
    let site = super::cib::Site {
        docker_bound: ctx.docker.bound,
        ..Default::default()
    };
    let ops = super::cib::primitive(svc, &site);
    let longest = ops
        .find_all("op")
        .iter()
        .filter_map(|o| o.attr("timeout"))
        .filter_map(|t| crate::units::parse_duration(t).ok())
        .max()
        .unwrap_or(Duration::from_secs(60));
    // a stop where it ran, then a start
    longest * 2 + Duration::from_secs(10)
}

/// An action across the nodes of `svc`, Pacemaker's.
pub fn action(ctx: &Host, svc: &Service, kind: Action, args: &ActionArgs) -> Route {
    let path = &svc.path;
    let rsc = super::cib::resource_id(path);
    let log = service_log(ctx, path, args.common.quiet);
    if !(args.rid.is_empty() && args.tag.is_empty() && args.subset.is_empty()) {
        return Route::Done(Err(Error::Usage(format!(
            "{path}: Pacemaker runs the whole service (orchestrate = ha): --rid, --tag and --subset act on one node, with --local"
        ))));
    }
    // a restart of a service that runs nowhere is a start (as om's own)
    let kind = match kind {
        Action::Restart if ask_one(ctx, &rsc).is_ok_and(|v| v.running_on.is_empty()) => {
            Action::Start
        }
        k => k,
    };
    if let Some(cmds) = asks(ctx, &rsc, kind) {
        return Route::Done(ask(ctx, svc, &log, &cmds, args.dry_run).and_then(|v| {
            said(&log, &v);
            match (kind, v.running_on.is_empty()) {
                _ if args.dry_run => Ok(()),
                (Action::Stop, false) => Err(Error::Failed(format!(
                    "{path}: Pacemaker still runs it on {} (om {path} print status)",
                    v.running_on.join(" and ")
                ))),
                (Action::Start | Action::Restart, true) => Err(Error::Failed(format!(
                    "{path}: Pacemaker did not start it (om {path} print status: its fail counts)"
                ))),
                _ => Ok(()),
            }
        }));
    }
    match kind {
        Action::Provision | Action::Deploy => Route::Done(Err(Error::Failed(format!(
            "{path}: orchestrate = ha: Pacemaker starts this service; {} it on a node with --local while Pacemaker has it stopped (om {path} stop), then om {path} start",
            kind.name()
        )))),
        // unprovision, purge: om's, once Pacemaker has it stopped
        _ => match ask_one(ctx, &rsc) {
            Err(e) => Route::Done(Err(Error::Failed(format!(
                "{path}: Pacemaker can not be asked whether it runs the service ({e}): no {} while it may",
                kind.name()
            )))),
            Ok(v) if v.configured && (v.wanted() || !v.running_on.is_empty()) => {
                Route::Done(Err(Error::Failed(format!(
                    "{path}: Pacemaker runs this service (orchestrate = ha): stop it first (om {path} stop)"
                ))))
            }
            Ok(_) => Route::Om,
        },
    }
}

/// `cmds`, then the wait, then Pacemaker's view. `--dry-run` says them.
fn ask(ctx: &Host, svc: &Service, log: &Logger, cmds: &[Cmd], dry_run: bool) -> Result<View> {
    let rsc = super::cib::resource_id(&svc.path);
    let before = ask_one(ctx, &rsc)?;
    if !before.configured {
        return Err(Error::Failed(format!(
            "{}: Pacemaker has no resource {rsc} (om {} pacemaker apply first)",
            svc.path, svc.path
        )));
    }
    let wait = crm::wait(ctx, patience(ctx, svc));
    for c in cmds.iter().chain(std::iter::once(&wait)) {
        log.svc(Level::Info, &c.to_string());
        if !dry_run {
            crm::run(c, patience(ctx, svc) + crm::BOUND)?;
        }
    }
    if dry_run {
        return Ok(before);
    }
    ask_one(ctx, &rsc)
}

/// Where Pacemaker has the service now, said.
fn said(log: &Logger, v: &View) {
    log.svc(Level::Info, &v.line());
}

/// `switch`, `takeover`, `giveback` of `svc`, Pacemaker's: a move to the
/// node `to` names, given where Pacemaker runs the service (`nodes::switch`
/// says it, as for om's own services), never a drp node.
pub fn switch(
    ctx: &Host,
    svc: &Service,
    args: &ActionArgs,
    to: impl Fn(&[String]) -> Result<String>,
) -> Result<()> {
    let path = &svc.path;
    let rsc = super::cib::resource_id(path);
    let log = service_log(ctx, path, args.common.quiet);
    let view = ask_one(ctx, &rsc)?;
    let to = never_drp(svc, to(&view.running_on)?)?;
    let (mv, clear) = move_to(ctx, &rsc, &to);
    if view.running_on == [to.clone()] {
        log.svc(Level::Info, &format!("already started on {to}"));
        if view.moved_to.is_some() {
            log.svc(
                Level::Info,
                &format!("a move stays in Pacemaker until cleared: {clear}"),
            );
        }
        return Ok(());
    }
    let v = ask(ctx, svc, &log, std::slice::from_ref(&mv), args.dry_run)?;
    said(&log, &v);
    log.svc(
        Level::Info,
        &format!("the move stays in Pacemaker until cleared (the service then stays where it runs): {clear}"),
    );
    if !args.dry_run && v.running_on != [to.clone()] {
        return Err(Error::Failed(format!(
            "{path}: Pacemaker did not move it to {to} (om {path} print status)"
        )));
    }
    Ok(())
}

/// `to`, unless it is a drp node: Pacemaker never runs the service there.
pub fn never_drp(svc: &Service, to: String) -> Result<String> {
    if svc.drp_only(&to) {
        return Err(Error::Failed(format!(
            "{}: {to} is a disaster recovery node (drpnodes): Pacemaker never runs the service there; a disaster recovery start is an operator's decision (README: Automatic failover)",
            svc.path
        )));
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_and_stop_set_the_target_role_restart_is_pacemaker_s() {
        let ctx = Host::for_test(crate::paths::Roots::system(), "n1");
        let line = |k| {
            asks(&ctx, "om-web", k)
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            line(Action::Start),
            ["crm_resource --resource om-web --meta --set-parameter target-role --parameter-value Started"]
        );
        assert_eq!(
            line(Action::Stop),
            ["crm_resource --resource om-web --meta --set-parameter target-role --parameter-value Stopped"]
        );
        assert_eq!(
            line(Action::Restart),
            ["crm_resource --restart --resource om-web"]
        );
        assert!(asks(&ctx, "om-web", Action::Provision).is_none());
        let (mv, clear) = move_to(&ctx, "om-web", "n2");
        assert_eq!(
            mv.to_string(),
            "crm_resource --move --resource om-web --node n2"
        );
        assert_eq!(clear.to_string(), "crm_resource --clear --resource om-web");
    }

    #[test]
    fn a_switch_never_goes_to_a_drp_node() {
        let s = Service {
            nodes: vec!["n1".into(), "n2".into()],
            drpnodes: vec!["n9".into()],
            ..Service::for_test("web", vec![])
        };
        assert_eq!(never_drp(&s, "n2".into()).unwrap(), "n2");
        let drp = never_drp(&s, "n9".into()).unwrap_err().to_string();
        assert!(drp.contains("disaster recovery node"), "{drp}");
    }
}
