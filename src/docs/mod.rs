//! The man pages and completion scripts, generated from the clap
//! definitions and the keyword table. `om __gen-docs DIR` writes them
//! (`scripts/gen-docs`); a test fails when the committed copies drift.

use crate::cli::{LsCli, OcfCli};
use crate::config::keywords::{Scope, Support, ValueType, CONTAINER_GROUP, KEYWORDS};
use clap::CommandFactory;
use clap_complete::env::{EnvCompleter, Fish};
use clap_mangen::roff::{bold, italic, roman, Roff};
use clap_mangen::Man;

mod om_page;
mod pages;

/// Every generated file: its path under the project root and its text.
pub fn files() -> Vec<(String, String)> {
    let mut out = man_pages();
    out.push(("man/om.conf.5".into(), conf_page()));
    out.extend(completions());
    out
}

fn render(man: &Man, extra: Option<&Roff>) -> String {
    let mut buf = Vec::new();
    // The sections clap_mangen knows, without its generic EXTRA section:
    // om.1 has its own EXIT STATUS, FILES, ENVIRONMENT and EXAMPLES.
    let _ = man.render_title(&mut buf);
    let _ = man.render_name_section(&mut buf);
    let _ = man.render_synopsis_section(&mut buf);
    let _ = man.render_description_section(&mut buf);
    let _ = man.render_options_section(&mut buf);
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    if let Some(extra) = extra {
        text.push_str(&extra.to_roff());
    }
    text
}

fn man_pages() -> Vec<(String, String)> {
    let mut cli = crate::cli::command();
    cli.build();
    let mut out = vec![(
        "man/om.1".to_string(),
        render(&Man::new(cli.clone()), Some(&om_page::om_sections(&cli))),
    )];
    let ls = LsCli::command().name("om-ls").bin_name("om ls");
    out.push(("man/om-ls.1".into(), command_page(&ls, "ls")));
    let mon = crate::cli::MonCli::command()
        .name("om-mon")
        .bin_name("om mon");
    out.push(("man/om-mon.1".into(), command_page(&mon, "mon")));
    let ocf = OcfCli::command().name("om-ocf").bin_name("om ocf");
    out.push(("man/om-ocf.1".into(), command_page(&ocf, "ocf")));
    subcommand_pages(&cli, "om", "om SELECTOR", &mut out);
    out.sort();
    out
}

/// `om-start.1`, `om-print-status.1`, …: one page per command.
fn subcommand_pages(
    parent: &clap::Command,
    name: &str,
    bin: &str,
    out: &mut Vec<(String, String)>,
) {
    for sub in parent.get_subcommands().filter(|s| !s.is_hide_set()) {
        let page = format!("{name}-{}", sub.get_name());
        let sub_bin = format!("{bin} {}", sub.get_name());
        let cmd = sub
            .clone()
            .name(page.clone())
            .display_name(page.clone())
            .bin_name(sub_bin.clone());
        let words = sub_bin.trim_start_matches("om SELECTOR ");
        out.push((format!("man/{page}.1"), command_page(&cmd, words)));
        subcommand_pages(sub, &page, &sub_bin, out);
    }
}

