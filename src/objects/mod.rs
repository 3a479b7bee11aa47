//! Secrets (`NS/sec/NAME`) and configs (`NS/cfg/NAME`): keys and values a
//! service refers to (SPEC 13). Stored as `etc/[namespaces/NS/]sec/NAME.conf`
//! (`cfg` likewise), 0600, each value base64 under `[data]`:
//!
//! ```ini
//! [DEFAULT]
//! id = 0d1c…
//!
//! [data]
//! password = base64:aHVudGVyMg==
//! ```

pub mod base64;
pub mod edit;
pub mod env;

use crate::config::ini::Document;
use crate::error::{Error, IoContext, Result};
use crate::paths::{check_name, Roots, ROOT_NS};
use std::fmt;

use crate::model::ObjKind;
use std::path::{Path, PathBuf};

/// `[NS/]sec/NAME` or `[NS/]cfg/NAME`; the root namespace prints without
/// its prefix, as OpenSVC prints it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjPath {
    pub namespace: String,
    pub kind: ObjKind,
    pub name: String,
}

impl ObjPath {
    /// The object path `s` names, if it names one (`None`: a service path
    /// or something else, for the service parser to say).
    pub fn parse(s: &str) -> Option<Result<ObjPath>> {
        let parts: Vec<&str> = s.split('/').collect();
        let (ns, kind, name) = match parts.as_slice() {
            [kind, name] => (ROOT_NS, ObjKind::parse(kind)?, *name),
            [ns, kind, name] => (*ns, ObjKind::parse(kind)?, *name),
            _ => return None,
        };
        let bad = |why: String| Error::Usage(format!("invalid {} path '{s}': {why}", kind.noun()));
        Some((|| {
            check_name(ns).map_err(|why| bad(format!("namespace {why}")))?;
            check_name(name).map_err(|why| bad(format!("name {why}")))?;
            Ok(ObjPath {
                namespace: ns.to_string(),
                kind,
                name: name.to_string(),
            })
        })())
    }

    /// An object of `kind` named `name` in `namespace` (a reference from a
    /// service's config: names are checked by its parser).
    pub fn new(namespace: &str, kind: ObjKind, name: &str) -> ObjPath {
        ObjPath {
            namespace: namespace.to_string(),
            kind,
            name: name.to_string(),
        }
    }

    fn rel_dir(&self) -> PathBuf {
        if self.namespace == ROOT_NS {
            PathBuf::from(self.kind.as_str())
        } else {
            Path::new("namespaces")
                .join(&self.namespace)
                .join(self.kind.as_str())
        }
    }

    pub fn conf_file(&self, roots: &Roots) -> PathBuf {
        roots
            .etc
            .join(self.rel_dir())
            .join(format!("{}.conf", self.name))
    }

    /// The lock of its writers.
    pub fn lock_file(&self, roots: &Roots) -> PathBuf {
        roots
            .var
            .join(self.rel_dir())
            .join(format!("{}.lock", self.name))
    }
}

impl fmt::Display for ObjPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace == ROOT_NS {
            write!(f, "{}/{}", self.kind.as_str(), self.name)
        } else {
            write!(f, "{}/{}/{}", self.namespace, self.kind.as_str(), self.name)
        }
    }
}

/// `[NS/]sec/NAME` or `[NS/]cfg/NAME` (globs allowed): one comma item of
/// a selector that names objects.
fn is_object_item(item: &str) -> bool {
    let parts: Vec<&str> = item.split('/').collect();
    matches!(parts.as_slice(), [k, _] | [_, k, _] if ObjKind::parse(k).is_some())
}

/// Whether a selector names secrets or configs: each of its items does.
pub fn is_object_selector(expr: &str) -> bool {
    expr.split(',').all(is_object_item)
}

/// The objects a selector names, when it names objects: each comma item
/// `[NS/]sec/NAME` or `[NS/]cfg/NAME`, its namespace and name may be globs
/// (`sec/*`, `*/cfg/app*`), matched among those that exist; an exact path
/// is taken as is (`create` makes it). `None`: a service selector.
pub fn select(expr: &str, roots: &Roots) -> Option<Result<Vec<ObjPath>>> {
    let items: Vec<&str> = expr.split(',').collect();
    if !is_object_selector(expr) {
        return None;
    }
    let mut all: Option<Vec<ObjPath>> = None;
    let mut out: Vec<ObjPath> = Vec::new();
    for item in items {
        if crate::selector::is_glob(item) {
            let glob = match crate::selector::Glob::new(item) {
                Ok(g) => g,
                Err(e) => return Some(Err(Error::Usage(format!("selector '{item}': {e}")))),
            };
            // `sec/*` is the root namespace's: as they print
            let list = match &mut all {
                Some(list) => list,
                None => match list(roots) {
                    Ok(l) => all.insert(l),
                    Err(e) => return Some(Err(e)),
                },
            };
            out.extend(
                list.iter()
                    .filter(|p| glob.matches(&p.to_string()))
                    .cloned(),
            );
        } else {
            match ObjPath::parse(item)? {
                Ok(p) => out.push(p),
                Err(e) => return Some(Err(e)),
            }
        }
    }
    out.sort_by_key(ToString::to_string);
    out.dedup();
    Some(Ok(out))
}

