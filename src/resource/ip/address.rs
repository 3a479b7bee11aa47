//! Whether an ip resource's address, prefix and gateway can be a host's:
//! judged when the config is read and again at each start.

use crate::error::Error;
use crate::model::Ip;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

/// Why an ip resource's value can not be (the caller names the key).
#[derive(Debug)]
pub enum AddressError {
    /// `ipdev`, `nsdev`: not a name the kernel takes for a link.
    NotLinkName(String),
    /// `ipname`: neither an address nor a host name.
    NotIpname(String),
    /// `ipname`: a name the resolver refused.
    NoResolve {
        name: String,
        err: std::io::Error,
    },
    /// `ipname`: a name the resolver knows without an address.
    NoAddress(String),
    /// `netmask`: a /0 mask.
    ZeroMask(String),
    /// `netmask`: neither a prefix length nor a dotted mask.
    NotNetmask(String),
    /// A prefix longer than an address of its family has.
    PrefixTooLong {
        addr: IpAddr,
        prefix: u8,
        max: u8,
    },
    /// `0.0.0.0`, `::`.
    Unspecified(IpAddr),
    Loopback(IpAddr),
    Multicast(IpAddr),
    /// `255.255.255.255`.
    Broadcast(IpAddr),
    /// The subnet's broadcast address (its host part all ones).
    SubnetBroadcast {
        addr: IpAddr,
        net: Ipv4Addr,
        prefix: u8,
    },
    /// The subnet's network address (its host part all zeros).
    Network {
        addr: IpAddr,
        net: Ipv4Addr,
        prefix: u8,
    },
    /// A gateway that is the address itself.
    GatewayIsAddress {
        gateway: IpAddr,
        addr: IpAddr,
    },
    /// A gateway outside the address's prefix.
    NotInPrefix {
        gateway: IpAddr,
        addr: IpAddr,
        prefix: u8,
    },
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressError::NotLinkName(v) => write!(
                f,
                "'{}' is not a link name (1 to 15 characters, no '/', ':' or space)",
                v.escape_debug()
            ),
            AddressError::NotIpname(v) => {
                write!(
                    f,
                    "'{}' is neither an address nor a host name",
                    v.escape_debug()
                )
            }
            AddressError::NoResolve { name, err } => write!(f, "'{name}' does not resolve: {err}"),
            AddressError::NoAddress(name) => write!(f, "'{name}' resolves to no address"),
            AddressError::ZeroMask(v) => write!(
                f,
                "'{}' is a /0 mask, which puts every address on the pod's link",
                v.escape_debug()
            ),
            AddressError::NotNetmask(v) => write!(
                f,
                "'{}' is not a prefix length (1 to 128) or a dotted mask (255.255.255.0)",
                v.escape_debug()
            ),
            AddressError::PrefixTooLong { addr, prefix, max } => write!(
                f,
                "/{prefix} is longer than an address of {addr}'s family (/{max})"
            ),
            AddressError::Unspecified(a) => write!(f, "{a} is the unspecified address"),
            AddressError::Loopback(a) => write!(f, "{a} is a loopback address"),
            AddressError::Multicast(a) => write!(f, "{a} is a multicast address"),
            AddressError::Broadcast(a) => write!(f, "{a} is the broadcast address"),
            AddressError::SubnetBroadcast { addr, net, prefix } => {
                write!(f, "{addr} is the broadcast address of {net}/{prefix}")
            }
            AddressError::Network { addr, net, prefix } => {
                write!(f, "{addr} is the network address of {net}/{prefix}")
            }
            AddressError::GatewayIsAddress { gateway, addr } => {
                write!(f, "{gateway} is the address itself ({addr})")
            }
            AddressError::NotInPrefix {
                gateway,
                addr,
                prefix,
            } => write!(
                f,
                "{gateway} is outside the address's prefix ({addr}/{prefix})"
            ),
        }
    }
}

impl Ip {
    /// The address `ipname` names now (an address as is; a name looked up).
    pub fn resolve(&self) -> crate::error::Result<IpAddr> {
        resolve(&self.ipname)
            .map_err(|e| Error::config(format!("{}.ipname", self.head.rid), e.to_string()))
    }
}

