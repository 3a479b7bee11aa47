//! Where an ip resource stands, for status and for the requirements of
//! an action: read from its own links, never from what `ipname` resolves
//! to now.

use super::host::{holder_pid, namespace_links};
use super::{find, marker, up_in, Link};
use crate::docker::current::Current;
use crate::error::Result;
use crate::model::{Ip, Service};
use crate::resource::context::Context;
use std::collections::HashMap;

/// Where an ip resource stands, for status and requirements.
#[derive(Clone, Debug, PartialEq)]
pub enum State {
    Up,
    /// Not there, and why (`info: …`).
    Down(String),
    /// Could not be read, or is not what the config says, and why (`warn:
    /// …`): never taken for down.
    Unknown(String),
}

/// The resource now, as an action sees it.
pub fn state(ctx: &Context, ip: &Ip) -> State {
    match holder_pid(ctx, ip) {
        Ok(Some(pid)) => read_links(ctx.svc, ip, &namespace_links(pid)),
        Ok(None) => State::Down(format!("its namespace holder {} is not running", ip.holder)),
        Err(e) => State::Unknown(e.to_string()),
    }
}

fn read_links(svc: &Service, ip: &Ip, links: &Result<Vec<Link>>) -> State {
    let links = match links {
        Ok(l) => l,
        Err(e) => return State::Unknown(e.to_string()),
    };
    let found = find(links, &ip.nsdev, &marker(&svc.id, &ip.head.rid));
    match up_in(&found, ip) {
        Ok(true) => State::Up,
        Ok(false) => State::Down(format!("{} is not on {}", ip.ipname, ip.nsdev)),
        Err(e) => State::Unknown(e.to_string()),
    }
}

/// The running holders (their container ids) of the service's ip
/// resources, from what the engine listed: what status inspects (once per
/// engine, for all its services) for their processes.
pub fn holder_ids<'a>(svc: &Service, cur: &'a Current) -> Vec<&'a str> {
    svc.ips
        .iter()
        .filter_map(|ip| running_holder(svc, ip, cur).ok().flatten())
        .map(|i| i.id.as_str())
        .collect()
}

/// The holder's container when it runs and is om's, found as status and
/// the actions find every container (`Current::find`: renamed behind om's
/// back, by its label); several carrying its label: why om can not tell.
fn running_holder<'a>(
    svc: &Service,
    ip: &Ip,
    cur: &'a Current,
) -> Result<Option<&'a crate::docker::inspect::ContainerInfo>> {
    let Some(h) = svc.container(&ip.holder) else {
        return Ok(None);
    };
    let Some(info) = cur.find(svc, h)? else {
        return Ok(None);
    };
    let ours = crate::resource::container::owns(svc, h, info);
    Ok((ours && info.running).then_some(info))
}

/// The processes of running containers, by id (`inspect`'s word), or why
/// they could not be asked.
pub type Pids = Result<HashMap<String, u32>>;

/// The processes of `ids`, from one inspect of them all.
pub fn pids_of(engine: &crate::docker::Engine, ids: &[&str]) -> Pids {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    engine
        .inspect(&ids)
        .map(|infos| infos.into_iter().map(|i| (i.id, i.pid)).collect())
}

/// `observe` for one service alone: its holders' processes from one
/// inspect (`print status` of many services asks once per engine).
pub fn observe_one(engine: &crate::docker::Engine, svc: &Service, cur: &Current) -> Vec<State> {
    observe(svc, Some(cur), &pids_of(engine, &holder_ids(svc, cur)))
}

/// The service's ip resources for status, in `svc.ips` order, from what
/// the engine listed (`cur`; `None`: its private daemon does not run)
/// and the holders' processes (`pids`, see `holder_ids`). Each namespace
/// is read once, however many addresses it has; no name is resolved.
pub fn observe(svc: &Service, cur: Option<&Current>, pids: &Pids) -> Vec<State> {
    if svc.ips.is_empty() {
        return Vec::new();
    }
    let Some(cur) = cur else {
        return vec![State::Down("docker daemon is not running".into()); svc.ips.len()];
    };
    let pids = match pids {
        Ok(p) => p,
        Err(e) => return vec![State::Unknown(e.to_string()); svc.ips.len()],
    };
    let mut links: HashMap<u32, Result<Vec<Link>>> = HashMap::new();
    svc.ips
        .iter()
        .map(|ip| {
            if ip.head.disable {
                return State::Down(String::new());
            }
            let not_running =
                || State::Down(format!("its namespace holder {} is not running", ip.holder));
            let h = match running_holder(svc, ip, cur) {
                Ok(Some(h)) => h,
                Ok(None) => return not_running(),
                Err(why) => return State::Unknown(why.to_string()),
            };
            match pids.get(&h.id) {
                Some(&pid) if pid != 0 => {
                    let l = links.entry(pid).or_insert_with(|| namespace_links(pid));
                    read_links(svc, ip, l)
                }
                _ => not_running(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::argv::LABEL_ID;
    use crate::docker::inspect::ContainerInfo;
    use crate::model::Container;

    /// A service whose ip#1 is in container#1's namespace, and container#1
    /// running under `name` with `label`.
    fn holding(name: &str, label: &str) -> (Service, Current) {
        let mut svc = Service::for_test(
            "s",
            vec![Container {
                name: "s.container.1".into(),
                ..Container::for_test("container#1")
            }],
        );
        svc.ips.push(Ip {
            head: crate::model::Head {
                rid: "ip#1".into(),
                ..Default::default()
            },
            holder: "container#1".into(),
            ..Ip::default()
        });
        let cur = Current::from_infos(vec![ContainerInfo {
            id: "a".repeat(64),
            name: name.into(),
            running: true,
            state: "running".into(),
            labels: [(LABEL_ID.to_string(), label.to_string())].into(),
            ..ContainerInfo::default()
        }]);
        (svc, cur)
    }

    #[test]
    fn the_holder_is_found_as_every_container_is() {
        // renamed behind om's back: still the holder
        let (svc, cur) = holding("moved", "id1.container#1");
        assert_eq!(holder_ids(&svc, &cur), ["a".repeat(64)]);
        // not om's under the name: no holder of ours runs
        let (svc, cur) = holding("s.container.1", "someone.else");
        assert!(holder_ids(&svc, &cur).is_empty());
        let got = observe(&svc, Some(&cur), &Ok(HashMap::new()));
        assert!(matches!(&got[0], State::Down(why) if why.contains("not running")));
    }
}
