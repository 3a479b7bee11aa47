//! What a container takes from secrets and configs (SPEC 13):
//! `secrets_environment` and `configs_environment` (`VAR=NAME/KEY`, or
//! `NAME/GLOB` for a variable per matching key, named after it), and
//! `registry_creds` (a secret whose `config.json` is a docker client
//! config). Values are read at the action, as `Secret`s: they reach docker
//! through its process environment (`-e VAR` on the argv) and never show.

use super::{check_key, ObjKind, ObjPath, Object};
use crate::error::{Error, Result};
use crate::model::Container;
use crate::model::Service;
use crate::paths::Roots;
use crate::secret::Secret;

use crate::model::EnvRef;
use crate::selector::Glob;
use std::collections::HashMap;
use std::path::PathBuf;

/// The keyword an object kind's references are written in.
pub fn keyword(kind: ObjKind) -> &'static str {
    match kind {
        ObjKind::Sec => "secrets_environment",
        ObjKind::Cfg => "configs_environment",
    }
}

/// Variables the docker client (or its loader) reads from the environment
/// of `docker run`, which the container's variables are put in: a secret
/// under one of these names would change what docker does (another engine,
/// another credentials file, a preloaded library), so none is taken.
fn reserved(var: &str) -> bool {
    const EXACT: [&str; 16] = [
        "PATH",
        "HOME",
        "TMPDIR",
        "USER",
        "SHELL",
        "GODEBUG",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "all_proxy",
    ];
    EXACT.contains(&var) || var.starts_with("DOCKER_") || var.starts_with("LD_")
}

/// The largest `VAR=value` the kernel passes in an environment
/// (MAX_ARG_STRLEN, with its NUL).
const MAX_ENV_STRING: usize = 128 * 1024;

/// Whether `s` is an environment variable name.
pub fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A word of `secrets_environment`/`configs_environment` that is not
/// one, and why; the caller names the keyword.
#[derive(Debug, PartialEq)]
pub struct BadWord {
    pub word: String,
    pub why: String,
}

impl std::fmt::Display for BadWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "'{}': {}", self.word.escape_debug(), self.why)
    }
}

