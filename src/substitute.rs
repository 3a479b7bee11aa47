//! `om SVC docker ARGS…` substitution (SPEC 6), a pure function.

use crate::config::keywords::{rid_index, CONTAINER_GROUP};
use crate::error::{Error, Result};
use crate::model::Service;

/// A whole argument naming every enabled container (several arguments).
const INSTANCES: &str = "{instances}";
/// A whole argument naming their distinct images.
const IMAGES: &str = "{images}";
/// The references that stand for several arguments (completion offers
/// them).
pub const WHOLE_REFERENCES: [&str; 2] = [INSTANCES, IMAGES];

/// Replaces container references in docker arguments:
/// - a whole `{container#N}`, `{N}`, `%N%`, `%container#N%` → the container name;
/// - `{container#N}` inside a longer argument → likewise (`{{…}}` left alone);
/// - a whole `{instances}` → every enabled container's name (several args),
///   `{images}` → their distinct images.
///
/// A reference to a container the service does not have is a usage error.
pub fn substitute(args: &[String], svc: &Service) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(args.len());
    for arg in args {
        match arg.as_str() {
            INSTANCES => out.extend(
                svc.containers
                    .iter()
                    .filter(|c| !c.head.disable)
                    .map(|c| c.name.clone()),
            ),
            IMAGES => {
                let mut images: Vec<String> = Vec::new();
                for c in svc.containers.iter().filter(|c| !c.head.disable) {
                    if !images.contains(&c.image) {
                        images.push(c.image.clone());
                    }
                }
                out.extend(images);
            }
            _ => match whole_ref(arg) {
                Some(rid) => out.push(name_of(svc, &rid)?),
                None => out.push(inline(arg, svc)?),
            },
        }
    }
    Ok(out)
}

/// `{container#1}`, `{1}`, `%1%`, `%container#1%` → `container#1`.
fn whole_ref(arg: &str) -> Option<String> {
    let inner = arg
        .strip_prefix('{')
        .and_then(|a| a.strip_suffix('}'))
        .filter(|a| !a.starts_with('{'))
        .or_else(|| arg.strip_prefix('%').and_then(|a| a.strip_suffix('%')))?;
    if rid_index(inner, CONTAINER_GROUP).is_some() {
        return Some(inner.to_string());
    }
    let is_index = !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    // A bare word in braces is only an index when it is a number: `{name}`
    // stays as it is, `{1}` is container#1.
    (is_index && inner.chars().all(|c| c.is_ascii_digit())).then(|| format!("container#{inner}"))
}

fn name_of(svc: &Service, rid: &str) -> Result<String> {
    svc.container(rid).map(|c| c.name.clone()).ok_or_else(|| {
        // the containers: a reference names one (an ip#N has no name)
        let rids: Vec<&str> = svc.containers.iter().map(|c| c.head.rid.as_str()).collect();
        let rids = if rids.is_empty() {
            "none".to_string()
        } else {
            rids.join(", ")
        };
        Error::Usage(format!(
            "service {} has no {rid} (its rids: {rids})",
            svc.path
        ))
    })
}

/// `{container#N}` inside a longer argument; `{{…}}` (Go templates) untouched.
fn inline(arg: &str, svc: &Service) -> Result<String> {
    let mut out = String::new();
    let mut rest = arg;
    while let Some(i) = rest.find('{') {
        if rest[i..].starts_with("{{") {
            let end = rest[i..].find("}}").map_or(rest.len(), |e| i + e + 2);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(e) if rid_index(&after[..e], CONTAINER_GROUP).is_some() => {
                out.push_str(&name_of(svc, &after[..e])?);
                rest = &after[e + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Container;

    fn svc() -> Service {
        let c = |rid: &str, name: &str, image: &str, disable| {
            let mut c = Container {
                name: name.into(),
                image: image.into(),
                ..Container::for_test(rid)
            };
            c.head.disable = disable;
            c
        };
        Service {
            id: "x".into(),
            ..Service::for_test(
                "svc1",
                vec![
                    c("container#1", "svc1.container.1", "nginx", false),
                    c("container#2", "svc1.container.2", "nginx", false),
                    c("container#web", "w", "busybox", false),
                    c("container#9", "off", "other", true),
                ],
            )
        }
    }

    fn sub(args: &[&str]) -> Result<Vec<String>> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        substitute(&args, &svc())
    }

    #[test]
    fn whole_arguments() {
        assert_eq!(
            sub(&["inspect", "{container#1}", "{2}", "%1%", "%container#web%"]).unwrap(),
            [
                "inspect",
                "svc1.container.1",
                "svc1.container.2",
                "svc1.container.1",
                "w"
            ]
        );
        assert_eq!(
            sub(&["stop", "{instances}"]).unwrap(),
            ["stop", "svc1.container.1", "svc1.container.2", "w"]
        );
        assert_eq!(
            sub(&["rmi", "{images}"]).unwrap(),
            ["rmi", "nginx", "busybox"]
        );
    }

    #[test]
    fn inside_longer_arguments_and_templates() {
        assert_eq!(
            sub(&[
                "ps",
                "--filter",
                "name={container#1}",
                "--format",
                "{{.ID}} {{json .}}"
            ])
            .unwrap(),
            [
                "ps",
                "--filter",
                "name=svc1.container.1",
                "--format",
                "{{.ID}} {{json .}}"
            ]
        );
        assert_eq!(
            sub(&["echo", "{name}", "{x", "a{1}b", "100%"]).unwrap(),
            ["echo", "{name}", "{x", "a{1}b", "100%"]
        );
    }

    #[test]
    fn unknown_rid_names_the_service_and_its_rids() {
        let err = sub(&["inspect", "{container#7}"]).unwrap_err();
        assert_eq!(err.code(), 2);
        assert_eq!(
            err.to_string(),
            "service svc1 has no container#7 (its rids: container#1, container#2, container#web, container#9)"
        );
        assert!(sub(&["x", "a{container#8}"]).is_err());
        assert!(sub(&["x", "%3%"]).is_err());
    }
}
