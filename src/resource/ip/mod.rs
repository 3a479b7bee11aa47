//! The ip kind (SPEC 16): an address plumbed into the network namespace a
//! container holds (`[ip#N] type = netns`, `netns = container#M`), the way
//! the OpenSVC "multi containers" page builds a pod. om drives iproute2's
//! `ip` as argv, each command an action line that replays: in the host's
//! namespace for the link's creation, under `nsenter --net=/proc/PID/ns/net`
//! (the holder's process, from its verified inspect) inside it.
//!
//! What is pure (the address's judgement, the link names, the command
//! lines, reading `ip -j addr`) is in `address`, `commands` and `links`,
//! tested here; what touches the host is `host`'s, and the kind's start,
//! stop and state are `start`, `stop` and `state`.

mod address;
mod commands;
mod host;
mod links;
mod start;
mod state;
pub mod status;
mod stop;

pub use address::{check_address, check_ipname, check_link_name, parse_netmask, unusable};
pub use commands::{create_cmds, dad_cmd, in_netns, ip_cmd, link_names, marker, ns_cmds};
pub use links::{find, parse_addrs, up_in, Link};
pub use start::{check, start};
pub use state::{holder_ids, observe, observe_one, pids_of, state, Pids, State};
pub use stop::stop;

#[cfg(test)]
mod tests {
    use super::address::{check_prefix, resolve};
    use super::*;
    use crate::model::Head;
    use crate::model::{Ip, Mode};
    use crate::process::Cmd;

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
        assert_eq!(parse_netmask("24").ok(), Some(24));
        assert_eq!(parse_netmask("255.255.255.0").ok(), Some(24));
        assert_eq!(parse_netmask("255.255.255.255").ok(), Some(32));
        assert_eq!(parse_netmask("64").ok(), Some(64));
        assert_eq!(parse_netmask("1").ok(), Some(1));
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
        assert_eq!(
            why.to_string(),
            "192.0.2.255 is the broadcast address of 192.0.2.0/24"
        );
        let (key, why) = check_address("192.0.2.0".parse().unwrap(), 24, None).unwrap_err();
        assert_eq!(
            (key, why.to_string().as_str()),
            ("ipname", "192.0.2.0 is the network address of 192.0.2.0/24")
        );
        let gw = Some("10.0.0.0".parse().unwrap());
        let (key, why) = check_address("10.1.2.3".parse().unwrap(), 8, gw).unwrap_err();
        assert_eq!(
            (key, why.to_string().as_str()),
            ("gateway", "10.0.0.0 is the network address of 10.0.0.0/8")
        );
    }

    /// Each refusal's line, whole, as `KEY: LINE` says it.
    #[test]
    fn each_refusal_says_its_line() {
        let addr = |a: &str| a.parse::<std::net::IpAddr>().unwrap();
        let judged = |a: &str, prefix: u8, gw: Option<&str>| {
            check_address(addr(a), prefix, gw.map(addr))
                .map_err(|(key, why)| format!("{key}: {why}"))
        };
        for (got, want) in [
            (
                check_link_name("a/b").map_err(|e| e.to_string()),
                "'a/b' is not a link name (1 to 15 characters, no '/', ':' or space)",
            ),
            (
                check_ipname("1.2.3").map_err(|e| e.to_string()),
                "'1.2.3' is neither an address nor a host name",
            ),
            (
                parse_netmask("0").map(drop).map_err(|e| e.to_string()),
                "'0' is a /0 mask, which puts every address on the pod's link",
            ),
            (
                parse_netmask("255.0.255.0")
                    .map(drop)
                    .map_err(|e| e.to_string()),
                "'255.0.255.0' is not a prefix length (1 to 128) or a dotted mask (255.255.255.0)",
            ),
            (
                judged("192.0.2.10", 33, None),
                "netmask: /33 is longer than an address of 192.0.2.10's family (/32)",
            ),
            (
                judged("0.0.0.0", 24, None),
                "ipname: 0.0.0.0 is the unspecified address",
            ),
            (
                judged("::1", 128, None),
                "ipname: ::1 is a loopback address",
            ),
            (
                judged("::ffff:127.0.0.1", 120, None),
                "ipname: ::ffff:127.0.0.1 is a loopback address",
            ),
            (
                judged("224.0.0.1", 24, None),
                "ipname: 224.0.0.1 is a multicast address",
            ),
            (
                judged("255.255.255.255", 32, None),
                "ipname: 255.255.255.255 is the broadcast address",
            ),
            (
                judged("192.0.2.127", 25, None),
                "ipname: 192.0.2.127 is the broadcast address of 192.0.2.0/25",
            ),
            (
                judged("192.0.2.10", 24, Some("192.0.2.10")),
                "gateway: 192.0.2.10 is the address itself (192.0.2.10)",
            ),
            (
                judged("192.0.2.10", 24, Some("192.0.3.1")),
                "gateway: 192.0.3.1 is outside the address's prefix (192.0.2.10/24)",
            ),
        ] {
            assert_eq!(got.unwrap_err(), want);
        }
    }

    #[test]
    fn ipnames_are_addresses_or_host_names() {
        assert!(check_ipname("192.0.2.10").is_ok());
        assert!(check_ipname("2001:db8::10").is_ok());
        assert!(check_ipname("db1.example.com").is_ok());
        for bad in ["999.1.1.1", "1.2.3", "not_an_address!", "", "a b"] {
            assert!(check_ipname(bad).is_err(), "{bad}");
        }
        assert_eq!(
            resolve("192.0.2.10").ok(),
            Some("192.0.2.10".parse().unwrap())
        );
        assert_eq!(
            resolve("localhost").map(|a| a.is_loopback()).ok(),
            Some(true)
        );
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
        assert!(up_in(&f, &i)
            .unwrap_err()
            .to_string()
            .contains("eth0 holds 192.0.2.10"));
        assert_eq!(
            up_in(&f, &i).unwrap_err().to_string(),
            "eth0 holds 192.0.2.10, the config says 192.0.2.11: restart it to take the change"
        );
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
        let says = |json: &str| parse_addrs(json).unwrap_err().to_string();
        assert_eq!(says("{}"), "unreadable ip -j addr output: not a list");
        assert_eq!(
            says("[{}]"),
            "unreadable ip -j addr output: a link without ifname"
        );
        assert_eq!(
            says("[1,"),
            "unreadable ip -j addr output: EOF while parsing a value at line 1 column 3"
        );
    }
}
