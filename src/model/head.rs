//! What every resource has, whatever its kind (STYLE.md, "resources are
//! kinds"): its head (rid, flags, subset, requirements, triggers, limits).
//! The plan orders heads. A kind holds its head as its `head` field
//! (`c.head.rid`; `r.head()` for a `Resource`).

use super::limits::Limits;
use super::trigger::Triggers;

/// The part of a resource every kind has.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Head {
    pub rid: Rid,
    pub disable: bool,
    pub optional: bool,
    /// `standby`: started by a start on any node, kept by a stop (unless
    /// `--force`); never what says the service runs here (SPEC 17).
    pub standby: bool,
    pub tags: Vec<String>,
    pub subset: Option<String>,
    /// `start_requires` and `stop_requires`: the resources that must be in
    /// one of their states for this one's start (stop).
    pub start_requires: Vec<Require>,
    pub stop_requires: Vec<Require>,
    /// Its triggers (around its actions).
    pub triggers: Triggers,
    /// The `pg_*` limits of its own slice.
    pub limits: Limits,
}

/// A `RID(STATE,…)` word of `start_requires` or `stop_requires`.
#[derive(Clone, Debug, PartialEq)]
pub struct Require {
    pub rid: String,
    /// `up`, `down`, `warn`, `n/a` (default: `up`).
    pub states: Vec<String>,
}

/// A resource id, parsed once: `group#index` (`container#1`,
/// `container#db`), its text as written and where its group ends. It reads
/// as its text (`&rid` is a `&str`): the plan and the status borrow a rid
/// for as long as its service, so the text is what is kept.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rid {
    text: String,
    /// The byte offset of the first `#` (none: the text is all group).
    sep: Option<usize>,
}

impl Rid {
    /// The kind's group (`container`).
    pub fn group(&self) -> &str {
        &self.text[..self.sep.unwrap_or(self.text.len())]
    }

    /// What follows the `#` (`1`, `db`).
    pub fn index(&self) -> &str {
        self.sep.map_or("", |h| &self.text[h + 1..])
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl From<&str> for Rid {
    fn from(s: &str) -> Rid {
        Rid::from(s.to_string())
    }
}

impl From<String> for Rid {
    fn from(text: String) -> Rid {
        let sep = text.find('#');
        Rid { text, sep }
    }
}

impl std::fmt::Debug for Rid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Rid").field(&self.text).finish()
    }
}

impl std::ops::Deref for Rid {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for Rid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq<str> for Rid {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for Rid {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl PartialEq<String> for Rid {
    fn eq(&self, other: &String) -> bool {
        &self.text == other
    }
}

impl PartialEq<Rid> for String {
    fn eq(&self, other: &Rid) -> bool {
        *self == other.text
    }
}

impl PartialEq<Rid> for &str {
    fn eq(&self, other: &Rid) -> bool {
        *self == other.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rid_is_a_group_and_an_index_and_reads_as_its_text() {
        let r = Rid::from("container#db");
        assert_eq!((r.group(), r.index()), ("container", "db"));
        assert_eq!(r, "container#db");
        assert_eq!(r.to_string(), "container#db");
        assert!(r.starts_with("container#"), "a &str through Deref");
        assert_eq!(format!("{r:?}"), r#"Rid("container#db")"#);
        // the first '#' ends the group; no '#': all group, no index
        let r = Rid::from("ip#a#b".to_string());
        assert_eq!((r.group(), r.index(), r.as_str()), ("ip", "a#b", "ip#a#b"));
        let r = Rid::from("DEFAULT");
        assert_eq!((r.group(), r.index()), ("DEFAULT", ""));
        assert_eq!((Rid::default().group(), Rid::default().index()), ("", ""));
    }
}
