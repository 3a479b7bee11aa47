//! `[sync#N] type = docker` (SPEC 17): the images of the service's
//! containers that the target's engine lacks, compared by image id,
//! sent by `docker save REF… | ssh NODE om PATH sync … --receive -- load`
//! (the pipe built by `process::pipe`, argv only). The target's om
//! answers which image ids its engine has (`-- ids`) and loads into the
//! service's engine there (its private daemon if it has one), each after
//! the checks and under the lock every receiving side takes (`receive`);
//! an archive that names an image the service's containers do not use is
//! not loaded (`archive`).
//! A `full` sends every image.

use super::Mode;
use crate::error::{fail, Error, Result};
use crate::host::Host;
use crate::logger::{Level, Logger};
use crate::model::{DataSync, Service};
use crate::process::{capture, Cmd};
use std::collections::BTreeSet;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

/// How long the target's answer on its images may take.
const QUERY_BOUND: Duration = Duration::from_secs(120);
/// How long a save and load of the images may take.
const TRANSFER_BOUND: Duration = Duration::from_secs(24 * 3600);

/// The receiving side's words after `--`: `ids` (the image ids of the
/// service's engine there, one a line), `load` (`docker load` from
/// stdin), `none` (nothing to load: the success recorded).
pub fn receiver_words_ok(words: &[String]) -> std::result::Result<(), String> {
    match words {
        [w] if ["ids", "load", "none"].contains(&w.as_str()) => Ok(()),
        _ => Err(format!(
            "not a docker sync's receiving side ({})",
            words.join(" ")
        )),
    }
}

/// The receiving side, this node's checks passed and its lock held:
/// whether it received (the success to record).
/// `spool` is the file the archive is kept in until it is read.
pub fn receive(
    ctx: &Host,
    svc: &Service,
    spool: &Path,
    words: &[String],
    log: &Logger,
) -> Result<bool> {
    let engine = crate::docker::daemon::engine_for(svc, ctx, log, false, true)?;
    match words.first().map(String::as_str) {
        Some("ids") => {
            let out = capture(&engine.cmd(ids_args()), QUERY_BOUND)?;
            if !out.success() {
                return fail(format!(
                    "{}: docker image ls failed here: {}",
                    svc.path,
                    out.error_line()
                ));
            }
            print!("{}", out.stdout);
            Ok(false)
        }
        Some("load") => load(&engine, svc, spool, log),
        _ => Ok(true),
    }
}

/// `docker load` of the archive on stdin, kept in `spool` and read first:
/// every name it would tag is one of the service's containers' images
/// (`archive`), or nothing is loaded (a sender loads no image under a name
/// the service does not use, e.g. another service's on a shared engine).
fn load(engine: &crate::docker::Engine, svc: &Service, spool: &Path, log: &Logger) -> Result<bool> {
    let _ = std::fs::remove_file(spool);
    let kept = keep(spool).and_then(|()| {
        let names = super::archive::names(spool)
            .map_err(|e| Error::Failed(format!("{}: the images received: {e}", svc.path)))?;
        let ours = |n: &str| {
            svc.containers.iter().any(|c| {
                crate::docker::inspect::same_image(
                    super::archive::familiar(n),
                    super::archive::familiar(&c.image),
                )
            })
        };
        if let Some(n) = names.iter().find(|n| !ours(n)) {
            return fail(format!(
                "{}: the images received name {}, no image of its containers: nothing loaded",
                svc.path,
                n.escape_debug()
            ));
        }
        let spool_word = spool.display().to_string();
        let cmd = engine.cmd(["load", "--input", spool_word.as_str()]);
        log.svc(Level::Info, &cmd.to_string());
        match crate::process::inherit(&cmd)? {
            0 => Ok(true),
            code => Err(Error::Child(code)),
        }
    });
    let _ = std::fs::remove_file(spool);
    kept
}

/// stdin written to `spool` (a file of its own, made here).
fn keep(spool: &Path) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(spool)
        .map_err(|e| Error::io("create", spool.to_path_buf(), e))?;
    std::io::copy(&mut std::io::stdin().lock(), &mut f)
        .map_err(|e| Error::io("write", spool.to_path_buf(), e))?;
    Ok(())
}

/// `docker image ls --all --no-trunc --quiet`: every image id, in full.
fn ids_args() -> [&'static str; 5] {
    ["image", "ls", "--all", "--no-trunc", "--quiet"]
}

