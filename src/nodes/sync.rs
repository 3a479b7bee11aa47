//! Config sync (SPEC 12): every config write of a service with other nodes
//! installs the same file, with the same `id`, on those nodes, and
//! `om SVC sync` does it on demand.
//!
//! Compare before replace: each node keeps, per other node, the digest of
//! the config the two last agreed on (`var/…/synced/NODE`, written by both
//! sides of a sync). The sender sends its file (on stdin, never on an
//! argv: a config may hold values nobody else should read) with the digest
//! it believes the receiver has; the receiver replaces its file only when
//! it still has exactly that, or already has the sent text. A config
//! changed on the receiving node since the last sync is never silently
//! replaced: the sync refuses, naming the node (`--force` takes the
//! sender's). A node never takes a config whose `id` differs from the one
//! it has for that path, `--force` or not. The receiving side is
//! `receive`.

use super::transport::Reach;
use crate::action::log::service_log;
use crate::cli::SyncArgs;
use crate::config;
use crate::error::{fail, Context, Result};
use crate::host::Host;
use crate::logger::{Level, Logger};
use crate::model::ObjKind;
use crate::objects::ObjPath;
use crate::output::each;
use crate::paths::SvcPath;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The largest secret or config object: its values are base64 (4/3 of
/// `add`'s 16 MiB), a few keys more.
const MAX_OBJECT: u64 = 32 << 20;

/// What a sender that never synced with a node believes it has.
pub(super) const NONE: &str = "none";

/// The digest of a config's text: FNV-1a over 128 bits, in hex. It tells
/// "the same text" from "another text"; nobody gains by forging one (both
/// ends are the operator's own nodes).
pub fn digest(text: &str) -> String {
    format!("{:032x}", crate::hash::fnv1a_128(text.as_bytes()))
}

/// The name a node's records go by: its first label, as `is_local` reads
/// a short name and a full one as the same node.
fn record_name(node: &str) -> &str {
    node.split('.').next().unwrap_or(node)
}

/// What a sync carries: a service's config, or a secret's or a config
/// object's file (SPEC 13: they travel with the services that use them).
pub(super) struct Item {
    /// The path, as om reads it on the other node.
    pub(super) path: String,
    /// What it is, in a message (`the config of db1`, `secret sec/db`).
    pub(super) noun: String,
    pub(super) file: PathBuf,
    /// The digests agreed with each node, a file per node.
    pub(super) records: PathBuf,
    /// The lock its writers take.
    pub(super) lock: PathBuf,
    /// The largest file a node takes for it.
    pub(super) max: u64,
    /// om's trees, where its files live.
    pub(super) roots: crate::paths::Roots,
}

impl Item {
    pub(super) fn service(ctx: &Host, path: &SvcPath) -> Item {
        let state = crate::state::dir(path, &ctx.roots);
        Item {
            path: path.to_string(),
            noun: format!("the config of {path}"),
            file: path.conf_file(&ctx.roots),
            records: state.join("synced"),
            lock: state.join("lock"),
            max: config::MAX_CONFIG,
            roots: ctx.roots.clone(),
        }
    }

    pub(super) fn object(ctx: &Host, path: &ObjPath) -> Item {
        let lock = path.lock_file(&ctx.roots);
        Item {
            path: path.to_string(),
            noun: format!("{} {path}", path.kind.noun()),
            file: path.conf_file(&ctx.roots),
            records: lock.with_extension("synced"),
            lock,
            max: MAX_OBJECT,
            roots: ctx.roots.clone(),
        }
    }

    /// The digest this node and `node` last agreed on.
    pub(super) fn agreed(&self, node: &str) -> Option<String> {
        let text = crate::fsutil::read_regular(&self.records.join(record_name(node))).ok()?;
        let d = text.trim();
        (d.len() == 32 && d.bytes().all(|b| b.is_ascii_hexdigit())).then(|| d.to_string())
    }

    pub(super) fn set_agreed(&self, node: &str, digest: &str) -> Result<()> {
        let file = self.records.join(record_name(node));
        crate::fsutil::write_atomic(&file, format!("{digest}\n").as_bytes(), &self.roots.trees())
            .context(|| format!("write {}", file.display()))
    }

    pub(super) fn text(&self) -> Result<Option<String>> {
        match crate::fsutil::read_regular(&self.file) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => fail(format!("{}: {e}", self.file.display())),
        }
    }
}

