//! The receiving side of a config sync (SPEC 12, see `sync`): a service's
//! config or a secret's or config object's file on stdin, installed when
//! this node still has what the sender believes it has, or what its change
//! was made on; never another `id` for a path.

use super::sync::{digest, Item, NONE};
use super::write_checks::{daemon_checked, unmoved};
use crate::action::waitlock;
use crate::cli::SyncArgs;
use crate::config::{self, ini::Document};
use crate::error::{fail, Context, Error, Result};
use crate::host::Host;
use crate::objects::ObjPath;
use crate::paths::SvcPath;
use std::io::Read;

/// The receiving side of a service's config (`om PATH sync --receive
/// --from N --expect D --base B`, the file on stdin): validated as this
/// node's own, installed when this node still has what the sender
/// believes it has, or what its change was made on.
pub fn receive(ctx: &Host, path: &SvcPath, args: &SyncArgs) -> Result<()> {
    let here = ctx.node.clone();
    receive_item(
        ctx,
        &Item::service(ctx, path),
        args,
        |text, from| {
            let doc = Document::parse(text).map_err(|e| {
                Error::Failed(format!(
                    "{path}: the config from {from} does not read (line {})",
                    e.line
                ))
            })?;
            let report = crate::config::check::check_document(&doc, path, &here, ctx);
            match report.errors.first() {
                Some(first) => fail(format!(
                    "{path}: the config from {from} does not validate on {here}: {first}"
                )),
                None => Ok(doc),
            }
        },
        |doc| {
            // what a write here would check, under the lock: the private
            // daemon on this host, and no move of the service to another engine
            // while its containers exist here (the sender's engine may hold
            // nothing of it: a second review of issue 21)
            let report = crate::config::check::check_document(doc, path, &ctx.node, ctx);
            if let Some(svc) = &report.service {
                daemon_checked(ctx, path, svc)?;
                unmoved(ctx, path, svc, None)?;
            }
            Ok(())
        },
    )
}

/// The receiving side of a secret or config object.
pub fn receive_object(ctx: &Host, path: &ObjPath, args: &SyncArgs) -> Result<()> {
    receive_item(
        ctx,
        &Item::object(ctx, path),
        args,
        |text, from| {
            crate::objects::Object::parse(text)
                .map_err(|e| Error::Failed(format!("{path}: the file from {from}: {e}")))
        },
        |_| Ok(()),
    )
}

/// `read` checks what came; `installable`, run under the item's lock
/// right before the write, what installing it here would change.
fn receive_item(
    ctx: &Host,
    item: &Item,
    args: &SyncArgs,
    read: impl FnOnce(&str, &str) -> Result<Document>,
    installable: impl FnOnce(&Document) -> Result<()>,
) -> Result<()> {
    let path = &item.path;
    let noun = &item.noun;
    let from = args
        .from
        .as_deref()
        .ok_or_else(|| Error::Usage("sync --receive needs --from NODE".into()))?;
    crate::config::operand::node(from).map_err(|e| Error::Usage(format!("--from {e}")))?;
    let expect = args
        .expect
        .as_deref()
        .ok_or_else(|| Error::Usage("sync --receive needs --expect DIGEST".into()))?;
    let here = ctx.node.as_str();
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(item.max + 1)
        .read_to_end(&mut bytes)
        .context(|| "sync --receive: reading stdin".into())?;
    if bytes.len() as u64 > item.max {
        return fail(format!(
            "{path}: the file from {from} is over {} MiB: not installed on {here}",
            item.max >> 20
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::Failed(format!("{path}: the file from {from} is not UTF-8")))?;
    let doc = read(&text, from)?;
    let Some(id) = doc.get("DEFAULT", "id").map(String::from) else {
        return fail(format!("{path}: the file from {from} has no id"));
    };
    let _lock = crate::state::lock_at(
        &item.roots,
        &item.lock,
        noun,
        waitlock(&args.common.waitlock)?,
        &format!("om {path} sync from {from}"),
        ctx.debug.as_ref(),
    )?;
    let mine = item.text()?;
    if let Some(mine) = &mine {
        let my_id = Document::parse(mine)
            .ok()
            .and_then(|d| d.get("DEFAULT", "id").map(String::from));
        if my_id.as_deref() != Some(id.as_str()) {
            return fail(format!(
                "{path} on {here} has id {}, the one from {from} id {id}: a node never takes another id for a path (purge it on {here} first)",
                my_id.as_deref().unwrap_or("(none)")
            ));
        }
        let now = digest(mine);
        let base = args.base.as_deref().unwrap_or(NONE);
        if *mine != text && now != expect && now != base && !args.force {
            return fail(format!(
                "{noun} on {here} changed since its last sync with {from}: not replaced (om {path} sync --force on {from} installs {from}'s)"
            ));
        }
    }
    if mine.as_deref() != Some(text.as_str()) {
        installable(&doc)?;
        config::write_atomic(&item.file, &text, &item.roots)?;
    }
    item.set_agreed(from, &digest(&text))
}
