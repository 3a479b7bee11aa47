//! The configuration store: files on disk, their raw lines, the typed service.

pub mod eval;
pub mod ini;
pub mod input;
pub mod keywords;
pub mod service;
pub mod value;

use crate::error::{fail, Context, Error, Result};
use crate::paths::{Roots, SvcPath};
use ini::Document;
use service::Service;
use std::io::Write;
use std::path::Path;

/// Reads and parses a service's config file.
pub fn read_document(path: &SvcPath, roots: &Roots) -> Result<Document> {
    let file = path.conf_file(roots);
    // A FIFO would block the read forever, a directory fails obscurely.
    if std::fs::metadata(&file).is_ok_and(|m| !m.is_file()) {
        return fail(format!("{}: not a regular file", file.display()));
    }
    // Document::parse drops a leading UTF-8 BOM.
    let text = std::fs::read_to_string(&file).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::Failed(format!("service {path} does not exist")),
        _ => Error::Failed(format!("{}: {e}", file.display())),
    })?;
    Document::parse(&text).map_err(|e| Error::Failed(format!("{}: {e}", file.display())))
}

/// Reads, validates and types a service's config.
pub fn load(path: &SvcPath, roots: &Roots, nodename: &str) -> Result<(Document, Service)> {
    let doc = read_document(path, roots)?;
    let report = service::check_document(&doc, path, nodename);
    match (report.errors.first(), report.service) {
        (None, Some(svc)) => Ok((doc, svc)),
        (first, _) => fail(format!(
            "{path}: {}",
            first.map_or("invalid config", String::as_str)
        )),
    }
}

/// Writes a service's config. The text must read back as the same document:
/// an edit that would produce an unreadable file is refused, never written.
pub fn save(path: &SvcPath, roots: &Roots, doc: &Document) -> Result<()> {
    let text = doc.to_string();
    if Document::parse(&text).as_ref() != Ok(doc) {
        return fail(format!(
            "{path}: refusing to write a config that would not read back as written"
        ));
    }
    write_atomic(&path.conf_file(roots), &text)
}

/// Writes atomically: a temp file in the same directory, fsync, rename, so a
/// reader or a crash sees the old file or the new one, never half of one.
pub fn write_atomic(file: &Path, text: &str) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).context(|| format!("create {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        file.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, file)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.context(|| format!("write {}", file.display()))
}