/// Every object under `etc`, sorted as they print (a directory that can
/// not be read is an error, as for services).
pub fn list(roots: &Roots) -> Result<Vec<ObjPath>> {
    use crate::fsutil::read_dir_found;
    let mut out = Vec::new();
    let mut dirs: Vec<(String, PathBuf)> = vec![(ROOT_NS.into(), roots.etc.clone())];
    for ns in crate::fsutil::subdirs_found(&roots.etc.join("namespaces"))? {
        let name = ns.file_name().to_string_lossy().into_owned();
        if check_name(&name).is_ok() {
            dirs.push((name, ns.path()));
        }
    }
    for (ns, dir) in dirs {
        for kind in [ObjKind::Sec, ObjKind::Cfg] {
            for e in read_dir_found(&dir.join(kind.as_str()))? {
                let file = e.file_name().to_string_lossy().into_owned();
                if let Some(name) = file.strip_suffix(".conf").filter(|n| check_name(n).is_ok()) {
                    out.push(ObjPath::new(&ns, kind, name));
                }
            }
        }
    }
    out.sort_by_key(ToString::to_string);
    Ok(out)
}

/// Why a text can not be a key (`check_key`); the caller names the key.
#[derive(Debug, PartialEq)]
pub enum KeyError {
    Length,
    Dot,
    BadChar(char),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Length => f.write_str("must be 1 to 255 characters"),
            KeyError::Dot => f.write_str("must not start with '.'"),
            KeyError::BadChar(c) => write!(
                f,
                "'{}' is not allowed (letters, digits, '.', '_', '-')",
                c.escape_debug()
            ),
        }
    }
}

/// Why `key` can not be a key, if it can not: 1-255 of `[A-Za-z0-9._-]`
/// (a file name, `config.json`), not starting with a dot.
pub fn check_key(key: &str) -> std::result::Result<(), KeyError> {
    if key.is_empty() || key.len() > 255 {
        return Err(KeyError::Length);
    }
    if key.starts_with('.') {
        return Err(KeyError::Dot);
    }
    if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(KeyError::BadChar(c));
    }
    Ok(())
}

/// Why an object's file does not read as one: the line or the key, never
/// a value (a line of it may hold one).
#[derive(Debug, PartialEq)]
pub enum FileError {
    /// Line `N` is not INI.
    Line(usize),
    /// A key that can not be one.
    Key(String, KeyError),
    /// A value that is not base64.
    Value(String, base64::Base64Error),
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Line(n) => write!(
                f,
                "line {n}: does not read as a secret or config file (the line is not shown)"
            ),
            FileError::Key(key, e) => write!(f, "key '{}': {e}", key.escape_debug()),
            FileError::Value(key, e) => write!(f, "key '{key}': its value is not base64: {e}"),
        }
    }
}

const DATA: &str = "data";
const PREFIX: &str = "base64:";

/// An object's file, read.
pub struct Object {
    pub path: ObjPath,
    doc: Document,
}

impl Object {
    /// A new, empty object (not written).
    pub fn empty(path: &ObjPath) -> Object {
        let mut doc = Document::default();
        doc.set("DEFAULT", "id", &uuid::Uuid::new_v4().to_string());
        doc.add_section(DATA);
        Object {
            path: path.clone(),
            doc,
        }
    }

    pub fn load(path: &ObjPath, roots: &Roots) -> Result<Object> {
        let file = path.conf_file(roots);
        let text = crate::fsutil::found(&file, crate::fsutil::read_regular(&file))?
            .ok_or_else(|| Error::not_found(path.kind.noun(), path))?;
        let doc =
            Object::parse(&text).map_err(|e| Error::Failed(format!("{}: {e}", file.display())))?;
        Ok(Object {
            path: path.clone(),
            doc,
        })
    }

