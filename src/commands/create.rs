//! `create` and `deploy`.

use crate::action::waitlock;
use crate::cli::{ActionArgs, CommonArgs, CreateArgs};
use crate::config::ini::Document;
use crate::config::input::{apply, parse_assign, parse_config_for, Named};
use crate::config::{self, check};
use crate::error::{fail, Error, Result};
use crate::host::Host;
use crate::logger::Level;
use crate::paths::SvcPath;
use crate::state;
use std::collections::BTreeMap;

/// Reads `--config FILE|-`, at most `config::MAX_CONFIG`.
fn read_source(src: &str) -> Result<String> {
    let bytes = crate::fsutil::read_source("--config", src, config::MAX_CONFIG)?;
    String::from_utf8(bytes).map_err(|_| Error::Failed(format!("--config {src}: not UTF-8 text")))
}

/// What a create does with a service that exists: refuse it (`create`
/// without `--force`), or replace its config keeping its id (`--force`, and
/// `deploy`, which converges to the config it is given).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Existing {
    Refuse,
    Replace,
}

impl Existing {
    fn of(args: &CreateArgs, deploy: bool) -> Existing {
        if args.force || deploy {
            Existing::Replace
        } else {
            Existing::Refuse
        }
    }
}

/// The document a create would write, validated, and the config it
/// replaces (the service's when it existed); nothing is written here.
fn build_document(
    ctx: &Host,
    path: &SvcPath,
    args: &CreateArgs,
    on_existing: Existing,
) -> Result<(Document, Option<Document>)> {
    require_a_source(path, args)?;
    let current = existing(ctx, path, on_existing)?;
    let exists = current.is_some();
    let existing_id = current.as_ref().map(|(_, id)| id.clone());
    // what the source says that is not taken, said once the config is
    // known good (a refused one gets its one-line error alone)
    let mut notes: Vec<String> = Vec::new();
    let mut doc = match &args.config {
        Some(src) => source_document(path, src, &mut notes)?,
        None => Document::default(),
    };
    // A new service never shares an id (and so container labels) with the
    // service its config was copied from.
    let id = existing_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    notes.extend(replaced_id_note(path, args, &doc, &id, exists));
    // First, so that the id heads [DEFAULT] ...
    doc.set("DEFAULT", "id", &id);
    apply_kws(&mut doc, &args.kw)?;
    apply_envs(&mut doc, &args.env)?;
    // ... and again last, so that no --kw can change it.
    doc.set("DEFAULT", "id", &id);
    let now = current.map(|(now, _)| now);
    refuse_kw_only_redeploy(path, args, now.as_ref(), &doc)?;
    check_before_writing(ctx, path, &doc, &notes)?;
    Ok((doc, now))
}

/// A service is made of its config: `--force` replaces one whole, from a
/// source; without one it would leave a running service an empty config
/// (its containers out of om's reach).
fn require_a_source(path: &SvcPath, args: &CreateArgs) -> Result<()> {
    if args.force && args.config.is_none() {
        return Err(Error::Usage(
            "--force replaces the whole config: it needs --config FILE|- (set --kw changes a key)"
                .into(),
        ));
    }
    if args.config.is_none() && args.kw.is_empty() {
        return Err(Error::Usage(format!(
            "{path}: a service needs a config: --config FILE|- or --kw KEY=VAL"
        )));
    }
    Ok(())
}

/// The document `--config src` holds, with a note in `notes` for what it
/// names that is not taken.
fn source_document(path: &SvcPath, src: &str, notes: &mut Vec<String>) -> Result<Document> {
    let (doc, named) = parse_config_for(&read_source(src)?)
        .map_err(|e| Error::Failed(format!("--config {src}: {e}")))?;
    match named {
        // The path-keyed form names its service: it must be this one.
        Some(Named::Keyed(k)) if SvcPath::parse(&k).ok().as_ref() != Some(path) => {
            return fail(format!(
                "--config {src}: the config is for service {k}, not {path}"
            ));
        }
        // OpenSVC's metadata is not kept: the name given is the service's.
        Some(Named::Metadata(n)) if n != path.name => notes.push(format!(
            "{path}: warning: --config {src}: metadata.name '{}' is not used: the service is {path}",
            n.escape_debug()
        )),
        _ => {}
    }
    Ok(doc)
}

