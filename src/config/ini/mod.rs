//! The INI file as its lines, so that `set`/`unset` keep every untouched byte
//! (comments, blank lines, order), the way `git config` edits its file.
//!
//! Why not `rust-ini` here: its writer re-renders the whole file, and the
//! in-place editor must agree with the reader on every rule (continuation
//! lines, comments only at column 0). One small line model serves both.
//!
//! Rules: `[section]` headers; `key = value` (first `=` splits); a line that
//! starts with whitespace continues the value above it (joined with `\n`);
//! `#` and `;` start a comment only in column 0.

mod lines;

use lines::index;
pub use lines::{bad_key, bad_section, ParseError};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// The lines, and an index of them by section and key, so that reading a
/// key and appending one are O(1) and building a document is linear.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    /// Each line with its own line ending, if it had one.
    lines: Vec<String>,
    sections: Vec<Section>,
    /// Section name → position in `sections`.
    by_name: HashMap<String, usize>,
}

#[derive(Clone, Debug, PartialEq)]
struct Section {
    name: String,
    header: usize,
    entries: Vec<Entry>,
    /// Key → position in `entries`.
    by_key: HashMap<String, usize>,
    /// The names of the keys that have a node scope (`image` for
    /// `image@deb1`): most keys have none, and the evaluator then looks up
    /// one key instead of four.
    scoped: HashSet<String>,
}

#[derive(Clone, Debug, PartialEq)]
struct Entry {
    key: String,
    value: String,
    first: usize,
    last: usize,
}

/// Up to this many sections or keys, a lookup compares names one by one;
/// beyond, it goes through the index (linear work whatever the size).
const SCAN: usize = 8;