    /// The text of an object file, read; why not, without its text (a
    /// line of it may hold a value): the line and what is wrong with it.
    pub fn parse(text: &str) -> std::result::Result<Document, FileError> {
        let doc = Document::parse(text).map_err(|e| FileError::Line(e.line))?;
        for (key, value) in doc.entries(DATA) {
            check_key(key).map_err(|e| FileError::Key(key.to_string(), e))?;
            let encoded = value.strip_prefix(PREFIX).unwrap_or(value);
            base64::decode(encoded).map_err(|e| FileError::Value(key.to_string(), e))?;
        }
        Ok(doc)
    }

    pub fn exists(path: &ObjPath, roots: &Roots) -> Result<bool> {
        let file = path.conf_file(roots);
        Ok(crate::fsutil::found(&file, std::fs::symlink_metadata(&file))?.is_some())
    }

    /// The keys, in the file's order.
    pub fn keys(&self) -> Vec<&str> {
        self.doc.entries(DATA).map(|(k, _)| k).collect()
    }

    pub fn has(&self, key: &str) -> bool {
        self.doc.get(DATA, key).is_some()
    }

    /// A key's value, decoded.
    pub fn value(&self, key: &str) -> Result<Vec<u8>> {
        let raw = self.doc.get(DATA, key).ok_or_else(|| self.no_key(key))?;
        let encoded = raw.strip_prefix(PREFIX).unwrap_or(raw);
        base64::decode(encoded).map_err(|e| {
            Error::Failed(format!(
                "{} {}: key '{key}' is not base64 ({e})",
                self.path.kind.noun(),
                self.path
            ))
        })
    }

    pub fn set(&mut self, key: &str, value: &[u8]) -> Result<()> {
        check_key(key).map_err(|e| Error::Usage(format!("--key '{}': {e}", key.escape_debug())))?;
        self.doc
            .set(DATA, key, &format!("{PREFIX}{}", base64::encode(value)));
        Ok(())
    }

    pub fn remove(&mut self, key: &str) -> Result<()> {
        if !self.doc.unset(DATA, key) {
            return Err(self.no_key(key));
        }
        Ok(())
    }

    fn no_key(&self, key: &str) -> Error {
        Error::NoKey {
            noun: self.path.kind.noun(),
            path: self.path.to_string(),
            key: key.to_string(),
        }
    }

    /// Written atomically, 0600.
    pub fn save(&self, roots: &Roots) -> Result<()> {
        let file = self.path.conf_file(roots);
        crate::fsutil::write_atomic(&file, self.doc.to_string().as_bytes(), &roots.trees())
            .at("write", &file)
    }

    /// The file as stored.
    pub fn text(&self) -> String {
        self.doc.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_paths_and_their_files() {
        let roots = Roots::under(Path::new("/r"));
        let p = ObjPath::parse("sec/db").unwrap().unwrap();
        assert_eq!(p.to_string(), "sec/db");
        assert_eq!(p.conf_file(&roots), Path::new("/r/etc/sec/db.conf"));
        let p = ObjPath::parse("ns1/cfg/app").unwrap().unwrap();
        assert_eq!(p.to_string(), "ns1/cfg/app");
        assert_eq!(
            p.conf_file(&roots),
            Path::new("/r/etc/namespaces/ns1/cfg/app.conf")
        );
        assert_eq!(
            ObjPath::parse("root/sec/db").unwrap().unwrap().to_string(),
            "sec/db"
        );
        assert!(ObjPath::parse("svc1").is_none());
        assert!(ObjPath::parse("ns1/svc/a").is_none());
        assert!(ObjPath::parse("ns1/sec/Bad").unwrap().is_err());
    }

    #[test]
    fn values_are_kept_binary_safe() {
        let p = ObjPath::parse("sec/db").unwrap().unwrap();
        let mut o = Object::empty(&p);
        let bytes: Vec<u8> = (0..=255).collect();
        o.set("blob", &bytes).unwrap();
        o.set("password", b"hunter2").unwrap();
        let back = Object {
            path: p,
            doc: Document::parse(&o.text()).unwrap(),
        };
        assert_eq!(back.value("blob").unwrap(), bytes);
        assert_eq!(back.value("password").unwrap(), b"hunter2");
        assert_eq!(back.keys(), ["blob", "password"]);
        assert!(!o.text().contains("hunter2"));
        assert!(o.set("a b", b"x").is_err());
        // a damaged file: the line is named, never shown
        let e = Object::parse("[data]\npassword: hunter2\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("line 2:") && !e.contains("hunter2"), "{e}");
        let e = Object::parse("[data]\npassword = base64:hunter2!\n")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2") && !e.contains('!'), "{e}");
        assert!(check_key("config.json").is_ok());
        assert!(check_key(".hidden").is_err());
    }
}
