//! Reading a value as it applies here: node scoping (`kw@node`, `kw@nodes`),
//! keyword defaults, and references (`{name}`, `{env.KEY}`, `{RID.KW}`, …).

use super::ini::Document;
use super::keywords::{
    lookup, rid_index, scopable, section_kind, unscoped, SectionKind, CONTAINER_GROUP,
};
use super::reference::{tokenize, Token};
use crate::paths::SvcPath;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

pub struct Evaluator<'a> {
    pub doc: &'a Document,
    pub path: &'a SvcPath,
    pub nodename: &'a str,
    /// The variables `{env.KEY}` is overridden by.
    env: &'a EnvVars,
    /// Keys already expanded: `(section, key)` → value.
    cache: RefCell<HashMap<String, HashMap<String, Expanded>>>,
    /// Bytes references inserted so far (bounded by `MAX_TOTAL`).
    spent: Cell<usize>,
}

/// `NAME.container.N`, or `NS..NAME.container.N` outside the root namespace.
pub fn default_container_name(path: &SvcPath, rid: &str) -> String {
    let index = rid_index(rid, CONTAINER_GROUP).unwrap_or(rid);
    if path.is_root_ns() {
        format!("{}.container.{index}", path.name)
    } else {
        format!("{}..{}.container.{index}", path.namespace, path.name)
    }
}

/// How many references one expansion may follow, one inside the other:
/// deeper is a config error, not a stack overflow.
pub const MAX_DEPTH: usize = 32;
/// The longest value an expansion may produce (a doubling chain under 1 KB
/// would otherwise produce gigabytes).
pub const MAX_VALUE: usize = 1 << 20;
/// The bytes references may insert in all, over one evaluator's life: each
/// value is capped, but thousands of keys each pulling in a 1 MiB value would
/// still make checking a config far from linear in its size.
pub const MAX_TOTAL: usize = 64 << 20;

/// A key's expanded value, and how many keys its expansion nests (itself
/// included), so that a cached value still honours `MAX_DEPTH` where it is
/// used.
#[derive(Clone)]
struct Expanded {
    value: Option<Rc<str>>,
    height: usize,
}

/// Why a value does not expand; each names where (the key, the
/// reference).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpandError {
    /// More than `MAX_DEPTH` references one inside the other.
    TooDeep { at: String },
    /// A key that refers back to itself: the keys, in order.
    Cycle(Vec<String>),
    /// References inserted over `MAX_TOTAL` bytes in all.
    TooMuchInAll { at: String },
    /// A value expanded past `MAX_VALUE`.
    TooLong { at: String },
    /// `{r}` names nothing.
    Unknown(String),
    /// `{id}` in a config without one.
    NoId,
    /// `{r}` names a key that is not set (where it was used).
    NotSet { at: String, reference: String },
}

impl std::fmt::Display for ExpandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExpandError::TooDeep { at } => {
                write!(f, "reference chain deeper than {MAX_DEPTH} at {at}")
            }
            ExpandError::Cycle(keys) => write!(f, "reference cycle: {}", keys.join(" -> ")),
            ExpandError::TooMuchInAll { at } => write!(
                f,
                "references expand to over {} MiB in all at {at}",
                MAX_TOTAL >> 20
            ),
            ExpandError::TooLong { at } => {
                write!(f, "expanded value over {} MiB at {at}", MAX_VALUE >> 20)
            }
            ExpandError::Unknown(r) => write!(f, "unknown reference {{{r}}}"),
            ExpandError::NoId => f.write_str("{id}: the service has no id"),
            ExpandError::NotSet { at, reference } => write!(f, "{at}: {{{reference}}} is not set"),
        }
    }
}

/// The keys being expanded, outermost first: few (at most `MAX_DEPTH` + 1),
/// so the cycle check is a short scan.
type Stack = Vec<String>;

