//! The configuration store: files on disk, their raw lines, the typed service.

pub mod check;
pub mod eval;
pub mod ini;
pub mod input;
pub mod keywords;
pub mod operand;
pub mod read;
mod reference;
mod sections;
pub mod service;
pub mod value;

use crate::error::{fail, Context, Error, Result};
use crate::fsutil::Under;
use crate::host::Host;
use crate::model::Service;
use crate::paths::{Roots, SvcPath};
use ini::Document;
use std::path::Path;

/// The largest service config any reader takes (a `--config` file or
/// stdin, `edit config`'s result, a load, a sync received), as a secret's
/// value: configs are kilobytes (10 000 containers, half a MiB), and an
/// endless source (/dev/zero) is read no further than this and a byte.
pub const MAX_CONFIG: u64 = 16 << 20;

/// Reads and parses a service's config file.
pub fn read_document(path: &SvcPath, roots: &Roots) -> Result<Document> {
    read_document_in(path, &Under::paths(&roots.etc))
}

/// `read_document`, `etc` being the config tree (see `fsutil::Under`).
fn read_document_in(path: &SvcPath, etc: &Under) -> Result<Document> {
    let rel = path.conf_rel();
    // A FIFO would block the read forever, a directory is no config.
    // Document::parse drops a leading UTF-8 BOM.
    let contents =
        crate::fsutil::found(&etc.path(&rel), etc.read_regular_within(&rel, MAX_CONFIG))?
            .ok_or_else(|| Error::Failed(format!("service {path} does not exist")))?;
    Document::parse(&contents)
        .map_err(|e| Error::Failed(format!("{}: {e}", etc.path(&rel).display())))
}

/// Reads and checks a service's config; an unknown keyword or section (a
/// hand edit) is said as a warning here, for every command that acts.
fn read_checked(path: &SvcPath, host: &Host) -> Result<(Document, check::Report)> {
    read_noting(path, host, &Under::paths(&host.roots.etc), &mut |w| {
        crate::text::say(&w)
    })
}

/// `read_checked`, its warnings handed to `note` (status reads configs on
/// several threads, and says what each one found in the order of the
/// services; an action keeps them until it acts on what it read).
pub fn read_noting(
    path: &SvcPath,
    host: &Host,
    etc: &Under,
    note: &mut dyn FnMut(String),
) -> Result<(Document, check::Report)> {
    let since = std::time::Instant::now();
    let doc = read_document_in(path, etc);
    crate::debug::line(host.debug.as_ref(), || {
        let file = etc.path(&path.conf_rel());
        match &doc {
            Ok(_) => format!(
                "read config {}, {}",
                file.display(),
                crate::debug::ms(since.elapsed())
            ),
            Err(e) => format!("read config {}: {e}", file.display()),
        }
    });
    let doc = doc?;
    let report = check::check_document(&doc, path, &host.node, host);
    for u in &report.unknown {
        note(format!("{path}: warning: {u}, ignored"));
    }
    Ok((doc, report))
}

/// Reads, validates and types a service's config.
pub fn load(path: &SvcPath, host: &Host) -> Result<(Document, Service)> {
    load_noting(path, host, &Under::paths(&host.roots.etc), &mut |w| {
        crate::text::say(&w)
    })
}

/// `load` without a word: for a look at the config (its nodes, say) before
/// the action that reads it again and says what it finds.
pub fn load_quiet(path: &SvcPath, host: &Host) -> Result<Service> {
    load_noting(path, host, &Under::paths(&host.roots.etc), &mut |_| {}).map(|(_, s)| s)
}

/// `load`, its warnings handed to `note` rather than said.
pub fn load_noting(
    path: &SvcPath,
    host: &Host,
    etc: &Under,
    note: &mut dyn FnMut(String),
) -> Result<(Document, Service)> {
    let (doc, report) = read_noting(path, host, etc, note)?;
    match (report.errors.first(), report.service) {
        (None, Some(svc)) => Ok((doc, svc)),
        (first, _) => Err(invalid(path, first)),
    }
}

/// `load` of a config already read and checked (`read_noting`).
pub fn typed(path: &SvcPath, report: &check::Report) -> Result<Service> {
    match (report.errors.first(), &report.service) {
        (None, Some(svc)) => Ok(svc.clone()),
        (first, _) => Err(invalid(path, first)),
    }
}

/// Why a config does not load: its first error.
fn invalid(path: &SvcPath, first: Option<&String>) -> Error {
    Error::Failed(format!(
        "{path}: {}",
        first.map_or("invalid config", String::as_str)
    ))
}

/// `load`, or for an action that only stops containers, the service as far
/// as a stop needs it when the config does not validate (`read::Mode::Stop`,
/// with a warning naming the first error): `stop` always works on a
/// readable config. The flag says whether every container resource could
/// be identified (a delete needs that: it must know every container is
/// gone).
pub fn load_for_stop(path: &SvcPath, host: &Host) -> Result<(Service, bool)> {
    let (doc, report) = read_checked(path, host)?;
    typed_for_stop(path, host, &doc, &report)
}

/// `load_for_stop` of a config already read and checked (`read_noting`).
pub fn typed_for_stop(
    path: &SvcPath,
    host: &Host,
    doc: &Document,
    report: &check::Report,
) -> Result<(Service, bool)> {
    if let (None, Some(svc)) = (report.errors.first(), &report.service) {
        return Ok((svc.clone(), true));
    }
    let first = report
        .errors
        .first()
        .map_or("invalid config", String::as_str);
    let eval = eval::Evaluator::new(doc, path, &host.node, &host.env);
    let reading = read::read(&eval, read::Mode::Stop)
        .map_err(|_| Error::Failed(format!("{path}: {first}")))?;
    crate::text::say(&format!(
        "{path}: warning: {first}; acting on the container names the config gives"
    ));
    for p in &reading.problems {
        crate::text::say(&format!("{path}: warning: {}", read::line(p)));
    }
    for n in &reading.notes {
        crate::text::say(&format!("{path}: warning: {n}"));
    }
    Ok((reading.service, reading.problems.is_empty()))
}

/// Writes a service's config. The text must read back as the same document:
/// an edit that would produce an unreadable file is refused, never written.
pub fn save(path: &SvcPath, roots: &Roots, doc: &Document) -> Result<()> {
    let written = doc.to_string();
    if Document::parse(&written).as_ref() != Ok(doc) {
        return fail(format!(
            "{path}: refusing to write a config that would not read back as written"
        ));
    }
    write_atomic(&path.conf_file(roots), &written, roots)
}

/// Writes a config file of om's trees atomically, 0600 (see
/// `fsutil::write_atomic`).
pub fn write_atomic(file: &Path, text: &str, roots: &Roots) -> Result<()> {
    crate::fsutil::write_atomic(file, text.as_bytes(), &roots.trees())
        .context(|| format!("write {}", file.display()))
}
