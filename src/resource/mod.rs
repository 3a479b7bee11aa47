//! What every resource has, whatever its kind (STYLE.md, "resources are
//! kinds"): its head (rid, flags, subset, requirements, triggers, limits);
//! the plan orders heads, and an action dispatches on the kind (the
//! container kind: `config::service::Container` and `docker::container`).

pub mod limits;
pub mod trigger;

use crate::config::service::Require;

/// The part of a resource every kind has.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Head {
    pub rid: String,
    pub disable: bool,
    pub optional: bool,
    pub tags: Vec<String>,
    pub subset: Option<String>,
    /// `start_requires` and `stop_requires`: the resources that must be in
    /// one of their states for this one's start (stop).
    pub start_requires: Vec<Require>,
    pub stop_requires: Vec<Require>,
    /// Its triggers (around its actions).
    pub triggers: trigger::Triggers,
    /// The `pg_*` limits of its own slice.
    pub limits: limits::Limits,
}
