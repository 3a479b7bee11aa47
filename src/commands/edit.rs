//! `edit config`: the operator edits a copy; only a valid result replaces
//! the config (as `visudo` and `crontab -e` do).

use crate::action::waitlock;
use crate::cli::CommonArgs;
use crate::config::{self, check::check_document, ini::Document};
use crate::error::{fail, Error, Result};
use crate::host::Host;
use crate::output::each;
use crate::paths::SvcPath;
use crate::process::{inherit, Cmd};
use crate::state;
use std::io::{BufRead, IsTerminal, Write};

/// The problems of an edited text, or none.
fn problems(text: &str, original: &str, path: &SvcPath, ctx: &Host) -> Vec<String> {
    let doc = match Document::parse(text) {
        Err(e) => return vec![e.to_string()],
        Ok(doc) => doc,
    };
    // An unknown keyword is a warning here, as for every command but
    // create, set and validate (SPEC 7).
    let report = check_document(&doc, path, &ctx.node, ctx);
    for u in &report.unknown {
        crate::text::say(&format!("{path}: warning: {u}"));
    }
    let mut errors = report.errors.clone();
    errors.extend(report.object_errors(&ctx.roots));
    // its private daemon on this host, as create, set and validate check it
    if let Some(svc) = &report.service {
        match crate::docker::daemon::check_host(svc, ctx) {
            Ok(warnings) => warnings
                .iter()
                .for_each(|w| crate::text::say(&format!("{path}: warning: {w}"))),
            Err(e) => errors.push(e.to_string()),
        }
        if errors.is_empty() {
            let synced = |n: &str| crate::nodes::sync::ever_synced(ctx, path, n);
            if let Err(e) = crate::nodes::write_checks::unmoved(ctx, path, svc, Some(&synced)) {
                errors.push(e.to_string());
            }
        }
    }
    let id_of = |d: &Document| d.get("DEFAULT", "id").map(String::from);
    if Document::parse(original).ok().as_ref().map(id_of) != Some(id_of(&doc)) {
        errors.push(crate::nodes::write_checks::ID_IS_FIXED.into());
    }
    errors
}

fn ask_again() -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("edit again? [Y/n] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    !matches!(answer.trim().to_ascii_lowercase().as_str(), "n" | "no")
}

pub fn edit_config(ctx: &Host, selector: &str, common: &CommonArgs) -> Result<()> {
    let paths = ctx.select(selector)?;
    let words = ctx.editor_argv()?;
    let wait = waitlock(&common.waitlock)?;
    each(&paths, |path| {
        let _lock = state::lock(
            path,
            &ctx.roots,
            wait,
            &format!("om {path} edit config"),
            ctx.debug.as_ref(),
        )?;
        let original = config::read_document(path, &ctx.roots)?.to_string();
        let copy = state::dir(path, &ctx.roots).join(format!("{}.conf.edit", path.name));
        config::write_atomic(&copy, &original, &ctx.roots)?;
        let result = edit_loop(ctx, path, &words, &copy, &original, common);
        let _ = std::fs::remove_file(&copy);
        result
    })
}

fn edit_loop(
    ctx: &Host,
    path: &SvcPath,
    words: &[String],
    copy: &std::path::Path,
    original: &str,
    common: &CommonArgs,
) -> Result<()> {
    loop {
        let mut args: Vec<String> = words[1..].to_vec();
        args.push(copy.display().to_string());
        let code = inherit(&Cmd::new(words[0].clone(), args))?;
        if code != 0 {
            return fail(format!(
                "{} exited with code {code}; config unchanged",
                words[0]
            ));
        }
        // the editor's result, bounded as any config (and a regular file:
        // the editor may have left a FIFO or a link to /dev/zero)
        let text = crate::fsutil::read_regular_within(copy, config::MAX_CONFIG)
            .map_err(|e| Error::Failed(crate::fsutil::io_fault(copy, &e)))?;
        if text == original {
            eprintln!("om: {path}: no change");
            return Ok(());
        }
        let errors = problems(&text, original, path, ctx);
        if errors.is_empty() {
            let base = crate::nodes::sync::base(ctx, path);
            config::write_atomic(&path.conf_file(&ctx.roots), &text, &ctx.roots)?;
            return crate::nodes::sync::after_write(ctx, path, common, base);
        }
        for e in &errors {
            crate::text::say(&format!("{path}: error: {e}"));
        }
        if !ask_again() {
            return fail(format!(
                "{path}: the edited config is invalid ({} error(s)); config unchanged",
                errors.len()
            ));
        }
    }
}
