//! A docker command is data: pure functions from a typed resource to argv,
//! unit-tested on the whole vector.

use crate::model::Container;
use crate::paths::SvcPath;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CgroupDriver {
    Cgroupfs,
    Systemd,
}

/// What `docker run` needs besides the resource.
pub struct RunCtx<'a> {
    pub path: &'a SvcPath,
    pub svc_id: &'a str,
    pub driver: CgroupDriver,
    /// The variables the container takes from secrets and configs: `-e
    /// VAR` each, the value in docker's environment (not in the config
    /// hash: a value is never hashed into a label).
    pub env_names: &'a [String],
}

pub const LABEL_ID: &str = "com.opensvc.id";
pub const LABEL_PATH: &str = "com.opensvc.path";
pub const LABEL_KIND: &str = "com.opensvc.kind";
pub const LABEL_CONFIG: &str = "com.opensvc.config";

/// The six identity labels, as `KEY=VALUE`.
pub fn labels(c: &Container, ctx: &RunCtx) -> Vec<String> {
    vec![
        format!("{LABEL_ID}={}", container_id_label(ctx.svc_id, &c.head.rid)),
        format!("{LABEL_PATH}={}", ctx.path),
        format!("com.opensvc.namespace={}", ctx.path.namespace),
        format!("com.opensvc.name={}", ctx.path.name),
        format!("{LABEL_KIND}=svc"),
        format!("com.opensvc.rid={}", c.head.rid),
    ]
}

/// The `com.opensvc.config` label: a hash of the evaluated run argv (all
/// but this label), so that status can tell a container created from
/// another config. The cgroup driver is fixed for it: the engine's driver
/// is not part of the config, and status does not ask the engine for it.
pub fn config_hash(c: &Container, path: &SvcPath, svc_id: &str) -> String {
    let ctx = RunCtx {
        path,
        svc_id,
        driver: CgroupDriver::Cgroupfs,
        env_names: &[],
    };
    // stable across builds and platforms: the label outlives om's version
    let mut h = crate::hash::Fnv64::new();
    // the variables it takes from secrets and configs, as the config says
    // them (their words, never a value): a word added or changed is a
    // config change (none: the hash of a config without them is as before)
    let refs = c.env_refs.iter().map(|r| {
        format!(
            "{}:{}={}/{}",
            r.kind.as_str(),
            r.var.as_deref().unwrap_or(""),
            r.object,
            r.key
        )
    });
    for word in run_argv_with(c, &ctx, None).into_iter().chain(refs) {
        h.update(word.as_bytes());
        h.update(&[0]);
    }
    format!("{:016x}", h.value())
}

/// The value of `com.opensvc.id` that marks a container as this resource's.
pub fn container_id_label(svc_id: &str, rid: &str) -> String {
    format!("{svc_id}.{rid}")
}

/// The service id and the rid of a `com.opensvc.id` value (`ID.RID`): a
/// rid never holds a dot (`container#web`), so the last one splits them,
/// whatever dots the id holds. `None` for a value that is not one.
pub fn service_and_rid(label: &str) -> Option<(&str, &str)> {
    label
        .rsplit_once('.')
        .filter(|(id, rid)| !id.is_empty() && !rid.is_empty())
}

/// `run_args` split into what is kept and the om-owned flags dropped (each
/// with its value), in order.
pub fn filter_run_args(c: &Container) -> (Vec<String>, Vec<String>) {
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    let mut args = c.run_args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((f, _)) if f.starts_with("--") => (f, true),
            _ => (arg.as_str(), false),
        };
        let net = matches!(flag, "--net" | "--network");
        // A --net in run_args replaces the default --net=none, but never a
        // netns set in the config.
        let owned = matches!(flag, "-d" | "--detach" | "--rm")
            || matches!(flag, "--name" | "--cgroup-parent")
            || (net && c.netns.is_some());
        let takes_value = matches!(flag, "--name" | "--cgroup-parent" | "--net" | "--network");
        let mut words = vec![arg.clone()];
        if takes_value && !inline_value {
            if let Some(v) = args.next() {
                words.push(v.clone());
            }
        }
        if owned {
            dropped.push(words.join(" "));
        } else {
            kept.extend(words);
        }
    }
    (kept, dropped)
}

