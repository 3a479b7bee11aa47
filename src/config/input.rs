//! What `create --config` and `--kw` read: JSON (the section map, OpenSVC's
//! `metadata` form or its path-keyed form) or INI text, and `KEY=VAL` / `KEY+=VAL` / `KEY-=VAL`.

use super::check::check_chars;
use super::ini::{bad_key, bad_section, Document};
use crate::error::{Error, Result};
use crate::units::{split_words, word_spans};
use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Parses a config given as JSON or INI (JSON when it starts with `{`, or
/// is any other JSON document, which is then refused for its shape). A
/// leading UTF-8 BOM (some editors write one) is dropped.
#[cfg(test)]
pub fn parse_config(text: &str) -> Result<Document> {
    parse_config_for(text).map(|(doc, _)| doc)
}

/// The service a config source names, in one of OpenSVC's JSON forms.
#[derive(Debug, PartialEq)]
pub enum Named {
    /// The path-keyed form's one key (`{"ns1/svc/web": {…}}`).
    Keyed(String),
    /// The metadata form's `metadata.name` (`{"metadata": {"name": "web"}, …}`).
    Metadata(String),
}

/// `parse_config`, and the service the input names when it has one of
/// OpenSVC's JSON forms that name one. An empty config (no text, `{}`, no
/// section) is an error: a service with only an id is never what was meant.
pub fn parse_config_for(text: &str) -> Result<(Document, Option<Named>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let t = text.trim_start();
    let (doc, path) =
        if t.starts_with('{') || (t.starts_with('[') && serde_json::from_str::<Value>(t).is_ok()) {
            from_json(text)?
        } else {
            let doc = Document::parse(text)
                .map_err(|e| Error::Failed(format!("invalid INI config: {e}")))?;
            (doc, None)
        };
    if doc.section_names().next().is_none() {
        return Err(Error::Failed("empty config: no section".into()));
    }
    Ok((doc, path))
}

/// The one key of a path-keyed document, when it is one: not a section
/// name, and its value an object of objects.
fn path_key(map: &Map<String, Value>) -> Option<&String> {
    let (key, Value::Object(inner)) = map.iter().next().filter(|_| map.len() == 1)? else {
        return None;
    };
    let is_section = key == "metadata" || super::keywords::section_kind(key).is_some();
    (!is_section && inner.values().all(Value::is_object)).then_some(key)
}

fn from_json(text: &str) -> Result<(Document, Option<Named>)> {
    let invalid = |why: String| Error::Failed(format!("invalid JSON config: {why}"));
    let Strict(root) = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let Value::Object(mut map) = root else {
        return Err(invalid("expected an object of sections".into()));
    };
    let mut path = None;
    if let Some(key) = path_key(&map).cloned() {
        crate::paths::SvcPath::parse(&key)
            .map_err(|e| invalid(format!("the one key is no section: {e}")))?;
        if let Some(Value::Object(inner)) = map.remove(&key) {
            map = inner;
        }
        path = Some(Named::Keyed(key));
    }
    if let Some(Value::String(name)) = map.get("metadata").and_then(|m| m.get("name")) {
        path = path.or(Some(Named::Metadata(name.clone())));
    }
    let mut doc = Document::default();
    // DEFAULT first, whatever the order in the input.
    let sections = map.iter().filter(|(k, _)| *k == "DEFAULT").chain(
        map.iter()
            .filter(|(k, _)| *k != "DEFAULT" && *k != "metadata"),
    );
    for (section, body) in sections {
        let Value::Object(keys) = body else {
            return Err(invalid(format!(
                "section {section} must be an object of keywords"
            )));
        };
        check_names(section, "x").map_err(|e| invalid(e.to_string()))?;
        doc.add_section(section);
        for (key, value) in keys {
            check_names(section, key).map_err(|e| invalid(e.to_string()))?;
            let value_text = scalar(value).ok_or_else(|| {
                invalid(format!(
                    "{section}.{key} must be a string, number, boolean or list of them"
                ))
            })?;
            // Here, not only in check_document: the INI form would drop a
            // trailing newline, and with it the evidence.
            check_chars(section, key, &value_text).map_err(|e| invalid(e.to_string()))?;
            doc.set(section, key, &value_text);
        }
    }
    Ok((doc, path))
}

/// A JSON value as serde_json reads it, but an object with a key twice is
/// an error (serde_json would silently keep the last one, as no INI reader
/// does).
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(v.into())
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(v.into())
    }

    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(v.into())
    }

    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(A::Error::custom(format!(
                    "duplicate key \"{}\"",
                    key.escape_debug()
                )));
            }
            let Strict(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => {
            let words: Option<Vec<String>> = items
                .iter()
                .map(|i| match i {
                    Value::Array(_) | Value::Object(_) | Value::Null => None,
                    other => scalar(other),
                })
                .collect();
            Some(shell_words::join(words?))
        }
        Value::Null | Value::Object(_) => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Set,
    Append,
    Remove,
}

