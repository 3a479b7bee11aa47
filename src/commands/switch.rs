//! `switch [--to N]`, `takeover` and `giveback` (SPEC 12): a failover
//! service moves between its nodes. Stop where it runs, check it is down
//! there, then start on the target. Each step takes its node's own lock
//! (this node's for a local step, the remote om's for a remote one); the
//! target's start passes its split-brain guard, so a switch cut in the
//! middle leaves the service where it was or where it was going, never on
//! both, and a second switch or start finishes the job.

use super::action::Kind;
use super::nodes::Instance;
use super::status::{Answers, Word};
use super::{each, Ctx};
use crate::cli::ActionArgs;
use crate::config;
use crate::config::service::Service;
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::transport::is_local;

/// Where the switch goes.
pub enum Target {
    /// `--to N`, or the next node of `nodes` after the current one.
    To(Option<String>),
    /// `takeover`: this node.
    Here,
    /// `giveback`: the first node of `nodes`.
    First,
}

pub fn switch(ctx: &Ctx, selector: &str, target: &Target, args: &ActionArgs) -> Result<()> {
    if !(args.rid.is_empty() && args.tag.is_empty() && args.subset.is_empty()) {
        return Err(Error::Usage(
            "a switch moves the whole service: --rid, --tag and --subset do not apply".into(),
        ));
    }
    let paths = ctx.select(selector)?;
    each(&paths, |path| {
        let (_, svc) = config::load(path, &ctx.roots, &ctx.node)?;
        let log = super::service_log(ctx, path, args.common.quiet);
        // Up here: the switch starts from here, and the target's own guard
        // asks every node before its start (one round of calls, as by
        // hand). Not up here: every node is asked where it runs, and that
        // answer stands for the start's guard.
        let here = local_runs(ctx, &svc)?;
        let (on, mut asked) = if here {
            (vec![ctx.node.clone()], None)
        } else {
            let (on, asked) = where_it_runs(ctx, &svc, args.force)?;
            (on, Some(asked))
        };
        let to = target_node(ctx, &svc, target, &on, args.force)?;
        if on.len() == 1 && is_local(&on[0], &to) {
            log.svc(Level::Info, &format!("already started on {to}"));
            return Ok(());
        }
        for node in on.iter().filter(|n| !is_local(n, &to)) {
            log.svc(Level::Info, &format!("stop on {node}"));
            run_on(ctx, &svc, node, Kind::Stop, args, None)?;
            // Down there, in docker's own words, before the start: a stop
            // returns only once each container is down (its `wait for down
            // status`); here, docker is asked once more (a dry run stopped
            // nothing: nothing to check).
            if is_local(node, &ctx.node) && !args.dry_run && local_runs(ctx, &svc)? {
                return Err(Error::Failed(format!(
                    "{path}: still up on {node} after its stop: not started on {to}"
                )));
            }
            if let Some(word) = asked
                .iter_mut()
                .flatten()
                .find(|(n, _)| n == node)
                .map(|(_, w)| w)
            {
                *word = Word::Not;
            }
        }
        log.svc(Level::Info, &format!("start on {to}"));
        run_on(ctx, &svc, &to, Kind::Start, args, asked)
    })
}

/// Whether this node's engine runs (any of) the service.
fn local_runs(ctx: &Ctx, svc: &Service) -> Result<bool> {
    let st = super::status::local_status(ctx, svc)?;
    Ok(st.instances.first().is_some_and(|i| i.runs()))
}

/// The other nodes where the service is up (this one does not run it),
/// and what each said. A node that can not tell stops the switch (it may
/// run there) unless `--force`.
fn where_it_runs(ctx: &Ctx, svc: &Service, force: bool) -> Result<(Vec<String>, Answers)> {
    let path = svc.path.to_string();
    let mut on = Vec::new();
    let asked = super::status::other_nodes(ctx, svc)?;
    for (node, word) in &asked {
        match word {
            Word::Runs { .. } => on.push(node.clone()),
            Word::Not => {}
            Word::Unknown(e) if !force => {
                return Err(Error::Failed(format!(
                    "{path}: {node} can not tell whether the service runs there ({e}): --force to switch anyway"
                )))
            }
            Word::Unknown(_) => {}
        }
    }
    Ok((on, asked))
}

fn target_node(
    ctx: &Ctx,
    svc: &Service,
    target: &Target,
    on: &[String],
    force: bool,
) -> Result<String> {
    let path = &svc.path;
    let to = match target {
        Target::Here => ctx.node.clone(),
        Target::First => svc
            .nodes
            .first()
            .cloned()
            .unwrap_or_else(|| ctx.node.clone()),
        Target::To(Some(n)) => n.clone(),
        // the next node of `nodes` after the current one
        Target::To(None) => {
            let current = on.first().map_or(ctx.node.as_str(), String::as_str);
            let at = svc
                .nodes
                .iter()
                .position(|n| is_local(n, current) || n == current);
            let next = at.map_or(0, |i| (i + 1) % svc.nodes.len().max(1));
            svc.nodes
                .get(next)
                .cloned()
                .unwrap_or_else(|| ctx.node.clone())
        }
    };
    // the name as the config lists it (its ssh host), this node's own
    let to = svc
        .node_named(&to, &ctx.node)
        .ok_or_else(|| Error::Usage(svc.not_a_node(&to)))?;
    // A disaster recovery start is an operator's decision: said before
    // anything stops.
    if svc.drp_only(&to) && !force {
        return Err(Error::Failed(format!(
            "{path}: {to} is a disaster recovery node of the service (drpnodes): a switch there is an operator's decision, made with --force"
        )));
    }
    Ok(to)
}

/// `kind` of the service on `node`: in process here (`asked`: the other
/// nodes' answers for its guard), `om PATH VERB --local` there (its lines
/// streamed as they come; they carry their node).
fn run_on(
    ctx: &Ctx,
    svc: &Service,
    node: &str,
    kind: Kind,
    args: &ActionArgs,
    asked: Option<Answers>,
) -> Result<()> {
    let inst = Instance::on(ctx, svc, node);
    if inst.is_here() || kind != Kind::Start || asked.is_none() {
        return inst.act(ctx, kind, args, asked);
    }
    // this node asked every node: the target need not refuse for the
    // nodes it can not reach itself (a node that says it runs the service
    // still stops it there)
    let mut forced = args.clone();
    forced.force = true;
    inst.act(ctx, kind, &forced, None)
}
