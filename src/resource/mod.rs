//! The resource kinds' behaviour (STYLE.md, "resources are kinds"): what
//! every kind has (its head) and the kinds' data are in `model`; here is
//! what acts on them, one folder per kind (`container/`, `ip/`), with
//! what every kind acts with: the per-action context (`context::Context`:
//! the service, its engine, the log, dry-run, offline, converge, and what
//! is prepared before the action) and the record of what the action
//! touched (`touched::Touched`). `limits` and `trigger` are what every
//! section may carry around its resource.
//!
//! The stages of an action reach a kind only through the functions
//! below, the one place that matches on `model::Resource`'s kinds.
//!
//! # Adding a resource kind
//!
//! 1. Its data in `model/` (`model/disk.rs`: its `head: Head` and its own
//!    fields), a variant of `model::Resource` and its arms in
//!    `model/resource.rs`, and where the service holds them
//!    (`model/service.rs`, `Service::resources`).
//! 2. Its section parser in `config/sections/<kind>.rs` and its keyword
//!    rows in `config/keywords.rs`; the typed reader calls the parser.
//! 3. Its behaviour in a folder here, `resource/<kind>/`: `start`,
//!    `stop` and its state (`ip::state`: up, down and why, or unknown and
//!    why), each taking the `Context` (and the `Touched` record, to mark
//!    what it started or left half-made), its own host commands in files
//!    of its own.
//! 4. One arm for it in each function below, and in `model::Resource`'s
//!    (`head`, `starts_after`: what the plan starts it after). The
//!    compiler lists them: the matches have no wildcard arm.
//! 5. Its status line in its folder (`resource/ip/status.rs`: a
//!    `status::ResourceStatus` from its state), called from its arm of
//!    `status` below and from `status::instance`, whose `resources_in`
//!    and `status::collect` gather each kind's state by hand (the
//!    compiler does not point at them).

pub mod container;
pub mod context;
pub mod disk;
pub mod fs;
pub mod ip;
pub mod limits;
pub mod sync;
pub mod touched;
pub mod trigger;
pub mod volume;

pub use context::Context;
pub use touched::Touched;

use crate::docker::current::Current;
use crate::error::Result;
use crate::model::{Resource, Service};
use crate::status::ResourceStatus;

/// The resource `rid` of the service, of whatever kind.
pub fn named<'a>(svc: &'a Service, rid: &str) -> Option<Resource<'a>> {
    svc.container(rid)
        .map(Resource::Container)
        .or_else(|| svc.ip(rid).map(Resource::Ip))
        .or_else(|| svc.disk(rid).map(Resource::Disk))
        .or_else(|| svc.fs(rid).map(Resource::Fs))
        .or_else(|| svc.sync(rid).map(Resource::Sync))
        .or_else(|| svc.volume(rid).map(Resource::Volume))
}

/// Starts `res`; whether this call started it (what a rollback stops).
/// `cur`: what the engine holds for the action's containers.
pub fn start(ctx: &Context, touched: &Touched, res: Resource, cur: &Current) -> Result<bool> {
    match res {
        Resource::Container(c) => container::start(ctx, touched, c, cur.of(ctx.svc, c)?),
        Resource::Ip(i) => ip::start(ctx, touched, i),
        Resource::Disk(d) => disk::start(ctx, touched, d),
        Resource::Fs(f) => fs::start(ctx, touched, f),
        // sent by `om SVC sync update|full`, never started
        Resource::Sync(_) => Ok(false),
        Resource::Volume(v) => volume::start(ctx, touched, v),
    }
}

/// Stops `res`; `remove` (unprovision, purge): what it made goes too.
pub fn stop(ctx: &Context, res: Resource, cur: &Current, remove: bool) -> Result<()> {
    match res {
        Resource::Container(c) => container::stop(ctx, c, cur.of(ctx.svc, c)?, remove),
        Resource::Ip(i) => ip::stop(ctx, i),
        Resource::Disk(d) => disk::stop(ctx, d, remove),
        // a filesystem's data goes with its disk's file, at purge
        Resource::Fs(f) => fs::stop(ctx, f),
        Resource::Sync(_) => Ok(()),
        Resource::Volume(v) => volume::stop(ctx, v, remove, ctx.purge),
    }
}

/// Where `res` stands now, as status says it (the state a requirement
/// names).
pub fn status(ctx: &Context, res: Resource, cur: &Current) -> Result<ResourceStatus> {
    Ok(match res {
        Resource::Container(c) => {
            container::status::resource(ctx.svc, c, cur.of(ctx.svc, c)?.as_ref())
        }
        Resource::Ip(i) => ip::status::resource(i, &ip::state(ctx, i)),
        Resource::Disk(d) => disk::status::resource(d, &disk::state(d, ctx.log.node())),
        Resource::Fs(f) => fs::status(ctx.svc, f),
        Resource::Sync(s) => sync::status::resource(s, &sync::status::Seen::default(), false),
        Resource::Volume(v) => volume::status::resource(v, &volume::state(ctx, v)),
    })
}

/// Whether this action started `res` and it is still up, for the
/// rollback of a start that failed after it (a resource whose own start
/// failed rolled back already, and is found down).
pub fn started_and_up(ctx: &Context, touched: &Touched, res: Resource, cur: &Current) -> bool {
    if !touched.contains(&res.head().rid) {
        return false;
    }
    match res {
        Resource::Container(c) => cur.of(ctx.svc, c).ok().flatten().is_some_and(|i| i.running),
        Resource::Ip(_) => true,
        Resource::Disk(d) => disk::state(d, ctx.log.node()) == disk::State::Up,
        Resource::Fs(f) => fs::state(ctx.svc, f) == disk::State::Up,
        Resource::Sync(_) => false,
        Resource::Volume(v) => volume::state(ctx, v) == volume::State::Up,
    }
}

/// Whether a resource whose start failed left something up that its
/// start did not undo: a container this action ran that runs, up but
/// never healthy, say (never one that is not ours). A failed ip undid
/// its own link, unless a signal cut it short (see `undo_cut_short`).
pub fn left_running(ctx: &Context, touched: &Touched, res: Resource, cur: &Current) -> bool {
    match res {
        Resource::Container(c) => {
            touched.contains(&c.head.rid)
                && cur
                    .of(ctx.svc, c)
                    .ok()
                    .flatten()
                    .is_some_and(|i| i.running && container::owns(ctx.svc, c, &i))
        }
        // data: never removed by a rollback (a volume's)
        Resource::Ip(_)
        | Resource::Disk(_)
        | Resource::Fs(_)
        | Resource::Sync(_)
        | Resource::Volume(_) => false,
    }
}

/// What a signal left half-made of `res` (an ip resource's link between
/// its creation and the end of its start), removed as a stop does.
pub fn undo_cut_short(ctx: &Context, touched: &Touched, res: Resource) -> Result<()> {
    let rid = &res.head().rid;
    if !touched.cut_short(rid) {
        return Ok(());
    }
    match res {
        // a container is never half-made: its `docker run` is one call
        Resource::Container(_) | Resource::Disk(_) | Resource::Fs(_) | Resource::Volume(_) => {
            Ok(())
        }
        Resource::Ip(i) => ip::stop(ctx, i).map(|()| touched.half_made(rid, false)),
        Resource::Sync(_) => Ok(()),
    }
}
