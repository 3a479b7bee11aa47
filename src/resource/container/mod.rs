//! The container kind (SPEC 4.3): start, stop and pull of one container
//! resource through its engine. The docker commands are logged as
//! replayable lines, their stdout after `output:`, their stderr with `E`
//! (failed) or `W`. The argv builders are `docker::argv`'s, the engine's
//! queries `docker::Engine`'s; here is what the kind does with them.

use crate::docker::argv::{self, LABEL_ID};
use crate::docker::inspect::{other_image_name, ContainerInfo};
use crate::error::{Error, Result};
use crate::model::{Container, Service};
use crate::resource::context::Context;

mod calls;
mod create;
mod images;
mod progress;
mod start;
pub mod status;
mod stop;
mod wait;

pub use images::know_images;
pub use start::{pull, start};
pub use stop::stop;

/// Whether the container is this resource's (its `com.opensvc.id` label).
pub fn owns(svc: &Service, c: &Container, info: &ContainerInfo) -> bool {
    let want = argv::container_id_label(&svc.id, &c.head.rid);
    info.label(LABEL_ID) == Some(want.as_str())
}

/// Refuses a container that holds the name but is not this resource's.
fn check_owned(ctx: &Context, c: &Container, info: &ContainerInfo) -> Result<()> {
    if owns(ctx.svc, c, info) {
        return Ok(());
    }
    Err(Error::Failed(format!(
        "container {}: name in use by a container om does not manage (its {LABEL_ID} label is {})",
        c.name,
        info.label(LABEL_ID)
            .map_or("missing".into(), |l| format!("'{l}'"))
    )))
}

/// The container carries a config label (om made it) that is not the
/// current config's: it was created from another config. Containers made
/// without the label (by the OpenSVC agent, say) never drift.
pub fn drifted(svc: &Service, c: &Container, i: &ContainerInfo) -> bool {
    i.label(argv::LABEL_CONFIG).is_some_and(|l| {
        l != argv::config_hash(c, &svc.path, &svc.id)
            // `name` and `name:latest` are one image: a container made
            // under the other name is not a changed config
            && other_image_name(&c.image).is_none_or(|image| {
                let c = Container { image, ..c.clone() };
                l != argv::config_hash(&c, &svc.path, &svc.id)
            })
    })
}

/// Running and healthy, or running without a health check.
fn operational(info: &ContainerInfo) -> bool {
    matches!(info.health.as_deref(), None | Some("healthy"))
}
