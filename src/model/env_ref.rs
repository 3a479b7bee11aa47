//! What a container takes from secrets and configs (SPEC 13), as the
//! config says it: `secrets_environment` and `configs_environment` words,
//! parsed. Reading a word is `objects::env::parse_word`; resolving the
//! values at an action is `objects::env::resolve`.

/// The kind of an object a service refers to: a secret or a config.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjKind {
    Sec,
    Cfg,
}

impl ObjKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjKind::Sec => "sec",
            ObjKind::Cfg => "cfg",
        }
    }

    /// What it is called in a message.
    pub fn noun(self) -> &'static str {
        match self {
            ObjKind::Sec => "secret",
            ObjKind::Cfg => "config",
        }
    }

    pub fn parse(s: &str) -> Option<ObjKind> {
        match s {
            "sec" => Some(ObjKind::Sec),
            "cfg" => Some(ObjKind::Cfg),
            _ => None,
        }
    }
}

/// One word of `secrets_environment` or `configs_environment`, parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvRef {
    pub kind: ObjKind,
    /// `VAR=`; `None` for a key glob (each key is its own variable).
    pub var: Option<String>,
    pub object: String,
    /// A key, or a glob of keys when `var` is `None`.
    pub key: String,
}
