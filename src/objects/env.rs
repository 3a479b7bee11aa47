//! What a container takes from secrets and configs (SPEC 13):
//! `secrets_environment` and `configs_environment` (`VAR=NAME/KEY`, or
//! `NAME/GLOB` for a variable per matching key, named after it), and
//! `registry_creds` (a secret whose `config.json` is a docker client
//! config). Values are read at the action, as `Secret`s: they reach docker
//! through its process environment (`-e VAR` on the argv) and never show.

use super::{check_key, ObjKind, ObjPath, Object};
use crate::config::service::{Container, Service};
use crate::error::{Error, Result};
use crate::paths::Roots;
use crate::secret::Secret;
use crate::selector::Glob;

/// One word of `secrets_environment` or `configs_environment`, parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvRef {
    pub kind: ObjKind,
    /// `VAR=`; `None` for a key glob (each key is its own variable).
    pub var: Option<String>,
    pub object: String,
    /// A key, or a glob of keys when `var` is `None`.
    pub key: String,
}

/// The keyword an object kind's references are written in.
pub fn keyword(kind: ObjKind) -> &'static str {
    match kind {
        ObjKind::Sec => "secrets_environment",
        ObjKind::Cfg => "configs_environment",
    }
}

/// Whether `s` is an environment variable name.
pub fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A word `VAR=NAME/KEY` or `NAME/GLOB`; why not, naming the word.
pub fn parse_word(kind: ObjKind, word: &str) -> std::result::Result<EnvRef, String> {
    let bad = |why: String| format!("'{}': {why}", word.escape_debug());
    let (var, rest) = match word.split_once('=') {
        Some((var, rest)) => {
            if !is_var_name(var) {
                return Err(bad(format!(
                    "'{}' is not a variable name",
                    var.escape_debug()
                )));
            }
            (Some(var.to_string()), rest)
        }
        None => (None, word),
    };
    let (object, key) = rest.split_once('/').ok_or_else(|| {
        bad(format!(
            "expected VAR=NAME/KEY or NAME/KEYGLOB (NAME a {} of the service's namespace)",
            kind.noun()
        ))
    })?;
    crate::paths::check_name(object).map_err(|e| bad(format!("{} name {e}", kind.noun())))?;
    let glob = crate::selector::is_glob(key);
    match (&var, glob) {
        (Some(_), true) => {
            return Err(bad(
                "a key glob names its variables after the keys: drop 'VAR='".into(),
            ))
        }
        (_, false) => check_key(key).map_err(|e| bad(format!("key {e}")))?,
        (None, true) => {
            Glob::new(key).map_err(|e| bad(format!("key glob: {e}")))?;
        }
    }
    if var.is_none() && !glob {
        return Err(bad(
            "expected VAR=NAME/KEY (or NAME/KEYGLOB for a variable per key)".into(),
        ));
    }
    Ok(EnvRef {
        kind,
        var,
        object: object.to_string(),
        key: key.to_string(),
    })
}

/// The variables `c` takes from secrets and configs, with their values
/// (in the order of the words). An error names the keyword.
pub fn resolve(svc: &Service, c: &Container, roots: &Roots) -> Result<Vec<(String, Secret)>> {
    let mut out: Vec<(String, Secret)> = Vec::new();
    for r in &c.env_refs {
        let what = format!("{}.{}", c.rid, keyword(r.kind));
        let obj = load(svc, r.kind, &r.object, roots, &what)?;
        let pairs: Vec<(String, &str)> = match &r.var {
            Some(var) => {
                if !obj.has(&r.key) {
                    return Err(missing_key(&what, &obj, &r.key));
                }
                vec![(var.clone(), r.key.as_str())]
            }
            None => {
                let glob = Glob::new(&r.key).map_err(|e| Error::Failed(format!("{what}: {e}")))?;
                let keys: Vec<&str> = obj.keys().into_iter().filter(|k| glob.matches(k)).collect();
                if keys.is_empty() {
                    return Err(Error::Failed(format!(
                        "{what}: no key of {} {} matches '{}'",
                        r.kind.noun(),
                        obj.path,
                        r.key
                    )));
                }
                let mut pairs = Vec::new();
                for k in keys {
                    let var = k.to_uppercase().replace(['.', '-'], "_");
                    if !is_var_name(&var) {
                        return Err(Error::Failed(format!(
                            "{what}: key '{k}' of {} {} makes no variable name ({var})",
                            r.kind.noun(),
                            obj.path
                        )));
                    }
                    pairs.push((var, k));
                }
                pairs
            }
        };
        for (var, key) in pairs {
            let bytes = obj
                .value(key)
                .map_err(|e| Error::Failed(format!("{what}: {e}")))?;
            let value = String::from_utf8(bytes).map_err(|_| {
                Error::Failed(format!(
                    "{what}: key '{key}' of {} {} is not UTF-8 text: it can not be an environment value",
                    r.kind.noun(),
                    obj.path
                ))
            })?;
            if value.contains('\0') {
                return Err(Error::Failed(format!(
                    "{what}: key '{key}' of {} {} holds a NUL byte: it can not be an environment value",
                    r.kind.noun(),
                    obj.path
                )));
            }
            out.retain(|(v, _)| *v != var);
            out.push((var, Secret::new(value)));
        }
    }
    Ok(out)
}

