//! The docker driver on the real engine: every keyword read back with
//! `docker inspect`, order, parallel subsets, failures, waits, safety.

use crate::support::*;
use serde_json::Value;

/// The shell loop the test image runs, as a `command` value: exits at once
/// on SIGTERM; `$1` is run in the background first.
fn looping(first: &str) -> String {
    format!("sh -c \"trap 'exit 0' TERM; ({first}) & while :; do sleep 1 & wait \\$!; done\"")
}

fn names(svc: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{svc}.container.{i}")).collect()
}

fn running(name: &str) -> bool {
    inspect(name).is_some_and(|v| v["State"]["Running"] == true)
}

#[test]
fn every_keyword_reaches_docker() {
    engine();
    let env = Env::new();
    let name = unique("kw");
    let path = format!("itns/svc/{name}");
    let c = |i: usize| format!("itns..{name}.container.{i}");
    let _cleanup = Cleanup((1..=3).map(c).collect());
    let data = env.root().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let ini = format!(
        "[container#1]
type = docker
image = om-test/busybox
netns = container#2
pidns = container#2
ipcns = container#2
tty = true
interactive = true

[container#2]
type = docker
image = om-test/busybox
run_args = --ipc=shareable --env FROM_RUN_ARGS=1
hostname = h1
environment = A=1 B=\"x y\"
volume_mounts = {}:/data:ro
devices = /dev/null:/dev/xnull
user = 65534:65534
cwd = /tmp
read_only = true
init = true
entrypoint = /bin/sh -c
command = \"trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done\"

[container#3]
type = docker
image = om-test/busybox
netns = host
utsns = host
userns = host
run_args = --net=bridge -d --rm --name other
stop_timeout = 3
",
        data.display()
    );
    env.om_stdin(&[&path, "create", "--config=-"], &ini).ok();
    let out = env.om(&[&path, "start"]).ok();
    // container#1 joins container#2's namespaces: #2 starts first
    let runs: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("   docker run "))
        .collect();
    assert_eq!(runs.len(), 3, "{}", out.stderr);
    assert!(runs[0].contains(".container#2 "), "{}", out.stderr);
    assert!(runs[1].contains(".container#1 "), "{}", out.stderr);
    for dropped in [
        "'--net=bridge' dropped",
        "'-d' dropped",
        "'--rm' dropped",
        "'--name other' dropped",
    ] {
        assert!(
            out.stderr.contains(&format!(
                ".container#3 W run_args: {dropped}, om sets this itself"
            )),
            "{dropped}: {}",
            out.stderr
        );
    }

    let c1 = inspect(&c(1)).unwrap();
    let c2 = inspect(&c(2)).unwrap();
    let c3 = inspect(&c(3)).unwrap();
    let c2_id = c2["Id"].as_str().unwrap();
    for mode in ["NetworkMode", "PidMode", "IpcMode"] {
        let v = c1["HostConfig"][mode].as_str().unwrap();
        assert!(
            v == format!("container:{}", c(2)) || v == format!("container:{c2_id}"),
            "{mode} = {v}"
        );
    }
    // privileged: this sandbox's engine can not apply all capabilities, so
    // only the argv unit test covers --privileged
    assert_eq!(c1["Config"]["Tty"], true);
    assert_eq!(c1["Config"]["OpenStdin"], true);
    assert_eq!(
        c1["HostConfig"]["CgroupParent"],
        cgroup_parent(&["opensvc", "itns", &name, "container", "container.1"]).as_str()
    );
    assert_eq!(c1["Config"]["Labels"]["com.opensvc.path"], path.as_str());
    assert_eq!(c1["Config"]["Labels"]["com.opensvc.namespace"], "itns");

    assert_eq!(c2["Config"]["Hostname"], "h1");
    let env_vars: Vec<&str> = c2["Config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for want in ["A=1", "B=x y", "FROM_RUN_ARGS=1"] {
        assert!(env_vars.contains(&want), "{want} not in {env_vars:?}");
    }
    let mounts = &c2["Mounts"][0];
    assert_eq!(mounts["Source"], data.to_str().unwrap());
    assert_eq!(mounts["Destination"], "/data");
    assert_eq!(mounts["RW"], false);
    assert_eq!(c2["HostConfig"]["Devices"][0]["PathOnHost"], "/dev/null");
    assert_eq!(
        c2["HostConfig"]["Devices"][0]["PathInContainer"],
        "/dev/xnull"
    );
    assert_eq!(c2["Config"]["User"], "65534:65534");
    assert_eq!(c2["Config"]["WorkingDir"], "/tmp");
    assert_eq!(c2["HostConfig"]["ReadonlyRootfs"], true);
    assert_eq!(c2["HostConfig"]["Init"], true);
    assert_eq!(c2["HostConfig"]["IpcMode"], "shareable");
    assert_eq!(c2["Config"]["Entrypoint"], serde_json::json!(["/bin/sh"]));
    assert_eq!(
        c2["Config"]["Cmd"],
        serde_json::json!([
            "-c",
            "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"
        ])
    );
    assert_eq!(c2["HostConfig"]["NetworkMode"], "none");

    assert_eq!(c3["HostConfig"]["NetworkMode"], "host");
    assert_eq!(c3["HostConfig"]["UTSMode"], "host");
    assert_eq!(c3["HostConfig"]["UsernsMode"], "host");
    assert_eq!(c3["HostConfig"]["AutoRemove"], false);

    // stop is the reverse: #3, then #1 before #2
    let out = env.om(&[&path, "stop"]).ok();
    let stops: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("   docker stop "))
        .collect();
    assert!(
        stops[0].contains(".container#3 ") && stops[0].contains("docker stop -t 3 "),
        "{}",
        out.stderr
    );
    assert!(stops[1].contains(".container#1 "), "{}", out.stderr);
    assert!(stops[2].contains(".container#2 "), "{}", out.stderr);
    assert!((1..=3).all(|i| !running(&c(i))));
    env.om(&[&path, "purge"]).ok();
    assert!((1..=3).all(|i| inspect(&c(i)).is_none()));
}

