//! Actions across the nodes of a service (SPEC 12), without `--local`:
//! `start` where it should run, `stop` wherever it runs, `provision`,
//! `unprovision`, `purge` and `delete` on every node. Each step is an
//! action on one `Instance`: in process on this node (on the config this
//! action read, `action::load`), `om PATH VERB --local` over the transport
//! on another. Each node takes its own lock.

use super::ask::{other_nodes, Answers, Word};
use super::transport::Reach;
use crate::action::instance::{local_words, remote_words, Instance};
use crate::action::load::ConfigRead;
use crate::action::log::service_log;
use crate::action::pull::pull_paths;
use crate::action::run::{check_filters, run_one, run_paths};
use crate::action::Action;
use crate::cli::ActionArgs;
use crate::error::{Error, Result};
use crate::ha::route::Route;
use crate::host::Host;
use crate::logger::Level;
use crate::model::Service;
use crate::nodename::is_local;
use crate::output::each;
use crate::status::collect::local_status;
use crate::status::not_configured;

/// An action on the selected services: on this node with `--local` (or
/// for a service of this node alone), else across the service's nodes.
/// Each service's config is read once (`ConfigRead`): its nodes say where
/// the action goes, and the action here acts on it.
pub fn run(ctx: &Host, selector: &str, kind: Action, args: &ActionArgs) -> Result<()> {
    let paths = ctx.select(selector)?;
    if args.common.local {
        return run_paths(ctx, &paths, kind, args);
    }
    check_filters(kind, args)?;
    each(&paths, |path| {
        // A config that does not read is read again, and reported, by the
        // local action (under its lock)
        let Ok(read) = ConfigRead::of(path, ctx) else {
            return run_one(ctx, path, kind, args, None, None);
        };
        // Pacemaker's service: its route first (SPEC 18)
        if let Some(svc) = read.service().filter(|s| crate::ha::is_pacemakers(s)) {
            if let Route::Done(done) = crate::ha::route::action(ctx, svc, kind, args) {
                return done;
            }
        }
        match read.service() {
            Some(svc) if has_others(ctx, svc) => across(ctx, svc, &read, kind, args),
            Some(_) => run_one(ctx, path, kind, args, Some(&read), None),
            // A config that does not load is reported by the local action
            // (a stop acts on what a broken config still names, here).
            None => {
                let d = read.document();
                let multi =
                    d.get("DEFAULT", "nodes").is_some() || d.get("DEFAULT", "drpnodes").is_some();
                if multi && kind.stops() {
                    crate::text::say(&format!(
                        "{path}: warning: the config does not load here: this node only, its other nodes are not asked"
                    ));
                }
                run_one(ctx, path, kind, args, Some(&read), None)
            }
        }
    })
}

/// Whether the service lives on other nodes than this one.
pub fn has_others(ctx: &Host, svc: &Service) -> bool {
    svc.all_nodes().iter().any(|n| !is_local(n, &ctx.node))
}

/// This node's instance asked (its engine) while the other nodes are (over
/// the transport): whether it runs here, and what each other node says.
pub fn survey(ctx: &Host, svc: &Service) -> Result<(bool, Answers)> {
    std::thread::scope(|s| {
        let others = s.spawn(|| other_nodes(ctx, svc));
        let here = local_status(ctx, svc).map(|st| st.instances.first().is_some_and(|i| i.runs()));
        let others = others
            .join()
            .unwrap_or_else(|_| Err(Error::Failed("asking the other nodes: lost".into())));
        Ok((here?, others?))
    })
}

/// An action without `--local` on a service with other nodes.
fn across(
    ctx: &Host,
    svc: &Service,
    read: &ConfigRead,
    kind: Action,
    args: &ActionArgs,
) -> Result<()> {
    match kind {
        Action::Start | Action::Provision | Action::Restart => start(ctx, svc, read, kind, args),
        Action::Stop => stop(ctx, svc, read, args),
        Action::Unprovision | Action::Purge => everywhere(ctx, svc, read, kind, args),
        // deploy acts here (with the guard before its start)
        Action::Deploy => run_one(ctx, &svc.path, kind, args, Some(read), None),
    }
}

