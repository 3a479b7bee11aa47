//! The ip kind's section (`[ip#N]`, SPEC 16) as an `Ip`.

use super::{head, Section};
use crate::config::keywords::{rid_index, CONTAINER_GROUP};
use std::borrow::Cow;
use std::collections::HashMap;

/// An `[ip#N]` section (SPEC 16): its holder must be a container of the
/// service; the host's links are looked at when it starts, not here (the
/// config may be written on another node).
pub fn parse(
    sec: &Section,
    names: &HashMap<&str, String>,
    known: &dyn Fn(&str) -> bool,
    rids: &dyn Fn() -> String,
) -> Result<crate::model::Ip, String> {
    use crate::resource::ip;
    let rid = sec.rid;
    let required = |key: &str, what: &str| -> Result<String, String> {
        sec.text(key)?
            .filter(|v| !v.is_empty())
            .map(Cow::into_owned)
            .ok_or_else(|| format!("{rid}.{key}: missing ({what})"))
    };
    let holder = required(
        "netns",
        "the container#N whose network namespace gets the address",
    )?;
    if rid_index(&holder, CONTAINER_GROUP).is_none() {
        return Err(format!(
            "{rid}.netns: '{}' is not a container of the service (container#N)",
            holder.escape_debug()
        ));
    }
    if !names.contains_key(holder.as_str()) {
        return Err(format!("{rid}.netns: no resource {holder} in this service"));
    }
    let ipname = required("ipname", "the address, or a name that resolves to it")?;
    ip::check_ipname(&ipname).map_err(|e| format!("{rid}.ipname: {e}"))?;
    let netmask = required("netmask", "a prefix length, 24, or a dotted mask")?;
    let prefix = ip::parse_netmask(&netmask).map_err(|e| format!("{rid}.netmask: {e}"))?;
    let link = |key: &str, v: String| -> Result<String, String> {
        ip::check_link_name(&v)
            .map(|()| v)
            .map_err(|e| format!("{rid}.{key}: {e}"))
    };
    let ipdev = link(
        "ipdev",
        required("ipdev", "the host bridge, or the parent link")?,
    )?;
    let nsdev = link(
        "nsdev",
        sec.text("nsdev")?
            .map_or_else(|| "eth0".into(), Cow::into_owned),
    )?;
    let mode = match sec.text("mode")?.filter(|v| !v.is_empty()) {
        None => crate::model::Mode::default(),
        Some(v) => crate::model::Mode::parse(&v).ok_or_else(|| {
            format!(
                "{rid}.mode: '{}' is not one of {}",
                v.escape_debug(),
                crate::model::Mode::WORDS.join(", ")
            )
        })?,
    };
    let gateway = sec
        .text("gateway")?
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<std::net::IpAddr>()
                .map_err(|_| format!("{rid}.gateway: '{}' is not an address", v.escape_debug()))
        })
        .transpose()?;
    // an address is judged now; a name, at each start (see run::start)
    match ipname.parse() {
        Ok(addr) => ip::check_address(addr, prefix, gateway),
        Err(_) => gateway.map_or(Ok(()), |gw| {
            ip::unusable(gw, None).map_or(Ok(()), |why| Err(("gateway", why)))
        }),
    }
    .map_err(|(key, why)| format!("{rid}.{key}: {why}"))?;
    Ok(crate::model::Ip {
        head: head(sec, known, rids)?,
        holder,
        ipname,
        prefix,
        ipdev,
        mode,
        gateway,
        nsdev,
    })
}
