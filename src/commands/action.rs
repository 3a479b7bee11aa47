//! The actions: start, stop, restart, provision, unprovision, purge: which
//! resources, the guard, the lock, the limits, the expectation; how a start
//! or a stop walks the plan, stage by stage, is in `stages`.

use super::{delete, each, waitlock, Ctx};
use crate::cli::ActionArgs;
use crate::config::keywords::{rid_index, subset_section, CONTAINER_GROUP};
use crate::config::{self};
use crate::docker::argv::CgroupDriver;
use crate::docker::{current::Current, inspect::ContainerInfo};
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::resource::containers;
use crate::model::Container;
use crate::model::Resource;
use crate::model::Service;
use crate::paths::SvcPath;
use crate::resource::{trigger, Context, Touched};
use crate::state;
use stages::{restart_joiners, start_around, stop};

mod stages;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Start,
    Stop,
    Restart,
    Provision,
    /// The provision of `deploy`: with `--force` on an existing service,
    /// containers created from another config are recreated (SPEC 3).
    Deploy,
    Unprovision,
    Purge,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Start => "start",
            Kind::Stop => "stop",
            Kind::Restart => "restart",
            Kind::Provision => "provision",
            Kind::Deploy => "deploy",
            Kind::Unprovision => "unprovision",
            Kind::Purge => "purge",
        }
    }
}

/// An action on the selected services: on this node with `--local` (or
/// for a service of this node alone), else across the service's nodes
/// (SPEC 12, `commands::nodes`).
pub fn run(ctx: &Ctx, selector: &str, kind: Kind, args: &ActionArgs) -> Result<()> {
    let paths = ctx.select(selector)?;
    if args.common.local {
        return run_paths(ctx, &paths, kind, args);
    }
    check_filters(kind, args)?;
    each(&paths, |path| {
        // A config that does not load is reported by the local action
        // (a stop acts on what a broken config still names, here).
        match config::load_quiet(path, ctx) {
            Ok(svc) if super::nodes::has_others(ctx, &svc) => {
                super::nodes::across(ctx, &svc, kind, args)
            }
            Ok(_) => run_one(ctx, path, kind, args, None),
            Err(_) => {
                let multi = config::read_document(path, &ctx.roots).is_ok_and(|d| {
                    d.get("DEFAULT", "nodes").is_some() || d.get("DEFAULT", "drpnodes").is_some()
                });
                if multi && matches!(kind, Kind::Stop | Kind::Unprovision | Kind::Purge) {
                    crate::text::say(&format!(
                        "{path}: warning: the config does not load here: this node only, its other nodes are not asked"
                    ));
                }
                run_one(ctx, path, kind, args, None)
            }
        }
    })
}

fn check_filters(kind: Kind, args: &ActionArgs) -> Result<()> {
    let filtered = !(args.rid.is_empty() && args.tag.is_empty() && args.subset.is_empty());
    if kind == Kind::Purge && filtered {
        return Err(Error::Usage(
            "purge removes the whole service: --rid, --tag and --subset do not apply (unprovision takes them)".into(),
        ));
    }
    Ok(())
}

/// The action on this node's instance of each service.
pub fn run_paths(ctx: &Ctx, paths: &[SvcPath], kind: Kind, args: &ActionArgs) -> Result<()> {
    check_filters(kind, args)?;
    each(paths, |path| run_one(ctx, path, kind, args, None))
}

