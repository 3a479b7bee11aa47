//! The container kind's section (`[container#N]`) as a `Container`.

use super::{head, Section};
use crate::config::keywords::{rid_index, CONTAINER_GROUP};
use crate::config::operand;
use crate::model::Container;
use std::borrow::Cow;
use std::collections::HashMap;

/// A `[container#N]` section as a `Container`.
pub fn parse(
    sec: &Section,
    names: &HashMap<&str, String>,
    netns_set: bool,
    known: &dyn Fn(&str) -> bool,
    rids: &dyn Fn() -> String,
) -> Result<Container, String> {
    let rid = sec.rid;
    let text = |key: &str| sec.text(key);
    let flag = |key: &str| sec.flag(key);
    let words = |key: &str| sec.words(key);
    let duration = |key: &str| sec.duration(key);
    let operand = |key: &str, check: fn(&str) -> Result<(), String>| sec.operand(key, check);
    let mut depends_on = Vec::new();
    let mut namespace = |key: &str| -> Result<Option<String>, String> {
        let Some(v) = text(key)?.map(Cow::into_owned) else {
            return Ok(None);
        };
        if rid_index(&v, CONTAINER_GROUP).is_none() {
            let allowed: &[&str] = match key {
                "pidns" => &["host"],
                "ipcns" => &["none", "private", "shareable", "host"],
                _ => &[],
            };
            if key == "netns" {
                operand::network(&v).map_err(|e| format!("{rid}.{key}: {e}"))?;
            } else if !allowed.contains(&v.as_str()) {
                return Err(format!(
                    "{rid}.{key}: '{}' is not one of: {}, container#N",
                    v.escape_debug(),
                    allowed.join(", ")
                ));
            }
            return Ok(Some(v));
        }
        let name = names
            .get(v.as_str())
            .ok_or_else(|| format!("{rid}.{key}: no resource {v} in this service"))?;
        if v == rid {
            return Err(format!("{rid}.{key}: a container can not join itself"));
        }
        depends_on.push(v.clone());
        Ok(Some(format!("container:{name}")))
    };
    let netns = namespace("netns")?;
    let pidns = namespace("pidns")?;
    let ipcns = namespace("ipcns")?;
    let hostname = operand("hostname", operand::hostname)?;
    // docker refuses --hostname with a shared network namespace: say so here,
    // not as a docker error at start.
    if let (Some(_), Some(net)) = (&hostname, &netns) {
        if net == "host" || net.starts_with("container:") {
            return Err(format!(
                "{rid}.hostname: needs a private network namespace, but netns is {}",
                text("netns")?.unwrap_or_default()
            ));
        }
    }
    let image = text("image")?
        .filter(|i| !i.is_empty())
        .map(Cow::into_owned)
        .ok_or_else(|| format!("{rid}.image: missing (the image to run is required)"))?;
    operand::image(&image).map_err(|e| format!("{rid}.image: {e}"))?;
    let environment = words("environment")?;
    for w in &environment {
        operand::env_word(w).map_err(|e| format!("{rid}.environment: {e}"))?;
    }
    let mut env_refs = Vec::new();
    for kind in [crate::model::ObjKind::Sec, crate::model::ObjKind::Cfg] {
        let kw = crate::objects::env::keyword(kind);
        for w in words(kw)? {
            env_refs.push(
                crate::objects::env::parse_word(kind, &w)
                    .map_err(|e| format!("{rid}.{kw}: {e}"))?,
            );
        }
    }
    let registry_creds = match text("registry_creds")? {
        Some(v) => Some(v),
        None => (sec.get)("DEFAULT", "registry_creds")?,
    }
    .filter(|v| !v.is_empty())
    .map(Cow::into_owned);
    if let Some(name) = &registry_creds {
        crate::paths::check_name(name)
            .map_err(|e| format!("{rid}.registry_creds: the secret name {e}"))?;
    }
    let detach = flag("detach")?;
    let name = names.get(rid).cloned().unwrap_or_default();
    operand::container_name(&name).map_err(|e| format!("{rid}.name: {e}"))?;
    Ok(Container {
        head: head(sec, known, rids)?,
        image,
        name,
        command: words("command")?,
        entrypoint: words("entrypoint")?,
        run_args: words("run_args")?,
        hostname,
        // netns has a default (none), but a --net in run_args wins over the
        // default, not over a value set in the file.
        netns: netns.filter(|_| netns_set),
        pidns,
        ipcns,
        utsns: text("utsns")?
            .filter(|v| !v.is_empty())
            .map(Cow::into_owned),
        userns: text("userns")?
            .filter(|v| !v.is_empty())
            .map(Cow::into_owned),
        privileged: flag("privileged")?,
        interactive: flag("interactive")?,
        tty: flag("tty")?,
        init: flag("init")?,
        read_only: flag("read_only")?,
        user: operand("user", operand::user)?,
        cwd: text("cwd")?.map(Cow::into_owned),
        environment,
        volume_mounts: words("volume_mounts")?,
        devices: words("devices")?,
        rm: flag("rm")? || !detach,
        detach,
        pull_always: text("image_pull_policy")?.as_deref() == Some("always"),
        start_timeout: duration("start_timeout")?.unwrap_or_default(),
        stop_timeout: duration("stop_timeout")?,
        pull_timeout: duration("pull_timeout")?.unwrap_or_default(),
        depends_on,
        env_refs,
        registry_creds,
    })
}
