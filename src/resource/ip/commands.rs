//! The names and marker of an ip resource's links, and the command lines
//! that make them (`ip`, under `nsenter` in the holder's namespace).

use crate::model::{Ip, Mode};
use crate::process::Cmd;
use std::net::IpAddr;

/// 48 bits of the FNV-1a hash of the service's id and the rid: the
/// resource's links' names and marker.
fn link_hash(svc_id: &str, rid: &str) -> u64 {
    let mut h = crate::hash::Fnv64::new();
    h.update(svc_id.as_bytes());
    h.update(&[0]);
    h.update(rid.as_bytes());
    h.value() >> 16
}

/// The names of the links om creates for the resource (at most 15 bytes,
/// the kernel's bound): `om<12 hex>h` (a veth's host end), `om<12 hex>n`
/// (the end that goes into the namespace, renamed `nsdev` there).
pub fn link_names(svc_id: &str, rid: &str) -> (String, String) {
    let h = link_hash(svc_id, rid);
    (format!("om{h:012x}h"), format!("om{h:012x}n"))
}

/// The alias every link of the resource carries from its creation
/// (`ip link set … alias`, kept across the move and the rename): what
/// tells om's link from any other, in the namespace and on the host,
/// whatever `ipname` resolves to now.
pub fn marker(svc_id: &str, rid: &str) -> String {
    let mut m = format!("om:{:012x}:{rid}", link_hash(svc_id, rid));
    // the kernel's bound on an alias
    m.truncate(255);
    m
}

/// `ip ARGS`.
pub fn ip_cmd<S: Into<String>>(args: impl IntoIterator<Item = S>) -> Cmd {
    Cmd::new("ip", args)
}

/// `nsenter --net=/proc/PID/ns/net PROGRAM ARGS`: a command in the
/// network namespace of process `pid`.
pub fn in_netns(pid: u32, cmd: Cmd) -> Cmd {
    let mut args = vec![format!("--net=/proc/{pid}/ns/net"), cmd.program];
    args.extend(cmd.args);
    Cmd::new("nsenter", args)
}

/// The commands that create the link in the host's namespace and move its
/// namespace end into the holder's (process `pid`). The first one is the
/// link's creation, whose refusal is the kernel's word on the mode.
pub fn create_cmds(ip: &Ip, host: &str, tmp: &str, pid: u32, marker: &str) -> Vec<Cmd> {
    let mut cmds = match ip.mode {
        Mode::Bridge => vec![
            ip_cmd(["link", "add", host, "type", "veth", "peer", "name", tmp]),
            ip_cmd(["link", "set", host, "alias", marker]),
            ip_cmd(["link", "set", host, "master", &ip.ipdev]),
            ip_cmd(["link", "set", host, "up"]),
        ],
        Mode::Macvlan => vec![ip_cmd([
            "link", "add", "link", &ip.ipdev, "name", tmp, "type", "macvlan", "mode", "bridge",
        ])],
        Mode::IpvlanL2 | Mode::IpvlanL3 => {
            let m = if ip.mode == Mode::IpvlanL2 {
                "l2"
            } else {
                "l3"
            };
            vec![ip_cmd([
                "link", "add", "link", &ip.ipdev, "name", tmp, "type", "ipvlan", "mode", m,
            ])]
        }
    };
    cmds.insert(1, ip_cmd(["link", "set", tmp, "alias", marker]));
    cmds.push(ip_cmd(["link", "set", tmp, "netns", &pid.to_string()]));
    cmds
}

/// The commands inside the namespace: the link renamed `nsdev` and up
/// (the first `NS_LINK_CMDS`: then the link can ask whether the address is
/// taken), the address, the default route.
pub fn ns_cmds(ip: &Ip, tmp: &str, pid: u32, addr: IpAddr) -> Vec<Cmd> {
    let cidr = format!("{addr}/{}", ip.prefix);
    let mut cmds = vec![
        ip_cmd(["link", "set", tmp, "name", &ip.nsdev]),
        // `dev`: a name like `help` or `up` is not read as a keyword
        ip_cmd(["link", "set", "dev", &ip.nsdev, "up"]),
    ];
    if addr.is_ipv6() {
        // docker turns IPv6 off in a container's namespace: on for the link
        // slashes: a name with a dot (eth0.5) stays one name
        let key = format!("net/ipv6/conf/{}/disable_ipv6=0", ip.nsdev);
        cmds.push(Cmd::new("sysctl", ["-w".to_string(), key]));
    }
    cmds.push(ip_cmd(["addr", "add", &cidr, "dev", &ip.nsdev]));
    if let Some(gw) = ip.gateway {
        cmds.push(ip_cmd([
            "route",
            "replace",
            "default",
            "via",
            &gw.to_string(),
            "dev",
            &ip.nsdev,
        ]));
    }
    cmds.into_iter().map(|c| in_netns(pid, c)).collect()
}

/// How many of `ns_cmds` come before the address.
pub const NS_LINK_CMDS: usize = 2;

/// Duplicate address detection from the link in the namespace (iputils
/// `arping -D`: exit 0 when nobody answers, 1 when someone does): what
/// the host's own ping can not see, a macvlan sibling on the same parent.
pub fn dad_cmd(ip: &Ip, pid: u32, addr: IpAddr) -> Cmd {
    let args = [
        "-D",
        "-c",
        "1",
        "-w",
        "1",
        "-I",
        &ip.nsdev,
        &addr.to_string(),
    ];
    in_netns(pid, Cmd::new("arping", args.map(String::from)))
}