#[test]
fn a_parallel_subset_starts_its_members_at_once() {
    engine();
    let env = Env::new();
    let name = unique("par");
    let _cleanup = Cleanup(names(&name, 4));
    let mut ini = String::from("[subset#container:web]\nparallel = true\n");
    for i in 1..=4 {
        ini.push_str(&format!(
            "\n[container#{i}]\ntype = docker\nimage = om-test/busybox\nsubset = web\nstart_timeout = 20s\n\
             run_args = --health-cmd 'test -f /tmp/ok' --health-interval 500ms\ncommand = {}\n",
            looping("sleep 3; touch /tmp/ok")
        ));
    }
    create(&env, &name, &ini);
    let out = env.om(&[&name, "start"]).ok();
    // every line is whole: parallel members never mix half-lines
    let prefix = format!("{NODE}.{name}.container#");
    for l in out.stderr.lines() {
        assert!(l.starts_with(&prefix), "mixed line: {l:?}");
    }
    let mut started = Vec::new();
    for n in names(&name, 4) {
        let v = inspect(&n).unwrap();
        assert_eq!(v["State"]["Health"]["Status"], "healthy", "{n}");
        started.push(v["State"]["StartedAt"].as_str().unwrap().to_string());
    }
    // each member takes at least 3s to turn healthy (sleep 3, then a check
    // every 0.5s), so one after the other the 4 would start >= 9s apart;
    // within 6s (room for a loaded machine) means none waited for another
    started.sort();
    let secs = |s: &str| -> f64 {
        let t = &s[11..s.len() - 1];
        let mut parts = t.split(':');
        let h: f64 = parts.next().unwrap().parse().unwrap();
        let m: f64 = parts.next().unwrap().parse().unwrap();
        let sec: f64 = parts.next().unwrap().parse().unwrap();
        h * 3600.0 + m * 60.0 + sec
    };
    let spread = secs(&started[3]) - secs(&started[0]);
    assert!(
        spread < 6.0,
        "members started {spread:.2}s apart: {started:?}"
    );
    let status = env.om(&[&name, "print", "status"]).ok().stdout;
    let row = status
        .lines()
        .find(|l| l.contains("`- container:web "))
        .unwrap();
    assert!(row.ends_with(" //"), "{status}");
    env.om(&[&name, "stop"]).ok();
    assert!(names(&name, 4).iter().all(|n| !running(n)));
}