/// `om SEL sync`: each selected service's config installed on its other
/// nodes.
pub fn sync(ctx: &Host, selector: &str, args: &SyncArgs) -> Result<()> {
    let paths = ctx.select(selector)?;
    each(&paths, |path| {
        push(ctx, path, args.force, args.common.quiet, base(ctx, path))
    })
}

/// The digest of this node's config of `path` as it is now: taken before a
/// write, it is what the write changed (its base). None when there is no
/// file.
pub fn base(ctx: &Host, path: &SvcPath) -> Option<String> {
    file_digest(&path.conf_file(&ctx.roots))
}

/// `base` of an object.
pub fn object_base(ctx: &Host, path: &ObjPath) -> Option<String> {
    file_digest(&path.conf_file(&ctx.roots))
}

fn file_digest(file: &std::path::Path) -> Option<String> {
    crate::fsutil::read_regular(file).ok().map(|t| digest(&t))
}

/// After a config write here (`base`: the digest of the file it changed,
/// see `base`): the new config sent to the service's other nodes (not with
/// `--local`). The write stands whatever they answer; an unreachable node
/// is a warning (the next sync catches it up), a refusal an error.
pub fn after_write(
    ctx: &Host,
    path: &SvcPath,
    common: &crate::cli::CommonArgs,
    base: Option<String>,
) -> Result<()> {
    if common.local {
        return Ok(());
    }
    push(ctx, path, false, common.quiet, base)
}

/// After a write of a secret or config object here: the object sent to
/// the other nodes of the services of its namespace that use it.
pub fn after_object_write(
    ctx: &Host,
    path: &ObjPath,
    base: Option<String>,
    force: bool,
) -> Result<()> {
    let mut nodes: BTreeSet<String> = BTreeSet::new();
    let mut user: Option<SvcPath> = None;
    for svc_path in crate::paths::list_services(&ctx.roots)? {
        if svc_path.namespace != path.namespace {
            continue;
        }
        let Ok(svc) = config::load_quiet(&svc_path, ctx) else {
            continue;
        };
        if !uses(&svc).contains(path) {
            continue;
        }
        for n in svc.all_nodes() {
            if !crate::nodename::is_local(n, &ctx.node) {
                nodes.insert(n.to_string());
            }
        }
        user.get_or_insert(svc_path);
    }
    let Some(user) = user else {
        return Ok(());
    };
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let log = service_log(ctx, &user, false);
    let refused = send(ctx, &Item::object(ctx, path), &nodes, force, base, &log)?;
    finish(&path.to_string(), refused)
}

/// The secrets and configs `svc` refers to.
fn uses(svc: &crate::model::Service) -> BTreeSet<ObjPath> {
    let ns = &svc.path.namespace;
    let mut out = BTreeSet::new();
    for c in &svc.containers {
        for r in &c.env_refs {
            out.insert(ObjPath::new(ns, r.kind, &r.object));
        }
        if let Some(name) = &c.registry_creds {
            out.insert(ObjPath::new(ns, ObjKind::Sec, name));
        }
    }
    out
}

/// Sends this node's config of `path` to its other nodes, all at the same
/// time, after the secrets and configs it uses (a receiver has them before
/// the config that names them).
///
/// A receiver takes a file when what it has is what the two nodes last
/// agreed on, or what this node's change was made on (`base`): then
/// nothing of its own is lost. A change made on n2 that has not reached n1
/// makes n1's next change refused on n2 (and on n3, if n2's change reached
/// it): a sync from n2, or `sync --force` from n1, settles it.
fn push(ctx: &Host, path: &SvcPath, force: bool, quiet: bool, base: Option<String>) -> Result<()> {
    let (_, svc) = config::load(path, ctx)?;
    let others: Vec<&str> = svc
        .all_nodes()
        .into_iter()
        .filter(|n| !crate::nodename::is_local(n, &ctx.node))
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    let log = service_log(ctx, path, quiet);
    let mut refused = Vec::new();
    for obj in uses(&svc) {
        if !crate::objects::Object::exists(&obj, &ctx.roots)? {
            continue;
        }
        let item = Item::object(ctx, &obj);
        let now = object_base(ctx, &obj);
        refused.extend(send(ctx, &item, &others, force, now, &log)?);
    }
    let item = Item::service(ctx, path);
    refused.extend(send(ctx, &item, &others, force, base, &log)?);
    finish(&path.to_string(), refused)
}

