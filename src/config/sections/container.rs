//! The container kind's section (`[container#N]`) as a `Container`: whole
//! (`parse`), or as far as a stop needs it (`for_stop`).

use super::{head, head_for_stop, Rids, Section};
use crate::config::keywords::{rid_index, CONTAINER_GROUP};
use crate::config::operand;
use crate::error::Result;
use crate::model::Container;
use std::collections::HashMap;

/// The container names of the service, by rid.
pub type Names<'d> = HashMap<&'d str, String>;

/// A `[container#N]` section as a `Container`; `netns_set` whether the
/// section sets `netns` itself (not its default).
pub(in crate::config) fn parse(
    sec: &Section,
    names: &Names,
    netns_set: bool,
    rids: &Rids,
) -> Result<Container> {
    let rid = sec.rid;
    let joined = Namespaces::read(sec, names)?;
    let hostname = sec.operand("hostname", operand::hostname)?;
    // docker refuses --hostname with a shared network namespace: say so here,
    // not as a docker error at start.
    if let (Some(_), Some(net)) = (&hostname, &joined.netns) {
        if net == "host" || net.starts_with("container:") {
            let netns = sec.value("netns")?.unwrap_or_default();
            let why = format!("needs a private network namespace, but netns is {netns}");
            return Err(sec.error("hostname", why));
        }
    }
    let image = sec
        .set("image")?
        .ok_or_else(|| sec.error("image", "missing (the image to run is required)"))?;
    operand::image(&image).map_err(|e| sec.error("image", e))?;
    let environment = sec.words("environment")?;
    for w in &environment {
        operand::env_word(w).map_err(|e| sec.error("environment", e))?;
    }
    let env_refs = env_refs(sec)?;
    let registry_creds = registry_creds(sec)?;
    let detach = sec.flag("detach")?;
    let name = names.get(rid).cloned().unwrap_or_default();
    operand::container_name(&name).map_err(|e| sec.error("name", e))?;
    Ok(Container {
        head: head(sec, rids)?,
        image,
        name,
        command: sec.words("command")?,
        entrypoint: sec.words("entrypoint")?,
        run_args: sec.words("run_args")?,
        hostname,
        // netns has a default (none), but a --net in run_args wins over the
        // default, not over a value set in the file.
        netns: joined.netns.filter(|_| netns_set),
        pidns: joined.pidns,
        ipcns: joined.ipcns,
        utsns: sec.set("utsns")?,
        userns: sec.set("userns")?,
        privileged: sec.flag("privileged")?,
        interactive: sec.flag("interactive")?,
        tty: sec.flag("tty")?,
        init: sec.flag("init")?,
        read_only: sec.flag("read_only")?,
        user: sec.operand("user", operand::user)?,
        cwd: sec.value("cwd")?.map(Into::into),
        environment,
        volume_mounts: sec.words("volume_mounts")?,
        devices: sec.words("devices")?,
        rm: sec.flag("rm")? || !detach,
        detach,
        pull_always: sec.value("image_pull_policy")?.as_deref() == Some("always"),
        start_timeout: sec.duration("start_timeout")?.unwrap_or_default(),
        stop_timeout: sec.duration("stop_timeout")?,
        pull_timeout: sec.duration("pull_timeout")?.unwrap_or_default(),
        depends_on: joined.depends_on,
        env_refs,
        registry_creds,
    })
}

/// A container as far as a stop finds and stops it, `name` its name (read
/// by the reader: a container whose name does not read is left alone):
/// its rm, its stop timeout, its order (the containers whose namespaces
/// it joins), its flags; each value as far as it reads, else its default.
pub(in crate::config) fn for_stop(sec: &Section, name: String) -> Container {
    let rid = sec.rid;
    let depends_on = ["netns", "pidns", "ipcns"]
        .iter()
        .filter_map(|k| sec.readable(k))
        .filter(|v| rid_index(v, CONTAINER_GROUP).is_some() && v != rid)
        .collect();
    let detach = sec.readable_flag("detach", true);
    Container {
        head: head_for_stop(sec),
        image: sec.readable("image").unwrap_or_default(),
        name,
        rm: sec.readable_flag("rm", false) || !detach,
        detach,
        stop_timeout: sec
            .readable("stop_timeout")
            .and_then(|v| crate::units::parse_duration(&v).ok()),
        depends_on,
        ..Container::default()
    }
}

/// The namespaces a container joins (docker's values), and the rids of
/// the containers it joins (they start first).
struct Namespaces {
    netns: Option<String>,
    pidns: Option<String>,
    ipcns: Option<String>,
    depends_on: Vec<String>,
}

impl Namespaces {
    fn read(sec: &Section, names: &Names) -> Result<Namespaces> {
        let mut depends_on = Vec::new();
        let mut one = |key: &str| namespace(sec, key, names, &mut depends_on);
        Ok(Namespaces {
            netns: one("netns")?,
            pidns: one("pidns")?,
            ipcns: one("ipcns")?,
            depends_on,
        })
    }
}

/// `netns`, `pidns` or `ipcns`: a word docker takes, or `container#N`
/// (another container of the service, whose rid goes to `depends_on`).
fn namespace(
    sec: &Section,
    key: &str,
    names: &Names,
    depends_on: &mut Vec<String>,
) -> Result<Option<String>> {
    let Some(v) = sec.value(key)?.map(String::from) else {
        return Ok(None);
    };
    if rid_index(&v, CONTAINER_GROUP).is_none() {
        let allowed: &[&str] = match key {
            "pidns" => &["host"],
            "ipcns" => &["none", "private", "shareable", "host"],
            _ => &[],
        };
        if key == "netns" {
            operand::network(&v).map_err(|e| sec.error(key, e))?;
        } else if !allowed.contains(&v.as_str()) {
            let why = format!(
                "'{}' is not one of: {}, container#N",
                v.escape_debug(),
                allowed.join(", ")
            );
            return Err(sec.error(key, why));
        }
        return Ok(Some(v));
    }
    let name = names
        .get(v.as_str())
        .ok_or_else(|| sec.error(key, format!("no resource {v} in this service")))?;
    if v == sec.rid {
        return Err(sec.error(key, "a container can not join itself"));
    }
    depends_on.push(v.clone());
    Ok(Some(format!("container:{name}")))
}

/// `secrets_environment` then `configs_environment` (SPEC 13).
fn env_refs(sec: &Section) -> Result<Vec<crate::model::EnvRef>> {
    let mut env_refs = Vec::new();
    for kind in [crate::model::ObjKind::Sec, crate::model::ObjKind::Cfg] {
        let kw = crate::objects::env::keyword(kind);
        for w in sec.words(kw)? {
            env_refs.push(crate::objects::env::parse_word(kind, &w).map_err(|e| sec.error(kw, e))?);
        }
    }
    Ok(env_refs)
}

/// The container's `registry_creds`, else the service's: a secret name.
fn registry_creds(sec: &Section) -> Result<Option<String>> {
    let service_wide = || {
        sec.eval
            .value("DEFAULT", "registry_creds")
            .map_err(|e| crate::error::Error::config("DEFAULT.registry_creds", e.to_string()))
    };
    let creds = match sec.value("registry_creds")? {
        Some(v) => Some(v),
        None => service_wide()?,
    }
    .filter(|v| !v.is_empty())
    .map(String::from);
    if let Some(name) = &creds {
        crate::paths::check_name(name)
            .map_err(|e| sec.error("registry_creds", format!("the secret name {e}")))?;
    }
    Ok(creds)
}