/// One `--kw` assignment: `container#1.image=nginx`, `tags+=x`, `env.KEY=V`.
#[derive(Debug, PartialEq)]
pub struct Assign {
    pub section: String,
    pub key: String,
    pub op: Op,
    pub value: String,
}

/// `container#1.image` → (`container#1`, `image`); a bare key is in
/// `DEFAULT`. A section name never holds `@`: the dots of a node scope
/// (`docker_data_dir@deb1.opensvc.com`) are the node name's.
pub fn split_key(key: &str) -> Result<(String, String)> {
    let (section, key) = match super::keywords::unscoped(key).find('.') {
        Some(dot) => (&key[..dot], &key[dot + 1..]),
        None => ("DEFAULT", key),
    };
    check_names(section, key)?;
    Ok((section.to_string(), key.to_string()))
}

/// A section and key that the INI file can hold as they are.
pub fn check_names(section: &str, key: &str) -> Result<()> {
    // names are echoed escaped: an error is one line
    let (s, k) = (section.escape_debug(), key.escape_debug());
    if let Some(why) = bad_section(section) {
        return Err(Error::Usage(format!(
            "invalid section name '{s}': it {why}"
        )));
    }
    if let Some(why) = bad_key(key) {
        return Err(Error::Usage(format!("invalid keyword '{s}.{k}': it {why}")));
    }
    Ok(())
}

pub fn parse_assign(s: &str) -> Result<Assign> {
    // The assignment as it is echoed in errors: on one line.
    let shown = s.escape_debug();
    let (lhs, value) = s
        .split_once('=')
        .ok_or_else(|| Error::Usage(format!("--kw '{shown}': expected KEY=VALUE")))?;
    let (lhs, op) = if let Some(l) = lhs.strip_suffix('+') {
        (l, Op::Append)
    } else if let Some(l) = lhs.strip_suffix('-') {
        (l, Op::Remove)
    } else {
        (lhs, Op::Set)
    };
    let (section, key) =
        split_key(lhs.trim()).map_err(|e| Error::Usage(format!("--kw '{shown}': {e}")))?;
    Ok(Assign {
        section,
        key,
        op,
        value: value.to_string(),
    })
}

/// Applies an assignment to the document (only the characters of the
/// value are checked here: the INI form could hide a newline).
pub fn apply(doc: &mut Document, a: &Assign) -> Result<()> {
    check_chars(&a.section, &a.key, &a.value)?;
    let written = doc.get(&a.section, &a.key).unwrap_or_default();
    let value = match a.op {
        Op::Set => a.value.clone(),
        Op::Append => append_words(written, &a.value)?,
        Op::Remove => remove_words(written, &a.value)?,
    };
    doc.set(&a.section, &a.key, &value);
    Ok(())
}

/// `K+=V`: V is shell text (`-e A=1` is two words, `X="a b"` one), added
/// after the current words as written; V that is no valid shell text is
/// one word, quoted. The words already there keep their exact text.
fn append_words(written: &str, v: &str) -> Result<String> {
    // word_spans refuses a value with a comment, after which a new word
    // would vanish.
    word_spans(written).map_err(|e| Error::Failed(e.to_string()))?;
    let added = match split_words(v) {
        Ok(words) if !words.is_empty() => v.trim().to_string(),
        _ => shell_words::quote(v).into_owned(),
    };
    Ok(if written.trim().is_empty() {
        added
    } else {
        format!("{} {added}", written.trim_end())
    })
}

