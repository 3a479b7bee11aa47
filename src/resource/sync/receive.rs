//! The receiving side of a sync (SPEC 17), run by the sender's rsync as
//! its remote program (`--rsync-path`): this node's om checks the sync by
//! its own config (the service does not run here, `dstfs` is mounted, the
//! destination is its own `dst`), takes the resource's lock, removes what
//! an interrupted sync left, and runs the kind's receiving side on the
//! same stdin and stdout (the rsync server, `btrfs receive`, `docker
//! load`, or the image ids it has); after a transfer's success, records
//! the time as this node's last sync, from the sender. One ssh session
//! per target: the question, the transfer and the record ride on it.

use super::records;
use super::rsync::{server_words_ok, TEMP_DIR};
use crate::action::log::service_log;
use crate::cli::DataSyncArgs;
use crate::error::{fail, Error, Result};
use crate::host::Host;
use crate::logger::{Level, Logger};
use crate::model::sync::SyncKind;
use crate::model::{DataSync, Service};
use crate::nodename::is_local;
use crate::nodes::ask::Word;
use crate::paths::SvcPath;
use std::path::{Path, PathBuf};

/// The sending node (`--from`), checked as a node name.
fn from(args: &DataSyncArgs) -> Result<&str> {
    let from = args
        .from
        .as_deref()
        .ok_or_else(|| Error::Usage("the receiving side of a sync needs --from NODE".into()))?;
    crate::config::operand::node(from).map_err(|e| Error::Usage(format!("--from {e}")))?;
    Ok(from)
}

/// The one sync resource `--rid` names, in this node's config.
fn the_sync<'a>(svc: &'a Service, args: &DataSyncArgs) -> Result<&'a DataSync> {
    let [rid] = args.rid.as_slice() else {
        return Err(Error::Usage(
            "the receiving side of a sync needs one --rid sync#N".into(),
        ));
    };
    svc.sync(rid)
        .ok_or_else(|| Error::Failed(format!("{}: no sync resource {rid} here", svc.path)))
}

/// `om PATH sync update|full --receive --from N --rid sync#N -- WORDS`:
/// the rsync server, with WORDS, once this node agrees.
pub fn serve(ctx: &Host, path: &SvcPath, args: &DataSyncArgs) -> Result<()> {
    let from = from(args)?;
    let here = ctx.node.as_str();
    let (_, svc) = crate::config::load(path, ctx)?;
    let s = the_sync(&svc, args)?;
    let rid = s.head.rid.as_str();
    refuse_another_service(path, here, from, &svc, args)?;
    refuse_outside_its_targets(path, here, from, &svc, s)?;
    match s.kind {
        SyncKind::Rsync => server_words_ok(&args.server, &s.dst),
        SyncKind::Docker => super::docker::receiver_words_ok(&args.server),
        SyncKind::Btrfs => super::btrfs::receiver_words_ok(&args.server),
    }
    .map_err(|why| Error::Failed(format!("{path}: {rid} from {from}: {why}")))?;
    // this node's paths, dst among them, checked on this host before
    // anything is written or removed (SPEC 11, 17)
    crate::resource::disk::paths::check_host(&svc, ctx)?;
    // stdout is rsync's protocol: om says nothing there, and its log
    // lines go to stderr, which the sender's rsync hands to the sender
    let log = service_log(ctx, path, false);
    let what = format!("om {path} sync from {from} --rid {rid}");
    let _lock = records::lock(
        ctx,
        path,
        s,
        crate::action::waitlock(&args.waitlock)?,
        &what,
    )?;
    refuse_while_it_runs(ctx, path, here, &svc)?;
    require_dstfs_mounted(path, here, s)?;
    let received = match s.kind {
        SyncKind::Rsync => rsync(s, args, &log)?,
        SyncKind::Docker => {
            let spool = records::dir(path, &ctx.roots, s).join("images.tar");
            super::docker::receive(ctx, &svc, &spool, &args.server, &log)?
        }
        SyncKind::Btrfs => super::btrfs::receive(s, &svc.id, &args.server, &log)?,
    };
    // the time of the success, kept here as this node's last sync, from
    // the sender (which records its own when its side ends)
    if received {
        records::write(path, &ctx.roots, s, here, records::now(), Some(from))?;
    }
    Ok(())
}

/// The rsync server into `dst`, once what an interrupted sync left in
/// its temporary directory is removed. Always a transfer (true).
fn rsync(s: &DataSync, args: &DataSyncArgs, log: &Logger) -> Result<bool> {
    let temp = prepare_temp(s, log)?;
    let cmd = crate::process::Cmd::new("rsync", args.server.iter().cloned());
    let code = crate::process::inherit(&cmd)?;
    // emptied by rsync's renames when it succeeded
    let _ = std::fs::remove_dir(&temp);
    if code != 0 {
        return Err(Error::Child(code));
    }
    Ok(true)
}