/// The action on this node's instance of one service. `asked`: what the
/// other nodes said, when the caller asked them already (the guard before
/// a start asks them otherwise).
pub fn run_one(
    ctx: &Ctx,
    path: &SvcPath,
    kind: Kind,
    args: &ActionArgs,
    asked: Option<super::status::Answers>,
) -> Result<()> {
    let wait = waitlock(&args.common.waitlock)?;
    let filtered = !(args.rid.is_empty() && args.tag.is_empty() && args.subset.is_empty());
    {
        let _lock = if args.dry_run {
            None
        } else {
            Some(state::lock(
                path,
                &ctx.roots,
                wait,
                &format!("om {path} {}", kind.name()),
            )?)
        };
        let (svc, complete) = match kind {
            Kind::Stop | Kind::Unprovision | Kind::Purge => config::load_for_stop(path, ctx)?,
            _ => (config::load(path, ctx)?.1, true),
        };
        super::check_id(&svc, &args.common)?;
        let log = super::action_log(ctx, path, args.common.quiet, kind.name(), args.dry_run)?;
        // purge leaves nothing behind, disabled resources included
        let selected = if kind == Kind::Purge {
            svc.resources()
        } else {
            let mut selected = select_resources(&svc, args)?;
            for rid in with_ips(&svc, &mut selected) {
                log.svc(
                    Level::Info,
                    &format!("add rid {rid} to satisfy dependencies"),
                );
            }
            selected
        };
        let selected_containers = containers(&selected);
        let starts = matches!(
            kind,
            Kind::Start | Kind::Provision | Kind::Deploy | Kind::Restart
        );
        // secrets, configs and registry credentials read before anything
        // (a node asked, a daemon started, a container run): SPEC 13
        let prepared = if starts {
            crate::objects::env::prepare(&svc, &selected_containers, &ctx.roots, args.dry_run)?
        } else {
            crate::objects::env::Prepared::default()
        };
        if starts {
            guard(ctx, &svc, args.force, &log, asked)?;
        }
        let daemon = crate::docker::daemon::Daemon::of(&svc, ctx);
        // A private daemon that does not run holds no running container: a
        // stop has nothing to do on it, and does not start it for that.
        // (One killed behind om's back may have left them running: it is
        // started again for the stop.)
        let down = daemon.as_ref().is_some_and(|d| d.running().is_none());
        if kind == Kind::Stop && down && daemon.as_ref().is_some_and(|d| !d.unclean()) {
            log.svc(
                Level::Info,
                "docker daemon is not running: no container to stop",
            );
            if !args.dry_run && !filtered {
                state::set_started(&svc.path, &ctx.roots, false)?;
            }
            return log.kept();
        }
        let engine = crate::docker::daemon::engine_for(&svc, ctx, &log, args.dry_run, true)?;
        let mut context = Context::new(&svc, engine, &log, args.dry_run);
        // a dry run starts no daemon: from its down engine, nothing exists
        context.offline = args.dry_run && down;
        if context.offline {
            log.svc(
                Level::Info,
                "docker daemon is not running: the dry run can not see its containers, it shows a start from none",
            );
        }
        context.converge = kind == Kind::Deploy;
        context.use_prepared(prepared);
        // the slices' limits, before any container runs in them
        let acted = if starts {
            apply_limits(&context, &selected_containers, &ctx.roots)
        } else {
            Ok(())
        }
        .and_then(|()| act(ctx, &context, &selected, kind, filtered, complete));
        // the credentials served this action alone
        if starts && !args.dry_run {
            crate::objects::env::forget_creds(&svc, &ctx.roots);
        }
        let acted = acted.and_then(|()| {
            // purge: docker's word that nothing is left, asked while the
            // engine still answers (a private daemon goes below)
            if kind != Kind::Purge || args.dry_run {
                return Ok(None);
            }
            if !complete {
                return Err(Error::Failed(format!(
                    "{path}: some containers of the config can not be identified: config kept"
                )));
            }
            let left = super::write_checks::existing_containers(&svc, &context.engine)?;
            if !left.is_empty() {
                return Err(Error::Failed(format!(
                    "{path}: containers still exist ({}): config kept",
                    left.join(", ")
                )));
            }
            Ok(Some(()))
        });
        // The daemon goes after the action that leaves none of its
        // containers running (SPEC 11), whatever became of the action.
        if let (Some(d), Kind::Stop | Kind::Unprovision | Kind::Purge) = (&daemon, kind) {
            let stopped = d.stop_if_idle(&log, args.dry_run);
            if acted.is_ok() {
                stopped?;
            }
        }
        if acted?.is_some() {
            delete::remove_service(ctx, path)?;
            remove_namespace_slice(ctx, &context);
        }
        // every success ends here: one whose record lost a line is none
        log.kept()
    }
}