/// `K-=V`: removes the first run of words equal to V's words; the others
/// keep their exact text.
fn remove_words(written: &str, v: &str) -> Result<String> {
    let spans = word_spans(written).map_err(|e| Error::Failed(e.to_string()))?;
    let gone = split_words(v).unwrap_or_else(|_| vec![v.to_string()]);
    if gone.is_empty() {
        return Ok(written.to_string());
    }
    let at = spans
        .windows(gone.len())
        .position(|w| w.iter().map(|(_, word)| word).eq(gone.iter()));
    let Some(at) = at else {
        return Ok(written.to_string());
    };
    let start = spans[at].0.start;
    let end = spans[at + gone.len() - 1].0.end;
    // The words around the removed ones keep the space that was between.
    let (cut_from, cut_to) = match spans.get(at + gone.len()) {
        Some((next, _)) => (start, next.start),
        None if at > 0 => (spans[at - 1].0.end, end),
        None => (start, end),
    };
    // Cut exactly: a trim could eat an escaped space (`a\ `).
    let mut out = written[..cut_from].to_string();
    out.push_str(&written[cut_to..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_and_removed_words_keep_the_others_as_written() {
        assert_eq!(
            append_words("-p 80:80", "-e A=1").unwrap(),
            "-p 80:80 -e A=1"
        );
        assert_eq!(
            append_words("TZ=UTC", "GREETING=\"hello world\"").unwrap(),
            "TZ=UTC GREETING=\"hello world\""
        );
        assert_eq!(append_words("", "a").unwrap(), "a");
        assert_eq!(append_words("a", "it's").unwrap(), "a 'it'\\''s'");
        assert_eq!(
            remove_words(
                "TZ=UTC GREETING=\"hello world\" X=1",
                "GREETING=\"hello world\""
            )
            .unwrap(),
            "TZ=UTC X=1"
        );
        assert_eq!(
            remove_words("-p 80:80 -e A=1", "-e A=1").unwrap(),
            "-p 80:80"
        );
        assert_eq!(remove_words("a b", "a").unwrap(), "b");
        assert_eq!(remove_words("a b", "z").unwrap(), "a b");
        assert_eq!(remove_words("'x y'", "x y").unwrap(), "'x y'");
        assert_eq!(remove_words("'x y'", "'x y'").unwrap(), "");
        // an escaped trailing space stays; a comment is refused, not eaten
        assert_eq!(remove_words("a\\  b", "b").unwrap(), "a\\ ");
        assert!(append_words("A=1 #note", "B=2").is_err());
        assert!(remove_words("A=1 #note", "A=1").is_err());
    }

    #[test]
    fn json_section_map() {
        let d = parse_config(r#"{"container#1": {"type": "docker", "image": "nginx", "rm": true, "command": ["sh", "-c", "exit 1"]}, "DEFAULT": {"id": 3}}"#).unwrap();
        assert_eq!(
            d.to_string(),
            "[DEFAULT]\nid = 3\n\n[container#1]\ntype = docker\nimage = nginx\nrm = true\ncommand = sh -c 'exit 1'\n"
        );
    }

    #[test]
    fn opensvc_metadata_form() {
        let d =
            parse_config(r#"{"metadata": {"name": "x"}, "container#1": {"image": "a"}}"#).unwrap();
        assert_eq!(d.section_names().collect::<Vec<_>>(), ["container#1"]);
        let (_, named) =
            parse_config_for(r#"{"metadata": {"name": "x"}, "container#1": {"image": "a"}}"#)
                .unwrap();
        assert_eq!(named, Some(Named::Metadata("x".into())));
    }

    #[test]
    fn opensvc_path_keyed_form() {
        let (d, path) =
            parse_config_for(r#"{"ns1/svc/web": {"container#1": {"image": "a"}}}"#).unwrap();
        assert_eq!(path, Some(Named::Keyed("ns1/svc/web".into())));
        assert_eq!(d.get("container#1", "image"), Some("a"));
        let (_, path) = parse_config_for(r#"{"container#1": {"image": "a"}}"#).unwrap();
        assert_eq!(path, None);
    }

    #[test]
    fn bad_json() {
        for bad in [
            "{",
            "[1]",
            r#"{"a": 1}"#,
            // one key that is no section and no service path
            r#"{"A_B": {"container#1": {"c": 1}}}"#,
            // empty
            "{}",
            "",
            "  \n",
            r#"{"svc1": {}}"#,
            r#"{"a": {"b": null}}"#,
            r#"{"container#1": {"": "x"}}"#,
            r##"{"container#1": {"#k": "x"}}"##,
            r#"{"a b": {"k": "x"}}"#,
        ] {
            assert!(parse_config(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn assignments() {
        assert_eq!(
            parse_assign("container#1.rm=true").unwrap(),
            Assign {
                section: "container#1".into(),
                key: "rm".into(),
                op: Op::Set,
                value: "true".into()
            }
        );
        assert_eq!(parse_assign("tags+=a b").unwrap().op, Op::Append);
        assert_eq!(parse_assign("env.X=1=2").unwrap().value, "1=2");
        assert!(parse_assign("novalue").is_err());
        for (kw, section, key) in [
            (
                "docker_data_dir@deb1.opensvc.com=/x",
                "DEFAULT",
                "docker_data_dir@deb1.opensvc.com",
            ),
            (
                "container#1.image@n2.example.com=a",
                "container#1",
                "image@n2.example.com",
            ),
            ("env.A@n2.b=1", "env", "A@n2.b"),
            ("container#1.image@@=x", "container#1", "image@@"),
        ] {
            let a = parse_assign(kw).unwrap();
            assert_eq!((a.section.as_str(), a.key.as_str()), (section, key), "{kw}");
        }
        for bad in [
            "env.[x=1", "env.#x=1", "env.=1", "env. x=1", "a b.c=1", "[x.y=1",
        ] {
            assert!(parse_assign(bad).is_err(), "{bad}");
        }
        let mut d = Document::default();
        apply(&mut d, &parse_assign("tags+='a b'").unwrap()).unwrap();
        apply(&mut d, &parse_assign("tags+=c").unwrap()).unwrap();
        assert_eq!(d.get("DEFAULT", "tags"), Some("'a b' c"));
        apply(&mut d, &parse_assign("tags-='a b'").unwrap()).unwrap();
        assert_eq!(d.get("DEFAULT", "tags"), Some("c"));
    }

    #[test]
    fn a_bom_is_dropped() {
        let d = parse_config("\u{feff}{\"container#1\": {\"image\": \"a\"}}").unwrap();
        assert_eq!(d.get("container#1", "image"), Some("a"));
        let d = parse_config("\u{feff}[container#1]\nimage = a\n").unwrap();
        assert_eq!(d.get("container#1", "image"), Some("a"));
    }

    #[test]
    fn duplicate_json_keys_are_refused() {
        for (bad, what) in [
            (
                r#"{"container#1": {"image": "a", "image": "b"}}"#,
                "\"image\"",
            ),
            (r#"{"env": {"a": "1"}, "env": {"b": "2"}}"#, "\"env\""),
            (
                r#"{"container#1": {"command": [{"x": 1, "x": 2}]}}"#,
                "\"x\"",
            ),
        ] {
            let err = parse_config(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("duplicate key {what}")), "{err}");
        }
        // the same key in two sections is fine
        assert!(parse_config(r#"{"env": {"a": "1"}, "container#1": {"a": "1"}}"#).is_ok());
    }

    #[test]
    fn control_characters_are_refused() {
        for bad in [
            r#"{"container#1": {"image": "a\u0000b"}}"#,
            r#"{"container#1": {"image": "nginx\n"}}"#,
            r#"{"container#1": {"user": "a\nb"}}"#,
            r#"{"env": {"a": "x\u001by"}}"#,
            r#"{"container#1": {"a\u0000": "x"}}"#,
        ] {
            let err = parse_config(bad).unwrap_err().to_string();
            assert!(!err.contains(['\0', '\n']), "{err:?}");
            assert!(
                err.contains("container#1.") || err.contains("env."),
                "{err}"
            );
        }
        // free text and word lists may span lines; tabs are fine
        let ok = r#"{"container#1": {"command": "sh -c\n'x'", "comment": "a\nb\tc"}, "env": {"a": "1\n2"}}"#;
        assert!(parse_config(ok).is_ok());
        let mut d = Document::default();
        let err = apply(&mut d, &parse_assign("container#1.image=a\nb").unwrap())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "container#1.image: holds a newline, but takes one line"
        );
        assert!(parse_assign("env.a\nb=1")
            .unwrap_err()
            .to_string()
            .starts_with("--kw 'env.a\\nb=1'"));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Objects of sections of keywords, with repeated names, odd values and
    /// nesting, so that many parse and some are refused for a reason.
    const JSON_LIKE: &str = r#"\u{feff}?\{( ?"(env|DEFAULT|metadata|container#[12]|a b)": ?\{( ?"[a-z#@]{1,3}": ?("(\PC|\\[nt0\\]|\\u000[01]){0,6}"|-?[0-9]{1,3}(\.[0-9])?|true|null|\[("[a-z ]{0,3}",? ?|1,? ?){0,3}\]|\{\}),?){0,4}\},?){0,4}\}"#;

    proptest! {
        /// Any text: never a panic, an answer in bounded time, and a
        /// document that writes and reads back as built.
        #[test]
        fn fuzz_json_parse_config(text in prop_oneof![any::<String>(), JSON_LIKE, "[\\[{]{0,300}"]) {
            let t = std::time::Instant::now();
            match parse_config(&text) {
                Ok(doc) => {
                    let again = Document::parse(&doc.to_string()).expect("JSON output parses");
                    prop_assert_eq!(&again, &doc);
                }
                Err(e) => prop_assert!(!e.to_string().contains(['\n', '\0']), "{e:?}"),
            }
            prop_assert!(t.elapsed().as_secs() < 2);
        }
    }
}
