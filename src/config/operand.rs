//! Docker's grammar for the words om places where docker expects an
//! operand or a name (SPEC 7): a value docker would read as an option
//! (`image = --privileged`), or that leaves its tree (`subset = ../x`), is
//! a config error naming the key, before any docker command is built.

use regex::Regex;
use std::fmt;
use std::sync::OnceLock;

/// Why a word is not the operand its place takes (the key is the
/// caller's to name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// `'VALUE' is not WHAT`.
    Not { value: String, what: &'static str },
    /// A node named as a node list (`nodes`, `drpnodes`).
    ListName(String),
    /// An `environment` word without `=`.
    BareKey(String),
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Not { value, what } => write!(f, "'{}' is not {what}", value.escape_debug()),
            Refused::ListName(v) => {
                write!(f, "'{v}' is not a node name: `KEY@{v}` names the {v} list")
            }
            Refused::BareKey(v) => write!(
                f,
                "'{}' is not KEY=VALUE (a bare KEY would copy om's own environment variable into the container)",
                v.escape_debug()
            ),
        }
    }
}

/// An operand check's answer.
pub type Checked = Result<(), Refused>;

/// `v` matches `pattern` (compiled once into `cell`) and is at most `max`
/// bytes long; else the error says what it should be.
fn check(
    v: &str,
    max: usize,
    cell: &'static OnceLock<Regex>,
    pattern: impl FnOnce() -> String,
    what: &'static str,
) -> Checked {
    let re = cell.get_or_init(|| Regex::new(&pattern()).expect("a valid pattern"));
    if v.len() <= max && re.is_match(v) {
        Ok(())
    } else {
        Err(Refused::Not {
            value: v.to_string(),
            what,
        })
    }
}

/// docker's image reference: `[domain[:port]/]path[:tag][@digest]`
/// (distribution/reference), with lowercase path components.
pub fn image(v: &str) -> Checked {
    static RE: OnceLock<Regex> = OnceLock::new();
    let pattern = || {
        let component = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
        let label = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?";
        let domain = format!(r"{label}(?:\.{label})*(?::[0-9]+)?");
        let digest = r"@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
        format!(
            r"^(?:{domain}/)?{component}(?:/{component})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?(?:{digest})?$"
        )
    };
    check(
        v,
        4096,
        &RE,
        pattern,
        "a docker image reference (e.g. nginx, nginx:1.25, registry:5000/team/app)",
    )
}

/// docker's container name: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn container_name(v: &str) -> Checked {
    static RE: OnceLock<Regex> = OnceLock::new();
    check(
        v,
        255,
        &RE,
        || r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$".into(),
        "a docker container name (letters, digits, '_', '.', '-', starting with a letter or digit)",
    )
}

/// A node name: it becomes the ssh host (never an option: no leading `-`).
pub fn node(v: &str) -> Checked {
    static RE: OnceLock<Regex> = OnceLock::new();
    // `KEY@nodes` and `KEY@drpnodes` scope a value to the lists: a node of
    // either name would make such a scope mean two things
    if matches!(v, "nodes" | "drpnodes") {
        return Err(Refused::ListName(v.to_string()));
    }
    check(
        v,
        253,
        &RE,
        || r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$".into(),
        "a node name (letters, digits, '_', '.', '-', starting with a letter or digit)",
    )
}

/// A docker network name.
pub fn network(v: &str) -> Checked {
    static RE: OnceLock<Regex> = OnceLock::new();
    check(
        v,
        255,
        &RE,
        || r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$".into(),
        "a docker network name (none, host, container#N or a network name)",
    )
}

/// A subset name: it becomes a cgroup directory and a section name, so a
/// plain word (no `/`, no `..`) keeps the cgroup under `/opensvc.slice`.
pub fn subset(v: &str) -> Checked {
    static RE: OnceLock<Regex> = OnceLock::new();
    check(
        v,
        63,
        &RE,
        || r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$".into(),
        "a subset name (letters, digits, '_' and '-', at most 63)",
    )
}

/// `--user`: `name|uid[:group|gid]`.
pub fn user(v: &str) -> Checked {
    static RE: OnceLock<Regex> = OnceLock::new();
    let pattern = || {
        let word = r"[a-zA-Z0-9_][a-zA-Z0-9_.-]*";
        format!(r"^{word}(?::{word})?$")
    };
    check(
        v,
        255,
        &RE,
        pattern,
        "a user (name or uid, optionally :group or :gid)",
    )
}

/// `--hostname`: an RFC 1123 host name.
pub fn hostname(v: &str) -> Checked {
    static RE: OnceLock<Regex> = OnceLock::new();
    let pattern = || {
        let label = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?";
        format!(r"^{label}(?:\.{label})*$")
    };
    check(v, 253, &RE, pattern, "a host name")
}

/// `environment` words are `KEY=VALUE`: a bare `KEY` would make docker copy
/// om's own variable of that name into the container.
pub fn env_word(v: &str) -> Checked {
    match v.split_once('=') {
        Some((key, _)) if !key.is_empty() && !key.contains(char::is_whitespace) => Ok(()),
        _ => Err(Refused::BareKey(v.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        for ok in [
            "nginx",
            "nginx:1.25",
            "om-test/busybox",
            "127.0.0.1:5000/om-test/busybox:latest",
            "registry.example.com/a/b_c__d:v1.0-x",
            "localhost/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(image(ok).is_ok(), "{ok}");
        }
        for bad in [
            "--privileged",
            "-x",
            "",
            "Nginx",
            "a b",
            "a\nb",
            "a\0b",
            "x/../y",
            "../x",
            "a:",
            "nginx:-1",
        ] {
            assert!(image(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_networks_subsets_users() {
        assert!(container_name("svc1.container.1").is_ok());
        assert!(container_name("ns1..web.container.1").is_ok());
        for bad in ["--help", "-x", "a", "a b", "a/b", ""] {
            assert!(container_name(bad).is_err(), "{bad}");
        }
        assert!(network("bridge").is_ok());
        assert!(network("--privileged").is_err());
        assert!(subset("web").is_ok());
        for bad in ["../../../../../escape", "a/b", "..", "-x", "a.b", ""] {
            assert!(subset(bad).is_err(), "{bad}");
        }
        assert!(user("1000:1000").is_ok());
        assert!(user("www-data").is_ok());
        assert!(user("-u").is_err());
        assert!(user("a b").is_err());
        assert!(hostname("web-1.example").is_ok());
        assert!(hostname("-h").is_err());
    }

    #[test]
    fn environment_words() {
        assert!(env_word("A=1").is_ok());
        assert!(env_word("A=").is_ok());
        assert!(env_word("NOEQ").is_err());
        assert!(env_word("=x").is_err());
    }
}
