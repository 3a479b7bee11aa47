//! What om reads back from `docker container inspect`.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerInfo {
    pub id: String,
    /// Without docker's leading `/`.
    pub name: String,
    /// The image as asked for at `docker run` (`Config.Image`).
    pub image: String,
    /// `created`, `running`, `paused`, `restarting`, `exited`, `dead`.
    pub state: String,
    pub running: bool,
    pub exit_code: i64,
    /// `State.FinishedAt` (RFC 3339) from an inspect, when the container
    /// ran and stopped; `None` from a listing (which does not say it), or
    /// for a container that never ran. Its presence is what says
    /// `exit_code` is docker's word (a listing gives 0).
    pub finished_at: Option<String>,
    /// `State.Health.Status` when the container has a health check.
    pub health: Option<String>,
    /// The output of the last health check, when there was one.
    pub health_output: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// `State.Pid` from an inspect (0 when not running, or from a listing):
    /// the process an `ip` resource enters the namespace of (SPEC 16).
    pub pid: u32,
}

/// Whether a container in docker state `state` may be running something:
/// running, paused, restarting (only exited, created and dead ones are
/// not). What status counts as running and a daemon as busy.
pub fn alive_state(state: &str) -> bool {
    !matches!(state, "exited" | "created" | "dead")
}

