//! A resource's section, read for this node: the `Section` reader over
//! the evaluator's values, the head every kind has (`head`), and one
//! parser per kind (`container`, `ip`), each turning its section into the
//! kind's typed struct (`model::Container`,
//! `model::Ip`). `build::build_with` calls them, section by section.

pub mod container;
pub mod ip;

use super::operand;
use crate::model::Require;
use crate::units::{parse_bool, parse_duration, split_words};
use std::borrow::Cow;
use std::time::Duration;

pub(super) type Getter<'a> = dyn Fn(&str, &str) -> Result<Option<Cow<'a, str>>, String> + 'a;

/// A section's values, as the evaluator gives them for this node.
pub(super) struct Section<'g, 'a> {
    pub(super) get: &'g Getter<'a>,
    pub(super) rid: &'g str,
}

impl<'a> Section<'_, 'a> {
    fn text(&self, key: &str) -> Result<Option<Cow<'a, str>>, String> {
        (self.get)(self.rid, key)
    }

    fn flag(&self, key: &str) -> Result<bool, String> {
        let v = self.text(key)?;
        match v.as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            other => bool_of(other, &format!("{}.{key}", self.rid)),
        }
    }

    fn words(&self, key: &str) -> Result<Vec<String>, String> {
        self.text(key)?
            .map(|v| split_words(&v).map_err(|e| format!("{}.{key}: {e}", self.rid)))
            .unwrap_or(Ok(Vec::new()))
    }

    fn duration(&self, key: &str) -> Result<Option<Duration>, String> {
        self.text(key)?
            .map(|v| parse_duration(&v).map_err(|e| format!("{}.{key}: {e}", self.rid)))
            .transpose()
    }

    /// A value checked by `check`; an empty value is unset.
    fn operand(
        &self,
        key: &str,
        check: fn(&str) -> Result<(), String>,
    ) -> Result<Option<String>, String> {
        self.text(key)?
            .filter(|v| !v.is_empty())
            .map(|v| {
                check(&v)
                    .map(|()| v.into_owned())
                    .map_err(|e| format!("{}.{key}: {e}", self.rid))
            })
            .transpose()
    }
}

/// What every resource's section has (its head), whatever its kind; its
/// triggers and limits are read by the caller, when it sets some.
/// `known`: whether a rid is one of the service; `rids`: them all, for a
/// message.
fn head(
    sec: &Section,
    known: &dyn Fn(&str) -> bool,
    rids: &dyn Fn() -> String,
) -> Result<crate::model::Head, String> {
    let rid = sec.rid;
    let requires = |key: &str| -> Result<Vec<Require>, String> {
        sec.words(key)?
            .iter()
            .map(|w| {
                let r = parse_require(w, known, rids).map_err(|e| format!("{rid}.{key}: {e}"))?;
                if r.rid == rid {
                    return Err(format!(
                        "{rid}.{key}: '{w}': a resource can not require itself"
                    ));
                }
                Ok(r)
            })
            .collect()
    };
    Ok(crate::model::Head {
        rid: rid.into(),
        disable: sec.flag("disable")?,
        optional: sec.flag("optional")?,
        tags: sec.words("tags")?,
        subset: sec.operand("subset", operand::subset)?,
        triggers: Default::default(),
        start_requires: requires("start_requires")?,
        stop_requires: requires("stop_requires")?,
        limits: Default::default(),
    })
}

/// A requirement word; why not, with the rids of the service.
pub fn parse_require(
    word: &str,
    known: &dyn Fn(&str) -> bool,
    rids: &dyn Fn() -> String,
) -> Result<Require, String> {
    let (rid, states) = match word.split_once('(') {
        Some((rid, rest)) => {
            let inner = rest
                .strip_suffix(')')
                .ok_or_else(|| format!("'{word}': expected RID(STATE,...)"))?;
            let states: Vec<String> = inner.split(',').map(|s| s.trim().to_string()).collect();
            (rid, states)
        }
        None => (word, vec!["up".to_string()]),
    };
    if !known(rid) {
        return Err(format!(
            "'{word}': no such resource {rid} (rids: {})",
            rids()
        ));
    }
    for s in &states {
        if !["up", "down", "warn", "n/a"].contains(&s.as_str()) {
            return Err(format!(
                "'{word}': '{s}' is not a state (up, down, warn, n/a)"
            ));
        }
    }
    Ok(Require {
        rid: rid.to_string(),
        states,
    })
}

pub(super) fn bool_of(v: Option<&str>, what: &str) -> Result<bool, String> {
    v.map_or(Ok(false), |v| {
        parse_bool(v).map_err(|e| format!("{what}: {e}"))
    })
}
