//! The layering of `src/` (issue 22; rust-analyzer's `tidy` tests are the
//! model): a file-level import graph read from the `crate::…` and `super::…`
//! paths of non-test code (`use` trees and paths in expressions alike), and
//! three rules on it:
//!
//! - no import circle (files that reach each other through imports);
//! - `src/model/` imports nothing but `model/` itself and the leaf helpers of
//!   [`MODEL_MAY_IMPORT`], and what it reaches through them is in the same
//!   set (checked when `src/model/` exists; it passes when it does not);
//! - no command (`commands/X.rs` with its folder `commands/X/`) imports
//!   another command or `commands/mod.rs`; `commands/mod.rs` may reach them
//!   all (it dispatches).
//!
//! What breaks the rules today is written down in [`KNOWN_CIRCLES`] and
//! [`KNOWN_COMMAND_IMPORTS`]; the test fails on anything else, and on an
//! entry that is no longer true ("remove it from the list"), so the lists
//! can only shrink. The redesign empties them.
//!
//! A path is resolved to the deepest module file it names (`crate::a::b::f`
//! is `src/a/b.rs` when it exists, else `src/a.rs` or `src/a/mod.rs`);
//! `#[cfg(test)]` items, comments and string literals are not read; paths to
//! the crate root (`main.rs`) are not edges. Paths relative to the current
//! module (`use child::x`, `self::…`) are not read either: they point down.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What `src/model/` may import besides itself: leaf helpers (the first
/// segment of their module path), which import only each other.
/// `paths` (a service's path, `SvcPath`), with the `fsutil` it reads
/// directories through, and `nodename` (what names this node) are leaves
/// too: they import nothing but each other and `error`.
const MODEL_MAY_IMPORT: &[&str] = &[
    "units", "hash", "secret", "error", "text", "paths", "fsutil", "nodename",
];

/// The import circles of `src/` the test tolerates (each the set of its
/// files): none since issue 22's one action path (`action/`, `nodes/`).
const KNOWN_CIRCLES: &[&[&str]] = &[];

/// The commands that may import another command (or `commands/mod.rs`):
/// (importer file, imported file). None since issue 22: what commands
/// share lives below them (`action/`, `nodes/`, `status/`, `output.rs`).
const KNOWN_COMMAND_IMPORTS: &[(&str, &str)] = &[];

/// A module path (`["config", "build"]`; the crate root is empty) to its
/// file (`src/config/build.rs`).
type Files = BTreeMap<Vec<String>, String>;

/// Every `.rs` file under `dir`, by module path.
fn module_files(src: &Path) -> Files {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(src, &mut paths);
    let root = src.parent().expect("src has a parent");
    paths
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(src).expect("under src");
            let mut module: Vec<String> = rel
                .with_extension("")
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "main" | "lib")
            ) {
                module.pop();
            }
            let shown = p.strip_prefix(root).expect("under the root");
            (module, shown.to_string_lossy().into_owned())
        })
        .collect()
}

/// The tokens of Rust source that matter for paths: identifiers, `::` and
/// single punctuation characters. Comments, string, char and number
/// literals and lifetimes are skipped.
fn tokens(text: &str) -> Vec<String> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let ident_start = |ch: char| ch.is_alphabetic() || ch == '_';
    let ident_char = |ch: char| ch.is_alphanumeric() || ch == '_';
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if ch == '"' {
            i = skip_string(&c, i + 1);
        } else if ch == '\'' {
            if next == Some('\\') {
                // '\n', '\'', '\u{..}'
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                // a lifetime: its name is read as an identifier
                i += 1;
            }
        } else if ident_start(ch) {
            let start = i;
            while i < c.len() && ident_char(c[i]) {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            let raw = matches!(word.as_str(), "r" | "br" | "cr");
            if raw && matches!(c.get(i), Some('"' | '#')) {
                let mut hashes = 0;
                while c.get(i) == Some(&'#') {
                    hashes += 1;
                    i += 1;
                }
                if c.get(i) == Some(&'"') {
                    i += 1;
                    'raw: while i < c.len() {
                        if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
                            i += 1 + hashes;
                            break 'raw;
                        }
                        i += 1;
                    }
                }
                // r#ident: the identifier follows and is read next
            } else if matches!(word.as_str(), "b" | "c") && c.get(i) == Some(&'"') {
                i = skip_string(&c, i + 1);
            } else {
                out.push(word);
            }
        } else if ch.is_ascii_digit() {
            while i < c.len() && (ident_char(c[i]) || c[i] == '.') {
                i += 1;
            }
        } else if ch == ':' && next == Some(':') {
            out.push("::".into());
            i += 2;
        } else {
            out.push(ch.to_string());
            i += 1;
        }
    }
    out
}