/// The split-brain guard (SPEC 12), before any start: every other node of
/// the service is asked. Fail-closed: a node that says the service runs
/// there is a refusal (stop it there first, or switch); a node that can
/// not be asked, or a start on a disaster recovery node, needs `--force`,
/// an operator's decision.
fn guard(
    ctx: &Ctx,
    svc: &Service,
    force: bool,
    log: &crate::logger::Logger,
    asked: Option<super::status::Answers>,
) -> Result<()> {
    let path = svc.path.to_string();
    let here = ctx.node.as_str();
    if svc.drp_only(here) && !force {
        return Err(Error::Failed(format!(
            "{path}: {here} is a disaster recovery node of the service (drpnodes): a start here is an operator's decision, made with --force"
        )));
    }
    if !svc
        .all_nodes()
        .iter()
        .any(|n| crate::nodename::is_local(n, here))
    {
        return Err(Error::Failed(format!(
            "{path}: {here} is not a node of the service (nodes: {}): not started here",
            svc.all_nodes().join(" ")
        )));
    }
    use super::status::Word;
    let asked = match asked {
        Some(a) => a,
        None => super::status::other_nodes(ctx, svc)?,
    };
    for (node, word) in asked {
        let unknown = match word {
            Word::Runs { .. } => {
                return Err(Error::Failed(format!(
                    "{path}: up on {node}: not started here (it would run on two nodes); stop it there first"
                )))
            }
            Word::Not | Word::Absent => continue,
            Word::Unknown(why) => why,
        };
        if !force {
            return Err(Error::Failed(format!(
                "{path}: {node} can not tell whether the service runs there ({unknown}): --force to start anyway"
            )));
        }
        log.svc(
            Level::Warn,
            &format!("{node} can not tell whether the service runs there ({unknown}): started anyway (--force)"),
        );
    }
    Ok(())
}

/// `filtered`: only some resources are acted on (`--rid`, `--tag`,
/// `--subset`), which says nothing of the service as a whole: the
/// `started` expectation is left as it was.
/// `complete`: every container resource of the config could be identified
/// (see `config::load_for_stop`); the cgroup slices go only then.
fn act(
    ctx: &Ctx,
    context: &Context,
    selected: &[Resource],
    kind: Kind,
    filtered: bool,
    complete: bool,
) -> Result<()> {
    let svc = context.svc;
    let touched = Touched::default();
    let set_started = |started: bool| {
        if context.dry_run || filtered {
            Ok(())
        } else {
            state::set_started(&svc.path, &ctx.roots, started)
        }
    };
    let cur = context.current(&containers(selected))?;
    // DEFAULT's triggers around the service's action (SPEC 14); the
    // resources' own around each of theirs, in start and stop below
    let around = |action: &str, f: &dyn Fn() -> Result<()>| {
        trigger::around(context, &svc.triggers, None, action, f)
    };
    // The expectation changes only when the action did what it says: a
    // stop that failed (a hung docker) leaves the service "started".
    match kind {
        Kind::Start | Kind::Provision | Kind::Deploy => {
            let action = if kind == Kind::Start {
                "start"
            } else {
                "provision"
            };
            say_leftovers(context, &cur);
            start_around(context, &touched, selected, &cur, action)?;
            restart_joiners(context, &touched)?;
            if kind == Kind::Deploy && !context.dry_run && !touched.any() {
                context.log.svc(
                    Level::Info,
                    "every container matches the config: nothing to change",
                );
            }
            set_started(true)
        }
        Kind::Stop => {
            around("stop", &|| stop(context, selected, &cur, false, "stop"))?;
            set_started(false)
        }
        Kind::Unprovision | Kind::Purge => {
            around("unprovision", &|| {
                stop(context, selected, &cur, true, "unprovision")
            })?;
            if !context.dry_run && !filtered && complete {
                remove_slices(context);
            }
            set_started(false)
        }
        Kind::Restart => {
            around("stop", &|| stop(context, selected, &cur, false, "stop"))?;
            context
                .log
                .svc(Level::Info, "instance stopped, ready for restart.");
            // A dry run changed nothing: start from what the stop would leave.
            let after = if context.dry_run {
                Current::from_infos(as_if_stopped(&cur, svc, &containers(selected)))
            } else {
                context.current(&containers(selected))?
            };
            start_around(context, &touched, selected, &after, "start")?;
            restart_joiners(context, &touched)?;
            set_started(true)
        }
    }
}

