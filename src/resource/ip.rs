//! The ip kind (SPEC 16): an address plumbed into the network namespace a
//! container holds (`[ip#N] type = netns`, `netns = container#M`), the way
//! the OpenSVC "multi containers" page builds a pod. om drives iproute2's
//! `ip` as argv, each command an action line that replays: in the host's
//! namespace for the link's creation, under `nsenter --net=/proc/PID/ns/net`
//! (the holder's process, from its verified inspect) inside it.
//!
//! What is pure (the keywords, the link names, the command lines, reading
//! `ip -j addr`) is here with its tests; `run` holds what touches the host.

use crate::model::{Ip, Mode};
use crate::process::Cmd;
use std::net::IpAddr;

pub mod run;

impl Ip {
    /// The address `ipname` names now (an address as is; a name looked up).
    pub fn resolve(&self) -> Result<IpAddr, String> {
        resolve(&self.ipname).map_err(|e| format!("{}.ipname: {e}", self.head.rid))
    }
}

/// Whether `v` can name a link (`ipdev`, `nsdev`): the kernel's 15 bytes,
/// no `/`, `:`, space or control character, not `.` or `..`.
pub fn check_link_name(v: &str) -> Result<(), String> {
    let ok = !v.is_empty()
        && v.len() <= 15
        && v != "."
        && v != ".."
        && !v.contains(|c: char| c == '/' || c == ':' || c.is_whitespace() || c.is_control());
    if ok {
        return Ok(());
    }
    Err(format!(
        "'{}' is not a link name (1 to 15 characters, no '/', ':' or space)",
        v.escape_debug()
    ))
}

/// `ipname`'s syntax: an address, or a host name (resolved at start).
pub fn check_ipname(v: &str) -> Result<(), String> {
    if v.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    // all digits and dots is an address that is not one, not a name
    let dotted = v.chars().all(|c| c.is_ascii_digit() || c == '.');
    if dotted || crate::config::operand::hostname(v).is_err() {
        return Err(format!(
            "'{}' is neither an address nor a host name",
            v.escape_debug()
        ));
    }
    Ok(())
}

/// The address of `ipname`: itself, or its first address as the resolver
/// gives it.
pub fn resolve(ipname: &str) -> Result<IpAddr, String> {
    if let Ok(a) = ipname.parse::<IpAddr>() {
        return Ok(a);
    }
    check_ipname(ipname)?;
    use std::net::ToSocketAddrs;
    let mut found = (ipname, 0)
        .to_socket_addrs()
        .map_err(|e| format!("'{ipname}' does not resolve: {e}"))?;
    found
        .next()
        .map(|s| s.ip())
        .ok_or_else(|| format!("'{ipname}' resolves to no address"))
}