/// The images of the service's containers on this node's engine: each
/// reference once, with its image id, in the containers' order. An image
/// this engine does not have is an error (nothing to send it from).
fn images(ctx: &Host, svc: &Service, log: &Logger) -> Result<Vec<(String, String)>> {
    let mut refs: Vec<String> = Vec::new();
    for c in &svc.containers {
        if !c.head.disable && !refs.contains(&c.image) {
            refs.push(c.image.clone());
        }
    }
    if refs.is_empty() {
        return fail(format!("{}: no container image to send", svc.path));
    }
    let engine = crate::docker::daemon::engine_for(svc, ctx, log, false, false)?;
    let mut args: Vec<String> = ["image", "inspect", "--format", "{{.Id}}"]
        .map(String::from)
        .to_vec();
    args.extend(refs.iter().cloned());
    let out = capture(&engine.cmd(args), QUERY_BOUND)?;
    if !out.success() {
        return fail(format!(
            "{}: the images of its containers here: {}",
            svc.path,
            out.error_line()
        ));
    }
    let ids: Vec<&str> = out.stdout.lines().map(str::trim).collect();
    if ids.len() != refs.len() || !ids.iter().all(|i| is_id(i)) {
        return fail(format!(
            "{}: docker image inspect answered {} ids for {} images",
            svc.path,
            ids.len(),
            refs.len()
        ));
    }
    Ok(refs
        .into_iter()
        .zip(ids.into_iter().map(String::from))
        .collect())
}

/// An image id as docker writes it in full: `sha256:` and 64 hex digits.
fn is_id(word: &str) -> bool {
    word.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The image ids a target's answer lists; anything else in it is an
/// error (a failed or garbled answer is never "it has none").
fn answered(text: &str) -> std::result::Result<BTreeSet<String>, String> {
    let mut out = BTreeSet::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !is_id(line) {
            return Err(format!("not an image id: {}", line.escape_debug()));
        }
        out.insert(line.to_string());
    }
    Ok(out)
}

/// What the receiving om on `node` said when it failed: its own refusal
/// (`om: …`), else docker's or ssh's last line.
pub(super) fn why(out: &crate::process::Output) -> String {
    out.stderr
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("om: "))
        .map_or_else(|| out.error_line(), String::from)
}

/// One docker sync of `s` to `node`: the images its engine lacks (every
/// one for `full`) saved here and loaded there. Ok once the target has
/// them (or had them: it says so).
pub fn transfer(
    ctx: &Host,
    svc: &Service,
    s: &DataSync,
    mode: Mode,
    node: &str,
    receiver: &dyn Fn(&[&str]) -> Result<Cmd>,
    log: &Logger,
) -> Result<()> {
    let path = &svc.path;
    let rid = s.head.rid.as_str();
    let images = images(ctx, svc, log)?;
    let ask = receiver(&["ids"])?;
    log.res(rid, Level::Info, &ask.to_string());
    let out = capture(&ask, QUERY_BOUND)?;
    if !out.success() {
        return fail(format!(
            "{path}: {rid} to {node}: which images {node} has: {}",
            why(&out)
        ));
    }
    let there = answered(&out.stdout)
        .map_err(|e| Error::Failed(format!("{path}: {rid} to {node}: {e}")))?;
    let send: Vec<&(String, String)> = images
        .iter()
        .filter(|(_, id)| mode == Mode::Full || !there.contains(id))
        .collect();
    if send.is_empty() {
        log.res(
            rid,
            Level::Info,
            &format!(
                "nothing to send: {node} has every image ({})",
                names(&images)
            ),
        );
        let done = receiver(&["none"])?;
        let out = capture(&done, QUERY_BOUND)?;
        if !out.success() {
            return fail(format!("{path}: {rid} to {node}: {}", why(&out)));
        }
        return Ok(());
    }
    let owned: Vec<(String, String)> = send.iter().map(|p| (*p).clone()).collect();
    log.res(
        rid,
        Level::Info,
        &format!("sending to {node}: {}", names(&owned)),
    );
    let engine = crate::docker::daemon::engine_for(svc, ctx, log, false, false)?;
    let mut save: Vec<String> = vec!["save".into()];
    save.extend(send.iter().map(|(r, _)| r.clone()));
    let save = engine.cmd(save);
    let load = receiver(&["load"])?;
    log.res(rid, Level::Info, &format!("{save} | {load}"));
    let (left, right) = crate::process::pipe(&save, &load, TRANSFER_BOUND)?;
    for line in right.stdout.lines().filter(|l| !l.trim().is_empty()) {
        log.res(rid, Level::Info, line);
    }
    if !right.success() {
        for line in right.stderr.lines().filter(|l| !l.trim().is_empty()) {
            log.res(rid, Level::Warn, line);
        }
        return fail(format!(
            "{path}: {rid} to {node}: docker load there failed: {}",
            why(&right)
        ));
    }
    if !left.success() {
        return fail(format!(
            "{path}: {rid} to {node}: docker save failed here: {}",
            left.error_line()
        ));
    }
    Ok(())
}

/// `ref (sha256:0123456789ab)`, comma separated.
fn names(images: &[(String, String)]) -> String {
    images
        .iter()
        .map(|(r, id)| format!("{r} ({})", id.get(..19).unwrap_or(id)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_s_answer_is_image_ids_or_an_error() {
        let id = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(
            answered(&format!("{id}\n{id}\n\n")).unwrap(),
            BTreeSet::from([id.clone()])
        );
        assert!(answered("").unwrap().is_empty());
        assert!(answered("Error: Cannot connect to the Docker daemon").is_err());
        assert!(receiver_words_ok(&["load".into()]).is_ok());
        assert!(receiver_words_ok(&["--server".into(), ".".into()]).is_err());
    }
}