/// The docker client config of `c`'s `registry_creds`, checked to be JSON
/// (an error names the keyword), if it has one.
pub fn registry_config(svc: &Service, c: &Container, roots: &Roots) -> Result<Option<Secret>> {
    let Some(name) = &c.registry_creds else {
        return Ok(None);
    };
    let what = format!("{}.registry_creds", c.rid);
    let obj = load(svc, ObjKind::Sec, name, roots, &what)?;
    const KEY: &str = "config.json";
    if !obj.has(KEY) {
        return Err(missing_key(&what, &obj, KEY));
    }
    let bytes = obj
        .value(KEY)
        .map_err(|e| Error::Failed(format!("{what}: {e}")))?;
    // serde's message says where, never what
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        Error::Failed(format!(
            "{what}: key {KEY} of secret {} is not JSON (line {}, column {})",
            obj.path,
            e.line(),
            e.column()
        ))
    })?;
    if !json.is_object() {
        return Err(Error::Failed(format!(
            "{what}: key {KEY} of secret {} is not a docker client config (a JSON object with auths)",
            obj.path
        )));
    }
    let text = String::from_utf8(bytes).unwrap_or_default();
    Ok(Some(Secret::new(text)))
}

/// Every reference of the service checked, as `validate config` says them.
pub fn problems(svc: &Service, roots: &Roots) -> Vec<String> {
    let mut out = Vec::new();
    for c in &svc.containers {
        if let Err(e) = resolve(svc, c, roots) {
            out.push(e.to_string());
        }
        if let Err(e) = registry_config(svc, c, roots) {
            out.push(e.to_string());
        }
    }
    out.dedup();
    out
}

fn load(svc: &Service, kind: ObjKind, name: &str, roots: &Roots, what: &str) -> Result<Object> {
    let path = ObjPath::new(&svc.path.namespace, kind, name);
    Object::load(&path, roots).map_err(|e| Error::Failed(format!("{what}: {e}")))
}

fn missing_key(what: &str, obj: &Object, key: &str) -> Error {
    Error::Failed(format!(
        "{what}: {} {} has no key '{key}'",
        obj.path.kind.noun(),
        obj.path
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_the_environment_keywords() {
        let r = parse_word(ObjKind::Sec, "PASS=db/password").unwrap();
        assert_eq!(r.var.as_deref(), Some("PASS"));
        assert_eq!((r.object.as_str(), r.key.as_str()), ("db", "password"));
        let r = parse_word(ObjKind::Cfg, "app/*").unwrap();
        assert_eq!((r.var, r.key.as_str()), (None, "*"));
        for bad in [
            "1X=db/k",
            "X-Y=db/k",
            "PASS=db",
            "PASS=Db/k",
            "PASS=db/a b",
            "X=db/k*",
            "db/k",
        ] {
            assert!(parse_word(ObjKind::Sec, bad).is_err(), "{bad}");
        }
        let e = parse_word(ObjKind::Sec, "1X=db/k").unwrap_err();
        assert_eq!(e, "'1X=db/k': '1X' is not a variable name");
    }
}
