//! What resources share beyond their kind (STYLE.md, "resources are
//! kinds"): the triggers around their actions. The container kind itself
//! is `config::service::Container` and `docker::container` today.

pub mod limits;
pub mod trigger;