/// Before a start, provision or deploy: each container carrying the
/// service's label for a rid the config does not name (a section deleted
/// with --force, a config replaced by one with fewer sections), said as a
/// warning naming it and its state. om leaves it as it is, as OpenSVC
/// leaves a resource removed from the config: it is no longer om's to stop,
/// yet status counts it and the guard of another node refuses to start
/// the service while it runs (see `status::leftover`).
fn say_leftovers(context: &Context, cur: &Current) {
    for (rid, i) in cur.leftovers(context.svc) {
        context.log.svc(
            Level::Warn,
            &format!(
                "{rid}: not in the config, its container {} is left {} (om does not manage it: docker rm -f it, or restore its section)",
                i.name, i.state
            ),
        );
    }
}

/// After the purge of a namespace's last service, the namespace's slice
/// (cgroupfs: `opensvc.slice/NS.slice`, which docker made for its
/// services' `--cgroup-parent`), where it holds no slice any more. Kept
/// while a service of the namespace, or a root service named NS (whose
/// slice it is), has a config, or when that can not be told.
fn remove_namespace_slice(ctx: &Ctx, context: &Context) {
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
    context: &Context,
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
fn remove_slices(context: &Context) {
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
            match super::write_checks::existing_containers(svc, &context.engine) {
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

/// `pull`: the distinct images of the selected resources, each pulled
/// within its resource's `pull_timeout` (no lock: nothing of the service
/// changes).
pub fn pull(ctx: &Ctx, selector: &str, args: &ActionArgs) -> Result<()> {
    pull_paths(ctx, &ctx.select(selector)?, args)
}

pub fn pull_paths(ctx: &Ctx, paths: &[SvcPath], args: &ActionArgs) -> Result<()> {
    each(paths, |path| {
        let (_, svc) = config::load(path, ctx)?;
        super::check_id(&svc, &args.common)?;
        let log = super::action_log(ctx, path, args.common.quiet, "pull", args.dry_run)?;
        let selected = containers(&select_resources(&svc, args)?);
        let prepared = crate::objects::env::prepare(&svc, &selected, &ctx.roots, args.dry_run)?;
        let engine = crate::docker::daemon::engine_for(&svc, ctx, &log, args.dry_run, true)?;
        let mut context = Context::new(&svc, engine, &log, args.dry_run);
        context.use_prepared(prepared);
        let pulled = pull_each(&context, &selected);
        if !args.dry_run {
            crate::objects::env::forget_creds(&svc, &ctx.roots);
        }
        pulled.and_then(|()| log.kept())
    })
}

/// Each distinct image of `selected` pulled once.
fn pull_each(context: &Context, selected: &[&Container]) -> Result<()> {
    let mut pulled: Vec<&str> = Vec::new();
    for c in selected {
        if !pulled.contains(&c.image.as_str()) {
            pulled.push(&c.image);
            crate::resource::container::pull(context, c)
                .inspect_err(|e| context.log.res(&c.head.rid, Level::Error, &e.to_string()))
                .map_err(|_| Error::Said)?;
        }
    }
    Ok(())
}

/// The resources an action touches: `--rid` (rid or group), `--tag`,
/// `--subset` filters (each a list, all of them must match); disabled
/// resources are left out.
pub fn select_resources<'a>(svc: &'a Service, args: &ActionArgs) -> Result<Vec<Resource<'a>>> {
    let all = svc.resources();
    for rid in &args.rid {
        let known = rid == CONTAINER_GROUP
            || rid == crate::config::keywords::IP_GROUP && !svc.ips.is_empty()
            || all.iter().any(|r| &r.head().rid == rid);
        if !known {
            return Err(Error::Usage(format!(
                "--rid {rid}: no such resource in {} (its rids: {})",
                svc.path,
                svc.rid_list()
            )));
        }
    }
    // A tag or subset no resource has selects nothing: say so, naming the
    // ones there are (a typo, most of the time).
    let mut tags: Vec<&str> = all
        .iter()
        .flat_map(|r| r.head().tags.iter().map(String::as_str))
        .collect();
    tags.sort_unstable();
    tags.dedup();
    let subsets: Vec<&str> = svc.subsets.iter().map(|(n, _)| n.as_str()).collect();
    for (flag, wanted, known, what) in [
        ("--tag", &args.tag, &tags, "no resource has it (tags"),
        (
            "--subset",
            &args.subset,
            &subsets,
            "no such subset (subsets",
        ),
    ] {
        for w in wanted.iter().filter(|w| !known.contains(&w.as_str())) {
            let known = if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            };
            crate::text::say(&format!(
                "{}: warning: {flag} {w}: {what}: {known})",
                svc.path
            ));
        }
    }
    Ok(all
        .into_iter()
        .filter(|c| !c.head().disable)
        .filter(|c| {
            args.rid.is_empty()
                || args
                    .rid
                    .iter()
                    .any(|r| *r == c.head().rid || rid_index(&c.head().rid, r).is_some())
        })
        .filter(|c| args.tag.is_empty() || args.tag.iter().any(|t| c.head().tags.contains(t)))
        .filter(|c| {
            args.subset.is_empty()
                || args
                    .subset
                    .iter()
                    .any(|s| c.head().subset.as_ref() == Some(s))
        })
        .collect())
}

