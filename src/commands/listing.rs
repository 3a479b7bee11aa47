//! `om ls` and `om SVC logs`.

use crate::action::log::service_log;
use crate::cli::{Format, LogsArgs, LsCli};
use crate::error::{Context, Error, Result};
use crate::host::Host;
use crate::output::{each, out};
use crate::paths::list_services;
// Logs written by an older om hold docker's text raw: escaped when shown.
use crate::status::collect::collect;
use crate::text::{escape_controls, escape_lines};
use std::io::IsTerminal;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

/// `om ls`: the service paths, then the secrets' and configs', each
/// sorted. On a terminal (or with `--long`) a table, as `systemctl
/// list-units` shows units: each service's state (the overall status,
/// what `om SVC status` exits with: up, down, warn, n/a; unknown when om
/// can not tell) and the nodes where it runs, from the status reader
/// (`status::collect`, the other nodes asked as `print status` asks
/// them). Not on a terminal, and with `--format json`, the paths alone,
/// one a line, as scripts read them (`om ls | while read p`): nothing
/// but a terminal's reader sees the table unless asked.
pub fn ls(ctx: &Host, args: &LsCli) -> Result<()> {
    let services = list_services(&ctx.roots)?;
    let objects = crate::objects::list(&ctx.roots)?;
    let paths: Vec<String> = services
        .iter()
        .map(ToString::to_string)
        .chain(objects.iter().map(ToString::to_string))
        .collect();
    let long = args.long || std::io::stdout().is_terminal();
    let text = match args.format {
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&paths).map_err(|e| Error::Failed(e.to_string()))?
        ),
        Format::Text if !long => paths.iter().map(|p| format!("{p}\n")).collect(),
        Format::Text => {
            // A state om can not read is `unknown` in the table, and why is on
            // stderr; ls still exits 0 (SPEC 3): it listed what it holds.
            let states = match collect(ctx, &services, true, false) {
                Ok((statuses, _)) => statuses,
                Err(e) => {
                    crate::text::say(&e.to_string());
                    Vec::new()
                }
            };
            let mut rows = vec![vec!["PATH".to_string(), "STATE".into(), "RUNS ON".into()]];
            for p in &services {
                let p = p.to_string();
                let (state, nodes) = match states.iter().find(|s| s.path == p) {
                    Some(st) => {
                        let on: Vec<_> = st
                            .instances
                            .iter()
                            .filter(|i| i.runs())
                            .map(|i| escape_controls(&i.node))
                            .collect();
                        (st.overall.to_string(), on.join(","))
                    }
                    None => ("unknown".to_string(), String::new()),
                };
                rows.push(vec![p, state, or_dash(nodes)]);
            }
            for o in &objects {
                rows.push(vec![o.to_string(), "-".into(), "-".into()]);
            }
            out(&table(&rows))?;
            return Ok(());
        }
    };
    out(&text)?;
    Ok(())
}

/// `om SVC ps`: the service's own containers on this node, one a line as
/// `docker ps` lists them, each found as status finds it (the status
/// reader, `status::collect`, and through it `Current::find`: its name,
/// or its label when renamed behind om's back), with the ones of a rid the
/// config no longer names; a resource whose container does not exist
/// shows `absent`. A stopped one says its exit code and how long ago.
pub fn ps(ctx: &Host, selector: &str) -> Result<()> {
    let paths = ctx.select(selector)?;
    let (statuses, broken) = collect(ctx, &paths, false, true)?;
    let now = chrono::Utc::now().timestamp();
    let several = statuses.len() > 1;
    let mut head = vec!["NAME", "RID", "STATE", "IMAGE", "ID"];
    if several {
        head.insert(0, "SERVICE");
    }
    let mut rows = vec![head.into_iter().map(String::from).collect::<Vec<_>>()];
    for st in &statuses {
        for r in &st.resources {
            let Some(c) = &r.container else { continue };
            let state = crate::status::render::stopped(c, now)
                .unwrap_or_else(|| escape_controls(&c.state).into_owned());
            let mut row = vec![
                escape_controls(&c.name).into_owned(),
                r.rid.clone(),
                state,
                or_dash(escape_controls(&c.image).into_owned()),
                or_dash(c.id.clone().unwrap_or_default()),
            ];
            if several {
                row.insert(0, st.path.clone());
            }
            rows.push(row);
        }
    }
    out(&table(&rows))?;
    if broken {
        return Err(Error::Said);
    }
    Ok(())
}

fn or_dash(s: String) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s
    }
}

/// Rows as columns, each as wide as its widest cell, two spaces apart
/// (the last one not padded).
fn table(rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let w = cell.chars().count();
            match widths.get_mut(i) {
                Some(have) => *have = (*have).max(w),
                None => widths.push(w),
            }
        }
    }
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                let pad = widths[i] - cell.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
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