/// A word `VAR=NAME/KEY` or `NAME/GLOB`; why not, naming the word.
pub fn parse_word(kind: ObjKind, word: &str) -> std::result::Result<EnvRef, BadWord> {
    let bad = |why: String| BadWord {
        word: word.to_string(),
        why,
    };
    let (var, rest) = match word.split_once('=') {
        Some((var, rest)) => {
            if !is_var_name(var) {
                return Err(bad(format!(
                    "'{}' is not a variable name",
                    var.escape_debug()
                )));
            }
            if reserved(var) {
                return Err(bad(format!(
                    "{var} is a variable of the docker client's own (docker run gets the container's variables in its environment)"
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
        let what = &format!("{}.{}", c.head.rid, keyword(r.kind));
        let obj = load(svc, r.kind, &r.object, roots, what)?;
        for (var, key) in variables(r, &obj, what)? {
            let value = env_value(&obj, key, &var, what)?;
            out.retain(|(v, _)| *v != var);
            out.push((var, Secret::new(value)));
        }
    }
    Ok(out)
}

/// The variables the reference `r` (of keyword `what`) makes of `obj`'s
/// keys, each with its key: `VAR=NAME/KEY` one, `NAME/GLOB` one per key
/// it matches, named after the key.
fn variables<'a>(r: &'a EnvRef, obj: &'a Object, what: &str) -> Result<Vec<(String, &'a str)>> {
    let of = format!("{} {}", r.kind.noun(), obj.path);
    if let Some(var) = &r.var {
        if !obj.has(&r.key) {
            return Err(missing_key(what, obj, &r.key));
        }
        return Ok(vec![(var.clone(), r.key.as_str())]);
    }
    let glob = Glob::new(&r.key).map_err(|e| Error::config(what, e.to_string()))?;
    let keys: Vec<&str> = obj.keys().into_iter().filter(|k| glob.matches(k)).collect();
    if keys.is_empty() {
        return Err(Error::config(
            what,
            format!("no key of {of} matches '{}'", r.key),
        ));
    }
    let mut pairs: Vec<(String, &str)> = Vec::new();
    for k in keys {
        let var = k.to_uppercase().replace(['.', '-'], "_");
        if !is_var_name(&var) || reserved(&var) {
            return Err(Error::config(
                what,
                format!("key '{k}' of {of} makes no variable a container may take ({var})"),
            ));
        }
        if let Some((_, other)) = pairs.iter().find(|(v, _)| *v == var) {
            return Err(Error::config(
                what,
                format!("keys '{other}' and '{k}' of {of} both make {var}"),
            ));
        }
        pairs.push((var, k));
    }
    Ok(pairs)
}

/// The value of `obj`'s `key` for the variable `var`: UTF-8 text without
/// a NUL, short enough for an environment string.
fn env_value(obj: &Object, key: &str, var: &str, what: &str) -> Result<String> {
    let of = format!("{} {}", obj.path.kind.noun(), obj.path);
    let bytes = obj
        .value(key)
        .map_err(|e| Error::config(what, e.to_string()))?;
    let value = String::from_utf8(bytes).map_err(|_| {
        Error::config(
            what,
            format!("key '{key}' of {of} is not UTF-8 text: it can not be an environment value"),
        )
    })?;
    if var.len() + value.len() + 2 > MAX_ENV_STRING {
        return Err(Error::config(
            what,
            format!("key '{key}' of {of} is over 128 KiB: too long for an environment value"),
        ));
    }
    if value.contains('\0') {
        return Err(Error::config(
            what,
            format!("key '{key}' of {of} holds a NUL byte: it can not be an environment value"),
        ));
    }
    Ok(value)
}

/// The docker client config of `c`'s `registry_creds`, checked to be JSON
/// (an error names the keyword), if it has one.
pub fn registry_config(svc: &Service, c: &Container, roots: &Roots) -> Result<Option<Secret>> {
    let Some(name) = &c.registry_creds else {
        return Ok(None);
    };
    let what = &format!("{}.registry_creds", c.head.rid);
    let obj = load(svc, ObjKind::Sec, name, roots, what)?;
    const KEY: &str = "config.json";
    if !obj.has(KEY) {
        return Err(missing_key(what, &obj, KEY));
    }
    let bytes = obj
        .value(KEY)
        .map_err(|e| Error::config(what, e.to_string()))?;
    // serde's message says where, never what
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        Error::config(
            what,
            format!(
                "key {KEY} of secret {} is not JSON (line {}, column {})",
                obj.path,
                e.line(),
                e.column()
            ),
        )
    })?;
    if !json.is_object() {
        return Err(Error::config(
            what,
            format!(
                "key {KEY} of secret {} is not a docker client config (a JSON object with auths)",
                obj.path
            ),
        ));
    }
    let text = String::from_utf8(bytes).unwrap_or_default();
    Ok(Some(Secret::new(text)))
}

/// What an action's containers take from secrets and configs, by rid, and
/// the `docker --config` directory of their registry credentials.
#[derive(Default)]
pub struct Prepared {
    pub env: HashMap<String, Vec<(String, Secret)>>,
    pub creds: HashMap<String, PathBuf>,
}

/// Where a service's registry credentials are written for an action.
pub fn creds_root(svc: &Service, roots: &Roots) -> PathBuf {
    crate::state::dir(&svc.path, roots).join("registry")
}

/// Reads what `containers` take from secrets and configs, and writes
/// their registry credentials (`creds_root`/NAME/config.json: a 0700
/// directory, a 0600 file; not in a dry run), before anything of the
/// action runs: a missing object or key is an error naming its keyword,
/// and nothing starts. The credentials of an earlier action are removed
/// first (`forget_creds`), so a secret deleted or a keyword unset leaves
/// nothing behind.
pub fn prepare(
    svc: &Service,
    containers: &[&Container],
    roots: &Roots,
    dry_run: bool,
) -> Result<Prepared> {
    let mut p = Prepared::default();
    let mut files: Vec<(PathBuf, Secret, String)> = Vec::new();
    for c in containers {
        let env = resolve(svc, c, roots)?;
        if !env.is_empty() {
            p.env.insert(c.head.rid.to_string(), env);
        }
        let (Some(conf), Some(name)) =
            (registry_config(svc, c, roots)?, c.registry_creds.as_deref())
        else {
            continue;
        };
        let dir = creds_root(svc, roots).join(name);
        files.push((dir.clone(), conf, c.head.rid.to_string()));
        p.creds.insert(c.head.rid.to_string(), dir);
    }
    if !dry_run {
        forget_creds(svc, roots);
        for (dir, conf, rid) in files {
            crate::fsutil::write_atomic(
                &dir.join("config.json"),
                conf.expose().as_bytes(),
                &roots.trees(),
            )
            .map_err(|e| {
                Error::Failed(format!(
                    "{rid}.registry_creds: writing {}: {e}",
                    dir.display()
                ))
            })?;
        }
    }
    Ok(p)
}

/// Removes the registry credentials written for an action (after it, and
/// before the next one writes its own).
pub fn forget_creds(svc: &Service, roots: &Roots) {
    let _ = std::fs::remove_dir_all(creds_root(svc, roots));
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
    Object::load(&path, roots).map_err(|e| Error::config(what, e.to_string()))
}

fn missing_key(what: &str, obj: &Object, key: &str) -> Error {
    Error::config(
        what,
        format!("{} {} has no key '{key}'", obj.path.kind.noun(), obj.path),
    )
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
        let e = parse_word(ObjKind::Sec, "1X=db/k").unwrap_err().to_string();
        assert_eq!(e, "'1X=db/k': '1X' is not a variable name");
        // a variable the docker client reads itself is never a container's
        for var in [
            "PATH",
            "HOME",
            "DOCKER_HOST",
            "DOCKER_CONFIG",
            "LD_PRELOAD",
            "https_proxy",
        ] {
            let e = parse_word(ObjKind::Sec, &format!("{var}=db/k"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("a variable of the docker client's own"), "{e}");
        }
    }

    fn service(words: &[&str], creds: Option<&str>) -> Service {
        let refs = words
            .iter()
            .map(|w| parse_word(ObjKind::Sec, w).unwrap())
            .collect();
        Service::for_test(
            "s1",
            vec![Container {
                name: "s1.container.1".into(),
                image: "i".into(),
                env_refs: refs,
                registry_creds: creds.map(String::from),
                ..Container::for_test("container#1")
            }],
        )
    }

    fn secret(roots: &Roots, name: &str, keys: &[(&str, &[u8])]) {
        let mut o = Object::empty(&ObjPath::new("root", ObjKind::Sec, name));
        for (k, v) in keys {
            o.set(k, v).unwrap();
        }
        o.save(roots).unwrap();
    }

    #[test]
    fn values_are_read_as_secrets_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let roots = Roots::under(dir.path());
        secret(
            &roots,
            "db",
            &[
                ("password", b"hunter2"),
                ("log.level", b"x"),
                ("log-level", b"y"),
            ],
        );
        let svc = service(&["PASS=db/password"], None);
        let env = resolve(&svc, &svc.containers[0], &roots).unwrap();
        assert_eq!(env[0].0, "PASS");
        assert_eq!(env[0].1.expose(), "hunter2");
        assert_eq!(format!("{env:?}"), "[(\"PASS\", ***)]");
        // two keys that make one variable: said, not a silent pick
        let svc = service(&["db/log*"], None);
        let e = resolve(&svc, &svc.containers[0], &roots)
            .unwrap_err()
            .to_string();
        assert!(e.contains("both make LOG_LEVEL"), "{e}");
        // a value too long for an environment
        secret(&roots, "big", &[("v", &vec![b'a'; 130 * 1024])]);
        let svc = service(&["V=big/v"], None);
        let e = resolve(&svc, &svc.containers[0], &roots)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "container#1.secrets_environment: key 'v' of secret sec/big is over 128 KiB: too long for an environment value"
        );
    }

    #[test]
    fn registry_credentials_are_written_private_and_forgotten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let roots = Roots::under(dir.path());
        secret(&roots, "reg", &[("config.json", br#"{"auths": {}}"#)]);
        let svc = service(&[], Some("reg"));
        let all: Vec<&Container> = svc.containers.iter().collect();
        let p = prepare(&svc, &all, &roots, false).unwrap();
        let d = &p.creds["container#1"];
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(d), 0o700);
        assert_eq!(mode(&d.join("config.json")), 0o600);
        forget_creds(&svc, &roots);
        assert!(!d.exists());
        // not JSON: said where, never what
        secret(&roots, "bad", &[("config.json", b"{\"auths\": hunter2}")]);
        let svc = service(&[], Some("bad"));
        let e = prepare(
            &svc,
            &svc.containers.iter().collect::<Vec<_>>(),
            &roots,
            false,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            e.starts_with(
                "container#1.registry_creds: key config.json of secret sec/bad is not JSON (line 1"
            ),
            "{e}"
        );
        assert!(!e.contains("hunter2"));
    }
}