/// `netmask`: a prefix length (`24`, 1 to 128) or a dotted IPv4 mask
/// (`255.255.255.0`, contiguous ones). Not `/0`: every address would be
/// on the pod's link, the whole internet answered by ARP on it.
pub fn parse_netmask(v: &str) -> Result<u8, String> {
    let len = v.parse::<u8>().ok().filter(|n| *n <= 128).or_else(|| {
        let Ok(IpAddr::V4(m)) = v.parse::<IpAddr>() else {
            return None;
        };
        let bits = u32::from(m);
        let len = bits.leading_ones();
        (bits.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
    });
    match len {
        Some(0) => Err(format!(
            "'{}' is a /0 mask, which puts every address on the pod's link",
            v.escape_debug()
        )),
        Some(len) => Ok(len),
        None => Err(format!(
            "'{}' is not a prefix length (1 to 128) or a dotted mask (255.255.255.0)",
            v.escape_debug()
        )),
    }
}

/// Whether `prefix` fits `addr`'s family.
pub fn check_prefix(addr: IpAddr, prefix: u8) -> Result<(), String> {
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if prefix > max {
        return Err(format!(
            "/{prefix} is longer than an address of {addr}'s family (/{max})"
        ));
    }
    Ok(())
}

/// Why `addr` can be no host's address, on a link of `prefix` when it is
/// known: the unspecified address, a loopback or multicast one, the
/// limited broadcast, and the subnet's broadcast and network address
/// (host part all ones, all zeros) below /31 (the kernel takes them all,
/// and nothing then answers as the pod). An IPv4 address written in IPv6
/// (`::ffff:127.0.0.1`) is judged as itself.
pub fn unusable(addr: IpAddr, prefix: Option<u8>) -> Option<String> {
    let canon = addr.to_canonical();
    let what = if canon.is_unspecified() {
        "the unspecified address"
    } else if canon.is_loopback() {
        "a loopback address"
    } else if canon.is_multicast() {
        "a multicast address"
    } else if matches!(canon, IpAddr::V4(a) if a.is_broadcast()) {
        "the broadcast address"
    } else {
        return match (canon, prefix) {
            (IpAddr::V4(a), Some(len)) if (1..31).contains(&len) => {
                let host = u32::MAX >> len;
                let net = std::net::Ipv4Addr::from(u32::from(a) & !host);
                let what = match u32::from(a) & host {
                    h if h == host => "broadcast",
                    0 => "network",
                    _ => return None,
                };
                Some(format!("{addr} is the {what} address of {net}/{len}"))
            }
            _ => None,
        };
    };
    Some(format!("{addr} is {what}"))
}

/// Whether `a` is in `net`/`prefix` (an address of the other family never is).
fn in_prefix(a: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (a, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// The one judgement of an ip resource's address, its prefix and its
/// gateway, made when the config is read (the address written as one) and
/// again at each start (a name resolves to what it does then): the key at
/// fault and why. The gateway must be another address of the prefix, or
/// an IPv6 link-local one (on every link, as router advertisements give
/// it).
pub fn check_address(
    addr: IpAddr,
    prefix: u8,
    gateway: Option<IpAddr>,
) -> Result<(), (&'static str, String)> {
    check_prefix(addr, prefix).map_err(|e| ("netmask", e))?;
    if let Some(why) = unusable(addr, Some(prefix)) {
        return Err(("ipname", why));
    }
    let Some(gw) = gateway else {
        return Ok(());
    };
    if let Some(why) = unusable(gw, Some(prefix)) {
        return Err(("gateway", why));
    }
    let link_local = matches!(gw, IpAddr::V6(g) if g.is_unicast_link_local()) && addr.is_ipv6();
    if gw == addr {
        return Err(("gateway", format!("{gw} is the address itself ({addr})")));
    }
    if !link_local && !in_prefix(gw, addr, prefix) {
        return Err((
            "gateway",
            format!("{gw} is outside the address's prefix ({addr}/{prefix})"),
        ));
    }
    Ok(())
}

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

/// A link of a namespace, as `ip -j addr show` lists it.
#[derive(Debug, PartialEq)]
pub struct Link {
    pub name: String,
    /// Its addresses in use (an IPv6 one whose duplicate address
    /// detection has not passed is in `pending`).
    pub addrs: Vec<(IpAddr, u8)>,
    /// IPv6 addresses still tentative (`false`) or refused by duplicate
    /// address detection (`true`).
    pub pending: Vec<(IpAddr, bool)>,
    /// Its alias (`ip -d` shows it), om's marker on its own links.
    pub alias: Option<String>,
}

/// Reads `ip -j -d addr show`'s document; an answer that is not one is an
/// error (never "no address").
pub fn parse_addrs(json: &str) -> Result<Vec<Link>, String> {
    let v: serde_json::Value = serde_json::from_str(json.trim())
        .map_err(|e| format!("unreadable ip -j addr output: {e}"))?;
    let list = v
        .as_array()
        .ok_or("unreadable ip -j addr output: not a list")?;
    let mut links = Vec::with_capacity(list.len());
    for l in list {
        let name = l
            .get("ifname")
            .and_then(|n| n.as_str())
            .ok_or("unreadable ip -j addr output: a link without ifname")?;
        let mut addrs = Vec::new();
        let mut pending = Vec::new();
        for a in l
            .get("addr_info")
            .and_then(|a| a.as_array())
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let local = a.get("local").and_then(|x| x.as_str());
            let len = a.get("prefixlen").and_then(|x| x.as_u64());
            let flag = |k: &str| a.get(k).and_then(|x| x.as_bool()).unwrap_or(false);
            if let (Some(Ok(addr)), Some(len)) = (local.map(str::parse::<IpAddr>), len) {
                if flag("dadfailed") || flag("tentative") {
                    pending.push((addr, flag("dadfailed")));
                } else {
                    addrs.push((addr, u8::try_from(len).unwrap_or(u8::MAX)));
                }
            }
        }
        links.push(Link {
            name: name.to_string(),
            addrs,
            pending,
            alias: l.get("ifalias").and_then(|a| a.as_str()).map(String::from),
        });
    }
    Ok(links)
}

/// The resource's own links in a namespace (those with its marker), and
/// whether another link holds the name `nsdev`.
#[derive(Debug, PartialEq)]
pub struct Found<'a> {
    pub ours: Vec<&'a Link>,
    pub nsdev_other: bool,
}

pub fn find<'a>(links: &'a [Link], nsdev: &str, marker: &str) -> Found<'a> {
    let ours: Vec<&Link> = links
        .iter()
        .filter(|l| l.alias.as_deref() == Some(marker))
        .collect();
    let nsdev_other = links
        .iter()
        .any(|l| l.name == nsdev && l.alias.as_deref() != Some(marker));
    Found { ours, nsdev_other }
}