/// Whether `v` can name a link (`ipdev`, `nsdev`): the kernel's 15 bytes,
/// no `/`, `:`, space or control character, not `.` or `..`.
pub fn check_link_name(v: &str) -> Result<(), AddressError> {
    let ok = !v.is_empty()
        && v.len() <= 15
        && v != "."
        && v != ".."
        && !v.contains(|c: char| c == '/' || c == ':' || c.is_whitespace() || c.is_control());
    if ok {
        return Ok(());
    }
    Err(AddressError::NotLinkName(v.to_string()))
}

/// `ipname`'s syntax: an address, or a host name (resolved at start).
pub fn check_ipname(v: &str) -> Result<(), AddressError> {
    if v.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    // all digits and dots is an address that is not one, not a name
    let dotted = v.chars().all(|c| c.is_ascii_digit() || c == '.');
    if dotted || crate::config::operand::hostname(v).is_err() {
        return Err(AddressError::NotIpname(v.to_string()));
    }
    Ok(())
}

/// The address of `ipname`: itself, or its first address as the resolver
/// gives it.
pub fn resolve(ipname: &str) -> Result<IpAddr, AddressError> {
    if let Ok(a) = ipname.parse::<IpAddr>() {
        return Ok(a);
    }
    check_ipname(ipname)?;
    use std::net::ToSocketAddrs;
    let mut found = (ipname, 0)
        .to_socket_addrs()
        .map_err(|err| AddressError::NoResolve {
            name: ipname.to_string(),
            err,
        })?;
    found
        .next()
        .map(|s| s.ip())
        .ok_or_else(|| AddressError::NoAddress(ipname.to_string()))
}

/// `netmask`: a prefix length (`24`, 1 to 128) or a dotted IPv4 mask
/// (`255.255.255.0`, contiguous ones). Not `/0`: every address would be
/// on the pod's link, the whole internet answered by ARP on it.
pub fn parse_netmask(v: &str) -> Result<u8, AddressError> {
    let len = v.parse::<u8>().ok().filter(|n| *n <= 128).or_else(|| {
        let Ok(IpAddr::V4(m)) = v.parse::<IpAddr>() else {
            return None;
        };
        let bits = u32::from(m);
        let len = bits.leading_ones();
        (bits.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
    });
    match len {
        Some(0) => Err(AddressError::ZeroMask(v.to_string())),
        Some(len) => Ok(len),
        None => Err(AddressError::NotNetmask(v.to_string())),
    }
}

/// Whether `prefix` fits `addr`'s family.
pub fn check_prefix(addr: IpAddr, prefix: u8) -> Result<(), AddressError> {
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if prefix > max {
        return Err(AddressError::PrefixTooLong { addr, prefix, max });
    }
    Ok(())
}

/// Why `addr` can be no host's address, on a link of `prefix` when it is
/// known: the unspecified address, a loopback or multicast one, the
/// limited broadcast, and the subnet's broadcast and network address
/// (host part all ones, all zeros) below /31 (the kernel takes them all,
/// and nothing then answers as the pod). An IPv4 address written in IPv6
/// (`::ffff:127.0.0.1`) is judged as itself.
pub fn unusable(addr: IpAddr, prefix: Option<u8>) -> Option<AddressError> {
    let canon = addr.to_canonical();
    if canon.is_unspecified() {
        return Some(AddressError::Unspecified(addr));
    }
    if canon.is_loopback() {
        return Some(AddressError::Loopback(addr));
    }
    if canon.is_multicast() {
        return Some(AddressError::Multicast(addr));
    }
    match (canon, prefix) {
        (IpAddr::V4(a), _) if a.is_broadcast() => Some(AddressError::Broadcast(addr)),
        (IpAddr::V4(a), Some(prefix)) if (1..31).contains(&prefix) => {
            let host = u32::MAX >> prefix;
            let net = Ipv4Addr::from(u32::from(a) & !host);
            match u32::from(a) & host {
                h if h == host => Some(AddressError::SubnetBroadcast { addr, net, prefix }),
                0 => Some(AddressError::Network { addr, net, prefix }),
                _ => None,
            }
        }
        _ => None,
    }
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
) -> Result<(), (&'static str, AddressError)> {
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
        let why = AddressError::GatewayIsAddress { gateway: gw, addr };
        return Err(("gateway", why));
    }
    if !link_local && !in_prefix(gw, addr, prefix) {
        let why = AddressError::NotInPrefix {
            gateway: gw,
            addr,
            prefix,
        };
        return Err(("gateway", why));
    }
    Ok(())
}
