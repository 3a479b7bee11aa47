//! The sync kind (SPEC 17): `[sync#N] type = rsync` copies this node's
//! `src` to the `dst` of the target nodes; `type = btrfs` a subvolume by
//! read-only snapshots sent and received (`btrfs`); `type = docker` the images of
//! the service's containers that the target's engine lacks (`docker`). It is not started nor stopped
//! by `start`/`stop` (the agent's sync resources are not either): `om SVC
//! sync update|full` sends it (`send`), the receiving node's om runs the
//! rsync server under its own checks and lock (`receive`), and each side
//! keeps the time of the last success per node (`records`), which its
//! status reads (`status`). There is no scheduler: a cron line or a
//! systemd timer runs `om SVC sync update` (om-sync(1)).

pub mod archive;
pub mod btrfs;
pub mod docker;
pub mod receive;
pub mod records;
pub mod rsync;
pub mod send;
pub mod status;

/// What a sync update or full is asked to do (the agent's two actions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// rsync's quick check: files whose size or time differ are sent.
    Update,
    /// Every file's content compared (rsync `--checksum`): a pass that
    /// finds a change the sizes and times hide.
    Full,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Update => "update",
            Mode::Full => "full",
        }
    }
}