/// `start`: `already started on N` when a node runs it; else on the first
/// node of `nodes` that answers (never a drp node: that is an operator's
/// `--force` start there). A node that can not tell stops it, unless
/// `--force`. `provision` goes to the same node, and pulls the images on
/// the others that answered, so that a switch there starts at once.
/// `restart` goes where it runs, else where a start would.
fn start(
    ctx: &Host,
    svc: &Service,
    read: &ConfigRead,
    kind: Action,
    args: &ActionArgs,
) -> Result<()> {
    let path = &svc.path;
    let log = service_log(ctx, path, args.common.quiet);
    let (here, others) = survey(ctx, svc)?;
    let runs: Vec<&str> = others
        .iter()
        .filter(|(_, w)| matches!(w, Word::Runs { .. }))
        .map(|(n, _)| n.as_str())
        .collect();
    let all_up = others
        .iter()
        .all(|(_, w)| !matches!(w, Word::Runs { up: false }));
    // up on several nodes: a split brain, which no start mends
    if runs.len() + usize::from(here) > 1 {
        let mut on: Vec<&str> = runs.clone();
        if here {
            on.insert(0, &ctx.node);
        }
        return Err(Error::Failed(format!(
            "{path}: up on {}: a split brain; stop it on all but one node (om {path} stop --local there)",
            on.join(" and ")
        )));
    }
    // up on one other node, not all of it (a start cut short there): the
    // start goes there to finish the job
    if !runs.is_empty() && !here && kind == Action::Start {
        log.svc(
            Level::Info,
            &format!("already started on {}", runs.join(" and ")),
        );
        if all_up {
            return Ok(());
        }
    }
    let target = if here {
        ctx.node.clone()
    } else if let Some(n) = runs.first() {
        // provision where it runs
        n.to_string()
    } else {
        where_it_can_start(ctx, svc, &others, args.force)?
    };
    let target = Instance::on(ctx, svc, &target).reading(Some(read));
    let pulls = (kind == Action::Provision).then(|| pull_list(&target.node, &others));
    let done = if target.is_here() {
        target.act(ctx, kind, args, Some(others))
    } else {
        log.svc(Level::Info, &format!("{} on {}", kind.name(), target.node));
        // This node asked every node: the target need not refuse for one
        // it can not reach itself (a node that says it runs the service
        // still stops it there).
        let mut forced = args.clone();
        forced.force = true;
        target.act(ctx, kind, &forced, None)
    };
    if let (Ok(()), Some(pulls)) = (&done, pulls) {
        pull_elsewhere(ctx, svc, &target, pulls, args);
    }
    done
}

/// Where a start goes when the service runs on no node: the first node of
/// `nodes` that has the service and said it does not run it (one without
/// its config can not start it: om SVC sync first). A node that can not
/// tell stops it, unless `force`.
fn where_it_can_start(ctx: &Host, svc: &Service, others: &Answers, force: bool) -> Result<String> {
    let path = &svc.path;
    if !force {
        if let Some((node, Word::Unknown(why))) =
            others.iter().find(|(_, w)| matches!(w, Word::Unknown(_)))
        {
            return Err(Error::Failed(format!(
                "{path}: {node} can not tell whether the service runs there ({why}): --force to start anyway"
            )));
        }
    }
    // a node that has the service and said it does not run it (one
    // without its config can not start it: om SVC sync first)
    let answered = |n: &str| {
        is_local(n, &ctx.node) || others.iter().any(|(o, w)| o == n && matches!(w, Word::Not))
    };
    svc.nodes
        .iter()
        .find(|n| answered(n))
        .cloned()
        .ok_or_else(|| {
            Error::Failed(format!(
                "{path}: no node of nodes ({}) answered: not started",
                svc.nodes.join(" ")
            ))
        })
}

/// The nodes a provision pulls the images on: every node but its target,
/// each with why it is skipped, if it is.
fn pull_list(target: &str, others: &Answers) -> Vec<(String, Option<String>)> {
    others
        .iter()
        .filter(|(n, _)| n != target)
        .map(|(n, w)| {
            let skip = match w {
                Word::Unknown(why) => Some(format!("can not be asked ({why})")),
                Word::Absent => Some("has no config of the service (om SVC sync)".into()),
                Word::Runs { .. } | Word::Not => None,
            };
            (n.clone(), skip)
        })
        .collect()
}

