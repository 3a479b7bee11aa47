//! The volume kind (SPEC 17): a docker named volume on the service's
//! engine (its private daemon's with `docker_data_dir`), labelled
//! `com.opensvc.id=<id>.<rid>` as the containers are, so that om finds it
//! again and never takes over a volume of the name that is not this
//! resource's. A start makes it when it is missing (as a start makes the
//! containers: a `docker run` would make an unlabelled one of the name);
//! a stop and an unprovision keep it (a volume is data); a purge removes
//! it. Its docker commands are `engine`'s; what is pure (the argv, the
//! judgement of an inspect) is here, tested.

mod engine;
pub mod status;

use crate::docker::argv::{container_id_label, LABEL_ID};
use crate::error::{Error, Result};
use crate::logger::Level;
use crate::model::Volume;
use crate::resource::context::Context;
use crate::resource::touched::Touched;

pub use engine::seen;

/// What the engine holds under the volume's name.
#[derive(Clone, Debug, PartialEq)]
pub enum Seen {
    Absent,
    /// A volume of the name with this resource's label.
    Ours,
    /// A volume of the name that is not this resource's: its
    /// `com.opensvc.id` label, if it has one.
    Foreign(Option<String>),
}

/// Where the volume stands, as status says it.
#[derive(Clone, Debug, PartialEq)]
pub enum State {
    Up,
    Down(String),
    Unknown(String),
}

/// `docker volume create` of `v`: its driver, options and label.
pub fn create_argv(svc_id: &str, v: &Volume) -> Vec<String> {
    let mut a: Vec<String> = vec!["volume".into(), "create".into()];
    if let Some(d) = &v.driver {
        a.push("--driver".into());
        a.push(d.clone());
    }
    for o in &v.options {
        a.push("--opt".into());
        a.push(o.clone());
    }
    a.push("--label".into());
    a.push(format!(
        "{LABEL_ID}={}",
        container_id_label(svc_id, &v.head.rid)
    ));
    a.push(v.name.clone());
    a
}

/// Whether the labels a volume carries make it this resource's.
pub fn judge(svc_id: &str, v: &Volume, label: Option<&str>) -> Seen {
    let want = container_id_label(svc_id, &v.head.rid);
    match label {
        Some(l) if l == want => Seen::Ours,
        other => Seen::Foreign(other.map(String::from)),
    }
}

/// The refusal of a volume of the name that is not this resource's.
fn foreign(v: &Volume, label: Option<&str>) -> Error {
    Error::Failed(format!(
        "docker volume {}: name in use by a volume om does not manage (its {LABEL_ID} label is {}): not taken over",
        v.name,
        label.map_or("missing".into(), |l| format!("'{l}'"))
    ))
}

/// The volume's state now (status, requirements).
pub fn state(ctx: &Context, v: &Volume) -> State {
    if ctx.offline {
        return State::Down("its docker daemon is not running".into());
    }
    state_of(&seen(&ctx.engine, &ctx.svc.id, v))
}

/// A state from what the engine said.
pub fn state_of(seen: &Result<Seen>) -> State {
    match seen {
        Ok(Seen::Ours) => State::Up,
        Ok(Seen::Absent) => State::Down("the volume does not exist".into()),
        Ok(Seen::Foreign(l)) => State::Unknown(format!(
            "name in use by a volume om does not manage (its {LABEL_ID} label is {})",
            l.as_deref().map_or("missing".into(), |l| format!("'{l}'"))
        )),
        Err(e) => State::Unknown(e.to_string()),
    }
}

/// Starts the resource: the volume made when it is missing; one of the
/// name that is not ours refused. Whether this call made it.
pub fn start(ctx: &Context, touched: &Touched, v: &Volume) -> Result<bool> {
    let rid = v.head.rid.as_str();
    let now = if ctx.offline {
        Seen::Absent
    } else {
        seen(&ctx.engine, &ctx.svc.id, v)?
    };
    match now {
        Seen::Ours => {
            ctx.log.res(
                rid,
                Level::Info,
                &format!("docker volume {} exists", v.name),
            );
            Ok(false)
        }
        Seen::Foreign(l) => Err(foreign(v, l.as_deref())),
        Seen::Absent => {
            engine::run(ctx, rid, create_argv(&ctx.svc.id, v))?;
            touched.mark(rid);
            if ctx.dry_run {
                return Ok(true);
            }
            // `docker volume create` of a name that exists says nothing:
            // one made meanwhile by another is found here
            match seen(&ctx.engine, &ctx.svc.id, v)? {
                Seen::Ours => Ok(true),
                Seen::Foreign(l) => Err(foreign(v, l.as_deref())),
                Seen::Absent => Err(Error::Failed(format!(
                    "docker volume {}: created, then not found",
                    v.name
                ))),
            }
        }
    }
}

/// Stops the resource: nothing (a volume is data); with `purge`, the
/// volume removed when it is ours (one that is not is left alone, said).
pub fn stop(ctx: &Context, v: &Volume, remove: bool, purge: bool) -> Result<()> {
    let rid = v.head.rid.as_str();
    if !remove {
        return Ok(());
    }
    if !purge {
        ctx.log.res(
            rid,
            Level::Info,
            &format!(
                "docker volume {} kept: a volume is data, om {} purge removes it",
                v.name, ctx.svc.path
            ),
        );
        return Ok(());
    }
    let now = if ctx.offline {
        Seen::Ours
    } else {
        seen(&ctx.engine, &ctx.svc.id, v)?
    };
    match now {
        Seen::Absent => {
            ctx.log.res(
                rid,
                Level::Info,
                &format!("docker volume {} does not exist", v.name),
            );
            Ok(())
        }
        Seen::Foreign(l) => {
            ctx.log
                .res(rid, Level::Warn, &foreign(v, l.as_deref()).to_string());
            Ok(())
        }
        Seen::Ours => engine::run(ctx, rid, vec!["volume".into(), "rm".into(), v.name.clone()]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Head;

    fn vol() -> Volume {
        Volume {
            head: Head {
                rid: "volume#1".into(),
                ..Default::default()
            },
            name: "reg-data".into(),
            driver: Some("local".into()),
            options: vec!["type=tmpfs".into(), "device=tmpfs".into()],
        }
    }

    #[test]
    fn a_volume_is_made_with_its_driver_options_and_label() {
        assert_eq!(
            create_argv("id1", &vol()).join(" "),
            "volume create --driver local --opt type=tmpfs --opt device=tmpfs --label com.opensvc.id=id1.volume#1 reg-data"
        );
        let bare = Volume {
            driver: None,
            options: Vec::new(),
            ..vol()
        };
        assert_eq!(
            create_argv("id1", &bare).join(" "),
            "volume create --label com.opensvc.id=id1.volume#1 reg-data"
        );
    }

    #[test]
    fn only_a_volume_with_this_resources_label_is_ours() {
        let v = vol();
        assert_eq!(judge("id1", &v, Some("id1.volume#1")), Seen::Ours);
        assert_eq!(
            judge("id1", &v, Some("id2.volume#1")),
            Seen::Foreign(Some("id2.volume#1".into()))
        );
        assert_eq!(judge("id1", &v, None), Seen::Foreign(None));
        assert_eq!(state_of(&Ok(Seen::Ours)), State::Up);
        assert!(matches!(state_of(&Ok(Seen::Absent)), State::Down(_)));
        assert!(
            matches!(state_of(&Ok(Seen::Foreign(None))), State::Unknown(w) if w.contains("label is missing"))
        );
    }
}
