//! What an action acts on: a service on one node. Here, in process (the
//! config this action read of it handed down, see `load`); on another
//! node, `om PATH VERB --local` over the transport (its lines streamed as
//! they come; they carry their node in their prefix).

use super::load::ConfigRead;
use super::log::service_log;
use super::run::run_one;
use super::Action;
use crate::cli::ActionArgs;
use crate::docker::Engine;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::logger::Level;
use crate::model::Service;
use crate::nodename::is_local;
use crate::nodes::ask::{nodes_say, word_of, Answers, Word};
use crate::nodes::transport::Reach;
use crate::status::collect::local_status;

/// What an action acts on: a service on one node.
pub struct Instance<'a> {
    /// The node as the config names it (its ssh host), this node's name
    /// for the local one.
    pub node: String,
    /// This node's engine for the service; another node's instance is
    /// reached through the transport, its engine is its own business.
    pub engine: Option<Engine>,
    pub service: &'a Service,
    /// The config this action read of the service (a local instance
    /// acts on it while the file is still the one read).
    read: Option<&'a ConfigRead>,
}

impl<'a> Instance<'a> {
    pub fn on(ctx: &Host, service: &'a Service, node: &str) -> Instance<'a> {
        if is_local(node, &ctx.node) {
            Instance {
                node: ctx.node.clone(),
                engine: Some(crate::docker::daemon::engine_of(service, ctx)),
                service,
                read: None,
            }
        } else {
            Instance {
                node: node.to_string(),
                engine: None,
                service,
                read: None,
            }
        }
    }

    /// This instance, acted on here with the config `read` of it (when it
    /// is `read`'s service: see `load`).
    pub fn reading(mut self, read: Option<&'a ConfigRead>) -> Instance<'a> {
        self.read = read;
        self
    }

    pub fn is_here(&self) -> bool {
        self.engine.is_some()
    }

    /// `verb` on this instance: in process here (`kind`, the other nodes'
    /// answers already asked for a start), `om PATH VERB --local …` there.
    pub fn act(
        &self,
        ctx: &Host,
        kind: Action,
        args: &ActionArgs,
        asked: Option<Answers>,
    ) -> Result<()> {
        if self.is_here() {
            return run_one(ctx, &self.service.path, kind, args, self.read, asked);
        }
        self.attempt(ctx, kind, args).map_err(Attempt::error)
    }

    /// `act`, telling apart an action that ran nothing (`Attempt::Unrun`):
    /// a remote om that refused its command line (transport's
    /// `Reach::Unrun`).
    pub fn attempt(
        &self,
        ctx: &Host,
        kind: Action,
        args: &ActionArgs,
    ) -> std::result::Result<(), Attempt> {
        if self.is_here() {
            return run_one(ctx, &self.service.path, kind, args, self.read, None)
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
    pub fn word(&self, ctx: &Host) -> Word {
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
    pub fn remote(&self, ctx: &Host, words: &[String], quiet: bool) -> Result<()> {
        self.remote_reach(ctx, words, quiet)
            .map_err(|e| self.failed(words, &e))
    }

    /// `remote`, with why the node did not do it.
    pub fn remote_reach(
        &self,
        ctx: &Host,
        words: &[String],
        quiet: bool,
    ) -> std::result::Result<(), Reach> {
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let log = service_log(ctx, &self.service.path, quiet);
        log.svc(Level::Info, &ctx.transport.shown_act(&self.node, &words));
        ctx.transport.act(&self.node, &words, crate::text::say_raw)
    }

    /// The error of `om WORDS` on this node, naming it.
    pub fn failed(&self, words: &[String], why: &Reach) -> Error {
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
pub fn local_words(svc: &Service, verb: &str) -> Vec<String> {
    vec![
        svc.path.to_string(),
        verb.into(),
        "--local".into(),
        "--expect-id".into(),
        svc.id.clone(),
    ]
}