impl Document {
    pub fn parse(text: &str) -> Result<Document, ParseError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
        let (sections, by_name) = index(&lines)?;
        Ok(Document {
            lines,
            sections,
            by_name,
        })
    }

    pub fn section_names(&self) -> impl Iterator<Item = &str> {
        self.sections.iter().map(|s| s.name.as_str())
    }

    pub fn has_section(&self, section: &str) -> bool {
        self.section(section).is_some()
    }

    /// The `(key, value)` pairs of a section, in file order.
    pub fn entries(&self, section: &str) -> impl Iterator<Item = (&str, &str)> {
        self.section(section)
            .into_iter()
            .flat_map(|s| s.entries.iter())
            .map(|e| (e.key.as_str(), e.value.as_str()))
    }

    /// Whether any key of the document has a node scope (`key@node`).
    pub fn has_scopes(&self) -> bool {
        self.sections.iter().any(|s| !s.scoped.is_empty())
    }

    /// Whether `key` has a node scope in the section (`key@node`).
    pub fn has_scoped(&self, section: &str, key: &str) -> bool {
        self.section(section)
            .is_some_and(|s| !s.scoped.is_empty() && s.scoped.contains(key))
    }

    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.entry(section, key).map(|e| e.value.as_str())
    }

    /// Sets a value, in place when the key exists, else after the section's
    /// last entry; a new section goes at the end (`DEFAULT` at the top).
    pub fn set(&mut self, section: &str, key: &str, value: &str) {
        self.add_section(section);
        let rendered = render_entry(key, value);
        let Some(&si) = self.by_name.get(section) else {
            return;
        };
        let s = &self.sections[si];
        let (at, old) = match s.by_key.get(key) {
            Some(&ei) => (
                s.entries[ei].first,
                s.entries[ei].last + 1 - s.entries[ei].first,
            ),
            None => (s.entries.last().map_or(s.header, |e| e.last) + 1, 0),
        };
        if old == 0 {
            self.ensure_newline(at);
        }
        let new = rendered.len();
        self.lines.splice(at..at + old, rendered);
        self.shift(at + old, new.wrapping_sub(old));
        // The entry as the reader sees it, read from its own lines.
        let mut probe = vec!["[s]\n".to_string()];
        probe.extend_from_slice(&self.lines[at..at + new]);
        match index(&probe) {
            Ok((mut read, _)) if read[0].entries.len() == 1 && read[0].entries[0].key == key => {
                let mut entry = read[0].entries.remove(0);
                (entry.first, entry.last) = (at, at + new - 1);
                let s = &mut self.sections[si];
                match s.by_key.get(key) {
                    Some(&ei) => s.entries[ei] = entry,
                    None => {
                        s.by_key.insert(key.to_string(), s.entries.len());
                        if let Some((name, _)) = key.split_once('@') {
                            s.scoped.insert(name.to_string());
                        }
                        s.entries.push(entry);
                    }
                }
            }
            // A key the file can not hold as such (`save` refuses to write it).
            _ => self.reindex(),
        }
    }

    /// Adds an empty section unless it exists (at the end; `DEFAULT` at the top).
    pub fn add_section(&mut self, section: &str) {
        if self.has_section(section) {
            return;
        }
        let header = format!("[{section}]\n");
        if section == "DEFAULT" {
            let mut block = vec![header];
            if !self.lines.is_empty() {
                block.push("\n".into());
            }
            self.lines.splice(0..0, block);
            self.reindex();
        } else {
            let end = self.lines.len();
            self.ensure_newline(end);
            if self.lines.last().is_some_and(|l| !l.trim().is_empty()) {
                self.lines.push("\n".into());
            }
            self.lines.push(header);
            self.by_name
                .insert(section.to_string(), self.sections.len());
            self.sections.push(Section {
                name: section.to_string(),
                header: self.lines.len() - 1,
                entries: Vec::new(),
                by_key: HashMap::new(),
                scoped: HashSet::new(),
            });
            // A name the file can not hold as such (`save` refuses to write it).
            if bad_section(section).is_some() {
                self.reindex();
            }
        }
    }

    /// Removes a key; returns whether it was there.
    pub fn unset(&mut self, section: &str, key: &str) -> bool {
        let Some(e) = self.entry(section, key) else {
            return false;
        };
        let (first, last) = (e.first, e.last);
        self.lines.drain(first..=last);
        self.reindex();
        true
    }

    /// Removes a section, its header and entries, and the blank lines after it.
    pub fn remove_section(&mut self, section: &str) -> bool {
        let Some(&i) = self.by_name.get(section) else {
            return false;
        };
        let start = self.sections[i].header;
        let end = self
            .sections
            .get(i + 1)
            .map_or(self.lines.len(), |next| next.header);
        // Keep comments that sit right above the next section: they belong to it.
        let mut cut = self.sections[i]
            .entries
            .last()
            .map_or(start + 1, |e| e.last + 1);
        while cut < end && self.lines[cut].trim().is_empty() {
            cut += 1;
        }
        self.lines.drain(start..cut);
        self.reindex();
        true
    }

    fn section(&self, name: &str) -> Option<&Section> {
        // A few sections are found faster by a look at each than by hashing
        // the name (status reads a thousand configs of four sections).
        if self.sections.len() <= SCAN {
            return self.sections.iter().find(|s| s.name == name);
        }
        self.by_name.get(name).map(|&i| &self.sections[i])
    }

    fn entry(&self, section: &str, key: &str) -> Option<&Entry> {
        let s = self.section(section)?;
        if s.entries.len() <= SCAN {
            return s.entries.iter().find(|e| e.key == key);
        }
        s.by_key.get(key).map(|&i| &s.entries[i])
    }

    /// Moves the index of every line from `from` on by `delta` (wrapping:
    /// a negative delta), after lines were inserted or removed there. Walks
    /// from the end, so an append touches nothing.
    fn shift(&mut self, from: usize, delta: usize) {
        if delta == 0 {
            return;
        }
        for s in self.sections.iter_mut().rev() {
            for e in s.entries.iter_mut().rev() {
                if e.first < from {
                    break;
                }
                e.first = e.first.wrapping_add(delta);
                e.last = e.last.wrapping_add(delta);
            }
            if s.header < from {
                return;
            }
            s.header = s.header.wrapping_add(delta);
        }
    }

    /// The line before `at` must end with a newline before we insert after it.
    fn ensure_newline(&mut self, at: usize) {
        if let Some(prev) = at.checked_sub(1).and_then(|i| self.lines.get_mut(i)) {
            if !prev.ends_with('\n') {
                prev.push('\n');
            }
        }
    }

    fn reindex(&mut self) {
        // Every edit writes lines that parse, so this cannot fail; keep the old
        // index rather than panic if it ever did.
        if let Ok((sections, by_name)) = index(&self.lines) {
            self.sections = sections;
            self.by_name = by_name;
        }
    }
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.lines.iter().try_for_each(|l| f.write_str(l))
    }
}

