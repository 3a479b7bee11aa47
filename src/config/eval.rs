//! Reading a value as it applies here: node scoping (`kw@node`, `kw@nodes`),
//! keyword defaults, and references (`{name}`, `{env.KEY}`, `{RID.KW}`, …).

use super::ini::Document;
use super::keywords::{lookup, rid_index, section_kind, SectionKind};
use crate::paths::SvcPath;

pub struct Evaluator<'a> {
    pub doc: &'a Document,
    pub path: &'a SvcPath,
    pub nodename: &'a str,
}

/// A piece of a value: text as is, or a `{reference}`.
#[derive(Debug, PartialEq)]
pub enum Token<'a> {
    Text(&'a str),
    Ref(&'a str),
}

/// Whether `{inner}` has the shape of a reference (`name`, `env.KEY`,
/// `container#1.image`): anything else (`{}`, `{a,b}`, `{print $1}`,
/// `{"a":1}`) is shell, awk or JSON text and stays as it is.
fn is_reference(inner: &str) -> bool {
    !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.#@:-".contains(c))
}

/// Splits a value into text and references. `{{…}}` (Go templates),
/// `${…}` (shell variables) and braces that are not a reference's shape are
/// text, so docker, shell and JSON syntax pass through.
pub fn tokenize(value: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let bytes = value.as_bytes();
    while i < bytes.len() {
        if bytes[i] == b'{' && bytes.get(i + 1) == Some(&b'{') {
            i = value[i..].find("}}").map_or(bytes.len(), |e| i + e + 2);
        } else if bytes[i] == b'{' && (i == 0 || bytes[i - 1] != b'$') {
            match value[i + 1..].find(['{', '}']) {
                Some(e) if bytes[i + 1 + e] == b'}' && is_reference(&value[i + 1..i + 1 + e]) => {
                    if start < i {
                        out.push(Token::Text(&value[start..i]));
                    }
                    out.push(Token::Ref(&value[i + 1..i + 1 + e]));
                    i += e + 2;
                    start = i;
                }
                _ => i += 1,
            }
        } else {
            i += 1;
        }
    }
    if start < bytes.len() {
        out.push(Token::Text(&value[start..]));
    }
    out
}

/// `NAME.container.N`, or `NS..NAME.container.N` outside the root namespace.
pub fn default_container_name(path: &SvcPath, rid: &str) -> String {
    let index = rid_index(rid, "container").unwrap_or(rid);
    if path.is_root_ns() {
        format!("{}.container.{index}", path.name)
    } else {
        format!("{}..{}.container.{index}", path.namespace, path.name)
    }
}

impl Evaluator<'_> {
    /// The value as written for this node, without references expanded:
    /// `key@NODE` (the full node name, or its first label, so `image@deb1`
    /// applies on `deb1.opensvc.com`), then `key@nodes`, then `key`, then
    /// the keyword's default.
    pub fn raw(&self, section: &str, key: &str) -> Option<String> {
        let short = self.nodename.split('.').next().unwrap_or(self.nodename);
        let doc_value = [
            format!("{key}@{}", self.nodename),
            format!("{key}@{short}"),
            format!("{key}@nodes"),
        ]
        .iter()
        .find_map(|k| self.doc.get(section, k))
        .or_else(|| self.doc.get(section, key));
        if let Some(v) = doc_value {
            return Some(v.to_string());
        }
        let kind = section_kind(section)?;
        if kind == SectionKind::Container && key == "name" {
            return Some(default_container_name(self.path, section));
        }
        lookup(&kind, key)?.default.map(String::from)
    }

    /// The value with references expanded; `Ok(None)` when unset with no default.
    pub fn get(&self, section: &str, key: &str) -> Result<Option<String>, String> {
        let mut stack = Vec::new();
        self.get_in(section, key, &mut stack)
    }

    fn get_in(
        &self,
        section: &str,
        key: &str,
        stack: &mut Vec<String>,
    ) -> Result<Option<String>, String> {
        let here = format!("{section}.{key}");
        if stack.contains(&here) {
            stack.push(here);
            return Err(format!("reference cycle: {}", stack.join(" -> ")));
        }
        let Some(raw) = self.raw(section, key) else {
            return Ok(None);
        };
        stack.push(here);
        let out = self.expand_in(&raw, stack);
        stack.pop();
        out.map(Some)
    }

    /// Expands every reference in `value`; errors name the reference.
    pub fn expand(&self, value: &str) -> Result<String, String> {
        self.expand_in(value, &mut Vec::new())
    }

    fn expand_in(&self, value: &str, stack: &mut Vec<String>) -> Result<String, String> {
        let mut out = String::new();
        for token in tokenize(value) {
            match token {
                Token::Text(t) => out.push_str(t),
                Token::Ref(r) => out.push_str(&self.resolve(r, stack)?),
            }
        }
        Ok(out)
    }

    fn resolve(&self, r: &str, stack: &mut Vec<String>) -> Result<String, String> {
        let unknown = || format!("unknown reference {{{r}}}");
        match r {
            "name" | "svcname" => return Ok(self.path.name.clone()),
            "namespace" => return Ok(self.path.namespace.clone()),
            "path" => return Ok(self.path.to_string()),
            "nodename" => return Ok(self.nodename.to_string()),
            "id" => {
                return self
                    .get_in("DEFAULT", "id", stack)?
                    .ok_or_else(|| "{id}: the service has no id".into())
            }
            _ => {}
        }
        let (section, key) = r.split_once('.').ok_or_else(unknown)?;
        if section == "env" {
            if let Ok(v) = std::env::var(key.to_uppercase()) {
                return Ok(v);
            }
        }
        if section != "env" && !self.doc.has_section(section) {
            return Err(unknown());
        }
        self.get_in(section, key, stack)?
            .ok_or_else(|| format!("{}: {{{r}}} is not set", stack.last().map_or(r, |s| s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_with(text: &str, f: impl FnOnce(&Evaluator)) {
        let doc = Document::parse(text).unwrap();
        let path = SvcPath::parse("ns1/svc/web").unwrap();
        f(&Evaluator {
            doc: &doc,
            path: &path,
            nodename: "deb1",
        });
    }

    #[test]
    fn tokens() {
        assert_eq!(
            tokenize("a{name}b{{.Id}}${HOME}{x"),
            [
                Token::Text("a"),
                Token::Ref("name"),
                Token::Text("b{{.Id}}${HOME}{x")
            ]
        );
        // shell, awk and JSON braces are text
        for text in [
            "CFG='{\"a\":1}'",
            "awk '{print $1}'",
            "-exec echo {} ;",
            "x{a,b}y",
        ] {
            assert_eq!(tokenize(text), [Token::Text(text)], "{text}");
        }
        assert_eq!(
            tokenize("{container#1.image}:{env.tag}"),
            [
                Token::Ref("container#1.image"),
                Token::Text(":"),
                Token::Ref("env.tag")
            ]
        );
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
        let e = Evaluator {
            doc: &doc,
            path: &path,
            nodename: "deb1.opensvc.com",
        };
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
                .contains("{nope}"));
            let err = e.get("container#1", "command").unwrap_err();
            assert!(err.contains("cycle"), "{err}");
            assert!(e.get("container#1", "cwd").is_err());
        });
    }
}
