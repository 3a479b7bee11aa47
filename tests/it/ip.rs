//! `ip` resources (SPEC 16, the OpenSVC "multi containers" page): a pod's
//! network namespace, held by container#1 (`--net=none`), gets a real
//! address through `ip#1`, and container#2 (`netns = container#1`) shares
//! it. Real kernel, real engine: each test makes a bridge of its own (named
//! `omt…`, on 10.200.K.0/24 with K its own: the tests run side by side) and
//! removes it when it ends, however it ends. Root only, as `om` itself is
//! for these resources; like every engine test, they fail, never skip,
//! without what they need.

use crate::support::{
    create, docker, docker_ok, engine, inspect, registry_image, unique, Cleanup, Env, Out, LOOP,
    NODE,
};
use serde_json::Value;
use std::process::{Command, Output};
use std::sync::OnceLock;

/// These tests make links: they need root (scripts/test runs as root).
fn root() {
    crate::support::need_root("the ip tests make bridges and links");
}

/// `PROGRAM ARGS`, its output; a program that is not there fails the test,
/// naming the package scripts/test installs it from.
fn run(program: &str, package: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("this test needs {program} ({e}); run scripts/test, which installs {package}")
        })
}

fn ip(args: &[&str]) -> Output {
    run("ip", "iproute2", args)
}

/// The trimmed stdout of an `ip` command that must succeed.
#[track_caller]
fn ip_ok(args: &[&str]) -> String {
    let out = ip(args);
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Field 22 of /proc/PID/stat (the start time): with the pid, it names one
/// process even once the pid is reused.
fn proc_start(pid: &str) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(") ")?;
    rest.split_whitespace().nth(19).map(str::to_string)
}

/// What a bridge's alias says of its owner, this test process: `om-test PID
/// START`, as scripts/test's remove_test_links reads it.
fn owner_alias() -> String {
    let pid = std::process::id().to_string();
    let start = proc_start(&pid).expect("/proc/self/stat");
    format!("om-test {pid} {start}")
}

/// Is the owner an alias names still running? (No alias: none.)
fn owner_alive(alias: &str) -> bool {
    let words: Vec<&str> = alias.split_whitespace().collect();
    match words.as_slice() {
        ["om-test", pid, start] => proc_start(pid).as_deref() == Some(*start),
        _ => false,
    }
}

/// Once per test process: the `omt…` links that a killed run left (their
/// owner is gone) go, as scripts/test does at its start and end. A link
/// whose owner runs belongs to a run beside this one and stays.
fn sweep() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        for line in ip_ok(&["-o", "link", "show"]).lines() {
            let Some(name) = line.split(": ").nth(1) else {
                continue;
            };
            let name = name.split('@').next().unwrap_or(name);
            if !name.starts_with("omt") {
                continue;
            }
            let alias = std::fs::read_to_string(format!("/sys/class/net/{name}/ifalias"))
                .unwrap_or_default();
            if !owner_alive(alias.trim()) {
                let _ = ip(&["link", "delete", name]);
            }
        }
    });
}

/// A bridge on the host, 10.200.K.1/24, deleted on drop.
pub(crate) struct Bridge {
    pub(crate) name: String,
    k: u8,
}

impl Bridge {
    pub(crate) fn new(k: u8) -> Bridge {
        root();
        engine();
        sweep();
        // omt, K, the process id: unique per test and per run, 15 bytes at
        // most (IFNAMSIZ - 1)
        let name = format!("omt{k}x{:x}", std::process::id());
        assert!(name.len() <= 15, "{name}: a link name is 15 bytes at most");
        let subnet = format!("10.200.{k}.0/24");
        let held = ip_ok(&["-o", "-4", "addr", "show", "to", &subnet]);
        assert!(
            held.is_empty(),
            "{subnet} is already on this machine (a test run beside this one, or the machine's own network): {held}"
        );
        ip_ok(&["link", "add", &name, "type", "bridge"]);
        // from here on, dropping it deletes the link
        let bridge = Bridge { name, k };
        ip_ok(&["link", "set", &bridge.name, "alias", &owner_alias()]);
        ip_ok(&[
            "addr",
            "add",
            &format!("{}/24", bridge.addr(1)),
            "dev",
            &bridge.name,
        ]);
        ip_ok(&["link", "set", &bridge.name, "up"]);
        bridge
    }

    /// 10.200.K.HOST
    pub(crate) fn addr(&self, host: u8) -> String {
        format!("10.200.{}.{host}", self.k)
    }

    /// The links enslaved to the bridge, one a line (empty: none).
    fn members(&self) -> String {
        ip_ok(&["-o", "link", "show", "master", &self.name])
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = ip(&["link", "delete", &self.name]);
    }
}

/// A container section of the test image that keeps running.
fn container(image: &str, extra: &str) -> String {
    format!("type = docker\nimage = {image}\ncommand = sh -c \"{LOOP}\"\n{extra}")
}

