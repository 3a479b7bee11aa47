//! Status of services (SPEC 4.4, 5.2): merged from the typed config and one
//! inspect of all their containers, by pure functions.

pub mod collect;
pub mod instance;
pub mod render;
pub mod watch;

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Avail {
    #[serde(rename = "up")]
    Up,
    #[serde(rename = "down")]
    Down,
    #[serde(rename = "warn")]
    Warn,
    #[serde(rename = "n/a")]
    NotApplicable,
    /// A node that did not answer (an instance only).
    #[serde(rename = "unknown")]
    Unknown,
}

impl Avail {
    pub fn as_str(self) -> &'static str {
        match self {
            Avail::Up => "up",
            Avail::Down => "down",
            Avail::Warn => "warn",
            Avail::NotApplicable => "n/a",
            Avail::Unknown => "unknown",
        }
    }

    /// The exit code of `om SVC status`.
    pub fn code(self) -> u8 {
        match self {
            Avail::Up => 0,
            Avail::Down => 1,
            Avail::Warn => 2,
            Avail::NotApplicable => 3,
            Avail::Unknown => 4,
        }
    }
}

impl fmt::Display for Avail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContainerState {
    pub name: String,
    pub id: Option<String>,
    pub image: String,
    /// docker's state (`running`, `exited`, …) or `absent`.
    pub state: String,
    /// A container that ran and stopped (exited, dead): its exit code
    /// (docker's `State.ExitCode`); null otherwise.
    #[serde(default)]
    pub exit_code: Option<i64>,
    /// When that container stopped (docker's `State.FinishedAt`, RFC 3339,
    /// UTC); null otherwise.
    #[serde(default)]
    pub finished_at: Option<String>,
}

impl ContainerState {
    /// What status shows of container `i`: its exit code and when it stopped come
    /// from the inspect of the stopped ones (`finished_at` says there was
    /// one: a listing's exit code is no word).
    pub fn seen(i: &crate::docker::inspect::ContainerInfo) -> ContainerState {
        let stopped = i.finished_at.is_some() && !alive(&i.state);
        ContainerState {
            name: i.name.clone(),
            id: Some(i.short_id().to_string()),
            image: i.image.clone(),
            state: i.state.clone(),
            exit_code: stopped.then_some(i.exit_code),
            finished_at: i.finished_at.clone().filter(|_| stopped),
        }
    }