/// The note for a `DEFAULT.id` in `--config` that the service's `id` replaces.
fn replaced_id_note(
    path: &SvcPath,
    args: &CreateArgs,
    doc: &Document,
    id: &str,
    exists: bool,
) -> Option<String> {
    let (src, given) = (args.config.as_ref()?, doc.get("DEFAULT", "id")?);
    (given != id).then(|| {
        format!(
            "{path}: warning: --config {src}: DEFAULT.id '{}' is replaced by {id}: {}",
            given.escape_debug(),
            if exists {
                "the service keeps its own id"
            } else {
                "a new service never shares its id (its containers' label) with another"
            }
        )
    })
}

/// Sets each `--kw KEY=VAL` in `doc`.
fn apply_kws(doc: &mut Document, kws: &[String]) -> Result<()> {
    for kw in kws {
        let a = parse_assign(kw)?;
        apply(doc, &a).map_err(|e| Error::Failed(format!("--kw '{}': {e}", kw.escape_debug())))?;
    }
    Ok(())
}

/// Sets each `--env KEY=VALUE` in `doc`'s `[env]`.
fn apply_envs(doc: &mut Document, envs: &[String]) -> Result<()> {
    for env in envs {
        let (k, v) = env
            .split_once('=')
            .filter(|(k, _)| !k.trim().is_empty())
            .ok_or_else(|| Error::Usage(format!("--env '{env}': expected KEY=VALUE")))?;
        crate::config::input::check_names("env", k.trim())
            .map_err(|e| Error::Usage(format!("--env '{}': {e}", env.escape_debug())))?;
        check::check_chars("env", k.trim(), v)
            .map_err(|e| Error::Failed(format!("--env '{}': {e}", env.escape_debug())))?;
        doc.set("env", k.trim(), v);
    }
    Ok(())
}

/// A deploy of an existing service from --kw alone would replace its
/// whole config with those keys (as --force without --config would): only
/// a re-run that gives the config it has already goes on.
fn refuse_kw_only_redeploy(
    path: &SvcPath,
    args: &CreateArgs,
    now: Option<&Document>,
    doc: &Document,
) -> Result<()> {
    if let (Some(now), None) = (now, &args.config) {
        if settings(now) != settings(doc) {
            return fail(format!(
                "service {path} exists: a deploy without --config would replace its whole config with the --kw and --env given: give the whole config with --config FILE|- (set --kw changes a key)"
            ));
        }
    }
    Ok(())
}

/// Validates `doc` as `validate config` would, then says the notes and
/// warnings, and checks the nodes may take it.
fn check_before_writing(
    ctx: &Host,
    path: &SvcPath,
    doc: &Document,
    notes: &[String],
) -> Result<()> {
    let report = check::check_document(doc, path, &ctx.node, ctx);
    if let Some(first) = report.validate_errors(&ctx.roots).first() {
        return fail(format!("{path}: {first}"));
    }
    for n in notes {
        crate::text::say(n);
    }
    // what `validate config` would warn about, said as the config is written
    for w in &report.warnings {
        crate::text::say(&format!("{path}: warning: {w}"));
    }
    if let Some(svc) = &report.service {
        crate::nodes::write_checks::daemon_checked(ctx, path, svc)?;
        // early, without the lock: install asks again under it
        crate::nodes::write_checks::unmoved(ctx, path, svc, None)?;
    }
    Ok(())
}

/// The service's config and id when it exists and may be replaced (one
/// that exists where a create refuses it, or without an id, is refused).
fn existing(
    ctx: &Host,
    path: &SvcPath,
    on_existing: Existing,
) -> Result<Option<(Document, String)>> {
    let file = path.conf_file(&ctx.roots);
    if crate::fsutil::found(&file, std::fs::symlink_metadata(&file))?.is_none() {
        return Ok(None);
    }
    crate::fsutil::check_regular(&file)
        .map_err(|e| Error::Failed(crate::fsutil::io_fault(&file, &e)))?;
    if on_existing == Existing::Refuse {
        return fail(format!(
            "service {path} already exists (use --force to replace it, keeping its id)"
        ));
    }
    let doc = config::read_document(path, &ctx.roots).ok();
    let id = doc
        .as_ref()
        .and_then(|d| d.get("DEFAULT", "id"))
        .map(String::from);
    match (doc, id) {
        (Some(doc), Some(id)) => Ok(Some((doc, id))),
        _ => fail(format!(
            "service {path} exists but its id can not be read: a new config would give it a new one \
             and orphan its containers; fix its config (edit config) or purge it first"
        )),
    }
}

/// What a config says, whatever its comments, blank lines and order:
/// each section's keys and values.
fn settings(doc: &Document) -> BTreeMap<&str, BTreeMap<&str, &str>> {
    doc.section_names()
        .map(|s| (s, doc.entries(s).collect()))
        .collect()
}