fn run_args_set_net(kept: &[String]) -> bool {
    kept.iter().any(|a| {
        matches!(a.as_str(), "--net" | "--network")
            || a.starts_with("--net=")
            || a.starts_with("--network=")
    })
}

/// The `-p`/`--publish`/`-P` words of `run_args` when the container has no
/// network (`netns = none`, the default, and no `--net` in run_args):
/// docker takes them and publishes nothing. Empty otherwise.
pub fn published_without_network(c: &Container) -> Vec<String> {
    let (kept, _) = filter_run_args(c);
    let no_network = match &c.netns {
        Some(net) => net == "none",
        None => !run_args_set_net(&kept),
    };
    let mut out = Vec::new();
    if !no_network {
        return out;
    }
    let mut args = kept.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-p" | "--publish" => {
                let value = args.next().map(|v| format!(" {v}")).unwrap_or_default();
                out.push(format!("{arg}{value}"));
            }
            "-P" | "--publish-all" => out.push(arg.clone()),
            a if a.starts_with("--publish=") || (a.starts_with("-p") && !a.starts_with("--")) => {
                out.push(arg.clone())
            }
            _ => {}
        }
    }
    out
}

/// `docker run -d …` for the resource (SPEC 4.2).
pub fn run_argv(c: &Container, ctx: &RunCtx) -> Vec<String> {
    let hash = config_hash(c, ctx.path, ctx.svc_id);
    run_argv_with(c, ctx, Some(&hash))
}

fn run_argv_with(c: &Container, ctx: &RunCtx, config: Option<&str>) -> Vec<String> {
    let mut v: Vec<String> = vec!["run".into()];
    // An init job (detach = false) runs in the foreground; like any rm
    // resource it is removed by `docker rm` afterwards, never by `--rm`.
    if c.detach {
        v.push("-d".into());
    }
    v.push(format!("--name={}", c.name));
    v.extend(labels(c, ctx).into_iter().map(|l| format!("--label={l}")));
    if let Some(hash) = config {
        v.push(format!("--label={LABEL_CONFIG}={hash}"));
    }
    let (kept, _) = filter_run_args(c);
    let net_in_run_args = run_args_set_net(&kept);
    v.extend(kept);
    if let Some(h) = &c.hostname {
        v.push(format!("--hostname={h}"));
    }
    match &c.netns {
        Some(net) => v.push(format!("--net={net}")),
        None if !net_in_run_args => v.push("--net=none".into()),
        None => {}
    }
    if let Some(pid) = &c.pidns {
        v.push(format!("--pid={pid}"));
    }
    if let Some(ipc) = &c.ipcns {
        v.push(format!("--ipc={ipc}"));
    }
    if let Some(uts) = &c.utsns {
        v.push(format!("--uts={uts}"));
    }
    if let Some(userns) = &c.userns {
        v.push(format!("--userns={userns}"));
    }
    v.push("--cgroup-parent".into());
    v.push(cgroup_parent(ctx.path, c, ctx.driver));
    for (on, flag) in [
        (c.privileged, "--privileged"),
        (c.interactive, "-i"),
        (c.tty, "-t"),
        (c.init, "--init"),
        (c.read_only, "--read-only"),
    ] {
        if on {
            v.push(flag.into());
        }
    }
    if let Some(u) = &c.user {
        v.push(format!("--user={u}"));
    }
    if let Some(w) = &c.cwd {
        v.push(format!("--workdir={w}"));
    }
    for e in &c.environment {
        v.push("-e".into());
        v.push(e.clone());
    }
    for name in ctx.env_names {
        v.push("-e".into());
        v.push(name.clone());
    }
    v.extend(c.volume_mounts.iter().map(|m| format!("--volume={m}")));
    v.extend(c.devices.iter().map(|d| format!("--device={d}")));
    if let Some(ep) = c.entrypoint.first() {
        v.push(format!("--entrypoint={ep}"));
    }
    v.push(c.image.clone());
    v.extend(c.entrypoint.iter().skip(1).cloned());
    v.extend(c.command.iter().cloned());
    v
}