fn finish(path: &str, refused: Vec<String>) -> Result<()> {
    if refused.is_empty() {
        Ok(())
    } else {
        fail(format!("{path}: not installed on {}", refused.join("; ")))
    }
}

/// `item` sent to `nodes`, all at the same time: the refusals, as lines
/// (an unreachable node is a warning in `log`).
fn send(
    ctx: &Host,
    item: &Item,
    nodes: &[&str],
    force: bool,
    base: Option<String>,
    log: &Logger,
) -> Result<Vec<String>> {
    let Some(text) = item.text()? else {
        return fail(format!("{} does not exist", item.noun));
    };
    let sent = digest(&text);
    let calls: Vec<(String, Vec<String>)> = nodes
        .iter()
        .map(|node| {
            (
                node.to_string(),
                receive_words(ctx, item, node, force, base.as_deref()),
            )
        })
        .collect();
    for (node, words) in &calls {
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        log.svc(
            Level::Info,
            &format!(
                "{} <{}",
                ctx.transport.shown(node, &words),
                item.file.display()
            ),
        );
    }
    let answers = send_all(ctx, &calls, &text);
    crate::interrupt::check()?;
    let mut refused = Vec::new();
    for ((node, _), answer) in calls.iter().zip(answers) {
        match answer {
            Ok(_) => item.set_agreed(node, &sent)?,
            Err(Reach::Unreachable(why)) => log.svc(
                Level::Warn,
                &format!(
                    "{} not sent to {node}, unreachable ({why}): the next sync catches it up",
                    item.noun
                ),
            ),
            Err(Reach::Refused(why) | Reach::Unrun(why)) => refused.push(format!(
                "{node}: {}",
                why.strip_prefix("om: ").unwrap_or(&why)
            )),
        }
    }
    Ok(refused)
}

/// `om PATH sync --receive …` as `node` is asked to run it: this node's
/// name, the digest it believes `node` has, the one its change was made on.
fn receive_words(
    ctx: &Host,
    item: &Item,
    node: &str,
    force: bool,
    base: Option<&str>,
) -> Vec<String> {
    let expect = item.agreed(node).unwrap_or_else(|| NONE.into());
    let receiver_wait = format!("{}ms", ctx.docker.bound.as_millis() / 3);
    let mut words: Vec<String> = [
        item.path.as_str(),
        "sync",
        "--receive",
        "--from",
        ctx.node.as_str(),
        "--expect",
        expect.as_str(),
        "--base",
        base.unwrap_or(NONE),
        // the receiver gives up on its lock before this node gives
        // up on it: an answer that comes is the one it acted on
        "--waitlock",
        &receiver_wait,
    ]
    .map(String::from)
    .to_vec();
    if force {
        words.push("--force".into());
    }
    words
}

/// Each `(node, words)` call run at the same time, `text` on its stdin:
/// each node's answer, in order.
fn send_all(
    ctx: &Host,
    calls: &[(String, Vec<String>)],
    text: &str,
) -> Vec<std::result::Result<String, Reach>> {
    let bound = ctx.docker.bound;
    std::thread::scope(|s| {
        let handles: Vec<_> = calls
            .iter()
            .map(|(node, words)| {
                let text = text.as_bytes();
                s.spawn(move || {
                    let words: Vec<&str> = words.iter().map(String::as_str).collect();
                    ctx.transport.query_input(node, &words, Some(text), bound)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Reach::Unreachable("lost".into())))
            })
            .collect()
    })
}

/// Whether this node and `node` ever agreed on the service's config (a
/// sync either way records it on both sides): a node that never had it
/// from here, nor sent it here, never ran it by this config.
pub fn ever_synced(ctx: &Host, path: &SvcPath, node: &str) -> bool {
    Item::service(ctx, path).agreed(node).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_tells_texts_apart() {
        assert_eq!(digest("a"), digest("a"));
        assert_ne!(digest("a"), digest("b"));
        assert_ne!(digest("ab"), digest("ba"));
        assert_eq!(digest("").len(), 32);
        // FNV-1a 128 of the empty input is its offset basis
        assert_eq!(digest(""), "6c62272e07bb014262b821756295c58d");
    }

    #[test]
    fn a_node_is_recorded_by_its_first_label() {
        assert_eq!(record_name("deb1.opensvc.com"), "deb1");
        assert_eq!(record_name("n2"), "n2");
    }
}
