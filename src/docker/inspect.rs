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
    /// `State.Health.Status` when the container has a health check.
    pub health: Option<String>,
    pub labels: BTreeMap<String, String>,
}

impl ContainerInfo {
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(12)]
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
    health: Option<RawHealth>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawHealth {
    #[serde(default)]
    status: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawConfig {
    #[serde(default)]
    image: String,
    labels: Option<BTreeMap<String, String>>,
}

/// Parses the JSON array `docker container inspect` prints (also for the
/// subset of names that exist when some do not).
pub fn parse(json: &str) -> Result<Vec<ContainerInfo>, String> {
    let json = json.trim();
    if json.is_empty() {
        return Ok(Vec::new());
    }
    let raw: Vec<Raw> =
        serde_json::from_str(json).map_err(|e| format!("unreadable docker inspect output: {e}"))?;
    Ok(raw
        .into_iter()
        .map(|r| ContainerInfo {
            id: r.id,
            name: r.name.trim_start_matches('/').to_string(),
            image: r.config.image,
            state: r.state.status,
            running: r.state.running,
            exit_code: r.state.exit_code,
            health: r.state.health.map(|h| h.status),
            labels: r.config.labels.unwrap_or_default(),
        })
        .collect())
}

/// True when docker's stderr says the engine can not be reached (as opposed
/// to "no such container").
pub fn engine_unreachable(stderr: &str) -> bool {
    let s = stderr.to_ascii_lowercase();
    s.contains("cannot connect to the docker daemon")
        || s.contains("error during connect")
        || s.contains("is the docker daemon running")
        || s.contains("connection refused")
        || s.contains("no such host")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_om_uses() {
        let json = r#"[{"Id":"3c9bc5d7a09a0123456789","Name":"/svc1.container.1",
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
        assert_eq!(parse("[]\n").unwrap(), []);
        assert!(parse("{oops").is_err());
    }
}