fn render_entry(key: &str, value: &str) -> Vec<String> {
    let mut parts = value.split('\n');
    let first = parts.next().unwrap_or_default();
    let mut out = vec![if first.is_empty() {
        format!("{key} =\n")
    } else {
        format!("{key} = {first}\n")
    }];
    out.extend(
        parts
            .filter(|p| !p.trim().is_empty())
            .map(|p| format!("    {}\n", p.trim())),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# top comment\n[DEFAULT]\nid = 42\n\n; about c1\n[container#1]\ntype = docker\ncommand = sh -c\n  'sleep 1'\n# trailing\n";

    #[test]
    fn reads_values_and_continuations() {
        let d = Document::parse(SAMPLE).unwrap();
        assert_eq!(d.get("DEFAULT", "id"), Some("42"));
        assert_eq!(d.get("container#1", "command"), Some("sh -c\n'sleep 1'"));
        assert_eq!(
            d.section_names().collect::<Vec<_>>(),
            ["DEFAULT", "container#1"]
        );
        assert_eq!(d.to_string(), SAMPLE);
    }

    #[test]
    fn set_keeps_everything_else_byte_for_byte() {
        let mut d = Document::parse(SAMPLE).unwrap();
        d.set("container#1", "image", "nginx");
        d.set("DEFAULT", "id", "43");
        assert_eq!(
            d.to_string(),
            "# top comment\n[DEFAULT]\nid = 43\n\n; about c1\n[container#1]\ntype = docker\ncommand = sh -c\n  'sleep 1'\nimage = nginx\n# trailing\n"
        );
        d.set("container#1", "command", "true");
        assert!(d.to_string().contains("command = true\nimage = nginx\n"));
        assert!(d.unset("container#1", "command"));
        assert!(!d.unset("container#1", "command"));
        assert_eq!(
            d.to_string(),
            "# top comment\n[DEFAULT]\nid = 43\n\n; about c1\n[container#1]\ntype = docker\nimage = nginx\n# trailing\n"
        );
    }

    #[test]
    fn new_sections_and_default_placement() {
        let mut d = Document::parse("[container#1]\nimage = a").unwrap();
        d.set("container#2", "image", "b");
        d.set("DEFAULT", "id", "x");
        assert_eq!(
            d.to_string(),
            "[DEFAULT]\nid = x\n\n[container#1]\nimage = a\n\n[container#2]\nimage = b\n"
        );
        assert!(d.remove_section("container#1"));
        assert_eq!(
            d.to_string(),
            "[DEFAULT]\nid = x\n\n[container#2]\nimage = b\n"
        );
    }

    #[test]
    fn multiline_values_round_trip() {
        let mut d = Document::default();
        d.set("env", "a", "x y\nz");
        let again = Document::parse(&d.to_string()).unwrap();
        assert_eq!(again.get("env", "a"), Some("x y\nz"));
    }

    #[test]
    fn comments_only_in_column_zero() {
        let d = Document::parse("[s]\na = 1 # not a comment\n").unwrap();
        assert_eq!(d.get("s", "a"), Some("1 # not a comment"));
    }

    #[test]
    fn errors_name_the_line() {
        for (text, line) in [
            ("a = 1\n", 1),
            ("[s]\njunk\n", 2),
            ("[s]\n\n  orphan\n", 3),
            ("[s]\n[s]\n", 2),
            ("[s]\na=1\na=2\n", 3),
            ("[s\n", 1),
            ("[s]\n= 1\n", 2),
        ] {
            assert_eq!(Document::parse(text).unwrap_err().line, line, "{text:?}");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Set(String, String, String),
        Unset(String, String),
        Remove(String),
    }

    fn section() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("DEFAULT".to_string()),
            Just("env".to_string()),
            "container#[1-3]",
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        let key = "[a-z_]{1,8}(@n[12])?";
        // values: words, quotes, '=' and '#', and continuation lines
        let value = "[ -~]{0,20}(\n[ -~]{1,10}){0,2}";
        prop_oneof![
            4 => (section(), key, value).prop_map(|(s, k, v)| Op::Set(s, k, v)),
            2 => (section(), key).prop_map(|(s, k)| Op::Unset(s, k)),
            1 => section().prop_map(Op::Remove),
        ]
    }

    /// Lines that look like INI: headers, keys, comments, continuations.
    const INI_LIKE: &str = "(\\[[a-z#1-3]{1,6}\\]\r?\n|[a-z@]{1,5} ?= ?\\PC{0,10}\r?\n|[#;]\\PC{0,10}\n|[ \t]+[a-z ]{0,8}\n|\n){0,30}";

    /// Edits with any value and any name the file can hold.
    fn any_op() -> impl Strategy<Value = Op> {
        let name = "[a-z_][a-z#@:._-]{0,7}";
        let value = prop_oneof![any::<String>(), "\\PC{0,20}(\n\\PC{0,10}){0,2}"];
        prop_oneof![
            4 => (name, name, value).prop_map(|(s, k, v)| Op::Set(s, k, v)),
            1 => (section(), name).prop_map(|(s, k)| Op::Unset(s, k)),
            1 => name.prop_map(Op::Remove),
        ]
    }

    fn apply(doc: &mut Document, op: &Op) {
        match op {
            Op::Set(s, k, v) => doc.set(s, k, v),
            Op::Unset(s, k) => {
                doc.unset(s, k);
            }
            Op::Remove(s) => {
                doc.remove_section(s);
            }
        }
    }

    proptest! {
        /// parse ∘ write is the identity on any file the editor produced,
        /// and the values read back are the values set (trimmed, as stored).
        #[test]
        fn editor_output_round_trips(ops in proptest::collection::vec(op(), 1..40)) {
            let mut doc = Document::default();
            for op in &ops {
                apply(&mut doc, op);
                let text = doc.to_string();
                let again = Document::parse(&text).expect("editor output parses");
                prop_assert_eq!(again.to_string(), text);
                // the index kept up by the edits is the one a reader builds
                prop_assert_eq!(&again, &doc);
                if let Op::Set(s, k, v) = op {
                    let stored: Vec<&str> =
                        v.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect();
                    let got = again.get(s, k).unwrap_or_default();
                    let got: Vec<&str> = got.split('\n').filter(|l| !l.is_empty()).collect();
                    prop_assert_eq!(got, stored);
                }
            }
        }

        /// Any text: parse never panics, and what parses is written back
        /// byte for byte; editing it keeps a document that reads back as
        /// the index says (what `save` checks before it writes).
        #[test]
        fn fuzz_ini_parse_and_edit(
            text in prop_oneof![any::<String>(), INI_LIKE],
            ops in proptest::collection::vec(any_op(), 0..6),
        ) {
            let t = std::time::Instant::now();
            let Ok(mut doc) = Document::parse(&text) else { return Ok(()) };
            prop_assert_eq!(doc.to_string(), text.strip_prefix('\u{feff}').unwrap_or(&text));
            for op in &ops {
                apply(&mut doc, op);
                let again = Document::parse(&doc.to_string()).expect("editor output parses");
                prop_assert_eq!(&again, &doc);
            }
            prop_assert!(t.elapsed().as_secs() < 2);
        }

        /// Any text that parses is written back byte for byte.
        #[test]
        fn parsed_text_is_kept_byte_for_byte(text in "(\\[(DEFAULT|env|container#[12])\\]\n|[a-z]{1,5} ?= ?[ -~]{0,10}\n|[#;][ -~]{0,10}\n|  [a-z ]{1,8}\n|\n){0,30}") {
            if let Ok(doc) = Document::parse(&text) {
                prop_assert_eq!(doc.to_string(), text);
            }
        }
    }
}
