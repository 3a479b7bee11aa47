//! What wakes a watch: each engine's `docker events` (a child per engine,
//! for as long as the watch runs), the services' files (config, state,
//! action log: their mtimes polled), the other nodes' answers (asked at
//! the interval), the keys typed.

use crate::docker;
use crate::host::Host;
use crate::nodes::ask::NodeAnswer;
use crate::process::{Cmd, Lines};
use crate::status::collect::{ask_others, Marks};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Why the watch wakes up.
pub enum Wake {
    /// A container of the services changed on an engine.
    Event,
    /// An engine's `docker events` ended (its engine, the follow's serial,
    /// and why).
    EventsEnded(docker::Engine, u64, String),
    /// A config, state or log file changed, or the services matched did.
    Files,
    /// The other nodes' answers, asked now.
    Nodes(Vec<(String, NodeAnswer)>),
    /// A key typed on the terminal.
    Key(u8),
}

/// How often the files are looked at: a change in them shows within this.
pub const FILES_EVERY: Duration = Duration::from_millis(250);

/// The `docker events` of one engine, followed.
pub struct Follow {
    pub marks: Arc<Mutex<Marks>>,
    lines: Arc<Lines>,
    /// Set once its child ended: the watch polls this engine instead.
    pub ended: Option<String>,
}

impl Follow {
    /// Starts `docker events` on `marks.engine` (its containers' events
    /// only, in JSON, from `since` on: those of the moments before it
    /// listens are replayed) and a thread that wakes the watch on each event of a
    /// container `marks` names, and once more when the child ends.
    pub fn start(
        marks: Marks,
        serial: u64,
        since: SystemTime,
        wake: &Sender<Wake>,
    ) -> crate::error::Result<Follow> {
        let cmd = events_cmd(&marks.engine, since);
        let lines = Arc::new(Lines::spawn_grouped(&cmd)?);
        let marks = Arc::new(Mutex::new(marks));
        let (reader, seen, wake) = (Arc::clone(&lines), Arc::clone(&marks), wake.clone());
        std::thread::Builder::new()
            .name("docker-events".into())
            .spawn(move || {
                let mut last = String::new();
                let code = reader.each(|line| {
                    let line = String::from_utf8_lossy(line);
                    let ours = {
                        let m = seen
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        event_of(&line, &m)
                    };
                    match ours {
                        Some(true) => wake.send(Wake::Event).is_ok(),
                        Some(false) => true,
                        None => {
                            // not an event: what docker said (an error)
                            last = line.trim().to_string();
                            true
                        }
                    }
                });
                let engine = seen
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .engine
                    .clone();
                let why = if last.is_empty() {
                    format!("exit {code}")
                } else {
                    format!("exit {code}: {last}")
                };
                let _ = wake.send(Wake::EventsEnded(engine, serial, why));
            })
            .map_err(|e| crate::error::Error::Failed(format!("docker events: {e}")))?;
        Ok(Follow {
            marks,
            lines,
            ended: None,
        })
    }

    pub fn engine(&self) -> docker::Engine {
        self.marks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .engine
            .clone()
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        self.lines.kill();
    }
}

/// `docker events` of an engine's containers from `since` on (docker's
/// `SECONDS.NANOSECONDS`), one JSON object a line.
pub fn events_cmd(engine: &docker::Engine, since: SystemTime) -> Cmd {
    let t = since
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    engine.cmd([
        "events".to_string(),
        "--since".into(),
        format!("{}.{:09}", t.as_secs(), t.subsec_nanos()),
        "--filter".into(),
        "type=container".into(),
        "--format".into(),
        "{{json .}}".into(),
    ])
}

/// Whether an event line is about a container `marks` names (its name, or
/// its `com.opensvc.id` label of one of the services, renamed or not) and
/// may change its status; `None` when the line is no event.
pub fn event_of(line: &str, marks: &Marks) -> Option<bool> {
    let ev: serde_json::Value = serde_json::from_str(line).ok()?;
    let action = ev.get("Action").and_then(serde_json::Value::as_str)?;
    // a health check's exec is no change; its outcome (health_status) is
    if action.starts_with("exec_") || matches!(action, "attach" | "top" | "resize" | "copy") {
        return Some(false);
    }
    let attrs = ev.get("Actor").and_then(|a| a.get("Attributes"));
    let attr = |k: &str| {
        attrs
            .and_then(|a| a.get(k))
            .and_then(serde_json::Value::as_str)
    };
    let named = attr("name").is_some_and(|n| marks.names.iter().any(|m| m == n));
    let labelled = attr(docker::argv::LABEL_ID)
        .and_then(docker::argv::service_and_rid)
        .is_some_and(|(id, _)| marks.ids.iter().any(|m| m == id));
    Some(named || labelled)
}

