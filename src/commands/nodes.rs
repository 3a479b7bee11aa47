//! Actions across the nodes of a service (SPEC 12), without `--local`:
//! `start` where it should run, `stop` wherever it runs, `provision`,
//! `unprovision`, `purge` and `delete` on every node. Each step is an
//! action on one `Instance`: in process on this node, `om PATH VERB
//! --local` over the transport on another (its lines streamed as they
//! come; they carry their node in their prefix). Each node takes its own
//! lock.

use super::action::{self, Kind};
use super::status::{local_status, nodes_say, other_nodes, word_of, Answers, Word};
use super::Ctx;
use crate::cli::ActionArgs;
use crate::docker::Engine;
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::Service;
use crate::nodename::is_local;
use crate::status::not_configured;
use crate::transport::Reach;

/// What an action acts on: a service on one node.
pub struct Instance<'a> {
    /// The node as the config names it (its ssh host), this node's name
    /// for the local one.
    pub node: String,
    /// This node's engine for the service; another node's instance is
    /// reached through the transport, its engine is its own business.
    pub engine: Option<Engine>,
    pub service: &'a Service,
}

impl<'a> Instance<'a> {
    pub fn on(ctx: &Ctx, service: &'a Service, node: &str) -> Instance<'a> {
        if is_local(node, &ctx.node) {
            Instance {
                node: ctx.node.clone(),
                engine: Some(crate::docker::daemon::engine_of(service, ctx)),
                service,
            }
        } else {
            Instance {
                node: node.to_string(),
                engine: None,
                service,
            }
        }
    }

    pub fn is_here(&self) -> bool {
        self.engine.is_some()
    }

    /// `verb` on this instance: in process here (`kind`, the other nodes'
    /// answers already asked for a start), `om PATH VERB --local …` there.
    pub fn act(
        &self,
        ctx: &Ctx,
        kind: Kind,
        args: &ActionArgs,
        asked: Option<Answers>,
    ) -> Result<()> {
        if self.is_here() {
            return action::run_one(ctx, &self.service.path, kind, args, asked);
        }
        self.attempt(ctx, kind, args).map_err(Attempt::error)
    }

    /// `act`, telling apart an action that ran nothing (`Attempt::Unrun`):
    /// a remote om that refused its command line (transport's
    /// `Reach::Unrun`).
    pub fn attempt(
        &self,
        ctx: &Ctx,
        kind: Kind,
        args: &ActionArgs,
    ) -> std::result::Result<(), Attempt> {
        if self.is_here() {
            return action::run_one(ctx, &self.service.path, kind, args, None)
                .map_err(Attempt::Ran);
        }
        let words = remote_words(self.service, kind.name(), args);
        self.remote_reach(ctx, &words, args.common.quiet)
            .map_err(|why| match why {
                Reach::Unrun(_) => Attempt::Unrun(self.failed(&words, &why)),
                _ => Attempt::Ran(self.failed(&words, &why)),
            })
    }

    /// What this instance says of the service now, read as the guard
    /// reads a node's answer (`status::word_of`): here its engine's word,
    /// there the node's `print status --local`. `Word::Not` is docker's
    /// word that nothing of it runs there; a query that fails is
    /// `Word::Unknown`, never "down".
    pub fn word(&self, ctx: &Ctx) -> Word {
        let svc = self.service;
        if self.is_here() {
            return match local_status(ctx, svc) {
                Ok(st) => {
                    let mine = st.instances.first().map(|i| (svc.id.clone(), i.clone()));
                    word_of(&self.node, svc, mine.as_ref())
                }
                Err(e) => Word::Unknown(e.to_string()),
            };
        }
        match nodes_say(ctx, svc, |n| n == self.node) {
            Ok(mut said) => said.pop().map_or_else(
                || Word::Unknown(format!("{} not asked", self.node)),
                |(_, w)| w,
            ),
            Err(e) => Word::Unknown(e.to_string()),
        }
    }

    /// `om WORDS` on this (other) node, its lines streamed with their own
    /// prefix; the replayable line logged first.
    pub fn remote(&self, ctx: &Ctx, words: &[String], quiet: bool) -> Result<()> {
        self.remote_reach(ctx, words, quiet)
            .map_err(|e| self.failed(words, &e))
    }

    /// `remote`, with why the node did not do it.
    fn remote_reach(
        &self,
        ctx: &Ctx,
        words: &[String],
        quiet: bool,
    ) -> std::result::Result<(), Reach> {
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let log = super::service_log(ctx, &self.service.path, quiet);
        log.svc(Level::Info, &ctx.transport.shown_act(&self.node, &words));
        ctx.transport.act(&self.node, &words, crate::text::say_raw)
    }

    /// The error of `om WORDS` on this node, naming it.
    fn failed(&self, words: &[String], why: &Reach) -> Error {
        Error::Failed(format!(
            "{}: {} on {}: {}",
            self.service.path,
            words.get(1).map_or("om", String::as_str),
            self.node,
            strip(&why.to_string())
        ))
    }
}

/// Why an action on an instance failed.
pub enum Attempt {
    /// It ran nothing there: the node's om refused its command line.
    Unrun(Error),
    /// It ran, and failed: it may have done part of its work.
    Ran(Error),
}

impl Attempt {
    pub fn error(self) -> Error {
        match self {
            Attempt::Unrun(e) | Attempt::Ran(e) => e,
        }
    }
}

/// A remote om's error line, without its `om: ` prefix.
fn strip(line: &str) -> &str {
    line.strip_prefix("om: ").unwrap_or(line)
}

/// `om PATH VERB --local` with the options of this action that the other
/// node's om must apply the same way (`--force` is added by the caller
/// where it is meant for the remote).
pub fn remote_words(svc: &Service, verb: &str, args: &ActionArgs) -> Vec<String> {
    let mut words = local_words(svc, verb);
    for (flag, values) in [
        ("--rid", &args.rid),
        ("--tag", &args.tag),
        ("--subset", &args.subset),
    ] {
        for v in values {
            words.push(flag.into());
            words.push(v.clone());
        }
    }
    words.push("--waitlock".into());
    words.push(args.common.waitlock.clone());
    if args.dry_run {
        words.push("--dry-run".into());
    }
    if args.common.quiet {
        words.push("--quiet".into());
    }
    if args.force {
        words.push("--force".into());
    }
    words
}

/// `om PATH VERB --local --expect-id ID`: the other node acts on this
/// node's service only, not on another at its path.
fn local_words(svc: &Service, verb: &str) -> Vec<String> {
    vec![
        svc.path.to_string(),
        verb.into(),
        "--local".into(),
        "--expect-id".into(),
        svc.id.clone(),
    ]
}

/// Whether the service lives on other nodes than this one.
pub fn has_others(ctx: &Ctx, svc: &Service) -> bool {
    svc.all_nodes().iter().any(|n| !is_local(n, &ctx.node))
}

/// This node's instance asked (its engine) while the other nodes are (over
/// the transport): whether it runs here, and what each other node says.
pub fn survey(ctx: &Ctx, svc: &Service) -> Result<(bool, Answers)> {
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
pub fn across(ctx: &Ctx, svc: &Service, kind: Kind, args: &ActionArgs) -> Result<()> {
    match kind {
        Kind::Start | Kind::Provision | Kind::Restart => start(ctx, svc, kind, args),
        Kind::Stop => stop(ctx, svc, args),
        Kind::Unprovision | Kind::Purge => everywhere(ctx, svc, kind, args),
        // deploy acts here (with the guard before its start)
        Kind::Deploy => action::run_one(ctx, &svc.path, kind, args, None),
    }
}

/// `start`: `already started on N` when a node runs it; else on the first
/// node of `nodes` that answers (never a drp node: that is an operator's
/// `--force` start there). A node that can not tell stops it, unless
/// `--force`. `provision` goes to the same node, and pulls the images on
/// the others that answered, so that a switch there starts at once.
/// `restart` goes where it runs, else where a start would.
fn start(ctx: &Ctx, svc: &Service, kind: Kind, args: &ActionArgs) -> Result<()> {
    let path = &svc.path;
    let log = super::service_log(ctx, path, args.common.quiet);
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
    if !runs.is_empty() && !here && kind == Kind::Start {
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
        if !args.force {
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
            })?
    };
    let target = Instance::on(ctx, svc, &target);
    let pulls = (kind == Kind::Provision).then(|| pull_list(&target.node, &others));
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
    ctx: &Ctx,
    svc: &Service,
    target: &Instance,
    pulls: Vec<(String, Option<String>)>,
    args: &ActionArgs,
) {
    let log = super::service_log(ctx, &svc.path, args.common.quiet);
    let warn = |node: &str, why: &str| {
        log.svc(Level::Warn, &format!("images not pulled on {node}: {why}"))
    };
    if !target.is_here() {
        if let Err(e) = action::pull_paths(ctx, std::slice::from_ref(&svc.path), args) {
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
fn stop(ctx: &Ctx, svc: &Service, args: &ActionArgs) -> Result<()> {
    let path = &svc.path;
    let others = other_nodes(ctx, svc)?;
    let mut errors = Vec::new();
    for (node, word) in &others {
        match word {
            Word::Runs { .. } => {
                if let Err(e) = Instance::on(ctx, svc, node).act(ctx, Kind::Stop, args, None) {
                    errors.push(e.to_string());
                }
            }
            Word::Not | Word::Absent => {}
            Word::Unknown(why) => errors.push(format!(
                "{path}: {node} can not tell whether the service runs there ({why}): not stopped there"
            )),
        }
    }
    let here = action::run_one(ctx, path, Kind::Stop, args, None);
    finish(here, errors)
}

/// `unprovision` and `purge`: on every node, this one last (a node that
/// has no such service has nothing to remove). A node that fails or can
/// not be reached is an error; the others go on.
fn everywhere(ctx: &Ctx, svc: &Service, kind: Kind, args: &ActionArgs) -> Result<()> {
    let words = remote_words(svc, kind.name(), args);
    let errors = on_other_nodes(ctx, svc, |_| words.clone(), args.common.quiet);
    let here = action::run_one(ctx, &svc.path, kind, args, None);
    finish(here, errors)
}

/// `delete` (without `--rid`): on every node, this one last.
pub fn delete_everywhere(
    ctx: &Ctx,
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
    ctx: &Ctx,
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