impl ContainerInfo {
    /// The 12-char id docker shows (ids are verified 64-hex at parse).
    pub fn short_id(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

/// The part of `docker container inspect`'s document om reads. Typed
/// deserialization skips the rest without building it (the full document is
/// ~8 KB a container, and status parses all of them at once).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Raw {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    state: RawState,
    #[serde(default)]
    config: RawConfig,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawState {
    #[serde(default)]
    status: String,
    #[serde(default)]
    running: bool,
    #[serde(default)]
    exit_code: i64,
    #[serde(default)]
    finished_at: String,
    #[serde(default)]
    pid: u32,
    health: Option<RawHealth>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawHealth {
    #[serde(default)]
    status: String,
    #[serde(default)]
    log: Vec<RawCheck>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawCheck {
    #[serde(default)]
    output: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawConfig {
    #[serde(default)]
    image: String,
    labels: Option<BTreeMap<String, String>>,
}

/// Why `docker container inspect`'s answer can not be read (the caller
/// names the call).
#[derive(Debug)]
pub enum Unreadable {
    /// It printed nothing, not even `[]`.
    Nothing,
    Json(serde_json::Error),
    /// An entry without a full id or a name.
    Entry {
        id: String,
        name: String,
    },
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::Nothing => f.write_str("docker inspect printed nothing"),
            Unreadable::Json(e) => write!(f, "unreadable docker inspect output: {e}"),
            Unreadable::Entry { id, name } => write!(
                f,
                "unreadable docker inspect output: container id '{}' name '{}'",
                id.escape_default(),
                name.escape_default()
            ),
        }
    }
}

/// Parses the JSON array `docker container inspect` prints (also for the
/// subset of names that exist when some do not).
pub fn parse(json: &str) -> Result<Vec<ContainerInfo>, Unreadable> {
    let json = json.trim();
    if json.is_empty() {
        return Err(Unreadable::Nothing);
    }
    let raw: Vec<Raw> = serde_json::from_str(json).map_err(Unreadable::Json)?;
    if let Some(bad) = raw.iter().find(|r| !is_full_id(&r.id) || r.name.is_empty()) {
        return Err(Unreadable::Entry {
            id: bad.id.clone(),
            name: bad.name.clone(),
        });
    }
    Ok(raw
        .into_iter()
        .map(|r| ContainerInfo {
            id: r.id,
            name: r.name.trim_start_matches('/').to_string(),
            image: r.config.image,
            state: r.state.status,
            running: r.state.running,
            exit_code: r.state.exit_code,
            // docker's zero time: it never stopped (created, or running)
            finished_at: Some(r.state.finished_at)
                .filter(|f| !f.is_empty() && !f.starts_with("0001-") && !r.state.running),
            pid: r.state.pid,
            health_output: r
                .state
                .health
                .as_ref()
                .and_then(|h| h.log.last())
                .map(|c| c.output.trim().to_string())
                .filter(|o| !o.is_empty()),
            health: r.state.health.map(|h| h.status),
            labels: r.config.labels.unwrap_or_default(),
        })
        .collect())
}

/// One line of `argv::ps_argv`'s output, or `None` when it can not be read.
pub fn parse_ps_line(line: &str) -> Option<ContainerInfo> {
    let quoted = |f: &str| serde_json::from_str::<String>(f).ok();
    let mut f = line.split('\t');
    let id = f.next().filter(|i| is_full_id(i))?.to_string();
    // A container with legacy links has several names: its own is the one
    // without a `/` (`app/db` is a link alias), as docker shows it.
    let name = f
        .next()?
        .split(',')
        .find(|n| !n.is_empty() && !n.contains('/'))?
        .to_string();
    let image = listed_image(quoted(f.next()?)?);
    let state = f.next()?.to_string();
    let status = quoted(f.next()?)?;
    let mut labels = BTreeMap::new();
    for key in [super::argv::LABEL_ID, super::argv::LABEL_CONFIG] {
        // `.Label` says "" for a label the container does not have.
        let v = quoted(f.next()?)?;
        if !v.is_empty() {
            labels.insert(key.to_string(), v);
        }
    }
    if f.next().is_some() {
        return None;
    }
    Some(listed(id, name, image, state, &status, labels))
}

/// A listed container (`docker ps`, or the API's `GET /containers/json`,
/// which is what ps asks): the same fields either way.
pub fn listed(
    id: String,
    name: String,
    image: String,
    state: String,
    status: &str,
    labels: BTreeMap<String, String>,
) -> ContainerInfo {
    let health = ["healthy", "unhealthy", "health: starting"]
        .iter()
        .find(|h| status.contains(&format!("({h})")))
        .map(|h| h.trim_start_matches("health: ").to_string());
    ContainerInfo {
        id,
        name,
        image,
        running: state == "running",
        state,
        exit_code: 0,
        finished_at: None,
        health,
        health_output: None,
        labels,
        pid: 0,
    }
}

/// Whether two image references name the same image: equal, or one is the
/// other with the `:latest` docker adds to a name without a tag. Nothing
/// else is normalized: a registry, a digest or another tag is never dropped.
pub fn same_image(a: &str, b: &str) -> bool {
    a == b || without_latest(a) == without_latest(b)
}

/// `name:latest` as `name` (the tag docker adds when none is given); any
/// other reference (a digest, another tag) as it is.
fn without_latest(image: &str) -> &str {
    match image.strip_suffix(":latest") {
        Some(name) if !image.contains('@') && !name.is_empty() && !name.ends_with('/') => name,
        _ => image,
    }
}

/// The other name of the same image (`name` for `name:latest` and the
/// reverse), when it has one.
pub fn other_image_name(image: &str) -> Option<String> {
    if image.is_empty() || image.contains('@') {
        return None;
    }
    let name = without_latest(image);
    if name != image {
        return Some(name.to_string());
    }
    // a tag is what follows the last ':' after the last '/' (a ':' before
    // it is a registry's port)
    let last = image.rsplit('/').next().unwrap_or(image);
    (!last.contains(':')).then(|| format!("{image}:latest"))
}

/// The image a list shows: once its tag moved to another image (a pull, a
/// retag), that is the image id, which says nothing of the configured
/// name: unknown then.
pub fn listed_image(image: String) -> String {
    if image.starts_with("sha256:") || is_full_id(&image) || is_short_id(&image) {
        String::new()
    } else {
        image
    }
}

fn is_short_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A docker container id: 64 lowercase hex digits.
pub fn is_full_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// True when docker's stderr says the engine can not be reached (as opposed
/// to "no such container"), its socket refusing the user included
/// ("permission denied while trying to connect to the Docker daemon
/// socket at unix:///var/run/docker.sock: …").
pub fn engine_unreachable(stderr: &str) -> bool {
    let s = stderr.to_ascii_lowercase();
    s.contains("cannot connect to the docker daemon")
        || s.contains("while trying to connect to the docker")
        || s.contains("error during connect")
        || s.contains("is the docker daemon running")
        || s.contains("connection refused")
        || s.contains("no such host")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_that_refuses_the_user_is_an_unreachable_engine() {
        assert!(engine_unreachable("permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/containers/json\": dial unix /var/run/docker.sock: connect: permission denied"));
        assert!(!engine_unreachable(
            "Error response from daemon: No such container: x"
        ));
    }

    #[test]
    fn reads_the_fields_om_uses() {
        let json = r#"[{"Id":"3c9bc5d7a09a0123456789abcdef0123456789abcdef0123456789abcdef0123","Name":"/svc1.container.1",
            "State":{"Status":"running","Running":true,"ExitCode":0,"Health":{"Status":"starting"}},
            "Config":{"Image":"nginx","Labels":{"com.opensvc.id":"x.container#1"}}}]"#;
        let got = parse(json).unwrap();
        assert_eq!(got.len(), 1);
        let c = &got[0];
        assert_eq!(c.short_id(), "3c9bc5d7a09a");
        assert_eq!(c.name, "svc1.container.1");
        assert_eq!(c.image, "nginx");
        assert!(c.running);
        assert_eq!(c.health.as_deref(), Some("starting"));
        assert_eq!(c.label("com.opensvc.id"), Some("x.container#1"));
        // running, or never run (docker's zero time): no time it stopped
        assert_eq!(c.finished_at, None);
        let stopped = json
            .replace(
                r#""Status":"running","Running":true,"ExitCode":0"#,
                r#""Status":"exited","Running":false,"ExitCode":137,"FinishedAt":"2026-12-07T17:00:00.5Z""#,
            );
        let c = &parse(&stopped).unwrap()[0];
        assert_eq!(
            (c.exit_code, c.finished_at.as_deref()),
            (137, Some("2026-12-07T17:00:00.5Z"))
        );
        let never = stopped.replace("2026-12-07T17:00:00.5Z", "0001-01-01T00:00:00Z");
        assert_eq!(parse(&never).unwrap()[0].finished_at, None);
        assert_eq!(parse("[]\n").unwrap(), []);
        assert!(parse("{oops").is_err());
        // silence and ids that are not docker's are unreadable, never "none"
        assert!(parse("").is_err());
        assert!(parse(r#"[{"Id":"é3c9bc5d7a09a0123","Name":"/a"}]"#).is_err());
        assert!(parse(r#"[{"Name":"/a"}]"#).is_err());
    }

    #[test]
    fn reads_a_ps_line() {
        let id = "6a1e20260ab0e5d967f6296ebae313f0465670d51ee7a81e57508e233e2e3e76";
        let line = format!(
            "{id}\tsvc1.container.1\t\"nginx\"\trunning\t\"Up 2 seconds (health: starting)\"\t\"x.container#1\"\t\"\""
        );
        let c = parse_ps_line(&line).unwrap();
        assert_eq!(
            (c.name.as_str(), c.image.as_str()),
            ("svc1.container.1", "nginx")
        );
        assert!(c.running);
        assert_eq!(c.health.as_deref(), Some("starting"));
        assert_eq!(c.label("com.opensvc.id"), Some("x.container#1"));
        assert_eq!(c.label("com.opensvc.config"), None);
        let sick = line.replace("(health: starting)", "(unhealthy)");
        assert_eq!(
            parse_ps_line(&sick).unwrap().health.as_deref(),
            Some("unhealthy")
        );
        // a label with a tab and a newline, JSON-quoted
        let odd = line.replace("\"x.container#1\"", "\"a\\tb\\nc\"");
        assert_eq!(
            parse_ps_line(&odd).unwrap().label("com.opensvc.id"),
            Some("a\tb\nc")
        );
        // a link alias first: the container's own name is the one without '/'
        let linked = line.replace("\tsvc1.container.1\t", "\tapp/db,svc1.container.1\t");
        assert_eq!(parse_ps_line(&linked).unwrap().name, "svc1.container.1");
        // an image id (the tag moved) is no configured name
        let moved = line.replace("\"nginx\"", "\"sha256:0123\"");
        assert_eq!(parse_ps_line(&moved).unwrap().image, "");
        for bad in ["", "x", &line.replace(id, "abc"), &format!("{line}\textra")] {
            assert!(parse_ps_line(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_name_and_its_latest_tag_are_one_image_nothing_else_is() {
        for (a, b) in [
            ("busybox", "busybox:latest"),
            ("om-test/busybox", "om-test/busybox:latest"),
            ("127.0.0.1:5000/x", "127.0.0.1:5000/x:latest"),
            ("nginx:1.25", "nginx:1.25"),
        ] {
            assert!(same_image(a, b) && same_image(b, a), "{a} {b}");
        }
        for (a, b) in [
            ("busybox", "nginx"),
            ("busybox", "busybox:1.36"),
            ("busybox:latest", "busybox:1.36"),
            ("busybox", "docker.io/library/busybox"),
            ("127.0.0.1:5000/x", "x"),
            ("busybox@sha256:00", "busybox"),
            ("busybox:latest@sha256:00", "busybox@sha256:00"),
        ] {
            assert!(!same_image(a, b) && !same_image(b, a), "{a} {b}");
        }
        assert_eq!(
            other_image_name("busybox").as_deref(),
            Some("busybox:latest")
        );
        assert_eq!(
            other_image_name("busybox:latest").as_deref(),
            Some("busybox")
        );
        assert_eq!(
            other_image_name("127.0.0.1:5000/x").as_deref(),
            Some("127.0.0.1:5000/x:latest")
        );
        assert_eq!(other_image_name("busybox:1.36"), None);
        assert_eq!(other_image_name("busybox@sha256:00"), None);
    }
}