/// What the files of the services look like now: the paths matched, and
/// each one's config, state and action log entries with their mtime and
/// length. A change of any is a reason to read the status again.
pub fn files_seen(ctx: &Host, selector: &str) -> Vec<(String, Option<(SystemTime, u64)>)> {
    let stamp = |p: &std::path::Path| {
        std::fs::metadata(p)
            .ok()
            .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()))
    };
    let mut seen = Vec::new();
    let paths = match ctx.matching(selector) {
        Ok(p) => p,
        Err(e) => return vec![(e.to_string(), None)],
    };
    for path in paths {
        let conf = path.conf_file(&ctx.roots);
        seen.push((conf.display().to_string(), stamp(&conf)));
        let log = path.log_file(&ctx.roots);
        seen.push((log.display().to_string(), stamp(&log)));
        let var = path.var_dir(&ctx.roots);
        let mut entries: Vec<_> = std::fs::read_dir(&var)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        seen.push((var.display().to_string(), stamp(&var)));
        for e in entries {
            let s = stamp(&e);
            seen.push((e.display().to_string(), s));
        }
    }
    seen
}

/// Keys typed on stdin (a terminal), each a wake.
pub fn read_keys(wake: Sender<Wake>) {
    let _ = std::thread::Builder::new()
        .name("keys".into())
        .spawn(move || {
            use std::io::Read;
            let mut stdin = std::io::stdin();
            let mut b = [0u8; 1];
            while let Ok(1) = stdin.read(&mut b) {
                if wake.send(Wake::Key(b[0])).is_err() {
                    break;
                }
            }
        });
}

/// A thread that looks at the services' files every `FILES_EVERY`.
pub fn watch_files(ctx: &Host, selector: &str, wake: &Sender<Wake>) {
    let (ctx, selector, wake) = (ctx.clone(), selector.to_string(), wake.clone());
    let _ = std::thread::Builder::new()
        .name("files".into())
        .spawn(move || {
            let mut seen = files_seen(&ctx, &selector);
            loop {
                std::thread::sleep(FILES_EVERY);
                let now = files_seen(&ctx, &selector);
                if now != seen {
                    seen = now;
                    if wake.send(Wake::Files).is_err() {
                        return;
                    }
                }
            }
        });
}

/// A thread that asks the other nodes every `interval` (never two asks at
/// once: the next waits for the last answer).
pub fn ask_every(ctx: &Host, selector: &str, interval: Duration, wake: &Sender<Wake>) {
    let (ctx, selector, wake) = (ctx.clone(), selector.to_string(), wake.clone());
    let _ = std::thread::Builder::new()
        .name("nodes".into())
        .spawn(move || loop {
            std::thread::sleep(interval);
            let Ok(paths) = ctx.matching(&selector) else {
                continue;
            };
            if wake.send(Wake::Nodes(ask_others(&ctx, &paths))).is_err() {
                return;
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks() -> Marks {
        Marks {
            engine: docker::Engine::host(&crate::host::DockerCli::default()),
            names: vec!["web.container.1".into()],
            ids: vec!["1234-ab".into()],
        }
    }

    #[test]
    fn an_event_wakes_for_the_services_containers_only() {
        let m = marks();
        let ev = |action: &str, name: &str, label: &str| {
            format!(
                r#"{{"Type":"container","Action":"{action}","Actor":{{"ID":"x","Attributes":{{"name":"{name}","com.opensvc.id":"{label}"}}}}}}"#
            )
        };
        assert_eq!(event_of(&ev("die", "web.container.1", ""), &m), Some(true));
        // renamed behind om's back: its label says whose it is
        assert_eq!(
            event_of(&ev("rename", "other", "1234-ab.container#1"), &m),
            Some(true)
        );
        assert_eq!(
            event_of(&ev("die", "other", "99.container#1"), &m),
            Some(false)
        );
        // a health check's exec is no change
        assert_eq!(
            event_of(&ev("exec_start: sh -c true", "web.container.1", ""), &m),
            Some(false)
        );
        assert_eq!(
            event_of("Cannot connect to the Docker daemon", &m),
            None,
            "an error line is no event"
        );
    }

    #[test]
    fn the_events_command_is_the_engines() {
        let since = SystemTime::UNIX_EPOCH + Duration::new(1_796_673_690, 6_061_744);
        let cmd = events_cmd(&marks().engine, since);
        assert_eq!(
            cmd.to_string(),
            "docker events --since 1796673690.006061744 --filter type=container --format '{{json .}}'"
        );
    }
}