impl Found<'_> {
    /// Its `nsdev` link, with its addresses.
    pub fn nsdev(&self, nsdev: &str) -> Option<&Link> {
        self.ours.iter().copied().find(|l| l.name == nsdev)
    }
}

/// Whether the resource is up, from its own links: its `nsdev` holds the
/// address `ipname` is (an address literally), or any address (a name,
/// resolved at its start: never resolved again to read it). `Err`: up
/// with another address than the config's (changed since the start).
pub fn up_in(found: &Found, ip: &Ip) -> Result<bool, String> {
    let Some(link) = found.nsdev(&ip.nsdev) else {
        return Ok(false);
    };
    let want = ip.ipname.parse::<IpAddr>();
    if let Ok(want) = want {
        if link.addrs.iter().any(|(a, _)| *a == want) {
            return Ok(true);
        }
    }
    // the kernel's own IPv6 link-local address (fe80::/10, as the link
    // comes up) is not the resource's
    let link_local = |a: &IpAddr| match a {
        IpAddr::V4(_) => false,
        IpAddr::V6(v) => (v.segments()[0] & 0xffc0) == 0xfe80,
    };
    let Some((have, _)) = link.addrs.iter().find(|(a, _)| !link_local(a)) else {
        return Ok(false);
    };
    match want {
        Ok(want) => Err(format!(
            "{} holds {have}, the config says {want}: restart it to take the change",
            ip.nsdev
        )),
        Err(_) => Ok(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Head;

    fn ip(mode: Mode) -> Ip {
        Ip {
            head: Head {
                rid: "ip#1".into(),
                ..Default::default()
            },
            holder: "container#1".into(),
            ipname: "192.0.2.10".into(),
            prefix: 24,
            ipdev: "br0".into(),
            mode,
            gateway: Some("192.0.2.1".parse().unwrap()),
            nsdev: "eth0".into(),
        }
    }

    fn lines(cmds: &[Cmd]) -> Vec<String> {
        cmds.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn netmasks_as_lengths_or_dotted() {
        assert_eq!(parse_netmask("24"), Ok(24));
        assert_eq!(parse_netmask("255.255.255.0"), Ok(24));
        assert_eq!(parse_netmask("255.255.255.255"), Ok(32));
        assert_eq!(parse_netmask("64"), Ok(64));
        assert_eq!(parse_netmask("1"), Ok(1));
        for bad in [
            "129",
            "255.0.255.0",
            "x",
            "",
            "-1",
            "24 ",
            "0",
            "0.0.0.0",
            "00",
        ] {
            assert!(parse_netmask(bad).is_err(), "{bad}");
        }
        assert!(check_prefix("192.0.2.1".parse().unwrap(), 33).is_err());
        assert!(check_prefix("2001:db8::1".parse().unwrap(), 64).is_ok());
    }

    #[test]
    fn addresses_no_host_can_have_are_refused_naming_the_key() {
        let judge = |addr: &str, prefix: u8, gw: Option<&str>| {
            check_address(
                addr.parse().unwrap(),
                prefix,
                gw.map(|g| g.parse().unwrap()),
            )
            .map_err(|(key, _)| key)
        };
        for (addr, prefix, gw) in [
            ("192.0.2.10", 24, Some("192.0.2.1")),
            ("192.0.2.254", 24, Some("192.0.2.1")),
            ("192.0.2.0", 31, None),
            ("192.0.2.0", 32, None),
            ("192.0.2.255", 31, None),
            ("192.0.2.255", 32, None),
            ("10.1.255.255", 8, Some("10.0.0.1")),
            ("2001:db8::10", 64, Some("2001:db8::1")),
            ("2001:db8::ffff", 112, None),
            ("2001:db8::10", 64, Some("fe80::1")),
        ] {
            assert_eq!(
                judge(addr, prefix, gw),
                Ok(()),
                "{addr}/{prefix} via {gw:?}"
            );
        }
        for (addr, prefix, gw, key) in [
            ("0.0.0.0", 24, None, "ipname"),
            ("::", 64, None, "ipname"),
            ("127.0.0.1", 8, None, "ipname"),
            ("127.1.2.3", 24, None, "ipname"),
            ("::1", 128, None, "ipname"),
            ("::ffff:127.0.0.1", 120, None, "ipname"),
            ("224.0.0.1", 24, None, "ipname"),
            ("239.1.1.1", 24, None, "ipname"),
            ("ff02::1", 64, None, "ipname"),
            ("255.255.255.255", 32, None, "ipname"),
            ("192.0.2.255", 24, None, "ipname"),
            ("10.255.255.255", 8, None, "ipname"),
            ("192.0.2.127", 25, None, "ipname"),
            ("192.0.2.3", 30, None, "ipname"),
            ("192.0.2.0", 24, None, "ipname"),
            ("192.0.2.128", 25, None, "ipname"),
            ("10.0.0.0", 8, None, "ipname"),
            ("192.0.2.10", 24, Some("192.0.2.0"), "gateway"),
            ("192.0.2.10", 33, None, "netmask"),
            ("192.0.2.10", 24, Some("192.0.2.10"), "gateway"),
            ("192.0.2.10", 24, Some("192.0.3.1"), "gateway"),
            ("192.0.2.10", 24, Some("2001:db8::1"), "gateway"),
            ("192.0.2.10", 24, Some("192.0.2.255"), "gateway"),
            ("192.0.2.10", 24, Some("0.0.0.0"), "gateway"),
            ("192.0.2.10", 32, Some("192.0.2.1"), "gateway"),
            ("192.0.2.10", 24, Some("fe80::1"), "gateway"),
            ("200.0.0.1", 2, Some("224.0.0.1"), "gateway"),
            ("2001:db8::10", 64, Some("2001:db9::1"), "gateway"),
            ("2001:db8::10", 64, Some("::"), "gateway"),
            ("2001:db8::10", 64, Some("ff02::2"), "gateway"),
        ] {
            assert_eq!(
                judge(addr, prefix, gw),
                Err(key),
                "{addr}/{prefix} via {gw:?}"
            );
        }
        let (_, why) = check_address("192.0.2.255".parse().unwrap(), 24, None).unwrap_err();
        assert_eq!(why, "192.0.2.255 is the broadcast address of 192.0.2.0/24");
        let (key, why) = check_address("192.0.2.0".parse().unwrap(), 24, None).unwrap_err();
        assert_eq!(
            (key, why.as_str()),
            ("ipname", "192.0.2.0 is the network address of 192.0.2.0/24")
        );
        let gw = Some("10.0.0.0".parse().unwrap());
        let (key, why) = check_address("10.1.2.3".parse().unwrap(), 8, gw).unwrap_err();
        assert_eq!(
            (key, why.as_str()),
            ("gateway", "10.0.0.0 is the network address of 10.0.0.0/8")
        );
    }

    #[test]
    fn ipnames_are_addresses_or_host_names() {
        assert!(check_ipname("192.0.2.10").is_ok());
        assert!(check_ipname("2001:db8::10").is_ok());
        assert!(check_ipname("db1.example.com").is_ok());
        for bad in ["999.1.1.1", "1.2.3", "not_an_address!", "", "a b"] {
            assert!(check_ipname(bad).is_err(), "{bad}");
        }
        assert_eq!(resolve("192.0.2.10"), Ok("192.0.2.10".parse().unwrap()));
        assert_eq!(resolve("localhost").map(|a| a.is_loopback()), Ok(true));
    }

    #[test]
    fn link_names_fit_the_kernel_bound_and_differ_by_resource() {
        let (h, n) = link_names("0b0d2a49-1d2f-4d0e-8f7e-1c2b3a4d5e6f", "ip#1");
        assert!(h.len() == 15 && n.len() == 15, "{h} {n}");
        assert_eq!(h[..14], n[..14]);
        assert_eq!(
            marker("0b0d2a49-1d2f-4d0e-8f7e-1c2b3a4d5e6f", "ip#1"),
            format!("om:{}:ip#1", &h[2..14])
        );
        assert!(marker("x", &"y".repeat(300)).len() <= 255);
        assert_ne!(link_names("a", "ip#1"), link_names("a", "ip#2"));
        assert_ne!(link_names("a", "ip#1"), link_names("b", "ip#1"));
    }

    #[test]
    fn the_command_lines_of_each_mode() {
        assert_eq!(
            lines(&create_cmds(&ip(Mode::Bridge), "omh", "omn", 42, "om:m")),
            [
                "ip link add omh type veth peer name omn",
                "ip link set omn alias om:m",
                "ip link set omh alias om:m",
                "ip link set omh master br0",
                "ip link set omh up",
                "ip link set omn netns 42",
            ]
        );
        assert_eq!(
            lines(&create_cmds(&ip(Mode::Macvlan), "omh", "omn", 42, "om:m")),
            [
                "ip link add link br0 name omn type macvlan mode bridge",
                "ip link set omn alias om:m",
                "ip link set omn netns 42",
            ]
        );
        assert_eq!(
            lines(&create_cmds(&ip(Mode::IpvlanL2), "omh", "omn", 42, "om:m"))[0],
            "ip link add link br0 name omn type ipvlan mode l2"
        );
        assert_eq!(
            lines(&ns_cmds(
                &ip(Mode::Bridge),
                "omn",
                42,
                "192.0.2.10".parse().unwrap()
            )),
            [
                "nsenter --net=/proc/42/ns/net ip link set omn name eth0",
                "nsenter --net=/proc/42/ns/net ip link set dev eth0 up",
                "nsenter --net=/proc/42/ns/net ip addr add 192.0.2.10/24 dev eth0",
                "nsenter --net=/proc/42/ns/net ip route replace default via 192.0.2.1 dev eth0",
            ]
        );
        assert_eq!(
            dad_cmd(&ip(Mode::Bridge), 42, "192.0.2.10".parse().unwrap()).to_string(),
            "nsenter --net=/proc/42/ns/net arping -D -c 1 -w 1 -I eth0 192.0.2.10"
        );
        assert_eq!(
            ip(Mode::Macvlan).label(),
            "netns macvlan 192.0.2.10/24 eth0@container#1"
        );
    }

    #[test]
    fn reading_ip_addr_json() {
        let json = r#"[{"ifindex":1,"ifname":"lo","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8}]},
            {"ifindex":5,"ifname":"eth0","ifalias":"om:m","addr_info":[{"family":"inet","local":"192.0.2.10","prefixlen":24},{"family":"inet6","local":"fe80::1","prefixlen":64}]},
            {"ifindex":6,"ifname":"eth1","addr_info":[]},
            {"ifindex":7,"ifname":"omxn","ifalias":"om:m","addr_info":[]}]"#;
        let links = parse_addrs(json).unwrap();
        assert_eq!(links.len(), 4);
        let f = find(&links, "eth0", "om:m");
        assert_eq!(f.ours.len(), 2);
        assert!(!f.nsdev_other);
        let mut i = ip(Mode::Bridge);
        assert_eq!(up_in(&f, &i), Ok(true));
        i.ipname = "192.0.2.11".into();
        assert!(up_in(&f, &i).unwrap_err().contains("eth0 holds 192.0.2.10"));
        i.ipname = "db.example.com".into();
        assert_eq!(up_in(&f, &i), Ok(true));
        // a link-local address the config names is the resource's
        let ll = r#"[{"ifname":"eth0","ifalias":"om:m","addr_info":[{"family":"inet6","local":"fe80::10","prefixlen":64}]}]"#;
        let ll_links = parse_addrs(ll).unwrap();
        let mut lli = ip(Mode::Bridge);
        lli.ipname = "fe80::10".into();
        assert_eq!(up_in(&find(&ll_links, "eth0", "om:m"), &lli), Ok(true));
        // a link of its own with only the kernel's link-local address: down
        let local = r#"[{"ifname":"eth0","ifalias":"om:m","addr_info":[{"family":"inet6","local":"fe80::1","prefixlen":64}]}]"#;
        let links = parse_addrs(local).unwrap();
        assert_eq!(up_in(&find(&links, "eth0", "om:m"), &i), Ok(false));
        let links = parse_addrs(json).unwrap();
        // eth1 is not ours: the name is taken; another marker owns nothing
        assert!(find(&links, "eth1", "om:m").nsdev_other);
        assert!(find(&links, "eth0", "om:other").ours.is_empty());
        assert!(find(&links, "eth0", "om:other").nsdev_other);
        // IPv6 duplicate address detection under way, or failed: not in use
        let dad = r#"[{"ifname":"eth0","addr_info":[{"family":"inet6","local":"fd00::1","prefixlen":64,"tentative":true},{"family":"inet6","local":"fd00::2","prefixlen":64,"dadfailed":true,"tentative":true}]}]"#;
        let l = &parse_addrs(dad).unwrap()[0];
        assert!(l.addrs.is_empty());
        assert_eq!(
            l.pending,
            [
                ("fd00::1".parse().unwrap(), false),
                ("fd00::2".parse().unwrap(), true)
            ]
        );
        let mut v6 = ip(Mode::Macvlan);
        v6.prefix = 64;
        assert_eq!(
            lines(&ns_cmds(&v6, "omn", 42, "fd00::1".parse().unwrap()))[2],
            "nsenter --net=/proc/42/ns/net sysctl -w net/ipv6/conf/eth0/disable_ipv6=0"
        );
        assert!(parse_addrs("").is_err());
        assert!(parse_addrs("{}").is_err());
        assert!(parse_addrs("[{}]").is_err());
    }
}