/// The index after the closing quote of a string whose body starts at `i`.
fn skip_string(c: &[char], mut i: usize) -> usize {
    while i < c.len() {
        match c[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// The tokens without the items under `#[cfg(test)]` (a `mod tests { … }`,
/// a `use …;`, a `fn … { … }`).
fn without_tests(toks: Vec<String>) -> Vec<String> {
    const CFG_TEST: [&str; 7] = ["#", "[", "cfg", "(", "test", ")", "]"];
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let is_cfg_test = toks.len() >= i + CFG_TEST.len()
            && toks[i..i + CFG_TEST.len()]
                .iter()
                .zip(CFG_TEST)
                .all(|(t, want)| t == want);
        if is_cfg_test {
            i += CFG_TEST.len();
            let mut depth = 0;
            while i < toks.len() {
                match toks[i].as_str() {
                    "{" => depth += 1,
                    "}" => {
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    ";" if depth == 0 => {
                        i += 1;
                        break;
                    }
                    _ => {}
                }
                i += 1;
            }
        } else {
            out.push(toks[i].clone());
            i += 1;
        }
    }
    out
}

fn is_ident(t: &str) -> bool {
    t.starts_with(|c: char| c.is_alphabetic() || c == '_')
}

/// The paths of a use tree or an expression path whose segments start at
/// `toks[i]`, under `prefix`; and the index after it. `a::b`, `a::{b, c::d}`,
/// `a::*`, `a::{self, b as c}`.
fn tree(toks: &[String], mut i: usize, mut prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    loop {
        match toks.get(i).map(String::as_str) {
            Some("{") => {
                let mut out = Vec::new();
                i += 1;
                while i < toks.len() && toks[i] != "}" {
                    if toks[i] == "," {
                        i += 1;
                        continue;
                    }
                    if toks[i] == "self" || toks[i] == "*" {
                        out.push(prefix.clone());
                        i += 1;
                    } else {
                        let (paths, next) = tree(toks, i, prefix.clone());
                        out.extend(paths);
                        i = next.max(i + 1);
                    }
                    if toks.get(i).is_some_and(|t| t == "as") {
                        i += 2;
                    }
                }
                return (out, i + 1);
            }
            Some("*") => return (vec![prefix], i + 1),
            Some(t) if is_ident(t) => {
                prefix.push(t.to_string());
                i += 1;
                if toks.get(i).is_some_and(|t| t == "::") {
                    i += 1;
                } else {
                    return (vec![prefix], i);
                }
            }
            _ => return (vec![prefix], i),
        }
    }
}

/// The `crate::…` and `super::…` paths of one file of module `module`.
fn paths_of(module: &[String], text: &str) -> Vec<Vec<String>> {
    let toks = without_tests(tokens(text));
    let mut out = Vec::new();
    for i in 0..toks.len() {
        let starts = toks[i] == "crate" || toks[i] == "super";
        let after_colons = i > 0 && toks[i - 1] == "::";
        if !starts || after_colons || toks.get(i + 1).is_none_or(|t| t != "::") {
            continue;
        }
        let mut base: Vec<String> = Vec::new();
        let mut j = i;
        if toks[i] == "super" {
            base = module.to_vec();
            while toks.get(j).is_some_and(|t| t == "super")
                && toks.get(j + 1).is_some_and(|t| t == "::")
            {
                base.pop();
                j += 2;
            }
        } else {
            j += 2;
        }
        out.extend(tree(&toks, j, base).0);
    }
    out
}

/// The module file a path names: its deepest prefix that is a file.
fn resolve<'a>(files: &'a Files, path: &[String]) -> Option<&'a Vec<String>> {
    (1..=path.len())
        .rev()
        .find_map(|n| files.get_key_value(&path[..n]).map(|(k, _)| k))
}

/// The import graph: each file (as shown, `src/x.rs`) to the files it
/// imports.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files = module_files(src);
    let mut edges = BTreeMap::new();
    for (module, shown) in &files {
        let text = std::fs::read_to_string(src.parent().unwrap().join(shown))
            .unwrap_or_else(|e| panic!("{shown}: {e}"));
        let targets: BTreeSet<String> = paths_of(module, &text)
            .iter()
            .filter_map(|p| resolve(&files, p))
            .filter(|t| *t != module && !t.is_empty())
            .map(|t| files[t].clone())
            .collect();
        edges.insert(shown.clone(), targets);
    }
    edges
}