/// The pod: container#1 holds the namespace (`--net=none`, the default),
/// container#2 joins it, ip#1 (`ip_lines`, its keywords) plumbs the address.
pub(crate) fn pod_config(image: &str, ip_lines: &str) -> String {
    format!(
        "[container#1]\n{}[container#2]\n{}[ip#1]\ntype = netns\n{ip_lines}",
        container(image, ""),
        container(image, "netns = container#1\n"),
    )
}

/// The ip#1 keywords of the contract: `netns = container#1`, the address,
/// `/24`, the bridge, the mode.
pub(crate) fn ip_lines(addr: &str, ipdev: &str, mode: &str) -> String {
    format!("netns = container#1\nipname = {addr}\nnetmask = 24\nipdev = {ipdev}\nmode = {mode}\n")
}

/// A service of the pod, its containers removed when the test ends, and
/// purged then too when the test failed half way (a passing test purges it
/// itself, asserting that it works).
struct Pod {
    env: Env,
    name: String,
    c1: String,
    c2: String,
    _cleanup: Cleanup,
}

impl Pod {
    fn new(prefix: &str, ip_lines: &str) -> Pod {
        let env = Env::new();
        let name = unique(prefix);
        let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
        let cleanup = Cleanup(vec![c2.clone(), c1.clone()]);
        create(&env, &name, &pod_config(&registry_image(), ip_lines));
        Pod {
            env,
            name,
            c1,
            c2,
            _cleanup: cleanup,
        }
    }

    fn om(&self, args: &[&str]) -> Out {
        let mut argv = vec![self.name.as_str()];
        argv.extend_from_slice(args);
        self.env.om(&argv)
    }

    /// `print status`, text.
    fn status(&self) -> String {
        self.om(&["print", "status"]).ok().stdout
    }

    /// The ip#1 resource of `print status --format json`.
    fn ip_json(&self) -> Value {
        let out = self.om(&["print", "status", "--format", "json"]).ok();
        let v: Value = serde_json::from_str(&out.stdout).expect("status JSON");
        v["resources"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["rid"] == "ip#1"))
            .cloned()
            .unwrap_or_else(|| panic!("no ip#1 among the resources: {}", out.stdout))
    }

    fn purge(&self) {
        self.om(&["purge"]).ok();
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.env.cmd(&[&self.name, "purge"]).output();
        }
    }
}

/// stdout and stderr of a command, for messages that may be on either.
fn all(out: &Out) -> String {
    format!("{}{}", out.stdout, out.stderr)
}

fn running(container: &str) -> bool {
    inspect(container).is_some_and(|v| v["State"]["Running"] == true)
}

