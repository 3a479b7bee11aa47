//! Dynamic values for shell completion (clap_complete's engine calls `om`
//! at each TAB with `COMPLETE=<shell>`): service paths, and the rids,
//! keywords, subsets and tags of the service named on the line, and the
//! values after `KEY=` where they are known. They read the config root
//! only, so a TAB costs a few milliseconds; the one exception is `image=`,
//! whose values are the engine's local images (one query, bound, nothing
//! offered when the engine can not be asked).

use crate::config::ini::Document;
use crate::config::keywords::{
    lookup, section_kind, subset_name, Scope, SectionKind, Support, ValueType, CONTAINER_GROUP,
    KEYWORDS,
};
use crate::host::Host;
use crate::paths::{list_services, SvcPath};
use crate::units::split_words;
use clap_complete::engine::CompletionCandidate;
use std::ffi::OsStr;

/// Which values an argument completes to (`cli::completion_command`
/// attaches them by the argument's name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Values {
    Services,
    ObjectKeys,
    KeywordNames,
    KeywordAssignments,
    Rids,
    Tags,
    Subsets,
    Nodes,
    /// The docker passthrough's words: `{container#N}` references.
    DockerArgs,
}

/// How long `image=` waits for the engine's list of images.
const IMAGES_BOUND: std::time::Duration = std::time::Duration::from_secs(2);

/// What completion knows of the world: the host as `main` read it (none
/// when its environment is bad: nothing is offered then), and the command
/// line being completed (`om -- om WORD…`).
#[derive(Debug)]
pub struct Site {
    pub host: Option<Host>,
    pub line: Vec<String>,
}

impl Site {
    /// The candidates of `which` for the word `current`.
    pub fn values(&self, which: Values, current: &OsStr) -> Vec<CompletionCandidate> {
        match which {
            Values::Services => self.services(current),
            Values::ObjectKeys => self.object_keys(current),
            Values::KeywordNames => self.keywords(current, ""),
            Values::KeywordAssignments => self.keywords(current, "="),
            Values::Rids => self.rids(current),
            Values::Tags => self.tags(current),
            Values::Subsets => self.subsets(current),
            Values::Nodes => self.node_names(current),
            Values::DockerArgs => self.references(current),
        }
    }

    /// The first word: every service path, `ls` and `mon`.
    fn services(&self, current: &OsStr) -> Vec<CompletionCandidate> {
        let Some(host) = &self.host else {
            return Vec::new();
        };
        // a root it can not read offers nothing: the command then says why
        let mut words: Vec<String> = list_services(&host.roots)
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .chain(
                crate::objects::list(&host.roots)
                    .unwrap_or_default()
                    .iter()
                    .map(ToString::to_string),
            )
            .collect();
        words.push("ls".into());
        words.push("mon".into());
        matching(current, words)
    }

    /// The service named on the command line being completed: the engine runs
    /// `om -- om SELECTOR …`, so it is the word after the second `om`.
    fn line_service(&self) -> Option<Document> {
        let path = SvcPath::parse(self.line_selector()?).ok()?;
        let host = self.host.as_ref()?;
        crate::config::read_document(&path, &host.roots).ok()
    }

    /// The selector of the command line being completed (`om -- om SELECTOR
    /// …`: the word after the second `om`).
    fn line_selector(&self) -> Option<&str> {
        let mut args = self.line.iter().skip_while(|a| *a != "--");
        args.nth(2).map(String::as_str)
    }

    fn rids(&self, current: &OsStr) -> Vec<CompletionCandidate> {
        let Some(doc) = self.line_service() else {
            return Vec::new();
        };
        let mut words = container_rids(&doc);
        words.push(CONTAINER_GROUP.into());
        let ips = ip_rids(&doc);
        if !ips.is_empty() {
            words.extend(ips);
            words.push(crate::config::keywords::IP_GROUP.into());
        }
        let volumes = crate::config::service::rids_of(&doc, SectionKind::Volume);
        if !volumes.is_empty() {
            words.extend(volumes.into_iter().map(String::from));
            words.push(crate::config::keywords::VOLUME_GROUP.into());
        }
        matching(current, words)
    }