#[test]
fn a_failed_start_rolls_back_what_it_started() {
    engine();
    let env = Env::new();
    let name = unique("rb");
    let _cleanup = Cleanup(names(&name, 2));
    create(
        &env,
        &name,
        "[container#1]\ntype = docker\nimage = om-test/busybox\n\n\
         [container#2]\ntype = docker\nimage = om-test/busybox\ncommand = sh -c \"echo boom; exit 3\"\n\
         run_args = --health-cmd true --health-interval 5s\n",
    );
    let out = env.om(&[&name, "start"]).code(1);
    assert!(out.stderr.contains(" E container "), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("exited with code 3 while starting; last log lines:"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("{name}.container#2 E boom")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&format!("{NODE}.{name}")) && out.stderr.contains("   rollback"));
    let c1 = format!("{name}.container.1");
    assert!(!running(&c1), "container#1 was not rolled back");

    // without rollback, container#1 stays up
    env.om(&[&name, "set", "--kw", "rollback=false"]).ok();
    env.om(&[&name, "start"]).code(1);
    assert!(running(&c1));

    // an optional resource's failure is a warning and the action goes on
    env.om(&[&name, "set", "--kw", "container#2.optional=true"])
        .ok();
    let out = env.om(&[&name, "start"]).ok();
    assert!(
        out.stderr.contains("(optional resource, going on)"),
        "{}",
        out.stderr
    );
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(
        st.starts_with(&format!("{name} ")) && st.lines().next().unwrap().ends_with(" up"),
        "{st}"
    );
    let row = st.lines().find(|l| l.contains("`- container#2 ")).unwrap();
    assert!(row.contains(" ...O.... down "), "{st}");
    // overall counts the optional resource: the notice warns
    assert!(st.contains(" warn, idle, started\n"), "{st}");
    // `status` exits with the overall status
    env.om(&[&name, "status"]).code(2);
}

#[test]
fn filters_and_dry_run() {
    engine();
    let env = Env::new();
    let name = unique("flt");
    let _cleanup = Cleanup(names(&name, 3));
    create(
        &env,
        &name,
        "[container#1]\ntype = docker\nimage = om-test/busybox\ntags = front\n\n\
         [container#2]\ntype = docker\nimage = om-test/busybox\nsubset = db\n\n\
         [container#3]\ntype = docker\nimage = om-test/busybox\n",
    );
    let [c1, c2, c3] = [1, 2, 3].map(|i| format!("{name}.container.{i}"));
    let out = env.om(&[&name, "start", "--dry-run"]).ok();
    assert_eq!(
        out.stderr
            .lines()
            .filter(|l| l.contains("   docker run -d "))
            .count(),
        3,
        "{}",
        out.stderr
    );
    assert!(inspect(&c1).is_none() && inspect(&c2).is_none() && inspect(&c3).is_none());

    env.om(&[&name, "start", "--tag", "front"]).ok();
    assert!(running(&c1) && inspect(&c2).is_none() && inspect(&c3).is_none());
    // a filtered action says nothing of the whole service: not "started"
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(st.lines().nth(2).unwrap().ends_with(" warn, idle"), "{st}");
    env.om(&[&name, "start", "--subset", "db"]).ok();
    assert!(running(&c2) && inspect(&c3).is_none());
    env.om(&[&name, "start", "--rid", "container#3"]).ok();
    assert!(running(&c3));
    let out = env
        .om(&[&name, "stop", "--rid", "container", "--dry-run"])
        .ok();
    assert_eq!(
        out.stderr
            .lines()
            .filter(|l| l.contains("   docker stop "))
            .count(),
        3
    );
    assert!(running(&c1) && running(&c2) && running(&c3));
    env.om(&[&name, "stop", "--rid", "container#1"]).ok();
    assert!(!running(&c1) && running(&c2));
    // disabled resources are left alone and n/a
    env.om(&[&name, "disable", "--rid", "container#2"]).ok();
    env.om(&[&name, "stop"]).ok();
    assert!(running(&c2));
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(
        st.contains(" container#2") && st.contains(" ..D..... n/a "),
        "{st}"
    );
    // nothing may orphan a container: delete --rid refuses, purge takes no
    // filter and removes disabled resources too
    let out = env.om(&[&name, "delete", "--rid", "container#2"]).code(1);
    assert!(
        out.stderr.contains(&format!("container {c2} exists")),
        "{}",
        out.stderr
    );
    env.om(&[&name, "purge", "--rid", "container#1"]).code(2);
    env.om(&[&name, "purge"]).ok();
    assert!(inspect(&c1).is_none() && inspect(&c2).is_none() && inspect(&c3).is_none());
    env.om(&[&name, "print", "config"]).code(1);
}

