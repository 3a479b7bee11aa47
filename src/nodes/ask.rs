//! Asking the other nodes of a service what they say of it (SPEC 12):
//! `om SEL print status --local --format json` over the transport, to
//! every node at the same time, each answer read as a `Word` that the
//! guard, a start across the nodes, a switch and a config write read the
//! same way.

use super::transport::Reach;
use crate::action::log::service_log;
use crate::error::Result;
use crate::host::Host;
use crate::model::Service;
use crate::status;
use std::collections::HashMap;

/// What each other node of a service says of it.
pub type Answers = Vec<(String, Word)>;

/// What another node says of a service.
pub enum Word {
    /// It may run there (see `InstanceStatus::runs`); `up`: all of it.
    Runs { up: bool },
    /// It does not.
    Not,
    /// The node has no such service (no config for the path): om runs
    /// nothing of it there, and can not start it there.
    Absent,
    /// The node can not tell, or says something om can not take as a
    /// word on this service (another id at the path, a start under way):
    /// why.
    Unknown(String),
}

/// The actions that, holding a node's lock, may start the service there.
const STARTING: [&str; 6] = [
    "start",
    "provision",
    "restart",
    "deploy",
    "takeover",
    "giveback",
];

/// What `node`'s answer says of `svc` (see `Word`).
pub fn word_of(node: &str, svc: &Service, answer: Option<&RemoteInstance>) -> Word {
    let Some((id, i)) = answer else {
        return Word::Absent;
    };
    if *id != svc.id {
        return Word::Unknown(format!(
            "{node} has another service at {} (id {id})",
            svc.path
        ));
    }
    if i.avail == status::Avail::Unknown {
        // its engine could not tell it
        return Word::Unknown(i.notice.clone());
    }
    if i.runs() {
        return Word::Runs {
            up: i.avail == status::Avail::Up,
        };
    }
    // down, but an action that may start it holds the lock there
    let notice_words: Vec<&str> = i.notice.split(", ").collect();
    if let Some(action) = STARTING.iter().find(|a| notice_words.contains(a)) {
        return Word::Unknown(format!("a {action} is under way on {node}"));
    }
    Word::Not
}

/// Every other node of `svc`, asked at the same time, and what each says
/// of it: the guard before a start and switch read it the same way.
pub fn other_nodes(ctx: &Host, svc: &Service) -> Result<Answers> {
    nodes_say(ctx, svc, |n| !crate::nodename::is_local(n, &ctx.node))
}

/// What the other nodes of `svc` that `which` picks say of it, asked at
/// the same time.
pub fn nodes_say(ctx: &Host, svc: &Service, which: impl Fn(&str) -> bool) -> Result<Answers> {
    let path = svc.path.to_string();
    let asked: Vec<(String, Vec<String>)> = svc
        .all_nodes()
        .into_iter()
        .filter(|n| !crate::nodename::is_local(n, &ctx.node) && which(n))
        .map(|n| (n.to_string(), vec![path.clone()]))
        .collect();
    if asked.is_empty() {
        return Ok(Vec::new());
    }
    // each call in the service's log (not on the terminal: a question)
    let log = service_log(ctx, &svc.path, true);
    for (node, _) in &asked {
        let sel = exact_glob(&path);
        log.svc(
            crate::logger::Level::Info,
            &ctx.transport.shown(node, &status_words(&sel)),
        );
    }
    let answers = ask_nodes(ctx, &asked);
    // a signal during the calls is not the nodes' answer
    crate::interrupt::check()?;
    Ok(answers
        .into_iter()
        .map(|(node, answer)| {
            let word = match answer {
                // a whole answer without the service: the node has no such
                // service (see ask_nodes)
                Ok(instances) => word_of(&node, svc, instances.get(&path)),
                Err(Reach::Refused(e)) if status::not_configured(&e, &path) => Word::Absent,
                Err(e) => Word::Unknown(e.to_string()),
            };
            (node, word)
        })
        .collect())
}

/// A service's id on a node, and its instance there.
pub type RemoteInstance = (String, status::InstanceStatus);

/// Each service's instance on a node, by path, or why the node said none.
pub type NodeAnswer = std::result::Result<HashMap<String, RemoteInstance>, Reach>;

/// Asks each node, all at the same time, for its instances of the paths
/// listed for it: `om SEL print status --local --format json`, each path
/// in SEL as a glob that matches it alone (`[s]vc1`): a path the node does
/// not have is then missing from a whole answer (exit 0) instead of
/// failing the answer for the others. A config that does not load there
/// still fails it (exit 1): no word on any.
pub fn ask_nodes(ctx: &Host, asked: &[(String, Vec<String>)]) -> Vec<(String, NodeAnswer)> {
    let (transport, bound) = (&ctx.transport, ctx.docker.bound);
    std::thread::scope(|s| {
        let calls: Vec<_> = asked
            .iter()
            .map(|(node, paths)| {
                s.spawn(move || {
                    let sel: Vec<String> = paths.iter().map(|p| exact_glob(p)).collect();
                    let sel = sel.join(",");
                    let got = transport
                        .query(node, &status_words(&sel), bound)
                        .and_then(|text| {
                            remote_instances(node, &text).map_err(|e| Reach::Refused(e.to_string()))
                        });
                    (node.clone(), got)
                })
            })
            .collect();
        calls
            .into_iter()
            .zip(asked)
            .map(|(c, (node, _))| {
                c.join().unwrap_or_else(|_| {
                    (
                        node.clone(),
                        Err(Reach::Unreachable("the call was lost".into())),
                    )
                })
            })
            .collect()
    })
}