/// The process environment as `{env.KEY}` sees it: `main` reads it once
/// (`Host::env`), and expansion looks `KEY` up here, upper-cased. A
/// variable whose name or value is not UTF-8 is none (as `std::env::var`
/// has it).
#[derive(Clone, Debug, Default)]
pub struct EnvVars(std::collections::BTreeMap<String, String>);

impl EnvVars {
    /// No variable at all (unit tests).
    #[cfg(test)]
    pub const NONE: &EnvVars = &EnvVars(std::collections::BTreeMap::new());

    pub fn new(
        vars: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
    ) -> EnvVars {
        EnvVars(
            vars.into_iter()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        )
    }

    /// `{env.KEY}` is overridden by the variable `KEY` upper-cased (the
    /// one place expansion reads the outside world). SPEC 2 keeps
    /// OpenSVC's rule (no prefix): a deployment that sets `TAG=1.26` for
    /// `{env.tag}` works unchanged. Its trap, `[env] path = …` read as
    /// `$PATH`, is made visible instead: `validate config` warns of every
    /// `[env]` key the environment overrides where it runs
    /// (`env_overridden`).
    fn override_of(&self, key: &str) -> Option<&str> {
        self.0.get(&key.to_uppercase()).map(String::as_str)
    }
}

impl<'a> Evaluator<'a> {
    pub fn new(
        doc: &'a Document,
        path: &'a SvcPath,
        nodename: &'a str,
        env: &'a EnvVars,
    ) -> Evaluator<'a> {
        Evaluator {
            doc,
            path,
            nodename,
            env,
            cache: RefCell::default(),
            spent: Cell::new(0),
        }
    }

    /// The value as written for this node, without references expanded:
    /// `key@NODE` (the full node name, or its first label, so `image@deb1`
    /// applies on `deb1.opensvc.com`), then `key@nodes`, then `key`, then
    /// the keyword's default. A keyword that takes no scope (`id`, the
    /// node lists) is read unscoped whatever a hand edit added: the check
    /// refuses the scope, and the reader's stop mode never takes another
    /// service's id for this one's.
    pub fn raw(&self, section: &str, key: &str) -> Option<Cow<'a, str>> {
        let doc: &'a Document = self.doc;
        let doc_value = if doc.has_scoped(section, key) && scopable(section, key) {
            let short = self.nodename.split('.').next().unwrap_or(self.nodename);
            // `kw@nodes` / `kw@drpnodes` apply on the nodes of that list
            // (this node alone is `nodes` when the list is unset).
            let member = |list: &str| match doc.get("DEFAULT", list) {
                Some(v) => v
                    .split_whitespace()
                    .any(|n| n == self.nodename || n == short),
                None => list == "nodes",
            };
            [self.nodename, short]
                .iter()
                .find_map(|node| doc.get(section, &format!("{key}@{node}")))
                .or_else(|| {
                    ["nodes", "drpnodes"]
                        .into_iter()
                        .filter(|l| member(l))
                        .find_map(|l| doc.get(section, &format!("{key}@{l}")))
                })
                .or_else(|| doc.get(section, key))
        } else {
            doc.get(section, key)
        };
        doc_value
            .map(Cow::Borrowed)
            .or_else(|| self.default_of(section, key))
    }

    /// What a key means when unset: its keyword's default (and the computed
    /// container name).
    pub fn default_of(&self, section: &str, key: &str) -> Option<Cow<'a, str>> {
        let kind = section_kind(section)?;
        if kind == SectionKind::Container && key == "name" {
            return Some(Cow::Owned(default_container_name(self.path, section)));
        }
        lookup(&kind, key)?.default.map(Cow::Borrowed)
    }

    /// The value with references expanded; `Ok(None)` when unset with no default.
    pub fn get(&self, section: &str, key: &str) -> Result<Option<String>, ExpandError> {
        Ok(self.value(section, key)?.map(Cow::into_owned))
    }

    /// `get`, without a copy of a value that holds no reference.
    pub fn value(&self, section: &str, key: &str) -> Result<Option<Cow<'a, str>>, ExpandError> {
        match self.raw(section, key) {
            None => Ok(None),
            // no reference: the text as written, not copied (most values)
            Some(v) if !v.contains('{') => Ok(Some(v)),
            Some(_) => {
                let got = self.get_in(section, key, &mut Stack::new())?;
                Ok(got.value.map(|v| Cow::Owned(v.to_string())))
            }
        }
    }

    /// Expands `section.key` on top of `stack`. Each key is expanded once per
    /// evaluator (then cached), which keeps a whole config's expansion linear
    /// in its size; errors are not cached, as they name the path taken.
    fn get_in(&self, section: &str, key: &str, stack: &mut Stack) -> Result<Expanded, ExpandError> {
        if let Some(hit) = self.cache.borrow().get(section).and_then(|s| s.get(key)) {
            // Too deep from here: expand again below, so that the error is
            // the one an uncached expansion gives.
            if stack.len() + hit.height <= MAX_DEPTH + 1 {
                return Ok(hit.clone());
            }
        }
        // the keys on the stack, less the first, are the references followed
        if stack.len() > MAX_DEPTH {
            return Err(ExpandError::TooDeep {
                at: format!("{section}.{key}"),
            });
        }
        let Some(raw) = self.raw(section, key) else {
            return Ok(Expanded {
                value: None,
                height: 1,
            });
        };
        // Most values hold no reference: no cycle can go through them, and
        // they are read as they are (the common case, kept cheap: it is
        // most of a config's check).
        if !raw.contains('{') {
            return Ok(Expanded {
                value: Some(raw.into()),
                height: 1,
            });
        }
        let here = format!("{section}.{key}");
        if stack.contains(&here) {
            stack.push(here);
            return Err(ExpandError::Cycle(stack.clone()));
        }
        stack.push(here);
        let out = self.expand_in(&raw, stack);
        stack.pop();
        let (value, below) = out?;
        // Plain text costs no more to read again than to look up.
        let plain = !raw.contains('{');
        let got = Expanded {
            value: Some(value.into()),
            height: below + 1,
        };
        if !plain {
            self.cache
                .borrow_mut()
                .entry(section.to_string())
                .or_default()
                .insert(key.to_string(), got.clone());
        }
        Ok(got)
    }

    /// Expands every reference in `value`; errors name the reference.
    #[cfg(test)]
    pub fn expand(&self, value: &str) -> Result<String, ExpandError> {
        self.expand_in(value, &mut Stack::new()).map(|(v, _)| v)
    }

    /// Expands `value`, the value written at `section.key`: the key counts
    /// in the chain, so a check of every key finds every chain too deep.
    pub fn expand_key<'v>(
        &self,
        section: &str,
        key: &str,
        value: &'v str,
    ) -> Result<Cow<'v, str>, ExpandError> {
        if !value.contains('{') {
            return Ok(Cow::Borrowed(value));
        }
        let mut stack = vec![format!("{section}.{key}")];
        self.expand_in(value, &mut stack)
            .map(|(v, _)| Cow::Owned(v))
    }

    /// The expanded text, and the height of the deepest key it used.
    fn expand_in(&self, value: &str, stack: &mut Stack) -> Result<(String, usize), ExpandError> {
        let mut out = String::new();
        let mut height = 0;
        for token in tokenize(value) {
            match token {
                Token::Text(t) => out.push_str(t),
                Token::Ref(r) => {
                    let (v, h) = self.resolve(r, stack)?;
                    height = height.max(h);
                    let spent = self.spent.get() + v.len();
                    if spent > MAX_TOTAL {
                        return Err(ExpandError::TooMuchInAll { at: at(stack) });
                    }
                    self.spent.set(spent);
                    out.push_str(&v);
                }
            }
            if out.len() > MAX_VALUE {
                return Err(ExpandError::TooLong { at: at(stack) });
            }
        }
        Ok((out, height))
    }

    /// A reference's value and the height of the key it came from (0 for
    /// the built-in names and the environment).
    fn resolve(&self, r: &str, stack: &mut Stack) -> Result<(Rc<str>, usize), ExpandError> {
        let unknown = || ExpandError::Unknown(r.to_string());
        let fixed = |v: &str| Ok((Rc::from(v), 0));
        match r {
            "name" | "svcname" => return fixed(&self.path.name),
            "namespace" => return fixed(&self.path.namespace),
            "path" | "svcpath" => return fixed(&self.path.to_string()),
            "nodename" => return fixed(self.nodename),
            // the lists as set (`nodes` defaults to this node alone)
            "nodes" | "drpnodes" => {
                let got = self.get_in("DEFAULT", r, stack)?;
                return Ok(match got.value {
                    Some(v) => (v, got.height),
                    None if r == "nodes" => (Rc::from(self.nodename), 0),
                    None => (Rc::from(""), 0),
                });
            }
            "id" => {
                let got = self.get_in("DEFAULT", "id", stack)?;
                return got.value.map(|v| (v, got.height)).ok_or(ExpandError::NoId);
            }
            _ => {}
        }
        let (section, key) = r.split_once('.').ok_or_else(unknown)?;
        if section == "env" {
            if let Some(v) = self.env.override_of(key) {
                return fixed(v);
            }
        }
        if section != "env" && !self.doc.has_section(section) {
            return Err(unknown());
        }
        let got = self.get_in(section, key, stack)?;
        got.value
            .map(|v| (v, got.height))
            .ok_or_else(|| ExpandError::NotSet {
                at: stack.last().map_or(r, String::as_str).to_string(),
                reference: r.to_string(),
            })
    }
}

