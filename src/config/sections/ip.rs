//! The ip kind's section (`[ip#N]`, SPEC 16) as an `Ip`: whole (`parse`),
//! or as far as a stop needs it (`for_stop`).

use super::container::Names;
use super::{head, Rids, Section};
use crate::config::keywords::{rid_index, CONTAINER_GROUP};
use crate::error::Result;
use crate::model::{Ip, Mode};
use crate::resource::ip::{check_address, check_ipname, check_link_name, parse_netmask, unusable};

/// An `[ip#N]` section (SPEC 16): its holder must be a container of the
/// service; the host's links are looked at when it starts, not here (the
/// config may be written on another node).
pub(in crate::config) fn parse(sec: &Section, names: &Names, rids: &Rids) -> Result<Ip> {
    let required = |key: &str, what: &str| -> Result<String> {
        sec.set(key)?
            .ok_or_else(|| sec.error(key, format!("missing ({what})")))
    };
    let holder = required(
        "netns",
        "the container#N whose network namespace gets the address",
    )?;
    if rid_index(&holder, CONTAINER_GROUP).is_none() {
        let why = format!(
            "'{}' is not a container of the service (container#N)",
            holder.escape_debug()
        );
        return Err(sec.error("netns", why));
    }
    if !names.contains_key(holder.as_str()) {
        return Err(sec.error("netns", format!("no resource {holder} in this service")));
    }
    let ipname = required("ipname", "the address, or a name that resolves to it")?;
    check_ipname(&ipname).map_err(|e| sec.error("ipname", e))?;
    let netmask = required("netmask", "a prefix length, 24, or a dotted mask")?;
    let prefix = parse_netmask(&netmask).map_err(|e| sec.error("netmask", e))?;
    let link = |key: &str, v: String| -> Result<String> {
        check_link_name(&v)
            .map(|()| v)
            .map_err(|e| sec.error(key, e))
    };
    let ipdev = link(
        "ipdev",
        required("ipdev", "the host bridge, or the parent link")?,
    )?;
    let nsdev = link(
        "nsdev",
        sec.value("nsdev")?
            .map_or_else(|| "eth0".into(), String::from),
    )?;
    let mode = mode(sec)?;
    let gateway = gateway(sec)?;
    // an address is judged now; a name, at each start (see run::start)
    match ipname.parse() {
        Ok(addr) => check_address(addr, prefix, gateway),
        Err(_) => gateway.map_or(Ok(()), |gw| {
            unusable(gw, None).map_or(Ok(()), |why| Err(("gateway", why)))
        }),
    }
    .map_err(|(key, why)| sec.error(key, why))?;
    Ok(Ip {
        head: head(sec, rids)?,
        holder,
        ipname,
        prefix,
        ipdev,
        mode,
        gateway,
        nsdev,
    })
}

/// An ip resource as far as its stop needs it: its holder (one of the
/// containers the stop identified, in `holders`) and its link's name (om
/// finds its link by its marker); none when either does not read.
pub(in crate::config) fn for_stop(sec: &Section, holders: &Names) -> Option<Ip> {
    let holder = sec
        .readable("netns")
        .filter(|h| holders.contains_key(h.as_str()))?;
    let nsdev = sec.readable("nsdev").unwrap_or_else(|| "eth0".into());
    check_link_name(&nsdev).ok()?;
    Some(Ip {
        head: crate::model::Head {
            rid: sec.rid.into(),
            disable: sec.readable_flag("disable", false),
            ..Default::default()
        },
        holder,
        ipname: sec.readable("ipname").unwrap_or_default(),
        nsdev,
        ..Default::default()
    })
}

fn mode(sec: &Section) -> Result<Mode> {
    match sec.set("mode")? {
        None => Ok(Mode::default()),
        Some(v) => Mode::parse(&v).ok_or_else(|| {
            let why = format!(
                "'{}' is not one of {}",
                v.escape_debug(),
                Mode::WORDS.join(", ")
            );
            sec.error("mode", why)
        }),
    }
}

fn gateway(sec: &Section) -> Result<Option<std::net::IpAddr>> {
    sec.set("gateway")?
        .map(|v| {
            v.parse::<std::net::IpAddr>().map_err(|_| {
                sec.error(
                    "gateway",
                    format!("'{}' is not an address", v.escape_debug()),
                )
            })
        })
        .transpose()
}