/// A command's page: clap's name, synopsis and options, with the
/// DESCRIPTION, EXIT STATUS and EXAMPLES of its entry in `pages` (`words`:
/// the command's words after the selector). A command with no entry gets
/// clap's summary alone, and no EXIT STATUS nor EXAMPLES: a test names it.
fn command_page(cmd: &clap::Command, words: &str) -> String {
    let man = Man::new(cmd.clone());
    let mut buf = Vec::new();
    let _ = man.render_title(&mut buf);
    let _ = man.render_name_section(&mut buf);
    let _ = man.render_synopsis_section(&mut buf);
    let Some(page) = pages::page(words) else {
        let _ = man.render_description_section(&mut buf);
        let _ = man.render_options_section(&mut buf);
        let mut text = String::from_utf8_lossy(&buf).into_owned();
        text.push_str(&see_also(&[]).to_roff());
        return text;
    };
    let mut r = Roff::new();
    r.control("SH", ["DESCRIPTION"]);
    let summary = cmd.get_about().map(ToString::to_string).unwrap_or_default();
    r.text([roman(summary.trim_end_matches('.').to_string() + ".")]);
    for paragraph in page.description {
        r.control("PP", []);
        r.text([roman(*paragraph)]);
    }
    // what --help says after the options: its indented lines (print
    // status's flag legend) as they are, the rest filled, a paragraph each
    if let Some(after) = cmd.get_after_help() {
        let mut verbatim = false;
        for line in after.to_string().lines() {
            let indented = line.starts_with("  ");
            if indented && !verbatim {
                r.control("nf", []);
            } else if !indented {
                if verbatim {
                    r.control("fi", []);
                }
                r.control("PP", []);
            }
            verbatim = indented;
            r.text([roman(line)]);
        }
        if verbatim {
            r.control("fi", []);
        }
    }
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    text.push_str(&r.to_roff());
    let mut buf = Vec::new();
    let _ = man.render_options_section(&mut buf);
    text.push_str(&String::from_utf8_lossy(&buf));
    let mut r = Roff::new();
    r.control("SH", ["EXIT STATUS"]);
    for (code, when) in page.exit {
        para(&mut r, code, when);
    }
    r.control("SH", ["EXAMPLES"]);
    for (line, what) in page.examples {
        para(&mut r, line, what);
    }
    text.push_str(&r.to_roff());
    text.push_str(&see_also(page.description).to_roff());
    text
}

/// om(1), om.conf(5), and the pages `text` names (`om-start(1)`).
fn see_also(text: &[&str]) -> Roff {
    let mut named: Vec<&str> = Vec::new();
    for paragraph in text {
        for (i, _) in paragraph.match_indices("(1)") {
            let start = paragraph[..i]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .map_or(0, |s| s + 1);
            let name = &paragraph[start..i];
            if name.starts_with("om-") && !named.contains(&name) {
                named.push(name);
            }
        }
    }
    let mut r = Roff::new();
    r.control("SH", ["SEE ALSO"]);
    let mut items = vec![bold("om"), roman("(1), "), bold("om.conf"), roman("(5)")];
    for name in named {
        items.push(roman(", "));
        items.push(bold(name));
        items.push(roman("(1)"));
    }
    r.text(items);
    r
}

fn para(r: &mut Roff, tag: &str, text: &str) {
    r.control("TP", []);
    r.text([bold(tag)]);
    r.text([roman(text)]);
}