    /// A container om did not see (absent, its daemon down): `state` says
    /// which.
    pub fn unseen(name: &str, image: &str, state: &str) -> ContainerState {
        ContainerState {
            name: name.into(),
            id: None,
            image: image.into(),
            state: state.into(),
            exit_code: None,
            finished_at: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceStatus {
    pub rid: String,
    pub status: Avail,
    /// The 8 flag chars: R M D O E P S and restarts.
    pub flags: String,
    pub label: String,
    /// `info: …`, `warn: …`
    pub log: Vec<String>,
    pub disabled: bool,
    pub optional: bool,
    /// A standby resource (SPEC 17): its `up` says nothing of where the
    /// service runs. Absent (false) for the others.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub standby: bool,
    pub provisioned: bool,
    pub subset: Option<String>,
    /// A container resource's container (an ip resource has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerState>,
    /// A container carrying the service's label for a rid its config does
    /// not name (see `leftover`); absent (false) for every resource of the
    /// config. An om that does not know the field still reads `container`,
    /// which is what `InstanceStatus::runs` counts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub leftover: bool,
}

impl ResourceStatus {
    /// The line of a resource that is not a container, from its head: the
    /// flags say disabled (D), optional (O) and not provisioned (P); no
    /// container, no leftover, not standby (the collect sets it).
    pub fn of_head(
        head: &crate::model::Head,
        status: Avail,
        label: String,
        log: Vec<String>,
        provisioned: bool,
    ) -> ResourceStatus {
        let flag = |on: bool, ch: char| if on { ch } else { '.' };
        ResourceStatus {
            rid: head.rid.to_string(),
            status,
            flags: [
                '.',
                '.',
                flag(head.disable, 'D'),
                flag(head.optional, 'O'),
                '.',
                flag(!provisioned, 'P'),
                '.',
                '.',
            ]
            .iter()
            .collect(),
            label,
            log,
            disabled: head.disable,
            optional: head.optional,
            standby: false,
            provisioned,
            subset: head.subset.clone(),
            container: None,
            leftover: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SubsetStatus {
    pub name: String,
    pub parallel: bool,
}

/// The version of the status document: a node reads another's only when
/// they agree (SPEC 12). 2: `schema` and `instances` added. 3: ip
/// resources, which have no `container` (an om of schema 2 could not read
/// them: it says the schemas differ rather than failing on the field).
pub const SCHEMA: u32 = 3;

/// One node's instance of a service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceStatus {
    pub node: String,
    pub avail: Avail,
    pub overall: Avail,
    pub notice: String,
    pub started: bool,
    pub resources: Vec<ResourceStatus>,
}

/// A service's status. `avail` and `overall` are the service's across its
/// nodes (its only node's for a single-node service); `node`, `notice`,
/// `started` and `resources` are this node's instance, as before
/// `instances` existed, so scripts reading them keep working; `instances`
/// holds every node's, in the order of `nodes` then `drpnodes`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceStatus {
    pub schema: u32,
    pub path: String,
    /// The config's id: another node's answer for this path is this
    /// service's only when its id is this one.
    pub id: String,
    pub node: String,
    pub avail: Avail,
    pub overall: Avail,
    pub notice: String,
    /// The last action left the service started.
    pub started: bool,
    pub subsets: Vec<SubsetStatus>,
    pub resources: Vec<ResourceStatus>,
    pub instances: Vec<InstanceStatus>,
    /// `warn: up on N1 and N2` when the service runs on several nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split: Option<String>,
    /// The limits of the service's slice (`mem_limit=64m cpu_quota=50%@all`),
    /// when it has some (SPEC 14).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pg: Option<String>,
    /// Pacemaker's view (SPEC 18), for a service with `orchestrate = ha`
    /// in a status across nodes; absent for the others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pacemaker: Option<crate::ha::view::View>,
}

/// Whether a container in docker's `state` may be running the service:
/// anything but absent, created, exited or dead (and `unknown`, a daemon
/// that does not run). An `ambiguous` resource counts as alive.
pub fn alive(state: &str) -> bool {
    state != "absent" && state != "unknown" && crate::docker::inspect::alive_state(state)
}

/// A resource that a stop keeps (a standby one, a volume: data, SPEC 17)
/// and that is up: it says nothing of whether the service runs here, and
/// is not counted (down, it is: a started service misses it), as OpenSVC
/// merges `stdby up` with `down` into a service that is not up.
fn kept_up(r: &ResourceStatus) -> bool {
    r.status == Avail::Up
        && (r.standby
            || crate::config::keywords::rid_index(&r.rid, crate::config::keywords::VOLUME_GROUP)
                .is_some())
}

/// Service status: up when every counted resource is up, down when all are
/// down, warn when mixed or any warns, n/a when none counts. n/a resources
/// never count; optional ones count for `overall`, not for `avail` (as in
/// OpenSVC: an optional resource down does not make the service unavailable).
pub fn aggregate(resources: &[ResourceStatus], with_optional: bool) -> Avail {
    let counted: Vec<Avail> = resources
        .iter()
        .filter(|r| (with_optional || !r.optional) && r.status != Avail::NotApplicable)
        .filter(|r| !kept_up(r))
        .map(|r| r.status)
        .collect();
    if counted.contains(&Avail::Warn) {
        return Avail::Warn;
    }
    match counted.first() {
        None => Avail::NotApplicable,
        Some(first) if counted.iter().all(|s| s == first) => *first,
        Some(_) => Avail::Warn,
    }
}

impl InstanceStatus {
    /// Whether the service may run there: up, or any container alive
    /// (running, restarting, paused) whatever the avail says (a warn with
    /// nothing alive, an exited container squatting a name, runs nothing).
    /// A standby container is meant to run on every node: it never says
    /// the service runs there (SPEC 17). A filesystem of the service
    /// mounted there (or that can not be told unmounted) is its data in
    /// use: the service runs there, whatever else is down (SPEC 17), unless
    /// standby.
    pub fn runs(&self) -> bool {
        self.avail == Avail::Up
            || self.resources.iter().any(|r| {
                !r.standby
                    && (r.container.as_ref().is_some_and(|c| alive(&c.state)) || data_in_use(r))
            })
    }
}

/// Whether `r` is a filesystem of the service mounted (up), or one whose
/// state can not be told (warn: fail-closed). A disk attached is not
/// counted on its own: the filesystem on it is what holds the data, and
/// a volume group's exclusivity is its host tag's (disk type=vg).
fn data_in_use(r: &ResourceStatus) -> bool {
    crate::config::keywords::rid_index(&r.rid, crate::config::keywords::FS_GROUP).is_some()
        && matches!(r.status, Avail::Up | Avail::Warn)
}

/// A remote om's own words for a service it does not have (the only
/// refusal taken as "nothing of it runs there").
pub fn not_configured(error: &str, path: &str) -> bool {
    error == format!("om: service {path} does not exist")
}

/// What another node says of a service, or why it says nothing (the
/// notice its instance shows then, `unknown`).
#[derive(Clone, Debug)]
pub enum Remote {
    Said(InstanceStatus),
    Silent(String),
}

#[cfg(test)]
mod tests {
    use super::instance::*;
    use super::*;
    use crate::docker::argv::{config_hash, LABEL_CONFIG, LABEL_ID};
    use crate::docker::current::Current;
    use crate::docker::inspect::ContainerInfo;
    use crate::model::{Container, Service};
    use std::collections::BTreeMap;

    fn svc() -> Service {
        Service::for_test(
            "svc1",
            vec![Container {
                name: "svc1.container.1".into(),
                image: "nginx".into(),
                detach: true,
                ..Container::for_test("container#1")
            }],
        )
    }

    fn info(running: bool, image: &str, label: &str) -> ContainerInfo {
        ContainerInfo {
            id: "0123456789abcdef".into(),
            name: "svc1.container.1".into(),
            image: image.into(),
            state: if running { "running" } else { "exited" }.into(),
            running,
            labels: BTreeMap::from([(LABEL_ID.to_string(), label.to_string())]),
            ..ContainerInfo::default()
        }
    }

    /// The JSON scripts read: the whole document, so that any change of
    /// the schema is a visible diff here.
    fn instance(node: &str, avail: Avail) -> InstanceStatus {
        InstanceStatus {
            node: node.into(),
            avail,
            overall: avail,
            notice: "idle".into(),
            started: false,
            resources: Vec::new(),
        }
    }

    #[test]
    fn an_instance_runs_when_up_or_when_a_container_is_alive() {
        let with = |avail: Avail, state: &str| {
            let mut i = instance("n2", avail);
            i.resources.push(ResourceStatus {
                rid: "container#1".into(),
                status: avail,
                flags: "........".into(),
                label: String::new(),
                log: Vec::new(),
                disabled: false,
                optional: false,
                standby: false,
                provisioned: true,
                subset: None,
                container: Some(ContainerState::unseen("s.container.1", "i", state)),
                leftover: false,
            });
            i
        };
        assert!(with(Avail::Up, "running").runs());
        // unhealthy, or another resource down: its container is alive
        assert!(with(Avail::Warn, "running").runs());
        assert!(with(Avail::Down, "paused").runs());
        assert!(with(Avail::Down, "restarting").runs());
        // an exited container squatting the name: nothing runs there
        assert!(!with(Avail::Warn, "exited").runs());
        assert!(!with(Avail::Down, "absent").runs());
        // a standby container alive says nothing of where the service
        // runs (SPEC 17): the guard of another node is not stopped by it
        let mut standby = with(Avail::Down, "running");
        standby.resources[0].standby = true;
        assert!(!standby.runs());
        // a filesystem mounted there is the service running there, the
        // containers down; unless standby; a disk alone is not
        let data = |rid: &str, status: Avail, standby: bool| {
            let mut i = with(Avail::Warn, "exited");
            let mut r = i.resources[0].clone();
            (r.rid, r.status, r.standby, r.container) = (rid.into(), status, standby, None);
            i.resources.push(r);
            i
        };
        assert!(data("fs#1", Avail::Up, false).runs());
        assert!(data("fs#1", Avail::Warn, false).runs());
        assert!(!data("fs#1", Avail::Down, false).runs());
        assert!(!data("fs#1", Avail::Up, true).runs());
        assert!(!data("disk#1", Avail::Up, false).runs());
    }

    #[test]
    fn instances_merge_in_the_order_of_nodes_then_drpnodes() {
        let mut st = service(
            &svc(),
            "n2",
            &[info(true, "nginx", "id1.container#1")],
            true,
        );
        assert_eq!(st.avail, Avail::Up);
        merge(
            &mut st,
            &["n1", "n2", "n3"],
            vec![
                ("n3".into(), Remote::Silent("unreachable: no route".into())),
                ("n1".into(), Remote::Said(instance("n1", Avail::Down))),
            ],
        );
        let nodes: Vec<&str> = st.instances.iter().map(|i| i.node.as_str()).collect();
        assert_eq!(nodes, ["n1", "n2", "n3"]);
        assert_eq!(st.instances[2].avail, Avail::Unknown);
        assert_eq!(st.instances[2].notice, "unreachable: no route");
        // exactly one up: the service is up, the unknown one aside
        assert_eq!(st.avail, Avail::Up);
        assert_eq!(st.split, None);
    }

    #[test]
    fn this_node_listed_by_its_first_label_is_this_node() {
        let mut st = service(&svc(), "deb1.opensvc.com", &[], false);
        merge(
            &mut st,
            &["deb1", "n2"],
            vec![("n2".into(), Remote::Said(instance("n2", Avail::Up)))],
        );
        let nodes: Vec<&str> = st.instances.iter().map(|i| i.node.as_str()).collect();
        assert_eq!(nodes, ["deb1.opensvc.com", "n2"]);
        assert_eq!(st.avail, Avail::Up);
    }

    #[test]
    fn down_here_and_silent_there_is_unknown_not_down() {
        let mut st = service(&svc(), "n1", &[], false);
        merge(
            &mut st,
            &["n1", "n2"],
            vec![("n2".into(), Remote::Silent("unreachable: timeout".into()))],
        );
        assert_eq!(st.avail, Avail::Unknown);
    }

    #[test]
    fn up_on_two_nodes_is_a_split_brain() {
        let mut st = service(
            &svc(),
            "n1",
            &[info(true, "nginx", "id1.container#1")],
            true,
        );
        merge(
            &mut st,
            &["n1", "n2"],
            vec![("n2".into(), Remote::Said(instance("n2", Avail::Up)))],
        );
        assert_eq!(st.avail, Avail::Warn);
        assert_eq!(st.split.as_deref(), Some("warn: up on n1 and n2"));
        // none up anywhere: down
        let mut st = service(&svc(), "n1", &[], false);
        merge(
            &mut st,
            &["n1", "n2"],
            vec![("n2".into(), Remote::Said(instance("n2", Avail::Down)))],
        );
        assert_eq!(st.avail, Avail::Down);
    }

    #[test]
    fn the_status_json_is_a_golden_document() {
        let mut s = svc();
        s.subsets = vec![("web".into(), true)];
        s.containers.push(Container {
            head: crate::model::Head {
                rid: "container#2".into(),
                optional: true,
                subset: Some("web".into()),
                ..Default::default()
            },
            name: "svc1.container.2".into(),
            image: "busybox".into(),
            detach: true,
            ..Container::default()
        });
        // container#3 renamed behind om's back: up, its name and a warning
        s.containers.push(Container {
            name: "svc1.container.3".into(),
            image: "nginx".into(),
            detach: true,
            ..Container::for_test("container#3")
        });
        let mut sick = info(true, "nginx", "id1.container#1");
        sick.health = Some("unhealthy".into());
        sick.health_output = Some("refused".into());
        let mut moved = info(true, "nginx", "id1.container#3");
        moved.id = "fedcba9876543210".into();
        moved.name = "x".into();
        // a container of the service for container#9, which the config
        // does not name (a section deleted with --force): last, flagged
        let mut left = info(true, "busybox", "id1.container#9");
        left.id = "aaaabbbbccccdddd".into();
        left.name = "old".into();
        // container#4 killed while the service is started: its exit code,
        // when it stopped, and a warning
        s.containers.push(Container {
            name: "svc1.container.4".into(),
            image: "nginx".into(),
            detach: true,
            ..Container::for_test("container#4")
        });
        let mut killed = info(false, "nginx", "id1.container#4");
        killed.id = "4444555566667777".into();
        killed.name = "svc1.container.4".into();
        killed.exit_code = 137;
        killed.finished_at = Some("2026-12-07T17:00:00.123456789Z".into());
        let st = service(&s, "n1", &[sick, moved, left, killed], true);
        let doc = serde_json::to_string_pretty(&st).unwrap();
        assert_eq!(
            doc,
            r#"{
  "schema": 3,
  "path": "svc1",
  "id": "id1",
  "node": "n1",
  "avail": "warn",
  "overall": "warn",
  "notice": "warn, idle, started",
  "started": true,
  "subsets": [
    {
      "name": "web",
      "parallel": true
    }
  ],
  "resources": [
    {
      "rid": "container#1",
      "status": "warn",
      "flags": "........",
      "label": "docker container svc1.container.1@nginx",
      "log": [
        "warn: unhealthy: refused"
      ],
      "disabled": false,
      "optional": false,
      "provisioned": true,
      "subset": null,
      "container": {
        "name": "svc1.container.1",
        "id": "0123456789ab",
        "image": "nginx",
        "state": "running",
        "exit_code": null,
        "finished_at": null
      }
    },
    {
      "rid": "container#2",
      "status": "down",
      "flags": "...O.P..",
      "label": "docker container svc1.container.2@busybox",
      "log": [
        "info: can not find container id"
      ],
      "disabled": false,
      "optional": true,
      "provisioned": false,
      "subset": "web",
      "container": {
        "name": "svc1.container.2",
        "id": null,
        "image": "busybox",
        "state": "absent",
        "exit_code": null,
        "finished_at": null
      }
    },
    {
      "rid": "container#3",
      "status": "up",
      "flags": "........",
      "label": "docker container svc1.container.3@nginx",
      "log": [
        "warn: renamed behind om's back: x"
      ],
      "disabled": false,
      "optional": false,
      "provisioned": true,
      "subset": null,
      "container": {
        "name": "x",
        "id": "fedcba987654",
        "image": "nginx",
        "state": "running",
        "exit_code": null,
        "finished_at": null
      }
    },
    {
      "rid": "container#4",
      "status": "down",
      "flags": "........",
      "label": "docker container svc1.container.4@nginx",
      "log": [
        "warn: down while the service is started (om svc1 start brings it back)"
      ],
      "disabled": false,
      "optional": false,
      "provisioned": true,
      "subset": null,
      "container": {
        "name": "svc1.container.4",
        "id": "444455556666",
        "image": "nginx",
        "state": "exited",
        "exit_code": 137,
        "finished_at": "2026-12-07T17:00:00.123456789Z"
      }
    },
    {
      "rid": "container#9",
      "status": "warn",
      "flags": "........",
      "label": "docker container old@busybox",
      "log": [
        "warn: running container old carries com.opensvc.id=id1.container#9, a resource the config does not name: docker rm it, or restore its section"
      ],
      "disabled": false,
      "optional": false,
      "provisioned": true,
      "subset": null,
      "container": {
        "name": "old",
        "id": "aaaabbbbcccc",
        "image": "busybox",
        "state": "running",
        "exit_code": null,
        "finished_at": null
      },
      "leftover": true
    }
  ],
  "instances": [
    {
      "node": "n1",
      "avail": "warn",
      "overall": "warn",
      "notice": "warn, idle, started",
      "started": true,
      "resources": [
        {
          "rid": "container#1",
          "status": "warn",
          "flags": "........",
          "label": "docker container svc1.container.1@nginx",
          "log": [
            "warn: unhealthy: refused"
          ],
          "disabled": false,
          "optional": false,
          "provisioned": true,
          "subset": null,
          "container": {
            "name": "svc1.container.1",
            "id": "0123456789ab",
            "image": "nginx",
            "state": "running",
            "exit_code": null,
            "finished_at": null
          }
        },
        {
          "rid": "container#2",
          "status": "down",
          "flags": "...O.P..",
          "label": "docker container svc1.container.2@busybox",
          "log": [
            "info: can not find container id"
          ],
          "disabled": false,
          "optional": true,
          "provisioned": false,
          "subset": "web",
          "container": {
            "name": "svc1.container.2",
            "id": null,
            "image": "busybox",
            "state": "absent",
            "exit_code": null,
            "finished_at": null
          }
        },
        {
          "rid": "container#3",
          "status": "up",
          "flags": "........",
          "label": "docker container svc1.container.3@nginx",
          "log": [
            "warn: renamed behind om's back: x"
          ],
          "disabled": false,
          "optional": false,
          "provisioned": true,
          "subset": null,
          "container": {
            "name": "x",
            "id": "fedcba987654",
            "image": "nginx",
            "state": "running",
            "exit_code": null,
            "finished_at": null
          }
        },
        {
          "rid": "container#4",
          "status": "down",
          "flags": "........",
          "label": "docker container svc1.container.4@nginx",
          "log": [
            "warn: down while the service is started (om svc1 start brings it back)"
          ],
          "disabled": false,
          "optional": false,
          "provisioned": true,
          "subset": null,
          "container": {
            "name": "svc1.container.4",
            "id": "444455556666",
            "image": "nginx",
            "state": "exited",
            "exit_code": 137,
            "finished_at": "2026-12-07T17:00:00.123456789Z"
          }
        },
        {
          "rid": "container#9",
          "status": "warn",
          "flags": "........",
          "label": "docker container old@busybox",
          "log": [
            "warn: running container old carries com.opensvc.id=id1.container#9, a resource the config does not name: docker rm it, or restore its section"
          ],
          "disabled": false,
          "optional": false,
          "provisioned": true,
          "subset": null,
          "container": {
            "name": "old",
            "id": "aaaabbbbcccc",
            "image": "busybox",
            "state": "running",
            "exit_code": null,
            "finished_at": null
          },
          "leftover": true
        }
      ]
    }
  ]
}"#
        );
    }

    #[test]
    fn merges_config_and_engine() {
        let s = svc();
        let st = service(&s, "n1", &[info(true, "nginx", "id1.container#1")], true);
        assert_eq!(st.avail, Avail::Up);
        assert_eq!(st.notice, "idle, started");
        assert_eq!(st.resources[0].flags, "........");
        let st = service(&s, "n1", &[], false);
        assert_eq!(st.avail, Avail::Down);
        assert_eq!(st.resources[0].flags, ".....P..");
        assert_eq!(st.resources[0].log, ["info: can not find container id"]);
        let st = service(&s, "n1", &[info(false, "nginx", "id1.container#1")], false);
        assert_eq!((st.avail, st.notice.as_str()), (Avail::Down, "idle"));
        let cur = Current::from_infos(vec![info(true, "nginx", "id1.container#1")]);
        let st = service_in(
            &s,
            "n1",
            View::Engine(&cur),
            &[],
            &[],
            &[],
            true,
            Some("stop"),
        );
        assert_eq!(st.notice, "stop, started");
        assert_eq!(st.resources[0].flags, "R.......");
        let st = service(&s, "n1", &[info(true, "other", "id1.container#1")], true);
        assert_eq!(st.avail, Avail::Warn);
        assert_eq!(st.notice, "warn, idle, started");
        let st = service(&s, "n1", &[info(true, "nginx", "foreign")], true);
        assert_eq!(st.avail, Avail::Warn);
        assert!(st.resources[0].log[0].contains("does not manage"));
        let mut old = info(true, "nginx", "id1.container#1");
        old.labels
            .insert(LABEL_CONFIG.into(), "0123456789abcdef".into());
        let st = service(&s, "n1", std::slice::from_ref(&old), true);
        assert_eq!(st.avail, Avail::Warn);
        assert_eq!(
            st.resources[0].log,
            ["warn: config changed since the container was created"]
        );
        old.labels.insert(
            LABEL_CONFIG.into(),
            config_hash(&s.containers[0], &s.path, &s.id),
        );
        assert_eq!(service(&s, "n1", &[old], true).avail, Avail::Up);
        let mut sick = info(true, "nginx", "id1.container#1");
        sick.health = Some("unhealthy".into());
        sick.health_output = Some("checking\ncurl: (7) refused\n".into());
        let st = service(&s, "n1", std::slice::from_ref(&sick), true);
        assert_eq!(st.avail, Avail::Warn);
        assert_eq!(st.resources[0].log, ["warn: unhealthy: curl: (7) refused"]);
        sick.health = Some("starting".into());
        let st = service(&s, "n1", &[sick], true);
        assert_eq!(st.avail, Avail::Up);
        assert_eq!(st.resources[0].log, ["info: health starting"]);
    }

    #[test]
    fn a_started_service_with_a_container_down_says_so() {
        let s = svc();
        let mut dead = info(false, "nginx", "id1.container#1");
        dead.exit_code = 137;
        dead.finished_at = Some("2026-12-07T17:00:00Z".into());
        // stopped by om: down, nothing to say
        let st = service(&s, "n1", std::slice::from_ref(&dead), false);
        assert_eq!((st.avail, st.overall), (Avail::Down, Avail::Down));
        assert!(st.resources[0].log.is_empty(), "{:?}", st.resources[0].log);
        let c = st.resources[0].container.as_ref().unwrap();
        assert_eq!(c.exit_code, Some(137));
        assert_eq!(c.finished_at.as_deref(), Some("2026-12-07T17:00:00Z"));
        // left started: the line says it, and the service stays down (a
        // crashed service is never softened to warn)
        let st = service(&s, "n1", std::slice::from_ref(&dead), true);
        assert_eq!((st.avail, st.overall), (Avail::Down, Avail::Down));
        assert_eq!(st.notice, "idle, started");
        assert_eq!(
            st.resources[0].log,
            ["warn: down while the service is started (om svc1 start brings it back)"]
        );
        // removed behind om's back: the same
        let st = service(&s, "n1", &[], true);
        assert_eq!(st.overall, Avail::Down);
        assert!(
            st.resources[0]
                .log
                .iter()
                .any(|l| l.starts_with("warn: down while")),
            "{:?}",
            st.resources[0].log
        );
        // while an action runs, it is the one changing them: nothing said
        let cur = Current::from_infos(vec![dead.clone()]);
        let st = service_in(
            &s,
            "n1",
            View::Engine(&cur),
            &[],
            &[],
            &[],
            true,
            Some("start"),
        );
        assert_eq!(st.overall, Avail::Down);
        // a listing's exit code is no word: none without the inspect's time
        dead.finished_at = None;
        let st = service(&s, "n1", &[dead], false);
        assert_eq!(st.resources[0].container.as_ref().unwrap().exit_code, None);
    }

    #[test]
    fn a_renamed_container_is_up_with_a_warning_and_several_are_ambiguous() {
        let s = svc();
        let mut moved = info(true, "nginx", "id1.container#1");
        moved.name = "x".into();
        let st = service(&s, "n1", std::slice::from_ref(&moved), true);
        assert_eq!(st.avail, Avail::Up);
        let r = &st.resources[0];
        assert_eq!(r.log, ["warn: renamed behind om's back: x"]);
        assert!(r.provisioned);
        assert_eq!(r.flags, "........");
        assert_eq!(r.container.as_ref().unwrap().name, "x");
        // a foreign container under the name does not hide the renamed one
        let foreign = info(true, "nginx", "foreign");
        let st = service(&s, "n1", &[foreign, moved.clone()], true);
        assert_eq!(st.avail, Avail::Up);
        // two carrying its label: om can not tell, and says it runs
        let mut other = moved.clone();
        other.id = "fedcba9876543210".into();
        other.name = "y".into();
        other.running = false;
        other.state = "exited".into();
        let st = service(&s, "n1", &[moved, other], true);
        assert_eq!(st.avail, Avail::Warn);
        assert!(st.resources[0].log[0].contains("several containers"));
        assert!(st.instances[0].runs());
    }

    #[test]
    fn a_container_of_a_rid_the_config_does_not_name_runs_the_service() {
        let s = svc();
        let mut left = info(true, "busybox", "id1.container#2");
        left.id = "fedcba9876543210".into();
        left.name = "svc1.container.2".into();
        // its configured resource down, the leftover running: warn, runs
        let st = service(&s, "n1", std::slice::from_ref(&left), false);
        assert_eq!(st.avail, Avail::Warn);
        assert!(st.instances[0].runs());
        let r = &st.resources[1];
        assert_eq!(
            (r.rid.as_str(), r.status, r.leftover),
            ("container#2", Avail::Warn, true)
        );
        assert!(
            r.log[0].starts_with(
                "warn: running container svc1.container.2 carries com.opensvc.id=id1.container#2"
            ),
            "{:?}",
            r.log
        );
        // stopped: n/a, still named; the service is its resources'
        left.running = false;
        left.state = "exited".into();
        let st = service(&s, "n1", &[left.clone()], false);
        assert_eq!(st.avail, Avail::Down);
        assert!(!st.instances[0].runs());
        assert_eq!(st.resources[1].status, Avail::NotApplicable);
        let up = info(true, "nginx", "id1.container#1");
        assert_eq!(service(&s, "n1", &[up, left], true).avail, Avail::Up);
        // another service's, or a label of no rid: not this service's
        let other = info(true, "nginx", "id10.container#2");
        let bare = info(true, "nginx", "id1");
        let st = service(&s, "n1", &[other, bare], false);
        assert_eq!(st.resources.len(), 1);
        // a service whose config names no container still shows it
        let none = Service::for_test("svc1", Vec::new());
        let left = info(true, "nginx", "id1.container#1");
        let st = service(&none, "n1", &[left], false);
        assert_eq!(st.avail, Avail::Warn);
        assert!(st.instances[0].runs());
    }

    #[test]
    fn a_renamed_namespace_holder_still_exists() {
        let mut s = svc();
        s.containers.push(Container {
            name: "svc1.container.2".into(),
            image: "nginx".into(),
            detach: true,
            depends_on: vec!["container#1".into()],
            ..Container::for_test("container#2")
        });
        let mut holder = info(true, "nginx", "id1.container#1");
        holder.name = "moved".into();
        let mut joiner = info(true, "nginx", "id1.container#2");
        joiner.id = "fedcba9876543210".into();
        joiner.name = "svc1.container.2".into();
        let st = service(&s, "n1", &[holder, joiner.clone()], true);
        assert_eq!(st.resources[1].status, Avail::Up, "{:?}", st.resources[1]);
        assert!(st.resources[1].log.is_empty());
        // gone: said
        let st = service(&s, "n1", &[joiner], true);
        assert_eq!(st.resources[1].status, Avail::Warn);
        assert!(st.resources[1].log[0].contains("does not exist"));
    }

    #[test]
    fn aggregation() {
        let r = |status, optional| ResourceStatus {
            rid: String::new(),
            status,
            flags: String::new(),
            label: String::new(),
            log: vec![],
            disabled: false,
            optional,
            standby: false,
            provisioned: true,
            subset: None,
            container: Some(ContainerState::unseen("", "", "")),
            leftover: false,
        };
        use Avail::*;
        assert_eq!(aggregate(&[r(Up, false), r(Down, true)], false), Up);
        assert_eq!(aggregate(&[r(Up, false), r(Down, true)], true), Warn);
        assert_eq!(aggregate(&[r(Up, false), r(Warn, true)], false), Up);
        assert_eq!(aggregate(&[r(Up, false), r(Down, false)], false), Warn);
        assert_eq!(
            aggregate(&[r(Down, false), r(NotApplicable, false)], false),
            Down
        );
        assert_eq!(aggregate(&[r(NotApplicable, false)], true), NotApplicable);
        assert_eq!(aggregate(&[], false), NotApplicable);
        // a standby resource (or a volume) counts only when it is not up,
        // as OpenSVC merges stdby up with down into a service not up
        let s = |status| ResourceStatus {
            standby: true,
            ..r(status, false)
        };
        let vol = |status| ResourceStatus {
            rid: "volume#1".into(),
            container: None,
            ..r(status, false)
        };
        assert_eq!(aggregate(&[r(Up, false), s(Up)], false), Up);
        assert_eq!(aggregate(&[r(Down, false), s(Up)], false), Down);
        assert_eq!(aggregate(&[r(Up, false), s(Down)], false), Warn);
        assert_eq!(aggregate(&[r(Down, false), s(Down)], false), Down);
        assert_eq!(aggregate(&[r(Down, false), vol(Up)], false), Down);
        assert_eq!(aggregate(&[r(Up, false), vol(Down)], false), Warn);
        assert_eq!(aggregate(&[r(Up, false), vol(Warn)], false), Warn);
    }
}
