//! What the engine holds for a service's resources, from docker's own
//! word, and the one lookup of a resource's container that status, the
//! actions, the guard (through status), purge and delete all make: one
//! `docker ps -a` lists every container with its name and om's labels, so
//! a container renamed behind om's back is still found by its
//! `com.opensvc.id`; a name the list does not have is inspected, and is
//! "absent" only when docker says `No such container`.

use super::argv::{container_id_label, service_and_rid, LABEL_ID};
use super::inspect::ContainerInfo;
use crate::error::{Error, Result};
use crate::model::Container;
use crate::model::Service;
use std::collections::{HashMap, HashSet};

pub struct Current {
    infos: Vec<ContainerInfo>,
    /// name → index in `infos`.
    by_name: HashMap<String, usize>,
    /// `com.opensvc.id` label → the containers carrying it.
    by_label: HashMap<String, Vec<usize>>,
    /// A label's service id (`ID` of `ID.RID`) → the containers carrying
    /// a label of that service, whatever the rid.
    by_service: HashMap<String, Vec<usize>>,
}

impl Current {
    /// Asks the engine about the resources' names (see `docker::survey`:
    /// one `docker ps -a`, and one inspect of the names it does not list).
    pub fn query(engine: &super::Engine, containers: &[&Container]) -> Result<Current> {
        let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
        Ok(Current::from_infos(engine.survey(
            &names,
            false,
            super::Absence::Confirmed,
        )?))
    }

    pub fn from_infos(infos: Vec<ContainerInfo>) -> Current {
        let mut by_label: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_service: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_name = HashMap::new();
        let mut kept: Vec<ContainerInfo> = Vec::with_capacity(infos.len());
        for i in infos {
            let at = kept.len();
            if let Some(label) = i.label(LABEL_ID) {
                let same = by_label.entry(label.to_string()).or_default();
                if !same.iter().any(|&o| kept[o].id == i.id) {
                    same.push(at);
                    if let Some((svc, _)) = service_and_rid(label) {
                        by_service.entry(svc.to_string()).or_default().push(at);
                    }
                }
            }
            by_name.insert(i.name.clone(), at);
            kept.push(i);
        }
        Current {
            infos: kept,
            by_name,
            by_label,
            by_service,
        }
    }

    /// The container of resource `c` (see `find`), as a copy.
    pub fn of(&self, svc: &Service, c: &Container) -> Result<Option<ContainerInfo>> {
        Ok(self.find(svc, c)?.cloned())
    }

    /// The container of resource `c`: the one under its name when it
    /// carries the resource's label, else the one container carrying the
    /// label under another name (renamed behind om's back), else the one
    /// under its name that is not om's (the caller reports it as such).
    /// Several containers with its label is an error: om never guesses
    /// which one is the resource.
    pub fn find(&self, svc: &Service, c: &Container) -> Result<Option<&ContainerInfo>> {
        self.named(
            &c.head.rid,
            &c.name,
            &container_id_label(&svc.id, &c.head.rid),
        )
    }

    /// `find` by the resource's name and label (`rid` for the error), for a
    /// caller that has them from a config that does not load. An empty
    /// label (a config without an id) finds by name alone.
    pub fn named(&self, rid: &str, name: &str, want: &str) -> Result<Option<&ContainerInfo>> {
        let by_name = self.by_name.get(name).map(|&i| &self.infos[i]);
        let elsewhere: Vec<&ContainerInfo> = self
            .by_label
            .get(want)
            .filter(|_| !want.is_empty())
            .map(|v| {
                v.iter()
                    .map(|&i| &self.infos[i])
                    .filter(|i| i.name != name)
                    .collect()
            })
            .unwrap_or_default();
        match (by_name, elsewhere.as_slice()) {
            (found, []) => Ok(found),
            // Under its name: nothing, or a container that is not ours.
            (b, [renamed]) if b.is_none_or(|b| b.label(LABEL_ID) != Some(want)) => {
                Ok(Some(*renamed))
            }
            (_, others) => {
                let mut names: Vec<String> = others
                    .iter()
                    .map(|i| format!("{} ({})", i.name, i.short_id()))
                    .collect();
                if let Some(b) = by_name.filter(|b| b.label(LABEL_ID) == Some(want)) {
                    names.insert(0, format!("{} ({})", b.name, b.short_id()));
                }
                Err(Error::Failed(format!(
                    "{rid}: several containers carry its {LABEL_ID} label: {}; remove all but one",
                    names.join(", ")
                )))
            }
        }
    }