    /// `RID.KEYWORD` (or `KEYWORD` for DEFAULT), with `=` for `set`; after
    /// `=`, the keyword's values where they are known.
    fn keywords(&self, current: &OsStr, suffix: &str) -> Vec<CompletionCandidate> {
        let doc = self.line_service().unwrap_or_default();
        let typed = unescape(&current.to_string_lossy());
        if let Some((key, _)) = typed.split_once('=').filter(|_| suffix == "=") {
            let words = self
                .values_of(&doc, key)
                .into_iter()
                .map(|v| format!("{key}={v}"));
            return matching(current, words);
        }
        let mut words = Vec::new();
        let supported = KEYWORDS.iter().filter(|k| k.support != Support::Ignored);
        for kw in supported {
            match kw.scope {
                Scope::Default => words.push(format!("{}{suffix}", kw.name)),
                Scope::Container => words.extend(
                    container_rids(&doc)
                        .iter()
                        .map(|r| format!("{r}.{}{suffix}", kw.name)),
                ),
                Scope::Ip => words.extend(
                    ip_rids(&doc)
                        .iter()
                        .map(|r| format!("{r}.{}{suffix}", kw.name)),
                ),
                Scope::Sync => words.extend(
                    doc.section_names()
                        .filter(|s| section_kind(s) == Some(SectionKind::Sync))
                        .map(|s| format!("{s}.{}{suffix}", kw.name)),
                ),
                Scope::Volume => words.extend(
                    crate::config::service::rids_of(&doc, SectionKind::Volume)
                        .iter()
                        .map(|r| format!("{r}.{}{suffix}", kw.name)),
                ),
                Scope::Subset => words.extend(
                    doc.section_names()
                        .filter(|s| section_kind(s) == Some(SectionKind::Subset))
                        .map(|s| format!("{s}.{}{suffix}", kw.name)),
                ),
                Scope::Disk | Scope::Fs => {
                    let kind = if kw.scope == Scope::Disk {
                        SectionKind::Disk
                    } else {
                        SectionKind::Fs
                    };
                    words.extend(
                        crate::config::service::rids_of(&doc, kind)
                            .iter()
                            .map(|r| format!("{r}.{}{suffix}", kw.name)),
                    );
                }
            }
        }
        words.extend(doc.entries("env").map(|(k, _)| format!("env.{k}{suffix}")));
        matching(current, words)
    }

    /// The values of the keyword `key` (`RID.KW`, `KW` for DEFAULT; `+`/`-`
    /// of `+=`/`-=` included) that are known: a boolean's, a choice's, the
    /// other containers of the service for a namespace, the engine's local
    /// images for an image. None for the others.
    fn values_of(&self, doc: &Document, key: &str) -> Vec<String> {
        let name = key.trim_end_matches(['+', '-']);
        let (section, name) = name.split_once('.').unwrap_or(("DEFAULT", name));
        let Some(kw) = section_kind(section).and_then(|k| lookup(&k, name)) else {
            return Vec::new();
        };
        match kw.kind {
            ValueType::Bool => vec!["true".into(), "false".into()],
            ValueType::Choice(c) => c
                .iter()
                .filter(|c| !c.is_empty())
                .map(|c| (*c).into())
                .collect(),
            ValueType::Namespace => container_rids(doc)
                .into_iter()
                .filter(|r| r != section)
                .collect(),
            ValueType::Image => self.local_images(),
            _ => Vec::new(),
        }
    }

    /// The local images of the engine the service on the line runs on (its
    /// private daemon's, else the host's; the host's for a service not
    /// created yet); nothing when that engine, or the config that names
    /// it, can not be read (completion prints no error: the shell would
    /// show it as a value).
    fn local_images(&self) -> Vec<String> {
        let (Some(host), Some(selector)) = (&self.host, self.line_selector()) else {
            return Vec::new();
        };
        let Ok(path) = SvcPath::parse(selector) else {
            return Vec::new();
        };
        let file = path.conf_file(&host.roots);
        let engine = match crate::fsutil::found(&file, std::fs::symlink_metadata(&file)) {
            Ok(None) => crate::docker::Engine::host(&host.docker),
            Ok(Some(_)) => match crate::config::load_quiet(&path, host) {
                Ok(svc) => crate::docker::daemon::engine_of(&svc, host),
                Err(_) => return Vec::new(),
            },
            Err(_) => return Vec::new(),
        };
        engine.image_names(IMAGES_BOUND).unwrap_or_default()
    }

    /// A `{container#N}` reference of the docker passthrough, after the
    /// last unclosed `{` of the word (`{container#`, `name={co`); at the
    /// start of a word, `{instances}` and `{images}` too (whole-argument
    /// references only).
    fn references(&self, current: &OsStr) -> Vec<CompletionCandidate> {
        let typed = unescape(&current.to_string_lossy());
        let Some(open) = typed.rfind('{').filter(|i| !typed[*i..].contains('}')) else {
            return Vec::new();
        };
        let Some(doc) = self.line_service() else {
            return Vec::new();
        };
        let before = &typed[..open];
        let mut words: Vec<String> = container_rids(&doc)
            .iter()
            .map(|r| format!("{before}{{{r}}}"))
            .collect();
        if before.is_empty() {
            words.extend(crate::substitute::WHOLE_REFERENCES.map(String::from));
        }
        matching(current, words)
    }