#[test]
fn waits_health_init_jobs_and_pulls() {
    engine();
    let env = Env::new();
    let name = unique("wt");
    let _cleanup = Cleanup(names(&name, 4));
    create(
        &env,
        &name,
        &format!(
            "[container#1]\ntype = docker\nimage = om-test/busybox\ndetach = false\ncommand = sh -c 'echo init-done'\n\n\
             [container#2]\ntype = docker\nimage = om-test/busybox\nstart_timeout = 2s\n\
             run_args = --health-cmd false --health-interval 300ms\ncommand = {}\n",
            looping("true")
        ),
    );
    let out = env.om(&[&name, "start", "--rid", "container#1"]).ok();
    assert!(
        out.stderr
            .contains(&format!("{name}.container#1   init-done")),
        "{}",
        out.stderr
    );
    assert!(
        inspect(&format!("{name}.container.1")).is_none(),
        "init job left behind"
    );
    let t = std::time::Instant::now();
    let out = env.om(&[&name, "start", "--rid", "container#2"]).code(1);
    assert!(t.elapsed() >= std::time::Duration::from_secs(2));
    assert!(
        out.stderr.contains("not healthy after 2s (start_timeout)"),
        "{}",
        out.stderr
    );
    // rollback stops the container it ran, which never became healthy
    assert!(out.stderr.contains("   rollback\n"), "{}", out.stderr);
    assert!(!running(&format!("{name}.container.2")));
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(st.contains("container#1      ........ n/a"), "{st}");

    // an init job killed at its bound does not stay behind
    env.om(&[
        &name,
        "set",
        "--kw",
        "container#4.type=docker",
        "--kw",
        "container#4.image=om-test/busybox",
        "--kw",
        "container#4.detach=false",
        "--kw",
        "container#4.command=sleep 30",
        "--kw",
        "container#4.start_timeout=1s",
    ])
    .ok();
    let out = env.om(&[&name, "start", "--rid", "container#4"]).code(1);
    assert!(
        out.stderr.contains("no answer within 1s, killed"),
        "{}",
        out.stderr
    );
    assert!(inspect(&format!("{name}.container.4")).is_none());

    // a pull that fails: from a registry address on this machine where
    // nothing listens, so no traffic leaves it
    env.om(&[
        &name,
        "set",
        "--kw",
        "container#3.type=docker",
        "--kw",
        "container#3.image=127.0.0.1:5999/om-test/nosuch:1",
        "--kw",
        "container#3.pull_timeout=10s",
    ])
    .ok();
    let out = env.om(&[&name, "start", "--rid", "container#3"]).code(1);
    assert!(
        out.stderr.contains(&format!(
            "{name}.container#3   pulling docker image 127.0.0.1:5999/om-test/nosuch:1"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("docker pull 127.0.0.1:5999/om-test/nosuch:1"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(" E docker pull failed: "),
        "{}",
        out.stderr
    );
}

#[test]
fn foreign_containers_are_never_touched() {
    engine();
    let env = Env::new();
    let name = unique("fg");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone()]);
    create(
        &env,
        &name,
        "[container#1]\ntype = docker\nimage = om-test/busybox\n",
    );
    let run = docker(&["run", "-d", "--net=none", "--name", &c1, "om-test/busybox"]);
    assert!(run.status.success());
    let id = inspect(&c1).unwrap()["Id"].clone();
    for action in ["stop", "start", "unprovision", "restart"] {
        let out = env.om(&[&name, action]).code(1);
        assert!(
            out.stderr
                .contains("name in use by a container om does not manage"),
            "{action}: {}",
            out.stderr
        );
        let v = inspect(&c1).unwrap();
        assert_eq!(v["Id"], id);
        assert_eq!(v["State"]["Running"], true, "{action} touched it");
    }
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(
        st.contains(&format!(
            "warn: name {c1} in use by a container om does not manage"
        )),
        "{st}"
    );
    env.om(&[&name, "status"]).code(2);
    env.om(&[&name, "delete"]).code(1);
}

#[test]
fn status_follows_the_engine() {
    engine();
    let env = Env::new();
    let name = unique("st");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone()]);
    create(&env, &name, "[container#1]\ntype = docker\nimage = nginx\n");
    env.om(&[&name, "status"]).code(1);
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    // the info line sits under the label, whatever the name column's width
    let lines: Vec<&str> = st.lines().collect();
    let row = lines[3];
    let re = regex::Regex::new(r"^      `- container#1 +\.\.\.\.\.P\.\. down +docker container ")
        .unwrap();
    assert!(re.is_match(row), "{st}");
    let label_col = row.find("docker container").unwrap();
    assert_eq!(
        lines[4],
        format!("{}info: can not find container id", " ".repeat(label_col))
    );
    assert_eq!(lines.len(), 5, "{st}");
    env.om(&[&name, "provision"]).ok();
    env.om(&[&name, "status"]).code(0);

    // JSON: the stable document scripts read
    let out = env.om(&[&name, "print", "status", "--format", "json"]).ok();
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["path"], name.as_str());
    assert_eq!(v["avail"], "up");
    assert_eq!(v["overall"], "up");
    assert_eq!(v["node"], NODE);
    assert_eq!(v["notice"], "idle, started");
    // schema 2: this node's instance also under `instances` (SPEC 12)
    assert_eq!(v["schema"], 3);
    assert_eq!(v["instances"][0]["node"], NODE);
    assert_eq!(v["instances"][0]["avail"], "up");
    assert_eq!(v["instances"][0]["resources"], v["resources"]);
    let r = &v["resources"][0];
    assert_eq!(r["rid"], "container#1");
    assert_eq!(r["status"], "up");
    assert_eq!(r["flags"], "........");
    assert_eq!(r["label"], format!("docker container {c1}@nginx").as_str());
    assert_eq!(r["container"]["name"], c1.as_str());
    assert_eq!(r["container"]["state"], "running");
    assert_eq!(r["container"]["id"].as_str().unwrap().len(), 12);

    // image drift
    env.om(&[&name, "set", "--kw", "container#1.image=om-test/busybox"])
        .ok();
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(
        st.contains("warn: running image nginx differs from the configured om-test/busybox"),
        "{st}"
    );
    assert!(st.contains("warn, idle, started"), "{st}");
    env.om(&[&name, "status"]).code(2);
    env.om(&[&name, "set", "--kw", "container#1.image=nginx"])
        .ok();

    // removed behind om's back
    docker(&["rm", "-f", &c1]);
    let out = env.om(&[&name, "stop"]).ok();
    assert!(out.stderr.contains("   already stopped"), "{}", out.stderr);
    env.om(&[&name, "status"]).code(1);

    // an unreachable engine is a clear error
    let mut down = Env {
        root: env.root,
        path_prefix: None,
        vars: vec![],
    };
    down.vars.push((
        "DOCKER_HOST".into(),
        "unix:///nonexistent/docker.sock".into(),
    ));
    for args in [
        vec![name.as_str(), "print", "status"],
        vec![name.as_str(), "start"],
    ] {
        let out = down.om(&args).code(1);
        assert!(
            out.stderr.contains("docker engine unreachable"),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    }

    // everything disabled: n/a
    down.vars.clear();
    down.om(&[&name, "disable"]).ok();
    down.om(&[&name, "status"]).code(3);
}

