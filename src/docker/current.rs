//! What the engine holds for a service's resources, from docker's own
//! word: one `docker ps -a` lists every container with its name and om's
//! labels, so a container renamed behind om's back is still found by its
//! `com.opensvc.id`; a name the list does not have is inspected, and is
//! "absent" only when docker says `No such container`.

use super::argv::{container_id_label, is_service_label, LABEL_ID};
use super::inspect::ContainerInfo;
use crate::config::service::Service;
use crate::error::{Error, Result};
use crate::resource::container::Container;
use std::collections::HashMap;

pub struct Current {
    by_name: HashMap<String, ContainerInfo>,
    /// `com.opensvc.id` label → the containers carrying it.
    by_label: HashMap<String, Vec<ContainerInfo>>,
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
        let mut by_label: HashMap<String, Vec<ContainerInfo>> = HashMap::new();
        let mut by_name = HashMap::new();
        for i in infos {
            if let Some(label) = i.label(LABEL_ID) {
                let same = by_label.entry(label.to_string()).or_default();
                if !same.iter().any(|o| o.id == i.id) {
                    same.push(i.clone());
                }
            }
            by_name.insert(i.name.clone(), i);
        }
        Current { by_name, by_label }
    }

    /// The container of resource `c`: the one under its name (ours or not:
    /// the caller checks), else the one container carrying its label under
    /// another name (renamed behind om's back). Several containers with its
    /// label is an error: om never guesses which one is the resource.
    pub fn of(&self, svc: &Service, c: &Container) -> Result<Option<ContainerInfo>> {
        let want = container_id_label(&svc.id, &c.rid);
        let by_name = self.by_name.get(&c.name);
        let elsewhere: Vec<&ContainerInfo> = self
            .by_label
            .get(&want)
            .map(|v| v.iter().filter(|i| i.name != c.name).collect())
            .unwrap_or_default();
        match (by_name, elsewhere.as_slice()) {
            (found, []) => Ok(found.cloned()),
            // Under its name: nothing, or a container that is not ours.
            (b, [renamed]) if b.is_none_or(|b| b.label(LABEL_ID) != Some(want.as_str())) => {
                Ok(Some((*renamed).clone()))
            }
            (_, others) => {
                let mut names: Vec<String> = others
                    .iter()
                    .map(|i| format!("{} ({})", i.name, i.short_id()))
                    .collect();
                if let Some(b) = by_name.filter(|b| b.label(LABEL_ID) == Some(want.as_str())) {
                    names.insert(0, format!("{} ({})", b.name, b.short_id()));
                }
                Err(Error::Failed(format!(
                    "{}: several containers carry its {LABEL_ID} label: {}; remove all but one",
                    c.rid,
                    names.join(", ")
                )))
            }
        }
    }

    /// Every container seen.
    pub fn all(&self) -> Vec<ContainerInfo> {
        self.by_name.values().cloned().collect()
    }

    /// The names of the containers the resources have (renamed ones too).
    pub fn existing(&self, svc: &Service, containers: &[Container]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for c in containers {
            if let Some(i) = self.of(svc, c)? {
                out.push(i.name);
            }
        }
        Ok(out)
    }

    /// Every container carrying a `com.opensvc.id` label of the service,
    /// whatever its rid: a resource its config no longer names (replaced,
    /// or a section deleted with --force) still left it there. By name.
    pub fn of_service(&self, svc_id: &str) -> Vec<&ContainerInfo> {
        let mut out: Vec<&ContainerInfo> = self
            .by_label
            .iter()
            .filter(|(label, _)| is_service_label(label, svc_id))
            .flat_map(|(_, infos)| infos)
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
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
    }
}