/// The strongly connected groups of two files or more (Tarjan), each
/// sorted.
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<BTreeSet<String>>,
    }
    impl<'a> Walk<'a> {
        fn strong(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on.insert(v);
            for w in &self.edges[v] {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.strong(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if self.on.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = BTreeSet::new();
                while let Some(w) = self.stack.pop() {
                    self.on.remove(w);
                    group.insert(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    self.out.push(group);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.strong(v);
        }
    }
    walk.out.sort();
    walk.out
}

/// A circle, readably: its files, then each import inside it.
fn show_circle(circle: &BTreeSet<String>, edges: &BTreeMap<String, BTreeSet<String>>) -> String {
    let mut s = format!(
        "circle of {}: {}",
        circle.len(),
        circle.iter().cloned().collect::<Vec<_>>().join(" ")
    );
    for from in circle {
        let inside: Vec<&str> = edges[from]
            .iter()
            .filter(|t| circle.contains(*t))
            .map(String::as_str)
            .collect();
        s += &format!("\n    {from} -> {}", inside.join(", "));
    }
    s
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The failures of the circle rule against `known`, one paragraph each.
fn circle_failures(edges: &BTreeMap<String, BTreeSet<String>>, known: &[&[&str]]) -> Vec<String> {
    let found = circles(edges);
    let known: Vec<BTreeSet<String>> = known
        .iter()
        .map(|c| c.iter().map(|f| f.to_string()).collect())
        .collect();
    let mut failures = Vec::new();
    for circle in &found {
        if known.contains(circle) {
            continue;
        }
        let shown = show_circle(circle, edges);
        match known.iter().find(|k| k.is_superset(circle)) {
            Some(k) => failures.push(format!(
                "a known circle shrank, write the smaller one in KNOWN_CIRCLES in place of {k:?}:\n  {shown}"
            )),
            None => failures.push(format!("a new import circle:\n  {shown}")),
        }
    }
    for k in &known {
        // (one that grew into a larger circle is reported as new above)
        if !found.iter().any(|c| k.is_superset(c) || c.is_superset(k)) {
            failures.push(format!(
                "KNOWN_CIRCLES lists a circle that no longer exists, remove it from the list: {k:?}"
            ));
        }
    }
    failures
}

#[test]
fn src_has_no_import_circle_but_the_known_ones() {
    let edges = graph(&src());
    let failures = circle_failures(&edges, KNOWN_CIRCLES);
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n\n"));
}

/// Is a file of `src/model/`?
fn in_model(file: &str) -> bool {
    file.starts_with("src/model/") || file == "src/model.rs"
}

/// Is a file one of the leaf helpers model may import?
fn is_leaf(file: &str) -> bool {
    let rest = file.trim_start_matches("src/").trim_end_matches(".rs");
    let first = rest.split('/').next().unwrap_or(rest);
    MODEL_MAY_IMPORT.contains(&first)
}

/// What `src/model/` reaches outside itself and its leaves: (the chain of
/// imports from a model file to it).
fn model_failures(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut failures = Vec::new();
    for start in edges.keys().filter(|f| in_model(f)) {
        // breadth first, keeping the way each file was reached
        let mut from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start.as_str()]);
        while let Some(f) = queue.pop_front() {
            for t in &edges[f] {
                if t == start || from.contains_key(t.as_str()) {
                    continue;
                }
                from.insert(t, f);
                if in_model(t) || is_leaf(t) {
                    queue.push_back(t);
                    continue;
                }
                let mut chain = vec![t.as_str()];
                let mut at = t.as_str();
                while let Some(prev) = from.get(at) {
                    chain.push(prev);
                    at = prev;
                    if at == start {
                        break;
                    }
                }
                chain.reverse();
                failures.push(format!(
                    "{t} is above model/ and its leaves ({MODEL_MAY_IMPORT:?}): {}",
                    chain.join(" -> ")
                ));
            }
        }
    }
    failures.sort();
    failures.dedup();
    failures
}

#[test]
fn model_imports_nothing_but_itself_and_its_leaves() {
    let src = src();
    let edges = graph(&src);
    if !src.join("model").exists() && !src.join("model.rs").exists() {
        // nothing to check yet; the rule is proven on a made-up graph below
        return;
    }
    let failures = model_failures(&edges);
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

/// The command a file of `src/commands/` belongs to (`commands/x.rs` and
/// `commands/x/…` are command `x`), None for `commands/mod.rs` and files
/// outside commands/.
fn command_of(file: &str) -> Option<&str> {
    let rest = file.strip_prefix("src/commands/")?;
    if rest == "mod.rs" {
        return None;
    }
    let first = rest.split('/').next().unwrap_or(rest);
    Some(first.trim_end_matches(".rs"))
}

/// The imports from a command to another command or to commands/mod.rs.
fn command_imports(edges: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (from, targets) in edges {
        let Some(cmd) = command_of(from) else {
            continue;
        };
        for t in targets {
            let other_command = command_of(t).is_some_and(|c| c != cmd);
            if other_command || t == "src/commands/mod.rs" {
                out.insert((from.clone(), t.clone()));
            }
        }
    }
    out
}

fn command_failures(
    edges: &BTreeMap<String, BTreeSet<String>>,
    known: &[(&str, &str)],
) -> Vec<String> {
    let found = command_imports(edges);
    let known: BTreeSet<(String, String)> = known
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let mut failures: Vec<String> = found
        .difference(&known)
        .map(|(a, b)| format!("a command imports another: {a} -> {b}"))
        .collect();
    failures.extend(known.difference(&found).map(|(a, b)| {
        format!("KNOWN_COMMAND_IMPORTS lists an import that no longer exists, remove it from the list: {a} -> {b}")
    }));
    failures
}

#[test]
fn no_command_imports_another_but_the_known_ones() {
    let edges = graph(&src());
    let failures = command_failures(&edges, KNOWN_COMMAND_IMPORTS);
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

/// The rules themselves, on made-up files: they can fail.
#[test]
fn the_layering_rules_catch_what_they_claim() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let write = |rel: &str, text: &str| {
        let p = src.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("main.rs", "mod a; mod b; mod model; mod commands; mod units; mod host;\nfn main() { crate::a::f(); }\n");
    // a <-> b through a use group and an expression path; strings,
    // comments and test code do not count
    write("a.rs", "use crate::{b::{self, g as h}, units};\n// crate::host::x\npub fn f() { let _ = \"crate::host::x\"; }\n");
    write(
        "b.rs",
        "pub fn g() { super::a::f() }\n#[cfg(test)]\nmod tests { use crate::host::x; }\n",
    );
    write("units.rs", "pub fn u() {}\n");
    write("host.rs", "pub fn x() {}\n");
    // model: a leaf is fine, host (through another model file) is not
    write("model/mod.rs", "pub mod svc; pub mod kind;\n");
    write("model/svc.rs", "use crate::units::u; use super::kind::K;\n");
    write("model/kind.rs", "pub struct K(crate::host::X);\n");
    write(
        "commands/mod.rs",
        "pub mod start; pub mod stop;\nuse crate::commands::start::run;\n",
    );
    write("commands/start.rs", "use crate::commands::start::sub::y;\n");
    write("commands/list.rs", "use super::stop::halt;\n");
    write(
        "commands/start/sub.rs",
        "use crate::commands::start::run;\n",
    );
    write(
        "commands/stop.rs",
        "pub fn halt() { crate::commands::helper(); }\n",
    );

    let edges = graph(&src);
    assert_eq!(
        edges["src/a.rs"],
        BTreeSet::from(["src/b.rs".to_string(), "src/units.rs".to_string()])
    );
    assert_eq!(edges["src/b.rs"], BTreeSet::from(["src/a.rs".to_string()]));
    let shown: Vec<String> = circles(&edges)
        .iter()
        .map(|c| show_circle(c, &edges))
        .collect();
    assert_eq!(
        shown,
        [
            "circle of 2: src/a.rs src/b.rs\n    src/a.rs -> src/b.rs\n    src/b.rs -> src/a.rs",
            "circle of 2: src/commands/start.rs src/commands/start/sub.rs\n    src/commands/start.rs -> src/commands/start/sub.rs\n    src/commands/start/sub.rs -> src/commands/start.rs",
        ]
    );
    // the circle rule: new, known, stale, shrunk
    let f = circle_failures(
        &edges,
        &[&["src/commands/start.rs", "src/commands/start/sub.rs"]],
    );
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].starts_with("a new import circle:\n  circle of 2: src/a.rs src/b.rs"),
        "{f:?}"
    );
    let f = circle_failures(
        &edges,
        &[
            &["src/a.rs", "src/b.rs", "src/units.rs"],
            &["src/commands/start.rs", "src/commands/start/sub.rs"],
            &["src/host.rs", "src/units.rs"],
        ],
    );
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f[0].starts_with("a known circle shrank"), "{f:?}");
    assert!(
        f[1].contains("no longer exists, remove it from the list"),
        "{f:?}"
    );
    // the model rule: through model/kind.rs to host.rs
    assert_eq!(
        model_failures(&edges),
        [
            format!("src/host.rs is above model/ and its leaves ({MODEL_MAY_IMPORT:?}): src/model/kind.rs -> src/host.rs"),
            format!("src/host.rs is above model/ and its leaves ({MODEL_MAY_IMPORT:?}): src/model/svc.rs -> src/model/kind.rs -> src/host.rs"),
        ]
    );
    // the command rule: list -> stop, stop -> mod.rs; not mod.rs -> start,
    // nor start's own folder
    assert_eq!(
        command_failures(&edges, &[("src/commands/stop.rs", "src/commands/mod.rs"), ("src/commands/start.rs", "src/commands/nothing.rs")]),
        [
            "a command imports another: src/commands/list.rs -> src/commands/stop.rs",
            "KNOWN_COMMAND_IMPORTS lists an import that no longer exists, remove it from the list: src/commands/start.rs -> src/commands/nothing.rs",
        ]
    );
}
