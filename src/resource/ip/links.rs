//! A namespace's links as `ip -j -d addr show` lists them, and which of
//! them are the resource's (its marker).

use crate::model::Ip;
use std::fmt;
use std::net::IpAddr;

/// Why `ip -j addr`'s answer does not read.
#[derive(Debug)]
pub enum AddrsError {
    /// Not JSON.
    NotJson(serde_json::Error),
    /// JSON, not a list.
    NotList,
    /// A link without its name.
    NoIfname,
}

impl fmt::Display for AddrsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unreadable ip -j addr output: ")?;
        match self {
            AddrsError::NotJson(e) => e.fmt(f),
            AddrsError::NotList => f.write_str("not a list"),
            AddrsError::NoIfname => f.write_str("a link without ifname"),
        }
    }
}

/// An address up on the resource's link that is not the config's (it
/// changed since the start).
#[derive(Debug, PartialEq)]
pub struct AddressChanged {
    pub nsdev: String,
    pub have: IpAddr,
    pub want: IpAddr,
}

impl fmt::Display for AddressChanged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let AddressChanged { nsdev, have, want } = self;
        write!(
            f,
            "{nsdev} holds {have}, the config says {want}: restart it to take the change"
        )
    }
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
pub fn parse_addrs(json: &str) -> Result<Vec<Link>, AddrsError> {
    let v: serde_json::Value = serde_json::from_str(json.trim()).map_err(AddrsError::NotJson)?;
    let list = v.as_array().ok_or(AddrsError::NotList)?;
    let mut links = Vec::with_capacity(list.len());
    for l in list {
        let name = l
            .get("ifname")
            .and_then(|n| n.as_str())
            .ok_or(AddrsError::NoIfname)?;
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
pub fn up_in(found: &Found, ip: &Ip) -> Result<bool, AddressChanged> {
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
        Ok(want) => Err(AddressChanged {
            nsdev: ip.nsdev.clone(),
            have: *have,
            want,
        }),
        Err(_) => Ok(true),
    }
}
