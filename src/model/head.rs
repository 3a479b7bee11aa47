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
/// `container#db`). It reads as its text (`&rid` is a `&str`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rid(String);

impl Rid {
    /// The kind's group (`container`).
    pub fn group(&self) -> &str {
        self.0.split_once('#').map_or(self.0.as_str(), |(g, _)| g)
    }

    /// What follows the `#` (`1`, `db`).
    pub fn index(&self) -> &str {
        self.0.split_once('#').map_or("", |(_, i)| i)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Rid {
    fn from(s: &str) -> Rid {
        Rid(s.to_string())
    }
}

impl From<String> for Rid {
    fn from(s: String) -> Rid {
        Rid(s)
    }
}

impl std::ops::Deref for Rid {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Rid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Rid {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Rid {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Rid {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl PartialEq<Rid> for String {
    fn eq(&self, other: &Rid) -> bool {
        *self == other.0
    }
}

impl PartialEq<Rid> for &str {
    fn eq(&self, other: &Rid) -> bool {
        *self == other.0
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
    }
}