/// The cgroup parent of a resource: cgroupfs path form, or one systemd slice name.
pub fn cgroup_parent(path: &SvcPath, c: &Container, driver: CgroupDriver) -> String {
    let mut levels = service_levels(path);
    levels.push(match &c.head.subset {
        Some(s) => format!("container.{s}"),
        None => "container".into(),
    });
    levels.push(c.head.rid.replace('#', "."));
    slice_of(&levels, driver)
}

/// The levels of a service's slice: `opensvc`, its namespace, its name.
pub fn service_levels(path: &SvcPath) -> Vec<String> {
    let mut levels: Vec<String> = vec!["opensvc".into()];
    if !path.is_root_ns() {
        levels.push(path.namespace.clone());
    }
    levels.push(path.name.clone());
    levels
}

/// A slice of `levels`: a cgroupfs path (`/opensvc.slice/svc1.slice`) or
/// a systemd unit (`opensvc-svc1.slice`).
pub fn slice_of(levels: &[String], driver: CgroupDriver) -> String {
    match driver {
        CgroupDriver::Cgroupfs => levels.iter().map(|l| format!("/{l}.slice")).collect(),
        CgroupDriver::Systemd => {
            let escaped: Vec<String> = levels.iter().map(|l| l.replace('-', "\\x2d")).collect();
            format!("{}.slice", escaped.join("-"))
        }
    }
}

pub fn start_argv(id: &str) -> Vec<String> {
    vec!["start".into(), id.into()]
}

pub fn stop_argv(id: &str, timeout: Option<Duration>) -> Vec<String> {
    let mut v = vec!["stop".into()];
    if let Some(t) = timeout {
        v.push("-t".into());
        v.push(t.as_secs().to_string());
    }
    v.push(id.into());
    v
}

pub fn rm_argv(name: &str) -> Vec<String> {
    vec!["rm".into(), name.into()]
}

pub fn rm_force_argv(name: &str) -> Vec<String> {
    vec!["rm".into(), "-f".into(), name.into()]
}

pub fn pull_argv(image: &str) -> Vec<String> {
    vec!["pull".into(), image.into()]
}

/// One `docker container inspect` for any number of containers.
pub fn inspect_argv<S: AsRef<str>>(names: &[S]) -> Vec<String> {
    let mut v = vec!["container".into(), "inspect".into()];
    v.extend(names.iter().map(|n| n.as_ref().to_string()));
    v
}

/// One `docker image inspect` for any number of images: one id line per
/// image found, each missing one named on stderr.
pub fn image_inspect_argv<S: AsRef<str>>(images: &[S]) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "image".into(),
        "inspect".into(),
        "--format".into(),
        "{{.Id}}".into(),
    ];
    v.extend(images.iter().map(|i| i.as_ref().to_string()));
    v
}

/// The local images, one `REPOSITORY:TAG` line each (`<none>` for an
/// untagged one).
pub fn image_names_argv() -> Vec<String> {
    ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]
        .map(String::from)
        .to_vec()
}

pub fn logs_tail_argv(id: &str, lines: usize) -> Vec<String> {
    vec!["logs".into(), "--tail".into(), lines.to_string(), id.into()]
}

/// Every container of the engine in one API request (SPEC 4.4): one line
/// each, `ID NAME "IMAGE" STATE "STATUS" "com.opensvc.id" "com.opensvc.config"`
/// separated by tabs. Free text is JSON-quoted: a foreign container's label
/// may hold a tab or a newline. Health is in STATUS (`(unhealthy)`).
pub fn ps_argv() -> Vec<String> {
    let format = [
        "{{.ID}}".to_string(),
        "{{.Names}}".into(),
        "{{json .Image}}".into(),
        "{{.State}}".into(),
        "{{json .Status}}".into(),
        format!("{{{{json (.Label \"{LABEL_ID}\")}}}}"),
        format!("{{{{json (.Label \"{LABEL_CONFIG}\")}}}}"),
    ]
    .join("\t");
    ["ps", "-a", "--no-trunc", "--format", &format]
        .map(String::from)
        .to_vec()
}

