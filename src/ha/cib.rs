//! What a service with `orchestrate = ha` means to Pacemaker, as the CIB
//! XML that `cibadmin` loads (SPEC 18): pure functions of the typed service.
//!
//! XML rather than crm shell syntax: it is what Pacemaker itself stores and
//! every tool reads (cibadmin, pcs and crmsh all load it), it needs no
//! crmsh installed, and an apply can compare it with the CIB object by
//! object. `crm configure show` prints the same in crm syntax for a reader.
//!
//! Two objects per service, both named from the service:
//! - the primitive `om-NAME` (`om-NS.NAME` outside the root namespace) of
//!   `ocf:om:svc`, with the params path (and root, om when not the default),
//!   its meta attributes (stickiness, migration-threshold, failure-timeout)
//!   and its operations, timed from the service's own bounds;
//! - one location constraint `om-NAME-placement` with a rule per node:
//!   `nodes` in order of preference, `drpnodes` at -INFINITY, and any other
//!   cluster node at -INFINITY (one without the service can not run it).

use super::xml::Element;
use crate::model::Service;
use crate::paths::SvcPath;
use std::time::Duration;

/// What the service's config does not say, and the primitive needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Site {
    /// `root`: the om root (`OSVC_ROOT_PATH`) when not the system's.
    pub root: Option<String>,
    /// `om`: the om program the agent runs, when not `om` on its PATH.
    pub om: Option<String>,
    /// `allow_no_fencing=true`: the agent runs where fencing is off (an
    /// operator's choice, said at each apply: the split brain is real).
    pub allow_no_fencing: bool,
    /// The bound of one docker call (`OM_DOCKER_TIMEOUT`): a monitor is
    /// one `om status --local`.
    pub docker_bound: Duration,
}

/// How often Pacemaker runs the monitor (`om PATH status --local`).
pub const MONITOR_INTERVAL: Duration = Duration::from_secs(10);

/// Pacemaker's name of the service's resource.
pub fn resource_id(path: &SvcPath) -> String {
    if path.is_root_ns() {
        format!("om-{}", path.name)
    } else {
        format!("om-{}.{}", path.namespace, path.name)
    }
}

/// The preference score of each node of `nodes`, first to last: 100 per
/// place from the end, so the first is the highest.
pub fn scores(svc: &Service) -> Vec<(String, u32)> {
    let nodes = preferred(svc);
    let n = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
    nodes
        .into_iter()
        .zip((1..=n).rev())
        .map(|(node, place)| (node, place.saturating_mul(100)))
        .collect()
}

/// The stickiness: more than the spread of the scores, so that a service
/// that moved (a failure, a switch) stays where it runs when a node it
/// prefers comes back: it never fails back on its own.
pub fn stickiness(svc: &Service) -> u32 {
    let n = u32::try_from(preferred(svc).len()).unwrap_or(u32::MAX);
    n.saturating_mul(100)
}

/// `nodes`, each once, less any that is also a drp node (a drp node is never
/// chosen: SPEC 12).
fn preferred(svc: &Service) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in &svc.nodes {
        if !out.contains(n) && !svc.drpnodes.contains(n) {
            out.push(n.clone());
        }
    }
    out
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs().max(1))
}

/// What every action may spend beyond its resources: the lock wait (the
/// default --waitlock, 30 s: an operator's action may hold it), a docker
/// call, and 10 s for om itself (as the agent's own meta-data counts).
fn overhead(site: &Site) -> Duration {
    Duration::from_secs(30) + site.docker_bound + Duration::from_secs(10)
}

/// How long a start may take: every image pulled and every container up
/// within its own bounds, its private daemon started, and the overhead.
fn start_timeout(svc: &Service, site: &Site) -> Duration {
    let containers: Duration = svc
        .containers
        .iter()
        .map(|c| c.start_timeout + c.pull_timeout)
        .sum();
    let daemon = svc
        .daemon
        .as_ref()
        .map_or(Duration::ZERO, |d| d.start_timeout);
    containers + daemon + overhead(site)
}

/// How long a stop may take: docker's grace per container (10 s unless
/// stop_timeout says), and the overhead.
fn stop_timeout(svc: &Service, site: &Site) -> Duration {
    let containers: Duration = svc
        .containers
        .iter()
        .map(|c| c.stop_timeout.unwrap_or(Duration::from_secs(10)))
        .sum();
    containers + overhead(site)
}

fn nvpairs(set: &str, id: &str, pairs: &[(&str, String)]) -> Element {
    pairs
        .iter()
        .fold(Element::new(set, &[("id", id)]), |e, (k, v)| {
            e.child(Element::new(
                "nvpair",
                &[("id", &format!("{id}-{k}")), ("name", k), ("value", v)],
            ))
        })
}