/// What another node is asked: its instances of the services `sel` picks.
fn status_words(sel: &str) -> [&str; 6] {
    [sel, "print", "status", "--local", "--format", "json"]
}

/// A glob that matches `path` alone: its first character as a class (a
/// path starts with a letter or a digit, never a glob character).
fn exact_glob(path: &str) -> String {
    let mut chars = path.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphanumeric() => format!("[{c}]{}", chars.as_str()),
        _ => path.to_string(),
    }
}

/// Why a node's status answer can not be taken.
#[derive(Debug)]
enum BadAnswer<'a> {
    Unreadable(&'a str, serde_json::Error),
    Schema { node: &'a str, theirs: u64 },
    Without(&'a str, &'static str),
}

impl std::fmt::Display for BadAnswer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadAnswer::Unreadable(node, e) => write!(f, "{node}: unreadable status: {e}"),
            BadAnswer::Schema { node, theirs } => write!(
                f,
                "{node} runs om with status schema {theirs}, this one {}",
                status::SCHEMA
            ),
            BadAnswer::Without(node, what) => write!(f, "{node}: a status without {what}"),
        }
    }
}

/// A node's `print status --local --format json` stream: its instance of
/// each service, by path. Another status schema is an error naming both.
fn remote_instances<'a>(
    node: &'a str,
    text: &str,
) -> std::result::Result<HashMap<String, RemoteInstance>, BadAnswer<'a>> {
    let mut out = HashMap::new();
    let field = |doc: &serde_json::Value, key: &str, what: &'static str| {
        doc.get(key)
            .and_then(serde_json::Value::as_str)
            .map(String::from)
            .ok_or(BadAnswer::Without(node, what))
    };
    for doc in serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>() {
        let doc = doc.map_err(|e| BadAnswer::Unreadable(node, e))?;
        let schema = doc
            .get("schema")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(1);
        if schema != u64::from(status::SCHEMA) {
            return Err(BadAnswer::Schema {
                node,
                theirs: schema,
            });
        }
        let path = field(&doc, "path", "a path")?;
        let id = field(&doc, "id", "an id")?;
        let inst = doc
            .get("instances")
            .and_then(|i| i.get(0))
            .cloned()
            .ok_or(BadAnswer::Without(node, "an instance"))?;
        let inst: status::InstanceStatus =
            serde_json::from_value(inst).map_err(|e| BadAnswer::Unreadable(node, e))?;
        out.insert(path, (id, inst));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::exact_glob;
    use crate::paths::SvcPath;
    use crate::selector::select;

    #[test]
    fn a_path_asked_of_another_node_matches_itself_alone_and_may_be_missing() {
        let all: Vec<SvcPath> = ["svc1", "svc10", "ns1/svc/svc1", "xvc1"]
            .iter()
            .map(|p| SvcPath::parse(p).unwrap())
            .collect();
        let sel = ["svc1", "ns1/svc/svc1", "missing"]
            .map(exact_glob)
            .join(",");
        let got: Vec<String> = select(&sel, &all)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(got, ["ns1/svc/svc1", "svc1"]);
    }
}

#[cfg(test)]
mod word_tests {
    use super::{word_of, Word};
    use crate::model::Service;
    use crate::status::{Avail, InstanceStatus};

    fn svc() -> Service {
        Service {
            nodes: vec!["n1".into(), "n2".into()],
            ..Service::for_test("db1", Vec::new())
        }
    }

    fn inst(avail: Avail, notice: &str) -> InstanceStatus {
        InstanceStatus {
            node: "n2".into(),
            avail,
            overall: avail,
            notice: notice.into(),
            started: false,
            resources: Vec::new(),
        }
    }

    fn word(id: &str, avail: Avail, notice: &str) -> Word {
        word_of("n2", &svc(), Some(&(id.to_string(), inst(avail, notice))))
    }

    #[test]
    fn what_another_node_says_of_the_service() {
        assert!(matches!(
            word("id1", Avail::Up, "idle"),
            Word::Runs { up: true }
        ));
        assert!(matches!(word("id1", Avail::Down, "idle"), Word::Not));
        assert!(matches!(word_of("n2", &svc(), None), Word::Absent));
        // another service at the path is no word on this one
        let Word::Unknown(why) = word("id9", Avail::Up, "idle") else {
            panic!("another id")
        };
        assert_eq!(why, "n2 has another service at db1 (id id9)");
        // down, but a start holds the lock there: it may run in a moment
        let Word::Unknown(why) = word("id1", Avail::Down, "start") else {
            panic!("a start under way")
        };
        assert_eq!(why, "a start is under way on n2");
        assert!(matches!(
            word("id1", Avail::Down, "warn, provision, started"),
            Word::Unknown(_)
        ));
        // a stop under way is not a start
        assert!(matches!(word("id1", Avail::Down, "stop"), Word::Not));
        // its engine could not tell
        assert!(matches!(
            word("id1", Avail::Unknown, "docker engine unreachable"),
            Word::Unknown(_)
        ));
    }
}
