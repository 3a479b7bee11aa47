//! Whether an ip resource's address, prefix and gateway can be a host's:
//! judged when the config is read and again at each start.

use crate::error::Error;
use crate::model::Ip;
use std::net::IpAddr;

impl Ip {
    /// The address `ipname` names now (an address as is; a name looked up).
    pub fn resolve(&self) -> crate::error::Result<IpAddr> {
        resolve(&self.ipname).map_err(|e| Error::config(format!("{}.ipname", self.head.rid), e))
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