/// The primitive. Its meta attributes are in the set `ID-meta`, om's own:
/// `crm_resource --meta` (target-role, is-managed) writes to a set of its
/// own, which an apply leaves alone.
pub fn primitive(svc: &Service, site: &Site) -> Element {
    let id = resource_id(&svc.path);
    let ha = svc.ha.clone().unwrap_or(crate::model::Ha {
        migration_threshold: Some(3),
        failure_timeout: Duration::ZERO,
    });
    let mut params = vec![("path", svc.path.to_string())];
    if let Some(root) = &site.root {
        params.push(("root", root.clone()));
    }
    if let Some(om) = &site.om {
        params.push(("om", om.clone()));
    }
    if site.allow_no_fencing {
        params.push(("allow_no_fencing", "true".into()));
    }
    let threshold = ha
        .migration_threshold
        .map_or_else(|| "INFINITY".to_string(), |n| n.to_string());
    let failure_timeout = match ha.failure_timeout.as_secs() {
        0 => "0".to_string(),
        s => format!("{s}s"),
    };
    let meta = [
        ("resource-stickiness", stickiness(svc).to_string()),
        ("migration-threshold", threshold),
        ("failure-timeout", failure_timeout),
    ];
    let monitor_timeout = site.docker_bound + Duration::from_secs(10);
    let op = |name: &str, interval: &str, timeout: Duration| {
        Element::new(
            "op",
            &[
                ("id", &format!("{id}-{name}-interval-{interval}")),
                ("name", name),
                ("interval", interval),
                ("timeout", &seconds(timeout)),
            ],
        )
    };
    let ops = Element::new("operations", &[("id", &format!("{id}-operations"))])
        .child(op("monitor", &seconds(MONITOR_INTERVAL), monitor_timeout))
        .child(op("start", "0s", start_timeout(svc, site)))
        .child(op("stop", "0s", stop_timeout(svc, site)));
    Element::new(
        "primitive",
        &[
            ("id", &id),
            ("class", "ocf"),
            ("provider", "om"),
            ("type", "svc"),
        ],
    )
    .child(nvpairs(
        "instance_attributes",
        &format!("{id}-params"),
        &params,
    ))
    .child(nvpairs("meta_attributes", &format!("{id}-meta"), &meta))
    .child(ops)
}

/// The location constraint: a rule per node.
pub fn placement(svc: &Service) -> Element {
    let rsc = resource_id(&svc.path);
    let id = format!("{rsc}-placement");
    let rule = |rule_id: String, score: &str, node: &str, op: &str| {
        Element::new("rule", &[("id", &rule_id), ("score", score)]).child(Element::new(
            "expression",
            &[
                ("id", &format!("{rule_id}-expr")),
                ("attribute", "#uname"),
                ("operation", op),
                ("value", node),
            ],
        ))
    };
    let mut loc = Element::new("rsc_location", &[("id", &id), ("rsc", &rsc)]);
    for (i, (node, score)) in scores(svc).iter().enumerate() {
        let r = rule(
            format!("{id}-node-{}", i + 1),
            &score.to_string(),
            node,
            "eq",
        );
        loc = loc.child(r);
    }
    for (i, node) in svc.drpnodes.iter().enumerate() {
        let r = rule(format!("{id}-drpnode-{}", i + 1), "-INFINITY", node, "eq");
        loc = loc.child(r);
    }
    // any other node: one `ne` per node of nodes, all true
    let others = format!("{id}-other-nodes");
    let mut rest = Element::new(
        "rule",
        &[
            ("id", &others),
            ("score", "-INFINITY"),
            ("boolean-op", "and"),
        ],
    );
    for (i, (node, _)) in scores(svc).iter().enumerate() {
        rest = rest.child(Element::new(
            "expression",
            &[
                ("id", &format!("{others}-expr-{}", i + 1)),
                ("attribute", "#uname"),
                ("operation", "ne"),
                ("value", node),
            ],
        ));
    }
    loc.child(rest)
}

