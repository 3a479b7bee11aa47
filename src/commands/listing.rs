//! `om ls` and `om SVC logs`.

use crate::action::log::service_log;
use crate::cli::{Format, LogsArgs};
use crate::error::{Context, Error, Result};
use crate::host::Host;
use crate::output::{each, out};
use crate::paths::list_services;
// Logs written by an older om hold docker's text raw: escaped when shown.
use crate::text::escape_lines;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

pub fn ls(ctx: &Host, format: Format) -> Result<()> {
    // services, then secrets and configs (SPEC 13), each sorted
    let paths: Vec<String> = list_services(&ctx.roots)?
        .iter()
        .map(ToString::to_string)
        .chain(
            crate::objects::list(&ctx.roots)?
                .iter()
                .map(ToString::to_string),
        )
        .collect();
    let text = match format {
        Format::Text => paths.iter().map(|p| format!("{p}\n")).collect(),
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&paths).map_err(|e| Error::Failed(e.to_string()))?
        ),
    };
    out(&text)?;
    Ok(())
}

pub fn logs(ctx: &Host, selector: &str, follow: bool) -> Result<()> {
    let paths = ctx.select(selector)?;
    if follow && paths.len() > 1 {
        return Err(Error::Usage(format!(
            "logs --follow follows one service, '{selector}' selects {}",
            paths.len()
        )));
    }
    each(&paths, |path| {
        let file = path.log_file(&ctx.roots);
        let mut f = match open_log(&file, follow)? {
            Some(f) => f,
            None => return Ok(()),
        };
        // Bytes read but not shown yet: only whole lines go out, so a
        // character split across two reads is never garbled.
        let mut pending = Vec::new();
        loop {
            f.read_to_end(&mut pending)
                .context(|| format!("read {}", file.display()))?;
            if !follow {
                return out(&escape_lines(&String::from_utf8_lossy(&pending)));
            }
            if let Some(end) = pending.iter().rposition(|b| *b == b'\n') {
                let lines: Vec<u8> = pending.drain(..=end).collect();
                out(&escape_lines(&String::from_utf8_lossy(&lines)))?;
            }
            std::thread::sleep(Duration::from_millis(200));
            // Rotated (a new file at the path) or truncated: start over.
            let replaced = std::fs::metadata(&file)
                .ok()
                .zip(f.metadata().ok())
                .is_some_and(|(now, open)| now.ino() != open.ino());
            let truncated =
                f.metadata().map(|m| m.len()).unwrap_or(0) < f.stream_position().unwrap_or(0);
            if replaced {
                if let Some(newer) = open_log(&file, true)? {
                    f = newer;
                    pending.clear();
                }
            } else if truncated {
                let _ = f.seek(SeekFrom::Start(0));
                pending.clear();
            }
        }
    })
}

/// Opens the log; when it does not exist yet, `None` (nothing to show), or
/// with `follow`, waits for the first line as `tail -F` does.
fn open_log(file: &std::path::Path, follow: bool) -> Result<Option<std::fs::File>> {
    loop {
        match std::fs::File::open(file) {
            Ok(f) => return Ok(Some(f)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !follow => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => return Err(Error::Failed(crate::fsutil::io_fault(file, &e))),
        }
    }
}

/// `logs --containers`: the containers' own output (`docker logs`), each
/// line prefixed with its service and rid and escaped (a container's bytes
/// never reach the terminal raw), the containers side by side as their
/// lines come, as `docker compose logs` shows them. Only containers docker
/// says are the resource's are read.
pub fn container_logs(ctx: &Host, selector: &str, args: &LogsArgs) -> Result<()> {
    let paths = ctx.select(selector)?;
    let mut targets: Vec<(String, crate::docker::Engine, String)> = Vec::new();
    for path in &paths {
        let (_, svc) = crate::config::load(path, ctx)?;
        let selected =
            crate::model::resource::containers(&crate::action::select::select_resources(
                &svc,
                &crate::cli::ActionArgs {
                    rid: args.rid.clone(),
                    ..Default::default()
                },
            )?);
        let log = service_log(ctx, path, false);
        let engine = crate::docker::daemon::engine_for(&svc, ctx, &log, false, true)?;
        let cur = crate::docker::current::Current::query(&engine, &selected)?;
        for c in selected {
            if let Some(info) = cur.of(&svc, c)? {
                let ours = info.label(crate::docker::argv::LABEL_ID)
                    == Some(crate::docker::argv::container_id_label(&svc.id, &c.head.rid).as_str());
                if ours {
                    let prefix = if paths.len() > 1 {
                        format!("{path}.{}", c.head.rid)
                    } else {
                        c.head.rid.to_string()
                    };
                    targets.push((prefix, engine.clone(), info.id));
                }
            }
        }
    }
    let width = targets.iter().map(|(p, _, _)| p.len()).max().unwrap_or(0);
    let mut readers = Vec::new();
    for (prefix, engine, id) in &targets {
        let mut argv = vec!["logs".to_string()];
        if args.follow {
            argv.push("--follow".into());
        }
        if let Some(n) = args.tail {
            argv.push(format!("--tail={n}"));
        }
        argv.push(id.clone());
        readers.push((prefix, crate::process::Lines::spawn(&engine.cmd(argv))?));
    }
    let printer = std::sync::Mutex::new(());
    let closed = std::sync::atomic::AtomicBool::new(false);
    let failed = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        for (prefix, lines) in &readers {
            let (printer, closed, failed, readers) = (&printer, &closed, &failed, &readers);
            s.spawn(move || {
                let code = lines.each(|line| {
                    let text = String::from_utf8_lossy(line);
                    let text = crate::text::escape_controls(text.trim_end_matches(['\n', '\r']));
                    let _guard = printer.lock();
                    if closed.load(std::sync::atomic::Ordering::SeqCst) {
                        return false;
                    }
                    if out(&format!("{prefix:<width$} | {text}\n")).is_err() {
                        // Nobody reads any more: end every reader, not only
                        // this one (the others may wait long for a line).
                        closed.store(true, std::sync::atomic::Ordering::SeqCst);
                        for (_, other) in readers {
                            other.kill();
                        }
                        return false;
                    }
                    true
                });
                if code != 0 && !closed.load(std::sync::atomic::Ordering::SeqCst) {
                    failed.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    if failed.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(Error::Said);
    }
    Ok(())
}
