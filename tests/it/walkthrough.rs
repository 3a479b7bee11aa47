//! SPEC section 10, word for word, on the real engine.

use crate::support::*;
use regex::Regex;

/// The cgroup levels of svc1's container#1.
const SVC1_LEVELS: &[&str] = &["opensvc", "svc1", "container", "container.1"];

fn line(rid: Option<&str>, msg: &str) -> String {
    let width = NODE.len() + 1 + "svc1".len() + 10;
    let name = match rid {
        Some(r) => format!("{NODE}.svc1.{r}"),
        None => format!("{NODE}.svc1"),
    };
    format!("{name:<width$}   {msg}")
}

fn res(msg: &str) -> String {
    line(Some("container#1"), msg)
}

#[test]
fn the_tutorial() {
    engine();
    let _ = docker(&["rm", "-f", "svc1.container.1"]);
    let _cleanup = Cleanup(vec!["svc1.container.1".into()]);
    let env = Env::new();

    // deploy
    let out = env
        .om_stdin(
            &["svc1", "deploy", "--config=-"],
            r#"{"container#1": {"type": "docker", "image": "nginx"}}"#,
        )
        .ok();
    let id = env.svc_id("svc1");
    let lines = out.stderr_lines();
    assert_eq!(
        lines[0],
        line(None, "service svc1 target state set to provisioned")
    );
    let first = inspect("svc1.container.1").expect("container created");
    // the config label (SPEC 4.1): a hash of the run line, unit-tested
    let config = first["Config"]["Labels"]["com.opensvc.config"]
        .as_str()
        .expect("a config label")
        .to_string();
    assert_eq!(
        lines[1],
        res(&format!(
            "docker run -d --name=svc1.container.1 --label=com.opensvc.id={id}.container#1 \
             --label=com.opensvc.path=svc1 --label=com.opensvc.namespace=root \
             --label=com.opensvc.name=svc1 --label=com.opensvc.kind=svc \
             --label=com.opensvc.rid=container#1 --label=com.opensvc.config={config} \
             --net=none --cgroup-parent {} nginx",
            cgroup_parent(SVC1_LEVELS)
        ))
    );
    assert_eq!(lines[2], res("output:"));
    let first_id = first["Id"].as_str().unwrap().to_string();
    assert_eq!(lines[3], res(&first_id));
    assert_eq!(
        lines[4..],
        [
            res("wait for up status"),
            res("wait for container operational")
        ]
    );

    // what docker has: name, labels, network, cgroup parent
    assert_eq!(first["HostConfig"]["NetworkMode"], "none");
    assert_eq!(
        first["HostConfig"]["CgroupParent"],
        cgroup_parent(SVC1_LEVELS).as_str()
    );
    let labels = &first["Config"]["Labels"];
    for (k, v) in [
        ("com.opensvc.id", format!("{id}.container#1")),
        ("com.opensvc.path", "svc1".into()),
        ("com.opensvc.namespace", "root".into()),
        ("com.opensvc.name", "svc1".into()),
        ("com.opensvc.kind", "svc".into()),
        ("com.opensvc.rid", "container#1".into()),
    ] {
        assert_eq!(labels[k], v.as_str(), "label {k}");
    }
    assert_eq!(first["State"]["Running"], true);

    // print config
    let out = env.om(&["svc1", "print", "config"]).ok();
    let re = Regex::new(
        r"^\[DEFAULT\]\nid = [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n\n\[container#1\]\ntype = docker\nimage = nginx\n$",
    )
    .unwrap();
    assert!(re.is_match(&out.stdout), "{}", out.stdout);

    // print status
    let out = env.om(&["svc1", "print", "status"]).ok();
    assert_eq!(
        out.stdout,
        "svc1                               up\n\
         `- instances\n   \
         `- deb1.opensvc.com             up         idle, started\n      \
         `- container#1      ........ up         docker container svc1.container.1@nginx\n"
    );

    // the passthrough
    let out = env.om(&["svc1", "docker", "images"]).ok();
    assert!(out.stdout.starts_with("REPOSITORY"), "{}", out.stdout);
    assert!(out.stdout.contains("nginx"));
    let out = env.om(&["svc1", "docker", "ps"]).ok();
    assert!(out.stdout.contains("svc1.container.1"), "{}", out.stdout);
    let out = env.om(&["svc1", "docker", "inspect", "{container#1}"]).ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v[0]["Name"], "/svc1.container.1");

    // stop
    // the full id: the container om verified as its own (SPEC 4.3)
    let short = first_id.as_str();
    let out = env.om(&["svc1", "stop", "--local"]).ok();
    assert_eq!(
        out.stderr_lines(),
        [
            res(&format!("docker stop {short}")),
            res("output:"),
            res(short),
            res("wait for down status")
        ]
    );
    assert_eq!(
        inspect("svc1.container.1").unwrap()["State"]["Running"],
        false
    );
    let out = env.om(&["svc1", "print", "status"]).ok();
    assert_eq!(
        out.stdout,
        "svc1                               down\n\
         `- instances\n   \
         `- deb1.opensvc.com             down       idle\n      \
         `- container#1      ........ down       docker container svc1.container.1@nginx\n"
    );

    // start: the same container again
    let out = env.om(&["svc1", "start", "--local"]).ok();
    assert_eq!(
        out.stderr_lines(),
        [
            res(&format!("docker start {short}")),
            res("output:"),
            res(short),
            res("wait for up status"),
            res("wait for container operational")
        ]
    );
    let again = inspect("svc1.container.1").unwrap();
    assert_eq!(again["Id"], first_id.as_str());
    assert_eq!(again["State"]["Running"], true);

    // rm = true: restart makes a new container
    env.om(&["svc1", "set", "--kw", "container#1.rm=true"]).ok();
    assert!(env.read_conf("svc1").contains("\nrm = true\n"));
    let out = env.om(&["svc1", "restart"]).ok();
    let lines = out.stderr_lines();
    assert_eq!(
        lines[..5],
        [
            res(&format!("docker stop {short}")),
            res("output:"),
            res(short),
            // docker rm echoes the name: no output lines (SPEC 4.3)
            res("docker rm svc1.container.1"),
            res("wait for down status"),
        ]
    );
    assert_eq!(lines[5], line(None, "instance stopped, ready for restart."));
    assert!(
        lines[6].starts_with(&res("docker run -d --name=svc1.container.1 ")),
        "{}",
        lines[6]
    );
    assert!(lines[6].ends_with(&format!(
        " --net=none --cgroup-parent {} nginx",
        cgroup_parent(SVC1_LEVELS)
    )));
    let renewed = inspect("svc1.container.1").unwrap();
    assert_ne!(renewed["Id"], first_id.as_str());
    assert_eq!(renewed["State"]["Running"], true);

    // docker's own error and exit code
    let out = env.om(&["svc1", "docker", "inspect", "nosuch"]).code(1);
    assert!(out.stderr.contains("nosuch"), "{}", out.stderr);

    // the action log mirrors the lines with timestamps
    let log = std::fs::read_to_string(env.root().join("log/svc1.log")).unwrap();
    let stamped = Regex::new(r"(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} deb1\.opensvc\.com\.svc1 +instance stopped, ready for restart\.$").unwrap();
    assert!(stamped.is_match(&log), "{log}");
    let out = env.om(&["svc1", "logs"]).ok();
    assert_eq!(out.stdout, log);

    env.om(&["svc1", "purge"]).ok();
    assert!(inspect("svc1.container.1").is_none());
    assert!(!env.conf("svc1").exists());
}
