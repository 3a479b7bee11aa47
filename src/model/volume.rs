//! The volume kind's data (SPEC 17): a docker named volume on the
//! service's engine. What acts on it is `resource::volume`.

use super::head::Head;

/// A volume resource: its head, and the docker volume it makes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Volume {
    pub head: Head,
    /// The docker volume's name (`name`; `{name}-vol-{rindex}` as
    /// OpenSVC's default).
    pub name: String,
    /// `docker volume create --driver` (docker's `local` when unset).
    pub driver: Option<String>,
    /// `docker volume create --opt` words (`type=tmpfs`, `device=tmpfs`).
    pub options: Vec<String>,
}

impl Volume {
    /// The label status shows: `docker volume NAME`.
    pub fn label(&self) -> String {
        format!("docker volume {}", self.name)
    }
}