fn kind_name(kind: ValueType) -> String {
    match kind {
        ValueType::Str | ValueType::Image => "string".into(),
        ValueType::Text => "text (may span lines)".into(),
        ValueType::Bool => "boolean".into(),
        ValueType::Duration => "duration".into(),
        ValueType::Words => "shell words".into(),
        ValueType::Choice(c) => format!(
            "one of: {}",
            c.iter()
                .filter(|c| !c.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ValueType::Namespace => "namespace".into(),
    }
}

/// `om.conf.5`: the config format and every keyword of the one table.
fn conf_page() -> String {
    let mut r = Roff::new();
    conf_description(&mut r);
    keyword_sections(&mut r);
    limits_section(&mut r);
    ignored_section(&mut r);
    r.control("SH", ["SEE ALSO"]);
    r.text([bold("om"), roman("(1)")]);
    r.to_roff()
}

/// om.conf(5)'s title, name and the file's syntax.
fn conf_description(r: &mut Roff) {
    r.control(
        "TH",
        [
            "om.conf",
            "5",
            "",
            &format!("om {}", env!("CARGO_PKG_VERSION")),
            "",
        ],
    );
    r.control("SH", ["NAME"]);
    r.text([roman("om.conf - the configuration of an om service")]);
    r.control("SH", ["DESCRIPTION"]);
    r.text([roman(
        "INI, one section per resource: [DEFAULT] first, [env], [container#N] (type = docker), \
         [ip#N] (type = netns), [disk#N] (type = loop), [fs#N] (type = xfs, ext4, btrfs), [subset#container:NAME]. Keys are case-sensitive; a value continues on following lines \
         that start with whitespace; # and ; start a comment only at the start of a line. \
         key@NODE (NODE: a node name or its first label; or key@nodes, key@drpnodes) scopes a value to a node, and is checked as \
         that node builds the service; id, nodes and drpnodes take no scope. References are expanded when a value \
         is used: {name} {namespace} {path} {nodename} {id} {env.KEY} (an environment \
         variable KEY in upper case overrides the [env] value) and {RID.KEYWORD}, with OpenSVC's older {svcname} and {svcpath} for {name} and {path}; other braces ({}, {a,b}, JSON) and {{...}} templates are kept as they are. Durations: 10, \
         10s, 2m, 1h, 1m30s. Booleans: true/false, yes/no, 1/0.",
    )]);
}

/// One section per scope: each keyword acted on, its type, default, docker
/// flag and help.
fn keyword_sections(r: &mut Roff) {
    for (scope, title) in [
        (Scope::Default, "[DEFAULT] KEYWORDS"),
        (Scope::Container, "[container#N] KEYWORDS (type = docker)"),
        (Scope::Subset, "[subset#container:NAME] KEYWORDS"),
        (Scope::Ip, "[ip#N] KEYWORDS (type = netns)"),
        (Scope::Disk, "[disk#N] KEYWORDS (type = loop)"),
        (Scope::Fs, "[fs#N] KEYWORDS (type = xfs, ext4, btrfs)"),
        (Scope::Sync, "[sync#N] KEYWORDS (type = rsync)"),
        (Scope::Volume, "[volume#N] KEYWORDS (a docker named volume)"),
    ] {
        r.control("SH", [title]);
        for kw in KEYWORDS
            .iter()
            .filter(|k| k.scope == scope && k.support != Support::Ignored)
        {
            r.control("TP", []);
            r.text([bold(kw.name)]);
            let mut facts = vec![kind_name(kw.kind)];
            if let Some(d) = kw.default {
                facts.push(format!("default {d}"));
            }
            if !kw.docker.is_empty() {
                facts.push(format!("docker run: {}", kw.docker));
            }
            r.text([italic(facts.join("; ")), roman(". "), roman(kw.help)]);
        }
    }
}

/// What each pg_* keyword writes, per cgroup version and driver.
fn limits_section(r: &mut Roff) {
    r.control("SH", ["LIMITS"]);
    r.text([roman(
        "The pg_* keywords, on [DEFAULT] (the service's slice), a [subset#container:NAME] \
         section (the subset's slice) or a container section (its own slice): what each \
         writes with docker's cgroupfs driver (the file, under cgroup v1 and v2; om makes \
         the slice directories and writes the files before any container runs in them, \
         each write an action line) and with the systemd driver (systemctl set-property \
         --runtime on the slice unit).",
    )]);
    for (keyword, v1, v2, systemd) in pages::LIMITS {
        r.control("TP", []);
        r.text([bold(*keyword)]);
        r.text([roman(format!(
            "cgroup v1: {v1}; cgroup v2: {v2}; systemd: {systemd}."
        ))]);
    }
}

/// The OpenSVC keywords kept in the file but not acted on.
fn ignored_section(r: &mut Roff) {
    r.control("SH", ["OPENSVC KEYWORDS KEPT BUT NOT ACTED ON"]);
    r.text([roman(
        "om keeps these in the file and om SELECTOR validate config reports them as warnings:",
    )]);
    for kw in KEYWORDS.iter().filter(|k| k.support == Support::Ignored) {
        let section = match kw.scope {
            Scope::Default => "DEFAULT",
            Scope::Container => CONTAINER_GROUP,
            Scope::Subset => "subset",
            Scope::Ip => crate::config::keywords::IP_GROUP,
            Scope::Disk => crate::config::keywords::DISK_GROUP,
            Scope::Fs => crate::config::keywords::FS_GROUP,
            Scope::Sync => crate::config::keywords::SYNC_GROUP,
            Scope::Volume => crate::config::keywords::VOLUME_GROUP,
        };
        r.control("TP", []);
        r.text([bold(format!("{section}.{}", kw.name))]);
        r.text([roman(kw.help)]);
    }
}

fn completions() -> Vec<(String, String)> {
    let shells: [(&str, &dyn EnvCompleter); 3] = [
        ("completions/om.bash", &crate::shells::BASH_WORDS),
        ("completions/_om", &crate::shells::ZSH_WORDS),
        ("completions/om.fish", &Fish),
    ];
    shells
        .iter()
        .map(|(file, shell)| {
            let mut buf = Vec::new();
            let _ = shell.write_registration("COMPLETE", "om", "om", "om", &mut buf);
            (file.to_string(), String::from_utf8_lossy(&buf).into_owned())
        })
        .collect()
}

/// `om __gen-docs DIR`: writes every generated file under DIR.
pub fn write_all(dir: &std::path::Path) -> crate::error::Result<()> {
    use crate::error::Context;
    for (rel, text) in files() {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).context(|| format!("create {}", parent.display()))?;
        }
        std::fs::write(&path, text).context(|| format!("write {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed man/ and completions/ are what the code generates.
    #[test]
    fn committed_docs_match_the_code() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut stale = Vec::new();
        let generated = files();
        for (rel, text) in &generated {
            if std::fs::read_to_string(root.join(rel)).ok().as_deref() != Some(text.as_str()) {
                stale.push(rel.clone());
            }
        }
        for dir in ["man", "completions"] {
            for entry in std::fs::read_dir(root.join(dir))
                .into_iter()
                .flatten()
                .flatten()
            {
                let rel = format!("{dir}/{}", entry.file_name().to_string_lossy());
                if !generated.iter().any(|(g, _)| *g == rel) {
                    stale.push(format!("{rel} (not generated any more)"));
                }
            }
        }
        assert!(
            stale.is_empty(),
            "run scripts/gen-docs; these drifted: {stale:?}"
        );
    }

    /// Every command's page says what it does, how it exits and how it is
    /// used (DESCRIPTION beyond clap's summary, EXIT STATUS, EXAMPLES), and
    /// om-status(1) lists its code 4 and what it means.
    #[test]
    fn every_command_page_has_a_description_exit_status_and_examples() {
        let files = files();
        let mut cli = crate::cli::command();
        cli.build();
        let mut words = vec!["ls".to_string(), "mon".to_string(), "ocf".to_string()];
        fn walk(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                let w = format!("{prefix}{}", sub.get_name());
                out.push(w.clone());
                walk(sub, &format!("{w} "), out);
            }
        }
        walk(&cli, "", &mut words);
        let mut missing = Vec::new();
        for w in &words {
            let file = format!("man/om-{}.1", w.replace(' ', "-"));
            let page = &files
                .iter()
                .find(|(f, _)| *f == file)
                .unwrap_or_else(|| panic!("no {file}"))
                .1;
            let sections: Vec<&str> = page
                .lines()
                .filter_map(|l| l.strip_prefix(".SH "))
                .collect();
            let has = |s: &str| sections.iter().any(|x| x.trim_matches('"') == s);
            // a description of its own: at least one paragraph past the summary
            let described = page
                .split(".SH DESCRIPTION")
                .nth(1)
                .and_then(|d| d.split(".SH ").next())
                .is_some_and(|d| d.contains(".PP"));
            if !(described && has("EXIT STATUS") && has("EXAMPLES")) {
                missing.push(format!("{file} ({w})"));
            }
        }
        assert!(
            missing.is_empty(),
            "these pages lack a DESCRIPTION, an EXIT STATUS or EXAMPLES (add their entry to src/docs/pages.rs): {missing:?}"
        );
        for page in pages::PAGES {
            assert!(
                words.iter().any(|w| w == page.words),
                "src/docs/pages.rs has a page for '{}', which is no command",
                page.words
            );
        }
        let status = &files
            .iter()
            .find(|(f, _)| f == "man/om-status.1")
            .unwrap()
            .1;
        let exit = status.split(".SH \"EXIT STATUS\"").nth(1).unwrap();
        let exit = exit.split(".SH ").next().unwrap();
        for code in ["\\fB0\\fR", "\\fB1\\fR", "\\fB4\\fR"] {
            assert!(exit.contains(code), "om-status(1) lacks {code}:\n{exit}");
        }
        for why in ["not known", "matches nothing", "a node that can not tell"] {
            assert!(
                exit.contains(why),
                "om-status(1) does not say {why:?}:\n{exit}"
            );
        }
    }

    #[test]
    fn every_command_has_a_page_and_every_keyword_is_documented() {
        let files = files();
        for page in [
            "man/om.1",
            "man/om-start.1",
            "man/om-print-status.1",
            "man/om-ls.1",
            "man/om-docker.1",
        ] {
            assert!(files.iter().any(|(f, _)| f == page), "{page}");
        }
        let conf = &files.iter().find(|(f, _)| f == "man/om.conf.5").unwrap().1;
        for kw in KEYWORDS {
            assert!(conf.contains(kw.name), "{}", kw.name);
        }
    }
}
