//! The rules of the file's lines: how lines read as sections and keys
//! (`index`), what can not be written as a name, and a line's parse error.

use super::{Entry, Section};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// A parse error: what is wrong and on which line (1-based).
#[derive(Debug, PartialEq)]
pub struct ParseError {
    pub line: usize,
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.msg)
    }
}

/// Why `key` can not be written as a key (it would read back as something
/// else: a header, a comment, a continuation, another key), if it can not.
pub fn bad_key(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        Some("is empty")
    } else if key.starts_with(['[', '#', ';']) {
        Some("starts with '[', '#' or ';'")
    } else if key.contains(|c: char| c == '=' || c.is_whitespace() || c.is_control()) {
        Some("contains '=', whitespace or a control character")
    } else {
        None
    }
}

/// Why `name` can not be written as a section header, if it can not.
pub fn bad_section(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if name.contains(|c: char| c == '[' || c == ']' || c.is_whitespace() || c.is_control()) {
        Some("contains '[', ']', whitespace or a control character")
    } else {
        None
    }
}

pub(super) type Index = (Vec<Section>, HashMap<String, usize>);

pub(super) fn index(lines: &[String]) -> Result<Index, ParseError> {
    let mut sections: Vec<Section> = Vec::new();
    let mut by_name = HashMap::new();
    // Whether the previous line was an entry or its continuation.
    let mut in_value = false;
    for (i, raw) in lines.iter().enumerate() {
        let err = |msg: String| ParseError { line: i + 1, msg };
        let line = raw.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            in_value = false;
            continue;
        }
        if line.starts_with(['#', ';']) {
            in_value = false;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let entry = sections
                .last_mut()
                .and_then(|s| s.entries.last_mut())
                .filter(|_| in_value)
                .ok_or_else(|| err("indented line continues no key".into()))?;
            entry.value.push('\n');
            entry.value.push_str(line.trim());
            entry.last = i;
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest
                .trim_end()
                .strip_suffix(']')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| err(format!("bad section header '{line}'")))?;
            if by_name.insert(name.to_string(), sections.len()).is_some() {
                return Err(err(format!("duplicate section [{name}]")));
            }
            sections.push(Section {
                name: name.to_string(),
                header: i,
                entries: Vec::new(),
                by_key: HashMap::new(),
                scoped: HashSet::new(),
            });
            in_value = false;
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| err(format!("expected 'key = value', got '{line}'")))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(err(format!("empty key in '{line}'")));
        }
        let section = sections
            .last_mut()
            .ok_or_else(|| err(format!("key '{key}' is outside any [section]")))?;
        if section
            .by_key
            .insert(key.to_string(), section.entries.len())
            .is_some()
        {
            return Err(err(format!("duplicate key '{key}' in [{}]", section.name)));
        }
        if let Some((name, _)) = key.split_once('@') {
            section.scoped.insert(name.to_string());
        }
        section.entries.push(Entry {
            key: key.to_string(),
            value: value.trim().to_string(),
            first: i,
            last: i,
        });
        in_value = true;
    }
    Ok((sections, by_name))
}