    fn subsets(&self, current: &OsStr) -> Vec<CompletionCandidate> {
        let Some(doc) = self.line_service() else {
            return Vec::new();
        };
        let mut words: Vec<String> = doc
            .section_names()
            .filter_map(subset_name)
            .map(String::from)
            .collect();
        words.extend(
            all_rids(&doc)
                .iter()
                .filter_map(|r| doc.get(r, "subset").map(String::from)),
        );
        matching(current, words)
    }

    fn tags(&self, current: &OsStr) -> Vec<CompletionCandidate> {
        let Some(doc) = self.line_service() else {
            return Vec::new();
        };
        let words = all_rids(&doc)
            .iter()
            .filter_map(|r| doc.get(r, "tags"))
            .flat_map(|t| split_words(t).unwrap_or_default())
            .collect::<Vec<_>>();
        matching(current, words)
    }

    /// The keys of the secret or config on the line (`decode`, `change`,
    /// `remove --key`).
    fn object_keys(&self, current: &OsStr) -> Vec<CompletionCandidate> {
        let Some(selector) = self.line_selector() else {
            return Vec::new();
        };
        let (Some(Ok(path)), Some(host)) = (crate::objects::ObjPath::parse(selector), &self.host)
        else {
            return Vec::new();
        };
        let Ok(obj) = crate::objects::Object::load(&path, &host.roots) else {
            return Vec::new();
        };
        matching(current, obj.keys().into_iter().map(String::from))
    }

    /// The nodes of the service on the line (`switch --to`, `docker --node`):
    /// its `nodes` then its `drpnodes`, in the config's order.
    fn node_names(&self, current: &OsStr) -> Vec<CompletionCandidate> {
        let Some(doc) = self.line_service() else {
            return Vec::new();
        };
        let here = self
            .host
            .as_ref()
            .map(|h| h.node.clone())
            .unwrap_or_default();
        let words = node_words(
            doc.get("DEFAULT", "nodes"),
            doc.get("DEFAULT", "drpnodes"),
            &here,
        );
        let current = unescape(&current.to_string_lossy());
        words
            .into_iter()
            .filter(|w| w.starts_with(current.as_str()))
            .map(CompletionCandidate::new)
            .collect()
    }
}

/// The word as typed, without the shell's escapes: zsh and fish hand over
/// `container\#1.` once the `#` was completed, and it must still match.
fn unescape(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

fn matching(current: &OsStr, words: impl IntoIterator<Item = String>) -> Vec<CompletionCandidate> {
    let current = unescape(&current.to_string_lossy());
    let mut out: Vec<String> = words
        .into_iter()
        .filter(|w| w.starts_with(current.as_str()))
        .collect();
    out.sort();
    out.dedup();
    out.into_iter().map(CompletionCandidate::new).collect()
}

fn container_rids(doc: &Document) -> Vec<String> {
    crate::config::service::container_rids(doc)
        .into_iter()
        .map(String::from)
        .collect()
}

fn ip_rids(doc: &Document) -> Vec<String> {
    crate::config::service::rids_of(doc, SectionKind::Ip)
        .into_iter()
        .map(String::from)
        .collect()
}

/// The resources of every kind.
fn all_rids(doc: &Document) -> Vec<String> {
    let mut rids = container_rids(doc);
    rids.extend(ip_rids(doc));
    rids
}

/// The words of `nodes` then `drpnodes` as written (not evaluated: a word
/// with a `{reference}` is left out), each once; this node when `nodes`
/// is not set (its default).
fn node_words(nodes: Option<&str>, drpnodes: Option<&str>, here: &str) -> Vec<String> {
    let words = |v: Option<&str>| v.map(|v| split_words(v).unwrap_or_default());
    let mut all = words(nodes).unwrap_or_else(|| vec![here.to_string()]);
    all.extend(words(drpnodes).unwrap_or_default());
    let mut out: Vec<String> = Vec::new();
    for w in all {
        if !w.is_empty() && !w.contains('{') && !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_escapes_are_undone() {
        assert_eq!(unescape("container\\#1.im"), "container#1.im");
        assert_eq!(unescape("a\\\\b"), "a\\b");
        assert_eq!(unescape("plain"), "plain");
    }

    #[test]
    fn node_names_are_nodes_then_drpnodes_as_written() {
        assert_eq!(
            node_words(Some("n1 n2"), Some("n3 n1"), "here"),
            ["n1", "n2", "n3"]
        );
        // references are not evaluated: left out
        assert_eq!(
            node_words(Some("{env.primary} n2"), Some("{nodes}"), "here"),
            ["n2"]
        );
        // nodes unset: this node, its default
        assert_eq!(node_words(None, Some("n3"), "here"), ["here", "n3"]);
        assert_eq!(node_words(None, None, ""), Vec::<String>::new());
    }
}