    /// Every container seen.
    pub fn all(&self) -> &[ContainerInfo] {
        &self.infos
    }

    /// The names of the containers the resources have (renamed ones too).
    pub fn existing(&self, svc: &Service, containers: &[Container]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for c in containers {
            if let Some(i) = self.find(svc, c)? {
                out.push(i.name.clone());
            }
        }
        Ok(out)
    }

    /// Every container carrying a `com.opensvc.id` label of the service,
    /// whatever its rid: a resource its config no longer names (replaced,
    /// or a section deleted with --force) still left it there. By name.
    pub fn of_service(&self, svc_id: &str) -> Vec<&ContainerInfo> {
        let mut out: Vec<&ContainerInfo> = self
            .by_service
            .get(svc_id)
            .filter(|_| !svc_id.is_empty())
            .map(|at| at.iter().map(|&i| &self.infos[i]).collect())
            .unwrap_or_default();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// The containers carrying a `com.opensvc.id` label of the service for
    /// a rid its config does not name as a container resource (its section
    /// deleted with --force, a config replaced by one with fewer sections),
    /// each with that rid, by name: om does not manage them, yet they are
    /// the service's (status shows them, the guard counts a running one,
    /// purge and delete keep the config while one exists). Linear in the
    /// service's containers.
    pub fn leftovers<'a>(&'a self, svc: &Service) -> Vec<(&'a str, &'a ContainerInfo)> {
        let named: HashSet<&str> = svc.containers.iter().map(|c| c.head.rid.as_str()).collect();
        self.of_service(&svc.id)
            .into_iter()
            .filter_map(|i| {
                let (_, rid) = service_and_rid(i.label(LABEL_ID)?)?;
                (!named.contains(rid)).then_some((rid, i))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn svc() -> Service {
        Service::for_test(
            "s",
            vec![Container {
                name: "s.container.1".into(),
                ..Container::for_test("container#1")
            }],
        )
    }

    fn info(id: char, name: &str, label: &str) -> ContainerInfo {
        ContainerInfo {
            id: id.to_string().repeat(64),
            name: name.into(),
            labels: BTreeMap::from([(LABEL_ID.to_string(), label.to_string())]),
            ..ContainerInfo::default()
        }
    }

    #[test]
    fn finds_by_name_then_by_label() {
        let s = svc();
        let c = &s.containers[0];
        let cur = Current::from_infos(vec![info('a', "s.container.1", "id1.container#1")]);
        assert_eq!(cur.of(&s, c).unwrap().unwrap().name, "s.container.1");
        let cur = Current::from_infos(vec![info('a', "moved", "id1.container#1")]);
        assert_eq!(cur.of(&s, c).unwrap().unwrap().name, "moved");
        assert_eq!(cur.existing(&s, &s.containers).unwrap(), ["moved"]);
        let cur = Current::from_infos(vec![]);
        assert_eq!(cur.of(&s, c).unwrap(), None);
        // a foreign container under the name is returned (the caller refuses it)
        let cur = Current::from_infos(vec![info('a', "s.container.1", "other")]);
        assert!(cur.of(&s, c).unwrap().is_some());
        let cur = Current::from_infos(vec![
            info('a', "s.container.1", "id1.container#1"),
            info('b', "moved", "id1.container#1"),
        ]);
        let err = cur.of(&s, c).unwrap_err().to_string();
        assert!(err.contains("several containers"), "{err}");
    }

    #[test]
    fn the_service_s_containers_by_label_whatever_the_rid() {
        let cur = Current::from_infos(vec![
            info('a', "s.container.1", "id1.container#1"),
            info('b', "gone", "id1.container#7"),
            info('c', "other", "id10.container#1"),
            info('d', "bare", "id1"),
        ]);
        let names: Vec<&str> = cur
            .of_service("id1")
            .iter()
            .map(|i| i.name.as_str())
            .collect();
        assert_eq!(names, ["gone", "s.container.1"]);
        assert!(cur.of_service("").is_empty());
        // those of a rid the config does not name, with that rid
        let s = svc();
        let left: Vec<(&str, &str)> = cur
            .leftovers(&s)
            .iter()
            .map(|(rid, i)| (*rid, i.name.as_str()))
            .collect();
        assert_eq!(left, [("container#7", "gone")]);
    }
}