#[test]
fn enter_opens_a_shell() {
    engine();
    let env = Env::new();
    let name = unique("en");
    let _cleanup = Cleanup(names(&name, 1));
    create(
        &env,
        &name,
        "[container#1]\ntype = docker\nimage = om-test/busybox\n",
    );
    env.om(&[&name, "enter", "--rid", "container#1"]).code(1);
    env.om(&[&name, "start"]).ok();
    let out = env
        .om_stdin(
            &[&name, "enter", "--rid", "container#1"],
            "echo hi-from-$(hostname)\nexit 4\n",
        )
        .code(4);
    assert!(out.stdout.starts_with("hi-from-"), "{}", out.stdout);
    env.om(&[&name, "enter", "--rid", "container#9"]).code(2);
}

#[test]
fn logs_follow_shows_new_lines() {
    engine();
    let env = Env::new();
    let name = unique("lg");
    create(
        &env,
        &name,
        "[container#1]\ntype = docker\nimage = om-test/busybox\n",
    );
    let mut follow = env
        .std_cmd(&[&name, "logs", "--follow"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = follow.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(stdout).lines();
        lines.find(|l| l.as_ref().is_ok_and(|l| l.contains("   docker run -d ")))
    });
    env.om(&[&name, "start", "--dry-run"]).ok();
    for _ in 0..100 {
        if reader.is_finished() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = follow.kill();
    let _ = follow.wait();
    let line = reader
        .join()
        .unwrap()
        .expect("the dry-run line reached logs --follow")
        .unwrap();
    assert!(
        line.contains(&format!("{NODE}.{name}.container#1")),
        "{line}"
    );
}