pub fn cgroup_driver_argv() -> Vec<String> {
    vec!["info".into(), "--format".into(), "{{.CgroupDriver}}".into()]
}

#[cfg(test)]
mod tests {

    #[test]
    fn image_names_lists_repository_and_tag() {
        assert_eq!(
            image_names_argv(),
            ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]
        );
    }

    use super::*;

    fn svc1() -> SvcPath {
        SvcPath::parse("svc1").unwrap()
    }

    fn nginx() -> Container {
        Container {
            head: crate::model::Head {
                rid: "container#1".into(),
                ..Default::default()
            },
            image: "nginx".into(),
            name: "svc1.container.1".into(),
            detach: true,
            ..Container::default()
        }
    }

    fn ctx(path: &SvcPath) -> RunCtx<'_> {
        RunCtx {
            path,
            svc_id: "fab0",
            driver: CgroupDriver::Cgroupfs,
            env_names: &[],
        }
    }

    #[test]
    fn walkthrough_run_line() {
        let p = svc1();
        assert_eq!(
            run_argv(&nginx(), &ctx(&p)),
            [
                "run",
                "-d",
                "--name=svc1.container.1",
                "--label=com.opensvc.id=fab0.container#1",
                "--label=com.opensvc.path=svc1",
                "--label=com.opensvc.namespace=root",
                "--label=com.opensvc.name=svc1",
                "--label=com.opensvc.kind=svc",
                "--label=com.opensvc.rid=container#1",
                &format!(
                    "--label=com.opensvc.config={}",
                    config_hash(&nginx(), &p, "fab0")
                ),
                "--net=none",
                "--cgroup-parent",
                "/opensvc.slice/svc1.slice/container.slice/container.1.slice",
                "nginx",
            ]
        );
    }

    #[test]
    fn the_config_hash_follows_the_run_line_only() {
        let p = svc1();
        let h = config_hash(&nginx(), &p, "fab0");
        // stored in every container's label: pinned to what om computed
        // before crate::hash replaced its own copy (never changes)
        assert_eq!(h, "84ffb3a49c643427");
        assert_eq!(h.len(), 16);
        assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
        let mut other = nginx();
        other.image = "nginx:1.25".into();
        assert_ne!(config_hash(&other, &p, "fab0"), h);
        // what is not on the run line (a timeout) changes nothing
        let mut same = nginx();
        same.start_timeout = std::time::Duration::from_secs(99);
        assert_eq!(config_hash(&same, &p, "fab0"), h);
        // the words of secrets_environment are (a value never is)
        let mut with_secret = nginx();
        with_secret
            .env_refs
            .push(crate::objects::env::parse_word(crate::model::ObjKind::Sec, "P=db/pw").unwrap());
        assert_ne!(config_hash(&with_secret, &p, "fab0"), h);
        // nor the engine's cgroup driver
        let sys = RunCtx {
            path: &p,
            svc_id: "fab0",
            driver: CgroupDriver::Systemd,
            env_names: &[],
        };
        assert!(run_argv(&nginx(), &sys).contains(&format!("--label=com.opensvc.config={h}")));
    }

    #[test]
    fn every_flag_in_documented_order() {
        let p = SvcPath::parse("ns1/svc/web").unwrap();
        let c = Container {
            head: crate::model::Head {
                rid: "container#2".into(),
                subset: Some("web".into()),
                ..Default::default()
            },
            image: "busybox".into(),
            name: "ns1..web.container.2".into(),
            command: vec!["sh".into(), "-c".into(), "echo hi".into()],
            entrypoint: vec!["/bin/env".into(), "-i".into()],
            run_args: vec![
                "--rm".into(),
                "--name".into(),
                "x".into(),
                "--memory=64m".into(),
                "-d".into(),
            ],
            hostname: Some("h1".into()),
            netns: Some("container:ns1..web.container.1".into()),
            pidns: Some("host".into()),
            ipcns: Some("container:ns1..web.container.1".into()),
            utsns: Some("host".into()),
            userns: Some("host".into()),
            privileged: true,
            interactive: true,
            tty: true,
            init: true,
            read_only: true,
            user: Some("1000:1000".into()),
            cwd: Some("/tmp".into()),
            environment: vec!["A=1".into(), "B=x y".into()],
            volume_mounts: vec!["/srv:/data:ro".into()],
            devices: vec!["/dev/null:/dev/x".into()],
            detach: true,
            ..Container::default()
        };
        let mut expected: Vec<String> = vec!["run", "-d", "--name=ns1..web.container.2"]
            .into_iter()
            .map(String::from)
            .collect();
        expected.extend(
            [
                "com.opensvc.id=fab0.container#2",
                "com.opensvc.path=ns1/svc/web",
                "com.opensvc.namespace=ns1",
                "com.opensvc.name=web",
                "com.opensvc.kind=svc",
                "com.opensvc.rid=container#2",
            ]
            .map(|l| format!("--label={l}")),
        );
        expected.push(format!(
            "--label=com.opensvc.config={}",
            config_hash(&c, &p, "fab0")
        ));
        expected.extend(
            [
                "--memory=64m",
                "--hostname=h1",
                "--net=container:ns1..web.container.1",
                "--pid=host",
                "--ipc=container:ns1..web.container.1",
                "--uts=host",
                "--userns=host",
                "--cgroup-parent",
                "/opensvc.slice/ns1.slice/web.slice/container.web.slice/container.2.slice",
                "--privileged",
                "-i",
                "-t",
                "--init",
                "--read-only",
                "--user=1000:1000",
                "--workdir=/tmp",
                "-e",
                "A=1",
                "-e",
                "B=x y",
                "--volume=/srv:/data:ro",
                "--device=/dev/null:/dev/x",
                "--entrypoint=/bin/env",
                "busybox",
                "-i",
                "sh",
                "-c",
                "echo hi",
            ]
            .map(String::from),
        );
        assert_eq!(run_argv(&c, &ctx(&p)), expected);
        assert_eq!(
            filter_run_args(&c).1,
            ["--rm", "--name x", "-d"].map(String::from)
        );
    }

    #[test]
    fn net_in_run_args_replaces_the_default_only() {
        let p = svc1();
        let mut c = nginx();
        c.run_args = vec!["--network".into(), "bridge".into()];
        let v = run_argv(&c, &ctx(&p));
        assert!(v.windows(2).any(|w| w == ["--network", "bridge"]));
        assert!(!v.iter().any(|a| a == "--net=none"));
        c.netns = Some("host".into());
        let v = run_argv(&c, &ctx(&p));
        assert!(!v.iter().any(|a| a == "--network" || a == "bridge"));
        assert!(v.iter().any(|a| a == "--net=host"));
        assert_eq!(filter_run_args(&c).1, ["--network bridge"]);
    }

    #[test]
    fn init_job_runs_in_the_foreground() {
        let p = svc1();
        let mut c = nginx();
        c.detach = false;
        assert_eq!(
            &run_argv(&c, &ctx(&p))[..2],
            ["run", "--name=svc1.container.1"]
        );
    }

    #[test]
    fn systemd_slice_names() {
        let p = SvcPath::parse("my-ns/svc/web-1").unwrap();
        assert_eq!(
            cgroup_parent(&p, &nginx(), CgroupDriver::Systemd),
            "opensvc-my\\x2dns-web\\x2d1-container-container.1.slice"
        );
        assert_eq!(
            cgroup_parent(&svc1(), &nginx(), CgroupDriver::Systemd),
            "opensvc-svc1-container-container.1.slice"
        );
    }

    #[test]
    fn small_commands() {
        assert_eq!(stop_argv("abc", None), ["stop", "abc"]);
        assert_eq!(
            stop_argv("abc", Some(Duration::from_secs(30))),
            ["stop", "-t", "30", "abc"]
        );
        assert_eq!(rm_argv("n"), ["rm", "n"]);
        assert_eq!(rm_force_argv("n"), ["rm", "-f", "n"]);
        assert_eq!(start_argv("abc"), ["start", "abc"]);
        assert_eq!(
            inspect_argv(&["a", "b"]),
            ["container", "inspect", "a", "b"]
        );
    }
}
