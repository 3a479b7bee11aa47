//! The `pg_*` limits of an action's slices (SPEC 14), written before any
//! container runs in them.

use crate::config::keywords::subset_section;
use crate::docker::argv::CgroupDriver;
use crate::error::{Error, Result};
use crate::model::Container;
use crate::resource::Context;

/// The `pg_*` limits of the service's slice, its subsets' and the
/// selected containers' (SPEC 14), written before any of them starts.
pub fn apply_limits(
    context: &Context,
    selected: &[&Container],
    roots: &crate::paths::Roots,
) -> Result<()> {
    use crate::docker::argv::{cgroup_parent, service_levels, slice_of};
    use crate::resource::limits::apply;
    let svc = context.svc;
    let any = !svc.limits.is_empty()
        || !svc.subset_limits.is_empty()
        || selected.iter().any(|c| !c.head.limits.is_empty());
    if !any {
        return Ok(());
    }
    // a root service's slice is also the parent of the namespace of its
    // name: its limits would cap that namespace's services too
    if svc.path.is_root_ns()
        && !svc.limits.is_empty()
        && roots.etc.join("namespaces").join(&svc.path.name).is_dir()
    {
        return Err(Error::Failed(format!(
            "DEFAULT.pg_*: the slice of {} is also the one of namespace {}'s services: not limited (limit a service in its own config, or rename this one)",
            svc.path, svc.path.name
        )));
    }
    let systemd = context.driver()? == CgroupDriver::Systemd;
    let rel = |s: String| std::path::PathBuf::from(s.trim_start_matches('/'));
    let levels = service_levels(&svc.path);
    let unit = |levels: &[String]| systemd.then(|| slice_of(levels, CgroupDriver::Systemd));
    let dry = context.dry_run;
    apply(
        context.log,
        "DEFAULT",
        &svc.limits,
        &rel(slice_of(&levels, CgroupDriver::Cgroupfs)),
        unit(&levels).as_deref(),
        dry,
        context.engine.bound(),
    )?;
    for (name, limits) in &svc.subset_limits {
        let mut l = levels.clone();
        l.push(format!("container.{name}"));
        apply(
            context.log,
            &subset_section(name),
            limits,
            &rel(slice_of(&l, CgroupDriver::Cgroupfs)),
            unit(&l).as_deref(),
            dry,
            context.engine.bound(),
        )?;
    }
    for c in selected {
        let parent = cgroup_parent(&svc.path, c, CgroupDriver::Cgroupfs);
        let u = systemd.then(|| cgroup_parent(&svc.path, c, CgroupDriver::Systemd));
        let bound = context.engine.bound();
        apply(
            context.log,
            &c.head.rid,
            &c.head.limits,
            &rel(parent),
            u.as_deref(),
            dry,
            bound,
        )?;
    }
    Ok(())
}
