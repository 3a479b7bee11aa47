//! Plain data, no I/O (STYLE.md, "the layout after the redesign"): a
//! service as its config says it, its resources (the head every kind has,
//! the kinds, one enum of them), limits, triggers and env references.
//! Everything imports it; it imports nothing but leaf helpers (`paths`,
//! `nodename`), so "a service holds a container" and "a container's
//! action takes a service" no longer point at each other.

pub mod container;
pub mod disk;
pub mod env_ref;
pub mod fs;
pub mod head;
pub mod ip;
pub mod limits;
pub mod resource;
pub mod service;
pub mod sync;
pub mod trigger;
pub mod volume;

pub use container::Container;
pub use disk::Disk;
pub use env_ref::{EnvRef, ObjKind};
pub use fs::{Dev, Fs, FsType};
pub use head::{Head, Require};
pub use ip::{Ip, Mode};
pub use limits::Limits;
pub use resource::Resource;
pub use service::{DaemonConfig, Ha, Service};
pub use sync::DataSync;
pub use trigger::Triggers;
pub use volume::Volume;