/// The ip resources plumbed into a selected container's namespace, added
/// to the selection (`stop --rid container#1` stops `ip#1` first, as
/// OpenSVC does): their rids, for the log.
pub fn with_ips<'a>(svc: &'a Service, selected: &mut Vec<Resource<'a>>) -> Vec<&'a str> {
    let holders: std::collections::HashSet<&str> = selected
        .iter()
        .filter_map(|r| r.container())
        .map(|c| c.head.rid.as_str())
        .collect();
    let have: std::collections::HashSet<&str> =
        selected.iter().map(|r| r.head().rid.as_str()).collect();
    let mut added = Vec::new();
    for i in &svc.ips {
        if !i.head.disable
            && holders.contains(i.holder.as_str())
            && !have.contains(i.head.rid.as_str())
        {
            selected.push(Resource::Ip(i));
            added.push(i.head.rid.as_str());
        }
    }
    added
}

/// What the engine would hold after a stop: containers stopped, those of
/// `rm` resources gone.
fn as_if_stopped(cur: &Current, svc: &Service, selected: &[&Container]) -> Vec<ContainerInfo> {
    // the containers of the `rm` resources, found as the stop finds them
    let removed: std::collections::HashSet<&str> = selected
        .iter()
        .filter(|c| c.rm)
        .filter_map(|c| cur.find(svc, c).ok().flatten())
        .map(|i| i.id.as_str())
        .collect();
    cur.all()
        .iter()
        .filter(|i| !removed.contains(i.id.as_str()))
        .map(|i| ContainerInfo {
            running: false,
            state: "exited".into(),
            ..i.clone()
        })
        .collect()
}

/// The `pg_*` limits of the service's slice, its subsets' and the
/// selected containers' (SPEC 14), written before any of them starts.
fn apply_limits(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dry_restart_starts_from_what_the_stop_would_leave() {
        let c = |rid: &str, name: &str, rm| Container {
            head: crate::model::Head {
                rid: rid.into(),
                ..Default::default()
            },
            name: name.into(),
            rm,
            ..Container::default()
        };
        let keep = c("container#1", "a", false);
        let gone = c("container#2", "b", true);
        let svc = Service::for_test("s", vec![keep.clone(), gone.clone()]);
        let info = |id: char, name: &str, rid: &str| ContainerInfo {
            id: id.to_string().repeat(64),
            name: name.into(),
            running: true,
            state: "running".into(),
            labels: [(
                crate::docker::argv::LABEL_ID.to_string(),
                crate::docker::argv::container_id_label(&svc.id, rid),
            )]
            .into(),
            ..ContainerInfo::default()
        };
        // the rm one renamed behind om's back: found by its label, gone too
        let cur = Current::from_infos(vec![
            info('a', "a", "container#1"),
            info('b', "b-moved", "container#2"),
        ]);
        let after = as_if_stopped(&cur, &svc, &[&keep, &gone]);
        assert_eq!(after.len(), 1);
        assert_eq!((after[0].name.as_str(), after[0].running), ("a", false));
    }
}
