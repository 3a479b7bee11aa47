//! The resource kinds' behaviour (STYLE.md, "resources are kinds"): what
//! every kind has (its head) and the kinds' data are in `model`; here is
//! what acts on them (the container kind's docker actions are in
//! `docker::container`).

pub mod ip;
pub mod limits;
pub mod trigger;
