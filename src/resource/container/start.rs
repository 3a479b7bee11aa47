//! The start of a container resource: the container om finds for it
//! started (or recreated, with `deploy --force`, or finished starting),
//! or a new one run, then waited for until it is up and operational.

use super::calls::{run, run_cmd};
use super::create::create;
use super::images::image_present;
use super::stop::{rm, stop};
use super::wait::{wait_operational, wait_up};
use super::{check_owned, drifted, operational};
use crate::docker::argv;
use crate::docker::inspect::ContainerInfo;
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::Container;
use crate::resource::context::Context;
use crate::resource::touched::Touched;
use std::collections::HashMap;
use std::time::Instant;

/// Starts the resource. Returns whether this call started it (for rollback).
pub fn start(
    ctx: &Context,
    touched: &Touched,
    c: &Container,
    current: Option<ContainerInfo>,
) -> Result<bool> {
    let mut current = current;
    if let Some(info) = &current {
        check_owned(ctx, c, info)?;
        if recreate(ctx, touched, c, info)? {
            current = None;
        }
    }
    if let Some(info) = &current {
        if info.running {
            return finish_running(ctx, touched, c, info);
        }
        if c.rm {
            rm(ctx, c, info)?;
            current = None;
        }
    }
    if current.is_none() {
        check_volume_sources(c)?;
    }
    // `always` pulls before each start, `once` only when the image is
    // missing (which only matters for a container to create).
    // Offline (a dry run on a daemon that does not run), its store is
    // not known: the pull is shown.
    let must_pull =
        c.pull_always || (current.is_none() && (ctx.offline || !image_present(ctx, &c.image)?));
    if must_pull {
        pull(ctx, c)?;
    }
    touched.mark(&c.head.rid);
    let id = match &current {
        Some(info) => {
            run(
                ctx,
                &c.head.rid,
                argv::start_argv(&info.id),
                ctx.engine.bound(),
            )?;
            info.id.clone()
        }
        None => create(ctx, c)?,
    };
    if ctx.dry_run || !c.detach {
        return Ok(true);
    }
    // One bound for both waits: start_timeout covers up and operational.
    let deadline = Instant::now() + c.start_timeout;
    let info = wait_up(ctx, c, &id, deadline)?;
    wait_operational(ctx, c, info, deadline)?;
    Ok(true)
}

/// deploy --force: a container made from another config, or whose
/// namespace holder was just recreated (its namespace died with it), is
/// stopped and removed, whatever its name now (`true`: it is gone). A
/// container renamed behind om's back is otherwise started as it is.
fn recreate(ctx: &Context, touched: &Touched, c: &Container, info: &ContainerInfo) -> Result<bool> {
    let holder_recreated = touched.recreated_any(&c.depends_on);
    if ctx.converge && (drifted(ctx.svc, c, info) || holder_recreated) {
        let why = if holder_recreated {
            "its namespace holder was recreated: recreating"
        } else {
            "config changed since the container was created: recreating"
        };
        ctx.log.res(&c.head.rid, Level::Info, why);
        touched.mark(&c.head.rid);
        stop(ctx, c, Some(info.clone()), true)?;
        touched.mark_recreated(&c.head.rid);
        return Ok(true);
    }
    if info.name != c.name {
        // The resource's container, found by its label: started (or
        // found started) by its verified id as it is, never a second
        // one made under the name (status says it up, with the same
        // warning; a restart stops and starts it again).
        ctx.log.res(
            &c.head.rid,
            Level::Warn,
            &format!(
                "container {} ({}) was renamed {} behind om's back: started as it is (docker rename {} {} to name it back)",
                c.name,
                info.short_id(),
                info.name,
                info.name,
                c.name
            ),
        );
    }
    Ok(false)
}

/// A running container: already started when operational; else a start
/// that was killed before its container became healthy, finished (or
/// failed and rolled back), never called "already started".
fn finish_running(
    ctx: &Context,
    touched: &Touched,
    c: &Container,
    info: &ContainerInfo,
) -> Result<bool> {
    if operational(info) {
        ctx.log.res(&c.head.rid, Level::Info, "already started");
        return Ok(false);
    }
    ctx.log.res(
        &c.head.rid,
        Level::Info,
        &format!(
            "container running but not operational yet (health {})",
            info.health.as_deref().unwrap_or("unknown")
        ),
    );
    if ctx.dry_run {
        return Ok(true);
    }
    touched.mark(&c.head.rid);
    let deadline = Instant::now() + c.start_timeout;
    wait_operational(ctx, c, info.clone(), deadline)?;
    Ok(true)
}

/// `docker pull` of the resource's image, within its `pull_timeout`.
pub fn pull(ctx: &Context, c: &Container) -> Result<()> {
    ctx.log.res(
        &c.head.rid,
        Level::Info,
        &format!("pulling docker image {}", c.image),
    );
    let cmd = ctx.engine_with_creds(c).cmd(argv::pull_argv(&c.image));
    run_cmd(ctx, &c.head.rid, cmd, "pull", c.pull_timeout, true)?;
    if !ctx.dry_run {
        ctx.note_images(HashMap::from([(c.image.clone(), true)]));
    }
    Ok(())
}

/// A host source of `volume_mounts` must be absolute and exist; a bare name
/// is a docker named volume and is left to docker.
fn check_volume_sources(c: &Container) -> Result<()> {
    let key = || format!("{}.volume_mounts", c.head.rid);
    for m in &c.volume_mounts {
        let src = m.split(':').next().unwrap_or_default();
        let looks_like_path = src.starts_with('.') || src.contains('/');
        if !looks_like_path {
            continue;
        }
        if !src.starts_with('/') {
            return Err(Error::config(
                key(),
                format!("host source '{src}' must be an absolute path"),
            ));
        }
        let path = std::path::Path::new(src);
        match crate::fsutil::found(path, std::fs::metadata(path)) {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(Error::config(
                    key(),
                    format!("host source '{src}' does not exist"),
                ))
            }
            Err(e) => return Err(Error::config(key(), format!("host source {e}"))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_sources() {
        let mut c = Container {
            head: crate::model::Head {
                rid: "container#1".into(),
                ..Default::default()
            },
            ..Container::default()
        };
        c.volume_mounts = vec!["/tmp:/data".into(), "named:/x".into()];
        assert!(check_volume_sources(&c).is_ok());
        c.volume_mounts = vec!["./rel:/data".into()];
        let e = check_volume_sources(&c).unwrap_err().to_string();
        assert!(e.contains("absolute"), "{e}");
        c.volume_mounts = vec!["/nonexistent/om:/data".into()];
        let e = check_volume_sources(&c).unwrap_err().to_string();
        assert!(e.contains("does not exist"), "{e}");
    }
}
