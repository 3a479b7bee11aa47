//! What om reads back from `docker container inspect`.

use serde_json::Value;
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

/// Parses the JSON array `docker container inspect` prints (also for the
/// subset of names that exist when some do not).
pub fn parse(json: &str) -> Result<Vec<ContainerInfo>, String> {
    let json = json.trim();
    if json.is_empty() {
        return Ok(Vec::new());
    }
    let v: Value =
        serde_json::from_str(json).map_err(|e| format!("unreadable docker inspect output: {e}"))?;
    let items = v
        .as_array()
        .ok_or("unreadable docker inspect output: not an array")?;
    Ok(items.iter().map(one).collect())
}

fn one(v: &Value) -> ContainerInfo {
    let s = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let labels = v
        .pointer("/Config/Labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    ContainerInfo {
        id: s("/Id"),
        name: s("/Name").trim_start_matches('/').to_string(),
        image: s("/Config/Image"),
        state: s("/State/Status"),
        running: v
            .pointer("/State/Running")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        exit_code: v
            .pointer("/State/ExitCode")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        health: v
            .pointer("/State/Health/Status")
            .and_then(Value::as_str)
            .map(String::from),
        labels,
    }
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
