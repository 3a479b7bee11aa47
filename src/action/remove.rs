//! What goes with a service besides its containers: its config and state
//! (a purge, a delete), and its cgroup slices (a purge, an unprovision).

use crate::docker::argv::CgroupDriver;
use crate::error::{Context, Result};
use crate::host::Host;
use crate::logger::Level;
use crate::paths::SvcPath;
use crate::resource::Context as ActionContext;
use crate::state;

/// Removes the config file and the state directory (the log stays).
pub fn remove_service(host: &Host, path: &SvcPath) -> Result<()> {
    let file = path.conf_file(&host.roots);
    std::fs::remove_file(&file).context(|| format!("remove {}", file.display()))?;
    state::clear(path, &host.roots)
}

/// After the purge of a namespace's last service, the namespace's slice
/// (cgroupfs: `opensvc.slice/NS.slice`, which docker made for its
/// services' `--cgroup-parent`), where it holds no slice any more. Kept
/// while a service of the namespace, or a root service named NS (whose
/// slice it is), has a config, or when that can not be told.
pub fn remove_namespace_slice(ctx: &Host, context: &ActionContext) {
    let path = &context.svc.path;
    if path.is_root_ns() || !matches!(context.driver(), Ok(CgroupDriver::Cgroupfs)) {
        return;
    }
    let not_found = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    let last = match path.conf_file(&ctx.roots).parent().map(std::fs::read_dir) {
        Some(Ok(mut entries)) => {
            entries.all(|e| e.is_ok_and(|e| !e.file_name().to_string_lossy().ends_with(".conf")))
        }
        Some(Err(e)) => not_found(&e),
        None => false,
    };
    let no_namesake = SvcPath::parse(&path.namespace).is_ok_and(|p| {
        std::fs::symlink_metadata(p.conf_file(&ctx.roots)).is_err_and(|e| not_found(&e))
    });
    if !(last && no_namesake) {
        return;
    }
    let (removed, failed) = crate::cgroup::remove_namespace_slice(&path.namespace);
    say_removed(
        context,
        &crate::cgroup::namespace_slice(&path.namespace),
        &removed,
        failed,
    );
}

/// The action lines of a slice's removal: one for the slice when any of
/// its directories went, a warning per one that stayed.
fn say_removed(
    context: &ActionContext,
    slice: &std::path::Path,
    removed: &[std::path::PathBuf],
    failed: Vec<String>,
) {
    if !removed.is_empty() {
        context
            .log
            .svc(Level::Info, &format!("removed cgroup {}", slice.display()));
    }
    for f in failed {
        context
            .log
            .svc(Level::Warn, &format!("cgroup not removed: {f}"));
    }
}

/// The service's cgroup slices go with its last container. With cgroupfs,
/// om removes the service's own directories (the kernel refuses a busy
/// one); with systemd, `systemctl stop` of the units that are one
/// resource's alone, once docker says no container of the service is left
/// (a stop of a shared slice would stop what runs in it). A slice that
/// stays is a warning, not a failure.
pub fn remove_slices(context: &ActionContext) {
    let warn = |msg: String| context.log.svc(Level::Warn, &msg);
    let svc = context.svc;
    match context.driver() {
        Err(e) => warn(format!("cgroup not removed: {e}")),
        Ok(CgroupDriver::Cgroupfs) => {
            let levels = crate::cgroup::own_levels(svc);
            let (removed, failed) = crate::cgroup::remove_service_slices(&svc.path, &levels);
            say_removed(
                context,
                &crate::cgroup::service_slice(&svc.path),
                &removed,
                failed,
            );
        }
        Ok(CgroupDriver::Systemd) => {
            if !std::path::Path::new("/run/systemd/system").exists() {
                return;
            }
            match super::existing::existing_containers(svc, &context.engine) {
                Ok(left) if left.is_empty() => {}
                Ok(_) => return,
                Err(e) => return warn(format!("cgroup not removed: {e}")),
            }
            let mut args = vec!["stop".to_string()];
            args.extend(crate::cgroup::leaf_units(svc));
            let cmd = crate::process::Cmd::new("systemctl", args);
            context.log.svc(Level::Info, &cmd.to_string());
            match crate::process::capture(&cmd, context.engine.bound()) {
                Ok(out) if out.success() || out.stderr.contains("not loaded") => {}
                Ok(out) => warn(format!("cgroup not removed: {}", out.error_line())),
                Err(e) => warn(format!("cgroup not removed: {e}")),
            }
        }
    }
}