pub fn create(ctx: &Host, path: &SvcPath, args: &CreateArgs) -> Result<()> {
    let on_existing = Existing::of(args, false);
    let (doc, replaced) = build_document(ctx, path, args, on_existing)?;
    install(
        ctx,
        path,
        &doc,
        replaced.is_some(),
        on_existing,
        &args.common,
    )
}

/// Writes the validated document under the service's lock.
fn install(
    ctx: &Host,
    path: &SvcPath,
    doc: &Document,
    existed: bool,
    on_existing: Existing,
    common: &CommonArgs,
) -> Result<()> {
    let _lock = state::lock(
        path,
        &ctx.roots,
        waitlock(&common.waitlock)?,
        &format!("om {path} create"),
        ctx.debug.as_ref(),
    )?;
    // Another create may have won the race since build_document looked:
    // under the lock, what is there now must be what it saw (nothing, or
    // the service whose id the document keeps).
    let file = path.conf_file(&ctx.roots);
    if crate::fsutil::found(&file, std::fs::symlink_metadata(&file))?.is_some() {
        if on_existing == Existing::Refuse {
            return fail(format!(
                "service {path} already exists (use --force to replace it, keeping its id)"
            ));
        }
        let now = config::read_document(path, &ctx.roots)?;
        if now.get("DEFAULT", "id") != doc.get("DEFAULT", "id") {
            return fail(format!(
                "service {path} was created or replaced meanwhile (another id): nothing written, try again"
            ));
        }
        // again under the lock: an action that held it may have made
        // containers since build_document asked
        if let Some(svc) = check::check_document(doc, path, &ctx.node, ctx).service {
            let synced = |n: &str| crate::nodes::sync::ever_synced(ctx, path, n);
            crate::nodes::write_checks::unmoved(ctx, path, &svc, Some(&synced))?;
        }
    } else if existed {
        // the id kept is that of a service deleted since: not brought back.
        return fail(format!(
            "service {path} was deleted meanwhile: nothing written, try again"
        ));
    }
    let base = crate::nodes::sync::base(ctx, path);
    config::save(path, &ctx.roots, doc)?;
    if !existed {
        // a new id: no container carries it yet (a delete can tell without
        // the engine, see action::delete); a record that fails is only
        // that delete asking the engine
        let id = doc.get("DEFAULT", "id").unwrap_or_default();
        if let Err(e) = state::mark_never_ran(path, &ctx.roots, id) {
            crate::text::say(&format!("{path}: warning: {e}"));
        }
    }
    crate::nodes::sync::after_write(ctx, path, common, base)
}

/// `deploy`: the config installed (an existing service's replaced, its id
/// kept), then the service provisioned and converged to it: a container
/// made from another config is recreated, the others left as they run
/// ("nothing to change" when none). A deploy that stopped half way is
/// finished by the same deploy again.
pub fn deploy(ctx: &Host, path: &SvcPath, args: &CreateArgs) -> Result<()> {
    provisioned(ctx, path, args, Existing::of(args, true))
}

/// `create --provision`, the OpenSVC agent's form: the create (an existing
/// service still needs `--force`), then the provision `deploy` does.
pub fn create_provisioned(ctx: &Host, path: &SvcPath, args: &CreateArgs) -> Result<()> {
    provisioned(ctx, path, args, Existing::of(args, false))
}

fn provisioned(ctx: &Host, path: &SvcPath, args: &CreateArgs, on_existing: Existing) -> Result<()> {
    // Bad input is refused before anything is said or written.
    let (doc, replaced) = build_document(ctx, path, args, on_existing)?;
    // The config is read: from here a signal interrupts the provision.
    crate::interrupt::install();
    // no config is installed that no log records
    let log = crate::action::log::action_log(ctx, path, args.common.quiet, "create", false)?;
    log.svc(
        Level::Info,
        &format!("service {} target state set to provisioned", path.name),
    );
    install(
        ctx,
        path,
        &doc,
        replaced.is_some(),
        on_existing,
        &args.common,
    )?;
    if let Some(before) = &replaced {
        log.svc(
            Level::Info,
            if settings(before) == settings(&doc) {
                "config unchanged"
            } else {
                "config changed: installed, the service keeps its id"
            },
        );
    }
    crate::action::run::run_paths(
        ctx,
        std::slice::from_ref(path),
        crate::action::Action::Deploy,
        &ActionArgs {
            common: args.common.clone(),
            ..ActionArgs::default()
        },
    )
    .and_then(|()| log.kept())
}