/// The sender's id of the service (`--expect-id`, which om's sender
/// always passes) is this node's, before anything is written here: a
/// receiving side asked without it is refused (silence is not "the same
/// service").
fn refuse_another_service(
    path: &SvcPath,
    here: &str,
    from: &str,
    svc: &Service,
    args: &DataSyncArgs,
) -> Result<()> {
    let Some(id) = args.expect_id.as_deref() else {
        return Err(Error::Usage(format!(
            "{path}: the receiving side of a sync needs --expect-id, the service's id on {from}"
        )));
    };
    if id != svc.id {
        return fail(format!(
            "{path} on {here} has id {}, the one on {from} id {id}: another service, no sync into it",
            svc.id
        ));
    }
    Ok(())
}

/// By this node's config, the sync goes from `from` to here: `from` is
/// one of the service's `nodes` (a disaster recovery node never sends) and
/// this node one of the resource's targets; anything else is a sender
/// whose config is not this one, refused before anything is written.
fn refuse_outside_its_targets(
    path: &SvcPath,
    here: &str,
    from: &str,
    svc: &Service,
    s: &DataSync,
) -> Result<()> {
    let rid = s.head.rid.as_str();
    if !svc.nodes.iter().any(|n| is_local(n, from)) {
        return fail(format!(
            "{path}: {from} is not one of its nodes here ({}): no sync from it",
            svc.nodes.join(" ")
        ));
    }
    let targets = s.target_nodes(svc, None);
    if !targets.iter().any(|n| is_local(n, here)) {
        return fail(format!(
            "{path}: {rid} does not send to {here} by its config here (its targets: {}): no sync into it",
            targets.join(" ")
        ));
    }
    Ok(())
}

/// This node's word on the service, read as the split-brain guard reads
/// another node's answer (`nodes::ask::word_of`), here, under the sync's
/// lock, in the same session as the transfer: no sync into an instance
/// that runs, or that can not say it does not.
fn refuse_while_it_runs(ctx: &Host, path: &SvcPath, here: &str, svc: &Service) -> Result<()> {
    let st = crate::status::collect::local_status(ctx, svc)?;
    let answer = st.instances.into_iter().next().map(|i| (svc.id.clone(), i));
    match crate::nodes::ask::word_of(here, svc, answer.as_ref()) {
        Word::Not | Word::Absent => Ok(()),
        Word::Runs { .. } => fail(format!(
            "{path}: {here} says the service runs there: no sync to it (its data is in use)"
        )),
        Word::Unknown(why) => fail(format!(
            "{path}: {here} can not tell whether the service runs there ({why}): no sync to it"
        )),
    }
}

/// A `dstfs` not mounted: the data would fill the filesystem under it.
fn require_dstfs_mounted(path: &SvcPath, here: &str, s: &DataSync) -> Result<()> {
    if let Some(fs) = &s.dstfs {
        if !mounted(Path::new(fs))? {
            return fail(format!(
                "{path}: dstfs {fs} is not mounted on {here}: no sync into {} (it would fill the filesystem under it)",
                s.dst
            ));
        }
    }
    Ok(())
}

/// The destination and its temporary directory, emptied of what an
/// interrupted sync left there: its path.
fn prepare_temp(s: &DataSync, log: &Logger) -> Result<PathBuf> {
    let dst = Path::new(&s.dst);
    let temp = dst.join(TEMP_DIR);
    std::fs::create_dir_all(dst).map_err(|e| Error::io("create", dst.to_path_buf(), e))?;
    let left = clean(&temp)?;
    if left > 0 {
        log.res(
            &s.head.rid,
            Level::Info,
            &format!(
                "removed {left} temporary files an interrupted sync left in {}",
                temp.display()
            ),
        );
    }
    match std::fs::create_dir(&temp) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            return Err(Error::io("create", temp, e))
        }
        _ => {}
    }
    Ok(temp)
}

/// Removes the files in `temp` (om's temporary directory in a `dst`,
/// where only rsync writes): what a killed rsync left. Never follows a
/// link, never goes below it. How many went.
fn clean(temp: &Path) -> Result<usize> {
    match std::fs::symlink_metadata(temp) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return fail(format!("{} is not a directory", temp.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io("read", temp.to_path_buf(), e)),
    }
    let mut n = 0;
    let entries = std::fs::read_dir(temp).map_err(|e| Error::io("read", temp.to_path_buf(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read", temp.to_path_buf(), e))?;
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            let p = entry.path();
            std::fs::remove_file(&p).map_err(|e| Error::io("remove", p, e))?;
            n += 1;
        }
    }
    Ok(n)
}

/// Whether `mnt` is a mount point on this node: the fs kind's reader of
/// the mount table (its escapes undone, the directory's links resolved).
fn mounted(mnt: &Path) -> Result<bool> {
    use crate::resource::fs::mounts;
    Ok(mounts::on(&mounts::table()?, mnt).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_a_mount_point() {
        // the table's escapes: fs::mounts::tests::mountinfo_lines
        assert!(mounted(Path::new("/")).unwrap());
    }
}