/// `ip addr show eth0` inside a container (busybox's `ip`), or the error.
fn eth0(container: &str) -> String {
    let out = docker(&["exec", container, "ip", "addr", "show", "eth0"]);
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Does the container have ADDR/24 on its eth0?
#[track_caller]
fn assert_has(container: &str, addr: &str) {
    let shown = eth0(container);
    assert!(
        shown.contains(&format!("inet {addr}/24 ")),
        "{container}: no {addr}/24 on eth0:\n{shown}"
    );
}

/// One echo from the host namespace answered within `wait` seconds.
fn host_ping(addr: &str, wait: &str) -> bool {
    run("ping", "iputils-ping", &["-c", "1", "-W", wait, addr])
        .status
        .success()
}

/// One echo from a container (busybox's ping) answered within `wait`
/// seconds.
fn container_ping(container: &str, addr: &str, wait: &str) -> bool {
    docker(&["exec", container, "ping", "-c", "1", "-W", wait, addr])
        .status
        .success()
}

/// The host reaches ADDR: 3 tries of one echo, 2 s each (the first may wait
/// for ARP).
fn host_pings(addr: &str) -> bool {
    (0..3).any(|_| host_ping(addr, "2"))
}

fn container_pings(container: &str, addr: &str) -> bool {
    (0..3).any(|_| container_ping(container, addr, "2"))
}

/// The `print status` row of ip#1: `|- ip#1   FLAGS STATUS LABEL`.
#[track_caller]
fn assert_ip_row(status: &str, state: &str, label: &str) {
    let re = regex::Regex::new(&format!(
        r"(?m)^ *[|`]- ip#\d+ +\S+ +{} +{}\s*$",
        regex::escape(state),
        regex::escape(label)
    ))
    .unwrap();
    assert!(
        re.is_match(status),
        "want ip#1 {state} '{label}':\n{status}"
    );
}

/// The index of the first stderr line of resource `rid` (service `name`).
#[track_caller]
fn first_line_of(out: &Out, name: &str, rid: &str) -> usize {
    let head = format!("{NODE}.{name}.{rid} ");
    out.stderr
        .lines()
        .position(|l| l.starts_with(&head))
        .unwrap_or_else(|| panic!("no line of {rid} in:\n{}", out.stderr))
}

/// The index of the first stderr line of resource `rid` (service `name`)
/// whose message, spaces trimmed, is `msg` (or starts with it when
/// `prefix`), else a failure showing the output.
#[track_caller]
fn line_of(out: &Out, name: &str, rid: &str, msg: &str, prefix: bool) -> usize {
    let head = format!("{NODE}.{name}.{rid} ");
    out.stderr
        .lines()
        .position(|l| {
            l.strip_prefix(&head).is_some_and(|rest| {
                let rest = rest.trim();
                if prefix {
                    rest.starts_with(msg)
                } else {
                    rest == msg
                }
            })
        })
        .unwrap_or_else(|| panic!("no line '{head}… {msg}' in:\n{}", out.stderr))
}

#[test]
fn bridge_mode_gives_the_pod_an_address_the_host_reaches() {
    let br = Bridge::new(1);
    let addr = br.addr(10);
    let pod = Pod::new("ipb", &ip_lines(&addr, &br.name, "bridge"));
    let label = format!("netns bridge {addr}/24 eth0@container#1");

    let out = pod.om(&["start"]).ok();
    // the holder first, then the address, then the container that joins it
    let run1 = line_of(&out, &pod.name, "container#1", "docker run ", true);
    let check = line_of(
        &out,
        &pod.name,
        "ip#1",
        &format!("checking {addr} availability"),
        false,
    );
    let run2 = line_of(&out, &pod.name, "container#2", "docker run ", true);
    assert!(run1 < check && check < run2, "{}", out.stderr);

    // the holder has it on eth0, the container in its namespace sees it
    assert_has(&pod.c1, &addr);
    assert_has(&pod.c2, &addr);
    // the host reaches it through the bridge
    assert!(host_pings(&addr), "the host does not reach {addr}");
    assert_eq!(br.members().lines().count(), 1, "{}", br.members());

    assert_ip_row(&pod.status(), "up", &label);
    let r = pod.ip_json();
    assert_eq!(r["status"], "up", "{r}");
    assert_eq!(r["label"], label.as_str(), "{r}");

    // stop: the link goes, and the address with it, before the holder stops
    let out = pod.om(&["stop"]).ok();
    let ip_stop = first_line_of(&out, &pod.name, "ip#1");
    let stop1 = line_of(&out, &pod.name, "container#1", "docker stop ", true);
    assert!(ip_stop < stop1, "{}", out.stderr);
    assert_eq!(br.members(), "", "a link is left on the bridge");
    assert!(!running(&pod.c1) && !running(&pod.c2));
    assert_ip_row(&pod.status(), "down", &label);
    assert_eq!(pod.ip_json()["status"], "down");
    assert!(
        !host_ping(&addr, "1"),
        "{addr} still answers after the stop"
    );

    // a start again plumbs it again
    pod.om(&["start"]).ok();
    assert_has(&pod.c1, &addr);
    assert_has(&pod.c2, &addr);
    assert!(host_pings(&addr), "the host does not reach {addr}");
    pod.purge();
    assert_eq!(br.members(), "", "a link is left on the bridge");
}

#[test]
fn stopping_the_holder_alone_takes_the_ip_with_it() {
    let br = Bridge::new(2);
    let addr = br.addr(10);
    let pod = Pod::new("iph", &ip_lines(&addr, &br.name, "bridge"));
    pod.om(&["start"]).ok();
    assert_has(&pod.c1, &addr);

    let out = pod.om(&["stop", "--rid", "container#1"]).ok();
    assert!(
        out.stderr.contains("add rid ip#1 to satisfy dependencies"),
        "{}",
        out.stderr
    );
    assert!(!running(&pod.c1));
    // container#2 (when it runs on) still holds the namespace: the link left
    // the bridge because om removed it, not because the namespace died
    assert_eq!(br.members(), "", "a link is left on the bridge");
    if running(&pod.c2) {
        let shown = eth0(&pod.c2);
        assert!(!shown.contains(&addr), "{addr} is still there:\n{shown}");
    }
    assert_eq!(pod.ip_json()["status"], "down");

    // and starting it alone brings the address back, for both containers
    // (container#2 follows its holder into the new namespace)
    pod.om(&["start", "--rid", "container#1"]).ok();
    assert_has(&pod.c1, &addr);
    assert_has(&pod.c2, &addr);
    assert!(host_pings(&addr), "the host does not reach {addr}");
    assert_eq!(pod.ip_json()["status"], "up");
    pod.purge();
    assert_eq!(br.members(), "", "a link is left on the bridge");
}

#[test]
fn a_restarted_holder_gets_its_address_again() {
    let br = Bridge::new(3);
    let addr = br.addr(10);
    let gateway = br.addr(1);
    let pod = Pod::new(
        "ipr",
        &format!(
            "{}gateway = {gateway}\n",
            ip_lines(&addr, &br.name, "bridge")
        ),
    );
    pod.om(&["start"]).ok();
    let netns = |c: &str| docker_ok(&["exec", c, "readlink", "/proc/1/ns/net"]);
    let before = netns(&pod.c1);

    pod.om(&["restart", "--rid", "container#1"]).ok();
    // a new namespace (the holder's container was started again) ...
    assert_ne!(netns(&pod.c1), before);
    assert_eq!(netns(&pod.c1), netns(&pod.c2));
    // ... with the address in it, and the route
    assert_has(&pod.c1, &addr);
    assert_has(&pod.c2, &addr);
    let routes = docker_ok(&["exec", &pod.c2, "ip", "route"]);
    assert!(
        routes.contains(&format!("default via {gateway}")),
        "{routes}"
    );
    assert!(host_pings(&addr), "the host does not reach {addr}");
    // one link on the bridge: the old one went with the old namespace
    assert_eq!(br.members().lines().count(), 1, "{}", br.members());
    assert_eq!(pod.ip_json()["status"], "up");
    pod.purge();
    assert_eq!(br.members(), "", "a link is left on the bridge");
}

#[test]
fn macvlan_pods_reach_each_other() {
    let br = Bridge::new(4);
    let (a_addr, b_addr) = (br.addr(10), br.addr(11));
    let a = Pod::new("ipma", &ip_lines(&a_addr, &br.name, "macvlan"));
    let b = Pod::new("ipmb", &ip_lines(&b_addr, &br.name, "macvlan"));
    a.om(&["start"]).ok();
    b.om(&["start"]).ok();
    assert_has(&a.c1, &a_addr);
    assert_has(&a.c2, &a_addr);
    assert_has(&b.c1, &b_addr);
    // macvlan children of one parent talk to each other (not to the
    // parent, the host: hence the two pods)
    assert!(
        container_pings(&a.c1, &b_addr),
        "{a_addr} does not reach {b_addr}"
    );
    assert!(
        container_pings(&b.c2, &a_addr),
        "{b_addr} does not reach {a_addr}"
    );

    let label = format!("netns macvlan {a_addr}/24 eth0@container#1");
    assert_ip_row(&a.status(), "up", &label);
    let r = a.ip_json();
    assert_eq!(r["status"], "up", "{r}");
    assert_eq!(r["label"], label.as_str(), "{r}");

    // stop: a's address goes (b's stays)
    a.om(&["stop"]).ok();
    assert!(!running(&a.c1));
    assert_ip_row(&a.status(), "down", &label);
    assert!(
        !container_ping(&b.c1, &a_addr, "1"),
        "{a_addr} still answers"
    );
    assert_eq!(b.ip_json()["status"], "up");
    a.purge();
    b.purge();
}

#[test]
fn an_address_in_use_fails_the_start_and_rolls_it_back() {
    let br = Bridge::new(5);
    let addr = br.addr(10);
    let first = Pod::new("ipu", &ip_lines(&addr, &br.name, "bridge"));
    let second = Pod::new("ipv", &ip_lines(&addr, &br.name, "bridge"));
    first.om(&["start"]).ok();

    let out = second.om(&["start"]);
    assert_ne!(out.code, 0, "{}", all(&out));
    // the start order's first step, before anything starts (SPEC 17)
    line_of(
        &out,
        &second.name,
        "ip#1",
        &format!("ip check: {addr} availability"),
        false,
    );
    assert!(
        all(&out).contains(&format!("{addr} is already in use")),
        "{}",
        all(&out)
    );
    // nothing of the second pod is left running, nor plumbed
    assert!(!running(&second.c1) && !running(&second.c2));
    assert_eq!(br.members().lines().count(), 1, "{}", br.members());
    // the first is as it was
    assert_has(&first.c1, &addr);
    assert!(host_pings(&addr), "the host does not reach {addr}");
    assert_eq!(first.ip_json()["status"], "up");
    first.purge();
    second.purge();
}

/// Two addresses in one namespace (eth0 and eth1 of the holder): both
/// plumbed, both up in status (the namespace read once), both gone at stop.
#[test]
fn two_addresses_in_one_namespace() {
    let br = Bridge::new(8);
    let (a1, a2) = (br.addr(10), br.addr(11));
    let second = format!(
        "[ip#2]\ntype = netns\nnetns = container#1\nipname = {a2}\nnetmask = 24\nipdev = {}\nnsdev = eth1\n",
        br.name
    );
    let pod = Pod::new(
        "ip2",
        &format!("{}{second}", ip_lines(&a1, &br.name, "bridge")),
    );
    pod.om(&["start"]).ok();
    assert_has(&pod.c2, &a1);
    let eth1 = docker_ok(&["exec", &pod.c2, "ip", "addr", "show", "eth1"]);
    assert!(eth1.contains(&format!("inet {a2}/24")), "{eth1}");
    assert!(host_pings(&a1) && host_pings(&a2));
    let st = pod.status();
    assert_ip_row(&st, "up", &format!("netns bridge {a1}/24 eth0@container#1"));
    assert_ip_row(&st, "up", &format!("netns bridge {a2}/24 eth1@container#1"));
    pod.om(&["stop"]).ok();
    assert_eq!(br.members(), "", "links left on the bridge");
    pod.purge();
}

/// `ip ARGS` in the network namespace of a running container.
fn in_ns(container: &str, args: &[&str]) -> String {
    let pid = inspect(container).expect("the container exists")["State"]["Pid"].to_string();
    let mut argv = vec!["--net=/proc/".to_string() + &pid + "/ns/net", "ip".into()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let out = Command::new("nsenter")
        .args(&argv)
        .output()
        .expect("nsenter");
    assert!(out.status.success(), "nsenter {argv:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// om finds its link by its marker, not by the address: a link of its
/// own without the address (a start cut short) is replaced by the next
/// start; an address the config no longer says is warned about, and the
/// stop still removes it.
#[test]
fn om_knows_its_link_whatever_it_holds() {
    let br = Bridge::new(9);
    let (a1, a2) = (br.addr(10), br.addr(11));
    let pod = Pod::new("ipk", &ip_lines(&a1, &br.name, "bridge"));
    pod.om(&["start"]).ok();
    // the address gone from om's link: down, and a start plumbs it again
    in_ns(&pod.c1, &["addr", "flush", "dev", "eth0"]);
    assert_eq!(pod.ip_json()["status"], "down");
    pod.om(&["start"]).ok();
    assert_has(&pod.c1, &a1);
    assert_eq!(pod.ip_json()["status"], "up");
    assert_eq!(br.members().lines().count(), 1, "{}", br.members());

    // ipname changed while up: warn, naming both; stop removes the link
    pod.om(&["set", "--kw", &format!("ip#1.ipname={a2}")]).ok();
    let ip = pod.ip_json();
    assert_eq!(ip["status"], "warn", "{ip}");
    assert!(
        ip["log"][0]
            .as_str()
            .unwrap()
            .contains(&format!("eth0 holds {a1}, the config says {a2}")),
        "{ip}"
    );
    pod.om(&["stop", "--rid", "ip#1"]).ok();
    assert!(!host_ping(&a1, "1"), "{a1} still answers");
    assert_eq!(br.members(), "", "a link is left on the bridge");
    pod.om(&["start"]).ok();
    assert_has(&pod.c1, &a2);
    assert!(host_pings(&a2));

    // a link of om's name left on the host without its marker (a start
    // cut short between the link's creation and its alias): om's, removed
    let started = all(&pod.om(&["restart", "--rid", "ip#1"]).ok());
    let made =
        regex::Regex::new(r"ip link add (om[0-9a-f]{12}h) type veth peer name (om[0-9a-f]{12}n)")
            .unwrap();
    let caps = made
        .captures(&started)
        .expect("the veth's names in the log");
    pod.om(&["stop", "--rid", "ip#1"]).ok();
    ip_ok(&[
        "link", "add", &caps[1], "type", "veth", "peer", "name", &caps[2],
    ]);
    let out = all(&pod.om(&["start", "--rid", "ip#1"]).ok());
    assert!(out.contains(&format!("ip link del {}", &caps[1])), "{out}");
    assert_has(&pod.c1, &a2);

    // a link named nsdev that is not om's is never taken for its own
    pod.om(&["stop", "--rid", "ip#1"]).ok();
    in_ns(
        &pod.c1,
        &[
            "link", "add", "eth0", "type", "veth", "peer", "name", "eth9",
        ],
    );
    let out = pod.om(&["start", "--rid", "ip#1"]);
    assert_ne!(out.code, 0);
    assert!(
        all(&out)
            .contains("ip#1.nsdev: eth0 exists in the namespace of container#1 and is not om's"),
        "{}",
        all(&out)
    );
    pod.om(&["stop", "--rid", "ip#1"]).ok();
    assert!(
        in_ns(&pod.c1, &["link", "show", "eth0"]).contains("eth0"),
        "om removed a link not its own"
    );
    pod.purge();
}

/// An optional ip that fails is a warning; a start that fails after it
/// plumbed the address (DEFAULT's blocking post trigger) takes it back.
#[test]
fn optional_and_rolled_back_addresses() {
    let br = Bridge::new(11);
    let addr = br.addr(10);
    let pod = Pod::new(
        "ipo",
        &format!(
            "{}optional = true\n",
            ip_lines(&addr, "omtnosuch1", "bridge")
        ),
    );
    let out = pod.om(&["start"]).ok();
    assert!(
        all(&out).contains("(optional resource, going on)"),
        "{}",
        all(&out)
    );
    assert!(running(&pod.c1) && running(&pod.c2));
    pod.om(&["purge"]).ok();

    let pod = Pod::new("ipr", &ip_lines(&addr, &br.name, "bridge"));
    pod.om(&["start", "--rid", "container#1"]).ok();
    pod.om(&["stop", "--rid", "ip#1"]).ok();
    pod.om(&["set", "--kw", "blocking_post_start=false"]).ok();
    let out = pod.om(&["start"]);
    assert_ne!(out.code, 0, "{}", all(&out));
    assert!(all(&out).contains("rollback"), "{}", all(&out));
    assert_eq!(br.members(), "", "the address was not rolled back");
    assert!(!host_ping(&addr, "1"), "{addr} still answers");
    pod.purge();
}

/// The holder of an address may itself join another container's namespace
/// (here its ipc one): when that one restarts, om restarts the holder into
/// the new namespace, and the address (which went with the holder's old
/// network namespace) is plumbed again.
#[test]
fn a_holder_restarted_as_a_joiner_gets_its_address_again() {
    let br = Bridge::new(12);
    let addr = br.addr(10);
    let env = Env::new();
    let name = unique("ipj");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let _cleanup = Cleanup(vec![c2.clone(), c1.clone()]);
    let image = registry_image();
    let config = format!(
        "[container#1]\n{}[container#2]\n{}[ip#1]\ntype = netns\nnetns = container#2\nipname = {addr}\nnetmask = 24\nipdev = {}\n",
        container(&image, "ipcns = shareable\n"),
        container(&image, "ipcns = container#1\n"),
        br.name
    );
    create(&env, &name, &config);
    env.om(&[&name, "start"]).ok();
    assert_has(&c2, &addr);
    let out = env.om(&[&name, "restart", "--rid", "container#1"]).ok();
    let text = all(&out);
    assert!(
        text.contains(
            "its namespace holder was started again: plumbing the address into the new namespace"
        ),
        "{text}"
    );
    assert_has(&c2, &addr);
    assert!(host_pings(&addr), "the host does not reach {addr}");
    assert_eq!(br.members().lines().count(), 1, "{}", br.members());
    env.om(&[&name, "purge"]).ok();
}

/// `disable` covers the ip resources too (and a disabled holder disables
/// its addresses); a config broken in its ip section still stops its ip.
#[test]
fn disable_and_a_broken_config_cover_the_ip() {
    let br = Bridge::new(14);
    let addr = br.addr(10);
    let pod = Pod::new("ipd", &ip_lines(&addr, &br.name, "bridge"));
    pod.om(&["disable", "--rid", "ip"]).ok();
    pod.om(&["enable", "--rid", "ip#1"]).ok();
    pod.om(&["disable"]).ok();
    pod.om(&["start"]).ok();
    assert!(!running(&pod.c1));
    assert_eq!(pod.ip_json()["status"], "n/a");
    pod.om(&["enable"]).ok();
    pod.om(&["start"]).ok();
    assert_has(&pod.c1, &addr);

    // a hand edit the config check refuses: the stop still finds om's link
    let file = pod
        .env
        .root
        .path()
        .join("etc")
        .join(format!("{}.conf", pod.name));
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("mode = bridge", "mode = bogus")).unwrap();
    let out = pod.om(&["stop", "--rid", "ip#1"]).ok();
    assert!(all(&out).contains("ip link del dev eth0"), "{}", all(&out));
    assert_eq!(br.members(), "", "the link is left");
    assert!(running(&pod.c1));
    std::fs::write(&file, text).unwrap();
    pod.purge();
}

/// A start that fails on an ip already up (its blocking trigger, here)
/// leaves that address alone: the rollback takes back only what the start
/// made.
#[test]
fn a_failed_start_keeps_an_address_it_did_not_make() {
    let br = Bridge::new(15);
    let addr = br.addr(10);
    let pod = Pod::new("ipf", &ip_lines(&addr, &br.name, "bridge"));
    pod.om(&["start"]).ok();
    pod.om(&["set", "--kw", "ip#1.blocking_pre_start=false"])
        .ok();
    let out = pod.om(&["start"]);
    assert_ne!(out.code, 0, "{}", all(&out));
    assert!(host_pings(&addr), "{addr} was taken down:\n{}", all(&out));
    assert_eq!(pod.ip_json()["status"], "up");
    pod.purge();
}

/// Macvlan children are out of the host's reach (its ping can not see a
/// sibling holding the address): the duplicate address detection from the
/// new link, before the address is set, does.
#[test]
fn an_address_a_macvlan_sibling_holds_fails_the_start() {
    let br = Bridge::new(7);
    let addr = br.addr(10);
    let first = Pod::new("ipm", &ip_lines(&addr, &br.name, "macvlan"));
    let second = Pod::new("ipn", &ip_lines(&addr, &br.name, "macvlan"));
    first.om(&["start"]).ok();
    assert!(
        !host_ping(&addr, "1"),
        "a macvlan parent reaches its child?"
    );

    let out = second.om(&["start"]);
    assert_ne!(out.code, 0, "{}", all(&out));
    let text = all(&out);
    assert!(text.contains("arping -D"), "{text}");
    assert!(
        text.contains(&format!("{addr} is already in use")),
        "{text}"
    );
    // nothing of the second pod is left running, nor its link
    assert!(!running(&second.c1) && !running(&second.c2));
    assert_has(&first.c1, &addr);
    assert_eq!(first.ip_json()["status"], "up");
    first.purge();
    second.purge();
}

/// An IPv6 address: docker turns IPv6 off in a container's namespace,
/// om turns it on for the link; the kernel's duplicate address detection
/// refuses an address a macvlan sibling holds.
#[test]
fn ipv6_addresses_and_their_duplicate_detection() {
    let br = Bridge::new(13);
    let addr = "fd00:200:13::10";
    let v6 = |mode: &str| {
        format!(
            "netns = container#1\nipname = {addr}\nnetmask = 64\nipdev = {}\nmode = {mode}\n",
            br.name
        )
    };
    let first = Pod::new("ip6a", &v6("macvlan"));
    let second = Pod::new("ip6b", &v6("macvlan"));
    first.om(&["start"]).ok();
    let shown = docker_ok(&["exec", &first.c2, "ip", "-6", "addr", "show", "eth0"]);
    assert!(shown.contains(&format!("inet6 {addr}/64")), "{shown}");
    assert_eq!(first.ip_json()["status"], "up");
    let out = second.om(&["start"]);
    assert_ne!(out.code, 0, "{}", all(&out));
    assert!(
        all(&out).contains(&format!(
            "{addr} is already in use (IPv6 duplicate address detection"
        )),
        "{}",
        all(&out)
    );
    assert!(!running(&second.c1));
    assert_eq!(first.ip_json()["status"], "up");
    first.purge();
    second.purge();
}

#[test]
fn a_mode_the_kernel_lacks_fails_with_the_kernel_message() {
    let br = Bridge::new(6);
    let addr = br.addr(10);
    // what this kernel says of an ipvlan link (on this project's machines:
    // "Error: Unknown device type.", no ipvlan module)
    let probe_name = format!("omt6p{:x}", std::process::id());
    let probe = ip(&[
        "link",
        "add",
        "link",
        &br.name,
        "name",
        &probe_name,
        "type",
        "ipvlan",
        "mode",
        "l2",
    ]);
    let pod = Pod::new("ipl", &ip_lines(&addr, &br.name, "ipvlan-l2"));
    let out = pod.om(&["start"]);
    if probe.status.success() {
        // a kernel with ipvlan: the mode works, and so must om's start
        let _ = ip(&["link", "delete", &probe_name]);
        assert_eq!(out.code, 0, "{}", all(&out));
        assert_has(&pod.c1, &addr);
        assert_has(&pod.c2, &addr);
        pod.purge();
        return;
    }
    let kernel = String::from_utf8_lossy(&probe.stderr).trim().to_string();
    let kernel = kernel.strip_prefix("Error: ").unwrap_or(&kernel);
    let kernel = kernel.trim_end_matches('.');
    assert_ne!(out.code, 0, "{}", all(&out));
    assert!(all(&out).contains("ipvlan-l2"), "{}", all(&out));
    assert!(
        all(&out).contains(kernel),
        "the kernel's message '{kernel}' is not said:\n{}",
        all(&out)
    );
    // rolled back: the holder is not left running, nor anything after it
    assert!(!running(&pod.c1) && !running(&pod.c2));
    pod.purge();
}

#[test]
fn a_missing_ipdev_fails_the_start() {
    root();
    engine();
    let pod = Pod::new("ipd", &ip_lines("10.200.7.10", "omtnosuch0", "bridge"));
    assert!(!ip(&["link", "show", "omtnosuch0"]).status.success());
    let out = pod.om(&["start"]);
    assert_ne!(out.code, 0, "{}", all(&out));
    assert!(all(&out).contains("ip#1.ipdev"), "{}", all(&out));
    assert!(!running(&pod.c1) && !running(&pod.c2));
    pod.purge();
}

#[test]
fn bad_ip_sections_are_refused_naming_the_keyword() {
    let env = Env::new();
    let good = ip_lines("10.200.8.10", "omtnosuch0", "bridge");
    // the config is fine as it is (ipdev is looked for at start) ...
    let name = unique("ipk");
    env.om_stdin(
        &[&name, "create", "--config=-"],
        &pod_config("om-test/busybox", &good),
    )
    .ok();
    env.om(&[&name, "validate", "config"]).ok();
    env.om(&[&name, "delete"]).ok();
    // ... and each of these is not
    for (from, to, keyword) in [
        ("netns = container#1", "netns = container#9", "ip#1.netns"),
        (
            "ipname = 10.200.8.10",
            "ipname = not_an_address!",
            "ip#1.ipname",
        ),
        ("mode = bridge", "mode = vxlan", "ip#1.mode"),
    ] {
        let name = unique("ipk");
        let out = env.om_stdin(
            &[&name, "create", "--config=-"],
            &pod_config("om-test/busybox", &good.replace(from, to)),
        );
        assert_ne!(out.code, 0, "{to}: {}", all(&out));
        assert_eq!(out.stderr_lines().len(), 1, "{to}: {}", out.stderr);
        assert!(out.stderr.contains(keyword), "{to}: {}", out.stderr);
        assert!(!env.conf(&name).exists(), "{to}: nothing is written");
    }
}

/// The README's pod ("A pod with an address") works as printed, on a bridge
/// of the test's own in place of `podbr0` and 198.51.100.0/24.
#[test]
fn the_readme_pod_works_as_printed() {
    let br = Bridge::new(10);
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let head = "om pod create --config=- <<'EOF'\n";
    let start = readme.find(head).expect("the README's pod") + head.len();
    let ini = &readme[start..start + readme[start..].find("\nEOF\n").unwrap() + 1];
    assert!(ini.contains("ipdev = podbr0\n"), "{ini}");
    let ini = ini
        .replace("podbr0", &br.name)
        .replace("198.51.100.", &format!("10.200.{}.", br.k));
    let addr = br.addr(10);

    let env = Env::new();
    let name = unique("ipp");
    let _cleanup = Cleanup(
        (1..=3)
            .rev()
            .map(|n| format!("{name}.container.{n}"))
            .collect(),
    );
    create(&env, &name, &ini);
    env.om(&[&name, "start"]).ok();
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert_ip_row(
        &st,
        "up",
        &format!("netns bridge {addr}/24 eth0@container#1"),
    );
    assert!(host_pings(&addr), "the host does not reach {addr}");
    let out = env
        .om(&[
            &name,
            "docker",
            "exec",
            "{container#3}",
            "ip",
            "addr",
            "show",
            "eth0",
        ])
        .ok();
    assert!(
        out.stdout.contains(&format!("inet {addr}/24 ")),
        "{}",
        out.stdout
    );

    let out = env.om(&[&name, "stop", "--rid", "container"]).ok();
    assert!(
        out.stderr.contains("add rid ip#1 to satisfy dependencies"),
        "{}",
        out.stderr
    );
    assert_eq!(br.members(), "", "a link is left on the bridge");
    env.om(&[&name, "start", "--rid", "container"]).ok();
    for n in 1..=3 {
        assert_has(&format!("{name}.container.{n}"), &addr);
    }
    assert!(host_pings(&addr), "the host does not reach {addr}");
    env.om(&[&name, "purge"]).ok();
    assert_eq!(br.members(), "", "a link is left on the bridge");
}

/// No host can have these addresses, and a gateway must be another address
/// of the prefix: `create` refuses them and `validate config` refuses a
/// config edited into them, naming the keyword (issue 21, item 10).
#[test]
fn addresses_no_host_can_have_are_refused_naming_the_keyword() {
    let env = Env::new();
    let good = ip_lines("10.200.9.10", "omtnosuch0", "bridge");
    let name = unique("ipa");
    env.om_stdin(
        &[&name, "create", "--config=-"],
        &pod_config("om-test/busybox", &good),
    )
    .ok();
    env.om(&[&name, "validate", "config"]).ok();
    let conf = env.read_conf(&name);
    for (from, to, keyword) in [
        ("ipname = 10.200.9.10", "ipname = 0.0.0.0", "ip#1.ipname"),
        ("ipname = 10.200.9.10", "ipname = ::", "ip#1.ipname"),
        ("ipname = 10.200.9.10", "ipname = 127.0.0.1", "ip#1.ipname"),
        ("ipname = 10.200.9.10", "ipname = ::1", "ip#1.ipname"),
        ("ipname = 10.200.9.10", "ipname = 239.0.0.1", "ip#1.ipname"),
        (
            "ipname = 10.200.9.10",
            "ipname = 255.255.255.255",
            "ip#1.ipname",
        ),
        (
            "ipname = 10.200.9.10",
            "ipname = 10.200.9.255",
            "ip#1.ipname",
        ),
        ("ipname = 10.200.9.10", "ipname = 10.200.9.0", "ip#1.ipname"),
        (
            "netmask = 24",
            "netmask = 24\ngateway = 10.200.9.0",
            "ip#1.gateway",
        ),
        ("netmask = 24", "netmask = 0", "ip#1.netmask"),
        ("netmask = 24", "netmask = 0.0.0.0", "ip#1.netmask"),
        (
            "netmask = 24",
            "netmask = 24\ngateway = 10.200.8.1",
            "ip#1.gateway",
        ),
        (
            "netmask = 24",
            "netmask = 24\ngateway = 10.200.9.10",
            "ip#1.gateway",
        ),
    ] {
        assert!(conf.contains(from), "{conf}");
        let bad = conf.replace(from, to);
        // create refuses it, writing nothing
        let other = unique("ipa");
        let out = env.om_stdin(&[&other, "create", "--config=-"], &bad);
        assert_ne!(out.code, 0, "{to}: {}", all(&out));
        assert_eq!(out.stderr_lines().len(), 1, "{to}: {}", out.stderr);
        assert!(out.stderr.contains(keyword), "{to}: {}", out.stderr);
        assert!(!env.conf(&other).exists(), "{to}: nothing is written");
        // validate refuses the hand edit, naming the keyword
        std::fs::write(env.conf(&name), &bad).unwrap();
        let out = env.om(&[&name, "validate", "config"]);
        assert_eq!(out.code, 1, "{to}: {}", all(&out));
        assert!(
            out.stdout.contains(&format!("{name}: error: {keyword}: ")),
            "{to}: {}",
            all(&out)
        );
    }
    std::fs::write(env.conf(&name), &conf).unwrap();
    env.om(&[&name, "validate", "config"]).ok();
    env.om(&[&name, "delete"]).ok();
}
