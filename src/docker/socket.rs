//! A private daemon's socket: where it is, and whether a unix socket can
//! be there (a leaf: the config check calls it without the daemon's code).

use crate::error::{Error, Result};
use crate::model::Service;
use crate::paths::{Roots, SvcPath};
use std::path::PathBuf;

/// The longest path a unix socket takes (`sun_path` is 108 bytes, NUL
/// included).
const SOCKET_MAX: usize = 107;

/// The socket of a service's daemon, in its state directory.
pub fn socket_of(path: &SvcPath, roots: &Roots) -> PathBuf {
    path.var_dir(roots).join("docker.sock")
}

/// A socket path over what a unix socket takes is a config error, said at
/// validate time rather than by dockerd at start.
pub fn check_socket(svc: &Service, roots: &Roots) -> Result<()> {
    if svc.daemon.is_none() {
        return Ok(());
    }
    // The id names the daemon's exec root and containerd namespace.
    let id8 = svc.id.get(..8).unwrap_or_default();
    if id8.len() < 8 || !id8.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::config(
            "DEFAULT.id",
            format!(
                "'{}' does not start with 8 hex digits, which name the private daemon's runtime directory (om create sets a UUID)",
                svc.id.escape_debug()
            ),
        ));
    }
    let socket = socket_of(&svc.path, roots);
    let len = socket.as_os_str().len();
    if len > SOCKET_MAX {
        return Err(Error::config(
            "DEFAULT.docker_data_dir",
            format!(
                "the daemon's socket {} would be {len} bytes, over the {SOCKET_MAX} a unix socket takes (a shorter OSVC_ROOT_PATH or service name)",
                socket.display()
            ),
        ));
    }
    Ok(())
}