/// Both, as the `configuration` fragment `cibadmin --modify --allow-create
/// --scope configuration` loads (what `om PATH pacemaker config` prints).
pub fn configuration(svc: &Service, site: &Site) -> Element {
    Element::new("configuration", &[])
        .child(Element::new("resources", &[]).child(primitive(svc, site)))
        .child(Element::new("constraints", &[]).child(placement(svc)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Container, Ha};

    fn svc(nodes: &[&str], drp: &[&str]) -> Service {
        let mut c = Container::for_test("container#1");
        c.start_timeout = Duration::from_secs(5);
        c.pull_timeout = Duration::from_secs(120);
        c.stop_timeout = None;
        Service {
            nodes: nodes.iter().map(|n| n.to_string()).collect(),
            drpnodes: drp.iter().map(|n| n.to_string()).collect(),
            ha: Some(Ha {
                migration_threshold: Some(3),
                failure_timeout: Duration::ZERO,
            }),
            ..Service::for_test("ns1/svc/web", vec![c])
        }
    }

    fn site() -> Site {
        Site {
            root: Some("/srv/om".into()),
            docker_bound: Duration::from_secs(60),
            ..Default::default()
        }
    }

    /// name=value of the nvpairs of the set `set`.
    fn pairs(p: &Element, set: &str) -> Vec<(String, String)> {
        let set = p.children.iter().find(|c| c.name == set).unwrap();
        set.children
            .iter()
            .map(|n| {
                (
                    n.attr("name").unwrap().to_string(),
                    n.attr("value").unwrap().to_string(),
                )
            })
            .collect()
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_primitive_is_the_om_agent_on_the_service_s_path() {
        let p = primitive(&svc(&["n1", "n2"], &["n3"]), &site());
        assert_eq!(p.name, "primitive");
        assert_eq!(p.attr("id"), Some("om-ns1.web"));
        assert_eq!(
            (p.attr("class"), p.attr("provider"), p.attr("type")),
            (Some("ocf"), Some("om"), Some("svc"))
        );
        assert_eq!(
            pairs(&p, "instance_attributes"),
            kv(&[("path", "ns1/svc/web"), ("root", "/srv/om")])
        );
        // stickiness 200 beats the spread of the scores (200 - 100)
        assert_eq!(
            pairs(&p, "meta_attributes"),
            kv(&[
                ("resource-stickiness", "200"),
                ("migration-threshold", "3"),
                ("failure-timeout", "0")
            ])
        );
        let ops: Vec<(&str, &str, &str)> = p
            .find_all("op")
            .iter()
            .map(|o| {
                (
                    o.attr("name").unwrap(),
                    o.attr("interval").unwrap(),
                    o.attr("timeout").unwrap(),
                )
            })
            .collect();
        // start: 5 s up + 2 min pull + the overhead (30 s lock, a 60 s docker
        // call, 10 s); stop: docker's 10 s grace + the overhead
        assert_eq!(
            ops,
            [
                ("monitor", "10s", "70s"),
                ("start", "0s", "225s"),
                ("stop", "0s", "110s")
            ]
        );
    }

    #[test]
    fn the_default_root_and_om_are_not_said() {
        let mut s = svc(&["n1"], &[]);
        s.path = SvcPath::parse("web").unwrap();
        s.ha = Some(Ha {
            migration_threshold: None,
            failure_timeout: Duration::from_secs(600),
        });
        let site = Site {
            root: None,
            om: Some("/opt/om/bin/om".into()),
            allow_no_fencing: true,
            docker_bound: Duration::from_secs(60),
        };
        let p = primitive(&s, &site);
        assert_eq!(p.attr("id"), Some("om-web"));
        assert_eq!(
            pairs(&p, "instance_attributes"),
            kv(&[
                ("path", "web"),
                ("om", "/opt/om/bin/om"),
                ("allow_no_fencing", "true")
            ])
        );
        let meta = pairs(&p, "meta_attributes");
        assert_eq!(meta[1], kv(&[("migration-threshold", "INFINITY")])[0]);
        assert_eq!(meta[2], kv(&[("failure-timeout", "600s")])[0]);
    }

    /// (score, operation, node) of each rule's expressions.
    fn rules(l: &Element) -> Vec<(String, Vec<(String, String)>)> {
        l.children
            .iter()
            .map(|r| {
                let exprs = r
                    .children
                    .iter()
                    .map(|e| {
                        assert_eq!(e.attr("attribute"), Some("#uname"));
                        (
                            e.attr("operation").unwrap().to_string(),
                            e.attr("value").unwrap().to_string(),
                        )
                    })
                    .collect();
                (r.attr("score").unwrap().to_string(), exprs)
            })
            .collect()
    }

    #[test]
    fn nodes_in_order_drpnodes_never_and_no_other_node() {
        let l = placement(&svc(&["n2", "n1", "n4"], &["n3"]));
        assert_eq!(l.attr("id"), Some("om-ns1.web-placement"));
        assert_eq!(l.attr("rsc"), Some("om-ns1.web"));
        let eq = |n: &str| vec![("eq".to_string(), n.to_string())];
        let ne: Vec<(String, String)> = ["n2", "n1", "n4"]
            .iter()
            .map(|n| ("ne".to_string(), n.to_string()))
            .collect();
        assert_eq!(
            rules(&l),
            vec![
                ("300".to_string(), eq("n2")),
                ("200".to_string(), eq("n1")),
                ("100".to_string(), eq("n4")),
                ("-INFINITY".to_string(), eq("n3")),
                ("-INFINITY".to_string(), ne),
            ]
        );
        assert_eq!(l.children.last().unwrap().attr("boolean-op"), Some("and"));
        // every id in the document once
        let doc = configuration(&svc(&["n2", "n1", "n4"], &["n3"]), &site());
        let mut ids = Vec::new();
        fn walk<'e>(e: &'e Element, ids: &mut Vec<&'e str>) {
            ids.extend(e.attr("id"));
            e.children.iter().for_each(|c| walk(c, ids));
        }
        walk(&doc, &mut ids);
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn a_node_in_both_lists_is_a_drp_node_only() {
        let s = svc(&["n1", "n3"], &["n3"]);
        assert_eq!(scores(&s), vec![("n1".to_string(), 100)]);
        assert_eq!(stickiness(&s), 100);
    }
}
