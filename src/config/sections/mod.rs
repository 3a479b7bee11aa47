//! A resource's section, read for this node: the `Section` reader over
//! the evaluator's values (each error naming its `RID.KEY`), the head every
//! kind has (`head`), and one parser per kind (`container`, `ip`), each
//! turning its section into the kind's typed struct (`model::Container`,
//! `model::Ip`) in both modes of the reader (`read::Mode`): whole, or as far
//! as a stop needs it. `read` calls them, section by section.

pub mod container;
pub mod disk;
pub mod fs;
pub mod ip;
pub mod sync;
pub mod volume;

use super::eval::Evaluator;
use super::operand;
use crate::error::{Error, Result};
use crate::model::Require;
use crate::units::{parse_bool, parse_duration, split_words};
use std::borrow::Cow;
use std::time::Duration;

/// A section's values, as the evaluator gives them for this node.
pub(super) struct Section<'g, 'a> {
    pub(super) eval: &'g Evaluator<'a>,
    pub(super) rid: &'g str,
}

impl<'a> Section<'_, 'a> {
    /// The error of `RID.KEY`.
    pub(super) fn error(&self, key: &str, why: impl ToString) -> Error {
        Error::config(format!("{}.{key}", self.rid), why.to_string())
    }

    /// The value of `key`, expanded (its default when unset).
    pub(super) fn value(&self, key: &str) -> Result<Option<Cow<'a, str>>> {
        self.eval
            .value(self.rid, key)
            .map_err(|e| self.error(key, e))
    }

    /// A value that is set and not empty.
    pub(super) fn set(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .value(key)?
            .filter(|v| !v.is_empty())
            .map(Cow::into_owned))
    }

    pub(super) fn flag(&self, key: &str) -> Result<bool> {
        match self.value(key)?.as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => parse_bool(other).map_err(|e| self.error(key, e)),
        }
    }

    pub(super) fn words(&self, key: &str) -> Result<Vec<String>> {
        self.value(key)?
            .map(|v| split_words(&v).map_err(|e| self.error(key, e)))
            .unwrap_or(Ok(Vec::new()))
    }

    pub(super) fn duration(&self, key: &str) -> Result<Option<Duration>> {
        self.value(key)?
            .map(|v| parse_duration(&v).map_err(|e| self.error(key, e)))
            .transpose()
    }

    /// A value checked by `check`; an empty value is unset.
    pub(super) fn operand(
        &self,
        key: &str,
        check: fn(&str) -> operand::Checked,
    ) -> Result<Option<String>> {
        self.set(key)?
            .map(|v| check(&v).map(|()| v).map_err(|e| self.error(key, e)))
            .transpose()
    }

    /// For a stop: the value, or none when it does not read.
    pub(super) fn readable(&self, key: &str) -> Option<String> {
        self.eval.get(self.rid, key).ok().flatten()
    }

    /// For a stop: the flag, or `default` when it does not read.
    pub(super) fn readable_flag(&self, key: &str, default: bool) -> bool {
        self.readable(key)
            .and_then(|v| parse_bool(&v).ok())
            .unwrap_or(default)
    }
}

/// The rids of the service, for the checks of a section that names
/// another: whether a rid is one (`known`), and them all for a message.
pub(super) struct Rids<'r> {
    pub(super) known: &'r dyn Fn(&str) -> bool,
    pub(super) all: &'r dyn Fn() -> String,
}

/// What every resource's section has (its head), whatever its kind; its
/// triggers and limits are read by the caller, when it sets some.
fn head(sec: &Section, rids: &Rids) -> Result<crate::model::Head> {
    let rid = sec.rid;
    let requires = |key: &str| -> Result<Vec<Require>> {
        sec.words(key)?
            .iter()
            .map(|w| {
                let r = parse_require(w, rids).map_err(|e| sec.error(key, e))?;
                if r.rid == rid {
                    return Err(sec.error(key, format!("'{w}': a resource can not require itself")));
                }
                Ok(r)
            })
            .collect()
    };
    Ok(crate::model::Head {
        rid: rid.into(),
        disable: sec.flag("disable")?,
        optional: sec.flag("optional")?,
        standby: sec.flag("standby")?,
        tags: sec.words("tags")?,
        subset: sec.operand("subset", operand::subset)?,
        triggers: Default::default(),
        start_requires: requires("start_requires")?,
        stop_requires: requires("stop_requires")?,
        limits: Default::default(),
    })
}

/// The head as far as a stop needs it: its flags and subset, read as far
/// as they read (a config that does not validate runs no trigger and sets
/// no limit).
fn head_for_stop(sec: &Section) -> crate::model::Head {
    crate::model::Head {
        rid: sec.rid.into(),
        disable: sec.readable_flag("disable", false),
        optional: sec.readable_flag("optional", false),
        standby: sec.readable_flag("standby", false),
        subset: sec
            .readable("subset")
            .filter(|s| operand::subset(s).is_ok()),
        ..Default::default()
    }
}

/// Why a `RID(STATE,…)` word is not a requirement of this service.
#[derive(Debug)]
enum BadRequire {
    Shape(String),
    NoSuch {
        word: String,
        rid: String,
        all: String,
    },
    State {
        word: String,
        state: String,
    },
}

impl std::fmt::Display for BadRequire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadRequire::Shape(word) => write!(f, "'{word}': expected RID(STATE,...)"),
            BadRequire::NoSuch { word, rid, all } => {
                write!(f, "'{word}': no such resource {rid} (rids: {all})")
            }
            BadRequire::State { word, state } => {
                write!(
                    f,
                    "'{word}': '{state}' is not a state (up, down, warn, n/a)"
                )
            }
        }
    }
}

/// A requirement word; why not, with the rids of the service.
fn parse_require(word: &str, rids: &Rids) -> std::result::Result<Require, BadRequire> {
    let (rid, states) = match word.split_once('(') {
        Some((rid, rest)) => {
            let inner = rest
                .strip_suffix(')')
                .ok_or_else(|| BadRequire::Shape(word.into()))?;
            let states: Vec<String> = inner.split(',').map(|s| s.trim().to_string()).collect();
            (rid, states)
        }
        None => (word, vec!["up".to_string()]),
    };
    if !(rids.known)(rid) {
        return Err(BadRequire::NoSuch {
            word: word.into(),
            rid: rid.into(),
            all: (rids.all)(),
        });
    }
    if let Some(s) = states
        .iter()
        .find(|s| !["up", "down", "warn", "n/a"].contains(&s.as_str()))
    {
        return Err(BadRequire::State {
            word: word.into(),
            state: s.clone(),
        });
    }
    Ok(Require {
        rid: rid.to_string(),
        states,
    })
}