/// After a provision, the images pulled on its other nodes (`om PATH pull
/// --local`), this one's here, so that a switch there starts at once. A
/// node that can not pull is a warning: the service is provisioned.
fn pull_elsewhere(
    ctx: &Host,
    svc: &Service,
    target: &Instance,
    pulls: Vec<(String, Option<String>)>,
    args: &ActionArgs,
) {
    let log = service_log(ctx, &svc.path, args.common.quiet);
    let warn = |node: &str, why: &str| {
        log.svc(Level::Warn, &format!("images not pulled on {node}: {why}"))
    };
    if !target.is_here() {
        if let Err(e) = pull_paths(ctx, std::slice::from_ref(&svc.path), args) {
            warn(&ctx.node, &e.to_string());
        }
    }
    for (node, skip) in pulls {
        if is_local(&node, &ctx.node) {
            continue;
        }
        if let Some(why) = skip {
            warn(&node, &why);
            continue;
        }
        let mut words = local_words(svc, "pull");
        if args.dry_run {
            words.push("--dry-run".into());
        }
        if let Err(e) = Instance::on(ctx, svc, &node).remote(ctx, &words, args.common.quiet) {
            warn(&node, &e.to_string());
        }
    }
}

/// `stop`: here, and on every other node where it runs. A node that can
/// not tell is an error (it may still run there); the others go on.
fn stop(ctx: &Host, svc: &Service, read: &ConfigRead, args: &ActionArgs) -> Result<()> {
    let path = &svc.path;
    let others = other_nodes(ctx, svc)?;
    let mut errors = Vec::new();
    for (node, word) in &others {
        match word {
            Word::Runs { .. } => {
                if let Err(e) = Instance::on(ctx, svc, node).act(ctx, Action::Stop, args, None) {
                    errors.push(e.to_string());
                }
            }
            Word::Not | Word::Absent => {}
            Word::Unknown(why) => errors.push(format!(
                "{path}: {node} can not tell whether the service runs there ({why}): not stopped there"
            )),
        }
    }
    let here = run_one(ctx, path, Action::Stop, args, Some(read), None);
    finish(here, errors)
}

/// `unprovision` and `purge`: on every node, this one last (a node that
/// has no such service has nothing to remove). A node that fails or can
/// not be reached is an error; the others go on.
fn everywhere(
    ctx: &Host,
    svc: &Service,
    read: &ConfigRead,
    kind: Action,
    args: &ActionArgs,
) -> Result<()> {
    let words = remote_words(svc, kind.name(), args);
    let errors = on_other_nodes(ctx, svc, |_| words.clone(), args.common.quiet);
    let here = run_one(ctx, &svc.path, kind, args, Some(read), None);
    finish(here, errors)
}

/// `delete` (without `--rid`): on every node, this one last.
pub fn delete_everywhere(
    ctx: &Host,
    svc: &Service,
    force: bool,
    quiet: bool,
    here: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let errors = on_other_nodes(
        ctx,
        svc,
        |_| {
            let mut w = local_words(svc, "delete");
            if force {
                w.push("--force".into());
            }
            w
        },
        quiet,
    );
    finish(here(), errors)
}

/// `om WORDS(node)` on every other node of the service, one after the
/// other; what failed, as lines. A node without the service is done.
fn on_other_nodes(
    ctx: &Host,
    svc: &Service,
    words: impl Fn(&str) -> Vec<String>,
    quiet: bool,
) -> Vec<String> {
    let path = svc.path.to_string();
    let mut errors = Vec::new();
    for node in svc.all_nodes() {
        if is_local(node, &ctx.node) {
            continue;
        }
        if crate::interrupt::received().is_some() {
            break;
        }
        let inst = Instance::on(ctx, svc, node);
        let w = words(node);
        match inst.remote_reach(ctx, &w, quiet) {
            Ok(()) => {}
            Err(Reach::Refused(e)) if not_configured(&e, &path) => {}
            Err(e) => errors.push(inst.failed(&w, &e).to_string()),
        }
    }
    errors
}

/// This node's result, with the other nodes' errors said before it.
fn finish(here: Result<()>, errors: Vec<String>) -> Result<()> {
    if errors.is_empty() {
        return here;
    }
    for e in &errors {
        crate::text::say(e);
    }
    match here {
        Err(e) => Err(e),
        Ok(()) => Err(Error::Said),
    }
}