/// The key being expanded, for errors.
fn at(stack: &Stack) -> String {
    stack.last().map_or("the value", String::as_str).to_string()
}

/// A warning per `[env]` key of `doc` that an environment variable of this
/// process overrides (`path` by `PATH`, say), in the config's order.
pub fn env_overridden(doc: &super::ini::Document, env: &EnvVars) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    doc.entries("env")
        .map(|(key, _)| unscoped(key))
        .filter(|key| seen.insert(*key) && env.override_of(key).is_some())
        .map(|key| {
            format!(
                "env.{key}: the environment variable {} is set here and overrides it: {{env.{key}}} expands to the variable's value, not the config's",
                key.to_uppercase()
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_with(text: &str, f: impl FnOnce(&Evaluator)) {
        let doc = Document::parse(text).unwrap();
        let path = SvcPath::parse("ns1/svc/web").unwrap();
        f(&Evaluator::new(&doc, &path, "deb1", EnvVars::NONE));
    }

    #[test]
    fn env_keys_are_overridden_by_the_variables_given_never_by_the_process() {
        let text = "[DEFAULT]\nid = x\n[env]\ntag = 1.0\npath = /opt\n[container#1]\nimage = a:{env.tag} {env.path}\n";
        let doc = Document::parse(text).unwrap();
        let path = SvcPath::parse("web").unwrap();
        let vars = EnvVars::new([("TAG".into(), "1.26".into())]);
        let e = Evaluator::new(&doc, &path, "n1", &vars);
        // PATH is set in this process: only the given variables count
        assert_eq!(
            e.get("container#1", "image").unwrap().unwrap(),
            "a:1.26 /opt"
        );
        assert_eq!(env_overridden(&doc, &vars).len(), 1);
        assert!(env_overridden(&doc, EnvVars::NONE).is_empty());
    }

    #[test]
    fn references_and_defaults() {
        let conf = "[DEFAULT]\nid = abc\n[env]\nom_test_tag = 1.25\n[container#1]\nimage = nginx:{env.om_test_tag}\ncommand = echo {name} {namespace} {path} {nodename} {id} {container#1.image} {container#1.rm}\n";
        eval_with(conf, |e| {
            assert_eq!(
                e.get("container#1", "image").unwrap().unwrap(),
                "nginx:1.25"
            );
            assert_eq!(
                e.get("container#1", "command").unwrap().unwrap(),
                "echo web ns1 ns1/svc/web deb1 abc nginx:1.25 false"
            );
            assert_eq!(e.get("container#1", "rm").unwrap().unwrap(), "false");
            assert_eq!(e.get("container#1", "user").unwrap(), None);
        });
    }

    #[test]
    fn the_deprecated_svcname_and_svcpath_are_name_and_path() {
        let conf =
            "[DEFAULT]\nid = abc\n[container#1]\nimage = a\ncommand = echo {svcname} {svcpath}\n";
        eval_with(conf, |e| {
            assert_eq!(
                e.get("container#1", "command").unwrap().unwrap(),
                "echo web ns1/svc/web"
            );
        });
    }

    #[test]
    fn node_scope_wins() {
        let conf = "[container#1]\nimage = a\nimage@deb1 = b\nuser@nodes = u\nuser@deb2 = v\n";
        eval_with(conf, |e| {
            assert_eq!(e.get("container#1", "image").unwrap().unwrap(), "b");
            assert_eq!(e.get("container#1", "user").unwrap().unwrap(), "u");
        });
    }

    #[test]
    fn short_node_names_and_the_name_default() {
        let doc = Document::parse(
            "[container#1]\nimage = a\nimage@deb1 = b\n[container#web]\nname = w\n",
        )
        .unwrap();
        let path = SvcPath::parse("ns1/svc/web").unwrap();
        let e = Evaluator::new(&doc, &path, "deb1.opensvc.com", EnvVars::NONE);
        assert_eq!(e.get("container#1", "image").unwrap().unwrap(), "b");
        assert_eq!(
            e.get("container#1", "name").unwrap().unwrap(),
            "ns1..web.container.1"
        );
        assert_eq!(e.get("container#web", "name").unwrap().unwrap(), "w");
        assert_eq!(
            e.expand("{container#1.name}").unwrap(),
            "ns1..web.container.1"
        );
    }

    #[test]
    fn unknown_references_and_cycles_fail() {
        let conf = "[container#1]\nimage = {nope}\ncommand = {container#1.user}\nuser = {container#1.command}\ncwd = {env.om_no_such_key}\n";
        eval_with(conf, |e| {
            assert!(e
                .get("container#1", "image")
                .unwrap_err()
                .to_string()
                .contains("{nope}"));
            let err = e.get("container#1", "command").unwrap_err().to_string();
            assert!(err.contains("cycle"), "{err}");
            assert!(e.get("container#1", "cwd").is_err());
        });
    }

    /// `[env]` with `a1 = {env.a2}`, …, the last one `x`: `keys` keys.
    fn chain(keys: usize, each: &str) -> String {
        let mut conf = String::from("[env]\n");
        for i in 1..keys {
            conf.push_str(&format!(
                "a{i} = {}\n",
                each.replace("N", &(i + 1).to_string())
            ));
        }
        conf.push_str(&format!("a{keys} = x\n"));
        conf
    }

    #[test]
    fn chains_are_bounded_in_depth() {
        // a1 -> a2 -> … -> a33: 32 references
        eval_with(&chain(MAX_DEPTH + 1, "{env.aN}"), |e| {
            assert_eq!(e.get("env", "a1").unwrap().unwrap(), "x");
            assert_eq!(e.expand_key("env", "a1", "{env.a2}").unwrap(), "x");
        });
        eval_with(&chain(MAX_DEPTH + 2, "{env.aN}"), |e| {
            let err = e.get("env", "a1").unwrap_err();
            assert_eq!(err.to_string(), "reference chain deeper than 32 at env.a34");
            // the cache does not hide a chain too deep from where it is used
            assert_eq!(e.get("env", "a2").unwrap().unwrap(), "x");
            assert_eq!(e.get("env", "a1").unwrap_err(), err);
        });
        // 20 000 keys deep: an error, not a stack overflow
        eval_with(&chain(20_000, "{env.aN}"), |e| {
            assert!(e
                .get("env", "a1")
                .unwrap_err()
                .to_string()
                .contains("deeper than 32"));
        });
    }

    #[test]
    fn doubling_chains_are_bounded_in_size() {
        let t = std::time::Instant::now();
        eval_with(&chain(30, "{env.aN}{env.aN}"), |e| {
            let err = e.get("env", "a1").unwrap_err().to_string();
            assert!(
                err.starts_with("expanded value over 1 MiB at env.a"),
                "{err}"
            );
            // 2^19 bytes: under the cap, and each key expanded once
            assert_eq!(e.get("env", "a11").unwrap().unwrap().len(), 1 << 19);
        });
        assert!(t.elapsed().as_secs() < 5);
    }

    #[test]
    fn many_values_pulling_in_big_ones_are_bounded_in_all() {
        let mut conf = chain(21, "{env.aN}{env.aN}");
        for i in 0..200 {
            conf.push_str(&format!("b{i} = {{env.a2}}\n"));
        }
        eval_with(&conf, |e| {
            let errs: Vec<String> = (0..200)
                .filter_map(|i| e.get("env", &format!("b{i}")).err())
                .map(|e| e.to_string())
                .collect();
            assert!(errs[0].contains("over 64 MiB in all"), "{errs:?}");
        });
    }

    #[test]
    fn the_cache_keeps_messages_and_values() {
        let conf = "[DEFAULT]\nid = i\n[env]\na = {env.b}-{id}\nb = {name}\nc = {env.a}{env.a}\n";
        eval_with(conf, |e| {
            for _ in 0..2 {
                assert_eq!(e.get("env", "c").unwrap().unwrap(), "web-iweb-i");
                assert_eq!(e.get("env", "a").unwrap().unwrap(), "web-i");
            }
        });
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A value: text and references to the `[env]` keys `a0`…`a9` (so the
    /// references make random graphs: chains, cycles, fan-out), built-in
    /// names, and things that are not references or not known.
    fn value() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => "\\{env\\.a[0-9]\\}",
            1 => "\\{(name|id|path|nodename|nope|container#1\\.image|env\\.zz)\\}",
            2 => "[a-z{}$ ]{0,4}",
        ];
        proptest::collection::vec(piece, 0..5).prop_map(|p| p.concat())
    }

    fn doc() -> impl Strategy<Value = String> {
        (proptest::collection::vec(value(), 10), value()).prop_map(|(env, image)| {
            let mut text = String::from("[DEFAULT]\nid = x\n[env]\n");
            for (i, v) in env.iter().enumerate() {
                text.push_str(&format!("a{i} = {v}\n"));
            }
            text.push_str(&format!("[container#1]\nimage = {image}\n"));
            text
        })
    }

    proptest! {
        /// Expanding any key of any reference graph ends quickly, with a
        /// value within bounds or a one-line error; the cache changes
        /// nothing (a fresh evaluator per key says the same).
        #[test]
        fn fuzz_expand_bounded(text in doc(), free in any::<String>()) {
            let t = std::time::Instant::now();
            let doc = Document::parse(&text).unwrap();
            let path = SvcPath::parse("svc").unwrap();
            let shared = Evaluator::new(&doc, &path, "n1", EnvVars::NONE);
            let _ = shared.expand(&free);
            for (section, key) in (0..10)
                .map(|i| ("env", format!("a{i}")))
                .chain([("container#1", "image".to_string())])
            {
                let got = shared.get(section, &key);
                let fresh = Evaluator::new(&doc, &path, "n1", EnvVars::NONE).get(section, &key);
                prop_assert_eq!(&got, &fresh);
                match got {
                    Ok(v) => prop_assert!(v.unwrap_or_default().len() <= MAX_VALUE),
                    Err(e) => prop_assert!(!e.to_string().contains('\n'), "{e:?}"),
                }
            }
            prop_assert!(t.elapsed().as_secs() < 2);
        }
    }
}
